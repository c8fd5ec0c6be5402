/*
 * test_rd: the bounded line reader (lib/rd.c) over pipes, socketpairs and
 * a replaced read function.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/rd.h"
#include "unit.h"

/* One piece a writer child sends, then a pause. */
struct piece {
	const char	*s;
	size_t		 n;	/* 0: strlen(s) */
	int		 ms;	/* sleep after writing */
};

static void
sleep_ms(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/*
 * Fork a writer that sends the pieces on one end of a socketpair (or pipe)
 * and then closes it (or keeps it open when hold_ms > 0, for that long).
 * Returns the read end; *pid_r the writer.
 */
static int
writer(const struct piece *pc, size_t npc, int use_pipe, int hold_ms,
    pid_t *pid_r)
{
	int fds[2], rfd, wfd;
	size_t i, n;
	pid_t pid;

	if (use_pipe)
		ck_assert_int_eq(pipe(fds), 0);
	else
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	rfd = fds[0];
	wfd = fds[1];
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(rfd);
		for (i = 0; i < npc; i++) {
			n = pc[i].n ? pc[i].n : strlen(pc[i].s);
			if (write_all(wfd, pc[i].s, n) == -1)
				_exit(1);
			if (pc[i].ms > 0)
				sleep_ms(pc[i].ms);
		}
		if (hold_ms > 0)
			sleep_ms(hold_ms);
		_exit(0);
	}
	close(wfd);
	*pid_r = pid;
	return rfd;
}

static void
reap(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}

/* A pipe whose read end holds exactly s[0..n), writer closed. */
static int
pipe_with(const void *s, size_t n)
{
	int fds[2];

	ck_assert_uint_le(n, 4096);	/* fits in the pipe buffer */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write_all(fds[1], s, n), 0);
	close(fds[1]);
	return fds[0];
}

#define PIPE_LIT(lit)	pipe_with((lit), sizeof(lit) - 1)

#define ck_line(r, line, max, want) do {				\
	ck_assert_int_eq(rd_line((r), (line), (max)), 1);		\
	ck_assert_uint_eq((line)->len, strlen(want));			\
	ck_assert_mem_eq((line)->s, (want), strlen(want));		\
	ck_assert_int_eq((line)->s[(line)->len], '\0');			\
} while (0)

/* Lines keep their LF or CRLF as they came; a partial last line at EOF. */
START_TEST(t_crlf_lf_partial)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fd = PIPE_LIT("a\nb\r\n\r\n\nlast");

	rd_init(&r, fd, 1000);
	ck_line(&r, &line, 100, "a\n");
	ck_line(&r, &line, 100, "b\r\n");
	ck_line(&r, &line, 100, "\r\n");
	ck_line(&r, &line, 100, "\n");
	ck_line(&r, &line, 100, "last");
	ck_assert_int_eq(rd_line(&r, &line, 100), 0);
	ck_assert_uint_eq(line.len, 0);
	ck_assert_int_eq(rd_line(&r, &line, 100), 0);	/* EOF stays EOF */
	close(fd);
	buf_free(&line);
}
END_TEST

START_TEST(t_empty_input)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fd = PIPE_LIT("");

	rd_init(&r, fd, 1000);
	ck_assert_int_eq(rd_line(&r, &line, 100), 0);
	ck_assert_uint_eq(line.len, 0);
	close(fd);
	buf_free(&line);
}
END_TEST

/* A line that arrives in several reads, CR and LF in different reads. */
START_TEST(t_split_across_reads)
{
	static const struct piece pc[] = {
		{ "EH", 0, 30 }, { "LO x", 0, 30 }, { "\r", 0, 30 },
		{ "\nMAIL", 0, 30 }, { " FROM:<>\r\nQU", 0, 30 },
		{ "IT\r\n", 0, 0 },
	};
	struct rd r;
	struct buf line = BUF_INIT;
	pid_t pid;
	int fd = writer(pc, 6, 0, 0, &pid);

	rd_init(&r, fd, 5000);
	ck_line(&r, &line, 512, "EHLO x\r\n");
	ck_line(&r, &line, 512, "MAIL FROM:<>\r\n");
	ck_line(&r, &line, 512, "QUIT\r\n");
	ck_assert_int_eq(rd_line(&r, &line, 512), 0);
	reap(pid);
	close(fd);
	buf_free(&line);
}
END_TEST

/*
 * Many lines of varying length through a pipe, so that lines straddle
 * the RD_BUFSIZE boundary at every offset the reader meets.
 */
