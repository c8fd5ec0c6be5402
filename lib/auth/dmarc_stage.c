/* dmarc_stage: dmarc-eval as a chain stage (dmarc_stage.h, RFC 7489). */
#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authres.h"
#include "auth/dmarc.h"
#include "auth/dmarc_stage.h"
#include "auth/psl.h"
#include "base/buf.h"
#include "base/control.h"
#include "base/log.h"
#include "base/num.h"
#include "base/stage.h"
#include "dns/dns.h"
#include "mail/codec.h"
#include "mail/msg.h"

#define RES_MAX		16	/* a result keyword kept, e.g. "temperror" */

/* What the earlier stages found (their Authentication-Results). */
struct seen {
	int		 spf;		/* an SPF result was seen */
	int		 spf_helo;	/* its identity was smtp.helo */
	char		 spf_res[RES_MAX];
	struct buf	 spf_domain;
	struct dmarc_dkim dkim[DMARC_DKIM_MAX];
	char		*dkim_d[DMARC_DKIM_MAX];
	size_t		 ndkim;
	struct buf	 dkim_log;	/* "d:result,..." for the log */
};

/* One Author Domain: what discovery found and what it gives. */
struct one {
	struct dmarc_record rec;
	int		 have_rec;
	enum dmarc_found found;
	const char	*why;
	struct dmarc_result res;
};

/* ---- reading the earlier stages' results ------------------------- */

/* RFC 8601 2.2 / RFC 2045 5.1: the bytes of a token (value) */
static int
word_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>,;:\\\"[]?=", c) == NULL;
}

/*
 * The next item of v from *i: a word or quoted-string (its text in w,
 * returns 'w'), '=' or ';' (returns it), 0 at the end.  Anything else
 * is skipped.
 */
static int
item(const char *v, size_t n, size_t *i, struct buf *w)
{
	size_t k;

	buf_reset(w);
	for (;;) {
		k = cfws_skip(v, n, *i);
		if (k >= n) {
			*i = n;
			return 0;
		}
		if (v[k] == '=' || v[k] == ';') {
			*i = k + 1;
			return v[k];
		}
		if (v[k] == '"') {
			for (k++; k < n && v[k] != '"'; k++) {
				if (v[k] == '\\' && k + 1 < n)
					k++;
				if (buf_putc(w, v[k]) == -1)
					return -1;
			}
			*i = k < n ? k + 1 : n;
			return buf_ready(w, 1) == -1 ? -1 : 'w';
		}
		if (!word_char((unsigned char)v[k])) {
			*i = k + 1;
			continue;
		}
		for (; k < n && word_char((unsigned char)v[k]); k++)
			if (buf_putc(w, v[k]) == -1)
				return -1;
		*i = k;
		return 'w';
	}
}

/* The domain of an address or a name: after the last '@'. */
static const char *
domain_of(const char *s)
{
	const char *at = strrchr(s, '@');

	return at != NULL ? at + 1 : s;
}

static void
keep_res(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= RES_MAX)
		n = RES_MAX - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * One resinfo (RFC 8601 2.2: methodspec [reasonspec] *propspec), its
 * method and result given: an "spf" or a "dkim" is kept in s.  0 / -1.
 */
