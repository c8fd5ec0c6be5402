#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "mail/codec.h"
#include "mail/mime.h"
#include "mail/msg.h"
#include "unit.h"

#define FFFD	"\xef\xbf\xbd"

static int
data_path(char *path, size_t size, const char *name)
{
	const char *top = getenv("TOP");

	return snprintf(path, size, "%s/t/data/mime/%s",
	    top != NULL && *top != '\0' ? top : ".", name) < (int)size;
}

/* Read a file under t/data/mime; 0 if it does not exist. */
static int
slurp(struct buf *b, const char *name)
{
	char path[4096], chunk[8192];
	FILE *fp;
	size_t n;

	buf_reset(b);
	ck_assert(data_path(path, sizeof(path), name));
	if ((fp = fopen(path, "rb")) == NULL) {
		ck_assert_int_eq(errno, ENOENT);
		return 0;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		ck_assert_int_eq(buf_put(b, chunk, n), 0);
	ck_assert(!ferror(fp));
	fclose(fp);
	if (b->s == NULL)
		ck_assert_int_eq(buf_puts(b, ""), 0);
	return 1;
}

/*
 * The invariants of a tree (as t/fuzz/fuzz_msg.c checks them): offsets
 * nested in the parent's body, depth and links, decodable bodies.
 */
static void
tree_ok(const struct mime_tree *t, size_t len)
{
	const struct mime_part *p, *q;
	struct buf d = BUF_INIT;
	size_t i, nch;

	for (i = 0; i < t->nparts; i++) {
		p = &t->parts[i];
		ck_assert(p->hdr <= p->body && p->body <= p->end &&
		    p->end <= len);
		ck_assert_ptr_nonnull(p->type);
		ck_assert_ptr_nonnull(p->subtype);
		ck_assert(p->next > i && p->next <= t->nparts);
		ck_assert(p->depth <= MIME_DEPTH_MAX);
		if (i == 0) {
			ck_assert(p->parent == MIME_NONE);
			ck_assert_uint_eq(p->depth, 0);
		} else {
			ck_assert(p->parent < i);
			q = &t->parts[p->parent];
			ck_assert_uint_eq(p->depth, q->depth + 1);
			ck_assert(q->body <= p->hdr && p->end <= q->end);
			ck_assert(p->next <= q->next);
		}
		for (nch = 0, q = p + 1; q < t->parts + p->next;
		    q = t->parts + q->next)
			nch++;
		ck_assert_uint_eq(nch, p->nchildren);
		if (p->filename != NULL)
			ck_assert(utf8_valid(p->filename, strlen(p->filename)));
		buf_reset(&d);
		if (mime_body_decode(&d, t, i, 1 << 20, NULL) == -1)
			ck_assert_int_eq(errno, EMSGSIZE);
	}
	buf_free(&d);
}

static void
parse_ok(struct mime_tree *t, const char *s, size_t n)
{
	ck_assert_int_eq(mime_parse(t, s, n), 0);
	ck_assert_int_eq(t->error, 0);
	tree_ok(t, n);
}

#define PARSE_LIT(t, s)	parse_ok((t), (s), sizeof(s) - 1)

/* The raw body of part i. */
static int
body_is(const struct mime_tree *t, size_t i, const char *want)
{
	const struct mime_part *p = &t->parts[i];

	return p->end - p->body == strlen(want) &&
	    memcmp(t->msg + p->body, want, strlen(want)) == 0;
}

/* Content-Type and Content-Disposition */

START_TEST(t_ct_basic)
{
	/*
	 * From mail-parser's header-vectors/content_type.json (stalwartlabs,
	 * Apache-2.0 OR MIT): type, subtype, one parameter.
	 */
	static const char *const c[][5] = {
		{ "audio/basic\n", "audio", "basic", NULL, NULL },
		{ "application/postscript \n", "application", "postscript",
		    NULL, NULL },
		{ "image/ jpeg\n", "image", "jpeg", NULL, NULL },
		{ " message / rfc822\n", "message", "rfc822", NULL, NULL },
		{ " text/plain; charset =us-ascii (Plain text)\n", "text",
		    "plain", "charset", "us-ascii" },
		{ "text/plain; charset= \"us-ascii\"\n", "text", "plain",
		    "charset", "us-ascii" },
		{ " text /plain; charset=\"iso-8859-1\"; format=flowed\n",
		    "text", "plain", "charset", "iso-8859-1" },
		{ "multipart/mixed; boundary=gc0pJq0M:08jU534c0p\n",
		    "multipart", "mixed", "boundary", "gc0pJq0M:08jU534c0p" },
		{ "multipart/mixed; boundary=\"simple boundary\"\n",
		    "multipart", "mixed", "boundary", "simple boundary" },
		{ "multipart/mixed; boundary=\"foo\n bar\"\n", "multipart",
		    "mixed", "boundary", "foo bar" },
		{ "multipart/parallel;boundary=unique-boundary-2\n",
		    "multipart", "parallel", "boundary", "unique-boundary-2" },
		{ "Message/Partial; number=2; total=3;\n     "
		    "id=\"oc=jpbe0M2Yt4s@thumper.bellcore.com\"\n", "message",
		    "partial", "number", "2" },
		{ "multipart/signed; micalg=pgp-sha1; protocol=\"application/"
		    "pgp-signature\";\n   "
		    "boundary=\"=-J1qXPoyGtE2XNN5N6Z6j\"\n",
		    "multipart", "signed", "boundary",
		    "=-J1qXPoyGtE2XNN5N6Z6j" },
		{ "message/external-body; access-type=URL;\n    "
		    "URL*0=\"ftp://\";\n    URL*1=\"cs.utk.edu/pub/moore/"
		    "bulk-mailer/bulk-mailer.tar\"\n", "message",
		    "external-body", "url",
		    "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar" },
		{ "text/plain;;\n", "text", "plain", NULL, NULL },
		{ "text/plain ;;;;; = ;; name=\"value\"\n", "text", "plain",
		    "name", "value" },
		{ "text/plain; name=  \n", "text", "plain", NULL, NULL },
		{ "a/b; = \n \n", "a", "b", NULL, NULL },
		{ "test/test; =\"value\"\n", "test", "test", NULL, NULL },
		{ "application/ld+json ;charset=us-ascii\n", "application",
		    "ld+json", "charset", "us-ascii" },
		{ "application/vnd.openxmlformats-officedocument."
		    "wordprocessingml.template\n", "application",
		    "vnd.openxmlformats-officedocument.wordprocessingml."
		    "template", NULL, NULL },
		{ "(hello) text (plain) / (world) plain (eod); "
		    "charset=us-ascii\n", "text", "plain", "charset",
		    "us-ascii" },
		{ " \t\r message/rfc822 \t ;charset=us-ascii\r\n\n", "message",
		    "rfc822", "charset", "us-ascii" },
		{ "inva/lid; name=\"   \n    \"; test=test\n", "inva", "lid",
		    "name", "       " },
		{ "application/x-stuff;\n     title*=us-ascii'en-us'This%20is"
		    "%20%2A%2A%2Afun%2A%2A%2A\n", "application", "x-stuff",
		    "title", "This is ***fun***" },
		{ "application/x-stuff\n   title*0*=us-ascii'en'This%20is"
		    "%20even%20more%20\n   title*1*=%2A%2A%2Afun%2A%2A%2A%20\n"
		    "   title*2=\"isn't it!\"\n", "application", "x-stuff",
		    "title", "This is even more ***fun*** isn't it!" },
		{ "application/pdf\n   filename*0*=iso-8859-1'es'%D1and%FA\n"
		    "   filename*1*=iso-8859-1'%20r%E1pido\n   filename*2*="
		    "\"iso-8859-1' (versi%F3n \\'99 \\\"oficial\\\").pdf\"\n",
		    "application", "pdf", "filename",
		    /*
		     * RFC 2231 4.1: only the first section names the
		     * charset; mail-parser also strips it from the others
		     */
		    "\xc3\x91" "and\xc3\xba" "iso-8859-1' r\xc3\xa1pido"
		    "iso-8859-1' (versi\xc3\xb3n '99 \"oficial\").pdf" },
		{ "text/plain; name*=\"iso-8859-1''HasenundFr%F6sche.txt\"\n",
		    "text", "plain", "name", "HasenundFr\xc3\xb6sche.txt" },
	};
	struct mime_ct ct;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_msg(mime_ct_parse(&ct, c[i][0], strlen(c[i][0]),
		    0) == 0, "case %zu", i);
		ck_assert_str_eq(ct.type, c[i][1]);
		ck_assert_str_eq(ct.subtype, c[i][2]);
		if (c[i][3] == NULL)
			ck_assert_msg(ct.nparams == 0, "case %zu", i);
		else {
			ck_assert_msg(mime_ct_param(&ct, c[i][3]) != NULL &&
			    strcmp(mime_ct_param(&ct, c[i][3]), c[i][4]) == 0,
			    "case %zu", i);
		}
		mime_ct_free(&ct);
	}
}
END_TEST

