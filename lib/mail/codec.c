#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "mail/codec.h"

/* Longest charset name accepted (RFC 2978 2.3 says 40; be generous). */
#define CHARSET_MAX	64

/* A decoder's output: out[start..) may grow to at most max bytes. */
struct sink {
	struct buf	*b;
	size_t		 start;
	size_t		 max;
};

static int	sink_init(struct sink *, struct buf *, size_t, size_t);
static int	sink_put(struct sink *, const void *, size_t);
static int	sink_putc(struct sink *, int);
static int	sink_fail(struct sink *);
static int	is_lws(unsigned char);
static size_t	utf8_badlen(const unsigned char *, size_t);
static int	charset_name(char *, const char *, size_t);
static int	charset_utf8(const char *);
static int	conv_iconv(struct buf *, const char *, const void *, size_t,
		    unsigned *);
static int	qp_quote(unsigned char, unsigned);

struct ew;
struct ewdec;
static int	ew_cschar(unsigned char);
static size_t	ew_parse(const char *, size_t, struct ew *, int *);
static int	ew_bytes(struct buf *, const struct ew *, unsigned);
static int	ewd_flush(struct ewdec *);
static int	ewd_text(struct ewdec *, const char *, size_t);
static int	ewd_known(struct ewdec *, const char *);
static int	ewd_check(struct ewdec *, const struct ew *);
static int	ewd_commit(struct ewdec *, const struct ew *);
static int	ewd_run(struct ewdec *, const char *, size_t);

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hexchars[] = "0123456789ABCDEF";

static int
sink_init(struct sink *k, struct buf *b, size_t max, size_t guess)
{
	k->b = b;
	k->start = b->len;
	k->max = max;
	return buf_ready(b, guess < max ? guess : max);
}

/* Append; past the cap append what fits and fail with EMSGSIZE. */
static int
sink_put(struct sink *k, const void *p, size_t n)
{
	size_t used = k->b->len - k->start;

	if (n > k->max - used) {
		if (buf_put(k->b, p, k->max - used) == -1)
			return -1;
		errno = EMSGSIZE;
		return -1;
	}
	return buf_put(k->b, p, n);
}

static int
sink_putc(struct sink *k, int c)
{
	char ch = (char)c;

	if (k->b->len - k->start < k->max && k->b->len + 1 < k->b->cap) {
		k->b->s[k->b->len++] = ch;
		k->b->s[k->b->len] = '\0';
		return 0;
	}
	return sink_put(k, &ch, 1);
}

/* On failure: keep the capped output for EMSGSIZE, else undo. */
static int
sink_fail(struct sink *k)
{
	int e = errno;

	if (e != EMSGSIZE)
		buf_truncate(k->b, k->start);
	errno = e;
	return -1;
}

int
b64_value(int c, int c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == c63)
		return 63;
	return -1;
}

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
is_lws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
cfws_skip(const char *s, size_t n, size_t i)
{
	int depth;

	while (i < n) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			i++;
			continue;
		}
		if (s[i] != '(')
			break;
		/* a comment, nested ones counted; unclosed: to the end */
		for (depth = 0; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && --depth == 0) {
				i++;
				break;
			}
		}
	}
	return i;
}

