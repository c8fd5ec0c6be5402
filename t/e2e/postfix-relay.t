#!/bin/sh
# postfix-relay: Postfix as a real peer MTA on loopback, relaying into
# postern.  A private Postfix instance (its own config, queue and data
# directories under $T; the system's Postfix is not touched) has
# relayhost = [127.0.0.1]:PORT, where tcpserver + smtp-recv listen, with
# queue-run delivering and a conf-init configuration.  Messages go into
# Postfix by its sendmail and by SMTP (Python smtplib), and must land in
# demo@example.test's Maildir with Postfix's Received line and the body
# intact, with Postfix logging status=sent.  An unknown recipient must be
# refused by postern with 550 and bounced by Postfix to the sender, whose
# mailbox is a Postfix virtual(8) Maildir here.  Mail for tls@example.test
# goes through a Postfix transport with opportunistic STARTTLS.  Only
# 127.0.0.1 is used; every wait is bounded.  Starting Postfix needs root.
. "$TOP/t/lib.sh"

N=41
plan $N
py=/usr/bin/python3
if [ ! -x /usr/sbin/postfix ]; then
	skip "postfix not installed" $N
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	skip "starting a Postfix instance needs root" $N
	exit 0
fi
# Postfix's daemons run as user postfix and must reach their queue in $T
chmod 755 "$T"

