/*
 * test_control: control files under $POSTERN_CONF (lib/control.c):
 * 1 found, 0 absent, -1 error; numbers; lists.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/control.h"
#include "base/fileio.h"
#include "base/num.h"
#include "unit.h"

static char *dir;

static void
setup(void)
{
	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(setenv("POSTERN_CONF", dir, 1), 0);
}

static void
teardown(void)
{
	unit_rm_rf(dir);
	unsetenv("POSTERN_CONF");
}

static void
put(const char *name, const char *s, size_t n)
{
	struct buf p = BUF_INIT;
	int fd;

	ck_assert_int_eq(buf_printf(&p, "%s/%s", dir, name), 0);
	fd = open(p.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write_all(fd, s, n), 0);
	ck_assert_int_eq(close(fd), 0);
	buf_free(&p);
}

#define PUT(name, lit)	put((name), (lit), sizeof(lit) - 1)

START_TEST(t_control_dir)
{
	struct buf p = BUF_INIT;

	ck_assert_str_eq(control_dir(), dir);
	ck_assert_int_eq(control_path(&p, "me"), 0);
	ck_assert_str_eq(p.s + strlen(dir), "/me");
	ck_assert_int_eq(strncmp(p.s, dir, strlen(dir)), 0);
	ck_assert_int_eq(control_path(&p, "/abs/file"), 0);	/* replaced */
	ck_assert_str_eq(p.s, "/abs/file");
	unsetenv("POSTERN_CONF");
	ck_assert_str_eq(control_dir(), "/etc/postern");
	ck_assert_int_eq(control_path(&p, "me"), 0);
	ck_assert_str_eq(p.s, "/etc/postern/me");
	setenv("POSTERN_CONF", "", 1);
	ck_assert_str_eq(control_dir(), "/etc/postern");
	buf_free(&p);
}
END_TEST

