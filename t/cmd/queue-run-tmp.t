#!/bin/sh
# queue-run removes stale files from an account's Maildir tmp/ and its
# folders' tmp/ when it delivers to it (issue 9.10): older than 36 hours,
# the Maildir convention; each removal logged (doc/queue-run.8).
. "$TOP/t/lib.sh"

plan 12

export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" POSTERN_MAILROOT="$T/mail"
C=$T/conf Q=$T/queue M=$T/mail
mkdir -p "$C" "$M"
echo mx.example.test >"$C/me"
printf 'example.test\n' >"$C/domains"
printf 'demo@example.test demo\nbob@example.test bob\n' >"$C/recipients"
for t in domains recipients; do cdb -c -m "$C/$t.cdb" "$C/$t" || exit 111; done
queue init || exit 111
D=$M/demo/Maildir
maildir-make "$D" Sent Archive/2026 ||
	exit 111
mkdir -p "$M/bob/Maildir/tmp" "$M/bob/Maildir/new" "$M/bob/Maildir/cur"

echo half >"$D/tmp/1700000000.M1P1Q1.host"
echo half >"$D/.Sent/tmp/1700000000.M2P1Q1.host"
echo half >"$D/.Archive.2026/tmp/1700000000.M3P1Q1.host"
echo young >"$D/tmp/young"
echo delivered >"$D/cur/1700000000.M4P1Q1.host:2,S"
echo other >"$M/bob/Maildir/tmp/old"
touch -d '40 hours ago' "$D/tmp/1700000000.M1P1Q1.host" \
    "$D/.Sent/tmp/1700000000.M2P1Q1.host" "$M/bob/Maildir/tmp/old" \
    "$D/cur/1700000000.M4P1Q1.host:2,S"
touch -d '30 days ago' "$D/.Archive.2026/tmp/1700000000.M3P1Q1.host"
touch -d '35 hours ago' "$D/tmp/young"

printf 'Subject: t\n\nbody\n' | queue-inject -f bob@example.test demo@example.test \
    >/dev/null 2>&1 || exit 111
queue-run -1 2>"$T/log"
is "queue-run -1: exit 0" "$?" 0
is "the message is delivered" "$(count_files "$D/new")" 1
check "stale tmp/ file removed" test ! -e "$D/tmp/1700000000.M1P1Q1.host"
check "stale .Sent/tmp/ file removed" test ! -e "$D/.Sent/tmp/1700000000.M2P1Q1.host"
check "stale .Archive.2026/tmp/ file removed" test ! -e "$D/.Archive.2026/tmp/1700000000.M3P1Q1.host"
check "a file younger than 36 hours is kept" test -e "$D/tmp/young"
check "cur/ is never touched" test -e "$D/cur/1700000000.M4P1Q1.host:2,S"
check "another account's Maildir is not touched" test -e "$M/bob/Maildir/tmp/old"
contains "each removal logged: tmp/" "$T/log" \
    "^queue-run: info: [0-9.]+ removed stale file=$D/tmp/1700000000\\.M1P1Q1\\.host account=demo\$"
contains "each removal logged: .Sent/tmp/" "$T/log" \
    "removed stale file=$D/\\.Sent/tmp/1700000000\\.M2P1Q1\\.host account=demo\$"
is "three removals logged" "$(grep -c 'removed stale file=' "$T/log")" 3
is "nothing left in the queue" "$(count_files "$Q/mess")" 0
