/* smtpd_cmd: the command table of smtp-recv and one handler per verb. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/log.h"
#include "base/num.h"
#include "mail/addr.h"
#include "net/tls.h"
#include "queue/route.h"
#include "smtp/smtpd_dot.h"
#include "smtp/smtpd_int.h"

struct cmd {
	const char	*name;
	int		(*fn)(struct smtpd *, char *);
};

static void	data_deadline(struct smtpd *, long, unsigned long long);
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

/*
 * The reads of a message's data end smtp-data-timeout after they began,
 * plus a second for each smtp-data-rate bytes received: a stalled client
 * gets the timeout, and one that trickles slower than the rate runs out
 * of time too (issue 9.9).  got: bytes of this message so far.
 */
static void
data_deadline(struct smtpd *s, long start, unsigned long long got)
{
	const struct smtpd_conf *c = s->conf;
	unsigned long long earned;

	if (c->data_rate == 0) {
		sd_set_timeout(s, c->data_timeout_ms);	/* per wait, no rate */
		return;
	}
	earned = got / c->data_rate * 1000 +
	    got % c->data_rate * 1000 / c->data_rate;
	if (earned > (unsigned long long)LONG_MAX / 2)
		earned = LONG_MAX / 2;
	sd_set_deadline(s, start + c->data_timeout_ms + (long)earned);
}

/* ---- commands ----------------------------------------------------- */

static void
ehlo_reset(struct smtpd *s, const char *arg, int esmtp)
{
	sd_txn_reset(s);
	if (buf_set(&s->helo, arg, strlen(arg)) == -1)
		sd_nomem(s);
	s->esmtp = esmtp;
}

static int
cmd_ehlo(struct smtpd *s, char *arg)
{
	const struct smtpd_conf *c = s->conf;
	struct buf kw = BUF_INIT;
	const char *p, *e;

	if (*arg == '\0')
		return sd_cerror(s, RP_NEED_ARG), 0;
	if (!esmtp_helo_valid(arg, strlen(arg)))
		return sd_cerror(s, RP_HELO_SYNTAX), 0;
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
		return sd_nomem(s), 0;
	}
	for (p = kw.s; (e = strchr(p, '\n')) != NULL; p = e + 1)
		if (buf_printf(&s->out, "250%c%.*s\r\n",
		    e[1] == '\0' ? ' ' : '-', (int)(e - p), p) == -1) {
			sd_nomem(s);
			break;
		}
	buf_free(&kw);
	return 0;
}

static int
cmd_helo(struct smtpd *s, char *arg)
{
	if (*arg == '\0')
		return sd_cerror(s, RP_NEED_ARG), 0;
	if (!esmtp_helo_valid(arg, strlen(arg)))
		return sd_cerror(s, RP_HELO_SYNTAX), 0;
	ehlo_reset(s, arg, 0);
	if (buf_printf(&s->out, "250 %s\r\n", s->conf->hostname) == -1)
		sd_nomem(s);
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
		sd_cerror(s, RP_PARAM_UNKNOWN, kw);
		break;
	case ESMTP_E_DUP:
		sd_cerror(s, RP_PARAM_DUP, kw);
		break;
	case ESMTP_E_SIZE:
		sd_reply(s, RP_SIZE_DECLARED);
		break;
	case ESMTP_E_NOMEM:
		sd_reply(s, RP_TEMP);
		break;
	default:
		sd_cerror(s, RP_PARAM_SYNTAX, kw);
	}
}

