/*
 * test_smtpd_conf: smtp-recv's configuration (lib/smtp/smtpd_conf.c):
 * every control file it reads, its default when absent or empty
 * (doc/smtp-recv.8 FILES, postern-conf(5)), the limits of each value,
 * bad values (-1, errno, the file named in *bad_r, so that smtp-recv
 * answers 421 and exits 111: DESIGN.md section 6), the filter chain, the
 * TLS files and the UCSPI environment.
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
#include "base/fileio.h"
#include "base/pipeline.h"
#include "smtp/smtpd.h"
#include "unit.h"

static char *dir;

static const char *const ucspi[] = { "TCPREMOTEIP", "TCPREMOTEHOST",
    "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT", "RELAYCLIENT", NULL };

static void
setup(void)
{
	int i;

	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(setenv("POSTERN_CONF", dir, 1), 0);
	for (i = 0; ucspi[i] != NULL; i++)
		unsetenv(ucspi[i]);
}

static void
teardown(void)
{
	unit_rm_rf(dir);
	unsetenv("POSTERN_CONF");
}

/* dir/name (static storage, one at a time) */
static const char *
path(const char *name)
{
	static char p[4200];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void
put(const char *name, const char *s, size_t n)
{
	ck_assert_int_eq(atomic_replace(path(name), s, n, 0644), 0);
}

#define PUT(name, lit)	put((name), (lit), sizeof(lit) - 1)

/* smtpd_conf_load succeeds */
static void
load(struct smtpd_conf *c)
{
	const char *bad = "unset";

	ck_assert_msg(smtpd_conf_load(c, &bad) == 0, "load: %s: %s",
	    bad != NULL ? bad : "(null)", strerror(errno));
	ck_assert_ptr_null(bad);
}

/* smtpd_conf_load fails naming file, with errno e (0: any), and leaves
 * nothing allocated (the sanitizer build checks) and c zeroed */
static void
load_fails(const char *file, int e)
{
	struct smtpd_conf c;
	const char *bad = NULL;

	errno = 0;
	ck_assert_int_eq(smtpd_conf_load(&c, &bad), -1);
	ck_assert_msg(bad != NULL && strcmp(bad, file) == 0,
	    "bad_r is %s, not %s", bad != NULL ? bad : "(null)", file);
	if (e != 0)
		ck_assert_msg(errno == e, "errno %d (%s), not %d for %s", errno,
		    strerror(errno), e, file);
	else
		ck_assert_int_ne(errno, 0);
	ck_assert_ptr_null(c.hostname);
	ck_assert_ptr_null(c.filters);
	ck_assert_uint_eq(c.nfilters, 0);
	smtpd_conf_free(&c);	/* harmless after a failure */
}

/* --- defaults ------------------------------------------------------ */

/* No control file at all: the defaults of doc/smtp-recv.8. */
START_TEST(t_defaults)
{
	struct smtpd_conf c;
	char host[256];

	load(&c);
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	ck_assert_str_eq(c.hostname, host);
	ck_assert_uint_eq(c.maxsize, 52428800);
	ck_assert_uint_eq(c.maxrcpt, 1000);
	ck_assert_uint_eq(c.maxerrors, 20);
	ck_assert_int_eq(c.timeout_ms, 300 * 1000);
	ck_assert_int_eq(c.data_timeout_ms, 600 * 1000);
	ck_assert_int_eq(c.session_timeout_ms, 3600L * 1000);
	ck_assert_int_eq(c.greeting_delay_ms, 0);
	ck_assert_uint_eq(c.nfilters, 0);
	ck_assert_ptr_null(c.tls_cert);
	ck_assert_ptr_null(c.tls_key);
	ck_assert_ptr_null(c.inject);
	ck_assert_int_eq(c.relayclient, 0);
	ck_assert_ptr_null(c.remoteip);
	ck_assert_ptr_null(c.remotehost);
	ck_assert_ptr_null(c.remoteport);
	ck_assert_ptr_null(c.localip);
	ck_assert_ptr_null(c.localport);
	smtpd_conf_free(&c);
	smtpd_conf_free(&c);	/* zeroed: a second free is harmless */
}
END_TEST

/* A file that is empty or only blanks counts as absent (postern-conf(5):
 * "A missing or empty file means the default"). */
START_TEST(t_empty_files)
{
	static const char *const files[] = { "me", "smtp-maxsize",
	    "smtp-maxrcpt", "smtp-maxerrors", "smtp-timeout",
	    "smtp-data-timeout", "smtp-session-timeout",
	    "smtp-greeting-delay", "smtp-filters", "smtp-inject", "tls-cert",
	    "tls-key", NULL };
	struct smtpd_conf c;
	char host[256];
	int i;

	for (i = 0; files[i] != NULL; i++)
		put(files[i], i % 2 ? "" : " \t\r\n", i % 2 ? 0 : 4);
	load(&c);
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	ck_assert_str_eq(c.hostname, host);
	ck_assert_uint_eq(c.maxsize, 52428800);
	ck_assert_uint_eq(c.maxrcpt, 1000);
	ck_assert_uint_eq(c.maxerrors, 20);
	ck_assert_int_eq(c.timeout_ms, 300000);
	ck_assert_int_eq(c.data_timeout_ms, 600000);
	ck_assert_int_eq(c.session_timeout_ms, 3600000);
	ck_assert_int_eq(c.greeting_delay_ms, 0);
	ck_assert_uint_eq(c.nfilters, 0);
	ck_assert_ptr_null(c.inject);
	ck_assert_ptr_null(c.tls_cert);
	smtpd_conf_free(&c);
}
END_TEST

/* --- values -------------------------------------------------------- */

/* Every file with a value: the first line, blanks around it removed. */
START_TEST(t_values)
{
	struct smtpd_conf c;

	PUT("me", "  mx.example.test \r\nsecond line ignored\n");
	PUT("smtp-maxsize", "1000000\n");
	PUT("smtp-maxrcpt", "\t50 \n");
	PUT("smtp-maxerrors", "3");
	PUT("smtp-timeout", "60\r\n");
	PUT("smtp-data-timeout", "120\n");
	PUT("smtp-session-timeout", "900\n");
	PUT("smtp-greeting-delay", "1500\n");
	PUT("smtp-inject", " /usr/local/bin/my-inject -v \n");
	load(&c);
	ck_assert_str_eq(c.hostname, "mx.example.test");
	ck_assert_uint_eq(c.maxsize, 1000000);
	ck_assert_uint_eq(c.maxrcpt, 50);
	ck_assert_uint_eq(c.maxerrors, 3);
	ck_assert_int_eq(c.timeout_ms, 60000);
	ck_assert_int_eq(c.data_timeout_ms, 120000);
	ck_assert_int_eq(c.session_timeout_ms, 900000);
	ck_assert_int_eq(c.greeting_delay_ms, 1500);
	ck_assert_str_eq(c.inject, "/usr/local/bin/my-inject -v");
	smtpd_conf_free(&c);
	ck_assert_ptr_null(c.hostname);
}
END_TEST

/* The numeric files and the range each takes. */
static const struct numfile {
	const char	*name;
	unsigned long	 min, max;
} numfiles[] = {
	{ "smtp-maxsize", 0, ULONG_MAX },		/* 0: no limit */
	{ "smtp-maxrcpt", 1, 10000 },			/* QUEUE_RCPT_MAX */
	{ "smtp-maxerrors", 1, 1000000 },
	{ "smtp-timeout", 1, 86400 },			/* seconds */
	{ "smtp-data-timeout", 1, 86400 },
	{ "smtp-session-timeout", 0, 604800 },		/* 0: none */
	{ "smtp-greeting-delay", 0, 600000 },		/* ms */
	{ NULL, 0, 0 }
};

/* The value of numeric file n as loaded, in the file's own unit. */
static unsigned long
loaded(const struct smtpd_conf *c, const char *n)
{
	if (strcmp(n, "smtp-maxsize") == 0)
		return c->maxsize;
	if (strcmp(n, "smtp-maxrcpt") == 0)
		return c->maxrcpt;
	if (strcmp(n, "smtp-maxerrors") == 0)
		return c->maxerrors;
	if (strcmp(n, "smtp-timeout") == 0)
		return (unsigned long)c->timeout_ms / 1000;
	if (strcmp(n, "smtp-data-timeout") == 0)
		return (unsigned long)c->data_timeout_ms / 1000;
	if (strcmp(n, "smtp-session-timeout") == 0)
		return (unsigned long)(c->session_timeout_ms / 1000);
	return (unsigned long)c->greeting_delay_ms;
}

/*
 * Each number at its least and its most is taken as it is (the largest
 * timeouts still fit the milliseconds in an int); one below or above is
 * refused naming the file, EINVAL.
 */
START_TEST(t_limits)
{
	const struct numfile *f;
	struct smtpd_conf c;
	char v[64];

	for (f = numfiles; f->name != NULL; f++) {
		snprintf(v, sizeof(v), "%lu\n", f->min);
		put(f->name, v, strlen(v));
		load(&c);
		ck_assert_uint_eq(loaded(&c, f->name), f->min);
		smtpd_conf_free(&c);
		snprintf(v, sizeof(v), "%lu\n", f->max);
		put(f->name, v, strlen(v));
		load(&c);
		ck_assert_uint_eq(loaded(&c, f->name), f->max);
		smtpd_conf_free(&c);
		if (f->min > 0) {
			snprintf(v, sizeof(v), "%lu\n", f->min - 1);
			put(f->name, v, strlen(v));
			load_fails(f->name, EINVAL);
		}
		if (f->max < ULONG_MAX)
			snprintf(v, sizeof(v), "%lu\n", f->max + 1);
		else
			snprintf(v, sizeof(v), "18446744073709551616\n");
		put(f->name, v, strlen(v));
		load_fails(f->name, EINVAL);
		ck_assert_int_eq(unlink(path(f->name)), 0);
	}
	/* the timeouts in ms: no overflow at the most */
	PUT("smtp-timeout", "86400");
	PUT("smtp-data-timeout", "86400");
	PUT("smtp-session-timeout", "604800");
	load(&c);
	ck_assert_int_eq(c.timeout_ms, 86400000);
	ck_assert_int_eq(c.data_timeout_ms, 86400000);
	ck_assert_int_eq(c.session_timeout_ms, 604800000L);
	smtpd_conf_free(&c);
}
END_TEST

/* Values that are not a plain decimal number, in every numeric file. */
START_TEST(t_bad_numbers)
{
	static const char *const bad[] = { "abc", "-1", "+5", "1e3", "0x10",
	    "12 34", "12abc", "5 seconds", "99999999999999999999999", "1.5",
	    NULL };
	const struct numfile *f;
	int i;

	for (f = numfiles; f->name != NULL; f++) {
		for (i = 0; bad[i] != NULL; i++) {
			put(f->name, bad[i], strlen(bad[i]));
			load_fails(f->name, EINVAL);
		}
		ck_assert_int_eq(unlink(path(f->name)), 0);
	}
}
END_TEST

/*
 * A control file that cannot be read (a directory in its place), holds
 * a NUL, or is larger than CONTROL_MAX: -1 naming it; the files read
 * before and after it do not hide it.
 */
START_TEST(t_unreadable_files)
{
	static const char *const files[] = { "me", "smtp-maxsize",
	    "smtp-maxrcpt", "smtp-maxerrors", "smtp-timeout",
	    "smtp-data-timeout", "smtp-session-timeout",
	    "smtp-greeting-delay", "smtp-filters", "smtp-inject", "tls-cert",
	    "tls-key", NULL };
	struct buf big = BUF_INIT;
	int i;

	PUT("smtp-filters", "cat\n");	/* loaded before some: freed */
	for (i = 0; files[i] != NULL; i++) {
		if (strcmp(files[i], "smtp-filters") == 0)
			ck_assert_int_eq(unlink(path(files[i])), 0);
		ck_assert_int_eq(mkdir(path(files[i]), 0755), 0);
		load_fails(files[i], EISDIR);
		ck_assert_int_eq(rmdir(path(files[i])), 0);
		put(files[i], "12\0 34\n", 7);
		load_fails(files[i], EINVAL);
		ck_assert_int_eq(unlink(path(files[i])), 0);
		if (strcmp(files[i], "smtp-filters") == 0)
			PUT("smtp-filters", "cat\n");
	}
	/* larger than CONTROL_MAX (65536) */
	ck_assert_int_eq(buf_puts(&big, "mx.example.test\n"), 0);
	while (big.len <= 70000)
		ck_assert_int_eq(buf_puts(&big, "# padding padding padding\n"),
		    0);
	put("me", big.s, big.len);
	load_fails("me", EFBIG);
	buf_free(&big);
}
END_TEST

/* --- the filter chain ---------------------------------------------- */

/* One command per line, words split on blanks and tabs, no shell;
 * empty lines and # lines skipped; each argv ends with NULL. */
START_TEST(t_filters)
{
	struct smtpd_conf c;

	PUT("smtp-filters", "# the chain\n\n  spf-check \n"
	    "\t/usr/bin/spamc  -x\t-s 1000000\r\n"
	    "   # indented comment\n"
	    "sh -c 'exit 0'\n"
	    "last-without-newline");
	load(&c);
	ck_assert_uint_eq(c.nfilters, 4);
	ck_assert_str_eq(c.filters[0][0], "spf-check");
	ck_assert_ptr_null(c.filters[0][1]);
	ck_assert_str_eq(c.filters[1][0], "/usr/bin/spamc");
	ck_assert_str_eq(c.filters[1][1], "-x");
	ck_assert_str_eq(c.filters[1][2], "-s");
	ck_assert_str_eq(c.filters[1][3], "1000000");
	ck_assert_ptr_null(c.filters[1][4]);
	/* no shell: quotes are part of the words */
	ck_assert_str_eq(c.filters[2][0], "sh");
	ck_assert_str_eq(c.filters[2][1], "-c");
	ck_assert_str_eq(c.filters[2][2], "'exit");
	ck_assert_str_eq(c.filters[2][3], "0'");
	ck_assert_ptr_null(c.filters[2][4]);
	ck_assert_str_eq(c.filters[3][0], "last-without-newline");
	ck_assert_ptr_null(c.filters[3][1]);
	smtpd_conf_free(&c);
	ck_assert_ptr_null(c.filters);
	ck_assert_uint_eq(c.nfilters, 0);
}
END_TEST

/* Only comments: no filters. */
START_TEST(t_filters_comments_only)
{
	struct smtpd_conf c;

	PUT("smtp-filters", "# none yet\n\n#spf-check\n");
	load(&c);
	ck_assert_uint_eq(c.nfilters, 0);
	smtpd_conf_free(&c);
}
END_TEST

/* 32 stages at most (PIPELINE_MAX, doc/smtp-recv.8); comments do not
 * count; one more is E2BIG naming smtp-filters. */
START_TEST(t_filters_limit)
{
	struct smtpd_conf c;
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < PIPELINE_MAX; i++)
		ck_assert_int_eq(buf_printf(&b, "# stage %zu\nfilter%zu a\n",
		    i, i), 0);
	put("smtp-filters", b.s, b.len);
	load(&c);
	ck_assert_uint_eq(c.nfilters, PIPELINE_MAX);
	ck_assert_str_eq(c.filters[PIPELINE_MAX - 1][0], "filter31");
	ck_assert_str_eq(c.filters[PIPELINE_MAX - 1][1], "a");
	smtpd_conf_free(&c);
	ck_assert_int_eq(buf_puts(&b, "one-too-many\n"), 0);
	put("smtp-filters", b.s, b.len);
	load_fails("smtp-filters", E2BIG);
	buf_free(&b);
}
END_TEST

