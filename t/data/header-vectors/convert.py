#!/usr/bin/python3
# convert.py: turn the mail-parser header vectors (address.json, date.json,
# id.json, beside this script) into the line format that t/unit/test_addr.c
# and t/unit/test_date.c read.  Run it from anywhere:
#     /usr/bin/python3 t/data/header-vectors/convert.py
# It rewrites address.txt, date.txt and id.txt.
#
# Where postern's documented behaviour differs from mail-parser's (postern
# drops comments from display names, keeps RFC 2047 words raw, collapses
# blanks, drops obs-routes, refuses what RFC 5322 does not allow), the
# expectation is written out below in OVERRIDE_* with the reason.  Vectors
# that are not addresses at all (List-* URLs) are skipped.
import calendar
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ERR = 'error'

# address.json: index -> (addresses [(group, name, addr)], groups) or ERR
OVERRIDE_ADDR = {
    # RFC 5322 2.2.3: unfolding first gives "(A nice  \ )": the quoted
    # pair is a blank, ')' ends the comment, and " chap)" is left over.
    9: ERR,
    # comments are dropped from display names (and group names)
    8: ([(None, 'Pete', 'pete@silly.test')], []),
    10: ([('A Group', 'Chris Jones', 'c@public.example'),
          ('A Group', None, 'joe@example.org'),
          ('A Group', 'John', 'jdoe@one.test')], ['A Group']),
    11: ([], ['Hidden recipients']),
    # obs-route dropped, obs-domain made canonical, empty list element
    13: ([(None, 'Mary Smith', 'mary@example.net'),
          (None, None, 'jdoe@test.example')], []),
    14: ([(None, 'John Doe', 'jdoe@machine.example')], []),
    # RFC 2047 encoded words are kept raw (another module decodes)
    16: ([(None, '=?US-ASCII*EN?Q?Keith_Moore?=', 'moore@cs.utk.edu')], []),
    17: ([(None, 'John =?US-ASCII*EN?Q?Doe?=', 'moore@cs.utk.edu')], []),
    18: ([(None, '=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=',
           'keld@dkuug.dk')], []),
    19: ([(None, '=?ISO-8859-1?Q?Andr=E9?= Pirard',
           'PIRARD@vm1.ulg.ac.be')], []),
    20: ([(None, '=?ISO-8859-1?Q?Olle_J=E4rnefors?=',
           'ojarnef@admin.kth.se')], []),
    22: ([(None, 'Nathaniel Borenstein', 'nsb@thumper.bellcore.com')], []),
    24: ([(None, '=?ISO-8859-1?Q?a?=', 'test@test.com')], []),
    25: ([(None, '=?ISO-8859-1?Q?a?= b', 'test@test.com')], []),
    26: ([(None, '=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=',
           'test@test.com')], []),
    27: ([(None, '=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=',
           'test@test.com')], []),
    28: ([(None, '=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=',
           'test@test.com')], []),
    # a line break not followed by a blank is not a fold
    30: ERR,
    31: ERR,
    # blanks collapsed and trimmed; encoded word raw
    33: ([(None, 'James Smythe', 'james@example.com'),
          ('Friends', None, 'jane@example.com'),
          ('Friends', '=?UTF-8?Q?John_Sm=C3=AEth?=', 'john@example.com')],
         ['Friends']),
    36: ([('=?utf-8?b?VGjDrXMgw61zIHbDoWzDrWQgw5pURjg=?=', None,
           'addr1@test.com'),
          ('=?utf-8?b?VGjDrXMgw61zIHbDoWzDrWQgw5pURjg=?=', None,
           'addr2@test.com'),
          ('=?utf-8?b?VGjDrXMgw61zIHbDoWzDrWQgw5pURjg=?=', None,
           'addr3@test.com'),
          ('=?utf-8?b?VGjDrXMgw61zIHbDoWzDrWQgw5pURjg=?=', None,
           'addr4@test.com'),
          (None, None, 'addr5@test.com'), (None, None, 'addr6@test.com')],
         ['=?utf-8?b?VGjDrXMgw61zIHbDoWzDrWQgw5pURjg=?=',
          '=?utf-8?b?VGjDrXMgw61zIHbDoWzDrWQgw5pURjg=?=']),
    # '@' is not allowed in an unquoted display name
    51: ERR,
    53: ([(None, 'Serge B, Chair, HR =?utf-8?b?U3ltcG9zaXVtL1hwb+KEog==?= '
           'conference', 'a@b.com')], []),
    54: ([(None, 'John =?utf-8?q?Doe?=', 'a@b.com')], []),
    # a phrase after an angle-addr is not allowed
    55: ERR,
    56: ([(None, 'Name =?utf-8?q?Doe?=', 'a@b.com')], []),
    57: ([(None, '=?utf-8?q?a?= =?utf-8?q?b?=', 'a@b.com')], []),
    58: ([(None, '=?utf-8?q?Hello?=', 'a@b.com')], []),
    59: ([(None, 'foo =?utf-8?q?bar?=', 'a@b.com')], []),
}
SKIP_ADDR = set(range(37, 48))  # List-* URLs, not addresses

