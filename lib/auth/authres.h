/*
 * authres: the Authentication-Results header field (RFC 8601) that the
 * authentication stages add, and the message rewrite they share.
 *
 * A stage reads the header section, decides, and writes the message on
 * with its fields first (the top of the header: RFC 8601 4 and RFC 5321
 * 4.4 order, newest first); every incoming Authentication-Results field
 * that claims our authserv-id is removed on the way (RFC 8601 5: such a
 * field cannot be ours and would be believed downstream).  The body is
 * copied as it is, byte for byte.
 *
 * Return convention: 0 / -1 with errno set, unless stated otherwise.
 */
#ifndef POSTERN_AUTHRES_H
#define POSTERN_AUTHRES_H

#include <stddef.h>

#include "base/buf.h"
#include "base/stage.h"
#include "mail/msg.h"

#define AUTHRES_HEADER_MAX	(8 * 1024 * 1024)	/* header read */
#define AUTHRES_ID_MAX		255	/* an authserv-id: a domain name */

/*
 * The authserv-id of the field value v[0..n) (RFC 8601 2.2: [CFWS]
 * authserv-id, a value: a token or a quoted-string), without quotes,
 * into id.  0, or -1 with EINVAL when there is none.
 */
int	authres_servid(const char *v, size_t n, struct buf *id);

/* Is f an Authentication-Results field claiming authserv_id (ASCII
 * case-insensitive)?  1 / 0. */
int	authres_ours(const struct msg_field *f, const char *authserv_id);

/*
 * Building a field: authres_begin starts "Authentication-Results: ID"
 * (the field's lines end in eol, "\r\n" or "\n", as the message's own
 * do), each authres_add puts one result on a line of its own, folded
 * with a tab (RFC 5322 2.2.3): "METHOD=RESULT", then " reason=\"...\""
 * when reason is not NULL (a quoted-string: quotes, backslashes and
 * control bytes are dropped), then " PROPS" when props is not NULL (the
 * caller's "ptype.property=value ..." text); authres_end ends the field,
 * with "; none" when no result was added (RFC 8601 2.2).
 */
struct authres_field {
	struct buf	 b;
	const char	*eol;
	int		 n;
};

int	authres_begin(struct authres_field *, const char *authserv_id,
	    const char *eol);
int	authres_add(struct authres_field *, const char *method,
	    const char *result, const char *reason, const char *props);
int	authres_end(struct authres_field *);

/*
 * A message read from a stage's input: the header section in memory
 * (at most AUTHRES_HEADER_MAX bytes), the rest left on the input.
 */
struct authres_msg {
	struct buf	 head;		/* header section, blank line included */
	size_t		 headlen;	/* of it; head may hold body bytes too */
	const char	*eol;		/* "\r\n" or "\n": the first line's */
};

/* Read the header section from io->in.  0; -1 on a read error or a
 * header past the limit (EFBIG). */
int	authres_read(struct stage_io *, struct authres_msg *);

/*
 * A stage's start: our authserv-id into id (SMTP_HOSTNAME, DESIGN.md 4,
 * else control_me: what smtp-recv calls itself) and the header section
 * into m (authres_read).  0, or -1 with a log line and the 451 reply in
 * io->err: the stage returns EXIT_TEMP.  m and id are freed by the
 * caller either way.
 */
int	authres_start(struct stage_io *, struct authres_msg *, struct buf *id);

/*
 * Where the earlier stages' fields end: the offset of the first Received
 * field of the header (smtp-recv's own, the top of the spool when the
 * chain starts, so what is above it a stage of ours added), or of the
 * end of the last field when there is none (a message run by hand).
 */
size_t	authres_top(const struct authres_msg *);

/*
 * Write the message to io->out: fields (NULL for none), then the first
 * keep bytes of the header as they are (the earlier stages' fields, from
 * authres_top; 0 for the first stage), then the rest of the header
 * without the Authentication-Results fields that claim authserv_id
 * (NULL: remove none), then the rest of the input copied.  0, or -1
 * with a log line and "451 4.3.0 unable to write the message" in io->err.
 */
int	authres_write(struct stage_io *, struct authres_msg *,
	    const char *fields, size_t n, const char *authserv_id,
	    size_t keep);

void	authres_msg_free(struct authres_msg *);

#endif
