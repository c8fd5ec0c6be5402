#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/cdbtab.h"
#include "base/control.h"
#include "queue/route.h"

int
route_split(const char *addr, struct buf *local, struct buf *domain)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL || at == addr || at[1] == '\0') {
		errno = EINVAL;
		return -1;
	}
	buf_reset(domain);
	if (buf_set(local, addr, (size_t)(at - addr)) == -1 ||
	    buf_puts(domain, at + 1) == -1)
		return -1;
	return 0;
}

/* Look key up in the table conf/NAME.cdb: 1, 0 or -1 (as cdbtab). */
static int
table(const char *name, const char *key, size_t keylen, struct buf *val)
{
	struct buf path = BUF_INIT;
	int r;

	if (control_path(&path, name) == -1)
		return -1;
	r = cdbtab_lookup(path.s, key, keylen, val);
	if (r == -1 && errno == ENOENT)
		r = 0;	/* no such table: nothing in it */
	buf_free(&path);
	return r;
}

static void
lower(struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		b->s[i] = (char)ascii_lower((unsigned char)b->s[i]);
}

struct parts {
	struct buf	 local, domain, key, base;	/* base: w/o detail */
	struct buf	 detail, delim;
	int		 has_detail;
};

static void
parts_free(struct parts *p)
{
	buf_free(&p->local);
	buf_free(&p->domain);
	buf_free(&p->key);
	buf_free(&p->base);
	buf_free(&p->detail);
	buf_free(&p->delim);
}

/*
 * Split addr, lower-cased, into local part and domain, and the local part
 * into base and detail at the subaddress delimiter (RFC 5233 style).
 * Returns 1 for a local domain, 0 for another domain, -1 on error.
 */
static int
parse(const char *addr, struct parts *p)
{
	const char *d;
	size_t i;
	int r;

	memset(p, 0, sizeof(*p));
	if (route_split(addr, &p->local, &p->domain) == -1)
		return -1;
	lower(&p->local);
	lower(&p->domain);
	/* a trailing dot in the domain is the same domain */
	if (p->domain.len > 1 && p->domain.s[p->domain.len - 1] == '.')
		buf_truncate(&p->domain, p->domain.len - 1);
	if ((r = control_line("subaddress-delimiter", &p->delim)) == -1)
		return -1;
	if (r == 0 && buf_puts(&p->delim, "+") == -1)
		return -1;
	if (buf_set(&p->base, p->local.s, p->local.len) == -1)
		return -1;
	for (i = 0; i < p->local.len && p->delim.len > 0; i++) {
		if (strchr(p->delim.s, p->local.s[i]) == NULL || i == 0)
			continue;
		d = p->local.s + i + 1;
		buf_truncate(&p->base, i);
		if (buf_puts(&p->detail, d) == -1)
			return -1;
		p->has_detail = 1;
		break;
	}
	r = table("domains.cdb", p->domain.s, p->domain.len, &p->key);
	buf_reset(&p->key);
	return r;
}

/* Look local@domain, then base@domain, up in a table. */
static int
find(struct parts *p, const char *name, struct buf *val)
{
	int r;

	if (buf_printf(&p->key, "%s@%s", p->local.s, p->domain.s) == -1)
		return -1;
	r = table(name, p->key.s, p->key.len, val);
	buf_reset(&p->key);
	if (r != 0 || !p->has_detail)
		return r;
	if (buf_printf(&p->key, "%s@%s", p->base.s, p->domain.s) == -1)
		return -1;
	r = table(name, p->key.s, p->key.len, val);
	buf_reset(&p->key);
	return r;
}

static int
catchall(struct parts *p, struct buf *val)
{
	int r;

	if (buf_printf(&p->key, "@%s", p->domain.s) == -1)
		return -1;
	r = table("recipients.cdb", p->key.s, p->key.len, val);
	buf_reset(&p->key);
	return r;
}

int
route_classify(const char *addr)
{
	struct parts p;
	struct buf val = BUF_INIT;
	int r;

	if ((r = parse(addr, &p)) == 1) {
		if ((r = find(&p, "aliases.cdb", &val)) == 0 &&
		    (r = find(&p, "recipients.cdb", &val)) == 0)
			r = catchall(&p, &val);
		if (r >= 0)
			r = r ? ROUTE_LOCAL : ROUTE_UNKNOWN;
	} else if (r == 0)
		r = ROUTE_REMOTE;
	parts_free(&p);
	buf_free(&val);
	return r;
}

