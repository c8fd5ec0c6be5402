#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/array.h"
#include "mail/addr.h"
#include "mail/codec.h"
#include "mail/msg.h"

/* A cursor over unfolded text. */
struct lx {
	const char *s;
	size_t n, i;
	struct addr_err *err;
};

/* What a run of words (RFC 5322 3.2.5 phrase or 3.4.1 local-part) was. */
struct words {
	size_t nwords;
	int want_word; /* local-part: word ("." word)* */
	int local_ok;
};

struct ctx {
	struct lx x;
	struct addr_list *l;
	unsigned flags;
	struct buf name, local, dom, tmp;
};

static int fail(struct lx *, size_t, const char *);
static int nomem(struct lx *);
static int unexpected(struct lx *, const char *);
static int no_ws_ctl(unsigned char);
static int wsp(unsigned char);
static int dot_atom(const char *, size_t);
static int lx_utf8(struct lx *, struct buf *);
static int lx_cfws(struct lx *);
static int lx_qpair(struct lx *, struct buf *);
static int lx_atom(struct lx *, struct buf *);
static int lx_qstring(struct lx *, struct buf *);
static int lx_dliteral(struct lx *, struct buf *);
static int lx_words(struct lx *, struct words *, struct buf *, struct buf *);
static int lx_domain(struct lx *, struct buf *, unsigned *);
static void collapse(struct buf *);
static char *dupmem(const char *, size_t);
static int unfold(struct buf *, const char *, size_t);
static int ctx_start(struct ctx *, const char *, size_t, struct addr_err *);
static void ctx_end(struct ctx *);
static void list_truncate(struct addr_list *, size_t, size_t);
static int list_add(struct ctx *, int, const char *, unsigned);
static int angle_addr(struct ctx *, unsigned *);
static int item(struct ctx *, const char *);
static int group(struct ctx *);
static int smtp_domain(struct lx *, unsigned, unsigned *);
static int smtp_literal(struct lx *);
static int smtp_local(struct lx *, unsigned, unsigned *, struct buf *);
static int smtp_route(struct lx *, unsigned, unsigned *);
static int smtp_mailbox(struct lx *, unsigned, struct addr_path *);
static int smtp_path_addr(struct lx *, unsigned, struct addr_path *);
static int smtp_after_path(struct lx *, struct addr_path *);

static int
fail(struct lx *x, size_t pos, const char *why)
{
	if (x->err != NULL) {
		x->err->pos = pos;
		x->err->why = why;
	}
	errno = EINVAL;
	return -1;
}

static int
nomem(struct lx *x)
{
	int e = errno;

	if (x->err != NULL) {
		x->err->pos = x->i;
		x->err->why = "out of memory";
	}
	errno = e;
	return -1;
}

/* An error at x->i, named after the byte there when it is a bad one. */
static int
unexpected(struct lx *x, const char *why)
{
	unsigned char c;

	if (x->i >= x->n)
		return fail(x, x->i, why);
	c = (unsigned char)x->s[x->i];
	if (c == '\r' || c == '\n')
		return fail(x, x->i, "CR or LF outside a fold");
	if (c == '\0')
		return fail(x, x->i, "NUL byte");
	if (c >= 0x80 && addr_utf8_len(x->s + x->i, x->n - x->i) == 0)
		return fail(x, x->i, "invalid UTF-8");
	return fail(x, x->i, why);
}

int
addr_atext(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c > 0 && c < 0x80 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* RFC 5322 4.1: obs-NO-WS-CTL */
static int
no_ws_ctl(unsigned char c)
{
	return (c >= 1 && c <= 8) || c == 11 || c == 12 ||
	    (c >= 14 && c <= 31) || c == 127;
}

static int
wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 3629 section 4 / RFC 6532 3.1: UTF8-2 / UTF8-3 / UTF8-4 */
size_t
addr_utf8_len(const char *s, size_t n)
{
	uint32_t cp;

	return n > 0 && (unsigned char)s[0] >= 0x80 ? utf8_next(s, n, &cp) :
	    0;
}

/* RFC 5322 3.2.3 dot-atom-text, with RFC 6532 3.2 UTF-8 */
static int
dot_atom(const char *s, size_t n)
{
	size_t i = 0, k;
	int want = 1; /* an atext is wanted next */

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (want)
				return 0;
			want = 1;
			i++;
			continue;
		}
		if (c >= 0x80) {
			if ((k = addr_utf8_len(s + i, n - i)) == 0)
				return 0;
			i += k;
		} else if (addr_atext(c))
			i++;
		else
			return 0;
		want = 0;
	}
	return n > 0 && !want;
}

/* A UTF8-non-ascii character at x->i, appended to b (if not NULL). */
static int
lx_utf8(struct lx *x, struct buf *b)
{
	size_t k = addr_utf8_len(x->s + x->i, x->n - x->i);

	if (k == 0)
		return fail(x, x->i, "invalid UTF-8");
	if (b != NULL && buf_put(b, x->s + x->i, k) == -1)
		return nomem(x);
	x->i += k;
	return 0;
}

/*
 * RFC 5322 3.2.1 quoted-pair = "\" (VCHAR / WSP) / obs-qp, RFC 6532 3.2
 * VCHAR =/ UTF8-non-ascii.  obs-qp allows "\" with NUL, CR or LF; those
 * three are refused.  The quoted character is appended to b.
 */
