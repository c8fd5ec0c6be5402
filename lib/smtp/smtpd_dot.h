/*
 * smtpd_dot: the DATA decoder of smtp-recv (RFC 5321 4.1.1.4, 4.5.2).
 * It takes bytes as they come, removes dot-stuffing, appends the message
 * bytes to out, and stops after the CRLF "." CRLF that ends the data
 * (*end_r = 1).  Only that sequence ends it: a "." line after a bare LF
 * or with a bare CR around it is content, and flags say that the message
 * had a bare CR or LF, so the caller refuses it (SMTP smuggling).
 *
 * With lf_normalize (smtp-recv's default, as Postfix's
 * smtpd_forbid_bare_newline = normalize), a bare LF is stored as CRLF
 * (SMTPD_DOT_LF_FIXED) instead of being flagged for refusal; it still
 * starts no line for SMTP, so neither a dot after it is unstuffed nor
 * LF "." CRLF ends the data: a smuggling attempt stays inside the
 * message it was sent in.  A bare CR is always flagged.
 *
 * RFC 5321 4.5.3.1.6: a text line is at most SMTPD_TEXT_MAX octets with
 * its CRLF, not counting the leading dot of transparency (4.5.2), so a
 * 998-octet line that begins with a dot arrives as 999 plus CRLF and is
 * within the limit.
 *
 * Return convention: smtpd_dot_feed returns how many bytes of p were
 * consumed: less than n only when the end was found, or when out could
 * not grow (SMTPD_DOT_NOMEM is then set and the decoder must not be fed
 * again).
 */
#ifndef POSTERN_SMTPD_DOT_H
#define POSTERN_SMTPD_DOT_H

#include <stddef.h>

#include "base/buf.h"

/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with CRLF. */
#define SMTPD_TEXT_MAX	1000

#define SMTPD_DOT_BARE_LF	0x01	/* LF not after CR */
#define SMTPD_DOT_BARE_CR	0x02	/* CR not before LF */
#define SMTPD_DOT_NUL		0x04	/* a NUL byte */
#define SMTPD_DOT_LONGLINE	0x08	/* a line over SMTPD_TEXT_MAX */
#define SMTPD_DOT_NOMEM		0x10	/* out could not grow (ENOMEM) */
#define SMTPD_DOT_LF_FIXED	0x20	/* a bare LF stored as CRLF */

struct smtpd_dot {
	int		 state;
	size_t		 linelen;
	unsigned	 flags;
	int		 lf_normalize;	/* set after init: see below */
};

void	smtpd_dot_init(struct smtpd_dot *);
size_t	smtpd_dot_feed(struct smtpd_dot *, const char *p, size_t n,
	    struct buf *out, int *end_r);

#endif