int
mime_token_char(int c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* base64 (RFC 4648 4) */

int
b64_encode_lines(struct buf *out, const void *in, size_t n, size_t linelen,
    const char *eol)
{
	const unsigned char *p = in;
	size_t start = out->len, col = 0, i, need, eollen, lines;
	char q[4];
	unsigned long v;

	if (eol == NULL)
		eol = "\r\n";
	eollen = strlen(eol);
	if (size_mul(n / 3 + 1, 4, &need) == -1)
		return -1;
	if (linelen > 0 &&
	    (size_mul(need / linelen + 1, eollen, &lines) == -1 ||
	    size_add(need, lines, &need) == -1))
		return -1;
	if (buf_ready(out, need) == -1)
		return -1;
	for (i = 0; i < n; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		for (size_t j = 0; j < 4; j++) {
			if (linelen > 0 && col == linelen) {
				if (buf_put(out, eol, eollen) == -1)
					goto fail;
				col = 0;
			}
			if (buf_putc(out, q[j]) == -1)
				goto fail;
			col++;
		}
	}
	if (linelen > 0 && n > 0 && buf_put(out, eol, eollen) == -1)
		goto fail;
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

int
b64_encode(struct buf *out, const void *in, size_t n)
{
	return b64_encode_lines(out, in, n, 0, NULL);
}

/* RFC 2045 6.8: lenient decoding of a MIME body */
int
b64_decode(struct buf *out, const void *in, size_t n, size_t max,
    unsigned *flags_r)
{
	const unsigned char *p = in;
	struct sink k;
	unsigned long acc = 0;
	unsigned flags = 0;
	size_t i, nacc = 0, pads = 0;
	int v;

	if (sink_init(&k, out, max, n / 4 * 3 + 3) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		v = b64_value(p[i], '/');
		if (v < 0) {
			if (p[i] == '=')
				break;
			if (!is_lws(p[i]))
				flags |= CODEC_F_BADCHAR;
			continue;
		}
		acc = acc << 6 | (unsigned long)v;
		if (++nacc == 4) {
			if (sink_putc(&k, (int)(acc >> 16 & 0xff)) == -1 ||
			    sink_putc(&k, (int)(acc >> 8 & 0xff)) == -1 ||
			    sink_putc(&k, (int)(acc & 0xff)) == -1)
				goto fail;
			acc = 0;
			nacc = 0;
		}
	}
	/* RFC 4648 4: the last group of 2 or 3 characters */
	if (nacc == 1)
		flags |= CODEC_F_PARTIAL;
	else if (nacc == 2) {
		if (sink_putc(&k, (int)(acc >> 4 & 0xff)) == -1)
			goto fail;
	} else if (nacc == 3) {
		if (sink_putc(&k, (int)(acc >> 10 & 0xff)) == -1 ||
		    sink_putc(&k, (int)(acc >> 2 & 0xff)) == -1)
			goto fail;
	}
	/* the padding, then nothing but blanks */
	for (; i < n; i++) {
		if (p[i] == '=')
			pads++;
		else if (!is_lws(p[i]))
			flags |= CODEC_F_TRAILING;
	}
	if (nacc >= 2 && pads < 4 - nacc)
		flags |= CODEC_F_NOPAD;
	else if ((nacc == 0 && pads > 0) || (nacc >= 2 && pads > 4 - nacc))
		flags |= CODEC_F_TRAILING;
	if (flags_r != NULL)
		*flags_r |= flags;
	return 0;
fail:
	return sink_fail(&k);
}

int
b64_decode_strict(struct buf *out, const void *in, size_t n, int allow_ws)
{
	const unsigned char *p = in;
	size_t start = out->len, i, q = 0, pads = 0;
	unsigned long acc = 0;
	int v;

	if (buf_ready(out, n / 4 * 3 + 3) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (allow_ws && is_lws(p[i]))
			continue;
		if (p[i] == '=') {
			pads++;
			continue;
		}
		if ((v = b64_value(p[i], '/')) < 0 || pads > 0)
			goto bad;
		acc = acc << 6 | (unsigned long)v;
		if (++q % 4 == 0) {
			out->s[out->len++] = (char)(acc >> 16 & 0xff);
			out->s[out->len++] = (char)(acc >> 8 & 0xff);
			out->s[out->len++] = (char)(acc & 0xff);
			acc = 0;
		}
	}
	/* RFC 4648 3.2, 4: padding fills the last group of four exactly */
	switch (q % 4) {
	case 0:
		if (pads != 0)
			goto bad;
		break;
	case 2:
		if (pads != 2)
			goto bad;
		out->s[out->len++] = (char)(acc >> 4 & 0xff);
		break;
	case 3:
		if (pads != 1)
			goto bad;
		out->s[out->len++] = (char)(acc >> 10 & 0xff);
		out->s[out->len++] = (char)(acc >> 2 & 0xff);
		break;
	default:
		goto bad;
	}
	out->s[out->len] = '\0';
	return 0;
bad:
	buf_truncate(out, start);
	errno = EINVAL;
	return -1;
}

/* quoted-printable (RFC 2045 6.7) */

int
qp_decode(struct buf *out, const void *in, size_t n, unsigned mode,
    size_t max, unsigned *flags_r)
{
	const unsigned char *p = in, *nl;
	struct sink k;
	unsigned flags = 0;
	size_t i = 0, ce, le, j;
	int hi, lo;

	if (sink_init(&k, out, max, n) == -1)
		return -1;
	while (i < n) {
		/* one line: content p[i..ce), line ending p[ce..le) */
		nl = memchr(p + i, '\n', n - i);
		le = nl == NULL ? n : (size_t)(nl - p) + 1;
		ce = nl == NULL ? n : (size_t)(nl - p);
		if (nl != NULL && ce > i && p[ce - 1] == '\r')
			ce--;
		/* rule 3: blanks at a line end were added in transport */
		while (ce > i && (p[ce - 1] == ' ' || p[ce - 1] == '\t'))
			ce--;
		for (j = i; j < ce; j++) {
			if (p[j] != '=') {
				if (sink_putc(&k, (mode & QP_HEADER) &&
				    p[j] == '_' ? ' ' : p[j]) == -1)
					goto fail;
				continue;
			}
			if (j + 1 == ce)
				break;	/* rule 5: a soft line break */
			if (j + 2 < ce && (hi = hex_value(p[j + 1])) >= 0 &&
			    (lo = hex_value(p[j + 2])) >= 0) {
				if (sink_putc(&k, hi << 4 | lo) == -1)
					goto fail;
				j += 2;
				continue;
			}
			/* note (2): keep an invalid '=' as it is */
			flags |= CODEC_F_BADEQ;
			if (sink_putc(&k, '=') == -1)
				goto fail;
		}
		if (j == ce && ce < le) {	/* a hard line break */
			for (j = ce; j < le; j++)
				if (p[j] == '\r' || p[j] == '\n')
					if (sink_putc(&k, p[j]) == -1)
						goto fail;
		}
		i = le;
	}
	if (flags_r != NULL)
		*flags_r |= flags;
	return 0;
fail:
	return sink_fail(&k);
}

/* One byte as QP: is it written as "=XX"? */
static int
qp_quote(unsigned char c, unsigned mode)
{
	if (c == ' ' || c == '\t')
		return (mode & QP_TABS) != 0;
	if (c == '=')
		return 1;
	if ((mode & QP_HEADER) && (c == '_' || c == '?'))
		return 1;
	return c < 33 || c > 126;
}

int
qp_encode(struct buf *out, const void *in, size_t n, unsigned mode)
{
	const unsigned char *p = in;
	const char *eol = (mode & QP_CRLF) ? "\r\n" : "\n";
	size_t start = out->len, i = 0, ce, le, j, col, tl;
	char t[3];
	int last, q;

	while (i < n) {
		/* a line: p[i..ce) and its ending p[ce..le) */
		ce = le = n;
		if (!(mode & QP_BINARY)) {
			const unsigned char *nl = memchr(p + i, '\n', n - i);

			if (nl != NULL) {
				le = (size_t)(nl - p) + 1;
				ce = (size_t)(nl - p);
				if (ce > i && p[ce - 1] == '\r')
					ce--;
			}
		}
		col = 0;
		for (j = i; j < ce; j++) {
			last = j + 1 == ce;
			q = qp_quote(p[j], mode);
			/* rule 3: no blank at a line end; no lone "." line */
			if (last && (p[j] == ' ' || p[j] == '\t'))
				q = 1;
			if (last && j == i && p[j] == '.')
				q = 1;
			if (q) {
				t[0] = '=';
				t[1] = hexchars[p[j] >> 4];
				t[2] = hexchars[p[j] & 15];
				tl = 3;
			} else {
				t[0] = (mode & QP_HEADER) && p[j] == ' ' ?
				    '_' : (char)p[j];
				tl = 1;
			}
			/* rule 5: at most 76 characters, "=" included */
			if (col + tl > 75 && !(last && col + tl <= 76)) {
				if (buf_putc(out, '=') == -1 ||
				    buf_puts(out, eol) == -1)
					goto fail;
				col = 0;
			}
			if (buf_put(out, t, tl) == -1)
				goto fail;
			col += tl;
		}
		if (le > ce && buf_puts(out, eol) == -1)
			goto fail;
		i = le;
	}
	if (buf_ready(out, 0) == -1)
		goto fail;
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

/* UTF-8 (RFC 3629 4: the syntax of UTF-8 byte sequences) */

size_t
utf8_next(const void *v, size_t n, uint32_t *cp)
{
	const unsigned char *s = v;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;
	uint32_t c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	if (s[0] < 0xe0) {
		need = 1;
		c = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		need = 2;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else {
		need = 3;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	}
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	*cp = c;
	return need + 1;
}

/* The length of the maximal invalid subpart at s (Unicode 3.9, D93b). */
static size_t
utf8_badlen(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 1;
	need = s[0] < 0xe0 ? 1 : s[0] < 0xf0 ? 2 : 3;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < 2 || s[1] < lo || s[1] > hi)
		return 1;
	for (i = 2; i < n && i <= need && (s[i] & 0xc0) == 0x80; i++)
		;
	return i;
}

int
utf8_valid(const void *v, size_t n)
{
	const unsigned char *s = v;
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((l = utf8_next(s + i, n - i, &cp)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

int
utf8_put(struct buf *b, uint32_t cp)
{
	char t[4];
	size_t n;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		errno = EINVAL;
		return -1;
	}
	if (cp < 0x80) {
		t[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | cp >> 6);
		t[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | cp >> 12);
		t[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		t[0] = (char)(0xf0 | cp >> 18);
		t[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		t[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_put(b, t, n);
}

int
utf8_repair(struct buf *out, const void *v, size_t n, int nonul,
    unsigned *flags_r)
{
	const unsigned char *s = v;
	size_t start = out->len, i = 0, j, l;
	unsigned flags = 0;
	uint32_t cp;

	if (buf_ready(out, n) == -1)
		return -1;
	while (i < n) {
		/* copy the longest valid run at once */
		for (j = i; j < n; j += l) {
			if (s[j] == '\0' && nonul)
				break;
			if (s[j] < 0x80)
				l = 1;
			else if ((l = utf8_next(s + j, n - j, &cp)) == 0)
				break;
		}
		if (buf_put(out, s + i, j - i) == -1)
			goto fail;
		if (j == n)
			break;
		if (s[j] == '\0') {
			flags |= CODEC_F_NUL;
			l = 1;
		} else {
			flags |= CODEC_F_BADUTF8;
			l = utf8_badlen(s + j, n - j);
		}
		if (buf_put(out, "\xef\xbf\xbd", 3) == -1)	/* U+FFFD */
			goto fail;
		i = j + l;
	}
	if (flags_r != NULL)
		*flags_r |= flags;
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

/* charsets */

/* Copy a charset name (RFC 2978 2.3: a token) to dst; -1 if it is not. */
static int
charset_name(char *dst, const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > CHARSET_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (!mime_token_char((unsigned char)s[i]))
			return -1;
		dst[i] = s[i];
	}
	dst[n] = '\0';
	return 0;
}

/*
 * UTF-8 and its subset US-ASCII are handled here.  US-ASCII labels on
 * 8-bit text are common; the bytes are kept when they are UTF-8.
 */
static int
charset_utf8(const char *cs)
{
	return ascii_casecmp(cs, "utf-8") == 0 ||
	    ascii_casecmp(cs, "utf8") == 0 ||
	    ascii_casecmp(cs, "us-ascii") == 0 ||
	    ascii_casecmp(cs, "ascii") == 0;
}

int
charset_known(const char *cs)
{
	char name[CHARSET_MAX + 1];
	iconv_t cd;

	if (cs == NULL || charset_name(name, cs, strlen(cs)) == -1)
		return 0;
	if (charset_utf8(name))
		return 1;
	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

/*
 * in[0..n) from charset cs to UTF-8, appended to tmp; no //IGNORE or
 * //TRANSLIT: an invalid byte becomes U+FFFD and conversion goes on.
 * The output is bounded.
 */
static int
conv_iconv(struct buf *tmp, const char *cs, const void *in, size_t n,
    unsigned *flags)
{
	char obuf[1024], *ip = (char *)(uintptr_t)in, *op;
	size_t il = n, ol, r, bound;
	iconv_t cd;
	int e;

	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1) {
		errno = EINVAL;
		return -1;
	}
	bound = n < ((size_t)-1 - 64) / 16 ? 16 * n + 64 : (size_t)-1;
	while (il > 0) {
		op = obuf;
		ol = sizeof(obuf);
		r = iconv(cd, &ip, &il, &op, &ol);
		e = errno;
		if (buf_put(tmp, obuf, (size_t)(op - obuf)) == -1)
			goto fail;
		if (tmp->len > bound) {
			*flags |= CODEC_F_TOOLONG;
			break;
		}
		if (r != (size_t)-1)
			continue;
		if (e == E2BIG && op != obuf)
			continue;
		*flags |= CODEC_F_BADCONV;
		if (buf_put(tmp, "\xef\xbf\xbd", 3) == -1)
			goto fail;
		if (e != EILSEQ)
			break;	/* EINVAL: cut short at the end */
		ip++;
		il--;
	}
	/* return to the initial shift state */
	op = obuf;
	ol = sizeof(obuf);
	if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1 &&
	    buf_put(tmp, obuf, (size_t)(op - obuf)) == -1)
		goto fail;
	iconv_close(cd);
	return 0;
fail:
	e = errno;
	iconv_close(cd);
	errno = e;
	return -1;
}

int
charset_to_utf8(struct buf *out, const char *cs, const void *in, size_t n,
    unsigned *flags_r)
{
	struct buf tmp = BUF_INIT;
	char name[CHARSET_MAX + 1];
	unsigned flags = 0, f = 0;
	int r;

	if (cs == NULL || charset_name(name, cs, strlen(cs)) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (charset_utf8(name))
		r = utf8_repair(out, in, n, 0, &f);
	else if ((r = conv_iconv(&tmp, name, in, n, &flags)) == 0)
		r = utf8_repair(out, tmp.s, tmp.len, 0, &f);
	buf_free(&tmp);
	if (f & CODEC_F_BADUTF8)
		flags |= CODEC_F_BADCONV;
	if (r == 0 && flags_r != NULL)
		*flags_r |= flags;
	return r;
}

int
charset_decode(struct buf *out, const char *cs, const void *in, size_t n,
    unsigned *flags_r)
{
	unsigned f = 0;

	if (cs != NULL && *cs != '\0') {
		if (charset_to_utf8(out, cs, in, n, flags_r) == 0)
			return 0;
		if (errno != EINVAL)
			return -1;
		f = CODEC_F_CHARSET;
	}
	if (utf8_repair(out, in, n, 0, &f) == -1)
		return -1;
	if (flags_r != NULL)
		*flags_r |= f;
	return 0;
}

/* RFC 2231 4: extended values */

int
pct_decode(struct buf *out, const char *s, size_t n, unsigned *flags_r)
{
	size_t i;
	int hi, lo;

	if (buf_ready(out, n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
			out->s[out->len++] = (char)(hi << 4 | lo);
			i += 2;
			continue;
		}
		if (s[i] == '%' && flags_r != NULL)
			*flags_r |= CODEC_F_BADEQ;
		out->s[out->len++] = s[i];
	}
	out->s[out->len] = '\0';
	return 0;
}

int
rfc2231_value(struct buf *out, const char *s, size_t n, struct buf *lang_r,
    unsigned *flags_r)
{
	struct buf raw = BUF_INIT;
	char cs[CHARSET_MAX + 1];
	const char *a, *b;
	int r;

	cs[0] = '\0';
	a = memchr(s, '\'', n);
	b = a == NULL ? NULL : memchr(a + 1, '\'', n - (size_t)(a + 1 - s));
	if (b != NULL) {
		/* charset'language'value */
		if (a > s && charset_name(cs, s, (size_t)(a - s)) == -1) {
			/* not a token: unknown charset */
			cs[0] = '?';
			cs[1] = '\0';
		}
		if (lang_r != NULL && buf_set(lang_r, a + 1,
		    (size_t)(b - a - 1)) == -1)
			return -1;
		n -= (size_t)(b + 1 - s);
		s = b + 1;
	} else if (lang_r != NULL)
		buf_reset(lang_r);
	if (pct_decode(&raw, s, n, flags_r) == -1)
		return -1;
	r = charset_decode(out, cs, raw.s, raw.len, flags_r);
	buf_free(&raw);
	return r;
}

/* RFC 2047 encoded words */

struct ew {
	char		 cs[CHARSET_MAX + 1];
	char		 enc;		/* 'B' or 'Q' */
	const char	*text;
	size_t		 textlen;
	size_t		 len;		/* of the whole word */
};

/* RFC 2047 2: especials may not appear in a charset or encoding */
static int
ew_cschar(unsigned char c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\"/[]?.=", c) == NULL;
}

/*
 * Is s[0..n) the start of an encoded word?  Its length (w filled), 0 if
 * it is not one; *broken is set if it starts like one but is not.
 */
static size_t
ew_parse(const char *s, size_t n, struct ew *w, int *broken)
{
	size_t i = 2, cs, cl;
	const char *star;

	*broken = 0;
	if (n < 2 || s[0] != '=' || s[1] != '?')
		return 0;
	while (i < n && ew_cschar((unsigned char)s[i]))
		i++;
	cs = 2;
	cl = i - 2;
	if (cl == 0 || i + 2 >= n || s[i] != '?' || s[i + 2] != '?')
		return 0;
	w->enc = (char)(s[i + 1] & ~0x20);
	if (w->enc != 'B' && w->enc != 'Q')
		return 0;
	/* RFC 2231 5: charset*language */
	if ((star = memchr(s + cs, '*', cl)) != NULL)
		cl = (size_t)(star - (s + cs));
	*broken = 1;
	i += 3;
	w->text = s + i;
	/* encoded-text: printable ASCII but '?' and SPACE */
	while (i < n && s[i] > ' ' && s[i] < 127 && s[i] != '?')
		i++;
	if (i + 1 >= n || s[i] != '?' || s[i + 1] != '=')
		return 0;
	w->textlen = (size_t)(s + i - w->text);
	w->len = i + 2;
	if (w->len > RFC2047_WORD_MAX || charset_name(w->cs, s + cs, cl) == -1)
		return 0;
	*broken = 0;
	return w->len;
}

/* The bytes of a word's text, appended to raw; -1 if it is broken. */
static int
ew_bytes(struct buf *raw, const struct ew *w, unsigned mode)
{
	size_t start = raw->len, i;
	unsigned f = 0;
	int hi, lo;
	unsigned char c;

	if (w->enc == 'B') {
		if (b64_decode(raw, w->text, w->textlen, CODEC_NOMAX, &f) == -1)
			return -1;
		if (f & (CODEC_F_BADCHAR | CODEC_F_PARTIAL | CODEC_F_TRAILING))
			goto bad;
		return 0;
	}
	/* RFC 2047 4.2 */
	for (i = 0; i < w->textlen; i++) {
		c = (unsigned char)w->text[i];
		/* 5(3): in a phrase, only these */
		if ((mode & (RFC2047_PHRASE | RFC2047_LAX)) == RFC2047_PHRASE &&
		    !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && strchr("!*+-/=_", c) == NULL)
			goto bad;
		if (c == '_')
			c = ' ';
		else if (c == '=') {
			if (i + 2 >= w->textlen ||
			    (hi = hex_value((unsigned char)w->text[i + 1])) < 0 ||
			    (lo = hex_value((unsigned char)w->text[i + 2])) < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (buf_putc(raw, c) == -1)
			return -1;
	}
	return 0;
bad:
	buf_truncate(raw, start);
	errno = EINVAL;
	return -1;
}

struct ewdec {
	struct buf	*out;
	unsigned	 mode;
	unsigned	 flags;
	struct buf	 raw;		/* adjacent words' bytes, one charset */
	struct buf	 word;		/* bytes of the word being checked */
	char		 cs[CHARSET_MAX + 1];	/* their charset; "" none */
	const char	*ws;		/* blanks not yet written */
	size_t		 wslen;
	int		 prev_ew;	/* the last thing seen was a word */
	char		 known[CHARSET_MAX + 1];	/* last known charset */
};

/* Convert the pending bytes of encoded words. */
static int
ewd_flush(struct ewdec *d)
{
	struct buf tmp = BUF_INIT;
	int r;

	if (d->cs[0] == '\0')
		return 0;
	r = charset_to_utf8(&tmp, d->cs, d->raw.s, d->raw.len, &d->flags);
	if (r == 0)
		r = utf8_repair(d->out, tmp.s, tmp.len, 1, &d->flags);
	buf_free(&tmp);
	buf_reset(&d->raw);
	d->cs[0] = '\0';
	return r;
}

/* Text that is not an encoded word, after the blanks before it. */
static int
ewd_text(struct ewdec *d, const char *s, size_t n)
{
	size_t i;

	if (ewd_flush(d) == -1)
		return -1;
	if (d->wslen > 0 && buf_put(d->out, d->ws, d->wslen) == -1)
		return -1;
	d->wslen = 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			d->flags |= CODEC_F_8BIT;
	d->prev_ew = 0;
	return utf8_repair(d->out, s, n, 1, &d->flags);
}

/* Can the word's charset be converted?  Remembers the last yes. */
static int
ewd_known(struct ewdec *d, const char *cs)
{
	if (ascii_casecmp(cs, d->known) == 0)
		return 1;
	if (!charset_known(cs))
		return 0;
	memcpy(d->known, cs, strlen(cs) + 1);
	return 1;
}

/* Can the word be decoded?  1 yes (its bytes in d->word), 0 no. */
static int
ewd_check(struct ewdec *d, const struct ew *w)
{
	if (!ewd_known(d, w->cs)) {
		d->flags |= CODEC_F_CHARSET;
		return 0;
	}
	buf_reset(&d->word);
	if (ew_bytes(&d->word, w, d->mode) == -1) {
		if (errno != EINVAL)
			return -1;
		d->flags |= CODEC_F_BADWORD;
		return 0;
	}
	return 1;
}

/* Add the word that ewd_check accepted. */
static int
ewd_commit(struct ewdec *d, const struct ew *w)
{
	if (d->prev_ew) {
		/* RFC 2047 6.2: blanks between adjacent words are dropped */
		d->wslen = 0;
		if (ascii_casecmp(d->cs, w->cs) != 0 && ewd_flush(d) == -1)
			return -1;
	} else if (d->wslen > 0) {
		if (buf_put(d->out, d->ws, d->wslen) == -1)
			return -1;
		d->wslen = 0;
	}
	if (buf_put(&d->raw, d->word.s, d->word.len) == -1)
		return -1;
	memcpy(d->cs, w->cs, strlen(w->cs) + 1);
	d->prev_ew = 1;
	d->flags |= CODEC_F_ENCWORD;
	return 1;
}

/* A run of non-blank bytes s[0..n). */
static int
ewd_run(struct ewdec *d, const char *s, size_t n)
{
	struct ew w;
	size_t i, t, l;
	int broken, r;

	if (!(d->mode & RFC2047_LAX)) {
		/* RFC 2047 5(1): only a run of whole words is decoded */
		for (i = 0; i < n; i += l) {
			if ((l = ew_parse(s + i, n - i, &w, &broken)) == 0) {
				if (broken)
					d->flags |= CODEC_F_BADWORD;
				return ewd_text(d, s, n);
			}
		}
		for (i = 0; i < n; i += w.len) {
			(void)ew_parse(s + i, n - i, &w, &broken);
			if ((r = ewd_check(d, &w)) == 1)
				r = ewd_commit(d, &w);
			if (r == -1)
				return -1;
			if (r == 0)
				return ewd_text(d, s + i, n - i);
		}
		return 0;
	}
	/* RFC2047_LAX: a word anywhere */
	for (i = t = 0; i < n; ) {
		if ((l = ew_parse(s + i, n - i, &w, &broken)) == 0) {
			if (broken)
				d->flags |= CODEC_F_BADWORD;
			i++;
			continue;
		}
		if ((r = ewd_check(d, &w)) == -1)
			return -1;
		if (r == 1) {
			if (t < i && ewd_text(d, s + t, i - t) == -1)
				return -1;
			if (ewd_commit(d, &w) == -1)
				return -1;
			t = i + l;
		}
		i += l;
	}
	return t < n ? ewd_text(d, s + t, n - t) : 0;
}

int
rfc2047_decode(struct buf *out, const char *s, size_t n, unsigned mode,
    unsigned *flags_r)
{
	struct ewdec d;
	size_t start = out->len, i = 0, j;
	int quoted;

	memset(&d, 0, sizeof(d));
	d.out = out;
	d.mode = mode;
	if (buf_ready(out, n) == -1)
		return -1;
	while (i < n) {
		if (is_lws((unsigned char)s[i])) {
			for (j = i; j < n && is_lws((unsigned char)s[j]); j++)
				;
			d.ws = s + i;
			d.wslen = j - i;
			i = j;
			continue;
		}
		/* RFC 2047 5(2): parentheses delimit words in a comment */
		if ((mode & RFC2047_COMMENT) && (s[i] == '(' || s[i] == ')')) {
			if (ewd_text(&d, s + i, 1) == -1)
				goto fail;
			i++;
			continue;
		}
		/* RFC 2047 5(3): not inside a quoted-string */
		quoted = (mode & (RFC2047_PHRASE | RFC2047_LAX)) ==
		    RFC2047_PHRASE && s[i] == '"';
		for (j = i + quoted; j < n; j++) {
			if (quoted) {
				if (s[j] == '\\' && j + 1 < n)
					j++;
				else if (s[j] == '"') {
					j++;
					break;
				}
			} else if (is_lws((unsigned char)s[j]) ||
			    ((mode & RFC2047_COMMENT) &&
			    (s[j] == '(' || s[j] == ')')) ||
			    ((mode & (RFC2047_PHRASE | RFC2047_LAX)) ==
			    RFC2047_PHRASE && s[j] == '"'))
				break;
		}
		if ((quoted ? ewd_text(&d, s + i, j - i) :
		    ewd_run(&d, s + i, j - i)) == -1)
			goto fail;
		i = j;
	}
	if (ewd_flush(&d) == -1)
		goto fail;
	if (d.wslen > 0 && buf_put(out, d.ws, d.wslen) == -1)
		goto fail;
	buf_free(&d.raw);
	buf_free(&d.word);
	if (flags_r != NULL)
		*flags_r |= d.flags;
	return 0;
fail:
	buf_free(&d.raw);
	buf_free(&d.word);
	buf_truncate(out, start);
	return -1;
}

/*
 * xtext (RFC 3461 4)
 */

static int
xtext_hex(int c)
{
	/* RFC 3461 4: HEXCHAR is upper case only */
	return c >= 'a' && c <= 'f' ? -1 : hex_value(c);
}

/* xtext, with utf8 also UTF-8 (RFC 6533 4: utf-8-addr-xtext) */
static int
xtext_ok(const char *s, size_t n, int utf8)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			if (n - i < 3 || xtext_hex((unsigned char)s[i + 1]) < 0 ||
			    xtext_hex((unsigned char)s[i + 2]) < 0)
				return 0;
			i += 2;
		} else if (c >= 0x80 && utf8)
			continue;
		else if (c < 33 || c > 126 || c == '=')
			return 0;
	}
	return !utf8 || (memchr(s, '\0', n) == NULL && utf8_valid(s, n));
}

int
xtext_valid(const char *s, size_t n)
{
	return xtext_ok(s, n, 0);
}

int
xtext_utf8_valid(const char *s, size_t n)
{
	return xtext_ok(s, n, 1);
}

int
xtext_decode(const char *s, size_t n, struct buf *out)
{
	size_t i;
	int c;

	buf_reset(out);
	if (buf_ready(out, n) == -1)
		return -1;
	if (!xtext_utf8_valid(s, n)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			c = xtext_hex((unsigned char)s[i + 1]) * 16 +
			    xtext_hex((unsigned char)s[i + 2]);
			i += 2;
		}
		if (buf_putc(out, c) == -1)
			return -1;
	}
	return 0;
}

int
xtext_encode(const char *s, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	int c;

	buf_reset(out);
	if (buf_ready(out, n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 33 || c > 126 || c == '+' || c == '=') {
			if (buf_putc(out, '+') == -1 ||
			    buf_putc(out, hex[c >> 4]) == -1 ||
			    buf_putc(out, hex[c & 15]) == -1)
				return -1;
		} else if (buf_putc(out, c) == -1)
			return -1;
	}
	return 0;
}