static int
lx_qpair(struct lx *x, struct buf *b)
{
	unsigned char c;

	if (x->i + 1 >= x->n)
		return fail(x, x->i, "'\\' at the end");
	x->i++;
	c = (unsigned char)x->s[x->i];
	if (c >= 0x80)
		return lx_utf8(x, b);
	if (c == '\0' || c == '\r' || c == '\n')
		return unexpected(x, "bad quoted-pair");
	if (b != NULL && buf_putc(b, c) == -1)
		return nomem(x);
	x->i++;
	return 0;
}

int
addr_cfws(const char *s, size_t n, size_t *i, struct addr_err *err)
{
	struct lx x = {s, n, *i, err};
	int r;

	r = lx_cfws(&x);
	*i = x.i;
	return r;
}

/* RFC 5322 3.2.2: CFWS = (1*([FWS] comment) [FWS]) / FWS, unfolded */
static int
lx_cfws(struct lx *x)
{
	size_t start = x->i, open, depth;
	unsigned char c;

	while (x->i < x->n) {
		c = (unsigned char)x->s[x->i];
		if (wsp(c)) {
			x->i++;
			continue;
		}
		if (c != '(')
			break;
		open = x->i;
		depth = 0;
		do {
			if (x->i >= x->n)
				return fail(x, open, "unterminated comment");
			c = (unsigned char)x->s[x->i];
			if (c == '(') {
				if (++depth > ADDR_COMMENT_DEPTH)
					return fail(x, x->i,
					    "comments nested too deep");
				x->i++;
			} else if (c == ')') {
				depth--;
				x->i++;
			} else if (c == '\\') {
				if (lx_qpair(x, NULL) == -1)
					return -1;
			} else if (c >= 0x80) {
				if (lx_utf8(x, NULL) == -1)
					return -1;
			} else if (c >= 33 || wsp(c) || no_ws_ctl(c))
				x->i++; /* ctext, obs-ctext, FWS */
			else
				return unexpected(x, "bad byte in comment");
		} while (depth > 0);
	}
	return x->i > start;
}

/* RFC 5322 3.2.3: atom text (1*atext), appended to b; 0 if none */
static int
lx_atom(struct lx *x, struct buf *b)
{
	size_t start = x->i;
	unsigned char c;

	while (x->i < x->n) {
		c = (unsigned char)x->s[x->i];
		if (c >= 0x80) {
			if (lx_utf8(x, NULL) == -1)
				return -1;
		} else if (addr_atext(c))
			x->i++;
		else
			break;
	}
	if (b != NULL && buf_put(b, x->s + start, x->i - start) == -1)
		return nomem(x);
	return x->i > start;
}

/*
 * RFC 5322 3.2.4 quoted-string at x->i (a '"'): its content, quoted-pairs
 * resolved, FWS kept as blanks (the text is unfolded), appended to b.
 */
static int
lx_qstring(struct lx *x, struct buf *b)
{
	size_t open = x->i;
	unsigned char c;

	x->i++;
	for (;;) {
		if (x->i >= x->n)
			return fail(x, open, "unterminated quoted string");
		c = (unsigned char)x->s[x->i];
		if (c == '"') {
			x->i++;
			return 0;
		}
		if (c == '\\') {
			if (lx_qpair(x, b) == -1)
				return -1;
			continue;
		}
		if (c >= 0x80) {
			if (lx_utf8(x, b) == -1)
				return -1;
			continue;
		}
		/* qtext, obs-qtext (RFC 5322 4.1), FWS */
		if (!(c >= 33 || wsp(c) || no_ws_ctl(c)))
			return unexpected(x, "bad byte in quoted string");
		if (buf_putc(b, c) == -1)
			return nomem(x);
		x->i++;
	}
}

/*
 * RFC 5322 3.4.1 domain-literal at x->i (a '['): "[" *([FWS] dtext) [FWS]
 * "]", appended to b with its brackets and without FWS.  obs-dtext allows
 * quoted-pairs; they are resolved and must give dtext.
 */
static int
lx_dliteral(struct lx *x, struct buf *b)
{
	size_t open = x->i, mark;
	unsigned char c;

	if (buf_putc(b, '[') == -1)
		return nomem(x);
	x->i++;
	for (;;) {
		if (x->i >= x->n)
			return fail(x, open, "unterminated domain literal");
		c = (unsigned char)x->s[x->i];
		if (c == ']') {
			x->i++;
			if (buf_putc(b, ']') == -1)
				return nomem(x);
			return 0;
		}
		if (wsp(c)) {
			x->i++;
			continue;
		}
		if (c == '\\') {
			mark = b->len;
			if (lx_qpair(x, b) == -1)
				return -1;
			c = (unsigned char)b->s[mark];
			if (b->len == mark + 1 &&
			    (c == '[' || c == ']' || c == '\\' || wsp(c)))
				return fail(
				    x, x->i - 2, "quoted-pair is not dtext");
			continue;
		}
		if (c >= 0x80) {
			if (lx_utf8(x, b) == -1)
				return -1;
			continue;
		}
		/* dtext = %d33-90 / %d94-126 / obs-NO-WS-CTL */
		if (c == '[' || !(c >= 33 || no_ws_ctl(c)))
			return unexpected(x, "bad byte in domain literal");
		if (buf_putc(b, c) == -1)
			return nomem(x);
		x->i++;
	}
}

