/* memmem() */
#define _GNU_SOURCE

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/control.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/num.h"
#include "mail/addr.h"
#include "mail/codec.h"
#include "mail/mutf7.h"
#include "queue/param.h"
#include "queue/queue.h"

#define ENV_MAGIC	"postern-envelope 1"
#define STATE_MAGIC	"postern-state 1"
#define IO_BLOCK	(64 * 1024)
#define ID_TRIES	10

static int	put_line(struct buf *, const char *, const char *);
static int	put_num(struct buf *, const char *, long long);
static int	has_ctl(const char *, size_t);
static int	next_line(const char **, const char *, const char **,
		    size_t *, const char **, size_t *);
static int	get_value(struct buf *, const char *, size_t);
static int	get_time(const char *, size_t, time_t *);
static int	get_uint(const char *, size_t, unsigned *);
static int	setstr(char **, const char *);
static int	flush_out(struct queue_inject *);
static int	opendir_at(int, const char *);

/*
 * Small helpers
 */

static int
setstr(char **dst, const char *s)
{
	char *p = NULL;

	if (s != NULL && (p = strdup(s)) == NULL)
		return -1;
	free(*dst);
	*dst = p;
	return 0;
}

int
queue_set_error(char **dst, const char *s)
{
	return setstr(dst, s);
}

/* Any control byte (< 0x20, 0x7f) in s[0..n)? */
static int
has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

int
queue_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '%') {
			if (buf_putc(b, '%') == -1 ||
			    buf_putc(b, hex[c >> 4]) == -1 ||
			    buf_putc(b, hex[c & 15]) == -1)
				return -1;
		} else if (buf_putc(b, c) == -1)
			return -1;
	}
	return 0;
}

