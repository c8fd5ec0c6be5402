/*
 * test_cdbtab: text tables compiled into CDB files atomically, and
 * lookups in them (lib/cdbtab.c).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cdbtab.h"
#include "base/fileio.h"
#include "unit.h"

static char *dir;
static char src[4200], dst[4200];

static void
setup(void)
{
	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	snprintf(src, sizeof(src), "%s/table", dir);
	snprintf(dst, sizeof(dst), "%s/table.cdb", dir);
}

static void
teardown(void)
{
	unit_rm_rf(dir);
}

static void
put_src(const char *s, size_t n)
{
	int fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write_all(fd, s, n), 0);
	ck_assert_int_eq(close(fd), 0);
}

#define PUT(lit)	put_src((lit), sizeof(lit) - 1)

static long
compile(int flags, unsigned long *line_r)
{
	return cdbtab_compile(src, dst, flags, 0644, line_r);
}

/* Look key (a C string) up and compare the value; want NULL: absent. */
static void
ck_lookup(const char *key, const char *want)
{
	struct buf v = BUF_INIT;
	int r = cdbtab_lookup(dst, key, strlen(key), &v);

	if (want == NULL) {
		ck_assert_msg(r == 0, "key %s: %d, want absent", key, r);
	} else {
		ck_assert_msg(r == 1, "key %s: %d, want found", key, r);
		ck_assert_uint_eq(v.len, strlen(want));
		ck_assert_str_eq(v.s, want);
	}
	buf_free(&v);
}

static int
count_entries(void)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

START_TEST(t_basic)
{
	unsigned long line = 99;

	PUT("example.org local\nexample.net relay\n");
	ck_assert_int_eq(compile(0, &line), 2);
	ck_assert_uint_eq(line, 0);
	ck_lookup("example.org", "local");
	ck_lookup("example.net", "relay");
	ck_lookup("example.com", NULL);
	ck_lookup("example", NULL);
	ck_lookup("", NULL);
	ck_assert_int_eq(count_entries(), 2);	/* table, table.cdb */
}
END_TEST

/* "key value", "key: value", tabs, blanks around, colons in keys. */
START_TEST(t_forms)
{
	unsigned long line;

	PUT("a 1\n"
	    "b: 2\n"
	    "c:3\n"
	    "d\t4\n"
	    "e   value with  spaces  \r\n"
	    "  f\t \tleading\n"
	    "g:\t: colon value\n"
	    "h://x\n"
	    "2001:db8::1 v6\n"
	    "::1: loopback\n");
	ck_assert_int_eq(compile(0, &line), 10);
	ck_lookup("a", "1");
	ck_lookup("b", "2");
	ck_lookup("c:3", "");	/* no blank: all of it is the key */
	ck_lookup("c", NULL);
	ck_lookup("d", "4");
	ck_lookup("e", "value with  spaces");
	ck_lookup("f", "leading");
	ck_lookup("g", ": colon value");
	ck_lookup("h://x", "");
	ck_lookup("2001:db8::1", "v6");
	ck_lookup("::1", "loopback");
	ck_lookup("b:", NULL);
	ck_lookup("  f", NULL);
}
END_TEST

/* A key without a value, or with only a colon: an empty value. */
START_TEST(t_empty_value)
{
	struct buf v = BUF_INIT;
	unsigned long line;

	PUT("alone\nwithcolon:\nblanks   \t\n");
	ck_assert_int_eq(compile(0, &line), 3);
	ck_assert_int_eq(buf_puts(&v, "old"), 0);
	ck_assert_int_eq(cdbtab_lookup(dst, "alone", 5, &v), 1);
	ck_assert_uint_eq(v.len, 0);
	ck_assert_str_eq(v.s, "");
	ck_lookup("withcolon", "");
	ck_lookup("blanks", "");
	buf_free(&v);
}
END_TEST

/* Duplicate keys: all counted, the first one is returned. */
START_TEST(t_duplicates)
{
	unsigned long line;

	PUT("k first\nother x\nk second\nk: third\n");
	ck_assert_int_eq(compile(0, &line), 4);
	ck_lookup("k", "first");
	ck_lookup("other", "x");
}
END_TEST

