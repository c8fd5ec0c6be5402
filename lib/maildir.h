/*
 * maildir: the Maildir and Maildir++ storage of DESIGN.md section 7.
 *
 * Return convention: 0 on success, -1 on failure with errno set, unless a
 * function says otherwise.
 */
#ifndef POSTERN_MAILDIR_H
#define POSTERN_MAILDIR_H

#include <stddef.h>

#include "buf.h"

struct maildir_delivery {
	const char	*return_path;	/* NULL: no Return-Path: added;
					 * "" is the null sender <> */
	const char	*delivered_to;	/* NULL: no Delivered-To: added */
	size_t		 maxsize;	/* 0: no limit; else EFBIG past it */
};

/*
 * Deliver the message read from fd (to EOF) into the Maildir at dir
 * (the Maildir root, or a Maildir++ folder directory such as
 * "ROOT/.Sent"): a unique name in tmp/ opened O_EXCL, the added header
 * fields then the message with line endings kept as they came, fsync,
 * link into new/ (rename where link is not allowed), unlink tmp, fsync
 * new/.  On any failure the tmp file is removed and nothing is in new/.
 * The delivered file's name (under new/) goes to name_r when not NULL.
 *
 * errno: EFBIG past maxsize (permanent); ENOENT/ENOTDIR when dir is not a
 * Maildir; others as the system gave (temporary).
 */
int	maildir_deliver(const char *dir, int fd,
	    const struct maildir_delivery *, struct buf *name_r);

#endif
