/*
 * test_addr: RFC 5322 address lists, RFC 5321 SMTP paths and msg-ids
 * (lib/addr.c).  Hand-written cases, good and bad, and the mail-parser
 * vectors in t/data/header-vectors (address.txt, id.txt; read at run time
 * from $TOP, made by convert.py there).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "mail/addr.h"
#include "mail/msg.h"
#include "unit.h"
#include "vectors.h"

/* Escape as convert.py does: \\ \n \r \t. */
static void
esc(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			ck_assert_int_eq(buf_puts(b, "\\\\"), 0);
			break;
		case '\n':
			ck_assert_int_eq(buf_puts(b, "\\n"), 0);
			break;
		case '\r':
			ck_assert_int_eq(buf_puts(b, "\\r"), 0);
			break;
		case '\t':
			ck_assert_int_eq(buf_puts(b, "\\t"), 0);
			break;
		default:
			ck_assert_int_eq(buf_putc(b, *s), 0);
		}
	}
}

static void
esc_or_dash(struct buf *b, const char *s)
{
	if (s == NULL)
		ck_assert_int_eq(buf_putc(b, '-'), 0);
	else
		esc(b, s);
}

/* A list as lines: "A\tgroup\tname\tlocal@domain", then "G\tgroup". */
static void
list_lines(struct buf *b, const struct addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		ck_assert_int_eq(buf_puts(b, "A\t"), 0);
		esc_or_dash(b, l->v[i].group);
		ck_assert_int_eq(buf_putc(b, '\t'), 0);
		esc_or_dash(b, l->v[i].name);
		ck_assert_int_eq(buf_putc(b, '\t'), 0);
		esc(b, l->v[i].local);
		ck_assert_int_eq(buf_putc(b, '@'), 0);
		esc(b, l->v[i].domain);
		ck_assert_int_eq(buf_putc(b, '\n'), 0);
	}
	for (i = 0; i < l->ngroups; i++) {
		ck_assert_int_eq(buf_puts(b, "G\t"), 0);
		esc(b, l->groups[i]);
		ck_assert_int_eq(buf_putc(b, '\n'), 0);
	}
}

/* Parse s[0..n) as a list; the lines, or "E\n" (errno checked). */
static void
parse_lines(
    struct buf *b, const char *s, size_t n, unsigned flags, struct addr_err *e)
{
	struct addr_list l = ADDR_LIST_INIT;

	buf_reset(b);
	ck_assert_int_eq(buf_puts(b, ""), 0);
	errno = 0;
	if (addr_parse(&l, s, n, flags, e) == -1) {
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_ptr_nonnull(e->why);
		ck_assert_uint_le(e->pos, n);
		ck_assert_uint_eq(l.n, 0);
		ck_assert_uint_eq(l.ngroups, 0);
		ck_assert_int_eq(buf_puts(b, "E\n"), 0);
	} else
		list_lines(b, &l);
	addr_list_free(&l);
}

/*
 * Hand-written address-list cases: input (n 0: strlen), flags, the
 * expected lines (escaped as in address.txt) or "E\n", and for errors
 * the reason (NULL: any).
 */
