#!/bin/sh
# postern's own stages run inside smtp-recv (issue 10, DESIGN.md section
# 4): spf-check named in smtp-filters runs in-process (no execve beyond
# smtp-recv's own) and gives, byte for byte, what the program gives when
# the chain names it by its path (exec'd); in a chain with a program
# after it; a forged Authentication-Results claiming our authserv-id is
# removed both ways.  DNS from t/dnsd.py on loopback.  (LeakSanitizer
# cannot run under strace: off for the traced sessions.)
. "$TOP/t/lib.sh"
plan 12

export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue"
unset RELAYCLIENT TCPREMOTEHOST TCPREMOTEPORT
conf-init -d "$T/conf" -n mx.example.test example.test demo 2>/dev/null || exit 111
queue init || exit 111
cat >"$T/zone" <<'EOF2'
$ORIGIN sender.test.
@     TXT "v=spf1 ip4:192.0.2.0/24 -all"
EOF2
if ! dnsd_start "$T/zone"; then
	skip "the test DNS server did not start" 12
	exit 0
fi

session() {	# session: one message from 192.0.2.7; its file in $T/last
	rm -f "$Q"/mess/* 2>/dev/null
	printf 'EHLO client.test\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\nAuthentication-Results: mx.example.test; spf=pass (forged)\r\nSubject: stage test\r\n\r\nbody\r\n.\r\nQUIT\r\n' |
	    TCPREMOTEIP=192.0.2.7 ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=execve -o "$T/strace" \
	    smtp-recv >"$T/r" 2>"$T/log"
	f=$(ls "$Q"/mess/* 2>/dev/null | head -1)
	# the message without the envelope head and without smtp-recv's
	# Received field (its id and time differ from run to run)
	if [ -n "$f" ]; then
		sed '1,/^$/d' "$f" | awk '/^Received: /{ r = 1; next }
		    r && /^[ \t]/ { next } { r = 0; print }' >"$T/last"
	else
		: >"$T/last"
	fi
}
Q=$T/queue

echo spf-check >"$T/conf/smtp-filters"
session
cp "$T/last" "$T/builtin"
contains "builtin: queued" "$T/r" '^250 2\.0\.0 OK queued as '
is "builtin: no execve but smtp-recv's own" "$(grep 'execve(' "$T/strace" | grep -c ' = 0$')" 1
contains "builtin: Received-SPF pass" "$T/builtin" '^Received-SPF: pass '
contains "builtin: Authentication-Results spf=pass" "$T/builtin" \
    'spf=pass smtp\.mailfrom=a@sender\.test'
lacks "builtin: the forged field is gone" "$T/builtin" 'forged'
contains "builtin: its log lines name spf-check" "$T/log" '^spf-check: '

echo "$BIN/spf-check" >"$T/conf/smtp-filters"
session
cp "$T/last" "$T/program"
contains "program: queued" "$T/r" '^250 2\.0\.0 OK queued as '
is "program: exec'd (a second execve)" "$(grep 'execve(' "$T/strace" | grep -c ' = 0$')" 2
check "the same bytes out both ways" cmp -s "$T/builtin" "$T/program"

# a chain: the builtin, then a program after it
printf 'spf-check\ncat\n' >"$T/conf/smtp-filters"
session
contains "builtin then a program: queued" "$T/r" '^250 2\.0\.0 OK queued as '
check "the same bytes out" cmp -s "$T/builtin" "$T/last"
is "one execve more, for cat" "$(grep 'execve(' "$T/strace" | grep -c ' = 0$')" 2
