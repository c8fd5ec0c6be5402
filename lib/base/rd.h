/*
 * rd: a buffered, bounded line reader on a file descriptor, with a timeout
 * on every wait.  The read function can be replaced (a TLS layer sets its
 * own), so protocol code reads lines the same way in clear and in TLS.
 *
 * Return convention: rd_line and rd_bytes return 1 (got data), 0 (EOF) or -1
 * with errno: ETIMEDOUT (no byte within the timeout), EMSGSIZE (the line
 * was longer than max: it has been read and discarded up to its LF), or the
 * errno of the failed read.
 */
#ifndef POSTERN_RD_H
#define POSTERN_RD_H

#include <sys/types.h>
#include <stddef.h>

#include "base/buf.h"

#define RD_BUFSIZE	16384

typedef ssize_t (*rd_readfn)(void *ctx, void *p, size_t n);

struct rd {
	int		 fd;
	int		 timeout_ms;	/* < 0: wait forever */
	rd_readfn	 read;		/* NULL: read(2) on fd */
	void		*ctx;
	size_t		 pos, len;
	char		 b[RD_BUFSIZE];
};

void	rd_init(struct rd *, int fd, int timeout_ms);

/*
 * Read one line, LF-terminated, into line (replacing its content); the LF
 * (and a CR before it) stay in the line so the caller sees exactly what
 * came.  At EOF a last partial line is returned as 1 and the next call
 * returns 0.  A line longer than max bytes fails with EMSGSIZE.
 */
int	rd_line(struct rd *, struct buf *line, size_t max);

/* Read up to n bytes, appending to out: 1, 0 at EOF, or -1. */
int	rd_bytes(struct rd *, struct buf *out, size_t n);

/* Bytes already buffered and not yet consumed. */
size_t	rd_pending(const struct rd *);

/*
 * Give back the last n bytes consumed, so the next read returns them
 * again; only bytes still in the buffer can be given back (those of the
 * last rd_bytes or rd_line call, unless a refill came after).  Returns
 * how many were given back.
 */
size_t	rd_unread(struct rd *, size_t n);

/* Drop everything buffered (RFC 3207 4: after STARTTLS). */
void	rd_discard(struct rd *);

/*
 * Wait up to ms for fd to become readable: 1 readable (or EOF pending),
 * 0 timed out, -1 error.  Used for early-talker checks.
 */
int	rd_wait(int fd, int ms);

#endif