START_TEST(t_ct_invalid)
{
	static const char *const c[] = {
		"/invalid", "/", ";", "/ ; name=value", ";charset=us-ascii",
		" ;charset=us-ascii", "/plain;charset=us-ascii", "text/",
		"text/;charset=us-ascii", "text", "", "  (only a comment)",
		"\xc3\xa1/\xc3\xa9", "text/plain\0x", "=", "name=value",
	};
	struct mime_ct ct;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		errno = 0;
		ck_assert_msg(mime_ct_parse(&ct, c[i], strlen(c[i]) +
		    (i == 13 ? 2 : 0), 0) == -1 || i == 13, "case %zu", i);
		if (i == 13) {
			/* a NUL ends the subtype; the rest is junk */
			ck_assert_str_eq(ct.subtype, "plain");
			ck_assert(ct.flags & MIME_CT_SYNTAX);
		} else {
			ck_assert_int_eq(errno, EINVAL);
			ck_assert_ptr_null(ct.type);
			ck_assert_uint_eq(ct.nparams, 0);
		}
		mime_ct_free(&ct);
	}
}
END_TEST

START_TEST(t_ct_params)
{
	struct mime_ct ct;
	struct buf b = BUF_INIT;
	const char *s;
	int i;

	/* RFC 2231 3: out of order, a missing section, the language */
	s = "a/b; t*2=c; t*0*=us-ascii'en'a%41; t*1=b; t*5=f";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 0), 0);
	ck_assert_uint_eq(ct.nparams, 1);
	ck_assert_str_eq(ct.params[0].name, "t");
	ck_assert_str_eq(ct.params[0].value, "aAbcf");
	ck_assert_str_eq(ct.params[0].lang, "en");
	ck_assert_uint_eq(ct.params[0].flags, MIME_PARAM_2231 |
	    MIME_PARAM_GAP);
	mime_ct_free(&ct);
	/* duplicates: the first wins; the RFC 2231 form wins */
	s = "a/b; x=1; X=2; name=\"plain.txt\"; name*=utf-8''%E2%82%AC.txt";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 0), 0);
	ck_assert_uint_eq(ct.nparams, 2);
	ck_assert_str_eq(mime_ct_param(&ct, "x"), "1");
	ck_assert_str_eq(mime_ct_param(&ct, "NAME"), "\xe2\x82\xac.txt");
	ck_assert_ptr_null(mime_ct_param(&ct, "y"));
	ck_assert(ct.flags & MIME_CT_DUP);
	mime_ct_free(&ct);
	/* empty values (a fuzzer found the NUL missing after them) */
	s = "a/b; t*0=\"\"; u=\"\"; v*=''";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 0), 0);
	ck_assert_uint_eq(ct.nparams, 3);
	ck_assert_str_eq(mime_ct_param(&ct, "t"), "");
	ck_assert_str_eq(mime_ct_param(&ct, "u"), "");
	ck_assert_str_eq(mime_ct_param(&ct, "v"), "");
	mime_ct_free(&ct);
	/* a repeated section: the first wins */
	s = "a/b; t*0=x; t*0=y; t*1=z";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 0), 0);
	ck_assert_str_eq(mime_ct_param(&ct, "t"), "xz");
	mime_ct_free(&ct);
	/* junk between parameters, a missing ';', a huge section number */
	s = "a/b junk; c=1 d=2; e*99999=3; f=\"unterminated";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 0), 0);
	ck_assert(ct.flags & MIME_CT_SYNTAX);
	ck_assert_str_eq(mime_ct_param(&ct, "c"), "1");
	ck_assert_str_eq(mime_ct_param(&ct, "d"), "2");
	ck_assert_ptr_null(mime_ct_param(&ct, "e"));
	ck_assert_str_eq(mime_ct_param(&ct, "f"), "unterminated");
	mime_ct_free(&ct);
	/* the mail-parser "malicious" case: no crash, sane names */
	s = "malicious/attempt; 1*2*=a; 3**=b; 4***=c; *5**6*=d;*****7*8*=e; "
	    "9*10*11*12*13*14=f; 15*x***fff*===g;1 * 999999999999999999 *= "
	    "h; 18 *=*=*=*=*==i;";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 0), 0);
	ck_assert_str_eq(mime_ct_param(&ct, "1"), "a");
	for (i = 0; i < (int)ct.nparams; i++)
		ck_assert(strchr(ct.params[i].name, '*') == NULL);
	mime_ct_free(&ct);
	/* more than MIME_PARAMS_MAX */
	buf_puts(&b, "a/b");
	for (i = 0; i < MIME_PARAMS_MAX + 10; i++)
		buf_printf(&b, "; p%d=%d", i, i);
	ck_assert_int_eq(mime_ct_parse(&ct, b.s, b.len, 0), 0);
	ck_assert_uint_eq(ct.nparams, MIME_PARAMS_MAX);
	ck_assert(ct.flags & MIME_CT_TOOMANY);
	ck_assert_str_eq(mime_ct_param(&ct, "p63"), "63");
	mime_ct_free(&ct);
	/* NUL and 8-bit bytes that are not UTF-8 in values */
	ck_assert_int_eq(mime_ct_parse(&ct, "a/b; n=\"x\0y\"; m=caf\xe9", 20,
	    0), 0);
	ck_assert_str_eq(mime_ct_param(&ct, "n"), "x" FFFD "y");
	ck_assert_str_eq(mime_ct_param(&ct, "m"), "caf" FFFD);
	ck_assert(ct.params[1].flags & MIME_PARAM_BAD);
	mime_ct_free(&ct);
	s = "a/b; n*=x-unknown''%E9; o*=utf-8''%00";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 0), 0);
	ck_assert_str_eq(mime_ct_param(&ct, "n"), FFFD);
	ck_assert_str_eq(mime_ct_param(&ct, "o"), FFFD);
	ck_assert(ct.params[0].flags & MIME_PARAM_BAD);
	mime_ct_free(&ct);
	buf_free(&b);
}
END_TEST

