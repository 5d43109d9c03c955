//! Persisted store state (`mailfts-state`): a fresh `mailfts search` process trusts what the last
//! process's sync saw only while nothing changed. Another process delivers, expunges and renames
//! flags between fresh-process searches; every search must see exactly the files on disk.
//!
//! "Settled" directories (last modified well before a sync) are what lets a sync record its state;
//! the test ages the directories' mtimes instead of sleeping, each time to a different instant.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use support::run_ok;

/// The INBOX files on disk: (all, seen).
fn oracle(maildir: &Path) -> (usize, usize) {
    let mut all = 0;
    let mut seen = 0;
    for sub in ["new", "cur"] {
        for e in fs::read_dir(maildir.join(sub)).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            all += 1;
            if sub == "cur" && name.split_once(":2,").is_some_and(|(_, f)| f.contains('S')) {
                seen += 1;
            }
        }
    }
    (all, seen)
}

/// Answers of two fresh processes (`ALL` and `SEEN` counts).
fn searched(home: &Path) -> (usize, usize) {
    let h = home.to_str().unwrap();
    let count = |key: &str| {
        run_ok(&["search", "--home", h, "--", key])
            .split_whitespace()
            .count()
    };
    (count("ALL"), count("SEEN"))
}

/// Sets `new/` and `cur/` last modified `age` ago (a distinct instant per call).
fn settle(maildir: &Path, age: Duration) {
    let t = SystemTime::now() - age;
    for sub in ["new", "cur"] {
        fs::File::open(maildir.join(sub))
            .unwrap()
            .set_modified(t)
            .unwrap();
    }
}

fn cur_files(maildir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(maildir.join("cur"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[test]
fn fresh_processes_see_every_change_of_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    run_ok(&[
        "corpus",
        "generate",
        "--messages",
        "200",
        "--seed",
        "5",
        "--out",
        home.to_str().unwrap(),
    ]);
    let md = home.join("Maildir");
    run_ok(&["rescan", "--home", home.to_str().unwrap()]);
    let mut age = 3600;
    let mut step = |what: &str| {
        // unsettled (just changed): the directories are read
        assert_eq!(searched(&home), oracle(&md), "{what}, right after");
        age -= 10;
        settle(&md, Duration::from_secs(age));
        // settled: the first fresh process records the state, the next ones use it
        assert_eq!(searched(&home), oracle(&md), "{what}, settled");
        assert!(md.join("mailfts-state").exists(), "state recorded");
        assert_eq!(searched(&home), oracle(&md), "{what}, from the state");
    };
    step("start");

    // another process delivers
    fs::write(
        md.join("tmp/9999999999.M1P1.other"),
        b"From: x@example.org\r\nSubject: late\r\n\r\nlate mail\r\n",
    )
    .unwrap();
    fs::rename(
        md.join("tmp/9999999999.M1P1.other"),
        md.join("new/9999999999.M1P1.other"),
    )
    .unwrap();
    step("delivery");

    // another process expunges
    let files = cur_files(&md);
    fs::remove_file(&files[3]).unwrap();
    step("expunge");

    // another process renames flags: one message becomes seen, another unseen
    let files = cur_files(&md);
    let unseen = files
        .iter()
        .find(|p| {
            !p.to_string_lossy()
                .rsplit(":2,")
                .next()
                .unwrap()
                .contains('S')
        })
        .expect("an unseen message");
    let name = unseen.to_string_lossy().to_string();
    fs::rename(unseen, format!("{name}S")).unwrap();
    let seen = cur_files(&md)
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with(":2,S"))
        .expect("a seen message");
    let name = seen.to_string_lossy().to_string();
    fs::rename(&seen, name.trim_end_matches('S')).unwrap();
    step("flag renames");

    // a garbled state file is ignored
    fs::write(md.join("mailfts-state"), b"mailfts-state 1\ngarbage\n").unwrap();
    assert_eq!(searched(&home), oracle(&md), "garbled state");
}
