/* queue_inject: the program queue-inject, in-process (queue.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/control.h"
#include "base/log.h"
#include "queue/queue.h"

/* ---- queue-inject ------------------------------------------------- */

/* Log the failure and set the reply; returns code. */
static int
inject_fail(struct buf *reply, int code, const char *text, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_FATAL, fmt, ap);
	va_end(ap);
	(void)buf_set(reply, text, strlen(text));
	return code;
}

/* The reply when the queue could not be written: full, or not. */
static const char *
write_reply(int err)
{
	return queue_storage_full(err) ? QUEUE_REPLY_FULL :
	    "451 4.3.0 queue unavailable";
}

int
queue_maxsize(size_t *max, const char **name)
{
	unsigned long v = QUEUE_DEFAULT_MAXSIZE;
	int r;

	*name = "queue-maxsize";
	if ((r = control_ulong(*name, &v, 0, (unsigned long)SIZE_MAX)) == 0) {
		*name = "smtp-maxsize";
		r = control_ulong(*name, &v, 0, (unsigned long)SIZE_MAX);
	}
	*max = r == 1 ? (size_t)v : QUEUE_DEFAULT_MAXSIZE;
	return r;
}

/* The option argument of argv[*i] ("-fX" or "-f X"), or NULL. */
static const char *
inject_optarg(int argc, char *const argv[], int *i)
{
	if (argv[*i][2] != '\0')
		return argv[*i] + 2;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/*
 * queue-inject's arguments into env: "-f SENDER", "-o KEY=VALUE"... as
 * getopt(3) takes "f:o:", then "--" or not, then the recipients; the
 * options are applied after the recipients (per-recipient ones name
 * them).  Returns 0, QUEUE_INJECT_USAGE, or the code of the failure
 * (logged, the reply set).
 */
static int
inject_args(int argc, char *const argv[], struct queue_env *env,
    struct buf *reply)
{
	const char *sender = NULL, *why, *arg;
	const char **opts;
	size_t nopt = 0, j;
	int i, code = 0;
	char opt;

	if ((opts = calloc((size_t)argc + 1, sizeof(*opts))) == NULL)
		return inject_fail(reply, EXIT_TEMP, "451 4.3.0 out of memory",
		    "out of memory");
	for (i = 1; i < argc; i++) {
		opt = argv[i][0] == '-' ? argv[i][1] : '\0';
		if (opt == '\0')
			break;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if ((opt != 'f' && opt != 'o') ||
		    (arg = inject_optarg(argc, argv, &i)) == NULL) {
			code = QUEUE_INJECT_USAGE;
			goto out;
		}
		if (opt == 'f')
			sender = arg;
		else
			opts[nopt++] = arg;
	}
	if (sender == NULL || i >= argc) {
		code = QUEUE_INJECT_USAGE;
		goto out;
	}
	if (queue_env_sender(env, sender) == -1) {
		code = inject_fail(reply, EXIT_TEMP, "451 4.3.0 out of memory",
		    "out of memory");
		goto out;
	}
	for (; i < argc; i++)
		if (queue_env_rcpt(env, argv[i]) == -1) {
			if (errno == E2BIG)
				code = inject_fail(reply, EXIT_PERM,
				    "552 5.5.3 too many recipients",
				    "more than %d recipients", QUEUE_RCPT_MAX);
			else
				code = inject_fail(reply, EXIT_TEMP,
				    "451 4.3.0 out of memory", "out of memory");
			goto out;
		}
	for (j = 0; j < nopt; j++)
		if (queue_env_option(env, opts[j], &why) == -1) {
			if (why == NULL)
				code = inject_fail(reply, EXIT_TEMP,
				    "451 4.3.0 out of memory", "out of memory");
			else
				code = inject_fail(reply, EXIT_PERM,
				    "501 5.5.4 invalid parameter",
				    "bad option %s: %s", opts[j], why);
			goto out;
		}
	if (queue_env_check(env, &why) == -1)
		code = inject_fail(reply, EXIT_PERM,
		    "553 5.1.3 bad address syntax", "%s", why);
out:
	free(opts);
	return code;
}

/* Store the message (fd, or mem when fd is -1) with env in the open
 * queue q: 0 with its id in id_r, or the code of the failure. */
static int
inject_store(struct queue *q, const struct queue_env *env, size_t max,
    int fd, const void *mem, size_t len, struct buf *id_r, struct buf *reply)
{
	struct queue_inject inj;
	int save;

	if (queue_inject_begin(q, env, max, &inj) == -1)
		return inject_fail(reply, EXIT_TEMP, write_reply(errno),
		    "unable to create a file in %s/tmp: %s", q->dir,
		    strerror(errno));
	if ((fd != -1 ? queue_inject_fd(&inj, fd) :
	    queue_inject_write(&inj, mem, len)) == -1) {
		save = errno;
		queue_inject_abort(&inj);
		if (save == EFBIG)
			/* RFC 1870 6.2, RFC 3463 X.3.4 */
			return inject_fail(reply, EXIT_PERM,
			    "552 5.3.4 message too big",
			    "message larger than %zu bytes", max);
		return inject_fail(reply, EXIT_TEMP, write_reply(save),
		    "unable to write the message to %s/tmp: %s", q->dir,
		    strerror(save));
	}
	if (queue_inject_commit(&inj, id_r) == -1)
		return inject_fail(reply, EXIT_TEMP, write_reply(errno),
		    "unable to queue the message in %s: %s", q->dir,
		    strerror(errno));
	/* stored=: the bytes queued, the Received field and the filters'
	 * fields included; smtp-recv's size= is what the client sent */
	log_info("%s queued from=<%s> rcpts=%zu stored=%zu", id_r->s,
	    env->sender, env->nrcpt, inj.size);
	return 0;
}

int
queue_inject_run(int argc, char *const argv[], int fd, const void *mem,
    size_t len, struct buf *id_r, struct buf *reply)
{
	struct queue_env env;
	struct queue q;
	const char *name;
	size_t max;
	int code, r;

	queue_env_init(&env);
	if ((code = inject_args(argc, argv, &env, reply)) != 0)
		goto out;
	if ((r = queue_maxsize(&max, &name)) == -1) {
		code = inject_fail(reply, EXIT_TEMP,
		    "451 4.3.5 system incorrectly configured",
		    "bad control file %s/%s: %s", control_dir(), name,
		    strerror(errno));
		goto out;
	}
	if (queue_open(&q, NULL) == -1) {
		if (errno == ENOENT)
			code = inject_fail(reply, EXIT_TEMP,
			    "451 4.3.0 queue unavailable",
			    "queue %s has no tmp/, mess/ and env/: "
			    "run queue init", queue_dir());
		else
			code = inject_fail(reply, EXIT_TEMP,
			    "451 4.3.0 queue unavailable",
			    "unable to open queue %s: %s", queue_dir(),
			    strerror(errno));
		goto out;
	}
	code = inject_store(&q, &env, max, fd, mem, len, id_r, reply);
	queue_close(&q);
out:
	queue_env_free(&env);
	return code;
}
