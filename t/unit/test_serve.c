/*
 * test_serve: lib/serve.c -- tcprules(1) CDB rules (files compiled with
 * the real tcprules program, and hand-made malformed ones), printable
 * socket addresses, listening-socket detection, and serve_loop itself
 * on a loopback socket (the session's environment, a deny rule, the
 * maxconn limit, SIGTERM).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "net/serve.h"
#include "unit.h"

static char *dir;
static char rules[4200], txt[4200];

static void
setup(void)
{
	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	snprintf(rules, sizeof(rules), "%s/rules.cdb", dir);
	snprintf(txt, sizeof(txt), "%s/rules", dir);
	log_init("test_serve");
}

static void
teardown(void)
{
	unit_rm_rf(dir);
}

/* Write the rules text and compile it with tcprules(1) into rules. */
static void
tcprules(const char *text)
{
	char cmd[13000];
	int fd, r;

	fd = open(txt, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write_all(fd, text, strlen(text)), 0);
	ck_assert_int_eq(close(fd), 0);
	snprintf(cmd, sizeof(cmd), "tcprules '%s' '%s.tmp' <'%s'", rules,
	    rules, txt);
	r = system(cmd);
	ck_assert_msg(r == 0, "tcprules failed (%d) on:\n%s", r, text);
}

/* A CDB made by hand: one key with a value of n bytes. */
static void
cdb_one(const char *key, const char *val, size_t n)
{
	struct cdb_make cm;
	int fd;

	fd = open(rules, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(cdb_make_start(&cm, fd), 0);
	ck_assert_int_eq(cdb_make_add(&cm, key, (unsigned)strlen(key), val,
	    (unsigned)n), 0);
	ck_assert_int_eq(cdb_make_finish(&cm), 0);
	ck_assert_int_eq(close(fd), 0);
}

#define CDB_ONE(k, lit)	cdb_one((k), (lit), sizeof(lit) - 1)

/* getenv(name) is value (NULL: unset) */
static void
ck_env(const char *name, const char *want)
{
	const char *v = getenv(name);

	if (want == NULL)
		ck_assert_msg(v == NULL, "%s=%s, want unset", name, v);
	else {
		ck_assert_msg(v != NULL, "%s unset, want %s", name, want);
		ck_assert_str_eq(v, want);
	}
}

/* --- serve_rules ------------------------------------------------------- */

START_TEST(t_rules_exact)
{
	unsetenv("RELAYCLIENT");
	tcprules("127.0.0.1:allow,RELAYCLIENT=\"\"\n"
	    "127.0.0.:deny\n"
	    "127.0.0.10:allow,TEN=\"10\"\n");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), 1);
	ck_env("RELAYCLIENT", "");
	ck_env("TEN", NULL);
	/* 127.0.0.1 is not a prefix of 127.0.0.10 (no separator) */
	ck_assert_int_eq(serve_rules(rules, "127.0.0.10"), 1);
	ck_env("TEN", "10");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.2"), 0);
	ck_assert_int_eq(serve_rules(rules, "127.0.0.100"), 0);
}
END_TEST

START_TEST(t_rules_prefixes)
{
	unsetenv("WHICH");
	tcprules("127.0.0.:allow,WHICH=\"127.0.0.\"\n"
	    "127.:allow,WHICH=\"127.\"\n"
	    ":allow,WHICH=\"default\"\n"
	    "127.0.0:deny\n"		/* no separator: never a prefix */
	    "12:deny\n");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), 1);
	ck_env("WHICH", "127.0.0.");
	ck_assert_int_eq(serve_rules(rules, "127.0.1.1"), 1);
	ck_env("WHICH", "127.");
	ck_assert_int_eq(serve_rules(rules, "127.255.255.254"), 1);
	ck_env("WHICH", "127.");
	ck_assert_int_eq(serve_rules(rules, "192.0.2.1"), 1);
	ck_env("WHICH", "default");
	ck_assert_int_eq(serve_rules(rules, "12.0.0.1"), 1);
	ck_env("WHICH", "default");
	/* the longest rule wins, whatever the order in the text */
	tcprules(":deny\n127.:deny\n127.0.0.:allow,WHICH=\"long\"\n");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.9"), 1);
	ck_env("WHICH", "long");
	ck_assert_int_eq(serve_rules(rules, "127.0.1.9"), 0);
	ck_assert_int_eq(serve_rules(rules, "10.0.0.1"), 0);
}
END_TEST

