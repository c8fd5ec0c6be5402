#!/bin/sh
# dkim-keygen: RSA and Ed25519 key pairs whose published record holds the
# key's own public half (checked with openssl: the DER SubjectPublicKeyInfo
# for RSA, RFC 6376 3.6.1; the 32 raw bytes for Ed25519, RFC 8463 4.2),
# the private key's mode, strings of 255 bytes at most, a key file never
# replaced, and bad usage.
. "$TOP/t/lib.sh"
plan 22

# p= of the record on stdout, as bytes, into $2
pvalue() {
	sed -n 's/.*IN TXT ( \(.*\) )$/\1/p' "$1" | sed 's/" "//g; s/^"//; s/"$//' |
	    sed -n 's/.*p=\([A-Za-z0-9+\/=]*\).*/\1/p' | base64 -d >"$2"
}

dkim-keygen -k "$T/rsa.pem" example.test sel1 >"$T/rsa.txt" 2>"$T/err"
is "RSA: exit 0" $? 0
contains "RSA: the record's name and kind" "$T/rsa.txt" \
    '^sel1\._domainkey\.example\.test\. IN TXT \( "v=DKIM1; k=rsa; p='
is "RSA: the key file is 0600" "$(stat -c %a "$T/rsa.pem")" 600
contains "RSA: 2048 bits" "$(openssl pkey -in "$T/rsa.pem" -text -noout >"$T/text" 2>&1; echo "$T/text")" \
    'Private-Key: \(2048 bit'
pvalue "$T/rsa.txt" "$T/rsa.p"
openssl pkey -in "$T/rsa.pem" -pubout -outform DER -out "$T/rsa.der" 2>/dev/null
check "RSA: p= is the key's public half (DER SubjectPublicKeyInfo)" \
    cmp -s "$T/rsa.p" "$T/rsa.der"
awk '{ n = split($0, s, "\""); for (i = 2; i <= n; i += 2) if (length(s[i]) > 255) bad = 1 }
    END { exit bad }' "$T/rsa.txt"
check "RSA: every string at most 255 bytes" test $? -eq 0
contains "RSA: logged" "$T/err" '^dkim-keygen: info: made key=.* type=rsa selector=sel1 domain=example\.test$'

dkim-keygen -t ed25519 -g -k "$T/ed.pem" example.test sel2 >"$T/ed.txt" 2>/dev/null
is "Ed25519: exit 0" $? 0
contains "Ed25519: k=ed25519" "$T/ed.txt" '"v=DKIM1; k=ed25519; p='
is "Ed25519: -g gives 0640" "$(stat -c %a "$T/ed.pem")" 640
pvalue "$T/ed.txt" "$T/ed.p"
is "Ed25519: p= is 32 bytes" "$(wc -c <"$T/ed.p" | tr -d ' ')" 32
openssl pkey -in "$T/ed.pem" -pubout -outform DER 2>/dev/null | tail -c 32 >"$T/ed.raw"
check "Ed25519: p= is the key's public half" cmp -s "$T/ed.p" "$T/ed.raw"

dkim-keygen -b 4096 -k "$T/big.pem" example.test big >"$T/big.txt" 2>/dev/null
is "RSA 4096: exit 0" $? 0
is "RSA 4096: the record in several strings" \
    "$(grep -o '" "' "$T/big.txt" | wc -l | tr -d ' ')" 2

cp "$T/rsa.pem" "$T/rsa.keep"
exits "an existing key file: exit 100" 100 dkim-keygen -k "$T/rsa.pem" example.test sel3 2>"$T/err"
contains "it says why" "$T/err" 'exists: a key in use is never replaced'
check "and the key is untouched" cmp -s "$T/rsa.pem" "$T/rsa.keep"
exits "-b 512: exit 100" 100 dkim-keygen -b 512 -k "$T/x.pem" example.test s 2>/dev/null
exits "-t dsa: exit 100" 100 dkim-keygen -t dsa -k "$T/x.pem" example.test s 2>/dev/null
exits "no -k: usage, exit 100" 100 dkim-keygen example.test s 2>/dev/null
exits "not a DNS name: exit 100" 100 dkim-keygen -k "$T/x.pem" 'a..b' s 2>/dev/null
check "and no key file was made by any of them" test ! -e "$T/x.pem"
