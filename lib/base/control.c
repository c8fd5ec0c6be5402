#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/control.h"
#include "base/fileio.h"
#include "base/num.h"

const char *
control_dir(void)
{
	const char *d = getenv("POSTERN_CONF");

	return d != NULL && *d != '\0' ? d : "/etc/postern";
}

int
control_path(struct buf *p, const char *name)
{
	buf_reset(p);
	if (name[0] == '/')
		return buf_puts(p, name);
	return buf_printf(p, "%s/%s", control_dir(), name);
}

static int
load(const char *name, struct buf *b)
{
	struct buf path = BUF_INIT;
	int r, save;

	if (control_path(&path, name) == -1)
		return -1;
	r = read_file(path.s, b, CONTROL_MAX);
	save = errno;
	buf_free(&path);
	if (r == -1) {
		if (save == ENOENT)
			return 0;
		errno = save;
		return -1;
	}
	if (memchr(b->s, '\0', b->len) != NULL) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

static int
isblank_(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trim s[0..n) in place, returning the new start and length. */
static char *
trim(char *s, size_t *n)
{
	while (*n > 0 && isblank_((unsigned char)s[0])) {
		s++;
		(*n)--;
	}
	while (*n > 0 && isblank_((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

int
control_line(const char *name, struct buf *val)
{
	struct buf b = BUF_INIT;
	char *s, *nl;
	size_t n;
	int r;

	if ((r = load(name, &b)) <= 0) {
		buf_free(&b);
		return r;
	}
	nl = memchr(b.s, '\n', b.len);
	n = nl ? (size_t)(nl - b.s) : b.len;
	s = trim(b.s, &n);
	r = n > 0;
	if (r && buf_set(val, s, n) == -1)
		r = -1;
	buf_free(&b);
	return r;
}

int
control_ulong(const char *name, unsigned long *v, unsigned long min,
    unsigned long max)
{
	struct buf b = BUF_INIT;
	int r;

	if ((r = control_line(name, &b)) == 1 &&
	    parse_ulong(b.s, v, min, max) == -1)
		r = -1;
	buf_free(&b);
	return r;
}

int
control_lines(const char *name, struct buf *val, size_t *count)
{
	struct buf b = BUF_INIT;
	char *p, *end, *nl, *s;
	size_t n;
	int r;

	*count = 0;
	buf_reset(val);
	if ((r = load(name, &b)) <= 0) {
		buf_free(&b);
		return r;
	}
	for (p = b.s, end = b.s + b.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		s = trim(p, &n);
		if (n == 0 || s[0] == '#')
			continue;
		if (buf_put(val, s, n) == -1 || buf_putc(val, '\0') == -1) {
			buf_free(&b);
			return -1;
		}
		(*count)++;
	}
	buf_free(&b);
	return 1;
}

int
control_me(struct buf *me)
{
	char host[256];
	int r;

	if ((r = control_line("me", me)) != 0)
		return r == 1 ? 0 : -1;
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	buf_reset(me);
	return buf_puts(me, host);
}