/*
 * A run of words and dots with CFWS between them: RFC 5322 3.2.5 phrase /
 * obs-phrase, or 3.4.1 local-part / obs-local-part; which one it was is
 * known from what follows.  name gets the display form (one blank where
 * there was CFWS), local the local-part content.  Stops before any other
 * byte, CFWS after the last word consumed.
 */
static int
lx_words(struct lx *x, struct words *w, struct buf *name, struct buf *local)
{
	size_t mark;
	int r, sp = 0;
	unsigned char c;

	w->nwords = 0;
	w->want_word = 1;
	w->local_ok = 1;
	buf_reset(name);
	buf_reset(local);
	for (;;) {
		if ((r = lx_cfws(x)) == -1)
			return -1;
		sp |= r;
		if (x->i >= x->n)
			break;
		c = (unsigned char)x->s[x->i];
		if (sp && name->len > 0 && buf_putc(name, ' ') == -1)
			return nomem(x);
		mark = local->len;
		if (c == '.') {
			x->i++;
			if (buf_putc(local, '.') == -1)
				return nomem(x);
			if (w->want_word)
				w->local_ok = 0;
			w->want_word = 1;
		} else if (c == '"' || c >= 0x80 || addr_atext(c)) {
			if (c == '"')
				r = lx_qstring(x, local);
			else
				r = lx_atom(x, local);
			if (r == -1)
				return -1;
			if (!w->want_word)
				w->local_ok = 0;
			w->want_word = 0;
			w->nwords++;
		} else
			break;
		if (buf_put(name, local->s + mark, local->len - mark) == -1)
			return nomem(x);
		sp = 0;
	}
	if (w->nwords == 0 || w->want_word)
		w->local_ok = 0;
	return 0;
}

/*
 * RFC 5322 3.4.1 domain = dot-atom / domain-literal / obs-domain (atoms
 * and dots with CFWS between), CFWS before and after consumed; the
 * canonical form is appended to b.
 */
static int
lx_domain(struct lx *x, struct buf *b, unsigned *flags)
{
	size_t start;
	int r;

	buf_reset(b);
	if (lx_cfws(x) == -1)
		return -1;
	start = x->i;
	if (x->i < x->n && x->s[x->i] == '[') {
		if (lx_dliteral(x, b) == -1)
			return -1;
		*flags |= ADDR_F_LITERAL;
	} else {
		for (;;) {
			if ((r = lx_atom(x, b)) == -1)
				return -1;
			if (r == 0)
				return unexpected(x, "expected a domain");
			if (lx_cfws(x) == -1)
				return -1;
			if (x->i >= x->n || x->s[x->i] != '.')
				break;
			x->i++;
			if (buf_putc(b, '.') == -1)
				return nomem(x);
			if (lx_cfws(x) == -1)
				return -1;
		}
	}
	if (lx_cfws(x) == -1)
		return -1;
	if (b->len > ADDR_DOMAIN_MAX)
		return fail(x, start, "domain too long");
	return 0;
}

/* Blanks: each run made one space, none at either end. */
static void
collapse(struct buf *b)
{
	size_t i, j = 0;
	int sp = 0;

	for (i = 0; i < b->len; i++) {
		if (wsp((unsigned char)b->s[i])) {
			sp = 1;
			continue;
		}
		if (sp && j > 0)
			b->s[j++] = ' ';
		sp = 0;
		b->s[j++] = b->s[i];
	}
	b->len = j;
	if (b->s != NULL)
		b->s[j] = '\0';
}