START_TEST(t_lower)
{
	unsigned long line;

	PUT("Example.ORG Value\nMiXeD: KeepValueCase\n");
	ck_assert_int_eq(compile(CDBTAB_LOWER, &line), 2);
	ck_lookup("example.org", "Value");
	ck_lookup("mixed", "KeepValueCase");
	ck_lookup("Example.ORG", NULL);
	/* without the flag keys are stored as written */
	ck_assert_int_eq(compile(0, &line), 2);
	ck_lookup("Example.ORG", "Value");
	ck_lookup("example.org", NULL);
}
END_TEST

START_TEST(t_comments_blanks)
{
	unsigned long line;

	PUT("# a comment\n\n   \n\t# indented comment\r\n\r\n"
	    "k v # not a comment\n#k2 v2\n");
	ck_assert_int_eq(compile(0, &line), 1);
	ck_lookup("k", "v # not a comment");
	ck_lookup("#k2", NULL);
	ck_lookup("k2", NULL);
	ck_lookup("#", NULL);
}
END_TEST

/* No trailing newline on the last line; CRLF lines. */
START_TEST(t_last_line_crlf)
{
	unsigned long line;

	PUT("a 1\r\nb 2\r\nc 3");
	ck_assert_int_eq(compile(0, &line), 3);
	ck_lookup("a", "1");
	ck_lookup("b", "2");
	ck_lookup("c", "3");
}
END_TEST

/* An empty table compiles to a valid CDB with no keys. */
START_TEST(t_empty_table)
{
	unsigned long line;

	PUT("");
	ck_assert_int_eq(compile(0, &line), 0);
	ck_lookup("anything", NULL);
	PUT("# only comments\n\n");
	ck_assert_int_eq(compile(0, &line), 0);
	ck_lookup("#", NULL);
}
END_TEST

/*
 * A malformed line: -1 EINVAL, its number reported, the old CDB left as
 * it was (same bytes) and no temporary file left behind.
 */
