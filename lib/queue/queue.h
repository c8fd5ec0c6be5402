/*
 * queue: the mail queue of DESIGN.md section 5 on disk.  The envelope
 * format, queue ids, injection, the per-recipient state file, the queue
 * layout and the trigger.  The delivery logic that works on it is in
 * qrun.h; doc/queue-inject.8 has the state table.
 *
 * Layout under the queue directory ($POSTERN_QUEUE, default
 * /var/spool/postern):
 *
 *   tmp/ID      a message being written (never read by queue-run)
 *   mess/ID     a queued message: the envelope as injected ("head"), a
 *               blank line, then the message; immutable.  Its existence
 *               is what makes a message queued.
 *   env/ID      the per-recipient state, written by queue-run (absent
 *               until the first delivery attempt: all recipients pending)
 *   trigger     a FIFO; queue-inject writes "ID\n" to wake queue-run
 *   writer      queue-writer's socket, when it runs (qwriter.h)
 *   spool/      smtp-recv's spool files (unnamed, O_TMPFILE), before a
 *               message is handed to the queue
 *
 * Envelope and state files are text, one field per line: a key, a space,
 * the value.  Values are escaped: '%' and bytes below 0x20 or 0x7f are
 * written "%XX" (upper-case hex), so a value is one line whatever it
 * holds.  A head ends at the first empty line.
 *
 * Return convention: 0 on success, -1 on failure with errno set, unless a
 * function says otherwise.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "queue/param.h"

#define QUEUE_DEFAULT_DIR	"/var/spool/postern"
#define QUEUE_ID_MAX		64	/* bytes in a queue id */
#define QUEUE_RCPT_MAX		10000	/* recipients of one message */
#define QUEUE_ADDR_MAX		254	/* RFC 5321 4.5.3.1.3: path 256 */
#define QUEUE_VALUE_MAX		1000	/* any other envelope value */
#define QUEUE_HEAD_MAX		(16 * 1024 * 1024)	/* head or state file */
#define QUEUE_DEFAULT_MAXSIZE	52428800UL	/* smtp-maxsize's default */
#define QUEUE_DEFAULT_LIFETIME	432000L		/* 5 days */
#define QUEUE_TMP_MAXAGE	(36 * 3600)	/* stale tmp/ files */

/*
 * Modes of the layout (see queue_create) and of the files in it.  The
 * queue user alone reads and writes tmp/, mess/ and env/; the injecting
 * group (the smtp user) may only pass the top directory, connect to
 * queue-writer's socket (qwriter.h) and create its spool files in
 * spool/, which it cannot list.
 */
#define QUEUE_MODE_TOP		0750
#define QUEUE_MODE_PRIVATE	0700	/* tmp/, mess/, env/ */
#define QUEUE_MODE_SPOOL	0730	/* spool/: the group writes, unlisted */
#define QUEUE_MODE_TRIGGER	0600
#define QUEUE_MODE_MESS		0600
#define QUEUE_MODE_ENV		0600

/*
 * The envelope
 */

struct queue_rcpt {
	char		*addr;
	unsigned	 notify;	/* PARAM_NOTIFY_*, 0: not given */
	char		*orcpt;		/* "addr-type;xtext", or NULL */
};

struct queue_env {
	time_t		 time;		/* arrival (injection) */
	char		*sender;	/* "" is the null sender */
	enum param_body	 body;		/* RFC 6152, RFC 3030 BODY= */
	int		 smtputf8;	/* RFC 6531 */
	int		 requiretls;	/* RFC 8689 */
	enum param_ret	 ret;		/* RFC 3461 4.3 */
	char		*envid;		/* RFC 3461 4.4, xtext; or NULL */
	char		*received_from;	/* client IP address, or NULL */
	char		*authuser;	/* RFC 4954 AUTH user, or NULL */
	time_t		 hold_until;	/* RFC 4865 FUTURERELEASE; 0: none */
	struct queue_rcpt *rcpt;
	size_t		 nrcpt, caprcpt;
};

void	queue_env_init(struct queue_env *);
void	queue_env_free(struct queue_env *);

/* Set the sender (no check here; queue_env_check checks). */
int	queue_env_sender(struct queue_env *, const char *);

/* Append a recipient.  E2BIG past QUEUE_RCPT_MAX. */
int	queue_env_rcpt(struct queue_env *, const char *);

/*
 * Apply one "-o key=value" option of queue-inject (doc/queue-inject.8):
 * body, smtputf8, requiretls, ret, envid, received-from, authuser,
 * hold-until, rcpt.N.notify, rcpt.N.orcpt.  Recipients must be added
 * first.  errno: ENOENT for an unknown key (or a recipient index past
 * the recipients), EINVAL for a bad value.  *why_r (static text) says
 * what is wrong.
 */
int	queue_env_option(struct queue_env *, const char *keyvalue,
	    const char **why_r);