static int
resinfo(struct seen *s, const char *method, const char *result,
    const char *v, size_t n, size_t *i)
{
	struct buf name = BUF_INIT, val = BUF_INIT;
	struct buf mfrom = BUF_INIT, helo = BUF_INIT, d = BUF_INIT,
	    sel = BUF_INIT, ident = BUF_INIT;
	int k, e = 0, spf = ascii_casecmp(method, "spf") == 0,
	    dkim = ascii_casecmp(method, "dkim") == 0;

	/* name "=" value pairs up to the next ';' */
	while ((k = item(v, n, i, &name)) == 'w') {
		size_t at = *i;

		if ((k = item(v, n, i, &val)) != '=') {
			*i = at;	/* a lone word: look at what follows */
			continue;
		}
		if ((k = item(v, n, i, &val)) != 'w')
			break;
		if (spf && ascii_casecmp(name.s, "smtp.mailfrom") == 0)
			e = e || buf_set(&mfrom, val.s, val.len);
		else if (spf && ascii_casecmp(name.s, "smtp.helo") == 0)
			e = e || buf_set(&helo, val.s, val.len);
		else if (dkim && ascii_casecmp(name.s, "header.d") == 0)
			e = e || buf_set(&d, val.s, val.len);
		else if (dkim && ascii_casecmp(name.s, "header.i") == 0)
			e = e || buf_set(&ident, val.s, val.len);
		else if (dkim && ascii_casecmp(name.s, "header.s") == 0)
			e = e || buf_set(&sel, val.s, val.len);
	}
	if (k == -1)
		e = 1;
	if (k == '=' || k == 'w') {
		/* skip to the end of the resinfo */
		while ((k = item(v, n, i, &val)) != ';' && k != 0 && k != -1)
			;
	}
	if (e)
		goto fail;
	/* RFC 7489 4.1: the first SPF result that names an identity;
	 * smtp.mailfrom over smtp.helo (RFC 7208 2.4: HELO stands for a
	 * null reverse-path) */
	if (spf && (mfrom.len > 0 || helo.len > 0) && (!s->spf ||
	    (s->spf_helo && mfrom.len > 0))) {
		s->spf = 1;
		s->spf_helo = mfrom.len == 0;
		const char *dm = domain_of(mfrom.len > 0 ? mfrom.s : helo.s);

		keep_res(s->spf_res, result);
		if (buf_set(&s->spf_domain, dm, strlen(dm)) == -1)
			goto fail;
	}
	/* RFC 7489 3.1.1: d= is the identifier; i= only without it */
	if (dkim && (d.len > 0 || ident.len > 0) && s->ndkim < DMARC_DKIM_MAX) {
		const char *dm = d.len > 0 ? d.s : domain_of(ident.s);

		if ((s->dkim_d[s->ndkim] = strdup(dm)) == NULL)
			goto fail;
		s->dkim[s->ndkim].d = s->dkim_d[s->ndkim];
		s->dkim[s->ndkim].pass = ascii_casecmp(result, "pass") == 0;
		if (buf_printf(&s->dkim_log, "%s%s%s%s:%s",
		    s->dkim_log.len > 0 ? "," : "", dm, sel.len > 0 ? "/" : "",
		    sel.len > 0 ? sel.s : "", result) == -1)
			goto fail;
		s->ndkim++;
	}
	buf_free(&name);
	buf_free(&val);
	buf_free(&mfrom);
	buf_free(&helo);
	buf_free(&d);
	buf_free(&sel);
	buf_free(&ident);
	return 0;
fail:
	buf_free(&name);
	buf_free(&val);
	buf_free(&mfrom);
	buf_free(&helo);
	buf_free(&d);
	buf_free(&sel);
	buf_free(&ident);
	return -1;
}

/* Our field's value v[0..n) (RFC 8601 2.2): authserv-id [version]
 * *(";" resinfo).  0 / -1 ENOMEM. */
static int
our_field(struct seen *s, const char *v, size_t n)
{
	struct buf w = BUF_INIT, method = BUF_INIT, result = BUF_INIT;
	size_t i = 0;
	int k, r = -1;
	char *slash;

	/* the authserv-id and the version: up to the first ';' */
	while ((k = item(v, n, &i, &w)) != ';' && k != 0)
		if (k == -1)
			goto out;
	while (k == ';') {
		if ((k = item(v, n, &i, &method)) != 'w') {
			if (k == -1)
				goto out;
			continue;
		}
		/* method ["/" version] */
		if ((slash = strchr(method.s, '/')) != NULL) {
			*slash = '\0';
			method.len = (size_t)(slash - method.s);
		}
		if ((k = item(v, n, &i, &w)) != '=' ||
		    (k = item(v, n, &i, &result)) != 'w') {
			while (k != ';' && k != 0 && k != -1)
				k = item(v, n, &i, &w);
			if (k == -1)
				goto out;
			continue;
		}
		if (resinfo(s, method.s, result.s, v, n, &i) == -1)
			goto out;
		k = ';';
		/* resinfo stopped after a ';' or at the end */
		if (i >= n)
			k = 0;
	}
	r = 0;
out:
	buf_free(&w);
	buf_free(&method);
	buf_free(&result);
	return r;
}

