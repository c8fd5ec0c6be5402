/*
 * test_param: the ESMTP/DSN parameter table (queue/param.h): lookup by
 * SMTP keyword and by queue key, each value's parser (good and bad
 * values, the RFC limits) and writer, and what each EHLO extension
 * offers.
 */
#include <errno.h>
#include <string.h>

#include "base/buf.h"
#include "queue/param.h"
#include "unit.h"

/* parse s (NULL: no value) as parameter id: 0 or -1 */
static int
parse(enum param_id id, const char *s, int utf8, struct param_val *v)
{
	return param_parse(id, s, s != NULL ? strlen(s) : 0, utf8, v);
}

/* parse then write back (lower: as the queue spells it): the written
 * value, or "(bad)" */
static const char *
roundtrip(enum param_id id, const char *s, int lower)
{
	static struct buf b;
	struct param_val v;

	buf_reset(&b);
	if (parse(id, s, 1, &v) == -1)
		return "(bad)";
	if ((lower ? param_write_queue(id, &v, &b) :
	    param_write(id, &v, &b)) == -1)
		return "(nomem)";
	return b.s;
}

START_TEST(t_lookup)
{
	const struct param_def *d;
	size_t i;

	ck_assert_ptr_nonnull(d = param_by_keyword("body", 4, PARAM_MAIL));
	ck_assert_int_eq(d->id, PARAM_BODY);
	ck_assert_ptr_nonnull(d = param_by_keyword("NoTiFy", 6, PARAM_RCPT));
	ck_assert_int_eq(d->id, PARAM_NOTIFY);
	/* a keyword is looked up only where it belongs */
	ck_assert_ptr_null(param_by_keyword("NOTIFY", 6, PARAM_MAIL));
	ck_assert_ptr_null(param_by_keyword("BODY", 4, PARAM_RCPT));
	ck_assert_ptr_null(param_by_keyword("BOD", 3, PARAM_MAIL));
	ck_assert_ptr_null(param_by_keyword("BODYX", 5, PARAM_MAIL));
	ck_assert_ptr_nonnull(d = param_by_key("envid", 5));
	ck_assert_int_eq(d->id, PARAM_ENVID);
	/* queue keys are exact: lower case */
	ck_assert_ptr_null(param_by_key("ENVID", 5));
	/* SIZE is not queued */
	ck_assert_ptr_null(param_by_key("size", 4));
	/* the table is indexed by id */
	for (i = 0; i < PARAM_COUNT; i++)
		ck_assert_int_eq(param_defs[i].id, (int)i);
}
END_TEST

