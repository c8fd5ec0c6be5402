/*
 * fuzz_smtp: libFuzzer harness for the SMTP server's input handling.
 *
 * 1. Command arguments (lib/esmtp.c, addr_smtp_path): every input line is
 *    taken as a command, its path parsed and its parameters parsed as MAIL
 *    and RCPT parameters under several offer masks and SIZE limits (from
 *    the first two input bytes).  What parses must parse again, under the
 *    full offer and from its canonical form, to the same result; results
 *    must stay within what was offered.  xtext: decode(encode(x)) == x for
 *    any bytes, valid text always decodes; the UTF-8 and xtext predicates
 *    are checked against independent implementations of RFC 3629 section 4
 *    and RFC 3461 section 4.
 * 2. The DATA decoder (smtpd_dot_feed): the whole input, and what follows a
 *    "DATA" line in it, fed at once, byte by byte and in chunks sized by
 *    the input; all must agree with each other and with a separate model
 *    of RFC 5321 4.1.1.4 / 4.5.2 written here: same bytes out, same end,
 *    same flags, never more bytes out than in, nothing after the end.  A
 *    clean message dot-stuffed again decodes to itself.
 * 3. A whole session (smtpd_serve) on the input, from an unlinked file to
 *    another: every reply well formed (RFC 5321 4.2), and no transaction
 *    that smtpd accepted is refused by queue-inject's own checks for its
 *    parameters.  POSTERN_QUEUE and POSTERN_CONF point at directories that
 *    do not exist, so nothing is queued and no file is left behind (a
 *    spool file, when smtpd makes one, is unlinked at once); the last
 *    input byte picks the configuration.
 *
 * A broken invariant calls abort().
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "base/buf.h"
#include "base/log.h"
#include "mail/addr.h"
#include "mail/codec.h"
#include "smtp/esmtp.h"
#include "smtp/smtpd.h"
#include "smtp/smtpd_dot.h"

/* The NOTIFY bits as the parameter's value, into b (replaced). */
static int
notify_str(unsigned bits, struct buf *b)
{
	struct param_val v = { .u = bits };

	buf_reset(b);
	return param_write(PARAM_NOTIFY, &v, b);
}

#define MAXLINES	256	/* lines of one input taken as commands */
#define XTEXT_MAX	1024	/* longest argument checked as xtext */
#define BYTEWISE_MAX	16384	/* longest input also fed byte by byte */

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define check(e)	do { if (!(e)) fail(__LINE__, #e); } while (0)

static void	fail(int, const char *) __attribute__((noreturn));

static void
fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_smtp.c:%d: check failed: %s\n", line, what);
	abort();
}

static void
put(struct buf *b, const void *p, size_t n)
{
	if (buf_put(b, p, n) == -1)
		abort();
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* ---- independent references ------------------------------------- */

/* RFC 3629 section 4, the grammar as written; NUL not allowed. */
static int
ref_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned char lo, hi;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80, hi = 0xbf;
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] == 0xe0)
			len = 3, lo = 0xa0;
		else if ((s[i] >= 0xe1 && s[i] <= 0xec) || s[i] == 0xee ||
		    s[i] == 0xef)
			len = 3;
		else if (s[i] == 0xed)
			len = 3, hi = 0x9f;
		else if (s[i] == 0xf0)
			len = 4, lo = 0x90;
		else if (s[i] >= 0xf1 && s[i] <= 0xf3)
			len = 4;
		else if (s[i] == 0xf4)
			len = 4, hi = 0x8f;
		else
			return 0;
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

static int
is_hexchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/*
 * RFC 3461 4: xtext = *( xchar / hexchar ); with utf8, RFC 6533 4
 * utf-8-addr-xtext: UTF-8 (non-ASCII) stands for itself as well.
 */
static int
ref_xtext(const unsigned char *s, size_t n, int utf8)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			if (n - i < 3 || !is_hexchar(s[i + 1]) ||
			    !is_hexchar(s[i + 2]))
				return 0;
			i += 2;
		} else if (s[i] >= 0x80 && utf8)
			continue;
		else if (s[i] < 33 || s[i] > 126 || s[i] == '=')
			return 0;
	}
	return !utf8 || ref_utf8(s, n);
}

