/*
 * queue-writer: the queue user's half of injection.  It listens on the
 * socket "writer" in the queue directory and stores each message that
 * smtp-recv or queue-inject hands it, so that they never write the queue
 * themselves.  See doc/queue-writer.8; the work is qwriter_serve() in
 * lib/queue/qwriter.c.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/log.h"
#include "base/num.h"
#include "queue/queue.h"
#include "queue/qwriter.h"

#define USAGE	"queue-writer [-h] [-c maxconn]"

int
main(int argc, char **argv)
{
	unsigned long maxconn = 0;
	int c;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "hc:")) != -1)
		switch (c) {
		case 'c':
			if (parse_ulong(optarg, &maxconn, 1, 100000) == -1)
				die(EXIT_PERM, "bad -c: %s", optarg);
			break;
		default:
			die_usage(USAGE);
		}
	if (optind != argc)
		die_usage(USAGE);
	/* a file size limit fails a write (4.3.1 to the client), not us */
	signal(SIGXFSZ, SIG_IGN);
	if (qwriter_serve(maxconn) == -1)
		die_sys(EXIT_TEMP, "unable to serve the queue %s", queue_dir());
	return EXIT_DONE;
}
