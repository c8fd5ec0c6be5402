/*
 * maildir-make: make a Maildir and Maildir++ folders in it.
 * See doc/maildir-make.1.
 */
#include <errno.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "store/maildir.h"

#define USAGE	"maildir-make [-h] dir [folder ...]"

int
main(int argc, char **argv)
{
	struct buf d = BUF_INIT;
	int c, i;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "h")) != -1) {
		switch (c) {
		case 'h':
		default:
			die_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argv[0][0] == '\0')
		die_usage(USAGE);

	/* every name is checked before anything is made */
	for (i = 1; i < argc; i++) {
		if (maildir_folder_dir(argv[i], &d) == -1) {
			if (errno == ENOMEM)
				die_nomem();
			die_sys(EXIT_PERM, "bad folder name %s", argv[i]);
		}
	}
	if (maildir_make(argv[0]) == -1)
		die_sys(EXIT_TEMP, "unable to make %s", argv[0]);
	for (i = 1; i < argc; i++)
		if (maildir_make_folder(argv[0], argv[i], &d) == -1)
			die_sys(EXIT_TEMP, "unable to make folder %s in %s",
			    argv[i], argv[0]);
	buf_free(&d);
	return EXIT_DONE;
}
