#!/bin/sh
# SMTP smuggling with smtp-bare-lf at its default, normalize (issue 9.4):
# a bare LF in the data is stored as CRLF, a bare CR is refused, and only
# CRLF "." CRLF ends the data, so no variant of the attack gets a second,
# smuggled message in: the smuggled commands are content of the first
# message (or it is refused) and never run.  smtp-recv.t runs the same
# variants with smtp-bare-lf reject.
. "$TOP/t/lib.sh"

variants='LF.CRLF:\n.\r\n CRLF.LF:\r\n.\n CR.CR:\r.\r LF.LF:\n.\n
CR.CRLF:\r.\r\n CRLF.CR:\r\n.\r LF.CR:\n.\r CRLF.CRCRLF:\r\n.\r\r\n
LF..CRLF:\n..\r\n CRLFLF.CRLF:\r\n\n.\r\n'
plan 50

conf=$T/conf Q=$T/queue
mkdir -p "$conf"
export POSTERN_CONF="$conf" POSTERN_QUEUE="$Q" TMPDIR="$T"
unset RELAYCLIENT TCPREMOTEIP TCPREMOTEHOST TCPREMOTEPORT SMTP_HELO
echo mx.example.test >"$conf/me"
printf 'example.test 1\n' | cdb -c -m "$conf/domains.cdb" -
printf 'alice@example.test alice\nbob@example.test bob\n' |
	cdb -c -m "$conf/recipients.cdb" -
queue init 2>/dev/null || exit 111

for v in $variants; do
	name=${v%%:*} seq=${v#*:}
	rm -f "$Q/mess"/* "$Q/env"/*
	printf "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: one\r\n\r\nbody${seq}MAIL FROM:<evil@b.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\nQUIT\r\n" |
	    smtp-recv >"$T/r" 2>"$T/log"
	n=$(count_files "$Q/mess")
	check "$name: at most one message ($n)" test "$n" -le 1
	is "$name: the smuggled MAIL never ran" \
	    "$(grep -c '^250 2\.1\.0' "$T/r")" 1
	contains "$name: the session ends with QUIT" "$T/r" '^221 '
	case $seq in
	*'\r.'*|*'\r\r'*|*'.\r') # a bare CR: refused as before
		is "$name: bare CR refused" "$n" 0
		contains "$name: 550 5.6.11" "$T/r" '^550 5\.6\.11 bare CR or LF'
		;;
	*)	# bare LF only: stored, with CRLF, the smuggling inside
		f=$Q/mess/$(ls "$Q/mess" | head -1)
		contains "$name: the smuggled text is content" "$f" \
		    '^MAIL FROM:<evil@b\.test>'
		is "$name: no bare LF stored" \
		    "$(sed '1,/^$/d' "$f" | od -An -c | tr -s ' \n' ' ' |
		    grep -c '[^r] \\n')" 0
		;;
	esac
done
