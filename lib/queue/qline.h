/*
 * qline: the line format of the queue's envelope heads and state files,
 * for the queue's own modules (queue.c, queue_env.c, queue_state.c):
 * "key value\n" lines, the value escaped by queue_escape (queue.h).
 *
 * Return convention: 0 on success, -1 on failure with errno set (EINVAL
 * for malformed input, ENOMEM), unless a function says otherwise.
 */
#ifndef POSTERN_QLINE_H
#define POSTERN_QLINE_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"

/* the first line of each file, naming the format and its version */
#define QLINE_ENV_MAGIC		"postern-envelope 1"
#define QLINE_STATE_MAGIC	"postern-state 1"
/* reads and writes of queue files, in bytes */
#define QLINE_IO_BLOCK		(64 * 1024)

/* Append "key value\n" (the value escaped), or "key N\n". */
int	qline_put(struct buf *, const char *key, const char *val);
int	qline_num(struct buf *, const char *key, long long);

/*
 * The next line of *pp up to end, advancing *pp: its key and its value
 * (still escaped).  1 a line, 0 the empty line that ends a head, -1
 * (EINVAL) at the end of the data, for a line without its LF or without
 * a key.
 */
int	qline_next(const char **pp, const char *end, const char **key,
	    size_t *kl, const char **val, size_t *vl);

/* Is the key k[0..kl) name?  1 / 0. */
int	qline_key(const char *k, size_t kl, const char *name);

/* The value v[0..vl) unescaped into b (replaced, NUL-ended). */
int	qline_value(struct buf *b, const char *v, size_t vl);

/* A decimal time or count (EINVAL past its range). */
int	qline_time(const char *v, size_t vl, time_t *);
int	qline_uint(const char *v, size_t vl, unsigned *);

/* A recipient index "N" (of "rcpt.N." and state lines): decimal, no
 * leading zero, six digits at most; -1 otherwise (errno untouched). */
int	qline_index(const char *s, size_t n, size_t *idx);

/* A control character (below 0x20, or 0x7f) in s[0..n)?  1 / 0. */
int	qline_has_ctl(const char *s, size_t n);

/* *dst = a copy of s (NULL: none), the old value freed. */
int	qline_setstr(char **dst, const char *s);

#endif
