/*
 * test_connlimit: lib/net/connlimit.c -- the client key (IPv4, IPv6 by
 * its /64, IPv4-mapped IPv6 as IPv4), the per-client session limit, the
 * rate window, the session limit in all, eviction of idle clients, the
 * session records under many admissions and releases in any order, the
 * rate of refusal log lines, and a process that dies holding the lock.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/connlimit.h"
#include "unit.h"

static void *mem;
static size_t memsize;

/* a table in shared memory, as serve_loop makes it */
static struct connlimit *
table(unsigned long max, unsigned long per_addr, unsigned long rate)
{
	struct connlimit *cl;

	memsize = connlimit_size(max);
	mem = mmap(NULL, memsize, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	cl = connlimit_init(mem, memsize, max, per_addr, rate,
	    0x0123456789abcdefULL);
	ck_assert_ptr_nonnull(cl);
	return cl;
}

static void
untable(void)
{
	munmap(mem, memsize);
}

static struct connlimit_key
key4(const char *ip)
{
	struct sockaddr_in a;
	struct connlimit_key k;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(25);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	ck_assert_int_eq(connlimit_key((struct sockaddr *)&a, &k), 0);
	return k;
}

static struct connlimit_key
key6(const char *ip)
{
	struct sockaddr_in6 a;
	struct connlimit_key k;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(25);
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
	ck_assert_int_eq(connlimit_key((struct sockaddr *)&a, &k), 0);
	return k;
}

/* key n of many distinct IPv4 clients */
static struct connlimit_key
keyn(unsigned n)
{
	char ip[32];

	snprintf(ip, sizeof(ip), "10.%u.%u.%u", (n >> 16) & 255,
	    (n >> 8) & 255, n & 255);
	return key4(ip);
}

static int
same(struct connlimit_key a, struct connlimit_key b)
{
	return memcmp(a.b, b.b, sizeof(a.b)) == 0;
}

static enum connlimit_verdict
admit(struct connlimit *cl, struct connlimit_key k, pid_t pid, long now)
{
	struct connlimit_res r;

	ck_assert_int_eq(connlimit_admit(cl, &k, pid, now, &r), 0);
	return r.verdict;
}

START_TEST(t_key)
{
	struct connlimit_key k;
	struct sockaddr_un u;
	static const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff, 192, 0, 2, 1 };
	static const uint8_t want6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
	    0, 2 };

	k = key4("192.0.2.1");
	ck_assert_int_eq(memcmp(k.b, want, 16), 0);
	/* IPv4-mapped IPv6 is the IPv4 client */
	ck_assert(same(key6("::ffff:192.0.2.1"), k));
	ck_assert(!same(key4("192.0.2.2"), k));
	/* IPv6: the /64, whatever the interface identifier */
	k = key6("2001:db8:1:2::1");
	ck_assert_int_eq(memcmp(k.b, want6, 16), 0);
	ck_assert(same(key6("2001:db8:1:2:ffff:ffff:ffff:ffff"), k));
	ck_assert(!same(key6("2001:db8:1:3::1"), k));
	ck_assert(!same(key6("2001:db8:1:2::1"), key6("::1")));
	/* not IP: no key */
	memset(&u, 0, sizeof(u));
	u.sun_family = AF_UNIX;
	errno = 0;
	ck_assert_int_eq(connlimit_key((struct sockaddr *)&u, &k), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
}
END_TEST

START_TEST(t_init)
{
	char small[64];

	errno = 0;
	ck_assert_ptr_null(connlimit_init(small, sizeof(small), 1, 0, 0, 1));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(connlimit_init(small, sizeof(small), 0, 0, 0, 1));
	ck_assert_ptr_null(connlimit_init(small, sizeof(small),
	    CONNLIMIT_MAX + 1, 0, 0, 1));
	/* bounded: twice the sessions in slots and records, and more */
	ck_assert_uint_gt(connlimit_size(100), 256 * 24);
	ck_assert_uint_lt(connlimit_size(CONNLIMIT_MAX), 16u << 20);
}
END_TEST

