#include <errno.h>
#include <time.h>

#include "base/num.h"

int
parse_ulong(const char *s, unsigned long *v, unsigned long min,
    unsigned long max)
{
	unsigned long x = 0, d;
	const char *p;

	if (*s == '\0')
		goto bad;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		d = (unsigned long)(*p - '0');
		/* x * 10 + d <= max, without overflow */
		if (d > max || x > (max - d) / 10)
			goto bad;
		x = x * 10 + d;
	}
	if (x < min)
		goto bad;
	*v = x;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}
