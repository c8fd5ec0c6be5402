/*
 * test_msg: the header splitter (lib/msg.c): fields, folding, line
 * endings, limits, and the bad input the issue names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "mail/msg.h"
#include "unit.h"

/* Field i of the header of m (n bytes; 0 = strlen). */
struct split {
	struct msg_hdr h;
	struct msg_field f[16];
	int nf;
	int r; /* the last msg_hdr_next result */
};

static void
split(struct split *sp, const char *m, size_t n)
{
	memset(sp, 0, sizeof(*sp));
	msg_hdr_init(&sp->h, m, n == 0 ? strlen(m) : n);
	while (
	    sp->nf < 16 && (sp->r = msg_hdr_next(&sp->h, &sp->f[sp->nf])) == 1)
		sp->nf++;
}

static int
field_eq(const struct msg_field *f, const char *name, const char *value)
{
	return f->namelen == strlen(name) &&
	    memcmp(f->name, name, f->namelen) == 0 &&
	    f->valuelen == strlen(value) &&
	    memcmp(f->value, value, f->valuelen) == 0;
}

START_TEST(t_simple)
{
	const char *m = "From: a@b\r\nTo: c@d\r\nSubject: hi there\r\n\r\n"
			"body\r\n";
	struct split sp;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 3);
	ck_assert(field_eq(&sp.f[0], "From", " a@b"));
	ck_assert(field_eq(&sp.f[1], "To", " c@d"));
	ck_assert(field_eq(&sp.f[2], "Subject", " hi there"));
	ck_assert_uint_eq(sp.f[1].rawlen, strlen("To: c@d\r\n"));
	ck_assert_int_eq(memcmp(sp.f[1].raw, "To: c@d\r\n", sp.f[1].rawlen), 0);
	ck_assert_uint_eq(sp.h.body, strlen(m) - strlen("body\r\n"));
	ck_assert_uint_eq(sp.h.flags, 0);
	ck_assert_uint_eq(sp.h.nfields, 3);
	/* after the end, 0 again */
	ck_assert_int_eq(msg_hdr_next(&sp.h, &sp.f[0]), 0);
	ck_assert_int_eq(msg_body_offset(m, strlen(m)), (long)(strlen(m) - 6));
}
END_TEST

START_TEST(t_folded_crlf)
{
	const char *m = "Subject: one\r\n two\r\n\tthree\r\nX: y\r\n\r\nB";
	struct split sp;
	struct buf b = BUF_INIT;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(field_eq(&sp.f[0], "Subject", " one\r\n two\r\n\tthree"));
	ck_assert_uint_eq(
	    sp.f[0].rawlen, strlen("Subject: one\r\n two\r\n\tthree\r\n"));
	ck_assert_int_eq(msg_field_value(&b, &sp.f[0]), 0);
	ck_assert_str_eq(b.s, "one two\tthree");
	ck_assert_int_eq(msg_unfold(&b, sp.f[0].value, sp.f[0].valuelen), 0);
	ck_assert_str_eq(b.s, " one two\tthree");
	ck_assert_uint_eq(sp.h.flags, 0);
	ck_assert_uint_eq(sp.h.body, strlen(m) - 1);
	buf_free(&b);
}
END_TEST

START_TEST(t_folded_lf)
{
	const char *m = "Subject: one\n two\n\tthree\nX: y\n\nB";
	struct split sp;
	struct buf b = BUF_INIT;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(field_eq(&sp.f[0], "Subject", " one\n two\n\tthree"));
	ck_assert(field_eq(&sp.f[1], "X", " y"));
	ck_assert_int_eq(msg_field_value(&b, &sp.f[0]), 0);
	ck_assert_str_eq(b.s, "one two\tthree");
	ck_assert(sp.h.flags & MSG_F_BARE_LF);
	ck_assert(!(sp.h.flags & MSG_F_BARE_CR));
	ck_assert_uint_eq(sp.h.body, strlen(m) - 1);
	buf_free(&b);
}
END_TEST

