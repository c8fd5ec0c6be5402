#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "mail/mutf7.h"
#include "unit.h"

/* Encode s as a C string; returns the static result or NULL on error. */
static const char *
enc(const char *s)
{
	static struct buf b;

	buf_reset(&b);
	if (mutf7_encode(s, strlen(s), &b) == -1)
		return NULL;
	return b.s != NULL ? b.s : "";
}

static const char *
dec(const char *s)
{
	static struct buf b;

	buf_reset(&b);
	if (mutf7_decode(s, strlen(s), &b) == -1)
		return NULL;
	return b.s != NULL ? b.s : "";
}

static int
unhex(const char *h, struct buf *out)
{
	unsigned int v;

	buf_reset(out);
	if (strcmp(h, "-") == 0)
		return 0;
	if (strlen(h) % 2 != 0)
		return -1;
	for (; *h != '\0'; h += 2) {
		if (sscanf(h, "%2x", &v) != 1)
			return -1;
		if (buf_putc(out, (int)v) == -1)
			return -1;
	}
	return 0;
}

/* The shared vectors (t/data/encodings/mutf7-vectors.txt). */
START_TEST(t_vectors)
{
	char path[4096], line[1024], kind[16], h1[512], h2[512];
	struct buf u = BUF_INIT, m = BUF_INIT, o = BUF_INIT;
	const char *top = getenv("TOP");
	int nvalid = 0, ninvalid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/t/data/encodings/mutf7-vectors.txt",
	    top != NULL && *top != '\0' ? top : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_eq(sscanf(line, "%15s %511s %511s", kind, h1, h2),
		    3);
		ck_assert_int_eq(unhex(h1, &u), 0);
		ck_assert_int_eq(unhex(h2, &m), 0);
		if (strcmp(kind, "valid") == 0) {
			buf_reset(&o);
			ck_assert_int_eq(mutf7_encode(u.s, u.len, &o), 0);
			ck_assert_uint_eq(o.len, m.len);
			ck_assert_msg(m.len == 0 || memcmp(o.s, m.s, m.len) == 0,
			    "encode %s: got %s", h1, o.s);
			buf_reset(&o);
			ck_assert_int_eq(mutf7_decode(m.s, m.len, &o), 0);
			ck_assert_uint_eq(o.len, u.len);
			ck_assert_msg(u.len == 0 || memcmp(o.s, u.s, u.len) == 0,
			    "decode %s", m.s);
			nvalid++;
		} else {
			ck_assert_str_eq(kind, "invalid");
			buf_reset(&o);
			errno = 0;
			ck_assert_msg(mutf7_decode(m.s, m.len, &o) == -1,
			    "accepted invalid %s", h2);
			ck_assert_int_eq(errno, EILSEQ);
			ck_assert_uint_eq(o.len, 0);
			ninvalid++;
		}
	}
	fclose(f);
	ck_assert_int_eq(nvalid, 28);
	ck_assert_int_eq(ninvalid, 16);
	buf_free(&u);
	buf_free(&m);
	buf_free(&o);
}
END_TEST

