#!/bin/sh
# Connection limits of smtp-recv's listening mode (issue 9.5, 9.9): per
# client address (-C), per client a minute (-R), in all (-c: answered at
# once by the listener, not left in the backlog), a session process
# killed with -9 gives its slot back, and stress mode (shorter waits near
# -c: smtp-stress-timeout).  Real sockets on 127.0.0.1, clients in
# Python.
. "$TOP/t/lib.sh"
plan 31

PY=/usr/bin/python3
export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" \
	POSTERN_MAILROOT="$T/mail" TMPDIR="$T"
unset RELAYCLIENT TCPREMOTEIP TCPREMOTEHOST TCPREMOTEPORT TCPLOCALIP \
	TCPLOCALPORT PROTO SMTP_HELO

pids=
stop() {	# stop PID: TERM to the listener and its children, bounded
	for _s in /proc/[0-9]*/stat; do
		_l=$(cat "$_s" 2>/dev/null) || continue
		_r=${_l##*") "}
		set -- "$1" $_r
		[ "$3" = "$1" ] && kill "$(echo "${_s#/proc/}" | cut -d/ -f1)" \
			2>/dev/null
	done
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

# start NAME smtp-recv-args...: a listener on a free port ($port), its
# log in $T/NAME.log ($log), its pid in $pid
start() {
	_name=$1; shift
	port=$(free_port)
	log=$T/$_name.log
	tcp-listen 127.0.0.1 "$port" smtp-recv "$@" 2>>"$log" &
	pid=$!
	pids="$pids $pid"
	# /proc, not a connection: a probe would count toward the limits
	wait_for 60 listening "$port" && wait_log "$log" 'info: listening ' ||
		echo "# $_name: not listening: $(cat "$log")"
}

conf-init -d "$T/conf" -n test.example example.test demo 2>"$T/init.log"
queue init 2>/dev/null
check "a configuration and a queue" test -d "$T/queue/mess"

cat >"$T/client.py" <<'EOF'
import os, re, signal, socket, sys, time
port, what, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
T = 60		# a bound for a busy machine; the replies end the waits
def conn(timeout=T):
    c = socket.create_connection(("127.0.0.1", port), timeout)
    c.settimeout(timeout)
    return c, c.makefile("rb")
def line(f):
    try:
        l = f.readline().decode().rstrip("\r\n")
        return l if l else "EOF"
    except socket.timeout:
        return "TIMEOUT"
    except ConnectionError:
        return "EOF"
def cmd(c, f, s):
    c.sendall(s.encode() + b"\r\n")
    return line(f)[:3]
def greet(timeout=T):
    """a connection's first line; the connection itself"""
    c, f = conn(timeout)
    return c, f, line(f)
retries = [0]
def served_again():
    """retry while the listener has not reaped a session yet"""
    end = time.monotonic() + T
    while True:
        c, f, l = greet()
        if not l.startswith("421") or time.monotonic() > end:
            return c, f, l
        retries[0] += 1
        c.close()
        time.sleep(0.05)
def session_pid(log):
    """the pid of the newest session, from its id (time.pid in hex)"""
    m = re.findall(r"info: [0-9a-f]+\.([0-9a-f]+) connect ", open(log).read())
    return int(m[-1], 16)
if what == "peraddr":
    # -C 2: two sessions, a third gets 421 4.7.0; the two go on; when
    # one ends, a new one is served
    a, af, l = greet(); print("a", l)
    b, bf, l = greet(); print("b", l)
    c, cf, l = greet(5); print("c", l); c.close()
    print("a helo", cmd(a, af, "HELO x.test"))
    print("b quit", cmd(b, bf, "QUIT")); b.close()
    d, df, l = served_again(); print("d", l)
    print("d quit", cmd(d, df, "QUIT"))
    print("a quit", cmd(a, af, "QUIT"))
    open(args[0], "w").write("%d\n" % (1 + retries[0]))
elif what == "maxconn":
    # -c 2: a third connection gets 421 at once, within a 5 s timeout
    a, af, l = greet(); print("a", l)
    b, bf, l = greet(); print("b", l)
    t0 = time.monotonic()
    c, cf, l = greet(5); print("c", l)
    print("c at once", time.monotonic() - t0 < 5)
    print("c then", line(cf))
    print("b quit", cmd(b, bf, "QUIT")); b.close()
    d, df, l = served_again(); print("d", l)
    for s, f in ((a, af), (d, df)):
        cmd(s, f, "QUIT")
elif what == "rate":
    # -R 3: three connections a minute, the fourth refused
    for i in range(3):
        c, f, l = greet()
        print(i, l, cmd(c, f, "QUIT"))
        c.close()
    c, f, l = greet(5); print(3, l)
elif what == "kill":
    # -C 1: a session killed with -9 gives its slot back
    a, af, l = greet(); print("a", l)
    b, bf, l = greet(5); print("b", l); b.close()
    os.kill(session_pid(args[0]), signal.SIGKILL)
    print("a after kill", line(af))
    c, cf, l = served_again(); print("c", l)
    print("c quit", cmd(c, cf, "QUIT"))
elif what == "stress":
    # -c 5 (stress from 4 sessions), smtp-stress-timeout 2: alone, a
    # session waits longer than 2 s; the fourth at once times out in 2 s
    a, af, l = greet(); print("a", l)
    time.sleep(3)
    print("a after 3 s", cmd(a, af, "NOOP"))
    b, bf, l = greet(); print("b", l)
    c, cf, l = greet(); print("c", l)
    t0 = time.monotonic()
    d, df, l = greet(); print("d", l)
    l = line(df)
    t = time.monotonic() - t0
    print("d idle", l)
    print("d cut after 1 to 30 s", 1 <= t < 30)
    print("b still", cmd(b, bf, "NOOP"))
    for s, f in ((a, af), (b, bf), (c, cf)):
        cmd(s, f, "QUIT")
EOF
cl() {		# cl PORT WHAT ARGS...: the client, its output in $T/out
	$PY "$T/client.py" "$@" >"$T/out" 2>&1
}
wait_log() { wait_for 60 grep -qE -e "$2" "$1"; }

# --- usage ----------------------------------------------------------------------
exits "-C x: exit 100" 100 smtp-recv -C x </dev/null 2>/dev/null
exits "-C 100001: exit 100" 100 smtp-recv -C 100001 </dev/null 2>/dev/null
exits "-R x: exit 100" 100 smtp-recv -R x </dev/null 2>/dev/null
exits "-R -1: exit 100" 100 smtp-recv -R -1 </dev/null 2>/dev/null

# --- -C: sessions per address ---------------------------------------------------
start peraddr -c 20 -C 2
contains "-C 2: logged" "$log" \
	'info: listening maxconn=20 rules=none peraddr=2 rate=0 stress=16$'
cl "$port" peraddr "$T/refusals"
is "-C 2: the third gets 421 4.7.0, the others go on, a later one is served" \
	"$(cat "$T/out")" "a 220 test.example ESMTP postern
b 220 test.example ESMTP postern
c 421 4.7.0 test.example too many connections from your address, try again later
a helo 250
b quit 221
d 220 test.example ESMTP postern
d quit 221
a quit 221"
contains "-C 2: the refusal logged" "$log" \
	'^smtp-recv: info: refused ip=127\.0\.0\.1 reason=per-address-limit conns=2 limit=2$'
is "-C 2: a line for each refusal" "$(grep -c 'refused ip=' "$log")" \
	"$(cat "$T/refusals")"
is "-C 2: three sessions; the refusal started none" \
	"$(grep -c ' connect ip=' "$log")" 3
check "-C 2: the listener runs" kill -0 "$pid"
stop "$pid"

# the default is 10
start peraddr-default
contains "-C default 10" "$log" 'listening maxconn=100 rules=none peraddr=10 rate=0 '
stop "$pid"

# --- -c: the listener answers at once -------------------------------------------
start maxconn -c 2 -C 0
cl "$port" maxconn
is "-c 2: the third gets 421 4.3.2 at once, then EOF" "$(cat "$T/out")" \
	"a 220 test.example ESMTP postern
b 220 test.example ESMTP postern
c 421 4.3.2 test.example too many connections, try again later
c at once True
c then EOF
b quit 221
d 220 test.example ESMTP postern"
contains "-c 2: the refusal logged" "$log" \
	'^smtp-recv: info: refused ip=127\.0\.0\.1 reason=maxconn sessions=2 limit=2$'
contains "-c 2: the limit logged" "$log" 'info: limit reached maxconn=2$'
stop "$pid"

# --- -R: connections per address a minute ---------------------------------------
start rate -C 0 -R 3
cl "$port" rate
is "-R 3: the fourth connection in a minute gets 421 4.7.0" "$(cat "$T/out")" \
	"0 220 test.example ESMTP postern 221
1 220 test.example ESMTP postern 221
2 220 test.example ESMTP postern 221
3 421 4.7.0 test.example too many connections from your address, try again later"
contains "-R 3: the refusal logged" "$log" \
	'^smtp-recv: info: refused ip=127\.0\.0\.1 reason=rate-limit conns=3 limit=3 window=60$'
stop "$pid"

# --- kill -9 of a session frees its slot ----------------------------------------
start kill -C 1
cl "$port" kill "$log"
is "-C 1: a second refused; after kill -9 of the first, served" \
	"$(cat "$T/out")" "a 220 test.example ESMTP postern
b 421 4.7.0 test.example too many connections from your address, try again later
a after kill EOF
c 220 test.example ESMTP postern
c quit 221"
contains "kill -9: the listener saw it" "$log" \
	'warning: session pid=[0-9]+ killed by signal 9'
check "kill -9: the listener runs" kill -0 "$pid"
stop "$pid"

# --- stress mode ------------------------------------------------------------------
echo 2 >"$T/conf/smtp-stress-timeout"
start stress -c 5 -C 0
contains "stress: from 4 of 5 sessions" "$log" 'listening maxconn=5 .* stress=4$'
cl "$port" stress
is "stress: a lone session outlasts smtp-stress-timeout, the fourth does not" \
	"$(cat "$T/out")" "a 220 test.example ESMTP postern
a after 3 s 250
b 220 test.example ESMTP postern
c 220 test.example ESMTP postern
d 220 test.example ESMTP postern
d idle 421 4.4.2 test.example timeout, closing connection
d cut after 1 to 30 s True
b still 250"
contains "stress: start logged" "$log" \
	'^smtp-recv: info: stress start sessions=4 threshold=4 maxconn=5$'
contains "stress: the session's end says why" "$log" \
	'info: [0-9a-f.]+ end reason=stress-timeout$'
check "stress: end logged" wait_log "$log" \
	'^smtp-recv: info: stress end sessions=[0-3] threshold=4 maxconn=5$'
is "stress: only the one stressed session timed out" \
	"$(grep -c 'end reason=.*timeout' "$log")" 1
stop "$pid"
rm -f "$T/conf/smtp-stress-timeout"
echo 0 >"$T/conf/smtp-stress-timeout"
exits "smtp-stress-timeout 0: refused as a bad control file" 111 \
	sh -c 'smtp-recv </dev/null >"$1" 2>"$2"' - "$T/o" "$T/e"
contains "smtp-stress-timeout 0: says which file" "$T/e" \
	'unable to read control file smtp-stress-timeout'
rm -f "$T/conf/smtp-stress-timeout"

# --- under tcpserver (no listener): never stressed, no limits ------------------
printf 'NOOP\r\nQUIT\r\n' | smtp-recv >"$T/o" 2>"$T/e"
is "no listener: a session as before" "$(tr -d '\r' <"$T/o" | cut -c1-3 | tr '\n' ' ')" \
	"220 250 221 "

# --- IPv6: one /64 is one client ----------------------------------------------
if $PY -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	port=$(free_port)
	log=$T/six.log
	tcp-listen ::1 "$port" smtp-recv -C 1 2>>"$log" &
	pid=$!
	pids="$pids $pid"
	wait_for 60 listening "$port"
	$PY - "$port" >"$T/out" 2>&1 <<'EOF'
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("::1", port), 60)
print(a.makefile("rb").readline().decode().rstrip("\r\n"))
b = socket.create_connection(("::1", port), 5)
print(b.makefile("rb").readline().decode().rstrip("\r\n"))
EOF
	is "IPv6 -C 1: the second from ::1 refused" "$(cat "$T/out")" \
		"220 test.example ESMTP postern
421 4.7.0 test.example too many connections from your address, try again later"
	contains "IPv6: the refusal logged with the address" "$log" \
		'refused ip=::1 reason=per-address-limit conns=1 limit=1$'
	stop "$pid"
else
	skip "no IPv6 on loopback" 2
fi
