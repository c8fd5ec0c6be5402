#!/bin/sh
# queue-run and remote recipients before remote delivery exists (issue
# 9.7): a remote target is held for the queue lifetime, never longer; at
# its end it fails with 4.4.7 and the sender gets a failure DSN, and the
# message leaves the queue.
. "$TOP/t/lib.sh"

plan 12

export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" POSTERN_MAILROOT="$T/mail"
C=$T/conf Q=$T/queue M=$T/mail
mkdir -p "$C" "$M"
echo mx.example.test >"$C/me"
printf 'example.test\n' >"$C/domains"
printf 'bob@example.test bob\n' >"$C/recipients"
printf 'list@example.test bob@example.test, far@remote.test\n' >"$C/aliases"
for t in domains recipients aliases; do
	cdb -c -m "$C/$t.cdb" "$C/$t" || exit 111
done
queue init 2>/dev/null || exit 111
inject() {	# inject SENDER RCPT...: prints the id
	_f=$1; shift
	printf 'Subject: to far away\n\nbody\n' |
	    queue-inject -f "$_f" "$@" 2>>"$T/inject.log"
}
dsn_count() { count_files "$M/bob/Maildir/new"; }

# a lifetime of an hour: held, the message stays, nothing bounces
echo 3600 >"$C/queue-lifetime"
id=$(inject bob@example.test far@remote.test)
exits "queue-run" 0 queue-run -1 2>"$T/log"
contains "held" "$T/log" "$id held remote=<far@remote.test>"
check "the message stays" test -f "$Q/mess/$id"
is "no DSN yet" "$(dsn_count)" 0
queue list "$id" >"$T/list" 2>&1
contains "listed as remote" "$T/list" 'to=<far@remote\.test> state=remote'

# the lifetime over: failed with 4.4.7, a DSN, the message gone
echo 0 >"$C/queue-lifetime"
exits "queue-run again" 0 queue-run -1 2>"$T/log"
contains "failed at the end of the lifetime" "$T/log" \
    "$id failed remote=<far@remote\\.test> error=4\\.4\\.7"
check "the message is gone" test ! -f "$Q/mess/$id"
is "one DSN to the sender" "$(dsn_count)" 1
f=$M/bob/Maildir/new/$(ls "$M/bob/Maildir/new" | head -1)
contains "the DSN says failed" "$f" '^Action: failed'
contains "with 4.4.7" "$f" '^Status: 4\.4\.7'

# an alias with a local and a remote target: the local one is delivered
# at once, the remote one expires the same way
id=$(inject someone@remote.test list@example.test)
queue-run -1 2>"$T/log"
contains "local target delivered, remote one failed" "$T/log" \
    "$id failed remote=<far@remote\\.test>"
