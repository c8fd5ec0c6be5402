/*
 * smtpd: the replies, the transaction and the session loop of smtp-recv
 * (smtpd.h); the commands are in smtpd_cmd.c, the spool and delivery in
 * smtpd_data.c (smtpd_int.h).
 */
#include <errno.h>
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
#include "net/serve.h"
#include "net/tls.h"
#include "smtp/smtpd_int.h"

/* the texts of enum reply_id (smtpd_int.h) */
const char *const sd_replies[RP_NREPLIES] = {
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
	[RP_TOO_MANY_CMDS] =
	    "421 4.7.0 %s too many commands, closing connection",
	[RP_TOO_MANY_ERRORS] =
	    "421 4.7.0 %s too many errors, closing connection",
	[RP_CONFIG] =	"421 4.3.5 %s configuration error, closing connection",
	[RP_NOMEM] =	"421 4.3.0 %s out of memory, closing connection",
	/* the listener's refusals (smtpd_refusals): RFC 5321 3.8 (421
	 * instead of the greeting), RFC 3463 X.3.2 (system not accepting
	 * network messages), X.7.0 (a policy: per client) */
	[RP_BUSY] =	"421 4.3.2 %s too many connections, try again later",
	[RP_CLIENT_LIMIT] =
	    "421 4.7.0 %s too many connections from your address, try again "
	    "later",
	[RP_TEMP] =	"451 4.3.0 temporary failure, try again later",
	/* RFC 5321 4.2.2, RFC 3463 X.3.1: a full disk or quota */
	[RP_NO_STORAGE] =	"452 4.3.1 insufficient system storage",
	[RP_LOOKUP_FAIL] =
	    "451 4.3.0 recipient lookup failed, try again later",
	/* RFC 5321 4.5.1: postmaster must be delivered; until it is set up */
	[RP_NO_POSTMASTER] =
	    "451 4.3.5 postmaster is not configured here, try again later",
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

/* ---- replies ------------------------------------------------------ */

/*
 * Out of memory: the session ends after the command it happened in,
 * with 421 (the main loop), and the process exits 111.  lib/ never
 * exits on its own.
 */
void
sd_nomem(struct smtpd *s)
{
	s->nomem = 1;
}

/* The text of reply id with its arguments, appended to b: 0 or -1. */
int
sd_reply_text(struct buf *b, enum reply_id id, ...)
{
	va_list ap;
	int r;

	va_start(ap, id);
	r = buf_vprintf(b, sd_replies[id], ap);
	va_end(ap);
	return r;
}

void
sd_reply(struct smtpd *s, enum reply_id id, ...)
{
	va_list ap;

	va_start(ap, id);
	if (buf_vprintf(&s->out, sd_replies[id], ap) == -1 ||
	    buf_puts(&s->out, "\r\n") == -1)
		sd_nomem(s);
	va_end(ap);
}

void
sd_reply_raw(struct smtpd *s, const char *p, size_t n)
{
	if (buf_put(&s->out, p, n) == -1 || buf_puts(&s->out, "\r\n") == -1)
		sd_nomem(s);
}

/* A reply to a client error: counted against smtp-maxerrors. */
void
sd_cerror(struct smtpd *s, enum reply_id id, ...)
{
	va_list ap;

	va_start(ap, id);
	if (buf_vprintf(&s->out, sd_replies[id], ap) == -1 ||
	    buf_puts(&s->out, "\r\n") == -1)
		sd_nomem(s);
	va_end(ap);
	s->errors++;
}

/* Send what is buffered (RFC 2920 3.1: before we wait for the client). */
int
sd_flush(struct smtpd *s)
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

	if (sd_flush(s) == -1)
		return -1;
	if (s->tls != NULL) {
		tls_set_timeout(s->tls, sd_wait_left(s));
		return tls_read(s->tls, p, n);
	}
	if ((w = rd_wait(s->rfd, sd_wait_left(s))) <= 0) {
		if (w == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	return read(s->rfd, p, n);
}

/*
 * When the reads of a command line, or of a message's data, must end: an
 * absolute time, so that a client sending a byte at a time cannot keep a
 * session for ever by restarting a timeout with each byte (issue 9.9).
 * Never past the session's end; when the listener is near its session
 * limit (serve_stressed), never past smtp-stress-timeout from now.
 */
void
sd_set_deadline(struct smtpd *s, long at)
{
	long st;

	s->stress_cut = 0;
	if (serve_stressed() && (st = now_ms() +
	    s->conf->stress_timeout_ms) < at) {
		at = st;
		s->stress_cut = 1;
	}
	if (s->deadline >= 0 && at > s->deadline)
		at = s->deadline;
	s->wait_deadline = at;
}

/* ms from now: the whole command line, however it trickles in */
void
sd_set_timeout(struct smtpd *s, int ms)
{
	sd_set_deadline(s, now_ms() + ms);
}

int
sd_wait_left(const struct smtpd *s)
{
	long left = s->wait_deadline - now_ms();

	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* After ETIMEDOUT: say which limit it was, and end the session. */
int
sd_timed_out(struct smtpd *s)
{
	if (s->deadline >= 0 && now_ms() >= s->deadline) {
		sd_reply(s, RP_SESSION_TIME, s->conf->hostname);
		log_info("%s end reason=session-time", s->sid);
	} else {
		sd_reply(s, RP_TIMEOUT, s->conf->hostname);
		log_info("%s end reason=%s", s->sid, s->stress_cut ?
		    "stress-timeout" : "timeout");
	}
	(void)sd_flush(s);
	s->exitcode = EXIT_PERM;
	return 1;
}

/* ---- transaction -------------------------------------------------- */

void
sd_txn_reset(struct smtpd *s)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++) {
		free(s->rcpts[i].addr);
		free(s->rcpts[i].orcpt);
	}
	s->nrcpt = 0;
	s->in_mail = 0;
	s->txn_rcpts = s->txn_other = 0;
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
int
sd_may_relay(struct smtpd *s)
{
	return s->conf->relayclient || s->authuser != NULL;
}

static void
session_free(struct smtpd *s)
{
	sd_txn_reset(s);
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
	s->spooldir = sd_pick_spooldir();
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
		sd_reply(s, RP_EARLY, c->hostname);
		(void)sd_flush(s);
		log_info("%s end reason=early-talker", s->sid);
		session_free(s);
		return EXIT_PERM;
	}
	sd_reply(s, RP_GREETING, c->hostname);

	while (!done) {
		sd_set_timeout(s, c->timeout_ms);
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
				sd_cerror(s, RP_LINE_LONG);
			} else if (errno == ETIMEDOUT) {
				(void)sd_timed_out(s);
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
		} else if (++s->ncmds > c->maxcommands) {
			/* smtp-maxcommands: no session goes on for ever */
			sd_reply(s, RP_TOO_MANY_CMDS, c->hostname);
			(void)sd_flush(s);
			log_info("%s end reason=too-many-commands msgs=%u",
			    s->sid, s->nmsg);
			s->exitcode = EXIT_PERM;
			break;
		} else
			done = sd_command(s);
		if (s->nomem) {
			/* the buffers may hold part of a reply: drop it */
			buf_reset(&s->out);
			sd_reply(s, RP_NOMEM, c->hostname);
			(void)sd_flush(s);
			log_warn("%s end reason=out-of-memory msgs=%u", s->sid,
			    s->nmsg);
			s->exitcode = EXIT_TEMP;
			break;
		}
		if (!done && s->errors >= c->maxerrors) {
			sd_reply(s, RP_TOO_MANY_ERRORS, c->hostname);
			(void)sd_flush(s);
			log_info("%s end reason=too-many-errors msgs=%u",
			    s->sid, s->nmsg);
			s->exitcode = EXIT_PERM;
			break;
		}
	}
	(void)sd_flush(s);
	r = s->exitcode;
	session_free(s);
	return r;
}

