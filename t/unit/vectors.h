/*
 * vectors.h: the test vector files of t/data/header-vectors (written by
 * convert.py there), for the unit tests that read them.  A case is "I\t"
 * and its escaped input, then the expected lines, then ".".
 */
#ifndef POSTERN_VECTORS_H
#define POSTERN_VECTORS_H

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/fileio.h"

struct vcase {
	struct buf in;
	struct buf want;
	int line;
};

static inline void
vec_unesc(struct buf *b, const char *s, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '\\' && i + 1 < n) {
			switch (s[++i]) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			default:
				c = s[i];
			}
		}
		if (buf_putc(b, c) == -1)
			abort();
	}
}

static inline size_t
vec_load(const char *name, struct vcase *v, size_t max)
{
	struct buf path = BUF_INIT, f = BUF_INIT;
	const char *top = getenv("TOP");
	char *p, *nl, *end;
	size_t n = 0;
	int line = 0, open = 0;

	if (top == NULL || *top == '\0')
		top = ".";
	if (buf_printf(&path, "%s/t/data/header-vectors/%s", top, name) == -1 ||
	    read_file(path.s, &f, 1 << 20) == -1) {
		buf_free(&path);
		return 0;
	}
	for (p = f.s, end = f.s + f.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line++;
		if (*p == '#')
			continue;
		if (nl - p >= 2 && p[0] == 'I' && p[1] == '\t') {
			if (n >= max)
				break;
			memset(&v[n], 0, sizeof(v[n]));
			v[n].line = line;
			vec_unesc(&v[n].in, p + 2, (size_t)(nl - p - 2));
			if (buf_puts(&v[n].want, "") == -1)
				abort();
			open = 1;
		} else if (nl - p == 1 && *p == '.' && open) {
			n++;
			open = 0;
		} else if (open) {
			if (buf_put(&v[n].want, p, (size_t)(nl - p + 1)) == -1)
				abort();
		}
	}
	buf_free(&path);
	buf_free(&f);
	return n;
}

#endif
