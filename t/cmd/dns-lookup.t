#!/bin/sh
# dns-lookup and lib/dns against a real DNS server on loopback (t/dnsd.py
# through POSTERN_RESOLVER): each record type parsed, TXT strings joined
# (RFC 7208 3.3), a 40 KB TXT over TCP after a truncated UDP answer, a
# CNAME followed, NXDOMAIN and NODATA told apart, SERVFAIL, a timeout
# bounded by -T, IDNA names asked in A-labels, bad names never asked,
# exit codes, and the configuration errors.
. "$TOP/t/lib.sh"
plan 27

export POSTERN_CONF="$T/conf"
mkdir -p "$T/conf"
big=$(awk 'BEGIN { for (i = 0; i < 40000; i++) printf "x" }')
cat >"$T/zone" <<EOF2
\$ORIGIN example.test.
\$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 60
@        TXT  "v=spf1 " "ip4:192.0.2.0/24 " "-all"
@        MX   10 mail
@        MX   20 backup.example.net.
mail     60 A 192.0.2.1
mail     AAAA 2001:db8::1
www      CNAME mail
big      TXT  "$big"
_25._tcp.mail TLSA 3 1 1 0123456789abcdef
1.2.0.192.in-addr.arpa. PTR mail.example.test.
xn--bcher-kva A 192.0.2.7
slow     TIMEOUT
broken   SERVFAIL
EOF2
if ! dnsd_start "$T/zone"; then
	skip "the test DNS server did not start: $(tail -n 3 "$T/dnsd.err")" 27
	exit 0
fi

look() { dns-lookup "$@" >"$T/out" 2>"$T/err"; rc=$?; }
look -t A mail.example.test
is "A: exit 0" "$rc" 0
is "A: the address, its TTL" "$(cat "$T/out")" "mail.example.test A 60 sec=insecure 192.0.2.1"
look -t AAAA mail.example.test
is "AAAA (the zone TTL)" "$(cat "$T/out")" "mail.example.test AAAA 300 sec=insecure 2001:db8::1"
look -t MX example.test
contains "MX: preference and target" "$T/out" '^example.test MX 300 sec=insecure 10 mail\.example\.test$'
contains "MX: the second one" "$T/out" ' 20 backup\.example\.net$'
look -t TXT example.test
is "TXT: the strings joined, no space added" "$(cat "$T/out")" \
    'example.test TXT 300 sec=insecure "v=spf1 ip4:192.0.2.0/24 -all"'
look -t TXT big.example.test
is "a 40 KB TXT (TCP after a truncated UDP answer): exit 0" "$rc" 0
is "all of it" "$(sed 's/.*"\(x*\)"$/\1/' "$T/out" | tr -d '\n' | wc -c | tr -d ' ')" 40000
look -t A www.example.test
is "CNAME followed: the target's address" "$(cat "$T/out")" \
    "www.example.test A 60 sec=insecure 192.0.2.1"
look -t CNAME www.example.test
contains "CNAME asked as such" "$T/out" 'CNAME 300 sec=insecure mail\.example\.test$'
look -t TLSA _25._tcp.mail.example.test
contains "TLSA: usage, selector, type, data in hex" "$T/out" ' 3 1 1 0123456789abcdef$'
look -t PTR 1.2.0.192.in-addr.arpa
contains "PTR" "$T/out" 'PTR 300 sec=insecure mail\.example\.test$'
look -t A "b$(printf '\303\274')cher.example.test"
contains "IDNA: asked as xn--bcher-kva" "$T/out" ' 192\.0\.2\.7$'

look -t A nowhere.example.test
is "NXDOMAIN: exit 100" "$rc" 100
contains "NXDOMAIN: said so" "$T/out" '^nowhere.example.test A nxdomain'
look -t MX mail.example.test
is "NODATA: exit 100" "$rc" 100
contains "NODATA: told apart from NXDOMAIN" "$T/out" '^mail.example.test MX nodata'
look -t A broken.example.test
is "SERVFAIL: exit 111" "$rc" 111
contains "SERVFAIL: said so" "$T/out" 'servfail'
t0=$(date +%s)
look -t A -T 1500 slow.example.test
t1=$(date +%s)
is "no answer: exit 111" "$rc" 111
contains "no answer: timeout" "$T/out" '^slow.example.test A timeout'
check "no answer: within -T (1.5 s) and a margin" test $((t1 - t0)) -le 5
look -t A "a..b.example.test"
contains "a bad name: not asked" "$T/out" 'badname'
look -t A mail.example.test nowhere.example.test
is "two names, one without records: exit 100" "$rc" 100

# usage and configuration
exits "an unknown type: exit 100" 100 dns-lookup -t SRV example.test 2>/dev/null
POSTERN_RESOLVER='not an address' dns-lookup mail.example.test >/dev/null 2>"$T/err"
is "a bad POSTERN_RESOLVER: exit 111" $? 111
contains "and why" "$T/err" 'bad resolver address'
