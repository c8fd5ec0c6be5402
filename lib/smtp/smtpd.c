#define _GNU_SOURCE	/* O_TMPFILE, where the system has it */
#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/control.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/num.h"
#include "base/pipeline.h"
#include "base/rd.h"
#include "mail/addr.h"
#include "net/tls.h"
#include "queue/queue.h"
#include "queue/route.h"
#include "smtp/esmtp.h"
#include "smtp/smtpd.h"
#include "smtp/smtpd_dot.h"

extern char **environ;

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
	RP_CONFIG,
	RP_NOMEM,
	RP_TEMP,
	RP_LOOKUP_FAIL,
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

static const char *const replies[RP_NREPLIES] = {
	/* RFC 2034 3: no enhanced code in the greeting */
	[RP_GREETING] =	"220 %s ESMTP postern",
	[RP_EARLY] =
	    "554 5.5.0 %s input before the greeting, closing connection",
	[RP_BYE] =	"221 2.0.0 %s closing connection",
	[RP_OK] =	"250 2.0.0 OK",
	[RP_RESET] =	"250 2.0.0 reset",
	[RP_SENDER_OK] =	"250 2.1.0 sender OK",
	[RP_RCPT_OK] =	"250 2.1.5 recipient OK",
	[RP_DATA_GO] =	"354 end data with <CR><LF>.<CR><LF>",
	[RP_QUEUED] =	"250 2.0.0 OK queued as %s",
	[RP_QUEUED_NOID] =	"250 2.0.0 OK queued",
	[RP_CHUNK_OK] =	"250 2.0.0 %s octets received",
	/* RFC 5321 3.5.3, 7.3 */
	[RP_VRFY] =
	    "252 2.5.0 cannot VRFY user, but will accept message and attempt "
	    "delivery",
	[RP_HELP] =
	    "214 2.0.0 commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP "
	    "QUIT VRFY HELP STARTTLS",
	[RP_TLS_GO] =	"220 2.0.0 ready to start TLS",
	[RP_TLS_NA] =	"454 4.7.0 TLS not available",
	[RP_TLS_ALREADY] =	"503 5.5.1 TLS already active",
	/* RFC 5321 4.5.3.2 */
	[RP_TIMEOUT] =	"421 4.4.2 %s timeout, closing connection",
	[RP_SESSION_TIME] =
	    "421 4.4.2 %s session time limit, closing connection",
	[RP_TOO_MANY_ERRORS] =
	    "421 4.7.0 %s too many errors, closing connection",
	[RP_CONFIG] =	"421 4.3.5 %s configuration error, closing connection",
	[RP_NOMEM] =	"421 4.3.0 %s out of memory, closing connection",
	[RP_TEMP] =	"451 4.3.0 temporary failure, try again later",
	[RP_LOOKUP_FAIL] =
	    "451 4.3.0 recipient lookup failed, try again later",
	/* RFC 5321 4.5.3.1.4 */
	[RP_LINE_LONG] =	"500 5.5.2 line too long",
	/* RFC 5321 2.3.8: commands end in CRLF */
	[RP_BARE_LF_CMD] =	"500 5.5.2 command line must end in CRLF",
	[RP_SYNTAX] =	"500 5.5.2 syntax error",
	[RP_UNKNOWN_CMD] =	"500 5.5.1 command unrecognized",
	[RP_NOT_IMPL] =	"502 5.5.1 command not implemented",
	[RP_ARG_SYNTAX] =
	    "501 5.5.4 syntax error in parameters or arguments",
	[RP_NO_ARG] =	"501 5.5.4 no arguments allowed",
	[RP_NEED_ARG] =	"501 5.5.4 argument required",
	[RP_HELO_SYNTAX] =	"501 5.5.4 invalid domain name",
	[RP_NEED_HELO] =	"503 5.5.1 send EHLO or HELO first",
	[RP_NEED_EHLO] =	"503 5.5.1 send EHLO first",
	[RP_NESTED_MAIL] =	"503 5.5.1 sender already given",
	[RP_NEED_MAIL] =	"503 5.5.1 send MAIL first",
	/* RFC 2920 3.1 */
	[RP_NO_VALID_RCPT] =	"554 5.5.1 no valid recipients",
	/* RFC 3030 3 */
	[RP_BDAT_MIX] =	"503 5.5.1 DATA and BDAT cannot be mixed",
	[RP_BINARY_DATA] =	"503 5.5.1 BODY=BINARYMIME requires BDAT",
	[RP_BDAT_SYNTAX] =	"501 5.5.4 BDAT needs a chunk size (and LAST)",
	/* the reason from addr_smtp_path, e.g. RFC 5321 4.5.3.1.1-3
	 * "local part too long" */
	[RP_BAD_SENDER] =	"501 5.1.7 bad sender address: %s",
	[RP_BAD_RCPT] =	"501 5.1.3 bad recipient address: %s",
	/* RFC 6531 3.7.4.1 */
	[RP_UTF8_ADDR] =	"553 5.6.7 non-ASCII address needs SMTPUTF8",
	/* RFC 5321 4.1.1.11 */
	[RP_PARAM_UNKNOWN] =	"555 5.5.4 unsupported parameter %s",
	[RP_PARAM_SYNTAX] =	"501 5.5.4 invalid parameter %s",
	[RP_PARAM_DUP] =	"501 5.5.4 duplicate parameter %s",
	/* RFC 1870 6.1 */
	[RP_SIZE_DECLARED] =
	    "552 5.3.4 message size exceeds fixed maximum message size",
	[RP_TOO_BIG] =
	    "552 5.3.4 message size exceeds fixed maximum message size",
	/* RFC 5321 4.5.3.1.10 */
	[RP_TOO_MANY_RCPT] =	"452 4.5.3 too many recipients",
	[RP_NO_USER] =	"550 5.1.1 no such user here",
	[RP_RELAY] =	"554 5.7.1 relay access denied",
	/* SMTP smuggling: RFC 5321 2.3.8, 4.1.1.4 */
	[RP_BARE_CRLF] =
	    "550 5.6.11 bare CR or LF in message (only CRLF ends a line), "
	    "refused",
	[RP_NUL] =	"554 5.6.0 NUL byte in message, refused",
	/* RFC 5321 4.5.3.1.6 */
	[RP_LONG_TEXT] =
	    "554 5.6.0 message has a line longer than 1000 octets, refused",
	[RP_FILTER_PERM] =	"554 5.7.0 message refused",
};

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
	int		 cur_timeout;	/* ms, for the next wait */
	long		 deadline;	/* session end, monotonic ms; -1 */
	int		 dead;		/* the client cannot be written to */
	int		 nomem;		/* a buffer could not grow: end */
	int		 exitcode;
	char		 sid[40];
	unsigned	 nmsg;
	unsigned long	 errors;
	const char	*spooldir;
	const char	*authuser;	/* AUTH (later): NULL */
	/* session */
	int		 esmtp;
	struct buf	 helo;		/* empty: no HELO/EHLO yet */
	/* transaction */
	int		 in_mail;
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

struct cmd {
	const char	*name;
	int		(*fn)(struct smtpd *, char *);
};

static int	cmd_ehlo(struct smtpd *, char *);
static int	cmd_helo(struct smtpd *, char *);
static int	cmd_mail(struct smtpd *, char *);
static int	cmd_rcpt(struct smtpd *, char *);
static int	cmd_data(struct smtpd *, char *);
static int	cmd_bdat(struct smtpd *, char *);
static int	cmd_rset(struct smtpd *, char *);
static int	cmd_noop(struct smtpd *, char *);
static int	cmd_quit(struct smtpd *, char *);
static int	cmd_vrfy(struct smtpd *, char *);
static int	cmd_expn(struct smtpd *, char *);
static int	cmd_help(struct smtpd *, char *);
static int	cmd_starttls(struct smtpd *, char *);