static const struct acase {
	const char *in;
	size_t n;
	unsigned flags;
	const char *want;
	const char *why;
} acases[] = {
    {"a@b.c", 0, 0, "A\t-\t-\ta@b.c\n", NULL},
    {"\"Doe, \\\"J\\\"\" <j@x>", 0, 0, "A\t-\tDoe, \"J\"\tj@x\n", NULL},
    {"  John \t  Q.   Doe   <j@x>", 0, 0, "A\t-\tJohn Q. Doe\tj@x\n", NULL},
    {"(a (b (c))) John (x) <j (y) @ (z) x.org (w)> (v)", 0, 0,
	"A\t-\tJohn\tj@x.org\n", NULL},
    {"John(x)Doe <j@x>", 0, 0, "A\t-\tJohn Doe\tj@x\n", NULL},
    {"\"john doe\"@x", 0, 0, "A\t-\t-\t\"john doe\"@x\n", NULL},
    {"\"john\"@x", 0, 0, "A\t-\t-\tjohn@x\n", NULL},
    {"\"john\".\"doe\"@x", 0, 0, "A\t-\t-\tjohn.doe@x\n", NULL},
    {"\"john\".doe@x", 0, 0, "A\t-\t-\tjohn.doe@x\n", NULL},
    {"\"a b\".c@x", 0, 0, "A\t-\t-\t\"a b.c\"@x\n", NULL},
    {"\"a.\"@x", 0, 0, "A\t-\t-\t\"a.\"@x\n", NULL},
    /* local part a"b: quoted with the '"' escaped */
    {"\"a\\\"b\"@x", 0, 0, "A\t-\t-\t\"a\\\\\"b\"@x\n", NULL},
    /* local part a\b */
    {"\"a\\\\b\"@x", 0, 0, "A\t-\t-\t\"a\\\\\\\\b\"@x\n", NULL},
    /* a needless quoted-pair goes */
    {"\"\\a\\b\"@x", 0, 0, "A\t-\t-\tab@x\n", NULL},
    {"\"\"@x", 0, 0, "A\t-\t-\t\"\"@x\n", NULL},
    {"john . doe @ x . org", 0, 0, "A\t-\t-\tjohn.doe@x.org\n", NULL},
    {"john (c) . (d) doe@x", 0, 0, "A\t-\t-\tjohn.doe@x\n", NULL},
    {"john..doe@x", 0, 0, "E\n", "bad local part"},
    {".john@x", 0, 0, "E\n", "bad local part"},
    {"john.@x", 0, 0, "E\n", "bad local part"},
    {"john doe@x", 0, 0, "E\n", "bad local part"},
    {"\"a\"b@x", 0, 0, "E\n", "bad local part"},
    {"a\\b@c", 0, 0, "E\n", NULL},
    {"u@[1.2.3.4]", 0, 0, "A\t-\t-\tu@[1.2.3.4]\n", NULL},
    {"u@[ 1.2.3.4 ]", 0, 0, "A\t-\t-\tu@[1.2.3.4]\n", NULL},
    {"u@(c)[1.2.3.4](d)", 0, 0, "A\t-\t-\tu@[1.2.3.4]\n", NULL},
    {"u@[IPv6:::1]", 0, 0, "A\t-\t-\tu@[IPv6:::1]\n", NULL},
    {"u@[]", 0, 0, "A\t-\t-\tu@[]\n", NULL},
    {"u@[\\x]", 0, 0, "A\t-\t-\tu@[x]\n", NULL},
    {"u@[\\]]", 0, 0, "E\n", "quoted-pair is not dtext"},
    {"u@[1.2", 0, 0, "E\n", "unterminated domain literal"},
    {"u@[a[b]", 0, 0, "E\n", "bad byte in domain literal"},
    {"u@[1.2.3.4].x", 0, 0, "E\n", "expected ','"},
    {"<@a.example,@b.example:u@d.example>", 0, 0, "A\t-\t-\tu@d.example\n",
	NULL},
    {"Name <,@a,,@b:u@d>", 0, 0, "A\t-\tName\tu@d\n", NULL},
    {"<@a (c) , @[1.2.3.4] : u@d>", 0, 0, "A\t-\t-\tu@d\n", NULL},
    {"<@a.example u@d.example>", 0, 0, "E\n", "bad route"},
    {"<@:u@d>", 0, 0, "E\n", "expected a domain"},
    {"G: a@b, C <c@d>;", 0, 0, "A\tG\t-\ta@b\nA\tG\tC\tc@d\nG\tG\n", NULL},
    {"G:;", 0, 0, "G\tG\n", NULL},
    {"G: ,, ;", 0, 0, "G\tG\n", NULL},
    {"G: a@b;, c@d, H:;", 0, 0, "A\tG\t-\ta@b\nA\t-\t-\tc@d\nG\tG\nG\tH\n",
	NULL},
    {"Group (c) : (x) a@b (y) ; (z)", 0, 0, "A\tGroup\t-\ta@b\nG\tGroup\n",
	NULL},
    {"\"The \\\"G\\\"\" : a@b;", 0, 0, "A\tThe \"G\"\t-\ta@b\nG\tThe \"G\"\n",
	NULL},
    {"G: a@b;", 0, ADDR_NOGROUP, "E\n", "group not allowed here"},
    {"a@b, c@d", 0, ADDR_NOGROUP, "A\t-\t-\ta@b\nA\t-\t-\tc@d\n", NULL},
    {"A: B: c@d;;", 0, 0, "E\n", "group inside a group"},
    {"G: a@b", 0, 0, "E\n", "group not ended by ';'"},
    {"G: a@b,", 0, 0, "E\n", "group not ended by ';'"},
    {"G: a@b c@d;", 0, 0, "E\n", "expected ',' or ';'"},
    {": a@b;", 0, 0, "E\n", "group without a name"},
    {"a@b;", 0, 0, "E\n", "expected ','"},
    {"J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc"
     "cher.example>",
	0, 0,
	"A\t-\tJ\xc3\xb6rg\tj\xc3\xb6rg@b\xc3\xbc"
	"cher.example\n",
	NULL},
    {"\"Zo\xc3\xab\" <z@x>", 0, 0, "A\t-\tZo\xc3\xab\tz@x\n", NULL},
    {"\xf0\x9f\x93\xa7@x", 0, 0, "A\t-\t-\t\xf0\x9f\x93\xa7@x\n", NULL},
    {"a@b (\xe2\x82\xac)", 0, 0, "A\t-\t-\ta@b\n", NULL},
    {"J\xf6rg <j@x>", 0, 0, "E\n", "invalid UTF-8"},
    {"\xc0\xaf <j@x>", 0, 0, "E\n", "invalid UTF-8"},
    {"\xe0\x80\xaf <j@x>", 0, 0, "E\n", "invalid UTF-8"},
    {"\xed\xa0\x80 <j@x>", 0, 0, "E\n", "invalid UTF-8"},
    {"\xf4\x90\x80\x80 <j@x>", 0, 0, "E\n", "invalid UTF-8"},
    {"\xf8\x88\x80\x80\x80 <j@x>", 0, 0, "E\n", "invalid UTF-8"},
    {"\xe2\x82 <j@x>", 0, 0, "E\n", "invalid UTF-8"},
    {"j@x\xe2\x82", 0, 0, "E\n", "invalid UTF-8"},
    {"(\xff) a@b", 0, 0, "E\n", "invalid UTF-8"},
    {"\"\xff\" <a@b>", 0, 0, "E\n", "invalid UTF-8"},
    {"u@[\xff]", 0, 0, "E\n", "invalid UTF-8"},
    {"a\0b@x", 5, 0, "E\n", "NUL byte"},
    {"\"a\0b\" <x@y>", 11, 0, "E\n", "NUL byte"},
    {"a@b (\0)", 7, 0, "E\n", "NUL byte"},
    {"a@b\r\nc@d", 0, 0, "E\n", "CR or LF outside a fold"},
    {"a@b\rc@d", 0, 0, "E\n", "CR or LF outside a fold"},
    {"a@b\nc@d", 0, 0, "E\n", "CR or LF outside a fold"},
    {"A <a@b>,\r\n B <c@d>\r\n", 0, 0, "A\t-\tA\ta@b\nA\t-\tB\tc@d\n", NULL},
    {"A <a@b>,\n\tB\n <c@d>\n", 0, 0, "A\t-\tA\ta@b\nA\t-\tB\tc@d\n", NULL},
    {"\r\n a@b", 0, 0, "A\t-\t-\ta@b\n", NULL},
    {"a@b\r\n", 0, 0, "A\t-\t-\ta@b\n", NULL},
    {"a@b\r\n\r\n", 0, 0, "E\n", "CR or LF outside a fold"},
    {"", 0, 0, "E\n", "no address"},
    {"  ,  , ", 0, 0, "E\n", "no address"},
    {"(comment)", 0, 0, "E\n", "no address"},
    {"=?UTF-8?Q?J=C3=B6rg?= <j@x>", 0, 0, "A\t-\t=?UTF-8?Q?J=C3=B6rg?=\tj@x\n",
	NULL},
    {"A <a@b", 0, 0, "E\n", "expected '>'"},
    {"A <a@b c>", 0, 0, "E\n", "expected '>'"},
    {"<>", 0, 0, "E\n", "expected an address"},
    {"< >", 0, 0, "E\n", "expected an address"},
    {"a@", 0, 0, "E\n", "expected a domain"},
    {"@b", 0, 0, "E\n", "bad local part"},
    {"a", 0, 0, "E\n", "expected '@', '<' or ':'"},
    {"a@b c@d", 0, 0, "E\n", "expected ','"},
    {"a@b <c@d>", 0, 0, "E\n", "expected ','"},
    {"a,b <c@d>", 0, 0, "E\n", "expected '@', '<' or ':'"},
    {"a@b)", 0, 0, "E\n", "expected ','"},
    {"a@b.c.", 0, 0, "E\n", "expected a domain"},
    {"a@.b", 0, 0, "E\n", "expected a domain"},
    {"a@b..c", 0, 0, "E\n", "expected a domain"},
    {"Mr. Smith <s@x>", 0, 0, "A\t-\tMr. Smith\ts@x\n", NULL},
    {"\"John\r\n Doe\" <a@b>", 0, 0, "A\t-\tJohn Doe\ta@b\n", NULL},
    {"\"a\\\rb\" <a@b>", 0, 0, "E\n", "CR or LF outside a fold"},
    {"\"a\x01"
     "b\" <x@y>",
	0, 0,
	"A\t-\ta\x01"
	"b\tx@y\n",
	NULL},
    {"\"unterminated <a@b>", 0, 0, "E\n", "unterminated quoted string"},
    {"a@b (unterminated", 0, 0, "E\n", "unterminated comment"},
    {"a@b (a \\) b", 0, 0, "E\n", "unterminated comment"},
    {"a@b (a \\", 0, 0, "E\n", "'\\' at the end"},
    {"John Doe <john.doe@EXAMPLE.com>", 0, 0,
	"A\t-\tJohn Doe\tjohn.doe@EXAMPLE.com\n", NULL},
    {"<a@b>, <c@d>,, <e@f>,", 0, 0,
	"A\t-\t-\ta@b\nA\t-\t-\tc@d\nA\t-\t-\te@f\n", NULL},
    {"\"\" <a@b>", 0, 0, "A\t-\t-\ta@b\n", NULL},
    {"\"  \t \" <a@b>", 0, 0, "A\t-\t-\ta@b\n", NULL},
    {"\" x \\\" y \" <a@b>", 0, 0, "A\t-\tx \" y\ta@b\n", NULL},
    {"(only a comment) <a@b>", 0, 0, "A\t-\t-\ta@b\n", NULL},
    {"A.B.C <a@b>", 0, 0, "A\t-\tA.B.C\ta@b\n", NULL},
    {"a@b, (c) , d@e", 0, 0, "A\t-\t-\ta@b\nA\t-\t-\td@e\n", NULL},
    {"Undisclosed recipients:;", 0, 0, "G\tUndisclosed recipients\n", NULL},
    {"a@b,\t\"c\"@d\t", 0, 0, "A\t-\t-\ta@b\nA\t-\t-\tc@d\n", NULL},
    {"a@b<c@d>", 0, 0, "E\n", "expected ','"},
    {"<a@b>c@d", 0, 0, "E\n", "expected ','"},
    {"a@[1.2.3.4]b", 0, 0, "E\n", "expected ','"},
};

