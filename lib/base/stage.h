/*
 * stage: a filter of the chain (DESIGN.md section 4) written so that it
 * runs the same as a program of its own and inside smtp-recv.  A stage
 * is a function over a struct stage_io: the message on in (read to its
 * end), the message as it goes on written to out, its environment as
 * NAME=VALUE strings, and its log lines collected in err, one line each,
 * "name: level: key=value ..." (the last one is the SMTP reply when it
 * exits 100 or 111).  As a program (stage_main) that is fds 0 and 1, the
 * process's environment, and err written to fd 2; inside smtp-recv it is
 * the spool files, the environment smtp-recv would give the program, and
 * err passed on to smtp-recv's log: the same code, the same bytes out,
 * no fork or exec.
 *
 * A stage never calls exit or the log_* functions (their lines would
 * name smtp-recv) and keeps no state between calls.
 *
 * Return convention: a stage returns its exit code (0, EXIT_PERM,
 * EXIT_TEMP); the others 0 / -1 with errno set.
 */
#ifndef POSTERN_STAGE_H
#define POSTERN_STAGE_H

#include <stdarg.h>

#include "base/buf.h"
#include "base/log.h"

struct stage_io {
	const char	*name;		/* the stage's name, for its lines */
	char *const	*envp;
	int		 in, out;
	struct buf	 err;
};

typedef int (*stage_fn)(int argc, char *const argv[], struct stage_io *);

struct stage_builtin {
	const char	*name;		/* as argv[0] names it in smtp-filters */
	stage_fn	 run;
};

/* The value of NAME in the stage's environment, or NULL. */
const char *stage_getenv(const struct stage_io *, const char *name);

/* A line "NAME: LEVEL: ..." into err (LOG_LINE_MAX at most); a line of
 * LOG_FATAL is written "fatal", as log.h does. */
void	stage_log(struct stage_io *, enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* The last line of err (without its newline), for the reply. */
void	stage_lastline(const struct stage_io *, const char **s, size_t *n);

/*
 * A stage as a program: its main is `return stage_main(argc, argv,
 * NAME, fn);`.  Runs fn on fds 0 and 1 with the environment, writes err
 * to fd 2, and returns fn's code (111 when stdout cannot be written).
 */
int	stage_main(int argc, char **argv, const char *name, stage_fn);

/* The builtin called name in the table (ending with a NULL name), or
 * NULL: argv0 with a '/' is never a builtin (an explicit path runs that
 * program). */
const struct stage_builtin *stage_find(const struct stage_builtin *,
	    const char *argv0);

#endif
