/*
 * queue_env: the envelope of a queued message (queue.h): its checks,
 * queue-inject's -o options, and the head that stores it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/num.h"
#include "mail/addr.h"
#include "mail/codec.h"
#include "queue/qline.h"
#include "queue/queue.h"

/*
 * Addresses
 */

int
queue_addr_ok(const char *s, int utf8)
{
	struct addr_path p = ADDR_PATH_INIT;
	struct addr_err err;
	struct buf b = BUF_INIT;
	size_t n = strlen(s);
	int ok;

	if (n == 0 || n > QUEUE_ADDR_MAX || qline_has_ctl(s, n))
		return 0;
	if (buf_putc(&b, '<') == -1 || buf_put(&b, s, n) == -1 ||
	    buf_putc(&b, '>') == -1) {
		buf_free(&b);
		return 0;
	}
	/* RFC 5321 4.1.2 Mailbox, the same check as smtp-recv's (addr.h) */
	ok = addr_smtp_path(&p, b.s, b.len, utf8 ? ADDR_SMTP_UTF8 : 0,
	    &err) == 0 && p.params == b.len &&
	    !(p.flags & (ADDR_P_ROUTE | ADDR_P_NULL | ADDR_P_PM));
	addr_path_free(&p);
	buf_free(&b);
	return ok;
}

/*
 * The envelope
 */

void
queue_env_init(struct queue_env *e)
{
	memset(e, 0, sizeof(*e));
}

void
queue_env_free(struct queue_env *e)
{
	size_t i;

	for (i = 0; i < e->nrcpt; i++) {
		free(e->rcpt[i].addr);
		free(e->rcpt[i].orcpt);
	}
	free(e->rcpt);
	free(e->sender);
	free(e->envid);
	free(e->received_from);
	free(e->authuser);
	memset(e, 0, sizeof(*e));
}

int
queue_env_sender(struct queue_env *e, const char *s)
{
	return qline_setstr(&e->sender, s);
}

int
queue_env_rcpt(struct queue_env *e, const char *addr)
{
	struct queue_rcpt *r;

	if (e->nrcpt >= QUEUE_RCPT_MAX) {
		errno = E2BIG;
		return -1;
	}
	if ((r = array_ready(e->rcpt, &e->caprcpt, e->nrcpt + 1,
	    sizeof(*r))) == NULL)
		return -1;
	e->rcpt = r;
	r = &e->rcpt[e->nrcpt];
	memset(r, 0, sizeof(*r));
	if ((r->addr = strdup(addr)) == NULL)
		return -1;
	e->nrcpt++;
	return 0;
}

/*
 * Set parameter d of e, or of recipient rc, from its queue value v (the
 * SMTP value; a flag is 1 or 0).  Text values (ENVID, ORCPT) are checked
 * only when strict (queue-inject -o): a head holds what injection
 * checked, escaped, and is read back as it was written.  *why says what
 * is wrong.
 */
static int
set_param(struct queue_env *e, struct queue_rcpt *rc,
    const struct param_def *d, const char *v, int strict, const char **why)
{
	struct param_val pv;

	if (!strict && (d->id == PARAM_ENVID || d->id == PARAM_ORCPT))
		pv.u = 0;
	else if (d->flag && (strcmp(v, "1") == 0 || strcmp(v, "0") == 0))
		pv.u = v[0] == '1';
	else if (d->flag || param_parse(d->id, v, strlen(v), 1, &pv) == -1) {
		*why = d->valid;
		errno = EINVAL;
		return -1;
	}
	switch (d->id) {
	case PARAM_BODY:
		e->body = (enum param_body)pv.u;
		return 0;
	case PARAM_SMTPUTF8:
		e->smtputf8 = (int)pv.u;
		return 0;
	case PARAM_REQUIRETLS:
		e->requiretls = (int)pv.u;
		return 0;
	case PARAM_RET:
		e->ret = (enum param_ret)pv.u;
		return 0;
	case PARAM_ENVID:
		return qline_setstr(&e->envid, v);
	case PARAM_NOTIFY:
		rc->notify = pv.u;
		return 0;
	case PARAM_ORCPT:
		return qline_setstr(&rc->orcpt, v);
	default:
		*why = "unknown option";
		errno = ENOENT;
		return -1;
	}
}