START_TEST(t_many_lines)
{
	struct buf all = BUF_INIT, line = BUF_INIT, want = BUF_INIT;
	struct piece pc[1];
	struct rd r;
	size_t i, j, len;
	pid_t pid;
	int fd;

	for (i = 0; i < 5000; i++) {
		len = (i * 7919) % 300;
		for (j = 0; j < len; j++)
			ck_assert_int_eq(buf_putc(&all, 'a' + (int)((i + j) %
			    26)), 0);
		ck_assert_int_eq(buf_puts(&all, i % 3 ? "\r\n" : "\n"), 0);
	}
	pc[0].s = all.s;
	pc[0].n = all.len;
	pc[0].ms = 0;
	fd = writer(pc, 1, 1, 0, &pid);
	rd_init(&r, fd, 5000);
	for (i = 0; i < 5000; i++) {
		buf_reset(&want);
		len = (i * 7919) % 300;
		for (j = 0; j < len; j++)
			ck_assert_int_eq(buf_putc(&want, 'a' + (int)((i + j) %
			    26)), 0);
		ck_assert_int_eq(buf_puts(&want, i % 3 ? "\r\n" : "\n"), 0);
		ck_line(&r, &line, 1000, want.s);
	}
	ck_assert_int_eq(rd_line(&r, &line, 1000), 0);
	reap(pid);
	close(fd);
	buf_free(&all);
	buf_free(&line);
	buf_free(&want);
}
END_TEST

/*
 * A line of exactly max bytes (LF included) is accepted; max+1 fails with
 * EMSGSIZE and the reader resumes after that line's LF.
 */
START_TEST(t_exact_max_and_one_more)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fd;

	/* "123456789\n" is 10 bytes; "1234567890\n" 11 */
	fd = PIPE_LIT("123456789\n1234567890\nnext\r\n");
	rd_init(&r, fd, 1000);
	ck_line(&r, &line, 10, "123456789\n");
	errno = 0;
	ck_assert_int_eq(rd_line(&r, &line, 10), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(line.len, 0);
	ck_line(&r, &line, 10, "next\r\n");
	ck_assert_int_eq(rd_line(&r, &line, 10), 0);
	close(fd);
	buf_free(&line);
}
END_TEST

