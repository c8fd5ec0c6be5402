#!/bin/sh
# queue list and kick with damaged queue files (issue 9.10): a damaged
# mess/ head or env/ state file is reported, as a "damaged" entry and one
# warning naming the id and the fault, and the rest are listed and kicked;
# the exit status is 0 (doc/queue.8).
. "$TOP/t/lib.sh"

plan 24

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
queue init || exit 111

# three messages: good, then one whose state file is damaged, then one
# whose head is; a blocked Maildir defers each, so each has a state file
a=$(inject demo@example.test)
sleep 0.01
b=$(inject demo@example.test)
sleep 0.01
c=$(inject demo@example.test)
: >"$M/demo"
queue-run -1 2>/dev/null
printf 'postern-state 1\nrcpt 0\nstate bogus\n' >"$Q/env/$b"
printf 'garbage without an empty line\n' >"$Q/mess/$c"

queue list >"$T/list" 2>"$T/err"
is "list: exit 0 with damaged entries" "$?" 0
contains "list: the good one listed" "$T/list" "^$a age=[0-9]+s size=17 from=<s@x.test>\$"
contains "list: its recipient" "$T/list" '^	rcpt=<demo@example.test> state=routed$'
contains "list: a damaged state file is an entry" "$T/list" \
    "^$b age=[0-9]+s damaged=env/$b error=malformed state file\$"
contains "list: a damaged head is an entry" "$T/list" \
    "^$c age=[0-9]+s damaged=mess/$c error=malformed envelope head\$"
is "list: the order is kept (oldest first)" \
    "$(grep -v '^	' "$T/list" | cut -d' ' -f1 | tr '\n' ' ')" "$a $b $c "
contains "list: a warning for the state file" "$T/err" \
    "^queue: warning: $b damaged=env/$b error=malformed state file"
contains "list: a warning for the head" "$T/err" \
    "^queue: warning: $c damaged=mess/$c error=malformed envelope head"
is "list: one warning line each, nothing else" "$(wc -l <"$T/err" | tr -d ' ')" 2

queue list "$b" >"$T/list" 2>"$T/err"
is "list of the damaged id: exit 0" "$?" 0
is "list of the damaged id: its entry" "$(cut -d' ' -f3- "$T/list")" \
    "damaged=env/$b error=malformed state file"
queue list "$a" "$c" >"$T/list" 2>"$T/err"
is "list of a good and a damaged id: exit 0" "$?" 0
is "both listed" "$(grep -c '^[0-9]' "$T/list")" 2

# kick: the good one is made due, the damaged ones are reported
queue list "$a" >"$T/list"
contains "before the kick: not due" "$T/list" 'next=in-'
queue kick 2>"$T/err"
is "kick all: exit 0 with damaged entries" "$?" 0
queue list "$a" >"$T/list"
contains "kick all: the good one is due now" "$T/list" 'state=deferred attempts=1 next=now'
contains "kick: a warning for the state file" "$T/err" \
    "^queue: warning: $b damaged=env/$b error=malformed state file"
contains "kick: a warning for the head" "$T/err" \
    "^queue: warning: $c damaged=mess/$c error=malformed envelope head"
queue kick "$b" "$a" 2>"$T/err"
is "kick of a damaged and a good id: exit 0" "$?" 0
contains "kick of the damaged id: reported" "$T/err" "^queue: warning: $b damaged=env/$b"
check "the damaged files are left as they were" \
    grep -q 'state bogus' "$Q/env/$b"

# a real read error is still a failure of the command: 111
# (a directory where the state file goes: EISDIR, even for root)
mv "$Q/env/$b" "$T/state-b"
mkdir "$Q/env/$b"
queue list "$b" >/dev/null 2>&1
is "an unreadable state file: 111" "$?" 111
rmdir "$Q/env/$b"
mv "$T/state-b" "$Q/env/$b"

# queue-run names the damaged file too, and goes on with the others
queue-run -1 2>"$T/log"
contains "queue-run: the damaged state file named" "$T/log" \
    "$b damaged=env/$b; left for the administrator"
exits "drop the damaged ones" 0 queue drop "$b" "$c" 2>/dev/null
