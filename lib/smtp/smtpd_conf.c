/*
 * smtpd_conf: smtp-recv's configuration, from control files and the
 * environment tcpserver or tcp-listen set.  See smtpd.h and
 * postern-conf(5).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/control.h"
#include "base/pipeline.h"
#include "queue/queue.h"
#include "smtp/smtpd.h"

static int
conf_ulong(const char *name, unsigned long *v, unsigned long def,
    unsigned long min, unsigned long max, const char **bad_r)
{
	int r = control_ulong(name, v, min, max);

	if (r == -1) {
		*bad_r = name;
		return -1;
	}
	if (r == 0)
		*v = def;
	return 0;
}

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? strdup(v) : NULL;
}

/* smtp-filters: one command per line, words split on blanks */
static int
load_filters(struct smtpd_conf *c)
{
	struct buf lines = BUF_INIT;
	size_t count, i, nw;
	char *p, *next, *w, **argv;
	int r;

	if ((r = control_lines("smtp-filters", &lines, &count)) <= 0) {
		buf_free(&lines);
		return r;
	}
	if (count > PIPELINE_MAX) {
		buf_free(&lines);
		errno = E2BIG;
		return -1;
	}
	if ((c->filters = calloc(count + 1, sizeof(*c->filters))) == NULL)
		goto nomem;
	for (i = 0, p = lines.s; i < count; i++, p = next) {
		next = p + strlen(p) + 1;	/* before strtok cuts p */
		if ((argv = calloc(strlen(p) / 2 + 2, sizeof(*argv))) == NULL)
			goto nomem;
		c->filters[i] = argv;
		c->nfilters++;
		nw = 0;
		for (w = strtok(p, " \t"); w != NULL; w = strtok(NULL, " \t"))
			if ((argv[nw++] = strdup(w)) == NULL)
				goto nomem;
	}
	buf_free(&lines);
	return 1;
nomem:
	buf_free(&lines);
	return -1;
}

/* The file control file name names (default dflt, relative to the
 * configuration directory), into *out when it can be read, else NULL. */
static int
tls_file(const char *name, const char *dflt, char **out, const char **bad_r)
{
	struct buf b = BUF_INIT, path = BUF_INIT;
	int r;

	*out = NULL;
	if ((r = control_line(name, &b)) == -1) {
		*bad_r = name;
		buf_free(&b);
		return -1;
	}
	r = control_path(&path, r ? b.s : dflt);
	buf_free(&b);
	if (r == -1) {
		*bad_r = name;
		return -1;
	}
	if (access(path.s, R_OK) == 0)
		*out = buf_steal(&path);
	buf_free(&path);
	return 0;
}

int
smtpd_tls_files(char **cert, char **key, const char **bad_r)
{
	/* STARTTLS is offered when both can be read (they are loaded only
	 * on STARTTLS, or ahead by the listening process) */
	int r = 0;

	*key = NULL;
	if (tls_file("tls-cert", "tls/cert.pem", cert, bad_r) == -1 ||
	    tls_file("tls-key", "tls/key.pem", key, bad_r) == -1)
		r = -1;
	if (r == -1 || *cert == NULL || *key == NULL) {
		free(*cert);
		free(*key);
		*cert = *key = NULL;
	}
	return r;
}

