#!/bin/sh
# The OpenSPF RFC 7208 test suite (t/data/spf, see its README): every
# case through spf-check -i, each scenario's zonedata served by
# t/dnsd.py (converted by t/spf-zone.py, which says how the suite's
# reference driver reads it).  A case passes when the result is one the
# case accepts and, when it names an explanation, the exp= text is that.
# A case that fails and is listed in doc/VIOLATIONS ("spf-suite: NAME")
# is a skip with its reason there; any other failure is a failure.
. "$TOP/t/lib.sh"

suite=$TOP/t/data/spf/rfc7208-tests.yml
if ! /usr/bin/python3 "$TOP/t/spf-zone.py" "$suite" "$T/suite" 2>"$T/conv"
then
	plan 1
	not_ok "t/spf-zone.py converts the suite" "$(cat "$T/conv")"
	exit 0
fi
plan "$(wc -l <"$T/suite/cases")"

US=$(printf '\037')
pass=0 scen=
while IFS=$US read -r n name host helo from want exp; do
	if [ "$n" != "$scen" ]; then
		dnsd_stop
		scen=$n
		if ! dnsd_start "$T/suite/$n.zone"; then
			echo "# scenario $n: the DNS server did not start:"
			sed 's/^/# /' "$T/dnsd.err"
		fi
	fi
	got=$(timeout 120 spf-check -T 2000 -r receiver.example.org \
	    -i "$host" -H "$helo" -s "$from" 2>"$T/err" </dev/null)
	res=${got%% *}
	gotexp=
	case $got in *" "*) gotexp=${got#* } ;; esac
	good=0
	case ",$want," in *",$res,"*) good=1 ;; esac
	[ -z "$exp" ] || [ "$exp" = "$gotexp" ] || good=0
	d="$name: $want${exp:+ ($exp)}"
	if [ "$good" -eq 1 ]; then
		ok "$d"
		pass=$((pass + 1))
	elif why=$(grep -E "^  spf-suite: $name( |$)" "$TOP/doc/VIOLATIONS"); then
		skip "$d: got $got; doc/VIOLATIONS:${why#*:}"
	else
		not_ok "$d" "got: $got
$(cat "$T/err")"
	fi
done <"$T/suite/cases"
dnsd_stop
echo "# $pass of $(wc -l <"$T/suite/cases") cases pass"