/* A line of many one-letter words: every word its own argument (the
 * argv is sized for the most words a line can hold). */
START_TEST(t_filters_many_words)
{
	struct smtpd_conf c;
	struct buf b = BUF_INIT;
	size_t i;

	ck_assert_int_eq(buf_puts(&b, "prog"), 0);
	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(buf_puts(&b, i % 2 ? " x" : "\ty"), 0);
	ck_assert_int_eq(buf_puts(&b, "\nq w\te r\n"), 0);
	put("smtp-filters", b.s, b.len);
	load(&c);
	ck_assert_uint_eq(c.nfilters, 2);
	ck_assert_str_eq(c.filters[0][0], "prog");
	for (i = 0; i < 5000; i++)
		ck_assert_str_eq(c.filters[0][i + 1], i % 2 ? "x" : "y");
	ck_assert_ptr_null(c.filters[0][5001]);
	ck_assert_str_eq(c.filters[1][3], "r");
	ck_assert_ptr_null(c.filters[1][4]);
	smtpd_conf_free(&c);
	buf_free(&b);
}
END_TEST

/* --- TLS files ----------------------------------------------------- */

static void
mkfile(const char *rel)
{
	struct buf p = BUF_INIT;
	char *slash;

	ck_assert_int_eq(buf_printf(&p, "%s/%s", dir, rel), 0);
	slash = strrchr(p.s, '/');
	*slash = '\0';
	ck_assert_int_eq(mkdir_p(p.s, 0755), 0);
	*slash = '/';
	ck_assert_int_eq(atomic_replace(p.s, "pem\n", 4, 0600), 0);
	buf_free(&p);
}

