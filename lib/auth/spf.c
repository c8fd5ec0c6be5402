/* spf: RFC 7208 check_host(), the record, macros (spf.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/spf.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/num.h"
#include "dns/dns.h"

/* what a mechanism's evaluation gives */
enum { M_NOMEM = -1, M_NOMATCH, M_MATCH, M_TEMP, M_PERM };

struct spf {
	const struct spf_req	*req;
	struct spf_res		*res;
	int			 v6;
	uint8_t			 ip[16];
	char			 ctext[INET6_ADDRSTRLEN];	/* %{c} */
	const char		*sender;	/* local@domain */
	size_t			 at;		/* of the '@' in sender */
	int			 terms, voids;
	long			 deadline;
	int			 pdone;		/* %{p} looked up */
	struct buf		 pname;
};

const char *
spf_result_str(enum spf_result r)
{
	static const char *const names[] = {
		[SPF_NONE] = "none", [SPF_NEUTRAL] = "neutral",
		[SPF_PASS] = "pass", [SPF_FAIL] = "fail",
		[SPF_SOFTFAIL] = "softfail", [SPF_TEMPERROR] = "temperror",
		[SPF_PERMERROR] = "permerror",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] :
	    "permerror";
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
word_is(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n && w[i] != '\0'; i++)
		if (lower((unsigned char)s[i]) != w[i])
			return 0;
	return i == n && w[i] == '\0';
}

/* ---- macros (RFC 7208 7) ---------------------------------------------- */

static int	expand(struct spf *, const char *, const char *, size_t, int,
		    struct buf *, int *);

/* RFC 7208 7.1 delimiter */
static int
is_delim(int c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

/*
 * The syntax of a macro-string (RFC 7208 7.1), explain-string when exp;
 * *ends_macro: whether it ends with a macro-expand (for domain-end).
 * 0, -1 on a syntax error.
 */
static int
macro_syntax(const char *s, size_t n, int exp, int *ends_macro)
{
	size_t i = 0;
	int c;

	*ends_macro = 0;
	while (i < n) {
		c = (unsigned char)s[i];
		if (c != '%') {
			/* macro-literal: %x21-24 / %x26-7E; SP in explain-string */
			if (!((c >= 0x21 && c <= 0x7e) || (exp && c == ' ')))
				return -1;
			*ends_macro = 0;
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		c = (unsigned char)s[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			i += 2;
			*ends_macro = 1;
			continue;
		}
		if (c != '{' || i + 2 >= n)
			return -1;
		i += 2;
		c = lower((unsigned char)s[i]);
		/* c, r, t only in an explanation (7.1) */
		if (c == '\0' || strchr(exp ? "slodiphcrtv" : "slodiphv", c) ==
		    NULL)
			return -1;
		for (i++; i < n && is_digit((unsigned char)s[i]); i++)
			;
		if (i < n && lower((unsigned char)s[i]) == 'r')
			i++;
		for (; i < n && is_delim((unsigned char)s[i]); i++)
			;
		if (i >= n || s[i] != '}')
			return -1;
		i++;
		*ends_macro = 1;
	}
	return 0;
}

/* RFC 7208 7.1 toplabel: alphanumerics and inner hyphens, not all digits */
static int
toplabel(const char *s, size_t n)
{
	size_t i;
	int alpha = 0, hyphen = 0;

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (is_alpha((unsigned char)s[i]))
			alpha = 1;
		else if (s[i] == '-')
			hyphen = 1;
		else if (!is_digit((unsigned char)s[i]))
			return 0;
	}
	return alpha || hyphen;
}

/* domain-spec = macro-string domain-end (RFC 7208 7.1): 0 / -1 */
static int
domain_spec_ok(const char *s, size_t n)
{
	size_t end, dot;
	int em;

	if (n == 0 || macro_syntax(s, n, 0, &em) == -1)
		return -1;
	if (em)
		return 0;
	/* "." toplabel [ "." ] */
	end = n;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0 || !toplabel(s + dot, end - dot))
		return -1;
	return 0;
}

/* RFC 3986 2.3 unreserved */
static int
unreserved(int c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~';
}

