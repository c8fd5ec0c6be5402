/* renameat2() and RENAME_NOREPLACE, where the C library has them */
#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"

int
write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
read_all(int fd, struct buf *b, size_t max)
{
	size_t start = b->len;
	ssize_t r;

	for (;;) {
		if (buf_ready(b, 8192) == -1)
			return -1;
		b->s[b->len] = '\0';	/* buf_ready does not; EOF at once */
		r = read(fd, b->s + b->len, b->cap - b->len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
		b->s[b->len] = '\0';
		if (b->len - start > max) {
			errno = EFBIG;
			return -1;
		}
	}
	return 0;
}

int
read_file(const char *path, struct buf *b, size_t max)
{
	int fd, r, save;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read_all(fd, b, max);
	save = errno;
	close(fd);
	errno = save;
	return r;
}

int
fsync_dir(const char *path)
{
	int fd, r, save;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	save = errno;
	close(fd);
	errno = save;
	return r;
}

int
fsync_parent(const char *path)
{
	struct buf d = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int r;

	if (slash == NULL)
		return fsync_dir(".");
	if (slash == path)
		return fsync_dir("/");
	if (buf_put(&d, path, (size_t)(slash - path)) == -1)
		return -1;
	r = fsync_dir(d.s);
	buf_free(&d);
	return r;
}

int
atomic_open(struct atomic_file *f, const char *path, mode_t mode)
{
	struct buf u = BUF_INIT;
	int save;

	f->fd = -1;
	f->path = path;
	memset(&f->tmp, 0, sizeof(f->tmp));
	if (uniq_name(&u) == -1 ||
	    buf_printf(&f->tmp, "%s.tmp.%s", path, u.s) == -1)
		goto fail;
	f->fd = open(f->tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (f->fd == -1)
		goto fail;
	/* the mode as asked, whatever the umask */
	if (fchmod(f->fd, mode) == -1) {
		atomic_abort(f);
		buf_free(&u);
		return -1;
	}
	buf_free(&u);
	return 0;
fail:
	save = errno;
	buf_free(&f->tmp);
	buf_free(&u);
	errno = save;
	return -1;
}

int
atomic_commit(struct atomic_file *f)
{
	int fd = f->fd, save;

	f->fd = -1;
	if (fsync(fd) == -1) {
		save = errno;
		close(fd);
		errno = save;
		goto abort;
	}
	if (close(fd) == -1 || rename(f->tmp.s, f->path) == -1)
		goto abort;
	buf_free(&f->tmp);
	return fsync_parent(f->path);
abort:
	atomic_abort(f);
	return -1;
}

void
atomic_abort(struct atomic_file *f)
{
	int save = errno;

	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	if (f->tmp.s != NULL)
		unlink(f->tmp.s);
	buf_free(&f->tmp);
	errno = save;
}

int
atomic_replace(const char *path, const void *p, size_t n, mode_t mode)
{
	struct atomic_file f;

	if (atomic_open(&f, path, mode) == -1)
		return -1;
	if (write_all(f.fd, p, n) == -1) {
		atomic_abort(&f);
		return -1;
	}
	return atomic_commit(&f);
}

const char *
safe_hostname(void)
{
	static char safe[4 * 256 + 1];
	char host[256];
	size_t i, o = 0;

	if (safe[0] != '\0')
		return safe;
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* Maildir: '/' and ':' in the host name become \057 and \072 */
	for (i = 0; host[i] != '\0' && o + 5 < sizeof(safe); i++) {
		if (host[i] == '/' || host[i] == ':') {
			memcpy(safe + o, host[i] == '/' ? "\\057" : "\\072", 4);
			o += 4;
		} else
			safe[o++] = host[i];
	}
	safe[o] = '\0';
	return safe;
}

int
uniq_name(struct buf *b)
{
	static unsigned long count;
	struct timeval tv;

	if (gettimeofday(&tv, NULL) == -1)
		return -1;
	return buf_printf(b, "%lld.M%06ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++count, safe_hostname());
}

int
mkdir_p(const char *path, mode_t mode)
{
	struct buf p = BUF_INIT;
	struct stat st;
	size_t i;
	int r, save;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (buf_puts(&p, path) == -1)
		return -1;
	for (i = 1; i <= p.len; i++) {
		if (p.s[i] != '/' && p.s[i] != '\0')
			continue;
		p.s[i] = '\0';
		/* an existing name must be a directory, as with mkdir -p;
		 * a new one is synced into its parent, so that what is
		 * made inside it later cannot vanish with it */
		if ((r = mkdir(p.s, mode)) == 0 && fsync_parent(p.s) == -1) {
			save = errno;
			buf_free(&p);
			errno = save;
			return -1;
		}
		if (r == -1 && (errno != EEXIST ||
		    stat(p.s, &st) == -1 || !S_ISDIR(st.st_mode))) {
			save = errno;
			if (save == EEXIST && i < p.len)
				save = ENOTDIR;
			buf_free(&p);
			errno = save;
			return -1;
		}
		if (i < p.len)
			p.s[i] = '/';
	}
	buf_free(&p);
	return 0;
}

int
move_noreplace(int fromfd, const char *from, int tofd, const char *to)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
#endif
	if (linkat(fromfd, from, tofd, to, 0) == 0) {
		(void)unlinkat(fromfd, from, 0);
		return 0;
	}
	if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP &&
	    errno != EMLINK)
		return -1;
	if (faccessat(tofd, to, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(fromfd, from, tofd, to);
}
