#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/num.h"
#include "base/pipeline.h"

struct errpipe {
	int		 fd;
	struct buf	 part;	/* a line not yet ended */
};

static int	cloexec_pipe(int[2]);
static void	emit_line(struct pipeline_stage *, const char *, size_t);
static void	err_input(struct pipeline_stage *, struct errpipe *,
		    const char *, size_t);
static int	reap(pid_t *, struct pipeline_stage *, size_t, long);

struct run;
static int	spawn_one(struct run *, size_t, const posix_spawnattr_t *,
		    char *const[], int, int);
static int	spawn_all(struct run *, char *const[], int, int);
static void	err_read(struct run *, size_t, const char *, ssize_t);
static int	drain(struct run *, struct buf *, size_t);

static int
cloexec_pipe(int p[2])
{
	if (pipe(p) == -1)
		return -1;
	if (fcntl(p[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	return 0;
}

/* One stderr line of a stage: to our stderr, and kept as its last. */
static void
emit_line(struct pipeline_stage *st, const char *s, size_t n)
{
	char line[LOG_LINE_MAX + 1];
	ssize_t w;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > LOG_LINE_MAX)
		n = LOG_LINE_MAX;
	if (n == 0)
		return;
	(void)buf_set(&st->lastline, s, n);
	memcpy(line, s, n);
	line[n] = '\n';
	do
		w = write(2, line, n + 1);
	while (w < 0 && errno == EINTR);
}

/*
 * Bytes from a stage's stderr: each whole line goes to emit_line.  A line
 * longer than LOG_LINE_MAX is cut there, the rest of it dropped, so it is
 * still one log line, and its start (an SMTP reply) is the last line.
 */
static void
err_input(struct pipeline_stage *st, struct errpipe *e, const char *p,
    size_t n)
{
	const char *nl;
	size_t k, room;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		room = e->part.len < LOG_LINE_MAX ?
		    LOG_LINE_MAX - e->part.len : 0;
		(void)buf_put(&e->part, p, k < room ? k : room);
		if (nl == NULL)
			return;
		emit_line(st, e->part.s, e->part.len);
		buf_reset(&e->part);
		p += k + 1;
		n -= k + 1;
	}
}

/* Wait for every started stage, until deadline (then SIGKILL). */
static int
reap(pid_t *pid, struct pipeline_stage *st, size_t n, long deadline)
{
	int left, killed = 0, nap = 1, status;
	size_t i;
	pid_t r;

	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (pid[i] <= 0)
				continue;
			r = waitpid(pid[i], &status, killed ? 0 : WNOHANG);
			if (r == pid[i]) {
				if (WIFEXITED(status))
					st[i].code = WEXITSTATUS(status);
				else if (WIFSIGNALED(status)) {
					st[i].sig = WTERMSIG(status);
					st[i].code = 128 + st[i].sig;
				}
				pid[i] = 0;
			} else if (r == -1 && errno != EINTR) {
				pid[i] = 0;	/* lost: code stays -1 */
			} else
				left++;
		}
		if (left == 0)
			return killed ? -1 : 0;
		if (!killed && deadline >= 0 && now_ms() >= deadline) {
			for (i = 0; i < n; i++)
				if (pid[i] > 0)
					kill(pid[i], SIGKILL);
			killed = 1;
			continue;
		}
		poll(NULL, 0, nap);
		if (nap < 50)
			nap *= 2;
	}
}

/* One run of a pipeline: the stages, their pids and stderr pipes. */
struct run {
	struct pipeline_stage	*st;
	size_t			 n;
	pid_t			 pid[PIPELINE_MAX];
	struct errpipe		 ep[PIPELINE_MAX];
	int			 outr;	/* the last stage's stdout, or -1 */
	long			 deadline;	/* monotonic ms, or -1 */
};

/* Start stage i with stdin in, stdout out: 0, or -1 (the stage failed
 * to start; the pipeline goes on and its neighbours see EOF). */
static int
spawn_one(struct run *R, size_t i, const posix_spawnattr_t *attr,
    char *const envp[], int in, int out)
{
	struct pipeline_stage *st = &R->st[i];
	posix_spawn_file_actions_t fa;
	int e[2], r;

	if (cloexec_pipe(e) == -1)
		return -1;
	R->ep[i].fd = e[0];
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		close(e[1]);
		errno = r;
		return -1;
	}
	if (posix_spawn_file_actions_adddup2(&fa, in, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, out, 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, e[1], 2) != 0)
		r = ENOMEM;
	else
		r = posix_spawnp(&R->pid[i], st->argv[0], &fa, attr,
		    st->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(e[1]);
	if (r != 0) {
		R->pid[i] = 0;
		st->spawn_errno = r;
		errno = r;
		warn_sys("unable to run %s", st->argv[0]);
	}
	return 0;
}

/*
 * Start every stage, each stdout piped to the next stdin: 0, or -1 on a
 * system error (what was started is left to the caller to kill).
 */