/* STYLE.md 15: the command table, one handler per verb */
static const struct cmd cmds[] = {
	{ "EHLO",	cmd_ehlo },
	{ "HELO",	cmd_helo },
	{ "MAIL",	cmd_mail },
	{ "RCPT",	cmd_rcpt },
	{ "DATA",	cmd_data },
	{ "BDAT",	cmd_bdat },
	{ "RSET",	cmd_rset },
	{ "NOOP",	cmd_noop },
	{ "QUIT",	cmd_quit },
	{ "VRFY",	cmd_vrfy },
	{ "EXPN",	cmd_expn },
	{ "HELP",	cmd_help },
	{ "STARTTLS",	cmd_starttls },
};

static int	reply_text(struct buf *, enum reply_id, ...);
static void	reply(struct smtpd *, enum reply_id, ...);
static void	reply_raw(struct smtpd *, const char *, size_t);
static void	cerror(struct smtpd *, enum reply_id, ...);
static int	flush(struct smtpd *);
static ssize_t	sess_read(void *, void *, size_t);
static void	set_timeout(struct smtpd *, int);
static int	timed_out(struct smtpd *);
static void	txn_reset(struct smtpd *);
static int	may_relay(struct smtpd *);
static int	spool_open(struct smtpd *);
static int	spool_write(struct smtpd *, const char *, size_t);
static int	spool_flush(struct smtpd *);
static int	received(struct smtpd *, struct buf *);
static int	ip_ok(const char *);
static int	deliver(struct smtpd *, struct buf *);
static void	log_result(struct smtpd *, int, const char *, const char *);

/* ---- replies ------------------------------------------------------ */

/*
 * Out of memory: the session ends after the command it happened in,
 * with 421 (the main loop), and the process exits 111.  lib/ never
 * exits on its own.
 */
static void
nomem(struct smtpd *s)
{
	s->nomem = 1;
}

/* The text of reply id with its arguments, appended to b: 0 or -1. */
static int
reply_text(struct buf *b, enum reply_id id, ...)
{
	va_list ap;
	int r;

	va_start(ap, id);
	r = buf_vprintf(b, replies[id], ap);
	va_end(ap);
	return r;
}

static void
reply(struct smtpd *s, enum reply_id id, ...)
{
	va_list ap;

	va_start(ap, id);
	if (buf_vprintf(&s->out, replies[id], ap) == -1 ||
	    buf_puts(&s->out, "\r\n") == -1)
		nomem(s);
	va_end(ap);
}

static void
reply_raw(struct smtpd *s, const char *p, size_t n)
{
	if (buf_put(&s->out, p, n) == -1 || buf_puts(&s->out, "\r\n") == -1)
		nomem(s);
}

/* A reply to a client error: counted against smtp-maxerrors. */
static void
cerror(struct smtpd *s, enum reply_id id, ...)
{
	va_list ap;

	va_start(ap, id);
	if (buf_vprintf(&s->out, replies[id], ap) == -1 ||
	    buf_puts(&s->out, "\r\n") == -1)
		nomem(s);
	va_end(ap);
	s->errors++;
}

/* Send what is buffered (RFC 2920 3.1: before we wait for the client). */
static int
flush(struct smtpd *s)
{
	int r;

	if (s->out.len == 0 || s->dead)
		return s->dead ? -1 : 0;
	if (s->tls != NULL) {
		tls_set_timeout(s->tls, s->conf->timeout_ms);
		r = tls_write(s->tls, s->out.s, s->out.len);
	} else
		r = write_all(s->wfd, s->out.s, s->out.len);
	buf_reset(&s->out);
	if (r == -1)
		s->dead = 1;
	return r;
}

/* The rd read function: flush replies, then wait (bounded) and read. */
static ssize_t
sess_read(void *ctx, void *p, size_t n)
{
	struct smtpd *s = ctx;
	int w;

	if (flush(s) == -1)
		return -1;
	if (s->tls != NULL) {
		tls_set_timeout(s->tls, s->cur_timeout);
		return tls_read(s->tls, p, n);
	}
	if ((w = rd_wait(s->rfd, s->cur_timeout)) <= 0) {
		if (w == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	return read(s->rfd, p, n);
}

/* The wait for the next read: ms, but not past the session's end. */
static void
set_timeout(struct smtpd *s, int ms)
{
	long left;

	if (s->deadline >= 0) {
		left = s->deadline - now_ms();
		if (left < 0)
			left = 0;
		if (left < ms)
			ms = (int)left;
	}
	s->cur_timeout = ms;
}

/* After ETIMEDOUT: say which limit it was, and end the session. */
static int
timed_out(struct smtpd *s)
{
	if (s->deadline >= 0 && now_ms() >= s->deadline) {
		reply(s, RP_SESSION_TIME, s->conf->hostname);
		log_info("%s end reason=session-time", s->sid);
	} else {
		reply(s, RP_TIMEOUT, s->conf->hostname);
		log_info("%s end reason=timeout", s->sid);
	}
	(void)flush(s);
	s->exitcode = EXIT_PERM;
	return 1;
}

/* ---- transaction -------------------------------------------------- */

static void
txn_reset(struct smtpd *s)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++) {
		free(s->rcpts[i].addr);
		free(s->rcpts[i].orcpt);
	}
	s->nrcpt = 0;
	s->in_mail = 0;
	buf_reset(&s->from);
	esmtp_mail_free(&s->mp);
	memset(&s->mp, 0, sizeof(s->mp));
	s->bdat = 0;
	s->spooling = 0;
	if (s->spool >= 0)
		close(s->spool);
	s->spool = -1;
	s->msgsize = 0;
	s->toobig = 0;
	s->spool_err = 0;
	buf_reset(&s->sbuf);
}

/*
 * May this client relay?  RELAYCLIENT from tcprules today; an
 * authenticated session (AUTH, a later issue) will set s->authuser.
 */
static int
may_relay(struct smtpd *s)
{
	return s->conf->relayclient || s->authuser != NULL;
}

/* ---- commands ----------------------------------------------------- */

static void
ehlo_reset(struct smtpd *s, const char *arg, int esmtp)
{
	txn_reset(s);
	if (buf_set(&s->helo, arg, strlen(arg)) == -1)
		nomem(s);
	s->esmtp = esmtp;
}

static int
cmd_ehlo(struct smtpd *s, char *arg)
{
	const struct smtpd_conf *c = s->conf;
	struct buf kw = BUF_INIT;
	const char *p, *e;

	if (*arg == '\0')
		return cerror(s, RP_NEED_ARG), 0;
	if (!esmtp_helo_valid(arg, strlen(arg)))
		return cerror(s, RP_HELO_SYNTAX), 0;
	/* RFC 5321 4.1.4: EHLO again is a reset */
	ehlo_reset(s, arg, 1);
	/* the keywords, one per line (RFC 5321 4.1.1.1) */
	if (buf_puts(&kw, "PIPELINING\n") == -1 ||
	    buf_printf(&kw, "SIZE %lu\n", c->maxsize) == -1 ||
	    buf_puts(&kw, "8BITMIME\nSMTPUTF8\nENHANCEDSTATUSCODES\n"
	    "CHUNKING\nBINARYMIME\nDSN\n") == -1 ||
	    (s->tls == NULL && s->tls_ok &&
	    buf_puts(&kw, "STARTTLS\n") == -1) ||
	    /* RFC 8689 2: only over TLS */
	    (s->tls != NULL && buf_puts(&kw, "REQUIRETLS\n") == -1) ||
	    /* RFC 9422 */
	    buf_printf(&kw, "LIMITS RCPTMAX=%lu\n", c->maxrcpt) == -1 ||
	    buf_printf(&s->out, "250-%s\r\n", c->hostname) == -1) {
		buf_free(&kw);
		return nomem(s), 0;
	}
	for (p = kw.s; (e = strchr(p, '\n')) != NULL; p = e + 1)
		if (buf_printf(&s->out, "250%c%.*s\r\n",
		    e[1] == '\0' ? ' ' : '-', (int)(e - p), p) == -1) {
			nomem(s);
			break;
		}
	buf_free(&kw);
	return 0;
}

