#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "mail/codec.h"
#include "mail/mutf7.h"
#include "store/maildir.h"

/* The read/write block of a delivery. */
#define DELIVER_BLOCK	(64 * 1024)
/* Tries for a fresh unique name when one is taken. */
#define NAME_TRIES	5

static const char *const subdirs[] = { "tmp", "new", "cur" };
static const struct maildir_delivery no_fields = { NULL, NULL, 0 };

static int	field_ok(const char *);
static char    *block_alloc(const struct maildir_delivery *, size_t *);
static int	create_tmp(int, struct buf *, struct buf *);
static ssize_t	read_block(int, char *, size_t, size_t *, int *);
static int	added_fields(struct buf *, const struct maildir_delivery *,
		    const char *, size_t);
static int	copy_message(int, int, char *, size_t,
		    const struct maildir_delivery *);
static int	move_to_new(int, struct buf *, const struct buf *,
		    struct buf *);
static int	mkdir_at(int, const char *, int *);
static int	make_subdirs(int, int *);
static int	make_marker(int, int *);
static int	complete_folder(int, const char *);
static void	remove_tree(int, const char *);
static int	name_ok(const char *, size_t);
static int	put_component(struct buf *, const char *, size_t);
static int	get_component(struct buf *, const char *, size_t);
static int	is_inbox(const char *, size_t);

/*
 * Delivery
 */

/* A header field value we write must not hold a control character. */
static int
field_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* A block for the copy with room in front for the added fields (its
 * size in *room_r); NULL on a size overflow or ENOMEM. */
static char *
block_alloc(const struct maildir_delivery *d, size_t *room_r)
{
	size_t room = 0, n;

	if (d->return_path != NULL &&
	    size_add(room, strlen(d->return_path) + 18, &room) == -1)
		return NULL;
	if (d->delivered_to != NULL &&
	    size_add(room, strlen(d->delivered_to) + 17, &room) == -1)
		return NULL;
	if (size_add(room, DELIVER_BLOCK, &n) == -1)
		return NULL;
	*room_r = room;
	return malloc(n);
}

/* Maildir: a unique name in tmp/ (base, and tpath "tmp/BASE"), created
 * exclusively, NAME_TRIES tries; its descriptor, or -1. */
static int
create_tmp(int dfd, struct buf *base, struct buf *tpath)
{
	int mfd, tries;

	for (tries = 0;; tries++) {
		buf_reset(base);
		buf_reset(tpath);
		if (uniq_name(base) == -1 ||
		    buf_printf(tpath, "tmp/%s", base->s) == -1)
			return -1;
		mfd = openat(dfd, tpath->s, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, MAILDIR_FILE_MODE);
		if (mfd != -1)
			return mfd;
		if (errno != EEXIST || tries + 1 >= NAME_TRIES)
			return -1;
	}
}

/* Up to DELIVER_BLOCK bytes from fd at p, *eof set at its end; the bytes
 * read, or -1 (EFBIG once *total passes maxsize, if not 0). */
static ssize_t
read_block(int fd, char *p, size_t maxsize, size_t *total, int *eof)
{
	size_t fill = 0;
	ssize_t r;

	while (fill < DELIVER_BLOCK && !*eof) {
		r = read(fd, p + fill, DELIVER_BLOCK - fill);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			*eof = 1;
		fill += (size_t)r;
		*total += (size_t)r;
		if (maxsize > 0 && *total > maxsize) {
			errno = EFBIG;
			return -1;
		}
	}
	return (ssize_t)fill;
}

/* The added fields in hdr, with the line ending of the first line of the
 * message's first block (fill bytes at p). */
static int
added_fields(struct buf *hdr, const struct maildir_delivery *d,
    const char *p, size_t fill)
{
	const char *eol = "\n", *nl;

	if ((nl = memchr(p, '\n', fill)) != NULL && nl > p && nl[-1] == '\r')
		eol = "\r\n";
	/* RFC 5321 4.4: Return-Path: <reverse-path> */
	if (d->return_path != NULL && buf_printf(hdr, "Return-Path: <%s>%s",
	    d->return_path, eol) == -1)
		return -1;
	/* RFC 9228 4: Delivered-To: addr-spec */
	if (d->delivered_to != NULL && buf_printf(hdr, "Delivered-To: %s%s",
	    d->delivered_to, eol) == -1)
		return -1;
	return 0;
}

