#include <sys/stat.h>

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cdbtab.h"
#include "base/fileio.h"

int
cdbtab_lookup(const char *path, const void *key, size_t keylen,
    struct buf *val)
{
	struct cdb c;
	unsigned dlen;
	int fd, r, save;

	if (keylen > 0xffffffffu) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (cdb_init(&c, fd) != 0) {
		save = errno ? errno : EINVAL;
		close(fd);
		errno = save;
		return -1;
	}
	r = cdb_find(&c, key, (unsigned)keylen);
	if (r > 0) {
		dlen = cdb_datalen(&c);
		buf_reset(val);
		if (buf_ready(val, dlen) == -1 ||
		    cdb_read(&c, val->s, dlen, cdb_datapos(&c)) != 0) {
			r = -1;
		} else {
			val->len = dlen;
			val->s[dlen] = '\0';
			r = 1;
		}
	} else if (r < 0) {
		r = -1;
		if (errno == 0)
			errno = EINVAL;
	}
	save = errno;
	cdb_free(&c);
	close(fd);
	errno = save;
	return r;
}

/* Split one line into key and value; 1 entry, 0 nothing, -1 malformed. */
static int
split(char *s, size_t n, char **k, size_t *kl, char **v, size_t *vl)
{
	size_t i = 0, ks;

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t'))
		n--;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	ks = i;
	while (i < n && s[i] != ' ' && s[i] != '\t')
		i++;
	*k = s + ks;
	*kl = i - ks;
	/* "key: value": a colon ending the key is not part of it, so
	 * keys may hold colons themselves (IPv6 addresses) */
	if ((*k)[*kl - 1] == ':')
		(*kl)--;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	*v = s + i;
	*vl = n - i;
	if (*kl == 0 || memchr(s, '\0', n) != NULL)
		return -1;
	return 1;
}

long
cdbtab_compile(const char *src, const char *dst, int flags, unsigned mode,
    unsigned long *line_r)
{
	struct buf text = BUF_INIT;
	struct atomic_file f;
	struct cdb_make cm;
	char *p, *end, *nl, *k, *v;
	size_t kl, vl, i;
	unsigned long line = 0;
	long count = 0;
	int r, started = 0;

	*line_r = 0;
	if (read_file(src, &text, (size_t)1 << 30) == -1)
		goto fail;
	if (atomic_open(&f, dst, mode & 07777) == -1)
		goto fail;
	if (cdb_make_start(&cm, f.fd) != 0)
		goto abort;
	started = 1;
	for (p = text.s, end = text.s + text.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line++;
		if ((size_t)(nl - p) > CDBTAB_LINE_MAX) {
			*line_r = line;
			errno = EINVAL;
			goto abort;
		}
		r = split(p, (size_t)(nl - p), &k, &kl, &v, &vl);
		if (r == 0)
			continue;
		if (r < 0) {
			*line_r = line;
			errno = EINVAL;
			goto abort;
		}
		if (flags & CDBTAB_LOWER)
			for (i = 0; i < kl; i++)
				k[i] = (char)ascii_lower((unsigned char)k[i]);
		if (cdb_make_add(&cm, k, (unsigned)kl, v, (unsigned)vl) != 0)
			goto abort;
		count++;
	}
	started = 0;
	if (cdb_make_finish(&cm) != 0)
		goto abort;
	buf_free(&text);
	return atomic_commit(&f) == 0 ? count : -1;
abort:
	r = errno;
	if (started)
		cdb_make_finish(&cm);	/* frees its tables; file is dropped */
	errno = r;
	atomic_abort(&f);
fail:
	r = errno;
	buf_free(&text);
	errno = r;
	return -1;
}