/* The default names tls/cert.pem and tls/key.pem, under POSTERN_CONF;
 * both must be there, else STARTTLS is not offered (both NULL). */
START_TEST(t_tls_default_names)
{
	struct smtpd_conf c;
	struct buf want = BUF_INIT;

	mkfile("tls/cert.pem");
	load(&c);
	ck_assert_ptr_null(c.tls_cert);
	ck_assert_ptr_null(c.tls_key);
	smtpd_conf_free(&c);
	mkfile("tls/key.pem");
	load(&c);
	ck_assert_int_eq(buf_printf(&want, "%s/tls/cert.pem", dir), 0);
	ck_assert_str_eq(c.tls_cert, want.s);
	buf_reset(&want);
	ck_assert_int_eq(buf_printf(&want, "%s/tls/key.pem", dir), 0);
	ck_assert_str_eq(c.tls_key, want.s);
	smtpd_conf_free(&c);
	ck_assert_int_eq(unlink(path("tls/cert.pem")), 0);
	load(&c);
	ck_assert_ptr_null(c.tls_cert);
	ck_assert_ptr_null(c.tls_key);
	smtpd_conf_free(&c);
	buf_free(&want);
}
END_TEST

/* tls-cert and tls-key name the files: relative to POSTERN_CONF or
 * absolute; a named file that is missing means no STARTTLS. */
