/* memmem() */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "mail/date.h"
#include "mail/msg.h"
#include "queue/dsn.h"
#include "unit.h"

#define ORIG	"From: a@x.example\nSubject: Test\nMessage-ID: <1@x>\n\n" \
		"Body line\nsecond line\n"
#define ORIG_HDR "From: a@x.example\nSubject: Test\nMessage-ID: <1@x>\n"

static int
out_buf(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

/* The original message on a file descriptor, at offset 0. */
static int
orig_fd(const char *text, size_t n)
{
	char path[] = "/tmp/postern-dsn.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	unlink(path);
	ck_assert_int_eq(write_all(fd, text, n), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
base(struct dsn *d, struct dsn_rcpt *r, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->mta = "mx.example.test";
	d->qid = "1700000000.000001.1.1";
	d->sender = "s@x.example";
	d->arrival = 1700000000;
	d->date = 1700000100;
	d->body = PARAM_BODY_7BIT;
	d->rcpt = r;
	d->nrcpt = n;
}

static void
run(const struct dsn *d, const char *orig, size_t olen, struct buf *out)
{
	int fd = orig_fd(orig, olen);

	buf_reset(out);
	ck_assert_int_eq(dsn_write(d, fd, (off_t)olen, out_buf, out), 0);
	close(fd);
}

/*
 * Parsing the report back
 */

struct part {
	const char	*p;
	size_t		 n;
};

/* The value of field name in the header block p[0..n), or "" (static). */
static const char *
field(const char *p, size_t n, const char *name)
{
	static struct buf v;
	struct msg_field f;

	buf_reset(&v);
	if (msg_find(p, n, name, &f) != 1 || msg_field_value(&v, &f) == -1)
		return "";
	return v.s ? v.s : "";
}

/* The body of a part (after its header). */
static struct part
body_of(struct part pt)
{
	long off = msg_body_offset(pt.p, pt.n);
	struct part b;

	ck_assert_int_ge(off, 0);
	b.p = pt.p + off;
	b.n = pt.n - (size_t)off;
	return b;
}

/* Split the multipart body of msg at its boundary; parts into v. */
static size_t
parts(const struct buf *msg, struct part *v, size_t max, char *bnd_r,
    size_t bndsize)
{
	const char *ct = field(msg->s, msg->len, "Content-Type");
	const char *b, *e, *p, *end = msg->s + msg->len, *next;
	char delim[200];
	size_t n = 0, dl;

	b = strstr(ct, "boundary=\"");
	ck_assert_ptr_nonnull(b);
	b += 10;
	e = strchr(b, '"');
	ck_assert_ptr_nonnull(e);
	ck_assert((size_t)(e - b) < bndsize);
	memcpy(bnd_r, b, (size_t)(e - b));
	bnd_r[e - b] = '\0';
	snprintf(delim, sizeof(delim), "\n--%s", bnd_r);
	dl = strlen(delim);
	p = msg->s + msg_body_offset(msg->s, msg->len) - 1;
	/* the first delimiter, then each part up to the next */
	p = memmem(p, (size_t)(end - p), delim, dl);
	ck_assert_ptr_nonnull(p);
	for (;;) {
		p += dl;
		if (p + 2 <= end && p[0] == '-' && p[1] == '-')
			break;	/* the close delimiter */
		ck_assert(p < end && *p == '\n');
		p++;
		next = memmem(p, (size_t)(end - p), delim, dl);
		ck_assert_ptr_nonnull(next);
		ck_assert(n < max);
		v[n].p = p;
		/* the LF before a delimiter belongs to it (RFC 2046 5.1.1) */
		v[n].n = (size_t)(next - p);
		n++;
		p = next;
	}
	return n;
}

/* The blank-line-separated groups of a delivery-status body. */
static size_t
groups(struct part b, struct part *v, size_t max)
{
	const char *p = b.p, *end = b.p + b.n, *e;
	size_t n = 0;

	while (p < end) {
		e = memmem(p, (size_t)(end - p), "\n\n", 2);
		ck_assert(n < max);
		v[n].p = p;
		v[n].n = e ? (size_t)(e - p) + 2 : (size_t)(end - p);
		n++;
		if (e == NULL)
			break;
		p = e + 2;
	}
	return n;
}

START_TEST(t_failure_full)
{
	struct dsn_rcpt r[2] = {
		{ "nobody@x.example", "rfc822;No+2Bbody@x.example", DSN_FAILED,
		    "5.1.1", NULL, "no such user here", 1700000050, 0 },
		{ "demo@x.example", NULL, DSN_DELIVERED, "2.0.0", NULL, NULL,
		    1700000060, 0 },
	};
	struct dsn d;
	struct buf out = BUF_INIT;
	struct part p[4], g[4], b;
	struct date dt;
	char bnd[100];
	const char *v;

	base(&d, r, 2);
	d.envid = "env+2Bid";
	d.ret = PARAM_RET_FULL;
	run(&d, ORIG, strlen(ORIG), &out);

	ck_assert_ptr_nonnull(strstr(field(out.s, out.len, "From"),
	    "<MAILER-DAEMON@mx.example.test>"));
	ck_assert_str_eq(field(out.s, out.len, "To"), "<s@x.example>");
	ck_assert_ptr_nonnull(strstr(field(out.s, out.len, "Subject"),
	    "Failure"));
	ck_assert_str_eq(field(out.s, out.len, "Auto-Submitted"),
	    "auto-replied");
	ck_assert_str_eq(field(out.s, out.len, "MIME-Version"), "1.0");
	v = field(out.s, out.len, "Date");
	ck_assert_int_eq(date_parse(v, strlen(v), &dt, NULL), 0);
	ck_assert_int_eq(dt.t, 1700000100);
	/* RFC 6522 3: multipart/report with report-type */
	ck_assert_ptr_nonnull(strstr(field(out.s, out.len, "Content-Type"),
	    "multipart/report; report-type=delivery-status;"));
	ck_assert_uint_eq(parts(&out, p, 4, bnd, sizeof(bnd)), 3);
	ck_assert_ptr_nonnull(strstr(field(p[0].p, p[0].n, "Content-Type"),
	    "text/plain"));
	ck_assert_str_eq(field(p[1].p, p[1].n, "Content-Type"),
	    "message/delivery-status");
	ck_assert_str_eq(field(p[2].p, p[2].n, "Content-Type"),
	    "message/rfc822");
	/* the human part names the failed recipient */
	b = body_of(p[0]);
	v = "<nobody@x.example>: no such user here";
	ck_assert_ptr_nonnull(memmem(b.p, b.n, v, strlen(v)));

	/* RFC 3464 2.2 and 2.3 */
	b = body_of(p[1]);
	ck_assert_uint_eq(groups(b, g, 4), 3);
	ck_assert_str_eq(field(g[0].p, g[0].n, "Reporting-MTA"),
	    "dns; mx.example.test");
	/* RFC 3461 6.3: ENVID and ORCPT decoded from xtext */
	ck_assert_str_eq(field(g[0].p, g[0].n, "Original-Envelope-Id"),
	    "env+id");
	v = field(g[0].p, g[0].n, "Arrival-Date");
	ck_assert_int_eq(date_parse(v, strlen(v), &dt, NULL), 0);
	ck_assert_int_eq(dt.t, 1700000000);
	ck_assert_str_eq(field(g[1].p, g[1].n, "Original-Recipient"),
	    "rfc822; No+body@x.example");
	ck_assert_str_eq(field(g[1].p, g[1].n, "Final-Recipient"),
	    "rfc822; nobody@x.example");
	ck_assert_str_eq(field(g[1].p, g[1].n, "Action"), "failed");
	ck_assert_str_eq(field(g[1].p, g[1].n, "Status"), "5.1.1");
	ck_assert_str_eq(field(g[1].p, g[1].n, "Diagnostic-Code"),
	    "X-Postern; no such user here");
	v = field(g[1].p, g[1].n, "Last-Attempt-Date");
	ck_assert_int_eq(date_parse(v, strlen(v), &dt, NULL), 0);
	ck_assert_int_eq(dt.t, 1700000050);
	ck_assert_str_eq(field(g[2].p, g[2].n, "Final-Recipient"),
	    "rfc822; demo@x.example");
	ck_assert_str_eq(field(g[2].p, g[2].n, "Action"), "delivered");
	ck_assert_str_eq(field(g[2].p, g[2].n, "Status"), "2.0.0");
	ck_assert_str_eq(field(g[2].p, g[2].n, "Original-Recipient"), "");

	/* RET=FULL: the whole original, byte for byte */
	b = body_of(p[2]);
	ck_assert_uint_eq(b.n, strlen(ORIG));
	ck_assert_int_eq(memcmp(b.p, ORIG, b.n), 0);
	buf_free(&out);
}
END_TEST

/* The third part's type and content. */
static void
third(const struct buf *out, char *type, size_t tsize, struct buf *content)
{
	struct part p[4], b;
	char bnd[100];

	ck_assert_uint_eq(parts(out, p, 4, bnd, sizeof(bnd)), 3);
	snprintf(type, tsize, "%s", field(p[2].p, p[2].n, "Content-Type"));
	b = body_of(p[2]);
	ck_assert_int_eq(buf_set(content, b.p, b.n), 0);
}

START_TEST(t_returned_content)
{
	struct dsn_rcpt fail = { "n@x.example", NULL, DSN_FAILED, "5.1.1",
		NULL, "no", 0, 0 };
	struct dsn_rcpt ok = { "n@x.example", NULL, DSN_DELIVERED, "2.0.0",
		NULL, NULL, 0, 0 };
	struct dsn d;
	struct buf out = BUF_INIT, c = BUF_INIT, big = BUF_INIT;
	char type[100];

	/* RET=HDRS: only the header, in text/rfc822-headers */
	base(&d, &fail, 1);
	d.ret = PARAM_RET_HDRS;
	run(&d, ORIG, strlen(ORIG), &out);
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(type, "text/rfc822-headers");
	ck_assert_str_eq(c.s, ORIG_HDR);
	ck_assert_ptr_null(strstr(out.s, "Body line"));

	/* RFC 3461 4.3: a success returns the header whatever RET says */
	base(&d, &ok, 1);
	d.ret = PARAM_RET_FULL;
	run(&d, ORIG, strlen(ORIG), &out);
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(type, "text/rfc822-headers");
	ck_assert_str_eq(c.s, ORIG_HDR);
	ck_assert_ptr_nonnull(strstr(field(out.s, out.len, "Subject"),
	    "Success"));

	/* RET not given: the whole of a small message */
	base(&d, &fail, 1);
	run(&d, ORIG, strlen(ORIG), &out);
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(type, "message/rfc822");
	ck_assert_str_eq(c.s, ORIG);

	/* ... and the header of a large one */
	ck_assert_int_eq(buf_puts(&big, ORIG_HDR "\n"), 0);
	while (big.len <= DSN_FULL_MAX)
		ck_assert_int_eq(buf_puts(&big, "012345678901234567890123456"
		    "7890123456789012345678901234567890123456789\n"), 0);
	run(&d, big.s, big.len, &out);
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(type, "text/rfc822-headers");
	ck_assert_str_eq(c.s, ORIG_HDR);
	/* RET=FULL returns even that, streamed whole */
	d.ret = PARAM_RET_FULL;
	run(&d, big.s, big.len, &out);
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(type, "message/rfc822");
	ck_assert_uint_eq(c.len, big.len);
	ck_assert_int_eq(memcmp(c.s, big.s, c.len), 0);

	/* BODY=BINARYMIME cannot travel inside message/rfc822 */
	d.body = PARAM_BODY_BINARYMIME;
	run(&d, ORIG, strlen(ORIG), &out);
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(type, "text/rfc822-headers");

	/* a message without a body: its header all the same */
	d.ret = PARAM_RET_HDRS;
	d.body = PARAM_BODY_7BIT;
	run(&d, ORIG_HDR, strlen(ORIG_HDR), &out);
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(c.s, ORIG_HDR);
	buf_free(&out);
	buf_free(&c);
	buf_free(&big);
}
END_TEST

START_TEST(t_null_sender)
{
	struct dsn_rcpt fail = { "n@x.example", NULL, DSN_FAILED, "5.1.1",
		NULL, "no", 0, 0 };
	struct dsn d;
	struct buf out = BUF_INIT;
	int fd = orig_fd(ORIG, strlen(ORIG));

	/* RFC 3461 6.2: never a DSN to the null sender */
	base(&d, &fail, 1);
	d.sender = "";
	errno = 0;
	ck_assert_int_eq(dsn_write(&d, fd, (off_t)strlen(ORIG), out_buf, &out),
	    -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(out.len, 0);
	d.sender = NULL;
	ck_assert_int_eq(dsn_write(&d, fd, (off_t)strlen(ORIG), out_buf, &out),
	    -1);
	/* nothing to report */
	base(&d, &fail, 0);
	ck_assert_int_eq(dsn_write(&d, fd, (off_t)strlen(ORIG), out_buf, &out),
	    -1);
	ck_assert_uint_eq(out.len, 0);
	close(fd);
	buf_free(&out);
}
END_TEST

START_TEST(t_global)
{
	struct dsn_rcpt r = { "j\xc3\xb6rg@b\xc3\xbc.example",
		"utf-8;j\\x{F6}rg@b\\x{FC}.example", DSN_FAILED, "5.2.2", NULL,
		"mailbox full", 0, 0 };
	struct dsn d;
	struct buf out = BUF_INIT, c = BUF_INIT;
	struct part p[4], g[4];
	char bnd[100], type[100];
	enum param_body body;
	int utf8;

	/* RFC 6533: SMTPUTF8 gives the global types */
	base(&d, &r, 1);
	d.utf8 = 1;
	d.sender = "s\xc3\xa9@x.example";
	dsn_params(&d, &utf8, &body);
	ck_assert_int_eq(utf8, 1);
	ck_assert_int_eq(body, PARAM_BODY_8BITMIME);
	run(&d, ORIG, strlen(ORIG), &out);
	ck_assert_ptr_nonnull(strstr(field(out.s, out.len, "Content-Type"),
	    "report-type=global-delivery-status"));
	ck_assert_uint_eq(parts(&out, p, 4, bnd, sizeof(bnd)), 3);
	ck_assert_str_eq(field(p[1].p, p[1].n, "Content-Type"),
	    "message/global-delivery-status");
	ck_assert_uint_eq(groups(body_of(p[1]), g, 4), 2);
	ck_assert_str_eq(field(g[1].p, g[1].n, "Final-Recipient"),
	    "utf-8; j\xc3\xb6rg@b\xc3\xbc.example");
	ck_assert_str_eq(field(g[1].p, g[1].n, "Original-Recipient"),
	    "utf-8; j\\x{F6}rg@b\\x{FC}.example");
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(type, "message/global");
	d.ret = PARAM_RET_HDRS;
	run(&d, ORIG, strlen(ORIG), &out);
	third(&out, type, sizeof(type), &c);
	ck_assert_str_eq(type, "message/global-headers");

	/* plain ASCII, BODY=7BIT: a 7bit DSN */
	r.rcpt = "a@x.example";
	r.orcpt = NULL;
	base(&d, &r, 1);
	dsn_params(&d, &utf8, &body);
	ck_assert_int_eq(utf8, 0);
	ck_assert_int_eq(body, PARAM_BODY_7BIT);
	/* no BODY given: maybe 8bit */
	d.body = PARAM_BODY_NONE;
	dsn_params(&d, &utf8, &body);
	ck_assert_int_eq(body, PARAM_BODY_8BITMIME);
	buf_free(&out);
	buf_free(&c);
}
END_TEST

START_TEST(t_crlf_and_delay)
{
	struct dsn_rcpt r[2] = {
		{ "a@x.example", NULL, DSN_DELAYED, "4.2.2", NULL,
		    "mailbox full", 1700000050, 1700400000 },
		{ "b@x.example", NULL, DSN_EXPANDED, "bogus", NULL, NULL, 0,
		    0 },
	};
	const char *orig = "Subject: crlf\r\n\r\nbody\r\n";
	struct dsn d;
	struct buf out = BUF_INIT, lf = BUF_INIT;
	struct part p[4], g[4];
	char bnd[100];
	size_t i;

	base(&d, r, 2);
	run(&d, orig, strlen(orig), &out);
	/* every line ends in CRLF, as the original's */
	for (i = 0; i < out.len; i++)
		if (out.s[i] == '\n')
			ck_assert_msg(i > 0 && out.s[i - 1] == '\r',
			    "bare LF at %zu", i);
	for (i = 0; i < out.len; i++)
		if (out.s[i] != '\r')
			ck_assert_int_eq(buf_putc(&lf, out.s[i]), 0);
	ck_assert_ptr_nonnull(strstr(field(lf.s, lf.len, "Subject"), "Delay"));
	ck_assert_uint_eq(parts(&lf, p, 4, bnd, sizeof(bnd)), 3);
	ck_assert_uint_eq(groups(body_of(p[1]), g, 4), 3);
	ck_assert_str_eq(field(g[1].p, g[1].n, "Action"), "delayed");
	ck_assert_str_eq(field(g[1].p, g[1].n, "Status"), "4.2.2");
	ck_assert_str_ne(field(g[1].p, g[1].n, "Will-Retry-Until"), "");
	ck_assert_str_eq(field(g[2].p, g[2].n, "Action"), "expanded");
	/* a malformed status is replaced by a generic one of its class */
	ck_assert_str_eq(field(g[2].p, g[2].n, "Status"), "2.0.0");
	buf_free(&out);
	buf_free(&lf);
}
END_TEST

static Suite *
dsn_suite(void)
{
	Suite *s = suite_create("dsn");
	TCase *tc = tcase_create("dsn");

	tcase_add_test(tc, t_failure_full);
	tcase_add_test(tc, t_returned_content);
	tcase_add_test(tc, t_null_sender);
	tcase_add_test(tc, t_global);
	tcase_add_test(tc, t_crlf_and_delay);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(dsn_suite)
