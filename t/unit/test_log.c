/*
 * test_log: exact log lines, escaping, the line cap, debug, and the die
 * helpers' lines and exit codes (lib/log.c).  Each case runs in a child
 * whose stderr is a pipe.
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "unit.h"

/*
 * Run fn in a child with stderr on a pipe and POSTERN_DEBUG set to debug
 * (NULL: unset); collect what it wrote in out; return its exit code, or
 * -1 if it was killed.  fn returning means exit 0.
 */
static int
run(void (*fn)(void), const char *debug, struct buf *out)
{
	int fds[2], st;
	pid_t pid;

	buf_reset(out);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], 2) == -1)
			_exit(99);
		close(fds[1]);
		if (debug != NULL)
			setenv("POSTERN_DEBUG", debug, 1);
		else
			unsetenv("POSTERN_DEBUG");
		fn();
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read_all(fds[0], out, 1 << 20), 0);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t
count_lf(const struct buf *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->len; i++)
		n += b->s[i] == '\n';
	return n;
}

static void
c_info(void)
{
	log_init("/usr/libexec/postern/smtp-recv");
	log_info("hello %s n=%d", "world", 42);
}

START_TEST(t_info_line)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_info, NULL, &out), 0);
	ck_assert_str_eq(out.s, "smtp-recv: info: hello world n=42\n");
	buf_free(&out);
}
END_TEST

static void
c_levels(void)
{
	log_init("prog");
	log_warn("w");
	log_info("i");
	log_msg(LOG_WARNING, "%s", "again");
}

START_TEST(t_levels_in_order)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_levels, NULL, &out), 0);
	ck_assert_str_eq(out.s,
	    "prog: warning: w\nprog: info: i\nprog: warning: again\n");
	buf_free(&out);
}
END_TEST

static void
c_default_name(void)
{
	if (strcmp(log_prog(), "postern") != 0)
		_exit(2);
	log_init(NULL);
	log_init("");
	log_init("/usr/bin/");		/* empty base name: keep the old */
	if (strcmp(log_prog(), "postern") != 0)
		_exit(3);
	log_info("x");
	log_init("a/b/c");
	if (strcmp(log_prog(), "c") != 0)
		_exit(4);
}

START_TEST(t_prog_name)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_default_name, NULL, &out), 0);
	ck_assert_str_eq(out.s, "postern: info: x\n");
	buf_free(&out);
}
END_TEST

static void
c_escape(void)
{
	log_init("p");
	log_info("from=%s", "a\r\nb\x01\x1f\x7f\\c\t\xc3\xa4 ~");
}

/* CR, LF, control bytes, DEL and backslash as \xNN; UTF-8 left alone. */
START_TEST(t_escaping)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_escape, NULL, &out), 0);
	ck_assert_str_eq(out.s,
	    "p: info: from=a\\x0d\\x0ab\\x01\\x1f\\x7f\\x5cc\\x09\xc3\xa4 ~\n");
	buf_free(&out);
}
END_TEST

static void
c_forge(void)
{
	log_init("smtp-recv");
	log_info("helo=%s", "x\nsmtp-recv: fatal: forged\n");
}

/* A peer's value cannot make a second line. */
START_TEST(t_no_forged_line)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_forge, NULL, &out), 0);
	ck_assert_uint_eq(count_lf(&out), 1);
	ck_assert_str_eq(out.s, "smtp-recv: info: helo=x\\x0asmtp-recv: "
	    "fatal: forged\\x0a\n");
	buf_free(&out);
}
END_TEST

static char *bigtext;

static void
c_long(void)
{
	log_init("prog");
	log_info("%s", bigtext);
}

static char *
make_text(size_t n, char c)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* A long line is cut: one line, LF included at most LOG_LINE_MAX. */
START_TEST(t_cap_plain)
{
	struct buf out = BUF_INIT;
	size_t i;

	bigtext = make_text(5000, 'a');
	ck_assert_int_eq(run(c_long, NULL, &out), 0);
	ck_assert_uint_eq(count_lf(&out), 1);
	ck_assert_int_eq(out.s[out.len - 1], '\n');
	ck_assert_uint_le(out.len, LOG_LINE_MAX);
	ck_assert_uint_ge(out.len, LOG_LINE_MAX - 1);
	ck_assert_int_eq(strncmp(out.s, "prog: info: aaa", 15), 0);
	for (i = 12; i < out.len - 1; i++)
		ck_assert_int_eq(out.s[i], 'a');
	free(bigtext);
	buf_free(&out);
}
END_TEST