/* The value of macro letter c, into v. */
static int
letter_value(struct spf *s, int c, const char *domain, struct buf *v)
{
	/* upper-case nibbles, as the OpenSPF suite (v-macro-ip6) wants;
	 * DNS does not care, an explanation shows them */
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	buf_reset(v);
	switch (c) {
	case 's':
		return buf_puts(v, s->sender);
	case 'l':
		return buf_put(v, s->sender, s->at);
	case 'o':
		return buf_puts(v, s->sender + s->at + 1);
	case 'd':
		return buf_puts(v, domain);
	case 'i':
		if (!s->v6)
			return buf_printf(v, "%u.%u.%u.%u", s->ip[0], s->ip[1],
			    s->ip[2], s->ip[3]);
		/* RFC 7208 7.3: nibbles, dot-separated */
		for (i = 0; i < 16; i++)
			if (buf_printf(v, "%s%c.%c", i ? "." : "",
			    hex[s->ip[i] >> 4], hex[s->ip[i] & 15]) == -1)
				return -1;
		return 0;
	case 'p':
		return buf_puts(v, s->pname.s);
	case 'v':
		return buf_puts(v, s->v6 ? "ip6" : "in-addr");
	case 'h':
		return buf_puts(v, s->req->helo != NULL ? s->req->helo : "");
	case 'c':
		return buf_puts(v, s->ctext);
	case 'r':
		return buf_puts(v, s->req->receiver != NULL &&
		    *s->req->receiver != '\0' ? s->req->receiver : "unknown");
	case 't':
		return buf_printf(v, "%lld", (long long)(s->req->now != 0 ?
		    s->req->now : time(NULL)));
	}
	errno = EINVAL;
	return -1;
}

static int	pmacro(struct spf *, const char *domain);

/*
 * One %{...} at s[0..n) (the part after "%{" up to "}"): the value split
 * on the delimiters, reversed with r, the right-most DIGITS parts, joined
 * with "." (RFC 7208 7.3), URL-escaped for an upper-case letter.
 */
static int
expand_one(struct spf *s, const char *m, size_t n, const char *domain,
    struct buf *out)
{
	struct buf v = BUF_INIT;
	char delims[8];
	size_t i = 1, nd = 0, keep = 0, parts, k, *pos = NULL;
	int c = lower((unsigned char)m[0]), upper = m[0] != c, rev = 0;
	int r = -1;

	for (; i < n && is_digit((unsigned char)m[i]); i++) {
		keep = keep * 10 + (size_t)(m[i] - '0');
		if (keep > 1000)
			keep = 1000;	/* more than any name has parts */
	}
	if (i > 1 && keep == 0) {	/* 7.3: a DIGIT is nonzero */
		errno = EINVAL;
		return -1;
	}
	if (i < n && lower((unsigned char)m[i]) == 'r') {
		rev = 1;
		i++;
	}
	for (; i < n && nd < sizeof(delims) - 1; i++)
		delims[nd++] = m[i];
	delims[nd] = '\0';
	if (nd == 0) {
		delims[0] = '.';
		delims[1] = '\0';
	}
	if (c == 'p' && pmacro(s, domain) == -1)
		return -1;
	if (letter_value(s, c, domain, &v) == -1)
		goto out;
	/* the parts: start offsets; part k is pos[k]..pos[k+1]-1 */
	for (parts = 1, i = 0; i < v.len; i++)
		if (strchr(delims, v.s[i]) != NULL)
			parts++;
	if ((pos = calloc(parts + 1, sizeof(*pos))) == NULL)
		goto out;
	for (k = 1, i = 0; i < v.len; i++)
		if (strchr(delims, v.s[i]) != NULL)
			pos[k++] = i + 1;
	pos[parts] = v.len + 1;
	if (keep == 0 || keep > parts)
		keep = parts;
	for (k = 0; k < keep; k++) {
		/* reversed, the right-most keep parts are the first keep of
		 * the value, last first */
		size_t idx = rev ? keep - 1 - k : parts - keep + k;

		if (k > 0 && buf_putc(out, '.') == -1)
			goto out;
		for (i = pos[idx]; i + 1 < pos[idx + 1]; i++) {
			int b = (unsigned char)v.s[i];

			if (upper && !unreserved(b)) {
				if (buf_printf(out, "%%%02X", b) == -1)
					goto out;
			} else if (buf_putc(out, b) == -1)
				goto out;
		}
		if (out->len > SPF_EXPAND_MAX) {
			errno = EINVAL;
			goto out;
		}
	}
	r = 0;
out:
	free(pos);
	buf_free(&v);
	return r;
}

/*
 * Expand s[0..n) into out (appended).  *bad set when the syntax is bad
 * (the caller's permerror); -1 then, or on ENOMEM.
 */
static int
expand(struct spf *sp, const char *domain, const char *s, size_t n, int exp,
    struct buf *out, int *bad)
{
	size_t i, j;
	int em;

	*bad = 0;
	if (macro_syntax(s, n, exp, &em) == -1) {
		*bad = 1;
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			if (buf_putc(out, s[i]) == -1)
				return -1;
			continue;
		}
		switch (s[++i]) {
		case '%':
			if (buf_putc(out, '%') == -1)
				return -1;
			continue;
		case '_':
			if (buf_putc(out, ' ') == -1)
				return -1;
			continue;
		case '-':
			if (buf_puts(out, "%20") == -1)
				return -1;
			continue;
		}
		for (j = i + 1; s[j] != '}'; j++)
			;
		if (expand_one(sp, s + i + 1, j - i - 1, domain, out) == -1) {
			if (errno == EINVAL)
				*bad = 1;
			return -1;
		}
		i = j;
		if (out->len > SPF_EXPAND_MAX) {
			*bad = 1;
			errno = EINVAL;
			return -1;
		}
	}
	return buf_ready(out, 1);
}