START_TEST(t_enums)
{
	struct param_val v;

	ck_assert_int_eq(parse(PARAM_BODY, "8bitMIME", 0, &v), 0);
	ck_assert_uint_eq(v.u, PARAM_BODY_8BITMIME);
	ck_assert_int_eq(parse(PARAM_BODY, "7BIT", 0, &v), 0);
	ck_assert_uint_eq(v.u, PARAM_BODY_7BIT);
	ck_assert_int_eq(parse(PARAM_BODY, "BINARYMIME", 0, &v), 0);
	ck_assert_uint_eq(v.u, PARAM_BODY_BINARYMIME);
	errno = 0;
	ck_assert_int_eq(parse(PARAM_BODY, "9BIT", 0, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(parse(PARAM_BODY, "", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_BODY, NULL, 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_RET, "hdrs", 0, &v), 0);
	ck_assert_uint_eq(v.u, PARAM_RET_HDRS);
	ck_assert_int_eq(parse(PARAM_RET, "FULLX", 0, &v), -1);
	ck_assert_str_eq(roundtrip(PARAM_BODY, "8bitmime", 0), "8BITMIME");
	ck_assert_str_eq(roundtrip(PARAM_BODY, "BinaryMime", 1), "binarymime");
	ck_assert_str_eq(roundtrip(PARAM_RET, "Full", 0), "FULL");
	ck_assert_str_eq(roundtrip(PARAM_RET, "Full", 1), "full");
	/* NOTIFY keeps its upper-case words in the queue */
	ck_assert_str_eq(roundtrip(PARAM_NOTIFY, "delay", 1), "DELAY");
	ck_assert_str_eq(roundtrip(PARAM_SMTPUTF8, NULL, 1), "1");
	ck_assert_str_eq(roundtrip(PARAM_SMTPUTF8, NULL, 0), "");
	ck_assert_str_eq(param_body_name(PARAM_BODY_NONE), "");
	ck_assert_str_eq(param_ret_name((enum param_ret)7), "");
}
END_TEST

START_TEST(t_flags_size)
{
	struct param_val v;

	ck_assert_int_eq(parse(PARAM_SMTPUTF8, NULL, 0, &v), 0);
	ck_assert_uint_eq(v.u, 1);
	/* RFC 6531 3.4, RFC 8689 3: no value */
	ck_assert_int_eq(parse(PARAM_SMTPUTF8, "1", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_REQUIRETLS, "yes", 0, &v), -1);
	/* RFC 1870 6: 1*20DIGIT */
	ck_assert_int_eq(parse(PARAM_SIZE, "0", 0, &v), 0);
	ck_assert_int_eq(parse(PARAM_SIZE, "18446744073709551615", 0, &v), 0);
	ck_assert(v.size == 18446744073709551615ULL);
	ck_assert_int_eq(parse(PARAM_SIZE, "18446744073709551616", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_SIZE, "000000000000000000001", 0, &v),
	    -1);
	ck_assert_int_eq(parse(PARAM_SIZE, "12a", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_SIZE, "-1", 0, &v), -1);
	ck_assert_str_eq(roundtrip(PARAM_SIZE, "00042", 0), "42");
}
END_TEST

START_TEST(t_notify)
{
	struct param_val v;

	/* RFC 3461 4.1 */
	ck_assert_int_eq(parse(PARAM_NOTIFY, "failure,Delay", 0, &v), 0);
	ck_assert_uint_eq(v.u, PARAM_NOTIFY_FAILURE | PARAM_NOTIFY_DELAY);
	ck_assert_int_eq(parse(PARAM_NOTIFY, "NEVER", 0, &v), 0);
	ck_assert_uint_eq(v.u, PARAM_NOTIFY_NEVER);
	ck_assert_int_eq(parse(PARAM_NOTIFY, "NEVER,SUCCESS", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_NOTIFY, "SUCCESS,NEVER", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_NOTIFY, "SUCCESS,SUCCESS", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_NOTIFY, "SUCCESS,", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_NOTIFY, ",SUCCESS", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_NOTIFY, "SUCCESS,,DELAY", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_NOTIFY, "", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_NOTIFY, "SOMETIMES", 0, &v), -1);
	/* written in one order whatever order came */
	ck_assert_str_eq(roundtrip(PARAM_NOTIFY, "delay,failure,success", 0),
	    "SUCCESS,FAILURE,DELAY");
	ck_assert_str_eq(roundtrip(PARAM_NOTIFY, "never", 0), "NEVER");
}
END_TEST

START_TEST(t_envid_orcpt)
{
	char big[PARAM_ORCPT_MAX + 2];
	struct param_val v;

	/* RFC 3461 4.4: xtext, 100 at most */
	ck_assert_int_eq(parse(PARAM_ENVID, "abc+2Bdef", 0, &v), 0);
	ck_assert_uint_eq(v.n, 9);
	ck_assert_int_eq(parse(PARAM_ENVID, "a+2b", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_ENVID, "a=b", 0, &v), -1);
	memset(big, 'x', 100);
	big[100] = '\0';
	ck_assert_int_eq(parse(PARAM_ENVID, big, 0, &v), 0);
	big[100] = 'x';
	big[101] = '\0';
	ck_assert_int_eq(parse(PARAM_ENVID, big, 0, &v), -1);
	/* UTF-8 only where SMTPUTF8 is in force (RFC 6533 4) */
	ck_assert_int_eq(parse(PARAM_ENVID, "caf\xc3\xa9", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_ENVID, "caf\xc3\xa9", 1, &v), 0);
	ck_assert_int_eq(parse(PARAM_ENVID, "caf\xc3", 1, &v), -1);
	/* RFC 3461 4.2: addr-type ";" xtext, 500 at most */
	ck_assert_int_eq(parse(PARAM_ORCPT, "rfc822;a+40b.test", 0, &v), 0);
	ck_assert_int_eq(parse(PARAM_ORCPT, ";a@b", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_ORCPT, "rfc822;", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_ORCPT, "rfc822", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_ORCPT, "rfc 822;a", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_ORCPT, "rfc822;a b", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_ORCPT, "utf-8;\xc3\xa9@x", 1, &v), 0);
	ck_assert_int_eq(parse(PARAM_ORCPT, "utf-8;\xc3\xa9@x", 0, &v), -1);
	ck_assert_int_eq(parse(PARAM_ORCPT, "rfc822;\xc3\xa9@x", 1, &v), -1);
	memcpy(big, "rfc822;", 7);
	memset(big + 7, 'y', PARAM_ORCPT_MAX - 7);
	big[PARAM_ORCPT_MAX] = '\0';
	ck_assert_int_eq(parse(PARAM_ORCPT, big, 0, &v), 0);
	big[PARAM_ORCPT_MAX] = 'y';
	big[PARAM_ORCPT_MAX + 1] = '\0';
	ck_assert_int_eq(parse(PARAM_ORCPT, big, 0, &v), -1);
	ck_assert_str_eq(roundtrip(PARAM_ORCPT, "rfc822;X+40y", 0),
	    "rfc822;X+40y");
}
END_TEST

START_TEST(t_offered)
{
	struct param_val v;

	ck_assert(param_offered(PARAM_SIZE, NULL, PARAM_EXT_SIZE));
	ck_assert(!param_offered(PARAM_SIZE, NULL, PARAM_EXT_ALL &
	    ~PARAM_EXT_SIZE));
	ck_assert(param_offered(PARAM_NOTIFY, NULL, PARAM_EXT_DSN));
	ck_assert(!param_offered(PARAM_ENVID, NULL, PARAM_EXT_SMTPUTF8));
	/* RFC 6152 2, RFC 3030 3: each BODY value with its extension */
	ck_assert_int_eq(parse(PARAM_BODY, "BINARYMIME", 0, &v), 0);
	ck_assert(!param_offered(PARAM_BODY, &v, PARAM_EXT_8BITMIME));
	ck_assert(param_offered(PARAM_BODY, &v, PARAM_EXT_BINARYMIME));
	ck_assert_int_eq(parse(PARAM_BODY, "8BITMIME", 0, &v), 0);
	ck_assert(!param_offered(PARAM_BODY, &v, PARAM_EXT_BINARYMIME));
	ck_assert(param_offered(PARAM_BODY, &v, PARAM_EXT_8BITMIME));
	ck_assert_int_eq(parse(PARAM_BODY, "7BIT", 0, &v), 0);
	ck_assert(param_offered(PARAM_BODY, &v, PARAM_EXT_BINARYMIME));
	ck_assert(!param_offered(PARAM_BODY, &v, PARAM_EXT_SIZE));
}
END_TEST

static Suite *
param_suite(void)
{
	Suite *s = suite_create("param");
	TCase *tc = tcase_create("param");

	tcase_add_test(tc, t_lookup);
	tcase_add_test(tc, t_enums);
	tcase_add_test(tc, t_flags_size);
	tcase_add_test(tc, t_notify);
	tcase_add_test(tc, t_envid_orcpt);
	tcase_add_test(tc, t_offered);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(param_suite)