static int
spawn_all(struct run *R, char *const envp[], int infd, int outfd)
{
	posix_spawnattr_t attr;
	sigset_t def, none;
	int in = infd, p[2] = { -1, -1 }, o[2], out, r, save;
	size_t i;

	if ((r = posix_spawnattr_init(&attr)) != 0) {
		errno = r;
		return -1;
	}
	/* what smtp-recv changed is the default again in the stages */
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGALRM);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGXFSZ);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	for (i = 0; i < R->n; i++) {
		if (i + 1 < R->n) {
			if (cloexec_pipe(p) == -1)
				goto fail;
			out = p[1];
		} else if (outfd >= 0)
			out = outfd;
		else {
			if (cloexec_pipe(o) == -1)
				goto fail;
			R->outr = o[0];
			out = o[1];
		}
		r = spawn_one(R, i, &attr, envp, in, out);
		if (in != infd)
			close(in);
		in = infd;
		if (out != outfd)
			close(out);
		if (i + 1 < R->n)
			in = p[0];
		if (r == -1)
			goto fail;
	}
	posix_spawnattr_destroy(&attr);
	return 0;
fail:
	save = errno;
	if (in != infd)
		close(in);
	posix_spawnattr_destroy(&attr);
	errno = save;
	return -1;
}

/* Input on the stderr pipe of stage i, k bytes (0 or less: its end). */
static void
err_read(struct run *R, size_t i, const char *chunk, ssize_t k)
{
	struct errpipe *x = &R->ep[i];

	if (k > 0) {
		err_input(&R->st[i], x, chunk, (size_t)k);
		return;
	}
	if (x->part.len > 0)
		emit_line(&R->st[i], x->part.s, x->part.len);
	close(x->fd);
	x->fd = -1;
}

/*
 * Read every stage's stderr and the last one's stdout (into out, at most
 * outmax bytes) until all are closed: 0, or -1 with errno ETIMEDOUT when
 * the deadline passed, or poll's errno.
 */
static int
drain(struct run *R, struct buf *out, size_t outmax)
{
	struct pollfd pfd[PIPELINE_MAX + 1];
	int pidx[PIPELINE_MAX + 1];
	char chunk[4096];
	size_t i, np;
	ssize_t k;
	long left;
	int r, wait_ms;

	for (;;) {
		np = 0;
		for (i = 0; i < R->n; i++)
			if (R->ep[i].fd >= 0) {
				pfd[np].fd = R->ep[i].fd;
				pfd[np].events = POLLIN;
				pidx[np++] = (int)i;
			}
		if (R->outr >= 0) {
			pfd[np].fd = R->outr;
			pfd[np].events = POLLIN;
			pidx[np++] = -1;
		}
		if (np == 0)
			return 0;
		wait_ms = -1;
		if (R->deadline >= 0) {
			if ((left = R->deadline - now_ms()) <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			wait_ms = left > 60000 ? 60000 : (int)left;
		}
		r = poll(pfd, np, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;	/* they are killed: we cannot watch */
		for (i = 0; i < np; i++) {
			if (pfd[i].revents == 0)
				continue;
			k = read(pfd[i].fd, chunk, sizeof(chunk));
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (pidx[i] >= 0)
				err_read(R, (size_t)pidx[i], chunk, k);
			else if (k <= 0) {
				close(R->outr);
				R->outr = -1;
			} else if (out != NULL && out->len < outmax)
				(void)buf_put(out, chunk,
				    (size_t)k < outmax - out->len ?
				    (size_t)k : outmax - out->len);
		}
	}
}

int
pipeline_run(struct pipeline_stage *st, size_t n, char *const envp[],
    int infd, int outfd, struct buf *out, size_t outmax, int timeout_ms)
{
	struct run R;
	size_t i;
	int r, save = 0;

	if (n == 0 || n > PIPELINE_MAX) {
		errno = EINVAL;
		return -1;
	}
	R.st = st;
	R.n = n;
	R.outr = -1;
	R.deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	for (i = 0; i < n; i++) {
		R.pid[i] = 0;
		R.ep[i].fd = -1;
		memset(&R.ep[i].part, 0, sizeof(R.ep[i].part));
		st[i].code = -1;
		st[i].sig = 0;
		st[i].spawn_errno = 0;
		buf_reset(&st[i].lastline);
	}
	if (out != NULL)
		buf_reset(out);
	r = spawn_all(&R, envp, infd, outfd);
	if (r == 0)
		r = drain(&R, out, outmax);
	if (r == -1)
		save = errno;
	for (i = 0; i < n; i++) {
		if (R.ep[i].fd >= 0)
			close(R.ep[i].fd);
		buf_free(&R.ep[i].part);
	}
	if (R.outr >= 0)
		close(R.outr);
	/* after a failure, every stage started is killed at once */
	if (reap(R.pid, st, n, r == -1 ? now_ms() : R.deadline) == -1 &&
	    r == 0) {
		r = -1;
		save = ETIMEDOUT;
	}
	errno = save;
	return r;
}

void
pipeline_free(struct pipeline_stage *st, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_free(&st[i].lastline);
}
