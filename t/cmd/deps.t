#!/bin/sh
# scripts/deps: nothing to do when all is installed; as a user who cannot
# install, the exact apt-get line and exit 111.  dpkg-query is replaced by
# a stand-in that reports one package missing, so nothing is installed.
. "$TOP/t/lib.sh"
plan 4

mkdir -p "$T/fake"
cat >"$T/fake/dpkg-query" <<'EOF2'
#!/bin/sh
# report every package installed except swaks
for last; do :; done
[ "$last" = swaks ] && exit 1
printf 'install ok installed'
EOF2
chmod +x "$T/fake/dpkg-query"
chmod 755 "$T" "$T/fake"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	# as nobody, without sudo rights: the line to run, and 111
	exits "missing package as a user: exit 111" 111 setpriv \
	    --reuid=65534 --regid=65534 --clear-groups \
	    env PATH="$T/fake:/usr/bin:/bin" "$TOP/scripts/deps" 2>"$T/err"
	contains "prints the apt-get line" "$T/err" \
	    '^apt-get update && apt-get install -y swaks$'
else
	skip "missing package as a user: not root or no setpriv" 2
fi
# with everything reported installed, it does nothing at all
cat >"$T/fake/dpkg-query" <<'EOF2'
#!/bin/sh
printf 'install ok installed'
EOF2
exits "nothing missing: exit 0, no apt-get" 0 env PATH="$T/fake:/usr/bin:/bin" \
    "$TOP/scripts/deps" 2>"$T/err2"
is "and says nothing" "$(cat "$T/err2")" ""