static char *
dupmem(const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* RFC 5322 2.2.3: unfold; then drop one trailing line ending. */
static int
unfold(struct buf *b, const char *s, size_t n)
{
	if (msg_unfold(b, s, n) == -1)
		return -1;
	if (b->len > 0 && b->s[b->len - 1] == '\n')
		b->len--;
	if (b->len > 0 && b->s[b->len - 1] == '\r')
		b->len--;
	b->s[b->len] = '\0';
	return 0;
}

static void
list_truncate(struct addr_list *l, size_t n, size_t ng)
{
	while (l->n > n) {
		l->n--;
		free(l->v[l->n].name);
		free(l->v[l->n].local);
		free(l->v[l->n].domain);
	}
	while (l->ngroups > ng)
		free(l->groups[--l->ngroups]);
}

void
addr_list_free(struct addr_list *l)
{
	list_truncate(l, 0, 0);
	free(l->v);
	free(l->groups);
	l->v = NULL;
	l->groups = NULL;
	l->cap = l->gcap = 0;
}

/*
 * Add an address from c->name (if has_name), c->local (content) and
 * c->dom (canonical domain).
 */
static int
list_add(struct ctx *c, int has_name, const char *grp, unsigned flags)
{
	struct addr_list *l = c->l;
	struct addr *a;
	size_t i;
	int q;
	void *p;

	if (l->n >= ADDR_MAX) {
		fail(&c->x, c->x.i, "too many addresses");
		errno = E2BIG;
		return -1;
	}
	buf_reset(&c->tmp);
	if ((q = addr_local_canon(&c->tmp, c->local.s, c->local.len)) == -1)
		return nomem(&c->x);
	if (c->tmp.len + 1 + c->dom.len > ADDR_SPEC_MAX)
		return fail(&c->x, c->x.i, "address too long");
	if (q)
		flags |= ADDR_F_QUOTED;
	for (i = 0; i < c->local.len; i++)
		if ((unsigned char)c->local.s[i] >= 0x80)
			flags |= ADDR_F_UTF8;
	for (i = 0; i < c->dom.len; i++)
		if ((unsigned char)c->dom.s[i] >= 0x80)
			flags |= ADDR_F_UTF8;
	if (has_name) {
		collapse(&c->name);
		if (c->name.len > ADDR_NAME_MAX)
			return fail(&c->x, c->x.i, "display name too long");
		if (c->name.len == 0)
			has_name = 0;
	}
	if ((p = array_ready(l->v, &l->cap, l->n + 1, sizeof(*l->v))) ==
	    NULL)
		return nomem(&c->x);
	l->v = p;
	a = &l->v[l->n];
	memset(a, 0, sizeof(*a));
	a->local = dupmem(c->tmp.s, c->tmp.len);
	a->domain = dupmem(c->dom.s, c->dom.len);
	if (has_name)
		a->name = dupmem(c->name.s, c->name.len);
	if (a->local == NULL || a->domain == NULL ||
	    (has_name && a->name == NULL)) {
		free(a->local);
		free(a->domain);
		free(a->name);
		return nomem(&c->x);
	}
	a->group = grp;
	a->flags = flags;
	l->n++;
	return 0;
}

/*
 * RFC 5322 3.4 angle-addr at x->i (a '<'), with 4.4 obs-angle-addr:
 * "<" [obs-route] addr-spec ">", CFWS after consumed.  Fills c->local and
 * c->dom; c->name is left alone.
 */
static int
angle_addr(struct ctx *c, unsigned *flags)
{
	struct lx *x = &c->x;
	struct words w;

	x->i++;
	if (lx_cfws(x) == -1)
		return -1;
	/*
	 * RFC 5322 4.4: obs-route = obs-domain-list ":", obs-domain-list =
	 * *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain])
	 */
	if (x->i < x->n && (x->s[x->i] == '@' || x->s[x->i] == ',')) {
		while (x->i < x->n && x->s[x->i] == ',') {
			x->i++;
			if (lx_cfws(x) == -1)
				return -1;
		}
		for (;;) {
			if (x->i >= x->n || x->s[x->i] != '@')
				return unexpected(x, "bad route");
			x->i++;
			if (lx_domain(x, &c->dom, flags) == -1)
				return -1;
			while (x->i < x->n && x->s[x->i] == ',') {
				x->i++;
				if (lx_cfws(x) == -1)
					return -1;
			}
			if (x->i < x->n && x->s[x->i] == ':')
				break;
		}
		x->i++;
		*flags &= ~ADDR_F_LITERAL;
		*flags |= ADDR_F_ROUTE;
	}
	if (lx_words(x, &w, &c->tmp, &c->local) == -1)
		return -1;
	if (x->i >= x->n || x->s[x->i] != '@')
		return unexpected(
		    x, w.nwords == 0 ? "expected an address" : "expected '@'");
	if (!w.local_ok)
		return fail(x, x->i, "bad local part");
	x->i++;
	if (lx_domain(x, &c->dom, flags) == -1)
		return -1;
	if (x->i >= x->n || x->s[x->i] != '>')
		return unexpected(x, "expected '>'");
	x->i++;
	return lx_cfws(x) == -1 ? -1 : 0;
}

/*
 * RFC 5322 3.4: one address (mailbox or group) at x->i.  grp is the
 * group we are in (or NULL).  CFWS after it consumed.  Returns 1 for a
 * group, 0 for a mailbox, -1 on error.
 */
static int
item(struct ctx *c, const char *grp)
{
	struct lx *x = &c->x;
	struct words w;
	unsigned flags = 0;
	size_t start;

	if (lx_cfws(x) == -1)
		return -1;
	start = x->i;
	if (lx_words(x, &w, &c->name, &c->local) == -1)
		return -1;
	if (x->i >= x->n)
		return fail(x, x->i,
		    w.nwords == 0 ? "expected an address"
				  : "expected '@', '<' or ':'");
	switch (x->s[x->i]) {
	case '<':
		/* name-addr = [display-name] angle-addr */
		if (angle_addr(c, &flags) == -1)
			return -1;
		return list_add(c, 1, grp, flags);
	case '@':
		/* addr-spec = local-part "@" domain */
		if (!w.local_ok)
			return fail(x, start, "bad local part");
		x->i++;
		if (lx_domain(x, &c->dom, &flags) == -1)
			return -1;
		return list_add(c, 0, grp, flags);
	case ':':
		if (grp != NULL)
			return fail(x, x->i, "group inside a group");
		if (c->flags & ADDR_NOGROUP)
			return fail(x, x->i, "group not allowed here");
		if (w.nwords == 0)
			return fail(x, x->i, "group without a name");
		return group(c) == -1 ? -1 : 1;
	}
	return unexpected(x,
	    w.nwords == 0 ? "expected an address" : "expected '@', '<' or ':'");
}

/*
 * RFC 5322 3.4 group = display-name ":" [group-list] ";" [CFWS], with
 * x->i at the ':' and the name in c->name.  4.4 obs-group-list allows
 * empty elements.
 */
static int
group(struct ctx *c)
{
	struct lx *x = &c->x;
	struct addr_list *l = c->l;
	const char *grp;
	void *p;

	collapse(&c->name);
	if (c->name.len > ADDR_NAME_MAX)
		return fail(x, x->i, "group name too long");
	if (l->ngroups >= ADDR_MAX) {
		fail(x, x->i, "too many groups");
		errno = E2BIG;
		return -1;
	}
	if ((p = array_ready(l->groups, &l->gcap, l->ngroups + 1,
	    sizeof(char *))) == NULL)
		return nomem(x);
	l->groups = p;
	if ((l->groups[l->ngroups] = dupmem(c->name.s, c->name.len)) == NULL)
		return nomem(x);
	grp = l->groups[l->ngroups++];
	x->i++;
	for (;;) {
		if (lx_cfws(x) == -1)
			return -1;
		if (x->i >= x->n)
			return fail(x, x->i, "group not ended by ';'");
		if (x->s[x->i] == ';')
			break;
		if (x->s[x->i] == ',') {
			x->i++;
			continue;
		}
		if (item(c, grp) == -1)
			return -1;
		if (x->i < x->n && x->s[x->i] == ';')
			break;
		if (x->i >= x->n || x->s[x->i] != ',')
			return unexpected(x,
			    x->i >= x->n ? "group not ended by ';'"
					 : "expected ',' or ';'");
		x->i++;
	}
	x->i++;
	return lx_cfws(x) == -1 ? -1 : 0;
}

/*
 * Start a parse of the field value s[0..n) in a zeroed ctx: the value
 * unfolded, and a copy of it to parse (c->tmp is reused as scratch).
 * 0, or -1 with the error recorded.
 */
static int
ctx_start(struct ctx *c, const char *s, size_t n, struct addr_err *err)
{
	c->x.err = err;
	if (err != NULL) {
		err->pos = 0;
		err->why = NULL;
	}
	if (unfold(&c->tmp, s, n) == -1 ||
	    (c->x.s = dupmem(c->tmp.s, c->tmp.len)) == NULL) {
		nomem(&c->x);
		return -1;
	}
	c->x.n = c->tmp.len;
	return 0;
}

/* The end of a parse begun by ctx_start: the copy and the buffers freed. */
static void
ctx_end(struct ctx *c)
{
	free((char *)c->x.s);
	buf_free(&c->name);
	buf_free(&c->local);
	buf_free(&c->dom);
	buf_free(&c->tmp);
}

int
addr_parse(struct addr_list *l, const char *s, size_t n, unsigned flags,
    struct addr_err *err)
{
	struct ctx c;
	size_t n0 = l->n, g0 = l->ngroups, items = 0;
	int r = -1, k;

	memset(&c, 0, sizeof(c));
	c.l = l;
	c.flags = flags;
	if (ctx_start(&c, s, n, err) == -1)
		goto out;
	/* RFC 5322 3.4 address-list, 4.4 obs-addr-list (empty elements) */
	for (;;) {
		if (lx_cfws(&c.x) == -1)
			goto out;
		if (c.x.i >= c.x.n)
			break;
		if (c.x.s[c.x.i] == ',') {
			c.x.i++;
			continue;
		}
		if ((k = item(&c, NULL)) == -1)
			goto out;
		items++;
		if (c.x.i >= c.x.n)
			break;
		/*
		 * A group's ';' ends it without doubt, so a missing ','
		 * after it ("A: a@b; B: c@d;") is let through.
		 */
		if (k == 1 && c.x.s[c.x.i] != ',')
			continue;
		if (c.x.s[c.x.i] != ',') {
			unexpected(&c.x, "expected ','");
			goto out;
		}
		c.x.i++;
	}
	if (items == 0) {
		fail(&c.x, c.x.i, "no address");
		goto out;
	}
	r = 0;
out:
	if (r == -1) {
		int e = errno;

		list_truncate(l, n0, g0);
		errno = e;
	}
	ctx_end(&c);
	return r;
}

int
addr_spec(struct buf *b, const struct addr *a)
{
	if (buf_puts(b, a->local) == -1 || buf_putc(b, '@') == -1 ||
	    buf_puts(b, a->domain) == -1)
		return -1;
	return 0;
}

int
addr_local_canon(struct buf *b, const char *s, size_t n)
{
	size_t i;

	/* RFC 5322 3.4.1 / RFC 5321 4.1.2: unquoted when it is a dot-atom */
	if (dot_atom(s, n))
		return buf_put(b, s, n) == -1 ? -1 : 0;
	if (buf_ready(b, n + 2) == -1 || buf_putc(b, '"') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((s[i] == '"' || s[i] == '\\') && buf_putc(b, '\\') == -1)
			return -1;
		if (buf_putc(b, s[i]) == -1)
			return -1;
	}
	return buf_putc(b, '"') == -1 ? -1 : 1;
}

/*
 * SMTP paths: RFC 5321 4.1.2, strict.  No CFWS, no comments, no folding.
 */

static int
let_dig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * RFC 5321 4.1.2 Domain = sub-domain *("." sub-domain), sub-domain =
 * Let-dig [Ldh-str]; RFC 6531 3.3 sub-domain =/ U-label (not checked
 * against IDNA here, only for UTF-8).
 */
static int
smtp_domain(struct lx *x, unsigned flags, unsigned *pflags)
{
	size_t start = x->i, ls;
	unsigned char c;
	int ascii;

	for (;;) {
		ls = x->i;
		ascii = 1;
		while (x->i < x->n) {
			c = (unsigned char)x->s[x->i];
			if (let_dig(c) || c == '-')
				x->i++;
			else if (c >= 0x80) {
				if (!(flags & ADDR_SMTP_UTF8))
					return fail(x, x->i,
					    "non-ASCII address without "
					    "SMTPUTF8");
				if (lx_utf8(x, NULL) == -1)
					return -1;
				ascii = 0;
				*pflags |= ADDR_P_UTF8;
			} else
				break;
		}
		if (x->i == ls)
			return unexpected(x, "expected a domain label");
		if (x->s[ls] == '-' || x->s[x->i - 1] == '-')
			return fail(x, ls,
			    "domain label starts or ends "
			    "with '-'");
		if (ascii && x->i - ls > ADDR_LABEL_MAX)
			return fail(x, ls, "domain label too long");
		if (x->i >= x->n || x->s[x->i] != '.')
			break;
		x->i++;
	}
	/* RFC 5321 4.5.3.1.2 */
	if (x->i - start > ADDR_DOMAIN_MAX)
		return fail(x, start, "domain too long");
	return 0;
}

/* RFC 5321 4.1.3: Snum = 1*3DIGIT, 0 to 255 */
static int
snums(const char *s, size_t n)
{
	size_t i = 0, k;
	int part, v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
		for (k = 0, v = 0; i < n && k < 3 && s[i] >= '0' && s[i] <= '9';
		     i++, k++)
			v = v * 10 + (s[i] - '0');
		if (k == 0 || v > 255)
			return 0;
	}
	return i == n;
}