/* The added fields, then the message from fd to EOF, written to mfd
 * through mem (room bytes for the fields, then a block). */
static int
copy_message(int mfd, int fd, char *mem, size_t room,
    const struct maildir_delivery *d)
{
	struct buf hdr = BUF_INIT;
	size_t total = 0, n;
	ssize_t fill;
	char *p;
	int save, eof = 0, first = 1;

	do {
		p = mem + room;
		if ((fill = read_block(fd, p, d->maxsize, &total, &eof)) == -1)
			goto fail;
		n = (size_t)fill;
		if (first) {
			/* the added fields take the first line's ending */
			if (added_fields(&hdr, d, p, n) == -1)
				goto fail;
			p -= hdr.len;
			if (hdr.len > 0)
				memcpy(p, hdr.s, hdr.len);
			n += hdr.len;
			first = 0;
		}
		if (n > 0 && write_all(mfd, p, n) == -1) {
			/* a size limit of the system, not our maxsize */
			if (errno == EFBIG)
				errno = EDQUOT;
			goto fail;
		}
	} while (!eof);
	buf_free(&hdr);
	return 0;
fail:
	save = errno;
	buf_free(&hdr);
	errno = save;
	return -1;
}

/* The file tmp/BASE into new/ under the same name, or a fresh one (in
 * base) if it is taken, NAME_TRIES tries; npath gets "new/BASE". */
static int
move_to_new(int dfd, struct buf *base, const struct buf *tpath,
    struct buf *npath)
{
	int tries;

	for (tries = 0;; tries++) {
		buf_reset(npath);
		if (buf_printf(npath, "new/%s", base->s) == -1)
			return -1;
		if (move_noreplace(dfd, tpath->s, dfd, npath->s) == 0)
			return 0;
		if (errno != EEXIST || tries + 1 >= NAME_TRIES)
			return -1;
		buf_reset(base);
		if (uniq_name(base) == -1)
			return -1;
	}
}

int
maildir_deliver(const char *dir, int fd, const struct maildir_delivery *d,
    struct buf *name_r)
{
	struct buf base = BUF_INIT, tpath = BUF_INIT, npath = BUF_INIT;
	char *mem;
	size_t room;
	int dfd = -1, nfd = -1, mfd = -1, r, save, made = 0, ret = -1;

