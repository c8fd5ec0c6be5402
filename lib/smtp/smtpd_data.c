/*
 * smtpd_data: the spool of a message being received, our Received field,
 * the filter chain and the injection into the queue.
 */
#define _GNU_SOURCE	/* O_TMPFILE, where the system has it */

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/pipeline.h"
#include "base/stage.h"
#include "net/tls.h"
#include "queue/queue.h"
#include "queue/qwriter.h"
#include "smtp/smtpd_int.h"

extern char **environ;

static int	received(struct smtpd *, struct buf *);
static int	ip_ok(const char *);

/* ---- spool and delivery ------------------------------------------- */

const char *
sd_pick_spooldir(void)
{
	/* the queue's spool/ (where the smtp user may write, queue(8)),
	 * or its tmp/ for a queue of our own: the spool file is on the
	 * queue's file system, so a full disk there is seen at DATA */
	static const char *const sub[] = { "spool", "tmp" };
	static struct buf q = BUF_INIT;
	const char *e = getenv("POSTERN_QUEUE");
	size_t i;

	for (i = 0; i < 2; i++) {
		buf_reset(&q);
		if (buf_printf(&q, "%s/%s", e != NULL && *e != '\0' ? e :
		    QUEUE_DEFAULT_DIR, sub[i]) == 0 &&
		    access(q.s, W_OK | X_OK) == 0)
			return q.s;
	}
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

int
sd_spool_open(struct smtpd *s)
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
int
sd_spool_write(struct smtpd *s, const char *p, size_t n)
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
		(void)sd_spool_flush(s);
	return 0;
}

int
sd_spool_flush(struct smtpd *s)
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
void
sd_log_result(struct smtpd *s, int ok, const char *stage, const char *text)
{
	const char *from = s->from.s ? s->from.s : "";
	const char *tls = s->tls ? tls_version(s->tls) : "none";

	if (ok)
		/* id: the one in our Received field; qid: the queue's */
		log_info("%s accepted msg=%u qid=%s id=%s.%u from=<%s> "
		    "rcpts=%zu size=%llu tls=%s", s->sid, s->nmsg, text,
		    s->sid, s->nmsg, from, s->nrcpt, s->msgsize, tls);
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
				(void)buf_set(rep, sd_replies[RP_FILTER_PERM],
				    strlen(sd_replies[RP_FILTER_PERM]));
		} else if (st[i].code != EXIT_TEMP ||
		    !smtpd_filter_reply(st[i].lastline.s,
		    st[i].lastline.len, '4', rep))
			(void)buf_set(rep, sd_replies[RP_TEMP],
			    strlen(sd_replies[RP_TEMP]));
		if (st[i].code != EXIT_PERM && st[i].code != EXIT_TEMP)
			log_warn("%s stage-failed stage=%s code=%d", s->sid,
			    *who, st[i].code);
		return 1;
	}
	return 0;
}

/*
 * The reply for a temporary failure to store the message: a full file
 * system or quota (the spool file, the queue) is 452 4.3.1 (RFC 5321
 * 4.2.2, RFC 3463 X.3.1), as queue_inject_run answers it; anything else
 * 451 4.3.0.
 */
enum reply_id
sd_temp_reply(int err)
{
	return queue_storage_full(err) ? RP_NO_STORAGE : RP_TEMP;
}

/*
 * queue_submit() on fd (queue-writer when the queue has one, else
 * queue_inject_run() here): 0 with the queue id in qid, or -1 with the
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
	code = queue_submit(argc, argv, fd, s->sbuf.s, s->sbuf.len,
	    s->conf->data_timeout_ms, qid, &r);
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
		(void)buf_set(rep, sd_replies[RP_TEMP], strlen(sd_replies[RP_TEMP]));
		if (code != EXIT_TEMP)
			log_warn("%s stage-failed stage=queue-inject code=%d",
			    s->sid, code);
	}
	buf_free(&r);
	return -1;
}

/* postern's own stages, run in-process (smtpd_set_builtins) */
static const struct stage_builtin *builtins;

void
smtpd_set_builtins(const struct stage_builtin *t)
{
	builtins = t;
}

/* A builtin stage on in, to out, in this process, its result in *st as
 * pipeline_run gives a program's; its lines go to our log. */
