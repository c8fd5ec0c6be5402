#!/bin/sh
# conf-init: a starter configuration that the other programs can use.
. "$TOP/t/lib.sh"
plan 42

cd "$T" || exit 111
c=$T/conf
exits "writes a configuration" 0 conf-init -d "$c" -n mx.example.test example.test demo bob 2>err
contains "logs what it did" err 'conf-init: info: dir=.* domain=example.test'
is "me" "$(cat "$c/me")" "mx.example.test"
is "domain compiled" "$(cdb -q "$c/domains.cdb" example.test; echo rc=$?)" "rc=0"
is "recipient compiled" "$(cdb -q "$c/recipients.cdb" bob@example.test)" "bob"
is "postmaster alias to first account" \
    "$(cdb -q "$c/aliases.cdb" postmaster@example.test)" "demo@example.test"
is "abuse alias" "$(cdb -q "$c/aliases.cdb" abuse@example.test)" "demo@example.test"
is "key mode" "$(stat -c %a "$c/tls/key.pem")" "600"
is "tls dir mode" "$(stat -c %a "$c/tls")" "700"
check "certificate matches key" sh -c "
  [ \"\$(openssl x509 -in '$c/tls/cert.pem' -noout -pubkey)\" = \
    \"\$(openssl pkey -in '$c/tls/key.pem' -pubout)\" ]"
check "certificate names the host" sh -c \
    "openssl x509 -in '$c/tls/cert.pem' -noout -ext subjectAltName | grep -q 'DNS:mx.example.test, DNS:example.test'"

cp "$c/me" "$T/me.before"
exits "refuses to overwrite" 100 conf-init -d "$c" example.test 2>err
contains "says why" err 'exists; not overwriting'
check "me unchanged" cmp -s "$c/me" "$T/me.before"
exits "-f overwrites" 0 conf-init -f -T -d "$c" -n other.example.test example.test 2>/dev/null
is "me rewritten" "$(cat "$c/me")" "other.example.test"
is "default account postmaster" "$(cdb -q "$c/recipients.cdb" postmaster@example.test)" "postmaster"

printf 'carol@example.test carol\n' >>"$c/recipients"
# an edit comes later than the compile; within one timestamp tick make
# cannot tell, so date the edit a little ahead
touch -d '+2 seconds' "$c/recipients"
exits "the directory's Makefile recompiles" 0 make -s -C "$c" 2>/dev/null
is "new entry visible" "$(cdb -q "$c/recipients.cdb" carol@example.test)" "carol"

exits "POSTERN_CONF is the default dir" 0 env POSTERN_CONF="$T/c2" conf-init -T example.org 2>/dev/null
check "written there" test -f "$T/c2/domains.cdb"

exits "invalid domain" 100 conf-init -d "$T/x" 'bad domain' 2>/dev/null
exits "domain with double dot" 100 conf-init -d "$T/x" 'a..b' 2>/dev/null
exits "invalid account" 100 conf-init -d "$T/x" example.test '../evil' 2>/dev/null
exits "account with upper case" 100 conf-init -d "$T/x" example.test 'Demo' 2>/dev/null
check "nothing written for invalid input" test ! -e "$T/x/me"
exits "no domain is usage" 100 conf-init 2>/dev/null
exits "-h" 100 conf-init -h 2>/dev/null
: >"$T/file"
exits "unwritable dir is 111" 111 conf-init -d "$T/file/conf" example.test 2>/dev/null

rm -f "$c/me"
exits "refusal when only some files exist" 100 conf-init -d "$c" example.test 2>/dev/null
check "and nothing was written" test ! -e "$c/me"

# -g: the key for the smtp user's group
exits "-g with an unknown group: exit 100" 100 \
    conf-init -g no-such-group-here -d "$T/g0" example.test 2>err
contains "names the group" err 'unknown group: no-such-group-here'
check "and nothing was written" test ! -e "$T/g0/me"
g=$(id -g)
exits "-g with our own group" 0 conf-init -g "$g" -d "$T/g1" example.test 2>/dev/null
is "-g: tls dir mode" "$(stat -c %a "$T/g1/tls")" "750"
is "-g: key mode" "$(stat -c %a "$T/g1/tls/key.pem")" "640"
is "-g: key group" "$(stat -c %g "$T/g1/tls/key.pem")" "$g"
if [ "$(id -u)" -eq 0 ]; then
	exits "-g 65534 by number (as root)" 0 \
	    conf-init -g 65534 -d "$T/g2" example.test 2>/dev/null
	is "-g 65534: the dir's group" "$(stat -c %g "$T/g2/tls")" 65534
	is "-g 65534: the key's group" "$(stat -c %g "$T/g2/tls/key.pem")" 65534
	is "-g 65534: the key's owner is still root" \
	    "$(stat -c %u "$T/g2/tls/key.pem")" 0
else
	skip "-g 65534: not root" 4
fi
