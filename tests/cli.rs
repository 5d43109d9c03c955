//! End-to-end tests of the `mailfts` binary on real Maildir homes in temporary directories.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::{bin, run, run_ok};

fn generate(home: &Path, messages: usize, seed: u64) {
    run_ok(&[
        "corpus",
        "generate",
        "--messages",
        &messages.to_string(),
        "--seed",
        &seed.to_string(),
        "--out",
        home.to_str().unwrap(),
    ]);
}

fn rescan_json(home: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["rescan", "--home", home.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(run_ok(&args).trim()).expect("rescan --json prints one object")
}

fn status_json(home: &Path) -> serde_json::Value {
    serde_json::from_str(&run_ok(&[
        "status",
        "--home",
        home.to_str().unwrap(),
        "--json",
    ]))
    .unwrap()
}

/// `mailfts search --home HOME args…` (`args` end with `--` and the program).
fn search(home: &Path, args: &[&str]) -> Output {
    run(&[&["search", "--home", home.to_str().unwrap()], args].concat())
}

/// The standard output of a [`search`] that must succeed.
#[track_caller]
fn search_ok(home: &Path, args: &[&str]) -> String {
    run_ok(&[&["search", "--home", home.to_str().unwrap()], args].concat())
}

/// `mailfts search --home HOME --explain -- ALL` (the plan is on standard error).
fn explain_all(home: &Path) -> Output {
    search(home, &["--explain", "--", "ALL"])
}

fn inbox_files(home: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(home.join("Maildir/cur"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// Every mailbox: as many documents as store messages, each UID once.
#[track_caller]
fn assert_index_equals_store(home: &Path) {
    let st = status_json(home);
    for m in st["mailboxes"].as_array().unwrap() {
        assert_eq!(m["in_store"], m["in_index"], "{m}");
        assert_eq!(m["documents"], m["in_index"], "duplicate documents: {m}");
    }
}

#[test]
fn rescan_is_idempotent_and_follows_adds_and_expunges() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    generate(home, 300, 3);
    let first = rescan_json(home, &[]);
    assert_eq!(first["added"], 300);
    for key in ["removed", "failed", "seconds", "msg_per_sec"] {
        assert!(first.get(key).is_some(), "missing key {key}");
    }
    let second = rescan_json(home, &[]);
    assert_eq!(second["added"], 0);
    assert_eq!(second["removed"], 0);
    assert_index_equals_store(home);
    // the substring structures are reported on their own and counted in the index size
    let st = status_json(home);
    let (terms, opaque) = (
        st["term_text_bytes"].as_u64().unwrap(),
        st["opaque_column_bytes"].as_u64().unwrap(),
    );
    assert!(terms > 0 && opaque > 0, "{st}");
    assert!(terms + opaque < st["index_bytes"].as_u64().unwrap(), "{st}");
    // the parts add up to the index: every word field's postings and dictionary, each column
    let parts = &st["parts"];
    let sum = |v: &serde_json::Value| -> u64 {
        v.as_object()
            .unwrap()
            .values()
            .map(|b| b.as_u64().unwrap())
            .sum()
    };
    for key in [
        "body postings",
        "body dictionary",
        "headers postings",
        "pairs postings",
    ] {
        assert!(
            parts["tantivy"][key].as_u64().unwrap() > 0,
            "{key}: {parts}"
        );
    }
    assert_eq!(
        parts["columns"]["opaque-headers"].as_u64().unwrap()
            + parts["columns"]["opaque-body"].as_u64().unwrap_or(0),
        opaque,
        "{parts}"
    );
    assert_eq!(parts["term_texts"].as_u64().unwrap(), terms, "{parts}");
    let total = sum(&parts["tantivy"]) + sum(&parts["columns"]) + terms;
    let index_bytes = st["index_bytes"].as_u64().unwrap();
    // the rest is the index's own small files (meta, state)
    assert!(
        total <= index_bytes && total + 64 * 1024 > index_bytes,
        "{total} of {index_bytes}: {parts}"
    );
    let text = run_ok(&["status", "--home", home.to_str().unwrap()]);
    assert!(
        text.contains("substring lookups (included above)") && text.contains("word postings"),
        "{text}"
    );

    // delete 10 files, deliver 5 new (the way an MDA does: tmp/ then rename into new/)
    let files = inbox_files(home);
    for f in files.iter().take(10) {
        std::fs::remove_file(f).unwrap();
    }
    for i in 0..5 {
        let tmp = home.join(format!("Maildir/tmp/new{i}"));
        std::fs::write(
            &tmp,
            format!("Subject: fresh {i}\nFrom: new@example.org\n\nbrandnewword{i}\n"),
        )
        .unwrap();
        std::fs::rename(
            &tmp,
            home.join(format!("Maildir/new/170000000{i}.M1P1.test")),
        )
        .unwrap();
    }
    let third = rescan_json(home, &[]);
    assert_eq!(
        (third["added"].as_u64(), third["removed"].as_u64()),
        (Some(5), Some(10))
    );
    assert_index_equals_store(home);
    let hits = search_ok(home, &["--", "BODY brandnewword3"]);
    assert_eq!(hits.split_whitespace().count(), 1);
}

#[test]
fn flag_renames_keep_uids_and_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    generate(home, 50, 5);
    rescan_json(home, &[]);
    let before = search_ok(home, &["--", "ALL"]);
    // every INBOX message gets \\Flagged \\Seen; those in new/ move to cur/ (as an IMAP server does)
    let mut files = inbox_files(home);
    files.extend(
        std::fs::read_dir(home.join("Maildir/new"))
            .unwrap()
            .flatten()
            .map(|e| e.path()),
    );
    for f in files {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        let base = name.split(":2,").next().unwrap();
        std::fs::rename(&f, home.join("Maildir/cur").join(format!("{base}:2,FS"))).unwrap();
    }
    let r = rescan_json(home, &[]);
    assert_eq!(
        (r["added"].as_u64(), r["removed"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(search_ok(home, &["--", "ALL"]), before);
    let flagged = search_ok(home, &["--", "FLAGGED"]);
    assert_eq!(flagged, before);
}

#[test]
fn interrupted_rescan_resumes_without_duplicates_or_loss() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    generate(home, 3000, 11);
    // a child killed in the middle of its run (batches of 100 messages per commit)
    let mut child = bin()
        .args(["rescan", "--home", home.to_str().unwrap(), "--batch", "100"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let meta = home.join("mailfts/tantivy/meta.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let committed = std::fs::read_to_string(&meta).unwrap_or_default();
        if committed.contains("high_water\\\":1") || committed.contains("high_water\\\":2") {
            break; // at least one batch committed
        }
        if child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    let resumed = rescan_json(home, &[]);
    if !finished_early {
        assert!(
            resumed["added"].as_u64().unwrap() < 3000,
            "nothing committed before the kill: {resumed}"
        );
    }
    assert_index_equals_store(home);
    let all = search_ok(home, &["--all-mailboxes", "--", "ALL"]);
    let total: usize = all.lines().map(|l| l.split_whitespace().count() - 1).sum();
    assert_eq!(total, 3000);
}

#[test]
fn index_of_another_schema_version_is_rebuilt_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    generate(home, 80, 9);
    rescan_json(home, &[]);
    let meta = home.join("mailfts/tantivy/meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    let current = format!("\\\"schema\\\":{}", mailfts_indexer::schema::SCHEMA_VERSION);
    assert!(text.contains(&current), "{text}");
    std::fs::write(&meta, text.replace(&current, "\\\"schema\\\":0")).unwrap();
    // searching answers by scan, and says why
    let out = explain_all(home);
    assert!(out.status.success());
    let explain = String::from_utf8_lossy(&out.stderr);
    assert!(explain.contains("scan (index unusable"), "{explain}");
    // rescan rebuilds it
    let r = rescan_json(home, &[]);
    assert!(r["added"].as_u64().unwrap() > 0);
    assert_index_equals_store(home);
    let out = explain_all(home);
    assert!(String::from_utf8_lossy(&out.stderr).contains(": index"));
}

#[test]
fn uidvalidity_change_reindexes_the_mailbox() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    generate(home, 60, 4);
    rescan_json(home, &[]);
    let inbox_count =
        inbox_files(home).len() + std::fs::read_dir(home.join("Maildir/new")).unwrap().count();
    std::fs::write(
        home.join("Maildir/mailfts-uidlist"),
        b"garbage that is no uid list\n",
    )
    .unwrap();
    let r = rescan_json(home, &[]);
    assert_eq!(r["added"].as_u64().unwrap() as usize, inbox_count);
    assert_eq!(r["removed"].as_u64().unwrap() as usize, inbox_count);
    assert_index_equals_store(home);
}

#[test]
fn search_without_index_scans_and_bad_programs_name_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    generate(home, 40, 2);
    let out = explain_all(home);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scan (no index"));
    let n = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .count();
    assert!(n > 0);
    let bad = search(home, &["--", "SINCE 31-Feb-2024"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("at byte 6"), "{err}");
    let refused = search(home, &["--mailbox", "../etc", "--", "ALL"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains(".."));
}

/// README.md's "Every flag" section lists, under each command's heading, every flag that the
/// command's `--help` shows (`--help` and `--version` aside).
#[test]
fn readme_lists_every_flag_of_every_help() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("\n## Every flag\n")
        .expect("README has `## Every flag`");
    let section = &readme[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |e| e + 1)];
    let commands: [&[&str]; 15] = [
        &[],
        &["rescan"],
        &["status"],
        &["check"],
        &["search"],
        &["demo"],
        &["bench"],
        &["corpus"],
        &["corpus", "generate"],
        &["serve"],
        &["hook"],
        &["hook", "saved"],
        &["imap"],
        &["user"],
        &["user", "add"],
    ];
    for command in commands {
        let help = run_ok(&[command, &["--help"]].concat());
        // the group commands (`corpus`, `hook`, `user`) add no flag: their flags are the top's
        let heading = match command {
            [_] if help.contains("\nCommands:\n") => "### `mailfts`\n".to_string(),
            _ => format!(
                "### `mailfts{}`\n",
                command.iter().map(|c| format!(" {c}")).collect::<String>()
            ),
        };
        let listed = &section[section
            .find(&heading)
            .unwrap_or_else(|| panic!("no {heading}"))..];
        let listed = &listed[..listed[4..].find("\n### ").map_or(listed.len(), |e| e + 4)];
        let options = &help[help.find("\nOptions:\n").expect("an Options: block")..];
        for line in options.lines() {
            let Some(flag) = line
                .split_whitespace()
                .find(|w| w.starts_with("--"))
                .filter(|_| line.trim_start().starts_with('-'))
            else {
                continue;
            };
            let flag = flag.trim_end_matches("...");
            if flag == "--help" || flag == "--version" {
                continue;
            }
            let found = listed.lines().any(|l| {
                l.starts_with("* `")
                    && l.split('`').nth(1).is_some_and(|f| {
                        f.split([' ', ','])
                            .any(|w| w.trim_end_matches("...") == flag)
                    })
            });
            assert!(
                found,
                "README: {flag} of `mailfts {command:?}` missing under {heading}"
            );
        }
    }
}

/// `mailfts bench --json` on a small home: every query equal to the scan, and the run counts
/// follow `--runs` and `--budget` (a budget of 0 times the first run of each mode alone).
#[test]
fn bench_times_each_query_within_its_runs_and_budget() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    generate(home, 150, 11);
    let bench = |runs: &str, budget: &str| -> serde_json::Value {
        let out = run_ok(&[
            "bench",
            "--home",
            home.to_str().unwrap(),
            "--runs",
            runs,
            "--budget",
            budget,
            "--json",
        ]);
        serde_json::from_str(&out).unwrap()
    };
    let first = bench("2", "600");
    assert_eq!(first["refresh"]["added"], 150, "{first}");
    let queries = first["queries"].as_array().unwrap();
    assert!(queries.len() >= 5, "{first}");
    for q in queries {
        assert_eq!(q["agrees"], true, "{q}");
        assert_eq!(q["hits"], q["hits_index"], "{q}");
        assert_eq!(q["scan_runs"], 2, "{q}");
        assert_eq!(q["index_runs"], 100, "{q}");
    }
    let hits: Vec<_> = queries.iter().map(|q| q["hits"].clone()).collect();
    let within_nothing = bench("2", "0");
    assert_eq!(within_nothing["refresh"]["added"], 0, "{within_nothing}");
    let queries = within_nothing["queries"].as_array().unwrap();
    assert_eq!(
        queries
            .iter()
            .map(|q| q["hits"].clone())
            .collect::<Vec<_>>(),
        hits
    );
    for q in queries {
        assert_eq!(q["agrees"], true, "{q}");
        assert_eq!(q["scan_runs"], 0, "{q}");
        assert_eq!(q["index_runs"], 0, "{q}");
    }
}
