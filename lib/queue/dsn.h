/*
 * dsn: delivery status notifications (RFC 3464) in a multipart/report
 * (RFC 6522), with the DSN extension's parameters honoured (RFC 3461:
 * RET, ENVID, ORCPT) and the RFC 6533 global types when the original
 * message used SMTPUTF8.
 *
 * The DSN is:
 *
 *   multipart/report; report-type=delivery-status
 *     text/plain                     a human-readable account
 *     message/delivery-status        per-message and per-recipient fields
 *     message/rfc822                 the original (RET=FULL), or
 *     text/rfc822-headers            its header only (RET=HDRS)
 *
 * and with SMTPUTF8 report-type=global-delivery-status,
 * message/global-delivery-status, message/global and
 * message/global-headers.  The returned content is the whole message
 * when a recipient failed and RET=FULL, or RET was not given and the
 * message is at most DSN_FULL_MAX bytes; otherwise (success and delay
 * reports, RFC 3461 4.3; BODY=BINARYMIME) only its header.
 *
 * Lines end as the original's first line ends (CRLF or LF).
 *
 * Return convention: 0 on success, -1 on failure with errno set.
 */
#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "queue/queue.h"

#define DSN_FULL_MAX	(256 * 1024)	/* RET unset: full up to this size */
#define DSN_HDR_MAX	(1024 * 1024)	/* a returned header is cut here */

/* RFC 3464 2.3.3 action-value */
enum dsn_action { DSN_FAILED, DSN_DELAYED, DSN_DELIVERED, DSN_RELAYED,
	DSN_EXPANDED };

struct dsn_rcpt {
	const char	*rcpt;		/* Final-Recipient: as we accepted it */
	const char	*orcpt;		/* ORCPT "type;xtext" or NULL */
	enum dsn_action	 action;
	const char	*status;	/* RFC 3463 "5.1.1" */
	const char	*diag_type;	/* NULL: "X-Postern" */
	const char	*diag;		/* Diagnostic-Code text, or NULL */
	time_t		 last_attempt;	/* 0: no Last-Attempt-Date */
	time_t		 retry_until;	/* 0: no Will-Retry-Until */
};

struct dsn {
	const char	*mta;		/* Reporting-MTA: our host name */
	const char	*qid;		/* the original's queue id */
	const char	*sender;	/* the original's envelope sender */
	const char	*envid;		/* ENVID (xtext), or NULL */
	time_t		 arrival;	/* Arrival-Date */
	time_t		 date;		/* Date: (now) */
	int		 utf8;		/* the original used SMTPUTF8 */
	enum param_ret	 ret;
	enum param_body	 body;
	const struct dsn_rcpt *rcpt;
	size_t		 nrcpt;
};

typedef int (*dsn_out_fn)(void *ctx, const void *, size_t);

/*
 * The envelope parameters the DSN itself needs: SMTPUTF8 (a UTF-8
 * address or the global types) and its BODY.
 */
void	dsn_params(const struct dsn *, int *utf8_r, enum param_body *body_r);

/*
 * Write the DSN through out.  The original message is read from fd,
 * from its current offset, size bytes.  EINVAL when the sender is the
 * null sender (never a DSN to <>: RFC 3461 6.2, RFC 5321 4.5.5) or
 * there is no recipient to report.
 */
int	dsn_write(const struct dsn *, int fd, off_t size, dsn_out_fn out,
	    void *ctx);

/* RFC 5322 3.3 date-time, "Thu, 30 Nov 2023 12:34:56 +0000". */
int	dsn_date(struct buf *, time_t);

#endif
