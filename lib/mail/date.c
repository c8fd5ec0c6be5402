#include <errno.h>
#include <limits.h>
#include <string.h>

#include "mail/addr.h"
#include "mail/date.h"
#include "mail/msg.h"

/* A cursor over the unfolded value. */
struct dp {
	const char *s;
	size_t n, i;
	const char *why;
};

static int bad(struct dp *, const char *);
static int cfws(struct dp *);
static int digits(struct dp *, int *, size_t *);
static size_t letters(struct dp *);
static int name_index(const char *, size_t, const char (*)[4], int);
static int zone(struct dp *, struct date *);
static int mdays(long long, int);
static long long floordiv(long long, long long);
static int date_wday(struct dp *, struct date *);
static int date_dmy(struct dp *, struct date *);
static int date_hms(struct dp *, struct date *);
static int date_value(struct dp *, struct date *);

static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char day_names[7][4] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* Seconds from the epoch to 1900-01-01 and to 10000-01-01. */
#define T_1900 (-2208988800LL)
#define T_10000 253402300800LL
#define ZONE_MAX (99 * 60 + 59)

static int
bad(struct dp *p, const char *why)
{
	p->why = why;
	errno = EINVAL;
	return -1;
}

/* RFC 5322 3.2.2 CFWS; 1 skipped, 0 none, -1 bad comment */
static int
cfws(struct dp *p)
{
	struct addr_err e = {0, NULL};
	int r;

	if ((r = addr_cfws(p->s, p->n, &p->i, &e)) == -1)
		return bad(p, e.why);
	return r;
}

/* DIGITs at p->i: their value (while it fits) and count */
static int
digits(struct dp *p, int *v, size_t *count)
{
	*v = 0;
	*count = 0;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
		if (*count < 9)
			*v = *v * 10 + (p->s[p->i] - '0');
		(*count)++;
		p->i++;
	}
	return *count > 0;
}

/* ASCII letters at p->i; how many */
static size_t
letters(struct dp *p)
{
	size_t start = p->i;
	char c;

	while (p->i < p->n) {
		c = p->s[p->i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			break;
		p->i++;
	}
	return p->i - start;
}

static int
name_index(const char *s, size_t len, const char (*names)[4], int count)
{
	int k;

	if (len != 3)
		return -1;
	for (k = 0; k < count; k++)
		if (ascii_ncasecmp(s, names[k], 3) == 0)
			return k;
	return -1;
}

/*
 * RFC 5322 3.3 zone = (FWS ("+" / "-") 4DIGIT) / obs-zone (4.3).
 */
static int
zone(struct dp *p, struct date *d)
{
	static const struct {
		const char *name;
		int off;
	} names[] = {
	    {"UT", 0},
	    {"GMT", 0},
	    {"EST", -5 * 60},
	    {"EDT", -4 * 60},
	    {"CST", -6 * 60},
	    {"CDT", -5 * 60},
	    {"MST", -7 * 60},
	    {"MDT", -6 * 60},
	    {"PST", -8 * 60},
	    {"PDT", -7 * 60},
	};
	size_t start = p->i, len, k, count;
	int v, sign;

	if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) {
		sign = p->s[p->i] == '-' ? -1 : 1;
		p->i++;
		if (!digits(p, &v, &count) || count != 4)
			return bad(p, "zone is not 4 digits");
		if (v % 100 > 59)
			return bad(p, "zone minutes out of range");
		d->zone = sign * (v / 100 * 60 + v % 100);
		/* RFC 5322 3.3: "-0000": no information about the zone */
		if (sign < 0 && v == 0)
			d->flags |= DATE_F_ZONE_UNKNOWN;
		return 0;
	}
	len = letters(p);
	if (len == 0)
		return bad(p, "expected a zone");
	d->flags |= DATE_F_OBS;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (strlen(names[k].name) == len &&
		    ascii_ncasecmp(p->s + start, names[k].name, len) == 0) {
			d->zone = names[k].off;
			return 0;
		}
	}
	/*
	 * RFC 5322 4.3: military zones (one letter but J) are to be taken as
	 * "-0000", and so is any other alphabetic zone of unknown meaning.
	 */
	if (len == 1 && (p->s[start] == 'J' || p->s[start] == 'j'))
		return bad(p, "bad zone");
	if (len > 5)
		return bad(p, "bad zone");
	d->zone = 0;
	d->flags |= DATE_F_ZONE_UNKNOWN;
	return 0;
}

