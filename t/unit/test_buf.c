#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "unit.h"

START_TEST(t_put_and_nul)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_puts(&b, "abc"), 0);
	ck_assert_int_eq(buf_put(&b, "\0x", 2), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_int_eq(b.s[5], '\0');
	ck_assert_int_eq(memcmp(b.s, "abc\0x", 5), 0);
	buf_free(&b);
	ck_assert_ptr_null(b.s);
}
END_TEST

START_TEST(t_growth)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(buf_putc(&b, 'a' + (int)(i % 26)), 0);
	ck_assert_uint_eq(b.len, 100000);
	ck_assert_int_eq(b.s[99999], 'a' + 99999 % 26);
	ck_assert_uint_eq(b.cap, 131072);	/* 64 doubled: 64 << 11 */
	buf_free(&b);
	ck_assert_int_eq(buf_putc(&b, 'a'), 0);
	ck_assert_uint_eq(b.cap, 64);		/* a byte string's first size */
	buf_free(&b);
}
END_TEST

START_TEST(t_overflow)
{
	struct buf b = BUF_INIT;
	size_t r;

	ck_assert_int_eq(buf_puts(&b, "x"), 0);
	errno = 0;
	ck_assert_int_eq(buf_ready(&b, SIZE_MAX), -1);
	ck_assert_int_eq(errno, EOVERFLOW);
	ck_assert_int_eq(buf_ready(&b, SIZE_MAX - 1), -1);
	ck_assert_int_eq(size_add(SIZE_MAX, 1, &r), -1);
	ck_assert_int_eq(size_mul(SIZE_MAX / 2 + 1, 2, &r), -1);
	ck_assert_int_eq(size_mul(3, 5, &r), 0);
	ck_assert_uint_eq(r, 15);
	ck_assert_str_eq(b.s, "x");
	buf_free(&b);
}
END_TEST

START_TEST(t_printf)
{
	struct buf b = BUF_INIT;
	int i;

	ck_assert_int_eq(buf_printf(&b, "%d-%s", 42, "x"), 0);
	ck_assert_str_eq(b.s, "42-x");
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_printf(&b, "%05d", i), 0);
	ck_assert_uint_eq(b.len, 4 + 5000);
	buf_free(&b);
}
END_TEST

START_TEST(t_reset_set_truncate_steal)
{
	struct buf b = BUF_INIT;
	char *s;

	buf_reset(&b);	/* on an empty buf */
	ck_assert_int_eq(buf_set(&b, "hello", 5), 0);
	buf_truncate(&b, 2);
	ck_assert_str_eq(b.s, "he");
	buf_truncate(&b, 10);
	ck_assert_str_eq(b.s, "he");
	s = buf_steal(&b);
	ck_assert_str_eq(s, "he");
	ck_assert_ptr_null(b.s);
	free(s);
	s = buf_steal(&b);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(t_ascii_case)
{
	ck_assert_int_eq(ascii_casecmp("HeLLo", "hello"), 0);
	ck_assert_int_ne(ascii_casecmp("hello", "hellp"), 0);
	ck_assert_int_eq(ascii_ncasecmp("MAIL FROM:", "mail from:<x>", 10), 0);
	/* bytes >= 0x80 are not folded */
	ck_assert_int_ne(ascii_casecmp("\xc3\x84", "\xc3\xa4"), 0);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, t_put_and_nul);
	tcase_add_test(tc, t_growth);
	tcase_add_test(tc, t_overflow);
	tcase_add_test(tc, t_printf);
	tcase_add_test(tc, t_reset_set_truncate_steal);
	tcase_add_test(tc, t_ascii_case);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(buf_suite)
