"""What the imaplib client scripts of the server tests share: their arguments, the step check and
the login (imported from the scripts' own directory)."""
import imaplib
import ssl
import sys


def args():
    """(host, port, user, password, starttls) from `SCRIPT HOST PORT USER PASSWORD [--starttls]`."""
    return sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], "--starttls" in sys.argv


def ok(cond, what):
    """Prints `ok: what`, or ends the script with `FAILED: what` (exit status 1)."""
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def connect(host, port, user, password, starttls=False):
    """A logged-in imaplib connection (STARTTLS first when asked, certificate not checked: the
    tests' servers use a self-signed one)."""
    m = imaplib.IMAP4(host, port, timeout=10)
    if starttls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        m.starttls(ssl_context=ctx)
    m.login(user, password)
    return m