/*
 * RFC 5321 4.1.3 address-literal at x->i (a '['): IPv4-address-literal
 * or IPv6-address-literal; a General-address-literal needs a registered
 * Standardized-tag, and IANA has none but IPv6, so any other is refused.
 */
static int
smtp_literal(struct lx *x)
{
	size_t open = x->i, len;
	const char *b, *e;
	char ip6[64];
	unsigned char a6[16];

	b = x->s + x->i + 1;
	if ((e = memchr(b, ']', x->n - x->i - 1)) == NULL)
		return fail(x, open, "unterminated address literal");
	len = (size_t)(e - b);
	if (snums(b, len))
		;
	else if (len > 5 && ascii_ncasecmp(b, "IPv6:", 5) == 0) {
		if (len - 5 >= sizeof(ip6))
			return fail(x, open, "bad IPv6 address literal");
		memcpy(ip6, b + 5, len - 5);
		ip6[len - 5] = '\0';
		if (strspn(ip6, "0123456789abcdefABCDEF:.") != len - 5 ||
		    inet_pton(AF_INET6, ip6, a6) != 1)
			return fail(x, open, "bad IPv6 address literal");
	} else if (memchr(b, ':', len) != NULL)
		return fail(x, open, "unknown address literal tag");
	else
		return fail(x, open, "bad address literal");
	x->i += len + 2;
	return 0;
}

