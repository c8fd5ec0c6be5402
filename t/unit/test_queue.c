#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cdbtab.h"
#include "base/fileio.h"
#include "queue/qrun.h"
#include "queue/queue.h"
#include "unit.h"

static char *dir;

static const char *hostile[] = {
	"", "plain", "with space", "%", "%41", "100%", "a\nb", "\r\n",
	"\x01\x1f\x7f", "tab\there", "caf\xc3\xa9", "\xff\xfe", "trailing ",
	" leading", "=+;,", "\\x{41}",
};

START_TEST(t_escape_roundtrip)
{
	struct buf e = BUF_INIT, u = BUF_INIT;
	size_t i, j;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		buf_reset(&e);
		buf_reset(&u);
		ck_assert_int_eq(queue_escape(&e, hostile[i],
		    strlen(hostile[i])), 0);
		/* one line, nothing a parser could split on */
		for (j = 0; j < e.len; j++)
			ck_assert((unsigned char)e.s[j] >= 0x20 &&
			    e.s[j] != 0x7f);
		ck_assert_int_eq(queue_unescape(&u, e.s ? e.s : "", e.len), 0);
		ck_assert_uint_eq(u.len, strlen(hostile[i]));
		ck_assert(u.len == 0 || memcmp(u.s, hostile[i], u.len) == 0);
	}
	buf_free(&e);
	buf_free(&u);
}
END_TEST

START_TEST(t_unescape_bad)
{
	static const char *bad[] = { "%", "%4", "%zz", "%00", "a\nb", "%G1",
		"x\x7f" };
	struct buf u = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&u);
		errno = 0;
		ck_assert_int_eq(queue_unescape(&u, bad[i], strlen(bad[i])),
		    -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	buf_free(&u);
}
END_TEST

/* An envelope with a hostile value in every string field. */
static void
hostile_env(struct queue_env *e, const char *v)
{
	struct buf b = BUF_INIT;

	queue_env_init(e);
	e->time = 1700000000;
	ck_assert_int_eq(buf_printf(&b, "s%s@x", v), 0);
	ck_assert_int_eq(queue_env_sender(e, b.s), 0);
	e->body = PARAM_BODY_BINARYMIME;
	e->smtputf8 = 1;
	e->requiretls = 1;
	e->ret = PARAM_RET_HDRS;
	e->envid = strdup(v);
	e->received_from = strdup("192.0.2.1");
	e->authuser = strdup(v);
	e->hold_until = 1800000000;
	ck_assert_int_eq(queue_env_rcpt(e, b.s), 0);
	ck_assert_int_eq(queue_env_rcpt(e, "second@example.test"), 0);
	e->rcpt[0].notify = PARAM_NOTIFY_SUCCESS | PARAM_NOTIFY_DELAY;
	e->rcpt[0].orcpt = strdup(v);
	e->rcpt[1].notify = PARAM_NOTIFY_NEVER;
	buf_free(&b);
}

static void
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		ck_assert(a == b);
	else
		ck_assert_str_eq(a, b);
}

START_TEST(t_env_roundtrip)
{
	struct queue_env e, p;
	struct buf b = BUF_INIT;
	size_t i, used;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		hostile_env(&e, hostile[i]);
		buf_reset(&b);
		ck_assert_int_eq(queue_env_format(&e, &b), 0);
		ck_assert_int_eq(buf_puts(&b, "Subject: x\n\nbody\n"), 0);
		queue_env_init(&p);
		ck_assert_int_eq(queue_env_parse(&p, b.s, b.len, &used), 0);
		ck_assert_str_eq(b.s + used, "Subject: x\n\nbody\n");
		ck_assert_int_eq(p.time, e.time);
		same_str(p.sender, e.sender);
		ck_assert_int_eq(p.body, e.body);
		ck_assert_int_eq(p.smtputf8, 1);
		ck_assert_int_eq(p.requiretls, 1);
		ck_assert_int_eq(p.ret, PARAM_RET_HDRS);
		same_str(p.envid, e.envid);
		same_str(p.received_from, e.received_from);
		same_str(p.authuser, e.authuser);
		ck_assert_int_eq(p.hold_until, e.hold_until);
		ck_assert_uint_eq(p.nrcpt, 2);
		same_str(p.rcpt[0].addr, e.rcpt[0].addr);
		ck_assert_uint_eq(p.rcpt[0].notify, e.rcpt[0].notify);
		same_str(p.rcpt[0].orcpt, e.rcpt[0].orcpt);
		ck_assert_uint_eq(p.rcpt[1].notify, PARAM_NOTIFY_NEVER);
		ck_assert_ptr_null(p.rcpt[1].orcpt);
		queue_env_free(&e);
		queue_env_free(&p);
	}
	/* the minimal envelope: null sender, nothing optional */
	queue_env_init(&e);
	ck_assert_int_eq(queue_env_sender(&e, ""), 0);
	ck_assert_int_eq(queue_env_rcpt(&e, "a@b.example"), 0);
	buf_reset(&b);
	ck_assert_int_eq(queue_env_format(&e, &b), 0);
	queue_env_init(&p);
	ck_assert_int_eq(queue_env_parse(&p, b.s, b.len, &used), 0);
	ck_assert_uint_eq(used, b.len);
	ck_assert_str_eq(p.sender, "");
	ck_assert_int_eq(p.body, PARAM_BODY_NONE);
	ck_assert_int_eq(p.ret, PARAM_RET_NONE);
	ck_assert_ptr_null(p.envid);
	ck_assert_int_eq(p.hold_until, 0);
	queue_env_free(&e);
	queue_env_free(&p);
	buf_free(&b);
}
END_TEST

