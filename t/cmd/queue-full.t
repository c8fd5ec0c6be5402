#!/bin/sh
# A full disk, for real (issue 9.10): the queue and the mail root on
# small tmpfs mounts, filled up.  smtp-recv answers 452 4.3.1 (RFC 5321
# 4.2.2, RFC 3463 X.3.1) whether the spool file or the queue could not be
# written, in-process or through the queue-inject program; queue-inject
# says the same; queue-run defers a Maildir delivery with 4.3.1 and its
# DSN carries it.  A file size limit (RLIMIT_FSIZE, which the code treats
# as EDQUOT) is the same case.  Without root or tmpfs: skipped.
. "$TOP/t/lib.sh"

N=25
plan $N

QF=$T/qfs MF=$T/mfs
mkdir -p "$QF" "$MF"
if [ "$(id -u)" -ne 0 ]; then
	skip "mounting a tmpfs needs root" $N
	exit 0
fi
if ! mount -t tmpfs -o size=1m,mode=0755 postern-test "$QF" 2>/dev/null; then
	skip "no tmpfs mount here" $N
	exit 0
fi
if ! mount -t tmpfs -o size=1m,mode=0755 postern-test "$MF" 2>/dev/null; then
	umount "$QF"
	skip "no tmpfs mount here" $N
	exit 0
fi
trap 'umount "$QF" "$MF" 2>/dev/null || umount -l "$QF" "$MF" 2>/dev/null; rm -rf "$T"' EXIT

export POSTERN_CONF="$T/conf" POSTERN_QUEUE="$QF/queue" POSTERN_MAILROOT="$MF"
C=$T/conf Q=$QF/queue M=$MF
unset RELAYCLIENT TCPREMOTEIP TCPREMOTEHOST TCPREMOTEPORT
mkdir -p "$C"
echo mx.example.test >"$C/me"
printf 'example.test\n' >"$C/domains"
printf 'demo@example.test demo\n' >"$C/recipients"
for t in domains recipients; do cdb -c -m "$C/$t.cdb" "$C/$t" || exit 111; done
queue init || exit 111

fill() {	# fill DIR: until its file system is full
	dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null
	[ -s "$1/filler" ] || exit 111
}
nfiles() { count_files "$Q/$1"; }
# session [MESSAGE-FILE]: one message into smtp-recv; replies $T/r, log $T/log
session() {
	{
		printf 'EHLO client.test\r\nMAIL FROM:<s@elsewhere.test>\r\n'
		printf 'RCPT TO:<demo@example.test>\r\nDATA\r\n'
		if [ -n "${1:-}" ]; then cat "$1"; else printf 'Subject: t\r\n\r\nbody\r\n'; fi
		printf '.\r\nQUIT\r\n'
	} | smtp-recv >"$T/r" 2>"$T/log"
}
# the reply to the end of DATA: the line before the 221
data_reply() { grep -v '^221' "$T/r" | tail -n 1 | tr -d '\r'; }
awk 'BEGIN { printf "Subject: big\r\n\r\n"; for (i = 0; i < 4000; i++)
	printf "%0100d\r\n", i }' >"$T/big"		# 400 KB: a spool file

# --- the queue's file system is full
fill "$QF"
printf 'Subject: t\n\nbody\n' | queue-inject -f s@x.test demo@example.test \
    >/dev/null 2>"$T/err"
is "queue-inject: 111" "$?" 111
is "queue-inject: the reply says so" "$(tail -n 1 "$T/err")" \
    "452 4.3.1 insufficient system storage"
contains "queue-inject: the log line names the cause" "$T/err" \
    '^queue-inject: fatal: unable to .*: No space left on device$'
is "queue-inject: nothing left in tmp/ or mess/" "$(nfiles tmp) $(nfiles mess)" "0 0"

session
is "smtp-recv in-process: 452 4.3.1" "$(data_reply)" \
    "452 4.3.1 insufficient system storage"
contains "smtp-recv in-process: the cause logged" "$T/log" \
    'No space left on device'
contains "smtp-recv in-process: refused with the reply" "$T/log" \
    'refused msg=1 stage=queue-inject reply="452 4\.3\.1 insufficient system storage"'
is "smtp-recv in-process: nothing queued" "$(nfiles tmp) $(nfiles mess)" "0 0"

session "$T/big"
is "smtp-recv spool file: 452 4.3.1" "$(data_reply)" \
    "452 4.3.1 insufficient system storage"
contains "smtp-recv spool file: the cause logged" "$T/log" \
    'unable to write the spool file: No space left on device'
contains "smtp-recv spool file: refused with the reply" "$T/log" \
    'refused msg=1 stage=smtp-recv reply="452 4\.3\.1 insufficient system storage"'
lacks "smtp-recv spool file: not a protocol error" "$T/log" 'errors=[1-9]'

echo queue-inject >"$C/smtp-inject"
session
is "smtp-recv with the queue-inject program: 452 4.3.1" "$(data_reply)" \
    "452 4.3.1 insufficient system storage"
contains "smtp-recv with the program: its log line passed on" "$T/log" \
    'No space left on device'
rm "$C/smtp-inject"
is "smtp-recv: nothing queued at all" "$(nfiles tmp) $(nfiles mess)" "0 0"

# --- room again: the same message is taken
rm "$QF/filler"
session
contains "room again: 250" "$T/r" '^250 2\.0\.0 OK queued as '
is "room again: queued" "$(nfiles mess)" 1

# --- a file size limit (EDQUOT to the code), for queue-inject
(ulimit -f 1; printf 'Subject: t\n\n%01000d\n' 0 |
    queue-inject -f s@x.test demo@example.test >/dev/null 2>"$T/err")
is "queue-inject under ulimit -f: 111" "$?" 111
is "queue-inject under ulimit -f: 452 4.3.1" "$(tail -n 1 "$T/err")" \
    "452 4.3.1 insufficient system storage"

# --- queue-run: the mail root's file system is full
fill "$MF"
echo 0 >"$C/queue-lifetime"	# fail at once: the DSN shows the status
id=$(queue list | sed -n 's/^\([0-9.]*\) .*/\1/p')
queue-run -1 2>"$T/qlog"
is "queue-run: exit 0" "$?" 0
contains "queue-run: ENOSPC is 4.3.1" "$T/qlog" \
    "$id failed to=<demo@example.test> attempts=1 error=4\\.3\\.1 mail system full; gave up after 1 attempts"
# the DSN goes to a remote sender, so with a lifetime of 0 it is itself
# dropped at once (a double bounce); its status is in the log
contains "queue-run: the DSN says 4.3.1" "$T/qlog" \
    "$id dsn=[0-9.]* to=<s@elsewhere\\.test> rcpt=<demo@example\\.test> action=failed status=4\\.3\\.1\$"
rm "$MF/filler" "$C/queue-lifetime"

# --- queue-run under a file size limit: EDQUOT to maildir_deliver
printf 'Subject: t\n\n%02000d\n' 0 | queue-inject -f s@x.test demo@example.test \
    >/dev/null 2>&1
(ulimit -f 1; queue-run -1 2>"$T/qlog")
contains "queue-run under ulimit -f: deferred with 4.3.1" "$T/qlog" \
    'deferred to=<demo@example.test> attempts=1 error=4\.3\.1 mail system full$'
lacks "queue-run under ulimit -f: no worker died" "$T/qlog" 'worker died'
queue list >"$T/list"
contains "queue list shows 4.3.1" "$T/list" \
    'to=<demo@example.test> account=demo state=deferred attempts=1 next=in-1[45]m error=4\.3\.1 mail system full$'
