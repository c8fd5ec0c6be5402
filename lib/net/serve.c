/*
 * serve: accept connections on a listening fd 0 and fork a process per
 * connection; tcprules(1) CDB rules.  See serve.h.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cdbtab.h"
#include "base/log.h"
#include "base/num.h"
#include "net/connlimit.h"
#include "net/serve.h"

static volatile sig_atomic_t got_chld, got_term;

/*
 * The table of sessions per client (net/connlimit.h), in memory shared
 * by the listening process and every process it forks: a spare counts
 * the connection it took, the listening process uncounts it when it
 * reaps that process.  NULL outside serve_loop.
 */
static struct connlimit *cl_table;
static size_t cl_size;
static unsigned long stress_at;	/* sessions from which serve_stressed */

int
serve_stressed(void)
{
	return cl_table != NULL && connlimit_sessions(cl_table) >= stress_at;
}

static long
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGTERM)
		got_term = 1;
	/* SIGHUP: nothing to reload */
}

int
serve_is_listener(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1)
		return 0;
	return v != 0;
}

int
serve_addr_str(const struct sockaddr *sa, char *ip, size_t ipsize,
    unsigned *port)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	switch (sa->sa_family) {
	case AF_INET:
		s4 = (const struct sockaddr_in *)(const void *)sa;
		if (inet_ntop(AF_INET, &s4->sin_addr, ip, ipsize) == NULL)
			return -1;
		*port = ntohs(s4->sin_port);
		return 0;
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			if (inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip,
			    ipsize) == NULL)
				return -1;
		} else if (inet_ntop(AF_INET6, &s6->sin6_addr, ip,
		    ipsize) == NULL)
			return -1;
		*port = ntohs(s6->sin6_port);
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

/* the rule's instructions: "D" denies; else "+NAME=value\0" each */
static int
rule_apply(const char *p, size_t n)
{
	const char *end = p + n, *z, *eq;
	char *name;
	int r;

	if (n > 0 && p[0] == 'D')
		return 0;
	for (; p < end; p = z + 1) {
		if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL ||
		    p[0] != '+' ||
		    (eq = memchr(p, '=', (size_t)(z - p))) == NULL ||
		    eq == p + 1) {
			errno = EINVAL;
			return -1;
		}
		if ((name = strndup(p + 1, (size_t)(eq - p - 1))) == NULL)
			return -1;
		r = setenv(name, eq + 1, 1);
		free(name);
		if (r == -1)
			return -1;
	}
	return 1;
}

int
serve_rules(const char *path, const char *ip)
{
	struct buf val = BUF_INIT;
	size_t n = strlen(ip);
	int r;

	/* tcprules(1): the address, then shorter prefixes ending with a
	 * separator, then ""; the first rule found is followed */
	for (;;) {
		if ((r = cdbtab_lookup(path, ip, n, &val)) == -1)
			break;
		if (r == 1) {
			r = rule_apply(val.s, val.len);
			break;
		}
		if (n == 0) {
			r = 1;		/* no rule: allowed, as tcpserver does */
			break;
		}
		do
			n--;
		while (n > 0 && ip[n - 1] != '.' && ip[n - 1] != ':');
	}
	buf_free(&val);
	return r;
}

/*
 * The listening process keeps SERVE_SPARES children forked ahead, each
 * blocked in accept(2) on the listening socket, so that no fork is on a
 * connection's path; the kernel wakes one of them per connection.  A
 * spare that has accepted writes its pid on the notify pipe and becomes
 * a session; the parent then forks the next.  On SIGTERM the parent
 * shuts the listening socket down, which ends every spare's accept; on
 * Linux a spare also dies with the parent however it ends
 * (PR_SET_PDEATHSIG), so that none is left holding the port.
 *
 * Limits: a spare asks the shared table, in one lock, whether the
 * client may have another session; when not, it writes the refusal and
 * waits for the next connection (no fork is spent on a refusal).  When
 * all maxconn sessions are under way there is no spare: the listening
 * process then watches the socket itself (non-blocking while no spare
 * waits on it), and answers each connection with busy_reply.
 */