START_TEST(t_rules_range)
{
	unsetenv("R");
	/* tcprules expands a range of last octets into one key each */
	tcprules("192.0.2.1-3:allow,R=\"in\"\n192.0.2.:deny\n");
	ck_assert_int_eq(serve_rules(rules, "192.0.2.2"), 1);
	ck_env("R", "in");
	ck_assert_int_eq(serve_rules(rules, "192.0.2.4"), 0);
}
END_TEST

START_TEST(t_rules_ipv6)
{
	unsetenv("V6");
	unsetenv("NET");
	tcprules("::1:allow,V6=\"loopback\"\n"
	    "2001:db8::5:allow,NET=\"five\"\n"
	    "2001:db8::deny\n"		/* key "2001:db8:" */
	    "2001:db8:1::allow,NET=\"one\"\n");
	ck_assert_int_eq(serve_rules(rules, "::1"), 1);
	ck_env("V6", "loopback");
	ck_assert_int_eq(serve_rules(rules, "2001:db8::5"), 1);
	ck_env("NET", "five");
	ck_assert_int_eq(serve_rules(rules, "2001:db8::7"), 0);
	ck_assert_int_eq(serve_rules(rules, "2001:db8:ffff::1"), 0);
	ck_assert_int_eq(serve_rules(rules, "2001:db8:1::9"), 1);
	ck_env("NET", "one");
	/* 2001:db80:: shares the text "2001:db8" but not the prefix */
	ck_assert_int_eq(serve_rules(rules, "2001:db80::1"), 1);
	ck_assert_int_eq(serve_rules(rules, "fe80::1"), 1);
	ck_env("NET", "one");
}
END_TEST

START_TEST(t_rules_deny)
{
	unsetenv("X");
	unsetenv("RELAYCLIENT");
	tcprules("10.:deny,X=\"set by a deny\"\n"
	    "10.1.2.3:deny\n"
	    ":allow,RELAYCLIENT=\"\"\n");
	ck_assert_int_eq(serve_rules(rules, "10.1.2.3"), 0);
	ck_assert_int_eq(serve_rules(rules, "10.9.9.9"), 0);
	/* a denied client gets none of the rule's variables */
	ck_env("X", NULL);
	ck_env("RELAYCLIENT", NULL);
	ck_assert_int_eq(serve_rules(rules, "11.0.0.1"), 1);
	ck_env("RELAYCLIENT", "");
}
END_TEST

START_TEST(t_rules_variables)
{
	setenv("B", "old", 1);
	unsetenv("A");
	unsetenv("C");
	unsetenv("RELAYCLIENT");
	tcprules("192.0.2.7:allow,RELAYCLIENT=\"\",A=\"one two\","
	    "B=\"x=y\",C=\"@example.test\"\n");
	ck_assert_int_eq(serve_rules(rules, "192.0.2.7"), 1);
	ck_env("RELAYCLIENT", "");
	ck_env("A", "one two");
	ck_env("B", "x=y");		/* replaced; '=' in a value */
	ck_env("C", "@example.test");
}
END_TEST