/*
 * Check the whole envelope: the sender is an address or "", each
 * recipient an address, non-ASCII only with smtputf8 (RFC 6531 3.3), no
 * control characters anywhere.  0, or -1 (EINVAL) with *why_r set.
 */
int	queue_env_check(const struct queue_env *, const char **why_r);

/* Append the head: the envelope lines and the empty line ending it. */
int	queue_env_format(const struct queue_env *, struct buf *);

/*
 * Parse a head at p[0..n) into env (which queue_env_init prepared);
 * *used_r gets the length of the head with its ending empty line, i.e.
 * the offset of the message.  EINVAL for a malformed or unended head.
 */
int	queue_env_parse(struct queue_env *, const char *p, size_t n,
	    size_t *used_r);

/* Is s an address (RFC 5321 4.1.2 Mailbox) of at most QUEUE_ADDR_MAX
 * bytes?  utf8 allows RFC 6531 UTF-8.  1 yes, 0 no. */
int	queue_addr_ok(const char *s, int utf8);

/* The value escaping of envelope and state files. */
int	queue_escape(struct buf *, const char *, size_t);
int	queue_unescape(struct buf *, const char *, size_t);	/* EINVAL */

/*
 * Queue ids: "SSSSSSSSSS.UUUUUU.PID.SEQ", the injection time in seconds
 * and microseconds (fixed width, so ids sort by age), the process id and
 * a per-process count.  Digits and dots only: safe as a file name.
 */
int	queue_id_new(struct buf *);
int	queue_id_ok(const char *);		/* 1 / 0 */
time_t	queue_id_time(const char *);		/* the seconds, or 0 */

/*
 * The retry schedule: the delay after the n-th failed attempt (n >= 1):
 * 15m, 30m, 1h, 2h, 4h, then 8h.
 */
long	queue_backoff(unsigned attempts);

/*
 * The layout
 */

struct queue {
	char		*dir;
	int		 dfd, tmpfd, messfd, envfd;	/* directories */
};

/* $POSTERN_QUEUE, or QUEUE_DEFAULT_DIR. */
const char *queue_dir(void);

/*
 * Create the layout in dir (NULL: queue_dir()) with the modes above;
 * what exists is kept.  Idempotent.  Directories made are fsynced into
 * their parents.
 */
int	queue_create(const char *dir);

/* Open the queue at dir (NULL: queue_dir()); ENOENT when the layout is
 * missing (queue_create was never run).  env/ is opened when it can be:
 * an injector of the queue's group may not (envfd is -1 then). */
int	queue_open(struct queue *, const char *dir);
void	queue_close(struct queue *);

/*
 * Wake queue-run: write "ID\n" (or "\n" for a full rescan, id NULL) to
 * the trigger, without waiting.  No reader (queue-run not running) or a
 * full pipe is not an error: queue-run scans the queue when it starts
 * and every minute.  The caller ignores SIGPIPE (a reader may leave
 * between the open and the write).
 */
int	queue_trigger(struct queue *, const char *id);

/*
 * Injection: begin (a new file in tmp/, the head written), write the
 * message, commit (fsync, move into mess/ under a name that is not taken,
 * fsync mess/, trigger).  Two fsyncs in all.  Abort removes the tmp file;
 * a failed commit aborts by itself.  After commit or abort the struct
 * may be begun again.
 */
struct queue_inject {
	struct queue	*q;
	int		 fd;
	struct buf	 id;
	struct buf	 out;		/* pending writes */
	size_t		 size, max;	/* message bytes; max 0: no limit */
};

int	queue_inject_begin(struct queue *, const struct queue_env *,
	    size_t max, struct queue_inject *);
/* EFBIG past max (permanent); other errno: system errors (a file
 * size limit of the system, RLIMIT_FSIZE, is EDQUOT). */
int	queue_inject_write(struct queue_inject *, const void *, size_t);
/* Copy fd to EOF (as queue_inject_write). */
int	queue_inject_fd(struct queue_inject *, int fd);
int	queue_inject_commit(struct queue_inject *, struct buf *id_r);
void	queue_inject_abort(struct queue_inject *);

/*
 * The storage is full: errno ENOSPC (the file system) or EDQUOT (a
 * quota, or a file size limit as injection reports it).  1 / 0.  Such a
 * failure gets QUEUE_REPLY_FULL: RFC 5321 4.2.2 and 4.2.3, "452
 * Requested action not taken: insufficient system storage", and RFC
 * 3463 3.4, X.3.1 "Mail system full".
 */
int	queue_storage_full(int err);
#define QUEUE_REPLY_FULL	"452 4.3.1 insufficient system storage"

/*
 * The largest message the queue takes: the control file queue-maxsize,
 * else smtp-maxsize, else QUEUE_DEFAULT_MAXSIZE; 0 is no limit.
 * Returns as control_ulong (1 found, 0 the default, -1 a bad file,
 * *name then saying which).
 */
int	queue_maxsize(size_t *max, const char **name);

