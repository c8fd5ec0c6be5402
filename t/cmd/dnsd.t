#!/bin/sh
# t/dnsd.py, the test DNS server every DNS test uses: records by type,
# TXT strings kept apart, NXDOMAIN against NODATA (RFC 2308), the AA and
# RA flags, SERVFAIL, dropped and delayed queries, TC over UDP and the
# whole answer over TCP (RFC 1035 4.2, RFC 7766), CNAME, type SPF (99),
# TLSA, loopback only, SIGTERM.  Asked with dnslib's own client, so no
# dig is needed; lib/dns against it is in t/cmd/spf-*.t.
. "$TOP/t/lib.sh"

plan 24

{
	echo '$ORIGIN example.com.'
	echo '$TTL 60'
	echo '@      SOA   ns hostmaster 1 3600 600 86400 60'
	echo 'mail   A     192.0.2.1'
	echo '       AAAA  2001:db8::1'
	echo '@      TXT   "v=spf1 " "mx -all"   ; two strings'
	echo '@      MX    10 mail'
	echo 'alias  CNAME mail'
	echo 'old    SPF   "v=spf1 -all"'
	echo '_25._tcp.mail TLSA 3 1 1 ( 0123abcd'
	echo '       4567 )'
	echo 'a.b.c  A     192.0.2.9'
	echo 'dead   TIMEOUT'
	echo 'half   A     192.0.2.2'
	echo 'half   TIMEOUT TXT'
	echo 'bad    SERVFAIL'
	echo 'slow   A     192.0.2.3'
	echo 'slow   DELAY=400'
	printf '%s\n' 'sp\032ace A  192.0.2.4'
	printf 'big    TXT   "%s"\n' "$(/usr/bin/python3 -c 'print("x" * 64000)')"
} >"$T/zone"

cat >"$T/q.py" <<'EOF'
# q.py PORT NAME TYPE [tcp]: one line: RCODE flags answers (or "timeout")
import sys, time
from dnslib import DNSRecord, RCODE
port, name, qtype = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tcp = len(sys.argv) > 4
q = DNSRecord.question(name, qtype)
t0 = time.monotonic()
try:
    r = DNSRecord.parse(q.send("127.0.0.1", port, tcp=tcp, timeout=1.5))
except OSError:
    print("timeout")
    sys.exit(0)
ms = int((time.monotonic() - t0) * 1000)
h = r.header
flags = " ".join(f for f, v in (("aa", h.aa), ("ra", h.ra), ("tc", h.tc)) if v)
ans = []
for rr in r.rr:
    if rr.rtype == 16:
        # long strings as LEN*CHAR, runs of equal ones as ...xCOUNT
        parts = [s.decode() if len(s) < 40 else
                 "%d*%s" % (len(s), s[:1].decode()) for s in rr.rdata.data]
        runs = []
        for p in parts:
            if runs and runs[-1][0] == p:
                runs[-1][1] += 1
            else:
                runs.append([p, 1])
        ans.append("TXT:" + "|".join(p if n == 1 else "%sx%d" % (p, n)
                                     for p, n in runs))
    else:
        ans.append("%s:%s" % (rr.rtype, rr.rdata))
soa = "soa" if any(a.rtype == 6 for a in r.auth) else ""
print(RCODE.get(r.header.rcode), flags, " ".join(ans), soa,
      "slow" if ms >= 350 else "")
EOF
q() { /usr/bin/python3 "$T/q.py" "$DNSD_PORT" "$@" | tr -s ' ' | sed 's/ $//'; }

if dnsd_start "$T/zone"; then ok "dnsd_start: the server is up"
else not_ok "dnsd_start: the server is up" "$(cat "$T/dnsd.err")"; fi
case $POSTERN_RESOLVER in
127.0.0.1@"$DNSD_PORT") ok "POSTERN_RESOLVER names it" ;;
*) not_ok "POSTERN_RESOLVER names it" "$POSTERN_RESOLVER" ;;
esac