START_TEST(t_disposition)
{
	struct mime_ct ct;
	const char *s;

	s = " inline; filename=\"  best \\\"file\\\" ever with \\\\ escaped ' "
	    "stuff.  \"\n";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 1), 0);
	ck_assert_str_eq(ct.type, "inline");
	ck_assert_ptr_null(ct.subtype);
	ck_assert_str_eq(mime_ct_param(&ct, "filename"),
	    "  best \"file\" ever with \\ escaped ' stuff.  ");
	mime_ct_free(&ct);
	/* RFC 2183 2: the parameters */
	s = "Attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, "
	    "12 Feb 1997 16:29:51 -0500\"";
	ck_assert_int_eq(mime_ct_parse(&ct, s, strlen(s), 1), 0);
	ck_assert_str_eq(ct.type, "attachment");
	ck_assert_str_eq(mime_ct_param(&ct, "modification-date"),
	    "Wed, 12 Feb 1997 16:29:51 -0500");
	mime_ct_free(&ct);
	ck_assert_int_eq(mime_ct_parse(&ct, "; filename=x", 12, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	mime_ct_free(&ct);
}
END_TEST

/* the part tree */

START_TEST(t_tree_plain)
{
	struct mime_tree t;
	static const char m[] = "Subject: x\r\n\r\nbody\r\n";

	parse_ok(&t, m, sizeof(m) - 1);
	ck_assert_uint_eq(t.nparts, 1);
	ck_assert(mime_is(&t.parts[0], "text", "plain"));
	ck_assert(mime_is(&t.parts[0], "TEXT", NULL));
	ck_assert_uint_eq(t.parts[0].flags, MIME_PF_DEFAULT);
	ck_assert_uint_eq(t.parts[0].body, 14);
	ck_assert(body_is(&t, 0, "body\r\n"));
	ck_assert_ptr_null(t.parts[0].charset);
	ck_assert_int_eq(t.parts[0].cte, MIME_CTE_7BIT);
	mime_free(&t);
	/* nothing at all */
	parse_ok(&t, "", 0);
	ck_assert_uint_eq(t.nparts, 1);
	ck_assert_uint_eq(t.parts[0].end, 0);
	mime_free(&t);
}
END_TEST

START_TEST(t_tree_multipart)
{
	static const char m[] =
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
	    "\r\n"
	    "preamble\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain; charset=ISO-8859-1\r\n"
	    "Content-Transfer-Encoding: Quoted-Printable (yes)\r\n"
	    "\r\n"
	    "caf=E9\r\n"
	    "--b \t\r\n"
	    "\r\n"
	    "no header\r\n"
	    "--bx\r\n"
	    "-- b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Type: image/png; name=\"=?utf-8?q?=C3=A9.png?=\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: ATTACHMENT;\r\n"
	    " filename*=utf-8''%E2%82%AC.png\r\n"
	    "\r\n"
	    "iVBORw0KGgo=\r\n"
	    "--b--  \r\n"
	    "epilogue\r\n"
	    "--b\r\n";
	struct mime_tree t;
	struct buf d = BUF_INIT;
	unsigned f = 0;

	parse_ok(&t, m, sizeof(m) - 1);
	ck_assert_uint_eq(t.nparts, 4);
	ck_assert(mime_is(&t.parts[0], "multipart", "mixed"));
	ck_assert_str_eq(t.parts[0].boundary, "b");
	ck_assert_uint_eq(t.parts[0].nchildren, 3);
	ck_assert_uint_eq(t.parts[0].next, 4);
	ck_assert_uint_eq(t.parts[0].flags, 0);
	/* RFC 2046 5.1.1: the CRLF before a delimiter is not the part's */
	ck_assert(body_is(&t, 1, "caf=E9"));
	ck_assert_str_eq(t.parts[1].charset, "iso-8859-1");
	ck_assert_int_eq(t.parts[1].cte, MIME_CTE_QP);
	ck_assert_int_eq(mime_body_decode(&d, &t, 1, 100, &f), 0);
	ck_assert_str_eq(d.s, "caf\xe9");
	/* a part without header; "--bx" and "-- b" are not delimiters */
	ck_assert(mime_is(&t.parts[2], "text", "plain"));
	ck_assert(t.parts[2].flags & MIME_PF_DEFAULT);
	ck_assert(body_is(&t, 2, "no header\r\n--bx\r\n-- b\r\n"));
	ck_assert_uint_eq(t.parts[2].parent, 0);
	ck_assert_uint_eq(t.parts[2].depth, 1);
	/* filename: Content-Disposition first, RFC 2231 */
	ck_assert_str_eq(t.parts[3].disposition, "attachment");
	ck_assert_str_eq(t.parts[3].filename, "\xe2\x82\xac.png");
	buf_reset(&d);
	ck_assert_int_eq(mime_body_decode(&d, &t, 3, 100, &f), 0);
	ck_assert_uint_eq(d.len, 8);
	ck_assert(memcmp(d.s, "\x89PNG\r\n\x1a\n", 8) == 0);
	/* caps and bad indexes */
	buf_reset(&d);
	ck_assert_int_eq(mime_body_decode(&d, &t, 3, 4, &f), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(d.len, 4);
	buf_reset(&d);
	ck_assert_int_eq(mime_body_decode(&d, &t, 2, 3, &f), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_str_eq(d.s, "no ");
	ck_assert_int_eq(mime_body_decode(&d, &t, 4, 100, &f), -1);
	ck_assert_int_eq(errno, EINVAL);
	mime_free(&t);
	/* the file name from Content-Type name, RFC 2047 */
	ck_assert(strstr(m, "name=\"=?utf-8") != NULL);
	parse_ok(&t, m, (size_t)(strstr(m, "Content-Disposition") - m));
	ck_assert_str_eq(t.parts[3].filename, "\xc3\xa9.png");
	ck_assert(t.parts[0].flags & MIME_PF_UNCLOSED);
	mime_free(&t);
	buf_free(&d);
}
END_TEST

START_TEST(t_tree_unclosed)
{
	static const char m[] =
	    "Content-Type: multipart/mixed; boundary=outer\n"
	    "\n"
	    "--outer\n"
	    "Content-Type: multipart/alternative; boundary=inner\n"
	    "\n"
	    "--inner\n"
	    "\n"
	    "never closed\n"
	    "--outer\n"
	    "\n"
	    "last, also never closed\n";
	static const char n[] =
	    "Content-Type: multipart/mixed; boundary=nowhere\n"
	    "\n"
	    "no delimiter at all\n";
	struct mime_tree t;

	parse_ok(&t, m, sizeof(m) - 1);
	ck_assert_uint_eq(t.nparts, 4);
	ck_assert(t.parts[0].flags & MIME_PF_UNCLOSED);
	ck_assert(t.parts[1].flags & MIME_PF_UNCLOSED);
	/* the inner part stops at the outer delimiter */
	ck_assert_uint_eq(t.parts[2].depth, 2);
	ck_assert(body_is(&t, 2, "never closed"));
	ck_assert_uint_eq(t.parts[1].end, t.parts[2].end);
	/* the last runs to the end of the message */
	ck_assert_uint_eq(t.parts[3].depth, 1);
	ck_assert(body_is(&t, 3, "last, also never closed\n"));
	ck_assert_uint_eq(t.parts[3].end, sizeof(m) - 1);
	mime_free(&t);
	parse_ok(&t, n, sizeof(n) - 1);
	ck_assert_uint_eq(t.nparts, 1);
	ck_assert_uint_eq(t.parts[0].flags, MIME_PF_UNCLOSED |
	    MIME_PF_NOPARTS);
	mime_free(&t);
	/* no boundary parameter, or an empty one: a leaf */
	PARSE_LIT(&t, "Content-Type: multipart/mixed\n\n--x\n\n");
	ck_assert_uint_eq(t.nparts, 1);
	ck_assert_uint_eq(t.parts[0].flags, MIME_PF_NOBOUND);
	mime_free(&t);
	PARSE_LIT(&t, "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n");
	ck_assert_uint_eq(t.parts[0].flags, MIME_PF_NOBOUND);
	mime_free(&t);
}
END_TEST

START_TEST(t_tree_message)
{
	static const char m[] =
	    "Content-Type: multipart/digest; boundary=d\n"
	    "\n"
	    "--d\n"
	    "\n"
	    "Subject: in a digest\n"
	    "\n"
	    "one\n"
	    "--d\n"
	    "Content-Type: message/global\n"
	    "\n"
	    "Subject: global\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\n"
	    "two\n"
	    "--d\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "U3ViamVjdDogeAoKYm9keQo=\n"
	    "--d\n"
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: x-uuencode\n"
	    "\n"
	    "begin\n"
	    "--d--\n";
	struct mime_tree t;

	parse_ok(&t, m, sizeof(m) - 1);
	ck_assert_uint_eq(t.nparts, 7);
	/* RFC 2046 5.1.5: message/rfc822 is the default in a digest */
	ck_assert(mime_is(&t.parts[1], "message", "rfc822"));
	ck_assert(t.parts[1].flags & MIME_PF_DEFAULT);
	ck_assert_uint_eq(t.parts[1].nchildren, 1);
	ck_assert(mime_is(&t.parts[2], "text", "plain"));
	ck_assert_uint_eq(t.parts[2].depth, 2);
	ck_assert_uint_eq(t.parts[2].hdr, t.parts[1].body);
	ck_assert(body_is(&t, 2, "one"));
	/* message/global (RFC 6532 3.5) is parsed too */
	ck_assert(mime_is(&t.parts[3], "message", "global"));
	ck_assert_str_eq(t.parts[4].charset, "utf-8");
	/* an encoded message/rfc822 is not (RFC 2046 5.2.1) */
	ck_assert(mime_is(&t.parts[5], "message", "rfc822"));
	ck_assert_uint_eq(t.parts[5].flags, MIME_PF_ENCODED);
	ck_assert_uint_eq(t.parts[5].nchildren, 0);
	ck_assert_int_eq(t.parts[6].cte, MIME_CTE_UNKNOWN);
	ck_assert(t.parts[6].flags & MIME_PF_BADCTE);
	ck_assert_uint_eq(t.parts[0].next, 7);
	ck_assert_uint_eq(t.parts[1].next, 3);
	ck_assert_uint_eq(t.parts[3].next, 5);
	mime_free(&t);
}
END_TEST

START_TEST(t_tree_bad_headers)
{
	static const char m[] =
	    "Content-Type: text/\n"
	    "Content-Transfer-Encoding: base64 base64\n"
	    "Content-Disposition: ;\n"
	    "Subject: caf\xe9 \0 nul\n"
	    "\n"
	    "body \0 with NUL\n";
	static const char cte[][2][24] = {
		{ "7BIT", "" }, { "8bit", "" }, { "binary", "" },
		{ "quoted-printable", "" }, { " base64 (comment)", "" },
		{ "", "" }, { "uuencode", "" },
	};
	static const enum mime_cte want[] = {
		MIME_CTE_7BIT, MIME_CTE_8BIT, MIME_CTE_BINARY, MIME_CTE_QP,
		MIME_CTE_BASE64, MIME_CTE_UNKNOWN, MIME_CTE_UNKNOWN,
	};
	struct mime_tree t;
	struct buf b = BUF_INIT;
	size_t i;

	/* RFC 2045 5.2: an invalid Content-Type means text/plain */
	parse_ok(&t, m, sizeof(m) - 1);
	ck_assert(mime_is(&t.parts[0], "text", "plain"));
	ck_assert_uint_eq(t.parts[0].flags, MIME_PF_BADCT | MIME_PF_BADCTE);
	ck_assert_ptr_null(t.parts[0].disposition);
	ck_assert(t.parts[0].hdr_flags & MSG_F_NUL);
	ck_assert(t.parts[0].hdr_flags & MSG_F_8BIT);
	ck_assert_uint_eq(t.parts[0].end - t.parts[0].body, 16);
	mime_free(&t);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		buf_reset(&b);
		buf_printf(&b, "Content-Transfer-Encoding:%s\n\nx", cte[i][0]);
		parse_ok(&t, b.s, b.len);
		ck_assert_msg(t.parts[0].cte == want[i], "case %zu", i);
		mime_free(&t);
	}
	/* a file name with 8-bit bytes that are not UTF-8 */
	buf_reset(&b);
	buf_puts(&b, "Content-Disposition: attachment; filename=\"r\xe9sum"
	    "\xe9.pdf\"\n\n");
	parse_ok(&t, b.s, b.len);
	ck_assert_str_eq(t.parts[0].filename, "r" FFFD "sum" FFFD ".pdf");
	mime_free(&t);
	buf_free(&b);
}
END_TEST

/* A multipart nested n deep, each level with its own boundary. */
static void
deep_multipart(struct buf *b, int n)
{
	int i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		buf_printf(b, "Content-Type: multipart/mixed; boundary=b%d\n"
		    "\n--b%d\n", i, i);
	buf_puts(b, "\ninnermost\n");
	for (i = n - 1; i >= 0; i--)
		buf_printf(b, "--b%d--\n", i);
}

static void
deep_message(struct buf *b, int n)
{
	int i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		buf_puts(b, "Content-Type: message/rfc822\n\n");
	buf_puts(b, "Subject: innermost\n\nbody\n");
}

START_TEST(t_tree_depth)
{
	struct mime_tree t;
	struct buf b = BUF_INIT;
	size_t i;

	/* 1000 levels of multipart: ELOOP, the levels above kept */
	deep_multipart(&b, 1000);
	errno = 0;
	ck_assert_int_eq(mime_parse(&t, b.s, b.len), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(t.error, ELOOP);
	ck_assert_uint_eq(t.nparts, MIME_DEPTH_MAX + 1);
	tree_ok(&t, b.len);
	for (i = 0; i < t.nparts; i++)
		ck_assert_uint_eq(t.parts[i].depth, i);
	mime_free(&t);
	/* 1000 levels of message/rfc822 */
	deep_message(&b, 1000);
	ck_assert_int_eq(mime_parse(&t, b.s, b.len), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_uint_eq(t.nparts, MIME_DEPTH_MAX + 1);
	tree_ok(&t, b.len);
	mime_free(&t);
	/* exactly at the limit: fine */
	deep_multipart(&b, MIME_DEPTH_MAX);
	parse_ok(&t, b.s, b.len);
	ck_assert_uint_eq(t.nparts, MIME_DEPTH_MAX + 1);
	ck_assert_uint_eq(t.parts[MIME_DEPTH_MAX].depth, MIME_DEPTH_MAX);
	ck_assert(mime_is(&t.parts[MIME_DEPTH_MAX], "text", "plain"));
	mime_free(&t);
	deep_message(&b, MIME_DEPTH_MAX);
	parse_ok(&t, b.s, b.len);
	mime_free(&t);
	deep_message(&b, MIME_DEPTH_MAX + 1);
	ck_assert_int_eq(mime_parse(&t, b.s, b.len), -1);
	ck_assert_int_eq(errno, ELOOP);
	mime_free(&t);
	buf_free(&b);
}
END_TEST

START_TEST(t_tree_count)
{
	struct mime_tree t;
	struct buf b = BUF_INIT;
	int i;

	/* MIME_PARTS_MAX parts in all: fine; one more: E2BIG */
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=x\n\n");
	for (i = 0; i < MIME_PARTS_MAX - 1; i++)
		buf_puts(&b, "--x\n\n");
	parse_ok(&t, b.s, b.len);
	ck_assert_uint_eq(t.nparts, MIME_PARTS_MAX);
	ck_assert_uint_eq(t.parts[0].nchildren, MIME_PARTS_MAX - 1);
	mime_free(&t);
	buf_puts(&b, "--x\nx\n");
	errno = 0;
	ck_assert_int_eq(mime_parse(&t, b.s, b.len), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert(t.nparts <= MIME_PARTS_MAX);
	tree_ok(&t, b.len);
	mime_free(&t);
	/* a header field longer than MSG_FIELD_MAX in a part */
	buf_reset(&b);
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=x\n\n--x\nX: ");
	for (i = 0; i < MSG_FIELD_MAX / 64 + 1; i++)
		buf_puts(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaa\n ");
	buf_puts(&b, "\n\nbody\n--x--\n");
	ck_assert_int_eq(mime_parse(&t, b.s, b.len), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(t.nparts, 1);
	tree_ok(&t, b.len);
	mime_free(&t);
	buf_free(&b);
}
END_TEST

START_TEST(t_tree_decode)
{
	static const char m[] =
	    "Content-Type: multipart/mixed; boundary=z\n"
	    "\n"
	    "--z\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "Zm9v!YmFy\n"
	    "Zg\n"
	    "--z\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "a=ZZb=\n"
	    "c\n"
	    "--z\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "\xe9\0\n"
	    "--z--\n";
	struct mime_tree t;
	struct buf d = BUF_INIT;
	unsigned f = 0;

	parse_ok(&t, m, sizeof(m) - 1);
	ck_assert_uint_eq(t.nparts, 4);
	/* invalid base64 and quoted-printable: decoded and reported */
	ck_assert_int_eq(mime_body_decode(&d, &t, 1, 100, &f), 0);
	ck_assert_str_eq(d.s, "foobarf");
	ck_assert_uint_eq(f, CODEC_F_BADCHAR | CODEC_F_NOPAD);
	buf_reset(&d);
	f = 0;
	ck_assert_int_eq(mime_body_decode(&d, &t, 2, 100, &f), 0);
	ck_assert_str_eq(d.s, "a=ZZbc");
	ck_assert_uint_eq(f, CODEC_F_BADEQ);
	buf_reset(&d);
	ck_assert_int_eq(mime_body_decode(&d, &t, 3, 100, &f), 0);
	ck_assert_uint_eq(d.len, 2);
	ck_assert(memcmp(d.s, "\xe9\0", 2) == 0);
	mime_free(&t);
	buf_free(&d);
}
END_TEST

/* samples */

/*
 * rfc/ and malformed/ samples whose tree mail-parser describes (.tree).
 * 'e': the same tree, offsets included; 't': the same types (the .eml
 * has CRLF, the JSON offsets are for LF); else why they differ.
 */
static const struct {
	const char	*name;
	const char	*how;
} samples[] = {
	{ "rfc/000", "e" }, { "rfc/001", "e" }, { "rfc/002", "e" },
	{ "rfc/003", "e" }, { "rfc/004", "e" }, { "rfc/005", "e" },
	{ "rfc/006", "e" }, { "rfc/007", "e" },
	{ "rfc/008", "base64 message/rfc822: mail-parser decodes it" },
	{ "rfc/009", "e" },
	{ "malformed/000", "mail-parser drops every part" },
	{ "malformed/001", "boundary as a prefix" },
	{ "malformed/002", "e" },
	{ "malformed/003", "boundary as a prefix" },
	{ "malformed/004", "boundary as a prefix" },
	{ "malformed/005", "boundary as a prefix" },
	{ "malformed/006", "e" },
	{ "malformed/007", "boundary as a prefix" },
	{ "malformed/008", "boundary as a prefix" },
	{ "malformed/009", "an unclosed inner part hides the outer delimiter" },
	{ "malformed/010", "e" },
	{ "malformed/011", "an unclosed inner part hides the outer delimiter" },
	{ "malformed/012", "an unclosed inner part hides the outer delimiter" },
	{ "malformed/013", "boundary as a prefix" },
	{ "malformed/014", "e" }, { "malformed/015", "e" },
	{ "malformed/016", "an unclosed inner part hides the outer delimiter" },
	{ "malformed/017", "e" }, { "malformed/018", "t" },
	{ "malformed/019", "boundary as a prefix" },
	{ "malformed/020", "CRLF offsets; an empty last part is kept" },
	{ "malformed/021", "CRLF offsets; an empty last part is kept" },
	{ "malformed/022", "CRLF offsets; a non-message in message/rfc822" },
};

START_TEST(t_samples_trees)
{
	struct buf m = BUF_INIT, tr = BUF_INIT, mine = BUF_INIT;
	struct mime_tree t;
	char name[64];
	const char *a, *b;
	size_t i, k, exact = 0, types = 0;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		snprintf(name, sizeof(name), "%s.eml", samples[i].name);
		ck_assert_msg(slurp(&m, name), "%s missing", name);
		snprintf(name, sizeof(name), "%s.tree", samples[i].name);
		ck_assert_msg(slurp(&tr, name), "%s missing", name);
		parse_ok(&t, m.s, m.len);
		buf_reset(&mine);
		for (k = 0; k < t.nparts; k++)
			buf_printf(&mine, "%u %s/%s %zu %zu %zu\n",
			    t.parts[k].depth, t.parts[k].type,
			    t.parts[k].subtype, t.parts[k].hdr,
			    t.parts[k].body, t.parts[k].end);
		mime_free(&t);
		if (strcmp(samples[i].how, "e") == 0) {
			ck_assert_msg(strcmp(mine.s, tr.s) == 0,
			    "%s:\n%s\nwant\n%s", samples[i].name, mine.s, tr.s);
			exact++;
		} else if (strcmp(samples[i].how, "t") == 0) {
			/* compare "depth type/subtype" of each line */
			for (a = mine.s, b = tr.s; *a != '\0' && *b != '\0';
			    a = strchr(a, '\n') + 1, b = strchr(b, '\n') + 1) {
				k = strcspn(b, " ") + 1;
				k += strcspn(b + k, " ");
				ck_assert_msg(strncmp(a, b, k) == 0 &&
				    a[k] == ' ', "%s", samples[i].name);
			}
			ck_assert(*a == '\0' && *b == '\0');
			types++;
		}
	}
	ck_assert_uint_eq(exact, 15);
	ck_assert_uint_eq(types, 1);
	buf_free(&m);
	buf_free(&tr);
	buf_free(&mine);
}
END_TEST

/* Every sample, and every former fuzzer crash, parses cleanly. */
START_TEST(t_samples_all)
{
	static const char *const dirs[] = { "rfc", "malformed", "thirdparty" };
	struct buf m = BUF_INIT;
	struct mime_tree t;
	char name[64];
	size_t d, n = 0;
	int i;

	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		for (i = 0; ; i++) {
			snprintf(name, sizeof(name), "%s/%03d.eml", dirs[d], i);
			if (!slurp(&m, name))
				break;
			parse_ok(&t, m.s, m.len);
			ck_assert_uint_ge(t.nparts, 1);
			mime_free(&t);
			n++;
		}
	}
	ck_assert_uint_eq(n, 10 + 23 + 20);
	/* a few details of thirdparty samples */
	ck_assert(slurp(&m, "thirdparty/007.eml"));
	parse_ok(&t, m.s, m.len);
	ck_assert_uint_eq(t.nparts, 9);
	ck_assert(mime_is(&t.parts[0], "multipart", "digest"));
	ck_assert(mime_is(&t.parts[1], "message", "rfc822"));
	ck_assert_str_eq(t.parts[8].filename, "test.txt");
	mime_free(&t);
	ck_assert(slurp(&m, "thirdparty/015.eml"));
	parse_ok(&t, m.s, m.len);
	ck_assert_uint_eq(t.nparts, 8);
	/* an attached message cut off in its header */
	ck_assert(t.parts[3].hdr_flags & MSG_F_NOBODY);
	ck_assert_uint_eq(t.parts[3].flags, MIME_PF_UNCLOSED |
	    MIME_PF_NOPARTS);
	mime_free(&t);
	buf_free(&m);
}
END_TEST

START_TEST(t_fuzz_regressions)
{
	struct buf m = BUF_INIT, v = BUF_INIT, d = BUF_INIT;
	struct mime_tree t;
	struct mime_ct ct;
	struct msg_hdr h;
	struct msg_field f;
	char path[4096], name[600];
	struct dirent *de;
	DIR *dir;
	size_t n = 0;
	int r;

	ck_assert(data_path(path, sizeof(path), "crash"));
	ck_assert_ptr_nonnull(dir = opendir(path));
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "crash/%s", de->d_name);
		ck_assert(slurp(&m, name));
		msg_hdr_init(&h, m.s, m.len);
		while ((r = msg_hdr_next(&h, &f)) == 1) {
			ck_assert_int_eq(msg_field_value(&v, &f), 0);
			buf_reset(&d);
			ck_assert_int_eq(rfc2047_decode(&d, v.s, v.len,
			    RFC2047_TEXT, NULL), 0);
			ck_assert(utf8_valid(d.s, d.len));
			if (mime_ct_parse(&ct, v.s, v.len,
			    msg_field_is(&f, "content-disposition")) == 0 &&
			    ct.nparams > 0)
				ck_assert_ptr_nonnull(ct.params[0].value);
			mime_ct_free(&ct);
		}
		if (mime_parse(&t, m.s, m.len) == -1)
			ck_assert(errno == ELOOP || errno == E2BIG ||
			    errno == EMSGSIZE);
		tree_ok(&t, m.len);
		mime_free(&t);
		n++;
	}
	closedir(dir);
	ck_assert_uint_ge(n, 1);
	buf_free(&m);
	buf_free(&v);
	buf_free(&d);
}
END_TEST

static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_ct_basic);
	tcase_add_test(tc, t_ct_invalid);
	tcase_add_test(tc, t_ct_params);
	tcase_add_test(tc, t_disposition);
	tcase_add_test(tc, t_tree_plain);
	tcase_add_test(tc, t_tree_multipart);
	tcase_add_test(tc, t_tree_unclosed);
	tcase_add_test(tc, t_tree_message);
	tcase_add_test(tc, t_tree_bad_headers);
	tcase_add_test(tc, t_tree_depth);
	tcase_add_test(tc, t_tree_count);
	tcase_add_test(tc, t_tree_decode);
	tcase_add_test(tc, t_samples_trees);
	tcase_add_test(tc, t_samples_all);
	tcase_add_test(tc, t_fuzz_regressions);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(mime_suite)
