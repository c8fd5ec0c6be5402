/*
 * test_pipeline: process pipelines (lib/base/pipeline.c) with real
 * programs: exit codes 0/100/111 and others (DESIGN.md section 3), the
 * reply a failing stage leaves as its last stderr line (section 4),
 * stages that cannot start, stages that stop reading, large messages,
 * the timeout, and the descriptors and signals a stage starts with.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/pipeline.h"
#include "unit.h"

static char *dir;
static char *env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };

/* argv of a /bin/sh script, of one program */
#define SH(script)	((char *const[]){ "/bin/sh", "-c", (script), NULL })
#define CMD(...)	((char *const[]){ __VA_ARGS__, NULL })

static void
setup(void)
{
	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
}

static void
teardown(void)
{
	unit_rm_rf(dir);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* dir/name, in static storage (one at a time) */
static const char *
path(const char *name)
{
	static char p[4200];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* A descriptor reading s[0..n) from the start: an unlinked file. */
static int
input(const void *s, size_t n)
{
	int fd = open(path("in"), O_RDWR | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write_all(fd, s, n), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(unlink(path("in")), 0);
	return fd;
}

#define INPUT(lit)	input((lit), sizeof(lit) - 1)

/* n bytes of a pattern that shows any byte lost, doubled or moved */
static void
pattern(struct buf *b, size_t n)
{
	size_t i;

	ck_assert_int_eq(buf_ready(b, n), 0);
	for (i = 0; i < n; i++)
		b->s[i] = (char)('a' + (i * 7 + i / 4093) % 26);
	b->len = n;
	b->s[n] = '\0';
}

/* how many descriptors this process has open */
static int
nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* not the one opendir used */
}

/* Our stderr into dir/log while a pipeline runs, and back. */
static int saved_err = -1;

static void
log_begin(void)
{
	int fd = open(path("log"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ne(fd, -1);
	saved_err = dup(2);
	ck_assert_int_ne(saved_err, -1);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
}

static void
log_end(struct buf *b)
{
	ck_assert_int_eq(dup2(saved_err, 2), 2);
	close(saved_err);
	saved_err = -1;
	buf_reset(b);
	ck_assert_int_eq(read_file(path("log"), b, 1 << 24), 0);
}

#define ck_stage(st, want_code, want_sig) do {				\
	ck_assert_int_eq((st).code, (want_code));			\
	ck_assert_int_eq((st).sig, (want_sig));				\
	ck_assert_int_eq((st).spawn_errno, 0);				\
} while (0)

/* --- chains that work ---------------------------------------------- */

/* Message in at the first stage, out of the last into out; all exit 0. */
START_TEST(t_chain)
{
	struct pipeline_stage st[3] = {
		{ .argv = CMD("cat") },
		{ .argv = SH("tr a-z A-Z") },
		{ .argv = CMD("/bin/cat", "-") },
	};
	struct buf out = BUF_INIT;
	int in = INPUT("Subject: hi\r\n\r\nbody\r\n");

	ck_assert_int_eq(pipeline_run(st, 3, env, in, -1, &out, 1000, 5000),
	    0);
	ck_assert_str_eq(out.s, "SUBJECT: HI\r\n\r\nBODY\r\n");
	ck_stage(st[0], 0, 0);
	ck_stage(st[1], 0, 0);
	ck_stage(st[2], 0, 0);
	ck_assert_uint_eq(st[0].lastline.len, 0);
	ck_assert_uint_eq(st[2].lastline.len, 0);
	/* the caller's descriptors are left open */
	ck_assert_int_ne(fcntl(in, F_GETFD), -1);
	close(in);
	pipeline_free(st, 3);
	buf_free(&out);
}
END_TEST

/* One stage; its stdout to a descriptor of ours (outfd), out unused. */
START_TEST(t_outfd)
{
	struct pipeline_stage st[1] = { { .argv = SH("cat; echo tail") } };
	struct buf out = BUF_INIT, got = BUF_INIT;
	int in = INPUT("line\n");
	int fd = open(path("out"), O_RDWR | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(buf_puts(&out, "untouched"), 0);
	ck_assert_int_eq(pipeline_run(st, 1, env, in, fd, &out, 100, 5000),
	    0);
	ck_stage(st[0], 0, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(read_file(path("out"), &got, 1000), 0);
	ck_assert_str_eq(got.s, "line\ntail\n");
	ck_assert_uint_eq(out.len, 0);	/* reset, nothing read into it */
	close(in);
	close(fd);
	pipeline_free(st, 1);
	buf_free(&out);
	buf_free(&got);
}
END_TEST

/* The stages see envp, and only envp (not our environment). */
START_TEST(t_envp)
{
	char *e[] = { "SMTP_HELO=client.example", "SMTP_RCPT=a@x\nb@y",
	    "PATH=/usr/bin:/bin", NULL };
	struct pipeline_stage st[1] = { { .argv = SH(
	    "printf '%s|%s|%s' \"$SMTP_HELO\" \"$SMTP_RCPT\" "
	    "\"${POSTERN_TEST_SECRET-unset}\"") } };
	struct buf out = BUF_INIT;
	int in = INPUT("");

	ck_assert_int_eq(setenv("POSTERN_TEST_SECRET", "leak", 1), 0);
	ck_assert_int_eq(pipeline_run(st, 1, e, in, -1, &out, 1000, 5000), 0);
	ck_assert_str_eq(out.s, "client.example|a@x\nb@y|unset");
	ck_stage(st[0], 0, 0);
	close(in);
	pipeline_free(st, 1);
	buf_free(&out);
}
END_TEST

/*
 * More output than outmax: the first outmax bytes are kept and the rest
 * is read and dropped, so the stage is not stopped by SIGPIPE.  With out
 * NULL everything is dropped.
 */
START_TEST(t_outmax)
{
	struct pipeline_stage st[1] = {
		{ .argv = CMD("head", "-c", "300000", "/dev/zero") },
	};
	struct buf out = BUF_INIT;
	int in = INPUT("");

	ck_assert_int_eq(pipeline_run(st, 1, env, in, -1, &out, 1000, 5000),
	    0);
	ck_stage(st[0], 0, 0);
	ck_assert_uint_eq(out.len, 1000);
	ck_assert_int_eq(out.s[999], '\0');
	ck_assert_int_eq(pipeline_run(st, 1, env, in, -1, NULL, 0, 5000), 0);
	ck_stage(st[0], 0, 0);
	close(in);
	pipeline_free(st, 1);
	buf_free(&out);
}
END_TEST

/* --- exit codes and replies ---------------------------------------- */

/*
 * Each stage's exit code is its own: 0, 100 (reject), 111 (defer), and
 * any other code as it is; a failed stage is no error of pipeline_run.
 * The reply of a failing filter is its last stderr line (DESIGN.md 4).
 */
START_TEST(t_exit_codes)
{
	struct pipeline_stage st[5] = {
		{ .argv = SH("cat; echo 'spf: info: pass' >&2") },
		{ .argv = SH("cat; echo '550 5.7.1 DMARC policy rejects' >&2;"
		    " exit 100") },
		{ .argv = SH("cat; echo '451 4.7.1 try later' >&2; exit 111") },
		{ .argv = SH("cat; exit 7") },
		{ .argv = CMD("false") },
	};
	struct buf out = BUF_INIT;
	int in = INPUT("msg\n");

	log_begin();
	ck_assert_int_eq(pipeline_run(st, 5, env, in, -1, &out, 1000, 5000),
	    0);
	log_end(&out);
	ck_assert_ptr_nonnull(strstr(out.s,
	    "550 5.7.1 DMARC policy rejects\n"));
	ck_stage(st[0], 0, 0);
	ck_stage(st[1], EXIT_PERM, 0);
	ck_stage(st[2], EXIT_TEMP, 0);
	ck_stage(st[3], 7, 0);
	ck_stage(st[4], 1, 0);
	ck_assert_str_eq(st[0].lastline.s, "spf: info: pass");
	ck_assert_str_eq(st[1].lastline.s, "550 5.7.1 DMARC policy rejects");
	ck_assert_str_eq(st[2].lastline.s, "451 4.7.1 try later");
	ck_assert_uint_eq(st[3].lastline.len, 0);
	ck_assert_uint_eq(st[4].lastline.len, 0);
	close(in);
	pipeline_free(st, 5);
	buf_free(&out);
}
END_TEST

/*
 * The last line is the last non-empty one; CRLF loses its CR; a last
 * line without a newline counts.  Every line reaches our stderr, whole,
 * even when the stage writes it in pieces.
 */
START_TEST(t_lastline)
{
	struct pipeline_stage st[2] = {
		{ .argv = SH("printf 'one\\ntwo\\r\\n550 5.1.1 no such user"
		    "\\r\\n\\n\\n' >&2; exit 100") },
		{ .argv = SH("cat >/dev/null; printf 'warn\\n45' >&2;"
		    " sleep 0.1; printf '1 4.3.0 half' >&2; sleep 0.1;"
		    " printf ' and half' >&2; exit 111") },
	};
	struct buf log = BUF_INIT;
	int in = INPUT("");

	log_begin();
	ck_assert_int_eq(pipeline_run(st, 2, env, in, -1, NULL, 0, 5000), 0);
	log_end(&log);
	ck_stage(st[0], EXIT_PERM, 0);
	ck_stage(st[1], EXIT_TEMP, 0);
	ck_assert_str_eq(st[0].lastline.s, "550 5.1.1 no such user");
	ck_assert_str_eq(st[1].lastline.s, "451 4.3.0 half and half");
	ck_assert_ptr_nonnull(strstr(log.s,
	    "one\ntwo\n550 5.1.1 no such user\n"));
	ck_assert_ptr_nonnull(strstr(log.s, "warn\n"));
	ck_assert_ptr_nonnull(strstr(log.s, "\n451 4.3.0 half and half\n"));
	ck_assert_ptr_null(strstr(log.s, "\r"));

	/* run again: the stages' results are reset */
	st[0].argv = CMD("true");
	st[1].argv = CMD("cat");
	log_begin();
	ck_assert_int_eq(pipeline_run(st, 2, env, in, -1, NULL, 0, 5000), 0);
	log_end(&log);
	ck_stage(st[0], 0, 0);
	ck_stage(st[1], 0, 0);
	ck_assert_uint_eq(st[0].lastline.len, 0);
	ck_assert_uint_eq(st[1].lastline.len, 0);
	ck_assert_uint_eq(log.len, 0);
	close(in);
	pipeline_free(st, 2);
	buf_free(&log);
}
END_TEST

/*
 * Many stderr lines from several stages at once: each reaches the log
 * as a line of its own, never two stages' bytes mixed in one line.
 */
START_TEST(t_stderr_lines_whole)
{
	struct pipeline_stage st[3] = {
		{ .argv = SH("cat; i=0; while [ $i -lt 300 ]; do echo "
		    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa $i\" >&2;"
		    " i=$((i+1)); done") },
		{ .argv = SH("cat; i=0; while [ $i -lt 300 ]; do echo "
		    "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb $i\" >&2;"
		    " i=$((i+1)); done") },
		{ .argv = SH("cat") },
	};
	struct buf log = BUF_INIT;
	char *p, *nl;
	int in = INPUT("x\n"), na = 0, nb = 0;

	log_begin();
	ck_assert_int_eq(pipeline_run(st, 3, env, in, -1, NULL, 0, 10000),
	    0);
	log_end(&log);
	ck_stage(st[0], 0, 0);
	ck_stage(st[1], 0, 0);
	ck_assert_str_eq(st[0].lastline.s,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 299");
	ck_assert_str_eq(st[1].lastline.s,
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 299");
	for (p = log.s; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		ck_assert_msg(nl - p >= 46 && nl - p <= 48 &&
		    (strncmp(p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ",
		    45) == 0 ||
		    strncmp(p, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb ",
		    45) == 0), "a mixed log line: %.*s", (int)(nl - p), p);
		if (*p == 'a')
			na++;
		else
			nb++;
	}
	ck_assert_int_eq(*p, '\0');
	ck_assert_int_eq(na, 300);
	ck_assert_int_eq(nb, 300);
	close(in);
	pipeline_free(st, 3);
	buf_free(&log);
}
END_TEST

/*
 * Run st, by default a stage writing a stderr line longer than
 * LOG_LINE_MAX (the start of a reply and 1190 'x'), then "next", exit 100.
 */
static void
long_line(struct pipeline_stage *st, struct buf *log)
{
	static char *const dflt[] = { "/bin/sh", "-c",
	    "printf '550 5.7.1 ' >&2; head -c 1190 /dev/zero | tr '\\0' x >&2;"
	    " printf '\\r\\nnext\\n' >&2; exit 100", NULL };
	int in = INPUT("");

	if (st->argv == NULL)
		st->argv = dflt;
	log_begin();
	ck_assert_int_eq(pipeline_run(st, 1, env, in, -1, NULL, 0, 5000), 0);
	log_end(log);
	ck_stage(st[0], EXIT_PERM, 0);
	close(in);
}

/*
 * A stderr line longer than LOG_LINE_MAX is cut there, the rest of it
 * dropped: one log line of LOG_LINE_MAX bytes (and its newline), the
 * line's start intact, and the next line is a line of its own again.
 */
START_TEST(t_long_stderr_line)
{
	struct pipeline_stage st[1];
	struct buf log = BUF_INIT;

	memset(st, 0, sizeof(st));
	long_line(st, &log);
	ck_assert_uint_eq(log.len, LOG_LINE_MAX + 1 + strlen("next\n"));
	ck_assert_int_eq(log.s[LOG_LINE_MAX], '\n');
	ck_assert_int_eq(strncmp(log.s, "550 5.7.1 xxx", 13), 0);
	ck_assert_uint_eq(strspn(log.s + 10, "x"), LOG_LINE_MAX - 10);
	ck_assert_str_eq(log.s + LOG_LINE_MAX + 1, "next\n");
	pipeline_free(st, 1);
	buf_free(&log);
}
END_TEST

/*
 * A long reply stays the stage's last line, cut at LOG_LINE_MAX, with
 * its reply code at the start (an earlier version passed the line on
 * in pieces, and lastline was its tail, 200 'x' and no "550 5.7.1").
 */
START_TEST(t_long_stderr_lastline)
{
	struct pipeline_stage st[1];
	struct buf log = BUF_INIT;

	memset(st, 0, sizeof(st));
	st[0].argv = SH("printf '550 5.7.1 ' >&2; head -c 1190 /dev/zero |"
	    " tr '\\0' x >&2; echo >&2; exit 100");
	long_line(st, &log);
	ck_assert_uint_eq(st[0].lastline.len, LOG_LINE_MAX);
	ck_assert_msg(strncmp(st[0].lastline.s, "550 5.7.1 xxx", 13) == 0,
	    "lastline of a long line is not its start: %.20s...",
	    st[0].lastline.s);
	pipeline_free(st, 1);
	buf_free(&log);
}
END_TEST

/* Killed by a signal: code 128 + N, sig N. */
START_TEST(t_signalled)
{
	struct pipeline_stage st[2] = {
		{ .argv = SH("kill -TERM $$; sleep 5") },
		{ .argv = SH("cat >/dev/null; kill -KILL $$") },
	};
	int in = INPUT("");

	ck_assert_int_eq(pipeline_run(st, 2, env, in, -1, NULL, 0, 5000), 0);
	ck_stage(st[0], 128 + SIGTERM, SIGTERM);
	ck_stage(st[1], 128 + SIGKILL, SIGKILL);
	close(in);
	pipeline_free(st, 2);
}
END_TEST

/* --- stages that cannot start -------------------------------------- */

/*
 * A stage that cannot be exec'd: spawn_errno says why, code stays -1,
 * it is logged, and the stages around it still run (the next one sees
 * EOF).  pipeline_run itself returns 0: every stage that started has
 * been waited for.
 */
START_TEST(t_spawn_fails)
{
	struct pipeline_stage st[3] = {
		{ .argv = CMD("cat") },
		{ .argv = CMD("/nonexistent/filter", "-x") },
		{ .argv = SH("cat; echo after") },
	};
	struct buf out = BUF_INIT, log = BUF_INIT;
	int in = INPUT("message\n");

	log_begin();
	ck_assert_int_eq(pipeline_run(st, 3, env, in, -1, &out, 1000, 5000),
	    0);
	log_end(&log);
	ck_assert_int_eq(st[1].spawn_errno, ENOENT);
	ck_assert_int_eq(st[1].code, -1);
	ck_assert_int_eq(st[1].sig, 0);
	/* the first wrote into a pipe nobody reads: done or SIGPIPE */
	ck_assert_int_eq(st[0].spawn_errno, 0);
	ck_assert(st[0].code == 0 || st[0].sig == SIGPIPE);
	ck_stage(st[2], 0, 0);
	ck_assert_str_eq(out.s, "after\n");
	ck_assert_ptr_nonnull(strstr(log.s, "/nonexistent/filter"));
	close(in);
	pipeline_free(st, 3);
	buf_free(&out);
	buf_free(&log);
}
END_TEST

/* Not in PATH, not executable, a directory, a bad #! interpreter. */
START_TEST(t_spawn_errors)
{
	struct pipeline_stage st[4] = {
		{ .argv = CMD("postern-no-such-program") },
		{ .argv = CMD(NULL) },	/* set below */
		{ .argv = CMD(NULL) },
		{ .argv = CMD(NULL) },
	};
	char noexec[4200], script[4200];
	struct buf log = BUF_INIT;
	size_t i;
	int in = INPUT("");

	snprintf(noexec, sizeof(noexec), "%s/noexec", dir);
	ck_assert_int_eq(atomic_replace(noexec, "#!/bin/sh\n", 10, 0644), 0);
	snprintf(script, sizeof(script), "%s/script", dir);
	ck_assert_int_eq(atomic_replace(script, "#!/nonexistent/sh\n", 18,
	    0755), 0);
	st[1].argv = CMD(noexec);
	st[2].argv = CMD(dir);
	st[3].argv = CMD(script);
	log_begin();
	ck_assert_int_eq(pipeline_run(st, 4, env, in, -1, NULL, 0, 5000), 0);
	log_end(&log);
	ck_assert_int_eq(st[0].spawn_errno, ENOENT);
	ck_assert_int_eq(st[1].spawn_errno, EACCES);
	ck_assert_int_eq(st[2].spawn_errno, EACCES);
	ck_assert_int_eq(st[3].spawn_errno, ENOENT);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(st[i].code, -1);
		ck_assert_int_eq(st[i].sig, 0);
	}
	ck_assert_ptr_nonnull(strstr(log.s, "postern-no-such-program"));
	close(in);
	pipeline_free(st, 4);
	buf_free(&log);
}
END_TEST

/* No stage, or more than PIPELINE_MAX: EINVAL, nothing run. */
START_TEST(t_bad_counts)
{
	static char *const tru[] = { "true", NULL };
	struct pipeline_stage st[PIPELINE_MAX + 1];
	size_t i;
	int in = INPUT("");

	memset(st, 0, sizeof(st));
	for (i = 0; i <= PIPELINE_MAX; i++)
		st[i].argv = tru;
	errno = 0;
	ck_assert_int_eq(pipeline_run(st, 0, env, in, -1, NULL, 0, 1000), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(pipeline_run(st, PIPELINE_MAX + 1, env, in, -1, NULL,
	    0, 1000), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(st[0].code, 0);	/* untouched: never started */
	close(in);
	pipeline_free(st, PIPELINE_MAX + 1);
}
END_TEST

/* PIPELINE_MAX stages, the most there may be, all run. */
START_TEST(t_max_stages)
{
	static char *const cat[] = { "cat", NULL };
	struct pipeline_stage st[PIPELINE_MAX];
	struct buf out = BUF_INIT;
	size_t i;
	int in = INPUT("through 32 cats\n");

	memset(st, 0, sizeof(st));
	for (i = 0; i < PIPELINE_MAX; i++)
		st[i].argv = cat;
	ck_assert_int_eq(pipeline_run(st, PIPELINE_MAX, env, in, -1, &out,
	    1000, 10000), 0);
	for (i = 0; i < PIPELINE_MAX; i++)
		ck_stage(st[i], 0, 0);
	ck_assert_str_eq(out.s, "through 32 cats\n");
	close(in);
	pipeline_free(st, PIPELINE_MAX);
	buf_free(&out);
}
END_TEST

/* --- large messages, early exits ----------------------------------- */

#define BIG	(8u * 1024 * 1024)

/* 8 MB through four stages, to a file and into out: byte-exact. */
START_TEST(t_large_message)
{
	struct pipeline_stage st[4] = {
		{ .argv = CMD("cat") },
		{ .argv = SH("exec cat") },
		{ .argv = SH("while IFS= read -r l; do printf '%s\\n' \"$l\";"
		    " break; done; exec cat") },
		{ .argv = CMD("cat") },
	};
	struct buf msg = BUF_INIT, out = BUF_INIT;
	int in, fd;

	pattern(&msg, BIG);
	msg.s[100] = '\n';
	in = input(msg.s, msg.len);
	ck_assert_int_eq(pipeline_run(st, 4, env, in, -1, &out, BIG + 1,
	    20000), 0);
	ck_stage(st[0], 0, 0);
	ck_stage(st[1], 0, 0);
	ck_stage(st[2], 0, 0);
	ck_stage(st[3], 0, 0);
	ck_assert_uint_eq(out.len, BIG);
	ck_assert_int_eq(memcmp(out.s, msg.s, BIG), 0);
	/* the same to a file */
	ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
	fd = open(path("out"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(pipeline_run(st, 4, env, in, fd, NULL, 0, 20000), 0);
	ck_stage(st[3], 0, 0);
	buf_reset(&out);
	ck_assert_int_eq(read_file(path("out"), &out, BIG), 0);
	ck_assert_uint_eq(out.len, BIG);
	ck_assert_int_eq(memcmp(out.s, msg.s, BIG), 0);
	close(fd);
	close(in);
	pipeline_free(st, 4);
	buf_free(&msg);
	buf_free(&out);
}
END_TEST

/*
 * The input from a pipe fed by another process, and a stage that writes
 * a lot on stderr before it reads its input and while it writes its
 * output: no deadlock, since every stderr is drained as it comes.
 */
START_TEST(t_large_with_stderr)
{
	struct pipeline_stage st[2] = {
		{ .argv = SH("head -c 400000 /dev/zero | tr '\\0' e |"
		    " fold -w 99 >&2; echo >&2; cat; echo done >&2") },
		{ .argv = SH("cat; head -c 300000 /dev/zero | tr '\\0' f |"
		    " fold -w 59 >&2") },
	};
	struct buf msg = BUF_INIT, out = BUF_INIT;
	pid_t pid;
	int p[2], w;

	pattern(&msg, 3u * 1024 * 1024);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(p[0]);
		_exit(write_all(p[1], msg.s, msg.len) == 0 ? 0 : 1);
	}
	close(p[1]);
	log_begin();
	ck_assert_int_eq(pipeline_run(st, 2, env, p[0], -1, &out, msg.len,
	    20000), 0);
	log_end(&out);	/* the log, not kept */
	ck_stage(st[0], 0, 0);
	ck_stage(st[1], 0, 0);
	ck_assert_str_eq(st[0].lastline.s, "done");
	ck_assert_uint_eq(st[1].lastline.len, 300000 % 59);
	ck_assert_int_eq(waitpid(pid, &w, 0), pid);
	ck_assert(WIFEXITED(w) && WEXITSTATUS(w) == 0);
	close(p[0]);
	pipeline_free(st, 2);
	buf_free(&msg);
	buf_free(&out);
}
END_TEST

/* The same chain again, checking the output this time (no stderr log). */
START_TEST(t_large_with_stderr_output)
{
	struct pipeline_stage st[2] = {
		{ .argv = SH("head -c 400000 /dev/zero | tr '\\0' e |"
		    " fold -w 99 >&2; cat") },
		{ .argv = SH("cat") },
	};
	struct buf msg = BUF_INIT, out = BUF_INIT, log = BUF_INIT;
	int in;

	pattern(&msg, 2u * 1024 * 1024);
	in = input(msg.s, msg.len);
	log_begin();
	ck_assert_int_eq(pipeline_run(st, 2, env, in, -1, &out, msg.len,
	    20000), 0);
	log_end(&log);
	ck_stage(st[0], 0, 0);
	ck_assert_uint_eq(out.len, msg.len);
	ck_assert_int_eq(memcmp(out.s, msg.s, msg.len), 0);
	/* 400000 bytes in lines of 99 (with their newlines) */
	ck_assert_uint_eq(log.len, 400000 + (400000 + 98) / 99);
	close(in);
	pipeline_free(st, 2);
	buf_free(&msg);
	buf_free(&out);
	buf_free(&log);
}
END_TEST

/*
 * A stage that exits without reading its input: the one before it dies
 * of SIGPIPE, as it would in a shell, even though we ignore SIGPIPE
 * (smtp-recv does); the later stages go on.
 */
START_TEST(t_early_exit)
{
	struct pipeline_stage st[3] = {
		{ .argv = CMD("cat") },
		{ .argv = SH("exit 0") },
		{ .argv = SH("cat; echo end") },
	};
	struct buf msg = BUF_INIT, out = BUF_INIT;
	int in;

	signal(SIGPIPE, SIG_IGN);
	pattern(&msg, 1024 * 1024);
	in = input(msg.s, msg.len);
	ck_assert_int_eq(pipeline_run(st, 3, env, in, -1, &out, 1000, 5000),
	    0);
	ck_stage(st[0], 128 + SIGPIPE, SIGPIPE);
	ck_stage(st[1], 0, 0);
	ck_stage(st[2], 0, 0);
	ck_assert_str_eq(out.s, "end\n");
	ck_assert_uint_eq(st[0].lastline.len, 0);	/* no "Broken pipe" */
	close(in);
	pipeline_free(st, 3);
	buf_free(&msg);
	buf_free(&out);
}
END_TEST

/* A stage that reads only the start (head) and a filter that rejects
 * at once: the rest is not waited for. */
START_TEST(t_partial_reader)
{
	struct pipeline_stage st[2] = {
		{ .argv = CMD("cat") },
		{ .argv = CMD("head", "-c", "10") },
	};
	struct pipeline_stage rj[2] = {
		{ .argv = SH("echo '554 5.7.1 rejected at once' >&2;"
		    " exit 100") },
		{ .argv = CMD("cat") },
	};
	struct buf msg = BUF_INIT, out = BUF_INIT;
	long t0;
	int in;

	signal(SIGPIPE, SIG_IGN);
	pattern(&msg, 4u * 1024 * 1024);
	in = input(msg.s, msg.len);
	t0 = now_ms();
	ck_assert_int_eq(pipeline_run(st, 2, env, in, -1, &out, 1000, 10000),
	    0);
	ck_stage(st[0], 128 + SIGPIPE, SIGPIPE);
	ck_stage(st[1], 0, 0);
	ck_assert_uint_eq(out.len, 10);
	ck_assert_int_eq(memcmp(out.s, msg.s, 10), 0);
	ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
	log_begin();
	ck_assert_int_eq(pipeline_run(rj, 2, env, in, -1, &out, 1000, 10000),
	    0);
	/* log_end, but keeping out */
	ck_assert_int_eq(dup2(saved_err, 2), 2);
	close(saved_err);
	ck_stage(rj[0], EXIT_PERM, 0);
	ck_stage(rj[1], 0, 0);
	ck_assert_str_eq(rj[0].lastline.s, "554 5.7.1 rejected at once");
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_lt(now_ms() - t0, 5000);
	close(in);
	pipeline_free(st, 2);
	pipeline_free(rj, 2);
	buf_free(&msg);
	buf_free(&out);
}
END_TEST

/* --- the timeout --------------------------------------------------- */

/* A stage that hangs: killed at the timeout, -1 ETIMEDOUT, reaped. */
START_TEST(t_timeout)
{
	struct pipeline_stage st[2] = {
		{ .argv = CMD("cat") },
		{ .argv = CMD("sleep", "10") },
	};
	long t0, dt;
	int in = INPUT("x\n");

	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(pipeline_run(st, 2, env, in, -1, NULL, 0, 300), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_ge(dt, 290);
	ck_assert_int_lt(dt, 3000);
	ck_stage(st[0], 0, 0);
	ck_stage(st[1], 128 + SIGKILL, SIGKILL);
	/* reaped: no child of ours is left */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	close(in);
	pipeline_free(st, 2);
}
END_TEST

/*
 * The timeout also holds for a stage that closed its stderr and keeps
 * running (nothing left to read, only the wait), and for one that left
 * a process behind holding its stderr open.
 */
START_TEST(t_timeout_quiet)
{
	struct pipeline_stage st[1] = { { .argv = SH("exec 2>&-; sleep 10") } };
	struct pipeline_stage bg[1] = { { .argv = SH(
	    "sleep 10 & echo $! > \"$PIDFILE\"; exit 0") } };
	char pidenv[4300], *e[] = { pidenv, "PATH=/usr/bin:/bin", NULL };
	struct buf b = BUF_INIT;
	long t0;
	int fd = open("/dev/null", O_WRONLY), in = INPUT("");

	ck_assert_int_ne(fd, -1);
	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(pipeline_run(st, 1, env, in, fd, NULL, 0, 300), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_lt(now_ms() - t0, 3000);
	ck_stage(st[0], 128 + SIGKILL, SIGKILL);

	snprintf(pidenv, sizeof(pidenv), "PIDFILE=%s/pid", dir);
	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(pipeline_run(bg, 1, e, in, fd, NULL, 0, 300), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_lt(now_ms() - t0, 3000);
	ck_stage(bg[0], 0, 0);
	/* the one left behind is not ours to reap; end it */
	ck_assert_int_eq(read_file(path("pid"), &b, 100), 0);
	kill((pid_t)atol(b.s), SIGKILL);
	close(fd);
	close(in);
	pipeline_free(st, 1);
	pipeline_free(bg, 1);
	buf_free(&b);
}
END_TEST

/* timeout_ms < 0: no limit; a slow chain finishes. */
START_TEST(t_no_timeout)
{
	struct pipeline_stage st[1] = { { .argv = SH("sleep 0.4; echo ok") } };
	struct buf out = BUF_INIT;
	int in = INPUT("");

	ck_assert_int_eq(pipeline_run(st, 1, env, in, -1, &out, 100, -1), 0);
	ck_stage(st[0], 0, 0);
	ck_assert_str_eq(out.s, "ok\n");
	close(in);
	pipeline_free(st, 1);
	buf_free(&out);
}
END_TEST

/* --- what a stage starts with -------------------------------------- */

/* A signal we block (serve_loop blocks some) is unblocked in a stage. */
START_TEST(t_sigmask_reset)
{
	struct pipeline_stage st[1] = {
		{ .argv = SH("kill -USR1 $$; exit 0") },
	};
	sigset_t block;
	int in = INPUT("");

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	ck_assert_int_eq(pipeline_run(st, 1, env, in, -1, NULL, 0, 5000), 0);
	ck_stage(st[0], 128 + SIGUSR1, SIGUSR1);
	close(in);
	pipeline_free(st, 1);
}
END_TEST

/*
 * smtp-recv ignores SIGXFSZ (lib/smtp/smtpd.c, so that a file size
 * limit fails its own writes with EFBIG); the header promises it is the
 * default again in the stages, so a stage over its file size limit dies
 * of SIGXFSZ as it would from a shell (an earlier version left it
 * ignored, and head exited 1 with "File too large").
 */
START_TEST(t_sigxfsz_reset)
{
	struct pipeline_stage st[1] = { { .argv = SH(
	    "ulimit -f 1; exec head -c 100000 /dev/zero") } };
	struct buf log = BUF_INIT;
	int fd = open(path("big"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int in = INPUT("");

	ck_assert_int_ne(fd, -1);
	signal(SIGXFSZ, SIG_IGN);
	log_begin();
	ck_assert_int_eq(pipeline_run(st, 1, env, in, fd, NULL, 0, 5000), 0);
	log_end(&log);
	ck_assert_msg(st[0].sig == SIGXFSZ,
	    "SIGXFSZ stays ignored in a stage (code %d, sig %d: %s)",
	    st[0].code, st[0].sig, st[0].lastline.s);
	ck_assert_int_eq(st[0].code, 128 + SIGXFSZ);
	close(fd);
	close(in);
	pipeline_free(st, 1);
	buf_free(&log);
}
END_TEST

/* SIGPIPE alone: a stage writing to a reader that left dies of it. */
START_TEST(t_sigpipe_reset)
{
	struct pipeline_stage st[2] = {
		{ .argv = CMD("yes") },
		{ .argv = CMD("head", "-c", "1") },
	};
	struct buf out = BUF_INIT;
	int in = INPUT("");

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipeline_run(st, 2, env, in, -1, &out, 100, 5000), 0);
	ck_stage(st[0], 128 + SIGPIPE, SIGPIPE);
	ck_stage(st[1], 0, 0);
	ck_assert_str_eq(out.s, "y");
	close(in);
	pipeline_free(st, 2);
	buf_free(&out);
}
END_TEST

/*
 * A stage gets fds 0, 1, 2 and nothing of the pipeline's own: the same
 * descriptors as a lone stage has, also in the middle of a chain (a
 * stage holding another's pipe end would keep it from seeing EOF).
 * And pipeline_run leaves no descriptor of its own open in the caller,
 * also when a stage cannot start or the timeout passes.
 */
START_TEST(t_descriptors)
{
	struct pipeline_stage one[1] = {
		{ .argv = CMD("ls", "/proc/self/fd") },
	};
	struct pipeline_stage st[3] = {
		{ .argv = CMD("cat") },
		{ .argv = SH("cat >/dev/null; exec ls /proc/self/fd") },
		{ .argv = CMD("cat") },
	};
	struct pipeline_stage bad[2] = {
		{ .argv = CMD("/nonexistent") },
		{ .argv = CMD("sleep", "5") },
	};
	struct buf alone = BUF_INIT, mid = BUF_INIT;
	int in = INPUT("x\n"), n0;

	n0 = nfds();
	ck_assert_int_eq(pipeline_run(one, 1, env, in, -1, &alone, 1000, 5000),
	    0);
	ck_assert_int_eq(pipeline_run(st, 3, env, in, -1, &mid, 1000, 5000),
	    0);
	ck_stage(st[1], 0, 0);
	ck_assert_str_eq(mid.s, alone.s);
	/* ls sorts by name: "0", "1", then maybe "10".., then "2" */
	ck_assert_int_eq(strncmp(alone.s, "0\n1\n", 4), 0);
	ck_assert_ptr_nonnull(strstr(alone.s, "\n2\n"));
	ck_assert_int_eq(nfds(), n0);
	log_begin();
	ck_assert_int_eq(pipeline_run(bad, 2, env, in, -1, NULL, 0, 200), -1);
	log_end(&alone);
	ck_assert_int_eq(nfds(), n0);
	close(in);
	pipeline_free(one, 1);
	pipeline_free(st, 3);
	pipeline_free(bad, 2);
	buf_free(&alone);
	buf_free(&mid);
}
END_TEST

static Suite *
pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("chain");
	TCase *te = tcase_create("exit");
	TCase *tb = tcase_create("big");
	TCase *tt = tcase_create("time");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, t_chain);
	tcase_add_test(tc, t_outfd);
	tcase_add_test(tc, t_envp);
	tcase_add_test(tc, t_outmax);
	tcase_add_test(tc, t_bad_counts);
	tcase_add_test(tc, t_max_stages);
	tcase_add_test(tc, t_descriptors);
	tcase_add_test(tc, t_sigmask_reset);
	tcase_add_test(tc, t_sigxfsz_reset);
	tcase_add_test(tc, t_sigpipe_reset);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_set_timeout(te, 20);
	tcase_add_test(te, t_exit_codes);
	tcase_add_test(te, t_lastline);
	tcase_add_test(te, t_stderr_lines_whole);
	tcase_add_test(te, t_long_stderr_line);
	tcase_add_test(te, t_long_stderr_lastline);
	tcase_add_test(te, t_signalled);
	tcase_add_test(te, t_spawn_fails);
	tcase_add_test(te, t_spawn_errors);
	suite_add_tcase(s, te);

	tcase_add_checked_fixture(tb, setup, teardown);
	tcase_set_timeout(tb, 60);
	tcase_add_test(tb, t_large_message);
	tcase_add_test(tb, t_large_with_stderr);
	tcase_add_test(tb, t_large_with_stderr_output);
	tcase_add_test(tb, t_early_exit);
	tcase_add_test(tb, t_partial_reader);
	suite_add_tcase(s, tb);

	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_set_timeout(tt, 20);
	tcase_add_test(tt, t_timeout);
	tcase_add_test(tt, t_timeout_quiet);
	tcase_add_test(tt, t_no_timeout);
	suite_add_tcase(s, tt);
	return s;
}

UNIT_MAIN(pipeline_suite)
