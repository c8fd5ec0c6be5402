#!/bin/sh
# dmarc-eval (RFC 7489) through smtp-recv with spf-check before it in
# smtp-filters, DNS from t/dnsd.py on loopback: a p=reject failure
# refused with 550 5.7.1, an aligned pass queued with dmarc=pass, relaxed
# and strict SPF alignment (a subdomain MAIL FROM), the record found at
# the Organizational Domain (the public suffix list: example.co.uk), sp=
# for a subdomain, pct=0, no record, a DNS timeout (temperror,
# accepted), several From fields (permerror), a forged
# Authentication-Results not believed, quarantine into Maildir/.Junk
# after queue-run -1, dmarc-reject 0, and the builtin and the program
# giving the same bytes.  (LeakSanitizer cannot run under strace: off
# for the traced session.)
. "$TOP/t/lib.sh"
plan 39

export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" \
    POSTERN_MAILROOT="$T/mail"
unset RELAYCLIENT TCPREMOTEHOST TCPREMOTEPORT SMTP_HOSTNAME SMTP_MAILFROM
Q=$T/queue M=$T/mail
mkdir -p "$M"
conf-init -d "$T/conf" -n mx.example.test example.test demo 2>/dev/null ||
    exit 111
queue init || exit 111
# the configuration's Makefile builds psl.cdb from Debian's publicsuffix
make -s -C "$T/conf" psl.cdb 2>"$T/make.err" >/dev/null
check "psl.cdb built by the configuration's Makefile" test -s "$T/conf/psl.cdb"

cat >"$T/zone" <<'Z'
$ORIGIN reject.test.
_dmarc  TXT "v=DMARC1; p=reject; rua=mailto:agg@reject.test"
@       TXT "v=spf1 ip4:192.0.2.0/24 -all"
sub     TXT "v=spf1 ip4:192.0.2.0/24 -all"
$ORIGIN strict.test.
_dmarc  TXT "v=DMARC1; p=reject; aspf=s"
sub     TXT "v=spf1 ip4:192.0.2.0/24 -all"
$ORIGIN example.co.uk.
_dmarc  TXT "v=DMARC1; p=reject; sp=quarantine"
$ORIGIN quar.test.
_dmarc  TXT "v=DMARC1; p=quarantine"
$ORIGIN pct.test.
_dmarc  TXT "v=DMARC1; p=quarantine; pct=0"
$ORIGIN slow.test.
_dmarc  TIMEOUT
$ORIGIN none.test.
@       TXT "v=spf1 -all"
$ORIGIN other.test.
@       TXT "v=spf1 ip4:192.0.2.0/24 -all"
Z
if dnsd_start "$T/zone"; then ok "the DNS server runs"
else
	not_ok "the DNS server runs" "$(cat "$T/dnsd.err")"
	skip "no DNS server" 37
	exit 0
fi

printf 'spf-check -T 500\ndmarc-eval -T 500\n' >"$T/conf/smtp-filters"

# session IP MAILFROM FROM [HEADER...]: one message; the reply in $T/r,
# the log in $T/log, the queued message (without the envelope head and
# smtp-recv's Received field, which differ from run to run) in $T/last
n=0
session() {
	_ip=$1 _mf=$2 _from=$3; shift 3
	n=$((n + 1))
	ls "$Q"/mess/ 2>/dev/null | sort >"$T/before"
	{
		printf 'EHLO client.test\r\nMAIL FROM:<%s>\r\n' "$_mf"
		printf 'RCPT TO:<demo@example.test>\r\nDATA\r\n'
		for _h in "$@"; do printf '%s\r\n' "$_h"; done
		printf 'From: <%s>\r\nSubject: test %s\r\n\r\nbody\r\n.\r\nQUIT\r\n' \
		    "$_from" "$n"
	} | TCPREMOTEIP=$_ip $TRACE smtp-recv >"$T/r" 2>"$T/log"
	_f=$(ls "$Q"/mess/ 2>/dev/null | sort | comm -13 "$T/before" - |
	    head -n 1)
	if [ -n "$_f" ]; then
		sed '1,/^$/d' "$Q/mess/$_f" | awk '/^Received: /{ r = 1; next }
		    r && /^[ \t]/ { next } { r = 0; print }' >"$T/last"
	else
		: >"$T/last"
	fi
}
TRACE=

