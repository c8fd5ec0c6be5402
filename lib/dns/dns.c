/* dns: lookups over libunbound (dns.h). */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <idn2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>
#include <unistd.h>

#include "base/array.h"
#include "base/buf.h"
#include "base/control.h"
#include "base/num.h"
#include "dns/dns.h"

/* A query in flight. */
struct query {
	int		 id;		/* ours, > 0; 0: a free entry */
	int		 ub_id;		/* unbound's async id */
	int		 type;
	dns_callback	 cb;
	void		*arg;
	struct dns	*dns;
};

struct dns {
	struct ub_ctx	*ctx;
	struct query	**q;		/* in flight (each allocated: unbound
					 * holds its address) */
	size_t		 nq, capq;
	int		 next_id;
};

static void	ub_done(void *, int, struct ub_result *);

const char *
dns_status_str(enum dns_status s)
{
	static const char *const names[] = {
		[DNS_OK] = "ok", [DNS_NODATA] = "nodata",
		[DNS_NXDOMAIN] = "nxdomain", [DNS_SERVFAIL] = "servfail",
		[DNS_TIMEOUT] = "timeout", [DNS_BADNAME] = "badname",
		[DNS_ERROR] = "error",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] :
	    "error";
}

/* ---- configuration ------------------------------------------------ */

/* Forward to each IP[@PORT] of the n NUL-terminated strings at s. */
static int
set_forwarders(struct ub_ctx *ctx, const char *s, size_t n, const char **why)
{
	size_t i;

	if (n == 0) {
		*why = "no resolver address";
		return -1;
	}
	for (i = 0; i < n; i++, s += strlen(s) + 1)
		if (ub_ctx_set_fwd(ctx, s) != 0) {
			*why = "bad resolver address (IP or IP@PORT)";
			return -1;
		}
	/* a forwarder on loopback is the point of the setting */
	(void)ub_ctx_set_option(ctx, "do-not-query-localhost:", "no");
	return 0;
}

/* The trust anchor file at path, if it exists: validation on. */
static int
set_anchor(struct ub_ctx *ctx, const char *path, int must, const char **why)
{
	if (access(path, R_OK) == -1) {
		if (!must && errno == ENOENT)
			return 0;
		*why = "trust anchor file unreadable";
		return -1;
	}
	if (ub_ctx_add_ta_file(ctx, path) != 0) {
		*why = "bad trust anchor file";
		return -1;
	}
	return 0;
}

/* unbound's own answers for the zones tests use, made transparent */
static int
test_zones(struct ub_ctx *ctx)
{
	static const char *const zones[] = {
		"test.", "invalid.", "10.in-addr.arpa.", "168.192.in-addr.arpa.",
		"2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
		"113.0.203.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.",
		"d.f.ip6.arpa.",
	};
	char z[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		snprintf(z, sizeof(z), "%s transparent", zones[i]);
		if (ub_ctx_set_option(ctx, "local-zone:", z) != 0)
			return -1;
	}
	for (n = 16; n < 32; n++) {	/* 172.16.0.0/12 */
		snprintf(z, sizeof(z), "%d.172.in-addr.arpa. transparent", n);
		if (ub_ctx_set_option(ctx, "local-zone:", z) != 0)
			return -1;
	}
	return 0;
}

/* POSTERN_RESOLVER, else dns-forward, else resolv.conf; the anchor. */
static int
configure(struct ub_ctx *ctx, const char **why)
{
	struct buf b = BUF_INIT;
	const char *env = getenv("POSTERN_RESOLVER"), *ta;
	size_t n;
	int r, ret = -1;

	ta = getenv("POSTERN_TRUST_ANCHOR");
	if (env != NULL && *env != '\0') {
		/* tests: no validation unless an anchor is given too; and
		 * the names unbound answers itself (RFC 6761 .test and
		 * .invalid, the reverse zones of RFC 1918 and of the
		 * documentation ranges of RFC 5737 and RFC 3849) go to the
		 * test server like any other */
		if (test_zones(ctx) == -1) {
			*why = "unable to set up the resolver";
			goto out;
		}
		if (set_forwarders(ctx, env, 1, why) == -1 ||
		    (ta != NULL && *ta != '\0' &&
		    set_anchor(ctx, ta, 1, why) == -1))
			goto out;
		ret = 0;
		goto out;
	}
	if ((r = control_lines("dns-forward", &b, &n)) == -1) {
		*why = "control file dns-forward unreadable";
		goto out;
	}
	if (r == 1) {
		if (set_forwarders(ctx, b.s, n, why) == -1)
			goto out;
	} else if (ub_ctx_resolvconf(ctx, NULL) != 0) {
		*why = "unable to read /etc/resolv.conf";
		goto out;
	}
	if ((r = control_line("dns-trust-anchor", &b)) == -1) {
		*why = "control file dns-trust-anchor unreadable";
		goto out;
	}
	if (set_anchor(ctx, r == 1 ? b.s : DNS_ROOT_KEY, r == 1, why) == -1)
		goto out;
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

struct dns *
dns_open(const char **why)
{
	struct dns *d;

	*why = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if ((d->ctx = ub_ctx_create()) == NULL) {
		*why = "unable to create a resolver";
		free(d);
		return NULL;
	}
	/* answers through a thread, not a forked process (ub_ctx_async) */
	if (ub_ctx_async(d->ctx, 1) != 0 || configure(d->ctx, why) == -1) {
		if (*why == NULL)
			*why = "unable to set up the resolver";
		ub_ctx_delete(d->ctx);
		free(d);
		return NULL;
	}
	return d;
}

void
dns_close(struct dns *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nq; i++) {
		(void)ub_cancel(d->ctx, d->q[i]->ub_id);
		free(d->q[i]);
	}
	free(d->q);
	ub_ctx_delete(d->ctx);
	free(d);
}

