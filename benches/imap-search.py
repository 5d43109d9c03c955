#!/usr/bin/env python3
"""imap-search.py — round trips of IMAP `UID SEARCH` against a running IMAP server.

Usage: benches/imap-search.py HOST:PORT USER PASSWORD QUERYFILE [RUNS]

Logs in (plain LOGIN, for a loopback server), SELECTs INBOX, then for every query of
QUERYFILE (one IMAP search program per line, '#' comments and blank lines skipped) sends one
untimed warm-up `UID SEARCH` and RUNS (default 20) timed ones; prints a Markdown table with the
hit count, median and maximum round trip in milliseconds. Works against mailfts and Dovecot
alike, so both can be measured in one run with the same file.

Example (mailfts on a linux-usb 20k home):
    printf 'secret\n' | mailfts user add --passwd /tmp/pw --user u --home /tmp/lu20k
    mailfts imap --listen 127.0.0.1:11143 --passwd /tmp/pw --allow-plaintext &
    benches/imap-search.py 127.0.0.1:11143 u secret benches/queries-imap-words.txt
"""
import imaplib
import statistics
import sys
import time


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 1
    host, port = sys.argv[1].rsplit(":", 1)
    user, password, qfile = sys.argv[2], sys.argv[3], sys.argv[4]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    queries = [
        line.strip()
        for line in open(qfile, encoding="utf-8")
        if line.strip() and not line.lstrip().startswith("#")
    ]
    imap = imaplib.IMAP4(host, int(port))
    imap.login(user, password)
    typ, _ = imap.select("INBOX", readonly=True)
    if typ != "OK":
        print("SELECT INBOX failed", file=sys.stderr)
        return 1
    print(f"| query | hits | median ms | max ms |  (UID SEARCH round trips, {runs} runs after a warm-up)")
    print("|---|---:|---:|---:|")
    for q in queries:
        typ, data = imap.uid("SEARCH", q)
        if typ != "OK":
            print(f"| `{q}` | {typ} {data} | | |")
            continue
        hits = len(data[0].split()) if data and data[0] else 0
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            imap.uid("SEARCH", q)
            times.append((time.perf_counter() - t) * 1000)
        print(f"| `{q}` | {hits} | {statistics.median(times):.2f} | {max(times):.2f} |")
    imap.logout()
    return 0


if __name__ == "__main__":
    sys.exit(main())