static int
cmd_helo(struct smtpd *s, char *arg)
{
	if (*arg == '\0')
		return cerror(s, RP_NEED_ARG), 0;
	if (!esmtp_helo_valid(arg, strlen(arg)))
		return cerror(s, RP_HELO_SYNTAX), 0;
	ehlo_reset(s, arg, 0);
	if (buf_printf(&s->out, "250 %s\r\n", s->conf->hostname) == -1)
		nomem(s);
	return 0;
}

/* "FROM:" or "TO:" then the path; spaces after the colon are taken
 * (RFC 5321 says none; many clients send one). */
static char *
path_start(char *arg, const char *kw)
{
	size_t n = strlen(kw);

	if (ascii_ncasecmp(arg, kw, n) != 0)
		return NULL;
	arg += n;
	while (*arg == ' ')
		arg++;
	return arg;
}

/* The ESMTP parameters on offer in this session. */
static unsigned
allowed(struct smtpd *s)
{
	unsigned a = PARAM_EXT_ALL;

	if (!s->esmtp)
		return 0;
	if (s->tls == NULL)
		a &= ~(unsigned)PARAM_EXT_REQUIRETLS;
	return a;
}

static void
param_error(struct smtpd *s, enum esmtp_err e, const char *bad)
{
	char kw[32];
	size_t n = 0;

	/* RFC 5321 4.2: reply text is printable ASCII; the client's
	 * keyword is echoed only as far as it is */
	while (n + 1 < sizeof(kw) && (unsigned char)bad[n] > 32 &&
	    (unsigned char)bad[n] < 127 && bad[n] != '=')
		kw[n] = bad[n], n++;
	kw[n] = '\0';
	if (n == 0)
		snprintf(kw, sizeof(kw), "(not printable)");
	switch (e) {
	case ESMTP_E_UNKNOWN:
		cerror(s, RP_PARAM_UNKNOWN, kw);
		break;
	case ESMTP_E_DUP:
		cerror(s, RP_PARAM_DUP, kw);
		break;
	case ESMTP_E_SIZE:
		reply(s, RP_SIZE_DECLARED);
		break;
	case ESMTP_E_NOMEM:
		reply(s, RP_TEMP);
		break;
	default:
		cerror(s, RP_PARAM_SYNTAX, kw);
	}
}

/* An address error reply, with the parser's reason. */
static void
addr_error(struct smtpd *s, enum reply_id id, unsigned fl,
    const struct addr_err *err)
{
	/* RFC 6531 3.4: non-ASCII without SMTPUTF8 has its own code */
	if (fl & ADDR_P_UTF8)
		cerror(s, RP_UTF8_ADDR);
	else
		cerror(s, id, err->why != NULL ? err->why : "syntax error");
}

static int
cmd_mail(struct smtpd *s, char *arg)
{
	struct addr_path path = ADDR_PATH_INIT;
	struct addr_err err;
	const char *bad;
	char *p;
	enum esmtp_err e;

	if (s->helo.len == 0)
		return cerror(s, RP_NEED_HELO), 0;
	if (s->in_mail)
		return cerror(s, RP_NESTED_MAIL), 0;
	if ((p = path_start(arg, "FROM:")) == NULL)
		return cerror(s, RP_ARG_SYNTAX), 0;
	/* the SMTPUTF8 parameter comes after the path: parse with UTF-8
	 * allowed (after EHLO) and check it below */
	if (addr_smtp_path(&path, p, strlen(p), ADDR_SMTP_NULL |
	    (s->esmtp ? ADDR_SMTP_UTF8 : 0), &err) == -1) {
		addr_error(s, RP_BAD_SENDER, 0, &err);
		goto done;
	}
	e = esmtp_mail_params(p + path.params, allowed(s), s->conf->maxsize,
	    &s->mp, &bad);
	if (e != ESMTP_OK) {
		param_error(s, e, bad);
		goto done;
	}
	if ((path.flags & ADDR_P_UTF8) && !s->mp.smtputf8) {
		addr_error(s, RP_BAD_SENDER, path.flags, &err);
		goto done;
	}
	if (buf_set(&s->from, path.addr.s, path.addr.len) == -1) {
		nomem(s);
		goto done;
	}
	s->in_mail = 1;
	reply(s, RP_SENDER_OK);
done:
	addr_path_free(&path);
	return 0;
}

static int
rcpt_known(struct smtpd *s, const char *addr)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++)
		if (strcmp(s->rcpts[i].addr, addr) == 0)
			return 1;
	return 0;
}

static int
cmd_rcpt(struct smtpd *s, char *arg)
{
	struct addr_path path = ADDR_PATH_INIT;
	struct buf addr = BUF_INIT;
	struct addr_err err;
	struct esmtp_rcpt rp;
	const char *bad;
	struct rcpt *nr;
	char *p;
	enum esmtp_err e;
	int r;

	memset(&rp, 0, sizeof(rp));
	if (!s->in_mail)
		return cerror(s, RP_NEED_MAIL), 0;
	if ((p = path_start(arg, "TO:")) == NULL)
		return cerror(s, RP_ARG_SYNTAX), 0;
	if (addr_smtp_path(&path, p, strlen(p), ADDR_SMTP_PM |
	    (s->esmtp ? ADDR_SMTP_UTF8 : 0), &err) == -1) {
		addr_error(s, RP_BAD_RCPT, 0, &err);
		goto done;
	}
	if ((path.flags & ADDR_P_UTF8) && !s->mp.smtputf8) {
		addr_error(s, RP_BAD_RCPT, path.flags, &err);
		goto done;
	}
	if (buf_set(&addr, path.addr.s, path.addr.len) == -1) {
		nomem(s);
		goto done;
	}
	p += path.params;
	if ((e = esmtp_rcpt_params(p, allowed(s), &rp, &bad)) != ESMTP_OK) {
		param_error(s, e, bad);
		goto done;
	}
	/* RFC 5321 4.5.3.1.10 (and 4.5.3.1.8): 452, not an error */
	if (s->nrcpt >= s->conf->maxrcpt) {
		reply(s, RP_TOO_MANY_RCPT);
		goto done;
	}
	if (path.flags & ADDR_P_PM) {
		/* RFC 5321 4.5.1: always accepted, for our host name */
		buf_reset(&addr);
		if (buf_printf(&addr, "postmaster@%s",
		    s->conf->hostname) == -1) {
			nomem(s);
			goto done;
		}
		r = ROUTE_LOCAL;
	} else
		r = route_classify(addr.s);
	if (r == -1) {
		warn_sys("%s unable to look up recipients", s->sid);
		reply(s, RP_LOOKUP_FAIL);
		goto done;
	}
	if (r == ROUTE_UNKNOWN) {
		log_info("%s rcpt-refused rcpt=<%s> reply=550", s->sid,
		    addr.s);
		cerror(s, RP_NO_USER);
		goto done;
	}
	if (r == ROUTE_REMOTE && !may_relay(s)) {
		log_info("%s rcpt-refused rcpt=<%s> reply=554 relay", s->sid,
		    addr.s);
		cerror(s, RP_RELAY);
		goto done;
	}
	if (!rcpt_known(s, addr.s)) {
		if (s->nrcpt == s->rcap) {
			size_t nc = s->rcap ? s->rcap * 2 : 8;

			if ((nr = reallocarray(s->rcpts, nc,
			    sizeof(*nr))) == NULL) {
				nomem(s);
				goto done;
			}
			s->rcpts = nr;
			s->rcap = nc;
		}
		nr = &s->rcpts[s->nrcpt];
		nr->notify = rp.notify;
		nr->orcpt = rp.orcpt.len > 0 ? buf_steal(&rp.orcpt) : NULL;
		nr->addr = buf_steal(&addr);
		if (nr->addr == NULL) {
			free(nr->orcpt);
			nomem(s);
			goto done;
		}
		s->nrcpt++;
	}
	reply(s, RP_RCPT_OK);
done:
	addr_path_free(&path);
	buf_free(&addr);
	esmtp_rcpt_free(&rp);
	return 0;
}

