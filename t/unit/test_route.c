#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cdbtab.h"
#include "base/fileio.h"
#include "queue/route.h"
#include "unit.h"

static char *dir;

static void
table(const char *name, const char *text)
{
	char src[4200], dst[4200];
	unsigned long line;

	snprintf(src, sizeof(src), "%s/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s.cdb", dir, name);
	ck_assert_int_eq(atomic_replace(src, text, strlen(text), 0644), 0);
	ck_assert_int_ge(cdbtab_compile(src, dst, CDBTAB_LOWER, 0644, &line),
	    0);
}

static void
setup(void)
{
	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	setenv("POSTERN_CONF", dir, 1);
	table("domains", "example.test\nother.test\n");
	table("recipients",
	    "demo@example.test demo\n"
	    "bob@example.test bob\n"
	    "@other.test catchall\n");
	table("aliases",
	    "postmaster@example.test demo@example.test\n"
	    "team@example.test demo@example.test, bob@example.test, "
	    "friend@remote.test\n"
	    "loop1@example.test loop2@example.test\n"
	    "loop2@example.test loop1@example.test\n"
	    "self@example.test self@example.test, bob@example.test\n"
	    "dead@example.test nobody@example.test\n"
	    "dup@example.test bob@example.test, BOB@example.test, "
	    "team@example.test\n");
}

static void
teardown(void)
{
	unit_rm_rf(dir);
}

START_TEST(t_classify)
{
	ck_assert_int_eq(route_classify("demo@example.test"), ROUTE_LOCAL);
	ck_assert_int_eq(route_classify("DEMO@Example.TEST"), ROUTE_LOCAL);
	ck_assert_int_eq(route_classify("demo@example.test."), ROUTE_LOCAL);
	ck_assert_int_eq(route_classify("demo+tag@example.test"),
	    ROUTE_LOCAL);
	ck_assert_int_eq(route_classify("nobody@example.test"),
	    ROUTE_UNKNOWN);
	ck_assert_int_eq(route_classify("postmaster@example.test"),
	    ROUTE_LOCAL);
	ck_assert_int_eq(route_classify("anything@other.test"), ROUTE_LOCAL);
	ck_assert_int_eq(route_classify("x@remote.test"), ROUTE_REMOTE);
	ck_assert_int_eq(route_classify("no-at-sign"), -1);
	ck_assert_int_eq(route_classify("@example.test"), -1);
	ck_assert_int_eq(route_classify("user@"), -1);
}
END_TEST

START_TEST(t_subaddress)
{
	struct route_list l = { 0 };

	ck_assert_int_eq(route_expand("bob+lists@example.test", &l),
	    ROUTE_LOCAL);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].account, "bob");
	ck_assert_str_eq(l.v[0].detail, "lists");
	route_list_free(&l);
	/* a leading delimiter is part of the name, not a subaddress */
	ck_assert_int_eq(route_classify("+bob@example.test"), ROUTE_UNKNOWN);
}
END_TEST

START_TEST(t_delimiter_config)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/subaddress-delimiter", dir);
	ck_assert_int_eq(atomic_replace(p, "-\n", 2, 0644), 0);
	ck_assert_int_eq(route_classify("bob-x@example.test"), ROUTE_LOCAL);
	ck_assert_int_eq(route_classify("bob+x@example.test"), ROUTE_UNKNOWN);
	/* an empty file turns subaddressing off */
	ck_assert_int_eq(atomic_replace(p, "", 0, 0644), 0);
	ck_assert_int_eq(route_classify("bob+x@example.test"), ROUTE_LOCAL);
}
END_TEST

START_TEST(t_alias_many)
{
	struct route_list l = { 0 };

	ck_assert_int_eq(route_expand("team@example.test", &l), ROUTE_LOCAL);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_int_eq(l.v[0].kind, ROUTE_LOCAL);
	ck_assert_str_eq(l.v[0].account, "demo");
	ck_assert_str_eq(l.v[1].account, "bob");
	ck_assert_int_eq(l.v[2].kind, ROUTE_REMOTE);
	ck_assert_str_eq(l.v[2].address, "friend@remote.test");
	ck_assert_ptr_null(l.v[2].account);
	route_list_free(&l);
}
END_TEST