static void
run_builtin(const struct stage_builtin *b, struct pipeline_stage *st,
    char **envp, int in, int out)
{
	struct stage_io io;
	const char *l;
	size_t n, argc;

	memset(&io, 0, sizeof(io));
	io.name = b->name;
	io.envp = envp;
	io.in = in;
	io.out = out;
	for (argc = 0; st->argv[argc] != NULL; argc++)
		;
	st->code = b->run((int)argc, st->argv, &io);
	st->sig = 0;
	st->spawn_errno = 0;
	if (io.err.len > 0)
		(void)write_all(2, io.err.s, io.err.len);
	stage_lastline(&io, &l, &n);
	if (buf_set(&st->lastline, l, n) == -1)
		buf_reset(&st->lastline);
	buf_free(&io.err);
}

/*
 * The filter chain on the spool file: a run of programs as one pipeline,
 * a builtin in this process (same code, same environment, same bytes out
 * as its program: DESIGN.md section 4), each part's output in a new
 * unnamed spool file, the next part's input.  Returns 0 with *out_r the
 * last output (ours to close), 1 when a stage refused or failed (rep and
 * who set), -1 on a system failure (*err_r the errno, logged).
 */
static int
run_chain(struct smtpd *s, struct pipeline_stage *st, size_t nf,
    char **envp, int *out_r, struct buf *rep, const char **who, int *err_r)
{
	const struct stage_builtin *b;
	size_t i = 0, j;
	int in = s->spool, out;

	while (i < nf) {
		if ((out = tmpfile_open(s)) == -1) {
			*err_r = errno;
			warn_sys("%s unable to open a spool file in %s",
			    s->sid, s->spooldir);
			goto fail;
		}
		if ((b = stage_find(builtins, st[i].argv[0])) != NULL) {
			run_builtin(b, &st[i], envp, in, out);
			j = i + 1;
		} else {
			for (j = i + 1; j < nf &&
			    stage_find(builtins, st[j].argv[0]) == NULL; j++)
				;
			if (pipeline_run(st + i, j - i, envp, in, out, NULL, 0,
			    s->conf->data_timeout_ms) == -1) {
				*err_r = errno;
				warn_sys("%s filter chain", s->sid);
				close(out);
				goto fail;
			}
		}
		if (stage_reply(s, st + i, j - i, rep, who)) {
			close(out);
			if (in != s->spool)
				close(in);
			return 1;
		}
		if (lseek(out, 0, SEEK_SET) == -1) {
			*err_r = errno;
			close(out);
			goto fail;
		}
		if (in != s->spool)
			close(in);
		in = out;
		i = j;
	}
	*out_r = in;
	return 0;
fail:
	if (in != s->spool)
		close(in);
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
int
sd_deliver(struct smtpd *s, struct buf *rep)
{
	const struct smtpd_conf *c = s->conf;
	struct pipeline_stage st[PIPELINE_MAX], inj;
	struct buf envs = BUF_INIT, args = BUF_INIT, qid = BUF_INIT;
	char **envp = NULL, **argv = NULL;
	const char *who = NULL;
	int in = s->spool, out2 = -1, ret = -1, err = 0;
	size_t i, nf = c->nfilters;

	memset(st, 0, sizeof(st));
	memset(&inj, 0, sizeof(inj));
	if ((envp = make_env(s, &envs)) == NULL ||
	    (argv = make_inject_argv(s, &args)) == NULL) {
		sd_nomem(s);
		goto temp;
	}
	/* a message still in memory goes from there (fd -1) to the queue */
	if (s->spool >= 0 && (sd_spool_flush(s) == -1 ||
	    lseek(s->spool, 0, SEEK_SET) == -1)) {
		err = errno;
		warn_sys("%s unable to write the spool file", s->sid);
		goto temp;
	}
	if (s->spool == -1 && need_file(s)) {
		err = s->spool_err;
		goto temp;
	}
	if (nf > 0) {
		for (i = 0; i < nf; i++)
			st[i].argv = c->filters[i];
		switch (run_chain(s, st, nf, envp, &out2, rep, &who, &err)) {
		case -1:
			goto temp;
		case 1:
			goto done;
		}
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
	if ((qid.len > 0 ? sd_reply_text(rep, RP_QUEUED, qid.s) :
	    sd_reply_text(rep, RP_QUEUED_NOID)) == -1)
		sd_nomem(s);	/* queued, but the 250 is lost: a duplicate */
	sd_log_result(s, 1, NULL, qid.len > 0 ? qid.s : "-");
	ret = 0;
	goto out;
temp:
	(void)buf_set(rep, sd_replies[sd_temp_reply(err)],
	    strlen(sd_replies[sd_temp_reply(err)]));
	who = "smtp-recv";
done:
	sd_log_result(s, 0, who != NULL ? who : "-", rep->s);
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