/* The message's reply after the data: 0 delivered, else refused. */
static void
finish_message(struct smtpd *s, unsigned dotflags)
{
	struct buf rep = BUF_INIT;
	enum reply_id id = RP_NREPLIES;

	s->nmsg++;
	if (dotflags & (SMTPD_DOT_BARE_LF | SMTPD_DOT_BARE_CR))
		id = RP_BARE_CRLF;
	else if (s->toobig)
		id = RP_TOO_BIG;
	else if (dotflags & SMTPD_DOT_NUL)
		id = RP_NUL;
	else if (dotflags & SMTPD_DOT_LONGLINE)
		id = RP_LONG_TEXT;
	else if (s->spool_err || (s->spool >= 0 && spool_flush(s) == -1)) {
		errno = s->spool_err;
		warn_sys("%s unable to write the spool file", s->sid);
		id = RP_TEMP;
	}
	if (id != RP_NREPLIES) {
		reply(s, id);
		log_result(s, 0, "smtp-recv", replies[id]);
		if (id != RP_TEMP)
			s->errors++;
	} else {
		(void)deliver(s, &rep);
		reply_raw(s, rep.s, rep.len);
	}
	buf_free(&rep);
	txn_reset(s);
}

static int
cmd_data(struct smtpd *s, char *arg)
{
	struct smtpd_dot dot;
	struct buf raw = BUF_INIT, dec = BUF_INIT;
	size_t used;
	int r, end = 0;

	if (!s->in_mail)
		return cerror(s, RP_NEED_MAIL), 0;
	if (s->bdat)
		return cerror(s, RP_BDAT_MIX), 0;
	if (*arg != '\0')
		return cerror(s, RP_NO_ARG), 0;
	if (s->nrcpt == 0)
		return reply(s, RP_NO_VALID_RCPT), 0;
	if (s->mp.body == PARAM_BODY_BINARYMIME)
		return cerror(s, RP_BINARY_DATA), 0;
	if (spool_open(s) == -1) {
		warn_sys("%s unable to open a spool file in %s", s->sid,
		    s->spooldir);
		return reply(s, RP_TEMP), 0;
	}
	reply(s, RP_DATA_GO);
	smtpd_dot_init(&dot);
	while (!end) {
		set_timeout(s, s->conf->data_timeout_ms);
		buf_reset(&raw);
		r = rd_bytes(&s->rd, &raw, RD_BUFSIZE);
		if (r == 0 || (r == -1 && errno != ETIMEDOUT)) {
			/* the client went away: nothing is queued */
			log_info("%s end reason=disconnect-in-data msg=%u",
			    s->sid, s->nmsg + 1);
			buf_free(&raw);
			buf_free(&dec);
			s->exitcode = EXIT_DONE;
			return 1;
		}
		if (r == -1) {
			buf_free(&raw);
			buf_free(&dec);
			return timed_out(s);
		}
		buf_reset(&dec);
		used = smtpd_dot_feed(&dot, raw.s, raw.len, &dec, &end);
		if (end)
			(void)rd_unread(&s->rd, raw.len - used);
		if ((dot.flags & SMTPD_DOT_NOMEM) ||
		    spool_write(s, dec.s, dec.len) == -1) {
			/* nothing is queued; the session ends with 421 */
			buf_free(&raw);
			buf_free(&dec);
			txn_reset(s);
			return nomem(s), 0;
		}
	}
	buf_free(&raw);
	buf_free(&dec);
	finish_message(s, dot.flags);
	return 0;
}

/* BDAT size [LAST] (RFC 3030 2) */
static int
cmd_bdat(struct smtpd *s, char *arg)
{
	struct buf chunk = BUF_INIT;
	unsigned long long size = 0, left;
	enum reply_id bad = RP_NREPLIES;
	char num[24], *p = arg;
	int last = 0, r, count_err = 1;
	size_t n = 0;

	while (*p >= '0' && *p <= '9') {
		if (n > 19)
			return cerror(s, RP_BDAT_SYNTAX), 0;
		num[n++] = *p++;
		if (size > (~0ULL - 9) / 10)
			return cerror(s, RP_BDAT_SYNTAX), 0;
		size = size * 10 + (unsigned)(p[-1] - '0');
	}
	num[n] = '\0';
	if (n == 0)
		return cerror(s, RP_BDAT_SYNTAX), 0;
	if (*p == ' ') {
		while (*p == ' ')
			p++;
		if (ascii_casecmp(p, "LAST") != 0)
			return cerror(s, RP_BDAT_SYNTAX), 0;
		last = 1;
	} else if (*p != '\0')
		return cerror(s, RP_BDAT_SYNTAX), 0;

	/* decide before reading: the chunk is read in any case (RFC 3030
	 * 2: the octets follow the command whatever the answer) */
	if (!s->esmtp)
		bad = RP_NEED_EHLO;
	else if (!s->in_mail) {
		/* also the chunks after a failed one (RFC 3030 2) */
		bad = RP_NEED_MAIL;
		count_err = 0;
	} else if (s->nrcpt == 0) {
		bad = RP_NO_VALID_RCPT;
		count_err = 0;
	} else if (!s->bdat && spool_open(s) == -1) {
		warn_sys("%s unable to open a spool file in %s", s->sid,
		    s->spooldir);
		bad = RP_TEMP;
		count_err = 0;
	} else if (s->conf->maxsize > 0 &&
	    (size > s->conf->maxsize ||
	    s->msgsize + size > s->conf->maxsize)) {
		bad = RP_TOO_BIG;
		count_err = 0;
	}
	if (bad == RP_NREPLIES)
		s->bdat = 1;
	for (left = size; left > 0; ) {
		set_timeout(s, s->conf->data_timeout_ms);
		buf_reset(&chunk);
		r = rd_bytes(&s->rd, &chunk,
		    left < RD_BUFSIZE ? (size_t)left : RD_BUFSIZE);
		if (r == 0 || (r == -1 && errno != ETIMEDOUT)) {
			log_info("%s end reason=disconnect-in-bdat", s->sid);
			buf_free(&chunk);
			s->exitcode = EXIT_DONE;
			return 1;
		}
		if (r == -1) {
			buf_free(&chunk);
			return timed_out(s);
		}
		left -= chunk.len;
		if (bad == RP_NREPLIES &&
		    spool_write(s, chunk.s, chunk.len) == -1) {
			/* the chunk is read to its end, then 421 */
			nomem(s);
			bad = RP_TEMP;
			count_err = 0;
		}
	}
	buf_free(&chunk);
	if (bad != RP_NREPLIES) {
		/* RFC 3030 2: a failed BDAT fails the transaction; later
		 * chunks already in the pipeline get 503 and are dropped */
		if (bad == RP_TOO_BIG) {
			s->nmsg++;
			log_result(s, 0, "smtp-recv", replies[bad]);
		}
		txn_reset(s);
		if (count_err)
			cerror(s, bad);
		else
			reply(s, bad);
		return 0;
	}
	if (last) {
		finish_message(s, 0);
		return 0;
	}
	reply(s, RP_CHUNK_OK, num);
	return 0;
}