/*
 * The DATA decoder as RFC 5321 4.1.1.4 and 4.5.2 say, with look-ahead
 * instead of a state machine: a line starts only after CRLF (or at the
 * start, after the DATA command's CRLF); "." CRLF there ends the data;
 * another leading "." is dropped.  Bytes whose meaning depends on what has
 * not come yet (a last CR, a "." or "." CR at a line start) are held back,
 * as a decoder fed in pieces must.
 */
static size_t
ref_dot(const unsigned char *p, size_t n, struct buf *out, unsigned *flags_r,
    int *end_r)
{
	size_t i = 0, linelen = 0;
	unsigned flags = 0;
	int bol = 1;

	*end_r = 0;
	/* never more out than in: room for all of it, once */
	if (buf_ready(out, n) == -1)
		abort();
	while (i < n) {
		if (bol && p[i] == '.') {
			if (n - i >= 3 && p[i + 1] == '\r' && p[i + 2] == '\n') {
				*end_r = 1;
				i += 3;
				break;
			}
			if (n - i == 1 || (n - i == 2 && p[i + 1] == '\r')) {
				linelen += n - i;	/* held back */
				break;
			}
			/* the dot is dropped, and not counted (RFC 5321
			 * 4.5.3.1.6) */
			i++;
			bol = 0;
		} else if (p[i] == '\r') {
			bol = 0;
			if (n - i == 1) {
				linelen++;	/* held back */
				break;
			}
			if (p[i + 1] == '\n') {
				out->s[out->len++] = '\r';
				out->s[out->len++] = '\n';
				linelen += 2;
				if (linelen > SMTPD_TEXT_MAX)
					flags |= SMTPD_DOT_LONGLINE;
				linelen = 0;
				bol = 1;
				i += 2;
				continue;
			}
			flags |= SMTPD_DOT_BARE_CR;
			out->s[out->len++] = '\r';
			linelen++;
			i++;
		} else {
			bol = 0;
			if (p[i] == '\n')
				flags |= SMTPD_DOT_BARE_LF;
			if (p[i] == '\0')
				flags |= SMTPD_DOT_NUL;
			out->s[out->len++] = (char)p[i];
			linelen++;
			if (linelen > SMTPD_TEXT_MAX)
				flags |= SMTPD_DOT_LONGLINE;
			if (p[i] == '\n')
				linelen = 0;
			i++;
			continue;
		}
		if (linelen > SMTPD_TEXT_MAX)
			flags |= SMTPD_DOT_LONGLINE;
	}
	if (linelen > SMTPD_TEXT_MAX)
		flags |= SMTPD_DOT_LONGLINE;
	if (out->s != NULL)
		out->s[out->len] = '\0';
	*flags_r = flags;
	return *end_r ? i : n;
}

/* ---- 2. the DATA decoder ------------------------------------------ */

struct dotres {
	struct buf	 out;
	size_t		 used;
	unsigned	 flags;
	int		 end;
};

/*
 * Feed p[0..n) in pieces: sizes from sz[] (cycled, 1 + sz % mod), or all
 * at once when nsz is 0.  Stops at the end, as cmd_data does.
 */
static void
dot_run(const char *p, size_t n, const uint8_t *sz, size_t nsz, unsigned mod,
    struct dotres *r)
{
	struct smtpd_dot d;
	size_t off = 0, len, used, k = 0;
	int end = 0;

	smtpd_dot_init(&d);
	buf_reset(&r->out);
	r->end = 0;
	while (off < n && !end) {
		len = nsz == 0 ? n - off : 1 + sz[k++ % nsz] % mod;
		if (len > n - off)
			len = n - off;
		used = smtpd_dot_feed(&d, p + off, len, &r->out, &end);
		check(used <= len);
		check(end || used == len);
		check(end == 0 || end == 1);
		off += used;
		/* never more out than in (a piece may give out more than
		 * it brought: a CR held back from the one before) */
		check(r->out.len <= off);
	}
	r->used = off;
	r->end = end;
	r->flags = d.flags;
	check(r->out.len <= r->used);
}

