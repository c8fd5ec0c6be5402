/*
 * serve: accept connections on a listening fd 0 and fork a process per
 * connection; tcprules(1) CDB rules.  See serve.h.
 */
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cdbtab.h"
#include "log.h"
#include "serve.h"

static volatile sig_atomic_t got_chld, got_term;

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

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
reap(unsigned long *active)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (*active > 0)
			(*active)--;
		if (WIFSIGNALED(st))
			log_warn("session pid=%ld killed by signal %d",
			    (long)pid, WTERMSIG(st));
	}
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
	int r;

	if (lfd != c && lfd > 1)
		close(lfd);
	if (fcntl(c, F_SETFL, fcntl(c, F_GETFL) & ~O_NONBLOCK) == -1 ||
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

int
serve_loop(int lfd, const struct serve_opts *o)
{
	struct sigaction sa, old_chld, old_term, old_hup;
	struct sockaddr_storage peer;
	socklen_t len;
	sigset_t block, old;
	fd_set rfds;
	unsigned long active = 0, max;
	int c, full = 0;
	pid_t pid;

	max = o->maxconn ? o->maxconn : SERVE_MAXCONN_DEFAULT;
	if (lfd >= FD_SETSIZE) {
		errno = EBADF;
		return -1;
	}
	/* signals arrive only inside pselect or sigsuspend: no race
	 * between testing a flag and waiting */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, &old_chld) == -1 ||
	    sigaction(SIGTERM, &sa, &old_term) == -1 ||
	    sigaction(SIGHUP, &sa, &old_hup) == -1)
		return -1;
	if (fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) == -1)
		return -1;
	log_info("listening maxconn=%lu rules=%s", max,
	    o->rules ? o->rules : "none");
	for (;;) {
		if (got_term) {
			log_info("stopping on SIGTERM sessions=%lu", active);
			exit(EXIT_DONE);
		}
		if (got_chld) {
			got_chld = 0;
			reap(&active);
		}
		if (active >= max) {
			if (!full)
				log_info("limit reached maxconn=%lu", max);
			full = 1;
			sigsuspend(&old);
			continue;
		}
		full = 0;
		FD_ZERO(&rfds);
		FD_SET(lfd, &rfds);
		if (pselect(lfd + 1, &rfds, NULL, NULL, NULL, &old) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		len = sizeof(peer);
		if ((c = accept(lfd, (struct sockaddr *)&peer, &len)) == -1) {
			switch (errno) {
			case EINTR:
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/* out of resources: do not spin on it */
				warn_sys("unable to accept a connection");
				pause_ms(100);
				continue;
			}
			return -1;
		}
		if ((pid = fork()) == -1) {
			warn_sys("unable to fork for a connection");
			close(c);
			pause_ms(100);
			continue;
		}
		if (pid == 0) {
			sigaction(SIGCHLD, &old_chld, NULL);
			sigaction(SIGTERM, &old_term, NULL);
			sigaction(SIGHUP, &old_hup, NULL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			if (child_setup(lfd, c, (struct sockaddr *)&peer,
			    o) == -1) {
				warn_sys("unable to set up the connection");
				_exit(EXIT_TEMP);
			}
			return 0;
		}
		close(c);
		active++;
	}
}
