#!/bin/sh
# maildir-make: a Maildir and its Maildir++ folders, idempotent; bad names
# change nothing.
. "$TOP/t/lib.sh"
plan 59

cd "$T" || exit 111

is_maildir() {	# is_maildir dir: tmp new cur, all mode 700
	for d in "$1" "$1/tmp" "$1/new" "$1/cur"; do
		[ -d "$d" ] && [ "$(stat -c %a "$d")" = 700 ] || return 1
	done
}

exits "-h is usage" 100 maildir-make -h 2>err
contains "-h prints the usage line" err '^usage: maildir-make '
exits "no DIR is usage" 100 maildir-make 2>/dev/null
exits "empty DIR is usage" 100 maildir-make '' 2>/dev/null
exits "unknown option" 100 maildir-make -q M 2>/dev/null

exits "makes a Maildir" 0 maildir-make M 2>err
check "tmp new cur, mode 700" is_maildir M
is "nothing else" "$(ls -A M | tr '\n' ' ')" "cur new tmp "
is "silent on success" "$(cat err)" ""

echo kept >M/new/1.x
exits "again: idempotent" 0 maildir-make M
is "what was there is kept" "$(cat M/new/1.x)" kept
rmdir M/cur
exits "completes a partial Maildir" 0 maildir-make M
check "cur is back" is_maildir M

exits "makes missing parents" 0 maildir-make a/b/c/M
check "nested Maildir" is_maildir a/b/c/M

# folders
exits "folders" 0 maildir-make M Sent 'Archive/2026' 'Entwürfe' 'v1.2' \
    INBOX 'INBOX/Sub' 2>err
is "silent" "$(cat err)" ""
for f in .Sent .Archive.2026 '.Entw&APw-rfe' '.v1\2e2' .INBOX.Sub; do
	check "folder $f" is_maildir "M/$f"
	check "folder $f has the maildirfolder marker" test -f "M/$f/maildirfolder"
	is "folder $f has nothing else" "$(count_files "M/$f")" 4
done
is "INBOX adds nothing; root has 3 + 5 folders" "$(count_files M)" 8
is "assembly place left empty" "$(count_files M/tmp)" 0
check "no parent folder made for Archive/2026" test ! -e M/.Archive
exits "folders again: idempotent" 0 maildir-make M Sent 'Archive/2026'
is "still 8 entries" "$(count_files M)" 8
mkdir -m 700 M/.Part
exits "completes a partial folder" 0 maildir-make M Part
check "partial folder completed" is_maildir M/.Part
check "marker added" test -f M/.Part/maildirfolder

# bad names are permanent and change nothing, not even DIR
for bad in 'a//b' '/x' 'x/' '..' 'a/../b' '.' "$(printf 'a\tb')" \
    "$(printf 'a\377b')"; do
	exits "bad folder name '$bad' is 100" 100 maildir-make N Good "$bad" \
	    2>err
done
contains "says which name" err 'fatal: bad folder name a'
check "nothing made for bad names" test ! -e N
long=$(printf '%0300d' 0)
exits "too long a name is 100" 100 maildir-make N "$long" 2>err
contains "name too long said" err 'File name too long'

# system errors are temporary
: >file
exits "DIR is a file: 111" 111 maildir-make file 2>err
contains "fatal line" err '^maildir-make: fatal: unable to make file: Not a directory$'
exits "parent is a file: 111" 111 maildir-make file/M 2>/dev/null
: >M/.Blocked
exits "folder path is a file: 111" 111 maildir-make M Blocked 2>err
contains "says which folder" err 'unable to make folder Blocked in M'

if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	chmod 711 "$T"
	mkdir ro && chmod 755 ro
	exits "unwritable parent: 111" 111 setpriv --reuid=65534 \
	    --regid=65534 --clear-groups maildir-make ro/M 2>err
	contains "EACCES said" err 'Permission denied'
	chmod 700 "$T"
else
	skip "unwritable parent: setpriv unavailable" 2
fi