static int
dot_same(const struct dotres *a, const struct dotres *b)
{
	return a->used == b->used && a->end == b->end &&
	    a->flags == b->flags && a->out.len == b->out.len &&
	    (a->out.len == 0 || memcmp(a->out.s, b->out.s, a->out.len) == 0);
}

static void
fuzz_dot(const char *p, size_t n, const uint8_t *sz, size_t nsz)
{
	struct dotres one, bytes, chunks, ref, pre, again;
	struct buf stuffed = BUF_INIT;
	size_t i;

	memset(&one, 0, sizeof(one));
	memset(&bytes, 0, sizeof(bytes));
	memset(&chunks, 0, sizeof(chunks));
	memset(&ref, 0, sizeof(ref));
	memset(&pre, 0, sizeof(pre));
	memset(&again, 0, sizeof(again));

	dot_run(p, n, NULL, 0, 1, &one);
	if (n <= BYTEWISE_MAX) {
		dot_run(p, n, (const uint8_t *)"", 1, 1, &bytes);
		check(dot_same(&one, &bytes));
	}
	dot_run(p, n, sz, nsz, nsz > 0 && (sz[0] & 1) ? 256 : 7, &chunks);
	ref.used = ref_dot((const unsigned char *)p, n, &ref.out, &ref.flags,
	    &ref.end);
	check(dot_same(&one, &ref));
	check(dot_same(&one, &chunks));

	if (one.end) {
		/* the end is "." CRLF at a line start */
		check(one.used >= 3 && memcmp(p + one.used - 3, ".\r\n",
		    3) == 0);
		check(one.used == 3 || (one.used >= 5 &&
		    memcmp(p + one.used - 5, "\r\n", 2) == 0));
		/* nothing after the end counts: the prefix alone gives it */
		dot_run(p, one.used, NULL, 0, 1, &pre);
		check(dot_same(&one, &pre));
		check(one.out.len == 0 || (one.out.len >= 2 &&
		    memcmp(one.out.s + one.out.len - 2, "\r\n", 2) == 0));
		/* RFC 5321 4.5.2: a clean message, dot-stuffed again and
		 * ended, decodes to itself */
		if (!(one.flags & (SMTPD_DOT_BARE_CR | SMTPD_DOT_BARE_LF))) {
			for (i = 0; i < one.out.len; i++) {
				if (one.out.s[i] == '.' && (i == 0 ||
				    one.out.s[i - 1] == '\n'))
					put(&stuffed, ".", 1);
				put(&stuffed, one.out.s + i, 1);
			}
			put(&stuffed, ".\r\n", 3);
			dot_run(stuffed.s, stuffed.len, NULL, 0, 1, &again);
			check(again.end && again.used == stuffed.len);
			check(again.out.len == one.out.len &&
			    (one.out.len == 0 || memcmp(again.out.s,
			    one.out.s, one.out.len) == 0));
			check((again.flags & ~SMTPD_DOT_LONGLINE) ==
			    (one.flags & ~SMTPD_DOT_LONGLINE));
		}
	} else
		check(one.used == n);
	/* the flags tell the truth about what was output */
	if (!(one.flags & SMTPD_DOT_NUL))
		check(one.out.len == 0 ||
		    memchr(one.out.s, '\0', one.out.len) == NULL);
	if (!(one.flags & (SMTPD_DOT_BARE_CR | SMTPD_DOT_BARE_LF)))
		for (i = 0; i < one.out.len; i++)
			check((one.out.s[i] == '\r') == (i + 1 < one.out.len &&
			    one.out.s[i + 1] == '\n') &&
			    (one.out.s[i] != '\n' || (i > 0 &&
			    one.out.s[i - 1] == '\r')));

	buf_free(&one.out);
	buf_free(&bytes.out);
	buf_free(&chunks.out);
	buf_free(&ref.out);
	buf_free(&pre.out);
	buf_free(&again.out);
	buf_free(&stuffed);
}

/* ---- 1. command arguments ----------------------------------------- */