/* A missing file is 0 and leaves the value alone (the default). */
START_TEST(t_absent)
{
	struct buf v = BUF_INIT;
	unsigned long n = 7;
	size_t count = 9;

	ck_assert_int_eq(buf_puts(&v, "default"), 0);
	ck_assert_int_eq(control_line("me", &v), 0);
	ck_assert_str_eq(v.s, "default");
	ck_assert_int_eq(control_ulong("maxsize", &n, 0, 100), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(control_lines("list", &v, &count), 0);
	ck_assert_uint_eq(count, 0);
	buf_free(&v);
}
END_TEST

/* $POSTERN_CONF itself missing: every file is absent. */
START_TEST(t_conf_dir_missing)
{
	struct buf v = BUF_INIT;
	char p[4200];

	snprintf(p, sizeof(p), "%s/nonexistent", dir);
	setenv("POSTERN_CONF", p, 1);
	ck_assert_int_eq(control_line("me", &v), 0);
	buf_free(&v);
}
END_TEST

/* $POSTERN_CONF a file: ENOTDIR is an error, not "absent". */
START_TEST(t_conf_dir_is_file)
{
	struct buf v = BUF_INIT;
	char p[4200];

	PUT("plain", "x\n");
	snprintf(p, sizeof(p), "%s/plain", dir);
	setenv("POSTERN_CONF", p, 1);
	errno = 0;
	ck_assert_int_eq(control_line("me", &v), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	buf_free(&v);
}
END_TEST

/* Empty, blank-only, or blank first line: absent. */
START_TEST(t_empty_and_blank)
{
	struct buf v = BUF_INIT;

	ck_assert_int_eq(buf_puts(&v, "default"), 0);
	PUT("empty", "");
	ck_assert_int_eq(control_line("empty", &v), 0);
	PUT("nl", "\n");
	ck_assert_int_eq(control_line("nl", &v), 0);
	PUT("blanks", " \t \r\n");
	ck_assert_int_eq(control_line("blanks", &v), 0);
	PUT("blanks2", "   ");
	ck_assert_int_eq(control_line("blanks2", &v), 0);
	/* only the first line counts */
	PUT("second", "\nvalue\n");
	ck_assert_int_eq(control_line("second", &v), 0);
	ck_assert_str_eq(v.s, "default");
	buf_free(&v);
}
END_TEST

/* The value is trimmed of blanks and CR; later lines are ignored. */
START_TEST(t_line_trimmed)
{
	struct buf v = BUF_INIT;

	PUT("me", " \tmx.example.org \t\r\nsecond line\n");
	ck_assert_int_eq(control_line("me", &v), 1);
	ck_assert_str_eq(v.s, "mx.example.org");
	ck_assert_uint_eq(v.len, 14);
	PUT("noeol", "value with  inner blanks");
	ck_assert_int_eq(control_line("noeol", &v), 1);
	ck_assert_str_eq(v.s, "value with  inner blanks");
	PUT("one", "x");
	ck_assert_int_eq(control_line("one", &v), 1);
	ck_assert_str_eq(v.s, "x");
	buf_free(&v);
}
END_TEST

/* A NUL anywhere in the file is malformed. */
START_TEST(t_nul_inside)
{
	struct buf v = BUF_INIT;
	size_t count;

	PUT("me", "mx.exa\0mple.org\n");
	errno = 0;
	ck_assert_int_eq(control_line("me", &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	PUT("later", "ok\nbad\0\n");
	errno = 0;
	ck_assert_int_eq(control_line("later", &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(control_lines("later", &v, &count), -1);
	ck_assert_int_eq(errno, EINVAL);
	buf_free(&v);
}
END_TEST

/* Past CONTROL_MAX bytes: -1 (EFBIG); exactly CONTROL_MAX is read. */
START_TEST(t_too_large)
{
	struct buf v = BUF_INIT;
	char *p = malloc(CONTROL_MAX + 1);
	size_t count;

	ck_assert_ptr_nonnull(p);
	memset(p, 'a', CONTROL_MAX + 1);
	p[CONTROL_MAX - 1] = '\n';
	put("exact", p, CONTROL_MAX);
	ck_assert_int_eq(control_line("exact", &v), 1);
	ck_assert_uint_eq(v.len, CONTROL_MAX - 1);
	put("big", p, CONTROL_MAX + 1);
	errno = 0;
	ck_assert_int_eq(control_line("big", &v), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(control_lines("big", &v, &count), -1);
	ck_assert_int_eq(errno, EFBIG);
	free(p);
	buf_free(&v);
}
END_TEST

/* A directory where a file should be is an error. */
START_TEST(t_is_directory)
{
	struct buf v = BUF_INIT;
	char p[4200];

	snprintf(p, sizeof(p), "%s/d", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	errno = 0;
	ck_assert_int_eq(control_line("d", &v), -1);
	ck_assert_int_eq(errno, EISDIR);
	buf_free(&v);
}
END_TEST

/* An absolute name is taken as it is, whatever $POSTERN_CONF says. */
START_TEST(t_absolute)
{
	struct buf v = BUF_INIT;
	char p[4200];

	PUT("abs", "from absolute\n");
	snprintf(p, sizeof(p), "%s/abs", dir);
	setenv("POSTERN_CONF", "/nonexistent/postern", 1);
	ck_assert_int_eq(control_line(p, &v), 1);
	ck_assert_str_eq(v.s, "from absolute");
	ck_assert_int_eq(control_line("abs", &v), 0);
	buf_free(&v);
}
END_TEST

START_TEST(t_ulong_good)
{
	unsigned long n = 0;

	PUT("n", "  42 \r\n");
	ck_assert_int_eq(control_ulong("n", &n, 0, 100), 1);
	ck_assert_uint_eq(n, 42);
	ck_assert_int_eq(control_ulong("n", &n, 42, 42), 1);	/* min == max */
	ck_assert_uint_eq(n, 42);
	PUT("zero", "0\n");
	ck_assert_int_eq(control_ulong("zero", &n, 0, 10), 1);
	ck_assert_uint_eq(n, 0);
	PUT("lead0", "007");
	ck_assert_int_eq(control_ulong("lead0", &n, 0, 10), 1);
	ck_assert_uint_eq(n, 7);
	PUT("blank", "  \n");
	n = 5;
	ck_assert_int_eq(control_ulong("blank", &n, 0, 10), 0);	/* absent */
	ck_assert_uint_eq(n, 5);
}
END_TEST

/*
 * Out of [min, max], signs, inner blanks, hex, junk, overflow: -1 EINVAL.
 * Every bad value but the first two would be in range if read leniently.
 */
START_TEST(t_ulong_bad)
{
	static const char *bad[] = {
		"101\n", "9\n", "+50\n", "-50\n", "50 60\n", "0x10\n",
		"12abc\n", "1e1\n", "99999999999999999999999\n", "50.0\n",
		"5\xd9\xa5\n", "50\x0b\n", "\f50\n",
	};
	unsigned long n;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("n", bad[i], strlen(bad[i]));
		n = 77;
		errno = 0;
		ck_assert_msg(control_ulong("n", &n, 10, 100) == -1,
		    "accepted %s", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_uint_eq(n, 77);
	}
}
END_TEST

/* me: the file, else the system's name; an unreadable file fails */
START_TEST(t_me)
{
	struct buf me = BUF_INIT, p = BUF_INIT;
	char host[256];

	ck_assert_int_eq(buf_puts(&me, "old"), 0);
	ck_assert_int_eq(control_me(&me), 0);
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	ck_assert_str_eq(me.s, host[0] != '\0' ? host : "localhost");
	PUT("me", "mx.example.test\n");
	ck_assert_int_eq(control_me(&me), 0);
	ck_assert_str_eq(me.s, "mx.example.test");
	/* a directory where the file should be cannot be read */
	ck_assert_int_eq(buf_printf(&p, "%s/me", dir), 0);
	ck_assert_int_eq(unlink(p.s), 0);
	ck_assert_int_eq(mkdir(p.s, 0700), 0);
	ck_assert_int_eq(control_me(&me), -1);
	buf_free(&me);
	buf_free(&p);
}
END_TEST

/* parse_ulong at the edges of unsigned long. */
START_TEST(t_parse_ulong)
{
	char s[64];
	unsigned long v = 3;

	snprintf(s, sizeof(s), "%lu", ULONG_MAX);
	ck_assert_int_eq(parse_ulong(s, &v, 0, ULONG_MAX), 0);
	ck_assert_uint_eq(v, ULONG_MAX);
	ck_assert_int_eq(parse_ulong(s, &v, 0, ULONG_MAX - 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* ULONG_MAX + 1 and much more overflow */
	snprintf(s, sizeof(s), "%lu", ULONG_MAX);
	s[strlen(s) - 1]++;
	ck_assert_int_eq(parse_ulong(s, &v, 0, ULONG_MAX), -1);
	ck_assert_int_eq(parse_ulong("99999999999999999999999", &v, 0,
	    ULONG_MAX), -1);
	ck_assert_int_eq(parse_ulong("184467440737095516150", &v, 0,
	    ULONG_MAX), -1);
	ck_assert_uint_eq(v, ULONG_MAX);	/* untouched on failure */
	ck_assert_int_eq(parse_ulong("1000", &v, 0, 1000), 0);
	ck_assert_uint_eq(v, 1000);
	ck_assert_int_eq(parse_ulong("1001", &v, 0, 1000), -1);
	ck_assert_int_eq(parse_ulong("0", &v, 0, 0), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_ulong("1", &v, 0, 0), -1);
	ck_assert_int_eq(parse_ulong("0", &v, 1, 10), -1);
	ck_assert_int_eq(parse_ulong("", &v, 0, 10), -1);
	ck_assert_int_eq(parse_ulong(" 1", &v, 0, 10), -1);
	ck_assert_int_eq(parse_ulong("1 ", &v, 0, 10), -1);
	ck_assert_int_eq(parse_ulong("+1", &v, 0, 10), -1);
	ck_assert_int_eq(parse_ulong("-0", &v, 0, 10), -1);
	ck_assert_int_eq(parse_ulong("00000000000000000000000000009", &v, 0,
	    10), 0);
	ck_assert_uint_eq(v, 9);
}
END_TEST

/* Helper: the i-th string of a control_lines result. */
static const char *
nth(const struct buf *b, size_t i)
{
	const char *p = b->s;

	while (i-- > 0)
		p += strlen(p) + 1;
	ck_assert(p < b->s + b->len);
	return p;
}

START_TEST(t_lines)
{
	struct buf v = BUF_INIT;
	size_t count = 99;

	PUT("list", "# comment\n\n  a.example  \n\tb.example\r\n#x\n"
	    "   # indented comment\n \t \nc d e\nlast");
	ck_assert_int_eq(buf_puts(&v, "old"), 0);
	ck_assert_int_eq(control_lines("list", &v, &count), 1);
	ck_assert_uint_eq(count, 4);
	ck_assert_str_eq(nth(&v, 0), "a.example");
	ck_assert_str_eq(nth(&v, 1), "b.example");
	ck_assert_str_eq(nth(&v, 2), "c d e");
	ck_assert_str_eq(nth(&v, 3), "last");
	ck_assert_uint_eq(v.len, 10 + 10 + 6 + 5);
	buf_free(&v);
}
END_TEST

/* Only comments and blanks: found, with no lines. */
START_TEST(t_lines_empty)
{
	struct buf v = BUF_INIT;
	size_t count = 99;

	PUT("list", "# nothing here\n\n   \n");
	ck_assert_int_eq(control_lines("list", &v, &count), 1);
	ck_assert_uint_eq(count, 0);
	ck_assert_uint_eq(v.len, 0);
	PUT("empty", "");
	ck_assert_int_eq(control_lines("empty", &v, &count), 1);
	ck_assert_uint_eq(count, 0);
	buf_free(&v);
}
END_TEST

/* Many lines, up to the size limit. */
START_TEST(t_lines_many)
{
	struct buf text = BUF_INIT, v = BUF_INIT;
	size_t count, i;
	const char *p;
	char want[32];

	for (i = 0; i < 3000; i++)
		ck_assert_int_eq(buf_printf(&text, "host%zu.example\n", i), 0);
	ck_assert_uint_le(text.len, CONTROL_MAX);
	put("many", text.s, text.len);
	ck_assert_int_eq(control_lines("many", &v, &count), 1);
	ck_assert_uint_eq(count, 3000);
	for (i = 0, p = v.s; i < 3000; i++, p += strlen(p) + 1) {
		snprintf(want, sizeof(want), "host%zu.example", i);
		ck_assert_str_eq(p, want);
	}
	ck_assert_ptr_eq(p, v.s + v.len);
	buf_free(&text);
	buf_free(&v);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("control");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_control_dir);
	tcase_add_test(tc, t_absent);
	tcase_add_test(tc, t_conf_dir_missing);
	tcase_add_test(tc, t_conf_dir_is_file);
	tcase_add_test(tc, t_empty_and_blank);
	tcase_add_test(tc, t_line_trimmed);
	tcase_add_test(tc, t_nul_inside);
	tcase_add_test(tc, t_too_large);
	tcase_add_test(tc, t_is_directory);
	tcase_add_test(tc, t_absolute);
	tcase_add_test(tc, t_ulong_good);
	tcase_add_test(tc, t_ulong_bad);
	tcase_add_test(tc, t_parse_ulong);
	tcase_add_test(tc, t_lines);
	tcase_add_test(tc, t_lines_empty);
	tcase_add_test(tc, t_lines_many);
	tcase_add_test(tc, t_me);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(control_suite)
