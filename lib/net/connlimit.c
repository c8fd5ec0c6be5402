/*
 * connlimit: sessions and connection rates per client, in memory shared
 * by the processes of one listener.  See connlimit.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "net/connlimit.h"

struct cl_slot {
	struct connlimit_key key;
	uint32_t	 sessions;	/* under way */
	uint32_t	 conns;		/* admitted since window */
	int64_t		 window;	/* start of the window, seconds */
	uint32_t	 used;		/* ever used: ends no probe */
	uint32_t	 pad;
};

struct cl_sess {
	int32_t		 pid;		/* 0: empty */
	uint32_t	 slot;
};

struct connlimit {
	pthread_mutex_t	 mu;
	atomic_ulong	 sessions;
	unsigned long	 max, per_addr, rate;
	uint64_t	 seed;
	size_t		 nslots, nsess;	/* powers of two */
	int64_t		 log_sec;
	unsigned long	 log_n, log_skipped;
};

static struct cl_slot *
slots(struct connlimit *cl)
{
	return (struct cl_slot *)(void *)(cl + 1);
}

static struct cl_sess *
sessv(struct connlimit *cl)
{
	return (struct cl_sess *)(void *)(slots(cl) + cl->nslots);
}

static size_t
pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static size_t
nslots_for(unsigned long max)
{
	size_t n = (size_t)max * 2;

	return pow2_at_least(n < CONNLIMIT_SLOTS_MIN ? CONNLIMIT_SLOTS_MIN : n);
}

static size_t
nsess_for(unsigned long max)
{
	size_t n = (size_t)max * 2;

	return pow2_at_least(n < 16 ? 16 : n);
}

/* splitmix64's finaliser: every bit of x moves every bit of the result */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
key_hash(const struct connlimit *cl, const struct connlimit_key *k)
{
	uint64_t w0, w1;

	memcpy(&w0, k->b, 8);
	memcpy(&w1, k->b + 8, 8);
	return mix(mix(cl->seed ^ w0) ^ w1);
}

static size_t
pid_home(const struct connlimit *cl, int32_t pid)
{
	return (size_t)mix(cl->seed ^ (uint64_t)(uint32_t)pid) &
	    (cl->nsess - 1);
}

