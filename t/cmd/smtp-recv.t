#!/bin/sh
# smtp-recv driven directly on stdin/stdout with scripted sessions.
# Messages are queued in-process into a queue in $T/queue (queue-inject's
# code); a stand-in queue-inject (in $T/fake, named by the control file
# smtp-inject only there) is used for the failure exits of the last stage.
. "$TOP/t/lib.sh"
plan 242

PY=/usr/bin/python3
conf=$T/conf
Q=$T/queue
QI=$T/qi
mkdir -p "$conf/tls" "$QI" "$T/sbin" "$T/fake"
export POSTERN_CONF="$conf" POSTERN_QUEUE="$Q" TMPDIR="$T"
unset RELAYCLIENT TCPREMOTEIP TCPREMOTEHOST TCPREMOTEPORT SMTP_HELO
echo mx.example.test >"$conf/me"
printf 'example.test 1\nexample.org 1\nmx.example.test 1\n' |
	cdb -c -m "$conf/domains.cdb" -
# RFC 5321 4.5.1: postmaster@me is delivered (conf-init makes the alias)
printf 'postmaster@mx.example.test alice@example.test\n' |
	cdb -c -m "$conf/aliases.cdb" -
printf 'alice@example.test alice\nbob@example.test bob\n@example.org catch\n' |
	cdb -c -m "$conf/recipients.cdb" -
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj /CN=mx.example.test -days 2 -keyout "$conf/tls/key.pem" \
	-out "$conf/tls/cert.pem" 2>/dev/null
chmod 600 "$conf/tls/key.pem"

# the stand-in: exits with the code in $QI/exit, $QI/err on stderr
cat >"$T/fake/queue-inject" <<'EOF'
#!/bin/sh
cat >/dev/null
[ -f "$QI/err" ] && cat "$QI/err" >&2
exit "$(cat "$QI/exit")"
EOF
chmod +x "$T/fake/queue-inject"
PATH="$T/sbin:$PATH"
export QI PATH
# filters for the chain tests: add a header, refuse, defer, crash
cat >"$T/sbin/add-header" <<'EOF'
#!/bin/sh
env | grep -E '^(SMTP_|TCPREMOTEIP)' | sort >"$QI/filter.env"
printf '%s\n' "$SMTP_RCPT" >"$QI/filter.rcpt"
printf 'X-Checked: %s\r\n' "$1"
exec cat
EOF
cat >"$T/sbin/reject" <<'EOF'
#!/bin/sh
cat >/dev/null
echo "reject: info: refusing" >&2
echo "550 5.7.1 policy says no" >&2
exit 100
EOF
cat >"$T/sbin/defer" <<'EOF'
#!/bin/sh
cat >/dev/null
echo "451 4.7.1 greylisted, come back later" >&2
exit 111
EOF
cat >"$T/sbin/crash" <<'EOF'
#!/bin/sh
kill -SEGV $$
EOF
chmod +x "$T/sbin/add-header" "$T/sbin/reject" "$T/sbin/defer" "$T/sbin/crash"
queue init 2>/dev/null
check "queue init made the queue" test -d "$Q/mess"