int
smtpd_refusals(char **busy_r, char **limit_r)
{
	struct buf me = BUF_INIT, b = BUF_INIT, l = BUF_INIT;
	char host[256];
	int r = -1;

	*busy_r = *limit_r = NULL;
	if (control_me(&me) == -1) {
		/* as smtpd_unavailable: each session reports the file */
		warn_sys("unable to read control file me");
		if (gethostname(host, sizeof(host)) == -1)
			memcpy(host, "postern", 8);
		host[sizeof(host) - 1] = '\0';
		buf_reset(&me);
	}
	if ((me.len > 0 || buf_puts(&me, host) == 0) &&
	    sd_reply_text(&b, RP_BUSY, me.s) == 0 &&
	    buf_puts(&b, "\r\n") == 0 &&
	    sd_reply_text(&l, RP_CLIENT_LIMIT, me.s) == 0 &&
	    buf_puts(&l, "\r\n") == 0 &&
	    (*busy_r = buf_steal(&b)) != NULL &&
	    (*limit_r = buf_steal(&l)) != NULL)
		r = 0;
	buf_free(&me);
	buf_free(&b);
	buf_free(&l);
	if (r == -1) {
		free(*busy_r);
		*busy_r = NULL;
	}
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
	if (sd_reply_text(&b, RP_CONFIG, host) == 0 && buf_puts(&b, "\r\n") == 0)
		(void)write_all(wfd, b.s, b.len);
	buf_free(&b);
}
