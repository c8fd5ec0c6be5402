/*
 * smtp-recv: the SMTP server (RFC 5321), one process per connection
 * under tcpserver: the connection is fds 0 and 1.  The protocol is in
 * lib/smtpd.c; doc/smtp-recv.8 is the reference.
 */
#include <fcntl.h>
#include <unistd.h>

#include "log.h"
#include "smtpd.h"

#define USAGE	"smtp-recv (under tcpserver: the connection is fds 0 and 1)"

int
main(int argc, char **argv)
{
	struct smtpd_conf conf;
	const char *bad;
	int ch, r;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "h")) != -1)
		die_usage(USAGE);
	if (optind != argc)
		die_usage(USAGE);
	/* a closed stderr must not become a spool or pipe descriptor */
	if (fcntl(2, F_GETFD) == -1 && open("/dev/null", O_WRONLY) != 2)
		return EXIT_TEMP;
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