static int
mail_same(const struct esmtp_mail *a, const struct esmtp_mail *b)
{
	return a->body == b->body && a->has_size == b->has_size &&
	    a->size == b->size && a->smtputf8 == b->smtputf8 &&
	    a->requiretls == b->requiretls && a->ret == b->ret &&
	    a->envid.len == b->envid.len && (a->envid.len == 0 ||
	    memcmp(a->envid.s, b->envid.s, a->envid.len) == 0);
}

static void
check_mail(const char *s, unsigned allow, unsigned long long maxsize)
{
	static const char *const body[] = { NULL, "7BIT", "8BITMIME",
	    "BINARYMIME" };
	struct esmtp_mail m, m2;
	struct buf canon = BUF_INIT;
	const char *bad = NULL;
	enum esmtp_err e, e2;
	size_t n = strlen(s);

	memset(&m, 0, sizeof(m));
	memset(&m2, 0, sizeof(m2));
	e = esmtp_mail_params(s, allow, maxsize, &m, &bad);
	check(e == ESMTP_OK || e == ESMTP_E_SYNTAX || e == ESMTP_E_UNKNOWN ||
	    e == ESMTP_E_DUP || e == ESMTP_E_SIZE);
	check(bad != NULL && bad >= s && bad <= s + n);
	if (e == ESMTP_E_SIZE)
		check(maxsize > 0 && m.has_size && m.size > maxsize);
	if (e != ESMTP_OK)
		goto out;
	/* nothing that was not on offer */
	check(!m.has_size || (allow & PARAM_EXT_SIZE));
	check(!m.has_size || maxsize == 0 || m.size <= maxsize);
	check(m.body != PARAM_BODY_8BITMIME || (allow & PARAM_EXT_8BITMIME));
	check(m.body != PARAM_BODY_BINARYMIME ||
	    (allow & PARAM_EXT_BINARYMIME));
	check(m.body == PARAM_BODY_NONE || (allow & (PARAM_EXT_8BITMIME |
	    PARAM_EXT_BINARYMIME)));
	check(!m.smtputf8 || (allow & PARAM_EXT_SMTPUTF8));
	check(!m.requiretls || (allow & PARAM_EXT_REQUIRETLS));
	check((m.ret == PARAM_RET_NONE && m.envid.len == 0) ||
	    (allow & PARAM_EXT_DSN));
	check(m.body <= PARAM_BODY_BINARYMIME && m.ret <= PARAM_RET_HDRS);
	check(m.envid.len <= PARAM_ENVID_MAX);
	check(m.envid.len == 0 || ref_xtext((const unsigned char *)m.envid.s,
	    m.envid.len, 0));
	/* no parameters unless something was on offer */
	if (allow == 0) {
		check(strspn(s, " ") == n);
		check(mail_same(&m, &m2));
	}
	/* more on offer takes at least as much, the same way */
	e2 = esmtp_mail_params(s, PARAM_EXT_ALL, 0, &m2, NULL);
	check(e2 == ESMTP_OK && mail_same(&m, &m2));
	/* the canonical form gives the same */
	if (m.has_size && buf_printf(&canon, " SIZE=%llu", m.size) == -1)
		abort();
	if (m.body != PARAM_BODY_NONE) {
		puts_(&canon, " BODY=");
		puts_(&canon, body[m.body]);
	}
	if (m.smtputf8)
		puts_(&canon, " SMTPUTF8");
	if (m.requiretls)
		puts_(&canon, " REQUIRETLS");
	if (m.ret != PARAM_RET_NONE)
		puts_(&canon, m.ret == PARAM_RET_FULL ? " RET=FULL" :
		    " RET=HDRS");
	if (m.envid.len > 0) {
		puts_(&canon, " ENVID=");
		put(&canon, m.envid.s, m.envid.len);
	}
	put(&canon, "", 0);
	e2 = esmtp_mail_params(canon.s, allow, maxsize, &m2, NULL);
	check(e2 == ESMTP_OK && mail_same(&m, &m2));
out:
	esmtp_mail_free(&m);
	esmtp_mail_free(&m2);
	buf_free(&canon);
}