START_TEST(t_rules_none)
{
	unsetenv("X");
	tcprules("10.:deny,X=\"1\"\n");
	ck_assert_int_eq(serve_rules(rules, "192.0.2.1"), 1);
	ck_assert_int_eq(serve_rules(rules, "::1"), 1);
	ck_assert_int_eq(serve_rules(rules, ""), 1);
	ck_env("X", NULL);
	/* an allow rule with no variables */
	tcprules("192.0.2.1:allow\n:deny\n");
	ck_assert_int_eq(serve_rules(rules, "192.0.2.1"), 1);
	ck_assert_int_eq(serve_rules(rules, "192.0.2.2"), 0);
	/* an empty rules file allows everyone */
	tcprules("");
	ck_assert_int_eq(serve_rules(rules, "192.0.2.1"), 1);
}
END_TEST

START_TEST(t_rules_missing)
{
	char p[4300];

	snprintf(p, sizeof(p), "%s/nonexistent.cdb", dir);
	errno = 0;
	ck_assert_int_eq(serve_rules(p, "127.0.0.1"), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* a file that is not a CDB at all */
	ck_assert_int_eq(atomic_replace(rules, "x", 1, 0644), 0);
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), -1);
}
END_TEST

START_TEST(t_rules_malformed)
{
	/* neither 'D' nor '+' */
	CDB_ONE("127.0.0.1", "X\0");
	errno = 0;
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* no '=' */
	CDB_ONE("127.0.0.1", "+NOEQUALS\0");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), -1);
	/* an empty name */
	CDB_ONE("127.0.0.1", "+=value\0");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), -1);
	/* the last instruction without its NUL */
	CDB_ONE("127.0.0.1", "+A=1\0+B=2");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), -1);
	/* a malformed rule for a prefix is found the same way */
	CDB_ONE("127.", "+A=1\0junk\0");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), -1);
	/* and for "" */
	CDB_ONE("", "?");
	ck_assert_int_eq(serve_rules(rules, "192.0.2.1"), -1);
	/* the same hand-made way, well-formed: accepted */
	unsetenv("A");
	CDB_ONE("127.0.0.1", "+A=1\0");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), 1);
	ck_env("A", "1");
	CDB_ONE("127.0.0.1", "D");
	ck_assert_int_eq(serve_rules(rules, "127.0.0.1"), 0);
}
END_TEST

/* --- serve_addr_str ---------------------------------------------------- */

START_TEST(t_addr_inet)
{
	struct sockaddr_in s4;
	char ip[INET6_ADDRSTRLEN];
	unsigned port = 0;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(2525);
	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr), 1);
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&s4, ip,
	    sizeof(ip), &port), 0);
	ck_assert_str_eq(ip, "192.0.2.7");
	ck_assert_uint_eq(port, 2525);
	s4.sin_port = htons(65535);
	ck_assert_int_eq(inet_pton(AF_INET, "255.255.255.255", &s4.sin_addr),
	    1);
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&s4, ip,
	    sizeof(ip), &port), 0);
	ck_assert_str_eq(ip, "255.255.255.255");
	ck_assert_uint_eq(port, 65535);
	/* too small a buffer */
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&s4, ip, 8,
	    &port), -1);
}
END_TEST

START_TEST(t_addr_inet6)
{
	struct sockaddr_in6 s6;
	char ip[INET6_ADDRSTRLEN];
	unsigned port = 0;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(587);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:0:0:0:0:0:1",
	    &s6.sin6_addr), 1);
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&s6, ip,
	    sizeof(ip), &port), 0);
	ck_assert_str_eq(ip, "2001:db8::1");	/* RFC 5952 form */
	ck_assert_uint_eq(port, 587);
	s6.sin6_addr = in6addr_loopback;
	s6.sin6_port = htons(1);
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&s6, ip,
	    sizeof(ip), &port), 0);
	ck_assert_str_eq(ip, "::1");
	ck_assert_uint_eq(port, 1);
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&s6, ip, 3,
	    &port), -1);
}
END_TEST

