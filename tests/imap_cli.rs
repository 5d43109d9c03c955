//! `mailfts user add` and `mailfts imap` end to end: a user written by the CLI logs in over TCP
//! and searches the mail that `mailfts corpus generate` made.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

use mailfts_corpora::tools::output_ok;
use support::{bin, Imap};

struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn user_add_then_imap_login_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("alice");
    let passwd = dir.path().join("passwd");
    output_ok(
        bin()
            .args([
                "corpus",
                "generate",
                "--messages",
                "50",
                "--seed",
                "3",
                "--out",
            ])
            .arg(&home),
    );
    let mut add = bin()
        .args([
            "user",
            "add",
            "--user",
            "alice",
            "--scheme",
            "SHA512-CRYPT",
            "--passwd",
        ])
        .arg(&passwd)
        .arg("--home")
        .arg(&home)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    assert!(add.wait().unwrap().success());
    let line = std::fs::read_to_string(&passwd).unwrap();
    assert!(line.starts_with("alice:{SHA512-CRYPT}$6$"), "{line}");

    let mut server = Child(
        bin()
            .args([
                "imap",
                "--listen",
                "127.0.0.1:0",
                "--allow-plaintext",
                "--passwd",
            ])
            .arg(&passwd)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // "mailfts imap: listening on 127.0.0.1:PORT"
    let mut stderr = BufReader::new(server.0.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr = first.trim().rsplit(' ').next().unwrap().to_owned();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
    });

    let mut imap = Imap::connect(&addr);
    let greeting = &imap.greeting;
    assert!(
        greeting.starts_with("* OK [CAPABILITY IMAP4rev1 "),
        "{greeting}"
    );
    let login = imap.exchange("a1", "LOGIN alice s3cret");
    assert!(login.last().unwrap().starts_with("a1 OK"), "{login:?}");
    let select = imap.exchange("a2", "SELECT INBOX");
    assert!(
        select.last().unwrap().starts_with("a2 OK [READ-WRITE]"),
        "{select:?}"
    );
    let search = imap.exchange("a3", "UID SEARCH RETURN (COUNT) ALL");
    assert!(
        search[0].starts_with("* ESEARCH (TAG \"a3\") UID COUNT "),
        "{search:?}"
    );
    let sort = imap.exchange("a4", "UID SORT (REVERSE DATE) UTF-8 ALL");
    assert!(sort[0].starts_with("* SORT "), "{sort:?}");
    let bye = imap.exchange("a5", "LOGOUT");
    assert_eq!(bye, ["* BYE Logging out\r\n", "a5 OK LOGOUT completed\r\n"]);
}
