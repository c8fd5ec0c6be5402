#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/buf.h"

int
size_add(size_t a, size_t b, size_t *r)
{
	if (a > (size_t)-1 - b) {
		errno = EOVERFLOW;
		return -1;
	}
	*r = a + b;
	return 0;
}

int
size_mul(size_t a, size_t b, size_t *r)
{
	if (a != 0 && b > (size_t)-1 / a) {
		errno = EOVERFLOW;
		return -1;
	}
	*r = a * b;
	return 0;
}

int
buf_ready(struct buf *b, size_t n)
{
	size_t need;
	char *p;

	if (size_add(b->len, n, &need) == -1 || size_add(need, 1, &need) == -1)
		return -1;
	if (need <= b->cap)
		return 0;
	/* a byte string starts at 64 bytes, on ARRAY_FIRST's doubling */
	if ((p = array_ready(b->s, &b->cap, need < 64 ? 64 : need, 1)) == NULL)
		return -1;
	b->s = p;
	b->s[b->len] = '\0';	/* buf.h: s[len] is NUL whenever s != NULL */
	return 0;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	if (buf_ready(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_put(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if (buf_ready(b, (size_t)n) == -1)
		return -1;
	if (vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap) != n) {
		b->s[b->len] = '\0';
		errno = EINVAL;
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

int
buf_set(struct buf *b, const void *p, size_t n)
{
	buf_reset(b);
	return buf_put(b, p, n);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

void
buf_truncate(struct buf *b, size_t n)
{
	if (n < b->len) {
		b->len = n;
		b->s[n] = '\0';
	}
}

void
buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

char *
buf_steal(struct buf *b)
{
	char *s = b->s;

	if (s == NULL)
		s = calloc(1, 1);
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int
ascii_ncasecmp(const char *a, const char *b, size_t n)
{
	int ca, cb;

	for (; n > 0; n--, a++, b++) {
		ca = ascii_lower((unsigned char)*a);
		cb = ascii_lower((unsigned char)*b);
		if (ca != cb)
			return ca - cb;
		if (ca == '\0')
			break;
	}
	return 0;
}

int
ascii_casecmp(const char *a, const char *b)
{
	return ascii_ncasecmp(a, b, (size_t)-1);
}

int
str_has8(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}
