#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/array.h"

void *
array_ready(void *v, size_t *cap, size_t need, size_t size)
{
	size_t max, c;
	void *nv;

	if (need == 0)
		need = 1;	/* array.h: NULL only on failure */
	if (need <= *cap)
		return v;
	if (size == 0) {
		errno = EINVAL;
		return NULL;
	}
	max = SIZE_MAX / size;
	if (need > max) {
		errno = EOVERFLOW;
		return NULL;
	}
	c = *cap == 0 ? ARRAY_FIRST : *cap;
	while (c < need && c <= max / 2)
		c *= 2;
	if (c < need || c > max)
		c = need;	/* doubling would wrap, or ARRAY_FIRST is too many */
	if ((nv = realloc(v, c * size)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*cap = c;
	return nv;
}
