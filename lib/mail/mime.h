/*
 * mime: the MIME structure of a message (RFC 2045, 2046, 2183, 2231).
 *
 * mime_parse computes the whole part tree of one contiguous message
 * buffer as offsets into it; no body is copied, so the tree can serve IMAP
 * BODYSTRUCTURE, FETCH BODY[n] and DKIM alike.  The parser is iterative
 * and bounded: at most MIME_DEPTH_MAX levels of nesting, MIME_PARTS_MAX
 * parts and MIME_PARAMS_MAX parameters in a header field.  It is lenient
 * in what it reads and records what it had to repair in flags.
 *
 * The parts are in document order (pre-order: a part, then its
 * children); parts[0] is the message itself.  A multipart part's
 * children are its body parts; a message/rfc822 or message/global part
 * has one child, the message it carries.  Every part lies within its
 * parent's body.
 *
 * Return convention: 0 on success, -1 on failure with errno set.
 * mime_parse: ELOOP past MIME_DEPTH_MAX, E2BIG past MIME_PARTS_MAX or a
 * part header with more than MSG_FIELDS_MAX fields, EMSGSIZE a header
 * field longer than MSG_FIELD_MAX, ENOMEM.  After a failure the tree holds
 * the parts parsed before it (complete and consistent, t->error set to the
 * errno) and must still be freed with mime_free.
 */
#ifndef POSTERN_MIME_H
#define POSTERN_MIME_H

#include <stddef.h>

#include "base/buf.h"

#define MIME_DEPTH_MAX	50	/* nesting levels below the message */
#define MIME_PARTS_MAX	10000	/* parts in one message */
#define MIME_PARAMS_MAX	64	/* parameters in one header field */
#define MIME_BOUNDARY_MAX 200	/* RFC 2046 5.1.1 says 70 */
#define MIME_NONE	((size_t)-1)

/* Content-Transfer-Encoding (RFC 2045 6) */
enum mime_cte {
	MIME_CTE_7BIT,		/* also when the field is absent */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_UNKNOWN	/* RFC 2045 6.4: treat as octet-stream */
};

/* A parameter of Content-Type or Content-Disposition */
#define MIME_PARAM_2231	0x01	/* given in RFC 2231 form */
#define MIME_PARAM_GAP	0x02	/* RFC 2231 sections were missing */
#define MIME_PARAM_BAD	0x04	/* repaired: %XX, charset, UTF-8 */

struct mime_param {
	char		*name;		/* lower-cased, without "*n*" */
	char		*value;		/* UTF-8: quoting and RFC 2231 undone */
	char		*lang;		/* RFC 2231 language, or NULL */
	unsigned	 flags;		/* MIME_PARAM_* */
};

/* What the field parser saw */
#define MIME_CT_SYNTAX	0x01	/* junk skipped between parameters */
#define MIME_CT_TOOMANY	0x02	/* parameters past MIME_PARAMS_MAX */
#define MIME_CT_DUP	0x04	/* a repeated parameter (first kept) */

struct mime_ct {
	char		*type;		/* lower-cased */
	char		*subtype;	/* lower-cased; NULL: disposition */
	struct mime_param *params;
	size_t		 nparams;
	unsigned	 flags;		/* MIME_CT_* */
};

/*
 * Parse the value of a Content-Type (RFC 2045 5.1; disp = 0) or a
 * Content-Disposition (RFC 2183 2; disp = 1) field: type "/" subtype
 * (or disposition-type) then parameters, with comments and blanks
 * anywhere between tokens, quoted strings, RFC 2231 continuations,
 * charsets and languages (sections joined in order whatever order they
 * came in; missing sections skipped; a plain and an RFC 2231 form of one
 * name: the RFC 2231 one wins; otherwise the first of two wins).
 * -1 EINVAL when there is no valid type (ct is then empty), ENOMEM.
 * Free with mime_ct_free, also after a failure.
 */
int	mime_ct_parse(struct mime_ct *, const char *, size_t, int disp);
const char *mime_ct_param(const struct mime_ct *, const char *name);
void	mime_ct_free(struct mime_ct *);

/* What the tree parser saw in a part (mime_part.flags) */
#define MIME_PF_BADCT	0x0001	/* Content-Type invalid: default used */
#define MIME_PF_BADCTE	0x0002	/* unknown Content-Transfer-Encoding */
#define MIME_PF_NOBOUND	0x0004	/* multipart without a boundary: a leaf */
#define MIME_PF_UNCLOSED 0x0008	/* no close delimiter: runs to the end */
#define MIME_PF_NOPARTS	0x0010	/* multipart without any body part */
#define MIME_PF_ENCODED	0x0020	/* message part with a CTE: not parsed */
#define MIME_PF_DEFAULT	0x0040	/* no Content-Type: the default used */

struct mime_part {
	size_t		 hdr;		/* offset of the header section */
	size_t		 body;		/* offset of the body (after the */
	size_t		 end;		/* blank line); body is [body,end) */
	size_t		 parent;	/* index, MIME_NONE for parts[0] */
	size_t		 next;		/* index after this part's subtree */
	size_t		 nchildren;
	unsigned	 depth;		/* 0 for the message */
	unsigned	 flags;		/* MIME_PF_* */
	unsigned	 hdr_flags;	/* MSG_F_* of the part's header */
	enum mime_cte	 cte;
	char		*type;		/* lower-cased, never NULL */
	char		*subtype;	/* lower-cased, never NULL */
	char		*charset;	/* lower-cased, NULL if none given */
	char		*boundary;	/* multipart only, else NULL */
	char		*disposition;	/* lower-cased, NULL without field */
	char		*filename;	/* UTF-8: disposition filename */
					/* or Content-Type name, or NULL */
};

struct mime_tree {
	const char	*msg;
	size_t		 len;
	struct mime_part *parts;
	size_t		 nparts;
	size_t		 cap;
	int		 error;		/* errno of a failed parse, else 0 */
};

int	mime_parse(struct mime_tree *, const void *msg, size_t len);
void	mime_free(struct mime_tree *);

/* Is the part type/subtype (subtype NULL: any)?  1 / 0. */
int	mime_is(const struct mime_part *, const char *type,
	    const char *subtype);

/*
 * The body of parts[i] with its Content-Transfer-Encoding undone,
 * appended to out; at most max bytes (-1 EMSGSIZE past it, out holding
 * the first max).  7bit, 8bit, binary and unknown encodings are copied.
 * *flags_r (may be NULL) gets the CODEC_F_* of the decoder.
 */
int	mime_body_decode(struct buf *, const struct mime_tree *, size_t i,
	    size_t max, unsigned *flags_r);

#endif