/*
 * The earlier stages' results (see dmarc_stage.h): our fields above the
 * first Received field, whose offset goes to *top_r (the end of the
 * fields when there is none).  0 / -1 ENOMEM.
 */
static int
read_seen(const struct authres_msg *m, const char *id, struct seen *s,
    size_t *top_r)
{
	struct msg_hdr h;
	struct msg_field f;
	struct buf v = BUF_INIT;
	int r = 0;

	*top_r = authres_top(m);
	msg_hdr_init(&h, m->head.s, *top_r);
	while (msg_hdr_next(&h, &f) == 1) {
		if (!authres_ours(&f, id))
			continue;
		if (msg_unfold(&v, f.value, f.valuelen) == -1 ||
		    our_field(s, v.s, v.len) == -1) {
			r = -1;
			break;
		}
	}
	buf_free(&v);
	return r;
}

static void
seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->ndkim; i++)
		free(s->dkim_d[i]);
	s->ndkim = 0;
	buf_free(&s->spf_domain);
	buf_free(&s->dkim_log);
}

/* ---- policy discovery (RFC 7489 6.6.3) --------------------------- */

static void
discover(struct dns *dns, struct psl *psl, const char *domain, int ms,
    struct one *o)
{
	struct dmarc_query q;
	struct dns_answer a;
	const char *txt[64];
	size_t len[64], j, nt;
	int n, i, r;

	o->found = DMARC_FOUND_NONE;
	if ((n = dmarc_query_names(psl, domain, &q)) == -1) {
		if (errno == EINVAL) {
			o->found = DMARC_FOUND_INVALID;
			o->why = "Author Domain cannot be asked";
		} else {
			o->found = DMARC_FOUND_TEMP;
			o->why = errno == ENOMEM ? "out of memory" :
			    "public suffix list unreadable";
		}
		return;
	}
	if (dns == NULL) {
		o->found = DMARC_FOUND_TEMP;
		o->why = "no resolver";
		dmarc_query_free(&q);
		return;
	}
	for (i = 0; i < n; i++) {
		if (dns_query(dns, q.name[i].s, DNS_T_TXT, ms, &a) == -1) {
			o->found = DMARC_FOUND_TEMP;
			o->why = "out of memory";
			break;
		}
		switch (a.status) {
		case DNS_OK:
			break;
		case DNS_NXDOMAIN:
		case DNS_NODATA:
			/* step 3: none here, ask the Organizational Domain */
			dns_answer_free(&a);
			continue;
		case DNS_TIMEOUT:
			o->why = "DNS timeout";
			goto temp;
		case DNS_BADNAME:
			o->found = DMARC_FOUND_INVALID;
			o->why = "Author Domain cannot be asked";
			dns_answer_free(&a);
			goto out;
		default:
			o->why = "DNS server failure";
			goto temp;
		}
		for (j = 0, nt = 0; j < a.n && nt < 64; j++)
			if (a.rr[j].type == DNS_T_TXT) {
				txt[nt] = a.rr[j].text;
				len[nt++] = a.rr[j].len;
			}
		r = dmarc_record_select(txt, len, nt, &o->rec);
		dns_answer_free(&a);
		if (r == 1) {
			o->have_rec = 1;
			o->found = i == 0 ? DMARC_FOUND_AUTHOR : DMARC_FOUND_ORG;
			goto out;
		}
		if (r == -1) {
			if (errno == EINVAL) {
				o->found = DMARC_FOUND_INVALID;
				o->why = o->rec.why != NULL ? o->rec.why :
				    "several DMARC records";
			} else {
				o->found = DMARC_FOUND_TEMP;
				o->why = "out of memory";
			}
			dmarc_record_free(&o->rec);
			goto out;
		}
		dmarc_record_free(&o->rec);
		/* 0: no DMARC record among them: the next name */
	}
	goto out;
temp:
	o->found = DMARC_FOUND_TEMP;
	dns_answer_free(&a);
out:
	dmarc_query_free(&q);
}

