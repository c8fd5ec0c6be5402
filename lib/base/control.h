/*
 * control: the configuration directory (DESIGN.md section 6).  One value
 * per file, as qmail; a missing file means the documented default.
 *
 * The directory is $POSTERN_CONF, default /etc/postern.  Names are relative
 * to it; absolute paths are taken as they are.
 *
 * Return convention: 1 found, 0 absent (the caller uses its default),
 * -1 error with errno set (EINVAL for a malformed value, and the file is
 * named in the log by the caller).
 */
#ifndef POSTERN_CONTROL_H
#define POSTERN_CONTROL_H

#include "base/buf.h"

#define CONTROL_MAX	65536	/* largest control file read */

const char *control_dir(void);

/* Path of a control file: dir/name, or name when absolute. */
int	control_path(struct buf *, const char *name);

/*
 * First line of the file, without its newline, with leading and trailing
 * blanks removed; a file that is empty or has only blanks counts as absent.
 */
int	control_line(const char *name, struct buf *val);

/* A decimal number in [min, max]. */
int	control_ulong(const char *name, unsigned long *val,
	    unsigned long min, unsigned long max);

/*
 * All lines, each trimmed, skipping empty lines and lines starting with
 * '#', as a sequence of NUL-terminated strings in val (val->len counts
 * the NULs); *count_r gets how many.
 */
int	control_lines(const char *name, struct buf *val, size_t *count_r);

/*
 * Our host name, into me (replaced): the control file "me", else the
 * system's host name, else "localhost".  0, or -1 when "me" cannot be
 * read.
 */
int	control_me(struct buf *me);

#endif