/* ---- DNS -------------------------------------------------------------- */

static int
lookup(struct spf *s, const char *name, int type, struct dns_answer *a)
{
	const struct spf_req *q = s->req;
	long left = s->deadline - now_ms();
	int ms = q->timeout_ms > 0 ? q->timeout_ms : DNS_TIMEOUT_MS;

	if (left <= 0) {	/* RFC 7208 4.6.4: the check's own time */
		memset(a, 0, sizeof(*a));
		a->status = DNS_TIMEOUT;
		return 0;
	}
	if (left < ms)
		ms = (int)left;
	if (q->lookup != NULL)
		return q->lookup(q->lookup_arg, name, type, ms, a);
	if (q->dns == NULL) {
		memset(a, 0, sizeof(*a));
		a->status = DNS_ERROR;
		a->why = "no resolver";
		return 0;
	}
	return dns_query(q->dns, name, type, ms, a);
}

static void	problem(struct spf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* The first problem of a check, for Received-SPF. */
static void
problem(struct spf *s, const char *fmt, ...)
{
	va_list ap;

	if (s->res->problem.len > 0)
		return;
	va_start(ap, fmt);
	(void)buf_vprintf(&s->res->problem, fmt, ap);
	va_end(ap);
}

/* A DNS failure (not an answer, not a name that does not exist). */
static int
dns_failed(enum dns_status st)
{
	return st == DNS_SERVFAIL || st == DNS_TIMEOUT || st == DNS_ERROR;
}

/* Does addr (4 or 16 bytes) match our address in its first bits? */
static int
cidr_match(const struct spf *s, const uint8_t *addr, int bits)
{
	int i;

	for (i = 0; bits >= 8; i++, bits -= 8)
		if (addr[i] != s->ip[i])
			return 0;
	return bits == 0 || ((addr[i] ^ s->ip[i]) & (0xff << (8 - bits)) &
	    0xff) == 0;
}

/* Is our address among the A (AAAA for IPv6) records of name?  M_*. */
static int
addr_match(struct spf *s, const char *name, int cidr4, int cidr6,
    int count_void)
{
	struct dns_answer a;
	size_t i;
	int r = M_NOMATCH;

	if (lookup(s, name, s->v6 ? DNS_T_AAAA : DNS_T_A, &a) == -1)
		return M_NOMEM;
	if (dns_failed(a.status)) {
		problem(s, "DNS failure for %s", name);
		r = M_TEMP;
	} else if (a.status == DNS_NODATA || a.status == DNS_NXDOMAIN) {
		if (count_void && ++s->voids > SPF_VOID_MAX) {
			problem(s, "more than 2 void lookups (at %s)", name);
			r = M_PERM;
		}
	} else if (a.status == DNS_OK) {
		for (i = 0; i < a.n; i++)
			if (a.rr[i].type == (s->v6 ? DNS_T_AAAA : DNS_T_A) &&
			    cidr_match(s, a.rr[i].addr, s->v6 ? cidr6 : cidr4))
				r = M_MATCH;
	}
	dns_answer_free(&a);
	return r;
}

/* Is name (the PTR target) a name under (or equal to) dom? */
static int
name_under(const char *name, const char *dom)
{
	size_t n = strlen(name), d = strlen(dom);

	while (n > 0 && name[n - 1] == '.')
		n--;
	while (d > 0 && dom[d - 1] == '.')
		d--;
	if (n < d || ascii_ncasecmp(name + n - d, dom, d) != 0)
		return 0;
	return n == d || name[n - d - 1] == '.';
}

/*
 * The validated names of our address (RFC 7208 5.5): the PTR names (the
 * first 10) whose addresses include ours.  Calls fn for each until it
 * returns non-zero; M_* (a failure of the PTR lookup is no match).
 */
static int
validated(struct spf *s, int count_void, const char *target, struct buf *first)
{
	struct dns_answer a;
	struct buf q = BUF_INIT;
	size_t i, used = 0;
	int r = M_NOMATCH, m;

	if (dns_ptr_name(s->ctext, &q) == -1) {
		buf_free(&q);
		return errno == ENOMEM ? M_NOMEM : M_NOMATCH;
	}
	if (lookup(s, q.s, DNS_T_PTR, &a) == -1) {
		buf_free(&q);
		return M_NOMEM;
	}
	buf_free(&q);
	if ((a.status == DNS_NODATA || a.status == DNS_NXDOMAIN) &&
	    count_void && ++s->voids > SPF_VOID_MAX) {
		problem(s, "more than 2 void lookups (at %s)", "ptr");
		r = M_PERM;
	}
	for (i = 0; a.status == DNS_OK && i < a.n && r == M_NOMATCH; i++) {
		if (a.rr[i].type != DNS_T_PTR || a.rr[i].text == NULL)
			continue;
		if (++used > SPF_NAMES_MAX)	/* 4.6.4: the rest ignored */
			break;
		m = addr_match(s, a.rr[i].text, 32, 128, 0);
		if (m == M_NOMEM) {
			r = M_NOMEM;
			break;
		}
		if (m != M_MATCH)
			continue;	/* errors here: the name is skipped */
		if (first != NULL && first->len == 0 &&
		    buf_puts(first, a.rr[i].text) == -1) {
			r = M_NOMEM;
			break;
		}
		if (name_under(a.rr[i].text, target)) {
			if (first != NULL && buf_set(first, a.rr[i].text,
			    strlen(a.rr[i].text)) == -1)
				r = M_NOMEM;
			else
				r = M_MATCH;
		}
	}
	dns_answer_free(&a);
	return r;
}

/* %{p}: a validated name, one under domain preferred, else "unknown". */
static int
pmacro(struct spf *s, const char *domain)
{
	int r;

	if (s->pdone)
		return 0;
	s->pdone = 1;
	buf_reset(&s->pname);
	r = validated(s, 0, domain, &s->pname);
	if (r == M_NOMEM)
		return -1;
	if (s->pname.len == 0 && buf_puts(&s->pname, "unknown") == -1)
		return -1;
	return 0;
}

/*
 * The target name of a mechanism: spec expanded (or domain), cut from the
 * left to 253 octets (RFC 7208 7.3).  M_NOMATCH (done) / M_PERM / M_NOMEM.
 */
static int
target(struct spf *s, const char *domain, const struct spf_term *t,
    struct buf *out)
{
	size_t cut = 0;
	int bad;

	buf_reset(out);
	if (t->spec == NULL)
		return buf_puts(out, domain) == -1 ? M_NOMEM : M_NOMATCH;
	if (expand(s, domain, t->spec, t->speclen, 0, out, &bad) == -1) {
		if (!bad)
			return M_NOMEM;
		problem(s, "bad macro in %s", domain);
		return M_PERM;
	}
	while (out->len - cut > DNS_NAME_MAX) {
		char *d = memchr(out->s + cut, '.', out->len - cut);

		if (d == NULL)
			break;
		cut = (size_t)(d - out->s) + 1;
	}
	if (cut > 0) {
		memmove(out->s, out->s + cut, out->len - cut + 1);
		out->len -= cut;
	}
	return M_NOMATCH;
}

/* ---- the record ------------------------------------------------------- */

int
spf_is_record(const char *s, size_t n)
{
	return n >= 6 && word_is(s, 6, "v=spf1") && (n == 6 || s[6] == ' ');
}

/* A prefix length: "0" or no leading zero, at most max. */
static int
cidr_len(const char *s, size_t n, int max)
{
	size_t i;
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* The last "/DIGITS" of s[0..*n): its offset, or *n when none. */
static size_t
last_slash_num(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && is_digit((unsigned char)s[i - 1]))
		i--;
	if (i == n || i == 0 || s[i - 1] != '/')
		return n;
	return i - 1;
}

/* dual-cidr-length at the end of s[0..*n) (RFC 7208 5.6): -1 if bad. */
static int
dual_cidr(const char *s, size_t *n, struct spf_term *t)
{
	size_t p = last_slash_num(s, *n);

	if (p < *n && p > 0 && s[p - 1] == '/') {	/* "//" ip6-cidr */
		if ((t->cidr6 = cidr_len(s + p + 1, *n - p - 1, 128)) == -1)
			return -1;
		*n = p - 1;
		p = last_slash_num(s, *n);
	}
	if (p < *n) {
		if ((t->cidr4 = cidr_len(s + p + 1, *n - p - 1, 32)) == -1)
			return -1;
		*n = p;
	}
	return 0;
}

static int
parse_ip(const char *s, size_t n, int v6, struct spf_term *t)
{
	char b[INET6_ADDRSTRLEN + 1];
	size_t p = last_slash_num(s, n);

	if (p < n) {
		t->cidr4 = t->cidr6 = cidr_len(s + p + 1, n - p - 1,
		    v6 ? 128 : 32);
		if (t->cidr4 == -1)
			return -1;
		if (!v6)
			t->cidr6 = 128;
		else
			t->cidr4 = 32;
		n = p;
	}
	if (n == 0 || n >= sizeof(b))
		return -1;
	memcpy(b, s, n);
	b[n] = '\0';
	return inet_pton(v6 ? AF_INET6 : AF_INET, b, t->ip) == 1 ? 0 : -1;
}

/* one directive s[0..n) (RFC 7208 4.6.1, 5) */
static int
parse_directive(const char *s, size_t n, struct spf_term *t, const char **why)
{
	static const struct { const char *name; enum spf_mech m; } mechs[] = {
		{ "all", SPF_M_ALL }, { "include", SPF_M_INCLUDE },
		{ "a", SPF_M_A }, { "mx", SPF_M_MX }, { "ptr", SPF_M_PTR },
		{ "ip4", SPF_M_IP4 }, { "ip6", SPF_M_IP6 },
		{ "exists", SPF_M_EXISTS },
	};
	size_t i = 0, k, name;
	const char *arg;
	size_t alen;

	memset(t, 0, sizeof(*t));
	t->text = s;
	t->textlen = n;
	t->qual = '+';
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (n > 0 && strchr("+-~?", s[0]) != NULL)
		t->qual = s[i++];
	for (name = i; i < n && s[i] != ':' && s[i] != '/'; i++)
		;
	for (k = 0; k < sizeof(mechs) / sizeof(mechs[0]); k++)
		if (word_is(s + name, i - name, mechs[k].name))
			break;
	if (k == sizeof(mechs) / sizeof(mechs[0])) {
		*why = "unknown mechanism";
		return -1;
	}
	t->mech = mechs[k].m;
	arg = s + i;
	alen = n - i;
	*why = "bad mechanism argument";
	switch (t->mech) {
	case SPF_M_ALL:
		return alen == 0 ? 0 : -1;
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
		if (alen < 2 || arg[0] != ':')
			return -1;
		t->spec = arg + 1;
		t->speclen = alen - 1;
		break;
	case SPF_M_A:
	case SPF_M_MX:
		if (dual_cidr(arg, &alen, t) == -1)
			return -1;
		/* FALLTHROUGH */
	case SPF_M_PTR:
		if (alen == 0)
			return 0;
		if (alen < 2 || arg[0] != ':')
			return -1;
		t->spec = arg + 1;
		t->speclen = alen - 1;
		break;
	case SPF_M_IP4:
	case SPF_M_IP6:
		if (alen < 2 || arg[0] != ':')
			return -1;
		return parse_ip(arg + 1, alen - 1, t->mech == SPF_M_IP6, t);
	}
	if (domain_spec_ok(t->spec, t->speclen) == -1) {
		*why = "bad domain-spec";
		return -1;
	}
	return 0;
}

int
spf_parse(const char *s, size_t n, struct spf_record *r, const char **why)
{
	size_t i, start, eq;
	struct spf_term *v;
	int em;

	memset(r, 0, sizeof(*r));
	*why = "not an SPF record";
	if (!spf_is_record(s, n))
		goto bad;
	for (i = 6;;) {
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			return 0;
		for (start = i; i < n && s[i] != ' '; i++)
			;
		/* a modifier: name "=" before any ":" or "/" (4.6.1) */
		for (eq = start; eq < i && (is_alpha((unsigned char)s[eq]) ||
		    (eq > start && (is_digit((unsigned char)s[eq]) ||
		    strchr("-_.", s[eq]) != NULL))); eq++)
			;
		if (eq > start && eq < i && s[eq] == '=') {
			const char **val = NULL;
			size_t *len = NULL;

			if (word_is(s + start, eq - start, "redirect")) {
				val = &r->redirect;
				len = &r->redirectlen;
			} else if (word_is(s + start, eq - start, "exp")) {
				val = &r->exp;
				len = &r->explen;
			}
			if (val != NULL) {
				/* 6: each at most once */
				*why = "modifier given twice";
				if (*val != NULL)
					goto bad;
				*val = s + eq + 1;
				*len = i - eq - 1;
				*why = "bad domain-spec";
				if (domain_spec_ok(*val, *len) == -1)
					goto bad;
			} else if (macro_syntax(s + eq + 1, i - eq - 1, 0,
			    &em) == -1) {
				*why = "bad macro in a modifier";
				goto bad;
			}
			continue;
		}
		if ((v = array_ready(r->t, &r->cap, r->n + 1, sizeof(*v))) ==
		    NULL)
			goto nomem;
		r->t = v;
		if (parse_directive(s + start, i - start, &r->t[r->n], why) ==
		    -1)
			goto bad;
		r->n++;
	}
bad:
	spf_record_free(r);
	errno = EINVAL;
	return -1;
nomem:
	spf_record_free(r);
	return -1;
}

void
spf_record_free(struct spf_record *r)
{
	free(r->t);
	memset(r, 0, sizeof(*r));
}

/* ---- check_host() (RFC 7208 4) ---------------------------------------- */

static int	check_host(struct spf *, const char *domain, int in_include);

/* RFC 7208 4.3: a multi-label name, labels of 1 to 63 octets, a
 * toplabel at the end: 1 / 0 (none). */
static int
domain_ok(const char *d)
{
	size_t n = strlen(d), lab = 0, labels = 0, i, last = 0;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX)
		return 0;
	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)d[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > 63)
				return 0;
			labels++;
			last = i - lab;
			lab = 0;
			continue;
		}
		if (!(c >= 0x80 || is_alpha(c) || is_digit(c) || c == '-' ||
		    c == '_'))
			return 0;
		lab++;
	}
	/* RFC 7208 4.3 "not a multi-label domain name" */
	return labels >= 2 && (str_has8(d) || toplabel(d + last, n - last));
}