/*
 * RFC 5321 4.1.2 Local-part = Dot-string / Quoted-string; RFC 6531 3.3
 * atext and qtextSMTP =/ UTF8-non-ascii.  The content goes to b.
 */
static int
smtp_local(struct lx *x, unsigned flags, unsigned *pflags, struct buf *b)
{
	size_t start = x->i;
	unsigned char c;
	int want = 1;

	if (x->i < x->n && x->s[x->i] == '"') {
		/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE */
		x->i++;
		for (;;) {
			if (x->i >= x->n)
				return fail(
				    x, start, "unterminated quoted string");
			c = (unsigned char)x->s[x->i];
			if (c == '"')
				break;
			if (c == '\\') {
				/* quoted-pairSMTP = %d92 %d32-126 */
				if (x->i + 1 >= x->n)
					return fail(x, x->i, "'\\' at the end");
				c = (unsigned char)x->s[++x->i];
				if (c < 32 || c > 126)
					return unexpected(x, "bad quoted-pair");
			} else if (c >= 0x80) {
				if (!(flags & ADDR_SMTP_UTF8))
					return fail(x, x->i,
					    "non-ASCII address without "
					    "SMTPUTF8");
				*pflags |= ADDR_P_UTF8;
				if (lx_utf8(x, b) == -1)
					return -1;
				continue;
			} else if (c < 32 || c > 126)
				/* qtextSMTP = %d32-33 / %d35-91 / %d93-126 */
				return unexpected(
				    x, "bad byte in quoted string");
			if (buf_putc(b, c) == -1)
				return nomem(x);
			x->i++;
		}
		x->i++;
	} else {
		/* Dot-string = Atom *("." Atom) */
		while (x->i < x->n) {
			c = (unsigned char)x->s[x->i];
			if (c == '.') {
				if (want)
					return fail(x, x->i,
					    "misplaced '.' in local part");
				want = 1;
				x->i++;
			} else if (c >= 0x80) {
				if (!(flags & ADDR_SMTP_UTF8))
					return fail(x, x->i,
					    "non-ASCII address without "
					    "SMTPUTF8");
				*pflags |= ADDR_P_UTF8;
				if (lx_utf8(x, NULL) == -1)
					return -1;
				want = 0;
			} else if (addr_atext(c)) {
				x->i++;
				want = 0;
			} else
				break;
		}
		if (want)
			return unexpected(x,
			    x->i == start ? "expected a local part"
					  : "misplaced '.' in local part");
		if (buf_put(b, x->s + start, x->i - start) == -1)
			return nomem(x);
	}
	/* RFC 5321 4.5.3.1.1 */
	if (x->i - start > ADDR_LOCAL_MAX)
		return fail(x, start, "local part too long");
	return 0;
}