static int
rcpt_same(const struct esmtp_rcpt *a, const struct esmtp_rcpt *b)
{
	return a->notify == b->notify && a->orcpt.len == b->orcpt.len &&
	    (a->orcpt.len == 0 || memcmp(a->orcpt.s, b->orcpt.s,
	    a->orcpt.len) == 0);
}

static void
check_rcpt(const char *s, unsigned allow)
{
	struct esmtp_rcpt r, r2;
	struct buf canon = BUF_INIT, nt = BUF_INIT;
	const char *bad = NULL, *semi;
	enum esmtp_err e;
	unsigned v;

	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	e = esmtp_rcpt_params(s, allow, &r, &bad);
	check(e == ESMTP_OK || e == ESMTP_E_SYNTAX || e == ESMTP_E_UNKNOWN ||
	    e == ESMTP_E_DUP);
	check(bad != NULL && bad >= s && bad <= s + strlen(s));
	if (e != ESMTP_OK)
		goto out;
	check((r.notify == 0 && r.orcpt.len == 0) || (allow & PARAM_EXT_DSN));
	/* RFC 3461 4.1: NEVER alone, or some of the others */
	v = r.notify;
	check(v == 0 || v == PARAM_NOTIFY_NEVER || (v & ~(unsigned)(
	    PARAM_NOTIFY_SUCCESS | PARAM_NOTIFY_FAILURE |
	    PARAM_NOTIFY_DELAY)) == 0);
	/* RFC 3461 4.2: addr-type ";" xtext */
	if (r.orcpt.len > 0) {
		check(r.orcpt.len <= PARAM_ORCPT_MAX);
		check(strlen(r.orcpt.s) == r.orcpt.len);
		semi = memchr(r.orcpt.s, ';', r.orcpt.len);
		check(semi != NULL && semi > r.orcpt.s &&
		    semi + 1 < r.orcpt.s + r.orcpt.len);
	}
	check(esmtp_rcpt_params(s, PARAM_EXT_ALL, &r2, NULL) == ESMTP_OK &&
	    rcpt_same(&r, &r2));
	if (v != 0) {
		check(notify_str(v, &nt) == 0);
		puts_(&canon, "NOTIFY=");
		put(&canon, nt.s, nt.len);
	}
	if (r.orcpt.len > 0) {
		puts_(&canon, " ORCPT=");
		put(&canon, r.orcpt.s, r.orcpt.len);
	}
	put(&canon, "", 0);
	check(esmtp_rcpt_params(canon.s, allow, &r2, NULL) == ESMTP_OK &&
	    rcpt_same(&r, &r2));
out:
	esmtp_rcpt_free(&r);
	esmtp_rcpt_free(&r2);
	buf_free(&canon);
	buf_free(&nt);
}

static void
check_xtext(const char *s, size_t n)
{
	struct buf enc = BUF_INIT, dec = BUF_INIT, dec2 = BUF_INIT;
	int valid, uvalid;

	valid = xtext_valid(s, n);
	uvalid = xtext_utf8_valid(s, n);
	check(valid == ref_xtext((const unsigned char *)s, n, 0));
	check(uvalid == ref_xtext((const unsigned char *)s, n, 1));
	check(!valid || uvalid);
	/* decode takes either form */
	if (xtext_decode(s, n, &dec) == 0) {
		check(uvalid);
		check(dec.len <= n);
		/* and back: the encoding is valid and decodes the same */
		check(xtext_encode(dec.s, dec.len, &enc) == 0);
		check(ref_xtext((const unsigned char *)enc.s, enc.len, 0));
		check(xtext_decode(enc.s, enc.len, &dec2) == 0);
		check(dec2.len == dec.len && (dec.len == 0 ||
		    memcmp(dec.s, dec2.s, dec.len) == 0));
	} else
		check(!uvalid && errno == EINVAL);
	/* any bytes: decode(encode(x)) == x */
	check(xtext_encode(s, n, &enc) == 0);
	check(enc.len >= n && enc.len <= 3 * n);
	check(xtext_valid(enc.s, enc.len));
	check(xtext_decode(enc.s, enc.len, &dec) == 0);
	check(dec.len == n && (n == 0 || memcmp(dec.s, s, n) == 0));
	buf_free(&enc);
	buf_free(&dec);
	buf_free(&dec2);
}

