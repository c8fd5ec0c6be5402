/*
 * buf: length-counted byte strings with overflow-checked growth.
 *
 * A struct buf owns s[0..len) plus a NUL at s[len] whenever s != NULL, so
 * buf.s can be passed where a C string is wanted when the content has no NUL.
 * A zeroed struct buf is empty and valid.
 *
 * Return convention: functions returning int return 0 on success and -1 on
 * failure with errno set (ENOMEM, or EOVERFLOW when a size would wrap).
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

int	buf_ready(struct buf *, size_t);	/* room for n more bytes + NUL */
int	buf_put(struct buf *, const void *, size_t);
int	buf_puts(struct buf *, const char *);
int	buf_putc(struct buf *, int);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
int	buf_set(struct buf *, const void *, size_t);	/* replace content */
void	buf_reset(struct buf *);			/* len = 0, keep memory */
void	buf_truncate(struct buf *, size_t);
void	buf_free(struct buf *);
char   *buf_steal(struct buf *);			/* hand over s; buf empty */

/* Checked size arithmetic: 0 on success, -1 (errno EOVERFLOW) on wrap. */
int	size_add(size_t, size_t, size_t *);
int	size_mul(size_t, size_t, size_t *);

/* Case-insensitive ASCII comparisons, independent of the locale. */
int	ascii_casecmp(const char *, const char *);
int	ascii_ncasecmp(const char *, const char *, size_t);
int	ascii_lower(int);

/* Does the C string s (NULL: no) hold a byte outside ASCII?  1 / 0. */
int	str_has8(const char *s);

#endif