/* Escaping cannot push a line past the cap, nor cut an escape in half. */
START_TEST(t_cap_escaped)
{
	struct buf out = BUF_INIT;
	size_t i;

	bigtext = make_text(3000, '\n');
	ck_assert_int_eq(run(c_long, NULL, &out), 0);
	ck_assert_uint_eq(count_lf(&out), 1);
	ck_assert_uint_le(out.len, LOG_LINE_MAX);
	ck_assert_uint_ge(out.len, LOG_LINE_MAX - 4);
	ck_assert_int_eq(strncmp(out.s, "prog: info: \\x0a", 16), 0);
	/* the text is whole escapes only */
	ck_assert_uint_eq((out.len - 1 - 12) % 4, 0);
	for (i = 12; i + 4 <= out.len - 1; i += 4)
		ck_assert_int_eq(memcmp(out.s + i, "\\x0a", 4), 0);
	free(bigtext);
	buf_free(&out);
}
END_TEST

static void
c_debug(void)
{
	log_init("prog");
	log_debug("dbg %d", 1);
	log_info("after");
}

/* debug lines only with POSTERN_DEBUG set, not empty and not "0" */
START_TEST(t_debug)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_debug, NULL, &out), 0);
	ck_assert_str_eq(out.s, "prog: info: after\n");
	ck_assert_int_eq(run(c_debug, "", &out), 0);
	ck_assert_str_eq(out.s, "prog: info: after\n");
	ck_assert_int_eq(run(c_debug, "0", &out), 0);
	ck_assert_str_eq(out.s, "prog: info: after\n");
	ck_assert_int_eq(run(c_debug, "1", &out), 0);
	ck_assert_str_eq(out.s, "prog: debug: dbg 1\nprog: info: after\n");
	ck_assert_int_eq(run(c_debug, "yes", &out), 0);
	ck_assert_str_eq(out.s, "prog: debug: dbg 1\nprog: info: after\n");
	buf_free(&out);
}
END_TEST

static void
c_errno_kept(void)
{
	log_init("prog");
	errno = ENOSPC;
	log_info("x");
	log_debug("y");
	if (errno != ENOSPC)
		_exit(2);
	warn_sys("unable to write %s", "f");
	if (errno != ENOSPC)
		_exit(3);
}

/* log calls keep errno; warn_sys appends strerror. */
START_TEST(t_errno_kept_warn_sys)
{
	struct buf out = BUF_INIT, want = BUF_INIT;

	ck_assert_int_eq(run(c_errno_kept, NULL, &out), 0);
	ck_assert_int_eq(buf_printf(&want, "prog: info: x\n"
	    "prog: warning: unable to write f: %s\n", strerror(ENOSPC)), 0);
	ck_assert_str_eq(out.s, want.s);
	buf_free(&out);
	buf_free(&want);
}
END_TEST

static void
c_die100(void)
{
	log_init("queue-inject");
	die(EXIT_PERM, "bad address %s", "<a\r\n>");
}

static void
c_die111(void)
{
	log_init("queue-inject");
	die(EXIT_TEMP, "unable to lock");
}

START_TEST(t_die)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_die100, NULL, &out), 100);
	ck_assert_str_eq(out.s,
	    "queue-inject: fatal: bad address <a\\x0d\\x0a>\n");
	ck_assert_int_eq(run(c_die111, NULL, &out), 111);
	ck_assert_str_eq(out.s, "queue-inject: fatal: unable to lock\n");
	buf_free(&out);
}
END_TEST

static void
c_die_sys(void)
{
	log_init("prog");
	errno = ENOENT;
	die_sys(EXIT_TEMP, "unable to open %s", "queue/tmp");
}

static void
c_die_sys_100(void)
{
	log_init("prog");
	errno = EACCES;
	die_sys(EXIT_PERM, "unable to read %s", "x");
}

