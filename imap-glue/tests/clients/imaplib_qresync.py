#!/usr/bin/env python3
"""A QRESYNC-caching client (RFC 7162) written with Python's imaplib, against a running server.

usage: imaplib_qresync.py HOST PORT USER PASSWORD

Expects the three fixture messages of the Rust tests in INBOX (UIDs 1-3). Caches UID → FLAGS
with MODSEQ after ENABLE QRESYNC, lets a second connection change flags and expunge, then
resynchronises with SELECT INBOX (QRESYNC (…)) and with UID FETCH (CHANGEDSINCE … VANISHED) and
checks that the cache equals a full FETCH. Also STORE (UNCHANGEDSINCE) and its [MODIFIED].
Prints one line per step and "QRESYNC OK" at the end; any failure raises (exit status 1).
"""
import re

from clientlib import args, ok
from clientlib import connect as login

host, port, user, password, starttls = args()


def connect():
    return login(host, port, user, password, starttls)


def fetches(data):
    """UID -> (flags, modseq) of FETCH response data."""
    out = {}
    for d in data:
        if not isinstance(d, bytes):
            continue
        uid = re.search(rb"UID (\d+)", d)
        flags = re.search(rb"FLAGS \(([^)]*)\)", d)
        modseq = re.search(rb"MODSEQ \((\d+)\)", d)
        if uid and flags and modseq:
            out[int(uid.group(1))] = (set(flags.group(1).split()) - {b"\\Recent"}, int(modseq.group(1)))
    return out


def code(m, name):
    """The value of an untagged OK [NAME value] of the last command."""
    typ, data = m.response(name)
    return data[0] if data and data[0] is not None else None


def qresync_select(m, validity, modseq):
    typ, data = m._simple_command("SELECT", f"INBOX (QRESYNC ({validity} {modseq}))")
    ok(typ == "OK", f"SELECT INBOX (QRESYNC ({validity} {modseq}))")
    m.state = "SELECTED"


m = connect()
ok("CONDSTORE" in m.capabilities and "QRESYNC" in m.capabilities, f"capabilities {m.capabilities}")
typ, data = m.enable("QRESYNC")
enabled = m.response("ENABLED")[1]
ok(typ == "OK" and enabled == [b"QRESYNC"], f"ENABLE QRESYNC: ENABLED {enabled}")
typ, data = m.select("INBOX")
validity = int(code(m, "UIDVALIDITY"))
highest = int(code(m, "HIGHESTMODSEQ"))
ok(typ == "OK" and highest > 0, f"SELECT INBOX: UIDVALIDITY {validity} HIGHESTMODSEQ {highest}")
typ, data = m.fetch("1:*", "(UID FLAGS MODSEQ)")
cache = fetches(data)
ok(sorted(cache) == [1, 2, 3] and all(ms <= highest for _, ms in cache.values()), f"cache {cache}")
m.logout()

# Someone else changes the mailbox meanwhile.
o = connect()
o.select("INBOX")
o.uid("STORE", "2", "+FLAGS", "(\\Answered)")
o.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
o.expunge()
o.logout()

# Resynchronise with SELECT (QRESYNC …).
m = connect()
m.enable("QRESYNC")
qresync_select(m, validity, highest)
typ, vanished = m.response("VANISHED")
ok(vanished == [b"(EARLIER) 1"], f"VANISHED (EARLIER) {vanished}")
for v in vanished:
    cache.pop(int(v.split()[-1]), None)
typ, data = m.response("FETCH")
changed = fetches(data)
ok(list(changed) == [2] and changed[2][1] > highest, f"changed {changed}")
cache.update(changed)
new_highest = int(code(m, "HIGHESTMODSEQ"))
typ, data = m.fetch("1:*", "(UID FLAGS MODSEQ)")
ok(fetches(data) == cache, f"cache equals a full FETCH: {cache}")

# UID FETCH (CHANGEDSINCE … VANISHED) after another change, in the same session.
o = connect()
o.select("INBOX")
o.uid("STORE", "3", "-FLAGS", "(\\Flagged)")
o.logout()
m.noop()
typ, data = m.uid("FETCH", "1:*", f"(FLAGS) (CHANGEDSINCE {new_highest} VANISHED)")
changed = fetches(data)
ok(list(changed) == [3] and changed[3][0] == set(), f"UID FETCH CHANGEDSINCE {new_highest}: {changed}")

# STORE (UNCHANGEDSINCE): refused for a message changed since.
typ, data = m.uid("STORE", "3", f"(UNCHANGEDSINCE {new_highest}) +FLAGS", "(\\Seen)")
modified = code(m, "MODIFIED")
ok(typ == "OK" and modified == b"3", f"UNCHANGEDSINCE {new_highest}: MODIFIED {modified}")
m.logout()
print("QRESYNC OK")