is "A, authoritative, recursion available" "$(q mail.example.com A)" \
    "NOERROR aa ra 1:192.0.2.1"
is "AAAA" "$(q mail.example.com AAAA)" "NOERROR aa ra 28:2001:db8::1"
is "TXT: two strings kept apart" "$(q example.com TXT)" \
    "NOERROR aa ra TXT:v=spf1 |mx -all"
is "MX" "$(q example.com MX)" "NOERROR aa ra 15:10 mail.example.com."
is "a name with other types: NODATA, with the SOA" \
    "$(q mail.example.com TXT)" "NOERROR aa ra soa"
is "no such name: NXDOMAIN, with the SOA" "$(q nx.example.com A)" \
    "NXDOMAIN aa ra soa"
is "an empty non-terminal: NODATA (RFC 8020)" "$(q b.c.example.com A)" \
    "NOERROR aa ra soa"
is "names are case-insensitive" "$(q MAIL.Example.COM A)" \
    "NOERROR aa ra 1:192.0.2.1"
is "CNAME followed in the data" "$(q alias.example.com A)" \
    "NOERROR aa ra 5:mail.example.com. 1:192.0.2.1"
is "type SPF (99)" "$(q old.example.com SPF)" \
    'NOERROR aa ra 99:\# 12 0B763D73706631202D616C6C'
is "TLSA across parentheses" "$(q _25._tcp.mail.example.com TLSA)" \
    "NOERROR aa ra 52:3 1 1 0123ABCD4567"
is "an escaped space in a label" "$(q 'sp ace.example.com' A)" \
    "NOERROR aa ra 1:192.0.2.4"
is "SERVFAIL: RCODE 2" "$(q bad.example.com A)" "SERVFAIL aa ra"
is "TIMEOUT: never answered" "$(q dead.example.com A)" "timeout"
is "TIMEOUT TXT: the other types answered" "$(q half.example.com A)" \
    "NOERROR aa ra 1:192.0.2.2"
is "TIMEOUT TXT: TXT never" "$(q half.example.com TXT)" "timeout"
is "DELAY=400: answered, late" "$(q slow.example.com A)" \
    "NOERROR aa ra 1:192.0.2.3 slow"
is "a 64 KB TXT over UDP: TC, no answer" "$(q big.example.com TXT)" \
    "NOERROR aa ra tc"
is "the 64 KB TXT over TCP: 251 strings" "$(q big.example.com TXT tcp)" \
    "NOERROR aa ra TXT:255*xx250|250*x"

kill "$DNSD_PID"
wait "$DNSD_PID" 2>/dev/null
rc=$?
if [ "$rc" -eq 0 ] && ! ls "$T"/dnsd.port.* >/dev/null 2>&1; then
	ok "SIGTERM: exit 0, the port file removed"
else
	not_ok "SIGTERM: exit 0, the port file removed" "exit $rc: $(ls "$T")"
fi

/usr/bin/python3 "$TOP/t/dnsd.py" -a 0.0.0.0 "$T/zone" 2>"$T/err" &
pid=$!
wait_for 20 sh -c '! kill -0 '"$pid"' 2>/dev/null'
wait "$pid"
rc=$?
if [ "$rc" -eq 100 ] && grep -q "loopback only" "$T/err"; then
	ok "-a 0.0.0.0: refused, loopback only"
else
	not_ok "-a 0.0.0.0: refused, loopback only" "exit $rc"
fi
echo 'x.example.com. A not-an-address' >"$T/badzone"
timeout 20 /usr/bin/python3 "$TOP/t/dnsd.py" "$T/badzone" 2>"$T/err"
rc=$?
if [ "$rc" -eq 100 ] && grep -q "badzone:1" "$T/err"; then
	ok "a bad zone line: exit 100, the file and line named"
else
	not_ok "a bad zone line: exit 100, the file and line named" \
	    "exit $rc: $(cat "$T/err")"
fi
