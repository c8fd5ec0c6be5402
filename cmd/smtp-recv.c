/*
 * smtp-recv: the SMTP server (RFC 5321).  One session on fds 0 and 1
 * (under tcpserver, or a test); or, when fd 0 is a listening socket
 * (tcp-listen), its own launcher: a forked process per connection, no
 * exec (lib/serve.c).  The protocol is in lib/smtpd.c; doc/smtp-recv.8
 * is the reference.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "auth/dmarc_stage.h"
#include "auth/spf.h"
#include "base/log.h"
#include "base/num.h"
#include "base/stage.h"
#include "net/serve.h"
#include "net/tls.h"
#include "smtp/smtpd.h"

/*
 * postern's own stages: named in smtp-filters, they run in this process
 * (DESIGN.md section 4: the same code and output as the program, no
 * fork or exec).
 */
static const struct stage_builtin builtins[] = {
	{ "spf-check", spf_stage },
	{ "dmarc-eval", dmarc_stage },
	{ NULL, NULL },
};

/*
 * In the listening process, before each fork: the TLS context, so that a
 * session's STARTTLS reads no file and parses no key.  What goes wrong
 * here the session itself reports.
 */
static void
preload(void *arg)
{
	char *cert, *key;
	const char *bad = NULL;

	(void)arg;
	if (smtpd_tls_files(&cert, &key, &bad) == -1 || cert == NULL)
		return;
	if (tls_server_preload(cert, key) == -1)
		log_debug("tls preload: %s", tls_error(NULL));
	free(cert);
	free(key);
}

#define USAGE	"smtp-recv [-h] [-c maxconn] [-C peraddr] [-R rate] [-x rules.cdb]"

/* -C: sessions per client address (IPv6: per /64) at once */
#define PERADDR_DEFAULT	10

/* the refusals' texts, with our name, once in the listening process
 * (kept for the life of the process, as the sessions share them) */
static char *busy_text, *limit_text;

static void
refusals(struct serve_opts *so)
{
	if (smtpd_refusals(&busy_text, &limit_text) == -1)
		die_nomem();
	so->busy_reply = busy_text;
	so->limit_reply = limit_text;
}

int
main(int argc, char **argv)
{
	struct serve_opts so = { .prefork = preload,
	    .per_addr = PERADDR_DEFAULT };
	struct smtpd_conf conf;
	const char *bad;
	int ch, r;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "C:R:c:hx:")) != -1) {
		switch (ch) {
		case 'c':
			if (parse_ulong(optarg, &so.maxconn, 1, 100000) == -1)
				die(EXIT_PERM, "bad -c: %s", optarg);
			break;
		case 'C':
			if (parse_ulong(optarg, &so.per_addr, 0, 100000) == -1)
				die(EXIT_PERM, "bad -C: %s", optarg);
			break;
		case 'R':
			if (parse_ulong(optarg, &so.rate, 0, 1000000) == -1)
				die(EXIT_PERM, "bad -R: %s", optarg);
			break;
		case 'x':
			so.rules = optarg;
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);
	/* a closed stderr must not become a spool or pipe descriptor */
	if (fcntl(2, F_GETFD) == -1 && open("/dev/null", O_WRONLY) != 2)
		return EXIT_TEMP;
	/* the zone file once, here, rather than in every session */
	tzset();
	/* returns in the child with the connection on fds 0 and 1 */
	if (serve_is_listener(0)) {
		refusals(&so);
		if (serve_loop(0, &so) == -1)
			die_sys(EXIT_TEMP, "unable to accept connections");
	}
	smtpd_set_builtins(builtins);
	if (smtpd_conf_load(&conf, &bad) == -1) {
		warn_sys("unable to read control file %s",
		    bad != NULL ? bad : "(system)");
		smtpd_unavailable(1);
		return EXIT_TEMP;
	}
	r = smtpd_serve(&conf, 0, 1);
	smtpd_conf_free(&conf);
	return r;
}
