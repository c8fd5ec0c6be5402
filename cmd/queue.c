/*
 * queue: the administrator's tool: init, list, kick, drop.
 * See doc/queue.8.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "queue/qrun.h"
#include "queue/queue.h"

#define USAGE	"queue [-h] init | list [id ...] | kick [id ...] | drop id ..."

static int	rc = EXIT_DONE;

/* Remember the worst outcome: 111 over 100 over 0. */
static void
outcome(int code)
{
	if (code == EXIT_TEMP || (code == EXIT_PERM && rc == EXIT_DONE))
		rc = code;
}

static void
open_queue(struct queue *q)
{
	if (queue_open(q, NULL) == 0)
		return;
	if (errno == ENOENT)
		die(EXIT_TEMP, "no queue in %s: run queue init", queue_dir());
	die_sys(EXIT_TEMP, "unable to open the queue in %s", queue_dir());
}

/* The ids given, checked, or every queued id. */
static void
ids(struct queue *q, int argc, char **argv, struct buf *v, size_t *n)
{
	int i;

	buf_reset(v);
	*n = 0;
	if (argc == 0) {
		if (qrun_ids(q, v, n) == -1)
			die_sys(EXIT_TEMP, "unable to read %s/mess", q->dir);
		return;
	}
	for (i = 0; i < argc; i++) {
		if (!queue_id_ok(argv[i])) {
			log_warn("bad queue id %s", argv[i]);
			outcome(EXIT_PERM);
			continue;
		}
		if (buf_put(v, argv[i], strlen(argv[i]) + 1) == -1)
			die_nomem();
		(*n)++;
	}
}

int
main(int argc, char **argv)
{
	struct queue q;
	struct buf v = BUF_INIT, out = BUF_INIT;
	const char *cmd, *id, *damaged;
	size_t n, i;
	time_t now = time(NULL);
	int c, r, explicit;

	log_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);	/* the trigger's reader may go */
	while ((c = getopt(argc, argv, "h")) != -1)
		die_usage(USAGE);
	if (optind >= argc)
		die_usage(USAGE);
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	explicit = argc > 0;

	if (strcmp(cmd, "init") == 0) {
		if (argc != 0)
			die_usage(USAGE);
		if (queue_create(NULL) == -1)
			die_sys(EXIT_TEMP, "unable to create the queue in %s",
			    queue_dir());
		return EXIT_DONE;
	}
	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "kick") != 0 &&
	    strcmp(cmd, "drop") != 0)
		die_usage(USAGE);
	if (strcmp(cmd, "drop") == 0 && argc == 0)
		die_usage(USAGE);
	open_queue(&q);
	ids(&q, argc, argv, &v, &n);
	for (i = 0, id = v.s; i < n; i++, id += strlen(id) + 1) {
		if (cmd[0] == 'l') {
			buf_reset(&out);
			r = qrun_list(&q, id, now, &out, &damaged);
			if ((r == 1 || r == QRUN_DAMAGED) &&
			    write_all(1, out.s, out.len) == -1)
				die_sys(EXIT_TEMP, "unable to write");
		} else if (cmd[0] == 'k') {
			r = qrun_kick(&q, id, now, &damaged);
			if (r == 1 && explicit &&
			    queue_trigger(&q, id) == -1)
				warn_sys("unable to wake queue-run");
			if (r == -1 && errno == EWOULDBLOCK) {
				log_info("%s is being delivered now", id);
				continue;
			}
		} else {
			r = qrun_drop(&q, id);
			if (r == 1)
				log_info("%s dropped", id);
		}
		if (r == QRUN_DAMAGED) {
			/* reported, and the rest go on: not a failure of the
			 * command (queue(8), EXIT STATUS) */
			log_warn("%s damaged=%s/%s error=%s; left as it is "
			    "(queue drop removes it)", id, damaged, id,
			    qrun_damage_text(damaged));
			continue;
		}
		if (r == 0 && explicit) {
			log_warn("%s: no such message", id);
			outcome(EXIT_PERM);
		} else if (r == -1) {
			warn_sys("%s", id);
			outcome(EXIT_TEMP);
		}
	}
	/* kick without ids: one "everything is due" to queue-run */
	if (cmd[0] == 'k' && !explicit && queue_trigger(&q, NULL) == -1)
		warn_sys("unable to wake queue-run");
	queue_close(&q);
	buf_free(&v);
	buf_free(&out);
	return rc;
}