/* ---- the stage --------------------------------------------------- */

/* A uniform sample in 0..99 for pct (6.6.4): 1 / 0 when there is no
 * randomness (then 0: the policy applies, the stricter way). */
static int
sample(unsigned *s)
{
	uint32_t x;

	for (;;) {
		if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x)) {
			if (errno == EINTR)
				continue;
			*s = 0;
			return 0;
		}
		/* rejection: each of the 100 values equally likely */
		if (x < UINT32_MAX - UINT32_MAX % 100)
			break;
	}
	*s = x % 100;
	return 1;
}

static const char *
align_name(enum dmarc_align a)
{
	return a == DMARC_A_STRICT ? "s" : "r";
}

static const char *
found_name(enum dmarc_found f)
{
	switch (f) {
	case DMARC_FOUND_NONE:
		return "none";
	case DMARC_FOUND_AUTHOR:
		return "author";
	case DMARC_FOUND_ORG:
		return "org";
	case DMARC_FOUND_TEMP:
		return "temperror";
	case DMARC_FOUND_INVALID:
		return "invalid";
	}
	return "none";
}

/* The published record for the log (7.2.1.1 policy_published). */
static int
published(struct buf *b, const struct one *o)
{
	const struct dmarc_record *r = &o->rec;
	size_t i;

	if (!o->have_rec)
		return buf_puts(b, " p=- sp=- pct=- adkim=- aspf=- fo=- rua=-");
	if (buf_printf(b, " p=%s sp=%s pct=%u adkim=%s aspf=%s fo=",
	    r->p_given ? dmarc_policy_name(r->p) : "-",
	    dmarc_policy_name(r->sp), r->pct, align_name(r->adkim),
	    align_name(r->aspf)) == -1)
		return -1;
	if (buf_printf(b, "%s%s%s%s",
	    r->fo & DMARC_FO_0 ? "0" : "", r->fo & DMARC_FO_1 ? "1" : "",
	    r->fo & DMARC_FO_D ? "d" : "", r->fo & DMARC_FO_S ? "s" : "") ==
	    -1 || buf_puts(b, " rua=") == -1)
		return -1;
	for (i = 0; i < r->nrua; i++)
		if (buf_printf(b, "%s%s", i > 0 ? "," : "", r->rua[i].uri) ==
		    -1)
			return -1;
	return r->nrua == 0 ? buf_putc(b, '-') : 0;
}

/* The first recipient's domain, for envelope_to (appendix C). */
static const char *
first_rcpt(const char *rcpt, struct buf *b)
{
	const char *nl;

	if (rcpt == NULL || *rcpt == '\0')
		return "-";
	nl = strchr(rcpt, '\n');
	if (buf_set(b, rcpt, nl != NULL ? (size_t)(nl - rcpt) :
	    strlen(rcpt)) == -1)
		return "-";
	return domain_of(b->s);
}

/* "dmarc-reject": 1 enforce (the default), 0 record only */
static int
enforcing(struct stage_io *io)
{
	unsigned long v;
	int r;

	if ((r = control_ulong("dmarc-reject", &v, 0, 1)) == -1) {
		stage_log(io, LOG_WARNING, "unable to read the control file "
		    "dmarc-reject: %s", strerror(errno));
		return 1;
	}
	return r == 0 ? 1 : v == 1;
}