START_TEST(t_acases)
{
	const struct acase *c = &acases[_i];
	struct addr_err e = {0, NULL};
	struct buf got = BUF_INIT;
	size_t n = c->n == 0 ? strlen(c->in) : c->n;

	parse_lines(&got, c->in, n, c->flags, &e);
	ck_assert_msg(strcmp(got.s, c->want) == 0,
	    "case %d [%s]: got\n%s\nwant\n%s(%s at %zu)", _i, c->in, got.s,
	    c->want, e.why != NULL ? e.why : "ok", e.pos);
	if (c->why != NULL)
		ck_assert_msg(e.why != NULL && strcmp(e.why, c->why) == 0,
		    "case %d [%s]: why \"%s\", want \"%s\"", _i, c->in,
		    e.why != NULL ? e.why : "(none)", c->why);
	buf_free(&got);
}
END_TEST

START_TEST(t_flags)
{
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_err e;
	const char *in = "<@r:a@b>, \"x y\"@c, d@[1.2.3.4], \xc3\xa9@e, "
			 "f@\xc3\xa9, g@h";

	ck_assert_int_eq(addr_parse(&l, in, strlen(in), 0, &e), 0);
	ck_assert_uint_eq(l.n, 6);
	ck_assert_uint_eq(l.v[0].flags, ADDR_F_ROUTE);
	ck_assert_uint_eq(l.v[1].flags, ADDR_F_QUOTED);
	ck_assert_uint_eq(l.v[2].flags, ADDR_F_LITERAL);
	ck_assert_uint_eq(l.v[3].flags, ADDR_F_UTF8);
	ck_assert_uint_eq(l.v[4].flags, ADDR_F_UTF8);
	ck_assert_uint_eq(l.v[5].flags, 0);
	ck_assert_ptr_null(l.v[5].name);
	ck_assert_ptr_null(l.v[5].group);
	addr_list_free(&l);
	ck_assert_ptr_null(l.v);
	ck_assert_uint_eq(l.n, 0);
	/* a literal in the route alone does not make the address literal */
	ck_assert_int_eq(addr_parse(&l, "<@[1.2.3.4]:a@b>", 16, 0, &e), 0);
	ck_assert_uint_eq(l.v[0].flags, ADDR_F_ROUTE);
	addr_list_free(&l);
	addr_list_free(&l); /* twice is fine */
}
END_TEST

START_TEST(t_err_pos)
{
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_err e;

	ck_assert_int_eq(addr_parse(&l, "a@b, c@", 7, 0, &e), -1);
	ck_assert_uint_eq(e.pos, 7);
	ck_assert_str_eq(e.why, "expected a domain");
	ck_assert_int_eq(addr_parse(&l, "a@b,  c d@e", 11, 0, &e), -1);
	ck_assert_uint_eq(e.pos, 6);
	ck_assert_str_eq(e.why, "bad local part");
	ck_assert_int_eq(addr_parse(&l, "a@b, (x", 7, 0, &e), -1);
	ck_assert_uint_eq(e.pos, 5);
	/* positions are in the unfolded value */
	ck_assert_int_eq(addr_parse(&l, "a@b,\r\n c\xff@d", 12, 0, &e), -1);
	ck_assert_uint_eq(e.pos, 6);
	ck_assert_str_eq(e.why, "invalid UTF-8");
	/* err may be NULL */
	errno = 0;
	ck_assert_int_eq(addr_parse(&l, "x", 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(addr_parse(&l, "x@y", 3, 0, NULL), 0);
	ck_assert_uint_eq(l.n, 1);
	addr_list_free(&l);
}
END_TEST

START_TEST(t_append_rollback)
{
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_err e;
	const char *bad = "c@d, G: e@f;, H:;, bad";
	struct buf b = BUF_INIT;

	ck_assert_int_eq(addr_parse(&l, "a@b, K:;", 8, 0, &e), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.ngroups, 1);
	ck_assert_int_eq(addr_parse(&l, bad, strlen(bad), 0, &e), -1);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.ngroups, 1);
	ck_assert_int_eq(addr_parse(&l, "X <x@y>", 7, 0, &e), 0);
	ck_assert_uint_eq(l.n, 2);
	list_lines(&b, &l);
	ck_assert_str_eq(b.s, "A\t-\t-\ta@b\nA\t-\tX\tx@y\nG\tK\n");
	buf_reset(&b);
	ck_assert_int_eq(addr_spec(&b, &l.v[1]), 0);
	ck_assert_str_eq(b.s, "x@y");
	ck_assert_int_eq(addr_spec(&b, &l.v[0]), 0);
	ck_assert_str_eq(b.s, "x@ya@b");
	addr_list_free(&l);
	buf_free(&b);
}
END_TEST

/* n addresses "aN@x" joined by ", " */
static void
many(struct buf *b, size_t n, const char *item)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(
		    buf_printf(b, "%s%s%zu", i ? ", " : "", item, i), 0);
}

