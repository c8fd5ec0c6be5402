/*
 * smtpd_dot: the DATA decoder of smtp-recv (RFC 5321 4.1.1.4, 4.5.2):
 * the end of data, dot-unstuffing, and the flags for bare CR or LF, NUL
 * and over-long lines (SMTP smuggling: only CRLF.CRLF ends the data).
 * See smtpd_dot.h.
 */
#include <stddef.h>

#include "base/buf.h"
#include "smtp/smtpd_dot.h"

enum { D_BOL, D_MID, D_CR, D_DOT, D_DOTCR };

void
smtpd_dot_init(struct smtpd_dot *d)
{
	d->state = D_BOL;	/* the DATA command's CRLF came before */
	d->linelen = 0;
	d->flags = 0;
	d->lf_normalize = 0;
}

static void
dot_len(struct smtpd_dot *d, size_t n)
{
	d->linelen += n;
	if (d->linelen > SMTPD_TEXT_MAX)
		d->flags |= SMTPD_DOT_LONGLINE;
}

size_t
smtpd_dot_feed(struct smtpd_dot *d, const char *p, size_t n,
    struct buf *out, int *end_r)
{
	size_t i = 0, k;
	int c;

	*end_r = 0;
	while (i < n) {
		c = (unsigned char)p[i];
		switch (d->state) {
		case D_BOL:
			if (c == '.') {
				/* RFC 5321 4.5.3.1.6: the dot of transparency
				 * does not count toward the line's length */
				d->state = D_DOT;
				i++;
				continue;
			}
			d->state = D_MID;
			break;
		case D_DOT:
			if (c == '\r') {
				d->state = D_DOTCR;
				dot_len(d, 1);
				i++;
				continue;
			}
			/* RFC 5321 4.5.2: the leading dot is dropped */
			d->state = D_MID;
			break;
		case D_DOTCR:
			if (c == '\n') {
				/* CRLF "." CRLF: the end (RFC 5321 4.1.1.4) */
				*end_r = 1;
				return i + 1;
			}
			/* ".\r" then not LF: a bare CR, and not the end */
			d->flags |= SMTPD_DOT_BARE_CR;
			if (buf_putc(out, '\r') == -1)
				goto nomem;
			d->state = D_MID;
			break;
		case D_CR:
			if (c == '\n') {
				if (buf_put(out, "\r\n", 2) == -1)
					goto nomem;
				dot_len(d, 1);
				d->state = D_BOL;
				d->linelen = 0;
				i++;
				continue;
			}
			d->flags |= SMTPD_DOT_BARE_CR;
			if (buf_putc(out, '\r') == -1)
				goto nomem;
			d->state = D_MID;
			break;
		}
		/* D_MID: ordinary bytes in bulk */
		for (k = i; k < n && p[k] != '\r' && p[k] != '\n' &&
		    p[k] != '\0'; k++)
			;
		if (k > i) {
			if (buf_put(out, p + i, k - i) == -1)
				goto nomem;
			dot_len(d, k - i);
			i = k;
			continue;
		}
		dot_len(d, 1);
		if (c == '\r')
			d->state = D_CR;
		else if (c == '\n') {
			/* a bare LF ends no line for SMTP: what follows
			 * is not at a line start, so ".\r\n" after it is
			 * content (SMTP smuggling); stored as CRLF when
			 * normalising (the state stays D_MID either way) */
			if (d->lf_normalize) {
				d->flags |= SMTPD_DOT_LF_FIXED;
				if (buf_put(out, "\r\n", 2) == -1)
					goto nomem;
			} else {
				d->flags |= SMTPD_DOT_BARE_LF;
				if (buf_putc(out, '\n') == -1)
					goto nomem;
			}
			d->linelen = 0;
		} else {
			d->flags |= SMTPD_DOT_NUL;
			if (buf_putc(out, '\0') == -1)
				goto nomem;
		}
		i++;
	}
	return n;
nomem:
	d->flags |= SMTPD_DOT_NOMEM;
	return i;
}
