#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"

int
array_cap(size_t cap, size_t need, size_t size, size_t *ncap)
{
	size_t max, c;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	max = SIZE_MAX / size;
	if (need > max) {
		errno = EOVERFLOW;
		return -1;
	}
	if (need <= cap) {
		*ncap = cap;
		return 0;
	}
	c = cap == 0 ? ARRAY_FIRST : cap;
	while (c < need)
		c = c > max / 2 ? max : c * 2;	/* doubling would wrap */
	*ncap = c > max ? max : c;	/* ARRAY_FIRST > max for huge sizes */
	return 0;
}

int
array_ready(void *vp, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *v, *nv;

	if (need <= *cap)
		return 0;
	if (array_cap(*cap, need, size, &ncap) == -1)
		return -1;
	/* vp points to a T *, read and written as bytes (no void ** pun) */
	memcpy(&v, vp, sizeof(v));
	if ((nv = realloc(v, ncap * size)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(vp, &nv, sizeof(nv));
	*cap = ncap;
	return 0;
}
