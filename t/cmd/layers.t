#!/bin/sh
# layers.t: every #include "folder/x.h" in lib/ names its own folder or one
# that lib/README's layer table lets it use; every lib/ file is in a
# folder the table names; includes of lib/ headers always name the folder.
. "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}/t/lib.sh"
plan 6
cd "$TOP" || exit 111

# the table: lines "    NAME: DEP DEP ..." between the heading line and
# the first blank line after it
sed -n '/^    layer: /,/^$/p' lib/README | sed -n 's/^    \([a-z]*\): *\(.*\)$/\1 \2/p' \
    | grep -v '^layer ' >"$T/table"
check "lib/README has a layer table" test -s "$T/table"

bad=
for f in lib/*.[ch]; do
	[ -f "$f" ] && bad="$bad $f"
done
is "no module outside a layer folder" "$bad" ""

bad=
for d in lib/*/; do
	d=${d#lib/}; d=${d%/}
	grep -q "^$d\( \|$\)" "$T/table" || bad="$bad $d"
done
is "every folder of lib/ has a line in the table" "$bad" ""

# check_includes FILE LAYER: the offending "FILE: include" lines
check_includes() {
	allowed=" $2 $(sed -n "s/^$2 //p" "$T/table") "
	grep -n '^#[ 	]*include[ 	]*"' "$1" | while IFS= read -r line; do
		inc=$(printf '%s\n' "$line" | sed 's/.*include[ 	]*"\([^"]*\)".*/\1/')
		case $inc in
		*/*) dir=${inc%%/*}
			case $allowed in
			*" $dir "*) ;;
			*) echo "$1:${line%%:*}: $inc" ;;
			esac ;;
		*) echo "$1:${line%%:*}: $inc (no folder)" ;;
		esac
	done
}

: >"$T/bad"
for f in lib/*/*.[ch]; do
	l=${f#lib/}; l=${l%%/*}
	check_includes "$f" "$l" >>"$T/bad"
done
is "lib/ includes follow the layers" "$(cat "$T/bad")" ""

# outside lib/, a lib header is always named with its folder
: >"$T/bare"
for f in cmd/*.c cmd/*/*.c maildir-tools/*.c t/unit/*.c t/fuzz/*.c; do
	[ -f "$f" ] || continue
	grep -n '^#[ 	]*include[ 	]*"[^"/]*"' "$f" | while IFS= read -r line; do
		h=$(printf '%s\n' "$line" | sed 's/.*"\([^"]*\)".*/\1/')
		for m in lib/*/"$h"; do
			[ -f "$m" ] && echo "$f:${line%%:*}: $h"
		done
	done >>"$T/bare"
done
is "programs and tests name the folder of lib headers" "$(cat "$T/bare")" ""

# the check itself: a made-up file of the base layer that reaches up
mkdir -p "$T/lib/base"
printf '#include "base/buf.h"\n#include "smtp/smtpd.h"\n#include "buf.h"\n' \
    >"$T/lib/base/x.c"
is "a base file including smtp/ is caught" \
    "$(check_includes "$T/lib/base/x.c" base | sed 's/.*: //')" \
    "smtp/smtpd.h
buf.h (no folder)"