/* max counts bytes: with CRLF the CR counts too; max 1 allows "\n". */
START_TEST(t_small_max)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fd = PIPE_LIT("\n\r\nab\n");

	rd_init(&r, fd, 1000);
	ck_line(&r, &line, 1, "\n");
	ck_assert_int_eq(rd_line(&r, &line, 1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_line(&r, &line, 3, "ab\n");
	close(fd);
	buf_free(&line);
}
END_TEST

/* A too-long line spread over several buffer fills is skipped whole. */
START_TEST(t_toolong_across_fills)
{
	struct buf all = BUF_INIT, line = BUF_INIT;
	struct piece pc[1];
	struct rd r;
	size_t i;
	pid_t pid;
	int fd;

	ck_assert_int_eq(buf_puts(&all, "first\n"), 0);
	for (i = 0; i < 3 * RD_BUFSIZE + 17; i++)
		ck_assert_int_eq(buf_putc(&all, 'x'), 0);
	ck_assert_int_eq(buf_puts(&all, "\r\nafter\r\n"), 0);
	pc[0].s = all.s;
	pc[0].n = all.len;
	pc[0].ms = 0;
	fd = writer(pc, 1, 1, 0, &pid);
	rd_init(&r, fd, 5000);
	ck_line(&r, &line, 1000, "first\n");
	errno = 0;
	ck_assert_int_eq(rd_line(&r, &line, 1000), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_line(&r, &line, 1000, "after\r\n");
	ck_assert_int_eq(rd_line(&r, &line, 1000), 0);
	reap(pid);
	close(fd);
	buf_free(&all);
	buf_free(&line);
}
END_TEST

/* A too-long partial line at EOF: EMSGSIZE, then EOF. */
START_TEST(t_toolong_at_eof)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fd = PIPE_LIT("ok\n0123456789");

	rd_init(&r, fd, 1000);
	ck_line(&r, &line, 5, "ok\n");
	ck_assert_int_eq(rd_line(&r, &line, 5), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(rd_line(&r, &line, 5), 0);
	close(fd);
	buf_free(&line);
}
END_TEST

/* A 1 MB line with a large enough max, from a writer in small pieces. */
START_TEST(t_one_megabyte_line)
{
	struct buf all = BUF_INIT, line = BUF_INIT;
	struct piece pc[1];
	struct rd r;
	size_t i, mb = 1024 * 1024;
	pid_t pid;
	int fd;

	for (i = 0; i < mb - 2; i++)
		ck_assert_int_eq(buf_putc(&all, "0123456789abcdef"[i % 16]),
		    0);
	ck_assert_int_eq(buf_puts(&all, "\r\nend\n"), 0);
	pc[0].s = all.s;
	pc[0].n = all.len;
	pc[0].ms = 0;
	fd = writer(pc, 1, 0, 0, &pid);
	rd_init(&r, fd, 5000);
	ck_assert_int_eq(rd_line(&r, &line, mb), 1);
	ck_assert_uint_eq(line.len, mb);
	ck_assert_mem_eq(line.s, all.s, mb);
	ck_line(&r, &line, mb, "end\n");
	ck_assert_int_eq(rd_line(&r, &line, mb), 0);
	reap(pid);
	close(fd);

	/* the same line with max one byte short is refused */
	fd = writer(pc, 1, 0, 0, &pid);
	rd_init(&r, fd, 5000);
	ck_assert_int_eq(rd_line(&r, &line, mb - 1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_line(&r, &line, mb, "end\n");
	reap(pid);
	close(fd);
	buf_free(&all);
	buf_free(&line);
}
END_TEST

/* NUL bytes are data: they stay in the line and count in its length. */
START_TEST(t_nul_inside)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fd = PIPE_LIT("a\0b\r\n\0\n\0");

	rd_init(&r, fd, 1000);
	ck_assert_int_eq(rd_line(&r, &line, 100), 1);
	ck_assert_uint_eq(line.len, 5);
	ck_assert_mem_eq(line.s, "a\0b\r\n", 5);
	ck_assert_int_eq(rd_line(&r, &line, 100), 1);
	ck_assert_uint_eq(line.len, 2);
	ck_assert_mem_eq(line.s, "\0\n", 2);
	ck_assert_int_eq(rd_line(&r, &line, 100), 1);	/* partial "\0" */
	ck_assert_uint_eq(line.len, 1);
	ck_assert_int_eq(line.s[0], '\0');
	ck_assert_int_eq(rd_line(&r, &line, 100), 0);
	close(fd);
	buf_free(&line);
}
END_TEST

/* Nobody writes: ETIMEDOUT after about the timeout. */
START_TEST(t_timeout)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fds[2];
	long t0, dt;

	ck_assert_int_eq(pipe(fds), 0);
	rd_init(&r, fds[0], 150);
	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(rd_line(&r, &line, 100), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_ge(dt, 140);
	ck_assert_int_lt(dt, 3000);
	errno = 0;
	ck_assert_int_eq(rd_bytes(&r, &line, 10), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	/* data after the timeout is still read */
	ck_assert_int_eq(write_all(fds[1], "late\n", 5), 0);
	ck_line(&r, &line, 100, "late\n");
	close(fds[0]);
	close(fds[1]);
	buf_free(&line);
}
END_TEST

/* A peer that sends half a line and stalls also times out. */
START_TEST(t_timeout_mid_line)
{
	static const struct piece pc[] = { { "HELO half", 0, 0 } };
	struct rd r;
	struct buf line = BUF_INIT;
	pid_t pid;
	int fd = writer(pc, 1, 0, 2000, &pid);

	rd_init(&r, fd, 200);
	errno = 0;
	ck_assert_int_eq(rd_line(&r, &line, 100), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	buf_free(&line);
}
END_TEST

/* timeout_ms < 0 waits as long as it takes. */
START_TEST(t_no_timeout)
{
	static const struct piece pc[] = {
		{ "slow", 0, 300 }, { "\n", 0, 0 },
	};
	struct rd r;
	struct buf line = BUF_INIT;
	pid_t pid;
	int fd = writer(pc, 2, 1, 0, &pid);

	rd_init(&r, fd, -1);
	ck_line(&r, &line, 100, "slow\n");
	ck_assert_int_eq(rd_line(&r, &line, 100), 0);
	reap(pid);
	close(fd);
	buf_free(&line);
}
END_TEST

/* rd_bytes: up to n bytes, appended; n 0 reads nothing; then EOF. */
START_TEST(t_rd_bytes)
{
	struct rd r;
	struct buf out = BUF_INIT;
	int fd = PIPE_LIT("abcdefgh");

	rd_init(&r, fd, 1000);
	ck_assert_int_eq(buf_puts(&out, ">"), 0);
	ck_assert_int_eq(rd_bytes(&r, &out, 0), 1);
	ck_assert_str_eq(out.s, ">");
	ck_assert_int_eq(rd_bytes(&r, &out, 3), 1);
	ck_assert_str_eq(out.s, ">abc");
	ck_assert_uint_eq(rd_pending(&r), 5);
	ck_assert_int_eq(rd_bytes(&r, &out, 100), 1);
	ck_assert_str_eq(out.s, ">abcdefgh");
	ck_assert_uint_eq(rd_pending(&r), 0);
	ck_assert_int_eq(rd_bytes(&r, &out, 100), 0);
	ck_assert_str_eq(out.s, ">abcdefgh");
	close(fd);
	buf_free(&out);
}
END_TEST

/* rd_unread gives back bytes still buffered, never more. */
START_TEST(t_rd_unread)
{
	struct rd r;
	struct buf out = BUF_INIT, line = BUF_INIT;
	int fd = PIPE_LIT("DATA\r\nQUIT\r\n");

	rd_init(&r, fd, 1000);
	ck_assert_int_eq(rd_bytes(&r, &out, 100), 1);
	ck_assert_str_eq(out.s, "DATA\r\nQUIT\r\n");
	/* a decoder used the first 6 bytes: give back the rest */
	ck_assert_uint_eq(rd_unread(&r, out.len - 6), 6);
	ck_assert_int_eq(rd_line(&r, &line, 100), 1);
	ck_assert_str_eq(line.s, "QUIT\r\n");
	/* more than was consumed: only what is in the buffer */
	ck_assert_uint_eq(rd_unread(&r, 1000), 12);
	ck_assert_int_eq(rd_line(&r, &line, 100), 1);
	ck_assert_str_eq(line.s, "DATA\r\n");
	close(fd);
	buf_free(&out);
	buf_free(&line);
}
END_TEST

/* A line, then a counted body (BDAT-style), then a line again. */
START_TEST(t_line_then_bytes)
{
	struct rd r;
	struct buf line = BUF_INIT, body = BUF_INIT;
	int fd = PIPE_LIT("BDAT 7\r\nx\r\ny\0\nQUIT\r\n");
	size_t want = 7;

	rd_init(&r, fd, 1000);
	ck_line(&r, &line, 512, "BDAT 7\r\n");
	while (body.len < want)
		ck_assert_int_eq(rd_bytes(&r, &body, want - body.len), 1);
	ck_assert_uint_eq(body.len, 7);
	ck_assert_mem_eq(body.s, "x\r\ny\0\nQ", 7);
	ck_line(&r, &line, 512, "UIT\r\n");
	close(fd);
	buf_free(&line);
	buf_free(&body);
}
END_TEST

/*
 * rd_pending sees pipelined bytes after a line; rd_discard drops them, so
 * bytes sent with STARTTLS are not taken as commands (RFC 3207 4).
 */
START_TEST(t_pending_discard)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write_all(fds[1], "STARTTLS\r\nRSET\r\n", 16), 0);
	rd_init(&r, fds[0], 1000);
	ck_assert_uint_eq(rd_pending(&r), 0);
	ck_line(&r, &line, 512, "STARTTLS\r\n");
	ck_assert_uint_eq(rd_pending(&r), 6);
	rd_discard(&r);
	ck_assert_uint_eq(rd_pending(&r), 0);
	ck_assert_int_eq(write_all(fds[1], "EHLO y\r\n", 8), 0);
	ck_line(&r, &line, 512, "EHLO y\r\n");
	ck_assert_uint_eq(rd_pending(&r), 0);
	close(fds[0]);
	close(fds[1]);
	buf_free(&line);
}
END_TEST

/* A replaced read function: serves a string in chunks, with failures. */
struct src {
	const char	*s;
	size_t		 len, pos, chunk;
	int		 eintr;		/* fail with EINTR this many times */
	int		 fail_at_end;	/* errno at end, 0: EOF */
	int		 calls;
};

static ssize_t
src_read(void *ctx, void *p, size_t n)
{
	struct src *c = ctx;
	size_t k;

	c->calls++;
	if (c->eintr > 0) {
		c->eintr--;
		errno = EINTR;
		return -1;
	}
	if (c->pos == c->len) {
		if (c->fail_at_end) {
			errno = c->fail_at_end;
			return -1;
		}
		return 0;
	}
	k = c->len - c->pos;
	if (k > c->chunk)
		k = c->chunk;
	if (k > n)
		k = n;
	memcpy(p, c->s + c->pos, k);
	c->pos += k;
	return (ssize_t)k;
}

/* One byte per call; the fd is never touched (it is -1 here). */
START_TEST(t_custom_read_bytewise)
{
	struct src c = { "one\r\ntwo\nthree", 14, 0, 1, 0, 0, 0 };
	struct rd r;
	struct buf line = BUF_INIT;

	rd_init(&r, -1, 10);
	r.read = src_read;
	r.ctx = &c;
	ck_line(&r, &line, 100, "one\r\n");
	ck_line(&r, &line, 100, "two\n");
	ck_line(&r, &line, 100, "three");
	ck_assert_int_eq(rd_line(&r, &line, 100), 0);
	ck_assert_int_ge(c.calls, 15);
	buf_free(&line);
}
END_TEST

/* EINTR from the read function is retried; another errno is returned. */
START_TEST(t_custom_read_errors)
{
	struct src c = { "a\nrest", 6, 0, 64, 3, EIO, 0 };
	struct rd r;
	struct buf line = BUF_INIT;

	rd_init(&r, -1, -1);
	r.read = src_read;
	r.ctx = &c;
	ck_line(&r, &line, 100, "a\n");
	errno = 0;
	ck_assert_int_eq(rd_line(&r, &line, 100), -1);
	ck_assert_int_eq(errno, EIO);
	errno = 0;
	ck_assert_int_eq(rd_bytes(&r, &line, 5), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(c.eintr, 0);
	buf_free(&line);
}
END_TEST

/* A read error on the descriptor itself comes back as -1 with its errno. */
START_TEST(t_bad_fd)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	rd_init(&r, fds[0], -1);
	errno = 0;
	ck_assert_int_eq(rd_line(&r, &line, 100), -1);
	ck_assert_int_eq(errno, EBADF);
	rd_init(&r, fds[0], 100);
	ck_assert_int_eq(rd_line(&r, &line, 100), -1);
	ck_assert_int_ne(errno, ETIMEDOUT);
	buf_free(&line);
}
END_TEST

/* rd_wait: 0 when nothing came, 1 with data, 1 at EOF. */
START_TEST(t_rd_wait)
{
	int fds[2];
	long t0;

	ck_assert_int_eq(pipe(fds), 0);
	t0 = now_ms();
	ck_assert_int_eq(rd_wait(fds[0], 100), 0);
	ck_assert_int_ge(now_ms() - t0, 90);
	ck_assert_int_eq(rd_wait(fds[0], 0), 0);
	ck_assert_int_eq(write_all(fds[1], "x", 1), 0);
	ck_assert_int_eq(rd_wait(fds[0], 100), 1);
	close(fds[1]);
	ck_assert_int_eq(rd_wait(fds[0], 100), 1);
	close(fds[0]);
}
END_TEST

/* The line buffer's old content is replaced, not appended to. */
START_TEST(t_line_replaced)
{
	struct rd r;
	struct buf line = BUF_INIT;
	int fd = PIPE_LIT("x\n");

	ck_assert_int_eq(buf_puts(&line, "old content"), 0);
	rd_init(&r, fd, 1000);
	ck_line(&r, &line, 100, "x\n");
	close(fd);
	buf_free(&line);
}
END_TEST

static Suite *
rd_suite(void)
{
	Suite *s = suite_create("rd");
	TCase *tc = tcase_create("rd");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_crlf_lf_partial);
	tcase_add_test(tc, t_empty_input);
	tcase_add_test(tc, t_split_across_reads);
	tcase_add_test(tc, t_many_lines);
	tcase_add_test(tc, t_exact_max_and_one_more);
	tcase_add_test(tc, t_small_max);
	tcase_add_test(tc, t_toolong_across_fills);
	tcase_add_test(tc, t_toolong_at_eof);
	tcase_add_test(tc, t_one_megabyte_line);
	tcase_add_test(tc, t_nul_inside);
	tcase_add_test(tc, t_timeout);
	tcase_add_test(tc, t_timeout_mid_line);
	tcase_add_test(tc, t_no_timeout);
	tcase_add_test(tc, t_rd_bytes);
	tcase_add_test(tc, t_line_then_bytes);
	tcase_add_test(tc, t_pending_discard);
	tcase_add_test(tc, t_custom_read_bytewise);
	tcase_add_test(tc, t_custom_read_errors);
	tcase_add_test(tc, t_bad_fd);
	tcase_add_test(tc, t_rd_wait);
	tcase_add_test(tc, t_line_replaced);
	tcase_add_test(tc, t_rd_unread);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(rd_suite)
