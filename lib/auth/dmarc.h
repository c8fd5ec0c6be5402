/*
 * dmarc: the core of DMARC (RFC 7489, with the notes of RFC 7960), pure:
 * the policy record's parser, the names whose TXT records hold it, the
 * identifier alignment, the result and the disposition, and the
 * Authentication-Results text.  No DNS is done here; the caller asks the
 * names dmarc_query_names gives (lib/dns) and hands the TXT records back.
 *
 * The Author Domain (RFC 7489 6.6.1), dmarc_from_domains: a message needs
 * exactly one From field (RFC 5322 3.6: it is required and may not
 * repeat).  No From field, several From fields, a From field that does not
 * parse as a mailbox-list, a mailbox without a domain, or a domain
 * literal: the message is outside what DMARC can evaluate (6.6.1 leaves
 * it to the receiver); dmarc_from_domains says why (EINVAL) and the
 * caller records dmarc=permerror with that reason and applies no policy
 * (a program may be configured to refuse such mail; that choice is not
 * made here).  One From field with several mailboxes: each distinct
 * domain (compared as lower-case A-labels) is an Author Domain, at most
 * DMARC_FROM_MAX; each is evaluated and dmarc_merge keeps the strictest
 * outcome among them ("apply the most strict policy selected among the
 * checks that fail", 6.6.1).
 *
 * Policy discovery (6.6.3): TXT records at _dmarc.AUTHOR-DOMAIN; those
 * that do not start with "v=DMARC1" are discarded; if none is left, the
 * same at _dmarc.ORGANIZATIONAL-DOMAIN (when it differs); one record left
 * is the policy; several are no policy (dmarc=permerror here: a
 * configuration error of the domain, as a record that does not parse).  A
 * DNS failure other than NXDOMAIN or no data is dmarc=temperror.
 *
 * Record syntax (6.3, 6.4): "v=DMARC1" first (the tag name in any case,
 * the value exactly; the ';' after it may be missing at the end of the
 * record, as in the examples that RFC 7489 erratum 5440 notes), then tags
 * "name=value" separated by ';', blanks allowed around '=' and ';' and
 * empty tags (";;") tolerated; tag names and keyword values are
 * case-insensitive (RFC 5234 2.3).  Unknown tags are ignored (6.3); a known
 * tag given twice, a tag without '=' or a bad value makes the record
 * invalid, with a reason.  p may come anywhere after v (the ABNF puts it
 * second; DMARCbis allows any order after v, and OpenDMARC accepts it).  A
 * record without a valid p, or with an invalid sp, is used as p=none when
 * rua holds a valid URI (6.6.3), else it is invalid.  An rf listing a
 * format other than "afrf" invalidates the record (6.3: a receiver MAY
 * ignore the entire record; OpenDMARC does).  A rua/ruf URI that is not a
 * URI (RFC 3986 scheme ":" ...) or has a bad "!size" is dropped and
 * counted, the others kept; only the first DMARC_URI_MAX of each tag are
 * kept.  A record is at most DMARC_RECORD_MAX octets.
 *
 * Indirect flows (RFC 7960): every DKIM signature is considered, so one
 * aligned signature that survives a forwarder or list passes DMARC even
 * when SPF does not; overrides by local policy (RFC 7489 6.7, RFC 7960
 * 4.1) are the program's, recorded in its log, not made here.
 *
 * Return convention: 0 / -1 with errno set, unless stated otherwise.
 */
#ifndef POSTERN_DMARC_H
#define POSTERN_DMARC_H

#include <stddef.h>
#include <stdint.h>

#include "auth/psl.h"
#include "base/buf.h"

#define DMARC_RECORD_MAX	8192	/* octets in one record */
#define DMARC_URI_MAX		8	/* URIs kept per rua / ruf */
#define DMARC_URI_LEN		1024	/* octets in one URI */
#define DMARC_FROM_MAX		16	/* distinct Author Domains */
#define DMARC_DKIM_MAX		64	/* DKIM results considered */

enum dmarc_policy {
	DMARC_P_NONE = 0,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT
};

enum dmarc_align {
	DMARC_A_RELAXED = 0,	/* the default of adkim and aspf (6.3) */
	DMARC_A_STRICT
};