START_TEST(t_env_parse_bad)
{
	static const char *bad[] = {
		"",
		"postern-envelope 2\ntime 1\nsender \nrcpt a@b\n\n",
		"postern-envelope 1\ntime 1\nsender \nrcpt a@b\n",  /* no end */
		"postern-envelope 1\ntime 1\nsender \nrcpt a@b",
		"postern-envelope 1\nsender \nrcpt a@b\n\n",	/* no time */
		"postern-envelope 1\ntime 1\nrcpt a@b\n\n",	/* no sender */
		"postern-envelope 1\ntime 1\nsender \n\n",	/* no rcpt */
		"postern-envelope 1\ntime 1\nsender \nnotify NEVER\n"
		    "rcpt a@b\n\n",
		"postern-envelope 1\ntime 1\nsender \nrcpt a@b\nbogus 1\n\n",
		"postern-envelope 1\ntime x\nsender \nrcpt a@b\n\n",
		"postern-envelope 1\ntime 1\nsender \nbody 9bit\nrcpt a@b\n\n",
		"postern-envelope 1\ntime 1\nsender %0A\nrcpt a@b%\n\n",
		"postern-envelope 1\ntime 1\nsender \nrcpt a@b\n"
		    "notify NEVER,DELAY\n\n",
		"postern-envelope 1\ntime 1\nsender \n rcpt a@b\n\n",
	};
	struct queue_env e;
	size_t i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		queue_env_init(&e);
		errno = 0;
		ck_assert_msg(queue_env_parse(&e, bad[i], strlen(bad[i]),
		    &used) == -1, "accepted bad head %zu", i);
		ck_assert_int_eq(errno, EINVAL);
		queue_env_free(&e);
	}
}
END_TEST

START_TEST(t_options)
{
	static const struct { const char *kv; int ok; int err; } cases[] = {
		{ "body=8BITMIME", 1, 0 },
		{ "body=7bit", 1, 0 },
		{ "body=binarymime", 1, 0 },
		{ "body=9bit", 0, EINVAL },
		{ "smtputf8=1", 1, 0 },
		{ "smtputf8=2", 0, EINVAL },
		{ "requiretls=1", 1, 0 },
		{ "ret=hdrs", 1, 0 },
		{ "ret=FULL", 1, 0 },
		{ "ret=some", 0, EINVAL },
		{ "envid=abc+2Bdef", 1, 0 },
		{ "envid=a=b", 0, EINVAL },
		{ "envid=a+2", 0, EINVAL },
		{ "envid=a b", 0, EINVAL },
		{ "received-from=192.0.2.1", 1, 0 },
		{ "received-from=2001:db8::1", 1, 0 },
		{ "received-from=example.com", 0, EINVAL },
		{ "authuser=alice", 1, 0 },
		{ "hold-until=1800000000", 1, 0 },
		{ "hold-until=soon", 0, EINVAL },
		{ "hold-until=-1", 0, EINVAL },
		{ "rcpt.0.notify=SUCCESS,FAILURE,DELAY", 1, 0 },
		{ "rcpt.1.notify=never", 1, 0 },
		{ "rcpt.0.notify=NEVER,SUCCESS", 0, EINVAL },
		{ "rcpt.0.notify=SUCCESS,SUCCESS", 0, EINVAL },
		{ "rcpt.0.notify=", 0, EINVAL },
		{ "rcpt.2.notify=NEVER", 0, ENOENT },
		{ "rcpt.01.notify=NEVER", 0, ENOENT },
		{ "rcpt.x.notify=NEVER", 0, ENOENT },
		{ "rcpt.0.orcpt=rfc822;a+40b@c", 1, 0 },
		{ "rcpt.0.orcpt=rfc822", 0, EINVAL },
		{ "rcpt.0.orcpt=;a@b", 0, EINVAL },
		{ "rcpt.0.orcpt=rfc 822;a@b", 0, EINVAL },
		{ "rcpt.0.orcpt=x.y;a@b", 0, EINVAL },
		{ "rcpt.1.orcpt=utf-8;j\xc3\xb6rg@b", 1, 0 },
		{ "rcpt.0.bogus=1", 0, ENOENT },
		{ "bogus=1", 0, ENOENT },
		{ "noequals", 0, EINVAL },
		{ "=x", 0, EINVAL },
		{ "authuser=a\nb", 0, EINVAL },
		{ "authuser=a\rb", 0, EINVAL },
	};
	struct queue_env e;
	const char *why;
	size_t i;
	int r;

	queue_env_init(&e);
	ck_assert_int_eq(queue_env_sender(&e, "s@x.example"), 0);
	ck_assert_int_eq(queue_env_rcpt(&e, "a@x.example"), 0);
	ck_assert_int_eq(queue_env_rcpt(&e, "b@x.example"), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		r = queue_env_option(&e, cases[i].kv, &why);
		ck_assert_msg((r == 0) == cases[i].ok, "option %s",
		    cases[i].kv);
		if (!cases[i].ok) {
			ck_assert_int_eq(errno, cases[i].err);
			ck_assert_ptr_nonnull(why);
		}
	}
	ck_assert_int_eq(e.body, PARAM_BODY_BINARYMIME);
	ck_assert_int_eq(e.ret, PARAM_RET_FULL);
	ck_assert_str_eq(e.envid, "abc+2Bdef");
	ck_assert_uint_eq(e.rcpt[0].notify,
	    PARAM_NOTIFY_SUCCESS | PARAM_NOTIFY_FAILURE | PARAM_NOTIFY_DELAY);
	ck_assert_uint_eq(e.rcpt[1].notify, PARAM_NOTIFY_NEVER);
	ck_assert_str_eq(e.rcpt[0].orcpt, "rfc822;a+40b@c");
	ck_assert_int_eq(e.hold_until, 1800000000);
	queue_env_free(&e);
}
END_TEST

