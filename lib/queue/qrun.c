#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/array.h"
#include "base/control.h"
#include "base/log.h"
#include "queue/dsn.h"
#include "queue/qrun.h"
#include "queue/quarantine.h"
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
static struct queue_target *shared_outcome(struct work *,
		    const struct queue_target *);
static int	take_outcome(struct work *, struct queue_target *,
		    const struct queue_target *);
static int	share_outcome(struct work *, const struct queue_target *);
static void	expire_remote(struct work *, struct queue_target *);
static void	clean_tmp(struct work *, const struct queue_target *,
		    const char *);

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
 * One copy per mailbox (doc/queue-run.8): the local targets of a message
 * that name one account, whichever recipients, aliases or subaddresses
 * led to them, share one delivery.  The first of them that is due, in
 * the order of the recipients, is delivered (its address is the
 * Delivered-To); the others take its outcome: done and failed at once,
 * a deferral when they are due in the same pass.  So each recipient
 * keeps its own state, and gets the DSN its NOTIFY asks for, from the
 * one copy.
 */

/* A target of t's account whose outcome t takes: a final one, or one
 * tried in this pass; NULL when t is to be delivered. */
static struct queue_target *
shared_outcome(struct work *w, const struct queue_target *t)
{
	struct queue_rstate_rec *r;
	struct queue_target *u;
	size_t i, j;

	for (i = 0; i < w->m.st.n; i++) {
		r = &w->m.st.r[i];
		for (j = 0; r->state == QR_ROUTED && j < r->nt; j++) {
			u = &r->t[j];
			if (u == t || u->remote || u->account == NULL ||
			    u->account[0] != t->account[0] ||
			    strcmp(u->account, t->account) != 0)
				continue;
			if (u->state == QT_DONE || u->state == QT_FAILED ||
			    (u->state == QT_DEFERRED && u->last == w->now))
				return u;
		}
	}
	return NULL;
}

/* t takes the outcome of u, the target of its account that was tried. */
static int
take_outcome(struct work *w, struct queue_target *t,
    const struct queue_target *u)
{
	t->state = u->state;
	t->attempts = u->attempts;
	t->last = u->last;
	t->next = u->next;
	if (queue_set_error(&t->error, u->error) == -1)
		return -1;
	w->changed = 1;
	log_info("%s %s to=<%s> account=%s one-copy-with=<%s>%s%s", w->m.id,
	    t->state == QT_DONE ? "delivered" : t->state == QT_FAILED ?
	    "failed" : "deferred", t->address, t->account, u->address,
	    t->error != NULL ? " error=" : "", t->error != NULL ? t->error :
	    "");
	return 0;
}

/* A final outcome of t goes to every other target of its account that
 * is not final yet, due or not. */