START_TEST(t_die_sys)
{
	struct buf out = BUF_INIT, want = BUF_INIT;

	ck_assert_int_eq(run(c_die_sys, NULL, &out), 111);
	ck_assert_int_eq(buf_printf(&want,
	    "prog: fatal: unable to open queue/tmp: %s\n", strerror(ENOENT)),
	    0);
	ck_assert_str_eq(out.s, want.s);
	ck_assert_int_eq(run(c_die_sys_100, NULL, &out), 100);
	buf_reset(&want);
	ck_assert_int_eq(buf_printf(&want,
	    "prog: fatal: unable to read x: %s\n", strerror(EACCES)), 0);
	ck_assert_str_eq(out.s, want.s);
	buf_free(&out);
	buf_free(&want);
}
END_TEST

static void
c_die_long(void)
{
	log_init("prog");
	errno = EIO;
	die_sys(EXIT_TEMP, "%s", bigtext);
}

/* A long die_sys line is capped too and still exits with its code. */
START_TEST(t_die_sys_long)
{
	struct buf out = BUF_INIT;

	bigtext = make_text(4000, 'z');
	ck_assert_int_eq(run(c_die_long, NULL, &out), 111);
	ck_assert_uint_eq(count_lf(&out), 1);
	ck_assert_uint_le(out.len, LOG_LINE_MAX);
	ck_assert_int_eq(strncmp(out.s, "prog: fatal: zzz", 16), 0);
	free(bigtext);
	buf_free(&out);
}
END_TEST

static void
c_usage(void)
{
	log_init("smtp-recv");
	die_usage("smtp-recv [-v] [-t timeout] program...");
}

START_TEST(t_die_usage)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_usage, NULL, &out), 100);
	ck_assert_str_eq(out.s,
	    "usage: smtp-recv [-v] [-t timeout] program...\n");
	buf_free(&out);
}
END_TEST

static void
c_nomem(void)
{
	log_init("/bin/prog");
	die_nomem();
}

START_TEST(t_die_nomem)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(run(c_nomem, NULL, &out), 111);
	ck_assert_str_eq(out.s, "prog: fatal: out of memory\n");
	buf_free(&out);
}
END_TEST

/* log_escape on its own: whole escapes only, always NUL-terminated. */
START_TEST(t_log_escape)
{
	char d[32];

	ck_assert_str_eq(log_escape(d, sizeof(d), "a\0b\\", 4),
	    "a\\x00b\\x5c");
	ck_assert_str_eq(log_escape(d, sizeof(d), "plain", 5), "plain");
	ck_assert_str_eq(log_escape(d, sizeof(d), "", 0), "");
	/* "ab" + "\x0a" needs 6 bytes and the NUL */
	ck_assert_str_eq(log_escape(d, 6, "ab\n", 3), "ab");
	ck_assert_str_eq(log_escape(d, 7, "ab\n", 3), "ab\\x0a");
	ck_assert_str_eq(log_escape(d, 3, "abcdef", 6), "ab");
	ck_assert_str_eq(log_escape(d, 1, "abc", 3), "");
	memcpy(d, "keep", 5);
	ck_assert_ptr_eq(log_escape(d, 0, "abc", 3), d);
	ck_assert_str_eq(d, "keep");
	/* bytes >= 0x80 other than DEL pass */
	ck_assert_str_eq(log_escape(d, sizeof(d), "\x80\xff", 2), "\x80\xff");
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_info_line);
	tcase_add_test(tc, t_levels_in_order);
	tcase_add_test(tc, t_prog_name);
	tcase_add_test(tc, t_escaping);
	tcase_add_test(tc, t_no_forged_line);
	tcase_add_test(tc, t_cap_plain);
	tcase_add_test(tc, t_cap_escaped);
	tcase_add_test(tc, t_debug);
	tcase_add_test(tc, t_errno_kept_warn_sys);
	tcase_add_test(tc, t_die);
	tcase_add_test(tc, t_die_sys);
	tcase_add_test(tc, t_die_sys_long);
	tcase_add_test(tc, t_die_usage);
	tcase_add_test(tc, t_die_nomem);
	tcase_add_test(tc, t_log_escape);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(log_suite)
