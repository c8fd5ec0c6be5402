#!/usr/bin/python3
"""dnsd.py: a small authoritative DNS server for postern's tests.

    t/dnsd.py [-p PORT] [-a ADDR] [-P PORTFILE] ZONEFILE...

Serves the records of the zone files over UDP and TCP on ADDR (127.0.0.1
by default, or ::1; nothing else: tests never reach the outside) and
PORT (0, the default, takes a free one).  When both sockets listen it
writes the port to PORTFILE (written whole, then renamed: a test waits
for the file, not for a time).  It reloads nothing; SIGTERM (or SIGINT)
stops it (exit 0), removing PORTFILE.

Answers are authoritative (AA) and say recursion is available (RA: the
resolver of lib/dns forwards to this server with RD set):
  - records of the type asked: NOERROR with them; a CNAME is followed
    inside the data (RFC 1034 3.6.2), the CNAME first;
  - a name that exists (it has records, or names below it do: an empty
    non-terminal, RFC 8020) without records of that type: NODATA,
    NOERROR with no answer (RFC 2308 2.2);
  - any other name: NXDOMAIN (RCODE 3);
  the SOA of the enclosing zone, when the files have one, in the
  authority section of both negative answers (RFC 2308 3).
  A UDP answer longer than the client's EDNS size (512 without EDNS,
  RFC 1035 4.2.1; RFC 6891 6.2.3) is sent empty with TC set, so the
  client asks again over TCP (RFC 7766), where any size up to 64 KB goes.

Zone files are RFC 1035 master-file text (section 5), the subset tests
need:
    ; a comment
    $ORIGIN example.com.
    $TTL 300
    @        IN  SOA  ns hostmaster 1 3600 600 86400 60
    @            TXT  "v=spf1 " "mx -all"   ; two strings (RFC 7208 3.3)
    mail     60  A    192.0.2.1
             IN  AAAA 2001:db8::1             ; blank owner: the previous
    @            MX   10 mail
    @            SPF  "v=spf1 -all"          ; type 99
    _25._tcp.mail TLSA 3 1 1 ( 0123abcd
                               4567 )         ; parentheses continue
    x            TYPE99 \\# 3 026869          ; RFC 3597 generic form
Types: A, AAAA, MX, TXT, SPF (99), PTR, CNAME, NS, SOA, TLSA, TYPEnnn.
Names not ending in "." are relative to $ORIGIN ("@" is the origin); in
names and strings \\DDD (decimal) and \\X escape a byte (RFC 1035 5.1), so
a label may hold a space (\\032) or a dot (\\.).  Class IN is optional,
TTL defaults to $TTL (else 300).  A TXT string longer than 255 bytes is
split into strings of 255 (convenience for the 64 KB records of the
bad-input tests; a master file cannot otherwise hold one).

Test controls, on lines of their own (NAME relative as above; TYPE, when
given, limits the control to queries of that type):
    NAME  TIMEOUT  [TYPE]     never answered: the query is dropped
    NAME  SERVFAIL [TYPE]     answered with RCODE 2 (SERVFAIL)
    NAME  DELAY=MS [TYPE]     answered (normally) after MS milliseconds
"""

import os
import signal
import socket
import struct
import sys
import threading
import time

from dnslib import (AAAA, CNAME, MX, NS, PTR, QTYPE, RCODE, RD, RR, SOA,
                    TLSA, TXT, A, DNSHeader, DNSLabel, DNSRecord, EDNS0)

CONTROLS = ("TIMEOUT", "SERVFAIL")
ALLOWED = ("127.0.0.1", "::1")


class ZoneError(Exception):
    pass


# ---- the master-file subset ---------------------------------------------

