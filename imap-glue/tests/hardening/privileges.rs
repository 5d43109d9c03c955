//! A server running as root acts with each user's uid/gid from the passwd file, and refuses uid 0.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use mailfts_store::{Flags, Store};

use crate::support::TestServer;

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).unwrap();
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            chown_tree(&e.unwrap().path(), uid, gid);
        }
    }
}

fn is_root() -> bool {
    // SAFETY: no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn a_session_acts_with_the_users_uid_not_roots() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let server = TestServer::start(|_| {});
    std::fs::set_permissions(server.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = server.dir.path().join("nobody-user");
    let store = Store::create(home.join("Maildir")).unwrap();
    store
        .mailbox("INBOX")
        .unwrap()
        .save(
            b"Subject: own\r\n\r\nnobodysownword\r\n",
            Flags::empty(),
            &[],
            None,
        )
        .unwrap();
    chown_tree(&home, 65534, 65534);
    // A message file only root may read, in the user's Maildir.
    let secret = home.join("Maildir/cur/1700000000.M1P1.root:2,");
    std::fs::write(&secret, "Subject: root only\r\n\r\nrootonlyword\r\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(
        &server.passwd,
        format!(
            "nobody-user:{{PLAIN}}pw:65534:65534::{}::\n",
            home.display()
        ),
    )
    .unwrap();

    let mut c = server.client();
    let r = c.command("l", "LOGIN nobody-user pw");
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
    let r = c.command("s", "SELECT INBOX");
    assert!(r.last().unwrap().starts_with("s OK"), "{r:?}");
    let r = c.command("f", "UID FETCH 1:* BODY.PEEK[]");
    let all = r.concat();
    assert!(all.contains("nobodysownword"), "{r:?}");
    assert!(!all.contains("rootonlyword"), "{r:?}");
    let r = c.command("q", "UID SEARCH TEXT rootonlyword");
    assert_eq!(r[0], "* SEARCH\r\n", "{r:?}");
    let r = c.command("q2", "UID SEARCH TEXT nobodysownword");
    assert_eq!(r[0], "* SEARCH 1\r\n", "{r:?}");
    // What the session writes belongs to the user.
    let r = c.command("a", "APPEND INBOX {12+}\r\nSubject: n\r\n");
    assert!(r.last().unwrap().starts_with("a OK"), "{r:?}");
    let owners: Vec<u32> = std::fs::read_dir(home.join("Maildir/cur"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().uid())
        .collect();
    assert!(owners.contains(&65534), "{owners:?}");
    assert!(owners.iter().all(|&u| u == 65534 || u == 0), "{owners:?}");
    assert_eq!(
        owners.iter().filter(|&&u| u == 0).count(),
        1,
        "only the secret is root's"
    );
}

#[test]
fn uid_0_users_are_refused_unless_allowed() {
    let line = |server: &TestServer| {
        let home = server.home("alice");
        std::fs::write(
            &server.passwd,
            format!("rooty:{{PLAIN}}pw:0:0::{}::\n", home.display()),
        )
        .unwrap();
    };
    let server = TestServer::start(|_| {});
    line(&server);
    let r = server.client().command("l", "LOGIN rooty pw");
    assert_eq!(
        r,
        ["l NO [AUTHORIZATIONFAILED] Login not allowed for this user\r\n"]
    );
    let allowed = TestServer::start(|c| c.allow_root_users = true);
    line(&allowed);
    let r = allowed.client().command("l", "LOGIN rooty pw");
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
}
