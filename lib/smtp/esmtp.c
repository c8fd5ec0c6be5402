#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "mail/codec.h"
#include "smtp/esmtp.h"

static int	is_alpha(int);
static int	is_digit(int);
static int	is_atext(int);
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

/* RFC 5322 3.2.3 atext (ASCII part) */
static int
is_atext(int c)
{
	return is_alpha(c) || is_digit(c) ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
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

static int
key_is(const struct param *p, const char *name)
{
	return strlen(name) == p->keylen &&
	    ascii_ncasecmp(p->key, name, p->keylen) == 0;
}

static int
val_is(const struct param *p, const char *name)
{
	return p->val != NULL && strlen(name) == p->vallen &&
	    ascii_ncasecmp(p->val, name, p->vallen) == 0;
}

enum esmtp_err
esmtp_mail_params(const char *s, unsigned allow, unsigned long long maxsize,
    struct esmtp_mail *m, const char **bad_r)
{
	struct param p;
	unsigned seen = 0, bit;
	unsigned long long v;
	size_t i;
	int r;

	m->body = ESMTP_BODY_NONE;
	m->has_size = m->smtputf8 = m->requiretls = 0;
	m->size = 0;
	m->ret = ESMTP_RET_NONE;
	buf_reset(&m->envid);
	if (bad_r != NULL)
		*bad_r = s;
	while ((r = next_param(&s, (allow & ESMTP_ALLOW_SMTPUTF8) != 0,
	    &p)) == 1) {
		if (bad_r != NULL)
			*bad_r = p.key;
		if (key_is(&p, "SIZE") && (allow & ESMTP_ALLOW_SIZE)) {
			/* RFC 1870 6: size-value = 1*20DIGIT */
			bit = 0x01;
			if (p.val == NULL || p.vallen > 20)
				return ESMTP_E_SYNTAX;
			for (v = 0, i = 0; i < p.vallen; i++) {
				if (!is_digit((unsigned char)p.val[i]) ||
				    v > (~0ULL - 9) / 10)
					return ESMTP_E_SYNTAX;
				v = v * 10 + (unsigned)(p.val[i] - '0');
			}
			m->has_size = 1;
			m->size = v;
		} else if (key_is(&p, "BODY") &&
		    (allow & (ESMTP_ALLOW_8BITMIME | ESMTP_ALLOW_BINARYMIME))) {
			bit = 0x02;
			if (val_is(&p, "7BIT"))
				m->body = ESMTP_BODY_7BIT;
			else if (val_is(&p, "8BITMIME") &&
			    (allow & ESMTP_ALLOW_8BITMIME))
				m->body = ESMTP_BODY_8BITMIME;
			else if (val_is(&p, "BINARYMIME") &&
			    (allow & ESMTP_ALLOW_BINARYMIME))
				m->body = ESMTP_BODY_BINARYMIME;
			else
				return ESMTP_E_SYNTAX;
		} else if (key_is(&p, "SMTPUTF8") &&
		    (allow & ESMTP_ALLOW_SMTPUTF8)) {
			bit = 0x04;
			if (p.val != NULL)
				return ESMTP_E_SYNTAX;
			m->smtputf8 = 1;
		} else if (key_is(&p, "REQUIRETLS") &&
		    (allow & ESMTP_ALLOW_REQUIRETLS)) {
			bit = 0x08;
			if (p.val != NULL)
				return ESMTP_E_SYNTAX;
			m->requiretls = 1;
		} else if (key_is(&p, "RET") && (allow & ESMTP_ALLOW_DSN)) {
			/* RFC 3461 4.3 */
			bit = 0x10;
			if (val_is(&p, "FULL"))
				m->ret = ESMTP_RET_FULL;
			else if (val_is(&p, "HDRS"))
				m->ret = ESMTP_RET_HDRS;
			else
				return ESMTP_E_SYNTAX;
		} else if (key_is(&p, "ENVID") && (allow & ESMTP_ALLOW_DSN)) {
			/* RFC 3461 4.4: xtext, at most 100 characters */
			bit = 0x20;
			if (p.val == NULL || p.vallen > ESMTP_ENVID_MAX ||
			    !xtext_valid(p.val, p.vallen))
				return ESMTP_E_SYNTAX;
			if (buf_set(&m->envid, p.val, p.vallen) == -1)
				return ESMTP_E_NOMEM;
		} else
			return ESMTP_E_UNKNOWN;
		if (seen & bit)
			return ESMTP_E_DUP;
		seen |= bit;
	}
	if (r == -1) {
		/* next_param set p.key to the malformed one */
		if (bad_r != NULL)
			*bad_r = p.key;
		return ESMTP_E_SYNTAX;
	}
	/* RFC 1870 6.1: a declared size over the limit is refused at MAIL */
	if (m->has_size && maxsize > 0 && m->size > maxsize)
		return ESMTP_E_SIZE;
	return ESMTP_OK;
}

static int
parse_notify(const char *s, size_t n, unsigned *out)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} kw[] = {
		{ "NEVER", ESMTP_NOTIFY_NEVER },
		{ "SUCCESS", ESMTP_NOTIFY_SUCCESS },
		{ "FAILURE", ESMTP_NOTIFY_FAILURE },
		{ "DELAY", ESMTP_NOTIFY_DELAY },
	};
	const char *e, *comma;
	unsigned v = 0;
	size_t len, k;

	for (e = s + n; s < e; s = comma + 1) {
		if ((comma = memchr(s, ',', (size_t)(e - s))) == NULL)
			comma = e;
		len = (size_t)(comma - s);
		for (k = 0; k < sizeof(kw) / sizeof(kw[0]); k++)
			if (strlen(kw[k].name) == len &&
			    ascii_ncasecmp(s, kw[k].name, len) == 0)
				break;
		if (k == sizeof(kw) / sizeof(kw[0]) || (v & kw[k].bit))
			return -1;
		v |= kw[k].bit;
		if (comma == e)
			break;
		if (comma + 1 == e)
			return -1;	/* trailing comma */
	}
	/* RFC 3461 4.1: NEVER or a list of the others */
	if (v == 0 || ((v & ESMTP_NOTIFY_NEVER) && v != ESMTP_NOTIFY_NEVER))
		return -1;
	*out = v;
	return 0;
}

