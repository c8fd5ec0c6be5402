/*
 * addr: mail addresses.  RFC 5322 3.4 address and mailbox lists as they
 * appear in header fields (with the obsolete syntax of RFC 5322 4.4 and
 * UTF-8 per RFC 6532 3.2), RFC 5321 4.1.2 SMTP paths (with RFC 6531 3.3
 * SMTPUTF8), and RFC 5322 3.6.4 message identifiers.
 *
 * Header values may be given folded or unfolded; they are unfolded first
 * (RFC 5322 2.2.3), one trailing line ending is ignored, and any other CR
 * or LF is an error.  Error positions (struct addr_err) are offsets in the
 * unfolded value.
 *
 * Canonical forms.  A local part is written unquoted when its content is a
 * valid dot-atom ("john"."doe" and "john.doe" both become john.doe), else
 * as one quoted-string with only '"' and '\' escaped.  A domain is its atoms
 * joined by dots, CFWS removed, case kept; a domain literal keeps its
 * brackets.  A display name has its quotes and quoted-pairs resolved,
 * comments dropped, each run of blanks made one space, and no blanks at
 * either end; RFC 2047 encoded words are left as they are.
 *
 * Limits (chosen; RFC 5322 itself has only the 998-octet line): a header
 * address is at most ADDR_SPEC_MAX octets in canonical form and its domain
 * at most ADDR_DOMAIN_MAX (DNS); a display name at most ADDR_NAME_MAX; a
 * list at most ADDR_MAX addresses and ADDR_MAX groups.  RFC 5321 4.5.3.1
 * limits (local part 64, domain 255, path 256) apply to SMTP paths only.
 * Bytes >= 0x80 must be valid UTF-8 (RFC 3629); NUL is never accepted.
 *
 * Return convention: 0 on success, -1 on failure with errno set: EINVAL
 * (bad syntax or a length limit; *err says where and why), E2BIG (more
 * than ADDR_MAX addresses or groups, or ADDR_MSGID_MAX ids), ENOMEM.
 * Other conventions are stated at the function.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stddef.h>

#include "base/buf.h"

#define ADDR_MAX		1000	/* addresses in one list */
#define ADDR_SPEC_MAX		998	/* canonical local@domain in a header */
#define ADDR_NAME_MAX		998	/* display name, after collapsing */
#define ADDR_LOCAL_MAX		64	/* RFC 5321 4.5.3.1.1 (SMTP) */
#define ADDR_DOMAIN_MAX		255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX		256	/* RFC 5321 4.5.3.1.3 (SMTP) */
#define ADDR_LABEL_MAX		63	/* RFC 1035 2.3.4 (SMTP, ASCII) */
#define ADDR_COMMENT_DEPTH	32	/* nested comments */
#define ADDR_MSGID_MAX		1000	/* ids in one References field */

/* Where and why parsing failed; why is a static string. */
struct addr_err {
	size_t		 pos;
	const char	*why;
};

/* struct addr flags */
#define ADDR_F_ROUTE	0x01	/* an obs-route / source route was dropped */
#define ADDR_F_UTF8	0x02	/* non-ASCII in the local part or domain */
#define ADDR_F_LITERAL	0x04	/* the domain is a domain literal */
#define ADDR_F_QUOTED	0x08	/* the canonical local part is quoted */

struct addr {
	char		*name;		/* display name, NULL if none */
	char		*local;		/* canonical local part */
	char		*domain;	/* canonical domain */
	const char	*group;		/* the group's name (in groups[]), */
	unsigned	 flags;		/* or NULL outside a group */
};

/*
 * A parsed list.  groups[] holds the name of every group seen, in order,
 * empty groups ("Undisclosed recipients:;") included.
 */
struct addr_list {
	struct addr	*v;
	size_t		 n, cap;
	char		**groups;
	size_t		 ngroups, gcap;
};

#define ADDR_LIST_INIT	{ NULL, 0, 0, NULL, 0, 0 }

/* addr_parse flags */
#define ADDR_NOGROUP	0x01	/* a mailbox-list (From:): groups are errors */

/*
 * RFC 5322 3.4 address-list (or mailbox-list with ADDR_NOGROUP) in
 * s[0..n), appended to *l.  At least one address or group is required.
 * Empty list elements are skipped (RFC 5322 4.4 obs-addr-list), and so is
 * a missing ',' after a group's ';' ("A: a@b; B: c@d;").  A comment is
 * never taken as a display name; a display name that is empty after
 * collapsing gives name NULL.  On failure *l is as it was before the call.
 */
int	addr_parse(struct addr_list *l, const char *s, size_t n,
	    unsigned flags, struct addr_err *err);
void	addr_list_free(struct addr_list *);

