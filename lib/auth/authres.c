/* authres: Authentication-Results fields and the stages' rewrite (authres.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "auth/authres.h"
#include "base/buf.h"
#include "base/control.h"
#include "base/fileio.h"
#include "base/stage.h"
#include "mail/codec.h"
#include "mail/msg.h"

/* RFC 2045 5.1 tspecials, with SPACE and CTLs: not in a token */
static int
token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
authres_servid(const char *v, size_t n, struct buf *id)
{
	size_t i = cfws_skip(v, n, 0);

	buf_reset(id);
	if (i < n && v[i] == '"') {
		for (i++; i < n && v[i] != '"'; i++) {
			if (v[i] == '\\' && i + 1 < n)
				i++;
			if (buf_putc(id, v[i]) == -1)
				return -1;
		}
		if (i >= n)
			id->len = 0;	/* unended: not a value */
	} else
		for (; i < n && token_char((unsigned char)v[i]); i++)
			if (buf_putc(id, v[i]) == -1)
				return -1;
	if (id->len == 0 || id->len > AUTHRES_ID_MAX) {
		errno = EINVAL;
		return -1;
	}
	return buf_ready(id, 1);
}

int
authres_ours(const struct msg_field *f, const char *authserv_id)
{
	struct buf id = BUF_INIT;
	int r;

	if (!msg_field_is(f, "Authentication-Results"))
		return 0;
	/* RFC 8601 5: a field we cannot read is not believed either; it
	 * is only removed when it names us */
	r = authres_servid(f->value, f->valuelen, &id) == 0 &&
	    strcasecmp(id.s, authserv_id) == 0;
	buf_free(&id);
	return r;
}

/* ---- building ----------------------------------------------------- */

int
authres_begin(struct authres_field *a, const char *authserv_id,
    const char *eol)
{
	memset(a, 0, sizeof(*a));
	a->eol = eol;
	return buf_printf(&a->b, "Authentication-Results: %s", authserv_id);
}

int
authres_add(struct authres_field *a, const char *method, const char *result,
    const char *reason, const char *props)
{
	const unsigned char *p;

	if (buf_printf(&a->b, ";%s\t%s=%s", a->eol, method, result) == -1)
		return -1;
	if (reason != NULL) {
		if (buf_puts(&a->b, " reason=\"") == -1)
			return -1;
		for (p = (const unsigned char *)reason; *p != '\0'; p++)
			if (*p >= 0x20 && *p != 0x7f && *p != '"' && *p != '\\'
			    && buf_putc(&a->b, (char)*p) == -1)
				return -1;
		if (buf_putc(&a->b, '"') == -1)
			return -1;
	}
	if (props != NULL && *props != '\0' &&
	    buf_printf(&a->b, " %s", props) == -1)
		return -1;
	a->n++;
	return 0;
}

int
authres_end(struct authres_field *a)
{
	/* RFC 8601 2.2: no result is "none" */
	if (a->n == 0 && buf_puts(&a->b, "; none") == -1)
		return -1;
	return buf_puts(&a->b, a->eol);
}

/* ---- the message -------------------------------------------------- */

int
authres_read(struct stage_io *io, struct authres_msg *m)
{
	struct msg_hdr h;
	struct msg_field f;
	size_t want;
	ssize_t r;
	int k;

	memset(m, 0, sizeof(m[0]));
	m->eol = "\r\n";
	for (;;) {
		/* the header ends at a blank line: search what came */
		msg_hdr_init(&h, m->head.s, m->head.len);
		h.field_max = AUTHRES_HEADER_MAX;
		while ((k = msg_hdr_next(&h, &f)) == 1)
			;
		/* a line that is not a field ends the header only once it
		 * is whole: a read may have cut a field's name */
		if (k == 0 && !(h.flags & MSG_F_NOBODY) &&
		    (!(h.flags & MSG_F_NOBLANK) || memchr(m->head.s + h.body,
		    '\n', m->head.len - h.body) != NULL)) {
			m->headlen = h.body;
			break;
		}
		if (k == -1)
			return -1;	/* E2BIG: past MSG_FIELDS_MAX fields */
		if (m->head.len >= AUTHRES_HEADER_MAX) {
			errno = EFBIG;
			return -1;
		}
		/* doubling: the header is parsed again after each read */
		want = m->head.len > 65536 ? m->head.len : 65536;
		if (buf_ready(&m->head, want) == -1)
			return -1;
		r = read(io->in, m->head.s + m->head.len, want);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {	/* all header, no body */
			m->headlen = m->head.len;
			break;
		}
		m->head.len += (size_t)r;
	}
	/* the line ending of the message's first line */
	{
		const char *nl = m->head.s != NULL ?
		    memchr(m->head.s, '\n', m->head.len) : NULL;

		if (nl != NULL && (nl == m->head.s || nl[-1] != '\r'))
			m->eol = "\n";
	}
	return 0;
}

