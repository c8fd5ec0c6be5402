/* quarantine: the Junk folder decision of local delivery (quarantine.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "mail/msg.h"
#include "queue/quarantine.h"

/* RFC 2045 5.1 token characters (the authserv-id, RFC 8601 2.2) */
static int
token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Is the unfolded value v an A-R value claiming id?  Its rest in *rest. */
static int
claims(const char *v, size_t n, const char *id, size_t *rest)
{
	size_t i = 0, k, idn = strlen(id);

	/* [CFWS] authserv-id: blanks, and a comment at most one deep */
	for (;;) {
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < n && v[i] == '(') {
			while (i < n && v[i] != ')')
				i++;
			i++;
			continue;
		}
		break;
	}
	if (i < n && v[i] == '"') {
		k = ++i;
		while (i < n && v[i] != '"')
			i++;
		if (i >= n)
			return 0;
		*rest = i + 1;
		return i - k == idn && ascii_ncasecmp(v + k, id, idn) == 0;
	}
	for (k = i; i < n && token_char((unsigned char)v[i]); i++)
		;
	*rest = i;
	return i - k == idn && idn > 0 && ascii_ncasecmp(v + k, id, idn) == 0;
}

/* A word w in s[0..n) that no token character touches on either side. */
static const char *
word(const char *s, size_t n, const char *w)
{
	size_t wn = strlen(w), i;

	for (i = 0; i + wn <= n; i++)
		if (ascii_ncasecmp(s + i, w, wn) == 0 &&
		    (i == 0 || !token_char((unsigned char)s[i - 1])) &&
		    (i + wn == n ||
		    !token_char((unsigned char)s[i + wn])))
			return s + i;
	return NULL;
}

int
quarantine_check(int fd, off_t off, const char *id)
{
	struct buf b = BUF_INIT, v = BUF_INIT;
	struct msg_hdr h;
	struct msg_field f;
	const char *p, *end, *semi;
	size_t rest;
	ssize_t r;
	int k, yes = 0, save;

	if (buf_ready(&b, QUARANTINE_HEAD_MAX) == -1)
		return -1;
	while (b.len < QUARANTINE_HEAD_MAX) {
		r = pread(fd, b.s + b.len, QUARANTINE_HEAD_MAX - b.len,
		    off + (off_t)b.len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		b.len += (size_t)r;
	}
	msg_hdr_init(&h, b.s, b.len);
	while ((k = msg_hdr_next(&h, &f)) == 1) {
		if (!msg_field_is(&f, "Authentication-Results"))
			continue;
		if (msg_unfold(&v, f.value, f.valuelen) == -1)
			goto fail;
		if (!claims(v.s, v.len, id, &rest))
			continue;
		/* the first of ours: its dmarc result, up to its ';' */
		end = v.s + v.len;
		if ((p = word(v.s + rest, v.len - rest, "dmarc=fail")) != NULL) {
			semi = memchr(p, ';', (size_t)(end - p));
			if (semi == NULL)
				semi = end;
			yes = word(p, (size_t)(semi - p), "dis=quarantine") !=
			    NULL;
		}
		break;
	}
	buf_free(&b);
	buf_free(&v);
	return yes;
fail:
	save = errno;
	buf_free(&b);
	buf_free(&v);
	errno = save;
	return -1;
}
