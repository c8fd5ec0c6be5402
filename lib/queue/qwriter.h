/*
 * qwriter: handing messages to the queue through queue-writer(8), so
 * that the network-facing user never writes (or reads) the queue itself.
 *
 * queue-writer runs as the queue user and listens on the UNIX socket
 * "writer" in the queue directory (mode 0660, the queue directory's
 * group: the injecting group may connect, nobody else).  A client sends
 * one request per message: queue-inject's arguments and the message,
 * either as an open read-only regular file (a descriptor, SCM_RIGHTS:
 * the spool file, never copied) or inline when it is small; the writer
 * runs queue_inject_run() on it (the durable write of queue.h) and
 * answers with the exit code and the queue id or the SMTP reply.  One
 * connection carries any number of requests in turn, so an SMTP session
 * connects once, at its first message.  The writer's workers are forked
 * ahead of time and each serves one connection after another: no fork
 * per connection or message, and sessions are written in parallel.
 *
 * This is Postfix's smtpd-to-cleanup hand-over in the toolkit's shape;
 * what it costs per message is a sendmsg and a read (DESIGN.md section
 * 10: far less than the fsyncs it is next to).
 *
 * The wire format, in host byte order (both ends are on one machine):
 *   request: "PQW1", u32 argv bytes, u32 inline bytes, u32 flags
 *            (QWRITER_F_FD: a descriptor came with the first byte), then
 *            the arguments (each NUL-terminated; argv[0] not sent), then
 *            the inline message bytes
 *   reply:   "PQR1", i32 exit code (0, 100, 111, or 2 for bad usage),
 *            u32 length, then the queue id (code 0) or the reply text
 *
 * Return convention: 0 / -1 with errno set, unless stated otherwise.
 */
#ifndef POSTERN_QWRITER_H
#define POSTERN_QWRITER_H

#include <stddef.h>

#include "base/buf.h"

#define QWRITER_SOCKET		"writer"	/* in the queue directory */
#define QWRITER_MODE		0660
#define QWRITER_ARGV_MAX	(4 * 1024 * 1024) /* 10000 rcpts of 254 + options */
#define QWRITER_ARGS_MAX	(3 * 10000 + 64)  /* arguments of a request */
#define QWRITER_INLINE_MAX	(1024 * 1024)	/* a message sent inline */
#define QWRITER_REPLY_MAX	4096
#define QWRITER_MAXCONN_DEFAULT	256		/* connections at once */
#define QWRITER_IO_MS		60000	/* a request's bytes, once begun */
#define QWRITER_IDLE_MS		(3700 * 1000)	/* between requests: past
						 * smtp-session-timeout */
#define QWRITER_F_FD		0x1

/*
 * The choice every injector makes (smtp-recv in-process, queue-inject):
 * when the queue directory has the writer socket, the message goes
 * through queue-writer, over one connection kept for the process's
 * later messages; without the socket it is written directly
 * (queue_inject_run: a queue owned by the injecting user, as `make run`
 * and tests have it).  A socket nobody answers is 451 4.3.0 (the writer
 * is down; nothing is written around it).  Same arguments and results as
 * queue_inject_run(); timeout_ms bounds the wait for the writer's reply
 * (0: QWRITER_IDLE_MS).
 */
int	queue_submit(int argc, char *const argv[], int fd, const void *mem,
	    size_t len, int timeout_ms, struct buf *id_r, struct buf *reply_r);

/*
 * queue-writer(8) on the queue at queue_dir(): bind the socket (a stale
 * one is replaced, a live one is an error: EADDRINUSE), serve up to
 * maxconn connections at once (0: the default) until SIGTERM, which
 * removes the socket and returns 0.  Returns -1 on a setup failure.
 */
int	qwriter_serve(unsigned long maxconn);

#endif