START_TEST(t_addresses)
{
	static const struct { const char *a; int ascii, utf8; } cases[] = {
		{ "a@b.example", 1, 1 },
		{ "first.last+tag@sub.example.org", 1, 1 },
		{ "\"john doe\"@example.org", 1, 1 },
		{ "a@[192.0.2.1]", 1, 1 },
		{ "a@[IPv6:2001:db8::1]", 1, 1 },
		{ "", 0, 0 },
		{ "a", 0, 0 },
		{ "@b.example", 0, 0 },
		{ "a@", 0, 0 },
		{ "a b@c.example", 0, 0 },
		{ "a..b@c.example", 0, 0 },
		{ ".a@c.example", 0, 0 },
		{ "<a@b.example>", 0, 0 },
		{ "a@b@c.example", 0, 0 },
		{ "a@-b.example", 0, 0 },
		{ "a@b.example\n", 0, 0 },
		{ "a\r@b.example", 0, 0 },
		{ "@r.example:a@b.example", 0, 0 },
		{ "j\xc3\xb6rg@b\xc3\xbc.example", 0, 1 },
		{ "j\xff@b.example", 0, 0 },
		{ "Postmaster", 0, 0 },
	};
	char big[300];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(queue_addr_ok(cases[i].a, 0) == cases[i].ascii,
		    "ascii %s", cases[i].a);
		ck_assert_msg(queue_addr_ok(cases[i].a, 1) == cases[i].utf8,
		    "utf8 %s", cases[i].a);
	}
	/* RFC 5321 4.5.3.1.1: a local part of 64 octets, not 65 */
	memset(big, 'x', 65);
	memcpy(big + 65, "@b.example", 11);
	ck_assert_int_eq(queue_addr_ok(big, 0), 0);
	ck_assert_int_eq(queue_addr_ok(big + 1, 0), 1);
	/* 4.5.3.1.3: a path of at most 256 with the brackets */
	memset(big, 'a', sizeof(big));
	big[0] = 'x';
	big[1] = '@';
	for (i = 2; i + 1 < sizeof(big); i += 50)
		big[i] = '.';
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(queue_addr_ok(big, 0), 0);
}
END_TEST

START_TEST(t_env_check)
{
	struct queue_env e;
	const char *why;

	queue_env_init(&e);
	ck_assert_int_eq(queue_env_sender(&e, ""), 0);
	errno = 0;
	ck_assert_int_eq(queue_env_check(&e, &why), -1);	/* no rcpt */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(why, "no recipients");
	ck_assert_int_eq(queue_env_rcpt(&e, "a@b.example"), 0);
	ck_assert_int_eq(queue_env_check(&e, &why), 0);	/* null sender */
	ck_assert_int_eq(queue_env_sender(&e, "j\xc3\xb6rg@b.example"), 0);
	ck_assert_int_eq(queue_env_check(&e, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "smtputf8"));
	e.smtputf8 = 1;
	ck_assert_int_eq(queue_env_check(&e, &why), 0);
	ck_assert_int_eq(queue_env_rcpt(&e, "not an address"), 0);
	ck_assert_int_eq(queue_env_check(&e, &why), -1);
	ck_assert_str_eq(why, "bad recipient address");
	queue_env_free(&e);
}
END_TEST

START_TEST(t_ids_backoff)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	int i;

	ck_assert_int_eq(queue_id_new(&a), 0);
	ck_assert_int_eq(queue_id_ok(a.s), 1);
	ck_assert(queue_id_time(a.s) >= time(NULL) - 5);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(queue_id_new(&b), 0);
		ck_assert_int_eq(queue_id_ok(b.s), 1);
		/* unique and sortable: each is after the one before */
		ck_assert_msg(strcmp(a.s, b.s) < 0, "%s !< %s", a.s, b.s);
		ck_assert_int_eq(buf_set(&a, b.s, b.len), 0);
	}
	ck_assert_int_eq(queue_id_ok("1700000000.123456.42.1"), 1);
	ck_assert_int_eq(queue_id_ok(""), 0);
	ck_assert_int_eq(queue_id_ok("../../etc/passwd"), 0);
	ck_assert_int_eq(queue_id_ok("1700000000.123456.42"), 0);
	ck_assert_int_eq(queue_id_ok("170000000.123456.42.1"), 0);
	ck_assert_int_eq(queue_id_ok("1700000000.123456.42.1/x"), 0);
	ck_assert_int_eq(queue_id_ok("1700000000.123456.42.1.tmp.x"), 0);
	ck_assert_int_eq(queue_id_time("1700000000.123456.42.1"), 1700000000);

	ck_assert_int_eq(queue_backoff(0), 0);
	ck_assert_int_eq(queue_backoff(1), 15 * 60);
	ck_assert_int_eq(queue_backoff(2), 30 * 60);
	ck_assert_int_eq(queue_backoff(3), 3600);
	ck_assert_int_eq(queue_backoff(4), 2 * 3600);
	ck_assert_int_eq(queue_backoff(5), 4 * 3600);
	ck_assert_int_eq(queue_backoff(6), 8 * 3600);
	ck_assert_int_eq(queue_backoff(1000), 8 * 3600);
	buf_free(&a);
	buf_free(&b);
}
END_TEST