/* An address error reply, with the parser's reason. */
static void
addr_error(struct smtpd *s, enum reply_id id, unsigned fl,
    const struct addr_err *err)
{
	/* RFC 6531 3.4: non-ASCII without SMTPUTF8 has its own code */
	if (fl & ADDR_P_UTF8)
		sd_cerror(s, RP_UTF8_ADDR);
	else
		sd_cerror(s, id, err->why != NULL ? err->why : "syntax error");
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
		return sd_cerror(s, RP_NEED_HELO), 0;
	if (s->in_mail)
		return sd_cerror(s, RP_NESTED_MAIL), 0;
	if ((p = path_start(arg, "FROM:")) == NULL)
		return sd_cerror(s, RP_ARG_SYNTAX), 0;
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
		sd_nomem(s);
		goto done;
	}
	s->in_mail = 1;
	sd_reply(s, RP_SENDER_OK);
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
		return sd_cerror(s, RP_NEED_MAIL), 0;
	/* RFC 5321 4.5.3.1.8, 4.5.3.1.10: every RCPT command counts toward
	 * smtp-maxrcpt, duplicates and refused ones too; 452, not an error */
	if (++s->txn_rcpts > s->conf->maxrcpt)
		return sd_reply(s, RP_TOO_MANY_RCPT), 0;
	if ((p = path_start(arg, "TO:")) == NULL)
		return sd_cerror(s, RP_ARG_SYNTAX), 0;
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
		sd_nomem(s);
		goto done;
	}
	p += path.params;
	if ((e = esmtp_rcpt_params(p, allowed(s), &rp, &bad)) != ESMTP_OK) {
		param_error(s, e, bad);
		goto done;
	}
	if (path.flags & ADDR_P_PM) {
		/* RFC 5321 4.5.1: "postmaster" is postmaster@ our host name,
		 * and must reach a mailbox: accepted only when the tables
		 * deliver it (conf-init makes the alias), never held */
		buf_reset(&addr);
		if (buf_printf(&addr, "postmaster@%s",
		    s->conf->hostname) == -1) {
			sd_nomem(s);
			goto done;
		}
		if ((r = route_classify(addr.s)) != ROUTE_LOCAL && r != -1) {
			log_warn("%s rcpt-refused rcpt=<%s> reply=451 "
			    "postmaster is not a local address (aliases)",
			    s->sid, addr.s);
			sd_reply(s, RP_NO_POSTMASTER);
			goto done;
		}
	} else
		r = route_classify(addr.s);
	if (r == -1) {
		warn_sys("%s unable to look up recipients", s->sid);
		sd_reply(s, RP_LOOKUP_FAIL);
		goto done;
	}
	if (r == ROUTE_UNKNOWN) {
		log_info("%s rcpt-refused rcpt=<%s> reply=550", s->sid,
		    addr.s);
		sd_cerror(s, RP_NO_USER);
		goto done;
	}
	if (r == ROUTE_REMOTE && !sd_may_relay(s)) {
		log_info("%s rcpt-refused rcpt=<%s> reply=554 relay", s->sid,
		    addr.s);
		sd_cerror(s, RP_RELAY);
		goto done;
	}
	if (!rcpt_known(s, addr.s)) {
		if ((nr = array_ready(s->rcpts, &s->rcap, s->nrcpt + 1,
		    sizeof(*nr))) == NULL) {
			sd_nomem(s);
			goto done;
		}
		s->rcpts = nr;
		nr = &s->rcpts[s->nrcpt];
		nr->notify = rp.notify;
		nr->orcpt = rp.orcpt.len > 0 ? buf_steal(&rp.orcpt) : NULL;
		nr->addr = buf_steal(&addr);
		if (nr->addr == NULL) {
			free(nr->orcpt);
			sd_nomem(s);
			goto done;
		}
		s->nrcpt++;
	}
	sd_reply(s, RP_RCPT_OK);
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
	else if (s->spool_err || (s->spool >= 0 && sd_spool_flush(s) == -1)) {
		errno = s->spool_err;
		warn_sys("%s unable to write the spool file", s->sid);
		id = sd_temp_reply(s->spool_err);
	}
	if (id != RP_NREPLIES) {
		sd_reply(s, id);
		sd_log_result(s, 0, "smtp-recv", sd_replies[id]);
		if (id != RP_TEMP && id != RP_NO_STORAGE)
			s->errors++;
	} else {
		(void)sd_deliver(s, &rep);
		sd_reply_raw(s, rep.s, rep.len);
	}
	buf_free(&rep);
	sd_txn_reset(s);
}

