/*
 * table-compile: compile a text table into a CDB file, atomically.
 * The configuration directory's Makefile runs it for every table; with
 * -p, src is the public suffix list and dst the psl.cdb of lib/auth/psl.h.
 */
#include <unistd.h>

#include "auth/psl.h"
#include "base/cdbtab.h"
#include "base/control.h"
#include "base/log.h"

static const char usage[] = "table-compile [-hlp] [-m mode] src dst";

/* An octal mode of 1 to 4 digits. */
static int
parse_mode(const char *s, unsigned long *m)
{
	size_t i;

	*m = 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 4 || s[i] < '0' || s[i] > '7')
			return -1;
		*m = *m * 8 + (unsigned long)(s[i] - '0');
	}
	return i > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	unsigned long mode = 0644, line;
	const char *why;
	int c, flags = 0, psl = 0;
	long n;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "hlm:p")) != -1) {
		switch (c) {
		case 'l':
			flags |= CDBTAB_LOWER;
			break;
		case 'p':
			psl = 1;
			break;
		case 'm':
			if (parse_mode(optarg, &mode) == -1)
				die_usage(usage);
			break;
		default:
			die_usage(usage);
		}
	}
	if (argc - optind != 2)
		die_usage(usage);
	if (psl) {
		n = psl_compile(argv[optind], argv[optind + 1], (unsigned)mode,
		    &line, &why);
		if (n < 0 && why != NULL)
			die(EXIT_TEMP, "%s line %lu: %s; %s unchanged",
			    argv[optind], line, why, argv[optind + 1]);
		if (n < 0)
			die_sys(EXIT_TEMP, "unable to compile %s into %s",
			    argv[optind], argv[optind + 1]);
		log_info("table=%s rules=%ld", argv[optind + 1], n);
		return 0;
	}
	n = cdbtab_compile(argv[optind], argv[optind + 1], flags,
	    (unsigned)mode, &line);
	if (n < 0) {
		/* DESIGN.md 6: name the file and line, exit 111, change nothing */
		if (line > 0)
			die(EXIT_TEMP, "%s line %lu: malformed entry; %s unchanged",
			    argv[optind], line, argv[optind + 1]);
		die_sys(EXIT_TEMP, "unable to compile %s into %s",
		    argv[optind], argv[optind + 1]);
	}
	log_info("table=%s entries=%ld", argv[optind + 1], n);
	return 0;
}
