/*
 * smtpd: the server side of SMTP (RFC 5321) for smtp-recv: one session on
 * a pair of file descriptors, with PIPELINING (RFC 2920), SIZE (1870),
 * 8BITMIME (6152), SMTPUTF8 (6531), ENHANCEDSTATUSCODES (2034, 3463),
 * STARTTLS (3207), CHUNKING and BINARYMIME (3030), LIMITS (9422),
 * REQUIRETLS (8689) and the DSN parameters (3461).
 *
 * A message is spooled to an unlinked temporary file with our Received
 * field on top, run through the filter chain (DESIGN.md section 4) and
 * handed to queue-inject; the client gets the first failing stage's
 * answer or queue-inject's queue id.  doc/smtp-recv.8 is the reference.
 *
 * Return convention: smtpd_serve returns the exit code of the session
 * (0 ended by QUIT or by the client, 100 ended by us for the client's
 * fault: early talker, timeout, too many errors; 111 a local failure).
 * smtpd_conf_load returns 0, or -1 with errno set and the name of the
 * bad control file in *bad_r.  The DATA decoder is in smtpd_dot.h.
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <stddef.h>

#include "base/buf.h"

/* RFC 5321 4.5.3.1.4 gives 512 for a command line; extensions add to
 * it (RFC 1870, 3461: up to several hundred bytes of parameters), so we
 * take 4096, CRLF included. */
#define SMTPD_CMD_MAX	4096
/* RFC 2920 and 5321 4.5.3.1.10: SMTP_RCPT in the filters' environment
 * is cut, at a recipient, past this many bytes (Linux MAX_ARG_STRLEN). */
#define SMTPD_RCPTENV_MAX	100000
/* Commands of one transaction other than RCPT and BDAT (NOOP, VRFY,
 * HELP, ...) between MAIL and its end; past it 421. */
#define SMTPD_TXN_OTHER_MAX	100

struct smtpd_conf {
	char		*hostname;	/* control file "me" */
	unsigned long	 maxsize;	/* smtp-maxsize, 0: no limit */
	unsigned long	 maxrcpt;	/* smtp-maxrcpt */
	unsigned long	 maxerrors;	/* smtp-maxerrors */
	unsigned long	 maxcommands;	/* smtp-maxcommands */
	int		 timeout_ms;	/* smtp-timeout */
	int		 data_timeout_ms;	/* smtp-data-timeout */
	unsigned long	 data_rate;	/* smtp-data-rate, bytes/s; 0 off */
	long		 session_timeout_ms;	/* smtp-session-... */
	int		 stress_timeout_ms;	/* smtp-stress-timeout */
	int		 greeting_delay_ms;	/* smtp-greeting-delay */
	char		*tls_cert, *tls_key;	/* NULL: no STARTTLS */
	char	      ***filters;	/* smtp-filters: argv each */
	size_t		 nfilters;
	char		*inject;	/* "queue-inject" */
	int		 relayclient;	/* RELAYCLIENT is set */
	int		 bare_lf_reject; /* smtp-bare-lf: reject */
	/* UCSPI (tcpserver) */
	char		*remoteip, *remotehost, *remoteport;
	char		*localip, *localport;
};

/*
 * Fill conf from the control files (lib/control.h) and the environment,
 * with the defaults of doc/smtp-recv.8 for missing files.
 */
int	smtpd_conf_load(struct smtpd_conf *, const char **bad_r);
/* Just the TLS certificate and key files (control files tls-cert and
 * tls-key): both when both can be read, else both NULL; -1 (with *bad_r)
 * when a control file is malformed or on a system error. */
int	smtpd_tls_files(char **cert, char **key, const char **bad_r);
void	smtpd_conf_free(struct smtpd_conf *);

/* Serve one session: greeting to QUIT, EOF or a fatal error. */
int	smtpd_serve(const struct smtpd_conf *, int rfd, int wfd);

/*
 * postern's own filter stages (stage.h) that the chain runs in-process
 * when smtp-filters names them (by name, not by a path); the table ends
 * with a NULL name.  NULL (the default): every stage is a program.
 */
struct stage_builtin;
void	smtpd_set_builtins(const struct stage_builtin *);

/*
 * The replies of the listening process (serve_opts): past the session
 * limit, and past a client's limits, each with CRLF, named by control
 * file "me" (when it cannot be read: warned, the system's host name).
 * 0 (free both), or -1 with errno set.
 */
int	smtpd_refusals(char **busy_r, char **limit_r);

/* When the configuration cannot be read: a 421 reply on wfd. */
void	smtpd_unavailable(int wfd);

/*
 * Is line a valid one-line SMTP reply of class cls ('4' or '5') as a
 * filter may give it on stderr?  When it lacks an enhanced status code
 * (RFC 2034), one ("cls.0.0") is inserted into out.  1 valid (out set),
 * 0 not.
 */
int	smtpd_filter_reply(const char *line, size_t n, int cls,
	    struct buf *out);

#endif
