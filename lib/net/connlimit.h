/*
 * connlimit: the table of sessions per client that serve_loop shares
 * between its listening process and the processes it forks (issue 9.5).
 * It lives in memory the caller provides (serve_loop: an anonymous
 * MAP_SHARED mapping made before any fork), guarded by a process-shared
 * robust mutex, so that the process that accepts a connection counts it
 * and the listening process, which reaps that process, uncounts it:
 * no count is lost when a session dies, whatever kills it.  Nothing here
 * forks or knows of sockets beyond the key, so the unit test drives the
 * table in one process.
 *
 * A client is its address: IPv4 as it is, IPv6 by its /64 prefix (the
 * block one subscriber commonly gets, RFC 6177 / RFC 7934; any smaller
 * unit is one client's to spend), IPv4-mapped IPv6 (RFC 4291 2.5.5.2) as
 * the IPv4 address it maps.  Per client the table holds the sessions
 * under way and the connections admitted in the current window of
 * CONNLIMIT_WINDOW seconds (a fixed window: a client may get up to twice
 * its rate across a window's edge).
 *
 * Bounds: CONNLIMIT_SLOTS_MIN or more client slots, twice the session
 * limit rounded up to a power of two (so sessions fill at most half);
 * a client is looked up among CONNLIMIT_PROBE slots from its hash (a
 * hash keyed at random per table, so that nobody can choose addresses
 * that collide); a client with no session may be evicted for a new one,
 * the oldest window first, losing its rate count (a client that spends
 * many addresses to do that could use them directly anyway).
 *
 * Return convention: 0 / -1 with errno set, unless stated otherwise.
 */
#ifndef POSTERN_CONNLIMIT_H
#define POSTERN_CONNLIMIT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define CONNLIMIT_WINDOW	60	/* seconds: -R counts per minute */
#define CONNLIMIT_PROBE		32	/* slots looked at per client */
#define CONNLIMIT_SLOTS_MIN	256
#define CONNLIMIT_MAX		100000	/* sessions, as smtp-recv's -c */
/* refusals logged per second; the rest are counted, and the count is
 * in the next line logged (suppressed=N) */
#define CONNLIMIT_LOG_PER_S	10

struct sockaddr;
struct connlimit;

struct connlimit_key {
	uint8_t		 b[16];	/* an IPv6 address, or ::ffff:IPv4 */
};

/* The client key of a socket address (AF_INET, AF_INET6). */
int	connlimit_key(const struct sockaddr *, struct connlimit_key *);

/* The bytes a table for at most max sessions needs (max <= CONNLIMIT_MAX). */
size_t	connlimit_size(unsigned long max);

/*
 * Make a table in mem (size bytes from connlimit_size(max), aligned for
 * any type, zeroed): at most max sessions in all, per_addr per client
 * (0: no limit), rate connections per client per window (0: no limit);
 * seed keys the hash.  Returns the table, or NULL with errno set (the
 * mutex could not be made).
 */
struct connlimit *connlimit_init(void *mem, size_t size, unsigned long max,
	    unsigned long per_addr, unsigned long rate, uint64_t seed);

enum connlimit_verdict {
	CONNLIMIT_OK,		/* admitted: a session recorded for pid */
	CONNLIMIT_PER_ADDR,	/* the client has per_addr sessions */
	CONNLIMIT_RATE,		/* the client had rate connections */
	CONNLIMIT_FULL		/* max sessions, or no slot for the client */
};

struct connlimit_res {
	enum connlimit_verdict verdict;
	unsigned long	 count;	/* the client's sessions (PER_ADDR), or
				 * connections this window (RATE), or all
				 * sessions (FULL) */
	unsigned long	 limit;	/* the limit it met */
	int		 log;	/* a refusal to log (CONNLIMIT_LOG_PER_S) */
	unsigned long	 suppressed;	/* refusals not logged before it */
};

/*
 * Admit a connection from key for the process pid, at now (seconds, a
 * monotonic clock), under one lock: the session is recorded when the
 * verdict is CONNLIMIT_OK.  Returns 0 with *res filled, -1 when the lock
 * cannot be taken.
 */
int	connlimit_admit(struct connlimit *, const struct connlimit_key *,
	    pid_t pid, long now, struct connlimit_res *res);

/* The session of pid ended: 1 it was recorded (now removed), 0 it was
 * not (a process that never admitted one), -1 the lock failed. */
int	connlimit_release(struct connlimit *, pid_t pid);

/* Sessions recorded now (no lock: one atomic read). */
unsigned long connlimit_sessions(const struct connlimit *);
/* The sessions of the client key now (under the lock; for tests). */
unsigned long connlimit_client(struct connlimit *, const struct connlimit_key *);

/* Refusals the caller makes itself (the listening process at the
 * session limit), logged at the same rate: 1 log it (*suppressed_r
 * counted since the last), 0 do not. */
int	connlimit_log_ok(struct connlimit *, long now,
	    unsigned long *suppressed_r);

/* Take the lock and keep it: for a test of a process that dies holding
 * it (the next to lock recounts the table from the session records). */
int	connlimit_hold(struct connlimit *);

#endif
