/*
 * test_psl: the public suffix list compiled to CDB and the Organizational
 * Domain of RFC 7489 3.2 (lib/auth/psl.c), with the list's own test cases
 * (t/data/psl/test_psl.txt, see t/data/psl/README).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/psl.h"
#include "base/buf.h"
#include "base/cdbtab.h"
#include "base/fileio.h"
#include "unit.h"

#define DEBIAN_PSL	"/usr/share/publicsuffix/public_suffix_list.dat"

static char *dir;
static char cdbpath[4200];

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
	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	snprintf(cdbpath, sizeof(cdbpath), "%s/psl.cdb", dir);
}

static void
teardown(void)
{
	unit_rm_rf(dir);
}

/* Compile src into cdbpath and open it. */
static void
open_list(struct psl *p, const char *src, int flags)
{
	unsigned long line;
	const char *why;
	long n;

	n = psl_compile(src, cdbpath, 0644, &line, &why);
	ck_assert_msg(n > 0, "compile %s: line %lu %s", src, line,
	    why != NULL ? why : strerror(errno));
	ck_assert_int_eq(psl_open(p, cdbpath, flags), 0);
}

/* A quoted argument of checkPublicSuffix: 'x' or null; 1 / 0 null. */
static int
arg(const char **s, char *out, size_t max)
{
	const char *p = *s, *e;

	while (*p == ' ' || *p == ',' || *p == '(')
		p++;
	if (strncmp(p, "null", 4) == 0) {
		*s = p + 4;
		return 0;
	}
	ck_assert_int_eq(*p, '\'');
	e = strchr(p + 1, '\'');
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_lt((size_t)(e - p - 1), max);
	memcpy(out, p + 1, (size_t)(e - p - 1));
	out[e - p - 1] = '\0';
	*s = e + 1;
	return 1;
}

/* Every active line of test_psl.txt against the open list; the count. */
static int
run_cases(struct psl *p)
{
	char line[1024], in[512], want[512];
	struct buf got = BUF_INIT, wa = BUF_INIT;
	const char *s;
	int n = 0, has_in, has_want, r;
	FILE *fp = fopen(data_path("psl/test_psl.txt"), "r");

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "checkPublicSuffix(", 18) != 0)
			continue;	/* comments, the .local cases */
		s = line + 17;
		has_in = arg(&s, in, sizeof(in));
		has_want = arg(&s, want, sizeof(want));
		r = psl_org_domain(p, has_in ? in : NULL, &got);
		if (has_want) {
			ck_assert_int_eq(psl_name(want, &wa), 0);
			ck_assert_msg(r == 1 && strcmp(got.s, wa.s) == 0,
			    "%s: got %d %s, want %s", in, r,
			    r == 1 ? got.s : "-", wa.s);
		} else if (!has_in || in[0] == '.') {
			/* null, or a leading dot: not a name at all */
			ck_assert_msg(r == -1 && errno == EINVAL,
			    "%s: got %d, want -1 EINVAL",
			    has_in ? in : "null", r);
		} else {
			/* a public suffix itself */
			ck_assert_msg(r == 0 && got.len == 0,
			    "%s: got %d %s, want none", in, r,
			    r == 1 ? got.s : "-");
		}
		n++;
	}
	fclose(fp);
	buf_free(&got);
	buf_free(&wa);
	return n;
}

START_TEST(t_official_cases)
{
	struct psl p;

	open_list(&p, data_path("psl/public_suffix_list.dat"), 0);
	ck_assert_int_eq(run_cases(&p), 78);
	psl_close(&p);
}
END_TEST

START_TEST(t_debian_list)
{
	struct psl p;

	if (access(DEBIAN_PSL, R_OK) != 0)
		return;		/* scripts/deps installs it; not a failure */
	open_list(&p, DEBIAN_PSL, 0);
	ck_assert_int_eq(run_cases(&p), 78);
	psl_close(&p);
}
END_TEST

