/*
 * cdbtab: lookups in CDB tables (tinycdb) and their atomic compilation from
 * text.  A table is opened per lookup, so a rebuilt table is seen at once
 * without a reload signal.
 *
 * Text table format (the files an administrator edits): one entry per
 * line, "key value": the key runs to the first blank, the value from
 * the next non-blank to the end of the line (trailing blanks dropped);
 * a colon ending the key is dropped ("key: value"), so keys may contain
 * colons (IPv6 addresses: "2001:db8::1 value"); blank lines and lines starting with '#' are
 * ignored; keys are stored as written unless CDBTAB_LOWER is given.  A
 * key may appear more than once; cdbtab_lookup returns the first.
 *
 * Return convention: 1 found, 0 absent, -1 error with errno set.
 */
#ifndef POSTERN_CDBTAB_H
#define POSTERN_CDBTAB_H

#include <stddef.h>

#include "base/buf.h"

#define CDBTAB_LOWER	0x1	/* fold keys to ASCII lower case */

#define CDBTAB_LINE_MAX	4096	/* longest line of a text table */

/* Look key up in the CDB file at path; a missing file is -1 (ENOENT). */
int	cdbtab_lookup(const char *path, const void *key, size_t keylen,
	    struct buf *val);

/*
 * Compile the text table src into the CDB file dst atomically (dst.tmp,
 * fsync, rename, fsync of the directory), with mode.  On a malformed line
 * returns -1 with errno EINVAL and *line_r set to its number; nothing is
 * changed then.  Returns the number of entries on success.
 */
long	cdbtab_compile(const char *src, const char *dst, int flags,
	    unsigned mode, unsigned long *line_r);

#endif
