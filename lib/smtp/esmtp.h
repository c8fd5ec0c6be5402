/*
 * esmtp: the syntax of SMTP command arguments (RFC 5321 4.1.2): the
 * ESMTP parameters of MAIL and RCPT (SIZE, BODY, SMTPUTF8, REQUIRETLS,
 * the DSN parameters RET, ENVID, NOTIFY, ORCPT, whose values queue/param.h
 * parses for the queue too) and the EHLO/HELO argument.  Paths are parsed
 * by addr_smtp_path (addr.h), xtext by codec.h.  No I/O: smtpd.c maps the
 * results to replies.
 *
 * Return convention: functions returning int return 0 on success and -1
 * on failure with errno set (EINVAL: bad syntax; ENOMEM), unless they say
 * otherwise (the *_valid predicates return 1 or 0).
 * The parameter parsers return an enum esmtp_err instead.
 */
#ifndef POSTERN_ESMTP_H
#define POSTERN_ESMTP_H

#include <stddef.h>

#include "base/buf.h"
#include "queue/param.h"

#define ESMTP_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */

/* RFC 5321 4.1.3 address-literal "[...]": 1 valid, 0 not. */
int	esmtp_literal_valid(const char *s, size_t n);

/*
 * The EHLO/HELO argument: a domain or an address literal, loosely
 * (letters, digits, '-', '.', '_'; ASCII only): RFC 5321 4.1.4 forbids
 * refusing a name for lack of DNS, but nothing may go into a Received
 * field that breaks it.  1 valid, 0 not.
 */
int	esmtp_helo_valid(const char *s, size_t n);

/* Valid UTF-8 (RFC 3629), no NUL: 1 / 0. */
int	esmtp_utf8_valid(const char *s, size_t n);

/* What went wrong with a parameter list. */
enum esmtp_err {
	ESMTP_OK = 0,
	ESMTP_E_SYNTAX,		/* 501 5.5.4: malformed list or value */
	ESMTP_E_UNKNOWN,	/* 555 5.5.4: keyword not supported here */
	ESMTP_E_DUP,		/* 501 5.5.4: keyword given twice */
	ESMTP_E_SIZE,		/* 552 5.3.4: SIZE over the maximum */
	ESMTP_E_NOMEM		/* 451 4.3.0 */
};

struct esmtp_mail {
	enum param_body	 body;
	int		 has_size;
	unsigned long long size;	/* SIZE=, RFC 1870 */
	int		 smtputf8;	/* RFC 6531 3.4 */
	int		 requiretls;	/* RFC 8689 */
	enum param_ret	 ret;
	struct buf	 envid;		/* ENVID as sent (xtext) or "" */
};

struct esmtp_rcpt {
	unsigned	 notify;	/* PARAM_NOTIFY_*, 0: not given */
	struct buf	 orcpt;		/* "type;xtext" as sent, or "" */
};

/*
 * Parse the parameters of MAIL (s is what follows the path, NUL-ended).
 * allow is a mask of PARAM_EXT_*; maxsize 0 means no limit.  On an
 * error *bad_r (if not NULL) points at the offending keyword in s.
 */
enum esmtp_err	esmtp_mail_params(const char *s, unsigned allow,
		    unsigned long long maxsize, struct esmtp_mail *m,
		    const char **bad_r);
enum esmtp_err	esmtp_rcpt_params(const char *s, unsigned allow,
		    struct esmtp_rcpt *r, const char **bad_r);
void	esmtp_mail_free(struct esmtp_mail *);
void	esmtp_rcpt_free(struct esmtp_rcpt *);

#endif
