//! Symbolic links, FIFOs and devices in a user's Maildir are neither served nor indexed, and never
//! hang the server or the indexer.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::rescan::{rescan, NoProgress, RescanOptions, RescanStats};
use mailfts_store::{Flags, Store};

use crate::support::TestServer;

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Rescans `home` on a thread; fails if it takes longer than a minute (a FIFO blocks forever).
fn rescan_within_a_minute(home: &Path) -> RescanStats {
    let home = home.to_path_buf();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let store = Store::open(home.join("Maildir")).unwrap();
        let index = HomeIndex::open_or_create(&home.join("mailfts")).unwrap();
        for attempt in 0.. {
            match rescan(&index, &store, &RescanOptions::default(), &NoProgress) {
                Err(mailfts_indexer::IndexError::Locked { .. }) if attempt < 50 => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                r => {
                    let _ = tx.send(r.map_err(|e| e.to_string()));
                    return;
                }
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("rescan did not finish: blocked on a special file")
        .unwrap()
}

#[test]
fn symlinks_and_special_files_in_a_maildir_are_not_served_or_indexed() {
    let server = TestServer::start(|_| {});
    // Bob's mail, and a file outside every home standing in for /etc/shadow.
    let bob_inbox = server.store("bob").mailbox("INBOX").unwrap();
    let bob_uid = bob_inbox
        .save(
            b"Subject: private\r\n\r\nbobsecretword\r\n",
            Flags::empty(),
            &[],
            None,
        )
        .unwrap();
    let bob_file = bob_inbox.sync().unwrap().get(bob_uid).unwrap().path.clone();
    let shadow = server.dir.path().join("shadow");
    std::fs::write(&shadow, "Subject: root\r\n\r\nshadowsecretword\r\n").unwrap();

    let alice = server.home("alice").join("Maildir");
    server
        .store("alice")
        .mailbox("INBOX")
        .unwrap()
        .save(
            b"Subject: mine\r\n\r\nalicesownword\r\n",
            Flags::empty(),
            &[],
            None,
        )
        .unwrap();
    let link =
        |target: &Path, at: &str| std::os::unix::fs::symlink(target, alice.join(at)).unwrap();
    link(&bob_file, "new/1700000001.M1P1.bob");
    link(&bob_file, "cur/1700000002.M2P1.bob:2,S");
    link(&shadow, "new/1700000003.M3P1.shadow");
    link(&shadow, "cur/1700000004.M4P1.shadow:2,");
    link(Path::new("/dev/zero"), "cur/1700000005.M5P1.zero:2,");
    link(
        Path::new("/proc/self/environ"),
        "cur/1700000006.M6P1.env:2,",
    );
    mkfifo(&alice.join("cur/1700000007.M7P1.fifo:2,"));

    // The indexer: completes, indexes alice's own message only.
    let stats = rescan_within_a_minute(&server.home("alice"));
    assert_eq!(stats.added, 1, "{stats:?}");

    // The server: one message, nothing of bob's or the system file, and it keeps answering.
    let mut c = server.login("alice");
    let r = c.command("s1", "SELECT INBOX");
    assert!(r.contains(&"* 1 EXISTS\r\n".to_string()), "{r:?}");
    let r = c.command("f1", "UID FETCH 1:* BODY.PEEK[]");
    let all = r.concat();
    assert!(all.contains("alicesownword"), "{r:?}");
    for word in ["bobsecretword", "shadowsecretword", "PATH="] {
        assert!(!all.contains(word), "{word}: {r:?}");
    }
    for word in ["bobsecretword", "shadowsecretword", "alicesownword"] {
        let r = c.command("q1", &format!("UID SEARCH TEXT {word}"));
        let want = if word == "alicesownword" {
            "* SEARCH 1\r\n"
        } else {
            "* SEARCH\r\n"
        };
        assert_eq!(r[0], want, "{word}: {r:?}");
    }
    assert_eq!(
        c.command("n1", "NOOP").last().unwrap(),
        "n1 OK NOOP completed\r\n"
    );
    // Bob is served as usual meanwhile.
    let mut b = server.login("bob");
    let r = b.command("b1", "SELECT INBOX");
    assert!(r.contains(&"* 1 EXISTS\r\n".to_string()), "{r:?}");
}