enum esmtp_err
esmtp_rcpt_params(const char *s, unsigned allow, struct esmtp_rcpt *rc,
    const char **bad_r)
{
	struct param p;
	unsigned seen = 0, bit;
	const char *semi;
	size_t tlen;
	int r;

	rc->notify = 0;
	buf_reset(&rc->orcpt);
	if (bad_r != NULL)
		*bad_r = s;
	while ((r = next_param(&s, (allow & ESMTP_ALLOW_SMTPUTF8) != 0,
	    &p)) == 1) {
		if (bad_r != NULL)
			*bad_r = p.key;
		if (key_is(&p, "NOTIFY") && (allow & ESMTP_ALLOW_DSN)) {
			bit = 0x01;
			if (p.val == NULL ||
			    parse_notify(p.val, p.vallen, &rc->notify) == -1)
				return ESMTP_E_SYNTAX;
		} else if (key_is(&p, "ORCPT") && (allow & ESMTP_ALLOW_DSN)) {
			/* RFC 3461 4.2: addr-type ";" xtext, 500 at most */
			bit = 0x02;
			if (p.val == NULL || p.vallen > ESMTP_ORCPT_MAX ||
			    (semi = memchr(p.val, ';', p.vallen)) == NULL)
				return ESMTP_E_SYNTAX;
			tlen = (size_t)(semi - p.val);
			if (tlen == 0 || semi + 1 == p.val + p.vallen)
				return ESMTP_E_SYNTAX;
			for (size_t i = 0; i < tlen; i++)
				if (!is_atext((unsigned char)p.val[i]))
					return ESMTP_E_SYNTAX;
			/* xtext; RFC 6533 4: "utf-8" addresses may hold
			 * UTF-8 as well */
			if (!(tlen == 5 && ascii_ncasecmp(p.val, "utf-8", 5) == 0 ?
			    xtext_utf8_valid : xtext_valid)(semi + 1,
			    p.vallen - tlen - 1))
				return ESMTP_E_SYNTAX;
			if (buf_set(&rc->orcpt, p.val, p.vallen) == -1)
				return ESMTP_E_NOMEM;
		} else
			return ESMTP_E_UNKNOWN;
		if (seen & bit)
			return ESMTP_E_DUP;
		seen |= bit;
	}
	if (r == -1) {
		if (bad_r != NULL)
			*bad_r = p.key;
		return ESMTP_E_SYNTAX;
	}
	return ESMTP_OK;
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

int
esmtp_notify_str(unsigned v, struct buf *out)
{
	const char *sep = "";

	buf_reset(out);
	if (v & ESMTP_NOTIFY_NEVER)
		return buf_puts(out, "NEVER");
	if (v & ESMTP_NOTIFY_SUCCESS) {
		if (buf_puts(out, "SUCCESS") == -1)
			return -1;
		sep = ",";
	}
	if (v & ESMTP_NOTIFY_FAILURE) {
		if (buf_printf(out, "%sFAILURE", sep) == -1)
			return -1;
		sep = ",";
	}
	if ((v & ESMTP_NOTIFY_DELAY) &&
	    buf_printf(out, "%sDELAY", sep) == -1)
		return -1;
	return 0;
}
