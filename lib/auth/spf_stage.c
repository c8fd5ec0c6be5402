/* spf: Received-SPF and spf-check as a chain stage (spf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authres.h"
#include "auth/spf.h"
#include "base/buf.h"
#include "base/control.h"
#include "base/log.h"
#include "base/num.h"
#include "base/stage.h"
#include "dns/dns.h"

/* RFC 5322 3.2.3 atext */
static int
atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* v as a dot-atom when it is one, else a quoted-string without control
 * bytes (RFC 7208 9.1 key-value-pair; RFC 5322 3.2.4) */
static int
put_value(struct buf *b, const char *v)
{
	const unsigned char *p;
	int dot = 1, atom = *v != '\0';

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '.') {
			if (dot)
				atom = 0;
			dot = 1;
		} else if (atext(*p))
			dot = 0;
		else
			atom = 0;
	}
	if (dot)
		atom = 0;
	if (atom)
		return buf_puts(b, v);
	if (buf_putc(b, '"') == -1)
		return -1;
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if ((*p == '"' || *p == '\\') && buf_putc(b, '\\') == -1)
			return -1;
		if (buf_putc(b, *p) == -1)
			return -1;
	}
	return buf_putc(b, '"');
}

/* text for a comment: no parentheses, backslashes or control bytes */
static int
put_comment(struct buf *b, const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p >= 0x20 && *p != 0x7f && *p != '(' && *p != ')' &&
		    *p != '\\' && buf_putc(b, *p) == -1)
			return -1;
	return 0;
}

int
spf_received(const struct spf_req *q, const struct spf_res *r,
    const char *eol, struct buf *b)
{
	const char *recv = q->receiver != NULL && *q->receiver != '\0' ?
	    q->receiver : "unknown";
	const char *who = r->helo ? r->domain.s : r->sender.s;
	const char *ip = q->ip != NULL ? q->ip : "";
	int e;

	/* RFC 7208 9.1: result (comment) key=value; ... */
	e = buf_printf(b, "Received-SPF: %s (", spf_result_str(r->result)) ||
	    put_comment(b, recv) || buf_puts(b, ": ");
	switch (r->result) {
	case SPF_PASS:
		e = e || buf_puts(b, "domain of ") || put_comment(b, who) ||
		    buf_puts(b, " designates ") || put_comment(b, ip) ||
		    buf_puts(b, " as permitted sender");
		break;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
		e = e || buf_puts(b, r->result == SPF_SOFTFAIL ?
		    "domain of transitioning " : "domain of ") ||
		    put_comment(b, who) || buf_puts(b, " does not designate ")
		    || put_comment(b, ip) || buf_puts(b, " as permitted sender");
		break;
	case SPF_NEUTRAL:
		e = e || put_comment(b, ip) || buf_puts(b, " is neither "
		    "permitted nor denied by domain of ") || put_comment(b, who);
		break;
	case SPF_NONE:
		e = e || buf_puts(b, "domain of ") || put_comment(b, who) ||
		    buf_puts(b, " does not designate permitted sender hosts");
		break;
	case SPF_TEMPERROR:
		e = e || buf_puts(b, "temporary error in processing during "
		    "lookup of ") || put_comment(b, who);
		break;
	case SPF_PERMERROR:
		e = e || buf_puts(b, "permanent error in processing domain "
		    "of ") || put_comment(b, who);
		break;
	}
	e = e || buf_printf(b, ")%s\tclient-ip=", eol) || put_value(b, ip) ||
	    buf_puts(b, ";");
	if (!r->helo)
		e = e || buf_puts(b, " envelope-from=") ||
		    put_value(b, r->sender.s) || buf_puts(b, ";");
	if (q->helo != NULL && *q->helo != '\0')
		e = e || buf_puts(b, " helo=") || put_value(b, q->helo) ||
		    buf_puts(b, ";");
	e = e || buf_printf(b, "%s\treceiver=", eol) || put_value(b, recv) ||
	    buf_printf(b, "; identity=%s;", r->helo ? "helo" : "mailfrom");
	if (r->mech.len > 0)
		e = e || buf_puts(b, " mechanism=") || put_value(b, r->mech.s)
		    || buf_puts(b, ";");
	if (r->problem.len > 0 && (r->result == SPF_PERMERROR ||
	    r->result == SPF_TEMPERROR))
		e = e || buf_printf(b, "%s\tproblem=", eol) ||
		    put_value(b, r->problem.s) || buf_puts(b, ";");
	return e || buf_puts(b, eol) ? -1 : 0;
}

/* The result's name listed in the control file spf-reject: 1 / 0 / -1. */
static int
rejected(enum spf_result r)
{
	struct buf b = BUF_INIT;
	const char *p;
	size_t n, i;
	int k;

	if ((k = control_lines("spf-reject", &b, &n)) != 1) {
		buf_free(&b);
		return k;
	}
	for (i = 0, p = b.s, k = 0; i < n; i++, p += strlen(p) + 1)
		if (ascii_casecmp(p, spf_result_str(r)) == 0)
			k = 1;
	buf_free(&b);
	return k;
}