static void
check_helo(const char *s, size_t n)
{
	size_t i;
	int c, lit;

	lit = esmtp_literal_valid(s, n);
	if (lit) {
		/* RFC 5321 4.1.3: "[" ... "]", printable, no brackets or
		 * backslash inside */
		check(n >= 3 && s[0] == '[' && s[n - 1] == ']');
		for (i = 1; i + 1 < n; i++) {
			c = (unsigned char)s[i];
			check(c >= 33 && c <= 126 && c != '[' && c != ']' &&
			    c != '\\');
		}
	}
	if (!esmtp_helo_valid(s, n))
		return;
	check(n >= 1 && n <= ESMTP_DOMAIN_MAX);
	if (s[0] == '[') {
		check(lit);
		return;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_');
	}
}

/* The path and the parameters after it: 1 when the path parsed. */
static int
check_path(const char *s, size_t n, unsigned flags, const unsigned *allow,
    size_t nallow, unsigned long long maxsize)
{
	struct addr_path p = ADDR_PATH_INIT, p2 = ADDR_PATH_INIT;
	struct addr_err err;
	struct buf b = BUF_INIT, params = BUF_INIT;
	size_t i;
	int utf8 = 0, ok = 0;

	if (addr_smtp_path(&p, s, n, flags, &err) == -1) {
		check(err.why != NULL && err.pos <= n);
		goto out;
	}
	ok = 1;
	check(p.params <= n);
	/* RFC 5321 4.1.2: the path, then the end or SP and parameters */
	check(p.params == n || (p.params > 0 && s[p.params - 1] == ' ' &&
	    s[p.params] != ' '));
	check(p.addr.s != NULL && strlen(p.addr.s) == p.addr.len);
	for (i = 0; i < p.addr.len; i++)
		utf8 |= (unsigned char)p.addr.s[i] >= 0x80;
	check(!utf8 || (flags & ADDR_SMTP_UTF8));
	check(!(p.flags & ADDR_P_NULL) || ((flags & ADDR_SMTP_NULL) &&
	    p.addr.len == 0));
	check(!(p.flags & ADDR_P_PM) || ((flags & ADDR_SMTP_PM) &&
	    p.addr.len == 10));
	/* ADDR_P_UTF8: non-ASCII in the address, or in a source route
	 * that was dropped (the client used UTF-8 all the same) */
	check(!utf8 || (p.flags & ADDR_P_UTF8));
	if (p.flags & ADDR_P_UTF8) {
		for (i = 0; i < p.params && (unsigned char)s[i] < 0x80; i++)
			;
		check(i < p.params);
	}
	if (!(p.flags & (ADDR_P_NULL | ADDR_P_PM))) {
		check(p.at > 0 && p.at + 1 < p.addr.len &&
		    p.addr.s[p.at] == '@');
		check(memchr(p.addr.s, '\r', p.addr.len) == NULL &&
		    memchr(p.addr.s, '\n', p.addr.len) == NULL);
		/* the canonical path parses again to itself */
		if (buf_printf(&b, "<%s>", p.addr.s) == -1)
			abort();
		check(addr_smtp_path(&p2, b.s, b.len, flags, &err) == 0);
		check(strcmp(p.addr.s, p2.addr.s) == 0);
	}
	/* what follows the path: MAIL and RCPT parameters */
	put(&params, s + p.params, n - p.params);
	put(&params, "", 0);
	for (i = 0; i < nallow; i++) {
		check_mail(params.s, allow[i], maxsize);
		check_rcpt(params.s, allow[i]);
	}
out:
	addr_path_free(&p);
	addr_path_free(&p2);
	buf_free(&b);
	buf_free(&params);
	return ok;
}

