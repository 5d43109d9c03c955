//! Exact protocol bytes, as C:/S: transcripts in `tests/transcripts/*.txt`.

use crate::support::{fixture_inbox, run_transcript, test_file, TestServer};

#[track_caller]
fn transcript(name: &str) {
    transcript_with(name, |_| {});
}

#[track_caller]
fn transcript_with(name: &str, setup: impl FnOnce(&mailfts_store::Store)) {
    let server = TestServer::start(|_| {});
    fixture_inbox(&server.store("alice"));
    setup(&server.store("alice"));
    let script = std::fs::read_to_string(test_file(&format!("transcripts/{name}.txt"))).unwrap();
    if std::env::var_os("MAILFTS_TRANSCRIPT_DUMP").is_some() {
        dump(&server, &script);
        return;
    }
    run_transcript(server.addr, &script);
}

/// Prints what the server answers to the C: lines (for writing a new transcript).
fn dump(server: &TestServer, script: &str) {
    let mut c = server.client();
    println!("S: {}", c.greeting.trim_end());
    let mut tag = String::new();
    let mut continuation = false;
    for line in script.lines() {
        if line == "---" {
            println!("---");
            c = server.client();
            println!("S: {}", c.greeting.trim_end());
            continue;
        }
        let Some(cmd) = line.strip_prefix("C: ") else {
            continue;
        };
        println!("C: {cmd}");
        let wire = cmd.replace("\\r\\n", "\r\n");
        c.send(format!("{wire}\r\n").as_bytes());
        if !continuation {
            // A command with its LITERAL+ literal inline is tagged by its first word; pipelined
            // commands by the last one's.
            let last = if cmd.contains("+}\\r\\n") {
                wire.as_str()
            } else {
                wire.rsplit("\r\n").next().unwrap_or("")
            };
            tag = last.split(' ').next().unwrap_or("").to_owned();
        }
        continuation = cmd.ends_with('}');
        if cmd.ends_with("+}") {
            continue;
        }
        if continuation {
            let l = c.line();
            println!("S: {}", l.trim_end().replace("\r\n", "\\r\\n"));
            if !l.starts_with('+') {
                continuation = false;
            }
            continue;
        }
        for l in c.until_tagged(&tag) {
            println!("S: {}", l.trim_end().replace("\r\n", "\\r\\n"));
        }
    }
}

#[test]
fn basic_session() {
    transcript("basic");
}

#[test]
fn fetch_sections() {
    transcript("fetch");
}

#[test]
fn search_sort_thread() {
    transcript("search");
}

#[test]
fn literals_and_pipelining() {
    transcript("literals");
}

#[test]
fn writes() {
    transcript("writes");
}

/// The session of the issue: what Roundcube sends to list, sort, show and quick-search a folder.
#[test]
fn roundcube_shaped_session() {
    transcript_with("roundcube", |store| {
        store.create_mailbox("Trash").unwrap();
    });
}

/// MULTIAPPEND (RFC 3502), checked against Dovecot 2.3 (answers in the transcript's comments).
#[test]
fn multiappend() {
    transcript("multiappend");
}

/// LIST-EXTENDED (RFC 5258) as Roundcube uses it, checked against Dovecot 2.3 (answers in the
/// transcript's comments). Nothing is subscribed at the start, as for the Dovecot user.
#[test]
fn list_extended() {
    transcript_with("list-extended", |store| {
        std::fs::write(store.root().join("subscriptions"), "").unwrap();
    });
}

/// ESORT (RFC 5267 §3), checked against Dovecot 2.3 (answers in the transcript's comments).
#[test]
fn esort() {
    transcript("esort");
}

/// THREAD=REFS (Dovecot's: REFERENCES without subject merging, threads by their newest
/// message), checked against Dovecot 2.3 (answers in the transcript's comments).
#[test]
fn thread_refs() {
    transcript("thread-refs");
}

/// The conformance defects of issue 14 item 9, each checked against Dovecot 2.3 on the same
/// messages (`transcripts/conformance/*.eml` in mailbox `Conf`; the Dovecot answers are recorded
/// in the transcript's comments).
#[test]
fn conformance_with_dovecot() {
    transcript_with("conformance", |store| {
        conformance_mailbox(store);
    });
}

