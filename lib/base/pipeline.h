/*
 * pipeline: run programs as one pipeline, stage[0] | stage[1] | ..., with
 * posix_spawnp (no shell, one exec per stage), and collect how each one
 * ended and the last line each wrote on stderr (DESIGN.md section 4: a
 * filter that fails says why there, as an SMTP reply).
 *
 * Every line a stage writes on stderr is passed on to our own stderr (the
 * log), whole lines, one write(2) each, cut at LOG_LINE_MAX (the rest of
 * a longer line is dropped, so a stage's reply stays its last line).
 *
 * Return convention: 0 when every stage that could be started has been
 * waited for (each stage's status then says how it ended; one that could
 * not be exec'd has spawn_errno set and code -1), -1 with errno on a
 * system error or when the timeout passed (ETIMEDOUT); in both cases all
 * stages that were started have been killed (on timeout) and reaped.
 */
#ifndef POSTERN_PIPELINE_H
#define POSTERN_PIPELINE_H

#include <stddef.h>

#include "base/buf.h"

#define PIPELINE_MAX	32	/* stages at most */

struct pipeline_stage {
	char *const	*argv;	/* in: argv[0] is looked up in PATH */
	int		 code;	/* out: exit code; 128 + N for signal N;
				 * -1 not started or lost */
	int		 sig;	/* out: the signal that ended it, or 0 */
	int	 spawn_errno;	/* out: != 0 when it could not start */
	struct buf	 lastline; /* out: last stderr line, no newline */
};

/*
 * Run n stages with envp.  The first reads infd; the last writes outfd,
 * or, when outfd is -1, its stdout is read into out (at most outmax
 * bytes; more is read and dropped).  timeout_ms < 0: no limit.
 * SIGPIPE, SIGXFSZ and the other signals smtp-recv changes are reset to
 * their defaults in the stages.
 */
int	pipeline_run(struct pipeline_stage *, size_t n, char *const envp[],
	    int infd, int outfd, struct buf *out, size_t outmax,
	    int timeout_ms);

void	pipeline_free(struct pipeline_stage *, size_t n);

#endif
