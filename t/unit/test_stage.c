/*
 * test_stage: the stage interface (base/stage.h): the environment
 * lookup, log lines named for the stage and escaped, the last line as
 * the reply, builtins found by name but never by a path, and a stage
 * run by stage_main on fds 0, 1 and 2 as a program would be.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/stage.h"
#include "unit.h"

START_TEST(t_getenv)
{
	char *env[] = { "SMTP_HELO=client.test", "SMTP_HELOX=no",
	    "TCPREMOTEIP=192.0.2.1", NULL };
	struct stage_io io = { .name = "t", .envp = env };

	ck_assert_str_eq(stage_getenv(&io, "SMTP_HELO"), "client.test");
	ck_assert_str_eq(stage_getenv(&io, "TCPREMOTEIP"), "192.0.2.1");
	ck_assert_ptr_null(stage_getenv(&io, "SMTP_HEL"));
	ck_assert_ptr_null(stage_getenv(&io, "NONE"));
	io.envp = NULL;
	ck_assert_ptr_null(stage_getenv(&io, "SMTP_HELO"));
}
END_TEST

START_TEST(t_log)
{
	char *env[] = { NULL };
	struct stage_io io = { .name = "spf-check", .envp = env };
	const char *l;
	size_t n;
	char big[3000];

	stage_log(&io, LOG_INFO, "result=%s", "pass");
	stage_log(&io, LOG_DEBUG, "not shown without POSTERN_DEBUG");
	stage_log(&io, LOG_FATAL, "a\nforged: line");
	ck_assert_str_eq(io.err.s, "spf-check: info: result=pass\n"
	    "spf-check: fatal: a\\x0aforged: line\n");
	stage_lastline(&io, &l, &n);
	ck_assert_int_eq((int)n, (int)strlen("spf-check: fatal: a\\x0aforged: line"));
	ck_assert(strncmp(l, "spf-check: fatal: a", 19) == 0);
	/* a line is cut, never split */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_reset(&io.err);
	stage_log(&io, LOG_WARNING, "%s", big);
	ck_assert_ptr_nonnull(strchr(io.err.s, '\n'));
	ck_assert_ptr_eq(strchr(io.err.s, '\n'), io.err.s + io.err.len - 1);
	ck_assert_uint_le(io.err.len, LOG_LINE_MAX);
	buf_free(&io.err);
}
END_TEST

static int
upper(int argc, char *const argv[], struct stage_io *io)
{
	char b[64];
	ssize_t r, i;

	(void)argc;
	(void)argv;
	while ((r = read(io->in, b, sizeof(b))) > 0) {
		for (i = 0; i < r; i++)
			if (b[i] >= 'a' && b[i] <= 'z')
				b[i] -= 'a' - 'A';
		if (write(io->out, b, (size_t)r) != r)
			return EXIT_TEMP;
	}
	stage_log(io, LOG_FATAL, "451 4.3.0 %s", stage_getenv(io, "WHY"));
	return EXIT_TEMP;
}

START_TEST(t_find)
{
	static const struct stage_builtin t[] = {
		{ "upper", upper }, { NULL, NULL },
	};

	ck_assert_ptr_eq(stage_find(t, "upper"), &t[0]);
	ck_assert_ptr_null(stage_find(t, "/usr/bin/upper"));
	ck_assert_ptr_null(stage_find(t, "./upper"));
	ck_assert_ptr_null(stage_find(t, "lower"));
	ck_assert_ptr_null(stage_find(NULL, "upper"));
}
END_TEST

START_TEST(t_main)
{
	char in[] = "/tmp/test_stage.in.XXXXXX", out[] = "/tmp/test_stage.out.XXXXXX",
	    err[] = "/tmp/test_stage.err.XXXXXX";
	char *argv[] = { "upper", NULL }, b[256];
	int fi, fo, fe, s0, s1, s2, code;
	ssize_t n;

	ck_assert_int_ge(fi = mkstemp(in), 0);
	ck_assert_int_ge(fo = mkstemp(out), 0);
	ck_assert_int_ge(fe = mkstemp(err), 0);
	ck_assert_int_eq(write(fi, "hello\n", 6), 6);
	lseek(fi, 0, SEEK_SET);
	s0 = dup(0), s1 = dup(1), s2 = dup(2);
	dup2(fi, 0), dup2(fo, 1), dup2(fe, 2);
	setenv("WHY", "try later", 1);
	code = stage_main(1, argv, "upper", upper);
	dup2(s0, 0), dup2(s1, 1), dup2(s2, 2);
	ck_assert_int_eq(code, EXIT_TEMP);
	lseek(fo, 0, SEEK_SET);
	ck_assert_int_eq(n = read(fo, b, sizeof(b) - 1), 6);
	b[n] = '\0';
	ck_assert_str_eq(b, "HELLO\n");
	lseek(fe, 0, SEEK_SET);
	n = read(fe, b, sizeof(b) - 1);
	b[n > 0 ? n : 0] = '\0';
	ck_assert_str_eq(b, "upper: fatal: 451 4.3.0 try later\n");
	unlink(in), unlink(out), unlink(err);
}
END_TEST

static Suite *
stage_suite(void)
{
	Suite *s = suite_create("stage");
	TCase *tc = tcase_create("stage");

	tcase_add_test(tc, t_getenv);
	tcase_add_test(tc, t_log);
	tcase_add_test(tc, t_find);
	tcase_add_test(tc, t_main);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(stage_suite)
