/*
 * fuzz_msg: libFuzzer harness for the message and MIME parsers (lib/msg,
 * lib/mime, lib/codec).  The input is one message.  Besides the
 * sanitizers, it checks the documented invariants and aborts when one is
 * broken: offsets inside the input and inside the parent part, decoded
 * output within its cap, every decoded header and file name valid UTF-8
 * without NUL, base64 and binary quoted-printable round trips.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "mail/codec.h"
#include "mail/mime.h"
#include "mail/msg.h"

#define DECODE_CAP	(64 * 1024)	/* bytes of one decoded body */
#define SMALL		4096		/* inputs for the costlier checks */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* Decoded header text: valid UTF-8 and no NUL. */
static void
check_text(const struct buf *b)
{
	check(utf8_valid(b->s, b->len));
	check(b->len == 0 || memchr(b->s, '\0', b->len) == NULL);
}

static void
ct_check(const char *s, size_t n, int disp)
{
	struct mime_ct ct;
	size_t i;
	int r;

	r = mime_ct_parse(&ct, s, n, disp);
	if (r == 0) {
		check(ct.type != NULL && *ct.type != '\0');
		check(disp ? ct.subtype == NULL : ct.subtype != NULL);
		check(ct.nparams <= MIME_PARAMS_MAX);
		for (i = 0; i < ct.nparams; i++) {
			check(ct.params[i].name != NULL);
			check(ct.params[i].value != NULL);
			check(utf8_valid(ct.params[i].value,
			    strlen(ct.params[i].value)));
			check(mime_ct_param(&ct, ct.params[i].name) != NULL);
		}
	} else
		check(errno == EINVAL || errno == ENOMEM);
	mime_ct_free(&ct);
}

static void
headers(const uint8_t *data, size_t size)
{
	static const unsigned modes[] = {
		RFC2047_TEXT, RFC2047_PHRASE, RFC2047_COMMENT, RFC2047_LAX,
	};
	struct msg_hdr h;
	struct msg_field f;
	struct buf v = BUF_INIT, d = BUF_INIT;
	unsigned fl;
	size_t i;
	long off;
	int r;

	msg_hdr_init(&h, data, size);
	while ((r = msg_hdr_next(&h, &f)) == 1) {
		check((const uint8_t *)f.raw >= data &&
		    (const uint8_t *)f.raw + f.rawlen <= data + size);
		check(f.value >= f.raw &&
		    f.value + f.valuelen <= f.raw + f.rawlen);
		check(msg_unfold(&v, f.value, f.valuelen) == 0);
		check(v.len <= f.valuelen);
		check(msg_field_value(&v, &f) == 0);
		check(v.len <= f.valuelen);
		if (msg_field_is(&f, "subject")) {
			for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
				buf_reset(&d);
				fl = 0;
				check(rfc2047_decode(&d, v.s, v.len, modes[i],
				    &fl) == 0);
				check_text(&d);
			}
		} else if (msg_field_is(&f, "content-type"))
			ct_check(v.s, v.len, 0);
		else if (msg_field_is(&f, "content-disposition"))
			ct_check(v.s, v.len, 1);
	}
	if (r == 0)
		check(h.body <= size);
	off = msg_body_offset(data, size);
	check(off == -1 || (size_t)off <= size);
	buf_free(&v);
	buf_free(&d);
}

