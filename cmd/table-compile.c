/*
 * table-compile: compile a text table into a CDB file, atomically.
 * The configuration directory's Makefile runs it for every table.
 */
#include <unistd.h>

#include "base/cdbtab.h"
#include "base/control.h"
#include "base/log.h"

static const char usage[] = "table-compile [-hl] [-m mode] src dst";

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
	int c, flags = 0;
	long n;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "hlm:")) != -1) {
		switch (c) {
		case 'l':
			flags |= CDBTAB_LOWER;
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
