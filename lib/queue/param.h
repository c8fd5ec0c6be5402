/*
 * param: the ESMTP and DSN parameters a message's envelope carries, one
 * parser and one writer for each, in one table.  The same values arrive
 * three ways, and all three readers use this module:
 *
 *   MAIL FROM/RCPT TO parameters   "BODY=8BITMIME" (smtp/esmtp.c, smtpd)
 *   queue-inject -o options        "body=8bitmime" (queue_env_option)
 *   envelope head lines            "body 8bitmime" (queue_env_parse)
 *
 * and the writers serve the queue (queue_env_format, smtpd's injection
 * options) and, later, the SMTP client's MAIL and RCPT commands.
 *
 *   SIZE        RFC 1870 6       MAIL  1*20DIGIT (SMTP only, not queued)
 *   BODY        RFC 6152, 3030   MAIL  7BIT / 8BITMIME / BINARYMIME
 *   SMTPUTF8    RFC 6531 3.4     MAIL  no value (queue: 1 or 0)
 *   REQUIRETLS  RFC 8689 3       MAIL  no value (queue: 1 or 0)
 *   RET         RFC 3461 4.3     MAIL  FULL / HDRS
 *   ENVID       RFC 3461 4.4     MAIL  xtext, 100 characters at most
 *   NOTIFY      RFC 3461 4.1     RCPT  NEVER / list of SUCCESS FAILURE DELAY
 *   ORCPT       RFC 3461 4.2     RCPT  addr-type ";" xtext, 500 at most
 *
 * Keywords and the words of enumerated values are case-insensitive
 * (RFC 5321 2.4).  Where SMTPUTF8 is in force, ENVID and ORCPT of type
 * "utf-8" may hold UTF-8 (RFC 6533 4).
 *
 * Return convention: 0 on success, -1 on failure with errno set (EINVAL
 * for a bad value, ENOMEM), unless a function says otherwise.
 */
#ifndef POSTERN_PARAM_H
#define POSTERN_PARAM_H

#include <stddef.h>

#include "base/buf.h"

#define PARAM_ENVID_MAX		100	/* RFC 3461 4.4 */
#define PARAM_ORCPT_MAX		500	/* RFC 3461 4.2 */
#define PARAM_SIZE_DIGITS	20	/* RFC 1870 6: 1*20DIGIT */

enum param_body {
	PARAM_BODY_NONE = 0,		/* not given */
	PARAM_BODY_7BIT,
	PARAM_BODY_8BITMIME,		/* RFC 6152 */
	PARAM_BODY_BINARYMIME		/* RFC 3030 */
};

enum param_ret {
	PARAM_RET_NONE = 0,
	PARAM_RET_FULL,			/* RFC 3461 4.3 */
	PARAM_RET_HDRS
};

/* RFC 3461 4.1 NOTIFY bits; 0: not given.  NEVER only alone. */
#define PARAM_NOTIFY_SUCCESS	0x1
#define PARAM_NOTIFY_FAILURE	0x2
#define PARAM_NOTIFY_DELAY	0x4
#define PARAM_NOTIFY_NEVER	0x8

/* The parameters, in the order they are written. */
enum param_id {
	PARAM_SIZE,
	PARAM_BODY,
	PARAM_SMTPUTF8,
	PARAM_REQUIRETLS,
	PARAM_RET,
	PARAM_ENVID,
	PARAM_NOTIFY,
	PARAM_ORCPT,
	PARAM_COUNT
};

/* where a parameter goes */
#define PARAM_MAIL	0x1
#define PARAM_RCPT	0x2

/* the EHLO keywords that offer parameters (smtp-recv's allow masks) */
#define PARAM_EXT_SIZE		0x01
#define PARAM_EXT_8BITMIME	0x02
#define PARAM_EXT_BINARYMIME	0x04
#define PARAM_EXT_SMTPUTF8	0x08
#define PARAM_EXT_REQUIRETLS	0x10
#define PARAM_EXT_DSN		0x20
#define PARAM_EXT_ALL		0x3f

struct param_def {
	enum param_id	 id;
	const char	*smtp;		/* the keyword: "BODY" */
	const char	*key;		/* in the queue: "body", or NULL */
	unsigned	 where;		/* PARAM_MAIL or PARAM_RCPT */
	unsigned	 ext;		/* offered by any of these PARAM_EXT_ */
	int		 flag;		/* no value at SMTP: "1"/"0" queued */
	const char	*valid;		/* what a valid value is, for errors */
};

extern const struct param_def param_defs[PARAM_COUNT];

/* The parameter with SMTP keyword s[0..n) (any case) going where, or
 * NULL. */
const struct param_def *param_by_keyword(const char *s, size_t n,
	    unsigned where);
/* The parameter with queue key s[0..n), or NULL. */
const struct param_def *param_by_key(const char *s, size_t n);

/*
 * A parameter's value.  u: the enum or NOTIFY bits (1 for a flag), size
 * for SIZE, s[0..n) for ENVID and ORCPT (pointing into what was parsed).
 */
struct param_val {
	unsigned		 u;
	unsigned long long	 size;
	const char		*s;
	size_t			 n;
};

/*
 * Parse the value s[0..n) of parameter id as SMTP spells it (a flag has
 * none: s NULL).  utf8: SMTPUTF8 is in force.  -1 EINVAL when it is not
 * a valid value; BODY=8BITMIME and BINARYMIME are not checked against
 * what was offered here (param_offered does).
 */
int	param_parse(enum param_id, const char *s, size_t n, int utf8,
	    struct param_val *);

/*
 * Append the value of parameter id as SMTP spells it (upper-case words),
 * nothing for a flag; param_write_queue as the queue spells it (in
 * queue-inject -o options and head lines): a flag as "1", the words of
 * BODY and RET in lower case, the rest as SMTP has them.
 */
int	param_write(enum param_id, const struct param_val *, struct buf *);
int	param_write_queue(enum param_id, const struct param_val *,
	    struct buf *);

/* Was this value offered under the EHLO extensions ext?  1 / 0. */
int	param_offered(enum param_id, const struct param_val *, unsigned ext);

/* The words of a BODY or RET value, upper case ("" for NONE). */
const char *param_body_name(enum param_body);
const char *param_ret_name(enum param_ret);

#endif
