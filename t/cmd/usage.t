#!/bin/sh
# Usage lines (issue 9.8): for every program (cmd/*.c, cmd/*/,
# maildir-tools/*.c) the usage line it prints for -h and for a bad option
# is the SYNOPSIS of its man page, doc/NAME.[1-8], as mandoc renders it
# (a usage line "NAME A | B" stands for the forms "NAME A" and "NAME B"),
# and the flags of that SYNOPSIS, with which take an argument, are the
# ones the program's getopt(3) string takes.
. "$TOP/t/lib.sh"

progs=
for f in "$TOP"/cmd/*.c "$TOP"/maildir-tools/*.c; do
	[ -f "$f" ] && progs="$progs $(basename "$f" .c)"
done
for d in "$TOP"/cmd/*/; do
	[ -d "$d" ] && progs="$progs $(basename "$d")"
done
n=0
for p in $progs; do n=$((n + 1)); done
plan $((n * 5))

cat >"$T/syn.py" <<'EOF'
import re, sys

def squash(s):
    return " ".join(s.split())

def synopsis(name, text):
    # the forms of a rendered man page's SYNOPSIS, one per line
    text = re.sub(".\b", "", text)
    forms, on = [], False
    for line in text.splitlines():
        if re.match(r"\S", line):
            on = line.strip() == "SYNOPSIS"
            continue
        if not on or not line.strip():
            continue
        w = line.split()
        if w[0] == name:
            forms.append(line)
        elif forms:
            forms[-1] += " " + line
    return [squash(f) for f in forms]

def usage(name, text):
    # the forms of a usage line: "usage: NAME A | B" -> NAME A, NAME B
    lines = text.splitlines()
    if not lines or not lines[-1].startswith("usage: "):
        return []
    forms = []
    for f in lines[-1][len("usage: "):].split(" | "):
        f = squash(f)
        forms.append(f if f.split()[:1] == [name] else name + " " + f)
    return forms

def flags(forms):
    # "a b: c" - the flag letters, ':' after one that takes an argument
    out = set()
    for f in forms:
        tok = re.findall(r"\[|\]|[^\s\[\]]+", f)
        for i, t in enumerate(tok):
            if not t.startswith("-") or t in ("-", "--"):
                continue
            letters = t[1:]
            nxt = tok[i + 1] if i + 1 < len(tok) else ""
            arg = (len(letters) == 1 and nxt not in ("", "[", "]", "...")
                   and not nxt.startswith("-"))
            for c in letters:
                out.add(c + (":" if arg else ""))
    return " ".join(sorted(out, key=lambda s: (s.lower(), s)))

def optstring(paths):
    # the flags of the getopt(3) strings in the sources; "" when none
    out, found = set(), False
    for p in paths:
        src = open(p, encoding="utf-8", errors="replace").read()
        for m in re.finditer(r'getopt\s*\(\s*argc\s*,\s*argv\s*,\s*"([^"]*)"',
                             src):
            found = True
            s = m.group(1).lstrip("+-:")
            for i, c in enumerate(s):
                if c == ":":
                    continue
                out.add(c + (":" if s[i + 1:i + 2] == ":" else ""))
    if not found:
        return None
    return " ".join(sorted(out, key=lambda s: (s.lower(), s)))

what, name = sys.argv[1], sys.argv[2]
if what == "optstring":
    r = optstring(sys.argv[3:])
    print("none" if r is None else r)
    sys.exit(0)
data = sys.stdin.read()
forms = synopsis(name, data) if what.startswith("man") else usage(name, data)
if what.endswith("flags"):
    print(flags(forms))
else:
    print("\n".join(forms))
EOF
py() { /usr/bin/python3 "$T/syn.py" "$@"; }

for p in $progs; do
	man=
	for m in "$TOP"/doc/"$p".[1-8]; do [ -f "$m" ] && man=$m; done
	if [ -n "$man" ]; then
		mandoc -Tascii -Owidth=300 "$man" >"$T/$p.man" 2>/dev/null
	else
		: >"$T/$p.man"
	fi
	syn=$(py man "$p" <"$T/$p.man")
	if [ -n "$syn" ]; then ok "$p: doc/$p.N has a SYNOPSIS"
	else not_ok "$p: doc/$p.N has a SYNOPSIS" "no man page or no SYNOPSIS form starting with $p"; fi

	timeout 10 "$BIN/$p" -h </dev/null >"$T/$p.out" 2>"$T/$p.err"
	rc=$?
	if [ "$rc" -eq 100 ] && [ ! -s "$T/$p.out" ] &&
	    [ "$(wc -l <"$T/$p.err")" -eq 1 ] &&
	    grep -q "^usage: $p " "$T/$p.err"; then
		ok "$p -h: one usage line on stderr, exit 100"
	else
		not_ok "$p -h: one usage line on stderr, exit 100" "exit $rc, stdout:
$(head -5 "$T/$p.out")
stderr:
$(head -5 "$T/$p.err")"
	fi
	is "$p -h: the usage line is the SYNOPSIS of doc/$p.N" \
	    "$(py usage "$p" <"$T/$p.err")" "$syn"

	timeout 10 "$BIN/$p" -@ </dev/null >/dev/null 2>"$T/$p.bad"
	rc=$?
	if [ "$rc" -eq 100 ] &&
	    [ "$(tail -n 1 "$T/$p.bad")" = "$(tail -n 1 "$T/$p.err")" ]; then
		ok "$p -@ (a bad option): the same usage line, exit 100"
	else
		not_ok "$p -@ (a bad option): the same usage line, exit 100" \
		    "exit $rc, stderr: $(tail -n 2 "$T/$p.bad")"
	fi

	src=
	for f in "$TOP/cmd/$p.c" "$TOP/maildir-tools/$p.c" "$TOP/cmd/$p"/*.c; do
		[ -f "$f" ] && src="$src $f"
	done
	# shellcheck disable=SC2086
	opts=$(py optstring "$p" $src)
	if [ "$opts" = none ]; then
		# no getopt(3): the program's own parser must still take -h
		# as usage, which the cases above checked
		skip "$p: no getopt(3) string in its source to compare"
	else
		is "$p: the getopt(3) flags are the SYNOPSIS flags" \
		    "$opts" "$(py manflags "$p" <"$T/$p.man")"
	fi
done
