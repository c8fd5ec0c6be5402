#!/usr/bin/python3
"""spf-zone.py: the OpenSPF test suite (YAML) as zone files for t/dnsd.py.

    t/spf-zone.py SUITE.yml OUTDIR

For scenario N (0, 1, ...) of the suite it writes OUTDIR/N.zone, the
scenario's zonedata in t/dnsd.py's format, and it writes OUTDIR/cases,
one line per test case, fields separated by \\037 (unit separator):

    N  NAME  HOST  HELO  MAILFROM  RESULTS  EXPLANATION

RESULTS is the acceptable results joined with ","; EXPLANATION is empty
when the case names none (or "DEFAULT", which is the implementation's).

The zonedata is read the way the suite's reference driver (pyspf's
test/testspf.py) reads it:
  - an SPF entry is served as type SPF (99) and, unless the name has a
    TXT entry of its own, as TXT too (the suite relies on that copy);
  - a value NONE is no record;
  - a TXT or SPF value that is a list is one record of several strings;
    strings are UTF-8 (the suite's "\\xEF" escapes are code points);
  - TIMEOUT makes queries of the name time out, except those of a type
    with a record listed before the TIMEOUT.
"""

import os
import sys

import yaml

TYPES = ("A", "AAAA", "MX", "TXT", "SPF", "PTR", "CNAME")


def esc_label(label):
    out = []
    for b in label.encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-_*"):
            out.append(c)
        else:
            out.append("\\%03d" % b)
    return "".join(out)


def name(n):
    n = n.rstrip(".")
    return ".".join(esc_label(l) for l in n.split(".")) + "."


def string(s):
    out = ['"']
    for b in s.encode("utf-8"):
        if 0x20 <= b < 0x7f and b not in (0x22, 0x5c):
            out.append(chr(b))
        else:
            out.append("\\%03d" % b)
    out.append('"')
    return "".join(out)


def strings(v):
    if isinstance(v, (list, tuple)):
        if not v:
            return '""'
        return " ".join(string(str(x)) for x in v)
    return string(str(v))


def rdata(t, v):
    if t in ("TXT", "SPF"):
        return strings(v)
    if t == "MX":
        return "%d %s" % (int(v[0]), name(str(v[1])))
    if t in ("PTR", "CNAME"):
        return name(str(v))
    return str(v)


def zone(data):
    lines = []
    for owner, entries in (data or {}).items():
        o = name(str(owner))
        has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
        seen, timeout = set(), None
        out, gen = [], []
        for e in entries:
            if not isinstance(e, dict):
                if str(e) == "TIMEOUT" and timeout is None:
                    timeout = set(seen)
                continue
            for t, v in e.items():
                t = str(t)
                if t not in TYPES:
                    raise SystemExit("spf-zone.py: type %s" % t)
                if t == "SPF" and not has_txt and v != "NONE":
                    gen.append(("TXT", v))
                if v == "NONE":
                    continue
                values = v if t in ("A", "AAAA") and \
                    isinstance(v, list) else [v]
                for x in values:
                    out.append((t, x))
                    seen.add(t)
        for t, v in out + gen:
            lines.append("%s 60 IN %s %s" % (o, t, rdata(t, v)))
        if timeout is not None:
            if not timeout:
                lines.append("%s TIMEOUT" % o)
            else:
                for t in TYPES:
                    if t not in timeout:
                        lines.append("%s TIMEOUT %s" % (o, t))
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: spf-zone.py suite.yml outdir\n")
        sys.exit(100)
    with open(argv[1], "rb") as f:
        docs = list(yaml.safe_load_all(f))
    os.makedirs(argv[2], exist_ok=True)
    sep = "\037"
    with open(os.path.join(argv[2], "cases"), "w") as cases:
        for n, d in enumerate(docs):
            if not d:
                continue
            with open(os.path.join(argv[2], "%d.zone" % n), "w") as z:
                z.write(zone(d.get("zonedata")))
            for tname, t in d["tests"].items():
                res = t["result"]
                res = ",".join(res) if isinstance(res, list) else res
                exp = str(t.get("explanation", ""))
                if exp == "DEFAULT":
                    exp = ""
                f = [str(n), tname, str(t["host"]), str(t["helo"]),
                     str(t["mailfrom"]), res, exp]
                for x in f:
                    if sep in x or "\n" in x:
                        raise SystemExit("spf-zone.py: %s: a field with a "
                                         "separator" % tname)
                cases.write(sep.join(f) + "\n")


if __name__ == "__main__":
    main(sys.argv)
