/*
 * fileio: whole writes and reads, fsync of files and directories, atomic
 * replacement of a file, unique names.
 *
 * Return convention: 0 on success, -1 on failure with errno set, unless a
 * function says otherwise.
 */
#ifndef POSTERN_FILEIO_H
#define POSTERN_FILEIO_H

#include <sys/types.h>
#include <stddef.h>

#include "base/buf.h"

/* write(2) all of p[0..n), retrying on EINTR and short writes. */
int	write_all(int, const void *, size_t);

/* Read fd to EOF into b, at most max bytes; past that -1, errno EFBIG. */
int	read_all(int, struct buf *, size_t max);

/* Read a whole file by path, at most max bytes (as read_all). */
int	read_file(const char *, struct buf *, size_t max);

/* fsync(2) of the directory at path. */
int	fsync_dir(const char *);

/* fsync(2) of the directory that holds path (path's dirname). */
int	fsync_parent(const char *);

/*
 * Replacing a file atomically, in one sequence for every writer: the new
 * content goes to "path.tmp.UNIQUE" (created with mode, exclusively);
 * atomic_commit fsyncs it, renames it over path and fsyncs the directory;
 * atomic_abort removes it.  Every atomic_open that succeeded is ended by
 * exactly one of the two, which also free the struct.  On any failure the
 * temporary is removed and the old file is untouched, except when only
 * the final fsync of the directory failed: then path may already hold
 * the new content (not yet known to be durable).  atomic_abort keeps
 * errno.
 */
struct atomic_file {
	int		 fd;		/* the temporary, open for writing */
	const char	*path;		/* the caller's: kept until the end */
	struct buf	 tmp;
};

int	atomic_open(struct atomic_file *, const char *path, mode_t mode);
int	atomic_commit(struct atomic_file *);
void	atomic_abort(struct atomic_file *);

/*
 * Move fromfd/from to tofd/to (a file or a directory) without replacing
 * anything there: -1 EEXIST (or ENOTEMPTY) when to exists.  renameat2
 * with RENAME_NOREPLACE; where the kernel or file system lacks it, link +
 * unlink (a file; a crash between them leaves both names, which the
 * callers' clean-ups handle); where hard links fail too (a directory, or
 * a file system without them), rename after a check that to is free.
 */
int	move_noreplace(int fromfd, const char *from, int tofd, const char *to);

/* The whole sequence for content in memory: p[0..n) becomes path. */
int	atomic_replace(const char *path, const void *p, size_t n, mode_t mode);

/*
 * A name unique on this host: "SECONDS.MpMICROSECONDS_PPID_COUNT.HOST",
 * the Maildir form (with 'P' for pid, 'Q' for count, 'M' microseconds):
 * "1700000000.M123456P4242Q1.host".  Host has '/' and ':' replaced.
 */
int	uniq_name(struct buf *);

/* The host name made safe for a file name ('/' -> \057, ':' -> \072). */
const char *safe_hostname(void);

/* mkdir -p with mode for each directory created, each synced into its
 * parent (fsync_parent) once made. */
int	mkdir_p(const char *, mode_t);

#endif
