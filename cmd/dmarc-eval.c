/*
 * dmarc-eval: DMARC (RFC 7489) as a filter stage (DESIGN.md section 4):
 * the message on stdin, printed with its Authentication-Results dmarc=
 * result at the top (lib/auth/dmarc_stage.c); exits 100 with a 550 for
 * a p=reject failure.  See doc/dmarc-eval.8.
 */
#include <unistd.h>

#include "auth/dmarc_stage.h"
#include "base/log.h"
#include "base/num.h"
#include "base/stage.h"

#define USAGE	"dmarc-eval [-h] [-T ms]"

int
main(int argc, char **argv)
{
	unsigned long ms;
	char *sargv[4] = { "dmarc-eval", NULL, NULL, NULL };
	int c;

	log_init("dmarc-eval");
	while ((c = getopt(argc, argv, "hT:")) != -1)
		switch (c) {
		case 'T':
			if (parse_ulong(optarg, &ms, 1, 600000) == -1)
				die(EXIT_PERM, "bad -T: %s", optarg);
			sargv[1] = "-T";
			sargv[2] = optarg;
			break;
		default:
			die_usage(USAGE);
		}
	if (optind != argc)
		die_usage(USAGE);
	return stage_main(sargv[1] != NULL ? 3 : 1, sargv, "dmarc-eval",
	    dmarc_stage);
}
