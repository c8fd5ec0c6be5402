# t/lib.sh: helpers for the program tests (t/cmd/*.t, t/e2e/*.t), which
# print TAP.  Source it:  . "$TOP/t/lib.sh"
# $BIN is the build's bin directory (t/run sets it), $TOP the source tree.
# Each test gets a scratch directory $T, removed at exit.

: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BIN:=$TOP/build/bin}"
PATH="$BIN:$PATH"
export TOP BIN PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/postern-test.XXXXXX") || exit 111
trap 'rm -rf "$T"' EXIT
trap 'exit 111' INT TERM
_n=0

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
free_port() {	# a free TCP port on 127.0.0.1
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
wait_port() {	# wait_port PORT [tenths]: until 127.0.0.1:PORT accepts
	_i=0
	until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -gt "${2:-100}" ] && return 1
		sleep 0.1
	done
}