/*
 * All of queue-inject(8): argv as that program takes it (argv[0] is its
 * name: "-f SENDER", "-o KEY=VALUE"..., "--", recipients), the message
 * read from fd to EOF (or, when fd is -1, the len bytes at mem), stored
 * durably; the queue id goes to id_r.  For the program, and for
 * smtp-recv, which calls it in-process when its filter chain is empty
 * (DESIGN.md section 10: one process start less per message), with the
 * message from memory when it is small.  Logs as queue-inject does.
 * Returns 0; EXIT_PERM or EXIT_TEMP with the SMTP reply for the client in
 * reply_r (QUEUE_REPLY_FULL when the storage is full); or
 * QUEUE_INJECT_USAGE for bad usage (nothing logged).
 */
#define QUEUE_INJECT_USAGE	2
int	queue_inject_run(int argc, char *const argv[], int fd,
	    const void *mem, size_t len, struct buf *id_r,
	    struct buf *reply_r);

/*
 * Per-recipient state (env/ID)
 *
 * Each recipient of the envelope is pending (never tried), deferred (its
 * routing failed for now: attempts, next try, last error), routed (into
 * targets) or failed.  A routed recipient has one or more targets, local
 * (an account) or remote; each is pending, done, deferred, failed or
 * remote (held for remote delivery).
 */
enum queue_rstate { QR_PENDING = 0, QR_DEFERRED, QR_ROUTED, QR_FAILED };
enum queue_tstate { QT_PENDING = 0, QT_DONE, QT_DEFERRED, QT_FAILED,
	QT_REMOTE };

/* DSN flags: which notifications have been issued */
#define QDSN_FAILED	0x1
#define QDSN_SUCCESS	0x2	/* "delivered" or "expanded" */
#define QDSN_DELAY	0x4

struct queue_target {
	enum queue_tstate state;
	int		 remote;
	char		*address;
	char		*account;	/* local targets */
	unsigned	 attempts;
	time_t		 last, next;
	char		*error;		/* "X.Y.Z text", or NULL */
	unsigned	 dsn;		/* QDSN_* */
};

struct queue_rstate_rec {
	enum queue_rstate state;
	unsigned	 attempts;
	time_t		 last, next;
	char		*error;
	unsigned	 dsn;
	struct queue_target *t;
	size_t		 nt, capt;
};

struct queue_state {
	struct queue_rstate_rec *r;
	size_t		 n;
};

/* n recipients, all pending. */
int	queue_state_init(struct queue_state *, size_t n);
void	queue_state_free(struct queue_state *);
int	queue_state_add_target(struct queue_rstate_rec *, int remote,
	    const char *address, const char *account);
int	queue_state_format(const struct queue_state *, struct buf *);
/* Parse a state file for a message of st->n recipients (EINVAL). */
int	queue_state_parse(struct queue_state *, const char *, size_t);

const char *queue_rstate_name(enum queue_rstate);
const char *queue_tstate_name(enum queue_tstate);

/* Set an error text (copied); NULL clears. */
int	queue_set_error(char **, const char *);

/*
 * A queued message opened for work
 */
struct queue_msg {
	char		 id[QUEUE_ID_MAX + 1];
	const char	*damaged;	/* after EINVAL: QUEUE_DAMAGED_* */
	int		 fd;		/* mess/ID, read-only */
	off_t		 off;		/* where the message starts */
	off_t		 size;		/* message bytes */
	int		 has_state;	/* env/ID existed */
	struct queue_env env;
	struct queue_state st;
};

#define QOPEN_LOCK	0x1	/* flock LOCK_EX | LOCK_NB */
#define QOPEN_WAIT	0x2	/* with QOPEN_LOCK: wait for the lock */

/*
 * Open mess/ID, parse its head and read env/ID.  Returns 1 opened, 0 no
 * such message (or it was removed while we waited for the lock), -1
 * error: EWOULDBLOCK when locked by another process, EINVAL for a
 * damaged file (m->damaged then says which: QUEUE_DAMAGED_HEAD for
 * mess/ID, QUEUE_DAMAGED_STATE for env/ID), EINVAL too for a malformed
 * id (m->damaged NULL).
 */
#define QUEUE_DAMAGED_HEAD	"mess"	/* head malformed, unended, too big */
#define QUEUE_DAMAGED_STATE	"env"	/* state file malformed or too big */
int	queue_msg_open(struct queue *, const char *id, int flags,
	    struct queue_msg *);
void	queue_msg_close(struct queue_msg *);

/* Write env/ID atomically: a temporary in env/, fsync, rename, fsync env/. */
int	queue_msg_save(struct queue *, struct queue_msg *);

/*
 * Remove the message: unlink mess/ID, fsync mess/ (from then on it is
 * gone even after a crash), unlink env/ID.
 */
int	queue_msg_remove(struct queue *, struct queue_msg *);

/* Position m->fd at the start of the message. */
int	queue_msg_rewind(struct queue_msg *);

#endif