static int
cmd_data(struct smtpd *s, char *arg)
{
	struct smtpd_dot dot;
	struct buf raw = BUF_INIT, dec = BUF_INIT;
	unsigned long long got = 0;
	size_t used;
	long start;
	int r, end = 0;

	if (!s->in_mail)
		return sd_cerror(s, RP_NEED_MAIL), 0;
	if (s->bdat)
		return sd_cerror(s, RP_BDAT_MIX), 0;
	if (*arg != '\0')
		return sd_cerror(s, RP_NO_ARG), 0;
	if (s->nrcpt == 0)
		return sd_reply(s, RP_NO_VALID_RCPT), 0;
	if (s->mp.body == PARAM_BODY_BINARYMIME)
		return sd_cerror(s, RP_BINARY_DATA), 0;
	if (sd_spool_open(s) == -1) {
		warn_sys("%s unable to open a spool file in %s", s->sid,
		    s->spooldir);
		return sd_reply(s, sd_temp_reply(errno)), 0;
	}
	sd_reply(s, RP_DATA_GO);
	smtpd_dot_init(&dot);
	dot.lf_normalize = !s->conf->bare_lf_reject;
	start = now_ms();
	while (!end) {
		data_deadline(s, start, got);
		buf_reset(&raw);
		r = rd_bytes(&s->rd, &raw, RD_BUFSIZE);
		got += raw.len;
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
			return sd_timed_out(s);
		}
		buf_reset(&dec);
		used = smtpd_dot_feed(&dot, raw.s, raw.len, &dec, &end);
		if (end)
			(void)rd_unread(&s->rd, raw.len - used);
		if ((dot.flags & SMTPD_DOT_NOMEM) ||
		    sd_spool_write(s, dec.s, dec.len) == -1) {
			/* nothing is queued; the session ends with 421 */
			buf_free(&raw);
			buf_free(&dec);
			sd_txn_reset(s);
			return sd_nomem(s), 0;
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
	long start;

	while (*p >= '0' && *p <= '9') {
		if (n > 19)
			return sd_cerror(s, RP_BDAT_SYNTAX), 0;
		num[n++] = *p++;
		if (size > (~0ULL - 9) / 10)
			return sd_cerror(s, RP_BDAT_SYNTAX), 0;
		size = size * 10 + (unsigned)(p[-1] - '0');
	}
	num[n] = '\0';
	if (n == 0)
		return sd_cerror(s, RP_BDAT_SYNTAX), 0;
	if (*p == ' ') {
		while (*p == ' ')
			p++;
		if (ascii_casecmp(p, "LAST") != 0)
			return sd_cerror(s, RP_BDAT_SYNTAX), 0;
		last = 1;
	} else if (*p != '\0')
		return sd_cerror(s, RP_BDAT_SYNTAX), 0;

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
	} else if (!s->bdat && sd_spool_open(s) == -1) {
		warn_sys("%s unable to open a spool file in %s", s->sid,
		    s->spooldir);
		bad = sd_temp_reply(errno);
		count_err = 0;
	} else if (s->conf->maxsize > 0 &&
	    (size > s->conf->maxsize ||
	    s->msgsize + size > s->conf->maxsize)) {
		bad = RP_TOO_BIG;
		count_err = 0;
	}
	if (bad == RP_NREPLIES)
		s->bdat = 1;
	start = now_ms();
	for (left = size; left > 0; ) {
		data_deadline(s, start, size - left);
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
			return sd_timed_out(s);
		}
		left -= chunk.len;
		if (bad == RP_NREPLIES &&
		    sd_spool_write(s, chunk.s, chunk.len) == -1) {
			/* the chunk is read to its end, then 421 */
			sd_nomem(s);
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
			sd_log_result(s, 0, "smtp-recv", sd_replies[bad]);
		}
		sd_txn_reset(s);
		if (count_err)
			sd_cerror(s, bad);
		else
			sd_reply(s, bad);
		return 0;
	}
	if (last) {
		finish_message(s, 0);
		return 0;
	}
	sd_reply(s, RP_CHUNK_OK, num);
	return 0;
}

