#include <errno.h>
#include <string.h>

#include "base/buf.h"
#include "mail/addr.h"
#include "mail/codec.h"
#include "queue/param.h"

static int	word_parse(const char *const *, size_t, const char *, size_t,
		    unsigned *);
static int	word_write(struct buf *, const char *, int);
static int	notify_parse(const char *, size_t, unsigned *);
static int	size_parse(const char *, size_t, unsigned long long *);
static int	orcpt_valid(const char *, size_t, int);
static int	write_value(enum param_id, const struct param_val *, int,
		    struct buf *);

const struct param_def param_defs[PARAM_COUNT] = {
	{ PARAM_SIZE, "SIZE", NULL, PARAM_MAIL, PARAM_EXT_SIZE, 0,
	    "size is not a number of at most 20 digits" },
	{ PARAM_BODY, "BODY", "body", PARAM_MAIL,
	    PARAM_EXT_8BITMIME | PARAM_EXT_BINARYMIME, 0,
	    "body must be 7bit, 8bitmime or binarymime" },
	{ PARAM_SMTPUTF8, "SMTPUTF8", "smtputf8", PARAM_MAIL,
	    PARAM_EXT_SMTPUTF8, 1, "flag must be 1 or 0" },
	{ PARAM_REQUIRETLS, "REQUIRETLS", "requiretls", PARAM_MAIL,
	    PARAM_EXT_REQUIRETLS, 1, "flag must be 1 or 0" },
	{ PARAM_RET, "RET", "ret", PARAM_MAIL, PARAM_EXT_DSN, 0,
	    "ret must be full or hdrs" },
	{ PARAM_ENVID, "ENVID", "envid", PARAM_MAIL, PARAM_EXT_DSN, 0,
	    "envid is not xtext of at most 100 characters" },
	{ PARAM_NOTIFY, "NOTIFY", "notify", PARAM_RCPT, PARAM_EXT_DSN, 0,
	    "notify must be NEVER or a list of SUCCESS, FAILURE, DELAY" },
	{ PARAM_ORCPT, "ORCPT", "orcpt", PARAM_RCPT, PARAM_EXT_DSN, 0,
	    "orcpt is not addr-type;xtext of at most 500 characters" },
};

/* the words of the enumerated values, indexed by their enum */
static const char *const body_words[] = {
	"", "7BIT", "8BITMIME", "BINARYMIME", NULL
};
static const char *const ret_words[] = { "", "FULL", "HDRS", NULL };
/* NOTIFY: bit 1 << i is notify_words[i] */
static const char *const notify_words[] = {
	"SUCCESS", "FAILURE", "DELAY", "NEVER", NULL
};

const struct param_def *
param_by_keyword(const char *s, size_t n, unsigned where)
{
	size_t i;

	for (i = 0; i < PARAM_COUNT; i++)
		if ((param_defs[i].where & where) &&
		    strlen(param_defs[i].smtp) == n &&
		    ascii_ncasecmp(s, param_defs[i].smtp, n) == 0)
			return &param_defs[i];
	return NULL;
}

const struct param_def *
param_by_key(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < PARAM_COUNT; i++)
		if (param_defs[i].key != NULL &&
		    strlen(param_defs[i].key) == n &&
		    memcmp(param_defs[i].key, s, n) == 0)
			return &param_defs[i];
	return NULL;
}

