#!/usr/bin/python3
# One-off: turn mail-parser's expected parse trees (*.json beside each
# *.eml in ../shared/testdata/mime/stalwart-mail-parser/{rfc,malformed})
# into *.tree files that t/unit/test_mime.c reads without a JSON parser.
#
# A .tree file has one line per part, in document order (pre-order):
#   depth type/subtype header-offset body-offset end-offset
# A part without Content-Type gets its default: message/rfc822 inside
# multipart/digest, else text/plain.  A message/rfc822 part's message is
# its one child.  Run from t/data/mime: /usr/bin/python3 convert.py SRC
import glob
import json
import os
import sys


def ctype(part):
    for h in part['headers']:
        if h['name'] == 'content_type':
            v = h['value']
            if isinstance(v, dict) and 'ContentType' in v:
                c = v['ContentType']
                return '%s/%s' % (c['c_type'].lower(),
                                  (c['c_subtype'] or '').lower())
    return None


def walk(msg, i, depth, digest, out):
    part = msg['parts'][i]
    ct = ctype(part) or ('message/rfc822' if digest else 'text/plain')
    out.append('%d %s %d %d %d' % (depth, ct, part['offset_header'],
                                   part['offset_body'], part['offset_end']))
    body = part['body']
    if isinstance(body, dict) and 'Multipart' in body:
        for c in body['Multipart']:
            walk(msg, c, depth + 1, ct == 'multipart/digest', out)
    elif isinstance(body, dict) and 'Message' in body:
        walk(body['Message'], 0, depth + 1, False, out)


def main():
    src = sys.argv[1]
    for d in ('rfc', 'malformed'):
        for j in sorted(glob.glob(os.path.join(src, d, '*.json'))):
            out = []
            walk(json.load(open(j)), 0, 0, False, out)
            base = os.path.join(d, os.path.basename(j)[:-5])
            with open(base + '.tree', 'w') as f:
                f.write('\n'.join(out) + '\n')


main()
