/*
 * dkim-keygen: make a DKIM key pair, write the private key, print the
 * DNS record to publish.  See doc/dkim-keygen.8; the work is in
 * lib/auth/keygen.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/keygen.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/num.h"
#include "dns/dns.h"

#define USAGE	"dkim-keygen [-gh] [-b bits] [-t type] -k keyfile domain " \
		"selector"

int
main(int argc, char **argv)
{
	struct buf rec = BUF_INIT, name = BUF_INIT, line = BUF_INIT,
	    dom = BUF_INIT;
	enum keygen_kind kind = KEYGEN_RSA;
	unsigned long bits = KEYGEN_RSA_BITS;
	const char *key = NULL;
	mode_t mode = 0600;
	int c;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "b:ghk:t:")) != -1)
		switch (c) {
		case 'b':
			if (parse_ulong(optarg, &bits, KEYGEN_RSA_MIN,
			    KEYGEN_RSA_MAX) == -1)
				die(EXIT_PERM, "bad -b: %s (%d to %d)", optarg,
				    KEYGEN_RSA_MIN, KEYGEN_RSA_MAX);
			break;
		case 'g':
			mode = 0640;	/* the signer's group reads it */
			break;
		case 'k':
			key = optarg;
			break;
		case 't':
			if (strcmp(optarg, "rsa") == 0)
				kind = KEYGEN_RSA;
			else if (strcmp(optarg, "ed25519") == 0)
				kind = KEYGEN_ED25519;
			else
				die(EXIT_PERM, "bad -t: %s (rsa or ed25519)",
				    optarg);
			break;
		default:
			die_usage(USAGE);
		}
	if (key == NULL || argc - optind != 2)
		die_usage(USAGE);
	/* the selector and the domain must make a name that can be asked */
	if (buf_printf(&name, "%s._domainkey.%s", argv[optind + 1],
	    argv[optind]) == -1)
		die_nomem();
	if (dns_name_ascii(name.s, &dom) == -1)
		die(EXIT_PERM, "not a DNS name: %s", name.s);
	if (keygen_make(kind, (unsigned)bits, key, mode, &rec) == -1) {
		if (errno == EEXIST)
			die(EXIT_PERM, "%s exists: a key in use is never "
			    "replaced; use a new selector", key);
		die_sys(EXIT_TEMP, "unable to make the key %s", key);
	}
	if (keygen_zone_line(dom.s, rec.s, &line) == -1 ||
	    buf_putc(&line, '\n') == -1)
		die_nomem();
	if (fwrite(line.s, 1, line.len, stdout) != line.len ||
	    fflush(stdout) == EOF)
		die_sys(EXIT_TEMP, "unable to write the record (the key %s is "
		    "made)", key);
	log_info("made key=%s type=%s selector=%s domain=%s", key,
	    kind == KEYGEN_RSA ? "rsa" : "ed25519", argv[optind + 1],
	    argv[optind]);
	buf_free(&rec);
	buf_free(&name);
	buf_free(&line);
	buf_free(&dom);
	return EXIT_DONE;
}
