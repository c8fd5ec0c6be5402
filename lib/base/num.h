/*
 * num: the one decimal number parser every program and module uses, and
 * the monotonic clock in milliseconds, and a pause in them.
 *
 * Return convention: parse_ulong returns 0, or -1 with errno EINVAL.
 */
#ifndef POSTERN_NUM_H
#define POSTERN_NUM_H

/*
 * A decimal unsigned number in [min, max]: digits only (no sign, no
 * blanks, not empty), checked against max as it is read, so no overflow.
 */
int	parse_ulong(const char *, unsigned long *, unsigned long min,
	    unsigned long max);

/* CLOCK_MONOTONIC in milliseconds, for timeouts and durations. */
long	now_ms(void);

/* Sleep ms milliseconds (less when a signal comes): a back-off. */
void	pause_ms(long ms);

#endif