static int
cmd_rset(struct smtpd *s, char *arg)
{
	if (*arg != '\0')
		return sd_cerror(s, RP_NO_ARG), 0;
	sd_txn_reset(s);
	sd_reply(s, RP_RESET);
	return 0;
}

static int
cmd_noop(struct smtpd *s, char *arg)
{
	(void)arg;	/* RFC 5321 4.1.1.9: an argument is ignored */
	sd_reply(s, RP_OK);
	return 0;
}

static int
cmd_quit(struct smtpd *s, char *arg)
{
	if (*arg != '\0')
		return sd_cerror(s, RP_NO_ARG), 0;
	sd_reply(s, RP_BYE, s->conf->hostname);
	(void)sd_flush(s);
	log_info("%s end reason=quit msgs=%u", s->sid, s->nmsg);
	s->exitcode = EXIT_DONE;
	return 1;
}

static int
cmd_vrfy(struct smtpd *s, char *arg)
{
	if (*arg == '\0')
		return sd_cerror(s, RP_NEED_ARG), 0;
	sd_reply(s, RP_VRFY);
	return 0;
}

static int
cmd_expn(struct smtpd *s, char *arg)
{
	(void)arg;
	sd_reply(s, RP_NOT_IMPL);
	return 0;
}

static int
cmd_help(struct smtpd *s, char *arg)
{
	(void)arg;
	sd_reply(s, RP_HELP);
	return 0;
}

static int
cmd_starttls(struct smtpd *s, char *arg)
{
	struct tls *t;
	size_t junk;

	if (s->tls != NULL)
		return sd_cerror(s, RP_TLS_ALREADY), 0;
	if (*arg != '\0')
		return sd_cerror(s, RP_NO_ARG), 0;
	if (!s->tls_ok)
		return sd_reply(s, RP_TLS_NA), 0;
	/* OpenSSL is initialised here, not before (DESIGN.md 10) */
	if ((t = tls_server_new(s->conf->tls_cert,
	    s->conf->tls_key)) == NULL) {
		log_warn("%s unable to set up TLS: %s", s->sid,
		    tls_error(NULL));
		return sd_reply(s, RP_TLS_NA), 0;
	}
	sd_reply(s, RP_TLS_GO);
	if (sd_flush(s) == -1) {
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
	sd_set_timeout(s, s->conf->timeout_ms);
	tls_set_timeout(t, sd_wait_left(s));
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
	sd_txn_reset(s);
	buf_reset(&s->helo);
	s->esmtp = 0;
	return 0;
}

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
int
sd_command(struct smtpd *s)
{
	const struct cmd *c;
	char *l = s->line.s, *arg, *e;
	size_t n = s->line.len, i;

	/* RFC 5321 2.3.8: CRLF, and no CR or LF elsewhere */
	if (n < 2 || l[n - 2] != '\r') {
		sd_cerror(s, RP_BARE_LF_CMD);
		return 0;
	}
	n -= 2;
	l[n] = '\0';
	for (i = 0; i < n; i++)
		if (l[i] == '\0' || l[i] == '\r' || l[i] == '\n' ||
		    (l[i] > 0 && l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f) {
			sd_cerror(s, RP_SYNTAX);
			return 0;
		}
	for (e = l; *e != '\0' && *e != ' '; e++)
		;
	if ((c = find_cmd(l, (size_t)(e - l))) == NULL) {
		sd_cerror(s, RP_UNKNOWN_CMD);
		return 0;
	}
	for (arg = e; *arg == ' '; arg++)
		;
	/* trailing blanks are dropped (seen from some clients) */
	for (e = l + n; e > arg && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	/* the other commands of a transaction are bounded too */
	if (s->in_mail && c->fn != cmd_rcpt && c->fn != cmd_bdat &&
	    ++s->txn_other > SMTPD_TXN_OTHER_MAX) {
		sd_reply(s, RP_TOO_MANY_CMDS, s->conf->hostname);
		log_info("%s end reason=too-many-commands msgs=%u", s->sid,
		    s->nmsg);
		s->exitcode = EXIT_PERM;
		return 1;
	}
	return c->fn(s, arg);
}
