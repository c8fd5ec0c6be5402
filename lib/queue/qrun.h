/*
 * qrun: the work of queue-run (doc/queue-run.8) and of the
 * administrator's tool queue(8) on the queue of queue.h: routing each
 * recipient (lib/route.h), local delivery in-process (lib/maildir.h),
 * retries with back-off, DSNs (lib/dsn.h) injected back into the queue,
 * and the scheduler that runs a few workers and wakes on the trigger.
 *
 * Return convention: 0 on success, -1 on failure with errno set, unless a
 * function says otherwise.
 */
#ifndef POSTERN_QRUN_H
#define POSTERN_QRUN_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "queue/queue.h"

#define QRUN_NEVER		((time_t)-1)	/* nothing to schedule */
#define QRUN_CONCURRENCY	4
#define QRUN_CONCURRENCY_MAX	64
#define QRUN_RESCAN		60	/* seconds between full scans */
#define QRUN_DELAY_NOTICE	(4 * 3600)	/* NOTIFY=DELAY after this */
#define QRUN_BUSY_RETRY		60	/* a message locked elsewhere */
#define QRUN_SAVE_EVERY		32	/* deliveries between state saves */
#define QRUN_TMP_CLEAN_EVERY	3600	/* an account's Maildir tmp/ cleaning */
#define QRUN_TMP_CLEAN_MAX	1024	/* entries looked at per cleaning */

struct qrun_conf {
	struct buf	 me;		/* control "me", else the host name */
	struct buf	 mailroot;	/* $POSTERN_MAILROOT */
	long		 lifetime;	/* control queue-lifetime */
	unsigned	 concurrency;	/* control queue-concurrency */
	size_t		 maildir_max;	/* control maildir-maxsize */
};

/*
 * Defaults, then the control files and the environment.  On a bad
 * control file -1 (EINVAL) with *bad_r naming it.
 */
int	qrun_conf_load(struct qrun_conf *, const char **bad_r);
void	qrun_conf_free(struct qrun_conf *);

/* Set from a signal handler: finish the delivery under way, then stop. */
extern volatile sig_atomic_t qrun_stop;

/*
 * Work on one message: route its pending recipients, deliver what is
 * due, issue the DSNs that are due, then remove the message when nothing
 * is left or save its state.  *next_r gets the time to look at it again,
 * 0 when it is gone, or QRUN_NEVER when nothing is left for queue-run
 * (remote recipients only).  -1 on a system error (the state is as it
 * was, or as last saved), with *next_r set to a retry time.
 */
int	qrun_message(struct queue *, const struct qrun_conf *, const char *id,
	    time_t now, time_t *next_r);

/*
 * The daemon: a scheduler in this process and conf->concurrency worker
 * processes.  once: return when nothing is due any more (queue-run -1).
 * Returns when qrun_stop is set (after the workers finished) or, with
 * once, when done.
 */
int	qrun_main(struct queue *, const struct qrun_conf *, int once);

/*
 * The administrator's operations (queue(8)).  Each returns 1 done, 0 no
 * such message, -1 error (EWOULDBLOCK: kick found it locked), or
 * QRUN_DAMAGED when a file of the message cannot be parsed: *damaged_r
 * (when not NULL) gets which, QUEUE_DAMAGED_HEAD (mess/ID) or
 * QUEUE_DAMAGED_STATE (env/ID), and the message is left as it is.
 */
#define QRUN_DAMAGED	2

/* Describe the message in text lines appended to out; a damaged one in
 * one line "ID age=AGE damaged=DIR/ID error=TEXT". */
int	qrun_list(struct queue *, const char *id, time_t now, struct buf *out,
	    const char **damaged_r);
/* Set the next try of every deferred recipient to now (the caller
 * triggers: queue_trigger). */
int	qrun_kick(struct queue *, const char *id, time_t now,
	    const char **damaged_r);
/* What is wrong with a damaged file of that kind: static text. */
const char *qrun_damage_text(const char *damaged);
/* Remove the message, waiting for a delivery under way to finish. */
int	qrun_drop(struct queue *, const char *id);

/* Every queued id (sorted), as NUL-terminated strings in ids. */
int	qrun_ids(struct queue *, struct buf *ids, size_t *n_r);

#endif
