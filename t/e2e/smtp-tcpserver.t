#!/bin/sh
# smtp-tcpserver: smtp-recv under tcpserver on 127.0.0.1 and a free port,
# with real clients: swaks and Python's smtplib (plain, STARTTLS,
# PIPELINING, 8BITMIME, SMTPUTF8, SIZE), a raw socket for CHUNKING/BDAT,
# and a filter chain whose extra stage adds a header, refuses (exit 100)
# or defers (exit 111).  Messages land in a real queue (queue-inject).
. "$TOP/t/lib.sh"

PY=/usr/bin/python3
for p in tcpserver swaks; do
	if ! command -v $p >/dev/null 2>&1; then
		plan 1; skip "$p not installed"
		exit 0
	fi
done
plan 54

conf=$T/conf
Q=$T/queue
mkdir -p "$conf/tls" "$T/sbin"
export POSTERN_CONF="$conf" POSTERN_QUEUE="$Q" TMPDIR="$T"
unset RELAYCLIENT
echo mx.example.test >"$conf/me"
printf 'example.test 1\n' | cdb -c -m "$conf/domains.cdb" -
printf 'alice@example.test alice\nbob@example.test bob\n' |
	cdb -c -m "$conf/recipients.cdb" -
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj /CN=mx.example.test -days 2 -keyout "$conf/tls/key.pem" \
	-out "$conf/tls/cert.pem" 2>/dev/null
chmod 600 "$conf/tls/key.pem"
queue init 2>/dev/null

# filter stages, chosen by the file $T/mode (read at each message)
cat >"$T/sbin/policy" <<'EOF'
#!/bin/sh
case $(cat "$MODE_FILE" 2>/dev/null) in
reject)	cat >/dev/null
	echo "550 5.7.1 rejected by local policy" >&2
	exit 100;;
defer)	cat >/dev/null
	echo "451 4.7.1 deferred by local policy" >&2
	exit 111;;
esac
printf 'X-Policy: passed helo=%s\r\n' "$SMTP_HELO"
exec cat
EOF
chmod +x "$T/sbin/policy"
export MODE_FILE=$T/mode PATH="$T/sbin:$PATH"

port=$(free_port)
tcpserver -q -R -H -l0 127.0.0.1 "$port" smtp-recv 2>"$T/log" &
tcpid=$!
trap 'kill "$tcpid" 2>/dev/null; wait "$tcpid" 2>/dev/null; rm -rf "$T"' EXIT
if ! wait_port "$port"; then
	not_ok "tcpserver listens on $port"
	exit 1
fi
ok "tcpserver listens on 127.0.0.1:$port"

