#!/bin/sh
# queue-inject: durable injection, options, validation, size limits, and
# crash safety (kill -9 while writing, a full disk, RLIMIT_FSIZE).
. "$TOP/t/lib.sh"
plan 75

trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue"
mkdir -p "$T/conf"
Q=$T/queue
quiet() {	# quiet command...: without its output (exits prints TAP on 1)
	"$@" >/dev/null 2>&1
}
msg='Subject: test

hello
'

# --- usage and a missing layout
exits "-h is usage" 100 queue-inject -h 2>"$T/err"
contains "usage line" "$T/err" '^usage: queue-inject'
exits "no -f is usage" 100 queue-inject a@example.test </dev/null 2>/dev/null
exits "no recipient is usage" 100 queue-inject -f a@example.test </dev/null 2>/dev/null
printf '%s' "$msg" >"$T/msg"
exits "missing queue layout: 111" 111 queue-inject -f a@x.test b@example.test <"$T/msg" 2>"$T/err"
contains "says to run queue init" "$T/err" 'queue-inject: fatal: queue .* run queue init'
is "last line is an SMTP reply" "$(tail -n 1 "$T/err")" "451 4.3.0 queue unavailable"
check "nothing created" test ! -e "$Q"

exits "queue init" 0 queue init
id=$(queue-inject -f a@x.test b@example.test <"$T/msg" 2>"$T/err"); rc=$?
is "inject exits 0" "$rc" 0
check "prints one queue id" sh -c "printf '%s\n' '$id' | grep -Eqx '[0-9]{10}\.[0-9]{6}\.[0-9]+\.[0-9]+'"
contains "logs the id" "$T/err" "queue-inject: info: $id queued from=<a@x.test> rcpts=1 stored=21"
check "the message is in mess/" test -f "$Q/mess/$id"
is "tmp/ is empty" "$(count_files "$Q/tmp")" 0
is "no state yet" "$(count_files "$Q/env")" 0
is "file mode" "$(stat -c %a "$Q/mess/$id")" 600
# the head, a blank line, then the message byte for byte
sed '1,/^$/d' "$Q/mess/$id" >"$T/body"
check "message stored exactly" cmp -s "$T/msg" "$T/body"
is "head" "$(sed '/^$/q' "$Q/mess/$id" | sed 's/^time .*/time T/')" "postern-envelope 1
time T
sender a@x.test
rcpt b@example.test"

# --- options
queue-inject -f '' -o body=8bitmime -o smtputf8=1 \
    -o requiretls=1 -o ret=hdrs -o envid=ab+2Bc -o received-from=192.0.2.7 \
    -o authuser=alice -o hold-until=4000000000 -o rcpt.0.notify=SUCCESS,DELAY \
    -o rcpt.1.orcpt='rfc822;X+40y@z.test' -o rcpt.1.notify=NEVER \
    'j%rg@example.test' "$(printf 'b\303\274@example.test')" <"$T/msg" >"$T/id" 2>/dev/null
is "every option: 0" "$?" 0
f=$Q/mess/$(cat "$T/id")
contains "null sender" "$f" '^sender $'
contains "body" "$f" '^body 8bitmime$'
contains "smtputf8" "$f" '^smtputf8 1$'
contains "requiretls" "$f" '^requiretls 1$'
contains "ret" "$f" '^ret hdrs$'
contains "envid" "$f" '^envid ab\+2Bc$'
contains "received-from" "$f" '^received-from 192.0.2.7$'
contains "authuser" "$f" '^authuser alice$'
contains "hold-until" "$f" '^hold-until 4000000000$'
contains "notify" "$f" '^notify SUCCESS,DELAY$'
contains "orcpt" "$f" '^orcpt rfc822;X\+40y@z.test$'
contains "% escaped" "$f" '^rcpt j%25rg@example.test$'
contains "UTF-8 kept" "$f" "^rcpt $(printf 'b\303\274')@example.test\$"

n0=$(count_files "$Q/mess")
bad() {	# bad "description" args...: exit 100, nothing queued
	_d=$1; shift
	exits "$_d: 100" 100 queue-inject "$@" <"$T/msg" 2>"$T/err"
}
bad "unknown option" -f a@x.test -o colour=blue b@example.test
contains "names the option" "$T/err" 'bad option colour=blue: unknown option'
is "SMTP reply last" "$(tail -n 1 "$T/err")" "501 5.5.4 invalid parameter"
bad "recipient index past the end" -f a@x.test -o rcpt.1.notify=NEVER b@example.test
bad "bad body" -f a@x.test -o body=9bit b@example.test
bad "bad notify" -f a@x.test -o rcpt.0.notify=NEVER,SUCCESS b@example.test
bad "bad envid" -f a@x.test -o envid=a=b b@example.test
bad "bad received-from" -f a@x.test -o received-from=host b@example.test
bad "CR in a value" -f a@x.test -o "authuser=$(printf 'a\rb')" b@example.test
bad "LF in a value" -f a@x.test -o "authuser=a
b" b@example.test
bad "not key=value" -f a@x.test -o body b@example.test
bad "bad sender" -f 'no at sign' b@example.test
contains "says why" "$T/err" 'bad sender address'
is "SMTP reply" "$(tail -n 1 "$T/err")" "553 5.1.3 bad address syntax"
bad "bad recipient" -f a@x.test 'b@'
bad "LF in a recipient" -f a@x.test "b@example.test
x"
bad "source route" -f a@x.test '@r.test:b@example.test'
bad "non-ASCII without smtputf8" -f a@x.test "$(printf 'b\303\274@example.test')"
bad "bad UTF-8 with smtputf8" -o smtputf8=1 -f a@x.test "$(printf 'b\374@example.test')"
is "nothing queued by bad input" "$(count_files "$Q/mess")" "$n0"
is "nothing left in tmp/" "$(count_files "$Q/tmp")" 0