START_TEST(t_tls_named)
{
	const char *bad = NULL;
	struct buf want = BUF_INIT;
	char *cert, *key;

	mkfile("certs/mx.crt");
	mkfile("private/mx.key");
	PUT("tls-cert", " certs/mx.crt \n");
	ck_assert_int_eq(buf_printf(&want, "%s/private/mx.key\n", dir), 0);
	put("tls-key", want.s, want.len);
	ck_assert_int_eq(smtpd_tls_files(&cert, &key, &bad), 0);
	ck_assert_ptr_nonnull(cert);
	ck_assert_ptr_nonnull(key);
	ck_assert_str_eq(cert, path("certs/mx.crt"));
	ck_assert_str_eq(key, path("private/mx.key"));
	free(cert);
	free(key);
	PUT("tls-key", "private/other.key\n");
	ck_assert_int_eq(smtpd_tls_files(&cert, &key, &bad), 0);
	ck_assert_ptr_null(cert);
	ck_assert_ptr_null(key);
	buf_free(&want);
}
END_TEST

/* A malformed tls-cert or tls-key: -1 naming it, both NULL. */
START_TEST(t_tls_bad)
{
	const char *bad = NULL;
	char *cert = (char *)"x", *key = (char *)"x";

	mkfile("tls/cert.pem");
	mkfile("tls/key.pem");
	put("tls-cert", "tls/\0cert.pem\n", 14);
	ck_assert_int_eq(smtpd_tls_files(&cert, &key, &bad), -1);
	ck_assert_str_eq(bad, "tls-cert");
	ck_assert_ptr_null(cert);
	ck_assert_ptr_null(key);
	load_fails("tls-cert", EINVAL);
	ck_assert_int_eq(unlink(path("tls-cert")), 0);
	put("tls-key", "tls/key.pem\0\n", 13);
	bad = NULL;
	cert = key = (char *)"x";
	ck_assert_int_eq(smtpd_tls_files(&cert, &key, &bad), -1);
	ck_assert_str_eq(bad, "tls-key");
	ck_assert_ptr_null(cert);
	ck_assert_ptr_null(key);
	load_fails("tls-key", EINVAL);
}
END_TEST

