/*
 * qline: the line format of the queue's envelope heads and state files
 * (queue.h): "key value" lines, values escaped.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "mail/codec.h"
#include "queue/qline.h"
#include "queue/queue.h"

int
qline_setstr(char **dst, const char *s)
{
	char *p = NULL;

	if (s != NULL && (p = strdup(s)) == NULL)
		return -1;
	free(*dst);
	*dst = p;
	return 0;
}

int
queue_set_error(char **dst, const char *s)
{
	return qline_setstr(dst, s);
}

/* Any control byte (< 0x20, 0x7f) in s[0..n)? */
int
qline_has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

int
queue_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '%') {
			if (buf_putc(b, '%') == -1 ||
			    buf_putc(b, hex[c >> 4]) == -1 ||
			    buf_putc(b, hex[c & 15]) == -1)
				return -1;
		} else if (buf_putc(b, c) == -1)
			return -1;
	}
	return 0;
}

int
queue_unescape(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int h, l;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			goto bad;
		if (s[i] != '%') {
			if (buf_putc(b, s[i]) == -1)
				return -1;
			continue;
		}
		if (i + 2 >= n)
			goto bad;
		if ((h = hex_value((unsigned char)s[i + 1])) < 0 ||
		    (l = hex_value((unsigned char)s[i + 2])) < 0 ||
		    (h == 0 && l == 0))	/* no NUL in a value */
			goto bad;
		if (buf_putc(b, h * 16 + l) == -1)
			return -1;
		i += 2;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* "key value\n", the value escaped. */
int
qline_put(struct buf *b, const char *key, const char *val)
{
	if (buf_puts(b, key) == -1 || buf_putc(b, ' ') == -1 ||
	    queue_escape(b, val, strlen(val)) == -1 || buf_putc(b, '\n') == -1)
		return -1;
	return 0;
}

int
qline_num(struct buf *b, const char *key, long long v)
{
	return buf_printf(b, "%s %lld\n", key, v);
}

/*
 * The next line of p[..end): key and value (still escaped).  Returns 1 a
 * line, 0 the empty line, -1 (EINVAL) at the end of the data, for a line
 * without its LF, or a line without a key.
 */
int
qline_next(const char **pp, const char *end, const char **key, size_t *kl,
    const char **val, size_t *vl)
{
	const char *p = *pp, *nl, *sp;

	if (p >= end || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
		errno = EINVAL;
		return -1;
	}
	*pp = nl + 1;
	if (nl == p)
		return 0;
	sp = memchr(p, ' ', (size_t)(nl - p));
	*key = p;
	*kl = (size_t)((sp ? sp : nl) - p);
	*val = sp ? sp + 1 : nl;
	*vl = (size_t)(nl - *val);
	if (*kl == 0) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

int
qline_key(const char *k, size_t kl, const char *name)
{
	return strlen(name) == kl && memcmp(k, name, kl) == 0;
}

int
qline_value(struct buf *b, const char *v, size_t vl)
{
	buf_reset(b);
	if (queue_unescape(b, v, vl) == -1)
		return -1;
	if (b->s == NULL && buf_ready(b, 0) == -1)
		return -1;
	b->s[b->len] = '\0';
	return 0;
}

int
qline_time(const char *v, size_t vl, time_t *t)
{
	char num[32];
	unsigned long x;

	if (vl == 0 || vl >= sizeof(num)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(num, v, vl);
	num[vl] = '\0';
	if (parse_ulong(num, &x, 0, (unsigned long)LLONG_MAX / 2) == -1)
		return -1;
	*t = (time_t)x;
	return 0;
}

int
qline_uint(const char *v, size_t vl, unsigned *u)
{
	time_t t;

	if (qline_time(v, vl, &t) == -1)
		return -1;
	if (t > (time_t)UINT_MAX) {
		errno = EINVAL;
		return -1;
	}
	*u = (unsigned)t;
	return 0;
}

int
qline_index(const char *s, size_t n, size_t *idx)
{
	size_t i, x = 0;

	if (n == 0 || n > 6 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (size_t)(s[i] - '0');
	}
	*idx = x;
	return 0;
}
