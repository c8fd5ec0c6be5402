#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "mail/codec.h"
#include "smtp/esmtp.h"

static int	is_alpha(int);
static int	is_digit(int);
static int	skip_literal(const char *, size_t, size_t *);

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

int
esmtp_utf8_valid(const char *s, size_t n)
{
	return memchr(s, '\0', n) == NULL && utf8_valid(s, n);
}

/* RFC 5321 4.1.3: "[" literal "]" at s; *len_r includes the brackets. */
static int
skip_literal(const char *s, size_t n, size_t *len_r)
{
	unsigned char a[16];	/* inet_pton's output: not inside tmp */
	char tmp[64];
	const char *e, *c;
	size_t len, i;
	int ch;

	if (n < 3 || s[0] != '[' || (e = memchr(s, ']', n)) == NULL)
		return 0;
	len = (size_t)(e - s) - 1;
	s++;
	if (len == 0)
		return 0;
	/* RFC 5321 4.1.3: printable ASCII only (dcontent is %d33-90 /
	 * %d94-126); a NUL would also end the copy inet_pton reads early */
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 ||
		    s[i] == '[' || s[i] == '\\')
			return 0;
	if (len < sizeof(tmp) && is_digit((unsigned char)s[0])) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		if (inet_pton(AF_INET, tmp, a) != 1)
			return 0;
	} else if (len > 5 && ascii_ncasecmp(s, "IPv6:", 5) == 0) {
		if (len - 5 >= 48)
			return 0;
		memcpy(tmp, s + 5, len - 5);
		tmp[len - 5] = '\0';
		if (inet_pton(AF_INET6, tmp, a) != 1)
			return 0;
	} else {
		/* General-address-literal = Standardized-tag ":" 1*dcontent */
		if ((c = memchr(s, ':', len)) == NULL || c == s ||
		    (size_t)(c - s) + 1 == len)
			return 0;
		for (i = 0; i < (size_t)(c - s); i++)
			if (!is_alpha((unsigned char)s[i]) &&
			    !is_digit((unsigned char)s[i]) && s[i] != '-')
				return 0;
		for (i = (size_t)(c - s) + 1; i < len; i++) {
			ch = (unsigned char)s[i];
			if (ch < 33 || ch > 126 || ch == '[' || ch == '\\' ||
			    ch == ']')
				return 0;
		}
	}
	*len_r = len + 2;
	return 1;
}

int
esmtp_literal_valid(const char *s, size_t n)
{
	size_t len;

	return skip_literal(s, n, &len) && len == n;
}

int
esmtp_helo_valid(const char *s, size_t n)
{
	size_t i;
	int c;

	if (n == 0 || n > ESMTP_DOMAIN_MAX)
		return 0;
	if (s[0] == '[')
		return esmtp_literal_valid(s, n);
	/* lenient: letters, digits, '-', '.', '_' (seen in the wild); ASCII
	 * only, as EHLO comes before SMTPUTF8 can be negotiated */
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' &&
		    c != '_')
			return 0;
	}
	return 1;
}

/* One "KEYWORD[=VALUE]" of the list at *sp; advances *sp. 1 got, 0 end,
 * -1 syntax (RFC 5321 4.1.2 esmtp-param, RFC 6531 3.3 for UTF-8). */
struct param {
	const char	*key, *val;
	size_t		 keylen, vallen;
};

static int
next_param(const char **sp, int utf8, struct param *p)
{
	const char *s = *sp;
	int c;

	while (*s == ' ')
		s++;
	if (*s == '\0') {
		*sp = s;
		return 0;
	}
	p->key = s;
	if (!is_alpha((unsigned char)*s) && !is_digit((unsigned char)*s))
		return -1;
	while (is_alpha((unsigned char)*s) || is_digit((unsigned char)*s) ||
	    *s == '-')
		s++;
	p->keylen = (size_t)(s - p->key);
	p->val = NULL;
	p->vallen = 0;
	if (*s == '=') {
		p->val = ++s;
		for (; *s != '\0' && *s != ' '; s++) {
			c = (unsigned char)*s;
			if (c >= 0x80 && utf8)
				continue;
			if (c < 33 || c > 126 || c == '=')
				return -1;
		}
		p->vallen = (size_t)(s - p->val);
		if (p->vallen == 0)
			return -1;
		if (utf8 && !esmtp_utf8_valid(p->val, p->vallen))
			return -1;
	}
	if (*s != '\0' && *s != ' ')
		return -1;
	*sp = s;
	return 1;
}