/* A head line "KEY VALUE" for parameter id; tmp is scratch. */
static int
put_param(struct buf *b, struct buf *tmp, enum param_id id,
    const struct param_val *v)
{
	buf_reset(tmp);
	if (param_write_queue(id, v, tmp) == -1)
		return -1;
	return qline_put(b, param_defs[id].key, tmp->s);
}

int
queue_env_option(struct queue_env *e, const char *kv, const char **why)
{
	const char *eq = strchr(kv, '='), *v, *dot;
	const struct param_def *d;
	struct buf key = BUF_INIT;
	unsigned long ul;
	size_t idx, vl;
	int r = -1;
	unsigned char tmp[16];

	*why = NULL;
	if (eq == NULL || eq == kv) {
		*why = "option is not key=value";
		errno = EINVAL;
		return -1;
	}
	v = eq + 1;
	vl = strlen(v);
	if (buf_put(&key, kv, (size_t)(eq - kv)) == -1)
		return -1;
	errno = EINVAL;
	if (qline_has_ctl(v, vl)) {
		*why = "control character in value";
		goto out;
	}
	if (vl == 0) {
		*why = "empty value";
		goto out;
	}
	if (vl > QUEUE_VALUE_MAX) {
		*why = "value too long";
		goto out;
	}
	if ((d = param_by_key(key.s, key.len)) != NULL && d->where == PARAM_MAIL) {
		if (set_param(e, NULL, d, v, 1, why) == -1)
			goto out;
	} else if (strcmp(key.s, "received-from") == 0) {
		if (inet_pton(AF_INET, v, tmp) != 1 &&
		    inet_pton(AF_INET6, v, tmp) != 1) {
			*why = "received-from is not an IP address";
			goto out;
		}
		if (qline_setstr(&e->received_from, v) == -1)
			goto out;
	} else if (strcmp(key.s, "authuser") == 0) {
		if (vl > 255 || !utf8_valid(v, vl)) {
			*why = "authuser too long or not UTF-8";
			goto out;
		}
		if (qline_setstr(&e->authuser, v) == -1)
			goto out;
	} else if (strcmp(key.s, "hold-until") == 0) {
		/* RFC 4865: FUTURERELEASE, as an absolute time */
		if (parse_ulong(v, &ul, 1, LONG_MAX / 2) == -1) {
			*why = "hold-until is not a time in seconds";
			goto out;
		}
		e->hold_until = (time_t)ul;
	} else if (strncmp(key.s, "rcpt.", 5) == 0 &&
	    (dot = strchr(key.s + 5, '.')) != NULL) {
		if (qline_index(key.s + 5, (size_t)(dot - key.s - 5), &idx) ==
		    -1 || idx >= e->nrcpt) {
			*why = "no such recipient index";
			errno = ENOENT;
			goto out;
		}
		if ((d = param_by_key(dot + 1, strlen(dot + 1))) != NULL &&
		    d->where == PARAM_RCPT) {
			if (set_param(e, &e->rcpt[idx], d, v, 1, why) == -1)
				goto out;
		} else {
			*why = "unknown option";
			errno = ENOENT;
			goto out;
		}
	} else {
		*why = "unknown option";
		errno = ENOENT;
		goto out;
	}
	r = 0;
out:
	buf_free(&key);
	return r;
}

int
queue_env_check(const struct queue_env *e, const char **why)
{
	size_t i;
	int u = e->smtputf8;

	*why = NULL;
	errno = EINVAL;
	if (e->sender == NULL || (e->sender[0] != '\0' &&
	    !queue_addr_ok(e->sender, u))) {
		*why = str_has8(e->sender) && !u ?
		    "non-ASCII sender without smtputf8" : "bad sender address";
		return -1;
	}
	if (e->nrcpt == 0) {
		*why = "no recipients";
		return -1;
	}
	for (i = 0; i < e->nrcpt; i++) {
		if (!queue_addr_ok(e->rcpt[i].addr, u)) {
			*why = str_has8(e->rcpt[i].addr) && !u ?
			    "non-ASCII recipient without smtputf8" :
			    "bad recipient address";
			return -1;
		}
		if (!u && str_has8(e->rcpt[i].orcpt)) {
			*why = "non-ASCII orcpt without smtputf8";
			return -1;
		}
	}
	if (!u && (str_has8(e->envid) || str_has8(e->authuser))) {
		*why = "non-ASCII parameter without smtputf8";
		return -1;
	}
	return 0;
}