START_TEST(t_state_roundtrip)
{
	struct queue_state s, p;
	struct buf b = BUF_INIT, b2 = BUF_INIT;
	size_t i;

	ck_assert_int_eq(queue_state_init(&s, 4), 0);
	/* 0 pending (not written); 1 deferred; 2 failed; 3 routed */
	s.r[1].state = QR_DEFERRED;
	s.r[1].attempts = 3;
	s.r[1].last = 1700000000;
	s.r[1].next = 1700003600;
	ck_assert_int_eq(queue_set_error(&s.r[1].error,
	    "4.3.0 tables\nunreadable %41"), 0);
	s.r[2].state = QR_FAILED;
	s.r[2].dsn = QDSN_FAILED;
	ck_assert_int_eq(queue_set_error(&s.r[2].error, "5.1.1 no"), 0);
	s.r[3].state = QR_ROUTED;
	s.r[3].dsn = QDSN_SUCCESS | QDSN_DELAY;
	ck_assert_int_eq(queue_state_add_target(&s.r[3], 0, "a@x", "acct"), 0);
	ck_assert_int_eq(queue_state_add_target(&s.r[3], 1, "r@remote", NULL),
	    0);
	ck_assert_int_eq(queue_state_add_target(&s.r[3], 0, "b\r\n@x",
	    "we ird%"), 0);
	s.r[3].t[0].state = QT_DONE;
	s.r[3].t[2].state = QT_DEFERRED;
	s.r[3].t[2].attempts = 7;
	s.r[3].t[2].next = 1700099999;
	ck_assert_int_eq(queue_set_error(&s.r[3].t[2].error, "4.2.2 full"), 0);
	s.r[3].t[2].dsn = QDSN_FAILED;
	ck_assert_int_eq(queue_state_format(&s, &b), 0);
	ck_assert_ptr_null(strstr(b.s, "rcpt 0\n"));
	ck_assert_ptr_nonnull(strstr(b.s, "dsn success,delay\n"));

	ck_assert_int_eq(queue_state_init(&p, 4), 0);
	ck_assert_int_eq(queue_state_parse(&p, b.s, b.len), 0);
	ck_assert_int_eq(p.r[0].state, QR_PENDING);
	ck_assert_int_eq(p.r[1].state, QR_DEFERRED);
	ck_assert_uint_eq(p.r[1].attempts, 3);
	ck_assert_int_eq(p.r[1].next, 1700003600);
	ck_assert_str_eq(p.r[1].error, "4.3.0 tables\nunreadable %41");
	ck_assert_uint_eq(p.r[2].dsn, QDSN_FAILED);
	ck_assert_uint_eq(p.r[3].nt, 3);
	ck_assert_int_eq(p.r[3].t[1].remote, 1);
	ck_assert_int_eq(p.r[3].t[1].state, QT_REMOTE);
	ck_assert_ptr_null(p.r[3].t[1].account);
	ck_assert_str_eq(p.r[3].t[2].address, "b\r\n@x");
	ck_assert_str_eq(p.r[3].t[2].account, "we ird%");
	ck_assert_uint_eq(p.r[3].t[2].attempts, 7);
	ck_assert_uint_eq(p.r[3].t[2].dsn, QDSN_FAILED);
	ck_assert_uint_eq(p.r[3].dsn, QDSN_SUCCESS | QDSN_DELAY);
	/* formatting the parse gives the same text */
	ck_assert_int_eq(queue_state_format(&p, &b2), 0);
	ck_assert_str_eq(b.s, b2.s);
	queue_state_free(&p);

	/* damaged state files are refused */
	{
		static const char *bad[] = {
			"postern-state 2\n",
			"postern-state 1\nstate routed\n",	/* no rcpt */
			"postern-state 1\nrcpt 4\nstate routed\n",
			"postern-state 1\nrcpt 2\nrcpt 1\n",
			"postern-state 1\nrcpt 0\nstate gone\n",
			"postern-state 1\nrcpt 0\ntarget a@b\nkind local\n",
			"postern-state 1\nrcpt 0\ntarget a@b\nkind alien\n",
			"postern-state 1\nrcpt 0\nattempts x\n",
			"postern-state 1\nrcpt 0\ndsn sometimes\n",
			"postern-state 1\nrcpt 0\n\n",
			"postern-state 1\nrcpt 0\nstate failed",
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ck_assert_int_eq(queue_state_init(&p, 4), 0);
			errno = 0;
			ck_assert_msg(queue_state_parse(&p, bad[i],
			    strlen(bad[i])) == -1, "accepted %zu", i);
			ck_assert_int_eq(errno, EINVAL);
			queue_state_free(&p);
		}
	}
	queue_state_free(&s);
	buf_free(&b);
	buf_free(&b2);
}
END_TEST

/*
 * A queue, a configuration and a mail root in a scratch directory.
 */
static struct queue q;
static struct qrun_conf conf;

static void
put(const char *name, const char *text)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/conf/%s", dir, name);
	ck_assert_int_eq(atomic_replace(path, text, strlen(text), 0644), 0);
}

static void
table(const char *name, const char *text)
{
	char src[4200], dst[4200];
	unsigned long line;

	put(name, text);
	snprintf(src, sizeof(src), "%s/conf/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/conf/%s.cdb", dir, name);
	ck_assert_int_ge(cdbtab_compile(src, dst, CDBTAB_LOWER, 0644, &line),
	    0);
}

