/*
 * test_dns: what lib/dns does without a server: names (A-labels through
 * libidn2, lower case, the final dot, the limits of RFC 1035 2.3.4),
 * reverse names (RFC 1035 3.5, RFC 3596 2.5), the status names, and
 * dns_open's configuration errors.  The queries themselves are tested
 * against a real server on loopback in t/cmd/dns-lookup.t.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "dns/dns.h"
#include "unit.h"

static const char *
ascii(const char *name)
{
	static struct buf b = BUF_INIT;

	return dns_name_ascii(name, &b) == 0 ? b.s : NULL;
}

START_TEST(t_names)
{
	char label[80], name[300];
	size_t i;

	ck_assert_str_eq(ascii("Mail.Example.ORG."), "mail.example.org");
	ck_assert_str_eq(ascii("example.org"), "example.org");
	/* RFC 5891: U-labels become A-labels */
	ck_assert_str_eq(ascii("b\xc3\xbc" "cher.example"),
	    "xn--bcher-kva.example");
	ck_assert_str_eq(ascii("_dmarc.example.org"), "_dmarc.example.org");
	/* not names */
	errno = 0;
	ck_assert_ptr_null(ascii(""));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(ascii("."));
	ck_assert_ptr_null(ascii("a..b"));
	ck_assert_ptr_null(ascii(".a"));
	ck_assert_ptr_null(ascii("\xff\xfe.example"));	/* not UTF-8 */
	/* 63 octets a label, not 64 */
	memset(label, 'a', 64);
	label[63] = '\0';
	ck_assert_ptr_nonnull(ascii(label));
	label[63] = 'a';
	label[64] = '\0';
	ck_assert_ptr_null(ascii(label));
	/* 253 octets of text, not 254 */
	for (i = 0; i < 253; i++)
		name[i] = i % 2 ? '.' : 'a';
	name[252] = 'a';
	name[253] = '\0';
	ck_assert_ptr_nonnull(ascii(name));
	name[253] = 'a';	/* "a.a....aa": 254 */
	name[254] = '\0';
	ck_assert_ptr_null(ascii(name));
}
END_TEST

START_TEST(t_ptr)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(dns_ptr_name("192.0.2.10", &b), 0);
	ck_assert_str_eq(b.s, "10.2.0.192.in-addr.arpa");
	/* RFC 3596 2.5's example */
	ck_assert_int_eq(dns_ptr_name("4321:0:1:2:3:4:567:89ab", &b), 0);
	ck_assert_str_eq(b.s, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0."
	    "0.0.0.0.1.2.3.4.ip6.arpa");
	errno = 0;
	ck_assert_int_eq(dns_ptr_name("192.0.2", &b), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(dns_ptr_name("mail.example.org", &b), -1);
	buf_free(&b);
}
END_TEST

START_TEST(t_status)
{
	ck_assert_str_eq(dns_status_str(DNS_OK), "ok");
	ck_assert_str_eq(dns_status_str(DNS_NXDOMAIN), "nxdomain");
	ck_assert_str_eq(dns_status_str(DNS_NODATA), "nodata");
	ck_assert_str_eq(dns_status_str(DNS_TIMEOUT), "timeout");
	ck_assert_str_eq(dns_status_str((enum dns_status)99), "error");
}
END_TEST

START_TEST(t_open)
{
	struct dns *d;
	const char *why;

	setenv("POSTERN_CONF", "/nonexistent", 1);
	setenv("POSTERN_RESOLVER", "not an address", 1);
	ck_assert_ptr_null(d = dns_open(&why));
	ck_assert_str_eq(why, "bad resolver address (IP or IP@PORT)");
	setenv("POSTERN_RESOLVER", "127.0.0.1@5353", 1);
	setenv("POSTERN_TRUST_ANCHOR", "/nonexistent/root.key", 1);
	ck_assert_ptr_null(d = dns_open(&why));
	ck_assert_str_eq(why, "trust anchor file unreadable");
	unsetenv("POSTERN_TRUST_ANCHOR");
	ck_assert_ptr_nonnull(d = dns_open(&why));
	dns_close(d);
	unsetenv("POSTERN_RESOLVER");
}
END_TEST

START_TEST(t_badname_query)
{
	struct dns_answer a;
	struct dns *d;
	const char *why;

	setenv("POSTERN_RESOLVER", "127.0.0.1@9", 1);
	ck_assert_ptr_nonnull(d = dns_open(&why));
	/* no query is sent for a name that cannot be asked */
	ck_assert_int_eq(dns_query(d, "a..b", DNS_T_A, 100, &a), 0);
	ck_assert_int_eq(a.status, DNS_BADNAME);
	ck_assert_uint_eq(a.n, 0);
	dns_answer_free(&a);
	dns_close(d);
	unsetenv("POSTERN_RESOLVER");
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");

	tcase_add_test(tc, t_names);
	tcase_add_test(tc, t_ptr);
	tcase_add_test(tc, t_status);
	tcase_add_test(tc, t_open);
	tcase_add_test(tc, t_badname_query);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(dns_suite)
