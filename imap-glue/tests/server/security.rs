//! Limits and isolation: literal sizes, failed-login delay, one user never reaching another's mail,
//! LOGINDISABLED without TLS.

use std::time::{Duration, Instant};

use crate::support::{fixture_inbox, TestServer};

#[test]
fn oversize_synchronizing_literal_is_refused_before_it_is_sent() {
    let server = TestServer::start(|c| c.limits.max_literal = 1000);
    let mut c = server.login("alice");
    // The client must wait for "+" before sending the literal: it gets NO instead, at once, and
    // the connection goes on (nothing of the 100 MB was read).
    c.send(b"a1 APPEND INBOX {100000000}\r\n");
    assert_eq!(c.line(), "a1 NO [TOOBIG] Literal too big\r\n");
    assert_eq!(c.command("a2", "NOOP"), ["a2 OK NOOP completed\r\n"]);
    // A literal within the limit is accepted.
    c.send(b"a3 APPEND INBOX {11}\r\n");
    assert_eq!(c.line(), "+ Ready for literal data\r\n");
    c.send(b"Subject: x\n\r\n");
    let r = c.until_tagged("a3");
    assert!(r.last().unwrap().starts_with("a3 OK [APPENDUID "), "{r:?}");
}

#[test]
fn oversize_non_synchronizing_literal_ends_the_connection() {
    let server = TestServer::start(|c| c.limits.max_literal = 1000);
    let mut c = server.login("alice");
    c.send(b"a1 APPEND INBOX {5000+}\r\n");
    assert_eq!(c.line(), "* BYE [TOOBIG] Literal too big\r\n");
    assert!(c.closed());
}

#[test]
fn overlong_line_ends_the_connection() {
    let server = TestServer::start(|c| c.limits.max_line = 200);
    let mut c = server.client();
    c.send(format!("a1 LOGIN {} x\r\n", "a".repeat(500)).as_bytes());
    assert_eq!(c.line(), "* BYE [TOOBIG] Line too long\r\n");
}

