/*
 * quarantine: does local delivery put a message into the account's Junk
 * folder?  Yes when the first Authentication-Results field claiming our
 * authserv-id (the queue runner's "me") holds "dmarc=fail" with
 * "dis=quarantine" in that result (RFC 7489 6.3 p=quarantine, 8601;
 * dmarc-eval writes "dmarc=fail (p=quarantine dis=quarantine) ...").
 * Only the first such field counts: the chain's stages write theirs at
 * the top and the first stage removes incoming ones that claim our id
 * (RFC 8601 5), so a forged field can never come first.
 *
 * Return convention: 1 yes, 0 no, -1 with errno (a read error, ENOMEM).
 */
#ifndef POSTERN_QUARANTINE_H
#define POSTERN_QUARANTINE_H

#include <sys/types.h>

#define QUARANTINE_HEAD_MAX	(256 * 1024)	/* header bytes looked at */
#define QUARANTINE_FOLDER	"Junk"		/* Maildir++ ".Junk" */

/* The message on fd from offset off (read with pread: fd's offset is
 * left alone). */
int	quarantine_check(int fd, off_t off, const char *authserv_id);

#endif