int
dmarc_stage(int argc, char *const argv[], struct stage_io *io)
{
	struct authres_msg m;
	struct authres_field ar;
	struct dmarc_from from;
	struct dmarc_input in;
	struct dmarc_result acc;
	struct seen s;
	struct one *one = NULL;
	struct psl psl;
	struct buf me = BUF_INIT, fields = BUF_INIT, props = BUF_INIT,
	    path = BUF_INIT, line = BUF_INIT, rcpt = BUF_INIT;
	struct dns *dns = NULL;
	const char *id, *why = NULL, *ip, *env_from, *action;
	unsigned long ms = 0;
	unsigned smp = 0;
	size_t top = 0, k;
	int code = EXIT_TEMP, have_psl = 0, reject = 0, enforce, i;

	memset(&s, 0, sizeof(s));
	memset(&from, 0, sizeof(from));
	memset(&acc, 0, sizeof(acc));
	memset(&ar, 0, sizeof(ar));
	for (i = 1; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "-T") == 0 &&
		    parse_ulong(argv[i + 1], &ms, 1, 600000) == -1)
			ms = 0;
	ip = stage_getenv(io, "TCPREMOTEIP");
	env_from = stage_getenv(io, "SMTP_MAILFROM");
	if (authres_start(io, &m, &me) == -1) {
		authres_msg_free(&m);
		buf_free(&me);
		return EXIT_TEMP;
	}
	id = me.s;
	if (read_seen(&m, id, &s, &top) == -1)
		goto nomem;
	if (authres_begin(&ar, id, m.eol) == -1)
		goto nomem;
	/* 6.6.1: the Author Domain(s) */
	if (dmarc_from_domains(m.head.s, m.headlen, &from) == -1) {
		if (errno != EINVAL)
			goto nomem;
		acc.res = DMARC_PERMERROR;
		acc.why = from.why;
		from.n = 0;
	} else if ((one = calloc(from.n, sizeof(*one))) == NULL)
		goto nomem;
	if (from.n > 0) {
		if (control_path(&path, "psl.cdb") == -1)
			goto nomem;
		if (psl_open(&psl, path.s, 0) == 0)
			have_psl = 1;
		else
			stage_log(io, LOG_WARNING, "unable to open the public "
			    "suffix list %s: %s", path.s, strerror(errno));
		if (have_psl && (dns = dns_open(&why)) == NULL)
			stage_log(io, LOG_WARNING, "unable to open the "
			    "resolver: %s", why != NULL ? why : strerror(errno));
		if (!sample(&smp))
			stage_log(io, LOG_WARNING, "no random numbers: %s",
			    strerror(errno));
	}
	for (k = 0; k < from.n; k++) {
		if (have_psl)
			discover(dns, &psl, from.domain[k].s, (int)ms, &one[k]);
		else {
			one[k].found = DMARC_FOUND_TEMP;
			one[k].why = "public suffix list unreadable";
		}
		memset(&in, 0, sizeof(in));
		in.from = from.domain[k].s;
		in.spf_domain = s.spf ? s.spf_domain.s : NULL;
		in.spf_pass = s.spf && ascii_casecmp(s.spf_res, "pass") == 0;
		in.dkim = s.dkim;
		in.ndkim = s.ndkim;
		in.found = one[k].found;
		in.rec = one[k].have_rec ? &one[k].rec : NULL;
		in.why = one[k].why;
		in.sample = smp;
		if (dmarc_eval(have_psl ? &psl : NULL, &in, &one[k].res) ==
		    -1) {
			/* cannot happen with a domain from dmarc_from_domains */
			memset(&one[k].res, 0, sizeof(one[k].res));
			one[k].res.res = DMARC_PERMERROR;
			one[k].res.why = "Author Domain unusable";
		}
		if (k == 0)
			acc = one[k].res;
		else
			dmarc_merge(&acc, &one[k].res);
	}
	/* RFC 8601 2.7.x, RFC 7489 11.2 */
	if (dmarc_authres_props(&acc, &props) == -1 ||
	    authres_add(&ar, "dmarc", dmarc_res_name(acc.res),
	    (acc.res == DMARC_PERMERROR || acc.res == DMARC_TEMPERROR) &&
	    acc.why != NULL ? acc.why : NULL, props.s) == -1 ||
	    authres_end(&ar) == -1 || buf_put(&fields, ar.b.s, ar.b.len) == -1)
		goto nomem;
	/* 6.7: the Mail Receiver's choice; temperror never rejects */
	enforce = enforcing(io);
	reject = acc.res == DMARC_FAIL && acc.dis == DMARC_P_REJECT && enforce;
	if (acc.res == DMARC_FAIL && acc.dis == DMARC_P_REJECT)
		action = enforce ? "reject" : "accept-recorded";
	else if (acc.res == DMARC_FAIL && acc.dis == DMARC_P_QUARANTINE)
		action = "quarantine";
	else
		action = "accept";
	/* the log: one line per Author Domain, what an aggregate report
	 * takes (7.2.1.1, appendix C: policy_published, policy_evaluated,
	 * identifiers, auth_results, source_ip) */
	if (from.n == 0)
		stage_log(io, LOG_INFO, "dmarc=%s reason=\"%s\" ip=%s "
		    "envelope_from=%s action=%s", dmarc_res_name(acc.res),
		    acc.why != NULL ? acc.why : "-", ip != NULL && *ip != '\0' ?
		    ip : "-", env_from != NULL && *env_from != '\0' ? env_from :
		    "-", action);
	for (k = 0; k < from.n; k++) {
		const struct dmarc_result *r = &one[k].res;

		buf_reset(&line);
		if (buf_printf(&line, "dmarc=%s header_from=%s found=%s",
		    dmarc_res_name(r->res), r->from,
		    found_name(one[k].found)) == -1 ||
		    published(&line, &one[k]) == -1 ||
		    buf_printf(&line, " policy=%s dis=%s sampled_out=%d "
		    "spf=%s spf_domain=%s spf_scope=%s spf_aligned=%d "
		    "dkim=%s dkim_aligned=%d ip=%s envelope_from=%s "
		    "envelope_to=%s reason=\"%s\" action=%s",
		    r->has_policy ? dmarc_policy_name(r->policy) : "-",
		    r->has_policy ? dmarc_policy_name(r->dis) : "-",
		    r->sampled_out, s.spf ? s.spf_res : "none",
		    s.spf ? s.spf_domain.s : "-", s.spf_helo ? "helo" : "mfrom",
		    r->spf_aligned, s.ndkim > 0 ? s.dkim_log.s : "none",
		    r->dkim_aligned, ip != NULL && *ip != '\0' ? ip : "-",
		    env_from != NULL && *env_from != '\0' ? env_from : "-",
		    first_rcpt(stage_getenv(io, "SMTP_RCPT"), &rcpt),
		    r->why != NULL ? r->why : "-", action) == -1)
			goto nomem;
		stage_log(io, LOG_INFO, "%s", line.s);
	}
	/*
	 * The message: our field, the earlier stages' (above the first
	 * Received field, kept as they are), then the rest of the header
	 * without the fields claiming our id (RFC 8601 5).
	 */
	if (authres_write(io, &m, fields.s, fields.len, id, top) == -1)
		goto out;	/* logged, 451 set */
	code = EXIT_DONE;
	if (reject) {
		/* RFC 7489 6.7 and 10.3; RFC 3463 5.7.1: delivery not
		 * authorized, message refused */
		(void)buf_printf(&io->err, "550 5.7.1 DMARC policy of %s "
		    "rejects this message\n", acc.from);
		code = EXIT_PERM;
	}
	goto out;
nomem:
	stage_log(io, LOG_WARNING, "out of memory");
	(void)buf_puts(&io->err, "451 4.3.0 out of memory\n");
out:
	if (one != NULL)
		for (k = 0; k < from.n; k++)
			if (one[k].have_rec)
				dmarc_record_free(&one[k].rec);
	free(one);
	dmarc_from_free(&from);
	seen_free(&s);
	if (have_psl)
		psl_close(&psl);
	if (dns != NULL)
		dns_close(dns);
	buf_free(&ar.b);
	buf_free(&fields);
	buf_free(&props);
	buf_free(&path);
	buf_free(&line);
	buf_free(&rcpt);
	buf_free(&me);
	authres_msg_free(&m);
	return code;
}
