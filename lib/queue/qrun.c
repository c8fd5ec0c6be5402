#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/control.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/rd.h"
#include "queue/dsn.h"
#include "queue/qrun.h"
#include "queue/queue.h"
#include "queue/route.h"
#include "store/maildir.h"

volatile sig_atomic_t qrun_stop;

/* The per-message work */
struct work {
	struct queue		*q;
	const struct qrun_conf	*c;
	struct queue_msg	 m;
	time_t			 now, start, expire;
	int			 changed;	/* state to save */
	int			 dsn_pending;	/* a DSN could not be sent */
};

static int	route_rcpt(struct work *, size_t);
static void	defer(struct work *, unsigned *, time_t *, time_t *, char **,
		    int *, const char *);
static int	deliver(struct work *, struct queue_target *);
static int	send_dsns(struct work *);
static int	finished(const struct work *);
static time_t	next_due(const struct work *);
static int	duplicate(const struct work *, const struct route_target *);

int
qrun_conf_load(struct qrun_conf *c, const char **bad)
{
	unsigned long v;
	const char *e;
	int r;

	memset(c, 0, sizeof(*c));
	c->lifetime = QUEUE_DEFAULT_LIFETIME;
	c->concurrency = QRUN_CONCURRENCY;
	*bad = NULL;
	if (control_me(&c->me) == -1) {
		*bad = "me";
		return -1;
	}
	if ((r = control_ulong("queue-lifetime", &v, 0, 3650UL * 86400)) ==
	    -1) {
		*bad = "queue-lifetime";
		return -1;
	}
	if (r == 1)
		c->lifetime = (long)v;
	if ((r = control_ulong("queue-concurrency", &v, 1,
	    QRUN_CONCURRENCY_MAX)) == -1) {
		*bad = "queue-concurrency";
		return -1;
	}
	if (r == 1)
		c->concurrency = (unsigned)v;
	if ((r = control_ulong("maildir-maxsize", &v, 0, ULONG_MAX)) == -1) {
		*bad = "maildir-maxsize";
		return -1;
	}
	if (r == 1)
		c->maildir_max = (size_t)v;
	e = getenv("POSTERN_MAILROOT");
	if (buf_puts(&c->mailroot, e != NULL && *e != '\0' ? e :
	    "/var/mail/postern") == -1)
		return -1;
	return 0;
}

void
qrun_conf_free(struct qrun_conf *c)
{
	buf_free(&c->me);
	buf_free(&c->mailroot);
}

/*
 * Routing and delivery of one message
 */

/*
 * A temporary failure: one more attempt, the next after the back-off
 * (never past the lifetime, so the last attempt is made at its end), or
 * failed when the lifetime is over.  error is "X.Y.Z text".
 */
static void
defer(struct work *w, unsigned *attempts, time_t *last, time_t *next,
    char **err, int *failed, const char *error)
{
	struct buf e = BUF_INIT;

	(*attempts)++;
	*last = w->now;
	*failed = 0;
	if (w->now >= w->expire) {
		/* RFC 3463 X.4.7: delivery time expired; keep the last 4.x.x */
		if (error[0] == '4' && error[1] == '.')
			(void)buf_printf(&e, "%s; gave up after %u attempts",
			    error, *attempts);
		else
			(void)buf_printf(&e, "4.4.7 %s; gave up after %u "
			    "attempts", error, *attempts);
		*failed = 1;
		*next = 0;
	} else {
		*next = w->now + queue_backoff(*attempts);
		if (*next > w->expire)
			*next = w->expire;
	}
	if (queue_set_error(err, e.s != NULL ? e.s : error) == -1)
		(void)queue_set_error(err, NULL);
	buf_free(&e);
	w->changed = 1;
}

/*
 * Is this target one the message has already (through another of its
 * recipients)?  One copy per mailbox: the same account and address, or
 * the same remote address.
 */
static int
duplicate(const struct work *w, const struct route_target *rt)
{
	const struct queue_rstate_rec *r;
	const struct queue_target *t;
	size_t i, j;

	for (i = 0; i < w->m.st.n; i++) {
		r = &w->m.st.r[i];
		for (j = 0; j < r->nt; j++) {
			t = &r->t[j];
			if (t->remote != (rt->kind == ROUTE_REMOTE) ||
			    ascii_casecmp(t->address, rt->address) != 0)
				continue;
			if (t->remote || (t->account != NULL &&
			    rt->account != NULL &&
			    strcmp(t->account, rt->account) == 0))
				return 1;
		}
	}
	return 0;
}

/* Route recipient i: targets, failed, or deferred. */
static int
route_rcpt(struct work *w, size_t i)
{
	struct queue_rstate_rec *r = &w->m.st.r[i];
	const char *addr = w->m.env.rcpt[i].addr;
	struct route_list l = { NULL, 0, 0 };
	struct buf e = BUF_INIT;
	size_t j;
	int k, failed, save;

	errno = 0;
	k = route_expand(addr, &l);
	if (k == ROUTE_LOCAL || k == ROUTE_REMOTE) {
		for (j = 0; j < l.n; j++) {
			if (duplicate(w, &l.v[j])) {
				log_info("%s duplicate dropped to=<%s> "
				    "rcpt=<%s>", w->m.id, l.v[j].address, addr);
				continue;
			}
			if (queue_state_add_target(r, l.v[j].kind ==
			    ROUTE_REMOTE, l.v[j].address,
			    l.v[j].account) == -1)
				goto sysfail;
		}
		r->state = QR_ROUTED;
		r->next = 0;
		if (queue_set_error(&r->error, NULL) == -1)
			goto sysfail;
		for (j = 0; j < r->nt; j++)
			if (r->t[j].remote)
				log_info("%s held remote=<%s> rcpt=<%s>",
				    w->m.id, r->t[j].address, addr);
	} else if (k == ROUTE_UNKNOWN) {
		/* RFC 3463 5.1.1: bad destination mailbox address */
		r->state = QR_FAILED;
		r->last = w->now;
		if (queue_set_error(&r->error, "5.1.1 no such user here") ==
		    -1)
			goto sysfail;
		log_info("%s failed rcpt=<%s> error=5.1.1 no such user here",
		    w->m.id, addr);
	} else if (errno == ELOOP || errno == E2BIG) {
		r->state = QR_FAILED;
		r->last = w->now;
		/* RFC 3463 5.4.6 routing loop; 5.2.4 list expansion problem */
		if (queue_set_error(&r->error, errno == ELOOP ?
		    "5.4.6 alias loop" : "5.2.4 alias expands to too many "
		    "recipients") == -1)
			goto sysfail;
		log_info("%s failed rcpt=<%s> error=%s", w->m.id, addr,
		    r->error);
	} else {
		save = errno;
		if (buf_printf(&e, "4.3.0 routing tables unreadable: %s",
		    strerror(save)) == -1)
			goto sysfail;
		defer(w, &r->attempts, &r->last, &r->next, &r->error, &failed,
		    e.s);
		r->state = failed ? QR_FAILED : QR_DEFERRED;
		log_warn("%s %s rcpt=<%s> error=%s", w->m.id,
		    failed ? "failed" : "deferred", addr, r->error);
	}
	w->changed = 1;
	route_list_free(&l);
	buf_free(&e);
	return 0;
sysfail:
	save = errno;
	route_list_free(&l);
	buf_free(&e);
	errno = save;
	return -1;
}

