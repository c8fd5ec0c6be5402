/*
 * test_authres: Authentication-Results (RFC 8601): the authserv-id of a
 * field (token, quoted-string, comments, a version), which fields claim
 * ours, the field built, and the stages' rewrite: our fields first, the
 * forged ones claiming our id removed (also past a 64 KiB read and
 * after a long field), foreign ones kept, the body byte for byte, bare
 * LF messages, a message that is all header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/authres.h"
#include "base/buf.h"
#include "unit.h"

static const char *
servid(const char *v)
{
	static struct buf b = BUF_INIT;

	return authres_servid(v, strlen(v), &b) == 0 ? b.s : NULL;
}

START_TEST(t_servid)
{
	ck_assert_str_eq(servid(" mx.example.org; spf=pass"), "mx.example.org");
	ck_assert_str_eq(servid("mx.example.org 1; none"), "mx.example.org");
	ck_assert_str_eq(servid(" (a (nested) comment) mx.example.org;"),
	    "mx.example.org");
	ck_assert_str_eq(servid(" \"quoted id\"; none"), "quoted id");
	ck_assert_ptr_null(servid(" ; spf=pass"));
	ck_assert_ptr_null(servid(""));
	ck_assert_ptr_null(servid(" \"unended"));
	ck_assert_ptr_null(servid(" (unended comment mx.example.org;"));
}
END_TEST

START_TEST(t_build)
{
	struct authres_field a;

	ck_assert_int_eq(authres_begin(&a, "mx.example.org", "\r\n"), 0);
	ck_assert_int_eq(authres_add(&a, "spf", "pass", NULL,
	    "smtp.mailfrom=example.com"), 0);
	ck_assert_int_eq(authres_add(&a, "dkim", "fail", "bad \"sig\"\n",
	    "header.d=example.com"), 0);
	ck_assert_int_eq(authres_end(&a), 0);
	ck_assert_str_eq(a.b.s, "Authentication-Results: mx.example.org;\r\n"
	    "\tspf=pass smtp.mailfrom=example.com;\r\n"
	    "\tdkim=fail reason=\"bad sig\" header.d=example.com\r\n");
	buf_free(&a.b);
	ck_assert_int_eq(authres_begin(&a, "mx.example.org", "\n"), 0);
	ck_assert_int_eq(authres_end(&a), 0);
	ck_assert_str_eq(a.b.s, "Authentication-Results: mx.example.org; none\n");
	buf_free(&a.b);
}
END_TEST

/* the rewrite of msg[0..n) with fields, as a stage does it */
static void
rewrite(const char *msg, size_t n, const char *fields, struct buf *out)
{
	char in[] = "/tmp/test_authres.in.XXXXXX";
	char outp[] = "/tmp/test_authres.out.XXXXXX";
	struct stage_io io;
	struct authres_msg m;
	ssize_t r;
	int fi, fo;

	ck_assert_int_ge(fi = mkstemp(in), 0);
	ck_assert_int_ge(fo = mkstemp(outp), 0);
	unlink(in), unlink(outp);
	ck_assert_int_eq(write(fi, msg, n), (ssize_t)n);
	lseek(fi, 0, SEEK_SET);
	memset(&io, 0, sizeof(io));
	io.name = "test";
	io.in = fi;
	io.out = fo;
	ck_assert_int_eq(authres_read(&io, &m), 0);
	ck_assert_int_eq(authres_write(&io, &m, fields, strlen(fields),
	    "mx.example.org", 0), 0);
	authres_msg_free(&m);
	buf_free(&io.err);
	lseek(fo, 0, SEEK_SET);
	buf_reset(out);
	for (;;) {
		ck_assert_int_eq(buf_ready(out, 65536), 0);
		r = read(fo, out->s + out->len, 65536);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		out->len += (size_t)r;
	}
	out->s[out->len] = '\0';
	close(fi), close(fo);
}

START_TEST(t_rewrite)
{
	struct buf out = BUF_INIT, big = BUF_INIT;
	const char *msg = "Received: from x\r\n"
	    "Authentication-Results: MX.Example.ORG; spf=pass\r\n"
	    "Authentication-Results: other.example; dkim=pass\r\n"
	    "Subject: hi\r\n"
	    "Authentication-Results: mx.example.org;\r\n dmarc=pass\r\n"
	    "\r\n"
	    "Authentication-Results: mx.example.org; in the body\r\n";
	const char *f = "Authentication-Results: mx.example.org; none\r\n";
	size_t i;

	rewrite(msg, strlen(msg), f, &out);
	ck_assert_str_eq(out.s, "Authentication-Results: mx.example.org; none\r\n"
	    "Received: from x\r\n"
	    "Authentication-Results: other.example; dkim=pass\r\n"
	    "Subject: hi\r\n"
	    "\r\n"
	    "Authentication-Results: mx.example.org; in the body\r\n");

	/* bare LF, and a message that is all header */
	rewrite("Subject: a\nAuthentication-Results: mx.example.org; x\n", 51, "",
	    &out);
	ck_assert_str_eq(out.s, "Subject: a\n");

	/* the forged field after 200 KiB of header, past several reads */
	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(buf_printf(&big, "X-Pad-%zu: %090zu\r\n", i,
		    i), 0);
	ck_assert_int_eq(buf_puts(&big, "Authentication-Results: "
	    "mx.example.org; spf=pass\r\n\r\nbody\r\n"), 0);
	rewrite(big.s, big.len, "", &out);
	ck_assert_ptr_null(strstr(out.s, "Authentication-Results"));
	ck_assert_uint_eq(out.len, big.len - strlen("Authentication-Results: "
	    "mx.example.org; spf=pass\r\n"));
	buf_free(&out);
	buf_free(&big);
}
END_TEST

static Suite *
authres_suite(void)
{
	Suite *s = suite_create("authres");
	TCase *tc = tcase_create("authres");

	tcase_add_test(tc, t_servid);
	tcase_add_test(tc, t_build);
	tcase_add_test(tc, t_rewrite);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(authres_suite)
