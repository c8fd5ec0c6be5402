#!/bin/sh
# queue-run: delivery end to end into Maildirs (aliases, subaddress,
# catch-all), DSNs, remote recipients held, retries, signals, restart,
# and kill -9 at random times: every message delivered, duplicates only
# in the documented window.
. "$TOP/t/lib.sh"
plan 72

# every queue-run started here is a session leader: kill its group at exit
pids=
trap 'for p in $pids; do kill -9 -$p 2>/dev/null; done; rm -rf "$T"' EXIT
export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" POSTERN_MAILROOT="$T/mail"
C=$T/conf Q=$T/queue M=$T/mail
mkdir -p "$C" "$M"
echo mx.example.test >"$C/me"
printf 'example.test\nother.test\n' >"$C/domains"
printf '%s\n' 'demo@example.test demo' 'bob@example.test bob' \
    'carol@example.test carol' '@other.test catchall' \
    "$(printf 'j\303\266rg@example.test joerg')" >"$C/recipients"
printf '%s\n' 'team@example.test demo@example.test, bob@example.test, friend@remote.test' \
    'loop@example.test loop2@example.test' 'loop2@example.test loop@example.test' >"$C/aliases"
for t in domains recipients aliases; do
	cdb -c -m "$C/$t.cdb" "$C/$t" || exit 111
done

count() {	# count ACCOUNT: messages in its Maildir/new
	count_files "$M/$1/Maildir/new"
}
listed() {	# listed ID PATTERN: queue list ID has a line matching PATTERN
	queue list "$1" 2>/dev/null | grep -qE -e "$2"
}
has() {		# has ACCOUNT N: the account has N messages
	[ "$(count "$1")" -eq "$2" ]
}
queue_empty() {
	[ "$(count_files "$Q/mess")" -eq 0 ]
}
newest() {	# newest ACCOUNT: the newest message file
	ls -t "$M/$1/Maildir/new/"* | head -n 1
}
inject() {	# inject SENDER [-o ...] RCPT...: prints the id
	_f=$1; shift
	printf 'Subject: %s\n\nbody\n' "${SUBJ:-test}" | queue-inject -f "$_f" "$@" 2>>"$T/inject.log"
}
start() {
	setsid queue-run 2>>"$T/log" &
	qr=$!
	pids="$pids $qr"
	wait_for 60 grep -q 'queue-run: info: start' "$T/log"
}
stop() {
	kill -TERM $qr
	wait $qr
}

exits "-h is usage" 100 queue-run -h 2>"$T/err"
contains "usage line" "$T/err" '^usage: queue-run'
exits "an argument is usage" 100 queue-run now 2>/dev/null
echo 0 >"$C/queue-concurrency"
exits "bad queue-concurrency: 111" 111 queue-run -1 2>"$T/err"
contains "names the file" "$T/err" 'fatal: bad control file .*/queue-concurrency'
rm "$C/queue-concurrency"
check "no queue yet" test ! -e "$Q"

# --- the daemon makes the layout and delivers at once (the trigger)
check "starts" start
check "made the queue layout" test -d "$Q/mess" -a -d "$Q/env" -a -d "$Q/tmp" -a -p "$Q/trigger"
inject bob@example.test demo@example.test >/dev/null
check "delivered at once" wait_for 60 has demo 1
f=$(newest demo)
is "Return-Path" "$(sed -n 1p "$f")" "Return-Path: <bob@example.test>"
is "Delivered-To (RFC 9228)" "$(sed -n 2p "$f")" "Delivered-To: demo@example.test"
is "then the message" "$(sed -n '3,$p' "$f")" "Subject: test

body"
check "the queue is empty again" wait_for 60 queue_empty
is "no state left" "$(count_files "$Q/env")" 0

# --- an alias with several targets, one of them remote
id=$(inject demo@example.test team@example.test)
check "alias: demo" wait_for 60 has demo 2
check "alias: bob" wait_for 60 has bob 1
check "the remote target is held" wait_for 60 grep -q "$id held remote=<friend@remote.test>" "$T/log"
check "queue list shows it remote" wait_for 60 listed "$id" 'to=<friend@remote.test> state=remote'
check "and the local ones done" wait_for 60 listed "$id" 'to=<bob@example.test> account=bob state=done'
check "the message stays for remote delivery" test -f "$Q/mess/$id"
queue drop "$id" 2>/dev/null