static void
expect(struct psl *p, const char *name, int want_r, const char *want)
{
	struct buf got = BUF_INIT;
	int r;

	r = psl_org_domain(p, name, &got);
	ck_assert_msg(r == want_r, "%s: got %d, want %d", name, r, want_r);
	if (want_r == 1)
		ck_assert_str_eq(got.s, want);
	if (want_r == -1)
		ck_assert_int_eq(errno, EINVAL);
	buf_free(&got);
}

START_TEST(t_private_section)
{
	struct psl p;

	open_list(&p, data_path("psl/public_suffix_list.dat"), 0);
	expect(&p, "foo.blogspot.com", 1, "foo.blogspot.com");
	expect(&p, "a.b.foo.github.io", 1, "foo.github.io");
	expect(&p, "blogspot.com", 0, NULL);
	/* uk.com is PRIVATE: the official cases count on that section */
	expect(&p, "a.b.example.uk.com", 1, "example.uk.com");
	psl_close(&p);
	open_list(&p, data_path("psl/public_suffix_list.dat"),
	    PSL_ICANN_ONLY);
	expect(&p, "foo.blogspot.com", 1, "blogspot.com");
	expect(&p, "a.b.foo.github.io", 1, "github.io");
	expect(&p, "a.b.example.uk.com", 1, "uk.com");
	psl_close(&p);
}
END_TEST