/* --- the environment ----------------------------------------------- */

/* The UCSPI variables tcpserver sets are copied; RELAYCLIENT counts
 * when set, even empty. */
START_TEST(t_environment)
{
	struct smtpd_conf c;

	setenv("TCPREMOTEIP", "192.0.2.1", 1);
	setenv("TCPREMOTEHOST", "client.example", 1);
	setenv("TCPREMOTEPORT", "40000", 1);
	setenv("TCPLOCALIP", "198.51.100.2", 1);
	setenv("TCPLOCALPORT", "25", 1);
	setenv("RELAYCLIENT", "", 1);
	load(&c);
	ck_assert_str_eq(c.remoteip, "192.0.2.1");
	ck_assert_str_eq(c.remotehost, "client.example");
	ck_assert_str_eq(c.remoteport, "40000");
	ck_assert_str_eq(c.localip, "198.51.100.2");
	ck_assert_str_eq(c.localport, "25");
	ck_assert_int_eq(c.relayclient, 1);
	/* copies: a later change of the environment does not show */
	setenv("TCPREMOTEIP", "203.0.113.9", 1);
	ck_assert_str_eq(c.remoteip, "192.0.2.1");
	smtpd_conf_free(&c);
	unsetenv("RELAYCLIENT");
	unsetenv("TCPREMOTEHOST");
	load(&c);
	ck_assert_int_eq(c.relayclient, 0);
	ck_assert_ptr_null(c.remotehost);
	ck_assert_str_eq(c.remoteip, "203.0.113.9");
	smtpd_conf_free(&c);
}
END_TEST

