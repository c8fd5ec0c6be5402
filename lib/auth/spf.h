/*
 * spf: the Sender Policy Framework, RFC 7208: check_host() (section 4)
 * for the MAIL FROM and the HELO identities, the record parsed whole
 * before it is evaluated (4.6: a syntax error anywhere is a permerror),
 * every mechanism (5) and modifier (6), macro expansion (7), the limits
 * of 4.6.4 (10 terms that query DNS, 2 void lookups, 10 names of an MX
 * or PTR answer), the explanation of exp= (6.2), and the Received-SPF
 * field (9.1).
 *
 * DNS goes through lib/dns (dns_query, synchronous), or through the
 * caller's lookup function (the unit tests serve records from memory).
 *
 * Return convention: 0 / -1 with errno set, unless stated otherwise.
 */
#ifndef POSTERN_SPF_H
#define POSTERN_SPF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/stage.h"
#include "dns/dns.h"

#define SPF_TERMS_MAX		10	/* RFC 7208 4.6.4: DNS-querying terms */
#define SPF_VOID_MAX		2	/* RFC 7208 4.6.4: void lookups */
#define SPF_NAMES_MAX		10	/* RFC 7208 4.6.4: MX or PTR names */
#define SPF_TOTAL_MS		20000	/* RFC 7208 4.6.4: at least 20 s */
#define SPF_EXPAND_MAX		8192	/* a macro expansion's result */

enum spf_result {
	SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL,
	SPF_TEMPERROR, SPF_PERMERROR
};

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"
 * (RFC 7208 2.6, the names of RFC 8601 2.7.2 too) */
const char *spf_result_str(enum spf_result);

/* ---- the record ------------------------------------------------------ */

enum spf_mech {
	SPF_M_ALL, SPF_M_INCLUDE, SPF_M_A, SPF_M_MX, SPF_M_PTR, SPF_M_IP4,
	SPF_M_IP6, SPF_M_EXISTS
};

struct spf_term {
	enum spf_mech	 mech;
	char		 qual;		/* '+', '-', '~', '?' */
	const char	*spec;		/* domain-spec as written, or NULL */
	size_t		 speclen;
	int		 cidr4, cidr6;	/* prefix lengths: 32 and 128 unless
					 * given */
	uint8_t		 ip[16];	/* ip4 (4 bytes), ip6 */
	const char	*text;		/* the whole term, for Received-SPF */
	size_t		 textlen;
};

struct spf_record {
	struct spf_term	*t;		/* the mechanisms, in order */
	size_t		 n, cap;
	const char	*redirect, *exp;	/* domain-specs, or NULL */
	size_t		 redirectlen, explen;
};

/*
 * Parse the record s[0..n) (RFC 7208 4.5, 4.6.1, 12: "v=spf1" then terms
 * separated by spaces); the terms point into s.  0; -1 with EINVAL and
 * *why (static text) on a syntax error (a permerror), ENOMEM.
 */
int	spf_parse(const char *s, size_t n, struct spf_record *, const char **why);
void	spf_record_free(struct spf_record *);

/* Is s[0..n) an SPF record, "v=spf1" then a space or the end (RFC 7208
 * 4.5, case-insensitive)?  1 / 0. */
int	spf_is_record(const char *s, size_t n);

/* ---- a check --------------------------------------------------------- */

/* The lookups of a check: dns_query's contract (0, -1 on ENOMEM). */
typedef int (*spf_lookup_fn)(void *arg, const char *name, int type,
    int timeout_ms, struct dns_answer *);

struct spf_req {
	const char	*ip;		/* the client's address, text */
	const char	*sender;	/* MAIL FROM; NULL or "" for HELO */
	const char	*helo;		/* the HELO/EHLO argument */
	const char	*receiver;	/* our name (%{r}); NULL: "unknown" */
	time_t		 now;		/* %{t}; 0: time(NULL) */
	int		 timeout_ms;	/* a query; 0: DNS_TIMEOUT_MS */
	struct dns	*dns;		/* with lookup NULL: dns_query */
	spf_lookup_fn	 lookup;
	void		*lookup_arg;
};

struct spf_res {
	enum spf_result	 result;
	int		 helo;		/* the HELO identity was checked (no
					 * MAIL FROM) */
	struct buf	 sender;	/* the identity: local@domain */
	struct buf	 domain;	/* its domain */
	struct buf	 mech;		/* the mechanism that matched, if one */
	struct buf	 exp;		/* fail: the explanation (6.2) */
	struct buf	 problem;	/* temperror/permerror: why */
	int		 lookups;	/* terms that queried DNS */
};

/*
 * check_host() for the MAIL FROM identity of req, or for its HELO
 * identity when there is no MAIL FROM (RFC 7208 2.4); the verdict in
 * res (its buffers are reset first; free them with spf_res_free).  0,
 * whatever the verdict; -1 with ENOMEM only.
 */
int	spf_check(const struct spf_req *, struct spf_res *);
void	spf_res_free(struct spf_res *);

/*
 * Expand the macro-string s[0..n) (RFC 7208 7) for the check of req with
 * <domain> domain into out; exp 1 for an explanation (c, r, t allowed).
 * 0; -1 with EINVAL on a bad macro, ENOMEM.  (The check uses it; the
 * unit tests call it alone.)
 */
int	spf_expand(const struct spf_req *, const char *domain, const char *s,
	    size_t n, int exp, struct buf *out);

/*
 * The Received-SPF field of res (RFC 7208 9.1): "Received-SPF: RESULT
 * (COMMENT) key=value; ..." ending in eol, into out (appended).
 */
int	spf_received(const struct spf_req *, const struct spf_res *,
	    const char *eol, struct buf *out);

/*
 * spf-check as a chain stage (DESIGN.md section 4, base/stage.h): the
 * client from TCPREMOTEIP, SMTP_HELO, SMTP_MAILFROM, our name (the
 * authserv-id, %{r}) from SMTP_HOSTNAME; the message written on with
 * Received-SPF and Authentication-Results (spf=RESULT smtp.mailfrom=...,
 * or smtp.helo=... for a null MAIL FROM) at the top, forged fields
 * claiming our authserv-id removed.  Exits 0 with a verdict; 100 or 111
 * only for a result named in the control file spf-reject (fail,
 * softfail, neutral, none, permerror: 550 5.7.23 or 550 5.7.24;
 * temperror: 451 4.7.24, RFC 7372 3.2), or 111 when it could not run.
 * argv: "-T ms", the time a query may take.
 */
int	spf_stage(int argc, char *const argv[], struct stage_io *);

#endif
