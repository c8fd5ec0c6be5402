/*
 * smtpd_int: what the parts of smtpd share (smtp/ only): the session, the
 * reply table, and the functions each part offers the others.
 *   smtpd.c       replies, the transaction, the session loop
 *   smtpd_cmd.c   the command table and one handler per verb
 *   smtpd_data.c  the spool, the filter chain and the injection
 * Return conventions as smtpd.h; sd_ functions returning int give 0 or
 * -1 with errno unless they say otherwise.
 */
#ifndef POSTERN_SMTPD_INT_H
#define POSTERN_SMTPD_INT_H

#include <stddef.h>

#include "base/buf.h"
#include "base/rd.h"
#include "smtp/esmtp.h"
#include "smtp/smtpd.h"

/*
 * Every reply, with its enhanced status code (RFC 3463), in one place
 * (STYLE.md 16).  A "%s" takes the argument the caller gives.
 */
enum reply_id {
	RP_GREETING,
	RP_EARLY,
	RP_BYE,
	RP_OK,
	RP_RESET,
	RP_SENDER_OK,
	RP_RCPT_OK,
	RP_DATA_GO,
	RP_QUEUED,
	RP_QUEUED_NOID,
	RP_CHUNK_OK,
	RP_VRFY,
	RP_HELP,
	RP_TLS_GO,
	RP_TLS_NA,
	RP_TLS_ALREADY,
	RP_TIMEOUT,
	RP_SESSION_TIME,
	RP_TOO_MANY_ERRORS,
	RP_TOO_MANY_CMDS,
	RP_CONFIG,
	RP_NOMEM,
	RP_BUSY,
	RP_CLIENT_LIMIT,
	RP_TEMP,
	RP_NO_STORAGE,
	RP_LOOKUP_FAIL,
	RP_NO_POSTMASTER,
	RP_LINE_LONG,
	RP_BARE_LF_CMD,
	RP_SYNTAX,
	RP_UNKNOWN_CMD,
	RP_NOT_IMPL,
	RP_ARG_SYNTAX,
	RP_NO_ARG,
	RP_NEED_ARG,
	RP_HELO_SYNTAX,
	RP_NEED_HELO,
	RP_NEED_EHLO,
	RP_NESTED_MAIL,
	RP_NEED_MAIL,
	RP_NO_VALID_RCPT,
	RP_BDAT_MIX,
	RP_BINARY_DATA,
	RP_BDAT_SYNTAX,
	RP_BAD_SENDER,
	RP_BAD_RCPT,
	RP_UTF8_ADDR,
	RP_PARAM_UNKNOWN,
	RP_PARAM_SYNTAX,
	RP_PARAM_DUP,
	RP_SIZE_DECLARED,
	RP_TOO_BIG,
	RP_TOO_MANY_RCPT,
	RP_NO_USER,
	RP_RELAY,
	RP_BARE_CRLF,
	RP_NUL,
	RP_LONG_TEXT,
	RP_FILTER_PERM,
	RP_NREPLIES
};

extern const char *const sd_replies[RP_NREPLIES];

struct rcpt {
	char		*addr;
	unsigned	 notify;
	char		*orcpt;
};

struct smtpd {
	const struct smtpd_conf	*conf;
	int		 rfd, wfd;
	struct rd	 rd;
	struct buf	 out;		/* replies not yet sent */
	struct buf	 line;
	struct tls	*tls;
	int		 tls_ok;	/* STARTTLS can be offered */
	long		 wait_deadline;	/* monotonic ms: the read ends */
	int		 stress_cut;	/* wait_deadline is the stress one */
	long		 deadline;	/* session end, monotonic ms; -1 */
	int		 dead;		/* the client cannot be written to */
	int		 nomem;		/* a buffer could not grow: end */
	int		 exitcode;
	char		 sid[40];
	unsigned	 nmsg;
	unsigned long	 errors;
	unsigned long	 ncmds;		/* commands in the session */
	const char	*spooldir;
	const char	*authuser;	/* AUTH (later): NULL */
	/* session */
	int		 esmtp;
	struct buf	 helo;		/* empty: no HELO/EHLO yet */
	/* transaction */
	int		 in_mail;
	unsigned long	 txn_rcpts;	/* RCPT commands, every one */
	unsigned long	 txn_other;	/* other commands since MAIL */
	struct buf	 from;
	struct esmtp_mail mp;
	struct rcpt	*rcpts;
	size_t		 nrcpt, rcap;
	int		 bdat;		/* BDAT chunks taken */
	int		 spooling;	/* DATA or BDAT under way */
	int		 spool;		/* -1 or the spool file */
	unsigned long long msgsize;
	int		 toobig;
	int		 spool_err;
	struct buf	 sbuf;		/* spool bytes not written yet */
};

#define SPOOL_BLOCK	65536	/* writes to the spool file */
#define SPOOL_MEM	262144	/* a message up to this stays in memory */

/* smtpd.c */
void	sd_nomem(struct smtpd *);
int	sd_reply_text(struct buf *, enum reply_id, ...);
void	sd_reply(struct smtpd *, enum reply_id, ...);
void	sd_reply_raw(struct smtpd *, const char *, size_t);
void	sd_cerror(struct smtpd *, enum reply_id, ...);
int	sd_flush(struct smtpd *);
void	sd_set_timeout(struct smtpd *, int ms);
void	sd_set_deadline(struct smtpd *, long at_ms);
int	sd_wait_left(const struct smtpd *);	/* ms to the deadline */
int	sd_timed_out(struct smtpd *);
void	sd_txn_reset(struct smtpd *);
int	sd_may_relay(struct smtpd *);

/* smtpd_cmd.c: one command line; 1 to end the session */
int	sd_command(struct smtpd *);

/* smtpd_data.c */
const char *sd_pick_spooldir(void);
int	sd_spool_open(struct smtpd *);
int	sd_spool_write(struct smtpd *, const char *, size_t);
int	sd_spool_flush(struct smtpd *);
int	sd_deliver(struct smtpd *, struct buf *reply);
enum reply_id sd_temp_reply(int err);	/* RP_NO_STORAGE or RP_TEMP */
void	sd_log_result(struct smtpd *, int ok, const char *stage,
	    const char *text);

#endif