START_TEST(t_malformed_keeps_old)
{
	struct buf before = BUF_INIT, after = BUF_INIT;
	unsigned long line;

	PUT("k old\n");
	ck_assert_int_eq(compile(0, &line), 1);
	ck_assert_int_eq(read_file(dst, &before, 1 << 20), 0);
	PUT("k new\n# fine\n: no key\nz z\n");
	errno = 0;
	ck_assert_int_eq(compile(0, &line), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(line, 3);
	ck_assert_int_eq(read_file(dst, &after, 1 << 20), 0);
	ck_assert_uint_eq(after.len, before.len);
	ck_assert_mem_eq(after.s, before.s, before.len);
	ck_lookup("k", "old");
	ck_assert_int_eq(count_entries(), 2);
	buf_free(&before);
	buf_free(&after);
}
END_TEST

/* Other malformed lines: a NUL byte, ":" alone; line numbers count all. */
START_TEST(t_malformed_kinds)
{
	unsigned long line;

	PUT("a 1\nb 2\0x\n");
	ck_assert_int_eq(compile(0, &line), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(line, 2);
	PUT("\n\n# c\n  :\n");
	ck_assert_int_eq(compile(0, &line), -1);
	ck_assert_uint_eq(line, 4);
	PUT("a 1\n\0\n");
	ck_assert_int_eq(compile(0, &line), -1);
	ck_assert_uint_eq(line, 2);
	/* nothing was ever created */
	ck_assert_int_eq(access(dst, F_OK), -1);
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

/* A line of CDBTAB_LINE_MAX bytes is fine; one more byte is refused. */
START_TEST(t_line_max)
{
	struct buf t = BUF_INIT, v = BUF_INIT;
	unsigned long line;
	size_t i;

	ck_assert_int_eq(buf_puts(&t, "key "), 0);
	for (i = 4; i < CDBTAB_LINE_MAX; i++)
		ck_assert_int_eq(buf_putc(&t, 'v'), 0);
	ck_assert_int_eq(buf_putc(&t, '\n'), 0);
	put_src(t.s, t.len);
	ck_assert_int_eq(compile(0, &line), 1);
	ck_assert_int_eq(cdbtab_lookup(dst, "key", 3, &v), 1);
	ck_assert_uint_eq(v.len, CDBTAB_LINE_MAX - 4);

	buf_reset(&t);
	ck_assert_int_eq(buf_puts(&t, "a 1\nb 2\nlong "), 0);
	for (i = 5; i < CDBTAB_LINE_MAX + 1; i++)
		ck_assert_int_eq(buf_putc(&t, 'v'), 0);
	ck_assert_int_eq(buf_puts(&t, "\nc 3\n"), 0);
	put_src(t.s, t.len);
	errno = 0;
	ck_assert_int_eq(compile(0, &line), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(line, 3);
	ck_lookup("a", NULL);		/* the old table is still there */
	ck_assert_int_eq(cdbtab_lookup(dst, "key", 3, &v), 1);
	buf_free(&t);
	buf_free(&v);
}
END_TEST

/* Missing source: -1 ENOENT, line 0, the old CDB untouched. */
START_TEST(t_missing_source)
{
	unsigned long line = 5;

	PUT("k v\n");
	ck_assert_int_eq(compile(0, &line), 1);
	ck_assert_int_eq(unlink(src), 0);
	errno = 0;
	ck_assert_int_eq(compile(0, &line), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(line, 0);
	ck_lookup("k", "v");
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

/* The destination directory does not exist. */
START_TEST(t_missing_dst_dir)
{
	unsigned long line;

	PUT("k v\n");
	errno = 0;
	ck_assert_int_eq(cdbtab_compile(src, "/nonexistent/postern/x.cdb", 0,
	    0644, &line), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* Lookups: a missing CDB is -1 ENOENT; a file that is no CDB is -1. */
START_TEST(t_lookup_errors)
{
	struct buf v = BUF_INIT;

	errno = 0;
	ck_assert_int_eq(cdbtab_lookup(dst, "k", 1, &v), -1);
	ck_assert_int_eq(errno, ENOENT);
	PUT("not a cdb\n");
	ck_assert_int_eq(cdbtab_lookup(src, "k", 1, &v), -1);
	ck_assert_int_ne(errno, 0);
	ck_assert_int_eq(cdbtab_lookup(dir, "k", 1, &v), -1);
	buf_free(&v);
}
END_TEST

/*
 * A truncated or corrupted CDB (a copy cut short, a disk error) gives
 * -1 or 0 for every key, never a crash or a wrong value.
 */
START_TEST(t_corrupt_cdb)
{
	struct buf t = BUF_INIT, v = BUF_INIT;
	unsigned long line;
	char key[32];
	size_t i;
	int r;

	for (i = 0; i < 500; i++)
		ck_assert_int_eq(buf_printf(&t, "key%zu value%zu\n", i, i), 0);
	put_src(t.s, t.len);
	ck_assert_int_eq(compile(0, &line), 500);
	ck_assert_int_eq(truncate(dst, 2048 + 100), 0);
	for (i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "key%zu", i);
		r = cdbtab_lookup(dst, key, strlen(key), &v);
		ck_assert(r == -1 || r == 0 || (r == 1 &&
		    memcmp(v.s, "value", 5) == 0 &&
		    strcmp(v.s + 5, key + 3) == 0));
	}
	ck_assert_int_eq(truncate(dst, 1000), 0);	/* header cut */
	errno = 0;
	ck_assert_int_eq(cdbtab_lookup(dst, "key1", 4, &v), -1);
	ck_assert_int_ne(errno, 0);
	buf_free(&t);
	buf_free(&v);
}
END_TEST

/* Mode honoured whatever the umask; the file replaced, not rewritten. */
START_TEST(t_mode_and_replace)
{
	struct stat st1, st2;
	unsigned long line;

	umask(077);
	PUT("k 1\n");
	ck_assert_int_eq(cdbtab_compile(src, dst, 0, 0644, &line), 1);
	ck_assert_int_eq(stat(dst, &st1), 0);
	ck_assert_uint_eq(st1.st_mode & 07777, 0644);
	PUT("k 2\n");
	ck_assert_int_eq(cdbtab_compile(src, dst, 0, 0600, &line), 1);
	ck_assert_int_eq(stat(dst, &st2), 0);
	ck_assert_uint_eq(st2.st_mode & 07777, 0600);
	ck_assert(st1.st_ino != st2.st_ino);	/* renamed over */
	ck_lookup("k", "2");
	ck_assert_int_eq(count_entries(), 2);
}
END_TEST

/* A reader with the old CDB open keeps seeing the old table. */
START_TEST(t_open_reader_unaffected)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	unsigned long line;
	int fd;

	PUT("k old\n");
	ck_assert_int_eq(compile(0, &line), 1);
	fd = open(dst, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(read_all(fd, &a, 1 << 20), 0);
	PUT("k new\n");
	ck_assert_int_eq(compile(0, &line), 1);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(read_all(fd, &b, 1 << 20), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_mem_eq(a.s, b.s, a.len);
	close(fd);
	ck_lookup("k", "new");
	buf_free(&a);
	buf_free(&b);
}
END_TEST

/* Keys and values are bytes: high bytes, control bytes, lengths. */
START_TEST(t_binary_safe)
{
	struct buf v = BUF_INIT;
	unsigned long line;

	PUT("\xc3\xa4rger \x01\x02\xff\x7f\n"
	    "ab short\n"
	    "abc long\n");
	ck_assert_int_eq(compile(CDBTAB_LOWER, &line), 3);
	ck_assert_int_eq(cdbtab_lookup(dst, "\xc3\xa4rger", 6, &v), 1);
	ck_assert_uint_eq(v.len, 4);
	ck_assert_mem_eq(v.s, "\x01\x02\xff\x7f", 4);
	/* CDBTAB_LOWER folds ASCII only */
	ck_assert_int_eq(cdbtab_lookup(dst, "\xc3\x84rger", 6, &v), 0);
	/* the length is the key, not a NUL */
	ck_assert_int_eq(cdbtab_lookup(dst, "abcdef", 2, &v), 1);
	ck_assert_str_eq(v.s, "short");
	ck_assert_int_eq(cdbtab_lookup(dst, "abcdef", 3, &v), 1);
	ck_assert_str_eq(v.s, "long");
	ck_assert_int_eq(cdbtab_lookup(dst, "ab\0", 3, &v), 0);
	ck_assert_int_eq(cdbtab_lookup(dst, "abc", 0, &v), 0);
	buf_free(&v);
}
END_TEST

/* 100,000 entries: all counted, a sample found, others absent. */
START_TEST(t_large_table)
{
	struct buf t = BUF_INIT, v = BUF_INIT, want = BUF_INIT;
	char key[64];
	unsigned long line;
	size_t i;

	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(buf_printf(&t, "user%zu@example.org: "
		    "account%zu\n", i, i * 7), 0);
	put_src(t.s, t.len);
	ck_assert_int_eq(compile(CDBTAB_LOWER, &line), 100000);
	for (i = 0; i < 100000; i += 997) {
		snprintf(key, sizeof(key), "user%zu@example.org", i);
		buf_reset(&want);
		ck_assert_int_eq(buf_printf(&want, "account%zu", i * 7), 0);
		ck_assert_int_eq(cdbtab_lookup(dst, key, strlen(key), &v), 1);
		ck_assert_str_eq(v.s, want.s);
	}
	ck_lookup("user99999@example.org", "account699993");
	ck_lookup("user0@example.org", "account0");
	ck_lookup("user100000@example.org", NULL);
	ck_lookup("user1@example.org.", NULL);
	buf_free(&t);
	buf_free(&v);
	buf_free(&want);
}
END_TEST

static Suite *
cdbtab_suite(void)
{
	Suite *s = suite_create("cdbtab");
	TCase *tc = tcase_create("cdbtab");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_basic);
	tcase_add_test(tc, t_forms);
	tcase_add_test(tc, t_empty_value);
	tcase_add_test(tc, t_duplicates);
	tcase_add_test(tc, t_lower);
	tcase_add_test(tc, t_comments_blanks);
	tcase_add_test(tc, t_last_line_crlf);
	tcase_add_test(tc, t_empty_table);
	tcase_add_test(tc, t_malformed_keeps_old);
	tcase_add_test(tc, t_malformed_kinds);
	tcase_add_test(tc, t_line_max);
	tcase_add_test(tc, t_missing_source);
	tcase_add_test(tc, t_missing_dst_dir);
	tcase_add_test(tc, t_lookup_errors);
	tcase_add_test(tc, t_corrupt_cdb);
	tcase_add_test(tc, t_mode_and_replace);
	tcase_add_test(tc, t_open_reader_unaffected);
	tcase_add_test(tc, t_binary_safe);
	tcase_add_test(tc, t_large_table);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(cdbtab_suite)