/* One input line as an SMTP command line, CRLF removed. */
static void
fuzz_line(const char *l, size_t n, const unsigned *allow, size_t nallow,
    unsigned long long maxsize, unsigned pflags)
{
	struct buf z = BUF_INIT;
	const char *arg, *colon, *sp;
	size_t an, i;

	/* the argument: after the first SP ("EHLO x", "BDAT 5") */
	if ((sp = memchr(l, ' ', n)) != NULL) {
		arg = sp + 1;
		an = n - (size_t)(arg - l);
	} else {
		arg = l;
		an = n;
	}
	check_helo(arg, an);
	if (arg != l)
		check_helo(l, n);
	check(esmtp_utf8_valid(l, n) == ref_utf8((const unsigned char *)l,
	    n));
	/* RFC 3461: ENVID 100, ORCPT 500 characters */
	if (an <= XTEXT_MAX)
		check_xtext(arg, an);

	/* "MAIL FROM:<path> params", "RCPT TO:<path> params", spaces
	 * after the colon taken as smtpd takes them */
	colon = memchr(l, ':', n < 16 ? n : 16);
	if (colon != NULL) {
		arg = colon + 1;
		while (arg < l + n && *arg == ' ')
			arg++;
		an = n - (size_t)(arg - l);
	} else {
		arg = l;
		an = n;
	}
	if (check_path(arg, an, pflags, allow, nallow, maxsize))
		return;
	/* no path: the line itself as a parameter list (up to a NUL) */
	put(&z, l, n);
	put(&z, "", 0);
	for (i = 0; i < nallow; i++) {
		check_mail(z.s, allow[i], maxsize);
		check_rcpt(z.s, allow[i]);
	}
	buf_free(&z);
}

static void
fuzz_args(const uint8_t *data, size_t size)
{
	static const unsigned long long maxes[] = { 0, 1, 100, 1000,
	    52428800, ULLONG_MAX };
	unsigned allow[4];
	unsigned long long maxsize;
	const char *p = (const char *)data, *e, *nl;
	size_t n, lines = 0;
	unsigned pflags;

	allow[0] = size > 0 ? data[0] & PARAM_EXT_ALL : 0;
	allow[1] = PARAM_EXT_ALL;
	allow[2] = 0;
	allow[3] = PARAM_EXT_ALL & ~(unsigned)PARAM_EXT_REQUIRETLS;
	maxsize = size > 1 ? maxes[data[1] % 6] : 0;
	pflags = size > 0 ? (unsigned)(data[0] >> 5) : 0;
	for (e = p + size; p < e && lines < MAXLINES; p = nl + 1, lines++) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n <= SMTPD_CMD_MAX)
			fuzz_line(p, n, allow, 4, maxsize, pflags);
		if (nl == e)
			break;
	}
}

/* ---- 3. a whole session ------------------------------------------- */

static int infd = -1, outfd = -1, nullfd = -1, errfd = -1;