def tokens(line, fname, lineno):
    """The tokens of one logical line: (text bytes, quoted, raw)."""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i:i + 1]
        if c in (b" ", b"\t", b"\r", b"\n"):
            i += 1
            continue
        if c == b";":
            break
        if c in (b"(", b")"):
            i += 1
            continue
        quoted = c == b'"'
        if quoted:
            i += 1
        start, val = i, bytearray()
        while i < n:
            c = line[i:i + 1]
            if quoted and c == b'"':
                i += 1
                break
            if not quoted and c in (b" ", b"\t", b"\r", b"\n", b";",
                                    b"(", b")"):
                break
            if c == b"\\" and i + 1 < n:
                d = line[i + 1:i + 4]
                if len(d) == 3 and d.isdigit():
                    if int(d) > 255:
                        raise ZoneError("%s:%d: bad escape \\%s" %
                                        (fname, lineno, d.decode()))
                    val.append(int(d))
                    i += 4
                    continue
                val += line[i + 1:i + 2]
                i += 2
                continue
            val += c
            i += 1
        else:
            if quoted:
                raise ZoneError("%s:%d: unended string" % (fname, lineno))
        out.append((bytes(val), quoted, line[start:i]))
    return out


def logical_lines(data, fname):
    """Join parenthesised continuations: (lineno, first char blank, text)."""
    buf, depth, first, blank = b"", 0, 0, False
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        # the parentheses outside strings and comments
        q = False
        esc = False
        for j in range(len(raw)):
            c = raw[j:j + 1]
            if esc:
                esc = False
            elif c == b"\\":
                esc = True
            elif c == b'"':
                q = not q
            elif not q and c == b";":
                raw = raw[:j]
                break
            elif not q and c == b"(":
                depth += 1
            elif not q and c == b")":
                depth -= 1
        if buf == b"":
            first, blank = lineno, raw[:1] in (b" ", b"\t")
        buf += raw + b" "
        if depth <= 0:
            depth = 0
            if buf.strip():
                yield first, blank, buf
            buf = b""
    if buf.strip():
        raise ZoneError("%s:%d: unclosed parenthesis" % (fname, first))


def split_labels(raw):
    """A name as written (escapes kept) into its labels, unescaped."""
    labels, cur, i, n = [], bytearray(), 0, len(raw)
    while i < n:
        c = raw[i:i + 1]
        if c == b"\\" and i + 1 < n:
            d = raw[i + 1:i + 4]
            if len(d) == 3 and d.isdigit():
                cur.append(int(d) & 0xff)
                i += 4
                continue
            cur += raw[i + 1:i + 2]
            i += 2
            continue
        if c == b".":
            labels.append(bytes(cur))
            cur = bytearray()
        else:
            cur += c
        i += 1
    if cur:
        labels.append(bytes(cur))
    return labels


def make_name(raw, origin):
    if raw == b"@":
        return origin
    if raw == b".":
        return ()
    labels = split_labels(raw)
    if raw.endswith(b".") and not raw.endswith(b"\\."):
        return tuple(labels)
    return tuple(labels) + origin


def key(labels):
    return tuple(l.lower() for l in labels)


def rtype_of(word):
    w = word.upper()
    if w == "SPF":
        return 99
    if w.startswith("TYPE") and w[4:].isdigit():
        return int(w[4:])
    t = getattr(QTYPE, w, None)
    if not isinstance(t, int):
        raise ValueError(word)
    return t