/* ---- names -------------------------------------------------------- */

int
dns_name_ascii(const char *name, struct buf *out)
{
	const unsigned char *p;
	char *a = NULL;
	size_t len, lab;
	int ascii = 1;

	buf_reset(out);
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p >= 0x80)
			ascii = 0;
	if (!ascii) {
		/* RFC 5891 4: U-labels to A-labels; transitional processing
		 * off (IDNA 2008), lower case */
		if (idn2_to_ascii_8z(name, &a, IDN2_NONTRANSITIONAL) !=
		    IDN2_OK) {
			errno = EINVAL;
			return -1;
		}
		name = a;
	}
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	/* RFC 1035 2.3.4: 63 octets a label, 255 a name (253 as text) */
	if (len == 0 || len > DNS_NAME_MAX)
		goto bad;
	for (p = (const unsigned char *)name, lab = 0; p < (const unsigned
	    char *)name + len; p++) {
		if (*p == '.') {
			if (lab == 0)
				goto bad;
			lab = 0;
		} else if (++lab > 63)
			goto bad;
	}
	if (buf_put(out, name, len) == -1) {
		free(a);
		return -1;
	}
	for (lab = 0; lab < out->len; lab++)
		if (out->s[lab] >= 'A' && out->s[lab] <= 'Z')
			out->s[lab] += 'a' - 'A';
	free(a);
	return 0;
bad:
	free(a);
	errno = EINVAL;
	return -1;
}

int
dns_ptr_name(const char *ip, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	int i;

	buf_reset(out);
	if (inet_pton(AF_INET, ip, a) == 1)
		/* RFC 1035 3.5 */
		return buf_printf(out, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2],
		    a[1], a[0]);
	if (inet_pton(AF_INET6, ip, a) != 1) {
		errno = EINVAL;
		return -1;
	}
	/* RFC 3596 2.5: nibbles, least significant first */
	for (i = 15; i >= 0; i--)
		if (buf_printf(out, "%c.%c.", hex[a[i] & 0xf], hex[a[i] >> 4]) ==
		    -1)
			return -1;
	return buf_puts(out, "ip6.arpa");
}

/* ---- answers ------------------------------------------------------ */

/* A wire-format name at p (n bytes, uncompressed as unbound gives it)
 * as text in out, no final dot; unusual bytes as \DDD. */
static int
wire_name(const unsigned char *p, size_t n, struct buf *out)
{
	size_t i = 0, l, j;

	buf_reset(out);
	while (i < n && p[i] != 0) {
		l = p[i++];
		if (l > 63 || i + l > n) {
			errno = EINVAL;
			return -1;
		}
		if (out->len > 0 && buf_putc(out, '.') == -1)
			return -1;
		for (j = 0; j < l; j++) {
			unsigned char c = p[i + j];

			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
				if (buf_putc(out, (char)c) == -1)
					return -1;
			} else if (buf_printf(out, "\\%03u", c) == -1)
				return -1;
		}
		i += l;
	}
	if (i >= n) {
		errno = EINVAL;		/* no root label */
		return -1;
	}
	return buf_ready(out, 1);
}

