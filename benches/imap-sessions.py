#!/usr/bin/env python3
"""imap-sessions.py — what IMAP sessions on a large mailbox cost a running server, in memory and time.

Usage: benches/imap-sessions.py HOST:PORT USER PASSWORD PID [SESSIONS] [MAILBOX]

PID is the server's process (its /proc/PID/status is read: VmRSS, RssAnon, VmHWM). Opens
SESSIONS (default 3) sessions one after the other, each SELECTing MAILBOX (default INBOX), and
prints the server's memory after each; then, in the first session, the commands a webmail sends
(STATUS, UID SEARCH ALL and UNSEEN, FETCH 1:* (UID FLAGS), a page of headers, SORT of a page and
of the whole mailbox by date (twice) and by subject, TEXT and header searches, a STORE and the NOOP that follows, undone), with each round trip and
the memory after it; then logs every session out. Prints Markdown. Works against any IMAP server
on this machine (mailfts, Dovecot), so two can be measured in one run.

Example (a mailfts daemon serving the generated 1M home):
    printf 'pw\\n' | mailfts user add --passwd /tmp/pw --user g1 --home /tmp/gen1m
    mailfts serve --passwd /tmp/pw --imap-listen 127.0.0.1:11994 --imap-allow-plaintext &
    benches/imap-sessions.py 127.0.0.1:11994 g1 pw $(pgrep -f 'imap-listen 127.0.0.1:11994') 3
"""
import imaplib
import sys
import time

# FETCH 1:* of a large mailbox answers in one response of many megabytes
imaplib._MAXLINE = 1 << 30


def memory(pid):
    """(VmRSS, RssAnon, VmHWM) of the process, in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else "0"
    mb = lambda k: int(fields.get(k, "0")) // 1024
    return mb("VmRSS"), mb("RssAnon"), mb("VmHWM")


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 1
    host, port = sys.argv[1].rsplit(":", 1)
    user, password, pid = sys.argv[2], sys.argv[3], sys.argv[4]
    sessions = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    mailbox = sys.argv[6] if len(sys.argv) > 6 else "INBOX"

    print("| step | answer | seconds | RSS MB | anonymous MB | peak MB |")
    print("|---|---|---:|---:|---:|---:|")

    def row(step, answer, seconds):
        rss, anon, peak = memory(pid)
        print(f"| {step} | {answer} | {seconds:.3f} | {rss} | {anon} | {peak} |", flush=True)

    row("before", "", 0.0)
    clients = []
    for i in range(sessions):
        c = imaplib.IMAP4(host, int(port))
        c.login(user, password)
        t = time.time()
        typ, data = c.select(mailbox)
        row(f"session {i + 1}: SELECT {mailbox}", f"{typ} {data[0].decode()} messages", time.time() - t)
        clients.append(c)

    c = clients[0]
    steps = [
        ("STATUS", lambda: c.status(mailbox, "(MESSAGES UNSEEN RECENT UIDNEXT)")),
        ("UID SEARCH ALL", lambda: c.uid("SEARCH", None, "ALL")),
        ("UID SEARCH UNSEEN", lambda: c.uid("SEARCH", None, "UNSEEN")),
        ("FETCH 1:* (UID FLAGS)", lambda: c.fetch("1:*", "(UID FLAGS)")),
        (
            "UID FETCH 1:60 (headers of a page)",
            lambda: c.uid(
                "FETCH",
                "1:60",
                "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])",
            ),
        ),
        ("UID SORT (REVERSE ARRIVAL) of 200", lambda: c.uid("SORT", "(REVERSE ARRIVAL)", "UTF-8", "UID 1:200")),
        ("UID SORT (REVERSE DATE) UTF-8 ALL", lambda: c.uid("SORT", "(REVERSE DATE)", "UTF-8", "ALL")),
        ("UID SORT (REVERSE DATE) UTF-8 ALL, again", lambda: c.uid("SORT", "(REVERSE DATE)", "UTF-8", "ALL")),
        ("UID SORT (SUBJECT) UTF-8 ALL", lambda: c.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")),
        ("UID SEARCH TEXT example", lambda: c.uid("SEARCH", None, "TEXT example")),
        ("UID SEARCH OR SUBJECT x FROM x", lambda: c.uid("SEARCH", None, "OR SUBJECT report FROM report")),
        ("UID STORE 5 +FLAGS (\\Flagged)", lambda: c.uid("STORE", "5", "+FLAGS", "(\\Flagged)")),
        ("NOOP", lambda: c.noop()),
        ("UID STORE 5 -FLAGS (\\Flagged)", lambda: c.uid("STORE", "5", "-FLAGS", "(\\Flagged)")),
        ("NOOP", lambda: c.noop()),
    ]
    for name, step in steps:
        t = time.time()
        typ, data = step()
        seconds = time.time() - t
        count = ""
        if name.startswith(("UID SEARCH", "UID SORT")) and data and data[0] is not None:
            count = f" {len(data[0].split())} UIDs"
        elif name.startswith("FETCH 1:*"):
            count = f" {len(data)} lines"
        row(f"session 1: {name}", f"{typ}{count}", seconds)

    for c in clients:
        c.logout()
    time.sleep(1)
    row("all sessions logged out", "", 0.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
