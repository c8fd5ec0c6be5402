#include <errno.h>
#include <string.h>

#include "mail/msg.h"

void
msg_hdr_init(struct msg_hdr *h, const void *msg, size_t len)
{
	h->start = h->p = msg;
	h->end = h->start + len;
	h->field_max = MSG_FIELD_MAX;
	h->fields_max = MSG_FIELDS_MAX;
	h->nfields = 0;
	h->body = len;
	h->flags = 0;
	h->done = 0;
}

/* RFC 5322 3.6.8: ftext is %d33-57 / %d59-126 */
static int
ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

static int
wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The end of the line starting at p: a pointer past its LF (or to end),
 * with *content_end set to where the line ending starts.
 */
static const char *
line_end(struct msg_hdr *h, const char *p, const char **content_end)
{
	const char *nl = memchr(p, '\n', (size_t)(h->end - p));

	if (nl == NULL) {
		*content_end = h->end;
		return h->end;
	}
	if (nl > p && nl[-1] == '\r')
		*content_end = nl - 1;
	else {
		*content_end = nl;
		h->flags |= MSG_F_BARE_LF;
	}
	return nl + 1;
}

static void
scan_bytes(struct msg_hdr *h, const char *p, const char *e)
{
	for (; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\0')
			h->flags |= MSG_F_NUL;
		else if (c >= 0x80)
			h->flags |= MSG_F_8BIT;
		else if (c == '\r' && (p + 1 == e || p[1] != '\n'))
			h->flags |= MSG_F_BARE_CR;
	}
}

static int
finish(struct msg_hdr *h, const char *body, unsigned flag)
{
	h->done = 1;
	h->body = (size_t)(body - h->start);
	h->flags |= flag;
	return 0;
}

int
msg_hdr_next(struct msg_hdr *h, struct msg_field *f)
{
	const char *p = h->p, *q, *ce, *next, *colon;

	if (h->done)
		return 0;
	if (p >= h->end)
		return finish(h, h->end, MSG_F_NOBODY);
	/* RFC 5322 2.1: the header ends at the first empty line */
	if (*p == '\n') {
		h->flags |= MSG_F_BARE_LF;
		return finish(h, p + 1, 0);
	}
	if (*p == '\r' && p + 1 < h->end && p[1] == '\n')
		return finish(h, p + 2, 0);
	/* field-name, then (obsolete, RFC 5322 4.5) blanks, then ':' */
	for (q = p; q < h->end && ftext((unsigned char)*q); q++)
		;
	colon = q;
	while (colon < h->end && wsp((unsigned char)*colon))
		colon++;
	if (q == p || colon >= h->end || *colon != ':')
		return finish(h, p, MSG_F_NOBLANK);
	if (colon != q)
		h->flags |= MSG_F_OBSCOLON;
	if (h->nfields >= h->fields_max) {
		errno = E2BIG;
		return -1;
	}
	f->name = p;
	f->namelen = (size_t)(q - p);
	f->value = colon + 1;
	/* RFC 5322 2.2.3: a line starting with WSP continues the field */
	next = line_end(h, colon + 1, &ce);
	while (next < h->end && wsp((unsigned char)*next)) {
		if ((size_t)(next - p) > h->field_max)
			break;
		next = line_end(h, next, &ce);
	}
	if ((size_t)(next - p) > h->field_max) {
		errno = EMSGSIZE;
		return -1;
	}
	f->valuelen = (size_t)(ce - f->value);
	f->raw = p;
	f->rawlen = (size_t)(next - p);
	scan_bytes(h, p, ce);
	h->p = next;
	h->nfields++;
	if (next >= h->end && ce == h->end)
		h->flags |= MSG_F_NOBODY;
	return 1;
}

int
msg_unfold(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, j;

	buf_reset(b);
	if (buf_ready(b, n) == -1)
		return -1;
	while (i < n) {
		j = i;
		if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
			j++;
		if (s[j] == '\n' && j + 1 < n && wsp((unsigned char)s[j + 1])) {
			i = j + 1;
			continue;
		}
		b->s[b->len++] = s[i++];
	}
	b->s[b->len] = '\0';
	return 0;
}

int
msg_field_value(struct buf *b, const struct msg_field *f)
{
	size_t a = 0;

	if (msg_unfold(b, f->value, f->valuelen) == -1)
		return -1;
	while (a < b->len && wsp((unsigned char)b->s[a]))
		a++;
	if (a > 0) {
		memmove(b->s, b->s + a, b->len - a);
		b->len -= a;
	}
	while (b->len > 0 && (wsp((unsigned char)b->s[b->len - 1]) ||
	    b->s[b->len - 1] == '\r' || b->s[b->len - 1] == '\n'))
		b->len--;
	b->s[b->len] = '\0';
	return 0;
}

int
msg_field_is(const struct msg_field *f, const char *name)
{
	size_t n = strlen(name);

	return n == f->namelen && ascii_ncasecmp(f->name, name, n) == 0;
}

int
msg_find(const void *msg, size_t len, const char *name, struct msg_field *f)
{
	struct msg_hdr h;
	int r;

	msg_hdr_init(&h, msg, len);
	while ((r = msg_hdr_next(&h, f)) == 1)
		if (msg_field_is(f, name))
			return 1;
	return r;
}

long
msg_body_offset(const void *msg, size_t len)
{
	struct msg_hdr h;
	struct msg_field f;
	int r;

	msg_hdr_init(&h, msg, len);
	while ((r = msg_hdr_next(&h, &f)) == 1)
		;
	return r == 0 ? (long)h.body : -1;
}
