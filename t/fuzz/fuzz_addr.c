/*
 * fuzz_addr: libFuzzer harness for the RFC 5322 address, Message-ID and
 * date parsers and the RFC 5321 path parser.  The first byte picks the
 * flags; the rest is the field value.  Whatever parses must parse again to
 * the same canonical form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr.h"
#include "mail/date.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list l = ADDR_LIST_INIT;
	struct addr_path p = ADDR_PATH_INIT, p2 = ADDR_PATH_INIT;
	struct addr_msgids m = ADDR_MSGIDS_INIT;
	struct addr_err err;
	struct buf b = BUF_INIT;
	struct date d;
	const char *s, *why;
	unsigned flags;
	size_t n, i;

	if (size < 1)
		return 0;
	flags = data[0];
	s = (const char *)data + 1;
	n = size - 1;

	if (addr_parse(&l, s, n, flags & 1 ? ADDR_NOGROUP : 0, &err) == 0) {
		for (i = 0; i < l.n; i++) {
			buf_reset(&b);
			if (addr_spec(&b, &l.v[i]) != 0)
				abort();
		}
	}
	addr_list_free(&l);

	if (addr_smtp_path(&p, s, n, flags & 7, &err) == 0) {
		if (p.params > n)
			abort();
		/* the canonical path parses again to itself */
		buf_reset(&b);
		if (buf_printf(&b, "<%s>", p.addr.s) == -1)
			abort();
		if (!(p.flags & (ADDR_P_NULL | ADDR_P_PM)) &&
		    addr_smtp_path(&p2, b.s, b.len, flags & 7, &err) == 0 &&
		    strcmp(p.addr.s, p2.addr.s) != 0)
			abort();
	}
	addr_path_free(&p);
	addr_path_free(&p2);

	addr_msgid_parse(&m, s, n, flags & 8 ? ADDR_MSGID_ONE : 0, &err);
	addr_msgids_free(&m);

	if (date_parse(s, n, &d, &why) == 0) {
		buf_reset(&b);
		(void)date_format(&b, d.t, d.zone);
	}
	buf_free(&b);
	return 0;
}
