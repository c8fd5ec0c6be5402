#!/bin/sh
# table-compile: text table -> CDB, atomic, errors name the line.
. "$TOP/t/lib.sh"
plan 32

cd "$T" || exit 111
printf '# comment\n\nDemo@Example.TEST demo\nkey: value with  spaces\nempty\ndup first\ndup second\n' >tab
exits "compiles a table" 0 table-compile -l tab tab.cdb 2>err
contains "logs the entry count" err 'table-compile: info: table=tab.cdb entries=5'
is "key folded to lower case" "$(cdb -q tab.cdb demo@example.test)" "demo"
is "colon form, value with blanks" "$(cdb -q tab.cdb key)" "value with  spaces"
is "empty value" "$(cdb -q tab.cdb empty; echo "rc=$?")" "rc=0"
is "first duplicate wins" "$(cdb -q -n 1 tab.cdb dup)" "first"
exits "missing key is absent" 100 cdb -q tab.cdb nosuchkey

exits "without -l keys keep their case" 0 table-compile tab tab2.cdb 2>/dev/null
is "case kept" "$(cdb -q tab2.cdb Demo@Example.TEST)" "demo"

cp tab.cdb before.cdb
printf 'good value\n: novalue\n' >bad
exits "malformed line exits 111" 111 table-compile -l bad tab.cdb 2>err
contains "error names file and line" err 'fatal: bad line 2: malformed'
check "old table unchanged" cmp -s tab.cdb before.cdb
is "no temporary left" "$(ls | grep -c tmp)" "0"

awk 'BEGIN { s = "k "; for (i = 0; i < 5000; i++) s = s "x"; print s }' >long
exits "over-long line refused" 111 table-compile long long.cdb 2>/dev/null
check "no cdb written for it" test ! -e long.cdb

printf 'a\0b value\n' >nul
exits "NUL byte refused" 111 table-compile nul nul.cdb 2>/dev/null

exits "missing source is 111" 111 table-compile nosuch x.cdb 2>err
contains "says which file" err 'unable to compile nosuch'
exits "unwritable destination is 111" 111 table-compile tab nodir/x.cdb 2>/dev/null

exits "mode option" 0 table-compile -m 600 tab secret.cdb 2>/dev/null
is "mode 0600" "$(stat -c %a secret.cdb)" "600"
exits "bad mode is usage" 100 table-compile -m 999 tab x.cdb 2>/dev/null
exits "-h is usage" 100 table-compile -h 2>err
contains "usage line" err '^usage: table-compile'
exits "missing operand" 100 table-compile tab 2>/dev/null

awk 'BEGIN { for (i = 0; i < 100000; i++) printf "user%d@example.test acct%d\n", i, i }' >big
exits "100,000 entries" 0 table-compile big big.cdb 2>/dev/null
is "last entry found" "$(cdb -q big.cdb user99999@example.test)" "acct99999"

# -p: the public suffix list (lib/auth/psl.h)
exits "-p compiles the public suffix list" 0 \
    table-compile -p "$TOP/t/data/psl/public_suffix_list.dat" psl.cdb 2>err
contains "logs the rule count" err 'table-compile: info: table=psl.cdb rules=[0-9]'
is "a wildcard rule, an exception" "$(cdb -q psl.cdb kawasaki.jp) $(cdb -q psl.cdb city.kawasaki.jp)" "w e"
printf 'com\n// comment\nfoo..bar\n' >badpsl
exits "-p: a junk rule exits 111" 111 table-compile -p badpsl psl.cdb 2>err
contains "names the line and why" err 'fatal: badpsl line 3: not a valid domain name; psl.cdb unchanged'