/* Record parameter v of d in m (MAIL) or rc (RCPT): 0, or -1 ENOMEM. */
static int
apply(const struct param_def *d, const struct param_val *v,
    struct esmtp_mail *m, struct esmtp_rcpt *rc)
{
	switch (d->id) {
	case PARAM_SIZE:
		m->has_size = 1;
		m->size = v->size;
		return 0;
	case PARAM_BODY:
		m->body = (enum param_body)v->u;
		return 0;
	case PARAM_SMTPUTF8:
		m->smtputf8 = 1;
		return 0;
	case PARAM_REQUIRETLS:
		m->requiretls = 1;
		return 0;
	case PARAM_RET:
		m->ret = (enum param_ret)v->u;
		return 0;
	case PARAM_ENVID:
		return buf_set(&m->envid, v->s, v->n);
	case PARAM_NOTIFY:
		rc->notify = v->u;
		return 0;
	case PARAM_ORCPT:
		return buf_set(&rc->orcpt, v->s, v->n);
	default:
		return 0;
	}
}

/*
 * The parameter list s of MAIL or RCPT (where), each keyword looked up
 * in param.h's table and its value parsed there.  A keyword not offered
 * under allow is unknown (RFC 5321 4.1.2: 555); a value not offered
 * (BODY=BINARYMIME without BINARYMIME) is a syntax error.
 */
static enum esmtp_err
param_list(const char *s, unsigned where, unsigned allow,
    struct esmtp_mail *m, struct esmtp_rcpt *rc, const char **bad_r)
{
	const struct param_def *d;
	struct param_val v;
	struct param p;
	unsigned seen = 0;
	int r, utf8 = (allow & PARAM_EXT_SMTPUTF8) != 0;

	if (bad_r != NULL)
		*bad_r = s;
	while ((r = next_param(&s, utf8, &p)) == 1) {
		if (bad_r != NULL)
			*bad_r = p.key;
		d = param_by_keyword(p.key, p.keylen, where);
		if (d == NULL || !param_offered(d->id, NULL, allow))
			return ESMTP_E_UNKNOWN;
		/* RFC 6533 4: only an ORCPT of type utf-8 holds UTF-8 */
		if (param_parse(d->id, p.val, p.vallen,
		    utf8 && d->id == PARAM_ORCPT, &v) == -1 ||
		    !param_offered(d->id, &v, allow))
			return ESMTP_E_SYNTAX;
		if (seen & (1u << d->id))
			return ESMTP_E_DUP;
		seen |= 1u << d->id;
		if (apply(d, &v, m, rc) == -1)
			return ESMTP_E_NOMEM;
	}
	if (r == -1) {
		/* next_param set p.key to the malformed one */
		if (bad_r != NULL)
			*bad_r = p.key;
		return ESMTP_E_SYNTAX;
	}
	return ESMTP_OK;
}

enum esmtp_err
esmtp_mail_params(const char *s, unsigned allow, unsigned long long maxsize,
    struct esmtp_mail *m, const char **bad_r)
{
	enum esmtp_err e;

	m->body = PARAM_BODY_NONE;
	m->has_size = m->smtputf8 = m->requiretls = 0;
	m->size = 0;
	m->ret = PARAM_RET_NONE;
	buf_reset(&m->envid);
	if ((e = param_list(s, PARAM_MAIL, allow, m, NULL, bad_r)) != ESMTP_OK)
		return e;
	/* RFC 1870 6.1: a declared size over the limit is refused at MAIL */
	if (m->has_size && maxsize > 0 && m->size > maxsize)
		return ESMTP_E_SIZE;
	return ESMTP_OK;
}

enum esmtp_err
esmtp_rcpt_params(const char *s, unsigned allow, struct esmtp_rcpt *rc,
    const char **bad_r)
{
	rc->notify = 0;
	buf_reset(&rc->orcpt);
	return param_list(s, PARAM_RCPT, allow, NULL, rc, bad_r);
}

void
esmtp_mail_free(struct esmtp_mail *m)
{
	buf_free(&m->envid);
}

void
esmtp_rcpt_free(struct esmtp_rcpt *r)
{
	buf_free(&r->orcpt);
}