START_TEST(t_names)
{
	struct psl p;
	char big[2100], lab[80];
	size_t i;

	open_list(&p, data_path("psl/public_suffix_list.dat"), 0);
	expect(&p, "www.Example.CO.UK.", 1, "example.co.uk");
	expect(&p, "a.b.c.d.e.f.example.com", 1, "example.com");
	expect(&p, "www.city.kawasaki.jp", 1, "city.kawasaki.jp");
	expect(&p, "x.y.kawasaki.jp", 1, "x.y.kawasaki.jp");
	expect(&p, "y.kawasaki.jp", 0, NULL);
	expect(&p, "_dmarc.example.com", 1, "example.com");
	expect(&p, "WWW.\xe9\xa3\x9f\xe7\x8b\xae.\xe4\xb8\xad\xe5\x9b\xbd", 1,
	    "xn--85x722f.xn--fiqs8s");
	/* bad names: EINVAL, never a crash */
	expect(&p, "", -1, NULL);
	expect(&p, ".", -1, NULL);
	expect(&p, "..", -1, NULL);
	expect(&p, "a..example.com", -1, NULL);
	expect(&p, "example.com..", -1, NULL);
	expect(&p, "exa mple.com", -1, NULL);
	expect(&p, "ex*ample.com", -1, NULL);
	expect(&p, "ex!ample.com", -1, NULL);
	expect(&p, "\xff\xfe.com", -1, NULL);
	expect(&p, "a\r\nb.com", -1, NULL);
	memset(lab, 'a', 64);
	memcpy(lab + 64, ".com", sizeof(".com"));
	expect(&p, lab, -1, NULL);		/* a 64-octet label */
	memmove(lab + 63, lab + 64, strlen(lab + 64) + 1);
	expect(&p, lab, 1, lab);		/* 63 is fine */
	/* 254 octets: too long; 253 fine */
	for (i = 0; i < 254; i += 2) {
		big[i] = 'a';
		big[i + 1] = '.';
	}
	big[252] = 'x';
	big[253] = '\0';
	expect(&p, big, 1, big + 250);	/* "a.x" */
	big[253] = 'y';
	big[254] = '\0';
	expect(&p, big, -1, NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect(&p, big, -1, NULL);		/* past PSL_INPUT_MAX */
	psl_close(&p);
}
END_TEST

/* Compile text as a rule file: the result, *line and *why. */
static long
compile_text(const char *text, unsigned long *line, const char **why)
{
	char src[4300];

	snprintf(src, sizeof(src), "%s/rules", dir);
	ck_assert_int_eq(atomic_replace(src, text, strlen(text), 0644), 0);
	return psl_compile(src, cdbpath, 0644, line, why);
}

static void
junk(const char *text, unsigned long want_line, const char *want_why)
{
	unsigned long line;
	const char *why;

	ck_assert_int_eq(compile_text(text, &line, &why), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(line, want_line);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, want_why);
	ck_assert_int_ne(access(cdbpath, F_OK), 0);	/* nothing written */
}

START_TEST(t_junk_rules)
{
	char big[5000];

	junk("com\n// c\nfoo..bar\n", 3, "not a valid domain name");
	junk("com\n*.*.foo\n", 2, "wildcard not leftmost");
	junk("com\nfoo.*.bar\n", 2, "wildcard not leftmost");
	junk("!com\n", 1, "exception rule of one label");
	junk("com\n.com\n", 2, "not a valid domain name");
	junk("com\nex ample\n\xff\xfe\n", 3, "not a valid domain name");
	junk("// only\n// comments\n\n", 0, "no rules");
	junk("", 0, "no rules");
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	junk(big, 1, "line too long");
}
END_TEST

START_TEST(t_nul_and_missing)
{
	char src[4300];
	unsigned long line;
	const char *why;

	snprintf(src, sizeof(src), "%s/rules", dir);
	ck_assert_int_eq(atomic_replace(src, "com\nf\0o.com\n", 12, 0644), 0);
	ck_assert_int_eq(psl_compile(src, cdbpath, 0644, &line, &why), -1);
	ck_assert_uint_eq(line, 2);
	ck_assert_str_eq(why, "NUL byte");
	snprintf(src, sizeof(src), "%s/nosuch", dir);
	ck_assert_int_eq(psl_compile(src, cdbpath, 0644, &line, &why), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(line, 0);
	ck_assert_ptr_null(why);
}
END_TEST

START_TEST(t_small_list)
{
	struct psl p;
	unsigned long line;
	const char *why;

	/* the algorithm's corners on a list of our own; blanks after the
	 * rule and CRLF line ends are fine */
	ck_assert_int_eq(compile_text("uk\r\nco.uk  the rest ignored\n"
	    "*.sch.uk\n!x.sch.uk\n*\n// ===BEGIN PRIVATE DOMAINS===\n"
	    "host.co.uk\n", &line, &why), 5);
	ck_assert_int_eq(psl_open(&p, cdbpath, 0), 0);
	expect(&p, "a.example.co.uk", 1, "example.co.uk");
	expect(&p, "a.b.sch.uk", 1, "a.b.sch.uk");
	expect(&p, "b.sch.uk", 0, NULL);
	expect(&p, "a.x.sch.uk", 1, "x.sch.uk");
	expect(&p, "sch.uk", 1, "sch.uk");	/* only *.sch.uk: uk rules */
	expect(&p, "a.b.host.co.uk", 1, "b.host.co.uk");
	expect(&p, "a.example", 1, "a.example");	/* implicit "*" */
	expect(&p, "example", 0, NULL);
	psl_close(&p);
	ck_assert_int_eq(psl_open(&p, cdbpath, PSL_ICANN_ONLY), 0);
	expect(&p, "a.b.host.co.uk", 1, "host.co.uk");
	psl_close(&p);
}
END_TEST

START_TEST(t_open_errors)
{
	struct psl p;
	char src[4300];
	unsigned long line;

	ck_assert_int_eq(psl_open(&p, cdbpath, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* a CDB that is not a compiled list */
	snprintf(src, sizeof(src), "%s/tab", dir);
	ck_assert_int_eq(atomic_replace(src, "com n\n", 6, 0644), 0);
	ck_assert_int_eq(cdbtab_compile(src, cdbpath, 0, 0644, &line), 1);
	ck_assert_int_eq(psl_open(&p, cdbpath, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* not a CDB at all */
	ck_assert_int_eq(atomic_replace(cdbpath, "junk", 4, 0644), 0);
	ck_assert_int_eq(psl_open(&p, cdbpath, 0), -1);
}
END_TEST

static Suite *
psl_suite(void)
{
	Suite *s = suite_create("psl");
	TCase *tc = tcase_create("psl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_official_cases);
	tcase_add_test(tc, t_debian_list);
	tcase_add_test(tc, t_private_section);
	tcase_add_test(tc, t_names);
	tcase_add_test(tc, t_junk_rules);
	tcase_add_test(tc, t_nul_and_missing);
	tcase_add_test(tc, t_small_list);
	tcase_add_test(tc, t_open_errors);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(psl_suite)