static int
tmp_unlinked(void)
{
	const char *t = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/fuzz_smtp.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp") >= (int)sizeof(path))
		abort();
	if ((fd = mkstemp(path)) == -1) {
		perror("fuzz_smtp: mkstemp");
		abort();
	}
	(void)unlink(path);
	return fd;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* nothing to queue into, no configuration: defaults, all remote */
	if (setenv("POSTERN_QUEUE", "/nonexistent/postern-fuzz-queue", 1) ==
	    -1 || setenv("POSTERN_CONF", "/nonexistent/postern-fuzz-conf",
	    1) == -1)
		abort();
	(void)unsetenv("POSTERN_DEBUG");
	log_init("fuzz_smtp");
	infd = tmp_unlinked();
	outfd = tmp_unlinked();
	/* the session logs to fd 2: /dev/null while it runs; the
	 * sanitizers report on a copy of the real stderr */
	if ((nullfd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1 ||
	    (errfd = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1)
		abort();
	__sanitizer_set_report_fd((void *)(intptr_t)errfd);
	return 0;
}

/* RFC 5321 4.2: Reply-code [ SP / "-" textstring ] CRLF, where a
 * multiline reply repeats its code. */
static void
check_replies(const char *p, size_t n)
{
	const char *e = p + n, *nl, *prev = NULL;
	size_t len, i;
	int c;

	check(n == 0 || (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n'));
	for (; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		check(nl != NULL && nl > p && nl[-1] == '\r');
		len = (size_t)(nl - p) - 1;
		check(len >= 4);
		check(p[0] >= '2' && p[0] <= '5' && p[1] >= '0' &&
		    p[1] <= '9' && p[2] >= '0' && p[2] <= '9');
		check(p[3] == ' ' || p[3] == '-');
		for (i = 4; i < len; i++) {
			c = (unsigned char)p[i];
			check(c == '\t' || (c >= 0x20 && c != 0x7f));
		}
		check(prev == NULL || memcmp(prev, p, 3) == 0);
		prev = p[3] == '-' ? p : NULL;
		/* queue-inject's own checks refused what smtpd accepted:
		 * the two disagree on a parameter or an address */
		check(!(len == 27 && memcmp(p, "501 5.5.4 invalid parameter",
		    27) == 0));
		check(!(len >= 9 && memcmp(p, "553 5.1.3", 9) == 0));
		check(!(len >= 9 && memcmp(p, "552 5.5.3", 9) == 0));
	}
	check(prev == NULL);
}

static void
fuzz_session(const uint8_t *data, size_t size)
{
	static const unsigned long maxsizes[] = { 52428800, 0, 200, 5000 };
	static const unsigned long maxrcpts[] = { 1000, 2, 1, 100 };
	struct smtpd_conf c;
	struct buf out = BUF_INIT;
	unsigned x;
	off_t len;
	int code;

	if (ftruncate(infd, 0) == -1 || ftruncate(outfd, 0) == -1 ||
	    (size > 0 && pwrite(infd, data, size, 0) != (ssize_t)size) ||
	    lseek(infd, 0, SEEK_SET) == -1 || lseek(outfd, 0, SEEK_SET) == -1)
		abort();
	/* the configuration from the last byte; LF (every seed's last
	 * byte) gives the defaults of smtp-recv(8) and RELAYCLIENT */
	x = size > 0 ? data[size - 1] ^ '\n' : 0;
	memset(&c, 0, sizeof(c));
	c.hostname = (char *)"fuzz.example";
	c.relayclient = !(x & 1);
	c.maxsize = maxsizes[(x >> 1) & 3];
	c.maxrcpt = maxrcpts[(x >> 3) & 3];
	c.maxerrors = x & 0x20 ? 3 : 20;
	c.maxcommands = 100000;
	c.timeout_ms = 1000;
	c.data_timeout_ms = 1000;
	c.session_timeout_ms = 0;	/* alarm(2) would stop libFuzzer's */
	c.greeting_delay_ms = 0;
	if (x & 0x40) {
		c.remoteip = (char *)"192.0.2.7";
		c.remotehost = (char *)"client.example";
	}
	if (dup2(nullfd, 2) == -1)
		abort();
	code = smtpd_serve(&c, infd, outfd);
	if (dup2(errfd, 2) == -1)
		abort();
	check(code == EXIT_DONE || code == EXIT_PERM || code == EXIT_TEMP);

	if ((len = lseek(outfd, 0, SEEK_END)) == -1 ||
	    buf_ready(&out, (size_t)len) == -1 ||
	    pread(outfd, out.s, (size_t)len, 0) != (ssize_t)len)
		abort();
	out.len = (size_t)len;
	/* the greeting first (RFC 5321 4.3.1) */
	check(out.len >= 4 && memcmp(out.s, "220 ", 4) == 0);
	check_replies(out.s, out.len);
	buf_free(&out);
}

/* ---- entry -------------------------------------------------------- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *d;
	size_t off;

	fuzz_args(data, size);

	fuzz_dot(p, size, data, size);
	/* and what follows the first DATA command, as the session has it */
	for (off = 0; off + 6 <= size; off = (size_t)(d - p) + 1) {
		if ((d = memchr(p + off, 'D', size - off)) == NULL ||
		    size - (size_t)(d - p) < 6)
			break;
		if ((d == p || d[-1] == '\n') &&
		    ascii_ncasecmp(d, "DATA\r\n", 6) == 0) {
			fuzz_dot(d + 6, size - (size_t)(d - p) - 6,
			    data, size);
			break;
		}
	}

	fuzz_session(data, size);
	return 0;
}
