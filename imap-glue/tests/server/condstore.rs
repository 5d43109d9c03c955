//! CONDSTORE/QRESYNC across sessions and processes: flag changes by another session or by another
//! agent renaming a Maildir file reach a CONDSTORE session with their MODSEQ, a QRESYNC session
//! with the UID too, and a later QRESYNC SELECT with VANISHED (EARLIER); mod-sequences survive a
//! server restart.

use crate::support::{fixture_inbox, Client, TestServer};

/// `command` with the line ends cut off.
fn cmd(c: &mut Client, tag: &str, text: &str) -> Vec<String> {
    c.command(tag, text)
        .into_iter()
        .map(|l| l.trim_end().to_owned())
        .collect()
}

/// The MODSEQ of `* n FETCH (… MODSEQ (m) …)`.
fn modseq_of(line: &str) -> u64 {
    let rest = &line[line.find("MODSEQ (").expect(line) + 8..];
    rest[..rest.find(')').unwrap()].parse().unwrap()
}

fn highest(lines: &[String]) -> u64 {
    let l = lines
        .iter()
        .find(|l| l.starts_with("* OK [HIGHESTMODSEQ "))
        .unwrap_or_else(|| panic!("no HIGHESTMODSEQ in {lines:?}"));
    l["* OK [HIGHESTMODSEQ ".len()..]
        .split(']')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn changes_by_others_arrive_with_their_modseq() {
    let server = TestServer::start(|_| {});
    fixture_inbox(&server.store("alice"));
    let mut a = server.login("alice");
    let mut b = server.login("alice");
    cmd(&mut a, "a1", "ENABLE CONDSTORE");
    let sel = cmd(&mut a, "a2", "SELECT INBOX");
    let h0 = highest(&sel);
    cmd(&mut b, "b1", "SELECT INBOX");

    // another session's STORE
    let r = cmd(&mut b, "b2", "STORE 1 -FLAGS (\\Seen)");
    assert_eq!(r.len(), 2, "{r:?}");
    let r = cmd(&mut a, "a3", "NOOP");
    assert!(r[0].starts_with("* 1 FETCH (MODSEQ ("), "{r:?}");
    assert!(r[0].ends_with(" FLAGS ())"), "{r:?}");
    let m1 = modseq_of(&r[0]);
    assert!(m1 > h0);

    // another agent renames a file in cur/ (as mutt or Dovecot would, to set \Flagged)
    let cur = server.home("alice").join("Maildir/cur");
    let file = std::fs::read_dir(&cur)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p).is_ok_and(|m| m.contains("Message-ID: <m1@example.org>"))
        })
        .expect("message 1");
    assert!(
        file.to_string_lossy().ends_with(":2,"),
        "no flags now: {file:?}"
    );
    let mut flagged = file.clone().into_os_string();
    flagged.push("F");
    std::fs::rename(&file, &flagged).unwrap();
    let r = cmd(&mut a, "a4", "NOOP");
    assert!(r[0].starts_with("* 1 FETCH (MODSEQ ("), "{r:?}");
    assert!(r[0].ends_with(" FLAGS (\\Flagged))"), "{r:?}");
    let m2 = modseq_of(&r[0]);
    assert!(m2 > m1);
    let r = cmd(&mut a, "a5", "FETCH 1:* (FLAGS) (CHANGEDSINCE 1)");
    assert_eq!(r.len(), 4, "every message changed after modseq 1: {r:?}");
    let r = cmd(
        &mut a,
        "a6",
        &format!("FETCH 1:* (FLAGS) (CHANGEDSINCE {m1})"),
    );
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        r[0].starts_with("* 1 FETCH (FLAGS (\\Flagged) MODSEQ ("),
        "{r:?}"
    );

    // a QRESYNC session: UID in unsolicited FETCH, VANISHED for an expunge by another session
    let mut q = server.login("alice");
    cmd(&mut q, "q1", "ENABLE QRESYNC");
    let sel = cmd(&mut q, "q2", "SELECT INBOX");
    let known = highest(&sel);
    let validity = sel
        .iter()
        .find_map(|l| l.strip_prefix("* OK [UIDVALIDITY "))
        .and_then(|l| l.split(']').next())
        .unwrap()
        .to_owned();
    cmd(&mut b, "b3", "STORE 2 +FLAGS (\\Deleted)");
    let r = cmd(&mut q, "q3", "NOOP");
    assert!(r[0].starts_with("* 2 FETCH (UID 2 MODSEQ ("), "{r:?}");
    cmd(&mut b, "b4", "EXPUNGE");
    let r = cmd(&mut q, "q4", "NOOP");
    assert_eq!(r[0], "* VANISHED 2", "{r:?}");
    let r = cmd(&mut a, "a7", "NOOP");
    assert_eq!(r[0], "* 2 EXPUNGE", "not VANISHED without QRESYNC: {r:?}");
    cmd(&mut b, "b5", "UID STORE 3 +FLAGS (\\Answered)");
    drop((a, b, q));

    // after a restart of the server on the same home, the modseqs go on
    let server = server.restart();
    let mut q = server.login("alice");
    cmd(&mut q, "q1", "ENABLE QRESYNC");
    let sel = cmd(
        &mut q,
        "q2",
        &format!("SELECT INBOX (QRESYNC ({validity} {known}))"),
    );
    assert!(highest(&sel) > known, "{sel:?}");
    assert!(
        sel.contains(&"* VANISHED (EARLIER) 2".to_string()),
        "{sel:?}"
    );
    assert!(
        !sel.iter().any(|l| l.contains("FETCH (UID 1 ")),
        "message 1 did not change after {known}: {sel:?}"
    );
    assert!(
        sel.iter()
            .any(|l| l.starts_with("* 2 FETCH (UID 3 FLAGS (\\Answered \\Flagged) MODSEQ (")),
        "message 3 changed after {known}: {sel:?}"
    );
}
