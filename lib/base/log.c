#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static const char *prog = "postern";
static int debug;

static const char *levels[] = { "fatal", "warning", "info", "debug" };

void
log_init(const char *name)
{
	const char *p, *e;

	if (name != NULL && (p = strrchr(name, '/')) != NULL)
		name = p + 1;
	if (name != NULL && *name != '\0')
		prog = name;
	e = getenv("POSTERN_DEBUG");
	debug = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
}

const char *
log_prog(void)
{
	return prog;
}

char *
log_escape(char *dst, size_t size, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	if (size == 0)
		return dst;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '\\') {
			if (o + 4 >= size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else {
			if (o + 1 >= size)
				break;
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return dst;
}

static void
emit(enum log_level lv, const char *text, const char *err)
{
	char raw[LOG_LINE_MAX], out[LOG_LINE_MAX + 2];
	size_t o;
	int n;

	n = snprintf(raw, sizeof(raw), "%s: %s: %s%s%s", prog, levels[lv],
	    text, err ? ": " : "", err ? err : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(raw))
		n = sizeof(raw) - 1;
	/* at most LOG_LINE_MAX - 1 bytes, so with the LF the line is
	 * LOG_LINE_MAX at most, escapes included */
	log_escape(out, LOG_LINE_MAX, raw, (size_t)n);
	o = strlen(out);
	out[o++] = '\n';
	/* one write(2) per line, so concurrent writers do not interleave */
	while (o > 0) {
		ssize_t w = write(2, out, o);
		if (w < 0 && errno == EINTR)
			continue;
		break;
	}
}

void
log_vmsg(enum log_level lv, const char *fmt, va_list ap)
{
	char text[LOG_LINE_MAX];
	int save = errno;

	if (lv == LOG_DEBUG && !debug)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	emit(lv, text, NULL);
	errno = save;
}

void
log_msg(enum log_level lv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lv, fmt, ap);
	va_end(ap);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_FATAL, fmt, ap);
	va_end(ap);
	_exit(code);
}

void
die_sys(int code, const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(LOG_FATAL, text, err);
	_exit(code);
}

void
warn_sys(const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	const char *err = strerror(errno);
	int save = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(LOG_WARNING, text, err);
	errno = save;
}

void
die_usage(const char *usage)
{
	char line[LOG_LINE_MAX];
	int n;

	n = snprintf(line, sizeof(line), "usage: %s\n", usage);
	if (n > 0)
		(void)!write(2, line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1);
	_exit(EXIT_PERM);
}

void
die_nomem(void)
{
	die(EXIT_TEMP, "out of memory");
}