/* fo (6.3): failure reporting options */
#define DMARC_FO_0	0x1	/* the default */
#define DMARC_FO_1	0x2
#define DMARC_FO_D	0x4
#define DMARC_FO_S	0x8

/* rf: the report formats; "afrf" is the only one registered (6.3, 11) */
#define DMARC_RF_AFRF	0x1

struct dmarc_uri {
	char		*uri;		/* as written: "mailto:a@example.com" */
	uint64_t	 max;		/* "!size" in octets; 0 without */
};

struct dmarc_record {
	enum dmarc_policy p, sp;	/* sp: p when not given (6.3) */
	int		 p_given;	/* 0: no valid p, rua made it none */
	int		 sp_given;
	enum dmarc_align adkim, aspf;
	unsigned	 pct;		/* 0-100, default 100 */
	unsigned	 fo;		/* DMARC_FO_*, default DMARC_FO_0 */
	unsigned	 rf;		/* DMARC_RF_*, default afrf */
	unsigned long	 ri;		/* seconds, default 86400 */
	struct dmarc_uri rua[DMARC_URI_MAX], ruf[DMARC_URI_MAX];
	size_t		 nrua, nruf;
	size_t		 rua_dropped, ruf_dropped;	/* bad, or too many */
	const char	*why;		/* invalid: why (a static string) */
};

/*
 * Parse the TXT record s[0..n) (its strings joined, RFC 7489 6.6.3 /
 * RFC 7208 3.3) into *r (which needs no initialising and is freed with
 * dmarc_record_free in every case).  1 a valid record, 0 not a DMARC
 * record (empty, or not starting with "v=DMARC1": discarded, 6.6.3),
 * -1 EINVAL an invalid DMARC record (r->why says why), -1 ENOMEM.
 */
int	dmarc_record_parse(const char *s, size_t n, struct dmarc_record *r);
void	dmarc_record_free(struct dmarc_record *);

/*
 * The TXT records of one name, txt[i][0..len[i]): choose the policy
 * record (6.6.3 steps 3 and 4).  1 one record (*r filled), 0 none that is
 * a DMARC record (ask the next name), -1 EINVAL several, or the one is
 * invalid (r->why says), -1 ENOMEM.  *r is freed with dmarc_record_free.
 */
int	dmarc_record_select(const char *const *txt, const size_t *len,
	    size_t n, struct dmarc_record *r);

/*
 * The names to ask for TXT records, in order (6.6.3): "_dmarc.DOMAIN",
 * then "_dmarc.ORG" when the Organizational Domain of domain differs from
 * it.  domain in the form of psl_name.  Returns the number of names (1 or
 * 2) in name[0], name[1], or -1 (EINVAL: not a valid name, or _dmarc.
 * and it longer than a DNS name; else the table could not be read).
 */
struct dmarc_query {
	struct buf	 name[2];
};

int	dmarc_query_names(struct psl *, const char *domain,
	    struct dmarc_query *q);
void	dmarc_query_free(struct dmarc_query *);

/*
 * The Author Domains of the header section head[0..len) (see the top of
 * this file): 0 with f->n >= 1 distinct domains in f->domain[] (lower-case
 * A-labels), or -1 EINVAL with f->why (static) set, -1 ENOMEM.  Freed
 * with dmarc_from_free in every case.
 */
struct dmarc_from {
	struct buf	 domain[DMARC_FROM_MAX];
	size_t		 n;
	const char	*why;
};

int	dmarc_from_domains(const char *head, size_t len, struct dmarc_from *);
void	dmarc_from_free(struct dmarc_from *);

/*
 * Identifier alignment (RFC 7489 3.1): strict, the two names are the same;
 * relaxed, their Organizational Domains are (a name that is itself a
 * public suffix standing for its own).  Names are compared as psl_name
 * makes them.  1 aligned, 0 not (an invalid name is never aligned), -1
 * the table could not be read.
 */
int	dmarc_aligned(struct psl *, const char *a, const char *b,
	    enum dmarc_align mode);

/* The result of DMARC (RFC 7489 11.2, RFC 8601 2.7.x wording). */
enum dmarc_res {
	DMARC_NONE = 0,		/* no policy record */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,
	DMARC_PERMERROR
};

