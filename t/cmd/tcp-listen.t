#!/bin/sh
# tcp-listen: binds, drops privileges and runs smtp-recv on the listening
# socket (fd 0); smtp-recv then forks a session per connection
# (lib/serve.c).  Real clients (Python's smtplib, raw sockets) on
# loopback; tcprules(1) access rules; the -c limit; SIGTERM; IPv6; usage
# errors; -u/-g/-U as root.
. "$TOP/t/lib.sh"
plan 76

PY=/usr/bin/python3
export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" \
	POSTERN_MAILROOT="$T/mail" TMPDIR="$T"
unset RELAYCLIENT TCPREMOTEIP TCPREMOTEHOST TCPREMOTEPORT TCPLOCALIP \
	TCPLOCALPORT PROTO SMTP_HELO

# every server started here is listed in $T/pids and ended at exit,
# with the session processes it forked
pids=
kids() {	# the children of pid $1
	for _s in /proc/[0-9]*/stat; do
		# "pid (comm) state ppid ...": comm may hold blanks
		_l=$(cat "$_s" 2>/dev/null) || continue
		_r=${_l##*") "}
		set -- "$1" $_r
		[ "$3" = "$1" ] && echo "${_s#/proc/}" | cut -d/ -f1
	done
}
stop() {	# stop PID: TERM to it and to its sessions, bounded wait
	for _k in $(kids "$1"); do kill "$_k" 2>/dev/null; done
	kill "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ "$_i" -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	for _p in $pids; do stop "$_p"; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 111' INT TERM

# start NAME [tcp-listen args]: run tcp-listen in the background, log in
# $T/NAME.log; sets $pid
start() {
	_name=$1; shift
	tcp-listen "$@" 2>>"$T/$_name.log" &
	pid=$!
	pids="$pids $pid"
}

# wait_log FILE PATTERN: until FILE has a line matching (60 s at most)
wait_log() { wait_for 60 grep -qE -e "$2" "$1"; }
# wait6 PORT: until PORT listens ([::1] is the only address used for it)
wait6() { wait_for 60 listening "$1"; }

conf-init -d "$T/conf" -n test.example example.test demo 2>"$T/init.log"
check "conf-init made a configuration" test -f "$T/conf/recipients.cdb"
queue init 2>/dev/null
check "queue init made the queue" test -d "$T/queue/mess"

cat >"$T/client.py" <<'EOF'
import os, select, signal, smtplib, socket, sys, threading, time
host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
args = sys.argv[4:]
T = 60	# generous: the machine may be busy; the replies end the waits
def listening(p):
    """a socket listens on port p, as /proc/net says (no connection)"""
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for l in lines:
            w = l.split()
            if w[3] == "0A" and int(w[1].rsplit(":", 1)[1], 16) == p:
                return True
    return False
def msg(subject):
    return ("Subject: " + subject + "\r\n\r\nhello\r\n").encode()
def conn():
    return smtplib.SMTP(host, port, local_hostname="py.client.test", timeout=T)
def send(frm, to, subject):
    try:
        s = conn()
        r = s.sendmail(frm, [to], msg(subject))
        print("sent", r)
        print("quit", s.quit()[0])
    except smtplib.SMTPRecipientsRefused as e:
        for a, (code, text) in e.recipients.items():
            print("refused", code, text.decode())
    except (smtplib.SMTPServerDisconnected, ConnectionError) as e:
        print("disconnected", type(e).__name__)
def greet():
    """the first line the server sends, EOF or TIMEOUT"""
    c = socket.create_connection((host, port), T)
    f = c.makefile("rb")
    try:
        l = f.readline().decode().rstrip("\r\n")
        print(l if l else "EOF")
    except socket.timeout:
        print("TIMEOUT")
    except ConnectionError:
        print("EOF")
    c.close()
if what == "send":
    send(args[0], args[1], args[2])
elif what == "greet":
    greet()
elif what == "serial":
    # n sessions one after another: greeting, EHLO, QUIT
    n, good = int(args[0]), 0
    for i in range(n):
        s = conn()
        if s.ehlo()[0] == 250 and s.quit()[0] == 221:
            good += 1
    print("served", good)
elif what == "parallel":
    # n clients connected at once, each holding its session open until
    # all have their greeting; then each sends a message
    n = int(args[0])
    barrier = threading.Barrier(n, timeout=T)
    res = []
    lock = threading.Lock()
    def one(i):
        try:
            s = conn()
            barrier.wait()
            s.sendmail("p%d@remote.test" % i, ["demo@example.test"],
                       msg("parallel %d" % i))
            code = s.quit()[0]
        except Exception as e:
            code = type(e).__name__
        with lock:
            res.append(code)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts: t.start()
    for t in ts: t.join(2 * T)
    print("parallel", sorted(res, key=str))
elif what == "limit":
    # -c 1: a second connection while the first session runs gets 421
    # from the listener at once (not the backlog: issue 9.9); once the
    # first has ended (and been reaped) a connection is served again
    a = conn()
    print("a", a.ehlo()[0])
    b = socket.create_connection((host, port), T)
    r, _, _ = select.select([b], [], [], 5.0)
    print("b", b.makefile("rb").readline().decode().rstrip("\r\n")
          if r else "TIMEOUT")
    b.close()
    print("a quit", a.quit()[0])
    end = time.monotonic() + T
    while True:
        c = socket.create_connection((host, port), T)
        l = c.makefile("rb").readline().decode().rstrip("\r\n")
        c.close()
        if not l.startswith("421") or time.monotonic() > end:
            break
        time.sleep(0.05)
    print("c", l)
elif what == "term":
    # SIGTERM to the listener while a session is under way: the port
    # is watched in /proc/net (probe connections would only fill the
    # backlog), then one connection must be refused
    s = conn()
    print("ehlo", s.ehlo()[0])
    os.kill(int(args[0]), signal.SIGTERM)
    end = time.monotonic() + T
    while listening(port) and time.monotonic() < end:
        time.sleep(0.05)
    try:
        socket.create_connection((host, port), T).close()
        refused = False
    except ConnectionRefusedError:
        refused = True
    print("port closed", refused)
    r = s.sendmail("t@remote.test", ["demo@example.test"], msg("after TERM"))
    print("sent", r)
    print("quit", s.quit()[0])
EOF
cl() {		# cl HOST PORT WHAT ARGS...: the client, output in $T/out
	$PY "$T/client.py" "$@" >"$T/out" 2>&1
}

nmsg() { ls "$T/queue/mess" | wc -l | tr -d ' '; }
clean() { rm -f "$T/queue/mess"/* "$T/queue/env"/*; }
newest() {	# the newest queued message: $T/head (envelope), $T/msg
	_f=$T/queue/mess/$(ls -t "$T/queue/mess" | head -1)
	sed '/^$/q' "$_f" >"$T/head"
	sed '1,/^$/d' "$_f" >"$T/msg"
}

# --- usage and bad arguments ---------------------------------------------------
p0=$(free_port)
exits "no arguments: exit 100" 100 tcp-listen 2>"$T/err"
contains "no arguments: the usage line" "$T/err" \
	'^usage: tcp-listen \[-hU\] \[-u uid\] \[-g gid\] \[-b backlog\] host port program'
exits "-h: exit 100" 100 tcp-listen -h 2>/dev/null
exits "two arguments: exit 100" 100 tcp-listen 127.0.0.1 "$p0" 2>/dev/null
exits "port 70000: exit 100" 100 tcp-listen 127.0.0.1 70000 smtp-recv 2>"$T/err"
contains "port 70000: says why" "$T/err" 'fatal: bad port: 70000'
exits "port not a number: exit 100" 100 tcp-listen 127.0.0.1 smtp smtp-recv 2>/dev/null
exits "negative port: exit 100" 100 tcp-listen 127.0.0.1 -1 smtp-recv 2>/dev/null
exits "host localhost (not numeric): exit 100" 100 \
	tcp-listen localhost "$p0" smtp-recv 2>"$T/err"
contains "host localhost: says why" "$T/err" 'fatal: bad address localhost'
exits "host 256.1.1.1: exit 100" 100 tcp-listen 256.1.1.1 "$p0" smtp-recv 2>/dev/null
exits "-b x: exit 100" 100 tcp-listen -b x 127.0.0.1 "$p0" smtp-recv 2>/dev/null
exits "-u x: exit 100" 100 tcp-listen -u x 127.0.0.1 "$p0" smtp-recv 2>/dev/null
exits "-u without -g: exit 100" 100 tcp-listen -u 65534 127.0.0.1 "$p0" \
    smtp-recv 2>/dev/null
exits "-g 4294967295: exit 100" 100 tcp-listen -g 4294967295 127.0.0.1 "$p0" smtp-recv 2>/dev/null
exits "-U without UID: exit 100" 100 env -u UID -u GID \
	tcp-listen -U 127.0.0.1 "$p0" smtp-recv 2>"$T/err"
contains "-U without UID: says why" "$T/err" 'fatal: -U: \$UID is not set'
exits "-U without GID: exit 100" 100 env -u GID UID=0 \
	tcp-listen -U 127.0.0.1 "$p0" smtp-recv 2>/dev/null
exits "program not found: exit 100" 100 \
	tcp-listen 127.0.0.1 "$p0" no-such-program-h9 2>"$T/err"
contains "program not found: says why" "$T/err" 'fatal: unable to run no-such-program-h9'
exits "smtp-recv -c 0: exit 100" 100 smtp-recv -c 0 </dev/null 2>/dev/null
exits "smtp-recv -c x: exit 100" 100 smtp-recv -c x </dev/null 2>/dev/null
exits "smtp-recv -c 1x: exit 100" 100 smtp-recv -c 1x </dev/null 2>/dev/null
exits "smtp-recv -c 100001: exit 100" 100 smtp-recv -c 100001 </dev/null 2>/dev/null
exits "smtp-recv -x without a file: exit 100" 100 smtp-recv -x </dev/null 2>/dev/null

# --- one server on 127.0.0.1, with rules --------------------------------------
printf ':allow\n' >"$T/rules"
tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
port=$(free_port)
# -C 0: sessions one after another may outnumber -C's default while
# their processes end (a session counts until it is reaped: slow under
# the sanitizers); the limits are t/cmd/conn-limits.t's
start main 127.0.0.1 "$port" smtp-recv -C 0 -x "$T/rules.cdb"
main=$pid
if wait_port "$port"; then ok "listens on 127.0.0.1:$port"
else not_ok "listens on 127.0.0.1:$port" "$(cat "$T/main.log")"; fi
contains "logs the bound address" "$T/main.log" \
	"^tcp-listen: info: bound addr=127\.0\.0\.1 port=$port program=smtp-recv\$"
contains "smtp-recv logs it is listening" "$T/main.log" \
	"^smtp-recv: info: listening maxconn=100 rules=$T/rules\.cdb peraddr=0 rate=0 stress=80\$"
exits "port already in use: exit 111" 111 \
	tcp-listen 127.0.0.1 "$port" smtp-recv 2>"$T/err"
contains "port already in use: says why" "$T/err" \
	"fatal: unable to bind to 127\.0\.0\.1 port $port: Address already in use"

clean
cl 127.0.0.1 "$port" send a@remote.test demo@example.test "over tcp-listen"
is "smtplib: accepted" "$(cat "$T/out")" "sent {}
quit 221"
is "smtplib: one message queued" "$(nmsg)" 1
newest
contains "smtplib: Received shows 127.0.0.1" "$T/msg" \
	'^Received: from py\.client\.test \(\[127\.0\.0\.1\]\)'
contains "smtplib: envelope received-from 127.0.0.1" "$T/head" \
	'^received-from 127\.0\.0\.1$'
contains "smtplib: the session logs the addresses" "$T/main.log" \
	"smtp-recv: info: [0-9a-f.]+ connect ip=127\.0\.0\.1 port=[0-9]+ host=- local=127\.0\.0\.1:$port\$"

cl 127.0.0.1 "$port" serial 40
is "40 sessions one after another: all served" "$(cat "$T/out")" "served 40"
clean
cl 127.0.0.1 "$port" parallel 10
is "10 sessions at once: all served" "$(cat "$T/out")" \
	"parallel [221, 221, 221, 221, 221, 221, 221, 221, 221, 221]"
is "10 sessions at once: 10 messages" "$(nmsg)" 10

# --- rules (read at each connection: rebuilt without a restart) ----------------
cl 127.0.0.1 "$port" send a@remote.test someone@elsewhere.test "relay"
is "no RELAYCLIENT: relaying refused" "$(cat "$T/out")" \
	"refused 554 5.7.1 relay access denied"
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' >"$T/rules"
tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
clean
cl 127.0.0.1 "$port" send a@remote.test someone@elsewhere.test "relay"
is "RELAYCLIENT from a rule: relaying allowed" "$(cat "$T/out")" "sent {}
quit 221"
is "RELAYCLIENT from a rule: queued" "$(nmsg)" 1
newest
contains "RELAYCLIENT from a rule: the outside recipient" "$T/head" \
	'^rcpt someone@elsewhere\.test$'
printf '127.0.0.2:allow,RELAYCLIENT=""\n127.0.0.:allow\n' >"$T/rules"
tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
cl 127.0.0.1 "$port" send a@remote.test someone@elsewhere.test "relay"
is "RELAYCLIENT for another address only: refused" "$(cat "$T/out")" \
	"refused 554 5.7.1 relay access denied"

printf '127.0.0.:deny\n:allow\n' >"$T/rules"
tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
cl 127.0.0.1 "$port" greet
is "deny rule: closed without a greeting" "$(cat "$T/out")" EOF
contains "deny rule: logged" "$T/main.log" \
	'^smtp-recv: info: denied ip=127\.0\.0\.1$'
cl 127.0.0.1 "$port" send a@remote.test demo@example.test "denied"
is "deny rule: smtplib sees a disconnect" "$(cat "$T/out")" \
	"disconnected SMTPServerDisconnected"

# a hand-made CDB whose rule is neither D nor +VAR=value
printf '127.0.0.1 Xbogus\n' | cdb -c -m "$T/rules.cdb" -
cl 127.0.0.1 "$port" greet
is "malformed rule: closed without a greeting" "$(cat "$T/out")" EOF
contains "malformed rule: a warning" "$T/main.log" \
	"warning: unable to apply rules file=$T/rules\.cdb ip=127\.0\.0\.1: Invalid argument"
rm -f "$T/rules.cdb"
cl 127.0.0.1 "$port" greet
is "missing rules file: closed without a greeting" "$(cat "$T/out")" EOF
contains "missing rules file: a warning" "$T/main.log" \
	'warning: unable to apply rules .*: No such file or directory'
printf ':allow\n' >"$T/rules"
tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
cl 127.0.0.1 "$port" greet
is "rules rebuilt: served again" "$(cat "$T/out")" "220 test.example ESMTP postern"
check "the listener outlived all of that" kill -0 "$main"

# --- SIGTERM: the port closes, the session under way finishes --------------------
clean
cl 127.0.0.1 "$port" term "$main"
is "SIGTERM: session under way" "$(cat "$T/out")" "ehlo 250
port closed True
sent {}
quit 221"
is "SIGTERM: its message queued" "$(nmsg)" 1
wait "$main"
is "SIGTERM: the listener exits 0" "$?" 0
contains "SIGTERM: logged" "$T/main.log" 'smtp-recv: info: stopping on SIGTERM sessions=[1-9]'
lacks "no fatal line from the main server" "$T/main.log" 'fatal:'

# --- SIGHUP is ignored ------------------------------------------------------------
port=$(free_port)
start hup 127.0.0.1 "$port" smtp-recv
wait_port "$port"
kill -HUP "$pid"
sleep 0.2
cl 127.0.0.1 "$port" greet
is "SIGHUP: still serving" "$(cat "$T/out")" "220 test.example ESMTP postern"
stop "$pid"

# --- -c 1 -------------------------------------------------------------------------
port=$(free_port)
start limit 127.0.0.1 "$port" smtp-recv -c 1
wait_port "$port"
cl 127.0.0.1 "$port" limit
is "-c 1: a second connection gets 421 at once, a later one is served" \
	"$(cat "$T/out")" "a 250
b 421 4.3.2 test.example too many connections, try again later
a quit 221
c 220 test.example ESMTP postern"
contains "-c 1: the limit logged" "$T/limit.log" 'info: limit reached maxconn=1'
stop "$pid"

# --- host "0": every address ---------------------------------------------------
port=$(free_port)
start any -b 5 0 "$port" smtp-recv
if wait_port "$port"; then ok "host 0: accepts on 127.0.0.1"
else not_ok "host 0: accepts on 127.0.0.1" "$(cat "$T/any.log")"; fi
cl 127.0.0.1 "$port" greet
is "host 0: IPv4 greeting" "$(cat "$T/out")" "220 test.example ESMTP postern"
contains "host 0: the IPv4 client logged as IPv4" "$T/any.log" \
	"connect ip=127\.0\.0\.1 port=[0-9]+ host=- local=127\.0\.0\.1:$port\$"

# --- IPv6 -----------------------------------------------------------------------
if $PY -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	cl ::1 "$port" greet
	is "host 0: IPv6 greeting on ::1" "$(cat "$T/out")" "220 test.example ESMTP postern"
	contains "host 0: the IPv6 client logged" "$T/any.log" \
		"connect ip=::1 port=[0-9]+ host=- local=::1:$port\$"
	stop "$pid"

	port=$(free_port)
	start six ::1 "$port" smtp-recv
	if wait6 "$port"; then ok "host ::1: listens"
	else not_ok "host ::1: listens" "$(cat "$T/six.log")"; fi
	clean
	cl ::1 "$port" send a@remote.test demo@example.test "over IPv6"
	is "host ::1: accepted" "$(cat "$T/out")" "sent {}
quit 221"
	newest
	contains "host ::1: Received shows IPv6:::1" "$T/msg" \
		'^Received: from py\.client\.test \(\[IPv6:::1\]\)'
	cl 127.0.0.1 "$port" greet
	contains "host ::1: not on 127.0.0.1" "$T/out" 'ConnectionRefusedError'
	stop "$pid"
else
	stop "$pid"
	skip "host 0 and ::1 over IPv6: no IPv6 on loopback" 6
fi

# --- privileges (root only) ------------------------------------------------------
status_ids() {	# status_ids PID: "uid gid groups" from /proc/PID/status
	awk '/^Uid:/ { u = $2 " " $3 " " $4 " " $5 }
	     /^Gid:/ { g = $2 " " $3 " " $4 " " $5 }
	     /^Groups:/ { $1 = ""; gr = $0 }
	     END { print u "/" g "/" gr }' "/proc/$1/status"
}
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	nu=$(id -u nobody) ng=$(id -g nobody)
	port=$(free_port)
	start priv -u "$nu" -g "$ng" 127.0.0.1 "$port" smtp-recv
	# the ids change after listen(2), before the exec of smtp-recv
	if wait_log "$T/priv.log" 'smtp-recv: info: listening'; then
		ok "-u/-g: smtp-recv listens"
	else not_ok "-u/-g: smtp-recv listens" "$(cat "$T/priv.log")"; fi
	is "-u/-g: the listener runs as nobody" "$(status_ids "$pid")" \
		"$nu $nu $nu $nu/$ng $ng $ng $ng/ $ng"
	cl 127.0.0.1 "$port" greet
	check "-u/-g: a connection gets a reply" grep -qE '^(220|421) ' "$T/out"
	stop "$pid"

	port=$(free_port)
	env UID="$nu" GID="$ng" tcp-listen -U 127.0.0.1 "$port" smtp-recv \
		2>>"$T/U.log" &
	pid=$!
	pids="$pids $pid"
	if wait_log "$T/U.log" 'smtp-recv: info: listening'; then
		ok "-U: smtp-recv listens"
	else not_ok "-U: smtp-recv listens" "$(cat "$T/U.log")"; fi
	is "-U: the listener runs as \$UID/\$GID" "$(status_ids "$pid")" \
		"$nu $nu $nu $nu/$ng $ng $ng $ng/ $ng"
	stop "$pid"
else
	skip "-u/-g and -U: not root" 5
fi