/* Parse one rdata item of the answer's type into rr. */
static int
parse_rr(int type, const unsigned char *p, size_t n, struct dns_rr *rr)
{
	struct buf t = BUF_INIT;
	char ip[INET6_ADDRSTRLEN];
	size_t i, l;

	rr->type = type;
	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (n != (type == DNS_T_A ? 4u : 16u))
			goto bad;
		memcpy(rr->addr, p, n);
		if (inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, p, ip,
		    sizeof(ip)) == NULL || buf_puts(&t, ip) == -1)
			goto fail;
		break;
	case DNS_T_MX:
		if (n < 3)
			goto bad;
		rr->pref = (unsigned)p[0] << 8 | p[1];
		if (wire_name(p + 2, n - 2, &t) == -1)
			goto fail;
		break;
	case DNS_T_PTR:
	case DNS_T_CNAME:
		if (wire_name(p, n, &t) == -1)
			goto fail;
		break;
	case DNS_T_TXT:
		/* RFC 7208 3.3: the character-strings are joined, no
		 * space between them */
		for (i = 0; i < n; i += l) {
			l = p[i++];
			if (i + l > n)
				goto bad;
			if (buf_put(&t, p + i, l) == -1)
				goto fail;
		}
		if (buf_ready(&t, 1) == -1)
			goto fail;
		break;
	case DNS_T_TLSA:
		/* RFC 6698 2.1: usage, selector, matching type, data */
		if (n < 3)
			goto bad;
		rr->usage = p[0];
		rr->selector = p[1];
		rr->mtype = p[2];
		rr->dlen = n - 3;
		if ((rr->data = malloc(rr->dlen + 1)) == NULL)
			goto fail;
		memcpy(rr->data, p + 3, rr->dlen);
		return 0;
	default:
		if ((rr->data = malloc(n + 1)) == NULL)
			goto fail;
		memcpy(rr->data, p, n);
		rr->dlen = n;
		return 0;
	}
	rr->text = t.s;		/* the buffer's bytes, NUL-terminated */
	rr->len = t.len;
	return 0;
bad:
	errno = EINVAL;
fail:
	buf_free(&t);
	return -1;
}

void
dns_answer_free(struct dns_answer *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->rr[i].text);
		free(a->rr[i].data);
	}
	free(a->rr);
	free(a->canon);
	memset(a, 0, sizeof(*a));
}

/* The answer for unbound's result (freed here); -1 out of memory. */
static int
make_answer(int type, int err, struct ub_result *res, struct dns_answer *a)
{
	size_t n, i, len;

	memset(a, 0, sizeof(*a));
	a->type = type;
	if (err != 0) {
		a->status = DNS_ERROR;
		a->why = ub_strerror(err);
		return 0;
	}
	a->rcode = res->rcode;
	a->sec = res->secure ? DNS_SECURE : res->bogus ? DNS_BOGUS :
	    DNS_INSECURE;
	if (res->bogus) {
		/* a forged or broken answer is no answer */
		a->status = DNS_SERVFAIL;
		a->why = "DNSSEC validation failed";
	} else if (res->rcode == 3 || res->nxdomain)
		a->status = DNS_NXDOMAIN;
	else if (res->rcode != 0)
		a->status = DNS_SERVFAIL;
	else if (!res->havedata)
		a->status = DNS_NODATA;
	else
		a->status = DNS_OK;
	if (res->canonname != NULL && (len = strlen(res->canonname)) > 0) {
		if ((a->canon = strdup(res->canonname)) == NULL)
			goto nomem;
		if (a->canon[len - 1] == '.')
			a->canon[len - 1] = '\0';
	}
	if (a->status == DNS_OK) {
		for (n = 0; res->data[n] != NULL; n++)
			;
		if ((a->rr = calloc(n, sizeof(*a->rr))) == NULL)
			goto nomem;
		for (i = 0; i < n; i++) {
			if (parse_rr(type, (const unsigned char *)res->data[i],
			    (size_t)res->len[i], &a->rr[a->n]) == -1) {
				if (errno == ENOMEM)
					goto nomem;
				continue;	/* a malformed record: skipped */
			}
			a->rr[a->n++].ttl = (uint32_t)res->ttl;
		}
		if (a->n == 0)
			a->status = DNS_NODATA;
	}
	ub_resolve_free(res);
	return 0;
nomem:
	ub_resolve_free(res);
	dns_answer_free(a);
	a->status = DNS_ERROR;
	a->why = "out of memory";
	errno = ENOMEM;
	return -1;
}

/* ---- queries ------------------------------------------------------ */

static void
drop_query(struct dns *d, struct query *q)
{
	size_t i;

	for (i = 0; i < d->nq; i++)
		if (d->q[i] == q) {
			d->q[i] = d->q[--d->nq];
			break;
		}
	free(q);
}

/* unbound's callback: the answer to one of ours */
static void
ub_done(void *arg, int err, struct ub_result *res)
{
	struct query *q = arg;
	struct dns_answer a;
	dns_callback cb = q->cb;
	void *cbarg = q->arg;
	int type = q->type;

	drop_query(q->dns, q);
	(void)make_answer(type, err, res, &a);
	cb(cbarg, &a);
}

