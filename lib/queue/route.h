/*
 * route: where a recipient address goes, from the configuration tables
 * (DESIGN.md section 6) in control_dir():
 *
 *   domains.cdb     local domains: key "example.test" (lower case)
 *   recipients.cdb  "local@domain" -> account; "@domain" -> account is the
 *                   domain's catch-all
 *   aliases.cdb     "local@domain" -> "target, target, ..." where a target
 *                   is an address (local or remote) or "|command" is not
 *                   allowed (no program delivery here)
 *   subaddress-delimiter  control file, default "+"; "user+tag@domain"
 *                   matches "user@domain" when there is no exact entry
 *
 * Lookup order for an address in a local domain (keys lower-cased):
 * aliases (exact, then without the subaddress), recipients (exact, then
 * without the subaddress), then the domain catch-all in recipients.
 *
 * Return convention: as each function says; -1 is an error with errno set
 * (a table could not be read: temporary).
 */
#ifndef POSTERN_ROUTE_H
#define POSTERN_ROUTE_H

#include <stddef.h>

#include "base/buf.h"

enum route_kind {
	ROUTE_UNKNOWN = 0,	/* a local domain, but no such recipient */
	ROUTE_LOCAL,		/* resolves to local account(s) */
	ROUTE_REMOTE		/* not a local domain: relay */
};

#define ROUTE_MAX_TARGETS	1000	/* alias expansion: targets in all */
#define ROUTE_MAX_DEPTH		10	/* alias expansion: nesting */

/*
 * RCPT-time check for smtp-recv: ROUTE_LOCAL, ROUTE_UNKNOWN or
 * ROUTE_REMOTE, or -1 on error.  Does not expand aliases fully; an alias
 * entry counts as ROUTE_LOCAL.
 */
int	route_classify(const char *addr);

struct route_target {
	enum route_kind	 kind;		/* ROUTE_LOCAL or ROUTE_REMOTE */
	char		*account;	/* ROUTE_LOCAL: the account name */
	char		*address;	/* the final address */
	char		*detail;	/* the subaddress tag, or NULL */
};

struct route_list {
	struct route_target	*v;
	size_t			 n, cap;
};

/*
 * Expand addr through aliases (recursively, loops and duplicates
 * dropped, bounded by ROUTE_MAX_*) into final targets appended to list:
 * a remote address once, a local account once (the first address that
 * led to it, subaddress and all, is its target's address).
 * Returns ROUTE_LOCAL when at least one target was found, ROUTE_UNKNOWN
 * when the address is in a local domain but resolves to nothing (the
 * caller bounces), ROUTE_REMOTE for a non-local address (one target), or
 * -1 on error (errno ELOOP/E2BIG past the limits: permanent; others
 * temporary).
 */
int	route_expand(const char *addr, struct route_list *list);
void	route_list_free(struct route_list *);

/* Split "local@domain" at the last '@': 0, or -1 (EINVAL) without one. */
int	route_split(const char *addr, struct buf *local, struct buf *domain);

/*
 * An account name: one path component under the mail root and a login
 * name, so 1 to ROUTE_ACCOUNT_MAX lower-case letters, digits, '.', '_'
 * and '-', not beginning with '.' or '-' (one spelling per account, on
 * any file system).  conf-init makes only such accounts and
 * queue-run delivers only to them.  1 / 0.
 */
#define ROUTE_ACCOUNT_MAX	64
int	route_account_ok(const char *);

#endif