	if (d == NULL)
		d = &no_fields;
	if ((d->return_path != NULL && !field_ok(d->return_path)) ||
	    (d->delivered_to != NULL && !field_ok(d->delivered_to))) {
		errno = EINVAL;
		return -1;
	}
	if ((mem = block_alloc(d, &room)) == NULL)
		return -1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (nfd = openat(dfd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		goto out;
	if ((mfd = create_tmp(dfd, &base, &tpath)) == -1)
		goto out;
	made = 1;
	if (copy_message(mfd, fd, mem, room, d) == -1 || fsync(mfd) == -1)
		goto out;
	r = close(mfd);
	mfd = -1;
	if (r == -1 || move_to_new(dfd, &base, &tpath, &npath) == -1)
		goto out;
	made = 0;
	/* the new/ entry is durable once new/ is synced */
	if (fsync(nfd) == -1) {
		save = errno;
		(void)unlinkat(dfd, npath.s, 0);
		errno = save;
		goto out;
	}
	if (name_r != NULL && buf_set(name_r, base.s, base.len) == -1) {
		/* delivered all the same; only the name is lost */
		buf_reset(name_r);
	}
	ret = 0;
out:
	save = errno;
	if (mfd != -1)
		close(mfd);
	if (made)
		(void)unlinkat(dfd, tpath.s, 0);
	if (nfd != -1)
		close(nfd);
	if (dfd != -1)
		close(dfd);
	free(mem);
	buf_free(&base);
	buf_free(&tpath);
	buf_free(&npath);
	errno = save;
	return ret;
}

/*
 * Creation
 */

/* mkdirat, where an existing directory is fine; *made set when made. */
static int
mkdir_at(int dfd, const char *name, int *made)
{
	struct stat st;

	if (mkdirat(dfd, name, MAILDIR_DIR_MODE) == 0) {
		*made = 1;
		return 0;
	}
	if (errno != EEXIST)
		return -1;
	if (fstatat(dfd, name, &st, 0) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static int
make_subdirs(int dfd, int *made)
{
	size_t i;

	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
		if (mkdir_at(dfd, subdirs[i], made) == -1)
			return -1;
	return 0;
}

/* The Maildir++ "maildirfolder" marker: an empty file. */
static int
make_marker(int dfd, int *made)
{
	int fd;

	fd = openat(dfd, "maildirfolder", O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, MAILDIR_FILE_MODE);
	if (fd == -1) {
		if (errno != EEXIST)
			return -1;
		/* as mkdir_at: something must be there, a file */
		fd = openat(dfd, "maildirfolder", O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW);
		if (fd == -1)
			return -1;
	} else
		*made = 1;
	return close(fd);
}

int
maildir_make(const char *dir)
{
	int dfd, made = 0, save;

	if (mkdir(dir, MAILDIR_DIR_MODE) == 0)
		made = 1;
	else if (errno == ENOENT) {
		if (mkdir_p(dir, MAILDIR_DIR_MODE) == -1)
			return -1;
		made = 1;
	} else if (errno != EEXIST)
		return -1;
	/* O_DIRECTORY: ENOTDIR when dir exists and is not one */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (make_subdirs(dfd, &made) == -1 ||
	    (made && fsync(dfd) == -1) ||
	    (made && fsync_parent(dir) == -1)) {
		save = errno;
		close(dfd);
		errno = save;
		return -1;
	}
	return close(dfd);
}

/* Remove a folder assembled at name under dfd (best effort). */
static void
remove_tree(int dfd, const char *name)
{
	int fd;
	size_t i;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)unlinkat(fd, "maildirfolder", 0);
		for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
			(void)unlinkat(fd, subdirs[i], AT_REMOVEDIR);
		close(fd);
	}
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Complete an existing folder directory name under rfd. */
static int
complete_folder(int rfd, const char *name)
{
	int fd, made = 0, save;

	if ((fd = openat(rfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -1;
	if (make_subdirs(fd, &made) == -1 || make_marker(fd, &made) == -1 ||
	    (made && fsync(fd) == -1)) {
		save = errno;
		close(fd);
		errno = save;
		return -1;
	}
	return close(fd);
}

int
maildir_make_folder(const char *root, const char *mailbox,
    struct buf *path_r)
{
	struct buf dname = BUF_INIT, tmp = BUF_INIT, u = BUF_INIT;
	int rfd = -1, fd = -1, made = 0, save;

	if (maildir_folder_dir(mailbox, &dname) == -1 ||
	    maildir_make(root) == -1)
		goto fail;
	if (path_r != NULL) {
		buf_reset(path_r);
		if (buf_puts(path_r, root) == -1 ||
		    (dname.len > 0 && buf_printf(path_r, "/%s", dname.s) == -1))
			goto fail;
	}
	if (dname.len == 0)		/* INBOX: the root */
		goto done;
	if ((rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	if (faccessat(rfd, dname.s, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (complete_folder(rfd, dname.s) == -1)
			goto fail;
		goto done;
	}
	if (errno != ENOENT)
		goto fail;

	/* assemble the folder in tmp/, then rename it into place */
	if (uniq_name(&u) == -1 ||
	    buf_printf(&tmp, "tmp/.folder.%s", u.s) == -1)
		goto fail;
	if (mkdirat(rfd, tmp.s, MAILDIR_DIR_MODE) == -1)
		goto fail;
	if ((fd = openat(rfd, tmp.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || make_subdirs(fd, &made) == -1 ||
	    make_marker(fd, &made) == -1 || fsync(fd) == -1)
		goto unwind;
	close(fd);
	fd = -1;
	if (move_noreplace(rfd, tmp.s, rfd, dname.s) == -1) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			goto unwind;
		/* made meanwhile by someone else: complete theirs */
		remove_tree(rfd, tmp.s);
		if (complete_folder(rfd, dname.s) == -1)
			goto fail;
		goto done;
	}
	if (fsync(rfd) == -1)
		goto fail;
done:
	if (rfd != -1)
		close(rfd);
	buf_free(&dname);
	buf_free(&tmp);
	buf_free(&u);
	return 0;
unwind:
	save = errno;
	if (fd != -1)
		close(fd);
	fd = -1;
	remove_tree(rfd, tmp.s);
	errno = save;
fail:
	save = errno;
	if (fd != -1)
		close(fd);
	if (rfd != -1)
		close(rfd);
	buf_free(&dname);
	buf_free(&tmp);
	buf_free(&u);
	errno = save;
	return -1;
}

/*
 * Cleaning
 */

struct clean {
	time_t		 now;
	size_t		 left;		/* entries still to look at */
	int		 limited;
	int		 n;		/* removed */
	void		(*removed)(void *, const char *);
	void		*ctx;
	struct buf	 path;
};

/* One more directory entry may be looked at: 1 / 0. */
static int
clean_budget(struct clean *c)
{
	if (!c->limited)
		return 1;
	if (c->left == 0)
		return 0;
	c->left--;
	return 1;
}

static int
dot_or_dotdot(const char *s)
{
	return s[0] == '.' && (s[1] == '\0' || (s[1] == '.' && s[2] == '\0'));
}

/* The tmp/ of the Maildir or folder at dfd; prefix names it for removed
 * ("" or ".Sent/"); top: root's own, where folders are assembled. */
static void
clean_one(struct clean *c, int dfd, const char *prefix, int top)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int tfd;

	if ((tfd = openat(dfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(tfd)) == NULL) {
		close(tfd);
		return;
	}
	while ((de = readdir(d)) != NULL && clean_budget(c)) {
		if (dot_or_dotdot(de->d_name) ||
		    fstatat(tfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    c->now - st.st_mtime <= MAILDIR_TMP_MAXAGE ||
		    c->now - st.st_atime <= MAILDIR_TMP_MAXAGE)
			continue;
		if (S_ISREG(st.st_mode)) {
			if (unlinkat(tfd, de->d_name, 0) == -1)
				continue;
		} else if (top && S_ISDIR(st.st_mode) &&
		    strncmp(de->d_name, ".folder.", 8) == 0) {
			remove_tree(tfd, de->d_name);
			if (faccessat(tfd, de->d_name, F_OK,
			    AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
				continue;
		} else
			continue;
		c->n++;
		if (c->removed != NULL) {
			buf_reset(&c->path);
			if (buf_printf(&c->path, "%stmp/%s", prefix,
			    de->d_name) == 0)
				c->removed(c->ctx, c->path.s);
		}
	}
	closedir(d);
}

int
maildir_clean_tmp(const char *root, time_t now, size_t max,
    void (*removed)(void *, const char *), void *ctx)
{
	struct clean c;
	struct buf prefix = BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rfd, fd, dfd;

	memset(&c, 0, sizeof(c));
	c.now = now;
	c.left = max;
	c.limited = max > 0;
	c.removed = removed;
	c.ctx = ctx;
	if ((rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	clean_one(&c, rfd, "", 1);
	/* the Maildir++ folders: ".NAME" directories, never a link */
	if ((fd = dup(rfd)) != -1 && (d = fdopendir(fd)) != NULL) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL && clean_budget(&c)) {
			if (de->d_name[0] != '.' || dot_or_dotdot(de->d_name) ||
			    fstatat(rfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode))
				continue;
			dfd = openat(rfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (dfd == -1)
				continue;
			buf_reset(&prefix);
			if (buf_printf(&prefix, "%s/", de->d_name) == 0)
				clean_one(&c, dfd, prefix.s, 0);
			close(dfd);
		}
		closedir(d);
	} else if (fd != -1)
		close(fd);
	close(rfd);
	buf_free(&prefix);
	buf_free(&c.path);
	return c.n;
}

/*
 * Maildir++ folder names
 */

/* UTF-8 s[0..n) without control characters (C0, DEL, C1). */
static int
name_ok(const char *s, size_t n)
{
	uint32_t cp;
	size_t i = 0, len;

	while (i < n) {
		len = utf8_next(s + i, n - i, &cp);
		if (len == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return 0;
		i += len;
	}
	return 1;
}

static int
is_inbox(const char *s, size_t n)
{
	return n == 5 && ascii_ncasecmp(s, "INBOX", 5) == 0;
}

/* One component: '.', modified UTF-7, '.' and '\' escaped. */
static int
put_component(struct buf *out, const char *s, size_t n)
{
	struct buf m = BUF_INIT;
	size_t i;
	int r = 0;

	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
		errno = EINVAL;
		return -1;
	}
	if (mutf7_encode(s, n, &m) == -1 || buf_putc(out, '.') == -1) {
		r = -1;
		goto out;
	}
	for (i = 0; i < m.len && r == 0; i++) {
		if (m.s[i] == '.')
			r = buf_puts(out, "\\2e");
		else if (m.s[i] == '\\')
			r = buf_puts(out, "\\5c");
		else
			r = buf_putc(out, m.s[i]);
	}
out:
	buf_free(&m);
	return r;
}

int
maildir_folder_dir(const char *mailbox, struct buf *dir_r)
{
	struct buf out = BUF_INIT;
	const char *s = mailbox, *e;
	size_t n = strlen(mailbox);
	int save;

	if (n == 0 || !name_ok(mailbox, n))
		goto inval;
	/* RFC 3501 5.1: INBOX, in any case, is the primary mailbox */
	if (is_inbox(mailbox, n)) {
		buf_reset(dir_r);
		return buf_puts(dir_r, "");
	}
	for (;;) {
		e = strchr(s, '/');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		if (n == 0)		/* leading, trailing or double '/' */
			goto inval;
		if (s == mailbox && e != NULL && is_inbox(s, n)) {
			if (buf_puts(&out, ".INBOX") == -1)
				goto fail;
		} else if (put_component(&out, s, n) == -1)
			goto fail;
		if (e == NULL)
			break;
		s = e + 1;
	}
	if (out.len > NAME_MAX) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (buf_set(dir_r, out.s, out.len) == -1)
		goto fail;
	buf_free(&out);
	return 0;
inval:
	errno = EINVAL;
fail:
	save = errno;
	buf_free(&out);
	errno = save;
	return -1;
}

/* Undo put_component for s[0..n) (the dot gone), appending UTF-8. */
static int
get_component(struct buf *out, const char *s, size_t n)
{
	struct buf m = BUF_INIT;
	size_t i, start = out->len;
	int r = -1, save;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			if (buf_putc(&m, s[i]) == -1)
				goto out;
			continue;
		}
		/* "\2e" and "\5c" only, lowercase, as put_component writes */
		if (n - i >= 3 && s[i + 1] == '2' && s[i + 2] == 'e') {
			if (buf_putc(&m, '.') == -1)
				goto out;
		} else if (n - i >= 3 && s[i + 1] == '5' && s[i + 2] == 'c') {
			if (buf_putc(&m, '\\') == -1)
				goto out;
		} else {
			errno = EINVAL;
			goto out;
		}
		i += 2;
	}
	if (m.len == 0 || mutf7_decode(m.s, m.len, out) == -1) {
		errno = EINVAL;
		goto out;
	}
	n = out->len - start;
	if (!name_ok(out->s + start, n) ||
	    (n == 1 && out->s[start] == '.') ||
	    (n == 2 && out->s[start] == '.' && out->s[start + 1] == '.')) {
		errno = EINVAL;
		goto out;
	}
	r = 0;
out:
	save = errno;
	if (r == -1)
		buf_truncate(out, start);
	buf_free(&m);
	errno = save;
	return r;
}

int
maildir_folder_name(const char *dirname, struct buf *mailbox_r)
{
	struct buf out = BUF_INIT;
	const char *s, *e;
	size_t n, start;
	int save;

	if (*dirname == '\0') {
		buf_reset(mailbox_r);
		return buf_puts(mailbox_r, "INBOX");
	}
	if (dirname[0] != '.')
		goto inval;
	for (s = dirname + 1;;) {
		e = strchr(s, '.');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		if (n == 0 || memchr(s, '/', n) != NULL)
			goto inval;
		if (s != dirname + 1 && buf_putc(&out, '/') == -1)
			goto fail;
		start = out.len;
		if (get_component(&out, s, n) == -1)
			goto fail;
		if (s == dirname + 1 && is_inbox(out.s + start, out.len -
		    start) && (e == NULL ||
		    memcmp(out.s + start, "INBOX", 5) != 0))
			goto inval;	/* ".INBOX", ".inbox.x": clash */
		if (e == NULL)
			break;
		s = e + 1;
	}
	if (buf_set(mailbox_r, out.s, out.len) == -1)
		goto fail;
	buf_free(&out);
	return 0;
inval:
	errno = EINVAL;
fail:
	save = errno;
	buf_free(&out);
	errno = save;
	return -1;
}

/*
 * Flags in file names
 */

int
maildir_name_split(const char *name, size_t *baselen_r, const char **info_r)
{
	const char *colon;

	if (strchr(name, '/') != NULL) {
		errno = EINVAL;
		return -1;
	}
	colon = strchr(name, ':');
	*baselen_r = colon != NULL ? (size_t)(colon - name) : strlen(name);
	*info_r = colon != NULL ? colon + 1 : NULL;
	if (*baselen_r == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
maildir_flags_parse(const char *s, size_t n, uint64_t *bits_r)
{
	uint64_t bits = 0, bit;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((bit = MAILDIR_FLAG(s[i])) == 0) {
			errno = EINVAL;
			return -1;
		}
		bits |= bit;
	}
	*bits_r = bits;
	return 0;
}

int
maildir_flags_format(uint64_t bits, struct buf *out)
{
	int c;

	/* ASCII order: the upper case letters come first */
	for (c = 'A'; c <= 'Z'; c++)
		if ((bits & MAILDIR_FLAG(c)) && buf_putc(out, c) == -1)
			return -1;
	for (c = 'a'; c <= 'z'; c++)
		if ((bits & MAILDIR_FLAG(c)) && buf_putc(out, c) == -1)
			return -1;
	return 0;
}

int
maildir_name_flags(const char *name, uint64_t *bits_r)
{
	const char *info;
	size_t baselen;

	if (maildir_name_split(name, &baselen, &info) == -1)
		return -1;
	*bits_r = 0;
	if (info == NULL || *info == '\0')
		return 0;
	/* "2," then the flags; "1," and others are not ours to read */
	if (info[0] != '2' || info[1] != ',') {
		errno = EINVAL;
		return -1;
	}
	return maildir_flags_parse(info + 2, strlen(info + 2), bits_r);
}

int
maildir_name_set_flags(const char *name, uint64_t set, uint64_t clear,
    struct buf *name_r)
{
	struct buf out = BUF_INIT;
	const char *info;
	size_t baselen;
	uint64_t bits;
	int save;

	if (((set | clear) & ~MAILDIR_F_SETTABLE) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (maildir_name_split(name, &baselen, &info) == -1 ||
	    maildir_name_flags(name, &bits) == -1)
		return -1;
	bits = (bits | set) & ~clear;
	if (buf_put(&out, name, baselen) == -1 ||
	    buf_puts(&out, ":2,") == -1 ||
	    maildir_flags_format(bits, &out) == -1 ||
	    buf_set(name_r, out.s, out.len) == -1) {
		save = errno;
		buf_free(&out);
		errno = save;
		return -1;
	}
	buf_free(&out);
	return 0;
}

int
maildir_set_flags(const char *name, const char *add, const char *remove,
    struct buf *name_r)
{
	uint64_t set = 0, clear = 0;

	if ((add != NULL && maildir_flags_parse(add, strlen(add), &set) ==
	    -1) || (remove != NULL && maildir_flags_parse(remove,
	    strlen(remove), &clear) == -1))
		return -1;
	return maildir_name_set_flags(name, set, clear, name_r);
}