#[test]
fn failed_logins_are_slowed_down_per_address() {
    let server = TestServer::start(|c| c.auth_failure_delay = Duration::from_millis(100));
    let mut c = server.client();
    let mut took = Vec::new();
    for i in 0..3 {
        let t = Instant::now();
        let r = c.command(&format!("b{i}"), "LOGIN alice not-the-password");
        assert_eq!(
            r,
            [format!(
                "b{i} NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
            )]
        );
        took.push(t.elapsed());
    }
    // 100 ms, then 200 ms, then 400 ms: doubling per failure of the same address.
    assert!(took[0] >= Duration::from_millis(100), "{took:?}");
    assert!(took[1] >= Duration::from_millis(200), "{took:?}");
    assert!(took[2] >= Duration::from_millis(400), "{took:?}");
    // Another connection from the same address is slowed down too.
    let mut c2 = server.client();
    let t = Instant::now();
    c2.command("c1", "LOGIN nobody x");
    assert!(
        t.elapsed() >= Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
    // A success resets the count.
    let r = c2.command("c2", "LOGIN alice alice-pw");
    assert!(r.last().unwrap().starts_with("c2 OK"), "{r:?}");
    let t = Instant::now();
    server.client().command("d1", "LOGIN alice wrong");
    assert!(
        t.elapsed() < Duration::from_millis(350),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn a_user_cannot_reach_another_users_mail() {
    let server = TestServer::start(|_| {});
    fixture_inbox(&server.store("bob"));
    let bob_maildir = server.home("bob").join("Maildir");
    // A folder in alice's Maildir that is a symbolic link to bob's.
    std::os::unix::fs::symlink(&bob_maildir, server.home("alice").join("Maildir/.Evil")).unwrap();
    let mut c = server.login("alice");
    let bob = bob_maildir.display().to_string();
    for (i, name) in [
        "\"../bob/Maildir\"".to_string(),
        "..".into(),
        "\".\"".into(),
        "\"a..b\"".into(),
        format!("\"{bob}\""),
        "\"/etc\"".into(),
        "Evil".into(),
        "\"~bob\"".into(),
    ]
    .iter()
    .enumerate()
    {
        for cmd in ["SELECT", "STATUS", "CREATE", "DELETE"] {
            let tail = if cmd == "STATUS" { " (MESSAGES)" } else { "" };
            let tag = format!("x{i}{cmd}");
            let r = c.command(&tag, &format!("{cmd} {name}{tail}"));
            let last = r.last().unwrap();
            let refused =
                last.starts_with(&format!("{tag} NO")) || last.starts_with(&format!("{tag} BAD"));
            // "~bob" is an ordinary (non-existent) name inside alice's Maildir: CREATE and DELETE work there.
            if name == "\"~bob\"" && (cmd == "CREATE" || cmd == "DELETE") {
                assert!(
                    last.starts_with(&format!("{tag} OK")),
                    "{cmd} {name}: {r:?}"
                );
                continue;
            }
            assert!(refused, "{cmd} {name}: {r:?}");
        }
    }
    let r = c.command("l1", "LIST \"\" \"*\"");
    assert_eq!(
        r,
        [
            "* LIST (\\HasNoChildren) \".\" \"INBOX\"\r\n",
            "l1 OK LIST completed\r\n"
        ]
    );
    // COPY and APPEND into such names are refused too.
    c.command("s1", "SELECT INBOX");
    let r = c.command("a1", "APPEND \"../bob/Maildir\" {3+}\r\nabc");
    assert!(r.last().unwrap().starts_with("a1 NO"), "{r:?}");
    // Bob's mail is untouched.
    assert_eq!(
        server
            .store("bob")
            .mailbox("INBOX")
            .unwrap()
            .sync()
            .unwrap()
            .messages()
            .len(),
        3
    );
}

#[test]
fn login_is_disabled_without_tls_unless_allowed() {
    // Loopback is trusted by default (plain LOGIN allowed, as Dovecot): trust no network here.
    let server = TestServer::start(|c| {
        c.allow_plaintext = false;
        c.trusted_networks = Vec::new();
    });
    let mut c = server.client();
    assert!(c.greeting.contains(" LOGINDISABLED"), "{}", c.greeting);
    assert!(!c.greeting.contains("AUTH=PLAIN"), "{}", c.greeting);
    assert_eq!(
        c.command("a1", "LOGIN alice alice-pw"),
        ["a1 NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"]
    );
    assert_eq!(c.command("a2", "SELECT INBOX"), ["a2 BAD Log in first\r\n"]);
}

#[test]
fn authenticate_plain_with_and_without_initial_response() {
    let server = TestServer::start(|_| {});
    let mut c = server.client();
    // base64("\0alice\0alice-pw")
    let r = c.command("a1", "AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlLXB3");
    assert!(r.last().unwrap().starts_with("a1 OK [CAPABILITY"), "{r:?}");
    let mut c = server.client();
    c.send(b"a2 AUTHENTICATE PLAIN\r\n");
    assert_eq!(c.line(), "+ \r\n");
    c.send(b"AGFsaWNlAHdyb25n\r\n"); // wrong password
    assert_eq!(
        c.line(),
        "a2 NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
    c.send(b"a3 AUTHENTICATE PLAIN\r\n");
    assert_eq!(c.line(), "+ \r\n");
    c.send(b"*\r\n");
    assert_eq!(c.line(), "a3 BAD Authentication cancelled\r\n");
}

#[test]
fn idle_timeout_logs_out() {
    let server = TestServer::start(|c| c.limits.login_timeout = Duration::from_millis(300));
    let mut c = server.client();
    assert_eq!(c.line(), "* BYE Autologout; idle for too long\r\n");
}

#[test]
fn users_added_to_the_passwd_file_can_log_in_at_once() {
    use mailfts_imap_glue::auth::{hash_password, upsert_user, Scheme};
    let server = TestServer::start(|_| {});
    let mut c = server.client();
    assert_eq!(
        c.command("a1", "LOGIN carol carol-pw"),
        ["a1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n"]
    );
    for (i, scheme) in [Scheme::Argon2id, Scheme::Sha512Crypt, Scheme::BlfCrypt]
        .into_iter()
        .enumerate()
    {
        let home = server.dir.path().join("carol");
        upsert_user(
            &server.passwd,
            "carol",
            &hash_password(scheme, "carol-pw").unwrap(),
            &home,
        )
        .unwrap();
        let tag = format!("b{i}");
        let r = server.client().command(&tag, "LOGIN carol carol-pw");
        assert!(
            r.last().unwrap().starts_with(&format!("{tag} OK")),
            "{scheme:?}: {r:?}"
        );
    }
    // The new user's Maildir was created on first login.
    assert!(server.dir.path().join("carol/Maildir/cur").is_dir());
}
