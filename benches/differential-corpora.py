#!/usr/bin/env python3
"""differential-corpora.py — index against scan on a real Maildir, with random searches drawn from it.

Usage: benches/differential-corpora.py HOME [--index DIR] [--queries N] [--seed S]
                                        [--mode any|sep|hdr|meta] [--bin MAILFTS]
                                        [--imap HOST:PORT --user U --password P]

HOME is a home (mail in HOME/Maildir, INBOX only: the files of HOME/Maildir/cur), already indexed
by `mailfts rescan --home HOME [--index DIR]`. Each search is run twice by whole `mailfts search`
processes, through the index and with `--scan` (IMAP's answer by the linear scan); any difference
is printed with the UIDs on either side only. With `--imap HOST:PORT --user U --password P` the
indexed answer comes from that IMAP server instead (`UID SEARCH CHARSET UTF-8`, every string a
literal), the home being the user's. Exit 1 when any search differed, 2 on a failed run.

Searches are drawn with the seed S from the messages themselves (Python's `email` package decodes
them; what it reads differently from mailfts only makes the string miss, never the check wrong):
  any  a substring of 1-30 characters anywhere in the header block, a text part or an address or
       subject field, as TEXT, BODY, SUBJECT, FROM, TO or CC; some upper-cased, some under NOT,
       some OR-ed with a common word
  sep  1-12 characters either side of a space, `: ` or `-` of those texts (word pairs, chains)
  hdr  HEADER NAME "x" on a random field of the raw header block, a piece of its value
  meta SENTON/SENTBEFORE/SENTSINCE around the day of the message's `Date` field, LARGER/SMALLER
       around its RFC822.SIZE (the index's fast fields against the scan's parse)

The project's own tests do this on generated homes (query/tests/differential.rs); this is the extra
run on real mail (../shared/corpora; see its README for unpacking, and extraction-corpora.sh for
turning the mbox-style suites into a Maildir). Runs found: a mail-parser date bug that lost the
first paragraph of 2 SpamAssassin messages from the index (schema 14).
"""

import argparse
import email
import email.policy
import json
import os
import random
import re
import subprocess
import sys


def texts_of(raw):
    """(kind, text) pairs of a message: its raw header block, decoded text parts and fields."""
    head = raw.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    out = [("headers", head)]
    try:
        m = email.message_from_bytes(raw, policy=email.policy.default)
        for part in m.walk():
            if part.get_content_maintype() == "text":
                try:
                    out.append(("body", part.get_content()))
                except Exception:  # undecodable part: no text from it
                    pass
        for field in ("subject", "from", "to", "cc"):
            value = m.get(field)
            if value:
                out.append((field, str(value)))
    except Exception:  # unparsable for Python: its raw bytes only
        out.append(("body", raw.decode("utf-8", "replace")))
    return [(k, t) for k, t in out if t.strip()]


def quoted(s):
    s = "".join(c for c in s if c >= " " and c != "\x7f")
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


KEY_OF = {"headers": ["TEXT"], "body": ["TEXT", "BODY"], "subject": ["SUBJECT"],
          "from": ["FROM"], "to": ["TO"], "cc": ["CC"]}


def draw(rnd, mode, raw):
    """One search program (a list of words for `mailfts search`), or None to draw again."""
    if mode == "meta":
        return meta_program(rnd, raw)
    if mode == "hdr":
        head = raw.split(b"\n\n", 1)[0].decode("utf-8", "replace")
        fields = [l for l in head.split("\n") if ":" in l and not l[:1].isspace()]
        if not fields:
            return None
        name, value = rnd.choice(fields).split(":", 1)
        name, value = name.strip(), value.strip()
        if not name or not value or re.search(r'[\s"\\(){%*\]]', name):
            return None
        at = rnd.randrange(len(value))
        s = value[at:at + rnd.choice([1, 2, 3, 5, 8, 13])]
        program = [f"HEADER {name} {quoted(s.upper() if rnd.random() < 0.3 else s)}"]
        return ["NOT"] + program if rnd.random() < 0.2 else program
    texts = texts_of(raw)
    if not texts:
        return None
    kind, text = rnd.choice(texts)
    if mode == "sep":
        seps = [m.start() for m in re.finditer(r"(: | |-)", text)]
        if not seps:
            return None
        at = rnd.choice(seps)
        s = text[max(0, at - rnd.randint(1, 12)):at + rnd.randint(1, 12) + 2]
    else:
        at = rnd.randrange(len(text))
        s = text[at:at + rnd.choice([1, 2, 3, 4, 5, 6, 8, 10, 14, 20, 30])]
        if not s.strip() and rnd.random() < 0.8:
            return None
    if rnd.random() < 0.3:
        s = s.upper()
    program = [f"{rnd.choice(KEY_OF[kind])} {quoted(s)}"]
    return wrapped(rnd, program)


