/*
 * queue-inject: store the message on stdin in the queue, durably, and
 * print its queue id.  See doc/queue-inject.8; the work is
 * queue_submit() in lib/queue/qwriter.c, which smtp-recv also calls.
 */
#include <signal.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "queue/queue.h"
#include "queue/qwriter.h"

#define USAGE	"queue-inject [-h] -f sender [-o key=value ...] [--] rcpt ..."

int
main(int argc, char **argv)
{
	struct buf id = BUF_INIT, reply = BUF_INIT;
	int code;

	log_init(argv[0]);
	/* a file size limit must make write(2) fail (EFBIG), not kill us;
	 * nor may a reader leaving the trigger once the message is queued */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* through queue-writer when the queue has one (qwriter.h) */
	code = queue_submit(argc, argv, 0, NULL, 0, 0, &id, &reply);
	if (code == QUEUE_INJECT_USAGE)
		die_usage(USAGE);
	if (code != 0) {
		/* the SMTP reply is the last line on fd 2, as a filter's
		 * (DESIGN.md section 4) */
		if (buf_putc(&reply, '\n') == 0)
			(void)write_all(2, reply.s, reply.len);
	} else if (buf_putc(&id, '\n') == -1 ||
	    write_all(1, id.s, id.len) == -1)
		/* queued: a lost stdout cannot take that back */
		warn_sys("%s unable to print the queue id", id.s);
	buf_free(&id);
	buf_free(&reply);
	return code;
}
