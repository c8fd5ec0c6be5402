#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "base/rd.h"

void
rd_init(struct rd *r, int fd, int timeout_ms)
{
	r->fd = fd;
	r->timeout_ms = timeout_ms;
	r->read = NULL;
	r->ctx = NULL;
	r->pos = r->len = 0;
}

int
rd_wait(int fd, int ms)
{
	struct pollfd p;
	int n;

	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		n = poll(&p, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -1 : n > 0;
	}
}

/* Refill: 1 got bytes, 0 EOF, -1 error. */
static int
fill(struct rd *r)
{
	ssize_t n;
	int w;

	r->pos = r->len = 0;
	for (;;) {
		/* a replaced read function (TLS) does its own waiting, since
		 * it may hold decrypted bytes while fd is not readable */
		if (r->read == NULL && r->timeout_ms >= 0) {
			w = rd_wait(r->fd, r->timeout_ms);
			if (w < 0)
				return -1;
			if (w == 0) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		if (r->read != NULL)
			n = r->read(r->ctx, r->b, sizeof(r->b));
		else
			n = read(r->fd, r->b, sizeof(r->b));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		r->len = (size_t)n;
		return n > 0;
	}
}

int
rd_line(struct rd *r, struct buf *line, size_t max)
{
	int toolong = 0, f;
	char *nl;
	size_t n;

	buf_reset(line);
	for (;;) {
		if (r->pos == r->len) {
			f = fill(r);
			if (f < 0)
				return -1;
			if (f == 0) {
				if (toolong) {
					errno = EMSGSIZE;
					return -1;
				}
				return line->len > 0;
			}
		}
		nl = memchr(r->b + r->pos, '\n', r->len - r->pos);
		n = nl ? (size_t)(nl - (r->b + r->pos)) + 1 : r->len - r->pos;
		if (!toolong) {
			if (line->len + n > max) {
				toolong = 1;
				buf_reset(line);
			} else if (buf_put(line, r->b + r->pos, n) == -1)
				return -1;
		}
		r->pos += n;
		if (nl != NULL) {
			if (toolong) {
				errno = EMSGSIZE;
				return -1;
			}
			return 1;
		}
	}
}

int
rd_bytes(struct rd *r, struct buf *out, size_t n)
{
	size_t k;
	int f;

	if (n == 0)
		return 1;
	if (r->pos == r->len) {
		f = fill(r);
		if (f <= 0)
			return f;
	}
	k = r->len - r->pos;
	if (k > n)
		k = n;
	if (buf_put(out, r->b + r->pos, k) == -1)
		return -1;
	r->pos += k;
	return 1;
}

size_t
rd_pending(const struct rd *r)
{
	return r->len - r->pos;
}

size_t
rd_unread(struct rd *r, size_t n)
{
	if (n > r->pos)
		n = r->pos;
	r->pos -= n;
	return n;
}

void
rd_discard(struct rd *r)
{
	r->pos = r->len = 0;
}