int
dns_submit(struct dns *d, const char *name, int type, dns_callback cb,
    void *arg)
{
	struct buf n = BUF_INIT;
	struct query *q, **v;
	int r;

	if (dns_name_ascii(name, &n) == -1) {
		buf_free(&n);
		return -1;
	}
	if ((v = array_ready(d->q, &d->capq, d->nq + 1, sizeof(*d->q))) ==
	    NULL || (q = calloc(1, sizeof(*q))) == NULL) {
		buf_free(&n);
		return -1;
	}
	d->q = v;
	if (++d->next_id <= 0)
		d->next_id = 1;
	q->id = d->next_id;
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->dns = d;
	d->q[d->nq++] = q;
	r = ub_resolve_async(d->ctx, n.s, type, 1 /* IN */, q, ub_done,
	    &q->ub_id);
	buf_free(&n);
	if (r != 0) {
		drop_query(d, q);
		errno = EIO;
		return -1;
	}
	return q->id;
}

static struct query *
find_query(struct dns *d, int id)
{
	size_t i;

	for (i = 0; i < d->nq; i++)
		if (d->q[i]->id == id)
			return d->q[i];
	return NULL;
}

int
dns_cancel(struct dns *d, int id)
{
	struct query *q = find_query(d, id);

	if (q == NULL) {
		errno = ENOENT;
		return -1;
	}
	(void)ub_cancel(d->ctx, q->ub_id);
	drop_query(d, q);
	return 0;
}

int
dns_fd(struct dns *d)
{
	return ub_fd(d->ctx);
}

int
dns_process(struct dns *d)
{
	return ub_process(d->ctx) == 0 ? 0 : (errno = EIO, -1);
}

int
dns_pending(const struct dns *d)
{
	return (int)d->nq;
}

/* Every query still out gets DNS_TIMEOUT. */
static void
time_out_all(struct dns *d)
{
	struct dns_answer a;
	struct query *q;
	dns_callback cb;
	void *arg;

	while (d->nq > 0) {
		q = d->q[d->nq - 1];
		(void)ub_cancel(d->ctx, q->ub_id);
		memset(&a, 0, sizeof(a));
		a.status = DNS_TIMEOUT;
		a.type = q->type;
		cb = q->cb;
		arg = q->arg;
		drop_query(d, q);
		cb(arg, &a);
	}
}

int
dns_wait(struct dns *d, int timeout_ms)
{
	struct pollfd pfd = { .fd = ub_fd(d->ctx), .events = POLLIN };
	long end = now_ms() + timeout_ms, left;
	int n;

	while (d->nq > 0) {
		left = end - now_ms();
		if (left <= 0) {
			n = (int)d->nq;
			time_out_all(d);
			return n;
		}
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			return -1;
		if (ub_process(d->ctx) != 0) {
			errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* dns_query's callback: the answer into the caller's struct */
struct sync {
	struct dns_answer *a;
	int		 done;
};

static void
sync_done(void *arg, struct dns_answer *a)
{
	struct sync *s = arg;

	*s->a = *a;
	s->done = 1;
}

int
dns_query(struct dns *d, const char *name, int type, int timeout_ms,
    struct dns_answer *a)
{
	struct pollfd pfd = { .fd = ub_fd(d->ctx), .events = POLLIN };
	struct sync s = { a, 0 };
	long end, left;
	int id;

	memset(a, 0, sizeof(*a));
	a->type = type;
	if (timeout_ms <= 0)
		timeout_ms = DNS_TIMEOUT_MS;
	end = now_ms() + timeout_ms;
	if ((id = dns_submit(d, name, type, sync_done, &s)) == -1) {
		if (errno == ENOMEM)
			return -1;
		a->status = errno == EINVAL ? DNS_BADNAME : DNS_ERROR;
		a->why = errno == EINVAL ? "not a name" : "resolver failed";
		return 0;
	}
	while (!s.done) {
		left = end - now_ms();
		if (left <= 0) {
			(void)dns_cancel(d, id);
			memset(a, 0, sizeof(*a));
			a->type = type;
			a->status = DNS_TIMEOUT;
			return 0;
		}
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			break;
		if (ub_process(d->ctx) != 0)
			break;
	}
	if (!s.done) {
		(void)dns_cancel(d, id);
		memset(a, 0, sizeof(*a));
		a->type = type;
		a->status = DNS_ERROR;
		a->why = "resolver failed";
	}
	return a->status == DNS_ERROR && a->why != NULL &&
	    strcmp(a->why, "out of memory") == 0 ? -1 : 0;
}