static void
setup(void)
{
	char p[4200];
	const char *bad;

	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	snprintf(p, sizeof(p), "%s/conf", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	setenv("POSTERN_CONF", p, 1);
	snprintf(p, sizeof(p), "%s/mail", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	setenv("POSTERN_MAILROOT", p, 1);
	snprintf(p, sizeof(p), "%s/queue", dir);
	setenv("POSTERN_QUEUE", p, 1);
	table("domains", "example.test\n");
	table("recipients", "demo@example.test demo\nbob@example.test bob\n");
	table("aliases", "team@example.test demo@example.test, "
	    "bob@example.test, far@remote.test\n");
	put("me", "mx.example.test\n");
	put("queue-lifetime", "86400\n");
	ck_assert_int_eq(queue_create(NULL), 0);
	ck_assert_int_eq(queue_open(&q, NULL), 0);
	ck_assert_int_eq(qrun_conf_load(&conf, &bad), 0);
	ck_assert_int_eq(conf.lifetime, 86400);
	ck_assert_str_eq(conf.me.s, "mx.example.test");
}

static void
teardown(void)
{
	queue_close(&q);
	qrun_conf_free(&conf);
	unit_rm_rf(dir);
}

static size_t
count_dir(const char *sub)
{
	char p[4200];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	if ((d = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Inject msg from sender to the recipients (NULL-ended); the id. */
static void
inject(struct buf *id, const char *sender, const char *msg, ...)
{
	struct queue_env e;
	struct queue_inject inj;
	const char *r;
	va_list ap;

	queue_env_init(&e);
	ck_assert_int_eq(queue_env_sender(&e, sender), 0);
	va_start(ap, msg);
	while ((r = va_arg(ap, const char *)) != NULL)
		ck_assert_int_eq(queue_env_rcpt(&e, r), 0);
	va_end(ap);
	ck_assert_int_eq(queue_inject_begin(&q, &e, 0, &inj), 0);
	ck_assert_int_eq(queue_inject_write(&inj, msg, strlen(msg)), 0);
	ck_assert_int_eq(queue_inject_commit(&inj, id), 0);
	queue_env_free(&e);
}

START_TEST(t_layout_inject)
{
	struct queue_env e;
	struct queue_inject inj;
	struct queue_msg m;
	struct queue q2;
	struct buf id = BUF_INIT, big = BUF_INIT;
	struct stat st;
	char p[4200];
	size_t i;

	/* idempotent, with the documented modes */
	ck_assert_int_eq(queue_create(NULL), 0);
	snprintf(p, sizeof(p), "%s/queue/mess", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/queue/env", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/queue/spool", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0730);
	/* a queue of an earlier version gets today's modes */
	snprintf(p, sizeof(p), "%s/queue/tmp", dir);
	ck_assert_int_eq(chmod(p, 02770), 0);
	ck_assert_int_eq(queue_create(NULL), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/queue/trigger", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));

	/* a missing layout is ENOENT */
	snprintf(p, sizeof(p), "%s/nowhere", dir);
	errno = 0;
	ck_assert_int_eq(queue_open(&q2, p), -1);
	ck_assert_int_eq(errno, ENOENT);

	inject(&id, "s@x.example", "Subject: t\n\nhello\n", "demo@example.test",
	    NULL);
	ck_assert_uint_eq(count_dir("queue/tmp"), 0);
	ck_assert_uint_eq(count_dir("queue/mess"), 1);
	ck_assert_uint_eq(count_dir("queue/env"), 0);
	ck_assert_int_eq(queue_msg_open(&q, id.s, QOPEN_LOCK, &m), 1);
	ck_assert_str_eq(m.env.sender, "s@x.example");
	ck_assert_int_eq(m.size, 18);
	ck_assert_int_eq(m.has_state, 0);
	ck_assert_int_eq(m.st.r[0].state, QR_PENDING);
	/* locked: another opener is refused, not blocked */
	{
		struct queue_msg m2;

		errno = 0;
		ck_assert_int_eq(queue_msg_open(&q, id.s, QOPEN_LOCK, &m2), -1);
		ck_assert_int_eq(errno, EWOULDBLOCK);
	}
	queue_msg_close(&m);

	/* over the size limit: EFBIG, nothing left anywhere */
	queue_env_init(&e);
	ck_assert_int_eq(queue_env_sender(&e, ""), 0);
	ck_assert_int_eq(queue_env_rcpt(&e, "demo@example.test"), 0);
	ck_assert_int_eq(queue_inject_begin(&q, &e, 100000, &inj), 0);
	ck_assert_uint_eq(count_dir("queue/tmp"), 1);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_puts(&big, "0123456789abcdef0123456789"
		    "0123456789012345678901234567890123456789012345678901234567"
		    "89012345678901234\n"), 0);
	errno = 0;
	ck_assert_int_eq(queue_inject_write(&inj, big.s, big.len), -1);
	ck_assert_int_eq(errno, EFBIG);
	queue_inject_abort(&inj);
	ck_assert_uint_eq(count_dir("queue/tmp"), 0);
	ck_assert_uint_eq(count_dir("queue/mess"), 1);
	/* a big message in many writes */
	ck_assert_int_eq(queue_inject_begin(&q, &e, 0, &inj), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(queue_inject_write(&inj, big.s, big.len), 0);
	ck_assert_int_eq(queue_inject_commit(&inj, &id), 0);
	ck_assert_int_eq(queue_msg_open(&q, id.s, 0, &m), 1);
	ck_assert_int_eq(m.size, (off_t)(10 * big.len));
	queue_msg_close(&m);
	queue_env_free(&e);
	buf_free(&id);
	buf_free(&big);
}
END_TEST

static void
state_of(const char *id, struct queue_msg *m)
{
	ck_assert_int_eq(queue_msg_open(&q, id, 0, m), 1);
}

static size_t
mailbox(const char *account)
{
	char p[4200];

	snprintf(p, sizeof(p), "mail/%s/Maildir/new", account);
	return count_dir(p);
}

START_TEST(t_transitions)
{
	struct buf id = BUF_INIT, dsn = BUF_INIT;
	struct queue_msg m;
	time_t now = time(NULL), next;
	char p[4200];
	int fd;

	/* pending -> done: the message is removed */
	inject(&id, "bob@example.test", "Subject: a\n\nx\n",
	    "demo@example.test", NULL);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(mailbox("demo"), 1);
	ck_assert_uint_eq(count_dir("queue/mess"), 0);
	ck_assert_uint_eq(count_dir("queue/env"), 0);
	/* gone: asked again, nothing */
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, 0);

	/* bob's Maildir blocked by a file: deferred, then retried */
	snprintf(p, sizeof(p), "%s/mail/bob", dir);
	ck_assert((fd = open(p, O_CREAT | O_WRONLY, 0644)) != -1);
	close(fd);
	inject(&id, "demo@example.test", "Subject: b\n\ny\n",
	    "team@example.test", NULL);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, now + 900);
	state_of(id.s, &m);
	ck_assert_int_eq(m.st.r[0].state, QR_ROUTED);
	ck_assert_uint_eq(m.st.r[0].nt, 3);
	ck_assert_int_eq(m.st.r[0].t[0].state, QT_DONE);	/* demo */
	ck_assert_int_eq(m.st.r[0].t[1].state, QT_DEFERRED);	/* bob */
	ck_assert_uint_eq(m.st.r[0].t[1].attempts, 1);
	ck_assert_int_eq(m.st.r[0].t[1].next, now + 900);
	ck_assert_str_eq(m.st.r[0].t[1].error, "4.2.0 mailbox unavailable");
	ck_assert_int_eq(m.st.r[0].t[2].state, QT_REMOTE);
	queue_msg_close(&m);
	ck_assert_uint_eq(mailbox("demo"), 2);
	/* not due yet: nothing happens */
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now + 60, &next), 0);
	ck_assert_int_eq(next, now + 900);
	/* due: the second attempt fails too, the back-off doubles */
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now + 900, &next), 0);
	ck_assert_int_eq(next, now + 900 + 1800);
	state_of(id.s, &m);
	ck_assert_uint_eq(m.st.r[0].t[1].attempts, 2);
	queue_msg_close(&m);
	ck_assert_uint_eq(mailbox("demo"), 2);	/* demo not again */
	/* a kick makes it due now */
	ck_assert_int_eq(qrun_kick(&q, id.s, now + 1000, NULL), 1);
	state_of(id.s, &m);
	ck_assert_int_eq(m.st.r[0].t[1].next, now + 1000);
	queue_msg_close(&m);
	/* unblocked: bob gets it; remote is left, so the message stays,
	 * until the end of its lifetime (issue 9.7) */
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now + 1000, &next), 0);
	state_of(id.s, &m);
	ck_assert_int_eq(next, m.env.time + conf.lifetime);
	queue_msg_close(&m);
	ck_assert_uint_eq(mailbox("bob"), 1);
	state_of(id.s, &m);
	ck_assert_int_eq(m.st.r[0].t[1].state, QT_DONE);
	ck_assert_ptr_null(m.st.r[0].t[1].error);
	queue_msg_close(&m);
	ck_assert_int_eq(qrun_drop(&q, id.s), 1);
	ck_assert_int_eq(qrun_drop(&q, id.s), 0);
	ck_assert_uint_eq(count_dir("queue/mess"), 0);
	ck_assert_uint_eq(count_dir("queue/env"), 0);

	/* a permanent failure: a DSN to the sender, queued */
	inject(&id, "bob@example.test", "Subject: c\n\nz\n",
	    "nobody@example.test", NULL);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(count_dir("queue/mess"), 1);	/* the DSN */
	ck_assert_int_eq(qrun_ids(&q, &dsn, &(size_t){ 0 }), 0);
	state_of(dsn.s, &m);
	ck_assert_str_eq(m.env.sender, "");
	ck_assert_str_eq(m.env.rcpt[0].addr, "bob@example.test");
	queue_msg_close(&m);
	/* the DSN itself is delivered to bob */
	ck_assert_int_eq(qrun_message(&q, &conf, dsn.s, now, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(mailbox("bob"), 2);

	/* from the null sender: no DSN at all (double bounce dropped) */
	inject(&id, "", "Subject: d\n\nw\n", "nobody@example.test", NULL);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(count_dir("queue/mess"), 0);

	/* NOTIFY=NEVER: no DSN either */
	{
		struct queue_env e;
		struct queue_inject inj;

		queue_env_init(&e);
		ck_assert_int_eq(queue_env_sender(&e, "bob@example.test"), 0);
		ck_assert_int_eq(queue_env_rcpt(&e, "nobody@example.test"), 0);
		e.rcpt[0].notify = PARAM_NOTIFY_NEVER;
		ck_assert_int_eq(queue_inject_begin(&q, &e, 0, &inj), 0);
		ck_assert_int_eq(queue_inject_write(&inj, "\n", 1), 0);
		ck_assert_int_eq(queue_inject_commit(&inj, &id), 0);
		queue_env_free(&e);
	}
	ck_assert_uint_eq(count_dir("queue/mess"), 1);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(count_dir("queue/mess"), 0);

	buf_free(&id);
	buf_free(&dsn);
}
END_TEST

START_TEST(t_expiry_and_hold)
{
	struct buf id = BUF_INIT, ids = BUF_INIT;
	struct queue_msg m;
	time_t now = time(NULL), next;
	size_t n;
	char p[4200];
	int fd;

	snprintf(p, sizeof(p), "%s/mail/demo", dir);
	ck_assert((fd = open(p, O_CREAT | O_WRONLY, 0644)) != -1);
	close(fd);
	inject(&id, "bob@example.test", "Subject: x\n\nq\n",
	    "demo@example.test", NULL);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, now + 900);
	/* the retry schedule never passes the lifetime (1 day here) */
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now + 85000, &next), 0);
	state_of(id.s, &m);
	ck_assert_int_eq(next, m.env.time + 86400);
	queue_msg_close(&m);
	/* at the end of the lifetime: failed, a DSN with the 4.x.x status */
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now + 86400 + 5, &next),
	    0);
	ck_assert_int_eq(next, 0);
	ck_assert_int_eq(qrun_ids(&q, &ids, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_ne(ids.s, id.s);
	state_of(ids.s, &m);
	ck_assert_str_eq(m.env.rcpt[0].addr, "bob@example.test");
	queue_msg_close(&m);
	{
		struct buf text = BUF_INIT;
		char path[4200];

		snprintf(path, sizeof(path), "%s/queue/mess/%s", dir, ids.s);
		ck_assert_int_eq(read_file(path, &text, 1 << 20), 0);
		ck_assert_ptr_nonnull(strstr(text.s, "Status: 4.2.0"));
		ck_assert_ptr_nonnull(strstr(text.s, "Action: failed"));
		ck_assert_ptr_nonnull(strstr(text.s, "gave up after 3 "
		    "attempts"));
		buf_free(&text);
	}
	ck_assert_int_eq(qrun_drop(&q, ids.s), 1);

	/* FUTURERELEASE: held until then, untouched */
	{
		struct queue_env e;
		struct queue_inject inj;

		queue_env_init(&e);
		ck_assert_int_eq(queue_env_sender(&e, "bob@example.test"), 0);
		ck_assert_int_eq(queue_env_rcpt(&e, "bob@example.test"), 0);
		e.hold_until = now + 7200;
		ck_assert_int_eq(queue_inject_begin(&q, &e, 0, &inj), 0);
		ck_assert_int_eq(queue_inject_write(&inj, "\n", 1), 0);
		ck_assert_int_eq(queue_inject_commit(&inj, &id), 0);
		queue_env_free(&e);
	}
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, now + 7200);
	ck_assert_uint_eq(mailbox("bob"), 0);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now + 7200, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(mailbox("bob"), 1);
	buf_free(&id);
	buf_free(&ids);
}
END_TEST