static int
push(struct route_list *l, enum route_kind k, const char *account,
    const char *address, const char *detail)
{
	struct route_target *t;
	size_t i;

	/*
	 * Duplicates are dropped: a remote address once, a local account
	 * once, however many names or subaddresses led to it (one copy
	 * per mailbox; the first address found stays the target's, and
	 * so its Delivered-To).
	 */
	for (i = 0; i < l->n; i++) {
		t = &l->v[i];
		if (t->kind != k)
			continue;
		if (k == ROUTE_REMOTE && ascii_casecmp(t->address, address) == 0)
			return 0;
		if (k == ROUTE_LOCAL && strcmp(t->account, account) == 0)
			return 0;
	}
	if (l->n >= ROUTE_MAX_TARGETS) {
		errno = E2BIG;
		return -1;
	}
	if ((t = array_ready(l->v, &l->cap, l->n + 1, sizeof(*t))) == NULL)
		return -1;
	l->v = t;
	t = &l->v[l->n];
	memset(t, 0, sizeof(*t));
	t->kind = k;
	if ((account && (t->account = strdup(account)) == NULL) ||
	    (t->address = strdup(address)) == NULL ||
	    (detail && (t->detail = strdup(detail)) == NULL)) {
		free(t->account);
		free(t->address);
		return -1;
	}
	l->n++;
	return 0;
}

/* Trim blanks around s[0..n); return the start, *n adjusted. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* Has addr been expanded as an alias already?  seen holds NUL-ended names. */
static int
visited(const struct buf *seen, const char *addr)
{
	const char *p;

	for (p = seen->s; p != NULL && p < seen->s + seen->len;
	    p += strlen(p) + 1)
		if (strcmp(p, addr) == 0)
			return 1;
	return 0;
}

static int
expand(const char *addr, struct route_list *l, int depth, struct buf *seen)
{
	struct parts p;
	struct buf val = BUF_INIT, one = BUF_INIT;
	const char *s, *e, *t;
	size_t n;
	int r, any = 0;

	/* RFC 5321 3.9.1: alias expansion, bounded against loops */
	if (depth > ROUTE_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	if ((r = parse(addr, &p)) == 0) {
		r = push(l, ROUTE_REMOTE, NULL, addr, NULL) == -1 ? -1 :
		    ROUTE_REMOTE;
		goto out;
	}
	if (r == -1)
		goto out;
	/*
	 * An address already expanded on this path (an alias naming itself,
	 * or a loop a -> b -> a) is looked up in recipients only.
	 */
	r = 0;
	if (!visited(seen, addr) &&
	    (r = find(&p, "aliases.cdb", &val)) == 1) {
		if (seen->len > 64 * 1024) {
			errno = E2BIG;
			r = -1;
			goto out;
		}
		if (buf_put(seen, addr, strlen(addr) + 1) == -1) {
			r = -1;
			goto out;
		}
		for (s = val.s, e = val.s + val.len; s < e; s = t + 1) {
			if ((t = memchr(s, ',', (size_t)(e - s))) == NULL)
				t = e;
			n = (size_t)(t - s);
			s = trim(s, &n);
			if (n == 0)
				continue;
			if (buf_set(&one, s, n) == -1) {
				r = -1;
				goto out;
			}
			r = expand(one.s, l, depth + 1, seen);
			if (r == -1)
				goto out;
			if (r != ROUTE_UNKNOWN)
				any = 1;
		}
		r = any ? ROUTE_LOCAL : ROUTE_UNKNOWN;
		goto out;
	}
	if (r == 0 && (r = find(&p, "recipients.cdb", &val)) == 0)
		r = catchall(&p, &val);
	if (r == 1) {
		r = push(l, ROUTE_LOCAL, val.s, addr,
		    p.has_detail ? p.detail.s : NULL) == -1 ? -1 : ROUTE_LOCAL;
	} else if (r == 0)
		r = ROUTE_UNKNOWN;
out:
	parts_free(&p);
	buf_free(&val);
	buf_free(&one);
	return r;
}

int
route_expand(const char *addr, struct route_list *l)
{
	struct buf seen = BUF_INIT;
	int r;

	r = expand(addr, l, 0, &seen);
	buf_free(&seen);
	return r;
}

void
route_list_free(struct route_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].account);
		free(l->v[i].address);
		free(l->v[i].detail);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int
route_account_ok(const char *s)
{
	size_t i;
	int c;

	if (s == NULL || s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (i >= ROUTE_ACCOUNT_MAX || !((c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}
