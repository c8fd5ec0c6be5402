/*
 * array: the growth of a caller's array, written once.
 *
 * An array is a pointer v to cap elements of one size, of which the caller
 * uses the first n; v == NULL with cap == 0 is empty and valid.  The caller
 * keeps v, n and cap in its own struct, and its own limit on n (E2BIG).
 *
 * array_ready(v, &cap, need, size) makes room for need elements in all
 * (not need more).  When cap >= need it returns v as it is: an array never
 * shrinks.  Otherwise it reallocates v to ARRAY_FIRST elements (or cap)
 * doubled until need fits, or to need itself where doubling would pass
 * what a size_t counts in bytes, and sets cap.  Elements from n on are not
 * initialised.  A need of 0 counts as 1, so that NULL only means failure:
 *
 *	if ((p = array_ready(l->v, &l->cap, l->n + 1, sizeof(*p))) == NULL)
 *		return -1;
 *	l->v = p;
 *
 * Return convention: array_ready returns the array, moved or not, or NULL
 * with errno set: ENOMEM, EOVERFLOW when need * size would wrap a size_t,
 * EINVAL when size is 0.  On failure v, its contents and *cap are
 * unchanged (v is still the caller's to use and free).
 */
#ifndef POSTERN_ARRAY_H
#define POSTERN_ARRAY_H

#include <stddef.h>

/*
 * The first size, in elements: the recipients of a message, the addresses
 * of a header field and the parts of a MIME message are mostly fewer.
 */
#define ARRAY_FIRST	8

void   *array_ready(void *, size_t *, size_t, size_t);	/* v, &cap, need, size */

#endif
