/*
 * serve: the connection side of a network program.  A program such as
 * smtp-recv speaks one session on fds 0 and 1.  Under tcpserver (or a
 * test's pipe) that is all.  When fd 0 is a listening socket instead (as
 * tcp-listen hands it over), serve_loop makes the program its own
 * launcher: a process per connection, forked ahead of time (spares
 * waiting in accept), with no exec, so a connection costs a fork (about
 * 0.15 ms here, off the connection's way) rather than tcpserver's fork
 * and exec (about 1.7 ms with startup; DESIGN.md 10).  The listening
 * process never reads a byte of any connection, so no session sees
 * another's data.
 *
 * In the child, the environment is what tcpserver would set: PROTO=TCP,
 * TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT (IPv4-mapped
 * IPv6 addresses written as IPv4), and what a tcprules(1) CDB rule for
 * the client says (serve_rules).
 *
 * Return convention: 0 / -1 with errno set, unless stated otherwise.
 */
#ifndef POSTERN_SERVE_H
#define POSTERN_SERVE_H

#include <stddef.h>

#define SERVE_MAXCONN_DEFAULT	100
/* stress: sessions at or above this percentage of maxconn (rounded up) */
#define SERVE_STRESS_PCT	80

/*
 * Limits (issue 9.5, 9.9).  At most maxconn sessions at once; a
 * connection past them is accepted by the listening process itself,
 * given busy_reply and closed, never read (refusals are logged, at most
 * CONNLIMIT_LOG_PER_S lines a second, the others counted in the next
 * line).  Per client (an IPv4 address, an IPv6 /64: net/connlimit.h) at
 * most per_addr sessions at once and rate connections per
 * CONNLIMIT_WINDOW seconds; a connection past them gets limit_reply,
 * from the process that accepted it, which then waits for the next.  A
 * reply is one write with MSG_DONTWAIT (it is short: a full socket
 * buffer drops it) and NULL is none.
 */
struct serve_opts {
	unsigned long	 maxconn;	/* sessions at once; 0: default */
	const char	*rules;		/* tcprules CDB, or NULL */
	/* called in the listening process before each fork of a process
	 * that will take a connection (to load what sessions share, such
	 * as a TLS context), or NULL */
	void		(*prefork)(void *);
	void		*arg;
	unsigned long	 per_addr;	/* sessions per client; 0: no limit */
	unsigned long	 rate;		/* connections per client a minute;
					 * 0: no limit */
	const char	*busy_reply;	/* past maxconn, or NULL */
	const char	*limit_reply;	/* past per_addr or rate, or NULL */
};

/*
 * Stress (as Postfix's stress mode): 1 when the sessions under way are
 * SERVE_STRESS_PCT percent of maxconn or more, so that a session may
 * shorten its waits; 0 when not, and outside serve_loop's processes (a
 * session under tcpserver).  Cheap: one read of the shared table.
 */
int	serve_stressed(void);

/* 1 if fd is a listening socket, 0 if not (a connection, a pipe). */
int	serve_is_listener(int fd);

/*
 * Serve connections on lfd for ever.  Returns 0 in each child: the
 * connection is on fds 0 and 1, lfd is closed, signals are as at the
 * call, the environment is set as above and the rules have allowed the
 * client.  In the parent it returns only on failure (-1: lfd unusable);
 * SIGTERM ends the parent with exit 0 and stops listening (sessions in
 * progress go on, as under tcpserver); SIGHUP is ignored (control files
 * are read per session anyway).
 */
int	serve_loop(int lfd, const struct serve_opts *);

/*
 * Apply the tcprules(1) CDB at path for the client address ip: the
 * first rule found for ip itself, then for shorter prefixes of it
 * ending in '.' or ':', then for "" (no DNS name or ident rules).
 * Returns 1 allowed (the rule's variables set with setenv; also when no
 * rule matches, as under tcpserver), 0 denied by a rule, -1 error (an
 * unreadable file, a malformed rule: the caller fails closed).
 */
int	serve_rules(const char *path, const char *ip);

/*
 * Write the printable form of a socket address into ip (size ipsize,
 * IPv4-mapped IPv6 as IPv4) and its port into *port.
 */
struct sockaddr;
int	serve_addr_str(const struct sockaddr *, char *ip, size_t ipsize,
	    unsigned *port);

#endif
