//! CONTEXT=SEARCH / CONTEXT=SORT (RFC 5267 §4) with a second connection changing the mailbox:
//! the first one's live searches report ADDTO/REMOVEFROM at NOOP and while IDLE
//! (`transcripts/context.txt` has the single-connection cases, checked against Dovecot 2.3).

use crate::support::TestServer;

fn has(lines: &[String], want: &str) -> bool {
    lines.iter().any(|l| l == &format!("{want}\r\n"))
}

#[test]
fn another_connection_changes_live_searches() {
    let server = TestServer::start(|_| {});
    crate::support::fixture_inbox(&server.store("alice"));
    let mut a = server.login("alice");
    let mut b = server.login("alice");
    a.command("a1", "SELECT INBOX");
    b.command("b1", "SELECT INBOX");
    // INBOX: 1 seen, 2 and 3 unseen; subjects Quarterly report, Re: Quarterly report, Straße party.
    let r = a.command("s1", "SEARCH RETURN (UPDATE) UNSEEN");
    assert_eq!(
        r,
        ["* ESEARCH (TAG \"s1\")\r\n", "s1 OK SEARCH completed\r\n"]
    );
    let r = a.command("s2", "UID SORT RETURN (UPDATE ALL) (SUBJECT) UTF-8 ALL");
    assert_eq!(r[0], "* ESEARCH (TAG \"s2\") UID ALL 1:3\r\n");

    // A delivery by the other connection, noticed at NOOP: after EXISTS, an ADDTO per search
    // (the sort's at the place the new subject takes).
    let msg = "Subject: Aardvark\r\n\r\nnew\r\n";
    let r = b.command("b2", &format!("APPEND INBOX {{{}+}}\r\n{msg}", msg.len()));
    assert!(r.last().unwrap().starts_with("b2 OK"), "{r:?}");
    let r = a.command("a2", "NOOP");
    let exists = r
        .iter()
        .position(|l| l == "* 4 EXISTS\r\n")
        .expect("EXISTS");
    let added = r
        .iter()
        .position(|l| l == "* ESEARCH (TAG \"s1\") ADDTO (0 4)\r\n")
        .unwrap_or_else(|| panic!("{r:?}"));
    assert!(exists < added, "{r:?}");
    assert!(has(&r, "* ESEARCH (TAG \"s2\") UID ADDTO (1 4)"), "{r:?}");

    // A flag change by the other connection while IDLE: the message leaves the UNSEEN result.
    a.send(b"a3 IDLE\r\n");
    assert_eq!(a.line(), "+ idling\r\n");
    let r = b.command("b3", "STORE 4 +FLAGS (\\Seen)");
    assert!(r.last().unwrap().starts_with("b3 OK"), "{r:?}");
    a.wait_for("* ESEARCH (TAG \"s1\") REMOVEFROM (0 4)");
    a.send(b"DONE\r\n");
    a.wait_for("a3 OK IDLE terminated");

    // A message dropped into new/ by an MDA, then an expunge by the other connection.
    let new = server.home("alice").join("Maildir/new/1704900000.M1P1.mda");
    std::fs::write(&new, "Subject: Zebra\r\n\r\nz\r\n").unwrap();
    let r = a.command("a4", "NOOP");
    assert!(has(&r, "* 5 EXISTS"), "{r:?}");
    assert!(has(&r, "* ESEARCH (TAG \"s1\") ADDTO (0 5)"), "{r:?}");
    assert!(has(&r, "* ESEARCH (TAG \"s2\") UID ADDTO (5 5)"), "{r:?}");
    b.command("b4", "NOOP");
    let r = b.command("b5", "STORE 2 +FLAGS (\\Deleted)");
    assert!(r.last().unwrap().starts_with("b5 OK"), "{r:?}");
    let r = b.command("b6", "EXPUNGE");
    assert!(r.last().unwrap().starts_with("b6 OK"), "{r:?}");
    let r = a.command("a5", "NOOP");
    // The removals come before the EXPUNGE, with the sequence numbers the client still has.
    let removed = r
        .iter()
        .position(|l| l == "* ESEARCH (TAG \"s1\") REMOVEFROM (0 2)\r\n")
        .unwrap_or_else(|| panic!("{r:?}"));
    let expunge = r
        .iter()
        .position(|l| l == "* 2 EXPUNGE\r\n")
        .expect("EXPUNGE");
    assert!(removed < expunge, "{r:?}");
    // UID 2 (Re: Quarterly report) was third in the sort (Aardvark, Quarterly report, Re: …).
    assert!(
        has(&r, "* ESEARCH (TAG \"s2\") UID REMOVEFROM (3 2)"),
        "{r:?}"
    );

    // Cancelled: no more updates for s1; s2 still runs.
    let r = a.command("a6", "CANCELUPDATE \"s1\"");
    assert_eq!(r.last().unwrap(), "a6 OK Updates cancelled\r\n");
    let r = b.command("b7", "STORE 1 -FLAGS (\\Seen)");
    assert!(r.last().unwrap().starts_with("b7 OK"), "{r:?}");
    let r = a.command("a7", "NOOP");
    assert!(!r.iter().any(|l| l.contains("ESEARCH")), "{r:?}");
    let r = a.command("a8", "CANCELUPDATE \"s1\"");
    assert_eq!(r.last().unwrap(), "a8 NO Unknown tag\r\n");
}

/// Broken CONTEXT arguments are BAD and leave the connection usable.
#[test]
fn malformed_context_arguments_are_bad() {
    let server = TestServer::start(|_| {});
    let mut a = server.login("alice");
    a.command("a0", "SELECT INBOX");
    for (i, cmd) in [
        "SEARCH RETURN (PARTIAL) ALL",
        "SEARCH RETURN (PARTIAL 1) ALL",
        "SEARCH RETURN (PARTIAL 0:1) ALL",
        "SEARCH RETURN (PARTIAL 1:4294967296) ALL",
        "SEARCH RETURN (PARTIAL 1:2 ALL) ALL",
        "SEARCH RETURN (UPDATE",
        "SORT RETURN (PARTIAL x:y) (SUBJECT) UTF-8 ALL",
        "CANCELUPDATE",
        "CANCELUPDATE s1",
        "CANCELUPDATE \"s1",
    ]
    .iter()
    .enumerate()
    {
        a.assert_bad(&format!("x{i}"), cmd);
    }
    let r = a.command("z", "NOOP");
    assert_eq!(r.last().unwrap(), "z OK NOOP completed\r\n");
}
