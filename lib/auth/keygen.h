/*
 * keygen: DKIM key pairs (RFC 6376 3.6, RFC 8301, RFC 8463) for
 * dkim-keygen(8): the private key as PEM (PKCS#8) in a file only its
 * owner reads, written atomically, and the public half as the key record
 * a domain publishes at SELECTOR._domainkey.DOMAIN.
 *
 * Return convention: 0 / -1 with errno set (EINVAL for a bad kind or
 * size), unless stated otherwise.
 */
#ifndef POSTERN_KEYGEN_H
#define POSTERN_KEYGEN_H

#include <sys/types.h>

#include "base/buf.h"

enum keygen_kind { KEYGEN_RSA, KEYGEN_ED25519 };

#define KEYGEN_RSA_BITS		2048	/* RFC 8301 3.2: at least 1024; 2048 */
#define KEYGEN_RSA_MIN		1024
#define KEYGEN_RSA_MAX		4096	/* a TXT record's practical size */

/*
 * Make a key pair of that kind (bits for RSA only) and write the private
 * key to path with mode (0600 or 0640), replacing nothing: EEXIST when
 * path exists.  The key record ("v=DKIM1; k=rsa; p=...") into record.
 */
int	keygen_make(enum keygen_kind, unsigned bits, const char *path,
	    mode_t mode, struct buf *record);

/*
 * The key record as zone-file text for name (SELECTOR._domainkey.DOMAIN):
 * "NAME. IN TXT ( "..." "..." )" with strings of at most 255 bytes
 * (RFC 1035 3.3.14; RFC 7208 3.3 and RFC 6376 3.6.2.2 join them).
 */
int	keygen_zone_line(const char *name, const char *record, struct buf *out);

#endif
