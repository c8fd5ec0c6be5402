/*
 * codec: content and header encodings of Internet mail.
 *
 *   base64            RFC 4648 4; lenient MIME decoding (RFC 2045 6.8) and
 *                     a strict decoder for DKIM and SASL
 *   quoted-printable  RFC 2045 6.7, both directions
 *   encoded words     RFC 2047 (and the RFC 2231 5 language suffix) to UTF-8
 *   RFC 2231 values   charset'language'%XX to UTF-8
 *   charsets          any iconv(3) charset to UTF-8
 *   UTF-8             RFC 3629 validation and repair
 *   xtext             RFC 3461 4 (DSN parameters), RFC 6533 4 with UTF-8
 *
 * Every function appends to its struct buf.  Decoders read anything and
 * report what they had to repair in *flags_r (CODEC_F_*; flags_r may be
 * NULL); they fail only for a system reason or a limit.
 *
 * Return convention: 0 on success, -1 on failure with errno set: ENOMEM or
 * EOVERFLOW from the buffer, EMSGSIZE when the output would pass the cap
 * `max' (out then holds the first max bytes; CODEC_NOMAX means no cap),
 * EINVAL for input a strict function refuses or an unknown charset.  On
 * any other failure out is left as it was at the call.
 */
#ifndef POSTERN_CODEC_H
#define POSTERN_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define CODEC_NOMAX	((size_t)-1)

/* What a decoder saw and repaired (*flags_r) */
#define CODEC_F_BADCHAR	0x0001	/* base64: bytes outside the alphabet */
#define CODEC_F_NOPAD	0x0002	/* base64: padding missing or short */
#define CODEC_F_PARTIAL	0x0004	/* base64: a lone last character dropped */
#define CODEC_F_TRAILING 0x0008	/* base64: data after the padding ignored */
#define CODEC_F_BADEQ	0x0010	/* QP, %XX: an invalid escape kept as is */
#define CODEC_F_BADUTF8	0x0020	/* invalid UTF-8 replaced by U+FFFD */
#define CODEC_F_BADCONV	0x0040	/* charset: invalid input, U+FFFD used */
#define CODEC_F_CHARSET	0x0080	/* an unknown charset: left as it was */
#define CODEC_F_BADWORD	0x0100	/* RFC 2047: a broken word left as is */
#define CODEC_F_ENCWORD	0x0200	/* RFC 2047: at least one word decoded */
#define CODEC_F_8BIT	0x0400	/* raw bytes >= 0x80 in header text */
#define CODEC_F_NUL	0x0800	/* a NUL replaced by U+FFFD */
#define CODEC_F_TOOLONG	0x1000	/* output limit reached; cut short */

/*
 * base64 (RFC 4648 4).  b64_encode writes one line; b64_encode_lines
 * ends a line after every linelen characters and at the end with eol
 * (RFC 2045 6.8: at most 76 characters, CRLF).
 */
/* The value of a hex digit (either case), or -1. */
int	hex_value(int);

/* RFC 2045 5.1: a token character, any US-ASCII CHAR except SPACE, CTLs
 * and tspecials (charset names, MIME types and parameters): 1 / 0. */
int	mime_token_char(int);

/* RFC 5322 3.2.2: skip CFWS (blanks, line breaks, comments, nested ones
 * too) in s[0..n) from i; the offset of what follows, n at the end. */
size_t	cfws_skip(const char *s, size_t n, size_t i);

/* The value 0-63 of the base64 digit c, or -1; the 63rd digit is c63:
 * '/' in RFC 4648 4, ',' in the modified base64 of RFC 3501 5.1.3. */
int	b64_value(int c, int c63);

int	b64_encode(struct buf *, const void *, size_t);
int	b64_encode_lines(struct buf *, const void *, size_t, size_t linelen,
	    const char *eol);

/*
 * Lenient decoding for MIME bodies (RFC 2045 6.8): line breaks are
 * skipped, other bytes outside the alphabet skipped and reported, the
 * first '=' ends the data (bytes after it reported), a last group
 * without padding decoded (reported).
 */
int	b64_decode(struct buf *, const void *, size_t, size_t max,
	    unsigned *flags_r);

/*
 * Strict decoding (DKIM, SASL): only the alphabet and correct padding
 * ('=' only to fill the last group of four); with allow_ws, SP, HTAB,
 * CR and LF may appear anywhere and are skipped.  -1 EINVAL otherwise.
 */
int	b64_decode_strict(struct buf *, const void *, size_t, int allow_ws);

/*
 * quoted-printable (RFC 2045 6.7).  Decoding: "=XX" in either case; '='
 * ending a line is a soft line break; blanks at line ends are dropped
 * (rule 3); any other '=' is kept with the byte after it and reported
 * (note 2).  Line endings are kept as they came (CRLF or LF).
 * QP_HEADER decodes '_' as a space (the RFC 2047 4.2 "Q" form).
 */
#define QP_HEADER	0x01	/* '_' <-> space; encode '?', '_', '=' too */
#define QP_TABS		0x02	/* encode: quote every SP and HTAB */
#define QP_CRLF		0x04	/* encode: lines end in CRLF (else LF) */
#define QP_BINARY	0x08	/* encode: CR and LF are data, quoted */