class Zone:
    def __init__(self):
        self.rrs = {}		# key(name) -> [RR]
        self.names = set()	# key of every name and its ancestors
        self.soas = {}		# key(zone apex) -> RR
        self.controls = {}	# (key(name), type or None) -> [control]

    def load(self, fname):
        with open(fname, "rb") as f:
            data = f.read()
        origin, ttl, owner = (), 300, None
        for lineno, blank, line in logical_lines(data, fname):
            toks = tokens(line, fname, lineno)
            if not toks:
                continue
            word = toks[0][0]
            if not toks[0][1] and word.upper() == b"$ORIGIN":
                origin = make_name(toks[1][2], ())
                continue
            if not toks[0][1] and word.upper() == b"$TTL":
                ttl = int(toks[1][0])
                continue
            if blank:
                if owner is None:
                    raise ZoneError("%s:%d: no owner" % (fname, lineno))
                name = owner
            else:
                name = make_name(toks[0][2], origin)
                toks = toks[1:]
            owner = name
            try:
                self.line(name, toks, origin, ttl)
            except (ValueError, IndexError, ZoneError) as e:
                raise ZoneError("%s:%d: %s" % (fname, lineno, e or "bad line"))

    def line(self, name, toks, origin, ttl):
        words = [t[0] for t in toks]
        first = words[0].decode("latin-1").upper() if words else ""
        if first in CONTROLS or first.startswith("DELAY="):
            if first.startswith("DELAY="):
                ctl = ("delay", int(first[6:]))
            else:
                ctl = (first.lower(), 0)
            t = rtype_of(words[1].decode()) if len(words) > 1 else None
            self.controls.setdefault((key(name), t), []).append(ctl)
            self.add_name(name)
            return
        rr_ttl = ttl
        while toks and not toks[0][1]:
            w = toks[0][0].decode("latin-1").upper()
            if w.isdigit():
                rr_ttl = int(w)
            elif w == "IN":
                pass
            else:
                break
            toks = toks[1:]
        t = rtype_of(toks[0][0].decode("latin-1"))
        args = toks[1:]
        a = [x[0] for x in args]

        def target(i):
            return DNSLabel(list(make_name(args[i][2], origin)))

        if args and args[0][2] == b"\\#":
            rd = RD(bytes.fromhex((b"".join(a[2:])).decode()))
            if len(rd.data) != int(a[1]):
                raise ValueError("length of \\# data")
        elif t == QTYPE.A:
            rd = A(a[0].decode())
        elif t == QTYPE.AAAA:
            rd = AAAA(a[0].decode())
        elif t == QTYPE.MX:
            rd = MX(target(1), int(a[0]))
        elif t in (QTYPE.TXT, 99):
            strings = []
            for s in a:
                if not s:
                    strings.append(b"")
                while s:
                    strings.append(s[:255])
                    s = s[255:]
            rd = TXT(strings)
        elif t == QTYPE.PTR:
            rd = PTR(target(0))
        elif t == QTYPE.CNAME:
            rd = CNAME(target(0))
        elif t == QTYPE.NS:
            rd = NS(target(0))
        elif t == QTYPE.SOA:
            rd = SOA(target(0), target(1), [int(x) for x in a[2:7]])
        elif t == QTYPE.TLSA:
            rd = TLSA(int(a[0]), int(a[1]), int(a[2]),
                      bytes.fromhex(b"".join(a[3:]).decode()))
        else:
            raise ValueError("type %s not served" % t)
        rr = RR(DNSLabel(list(name)), t, rdata=rd, ttl=rr_ttl)
        self.rrs.setdefault(key(name), []).append(rr)
        if t == QTYPE.SOA:
            self.soas[key(name)] = rr
        self.add_name(name)

    def add_name(self, name):
        k = key(name)
        for i in range(len(k) + 1):
            self.names.add(k[i:])

    # ---- answering -----------------------------------------------------

    def control(self, k, t):
        return self.controls.get((k, t), []) + self.controls.get((k, None), [])

    def soa_for(self, k):
        for i in range(len(k) + 1):
            if k[i:] in self.soas:
                return self.soas[k[i:]]
        return None

    def answer(self, req):
        """The reply to req, or None to drop it; and a delay in s."""
        q = req.q
        k, t = key(q.qname.label), q.qtype
        reply = DNSRecord(DNSHeader(id=req.header.id, qr=1, aa=1, ra=1,
                                    rd=req.header.rd, opcode=0), q=q)
        delay = 0
        ctl = self.control(k, t)
        for kind, ms in ctl:
            if kind == "delay":
                delay += ms / 1000.0
        if any(kind == "timeout" for kind, _ in ctl):
            return None, 0
        if any(kind == "servfail" for kind, _ in ctl):
            reply.header.rcode = RCODE.SERVFAIL
            return reply, delay
        seen = set()
        while True:
            rrs = self.rrs.get(k, [])
            got = [r for r in rrs if t == QTYPE.ANY or r.rtype == t]
            if got:
                for r in got:
                    reply.add_answer(r)
                return reply, delay
            cn = [r for r in rrs if r.rtype == QTYPE.CNAME]
            if cn and k not in seen and len(seen) < 8:
                seen.add(k)
                reply.add_answer(cn[0])
                k = key(cn[0].rdata.label.label)
                if any(kind == "timeout" for kind, _ in self.control(k, t)):
                    return None, 0
                continue
            break
        if k not in self.names:
            reply.header.rcode = RCODE.NXDOMAIN
        soa = self.soa_for(k)
        if soa is not None:
            reply.add_auth(soa)
        return reply, delay