/*
 * The SPF record of domain (RFC 7208 4.4, 4.5) into rec (its text in
 * txt): M_MATCH found, M_NOMATCH none, M_TEMP, M_PERM, M_NOMEM.
 */
static int
get_record(struct spf *s, const char *domain, struct buf *txt)
{
	struct dns_answer a;
	size_t i, found = 0;
	int r;

	if (lookup(s, domain, DNS_T_TXT, &a) == -1)
		return M_NOMEM;
	if (dns_failed(a.status)) {
		problem(s, "DNS failure for the record of %s", domain);
		r = M_TEMP;
	} else {
		for (i = 0; a.status == DNS_OK && i < a.n; i++)
			if (a.rr[i].type == DNS_T_TXT &&
			    spf_is_record(a.rr[i].text, a.rr[i].len) &&
			    found++ == 0 &&
			    buf_set(txt, a.rr[i].text, a.rr[i].len) == -1) {
				dns_answer_free(&a);
				return M_NOMEM;
			}
		r = found == 0 ? M_NOMATCH : found == 1 ? M_MATCH : M_PERM;
		if (found > 1)
			problem(s, "more than one SPF record at %s", domain);
	}
	dns_answer_free(&a);
	return r;
}

/* A term that queries DNS (4.6.4): M_NOMATCH, or M_PERM past 10. */
static int
count_term(struct spf *s)
{
	s->res->lookups = ++s->terms;
	if (s->terms > SPF_TERMS_MAX) {
		problem(s, "%s", "more than 10 DNS-querying terms");
		return M_PERM;
	}
	return M_NOMATCH;
}