/* The index (from 1: index 0 is the empty word of NONE) of s[0..n). */
static int
word_parse(const char *const *words, size_t first, const char *s, size_t n,
    unsigned *out)
{
	size_t i;

	for (i = first; words[i] != NULL; i++)
		if (strlen(words[i]) == n && ascii_ncasecmp(s, words[i], n) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	errno = EINVAL;
	return -1;
}

static int
word_write(struct buf *b, const char *w, int lower)
{
	for (; *w != '\0'; w++)
		if (buf_putc(b, lower && *w >= 'A' && *w <= 'Z' ?
		    *w - 'A' + 'a' : *w) == -1)
			return -1;
	return 0;
}

/* RFC 3461 4.1: "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) */
static int
notify_parse(const char *s, size_t n, unsigned *out)
{
	const char *e = s + n, *comma;
	unsigned v = 0, k;

	for (;;) {
		if ((comma = memchr(s, ',', (size_t)(e - s))) == NULL)
			comma = e;
		if (word_parse(notify_words, 0, s, (size_t)(comma - s), &k) ==
		    -1 || (v & (1u << k)))
			goto bad;
		v |= 1u << k;
		if (comma == e)
			break;
		s = comma + 1;
	}
	if ((v & PARAM_NOTIFY_NEVER) && v != PARAM_NOTIFY_NEVER)
		goto bad;
	*out = v;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* RFC 1870 6: size-value = 1*20DIGIT, within an unsigned long long */
static int
size_parse(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > PARAM_SIZE_DIGITS)
		goto bad;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (~0ULL - (unsigned)(s[i] - '0')) / 10)
			goto bad;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/*
 * RFC 3461 4.2: orcpt-parameter = addr-type ";" xtext, 500 characters at
 * most; addr-type = atom.  RFC 6533 4: an "utf-8" address may hold UTF-8
 * itself where SMTPUTF8 is in force.
 */
static int
orcpt_valid(const char *s, size_t n, int utf8)
{
	const char *semi;
	size_t tlen, i;

	if (n > PARAM_ORCPT_MAX || (semi = memchr(s, ';', n)) == NULL)
		return 0;
	tlen = (size_t)(semi - s);
	if (tlen == 0 || tlen + 1 == n)
		return 0;
	for (i = 0; i < tlen; i++)
		if (!addr_atext((unsigned char)s[i]))
			return 0;
	if (utf8 && tlen == 5 && ascii_ncasecmp(s, "utf-8", 5) == 0)
		return xtext_utf8_valid(semi + 1, n - tlen - 1);
	return xtext_valid(semi + 1, n - tlen - 1);
}

int
param_parse(enum param_id id, const char *s, size_t n, int utf8,
    struct param_val *v)
{
	memset(v, 0, sizeof(*v));
	if (param_defs[id].flag) {
		if (s != NULL)
			goto bad;
		v->u = 1;
		return 0;
	}
	if (s == NULL || n == 0)
		goto bad;
	switch (id) {
	case PARAM_SIZE:
		return size_parse(s, n, &v->size);
	case PARAM_BODY:
		return word_parse(body_words, 1, s, n, &v->u);
	case PARAM_RET:
		return word_parse(ret_words, 1, s, n, &v->u);
	case PARAM_NOTIFY:
		return notify_parse(s, n, &v->u);
	case PARAM_ENVID:
		/* RFC 3461 4.4: xtext, at most 100 characters; RFC 6533 4 */
		if (n > PARAM_ENVID_MAX || !(utf8 ? xtext_utf8_valid(s, n) :
		    xtext_valid(s, n)))
			goto bad;
		break;
	case PARAM_ORCPT:
		if (!orcpt_valid(s, n, utf8))
			goto bad;
		break;
	default:
		goto bad;
	}
	v->s = s;
	v->n = n;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

static int
write_value(enum param_id id, const struct param_val *v, int lower,
    struct buf *b)
{
	unsigned i;
	int first = 1;

	if (b->s == NULL && buf_ready(b, 0) == -1)
		return -1;
	switch (id) {
	case PARAM_SIZE:
		return buf_printf(b, "%llu", v->size);
	case PARAM_BODY:
		return word_write(b, param_body_name(v->u), lower);
	case PARAM_RET:
		return word_write(b, param_ret_name(v->u), lower);
	case PARAM_NOTIFY:
		for (i = 0; notify_words[i] != NULL; i++) {
			if (!(v->u & (1u << i)))
				continue;
			if ((!first && buf_putc(b, ',') == -1) ||
			    word_write(b, notify_words[i], lower) == -1)
				return -1;
			first = 0;
		}
		return 0;
	case PARAM_ENVID:
	case PARAM_ORCPT:
		return buf_put(b, v->s, v->n);
	default:
		return 0;	/* a flag has no value */
	}
}

int
param_offered(enum param_id id, const struct param_val *v, unsigned ext)
{
	if ((param_defs[id].ext & ext) == 0)
		return 0;
	/* RFC 6152 2, RFC 3030 3: each BODY value with its extension */
	if (id == PARAM_BODY && v != NULL)
		return v->u == PARAM_BODY_7BIT ||
		    (v->u == PARAM_BODY_8BITMIME && (ext & PARAM_EXT_8BITMIME)) ||
		    (v->u == PARAM_BODY_BINARYMIME &&
		    (ext & PARAM_EXT_BINARYMIME));
	return 1;
}

int
param_write(enum param_id id, const struct param_val *v, struct buf *b)
{
	return write_value(id, v, 0, b);
}

int
param_write_queue(enum param_id id, const struct param_val *v,
    struct buf *b)
{
	if (param_defs[id].flag)
		return buf_puts(b, v->u ? "1" : "0");
	return write_value(id, v, id == PARAM_BODY || id == PARAM_RET, b);
}

const char *
param_body_name(enum param_body b)
{
	return (unsigned)b <= PARAM_BODY_BINARYMIME ? body_words[b] : "";
}

const char *
param_ret_name(enum param_ret r)
{
	return (unsigned)r <= PARAM_RET_HDRS ? ret_words[r] : "";
}