/* Deliver to a local target: done, deferred or failed. */
static int
deliver(struct work *w, struct queue_target *t)
{
	struct maildir_delivery md;
	struct buf path = BUF_INIT, name = BUF_INIT, e = BUF_INIT;
	struct stat st;
	const char *err = NULL;
	int r, save, failed, perm = 0;

	t->last = w->now;
	if (!route_account_ok(t->account)) {
		err = "4.3.5 bad account name in the recipients table";
		goto temp;
	}
	if (stat(w->c->mailroot.s, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warn("%s mail root %s: %s", w->m.id, w->c->mailroot.s,
		    strerror(errno ? errno : ENOTDIR));
		err = "4.3.0 mail system unavailable";
		goto temp;
	}
	if (buf_printf(&path, "%s/%s/Maildir", w->c->mailroot.s, t->account) ==
	    -1)
		goto sysfail;
	md.return_path = w->m.env.sender;	/* RFC 5321 4.4 */
	md.delivered_to = t->address;		/* RFC 9228 */
	md.maxsize = w->c->maildir_max;
	if (queue_msg_rewind(&w->m) == -1)
		goto sysfail;
	r = maildir_deliver(path.s, w->m.fd, &md, &name);
	if (r == -1 && errno == ENOENT) {
		/* the account's first message: make its Maildir */
		if (maildir_make(path.s) == 0) {
			log_info("%s made maildir=%s", w->m.id, path.s);
			if (queue_msg_rewind(&w->m) == -1)
				goto sysfail;
			r = maildir_deliver(path.s, w->m.fd, &md, &name);
		}
	}
	if (r == 0) {
		t->state = QT_DONE;
		(void)queue_set_error(&t->error, NULL);
		w->changed = 1;
		log_info("%s delivered to=<%s> account=%s file=%s", w->m.id,
		    t->address, t->account, name.s ? name.s : "");
		goto out;
	}
	save = errno;
	switch (save) {
	case EFBIG:	/* RFC 3463 X.2.3: too big for the mailbox */
		err = "5.2.3 message too big for the mailbox";
		perm = 1;
		break;
	case EINVAL:
		err = "5.6.0 message cannot be stored";
		perm = 1;
		break;
	case EDQUOT:	/* X.2.2: mailbox full */
		err = "4.2.2 mailbox full";
		break;
	case ENOSPC:	/* X.3.1: mail system full */
		err = "4.3.1 mail system full";
		break;
	case ENOENT:
	case ENOTDIR:
		err = "4.2.0 mailbox unavailable";
		break;
	default:
		if (buf_printf(&e, "4.3.0 delivery failed: %s",
		    strerror(save)) == -1)
			goto sysfail;
		err = e.s;
	}
	log_warn("%s delivery to=<%s> account=%s maildir=%s: %s", w->m.id,
	    t->address, t->account, path.s, strerror(save));
	if (perm) {
		t->state = QT_FAILED;
		if (queue_set_error(&t->error, err) == -1)
			goto sysfail;
		w->changed = 1;
		log_info("%s failed to=<%s> error=%s", w->m.id, t->address,
		    err);
		goto out;
	}
temp:
	defer(w, &t->attempts, &t->last, &t->next, &t->error, &failed, err);
	t->state = failed ? QT_FAILED : QT_DEFERRED;
	log_info("%s %s to=<%s> attempts=%u error=%s", w->m.id,
	    failed ? "failed" : "deferred", t->address, t->attempts,
	    t->error ? t->error : err);
out:
	buf_free(&path);
	buf_free(&name);
	buf_free(&e);
	return 0;
sysfail:
	save = errno;
	buf_free(&path);
	buf_free(&name);
	buf_free(&e);
	errno = save;
	return -1;
}

/* Everything final (done or failed, DSNs issued): the message can go. */
static int
finished(const struct work *w)
{
	const struct queue_rstate_rec *r;
	size_t i, j;

	if (w->dsn_pending)
		return 0;
	for (i = 0; i < w->m.st.n; i++) {
		r = &w->m.st.r[i];
		if (r->state == QR_FAILED)
			continue;
		if (r->state != QR_ROUTED)
			return 0;
		for (j = 0; j < r->nt; j++)
			if (r->t[j].state != QT_DONE &&
			    r->t[j].state != QT_FAILED)
				return 0;
	}
	return 1;
}

/* When to look again: the earliest retry; QRUN_NEVER for remote only. */
static time_t
next_due(const struct work *w)
{
	const struct queue_rstate_rec *r;
	time_t n = QRUN_NEVER, t;
	size_t i, j;

#define EARLIER(x) do { t = (x); if (n == QRUN_NEVER || t < n) n = t; } \
	while (0)
	for (i = 0; i < w->m.st.n; i++) {
		r = &w->m.st.r[i];
		if (r->state == QR_PENDING)
			EARLIER(w->now);
		else if (r->state == QR_DEFERRED)
			EARLIER(r->next);
		for (j = 0; r->state == QR_ROUTED && j < r->nt; j++) {
			if (r->t[j].state == QT_PENDING)
				EARLIER(w->now);
			else if (r->t[j].state == QT_DEFERRED)
				EARLIER(r->t[j].next);
		}
	}
	if (w->dsn_pending)
		EARLIER(w->now + 900);
#undef EARLIER
	return n;
}

/* The status code at the start of an error text, in s (static). */
static const char *
status_of(const char *error, char *s, size_t n, const char *dflt)
{
	size_t i;

	for (i = 0; error != NULL && error[i] != '\0' && error[i] != ' ' &&
	    i + 1 < n; i++)
		s[i] = error[i];
	s[i] = '\0';
	return i > 0 ? s : dflt;
}

struct report {
	struct dsn_rcpt	 d;
	unsigned	*flags;		/* set flag on success */
	unsigned	 flag;
	char		 status[16];
	struct buf	 diag;
};

static int
inject_out(void *ctx, const void *p, size_t n)
{
	return queue_inject_write(ctx, p, n);
}

/* Add a report of recipient i; diag from the error text. */
static int
add_report(struct report **v, size_t *n, struct work *w, size_t i,
    enum dsn_action a, const char *error, const char *target,
    time_t last, unsigned *flags, unsigned flag)
{
	struct report *rp, *nv;
	const char *text;

	if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL)
		return -1;
	*v = nv;
	rp = &nv[*n];
	memset(rp, 0, sizeof(*rp));
	(*n)++;
	rp->flags = flags;
	rp->flag = flag;
	rp->d.rcpt = w->m.env.rcpt[i].addr;
	rp->d.orcpt = w->m.env.rcpt[i].orcpt;
	rp->d.action = a;
	rp->d.status = status_of(error, rp->status, sizeof(rp->status),
	    a == DSN_FAILED ? "5.0.0" : a == DSN_DELAYED ? "4.0.0" : "2.0.0");
	rp->d.last_attempt = last;
	if (a == DSN_DELAYED)
		rp->d.retry_until = w->expire;
	text = error != NULL && strchr(error, ' ') ? strchr(error, ' ') + 1 :
	    NULL;
	/* a success needs no diagnostic */
	if (a == DSN_DELIVERED || a == DSN_EXPANDED)
		text = NULL;
	if (text != NULL) {
		if (target != NULL && ascii_casecmp(target, rp->d.rcpt) != 0) {
			if (buf_printf(&rp->diag, "<%s>: %s", target, text) ==
			    -1)
				return -1;
		} else if (buf_puts(&rp->diag, text) == -1)
			return -1;
		rp->d.diag = rp->diag.s;
	}
	return 0;
}