static int
mech_mx(struct spf *s, const char *name, const struct spf_term *t)
{
	struct dns_answer a;
	size_t i;
	int r = M_NOMATCH, m;

	if (lookup(s, name, DNS_T_MX, &a) == -1)
		return M_NOMEM;
	if (dns_failed(a.status)) {
		problem(s, "DNS failure for %s", name);
		r = M_TEMP;
	} else if (a.status == DNS_NODATA || a.status == DNS_NXDOMAIN) {
		if (++s->voids > SPF_VOID_MAX) {
			problem(s, "more than 2 void lookups (at %s)", name);
			r = M_PERM;
		}
	} else if (a.status == DNS_OK && a.n > SPF_NAMES_MAX) {
		problem(s, "more than 10 MX names at %s", name);
		r = M_PERM;	/* 4.6.4 */
	}
	for (i = 0; a.status == DNS_OK && r == M_NOMATCH && i < a.n; i++) {
		if (a.rr[i].type != DNS_T_MX || a.rr[i].text == NULL ||
		    a.rr[i].text[0] == '\0')
			continue;	/* RFC 7505 null MX: no host */
		m = addr_match(s, a.rr[i].text, t->cidr4, t->cidr6, 0);
		if (m != M_NOMATCH)
			r = m;
	}
	dns_answer_free(&a);
	return r;
}