# p=reject, SPF fails (198.51.100.1 is not in the record), no DKIM
session 198.51.100.1 a@reject.test a@reject.test
contains "p=reject fail: refused with 550 5.7.1" "$T/r" \
    '^550 5\.7\.1 DMARC policy of reject\.test rejects this message'
contains "p=reject fail: the log line for a report" "$T/log" \
    '^dmarc-eval: info: dmarc=fail header_from=reject\.test found=author p=reject .*policy=reject dis=reject .*spf=fail spf_domain=reject\.test spf_scope=mfrom spf_aligned=0 .*ip=198\.51\.100\.1 .*action=reject'
check "p=reject fail: nothing queued" test ! -s "$T/last"

# aligned SPF pass
session 192.0.2.7 a@reject.test a@reject.test
contains "aligned pass: queued" "$T/r" '^250 2\.0\.0 OK queued as '
contains "aligned pass: dmarc=pass in Authentication-Results" "$T/last" \
    'dmarc=pass \(p=reject dis=none\) header\.from=reject\.test'
contains "aligned pass: spf=pass from spf-check" "$T/last" \
    'spf=pass smtp\.mailfrom=a@reject\.test'
is "aligned pass: dmarc-eval's field first" "$(sed -n 1p "$T/last")" \
    "$(printf 'Authentication-Results: mx.example.test;\r')"
cp "$T/last" "$T/builtin"

# relaxed alignment (the default): MAIL FROM in a subdomain
session 192.0.2.7 a@sub.reject.test a@reject.test
contains "relaxed: a subdomain MAIL FROM passes" "$T/last" 'dmarc=pass '
# strict (aspf=s): the same shape fails and p=reject refuses it
session 192.0.2.7 a@sub.strict.test a@strict.test
contains "strict: a subdomain MAIL FROM fails" "$T/r" \
    '^550 5\.7\.1 DMARC policy of strict\.test '
contains "strict: the log says spf passed, not aligned" "$T/log" \
    'spf=pass spf_domain=sub\.strict\.test .*spf_aligned=0'

# the record only at the Organizational Domain (example.co.uk, from the
# public suffix list: co.uk is a public suffix); sp= for the subdomain
session 198.51.100.1 a@other.test a@news.example.co.uk
contains "org domain: record found, sp=quarantine applied, accepted" \
    "$T/r" '^250 '
contains "org domain: dis=quarantine from sp" "$T/last" \
    'dmarc=fail \(p=quarantine dis=quarantine\) header\.from=news\.example\.co\.uk'
contains "org domain: the log says found=org" "$T/log" \
    'header_from=news\.example\.co\.uk found=org p=reject sp=quarantine'
session 198.51.100.1 a@other.test a@example.co.uk
contains "org domain itself: p=reject refuses" "$T/r" \
    '^550 5\.7\.1 DMARC policy of example\.co\.uk '

# p=quarantine: accepted, marked; later into .Junk
session 198.51.100.1 a@other.test a@quar.test
contains "quarantine: accepted" "$T/r" '^250 '
contains "quarantine: dis=quarantine recorded" "$T/last" \
    'dmarc=fail \(p=quarantine dis=quarantine\) header\.from=quar\.test'

# pct=0: sampled out, the next lower policy (6.6.4): none
session 198.51.100.1 a@other.test a@pct.test
contains "pct=0: dis=none" "$T/last" \
    'dmarc=fail \(p=quarantine dis=none\) header\.from=pct\.test'
contains "pct=0: the log says sampled_out=1" "$T/log" 'sampled_out=1'

