#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "mail/codec.h"
#include "mail/mime.h"
#include "mail/msg.h"

/* RFC 2231 sections read from one field, before they are joined */
#define RAW_MAX		(4 * MIME_PARAMS_MAX)
#define SECTION_MAX	9999

struct rawparam {
	size_t		 name, namelen;	/* in scratch, lower-cased */
	size_t		 val, vallen;	/* in scratch, quoting undone */
	long		 section;	/* -1: no "*n" */
	int		 ext;		/* "*" before '=': %XX encoded */
	int		 used;
};

/* A body part found by the boundary scan, or the sub-message */
struct pending {
	size_t		 start, end;
	size_t		 parent;
	unsigned	 depth;
	int		 digest;	/* default type message/rfc822 */
};

static int	is_blank(unsigned char);
static size_t	token_end(const char *, size_t, size_t);
static char    *lower_dup(const char *, size_t);
static int	str_dup_buf(char **, const struct buf *, int);
static int	raw_param(const char *, size_t, size_t *, struct buf *,
		    struct rawparam *, int, unsigned *);
static int	join_param(struct mime_param *, const struct buf *,
		    struct rawparam *, size_t, size_t);
static int	add_param(struct mime_ct *, const struct buf *,
		    struct rawparam *, size_t, size_t);
static enum mime_cte parse_cte(const char *, size_t);
static int	part_fields(struct mime_tree *, struct mime_part *,
		    const struct pending *, struct buf *);
static int	scan_parts(struct mime_tree *, const struct mime_part *,
		    size_t, struct pending **, size_t *, size_t *, int *);
static int	push(struct pending **, size_t *, size_t *,
		    const struct pending *);
static void	finish_tree(struct mime_tree *);
static void	mime_part_clear(struct mime_part *);
static int	set_str(char **, const char *);
static int	set_filename(struct mime_part *, const struct mime_ct *,
		    const char *);

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t
token_end(const char *s, size_t n, size_t i)
{
	while (i < n && mime_token_char((unsigned char)s[i]))
		i++;
	return i;
}

static char *
lower_dup(const char *s, size_t n)
{
	char *d;
	size_t i;

	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		d[i] = (char)ascii_lower((unsigned char)s[i]);
	d[n] = '\0';
	return d;
}

/* A C string from b, NULs and invalid UTF-8 replaced by U+FFFD. */
static int
str_dup_buf(char **r, const struct buf *b, int lower)
{
	struct buf t = BUF_INIT;
	unsigned f = 0;
	size_t i;

	if (utf8_repair(&t, b->s, b->len, 1, &f) == -1 ||
	    buf_ready(&t, 0) == -1) {
		buf_free(&t);
		return -1;
	}
	if (lower)
		for (i = 0; i < t.len; i++)
			t.s[i] = (char)ascii_lower((unsigned char)t.s[i]);
	*r = buf_steal(&t);
	return f != 0;
}

/*
 * RFC 2231 3, 4: join the sections of one parameter, raw[0..n) (all of
 * one name, the first a section), in section order.
 */