static int
mech_exists(struct spf *s, const char *name)
{
	struct dns_answer a;
	int r = M_NOMATCH;

	/* 5.7: an A query whatever the client's address */
	if (lookup(s, name, DNS_T_A, &a) == -1)
		return M_NOMEM;
	if (dns_failed(a.status)) {
		problem(s, "DNS failure for %s", name);
		r = M_TEMP;
	} else if (a.status == DNS_NODATA || a.status == DNS_NXDOMAIN) {
		if (++s->voids > SPF_VOID_MAX) {
			problem(s, "more than 2 void lookups (at %s)", name);
			r = M_PERM;
		}
	} else if (a.status == DNS_OK && a.n > 0)
		r = M_MATCH;
	dns_answer_free(&a);
	return r;
}

/* One mechanism of domain's record: M_*. */
static int
mechanism(struct spf *s, const char *domain, const struct spf_term *t)
{
	struct buf name = BUF_INIT;
	int r;

	switch (t->mech) {
	case SPF_M_ALL:
		return M_MATCH;
	case SPF_M_IP4:
		return !s->v6 && cidr_match(s, t->ip, t->cidr4) ? M_MATCH :
		    M_NOMATCH;
	case SPF_M_IP6:
		return s->v6 && cidr_match(s, t->ip, t->cidr6) ? M_MATCH :
		    M_NOMATCH;
	default:
		break;
	}
	if ((r = count_term(s)) != M_NOMATCH ||
	    (r = target(s, domain, t, &name)) != M_NOMATCH)
		goto out;
	switch (t->mech) {
	case SPF_M_INCLUDE:
		/* 5.2: pass matches; fail, softfail, neutral do not; an
		 * error is the result; none is a permerror */
		switch (check_host(s, name.s, 1)) {
		case -1:
			r = M_NOMEM;
			break;
		case SPF_PASS:
			r = M_MATCH;
			break;
		case SPF_TEMPERROR:
			r = M_TEMP;
			break;
		case SPF_PERMERROR:
			r = M_PERM;
			break;
		case SPF_NONE:
			problem(s, "no SPF record at include:%s", name.s);
			r = M_PERM;
			break;
		default:
			r = M_NOMATCH;
		}
		break;
	case SPF_M_A:
		r = addr_match(s, name.s, t->cidr4, t->cidr6, 1);
		break;
	case SPF_M_MX:
		r = mech_mx(s, name.s, t);
		break;
	case SPF_M_PTR:
		r = validated(s, 1, name.s, NULL);
		break;
	case SPF_M_EXISTS:
		r = mech_exists(s, name.s);
		break;
	default:
		r = M_NOMATCH;
	}
out:
	buf_free(&name);
	return r;
}