static int
cmd_rset(struct smtpd *s, char *arg)
{
	if (*arg != '\0')
		return cerror(s, RP_NO_ARG), 0;
	txn_reset(s);
	reply(s, RP_RESET);
	return 0;
}

static int
cmd_noop(struct smtpd *s, char *arg)
{
	(void)arg;	/* RFC 5321 4.1.1.9: an argument is ignored */
	reply(s, RP_OK);
	return 0;
}

static int
cmd_quit(struct smtpd *s, char *arg)
{
	if (*arg != '\0')
		return cerror(s, RP_NO_ARG), 0;
	reply(s, RP_BYE, s->conf->hostname);
	(void)flush(s);
	log_info("%s end reason=quit msgs=%u", s->sid, s->nmsg);
	s->exitcode = EXIT_DONE;
	return 1;
}

static int
cmd_vrfy(struct smtpd *s, char *arg)
{
	if (*arg == '\0')
		return cerror(s, RP_NEED_ARG), 0;
	reply(s, RP_VRFY);
	return 0;
}

static int
cmd_expn(struct smtpd *s, char *arg)
{
	(void)arg;
	reply(s, RP_NOT_IMPL);
	return 0;
}

static int
cmd_help(struct smtpd *s, char *arg)
{
	(void)arg;
	reply(s, RP_HELP);
	return 0;
}

static int
cmd_starttls(struct smtpd *s, char *arg)
{
	struct tls *t;
	size_t junk;

	if (s->tls != NULL)
		return cerror(s, RP_TLS_ALREADY), 0;
	if (*arg != '\0')
		return cerror(s, RP_NO_ARG), 0;
	if (!s->tls_ok)
		return reply(s, RP_TLS_NA), 0;
	/* OpenSSL is initialised here, not before (DESIGN.md 10) */
	if ((t = tls_server_new(s->conf->tls_cert,
	    s->conf->tls_key)) == NULL) {
		log_warn("%s unable to set up TLS: %s", s->sid,
		    tls_error(NULL));
		return reply(s, RP_TLS_NA), 0;
	}
	reply(s, RP_TLS_GO);
	if (flush(s) == -1) {
		tls_close(t);
		s->exitcode = EXIT_DONE;
		return 1;
	}
	/* RFC 3207 4.2 / CVE-2011-0411: whatever the client sent after
	 * STARTTLS in the clear is dropped, never read as commands */
	if ((junk = rd_pending(&s->rd)) > 0) {
		log_warn("%s discarded bytes=%zu sent in the clear after "
		    "STARTTLS", s->sid, junk);
		rd_discard(&s->rd);
	}
	set_timeout(s, s->conf->timeout_ms);
	tls_set_timeout(t, s->cur_timeout);
	if (tls_handshake(t, s->rfd, s->wfd) == -1) {
		if (errno == EPROTO)
			log_info("%s end reason=tls-handshake error=%s",
			    s->sid, tls_error(t));
		else
			log_info("%s end reason=tls-handshake error=%s",
			    s->sid, strerror(errno));
		tls_close(t);
		s->exitcode = EXIT_PERM;
		return 1;
	}
	s->tls = t;
	log_info("%s tls version=%s cipher=%s bits=%d", s->sid,
	    tls_version(t), tls_cipher(t), tls_cipher_bits(t));
	/* RFC 3207 4.2: forget what the client said before */
	txn_reset(s);
	buf_reset(&s->helo);
	s->esmtp = 0;
	return 0;
}

/* ---- spool and delivery ------------------------------------------- */

static const char *
pick_spooldir(void)
{
	static struct buf q = BUF_INIT;
	const char *e = getenv("POSTERN_QUEUE");

	buf_reset(&q);
	if (buf_printf(&q, "%s/tmp", e != NULL && *e != '\0' ? e :
	    "/var/spool/postern") == 0 && access(q.s, W_OK | X_OK) == 0)
		return q.s;
	e = getenv("TMPDIR");
	return e != NULL && *e != '\0' ? e : "/tmp";
}

/* An unlinked temporary file in the spool directory: with O_TMPFILE it
 * never has a name, so not even a crash can leave it behind. */
static int
tmpfile_open(struct smtpd *s)
{
	struct buf path = BUF_INIT;
	int fd, save;

#ifdef O_TMPFILE
	fd = open(s->spooldir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
#endif
	if (buf_printf(&path, "%s/smtp-recv.XXXXXX", s->spooldir) == -1)
		return -1;
	fd = mkstemp(path.s);
	save = errno;
	if (fd >= 0) {
		(void)unlink(path.s);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	buf_free(&path);
	errno = save;
	return fd;
}

/* With filters or an inject program the message goes to a file at once;
 * with neither, it stays in memory up to SPOOL_MEM (the usual message:
 * no file at all), past that it goes to a file too. */
static int
need_file(const struct smtpd *s)
{
	return s->conf->nfilters > 0 || s->conf->inject != NULL;
}

static int
spool_open(struct smtpd *s)
{
	struct buf hdr = BUF_INIT;

	if (s->spooling)
		return 0;
	if (need_file(s) && (s->spool = tmpfile_open(s)) == -1)
		return -1;
	s->spooling = 1;
	s->msgsize = 0;
	s->toobig = 0;
	s->spool_err = 0;
	buf_reset(&s->sbuf);
	/* RFC 5321 4.4: our trace field first */
	if (received(s, &hdr) == -1 ||
	    buf_put(&s->sbuf, hdr.s, hdr.len) == -1) {
		buf_free(&hdr);
		if (s->spool >= 0)
			close(s->spool);
		s->spool = -1;
		s->spooling = 0;
		return -1;
	}
	buf_free(&hdr);
	return 0;
}

/* Message bytes to the spool: counted, written in 64 KiB blocks (kept
 * in memory up to SPOOL_MEM while there is no file); past smtp-maxsize
 * they are counted and dropped. */
static int
spool_write(struct smtpd *s, const char *p, size_t n)
{
	s->msgsize += n;
	if (s->conf->maxsize > 0 && s->msgsize > s->conf->maxsize) {
		s->toobig = 1;
		buf_reset(&s->sbuf);
		return 0;
	}
	if (s->toobig || s->spool_err)
		return 0;
	if (buf_put(&s->sbuf, p, n) == -1)
		return -1;
	if (s->sbuf.len >= (s->spool >= 0 ? SPOOL_BLOCK : SPOOL_MEM))
		(void)spool_flush(s);
	return 0;
}

static int
spool_flush(struct smtpd *s)
{
	if (s->spool_err) {
		errno = s->spool_err;
		return -1;
	}
	if (s->sbuf.len == 0)
		return 0;
	if (s->spool == -1 && (s->spool = tmpfile_open(s)) == -1) {
		s->spool_err = errno;
		buf_reset(&s->sbuf);
		return -1;
	}
	if (write_all(s->spool, s->sbuf.s, s->sbuf.len) == -1) {
		s->spool_err = errno;
		buf_reset(&s->sbuf);
		return -1;
	}
	buf_reset(&s->sbuf);
	return 0;
}

/* A host name from outside, if it is safe to put in a header. */
static int
safe_name(const char *s)
{
	return s != NULL && *s != '\0' && esmtp_helo_valid(s, strlen(s));
}

/* RFC 5321 4.4 Received, RFC 3848 "with", RFC 8314 7.4 "tls" clause. */
static int
received(struct smtpd *s, struct buf *h)
{
	const struct smtpd_conf *c = s->conf;
	const char *ip = c->remoteip, *with;
	char date[64];
	struct tm tm;
	time_t now = time(NULL);
	int r;

	if (s->mp.smtputf8)	/* RFC 6531 4.3 */
		with = s->tls ? "UTF8SMTPS" : "UTF8SMTP";
	else if (s->esmtp)
		with = s->tls ? "ESMTPS" : "ESMTP";
	else
		with = s->tls ? "SMTPS" : "SMTP";
	if (s->authuser != NULL && s->esmtp)
		with = s->mp.smtputf8 ? (s->tls ? "UTF8SMTPSA" : "UTF8SMTPA") :
		    (s->tls ? "ESMTPSA" : "ESMTPA");
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
	    &tm) == 0)
		return -1;
	r = buf_printf(h, "Received: from %s (", s->helo.s);
	if (r == 0 && safe_name(c->remotehost))
		r = buf_printf(h, "%s ", c->remotehost);
	if (r == 0 && ip_ok(ip))
		r = buf_printf(h, "[%s%s]", strchr(ip, ':') ? "IPv6:" : "",
		    ip);
	else if (r == 0)
		r = buf_puts(h, "[127.0.0.1]");	/* no UCSPI: local */
	if (r == 0)
		r = buf_printf(h, ")\r\n\tby %s (postern) with %s id %s.%u",
		    c->hostname, with, s->sid, s->nmsg + 1);
	/* "for" only with one recipient: more would show Bcc recipients */
	if (r == 0 && s->nrcpt == 1)
		r = buf_printf(h, "\r\n\tfor <%s>", s->rcpts[0].addr);
	if (r == 0 && s->tls != NULL)
		r = buf_printf(h, "\r\n\ttls %s (%s)", tls_cipher(s->tls),
		    tls_version(s->tls));
	if (r == 0)
		r = buf_printf(h, ";\r\n\t%s\r\n", date);
	return r;
}

