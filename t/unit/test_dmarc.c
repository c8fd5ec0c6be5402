/*
 * test_dmarc: the DMARC record parser, policy discovery names, Author
 * Domains, alignment, the result and disposition, and the
 * Authentication-Results text (lib/auth/dmarc.c), with the vectors of
 * t/data/dmarc (see its README for the cases where postern differs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/dmarc.h"
#include "auth/psl.h"
#include "base/buf.h"
#include "unit.h"

static char *dir;
static struct psl psl;

static const char *
data_path(const char *name)
{
	static char path[4096];
	const char *top = getenv("TOP");

	snprintf(path, sizeof(path), "%s/t/data/%s",
	    top != NULL && *top != '\0' ? top : ".", name);
	return path;
}

static void
setup(void)
{
	char cdb[4200], src[4200];
	unsigned long line;
	const char *why;

	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	snprintf(cdb, sizeof(cdb), "%s/psl.cdb", dir);
	snprintf(src, sizeof(src), "%s", data_path("psl/public_suffix_list.dat"));
	ck_assert_int_gt(psl_compile(src, cdb, 0644, &line, &why), 0);
	ck_assert_int_eq(psl_open(&psl, cdb, 0), 0);
}

static void
teardown(void)
{
	psl_close(&psl);
	unit_rm_rf(dir);
}

/* Split line at TABs into f[0..max); the count. */
static int
fields(char *line, char **f, int max)
{
	int n = 0;
	char *t;

	line[strcspn(line, "\n")] = '\0';
	f[n++] = line;
	while (n < max && (t = strchr(f[n - 1], '\t')) != NULL) {
		*t = '\0';
		f[n++] = t + 1;
	}
	return n;
}

static int
parse(const char *s, struct dmarc_record *r)
{
	return dmarc_record_parse(s, strlen(s), r);
}

/* "a!n,b!m" against the parsed URIs (mailto: stripped, "%20" dropped as
 * mail-auth does, README) */
static void
check_uris(const char *want, const struct dmarc_uri *u, size_t n)
{
	char buf[2048], *w, *save = NULL, *bang, got[1100];
	const char *s;
	size_t i = 0, k;

	if (strcmp(want, "-") == 0) {
		ck_assert_uint_eq(n, 0);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", want);
	for (w = strtok_r(buf, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save), i++) {
		ck_assert_uint_lt(i, n);
		bang = strrchr(w, '!');
		ck_assert_ptr_nonnull(bang);
		*bang = '\0';
		ck_assert(strncmp(u[i].uri, "mailto:", 7) == 0);
		for (s = u[i].uri + 7, k = 0; *s != '\0' && k < 1000; s++) {
			if (strncmp(s, "%20", 3) == 0) {
				s += 2;
				continue;
			}
			got[k++] = *s;
		}
		got[k] = '\0';
		ck_assert_str_eq(got, w);
		ck_assert_uint_eq(u[i].max, strtoull(bang + 1, NULL, 10));
	}
	ck_assert_uint_eq(i, n);
}

static unsigned
fo_bits(const char *s)
{
	unsigned fo = 0;

	for (; *s != '\0'; s++)
		fo |= *s == '0' ? DMARC_FO_0 : *s == '1' ? DMARC_FO_1 :
		    *s == 'd' ? DMARC_FO_D : *s == 's' ? DMARC_FO_S : 0;
	return fo;
}

START_TEST(t_vectors)
{
	char cmd[9000], line[4096], *f[10];
	struct dmarc_record r;
	FILE *fp;
	int n, np = 0, nm = 0, na = 0, x, want;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s'",
	    data_path("dmarc/convert.py"));
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " '%s'",
	    data_path("dmarc/record-parse-vectors.json"));
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		n = fields(line, f, 10);
		if (f[0][0] == 'P') {
			ck_assert_int_eq(n, 4);
			x = parse(f[2], &r);
			if (strcmp(f[3], "OKAY") == 0)
				want = 1;
			else if (strcmp(f[3], "ERROR_EMPTY") == 0 ||
			    strcmp(f[3], "ERROR_BAD_VERSION") == 0)
				want = 0;
			else
				want = -1;
			if (atoi(f[1]) == 5)
				want = -1;	/* p=n: README */
			ck_assert_msg(x == want, "opendmarc %s \"%s\": got %d"
			    " (%s), want %d", f[1], f[2], x,
			    r.why != NULL ? r.why : "-", want);
			if (want == -1)
				ck_assert(errno == EINVAL && r.why != NULL);
			dmarc_record_free(&r);
			np++;
		} else if (f[0][0] == 'M') {
			ck_assert_int_eq(n, 9);
			x = parse(f[1], &r);
			ck_assert_msg(x == 1, "mail_auth \"%s\": %d %s", f[1],
			    x, r.why != NULL ? r.why : "-");
			ck_assert_str_eq(dmarc_policy_name(r.p), f[2]);
			ck_assert_str_eq(dmarc_policy_name(r.sp), f[3]);
			ck_assert_int_eq(r.adkim, f[4][0] == 's' ?
			    DMARC_A_STRICT : DMARC_A_RELAXED);
			ck_assert_int_eq(r.aspf, f[5][0] == 's' ?
			    DMARC_A_STRICT : DMARC_A_RELAXED);
			ck_assert_uint_eq(r.fo, fo_bits(f[6]));
			check_uris(f[7], r.rua, r.nrua);
			check_uris(f[8], r.ruf, r.nruf);
			ck_assert_uint_eq(r.rua_dropped + r.ruf_dropped, 0);
			dmarc_record_free(&r);
			nm++;
		} else if (f[0][0] == 'A') {
			ck_assert_int_eq(n, 5);
			want = atoi(f[4]) == 0;
			if (f[1][0] == '.')
				want = 0;	/* dots stripped: README */
			x = dmarc_aligned(&psl, f[1], f[2],
			    strcmp(f[3], "strict") == 0 ? DMARC_A_STRICT :
			    DMARC_A_RELAXED);
			ck_assert_msg(x == want, "alignment %s %s %s: %d",
			    f[1], f[2], f[3], x);
			na++;
		}
	}
	ck_assert_int_eq(pclose(fp), 0);
	ck_assert_int_eq(np, 19);
	ck_assert_int_eq(nm, 6);
	ck_assert_int_eq(na, 10);
}
END_TEST

