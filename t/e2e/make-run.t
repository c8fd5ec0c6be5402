#!/bin/sh
# make run (scripts/run-local) and make stop: the local instance says it
# is running only once SMTP answers; a message sent with swaks (plain and
# STARTTLS) lands in the demo Maildir within a second; the banner's
# commands work as printed (the tables rebuilt by "make" in run/conf from
# a shell without the build on PATH, make stop with RUN_DIR); make stop
# really ends every process and says so, and with nothing running it fails
# with a message; with the port already taken, make run fails with the
# bind error and leaves nothing running (issue 9.8).
. "$TOP/t/lib.sh"

plan 32

run=$(cd "$T" && pwd -P)/run
run2=$(cd "$T" && pwd -P)/run2
port=$(free_port)
pid= lpid=
cleanup() {
	s6-svscanctl -t "$run/services" 2>/dev/null
	s6-svscanctl -t "$run2/services" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	sleep 0.5
	rm -rf "$T"
}
trap cleanup EXIT

procs_in() {	# the pids whose working directory is in $1
	for p in /proc/[0-9]*; do
		d=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $d in "$1" | "$1"/*) echo "${p#/proc/}" ;; esac
	done
}
# greeting_when FILE PORT: as soon as FILE has the line "postern is
# running" (watched every 5 ms, for 30 s at most), the first line that
# 127.0.0.1:PORT sends, with no retry
greeting_when() {
	/usr/bin/python3 -c 'import socket, sys, time
end = time.time() + 30
while time.time() < end:
    with open(sys.argv[1], "rb") as f:
        if any(l.startswith(b"postern is running") for l in f):
            break
    time.sleep(0.005)
else:
    sys.exit("no banner")
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), 2)
    s.settimeout(2)
    print(s.makefile("rb").readline().decode().strip())
except OSError as e:
    print("no greeting:", e)' "$1" "$2"
}
closed() { ! wait_port "$1" 1; }

: >"$T/out"
RUN_DIR=$run RUN_BIN=$BIN SMTP_PORT=$port \
    "$TOP/scripts/run-local" >"$T/out" 2>&1 &
pid=$!

g=$(greeting_when "$T/out" "$port")
contains "says it is running" "$T/out" '^postern is running'
case $g in
"220 "*" ESMTP postern"*) ok "SMTP answers as soon as it says so" ;;
*) not_ok "SMTP answers as soon as it says so" "greeting: $g" ;;
esac
contains "prints how to send a message" "$T/out" "swaks --server 127.0.0.1:$port --to demo@example.test"
contains "prints where it lands" "$T/out" "run/mail/demo/Maildir/new/"
contains "prints the RSA DKIM record" "$T/out" \
    '^    rsa-1\._domainkey\.example\.test\. IN TXT \( "v=DKIM1; k=rsa; p='
contains "and the Ed25519 one" "$T/out" \
    '^    ed25519-1\._domainkey\.example\.test\. IN TXT \( "v=DKIM1; k=ed25519; p='
is "the private keys are 0600" \
    "$(stat -c %a "$run/conf/dkim/example.test.rsa" "$run/conf/dkim/example.test.ed25519" | tr '\n' ' ')" "600 600 "

swaks --server "127.0.0.1:$port" --to demo@example.test --from someone@example.org \
    --header "Subject: make run test" --body "hello postern" >"$T/swaks" 2>&1
contains "accepted with a queue id" "$T/swaks" '<-  250 2.0.0 OK queued as '
new=$run/mail/demo/Maildir/new
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
qid=$(sed -n 's/.*<-  250 2\.0\.0 OK queued as \([0-9.]*\).*/\1/p' "$T/swaks")
contains "queue-writer stored it (the smtp side hands mail in)" \
    "$run/log/queue-writer/current" "queue-writer: info: ${qid:-none} queued from=<someone@example.org>"
check "the writer's socket is in the queue" test -S "$run/queue/writer"

swaks --server "127.0.0.1:$port" --to nobody@example.test >"$T/swaks2" 2>&1
contains "unknown user refused" "$T/swaks2" '<\*\* 550 5.1.1'

swaks --server "127.0.0.1:$port" --tls --to demo@example.test \
    --quit-after RCPT >"$T/swaks3" 2>&1
contains "swaks --tls: STARTTLS, then the recipient accepted" "$T/swaks3" \
    '<~  250 2\.1\.5'

# the tables: the banner's command, typed as printed in a shell whose
# PATH has make and nothing of the build
rebuild=$(sed -n '/rebuild them with:$/{n;s/^ *//;p;}' "$T/out")
mkdir "$T/path"
ln -s "$(command -v make)" "$T/path/make"
echo "bob@example.test demo" >>"$run/conf/recipients"
rebuild_tables() {
	[ -n "$rebuild" ] &&
	    env PATH="$T/path" /bin/sh -c "$rebuild" >"$T/make.out" 2>&1
}
check "the banner's table command works as printed: $rebuild" rebuild_tables
contains "it rebuilt recipients.cdb" "$T/make.out" 'table=recipients\.cdb entries=2'
swaks --server "127.0.0.1:$port" --to bob@example.test --quit-after RCPT \
    >"$T/swaks4" 2>&1
contains "the new recipient is accepted" "$T/swaks4" '<-  250 2\.1\.5'

RUN_DIR=$run RUN_BIN=$BIN SMTP_PORT=$port timeout 30 \
    "$TOP/scripts/run-local" >"$T/again" 2>&1
is "a second make run in the same RUN_DIR is refused (exit 100)" $? 100

# make stop: the banner's command, with RUN_DIR
stop=$(sed -n '/from another shell:$/{n;s/^ *//;p;}' "$T/out")
svpid=$(cat "$run/svscan.pid" 2>/dev/null)
stop_it() { [ -n "$stop" ] && /bin/sh -c "$stop" >"$T/stop.out" 2>&1; }
check "the banner's stop command works as printed: $stop" stop_it
left=$(procs_in "$run")
is "no process of the instance is left once it returns" "$left" ""
check "s6-svscan (pid file: ${svpid:-none}) is gone" \
    sh -c "[ -n '$svpid' ] && ! kill -0 '$svpid' 2>/dev/null"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "run-local has returned" sh -c "! kill -0 $pid 2>/dev/null"
check "nothing left listening" closed "$port"

make -C "$TOP" --no-print-directory stop RUN_DIR="$run" >"$T/stop2" 2>&1
check "make stop RUN_DIR=... with nothing running there fails" [ $? -ne 0 ]
contains "and says why" "$T/stop2" "stop: no instance running in $run\$"

# the port taken by another listener, one that even greets like postern
port2=$(free_port)
/usr/bin/python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"220 impostor ESMTP postern\r\n")
    c.close()' "$port2" &
lpid=$!
wait_port "$port2" 100
RUN_DIR=$run2 RUN_BIN=$BIN SMTP_PORT=$port2 timeout 30 \
    "$TOP/scripts/run-local" >"$T/out2" 2>&1
is "make run with the port taken fails (exit 111)" $? 111
contains "with the reason" "$T/out2" \
    'tcp-listen: fatal: unable to bind to 127\.0\.0\.1 port [0-9]+: Address already in use'
lacks "and does not say it is running" "$T/out2" 'postern is running'
is "and leaves nothing running" "$(procs_in "$run2")" ""
