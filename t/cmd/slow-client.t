#!/bin/sh
# Slow clients (issue 9.9): a command line must arrive whole within
# smtp-timeout, however it trickles in, and the data of a message at
# smtp-data-rate bytes a second after smtp-data-timeout; a byte a second
# no longer holds a session for an hour.
. "$TOP/t/lib.sh"

plan 8

conf=$T/conf
mkdir -p "$conf"
export POSTERN_CONF="$conf" POSTERN_QUEUE="$T/queue" TMPDIR="$T" T
unset RELAYCLIENT TCPREMOTEIP TCPREMOTEHOST TCPREMOTEPORT SMTP_HELO
echo mx.example.test >"$conf/me"
printf 'example.test 1\n' | cdb -c -m "$conf/domains.cdb" -
printf 'alice@example.test alice\n' | cdb -c -m "$conf/recipients.cdb" -
queue init 2>/dev/null || exit 111
echo 2 >"$conf/smtp-timeout"
echo 2 >"$conf/smtp-data-timeout"
echo 100 >"$conf/smtp-data-rate"

# drip PREFIX SLOW GAP MAX: send PREFIX at once, then SLOW a byte each GAP
# seconds for at most MAX seconds; print the replies and the seconds the
# session took
drip() {
	/usr/bin/python3 - "$@" <<'PY'
import subprocess, sys, time, os
prefix, slow, gap, cap = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
dec = lambda s: s.encode().decode('unicode_escape').encode('latin-1')
p = subprocess.Popen(["smtp-recv"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    stderr=open(os.environ["T"] + "/log", "wb"))
t0 = time.time()
p.stdin.write(dec(prefix)); p.stdin.flush()
try:
    for b in dec(slow):
        if time.time() - t0 > cap or p.poll() is not None:
            break
        time.sleep(gap)
        p.stdin.write(bytes([b])); p.stdin.flush()
except BrokenPipeError:
    pass
try:
    p.stdin.close()
except BrokenPipeError:
    pass
out = p.stdout.read().decode('latin-1')
p.wait()
print(out.replace("\r", ""), end="")
print("took=%d" % round(time.time() - t0))
PY
}

# a command line at 4 bytes a second: 24 bytes would take 6 s
drip 'EHLO c.test\r\n' 'MAIL FROM:<a@b.test>\r\n' 0.25 8 >"$T/out1"
contains "slow command line: 421 timeout" "$T/out1" '^421 4\.4\.2 mx\.example\.test timeout'
took=$(sed -n 's/^took=//p' "$T/out1")
check "slow command line: cut after about smtp-timeout ($took s)" \
    test "$took" -le 4
lacks "slow command line: never completed" "$T/out1" '^250 2\.1\.0'
contains "slow command line: logged" "$T/log" 'end reason=timeout'

# data at 20 bytes a second against a rate of 100: cut after about 2.5 s
drip 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n' \
    'Subject: slow\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n.\r\n' \
    0.05 10 >"$T/out2"
contains "slow data: 421 timeout" "$T/out2" '^421 4\.4\.2 mx\.example\.test timeout'
took=$(sed -n 's/^took=//p' "$T/out2")
check "slow data: cut well before the message was sent ($took s)" \
    test "$took" -le 5
is "slow data: nothing queued" "$(count_files "$T/queue/mess")" 0

# at the rate, a message is taken (a generous timeout: no race on a
# busy machine)
echo 2000 >"$conf/smtp-data-rate"
echo 20 >"$conf/smtp-data-timeout"
drip 'EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n' \
    'Subject: fast enough\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n.\r\nQUIT\r\n' \
    0.005 10 >"$T/out3"
contains "a client at a tolerable rate gets its message queued" "$T/out3" \
    '^250 2\.0\.0 OK queued as '
