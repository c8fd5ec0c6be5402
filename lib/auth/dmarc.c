#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/dmarc.h"
#include "auth/psl.h"
#include "base/buf.h"
#include "mail/addr.h"
#include "mail/msg.h"

#define WSP(c)		((c) == ' ' || (c) == '\t')
#define ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || \
			 ((c) >= 'A' && (c) <= 'Z'))
#define DIGIT(c)	((c) >= '0' && (c) <= '9')

/* A piece of the record: s[0..n), not NUL-terminated. */
struct span {
	const char	*s;
	size_t		 n;
};

static void
trim(struct span *v)
{
	while (v->n > 0 && WSP(v->s[0])) {
		v->s++;
		v->n--;
	}
	while (v->n > 0 && WSP(v->s[v->n - 1]))
		v->n--;
}

/* Is v, ASCII case-insensitively, the word w? */
static int
is_word(struct span v, const char *w)
{
	size_t n = strlen(w);

	return v.n == n && ascii_ncasecmp(v.s, w, n) == 0;
}

/* RFC 7489 6.4 dmarc-request: "none" / "quarantine" / "reject". */
static int
parse_policy(struct span v, enum dmarc_policy *p)
{
	if (is_word(v, "none"))
		*p = DMARC_P_NONE;
	else if (is_word(v, "quarantine"))
		*p = DMARC_P_QUARANTINE;
	else if (is_word(v, "reject"))
		*p = DMARC_P_REJECT;
	else
		return -1;
	return 0;
}

/* adkim, aspf: "r" / "s" (6.3). */
static int
parse_align(struct span v, enum dmarc_align *a)
{
	if (is_word(v, "r"))
		*a = DMARC_A_RELAXED;
	else if (is_word(v, "s"))
		*a = DMARC_A_STRICT;
	else
		return -1;
	return 0;
}