START_TEST(t_per_addr)
{
	struct connlimit *cl = table(100, 2, 0);
	struct connlimit_key a = key4("192.0.2.1"), b = key6("2001:db8::1");
	struct connlimit_res r;

	ck_assert_int_eq(admit(cl, a, 101, 0), CONNLIMIT_OK);
	ck_assert_int_eq(admit(cl, a, 102, 0), CONNLIMIT_OK);
	ck_assert_int_eq(connlimit_admit(cl, &a, 103, 0, &r), 0);
	ck_assert_int_eq(r.verdict, CONNLIMIT_PER_ADDR);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_uint_eq(r.limit, 2);
	ck_assert_int_eq(r.log, 1);
	/* another client is not limited by it; one /64 is one client */
	ck_assert_int_eq(admit(cl, b, 104, 0), CONNLIMIT_OK);
	ck_assert_int_eq(admit(cl, key6("2001:db8::2"), 105, 0),
	    CONNLIMIT_OK);
	ck_assert_int_eq(admit(cl, key6("2001:db8::ffff"), 106, 0),
	    CONNLIMIT_PER_ADDR);
	ck_assert_uint_eq(connlimit_sessions(cl), 4);
	ck_assert_uint_eq(connlimit_client(cl, &a), 2);
	/* a session ends: the client gets one again */
	ck_assert_int_eq(connlimit_release(cl, 101), 1);
	ck_assert_int_eq(connlimit_release(cl, 101), 0);
	ck_assert_int_eq(connlimit_release(cl, 103), 0);  /* was refused */
	ck_assert_uint_eq(connlimit_client(cl, &a), 1);
	ck_assert_int_eq(admit(cl, a, 107, 0), CONNLIMIT_OK);
	ck_assert_uint_eq(connlimit_sessions(cl), 4);
	untable();
}
END_TEST

START_TEST(t_rate)
{
	struct connlimit *cl = table(100, 0, 3);
	struct connlimit_key a = key4("192.0.2.1");
	struct connlimit_res r;
	pid_t pid = 200;

	/* sessions that end still count toward the rate */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(admit(cl, a, pid, 1000 + i), CONNLIMIT_OK);
		ck_assert_int_eq(connlimit_release(cl, pid++), 1);
	}
	ck_assert_int_eq(connlimit_admit(cl, &a, pid, 1010, &r), 0);
	ck_assert_int_eq(r.verdict, CONNLIMIT_RATE);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_uint_eq(r.limit, 3);
	/* refusals do not count: the window ends when it began */
	ck_assert_int_eq(admit(cl, a, pid, 1000 + CONNLIMIT_WINDOW - 1),
	    CONNLIMIT_RATE);
	ck_assert_int_eq(admit(cl, key4("192.0.2.9"), pid, 1059),
	    CONNLIMIT_OK);
	ck_assert_int_eq(admit(cl, a, pid + 1, 1000 + CONNLIMIT_WINDOW),
	    CONNLIMIT_OK);
	/* a clock that went back starts a new window too */
	ck_assert_int_eq(admit(cl, a, pid + 2, 5), CONNLIMIT_OK);
	untable();
}
END_TEST

START_TEST(t_max)
{
	struct connlimit *cl = table(3, 0, 0);
	struct connlimit_res r;

	ck_assert_int_eq(admit(cl, keyn(1), 301, 0), CONNLIMIT_OK);
	ck_assert_int_eq(admit(cl, keyn(2), 302, 0), CONNLIMIT_OK);
	ck_assert_int_eq(admit(cl, keyn(3), 303, 0), CONNLIMIT_OK);
	ck_assert_int_eq(connlimit_admit(cl, &(struct connlimit_key){ 0 },
	    304, 0, &r), 0);
	ck_assert_int_eq(r.verdict, CONNLIMIT_FULL);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_uint_eq(r.limit, 3);
	ck_assert_int_eq(connlimit_release(cl, 302), 1);
	ck_assert_int_eq(admit(cl, keyn(4), 304, 0), CONNLIMIT_OK);
	untable();
}
END_TEST

/* many clients, many more than slots: idle ones are evicted, the
 * oldest window first; clients with sessions never are */
START_TEST(t_evict)
{
	struct connlimit *cl = table(100, 0, 1);
	struct connlimit_key a = keyn(0);
	unsigned i;

	ck_assert_int_eq(admit(cl, a, 1, 0), CONNLIMIT_OK);
	ck_assert_int_eq(connlimit_release(cl, 1), 1);
	ck_assert_int_eq(admit(cl, a, 2, 1), CONNLIMIT_RATE);
	/* 50 clients keep a session through it all */
	for (i = 1; i <= 50; i++)
		ck_assert_int_eq(admit(cl, keyn(i), (pid_t)(1000 + i), 1),
		    CONNLIMIT_OK);
	/* 5000 more come and go, each once (a slot per client: 256) */
	for (i = 100; i < 5100; i++) {
		ck_assert_int_eq(admit(cl, keyn(i), 9, 2), CONNLIMIT_OK);
		ck_assert_int_eq(connlimit_release(cl, 9), 1);
	}
	/* a's window was evicted with its slot: it is admitted again */
	ck_assert_int_eq(admit(cl, a, 3, 3), CONNLIMIT_OK);
	/* the 50 kept their counts */
	for (i = 1; i <= 50; i++) {
		struct connlimit_key k = keyn(i);

		ck_assert_uint_eq(connlimit_client(cl, &k), 1);
	}
	ck_assert_uint_eq(connlimit_sessions(cl), 51);
	untable();
}
END_TEST

