//! BINARY (RFC 3516) over a real connection: NUL bytes, which the C:/S: transcripts cannot hold
//! (`transcripts/binary.txt` has the rest, checked against Dovecot 2.3).

use crate::support::{fixture_inbox, TestServer};

/// A decoded part with a NUL byte comes as a literal8; APPEND takes a literal8 with a NUL byte,
/// BINARY gives it back as it is and BODY sends it as 0x80 (a NUL is not allowed in a literal),
/// as Dovecot 2.3.19 does (its answers to the same commands are in the comments).
#[test]
fn nul_bytes_travel_in_literal8_only() {
    let server = TestServer::start(|_| {});
    fixture_inbox(&server.store("alice"));
    let mut c = server.login("alice");
    // "QUIAQ0T/" is base64 for "AB\0CD\xff".
    let msg = "Subject: n\r\nContent-Type: application/octet-stream\r\n\
               Content-Transfer-Encoding: base64\r\n\r\nQUIAQ0T/\r\n";
    let r = c.command("a1", &format!("APPEND INBOX {{{}+}}\r\n{msg}", msg.len()));
    assert!(r.last().unwrap().starts_with("a1 OK [APPENDUID"), "{r:?}");
    // Dovecot: ~{19+} x\0y appended as UID 5.
    let r = c.command("a2", "APPEND INBOX ~{19+}\r\nSubject: n\r\n\r\nx\0y\r\n");
    assert!(r.last().unwrap().starts_with("a2 OK [APPENDUID"), "{r:?}");
    c.command("a3", "SELECT INBOX");
    // Dovecot: * 1 FETCH (BINARY[1] ~{6}\r\nAB\x00CD\xff)
    let r = c.command("a4", "FETCH 4 (BINARY.PEEK[1] BINARY.SIZE[1])");
    assert_eq!(
        r[0],
        "* 4 FETCH (BINARY[1] ~{6}\r\nAB\0CD\u{fffd} BINARY.SIZE[1] 6)\r\n"
    );
    // Dovecot: * 1 FETCH (BINARY[2]<1> ~{3}\r\nB\x00C)
    let r = c.command("a5", "FETCH 4 BINARY.PEEK[1]<1.3>");
    assert_eq!(r[0], "* 4 FETCH (BINARY[1]<1> ~{3}\r\nB\0C)\r\n");
    // Dovecot: * 9 FETCH (BINARY[1] ~{5}\r\nx\x00y\r\n BODY[TEXT] {5}\r\nx\x80y\r\n RFC822.TEXT …)
    let r = c.command(
        "a6",
        "FETCH 5 (BINARY.PEEK[1] BODY.PEEK[TEXT] BINARY.SIZE[])",
    );
    assert_eq!(
        r[0],
        "* 5 FETCH (BINARY[1] ~{5}\r\nx\0y\r\n BODY[TEXT] {5}\r\nx\u{fffd}y\r\n BINARY.SIZE[] 19)\r\n"
    );
    assert_eq!(r[1], "a6 OK FETCH completed\r\n");
    // A NUL in a message without a transfer encoding: still a literal8.
    let r = c.command("a7", "FETCH 5 BINARY.PEEK[]");
    assert!(r[0].starts_with("* 5 FETCH (BINARY[] ~{19}\r\n"), "{r:?}");
}

/// APPEND with a synchronizing literal8 gets the continuation, and the literal size limit holds
/// for literal8 as for literals (refused before any of it is read).
#[test]
fn append_literal8_keeps_the_size_limits() {
    let server = TestServer::start(|c| c.limits.max_literal = 1000);
    let mut c = server.login("alice");
    c.send(b"b1 APPEND INBOX ~{5}\r\n");
    assert_eq!(c.line(), "+ Ready for literal data\r\n");
    c.send(b"a\0b\r\n\r\n");
    let r = c.until_tagged("b1");
    assert!(r.last().unwrap().starts_with("b1 OK [APPENDUID"), "{r:?}");
    c.send(b"b2 APPEND INBOX ~{2000}\r\n");
    assert_eq!(c.line(), "b2 NO [TOOBIG] Literal too big\r\n");
    let r = c.command("b3", "NOOP");
    assert_eq!(r.last().unwrap(), "b3 OK NOOP completed\r\n");
}

/// Malformed BINARY items are BAD, never a dropped connection.
#[test]
fn malformed_binary_items_are_bad() {
    let server = TestServer::start(|_| {});
    fixture_inbox(&server.store("alice"));
    let mut c = server.login("alice");
    c.command("c0", "SELECT INBOX");
    for (i, item) in [
        "BINARY[",
        "BINARY[1",
        "BINARY[a]",
        "BINARY[1.]",
        "BINARY[1]<",
        "BINARY[1]<1.0>",
        "BINARY.SIZE[1]<0.1>",
        "BINARY.PEEK[HEADER]",
        "BINARY[99999999999]",
    ]
    .iter()
    .enumerate()
    {
        c.assert_bad(&format!("c{}", i + 1), &format!("FETCH 1 {item}"));
    }
    // A part that does not exist is empty, as in Dovecot.
    let r = c.command("c20", "FETCH 1 (BINARY.PEEK[4.2.1] BINARY.SIZE[7])");
    assert_eq!(
        r[0],
        "* 1 FETCH (BINARY[4.2.1] {0}\r\n BINARY.SIZE[7] 0)\r\n"
    );
}
