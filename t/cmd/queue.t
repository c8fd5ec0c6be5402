#!/bin/sh
# queue: init, list, kick, drop; locks shared with queue-run.
. "$TOP/t/lib.sh"
plan 55

export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" POSTERN_MAILROOT="$T/mail"
C=$T/conf Q=$T/queue M=$T/mail
mkdir -p "$C" "$M"
echo mx.example.test >"$C/me"
printf 'example.test\n' >"$C/domains"
printf 'demo@example.test demo\n' >"$C/recipients"
for t in domains recipients; do cdb -c -m "$C/$t.cdb" "$C/$t" || exit 111; done
inject() {	# inject RCPT...: prints the id
	printf 'Subject: q\n\nbody\n' | queue-inject -f s@x.test "$@" 2>/dev/null
}

exits "-h is usage" 100 queue -h 2>"$T/err"
contains "usage line" "$T/err" '^usage: queue'
exits "no subcommand is usage" 100 queue 2>/dev/null
exits "unknown subcommand is usage" 100 queue frobnicate 2>/dev/null
exits "init takes no argument" 100 queue init now 2>/dev/null
exits "drop needs an id" 100 queue drop 2>/dev/null
exits "list without a queue: 111" 111 queue list 2>"$T/err"
contains "says to run queue init" "$T/err" 'no queue in .*: run queue init'

# --- init
exits "init" 0 queue init
is "queue dir mode" "$(stat -c %a "$Q")" 750
is "tmp/ mode (the queue user's)" "$(stat -c %a "$Q/tmp")" 700
is "mess/ mode" "$(stat -c %a "$Q/mess")" 700
is "env/ mode" "$(stat -c %a "$Q/env")" 700
is "spool/ mode (the group writes, cannot list)" "$(stat -c %a "$Q/spool")" 730
is "trigger is a FIFO" "$(stat -c %F "$Q/trigger")" "fifo"
is "trigger mode" "$(stat -c %a "$Q/trigger")" 600
exits "init again: idempotent" 0 queue init
rm "$Q/trigger"; : >"$Q/trigger"
exits "init refuses a file where the FIFO goes" 111 queue init 2>/dev/null
rm "$Q/trigger"
exits "init repairs a missing FIFO" 0 queue init

# --- list
is "empty queue lists nothing" "$(queue list)" ""
a=$(inject demo@example.test)
sleep 0.01
b=$(inject demo@example.test nobody@example.test)
queue list >"$T/list"
is "list: one line per message and recipient" "$(wc -l <"$T/list" | tr -d ' ')" 5
is "list: oldest first" "$(grep -v '^	' "$T/list" | cut -d' ' -f1 | tr '\n' ' ')" "$a $b "
contains "list: age, size, sender" "$T/list" "^$a age=[0-9]+s size=17 from=<s@x.test>\$"
contains "list: a pending recipient" "$T/list" '^	rcpt=<nobody@example.test> state=pending$'
queue list "$b" >"$T/list"
is "list one id: 0" "$?" 0
is "just that one" "$(grep -c '^[0-9]' "$T/list")" 1
exits "list an unknown id: 100" 100 queue list 1700000000.000000.1.1 2>"$T/err"
contains "says so" "$T/err" 'no such message'
exits "list a malformed id: 100" 100 queue list ../../etc/passwd 2>"$T/err"
contains "bad id" "$T/err" 'bad queue id'

# --- kick: deferred recipients due now
: >"$M/demo"	# block demo's Maildir: a temporary failure
exits "queue-run -1" 0 queue-run -1 2>/dev/null
queue list "$a" >"$T/list"
contains "deferred, next in 15 minutes" "$T/list" 'state=deferred attempts=1 next=in-1[45]m'
exits "kick one" 0 queue kick "$a"
queue list "$a" >"$T/list"
contains "kicked: due now" "$T/list" 'state=deferred attempts=1 next=now'
exits "kick an unknown id: 100" 100 queue kick 1700000000.000000.1.1 2>/dev/null
exits "kick all" 0 queue kick
# a message locked (being delivered) is skipped, not an error; the lock
# holder says when it has the lock and keeps it until told to go
mkfifo "$T/release"
flock "$Q/mess/$a" sh -c ': >"$1/locked"; read x <"$1/release"' - "$T" &
lp=$!
wait_for 60 test -e "$T/locked"
exits "kick of a locked message: 0" 0 queue kick "$a" 2>"$T/err"
contains "says it is being delivered" "$T/err" "$a is being delivered now"

# --- drop waits for the delivery under way (the lock), then removes
queue drop "$a" 2>"$T/err" &
dp=$!
sleep 1		# time enough to finish, had it not waited
check "drop waits while the message is locked" kill -0 $dp
timeout 60 sh -c 'echo go >"$1"' - "$T/release"
wait $dp
is "drop: exit 0 once the lock is free" "$?" 0
wait $lp
contains "logs the drop" "$T/err" "$a dropped"
check "mess/ file gone" test ! -e "$Q/mess/$a"
check "env/ file gone" test ! -e "$Q/env/$a"
exits "drop again: 100" 100 queue drop "$a" 2>/dev/null
exits "drop a malformed id: 100" 100 queue drop 'x/../y' 2>/dev/null

# a damaged file can still be listed around and dropped
printf 'garbage\n' >"$Q/mess/1700000000.000001.1.1"
queue list >"$T/list" 2>/dev/null
is "list with a damaged file: 0, it is reported (queue-damaged.t)" "$?" 0
contains "the good one still listed" "$T/list" "^$b "
exits "drop the damaged file" 0 queue drop 1700000000.000001.1.1 2>/dev/null

# --- drop while queue-run runs
rm "$M/demo"
c=$(inject remote@elsewhere.test)
setsid queue-run 2>"$T/log" &
qr=$!
held() { queue list "$c" 2>/dev/null | grep -q 'state=remote'; }
wait_for 60 held
check "held for remote delivery" held
exits "drop it while queue-run runs" 0 queue drop "$c" 2>/dev/null
d=$(inject demo@example.test)
two() { [ "$(count_files "$M/demo/Maildir/new")" -ge 2 ]; }
wait_for 60 two
is "queue-run carries on" "$(count_files "$M/demo/Maildir/new")" 2
kill -TERM $qr
wait $qr
is "queue-run stopped cleanly" "$?" 0
lacks "no error in its log" "$T/log" 'warning|fatal'
# what is left: the DSN for nobody@, held for its remote recipient
is "one message left" "$(count_files "$Q/mess")" 1
check "the DSN, held for remote delivery" sh -c "queue list | grep -q '^[0-9.]* age=.* from=<>\$'"
