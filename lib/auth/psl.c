#include <errno.h>
#include <fcntl.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/psl.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/fileio.h"

#define MARK_KEY	"!psl"
#define MARK_VAL	"1"

/* rule bits, in the order of the value letters */
#define R_NORMAL	0x01
#define R_WILD		0x02
#define R_EXCEPT	0x04
#define R_PRIVATE	3	/* shift: the PRIVATE section's bits */

static const char letters[] = "nweNWE";

struct ent {
	char		*name;
	unsigned	 bits;
};

struct ents {
	struct ent	*v;
	size_t		 n, cap;
};

int
psl_open(struct psl *p, const char *path, int flags)
{
	int save;

	p->flags = flags;
	if ((p->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (cdb_init(&p->c, p->fd) != 0) {
		save = errno ? errno : EINVAL;
		close(p->fd);
		errno = save;
		return -1;
	}
	if (cdb_find(&p->c, MARK_KEY, sizeof(MARK_KEY) - 1) <= 0) {
		psl_close(p);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

void
psl_close(struct psl *p)
{
	int save = errno;

	if (p->fd != -1) {
		cdb_free(&p->c);
		close(p->fd);
	}
	p->fd = -1;
	errno = save;
}

/* Check the ASCII name s[0..n) (lower case already): 0 / -1 EINVAL. */
static int
check_ascii(const char *s, size_t n)
{
	size_t i, lab = 0;
	unsigned char c;

	/* RFC 1035 2.3.4: labels of 63 octets, names of 255 on the wire */
	if (n == 0 || n > PSL_NAME_MAX)
		goto bad;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (lab == 0)
				goto bad;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			goto bad;
		if (++lab > PSL_LABEL_MAX)
			goto bad;
	}
	if (lab == 0)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
psl_name(const char *name, struct buf *out)
{
	char *a = NULL;
	size_t n, i;
	int r;

	buf_reset(out);
	if (name == NULL || (n = strnlen(name, PSL_INPUT_MAX + 1)) == 0 ||
	    n > PSL_INPUT_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (str_has8(name)) {
		/* RFC 7489 6.6.1, RFC 5891 4: U-labels to A-labels, IDNA
		 * 2008 with the UTS 46 mapping (lower case) */
		if (idn2_to_ascii_8z(name, &a, IDN2_NONTRANSITIONAL) !=
		    IDN2_OK) {
			errno = EINVAL;
			return -1;
		}
		name = a;
		n = strlen(a);
	}
	if (n > 1 && name[n - 1] == '.')	/* an absolute name */
		n--;
	r = buf_set(out, name, n);
	free(a);
	if (r == -1)
		return -1;
	for (i = 0; i < out->len; i++)
		out->s[i] = (char)ascii_lower((unsigned char)out->s[i]);
	if (check_ascii(out->s, out->len) == -1) {
		buf_free(out);
		return -1;
	}
	return 0;
}

/* The rule bits stored for key s[0..n): 1 found, 0 absent, -1 error. */
static int
rule_bits(struct psl *p, const char *s, size_t n, unsigned *bits)
{
	char v[16];
	unsigned len, i;
	const char *l;
	int r;

	*bits = 0;
	if ((r = cdb_find(&p->c, s, (unsigned)n)) < 0) {
		if (errno == 0)
			errno = EINVAL;
		return -1;
	}
	if (r == 0)
		return 0;
	len = cdb_datalen(&p->c);
	if (len >= sizeof(v)) {
		errno = EINVAL;
		return -1;
	}
	if (cdb_read(&p->c, v, len, cdb_datapos(&p->c)) != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if ((l = memchr(letters, v[i], sizeof(letters) - 1)) == NULL) {
			errno = EINVAL;
			return -1;
		}
		*bits |= 1u << (l - letters);
	}
	return 1;
}

int
psl_org_domain(struct psl *p, const char *name, struct buf *out)
{
	struct buf nm = BUF_INIT;
	size_t lab[PSL_NAME_MAX / 2 + 2], nl = 0, k, i, best = 0, exc = 0, ps;
	unsigned bits, mask;
	int r;

	buf_reset(out);
	if (psl_name(name, &nm) == -1)
		return -1;
	lab[nl++] = 0;
	for (i = 0; i < nm.len; i++)
		if (nm.s[i] == '.')
			lab[nl++] = i + 1;
	mask = R_NORMAL | R_WILD | R_EXCEPT;
	if (!(p->flags & PSL_ICANN_ONLY))
		mask |= mask << R_PRIVATE;
	/* publicsuffix.org algorithm: every rule that matches is a suffix
	 * of the name ("*.S" one label longer); walk them from the top */
	for (k = 1; k <= nl; k++) {
		i = lab[nl - k];
		r = rule_bits(p, nm.s + i, nm.len - i, &bits);
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		bits &= mask;
		bits |= bits >> R_PRIVATE;
		if ((bits & R_EXCEPT) && exc == 0)
			exc = k;
		if ((bits & R_NORMAL) && k > best)
			best = k;
		if ((bits & R_WILD) && k < nl && k + 1 > best)
			best = k + 1;
	}
	/* an exception prevails, its suffix the rule less one label; else
	 * the longest rule; else the implicit "*" */
	if (exc > 0)
		ps = exc - 1;
	else
		ps = best > 0 ? best : 1;
	if (ps == 0)
		ps = 1;
	if (nl <= ps) {
		buf_free(&nm);
		return 0;
	}
	/* RFC 7489 3.2 step 4: the public suffix and one label more */
	i = lab[nl - ps - 1];
	if (buf_set(out, nm.s + i, nm.len - i) == -1)
		goto fail;
	buf_free(&nm);
	return 1;
fail:
	r = errno;
	buf_free(&nm);
	buf_reset(out);
	errno = r;
	return -1;
}

/* The compiler */

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name,
	    ((const struct ent *)b)->name);
}

static int
ent_add(struct ents *e, const char *s, size_t n, unsigned bits)
{
	struct ent *v;
	char *c;

	if (e->n >= PSL_RULES_MAX * 4) {
		errno = E2BIG;
		return -1;
	}
	if ((v = array_ready(e->v, &e->cap, e->n + 1, sizeof(*v))) == NULL)
		return -1;
	e->v = v;
	if ((c = malloc(n + 1)) == NULL)
		return -1;
	memcpy(c, s, n);
	c[n] = '\0';
	v[e->n].name = c;
	v[e->n].bits = bits;
	e->n++;
	return 0;
}

static void
ents_free(struct ents *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i].name);
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

/*
 * One line s[0..n): 1 a rule (added with its parents), 0 nothing, -1
 * error (*why set when the line is bad, else errno from the system).
 */
static int
parse_line(struct ents *e, char *s, size_t n, int *private,
    const char **why)
{
	struct buf nm = BUF_INIT;
	char *tok;
	size_t i = 0, tl;
	unsigned bits;
	int r;

	*why = NULL;
	if (memchr(s, '\0', n) != NULL) {
		*why = "NUL byte";
		return -1;
	}
	s[n] = '\0';		/* the line end, or the buf's own NUL */
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (i == n)
		return 0;
	if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		if (strstr(s + i, "===BEGIN PRIVATE DOMAINS===") != NULL)
			*private = 1;
		else if (strstr(s + i, "===BEGIN ICANN DOMAINS===") != NULL)
			*private = 0;
		return 0;
	}
	/* publicsuffix.org: each line is only read up to the first
	 * whitespace */
	tok = s + i;
	while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
		i++;
	tl = (size_t)(s + i - tok);
	tok[tl] = '\0';
	bits = R_NORMAL;
	if (tok[0] == '!') {
		bits = R_EXCEPT;
		tok++;
	} else if (tok[0] == '*' && tok[1] == '\0') {
		return 0;	/* the implicit rule, written out */
	} else if (tok[0] == '*' && tok[1] == '.') {
		bits = R_WILD;
		tok += 2;
	}
	if (psl_name(tok, &nm) == -1) {
		*why = strchr(tok, '*') != NULL ? "wildcard not leftmost" :
		    "not a valid domain name";
		return -1;
	}
	if (bits == R_EXCEPT && memchr(nm.s, '.', nm.len) == NULL) {
		buf_free(&nm);
		*why = "exception rule of one label";
		return -1;
	}
	if (*private)
		bits <<= R_PRIVATE;
	/* the rule, and its parents as empty entries so a lookup can stop
	 * at the first absent suffix */
	r = ent_add(e, nm.s, nm.len, bits);
	for (i = 0; r == 0 && i < nm.len; i++)
		if (nm.s[i] == '.')
			r = ent_add(e, nm.s + i + 1, nm.len - i - 1, 0);
	buf_free(&nm);
	return r == 0 ? 1 : -1;
}

/* Write the merged, sorted entries e into the open cdb_make. */
static int
write_ents(struct cdb_make *cm, struct ents *e)
{
	char v[sizeof(letters)];
	size_t i, j, k, vl;
	unsigned bits;

	qsort(e->v, e->n, sizeof(*e->v), ent_cmp);
	for (i = 0; i < e->n; i = j) {
		bits = 0;
		for (j = i; j < e->n && strcmp(e->v[j].name, e->v[i].name) == 0;
		    j++)
			bits |= e->v[j].bits;
		for (k = 0, vl = 0; k < sizeof(letters) - 1; k++)
			if (bits & (1u << k))
				v[vl++] = letters[k];
		if (cdb_make_add(cm, e->v[i].name,
		    (unsigned)strlen(e->v[i].name), v, (unsigned)vl) != 0)
			return -1;
	}
	return cdb_make_add(cm, MARK_KEY, sizeof(MARK_KEY) - 1, MARK_VAL,
	    sizeof(MARK_VAL) - 1);
}

long
psl_compile(const char *src, const char *dst, unsigned mode,
    unsigned long *line_r, const char **why_r)
{
	struct buf text = BUF_INIT;
	struct ents e = { NULL, 0, 0 };
	struct atomic_file f;
	struct cdb_make cm;
	char *p, *end, *nl;
	unsigned long line = 0;
	long rules = 0;
	int r, private = 0, save;

	*line_r = 0;
	*why_r = NULL;
	if (read_file(src, &text, PSL_FILE_MAX) == -1)
		goto fail;
	for (p = text.s, end = text.s + text.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;	/* the buf's NUL is the byte to spare */
		line++;
		if ((size_t)(nl - p) > PSL_LINE_MAX) {
			*why_r = "line too long";
			goto bad;
		}
		r = parse_line(&e, p, (size_t)(nl - p), &private, why_r);
		if (r == -1) {
			if (*why_r != NULL)
				goto bad;
			goto fail;
		}
		if (r == 1 && ++rules > PSL_RULES_MAX) {
			*why_r = "too many rules";
			goto bad;
		}
	}
	if (rules == 0) {
		line = 0;
		*why_r = "no rules";
		goto bad;
	}
	if (atomic_open(&f, dst, mode & 07777) == -1)
		goto fail;
	if (cdb_make_start(&cm, f.fd) != 0) {
		atomic_abort(&f);
		goto fail;
	}
	if (write_ents(&cm, &e) != 0) {
		save = errno;
		cdb_make_finish(&cm);	/* frees its tables */
		errno = save;
		atomic_abort(&f);
		goto fail;
	}
	if (cdb_make_finish(&cm) != 0) {
		atomic_abort(&f);
		goto fail;
	}
	if (atomic_commit(&f) == -1)
		goto fail;
	ents_free(&e);
	buf_free(&text);
	return rules;
bad:
	*line_r = line;
	errno = EINVAL;
fail:
	save = errno;
	ents_free(&e);
	buf_free(&text);
	errno = save;
	return -1;
}
