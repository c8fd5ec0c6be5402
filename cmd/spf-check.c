/*
 * spf-check: SPF (RFC 7208) as a filter stage (DESIGN.md section 4): the
 * message on stdin, printed with Received-SPF and Authentication-Results
 * at the top (lib/auth/spf.c, spf_stage); or, with -i, the verdict for
 * one identity on stdout.  See doc/spf-check.8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/spf.h"
#include "base/log.h"
#include "base/num.h"
#include "base/stage.h"
#include "dns/dns.h"

#define USAGE	"spf-check [-h] [-T ms] | -i ip [-H helo] [-s sender] " \
		"[-r receiver] [-T ms]"

/* -i: "RESULT" and, for a fail with an exp=, " EXPLANATION" */
static int
one(struct spf_req *q)
{
	struct spf_res r;
	struct dns *d;
	const char *why;

	memset(&r, 0, sizeof(r));
	if ((d = dns_open(&why)) == NULL)
		die(EXIT_TEMP, "unable to set up the resolver: %s", why);
	q->dns = d;
	if (spf_check(q, &r) == -1)
		die_nomem();
	log_info("spf=%s identity=%s domain=%s mechanism=%s lookups=%d "
	    "problem=%s", spf_result_str(r.result), r.helo ? "helo" :
	    "mailfrom", r.domain.s, r.mech.len > 0 ? r.mech.s : "-",
	    r.lookups, r.problem.len > 0 ? r.problem.s : "-");
	printf("%s%s%s\n", spf_result_str(r.result), r.exp.len > 0 ? " " : "",
	    r.exp.len > 0 ? r.exp.s : "");
	if (fflush(stdout) == EOF)
		die_sys(EXIT_TEMP, "unable to write");
	spf_res_free(&r);
	dns_close(d);
	return EXIT_DONE;
}

int
main(int argc, char **argv)
{
	struct spf_req q;
	unsigned long ms = 0;
	char *sargv[4] = { "spf-check", NULL, NULL, NULL };
	int c;

	log_init("spf-check");
	memset(&q, 0, sizeof(q));
	while ((c = getopt(argc, argv, "hT:i:H:s:r:")) != -1)
		switch (c) {
		case 'T':
			if (parse_ulong(optarg, &ms, 1, 600000) == -1)
				die(EXIT_PERM, "bad -T: %s", optarg);
			sargv[1] = "-T";
			sargv[2] = optarg;
			break;
		case 'i':
			q.ip = optarg;
			break;
		case 'H':
			q.helo = optarg;
			break;
		case 's':
			q.sender = optarg;
			break;
		case 'r':
			q.receiver = optarg;
			break;
		default:
			die_usage(USAGE);
		}
	if (optind != argc || (q.ip == NULL && (q.helo != NULL ||
	    q.sender != NULL || q.receiver != NULL)))
		die_usage(USAGE);
	q.timeout_ms = (int)ms;
	if (q.ip != NULL)
		return one(&q);
	return stage_main(sargv[1] != NULL ? 3 : 1, sargv, "spf-check",
	    spf_stage);
}
