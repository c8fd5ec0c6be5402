/*
 * dns: DNS lookups over libunbound, for SPF, DKIM, DMARC, MX, DANE and
 * MTA-STS.  One resolver context per process (struct dns), queries by
 * name and type, answers parsed into records, with the DNSSEC state of
 * each answer and the failures told apart: no such name, no data of the
 * type, a server failure, a timeout.
 *
 * Configuration (dns_open):
 *   POSTERN_RESOLVER  "IP" or "IP@PORT" (unbound's notation): forward
 *                     every query there.  DNSSEC validation is then off
 *                     unless POSTERN_TRUST_ANCHOR names a trust anchor
 *                     file too: tests and conformance runs point every
 *                     program at a loopback server this way.
 *   else the control file dns-forward (one IP or IP@PORT per line), else
 *   the system's resolvers (/etc/resolv.conf); validation with the trust
 *   anchor of the control file dns-trust-anchor, default DNS_ROOT_KEY
 *   (Debian's dns-root-data), when that file exists.
 *
 * Names are given as text, with or without the final dot; a name with
 * non-ASCII characters is converted to A-labels (RFC 5891, libidn2)
 * first.  A name longer than 253 octets, a label longer than 63 or empty
 * is DNS_BADNAME without a query.
 *
 * Return convention: 0 / -1 with errno set, unless stated otherwise.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define DNS_ROOT_KEY		"/usr/share/dns/root.key"
#define DNS_TIMEOUT_MS		5000	/* a query, by default */
#define DNS_NAME_MAX		253	/* RFC 1035 2.3.4, as text */
#define DNS_TXT_MAX		65535	/* the joined strings of one TXT */

/* RR types (RFC 1035 3.2.2, RFC 3596, RFC 6698) */
#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_TLSA	52

enum dns_status {
	DNS_OK,		/* records of the type (n > 0) */
	DNS_NODATA,	/* the name exists, no record of the type */
	DNS_NXDOMAIN,	/* no such name (RCODE 3) */
	DNS_SERVFAIL,	/* a server failure, refused, or a bogus answer
			 * when validating: try again later */
	DNS_TIMEOUT,	/* no answer within the time given */
	DNS_BADNAME,	/* the name cannot be asked (too long, bad IDNA) */
	DNS_ERROR	/* the resolver itself failed (errno, or why) */
};

enum dns_sec {
	DNS_INSECURE,	/* no validation, or an unsigned zone */
	DNS_SECURE,	/* validated (data, or its absence, proven) */
	DNS_BOGUS	/* validation failed: status is DNS_SERVFAIL */
};

/* One record, parsed by type. */
struct dns_rr {
	int		 type;
	uint32_t	 ttl;
	unsigned	 pref;		/* MX preference */
	/* A/AAAA: the printable address; MX/PTR/CNAME: the target name
	 * (no final dot); TXT: the character-strings joined (RFC 7208
	 * 3.3), which may hold any byte, NUL included: use len */
	char		*text;
	size_t		 len;		/* of text */
	uint8_t		 addr[16];	/* A: 4 bytes, AAAA: 16 */
	uint8_t		 usage, selector, mtype;	/* TLSA (RFC 6698 2.1) */
	uint8_t		*data;		/* TLSA: the association data */
	size_t		 dlen;
};

struct dns_answer {
	enum dns_status	 status;
	enum dns_sec	 sec;
	int		 type;
	int		 rcode;		/* the DNS RCODE */
	char		*canon;		/* the final CNAME target, or NULL */
	const char	*why;		/* DNS_BOGUS, DNS_ERROR: static text */
	size_t		 n;
	struct dns_rr	*rr;
};

struct dns;

/* A resolver as configured above; NULL with *why (static text) set. */
struct dns *dns_open(const char **why);
void	dns_close(struct dns *);

/*
 * Ask and wait, at most timeout_ms (0: DNS_TIMEOUT_MS).  Returns 0 with
 * *a filled (its status says what came back; free it with
 * dns_answer_free), -1 only when out of memory.
 */
int	dns_query(struct dns *, const char *name, int type, int timeout_ms,
	    struct dns_answer *a);
void	dns_answer_free(struct dns_answer *);

/*
 * Asynchronous queries, for a session's poll loop: several in flight.
 * dns_submit starts one; its callback is called (once, from
 * dns_process or dns_wait, never from dns_submit) with the answer,
 * which the callback owns (dns_answer_free).  Returns a query id > 0,
 * or -1 (nothing will be called).  dns_cancel stops one (its callback
 * is not called).  dns_fd is readable when dns_process has answers to
 * deliver.  dns_wait delivers answers until none is in flight or
 * timeout_ms passed (those still out get DNS_TIMEOUT); returns the
 * number still in flight before that, 0 when all were answered.
 */
typedef void (*dns_callback)(void *arg, struct dns_answer *);
int	dns_submit(struct dns *, const char *name, int type,
	    dns_callback cb, void *arg);
int	dns_cancel(struct dns *, int id);
int	dns_fd(struct dns *);
int	dns_process(struct dns *);
int	dns_wait(struct dns *, int timeout_ms);
int	dns_pending(const struct dns *);

/* The name to ask for the PTR of ip (text, IPv4 or IPv6): the
 * in-addr.arpa or ip6.arpa name (RFC 1035 3.5, RFC 3596 2.5). */
int	dns_ptr_name(const char *ip, struct buf *out);

/* name in A-labels (IDNA 2008, RFC 5891) into out, lower case, no final
 * dot: 0, or -1 with EINVAL when it is not a name that can be asked. */
int	dns_name_ascii(const char *name, struct buf *out);

/* "ok", "nodata", "nxdomain", "servfail", "timeout", "badname", "error" */
const char *dns_status_str(enum dns_status);

#endif
