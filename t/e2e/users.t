#!/bin/sh
# users: the permission model of a mail host, with a user per program as
# README ("On a mail host") and queue(8) set it up: the queue owned by
# the queue user and the group of the injectors (tmp/ and mess/ 2770,
# env/ 0700, trigger 0620), the TLS key readable by that group, the mail
# root the queue user's.  smtp-recv and queue-inject run as an injector,
# queue-run as the queue user; one outside the group cannot inject.
# Uses the system's ids (no user is made): the queue user is uid 1
# (daemon), the injector 65534 (nobody), the group 65534.  Needs root.
. "$TOP/t/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	plan 1; skip "needs root and setpriv"
	exit 0
fi
plan 18
QU=1 SU=65534 G=65534 OTHER_G=4242
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
# the others must reach the programs and the directories
chmod 755 "$T"
mkdir "$T/bin"
for p in smtp-recv queue-inject queue-run queue; do
	cp "$BIN/$p" "$T/bin/" || exit 111
done
chmod 755 "$T/bin" "$T/bin"/*
PATH=$T/bin:$PATH
export POSTERN_CONF=$T/conf POSTERN_QUEUE=$T/queue POSTERN_MAILROOT=$T/mail
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

# queue-inject as an injector of the group
msg one | as "$SU" "$G" queue-inject -f a@remote.test -- demo@example.test \
    >"$T/id1" 2>"$T/inject.log"
is "queue-inject as the smtp user: exit 0" "$?" 0
check "it printed a queue id" test -s "$T/id1"
check "the message is in mess/" test -f "$T/queue/mess/$(cat "$T/id1")"

# one outside the group cannot
msg two | as "$SU" "$OTHER_G" queue-inject -f a@remote.test -- \
    demo@example.test >/dev/null 2>"$T/inject2.log"
is "an injector outside the group: exit 111" "$?" 111
contains "it says the queue is unavailable" "$T/inject2.log" \
    'queue.*Permission denied'

# smtp-recv as the smtp user: STARTTLS (the key through the group) and a
# message queued in-process
printf 'EHLO c.test\r\nMAIL FROM:<b@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\nSubject: three\r\n\r\nx\r\n.\r\nQUIT\r\n' |
    as "$SU" "$G" smtp-recv >"$T/r" 2>"$T/smtpd.log"
contains "smtp-recv as the smtp user offers STARTTLS" "$T/r" '^250-STARTTLS'
contains "smtp-recv as the smtp user queues" "$T/r" '^250 2\.0\.0 OK queued as '
is "two messages in the queue" "$(count_files "$T/queue/mess")" 2

as "$SU" "$G" queue list >/dev/null 2>"$T/list.log"
check "queue list as an injector fails (env/ is private)" test $? -ne 0
contains "and says why" "$T/list.log" 'Permission denied'
as "$QU" "$G" queue list >"$T/list" 2>&1
is "queue list as the queue user: exit 0" "$?" 0
is "it lists both" "$(grep -cE '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+ ' "$T/list")" 2

# queue-run as the queue user delivers both into the mail root
as "$QU" "$G" queue-run -1 2>"$T/qrun.log"
is "queue-run -1 as the queue user: exit 0" "$?" 0
is "both delivered" "$(count_files "$T/mail/demo/Maildir/new")" 2
is "the queue is empty" "$(count_files "$T/queue/mess")" 0
f=$(ls "$T/mail/demo/Maildir/new" | head -1)
is "the Maildir file is the queue user's" \
    "$(stat -c %u "$T/mail/demo/Maildir/new/$f")" "$QU"
lacks "no permission error in queue-run's log" "$T/qrun.log" 'Permission'

