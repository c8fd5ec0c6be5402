/*
 * queue-run: deliver queued mail, retry, send DSNs; long-running under a
 * supervisor.  See doc/queue-run.8.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/control.h"
#include "base/log.h"
#include "queue/qrun.h"
#include "queue/queue.h"

#define USAGE	"queue-run [-h1]"

int
main(int argc, char **argv)
{
	struct qrun_conf conf;
	struct queue q;
	const char *bad;
	int c, once = 0, r;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "h1")) != -1) {
		switch (c) {
		case '1':
			once = 1;
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);
	if (qrun_conf_load(&conf, &bad) == -1) {
		if (bad != NULL)
			die_sys(EXIT_TEMP, "bad control file %s/%s",
			    control_dir(), bad);
		die_nomem();
	}
	if (queue_create(NULL) == -1)
		die_sys(EXIT_TEMP, "unable to create the queue in %s",
		    queue_dir());
	if (queue_open(&q, NULL) == -1)
		die_sys(EXIT_TEMP, "unable to open the queue in %s",
		    queue_dir());
	r = qrun_main(&q, &conf, once);
	queue_close(&q);
	qrun_conf_free(&conf);
	return r == 0 ? EXIT_DONE : EXIT_TEMP;
}