START_TEST(t_unfold)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(msg_unfold(&b, "a\r\n b\n\tc", 9), 0);
	ck_assert_str_eq(b.s, "a b\tc");
	/* a line ending not followed by WSP stays */
	ck_assert_int_eq(msg_unfold(&b, "a\r\nb\nc\r\n", 8), 0);
	ck_assert_str_eq(b.s, "a\r\nb\nc\r\n");
	ck_assert_int_eq(msg_unfold(&b, "", 0), 0);
	ck_assert_str_eq(b.s, "");
	ck_assert_uint_eq(b.len, 0);
	/* a bare CR before WSP is not a line ending */
	ck_assert_int_eq(msg_unfold(&b, "a\r b", 4), 0);
	ck_assert_str_eq(b.s, "a\r b");
	/* several folds in a row */
	ck_assert_int_eq(msg_unfold(&b, "a\r\n \r\n b", 9), 0);
	ck_assert_str_eq(b.s, "a  b");
	buf_free(&b);
}
END_TEST

START_TEST(t_field_value_trim)
{
	const char *m = "A:   \t spaced  \t\r\nB:\r\nC:\r\n \r\n\r\n";
	struct split sp;
	struct buf b = BUF_INIT;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.nf, 3);
	ck_assert_int_eq(msg_field_value(&b, &sp.f[0]), 0);
	ck_assert_str_eq(b.s, "spaced");
	ck_assert_int_eq(msg_field_value(&b, &sp.f[1]), 0);
	ck_assert_str_eq(b.s, "");
	ck_assert_uint_eq(sp.f[1].valuelen, 0);
	/* a value that is only a fold */
	ck_assert_int_eq(msg_field_value(&b, &sp.f[2]), 0);
	ck_assert_str_eq(b.s, "");
	buf_free(&b);
}
END_TEST

START_TEST(t_obs_colon)
{
	const char *m = "Subject \t : hi\r\nTo:x\r\n\r\n";
	struct split sp;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(field_eq(&sp.f[0], "Subject", " hi"));
	ck_assert(msg_field_is(&sp.f[0], "subject"));
	ck_assert(field_eq(&sp.f[1], "To", "x"));
	ck_assert(sp.h.flags & MSG_F_OBSCOLON);
	/* without the obs blanks the flag stays clear */
	split(&sp, "Subject: hi\r\n\r\n", 0);
	ck_assert(!(sp.h.flags & MSG_F_OBSCOLON));
}
END_TEST

