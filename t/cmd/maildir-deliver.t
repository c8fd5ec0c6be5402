#!/bin/sh
# maildir-deliver: stdin into DIR/new (or a folder), durable, all or
# nothing; exit 0, 100 permanent, 111 temporary.
. "$TOP/t/lib.sh"
plan 86

cd "$T" || exit 111
nl='
'
only_file() {	# only_file dir: the one file in dir/new, or fail
	[ "$(count_files "$1/new")" = 1 ] || return 1
	ls -A "$1/new" | sed "s|^|$1/new/|"
}

# usage
exits "-h is usage" 100 maildir-deliver -h 2>err
contains "-h prints the usage line" err '^usage: maildir-deliver '
exits "no DIR" 100 maildir-deliver </dev/null 2>/dev/null
exits "two DIRs" 100 maildir-deliver a b </dev/null 2>/dev/null
exits "unknown option" 100 maildir-deliver -x M </dev/null 2>/dev/null
exits "-s not a number" 100 maildir-deliver -s 12k M </dev/null 2>/dev/null
exits "-s empty" 100 maildir-deliver -s '' M </dev/null 2>/dev/null
exits "-s overflowing" 100 maildir-deliver -s 99999999999999999999999 M \
    </dev/null 2>/dev/null

# the plain case
maildir-make M || exit 111
printf 'Subject: hi\n\nbody\n' | maildir-deliver M >out 2>err
is "delivers, exit 0" "$?" 0
is "prints nothing" "$(cat out)" ""
is "exactly one file in new/" "$(count_files M/new)" 1
is "tmp/ empty" "$(count_files M/tmp)" 0
is "cur/ empty" "$(count_files M/cur)" 0
f=$(only_file M)
printf 'Subject: hi\n\nbody\n' >want
check "the message, unchanged (no fields asked for)" cmp -s "$f" want
contains "one log line" err "^maildir-deliver: info: delivered dir=M file=new/${f##*/}\$"
is "log is one line" "$(wc -l <err | tr -d ' ')" 1
is "file mode 600" "$(stat -c %a "$f")" 600

# with the documented fields
maildir-make M2 || exit 111
printf 'Subject: hi\n\nbody\n' |
    maildir-deliver -f sender@example.org -d rcpt@example.net M2 2>err
is "with -f -d: exit 0" "$?" 0
printf 'Return-Path: <sender@example.org>\nDelivered-To: rcpt@example.net\nSubject: hi\n\nbody\n' >want
f=$(only_file M2)
check "Return-Path then Delivered-To, then the message" cmp -s "$f" want

maildir-make M3 || exit 111
printf 'Subject: x\r\n\r\nbody\r\n' | maildir-deliver -f '' -d r@x M3 2>/dev/null
f=$(only_file M3)
printf 'Return-Path: <>\r\nDelivered-To: r@x\r\nSubject: x\r\n\r\nbody\r\n' >want
check "null sender <>, CRLF fields for a CRLF message" cmp -s "$f" want

