#!/usr/bin/env python3
"""A Python imaplib session against a running `mailfts imap`.

usage: imaplib_session.py HOST PORT USER PASSWORD [--starttls]

Expects the three fixture messages of the Rust tests in INBOX (UIDs 1-3). Covers login, list,
select, BINARY fetch, search (with a UTF-8 literal), sort, thread, fetch, append, store, expunge and idle.
Prints one line per step and "IMAPLIB OK" at the end; any failure raises (exit status 1).
"""
import imaplib
import time

from clientlib import args, ok
from clientlib import connect as login

host, port, user, password, starttls = args()


def connect():
    return login(host, port, user, password, starttls)


m = connect()
ok("IDLE" in m.capabilities and "UIDPLUS" in m.capabilities, f"capabilities {m.capabilities}")
extensions = ("BINARY", "CONTEXT=SEARCH", "CONTEXT=SORT", "NOTIFY")
ok(all(c in m.capabilities for c in extensions), f"capabilities {extensions}")
# BINARY (RFC 3516) through imaplib's literal handling: part 1 of message 3 is "Come over."
typ, _ = m.select("INBOX", readonly=True)
typ, data = m.uid("FETCH", "3", "(BINARY.PEEK[1] BINARY.SIZE[1])")
ok(typ == "OK" and data[0][1] == b"Come over." and b"BINARY.SIZE[1] 10" in data[1], f"binary {data}")
typ, boxes = m.list()
ok(typ == "OK" and any(b'"INBOX"' in b for b in boxes), f"list {boxes}")
typ, data = m.select("INBOX")
ok(data == [b"3"], f"select {data}")

typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT", "report")
ok(data == [b"1 2"], f"uid search {data}")
m.literal = "GRÜßE".encode()
typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "BODY")
ok(data == [b"2"], f"uid search with a UTF-8 literal {data}")
typ, data = m.uid("SORT", "(REVERSE DATE)", "UTF-8", "ALL")
ok(data == [b"2 1 3"], f"uid sort {data}")
typ, data = m.uid("THREAD", "REFERENCES", "UTF-8", "ALL")
ok(data == [b"(3)(1 2)"], f"uid thread {data}")
typ, data = m.uid("FETCH", "1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
ok(typ == "OK" and b"Subject: Quarterly report" in data[0][1], f"fetch {data}")

msg = b"From: py@example.org\r\nSubject: from python\r\n\r\nhello from imaplib\r\n"
typ, data = m.append("INBOX", "(\\Seen)", imaplib.Time2Internaldate(time.time()), msg)
ok(typ == "OK" and b"APPENDUID" in data[0], f"append {data}")
new_uid = data[0].split(b"]")[0].split()[-1].decode()
typ, data = m.uid("SEARCH", "BODY", "imaplib")
ok(data == [new_uid.encode()], f"appended message found {data}")
typ, data = m.uid("STORE", new_uid, "+FLAGS", "(\\Deleted)")
ok(typ == "OK" and b"\\Deleted" in data[0], f"store {data}")
typ, data = m.expunge()
ok(data == [b"4"], f"expunge {data}")

# IDLE: a second connection appends; the idling one hears EXISTS.
tag = b"I1"
m.send(tag + b" IDLE\r\n")
ok(m.readline() == b"+ idling\r\n", "idle started")
other = connect()
other.append("INBOX", None, None, b"Subject: during idle\r\n\r\nx\r\n")
other.logout()
line = m.readline()
ok(line == b"* 4 EXISTS\r\n", f"idle update {line}")
line = m.readline()
# The idling session is the first to see the appended message: it is \Recent there (Dovecot 2.3
# answers the same; see transcripts/conformance.txt, s4).
ok(line == b"* 1 RECENT\r\n", f"idle recent {line}")
m.send(b"DONE\r\n")
line = m.readline()
ok(line.startswith(tag + b" OK"), f"idle done {line}")

typ, data = m.noop()
ok(typ == "OK", "noop")
m.logout()
print("IMAPLIB OK")