/* The text of the one file in dir/sub (NUL-ended), into b. */
static void
only_file(const char *sub, struct buf *b)
{
	char p[4200];
	struct dirent *de;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	ck_assert_ptr_nonnull(d = opendir(p));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			break;
	ck_assert_ptr_nonnull(de);
	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, de->d_name);
	closedir(d);
	buf_reset(b);
	ck_assert_int_eq(read_file(p, b, 1 << 20), 0);
}

/* Inject with NOTIFY (PARAM_NOTIFY_*) for every recipient. */
static void
inject_notify(struct buf *id, unsigned notify, const char *const *rcpt)
{
	struct queue_env e;
	struct queue_inject inj;
	size_t i;

	queue_env_init(&e);
	ck_assert_int_eq(queue_env_sender(&e, "bob@example.test"), 0);
	for (i = 0; rcpt[i] != NULL; i++) {
		ck_assert_int_eq(queue_env_rcpt(&e, rcpt[i]), 0);
		e.rcpt[i].notify = notify;
	}
	ck_assert_int_eq(queue_inject_begin(&q, &e, 0, &inj), 0);
	ck_assert_int_eq(queue_inject_write(&inj, "Subject: s\n\nbody\n",
	    17), 0);
	ck_assert_int_eq(queue_inject_commit(&inj, id), 0);
	queue_env_free(&e);
}

