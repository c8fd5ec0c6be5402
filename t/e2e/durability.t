#!/bin/sh
# durability: the order of writes, fsyncs and renames, as strace(1) sees
# it, on the three paths that make mail durable: queue-inject (the
# program), smtp-recv's in-process injection under tcp-listen, and
# queue-run delivering into Maildirs (with the DSN it queues and the
# state files it writes).  For every file made visible by a rename or a
# link (into the queue's mess/ or env/, or a Maildir's new/): its data
# written and fsync'd before the move, and its directory fsync'd after
# the move and before success is reported (queue-inject's id and exit 0,
# smtp-recv's 250, queue-run recording the recipient done).  queue-inject(8)
# "Injection, step by step" and queue-run(8) "Delivery" give the order.
# Without strace, or where it may not trace (ptrace refused), the
# assertions are skipped, never passed.
. "$TOP/t/lib.sh"

plan 15
PY=/usr/bin/python3
if ! command -v strace >/dev/null 2>&1; then
	skip "strace is not installed" 15
	exit 0
fi
if ! strace -f -o /dev/null true 2>"$T/strace.err"; then
	skip "strace cannot trace here: $(head -n 1 "$T/strace.err")" 15
	exit 0
fi

# the traced listener runs in a process group of its own: killed whole
# at exit (strace, the listener, its sessions)
pgids=
trap 'for p in $pgids; do kill -9 -- "-$p" 2>/dev/null; done; rm -rf "$T"' EXIT
export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$T/queue" POSTERN_MAILROOT="$T/mail"
unset RELAYCLIENT
C=$T/conf Q=$T/queue M=$T/mail
mkdir -p "$C" "$M"
echo mx.example.test >"$C/me"
printf 'example.test 1\n' | cdb -c -m "$C/domains.cdb" -
printf 'alice@example.test alice\nbob@example.test bob\n' |
	cdb -c -m "$C/recipients.cdb" -
# one alias: two local targets and a remote one (held: a state file)
printf 'team@example.test alice@example.test, bob@example.test, far@remote.test\n' |
	cdb -c -m "$C/aliases.cdb" -
queue init 2>/dev/null
# LeakSanitizer cannot run under ptrace (the sanitizer build)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# trace NAME command...: run it under strace, one log per process in
# $T/NAME.PID
STRACE="-f -ff -y -q -s 200 -e signal=none
    -e trace=write,fsync,fdatasync,rename,renameat,renameat2,link,linkat,unlinkat,mkdir,mkdirat"
trace() {
	_name=$1; shift
	strace $STRACE -o "$T/$_name" "$@"
}

cat >"$T/check.py" <<'EOF'
# durability.t's checker: reads the per-process logs of strace -ff -y
# (prefix.PID) and checks, in each process, for every rename or link
# that makes a file visible (into QUEUE/mess, QUEUE/env or a Maildir's
# new/ or cur/ under MAILROOT):
#   file: the file was written, then fsync'd (or fdatasync'd) after its
#         last write and before the rename; nothing written to it after;
#   dir:  its directory was fsync'd after the rename and before the next
#         report of success in that process: a queue id printed on fd 1
#         (queue-inject), a 250 reply on a socket (smtp-recv), the
#         message's removal from mess/ or a state file renamed into env/
#         (queue-run), the process's exit 0.  A rename into env/ is
#         itself such a report; its own directory sync must come before
#         the next one, or before the process ends;
#   mkdir: a directory made on the way to the file (mkdir, mkdirat) has
#         its parent fsync'd before that report of success.
# usage: check.py PREFIX QUEUE MAILROOT
# prints "mess=N new=N env=N file=N dir=N by=KIND:N,...": the moves seen
# by kind, the violations of each rule, and which reports of success
# ended the windows of the moves into mess/ and new/ (id, 250, done,
# state, exit); one line per violation
# on stderr.
import glob, os, re, sys

prefix, queue, mailroot = sys.argv[1:4]
queue = os.path.realpath(queue)
mailroot = os.path.realpath(mailroot)

LINE = re.compile(r'^(\w+)\((.*)\) += (.*)$')
FD = re.compile(r'^(-?\d+|AT_FDCWD)<(.*)>$')
QID = re.compile(rb'^\d{10}\.\d{6}\.\d+\.\d+\n$')


def unescape(s):
    """a C string as strace prints it (without the quotes) to bytes"""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != '\\':
            out += c.encode()
            i += 1
            continue
        n = s[i + 1]
        if n == 'x':
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif n in '01234567':
            j = i + 1
            while j < len(s) and j < i + 4 and s[j] in '01234567':
                j += 1
            out.append(int(s[i + 1:j], 8))
            i = j
        else:
            out += {'n': b'\n', 't': b'\t', 'r': b'\r', 'v': b'\v',
                    'f': b'\f', '"': b'"', '\\': b'\\'}.get(n, n.encode())
            i += 2
    return bytes(out)