int
queue_env_format(const struct queue_env *e, struct buf *b)
{
	struct buf n = BUF_INIT;
	struct param_val v = { 0 };
	size_t i;
	int r = -1;

	if (buf_puts(b, QLINE_ENV_MAGIC "\n") == -1 ||
	    qline_num(b, "time", (long long)e->time) == -1 ||
	    qline_put(b, "sender", e->sender ? e->sender : "") == -1)
		goto out;
	if ((v.u = e->body) != PARAM_BODY_NONE &&
	    put_param(b, &n, PARAM_BODY, &v) == -1)
		goto out;
	if (e->smtputf8 && qline_put(b, "smtputf8", "1") == -1)
		goto out;
	if (e->requiretls && qline_put(b, "requiretls", "1") == -1)
		goto out;
	if ((v.u = e->ret) != PARAM_RET_NONE &&
	    put_param(b, &n, PARAM_RET, &v) == -1)
		goto out;
	if (e->envid && qline_put(b, "envid", e->envid) == -1)
		goto out;
	if (e->received_from &&
	    qline_put(b, "received-from", e->received_from) == -1)
		goto out;
	if (e->authuser && qline_put(b, "authuser", e->authuser) == -1)
		goto out;
	if (e->hold_until &&
	    qline_num(b, "hold-until", (long long)e->hold_until) == -1)
		goto out;
	for (i = 0; i < e->nrcpt; i++) {
		if (qline_put(b, "rcpt", e->rcpt[i].addr) == -1)
			goto out;
		if ((v.u = e->rcpt[i].notify) != 0 &&
		    put_param(b, &n, PARAM_NOTIFY, &v) == -1)
			goto out;
		if (e->rcpt[i].orcpt &&
		    qline_put(b, "orcpt", e->rcpt[i].orcpt) == -1)
			goto out;
	}
	r = buf_putc(b, '\n');
out:
	buf_free(&n);
	return r;
}

int
queue_env_parse(struct queue_env *e, const char *p, size_t n, size_t *used)
{
	const char *end = p + n, *start = p, *k, *v;
	const struct param_def *d;
	const char *why;
	struct buf val = BUF_INIT;
	size_t kl, vl;
	int r, have_time = 0;
	struct queue_rcpt *cur = NULL;

	if (n < sizeof(QLINE_ENV_MAGIC) ||
	    memcmp(p, QLINE_ENV_MAGIC "\n", sizeof(QLINE_ENV_MAGIC)) != 0)
		goto bad;
	p += sizeof(QLINE_ENV_MAGIC);
	while ((r = qline_next(&p, end, &k, &kl, &v, &vl)) == 1) {
		if (qline_value(&val, v, vl) == -1)
			goto fail;
		if (qline_key(k, kl, "time")) {
			if (qline_time(v, vl, &e->time) == -1)
				goto fail;
			have_time = 1;
		} else if (qline_key(k, kl, "sender")) {
			if (qline_setstr(&e->sender, val.s) == -1)
				goto fail;
		} else if ((d = param_by_key(k, kl)) != NULL &&
		    (d->where == PARAM_MAIL || cur != NULL)) {
			if (set_param(e, d->where == PARAM_RCPT ? cur : NULL,
			    d, val.s, 0, &why) == -1)
				goto fail;
		} else if (qline_key(k, kl, "received-from")) {
			if (qline_setstr(&e->received_from, val.s) == -1)
				goto fail;
		} else if (qline_key(k, kl, "authuser")) {
			if (qline_setstr(&e->authuser, val.s) == -1)
				goto fail;
		} else if (qline_key(k, kl, "hold-until")) {
			if (qline_time(v, vl, &e->hold_until) == -1)
				goto fail;
		} else if (qline_key(k, kl, "rcpt")) {
			if (queue_env_rcpt(e, val.s) == -1)
				goto fail;
			cur = &e->rcpt[e->nrcpt - 1];
		} else
			goto bad;
	}
	/* the head ends with an empty line (r == 0), not at the end */
	if (r == -1 || !have_time || e->sender == NULL || e->nrcpt == 0)
		goto bad;
	*used = (size_t)(p - start);
	buf_free(&val);
	return 0;
bad:
	errno = EINVAL;
fail:
	r = errno;
	buf_free(&val);
	errno = r;
	return -1;
}