int
spf_stage(int argc, char *const argv[], struct stage_io *io)
{
	struct spf_req q;
	struct spf_res r;
	struct authres_msg m;
	struct authres_field ar;
	struct buf fields = BUF_INIT, props = BUF_INIT, me = BUF_INIT;
	struct dns *dns = NULL;
	const char *why = NULL, *id;
	unsigned long ms = 0;
	int code = EXIT_TEMP, rej, i;

	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	for (i = 1; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "-T") == 0 &&
		    parse_ulong(argv[i + 1], &ms, 1, 600000) == -1)
			ms = 0;
	q.timeout_ms = (int)ms;
	q.ip = stage_getenv(io, "TCPREMOTEIP");
	q.helo = stage_getenv(io, "SMTP_HELO");
	q.sender = stage_getenv(io, "SMTP_MAILFROM");
	if (authres_start(io, &m, &me) == -1) {
		authres_msg_free(&m);
		buf_free(&me);
		return EXIT_TEMP;
	}
	q.receiver = id = me.s;
	if (authres_begin(&ar, id, m.eol) == -1)
		goto nomem;
	if (q.ip == NULL || *q.ip == '\0') {
		/* a local injection: nothing to check */
		stage_log(io, LOG_INFO, "spf=none reason=no-client-address");
		if (authres_add(&ar, "spf", "none", "no client address",
		    NULL) == -1)
			goto nomem;
		rej = 0;
	} else {
		if ((dns = dns_open(&why)) == NULL) {
			/* no resolver: a temperror, recorded (STYLE.md 2) */
			stage_log(io, LOG_WARNING, "unable to open the resolver: "
			    "%s", why != NULL ? why : strerror(errno));
		}
		q.dns = dns;
		if (spf_check(&q, &r) == -1)
			goto nomem;
		if (spf_received(&q, &r, m.eol, &fields) == -1)
			goto nomem;
		/* RFC 8601 2.7.2: smtp.mailfrom, or smtp.helo without one */
		if (buf_puts(&props, r.helo ? "smtp.helo=" :
		    "smtp.mailfrom=") == -1 || buf_puts(&props, r.helo ?
		    r.domain.s : r.sender.s) == -1)
			goto nomem;
		for (i = 0; (size_t)i < props.len; i++)
			if ((unsigned char)props.s[i] <= 0x20 ||
			    props.s[i] == ';' || props.s[i] == 0x7f)
				props.s[i] = '_';
		if (authres_add(&ar, "spf", spf_result_str(r.result), NULL,
		    props.s) == -1)
			goto nomem;
		stage_log(io, LOG_INFO, "spf=%s identity=%s ip=%s domain=%s "
		    "mechanism=%s lookups=%d%s%s", spf_result_str(r.result),
		    r.helo ? "helo" : "mailfrom", q.ip, r.domain.s,
		    r.mech.len > 0 ? r.mech.s : "-", r.lookups,
		    r.problem.len > 0 ? " problem=" : "",
		    r.problem.len > 0 ? r.problem.s : "");
		if ((rej = rejected(r.result)) == -1) {
			stage_log(io, LOG_WARNING, "unable to read the control "
			    "file spf-reject: %s", strerror(errno));
			rej = 0;
		}
	}
	if (authres_end(&ar) == -1 || buf_put(&fields, ar.b.s, ar.b.len) ==
	    -1)
		goto nomem;
	if (authres_write(io, &m, fields.s, fields.len, id, 0) == -1)
		goto out;	/* logged, 451 set */
	code = EXIT_DONE;
	if (rej) {
		/* RFC 7372 3.2: 5.7.23 validation failed, 5.7.24 error */
		if (r.result == SPF_TEMPERROR) {
			(void)buf_printf(&io->err, "451 4.7.24 SPF of %s: "
			    "temporary error\n", r.domain.s);
			code = EXIT_TEMP;
		} else {
			(void)buf_printf(&io->err, "550 5.7.%s SPF of %s: "
			    "%s\n", r.result == SPF_PERMERROR ? "24" : "23",
			    r.domain.s, spf_result_str(r.result));
			code = EXIT_PERM;
		}
	}
	goto out;
nomem:
	stage_log(io, LOG_WARNING, "out of memory");
	(void)buf_puts(&io->err, "451 4.3.0 out of memory\n");
out:
	buf_free(&ar.b);
	buf_free(&fields);
	buf_free(&props);
	buf_free(&me);
	spf_res_free(&r);
	authres_msg_free(&m);
	if (dns != NULL)
		dns_close(dns);
	return code;
}