# --- subaddress and catch-all
inject bob@example.test demo+news@example.test >/dev/null
check "subaddress: demo" wait_for 60 has demo 3
is "Delivered-To keeps the detail" "$(sed -n 2p "$(newest demo)")" "Delivered-To: demo+news@example.test"
inject bob@example.test anyone@other.test >/dev/null
check "catch-all" wait_for 60 has catchall 1

# --- an unknown local user: a DSN to the (local) sender
inject bob@example.test nobody@example.test >/dev/null
check "the DSN lands in the sender's Maildir" wait_for 60 has bob 2
f=$(newest bob)
contains "DSN: null Return-Path" "$f" '^Return-Path: <>$'
contains "DSN: from the mailer daemon" "$f" '^From: Mail Delivery System <MAILER-DAEMON@mx.example.test>$'
contains "DSN: multipart/report" "$f" 'multipart/report; report-type=delivery-status'
contains "DSN: Final-Recipient" "$f" '^Final-Recipient: rfc822; nobody@example.test$'
contains "DSN: Action" "$f" '^Action: failed$'
contains "DSN: Status 5.1.1" "$f" '^Status: 5.1.1$'
contains "DSN: the original returned" "$f" '^Subject: test$'
check "queue empty after the DSN" wait_for 60 queue_empty

# --- NOTIFY=SUCCESS: a "delivered" DSN (RFC 3461 6.2)
inject bob@example.test -o rcpt.0.notify=SUCCESS -o envid=E1 demo@example.test >/dev/null
check "success DSN to the sender" wait_for 60 has bob 3
f=$(newest bob)
contains "Action: delivered" "$f" '^Action: delivered$'
contains "Original-Envelope-Id" "$f" '^Original-Envelope-Id: E1$'
contains "headers only" "$f" '^Content-Type: text/rfc822-headers$'

# --- NOTIFY=SUCCESS on an alias of several: "expanded" (RFC 3461 6.2.7.3)
id=$(inject bob@example.test -o rcpt.0.notify=SUCCESS team@example.test)
check "expanded DSN to the sender" wait_for 60 has bob 5
grep -l '^Action: expanded$' "$M/bob/Maildir/new/"* >"$T/found" 2>/dev/null
is "one expanded DSN" "$(wc -l <"$T/found" | tr -d ' ')" 1
contains "names the alias" "$(cat "$T/found")" '^Final-Recipient: rfc822; team@example.test$'
queue drop "$id" 2>/dev/null

# --- SMTPUTF8: the DSN uses the RFC 6533 global types
jorg=$(printf 'j\303\266rg@example.test')
inject "$jorg" -o smtputf8=1 nobody@example.test >/dev/null
check "UTF-8 sender gets its DSN" wait_for 60 has joerg 1
f=$(newest joerg)
contains "global report type" "$f" 'report-type=global-delivery-status'
contains "message/global-delivery-status" "$f" '^Content-Type: message/global-delivery-status$'
contains "To: the UTF-8 address" "$f" "^To: <$jorg>\$"

# --- no DSN to the null sender; an undeliverable DSN is dropped
inject '' nobody@example.test >/dev/null
check "null sender: double bounce logged" wait_for 60 grep -q 'double bounce dropped rcpt=<nobody@example.test>' "$T/log"
inject ghost@example.test nobody@example.test >/dev/null
check "DSN to an unknown sender dropped" wait_for 60 grep -q 'double bounce dropped rcpt=<ghost@example.test>' "$T/log"
check "nothing left queued" wait_for 60 queue_empty
inject bob@example.test loop@example.test >/dev/null
check "an alias loop ends (no such user)" wait_for 60 grep -q "failed rcpt=<loop@example.test> error=5.1.1" "$T/log"