# -v
out=$(printf 'x\n' | maildir-deliver -v M 2>/dev/null)
is "-v exit 0" "$?" 0
check "-v prints the delivered path" test -f "$out"
case $out in M/new/*) ok "-v path is DIR/new/NAME";;
*) not_ok "-v path is DIR/new/NAME" "got $out";; esac

# header values must stay one line
exits "CR in -f is permanent" 100 maildir-deliver -f "$(printf 'a\rb')" M \
    </dev/null 2>err
contains "says why" err 'fatal: control character'
exits "LF in -d is permanent" 100 maildir-deliver -d "a${nl}X-Evil: 1" M \
    </dev/null 2>/dev/null
is "nothing delivered for bad fields" "$(count_files M/new)" 2

# missing or unwritable directory: temporary (qmail: the admin may be
# about to make it)
exits "missing DIR is 111" 111 maildir-deliver nosuch <want 2>err
contains "fatal log line" err '^maildir-deliver: fatal: unable to deliver to nosuch: No such file or directory$'
check "missing DIR is not made" test ! -e nosuch
mkdir -p half/tmp
exits "DIR without new/ is 111" 111 maildir-deliver half <want 2>/dev/null
is "nothing left in its tmp/" "$(count_files half/tmp)" 0
: >plainfile
exits "DIR whose parent is a file is 111" 111 maildir-deliver plainfile/M \
    <want 2>err
contains "ENOTDIR said" err 'Not a directory'
exits "DIR that is a file is 111" 111 maildir-deliver plainfile <want \
    2>/dev/null
exits "stdin closed is 111" 111 maildir-deliver M <&- 2>/dev/null

# unwritable for the user that runs it (tests run as root: drop to nobody)
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	chmod 711 "$T"
	maildir-make RO || exit 111
	chmod 755 RO
	exits "tmp/ not writable is 111" 111 setpriv --reuid=65534 \
	    --regid=65534 --clear-groups maildir-deliver RO <want 2>err
	contains "EACCES said" err 'Permission denied'
	is "nothing in new/" "$(count_files RO/new)" 0
	chmod 700 RO
	exits "DIR not readable is 111" 111 setpriv --reuid=65534 \
	    --regid=65534 --clear-groups maildir-deliver RO <want 2>/dev/null
	chmod 700 "$T"
else
	skip "unwritable DIR: setpriv unavailable" 4
fi

# size limit: permanent
maildir-make S || exit 111
printf 'Subject: hi\n\nbody\n' >msg	# 18 bytes
exits "-s 17 refuses 18 bytes: 100" 100 maildir-deliver -f a@b -s 17 S \
    <msg 2>err
contains "says too large" err 'fatal: message too large dir=S maxsize=17'
is "nothing in new/" "$(count_files S/new)" 0
is "tmp/ empty" "$(count_files S/tmp)" 0
exits "-s 18 takes 18 bytes (fields not counted)" 0 maildir-deliver \
    -f a@b -d c@d -s 18 S <msg 2>/dev/null
exits "-s 0 is no limit" 0 maildir-deliver -s 0 S <msg 2>/dev/null
is "two delivered" "$(count_files S/new)" 2

# full disk by RLIMIT_FSIZE: write fails with EFBIG (SIGXFSZ ignored)
maildir-make Q || exit 111
awk 'BEGIN { for (i = 0; i < 200; i++) print "line of text", i }' >big
exits "file size limit is 111" 111 sh -c 'ulimit -f 1; exec maildir-deliver -f a@b Q' \
    <big 2>err
contains "quota said" err 'fatal: unable to deliver to Q: Disk quota exceeded'
is "nothing in new/" "$(count_files Q/new)" 0
is "tmp/ empty" "$(count_files Q/tmp)" 0

# a real full disk: a 64 KiB tmpfs (root only)
mkdir full
if mount -t tmpfs -o size=64k,mode=700 tmpfs full 2>/dev/null; then
	maildir-make full/M || exit 111
	exits "small message fits" 0 maildir-deliver full/M <msg 2>/dev/null
	head -c 300000 /dev/zero | tr '\0' 'x' >huge
	exits "disk full is 111" 111 maildir-deliver -f a@b full/M <huge 2>err
	contains "ENOSPC said" err 'No space left on device'
	is "only the first in new/" "$(count_files full/M/new)" 1
	is "tmp/ empty" "$(count_files full/M/tmp)" 0
	exits "space is back" 0 maildir-deliver full/M <msg 2>/dev/null
	umount full
else
	skip "tmpfs full disk: mount failed" 6
fi

# killed halfway: the writer stalls, we kill -9 the delivery
maildir-make K || exit 111
mkfifo fifo
maildir-deliver K <fifo 2>/dev/null &
pid=$!
exec 3>fifo
printf 'Subject: half\n\npart of the body' >&3
has_tmp() { [ "$(count_files K/tmp)" != 0 ]; }
wait_for 60 has_tmp
is "the delivery has its tmp file" "$(count_files K/tmp)" 1
kill -9 "$pid"
wait "$pid"
is "killed by SIGKILL" "$?" 137
exec 3>&-
is "killed: nothing in new/" "$(count_files K/new)" 0
is "killed: nothing in cur/" "$(count_files K/cur)" 0

# binary and NUL bytes, byte-exact
maildir-make B || exit 111
{ printf 'Subject: bin\n\n\000\001\002\377\r\r\n\000'; head -c 70000 /dev/urandom; \
  printf '\000'; } >bin
exits "binary message" 0 maildir-deliver B <bin 2>/dev/null
check "binary and NUL bytes kept exactly" cmp -s "$(only_file B)" bin
rm -f B/new/*
exits "binary message with fields" 0 maildir-deliver -d x@y B <bin 2>/dev/null
f=$(only_file B)
check "after the field, exact" sh -c "tail -c +19 '$f' | cmp -s - bin"
is "the field" "$(head -n 1 "$f")" "Delivered-To: x@y"

# 10 MB
maildir-make L || exit 111
head -c 10485760 /dev/urandom >ten
exits "10 MB message" 0 maildir-deliver L <ten 2>/dev/null
check "10 MB kept exactly" cmp -s "$(only_file L)" ten
exits "10 MB against -s 10485759 is 100" 100 maildir-deliver -s 10485759 L \
    <ten 2>/dev/null
is "still one in new/" "$(count_files L/new)" 1
is "tmp/ empty after refusing 10 MB" "$(count_files L/tmp)" 0

# into a Maildir++ folder
maildir-make F Sent 'Entwürfe' 'Archive/2026' || exit 111
exits "-F Sent" 0 maildir-deliver -F Sent F <msg 2>err
contains "logs the folder dir" err 'delivered dir=F/\.Sent file=new/'
is "in .Sent/new" "$(count_files F/.Sent/new)" 1
is "not in INBOX" "$(count_files F/new)" 0
exits "-F UTF-8 name" 0 maildir-deliver -F 'Entwürfe' F <msg 2>/dev/null
is "in .Entw&APw-rfe/new" "$(count_files 'F/.Entw&APw-rfe/new')" 1
exits "-F nested" 0 maildir-deliver -F Archive/2026 F <msg 2>/dev/null
is "in .Archive.2026/new" "$(count_files F/.Archive.2026/new)" 1
exits "-F INBOX is the root" 0 maildir-deliver -F inbox F <msg 2>/dev/null
is "in new/" "$(count_files F/new)" 1
exits "-F missing folder is 111" 111 maildir-deliver -F Nope F <msg 2>/dev/null
exits "-F a//b is 100" 100 maildir-deliver -F 'a//b' F <msg 2>err
contains "bad folder said" err 'fatal: bad folder name a//b'
exits "-F ../x is 100" 100 maildir-deliver -F '../x' F <msg 2>/dev/null
exits "-F with a control char is 100" 100 maildir-deliver -F "$(printf 'a\tb')" F \
    <msg 2>/dev/null