# date.json: index -> (year, mon, day, h, m, s, zone minutes, unknown) / ERR
OVERRIDE_DATE = {
    10: ERR,	# numeric month
    12: ERR,	# not a date
    28: ERR,	# a Received: value, not a date-time
    30: ERR,	# "EST5EDT" is not a zone
    # RFC 5322 4.3: military and unknown alphabetic zones are "-0000"
    31: (1997, 7, 10, 14, 53, 31, 0, 1),
    32: (1997, 7, 10, 14, 53, 31, 0, 1),
}

# id.json: index -> [ids] or ERR
OVERRIDE_ID = {
    3: ERR,	# a line break not followed by a blank
    6: ['1234@local.machine.example'],	# obs-id-left/right made canonical
    8: ERR,	# no angle brackets
    9: ERR,
    10: [],	# obs-phrase only: no id
}


def esc(s):
    return (s.replace('\\', '\\\\').replace('\n', '\\n')
            .replace('\r', '\\r').replace('\t', '\\t'))


def dash(s):
    return '-' if s is None else esc(s)


def addr_cases():
    vec = json.load(open(os.path.join(HERE, 'address.json')))
    out = ['# address cases from address.json (see SOURCE and convert.py)',
           '# I input; A group<TAB>name<TAB>local@domain ("-": none);',
           '# G group name, in order; E an error is expected; . ends a case']
    for i, v in enumerate(vec):
        if i in SKIP_ADDR:
            continue
        exp = OVERRIDE_ADDR.get(i)
        if exp is None:
            e = v['expected']
            addrs, groups = [], []
            if 'List' in e:
                addrs = [(None, a['name'], a['address']) for a in e['List']]
            else:
                for g in e['Group']:
                    if g['name'] is not None:
                        groups.append(g['name'])
                    for a in g['addresses']:
                        addrs.append((g['name'], a['name'], a['address']))
            exp = (addrs, groups)
        out.append('# address.json %d%s' %
                   (i, ' (expectation adapted)' if i in OVERRIDE_ADDR else ''))
        out.append('I\t' + esc(v['header']))
        if exp == ERR:
            out.append('E')
        else:
            for g, n, a in exp[0]:
                out.append('A\t%s\t%s\t%s' % (dash(g), dash(n), esc(a)))
            for g in exp[1]:
                out.append('G\t' + esc(g))
        out.append('.')
    return out


def date_cases():
    vec = json.load(open(os.path.join(HERE, 'date.json')))
    out = ['# date-time cases from date.json (see SOURCE and convert.py)',
           '# I input; D year mon day hour min sec zone-minutes unknown',
           '# time_t; E an error is expected; . ends a case']
    for i, v in enumerate(vec):
        exp = OVERRIDE_DATE.get(i)
        if exp is None:
            e = v['expected']
            if e is None:
                exp = ERR
            else:
                z = e['tz_hour'] * 60 + e['tz_minute']
                if e['tz_before_gmt']:
                    z = -z
                exp = (e['year'], e['month'], e['day'], e['hour'],
                       e['minute'], e['second'], z, 0)
        out.append('# date.json %d%s' %
                   (i, ' (expectation adapted)' if i in OVERRIDE_DATE else ''))
        out.append('I\t' + esc(v['header']))
        if exp == ERR:
            out.append('E')
        else:
            t = calendar.timegm(exp[:6]) - exp[6] * 60
            out.append('D\t%d %d %d %d %d %d %d %d %d' % (exp + (t,)))
        out.append('.')
    return out


def id_cases():
    vec = json.load(open(os.path.join(HERE, 'id.json')))
    out = ['# msg-id list cases from id.json (see SOURCE and convert.py)',
           '# I input; M an id, in order; E an error is expected;',
           '# . ends a case (no M and no E: no id, no error)']
    for i, v in enumerate(vec):
        exp = OVERRIDE_ID.get(i, v['expected'])
        if exp is None:
            exp = ERR
        out.append('# id.json %d%s' %
                   (i, ' (expectation adapted)' if i in OVERRIDE_ID else ''))
        out.append('I\t' + esc(v['header']))
        if exp == ERR:
            out.append('E')
        else:
            for m in exp:
                out.append('M\t' + esc(m))
        out.append('.')
    return out


for name, fn in (('address.txt', addr_cases), ('date.txt', date_cases),
                 ('id.txt', id_cases)):
    with open(os.path.join(HERE, name), 'w') as f:
        f.write('\n'.join(fn()) + '\n')
