#!/bin/sh
# postmaster (RFC 5321 4.5.1): conf-init makes postmaster@ the host name
# deliverable, smtp-recv accepts "RCPT TO:<postmaster>" only when the
# tables deliver it (451 otherwise, never a message held for ever), and
# queue-run delivers it to the first account's Maildir.
. "$TOP/t/lib.sh"

plan 15

c=$T/conf
export POSTERN_CONF="$c" POSTERN_QUEUE="$T/queue" POSTERN_MAILROOT="$T/mail"
unset RELAYCLIENT TCPREMOTEIP TCPREMOTEHOST SMTP_HELO
exits "conf-init" 0 conf-init -T -d "$c" -n mx.example.test example.test \
    demo bob 2>/dev/null
is "the host name is a local domain" \
    "$(cdb -q "$c/domains.cdb" mx.example.test >/dev/null; echo rc=$?)" "rc=0"
is "postmaster@host goes to the first account" \
    "$(cdb -q "$c/aliases.cdb" postmaster@mx.example.test)" "demo@example.test"
exits "queue init" 0 queue init 2>/dev/null
mkdir -p "$T/mail"

# session TEXT: replies in $T/r, log in $T/log
session() { printf "$1" | smtp-recv >"$T/r" 2>"$T/log"; }
# the reply to RCPT and to the end of DATA: after "sender OK"
rcpt_reply() { sed -n '/sender OK/{n;p;}' "$T/r" | tr -d '\r'; }
data_reply() { sed -n '/^354 /{n;p;}' "$T/r" | tr -d '\r'; }
msg='EHLO c.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nSubject: for the postmaster\r\n\r\nhello\r\n.\r\nQUIT\r\n'

session "$msg"
is "bare postmaster accepted" "$(rcpt_reply)" "250 2.1.5 recipient OK"
is "and queued" "$(data_reply | cut -c1-23)" "250 2.0.0 OK queued as "
exits "queue-run delivers" 0 queue-run -1 2>"$T/qlog"
n=$(ls "$T/mail/demo/Maildir/new" 2>/dev/null | wc -l)
is "in the first account's Maildir" "$n" 1
f=$T/mail/demo/Maildir/new/$(ls "$T/mail/demo/Maildir/new" | head -1)
contains "the message" "$f" '^Subject: for the postmaster'
contains "received for the host address" "$f" \
    'for <postmaster@mx\.example\.test>;'
is "nothing left in the queue" "$(count_files "$T/queue/mess")" 0

# without the alias: refused for now (451), not held as remote
grep -v '^postmaster@mx' "$c/aliases" >"$T/al" && cp "$T/al" "$c/aliases"
table-compile "$c/aliases" "$c/aliases.cdb" 2>/dev/null
session "$msg"
is "undeliverable postmaster: 451" "$(rcpt_reply)" \
    "451 4.3.5 postmaster is not configured here, try again later"
contains "logged" "$T/log" \
    'warning: .* rcpt-refused rcpt=<postmaster@mx\.example\.test> reply=451'
is "nothing queued" "$(count_files "$T/queue/mess")" 0

# a host name that is no local domain at all: the same
printf 'example.test\n' >"$c/domains"
table-compile "$c/domains" "$c/domains.cdb" 2>/dev/null
session "$msg"
is "postmaster@ a remote name: 451" "$(rcpt_reply | cut -c1-9)" "451 4.3.5"