#define SERVE_SPARES	4
/* connections the listening process refuses per wake-up */
#define SERVE_REFUSE_BATCH	64

struct server;

static int	child_setup(int, int, const struct sockaddr *,
		    const struct serve_opts *);
static void	read_notify(struct server *);

struct server {
	const struct serve_opts *o;
	int		 lfd;
	int		 notify[2];
	unsigned long	 max, busy;
	pid_t		 spare[SERVE_SPARES];
	size_t		 nspare;
	int		 spare_died;	/* one ended without a connection */
	int		 nonblock;	/* lfd is O_NONBLOCK (no spare) */
	int		 stressed;	/* as last logged */
	sigset_t	 oldmask;
	struct sigaction old_chld, old_term, old_hup;
};

static int
spare_drop(struct server *sv, pid_t pid)
{
	size_t i;

	for (i = 0; i < sv->nspare; i++)
		if (sv->spare[i] == pid) {
			sv->spare[i] = sv->spare[--sv->nspare];
			return 1;
		}
	return 0;
}

static void
reap(struct server *sv)
{
	pid_t pid;
	int st;

	/* a spare that took a connection said so before its session
	 * could end: read that first */
	read_notify(sv);
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		/* its session, if it recorded one, is over */
		if (connlimit_release(cl_table, pid) == -1)
			warn_sys("unable to lock the connection table");
		if (spare_drop(sv, pid)) {
			log_warn("spare pid=%ld ended before a connection "
			    "status=%d", (long)pid, WIFEXITED(st) ?
			    WEXITSTATUS(st) : 128 + WTERMSIG(st));
			sv->spare_died = 1;
		} else if (sv->busy > 0)
			sv->busy--;
		if (WIFSIGNALED(st))
			log_warn("session pid=%ld killed by signal %d",
			    (long)pid, WTERMSIG(st));
	}
}

static const char *const refusal[] = {
	[CONNLIMIT_PER_ADDR] = "per-address-limit",
	[CONNLIMIT_RATE] = "rate-limit",
	[CONNLIMIT_FULL] = "maxconn",
};

static void
log_refused(const struct sockaddr *peer, const struct connlimit_res *r)
{
	char ip[INET6_ADDRSTRLEN], more[64];
	unsigned port;

	if (serve_addr_str(peer, ip, sizeof(ip), &port) == -1)
		snprintf(ip, sizeof(ip), "-");
	more[0] = '\0';
	if (r->verdict == CONNLIMIT_RATE)
		snprintf(more, sizeof(more), " window=%d", CONNLIMIT_WINDOW);
	if (r->suppressed > 0)
		snprintf(more + strlen(more), sizeof(more) - strlen(more),
		    " suppressed=%lu", r->suppressed);
	log_info("refused ip=%s reason=%s %s=%lu limit=%lu%s", ip,
	    refusal[r->verdict], r->verdict == CONNLIMIT_FULL ? "sessions" :
	    "conns", r->count, r->limit, more);
}

/* A connection refused: the reply in one try, never a read, closed.
 * RFC 5321 3.8: a server that must refuse a session may answer 421 to
 * the connection (rather than 220) and close it. */
static void
refuse(int c, const char *reply)
{
	if (reply != NULL)
		(void)send(c, reply, strlen(reply), MSG_DONTWAIT |
		    MSG_NOSIGNAL);
	close(c);
}

/*
 * In a spare, for the connection c it took from peer: 1 serve it (the
 * session is in the table, for the pid me), 0 refused (answered and
 * closed).  A client that is not IP has no address to count; a table
 * that cannot be locked (it cannot be, short of a bug) admits, warned:
 * -c still holds.
 */
static int
spare_admit(struct server *sv, pid_t me, int c, const struct sockaddr *peer)
{
	struct connlimit_key k;
	struct connlimit_res r;

	if (connlimit_key(peer, &k) == -1)
		return 1;
	if (connlimit_admit(cl_table, &k, me, mono_s(), &r) == -1) {
		warn_sys("unable to lock the connection table");
		return 1;
	}
	if (r.verdict == CONNLIMIT_OK)
		return 1;
	if (r.log)
		log_refused(peer, &r);
	refuse(c, r.verdict == CONNLIMIT_FULL ? sv->o->busy_reply :
	    sv->o->limit_reply);
	return 0;
}