START_TEST(t_addr_mapped)
{
	struct sockaddr_in6 s6;
	char ip[INET6_ADDRSTRLEN];
	unsigned port = 0;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(25);
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:192.0.2.9",
	    &s6.sin6_addr), 1);
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&s6, ip,
	    sizeof(ip), &port), 0);
	ck_assert_str_eq(ip, "192.0.2.9");
	ck_assert_uint_eq(port, 25);
	/* IPv4-compatible (deprecated) is not mapped: stays IPv6 */
	ck_assert_int_eq(inet_pton(AF_INET6, "::192.0.2.9", &s6.sin6_addr),
	    1);
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&s6, ip,
	    sizeof(ip), &port), 0);
	ck_assert_str_eq(ip, "::192.0.2.9");
}
END_TEST

START_TEST(t_addr_unknown)
{
	struct sockaddr_un su;
	char ip[INET6_ADDRSTRLEN] = "untouched";
	unsigned port = 7;

	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	errno = 0;
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&su, ip,
	    sizeof(ip), &port), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	ck_assert_uint_eq(port, 7);
	su.sun_family = AF_UNSPEC;
	ck_assert_int_eq(serve_addr_str((struct sockaddr *)&su, ip,
	    sizeof(ip), &port), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
}
END_TEST

/* --- serve_is_listener ------------------------------------------------- */