/* parse s: the return and, for -1, the reason */
static void
rec(const char *s, int want, const char *why)
{
	struct dmarc_record r;
	int x = parse(s, &r);

	ck_assert_msg(x == want, "\"%s\": got %d (%s), want %d", s, x,
	    r.why != NULL ? r.why : "-", want);
	if (want == -1) {
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_str_eq(r.why, why);
	}
	dmarc_record_free(&r);
}

START_TEST(t_record_rules)
{
	struct dmarc_record r;

	/* defaults (6.3) */
	ck_assert_int_eq(parse("v=DMARC1;p=reject", &r), 1);
	ck_assert_int_eq(r.p, DMARC_P_REJECT);
	ck_assert_int_eq(r.sp, DMARC_P_REJECT);
	ck_assert_uint_eq(r.pct, 100);
	ck_assert_int_eq(r.adkim, DMARC_A_RELAXED);
	ck_assert_int_eq(r.aspf, DMARC_A_RELAXED);
	ck_assert_uint_eq(r.fo, DMARC_FO_0);
	ck_assert_uint_eq(r.rf, DMARC_RF_AFRF);
	ck_assert_uint_eq(r.ri, 86400);
	ck_assert_int_eq(r.p_given, 1);
	dmarc_record_free(&r);
	/* names and keywords in any case, blanks around = and ; */
	ck_assert_int_eq(parse("V = DMARC1 ;\tP = Reject ; SP=NONE; "
	    "ADKIM=S; pct=0; ri=3600; fo=0:1:D:s", &r), 1);
	ck_assert_int_eq(r.p, DMARC_P_REJECT);
	ck_assert_int_eq(r.sp, DMARC_P_NONE);
	ck_assert_int_eq(r.adkim, DMARC_A_STRICT);
	ck_assert_uint_eq(r.pct, 0);
	ck_assert_uint_eq(r.ri, 3600);
	ck_assert_uint_eq(r.fo, DMARC_FO_0 | DMARC_FO_1 | DMARC_FO_D |
	    DMARC_FO_S);
	dmarc_record_free(&r);
	/* p anywhere after v */
	ck_assert_int_eq(parse("v=DMARC1; pct=50; p=quarantine", &r), 1);
	ck_assert_int_eq(r.p, DMARC_P_QUARANTINE);
	ck_assert_uint_eq(r.pct, 50);
	dmarc_record_free(&r);
	/* 6.6.3: no valid p but a valid rua: p=none */
	ck_assert_int_eq(parse("v=DMARC1; rua=mailto:a@example.com", &r), 1);
	ck_assert_int_eq(r.p, DMARC_P_NONE);
	ck_assert_int_eq(r.p_given, 0);
	dmarc_record_free(&r);
	ck_assert_int_eq(parse("v=DMARC1; p=reject; sp=bogus; "
	    "rua=mailto:a@example.com", &r), 1);
	ck_assert_int_eq(r.p, DMARC_P_NONE);
	ck_assert_int_eq(r.sp, DMARC_P_NONE);
	dmarc_record_free(&r);
	ck_assert_int_eq(parse("v=DMARC1; p=; rua=mailto:a@example.com", &r),
	    1);
	dmarc_record_free(&r);
	rec("v=DMARC1; rua=bogus", -1, "no p tag");
	rec("v=DMARC1; p=reject; sp=", -1, "bad sp value");

	/* not DMARC: discarded (0) */
	rec("", 0, NULL);
	rec("   ", 0, NULL);
	rec("v=spf1 -all", 0, NULL);
	rec("v=dmarc1; p=reject", 0, NULL);
	rec("v=DMARC10; p=reject", 0, NULL);
	rec("v=DMARC1 p=reject", 0, NULL);
	rec("p=reject; v=DMARC1", 0, NULL);
	rec("; v=DMARC1; p=reject", 0, NULL);
	rec("v", 0, NULL);
	rec("v=", 0, NULL);
	ck_assert_int_eq(dmarc_record_parse(NULL, 5, &r), 0);
	dmarc_record_free(&r);

	/* invalid, each with its reason */
	rec("v=DMARC1; p=reject; p=none", -1, "a tag given twice");
	rec("v=DMARC1; p=reject; v=DMARC1", -1, "a tag given twice");
	rec("v=DMARC1; p=reject; junk", -1, "a tag without '='");
	rec("v=DMARC1; p=reject; =x", -1, "a tag without '='");
	rec("v=DMARC1; p=reject; 9a=x", -1, "a tag without '='");
	rec("v=DMARC1; p=reject; pct=101", -1, "bad pct value");
	rec("v=DMARC1; p=reject; pct=-1", -1, "bad pct value");
	rec("v=DMARC1; p=reject; pct=0100", -1, "bad pct value");
	rec("v=DMARC1; p=reject; pct=", -1, "a tag with an empty value");
	rec("v=DMARC1; p=reject; ri=99999999999999999999999", -1,
	    "bad ri value");
	rec("v=DMARC1; p=reject; ri=4294967296", -1, "bad ri value");
	rec("v=DMARC1; p=reject; fo=0:x", -1, "bad fo value");
	rec("v=DMARC1; p=reject; fo=0::1", -1, "bad fo value");
	rec("v=DMARC1; p=reject; rf=afrf:iodef", -1, "bad rf value");
	rec("v=DMARC1; p=reject; adkim=relaxed", -1, "bad adkim value");
	rec("v=DMARC1; p=reject; x=\x01", -1, "a control or 8-bit byte");
	rec("v=DMARC1; p=reject; x=\xc3\xa9", -1, "a control or 8-bit byte");
	ck_assert_int_eq(dmarc_record_parse("v=DMARC1; p=reject\0x", 20, &r),
	    -1);
	ck_assert_str_eq(r.why, "a control or 8-bit byte");
	dmarc_record_free(&r);

	/* unknown tags ignored, whatever they hold (6.3) */
	rec("v=DMARC1; p=reject; np=reject; psd=n; t=y; x_y1=;", 1, NULL);
}
END_TEST