/* How often s occurs in t. */
static size_t
occurs(const char *t, const char *s)
{
	size_t n = 0;

	while ((t = strstr(t, s)) != NULL) {
		n++;
		t += strlen(s);
	}
	return n;
}

/*
 * One copy per mailbox (issue 9.10): subaddresses, other addresses and
 * aliases of one account are one delivery, and each recipient still gets
 * its own state and DSN.
 */
START_TEST(t_one_copy)
{
	static const char *const rcpt[] = { "demo+1@example.test",
	    "demo+2@example.test", "other@example.test", "demo@example.test",
	    "both@example.test", "carol+x@example.test", NULL };
	static const char *const bobs[] = { "bob+1@example.test",
	    "bob+2@example.test", "bob@example.test", NULL };
	struct buf id = BUF_INIT, dsn = BUF_INIT, text = BUF_INIT;
	struct queue_msg m;
	time_t now = time(NULL), next;
	char p[4200];
	size_t i, n;
	int fd;

	table("recipients", "demo@example.test demo\nother@example.test demo\n"
	    "bob@example.test bob\ncarol@example.test carol\n");
	table("aliases", "both@example.test demo+a@example.test, "
	    "demo+b@example.test, carol@example.test\n");
	inject_notify(&id, PARAM_NOTIFY_SUCCESS | PARAM_NOTIFY_FAILURE, rcpt);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(mailbox("demo"), 1);
	ck_assert_uint_eq(mailbox("carol"), 1);
	/* the copy is the first recipient's: its Delivered-To */
	only_file("mail/demo/Maildir/new", &text);
	ck_assert_ptr_nonnull(strstr(text.s,
	    "\nDelivered-To: demo+1@example.test\n"));
	ck_assert_uint_eq(occurs(text.s, "Delivered-To:"), 1);
	only_file("mail/carol/Maildir/new", &text);
	ck_assert_ptr_nonnull(strstr(text.s,
	    "\nDelivered-To: carol@example.test\n"));
	/* a success DSN for every recipient (RFC 3461 6.2) */
	ck_assert_int_eq(qrun_ids(&q, &dsn, &n), 0);
	ck_assert_uint_eq(n, 1);
	snprintf(p, sizeof(p), "%s/queue/mess/%s", dir, dsn.s);
	ck_assert_int_eq(read_file(p, &text, 1 << 20), 0);
	for (i = 0; rcpt[i] != NULL; i++) {
		char want[200];

		snprintf(want, sizeof(want), "Final-Recipient: rfc822; %s\n",
		    rcpt[i]);
		ck_assert_msg(strstr(text.s, want) != NULL, "no %s", want);
	}
	ck_assert_uint_eq(occurs(text.s, "Action: delivered"), 5);
	ck_assert_uint_eq(occurs(text.s, "Action: expanded"), 1);
	ck_assert_int_eq(qrun_drop(&q, dsn.s), 1);

	/* deferred: every target of the account deferred alike, then one
	 * copy when the mailbox is back */
	snprintf(p, sizeof(p), "%s/mail/bob", dir);
	ck_assert((fd = open(p, O_CREAT | O_WRONLY, 0644)) != -1);
	close(fd);
	inject_notify(&id, PARAM_NOTIFY_FAILURE, bobs);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, now + 900);
	state_of(id.s, &m);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(m.st.r[i].state, QR_ROUTED);
		ck_assert_uint_eq(m.st.r[i].nt, 1);
		ck_assert_int_eq(m.st.r[i].t[0].state, QT_DEFERRED);
		ck_assert_uint_eq(m.st.r[i].t[0].attempts, 1);
		ck_assert_int_eq(m.st.r[i].t[0].next, now + 900);
		ck_assert_str_eq(m.st.r[i].t[0].error,
		    "4.2.0 mailbox unavailable");
	}
	queue_msg_close(&m);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now + 900, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(mailbox("bob"), 1);
	ck_assert_uint_eq(count_dir("queue/mess"), 0);

	/* failed: each recipient gets its failure in the DSN */
	conf.maildir_max = 4;
	inject_notify(&id, 0, bobs);
	ck_assert_int_eq(qrun_message(&q, &conf, id.s, now, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_uint_eq(mailbox("bob"), 1);
	ck_assert_int_eq(qrun_ids(&q, &dsn, &n), 0);
	ck_assert_uint_eq(n, 1);
	snprintf(p, sizeof(p), "%s/queue/mess/%s", dir, dsn.s);
	ck_assert_int_eq(read_file(p, &text, 1 << 20), 0);
	ck_assert_uint_eq(occurs(text.s, "Action: failed"), 3);
	ck_assert_uint_eq(occurs(text.s, "Status: 5.2.3"), 3);
	ck_assert_ptr_nonnull(strstr(text.s,
	    "Final-Recipient: rfc822; bob+2@example.test\n"));
	conf.maildir_max = 0;
	buf_free(&id);
	buf_free(&dsn);
	buf_free(&text);
}
END_TEST

/*
 * Damaged files (issue 9.10): queue_msg_open says which, the
 * administrator's list and kick report them as QRUN_DAMAGED.
 */
START_TEST(t_damaged)
{
	struct buf id = BUF_INIT, out = BUF_INIT;
	struct queue_msg m;
	const char *dmg;
	char p[4200], want[300];
	time_t now = time(NULL);

	inject(&id, "s@x.example", "Subject: t\n\nhello\n", "demo@example.test",
	    NULL);
	snprintf(p, sizeof(p), "%s/queue/env/%s", dir, id.s);
	ck_assert_int_eq(atomic_replace(p, "postern-state 1\nrcpt 7\n", 23,
	    0600), 0);
	errno = 0;
	ck_assert_int_eq(queue_msg_open(&q, id.s, 0, &m), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(m.damaged, QUEUE_DAMAGED_STATE);
	ck_assert_int_eq(qrun_list(&q, id.s, now, &out, &dmg), QRUN_DAMAGED);
	ck_assert_str_eq(dmg, QUEUE_DAMAGED_STATE);
	snprintf(want, sizeof(want), "%s age=0s damaged=env/%s error=%s\n",
	    id.s, id.s, "malformed state file");
	ck_assert_str_eq(out.s, want);
	dmg = NULL;
	ck_assert_int_eq(qrun_kick(&q, id.s, now, &dmg), QRUN_DAMAGED);
	ck_assert_str_eq(dmg, QUEUE_DAMAGED_STATE);
	/* a damaged head */
	ck_assert_int_eq(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/queue/mess/%s", dir, id.s);
	ck_assert_int_eq(atomic_replace(p, "postern-envelope 1\nno end",
	    25, 0640), 0);
	ck_assert_int_eq(queue_msg_open(&q, id.s, 0, &m), -1);
	ck_assert_str_eq(m.damaged, QUEUE_DAMAGED_HEAD);
	buf_reset(&out);
	ck_assert_int_eq(qrun_list(&q, id.s, now, &out, &dmg), QRUN_DAMAGED);
	ck_assert_str_eq(dmg, QUEUE_DAMAGED_HEAD);
	ck_assert_ptr_nonnull(strstr(out.s, " damaged=mess/"));
	ck_assert_str_eq(qrun_damage_text(dmg), "malformed envelope head");
	/* a malformed id is no damaged file */
	ck_assert_int_eq(queue_msg_open(&q, "../x", 0, &m), -1);
	ck_assert_ptr_null(m.damaged);
	ck_assert_int_eq(qrun_list(&q, "../x", now, &out, &dmg), -1);
	ck_assert_ptr_null(dmg);
	/* a good one is listed as before */
	ck_assert_int_eq(qrun_drop(&q, id.s), 1);
	inject(&id, "s@x.example", "x\n", "demo@example.test", NULL);
	buf_reset(&out);
	ck_assert_int_eq(qrun_list(&q, id.s, now, &out, &dmg), 1);
	ck_assert_ptr_null(dmg);
	ck_assert_int_eq(qrun_kick(&q, id.s, now, NULL), 1);
	buf_free(&id);
	buf_free(&out);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("format");
	TCase *tq = tcase_create("queue");

	tcase_add_test(tc, t_escape_roundtrip);
	tcase_add_test(tc, t_unescape_bad);
	tcase_add_test(tc, t_env_roundtrip);
	tcase_add_test(tc, t_env_parse_bad);
	tcase_add_test(tc, t_options);
	tcase_add_test(tc, t_addresses);
	tcase_add_test(tc, t_env_check);
	tcase_add_test(tc, t_ids_backoff);
	tcase_add_test(tc, t_state_roundtrip);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tq, setup, teardown);
	tcase_add_test(tq, t_layout_inject);
	tcase_add_test(tq, t_transitions);
	tcase_add_test(tq, t_expiry_and_hold);
	tcase_add_test(tq, t_one_copy);
	tcase_add_test(tq, t_damaged);
	tcase_set_timeout(tq, 60);
	suite_add_tcase(s, tq);
	return s;
}

UNIT_MAIN(queue_suite)
