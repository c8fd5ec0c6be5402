/* stage: filters that run as programs and inside smtp-recv (stage.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/stage.h"

extern char **environ;

const char *
stage_getenv(const struct stage_io *io, const char *name)
{
	size_t n = strlen(name), i;

	if (io->envp == NULL)
		return NULL;
	for (i = 0; io->envp[i] != NULL; i++)
		if (strncmp(io->envp[i], name, n) == 0 && io->envp[i][n] == '=')
			return io->envp[i] + n + 1;
	return NULL;
}

void
stage_log(struct stage_io *io, enum log_level lv, const char *fmt, ...)
{
	static const char *const levels[] = { "fatal", "warning", "info",
	    "debug" };
	char text[LOG_LINE_MAX], raw[LOG_LINE_MAX], out[LOG_LINE_MAX];
	int n;
	const char *d;
	va_list ap;
	int save = errno;

	if (lv == LOG_DEBUG && ((d = stage_getenv(io, "POSTERN_DEBUG")) ==
	    NULL || *d == '\0' || strcmp(d, "0") == 0))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(raw, sizeof(raw), "%s: %s: ", io->name, levels[lv]);
	if (n < 0 || (size_t)n >= sizeof(raw))
		n = 0;
	/* the text cut to what is left of the line */
	memcpy(raw + n, text, strnlen(text, sizeof(raw) - (size_t)n - 1));
	raw[n + strnlen(text, sizeof(raw) - (size_t)n - 1)] = '\0';
	/* as log.h: control bytes escaped, so a line stays one line */
	log_escape(out, sizeof(out), raw, strlen(raw));
	if (buf_puts(&io->err, out) == -1 || buf_putc(&io->err, '\n') == -1)
		(void)0;	/* out of memory: the line is lost, not the stage */
	errno = save;
}

void
stage_lastline(const struct stage_io *io, const char **s, size_t *n)
{
	size_t end = io->err.len, start;

	if (end > 0 && io->err.s[end - 1] == '\n')
		end--;
	for (start = end; start > 0 && io->err.s[start - 1] != '\n'; start--)
		;
	*s = io->err.s != NULL ? io->err.s + start : "";
	*n = end - start;
}

int
stage_main(int argc, char **argv, const char *name, stage_fn run)
{
	struct stage_io io;
	int code;

	log_init(name);
	memset(&io, 0, sizeof(io));
	io.name = name;
	io.envp = environ;
	io.in = 0;
	io.out = 1;
	code = run(argc, argv, &io);
	if (io.err.len > 0)
		(void)write_all(2, io.err.s, io.err.len);
	buf_free(&io.err);
	return code;
}

const struct stage_builtin *
stage_find(const struct stage_builtin *t, const char *argv0)
{
	if (t == NULL || strchr(argv0, '/') != NULL)
		return NULL;
	for (; t->name != NULL; t++)
		if (strcmp(t->name, argv0) == 0)
			return t;
	return NULL;
}
