/*
 * maildir: the Maildir and Maildir++ storage of DESIGN.md section 7.
 *
 * Return convention: 0 on success, -1 on failure with errno set, unless a
 * function says otherwise.
 */
#ifndef POSTERN_MAILDIR_H
#define POSTERN_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"

/* Mode of every directory and message file made here. */
#define MAILDIR_DIR_MODE	0700
#define MAILDIR_FILE_MODE	0600

/*
 * Delivery
 */

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
 * move into new/ without ever replacing a file there, fsync new/.  On any
 * failure the tmp file is removed and nothing is in new/.  The delivered
 * file's name (under new/) goes to name_r when not NULL.  A NULL
 * delivery is { NULL, NULL, 0 }: no fields added, no size limit.
 *
 * Added header fields, in this order, each only when given:
 *   Return-Path: <return_path>		(RFC 5321 4.4)
 *   Delivered-To: delivered_to		(RFC 9228)
 * Their line ending is the one the message's first line uses (CRLF or LF;
 * LF when the first 64 KiB hold no LF).  maxsize counts the message bytes
 * read, not the added fields.
 *
 * The move into new/ is renameat2(RENAME_NOREPLACE) where the system and
 * file system have it (one directory operation), else link(2) + unlink(2)
 * of tmp, else (file systems without hard links) rename(2).  When the
 * name is taken in new/ (two hosts with one name), a fresh unique name is
 * used.  Cost: one open, 64 KiB writes, one fsync of the file, one of new/.
 * Should that last fsync fail, the file is taken out of new/ again (a
 * reader may have seen it meanwhile).  The caller should ignore SIGXFSZ,
 * so that a file size limit fails the write rather than killing it.
 *
 * errno: EFBIG past maxsize (permanent); EINVAL when return_path or
 * delivered_to holds a control character (permanent); ENOENT/ENOTDIR when
 * dir is not a Maildir; EDQUOT when the file system or RLIMIT_FSIZE
 * refused to grow the file (write's EFBIG, reported as EDQUOT so that
 * EFBIG always means maxsize); others as the system gave (temporary).
 */
int	maildir_deliver(const char *dir, int fd,
	    const struct maildir_delivery *, struct buf *name_r);

/*
 * Creation
 */

/*
 * Make the Maildir at dir: dir itself (and missing parents) and its tmp/,
 * new/ and cur/, mode MAILDIR_DIR_MODE.  Idempotent: what exists is kept
 * (ENOTDIR when one of them exists and is not a directory).  Directories
 * made are fsynced into their parents.
 */
int	maildir_make(const char *dir);

/*
 * Make the Maildir++ folder for the IMAP mailbox name mailbox (see
 * maildir_folder_dir) under the Maildir root, making root first as
 * maildir_make does: ROOT/.NAME with tmp/, new/, cur/ and the empty
 * "maildirfolder" marker.  The folder is assembled under ROOT/tmp and
 * renamed into place, so it appears whole or not at all; a folder that
 * exists is completed, not replaced.  "INBOX" makes root alone.  The
 * folder's path goes to path_r when not NULL.  EINVAL for a bad name.
 */
int	maildir_make_folder(const char *root, const char *mailbox,
	    struct buf *path_r);

/*
 * Cleaning
 */

/* The Maildir convention: a file in tmp/ untouched this long is stale. */
#define MAILDIR_TMP_MAXAGE	(36 * 3600)

/*
 * Remove what is stale in the tmp/ directories of the Maildir at root,
 * its own and each Maildir++ folder's (a ".NAME" directory of root): a
 * regular file neither read nor written in the MAILDIR_TMP_MAXAGE
 * seconds before now (its atime and its mtime both older: "not accessed
 * in 36 hours", cr.yp.to/proto/maildir.html, and the mtime for file
 * systems mounted noatime), and a folder that maildir_make_folder began
 * in root's tmp/ (".folder.*", empty) and never finished, as old.
 * Symbolic links are never followed and nothing else is touched.  At
 * most max directory entries are looked at in all (0: no limit), so one
 * call stays short however full tmp/ is; the rest is for the next call.
 * removed, when not NULL, is called with each path removed, relative to
 * root ("tmp/NAME", ".Sent/tmp/NAME").  Returns the number removed, or
 * -1 when root cannot be opened; errors past that (a folder removed
 * meanwhile, a file another cleaner took) are skipped.
 */
int	maildir_clean_tmp(const char *root, time_t now, size_t max,
	    void (*removed)(void *ctx, const char *path), void *ctx);

