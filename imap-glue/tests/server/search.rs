//! SEARCH over IMAP gives the query engine's scan answer (the oracle) on a generated corpus, and
//! the save hooks index what clients append.

use std::time::Duration;

use mailfts_corpora::{write_maildir, CorpusSpec};
use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::rescan::{rescan, NoProgress, RescanOptions};
use mailfts_query::exec::{Engine, Mode};
use mailfts_store::Flags;

use crate::support::TestServer;

/// Words taken from the corpus itself, so the queries hit.
fn corpus_words(store: &mailfts_store::Store) -> Vec<String> {
    let snap = store.mailbox("INBOX").unwrap().sync().unwrap();
    let mut words = Vec::new();
    for m in snap.messages().iter().step_by(37).take(6) {
        let raw = String::from_utf8_lossy(&m.read().unwrap()).into_owned();
        let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        if let Some(s) = head.lines().find_map(|l| l.strip_prefix("Subject: ")) {
            if let Some(w) = s.split_whitespace().find(|w| w.len() > 3 && w.is_ascii()) {
                words.push(w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned());
            }
        }
        if let Some(w) = body
            .split_whitespace()
            .filter(|w| w.len() > 4 && w.chars().all(|c| c.is_ascii_alphabetic()))
            .nth(3)
        {
            words.push(w.to_owned());
        }
    }
    words.retain(|w| !w.is_empty());
    words.sort();
    words.dedup();
    words
}

#[test]
fn uid_search_over_imap_equals_the_scan() {
    let server = TestServer::start(|_| {});
    let home = server.home("alice");
    let spec = CorpusSpec::new(11, 400);
    write_maildir(&spec, &home.join("Maildir"), &mut |_| {}).unwrap();
    let store = server.store("alice");
    // Index most of it; the rest is the unindexed tail the server must scan.
    index_home(&home, &store);
    let inbox = store.mailbox("INBOX").unwrap();
    for i in 0..5 {
        let msg = format!("From: tail{i}@example.org\r\nSubject: tail message {i}\r\n\r\nunindexed body text {i}\r\n");
        inbox
            .save(msg.as_bytes(), Flags::empty(), &[], None)
            .unwrap();
    }

    let words = corpus_words(&store);
    assert!(words.len() >= 4, "{words:?}");
    let mut programs: Vec<String> = vec![
        "ALL".into(),
        "UNSEEN".into(),
        "NOT SEEN FLAGGED".into(),
        "SINCE 1-Jan-2024".into(),
        "LARGER 4000".into(),
        "FROM example".into(),
        "BODY unindexed".into(),
        "SUBJECT tail".into(),
        "OR HEADER SUBJECT re HEADER FROM a".into(),
        "UID 5:40,100:*".into(),
        "1:30 NOT ANSWERED".into(),
        "HEADER Message-ID @".into(),
        "TEXT \"of the\"".into(),
        "BODY ell".into(),
    ];
    for w in &words {
        programs.push(format!("OR HEADER SUBJECT {w} HEADER FROM {w}"));
        programs.push(format!("TEXT {w}"));
        programs.push(format!("BODY {w} NOT DELETED"));
        programs.push(format!("CHARSET UTF-8 OR OR SUBJECT {w} FROM {w} TO {w}"));
    }
    let engine = Engine::new(&store, None);
    let mut c = server.login("alice");
    let mut checked = 0;
    for mailbox in &spec.folders {
        let r = c.command("s", &format!("SELECT {mailbox}"));
        assert!(r.last().unwrap().starts_with("s OK"), "{r:?}");
        for p in &programs {
            let program = mailfts_query::parse_program(p).unwrap();
            let want = engine.search(mailbox, &program, Mode::Scan).unwrap().uids;
            let got = uids_of(&c.command("u", &format!("UID SEARCH {p}")));
            assert_eq!(got, want, "UID SEARCH {p} in {mailbox}");
            let esearch = c.command("e", &format!("UID SEARCH RETURN (COUNT) {p}"));
            assert!(
                esearch[0].contains(&format!(" COUNT {}", want.len())),
                "{esearch:?}"
            );
            let keys = p.strip_prefix("CHARSET UTF-8 ").unwrap_or(p);
            let sorted = uids_of(&c.command("o", &format!("UID SORT (DATE) UTF-8 {keys}")));
            let mut sorted_set = sorted.clone();
            sorted_set.sort_unstable();
            assert_eq!(sorted_set, want, "UID SORT (DATE) UTF-8 {p} in {mailbox}");
            checked += 1;
        }
    }
    assert!(checked > 50);
}