/* in a spare: wait for a connection and take it */
static int
spare_accept(struct server *sv, pid_t parent,
    struct sockaddr_storage *peer)
{
	socklen_t len;
	pid_t me = getpid();
	int c;

#ifdef PR_SET_PDEATHSIG
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(EXIT_TEMP);	/* or the parent is gone already */
#else
	(void)parent;
#endif
	for (;;) {
		len = sizeof(*peer);
		if ((c = accept(sv->lfd, (struct sockaddr *)peer,
		    &len)) >= 0) {
			if (spare_admit(sv, me, c, (struct sockaddr *)peer))
				break;
			continue;	/* refused: the next one */
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;	/* the client went before we took it */
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			warn_sys("unable to accept a connection");
			pause_ms(100);
			continue;
		case EINVAL:
			_exit(EXIT_DONE);	/* the listener shut it down */
		}
		warn_sys("unable to accept a connection");
		_exit(EXIT_TEMP);
	}
#ifdef PR_SET_PDEATHSIG
	/* a session outlives the listener, as under tcpserver */
	(void)prctl(PR_SET_PDEATHSIG, 0);
#endif
	/* a pid is less than PIPE_BUF: written whole or not at all */
	if (write(sv->notify[1], &me, sizeof(me)) != (ssize_t)sizeof(me))
		warn_sys("unable to tell the listening process");
	close(sv->notify[1]);
	/* a session only reads the table (serve_stressed) from now on */
	(void)mprotect(cl_table, cl_size, PROT_READ);
	return c;
}

/* lfd blocking (spares wait on it) or not (the listening process
 * refuses on it alone) */
static int
lfd_nonblock(struct server *sv, int on)
{
	int fl;

	if (sv->nonblock == on)
		return 0;
	if ((fl = fcntl(sv->lfd, F_GETFL)) == -1 ||
	    fcntl(sv->lfd, F_SETFL, on ? fl | O_NONBLOCK :
	    fl & ~O_NONBLOCK) == -1) {
		warn_sys("unable to change the listening socket's mode");
		return -1;
	}
	sv->nonblock = on;
	return 0;
}

/*
 * In the listening process, every session under way and no spare: the
 * connections waiting are taken and answered busy_reply, rather than
 * left in the backlog for minutes (issue 9.9).  Logged as a spare logs
 * its refusals (at most CONNLIMIT_LOG_PER_S lines a second).
 */
static void
refuse_busy(struct server *sv)
{
	struct sockaddr_storage peer;
	struct connlimit_res r;
	socklen_t len;
	int c, i;

	for (i = 0; i < SERVE_REFUSE_BATCH; i++) {
		len = sizeof(peer);
		if ((c = accept(sv->lfd, (struct sockaddr *)&peer,
		    &len)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* EMFILE and such: the socket stays
				 * readable, so no busy loop */
				warn_sys("unable to accept a connection");
				pause_ms(100);
			}
			return;
		}
		refuse(c, sv->o->busy_reply);
		memset(&r, 0, sizeof(r));
		r.verdict = CONNLIMIT_FULL;
		r.count = sv->busy;
		r.limit = sv->max;
		if (connlimit_log_ok(cl_table, mono_s(), &r.suppressed) == 1)
			log_refused((struct sockaddr *)&peer, &r);
	}
}

static int
spare_fork(struct server *sv)
{
	struct sockaddr_storage peer;
	pid_t pid, parent = getpid();
	int c;

	if (sv->o->prefork != NULL)
		sv->o->prefork(sv->o->arg);
	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0) {
		sv->spare[sv->nspare++] = pid;
		return 0;
	}
	sigaction(SIGCHLD, &sv->old_chld, NULL);
	sigaction(SIGTERM, &sv->old_term, NULL);
	sigaction(SIGHUP, &sv->old_hup, NULL);
	sigprocmask(SIG_SETMASK, &sv->oldmask, NULL);
	close(sv->notify[0]);
	c = spare_accept(sv, parent, &peer);
	if (child_setup(sv->lfd, c, (struct sockaddr *)&peer, sv->o) == -1) {
		warn_sys("unable to set up the connection");
		_exit(EXIT_TEMP);
	}
	return 1;
}

