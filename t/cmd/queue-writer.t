#!/bin/sh
# queue-writer (issue 9.6): the queue user's process that stores what
# smtp-recv and queue-inject hand it over the socket "writer" in the
# queue.  Good requests from the real clients (queue-inject from a file
# and from a pipe, smtp-recv with several messages in one session, a
# message over the in-memory size) and hostile ones from a raw client
# (wrong magic, lengths past the limits, a pipe or two descriptors
# passed, arguments not NUL-ended, a request cut off): each refused with
# a log line, nothing half-written left in tmp/, the writer still
# serving.  Also: usage, one writer per queue, a stale socket replaced,
# SIGTERM.
. "$TOP/t/lib.sh"
plan 53

PY=/usr/bin/python3
export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" POSTERN_MAILROOT="$T/mail"
Q=$T/queue
wpid=
trap '[ -z "$wpid" ] || kill "$wpid" 2>/dev/null; rm -rf "$T"' EXIT
conf-init -d "$T/conf" -n mx.example.test example.test demo 2>/dev/null ||
    exit 111

# --- usage, no queue
exits "-h: usage, exit 100" 100 queue-writer -h 2>"$T/err"
contains "the usage line" "$T/err" '^usage: queue-writer \[-h\] \[-c maxconn\]$'
exits "an argument: usage" 100 queue-writer extra 2>/dev/null
exits "-c 0: refused" 100 queue-writer -c 0 2>/dev/null
exits "no queue: exit 111" 111 queue-writer 2>"$T/err"
contains "no queue: says so" "$T/err" '^queue-writer: fatal: unable to serve the queue '

queue init || exit 111
start() {	# the writer in the background, its log in $T/wlog
	: >"$T/wlog"
	queue-writer 2>>"$T/wlog" &
	wpid=$!
	# its own socket (a stale one may be there already)
	wait_for 60 grep -q 'info: listening ' "$T/wlog"
}
start
check "listening: the socket is there" test -S "$Q/writer"
is "the socket's mode" "$(stat -c %a "$Q/writer")" 660
exits "a second writer on the queue: exit 111" 111 queue-writer 2>"$T/err2"
contains "it says the address is in use" "$T/err2" 'Address already in use'
check "the first still has its socket" test -S "$Q/writer"

# --- the real clients
printf 'Subject: one\n\nbody one\n' >"$T/m1"
id1=$(queue-inject -f a@remote.test demo@example.test <"$T/m1" 2>"$T/ierr")
is "queue-inject through the writer: exit 0" $? 0
contains "the writer logged it" "$T/wlog" "^queue-writer: info: $id1 queued from=<a@remote.test> rcpts=1 stored=23$"
lacks "queue-inject did not write it itself" "$T/ierr" 'queued'
sed '1,/^$/d' "$Q/mess/$id1" >"$T/got1"
check "stored byte for byte (from a file: the descriptor passed)" cmp -s "$T/m1" "$T/got1"
printf 'Subject: two\n\nbody two\n' | queue-inject -f a@remote.test demo@example.test \
    >"$T/id2" 2>/dev/null
is "queue-inject from a pipe: exit 0" $? 0
sed '1,/^$/d' "$Q/mess/$(cat "$T/id2")" >"$T/got2"
printf 'Subject: two\n\nbody two\n' >"$T/m2"
check "stored byte for byte (from a pipe)" cmp -s "$T/m2" "$T/got2"
exits "bad usage passes through: exit 100" 100 queue-inject demo@example.test \
    </dev/null 2>"$T/err"
contains "with queue-inject's usage line" "$T/err" '^usage: queue-inject'
queue-inject -f '<bad' demo@example.test <"$T/m1" >/dev/null 2>"$T/err"
is "a bad sender: exit 100" $? 100
is "the writer's reply is the last line" "$(tail -n 1 "$T/err")" "553 5.1.3 bad address syntax"
echo 100 >"$T/conf/queue-maxsize"
awk 'BEGIN { printf "Subject: big\n\n"; for (i = 0; i < 50; i++) print "0123456789" }' \
    >"$T/big"
queue-inject -f a@remote.test demo@example.test <"$T/big" >/dev/null 2>"$T/err"
is "past queue-maxsize: exit 100" $? 100
is "552 5.3.4 from the writer" "$(tail -n 1 "$T/err")" "552 5.3.4 message too big"
cat "$T/big" | queue-inject -f a@remote.test demo@example.test >/dev/null 2>"$T/err"
is "past queue-maxsize from a pipe: exit 100" $? 100
is "552 5.3.4, the copy cut at the limit" "$(tail -n 1 "$T/err")" "552 5.3.4 message too big"
rm "$T/conf/queue-maxsize"