/*
 * Maildir++ folder names
 *
 * An IMAP mailbox name (UTF-8, hierarchy separator '/') maps to the
 * Maildir++ directory name under the root: "INBOX" (any case) is the root
 * itself (""); "Sent" is ".Sent"; "Archive/2026" is ".Archive.2026".
 * Each component is stored in modified UTF-7 (RFC 3501 5.1.3, lib/mutf7.h),
 * as Dovecot and Courier store it, so "Entwürfe" is ".Entw&APw-rfe".
 * Inside a component '.' (the Maildir++ separator) is written "\2e" and
 * '\' is written "\5c" (Dovecot's listescape form, lowercase hex);
 * nothing else is escaped.  "INBOX/x" is ".INBOX.x" (a child of INBOX).
 *
 * Rejected (EINVAL): the empty name, '/' first or last, an empty
 * component ("a//b"), a component "." or "..", control characters
 * (U+0000-U+001F, U+007F-U+009F), invalid UTF-8.  ENAMETOOLONG when the
 * directory name would pass 255 bytes (NAME_MAX).
 */
int	maildir_folder_dir(const char *mailbox, struct buf *dir_r);

/*
 * The reverse: a directory entry name under the root (".Sent", or "" for
 * the root) to the IMAP mailbox name ("Sent", "INBOX").  EINVAL for any
 * name maildir_folder_dir would not produce: no leading '.', ".", "..",
 * empty components, a bad escape or modified UTF-7, ".INBOX" alone, or a
 * first component that is INBOX in another case.
 */
int	maildir_folder_name(const char *dirname, struct buf *mailbox_r);

/*
 * Flags in file names (cr.yp.to/proto/maildir.html, "info" semantics)
 *
 * A message file name is "BASE" or "BASE:INFO"; INFO "2,FLAGS" carries
 * the flags, one letter each in ASCII order without repeats:
 * D draft, F flagged, P passed, R replied, S seen, T trashed, and the
 * lowercase letters a-z for keywords (their names live in a per-folder
 * keyword file).  A flag set is held as bits: 'A'-'Z' are bits 0-25,
 * 'a'-'z' bits 26-51, so MAILDIR_FLAG('S') is the \Seen bit.
 */
#define MAILDIR_FLAG(c)	((c) >= 'A' && (c) <= 'Z' ?			\
	    (uint64_t)1 << ((c) - 'A') :				\
	    (c) >= 'a' && (c) <= 'z' ? (uint64_t)1 << (26 + (c) - 'a') : 0)
#define MAILDIR_F_DRAFT		MAILDIR_FLAG('D')
#define MAILDIR_F_FLAGGED	MAILDIR_FLAG('F')
#define MAILDIR_F_PASSED	MAILDIR_FLAG('P')
#define MAILDIR_F_REPLIED	MAILDIR_FLAG('R')
#define MAILDIR_F_SEEN		MAILDIR_FLAG('S')
#define MAILDIR_F_TRASHED	MAILDIR_FLAG('T')
/* the flags a caller may set: DFPRST and the 26 keyword letters */
#define MAILDIR_F_SETTABLE	(MAILDIR_F_DRAFT | MAILDIR_F_FLAGGED |	\
	    MAILDIR_F_PASSED | MAILDIR_F_REPLIED | MAILDIR_F_SEEN |	\
	    MAILDIR_F_TRASHED | ((uint64_t)0x3ffffff << 26))

/*
 * Split a message file name at the first ':' (the info separator): the
 * base is name[0 .. *baselen_r), *info_r points past the ':' or is NULL
 * when there is none.  EINVAL for an empty base or a name with '/'.
 */
int	maildir_name_split(const char *name, size_t *baselen_r,
	    const char **info_r);

/*
 * Flag letters s[0..n) to bits.  Letters A-Z and a-z are accepted in any
 * order and repeated (as other programs may have written them); anything
 * else is EINVAL.
 */
int	maildir_flags_parse(const char *s, size_t n, uint64_t *bits_r);

/* Append the flag letters of bits to out in ASCII order (the canonical
 * form). */
int	maildir_flags_format(uint64_t bits, struct buf *out);

/*
 * The flags of a message file name: 0 with none when the name has no
 * info or an empty one; EINVAL when the info is not "2,LETTERS".
 */
int	maildir_name_flags(const char *name, uint64_t *bits_r);

/*
 * The name with its flags set to ((old | set) & ~clear), in canonical
 * form "BASE:2,FLAGS", into name_r (replaced).  set and clear must lie in
 * MAILDIR_F_SETTABLE (else EINVAL); flags outside it already in the name
 * are kept.  EINVAL as maildir_name_split and maildir_name_flags.
 */
int	maildir_name_set_flags(const char *name, uint64_t set, uint64_t clear,
	    struct buf *name_r);

/*
 * The same with flag letters: add and remove are strings of D F P R S T
 * and a-z (NULL or "" for none), EINVAL for any other letter.
 */
int	maildir_set_flags(const char *name, const char *add,
	    const char *remove, struct buf *name_r);

#endif
