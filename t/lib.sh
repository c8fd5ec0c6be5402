# t/lib.sh: helpers for the program tests (t/cmd/*.t, t/e2e/*.t), which
# print TAP.  Source it:  . "$TOP/t/lib.sh"
# $BIN is the build's bin directory (t/run sets it), $TOP the source tree.
# Each test gets a scratch directory $T, removed at exit.
# Every script starts with "plan N" (the number of assertions it will
# print, computed before the first one); t/run fails a script whose count
# of results differs from its plan, so one that stops early is a failure.

: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BIN:=$TOP/build/bin}"
PATH="$BIN:$PATH"
export TOP BIN PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/postern-test.XXXXXX") || exit 111
_dnsd_pids=
trap 'dnsd_stop; rm -rf "$T"' EXIT	# a test's own EXIT trap calls dnsd_stop
trap 'exit 111' INT TERM
_n=0

plan() {	# plan N: the TAP plan line "1..N"; call once, before any result
	echo "1..$1"
}
skip() {	# skip "reason" [count]: count (default 1) TAP skips, not passes
	_k=${2:-1}
	while [ "$_k" -gt 0 ]; do
		_n=$((_n + 1)); echo "ok $_n - skipped # SKIP $1"
		_k=$((_k - 1))
	done
}
ok() {		# ok "description"
	_n=$((_n + 1)); echo "ok $_n - $1"
}
not_ok() {	# not_ok "description" [detail]
	_n=$((_n + 1)); echo "not ok $_n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
	return 0
}
check() {	# check "description" command...: ok when the command succeeds
	_d=$1; shift
	if "$@"; then ok "$_d"; else not_ok "$_d" "command failed: $*"; fi
}
is() {		# is "description" got expected
	if [ "$2" = "$3" ]; then ok "$1"
	else not_ok "$1" "got:      '$2'
expected: '$3'"; fi
}
exits() {	# exits "description" code command...: run, compare exit code
	_d=$1 _want=$2; shift 2
	"$@"; _got=$?
	if [ "$_got" -eq "$_want" ]; then ok "$_d"
	else not_ok "$_d" "exit $_got, expected $_want: $*"; fi
}
contains() {	# contains "description" file pattern (grep -E)
	if grep -qE -e "$3" "$2"; then ok "$1"
	else not_ok "$1" "no line matching '$3' in $2:
$(head -20 "$2")"; fi
}
lacks() {	# lacks "description" file pattern
	if grep -qE -e "$3" "$2"; then not_ok "$1" "unexpected '$3' in $2"
	else ok "$1"; fi
}
count_files() {	# count_files dir: number of entries (not . and ..)
	ls -A "$1" 2>/dev/null | wc -l | tr -d ' '
}
# Waits are event-driven: they poll for the thing itself and end as soon
# as it is there, with a generous bound (60 s) so that a loaded machine
# (two suites at once, the sanitizer build) is not taken for a failure.
wait_for() {	# wait_for SECONDS command...: until the command succeeds
	_t=$(($1 * 20)); shift
	until "$@"; do
		[ "$_t" -gt 0 ] || return 1
		sleep 0.05; _t=$((_t - 1))
	done
}
free_port() {	# a free TCP port, below the ephemeral range (32768-60999)
	# so that no client connection's own port takes it before use
	/usr/bin/python3 -c 'import random, socket
while True:
    p = random.randint(20000, 32767)
    try:
        for fam, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            with socket.socket(fam) as s:
                try:
                    s.bind((host, p))
                except OSError as e:
                    if fam != socket.AF_INET6 or e.errno != 99:
                        raise	# 99: no IPv6 here
        print(p)
        break
    except OSError:
        pass'
}
wait_port() {	# wait_port PORT [seconds]: until 127.0.0.1:PORT accepts a
		# connection, at most that long (default 60)
	/usr/bin/python3 -c 'import socket, sys, time
port, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while True:
    try:
        socket.create_connection(("127.0.0.1", port),
                                 max(1, min(10, end - time.monotonic()))).close()
        sys.exit(0)
    except OSError:	# refused, or a timeout on a busy machine
        if time.monotonic() >= end:
            sys.exit(1)
        time.sleep(0.05)' "$1" "${2:-60}"
}
listening() {	# listening PORT: a socket listens on PORT (any address),
		# as /proc/net/tcp and tcp6 say; connects to nothing
	awk -v p="$(printf '%04X' "$1")" '$4 == "0A" && $2 ~ (":" p "$") { f = 1 }
	    END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
dnsd_start() {	# dnsd_start ZONEFILE...: the test DNS server (t/dnsd.py, the
		# zone format is in its header) on a free loopback port; sets
		# DNSD_PORT and DNSD_PID and exports POSTERN_RESOLVER, so lib/dns
		# asks it; stopped at exit (dnsd_stop).  Fails (1) when it did
		# not start within 60 s.
	_pf=$T/dnsd.port.$$.$(date +%s%N)
	/usr/bin/python3 "$TOP/t/dnsd.py" -P "$_pf" "$@" 2>>"$T/dnsd.err" &
	DNSD_PID=$!
	_dnsd_pids="$_dnsd_pids $DNSD_PID"
	wait_for 60 _dnsd_up "$_pf" || { kill "$DNSD_PID" 2>/dev/null; return 1; }
	[ -s "$_pf" ] || return 1	# it stopped: the reason is in $T/dnsd.err
	DNSD_PORT=$(cat "$_pf")
	POSTERN_RESOLVER=127.0.0.1@$DNSD_PORT
	export DNSD_PORT DNSD_PID POSTERN_RESOLVER
}
_dnsd_up() {	# the port file is there, or the server is gone
	[ -s "$1" ] || ! kill -0 "$DNSD_PID" 2>/dev/null
}
dnsd_stop() {	# dnsd_stop: stop every server dnsd_start started
	for _p in $_dnsd_pids; do
		kill "$_p" 2>/dev/null && wait "$_p" 2>/dev/null
	done
	_dnsd_pids=
}