int	qp_decode(struct buf *, const void *, size_t, unsigned mode,
	    size_t max, unsigned *flags_r);

/*
 * Encoding: lines of at most 76 characters with soft breaks, never
 * splitting an escape; '=' and bytes outside 33..126 quoted; SP and HTAB
 * at a line end quoted (rule 3); a line that is a lone '.' is quoted.
 * Input lines end at LF or CRLF unless QP_BINARY.
 */
int	qp_encode(struct buf *, const void *, size_t, unsigned mode);

/*
 * UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF.  utf8_next decodes the sequence at s[0..n): its length, with
 * *cp set, or 0 when it is invalid (*cp untouched).  utf8_repair appends
 * s[0..n) with each maximal invalid subpart replaced by U+FFFD (and with
 * nonul, each NUL too).
 */
size_t	utf8_next(const void *, size_t, uint32_t *cp);
int	utf8_valid(const void *, size_t);		/* 1 / 0 */
int	utf8_put(struct buf *, uint32_t cp);		/* encode one */
int	utf8_repair(struct buf *, const void *, size_t, int nonul,
	    unsigned *flags_r);

/*
 * Convert s[0..n) in charset (any name iconv(3) knows; US-ASCII and
 * UTF-8 handled directly) to UTF-8.  Invalid input becomes U+FFFD
 * (CODEC_F_BADCONV), so the output is always valid UTF-8.  -1 EINVAL
 * for a charset iconv does not know or a name that is not a token.
 */
int	charset_to_utf8(struct buf *, const char *charset, const void *,
	    size_t, unsigned *flags_r);
int	charset_known(const char *charset);		/* 1 / 0 */

/*
 * As charset_to_utf8, but a NULL, empty or unknown charset is no error:
 * the bytes are kept where they are UTF-8 and repaired elsewhere
 * (CODEC_F_CHARSET when a name was given but is unknown).
 */
int	charset_decode(struct buf *, const char *charset, const void *,
	    size_t, unsigned *flags_r);

/*
 * RFC 2047 encoded words "=?charset?B|Q?text?=" (and "=?charset*lang?..",
 * RFC 2231 5) in s[0..n) decoded to UTF-8, the rest copied.  Blanks
 * (and line breaks) between two adjacent encoded words are dropped
 * (RFC 2047 6.2); adjacent words in one charset are joined before the
 * conversion, so a character split between them survives.
 *
 * RFC 2047 5: a word counts only as a whole blank-delimited word
 * (RFC2047_COMMENT: '(' and ')' delimit too); two words with nothing
 * between them are accepted.  RFC2047_PHRASE: a "Q" word may hold only
 * letters, digits and !*+-/=_ (5(3)), and quoted strings are copied
 * without decoding.  RFC2047_LAX: words are recognised anywhere, also
 * inside quoted strings and glued to other text, as many mailers need
 * for display names and file names.
 *
 * Left as they were (CODEC_F_BADWORD): bad base64 or Q text, a missing
 * "?=", a word longer than RFC2047_WORD_MAX (the RFC says 75; real mail
 * is often longer), a charset name longer than 64.  A word in a charset
 * iconv does not know is left as it was (CODEC_F_CHARSET).
 *
 * The output is valid UTF-8 without NUL: raw 8-bit text that is not
 * UTF-8 (CODEC_F_8BIT, CODEC_F_BADUTF8) and NULs become U+FFFD.
 */
#define RFC2047_TEXT	0x00
#define RFC2047_COMMENT	0x01
#define RFC2047_PHRASE	0x02
#define RFC2047_LAX	0x04
#define RFC2047_WORD_MAX 998	/* RFC 5322 2.1.1: the longest line */

int	rfc2047_decode(struct buf *, const char *, size_t, unsigned mode,
	    unsigned *flags_r);

/*
 * %XX decoding (RFC 2231 4 extended values); an invalid '%' is kept
 * (CODEC_F_BADEQ).  rfc2231_value decodes a whole extended value
 * "charset'language'%XX..." to UTF-8; lang_r (may be NULL) receives the
 * language.  Without the two apostrophes the value is taken as %XX text.
 * An empty or unknown charset: the bytes are kept if they are UTF-8,
 * else repaired (CODEC_F_CHARSET).
 */
int	pct_decode(struct buf *, const char *, size_t, unsigned *flags_r);
int	rfc2231_value(struct buf *, const char *, size_t, struct buf *lang_r,
	    unsigned *flags_r);

/*
 * xtext (RFC 3461 4): "+" HEXCHAR HEXCHAR for bytes outside 33-126, and
 * for '+' and '='.  xtext_utf8_valid also takes UTF-8 as itself (RFC 6533
 * 4: utf-8-addr-xtext, after SMTPUTF8).  xtext_decode takes either and
 * fails (EINVAL) on anything else; decode and encode replace out.
 */
int	xtext_valid(const char *, size_t);		/* 1 / 0 */
int	xtext_utf8_valid(const char *, size_t);		/* 1 / 0 */
int	xtext_decode(const char *, size_t, struct buf *out);
int	xtext_encode(const char *, size_t, struct buf *out);

#endif