static void
tree(const uint8_t *data, size_t size)
{
	struct mime_tree t;
	const struct mime_part *p, *q;
	struct buf d = BUF_INIT;
	unsigned fl;
	size_t i;
	int r;

	r = mime_parse(&t, data, size);
	if (r == -1)
		check(t.error == ELOOP || t.error == E2BIG ||
		    t.error == EMSGSIZE || t.error == ENOMEM);
	check(r == 0 ? t.nparts >= 1 : 1);
	check(t.nparts <= MIME_PARTS_MAX);
	for (i = 0; i < t.nparts; i++) {
		p = &t.parts[i];
		check(p->hdr <= p->body && p->body <= p->end &&
		    p->end <= size);
		check(p->type != NULL && p->subtype != NULL);
		check(p->depth <= MIME_DEPTH_MAX);
		check(p->next > i && p->next <= t.nparts);
		if (i == 0)
			check(p->parent == MIME_NONE && p->depth == 0);
		else {
			check(p->parent < i);
			q = &t.parts[p->parent];
			check(p->depth == q->depth + 1);
			check(q->body <= p->hdr && p->end <= q->end);
			check(q->next >= p->next);
		}
		if (p->filename != NULL)
			check(utf8_valid(p->filename, strlen(p->filename)));
		buf_reset(&d);
		fl = 0;
		if (mime_body_decode(&d, &t, i, DECODE_CAP, &fl) == -1)
			check(errno == EMSGSIZE || errno == ENOMEM);
		check(d.len <= DECODE_CAP);
	}
	mime_free(&t);
	buf_free(&d);
}

static void
codecs(const uint8_t *data, size_t size)
{
	static const char *const charsets[] = {
		"utf-8", "iso-8859-1", "iso-2022-jp", "utf-16", "utf-7",
		"shift_jis", "gb18030", "euc-kr", "koi8-r", "windows-1252",
		"big5", "x-unknown",
	};
	struct buf e = BUF_INIT, d = BUF_INIT;
	unsigned fl = 0;

	if (size > SMALL)
		size = SMALL;
	/* base64: encode, then both decoders give the input back */
	check(b64_encode_lines(&e, data, size, 76, NULL) == 0);
	check(b64_decode(&d, e.s, e.len, CODEC_NOMAX, &fl) == 0);
	check(fl == 0 && d.len == size && memcmp(d.s, data, size) == 0);
	buf_reset(&d);
	check(b64_decode_strict(&d, e.s, e.len, 1) == 0);
	check(d.len == size && memcmp(d.s, data, size) == 0);
	/* quoted-printable, binary: the same */
	buf_reset(&e);
	buf_reset(&d);
	check(qp_encode(&e, data, size, QP_BINARY) == 0);
	check(qp_decode(&d, e.s, e.len, 0, CODEC_NOMAX, &fl) == 0);
	check(d.len == size && memcmp(d.s, data, size) == 0);
	/* the decoders on the raw input, with a small cap */
	buf_reset(&d);
	if (b64_decode(&d, data, size, 100, &fl) == -1)
		check(errno == EMSGSIZE && d.len == 100);
	buf_reset(&d);
	if (qp_decode(&d, data, size, QP_HEADER, 100, &fl) == -1)
		check(errno == EMSGSIZE && d.len == 100);
	buf_reset(&d);
	if (b64_decode_strict(&d, data, size, 0) == -1)
		check(errno == EINVAL && d.len == 0);
	/* header words, RFC 2231 values, charsets, UTF-8 */
	buf_reset(&d);
	check(rfc2047_decode(&d, (const char *)data, size, RFC2047_LAX,
	    &fl) == 0);
	check_text(&d);
	buf_reset(&d);
	check(rfc2231_value(&d, (const char *)data, size, &e, &fl) == 0);
	check(utf8_valid(d.s, d.len));
	buf_reset(&d);
	if (size > 0) {
		if (charset_to_utf8(&d, charsets[data[0] % (sizeof(charsets) /
		    sizeof(charsets[0]))], data + 1, size - 1, &fl) == 0)
			check(utf8_valid(d.s, d.len));
		else
			check(errno == EINVAL && d.len == 0);
	}
	buf_reset(&d);
	check(utf8_repair(&d, data, size, 1, &fl) == 0);
	check_text(&d);
	check(utf8_valid(data, size) == (d.len == size &&
	    memcmp(d.s, data, size) == 0 && memchr(data, 0, size) == NULL) ||
	    memchr(data, 0, size) != NULL);
	buf_free(&e);
	buf_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	headers(data, size);
	tree(data, size);
	codecs(data, size);
	return 0;
}
