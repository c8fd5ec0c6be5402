#include <errno.h>
#include <stddef.h>

#include "mail/codec.h"
#include "mail/mutf7.h"

/* RFC 3501 5.1.3: RFC 2045 base64 with ',' in place of '/' */
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

struct run;

static int	fail(struct buf *, size_t, int);
static int	run_add(struct buf *, struct run *, unsigned int);
static int	run_close(struct buf *, struct run *);

static int
fail(struct buf *out, size_t mark, int err)
{
	buf_truncate(out, mark);
	errno = err;
	return -1;
}

/* Modified base64 state of one run: bits not yet written. */
struct run {
	unsigned long	acc;
	int		bits;
	int		open;
};

/* Add one UTF-16 unit to the run, opening it with '&' if needed. */
static int
run_add(struct buf *out, struct run *r, unsigned int unit)
{
	if (!r->open) {
		if (buf_putc(out, '&') == -1)
			return -1;
		r->open = 1;
	}
	r->acc = (r->acc << 16) | unit;
	r->bits += 16;
	while (r->bits >= 6) {
		r->bits -= 6;
		if (buf_putc(out, b64[(r->acc >> r->bits) & 0x3f]) == -1)
			return -1;
	}
	r->acc &= (1UL << r->bits) - 1;
	return 0;
}

/* Close an open run: the last sextet padded with zero bits, no '='. */
static int
run_close(struct buf *out, struct run *r)
{
	if (!r->open)
		return 0;
	if (r->bits > 0 &&
	    buf_putc(out, b64[(r->acc << (6 - r->bits)) & 0x3f]) == -1)
		return -1;
	r->acc = 0;
	r->bits = 0;
	r->open = 0;
	return buf_putc(out, '-');
}

int
mutf7_encode(const char *str, size_t n, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)str;
	struct run r = { 0, 0, 0 };
	uint32_t cp;
	size_t mark = out->len, i = 0, len;

	while (i < n) {
		if ((len = utf8_next(s + i, n - i, &cp)) == 0 || cp == 0)
			return fail(out, mark, EILSEQ);
		i += len;
		if (cp >= 0x20 && cp <= 0x7e) {
			/*
			 * RFC 3501 5.1.3: printable US-ASCII represents
			 * itself, '&' is "&-"; it ends any open run.
			 */
			if (run_close(out, &r) == -1 ||
			    buf_putc(out, (int)cp) == -1 ||
			    (cp == '&' && buf_putc(out, '-') == -1))
				return fail(out, mark, errno);
		} else if (cp > 0xffff) {
			/* UTF-16 surrogate pair (RFC 2781 2.1) */
			cp -= 0x10000;
			if (run_add(out, &r, 0xd800 | (unsigned)(cp >> 10)) ==
			    -1 ||
			    run_add(out, &r, 0xdc00 | (unsigned)(cp & 0x3ff)) ==
			    -1)
				return fail(out, mark, errno);
		} else if (run_add(out, &r, (unsigned)cp) == -1)
			return fail(out, mark, errno);
	}
	if (run_close(out, &r) == -1)
		return fail(out, mark, errno);
	return 0;
}

int
mutf7_decode(const char *str, size_t n, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long acc, cp, hi;
	size_t mark = out->len, i = 0, start;
	int bits, v, after_run = 0;

	while (i < n) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			/* RFC 3501 5.1.3: only printable US-ASCII appears */
			return fail(out, mark, EILSEQ);
		if (s[i] != '&') {
			if (buf_putc(out, s[i]) == -1)
				return fail(out, mark, errno);
			i++;
			after_run = 0;
			continue;
		}
		i++;
		if (i < n && s[i] == '-') {
			/* "&-" is '&' */
			if (buf_putc(out, '&') == -1)
				return fail(out, mark, errno);
			i++;
			after_run = 0;
			continue;
		}
		/* a run right after a run: the two must have been one */
		if (after_run)
			return fail(out, mark, EILSEQ);
		acc = 0;
		bits = 0;
		hi = 0;
		start = i;
		while (i < n && s[i] != '-') {
			if ((v = b64_value(s[i], ',')) == -1)
				return fail(out, mark, EILSEQ);
			i++;
			acc = (acc << 6) | (unsigned long)v;
			bits += 6;
			if (bits < 16)
				continue;
			bits -= 16;
			cp = (acc >> bits) & 0xffff;
			acc &= (1UL << bits) - 1;
			if (hi != 0) {
				/* RFC 2781 2.2: a high surrogate needs a low */
				if (cp < 0xdc00 || cp > 0xdfff)
					return fail(out, mark, EILSEQ);
				cp = 0x10000 + ((hi - 0xd800) << 10) +
				    (cp - 0xdc00);
				hi = 0;
			} else if (cp >= 0xd800 && cp <= 0xdbff) {
				hi = cp;
				continue;
			} else if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(out, mark, EILSEQ);
			/* printable ASCII must not be encoded; no NUL */
			if (cp == 0 || (cp >= 0x20 && cp <= 0x7e))
				return fail(out, mark, EILSEQ);
			if (utf8_put(out, (uint32_t)cp) == -1)
				return fail(out, mark, errno);
		}
		/*
		 * Unterminated, empty, a pending high surrogate, a whole
		 * unused sextet or non-zero padding bits: not minimal.
		 */
		if (i == n || i == start || hi != 0 || bits >= 6 || acc != 0)
			return fail(out, mark, EILSEQ);
		i++;	/* the '-' */
		after_run = 1;
	}
	return 0;
}