pf=$T/pf
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	if [ -f "$pf/conf/main.cf" ]; then
		timeout 30 /usr/sbin/postfix -c "$pf/conf" stop >/dev/null 2>&1 ||
			/usr/sbin/postfix -c "$pf/conf" abort >/dev/null 2>&1
		m=$(cat "$pf/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
		[ -n "$m" ] && kill -9 "$m" 2>/dev/null
	fi
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

listening() {	# listening PORT: up to 10 s for a listener on 127.0.0.1:PORT
	_h=$(printf '%04X' "$1") _i=0
	while [ $_i -lt 100 ]; do
		# /proc/net/tcp: local address 0100007F:PORT, state 0A = LISTEN
		awk -v a="0100007F:$_h" '$2 == a && $4 == "0A" { f = 1 }
		    END { exit !f }' /proc/net/tcp && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}
wait_files() {	# wait_files DIR COUNT: up to 30 s for COUNT files in DIR
	_i=0
	while [ $_i -lt 300 ]; do
		[ "$(count_files "$1")" -ge "$2" ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}
await_files() {	# await_files "description" DIR COUNT: ok once they are there
	if wait_files "$2" "$3"; then ok "$1"
	else not_ok "$1" "$(tail -4 "$log"; tail -4 "$T/smtpd.log"
	    tail -4 "$T/queue.log")"; fi
}
await_log() {	# await_log "description" PATTERN: ok once Postfix logs it
	_i=0
	while [ $_i -lt 300 ]; do
		grep -qE -e "$2" "$log" 2>/dev/null && { ok "$1"; return; }
		sleep 0.1; _i=$((_i + 1))
	done
	not_ok "$1" "$(grep 'status=' "$log")"
}
same() {	# same "description" EXPECTED GOT: files equal
	if cmp -s "$2" "$3"; then ok "$1"
	else not_ok "$1" "$(diff "$2" "$3" | head -20)"; fi
}
header() {	# header FILE NAME: the unfolded header fields NAME, in order
	$py - "$1" "$2" <<'EOF'
import sys
raw = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
head = raw.split(b"\n\n", 1)[0].decode("utf-8", "replace")
fields = []
for line in head.split("\n"):
    if line[:1] in (" ", "\t") and fields:
        fields[-1] += " " + line.strip()
    else:
        fields.append(line)
for f in fields:
    if f.lower().startswith(sys.argv[2].lower() + ":"):
        print(f)
EOF
}
body() {	# body FILE: the body, with LF line ends
	$py - "$1" <<'EOF'
import sys
raw = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
sys.stdout.buffer.write(raw.split(b"\n\n", 1)[1] if b"\n\n" in raw else b"")
EOF
}

# postern: as scripts/run-local runs it, on a port of its own
POSTERN_CONF=$T/conf POSTERN_QUEUE=$T/queue POSTERN_MAILROOT=$T/mail
export POSTERN_CONF POSTERN_QUEUE POSTERN_MAILROOT
conf-init -d "$T/conf" -n mx.example.test example.test demo tls \
    2>"$T/conf-init.log" &&
    queue init 2>"$T/queue-init.log" &&
    mkdir -p "$T/mail/demo" "$T/mail/tls" &&
    maildir-make "$T/mail/demo/Maildir" && maildir-make "$T/mail/tls/Maildir"
check "postern configuration, queue and Maildirs" \
    test -d "$T/mail/tls/Maildir/new"
port=$(free_port)
tcpserver -v -R -H -l 0 127.0.0.1 "$port" smtp-recv \
    >"$T/smtpd.log" 2>&1 </dev/null &
pids="$pids $!"
queue-run >"$T/queue.log" 2>&1 </dev/null &
pids="$pids $!"
check "smtp-recv listens on 127.0.0.1:$port" listening "$port"

# Postfix: a private instance relaying everything to postern; its own
# domain pf.example.test is a virtual(8) Maildir for the bounces
pfport=$(free_port)
mkdir -p "$pf/conf" "$pf/queue" "$pf/data" "$pf/mail"
chown postfix "$pf/data"
chown nobody "$pf/mail"
cat >"$pf/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = pf.example.test
mydomain = pf.example.test
myorigin = pf.example.test
mydestination =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$port
transport_maps = inline:{ tls@example.test=smtptls:[127.0.0.1]:$port }
alias_maps =
alias_database =
biff = no
maillog_file = $pf/maillog
maillog_file_prefixes = $pf
virtual_mailbox_domains = pf.example.test
virtual_mailbox_base = $pf/mail
virtual_mailbox_maps = inline:{ sender@pf.example.test=sender/Maildir/ }
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
EOF
cat >"$pf/conf/master.cf" <<EOF
127.0.0.1:$pfport inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
smtptls   unix  -       -       n       -       -       smtp
  -o smtp_tls_security_level=may -o smtp_tls_loglevel=1
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
log=$pf/maillog
/usr/sbin/postfix -c "$pf/conf" start >"$T/postfix-start.log" 2>&1
is "postfix starts" "$?" 0
check "postfix listens on 127.0.0.1:$pfport" listening "$pfport"

new=$T/mail/demo/Maildir/new
tnew=$T/mail/tls/Maildir/new
bnew=$pf/mail/sender/Maildir/new
via="relay=127\.0\.0\.1\[127\.0\.0\.1\]:$port,"
postern_rcvd='^Received: from pf\.example\.test \(\[127\.0\.0\.1\]\) by mx\.example\.test \(postern\)'
sendmail() {	# sendmail RCPT <message: into Postfix by its sendmail
	timeout 30 /usr/sbin/sendmail -C "$pf/conf" -i \
	    -f sender@pf.example.test "$@"
}

# 1. sendmail into Postfix; a body with dot lines, blanks, tabs
cat >"$T/body1" <<'EOF'
First line of the body.
.a line that starts with a dot
..two dots
.

	a tab, then trailing blanks   
EOF
i=0
while [ $i -lt 40 ]; do
	echo "line $i of a longer body, 0123456789 abcdefghijklmnopqrstuvwxyz"
	i=$((i + 1))
done >>"$T/body1"
echo "Last line." >>"$T/body1"
{
	echo "From: Sender <sender@pf.example.test>"
	echo "To: Demo <demo@example.test>"
	echo "Subject: relay test one"
	echo "Message-ID: <relay-one@pf.example.test>"
	echo
	cat "$T/body1"
} >"$T/msg1"
exits "postfix sendmail takes message 1" 0 \
    sendmail demo@example.test <"$T/msg1"
await_files "message 1 is in demo's Maildir/new" "$new" 1
f1=$new/$(ls "$new" | head -1)
header "$f1" Received >"$T/rcvd1"
contains "Postfix's Received line is there" "$T/rcvd1" \
    '^Received: by pf\.example\.test \(Postfix'
contains "postern's Received line names Postfix's EHLO and address" \
    "$T/rcvd1" "$postern_rcvd with ESMTP "
is "postern's Received line is the first" \
    "$(head -1 "$T/rcvd1" | grep -c 'by mx\.example\.test')" 1
is "Return-Path is Postfix's envelope sender" "$(header "$f1" Return-Path)" \
    "Return-Path: <sender@pf.example.test>"
is "Subject intact" "$(header "$f1" Subject)" "Subject: relay test one"
is "Message-ID intact" "$(header "$f1" Message-ID)" \
    "Message-ID: <relay-one@pf.example.test>"
body "$f1" >"$T/got1"
same "body 1 intact (dot-stuffing undone)" "$T/body1" "$T/got1"
await_log "postfix logged status=sent via postern" \
    "to=<demo@example\.test>, $via.* status=sent"

# 2. SMTP into Postfix with Python smtplib: an 8bit body, two
# recipients, one of them unknown to postern
cat >"$T/body2" <<'EOF'
Grüße aus Köln — 8bit UTF-8 text.
second line
EOF
cat >"$T/send2.py" <<'EOF'
import smtplib, sys
port, bodyfile = sys.argv[1], sys.argv[2]
body = open(bodyfile, "rb").read().replace(b"\n", b"\r\n")
msg = (b"From: sender@pf.example.test\r\n"
       b"To: demo@example.test, nobody@example.test\r\n"
       b"Subject: relay test two\r\n"
       b"Message-ID: <relay-two@pf.example.test>\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body)
with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as s:
    s.ehlo("client.pf.example.test")
    r = s.sendmail("sender@pf.example.test",
                   ["demo@example.test", "nobody@example.test"], msg,
                   mail_options=["BODY=8BITMIME"])
    if r:
        sys.exit("refused: %r" % r)
EOF
exits "smtplib sends message 2 to postfix" 0 \
    timeout 60 $py "$T/send2.py" "$pfport" "$T/body2"
await_files "message 2 is in demo's Maildir/new" "$new" 2
f2=$(grep -l 'relay-two@pf.example.test' "$new"/* 2>/dev/null | head -1)
check "message 2 found by its Message-ID" test -n "$f2"
if [ -n "$f2" ]; then
	header "$f2" Received >"$T/rcvd2"
	contains "message 2 has Postfix's Received line (ESMTP)" "$T/rcvd2" \
	    '^Received: from client\.pf\.example\.test .*by pf\.example\.test \(Postfix\) with ESMTP'
	body "$f2" >"$T/got2"
	same "8bit body 2 intact (8BITMIME, no conversion)" \
	    "$T/body2" "$T/got2"
fi
await_log "postfix logged status=bounced for the unknown user" \
    "to=<nobody@example\.test>, $via.* status=bounced"
contains "postern said 550 to RCPT" "$log" \
    'to=<nobody@example\.test>.*said: 550[ -]'
lacks "the unknown user was not deferred" "$log" \
    'to=<nobody@example\.test>.*status=deferred'

# 3. the bounce: Postfix's DSN to the sender, in its virtual Maildir
await_files "the bounce reached the sender's Maildir" "$bnew" 1
b=$bnew/$(ls "$bnew" 2>/dev/null | head -1)
contains "bounce is a DSN" "$b" \
    'multipart/report; report-type=delivery-status'
contains "bounce names the recipient" "$b" \
    'Final-Recipient: rfc822; ?nobody@example\.test'
contains "bounce quotes postern's 550" "$b" 'Diagnostic-Code: smtp; 550'
lacks "bounce does not name demo" "$b" 'Final-Recipient: rfc822; ?demo@'
is "demo got exactly two messages" "$(count_files "$new")" 2
is "no mailbox was made for the unknown user" \
    "$(ls "$T/mail" | tr '\n' ' ')" "demo tls "

# 4. STARTTLS: Postfix's smtptls transport (level may) for tls@example.test
{
	echo "From: sender@pf.example.test"
	echo "To: tls@example.test"
	echo "Subject: relay test three"
	echo "Message-ID: <relay-three@pf.example.test>"
	echo
	cat "$T/body1"
} >"$T/msg3"
exits "postfix sendmail takes message 3" 0 \
    sendmail tls@example.test <"$T/msg3"
await_files "message 3 is in tls's Maildir/new" "$tnew" 1
f3=$tnew/$(ls "$tnew" | head -1)
header "$f3" Received >"$T/rcvd3"
contains "postern's Received line says ESMTPS and the TLS version" \
    "$T/rcvd3" "$postern_rcvd with ESMTPS .*tls [^ ]+ \(TLSv1\.[23]\)"
body "$f3" >"$T/got3"
same "body 3 intact over TLS" "$T/body1" "$T/got3"
await_log "postfix logged status=sent for the TLS delivery" \
    "to=<tls@example\.test>, $via.* status=sent"
contains "postfix logged the TLS connection to postern" "$log" \
    "TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$port: TLSv1\.[23]"
contains "smtp-recv logged the message with TLS" "$T/smtpd.log" \
    'accepted .*from=<sender@pf\.example\.test> .*tls=TLSv1\.[23]'

# 5. Postfix's queue is empty: nothing deferred
i=0
while [ $i -lt 100 ]; do
	q=$(/usr/sbin/postqueue -c "$pf/conf" -p 2>&1)
	case $q in *"Mail queue is empty"*) break ;; esac
	sleep 0.1; i=$((i + 1))
done
is "postfix queue is empty" "$q" "Mail queue is empty"
is "postfix sent the three relayed deliveries" \
    "$(grep -c "$via.* status=sent" "$log")" 3
lacks "postfix logged no warning about postern" "$log" \
    "warning: .*127\.0\.0\.1\[127\.0\.0\.1\]:$port"
lacks "smtp-recv logged no fatal error" "$T/smtpd.log" ': fatal: '
lacks "queue-run logged no fatal error" "$T/queue.log" ': fatal: '
