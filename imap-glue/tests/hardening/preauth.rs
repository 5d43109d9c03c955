//! Memory before login: small literals, refused before they are read; a server-wide budget.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::TestServer;

/// Resident memory of this process (the server runs in it), KiB.
fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn huge_literals_before_login_are_refused_and_memory_stays_low() {
    let server = TestServer::start(|_| {});
    let before = vm_rss_kib();
    let addr = server.addr;
    let clients: Vec<_> = (0..20)
        .map(|i| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
                let plus = if i % 2 == 0 { "" } else { "+" };
                let _ = s.write_all(format!("a{i} LOGIN {{{}{plus}}}\r\n", 64 << 20).as_bytes());
                // A hostile client sends the 64 MiB whatever the server says.
                let chunk = vec![b'x'; 1 << 20];
                for _ in 0..64 {
                    if s.write_all(&chunk).is_err() {
                        break;
                    }
                }
                let mut answer = Vec::new();
                let _ = s.read_to_end(&mut answer);
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let grown_mib = vm_rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 100, "the server grew by {grown_mib} MiB");
    // And it still serves.
    let mut c = server.login("alice");
    assert_eq!(c.command("n1", "NOOP"), ["n1 OK NOOP completed\r\n"]);
}

#[test]
fn literals_before_login_are_capped_small() {
    let server = TestServer::start(|_| {});
    let mut c = server.client();
    // Refused before any of it is read: no "+".
    c.send(b"a1 LOGIN {9000}\r\n");
    assert_eq!(c.line(), "a1 NO [TOOBIG] Literal too big\r\n");
    c.send(b"a2 LOGIN {5}\r\n");
    assert_eq!(c.line(), "+ Ready for literal data\r\n");
    c.send(b"alice alice-pw\r\n");
    let r = c.until_tagged("a2");
    assert!(r.last().unwrap().starts_with("a2 OK"), "{r:?}");
    // After login, the normal limits.
    let msg = format!("Subject: big\r\n\r\n{}\r\n", "y".repeat(20_000));
    c.send(format!("a3 APPEND INBOX {{{}}}\r\n", msg.len()).as_bytes());
    assert_eq!(c.line(), "+ Ready for literal data\r\n");
    c.send(format!("{msg}\r\n").as_bytes());
    let r = c.until_tagged("a3");
    assert!(r.last().unwrap().starts_with("a3 OK"), "{r:?}");
    // A non-synchronizing one before login ends the connection.
    let mut c = server.client();
    c.send(b"b1 LOGIN {9000+}\r\n");
    assert_eq!(c.line(), "* BYE [TOOBIG] Literal too big\r\n");
}

#[test]
fn literals_beyond_the_server_wide_budget_are_refused() {
    let server = TestServer::start(|c| c.limits.max_buffered_input = 10_000);
    let mut c = server.login("alice");
    c.send(b"a1 APPEND INBOX {20000}\r\n");
    assert_eq!(c.line(), "a1 NO [UNAVAILABLE] Server busy\r\n");
    // Within the budget, and the budget is given back after each command.
    for i in 0..3 {
        let msg = format!("Subject: m{i}\r\n\r\n{}\r\n", "z".repeat(8000));
        c.send(format!("b{i} APPEND INBOX {{{}}}\r\n", msg.len()).as_bytes());
        assert_eq!(c.line(), "+ Ready for literal data\r\n");
        c.send(format!("{msg}\r\n").as_bytes());
        let r = c.until_tagged(&format!("b{i}"));
        assert!(r.last().unwrap().contains(" OK "), "{r:?}");
    }
}
