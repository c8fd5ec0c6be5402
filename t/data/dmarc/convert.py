#!/usr/bin/python3
"""record-parse-vectors.json -> the line format of README (on stdout)."""
import json
import sys


def clean(s):
    # the records hold no TAB or newline; refuse data that would
    if "\t" in s or "\n" in s:
        raise SystemExit("convert.py: TAB or newline in %r" % s)
    return s


def uris(v):
    if not v:
        return "-"
    return ",".join("%s!%d" % (clean(a), n) for a, n in v)


with open(sys.argv[1], encoding="utf-8") as f:
    d = json.load(f)
for c in d["opendmarc"]:
    print("P\t%d\t%s\t%s" % (c["n"], clean(c["record"]), c["outcome"]))
for c in d["mail_auth"]:
    e = c["expected"]
    print("M\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s" % (
        clean(c["record"]), e["p"], e["sp"], e["adkim"], e["aspf"],
        e["fo"], uris(e["rua"]), uris(e["ruf"])))
for a, b, mode, rc in d["opendmarc_alignment"]["cases"]:
    print("A\t%s\t%s\t%s\t%d" % (clean(a), clean(b), mode, rc))
