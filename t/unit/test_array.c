/*
 * test_array: array_ready (base/array.h): the first capacity, doubling,
 * a need past the doubling, the overflow of need * size, and an array
 * left as it was when growth fails, a need of 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "unit.h"

/* under ASan an impossible allocation must fail as it does in libc (NULL,
 * ENOMEM), not abort the test */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

START_TEST(t_growth)
{
	int *v = NULL, *p;
	size_t cap = 0, i;

	/* the first room is ARRAY_FIRST elements */
	ck_assert_ptr_nonnull(p = array_ready(v, &cap, 1, sizeof(*v)));
	v = p;
	ck_assert_uint_eq(cap, ARRAY_FIRST);
	/* within the capacity: the same array, no move */
	ck_assert_ptr_eq(array_ready(v, &cap, ARRAY_FIRST, sizeof(*v)), v);
	ck_assert_uint_eq(cap, ARRAY_FIRST);
	for (i = 0; i < ARRAY_FIRST; i++)
		v[i] = (int)i;
	/* one more doubles, and keeps what was there */
	ck_assert_ptr_nonnull(p = array_ready(v, &cap, ARRAY_FIRST + 1,
	    sizeof(*v)));
	v = p;
	ck_assert_uint_eq(cap, 2 * ARRAY_FIRST);
	for (i = 0; i < ARRAY_FIRST; i++)
		ck_assert_int_eq(v[i], (int)i);
	/* a big need: the doubling that reaches it */
	ck_assert_ptr_nonnull(p = array_ready(v, &cap, 100, sizeof(*v)));
	v = p;
	ck_assert_uint_eq(cap, 128);
	free(v);
}
END_TEST

START_TEST(t_overflow)
{
	char *v = NULL, *p;
	size_t cap = 0;

	ck_assert_ptr_nonnull(p = array_ready(v, &cap, 3, 1));
	v = p;
	memcpy(v, "ab", 3);
	/* need * size past SIZE_MAX: EOVERFLOW, the array untouched */
	errno = 0;
	ck_assert_ptr_null(array_ready(v, &cap, SIZE_MAX / 2 + 2, 2));
	ck_assert_int_eq(errno, EOVERFLOW);
	ck_assert_uint_eq(cap, ARRAY_FIRST);
	ck_assert_str_eq(v, "ab");
	/* too much to allocate: ENOMEM, the array untouched */
	errno = 0;
	ck_assert_ptr_null(array_ready(v, &cap, SIZE_MAX / 4, 2));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(cap, ARRAY_FIRST);
	ck_assert_str_eq(v, "ab");
	free(v);
}
END_TEST

START_TEST(t_doubling_wraps)
{
	size_t cap = SIZE_MAX / 2 + 1;	/* a capacity doubling cannot pass */
	char *v = malloc(1);

	/* need beyond it: doubling wraps, so the need itself is asked for,
	 * which fails cleanly (the capacity is a pretence: nothing is
	 * written there) */
	ck_assert_ptr_nonnull(v);
	errno = 0;
	ck_assert_ptr_null(array_ready(v, &cap, SIZE_MAX, 1));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(cap, SIZE_MAX / 2 + 1);
	free(v);
}
END_TEST

START_TEST(t_need_zero)
{
	size_t cap = 0;
	char *v;

	/* an empty need still allocates, so that NULL only means failure */
	ck_assert_ptr_nonnull(v = array_ready(NULL, &cap, 0, 1));
	ck_assert_uint_eq(cap, ARRAY_FIRST);
	/* size 0 is a caller's mistake, not a zero-byte array */
	errno = 0;
	ck_assert_ptr_null(array_ready(v, &cap, ARRAY_FIRST + 1, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(cap, ARRAY_FIRST);
	free(v);
}
END_TEST

static Suite *
array_suite(void)
{
	Suite *s = suite_create("array");
	TCase *tc = tcase_create("array");

	tcase_add_test(tc, t_growth);
	tcase_add_test(tc, t_overflow);
	tcase_add_test(tc, t_doubling_wraps);
	tcase_add_test(tc, t_need_zero);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(array_suite)