/*
 * RFC 3461: the DSNs now due, in one message: failures (NOTIFY absent or
 * with FAILURE), successes (NOTIFY=SUCCESS: "delivered" for one local
 * target, "expanded" for an alias of several, RFC 3461 6.2.7.3), delays
 * (NOTIFY=DELAY, once, after QRUN_DELAY_NOTICE).  Never to <>.
 */
static int
send_dsns(struct work *w)
{
	struct report *v = NULL;
	struct dsn_rcpt *dr = NULL;
	struct queue_rstate_rec *r;
	struct queue_target *t;
	struct queue_env de;
	struct queue_inject inj;
	struct buf id = BUF_INIT;
	struct dsn d;
	size_t n = 0, i, j;
	unsigned notify;
	int fail, succ, delay, deferred, ret = -1, save;

	for (i = 0; i < w->m.st.n; i++) {
		r = &w->m.st.r[i];
		notify = w->m.env.rcpt[i].notify;
		/* RFC 3461 4.1: without NOTIFY, failures are reported */
		fail = notify == 0 || (notify & PARAM_NOTIFY_FAILURE);
		succ = (notify & PARAM_NOTIFY_SUCCESS) != 0;
		delay = (notify & PARAM_NOTIFY_DELAY) != 0;
		if (r->state == QR_FAILED && !(r->dsn & QDSN_FAILED)) {
			if (!fail) {
				r->dsn |= QDSN_FAILED;
				w->changed = 1;
			} else if (add_report(&v, &n, w, i, DSN_FAILED,
			    r->error, NULL, r->last, &r->dsn,
			    QDSN_FAILED) == -1)
				goto out;
		}
		deferred = r->state == QR_DEFERRED;
		for (j = 0; r->state == QR_ROUTED && j < r->nt; j++) {
			t = &r->t[j];
			if (t->state == QT_DEFERRED)
				deferred = 1;
			if (t->state != QT_FAILED || (t->dsn & QDSN_FAILED))
				continue;
			if (!fail) {
				t->dsn |= QDSN_FAILED;
				w->changed = 1;
			} else if (add_report(&v, &n, w, i, DSN_FAILED,
			    t->error, t->address, t->last, &t->dsn,
			    QDSN_FAILED) == -1)
				goto out;
		}
		if (succ && r->state == QR_ROUTED && !(r->dsn & QDSN_SUCCESS)) {
			if (r->nt > 1) {
				if (add_report(&v, &n, w, i, DSN_EXPANDED,
				    "2.0.0", NULL, w->now, &r->dsn,
				    QDSN_SUCCESS) == -1)
					goto out;
			} else if (r->nt == 1 && !r->t[0].remote &&
			    r->t[0].state == QT_DONE) {
				if (add_report(&v, &n, w, i, DSN_DELIVERED,
				    "2.0.0", r->t[0].address, r->t[0].last,
				    &r->dsn, QDSN_SUCCESS) == -1)
					goto out;
			}
		}
		if (delay && deferred && !(r->dsn & QDSN_DELAY) &&
		    w->now - w->start >= QRUN_DELAY_NOTICE) {
			const char *e = r->error;
			time_t last = r->last;

			for (j = 0; r->state == QR_ROUTED && j < r->nt; j++)
				if (r->t[j].state == QT_DEFERRED) {
					e = r->t[j].error;
					last = r->t[j].last;
					break;
				}
			if (add_report(&v, &n, w, i, DSN_DELAYED, e, NULL, last,
			    &r->dsn, QDSN_DELAY) == -1)
				goto out;
		}
	}
	if (n == 0) {
		ret = 0;
		goto out;
	}
	if (w->m.env.sender[0] == '\0') {
		/* RFC 3461 6.2, RFC 5321 6.1: never a DSN to <> */
		for (i = 0; i < n; i++) {
			if (v[i].d.action == DSN_FAILED)
				log_info("%s double bounce dropped rcpt=<%s> "
				    "error=%s %s", w->m.id, v[i].d.rcpt,
				    v[i].d.status, v[i].d.diag ? v[i].d.diag :
				    "");
			*v[i].flags |= v[i].flag;
		}
		w->changed = 1;
		ret = 0;
		goto out;
	}
	if ((dr = calloc(n, sizeof(*dr))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		dr[i] = v[i].d;
	memset(&d, 0, sizeof(d));
	d.mta = w->c->me.s;
	d.qid = w->m.id;
	d.sender = w->m.env.sender;
	d.envid = w->m.env.envid;
	d.arrival = w->m.env.time;
	d.date = w->now;
	d.utf8 = w->m.env.smtputf8;
	d.ret = w->m.env.ret;
	d.body = w->m.env.body;
	d.rcpt = dr;
	d.nrcpt = n;
	queue_env_init(&de);
	dsn_params(&d, &de.smtputf8, &de.body);
	if (queue_env_sender(&de, "") == -1 ||
	    queue_env_rcpt(&de, w->m.env.sender) == -1) {
		queue_env_free(&de);
		goto out;
	}
	if (queue_msg_rewind(&w->m) == -1 ||
	    queue_inject_begin(w->q, &de, 0, &inj) == -1) {
		queue_env_free(&de);
		goto out;
	}
	queue_env_free(&de);
	if (dsn_write(&d, w->m.fd, w->m.size, inject_out, &inj) == -1) {
		queue_inject_abort(&inj);
		goto out;
	}
	if (queue_inject_commit(&inj, &id) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		log_info("%s dsn=%s to=<%s> rcpt=<%s> action=%s status=%s",
		    w->m.id, id.s ? id.s : "", w->m.env.sender, v[i].d.rcpt,
		    v[i].d.action == DSN_FAILED ? "failed" :
		    v[i].d.action == DSN_DELAYED ? "delayed" :
		    v[i].d.action == DSN_EXPANDED ? "expanded" : "delivered",
		    v[i].d.status);
		*v[i].flags |= v[i].flag;
	}
	w->changed = 1;
	ret = 0;
out:
	save = errno;
	if (ret == -1) {
		w->dsn_pending = 1;
		log_warn("%s unable to queue a DSN: %s", w->m.id,
		    strerror(save));
	}
	for (i = 0; i < n; i++)
		buf_free(&v[i].diag);
	free(v);
	free(dr);
	buf_free(&id);
	errno = save;
	return ret;
}

int
qrun_message(struct queue *q, const struct qrun_conf *c, const char *id,
    time_t now, time_t *next_r)
{
	struct work w;
	struct queue_rstate_rec *r;
	struct queue_target *t;
	size_t i, j, delivered = 0;
	int o, save;

	memset(&w, 0, sizeof(w));
	w.q = q;
	w.c = c;
	w.now = now;
	*next_r = now + 900;
	o = queue_msg_open(q, id, QOPEN_LOCK, &w.m);
	if (o == 0) {
		/* gone: delivered or dropped; a leftover state goes too */
		(void)unlinkat(q->envfd, id, 0);
		*next_r = 0;
		return 0;
	}
	if (o == -1) {
		save = errno;
		if (save == EWOULDBLOCK) {
			/* another process works on it */
			*next_r = now + QRUN_BUSY_RETRY;
			return 0;
		}
		if (save == EINVAL) {
			log_warn("%s damaged queue file; left for the "
			    "administrator (queue drop)", id);
			*next_r = now + 3600;
			return 0;
		}
		warn_sys("%s unable to open", id);
		errno = save;
		return -1;
	}
	/* RFC 4865: FUTURERELEASE holds the message until then */
	if (w.m.env.hold_until > now) {
		*next_r = w.m.env.hold_until;
		queue_msg_close(&w.m);
		return 0;
	}
	w.start = w.m.env.time;
	if (w.m.env.hold_until > w.start)
		w.start = w.m.env.hold_until;
	w.expire = w.start + c->lifetime;

	for (i = 0; i < w.m.st.n && !qrun_stop; i++) {
		r = &w.m.st.r[i];
		if (r->state == QR_PENDING ||
		    (r->state == QR_DEFERRED && r->next <= now)) {
			if (route_rcpt(&w, i) == -1)
				goto sysfail;
		}
		if (r->state != QR_ROUTED)
			continue;
		for (j = 0; j < r->nt && !qrun_stop; j++) {
			t = &r->t[j];
			if (t->remote || !(t->state == QT_PENDING ||
			    (t->state == QT_DEFERRED && t->next <= now)))
				continue;
			if (deliver(&w, t) == -1)
				goto sysfail;
			/* bound what a crash can deliver twice */
			if (++delivered % QRUN_SAVE_EVERY == 0 &&
			    queue_msg_save(q, &w.m) == -1)
				goto sysfail;
		}
	}
	if (!qrun_stop)
		(void)send_dsns(&w);
	if (!qrun_stop && finished(&w)) {
		if (queue_msg_remove(q, &w.m) == -1)
			goto sysfail;
		log_info("%s done", id);
		*next_r = 0;
		queue_msg_close(&w.m);
		return 0;
	}
	if (w.changed && queue_msg_save(q, &w.m) == -1)
		goto sysfail;
	*next_r = qrun_stop ? now : next_due(&w);
	queue_msg_close(&w.m);
	return 0;
sysfail:
	save = errno;
	warn_sys("%s unable to work on the message", id);
	/* keep what was delivered: fewer deliveries twice */
	if (w.changed)
		(void)queue_msg_save(q, &w.m);
	queue_msg_close(&w.m);
	*next_r = now + 300;
	errno = save;
	return -1;
}

/*
 * The administrator's operations
 */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
qrun_ids(struct queue *q, struct buf *ids, size_t *n_r)
{
	struct buf names = BUF_INIT;
	struct dirent *de;
	char **v = NULL, *p;
	size_t n = 0, i;
	DIR *d;
	int fd, save, r = -1;

	*n_r = 0;
	buf_reset(ids);
	if ((fd = dup(q->messfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!queue_id_ok(de->d_name))
			continue;
		if (buf_put(&names, de->d_name, strlen(de->d_name) + 1) == -1)
			goto out;
		n++;
		errno = 0;
	}
	if (errno != 0)
		goto out;
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		goto out;
	for (i = 0, p = names.s; i < n; i++, p += strlen(p) + 1)
		v[i] = p;
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		if (buf_put(ids, v[i], strlen(v[i]) + 1) == -1)
			goto out;
	*n_r = n;
	r = 0;
out:
	save = errno;
	closedir(d);
	free(v);
	buf_free(&names);
	errno = save;
	return r;
}

/* "2d3h", "5m", "40s" */
static int
put_age(struct buf *b, long s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		return buf_printf(b, "%ldd%ldh", s / 86400, s % 86400 / 3600);
	if (s >= 3600)
		return buf_printf(b, "%ldh%ldm", s / 3600, s % 3600 / 60);
	if (s >= 60)
		return buf_printf(b, "%ldm", s / 60);
	return buf_printf(b, "%lds", s);
}

static int
put_kv(struct buf *b, const char *key, const char *v)
{
	if (buf_printf(b, " %s=", key) == -1)
		return -1;
	return queue_escape(b, v, strlen(v));
}

static int
put_when(struct buf *b, time_t when, time_t now)
{
	if (buf_puts(b, " next=") == -1)
		return -1;
	if (when <= now)
		return buf_puts(b, "now");
	if (buf_puts(b, "in-") == -1)
		return -1;
	return put_age(b, (long)(when - now));
}

int
qrun_list(struct queue *q, const char *id, time_t now, struct buf *b)
{
	struct queue_msg m;
	struct queue_rstate_rec *r;
	struct queue_target *t;
	size_t i, j;
	int o, save;

	if ((o = queue_msg_open(q, id, 0, &m)) != 1)
		return o;
	if (buf_printf(b, "%s age=", id) == -1 ||
	    put_age(b, (long)(now - m.env.time)) == -1 ||
	    buf_printf(b, " size=%lld from=<", (long long)m.size) == -1 ||
	    queue_escape(b, m.env.sender, strlen(m.env.sender)) == -1 ||
	    buf_puts(b, ">") == -1)
		goto fail;
	if (m.env.hold_until > now && (buf_puts(b, " held-until") == -1 ||
	    put_when(b, m.env.hold_until, now) == -1))
		goto fail;
	if (buf_putc(b, '\n') == -1)
		goto fail;
	for (i = 0; i < m.st.n; i++) {
		r = &m.st.r[i];
		if (buf_puts(b, "\trcpt=<") == -1 ||
		    queue_escape(b, m.env.rcpt[i].addr,
		    strlen(m.env.rcpt[i].addr)) == -1 ||
		    buf_printf(b, "> state=%s", queue_rstate_name(r->state)) ==
		    -1)
			goto fail;
		if (r->state == QR_DEFERRED &&
		    (buf_printf(b, " attempts=%u", r->attempts) == -1 ||
		    put_when(b, r->next, now) == -1))
			goto fail;
		if (r->error != NULL && put_kv(b, "error", r->error) == -1)
			goto fail;
		if (buf_putc(b, '\n') == -1)
			goto fail;
		for (j = 0; j < r->nt; j++) {
			t = &r->t[j];
			if (buf_puts(b, "\t\tto=<") == -1 ||
			    queue_escape(b, t->address, strlen(t->address)) ==
			    -1 || buf_puts(b, ">") == -1 ||
			    (t->account && put_kv(b, "account", t->account) ==
			    -1) ||
			    buf_printf(b, " state=%s",
			    queue_tstate_name(t->state)) == -1)
				goto fail;
			if (t->state == QT_DEFERRED &&
			    (buf_printf(b, " attempts=%u", t->attempts) == -1 ||
			    put_when(b, t->next, now) == -1))
				goto fail;
			if (t->error != NULL && put_kv(b, "error", t->error) ==
			    -1)
				goto fail;
			if (buf_putc(b, '\n') == -1)
				goto fail;
		}
	}
	queue_msg_close(&m);
	return 1;
fail:
	save = errno;
	queue_msg_close(&m);
	errno = save;
	return -1;
}

int
qrun_kick(struct queue *q, const char *id, time_t now)
{
	struct queue_msg m;
	struct queue_rstate_rec *r;
	size_t i, j;
	int o, save, changed = 0;

	if ((o = queue_msg_open(q, id, QOPEN_LOCK, &m)) != 1)
		return o;
	for (i = 0; i < m.st.n; i++) {
		r = &m.st.r[i];
		if (r->state == QR_DEFERRED && r->next > now) {
			r->next = now;
			changed = 1;
		}
		for (j = 0; j < r->nt; j++)
			if (r->t[j].state == QT_DEFERRED &&
			    r->t[j].next > now) {
				r->t[j].next = now;
				changed = 1;
			}
	}
	if (changed && queue_msg_save(q, &m) == -1) {
		save = errno;
		queue_msg_close(&m);
		errno = save;
		return -1;
	}
	queue_msg_close(&m);
	return 1;
}

int
qrun_drop(struct queue *q, const char *id)
{
	struct queue_msg m;
	int o, save;

	/* the lock waits for a delivery under way to finish */
	if ((o = queue_msg_open(q, id, QOPEN_LOCK | QOPEN_WAIT, &m)) == -1 &&
	    errno == EINVAL && queue_id_ok(id)) {
		/* a damaged file can be dropped all the same */
		memset(&m, 0, sizeof(m));
		m.fd = -1;
		memcpy(m.id, id, strlen(id) + 1);
		o = 1;
	}
	if (o != 1)
		return o;
	if (queue_msg_remove(q, &m) == -1) {
		save = errno;
		queue_msg_close(&m);
		errno = save;
		return -1;
	}
	queue_msg_close(&m);
	(void)queue_trigger(q, id);
	return 1;
}

/*
 * The scheduler: a hash of known messages and a heap by next try.
 */

struct entry {
	char		 id[QUEUE_ID_MAX + 1];
	time_t		 next;
	int		 busy, again;
	size_t		 hpos;		/* in the heap, or NOPOS */
	struct entry	*hnext;
};

#define NOPOS	((size_t)-1)

struct sched {
	struct entry	**heap;
	size_t		 nheap, capheap;
	struct entry	**bucket;
	size_t		 nbucket, n;
};

struct worker {
	pid_t		 pid;
	int		 job, res;	/* pipes: jobs to it, results back */
	struct entry	*cur;
	char		 rbuf[256];
	size_t		 rlen;
};

static int		sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_chld, got_hup;

static size_t
hash(const char *s, size_t n)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % n;
}

static struct entry *
sched_find(struct sched *s, const char *id)
{
	struct entry *e;

	if (s->nbucket == 0)
		return NULL;
	for (e = s->bucket[hash(id, s->nbucket)]; e != NULL; e = e->hnext)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

static int
sched_grow(struct sched *s)
{
	struct entry **nb, *e, *nx;
	size_t nn, i, h;

	nn = s->nbucket ? s->nbucket * 2 : 1024;
	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < s->nbucket; i++)
		for (e = s->bucket[i]; e != NULL; e = nx) {
			nx = e->hnext;
			h = hash(e->id, nn);
			e->hnext = nb[h];
			nb[h] = e;
		}
	free(s->bucket);
	s->bucket = nb;
	s->nbucket = nn;
	return 0;
}

static int
heap_less(struct sched *s, size_t a, size_t b)
{
	return s->heap[a]->next < s->heap[b]->next;
}

static void
heap_swap(struct sched *s, size_t a, size_t b)
{
	struct entry *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->hpos = a;
	s->heap[b]->hpos = b;
}

static void
heap_fix(struct sched *s, size_t i)
{
	size_t l, c;

	while (i > 0 && heap_less(s, i, (i - 1) / 2)) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		l = 2 * i + 1;
		if (l >= s->nheap)
			break;
		c = l + 1 < s->nheap && heap_less(s, l + 1, l) ? l + 1 : l;
		if (!heap_less(s, c, i))
			break;
		heap_swap(s, i, c);
		i = c;
	}
}

static void
heap_remove(struct sched *s, struct entry *e)
{
	size_t i = e->hpos;

	if (i == NOPOS)
		return;
	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->hpos = i;
		heap_fix(s, i);
	}
	e->hpos = NOPOS;
}

