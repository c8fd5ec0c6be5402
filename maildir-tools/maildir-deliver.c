/*
 * maildir-deliver: deliver the message on stdin into a Maildir (or one of
 * its Maildir++ folders).  See doc/maildir-deliver.8.
 */
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/num.h"
#include "store/maildir.h"

#define USAGE	"maildir-deliver [-hv] [-d delivered-to] [-F folder] " \
		"[-f return-path] [-s maxsize] dir"

static size_t	parse_size(const char *);
static int	has_control(const char *);

/* The added fields must stay one line each (maildir_deliver's EINVAL). */
static int
has_control(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* A decimal byte count; die_usage on anything else. */
static size_t
parse_size(const char *s)
{
	unsigned long n;

	if (parse_ulong(s, &n, 0, SIZE_MAX) == -1)
		die_usage(USAGE);
	return n;
}

int
main(int argc, char **argv)
{
	struct maildir_delivery d = { NULL, NULL, 0 };
	struct buf dir = BUF_INIT, fdir = BUF_INIT, name = BUF_INIT;
	const char *folder = NULL;
	int c, verbose = 0, save;

	log_init(argv[0]);
	/* a file size limit must make write(2) fail (EFBIG), not kill us */
	signal(SIGXFSZ, SIG_IGN);
	while ((c = getopt(argc, argv, "hvf:d:s:F:")) != -1) {
		switch (c) {
		case 'f':
			d.return_path = optarg;
			break;
		case 'd':
			d.delivered_to = optarg;
			break;
		case 's':
			d.maxsize = parse_size(optarg);
			break;
		case 'F':
			folder = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
		default:
			die_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || argv[0][0] == '\0')
		die_usage(USAGE);

	if (buf_puts(&dir, argv[0]) == -1)
		die_nomem();
	if (folder != NULL) {
		if (maildir_folder_dir(folder, &fdir) == -1) {
			if (errno == ENOMEM)
				die_nomem();
			die_sys(EXIT_PERM, "bad folder name %s", folder);
		}
		if (fdir.len > 0 && buf_printf(&dir, "/%s", fdir.s) == -1)
			die_nomem();
	}
	/* checked here, so that EINVAL below is the system's, temporary */
	if (has_control(d.return_path) || has_control(d.delivered_to))
		die(EXIT_PERM, "control character in -f or -d");

	if (maildir_deliver(dir.s, 0, &d, &name) == -1) {
		save = errno;
		if (save == EFBIG)
			die(EXIT_PERM, "message too large dir=%s maxsize=%zu",
			    dir.s, d.maxsize);
		die_sys(EXIT_TEMP, "unable to deliver to %s", dir.s);
	}
	log_info("delivered dir=%s file=new/%s", dir.s, name.s);
	if (verbose && printf("%s/new/%s\n", dir.s, name.s) < 0)
		die_sys(EXIT_TEMP, "unable to write to stdout");
	if (fflush(stdout) == EOF)
		die_sys(EXIT_TEMP, "unable to write to stdout");
	buf_free(&dir);
	buf_free(&fdir);
	buf_free(&name);
	return EXIT_DONE;
}
