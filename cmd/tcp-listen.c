/*
 * tcp-listen: bind a TCP socket, drop privileges, and run a program with
 * the listening socket as fd 0.  The program (smtp-recv) accepts and
 * forks per connection itself (lib/serve.c), which costs a fork where
 * tcpserver costs a fork and an exec.  doc/tcp-listen.8 is the reference.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/num.h"

#define USAGE	"tcp-listen [-hU] [-u uid] [-g gid] [-b backlog] host port " \
		"program [arg ...]"

static unsigned long
number(const char *s, unsigned long max, const char *what)
{
	unsigned long v;

	if (parse_ulong(s, &v, 0, max) == -1)
		die(EXIT_PERM, "bad %s: %s", what, s);
	return v;
}

/* host "0" is every address: IPv6 and IPv4 on one socket if the system
 * has IPv6, else IPv4; otherwise a numeric address (no DNS here) */
static int
bind_socket(const char *host, const char *port, int backlog)
{
	struct addrinfo hints, *res;
	int fd, e, one = 1, zero = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_family = AF_UNSPEC;
	if (strcmp(host, "0") == 0) {
		if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) != -1) {
			close(fd);
			host = "::";
		} else {
			host = "0.0.0.0";
		}
	}
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		die(EXIT_PERM, "bad address %s port %s: %s", host, port,
		    gai_strerror(e));
	if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) == -1)
		die_sys(EXIT_TEMP, "unable to make a socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1)
		die_sys(EXIT_TEMP, "unable to set SO_REUSEADDR");
	/* "::" takes IPv4 too (as IPv4-mapped addresses) */
	if (res->ai_family == AF_INET6 && strcmp(host, "::") == 0 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
	    sizeof(zero)) == -1)
		die_sys(EXIT_TEMP, "unable to clear IPV6_V6ONLY");
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		die_sys(EXIT_TEMP, "unable to bind to %s port %s", host, port);
	if (listen(fd, backlog) == -1)
		die_sys(EXIT_TEMP, "unable to listen on %s port %s", host,
		    port);
	freeaddrinfo(res);
	return fd;
}

int
main(int argc, char **argv)
{
	unsigned long uid = ULONG_MAX, gid = ULONG_MAX, backlog = 128;
	const char *e;
	gid_t g;
	int ch, fd;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "+Uu:g:b:h")) != -1) {
		switch (ch) {
		case 'U':	/* as tcpserver -U and s6-envuidgid */
			if ((e = getenv("UID")) == NULL)
				die(EXIT_PERM, "-U: $UID is not set");
			uid = number(e, UINT_MAX - 1, "$UID");
			if ((e = getenv("GID")) == NULL)
				die(EXIT_PERM, "-U: $GID is not set");
			gid = number(e, UINT_MAX - 1, "$GID");
			break;
		case 'u':
			uid = number(optarg, UINT_MAX - 1, "uid");
			break;
		case 'g':
			gid = number(optarg, UINT_MAX - 1, "gid");
			break;
		case 'b':
			backlog = number(optarg, INT_MAX, "backlog");
			break;
		default:
			die_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		die_usage(USAGE);
	/* -u alone would keep root's group and supplementary groups */
	if (uid != ULONG_MAX && gid == ULONG_MAX)
		die(EXIT_PERM, "-u needs -g");
	number(argv[1], 65535, "port");
	fd = bind_socket(argv[0], argv[1], (int)backlog);
	if (fd != 0) {
		if (dup2(fd, 0) == -1)
			die_sys(EXIT_TEMP, "unable to move the socket to fd 0");
		close(fd);
	}
	/* groups first, while we may still change them */
	if (gid != ULONG_MAX) {
		g = (gid_t)gid;
		if (setgroups(1, &g) == -1 || setgid(g) == -1)
			die_sys(EXIT_TEMP, "unable to set gid %lu", gid);
	}
	if (uid != ULONG_MAX && setuid((uid_t)uid) == -1)
		die_sys(EXIT_TEMP, "unable to set uid %lu", uid);
	log_info("bound addr=%s port=%s program=%s", argv[0], argv[1],
	    argv[2]);
	execvp(argv[2], argv + 2);
	die_sys(errno == ENOENT ? EXIT_PERM : EXIT_TEMP,
	    "unable to run %s", argv[2]);
}