/* the session records: added and removed in any order, each found once */
START_TEST(t_records)
{
	enum { N = 1000 };
	struct connlimit *cl = table(N, 0, 0);
	static pid_t order[N];
	unsigned i, j;
	pid_t t;

	for (i = 0; i < N; i++) {
		ck_assert_int_eq(admit(cl, keyn(i % 7), (pid_t)(40000 + i * 3),
		    0), CONNLIMIT_OK);
		order[i] = (pid_t)(40000 + i * 3);
	}
	ck_assert_uint_eq(connlimit_sessions(cl), N);
	srand(9);
	for (i = N - 1; i > 0; i--) {
		j = (unsigned)rand() % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(connlimit_release(cl, order[i]), 1);
		ck_assert_int_eq(connlimit_release(cl, order[i]), 0);
	}
	ck_assert_uint_eq(connlimit_sessions(cl), 0);
	for (i = 0; i < 7; i++) {
		struct connlimit_key k = keyn(i);

		ck_assert_uint_eq(connlimit_client(cl, &k), 0);
	}
	untable();
}
END_TEST

START_TEST(t_log_rate)
{
	struct connlimit *cl = table(10, 1, 0);
	struct connlimit_key a = key4("192.0.2.1");
	struct connlimit_res r;
	unsigned long sup;
	int i;

	ck_assert_int_eq(admit(cl, a, 1, 7), CONNLIMIT_OK);
	for (i = 0; i < CONNLIMIT_LOG_PER_S + 2; i++) {
		ck_assert_int_eq(connlimit_admit(cl, &a, 2, 7, &r), 0);
		ck_assert_int_eq(r.verdict, CONNLIMIT_PER_ADDR);
		ck_assert_int_eq(r.log, i < CONNLIMIT_LOG_PER_S);
		ck_assert_uint_eq(r.suppressed, 0);
	}
	/* the next second: logged, with the count of those that were not */
	ck_assert_int_eq(connlimit_admit(cl, &a, 2, 8, &r), 0);
	ck_assert_int_eq(r.log, 1);
	ck_assert_uint_eq(r.suppressed, 2);
	/* the listening process's own refusals share the rate */
	for (i = 1; i < CONNLIMIT_LOG_PER_S; i++)
		ck_assert_int_eq(connlimit_log_ok(cl, 8, &sup), 1);
	ck_assert_int_eq(connlimit_log_ok(cl, 8, &sup), 0);
	ck_assert_int_eq(connlimit_log_ok(cl, 9, &sup), 1);
	ck_assert_uint_eq(sup, 1);
	untable();
}
END_TEST

/* a process that dies holding the lock: the next one recovers it */
START_TEST(t_owner_dead)
{
	struct connlimit *cl = table(10, 2, 0);
	struct connlimit_key a = key4("192.0.2.1");
	pid_t pid;
	int st;

	ck_assert_int_eq(admit(cl, a, 11, 0), CONNLIMIT_OK);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (connlimit_hold(cl) == -1)
			_exit(2);
		_exit(0);		/* the lock is still held */
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* no deadlock; the counts made again from the records */
	ck_assert_int_eq(admit(cl, a, 12, 0), CONNLIMIT_OK);
	ck_assert_int_eq(admit(cl, a, 13, 0), CONNLIMIT_PER_ADDR);
	ck_assert_uint_eq(connlimit_sessions(cl), 2);
	ck_assert_int_eq(connlimit_release(cl, 11), 1);
	ck_assert_uint_eq(connlimit_client(cl, &a), 1);
	untable();
}
END_TEST

static Suite *
connlimit_suite(void)
{
	Suite *s = suite_create("connlimit");
	TCase *tc = tcase_create("connlimit");

	tcase_add_test(tc, t_key);
	tcase_add_test(tc, t_init);
	tcase_add_test(tc, t_per_addr);
	tcase_add_test(tc, t_rate);
	tcase_add_test(tc, t_max);
	tcase_add_test(tc, t_evict);
	tcase_add_test(tc, t_records);
	tcase_add_test(tc, t_log_rate);
	tcase_add_test(tc, t_owner_dead);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(connlimit_suite)
