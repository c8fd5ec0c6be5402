/*
 * date: RFC 5322 3.3 date-time, parsed into a time_t and a zone offset,
 * and formatted, without the C library's locale (no strftime %a / %b).
 *
 * Parsing takes a folded or unfolded field value (RFC 5322 2.2.3) and
 * accepts the obsolete syntax of RFC 5322 4.3: CFWS between the parts,
 * around ':' and ',', 2- and 3-digit years (2-digit 00-49 + 2000, 2-digit
 * 50-99 and any 3-digit + 1900), the zone names UT, GMT, EST/EDT, CST/CDT,
 * MST/MDT, PST/PDT, and military letters; those letters, "-0000" and any
 * other alphabetic zone name (up to 5 letters) give an unknown zone
 * (DATE_F_ZONE_UNKNOWN, offset 0), as RFC 5322 4.3 says to treat them.
 * The day of the week is optional; a wrong one is flagged, not refused.
 * Ranges are checked: year 1900-9999 (RFC 5322 3.3: 1900 or later), day
 * against the month and leap years, hour 0-23, minute 0-59, second 0-60
 * (a leap second counts as second 0 of the next minute), zone minutes
 * 0-59.  Letters are ASCII case-insensitive.
 *
 * Return convention: 0 on success, -1 on failure with errno set: EINVAL
 * (bad syntax or range, *why_r set to a static reason if why_r is not
 * NULL; date_format: an offset beyond +-99:59), EOVERFLOW (date_format: a
 * time outside the years 1900-9999), ENOMEM.
 */
#ifndef POSTERN_DATE_H
#define POSTERN_DATE_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"

/* struct date flags */
#define DATE_F_ZONE_UNKNOWN	0x01	/* -0000, military or unknown name */
#define DATE_F_OBS		0x02	/* obsolete syntax was used */
#define DATE_F_WDAY		0x04	/* the day of the week was wrong */

struct date {
	time_t		 t;		/* the instant (UTC, since the epoch) */
	int		 zone;		/* offset east of UTC, in minutes */
	int		 year, mon;	/* as written: year 1900-9999, 1-12 */
	int		 mday, hour;	/* 1-31, 0-23 */
	int		 min, sec;	/* 0-59, 0-60 */
	int		 wday;		/* as written, 0 Sunday; -1 absent */
	unsigned	 flags;		/* DATE_F_* */
};

int	date_parse(const char *s, size_t n, struct date *d,
	    const char **why_r);

/*
 * Append t as an RFC 5322 3.3 date-time in the zone local_offset minutes
 * east of UTC: "Mon, 30 Nov 2026 04:56:06 +0000".
 */
int	date_format(struct buf *b, time_t t, int local_offset_minutes);

/*
 * Days from 1970-01-01 to year-mon-mday (proleptic Gregorian; negative
 * before 1970), and back.  mon is 1-12.
 */
long long	date_days(long long year, int mon, int mday);
void		date_civil(long long days, long long *year_r, int *mon_r,
		    int *mday_r);

#endif
