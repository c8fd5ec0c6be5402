/*
 * queue-inject: store the message on stdin in the queue, durably, and
 * print its queue id.  See doc/queue-inject.8.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "fileio.h"
#include "log.h"
#include "queue.h"

#define USAGE	"queue-inject [-h] -f sender [-o key=value]... rcpt..."

static void	fail(int, const char *, const char *, ...)
		    __attribute__((noreturn, format(printf, 3, 4)));
static size_t	max_size(void);

/*
 * Log the fatal line, then the SMTP reply (the last line on fd 2, as a
 * filter's: DESIGN.md section 4), and exit.
 */
static void
fail(int code, const char *reply, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(reply);
	char line[128];

	va_start(ap, fmt);
	log_vmsg(LOG_FATAL, fmt, ap);
	va_end(ap);
	if (n + 2 <= sizeof(line)) {
		memcpy(line, reply, n);
		line[n++] = '\n';
		(void)!write(2, line, n);
	}
	_exit(code);
}

/* queue-maxsize, else smtp-maxsize, else 50 MiB; 0 is no limit. */
static size_t
max_size(void)
{
	unsigned long v = QUEUE_DEFAULT_MAXSIZE;
	const char *name = "queue-maxsize";
	int r;

	if ((r = control_ulong(name, &v, 0, (unsigned long)SIZE_MAX)) == 0) {
		name = "smtp-maxsize";
		r = control_ulong(name, &v, 0, (unsigned long)SIZE_MAX);
	}
	if (r == -1)
		fail(EXIT_TEMP, "451 4.3.5 system incorrectly configured",
		    "bad control file %s/%s: %s", control_dir(), name,
		    strerror(errno));
	return r == 1 ? (size_t)v : QUEUE_DEFAULT_MAXSIZE;
}

int
main(int argc, char **argv)
{
	struct queue_env env;
	struct queue_inject inj;
	struct queue q;
	struct buf id = BUF_INIT, out = BUF_INIT;
	const char *sender = NULL, *why;
	char **opts;
	size_t nopt = 0, i, max;
	int c;

	log_init(argv[0]);
	/* a file size limit must make write(2) fail (EFBIG), not kill us;
	 * nor may a reader leaving the trigger once the message is queued */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if ((opts = calloc((size_t)argc + 1, sizeof(*opts))) == NULL)
		die_nomem();
	while ((c = getopt(argc, argv, "hf:o:")) != -1) {
		switch (c) {
		case 'f':
			sender = optarg;
			break;
		case 'o':
			opts[nopt++] = optarg;
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (sender == NULL || optind >= argc)
		die_usage(USAGE);

	queue_env_init(&env);
	if (queue_env_sender(&env, sender) == -1)
		die_nomem();
	for (i = (size_t)optind; i < (size_t)argc; i++)
		if (queue_env_rcpt(&env, argv[i]) == -1) {
			if (errno == E2BIG)
				fail(EXIT_PERM, "452 4.5.3 too many recipients",
				    "more than %d recipients", QUEUE_RCPT_MAX);
			die_nomem();
		}
	for (i = 0; i < nopt; i++)
		if (queue_env_option(&env, opts[i], &why) == -1) {
			if (why == NULL)
				die_nomem();
			fail(EXIT_PERM, "501 5.5.4 invalid parameter",
			    "bad option %s: %s", opts[i], why);
		}
	if (queue_env_check(&env, &why) == -1)
		fail(EXIT_PERM, "553 5.1.3 bad address syntax", "%s", why);
	max = max_size();

	if (queue_open(&q, NULL) == -1) {
		if (errno == ENOENT)
			fail(EXIT_TEMP, "451 4.3.0 queue unavailable",
			    "queue %s has no tmp/, mess/ and env/: "
			    "run queue init", queue_dir());
		fail(EXIT_TEMP, "451 4.3.0 queue unavailable",
		    "unable to open queue %s: %s", queue_dir(),
		    strerror(errno));
	}
	if (queue_inject_begin(&q, &env, max, &inj) == -1)
		fail(EXIT_TEMP, "451 4.3.0 queue unavailable",
		    "unable to create a file in %s/tmp: %s", q.dir,
		    strerror(errno));
	if (queue_inject_fd(&inj, 0) == -1) {
		if (errno == EFBIG) {
			queue_inject_abort(&inj);
			/* RFC 1870 6.2, RFC 3463 X.3.4 */
			fail(EXIT_PERM, "552 5.3.4 message too big",
			    "message larger than %zu bytes", max);
		}
		queue_inject_abort(&inj);
		fail(EXIT_TEMP, "451 4.3.0 queue unavailable",
		    "unable to write the message to %s/tmp: %s", q.dir,
		    strerror(errno));
	}
	if (queue_inject_commit(&inj, &id) == -1)
		fail(EXIT_TEMP, "451 4.3.0 queue unavailable",
		    "unable to queue the message in %s: %s", q.dir,
		    strerror(errno));
	log_info("%s queued from=<%s> rcpts=%zu size=%zu", id.s, sender,
	    env.nrcpt, inj.size);
	/* queued: a lost stdout cannot take that back */
	if (buf_printf(&out, "%s\n", id.s) == -1 ||
	    write_all(1, out.s, out.len) == -1)
		warn_sys("%s unable to print the queue id", id.s);
	queue_close(&q);
	queue_env_free(&env);
	buf_free(&id);
	buf_free(&out);
	free(opts);
	return EXIT_DONE;
}