int
smtpd_conf_load(struct smtpd_conf *c, const char **bad_r)
{
	struct buf b = BUF_INIT;
	unsigned long v;
	int r, save;

	memset(c, 0, sizeof(*c));
	*bad_r = NULL;
	if (control_me(&b) == -1) {
		*bad_r = "me";
		goto fail;
	}
	if ((c->hostname = buf_steal(&b)) == NULL)
		goto fail;
	if (conf_ulong("smtp-maxsize", &c->maxsize, 52428800UL, 0,
	    ULONG_MAX, bad_r) == -1 ||
	    /* no more than queue-inject takes */
	    conf_ulong("smtp-maxrcpt", &c->maxrcpt, 1000, 1, QUEUE_RCPT_MAX,
	    bad_r) == -1 ||
	    conf_ulong("smtp-maxerrors", &c->maxerrors, 20, 1, 1000000,
	    bad_r) == -1 ||
	    conf_ulong("smtp-maxcommands", &c->maxcommands, 100000, 1,
	    10000000, bad_r) == -1)
		goto fail;
	if (conf_ulong("smtp-timeout", &v, 300, 1, 86400, bad_r) == -1)
		goto fail;
	c->timeout_ms = (int)(v * 1000);
	if (conf_ulong("smtp-data-timeout", &v, 600, 1, 86400, bad_r) == -1)
		goto fail;
	c->data_timeout_ms = (int)(v * 1000);
	if (conf_ulong("smtp-data-rate", &c->data_rate, 512, 0, 1UL << 30,
	    bad_r) == -1)
		goto fail;
	if (conf_ulong("smtp-session-timeout", &v, 3600, 0, 604800,
	    bad_r) == -1)
		goto fail;
	c->session_timeout_ms = (long)v * 1000;
	/* the wait for a command or data when the listener is near its
	 * session limit (serve_stressed), as Postfix's stress mode */
	if (conf_ulong("smtp-stress-timeout", &v, 10, 1, 86400,
	    bad_r) == -1)
		goto fail;
	c->stress_timeout_ms = (int)(v * 1000);
	if (conf_ulong("smtp-greeting-delay", &v, 0, 0, 600000,
	    bad_r) == -1)
		goto fail;
	c->greeting_delay_ms = (int)v;
	if (load_filters(c) == -1) {
		*bad_r = "smtp-filters";
		goto fail;
	}
	if (smtpd_tls_files(&c->tls_cert, &c->tls_key, bad_r) == -1)
		goto fail;
	/* smtp-inject: a program to run instead of queue-inject's code
	 * in-process (a wrapper of the administrator's, or a test's) */
	if ((r = control_line("smtp-inject", &b)) == -1) {
		*bad_r = "smtp-inject";
		goto fail;
	}
	if (r == 1 && (c->inject = buf_steal(&b)) == NULL)
		goto fail;
	/* smtp-bare-lf: "normalize" (the default: a bare LF in the data is
	 * stored as CRLF) or "reject" (550 5.6.11, as before) */
	buf_reset(&b);
	if ((r = control_line("smtp-bare-lf", &b)) == -1 || (r == 1 &&
	    strcmp(b.s, "normalize") != 0 && strcmp(b.s, "reject") != 0)) {
		if (r == 1)
			errno = EINVAL;
		*bad_r = "smtp-bare-lf";
		goto fail;
	}
	c->bare_lf_reject = r == 1 && strcmp(b.s, "reject") == 0;
	c->relayclient = getenv("RELAYCLIENT") != NULL;
	c->remoteip = env_dup("TCPREMOTEIP");
	c->remotehost = env_dup("TCPREMOTEHOST");
	c->remoteport = env_dup("TCPREMOTEPORT");
	c->localip = env_dup("TCPLOCALIP");
	c->localport = env_dup("TCPLOCALPORT");
	buf_free(&b);
	return 0;
fail:
	save = errno;
	buf_free(&b);
	smtpd_conf_free(c);
	errno = save;
	return -1;
}

void
smtpd_conf_free(struct smtpd_conf *c)
{
	size_t i, k;

	free(c->hostname);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->inject);
	free(c->remoteip);
	free(c->remotehost);
	free(c->remoteport);
	free(c->localip);
	free(c->localport);
	for (i = 0; i < c->nfilters; i++) {
		for (k = 0; c->filters[i][k] != NULL; k++)
			free(c->filters[i][k]);
		free(c->filters[i]);
	}
	free(c->filters);
	memset(c, 0, sizeof(*c));
}