/* POSTERN_CONF names the directory: another directory, other values. */
START_TEST(t_conf_dir)
{
	struct smtpd_conf c;
	struct buf other = BUF_INIT;

	PUT("me", "one.example\n");
	ck_assert_int_eq(buf_printf(&other, "%s/other", dir), 0);
	ck_assert_int_eq(mkdir(other.s, 0755), 0);
	PUT("other/me", "two.example\n");
	PUT("other/smtp-maxrcpt", "7\n");
	load(&c);
	ck_assert_str_eq(c.hostname, "one.example");
	ck_assert_uint_eq(c.maxrcpt, 1000);
	smtpd_conf_free(&c);
	ck_assert_int_eq(setenv("POSTERN_CONF", other.s, 1), 0);
	load(&c);
	ck_assert_str_eq(c.hostname, "two.example");
	ck_assert_uint_eq(c.maxrcpt, 7);
	smtpd_conf_free(&c);
	buf_free(&other);
}
END_TEST

/* What the client gets when the configuration cannot be read: one 421
 * line with 4.3.5 (RFC 3463: system not available), CRLF-ended. */
START_TEST(t_unavailable_reply)
{
	struct buf b = BUF_INIT;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	smtpd_unavailable(p[1]);
	close(p[1]);
	ck_assert_int_eq(read_all(p[0], &b, 4096), 0);
	close(p[0]);
	ck_assert_int_eq(strncmp(b.s, "421 4.3.5 ", 10), 0);
	ck_assert_uint_ge(b.len, 12);
	ck_assert_str_eq(b.s + b.len - 2, "\r\n");
	ck_assert_ptr_eq(strchr(b.s, '\n'), b.s + b.len - 1);
	buf_free(&b);
}
END_TEST

static Suite *
smtpd_conf_suite(void)
{
	Suite *s = suite_create("smtpd_conf");
	TCase *tv = tcase_create("values");
	TCase *tf = tcase_create("filters");
	TCase *tt = tcase_create("tls-env");

	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_add_test(tv, t_defaults);
	tcase_add_test(tv, t_empty_files);
	tcase_add_test(tv, t_values);
	tcase_add_test(tv, t_limits);
	tcase_add_test(tv, t_bad_numbers);
	tcase_add_test(tv, t_unreadable_files);
	tcase_add_test(tv, t_conf_dir);
	suite_add_tcase(s, tv);

	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, t_filters);
	tcase_add_test(tf, t_filters_comments_only);
	tcase_add_test(tf, t_filters_limit);
	tcase_add_test(tf, t_filters_many_words);
	suite_add_tcase(s, tf);

	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_add_test(tt, t_tls_default_names);
	tcase_add_test(tt, t_tls_named);
	tcase_add_test(tt, t_tls_bad);
	tcase_add_test(tt, t_environment);
	tcase_add_test(tt, t_unavailable_reply);
	suite_add_tcase(s, tt);
	return s;
}

UNIT_MAIN(smtpd_conf_suite)
