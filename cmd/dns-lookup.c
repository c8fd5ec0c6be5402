/*
 * dns-lookup: ask what postern's programs would ask, through the same
 * resolver (lib/dns: POSTERN_RESOLVER, dns-forward, the trust anchor)
 * and print each answer, one record a line.  See doc/dns-lookup.8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/num.h"
#include "dns/dns.h"

#define USAGE	"dns-lookup [-h] [-t type] [-T ms] name ..."

static const struct { const char *name; int type; } types[] = {
	{ "A", DNS_T_A }, { "AAAA", DNS_T_AAAA }, { "MX", DNS_T_MX },
	{ "TXT", DNS_T_TXT }, { "PTR", DNS_T_PTR }, { "CNAME", DNS_T_CNAME },
	{ "TLSA", DNS_T_TLSA },
};

static const char *
type_name(int t)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == t)
			return types[i].name;
	return "?";
}

/* The value of rr as printed: TXT quoted with \DDD escapes, TLSA in hex. */
static int
put_value(struct buf *b, const struct dns_rr *rr)
{
	size_t i;

	switch (rr->type) {
	case DNS_T_MX:
		return buf_printf(b, "%u %s", rr->pref, rr->text);
	case DNS_T_TXT:
		if (buf_putc(b, '"') == -1)
			return -1;
		for (i = 0; i < rr->len; i++) {
			unsigned char c = (unsigned char)rr->text[i];

			if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
				if (buf_putc(b, (char)c) == -1)
					return -1;
			} else if (buf_printf(b, "\\%03u", c) == -1)
				return -1;
		}
		return buf_putc(b, '"');
	case DNS_T_TLSA:
		if (buf_printf(b, "%u %u %u ", rr->usage, rr->selector,
		    rr->mtype) == -1)
			return -1;
		for (i = 0; i < rr->dlen; i++)
			if (buf_printf(b, "%02x", rr->data[i]) == -1)
				return -1;
		return 0;
	default:
		return buf_puts(b, rr->text != NULL ? rr->text : "");
	}
}

int
main(int argc, char **argv)
{
	struct dns_answer a;
	struct buf line = BUF_INIT;
	struct dns *d;
	const char *why;
	unsigned long ms = DNS_TIMEOUT_MS;
	size_t i;
	int c, type = DNS_T_A, rc = EXIT_DONE;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "ht:T:")) != -1)
		switch (c) {
		case 't':
			for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
				if (strcasecmp(optarg, types[i].name) == 0)
					break;
			if (i == sizeof(types) / sizeof(types[0]))
				die(EXIT_PERM, "unknown type: %s", optarg);
			type = types[i].type;
			break;
		case 'T':
			if (parse_ulong(optarg, &ms, 1, 600000) == -1)
				die(EXIT_PERM, "bad -T: %s", optarg);
			break;
		default:
			die_usage(USAGE);
		}
	if (optind >= argc)
		die_usage(USAGE);
	if ((d = dns_open(&why)) == NULL)
		die(EXIT_TEMP, "unable to set up the resolver: %s", why);
	for (; optind < argc; optind++) {
		if (dns_query(d, argv[optind], type, (int)ms, &a) == -1)
			die_nomem();
		buf_reset(&line);
		if (a.status != DNS_OK) {
			/* no records: permanent for no name or no data */
			if (buf_printf(&line, "%s %s %s sec=%s%s%s\n",
			    argv[optind], type_name(type),
			    dns_status_str(a.status), a.sec == DNS_SECURE ?
			    "secure" : a.sec == DNS_BOGUS ? "bogus" : "insecure",
			    a.why != NULL ? " why=" : "", a.why != NULL ?
			    a.why : "") == -1)
				die_nomem();
			if (a.status == DNS_NXDOMAIN || a.status == DNS_NODATA ||
			    a.status == DNS_BADNAME) {
				if (rc == EXIT_DONE)
					rc = EXIT_PERM;
			} else
				rc = EXIT_TEMP;
		}
		for (i = 0; i < a.n; i++)
			if (buf_printf(&line, "%s %s %lu sec=%s ", argv[optind],
			    type_name(type), (unsigned long)a.rr[i].ttl,
			    a.sec == DNS_SECURE ? "secure" : "insecure") == -1 ||
			    put_value(&line, &a.rr[i]) == -1 ||
			    buf_putc(&line, '\n') == -1)
				die_nomem();
		if (fwrite(line.s, 1, line.len, stdout) != line.len)
			die_sys(EXIT_TEMP, "unable to write");
		dns_answer_free(&a);
	}
	if (fflush(stdout) == EOF)
		die_sys(EXIT_TEMP, "unable to write");
	dns_close(d);
	buf_free(&line);
	return rc;
}