static int
join_param(struct mime_param *p, const struct buf *sc, struct rawparam *raw,
    size_t n, size_t first)
{
	struct buf bytes = BUF_INIT, val = BUF_INIT, lang = BUF_INIT;
	char cs[65];
	const char *v, *a, *b;
	size_t i, k, best, vl;
	long want = 0;
	unsigned f = 0;
	int r = -1;

	cs[0] = '\0';
	p->flags |= MIME_PARAM_2231;
	for (;;) {
		/* the lowest unused section number of this name */
		best = n;
		for (i = first; i < n; i++) {
			if (raw[i].used || raw[i].section < 0 ||
			    raw[i].namelen != raw[first].namelen ||
			    memcmp(sc->s + raw[i].name, sc->s + raw[first].name,
			    raw[i].namelen) != 0)
				continue;
			if (best == n || raw[i].section < raw[best].section)
				best = i;
		}
		if (best == n)
			break;
		raw[best].used = 1;
		/* a repeated section number: the first wins */
		for (k = first; k < n; k++)
			if (!raw[k].used && raw[k].section ==
			    raw[best].section && raw[k].namelen ==
			    raw[best].namelen && memcmp(sc->s + raw[k].name,
			    sc->s + raw[best].name, raw[k].namelen) == 0)
				raw[k].used = 1;
		if (raw[best].section != want)
			p->flags |= MIME_PARAM_GAP;
		want = raw[best].section + 1;
		v = sc->s + raw[best].val;
		vl = raw[best].vallen;
		if (!raw[best].ext) {
			if (buf_put(&bytes, v, vl) == -1)
				goto out;
			continue;
		}
		/* the first section holds charset'language' */
		if (raw[best].section == 0 &&
		    (a = memchr(v, '\'', vl)) != NULL &&
		    (b = memchr(a + 1, '\'', vl - (size_t)(a + 1 - v))) !=
		    NULL) {
			if ((size_t)(a - v) < sizeof(cs)) {
				memcpy(cs, v, (size_t)(a - v));
				cs[a - v] = '\0';
			} else
				memcpy(cs, "?", 2);
			if (b > a + 1 && buf_put(&lang, a + 1,
			    (size_t)(b - a - 1)) == -1)
				goto out;
			vl -= (size_t)(b + 1 - v);
			v = b + 1;
		}
		if (pct_decode(&bytes, v, vl, &f) == -1)
			goto out;
	}
	if (charset_decode(&val, cs, bytes.s, bytes.len, &f) == -1)
		goto out;
	if (f != 0)
		p->flags |= MIME_PARAM_BAD;
	if ((r = str_dup_buf(&p->value, &val, 0)) == -1)
		goto out;
	if (r == 1)
		p->flags |= MIME_PARAM_BAD;
	r = -1;
	if (lang.len > 0 && str_dup_buf(&p->lang, &lang, 0) == -1)
		goto out;
	r = 0;
out:
	buf_free(&bytes);
	buf_free(&val);
	buf_free(&lang);
	return r;
}

/* Merge raw[first] with the other entries of its name into a param. */
static int
add_param(struct mime_ct *ct, const struct buf *sc, struct rawparam *raw,
    size_t n, size_t first)
{
	struct mime_param *p;
	struct buf val = BUF_INIT, lang = BUF_INIT;
	size_t i, sect = n, single = n, plain = n;
	unsigned f = 0;
	int r;

	for (i = first; i < n; i++) {
		if (raw[i].used || raw[i].namelen != raw[first].namelen ||
		    memcmp(sc->s + raw[i].name, sc->s + raw[first].name,
		    raw[i].namelen) != 0)
			continue;
		if (raw[i].section >= 0) {
			if (sect == n)
				sect = i;
		} else if (raw[i].ext) {
			if (single == n)
				single = i;
			else
				ct->flags |= MIME_CT_DUP;
		} else {
			if (plain == n)
				plain = i;
			else
				ct->flags |= MIME_CT_DUP;
		}
	}
	if (ct->nparams >= MIME_PARAMS_MAX) {
		ct->flags |= MIME_CT_TOOMANY;
		goto used;
	}
	p = &ct->params[ct->nparams];
	memset(p, 0, sizeof(*p));
	if ((p->name = lower_dup(sc->s + raw[first].name,
	    raw[first].namelen)) == NULL)
		return -1;
	ct->nparams++;
	/* RFC 2231 forms win over a plain value of the same name */
	if (sect != n) {
		if (single != n)
			ct->flags |= MIME_CT_DUP;
		if (join_param(p, sc, raw, n, sect) == -1)
			return -1;
	} else if (single != n) {
		p->flags |= MIME_PARAM_2231;
		r = rfc2231_value(&val, sc->s + raw[single].val,
		    raw[single].vallen, &lang, &f);
		if (r == 0 && (r = str_dup_buf(&p->value, &val, 0)) == 1) {
			f |= CODEC_F_BADUTF8;
			r = 0;
		}
		if (r == 0 && lang.len > 0 &&
		    str_dup_buf(&p->lang, &lang, 0) == -1)
			r = -1;
		buf_free(&val);
		buf_free(&lang);
		if (r == -1)
			return -1;
		if (f != 0)
			p->flags |= MIME_PARAM_BAD;
	} else {
		if (buf_set(&val, sc->s + raw[plain].val,
		    raw[plain].vallen) == -1)
			return -1;
		r = str_dup_buf(&p->value, &val, 0);
		buf_free(&val);
		if (r == -1)
			return -1;
		if (r == 1)
			p->flags |= MIME_PARAM_BAD;
	}
used:
	for (i = first; i < n; i++)
		if (raw[i].namelen == raw[first].namelen &&
		    memcmp(sc->s + raw[i].name, sc->s + raw[first].name,
		    raw[i].namelen) == 0)
			raw[i].used = 1;
	return 0;
}

