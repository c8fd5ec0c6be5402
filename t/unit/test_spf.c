/*
 * test_spf: SPF (RFC 7208) without a DNS server: the record parser
 * (4.5, 4.6.1, 5, 6, 12), macro expansion with the examples of 7.4,
 * malformed macros, and check_host() over records served from memory:
 * the limits of 4.6.4 (include loops, chains past 10 terms, void
 * lookups, MX names), several records, a 64 KB record, DNS failures,
 * exp= explanations and the Received-SPF field.  The whole program
 * against a real DNS server is t/cmd/spf-check.t and t/cmd/spf-suite.t.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/spf.h"
#include "base/buf.h"
#include "dns/dns.h"
#include "unit.h"

/* ---- the parser ------------------------------------------------------- */

static int
parses(const char *rec)
{
	struct spf_record r;
	const char *why;
	int ok = spf_parse(rec, strlen(rec), &r, &why) == 0;

	if (!ok)
		ck_assert_int_eq(errno, EINVAL);
	spf_record_free(&r);
	return ok;
}

START_TEST(t_parse)
{
	struct spf_record r;
	const char *why, *rec = "v=spf1 -ip4:192.0.2.0/24 ~a:mail.%{d}/28//64 "
	    "?mx ptr:example.org ip6:2001:db8::/32 include:_spf.example.net "
	    "exists:%{ir}.bl.example.org a//96 redirect=example.com "
	    "exp=exp.example.com unknown-mod=%{l}";

	ck_assert_int_eq(spf_parse(rec, strlen(rec), &r, &why), 0);
	ck_assert_uint_eq(r.n, 8);
	ck_assert_int_eq(r.t[0].mech, SPF_M_IP4);
	ck_assert_int_eq(r.t[0].qual, '-');
	ck_assert_int_eq(r.t[0].cidr4, 24);
	ck_assert_int_eq(r.t[0].ip[0], 192);
	ck_assert_int_eq(r.t[1].mech, SPF_M_A);
	ck_assert_int_eq(r.t[1].qual, '~');
	ck_assert_int_eq(r.t[1].cidr4, 28);
	ck_assert_int_eq(r.t[1].cidr6, 64);
	ck_assert_uint_eq(r.t[1].speclen, strlen("mail.%{d}"));
	ck_assert_int_eq(r.t[2].mech, SPF_M_MX);
	ck_assert_ptr_null(r.t[2].spec);
	ck_assert_int_eq(r.t[2].cidr4, 32);
	ck_assert_int_eq(r.t[3].mech, SPF_M_PTR);
	ck_assert_int_eq(r.t[4].mech, SPF_M_IP6);
	ck_assert_int_eq(r.t[4].cidr6, 32);
	ck_assert_int_eq(r.t[5].mech, SPF_M_INCLUDE);
	ck_assert_int_eq(r.t[6].mech, SPF_M_EXISTS);
	ck_assert_int_eq(r.t[7].cidr4, 32);
	ck_assert_int_eq(r.t[7].cidr6, 96);
	ck_assert_uint_eq(r.redirectlen, strlen("example.com"));
	ck_assert_int_eq(strncmp(r.exp, "exp.example.com", r.explen), 0);
	spf_record_free(&r);

	/* 4.5: "v=spf1" then a space or the end, any case */
	ck_assert(parses("v=spf1"));
	ck_assert(parses("V=SpF1 -ALL "));
	ck_assert(parses("v=spf1  a  -all"));	/* 4.6.1: 1*SP */
	ck_assert(!parses("v=spf10"));
	ck_assert(!parses("v=spf1\t-all"));
	ck_assert(!spf_is_record("v=spf1-all", 10));
	ck_assert(spf_is_record("v=spf1 -all", 11));
	/* 12: the syntax of each term; an error anywhere counts (4.6) */
	ck_assert(!parses("v=spf1 ip4:192.0.2.1 -all moo"));
	ck_assert(!parses("v=spf1 all/24"));
	ck_assert(!parses("v=spf1 all:example.com"));
	ck_assert(!parses("v=spf1 ip4:192.0.2.1/33"));
	ck_assert(!parses("v=spf1 ip4:192.0.2.1/032"));
	ck_assert(!parses("v=spf1 ip4:192.0.2"));
	ck_assert(!parses("v=spf1 ip4:192.0.2.1//64"));
	ck_assert(!parses("v=spf1 ip6:2001:db8::/129"));
	ck_assert(!parses("v=spf1 ip6:192.0.2.1"));
	ck_assert(!parses("v=spf1 a/33"));
	ck_assert(!parses("v=spf1 a//129"));
	ck_assert(!parses("v=spf1 a:"));
	ck_assert(!parses("v=spf1 include"));
	ck_assert(!parses("v=spf1 exists"));
	ck_assert(!parses("v=spf1 a:foo-bar"));		/* 7.1 domain-end */
	ck_assert(!parses("v=spf1 a:example.123"));
	ck_assert(parses("v=spf1 a:example.c0m"));
	ck_assert(parses("v=spf1 a:%{d}"));
	ck_assert(parses("v=spf1 a:example.com."));
	ck_assert(!parses("v=spf1 redirect:example.com"));
	ck_assert(!parses("v=spf1 redirect=a.example redirect=b.example"));
	ck_assert(!parses("v=spf1 exp=a.example exp=b.example"));
	ck_assert(!parses("v=spf1 redirect="));
	ck_assert(parses("v=spf1 moo.cow-far_out=man:dog/cat -all"));
	ck_assert(!parses("v=spf1 moo.cow/far_out=man:dog/cat -all"));
	ck_assert(!parses("v=spf1 a:ctrl.example.com\rptr -all"));
	ck_assert(!parses("v=spf1 a:\xc3\xa9.example.com -all"));	/* 3.1 */
	ck_assert(!parses("v=spf1 -all \x96"));
	ck_assert(!parses("v=spf1 +-all"));
}
END_TEST