/* Schedule e at next (in the heap unless busy). */
static int
sched_set(struct sched *s, struct entry *e, time_t next)
{
	struct entry **h;
	size_t cap;

	e->next = next;
	if (e->busy)
		return 0;
	if (next == QRUN_NEVER) {
		/* parked: known, but nothing to do until kicked */
		heap_remove(s, e);
		return 0;
	}
	if (e->hpos != NOPOS) {
		heap_fix(s, e->hpos);
		return 0;
	}
	if (s->nheap == s->capheap) {
		cap = s->capheap ? s->capheap * 2 : 1024;
		if ((h = reallocarray(s->heap, cap, sizeof(*h))) == NULL)
			return -1;
		s->heap = h;
		s->capheap = cap;
	}
	e->hpos = s->nheap;
	s->heap[s->nheap++] = e;
	heap_fix(s, e->hpos);
	return 0;
}

static struct entry *
sched_add(struct sched *s, const char *id)
{
	struct entry *e;
	size_t h;

	if (s->n >= s->nbucket && sched_grow(s) == -1)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->id, id, strlen(id) + 1);
	e->hpos = NOPOS;
	h = hash(id, s->nbucket);
	e->hnext = s->bucket[h];
	s->bucket[h] = e;
	s->n++;
	return e;
}