/*
 * One parameter at s[*ip..n): RFC 2231 7 attribute[*section][*] "="
 * value (RFC 2045 5.1 token or quoted-string, leniently), the name
 * lower-cased and the value unquoted into sc, their places in *rp.  1
 * got it (*ip after it), 0 junk, 2 valid but full (no room for it), -1
 * ENOMEM.
 */
static int
raw_param(const char *s, size_t n, size_t *ip, struct buf *sc,
    struct rawparam *rp, int full, unsigned *flags)
{
	size_t i = *ip, j, k;
	long sect;
	int ext, quoted;

	/* RFC 2231 7: attribute, then "*" section, then "*" */
	for (j = i; j < n && mime_token_char((unsigned char)s[j]) &&
	    s[j] != '*' && s[j] != '\'' && s[j] != '%'; j++)
		;
	if (j == i)
		goto junk;
	k = j;
	sect = -1;
	ext = 0;
	if (k < n && s[k] == '*') {
		k++;
		if (k < n && s[k] >= '0' && s[k] <= '9') {
			for (sect = 0; k < n && s[k] >= '0' &&
			    s[k] <= '9'; k++) {
				sect = sect * 10 + (s[k] - '0');
				if (sect > SECTION_MAX)
					goto junk;
			}
			if (k < n && s[k] == '*') {
				ext = 1;
				k++;
			}
		} else
			ext = 1;
	}
	k = cfws_skip(s, n, k);
	if (k >= n || s[k] != '=')
		goto junk;
	if (full)
		return 2;
	rp->name = sc->len;
	rp->namelen = j - i;
	for (; i < j; i++)
		if (buf_putc(sc, ascii_lower((unsigned char)s[i])) == -1)
			return -1;
	rp->section = sect;
	rp->ext = ext;
	rp->used = 0;
	rp->val = sc->len;
	/* value := token / quoted-string (RFC 2045 5.1) */
	i = cfws_skip(s, n, k + 1);
	quoted = i < n && s[i] == '"';
	if (quoted) {
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			/* RFC 5322 3.2.4: unfold inside quotes */
			if (s[i] == '\r' || s[i] == '\n')
				continue;
			if (buf_putc(sc, s[i]) == -1)
				return -1;
		}
		if (i < n)
			i++;
		else
			*flags |= MIME_CT_SYNTAX;
	} else {
		/* lenient: anything up to ';' or a blank */
		for (j = i; j < n && s[j] != ';' &&
		    !is_blank((unsigned char)s[j]) && s[j] != '"'; j++)
			;
		if (j == i)
			goto junk;
		if (buf_put(sc, s + i, j - i) == -1)
			return -1;
		i = j;
	}
	rp->vallen = sc->len - rp->val;
	*ip = i;
	return 1;
junk:
	*ip = i;	/* the caller skips to the next ';' from here */
	return 0;
}

