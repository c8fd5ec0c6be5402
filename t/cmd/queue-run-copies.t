#!/bin/sh
# One copy per mailbox (issue 9.10): a message that smtp-recv takes for
# demo+1 ... demo+997, another address of the same account, an alias
# and the account itself is stored once in demo's Maildir, and each
# recipient still gets the DSN its NOTIFY asks for (doc/queue-run.8).
. "$TOP/t/lib.sh"

plan 14

export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" POSTERN_MAILROOT="$T/mail"
C=$T/conf Q=$T/queue M=$T/mail
mkdir -p "$C" "$M"
unset RELAYCLIENT TCPREMOTEIP TCPREMOTEHOST TCPREMOTEPORT
echo mx.example.test >"$C/me"
printf 'example.test\n' >"$C/domains"
printf '%s\n' 'demo@example.test demo' 'd@example.test demo' \
    'bob@example.test bob' >"$C/recipients"
printf '%s\n' 'list@example.test demo+list@example.test, bob@example.test' \
    >"$C/aliases"
for t in domains recipients aliases; do
	cdb -c -m "$C/$t.cdb" "$C/$t" || exit 111
done
queue init || exit 111

# 1000 RCPT commands (smtp-maxrcpt), pipelined
{
	printf 'EHLO client.test\r\nMAIL FROM:<bob@example.test>\r\n'
	printf 'RCPT TO:<demo+1@example.test>\r\n'
	printf 'RCPT TO:<demo+2@example.test> NOTIFY=SUCCESS\r\n'
	i=3
	while [ $i -le 997 ]; do
		printf 'RCPT TO:<demo+%d@example.test>\r\n' $i
		i=$((i + 1))
	done
	printf 'RCPT TO:<d@example.test> NOTIFY=SUCCESS,FAILURE\r\n'
	printf 'RCPT TO:<list@example.test>\r\nRCPT TO:<demo@example.test>\r\n'
	printf 'DATA\r\nSubject: many\r\n\r\nbody\r\n.\r\nQUIT\r\n'
} >"$T/session"
smtp-recv <"$T/session" >"$T/r" 2>"$T/log"
is "smtp-recv: 1000 recipients accepted" "$(grep -c '^250 2\.1\.5 ' "$T/r")" 1000
contains "smtp-recv: queued" "$T/r" '^250 2\.0\.0 OK queued as '

queue-run -1 2>"$T/qlog"
is "queue-run -1: exit 0" "$?" 0
is "one copy in demo's Maildir" "$(count_files "$M/demo/Maildir/new")" 1
f=$(ls "$M/demo/Maildir/new/"* | head -n 1)
is "its Delivered-To is the first recipient's" \
    "$(grep -c '^Delivered-To:' "$f") $(sed -n 2p "$f" | tr -d '\r')" \
    "1 Delivered-To: demo+1@example.test"
is "one delivery logged" "$(grep -c ' delivered to=<demo+1@example.test> account=demo file=' "$T/qlog")" 1
is "the other 999 share it" "$(grep -c ' delivered to=<[^>]*> account=demo one-copy-with=<demo+1@example.test>' "$T/qlog")" 999
# bob: the alias's copy and the success DSN
is "bob: the alias's copy and the DSN" "$(count_files "$M/bob/Maildir/new")" 2
dsn=$(grep -l '^Return-Path: <>' "$M/bob/Maildir/new/"* | head -n 1)
check "the DSN is there" test -n "$dsn"
contains "DSN: delivered for demo+2" "${dsn:-/dev/null}" '^Final-Recipient: rfc822; demo\+2@example\.test'
contains "DSN: delivered for d@" "${dsn:-/dev/null}" '^Final-Recipient: rfc822; d@example\.test'
is "DSN: two delivered reports, nothing else" \
    "$(grep -c '^Action: ' "${dsn:-/dev/null}") $(grep -c '^Action: delivered' "${dsn:-/dev/null}")" "2 2"
is "the queue is empty" "$(count_files "$Q/mess")" 0
lacks "no warning" "$T/qlog" 'warning|fatal'