static int
share_outcome(struct work *w, const struct queue_target *t)
{
	struct queue_rstate_rec *r;
	struct queue_target *u;
	size_t i, j;

	if (t->state != QT_DONE && t->state != QT_FAILED)
		return 0;
	for (i = 0; i < w->m.st.n; i++) {
		r = &w->m.st.r[i];
		for (j = 0; r->state == QR_ROUTED && j < r->nt; j++) {
			u = &r->t[j];
			if (u == t || u->remote || u->account == NULL ||
			    (u->state != QT_PENDING &&
			    u->state != QT_DEFERRED) ||
			    u->account[0] != t->account[0] ||
			    strcmp(u->account, t->account) != 0)
				continue;
			if (take_outcome(w, u, t) == -1)
				return -1;
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
		/* a target another recipient reaches too is kept: the
		 * delivery is shared (one copy per mailbox), the outcome
		 * and the DSN are each recipient's own */
		for (j = 0; j < l.n; j++) {
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

/*
 * Stale files in the account's Maildir tmp/ directories go (the Maildir
 * convention, MAILDIR_TMP_MAXAGE: a delivery that died, an IMAP append
 * cut off), at a delivery to it, at most every QRUN_TMP_CLEAN_EVERY
 * seconds for an account in this process and at most QRUN_TMP_CLEAN_MAX
 * directory entries each time: usually two empty directory reads, never
 * more than a millisecond or two.  The table is small and hashed by
 * account; a collision only means another cleaning sooner.
 */
static struct {
	char	 account[ROUTE_ACCOUNT_MAX + 1];
	time_t	 at;
} cleaned[64];

struct clean_ctx {
	const struct work	*w;
	const char		*account, *path;
};

static void
removed_stale(void *ctx, const char *rel)
{
	const struct clean_ctx *c = ctx;

	log_info("%s removed stale file=%s/%s account=%s", c->w->m.id,
	    c->path, rel, c->account);
}

static void
clean_tmp(struct work *w, const struct queue_target *t, const char *path)
{
	struct clean_ctx ctx = { w, t->account, path };
	const unsigned char *p;
	size_t h = 5381;

	for (p = (const unsigned char *)t->account; *p != '\0'; p++)
		h = h * 33 + *p;
	h %= sizeof(cleaned) / sizeof(cleaned[0]);
	if (strcmp(cleaned[h].account, t->account) == 0 &&
	    w->now >= cleaned[h].at &&
	    w->now - cleaned[h].at < QRUN_TMP_CLEAN_EVERY)
		return;
	/* route_account_ok: at most ROUTE_ACCOUNT_MAX bytes */
	memcpy(cleaned[h].account, t->account, strlen(t->account) + 1);
	cleaned[h].at = w->now;
	(void)maildir_clean_tmp(path, w->now, QRUN_TMP_CLEAN_MAX,
	    removed_stale, &ctx);
}

/* Deliver to a local target: done, deferred or failed. */
static int
deliver(struct work *w, struct queue_target *t)
{
	struct maildir_delivery md;
	struct buf path = BUF_INIT, name = BUF_INIT, e = BUF_INIT,
	    junk = BUF_INIT;
	struct stat st;
	const char *err = NULL, *dir;
	int r, save, failed, perm = 0, q;

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
	/* first, so that stale files leave room on a full disk */
	clean_tmp(w, t, path.s);
	md.return_path = w->m.env.sender;	/* RFC 5321 4.4 */
	md.delivered_to = t->address;		/* RFC 9228 */
	md.maxsize = w->c->maildir_max;
	/* RFC 7489 6.3 p=quarantine, as dmarc-eval recorded it: the
	 * account's Junk folder (quarantine.h) */
	if ((q = quarantine_check(w->m.fd, w->m.off, w->c->me.s)) == -1)
		goto sysfail;
	if (q && buf_printf(&junk, "%s/.%s", path.s, QUARANTINE_FOLDER) == -1)
		goto sysfail;
	dir = q ? junk.s : path.s;
	if (queue_msg_rewind(&w->m) == -1)
		goto sysfail;
	r = maildir_deliver(dir, w->m.fd, &md, &name);
	if (r == -1 && errno == ENOENT) {
		/* the account's first message (or first junk): make it */
		if ((q ? maildir_make_folder(path.s, QUARANTINE_FOLDER, NULL) :
		    maildir_make(path.s)) == 0) {
			log_info("%s made maildir=%s", w->m.id, dir);
			if (queue_msg_rewind(&w->m) == -1)
				goto sysfail;
			r = maildir_deliver(dir, w->m.fd, &md, &name);
		}
	}
	if (r == 0) {
		t->state = QT_DONE;
		(void)queue_set_error(&t->error, NULL);
		w->changed = 1;
		log_info("%s delivered to=<%s> account=%s file=%s%s", w->m.id,
		    t->address, t->account, name.s ? name.s : "", q ?
		    " folder=" QUARANTINE_FOLDER " reason=dmarc-quarantine" : "");
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
	case EDQUOT:
	case ENOSPC:
		/*
		 * RFC 3463 X.3.1: mail system full.  EDQUOT too: one uid
		 * owns every mailbox (DESIGN.md section 7), so a quota,
		 * like a file size limit (maildir_deliver's EDQUOT), is
		 * the mail system's, not one mailbox's (X.2.2)
		 */
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
	    t->address, t->account, dir, strerror(save));
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
	buf_free(&junk);
	return 0;
sysfail:
	save = errno;
	buf_free(&path);
	buf_free(&name);
	buf_free(&e);
	buf_free(&junk);
	errno = save;
	return -1;
}

/*
 * A remote target at the end of the message's lifetime.  There is no
 * remote delivery yet (it comes with remote-deliver), so a remote target
 * is held, and when the lifetime ends it fails with a DSN like any
 * recipient that could not be delivered in time: nothing stays queued
 * silently.  RFC 3463 X.4.7: delivery time expired.
 */
static void
expire_remote(struct work *w, struct queue_target *t)
{
	t->state = QT_FAILED;
	t->last = w->now;
	if (queue_set_error(&t->error, "4.4.7 no remote delivery here; held "
	    "for the queue lifetime") == -1)
		(void)queue_set_error(&t->error, NULL);
	w->changed = 1;
	log_info("%s failed remote=<%s> error=4.4.7 held for the queue "
	    "lifetime", w->m.id, t->address);
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

/* When to look again: the earliest retry, or the end of the lifetime for
 * a held remote target; QRUN_NEVER when nothing is left. */
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
			else if (r->t[j].state == QT_REMOTE)
				EARLIER(w->expire);
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

/* The reports of one DSN, in the order of the recipients */
struct reports {
	struct report	*v;
	size_t		 n, cap;
};

static int
inject_out(void *ctx, const void *p, size_t n)
{
	return queue_inject_write(ctx, p, n);
}

/* Add a report of recipient i; diag from the error text. */
static int
add_report(struct reports *rl, struct work *w, size_t i, enum dsn_action a,
    const char *error, const char *target, time_t last, unsigned *flags,
    unsigned flag)
{
	struct report *rp, *nv;
	const char *text;

	if ((nv = array_ready(rl->v, &rl->cap, rl->n + 1, sizeof(*nv))) ==
	    NULL)
		return -1;
	rl->v = nv;
	rp = &nv[rl->n];
	memset(rp, 0, sizeof(*rp));
	rl->n++;
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

/* The failures of recipient i not yet reported: a report each when fail
 * (its NOTIFY asks for them), else marked as reported. */
static int
report_failures(struct reports *rl, struct work *w, size_t i, int fail)
{
	struct queue_rstate_rec *r = &w->m.st.r[i];
	struct queue_target *t;
	size_t j;

	if (r->state == QR_FAILED && !(r->dsn & QDSN_FAILED)) {
		if (!fail) {
			r->dsn |= QDSN_FAILED;
			w->changed = 1;
		} else if (add_report(rl, w, i, DSN_FAILED, r->error, NULL,
		    r->last, &r->dsn, QDSN_FAILED) == -1)
			return -1;
	}
	for (j = 0; r->state == QR_ROUTED && j < r->nt; j++) {
		t = &r->t[j];
		if (t->state != QT_FAILED || (t->dsn & QDSN_FAILED))
			continue;
		if (!fail) {
			t->dsn |= QDSN_FAILED;
			w->changed = 1;
		} else if (add_report(rl, w, i, DSN_FAILED, t->error,
		    t->address, t->last, &t->dsn, QDSN_FAILED) == -1)
			return -1;
	}
	return 0;
}

/* NOTIFY=SUCCESS of recipient i, once: "expanded" for an alias of several
 * targets, "delivered" for one local target that is done. */
static int
report_success(struct reports *rl, struct work *w, size_t i)
{
	struct queue_rstate_rec *r = &w->m.st.r[i];

	if (r->state != QR_ROUTED || (r->dsn & QDSN_SUCCESS))
		return 0;
	if (r->nt > 1)
		return add_report(rl, w, i, DSN_EXPANDED, "2.0.0", NULL,
		    w->now, &r->dsn, QDSN_SUCCESS);
	if (r->nt == 1 && !r->t[0].remote && r->t[0].state == QT_DONE)
		return add_report(rl, w, i, DSN_DELIVERED, "2.0.0",
		    r->t[0].address, r->t[0].last, &r->dsn, QDSN_SUCCESS);
	return 0;
}

/* NOTIFY=DELAY of recipient i, once, when it or one of its targets is
 * deferred QRUN_DELAY_NOTICE after the start; the error of the first
 * deferred target. */
static int
report_delay(struct reports *rl, struct work *w, size_t i)
{
	struct queue_rstate_rec *r = &w->m.st.r[i];
	const char *e = r->error;
	time_t last = r->last;
	int deferred = r->state == QR_DEFERRED;
	size_t j;

	for (j = 0; r->state == QR_ROUTED && j < r->nt; j++)
		if (r->t[j].state == QT_DEFERRED) {
			deferred = 1;
			e = r->t[j].error;
			last = r->t[j].last;
			break;
		}
	if (!deferred || (r->dsn & QDSN_DELAY) ||
	    w->now - w->start < QRUN_DELAY_NOTICE)
		return 0;
	return add_report(rl, w, i, DSN_DELAYED, e, NULL, last, &r->dsn,
	    QDSN_DELAY);
}

/* The reports now due for recipient i, as its NOTIFY asks. */
static int
rcpt_reports(struct reports *rl, struct work *w, size_t i)
{
	unsigned notify = w->m.env.rcpt[i].notify;

	/* RFC 3461 4.1: without NOTIFY, failures are reported */
	if (report_failures(rl, w, i, notify == 0 ||
	    (notify & PARAM_NOTIFY_FAILURE)) == -1)
		return -1;
	if ((notify & PARAM_NOTIFY_SUCCESS) && report_success(rl, w, i) == -1)
		return -1;
	if ((notify & PARAM_NOTIFY_DELAY) && report_delay(rl, w, i) == -1)
		return -1;
	return 0;
}

/* Every report marked as sent and the state to save; log each with the
 * DSN's queue id, or drop it when dsnid is NULL (the sender is <>). */
static void
reports_done(struct reports *rl, struct work *w, const char *dsnid)
{
	const struct report *v = rl->v;
	size_t i;

	for (i = 0; i < rl->n; i++) {
		if (dsnid == NULL) {
			if (v[i].d.action == DSN_FAILED)
				log_info("%s double bounce dropped rcpt=<%s> "
				    "error=%s %s", w->m.id, v[i].d.rcpt,
				    v[i].d.status, v[i].d.diag ? v[i].d.diag :
				    "");
		} else
			log_info("%s dsn=%s to=<%s> rcpt=<%s> action=%s "
			    "status=%s", w->m.id, dsnid, w->m.env.sender,
			    v[i].d.rcpt, v[i].d.action == DSN_FAILED ?
			    "failed" : v[i].d.action == DSN_DELAYED ?
			    "delayed" : v[i].d.action == DSN_EXPANDED ?
			    "expanded" : "delivered", v[i].d.status);
		*v[i].flags |= v[i].flag;
	}
	w->changed = 1;
}

/* The DSN of message w to its sender, with the recipients dr[0..n). */
static void
dsn_of(struct dsn *d, const struct work *w, const struct dsn_rcpt *dr,
    size_t n)
{
	memset(d, 0, sizeof(*d));
	d->mta = w->c->me.s;
	d->qid = w->m.id;
	d->sender = w->m.env.sender;
	d->envid = w->m.env.envid;
	d->arrival = w->m.env.time;
	d->date = w->now;
	d->utf8 = w->m.env.smtputf8;
	d->ret = w->m.env.ret;
	d->body = w->m.env.body;
	d->rcpt = dr;
	d->nrcpt = n;
}

/* Write the DSN d into the queue, from <> to the sender of w; its queue
 * id in id. */
static int
inject_dsn(struct work *w, const struct dsn *d, struct buf *id)
{
	struct queue_env de;
	struct queue_inject inj;

	queue_env_init(&de);
	dsn_params(d, &de.smtputf8, &de.body);
	if (queue_env_sender(&de, "") == -1 ||
	    queue_env_rcpt(&de, w->m.env.sender) == -1) {
		queue_env_free(&de);
		return -1;
	}
	if (queue_msg_rewind(&w->m) == -1 ||
	    queue_inject_begin(w->q, &de, 0, &inj) == -1) {
		queue_env_free(&de);
		return -1;
	}
	queue_env_free(&de);
	if (dsn_write(d, w->m.fd, w->m.size, inject_out, &inj) == -1) {
		queue_inject_abort(&inj);
		return -1;
	}
	return queue_inject_commit(&inj, id);
}

/* The one DSN of the reports rl into the queue; its queue id in id. */
static int
queue_dsn(struct reports *rl, struct work *w, struct buf *id)
{
	struct dsn_rcpt *dr;
	struct dsn d;
	size_t i;
	int r, save;

	if ((dr = calloc(rl->n, sizeof(*dr))) == NULL)
		return -1;
	for (i = 0; i < rl->n; i++)
		dr[i] = rl->v[i].d;
	dsn_of(&d, w, dr, rl->n);
	r = inject_dsn(w, &d, id);
	save = errno;
	free(dr);
	errno = save;
	return r;
}

/*
 * RFC 3461: the DSNs now due, in one message: failures (NOTIFY absent or
 * with FAILURE), successes (NOTIFY=SUCCESS: "delivered" for one local
 * target, "expanded" for an alias of several, RFC 3461 6.2.7.3), delays
 * (NOTIFY=DELAY, once, after QRUN_DELAY_NOTICE).  Never to <>.  On a
 * failure the DSN is pending, to be tried again.
 */
static int
send_dsns(struct work *w)
{
	struct reports rl = { NULL, 0, 0 };
	struct buf id = BUF_INIT;
	size_t i;
	int ret = -1, save;

	for (i = 0; i < w->m.st.n; i++)
		if (rcpt_reports(&rl, w, i) == -1)
			goto out;
	if (rl.n == 0)
		ret = 0;
	else if (w->m.env.sender[0] == '\0') {
		/* RFC 3461 6.2, RFC 5321 6.1: never a DSN to <> */
		reports_done(&rl, w, NULL);
		ret = 0;
	} else if (queue_dsn(&rl, w, &id) == 0) {
		reports_done(&rl, w, id.s ? id.s : "");
		ret = 0;
	}
out:
	save = errno;
	if (ret == -1) {
		w->dsn_pending = 1;
		log_warn("%s unable to queue a DSN: %s", w->m.id,
		    strerror(save));
	}
	for (i = 0; i < rl.n; i++)
		buf_free(&rl.v[i].diag);
	free(rl.v);
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
	struct queue_target *t, *u;
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
			log_warn("%s damaged=%s/%s; left for the "
			    "administrator (queue drop)", id,
			    w.m.damaged != NULL ? w.m.damaged : "mess", id);
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
			if (t->state == QT_REMOTE && now >= w.expire)
				expire_remote(&w, t);
			if (t->remote || !(t->state == QT_PENDING ||
			    (t->state == QT_DEFERRED && t->next <= now)))
				continue;
			/* one copy per mailbox: the account's copy is
			 * delivered once, for all its targets */
			if ((u = shared_outcome(&w, t)) != NULL) {
				if (take_outcome(&w, t, u) == -1)
					goto sysfail;
				continue;
			}
			if (deliver(&w, t) == -1 || share_outcome(&w, t) == -1)
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