int
mime_ct_parse(struct mime_ct *ct, const char *s, size_t n, int disp)
{
	struct rawparam raw[RAW_MAX];
	struct buf sc = BUF_INIT;
	size_t i, j, nraw = 0, k;
	const char *semi;

	memset(ct, 0, sizeof(*ct));
	/* RFC 2045 5.1: type "/" subtype; RFC 2183 2: disposition-type */
	i = cfws_skip(s, n, 0);
	j = token_end(s, n, i);
	if (j == i)
		goto invalid;
	if ((ct->type = lower_dup(s + i, j - i)) == NULL)
		goto fail;
	i = cfws_skip(s, n, j);
	if (!disp) {
		if (i >= n || s[i] != '/')
			goto invalid;
		i = cfws_skip(s, n, i + 1);
		j = token_end(s, n, i);
		if (j == i)
			goto invalid;
		if ((ct->subtype = lower_dup(s + i, j - i)) == NULL)
			goto fail;
		i = cfws_skip(s, n, j);
	}
	/* parameters: *(";" attribute "=" value) */
	while (i < n) {
		/* lenient: a missing ';' before a parameter */
		if (s[i] != ';')
			ct->flags |= MIME_CT_SYNTAX;
		else
			i++;
		i = cfws_skip(s, n, i);
		if (i >= n)
			break;
		if (s[i] == ';')
			continue;
		switch (raw_param(s, n, &i, &sc, &raw[nraw], nraw >= RAW_MAX,
		    &ct->flags)) {
		case -1:
			goto fail;
		case 0:
			goto junk;
		case 2:
			ct->flags |= MIME_CT_TOOMANY;
			goto done;
		}
		nraw++;
		i = cfws_skip(s, n, i);
		continue;
junk:
		ct->flags |= MIME_CT_SYNTAX;
		if ((semi = memchr(s + i, ';', n - i)) == NULL)
			break;
		i = (size_t)(semi - s);
	}
done:
	if (nraw > 0 &&
	    (ct->params = calloc(MIME_PARAMS_MAX, sizeof(*ct->params))) == NULL)
		goto fail;
	for (k = 0; k < nraw; k++)
		if (!raw[k].used && add_param(ct, &sc, raw, nraw, k) == -1)
			goto fail;
	buf_free(&sc);
	return 0;
invalid:
	buf_free(&sc);
	mime_ct_free(ct);
	errno = EINVAL;
	return -1;
fail:
	buf_free(&sc);
	return -1;
}

const char *
mime_ct_param(const struct mime_ct *ct, const char *name)
{
	size_t i;

	for (i = 0; i < ct->nparams; i++)
		if (ascii_casecmp(ct->params[i].name, name) == 0)
			return ct->params[i].value;
	return NULL;
}

void
mime_ct_free(struct mime_ct *ct)
{
	size_t i;

	for (i = 0; i < ct->nparams; i++) {
		free(ct->params[i].name);
		free(ct->params[i].value);
		free(ct->params[i].lang);
	}
	free(ct->params);
	free(ct->type);
	free(ct->subtype);
	memset(ct, 0, sizeof(*ct));
}

