#!/usr/bin/env python3
"""imap-flag-changes.py — what 20 flag changes on a large mailbox cost a running IMAP server.

Usage: benches/imap-flag-changes.py PID PORT [USER PASSWORD MAILBOX]   (default g1 pw INBOX)

PID is the server's process. Logs in on 127.0.0.1:PORT, selects MAILBOX, waits 3 s, then sets and
clears \\Flagged on UIDs 100-109 (20 STOREs, each a file rename) and waits 4 s more (what the
server does after the changes: a daemon's watcher and indexing workers); prints the wall time of
the STOREs and the CPU seconds the server used (user + system, /proc/PID/stat) over both.
"""
import imaplib
import sys
import time

pid, port = sys.argv[1], int(sys.argv[2])
user, password, mailbox = (sys.argv[3:6] + ["g1", "pw", "INBOX"][len(sys.argv[3:6]):])
def cpu():
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
c = imaplib.IMAP4('127.0.0.1', port); c.login(user, password); c.select(mailbox)
time.sleep(3); c0 = cpu(); t = time.time()
for i in range(10):
    c.uid('STORE', str(100 + i), '+FLAGS', '(\\Flagged)')
for i in range(10):
    c.uid('STORE', str(100 + i), '-FLAGS', '(\\Flagged)')
wall = time.time() - t
time.sleep(4)
print(f'20 STOREs: {wall:.2f} s wall; daemon CPU {cpu() - c0:.2f} s (STOREs and the 4 s after)')
c.logout()
