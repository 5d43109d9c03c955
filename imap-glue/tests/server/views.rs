//! A session's selected mailbox follows what other sessions do to it: several expunges and a flag
//! change arrive in one `NOOP`, with sequence numbers that stay valid from one response to the
//! next, and the session's record of what it told the client follows the messages it keeps.

use mailfts_store::Flags;

use crate::support::{Client, TestServer};

/// `command` with the line ends cut off.
fn cmd(c: &mut Client, tag: &str, text: &str) -> Vec<String> {
    c.command(tag, text)
        .into_iter()
        .map(|l| l.trim_end().to_owned())
        .collect()
}

#[test]
fn expunges_and_flag_changes_by_another_session_arrive_in_order() {
    let server = TestServer::start(|_| {});
    let inbox = server.store("alice").mailbox("INBOX").unwrap();
    for i in 1..=7 {
        let raw =
            format!("Subject: message {i}\r\nMessage-ID: <v{i}@example.org>\r\n\r\nbody {i}\r\n");
        let keywords: &[&str] = if i == 6 { &["$Label1"] } else { &[] };
        inbox
            .save(raw.as_bytes(), Flags::SEEN, keywords, None)
            .unwrap();
    }
    let mut a = server.login("alice");
    let mut b = server.login("alice");
    let sel = cmd(&mut a, "a1", "SELECT INBOX");
    assert!(sel.contains(&"* 7 EXISTS".to_string()), "{sel:?}");
    cmd(&mut b, "b1", "SELECT INBOX");

    // b: 2, 4 and 5 expunged; 6 loses its keyword, 7 is flagged
    let r = cmd(&mut b, "b2", "STORE 2,4:5 +FLAGS.SILENT (\\Deleted)");
    assert_eq!(r, ["b2 OK STORE completed"]);
    let r = cmd(&mut b, "b3", "EXPUNGE");
    assert_eq!(
        r,
        [
            "* 5 EXPUNGE",
            "* 4 EXPUNGE",
            "* 2 EXPUNGE",
            "b3 OK EXPUNGE completed"
        ]
    );
    cmd(&mut b, "b4", "STORE 3 -FLAGS.SILENT ($Label1)");
    cmd(&mut b, "b5", "STORE 4 +FLAGS.SILENT (\\Flagged)");

    // a hears of all of it in one NOOP: the expunges from the highest down, then the flags of
    // messages 6 and 7 at their new positions 3 and 4
    let r = cmd(&mut a, "a2", "NOOP");
    assert_eq!(
        r,
        [
            "* 5 EXPUNGE",
            "* 4 EXPUNGE",
            "* 2 EXPUNGE",
            "* 3 FETCH (FLAGS (\\Seen))",
            "* 4 FETCH (FLAGS (\\Seen \\Flagged))",
            "a2 OK NOOP completed",
        ]
    );
    // nothing more to tell, and the view is the mailbox
    assert_eq!(cmd(&mut a, "a3", "NOOP"), ["a3 OK NOOP completed"]);
    let r = cmd(&mut a, "a4", "FETCH 1:* (UID FLAGS)");
    assert_eq!(
        r,
        [
            "* 1 FETCH (UID 1 FLAGS (\\Seen))",
            "* 2 FETCH (UID 3 FLAGS (\\Seen))",
            "* 3 FETCH (UID 6 FLAGS (\\Seen))",
            "* 4 FETCH (UID 7 FLAGS (\\Seen \\Flagged))",
            "a4 OK FETCH completed",
        ]
    );
    // a change a itself makes is not told again
    let r = cmd(&mut a, "a5", "STORE 1 +FLAGS.SILENT (\\Answered)");
    assert_eq!(r, ["a5 OK STORE completed"]);
    assert_eq!(cmd(&mut a, "a6", "NOOP"), ["a6 OK NOOP completed"]);
    let r = cmd(&mut b, "b6", "NOOP");
    assert_eq!(
        r,
        [
            "* 1 FETCH (FLAGS (\\Seen \\Answered))",
            "b6 OK NOOP completed"
        ]
    );
}