/* ---- macros (RFC 7208 7) --------------------------------------------- */

static struct spf_req mreq = {
	.ip = "192.0.2.3", .sender = "strong-bad@email.example.com",
	.helo = "mx.example.org", .receiver = "rx.example.net", .now = 1234,
};

static const char *
ex(const struct spf_req *q, const char *s, int exp)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	return spf_expand(q, "email.example.com", s, strlen(s), exp, &b) ==
	    0 ? b.s : NULL;
}

START_TEST(t_macros)
{
	struct spf_req q6 = mreq;
	static const char *const ex74[][2] = {	/* RFC 7208 7.4 */
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		    "example.com.trusted-domains.example.net" },
	};
	size_t i;

	for (i = 0; i < sizeof(ex74) / sizeof(ex74[0]); i++)
		ck_assert_str_eq(ex(&mreq, ex74[i][0], 0), ex74[i][1]);
	/* 7.4 for IPv6 (nibbles: the case does not matter to DNS) */
	q6.ip = "2001:db8::cb01";
	ck_assert_int_eq(strcasecmp(ex(&q6, "%{ir}.%{v}._spf.%{d2}", 0),
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	    ".ip6._spf.example.com"), 0);
	ck_assert_str_eq(ex(&q6, "%{c}", 1), "2001:db8::cb01");
	/* 7.3: IPv4-mapped is IPv4 */
	q6.ip = "::ffff:192.0.2.3";
	ck_assert_str_eq(ex(&q6, "%{i} %{v}", 1), "192.0.2.3 in-addr");
	/* the other letters, the escapes, URL-escaping of upper case */
	ck_assert_str_eq(ex(&mreq, "%{h}", 0), "mx.example.org");
	ck_assert_str_eq(ex(&mreq, "%%%_%-", 0), "% %20");
	ck_assert_str_eq(ex(&mreq, "%{S}", 0), "strong-bad%40email.example.com");
	ck_assert_str_eq(ex(&mreq, "%{L}", 0), "strong-bad");
	ck_assert_str_eq(ex(&mreq, "%{i}", 0), "192.0.2.3");
	ck_assert_str_eq(ex(&mreq, "%{D2R}", 0), "example.email");
	ck_assert_str_eq(ex(&mreq, "%{d2r.+}", 0), "example.email");
	/* other delimiters only: one part */
	ck_assert_str_eq(ex(&mreq, "%{d2r+-=}", 0), "email.example.com");
	ck_assert_str_eq(ex(&mreq, "%{l1-}", 0), "bad");
	ck_assert_str_eq(ex(&mreq, "%{d100}", 0), "email.example.com");
	ck_assert_str_eq(ex(&mreq, "%{d99999999999999999999}", 0),
	    "email.example.com");
	/* c, r, t only in an explanation */
	ck_assert_str_eq(ex(&mreq, "%{c} %{r} %{t}", 1),
	    "192.0.2.3 rx.example.net 1234");
	ck_assert_ptr_null(ex(&mreq, "%{c}", 0));
	ck_assert_ptr_null(ex(&mreq, "%{r}.example.com", 0));
	ck_assert_ptr_null(ex(&mreq, "%{t}", 0));
	/* %{p} without DNS: no validated name */
	ck_assert_str_eq(ex(&mreq, "%{p}", 0), "unknown");
	/* a space only in an explanation */
	ck_assert_ptr_null(ex(&mreq, "a b", 0));
	ck_assert_str_eq(ex(&mreq, "a b", 1), "a b");
	/* no local part: postmaster (4.3); no MAIL FROM: the HELO (2.4) */
	q6 = mreq;
	q6.sender = "@email.example.com";
	ck_assert_str_eq(ex(&q6, "%{l}@%{o}", 0), "postmaster@email.example.com");
	q6.sender = "";
	ck_assert_str_eq(ex(&q6, "%{s}", 0), "postmaster@mx.example.org");
}
END_TEST

