#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cdbtab.h"
#include "mail/codec.h"
#include "base/fileio.h"
#include "smtp/esmtp.h"
#include "smtp/smtpd.h"
#include "smtp/smtpd_dot.h"
#include "unit.h"

/* The NOTIFY bits as the parameter's value, into b (replaced). */
static int
notify_str(unsigned bits, struct buf *b)
{
	struct param_val v = { .u = bits };

	buf_reset(b);
	return param_write(PARAM_NOTIFY, &v, b);
}

/* ---- xtext (RFC 3461 4) ------------------------------------------- */

START_TEST(t_xtext)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(xtext_encode("a+b=c d\x01", 8, &b), 0);
	ck_assert_str_eq(b.s, "a+2Bb+3Dc+20d+01");
	ck_assert_int_eq(xtext_decode("a+2Bb+3Dc+20d", 13, &b), 0);
	ck_assert_str_eq(b.s, "a+b=c d");
	ck_assert_int_eq(xtext_decode("+E9", 3, &b), 0);
	ck_assert_uint_eq((unsigned char)b.s[0], 0xe9);
	/* RFC 3461 4: upper-case hex only (queue-inject checks the same) */
	ck_assert_int_eq(xtext_valid("+e9", 3), 0);
	ck_assert_int_eq(xtext_valid("abc", 3), 1);
	ck_assert_int_eq(xtext_valid("", 0), 1);
	ck_assert_int_eq(xtext_valid("a=b", 3), 0);	/* '=' */
	ck_assert_int_eq(xtext_valid("a b", 3), 0);	/* SP */
	ck_assert_int_eq(xtext_valid("a+", 2), 0);
	ck_assert_int_eq(xtext_valid("a+4", 3), 0);
	ck_assert_int_eq(xtext_valid("a+4G", 4), 0);
	ck_assert_int_eq(xtext_valid("\xc3\xa9", 2), 0);
	/* RFC 6533 4: utf-8-addr-xtext */
	ck_assert_int_eq(xtext_utf8_valid("\xc3\xa9+2B", 5), 1);
	ck_assert_int_eq(xtext_utf8_valid("\xc3", 1), 0);
	ck_assert_int_eq(xtext_utf8_valid("\xc3\xa9=", 3), 0);
	ck_assert_int_eq(xtext_utf8_valid("a+2b", 4), 0);
	ck_assert_int_eq(xtext_decode("\xc3\xa9+2B", 5, &b), 0);
	ck_assert_str_eq(b.s, "\xc3\xa9+");
	ck_assert_int_eq(xtext_decode("a+2", 3, &b), -1);
	ck_assert_int_eq(xtext_decode("", 0, &b), 0);
	ck_assert_str_eq(b.s, "");
	errno = 0;
	ck_assert_int_eq(xtext_decode("x+ZZ", 4, &b), -1);
	ck_assert_int_eq(errno, EINVAL);
	buf_free(&b);
}
END_TEST

START_TEST(t_xtext_roundtrip)
{
	struct buf e = BUF_INIT, d = BUF_INIT;
	char all[256];
	int i;

	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	ck_assert_int_eq(xtext_encode(all, 256, &e), 0);
	ck_assert_int_eq(xtext_valid(e.s, e.len), 1);
	ck_assert_int_eq(xtext_decode(e.s, e.len, &d), 0);
	ck_assert_uint_eq(d.len, 256);
	ck_assert_int_eq(memcmp(d.s, all, 256), 0);
	buf_free(&e);
	buf_free(&d);
}
END_TEST

/* ---- EHLO argument, literals -------------------------------------- */

START_TEST(t_helo)
{
	ck_assert_int_eq(esmtp_helo_valid("mx.example.test", 15), 1);
	ck_assert_int_eq(esmtp_helo_valid("my_host", 7), 1);
	ck_assert_int_eq(esmtp_helo_valid("192.0.2.1", 9), 1);
	ck_assert_int_eq(esmtp_helo_valid("[192.0.2.1]", 11), 1);
	ck_assert_int_eq(esmtp_helo_valid("[IPv6:2001:db8::1]", 18), 1);
	ck_assert_int_eq(esmtp_helo_valid("[IPv6:2001:db8::g]", 18), 0);
	ck_assert_int_eq(esmtp_helo_valid("[300.0.0.1]", 11), 0);
	ck_assert_int_eq(esmtp_helo_valid("a b", 3), 0);
	ck_assert_int_eq(esmtp_helo_valid("a(b)", 4), 0);
	ck_assert_int_eq(esmtp_helo_valid("a;b", 3), 0);
	ck_assert_int_eq(esmtp_helo_valid("\xc3\xa9.test", 7), 0);
	ck_assert_int_eq(esmtp_helo_valid("", 0), 0);
	ck_assert_int_eq(esmtp_literal_valid("[x-tag:abc]", 11), 1);
	ck_assert_int_eq(esmtp_literal_valid("[x-tag:]", 8), 0);
	ck_assert_int_eq(esmtp_literal_valid("[]", 2), 0);
	/* found by fuzz_smtp: a NUL ended what inet_pton saw */
	ck_assert_int_eq(esmtp_literal_valid("[192.0.2.1\0x]", 14), 0);
	ck_assert_int_eq(esmtp_helo_valid("[192.0.2.1\0x]", 14), 0);
	ck_assert_int_eq(esmtp_literal_valid("[x-tag:a\\b]", 12), 0);
	ck_assert_int_eq(esmtp_literal_valid("[x-tag:a b]", 11), 0);
	ck_assert_int_eq(esmtp_literal_valid("[192.0.2.1]", 11), 1);
	ck_assert_int_eq(esmtp_literal_valid("[1.2.3.4", 8), 0);
}
END_TEST

/* ---- MAIL and RCPT parameters ------------------------------------- */

