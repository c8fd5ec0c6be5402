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

static void
err_input(struct pipeline_stage *st, struct errpipe *e, const char *p,
    size_t n)
{
	const char *nl;
	size_t k;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		if (e->part.len + k > LOG_LINE_MAX) {
			/* too long for one log line: pass it on in pieces */
			k = e->part.len < LOG_LINE_MAX ?
			    LOG_LINE_MAX - e->part.len : 0;
			(void)buf_put(&e->part, p, k);
			emit_line(st, e->part.s, e->part.len);
			buf_reset(&e->part);
			p += k;
			n -= k;
			continue;
		}
		(void)buf_put(&e->part, p, k);
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

int
pipeline_run(struct pipeline_stage *st, size_t n, char *const envp[],
    int infd, int outfd, struct buf *out, size_t outmax, int timeout_ms)
{
	struct errpipe ep[PIPELINE_MAX];
	struct pollfd pfd[PIPELINE_MAX + 1];
	int pidx[PIPELINE_MAX + 1];
	pid_t pid[PIPELINE_MAX];
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t def, none;
	int in = infd, p[2] = { -1, -1 }, e1 = -1, o[2] = { -1, -1 };
	int stdout_fd, r, save = 0, wait_ms, timedout = 0;
	long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	char chunk[4096];
	size_t i, np;
	ssize_t k;

	if (n == 0 || n > PIPELINE_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		pid[i] = 0;
		ep[i].fd = -1;
		memset(&ep[i].part, 0, sizeof(ep[i].part));
		st[i].code = -1;
		st[i].sig = 0;
		st[i].spawn_errno = 0;
		buf_reset(&st[i].lastline);
	}
	if (out != NULL)
		buf_reset(out);
	if ((r = posix_spawnattr_init(&attr)) != 0) {
		errno = r;
		return -1;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGALRM);
	sigaddset(&def, SIGCHLD);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

	for (i = 0; i < n; i++) {
		if (i + 1 < n) {
			if (cloexec_pipe(p) == -1)
				goto fail;
			stdout_fd = p[1];
		} else if (outfd >= 0)
			stdout_fd = outfd;
		else {
			if (cloexec_pipe(o) == -1)
				goto fail;
			stdout_fd = o[1];
		}
		{
			int e[2];

			if (cloexec_pipe(e) == -1)
				goto fail;
			ep[i].fd = e[0];
			e1 = e[1];
		}
		if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
			errno = r;
			goto fail;
		}
		if (posix_spawn_file_actions_adddup2(&fa, in, 0) != 0 ||
		    posix_spawn_file_actions_adddup2(&fa, stdout_fd, 1) != 0 ||
		    posix_spawn_file_actions_adddup2(&fa, e1, 2) != 0)
			r = ENOMEM;
		else
			r = posix_spawnp(&pid[i], st[i].argv[0], &fa, &attr,
			    st[i].argv, envp);
		posix_spawn_file_actions_destroy(&fa);
		if (r != 0) {
			/* the stage fails; the next ones see EOF */
			pid[i] = 0;
			st[i].spawn_errno = r;
			errno = r;
			warn_sys("unable to run %s", st[i].argv[0]);
		}
		close(e1);
		e1 = -1;
		if (in != infd)
			close(in);
		in = infd;
		if (i + 1 < n) {
			close(p[1]);
			in = p[0];
			p[0] = p[1] = -1;
		} else if (outfd < 0) {
			close(o[1]);
			o[1] = -1;
		}
	}

	/* read the stderr of every stage and the stdout of the last */
	for (;;) {
		np = 0;
		for (i = 0; i < n; i++)
			if (ep[i].fd >= 0) {
				pfd[np].fd = ep[i].fd;
				pfd[np].events = POLLIN;
				pidx[np++] = (int)i;
			}
		if (o[0] >= 0) {
			pfd[np].fd = o[0];
			pfd[np].events = POLLIN;
			pidx[np++] = -1;
		}
		if (np == 0)
			break;
		wait_ms = -1;
		if (deadline >= 0) {
			long left = deadline - now_ms();

			if (left <= 0) {
				timedout = 1;
				break;
			}
			wait_ms = left > 60000 ? 60000 : (int)left;
		}
		r = poll(pfd, np, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			save = errno;
			timedout = 1;	/* kill them: we cannot watch */
			break;
		}
		for (i = 0; i < np; i++) {
			if (pfd[i].revents == 0)
				continue;
			k = read(pfd[i].fd, chunk, sizeof(chunk));
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (pidx[i] < 0) {
				if (k <= 0) {
					close(o[0]);
					o[0] = -1;
				} else if (out != NULL && out->len < outmax)
					(void)buf_put(out, chunk,
					    (size_t)k < outmax - out->len ?
					    (size_t)k : outmax - out->len);
				continue;
			}
			if (k <= 0) {
				struct errpipe *x = &ep[pidx[i]];

				if (x->part.len > 0)
					emit_line(&st[pidx[i]], x->part.s,
					    x->part.len);
				close(x->fd);
				x->fd = -1;
				continue;
			}
			err_input(&st[pidx[i]], &ep[pidx[i]], chunk,
			    (size_t)k);
		}
	}
	for (i = 0; i < n; i++) {
		if (ep[i].fd >= 0)
			close(ep[i].fd);
		buf_free(&ep[i].part);
	}
	if (o[0] >= 0)
		close(o[0]);
	posix_spawnattr_destroy(&attr);
	if (timedout)
		deadline = now_ms();
	if (reap(pid, st, n, deadline) == -1 || timedout) {
		errno = save != 0 ? save : ETIMEDOUT;
		return -1;
	}
	return 0;

fail:
	save = errno;
	if (in != infd && in >= 0)
		close(in);
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	if (e1 >= 0)
		close(e1);
	for (i = 0; i < n; i++) {
		if (ep[i].fd >= 0)
			close(ep[i].fd);
		buf_free(&ep[i].part);
		if (pid[i] > 0)
			kill(pid[i], SIGKILL);
	}
	if (o[0] >= 0)
		close(o[0]);
	if (o[1] >= 0)
		close(o[1]);
	posix_spawnattr_destroy(&attr);
	(void)reap(pid, st, n, now_ms());
	errno = save;
	return -1;
}

void
pipeline_free(struct pipeline_stage *st, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_free(&st[i].lastline);
}