/* One log line per message: accepted with its queue id, or refused
 * with the stage that refused it and the reply. */
static void
log_result(struct smtpd *s, int ok, const char *stage, const char *text)
{
	const char *from = s->from.s ? s->from.s : "";
	const char *tls = s->tls ? tls_version(s->tls) : "none";

	if (ok)
		log_info("%s accepted msg=%u qid=%s from=<%s> rcpts=%zu "
		    "size=%llu tls=%s", s->sid, s->nmsg, text, from,
		    s->nrcpt, s->msgsize, tls);
	else
		log_info("%s refused msg=%u stage=%s reply=\"%s\" from=<%s> "
		    "rcpts=%zu size=%llu tls=%s", s->sid, s->nmsg, stage,
		    text, from, s->nrcpt, s->msgsize, tls);
}

/* A NULL-ended vector of the NUL-separated strings in b. */
static char **
vec(struct buf *b, size_t count)
{
	char **v, *p;
	size_t i;

	if ((v = calloc(count + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0, p = b->s; i < count; i++, p += strlen(p) + 1)
		v[i] = p;
	return v;
}

static int
add_str(struct buf *b, size_t *count, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
add_str(struct buf *b, size_t *count, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (r == 0)
		r = buf_putc(b, '\0');
	if (r == 0)
		(*count)++;
	return r;
}

/* The filters' environment (DESIGN.md section 4). */
static char **
make_env(struct smtpd *s, struct buf *b)
{
	static const char *const ours[] = { "SMTP_HELO=", "SMTP_MAILFROM=",
	    "SMTP_RCPT=", "SMTP_AUTHUSER=", "SMTP_TLS=", "SMTP_HOSTNAME=" };
	size_t count = 0, i, k, cut;
	int r = 0;

	for (i = 0; environ[i] != NULL && r == 0; i++) {
		for (k = 0; k < sizeof(ours) / sizeof(ours[0]); k++)
			if (strncmp(environ[i], ours[k],
			    strlen(ours[k])) == 0)
				break;
		if (k == sizeof(ours) / sizeof(ours[0]))
			r = add_str(b, &count, "%s", environ[i]);
	}
	if (r == 0)
		r = add_str(b, &count, "SMTP_HELO=%s", s->helo.s);
	if (r == 0)
		r = add_str(b, &count, "SMTP_MAILFROM=%s", s->from.s);
	if (r == 0)
		r = buf_puts(b, "SMTP_RCPT=");
	for (i = 0, cut = b->len; i < s->nrcpt && r == 0; i++) {
		if (b->len - cut + strlen(s->rcpts[i].addr) >
		    SMTPD_RCPTENV_MAX)
			break;
		r = buf_printf(b, "%s%s", i ? "\n" : "", s->rcpts[i].addr);
	}
	if (r == 0)
		r = add_str(b, &count, "%s", "");
	if (r == 0 && s->authuser != NULL)
		r = add_str(b, &count, "SMTP_AUTHUSER=%s", s->authuser);
	if (r == 0 && s->tls != NULL)
		r = add_str(b, &count, "SMTP_TLS=%s %s", tls_version(s->tls),
		    tls_cipher(s->tls));
	else if (r == 0)
		r = add_str(b, &count, "SMTP_TLS=");
	if (r == 0)
		r = add_str(b, &count, "SMTP_HOSTNAME=%s", s->conf->hostname);
	return r == 0 ? vec(b, count) : NULL;
}

/* An IP address as tcpserver gives it: 1 / 0. */
static int
ip_ok(const char *ip)
{
	unsigned char a[16];

	return ip != NULL && (inet_pton(AF_INET, ip, a) == 1 ||
	    inet_pton(AF_INET6, ip, a) == 1);
}

/* "-o" and "[prefix]KEY=VALUE" for parameter id: 0 or -1. */
static int
add_param(struct buf *b, size_t *count, const char *prefix,
    enum param_id id, const struct param_val *v)
{
	struct buf val = BUF_INIT;
	int r;

	r = param_write_queue(id, v, &val);
	if (r == 0)
		r = add_str(b, count, "-o") || add_str(b, count, "%s%s=%s",
		    prefix, param_defs[id].key, val.s);
	buf_free(&val);
	return r;
}

/* queue-inject -f SENDER [-o key=value]... -- RCPT... */
static char **
make_inject_argv(struct smtpd *s, struct buf *b)
{
	const struct smtpd_conf *c = s->conf;
	struct param_val v = { 0 };
	char pre[32];
	size_t count = 0, i;
	int r;

	r = add_str(b, &count, "%s",
	    c->inject != NULL ? c->inject : "queue-inject");
	if (r == 0)
		r = add_str(b, &count, "-f");
	if (r == 0)
		r = add_str(b, &count, "%s", s->from.s);
	if (r == 0 && (v.u = s->mp.body) != PARAM_BODY_NONE)
		r = add_param(b, &count, "", PARAM_BODY, &v);
	if (r == 0 && (v.u = (unsigned)s->mp.smtputf8) != 0)
		r = add_param(b, &count, "", PARAM_SMTPUTF8, &v);
	if (r == 0 && (v.u = (unsigned)s->mp.requiretls) != 0)
		r = add_param(b, &count, "", PARAM_REQUIRETLS, &v);
	if (r == 0 && (v.u = s->mp.ret) != PARAM_RET_NONE)
		r = add_param(b, &count, "", PARAM_RET, &v);
	if (r == 0 && (v.n = s->mp.envid.len) > 0) {
		v.s = s->mp.envid.s;
		r = add_param(b, &count, "", PARAM_ENVID, &v);
	}
	if (r == 0 && ip_ok(c->remoteip))
		r = add_str(b, &count, "-o") ||
		    add_str(b, &count, "received-from=%s", c->remoteip);
	if (r == 0 && s->authuser != NULL)
		r = add_str(b, &count, "-o") ||
		    add_str(b, &count, "authuser=%s", s->authuser);
	for (i = 0; i < s->nrcpt && r == 0; i++) {
		snprintf(pre, sizeof(pre), "rcpt.%zu.", i);
		if ((v.u = s->rcpts[i].notify) != 0)
			r = add_param(b, &count, pre, PARAM_NOTIFY, &v);
		if (r == 0 && (v.s = s->rcpts[i].orcpt) != NULL) {
			v.n = strlen(v.s);
			r = add_param(b, &count, pre, PARAM_ORCPT, &v);
		}
	}
	if (r == 0)
		r = add_str(b, &count, "--");
	for (i = 0; i < s->nrcpt && r == 0; i++)
		r = add_str(b, &count, "%s", s->rcpts[i].addr);
	return r == 0 ? vec(b, count) : NULL;
}

int
smtpd_filter_reply(const char *line, size_t n, int cls, struct buf *out)
{
	size_t i, dots = 0, digits = 0;

	buf_reset(out);
	/* one line, printable ASCII, a code of the class, then a space */
	if (n < 4 || n > 510 || line[0] != cls ||
	    line[1] < '0' || line[1] > '5' || line[2] < '0' ||
	    line[2] > '9' || line[3] != ' ')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] > 0x7e)
			return 0;
	/* RFC 3463 2: class "." subject "." detail, same class */
	i = 4;
	if (n > 5 && line[4] == cls && line[5] == '.') {
		for (i = 6; i < n && (line[i] == '.' ||
		    (line[i] >= '0' && line[i] <= '9')); i++) {
			if (line[i] == '.')
				dots++, digits = 0;
			else
				digits++;
		}
		if (dots == 1 && digits > 0 && (i == n || line[i] == ' '))
			return buf_put(out, line, n) == 0;
	}
	return buf_put(out, line, 4) == 0 &&
	    buf_printf(out, "%c.0.0 %.*s", cls, (int)(n - 4), line + 4) == 0;
}

/*
 * Which stage's answer the client gets: the first that failed, except
 * one killed by SIGPIPE because a later stage stopped reading.
 */
static int
stage_reply(struct smtpd *s, struct pipeline_stage *st, size_t n,
    struct buf *rep, const char **who)
{
	size_t i, j;
	int later;

	for (i = 0; i < n; i++) {
		if (st[i].code == 0)
			continue;
		for (later = 0, j = i + 1; j < n; j++)
			later |= st[j].code != 0;
		if (st[i].sig == SIGPIPE && later)
			continue;
		*who = st[i].argv[0];
		if (st[i].code == EXIT_PERM) {
			if (!smtpd_filter_reply(st[i].lastline.s,
			    st[i].lastline.len, '5', rep))
				(void)buf_set(rep, replies[RP_FILTER_PERM],
				    strlen(replies[RP_FILTER_PERM]));
		} else if (st[i].code != EXIT_TEMP ||
		    !smtpd_filter_reply(st[i].lastline.s,
		    st[i].lastline.len, '4', rep))
			(void)buf_set(rep, replies[RP_TEMP],
			    strlen(replies[RP_TEMP]));
		if (st[i].code != EXIT_PERM && st[i].code != EXIT_TEMP)
			log_warn("%s stage-failed stage=%s code=%d", s->sid,
			    *who, st[i].code);
		return 1;
	}
	return 0;
}

/*
 * queue_inject_run() on fd: 0 with the queue id in qid, or -1 with the
 * reply for the client in rep.
 */
static int
inject_inproc(struct smtpd *s, char **argv, int fd, struct buf *qid,
    struct buf *rep, const char **who)
{
	struct buf r = BUF_INIT;
	int argc, code;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	buf_reset(qid);
	code = queue_inject_run(argc, argv, fd, s->sbuf.s, s->sbuf.len, qid,
	    &r);
	if (code == 0) {
		buf_free(&r);
		return 0;
	}
	*who = "queue-inject";
	if (code == EXIT_PERM && smtpd_filter_reply(r.s, r.len, '5', rep))
		;
	else if (code == EXIT_TEMP && smtpd_filter_reply(r.s, r.len, '4',
	    rep))
		;
	else {
		(void)buf_set(rep, replies[RP_TEMP], strlen(replies[RP_TEMP]));
		if (code != EXIT_TEMP)
			log_warn("%s stage-failed stage=queue-inject code=%d",
			    s->sid, code);
	}
	buf_free(&r);
	return -1;
}

/*
 * Run the filter chain, then queue-inject.  queue-inject commits what it
 * read at EOF, so it starts only after every filter has succeeded, on the
 * filters' output collected in a second spool file: a filter that dies
 * half way can never get a truncated message queued.  With no filters
 * queue-inject reads the spool file itself: one exec per message.
 * 0: queued (rep is the 250), -1: refused or failed (rep says why).
 */
static int
deliver(struct smtpd *s, struct buf *rep)
{
	const struct smtpd_conf *c = s->conf;
	struct pipeline_stage st[PIPELINE_MAX], inj;
	struct buf envs = BUF_INIT, args = BUF_INIT, qid = BUF_INIT;
	char **envp = NULL, **argv = NULL;
	const char *who = NULL;
	int in = s->spool, out2 = -1, ret = -1;
	size_t i, nf = c->nfilters;

	memset(st, 0, sizeof(st));
	memset(&inj, 0, sizeof(inj));
	if ((envp = make_env(s, &envs)) == NULL ||
	    (argv = make_inject_argv(s, &args)) == NULL) {
		nomem(s);
		goto temp;
	}
	/* a message still in memory goes from there (fd -1) to the queue */
	if (s->spool >= 0 && (spool_flush(s) == -1 ||
	    lseek(s->spool, 0, SEEK_SET) == -1))
		goto temp;
	if (s->spool == -1 && need_file(s))
		goto temp;
	if (nf > 0) {
		if ((out2 = tmpfile_open(s)) == -1)
			goto temp;
		for (i = 0; i < nf; i++)
			st[i].argv = c->filters[i];
		if (pipeline_run(st, nf, envp, s->spool, out2, NULL, 0,
		    c->data_timeout_ms) == -1) {
			warn_sys("%s filter chain", s->sid);
			goto temp;
		}
		if (stage_reply(s, st, nf, rep, &who))
			goto done;
		if (lseek(out2, 0, SEEK_SET) == -1)
			goto temp;
		in = out2;
	}
	if (c->inject == NULL) {
		/* queue-inject's own code, in-process: a process start less
		 * per message (DESIGN.md section 10), the same behaviour */
		if (inject_inproc(s, argv, in, &qid, rep, &who) == -1)
			goto done;
	} else {
		inj.argv = argv;
		if (pipeline_run(&inj, 1, envp, in, -1, &qid, 256,
		    c->data_timeout_ms) == -1) {
			warn_sys("%s %s", s->sid, c->inject);
			goto temp;
		}
		if (stage_reply(s, &inj, 1, rep, &who))
			goto done;
	}
	/* the queue id: the first line, printable, no blanks */
	for (i = 0; i < qid.len && qid.s[i] > 0x20 && qid.s[i] < 0x7f; i++)
		;
	buf_truncate(&qid, i);
	buf_reset(rep);
	if ((qid.len > 0 ? reply_text(rep, RP_QUEUED, qid.s) :
	    reply_text(rep, RP_QUEUED_NOID)) == -1)
		nomem(s);	/* queued, but the 250 is lost: a duplicate */
	log_result(s, 1, NULL, qid.len > 0 ? qid.s : "-");
	ret = 0;
	goto out;
temp:
	(void)buf_set(rep, replies[RP_TEMP], strlen(replies[RP_TEMP]));
	who = "smtp-recv";
done:
	log_result(s, 0, who != NULL ? who : "-", rep->s);
out:
	if (out2 >= 0)
		close(out2);
	pipeline_free(st, nf);
	pipeline_free(&inj, 1);
	free(envp);
	free(argv);
	buf_free(&envs);
	buf_free(&args);
	buf_free(&qid);
	return ret;
}

/* ---- the session -------------------------------------------------- */

static const struct cmd *
find_cmd(const char *verb, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strlen(cmds[i].name) == n &&
		    ascii_ncasecmp(verb, cmds[i].name, n) == 0)
			return &cmds[i];
	return NULL;
}