START_TEST(t_addr_max)
{
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_err e;
	struct buf b = BUF_INIT;
	size_t i;

	/* "a@x0, a@x1, ..." */
	many(&b, ADDR_MAX, "a@x");
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	ck_assert_uint_eq(l.n, 1000);
	ck_assert_str_eq(l.v[999].domain, "x999");
	addr_list_free(&l);
	many(&b, ADDR_MAX + 1, "a@x");
	errno = 0;
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_str_eq(e.why, "too many addresses");
	ck_assert_uint_eq(l.n, 0);
	/* the limit counts across appends */
	many(&b, 600, "a@x");
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	many(&b, 401, "a@y");
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(l.n, 600);
	addr_list_free(&l);
	/* groups */
	buf_reset(&b);
	for (i = 0; i < ADDR_MAX; i++)
		ck_assert_int_eq(buf_puts(&b, "G:;,"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	ck_assert_uint_eq(l.ngroups, 1000);
	ck_assert_uint_eq(l.n, 0);
	addr_list_free(&l);
	ck_assert_int_eq(buf_puts(&b, "G:;"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(l.ngroups, 0);
	addr_list_free(&l);
	buf_free(&b);
}
END_TEST

static void
repeat(struct buf *b, int c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(buf_putc(b, c), 0);
}

/* A domain of exactly n octets: labels of up to 63 'd's. */
static void
domain_of(struct buf *b, size_t n)
{
	size_t k;

	while (n > 0) {
		k = n > 63 ? 63 : n;
		if (n - k == 1) /* never leave a lone dot */
			k--;
		repeat(b, 'd', k);
		n -= k;
		if (n > 0) {
			ck_assert_int_eq(buf_putc(b, '.'), 0);
			n--;
		}
	}
}

START_TEST(t_lengths)
{
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_err e;
	struct buf b = BUF_INIT;

	/* domain: 255 yes, 256 no */
	ck_assert_int_eq(buf_puts(&b, "u@"), 0);
	domain_of(&b, 255);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	ck_assert_uint_eq(strlen(l.v[0].domain), 255);
	addr_list_free(&l);
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "u@"), 0);
	domain_of(&b, 256);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "domain too long");
	/* local part: 200 is fine in a header (RFC 5321's 64 is SMTP's) */
	buf_reset(&b);
	repeat(&b, 'l', 200);
	ck_assert_int_eq(buf_puts(&b, "@x"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	addr_list_free(&l);
	/* the whole address: 998 yes, 999 no */
	buf_reset(&b);
	repeat(&b, 'l', 742);
	ck_assert_int_eq(buf_putc(&b, '@'), 0);
	domain_of(&b, 255);
	ck_assert_uint_eq(b.len, 998);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	addr_list_free(&l);
	buf_reset(&b);
	repeat(&b, 'l', 743);
	ck_assert_int_eq(buf_putc(&b, '@'), 0);
	domain_of(&b, 255);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "address too long");
	/* quoting counts: 740 octets that need quotes and escapes */
	buf_reset(&b);
	ck_assert_int_eq(buf_putc(&b, '"'), 0);
	repeat(&b, ' ', 700);
	ck_assert_int_eq(buf_puts(&b, "\\\"\"@x"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	ck_assert_uint_eq(strlen(l.v[0].local), 704);
	addr_list_free(&l);
	/* display name: 998 yes, 999 no (after collapsing) */
	buf_reset(&b);
	repeat(&b, 'n', 998);
	ck_assert_int_eq(buf_puts(&b, "   <a@b>"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	addr_list_free(&l);
	buf_reset(&b);
	repeat(&b, 'n', 999);
	ck_assert_int_eq(buf_puts(&b, " <a@b>"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "display name too long");
	/* many blanks collapse below the limit */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "a"), 0);
	repeat(&b, ' ', 5000);
	ck_assert_int_eq(buf_puts(&b, "b <a@b>"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	ck_assert_str_eq(l.v[0].name, "a b");
	addr_list_free(&l);
	buf_free(&b);
}
END_TEST

START_TEST(t_comment_depth)
{
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_err e;
	struct buf b = BUF_INIT;

	repeat(&b, '(', ADDR_COMMENT_DEPTH);
	repeat(&b, ')', ADDR_COMMENT_DEPTH);
	ck_assert_int_eq(buf_puts(&b, "a@b"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	addr_list_free(&l);
	buf_reset(&b);
	repeat(&b, '(', ADDR_COMMENT_DEPTH + 1);
	repeat(&b, ')', ADDR_COMMENT_DEPTH + 1);
	ck_assert_int_eq(buf_puts(&b, "a@b"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "comments nested too deep");
	ck_assert_uint_eq(e.pos, ADDR_COMMENT_DEPTH);
	/* a hostile one: 100,000 open parentheses */
	buf_reset(&b);
	repeat(&b, '(', 100000);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "comments nested too deep");
	/* many sibling comments are fine */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "a@b "), 0);
	while (b.len < 200000)
		ck_assert_int_eq(buf_puts(&b, "(x)"), 0);
	ck_assert_int_eq(addr_parse(&l, b.s, b.len, 0, &e), 0);
	addr_list_free(&l);
	buf_free(&b);
}
END_TEST

START_TEST(t_local_canon)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(addr_local_canon(&b, "a.b", 3), 0);
	ck_assert_str_eq(b.s, "a.b");
	buf_reset(&b);
	ck_assert_int_eq(addr_local_canon(&b, "a b", 3), 1);
	ck_assert_str_eq(b.s, "\"a b\"");
	buf_reset(&b);
	ck_assert_int_eq(addr_local_canon(&b, "a\"b\\", 4), 1);
	ck_assert_str_eq(b.s, "\"a\\\"b\\\\\"");
	buf_reset(&b);
	ck_assert_int_eq(addr_local_canon(&b, "", 0), 1);
	ck_assert_str_eq(b.s, "\"\"");
	buf_reset(&b);
	ck_assert_int_eq(addr_local_canon(&b, "a..b", 4), 1);
	ck_assert_str_eq(b.s, "\"a..b\"");
	buf_reset(&b);
	ck_assert_int_eq(addr_local_canon(&b, "j\xc3\xb6rg", 5), 0);
	buf_reset(&b);
	ck_assert_int_eq(addr_local_canon(&b, "j\xf6rg", 4), 1);
	buf_reset(&b);
	ck_assert_int_eq(addr_local_canon(&b, "!#$%&'*+-/=?^_`{|}~", 19), 0);
	buf_reset(&b);
	ck_assert_int_eq(addr_local_canon(&b, "a@b", 3), 1);
	ck_assert_str_eq(b.s, "\"a@b\"");
	buf_free(&b);
}
END_TEST

START_TEST(t_utf8_len)
{
	ck_assert_uint_eq(addr_utf8_len("\xc3\xa9", 2), 2);
	ck_assert_uint_eq(addr_utf8_len("\xc3\xa9", 1), 0);
	ck_assert_uint_eq(addr_utf8_len("\xe2\x82\xac", 3), 3);
	ck_assert_uint_eq(addr_utf8_len("\xf0\x9f\x93\xa7", 4), 4);
	ck_assert_uint_eq(addr_utf8_len("\xf4\x8f\xbf\xbf", 4), 4);
	ck_assert_uint_eq(addr_utf8_len("\xef\xbf\xbf", 3), 3);
	ck_assert_uint_eq(addr_utf8_len("\xed\x9f\xbf", 3), 3);
	ck_assert_uint_eq(addr_utf8_len("a", 1), 0); /* ASCII: not one */
	ck_assert_uint_eq(addr_utf8_len("", 0), 0);
	ck_assert_uint_eq(addr_utf8_len("\x80", 1), 0);
	ck_assert_uint_eq(addr_utf8_len("\xc1\xbf", 2), 0);
	ck_assert_uint_eq(addr_utf8_len("\xe0\x9f\xbf", 3), 0);
	ck_assert_uint_eq(addr_utf8_len("\xed\xa0\x80", 3), 0);
	ck_assert_uint_eq(addr_utf8_len("\xf0\x8f\xbf\xbf", 4), 0);
	ck_assert_uint_eq(addr_utf8_len("\xf4\x90\x80\x80", 4), 0);
	ck_assert_uint_eq(addr_utf8_len("\xf5\x80\x80\x80", 4), 0);
	ck_assert_uint_eq(addr_utf8_len("\xc3\x28", 2), 0);
	ck_assert_uint_eq(addr_utf8_len("\xe2\x28\xa1", 3), 0);
	ck_assert_uint_eq(addr_utf8_len("\xf0\x9f\x93", 3), 0);
	ck_assert_uint_eq(addr_utf8_len("\xff", 1), 0);
}
END_TEST

START_TEST(t_cfws)
{
	struct addr_err e;
	size_t i;

	i = 0;
	ck_assert_int_eq(addr_cfws("  (a (b) \\) c) x", 16, &i, &e), 1);
	ck_assert_uint_eq(i, 15);
	i = 0;
	ck_assert_int_eq(addr_cfws("x", 1, &i, &e), 0);
	ck_assert_uint_eq(i, 0);
	i = 1;
	ck_assert_int_eq(addr_cfws("x\t", 2, &i, &e), 1);
	ck_assert_uint_eq(i, 2);
	i = 0;
	ck_assert_int_eq(addr_cfws("(a", 2, &i, &e), -1);
	ck_assert_str_eq(e.why, "unterminated comment");
	i = 0;
	ck_assert_int_eq(addr_cfws("(a\r\n b)", 7, &i, &e), -1);
	ck_assert_str_eq(e.why, "CR or LF outside a fold");
	i = 0;
	ck_assert_int_eq(addr_cfws(")", 1, &i, &e), 0);
}
END_TEST

START_TEST(t_with_msg)
{
	/* a header field through msg.c into addr.c, folded as it came */
	const char *m =
	    "From: \"Doe, J.\" <j@example.org>\r\n"
	    "To: Team:\r\n a@example.org,\r\n\t(the boss) B <b@example.org>;,"
	    "\r\n c@example.org\r\n\r\nbody\r\n";
	struct msg_field f;
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_err e;
	struct buf b = BUF_INIT;

	ck_assert_int_eq(msg_find(m, strlen(m), "From", &f), 1);
	ck_assert_int_eq(
	    addr_parse(&l, f.value, f.valuelen, ADDR_NOGROUP, &e), 0);
	ck_assert_int_eq(msg_find(m, strlen(m), "To", &f), 1);
	ck_assert_int_eq(addr_parse(&l, f.value, f.valuelen, 0, &e), 0);
	list_lines(&b, &l);
	ck_assert_str_eq(b.s,
	    "A\t-\tDoe, J.\tj@example.org\n"
	    "A\tTeam\t-\ta@example.org\nA\tTeam\tB\tb@example.org\n"
	    "A\t-\t-\tc@example.org\nG\tTeam\n");
	addr_list_free(&l);
	buf_free(&b);
}
END_TEST

/*
 * SMTP paths.  want NULL: an error (why, if not NULL, is the reason);
 * params: the offset expected, -1 for the end.
 */
static const struct pcase {
	const char *in;
	size_t n;
	unsigned flags;
	const char *want;
	int params;
	unsigned pflags;
	const char *why;
} pcases[] = {
    {"<user@example.com>", 0, 0, "user@example.com", -1, 0, NULL},
    {"<user@example.com> SIZE=100 BODY=8BITMIME", 0, 0, "user@example.com", 19,
	0, NULL},
    {"<user@example.com>  SIZE=100", 0, 0, "user@example.com", 20, 0, NULL},
    {"<user@example.com> ", 0, 0, "user@example.com", -1, 0, NULL},
    {"<User.Name+tag@Example.COM>", 0, 0, "User.Name+tag@Example.COM", -1, 0,
	NULL},
    {"<!#$%&'*+-/=?^_`{|}~@x.y>", 0, 0, "!#$%&'*+-/=?^_`{|}~@x.y", -1, 0, NULL},
    {"<>", 0, ADDR_SMTP_NULL, "", -1, ADDR_P_NULL, NULL},
    {"<> SIZE=10", 0, ADDR_SMTP_NULL, "", 3, ADDR_P_NULL, NULL},
    {"<>", 0, 0, NULL, 0, 0, "null path not allowed here"},
    {"<>x", 0, ADDR_SMTP_NULL, NULL, 0, 0, "expected SP after the path"},
    {"<@a.example,@b.example:u@d.example>", 0, 0, "u@d.example", -1,
	ADDR_P_ROUTE, NULL},
    {"<@a.example:u@d.example> X=Y", 0, 0, "u@d.example", 25, ADDR_P_ROUTE,
	NULL},
    {"<@a.example:>", 0, 0, NULL, 0, 0, "expected a local part"},
    {"<@:u@d>", 0, 0, NULL, 0, 0, "expected a domain label"},
    {"<@a,b:u@d>", 0, 0, NULL, 0, 0, "bad source route"},
    {"<@a,:u@d>", 0, 0, NULL, 0, 0, "bad source route"},
    {"<@a.example u@d>", 0, 0, NULL, 0, 0, "bad source route"},
    {"<@[1.2.3.4]:u@d>", 0, 0, NULL, 0, 0, "expected a domain label"},
    {"<\"john doe\"@x.org>", 0, 0, "\"john doe\"@x.org", -1, 0, NULL},
    {"<\"john\"@x.org>", 0, 0, "john@x.org", -1, 0, NULL},
    {"<\"a\\\\b\"@x>", 0, 0, "\"a\\\\b\"@x", -1, 0, NULL},
    {"<\"a\\\"b\"@x>", 0, 0, "\"a\\\"b\"@x", -1, 0, NULL},
    {"<\"\\a\"@x>", 0, 0, "a@x", -1, 0, NULL},
    {"<\"\"@x>", 0, 0, "\"\"@x", -1, 0, NULL},
    {"<\"a@b\"@x>", 0, 0, "\"a@b\"@x", -1, 0, NULL},
    {"<\"a>b\"@x> P=1", 0, 0, "\"a>b\"@x", 10, 0, NULL},
    {"<\"a\\\x01\"@x>", 0, 0, NULL, 0, 0, "bad quoted-pair"},
    {"<\"a\tb\"@x>", 0, 0, NULL, 0, 0, "bad byte in quoted string"},
    {"<\"a\x7f\"@x>", 0, 0, NULL, 0, 0, "bad byte in quoted string"},
    {"<\"abc@x>", 0, 0, NULL, 0, 0, "unterminated quoted string"},
    {"<\"abc\\", 0, 0, NULL, 0, 0, "'\\' at the end"},
    {"<u@[192.0.2.1]>", 0, 0, "u@[192.0.2.1]", -1, ADDR_P_LITERAL, NULL},
    {"<u@[0.0.0.0]>", 0, 0, "u@[0.0.0.0]", -1, ADDR_P_LITERAL, NULL},
    {"<u@[256.1.1.1]>", 0, 0, NULL, 0, 0, "bad address literal"},
    {"<u@[1.2.3]>", 0, 0, NULL, 0, 0, "bad address literal"},
    {"<u@[1.2.3.4.5]>", 0, 0, NULL, 0, 0, "bad address literal"},
    {"<u@[1.2.3.1234]>", 0, 0, NULL, 0, 0, "bad address literal"},
    {"<u@[]>", 0, 0, NULL, 0, 0, "bad address literal"},
    {"<u@[IPv6:2001:db8::1]>", 0, 0, "u@[IPv6:2001:db8::1]", -1, ADDR_P_LITERAL,
	NULL},
    {"<u@[ipv6:::1]>", 0, 0, "u@[ipv6:::1]", -1, ADDR_P_LITERAL, NULL},
    {"<u@[IPv6:::ffff:192.0.2.1]>", 0, 0, "u@[IPv6:::ffff:192.0.2.1]", -1,
	ADDR_P_LITERAL, NULL},
    {"<u@[IPv6:2001:db8::g]>", 0, 0, NULL, 0, 0, "bad IPv6 address literal"},
    {"<u@[IPv6:1.2.3.4]>", 0, 0, NULL, 0, 0, "bad IPv6 address literal"},
    {"<u@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, 0, NULL, 0, 0,
	"bad IPv6 address literal"},
    {"<u@[IPv6:fe80::1%eth0]>", 0, 0, NULL, 0, 0, "bad IPv6 address literal"},
    {"<u@[x-tag:foo]>", 0, 0, NULL, 0, 0, "unknown address literal tag"},
    {"<u@[1.2.3.4>", 0, 0, NULL, 0, 0, "unterminated address literal"},
    {"<u@[1.2.3.4]x>", 0, 0, NULL, 0, 0, "expected '>'"},
    {"<u@-a.example>", 0, 0, NULL, 0, 0,
	"domain label starts or ends with '-'"},
    {"<u@a-.example>", 0, 0, NULL, 0, 0,
	"domain label starts or ends with '-'"},
    {"<u@a--b.example>", 0, 0, "u@a--b.example", -1, 0, NULL},
    {"<u@a..b>", 0, 0, NULL, 0, 0, "expected a domain label"},
    {"<u@a.b.>", 0, 0, NULL, 0, 0, "expected a domain label"},
    {"<u@.a>", 0, 0, NULL, 0, 0, "expected a domain label"},
    {"<u@>", 0, 0, NULL, 0, 0, "expected a domain label"},
    {"<u@a_b.example>", 0, 0, NULL, 0, 0, "expected '>'"},
    {"<u@a b>", 0, 0, NULL, 0, 0, "expected '>'"},
    {"<a..b@x>", 0, 0, NULL, 0, 0, "misplaced '.' in local part"},
    {"<.a@x>", 0, 0, NULL, 0, 0, "misplaced '.' in local part"},
    {"<a.@x>", 0, 0, NULL, 0, 0, "misplaced '.' in local part"},
    {"<@x>", 0, 0, NULL, 0, 0, "bad source route"},
    {"<a(c)@x>", 0, 0, NULL, 0, 0, "expected '@'"},
    {"<jörg@bücher.example>", 0, 0, NULL, 0, 0,
	"non-ASCII address without SMTPUTF8"},
    {"<j@b\xc3\xbc"
     "cher.example>",
	0, 0, NULL, 0, 0, "non-ASCII address without SMTPUTF8"},
    {"<j\xc3\xb6rg@b\xc3\xbc"
     "cher.example> SMTPUTF8",
	0, ADDR_SMTP_UTF8,
	"j\xc3\xb6rg@b\xc3\xbc"
	"cher.example",
	24, ADDR_P_UTF8, NULL},
    {"<\"j\xc3\xb6 rg\"@x>", 0, ADDR_SMTP_UTF8, "\"j\xc3\xb6 rg\"@x", -1,
	ADDR_P_UTF8, NULL},
    {"<\"j\xc3\xb6rg\"@x>", 0, ADDR_SMTP_UTF8, "j\xc3\xb6rg@x", -1, ADDR_P_UTF8,
	NULL},
    {"<\"j\xc3\xb6rg\"@x>", 0, 0, NULL, 0, 0,
	"non-ASCII address without SMTPUTF8"},
    {"<j\xf6rg@x>", 0, ADDR_SMTP_UTF8, NULL, 0, 0, "invalid UTF-8"},
    {"<j@b\xc3@x>", 0, ADDR_SMTP_UTF8, NULL, 0, 0, "invalid UTF-8"},
    {"<j\xed\xa0\x80@x>", 0, ADDR_SMTP_UTF8, NULL, 0, 0, "invalid UTF-8"},
    {"<@r\xc3\xa9:u@x>", 0, 0, NULL, 0, 0,
	"non-ASCII address without SMTPUTF8"},
    {"<Postmaster>", 0, ADDR_SMTP_PM, "Postmaster", -1, ADDR_P_PM, NULL},
    {"<postMASTER> NOTIFY=NEVER", 0, ADDR_SMTP_PM, "postMASTER", 13, ADDR_P_PM,
	NULL},
    {"<Postmaster>", 0, 0, NULL, 0, 0, "expected '@'"},
    {"<postmaster@example.com>", 0, ADDR_SMTP_PM, "postmaster@example.com", -1,
	0, NULL},
    {"<@a:Postmaster>", 0, ADDR_SMTP_PM, NULL, 0, 0, "expected '@'"},
    {"user@example.com", 0, 0, NULL, 0, 0, "expected '<'"},
    {" <u@x>", 0, 0, NULL, 0, 0, "expected '<'"},
    {"< u@x>", 0, 0, NULL, 0, 0, "expected a local part"},
    {"<u@x >", 0, 0, NULL, 0, 0, "expected '>'"},
    {"<u @x>", 0, 0, NULL, 0, 0, "expected '@'"},
    {"<u@x", 0, 0, NULL, 0, 0, "expected '>'"},
    {"<u@x>junk", 0, 0, NULL, 0, 0, "expected SP after the path"},
    {"<u@x>\r\n", 0, 0, NULL, 0, 0, "CR or LF outside a fold"},
    {"<u@x>\t", 0, 0, NULL, 0, 0, "expected SP after the path"},
    {"<u\0@x>", 6, 0, NULL, 0, 0, "NUL byte"},
    {"<u@x\0>", 6, 0, NULL, 0, 0, "NUL byte"},
    {"<u@x>\0", 6, 0, NULL, 0, 0, "NUL byte"},
    {"", 0, 0, NULL, 0, 0, "expected '<'"},
    {"<", 0, 0, NULL, 0, 0, "expected a local part"},
    {"<@", 0, 0, NULL, 0, 0, "expected a domain label"},
    {"<<u@x>>", 0, 0, NULL, 0, 0, "expected a local part"},
    {"<u@x>>", 0, 0, NULL, 0, 0, "expected SP after the path"},
    {"<u@@x>", 0, 0, NULL, 0, 0, "expected a domain label"},
    {"<u@x@y>", 0, 0, NULL, 0, 0, "expected '>'"},
    {"<\"u\"\"v\"@x>", 0, 0, NULL, 0, 0, "expected '@'"},
};

START_TEST(t_pcases)
{
	const struct pcase *c = &pcases[_i];
	struct addr_path p = ADDR_PATH_INIT;
	struct addr_err e = {0, NULL};
	size_t n = c->n == 0 ? strlen(c->in) : c->n;
	int r;

	errno = 0;
	r = addr_smtp_path(&p, c->in, n, c->flags, &e);
	if (c->want == NULL) {
		ck_assert_msg(r == -1, "case %d [%s]: accepted as [%s]", _i,
		    c->in, p.addr.s);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_uint_le(e.pos, n);
		ck_assert_msg(c->why == NULL || strcmp(e.why, c->why) == 0,
		    "case %d [%s]: why \"%s\", want \"%s\"", _i, c->in, e.why,
		    c->why);
		ck_assert_uint_eq(p.addr.len, 0);
	} else {
		ck_assert_msg(
		    r == 0, "case %d [%s]: %s at %zu", _i, c->in, e.why, e.pos);
		ck_assert_msg(strcmp(p.addr.s, c->want) == 0,
		    "case %d [%s]: got [%s]", _i, c->in, p.addr.s);
		ck_assert_msg(
		    p.params == (c->params < 0 ? n : (size_t)c->params),
		    "case %d [%s]: params at %zu", _i, c->in, p.params);
		ck_assert_msg(p.flags == c->pflags, "case %d [%s]: flags %#x",
		    _i, c->in, p.flags);
		if (!(p.flags & (ADDR_P_NULL | ADDR_P_PM))) {
			/* at: the '@' between local part and domain */
			ck_assert_int_eq(p.addr.s[p.at], '@');
			ck_assert_ptr_null(memchr(
			    p.addr.s + p.at + 1, '@', p.addr.len - p.at - 1));
		}
	}
	addr_path_free(&p);
}
END_TEST

START_TEST(t_path_limits)
{
	struct addr_path p = ADDR_PATH_INIT;
	struct addr_err e;
	struct buf b = BUF_INIT;

	/* local part: 64 yes, 65 no (RFC 5321 4.5.3.1.1) */
	ck_assert_int_eq(buf_putc(&b, '<'), 0);
	repeat(&b, 'l', 64);
	ck_assert_int_eq(buf_puts(&b, "@x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), 0);
	ck_assert_uint_eq(p.at, 64);
	buf_reset(&b);
	ck_assert_int_eq(buf_putc(&b, '<'), 0);
	repeat(&b, 'l', 65);
	ck_assert_int_eq(buf_puts(&b, "@x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "local part too long");
	ck_assert_uint_eq(e.pos, 1);
	/* quoted: the 64 count the quotes */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "<\""), 0);
	repeat(&b, ' ', 62);
	ck_assert_int_eq(buf_puts(&b, "\"@x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), 0);
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "<\""), 0);
	repeat(&b, ' ', 63);
	ck_assert_int_eq(buf_puts(&b, "\"@x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "local part too long");
	/* label: 63 yes, 64 no */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "<u@"), 0);
	repeat(&b, 'd', 63);
	ck_assert_int_eq(buf_puts(&b, ".x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), 0);
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "<u@"), 0);
	repeat(&b, 'd', 64);
	ck_assert_int_eq(buf_puts(&b, ".x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "domain label too long");
	/* a U-label may be longer in UTF-8 octets */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "<u@"), 0);
	while (b.len < 3 + 80)
		ck_assert_int_eq(buf_puts(&b, "\xc3\xa9"), 0);
	ck_assert_int_eq(buf_puts(&b, ".x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, ADDR_SMTP_UTF8, &e), 0);
	/* path: 256 yes, 257 no; domain 189 keeps it under 255 */
	buf_reset(&b);
	ck_assert_int_eq(buf_putc(&b, '<'), 0);
	repeat(&b, 'l', 64);
	ck_assert_int_eq(buf_putc(&b, '@'), 0);
	domain_of(&b, 189);
	ck_assert_int_eq(buf_putc(&b, '>'), 0);
	ck_assert_uint_eq(b.len, 256);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), 0);
	ck_assert_uint_eq(p.addr.len, 254);
	buf_reset(&b);
	ck_assert_int_eq(buf_putc(&b, '<'), 0);
	repeat(&b, 'l', 64);
	ck_assert_int_eq(buf_putc(&b, '@'), 0);
	domain_of(&b, 190);
	ck_assert_int_eq(buf_putc(&b, '>'), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "path too long");
	ck_assert_uint_eq(p.addr.len, 0);
	/* domain: 256 is too long even before the path is */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "<u@"), 0);
	domain_of(&b, 256);
	ck_assert_int_eq(buf_putc(&b, '>'), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "domain too long");
	/* a source route counts in the path */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "<@"), 0);
	domain_of(&b, 240);
	ck_assert_int_eq(buf_puts(&b, ":u@x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), 0);
	ck_assert_str_eq(p.addr.s, "u@x");
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "<@"), 0);
	domain_of(&b, 200);
	ck_assert_int_eq(buf_puts(&b, ",@"), 0);
	domain_of(&b, 60);
	ck_assert_int_eq(buf_puts(&b, ":u@x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "path too long");
	/* a hostile line: 100,000 bytes of local part */
	buf_reset(&b);
	ck_assert_int_eq(buf_putc(&b, '<'), 0);
	repeat(&b, 'a', 100000);
	ck_assert_int_eq(buf_puts(&b, "@x>"), 0);
	ck_assert_int_eq(addr_smtp_path(&p, b.s, b.len, 0, &e), -1);
	ck_assert_str_eq(e.why, "local part too long");
	/* the result is replaced, not appended */
	ck_assert_int_eq(addr_smtp_path(&p, "<a@b>", 5, 0, &e), 0);
	ck_assert_int_eq(addr_smtp_path(&p, "<c@d>", 5, 0, NULL), 0);
	ck_assert_str_eq(p.addr.s, "c@d");
	addr_path_free(&p);
	buf_free(&b);
}
END_TEST

START_TEST(t_path_every_prefix)
{
	/* every truncation and every single-byte change: no crash */
	const char *good = "<@a.b,@c.d:\"x y\\\"z\"@[IPv6:2001:db8::1]> A=B";
	struct addr_path p = ADDR_PATH_INIT;
	struct addr_err e;
	size_t n, len = strlen(good), k;
	char m[64];
	int ok = 0;
	static const char subst[] = "<>@.:,\"\\[] \0\xc3\xff";

	ck_assert_uint_lt(len, sizeof(m));
	for (n = 0; n <= len; n++)
		if (addr_smtp_path(&p, good, n, ADDR_SMTP_UTF8, &e) == 0)
			ok++;
	ck_assert_int_eq(ok, 5); /* up to ">", "> ", "> A"... */
	for (n = 0; n < len; n++) {
		for (k = 0; k < sizeof(subst) - 1; k++) {
			memcpy(m, good, len);
			m[n] = subst[k];
			if (addr_smtp_path(&p, m, len,
				ADDR_SMTP_UTF8 | ADDR_SMTP_NULL | ADDR_SMTP_PM,
				&e) == 0)
				ck_assert_uint_le(p.params, len);
			else
				ck_assert_uint_le(e.pos, len);
		}
	}
	addr_path_free(&p);
}
END_TEST

/* msg-id lists: input, flags, the ids joined by ' ' or NULL (error). */
static const struct mcase {
	const char *in;
	unsigned flags;
	const char *want;
	const char *why;
} mcases[] = {
    {"<abc@def>", ADDR_MSGID_ONE, "abc@def", NULL},
    {" (c) <abc.1@def.example> (d)\r\n", ADDR_MSGID_ONE, "abc.1@def.example",
	NULL},
    {"<a@b> <c@d>", ADDR_MSGID_ONE, NULL, "more than one msg-id"},
    {"", ADDR_MSGID_ONE, NULL, "no msg-id"},
    {"(just a comment)", ADDR_MSGID_ONE, NULL, "no msg-id"},
    {"abc@def", ADDR_MSGID_ONE, NULL, "expected '<'"},
    {"<a@b> (c) <c@d>\r\n <e@f>", 0, "a@b c@d e@f", NULL},
    {"<a@b><c@d>", 0, "a@b c@d", NULL},
    {"Your message of \"Mon\" <a@b>", 0, "a@b", NULL},
    {"<a@b> was about . this", 0, "a@b", NULL},
    {"just words", 0, "", NULL},
    {"", 0, "", NULL},
    {"<a@[1.2.3.4]>", 0, "a@[1.2.3.4]", NULL},
    {"<\"a b\"@c>", 0, "\"a b\"@c", NULL},
    {"<\"a\"@c>", 0, "a@c", NULL},
    {"<a . b @ c . d>", 0, "a.b@c.d", NULL},
    {"<a(x)@(y)b>", 0, "a@b", NULL},
    {"<a\xc3\xa9@b>", 0, "a\xc3\xa9@b", NULL},
    {"<a\xe9@b>", 0, NULL, "invalid UTF-8"},
    {"<a@b", 0, NULL, "expected '>'"},
    {"<@b>", 0, NULL, "bad id-left"},
    {"<a@>", 0, NULL, "expected a domain"},
    {"<a>", 0, NULL, "expected '@' in msg-id"},
    {"<>", 0, NULL, "expected '@' in msg-id"},
    {"<a@b>, <c@d>", 0, NULL, "expected '<' or a phrase"},
    {"<a@b>\r\n<c@d>", 0, NULL, "CR or LF outside a fold"},
    {"<a@b@c>", 0, NULL, "expected '>'"},
    {"<a..b@c>", 0, NULL, "bad id-left"},
};

START_TEST(t_mcases)
{
	const struct mcase *c = &mcases[_i];
	struct addr_msgids m = ADDR_MSGIDS_INIT;
	struct addr_err e = {0, NULL};
	struct buf got = BUF_INIT;
	size_t i;
	int r;

	errno = 0;
	r = addr_msgid_parse(&m, c->in, strlen(c->in), c->flags, &e);
	if (c->want == NULL) {
		ck_assert_msg(r == -1, "case %d [%s] accepted", _i, c->in);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_uint_eq(m.n, 0);
		ck_assert_msg(strcmp(e.why, c->why) == 0,
		    "case %d [%s]: why \"%s\", want \"%s\"", _i, c->in, e.why,
		    c->why);
	} else {
		ck_assert_msg(r == 0, "case %d [%s]: %s", _i, c->in, e.why);
		ck_assert_int_eq(buf_puts(&got, ""), 0);
		for (i = 0; i < m.n; i++)
			ck_assert_int_eq(
			    buf_printf(&got, "%s%s", i ? " " : "", m.v[i]), 0);
		ck_assert_str_eq(got.s, c->want);
	}
	addr_msgids_free(&m);
	buf_free(&got);
}
END_TEST

START_TEST(t_msgid_max)
{
	struct addr_msgids m = ADDR_MSGIDS_INIT;
	struct addr_err e;
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < ADDR_MSGID_MAX; i++)
		ck_assert_int_eq(buf_printf(&b, "<%zu@x>\r\n ", i), 0);
	ck_assert_int_eq(addr_msgid_parse(&m, b.s, b.len, 0, &e), 0);
	ck_assert_uint_eq(m.n, 1000);
	ck_assert_str_eq(m.v[999], "999@x");
	/* one more, appended: too many; the list stays as it was */
	errno = 0;
	ck_assert_int_eq(addr_msgid_parse(&m, "<y@z>", 5, 0, &e), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(m.n, 1000);
	addr_msgids_free(&m);
	/* rollback of a partial parse */
	ck_assert_int_eq(addr_msgid_parse(&m, "<a@b>", 5, 0, &e), 0);
	ck_assert_int_eq(addr_msgid_parse(&m, "<c@d> <e@f> <g", 14, 0, &e), -1);
	ck_assert_uint_eq(m.n, 1);
	addr_msgids_free(&m);
	buf_free(&b);
}
END_TEST

START_TEST(t_msgid_new)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct addr_msgids m = ADDR_MSGIDS_INIT;
	struct addr_err e;
	const char *at;

	ck_assert_int_eq(addr_msgid_new(&a, "mx.example.org"), 0);
	ck_assert_int_eq(a.s[0], '<');
	ck_assert_int_eq(a.s[a.len - 1], '>');
	ck_assert_ptr_nonnull(at = strchr(a.s, '@'));
	ck_assert_str_eq(at, "@mx.example.org>");
	ck_assert_int_eq(
	    addr_msgid_parse(&m, a.s, a.len, ADDR_MSGID_ONE, &e), 0);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_int_eq(strncmp(m.v[0], a.s + 1, a.len - 2), 0);
	/* its id-left is a dot-atom: not quoted */
	ck_assert_int_ne(m.v[0][0], '"');
	ck_assert_int_eq(addr_msgid_new(&b, "mx.example.org"), 0);
	ck_assert_str_ne(a.s, b.s);
	/* appends */
	ck_assert_int_eq(addr_msgid_new(&b, "x"), 0);
	ck_assert_ptr_nonnull(strstr(b.s, "><"));
	ck_assert_int_eq(addr_msgid_new(&b, "h\xc3\xa9.example"), 0);
	/* bad hosts */
	errno = 0;
	ck_assert_int_eq(addr_msgid_new(&b, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(addr_msgid_new(&b, "a b"), -1);
	ck_assert_int_eq(addr_msgid_new(&b, "a..b"), -1);
	ck_assert_int_eq(addr_msgid_new(&b, "a>b"), -1);
	ck_assert_int_eq(addr_msgid_new(&b, ".a"), -1);
	ck_assert_int_eq(addr_msgid_new(&b, "h\xe9"), -1);
	addr_msgids_free(&m);
	buf_free(&a);
	buf_free(&b);
}
END_TEST

/*
 * The vectors in t/data/header-vectors: "I" input, expectation lines,
 * ".".  Loaded once, before the tests run.
 */

static struct vcase vaddr[128], vid[64];
static size_t nvaddr, nvid;


START_TEST(t_vectors_loaded)
{
	/* convert.py wrote 49 address and 11 msg-id cases */
	ck_assert_uint_eq(nvaddr, 49);
	ck_assert_uint_eq(nvid, 11);
}
END_TEST

START_TEST(t_vec_addr)
{
	struct vcase *c = &vaddr[_i];
	struct addr_err e = {0, NULL};
	struct buf got = BUF_INIT;

	parse_lines(&got, c->in.s, c->in.len, 0, &e);
	ck_assert_msg(strcmp(got.s, c->want.s) == 0,
	    "address.txt line %d: got\n%s\nwant\n%s(%s at %zu)", c->line, got.s,
	    c->want.s, e.why != NULL ? e.why : "ok", e.pos);
	buf_free(&got);
}
END_TEST

START_TEST(t_vec_id)
{
	struct vcase *c = &vid[_i];
	struct addr_msgids m = ADDR_MSGIDS_INIT;
	struct addr_err e = {0, NULL};
	struct buf got = BUF_INIT;
	size_t i;

	ck_assert_int_eq(buf_puts(&got, ""), 0);
	if (addr_msgid_parse(&m, c->in.s, c->in.len, 0, &e) == -1)
		ck_assert_int_eq(buf_puts(&got, "E\n"), 0);
	for (i = 0; i < m.n; i++) {
		ck_assert_int_eq(buf_puts(&got, "M\t"), 0);
		esc(&got, m.v[i]);
		ck_assert_int_eq(buf_putc(&got, '\n'), 0);
	}
	ck_assert_msg(strcmp(got.s, c->want.s) == 0,
	    "id.txt line %d: got\n%s\nwant\n%s(%s)", c->line, got.s, c->want.s,
	    e.why != NULL ? e.why : "ok");
	addr_msgids_free(&m);
	buf_free(&got);
}
END_TEST

#define NITEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	nvaddr = vec_load("address.txt", vaddr, NITEMS(vaddr));
	nvid = vec_load("id.txt", vid, NITEMS(vid));
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_acases, 0, NITEMS(acases));
	tcase_add_test(tc, t_flags);
	tcase_add_test(tc, t_err_pos);
	tcase_add_test(tc, t_append_rollback);
	tcase_add_test(tc, t_addr_max);
	tcase_add_test(tc, t_lengths);
	tcase_add_test(tc, t_comment_depth);
	tcase_add_test(tc, t_local_canon);
	tcase_add_test(tc, t_utf8_len);
	tcase_add_test(tc, t_cfws);
	tcase_add_test(tc, t_with_msg);
	tcase_add_loop_test(tc, t_pcases, 0, NITEMS(pcases));
	tcase_add_test(tc, t_path_limits);
	tcase_add_test(tc, t_path_every_prefix);
	tcase_add_loop_test(tc, t_mcases, 0, NITEMS(mcases));
	tcase_add_test(tc, t_msgid_max);
	tcase_add_test(tc, t_msgid_new);
	tcase_add_test(tc, t_vectors_loaded);
	tcase_add_loop_test(tc, t_vec_addr, 0, (int)nvaddr);
	tcase_add_loop_test(tc, t_vec_id, 0, (int)nvid);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(addr_suite)