/* exp= (RFC 7208 6.2): the explanation, or nothing on any failure. */
static int
explain(struct spf *s, const char *domain, const struct spf_record *rec)
{
	struct buf name = BUF_INIT, text = BUF_INIT;
	struct dns_answer a;
	struct spf_term t;
	int bad, r = 0;

	memset(&t, 0, sizeof(t));
	t.spec = rec->exp;
	t.speclen = rec->explen;
	buf_reset(&s->res->exp);
	if (target(s, domain, &t, &name) != M_NOMATCH)
		goto out;
	if ((r = lookup(s, name.s, DNS_T_TXT, &a)) == -1)
		goto out;
	if (a.status == DNS_OK && a.n == 1 && a.rr[0].type == DNS_T_TXT &&
	    memchr(a.rr[0].text, '\0', a.rr[0].len) == NULL &&
	    expand(s, domain, a.rr[0].text, a.rr[0].len, 1, &text, &bad) ==
	    0)
		r = buf_set(&s->res->exp, text.s, text.len);
	else if (errno == ENOMEM && !bad && a.status == DNS_OK && a.n == 1)
		r = -1;
	dns_answer_free(&a);
out:
	buf_free(&name);
	buf_free(&text);
	return r;
}

static enum spf_result
qual_result(char q)
{
	switch (q) {
	case '-':
		return SPF_FAIL;
	case '~':
		return SPF_SOFTFAIL;
	case '?':
		return SPF_NEUTRAL;
	default:
		return SPF_PASS;
	}
}

/* check_host(<ip>, domain, <sender>): an spf_result, or -1 (ENOMEM). */
static int
check_host(struct spf *s, const char *domain, int in_include)
{
	struct spf_record rec;
	struct buf txt = BUF_INIT, name = BUF_INIT;
	const char *why;
	size_t i;
	int r, m;

	/* 4.3: a name that cannot be an SPF domain has no policy */
	if (!domain_ok(domain))
		return SPF_NONE;
	switch (get_record(s, domain, &txt)) {
	case M_NOMEM:
		buf_free(&txt);
		return -1;
	case M_NOMATCH:
		buf_free(&txt);
		return SPF_NONE;
	case M_TEMP:
		buf_free(&txt);
		return SPF_TEMPERROR;
	case M_PERM:
		buf_free(&txt);
		return SPF_PERMERROR;
	}
	/* 4.6: the whole record parsed first; an error anywhere counts */
	if (spf_parse(txt.s, txt.len, &rec, &why) == -1) {
		r = errno == ENOMEM ? -1 : SPF_PERMERROR;
		if (r == SPF_PERMERROR && s->res->problem.len == 0)
			(void)buf_printf(&s->res->problem, "%s in the record "
			    "of %s", why, domain);
		buf_free(&txt);
		return r;
	}
	r = SPF_NEUTRAL;	/* 4.7: no match, no redirect */
	for (i = 0; i < rec.n; i++) {
		m = mechanism(s, domain, &rec.t[i]);
		if (m == M_NOMATCH)
			continue;
		if (m == M_NOMEM)
			r = -1;
		else if (m == M_TEMP)
			r = SPF_TEMPERROR;
		else if (m == M_PERM)
			r = SPF_PERMERROR;
		else {
			r = qual_result(rec.t[i].qual);
			if (buf_set(&s->res->mech, rec.t[i].text,
			    rec.t[i].textlen) == -1)
				r = -1;
			if (r == SPF_FAIL && !in_include && rec.exp != NULL &&
			    explain(s, domain, &rec) == -1)
				r = -1;
		}
		goto out;
	}
	if (rec.redirect != NULL) {
		struct spf_term t;

		/* 6.1: after the mechanisms; a domain without a record
		 * is a permerror */
		memset(&t, 0, sizeof(t));
		t.spec = rec.redirect;
		t.speclen = rec.redirectlen;
		if ((m = count_term(s)) != M_NOMATCH ||
		    (m = target(s, domain, &t, &name)) != M_NOMATCH) {
			r = m == M_NOMEM ? -1 : SPF_PERMERROR;
			goto out;
		}
		r = check_host(s, name.s, in_include);
		if (r == SPF_NONE) {
			problem(s, "no SPF record at redirect=%s", name.s);
			r = SPF_PERMERROR;
		}
	}
out:
	spf_record_free(&rec);
	buf_free(&txt);
	buf_free(&name);
	return r;
}