int
authres_start(struct stage_io *io, struct authres_msg *m, struct buf *id)
{
	const char *v;

	memset(m, 0, sizeof(m[0]));
	m->eol = "\r\n";
	/* DESIGN.md 4: SMTP_HOSTNAME is our name, smtp-recv's "me" */
	v = stage_getenv(io, "SMTP_HOSTNAME");
	if (v != NULL && *v != '\0' ? buf_set(id, v, strlen(v)) == -1 :
	    control_me(id) == -1) {
		stage_log(io, LOG_WARNING, "unable to read the control file "
		    "me: %s", strerror(errno));
		(void)buf_puts(&io->err, "451 4.3.0 unable to read the "
		    "configuration\n");
		return -1;
	}
	if (authres_read(io, m) == -1) {
		stage_log(io, LOG_WARNING, "unable to read the message: %s",
		    strerror(errno));
		(void)buf_puts(&io->err, "451 4.3.0 unable to read the "
		    "message\n");
		return -1;
	}
	return 0;
}

size_t
authres_top(const struct authres_msg *m)
{
	struct msg_hdr h;
	struct msg_field f;
	size_t top = 0;

	msg_hdr_init(&h, m->head.s, m->headlen);
	while (msg_hdr_next(&h, &f) == 1) {
		if (msg_field_is(&f, "Received"))
			return (size_t)(f.raw - m->head.s);
		top = (size_t)(f.raw + f.rawlen - m->head.s);
	}
	return top;
}

static int
write_failed(struct stage_io *io)
{
	stage_log(io, LOG_WARNING, "unable to write the message: %s",
	    strerror(errno));
	(void)buf_puts(&io->err, "451 4.3.0 unable to write the message\n");
	return -1;
}

int
authres_write(struct stage_io *io, struct authres_msg *m, const char *fields,
    size_t n, const char *authserv_id, size_t keep)
{
	struct msg_hdr h;
	struct msg_field f;
	char b[65536];
	size_t done = keep;
	ssize_t r;
	int k;

	if (keep > m->headlen)
		keep = done = m->headlen;
	if ((n > 0 && write_all(io->out, fields, n) == -1) ||
	    (keep > 0 && write_all(io->out, m->head.s, keep) == -1))
		return write_failed(io);
	msg_hdr_init(&h, m->head.s + keep, m->headlen - keep);
	while ((k = msg_hdr_next(&h, &f)) == 1) {
		if (authserv_id != NULL && authres_ours(&f, authserv_id)) {
			stage_log(io, LOG_INFO, "removed a forged "
			    "Authentication-Results field claiming %s",
			    authserv_id);
			done = (size_t)(f.raw + f.rawlen - m->head.s);
			continue;
		}
		if (write_all(io->out, f.raw, f.rawlen) == -1)
			return write_failed(io);
		done = (size_t)(f.raw + f.rawlen - m->head.s);
	}
	/* the blank line (or the non-field line) and any body read */
	if (m->head.len > done &&
	    write_all(io->out, m->head.s + done, m->head.len - done) == -1)
		return write_failed(io);
	for (;;) {
		r = read(io->in, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return write_failed(io);
		if (r == 0)
			return 0;
		if (write_all(io->out, b, (size_t)r) == -1)
			return write_failed(io);
	}
}

void
authres_msg_free(struct authres_msg *m)
{
	buf_free(&m->head);
}