START_TEST(t_rfc3501_example)
{
	/* RFC 3501 5.1.3 */
	ck_assert_str_eq(enc("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
	    "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	ck_assert_str_eq(dec("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
	    "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	ck_assert_str_eq(enc("&"), "&-");
	ck_assert_str_eq(enc("a&b"), "a&-b");
	ck_assert_str_eq(dec("&-&-"), "&&");
	ck_assert_str_eq(enc(""), "");
	ck_assert_str_eq(dec(""), "");
	/* '+' and ',' are plain in the text, only the run uses them */
	ck_assert_str_eq(enc("a+b,c"), "a+b,c");
	ck_assert_str_eq(dec("a+b,c-d"), "a+b,c-d");
}
END_TEST

START_TEST(t_decode_bad)
{
	static const char *bad[] = {
		"&", "&-&", "abc&", "&Jjo", "&Jjo!", "&AOQ", "&AOQ=-",
		"&AOQ/-", "&2D0-", "&3gA-", "&AOR-", "&AA-", "&A-", "&AAAA-",
		"&AGE-", "&ACY-", "&AC0-", "&AH4-", "&ACA-", "&AAA-",
		"&AOQ-&AOQ-", "&U,BTFw-&ZeVnLIqe-", "&2D3eAA",
		"&2D0AQQ-", "&3gDYPQ-", "&2D3YPQ-", "&AOQA-", "&AOQA5A-x&-&",
		"a\tb", "\x7f", "\x01", "\xc3\xa4", "\x80", "caf\xc3\xa9",
		"&AOQ\x80-", "&AOQ -", "&AOQ&-", "&ZeVnLIqe", "&,,,,-",
		NULL
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_int_eq(buf_puts(&b, "keep"), 0);
		errno = 0;
		ck_assert_msg(mutf7_decode(bad[i], strlen(bad[i]), &b) == -1,
		    "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(errno, EILSEQ);
		/* out is back to its length at the call */
		ck_assert_uint_eq(b.len, 4);
		ck_assert_str_eq(b.s, "keep");
		buf_reset(&b);
	}
	buf_free(&b);
}
END_TEST

START_TEST(t_decode_nul_in_input)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(mutf7_decode("a\0b", 3, &b), -1);
	ck_assert_int_eq(errno, EILSEQ);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(t_encode_bad_utf8)
{
	static const char *bad[] = {
		"\x80", "a\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80",
		"\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xfe", "\xff", "\xe6\x97", "x\xe6",
		"\xc3", "\xc3\x28", "\xe2\x82\x28", "\xf0\x9f\x98",
		"ok\xf0\x9f\x98\x80\xed\xb0\x80", NULL
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		buf_reset(&b);
		errno = 0;
		ck_assert_msg(mutf7_encode(bad[i], strlen(bad[i]), &b) == -1,
		    "accepted case %zu", i);
		ck_assert_int_eq(errno, EILSEQ);
		ck_assert_uint_eq(b.len, 0);
	}
	/* U+0000 */
	ck_assert_int_eq(mutf7_encode("a\0", 2, &b), -1);
	ck_assert_int_eq(errno, EILSEQ);
	buf_free(&b);
}
END_TEST

START_TEST(t_append)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_puts(&b, "x/"), 0);
	ck_assert_int_eq(mutf7_encode("\xc3\xa4", 2, &b), 0);
	ck_assert_str_eq(b.s, "x/&AOQ-");
	ck_assert_int_eq(mutf7_decode("&AOQ-", 5, &b), 0);
	ck_assert_str_eq(b.s, "x/&AOQ-\xc3\xa4");
	buf_free(&b);
}
END_TEST

/* Every printable ASCII character encoded in base64 is invalid. */
START_TEST(t_encoded_printable)
{
	struct buf u = BUF_INIT, m = BUF_INIT;
	unsigned int c;

	for (c = 0x01; c <= 0x7f; c++) {
		char s[2] = { (char)c, '\0' };

		/* the encoding the decoder must refuse for printable ones */
		buf_reset(&u);
		buf_reset(&m);
		ck_assert_int_eq(buf_puts(&u, "\xc3\xa4"), 0);	/* U+00E4 */
		if (c >= 0x20 && c <= 0x7e) {
			ck_assert_int_eq(mutf7_encode(s, 1, &m), 0);
			ck_assert_uint_eq(m.len, c == '&' ? 2 : 1);
		} else {
			/* controls and DEL are encoded, and round trip */
			ck_assert_int_eq(mutf7_encode(s, 1, &m), 0);
			ck_assert_int_eq(m.s[0], '&');
			ck_assert_int_eq(m.s[m.len - 1], '-');
			buf_reset(&u);
			ck_assert_int_eq(mutf7_decode(m.s, m.len, &u), 0);
			ck_assert_uint_eq(u.len, 1);
			ck_assert_int_eq((unsigned char)u.s[0], c);
			/* and as raw bytes they are invalid */
			buf_reset(&u);
			ck_assert_int_eq(mutf7_decode(s, 1, &u), -1);
		}
	}
	/* "&AGE-" for 'a': UTF-16 0x00XX by hand for each printable */
	for (c = 0x20; c <= 0x7e; c++) {
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+,";
		char run[6];

		run[0] = '&';
		run[1] = b64[0];		/* bits 15..10 */
		run[2] = b64[c >> 4];		/* bits 9..4 */
		run[3] = b64[(c & 0xf) << 2];	/* bits 3..0, then 00 */
		run[4] = '-';
		run[5] = '\0';
		buf_reset(&u);
		ck_assert_msg(mutf7_decode(run, 5, &u) == -1,
		    "accepted %s for 0x%02x", run, c);
	}
	buf_free(&u);
	buf_free(&m);
}
END_TEST

/* Every two-sextet run ("&xx-", a single octet) is invalid. */
START_TEST(t_single_octet_runs)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+,";
	struct buf b = BUF_INIT;
	char run[5] = "&xx-";
	size_t i, j;

	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++) {
			run[1] = b64[i];
			run[2] = b64[j];
			buf_reset(&b);
			ck_assert_int_eq(mutf7_decode(run, 4, &b), -1);
		}
	buf_free(&b);
}
END_TEST