/*
 * RFC 5321 4.1.2 A-d-l = At-domain *("," At-domain) ":", from the '@' at
 * x->i; checked, and ignored (appendix C).
 */
static int
smtp_route(struct lx *x, unsigned flags, unsigned *pflags)
{
	for (;;) {
		x->i++;
		if (smtp_domain(x, flags, pflags) == -1)
			return -1;
		if (x->i < x->n && x->s[x->i] == ',' && x->i + 1 < x->n &&
		    x->s[x->i + 1] == '@') {
			x->i++;
			continue;
		}
		if (x->i < x->n && x->s[x->i] == ':')
			break;
		return unexpected(x, "bad source route");
	}
	x->i++;
	*pflags |= ADDR_P_ROUTE;
	return 0;
}

/* RFC 5321 4.1.2 Mailbox ">" at x->i: its canonical "local@domain" in
 * p->addr, p->at set. */
static int
smtp_mailbox(struct lx *x, unsigned flags, struct addr_path *p)
{
	struct buf local = BUF_INIT;
	size_t dstart;
	int r = -1;

	if (smtp_local(x, flags, &p->flags, &local) == -1)
		goto out;
	if (x->i >= x->n || x->s[x->i] != '@') {
		unexpected(x, "expected '@'");
		goto out;
	}
	x->i++;
	dstart = x->i;
	if (x->i < x->n && x->s[x->i] == '[') {
		if (smtp_literal(x) == -1)
			goto out;
		p->flags |= ADDR_P_LITERAL;
		if (x->i - dstart > ADDR_DOMAIN_MAX) {
			fail(x, dstart, "domain too long");
			goto out;
		}
	} else if (smtp_domain(x, flags, &p->flags) == -1)
		goto out;
	if (x->i >= x->n || x->s[x->i] != '>') {
		unexpected(x, "expected '>'");
		goto out;
	}
	x->i++;
	if (addr_local_canon(&p->addr, local.s, local.len) == -1) {
		nomem(x);
		goto out;
	}
	p->at = p->addr.len;
	if (buf_putc(&p->addr, '@') == -1 ||
	    buf_put(&p->addr, x->s + dstart, x->i - 1 - dstart) == -1) {
		nomem(x);
		goto out;
	}
	r = 0;
out:
	buf_free(&local);
	return r;
}

/*
 * The path after its '<' (at x->i) to its '>' included: "<>", a source
 * route, "<Postmaster>", a mailbox; p->addr, p->at and p->flags set.
 */
static int
smtp_path_addr(struct lx *x, unsigned flags, struct addr_path *p)
{
	if (x->i < x->n && x->s[x->i] == '>') {
		/* RFC 5321 4.1.1.2: the null reverse-path */
		if (!(flags & ADDR_SMTP_NULL))
			return fail(x, 0, "null path not allowed here");
		p->flags |= ADDR_P_NULL;
		x->i++;
		return 0;
	}
	if (x->i < x->n && x->s[x->i] == '@' &&
	    smtp_route(x, flags, &p->flags) == -1)
		return -1;
	/* RFC 5321 4.1.1.3: "<Postmaster>" without a domain */
	if ((flags & ADDR_SMTP_PM) && !(p->flags & ADDR_P_ROUTE) &&
	    x->n - x->i >= 11 &&
	    ascii_ncasecmp(x->s + x->i, "postmaster>", 11) == 0) {
		if (buf_put(&p->addr, x->s + x->i, 10) == -1)
			return nomem(x);
		p->flags |= ADDR_P_PM;
		p->at = 10;
		x->i += 11;
		return 0;
	}
	return smtp_mailbox(x, flags, p);
}

/* After the path (x->i past its '>'): its length, then the end or SP and
 * the parameters, whose offset goes to p->params. */
static int
smtp_after_path(struct lx *x, struct addr_path *p)
{
	/* RFC 5321 4.5.3.1.3: the path with its punctuation */
	if (x->i > ADDR_PATH_MAX)
		return fail(x, 0, "path too long");
	/* RFC 5321 4.1.2: Reverse-path [SP Mail-parameters] */
	if (x->i < x->n) {
		if (x->s[x->i] != ' ')
			return unexpected(x, "expected SP after the path");
		while (x->i < x->n && x->s[x->i] == ' ')
			x->i++;
	}
	p->params = x->i;
	return 0;
}

int
addr_smtp_path(struct addr_path *p, const char *s, size_t n, unsigned flags,
    struct addr_err *err)
{
	struct lx x = {s, n, 0, err};
	int r = -1;