START_TEST(t_mail_params)
{
	struct esmtp_mail m;
	const char *bad;

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(esmtp_mail_params("", PARAM_EXT_ALL, 1000, &m,
	    &bad), ESMTP_OK);
	ck_assert_int_eq(m.has_size, 0);
	ck_assert_int_eq(m.body, PARAM_BODY_NONE);
	ck_assert_int_eq(esmtp_mail_params(" SIZE=1000 body=8bitmime "
	    "SMTPUTF8 RET=HDRS ENVID=QQ+2Bx", PARAM_EXT_ALL, 1000, &m,
	    &bad), ESMTP_OK);
	ck_assert_int_eq(m.has_size, 1);
	ck_assert(m.size == 1000);
	ck_assert_int_eq(m.body, PARAM_BODY_8BITMIME);
	ck_assert_int_eq(m.smtputf8, 1);
	ck_assert_int_eq(m.ret, PARAM_RET_HDRS);
	ck_assert_str_eq(m.envid.s, "QQ+2Bx");
	/* RFC 1870 6.1: over the limit at MAIL */
	ck_assert_int_eq(esmtp_mail_params("SIZE=1001", PARAM_EXT_ALL,
	    1000, &m, &bad), ESMTP_E_SIZE);
	ck_assert_int_eq(esmtp_mail_params("SIZE=99999999999999999999999",
	    PARAM_EXT_ALL, 0, &m, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_mail_params("SIZE=12a", PARAM_EXT_ALL, 0,
	    &m, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_mail_params("SIZE", PARAM_EXT_ALL, 0, &m,
	    &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_mail_params("SIZE=1 SIZE=2", PARAM_EXT_ALL,
	    0, &m, &bad), ESMTP_E_DUP);
	ck_assert_str_eq(bad, "SIZE=2");
	ck_assert_int_eq(esmtp_mail_params("FOO=bar", PARAM_EXT_ALL, 0, &m,
	    &bad), ESMTP_E_UNKNOWN);
	ck_assert_str_eq(bad, "FOO=bar");
	/* a malformed one after a good one is named, not the good one */
	ck_assert_int_eq(esmtp_mail_params("SIZE=100 BODY==",
	    PARAM_EXT_ALL, 0, &m, &bad), ESMTP_E_SYNTAX);
	ck_assert_str_eq(bad, "BODY==");
	ck_assert_int_eq(esmtp_mail_params("SIZE=100 =x", PARAM_EXT_ALL,
	    0, &m, &bad), ESMTP_E_SYNTAX);
	ck_assert_str_eq(bad, "=x");
	ck_assert_int_eq(esmtp_mail_params("BODY=9BIT", PARAM_EXT_ALL, 0,
	    &m, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_mail_params("BODY=BINARYMIME",
	    PARAM_EXT_ALL, 0, &m, &bad), ESMTP_OK);
	ck_assert_int_eq(m.body, PARAM_BODY_BINARYMIME);
	ck_assert_int_eq(esmtp_mail_params("BODY=BINARYMIME",
	    PARAM_EXT_8BITMIME, 0, &m, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_mail_params("SMTPUTF8=yes", PARAM_EXT_ALL,
	    0, &m, &bad), ESMTP_E_SYNTAX);
	/* REQUIRETLS only when offered (after STARTTLS) */
	ck_assert_int_eq(esmtp_mail_params("REQUIRETLS", PARAM_EXT_ALL &
	    ~PARAM_EXT_REQUIRETLS, 0, &m, &bad), ESMTP_E_UNKNOWN);
	ck_assert_int_eq(esmtp_mail_params("REQUIRETLS", PARAM_EXT_ALL, 0,
	    &m, &bad), ESMTP_OK);
	ck_assert_int_eq(m.requiretls, 1);
	/* after HELO nothing is on offer */
	ck_assert_int_eq(esmtp_mail_params("SIZE=10", 0, 0, &m, &bad),
	    ESMTP_E_UNKNOWN);
	ck_assert_int_eq(esmtp_mail_params("RET=ALL", PARAM_EXT_ALL, 0, &m,
	    &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_mail_params("ENVID=a=b", PARAM_EXT_ALL, 0,
	    &m, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_mail_params("ENVID=a+zz", PARAM_EXT_ALL, 0,
	    &m, &bad), ESMTP_E_SYNTAX);
	/* RFC 3461 4.4: 100 characters at most */
	{
		char big[200] = "ENVID=";

		memset(big + 6, 'x', 101);
		big[107] = '\0';
		ck_assert_int_eq(esmtp_mail_params(big, PARAM_EXT_ALL, 0,
		    &m, &bad), ESMTP_E_SYNTAX);
		big[106] = '\0';
		ck_assert_int_eq(esmtp_mail_params(big, PARAM_EXT_ALL, 0,
		    &m, &bad), ESMTP_OK);
	}
	ck_assert_int_eq(esmtp_mail_params("-X=1", PARAM_EXT_ALL, 0, &m,
	    &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_mail_params("X=", PARAM_EXT_ALL, 0, &m,
	    &bad), ESMTP_E_SYNTAX);
	esmtp_mail_free(&m);
}
END_TEST

START_TEST(t_rcpt_params)
{
	struct esmtp_rcpt r;
	struct buf b = BUF_INIT;
	const char *bad;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=SUCCESS,failure "
	    "ORCPT=rfc822;a+40b.test", PARAM_EXT_ALL, &r, &bad), ESMTP_OK);
	ck_assert_uint_eq(r.notify, PARAM_NOTIFY_SUCCESS |
	    PARAM_NOTIFY_FAILURE);
	ck_assert_str_eq(r.orcpt.s, "rfc822;a+40b.test");
	ck_assert_int_eq(notify_str(r.notify, &b), 0);
	ck_assert_str_eq(b.s, "SUCCESS,FAILURE");
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=NEVER", PARAM_EXT_ALL,
	    &r, &bad), ESMTP_OK);
	ck_assert_uint_eq(r.notify, PARAM_NOTIFY_NEVER);
	ck_assert_int_eq(notify_str(r.notify, &b), 0);
	ck_assert_str_eq(b.s, "NEVER");
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=DELAY,SUCCESS",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_OK);
	ck_assert_int_eq(notify_str(r.notify, &b), 0);
	ck_assert_str_eq(b.s, "SUCCESS,DELAY");
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=NEVER ORCPT=",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_E_SYNTAX);
	ck_assert_str_eq(bad, "ORCPT=");
	/* RFC 3461 4.1: NEVER alone */
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=NEVER,SUCCESS",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=SUCCESS,SUCCESS",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=SUCCESS,",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=SOMETIMES",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_rcpt_params("ORCPT=rfc822", PARAM_EXT_ALL,
	    &r, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_rcpt_params("ORCPT=;a@b", PARAM_EXT_ALL,
	    &r, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_rcpt_params("ORCPT=rfc822;a+4", PARAM_EXT_ALL,
	    &r, &bad), ESMTP_E_SYNTAX);
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=NEVER NOTIFY=NEVER",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_E_DUP);
	ck_assert_int_eq(esmtp_rcpt_params("NOTIFY=NEVER", 0, &r, &bad),
	    ESMTP_E_UNKNOWN);
	ck_assert_int_eq(esmtp_rcpt_params("XYZ", PARAM_EXT_ALL, &r, &bad),
	    ESMTP_E_UNKNOWN);
	/* RFC 6533: utf-8 addresses with SMTPUTF8 */
	ck_assert_int_eq(esmtp_rcpt_params("ORCPT=utf-8;j\xc3\xb6@b.test",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_OK);
	ck_assert_int_eq(esmtp_rcpt_params("ORCPT=utf-8;j\xc3@b.test",
	    PARAM_EXT_ALL, &r, &bad), ESMTP_E_SYNTAX);
	esmtp_rcpt_free(&r);
	buf_free(&b);
}
END_TEST

/* ---- the DATA decoder --------------------------------------------- */

/* Feed in pieces of step bytes; returns total consumed, out, flags. */
static size_t
dot(const char *in, size_t n, size_t step, struct buf *out, unsigned *fl,
    int *end)
{
	struct smtpd_dot d;
	size_t i = 0, k, used;

	smtpd_dot_init(&d);
	buf_reset(out);
	*end = 0;
	while (i < n && !*end) {
		k = n - i < step ? n - i : step;
		used = smtpd_dot_feed(&d, in + i, k, out, end);
		i += used;
		if (!*end)
			ck_assert_uint_eq(used, k);
	}
	*fl = d.flags;
	return i;
}

#define DOT(in, step, out, fl, end) dot(in, sizeof(in) - 1, step, out, fl, end)

START_TEST(t_dot_plain)
{
	static const char in[] = "Subject: x\r\n\r\n..leading\r\n.\r\nQUIT\r\n";
	struct buf out = BUF_INIT;
	unsigned fl;
	int end;
	size_t step, used;

	for (step = 1; step <= sizeof(in); step++) {
		used = DOT(in, step, &out, &fl, &end);
		ck_assert_int_eq(end, 1);
		ck_assert_uint_eq(used, sizeof(in) - 1 - 6);
		ck_assert_str_eq(out.s, "Subject: x\r\n\r\n.leading\r\n");
		ck_assert_uint_eq(fl, 0);
	}
	/* an empty message */
	used = DOT(".\r\n", 3, &out, &fl, &end);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
}
END_TEST

/* SMTP smuggling: none of these end the data. */
START_TEST(t_dot_smuggling)
{
	static const char *const bad[] = {
		"a\n.\r\nMAIL FROM:<x@y>\r\n",		/* LF . CRLF */
		"a\r\n.\nMAIL FROM:<x@y>\r\n",		/* CRLF . LF */
		"a\r.\rMAIL FROM:<x@y>\r\n",		/* CR . CR */
		"a\n.\nMAIL FROM:<x@y>\r\n",		/* LF . LF */
		"a\r.\r\nMAIL FROM:<x@y>\r\n",		/* CR . CRLF */
		"a\r\n.\rMAIL FROM:<x@y>\r\n",		/* CRLF . CR */
		"a\r\n.\r\r\nMAIL FROM:<x@y>\r\n",	/* CRLF . CR CRLF */
		"a\r\r\n.\r\nMAIL FROM:<x@y>\r\n",	/* bare CR before */
	};
	struct buf out = BUF_INIT;
	unsigned fl;
	int end;
	size_t i, used, step;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (step = 1; step < 40; step += 7) {
			used = dot(bad[i], strlen(bad[i]), step, &out, &fl,
			    &end);
			if (i == 7) {
				/* "\r\r\n.\r\n": CR bare, then a real end */
				ck_assert_int_eq(end, 1);
				ck_assert(fl & SMTPD_DOT_BARE_CR);
				continue;
			}
			ck_assert_msg(end == 0, "case %zu ended", i);
			ck_assert_uint_eq(used, strlen(bad[i]));
			ck_assert_msg(fl & (SMTPD_DOT_BARE_LF |
			    SMTPD_DOT_BARE_CR), "case %zu not flagged", i);
		}
	}
	/* the real end after a smuggling attempt: one message, flagged */
	{
		static const char in[] = "a\n.\r\nX\r\n.\r\nQUIT\r\n";

		used = DOT(in, 5, &out, &fl, &end);
		ck_assert_int_eq(end, 1);
		ck_assert_uint_eq(used, sizeof(in) - 1 - 6);
		ck_assert(fl & SMTPD_DOT_BARE_LF);
	}
	buf_free(&out);
}
END_TEST

START_TEST(t_dot_limits)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	unsigned fl;
	int end;

	/* 998 + CRLF = 1000: fine; 999 + CRLF: too long */
	ck_assert_int_eq(buf_ready(&in, 2000), 0);
	memset(in.s, 'x', 998);
	in.len = 998;
	ck_assert_int_eq(buf_puts(&in, "\r\n.\r\n"), 0);
	dot(in.s, in.len, 100, &out, &fl, &end);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(fl, 0);
	buf_reset(&in);
	memset(in.s, 'x', 999);
	in.len = 999;
	ck_assert_int_eq(buf_puts(&in, "\r\n.\r\n"), 0);
	dot(in.s, in.len, 100, &out, &fl, &end);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(fl, SMTPD_DOT_LONGLINE);
	ck_assert_uint_eq(out.len, 1001);	/* kept, never cut */
	/* RFC 5321 4.5.3.1.6: the dot of transparency does not count, so
	 * 998 octets of text starting with a dot arrive as 999 + CRLF */
	buf_reset(&in);
	in.s[0] = '.';
	memset(in.s + 1, '.', 998);
	in.len = 999;
	ck_assert_int_eq(buf_puts(&in, "\r\n.\r\n"), 0);
	dot(in.s, in.len, 100, &out, &fl, &end);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(fl, 0);
	ck_assert_uint_eq(out.len, 1000);	/* 998 dots and CRLF */
	/* one more is too long */
	buf_reset(&in);
	memset(in.s, '.', 1000);
	in.len = 1000;
	ck_assert_int_eq(buf_puts(&in, "\r\n.\r\n"), 0);
	dot(in.s, in.len, 100, &out, &fl, &end);
	ck_assert_uint_eq(fl, SMTPD_DOT_LONGLINE);
	/* NUL */
	dot("a\0b\r\n.\r\n", 8, 3, &out, &fl, &end);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(fl, SMTPD_DOT_NUL);
	ck_assert_uint_eq(out.len, 5);
	buf_free(&in);
	buf_free(&out);
}
END_TEST

START_TEST(t_filter_reply)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(smtpd_filter_reply("550 5.7.1 DMARC says no", 23, '5',
	    &b), 1);
	ck_assert_str_eq(b.s, "550 5.7.1 DMARC says no");
	ck_assert_int_eq(smtpd_filter_reply("550 go away", 11, '5', &b), 1);
	ck_assert_str_eq(b.s, "550 5.0.0 go away");
	ck_assert_int_eq(smtpd_filter_reply("451 4.7.1 later", 15, '4', &b), 1);
	ck_assert_str_eq(b.s, "451 4.7.1 later");
	/* the class must match the exit code */
	ck_assert_int_eq(smtpd_filter_reply("451 4.7.1 later", 15, '5', &b), 0);
	ck_assert_int_eq(smtpd_filter_reply("250 ok", 6, '5', &b), 0);
	ck_assert_int_eq(smtpd_filter_reply("550", 3, '5', &b), 0);
	ck_assert_int_eq(smtpd_filter_reply("550-more", 8, '5', &b), 0);
	ck_assert_int_eq(smtpd_filter_reply("550 a\x01", 6, '5', &b), 0);
	ck_assert_int_eq(smtpd_filter_reply("spf-check: fatal: x", 19, '5',
	    &b), 0);
	/* a mismatched enhanced class is replaced */
	ck_assert_int_eq(smtpd_filter_reply("550 4.7.1 x", 11, '5', &b), 1);
	ck_assert_str_eq(b.s, "550 5.0.0 4.7.1 x");
	buf_free(&b);
}
END_TEST

/* ---- whole sessions ----------------------------------------------- */

static char *dir;
static struct smtpd_conf conf;

static void
setup(void)
{
	struct buf p = BUF_INIT, q = BUF_INIT;
	unsigned long ln;
	char *inject;
	FILE *f;

	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	setenv("POSTERN_CONF", dir, 1);
	ck_assert_int_eq(buf_printf(&p, "%s/domains", dir), 0);
	f = fopen(p.s, "w");
	fputs("example.test 1\nmx.example.test 1\n", f);
	fclose(f);
	ck_assert_int_eq(buf_printf(&q, "%s/domains.cdb", dir), 0);
	ck_assert(cdbtab_compile(p.s, q.s, CDBTAB_LOWER, 0644, &ln) >= 0);
	buf_reset(&p);
	buf_reset(&q);
	ck_assert_int_eq(buf_printf(&p, "%s/recipients", dir), 0);
	f = fopen(p.s, "w");
	fputs("alice@example.test alice\nbob@example.test bob\n", f);
	fclose(f);
	ck_assert_int_eq(buf_printf(&q, "%s/recipients.cdb", dir), 0);
	ck_assert(cdbtab_compile(p.s, q.s, CDBTAB_LOWER, 0644, &ln) >= 0);
	/* RFC 5321 4.5.1: postmaster@me is delivered */
	buf_reset(&p);
	buf_reset(&q);
	ck_assert_int_eq(buf_printf(&p, "%s/aliases", dir), 0);
	f = fopen(p.s, "w");
	fputs("postmaster@mx.example.test alice@example.test\n", f);
	fclose(f);
	ck_assert_int_eq(buf_printf(&q, "%s/aliases.cdb", dir), 0);
	ck_assert(cdbtab_compile(p.s, q.s, CDBTAB_LOWER, 0644, &ln) >= 0);
	/* a stand-in queue-inject: records argv and the message */
	buf_reset(&p);
	ck_assert_int_eq(buf_printf(&p, "%s/inject", dir), 0);
	f = fopen(p.s, "w");
	fprintf(f, "#!/bin/sh\nn=$(ls %s/msg.* 2>/dev/null | wc -l)\n"
	    "printf '%%s\\n' \"$@\" > %s/argv.$n\n"
	    "cat > %s/msg.$n\necho Q$n\n", dir, dir, dir);
	fclose(f);
	chmod(p.s, 0755);
	inject = buf_steal(&p);
	memset(&conf, 0, sizeof(conf));
	conf.hostname = strdup("mx.example.test");
	conf.maxsize = 100000;
	conf.maxrcpt = 5;
	conf.maxerrors = 10;
	conf.maxcommands = 200;
	conf.timeout_ms = 5000;
	conf.data_timeout_ms = 5000;
	conf.session_timeout_ms = 60000;
	conf.inject = inject;
	setenv("POSTERN_QUEUE", "/nonexistent", 1);
	setenv("TMPDIR", dir, 1);
	buf_free(&q);
}

static void
teardown(void)
{
	smtpd_conf_free(&conf);
	unit_rm_rf(dir);
}

/* Run a session on input; the replies go to out; returns the exit. */
static int
session(const char *in, size_t n, struct buf *out)
{
	struct buf p = BUF_INIT;
	int rfd, wfd, r;

	ck_assert_int_eq(buf_printf(&p, "%s/in", dir), 0);
	rfd = open(p.s, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(rfd, 0);
	ck_assert_int_eq(write_all(rfd, in, n), 0);
	lseek(rfd, 0, SEEK_SET);
	buf_reset(&p);
	ck_assert_int_eq(buf_printf(&p, "%s/out", dir), 0);
	wfd = open(p.s, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(wfd, 0);
	r = smtpd_serve(&conf, rfd, wfd);
	lseek(wfd, 0, SEEK_SET);
	buf_reset(out);
	ck_assert_int_eq(read_all(wfd, out, 1 << 20), 0);
	close(rfd);
	close(wfd);
	buf_free(&p);
	return r;
}

#define SESSION(s, out) session(s, sizeof(s) - 1, out)

/* The n-th reply line (0: the greeting), as a C string in a static. */
static const char *
line(const struct buf *out, int n)
{
	static char l[1024];
	const char *p = out->s, *e;

	while (n-- > 0 && p != NULL && (p = strstr(p, "\r\n")) != NULL)
		p += 2;
	if (p == NULL || *p == '\0')
		return "";
	e = strstr(p, "\r\n");
	snprintf(l, sizeof(l), "%.*s", e ? (int)(e - p) : (int)strlen(p), p);
	return l;
}

static int
nmsgs(void)
{
	struct buf p = BUF_INIT;
	int i;

	for (i = 0;; i++) {
		buf_reset(&p);
		ck_assert_int_eq(buf_printf(&p, "%s/msg.%d", dir, i), 0);
		if (access(p.s, F_OK) != 0)
			break;
	}
	buf_free(&p);
	return i;
}

static void
slurp(const char *name, struct buf *b)
{
	struct buf p = BUF_INIT;

	ck_assert_int_eq(buf_printf(&p, "%s/%s", dir, name), 0);
	buf_reset(b);
	ck_assert_int_eq(read_file(p.s, b, 1 << 20), 0);
	buf_free(&p);
}

START_TEST(t_sequence)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(SESSION("MAIL FROM:<a@b.test>\r\n"
	    "HELO client.test\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "DATA\r\n"
	    "MAIL FROM:<a@b.test>\r\n"
	    "MAIL FROM:<a@b.test>\r\n"
	    "DATA\r\n"
	    "RSET\r\n"
	    "NOOP hello\r\n"
	    "VRFY alice\r\n"
	    "EXPN list\r\n"
	    "HELP\r\n"
	    "FROB\r\n"
	    "QUIT\r\n", &out), 0);
	ck_assert_str_eq(line(&out, 0), "220 mx.example.test ESMTP postern");
	ck_assert_str_eq(line(&out, 1), "503 5.5.1 send EHLO or HELO first");
	ck_assert_str_eq(line(&out, 2), "250 mx.example.test");
	ck_assert_str_eq(line(&out, 3), "503 5.5.1 send MAIL first");
	ck_assert_str_eq(line(&out, 4), "503 5.5.1 send MAIL first");
	ck_assert_str_eq(line(&out, 5), "250 2.1.0 sender OK");
	ck_assert_str_eq(line(&out, 6), "503 5.5.1 sender already given");
	ck_assert_str_eq(line(&out, 7), "554 5.5.1 no valid recipients");
	ck_assert_str_eq(line(&out, 8), "250 2.0.0 reset");
	ck_assert_str_eq(line(&out, 9), "250 2.0.0 OK");
	ck_assert(strncmp(line(&out, 10), "252 2.5.0 ", 10) == 0);
	ck_assert(strncmp(line(&out, 11), "502 5.5.1 ", 10) == 0);
	ck_assert(strncmp(line(&out, 12), "214 2.0.0 ", 10) == 0);
	ck_assert_str_eq(line(&out, 13), "500 5.5.1 command unrecognized");
	ck_assert_str_eq(line(&out, 14),
	    "221 2.0.0 mx.example.test closing connection");
	ck_assert_int_eq(nmsgs(), 0);
	buf_free(&out);
}
END_TEST

START_TEST(t_ehlo_keywords)
{
	struct buf out = BUF_INIT;

	SESSION("EHLO client.test\r\nEHLO\r\nEHLO bad(name)\r\nQUIT\r\n",
	    &out);
	ck_assert_str_eq(line(&out, 1), "250-mx.example.test");
	ck_assert(strstr(out.s, "250-PIPELINING\r\n") != NULL);
	ck_assert(strstr(out.s, "250-SIZE 100000\r\n") != NULL);
	ck_assert(strstr(out.s, "250-8BITMIME\r\n") != NULL);
	ck_assert(strstr(out.s, "250-SMTPUTF8\r\n") != NULL);
	ck_assert(strstr(out.s, "250-ENHANCEDSTATUSCODES\r\n") != NULL);
	ck_assert(strstr(out.s, "250-CHUNKING\r\n") != NULL);
	ck_assert(strstr(out.s, "250-BINARYMIME\r\n") != NULL);
	ck_assert(strstr(out.s, "250-DSN\r\n") != NULL);
	ck_assert(strstr(out.s, "250 LIMITS RCPTMAX=5\r\n") != NULL);
	/* no certificate: no STARTTLS; no TLS: no REQUIRETLS */
	ck_assert(strstr(out.s, "STARTTLS") == NULL);
	ck_assert(strstr(out.s, "REQUIRETLS") == NULL);
	ck_assert(strstr(out.s, "501 5.5.4 argument required\r\n") != NULL);
	ck_assert(strstr(out.s, "501 5.5.4 invalid domain name\r\n") != NULL);
	buf_free(&out);
}
END_TEST

START_TEST(t_message)
{
	struct buf out = BUF_INIT, b = BUF_INIT;

	ck_assert_int_eq(SESSION("EHLO client.test\r\n"
	    "MAIL FROM:<sender@remote.test> BODY=8BITMIME RET=HDRS "
	    "ENVID=ID+2B1\r\n"
	    "RCPT TO:<alice@example.test> NOTIFY=FAILURE\r\n"
	    "RCPT TO:<nobody@example.test>\r\n"
	    "RCPT TO:<someone@elsewhere.test>\r\n"
	    "RCPT TO:<Bob@Example.Test> ORCPT=rfc822;Bob+40Example.Test\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "DATA\r\n"
	    "Subject: test\r\n\r\nline\r\n..dot\r\n.\r\n"
	    "QUIT\r\n", &out), 0);
	ck_assert_str_eq(line(&out, 11), "250 2.1.0 sender OK");
	ck_assert(strstr(out.s, "550 5.1.1 no such user here\r\n") != NULL);
	ck_assert(strstr(out.s, "554 5.7.1 relay access denied\r\n") != NULL);
	ck_assert(strstr(out.s, "354 ") != NULL);
	ck_assert(strstr(out.s, "250 2.0.0 OK queued as Q0\r\n") != NULL);
	ck_assert_int_eq(nmsgs(), 1);
	slurp("argv.0", &b);
	ck_assert_str_eq(b.s, "-f\nsender@remote.test\n-o\nbody=8bitmime\n"
	    "-o\nret=hdrs\n-o\nenvid=ID+2B1\n-o\nrcpt.0.notify=FAILURE\n"
	    "-o\nrcpt.1.orcpt=rfc822;Bob+40Example.Test\n--\n"
	    "alice@example.test\nBob@Example.Test\n");
	slurp("msg.0", &b);
	ck_assert(strncmp(b.s, "Received: from client.test ([127.0.0.1])\r\n"
	    "\tby mx.example.test (postern) with ESMTP id ", 83) == 0);
	/* two recipients: no "for" clause */
	ck_assert(strstr(b.s, "\tfor <") == NULL);
	ck_assert(strstr(b.s, "\r\nSubject: test\r\n\r\nline\r\n.dot\r\n") !=
	    NULL);
	ck_assert_uint_eq(b.s[b.len - 1], '\n');
	ck_assert(strstr(b.s, ".dot\r\n") + 6 == b.s + b.len);
	buf_free(&out);
	buf_free(&b);
}
END_TEST

START_TEST(t_pipelined_after_dot)
{
	struct buf out = BUF_INIT, b = BUF_INIT;

	/* everything in one write: the commands after the dot must be
	 * read as commands, the data as data */
	ck_assert_int_eq(SESSION("EHLO c.test\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<alice@example.test>\r\nDATA\r\nm1\r\n.\r\n"
	    "MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
	    "m2\r\n.\r\nQUIT\r\n", &out), 0);
	ck_assert_int_eq(nmsgs(), 2);
	slurp("msg.1", &b);
	ck_assert(strstr(b.s, "\tfor <bob@example.test>;") != NULL);
	ck_assert(strstr(b.s, "\r\n\r\n") == NULL);
	ck_assert(strcmp(b.s + b.len - 4, "m2\r\n") == 0);
	slurp("argv.1", &b);
	ck_assert_str_eq(b.s, "-f\n\n--\nbob@example.test\n");
	ck_assert(strstr(out.s, "221 2.0.0") != NULL);
	buf_free(&out);
	buf_free(&b);
}
END_TEST

START_TEST(t_smuggling_session)
{
	struct buf out = BUF_INIT;

	conf.bare_lf_reject = 1;	/* smtp-bare-lf reject */
	ck_assert_int_eq(SESSION("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<alice@example.test>\r\nDATA\r\nhello\n.\r\n"
	    "MAIL FROM:<evil@b.test>\r\nRCPT TO:<bob@example.test>\r\n"
	    "DATA\r\nsmuggled\r\n.\r\nQUIT\r\n", &out), 0);
	ck_assert_int_eq(nmsgs(), 0);
	ck_assert(strstr(out.s, "550 5.6.11 ") != NULL);
	/* the smuggled commands were data, never run */
	ck_assert(strstr(out.s, "sender OK\r\n250 2.1.5") != NULL);
	ck_assert_ptr_null(strstr(strstr(out.s, "550 5.6.11"),
	    "250 2.1.0"));
	ck_assert(strstr(out.s, "221 2.0.0") != NULL);
	/* the default, normalize: one message, the smuggled commands its
	 * content with CRLF line ends, and never run */
	conf.bare_lf_reject = 0;
	ck_assert_int_eq(SESSION("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<alice@example.test>\r\nDATA\r\nhello\n.\r\n"
	    "MAIL FROM:<evil@b.test>\r\nRCPT TO:<bob@example.test>\r\n"
	    "DATA\r\nsmuggled\r\n.\r\nQUIT\r\n", &out), 0);
	ck_assert_int_eq(nmsgs(), 1);
	ck_assert(strstr(out.s, "250 2.0.0 OK queued as Q0\r\n221 ") != NULL);
	ck_assert_ptr_null(strstr(out.s, "550 5.6.11"));
	ck_assert_ptr_null(strstr(strstr(out.s, "250 2.1.0") + 1,
	    "250 2.1.0"));	/* one MAIL ran, the first */
	buf_free(&out);
}
END_TEST

/* the decoder's normalisation of bare LF (smtp-bare-lf normalize) */
START_TEST(t_dot_lf_normalize)
{
	struct smtpd_dot d;
	struct buf out = BUF_INIT;
	size_t used;
	int end;

	smtpd_dot_init(&d);
	d.lf_normalize = 1;
	/* LF "." CRLF is no end (the dot is content: no line start after
	 * a bare LF), a dot after CRLF is unstuffed as ever */
	used = smtpd_dot_feed(&d, "a\n.\r\n..b\nc\r\n.\r\nX", 16, &out,
	    &end);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(used, 15);
	ck_assert_uint_eq(out.len, 13);
	ck_assert_int_eq(memcmp(out.s, "a\r\n.\r\n.b\r\nc\r\n", 13), 0);
	ck_assert_uint_eq(d.flags, SMTPD_DOT_LF_FIXED);
	/* a bare CR is still flagged */
	buf_reset(&out);
	smtpd_dot_init(&d);
	d.lf_normalize = 1;
	(void)smtpd_dot_feed(&d, "a\rb\n\r\n.\r\n", 11, &out, &end);
	ck_assert_int_eq(end, 1);
	ck_assert(d.flags & SMTPD_DOT_BARE_CR);
	/* LF "." LF: content, not an end */
	buf_reset(&out);
	smtpd_dot_init(&d);
	d.lf_normalize = 1;
	used = smtpd_dot_feed(&d, "x\n.\ny", 6, &out, &end);
	ck_assert_int_eq(end, 0);
	ck_assert_uint_eq(used, 6);
	buf_free(&out);
}
END_TEST

/* issue 9.3: every RCPT counts, and commands are bounded per session and
 * per transaction */
START_TEST(t_command_limits)
{
	struct buf out = BUF_INIT, in = BUF_INIT;
	int i;

	/* maxrcpt 5: the same recipient six times, the sixth is refused */
	ck_assert_int_eq(buf_puts(&in, "HELO c.test\r\nMAIL FROM:<>\r\n"), 0);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(buf_puts(&in,
		    "RCPT TO:<alice@example.test>\r\n"), 0);
	ck_assert_int_eq(buf_puts(&in, "QUIT\r\n"), 0);
	session(in.s, in.len, &out);
	ck_assert_str_eq(line(&out, 7), "250 2.1.5 recipient OK");
	ck_assert_str_eq(line(&out, 8), "452 4.5.3 too many recipients");
	/* a refused recipient counts too; a new transaction starts again */
	buf_reset(&in);
	ck_assert_int_eq(buf_puts(&in, "HELO c.test\r\nMAIL FROM:<>\r\n"), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(buf_puts(&in,
		    "RCPT TO:<nobody@example.test>\r\n"), 0);
	ck_assert_int_eq(buf_puts(&in, "RCPT TO:<alice@example.test>\r\n"
	    "RSET\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\n"
	    "QUIT\r\n"), 0);
	session(in.s, in.len, &out);
	ck_assert_str_eq(line(&out, 7), "550 5.1.1 no such user here");
	ck_assert_str_eq(line(&out, 8), "452 4.5.3 too many recipients");
	ck_assert_str_eq(line(&out, 11), "250 2.1.5 recipient OK");
	/* smtp-maxcommands per session: 421, exit 100 */
	conf.maxcommands = 4;
	ck_assert_int_eq(session("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"
	    "NOOP\r\n", 36, &out), 100);
	ck_assert_str_eq(line(&out, 4), "250 2.0.0 OK");
	ck_assert_str_eq(line(&out, 5),
	    "421 4.7.0 mx.example.test too many commands, closing connection");
	ck_assert_str_eq(line(&out, 6), "");
	conf.maxcommands = 200;
	/* SMTPD_TXN_OTHER_MAX other commands in one transaction */
	buf_reset(&in);
	ck_assert_int_eq(buf_puts(&in, "HELO c.test\r\nMAIL FROM:<>\r\n"), 0);
	for (i = 0; i < SMTPD_TXN_OTHER_MAX + 5; i++)
		ck_assert_int_eq(buf_puts(&in, "NOOP\r\n"), 0);
	ck_assert_int_eq(session(in.s, in.len, &out), 100);
	ck_assert_str_eq(line(&out, 2 + SMTPD_TXN_OTHER_MAX),
	    "250 2.0.0 OK");
	ck_assert_str_eq(line(&out, 3 + SMTPD_TXN_OTHER_MAX),
	    "421 4.7.0 mx.example.test too many commands, closing connection");
	buf_free(&in);
	buf_free(&out);
}
END_TEST

START_TEST(t_limits)
{
	struct buf out = BUF_INIT, in = BUF_INIT;
	int i;

	/* maxrcpt 5: the sixth gets 452 and does not count as an error */
	ck_assert_int_eq(buf_puts(&in, "EHLO c.test\r\nMAIL FROM:<>\r\n"), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(buf_printf(&in, "RCPT TO:<alice+%d@example."
		    "test>\r\n", i), 0);
	ck_assert_int_eq(buf_puts(&in, "QUIT\r\n"), 0);
	session(in.s, in.len, &out);
	ck_assert_str_eq(line(&out, 16), "250 2.1.5 recipient OK");
	ck_assert_str_eq(line(&out, 17), "452 4.5.3 too many recipients");
	ck_assert_str_eq(line(&out, 31), "452 4.5.3 too many recipients");
	ck_assert(strncmp(line(&out, 32), "221 ", 4) == 0);
	/* a long command line */
	buf_reset(&in);
	ck_assert_int_eq(buf_puts(&in, "NOOP "), 0);
	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(buf_putc(&in, 'x'), 0);
	ck_assert_int_eq(buf_puts(&in, "\r\nNOOP\r\nQUIT\r\n"), 0);
	session(in.s, in.len, &out);
	ck_assert_str_eq(line(&out, 1), "500 5.5.2 line too long");
	ck_assert_str_eq(line(&out, 2), "250 2.0.0 OK");
	/* bare LF, NUL in commands */
	ck_assert_int_eq(session("NOOP\nNO\0OP\r\nQUIT\r\n", 19, &out), 0);
	ck_assert_str_eq(line(&out, 1),
	    "500 5.5.2 command line must end in CRLF");
	ck_assert_str_eq(line(&out, 2), "500 5.5.2 syntax error");
	/* too many errors: 421 and exit 100 */
	buf_reset(&in);
	for (i = 0; i < 30; i++)
		ck_assert_int_eq(buf_puts(&in, "BOGUS\r\n"), 0);
	ck_assert_int_eq(session(in.s, in.len, &out), 100);
	ck_assert_str_eq(line(&out, 10), "500 5.5.1 command unrecognized");
	ck_assert_str_eq(line(&out, 11),
	    "421 4.7.0 mx.example.test too many errors, closing connection");
	ck_assert_str_eq(line(&out, 12), "");
	buf_free(&in);
	buf_free(&out);
}
END_TEST

START_TEST(t_size)
{
	struct buf out = BUF_INIT, in = BUF_INIT;
	int i;

	SESSION("EHLO c.test\r\nMAIL FROM:<> SIZE=100001\r\nQUIT\r\n", &out);
	ck_assert_str_eq(line(&out, 11), "552 5.3.4 message size exceeds "
	    "fixed maximum message size");
	/* actual size over the limit: read to the end, then 552 */
	ck_assert_int_eq(buf_puts(&in, "EHLO c.test\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<alice@example.test>\r\nDATA\r\n"), 0);
	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(buf_puts(&in, "0123456789012345678901234567890"
		    "1234567890123456789\r\n"), 0);
	ck_assert_int_eq(buf_puts(&in, ".\r\nNOOP\r\nQUIT\r\n"), 0);
	session(in.s, in.len, &out);
	ck_assert(strstr(out.s, "354 ") != NULL);
	ck_assert(strstr(out.s, "\r\n552 5.3.4 ") != NULL);
	ck_assert(strstr(out.s, "552 5.3.4 message size exceeds fixed "
	    "maximum message size\r\n250 2.0.0 OK\r\n221") != NULL);
	ck_assert_int_eq(nmsgs(), 0);
	buf_free(&in);
	buf_free(&out);
}
END_TEST

START_TEST(t_bdat)
{
	struct buf out = BUF_INIT, b = BUF_INIT;

	ck_assert_int_eq(SESSION("EHLO c.test\r\n"
	    "MAIL FROM:<a@b.test> BODY=BINARYMIME\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "DATA\r\n"
	    "BDAT 7\r\nab\r\n.\r\n"
	    "BDAT 5 LAST\r\n\0\n\r.x"
	    "BDAT 3\r\nxyz"			/* no transaction: dropped */
	    "BDAT x\r\n"
	    "QUIT\r\n", &out), 0);
	ck_assert(strstr(out.s, "503 5.5.1 BODY=BINARYMIME requires BDAT\r\n"
	    "250 2.0.0 7 octets received\r\n250 2.0.0 OK queued as Q0\r\n"
	    "503 5.5.1 send MAIL first\r\n501 5.5.4 BDAT needs") != NULL);
	ck_assert_int_eq(nmsgs(), 1);
	slurp("msg.0", &b);
	ck_assert(b.len > 12);
	ck_assert(memcmp(b.s + b.len - 12, "ab\r\n.\r\n\0\n\r.x", 12) == 0);
	slurp("argv.0", &b);
	ck_assert(strstr(b.s, "body=binarymime") != NULL);
	/* BDAT past smtp-maxsize: the chunk is read and refused */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "EHLO c.test\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<alice@example.test>\r\nBDAT 100001 LAST\r\n"), 0);
	ck_assert_int_eq(buf_ready(&b, 100001), 0);
	memset(b.s + b.len, 'z', 100001);
	b.len += 100001;
	ck_assert_int_eq(buf_puts(&b, "NOOP\r\n"), 0);
	session(b.s, b.len, &out);
	ck_assert(strstr(out.s, "552 5.3.4 message size exceeds fixed "
	    "maximum message size\r\n250 2.0.0 OK\r\n") != NULL);
	ck_assert_int_eq(nmsgs(), 1);
	buf_free(&out);
	buf_free(&b);
}
END_TEST

START_TEST(t_smtputf8)
{
	struct buf out = BUF_INIT, b = BUF_INIT;

	ck_assert_int_eq(SESSION("EHLO c.test\r\n"
	    "MAIL FROM:<j\xc3\xb6rg@b.test>\r\n"
	    "MAIL FROM:<j\xc3\xb6rg@b.test> SMTPUTF8\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "DATA\r\nx\r\n.\r\nQUIT\r\n", &out), 0);
	ck_assert_str_eq(line(&out, 11),
	    "553 5.6.7 non-ASCII address needs SMTPUTF8");
	ck_assert_str_eq(line(&out, 12), "250 2.1.0 sender OK");
	slurp("argv.0", &b);
	ck_assert(strstr(b.s, "-o\nsmtputf8=1\n") != NULL);
	slurp("msg.0", &b);
	ck_assert(strstr(b.s, " with UTF8SMTP id ") != NULL);
	/* HELO: no parameters at all */
	SESSION("HELO c.test\r\nMAIL FROM:<a@b.test> SIZE=10\r\nQUIT\r\n",
	    &out);
	ck_assert_str_eq(line(&out, 2), "555 5.5.4 unsupported parameter SIZE");
	buf_free(&out);
	buf_free(&b);
}
END_TEST

START_TEST(t_addresses)
{
	struct buf out = BUF_INIT, in = BUF_INIT;
	int i;

	ck_assert_int_eq(buf_puts(&in, "EHLO c.test\r\n"
	    "MAIL FROM:a@b.test\r\n"
	    "MAIL FROM:<a@@b.test>\r\n"
	    "MAIL FROM:<@relay.test:a@b.test>\r\n"
	    "RCPT TO:<>\r\n"
	    "RCPT TO:<alice@example.test\r\n"
	    "RCPT TO:<\"alice\"@example.test>\r\n"
	    "RCPT TO:<Postmaster>\r\n"
	    "RCPT TO:<"), 0);
	for (i = 0; i < 65; i++)
		ck_assert_int_eq(buf_putc(&in, 'l'), 0);
	ck_assert_int_eq(buf_puts(&in, "@example.test>\r\nQUIT\r\n"), 0);
	session(in.s, in.len, &out);
	ck_assert(strncmp(line(&out, 11), "501 5.1.7 bad sender address: ",
	    30) == 0);
	ck_assert(strncmp(line(&out, 12), "501 5.1.7 ", 10) == 0);
	ck_assert_str_eq(line(&out, 13), "250 2.1.0 sender OK");
	ck_assert(strncmp(line(&out, 14), "501 5.1.3 ", 10) == 0);
	ck_assert(strncmp(line(&out, 15), "501 5.1.3 ", 10) == 0);
	ck_assert_str_eq(line(&out, 16), "250 2.1.5 recipient OK");
	ck_assert_str_eq(line(&out, 17), "250 2.1.5 recipient OK");
	ck_assert_str_eq(line(&out, 18),
	    "501 5.1.3 bad recipient address: local part too long");
	buf_free(&in);
	buf_free(&out);
}
END_TEST

START_TEST(t_filters)
{
	struct buf out = BUF_INIT, b = BUF_INIT;
	static char *f1[] = { "/bin/sh", "-c",
	    "echo 'X-Filter: yes'; cat", NULL };
	static char *f2[] = { "/bin/sh", "-c",
	    "cat >/dev/null; echo 'f2: refusing' >&2; "
	    "echo '550 5.7.1 not wanted here' >&2; exit 100", NULL };
	static char *f3[] = { "/bin/sh", "-c",
	    "cat >/dev/null; echo 'try later' >&2; exit 111", NULL };
	static char **chain1[] = { f1, NULL }, **chain2[] = { f1, f2, NULL },
	    **chain3[] = { f3, NULL };

	conf.filters = chain1;
	conf.nfilters = 1;
	SESSION("HELO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>"
	    "\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", &out);
	ck_assert(strstr(out.s, "250 2.0.0 OK queued as Q0\r\n") != NULL);
	slurp("msg.0", &b);
	ck_assert(strncmp(b.s, "X-Filter: yes\nReceived: from c.test ", 36)
	    == 0);
	ck_assert(strstr(b.s, " with SMTP id ") != NULL);
	conf.filters = chain2;
	conf.nfilters = 2;
	SESSION("HELO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>"
	    "\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", &out);
	ck_assert(strstr(out.s, "\r\n550 5.7.1 not wanted here\r\n") != NULL);
	ck_assert_int_eq(nmsgs(), 1);
	conf.filters = chain3;
	conf.nfilters = 1;
	SESSION("HELO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>"
	    "\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", &out);
	ck_assert(strstr(out.s, "\r\n451 4.0.0 try later\r\n") == NULL);
	ck_assert(strstr(out.s, "\r\n451 4.3.0 temporary failure, try again "
	    "later\r\n") != NULL);
	ck_assert_int_eq(nmsgs(), 1);
	conf.filters = NULL;
	conf.nfilters = 0;
	buf_free(&out);
	buf_free(&b);
}
END_TEST

START_TEST(t_inject_fails)
{
	struct buf out = BUF_INIT;

	free(conf.inject);
	conf.inject = strdup("/nonexistent/queue-inject");
	SESSION("HELO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>"
	    "\r\nDATA\r\nx\r\n.\r\nQUIT\r\n", &out);
	ck_assert(strstr(out.s, "\r\n451 4.3.0 temporary failure") != NULL);
	free(conf.inject);
	conf.inject = strdup("/bin/false");
	SESSION("HELO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>"
	    "\r\nDATA\r\nx\r\n.\r\nQUIT\r\n", &out);
	ck_assert(strstr(out.s, "\r\n451 4.3.0 temporary failure") != NULL);
	buf_free(&out);
}
END_TEST

START_TEST(t_eof_in_data)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(SESSION("HELO c.test\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<alice@example.test>\r\nDATA\r\nSubject: x\r\n\r\nhalf",
	    &out), 0);
	ck_assert_int_eq(nmsgs(), 0);
	ck_assert(strstr(out.s, "354 ") != NULL);
	buf_free(&out);
}
END_TEST

START_TEST(t_starttls_unavailable)
{
	struct buf out = BUF_INIT;

	SESSION("EHLO c.test\r\nSTARTTLS\r\nMAIL FROM:<> REQUIRETLS\r\n"
	    "QUIT\r\n", &out);
	ck_assert(strstr(out.s, "\r\n454 4.7.0 TLS not available\r\n") !=
	    NULL);
	ck_assert(strstr(out.s, "\r\n555 5.5.4 unsupported parameter "
	    "REQUIRETLS\r\n") != NULL);
	buf_free(&out);
}
END_TEST

static Suite *
smtpd_suite(void)
{
	Suite *s = suite_create("smtpd");
	TCase *tc = tcase_create("parse"), *ts = tcase_create("session");

	tcase_add_test(tc, t_xtext);
	tcase_add_test(tc, t_xtext_roundtrip);
	tcase_add_test(tc, t_helo);
	tcase_add_test(tc, t_mail_params);
	tcase_add_test(tc, t_rcpt_params);
	tcase_add_test(tc, t_dot_plain);
	tcase_add_test(tc, t_dot_smuggling);
	tcase_add_test(tc, t_dot_limits);
	tcase_add_test(tc, t_filter_reply);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_set_timeout(ts, 30);
	tcase_add_test(ts, t_sequence);
	tcase_add_test(ts, t_ehlo_keywords);
	tcase_add_test(ts, t_message);
	tcase_add_test(ts, t_pipelined_after_dot);
	tcase_add_test(ts, t_smuggling_session);
	tcase_add_test(ts, t_limits);
	tcase_add_test(ts, t_command_limits);
	tcase_add_test(ts, t_dot_lf_normalize);
	tcase_add_test(ts, t_size);
	tcase_add_test(ts, t_bdat);
	tcase_add_test(ts, t_smtputf8);
	tcase_add_test(ts, t_addresses);
	tcase_add_test(ts, t_filters);
	tcase_add_test(ts, t_inject_fails);
	tcase_add_test(ts, t_eof_in_data);
	tcase_add_test(ts, t_starttls_unavailable);
	suite_add_tcase(s, ts);
	return s;
}

UNIT_MAIN(smtpd_suite)