/* a listening TCP socket on 127.0.0.1 and a free port; *port set */
static int
listener(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int
connect_to(unsigned port)
{
	struct sockaddr_in a;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

START_TEST(t_listener)
{
	struct sockaddr_in sa;
	unsigned port;
	int l, c, a, sv[2], p[2], f, b;
	char path[4300];

	l = listener(&port);
	ck_assert_int_eq(serve_is_listener(l), 1);
	c = connect_to(port);
	a = accept(l, NULL, NULL);
	ck_assert_int_ne(a, -1);
	ck_assert_int_eq(serve_is_listener(c), 0);	/* a connection */
	ck_assert_int_eq(serve_is_listener(a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(serve_is_listener(sv[0]), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(serve_is_listener(p[0]), 0);
	ck_assert_int_eq(serve_is_listener(p[1]), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	f = open(path, O_RDWR | O_CREAT, 0644);
	ck_assert_int_ne(f, -1);
	ck_assert_int_eq(serve_is_listener(f), 0);
	/* a socket, and a bound one, not listening */
	b = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(b, -1);
	ck_assert_int_eq(serve_is_listener(b), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(b, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(serve_is_listener(b), 0);
	close(c);
	close(a);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	close(f);
	close(b);
	ck_assert_int_eq(serve_is_listener(c), 0);	/* closed */
	ck_assert_int_eq(serve_is_listener(-1), 0);
	ck_assert_int_eq(serve_is_listener(l), 1);
	close(l);
	ck_assert_int_eq(serve_is_listener(l), 0);
}
END_TEST

/* --- serve_loop -------------------------------------------------------- */

static pid_t server_pid;
static char server_log[4300];
static int prefork_pipe[2];	/* a byte per prefork call */
static const char *busy_text;	/* serve_opts.busy_reply */

/* serve_opts.prefork: called in the listening process before a fork */
static void
prefork(void *arg)
{
	/* 'p', or 'x' for a wrong argument */
	if (write(prefork_pipe[1], arg == (void *)prefork_pipe ? "p" : "x",
	    1) != 1)
		return;
}

/* the number of prefork calls so far (-1: one had a wrong argument) */
static int
prefork_calls(void)
{
	char tmp[256];
	ssize_t n;
	int total = 0;

	while ((n = read(prefork_pipe[0], tmp, sizeof(tmp))) > 0) {
		if (memchr(tmp, 'x', (size_t)n) != NULL)
			return -1;
		total += (int)n;
	}
	return total;
}

/* the session of the server's children: "hi\n", then per mode */
enum smode { S_ENV, S_HOLD };

static void
session(enum smode m)
{
	static const char *const names[] = { "PROTO", "TCPREMOTEIP",
	    "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT", "TCPREMOTEHOST",
	    "RELAYCLIENT", NULL };
	struct buf b = BUF_INIT;
	const char *v;
	char c;
	int i;

	if (m == S_HOLD) {
		/* answer, then hold the connection until the client closes */
		if (write_all(1, "hi\n", 3) == -1)
			_exit(3);
		while (read(0, &c, 1) > 0)
			;
		_exit(0);
	}
	for (i = 0; names[i] != NULL; i++) {
		v = getenv(names[i]);
		if (buf_printf(&b, "%s=%s\n", names[i],
		    v != NULL ? v : "(unset)") == -1)
			_exit(3);
	}
	if (write_all(1, b.s, b.len) == -1)
		_exit(3);
	_exit(0);
}

/* fork a server on listening socket l running serve_loop */
static void
start_server(int l, unsigned long maxconn, const char *rulesfile,
    enum smode m)
{
	struct serve_opts o = { .maxconn = maxconn, .rules = rulesfile,
	    .prefork = prefork, .arg = prefork_pipe,
	    .busy_reply = busy_text };
	int fd;

	ck_assert_int_eq(pipe(prefork_pipe), 0);
	ck_assert_int_ne(fcntl(prefork_pipe[0], F_SETFL, O_NONBLOCK), -1);
	ck_assert_int_ne(fcntl(prefork_pipe[1], F_SETFL, O_NONBLOCK), -1);
	snprintf(server_log, sizeof(server_log), "%s/server.log", dir);
	fflush(NULL);
	server_pid = fork();
	ck_assert_int_ne(server_pid, -1);
	if (server_pid == 0) {
		/* not check(1)'s handlers, which signal the whole group */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		alarm(30);	/* never outlive the test */
		/* the log lines are not part of the test's TAP */
		if ((fd = open("/dev/null", O_WRONLY)) == -1 ||
		    dup2(fd, 1) == -1)
			_exit(2);
		if ((fd = open(server_log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1 || dup2(fd, 2) == -1)
			_exit(2);
		setenv("TCPREMOTEHOST", "stale.example", 1);
		if (serve_loop(l, &o) == 0)
			session(m);
		_exit(2);
	}
	close(prefork_pipe[1]);
}

/* SIGTERM ends the server with exit 0 */
static void
stop_server(void)
{
	int st;

	ck_assert_int_eq(kill(server_pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(server_pid, &st, 0), server_pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "server status %#x", st);
}

/* the server's log holds s */
static void
ck_log(const char *s)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(read_file(server_log, &b, 1 << 20), 0);
	ck_assert_msg(strstr(b.s != NULL ? b.s : "", s) != NULL,
	    "no '%s' in the log:\n%s", s, b.s != NULL ? b.s : "");
	buf_free(&b);
}

/*
 * Connections to port are soon refused: nothing listens there.  The
 * spares that hold the socket too die with the listening process, but
 * a moment after it (a signal each), so this waits up to 5 s.
 */
static void
ck_refused(unsigned port)
{
	struct sockaddr_in a;
	int fd, r, e, i;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	for (i = 0; i < 500; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ne(fd, -1);
		r = connect(fd, (struct sockaddr *)&a, sizeof(a));
		e = errno;
		close(fd);
		if (r == -1 && e == ECONNREFUSED)
			return;
		usleep(10000);
	}
	ck_abort_msg("port %u still accepts connections after 5 s", port);
}

/* wait up to ms for fd to be readable; 1 ready, 0 not */
static int
readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) == 1;
}

/* read to EOF (bounded in time) into b */
static void
read_to_eof(int fd, struct buf *b)
{
	char tmp[512];
	ssize_t n;

	for (;;) {
		ck_assert_msg(readable(fd, 5000), "no EOF within 5 s");
		if ((n = read(fd, tmp, sizeof(tmp))) == 0)
			return;
		if (n == -1 && errno == ECONNRESET)
			return;
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(buf_put(b, tmp, (size_t)n), 0);
	}
}

/* the environment a session sees for the connection c (to port) */
static void
want_env(struct buf *want, int c, unsigned port, const char *relay)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	ck_assert_int_eq(getsockname(c, (struct sockaddr *)&a, &len), 0);
	buf_reset(want);
	ck_assert_int_eq(buf_printf(want, "PROTO=TCP\n"
	    "TCPREMOTEIP=127.0.0.1\nTCPREMOTEPORT=%u\n"
	    "TCPLOCALIP=127.0.0.1\nTCPLOCALPORT=%u\n"
	    "TCPREMOTEHOST=(unset)\nRELAYCLIENT=%s\n",
	    (unsigned)ntohs(a.sin_port), port, relay), 0);
}

START_TEST(t_loop_env)
{
	struct buf b = BUF_INIT, want = BUF_INIT;
	unsigned port;
	int l, c, i;

	unsetenv("RELAYCLIENT");
	tcprules("127.0.0.1:allow,RELAYCLIENT=\"\"\n");
	l = listener(&port);
	start_server(l, 0, rules, S_ENV);
	close(l);
	/* one after another: each gets its own process and environment
	 * (and EOF when it ends: the listener keeps no copy of it) */
	for (i = 0; i < 5; i++) {
		c = connect_to(port);
		want_env(&want, c, port, "");
		buf_reset(&b);
		read_to_eof(c, &b);
		close(c);
		ck_assert_str_eq(b.s, want.s);
	}
	stop_server();
	ck_refused(port);
	ck_log("listening maxconn=100 rules=");
	/* prefork ran in the listening process once per process forked */
	ck_assert_int_ge(prefork_calls(), 5);
	buf_free(&b);
	buf_free(&want);
}
END_TEST

START_TEST(t_loop_no_rules)
{
	struct buf b = BUF_INIT;
	unsigned port;
	int l, c;

	unsetenv("RELAYCLIENT");
	l = listener(&port);
	start_server(l, 0, NULL, S_ENV);
	close(l);
	c = connect_to(port);
	read_to_eof(c, &b);
	close(c);
	ck_assert_ptr_nonnull(strstr(b.s, "PROTO=TCP\n"));
	ck_assert_ptr_nonnull(strstr(b.s, "RELAYCLIENT=(unset)\n"));
	stop_server();
	buf_free(&b);
}
END_TEST

START_TEST(t_loop_deny)
{
	struct buf b = BUF_INIT;
	unsigned port;
	int l, c;

	tcprules("127.0.0.:deny\n");
	l = listener(&port);
	start_server(l, 0, rules, S_ENV);
	close(l);
	c = connect_to(port);
	read_to_eof(c, &b);
	close(c);
	ck_assert_uint_eq(b.len, 0);		/* closed, not served */
	/* a rules file that cannot be used: closed too (fail closed) */
	CDB_ONE("127.0.0.1", "bad");
	c = connect_to(port);
	read_to_eof(c, &b);
	close(c);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(unlink(rules), 0);
	c = connect_to(port);
	read_to_eof(c, &b);
	close(c);
	ck_assert_uint_eq(b.len, 0);
	/* a rebuilt file is seen at once, no reload */
	tcprules("127.0.0.:allow\n");
	c = connect_to(port);
	read_to_eof(c, &b);
	close(c);
	ck_assert_ptr_nonnull(strstr(b.s, "PROTO=TCP\n"));
	stop_server();
	ck_log("test_serve: info: denied ip=127.0.0.1");
	ck_log("unable to apply rules");
	buf_free(&b);
}
END_TEST

START_TEST(t_loop_maxconn)
{
	struct buf b = BUF_INIT;
	unsigned port;
	int l, c1, c2, c3, i;
	char r[8];
	ssize_t n;

	busy_text = "busy\r\n";
	l = listener(&port);
	start_server(l, 1, NULL, S_HOLD);
	close(l);
	c1 = connect_to(port);
	ck_assert(readable(c1, 5000));
	ck_assert_int_eq(read(c1, r, sizeof(r)), 3);
	/* past the limit: the listener's own reply at once and EOF, not
	 * the kernel's backlog (issue 9.9) */
	c2 = connect_to(port);
	read_to_eof(c2, &b);
	close(c2);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_int_eq(memcmp(b.s, "busy\r\n", 6), 0);
	close(c1);
	/* served again once the listener has reaped c1's session */
	for (i = 0; ; i++) {
		ck_assert_msg(i < 500, "never served again after 5 s");
		c3 = connect_to(port);
		ck_assert(readable(c3, 5000));
		n = read(c3, r, sizeof(r));
		if (n == 3 && memcmp(r, "hi\n", 3) == 0)
			break;
		close(c3);
		usleep(10000);
	}
	/* SIGTERM ends the listener; the session in progress goes on */
	stop_server();
	ck_assert_int_eq(write_all(c3, "x", 1), 0);
	ck_assert_int_eq(readable(c3, 200), 0);		/* no EOF yet */
	ck_assert_int_eq(shutdown(c3, SHUT_WR), 0);
	buf_reset(&b);
	read_to_eof(c3, &b);
	ck_assert_uint_eq(b.len, 0);
	close(c3);
	ck_refused(port);
	ck_log("limit reached maxconn=1");
	ck_log("test_serve: info: refused ip=127.0.0.1 reason=maxconn "
	    "sessions=1 limit=1");
	ck_log("stopping on SIGTERM sessions=1");
	busy_text = NULL;
	buf_free(&b);
}
END_TEST

START_TEST(t_loop_sighup)
{
	struct buf b = BUF_INIT;
	unsigned port;
	int l, c, st;

	l = listener(&port);
	start_server(l, 0, NULL, S_ENV);
	close(l);
	c = connect_to(port);
	read_to_eof(c, &b);
	close(c);
	ck_assert_int_eq(kill(server_pid, SIGHUP), 0);
	usleep(100000);
	ck_assert_int_eq(waitpid(server_pid, &st, WNOHANG), 0);	/* alive */
	buf_reset(&b);
	c = connect_to(port);
	read_to_eof(c, &b);
	close(c);
	ck_assert_ptr_nonnull(strstr(b.s, "PROTO=TCP\n"));
	stop_server();
	buf_free(&b);
}
END_TEST

static Suite *
serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tr = tcase_create("rules");
	TCase *ta = tcase_create("addr");
	TCase *tl = tcase_create("loop");

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, t_rules_exact);
	tcase_add_test(tr, t_rules_prefixes);
	tcase_add_test(tr, t_rules_range);
	tcase_add_test(tr, t_rules_ipv6);
	tcase_add_test(tr, t_rules_deny);
	tcase_add_test(tr, t_rules_variables);
	tcase_add_test(tr, t_rules_none);
	tcase_add_test(tr, t_rules_missing);
	tcase_add_test(tr, t_rules_malformed);
	suite_add_tcase(s, tr);

	tcase_add_checked_fixture(ta, setup, teardown);
	tcase_add_test(ta, t_addr_inet);
	tcase_add_test(ta, t_addr_inet6);
	tcase_add_test(ta, t_addr_mapped);
	tcase_add_test(ta, t_addr_unknown);
	tcase_add_test(ta, t_listener);
	suite_add_tcase(s, ta);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_set_timeout(tl, 30);
	tcase_add_test(tl, t_loop_env);
	tcase_add_test(tl, t_loop_no_rules);
	tcase_add_test(tl, t_loop_deny);
	tcase_add_test(tl, t_loop_maxconn);
	tcase_add_test(tl, t_loop_sighup);
	suite_add_tcase(s, tl);
	return s;
}

UNIT_MAIN(serve_suite)
