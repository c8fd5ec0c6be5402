#!/bin/sh
# spf-check (RFC 7208) as a filter stage and with -i, against t/dnsd.py:
# Received-SPF (9.1) and Authentication-Results (RFC 8601) at the top,
# the body byte for byte, forged results claiming our authserv-id
# removed (RFC 8601 5), the HELO identity for a null MAIL FROM, a DNS
# timeout recorded as temperror with exit 0, a 64 KB TXT (over TCP), the
# control file spf-reject.
. "$TOP/t/lib.sh"

plan 16

cat >"$T/zone" <<'Z'
$ORIGIN example.com.
@       TXT  "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all exp=why.%{d}"
why     TXT  "%{i} may not send for %{d}"
soft    TXT  "v=spf1 ~all"
slow    TXT  "v=spf1 a:dead.example.com -all"
dead    TIMEOUT
helo    TXT  "v=spf1 a -all"
helo    A    192.0.2.77
Z
/usr/bin/python3 -c 'print("big.example.com. TXT \"v=spf1 " +
    " ".join("ip4:10.%d.%d.0/24" % (i // 256, i % 256) for i in range(3500)) +
    " -all\"")' >>"$T/zone"
/usr/bin/python3 -c 'print("junk.example.com. TXT \"v=spf1 " + "x" * 64000 + "\"")' >>"$T/zone"

if dnsd_start "$T/zone"; then ok "the DNS server runs"
else not_ok "the DNS server runs" "$(cat "$T/dnsd.err")"; fi
mkdir "$T/conf"
POSTERN_CONF=$T/conf
export POSTERN_CONF

one() { spf-check -T 2000 -i "$@" 2>/dev/null; }
is "-i: pass" "$(one 192.0.2.1 -s joe@example.com)" "pass"
is "-i: fail with the exp= text" "$(one 198.51.100.1 -s joe@example.com)" \
    "fail 198.51.100.1 may not send for example.com"
is "-i: IPv6" "$(one 2001:db8::1 -s joe@example.com)" "pass"
is "-i: the HELO identity" "$(one 192.0.2.77 -H helo.example.com -s '')" \
    "pass"
is "-i: a 64 KB record over TCP" "$(one 10.13.171.9 -s a@big.example.com)" \
    "pass"
is "-i: 64 KB of junk: permerror" "$(one 10.0.0.1 -s a@junk.example.com)" \
    "permerror"

printf 'Authentication-Results: mx.example.org; spf=pass\r\nSubject: hi\r\n\r\nbody\r\n.line\r\n' >"$T/msg"
run() {	# run IP FROM: the stage on $T/msg into $T/out, $T/err; exit code
	env TCPREMOTEIP="$1" SMTP_MAILFROM="$2" SMTP_HELO=helo.example.com \
	    SMTP_HOSTNAME=mx.example.org spf-check -T 1000 <"$T/msg" \
	    >"$T/out" 2>"$T/err"
}
exits "stage: fail recorded, exit 0" 0 run 198.51.100.1 joe@example.com
contains "stage: Received-SPF first" "$T/out" \
    '^Received-SPF: fail \(mx.example.org: domain of joe@example.com does not designate 198.51.100.1'
contains "stage: Authentication-Results" "$T/out" \
    '^	spf=fail smtp.mailfrom=joe@example.com'
printf 'Subject: hi\r\n\r\nbody\r\n.line\r\n' >"$T/tail"
if ! grep -q 'spf=pass' "$T/out" &&
    tail -c "$(wc -c <"$T/tail")" "$T/out" | cmp -s - "$T/tail"; then
	ok "stage: the forged field removed, the rest byte for byte"
else
	not_ok "stage: the forged field removed, the rest byte for byte" \
	    "$(cat -A "$T/out")"
fi
run 192.0.2.5 ""
contains "stage: null MAIL FROM: smtp.helo" "$T/out" \
    'spf=(pass|fail|none) smtp.helo=helo.example.com'
exits "stage: a DNS timeout, exit 0" 0 run 192.0.2.5 joe@slow.example.com
contains "stage: the timeout recorded as temperror" "$T/out" \
    'spf=temperror smtp.mailfrom=joe@slow.example.com'
echo fail >"$T/conf/spf-reject"
exits "spf-reject fail: exit 100" 100 run 198.51.100.1 joe@example.com
is "spf-reject fail: the reply is the last line" "$(tail -n 1 "$T/err")" \
    "550 5.7.23 SPF of example.com: fail"
