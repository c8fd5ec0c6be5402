/*
 * msg: the header section of an RFC 5322 message: splitting it into
 * fields, unfolding, finding the body.  Addresses are in addr.h, dates in
 * date.h, MIME in mime.h.
 *
 * The parser is lenient in what it reads (RFC 5322 section 4, obsolete
 * syntax: blanks before the colon) and strict about limits.  Lines may end
 * in CRLF or in a bare LF (messages handed over locally); both count as a
 * line end, and flags record what was seen so that a caller can refuse it.
 * A line that is neither a field nor a continuation ends the header
 * section: the body starts at that line (MSG_F_NOBLANK).
 *
 * Return convention: msg_hdr_next returns 1 (a field), 0 (end of the
 * header section) or -1 (errno EMSGSIZE: a field longer than field_max;
 * E2BIG: more than fields_max fields).  Other functions: 0 / -1 (errno).
 */
#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include <stddef.h>

#include "base/buf.h"

#define MSG_FIELD_MAX	(256 * 1024)	/* default: bytes in one field */
#define MSG_FIELDS_MAX	10000		/* default: fields in a header */

/* flags: what the parser saw */
#define MSG_F_BARE_LF	0x01	/* a line ended in LF without CR */
#define MSG_F_BARE_CR	0x02	/* a CR not followed by LF */
#define MSG_F_NUL	0x04	/* a NUL byte in the header */
#define MSG_F_8BIT	0x08	/* a byte >= 0x80 in the header */
#define MSG_F_NOBLANK	0x10	/* header ended by a non-field line */
#define MSG_F_NOBODY	0x20	/* input ended inside the header */
#define MSG_F_OBSCOLON	0x40	/* blanks between a name and its colon */

struct msg_field {
	const char	*name;		/* field name, without blanks */
	size_t		 namelen;
	const char	*value;		/* after the colon, raw and folded, */
	size_t		 valuelen;	/* without the last line ending */
	const char	*raw;		/* the whole field with its line */
	size_t		 rawlen;	/* ending(s), as it came */
};

struct msg_hdr {
	const char	*start, *p, *end;
	size_t		 field_max;	/* set by msg_hdr_init to defaults; */
	size_t		 fields_max;	/* a caller may change them */
	size_t		 nfields;
	size_t		 body;		/* after 0: offset of the body */
	unsigned	 flags;		/* MSG_F_* seen so far */
	int		 done;
};

void	msg_hdr_init(struct msg_hdr *, const void *msg, size_t len);
int	msg_hdr_next(struct msg_hdr *, struct msg_field *);

/* RFC 5322 2.2.3: remove each line ending that is followed by WSP. */
int	msg_unfold(struct buf *, const char *, size_t);

/* The unfolded value with leading and trailing blanks removed. */
int	msg_field_value(struct buf *, const struct msg_field *);

/* Is this field named name (ASCII case-insensitive)? 1 / 0. */
int	msg_field_is(const struct msg_field *, const char *name);

/*
 * The first field called name in the header of msg[0..len): 1 found
 * (*f filled), 0 not found, -1 error as msg_hdr_next.
 */
int	msg_find(const void *msg, size_t len, const char *name,
	    struct msg_field *f);

/* Offset of the body of msg[0..len) (len when there is none); -1 error. */
long	msg_body_offset(const void *msg, size_t len);

#endif
