/*
 * test_date: RFC 5322 date-time parsing and formatting (lib/date.c).
 * Hand-written cases, good and bad, the mail-parser vectors in
 * t/data/header-vectors/date.txt (read at run time from $TOP), and round
 * trips checked against gmtime_r(3).
 */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "mail/date.h"
#include "unit.h"
#include "vectors.h"

/*
 * A good date: input, the fields as written, zone, flags, time_t.  A bad
 * one: want_ok 0 and the reason (NULL: any).
 */
static const struct dcase {
	const char *in;
	int ok;
	int year, mon, mday, hour, min, sec, zone;
	unsigned flags;
	long long t;
	const char *why;
} dcases[] = {
    {"Mon, 30 Nov 2026 04:56:06 +0000", 1, 2026, 11, 30, 4, 56, 6, 0, 0,
	1796014566LL, NULL},
    {"30 Nov 2026 04:56:06 +0000", 1, 2026, 11, 30, 4, 56, 6, 0, 0,
	1796014566LL, NULL},
    {"Mon, 30 Nov 2026 04:56 +0000", 1, 2026, 11, 30, 4, 56, 0, 0, 0,
	1796014560LL, NULL},
    {"Mon, 30 Nov 2026 05:56:06 +0100", 1, 2026, 11, 30, 5, 56, 6, 60, 0,
	1796014566LL, NULL},
    {"Sun, 29 Nov 2026 23:26:06 -0530", 1, 2026, 11, 29, 23, 26, 6, -330, 0,
	1796014566LL, NULL},
    {"mon, 30 nov 2026 04:56:06 +0000", 1, 2026, 11, 30, 4, 56, 6, 0, 0,
	1796014566LL, NULL},
    {"MON, 30 NOV 2026 04:56:06 +0000", 1, 2026, 11, 30, 4, 56, 6, 0, 0,
	1796014566LL, NULL},
    {"Mon, 30 Nov 2026 04:56:06 -0000", 1, 2026, 11, 30, 4, 56, 6, 0,
	DATE_F_ZONE_UNKNOWN, 1796014566LL, NULL},
    /* wrong day of the week: flagged */
    {"Tue, 30 Nov 2026 04:56:06 +0000", 1, 2026, 11, 30, 4, 56, 6, 0,
	DATE_F_WDAY, 1796014566LL, NULL},
    {"Thu, 29 Feb 2024 12:00:00 +0000", 1, 2024, 2, 29, 12, 0, 0, 0, 0,
	1709208000LL, NULL},
    {"Tue, 29 Feb 2000 00:00:00 +0000", 1, 2000, 2, 29, 0, 0, 0, 0, 0,
	951782400LL, NULL},
    {"29 Feb 2023 12:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"day out of range"},
    {"29 Feb 1900 12:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"day out of range"},
    {"31 Apr 2020 12:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"day out of range"},
    {"0 Jan 2020 12:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"day out of range"},
    {"32 Jan 2020 12:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"day out of range"},
    {"1 Jan 2000 00:00:00 +0000", 1, 2000, 1, 1, 0, 0, 0, 0, 0, 946684800LL,
	NULL},
    {"01 Jan 2000 00:00:00 +0000", 1, 2000, 1, 1, 0, 0, 0, 0, 0, 946684800LL,
	NULL},
    {"001 Jan 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad day"},
    /* RFC 5322 4.3: 2- and 3-digit years */
    {"1 Jan 00 00:00:00 +0000", 1, 2000, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	946684800LL, NULL},
    {"1 Jan 49 00:00:00 +0000", 1, 2049, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	2493072000LL, NULL},
    {"1 Jan 50 00:00:00 +0000", 1, 1950, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	-631152000LL, NULL},
    {"1 Jan 99 00:00:00 +0000", 1, 1999, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	915148800LL, NULL},
    {"1 Jan 100 00:00:00 +0000", 1, 2000, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	946684800LL, NULL},
    {"1 Jan 049 00:00:00 +0000", 1, 1949, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	-662688000LL, NULL},
    {"1 Jan 1899 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"year before 1900"},
    {"1 Jan 0999 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"year before 1900"},
    {"1 Jan 10000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad year"},
    {"1 Jan 2 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad year"},
    {"1 Jan 1900 00:00:00 +0000", 1, 1900, 1, 1, 0, 0, 0, 0, 0, -2208988800LL,
	NULL},
    {"Fri, 31 Dec 9999 23:59:59 +0000", 1, 9999, 12, 31, 23, 59, 59, 0, 0,
	253402300799LL, NULL},
    /* obsolete zones, RFC 5322 4.3 */
    {"1 Jan 2000 00:00:00 UT", 1, 2000, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	946684800LL, NULL},
    {"1 Jan 2000 00:00:00 GMT", 1, 2000, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	946684800LL, NULL},
    {"1 Jan 2000 00:00:00 gmt", 1, 2000, 1, 1, 0, 0, 0, 0, DATE_F_OBS,
	946684800LL, NULL},
    {"1 Jan 2000 00:00:00 EST", 1, 2000, 1, 1, 0, 0, 0, -300, DATE_F_OBS,
	946702800LL, NULL},
    {"1 Jan 2000 00:00:00 EDT", 1, 2000, 1, 1, 0, 0, 0, -240, DATE_F_OBS,
	946699200LL, NULL},
    {"1 Jan 2000 00:00:00 CST", 1, 2000, 1, 1, 0, 0, 0, -360, DATE_F_OBS,
	946706400LL, NULL},
    {"1 Jan 2000 00:00:00 CDT", 1, 2000, 1, 1, 0, 0, 0, -300, DATE_F_OBS,
	946702800LL, NULL},
    {"1 Jan 2000 00:00:00 MST", 1, 2000, 1, 1, 0, 0, 0, -420, DATE_F_OBS,
	946710000LL, NULL},
    {"1 Jan 2000 00:00:00 MDT", 1, 2000, 1, 1, 0, 0, 0, -360, DATE_F_OBS,
	946706400LL, NULL},
    {"1 Jan 2000 00:00:00 PST", 1, 2000, 1, 1, 0, 0, 0, -480, DATE_F_OBS,
	946713600LL, NULL},
    {"1 Jan 2000 00:00:00 PDT", 1, 2000, 1, 1, 0, 0, 0, -420, DATE_F_OBS,
	946710000LL, NULL},
    /* military letters and unknown names: "-0000" */
    {"1 Jan 2000 00:00:00 Z", 1, 2000, 1, 1, 0, 0, 0, 0,
	DATE_F_OBS | DATE_F_ZONE_UNKNOWN, 946684800LL, NULL},
    {"1 Jan 2000 00:00:00 A", 1, 2000, 1, 1, 0, 0, 0, 0,
	DATE_F_OBS | DATE_F_ZONE_UNKNOWN, 946684800LL, NULL},
    {"1 Jan 2000 00:00:00 m", 1, 2000, 1, 1, 0, 0, 0, 0,
	DATE_F_OBS | DATE_F_ZONE_UNKNOWN, 946684800LL, NULL},
    {"1 Jan 2000 00:00:00 CEST", 1, 2000, 1, 1, 0, 0, 0, 0,
	DATE_F_OBS | DATE_F_ZONE_UNKNOWN, 946684800LL, NULL},
    {"1 Jan 2000 00:00:00 J", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad zone"},
    {"1 Jan 2000 00:00:00 ABCDEF", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad zone"},
    {"1 Jan 2000 00:00:00 EST5EDT", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"junk after the date"},
    {"1 Jan 2000 00:00:00 +0160", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"zone minutes out of range"},
    {"1 Jan 2000 00:00:00 +01000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"zone is not 4 digits"},
    {"1 Jan 2000 00:00:00 +100", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"zone is not 4 digits"},
    {"1 Jan 2000 00:00:00 +", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"zone is not 4 digits"},
    {"1 Jan 2000 00:00:00 +9959", 1, 2000, 1, 1, 0, 0, 0, 5999, 0, 946324860LL,
	NULL},
    {"1 Jan 2000 00:00:00", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"expected a blank before the zone"},
    {"1 Jan 2000 00:00:00 ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "expected a zone"},
    {"1 Jan 2000 00:00:00+0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"expected a blank before the zone"},
    /* time ranges */
    {"1 Jan 2000 24:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"time out of range"},
    {"1 Jan 2000 23:60:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"time out of range"},
    {"31 Dec 2016 23:59:60 +0000", 1, 2016, 12, 31, 23, 59, 60, 0, 0,
	1483228800LL, NULL},
    {"1 Jan 2000 23:59:61 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"time out of range"},
    {"1 Jan 2000 1:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad hour"},
    {"1 Jan 2000 01:0:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad minute"},
    {"1 Jan 2000 01:00:0 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad second"},
    {"1 Jan 2000 01:00: +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad second"},
    {"1 Jan 2000 0100 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad hour"},
    {"1 Jan 2000 01 00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "expected ':'"},
    /* day and month names */
    {"Tux, 1 Jan 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"bad day name"},
    {"Monday, 1 Jan 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"bad day name"},
    {"Sat 1 Jan 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"expected ',' after the day name"},
    {"1 January 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"bad month"},
    {"1 Jax 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad month"},
    {"1 01 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad month"},
    {"1Jan 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"expected a blank after the day"},
    {"1 Jan2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"expected a blank after the month"},
    {"1 Jan 2000T00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"expected a blank after the year"},
    {"2000-01-01T00:00:00Z", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad day"},
    /* CFWS and folding, RFC 5322 3.2.2 and 4.3 */
    {"(c) Sat (d) , (e) 1 (f) Jan (g) 2000 (h) 00 (i) : (j) 00 (k) : "
     "(l) 00 (m) +0000 (n)",
	1, 2000, 1, 1, 0, 0, 0, 0, DATE_F_OBS, 946684800LL, NULL},
    {"Sat,\r\n 1 Jan\r\n\t2000 00:00:00\r\n +0000\r\n", 1, 2000, 1, 1, 0, 0, 0,
	0, 0, 946684800LL, NULL},
    {"Sat,\n 1 Jan\n 2000 00:00:00\n +0000\n", 1, 2000, 1, 1, 0, 0, 0, 0, 0,
	946684800LL, NULL},
    {"1 Jan 2000 00:00:00 +0000 ((nested) (comment))", 1, 2000, 1, 1, 0, 0, 0,
	0, 0, 946684800LL, NULL},
    {"1 Jan 2000 00:00:00 +0000 (J\xc3\xb6rg's zone)", 1, 2000, 1, 1, 0, 0, 0,
	0, 0, 946684800LL, NULL},
    {"1 Jan 2000 00:00:00 +0000 (\xff)", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"invalid UTF-8"},
    {"1 Jan 2000 00:00:00 +0000 (open", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"unterminated comment"},
    {"1 Jan 2000 00:00:00 +0000 x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"junk after the date"},
    {"1 Jan 2000 00:00:00 +0000 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"junk after the date"},
    {"1 Jan 2000\r00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"expected a blank after the year"},
    {"1 Jan 2000 00:00:00 +0000\r\n\r\n", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"junk after the date"},
    {"1 Jan 2000\n00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"expected a blank after the year"},
    {"", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad day"},
    {"   ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad day"},
    {"Sat,", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "bad day"},
    {"99999999999999999999 Jan 2000 00:00:00 +0000", 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, "bad day"},
    {"1 Jan 2000 00:00:00 +99999999999999999999", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	"zone is not 4 digits"},
};

START_TEST(t_dcases)
{
	const struct dcase *c = &dcases[_i];
	struct date d;
	const char *why = NULL;
	int r;

	errno = 0;
	r = date_parse(c->in, strlen(c->in), &d, &why);
	if (!c->ok) {
		ck_assert_msg(r == -1, "case %d [%s] accepted", _i, c->in);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(c->why == NULL || strcmp(why, c->why) == 0,
		    "case %d [%s]: why \"%s\", want \"%s\"", _i, c->in, why,
		    c->why);
		return;
	}
	ck_assert_msg(r == 0, "case %d [%s]: %s", _i, c->in, why);
	ck_assert_int_eq(d.year, c->year);
	ck_assert_int_eq(d.mon, c->mon);
	ck_assert_int_eq(d.mday, c->mday);
	ck_assert_int_eq(d.hour, c->hour);
	ck_assert_int_eq(d.min, c->min);
	ck_assert_int_eq(d.sec, c->sec);
	ck_assert_int_eq(d.zone, c->zone);
	ck_assert_msg(
	    d.flags == c->flags, "case %d [%s]: flags %#x", _i, c->in, d.flags);
	ck_assert_msg((long long)d.t == c->t,
	    "case %d [%s]: t %lld, want "
	    "%lld",
	    _i, c->in, (long long)d.t, c->t);
}
END_TEST

START_TEST(t_wday)
{
	static const char *names[7] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	struct buf b = BUF_INIT;
	struct date d;
	int k;

	/* 2000-01-01 was a Saturday: only Sat gives no flag */
	for (k = 0; k < 7; k++) {
		buf_reset(&b);
		ck_assert_int_eq(
		    buf_printf(&b, "%s, 1 Jan 2000 00:00 +0000", names[k]), 0);
		ck_assert_int_eq(date_parse(b.s, b.len, &d, NULL), 0);
		ck_assert_int_eq(d.wday, k);
		ck_assert_int_eq(!!(d.flags & DATE_F_WDAY), k != 6);
	}
	ck_assert_int_eq(date_parse("1 Jan 2000 00:00 +0000", 22, &d, NULL), 0);
	ck_assert_int_eq(d.wday, -1);
	/* the weekday is that of the local date, not of UTC */
	ck_assert_int_eq(
	    date_parse("Sat, 1 Jan 2000 00:30 +0100", 27, &d, NULL), 0);
	ck_assert(!(d.flags & DATE_F_WDAY));
	buf_free(&b);
}
END_TEST

START_TEST(t_nul_and_len)
{
	struct date d;
	const char *why = NULL;

	/* n, not the NUL, ends the input */
	ck_assert_int_eq(
	    date_parse("1 Jan 2000 00:00 +0000 junk", 22, &d, &why), 0);
	ck_assert_int_eq(
	    date_parse("1 Jan 2000\0 00:00 +0000", 23, &d, &why), -1);
	ck_assert_int_eq(
	    date_parse("1 Jan 2000 00:00 +0000\0", 23, &d, &why), -1);
	ck_assert_str_eq(why, "junk after the date");
	/* on failure t is 0 and why_r may be NULL */
	errno = 0;
	ck_assert_int_eq(date_parse("x", 1, &d, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq((long long)d.t, 0);
}
END_TEST

START_TEST(t_format)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(date_format(&b, 0, 0), 0);
	ck_assert_str_eq(b.s, "Thu, 1 Jan 1970 00:00:00 +0000");
	buf_reset(&b);
	ck_assert_int_eq(date_format(&b, 1796014566, 0), 0);
	ck_assert_str_eq(b.s, "Mon, 30 Nov 2026 04:56:06 +0000");
	buf_reset(&b);
	ck_assert_int_eq(date_format(&b, 1796014566, -330), 0);
	ck_assert_str_eq(b.s, "Sun, 29 Nov 2026 23:26:06 -0530");
	buf_reset(&b);
	ck_assert_int_eq(date_format(&b, 1796014566, 60), 0);
	ck_assert_str_eq(b.s, "Mon, 30 Nov 2026 05:56:06 +0100");
	buf_reset(&b);
	ck_assert_int_eq(date_format(&b, 0, -60), 0);
	ck_assert_str_eq(b.s, "Wed, 31 Dec 1969 23:00:00 -0100");
	buf_reset(&b);
	ck_assert_int_eq(date_format(&b, 1709208000, 0), 0);
	ck_assert_str_eq(b.s, "Thu, 29 Feb 2024 12:00:00 +0000");
	buf_reset(&b);
	ck_assert_int_eq(date_format(&b, -2208988800LL, 0), 0);
	ck_assert_str_eq(b.s, "Mon, 1 Jan 1900 00:00:00 +0000");
	buf_reset(&b);
	ck_assert_int_eq(date_format(&b, 253402300799LL, 0), 0);
	ck_assert_str_eq(b.s, "Fri, 31 Dec 9999 23:59:59 +0000");
	buf_reset(&b);
	ck_assert_int_eq(date_format(&b, 951782400 - 1, 0), 0);
	ck_assert_str_eq(b.s, "Mon, 28 Feb 2000 23:59:59 +0000");
	/* it appends */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "Date: "), 0);
	ck_assert_int_eq(date_format(&b, 0, 14 * 60), 0);
	ck_assert_str_eq(b.s, "Date: Thu, 1 Jan 1970 14:00:00 +1400");
	/* out of range */
	buf_reset(&b);
	errno = 0;
	ck_assert_int_eq(date_format(&b, 0, 100 * 60), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(date_format(&b, 0, -100 * 60), -1);
	ck_assert_int_eq(date_format(&b, 0, 99 * 60 + 59), 0);
	buf_reset(&b);
	errno = 0;
	ck_assert_int_eq(date_format(&b, -2208988800LL - 1, 0), -1);
	ck_assert_int_eq(errno, EOVERFLOW);
	ck_assert_int_eq(date_format(&b, 253402300800LL, 0), -1);
	ck_assert_int_eq(errno, EOVERFLOW);
	ck_assert_int_eq(date_format(&b, (time_t)0x7fffffffffffffffLL, 0), -1);
	ck_assert_int_eq(
	    date_format(&b, (time_t)(-0x7fffffffffffffffLL - 1), 0), -1);
	/* in a zone west of UTC, the first second of 1900 is in 1899 */
	ck_assert_int_eq(date_format(&b, -2208988800LL, -60), -1);
	ck_assert_int_eq(date_format(&b, -2208988800LL, 60), 0);
	buf_free(&b);
}
END_TEST

START_TEST(t_format_locale)
{
	struct buf b = BUF_INIT;

	/* whatever locale the process is in, the names are English */
	if (setlocale(LC_ALL, "de_DE.UTF-8") == NULL)
		setlocale(LC_ALL, "C.UTF-8");
	ck_assert_int_eq(date_format(&b, 1796014566, 0), 0);
	ck_assert_str_eq(b.s, "Mon, 30 Nov 2026 04:56:06 +0000");
	setlocale(LC_ALL, "C");
	buf_free(&b);
}
END_TEST

START_TEST(t_days)
{
	long long y, d;
	int m, md;

	ck_assert_int_eq(date_days(1970, 1, 1), 0);
	ck_assert_int_eq(date_days(1969, 12, 31), -1);
	ck_assert_int_eq(date_days(2000, 3, 1), 11017);
	ck_assert_int_eq(date_days(1900, 1, 1), -25567);
	date_civil(-25567, &y, &m, &md);
	ck_assert_int_eq(y, 1900);
	ck_assert_int_eq(m, 1);
	ck_assert_int_eq(md, 1);
	/* every day from 1900 to 9999 there and back */
	for (d = -25567; d <= date_days(9999, 12, 31); d++) {
		date_civil(d, &y, &m, &md);
		if (date_days(y, m, md) != d)
			ck_abort_msg("day %lld: %lld-%d-%d", d, y, m, md);
	}
}
END_TEST

START_TEST(t_roundtrip)
{
	struct buf b = BUF_INIT;
	struct date d;
	struct tm tm;
	const char *why = NULL;
	long long t;
	time_t tt;
	int off, k = 0;
	static const char *mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char want[64];

	/* about 12,000 instants from 1900 to 9999, in several zones */
	for (t = -2208988800LL + 86400; t < 253402300799LL - 86400;
	     t += 21474836LL + 7919) {
		off = (k % 7 - 3) * 150 + (k % 2) * 45;
		k++;
		tt = (time_t)t;
		buf_reset(&b);
		ck_assert_int_eq(date_format(&b, tt, off), 0);
		ck_assert_int_eq(date_parse(b.s, b.len, &d, &why), 0);
		ck_assert_msg((long long)d.t == t, "%s: %lld != %lld", b.s,
		    (long long)d.t, t);
		ck_assert_int_eq(d.zone, off);
		ck_assert_uint_eq(d.flags, 0);
		/* the fields against gmtime_r of the local time */
		tt = (time_t)(t + off * 60);
		ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
		ck_assert_int_eq(d.year, tm.tm_year + 1900);
		ck_assert_int_eq(d.mon, tm.tm_mon + 1);
		ck_assert_int_eq(d.mday, tm.tm_mday);
		ck_assert_int_eq(d.hour, tm.tm_hour);
		ck_assert_int_eq(d.min, tm.tm_min);
		ck_assert_int_eq(d.sec, tm.tm_sec);
		ck_assert_int_eq(d.wday, tm.tm_wday);
		if (k % 97 == 0) {
			snprintf(want, sizeof(want), "%d %s %d", tm.tm_mday,
			    mon[tm.tm_mon], tm.tm_year + 1900);
			ck_assert_ptr_nonnull(strstr(b.s, want));
		}
	}
	ck_assert_int_gt(k, 10000);
	buf_free(&b);
}
END_TEST

/* date.txt: "I" input, "D y m d h mi s zone unknown t" or "E", "." */

static struct vcase vdate[64];
static size_t nvdate;


START_TEST(t_vectors_loaded)
{
	ck_assert_uint_eq(nvdate, 40);
}
END_TEST

START_TEST(t_vec_date)
{
	struct vcase *c = &vdate[_i];
	struct buf got = BUF_INIT;
	struct date d;
	const char *why = NULL;

	if (date_parse(c->in.s, c->in.len, &d, &why) == -1)
		ck_assert_int_eq(buf_puts(&got, "E\n"), 0);
	else
		ck_assert_int_eq(
		    buf_printf(&got,
			"D\t%d %d %d %d %d %d %d %d "
			"%lld\n",
			d.year, d.mon, d.mday, d.hour, d.min, d.sec, d.zone,
			!!(d.flags & DATE_F_ZONE_UNKNOWN), (long long)d.t),
		    0);
	ck_assert_msg(strcmp(got.s, c->want.s) == 0,
	    "date.txt line %d: got %swant %s(%s)", c->line, got.s, c->want.s,
	    why != NULL ? why : "ok");
	buf_free(&got);
}
END_TEST

#define NITEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
date_suite(void)
{
	Suite *s = suite_create("date");
	TCase *tc = tcase_create("date");

	nvdate = vec_load("date.txt", vdate, NITEMS(vdate));
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_dcases, 0, NITEMS(dcases));
	tcase_add_test(tc, t_wday);
	tcase_add_test(tc, t_nul_and_len);
	tcase_add_test(tc, t_format);
	tcase_add_test(tc, t_format_locale);
	tcase_add_test(tc, t_days);
	tcase_add_test(tc, t_roundtrip);
	tcase_add_test(tc, t_vectors_loaded);
	tcase_add_loop_test(tc, t_vec_date, 0, (int)nvdate);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(date_suite)
