//! Exact protocol bytes, as C:/S: transcripts in `tests/transcripts/*.txt`.

use crate::support::{fixture_inbox, run_transcript, test_file, TestServer};

#[track_caller]
fn transcript(name: &str) {
    let server = TestServer::start(|_| {});
    fixture_inbox(&server.store("alice"));
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
    for line in script.lines() {
        let Some(cmd) = line.strip_prefix("C: ") else { continue };
        println!("C: {cmd}");
        c.send(format!("{}\r\n", cmd.replace("\\r\\n", "\r\n")).as_bytes());
        let tag = cmd.split(' ').next().unwrap_or("");
        if cmd.ends_with('}') || cmd.eq_ignore_ascii_case("DONE") {
            println!("S: {}", c.line().trim_end().replace("\r\n", "\\r\\n"));
            continue;
        }
        for l in c.until_tagged(tag) {
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
