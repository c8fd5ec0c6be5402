/*
 * psl: the Organizational Domain of RFC 7489 3.2, from the public suffix
 * list (https://publicsuffix.org/list/, Debian's publicsuffix package),
 * compiled once into a CDB file so that a process does a few constant-time
 * lookups instead of parsing 300 KB.
 *
 * The algorithm is publicsuffix.org's ("Formal algorithm"): of the rules
 * that match a name, an exception rule ("!name") prevails; otherwise the
 * rule with the most labels, a wildcard "*.name" counting the label it
 * stands for; with no rule matching, the implicit rule "*" (the top-level
 * label).  An exception's public suffix is the rule minus its leftmost
 * label.  The Organizational Domain (RFC 7489 3.2 step 4) is the public
 * suffix and one label more; a name that is itself a public suffix has
 * none.
 *
 * Both sections of the list are used, ICANN and PRIVATE, by default: RFC
 * 7489 3.2 names the list without restricting it, OpenDMARC loads the whole
 * file, and the PRIVATE rules are the ones that separate the owners of
 * names under a shared registrable domain (blogspot.com, github.io), which
 * is what alignment must tell apart; the list's own test cases count on
 * them too (uk.com is a PRIVATE rule).  PSL_ICANN_ONLY ignores the PRIVATE
 * rules.
 *
 * Names are compared as lower-case A-labels (RFC 7489 6.6.1: a U-label is
 * converted to an A-label first; IDNA 2008 through libidn2), without the
 * trailing dot.  A name is at most PSL_NAME_MAX octets in A-labels, labels
 * 1 to 63 octets of letters, digits, '-' and '_'; anything else is EINVAL.
 *
 * The CDB file (psl_compile writes it, psl_org_domain reads it):
 *	key "!psl"	value "1": marks the file as a compiled list (no name
 *			holds '!')
 *	key NAME	value: one letter per rule on NAME, "n" NAME, "w"
 *			"*.NAME", "e" "!NAME" from the ICANN section, "N",
 *			"W", "E" the same from the PRIVATE section; an empty
 *			value when NAME has no rule but longer rules end in
 *			it, so a lookup walks from the top-level label leftwards
 *			and stops at the first suffix that is absent (for
 *			"www.example.co.uk": "uk", "co.uk", "example.co.uk").
 *
 * Return convention: 0 / -1 with errno set, unless stated otherwise.
 */
#ifndef POSTERN_PSL_H
#define POSTERN_PSL_H

#include <stddef.h>

#include <cdb.h>

#include "base/buf.h"

#define PSL_NAME_MAX	253	/* RFC 1035 2.3.4: 255 octets on the wire */
#define PSL_LABEL_MAX	63
#define PSL_INPUT_MAX	1024	/* longest name accepted before IDNA */
#define PSL_FILE_MAX	(16 * 1024 * 1024)	/* the rule file */
#define PSL_LINE_MAX	4096	/* a line of it */
#define PSL_RULES_MAX	1000000

#define PSL_ICANN_ONLY	0x1	/* psl_open: ignore the PRIVATE section */

struct psl {
	struct cdb	 c;
	int		 fd;
	int		 flags;
};

/* Open the compiled list at path; EINVAL when it is not one. */
int	psl_open(struct psl *, const char *path, int flags);
void	psl_close(struct psl *);

/*
 * The name as psl compares it: lower-case A-labels, one trailing dot
 * dropped, checked as above; into out.  -1 EINVAL when it is no valid
 * name (NULL, empty, an empty label, too long, a bad byte, IDNA refused);
 * out is then empty, its memory freed.
 */
int	psl_name(const char *name, struct buf *out);

/*
 * The Organizational Domain of name (RFC 7489 3.2) into out, in the form
 * of psl_name: 1 found, 0 none (name is itself a public suffix: "com",
 * "co.uk"; out empty), -1 error (EINVAL: not a valid name; other errno:
 * the table could not be read).
 */
int	psl_org_domain(struct psl *, const char *name, struct buf *out);

/*
 * Compile the public suffix list in the file src into the CDB file dst
 * atomically (as cdbtab_compile: dst.tmp, fsync, rename), with mode.
 * Each line is read up to its first blank; "//" starts a comment; the
 * "===BEGIN PRIVATE DOMAINS===" and "===BEGIN ICANN DOMAINS===" comments
 * switch sections.  A rule that is no valid name (an empty label, a
 * wildcard not leftmost, a bad byte, an exception of one label) or a line
 * past PSL_LINE_MAX is an error: -1 EINVAL with *line_r its number and
 * *why_r a static reason; a list without rules is EINVAL at line 0.
 * Nothing is changed on an error.  Returns the number of rules.
 */
long	psl_compile(const char *src, const char *dst, unsigned mode,
	    unsigned long *line_r, const char **why_r);

#endif