# smtp-recv: three messages in one session (one connection to the writer),
# one of them past the in-memory size (a spool file passed)
awk 'BEGIN { for (i = 0; i < 4000; i++) printf "%0100d\r\n", i }' >"$T/bigbody"
{
	printf 'EHLO c.test\r\n'
	for n in 1 2; do
		printf 'MAIL FROM:<s@remote.test>\r\nRCPT TO:<demo@example.test>\r\n'
		printf 'DATA\r\nSubject: s%s\r\n\r\nsmall\r\n.\r\n' $n
	done
	printf 'MAIL FROM:<s@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\nSubject: large\r\n\r\n'
	cat "$T/bigbody"
	printf '.\r\nQUIT\r\n'
} >"$T/session"
strace -f -qq -e trace=connect -o "$T/strace" smtp-recv <"$T/session" >"$T/r" 2>"$T/slog"
is "smtp-recv: three messages queued" "$(grep -c '^250 2\.0\.0 OK queued as ' "$T/r")" 3
is "over one connection to the writer" \
    "$(grep -c "connect(.*$Q/writer" "$T/strace")" 1
is "the writer stored all three" "$(grep -c 'queued from=<s@remote.test>' "$T/wlog")" 3
big=$(grep -l '^Subject: large' "$Q"/mess/* | head -1)
sed '1,/^$/d' "$big" | sed '1,/^\r*$/d' >"$T/gotbig"
check "the large one (a spool file) byte for byte" cmp -s "$T/bigbody" "$T/gotbig"
ls -A "$Q/spool" >"$T/spool"
is "no spool file left behind" "$(wc -l <"$T/spool" | tr -d ' ')" 0

# --- hostile clients
cat >"$T/raw.py" <<'EOF'
import os, socket, struct, sys
path, what = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(30)
args = b"-f\0a@remote.test\0demo@example.test\0"
msg = b"Subject: raw\n\nraw\n"
def head(alen, mlen, flags, magic=b"PQW1"):
    return magic + struct.pack("=III", alen, mlen, flags)
if what == "good":
    s.sendall(head(len(args), len(msg), 0) + args + msg)
elif what == "magic":
    s.sendall(head(len(args), len(msg), 0, b"XXXX") + args + msg)
elif what == "biglen":
    s.sendall(head(0xFFFFFFF0, 0, 0))
elif what == "bigmem":
    s.sendall(head(len(args), 0x7FFFFFFF, 0) + args)
elif what == "noterm":
    a = b"-f\0a@remote.test\0demo@example.test"
    s.sendall(head(len(a), len(msg), 0) + a + msg)
elif what == "flagnofd":
    s.sendall(head(len(args), 0, 1) + args)
elif what == "pipe":
    r, w = os.pipe()
    os.write(w, msg)
    socket.send_fds(s, [head(len(args), 0, 1) + args], [r])
elif what == "twofds":
    f1 = os.open(sys.argv[3], os.O_RDONLY)
    f2 = os.open(sys.argv[3], os.O_RDONLY)
    socket.send_fds(s, [head(len(args), 0, 1) + args], [f1, f2])
elif what == "cut":
    s.sendall(head(len(args), len(msg), 0) + args + msg[:5])
    s.shutdown(socket.SHUT_WR)
try:
    r = s.recv(4096)
except socket.timeout:
    print("timeout"); sys.exit(0)
except ConnectionResetError:	# closed with our bytes unread
    r = b""
if len(r) >= 12 and r[:4] == b"PQR1":
    code, n = struct.unpack("=iI", r[4:12])
    print("reply", code, r[12:12 + n].decode())
else:
    print("closed" if not r else "garbage")
EOF
raw() { $PY "$T/raw.py" "$Q/writer" "$@" 2>&1; }
n0=$(count_files "$Q/mess")
r=$(raw good)
case $r in "reply 0 "*) ok "a raw good request: queued" ;;
*) not_ok "a raw good request: queued" "$r" ;; esac
is "and one more in mess/" "$(count_files "$Q/mess")" $((n0 + 1))
for w in magic biglen bigmem noterm flagnofd pipe cut; do
	r=$(raw $w)
	is "$w: the connection is closed, no reply" "$r" closed
done
contains "a bad magic is logged with the peer's uid" "$T/wlog" \
    'queue-writer: warning: bad request uid=[0-9]+ pid=[0-9]+: Protocol error'
contains "a pipe passed is refused" "$T/wlog" 'bad request uid=.*: not a regular file'
contains "a request cut off is logged" "$T/wlog" 'unable to read a request uid='
r=$(raw twofds "$T/m1")
case $r in "reply 0 "*) ok "two descriptors: the first used, the other closed" ;;
*) not_ok "two descriptors: the first used, the other closed" "$r" ;; esac
is "nothing else got into mess/" "$(count_files "$Q/mess")" $((n0 + 2))
is "and nothing is left in tmp/" "$(count_files "$Q/tmp")" 0
check "the writer still runs" kill -0 "$wpid"
lacks "no session of the writer died on a signal" "$T/wlog" 'killed by signal'

# --- a stale socket, SIGTERM
kill -9 "$wpid"; wait "$wpid" 2>/dev/null
queue-inject -f a@remote.test demo@example.test <"$T/m1" >/dev/null 2>"$T/err"
is "the writer gone, its socket left: 111" $? 111
is "451 4.3.0, nothing written around it" "$(tail -n 1 "$T/err")" \
    "451 4.3.0 queue unavailable"
start
check "a new writer replaces the stale socket" kill -0 "$wpid"
kill "$wpid"; wait "$wpid"
is "SIGTERM: exit 0" $? 0
wpid=
check "SIGTERM: the socket is removed" test ! -e "$Q/writer"
id=$(queue-inject -f a@remote.test demo@example.test <"$T/m1" 2>/dev/null)
check "no socket: queue-inject writes the queue itself" test -f "$Q/mess/$id"