static int
mdays(long long year, int mon)
{
	static const int n[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (mon == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return n[mon - 1];
}

static long long
floordiv(long long a, long long b)
{
	long long q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Proleptic Gregorian calendar, counted in 400-year eras from March. */
long long
date_days(long long year, int mon, int mday)
{
	long long y = year - (mon <= 2), era, yoe, doy, doe;

	era = floordiv(y, 400);
	yoe = y - era * 400; /* 0-399 */
	doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + mday - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0-146096 */
	return era * 146097 + doe - 719468;	     /* 719468: 0000-03-01 */
}

void
date_civil(long long days, long long *year_r, int *mon_r, int *mday_r)
{
	long long z = days + 719468, era, doe, yoe, doy, mp;

	era = floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*mday_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mon_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year_r = yoe + era * 400 + (*mon_r <= 2);
}

/* [day-of-week ","] (RFC 5322 3.3): 0, or -1 with p->why */
static int
date_wday(struct dp *p, struct date *d)
{
	size_t start, len;
	int k;

	/* day-of-week = ([FWS] day-name) / obs-day-of-week, then "," */
	start = p->i;
	if ((len = letters(p)) > 0) {
		if ((k = name_index(p->s + start, len, day_names, 7)) < 0) {
			bad(p, "bad day name");
			return -1;
		}
		d->wday = k;
		if ((k = cfws(p)) == -1)
			return -1;
		if (k)
			d->flags |= DATE_F_OBS;
		if (p->i >= p->n || p->s[p->i] != ',') {
			bad(p, "expected ',' after the day name");
			return -1;
		}
		p->i++;
		if (cfws(p) == -1)
			return -1;
	}
	return 0;
}

/* day month year, each ended by blanks (RFC 5322 3.3, 4.3) */
static int
date_dmy(struct dp *p, struct date *d)
{
	size_t start, len, count;
	int k;

	/* date = day month year; day = ([FWS] 1*2DIGIT FWS) / obs-day */
	if (!digits(p, &d->mday, &count) || count > 2) {
		bad(p, "bad day");
		return -1;
	}
	if ((k = cfws(p)) <= 0) {
		if (k == 0)
			bad(p, "expected a blank after the day");
		return -1;
	}
	start = p->i;
	len = letters(p);
	if ((k = name_index(p->s + start, len, month_names, 12)) < 0) {
		bad(p, "bad month");
		return -1;
	}
	d->mon = k + 1;
	if ((k = cfws(p)) <= 0) {
		if (k == 0)
			bad(p, "expected a blank after the month");
		return -1;
	}
	/* year = (FWS 4*DIGIT FWS) / obs-year; RFC 5322 4.3 */
	if (!digits(p, &d->year, &count) || count < 2 || count > 4) {
		bad(p, "bad year");
		return -1;
	}
	if (count == 2) {
		d->year += d->year < 50 ? 2000 : 1900;
		d->flags |= DATE_F_OBS;
	} else if (count == 3) {
		d->year += 1900;
		d->flags |= DATE_F_OBS;
	}
	if (d->year < 1900) {
		bad(p, "year before 1900");
		return -1;
	}
	if ((k = cfws(p)) <= 0) {
		if (k == 0)
			bad(p, "expected a blank after the year");
		return -1;
	}
	return 0;
}

/* hour ":" minute [":" second] and the blank before the zone */
static int
date_hms(struct dp *p, struct date *d)
{
	size_t count;
	int k, v;

	/* time-of-day = hour ":" minute [":" second], obs: CFWS around */
	if (!digits(p, &d->hour, &count) || count != 2) {
		bad(p, "bad hour");
		return -1;
	}
	if ((k = cfws(p)) == -1)
		return -1;
	if (p->i >= p->n || p->s[p->i] != ':') {
		bad(p, "expected ':'");
		return -1;
	}
	p->i++;
	if ((v = cfws(p)) == -1)
		return -1;
	if (k || v)
		d->flags |= DATE_F_OBS;
	if (!digits(p, &d->min, &count) || count != 2) {
		bad(p, "bad minute");
		return -1;
	}
	if ((k = cfws(p)) == -1)
		return -1;
	if (p->i < p->n && p->s[p->i] == ':') {
		p->i++;
		if (cfws(p) == -1)
			return -1;
		if (!digits(p, &d->sec, &count) || count != 2) {
			bad(p, "bad second");
			return -1;
		}
		if ((k = cfws(p)) == -1)
			return -1;
	}
	if (k == 0) {
		bad(p, "expected a blank before the zone");
		return -1;
	}
	return 0;
}

/* The ranges, the day of the week, and the time as a time_t. */
static int
date_value(struct dp *p, struct date *d)
{
	long long days, t;

	if (d->mday < 1 || d->mday > mdays(d->year, d->mon)) {
		bad(p, "day out of range");
		return -1;
	}
	if (d->hour > 23 || d->min > 59 || d->sec > 60) {
		bad(p, "time out of range");
		return -1;
	}
	days = date_days(d->year, d->mon, d->mday);
	/* RFC 5322 3.3: the day-of-week MUST be the day implied by the date */
	if (d->wday >= 0 &&
	    d->wday != (int)(days + 4 - floordiv(days + 4, 7) * 7))
		d->flags |= DATE_F_WDAY;
	t = days * 86400 + d->hour * 3600 + d->min * 60 + d->sec -
	    (long long)d->zone * 60;
	if ((long long)(time_t)t != t) {
		bad(p, "time does not fit time_t");
		return -1;
	}
	d->t = (time_t)t;
	return 0;
}

int
date_parse(const char *s, size_t n, struct date *d, const char **why_r)
{
	struct buf u = BUF_INIT;
	struct dp p = {NULL, 0, 0, NULL};
	int r = -1;

	memset(d, 0, sizeof(*d));
	d->wday = -1;
	/* RFC 5322 2.2.3: unfold; a trailing line ending is not content */
	if (msg_unfold(&u, s, n) == -1) {
		p.why = "out of memory";
		goto out;
	}
	if (u.len > 0 && u.s[u.len - 1] == '\n')
		u.len--;
	if (u.len > 0 && u.s[u.len - 1] == '\r')
		u.len--;
	p.s = u.s;
	p.n = u.len;
	if (cfws(&p) == -1 || date_wday(&p, d) == -1 ||
	    date_dmy(&p, d) == -1 || date_hms(&p, d) == -1 ||
	    zone(&p, d) == -1 || cfws(&p) == -1)
		goto out;
	if (p.i < p.n) {
		bad(&p, "junk after the date");
		goto out;
	}
	if (date_value(&p, d) == -1)
		goto out;
	r = 0;
out:
	if (r == -1) {
		int e = errno;

		if (why_r != NULL)
			*why_r = p.why;
		d->t = 0;
		errno = e;
	}
	buf_free(&u);
	return r;
}

int
date_format(struct buf *b, time_t t, int off)
{
	long long lt, days, secs, year;
	int mon, mday, wday, a;

	if (off < -ZONE_MAX || off > ZONE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((long long)t < T_1900 - 100 * 3600LL ||
	    (long long)t > T_10000 + 100 * 3600LL) {
		errno = EOVERFLOW;
		return -1;
	}
	lt = (long long)t + off * 60LL;
	days = floordiv(lt, 86400);
	secs = lt - days * 86400;
	date_civil(days, &year, &mon, &mday);
	if (year < 1900 || year > 9999) {
		errno = EOVERFLOW;
		return -1;
	}
	wday = (int)(days + 4 - floordiv(days + 4, 7) * 7); /* 1970: Thu */
	a = off < 0 ? -off : off;
	/* RFC 5322 3.3 date-time */
	return buf_printf(b, "%s, %d %s %04lld %02d:%02d:%02d %c%02d%02d",
	    day_names[wday], mday, month_names[mon - 1], year,
	    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
	    off < 0 ? '-' : '+', a / 60, a % 60);
}
