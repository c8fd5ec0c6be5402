/*
 * array: the growth of a caller's array, written once.
 *
 * An array is a pointer v to cap elements of one size, of which the caller
 * uses the first n; v == NULL with cap == 0 is empty and valid.  The caller
 * keeps v, n and cap in its own struct, and its own limit on n (E2BIG).
 *
 * array_ready makes room for need elements in all (not need more): nothing
 * happens when need <= cap, since an array never shrinks; otherwise v is
 * reallocated to ARRAY_FIRST elements (or cap) doubled until need fits,
 * and at most to the SIZE_MAX / size elements a size_t can count in bytes.
 * Elements from n on are not initialised.  vp is the address of the array
 * pointer (a T ** for a T *v); ARRAY_READY passes it and the size from v
 * itself:
 *
 *	if (ARRAY_READY(l->v, l->cap, l->n + 1) == -1)
 *		return -1;
 *	l->v[l->n++] = x;
 *
 * Return convention: array_ready returns 0 on success and -1 on failure
 * with errno set: ENOMEM, EOVERFLOW when need elements of size would wrap
 * a size_t, EINVAL when size is 0; on failure *vp and *cap are unchanged.
 * array_cap sets *ncap to the capacity array_ready would choose and returns
 * 0, or returns -1 with errno EOVERFLOW or EINVAL as above; it allocates
 * nothing.
 */
#ifndef POSTERN_ARRAY_H
#define POSTERN_ARRAY_H

#include <stddef.h>

/*
 * The first size, in elements: the recipients of a message, the addresses
 * of a header field and the parts of a MIME message are mostly fewer.
 */
#define ARRAY_FIRST	8

int	array_ready(void *, size_t *, size_t, size_t);	/* &v, &cap, need, size */
int	array_cap(size_t, size_t, size_t, size_t *);	/* cap, need, size */

#define ARRAY_READY(v, cap, need)					\
	array_ready(&(v), &(cap), (need), sizeof(*(v)))

#endif