START_TEST(t_alias_loop_self_dup)
{
	struct route_list l = { 0 };

	/* a loop resolves to nothing, never recursing without end */
	ck_assert_int_eq(route_expand("loop1@example.test", &l),
	    ROUTE_UNKNOWN);
	ck_assert_uint_eq(l.n, 0);
	/* an alias that names itself is delivered through recipients */
	ck_assert_int_eq(route_expand("self@example.test", &l),
	    ROUTE_LOCAL);
	ck_assert_uint_eq(l.n, 1);	/* self has no account: only bob */
	ck_assert_str_eq(l.v[0].account, "bob");
	route_list_free(&l);
	/* duplicates are dropped */
	ck_assert_int_eq(route_expand("dup@example.test", &l), ROUTE_LOCAL);
	ck_assert_uint_eq(l.n, 3);
	route_list_free(&l);
	ck_assert_int_eq(route_expand("dead@example.test", &l),
	    ROUTE_UNKNOWN);
	ck_assert_uint_eq(l.n, 0);
	route_list_free(&l);
}
END_TEST

START_TEST(t_remote_and_missing_tables)
{
	struct route_list l = { 0 };
	char p[4200];

	ck_assert_int_eq(route_expand("x@remote.test", &l), ROUTE_REMOTE);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].kind, ROUTE_REMOTE);
	route_list_free(&l);
	/* no domains table: nothing is local */
	snprintf(p, sizeof(p), "%s/domains.cdb", dir);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(route_classify("demo@example.test"), ROUTE_REMOTE);
	/* a corrupt table is an error, not "absent" */
	ck_assert_int_eq(atomic_replace(p, "junk", 4, 0644), 0);
	ck_assert_int_eq(route_classify("demo@example.test"), -1);
}
END_TEST

START_TEST(t_deep_chain)
{
	struct buf t = BUF_INIT;
	struct route_list l = { 0 };
	int i;

	/* a chain deeper than ROUTE_MAX_DEPTH fails with ELOOP */
	for (i = 0; i < ROUTE_MAX_DEPTH + 3; i++)
		ck_assert_int_eq(buf_printf(&t, "a%d@example.test "
		    "a%d@example.test\n", i, i + 1), 0);
	ck_assert_int_eq(buf_printf(&t, "a%d@example.test demo@example.test\n",
	    i), 0);
	table("aliases", t.s);
	errno = 0;
	ck_assert_int_eq(route_expand("a0@example.test", &l), -1);
	ck_assert_int_eq(errno, ELOOP);
	route_list_free(&l);
	ck_assert_int_eq(route_expand("a5@example.test", &l), ROUTE_LOCAL);
	ck_assert_str_eq(l.v[0].account, "demo");
	route_list_free(&l);
	buf_free(&t);
}
END_TEST

/* the one account-name rule (conf-init and queue-run) */
START_TEST(t_account_name)
{
	char big[ROUTE_ACCOUNT_MAX + 2];

	ck_assert(route_account_ok("demo"));
	ck_assert(route_account_ok("a.b_c-9"));
	ck_assert(!route_account_ok(""));
	ck_assert(!route_account_ok(NULL));
	ck_assert(!route_account_ok(".hidden"));
	ck_assert(!route_account_ok(".."));
	ck_assert(!route_account_ok("-x"));
	ck_assert(!route_account_ok("a/b"));
	ck_assert(!route_account_ok("Alice"));
	ck_assert(!route_account_ok("a b"));
	ck_assert(!route_account_ok("a\nb"));
	ck_assert(!route_account_ok("caf\xc3\xa9"));
	memset(big, 'a', ROUTE_ACCOUNT_MAX);
	big[ROUTE_ACCOUNT_MAX] = '\0';
	ck_assert(route_account_ok(big));
	big[ROUTE_ACCOUNT_MAX] = 'a';
	big[ROUTE_ACCOUNT_MAX + 1] = '\0';
	ck_assert(!route_account_ok(big));
}
END_TEST

static Suite *
route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("route");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_classify);
	tcase_add_test(tc, t_subaddress);
	tcase_add_test(tc, t_delimiter_config);
	tcase_add_test(tc, t_alias_many);
	tcase_add_test(tc, t_alias_loop_self_dup);
	tcase_add_test(tc, t_remote_and_missing_tables);
	tcase_add_test(tc, t_deep_chain);
	tcase_add_test(tc, t_account_name);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(route_suite)