START_TEST(t_no_colon)
{
	const char *m = "A: b\r\nthis line has no colon\r\nC: d\r\n\r\nx";
	struct split sp;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert(sp.h.flags & MSG_F_NOBLANK);
	ck_assert_uint_eq(sp.h.body, strlen("A: b\r\n"));
	ck_assert_int_eq(
	    msg_body_offset(m, strlen(m)), (long)strlen("A: b\r\n"));
	/* a name and blanks but no colon */
	split(&sp, "A: b\r\nSubject  hi\r\n\r\n", 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert(sp.h.flags & MSG_F_NOBLANK);
	ck_assert_uint_eq(sp.h.body, 6);
	/* an empty name */
	split(&sp, ": b\r\n\r\n", 0);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert(sp.h.flags & MSG_F_NOBLANK);
	ck_assert_uint_eq(sp.h.body, 0);
	/* an mbox From_ line is not a field */
	split(&sp, "From a@b Mon Jan  1 00:00:00 2024\nA: b\n\n", 0);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert_uint_eq(sp.h.body, 0);
	ck_assert(sp.h.flags & MSG_F_NOBLANK);
	/* a continuation line first */
	split(&sp, " A: b\r\n\r\n", 0);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert_uint_eq(sp.h.body, 0);
}
END_TEST

START_TEST(t_no_blank_line)
{
	const char *m = "From: a@b\r\nTo: c@d\r\nDear c, here is the body.\r\n";
	struct split sp;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(sp.h.flags & MSG_F_NOBLANK);
	ck_assert(!(sp.h.flags & MSG_F_NOBODY));
	ck_assert_uint_eq(sp.h.body, strlen("From: a@b\r\nTo: c@d\r\n"));
	ck_assert_int_eq(strncmp(m + sp.h.body, "Dear", 4), 0);
	/* a body line that starts with a blank continues the last field */
	split(&sp, "A: b\r\n body?\r\nC: d\r\n\r\n", 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(field_eq(&sp.f[0], "A", " b\r\n body?"));
}
END_TEST

START_TEST(t_bare_cr)
{
	const char *m = "A: b\rc\r\nD: e\r\n\r\nbody";
	struct split sp;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(field_eq(&sp.f[0], "A", " b\rc"));
	ck_assert(sp.h.flags & MSG_F_BARE_CR);
	ck_assert(!(sp.h.flags & MSG_F_BARE_LF));
	ck_assert_uint_eq(sp.h.body, strlen(m) - 4);
	/* CR CR LF: the first CR is bare */
	split(&sp, "A: b\r\r\n\r\n", 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert(sp.h.flags & MSG_F_BARE_CR);
	/* CR-only line endings: one long field, no crash */
	split(&sp, "A: b\rB: c\r\rbody", 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert(sp.h.flags & MSG_F_BARE_CR);
	ck_assert(sp.h.flags & MSG_F_NOBODY);
	/* a CR at the very end */
	split(&sp, "A: b\r", 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert(sp.h.flags & MSG_F_BARE_CR);
}
END_TEST

START_TEST(t_bare_lf)
{
	const char *m = "A: b\nB: c\r\n\nbody\n";
	struct split sp;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(field_eq(&sp.f[0], "A", " b"));
	ck_assert(field_eq(&sp.f[1], "B", " c"));
	ck_assert(sp.h.flags & MSG_F_BARE_LF);
	ck_assert_uint_eq(sp.h.body, strlen("A: b\nB: c\r\n\n"));
	/* only the blank line is bare */
	split(&sp, "A: b\r\n\nbody", 0);
	ck_assert(sp.h.flags & MSG_F_BARE_LF);
	ck_assert_uint_eq(sp.h.body, 7);
}
END_TEST

START_TEST(t_nul)
{
	const char m[] = "A: b\0c\r\nD: e\r\n\r\nbo\0dy";
	struct split sp;

	split(&sp, m, sizeof(m) - 1);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert_uint_eq(sp.f[0].valuelen, 4);
	ck_assert_int_eq(memcmp(sp.f[0].value, " b\0c", 4), 0);
	ck_assert(sp.h.flags & MSG_F_NUL);
	ck_assert_uint_eq(sp.h.body, sizeof(m) - 1 - 5);
	/* a NUL in the body is not looked at */
	split(&sp, "A: b\r\n\r\n\0", 9);
	ck_assert(!(sp.h.flags & MSG_F_NUL));
	/* a NUL in a name ends the header */
	split(&sp, "A\0B: c\r\n\r\n", 10);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert(sp.h.flags & MSG_F_NOBLANK);
	ck_assert_uint_eq(sp.h.body, 0);
	/* all NULs */
	split(&sp, "\0\0\0\0", 4);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 0);
}
END_TEST

START_TEST(t_8bit)
{
	/* Latin-1 and broken UTF-8: flagged, split as usual */
	const char *m =
	    "Subject: caf\xe9 \xc3\x28 \xff\xfe\r\nX-\xc3\xa9: y\r\n"
	    "To: z\r\n\r\n";
	struct split sp;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert(field_eq(&sp.f[0], "Subject", " caf\xe9 \xc3\x28 \xff\xfe"));
	ck_assert(sp.h.flags & MSG_F_8BIT);
	/* a name with 8-bit bytes is not a field name: the header ends */
	ck_assert(sp.h.flags & MSG_F_NOBLANK);
	ck_assert_uint_eq(sp.h.body,
	    strlen("Subject: caf\xe9 \xc3\x28 \xff\xfe"
		   "\r\n"));
	/* valid UTF-8 (RFC 6532) is flagged the same */
	split(&sp, "Subject: J\xc3\xb6rg\r\n\r\n", 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert(sp.h.flags & MSG_F_8BIT);
	split(&sp, "Subject: plain\r\n\r\n\xff", 0);
	ck_assert(!(sp.h.flags & MSG_F_8BIT));
}
END_TEST

START_TEST(t_empty_body)
{
	const char *m = "A: b\r\n\r\n";
	struct split sp;

	split(&sp, m, 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert_uint_eq(sp.h.body, strlen(m));
	ck_assert(!(sp.h.flags & MSG_F_NOBODY));
	ck_assert(!(sp.h.flags & MSG_F_NOBLANK));
	ck_assert_int_eq(msg_body_offset(m, strlen(m)), (long)strlen(m));
}
END_TEST

START_TEST(t_no_body)
{
	struct split sp;

	/* a header with its line ending but no blank line */
	split(&sp, "A: b\r\nC: d\r\n", 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(sp.h.flags & MSG_F_NOBODY);
	ck_assert_uint_eq(sp.h.body, 12);
	/* without the last line ending */
	split(&sp, "A: b\r\nC: d", 0);
	ck_assert_int_eq(sp.nf, 2);
	ck_assert(field_eq(&sp.f[1], "C", " d"));
	ck_assert(sp.h.flags & MSG_F_NOBODY);
	ck_assert_uint_eq(sp.h.body, 10);
	/* inside a fold */
	split(&sp, "A: b\r\n c", 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert(field_eq(&sp.f[0], "A", " b\r\n c"));
	ck_assert(sp.h.flags & MSG_F_NOBODY);
	/* a name and colon only */
	split(&sp, "A:", 0);
	ck_assert_int_eq(sp.nf, 1);
	ck_assert_uint_eq(sp.f[0].valuelen, 0);
	ck_assert(sp.h.flags & MSG_F_NOBODY);
	/* nothing at all */
	split(&sp, "", 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert_uint_eq(sp.h.body, 0);
	ck_assert(sp.h.flags & MSG_F_NOBODY);
	ck_assert_int_eq(msg_body_offset("", 0), 0);
}
END_TEST

START_TEST(t_only_blank_line)
{
	struct split sp;

	split(&sp, "\r\n", 0);
	ck_assert_int_eq(sp.r, 0);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert_uint_eq(sp.h.body, 2);
	ck_assert_uint_eq(sp.h.flags, 0);
	split(&sp, "\n", 0);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert_uint_eq(sp.h.body, 1);
	ck_assert_uint_eq(sp.h.flags, MSG_F_BARE_LF);
	/* blank line, then a body that looks like a header */
	split(&sp, "\r\nA: b\r\n", 0);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert_uint_eq(sp.h.body, 2);
	/* a lone CR is not a blank line */
	split(&sp, "\r", 0);
	ck_assert_int_eq(sp.nf, 0);
	ck_assert_uint_eq(sp.h.body, 0);
	ck_assert(sp.h.flags & MSG_F_NOBLANK);
}
END_TEST

/* "X-Big: " + n bytes of 'a' + CRLF CRLF "body" */
static char *
big_field(size_t n, size_t *len)
{
	char *m;

	*len = 7 + n + 8;
	ck_assert_ptr_nonnull(m = malloc(*len + 1));
	memcpy(m, "X-Big: ", 7);
	memset(m + 7, 'a', n);
	memcpy(m + 7 + n, "\r\n\r\nbody", 9);
	return m;
}

START_TEST(t_line_1mb)
{
	struct msg_hdr h;
	struct msg_field f;
	size_t len;
	char *m = big_field(1024 * 1024, &len);

	msg_hdr_init(&h, m, len);
	ck_assert_uint_eq(h.field_max, MSG_FIELD_MAX);
	errno = 0;
	ck_assert_int_eq(msg_hdr_next(&h, &f), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(msg_body_offset(m, len), -1);
	ck_assert_int_eq(msg_find(m, len, "Subject", &f), -1);

	/* raised: accepted */
	msg_hdr_init(&h, m, len);
	h.field_max = 2 * 1024 * 1024;
	ck_assert_int_eq(msg_hdr_next(&h, &f), 1);
	ck_assert(msg_field_is(&f, "x-big"));
	ck_assert_uint_eq(f.valuelen, 1 + 1024 * 1024);
	ck_assert_uint_eq(f.rawlen, 7 + 1024 * 1024 + 2);
	ck_assert_int_eq(msg_hdr_next(&h, &f), 0);
	ck_assert_uint_eq(h.body, len - 4);

	/* exactly at the limit: field_max counts the whole field */
	msg_hdr_init(&h, m, len);
	h.field_max = 7 + 1024 * 1024 + 2;
	ck_assert_int_eq(msg_hdr_next(&h, &f), 1);
	msg_hdr_init(&h, m, len);
	h.field_max = 7 + 1024 * 1024 + 1;
	ck_assert_int_eq(msg_hdr_next(&h, &f), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	free(m);
}
END_TEST

START_TEST(t_fold_1mb)
{
	struct buf b = BUF_INIT;
	struct msg_hdr h;
	struct msg_field f;
	size_t i;

	/* 1 MB in 20,000 short continuation lines */
	ck_assert_int_eq(buf_puts(&b, "Received: x\r\n"), 0);
	ck_assert_int_eq(buf_puts(&b, "References: <a@b>\r\n"), 0);
	for (i = 0; i < 20000; i++)
		ck_assert_int_eq(buf_puts(&b,
				     " <0123456789012345678901234567"
				     "890123456789@example.org>\r\n"),
		    0);
	ck_assert_int_eq(buf_puts(&b, "\r\nbody"), 0);
	ck_assert_uint_gt(b.len, 1000000);
	msg_hdr_init(&h, b.s, b.len);
	ck_assert_int_eq(msg_hdr_next(&h, &f), 1);
	errno = 0;
	ck_assert_int_eq(msg_hdr_next(&h, &f), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	buf_free(&b);
}
END_TEST

static void
many_fields(struct buf *b, size_t n)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(buf_printf(b, "X-F%zu: v\r\n", i), 0);
	ck_assert_int_eq(buf_puts(b, "\r\nbody"), 0);
}

START_TEST(t_fields_10000)
{
	struct buf b = BUF_INIT;
	struct msg_hdr h;
	struct msg_field f;
	size_t n = 0;
	int r;

	many_fields(&b, MSG_FIELDS_MAX);
	msg_hdr_init(&h, b.s, b.len);
	while ((r = msg_hdr_next(&h, &f)) == 1)
		n++;
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(n, 10000);
	ck_assert_uint_eq(h.body, b.len - 4);
	ck_assert_int_eq(msg_find(b.s, b.len, "x-f9999", &f), 1);
	ck_assert_int_eq(msg_find(b.s, b.len, "x-f10000", &f), 0);
	buf_free(&b);
}
END_TEST

START_TEST(t_fields_10001)
{
	struct buf b = BUF_INIT;
	struct msg_hdr h;
	struct msg_field f;
	size_t n = 0;
	int r;

	many_fields(&b, MSG_FIELDS_MAX + 1);
	msg_hdr_init(&h, b.s, b.len);
	errno = 0;
	while ((r = msg_hdr_next(&h, &f)) == 1)
		n++;
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(n, 10000);
	ck_assert_int_eq(msg_body_offset(b.s, b.len), -1);
	/* the field being looked for is past the limit */
	ck_assert_int_eq(msg_find(b.s, b.len, "x-f10000", &f), -1);
	/* raised: accepted */
	msg_hdr_init(&h, b.s, b.len);
	h.fields_max = 10001;
	n = 0;
	while ((r = msg_hdr_next(&h, &f)) == 1)
		n++;
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(n, 10001);
	/* lowered */
	msg_hdr_init(&h, b.s, b.len);
	h.fields_max = 3;
	n = 0;
	while ((r = msg_hdr_next(&h, &f)) == 1)
		n++;
	ck_assert_int_eq(r, -1);
	ck_assert_uint_eq(n, 3);
	buf_free(&b);
}
END_TEST

START_TEST(t_find)
{
	const char *m = "From: a@b\r\nsubject: one\r\nSUBJECT: two\r\n\r\n"
			"Subject: body\r\n";
	struct msg_field f;
	struct buf b = BUF_INIT;

	ck_assert_int_eq(msg_find(m, strlen(m), "Subject", &f), 1);
	ck_assert_int_eq(msg_field_value(&b, &f), 0);
	ck_assert_str_eq(b.s, "one");
	ck_assert_int_eq(msg_find(m, strlen(m), "from", &f), 1);
	ck_assert_int_eq(msg_find(m, strlen(m), "To", &f), 0);
	/* a prefix of a name is not the name */
	ck_assert_int_eq(msg_find(m, strlen(m), "Subj", &f), 0);
	ck_assert_int_eq(msg_find(m, strlen(m), "Subjects", &f), 0);
	ck_assert(!msg_field_is(&f, "Subject:"));
	buf_free(&b);
}
END_TEST

START_TEST(t_raw_roundtrip)
{
	/* the raw pieces and the body put back together give the input */
	const char *m = "A: 1\r\nB : 2\n \t3\r\nC:\r\n\r\nbody\r\n";
	struct msg_hdr h;
	struct msg_field f;
	struct buf b = BUF_INIT;

	msg_hdr_init(&h, m, strlen(m));
	while (msg_hdr_next(&h, &f) == 1)
		ck_assert_int_eq(buf_put(&b, f.raw, f.rawlen), 0);
	ck_assert_uint_eq(b.len, h.body - 2);
	ck_assert_int_eq(buf_put(&b, "\r\n", 2), 0);
	ck_assert_int_eq(buf_puts(&b, m + h.body), 0);
	ck_assert_str_eq(b.s, m);
	buf_free(&b);
}
END_TEST

START_TEST(t_every_prefix)
{
	/* every truncation of a message: no crash, body within bounds */
	const char *m = "From: \"A\" <a@b>\r\nSubject: x\r\n y\r\nTo\t: c\n"
			"\r\nbody\r\n";
	size_t n, len = strlen(m);
	long off;
	char *p;

	for (n = 0; n <= len; n++) {
		ck_assert_ptr_nonnull(p = malloc(n + 1));
		memcpy(p, m, n);
		off = msg_body_offset(p, n);
		ck_assert_int_ge(off, 0);
		ck_assert_int_le(off, (long)n);
		free(p);
	}
}
END_TEST

static Suite *
msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_simple);
	tcase_add_test(tc, t_folded_crlf);
	tcase_add_test(tc, t_folded_lf);
	tcase_add_test(tc, t_unfold);
	tcase_add_test(tc, t_field_value_trim);
	tcase_add_test(tc, t_obs_colon);
	tcase_add_test(tc, t_no_colon);
	tcase_add_test(tc, t_no_blank_line);
	tcase_add_test(tc, t_bare_cr);
	tcase_add_test(tc, t_bare_lf);
	tcase_add_test(tc, t_nul);
	tcase_add_test(tc, t_8bit);
	tcase_add_test(tc, t_empty_body);
	tcase_add_test(tc, t_no_body);
	tcase_add_test(tc, t_only_blank_line);
	tcase_add_test(tc, t_line_1mb);
	tcase_add_test(tc, t_fold_1mb);
	tcase_add_test(tc, t_fields_10000);
	tcase_add_test(tc, t_fields_10001);
	tcase_add_test(tc, t_find);
	tcase_add_test(tc, t_raw_roundtrip);
	tcase_add_test(tc, t_every_prefix);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(msg_suite)
