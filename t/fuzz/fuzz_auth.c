/*
 * fuzz_auth: libFuzzer harness for the parsers of the authentication
 * records: the SPF record (RFC 7208 4.5, 12) and its macro-strings (7),
 * the DMARC record (RFC 7489 6.3), and the authserv-id of an
 * Authentication-Results field (RFC 8601 2.2).  The first byte chooses
 * the parser, the rest is the record.  Besides the sanitizers, it checks
 * the documented invariants: a parsed SPF term points into the input,
 * an error comes with a reason, a DMARC pct is 0 to 100, an authserv-id
 * is not empty and within its bound.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authres.h"
#include "auth/dmarc.h"
#include "auth/spf.h"
#include "base/buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
spf_record(const char *s, size_t n)
{
	struct spf_record r;
	const char *why = NULL;
	size_t i;

	memset(&r, 0, sizeof(r));
	if (spf_parse(s, n, &r, &why) == 0) {
		for (i = 0; i < r.n; i++)
			check(r.t[i].text >= s &&
			    r.t[i].text + r.t[i].textlen <= s + n);
	} else
		check(errno == ENOMEM || why != NULL);
	spf_record_free(&r);
}

static void
spf_macro(const char *s, size_t n)
{
	struct spf_req q;
	struct buf out = BUF_INIT;

	memset(&q, 0, sizeof(q));
	q.ip = "2001:db8::cb01";
	q.sender = "strong-bad@email.example.com";
	q.helo = "mx.example.org";
	q.receiver = "mx.example.net";
	q.now = 1;
	(void)spf_expand(&q, "email.example.com", s, n, 0, &out);
	(void)spf_expand(&q, "email.example.com", s, n, 1, &out);
	buf_free(&out);
}

static void
dmarc_record(const char *s, size_t n)
{
	struct dmarc_record r;
	int k;

	k = dmarc_record_parse(s, n, &r);
	if (k == 1)
		check(r.pct <= 100);
	else if (k == -1)
		check(errno == ENOMEM || r.why != NULL);
	dmarc_record_free(&r);
}

static void
servid(const char *s, size_t n)
{
	struct buf id = BUF_INIT;

	if (authres_servid(s, n, &id) == 0)
		check(id.len > 0 && id.len <= AUTHRES_ID_MAX);
	buf_free(&id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 70000)
		return 0;
	/* a copy of exactly the input: reads past it are caught */
	if ((s = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		spf_record(s, size - 1);
		break;
	case 1:
		spf_macro(s, size - 1);
		break;
	case 2:
		dmarc_record(s, size - 1);
		break;
	default:
		servid(s, size - 1);
	}
	free(s);
	return 0;
}