/* What the record lookup of 6.6.3 found, for dmarc_eval. */
enum dmarc_found {
	DMARC_FOUND_NONE = 0,	/* no record at either name */
	DMARC_FOUND_AUTHOR,	/* the record of _dmarc.AUTHOR-DOMAIN */
	DMARC_FOUND_ORG,	/* the record of _dmarc.ORG-DOMAIN */
	DMARC_FOUND_TEMP,	/* a DNS failure (temperror) */
	DMARC_FOUND_INVALID	/* several, or invalid (permerror) */
};

struct dmarc_dkim {
	const char	*d;		/* the signature's d= */
	int		 pass;		/* 1: the result was "pass" */
};

struct dmarc_input {
	const char	*from;		/* the Author Domain */
	/*
	 * SPF of the MAIL FROM identity (RFC 7489 4.1): its domain, or for
	 * a null reverse-path the HELO domain (RFC 7208 2.4: the identity
	 * is then postmaster@HELO); spf_pass 1 when the result was "pass".
	 * NULL: no SPF result.
	 */
	const char	*spf_domain;
	int		 spf_pass;
	const struct dmarc_dkim *dkim;	/* the DKIM results (all signatures) */
	size_t		 ndkim;
	enum dmarc_found found;
	const struct dmarc_record *rec;	/* the record, with found AUTHOR/ORG */
	const char	*why;		/* with found INVALID: the reason */
	unsigned	 sample;	/* uniform in 0..99: pct sampling */
};

struct dmarc_result {
	enum dmarc_res	 res;
	int		 has_policy;	/* a record applies (pass or fail) */
	enum dmarc_policy policy;	/* requested: p, or sp (6.3) */
	enum dmarc_policy dis;		/* to do: policy after pct (6.6.4) */
	int		 spf_aligned, dkim_aligned;
	int		 sampled_out;	/* pct excluded this message */
	const char	*why;		/* permerror / temperror reason */
	char		 from[PSL_NAME_MAX + 1];	/* header.from */
};

/*
 * Evaluate one Author Domain (RFC 7489 6.6, 4.2): DMARC passes when SPF
 * passed for an aligned domain or a DKIM signature passed with an aligned
 * d= (3.1, with the record's aspf / adkim); the policy is sp when the
 * record came from the Organizational Domain and the Author Domain is
 * below it, else p; a fail under pct (6.6.4) applies the policy when
 * sample < pct, else the next lower one (reject -> quarantine ->
 * none).  A table read error makes res temperror.  0, or -1 EINVAL when
 * the input is unusable (no from, or found AUTHOR/ORG without rec).
 */
int	dmarc_eval(struct psl *, const struct dmarc_input *,
	    struct dmarc_result *);

/*
 * Fold r into acc for several Author Domains (6.6.1): acc keeps the worse
 * result (permerror < temperror < fail ... by severity: fail over
 * temperror over permerror over none over pass) and the strictest
 * disposition.  acc starts as the first result.
 */
void	dmarc_merge(struct dmarc_result *acc, const struct dmarc_result *r);

/* "none", "pass", ... and "none", "quarantine", "reject". */
const char *dmarc_res_name(enum dmarc_res);
const char *dmarc_policy_name(enum dmarc_policy);

/*
 * The result as text for Authentication-Results (RFC 8601 2.7, RFC 7489
 * 11.2), appended to out: "dmarc=pass (p=reject dis=none)
 * header.from=example.com"; the comment only when a record applied; a
 * reason="..." for permerror and temperror.  dmarc_authres_props appends
 * only what follows "dmarc=RESULT" without reason ("(p=reject dis=none)
 * header.from=example.com"), for authres_add.  p= is the policy requested
 * for this message (sp for a subdomain), dis= what pct left of it.  For a
 * message without a usable Author Domain (dmarc_from_domains failed), a
 * zeroed struct dmarc_result with res DMARC_PERMERROR and why set gives
 * "dmarc=permerror reason=\"several From fields\"".
 */
int	dmarc_authres(const struct dmarc_result *, struct buf *out);
int	dmarc_authres_props(const struct dmarc_result *, struct buf *out);

#endif