nmsg() { ls "$Q/mess" | wc -l | tr -d ' '; }
clean() { rm -f "$Q/mess"/* "$Q/env"/*; }
last() {	# the newest queued message: $T/head, $T/msg
	_f=$Q/mess/$(ls -t "$Q/mess" | head -1)
	sed '/^$/q' "$_f" >"$T/head"
	sed '1,/^$/d' "$_f" >"$T/msg"
}
sw() { swaks --server 127.0.0.1 --port "$port" --timeout 60 "$@" >"$T/sw" 2>&1; }

# --- swaks -------------------------------------------------------------------
clean
sw --from a@remote.test --to alice@example.test --header 'Subject: swaks plain'
is "swaks plain: exit 0" "$?" 0
contains "swaks plain: queued" "$T/sw" '<- +250 2\.0\.0 OK queued as [0-9.]+'
is "swaks plain: one message" "$(nmsg)" 1
last
contains "swaks plain: Received from tcpserver's address" "$T/msg" \
	'^Received: from [^ ]+ \(\[127\.0\.0\.1\]\)'
contains "swaks plain: with ESMTP" "$T/msg" ' with ESMTP id '
contains "swaks plain: envelope received-from" "$T/head" '^received-from 127\.0\.0\.1$'
contains "swaks plain: the subject" "$T/msg" '^Subject: swaks plain'

clean
sw -tls --from a@remote.test --to bob@example.test --header 'Subject: swaks tls'
is "swaks STARTTLS: exit 0" "$?" 0
contains "swaks STARTTLS: 220 ready" "$T/sw" '<- +220 2\.0\.0 ready to start TLS'
contains "swaks STARTTLS: REQUIRETLS after TLS" "$T/sw" '<~ +250-REQUIRETLS'
last
contains "swaks STARTTLS: with ESMTPS" "$T/msg" ' with ESMTPS id '
contains "swaks STARTTLS: tls clause" "$T/msg" '^	tls TLS_[A-Z0-9_]+ \(TLSv1\.[23]\);'
contains "swaks STARTTLS: logged" "$T/log" 'tls version=TLSv1\.[23] cipher='

clean
sw --pipeline --from a@remote.test \
	--to alice@example.test,nobody@example.test,bob@example.test
contains "swaks PIPELINING: used" "$T/sw" 'PIPELINING'
contains "swaks PIPELINING: unknown user 550 5.1.1" "$T/sw" '550 5\.1\.1 no such user here'
is "swaks PIPELINING: one message" "$(nmsg)" 1
last
is "swaks PIPELINING: two recipients" "$(grep '^rcpt ' "$T/head" | tr '\n' ' ')" \
	"rcpt alice@example.test rcpt bob@example.test "

sw --from a@remote.test --to someone@elsewhere.test
check "swaks relay: refused (exit $?)" test "$?" -ne 0
contains "swaks relay: 554 5.7.1" "$T/sw" '554 5\.7\.1 relay access denied'

# --- Python smtplib ------------------------------------------------------------
cat >"$T/client.py" <<'EOF'
import smtplib, ssl, socket, sys
port = int(sys.argv[1])
what = sys.argv[2]
def conn():
    return smtplib.SMTP("127.0.0.1", port, local_hostname="py.client.test", timeout=60)
def msg(subject, extra=b""):
    return b"Subject: " + subject.encode() + b"\r\n\r\nhello" + extra + b"\r\n"
if what == "plain":
    s = conn()
    print("refused", s.sendmail("p@remote.test", ["alice@example.test"], msg("py plain")))
    s.quit()
elif what == "starttls":
    s = conn()
    s.ehlo()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    print("starttls", s.starttls(context=ctx)[0])
    s.ehlo()
    print("requiretls", s.has_extn("requiretls"))
    print("refused", s.sendmail("p@remote.test", ["alice@example.test"],
        msg("py tls"), mail_options=["REQUIRETLS"]))
    s.quit()
elif what == "8bit":
    s = conn()
    s.ehlo()
    print("8bitmime", s.has_extn("8bitmime"))
    print("refused", s.sendmail("p@remote.test", ["alice@example.test"],
        msg("py 8bit", " caf\u00e9".encode()), mail_options=["BODY=8BITMIME"]))
    s.quit()
elif what == "utf8":
    s = conn()
    s.ehlo()
    print("smtputf8", s.has_extn("smtputf8"))
    print("refused", s.sendmail("j\u00f6rg@remote.test", ["alice@example.test"],
        msg("py utf8"), mail_options=["SMTPUTF8", "BODY=8BITMIME"]))
    s.quit()
elif what == "size":
    s = conn()
    s.ehlo()
    print("size", s.esmtp_features.get("size"))
    try:
        # smtplib adds SIZE=len to MAIL when the server offers SIZE
        s.sendmail("p@remote.test", ["alice@example.test"], msg("big", b"x" * 3000))
        print("accepted")
    except smtplib.SMTPSenderRefused as e:
        print("refused-at-mail", e.smtp_code, e.smtp_error.decode())
    s.rset()
    try:
        s.mail("p@remote.test")
        s.rcpt("alice@example.test")
        code, text = s.data(msg("big", b"x" * 3000))
        print("after-data", code, text.decode())
    except smtplib.SMTPDataError as e:
        print("refused-at-354", e.smtp_code, e.smtp_error.decode())
    s.quit()
elif what == "filter":
    s = conn()
    try:
        s.sendmail("p@remote.test", ["alice@example.test"], msg("py filter"))
        print("accepted")
    except smtplib.SMTPDataError as e:
        print("refused", e.smtp_code, e.smtp_error.decode())
    s.quit()
elif what == "bdat" or what == "pipeline":
    c = socket.create_connection(("127.0.0.1", port), 60)
    f = c.makefile("rb")
    def replies(n):
        out = []
        while len(out) < n:
            l = f.readline().decode().rstrip("\r\n")
            if not l:
                out.append("EOF"); break
            if l[3:4] != "-":
                out.append(l)
        return out
    print(replies(1)[0])
    if what == "bdat":
        c.sendall(b"EHLO raw.test\r\n")
        print(replies(1)[0])
        c.sendall(b"MAIL FROM:<r@remote.test> BODY=BINARYMIME\r\n"
                  b"RCPT TO:<alice@example.test>\r\n"
                  b"BDAT 21\r\nSubject: bdat\r\n\r\nbin\x00"
                  b"BDAT 5 LAST\r\n\xff\n.\r\n")
        for l in replies(4): print(l)
    else:
        # everything in one write, RFC 2920
        c.sendall(b"EHLO raw.test\r\nMAIL FROM:<r@remote.test>\r\n"
                  b"RCPT TO:<alice@example.test>\r\nRCPT TO:<x@example.test>\r\n"
                  b"RCPT TO:<bob@example.test>\r\nDATA\r\n")
        for l in replies(6): print(l)
        c.sendall(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nRSET\r\nQUIT\r\n")
        for l in replies(3): print(l)
    c.close()
EOF
py() { $PY "$T/client.py" "$port" "$@" >"$T/py" 2>&1; }

clean
py plain
is "smtplib plain: accepted" "$(cat "$T/py")" "refused {}"
last
contains "smtplib plain: HELO name in Received" "$T/msg" '^Received: from py\.client\.test '

clean
py starttls
contains "smtplib STARTTLS: 220" "$T/py" '^starttls 220$'
contains "smtplib STARTTLS: REQUIRETLS offered" "$T/py" '^requiretls True$'
contains "smtplib STARTTLS: accepted" "$T/py" '^refused \{\}$'
last
contains "smtplib STARTTLS: requiretls in the envelope" "$T/head" '^requiretls 1$'
contains "smtplib STARTTLS: with ESMTPS" "$T/msg" ' with ESMTPS id '

clean
py 8bit
contains "smtplib 8BITMIME: offered" "$T/py" '^8bitmime True$'
contains "smtplib 8BITMIME: accepted" "$T/py" '^refused \{\}$'
last
contains "smtplib 8BITMIME: body 8bitmime" "$T/head" '^body 8bitmime$'
contains "smtplib 8BITMIME: 8-bit body kept" "$T/msg" "caf$(printf '\303\251')"

clean
py utf8
contains "smtplib SMTPUTF8: offered" "$T/py" '^smtputf8 True$'
contains "smtplib SMTPUTF8: accepted" "$T/py" '^refused \{\}$'
last
contains "smtplib SMTPUTF8: smtputf8 1" "$T/head" '^smtputf8 1$'
contains "smtplib SMTPUTF8: UTF-8 sender" "$T/head" "^sender j$(printf '\303\266')rg@remote\.test\$"
contains "smtplib SMTPUTF8: with UTF8SMTP" "$T/msg" ' with UTF8SMTP id '

echo 2000 >"$conf/smtp-maxsize"
clean
py size
contains "smtplib SIZE: advertised" "$T/py" '^size 2000$'
contains "smtplib SIZE: declared size refused at MAIL" "$T/py" \
	'^refused-at-mail 552 5\.3\.4 message size exceeds fixed maximum message size$'
contains "smtplib SIZE: actual size refused after the data" "$T/py" \
	'^after-data 552 5\.3\.4 message size exceeds fixed maximum message size$'
is "smtplib SIZE: nothing queued" "$(nmsg)" 0
rm -f "$conf/smtp-maxsize"

clean
py bdat
is "raw BDAT: replies" "$(tr -d '\r' <"$T/py" | sed 1,2d | sed 's/queued as [0-9.]*/queued as ID/')" \
	"250 2.1.0 sender OK
250 2.1.5 recipient OK
250 2.0.0 21 octets received
250 2.0.0 OK queued as ID"
last
contains "raw BDAT: body binarymime" "$T/head" '^body binarymime$'
is "raw BDAT: binary content kept" "$(tail -c 9 "$T/msg" | od -An -tx1 | tr -d ' \n')" \
	"62696e00ff0a2e0d0a"

clean
py pipeline
is "raw PIPELINING: replies in order" \
	"$(sed 1d "$T/py" | cut -c1-9 | tr '\n' ' ')" \
	"250 LIMIT 250 2.1.0 250 2.1.5 550 5.1.1 250 2.1.5 354 end d 250 2.0.0 250 2.0.0 221 2.0.0 "
last
is "raw PIPELINING: two recipients" "$(grep -c '^rcpt ' "$T/head")" 2

# --- the filter chain ----------------------------------------------------------
echo 'policy' >"$conf/smtp-filters"
clean
: >"$T/mode"
py filter
is "filter passes: accepted" "$(cat "$T/py")" "accepted"
last
is "filter passes: its header on top" "$(head -1 "$T/msg" | tr -d '\r')" \
	"X-Policy: passed helo=py.client.test"
echo reject >"$T/mode"
py filter
is "filter rejects (100): the client gets its reply" "$(cat "$T/py")" \
	"refused 550 5.7.1 rejected by local policy"
echo defer >"$T/mode"
py filter
is "filter defers (111): the client gets its reply" "$(cat "$T/py")" \
	"refused 451 4.7.1 deferred by local policy"
is "filter: one message queued in all" "$(nmsg)" 1
sw --from a@remote.test --to alice@example.test
contains "filter defers: swaks sees 451" "$T/sw" '451 4\.7\.1 deferred by local policy'
rm -f "$conf/smtp-filters"

contains "log: connections logged" "$T/log" 'smtp-recv: info: [0-9a-f.]+ connect ip=127\.0\.0\.1 '
contains "log: refusal with the stage" "$T/log" 'refused msg=[0-9]+ stage=policy reply="550 5\.7\.1 rejected by local policy"'
lacks "log: no fatal lines" "$T/log" 'smtp-recv: fatal:'