/* pids from spares that took a connection */
static void
read_notify(struct server *sv)
{
	pid_t pids[64];
	ssize_t n, i;

	while ((n = read(sv->notify[0], pids, sizeof(pids))) > 0)
		for (i = 0; i < n / (ssize_t)sizeof(pid_t); i++)
			if (spare_drop(sv, pids[i]))
				sv->busy++;
}

/* in the child: the connection on fds 0 and 1, tcpserver's variables */
static int
child_setup(int lfd, int c, const struct sockaddr *peer,
    const struct serve_opts *o)
{
	struct sockaddr_storage ls;
	socklen_t len = sizeof(ls);
	char ip[INET6_ADDRSTRLEN], lip[INET6_ADDRSTRLEN], port[16];
	unsigned pn, lpn;
	int r, fl;

	if (lfd != c && lfd > 1)
		close(lfd);
	if ((fl = fcntl(c, F_GETFL)) == -1 ||
	    fcntl(c, F_SETFL, fl & ~O_NONBLOCK) == -1 ||
	    dup2(c, 0) == -1 || dup2(c, 1) == -1)
		return -1;
	if (c > 1)
		close(c);
	if (serve_addr_str(peer, ip, sizeof(ip), &pn) == -1 ||
	    getsockname(0, (struct sockaddr *)&ls, &len) == -1 ||
	    serve_addr_str((struct sockaddr *)&ls, lip, sizeof(lip),
	    &lpn) == -1)
		return -1;
	unsetenv("TCPREMOTEHOST");
	unsetenv("TCPREMOTEINFO");
	unsetenv("TCPLOCALHOST");
	if (setenv("PROTO", "TCP", 1) == -1 ||
	    setenv("TCPREMOTEIP", ip, 1) == -1 ||
	    setenv("TCPLOCALIP", lip, 1) == -1)
		return -1;
	snprintf(port, sizeof(port), "%u", pn);
	if (setenv("TCPREMOTEPORT", port, 1) == -1)
		return -1;
	snprintf(port, sizeof(port), "%u", lpn);
	if (setenv("TCPLOCALPORT", port, 1) == -1)
		return -1;
	if (o->rules == NULL)
		return 0;
	if ((r = serve_rules(o->rules, ip)) == -1) {
		warn_sys("unable to apply rules file=%s ip=%s", o->rules, ip);
		_exit(EXIT_TEMP);
	}
	if (r == 0) {
		log_info("denied ip=%s", ip);
		_exit(EXIT_DONE);
	}
	return 0;
}