START_TEST(t_bad_macros)
{
	static const char *const bad[] = {
		"%", "a%", "%x", "%{", "%{d", "%{x}", "%{d0}", "%{d2r", "%{}",
		"%{dx}", "%{d2rr}", "%{d2r.}x%", "%(ir)", "%{d}%{", "\x01",
		"%{l\xff}", "\xc3\xa9",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(ex(&mreq, bad[i], 1) == NULL, "%s", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	/* an expansion without end is cut (SPF_EXPAND_MAX) */
	{
		struct buf b = BUF_INIT, in = BUF_INIT;

		for (i = 0; i < 2000; i++)
			ck_assert_int_eq(buf_puts(&in, "%{s}"), 0);
		ck_assert_int_eq(spf_expand(&mreq, "e.example", in.s, in.len,
		    0, &b), -1);
		ck_assert_int_eq(errno, EINVAL);
		buf_free(&b);
		buf_free(&in);
	}
}
END_TEST

/* ---- check_host() over records in memory ------------------------------ */

struct zrr {
	const char	*name;
	int		 type;	/* 0: the name times out */
	const char	*text;	/* TXT; A/AAAA address; MX/PTR target */
};

static const struct zrr *zone;
static size_t zone_n;
static const char *big_name, *big_text;	/* one record of any size */
static int queries;

static int
add_rr(struct dns_answer *a, int type, const char *text, size_t len)
{
	struct dns_rr *rr;

	rr = realloc(a->rr, (a->n + 1) * sizeof(*rr));
	if (rr == NULL)
		return -1;
	a->rr = rr;
	rr = &a->rr[a->n++];
	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	if ((rr->text = malloc(len + 1)) == NULL)
		return -1;
	memcpy(rr->text, text, len);
	rr->text[len] = '\0';
	rr->len = len;
	if (type == DNS_T_A)
		inet_pton(AF_INET, text, rr->addr);
	if (type == DNS_T_AAAA)
		inet_pton(AF_INET6, text, rr->addr);
	return 0;
}

static int
fake_lookup(void *arg, const char *name, int type, int ms,
    struct dns_answer *a)
{
	size_t i;
	int exists = 0;

	(void)arg;
	(void)ms;
	queries++;
	memset(a, 0, sizeof(*a));
	a->type = type;
	if (big_name != NULL && strcasecmp(name, big_name) == 0 &&
	    type == DNS_T_TXT) {
		a->status = DNS_OK;
		return add_rr(a, type, big_text, strlen(big_text));
	}
	for (i = 0; i < zone_n; i++) {
		if (strcasecmp(zone[i].name, name) != 0)
			continue;
		exists = 1;
		if (zone[i].type == 0) {
			a->status = DNS_TIMEOUT;
			return 0;
		}
		if (zone[i].type == type && add_rr(a, type, zone[i].text,
		    strlen(zone[i].text)) == -1)
			return -1;
	}
	a->status = a->n > 0 ? DNS_OK : exists ? DNS_NODATA : DNS_NXDOMAIN;
	return 0;
}

static const char *
check(const char *ip, const char *sender, struct spf_res *r)
{
	struct spf_req q;

	memset(&q, 0, sizeof(q));
	q.ip = ip;
	q.sender = sender;
	q.helo = "helo.example.org";
	q.receiver = "rx.example.net";
	q.lookup = fake_lookup;
	queries = 0;
	ck_assert_int_eq(spf_check(&q, r), 0);
	return spf_result_str(r->result);
}

#define ZONE(z)	(zone = (z), zone_n = sizeof(z) / sizeof((z)[0]))

static const struct zrr z1[] = {
	{ "example.com", DNS_T_TXT, "v=spf1 ip4:192.0.2.0/24 a:mail.example.com "
	    "mx include:inc.example.com ptr -all exp=exp.example.com" },
	{ "exp.example.com", DNS_T_TXT, "%{i} is not allowed for %{d} (%{s})" },
	{ "mail.example.com", DNS_T_A, "198.51.100.7" },
	{ "example.com", DNS_T_MX, "mx1.example.com" },
	{ "mx1.example.com", DNS_T_A, "203.0.113.5" },
	{ "inc.example.com", DNS_T_TXT, "v=spf1 ip6:2001:db8::/32 -all" },
	{ "9.0.2.192.in-addr.arpa", DNS_T_PTR, "host.example.com" },
	{ "1.1.1.10.in-addr.arpa", DNS_T_PTR, "host.example.com" },
	{ "host.example.com", DNS_T_A, "10.1.1.1" },
	/* the limits */
	{ "loop.example.com", DNS_T_TXT, "v=spf1 include:loop.example.com" },
	{ "two.example.com", DNS_T_TXT, "v=spf1 -all" },
	{ "two.example.com", DNS_T_TXT, "v=spf1 +all" },
	{ "void.example.com", DNS_T_TXT, "v=spf1 a:n1.example.com "
	    "a:n2.example.com a:n3.example.com +all" },
	{ "void2.example.com", DNS_T_TXT, "v=spf1 a:n1.example.com "
	    "a:n2.example.com +all" },
	{ "mx11.example.com", DNS_T_TXT, "v=spf1 mx +all" },
	{ "dead.example.com", DNS_T_TXT, "v=spf1 a:timeout.example.com -all" },
	{ "timeout.example.com", 0, NULL },
	{ "redir.example.com", DNS_T_TXT, "v=spf1 redirect=nothing.example.com" },
	{ "inc-none.example.com", DNS_T_TXT, "v=spf1 include:nothing.example.com" },
};

START_TEST(t_check)
{
	struct spf_res r;
	struct buf b = BUF_INIT;
	struct spf_req q;

	memset(&r, 0, sizeof(r));
	ZONE(z1);
	ck_assert_str_eq(check("192.0.2.9", "joe@example.com", &r), "pass");
	ck_assert_str_eq(r.mech.s, "ip4:192.0.2.0/24");
	ck_assert_int_eq(queries, 1);
	ck_assert_str_eq(check("198.51.100.7", "joe@example.com", &r), "pass");
	ck_assert_str_eq(r.mech.s, "a:mail.example.com");
	ck_assert_str_eq(check("203.0.113.5", "joe@example.com", &r), "pass");
	ck_assert_str_eq(r.mech.s, "mx");
	ck_assert_str_eq(check("2001:db8::1", "joe@example.com", &r), "pass");
	ck_assert_str_eq(r.mech.s, "include:inc.example.com");
	ck_assert_str_eq(check("10.1.1.1", "joe@example.com", &r), "pass");
	ck_assert_str_eq(r.mech.s, "ptr");
	/* fail, with the exp= text (6.2) */
	ck_assert_str_eq(check("192.0.3.1", "joe@Example.COM", &r), "fail");
	ck_assert_str_eq(r.exp.s,
	    "192.0.3.1 is not allowed for Example.COM (joe@Example.COM)");
	ck_assert_int_eq(r.lookups, 4);
	/* 4.4: no record: none; a malformed domain: none, no query (4.3) */
	ck_assert_str_eq(check("192.0.2.1", "joe@nothing.example.com", &r),
	    "none");
	ck_assert_str_eq(check("192.0.2.1", "joe@[192.0.2.1]", &r), "none");
	ck_assert_int_eq(queries, 0);
	ck_assert_str_eq(check("192.0.2.1", "joe@com", &r), "none");
	ck_assert_str_eq(check("192.0.2.1", "joe@a..example.com", &r), "none");
	/* the HELO identity, a bad address */
	ck_assert_str_eq(check("192.0.2.1", "", &r), "none");
	ck_assert_int_eq(r.helo, 1);
	ck_assert_str_eq(r.sender.s, "postmaster@helo.example.org");
	ck_assert_str_eq(check("not-an-ip", "joe@example.com", &r), "permerror");
	/* 4.6.4: an include loop, void lookups, MX names; 4.5: two */
	ck_assert_str_eq(check("192.0.2.1", "joe@loop.example.com", &r),
	    "permerror");
	ck_assert_int_eq(r.lookups, 11);
	ck_assert_ptr_nonnull(strstr(r.problem.s, "10 DNS"));
	ck_assert_str_eq(check("192.0.2.1", "joe@two.example.com", &r),
	    "permerror");
	ck_assert_str_eq(check("192.0.2.1", "joe@void.example.com", &r),
	    "permerror");
	ck_assert_ptr_nonnull(strstr(r.problem.s, "void"));
	ck_assert_str_eq(check("192.0.2.1", "joe@void2.example.com", &r),
	    "pass");
	/* DNS failures: temperror; redirect or include to none: permerror */
	ck_assert_str_eq(check("192.0.2.1", "joe@dead.example.com", &r),
	    "temperror");
	ck_assert_str_eq(check("192.0.2.1", "joe@timeout.example.com", &r),
	    "temperror");
	ck_assert_str_eq(check("192.0.2.1", "joe@redir.example.com", &r),
	    "permerror");
	ck_assert_str_eq(check("192.0.2.1", "joe@inc-none.example.com", &r),
	    "permerror");
	/* Received-SPF (9.1) */
	check("192.0.3.1", "joe@example.com", &r);
	memset(&q, 0, sizeof(q));
	q.ip = "192.0.3.1";
	q.helo = "helo \"x\".example";
	q.receiver = "rx.example.net";
	ck_assert_int_eq(spf_received(&q, &r, "\r\n", &b), 0);
	ck_assert_str_eq(b.s, "Received-SPF: fail (rx.example.net: domain of "
	    "joe@example.com does not designate 192.0.3.1 as permitted "
	    "sender)\r\n\tclient-ip=192.0.3.1; envelope-from=\"joe@example.com\"; "
	    "helo=\"helo \\\"x\\\".example\";\r\n\treceiver=rx.example.net; "
	    "identity=mailfrom; mechanism=-all;\r\n");
	buf_free(&b);
	spf_res_free(&r);
}
END_TEST

static const struct zrr z2[] = {
	{ "chain0.example.com", DNS_T_TXT, "v=spf1 include:chain1.example.com" },
	{ "chain1.example.com", DNS_T_TXT, "v=spf1 include:chain2.example.com" },
	{ "chain2.example.com", DNS_T_TXT, "v=spf1 include:chain3.example.com" },
	{ "chain3.example.com", DNS_T_TXT, "v=spf1 include:chain4.example.com" },
	{ "chain4.example.com", DNS_T_TXT, "v=spf1 include:chain5.example.com" },
	{ "chain5.example.com", DNS_T_TXT, "v=spf1 include:chain6.example.com" },
	{ "chain6.example.com", DNS_T_TXT, "v=spf1 include:chain7.example.com" },
	{ "chain7.example.com", DNS_T_TXT, "v=spf1 include:chain8.example.com" },
	{ "chain8.example.com", DNS_T_TXT, "v=spf1 include:chain9.example.com" },
	{ "chain9.example.com", DNS_T_TXT, "v=spf1 redirect=chain10.example.com" },
	{ "chain10.example.com", DNS_T_TXT, "v=spf1 +all" },
	{ "chain11.example.com", DNS_T_TXT, "v=spf1 include:chain0.example.com" },
	{ "mx11.example.com", DNS_T_TXT, "v=spf1 mx -all" },
	{ "mx10.example.com", DNS_T_TXT, "v=spf1 mx -all" },
	{ "mx11.example.com", DNS_T_MX, "a.example.com" },
	{ "mx11.example.com", DNS_T_MX, "b.example.com" },
	{ "mx11.example.com", DNS_T_MX, "c.example.com" },
	{ "mx11.example.com", DNS_T_MX, "d.example.com" },
	{ "mx11.example.com", DNS_T_MX, "e.example.com" },
	{ "mx11.example.com", DNS_T_MX, "f.example.com" },
	{ "mx11.example.com", DNS_T_MX, "g.example.com" },
	{ "mx11.example.com", DNS_T_MX, "h.example.com" },
	{ "mx11.example.com", DNS_T_MX, "i.example.com" },
	{ "mx11.example.com", DNS_T_MX, "j.example.com" },
	{ "mx11.example.com", DNS_T_MX, "k.example.com" },
	{ "mx10.example.com", DNS_T_MX, "a.example.com" },
	{ "mx10.example.com", DNS_T_MX, "b.example.com" },
	{ "mx10.example.com", DNS_T_MX, "c.example.com" },
	{ "mx10.example.com", DNS_T_MX, "d.example.com" },
	{ "mx10.example.com", DNS_T_MX, "e.example.com" },
	{ "mx10.example.com", DNS_T_MX, "f.example.com" },
	{ "mx10.example.com", DNS_T_MX, "g.example.com" },
	{ "mx10.example.com", DNS_T_MX, "h.example.com" },
	{ "mx10.example.com", DNS_T_MX, "i.example.com" },
	{ "mx10.example.com", DNS_T_MX, "j.example.com" },
	{ "j.example.com", DNS_T_A, "192.0.2.10" },
	{ "k.example.com", DNS_T_A, "192.0.2.11" },
};

START_TEST(t_limits)
{
	struct spf_res r;
	struct buf big = BUF_INIT;
	size_t i;

	memset(&r, 0, sizeof(r));
	ZONE(z2);
	/* 10 terms (9 includes and a redirect) are allowed, 11 not */
	ck_assert_str_eq(check("192.0.2.1", "a@chain0.example.com", &r), "pass");
	ck_assert_int_eq(r.lookups, 10);
	ck_assert_str_eq(check("192.0.2.1", "a@chain11.example.com", &r),
	    "permerror");
	/* 10 MX names looked at; 11 is a permerror */
	ck_assert_str_eq(check("192.0.2.10", "a@mx10.example.com", &r), "pass");
	ck_assert_str_eq(check("192.0.2.11", "a@mx11.example.com", &r),
	    "permerror");
	ck_assert_str_eq(check("192.0.2.12", "a@mx10.example.com", &r), "fail");
	/* a 64 KB record of valid terms is read whole; of junk, permerror */
	ck_assert_int_eq(buf_puts(&big, "v=spf1"), 0);
	for (i = 0; big.len < DNS_TXT_MAX - 40; i++)
		ck_assert_int_eq(buf_printf(&big, " ip4:10.%zu.%zu.0/24",
		    (i / 256) % 256, i % 256), 0);
	ck_assert_int_eq(buf_puts(&big, " ip4:192.0.2.99 -all"), 0);
	big_name = "big.example.com";
	big_text = big.s;
	ck_assert_str_eq(check("192.0.2.99", "a@big.example.com", &r), "pass");
	ck_assert_str_eq(check("192.0.2.98", "a@big.example.com", &r), "fail");
	buf_reset(&big);
	ck_assert_int_eq(buf_puts(&big, "v=spf1 "), 0);
	while (big.len < DNS_TXT_MAX)
		ck_assert_int_eq(buf_puts(&big, "%{"), 0);
	big_text = big.s;
	ck_assert_str_eq(check("192.0.2.99", "a@big.example.com", &r),
	    "permerror");
	buf_reset(&big);
	ck_assert_int_eq(buf_puts(&big, "v=spf1 a:"), 0);
	while (big.len < DNS_TXT_MAX - 4)
		ck_assert_int_eq(buf_puts(&big, "%{d}"), 0);
	ck_assert_int_eq(buf_puts(&big, ".com"), 0);
	big_text = big.s;
	/* expands past SPF_EXPAND_MAX: a bad macro, permerror */
	ck_assert_str_eq(check("192.0.2.99", "a@big.example.com", &r),
	    "permerror");
	big_name = NULL;
	buf_free(&big);
	spf_res_free(&r);
}
END_TEST

static Suite *
spf_suite(void)
{
	Suite *s = suite_create("spf");
	TCase *tc = tcase_create("spf");

	tcase_add_test(tc, t_parse);
	tcase_add_test(tc, t_macros);
	tcase_add_test(tc, t_bad_macros);
	tcase_add_test(tc, t_check);
	tcase_add_test(tc, t_limits);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(spf_suite)