/* Append "local@domain" to b. */
int	addr_spec(struct buf *b, const struct addr *);

/*
 * Append the canonical form of local-part content s[0..n) (quotes and
 * quoted-pairs already resolved) to b: as it is when it is a dot-atom,
 * else quoted.  Returns 1 when it was quoted, 0 when not, -1 on error.
 */
int	addr_local_canon(struct buf *b, const char *s, size_t n);

/* addr_smtp_path flags */
#define ADDR_SMTP_UTF8	0x01	/* SMTPUTF8 was given: RFC 6531 3.3 */
#define ADDR_SMTP_NULL	0x02	/* "<>" is allowed (MAIL FROM) */
#define ADDR_SMTP_PM	0x04	/* "<Postmaster>" allowed (RCPT TO) */

/* struct addr_path flags */
#define ADDR_P_NULL	0x01	/* "<>" */
#define ADDR_P_ROUTE	0x02	/* a source route was given and dropped */
#define ADDR_P_UTF8	0x04	/* non-ASCII octets in the path (the address
				   or a dropped source route) */
#define ADDR_P_LITERAL	0x08	/* the domain is an address literal */
#define ADDR_P_PM	0x10	/* "<Postmaster>" without a domain */

struct addr_path {
	struct buf	 addr;		/* "local@domain"; "" for <> */
	size_t		 at;		/* offset of the '@' in addr */
	size_t		 params;	/* offset in s of the ESMTP params */
	unsigned	 flags;		/* ADDR_P_* */
};

#define ADDR_PATH_INIT	{ BUF_INIT, 0, 0, 0 }

/*
 * RFC 5321 4.1.2 Reverse-path / Forward-path: s[0..n) is what follows
 * "MAIL FROM:" or "RCPT TO:" without the CRLF; it must start with '<'.
 * After '>' come the end or SP and the parameters; p->params is the offset
 * of the first parameter (n when there is none).  A source route
 * "<@a,@b:u@d>" is checked and dropped (RFC 5321 4.1.2, appendix C).
 * Non-ASCII octets are an error unless ADDR_SMTP_UTF8 is given; since the
 * SMTPUTF8 parameter follows the path, MAIL FROM is parsed with
 * ADDR_SMTP_UTF8 and ADDR_P_UTF8 checked against the parameters after.
 * p->addr is replaced.
 */
int	addr_smtp_path(struct addr_path *p, const char *s, size_t n,
	    unsigned flags, struct addr_err *err);
void	addr_path_free(struct addr_path *);

/* RFC 5322 3.6.4 msg-id lists, each id as "left@right" without <>. */
struct addr_msgids {
	char		**v;
	size_t		 n, cap;
};

#define ADDR_MSGIDS_INIT	{ NULL, 0, 0 }

/* addr_msgid_parse flags */
#define ADDR_MSGID_ONE	0x01	/* exactly one id (Message-ID:) */

/*
 * The msg-ids in s[0..n), appended to *m.  Without ADDR_MSGID_ONE this is
 * In-Reply-To / References, where the obsolete syntax (RFC 5322 4.5.4)
 * allows phrases between the ids; they are skipped, and a list of only
 * phrases gives no id.  id-left and id-right may be obs-id-left /
 * obs-id-right (local-part / domain with CFWS); they are made canonical.
 * On failure *m is as it was before the call.
 */
int	addr_msgid_parse(struct addr_msgids *m, const char *s, size_t n,
	    unsigned flags, struct addr_err *err);
void	addr_msgids_free(struct addr_msgids *);

/*
 * Append a new msg-id "<UNIQUE@host>" to b: UTC time, pid, a counter and
 * 64 random bits.  host must be a dot-atom-text (EINVAL otherwise).
 */
int	addr_msgid_new(struct buf *b, const char *host);

/*
 * Lexical helpers, shared with date.c and other header parsers.
 *
 * addr_cfws: skip RFC 5322 3.2.2 CFWS (blanks and comments, nested at most
 * ADDR_COMMENT_DEPTH deep) in unfolded text s[*i..n).  Returns 1 if
 * something was skipped, 0 if not, -1 on a bad comment (unterminated, too
 * deep, invalid UTF-8, CR, LF or NUL), with err set.
 *
 * addr_utf8_len: the length (2 to 4) of the valid UTF8-non-ascii sequence
 * (RFC 3629 section 4, RFC 6532 3.1) at s[0..n), or 0 if it is not one.
 */
int	addr_cfws(const char *s, size_t n, size_t *i, struct addr_err *err);
size_t	addr_utf8_len(const char *s, size_t n);

/* RFC 5322 3.2.3 atext, the ASCII part (RFC 6532 adds UTF8-non-ascii):
 * 1 / 0. */
int	addr_atext(int c);

#endif