/* ---- the check -------------------------------------------------------- */

static void
res_reset(struct spf_res *res)
{
	res->result = SPF_NONE;
	res->helo = 0;
	res->lookups = 0;
	buf_reset(&res->sender);
	buf_reset(&res->domain);
	buf_reset(&res->mech);
	buf_reset(&res->exp);
	buf_reset(&res->problem);
}

/* The state of a check of req; -1 on ENOMEM or a bad address (EINVAL). */
static int
spf_init(struct spf *s, const struct spf_req *req, struct spf_res *res)
{
	const char *from = req->sender, *helo = req->helo, *at;
	uint8_t a[16];

	memset(s, 0, sizeof(*s));
	s->req = req;
	s->res = res;
	s->deadline = now_ms() + SPF_TOTAL_MS;
	if (helo == NULL)
		helo = "";
	/* 4.3: no local part: "postmaster"; 2.4: no MAIL FROM: HELO */
	if (from == NULL || *from == '\0') {
		res->helo = 1;
		if (buf_printf(&res->sender, "postmaster@%s", helo) == -1)
			return -1;
	} else if ((at = strrchr(from, '@')) == NULL || at == from) {
		if (buf_printf(&res->sender, "postmaster@%s", at != NULL ?
		    at + 1 : from) == -1)
			return -1;
	} else if (buf_puts(&res->sender, from) == -1)
		return -1;
	s->sender = res->sender.s;
	s->at = (size_t)(strrchr(s->sender, '@') - s->sender);
	if (buf_puts(&res->domain, s->sender + s->at + 1) == -1)
		return -1;
	if (req->ip == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (inet_pton(AF_INET, req->ip, s->ip) == 1) {
		s->v6 = 0;
	} else if (inet_pton(AF_INET6, req->ip, a) == 1) {
		/* an IPv4-mapped address is the IPv4 address (RFC 7208 5) */
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a))
			memcpy(s->ip, a + 12, 4);
		else {
			memcpy(s->ip, a, 16);
			s->v6 = 1;
		}
	} else {
		errno = EINVAL;
		return -1;
	}
	inet_ntop(s->v6 ? AF_INET6 : AF_INET, s->ip, s->ctext,
	    sizeof(s->ctext));
	return 0;
}

int
spf_check(const struct spf_req *req, struct spf_res *res)
{
	struct spf s;
	int r;

	res_reset(res);
	if (spf_init(&s, req, res) == -1) {
		if (errno == ENOMEM)
			return -1;
		res->result = SPF_PERMERROR;
		return buf_puts(&res->problem, "bad client address");
	}
	r = check_host(&s, res->domain.s, 0);
	buf_free(&s.pname);
	if (r == -1)
		return -1;
	res->result = (enum spf_result)r;
	return 0;
}

void
spf_res_free(struct spf_res *res)
{
	buf_free(&res->sender);
	buf_free(&res->domain);
	buf_free(&res->mech);
	buf_free(&res->exp);
	buf_free(&res->problem);
}

int
spf_expand(const struct spf_req *req, const char *domain, const char *str,
    size_t n, int exp, struct buf *out)
{
	struct spf s;
	struct spf_res res;
	int bad, r;

	memset(&res, 0, sizeof(res));
	r = spf_init(&s, req, &res);
	if (r == 0)
		r = expand(&s, domain, str, n, exp, out, &bad);
	buf_free(&s.pname);
	spf_res_free(&res);
	return r;
}
