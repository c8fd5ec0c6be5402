#!/usr/bin/python3
# One-off: rfc4648-vectors.json and quoted-printable-python.json to plain
# text that t/unit/test_codec.c reads without a JSON parser.  Run here:
#   /usr/bin/python3 convert-codec.py
#
# rfc4648-vectors.txt: "input base64" per line ("-" for empty).
# quoted-printable-python.txt: "mode decoded-hex encoded-hex" per line
# ("-" for empty), mode one of
#   both    encode(decoded) == encoded and decode(encoded) == decoded
#   tabs    encode with every SP and HTAB quoted
#   header  the header form ('_' for SP), both directions
#   decode  decode(encoded) only
import json

with open('rfc4648-vectors.json') as f:
    v = json.load(f)
with open('rfc4648-vectors.txt', 'w') as f:
    f.write('# RFC 4648 10: input base64 ("-" is empty)\n')
    for x in v['vectors']:
        f.write('%s %s\n' % (x['input'] or '-', x['base64'] or '-'))


def hx(s):
    return s.encode('latin-1').hex() or '-'


with open('quoted-printable-python.json') as f:
    q = json.load(f)
with open('quoted-printable-python.txt', 'w') as f:
    f.write('# mode decoded-hex encoded-hex (CPython test_quopri)\n')
    for x in q:
        m = x['mode']
        if m.startswith('default'):
            mode = 'both'
        elif m.startswith('quotetabs'):
            mode = 'tabs'
        elif m.startswith('header'):
            mode = 'header'
        else:
            mode = 'decode'
        f.write('%s %s %s\n' % (mode, hx(x['decoded_latin1']),
                                hx(x['encoded'])))
