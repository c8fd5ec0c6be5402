/* qwriter: queue-writer(8), its client and the injectors' choice (qwriter.h). */
#define _GNU_SOURCE	/* SO_PEERCRED, accept4, O_TMPFILE, MSG_CMSG_CLOEXEC */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/num.h"
#include "queue/queue.h"
#include "queue/qwriter.h"

struct req_head {
	char		 magic[4];
	uint32_t	 argv_len, mem_len, flags;
};
struct rep_head {
	char		 magic[4];
	int32_t		 code;
	uint32_t	 len;
};

/* ---- common ------------------------------------------------------- */

/* The socket's address in the queue directory dir. */
static int
sock_addr(struct sockaddr_un *sa, const char *dir)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s",
	    dir, QWRITER_SOCKET) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Read exactly n bytes by the deadline (now_ms() based).  0 read, 1 end
 * of file before the first byte, -1 error: ETIMEDOUT, or EPIPE for an
 * end of file part way.
 */
static int
read_exact(int fd, void *p, size_t n, long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char *c = p;
	size_t got = 0;
	long left;
	ssize_t r;

	while (got < n) {
		left = deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		r = read(fd, c + got, n - got);
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (r == 0) {
			if (got == 0)
				return 1;
			errno = EPIPE;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* send(2) all of it, never raising SIGPIPE. */
static int
send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t r;

	while (n > 0) {
		if ((r = send(fd, c, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* ---- the client --------------------------------------------------- */

static int	conn = -1;	/* to the writer, kept for later messages */

/* A regular file with fd's bytes from its offset on (fd itself when it
 * is one): the writer takes only regular files.  -1 on failure. */
static int
regular_copy(int fd)
{
	struct stat st;
	struct buf path = BUF_INIT;
	const char *dir, *name;
	char b[65536];
	size_t max, total = 0;
	ssize_t r;
	int t, save;

	if (fstat(fd, &st) == -1)
		return -1;
	if (S_ISREG(st.st_mode))
		return dup(fd);
	/* no more than the queue takes, and a byte to say it is too big */
	if (queue_maxsize(&max, &name) == -1)
		max = QUEUE_DEFAULT_MAXSIZE;
	/* a pipe (queue-inject < a program): copied to an unnamed file */
	dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((t = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1) {
		if (buf_printf(&path, "%s/queue-inject.XXXXXX", dir) == -1)
			return -1;
		t = mkstemp(path.s);
		if (t != -1)
			(void)unlink(path.s);
		buf_free(&path);
		if (t == -1)
			return -1;
	}
	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (max > 0 && (size_t)r > max + 1 - total)
			r = (ssize_t)(max + 1 - total);
		if (write_all(t, b, (size_t)r) == -1) {
			r = -1;
			break;
		}
		if (max > 0 && (total += (size_t)r) > max)
			break;		/* the writer answers 552 5.3.4 */
	}
	if (r == -1 || lseek(t, 0, SEEK_SET) == -1) {
		save = errno;
		close(t);
		errno = save;
		return -1;
	}
	return t;
}

/* Send one request on s: the arguments past argv[0], and fd or mem. */
static int
send_request(int s, int argc, char *const argv[], int fd, const void *mem,
    size_t len)
{
	struct req_head h;
	struct buf b = BUF_INIT;
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr	 c;
		char		 b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct cmsghdr *cm;
	ssize_t r;
	int i, ret = -1;

	for (i = 1; i < argc; i++)
		if (buf_put(&b, argv[i], strlen(argv[i]) + 1) == -1)
			goto out;
	if (b.len > QWRITER_ARGV_MAX || len > QWRITER_INLINE_MAX) {
		errno = E2BIG;
		goto out;
	}
	memcpy(h.magic, "PQW1", 4);
	h.argv_len = (uint32_t)b.len;
	h.mem_len = fd == -1 ? (uint32_t)len : 0;
	h.flags = fd == -1 ? 0 : QWRITER_F_FD;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &h;
	iov.iov_len = sizeof(h);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		r = sendmsg(s, &mh, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		goto out;
	/* the descriptor went with the first byte; the rest is plain */
	if (send_all(s, (char *)&h + r, sizeof(h) - (size_t)r) == -1 ||
	    send_all(s, b.s, b.len) == -1 ||
	    (fd == -1 && len > 0 && send_all(s, mem, len) == -1))
		goto out;
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

/* The writer's reply: its code, the text in text.  -1: no reply. */
static int
read_reply(int s, int timeout_ms, struct buf *text)
{
	struct rep_head h;
	long end = now_ms() + timeout_ms;
	int r;

	if ((r = read_exact(s, &h, sizeof(h), end)) != 0) {
		if (r == 1)
			errno = EPIPE;
		return -1;
	}
	if (memcmp(h.magic, "PQR1", 4) != 0 || h.len > QWRITER_REPLY_MAX) {
		errno = EPROTO;
		return -1;
	}
	if (buf_ready(text, h.len + 1) == -1)
		return -1;
	buf_reset(text);
	if (h.len > 0 && read_exact(s, text->s, h.len, end) != 0) {
		if (errno == 0)
			errno = EPIPE;
		return -1;
	}
	text->len = h.len;
	text->s[h.len] = '\0';
	return h.code;
}

/* 1 connected (conn), 0 no socket here, -1 error. */
static int
writer_connect(void)
{
	struct sockaddr_un sa;
	struct stat st;
	int s, save;

	if (conn != -1)
		return 1;
	if (sock_addr(&sa, queue_dir()) == -1)
		return -1;
	if (lstat(sa.sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK;
		return -1;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		save = errno;
		close(s);
		errno = save;
		return -1;
	}
	conn = s;
	return 1;
}

static void
writer_drop(void)
{
	if (conn != -1)
		close(conn);
	conn = -1;
}

/* Log and set the reply: the writer could not be reached or answer. */
static int
unreachable(struct buf *reply, const char *what)
{
	warn_sys("unable to %s queue-writer at %s/%s", what, queue_dir(),
	    QWRITER_SOCKET);
	buf_reset(reply);
	(void)buf_puts(reply, "451 4.3.0 queue unavailable");
	return EXIT_TEMP;
}

int
queue_submit(int argc, char *const argv[], int fd, const void *mem,
    size_t len, int timeout_ms, struct buf *id_r, struct buf *reply_r)
{
	int reused = conn != -1, r, code, f = -1;

	if ((r = writer_connect()) == 0)
		return queue_inject_run(argc, argv, fd, mem, len, id_r,
		    reply_r);
	if (r == -1)
		return unreachable(reply_r, "connect to");
	if (fd != -1 && (f = regular_copy(fd)) == -1) {
		warn_sys("unable to read the message");
		buf_reset(reply_r);
		(void)buf_puts(reply_r, "451 4.3.0 unable to read the message");
		return EXIT_TEMP;
	}
	if (timeout_ms <= 0)
		timeout_ms = QWRITER_IDLE_MS;
	for (;;) {
		if (send_request(conn, argc, argv, f, mem, len) == 0)
			break;
		if (errno == E2BIG) {
			buf_reset(reply_r);
			(void)buf_puts(reply_r, "552 5.3.4 message too big");
			code = EXIT_PERM;
			goto out;
		}
		/* a kept connection the writer closed meanwhile (it was
		 * restarted): once more on a new one; nothing was sent */
		writer_drop();
		if (!reused || writer_connect() != 1) {
			code = unreachable(reply_r, "send to");
			goto out;
		}
		reused = 0;
	}
	buf_reset(id_r);
	buf_reset(reply_r);
	code = read_reply(conn, timeout_ms, reply_r);
	if (code == -1) {
		writer_drop();
		code = unreachable(reply_r, "read the reply of");
		goto out;
	}
	if (code == 0) {
		if (buf_set(id_r, reply_r->s, reply_r->len) == -1)
			buf_reset(id_r);	/* queued all the same */
		buf_reset(reply_r);
	} else if (code != EXIT_PERM && code != EXIT_TEMP &&
	    code != QUEUE_INJECT_USAGE) {
		code = unreachable(reply_r, "understand");
	}
out:
	if (f != -1)
		close(f);
	return code;
}

/* ---- the writer --------------------------------------------------- */

static volatile sig_atomic_t got_chld, got_term;

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

/* Send the reply to one request. */
static int
send_reply(int c, int code, const char *text, size_t n)
{
	struct rep_head h;

	if (n > QWRITER_REPLY_MAX)
		n = QWRITER_REPLY_MAX;
	memcpy(h.magic, "PQR1", 4);
	h.code = code;
	h.len = (uint32_t)n;
	return send_all(c, &h, sizeof(h)) == -1 || send_all(c, text, n) == -1 ?
	    -1 : 0;
}

/*
 * The head of a request, and its descriptor in *fd (-1: none).  0 read,
 * 1 the client is done, -1 error (logged by the caller).
 */
static int
read_head(int c, struct req_head *h, int *fd)
{
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr	 c;
		char		 b[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct cmsghdr *cm;
	struct pollfd pfd = { .fd = c, .events = POLLIN };
	int fds[4];
	size_t i, n;
	ssize_t r;

	*fd = -1;
	do
		r = poll(&pfd, 1, QWRITER_IDLE_MS);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return 1;	/* idle past any session: let it go */
	if (r == -1)
		return -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = h;
	iov.iov_len = sizeof(*h);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	do
		r = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	while (r == -1 && errno == EINTR);
	if (r <= 0)
		return r == 0 ? 1 : -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (i = 0; i < n; i++) {
			if (*fd == -1)
				*fd = fds[i];
			else
				close(fds[i]);	/* one is all a request has */
		}
	}
	if ((mh.msg_flags & MSG_CTRUNC) ||
	    read_exact(c, (char *)h + r, sizeof(*h) - (size_t)r,
	    now_ms() + QWRITER_IO_MS) != 0)
		goto bad;
	if (memcmp(h->magic, "PQW1", 4) != 0 || h->argv_len == 0 ||
	    h->argv_len > QWRITER_ARGV_MAX || h->mem_len > QWRITER_INLINE_MAX ||
	    (h->flags & ~(uint32_t)QWRITER_F_FD) != 0 ||
	    ((h->flags & QWRITER_F_FD) != 0) != (*fd != -1) ||
	    (*fd != -1 && h->mem_len != 0)) {
		errno = EPROTO;
		goto bad;
	}
	return 0;
bad:
	if (*fd != -1)
		close(*fd);
	*fd = -1;
	return -1;
}

/* The arguments of a request in args (NUL-terminated strings) as an
 * argv with argv[0] "queue-inject"; NULL when malformed (EPROTO). */
static char **
split_args(struct buf *args, int *argc)
{
	char **v;
	size_t i, n = 0;

	if (args->len == 0 || args->s[args->len - 1] != '\0') {
		errno = EPROTO;
		return NULL;
	}
	for (i = 0; i < args->len; i++)
		if (args->s[i] == '\0')
			n++;
	if (n > QWRITER_ARGS_MAX) {
		errno = EPROTO;
		return NULL;
	}
	if ((v = calloc(n + 2, sizeof(*v))) == NULL)
		return NULL;
	v[0] = "queue-inject";
	for (i = 0, n = 1; i < args->len; i += strlen(args->s + i) + 1)
		v[n++] = args->s + i;
	*argc = (int)n;
	return v;
}

/* One request on c: 0 answered, 1 the client is done, -1 end (logged). */
static int
serve_request(int c, const char *peer)
{
	struct req_head h;
	struct buf args = BUF_INIT, mem = BUF_INIT, id = BUF_INIT,
	    reply = BUF_INIT;
	struct stat st;
	char **argv = NULL;
	long end;
	int fd, r, argc, code, ret = -1;

	if ((r = read_head(c, &h, &fd)) != 0) {
		if (r == -1)
			warn_sys("bad request %s", peer);
		return r;
	}
	end = now_ms() + QWRITER_IO_MS;
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		/* a pipe or socket could hold this process for ever */
		log_warn("bad request %s: not a regular file", peer);
		goto out;
	}
	if (buf_ready(&args, h.argv_len) == -1 ||
	    buf_ready(&mem, h.mem_len + 1) == -1) {
		log_warn("out of memory %s", peer);
		goto out;
	}
	if (read_exact(c, args.s, h.argv_len, end) != 0 ||
	    (h.mem_len > 0 && read_exact(c, mem.s, h.mem_len, end) != 0)) {
		if (errno == 0)
			errno = EPIPE;
		warn_sys("unable to read a request %s", peer);
		goto out;
	}
	args.len = h.argv_len;
	mem.len = h.mem_len;
	if ((argv = split_args(&args, &argc)) == NULL) {
		warn_sys("bad request %s", peer);
		goto out;
	}
	code = queue_inject_run(argc, argv, fd, mem.s, mem.len, &id, &reply);
	if (code == 0)
		r = send_reply(c, 0, id.s, id.len);
	else
		r = send_reply(c, code, reply.s != NULL ? reply.s : "",
		    reply.len);
	if (r == -1)
		warn_sys("%s unable to reply %s", code == 0 ? id.s : "-",
		    peer);
	else
		ret = 0;
out:
	if (fd != -1)
		close(fd);
	free(argv);
	buf_free(&args);
	buf_free(&mem);
	buf_free(&id);
	buf_free(&reply);
	return ret;
}

/* Every request of the connection c, until the client is done. */
static void
serve_conn(int c)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char peer[64] = "peer=?";

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0)
		snprintf(peer, sizeof(peer), "uid=%ld pid=%ld",
		    (long)cr.uid, (long)cr.pid);
	while (!got_term && serve_request(c, peer) == 0)
		;
}

/* Bind the socket at sa: a stale one (nobody listening) is replaced,
 * with the mode and the queue directory's group; returns the fd. */
static int
writer_bind(struct sockaddr_un *sa, const char *dir)
{
	struct stat st;
	mode_t old;
	int s, t, r;

	if (stat(dir, &st) == -1)
		return -1;
	if ((t = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = connect(t, (struct sockaddr *)sa, sizeof(*sa));
	close(t);
	if (r == 0) {
		errno = EADDRINUSE;	/* another writer serves this queue */
		return -1;
	}
	if (unlink(sa->sun_path) == -1 && errno != ENOENT)
		return -1;
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	old = umask(0177);		/* 0600 until the mode is set */
	r = bind(s, (struct sockaddr *)sa, sizeof(*sa));
	umask(old);
	if (r == -1 ||
	    (st.st_gid != getegid() && chown(sa->sun_path, (uid_t)-1,
	    st.st_gid) == -1) ||
	    chmod(sa->sun_path, QWRITER_MODE) == -1 ||
	    listen(s, SOMAXCONN) == -1) {
		r = errno;
		close(s);
		errno = r;
		return -1;
	}
	return s;
}

/*
 * The workers.  Each is forked ahead of time and serves connections one
 * after the other, for as long as it lives: no fork per connection (nor
 * per message), which matters when a client connects per message.  The
 * listening process keeps QWRITER_SPARES of them idle, up to maxconn in
 * all; a worker that finds more than twice that many idle after a
 * connection exits.  Each worker has a slot in shared memory saying
 * whether it is idle, and the idle count beside them: whoever takes a
 * slot out of idle (the worker at accept, or the listening process when
 * it reaps a worker that died) takes it off the count, so a worker
 * killed while idle is not counted for ever.  A worker that takes a
 * connection wakes the listening process through a pipe.  When the
 * listening process ends, each worker gets SIGTERM (PR_SET_PDEATHSIG):
 * an idle one exits, a busy one once its client has had the answer to
 * the request under way.
 */
#define QWRITER_SPARES	4

enum { SLOT_FREE, SLOT_IDLE, SLOT_BUSY };

struct pool {
	int		 idle;		/* slots SLOT_IDLE */
	int		 slot[];	/* maxconn of them */
};

/* Slot i leaves the idle state (to state): the count follows. */
static void
slot_leave(struct pool *p, size_t i, int state)
{
	if (__atomic_exchange_n(&p->slot[i], state, __ATOMIC_SEQ_CST) ==
	    SLOT_IDLE)
		__atomic_sub_fetch(&p->idle, 1, __ATOMIC_SEQ_CST);
}

static void __attribute__((noreturn))
worker(int s, int wake, struct pool *p, size_t me, pid_t parent)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	int c;

#ifdef PR_SET_PDEATHSIG
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(EXIT_DONE);
#else
	(void)parent;
#endif
	for (;;) {			/* idle: the slot says so already */
		c = -1;
		while (!got_term && c == -1) {
			/* poll, not accept: a signal interrupts it (EINTR),
			 * whatever SA_RESTART; the socket is non-blocking, so
			 * the workers woken with this one that lose the race
			 * go back to waiting */
			if (poll(&pfd, 1, -1) == -1)
				continue;
			c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
			if (c == -1 && errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				warn_sys("unable to accept");
				pause_ms(100);
			}
		}
		slot_leave(p, me, SLOT_BUSY);
		if (c == -1)
			_exit(EXIT_DONE);	/* SIGTERM */
		/* the listening process may want a spare more */
		(void)!write(wake, "", 1);
		if (fcntl(c, F_SETFL, fcntl(c, F_GETFL) & ~O_NONBLOCK) == -1)
			warn_sys("unable to set up a connection");
		else
			serve_conn(c);
		close(c);
		if (got_term ||
		    __atomic_load_n(&p->idle, __ATOMIC_SEQ_CST) >=
		    2 * QWRITER_SPARES)
			_exit(EXIT_DONE);
		__atomic_add_fetch(&p->idle, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&p->slot[me], SLOT_IDLE, __ATOMIC_SEQ_CST);
	}
}

/* Reap the workers that ended; their slots are free again. */
static void
reap_workers(struct pool *p, pid_t *pids, size_t n, unsigned long *workers)
{
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < n && pids[i] != pid; i++)
			;
		if (i < n) {
			slot_leave(p, i, SLOT_FREE);
			pids[i] = 0;
			(*workers)--;
		}
		if (WIFSIGNALED(st))
			log_warn("worker pid=%ld killed by signal %d",
			    (long)pid, WTERMSIG(st));
	}
}

/* Fork a worker into a free slot: 0, or -1 (logged). */
static int
spawn_worker(int s, int wake[2], struct pool *p, pid_t *pids, size_t n,
    const sigset_t *mask)
{
	pid_t pid, me = getpid();
	size_t i;

	for (i = 0; i < n && pids[i] != 0; i++)
		;
	if (i == n)
		return -1;
	/* idle from now: the listening process counts it before it runs */
	__atomic_add_fetch(&p->idle, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->slot[i], SLOT_IDLE, __ATOMIC_SEQ_CST);
	if ((pid = fork()) == -1) {
		warn_sys("unable to fork");
		slot_leave(p, i, SLOT_FREE);
		return -1;
	}
	if (pid == 0) {
		close(wake[0]);
		sigprocmask(SIG_SETMASK, mask, NULL);
		worker(s, wake[1], p, i, me);
	}
	pids[i] = pid;
	return 0;
}

int
qwriter_serve(unsigned long maxconn)
{
	struct sockaddr_un sa;
	struct sigaction act;
	struct pool *pool;
	sigset_t block, old;
	fd_set rfds;
	unsigned long workers = 0;
	const char *dir = queue_dir();
	char drain[64];
	pid_t *pids = NULL;
	size_t psize;
	int s = -1, wake[2] = { -1, -1 }, ret = -1, save;

	if (maxconn == 0)
		maxconn = QWRITER_MAXCONN_DEFAULT;
	psize = sizeof(*pool) + maxconn * sizeof(pool->slot[0]);
	pool = mmap(NULL, psize, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED)
		return -1;		/* zeroed: every slot SLOT_FREE */
	if ((pids = calloc(maxconn, sizeof(*pids))) == NULL ||
	    pipe2(wake, O_CLOEXEC | O_NONBLOCK) == -1)
		goto out;
	/* the signals first: a SIGTERM once the socket is there must
	 * remove it */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	act.sa_flags = SA_RESTART;	/* the workers' fsyncs and reads go on */
	sigemptyset(&act.sa_mask);
	sigaction(SIGCHLD, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (sock_addr(&sa, dir) == -1 || (s = writer_bind(&sa, dir)) == -1)
		goto out;
	if (wake[0] >= FD_SETSIZE) {
		errno = EMFILE;
		goto out;
	}
	if (fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK) == -1)
		goto out;
	log_info("listening socket=%s maxconn=%lu", sa.sun_path, maxconn);
	for (;;) {
		if (got_term) {
			/* the workers follow (PR_SET_PDEATHSIG) */
			(void)unlink(sa.sun_path);
			log_info("stopping on SIGTERM workers=%lu", workers);
			ret = 0;
			goto out;
		}
		if (got_chld) {
			got_chld = 0;
			reap_workers(pool, pids, maxconn, &workers);
		}
		while (read(wake[0], drain, sizeof(drain)) > 0)
			;
		/* at maxconn the clients wait in the backlog */
		while (workers < maxconn &&
		    __atomic_load_n(&pool->idle, __ATOMIC_SEQ_CST) <
		    QWRITER_SPARES) {
			if (spawn_worker(s, wake, pool, pids, maxconn,
			    &old) == -1) {
				pause_ms(100);
				break;
			}
			workers++;
		}
		FD_ZERO(&rfds);
		FD_SET(wake[0], &rfds);
		if (pselect(wake[0] + 1, &rfds, NULL, NULL, NULL, &old) == -1 &&
		    errno != EINTR)
			goto out;
	}
out:
	save = errno;
	if (s != -1)
		close(s);
	if (wake[0] != -1) {
		close(wake[0]);
		close(wake[1]);
	}
	free(pids);
	munmap(pool, psize);
	errno = save;
	return ret;
}
