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
        let Some(cmd) = line.strip_prefix("C: ") else {
            continue;
        };
        println!("C: {cmd}");
        let wire = cmd.replace("\\r\\n", "\r\n");
        c.send(format!("{wire}\r\n").as_bytes());
        if !continuation {
            let last = wire.rsplit("\r\n").next().unwrap_or("");
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
