#!/bin/sh
# users: the permission model of a mail host, with a user per program as
# README ("On a mail host") and queue(8) set it up (issue 9.6): the queue
# owned by the queue user alone (tmp/, mess/, env/ 0700, files 0600),
# spool/ 0730 where the group of the injectors may only create files,
# queue-writer's socket 0660 for that group; the TLS key readable by the
# group; the mail root the queue user's.  smtp-recv and queue-inject run
# as an injector and hand each message to queue-writer, which runs as
# the queue user; the injector can neither read nor replace queued mail;
# one outside the group cannot inject; with the writer down nothing is
# written around it.  queue-run runs as the queue user.
# Uses the system's ids (no user is made): the queue user is uid 1
# (daemon), the injector 65534 (nobody), the group 65534.  Needs root.
. "$TOP/t/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	plan 1; skip "needs root and setpriv"
	exit 0
fi
plan 38
QU=1 SU=65534 G=65534 OTHER_G=4242
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
# the others must reach the programs and the directories
chmod 755 "$T"
mkdir "$T/bin"
for p in smtp-recv queue-inject queue-run queue queue-writer; do
	cp "$BIN/$p" "$T/bin/" || exit 111
done
chmod 755 "$T/bin" "$T/bin"/*
PATH=$T/bin:$PATH
export POSTERN_CONF=$T/conf POSTERN_QUEUE=$T/queue POSTERN_MAILROOT=$T/mail
writer() {	# writer LOG: queue-writer as the queue user, in the background
	# ($wpid is its own pid: setpriv execs it)
	setpriv --reuid="$QU" --regid="$G" --clear-groups -- queue-writer \
	    2>"$1" &
	wpid=$!
	pids="$pids $wpid"
	wait_for 60 test -S "$T/queue/writer"
}
as() {	# as UID GID command...: run with those ids and no other groups
	_u=$1 _g=$2; shift 2
	setpriv --reuid="$_u" --regid="$_g" --clear-groups -- "$@"
}

# the setup, as README has it
"$BIN/conf-init" -g "$G" -d "$T/conf" -n mx.example.test example.test demo \
    2>"$T/conf-init.log" || { cat "$T/conf-init.log"; exit 111; }
queue init
chown -R "$QU:$G" "$T/queue"
mkdir "$T/mail" && chown "$QU" "$T/mail"
check "env/ is the queue user's alone" test "$(stat -c %a "$T/queue/env")" = 700

msg() { printf 'From: a@remote.test\r\nSubject: %s\r\n\r\nbody\r\n' "$1"; }
check "tmp/ and mess/ are the queue user's alone" \
    test "$(stat -c %a "$T/queue/tmp") $(stat -c %a "$T/queue/mess")" = "700 700"
is "spool/: the group may create, not list" "$(stat -c %a "$T/queue/spool")" 730

# queue-writer, as the queue user
writer "$T/writer.log"
check "queue-writer made its socket" test -S "$T/queue/writer"
is "the socket: the group's, 0660" \
    "$(stat -c '%a %u %g' "$T/queue/writer")" "660 $QU $G"

# queue-inject as an injector of the group
msg one | as "$SU" "$G" queue-inject -f a@remote.test -- demo@example.test \
    >"$T/id1" 2>"$T/inject.log"
is "queue-inject as the smtp user: exit 0" "$?" 0
check "it printed a queue id" test -s "$T/id1"
check "the message is in mess/" test -f "$T/queue/mess/$(cat "$T/id1")"
is "the queued file is the queue user's, 0600" \
    "$(stat -c '%a %u' "$T/queue/mess/$(cat "$T/id1")")" "600 $QU"
contains "queue-writer stored it" "$T/writer.log" \
    "^queue-writer: info: $(cat "$T/id1") queued from=<a@remote\\.test> rcpts=1"
as "$SU" "$G" cat "$T/queue/mess/$(cat "$T/id1")" >/dev/null 2>&1
check "the injector cannot read a queued message" test $? -ne 0
as "$SU" "$G" rm -f "$T/queue/mess/$(cat "$T/id1")" 2>/dev/null
check "nor remove it" test -f "$T/queue/mess/$(cat "$T/id1")"
as "$SU" "$G" sh -c ": >'$T/queue/tmp/x'" 2>/dev/null
check "nor write into tmp/" test ! -e "$T/queue/tmp/x"
as "$SU" "$G" ls "$T/queue/spool" >/dev/null 2>&1
check "nor list spool/" test $? -ne 0

# one outside the group cannot
msg two | as "$SU" "$OTHER_G" queue-inject -f a@remote.test -- \
    demo@example.test >/dev/null 2>"$T/inject2.log"
is "an injector outside the group: exit 111" "$?" 111
contains "it says it may not reach the writer" "$T/inject2.log" \
    'unable to connect to queue-writer .*Permission denied'

# smtp-recv as the smtp user: STARTTLS (the key through the group) and a
# message queued in-process
printf 'EHLO c.test\r\nMAIL FROM:<b@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\nSubject: three\r\n\r\nx\r\n.\r\nQUIT\r\n' |
    as "$SU" "$G" smtp-recv >"$T/r" 2>"$T/smtpd.log"
contains "smtp-recv as the smtp user offers STARTTLS" "$T/r" '^250-STARTTLS'
contains "smtp-recv as the smtp user queues" "$T/r" '^250 2\.0\.0 OK queued as '
is "two messages in the queue" "$(count_files "$T/queue/mess")" 2
contains "smtp-recv's message went through queue-writer" "$T/writer.log" \
    'queued from=<b@remote\.test>'
printf 'Subject: piped\n\nthrough a pipe\n' | as "$SU" "$G" queue-inject \
    -f a@remote.test demo@example.test >/dev/null 2>"$T/inject3.log"
is "queue-inject from a pipe (copied to a file for the writer): exit 0" $? 0
is "three messages in the queue" "$(count_files "$T/queue/mess")" 3

# the writer down: stopped (its socket goes), or killed (it stays)
kill "$wpid"; wait "$wpid" 2>/dev/null
check "queue-writer removes its socket on SIGTERM" test ! -e "$T/queue/writer"
contains "and logs that it stops" "$T/writer.log" 'stopping on SIGTERM'
session='EHLO c.test\r\nMAIL FROM:<b@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\nSubject: four\r\n\r\nx\r\n.\r\nQUIT\r\n'
printf "$session" | as "$SU" "$G" smtp-recv >"$T/r" 2>"$T/smtpd.log"
contains "writer stopped: smtp-recv answers 451 4.3.0" "$T/r" '^451 4\.3\.0 '
writer "$T/writer2.log"
kill -9 "$wpid"; wait "$wpid" 2>/dev/null
printf "$session" | as "$SU" "$G" smtp-recv >"$T/r" 2>"$T/smtpd.log"
contains "writer killed: smtp-recv answers 451 4.3.0" "$T/r" '^451 4\.3\.0 '
contains "and logs why" "$T/smtpd.log" 'unable to connect to queue-writer'
is "still three messages in the queue" "$(count_files "$T/queue/mess")" 3
writer "$T/writer3.log"
lacks "a restarted writer replaces the stale socket" "$T/writer3.log" 'fatal'

as "$SU" "$G" queue list >/dev/null 2>"$T/list.log"
check "queue list as an injector fails (env/ is private)" test $? -ne 0
contains "and says why" "$T/list.log" 'Permission denied'
as "$QU" "$G" queue list >"$T/list" 2>&1
is "queue list as the queue user: exit 0" "$?" 0
is "it lists all three" "$(grep -cE '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+ ' "$T/list")" 3

# queue-run as the queue user delivers both into the mail root
as "$QU" "$G" queue-run -1 2>"$T/qrun.log"
is "queue-run -1 as the queue user: exit 0" "$?" 0
is "all three delivered" "$(count_files "$T/mail/demo/Maildir/new")" 3
is "the queue is empty" "$(count_files "$T/queue/mess")" 0
f=$(ls "$T/mail/demo/Maildir/new" | head -1)
is "the Maildir file is the queue user's" \
    "$(stat -c %u "$T/mail/demo/Maildir/new/$f")" "$QU"
lacks "no permission error in queue-run's log" "$T/qrun.log" 'Permission'

