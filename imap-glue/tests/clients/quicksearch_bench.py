#!/usr/bin/env python3
"""Round-trip times of Roundcube-style quick searches over IMAP (one connection, warm).

usage: quicksearch_bench.py HOST PORT USER PASSWORD [RUNS] [MAILBOX]

For each query: one warm-up, then RUNS timed runs of the command alone (send to tagged OK);
prints hits, median and max in milliseconds. The queries are Roundcube's quick search
(`UID SEARCH RETURN (ALL) CHARSET UTF-8 OR HEADER SUBJECT x HEADER FROM x`, subject+from), its
body variant, and the message-list sort.
"""
import imaplib
import statistics
import sys
import time

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = int(sys.argv[5]) if len(sys.argv) > 5 else 20
mailbox = sys.argv[6] if len(sys.argv) > 6 else "INBOX"

m = imaplib.IMAP4(host, port)
m.login(user, password)
typ, data = m.select(mailbox, readonly=True)  # EXAMINE: leaves new/ as it is
print(f"{mailbox}: {data[0].decode()} messages")

def quick(word):
    return f"UID SEARCH RETURN (ALL) CHARSET UTF-8 OR HEADER SUBJECT {word} HEADER FROM {word}"

queries = [
    quick("xhci"),
    quick("gadget"),
    quick("greg"),
    quick("dwc3"),
    quick("syzbot"),
    "UID SEARCH RETURN (ALL) CHARSET UTF-8 OR OR HEADER SUBJECT deadlock HEADER FROM deadlock BODY deadlock",
    "UID SEARCH RETURN (ALL) CHARSET UTF-8 BODY xhci",
    "UID SEARCH RETURN (COUNT) CHARSET UTF-8 TEXT gadget",
    "UID SORT (REVERSE DATE) UTF-8 ALL",
    "UID SORT (REVERSE DATE) UTF-8 OR HEADER SUBJECT xhci HEADER FROM xhci",
]

sock = m.socket()
tagn = 0

def run(cmd):
    global tagn
    tagn += 1
    tag = f"B{tagn}".encode()
    t = time.perf_counter()
    sock.sendall(tag + b" " + cmd.encode() + b"\r\n")
    buf = b""
    lines = []
    while True:
        while b"\r\n" not in buf:
            buf += sock.recv(1 << 20)
        line, buf = buf.split(b"\r\n", 1)
        lines.append(line)
        if line.startswith(tag + b" "):
            break
    dt = (time.perf_counter() - t) * 1000
    assert lines[-1].startswith(tag + b" OK"), lines[-1]
    return dt, lines

print(f"{'command':<110} {'hits':>6} {'first ms':>9} {'median ms':>9} {'max ms':>8}")
for q in queries:
    first, lines = run(q)
    hits = "?"
    for l in lines:
        s = l.decode(errors="replace")
        if s.startswith("* ESEARCH"):
            if " COUNT " in s:
                hits = s.split(" COUNT ")[1].split()[0]
            elif " ALL " in s:
                hits = sum(
                    (int(b) - int(a) + 1) if ":" in r else 1
                    for r in s.split(" ALL ")[1].split(",")
                    for a, b in [r.split(":") if ":" in r else (r, r)]
                )
            else:
                hits = 0
        elif s.startswith("* SEARCH") or s.startswith("* SORT"):
            hits = len(s.split()) - 2
    times = [run(q)[0] for _ in range(runs)]
    print(f"{q:<110} {hits:>6} {first:>9.2f} {statistics.median(times):>9.2f} {max(times):>8.2f}")
m.logout()
