#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/codec.h"
#include "mail/date.h"
#include "mail/msg.h"
#include "queue/dsn.h"

#define IO_BLOCK	(64 * 1024)

static const char *const action_names[] = {
	"failed", "delayed", "delivered", "relayed", "expanded"
};

static int	status_ok(const char *);
static int	put_addr(struct buf *, const char *);
static int	put_eol_text(struct buf *, const char *, size_t, const char *);
static int	read_some(int, struct buf *, size_t);
static int	orig_header(int, off_t, struct buf *, size_t *, const char **);
static int	put_parts(struct buf *, const struct dsn *, const char *,
		    unsigned long, int, int, int);
static int	put_original(int, off_t, struct buf *, dsn_out_fn, void *);

/* RFC 3464 2.3.4: status-code = DIGIT "." 1*3DIGIT "." 1*3DIGIT */
static int
status_ok(const char *s)
{
	int part, n;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	s += 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; *s >= '0' && *s <= '9'; s++)
			n++;
		if (n < 1 || n > 3)
			return 0;
		if (part == 0 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

int
dsn_date(struct buf *b, time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	/* RFC 5322 3.3, in the local zone (lib/date.h) */
	return date_format(b, t, (int)(tm.tm_gmtoff / 60));
}

/*
 * An address for a DSN field: "rfc822; addr", or for a UTF-8 address
 * "utf-8; addr" (RFC 6533 3, utf-8-address: such a DSN always uses the
 * global types, see dsn_params).
 */
static int
put_addr(struct buf *b, const char *a)
{
	return buf_printf(b, "%s; %s", str_has8(a) ? "utf-8" : "rfc822", a);
}

/* Append s[0..n) with each LF turned into eol. */
static int
put_eol_text(struct buf *b, const char *s, size_t n, const char *eol)
{
	const char *nl;

	while (n > 0) {
		if ((nl = memchr(s, '\n', n)) == NULL)
			return buf_put(b, s, n);
		if (buf_put(b, s, (size_t)(nl - s)) == -1 ||
		    buf_puts(b, eol) == -1)
			return -1;
		n -= (size_t)(nl - s) + 1;
		s = nl + 1;
	}
	return 0;
}

/* Read fd into b until it holds max bytes or EOF. */
static int
read_some(int fd, struct buf *b, size_t max)
{
	ssize_t r;

	while (b->len < max) {
		if (buf_ready(b, max - b->len) == -1)
			return -1;
		r = read(fd, b->s + b->len, max - b->len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
		b->s[b->len] = '\0';
	}
	if (b->s == NULL && buf_ready(b, 0) == -1)
		return -1;
	return 0;
}

static int
any_failed(const struct dsn *d)
{
	size_t i;

	for (i = 0; i < d->nrcpt; i++)
		if (d->rcpt[i].action == DSN_FAILED)
			return 1;
	return 0;
}

void
dsn_params(const struct dsn *d, int *utf8, enum param_body *body)
{
	size_t i;

	*utf8 = d->utf8 || str_has8(d->sender);
	for (i = 0; i < d->nrcpt; i++)
		if (str_has8(d->rcpt[i].rcpt) || str_has8(d->rcpt[i].orcpt))
			*utf8 = 1;
	/* only content declared 7bit is sure to be 7bit */
	*body = *utf8 || d->body != PARAM_BODY_7BIT ? PARAM_BODY_8BITMIME : PARAM_BODY_7BIT;
}

/* Does the DSN return the whole message (else its header only)? */
static int
return_full(const struct dsn *d, off_t size)
{
	/* RFC 3461 4.3: without a failure, headers only */
	if (!any_failed(d) || d->ret == PARAM_RET_HDRS ||
	    d->body == PARAM_BODY_BINARYMIME)
		return 0;
	if (d->ret == PARAM_RET_FULL)
		return 1;
	return size <= DSN_FULL_MAX;
}

/* The human-readable part. */
static int
put_text(struct buf *b, const struct dsn *d, enum dsn_action a,
    const char *intro)
{
	const struct dsn_rcpt *r;
	size_t i;
	int any = 0;

	for (i = 0; i < d->nrcpt; i++) {
		r = &d->rcpt[i];
		if (r->action != a)
			continue;
		if (!any && buf_printf(b, "%s\n\n", intro) == -1)
			return -1;
		any = 1;
		if (buf_printf(b, "  <%s>", r->rcpt) == -1 ||
		    (r->diag != NULL && buf_printf(b, ": %s", r->diag) == -1) ||
		    buf_putc(b, '\n') == -1)
			return -1;
	}
	if (any && buf_putc(b, '\n') == -1)
		return -1;
	return 0;
}

/* No control character in s? */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/*
 * RFC 3461 6.3: the ORCPT "type;xtext" as Original-Recipient, an rfc822
 * address decoded from xtext, another type (utf-8) as it was given.
 * Left out when it cannot be written safely.
 */
static int
put_orcpt(struct buf *b, const char *orcpt, int global)
{
	struct buf v = BUF_INIT;
	const char *semi = strchr(orcpt, ';');
	int r = 0;

	if (semi == NULL || (!global && str_has8(orcpt)))
		return 0;
	if (ascii_ncasecmp(orcpt, "rfc822;", 7) != 0)
		return buf_printf(b, "Original-Recipient: %.*s; %s\n",
		    (int)(semi - orcpt), orcpt, semi + 1);
	if (xtext_decode(semi + 1, strlen(semi + 1), &v) == 0 &&
	    v.len > 0 && strlen(v.s) == v.len && printable(v.s) &&
	    (global || !str_has8(v.s)))
		r = buf_printf(b, "Original-Recipient: rfc822; %s\n", v.s);
	buf_free(&v);
	return r;
}

/* The message/delivery-status part's content (RFC 3464 2.1). */
static int
put_status(struct buf *b, const struct dsn *d, int global)
{
	const struct dsn_rcpt *r;
	struct buf v = BUF_INIT;
	const char *status;
	size_t i;
	int ret = -1;

	/* RFC 3464 2.2: per-message fields */
	if (buf_printf(b, "Reporting-MTA: dns; %s\n", d->mta) == -1)
		goto out;
	/* RFC 3461 4.4, 6.3: the ENVID, decoded from xtext */
	if (d->envid != NULL &&
	    xtext_decode(d->envid, strlen(d->envid), &v) == 0 &&
	    v.len > 0 && strlen(v.s) == v.len && printable(v.s) &&
	    buf_printf(b, "Original-Envelope-Id: %s\n", v.s) == -1)
		goto out;
	if (d->arrival != 0 && (buf_puts(b, "Arrival-Date: ") == -1 ||
	    dsn_date(b, d->arrival) == -1 || buf_putc(b, '\n') == -1))
		goto out;
	/* RFC 3464 2.3: per-recipient fields, each group after a blank line */
	for (i = 0; i < d->nrcpt; i++) {
		r = &d->rcpt[i];
		if (buf_putc(b, '\n') == -1)
			goto out;
		if (r->orcpt != NULL && put_orcpt(b, r->orcpt, global) == -1)
			goto out;
		status = r->status;
		if (!status_ok(status))
			status = r->action == DSN_FAILED ? "5.0.0" :
			    r->action == DSN_DELAYED ? "4.0.0" : "2.0.0";
		if (buf_puts(b, "Final-Recipient: ") == -1 ||
		    put_addr(b, r->rcpt) == -1 ||
		    buf_printf(b, "\nAction: %s\nStatus: %s\n",
		    action_names[r->action], status) == -1)
			goto out;
		if (r->diag != NULL && buf_printf(b,
		    "Diagnostic-Code: %s; %s\n", r->diag_type ? r->diag_type :
		    "X-Postern", r->diag) == -1)
			goto out;
		if (r->last_attempt != 0 &&
		    (buf_puts(b, "Last-Attempt-Date: ") == -1 ||
		    dsn_date(b, r->last_attempt) == -1 ||
		    buf_putc(b, '\n') == -1))
			goto out;
		if (r->retry_until != 0 &&
		    (buf_puts(b, "Will-Retry-Until: ") == -1 ||
		    dsn_date(b, r->retry_until) == -1 ||
		    buf_putc(b, '\n') == -1))
			goto out;
	}
	ret = 0;
out:
	buf_free(&v);
	return ret;
}

/*
 * Read the original's header (and the start of its body) into orig: its
 * line ending in *eol_r, the header's length without the empty line that
 * ends it in *hlen_r.  0, or -1.
 */
static int
orig_header(int fd, off_t size, struct buf *orig, size_t *hlen_r,
    const char **eol_r)
{
	const char *nl;
	size_t want, hlen;
	long off;

	want = size < (off_t)DSN_HDR_MAX ? (size_t)size : DSN_HDR_MAX;
	if (read_some(fd, orig, want) == -1)
		return -1;
	if ((nl = memchr(orig->s, '\n', orig->len)) != NULL && nl > orig->s &&
	    nl[-1] == '\r')
		*eol_r = "\r\n";
	if ((off = msg_body_offset(orig->s, orig->len)) == -1)
		return -1;
	hlen = (size_t)off;
	if (hlen == orig->len && (off_t)orig->len < size) {
		/* a header past DSN_HDR_MAX: cut at a line end */
		while (hlen > 0 && orig->s[hlen - 1] != '\n')
			hlen--;
	}
	/* without the empty line that ends the header */
	if (hlen >= 2 && orig->s[hlen - 1] == '\n' &&
	    orig->s[hlen - 2] == '\n')
		hlen--;
	else if (hlen >= 3 && orig->s[hlen - 1] == '\n' &&
	    orig->s[hlen - 2] == '\r' && orig->s[hlen - 3] == '\n')
		hlen -= 2;
	else if (hlen == 1 && orig->s[0] == '\n')
		hlen = 0;
	else if (hlen == 2 && orig->s[0] == '\r' && orig->s[1] == '\n')
		hlen = 0;
	*hlen_r = hlen;
	return 0;
}

/*
 * Into part: the DSN's header, its text part, its delivery-status part
 * and the header of the part that carries the original (RFC 3464, RFC
 * 6522, RFC 6533 with utf8).  0, or -1.
 */
static int
put_parts(struct buf *part, const struct dsn *d, const char *bnd,
    unsigned long count, int utf8, int eight, int full)
{
	const char *subject, *ctype;
	size_t i;
	int failed, delayed;

	failed = any_failed(d);
	delayed = 0;
	for (i = 0; i < d->nrcpt; i++)
		if (d->rcpt[i].action == DSN_DELAYED)
			delayed = 1;
	subject = failed ? "Delivery Status Notification (Failure)" :
	    delayed ? "Delivery Status Notification (Delay)" :
	    "Delivery Status Notification (Success)";
	/* the header (RFC 5322 3.6), then the report (RFC 6522 3) */
	if (buf_printf(part, "From: Mail Delivery System "
	    "<MAILER-DAEMON@%s>\nTo: <%s>\nSubject: %s\nDate: ", d->mta,
	    d->sender, subject) == -1 ||
	    dsn_date(part, d->date) == -1 ||
	    buf_printf(part, "\nMessage-ID: <%s.%lld.%ld.%lu.dsn@%s>\n",
	    d->qid, (long long)d->date, (long)getpid(), count, d->mta) ==
	    -1 ||
	    /* RFC 3834 5 */
	    buf_puts(part, "Auto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\n") == -1 ||
	    buf_printf(part, "Content-Type: multipart/report; "
	    "report-type=%s;\n\tboundary=\"%s\"\n%s\n"
	    "This is a delivery status notification in MIME format.\n\n",
	    utf8 ? "global-delivery-status" : "delivery-status", bnd,
	    eight ? "Content-Transfer-Encoding: 8bit\n" : "") == -1)
		return -1;

	/* 1: text/plain */
	if (buf_printf(part, "--%s\nContent-Type: text/plain; charset=%s\n"
	    "%s\nThis is the mail system at %s.\n\n", bnd,
	    utf8 ? "utf-8" : "us-ascii", utf8 ? "Content-Transfer-Encoding: "
	    "8bit\n" : "", d->mta) == -1 ||
	    put_text(part, d, DSN_FAILED, "Your message could not be "
	    "delivered to these recipients:") == -1 ||
	    put_text(part, d, DSN_DELAYED, "Your message has not been "
	    "delivered yet to these recipients; the mail system\nwill keep "
	    "trying for a while:") == -1 ||
	    put_text(part, d, DSN_DELIVERED, "Your message was delivered "
	    "to these recipients:") == -1 ||
	    put_text(part, d, DSN_EXPANDED, "Your message was delivered "
	    "to these aliases, which forward it to\ntheir members:") == -1 ||
	    put_text(part, d, DSN_RELAYED, "Your message was relayed "
	    "towards these recipients, which will\nnot send further "
	    "notices:") == -1)
		return -1;

	/* 2: message/delivery-status (RFC 3464), global (RFC 6533) */
	if (buf_printf(part, "--%s\nContent-Type: message/%s\n%s\n", bnd,
	    utf8 ? "global-delivery-status" : "delivery-status",
	    utf8 ? "Content-Transfer-Encoding: 8bit\n" : "") == -1 ||
	    put_status(part, d, utf8) == -1)
		return -1;

	/* 3: the original, or its header */
	if (full)
		ctype = utf8 ? "message/global" : "message/rfc822";
	else
		ctype = utf8 ? "message/global-headers" : "text/rfc822-headers";
	if (buf_printf(part, "\n--%s\nContent-Type: %s\n%s\n", bnd, ctype,
	    eight ? "Content-Transfer-Encoding: 8bit\n" : "") == -1)
		return -1;
	return 0;
}

/* The whole original, through out: what orig holds, then the rest. */
static int
put_original(int fd, off_t size, struct buf *orig, dsn_out_fn out,
    void *ctx)
{
	size_t want;
	off_t done = (off_t)orig->len;

	if (orig->len > 0 && out(ctx, orig->s, orig->len) == -1)
		return -1;
	while (done < size) {
		buf_reset(orig);
		want = size - done < IO_BLOCK ? (size_t)(size - done) :
		    IO_BLOCK;
		if (read_some(fd, orig, want) == -1)
			return -1;
		if (orig->len == 0)
			break;	/* shorter than said: what there is */
		if (out(ctx, orig->s, orig->len) == -1)
			return -1;
		done += (off_t)orig->len;
	}
	return 0;
}

int
dsn_write(const struct dsn *d, int fd, off_t size, dsn_out_fn out,
    void *ctx)
{
	static unsigned long count;
	struct buf top = BUF_INIT, part = BUF_INIT, orig = BUF_INIT;
	struct buf bnd = BUF_INIT;
	const char *eol = "\n";
	enum param_body body;
	size_t hlen;
	int utf8, full, ret = -1, save;

	if (d->sender == NULL || d->sender[0] == '\0' || d->nrcpt == 0 ||
	    d->mta == NULL || d->qid == NULL) {
		errno = EINVAL;
		return -1;
	}
	dsn_params(d, &utf8, &body);
	full = return_full(d, size);
	if (orig_header(fd, size, &orig, &hlen, &eol) == -1)
		goto out;
	/* "=_" never occurs in base64 or quoted-printable content */
	if (buf_printf(&bnd, "=_postern_%s_%lld_%lu", d->qid,
	    (long long)d->date, ++count) == -1 ||
	    put_parts(&part, d, bnd.s, count, utf8,
	    body == PARAM_BODY_8BITMIME, full) == -1 ||
	    put_eol_text(&top, part.s, part.len, eol) == -1 ||
	    out(ctx, top.s, top.len) == -1)
		goto out;
	if (!full) {
		if (hlen > 0 && out(ctx, orig.s, hlen) == -1)
			goto out;
	} else if (put_original(fd, size, &orig, out, ctx) == -1)
		goto out;
	buf_reset(&top);
	buf_reset(&part);
	if (buf_printf(&part, "\n--%s--\n", bnd.s) == -1 ||
	    put_eol_text(&top, part.s, part.len, eol) == -1 ||
	    out(ctx, top.s, top.len) == -1)
		goto out;
	ret = 0;
out:
	save = errno;
	buf_free(&top);
	buf_free(&part);
	buf_free(&orig);
	buf_free(&bnd);
	errno = save;
	return ret;
}