/* One command line: 1 to end the session. */
static int
command(struct smtpd *s)
{
	const struct cmd *c;
	char *l = s->line.s, *arg, *e;
	size_t n = s->line.len, i;

	/* RFC 5321 2.3.8: CRLF, and no CR or LF elsewhere */
	if (n < 2 || l[n - 2] != '\r') {
		cerror(s, RP_BARE_LF_CMD);
		return 0;
	}
	n -= 2;
	l[n] = '\0';
	for (i = 0; i < n; i++)
		if (l[i] == '\0' || l[i] == '\r' || l[i] == '\n' ||
		    (l[i] > 0 && l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f) {
			cerror(s, RP_SYNTAX);
			return 0;
		}
	for (e = l; *e != '\0' && *e != ' '; e++)
		;
	if ((c = find_cmd(l, (size_t)(e - l))) == NULL) {
		cerror(s, RP_UNKNOWN_CMD);
		return 0;
	}
	for (arg = e; *arg == ' '; arg++)
		;
	/* trailing blanks are dropped (seen from some clients) */
	for (e = l + n; e > arg && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	return c->fn(s, arg);
}

static void
session_free(struct smtpd *s)
{
	txn_reset(s);
	free(s->rcpts);
	buf_free(&s->out);
	buf_free(&s->line);
	buf_free(&s->helo);
	buf_free(&s->from);
	buf_free(&s->sbuf);
	if (s->tls != NULL)
		tls_close(s->tls);
}

int
smtpd_serve(const struct smtpd_conf *c, int rfd, int wfd)
{
	static struct smtpd sess;
	struct smtpd *s = &sess;
	struct timespec ts;
	int r, done = 0;

	memset(s, 0, sizeof(*s));
	s->conf = c;
	s->rfd = rfd;
	s->wfd = wfd;
	s->spool = -1;
	s->exitcode = EXIT_DONE;
	s->deadline = c->session_timeout_ms > 0 ?
	    now_ms() + c->session_timeout_ms : -1;
	s->tls_ok = c->tls_cert != NULL && c->tls_key != NULL;
	s->spooldir = pick_spooldir();
	clock_gettime(CLOCK_REALTIME, &ts);
	/* the session id: time and pid, unique on this host */
	if (snprintf(s->sid, sizeof(s->sid), "%llx.%lx",
	    (unsigned long long)ts.tv_sec, (unsigned long)getpid()) < 0)
		s->sid[0] = '\0';
	rd_init(&s->rd, rfd, -1);
	s->rd.read = sess_read;
	s->rd.ctx = s;
	/* writes to a client that left fail with EPIPE, not a signal */
	signal(SIGPIPE, SIG_IGN);
	/* a file size limit fails a write to the queue with EFBIG */
	signal(SIGXFSZ, SIG_IGN);
	/* a last stop for anything that blocks past the session's end */
	if (c->session_timeout_ms > 0)
		alarm((unsigned)(c->session_timeout_ms / 1000 + 60));

	log_info("%s connect ip=%s port=%s host=%s local=%s:%s", s->sid,
	    c->remoteip ? c->remoteip : "-",
	    c->remoteport ? c->remoteport : "-",
	    c->remotehost ? c->remotehost : "-",
	    c->localip ? c->localip : "-",
	    c->localport ? c->localport : "-");

	/* RFC 5321 4.3.1 / 3.1: an early talker gets 554 and no service */
	if (c->greeting_delay_ms > 0 &&
	    (r = rd_wait(rfd, c->greeting_delay_ms)) != 0) {
		reply(s, RP_EARLY, c->hostname);
		(void)flush(s);
		log_info("%s end reason=early-talker", s->sid);
		session_free(s);
		return EXIT_PERM;
	}
	reply(s, RP_GREETING, c->hostname);

	while (!done) {
		set_timeout(s, c->timeout_ms);
		r = rd_line(&s->rd, &s->line, SMTPD_CMD_MAX);
		if (r == 0 || (r == 1 && (s->line.len == 0 ||
		    s->line.s[s->line.len - 1] != '\n'))) {
			/* EOF (a last line without LF is no command) */
			log_info("%s end reason=%s msgs=%u", s->sid,
			    s->dead ? "write-error" : "eof", s->nmsg);
			break;
		}
		if (r == -1) {
			if (errno == EMSGSIZE) {
				cerror(s, RP_LINE_LONG);
			} else if (errno == ETIMEDOUT) {
				(void)timed_out(s);
				break;
			} else {
				if (s->dead)
					log_info("%s end reason=write-error",
					    s->sid);
				else if (errno == EPROTO)
					log_info("%s end reason=tls-error "
					    "error=%s", s->sid,
					    tls_error(s->tls));
				else
					log_info("%s end reason=read-error "
					    "error=%s", s->sid,
					    strerror(errno));
				break;
			}
		} else
			done = command(s);
		if (s->nomem) {
			/* the buffers may hold part of a reply: drop it */
			buf_reset(&s->out);
			reply(s, RP_NOMEM, c->hostname);
			(void)flush(s);
			log_warn("%s end reason=out-of-memory msgs=%u", s->sid,
			    s->nmsg);
			s->exitcode = EXIT_TEMP;
			break;
		}
		if (!done && s->errors >= c->maxerrors) {
			reply(s, RP_TOO_MANY_ERRORS, c->hostname);
			(void)flush(s);
			log_info("%s end reason=too-many-errors msgs=%u",
			    s->sid, s->nmsg);
			s->exitcode = EXIT_PERM;
			break;
		}
	}
	(void)flush(s);
	r = s->exitcode;
	session_free(s);
	return r;
}

void
smtpd_unavailable(int wfd)
{
	struct buf b = BUF_INIT;
	char host[256];

	if (gethostname(host, sizeof(host)) == -1)
		memcpy(host, "postern", 8);
	host[sizeof(host) - 1] = '\0';
	if (reply_text(&b, RP_CONFIG, host) == 0 && buf_puts(&b, "\r\n") == 0)
		(void)write_all(wfd, b.s, b.len);
	buf_free(&b);
}