int
queue_unescape(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int h, l;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			goto bad;
		if (s[i] != '%') {
			if (buf_putc(b, s[i]) == -1)
				return -1;
			continue;
		}
		if (i + 2 >= n)
			goto bad;
		if ((h = hex_value((unsigned char)s[i + 1])) < 0 ||
		    (l = hex_value((unsigned char)s[i + 2])) < 0 ||
		    (h == 0 && l == 0))	/* no NUL in a value */
			goto bad;
		if (buf_putc(b, h * 16 + l) == -1)
			return -1;
		i += 2;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* "key value\n", the value escaped. */
static int
put_line(struct buf *b, const char *key, const char *val)
{
	if (buf_puts(b, key) == -1 || buf_putc(b, ' ') == -1 ||
	    queue_escape(b, val, strlen(val)) == -1 || buf_putc(b, '\n') == -1)
		return -1;
	return 0;
}

static int
put_num(struct buf *b, const char *key, long long v)
{
	return buf_printf(b, "%s %lld\n", key, v);
}

/*
 * The next line of p[..end): key and value (still escaped).  Returns 1 a
 * line, 0 the empty line, -1 (EINVAL) at the end of the data, for a line
 * without its LF, or a line without a key.
 */
static int
next_line(const char **pp, const char *end, const char **key, size_t *kl,
    const char **val, size_t *vl)
{
	const char *p = *pp, *nl, *sp;

	if (p >= end || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
		errno = EINVAL;
		return -1;
	}
	*pp = nl + 1;
	if (nl == p)
		return 0;
	sp = memchr(p, ' ', (size_t)(nl - p));
	*key = p;
	*kl = (size_t)((sp ? sp : nl) - p);
	*val = sp ? sp + 1 : nl;
	*vl = (size_t)(nl - *val);
	if (*kl == 0) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

static int
keyis(const char *k, size_t kl, const char *name)
{
	return strlen(name) == kl && memcmp(k, name, kl) == 0;
}

static int
get_value(struct buf *b, const char *v, size_t vl)
{
	buf_reset(b);
	if (queue_unescape(b, v, vl) == -1)
		return -1;
	if (b->s == NULL && buf_ready(b, 0) == -1)
		return -1;
	b->s[b->len] = '\0';
	return 0;
}

static int
get_time(const char *v, size_t vl, time_t *t)
{
	char num[32];
	unsigned long x;

	if (vl == 0 || vl >= sizeof(num)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(num, v, vl);
	num[vl] = '\0';
	if (parse_ulong(num, &x, 0, (unsigned long)LLONG_MAX / 2) == -1)
		return -1;
	*t = (time_t)x;
	return 0;
}

static int
get_uint(const char *v, size_t vl, unsigned *u)
{
	time_t t;

	if (get_time(v, vl, &t) == -1)
		return -1;
	if (t > (time_t)UINT_MAX) {
		errno = EINVAL;
		return -1;
	}
	*u = (unsigned)t;
	return 0;
}

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

	if (n == 0 || n > QUEUE_ADDR_MAX || has_ctl(s, n))
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
	return setstr(&e->sender, s);
}

int
queue_env_rcpt(struct queue_env *e, const char *addr)
{
	struct queue_rcpt *r;
	size_t cap;

	if (e->nrcpt >= QUEUE_RCPT_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (e->nrcpt == e->caprcpt) {
		cap = e->caprcpt ? e->caprcpt * 2 : 4;
		if ((r = reallocarray(e->rcpt, cap, sizeof(*r))) == NULL)
			return -1;
		e->rcpt = r;
		e->caprcpt = cap;
	}
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
		return setstr(&e->envid, v);
	case PARAM_NOTIFY:
		rc->notify = pv.u;
		return 0;
	case PARAM_ORCPT:
		return setstr(&rc->orcpt, v);
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
	return put_line(b, param_defs[id].key, tmp->s);
}

/* An index "N" of "rcpt.N.": 0, or -1. */
static int
rcpt_index(const char *s, size_t n, size_t *idx)
{
	size_t i, x = 0;

	if (n == 0 || n > 6 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (size_t)(s[i] - '0');
	}
	*idx = x;
	return 0;
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
	if (has_ctl(v, vl)) {
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
		if (setstr(&e->received_from, v) == -1)
			goto out;
	} else if (strcmp(key.s, "authuser") == 0) {
		if (vl > 255 || !utf8_valid(v, vl)) {
			*why = "authuser too long or not UTF-8";
			goto out;
		}
		if (setstr(&e->authuser, v) == -1)
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
		if (rcpt_index(key.s + 5, (size_t)(dot - key.s - 5), &idx) ==
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

	if (buf_puts(b, ENV_MAGIC "\n") == -1 ||
	    put_num(b, "time", (long long)e->time) == -1 ||
	    put_line(b, "sender", e->sender ? e->sender : "") == -1)
		goto out;
	if ((v.u = e->body) != PARAM_BODY_NONE &&
	    put_param(b, &n, PARAM_BODY, &v) == -1)
		goto out;
	if (e->smtputf8 && put_line(b, "smtputf8", "1") == -1)
		goto out;
	if (e->requiretls && put_line(b, "requiretls", "1") == -1)
		goto out;
	if ((v.u = e->ret) != PARAM_RET_NONE &&
	    put_param(b, &n, PARAM_RET, &v) == -1)
		goto out;
	if (e->envid && put_line(b, "envid", e->envid) == -1)
		goto out;
	if (e->received_from &&
	    put_line(b, "received-from", e->received_from) == -1)
		goto out;
	if (e->authuser && put_line(b, "authuser", e->authuser) == -1)
		goto out;
	if (e->hold_until &&
	    put_num(b, "hold-until", (long long)e->hold_until) == -1)
		goto out;
	for (i = 0; i < e->nrcpt; i++) {
		if (put_line(b, "rcpt", e->rcpt[i].addr) == -1)
			goto out;
		if ((v.u = e->rcpt[i].notify) != 0 &&
		    put_param(b, &n, PARAM_NOTIFY, &v) == -1)
			goto out;
		if (e->rcpt[i].orcpt &&
		    put_line(b, "orcpt", e->rcpt[i].orcpt) == -1)
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

	if (n < sizeof(ENV_MAGIC) ||
	    memcmp(p, ENV_MAGIC "\n", sizeof(ENV_MAGIC)) != 0)
		goto bad;
	p += sizeof(ENV_MAGIC);
	while ((r = next_line(&p, end, &k, &kl, &v, &vl)) == 1) {
		if (get_value(&val, v, vl) == -1)
			goto fail;
		if (keyis(k, kl, "time")) {
			if (get_time(v, vl, &e->time) == -1)
				goto fail;
			have_time = 1;
		} else if (keyis(k, kl, "sender")) {
			if (setstr(&e->sender, val.s) == -1)
				goto fail;
		} else if ((d = param_by_key(k, kl)) != NULL &&
		    (d->where == PARAM_MAIL || cur != NULL)) {
			if (set_param(e, d->where == PARAM_RCPT ? cur : NULL,
			    d, val.s, 0, &why) == -1)
				goto fail;
		} else if (keyis(k, kl, "received-from")) {
			if (setstr(&e->received_from, val.s) == -1)
				goto fail;
		} else if (keyis(k, kl, "authuser")) {
			if (setstr(&e->authuser, val.s) == -1)
				goto fail;
		} else if (keyis(k, kl, "hold-until")) {
			if (get_time(v, vl, &e->hold_until) == -1)
				goto fail;
		} else if (keyis(k, kl, "rcpt")) {
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

/*
 * Queue ids and the retry schedule
 */

int
queue_id_new(struct buf *b)
{
	static unsigned long seq;
	struct timeval tv;

	if (gettimeofday(&tv, NULL) == -1)
		return -1;
	buf_reset(b);
	return buf_printf(b, "%010lld.%06ld.%ld.%lu", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++seq);
}

/* n digits (n > 0: exactly; n < 0: 1 to -n) then c; advance *s. */
static int
digits(const char **s, int n, char c)
{
	const char *p = *s;
	int i = 0, max = n < 0 ? -n : n;

	while (*p >= '0' && *p <= '9' && i < max) {
		p++;
		i++;
	}
	if (i == 0 || (n > 0 && i != n) || *p != c)
		return 0;
	*s = c == '\0' ? p : p + 1;
	return 1;
}

int
queue_id_ok(const char *id)
{
	const char *p = id;

	return strlen(id) <= QUEUE_ID_MAX && digits(&p, 10, '.') &&
	    digits(&p, 6, '.') && digits(&p, -10, '.') &&
	    digits(&p, -20, '\0');
}

time_t
queue_id_time(const char *id)
{
	time_t t = 0;
	int i;

	if (!queue_id_ok(id))
		return 0;
	for (i = 0; i < 10; i++)
		t = t * 10 + (id[i] - '0');
	return t;
}

long
queue_backoff(unsigned attempts)
{
	static const long sched[] = { 900, 1800, 3600, 7200, 14400 };

	if (attempts == 0)
		return 0;
	if (attempts <= sizeof(sched) / sizeof(sched[0]))
		return sched[attempts - 1];
	return 28800;
}

/*
 * The layout
 */

const char *
queue_dir(void)
{
	const char *d = getenv("POSTERN_QUEUE");

	return d != NULL && *d != '\0' ? d : QUEUE_DEFAULT_DIR;
}

/* mkdir with mode (set exactly, past the umask) unless it exists. */
static int
make_dir(const char *path, mode_t mode, int *made)
{
	struct stat st;

	if (mkdir(path, mode & 0777) == 0) {
		*made = 1;
		return chmod(path, mode);
	}
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
queue_create(const char *dir)
{
	static const struct { const char *name; mode_t mode; } subs[] = {
		{ "tmp", QUEUE_MODE_SHARED },
		{ "mess", QUEUE_MODE_SHARED },
		{ "env", QUEUE_MODE_PRIVATE },
	};
	struct buf p = BUF_INIT;
	struct stat st;
	size_t i;
	int made = 0, top = 0, r = -1, save;

	if (dir == NULL)
		dir = queue_dir();
	if (buf_puts(&p, dir) == -1)
		return -1;
	/* the parents as mkdir -p makes them; the queue itself with its mode */
	while (p.len > 1 && p.s[p.len - 1] == '/')
		buf_truncate(&p, p.len - 1);
	if (strrchr(p.s, '/') != NULL && strrchr(p.s, '/') != p.s) {
		*strrchr(p.s, '/') = '\0';
		if (mkdir_p(p.s, 0755) == -1)
			goto out;
		buf_reset(&p);
		if (buf_puts(&p, dir) == -1)
			goto out;
	}
	if (make_dir(p.s, QUEUE_MODE_TOP, &top) == -1)
		goto out;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		buf_reset(&p);
		if (buf_printf(&p, "%s/%s", dir, subs[i].name) == -1 ||
		    make_dir(p.s, subs[i].mode, &made) == -1)
			goto out;
	}
	buf_reset(&p);
	if (buf_printf(&p, "%s/trigger", dir) == -1)
		goto out;
	if (mkfifo(p.s, QUEUE_MODE_TRIGGER) == 0) {
		made = 1;
		if (chmod(p.s, QUEUE_MODE_TRIGGER) == -1)
			goto out;
	} else if (errno != EEXIST)
		goto out;
	else if (lstat(p.s, &st) == -1)
		goto out;
	else if (!S_ISFIFO(st.st_mode)) {
		errno = EEXIST;
		goto out;
	}
	if ((made || top) && fsync_dir(dir) == -1)
		goto out;
	if (top && fsync_parent(dir) == -1)
		goto out;
	r = 0;
out:
	save = errno;
	buf_free(&p);
	errno = save;
	return r;
}

static int
opendir_at(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
queue_open(struct queue *q, const char *dir)
{
	int save;

	memset(q, 0, sizeof(*q));
	q->dfd = q->tmpfd = q->messfd = q->envfd = -1;
	if (dir == NULL)
		dir = queue_dir();
	if ((q->dir = strdup(dir)) == NULL)
		return -1;
	/* env/ is the queue user's alone: an injector (in the queue's
	 * group) needs only tmp/, mess/ and the trigger */
	if ((q->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (q->tmpfd = opendir_at(q->dfd, "tmp")) == -1 ||
	    (q->messfd = opendir_at(q->dfd, "mess")) == -1 ||
	    ((q->envfd = opendir_at(q->dfd, "env")) == -1 &&
	    errno != EACCES)) {
		save = errno;
		queue_close(q);
		errno = save;
		return -1;
	}
	return 0;
}

void
queue_close(struct queue *q)
{
	if (q->dfd != -1)
		close(q->dfd);
	if (q->tmpfd != -1)
		close(q->tmpfd);
	if (q->messfd != -1)
		close(q->messfd);
	if (q->envfd != -1)
		close(q->envfd);
	free(q->dir);
	q->dir = NULL;
	q->dfd = q->tmpfd = q->messfd = q->envfd = -1;
}

int
queue_trigger(struct queue *q, const char *id)
{
	char line[QUEUE_ID_MAX + 2];
	size_t n = 0;
	ssize_t w;
	int fd, save;

	if (id != NULL) {
		n = strlen(id);
		if (n > QUEUE_ID_MAX) {
			errno = EINVAL;
			return -1;
		}
		memcpy(line, id, n);
	}
	line[n++] = '\n';
	fd = openat(q->dfd, "trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return errno == ENXIO ? 0 : -1;	/* ENXIO: no reader */
	/* at most PIPE_BUF bytes: written whole or not at all */
	do
		w = write(fd, line, n);
	while (w == -1 && errno == EINTR);
	save = errno;
	close(fd);
	if (w == -1 && save != EAGAIN) {
		errno = save;
		return -1;
	}
	return 0;
}

/*
 * Injection
 */

/* write_all, with the system's EFBIG (RLIMIT_FSIZE) as EDQUOT: EFBIG
 * means our size limit only. */
static int
put_file(int fd, const void *p, size_t n)
{
	if (write_all(fd, p, n) == -1) {
		if (errno == EFBIG)
			errno = EDQUOT;
		return -1;
	}
	return 0;
}

static int
flush_out(struct queue_inject *i)
{
	if (i->out.len == 0)
		return 0;
	if (put_file(i->fd, i->out.s, i->out.len) == -1)
		return -1;
	buf_reset(&i->out);
	return 0;
}

int
queue_inject_begin(struct queue *q, const struct queue_env *env,
    size_t max, struct queue_inject *i)
{
	struct queue_env e = *env;
	int tries, save;

	i->q = q;
	i->fd = -1;
	i->size = 0;
	i->max = max;
	memset(&i->id, 0, sizeof(i->id));
	memset(&i->out, 0, sizeof(i->out));
	for (tries = 0;; tries++) {
		if (queue_id_new(&i->id) == -1)
			goto fail;
		i->fd = openat(q->tmpfd, i->id.s, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, QUEUE_MODE_MESS);
		if (i->fd != -1)
			break;
		if (errno != EEXIST || tries + 1 >= ID_TRIES)
			goto fail;
	}
	/* the mode is the queue's, whatever the injector's umask */
	e.time = queue_id_time(i->id.s);
	if (fchmod(i->fd, QUEUE_MODE_MESS) == -1 ||
	    buf_ready(&i->out, IO_BLOCK) == -1 ||
	    queue_env_format(&e, &i->out) == -1)
		goto fail;
	return 0;
fail:
	save = errno;
	queue_inject_abort(i);
	errno = save;
	return -1;
}

int
queue_inject_write(struct queue_inject *i, const void *p, size_t n)
{
	size_t total;

	if (size_add(i->size, n, &total) == -1 ||
	    (i->max > 0 && total > i->max)) {
		errno = EFBIG;
		return -1;
	}
	i->size = total;
	if (i->out.len + n > IO_BLOCK) {
		if (flush_out(i) == -1)
			return -1;
		if (n >= IO_BLOCK)
			return put_file(i->fd, p, n);
	}
	return buf_put(&i->out, p, n);
}

int
queue_inject_fd(struct queue_inject *i, int fd)
{
	char b[IO_BLOCK];
	ssize_t r;

	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		if (queue_inject_write(i, b, (size_t)r) == -1)
			return -1;
	}
}

int
queue_inject_commit(struct queue_inject *i, struct buf *id_r)
{
	struct buf id = BUF_INIT;
	int tries, save, r;

	if (flush_out(i) == -1 || fsync(i->fd) == -1)
		goto fail;
	r = close(i->fd);
	i->fd = -1;
	if (r == -1)
		goto fail;
	/* the atomic step: from here the message is queued */
	if (buf_set(&id, i->id.s, i->id.len) == -1)
		goto fail;
	for (tries = 0;; tries++) {
		if (move_noreplace(i->q->tmpfd, i->id.s, i->q->messfd, id.s) ==
		    0)
			break;
		if (errno != EEXIST || tries + 1 >= ID_TRIES)
			goto fail;
		if (queue_id_new(&id) == -1)
			goto fail;
	}
	if (fsync(i->q->messfd) == -1) {
		/* not durable: take it back, the injector will retry */
		save = errno;
		(void)unlinkat(i->q->messfd, id.s, 0);
		errno = save;
		goto fail;
	}
	if (queue_trigger(i->q, id.s) == -1)
		log_debug("%s trigger: %s", id.s, strerror(errno));
	if (id_r != NULL && buf_set(id_r, id.s, id.len) == -1) {
		/* queued all the same */
		buf_reset(id_r);
	}
	buf_free(&id);
	buf_free(&i->out);
	buf_free(&i->id);
	return 0;
fail:
	save = errno;
	buf_free(&id);
	queue_inject_abort(i);
	errno = save;
	return -1;
}

void
queue_inject_abort(struct queue_inject *i)
{
	int save = errno;

	if (i->fd != -1)
		close(i->fd);
	i->fd = -1;
	if (i->id.s != NULL && i->q != NULL)
		(void)unlinkat(i->q->tmpfd, i->id.s, 0);
	buf_free(&i->out);
	buf_free(&i->id);
	errno = save;
}

/*
 * Per-recipient state
 */

static const char *const rnames[] = { "pending", "deferred", "routed",
	"failed" };
static const char *const tnames[] = { "pending", "done", "deferred",
	"failed", "remote" };

const char *
queue_rstate_name(enum queue_rstate s)
{
	return (unsigned)s < 4 ? rnames[s] : "?";
}

const char *
queue_tstate_name(enum queue_tstate s)
{
	return (unsigned)s < 5 ? tnames[s] : "?";
}

int
queue_state_init(struct queue_state *st, size_t n)
{
	st->n = 0;
	st->r = NULL;
	if (n > 0 && (st->r = calloc(n, sizeof(*st->r))) == NULL)
		return -1;
	st->n = n;
	return 0;
}

static void
target_free(struct queue_target *t)
{
	free(t->address);
	free(t->account);
	free(t->error);
}

void
queue_state_free(struct queue_state *st)
{
	size_t i, j;

	for (i = 0; i < st->n; i++) {
		for (j = 0; j < st->r[i].nt; j++)
			target_free(&st->r[i].t[j]);
		free(st->r[i].t);
		free(st->r[i].error);
	}
	free(st->r);
	st->r = NULL;
	st->n = 0;
}

int
queue_state_add_target(struct queue_rstate_rec *r, int remote,
    const char *address, const char *account)
{
	struct queue_target *t;
	size_t cap;

	if (r->nt >= 100000) {
		errno = E2BIG;
		return -1;
	}
	if (r->nt == r->capt) {
		cap = r->capt ? r->capt * 2 : 2;
		if ((t = reallocarray(r->t, cap, sizeof(*t))) == NULL)
			return -1;
		r->t = t;
		r->capt = cap;
	}
	t = &r->t[r->nt];
	memset(t, 0, sizeof(*t));
	t->remote = remote;
	t->state = remote ? QT_REMOTE : QT_PENDING;
	if (setstr(&t->address, address) == -1 ||
	    setstr(&t->account, account) == -1) {
		target_free(t);
		return -1;
	}
	r->nt++;
	return 0;
}

/* The fields common to recipients and targets. */
static int
put_common(struct buf *b, unsigned attempts, time_t last, time_t next,
    const char *error, unsigned dsn)
{
	if ((attempts && put_num(b, "attempts", attempts) == -1) ||
	    (last && put_num(b, "last", (long long)last) == -1) ||
	    (next && put_num(b, "next", (long long)next) == -1) ||
	    (error && put_line(b, "error", error) == -1))
		return -1;
	if (dsn == 0)
		return 0;
	/* the notifications issued, by name: "failed,success,delay" */
	if (buf_puts(b, "dsn ") == -1 ||
	    ((dsn & QDSN_FAILED) && buf_puts(b, "failed,") == -1) ||
	    ((dsn & QDSN_SUCCESS) && buf_puts(b, "success,") == -1) ||
	    ((dsn & QDSN_DELAY) && buf_puts(b, "delay,") == -1))
		return -1;
	b->s[b->len - 1] = '\n';
	return 0;
}

/* "failed,success,delay" to QDSN_* bits: 0, or -1 (EINVAL). */
static int
dsn_parse(const char *s, unsigned *bits)
{
	const char *p, *c;
	size_t n;

	*bits = 0;
	for (p = s;; p = c + 1) {
		c = strchr(p, ',');
		n = c ? (size_t)(c - p) : strlen(p);
		if (n == 6 && memcmp(p, "failed", 6) == 0)
			*bits |= QDSN_FAILED;
		else if (n == 7 && memcmp(p, "success", 7) == 0)
			*bits |= QDSN_SUCCESS;
		else if (n == 5 && memcmp(p, "delay", 5) == 0)
			*bits |= QDSN_DELAY;
		else {
			errno = EINVAL;
			return -1;
		}
		if (c == NULL)
			return 0;
	}
}

int
queue_state_format(const struct queue_state *st, struct buf *b)
{
	const struct queue_rstate_rec *r;
	const struct queue_target *t;
	size_t i, j;

	if (buf_puts(b, STATE_MAGIC "\n") == -1)
		return -1;
	for (i = 0; i < st->n; i++) {
		r = &st->r[i];
		if (r->state == QR_PENDING && r->nt == 0 && r->attempts == 0 &&
		    r->dsn == 0)
			continue;
		if (put_num(b, "rcpt", (long long)i) == -1 ||
		    put_line(b, "state", rnames[r->state]) == -1 ||
		    put_common(b, r->attempts, r->last, r->next, r->error,
		    r->dsn) == -1)
			return -1;
		for (j = 0; j < r->nt; j++) {
			t = &r->t[j];
			if (put_line(b, "target", t->address) == -1 ||
			    put_line(b, "kind", t->remote ? "remote" :
			    "local") == -1 ||
			    (t->account &&
			    put_line(b, "account", t->account) == -1) ||
			    put_line(b, "state", tnames[t->state]) == -1 ||
			    put_common(b, t->attempts, t->last, t->next,
			    t->error, t->dsn) == -1)
				return -1;
		}
	}
	return 0;
}

static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int
queue_state_parse(struct queue_state *st, const char *p, size_t n)
{
	const char *end = p + n, *k, *v;
	struct queue_rstate_rec *r = NULL;
	struct queue_target *t = NULL;
	struct buf val = BUF_INIT;
	size_t kl, vl, idx, next_idx = 0;
	unsigned *attempts, *dsn;
	time_t *last, *next;
	char **error;
	int c, save;

	if (n < sizeof(STATE_MAGIC) ||
	    memcmp(p, STATE_MAGIC "\n", sizeof(STATE_MAGIC)) != 0)
		goto bad;
	p += sizeof(STATE_MAGIC);
	while (p < end) {
		if (next_line(&p, end, &k, &kl, &v, &vl) != 1)
			goto bad;
		if (get_value(&val, v, vl) == -1)
			goto fail;
		if (keyis(k, kl, "rcpt")) {
			if (rcpt_index(val.s, val.len, &idx) == -1 ||
			    idx < next_idx || idx >= st->n)
				goto bad;
			next_idx = idx + 1;
			r = &st->r[idx];
			t = NULL;
			continue;
		}
		if (r == NULL)
			goto bad;
		if (keyis(k, kl, "target")) {
			if (queue_state_add_target(r, 0, val.s, NULL) == -1)
				goto fail;
			t = &r->t[r->nt - 1];
			continue;
		}
		attempts = t ? &t->attempts : &r->attempts;
		last = t ? &t->last : &r->last;
		next = t ? &t->next : &r->next;
		error = t ? &t->error : &r->error;
		dsn = t ? &t->dsn : &r->dsn;
		if (keyis(k, kl, "state")) {
			if (t == NULL) {
				if ((c = name_index(rnames, 4, val.s)) == -1)
					goto bad;
				r->state = (enum queue_rstate)c;
			} else {
				if ((c = name_index(tnames, 5, val.s)) == -1)
					goto bad;
				t->state = (enum queue_tstate)c;
			}
		} else if (keyis(k, kl, "kind") && t != NULL) {
			if (strcmp(val.s, "remote") == 0)
				t->remote = 1;
			else if (strcmp(val.s, "local") == 0)
				t->remote = 0;
			else
				goto bad;
		} else if (keyis(k, kl, "account") && t != NULL) {
			if (setstr(&t->account, val.s) == -1)
				goto fail;
		} else if (keyis(k, kl, "attempts")) {
			if (get_uint(v, vl, attempts) == -1)
				goto fail;
		} else if (keyis(k, kl, "last")) {
			if (get_time(v, vl, last) == -1)
				goto fail;
		} else if (keyis(k, kl, "next")) {
			if (get_time(v, vl, next) == -1)
				goto fail;
		} else if (keyis(k, kl, "error")) {
			if (setstr(error, val.s) == -1)
				goto fail;
		} else if (keyis(k, kl, "dsn")) {
			if (dsn_parse(val.s, dsn) == -1)
				goto fail;
		} else
			goto bad;
	}
	/* a local target needs its account */
	for (idx = 0; idx < st->n; idx++)
		for (kl = 0; kl < st->r[idx].nt; kl++)
			if (!st->r[idx].t[kl].remote &&
			    st->r[idx].t[kl].account == NULL)
				goto bad;
	buf_free(&val);
	return 0;
bad:
	errno = EINVAL;
fail:
	save = errno;
	buf_free(&val);
	errno = save;
	return -1;
}

/*
 * A queued message
 */

int
queue_msg_open(struct queue *q, const char *id, int flags,
    struct queue_msg *m)
{
	struct buf head = BUF_INIT;
	struct stat st;
	size_t used;
	ssize_t r;
	int save, fd;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	queue_env_init(&m->env);
	if (!queue_id_ok(id)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(m->id, id, strlen(id) + 1);
	if ((m->fd = openat(q->messfd, id, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return -1;
	}
	if (flags & QOPEN_LOCK) {
		while (flock(m->fd, LOCK_EX | ((flags & QOPEN_WAIT) ? 0 :
		    LOCK_NB)) == -1) {
			if (errno != EINTR)
				goto fail;
		}
	}
	if (fstat(m->fd, &st) == -1)
		goto fail;
	if (st.st_nlink == 0) {	/* removed (delivered or dropped) */
		queue_msg_close(m);
		return 0;
	}
	/* the head: read until its empty line, bounded */
	for (;;) {
		if (buf_ready(&head, IO_BLOCK) == -1)
			goto fail;
		r = pread(m->fd, head.s + head.len, IO_BLOCK,
		    (off_t)head.len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		head.len += (size_t)r;
		head.s[head.len] = '\0';
		if (r == 0 || memmem(head.s, head.len, "\n\n", 2) != NULL ||
		    head.len > QUEUE_HEAD_MAX)
			break;
	}
	if (queue_env_parse(&m->env, head.s, head.len, &used) == -1)
		goto fail;
	m->off = (off_t)used;
	m->size = st.st_size - m->off;
	if (queue_state_init(&m->st, m->env.nrcpt) == -1)
		goto fail;
	buf_reset(&head);
	if (q->envfd == -1) {
		errno = EACCES;		/* env/ could not be opened */
		goto fail;
	}
	fd = openat(q->envfd, id, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT)
		goto fail;
	if (fd != -1) {
		r = read_all(fd, &head, QUEUE_HEAD_MAX);
		save = errno;
		close(fd);
		errno = save;
		if (r == -1 || queue_state_parse(&m->st, head.s, head.len) ==
		    -1)
			goto fail;
		m->has_state = 1;
	}
	buf_free(&head);
	return 1;
fail:
	save = errno;
	buf_free(&head);
	queue_msg_close(m);
	errno = save;
	return -1;
}

void
queue_msg_close(struct queue_msg *m)
{
	if (m->fd != -1)
		close(m->fd);	/* releases the lock */
	m->fd = -1;
	queue_env_free(&m->env);
	queue_state_free(&m->st);
}

int
queue_msg_rewind(struct queue_msg *m)
{
	return lseek(m->fd, m->off, SEEK_SET) == (off_t)-1 ? -1 : 0;
}

int
queue_msg_save(struct queue *q, struct queue_msg *m)
{
	struct buf text = BUF_INIT, path = BUF_INIT;
	int r = -1, save;

	if (queue_state_format(&m->st, &text) == -1 ||
	    buf_printf(&path, "%s/env/%s", q->dir, m->id) == -1)
		goto out;
	/* tmp in env/, fsync, rename over, fsync env/ (lib/fileio.h) */
	if (atomic_replace(path.s, text.s, text.len, QUEUE_MODE_ENV) == -1)
		goto out;
	m->has_state = 1;
	r = 0;
out:
	save = errno;
	buf_free(&text);
	buf_free(&path);
	errno = save;
	return r;
}

int
queue_msg_remove(struct queue *q, struct queue_msg *m)
{
	/*
	 * From here the message is gone for queue-run, whatever crashes.
	 * The removal is not forced to disk: an fsync of mess/ here would
	 * be a third of queue-run's per-message cost (DESIGN.md section
	 * 10), and only a system crash before the filesystem's next commit
	 * (the next injection's fsync of mess/, or a few seconds) can bring
	 * the file back, to be delivered again: queue-run(8), the
	 * at-most-once window.  Nothing can be lost that way.
	 */
	if (unlinkat(q->messfd, m->id, 0) == -1 && errno != ENOENT)
		return -1;
	if (unlinkat(q->envfd, m->id, 0) == -1 && errno != ENOENT)
		return -1;
	m->has_state = 0;
	return 0;
}

/* ---- queue-inject ------------------------------------------------- */

/* Log the failure and set the reply; returns code. */
static int
inject_fail(struct buf *reply, int code, const char *text, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_FATAL, fmt, ap);
	va_end(ap);
	(void)buf_set(reply, text, strlen(text));
	return code;
}

/* queue-maxsize, else smtp-maxsize, else 50 MiB; 0 is no limit. */
static int
inject_max(size_t *max, const char **name)
{
	unsigned long v = QUEUE_DEFAULT_MAXSIZE;
	int r;

	*name = "queue-maxsize";
	if ((r = control_ulong(*name, &v, 0, (unsigned long)SIZE_MAX)) == 0) {
		*name = "smtp-maxsize";
		r = control_ulong(*name, &v, 0, (unsigned long)SIZE_MAX);
	}
	*max = r == 1 ? (size_t)v : QUEUE_DEFAULT_MAXSIZE;
	return r;
}

/* The option argument of argv[*i] ("-fX" or "-f X"), or NULL. */
static const char *
inject_optarg(int argc, char *const argv[], int *i)
{
	if (argv[*i][2] != '\0')
		return argv[*i] + 2;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int
queue_inject_run(int argc, char *const argv[], int fd, const void *mem,
    size_t len, struct buf *id_r, struct buf *reply)
{
	struct queue_env env;
	struct queue_inject inj;
	struct queue q;
	const char *sender = NULL, *why, *arg, *name;
	const char **opts = NULL;
	size_t max, nopt = 0, j;
	int i, code = 0, r;
	char opt;

	queue_env_init(&env);
	if ((opts = calloc((size_t)argc + 1, sizeof(*opts))) == NULL) {
		code = inject_fail(reply, EXIT_TEMP, "451 4.3.0 out of memory",
		    "out of memory");
		goto out;
	}
	/* options first, as getopt(3) takes "f:o:", then "--" or not */
	for (i = 1; i < argc; i++) {
		opt = argv[i][0] == '-' ? argv[i][1] : '\0';
		if (opt == '\0')
			break;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if ((opt != 'f' && opt != 'o') ||
		    (arg = inject_optarg(argc, argv, &i)) == NULL) {
			code = QUEUE_INJECT_USAGE;
			goto out;
		}
		if (opt == 'f')
			sender = arg;
		else
			opts[nopt++] = arg;
	}
	if (sender == NULL || i >= argc) {
		code = QUEUE_INJECT_USAGE;
		goto out;
	}
	if (queue_env_sender(&env, sender) == -1) {
		code = inject_fail(reply, EXIT_TEMP, "451 4.3.0 out of memory",
		    "out of memory");
		goto out;
	}
	for (; i < argc; i++)
		if (queue_env_rcpt(&env, argv[i]) == -1) {
			if (errno == E2BIG)
				code = inject_fail(reply, EXIT_PERM,
				    "552 5.5.3 too many recipients",
				    "more than %d recipients", QUEUE_RCPT_MAX);
			else
				code = inject_fail(reply, EXIT_TEMP,
				    "451 4.3.0 out of memory", "out of memory");
			goto out;
		}
	/* per-recipient options name recipients: after them */
	for (j = 0; j < nopt; j++)
		if (queue_env_option(&env, opts[j], &why) == -1) {
			if (why == NULL)
				code = inject_fail(reply, EXIT_TEMP,
				    "451 4.3.0 out of memory", "out of memory");
			else
				code = inject_fail(reply, EXIT_PERM,
				    "501 5.5.4 invalid parameter",
				    "bad option %s: %s", opts[j], why);
			goto out;
		}
	if (queue_env_check(&env, &why) == -1) {
		code = inject_fail(reply, EXIT_PERM,
		    "553 5.1.3 bad address syntax", "%s", why);
		goto out;
	}
	if ((r = inject_max(&max, &name)) == -1) {
		code = inject_fail(reply, EXIT_TEMP,
		    "451 4.3.5 system incorrectly configured",
		    "bad control file %s/%s: %s", control_dir(), name,
		    strerror(errno));
		goto out;
	}
	if (queue_open(&q, NULL) == -1) {
		if (errno == ENOENT)
			code = inject_fail(reply, EXIT_TEMP,
			    "451 4.3.0 queue unavailable",
			    "queue %s has no tmp/, mess/ and env/: "
			    "run queue init", queue_dir());
		else
			code = inject_fail(reply, EXIT_TEMP,
			    "451 4.3.0 queue unavailable",
			    "unable to open queue %s: %s", queue_dir(),
			    strerror(errno));
		goto out;
	}
	if (queue_inject_begin(&q, &env, max, &inj) == -1) {
		code = inject_fail(reply, EXIT_TEMP,
		    "451 4.3.0 queue unavailable",
		    "unable to create a file in %s/tmp: %s", q.dir,
		    strerror(errno));
		goto close;
	}
	if ((fd != -1 ? queue_inject_fd(&inj, fd) :
	    queue_inject_write(&inj, mem, len)) == -1) {
		int save = errno;

		queue_inject_abort(&inj);
		if (save == EFBIG)
			/* RFC 1870 6.2, RFC 3463 X.3.4 */
			code = inject_fail(reply, EXIT_PERM,
			    "552 5.3.4 message too big",
			    "message larger than %zu bytes", max);
		else
			code = inject_fail(reply, EXIT_TEMP,
			    "451 4.3.0 queue unavailable",
			    "unable to write the message to %s/tmp: %s",
			    q.dir, strerror(save));
		goto close;
	}
	if (queue_inject_commit(&inj, id_r) == -1) {
		code = inject_fail(reply, EXIT_TEMP,
		    "451 4.3.0 queue unavailable",
		    "unable to queue the message in %s: %s", q.dir,
		    strerror(errno));
		goto close;
	}
	log_info("%s queued from=<%s> rcpts=%zu size=%zu", id_r->s, sender,
	    env.nrcpt, inj.size);
close:
	queue_close(&q);
out:
	queue_env_free(&env);
	free(opts);
	return code;
}