	if (err != NULL) {
		err->pos = 0;
		err->why = NULL;
	}
	buf_reset(&p->addr);
	p->at = 0;
	p->params = n;
	p->flags = 0;
	if (buf_put(&p->addr, "", 0) == -1) /* addr.s is always a string */
		return nomem(&x);
	if (n == 0 || s[0] != '<') {
		fail(&x, 0, "expected '<'");
		goto out;
	}
	x.i = 1;
	if (smtp_path_addr(&x, flags, p) == -1 ||
	    smtp_after_path(&x, p) == -1)
		goto out;
	r = 0;
out:
	if (r == -1) {
		buf_reset(&p->addr);
		p->at = 0;
	}
	return r;
}

void
addr_path_free(struct addr_path *p)
{
	buf_free(&p->addr);
}

/*
 * Message identifiers: RFC 5322 3.6.4.
 */

static void
msgids_truncate(struct addr_msgids *m, size_t n)
{
	while (m->n > n)
		free(m->v[--m->n]);
}

void
addr_msgids_free(struct addr_msgids *m)
{
	msgids_truncate(m, 0);
	free(m->v);
	m->v = NULL;
	m->cap = 0;
}

/*
 * msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS] at x->i (a '<');
 * id-left = dot-atom-text / obs-id-left (local-part), id-right =
 * dot-atom-text / no-fold-literal / obs-id-right (domain).
 */
static int
msgid(struct ctx *c, struct addr_msgids *m)
{
	struct lx *x = &c->x;
	struct words w;
	unsigned flags = 0;
	size_t open = x->i;
	char *id;
	void *p;

	x->i++;
	if (lx_words(x, &w, &c->name, &c->local) == -1)
		return -1;
	if (x->i >= x->n || x->s[x->i] != '@')
		return unexpected(x, "expected '@' in msg-id");
	if (!w.local_ok)
		return fail(x, open, "bad id-left");
	x->i++;
	if (lx_domain(x, &c->dom, &flags) == -1)
		return -1;
	if (x->i >= x->n || x->s[x->i] != '>')
		return unexpected(x, "expected '>'");
	x->i++;
	buf_reset(&c->tmp);
	if (addr_local_canon(&c->tmp, c->local.s, c->local.len) == -1 ||
	    buf_putc(&c->tmp, '@') == -1 ||
	    buf_put(&c->tmp, c->dom.s, c->dom.len) == -1)
		return nomem(x);
	if (c->tmp.len > ADDR_SPEC_MAX)
		return fail(x, open, "msg-id too long");
	if (m->n >= ADDR_MSGID_MAX) {
		fail(x, open, "too many msg-ids");
		errno = E2BIG;
		return -1;
	}
	if ((p = array_ready(m->v, &m->cap, m->n + 1, sizeof(char *))) ==
	    NULL)
		return nomem(x);
	m->v = p;
	if ((id = dupmem(c->tmp.s, c->tmp.len)) == NULL)
		return nomem(x);
	m->v[m->n++] = id;
	return 0;
}

int
addr_msgid_parse(struct addr_msgids *m, const char *s, size_t n, unsigned flags,
    struct addr_err *err)
{
	struct ctx c;
	struct words w;
	size_t n0 = m->n;
	int r = -1;

	memset(&c, 0, sizeof(c));
	if (ctx_start(&c, s, n, err) == -1)
		goto out;
	for (;;) {
		if (lx_cfws(&c.x) == -1)
			goto out;
		if (c.x.i >= c.x.n)
			break;
		if (c.x.s[c.x.i] == '<') {
			if ((flags & ADDR_MSGID_ONE) && m->n > n0) {
				fail(&c.x, c.x.i, "more than one msg-id");
				goto out;
			}
			if (msgid(&c, m) == -1)
				goto out;
			continue;
		}
		/* RFC 5322 4.5.4: obs-references = *(phrase / msg-id) */
		if (flags & ADDR_MSGID_ONE) {
			unexpected(&c.x, "expected '<'");
			goto out;
		}
		if (lx_words(&c.x, &w, &c.name, &c.local) == -1)
			goto out;
		if (w.nwords == 0 && (c.x.i >= c.x.n || c.x.s[c.x.i] != '<')) {
			unexpected(&c.x, "expected '<' or a phrase");
			goto out;
		}
	}
	if ((flags & ADDR_MSGID_ONE) && m->n == n0) {
		fail(&c.x, c.x.i, "no msg-id");
		goto out;
	}
	r = 0;
out:
	if (r == -1) {
		int e = errno;

		msgids_truncate(m, n0);
		errno = e;
	}
	ctx_end(&c);
	return r;
}

int
addr_msgid_new(struct buf *b, const char *host)
{
	static unsigned long counter;
	uint64_t rnd;
	struct tm tm;
	time_t now;
	size_t n = strlen(host);

	/* RFC 5322 3.6.4: id-right = dot-atom-text */
	if (n == 0 || n > ADDR_DOMAIN_MAX || !dot_atom(host, n)) {
		errno = EINVAL;
		return -1;
	}
	if (getentropy(&rnd, sizeof(rnd)) == -1)
		return -1;
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL) {
		errno = EOVERFLOW;
		return -1;
	}
	counter++;
	return buf_printf(b, "<%04d%02d%02d%02d%02d%02d.%ld.%lu.%016llx@%s>",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (long)getpid(), counter, (unsigned long long)rnd, host);
}