int
connlimit_key(const struct sockaddr *sa, struct connlimit_key *k)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	memset(k, 0, sizeof(*k));
	switch (sa->sa_family) {
	case AF_INET:
		/* as ::ffff:a.b.c.d, so that both forms of it are one */
		s4 = (const struct sockaddr_in *)(const void *)sa;
		k->b[10] = k->b[11] = 0xff;
		memcpy(k->b + 12, &s4->sin_addr, 4);
		return 0;
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			memcpy(k->b, &s6->sin6_addr, 16);	/* RFC 4291 */
		else
			memcpy(k->b, &s6->sin6_addr, 8);	/* the /64 */
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

size_t
connlimit_size(unsigned long max)
{
	if (max > CONNLIMIT_MAX)
		max = CONNLIMIT_MAX;
	return sizeof(struct connlimit) +
	    nslots_for(max) * sizeof(struct cl_slot) +
	    nsess_for(max) * sizeof(struct cl_sess);
}

struct connlimit *
connlimit_init(void *mem, size_t size, unsigned long max,
    unsigned long per_addr, unsigned long rate, uint64_t seed)
{
	struct connlimit *cl = mem;
	pthread_mutexattr_t a;
	int r;

	if (max == 0 || max > CONNLIMIT_MAX || size < connlimit_size(max)) {
		errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, connlimit_size(max));
	cl->max = max;
	cl->per_addr = per_addr;
	cl->rate = rate;
	cl->seed = seed;
	cl->nslots = nslots_for(max);
	cl->nsess = nsess_for(max);
	atomic_init(&cl->sessions, 0);
	/* every process of the listener locks it; one that dies holding
	 * it leaves it to the next, which recounts (cl_lock) */
	if ((r = pthread_mutexattr_init(&a)) != 0) {
		errno = r;
		return NULL;
	}
	if ((r = pthread_mutexattr_setpshared(&a,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (r = pthread_mutex_init(&cl->mu, &a)) != 0) {
		pthread_mutexattr_destroy(&a);
		errno = r;
		return NULL;
	}
	pthread_mutexattr_destroy(&a);
	return cl;
}

/*
 * After a process died holding the lock, its update may be half done:
 * the session records are the truth (a record is whole once its pid is
 * written), so the counts are made again from them.
 */
static void
cl_repair(struct connlimit *cl)
{
	struct cl_slot *sl = slots(cl);
	struct cl_sess *ss = sessv(cl);
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < cl->nslots; i++)
		sl[i].sessions = 0;
	for (i = 0; i < cl->nsess; i++) {
		if (ss[i].pid == 0 || ss[i].slot >= cl->nslots)
			continue;
		sl[ss[i].slot].sessions++;
		n++;
	}
	atomic_store(&cl->sessions, n);
}

static int
cl_lock(struct connlimit *cl)
{
	int r = pthread_mutex_lock(&cl->mu);

	if (r == EOWNERDEAD) {
		cl_repair(cl);
		r = pthread_mutex_consistent(&cl->mu);
	}
	if (r != 0) {
		errno = r;
		return -1;
	}
	return 0;
}

static void
cl_unlock(struct connlimit *cl)
{
	pthread_mutex_unlock(&cl->mu);
}

int
connlimit_hold(struct connlimit *cl)
{
	return cl_lock(cl);
}

/*
 * The slot of key, made when it has none: among the CONNLIMIT_PROBE
 * slots from its hash (a slot once used stays used, so the first never
 * used one ends the search), else the first with no session and an
 * ended window, else the one with no session and the oldest window.
 * -1: all of them have sessions.
 */
static long
slot_get(struct connlimit *cl, const struct connlimit_key *key, long now)
{
	struct cl_slot *sl = slots(cl), *s;
	size_t mask = cl->nslots - 1, i = (size_t)key_hash(cl, key) & mask;
	long reuse = -1, old = -1;
	int k;

	for (k = 0; k < CONNLIMIT_PROBE; k++, i = (i + 1) & mask) {
		s = &sl[i];
		if (!s->used) {
			if (reuse < 0)
				reuse = (long)i;
			break;
		}
		if (memcmp(s->key.b, key->b, sizeof(key->b)) == 0)
			return (long)i;
		if (s->sessions != 0)
			continue;
		if (reuse < 0 && (cl->rate == 0 ||
		    now - s->window >= CONNLIMIT_WINDOW))
			reuse = (long)i;
		if (old < 0 || s->window < sl[old].window)
			old = (long)i;
	}
	if (reuse < 0)
		reuse = old;
	if (reuse < 0)
		return -1;
	s = &sl[reuse];
	s->key = *key;
	s->sessions = s->conns = 0;
	s->window = now;
	s->used = 1;
	return reuse;
}

/* the session record of pid; -1 none */
static long
sess_find(struct connlimit *cl, int32_t pid)
{
	struct cl_sess *ss = sessv(cl);
	size_t mask = cl->nsess - 1, i = pid_home(cl, pid), k;

	for (k = 0; k < cl->nsess && ss[i].pid != 0; k++, i = (i + 1) & mask)
		if (ss[i].pid == pid)
			return (long)i;
	return -1;
}

static int
sess_add(struct connlimit *cl, int32_t pid, size_t slot)
{
	struct cl_sess *ss = sessv(cl);
	size_t mask = cl->nsess - 1, i = pid_home(cl, pid), k;

	for (k = 0; k < cl->nsess; k++, i = (i + 1) & mask)
		if (ss[i].pid == 0) {
			ss[i].slot = (uint32_t)slot;
			ss[i].pid = pid;	/* last: the record is whole */
			return 0;
		}
	return -1;
}

/* linear probing's deletion by moving back (Knuth 6.4, algorithm R): no
 * tombstones, so a search always ends at the first empty record */
static void
sess_del(struct connlimit *cl, size_t i)
{
	struct cl_sess *ss = sessv(cl);
	size_t mask = cl->nsess - 1, j = i, h;

	for (;;) {
		ss[i].pid = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (ss[j].pid == 0)
				return;
			h = pid_home(cl, ss[j].pid);
			/* j stays when its home is cyclically in (i, j] */
			if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
				continue;
			break;
		}
		ss[i] = ss[j];
		i = j;
	}
}

/* under the lock: may this refusal be logged? */
static int
log_ok(struct connlimit *cl, long now, unsigned long *suppressed_r)
{
	*suppressed_r = 0;
	if (cl->log_sec != now) {
		cl->log_sec = now;
		cl->log_n = 0;
	}
	if (cl->log_n >= CONNLIMIT_LOG_PER_S) {
		cl->log_skipped++;
		return 0;
	}
	cl->log_n++;
	*suppressed_r = cl->log_skipped;
	cl->log_skipped = 0;
	return 1;
}

int
connlimit_log_ok(struct connlimit *cl, long now, unsigned long *suppressed_r)
{
	int r;

	if (cl_lock(cl) == -1)
		return -1;
	r = log_ok(cl, now, suppressed_r);
	cl_unlock(cl);
	return r;
}

int
connlimit_admit(struct connlimit *cl, const struct connlimit_key *key,
    pid_t pid, long now, struct connlimit_res *res)
{
	struct cl_slot *s;
	unsigned long n;
	long i;

	memset(res, 0, sizeof(*res));
	if (cl_lock(cl) == -1)
		return -1;
	n = atomic_load_explicit(&cl->sessions, memory_order_relaxed);
	res->verdict = CONNLIMIT_FULL;
	res->count = n;
	res->limit = cl->max;
	if (n >= cl->max || (i = slot_get(cl, key, now)) < 0)
		goto refused;
	s = &slots(cl)[i];
	if (now - s->window >= CONNLIMIT_WINDOW || now < s->window) {
		s->window = now;
		s->conns = 0;
	}
	if (cl->per_addr > 0 && s->sessions >= cl->per_addr) {
		res->verdict = CONNLIMIT_PER_ADDR;
		res->count = s->sessions;
		res->limit = cl->per_addr;
		goto refused;
	}
	if (cl->rate > 0 && s->conns >= cl->rate) {
		res->verdict = CONNLIMIT_RATE;
		res->count = s->conns;
		res->limit = cl->rate;
		goto refused;
	}
	if (sess_add(cl, (int32_t)pid, (size_t)i) == -1)
		goto refused;		/* cannot be: nsess > max */
	s->sessions++;
	s->conns++;
	atomic_store_explicit(&cl->sessions, n + 1, memory_order_relaxed);
	res->verdict = CONNLIMIT_OK;
	res->count = s->sessions;
	res->limit = cl->per_addr;
	cl_unlock(cl);
	return 0;
refused:
	res->log = log_ok(cl, now, &res->suppressed);
	cl_unlock(cl);
	return 0;
}

int
connlimit_release(struct connlimit *cl, pid_t pid)
{
	struct cl_slot *s;
	unsigned long n;
	long i;

	if (cl_lock(cl) == -1)
		return -1;
	if ((i = sess_find(cl, (int32_t)pid)) < 0) {
		cl_unlock(cl);
		return 0;
	}
	s = &slots(cl)[sessv(cl)[i].slot];
	if (s->sessions > 0)
		s->sessions--;
	sess_del(cl, (size_t)i);
	n = atomic_load_explicit(&cl->sessions, memory_order_relaxed);
	if (n > 0)
		atomic_store_explicit(&cl->sessions, n - 1,
		    memory_order_relaxed);
	cl_unlock(cl);
	return 1;
}

unsigned long
connlimit_sessions(const struct connlimit *cl)
{
	return atomic_load_explicit(&cl->sessions, memory_order_relaxed);
}

unsigned long
connlimit_client(struct connlimit *cl, const struct connlimit_key *key)
{
	struct cl_slot *sl = slots(cl);
	size_t mask = cl->nslots - 1, i = (size_t)key_hash(cl, key) & mask;
	unsigned long n = 0;
	int k;

	if (cl_lock(cl) == -1)
		return 0;
	for (k = 0; k < CONNLIMIT_PROBE && sl[i].used; k++,
	    i = (i + 1) & mask)
		if (memcmp(sl[i].key.b, key->b, sizeof(key->b)) == 0) {
			n = sl[i].sessions;
			break;
		}
	cl_unlock(cl);
	return n;
}