# --- a remote recipient is held
id=$(inject bob@example.test x@remote.test)
check "remote: held" wait_for 60 grep -q "$id held remote=<x@remote.test>" "$T/log"
check "queue list: routed" wait_for 60 listed "$id" 'rcpt=<x@remote.test> state=routed'
check "queue list: target remote" wait_for 60 listed "$id" 'to=<x@remote.test> state=remote'
queue drop "$id" 2>/dev/null

# --- a temporary failure, retried after a kick
: >"$M/carol"	# a file where carol's directory should be
id=$(inject bob@example.test carol@example.test)
check "deferred" wait_for 60 grep -q "$id deferred to=<carol@example.test> attempts=1" "$T/log"
check "queue list: deferred, next in 15m" wait_for 60 listed "$id" 'state=deferred attempts=1 next=in-1[45]m error=4.2.0'
rm "$M/carol"
exits "queue kick" 0 queue kick "$id"
check "delivered after the kick" wait_for 60 has carol 1
check "queue empty" wait_for 60 queue_empty

# --- SIGTERM: a clean stop
stop; rc=$?
is "SIGTERM: exit 0" "$rc" 0
contains "logs stop" "$T/log" 'queue-run: info: stop'
check "no worker left" sh -c "! pgrep -s $qr queue-run >/dev/null"
lacks "no worker died" "$T/log" 'worker died'
lacks "no sanitizer report" "$T/log" 'Sanitizer|runtime error'

# --- restart resumes: mail queued while it was down is delivered
n=$(count demo)
for i in 1 2 3; do inject bob@example.test demo@example.test >/dev/null; done
is "queued while down" "$(count_files "$Q/mess")" 3
check "restarts" start
check "delivered after the restart" wait_for 60 has demo $((n + 3))
stop

# --- one pass: queue-run -1
for i in 1 2; do inject bob@example.test demo@example.test >/dev/null; done
exits "queue-run -1" 0 queue-run -1 2>>"$T/log"
check "-1 delivered them" has demo $((n + 5))
is "-1 left nothing" "$(count_files "$Q/mess")" 0

# --- crash safety: kill -9 (all processes) at random times
printf '4\n' >"$C/queue-concurrency"
N=300
i=0
while [ $i -lt $N ]; do
	case $((i % 3)) in
	0) r=demo@example.test;; 1) r=bob@example.test;; 2) r=carol+x@example.test;;
	esac
	{ printf 'Subject: crash-%d\n\n' $i; head -c 60000 /dev/zero | tr '\0' 'y' | fold -w 78; } |
	    queue-inject -f a@x.test "$r" >/dev/null 2>&1
	i=$((i + 1))
done
rm -rf "$M/demo" "$M/bob" "$M/carol"
kills=0
for d in 0.05 0.02 0.08 0.03 0.1 0.04 0.06 0.02 0.12 0.05 0.07 0.03; do
	setsid queue-run 2>>"$T/crash.log" &
	p=$!
	pids="$pids $p"
	sleep $d
	# the whole group: the scheduler and its workers
	kill -9 -$p 2>/dev/null && kills=$((kills + 1))
	wait $p 2>/dev/null
	queue_empty && break
done
exits "then a clean run" 0 queue-run -1 2>>"$T/crash.log"
lacks "crash: no sanitizer report" "$T/crash.log" 'Sanitizer|runtime error'
is "crash: queue empty at the end" "$(count_files "$Q/mess")" 0
grep -h '^Subject: crash-' "$M"/*/Maildir/new/* | sort | uniq -c | awk '{ print $1 }' >"$T/copies"
is "crash: every message delivered" "$(wc -l <"$T/copies" | tr -d ' ')" "$N"
extra=$(awk '{ e += $1 - 1 } END { print e + 0 }' "$T/copies")
check "crash: duplicates ($extra) only in the window (<= $kills kills x 4 workers)" test "$extra" -le $((kills * 4))
echo "# crash: $kills kills, $extra duplicate(s)"
# a message can be caught in the window once per kill, no more
check "crash: no message more than once per kill" test "$(sort -n "$T/copies" | tail -n 1)" -le $((kills + 1))