static void
sched_del(struct sched *s, struct entry *e)
{
	struct entry **pp;

	heap_remove(s, e);
	for (pp = &s->bucket[hash(e->id, s->nbucket)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	s->n--;
	free(e);
}

static void
sched_free(struct sched *s)
{
	struct entry *e, *nx;
	size_t i;

	for (i = 0; i < s->nbucket; i++)
		for (e = s->bucket[i]; e != NULL; e = nx) {
			nx = e->hnext;
			free(e);
		}
	free(s->bucket);
	free(s->heap);
	memset(s, 0, sizeof(*s));
}

/* Make id due now (after the current run when busy). */
static int
sched_now(struct sched *s, const char *id, time_t now)
{
	struct entry *e;

	if ((e = sched_find(s, id)) == NULL && (e = sched_add(s, id)) == NULL)
		return -1;
	if (e->busy) {
		e->again = 1;
		return 0;
	}
	return sched_set(s, e, now);
}

/* Everything known due now. */
static int
sched_all_now(struct sched *s, time_t now)
{
	struct entry *e;
	size_t i;

	for (i = 0; i < s->nbucket; i++)
		for (e = s->bucket[i]; e != NULL; e = e->hnext) {
			if (e->busy)
				e->again = 1;
			else if (sched_set(s, e, now) == -1)
				return -1;
		}
	return 0;
}

/*
 * The full scan: every message in mess/ not known yet is due now.  Stale
 * files go: tmp/ files older than QUEUE_TMP_MAXAGE (an injection that
 * died), env/ files whose message is gone, and stale temporaries there.
 */
static int
scan(struct queue *q, struct sched *s, time_t now)
{
	struct dirent *de;
	struct entry *e, *nx;
	struct stat st;
	size_t i;
	DIR *d;
	int fd, r = 0;

	if ((fd = dup(q->messfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (queue_id_ok(de->d_name) &&
		    sched_find(s, de->d_name) == NULL &&
		    sched_now(s, de->d_name, now) == -1)
			r = -1;
	closedir(d);
	/* parked messages removed by others (queue drop, remote delivery) */
	for (i = 0; i < s->nbucket; i++)
		for (e = s->bucket[i]; e != NULL; e = nx) {
			nx = e->hnext;
			if (!e->busy && e->next == QRUN_NEVER &&
			    faccessat(q->messfd, e->id, F_OK, 0) == -1 &&
			    errno == ENOENT)
				sched_del(s, e);
		}
	if ((fd = dup(q->tmpfd)) != -1 && (d = fdopendir(fd)) != NULL) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || fstatat(q->tmpfd,
			    de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
				continue;
			if (now - st.st_mtime > QUEUE_TMP_MAXAGE &&
			    unlinkat(q->tmpfd, de->d_name, 0) == 0)
				log_info("removed stale tmp/%s", de->d_name);
		}
		closedir(d);
	} else if (fd != -1)
		close(fd);
	if ((fd = dup(q->envfd)) != -1 && (d = fdopendir(fd)) != NULL) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (queue_id_ok(de->d_name)) {
				if (faccessat(q->messfd, de->d_name, F_OK, 0) ==
				    -1 && errno == ENOENT &&
				    sched_find(s, de->d_name) == NULL)
					(void)unlinkat(q->envfd, de->d_name, 0);
			} else if (strstr(de->d_name, ".tmp.") != NULL &&
			    fstatat(q->envfd, de->d_name, &st, 0) == 0 &&
			    now - st.st_mtime > 3600)
				(void)unlinkat(q->envfd, de->d_name, 0);
		}
		closedir(d);
	} else if (fd != -1)
		close(fd);
	return r;
}

static void
on_signal(int sig)
{
	int save = errno;
	char c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT)
		qrun_stop = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	if (sig_pipe[1] != -1)
		(void)!write(sig_pipe[1], &c, 1);
	errno = save;
}

static void
worker_sigterm(int sig)
{
	(void)sig;
	qrun_stop = 1;
}

/* The worker process: one job line at a time, one result line back. */
static void
worker_loop(struct queue *q, const struct qrun_conf *c, int job, int res)
{
	struct rd *rd;
	struct buf line = BUF_INIT, out = BUF_INIT;
	struct sigaction sa;
	time_t next;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_sigterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if ((rd = malloc(sizeof(*rd))) == NULL)
		_exit(EXIT_TEMP);
	rd_init(rd, job, -1);
	while (!qrun_stop && (r = rd_line(rd, &line, QUEUE_ID_MAX + 2)) == 1) {
		while (line.len > 0 && line.s[line.len - 1] == '\n')
			buf_truncate(&line, line.len - 1);
		if (!queue_id_ok(line.s))
			continue;
		(void)qrun_message(q, c, line.s, time(NULL), &next);
		buf_reset(&out);
		if (buf_printf(&out, "%s %lld\n", line.s, (long long)next) ==
		    -1 || write_all(res, out.s, out.len) == -1)
			break;
	}
	free(rd);
	buf_free(&line);
	buf_free(&out);
	_exit(0);
}

static int
spawn(struct queue *q, const struct qrun_conf *c, struct worker *wk,
    struct worker *all, size_t n, int fifo_r, int fifo_w)
{
	int jp[2], rp[2];
	size_t i;
	pid_t pid;

	if (pipe(jp) == -1)
		return -1;
	if (pipe(rp) == -1) {
		close(jp[0]);
		close(jp[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		close(jp[0]);
		close(jp[1]);
		close(rp[0]);
		close(rp[1]);
		return -1;
	}
	if (pid == 0) {
		close(jp[1]);
		close(rp[0]);
		close(fifo_r);
		close(fifo_w);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
		for (i = 0; i < n; i++) {
			if (all[i].job != -1)
				close(all[i].job);
			if (all[i].res != -1)
				close(all[i].res);
		}
		worker_loop(q, c, jp[0], rp[1]);
	}
	close(jp[0]);
	close(rp[1]);
	(void)fcntl(jp[1], F_SETFD, FD_CLOEXEC);
	(void)fcntl(rp[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(rp[0], F_SETFL, O_NONBLOCK);
	wk->pid = pid;
	wk->job = jp[1];
	wk->res = rp[0];
	wk->cur = NULL;
	wk->rlen = 0;
	return 0;
}

/* Wait for a child, through the signals (SIGCHLD) that interrupt it. */
static void
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
}

/* A worker is gone: its message is retried later. */
static void
worker_lost(struct sched *s, struct worker *wk, time_t now)
{

	if (wk->job != -1)
		close(wk->job);
	if (wk->res != -1)
		close(wk->res);
	wk->job = wk->res = -1;
	if (wk->pid > 0)
		reap(wk->pid);
	wk->pid = 0;
	if (wk->cur != NULL) {
		log_warn("%s worker died; retrying in 5 minutes", wk->cur->id);
		wk->cur->busy = 0;
		wk->cur->again = 0;
		(void)sched_set(s, wk->cur, now + 300);
		wk->cur = NULL;
	}
}

/* Result lines "ID NEXT" from a worker. */
static void
worker_results(struct sched *s, struct worker *wk, time_t now)
{
	char *nl, *sp, *line;
	struct entry *e;
	long long next;
	ssize_t r;

	for (;;) {
		r = read(wk->res, wk->rbuf + wk->rlen,
		    sizeof(wk->rbuf) - 1 - wk->rlen);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return;
		if (r <= 0) {
			worker_lost(s, wk, now);
			return;
		}
		wk->rlen += (size_t)r;
		wk->rbuf[wk->rlen] = '\0';
		while ((nl = memchr(wk->rbuf, '\n', wk->rlen)) != NULL) {
			*nl = '\0';
			line = wk->rbuf;
			if ((sp = strchr(line, ' ')) != NULL) {
				*sp = '\0';
				next = strtoll(sp + 1, NULL, 10);
				e = sched_find(s, line);
				if (e != NULL && e == wk->cur) {
					wk->cur = NULL;
					e->busy = 0;
					if (e->again) {
						e->again = 0;
						(void)sched_set(s, e, now);
					} else if (next == 0)
						sched_del(s, e);
					else if (next < 0)
						(void)sched_set(s, e,
						    QRUN_NEVER);
					else
						(void)sched_set(s, e,
						    (time_t)next);
				}
			}
			wk->rlen -= (size_t)(nl + 1 - wk->rbuf);
			memmove(wk->rbuf, nl + 1, wk->rlen);
		}
		if (wk->rlen >= sizeof(wk->rbuf) - 1)
			wk->rlen = 0;	/* no such line from our workers */
	}
}

/* Trigger lines: "ID" makes ID due; anything else makes all due. */
static int
read_trigger(struct queue *q, struct sched *s, int fd, struct buf *pend,
    time_t now)
{
	char b[4096], *nl;
	ssize_t r;
	int all = 0;

	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_put(pend, b, (size_t)r) == -1)
			return -1;
		while ((nl = memchr(pend->s, '\n', pend->len)) != NULL) {
			*nl = '\0';
			if (queue_id_ok(pend->s)) {
				if (sched_now(s, pend->s, now) == -1)
					return -1;
			} else
				all = 1;
			pend->len -= (size_t)(nl + 1 - pend->s);
			memmove(pend->s, nl + 1, pend->len);
		}
		if (pend->len > 4096)
			buf_reset(pend);
	}
	if (all) {
		log_info("kicked: every message is due");
		if (sched_all_now(s, now) == -1 || scan(q, s, now) == -1)
			return -1;
	}
	return 0;
}

int
qrun_main(struct queue *q, const struct qrun_conf *c, int once)
{
	struct sched s;
	struct worker *wk;
	struct pollfd *pfd;
	struct sigaction sa;
	struct buf pend = BUF_INIT, job = BUF_INIT;
	struct entry *e;
	time_t now, last_scan;
	size_t i, nw = c->concurrency, np, busy, idle;
	int fifo_r = -1, fifo_w = -1, timeout, status, r = -1;
	long wait_s;
	char junk[64];
	pid_t pid;

	memset(&s, 0, sizeof(s));
	if ((wk = calloc(nw, sizeof(*wk))) == NULL ||
	    (pfd = calloc(nw + 2, sizeof(*pfd))) == NULL) {
		free(wk);
		return -1;
	}
	for (i = 0; i < nw; i++)
		wk[i].job = wk[i].res = -1;
	if (pipe(sig_pipe) == -1)
		goto out;
	for (i = 0; i < 2; i++) {
		(void)fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
		(void)fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the trigger: our own writer keeps the FIFO from reading EOF */
	if ((fifo_r = openat(q->dfd, "trigger", O_RDONLY | O_NONBLOCK |
	    O_CLOEXEC)) == -1 ||
	    (fifo_w = openat(q->dfd, "trigger", O_WRONLY | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		warn_sys("unable to open %s/trigger", q->dir);
		goto out;
	}
	for (i = 0; i < nw; i++)
		if (spawn(q, c, &wk[i], wk, nw, fifo_r, fifo_w) == -1) {
			warn_sys("unable to start a worker");
			goto out;
		}
	now = time(NULL);
	if (scan(q, &s, now) == -1)
		warn_sys("unable to scan %s", q->dir);
	last_scan = now;
	log_info("start queue=%s concurrency=%zu", q->dir, nw);

	for (;;) {
		now = time(NULL);
		busy = idle = 0;
		for (i = 0; i < nw; i++) {
			if (wk[i].pid <= 0 && !qrun_stop &&
			    spawn(q, c, &wk[i], wk, nw, fifo_r, fifo_w) == -1)
				warn_sys("unable to start a worker");
			if (wk[i].pid > 0 && wk[i].cur != NULL)
				busy++;
		}
		/* dispatch what is due to idle workers */
		for (i = 0; i < nw && !qrun_stop; i++) {
			if (wk[i].pid <= 0 || wk[i].cur != NULL)
				continue;
			if (s.nheap == 0 || s.heap[0]->next > now)
				break;
			e = s.heap[0];
			heap_remove(&s, e);
			buf_reset(&job);
			if (buf_printf(&job, "%s\n", e->id) == -1 ||
			    write_all(wk[i].job, job.s, job.len) == -1) {
				(void)sched_set(&s, e, now + 60);
				worker_lost(&s, &wk[i], now);
				continue;
			}
			e->busy = 1;
			wk[i].cur = e;
			busy++;
		}
		for (i = 0; i < nw; i++)
			if (wk[i].pid > 0 && wk[i].cur == NULL)
				idle++;
		if (qrun_stop && busy == 0)
			break;
		if (once && busy == 0 && (s.nheap == 0 ||
		    s.heap[0]->next > now)) {
			/* DSNs queued just now may still be in the FIFO */
			if (read_trigger(q, &s, fifo_r, &pend, now) == -1 ||
			    scan(q, &s, now) == -1)
				goto out;
			if (s.nheap == 0 || s.heap[0]->next > now)
				break;
			continue;
		}
		/* wait: for the next due message, the next scan, or events */
		wait_s = last_scan + QRUN_RESCAN - now;
		if (s.nheap > 0 && idle > 0 && s.heap[0]->next - now < wait_s)
			wait_s = s.heap[0]->next - now;
		if (wait_s < 0)
			wait_s = 0;
		timeout = qrun_stop ? -1 : (int)(wait_s > 3600 ? 3600000 :
		    wait_s * 1000);
		if (once && timeout > 1000)
			timeout = 1000;
		np = 0;
		pfd[np].fd = sig_pipe[0];
		pfd[np++].events = POLLIN;
		pfd[np].fd = fifo_r;
		pfd[np++].events = POLLIN;
		for (i = 0; i < nw; i++) {
			pfd[np].fd = wk[i].res;
			pfd[np++].events = POLLIN;
		}
		if (poll(pfd, np, timeout) == -1 && errno != EINTR) {
			warn_sys("poll");
			goto out;
		}
		now = time(NULL);
		while (read(sig_pipe[0], junk, sizeof(junk)) > 0)
			;
		if (qrun_stop) {
			/* stop: workers finish the delivery under way */
			for (i = 0; i < nw; i++)
				if (wk[i].pid > 0) {
					(void)kill(wk[i].pid, SIGTERM);
					if (wk[i].job != -1) {
						close(wk[i].job);
						wk[i].job = -1;
					}
				}
		}
		for (i = 0; i < nw; i++)
			if (wk[i].res != -1 && (pfd[i + 2].revents &
			    (POLLIN | POLLHUP | POLLERR)))
				worker_results(&s, &wk[i], now);
		if (got_chld) {
			got_chld = 0;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				for (i = 0; i < nw; i++)
					if (wk[i].pid == pid) {
						wk[i].pid = -1;
						worker_lost(&s, &wk[i], now);
					}
		}
		if (pfd[1].revents & POLLIN)
			if (read_trigger(q, &s, fifo_r, &pend, now) == -1)
				warn_sys("trigger");
		if (got_hup || now - last_scan >= QRUN_RESCAN) {
			got_hup = 0;
			if (scan(q, &s, now) == -1)
				warn_sys("unable to scan %s", q->dir);
			last_scan = now;
		}
	}
	r = 0;
out:
	for (i = 0; i < nw; i++) {
		if (wk[i].job != -1)
			close(wk[i].job);
		wk[i].job = -1;
	}
	for (i = 0; i < nw; i++) {
		if (wk[i].pid > 0)
			reap(wk[i].pid);
		if (wk[i].res != -1)
			close(wk[i].res);
	}
	if (fifo_r != -1)
		close(fifo_r);
	if (fifo_w != -1)
		close(fifo_w);
	for (i = 0; i < 2; i++)
		if (sig_pipe[i] != -1) {
			close(sig_pipe[i]);
			sig_pipe[i] = -1;
		}
	sched_free(&s);
	buf_free(&pend);
	buf_free(&job);
	free(wk);
	free(pfd);
	log_info("stop");
	return r;
}