/// `Conf`: the four messages of `transcripts/conformance/` as Dovecot got them (APPEND with these
/// flags and internal dates; a first SELECT there cleared `\Recent`), plus one delivered to `new/`
/// by an MDA after that (unix time 1704362400).
fn conformance_mailbox(store: &mailfts_store::Store) {
    use mailfts_store::Flags;
    store.create_mailbox("Conf").unwrap();
    let mb = store.mailbox("Conf").unwrap();
    let flags = [Flags::SEEN, Flags::empty(), Flags::FLAGGED, Flags::empty()];
    for (i, f) in flags.into_iter().enumerate() {
        let bytes =
            std::fs::read(test_file(&format!("transcripts/conformance/{}.eml", i + 1))).unwrap();
        let date = 1_704_103_200 + 86_400 * i as i64;
        mb.save(&bytes, f, &[], Some(date)).unwrap();
    }
    let new = mb.path().join("new/1704362400.M1P1.mx");
    std::fs::write(
        &new,
        "From: mda@example.com\r\nSubject: delivered\r\nDate: Thu, 4 Jan 2024 10:00:00 +0000\r\n\r\nNew mail.\r\n",
    )
    .unwrap();
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_362_400);
    std::fs::File::options()
        .write(true)
        .open(&new)
        .unwrap()
        .set_modified(t)
        .unwrap();
    thread_mailbox(store);
    // Nothing subscribed yet, as for the Dovecot user (the LSUB section subscribes what it lists).
    std::fs::write(store.root().join("subscriptions"), "").unwrap();
}

/// (message id, Date, References, internal date, Subject).
type ThreadMsg = (
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    i64,
    &'static str,
);

/// `Thr` (see [`conformance_mailbox`]).
fn thread_mailbox(store: &mailfts_store::Store) {
    const JAN_1_10H: i64 = 1_704_103_200;
    const H: i64 = 3600;
    let msgs: [ThreadMsg; 8] = [
        (
            "r",
            Some("Mon, 1 Jan 2024 10:00:00 +0000"),
            &[],
            JAN_1_10H,
            "root",
        ),
        (
            "a",
            Some("Tue, 2 Jan 2024 10:00:00 +0000"),
            &["r"],
            JAN_1_10H + 96 * H,
            "Re: root",
        ),
        (
            "b",
            Some("Tue, 2 Jan 2024 11:00:00 +0300"),
            &["r"],
            JAN_1_10H + 72 * H,
            "Re: root",
        ),
        ("c", None, &["r"], JAN_1_10H + 2 * H, "Re: root"),
        (
            "d",
            Some("Tue, 2 Jan 2024 10:00:00 +0000"),
            &["r"],
            JAN_1_10H + 48 * H,
            "Re: root",
        ),
        (
            "e",
            Some("Wed, 3 Jan 2024 10:00:00 +0000"),
            &["missing", "x"],
            JAN_1_10H + 24 * H,
            "other",
        ),
        (
            "f",
            Some("Mon, 1 Jan 2024 09:00:00 +0000"),
            &["missing"],
            JAN_1_10H + 24 * H,
            "other2",
        ),
        (
            "g",
            Some("garbage date"),
            &["r"],
            JAN_1_10H + 24 * H,
            "Re: root",
        ),
    ];
    store.create_mailbox("Thr").unwrap();
    let mb = store.mailbox("Thr").unwrap();
    for (id, date, refs, internal, subject) in msgs {
        let mut m = format!("Subject: {subject}\r\nMessage-ID: <{id}@x>\r\n");
        if let Some(d) = date {
            m.push_str(&format!("Date: {d}\r\n"));
        }
        if !refs.is_empty() {
            let r: Vec<String> = refs.iter().map(|r| format!("<{r}@x>")).collect();
            m.push_str(&format!("References: {}\r\n", r.join(" ")));
        }
        m.push_str("\r\nx\r\n");
        mb.save(
            m.as_bytes(),
            mailfts_store::Flags::empty(),
            &[],
            Some(internal),
        )
        .unwrap();
    }
}

/// CONDSTORE (RFC 7162 §3.1), checked against Dovecot 2.3 (answers in the transcript's comments).
#[test]
fn condstore() {
    transcript("condstore");
}

/// QRESYNC (RFC 7162 §3.2), checked against Dovecot 2.3 (answers in the transcript's comments):
/// mailbox `Qr` gets the UIDVALIDITY Dovecot gave its `Qr`, so that the commands are the same.
#[test]
fn qresync() {
    transcript_with("qresync", |store| {
        let qr = store.create_mailbox("Qr").unwrap();
        qr.sync().unwrap();
        std::fs::write(
            qr.path().join("mailfts-uidlist"),
            "mailfts-uidlist 1 V1796399417 N1\n",
        )
        .unwrap();
    });
}

/// BINARY (RFC 3516), checked against Dovecot 2.3 (answers in the transcript's comments; the
/// differences kept on purpose are listed at its top).
#[test]
fn binary() {
    transcript("binary");
}

/// CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4), checked against Dovecot 2.3 (answers in the
/// transcript's comments).
#[test]
fn context() {
    transcript("context");
}

/// NOTIFY (RFC 5465) on one connection, checked against Dovecot 2.3 (answers in the transcript's
/// comments; the differences kept on purpose are listed at its top).
#[test]
fn notify() {
    transcript("notify");
}