# --- size limits: queue-maxsize, else smtp-maxsize; 0 is no limit
printf '20\n' >"$T/conf/queue-maxsize"
exits "over queue-maxsize: 100" 100 queue-inject -f a@x.test b@example.test <"$T/msg" 2>"$T/err"
contains "says too big" "$T/err" 'message larger than 20 bytes'
is "552 reply" "$(tail -n 1 "$T/err")" "552 5.3.4 message too big"
printf '21\n' >"$T/conf/queue-maxsize"
exits "exactly the limit: 0" 0 quiet queue-inject -f a@x.test b@example.test <"$T/msg"
rm "$T/conf/queue-maxsize"
printf '10\n' >"$T/conf/smtp-maxsize"
exits "smtp-maxsize used without queue-maxsize" 100 queue-inject -f a@x.test b@example.test <"$T/msg" 2>/dev/null
printf '0\n' >"$T/conf/queue-maxsize"
exits "queue-maxsize 0: no limit" 0 quiet queue-inject -f a@x.test b@example.test <"$T/msg"
printf 'lots\n' >"$T/conf/queue-maxsize"
exits "bad queue-maxsize: 111" 111 queue-inject -f a@x.test b@example.test <"$T/msg" 2>"$T/err"
contains "names the file" "$T/err" 'bad control file .*/queue-maxsize'
rm -f "$T/conf/queue-maxsize" "$T/conf/smtp-maxsize"
is "still nothing in tmp/" "$(count_files "$Q/tmp")" 0

# --- the trigger: a reader gets the id (queue-run is one).  We hold the
# FIFO open read-write (no wait for a reader to come up), then read the line
exec 3<>"$Q/trigger"
id=$(queue-inject -f a@x.test b@example.test <"$T/msg" 2>/dev/null)
is "trigger carries the id" "$(timeout 30 head -n 1 <&3)" "$id"
exec 3<&-

# --- crash safety: kill -9 while the message is being written
slow() {	# a 200-line message, fed slowly
	printf 'Subject: slow\n\n'
	i=0
	while [ $i -lt 200 ]; do echo "line $i of a slowly written message"; i=$((i + 1)); [ $((i % 20)) -eq 0 ] && sleep 0.02; done
}
rm -f "$Q"/mess/*
for d in 0 0.01 0.03 0.05 0.08 0.1 0.13 0.16 0.2 0.25 0.3 0.4; do
	slow | queue-inject -f a@x.test b@example.test >/dev/null 2>&1 &
	p=$!
	sleep $d
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
done
# a big message too, killed during its writes and fsync
head -c 30000000 /dev/zero | tr '\0' 'x' | fold -w 100 >"$T/big"
for d in 0.05 0.1 0.2 0.3; do
	queue-inject -f a@x.test b@example.test <"$T/big" >/dev/null 2>&1 &
	p=$!
	sleep $d
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
done
whole=0 partial=0
for f in "$Q"/mess/*; do
	[ -f "$f" ] || continue
	if tail -n 1 "$f" | grep -q 'line 199 of' || cmp -s "$T/big" "$(sed '1,/^$/d' "$f" >"$T/b2"; echo "$T/b2")"; then
		whole=$((whole + 1))
	else
		partial=$((partial + 1))
	fi
done
is "killed injections: nothing half-visible in mess/" "$partial" 0
check "queue list reads whatever is there" queue list >/dev/null
echo "# after kills: $whole whole, $(count_files "$Q/tmp") stale tmp file(s)"

# --- RLIMIT_FSIZE: the write fails, 111, nothing visible
rm -f "$Q"/mess/* "$Q"/tmp/*
exits "file size limit: 111" 111 sh -c 'ulimit -f 2000; exec queue-inject -f a@x.test b@example.test' <"$T/big" 2>"$T/err"
contains "says why" "$T/err" 'unable to write the message'
is "fsize: nothing in mess/" "$(count_files "$Q/mess")" 0
is "fsize: tmp/ cleaned" "$(count_files "$Q/tmp")" 0

# --- a full disk (a small tmpfs): 111, nothing visible
mkdir "$T/small"
if mount -t tmpfs -o size=1m tmpfs "$T/small" 2>/dev/null; then
	export POSTERN_QUEUE="$T/small/queue"
	exits "queue init on the small disk" 0 queue init
	exits "disk full: 111" 111 queue-inject -f a@x.test b@example.test <"$T/big" 2>"$T/err"
	contains "says why" "$T/err" 'No space left on device'
	is "full: nothing in mess/" "$(count_files "$POSTERN_QUEUE/mess")" 0
	is "full: tmp/ cleaned" "$(count_files "$POSTERN_QUEUE/tmp")" 0
	exits "a small message still fits" 0 quiet queue-inject -f a@x.test b@example.test <"$T/msg"
	is "and is queued" "$(count_files "$POSTERN_QUEUE/mess")" 1
	umount "$T/small"
else
	skip "a full disk: no tmpfs mount (not root?)" 7
fi