# ---- the server ----------------------------------------------------------

def udp_limit(req):
    for r in req.ar:
        if r.rtype == QTYPE.OPT:
            return max(512, min(r.rclass, 4096)), True
    return 512, False


def reply_bytes(zone, data, udp):
    """(bytes or None, delay)."""
    try:
        req = DNSRecord.parse(data)
    except Exception:
        return None, 0
    if req.header.qr or len(req.questions) != 1:
        return None, 0
    reply, delay = zone.answer(req)
    if reply is None:
        return None, 0
    limit, edns = udp_limit(req)
    if edns:
        reply.add_ar(EDNS0(udp_len=1232))
    out = reply.pack()
    if udp and len(out) > limit:
        # RFC 1035 4.2.1, RFC 2181 9: TC and nothing that does not fit
        reply.rr, reply.auth, reply.ar = [], [], []
        if edns:
            reply.add_ar(EDNS0(udp_len=1232))
        reply.header.tc = 1
        out = reply.pack()
    return out, delay


def serve_udp(zone, sock):
    while True:
        try:
            data, peer = sock.recvfrom(65535)
        except OSError:
            return
        out, delay = reply_bytes(zone, data, True)
        if out is None:
            continue
        if delay > 0:
            threading.Timer(delay, sock.sendto, (out, peer)).start()
        else:
            sock.sendto(out, peer)


def recv_exact(conn, n):
    b = b""
    while len(b) < n:
        c = conn.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def serve_conn(zone, conn):
    conn.settimeout(30)
    try:
        while True:
            h = recv_exact(conn, 2)
            if h is None:
                return
            data = recv_exact(conn, struct.unpack("!H", h)[0])
            if data is None:
                return
            out, delay = reply_bytes(zone, data, False)
            if out is None:
                continue	# dropped: the client times out
            if delay > 0:
                time.sleep(delay)
            conn.sendall(struct.pack("!H", len(out)) + out)
    except OSError:
        pass
    finally:
        conn.close()


def serve_tcp(zone, sock):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=serve_conn, args=(zone, conn),
                         daemon=True).start()


def bind(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    for _ in range(50):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((addr, port))
        p = u.getsockname()[1]
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind((addr, p))
        except OSError:
            u.close()
            t.close()
            if port:
                raise
            continue
        t.listen(64)
        return u, t, p
    raise OSError("no port free for both UDP and TCP")


def usage():
    sys.stderr.write("usage: dnsd.py [-p port] [-a addr] [-P portfile] "
                     "zonefile ...\n")
    sys.exit(100)


def main(argv):
    port, addr, portfile, files = 0, "127.0.0.1", None, []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("-p", "-a", "-P") and i + 1 < len(argv):
            v = argv[i + 1]
            if a == "-p":
                port = int(v)
            elif a == "-a":
                addr = v
            else:
                portfile = v
            i += 2
        elif a == "--":
            files += argv[i + 1:]
            break
        elif a.startswith("-"):
            usage()
        else:
            files.append(a)
            i += 1
    if not files:
        usage()
    if addr not in ALLOWED:
        sys.stderr.write("dnsd.py: fatal: loopback only (127.0.0.1, ::1)\n")
        sys.exit(100)
    zone = Zone()
    try:
        for f in files:
            zone.load(f)
    except (OSError, ZoneError) as e:
        sys.stderr.write("dnsd.py: fatal: %s\n" % e)
        sys.exit(100)
    try:
        u, t, port = bind(addr, port)
    except OSError as e:
        sys.stderr.write("dnsd.py: fatal: unable to bind: %s\n" % e)
        sys.exit(111)

    def stop(signum, frame):
        if portfile:
            try:
                os.unlink(portfile)
            except OSError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for fn, s in ((serve_udp, u), (serve_tcp, t)):
        threading.Thread(target=fn, args=(zone, s), daemon=True).start()
    if portfile:
        tmp = portfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, portfile)
    while True:
        signal.pause()


if __name__ == "__main__":
    main(sys.argv)