/* 1*DIGIT, at most max (and at most maxdigits digits; 0: any). */
static int
parse_num(struct span v, uint64_t max, size_t maxdigits, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (v.n == 0 || (maxdigits > 0 && v.n > maxdigits))
		return -1;
	for (i = 0; i < v.n; i++) {
		if (!DIGIT(v.s[i]))
			return -1;
		if (x > (max - (uint64_t)(v.s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(v.s[i] - '0');
	}
	*out = x;
	return 0;
}

/*
 * A colon-separated list (fo, rf: 6.4, blanks allowed around ':'), each
 * item given to fn; -1 on an empty item or when fn refuses one.
 */
static int
each_colon(struct span v, int (*fn)(struct span, unsigned *), unsigned *acc)
{
	struct span it;
	const char *c;

	for (;;) {
		c = memchr(v.s, ':', v.n);
		it.s = v.s;
		it.n = c != NULL ? (size_t)(c - v.s) : v.n;
		trim(&it);
		if (it.n == 0 || fn(it, acc) == -1)
			return -1;
		if (c == NULL)
			return 0;
		v.n -= (size_t)(c + 1 - v.s);
		v.s = c + 1;
	}
}

/* fo: "0" / "1" / "d" / "s" (6.3). */
static int
fo_item(struct span it, unsigned *fo)
{
	if (is_word(it, "0"))
		*fo |= DMARC_FO_0;
	else if (is_word(it, "1"))
		*fo |= DMARC_FO_1;
	else if (is_word(it, "d"))
		*fo |= DMARC_FO_D;
	else if (is_word(it, "s"))
		*fo |= DMARC_FO_S;
	else
		return -1;
	return 0;
}

/* rf: the registered report formats (6.3, 11.4): "afrf" only. */
static int
rf_item(struct span it, unsigned *rf)
{
	if (!is_word(it, "afrf"))
		return -1;
	*rf |= DMARC_RF_AFRF;
	return 0;
}

static int
hexdig(int c)
{
	return DIGIT(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * RFC 3986 3: scheme ":" and at least one more URI character; '!' and
 * ',' cannot appear (RFC 7489 6.4: they are %-encoded in a DMARC URI).
 */
static int
valid_uri(struct span u)
{
	size_t i;
	int c;

	if (u.n == 0 || u.n > DMARC_URI_LEN || !ALPHA(u.s[0]))
		return 0;
	for (i = 1; i < u.n && u.s[i] != ':'; i++)
		if (!ALPHA(u.s[i]) && !DIGIT(u.s[i]) && u.s[i] != '+' &&
		    u.s[i] != '-' && u.s[i] != '.')
			return 0;
	if (i >= u.n - 1)
		return 0;
	for (i++; i < u.n; i++) {
		c = (unsigned char)u.s[i];
		if (c == '%') {
			if (i + 2 >= u.n || !hexdig(u.s[i + 1]) ||
			    !hexdig(u.s[i + 2]))
				return 0;
			i += 2;
		} else if (!(ALPHA(c) || DIGIT(c) ||
		    strchr("-._~:/?#[]@$&'()*+=", c) != NULL))
			return 0;
	}
	return 1;
}

/* "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] (6.4; units of 2^10 ...),
 * blanks tolerated before the unit. */
static int
parse_size(struct span v, uint64_t *out)
{
	struct span d = v;
	unsigned shift = 0;
	uint64_t x;
	int c;

	trim(&d);
	if (d.n == 0)
		return -1;
	c = ascii_lower((unsigned char)d.s[d.n - 1]);
	if (!DIGIT(c)) {
		if (c == 'k')
			shift = 10;
		else if (c == 'm')
			shift = 20;
		else if (c == 'g')
			shift = 30;
		else if (c == 't')
			shift = 40;
		else
			return -1;
		d.n--;
		trim(&d);
	}
	if (parse_num(d, UINT64_MAX >> shift, 0, &x) == -1)
		return -1;
	*out = x << shift;
	return 0;
}

/* rua / ruf: dmarc-uri *(*WSP "," *WSP dmarc-uri) (6.4). */
static int
parse_uris(struct span v, struct dmarc_uri *u, size_t *n, size_t *dropped)
{
	struct span it, uri, size = { NULL, 0 };
	const char *c, *bang;
	uint64_t max;

	for (;;) {
		c = memchr(v.s, ',', v.n);
		it.s = v.s;
		it.n = c != NULL ? (size_t)(c - v.s) : v.n;
		uri = it;
		max = 0;
		if ((bang = memchr(it.s, '!', it.n)) != NULL) {
			uri.n = (size_t)(bang - it.s);
			size.s = bang + 1;
			size.n = it.n - uri.n - 1;
		}
		trim(&uri);
		if (!valid_uri(uri) || (bang != NULL &&
		    parse_size(size, &max) == -1) || *n >= DMARC_URI_MAX) {
			(*dropped)++;
		} else {
			if ((u[*n].uri = malloc(uri.n + 1)) == NULL)
				return -1;
			memcpy(u[*n].uri, uri.s, uri.n);
			u[*n].uri[uri.n] = '\0';
			u[*n].max = max;
			(*n)++;
		}
		if (c == NULL)
			return 0;
		v.n -= (size_t)(c + 1 - v.s);
		v.s = c + 1;
	}
}

void
dmarc_record_free(struct dmarc_record *r)
{
	size_t i;

	for (i = 0; i < r->nrua; i++)
		free(r->rua[i].uri);
	for (i = 0; i < r->nruf; i++)
		free(r->ruf[i].uri);
	r->nrua = r->nruf = 0;
}

/* the tags the parser knows, as bits for the duplicate check */
enum {
	T_V, T_P, T_SP, T_RUA, T_RUF, T_ADKIM, T_ASPF, T_RI, T_FO, T_RF,
	T_PCT, T_N
};
static const char *const tagnames[T_N] = {
	"v", "p", "sp", "rua", "ruf", "adkim", "aspf", "ri", "fo", "rf", "pct"
};

static int
invalid(struct dmarc_record *r, const char *why)
{
	r->why = why;
	errno = EINVAL;
	return -1;
}

/*
 * One tag name=value (known tag t, value v trimmed).  0, or -1 with
 * r->why.  p and sp problems are only noted (6.6.3 decides after).
 */
static int
tag(struct dmarc_record *r, int t, struct span v, int *p_bad, int *sp_bad)
{
	uint64_t x;

	if (v.n == 0 && t != T_P && t != T_SP)
		return invalid(r, "a tag with an empty value");
	switch (t) {
	case T_V:
		return invalid(r, "v is not the first tag");
	case T_P:
		if (parse_policy(v, &r->p) == -1)
			*p_bad = 1;
		else
			r->p_given = 1;
		return 0;
	case T_SP:
		if (parse_policy(v, &r->sp) == -1)
			*sp_bad = 1;
		else
			r->sp_given = 1;
		return 0;
	case T_RUA:
		if (parse_uris(v, r->rua, &r->nrua, &r->rua_dropped) == -1)
			return -1;
		return 0;
	case T_RUF:
		if (parse_uris(v, r->ruf, &r->nruf, &r->ruf_dropped) == -1)
			return -1;
		return 0;
	case T_ADKIM:
		if (parse_align(v, &r->adkim) == -1)
			return invalid(r, "bad adkim value");
		return 0;
	case T_ASPF:
		if (parse_align(v, &r->aspf) == -1)
			return invalid(r, "bad aspf value");
		return 0;
	case T_RI:
		/* 1*DIGIT; a 32-bit count of seconds is plenty */
		if (parse_num(v, 0xffffffffu, 0, &x) == -1)
			return invalid(r, "bad ri value");
		r->ri = (unsigned long)x;
		return 0;
	case T_FO:
		r->fo = 0;
		if (each_colon(v, fo_item, &r->fo) == -1)
			return invalid(r, "bad fo value");
		return 0;
	case T_RF:
		r->rf = 0;
		if (each_colon(v, rf_item, &r->rf) == -1)
			return invalid(r, "bad rf value");
		return 0;
	case T_PCT:
		/* 1*3DIGIT, 0 to 100 (6.3) */
		if (parse_num(v, 100, 3, &x) == -1)
			return invalid(r, "bad pct value");
		r->pct = (unsigned)x;
		return 0;
	}
	return 0;
}

int
dmarc_record_parse(const char *s, size_t n, struct dmarc_record *r)
{
	struct span name, v;
	unsigned seen = 0;
	size_t i = 0, j;
	int t, p_bad = 0, sp_bad = 0, first = 1;

	memset(r, 0, sizeof(*r));
	r->p = r->sp = DMARC_P_NONE;
	r->adkim = r->aspf = DMARC_A_RELAXED;
	r->pct = 100;
	r->fo = DMARC_FO_0;
	r->rf = DMARC_RF_AFRF;
	r->ri = 86400;
	if (s == NULL)
		n = 0;
	while (i < n) {
		/* dmarc-sep: *WSP ";" *WSP; empty tags tolerated */
		while (i < n && (WSP(s[i]) || (!first && s[i] == ';')))
			i++;
		if (i == n)
			break;
		/* tag-name (RFC 6376 3.2, which RFC 7489 6.4 follows):
		 * ALPHA *(ALPHA / DIGIT / "_") */
		name.s = s + i;
		j = i;
		if (ALPHA(s[j]))
			for (j++; j < n && (ALPHA(s[j]) || DIGIT(s[j]) ||
			    s[j] == '_'); j++)
				;
		name.n = j - i;
		for (i = j; i < n && WSP(s[i]); i++)
			;
		if (name.n == 0 || i == n || s[i] != '=') {
			if (first)
				return 0;
			return invalid(r, "a tag without '='");
		}
		v.s = s + ++i;
		while (i < n && s[i] != ';')
			i++;
		v.n = (size_t)(s + i - v.s);
		trim(&v);
		if (first) {
			/* 6.6.3: a record must start with v=DMARC1, the
			 * value case-sensitive (%x44 %x4d ... in 6.4) */
			if (!is_word(name, "v") || v.n != 6 ||
			    memcmp(v.s, "DMARC1", 6) != 0)
				return 0;
			first = 0;
			seen |= 1u << T_V;
			/* now it is DMARC: bound it, check its bytes */
			if (n > DMARC_RECORD_MAX)
				return invalid(r, "record too long");
			for (j = 0; j < n; j++)
				if (!(s[j] == '\t' || ((unsigned char)s[j] >=
				    0x20 && (unsigned char)s[j] < 0x7f)))
					return invalid(r,
					    "a control or 8-bit byte");
			continue;
		}
		for (t = 0; t < T_N; t++)
			if (is_word(name, tagnames[t]))
				break;
		if (t == T_N)
			continue;	/* 6.3: unknown tags are ignored */
		if (seen & (1u << t))
			return invalid(r, "a tag given twice");
		seen |= 1u << t;
		if (tag(r, t, v, &p_bad, &sp_bad) == -1)
			return -1;	/* EINVAL with r->why, or ENOMEM */
	}
	if (first)
		return 0;
	if (!r->sp_given && !sp_bad)
		r->sp = r->p;
	if (!r->p_given || p_bad || sp_bad) {
		/* 6.6.3: without a valid p (or with a bad sp), a record with
		 * a valid rua URI is taken as "v=DMARC1; p=none" */
		if (r->nrua == 0)
			return invalid(r, !(seen & (1u << T_P)) ?
			    "no p tag" : p_bad ? "bad p value" :
			    "bad sp value");
		r->p = r->sp = DMARC_P_NONE;
		r->p_given = r->sp_given = 0;
	}
	return 1;
}

int
dmarc_record_select(const char *const *txt, const size_t *len, size_t n,
    struct dmarc_record *r)
{
	struct dmarc_record tmp;
	size_t i, found = 0;
	int x, rc = 0, save;
	const char *why = NULL;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < n; i++) {
		x = dmarc_record_parse(txt[i], len[i], &tmp);
		if (x == 0) {
			dmarc_record_free(&tmp);
			continue;	/* 6.6.3 step 3: not DMARC */
		}
		if (x == -1 && errno != EINVAL) {
			save = errno;
			dmarc_record_free(&tmp);
			if (found)
				dmarc_record_free(r);
			errno = save;
			return -1;
		}
		if (++found > 1) {
			dmarc_record_free(&tmp);
			continue;
		}
		*r = tmp;
		rc = x;
		why = tmp.why;
	}
	if (found > 1) {
		/* 6.6.3 step 4: several records are no policy */
		dmarc_record_free(r);
		r->why = "several DMARC records";
		errno = EINVAL;
		return -1;
	}
	if (found == 1 && rc == -1) {
		r->why = why;
		errno = EINVAL;
		return -1;
	}
	return found == 1 ? 1 : 0;
}

int
dmarc_query_names(struct psl *p, const char *domain, struct dmarc_query *q)
{
	struct buf nm = BUF_INIT, org = BUF_INIT;
	int r, save;

	memset(q, 0, sizeof(*q));
	if (psl_name(domain, &nm) == -1)
		return -1;
	/* "_dmarc." and the name must still be a DNS name */
	if (nm.len + 7 > PSL_NAME_MAX) {
		buf_free(&nm);
		errno = EINVAL;
		return -1;
	}
	if ((r = psl_org_domain(p, nm.s, &org)) == -1)
		goto fail;
	if (buf_printf(&q->name[0], "_dmarc.%s", nm.s) == -1 ||
	    (r == 1 && strcmp(org.s, nm.s) != 0 &&
	    buf_printf(&q->name[1], "_dmarc.%s", org.s) == -1))
		goto fail;
	r = q->name[1].len > 0 ? 2 : 1;
	buf_free(&nm);
	buf_free(&org);
	return r;
fail:
	save = errno;
	buf_free(&nm);
	buf_free(&org);
	dmarc_query_free(q);
	errno = save;
	return -1;
}

void
dmarc_query_free(struct dmarc_query *q)
{
	buf_free(&q->name[0]);
	buf_free(&q->name[1]);
}

static int
from_fail(struct dmarc_from *f, const char *why)
{
	f->why = why;
	errno = EINVAL;
	return -1;
}

int
dmarc_from_domains(const char *head, size_t len, struct dmarc_from *f)
{
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_err err;
	struct msg_hdr h;
	struct msg_field fld, from = { NULL, 0, NULL, 0, NULL, 0 };
	struct buf nm = BUF_INIT;
	size_t i, k, nfrom = 0;
	int r, save;

	memset(f, 0, sizeof(*f));
	msg_hdr_init(&h, head, len);
	while ((r = msg_hdr_next(&h, &fld)) == 1)
		if (msg_field_is(&fld, "From") && nfrom++ == 0)
			from = fld;
	if (r == -1) {
		f->why = "header section too large";
		return -1;
	}
	/* RFC 5322 3.6: exactly one From field; 6.6.1 leaves the rest out
	 * of DMARC's scope */
	if (nfrom == 0)
		return from_fail(f, "no From field");
	if (nfrom > 1)
		return from_fail(f, "several From fields");
	if (addr_parse(&l, from.value, from.valuelen, ADDR_NOGROUP,
	    &err) == -1) {
		if (errno != EINVAL && errno != E2BIG)
			return -1;
		return from_fail(f, "From field does not parse");
	}
	for (i = 0; i < l.n; i++) {
		if (l.v[i].domain == NULL || l.v[i].domain[0] == '\0') {
			r = from_fail(f, "From address without a domain");
			goto out;
		}
		if (l.v[i].flags & ADDR_F_LITERAL) {
			r = from_fail(f, "From domain is a literal");
			goto out;
		}
		if (psl_name(l.v[i].domain, &nm) == -1) {
			r = from_fail(f, "From domain is not a valid name");
			goto out;
		}
		for (k = 0; k < f->n; k++)
			if (strcmp(f->domain[k].s, nm.s) == 0)
				break;
		if (k < f->n)
			continue;
		if (f->n >= DMARC_FROM_MAX) {
			r = from_fail(f, "too many From domains");
			goto out;
		}
		if (buf_set(&f->domain[f->n], nm.s, nm.len) == -1) {
			r = -1;
			goto out;
		}
		f->n++;
	}
	r = f->n > 0 ? 0 : from_fail(f, "From without an address");
out:
	save = errno;
	addr_list_free(&l);
	buf_free(&nm);
	errno = save;
	return r;
}

void
dmarc_from_free(struct dmarc_from *f)
{
	size_t i;

	for (i = 0; i < DMARC_FROM_MAX; i++)
		buf_free(&f->domain[i]);
	f->n = 0;
}

/* The Organizational Domain of the valid name nm, or nm itself when it
 * is a public suffix (RFC 7489 3.2), into out: 0 / -1. */
static int
org_or_self(struct psl *p, const char *nm, struct buf *out)
{
	int r = psl_org_domain(p, nm, out);

	if (r == 0)
		return buf_puts(out, nm);
	return r == 1 ? 0 : -1;
}

int
dmarc_aligned(struct psl *p, const char *a, const char *b,
    enum dmarc_align mode)
{
	struct buf na = BUF_INIT, nb = BUF_INIT, oa = BUF_INIT, ob = BUF_INIT;
	int r = 0, save;

	if (psl_name(a, &na) == -1 || psl_name(b, &nb) == -1)
		goto out;	/* an invalid name aligns with nothing */
	if (strcmp(na.s, nb.s) == 0)
		r = 1;		/* 3.1.1, 3.1.2: strict is an exact match */
	else if (mode == DMARC_A_RELAXED) {
		/* relaxed: the same Organizational Domain */
		if (org_or_self(p, na.s, &oa) == -1 ||
		    org_or_self(p, nb.s, &ob) == -1)
			r = -1;
		else
			r = strcmp(oa.s, ob.s) == 0;
	}
out:
	save = errno;
	buf_free(&na);
	buf_free(&nb);
	buf_free(&oa);
	buf_free(&ob);
	errno = save;
	return r;
}

/* 6.6.4: a message pct did not select gets the next lower policy */
static enum dmarc_policy
lower(enum dmarc_policy p)
{
	return p == DMARC_P_REJECT ? DMARC_P_QUARANTINE : DMARC_P_NONE;
}

int
dmarc_eval(struct psl *p, const struct dmarc_input *in,
    struct dmarc_result *res)
{
	const struct dmarc_record *rec = in->rec;
	struct buf nm = BUF_INIT;
	size_t i;
	int a;

	memset(res, 0, sizeof(*res));
	if (in->from == NULL || psl_name(in->from, &nm) == -1 ||
	    ((in->found == DMARC_FOUND_AUTHOR ||
	    in->found == DMARC_FOUND_ORG) && rec == NULL)) {
		buf_free(&nm);
		errno = EINVAL;
		return -1;
	}
	memcpy(res->from, nm.s, nm.len + 1);
	buf_free(&nm);
	switch (in->found) {
	case DMARC_FOUND_NONE:
		res->res = DMARC_NONE;	/* 6.6.3: no DMARC processing */
		return 0;
	case DMARC_FOUND_TEMP:
		res->res = DMARC_TEMPERROR;
		res->why = in->why != NULL ? in->why : "DNS failure";
		return 0;
	case DMARC_FOUND_INVALID:
		res->res = DMARC_PERMERROR;
		res->why = in->why != NULL ? in->why : "invalid DMARC record";
		return 0;
	case DMARC_FOUND_AUTHOR:
	case DMARC_FOUND_ORG:
		break;
	}
	res->has_policy = 1;
	/* 6.3 sp: the policy for subdomains, found only through the
	 * Organizational Domain's record (6.6.3 step 3) */
	res->policy = in->found == DMARC_FOUND_ORG ? rec->sp : rec->p;
	/* 4.2: SPF counts when it passed for an aligned identifier
	 * (3.1.2, aspf) */
	if (in->spf_domain != NULL && in->spf_pass) {
		if ((a = dmarc_aligned(p, res->from, in->spf_domain,
		    rec->aspf)) == -1)
			goto temp;
		res->spf_aligned = a;
	}
	/* 3.1.1: any passing signature with an aligned d= (adkim) */
	for (i = 0; i < in->ndkim && i < DMARC_DKIM_MAX &&
	    !res->dkim_aligned; i++) {
		if (!in->dkim[i].pass || in->dkim[i].d == NULL)
			continue;
		if ((a = dmarc_aligned(p, res->from, in->dkim[i].d,
		    rec->adkim)) == -1)
			goto temp;
		res->dkim_aligned = a;
	}
	if (res->spf_aligned || res->dkim_aligned) {
		res->res = DMARC_PASS;
		res->dis = DMARC_P_NONE;
		return 0;
	}
	res->res = DMARC_FAIL;
	res->dis = res->policy;
	/* 6.6.4: the policy applies to pct percent of the failing mail */
	if (rec->pct < 100 && in->sample >= rec->pct) {
		res->sampled_out = 1;
		res->dis = lower(res->policy);
	}
	return 0;
temp:
	res->res = DMARC_TEMPERROR;
	res->has_policy = 0;
	res->spf_aligned = res->dkim_aligned = 0;
	res->why = "public suffix list unreadable";
	return 0;
}

static int
rank(enum dmarc_res r)
{
	switch (r) {
	case DMARC_PASS:
		return 0;
	case DMARC_NONE:
		return 1;
	case DMARC_PERMERROR:
		return 2;
	case DMARC_TEMPERROR:
		return 3;
	case DMARC_FAIL:
		return 4;
	}
	return 0;
}

void
dmarc_merge(struct dmarc_result *acc, const struct dmarc_result *r)
{
	enum dmarc_policy dis = acc->dis > r->dis ? acc->dis : r->dis;

	if (rank(r->res) > rank(acc->res))
		*acc = *r;
	acc->dis = dis;
}

const char *
dmarc_res_name(enum dmarc_res r)
{
	switch (r) {
	case DMARC_NONE:
		return "none";
	case DMARC_PASS:
		return "pass";
	case DMARC_FAIL:
		return "fail";
	case DMARC_TEMPERROR:
		return "temperror";
	case DMARC_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_P_NONE:
		return "none";
	case DMARC_P_QUARANTINE:
		return "quarantine";
	case DMARC_P_REJECT:
		return "reject";
	}
	return "none";
}

int
dmarc_authres_props(const struct dmarc_result *res, struct buf *out)
{
	const char *sp = "";

	if (res->has_policy) {
		if (buf_printf(out, "(p=%s dis=%s)",
		    dmarc_policy_name(res->policy),
		    dmarc_policy_name(res->dis)) == -1)
			return -1;
		sp = " ";
	}
	/* RFC 7489 11.2: ptype header, property from; an A-label domain
	 * is an RFC 8601 token */
	if (res->from[0] != '\0' &&
	    buf_printf(out, "%sheader.from=%s", sp, res->from) == -1)
		return -1;
	return 0;
}

int
dmarc_authres(const struct dmarc_result *res, struct buf *out)
{
	const char *w;
	size_t start;

	if (buf_printf(out, "dmarc=%s", dmarc_res_name(res->res)) == -1)
		return -1;
	if ((res->res == DMARC_PERMERROR || res->res == DMARC_TEMPERROR) &&
	    res->why != NULL) {
		/* RFC 8601 2.2 reasonspec: a quoted-string; quotes,
		 * backslashes and control bytes dropped */
		if (buf_puts(out, " reason=\"") == -1)
			return -1;
		for (w = res->why; *w != '\0'; w++)
			if (*w != '"' && *w != '\\' &&
			    (unsigned char)*w >= 0x20 && *w != 0x7f &&
			    buf_putc(out, *w) == -1)
				return -1;
		if (buf_putc(out, '"') == -1)
			return -1;
	}
	start = out->len;
	if (buf_putc(out, ' ') == -1 || dmarc_authres_props(res, out) == -1)
		return -1;
	if (out->len == start + 1)
		buf_truncate(out, start);
	return 0;
}