/* The table, the notify pipe and the signals: 0 / -1. */
static int
server_init(struct server *sv, int lfd, const struct serve_opts *o)
{
	struct sigaction sa;
	sigset_t block;
	uint64_t seed;
	void *mem;

	memset(sv, 0, sizeof(*sv));
	sv->o = o;
	sv->lfd = lfd;
	sv->max = o->maxconn ? o->maxconn : SERVE_MAXCONN_DEFAULT;
	if (sv->max > CONNLIMIT_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (lfd >= FD_SETSIZE) {
		errno = EMFILE;
		return -1;
	}
	/* the table, shared by every process forked from here on */
	cl_size = connlimit_size(sv->max);
	if ((mem = mmap(NULL, cl_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return -1;
	if (getentropy(&seed, sizeof(seed)) == -1)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if ((cl_table = connlimit_init(mem, cl_size, sv->max, o->per_addr,
	    o->rate, seed)) == NULL) {
		munmap(mem, cl_size);
		return -1;
	}
	stress_at = (sv->max * SERVE_STRESS_PCT + 99) / 100;
	if (pipe(sv->notify) == -1)
		return -1;
	if (sv->notify[0] >= FD_SETSIZE) {
		errno = EMFILE;
		return -1;
	}
	if (fcntl(sv->notify[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sv->notify[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(sv->notify[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    /* spares block in accept: the kernel wakes one per connection */
	    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) & ~O_NONBLOCK) == -1)
		return -1;
	/* signals arrive only inside pselect or sigsuspend: no race
	 * between testing a flag and waiting */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &block, &sv->oldmask) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, &sv->old_chld) == -1 ||
	    sigaction(SIGTERM, &sa, &sv->old_term) == -1 ||
	    sigaction(SIGHUP, &sa, &sv->old_hup) == -1)
		return -1;
	return 0;
}

/*
 * SIGTERM: stop listening at once, for every spare (the socket is
 * shared): their accept fails and they go, while connections already
 * taken go on.  Where shutdown does not do that, the spares are killed.
 */
static void __attribute__((noreturn))
server_stop(struct server *sv)
{
	size_t i;

	if (shutdown(sv->lfd, SHUT_RDWR) == -1) {
		read_notify(sv);
		for (i = 0; i < sv->nspare; i++)
			kill(sv->spare[i], SIGTERM);
	}
	log_info("stopping on SIGTERM sessions=%lu", sv->busy);
	exit(EXIT_DONE);
}

/* Fork spares up to SERVE_SPARES within the limit: 1 in a child that
 * took a connection, else 0. */
static int
keep_spares(struct server *sv)
{
	int r;

	while (sv->nspare < SERVE_SPARES && sv->busy + sv->nspare < sv->max) {
		/* spares wait in a blocking accept */
		if (lfd_nonblock(sv, 0) == -1) {
			pause_ms(100);
			break;
		}
		if ((r = spare_fork(sv)) == 1)
			return 1;	/* a session, in the child */
		if (r == -1) {
			warn_sys("unable to fork");
			pause_ms(100);
			break;
		}
	}
	return 0;
}

/* Log the changes of state: the limit reached, stress begun or ended. */
static void
log_state(struct server *sv, int *full)
{
	int r;

	if (sv->busy >= sv->max) {
		if (!*full)
			log_info("limit reached maxconn=%lu", sv->max);
		*full = 1;
	} else
		*full = 0;
	if ((r = serve_stressed()) != sv->stressed) {
		log_info("stress %s sessions=%lu threshold=%lu maxconn=%lu",
		    r ? "start" : "end", connlimit_sessions(cl_table),
		    stress_at, sv->max);
		sv->stressed = r;
	}
}

int
serve_loop(int lfd, const struct serve_opts *o)
{
	static struct server sv;
	fd_set rfds;
	int full = 0, watch, nfd, r;

	if (server_init(&sv, lfd, o) == -1)
		return -1;
	log_info("listening maxconn=%lu rules=%s peraddr=%lu rate=%lu "
	    "stress=%lu", sv.max, o->rules ? o->rules : "none", o->per_addr,
	    o->rate, stress_at);
	for (;;) {
		if (got_term)
			server_stop(&sv);
		if (got_chld) {
			got_chld = 0;
			reap(&sv);
		}
		read_notify(&sv);
		if (sv.spare_died) {
			/* whatever killed it may kill the next: no busy loop */
			sv.spare_died = 0;
			pause_ms(1000);
		}
		if (keep_spares(&sv))
			return 0;
		log_state(&sv, &full);
		/* no spare waits: the connections are the listener's to
		 * refuse */
		watch = sv.busy >= sv.max && sv.nspare == 0 &&
		    lfd_nonblock(&sv, 1) == 0;
		FD_ZERO(&rfds);
		FD_SET(sv.notify[0], &rfds);
		nfd = sv.notify[0];
		if (watch) {
			FD_SET(lfd, &rfds);
			if (lfd > nfd)
				nfd = lfd;
		}
		if ((r = pselect(nfd + 1, &rfds, NULL, NULL, NULL,
		    &sv.oldmask)) == -1 && errno != EINTR)
			return -1;
		if (r > 0 && watch && FD_ISSET(lfd, &rfds))
			refuse_busy(&sv);
	}
}