static size_t
put_cp(char *p, unsigned long cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xe0 | cp >> 12);
		p[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		p[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | cp >> 18);
	p[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	p[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	p[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Round trip of every code point, alone and between 'x' and '&'. */
START_TEST(t_roundtrip_all)
{
	struct buf m = BUF_INIT, u = BUF_INIT;
	unsigned long cp;
	char s[16];
	size_t n;

	for (cp = 1; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		/* the whole astral range is long; step through most of it */
		if (cp > 0x10010 && cp < 0x10fff0 && cp % 97 != 0)
			continue;
		n = 0;
		s[n++] = 'x';
		n += put_cp(s + n, cp);
		s[n++] = '&';
		n += put_cp(s + n, cp);
		buf_reset(&m);
		buf_reset(&u);
		ck_assert_int_eq(mutf7_encode(s, n, &m), 0);
		ck_assert_int_eq(mutf7_decode(m.s, m.len, &u), 0);
		ck_assert_uint_eq(u.len, n);
		ck_assert_msg(memcmp(u.s, s, n) == 0, "U+%04lX", cp);
		/* the output is printable ASCII only */
		for (n = 0; n < m.len; n++)
			ck_assert(m.s[n] >= 0x20 && m.s[n] <= 0x7e);
	}
	buf_free(&m);
	buf_free(&u);
}
END_TEST

/* Long runs keep one bit stream: 1..40 characters in one run. */
START_TEST(t_long_runs)
{
	struct buf s = BUF_INIT, m = BUF_INIT, u = BUF_INIT;
	size_t k, i, amps;

	for (k = 1; k <= 40; k++) {
		buf_reset(&s);
		for (i = 0; i < k; i++)
			/* alternate BMP and astral characters */
			ck_assert_int_eq(buf_puts(&s, i % 3 == 2 ?
			    "\xf0\x9f\x98\x80" : "\xe6\x97\xa5"), 0);
		ck_assert_int_eq(buf_puts(&s, "end"), 0);
		buf_reset(&m);
		buf_reset(&u);
		ck_assert_int_eq(mutf7_encode(s.s, s.len, &m), 0);
		for (i = 0, amps = 0; i < m.len; i++)
			amps += m.s[i] == '&';
		ck_assert_uint_eq(amps, 1);
		ck_assert_int_eq(mutf7_decode(m.s, m.len, &u), 0);
		ck_assert_uint_eq(u.len, s.len);
		ck_assert(memcmp(u.s, s.s, s.len) == 0);
	}
	buf_free(&s);
	buf_free(&m);
	buf_free(&u);
}
END_TEST

static Suite *
mutf7_suite(void)
{
	Suite *s = suite_create("mutf7");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_vectors);
	tcase_add_test(tc, t_rfc3501_example);
	tcase_add_test(tc, t_decode_bad);
	tcase_add_test(tc, t_decode_nul_in_input);
	tcase_add_test(tc, t_encode_bad_utf8);
	tcase_add_test(tc, t_append);
	tcase_add_test(tc, t_encoded_printable);
	tcase_add_test(tc, t_single_octet_runs);
	tcase_add_test(tc, t_roundtrip_all);
	tcase_add_test(tc, t_long_runs);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(mutf7_suite)