/* RFC 2045 6.1: mechanism, case-insensitive, comments allowed */
static enum mime_cte
parse_cte(const char *s, size_t n)
{
	static const struct {
		const char	*name;
		enum mime_cte	 cte;
	} tab[] = {
		{ "7bit", MIME_CTE_7BIT },
		{ "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY },
		{ "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 },
	};
	size_t i, j, k;

	i = cfws_skip(s, n, 0);
	j = token_end(s, n, i);
	if (j == i || cfws_skip(s, n, j) != n)
		return MIME_CTE_UNKNOWN;
	for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
		if (strlen(tab[k].name) == j - i &&
		    ascii_ncasecmp(s + i, tab[k].name, j - i) == 0)
			return tab[k].cte;
	return MIME_CTE_UNKNOWN;
}

static int
set_str(char **dst, const char *s)
{
	if (s == NULL)
		return 0;
	free(*dst);
	if ((*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

/* A file name parameter: RFC 2047 words undone when not RFC 2231. */
static int
set_filename(struct mime_part *pt, const struct mime_ct *ct, const char *name)
{
	struct buf b = BUF_INIT;
	unsigned f = 0;
	size_t i;

	for (i = 0; i < ct->nparams; i++)
		if (ascii_casecmp(ct->params[i].name, name) == 0)
			break;
	if (i == ct->nparams)
		return 0;
	if (ct->params[i].flags & MIME_PARAM_2231)
		return set_str(&pt->filename, ct->params[i].value);
	/*
	 * RFC 2047 5 forbids encoded words in a quoted-string, but many
	 * mailers put them in file names; decode them anyway.
	 */
	if (rfc2047_decode(&b, ct->params[i].value,
	    strlen(ct->params[i].value), RFC2047_LAX, &f) == -1 ||
	    buf_ready(&b, 0) == -1) {
		buf_free(&b);
		return -1;
	}
	free(pt->filename);
	pt->filename = buf_steal(&b);
	return 0;
}

/* The header of one part: its fields, type, encoding, disposition. */
static int
part_fields(struct mime_tree *t, struct mime_part *pt,
    const struct pending *e, struct buf *v)
{
	struct msg_hdr h;
	struct msg_field f, fct, fcte, fcd;
	struct mime_ct ct, cd;
	const char *cs;
	int r, hct = 0, hcte = 0, hcd = 0;

	msg_hdr_init(&h, t->msg + e->start, e->end - e->start);
	while ((r = msg_hdr_next(&h, &f)) == 1) {
		if (!hct && msg_field_is(&f, "content-type")) {
			fct = f;
			hct = 1;
		} else if (!hcte &&
		    msg_field_is(&f, "content-transfer-encoding")) {
			fcte = f;
			hcte = 1;
		} else if (!hcd && msg_field_is(&f, "content-disposition")) {
			fcd = f;
			hcd = 1;
		}
	}
	if (r == -1)
		return -1;
	pt->hdr = e->start;
	pt->body = e->start + h.body;
	pt->end = e->end;
	pt->parent = e->parent;
	pt->depth = e->depth;
	pt->hdr_flags = h.flags;
	pt->cte = MIME_CTE_7BIT;
	if (hcte) {
		if (msg_field_value(v, &fcte) == -1)
			return -1;
		if ((pt->cte = parse_cte(v->s, v->len)) == MIME_CTE_UNKNOWN)
			pt->flags |= MIME_PF_BADCTE;
	}
	memset(&ct, 0, sizeof(ct));
	if (hct) {
		if (msg_field_value(v, &fct) == -1)
			return -1;
		if (mime_ct_parse(&ct, v->s, v->len, 0) == -1) {
			if (errno != EINVAL)
				goto fail;
			pt->flags |= MIME_PF_BADCT;
		}
	} else
		pt->flags |= MIME_PF_DEFAULT;
	if (ct.type != NULL) {
		pt->type = ct.type;
		pt->subtype = ct.subtype;
		ct.type = ct.subtype = NULL;
	} else if (e->digest && !(pt->flags & MIME_PF_BADCT)) {
		/* RFC 2046 5.1.5: the default in a digest */
		pt->type = strdup("message");
		pt->subtype = strdup("rfc822");
	} else {
		/* RFC 2045 5.2: the default, also for an invalid field */
		pt->type = strdup("text");
		pt->subtype = strdup("plain");
	}
	if (pt->type == NULL || pt->subtype == NULL)
		goto fail;
	if ((cs = mime_ct_param(&ct, "charset")) != NULL &&
	    (pt->charset = lower_dup(cs, strlen(cs))) == NULL)
		goto fail;
	if (strcmp(pt->type, "multipart") == 0 &&
	    set_str(&pt->boundary, mime_ct_param(&ct, "boundary")) == -1)
		goto fail;
	if (set_filename(pt, &ct, "name") == -1)
		goto fail;
	if (hcd) {
		if (msg_field_value(v, &fcd) == -1)
			goto fail;
		if (mime_ct_parse(&cd, v->s, v->len, 1) == 0) {
			pt->disposition = cd.type;
			cd.type = NULL;
			r = set_filename(pt, &cd, "filename");
			mime_ct_free(&cd);
			if (r == -1)
				goto fail;
		} else {
			mime_ct_free(&cd);
			if (errno != EINVAL)
				goto fail;
		}
	}
	mime_ct_free(&ct);
	return 0;
fail:
	mime_ct_free(&ct);
	return -1;
}

static int
push(struct pending **st, size_t *n, size_t *cap, const struct pending *e)
{
	struct pending *p;

	if ((p = array_ready(*st, cap, *n + 1, sizeof(*p))) == NULL)
		return -1;
	*st = p;
	(*st)[(*n)++] = *e;
	return 0;
}

/*
 * RFC 2046 5.1.1: the body parts of the multipart parts[idx], found by
 * its boundary delimiter lines "--boundary" and "--boundary--" (blanks
 * may follow), pushed on the stack in reverse order.  The line ending
 * before a delimiter belongs to it.  *closed: the close delimiter was
 * seen; without it the last part runs to the end of the body.
 */
static int
scan_parts(struct mime_tree *t, const struct mime_part *pt, size_t idx,
    struct pending **st, size_t *nst, size_t *cap, int *closed)
{
	const char *m = t->msg, *nl, *b = pt->boundary;
	size_t blen = strlen(b), p = pt->body, ls, le, q, d, cur = MIME_NONE;
	size_t first = *nst, lo, hi;
	struct pending e, tmp;
	int close;

	*closed = 0;
	e.parent = idx;
	e.depth = pt->depth + 1;
	e.digest = strcmp(pt->subtype, "digest") == 0;
	while (p < pt->end) {
		ls = p;
		nl = memchr(m + ls, '\n', pt->end - ls);
		le = nl == NULL ? pt->end : (size_t)(nl - m) + 1;
		p = le;
		if (le - ls < 2 + blen || m[ls] != '-' || m[ls + 1] != '-' ||
		    memcmp(m + ls + 2, b, blen) != 0)
			continue;
		q = ls + 2 + blen;
		close = q + 1 < le && m[q] == '-' && m[q + 1] == '-';
		if (close)
			q += 2;
		while (q < le && is_blank((unsigned char)m[q]))
			q++;
		if (q != le)
			continue;
		d = ls;
		if (d > pt->body && m[d - 1] == '\n' && --d > pt->body &&
		    m[d - 1] == '\r')
			d--;
		if (cur != MIME_NONE) {
			e.start = cur;
			e.end = d > cur ? d : cur;
			if (t->nparts + *nst + 1 > MIME_PARTS_MAX) {
				errno = E2BIG;
				return -1;
			}
			if (push(st, nst, cap, &e) == -1)
				return -1;
		}
		if (close) {
			*closed = 1;
			break;
		}
		cur = le;
	}
	/* unclosed: the last part runs to the end, unless it is empty */
	if (!*closed && cur != MIME_NONE && cur < pt->end) {
		e.start = cur;
		e.end = pt->end;
		if (t->nparts + *nst + 1 > MIME_PARTS_MAX) {
			errno = E2BIG;
			return -1;
		}
		if (push(st, nst, cap, &e) == -1)
			return -1;
	}
	/* the first part must come off the stack first */
	for (lo = first, hi = *nst; lo + 1 < hi; lo++, hi--) {
		tmp = (*st)[lo];
		(*st)[lo] = (*st)[hi - 1];
		(*st)[hi - 1] = tmp;
	}
	return 0;
}

/* parent links are set; count children and find where subtrees end */
static void
finish_tree(struct mime_tree *t)
{
	size_t i, p;

	for (i = 0; i < t->nparts; i++) {
		t->parts[i].next = i + 1;
		t->parts[i].nchildren = 0;
	}
	for (i = t->nparts; i-- > 1; ) {
		p = t->parts[i].parent;
		t->parts[p].nchildren++;
		if (t->parts[i].next > t->parts[p].next)
			t->parts[p].next = t->parts[i].next;
	}
}

int
mime_parse(struct mime_tree *t, const void *msg, size_t len)
{
	struct pending *st = NULL, e;
	struct mime_part *pt, *np;
	struct buf v = BUF_INIT;
	size_t nst = 0, cap = 0, idx, c;
	int closed;

	memset(t, 0, sizeof(*t));
	t->msg = msg;
	t->len = len;
	e.start = 0;
	e.end = len;
	e.parent = MIME_NONE;
	e.depth = 0;
	e.digest = 0;
	if (push(&st, &nst, &cap, &e) == -1)
		goto fail;
	/* iterative, depth first: a part, then its children in order */
	while (nst > 0) {
		e = st[--nst];
		if (e.depth > MIME_DEPTH_MAX) {
			errno = ELOOP;
			goto fail;
		}
		if (t->nparts >= MIME_PARTS_MAX) {
			errno = E2BIG;
			goto fail;
		}
		np = array_ready(t->parts, &t->cap, t->nparts + 1,
		    sizeof(*np));
		if (np == NULL)
			goto fail;
		t->parts = np;
		idx = t->nparts;
		pt = &t->parts[idx];
		memset(pt, 0, sizeof(*pt));
		if (part_fields(t, pt, &e, &v) == -1) {
			mime_part_clear(pt);
			goto fail;
		}
		t->nparts++;
		if (strcmp(pt->type, "multipart") == 0) {
			if (pt->boundary == NULL || *pt->boundary == '\0' ||
			    strlen(pt->boundary) > MIME_BOUNDARY_MAX) {
				pt->flags |= MIME_PF_NOBOUND;
				continue;
			}
			c = nst;
			if (scan_parts(t, pt, idx, &st, &nst, &cap,
			    &closed) == -1)
				goto fail;
			pt = &t->parts[idx];
			if (!closed)
				pt->flags |= MIME_PF_UNCLOSED;
			if (nst == c)
				pt->flags |= MIME_PF_NOPARTS;
		} else if (strcmp(pt->type, "message") == 0 &&
		    (strcmp(pt->subtype, "rfc822") == 0 ||
		    strcmp(pt->subtype, "global") == 0)) {
			/* RFC 2046 5.2.1: only 7bit, 8bit or binary */
			if (pt->cte != MIME_CTE_7BIT &&
			    pt->cte != MIME_CTE_8BIT &&
			    pt->cte != MIME_CTE_BINARY) {
				pt->flags |= MIME_PF_ENCODED;
				continue;
			}
			e.start = pt->body;
			e.end = pt->end;
			e.parent = idx;
			e.depth = pt->depth + 1;
			e.digest = 0;
			if (push(&st, &nst, &cap, &e) == -1)
				goto fail;
		}
	}
	free(st);
	buf_free(&v);
	finish_tree(t);
	return 0;
fail:
	t->error = errno;
	free(st);
	buf_free(&v);
	finish_tree(t);
	errno = t->error;
	return -1;
}

static void
mime_part_clear(struct mime_part *pt)
{
	free(pt->type);
	free(pt->subtype);
	free(pt->charset);
	free(pt->boundary);
	free(pt->disposition);
	free(pt->filename);
	memset(pt, 0, sizeof(*pt));
}

void
mime_free(struct mime_tree *t)
{
	size_t i;

	for (i = 0; i < t->nparts; i++)
		mime_part_clear(&t->parts[i]);
	free(t->parts);
	memset(t, 0, sizeof(*t));
}

int
mime_is(const struct mime_part *pt, const char *type, const char *subtype)
{
	return ascii_casecmp(pt->type, type) == 0 &&
	    (subtype == NULL || ascii_casecmp(pt->subtype, subtype) == 0);
}

int
mime_body_decode(struct buf *out, const struct mime_tree *t, size_t i,
    size_t max, unsigned *flags_r)
{
	const struct mime_part *pt;
	size_t n;

	if (i >= t->nparts) {
		errno = EINVAL;
		return -1;
	}
	pt = &t->parts[i];
	n = pt->end - pt->body;
	switch (pt->cte) {
	case MIME_CTE_BASE64:
		return b64_decode(out, t->msg + pt->body, n, max, flags_r);
	case MIME_CTE_QP:
		return qp_decode(out, t->msg + pt->body, n, 0, max, flags_r);
	default:
		if (n <= max)
			return buf_put(out, t->msg + pt->body, n);
		if (buf_put(out, t->msg + pt->body, max) == -1)
			return -1;
		errno = EMSGSIZE;
		return -1;
	}
}