# no record
session 192.0.2.7 a@other.test a@none.test
contains "no record: dmarc=none" "$T/last" 'dmarc=none header\.from=none\.test'

# a DNS timeout: temperror, accepted
session 198.51.100.1 a@other.test a@slow.test
contains "DNS timeout: accepted" "$T/r" '^250 '
contains "DNS timeout: temperror recorded" "$T/last" \
    'dmarc=temperror reason="DNS timeout" header\.from=slow\.test'

# several From fields (RFC 7489 6.6.1): permerror, no policy applied
session 198.51.100.1 a@reject.test a@reject.test 'From: <b@reject.test>'
contains "two From fields: accepted" "$T/r" '^250 '
contains "two From fields: permerror" "$T/last" \
    'dmarc=permerror reason="several From fields"'

# a forged Authentication-Results claiming spf=pass is not believed
session 198.51.100.1 a@reject.test a@reject.test \
    'Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=a@reject.test'
contains "forged spf=pass: still refused" "$T/r" '^550 5\.7\.1 '
contains "forged spf=pass: the log has spf=fail" "$T/log" \
    'dmarc=fail header_from=reject\.test .*spf=fail '
# dmarc-eval alone (no spf-check to remove it): below our Received
# field, it is not believed either
echo 'dmarc-eval -T 500' >"$T/conf/smtp-filters"
session 198.51.100.1 a@reject.test a@reject.test \
    'Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=a@reject.test'
contains "forged, dmarc-eval alone: refused" "$T/r" '^550 5\.7\.1 '
contains "forged, dmarc-eval alone: removed" "$T/log" \
    'removed a forged Authentication-Results'

# dmarc-reject 0: recorded, not refused
printf 'spf-check -T 500\ndmarc-eval -T 500\n' >"$T/conf/smtp-filters"
echo 0 >"$T/conf/dmarc-reject"
session 198.51.100.1 a@reject.test a@reject.test
contains "dmarc-reject 0: accepted" "$T/r" '^250 '
contains "dmarc-reject 0: the fail recorded" "$T/last" \
    'dmarc=fail \(p=reject dis=reject\) header\.from=reject\.test'
rm -f "$T/conf/dmarc-reject"

# builtin vs program: the same bytes (subjects are numbered: same n)
printf 'spf-check -T 500\n%s -T 500\n' "$BIN/dmarc-eval" >"$T/conf/smtp-filters"
n=1
TRACE="env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=execve -o $T/strace"
session 192.0.2.7 a@reject.test a@reject.test
check "program: the same bytes as the builtin" cmp -s "$T/builtin" "$T/last"
is "program: exec'd (a second execve)" \
    "$(grep 'execve(' "$T/strace" | grep -c ' = 0$')" 2
printf 'spf-check -T 500\ndmarc-eval -T 500\n' >"$T/conf/smtp-filters"
n=1
session 192.0.2.7 a@reject.test a@reject.test
is "builtin: no execve but smtp-recv's own" \
    "$(grep 'execve(' "$T/strace" | grep -c ' = 0$')" 1
TRACE=

# delivery: the quarantined message into .Junk, the others into INBOX
queue-run -1 2>"$T/qlog"
J=$M/demo/Maildir/.Junk
is "queue-run: the two quarantined messages in .Junk/new" \
    "$(count_files "$J/new")" 2
check "queue-run: the pct=0 one in INBOX" \
    grep -q 'header\.from=pct\.test' $(ls "$M/demo/Maildir/new/"*)
check "queue-run: no quarantined one in INBOX" \
    sh -c '! grep -q "dis=quarantine" "$1"/*' _ "$M/demo/Maildir/new"
check "queue-run: .Junk is a Maildir++ folder" test -f "$J/maildirfolder"
contains "queue-run: the quarantine logged" "$T/qlog" \
    'delivered to=<demo@example\.test> account=demo file=.* folder=Junk reason=dmarc-quarantine'