nmsg() { ls "$Q/mess" | wc -l | tr -d ' '; }
clean() { rm -f "$Q/mess"/* "$Q/env"/* "$QI"/*; }
# split the Nth (default: first) queued message into $T/head (the
# envelope) and $T/msg (the message as queue-inject stored it)
split() {
	_f=$Q/mess/$(ls "$Q/mess" | sort | sed -n "${1:-1}p")
	sed '/^$/q' "$_f" >"$T/head"
	sed '1,/^$/d' "$_f" >"$T/msg"
}
# the reply line N with the queue id replaced by ID
qline() { rline "$1" | sed 's/ queued as [0-9][0-9.]*$/ queued as ID/'; }
# session TEXT: printf TEXT into smtp-recv; replies in $T/r, log $T/log
session() {
	printf "$1" | smtp-recv >"$T/r" 2>"$T/log"
	rc=$?
}
# held: smtp-recv (bounded to 60 s) reads the FIFO $T/in, which this
# shell keeps open as fd 4, so the client never hangs up: only the
# server's own timers end the session.  say TEXT writes to it (in a
# subshell: a SIGPIPE ends that, not the test); held_end waits for the
# server, its exit status in rc
held() {
	rm -f "$T/in" "$T/r"; mkfifo "$T/in"
	timeout 60 smtp-recv <"$T/in" >"$T/r" 2>"$T/log" &
	hp=$!
	exec 4>"$T/in"
}
say() { (printf "$1" >&4) 2>/dev/null; }
held_end() { wait "$hp"; rc=$?; exec 4>&-; }
# the reply line number N (1: the greeting)
rline() { sed -n "${1}p" "$T/r" | tr -d '\r'; }

exits "-h: usage, exit 100" 100 smtp-recv -h 2>/dev/null
exits "an argument: usage, exit 100" 100 smtp-recv extra 2>/dev/null

# --- a plain message, everything recorded --------------------------------
clean
TCPREMOTEIP=192.0.2.7 TCPREMOTEHOST=client.example TCPREMOTEPORT=4000 \
	session 'EHLO client.test\r\nMAIL FROM:<sender@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: hello\r\n\r\nbody line\r\n..starts with a dot\r\n.\r\nQUIT\r\n'
is "plain: exit 0" "$rc" 0
is "plain: greeting" "$(rline 1)" "220 mx.example.test ESMTP postern"
is "plain: EHLO first line" "$(rline 2)" "250-mx.example.test"
for kw in PIPELINING 'SIZE 52428800' 8BITMIME SMTPUTF8 ENHANCEDSTATUSCODES \
    STARTTLS CHUNKING BINARYMIME DSN 'LIMITS RCPTMAX=1000'; do
	contains "plain: EHLO offers $kw" "$T/r" "^250[ -]$kw.\$"
done
lacks "plain: no REQUIRETLS without TLS" "$T/r" REQUIRETLS
contains "plain: sender OK" "$T/r" '^250 2\.1\.0 '
contains "plain: recipient OK" "$T/r" '^250 2\.1\.5 '
contains "plain: 354" "$T/r" '^354 '
contains "plain: queued with the id" "$T/r" '^250 2\.0\.0 OK queued as [0-9][0-9.]+.$'
contains "plain: 221" "$T/r" '^221 2\.0\.0 '
is "plain: one message" "$(nmsg)" 1
is "plain: the id in the reply is the queue's" \
	"$(sed -n 's/^250 2\.0\.0 OK queued as \([0-9.]*\).$/\1/p' "$T/r")" "$(ls "$Q/mess")"
split
is "plain: envelope" "$(grep -v '^time ' "$T/head" | tr '\n' ' ')" \
	"postern-envelope 1 sender sender@remote.test received-from 192.0.2.7 rcpt alice@example.test  "
is "plain: Received line 1" "$(sed -n 1p "$T/msg")" \
	"$(printf 'Received: from client.test (client.example [192.0.2.7])\r')"
contains "plain: Received by/with/id" "$T/msg" \
	'^	by mx\.example\.test \(postern\) with ESMTP id [0-9a-f]+\.[0-9a-f]+\.1'
contains "plain: Received for (one recipient)" "$T/msg" '^	for <alice@example\.test>;'
contains "plain: Received date" "$T/msg" \
	'^	[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}'
contains "plain: dot-stuffing removed" "$T/msg" '^\.starts with a dot'
is "plain: body ends as sent" "$(tail -c 20 "$T/msg" | od -An -c | tr '\n' ' ' | tr -s ' ' | sed 's/ $//')" \
	" . s t a r t s w i t h a d o t \r \n"
contains "plain: log connect" "$T/log" \
	'^smtp-recv: info: [0-9a-f.]+ connect ip=192\.0\.2\.7 port=4000 host=client\.example local=-:-$'
contains "plain: log accepted" "$T/log" \
	'info: [0-9a-f.]+ accepted msg=1 qid=[0-9.]+ id=[0-9a-f.]+\.1 from=<sender@remote\.test> rcpts=1 size=[0-9]+ tls=none$'
contains "plain: log end" "$T/log" 'end reason=quit msgs=1$'

# --- HELO, every other command, sequence errors ---------------------------
clean
session 'NOOP\r\nMAIL FROM:<a@b.test>\r\nHELO client.test\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nMAIL FROM:<>\r\nMAIL FROM:<>\r\nDATA\r\nBDAT 3 LAST\r\nabcRSET x\r\nRSET\r\nVRFY alice\r\nVRFY\r\nEXPN staff\r\nHELP\r\nWHAT\r\nQUIT now\r\nMAIL FROM:<> SIZE=1\r\nQUIT\r\n'
is "cmds: NOOP before HELO" "$(rline 2)" "250 2.0.0 OK"
is "cmds: MAIL before HELO" "$(rline 3)" "503 5.5.1 send EHLO or HELO first"
is "cmds: HELO" "$(rline 4)" "250 mx.example.test"
is "cmds: RCPT before MAIL" "$(rline 5)" "503 5.5.1 send MAIL first"
is "cmds: DATA before MAIL" "$(rline 6)" "503 5.5.1 send MAIL first"
is "cmds: null sender" "$(rline 7)" "250 2.1.0 sender OK"
is "cmds: nested MAIL" "$(rline 8)" "503 5.5.1 sender already given"
is "cmds: DATA without recipients" "$(rline 9)" "554 5.5.1 no valid recipients"
is "cmds: BDAT after HELO (chunk read)" "$(rline 10)" "503 5.5.1 send EHLO first"
is "cmds: RSET with an argument" "$(rline 11)" "501 5.5.4 no arguments allowed"
is "cmds: RSET" "$(rline 12)" "250 2.0.0 reset"
is "cmds: VRFY" "$(rline 13)" \
	"252 2.5.0 cannot VRFY user, but will accept message and attempt delivery"
is "cmds: VRFY without argument" "$(rline 14)" "501 5.5.4 argument required"
is "cmds: EXPN" "$(rline 15)" "502 5.5.1 command not implemented"
contains "cmds: HELP" "$T/r" '^214 2\.0\.0 commands: EHLO HELO MAIL'
is "cmds: unknown" "$(rline 17)" "500 5.5.1 command unrecognized"
is "cmds: QUIT with an argument" "$(rline 18)" "501 5.5.4 no arguments allowed"
is "cmds: no parameters after HELO" "$(rline 19)" \
	"555 5.5.4 unsupported parameter SIZE"
is "cmds: QUIT" "$(rline 20)" "221 2.0.0 mx.example.test closing connection"
is "cmds: nothing queued" "$(nmsg)" 0
# lower case verbs, HELO message, "with SMTP"
session 'helo c.test\r\nmail from:<a@b.test>\r\nrcpt to:<bob@example.test>\r\ndata\r\nx\r\n.\r\nquit\r\n'
contains "helo: lower-case verbs work" "$T/r" '^250 2\.0\.0 OK queued as '
split
contains "helo: Received with SMTP" "$T/msg" ' with SMTP id '

clean
session 'EHLO c.test\r\nMAIL FROM:<s@remote.test> SIZE=10 \303\251=1\r\nMAIL FROM:<s@remote.test> X\tY=1\r\nQUIT\r\n'
is "params: a non-ASCII keyword is not echoed" "$(rline 13)" \
	"501 5.5.4 invalid parameter (not printable)"
is "params: nor a control byte" "$(rline 14)" \
	"501 5.5.4 invalid parameter X"

# --- extensions: DSN, 8BITMIME, SMTPUTF8, SIZE ---------------------------
clean
session 'EHLO c.test\r\nMAIL FROM:<s@remote.test> RET=HDRS ENVID=my+2Bid BODY=8BITMIME\r\nRCPT TO:<alice@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;alice+40example.test\r\nRCPT TO:<x@example.org> NOTIFY=NEVER\r\nRCPT TO:<bob@example.test> NOTIFY=NEVER,SUCCESS\r\nRCPT TO:<bob@example.test> FOO=1\r\nDATA\r\n8bit: \303\251t\303\251\r\n.\r\nQUIT\r\n'
is "dsn: NOTIFY=NEVER,SUCCESS refused" "$(rline 16)" \
	"501 5.5.4 invalid parameter NOTIFY"
is "dsn: unknown RCPT parameter" "$(rline 17)" \
	"555 5.5.4 unsupported parameter FOO"
split
is "dsn: envelope" "$(grep -v '^time ' "$T/head" | tr '\n' ' ')" \
	"postern-envelope 1 sender s@remote.test body 8bitmime ret hdrs envid my+2Bid rcpt alice@example.test notify SUCCESS,DELAY orcpt rfc822;alice+40example.test rcpt x@example.org notify NEVER  "
lacks "dsn: two recipients: no for clause" "$T/msg" '^	for '
clean
session 'EHLO c.test\r\nMAIL FROM:<j\303\266rg@b.test>\r\nMAIL FROM:<j\303\266rg@b.test> SMTPUTF8\r\nRCPT TO:<\303\274ser@example.org>\r\nDATA\r\nSubject: gr\303\274\303\237e\r\n\r\nx\r\n.\r\nQUIT\r\n'
is "utf8: non-ASCII sender without SMTPUTF8" "$(rline 13)" \
	"553 5.6.7 non-ASCII address needs SMTPUTF8"
is "utf8: with SMTPUTF8" "$(rline 14)" "250 2.1.0 sender OK"
is "utf8: non-ASCII recipient" "$(rline 15)" "250 2.1.5 recipient OK"
split
contains "utf8: smtputf8 in the envelope" "$T/head" '^smtputf8 1$'
contains "utf8: UTF-8 recipient passed as it is" "$T/head" "^rcpt $(printf '\303\274')ser@example\.org\$"
contains "utf8: Received with UTF8SMTP" "$T/msg" ' with UTF8SMTP id '
session 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<\303\274ser@example.org>\r\nQUIT\r\n'
is "utf8: non-ASCII recipient without SMTPUTF8" "$(rline 14)" \
	"553 5.6.7 non-ASCII address needs SMTPUTF8"
session 'EHLO c.test\r\nMAIL FROM:<a@b.test> SMTPUTF8\r\nRCPT TO:<\303@example.org>\r\nQUIT\r\n'
contains "utf8: invalid UTF-8 refused" "$T/r" '^501 5\.1\.3 '

echo 10000 >"$conf/smtp-maxsize"
clean
session 'EHLO c.test\r\nMAIL FROM:<a@b.test> SIZE=10001\r\nMAIL FROM:<a@b.test> SIZE=9000\r\nQUIT\r\n'
contains "size: EHLO says SIZE 10000" "$T/r" '^250-SIZE 10000.$'
is "size: declared over the limit" "$(rline 13)" \
	"552 5.3.4 message size exceeds fixed maximum message size"
is "size: declared under it" "$(rline 14)" "250 2.1.0 sender OK"
big=$(awk 'BEGIN { for (i = 0; i < 200; i++) printf "%060d\\r\\n", i }')
session "EHLO c.test\r\nMAIL FROM:<a@b.test> SIZE=100\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n$big.\r\nNOOP\r\nQUIT\r\n"
is "size: actual size over the limit, after the dot" "$(rline 16)" \
	"552 5.3.4 message size exceeds fixed maximum message size"
is "size: session goes on" "$(rline 17)" "250 2.0.0 OK"
is "size: nothing queued" "$(nmsg)" 0
contains "size: logged" "$T/log" 'refused msg=1 stage=smtp-recv reply="552 5\.3\.4'
rm -f "$conf/smtp-maxsize"

# --- CHUNKING, BINARYMIME -------------------------------------------------
clean
session 'EHLO c.test\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nBDAT 10\r\nline1\r\n.\r\nBDAT 6 LAST\r\nbin\000\n\rBDAT 4\r\nlostQUIT\r\n'
is "bdat: DATA with BINARYMIME" "$(rline 15)" \
	"503 5.5.1 BODY=BINARYMIME requires BDAT"
is "bdat: first chunk" "$(rline 16)" "250 2.0.0 10 octets received"
is "bdat: last chunk" "$(qline 17)" "250 2.0.0 OK queued as ID"
is "bdat: chunk without a transaction is read and refused" "$(rline 18)" \
	"503 5.5.1 send MAIL first"
is "bdat: then QUIT" "$(rline 19)" "221 2.0.0 mx.example.test closing connection"
split
is "bdat: body as sent, binary" \
	"$(tail -c 16 "$T/msg" | od -An -c | tr '\n' ' ' | tr -s ' ' | sed 's/ $//')" \
	" l i n e 1 \r \n . \r \n b i n \0 \n \r"
contains "bdat: body binarymime" "$T/head" '^body binarymime$'
clean
session 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nBDAT 0 LAST\r\nBDAT 99999999999999999999999\r\nBDAT 5 MORE\r\nQUIT\r\n'
is "bdat: empty last chunk" "$(qline 15)" "250 2.0.0 OK queued as ID"
is "bdat: size overflow" "$(rline 16)" "501 5.5.4 BDAT needs a chunk size (and LAST)"
is "bdat: bad keyword" "$(rline 17)" "501 5.5.4 BDAT needs a chunk size (and LAST)"
session 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nBDAT 100 LAST\r\nonly a few'
is "bdat: client leaves inside a chunk: exit 0" "$rc" 0
is "bdat: nothing more queued" "$(nmsg)" 1

# --- limits ----------------------------------------------------------------
clean
awk 'BEGIN { printf "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n";
	for (i = 0; i < 10000; i++) printf "RCPT TO:<alice+%d@example.test>\r\n", i;
	printf "DATA\r\nx\r\n.\r\nQUIT\r\n" }' | smtp-recv >"$T/r" 2>"$T/log"
is "10000 rcpts: 1000 accepted" "$(grep -c '^250 2\.1\.5 ' "$T/r")" 1000
is "10000 rcpts: 9000 get 452 4.5.3" "$(grep -c '^452 4\.5\.3 too many recipients' "$T/r")" 9000
contains "10000 rcpts: the message is queued" "$T/r" '^250 2\.0\.0 OK queued as '
split
is "10000 rcpts: 1000 recipients given to queue-inject" \
	"$(grep -c '^rcpt ' "$T/head")" 1000
contains "10000 rcpts: log says rcpts=1000" "$T/log" 'accepted msg=[0-9]+ qid=[0-9.]+ .* rcpts=1000 '

awk 'BEGIN { printf "EHLO c.test\r\nNOOP "; for (i = 0; i < 102400; i++) printf "x";
	printf "\r\nNOOP\r\nQUIT\r\n" }' | smtp-recv >"$T/r" 2>"$T/log"
is "100 KB command line: 500 5.5.2" "$(rline 13)" "500 5.5.2 line too long"
is "100 KB command line: the next command works" "$(rline 14)" "250 2.0.0 OK"
session 'NOOP\nQUIT\r\n'
is "bare LF command refused" "$(rline 2)" "500 5.5.2 command line must end in CRLF"
printf 'NO\000OP\r\nQUIT\r\n' | smtp-recv >"$T/r" 2>/dev/null
is "NUL in a command" "$(rline 2)" "500 5.5.2 syntax error"

echo 5 >"$conf/smtp-maxerrors"
session 'A\r\nB\r\nC\r\nD\r\nE\r\nF\r\nG\r\n'
is "maxerrors: 421 after the fifth error" "$(rline 7)" \
	"421 4.7.0 mx.example.test too many errors, closing connection"
is "maxerrors: exit 100" "$rc" 100
is "maxerrors: connection closed" "$(rline 8)" ""
rm -f "$conf/smtp-maxerrors"

head -c 65536 /dev/urandom >"$T/garbage"
smtp-recv <"$T/garbage" >"$T/r" 2>"$T/log"
rc=$?
check "binary garbage: exit 0 or 100, no crash (exit $rc)" \
	test "$rc" -eq 0 -o "$rc" -eq 100
is "binary garbage: every reply is an SMTP reply" \
	"$(tr -d '\r' <"$T/r" | grep -cvE '^[2-5][0-9][0-9][ -]')" 0

clean
long=$(awk 'BEGIN { for (i = 0; i < 1001; i++) printf "y" }')
session "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nshort\r\n$long\r\nafter\r\n.\r\nNOOP\r\nQUIT\r\n"
is "long text line: refused after the dot" "$(rline 16)" \
	"554 5.6.0 message has a line longer than 1000 octets, refused"
is "long text line: in step after" "$(rline 17)" "250 2.0.0 OK"
is "long text line: nothing queued" "$(nmsg)" 0
printf 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\na\000b\r\n.\r\nQUIT\r\n' |
	smtp-recv >"$T/r" 2>/dev/null
is "NUL in DATA: refused" "$(rline 16)" "554 5.6.0 NUL byte in message, refused"
is "NUL in DATA: nothing queued" "$(nmsg)" 0

# --- SMTP smuggling: only CRLF.CRLF ends DATA ------------------------------
# smtp-bare-lf reject here (t/cmd/smuggling.t runs the default, normalize)
echo reject >"$conf/smtp-bare-lf"
for v in 'LF.CRLF:\n.\r\n' 'CRLF.LF:\r\n.\n' 'CR.CR:\r.\r' 'LF.LF:\n.\n' \
    'CR.CRLF:\r.\r\n' 'CRLF.CR:\r\n.\r' 'LF.CR:\n.\r' 'CRLF.CRCRLF:\r\n.\r\r\n'; do
	name=${v%%:*} seq=${v#*:}
	clean
	session "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: one\r\n\r\nbody${seq}MAIL FROM:<evil@b.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\nQUIT\r\n"
	n=$(nmsg)
	check "smuggling $name: at most one message ($n)" test "$n" -le 1
	is "smuggling $name: refused as bare CR/LF (no message)" "$n" 0
	contains "smuggling $name: 550 5.6.11" "$T/r" '^550 5\.6\.11 bare CR or LF'
	is "smuggling $name: the smuggled MAIL never ran" \
		"$(grep -c '^250 2\.1\.0' "$T/r")" 1
	contains "smuggling $name: session ends with QUIT" "$T/r" '^221 '
done
rm -f "$conf/smtp-bare-lf"
clean
session 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nok\r\n.\r\nMAIL FROM:<b@b.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nok2\r\n.\r\nQUIT\r\n'
is "two real messages pipelined: two queued" "$(nmsg)" 2

# --- addresses -------------------------------------------------------------
longlocal=$(awk 'BEGIN { for (i = 0; i < 65; i++) printf "l" }')
longdom=$(awk 'BEGIN { for (i = 0; i < 26; i++) printf "abcdefghi."; printf "test" }')
session "EHLO c.test\r\nMAIL FROM:a@b.test\r\nMAIL FROM:<a b@b.test>\r\nMAIL FROM:<a@b..test>\r\nMAIL FROM:<a@$longdom>\r\nMAIL FROM:<@r1.test,@r2.test:a@b.test>\r\nRCPT TO:<$longlocal@example.test>\r\nRCPT TO:<>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<someone@remote.test>\r\nRCPT TO:<\"al ice\"@example.org>\r\nRCPT TO:<postmaster>\r\nRCPT TO:<a@[192.0.2.1]>\r\nRCPT TO:<a@[999.0.2.1]>\r\nRCPT TO: <bob@example.test>\r\nQUIT\r\n"
contains "addr: no angle brackets" "$T/r" "^501 5\.1\.7 bad sender address: expected '<'"
is "addr: space in local part" "$(rline 14 | cut -c1-10)" "501 5.1.7 "
is "addr: empty label" "$(rline 15 | cut -c1-10)" "501 5.1.7 "
is "addr: domain over 255" "$(rline 16 | cut -c1-10)" "501 5.1.7 "
is "addr: source route accepted and dropped" "$(rline 17)" "250 2.1.0 sender OK"
is "addr: local part over 64" "$(rline 18)" \
	"501 5.1.3 bad recipient address: local part too long"
is "addr: null recipient" "$(rline 19 | cut -c1-10)" "501 5.1.3 "
is "addr: unknown local user" "$(rline 20)" "550 5.1.1 no such user here"
is "addr: relay refused" "$(rline 21)" "554 5.7.1 relay access denied"
is "addr: quoted local part, catch-all" "$(rline 22)" "250 2.1.5 recipient OK"
is "addr: Postmaster" "$(rline 23)" "250 2.1.5 recipient OK"
is "addr: literal domain is not local" "$(rline 24)" "554 5.7.1 relay access denied"
is "addr: bad literal" "$(rline 25 | cut -c1-10)" "501 5.1.3 "
is "addr: a space after the colon is taken" "$(rline 26)" "250 2.1.5 recipient OK"
contains "addr: refusals are logged" "$T/log" 'rcpt-refused rcpt=<nobody@example\.test> reply=550'
clean
RELAYCLIENT= session 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<someone@remote.test>\r\nRCPT TO:<postmaster>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n'
is "relay: RELAYCLIENT may relay" "$(rline 14)" "250 2.1.5 recipient OK"
split
contains "relay: postmaster@me" "$T/head" '^rcpt postmaster@mx\.example\.test$'
mkdir -p "$T/broken"
echo 'not a cdb' >"$T/broken/domains.cdb"
POSTERN_CONF=$T/broken session 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nQUIT\r\n'
is "lookup failure: 451 4.3.0" "$(rline 13)" \
	"451 4.3.0 recipient lookup failed, try again later"

# --- timeouts, disconnects, early talkers ----------------------------------
echo 1 >"$conf/smtp-timeout"
held; say 'EHLO c.test\r\n'; held_end
is "timeout: exit 100" "$rc" 100
contains "timeout: 421 4.4.2" "$T/r" '^421 4\.4\.2 mx\.example\.test timeout'
contains "timeout: logged" "$T/log" 'end reason=timeout'
rm -f "$conf/smtp-timeout"
echo 1 >"$conf/smtp-data-timeout"
clean
held
say 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nhalf a mess'
held_end
is "data timeout: exit 100" "$rc" 100
contains "data timeout: 421 4.4.2" "$T/r" '^421 4\.4\.2 '
is "data timeout: nothing queued" "$(nmsg)" 0
rm -f "$conf/smtp-data-timeout"
echo 2 >"$conf/smtp-session-timeout"
# a NOOP every half second for a minute, until the server hangs up
held
(i=0; while [ $i -lt 120 ]; do printf 'NOOP\r\n' || exit; sleep 0.5
    i=$((i + 1)); done) >&4 2>/dev/null &
wp=$!
held_end
kill "$wp" 2>/dev/null; wait "$wp" 2>/dev/null
contains "session time: 421 4.4.2 session time limit" "$T/r" \
	'^421 4\.4\.2 mx\.example\.test session time limit'
check "session time: cut long before the client's end ($(grep -c '^250' "$T/r") NOOPs of 120)" \
	test "$(grep -c '^250' "$T/r")" -lt 20
rm -f "$conf/smtp-session-timeout"
clean
session 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: cut\r\n\r\nthe client goes'
is "disconnect in DATA: exit 0" "$rc" 0
is "disconnect in DATA: nothing queued" "$(nmsg)" 0
contains "disconnect in DATA: logged" "$T/log" 'end reason=disconnect-in-data'
echo 500 >"$conf/smtp-greeting-delay"
# the early talker's input is there before smtp-recv starts
printf 'EHLO early.test\r\nQUIT\r\n' >"$T/early"
smtp-recv <"$T/early" >"$T/r" 2>"$T/log"; rc=$?
is "early talker: exit 100" "$rc" 100
is "early talker: 554, no greeting" "$(rline 1)" \
	"554 5.5.0 mx.example.test input before the greeting, closing connection"
is "early talker: nothing else" "$(rline 2)" ""
contains "early talker: logged" "$T/log" 'end reason=early-talker'
# the patient client speaks once the server has said something
held
wait_for 60 test -s "$T/r"
say 'QUIT\r\n'
held_end
is "patient client: greeting" "$(rline 1)" "220 mx.example.test ESMTP postern"
rm -f "$conf/smtp-greeting-delay"

# --- STARTTLS (Python over a socketpair) -----------------------------------
cat >"$T/tls.py" <<'EOF'
import socket, ssl, subprocess, sys
a, b = socket.socketpair()
log = open(sys.argv[2], "w")
p = subprocess.Popen([sys.argv[1]], stdin=b, stdout=b, stderr=log)
b.close()
buf = b""
def reply(sock):
    global buf
    lines = []
    while True:
        while b"\r\n" not in buf:
            d = sock.recv(4096)
            if not d:
                lines.append("EOF")
                return lines
            buf += d
        l, buf = buf.split(b"\r\n", 1)
        lines.append(l.decode())
        if len(l) < 4 or l[3:4] != b"-":
            return lines
def out(lines):
    for l in lines:
        print(l)
out(reply(a))
a.sendall(b"EHLO c.test\r\n")
out(reply(a))
# the attack: a command behind STARTTLS in the same write
a.sendall(b"STARTTLS\r\nRSET\r\n")
out(reply(a))
assert buf == b"", "bytes after the 220"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(a, server_hostname="mx.example.test")
print("TLS", s.version())
s.sendall(b"MAIL FROM:<a@b.test>\r\n")
out(reply(s))
s.sendall(b"EHLO c.test\r\n")
out(reply(s))
s.sendall(b"MAIL FROM:<a@b.test> REQUIRETLS\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
out(reply(s)); out(reply(s)); out(reply(s))
s.sendall(b"Subject: tls\r\n\r\nsecret\r\n.\r\nSTARTTLS\r\nQUIT\r\n")
out(reply(s)); out(reply(s)); out(reply(s))
s.close()
print("EXIT", p.wait())
EOF
clean
echo 'add-header tls' >"$conf/smtp-filters"
$PY "$T/tls.py" "$BIN/smtp-recv" "$T/log" >"$T/r" 2>"$T/pyerr"
prc=$?
rm -f "$conf/smtp-filters"
if [ "$prc" -eq 0 ]; then ok "starttls: the client script ran to its end"
else not_ok "starttls: the client script ran to its end" \
    "exit $prc: $(tail -5 "$T/pyerr")"; fi
contains "starttls: 220 2.0.0" "$T/r" '^220 2\.0\.0 ready to start TLS$'
contains "starttls: handshake (TLS 1.2 or 1.3)" "$T/r" '^TLS TLSv1\.[23]$'
lacks "starttls: the injected RSET was not run" "$T/r" '^250 2\.0\.0 reset'
contains "starttls: the injected bytes were dropped" "$T/log" 'discarded bytes=6 sent in the clear after STARTTLS'
contains "starttls: state reset, EHLO needed again" "$T/r" '^503 5\.5\.1 send EHLO or HELO first$'
contains "starttls: REQUIRETLS offered over TLS" "$T/r" '^250-REQUIRETLS$'
is "starttls: STARTTLS not offered twice" "$(grep -c STARTTLS "$T/r")" 1
contains "starttls: REQUIRETLS accepted" "$T/r" '^250 2\.1\.0 sender OK$'
contains "starttls: queued" "$T/r" '^250 2\.0\.0 OK queued as [0-9.]+$'
contains "starttls: second STARTTLS refused" "$T/r" '^503 5\.5\.1 TLS already active$'
split
contains "starttls: requiretls in the envelope" "$T/head" '^requiretls 1$'
contains "starttls: Received with ESMTPS" "$T/msg" ' with ESMTPS id '
contains "starttls: Received tls clause (RFC 8314)" "$T/msg" \
	'^	tls TLS_[A-Z0-9_]+ \(TLSv1\.[23]\);'
contains "starttls: SMTP_TLS for the filters" "$QI/filter.env" '^SMTP_TLS=TLSv1\.[23] TLS_'
contains "starttls: logged" "$T/log" 'info: [0-9a-f.]+ tls version=TLSv1\.[23] cipher=TLS_'
contains "starttls: message log says tls" "$T/log" 'accepted msg=[0-9]+ qid=[0-9.]+ .* tls=TLSv1\.[23]$'
contains "starttls: exit 0" "$T/r" '^EXIT 0$'
mv "$conf/tls" "$conf/tls.off"
session 'EHLO c.test\r\nSTARTTLS\r\nQUIT\r\n'
lacks "no certificate: STARTTLS not offered" "$T/r" '^250-STARTTLS'
is "no certificate: 454" "$(rline 12)" "454 4.7.0 TLS not available"
mv "$conf/tls.off" "$conf/tls"
session 'EHLO c.test\r\nSTARTTLS\r\nnot a TLS client hello\r\n'
is "starttls: garbage instead of a handshake: exit 100" "$rc" 100
contains "starttls: garbage logged" "$T/log" 'end reason=tls-handshake'

# --- the filter chain -------------------------------------------------------
msg='EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: f\r\n\r\nbody\r\n.\r\nQUIT\r\n'
printf '# a comment\nadd-header one\n\nadd-header   two\n' >"$conf/smtp-filters"
clean
TCPREMOTEIP=192.0.2.9 session "$msg"
contains "filters: queued" "$T/r" '^250 2\.0\.0 OK queued as '
split
is "filters: headers added in order" "$(head -2 "$T/msg" | tr -d '\r')" \
	"X-Checked: two
X-Checked: one"
contains "filters: then our Received" "$T/msg" '^Received: from c\.test '
contains "filters: SMTP_HELO" "$QI/filter.env" '^SMTP_HELO=c\.test$'
contains "filters: SMTP_MAILFROM" "$QI/filter.env" '^SMTP_MAILFROM=a@b\.test$'
contains "filters: SMTP_RCPT" "$QI/filter.env" '^SMTP_RCPT=alice@example\.test$'
contains "filters: SMTP_HOSTNAME" "$QI/filter.env" '^SMTP_HOSTNAME=mx\.example\.test$'
contains "filters: SMTP_TLS" "$QI/filter.env" '^SMTP_TLS=$'
contains "filters: UCSPI variables" "$QI/filter.env" '^TCPREMOTEIP=192\.0\.2\.9$'
lacks "filters: no SMTP_AUTHUSER without AUTH" "$QI/filter.env" SMTP_AUTHUSER
session 'EHLO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n'
is "filters: SMTP_RCPT one per line" "$(cat "$QI/filter.rcpt")" "alice@example.test
bob@example.test"
is "filters: SMTP_MAILFROM empty for <>" "$(grep SMTP_MAILFROM "$QI/filter.env")" "SMTP_MAILFROM="
printf 'add-header one\nreject\nadd-header two\n' >"$conf/smtp-filters"
clean
session "$msg"
is "filters: a stage refuses: its reply" "$(rline 16)" "550 5.7.1 policy says no"
is "filters: nothing queued" "$(nmsg)" 0
contains "filters: the stage's log line passed on" "$T/log" '^reject: info: refusing$'
contains "filters: refusal logged with the stage" "$T/log" \
	'refused msg=1 stage=reject reply="550 5\.7\.1 policy says no"'
printf 'defer\n' >"$conf/smtp-filters"
session "$msg"
is "filters: a stage defers: its reply" "$(rline 16)" "451 4.7.1 greylisted, come back later"
printf 'crash\n' >"$conf/smtp-filters"
session "$msg"
is "filters: a stage that crashes: 451" "$(rline 16)" \
	"451 4.3.0 temporary failure, try again later"
printf 'no-such-filter-here\n' >"$conf/smtp-filters"
session "$msg"
is "filters: a stage that cannot run: 451" "$(rline 16)" \
	"451 4.3.0 temporary failure, try again later"
is "filters: still nothing queued" "$(nmsg)" 0
rm -f "$conf/smtp-filters"

# --- queue-inject failing ---------------------------------------------------
clean
echo "$T/fake/queue-inject" >"$conf/smtp-inject"
echo 100 >"$QI/exit"
echo "554 5.6.0 message is malformed" >"$QI/err"
session "$msg"
is "inject 100: its reply" "$(rline 16)" "554 5.6.0 message is malformed"
echo 111 >"$QI/exit"
echo "queue-inject: fatal: unable to write: No space left on device" >"$QI/err"
session "$msg"
is "inject 111 without a reply: generic 451" "$(rline 16)" \
	"451 4.3.0 temporary failure, try again later"
echo 100 >"$QI/exit"
rm -f "$QI/err"
session "$msg"
is "inject 100 without a reply: generic 554" "$(rline 16)" "554 5.7.0 message refused"
echo 3 >"$QI/exit"
session "$msg"
is "inject exits 3: 451" "$(rline 16)" "451 4.3.0 temporary failure, try again later"
rm -f "$conf/smtp-inject"
clean

# --- queue-inject's code runs in-process: no program is started ---------------
printf 'EHLO c.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' |
	env PATH=/nonexistent "$BIN/smtp-recv" >"$T/r" 2>"$T/log"
is "in-process: queued without queue-inject on PATH" "$(nmsg)" 1
contains "in-process: 250 with the queue id" "$T/r" '^250 2\.0\.0 OK queued as [0-9]'
contains "in-process: queue-inject's log line" "$T/log" 'smtp-recv: info: [^ ]+ queued from=<s@remote.test> rcpts=1'
if command -v strace >/dev/null 2>&1; then
	clean
	printf 'EHLO c.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' |
		strace -f -e trace=execve -o "$T/strace" "$BIN/smtp-recv" >"$T/r" 2>/dev/null
	is "in-process: one execve per session (smtp-recv's own)" \
	    "$(grep -c 'execve(' "$T/strace")" 1
	is "in-process: and it was queued" "$(nmsg)" 1
else
	skip "in-process execve count: no strace" 2
fi
clean

# --- the message in memory, or past SPOOL_MEM (256 KiB) in a spool file ------
# a body of 600 KiB (base64 lines: no dots to unstuff), CRLF line ends
head -c 460000 /dev/urandom | base64 -w 76 | sed 's/$/\r/' >"$T/bigbody"
{ printf 'EHLO c.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nX-Big: 1\r\n\r\n'
  cat "$T/bigbody"; printf '.\r\nQUIT\r\n'; } >"$T/bigsession"
if command -v strace >/dev/null 2>&1; then
	clean
	printf 'EHLO c.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' |
		strace -f -e trace=openat -o "$T/strace" "$BIN/smtp-recv" >"$T/r" 2>/dev/null
	is "memory: a small message makes no spool file" \
	    "$(grep -c 'O_TMPFILE\|smtp-recv\.' "$T/strace")" 0
	is "memory: and is queued" "$(nmsg)" 1
	clean
	strace -f -e trace=openat -o "$T/strace" "$BIN/smtp-recv" \
	    <"$T/bigsession" >"$T/r" 2>/dev/null
	is "memory: a 600 KiB message goes to one spool file" \
	    "$(grep -c 'O_TMPFILE\|smtp-recv\.' "$T/strace")" 1
else
	skip "spool files: no strace" 3
fi
clean
smtp-recv <"$T/bigsession" >"$T/r" 2>"$T/log"
contains "memory: the big message is queued" "$T/r" '^250 2\.0\.0 OK queued as '
split
sed -n '/^X-Big: 1/,$p' "$T/msg" | sed '1,2d' >"$T/bigout"
check "memory: the big message is stored intact" cmp -s "$T/bigbody" "$T/bigout"

# --- configuration errors -----------------------------------------------------
echo lots >"$conf/smtp-maxsize"
session 'QUIT\r\n'
is "bad control file: exit 111" "$rc" 111
contains "bad control file: 421 4.3.5" "$T/r" '^421 4\.3\.5 .* configuration error'
contains "bad control file: named in the log" "$T/log" 'control file smtp-maxsize'
rm -f "$conf/smtp-maxsize"