START_TEST(t_record_uris)
{
	struct dmarc_record r;
	struct buf b = BUF_INIT;
	int i;

	ck_assert_int_eq(parse("v=DMARC1; p=none; rua=mailto:a@example.com!1,"
	    " mailto:b@example.com!10k, mailto:c@example.com!2m,"
	    "mailto:d@example.com!3g, mailto:e@example.com ! 4 T", &r), 1);
	ck_assert_uint_eq(r.nrua, 5);
	ck_assert_str_eq(r.rua[0].uri, "mailto:a@example.com");
	ck_assert_uint_eq(r.rua[0].max, 1);
	ck_assert_uint_eq(r.rua[1].max, 10240);
	ck_assert_uint_eq(r.rua[2].max, 2u << 20);
	ck_assert_uint_eq(r.rua[3].max, 3ull << 30);
	ck_assert_uint_eq(r.rua[4].max, 4ull << 40);
	ck_assert_str_eq(r.rua[4].uri, "mailto:e@example.com");
	dmarc_record_free(&r);
	/* bad URIs and sizes dropped, the record kept */
	ck_assert_int_eq(parse("v=DMARC1; p=none; rua=notauri, :x, 1x:y, "
	    "mailto:, mailto:a b@example.com, mailto:a%zz@example.com,"
	    "mailto:x@example.com!, mailto:x@example.com!10x,"
	    "mailto:x@example.com!99999999999999999999999,"
	    "mailto:x@example.com!99999999999999t,"
	    "https://example.com/r?x=1%2C2, mailto:ok@example.com", &r), 1);
	ck_assert_uint_eq(r.nrua, 2);
	ck_assert_uint_eq(r.rua_dropped, 10);
	ck_assert_str_eq(r.rua[0].uri, "https://example.com/r?x=1%2C2");
	ck_assert_str_eq(r.rua[1].uri, "mailto:ok@example.com");
	dmarc_record_free(&r);
	/* only DMARC_URI_MAX kept */
	ck_assert_int_eq(buf_puts(&b, "v=DMARC1; p=none; ruf="), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(buf_printf(&b, "%smailto:r%d@example.com",
		    i > 0 ? "," : "", i), 0);
	ck_assert_int_eq(dmarc_record_parse(b.s, b.len, &r), 1);
	ck_assert_uint_eq(r.nruf, DMARC_URI_MAX);
	ck_assert_uint_eq(r.ruf_dropped, 20 - DMARC_URI_MAX);
	ck_assert_str_eq(r.ruf[7].uri, "mailto:r7@example.com");
	dmarc_record_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(t_record_hostile)
{
	struct dmarc_record r;
	struct buf b = BUF_INIT;
	static const char *const bits[] = {
		"v=DMARC1", ";", " ", "=", "p", "reject", "rua", "mailto:",
		"a@b", "!", ",", "k", "9", ":", "fo", "pct", "\t", "%",
		"\xff", "\0", "sp", "none", "ri", "999999999999999999999"
	};
	unsigned seed = 12345;
	int i, k, x;

	/* 64 KB: too long once it is DMARC; not DMARC otherwise */
	ck_assert_int_eq(buf_puts(&b, "v=DMARC1; p=reject; x="), 0);
	while (b.len < 65536)
		ck_assert_int_eq(buf_putc(&b, 'x'), 0);
	ck_assert_int_eq(dmarc_record_parse(b.s, b.len, &r), -1);
	ck_assert_str_eq(r.why, "record too long");
	dmarc_record_free(&r);
	b.s[0] = 'w';
	ck_assert_int_eq(dmarc_record_parse(b.s, b.len, &r), 0);
	dmarc_record_free(&r);
	/* records of random pieces: an answer, never a crash or a leak
	 * (the sanitizer build watches) */
	for (i = 0; i < 20000; i++) {
		buf_reset(&b);
		ck_assert_int_eq(buf_puts(&b, "v=DMARC1;"), 0);
		for (k = (int)(seed % 40); k > 0; k--) {
			seed = seed * 1103515245u + 12345u;
			x = (int)((seed >> 8) % (sizeof(bits) / sizeof(*bits)));
			ck_assert_int_eq(buf_put(&b, bits[x],
			    bits[x][0] == '\0' ? 1 : strlen(bits[x])), 0);
		}
		seed = seed * 1103515245u + 12345u;
		x = dmarc_record_parse(b.s, b.len, &r);
		ck_assert(x == 1 || x == 0 || (x == -1 && r.why != NULL));
		ck_assert_uint_le(r.nrua, DMARC_URI_MAX);
		ck_assert_uint_le(r.pct, 100);
		dmarc_record_free(&r);
	}
	buf_free(&b);
}
END_TEST

START_TEST(t_select)
{
	const char *txt[3];
	size_t len[3];
	struct dmarc_record r;
	int i;

	txt[0] = "v=spf1 -all";
	txt[1] = "v=DMARC1; p=reject";
	txt[2] = "some verification=1";
	for (i = 0; i < 3; i++)
		len[i] = strlen(txt[i]);
	ck_assert_int_eq(dmarc_record_select(txt, len, 3, &r), 1);
	ck_assert_int_eq(r.p, DMARC_P_REJECT);
	dmarc_record_free(&r);
	/* none that is DMARC: ask the next name */
	ck_assert_int_eq(dmarc_record_select(txt, len, 1, &r), 0);
	ck_assert_int_eq(dmarc_record_select(txt, len, 0, &r), 0);
	/* 6.6.3 step 4: two records are no policy */
	txt[2] = "v=DMARC1; p=none";
	len[2] = strlen(txt[2]);
	ck_assert_int_eq(dmarc_record_select(txt, len, 3, &r), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(r.why, "several DMARC records");
	dmarc_record_free(&r);
	/* one, invalid */
	txt[1] = "v=DMARC1; p=bogus";
	len[1] = strlen(txt[1]);
	ck_assert_int_eq(dmarc_record_select(txt, len, 2, &r), -1);
	ck_assert_str_eq(r.why, "bad p value");
	dmarc_record_free(&r);
}
END_TEST

START_TEST(t_query_names)
{
	struct dmarc_query q;
	char big[300];

	ck_assert_int_eq(dmarc_query_names(&psl, "Mail.Example.COM", &q), 2);
	ck_assert_str_eq(q.name[0].s, "_dmarc.mail.example.com");
	ck_assert_str_eq(q.name[1].s, "_dmarc.example.com");
	dmarc_query_free(&q);
	ck_assert_int_eq(dmarc_query_names(&psl, "example.co.uk", &q), 1);
	ck_assert_str_eq(q.name[0].s, "_dmarc.example.co.uk");
	dmarc_query_free(&q);
	ck_assert_int_eq(dmarc_query_names(&psl, "co.uk", &q), 1);
	ck_assert_str_eq(q.name[0].s, "_dmarc.co.uk");
	dmarc_query_free(&q);
	ck_assert_int_eq(dmarc_query_names(&psl,
	    "www.\xe9\xa3\x9f\xe7\x8b\xae.\xe4\xb8\xad\xe5\x9b\xbd", &q), 2);
	ck_assert_str_eq(q.name[1].s, "_dmarc.xn--85x722f.xn--fiqs8s");
	dmarc_query_free(&q);
	memset(big, 'a', 250);
	big[3] = big[100] = big[200] = '.';
	big[250] = '\0';
	ck_assert_int_eq(dmarc_query_names(&psl, big, &q), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(dmarc_query_names(&psl, "a..b", &q), -1);
	ck_assert_int_eq(dmarc_query_names(&psl, NULL, &q), -1);
}
END_TEST

static void
from(const char *head, int want, const char *what)
{
	struct dmarc_from f;
	char got[2048] = "";
	size_t i;
	int r = dmarc_from_domains(head, strlen(head), &f);

	if (r == 0)
		for (i = 0; i < f.n; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%s%s", i > 0 ? " " : "", f.domain[i].s);
	ck_assert_msg(r == want, "%s: got %d (%s)", head, r,
	    f.why != NULL ? f.why : got);
	if (r == 0)
		ck_assert_str_eq(got, what);
	else {
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_str_eq(f.why, what);
	}
	dmarc_from_free(&f);
}

START_TEST(t_from)
{
	from("From: Alice <alice@Example.COM>\r\nTo: b@x.org\r\n\r\nbody",
	    0, "example.com");
	from("Subject: x\nFrom: a@example.com, \"B\" <b@EXAMPLE.com>\n\n", 0,
	    "example.com");
	from("From: a@example.com,\r\n b@example.org\r\n\r\n", 0,
	    "example.com example.org");
	from("From: a@\xc3\xa9xample.com\n\n", 0, "xn--xample-9ua.com");
	from("To: b@x.org\r\n\r\n", -1, "no From field");
	from("From: a@example.com\r\nFrom: b@example.com\r\n\r\n", -1,
	    "several From fields");
	from("From: undisclosed-recipients:;\r\n\r\n", -1,
	    "From field does not parse");
	from("From: alice\r\n\r\n", -1, "From field does not parse");
	from("From: \r\n\r\n", -1, "From field does not parse");
	from("From: a@[192.0.2.1]\r\n\r\n", -1, "From domain is a literal");
	from("From: a@exa_mple..com\r\n\r\n", -1, "From field does not parse");
	from("From: a@-.com\r\n\r\n", 0, "-.com");	/* LDH, a name */
}
END_TEST

START_TEST(t_from_many)
{
	struct buf h = BUF_INIT;
	struct dmarc_from f;
	int i;

	ck_assert_int_eq(buf_puts(&h, "From: a@d0.example"), 0);
	for (i = 1; i < DMARC_FROM_MAX + 1; i++)
		ck_assert_int_eq(buf_printf(&h, ", a@d%d.example", i), 0);
	ck_assert_int_eq(buf_puts(&h, "\r\n\r\n"), 0);
	ck_assert_int_eq(dmarc_from_domains(h.s, h.len, &f), -1);
	ck_assert_str_eq(f.why, "too many From domains");
	dmarc_from_free(&f);
	buf_free(&h);
}
END_TEST

/* One evaluation and its Authentication-Results text. */
static void
eval(const struct dmarc_input *in, const char *want_ar,
    struct dmarc_result *res)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(dmarc_eval(&psl, in, res), 0);
	ck_assert_int_eq(dmarc_authres(res, &b), 0);
	ck_assert_str_eq(b.s, want_ar);
	buf_free(&b);
}

static void
record(struct dmarc_record *r, const char *s)
{
	ck_assert_int_eq(dmarc_record_parse(s, strlen(s), r), 1);
}

START_TEST(t_eval)
{
	struct dmarc_record r;
	struct dmarc_result res;
	struct dmarc_dkim dk[3] = {
		{ "example.net", 1 }, { "Mail.Example.com", 0 },
		{ "mail.example.com", 1 }
	};
	struct dmarc_input in = { 0 };

	record(&r, "v=DMARC1; p=reject");
	in.from = "example.com";
	in.found = DMARC_FOUND_AUTHOR;
	in.rec = &r;
	/* nothing authenticated: fail, reject */
	eval(&in, "dmarc=fail (p=reject dis=reject) header.from=example.com",
	    &res);
	ck_assert_int_eq(res.res, DMARC_FAIL);
	ck_assert_int_eq(res.dis, DMARC_P_REJECT);
	/* B.1.2: DKIM d=mail.example.com passes, relaxed: aligned; only
	 * passing signatures count; the first is another domain */
	in.dkim = dk;
	in.ndkim = 3;
	eval(&in, "dmarc=pass (p=reject dis=none) header.from=example.com",
	    &res);
	ck_assert(res.dkim_aligned && !res.spf_aligned);
	in.ndkim = 2;		/* the aligned one failed */
	eval(&in, "dmarc=fail (p=reject dis=reject) header.from=example.com",
	    &res);
	in.ndkim = 3;
	dmarc_record_free(&r);
	record(&r, "v=DMARC1; p=reject; adkim=s");
	eval(&in, "dmarc=fail (p=reject dis=reject) header.from=example.com",
	    &res);
	/* B.1.1: SPF for MAIL FROM bounce.example.com: relaxed aligned,
	 * strict not; a fail result counts nothing */
	in.ndkim = 0;
	in.spf_domain = "bounce.example.com";
	in.spf_pass = 1;
	eval(&in, "dmarc=pass (p=reject dis=none) header.from=example.com",
	    &res);
	ck_assert(res.spf_aligned);
	dmarc_record_free(&r);
	record(&r, "v=DMARC1; p=quarantine; aspf=s");
	eval(&in, "dmarc=fail (p=quarantine dis=quarantine) "
	    "header.from=example.com", &res);
	in.spf_domain = "EXAMPLE.com";
	eval(&in, "dmarc=pass (p=quarantine dis=none) "
	    "header.from=example.com", &res);
	in.spf_pass = 0;
	eval(&in, "dmarc=fail (p=quarantine dis=quarantine) "
	    "header.from=example.com", &res);
	in.spf_domain = NULL;
	dmarc_record_free(&r);

	/* no record: none, no comment; errors with their reasons */
	in.found = DMARC_FOUND_NONE;
	in.rec = NULL;
	eval(&in, "dmarc=none header.from=example.com", &res);
	in.found = DMARC_FOUND_TEMP;
	eval(&in, "dmarc=temperror reason=\"DNS failure\" "
	    "header.from=example.com", &res);
	in.found = DMARC_FOUND_INVALID;
	in.why = "several \"DMARC\" records\r\n";
	eval(&in, "dmarc=permerror reason=\"several DMARC records\" "
	    "header.from=example.com", &res);
	in.why = NULL;
	/* unusable input */
	in.found = DMARC_FOUND_AUTHOR;
	ck_assert_int_eq(dmarc_eval(&psl, &in, &res), -1);
	in.from = NULL;
	ck_assert_int_eq(dmarc_eval(&psl, &in, &res), -1);
	in.from = "a..b";
	ck_assert_int_eq(dmarc_eval(&psl, &in, &res), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(t_eval_subdomain_pct)
{
	struct dmarc_record r;
	struct dmarc_result res;
	struct dmarc_input in = { 0 };

	/* sp applies to a subdomain whose record came from the org */
	record(&r, "v=DMARC1; p=reject; sp=quarantine");
	in.from = "news.example.com";
	in.rec = &r;
	in.found = DMARC_FOUND_ORG;
	eval(&in, "dmarc=fail (p=quarantine dis=quarantine) "
	    "header.from=news.example.com", &res);
	/* its own record: p */
	in.found = DMARC_FOUND_AUTHOR;
	eval(&in, "dmarc=fail (p=reject dis=reject) "
	    "header.from=news.example.com", &res);
	dmarc_record_free(&r);
	/* sp absent: p for subdomains too */
	record(&r, "v=DMARC1; p=reject");
	in.found = DMARC_FOUND_ORG;
	eval(&in, "dmarc=fail (p=reject dis=reject) "
	    "header.from=news.example.com", &res);
	dmarc_record_free(&r);
	/* 6.6.4: pct=25; samples 0..24 get the policy, the rest one
	 * lower */
	record(&r, "v=DMARC1; p=reject; pct=25");
	in.sample = 24;
	eval(&in, "dmarc=fail (p=reject dis=reject) "
	    "header.from=news.example.com", &res);
	ck_assert_int_eq(res.sampled_out, 0);
	in.sample = 25;
	eval(&in, "dmarc=fail (p=reject dis=quarantine) "
	    "header.from=news.example.com", &res);
	ck_assert_int_eq(res.sampled_out, 1);
	dmarc_record_free(&r);
	record(&r, "v=DMARC1; p=quarantine; pct=0");
	in.sample = 0;
	eval(&in, "dmarc=fail (p=quarantine dis=none) "
	    "header.from=news.example.com", &res);
	dmarc_record_free(&r);
	record(&r, "v=DMARC1; p=quarantine; pct=100");
	in.sample = 99;
	eval(&in, "dmarc=fail (p=quarantine dis=quarantine) "
	    "header.from=news.example.com", &res);
	dmarc_record_free(&r);
}
END_TEST

START_TEST(t_alignment)
{
	/* RFC 7489 3.1 and B.1 */
	ck_assert_int_eq(dmarc_aligned(&psl, "example.com",
	    "mail.example.com", DMARC_A_RELAXED), 1);
	ck_assert_int_eq(dmarc_aligned(&psl, "example.com",
	    "mail.example.com", DMARC_A_STRICT), 0);
	ck_assert_int_eq(dmarc_aligned(&psl, "a.example.co.uk",
	    "b.example.co.uk", DMARC_A_RELAXED), 1);
	ck_assert_int_eq(dmarc_aligned(&psl, "example.co.uk", "other.co.uk",
	    DMARC_A_RELAXED), 0);
	ck_assert_int_eq(dmarc_aligned(&psl, "co.uk", "example.co.uk",
	    DMARC_A_RELAXED), 0);
	ck_assert_int_eq(dmarc_aligned(&psl, "co.uk", "CO.UK.",
	    DMARC_A_STRICT), 1);
	/* PRIVATE rules separate owners */
	ck_assert_int_eq(dmarc_aligned(&psl, "a.blogspot.com",
	    "b.blogspot.com", DMARC_A_RELAXED), 0);
	ck_assert_int_eq(dmarc_aligned(&psl, "x.a.blogspot.com",
	    "a.blogspot.com", DMARC_A_RELAXED), 1);
	/* U-label and A-label are the same name */
	ck_assert_int_eq(dmarc_aligned(&psl, "\xc3\xa9xample.com",
	    "mail.xn--xample-9ua.com", DMARC_A_RELAXED), 1);
	ck_assert_int_eq(dmarc_aligned(&psl, "example.com", "",
	    DMARC_A_RELAXED), 0);
	ck_assert_int_eq(dmarc_aligned(&psl, NULL, "example.com",
	    DMARC_A_RELAXED), 0);
}
END_TEST

START_TEST(t_merge)
{
	struct dmarc_result a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.res = DMARC_PASS;
	b.res = DMARC_FAIL;
	b.has_policy = 1;
	b.policy = b.dis = DMARC_P_QUARANTINE;
	snprintf(b.from, sizeof(b.from), "%s", "example.org");
	dmarc_merge(&a, &b);
	ck_assert_int_eq(a.res, DMARC_FAIL);
	ck_assert_int_eq(a.dis, DMARC_P_QUARANTINE);
	ck_assert_str_eq(a.from, "example.org");
	b.dis = DMARC_P_NONE;
	a.dis = DMARC_P_REJECT;
	dmarc_merge(&a, &b);
	ck_assert_int_eq(a.dis, DMARC_P_REJECT);
	b.res = DMARC_NONE;
	dmarc_merge(&a, &b);
	ck_assert_int_eq(a.res, DMARC_FAIL);
}
END_TEST

START_TEST(t_authres_props)
{
	struct dmarc_result res;
	struct buf b = BUF_INIT;

	memset(&res, 0, sizeof(res));
	res.res = DMARC_PERMERROR;
	res.why = "no From field";
	ck_assert_int_eq(dmarc_authres(&res, &b), 0);
	ck_assert_str_eq(b.s, "dmarc=permerror reason=\"no From field\"");
	buf_reset(&b);
	ck_assert_int_eq(dmarc_authres_props(&res, &b), 0);
	ck_assert_uint_eq(b.len, 0);
	res.res = DMARC_PASS;
	res.has_policy = 1;
	res.policy = DMARC_P_REJECT;
	snprintf(res.from, sizeof(res.from), "%s", "example.com");
	ck_assert_int_eq(dmarc_authres_props(&res, &b), 0);
	ck_assert_str_eq(b.s, "(p=reject dis=none) header.from=example.com");
	buf_free(&b);
}
END_TEST

static Suite *
dmarc_suite(void)
{
	Suite *s = suite_create("dmarc");
	TCase *tc = tcase_create("dmarc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_vectors);
	tcase_add_test(tc, t_record_rules);
	tcase_add_test(tc, t_record_uris);
	tcase_add_test(tc, t_record_hostile);
	tcase_add_test(tc, t_select);
	tcase_add_test(tc, t_query_names);
	tcase_add_test(tc, t_from);
	tcase_add_test(tc, t_from_many);
	tcase_add_test(tc, t_eval);
	tcase_add_test(tc, t_eval_subdomain_pct);
	tcase_add_test(tc, t_alignment);
	tcase_add_test(tc, t_merge);
	tcase_add_test(tc, t_authres_props);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(dmarc_suite)