/// Builds the home's index. Retries while the writer lock of `open_or_create`'s first commit is
/// still held (its writer is dropped without waiting for its threads; reported to the indexer).
fn index_home(home: &std::path::Path, store: &mailfts_store::Store) {
    let index = HomeIndex::open_or_create(&home.join("mailfts")).unwrap();
    for attempt in 0.. {
        match rescan(&index, store, &RescanOptions::default(), &NoProgress) {
            Ok(_) => return,
            Err(mailfts_indexer::IndexError::Locked { .. }) if attempt < 50 => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn uids_of(lines: &[String]) -> Vec<u32> {
    let first = &lines[0];
    assert!(lines.last().unwrap().contains(" OK "), "{lines:?}");
    first
        .trim_end()
        .split(' ')
        .skip(2)
        .map(|n| n.parse().unwrap())
        .collect()
}

#[test]
fn appended_mail_is_indexed_at_once() {
    let server = TestServer::start(|_| {});
    let home = server.home("alice");
    let store = server.store("alice");
    store
        .mailbox("INBOX")
        .unwrap()
        .save(b"Subject: first\r\n\r\nx\r\n", Flags::empty(), &[], None)
        .unwrap();
    index_home(&home, &store);
    let mut c = server.login("alice");
    let r = c.command(
        "a",
        "APPEND INBOX {31+}\r\nSubject: second\r\n\r\nzebra body\r\n",
    );
    assert!(r.last().unwrap().starts_with("a OK [APPENDUID "), "{r:?}");
    c.command("s", "SELECT INBOX");
    c.command("d", "UID STORE 1 +FLAGS (\\Deleted)");
    c.command("x", "EXPUNGE");
    assert!(server.hooks.wait_idle(Duration::from_secs(30)));
    let index = HomeIndex::open(&home.join("mailfts")).unwrap().unwrap();
    let snap = index.snapshot().unwrap();
    let mb = &snap.meta.mailboxes["INBOX"];
    assert!(mb.high_water >= 2, "{mb:?}");
    assert_eq!(snap.uids_of(mb.id).unwrap().iter().collect::<Vec<_>>(), [2]);
    // And the index answers it (the search is exact either way).
    let r = c.command("q", "UID SEARCH BODY zebra");
    assert_eq!(r[0], "* SEARCH 2\r\n");
}

#[test]
fn recent_belongs_to_the_first_session() {
    let server = TestServer::start(|_| {});
    crate::support::fixture_inbox(&server.store("alice"));
    // An MDA delivers into new/.
    let new = server.home("alice").join("Maildir/new/1700000000.M1P1.mx");
    std::fs::write(&new, "Subject: delivered\n\nfresh\n").unwrap();
    let mut a = server.login("alice");
    let r = a.command("a1", "SELECT INBOX");
    assert!(
        r.contains(&"* 4 EXISTS\r\n".to_string()) && r.contains(&"* 1 RECENT\r\n".to_string()),
        "{r:?}"
    );
    assert_eq!(a.command("a2", "SEARCH RECENT")[0], "* SEARCH 4\r\n");
    assert_eq!(a.command("a3", "UID SEARCH NEW")[0], "* SEARCH 4\r\n");
    assert_eq!(
        a.command("a4", "FETCH 4 FLAGS")[0],
        "* 4 FETCH (FLAGS (\\Recent))\r\n"
    );
    assert_eq!(a.command("a5", "SEARCH OLD")[0], "* SEARCH 1 2 3\r\n");
    // A later session does not see it as recent; the file moved to cur/ with the same flags.
    let mut b = server.login("alice");
    let r = b.command("b1", "SELECT INBOX");
    assert!(r.contains(&"* 0 RECENT\r\n".to_string()), "{r:?}");
    assert_eq!(b.command("b2", "SEARCH RECENT")[0], "* SEARCH\r\n");
    assert!(!new.exists());
    // Mail delivered while a session is selected is recent for it (IDLE-less NOOP here).
    std::fs::write(
        server.home("alice").join("Maildir/new/1700000001.M2P1.mx"),
        "Subject: later\n\nx\n",
    )
    .unwrap();
    let r = a.command("a6", "NOOP");
    assert_eq!(
        r,
        [
            "* 5 EXISTS\r\n",
            "* 2 RECENT\r\n",
            "a6 OK NOOP completed\r\n"
        ]
    );
    assert_eq!(a.command("a7", "SEARCH RECENT")[0], "* SEARCH 4 5\r\n");
}

/// `compress_new_mail = zstd`: an APPENDed message is stored as a zstd file on disk, and FETCH,
/// RFC822.SIZE and SEARCH see the original message.
#[test]
fn appended_mail_is_stored_compressed_when_configured() {
    let server = TestServer::start(|c| {
        c.store_options.compress_new_mail = mailfts_store::Compression::Zstd;
    });
    let mut c = server.login("alice");
    let msg = "Subject: squeezed\r\n\r\nzstd stored body\r\n";
    let r = c.command("a", &format!("APPEND INBOX {{{}+}}\r\n{msg}", msg.len()));
    assert!(r.last().unwrap().starts_with("a OK [APPENDUID "), "{r:?}");
    let snap = server
        .store("alice")
        .mailbox("INBOX")
        .unwrap()
        .sync()
        .unwrap();
    let entry = &snap.messages()[0];
    let on_disk = std::fs::read(&entry.path).unwrap();
    assert_eq!(
        &on_disk[..4],
        &[0x28, 0xb5, 0x2f, 0xfd],
        "a zstd frame on disk"
    );
    assert_eq!(entry.read().unwrap(), msg.as_bytes());
    c.command("s", "SELECT INBOX");
    let f = c.command("f", "UID FETCH 1:* (RFC822.SIZE BODY.PEEK[])");
    let all = f.concat();
    assert!(all.contains(&format!("RFC822.SIZE {}", msg.len())), "{all}");
    assert!(all.contains("zstd stored body"), "{all}");
    let s = c.command("q", "UID SEARCH BODY stored");
    assert!(s[0].starts_with("* SEARCH 1"), "{s:?}");
}