def wrapped(rnd, program):
    """`program` as it is, or (one in five) under NOT, or (one in ten) OR-ed with a common word."""
    r = rnd.random()
    if r < 0.2:
        return ["NOT"] + program
    if r < 0.3:
        return ["OR"] + program + [f"BODY {rnd.choice(['usb', 'the', 'patch', 'x'])}"]
    return program


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def meta_program(rnd, raw):
    """SENTON/SENTBEFORE/SENTSINCE on the day the message's `Date` field names (as written, or a
    day off), or LARGER/SMALLER around its size; some under NOT or OR-ed with a word."""
    if rnd.random() < 0.5:
        m = re.search(rb"^Date:[^\n]*?(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})", raw, re.M | re.I)
        if not m:
            return None
        day, month, year = int(m.group(1)), m.group(2).decode().title(), int(m.group(3))
        if month not in MONTHS or not 1 <= day <= 31:
            return None
        # two-digit years as RFC 5322 4.3 reads them (`02` 2002, `99` 1999); the year 0102 of
        # old Y2K-broken mailers as 2002 (the query needs a valid date; the message's is not)
        year = year + 2000 if year < 50 else year + 1900 if year < 1000 else year
        day = min(28, max(1, day + rnd.choice([-1, 0, 0, 1])))
        program = [f"{rnd.choice(['SENTON', 'SENTBEFORE', 'SENTSINCE'])} {day}-{month}-{year}"]
    else:
        # RFC822.SIZE: line ends counted as CRLF
        size = len(raw) + raw.count(b"\n") - raw.count(b"\r\n")
        program = [f"{rnd.choice(['LARGER', 'SMALLER'])} {max(0, size + rnd.choice([-2, -1, 0, 1, 2]))}"]
    return wrapped(rnd, program)


class ImapSearcher:
    """Sends programs as `UID SEARCH CHARSET UTF-8` to an IMAP server (every quoted string as a
    `LITERAL+` literal of its UTF-8 bytes), on INBOX selected read-only."""

    def __init__(self, address, user, password):
        import imaplib
        host, port = address.rsplit(":", 1)
        self.conn = imaplib.IMAP4(host, int(port))
        self.conn.login(user, password)
        self.conn.select("INBOX", readonly=True)

    def uids(self, program):
        literals = []

        def to_literal(m):
            text = re.sub(r"\\(.)", r"\1", m.group(1)).encode()
            literals.append(text)
            return "\0"

        atoms = re.sub(r'"((?:[^"\\]|\\.)*)"', to_literal, " ".join(program)).split("\0")
        tag = self.conn._new_tag()
        line = tag + b" UID SEARCH CHARSET UTF-8 " + atoms[0].encode()
        for text, rest in zip(literals, atoms[1:]):
            line += b"{%d+}\r\n" % len(text) + text + rest.encode()
        self.conn.send(line + b"\r\n")
        found = set()
        while True:
            reply = self.conn.readline()
            if reply.startswith(b"* SEARCH"):
                found |= {int(u) for u in reply.split()[2:]}
            elif reply.startswith(tag):
                if not reply[len(tag):].startswith(b" OK"):
                    print(f"FAILED {program}: {reply!r}", flush=True)
                    sys.exit(2)
                return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("home")
    ap.add_argument("--index")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mode", choices=["any", "sep", "hdr", "meta"], default="any")
    ap.add_argument("--imap", metavar="HOST:PORT",
                    help="ask this IMAP server (mailfts imap/serve) for the indexed answer")
    ap.add_argument("--user", help="IMAP login (with --imap)")
    ap.add_argument("--password", help="IMAP password (with --imap)")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bin", default=os.path.join(here, "..", "target", "release", "mailfts"))
    a = ap.parse_args()
    base = [a.bin, "search", "--home", a.home, "--json"] + (["--index", a.index] if a.index else [])

    def uids(program):
        r = subprocess.run(base + program, capture_output=True, text=True)
        if r.returncode not in (0, 1):
            print(f"FAILED {program}: exit {r.returncode}: {r.stderr[-400:]}", flush=True)
            sys.exit(2)
        return set(json.loads(r.stdout)[0]["uids"])

    indexed = ImapSearcher(a.imap, a.user, a.password).uids if a.imap else uids
    rnd = random.Random(a.seed)
    cur = os.path.join(a.home, "Maildir", "cur")
    files = sorted(os.listdir(cur))
    done = differ = 0
    while done < a.queries:
        with open(os.path.join(cur, rnd.choice(files)), "rb") as f:
            program = draw(rnd, a.mode, f.read())
        if program is None:
            continue
        done += 1
        index, scan = indexed(program), uids(["--scan"] + program)
        if index != scan:
            differ += 1
            print(f"DIFFERS {' '.join(program)}: index {len(index)}, scan {len(scan)}; "
                  f"only index {sorted(index - scan)[:10]}, only scan {sorted(scan - index)[:10]}",
                  flush=True)
        if done % 100 == 0:
            print(f"{done} searches, {differ} differ", file=sys.stderr, flush=True)
    print(f"{a.mode}: {done} searches (seed {a.seed}), {differ} differ from the scan")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