def split_args(s):
    """top-level arguments: commas outside quotes and brackets"""
    args, cur, depth, q, i = [], [], 0, False, 0
    while i < len(s):
        c = s[i]
        if q:
            cur.append(c)
            if c == '\\':
                cur.append(s[i + 1])
                i += 1
            elif c == '"':
                q = False
        elif c == '"':
            q = True
            cur.append(c)
        elif c in '<[{(':
            depth += 1
            cur.append(c)
        elif c in '>]})':
            depth -= 1
            cur.append(c)
        elif c == ',' and depth == 0:
            args.append(''.join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if cur:
        args.append(''.join(cur).strip())
    return args


def fdpath(a):
    m = FD.match(a)
    return m.group(2) if m else None


def string(a):
    """a string argument (maybe truncated: "..."...) as bytes"""
    m = re.match(r'^"(.*)"(\.\.\.)?$', a, re.S)
    return unescape(m.group(1)) if m else None


def at(dirarg, namearg):
    name = string(namearg).decode('utf-8', 'surrogateescape')
    if name.startswith('/'):
        p = name
    else:
        d = fdpath(dirarg)
        if d is None:
            return None
        p = d + '/' + name
    p = os.path.normpath(p)
    # the directory as the kernel names it (as strace -y shows fds)
    d = os.path.dirname(p)
    if os.path.isdir(d):
        d = os.path.realpath(d)
    return d + '/' + os.path.basename(p)


def kind(dirpath):
    if dirpath == queue + '/mess':
        return 'mess'
    if dirpath == queue + '/env':
        return 'env'
    if dirpath.startswith(mailroot + '/') and \
            os.path.basename(dirpath) in ('new', 'cur'):
        return 'new'
    return None


def events(path):
    """the successful calls of one process, in order"""
    ev = []
    for line in open(path, encoding='utf-8', errors='surrogateescape'):
        line = line.rstrip('\n')
        if line.startswith('+++ exited with '):
            ev.append(('exit', int(line.split()[3]), None))
            continue
        m = LINE.match(line)
        if not m:
            continue
        call, args, ret = m.group(1), split_args(m.group(2)), m.group(3)
        if ret.startswith('-1') or ret.startswith('?'):
            continue
        if call == 'write':
            data = string(args[1]) or b''
            ev.append(('write', fdpath(args[0]), (args[0], data)))
        elif call in ('fsync', 'fdatasync'):
            ev.append(('fsync', fdpath(args[0]), None))
        elif call in ('rename', 'link'):
            ev.append(('move', at('AT_FDCWD<' + os.getcwd() + '>', args[0]),
                       at('AT_FDCWD<' + os.getcwd() + '>', args[1])))
        elif call in ('renameat', 'renameat2', 'linkat'):
            ev.append(('move', at(args[0], args[1]), at(args[2], args[3])))
        elif call == 'unlinkat':
            ev.append(('unlink', at(args[0], args[1]), None))
        elif call == 'mkdir':
            ev.append(('mkdir', at('AT_FDCWD<' + os.getcwd() + '>', args[0]),
                       None))
        elif call == 'mkdirat':
            ev.append(('mkdir', at(args[0], args[1]), None))
    return ev


def marker(e):
    """the report of success e is, if it is one: id, 250, done, state, exit"""
    t, p, x = e
    if t == 'exit':
        return 'exit' if x == 0 else None
    if t == 'write':
        fdarg, data = x
        if fdarg.startswith('1<') and QID.match(data):
            return 'id'		# queue-inject prints the id
        if fdarg.split('<', 1)[-1].startswith(('socket:', 'TCP')) and \
                data.startswith(b'250'):
            return '250'	# smtp-recv: the reply to DATA
        return None
    if t == 'unlink' and os.path.dirname(p) == queue + '/mess':
        return 'done'		# queue-run: the message is done
    if t == 'move' and os.path.dirname(x) == queue + '/env':
        return 'state'		# queue-run: its state recorded
    return None


count = {'mess': 0, 'new': 0, 'env': 0}
closer = {'id': 0, '250': 0, 'done': 0, 'state': 0, 'exit': 0}
bad = {'file': 0, 'dir': 0, 'mkdir': 0}


def violation(rule, pid, text):
    bad[rule] += 1
    print('%s: pid %s: %s' % (rule, pid, text), file=sys.stderr)


for log in sorted(glob.glob(prefix + '.*')):
    pid = log.rsplit('.', 1)[1]
    ev = events(log)
    made_seen = set()
    for i, (t, src, dst) in enumerate(ev):
        if t != 'move' or src is None or dst is None:
            continue
        k = kind(os.path.dirname(dst))
        if k is None:
            continue
        count[k] += 1
        what = '%s -> %s' % (src, dst)
        # file: written, synced after the last write, before the move
        last_w = max((j for j in range(i) if ev[j][0] == 'write' and
                      ev[j][1] == src), default=None)
        if last_w is None:
            violation('file', pid, what + ': no write to the file seen')
        elif not any(ev[j][0] == 'fsync' and ev[j][1] == src
                     for j in range(last_w + 1, i)):
            violation('file', pid, what + ': not fsync\'d after its last '
                      'write and before the move')
        if any(e[0] == 'write' and e[1] in (src, dst) for e in ev[i + 1:]):
            violation('file', pid, what + ': written after the move')
        # dir: synced after the move, before the next report of success
        d = os.path.dirname(dst)
        end = next((j for j in range(i + 1, len(ev)) if marker(ev[j])),
                   None)
        if end is not None:
            if k != 'env':
                closer[marker(ev[end])] += 1
        else:
            if k != 'env':
                violation('dir', pid, what + ': no success reported '
                          'after the move (test incomplete?)')
            end = len(ev)
        if not any(ev[j][0] == 'fsync' and ev[j][1] == d
                   for j in range(i + 1, end)):
            violation('dir', pid, what + ': %s not fsync\'d between the '
                      'move and the report of success' % d)
        # mkdir: a directory made on the way to the file (a Maildir made
        # at an account's first message) is an entry in its parent, which
        # must be synced too before success is reported
        for j in range(i):
            if ev[j][0] != 'mkdir' or not dst.startswith(ev[j][1] + '/') \
                    or j in made_seen:
                continue
            made_seen.add(j)	# checked against its first file only
            parent = os.path.dirname(ev[j][1])
            if not any(ev[k][0] == 'fsync' and ev[k][1] == parent
                       for k in range(j + 1, end)):
                violation('mkdir', pid, '%s: made, but %s not fsync\'d '
                          'before the report of success for %s' %
                          (ev[j][1], parent, dst))
print('mess=%d new=%d env=%d file=%d dir=%d mkdir=%d by=%s' % (
      count['mess'], count['new'], count['env'], bad['file'], bad['dir'],
      bad['mkdir'],
      ','.join('%s:%d' % (k, v) for k, v in closer.items() if v)))
EOF
# verdict NAME: the checker's summary line on the logs $T/NAME.*
verdict() {
	$PY "$T/check.py" "$T/$1" "$Q" "$M" 2>"$T/$1.violations"
}
# field LINE KEY: the value of KEY=... in LINE
field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
# rule "description" NAME KEY: ok when the checker found no violation
rule() {
	if [ "$(field "$3" "$4")" = 0 ]; then ok "$1"
	else not_ok "$1" "$(grep "^$4:" "$T/$2.violations" | head -20)"; fi
}

# --- the checker sees a wrong order (a synthetic trace) ----------------------
q=$(cd "$Q" && pwd -P)
cat >"$T/fake.1" <<EOF
write(7<$q/tmp/1796000000.000001.1.1>, "postern-envelope 1\\n", 19) = 19
renameat2(4<$q/tmp>, "1796000000.000001.1.1", 5<$q/mess>, "1796000000.000001.1.1", RENAME_NOREPLACE) = 0
fsync(5<$q/mess>) = 0
write(1<pipe:[1]>, "1796000000.000001.1.1\\n", 22) = 22
+++ exited with 0 +++
EOF
cat >"$T/fake.2" <<EOF
write(7<$q/tmp/1796000000.000002.1.1>, "postern-envelope 1\\n", 19) = 19
fsync(7<$q/tmp/1796000000.000002.1.1>) = 0
renameat2(4<$q/tmp>, "1796000000.000002.1.1", 5<$q/mess>, "1796000000.000002.1.1", RENAME_NOREPLACE) = 0
write(1<pipe:[1]>, "1796000000.000002.1.1\\n", 22) = 22
fsync(5<$q/mess>) = 0
+++ exited with 0 +++
EOF
v=$(verdict fake)
is "checker: a missing file fsync and a late directory fsync are seen" "$v" \
    "mess=2 new=0 env=0 file=1 dir=1 mkdir=0 by=id:2"

# --- queue-inject, the program -------------------------------------------------
# a small message, one of 300 KiB (several 64 KiB writes) for the alias,
# and one for an unknown user (its DSN is queued by queue-run below)
printf 'Subject: inject 1\n\nsmall\n' >"$T/m1"
{ printf 'Subject: inject 2\n\n'; head -c 230000 /dev/urandom | base64 -w 76; } >"$T/m2"
printf 'Subject: inject 3\n\nfor nobody\n' >"$T/m3"
rcs=
trace inject queue-inject -f bob@example.test alice@example.test <"$T/m1" >>"$T/ids" 2>>"$T/inject.log"
rcs="$rcs$?"
trace inject queue-inject -f bob@example.test team@example.test <"$T/m2" >>"$T/ids" 2>>"$T/inject.log"
rcs="$rcs$?"
trace inject queue-inject -f bob@example.test nobody@example.test <"$T/m3" >>"$T/ids" 2>>"$T/inject.log"
rcs="$rcs$?"
is "queue-inject: three messages queued (exit 0, in mess/)" \
    "$rcs $(count_files "$Q/mess")" "000 3"
v=$(verdict inject)
echo "# inject: $v"
is "queue-inject: the trace shows three moves into mess/, each followed by its id" \
    "$(field "$v" mess) $(field "$v" by)" "3 id:3"
rule "queue-inject: each file written and fsync'd before its rename into mess/" inject "$v" file
rule "queue-inject: mess/ fsync'd after each rename, before the id is printed and exit 0" inject "$v" dir

# --- smtp-recv under tcp-listen: injection in the session process ------------
cat >"$T/client.py" <<'EOF'
import base64, os, smtplib, sys
port = int(sys.argv[1])
def msg(subject, body):
    return ("Subject: " + subject + "\r\n\r\n" + body + "\r\n").encode()
# past SPOOL_MEM (256 KiB) the session spools to a file first
big = base64.encodebytes(os.urandom(330000)).decode().replace("\n", "\r\n")
s = smtplib.SMTP("127.0.0.1", port, local_hostname="py.client.test", timeout=30)
s.ehlo()
for subject, to, body in (("smtp 1", "alice@example.test", "small"),
                          ("smtp 2", "bob@example.test", big)):
    s.mail("carol@remote.test")
    s.rcpt(to)
    print(s.data(msg(subject, body))[0])
s.quit()
s = smtplib.SMTP("127.0.0.1", port, local_hostname="py.client.test", timeout=30)
s.ehlo()
s.mail("carol@remote.test")
s.rcpt("alice@example.test")
print(s.data(msg("smtp 3", "again"))[0])
s.quit()
EOF
port=$(free_port)
setsid strace $STRACE -o "$T/smtp" tcp-listen 127.0.0.1 "$port" smtp-recv \
    2>"$T/smtp.log" &
st=$!
pgids="$pgids $st"
if wait_port "$port" 100; then
	$PY "$T/client.py" "$port" >"$T/client.out" 2>&1
else
	echo "no listener on $port" >"$T/client.out"
fi
# SIGTERM to the listener (strace's child); strace ends with its last session
lp=$(cat "/proc/$st/task/$st/children" 2>/dev/null)
[ -n "$lp" ] && kill -TERM $lp
_i=0
while kill -0 "$st" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
kill -9 "$st" 2>/dev/null
wait "$st" 2>/dev/null
is "smtp-recv: three messages got 250" "$(tr '\n' ' ' <"$T/client.out")" "250 250 250 "
v=$(verdict smtp)
echo "# smtp: $v"
is "smtp-recv: the trace shows three moves into mess/, each followed by a 250" \
    "$(field "$v" mess) $(field "$v" by)" "3 250:3"
rule "smtp-recv: each file written and fsync'd before its rename into mess/" smtp "$v" file
rule "smtp-recv: mess/ fsync'd after each rename, before the 250 reply" smtp "$v" dir

# --- queue-run: delivery into Maildirs, a state file, a DSN --------------------
# alice 1 + 1 (team) + 2 (smtp), bob 1 (team) + 1 (smtp) + the DSN: 7
trace run queue-run -1 2>"$T/run.log"
rc=$?
n=$(ls "$M"/*/Maildir/new/ 2>/dev/null | grep -c '^[0-9]')
is "queue-run -1: exit 0, seven files delivered" "$rc $n" "0 7"
v=$(verdict run)
echo "# run: $v"
# each window ended by the message's removal (done) or its state (env/)
by=$(field "$v" by | tr ',' '\n' | sed 's/:/ /' |
    awk '$1 == "done" || $1 == "state" { n += $2 } END { print n + 0 }')
is "queue-run: the trace shows 7 moves into new/, the DSN into mess/, a state into env/, each followed by its record" \
    "$(field "$v" new) $(field "$v" mess) $(field "$v" env) $by" "7 1 1 8"
rule "queue-run: each file (Maildir, DSN, state) written and fsync'd before its move" run "$v" file
rule "queue-run: its directory fsync'd after the move, before the recipient is recorded done" run "$v" dir
cat "$T/inject.log" "$T/smtp.log" "$T/run.log" >"$T/all.log" 2>/dev/null
lacks "no sanitizer report" "$T/all.log" 'Sanitizer|runtime error'
# an account's first message makes MAILROOT/ACCOUNT/Maildir (mkdir -p):
# each directory made is synced into its parent before the delivery is
# recorded
rule "queue-run: a Maildir made for a message is synced into its parent" run "$v" mkdir
