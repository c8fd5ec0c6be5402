/*
 * dmarc_stage: dmarc-eval, DMARC (RFC 7489) as a stage of the filter
 * chain (DESIGN.md section 4, base/stage.h), over the pure core of
 * dmarc.h and the lookups of lib/dns.
 *
 * The stage reads the header section and takes the results of the
 * earlier stages from the Authentication-Results fields that claim our
 * authserv-id (SMTP_HOSTNAME, else the control file "me") above the
 * first Received field: smtp-recv's own trace field is the top of the
 * message when the chain starts (RFC 5321 4.4), so whatever lies above it
 * was added by a stage, and a field claiming our id below it is forged
 * (RFC 8601 5) and is neither believed nor kept.  A message without a
 * Received field (a stage run by hand) has all of its header above it.
 * From those fields: "spf=RESULT smtp.mailfrom=..." (or smtp.helo=, for
 * a null reverse-path), the first one; every "dkim=RESULT header.d=...".
 *
 * Then, for each Author Domain of dmarc_from_domains, the TXT records of
 * the names of dmarc_query_names (NXDOMAIN or no data at the author's
 * name goes on to the Organizational Domain's, 6.6.3; SERVFAIL, a
 * timeout or no resolver is temperror), dmarc_eval with a uniform sample
 * from getrandom(2) for pct (6.6.4), dmarc_merge over the domains
 * (6.6.1).  Written at the top: "Authentication-Results: ID; dmarc=...".
 * One log line per Author Domain (one per message for the usual single
 * From domain) with what an aggregate report needs (7.2.1.1, appendix C).
 *
 * Enforcement (6.7): a fail with disposition reject exits EXIT_PERM, the
 * last line "550 5.7.1 DMARC policy of DOMAIN rejects this message",
 * unless the control file dmarc-reject is 0 (then only recorded).
 * Quarantine is recorded (dis=quarantine) for local delivery to act on
 * (queue/quarantine.h).  Temperror and permerror are recorded, never
 * refused.  Argument: -T ms, the wait for one DNS answer.
 *
 * Return convention: a stage's exit code (base/stage.h).
 */
#ifndef POSTERN_DMARC_STAGE_H
#define POSTERN_DMARC_STAGE_H

#include "base/stage.h"

int	dmarc_stage(int argc, char *const argv[], struct stage_io *);

#endif
