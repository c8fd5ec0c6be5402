#!/bin/sh
# make run (scripts/run-local): the local instance starts, a message sent
# with swaks lands in the demo Maildir within a second, and it all stops.
. "$TOP/t/lib.sh"

port=$(free_port)
RUN_DIR=$T/run RUN_BIN=$BIN SMTP_PORT=$port \
    "$TOP/scripts/run-local" >"$T/out" 2>&1 &
pid=$!
trap 's6-svscanctl -t "$T/run/services" 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$T"' EXIT

check "SMTP listens on 127.0.0.1:$port" wait_port "$port" 200
contains "prints how to send a message" "$T/out" "swaks --server 127.0.0.1:$port --to demo@example.test"
contains "prints where it lands" "$T/out" "run/mail/demo/Maildir/new/"

swaks --server "127.0.0.1:$port" --to demo@example.test --from someone@example.org \
    --header "Subject: make run test" --body "hello postern" >"$T/swaks" 2>&1
contains "accepted with a queue id" "$T/swaks" '<-  250 2.0.0 OK queued as '
new=$T/run/mail/demo/Maildir/new
i=0
while [ "$(count_files "$new")" -eq 0 ] && [ $i -lt 10 ]; do
	sleep 0.1; i=$((i + 1))
done
is "one message in new/ within a second" "$(count_files "$new")" 1
f=$(ls "$new"/* 2>/dev/null | head -1)
contains "subject kept" "$f" '^Subject: make run test'
contains "body kept" "$f" '^hello postern'
contains "Delivered-To added" "$f" '^Delivered-To: demo@example.test'
contains "Received by postern" "$f" '^[[:space:]]+by localhost \(postern\) with ESMTP'

swaks --server "127.0.0.1:$port" --to nobody@example.test >"$T/swaks2" 2>&1
contains "unknown user refused" "$T/swaks2" '<\*\* 550 5.1.1'

s6-svscanctl -t "$T/run/services"
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "stops on request" sh -c "! kill -0 $pid 2>/dev/null"
closed() { ! wait_port "$port" 1; }
check "nothing left listening" closed
