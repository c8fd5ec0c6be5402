/*
 * mutf7: modified UTF-7, the IMAP mailbox name encoding of RFC 3501
 * 5.1.3 (RFC 9051 5.1.3 keeps it for clients without UTF8=ACCEPT), to and
 * from UTF-8.
 *
 * Both directions are strict.  The encoder rejects invalid UTF-8
 * (truncated or overlong sequences, surrogates, code points past
 * U+10FFFF) and U+0000.  The decoder accepts exactly what the encoder
 * produces: only bytes 0x20-0x7e; "&-" for '&'; base64 runs in the
 * modified alphabet (',' for '/', no '=' padding) closed by '-', holding
 * whole UTF-16BE units with zero trailing bits, well-formed surrogate
 * pairs, no printable ASCII (0x20-0x7e) and no U+0000 inside a run, and
 * never two runs back to back (RFC 3501 5.1.3: they must be one run).
 *
 * Return convention: 0 on success, -1 on failure with errno set: EILSEQ
 * for invalid input, ENOMEM/EOVERFLOW from the buffer.  Output is
 * appended to out; on failure out is truncated back to its length at the
 * call, so nothing partial is left.
 */
#ifndef POSTERN_MUTF7_H
#define POSTERN_MUTF7_H

#include <stddef.h>

#include "base/buf.h"

/* UTF-8 s[0..n) to modified UTF-7, appended to out. */
int	mutf7_encode(const char *s, size_t n, struct buf *out);

/* Modified UTF-7 s[0..n) to UTF-8, appended to out. */
int	mutf7_decode(const char *s, size_t n, struct buf *out);

#endif
