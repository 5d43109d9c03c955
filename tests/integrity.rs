//! Damaged indexes, end to end with the real binary: every kind of damage is named by
//! `mailfts check` (exit 1), searches give exactly the linear scan's answer, and the next
//! `mailfts rescan` rebuilds the index so that `check` exits 0 again.
//!
//! The segment files are found by listing the index directory, so the tests follow schema changes
//! (which files exist, which fields there are).

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::{run, run_ok};

/// Search programs over headers, bodies and header columns.
const KEYS: [&str; 5] = [
    "TEXT meeting",
    "BODY meeting",
    "BODY budget",
    "FROM leon",
    "OR SUBJECT re FROM example",
];

/// A freshly generated and indexed home in `dir/home`.
fn indexed_home(dir: &Path, seed: u64) -> PathBuf {
    let home = dir.join("home");
    run_ok(&[
        "corpus",
        "generate",
        "--messages",
        "300",
        "--seed",
        &seed.to_string(),
        "--out",
        home.to_str().unwrap(),
    ]);
    run_ok(&["rescan", "--home", home.to_str().unwrap()]);
    home
}

fn search(home: &Path, key: &str, scan: bool) -> String {
    let h = home.to_str().unwrap();
    let mut args = vec!["search", "--home", h, "--all-mailboxes"];
    if scan {
        args.push("--scan");
    }
    args.extend(["--", key]);
    run_ok(&args)
}

/// Every key answered as the linear scan answers it (the scan never reads the index).
#[track_caller]
fn searches_equal_scan(home: &Path, when: &str) {
    for key in KEYS {
        let scan = search(home, key, true);
        assert!(
            scan.split_whitespace().count() > 4,
            "{key}: the corpus has matches"
        );
        assert_eq!(search(home, key, false), scan, "{key} {when}");
    }
}

fn check(home: &Path) -> (i32, String, serde_json::Value) {
    let h = home.to_str().unwrap();
    let text = run(&["check", "--home", h]);
    let json = run(&["check", "--home", h, "--json"]);
    assert_eq!(text.status.code(), json.status.code());
    let report = serde_json::from_slice(&json.stdout).expect("check --json prints one object");
    (
        text.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&text.stdout).to_string(),
        report,
    )
}

/// `check` exits 1 naming `what` (in the text and in the JSON problems); searches equal the scan;
/// `rescan` rebuilds; `check` exits 0; searches still equal the scan.
#[track_caller]
fn detected_and_repaired(home: &Path, what: &str) {
    let (code, text, report) = check(home);
    assert_eq!(code, 1, "check exits 1 for {what}: {text}");
    assert!(text.contains(what), "the check names {what}: {text}");
    let problems = report["problems"].as_array().expect("problems").clone();
    assert!(
        problems.iter().any(|p| p.to_string().contains(what)),
        "JSON names {what}: {report}"
    );
    searches_equal_scan(home, &format!("with {what} damaged"));
    let status = run(&["status", "--home", home.to_str().unwrap()]);
    assert_eq!(status.status.code(), Some(1), "status says damaged");
    assert!(String::from_utf8_lossy(&status.stdout).contains("DAMAGED"));
    let stderr = explain(home);
    assert!(
        stderr.contains("scan (index damaged"),
        "--explain says the index is damaged: {stderr}"
    );
    let stats = rescan_json(home);
    assert!(
        rebuilt_problem(&stats).is_some(),
        "rescan reports the rebuild: {stats}"
    );
    assert_eq!(stats["added"], 300, "everything reindexed: {stats}");
    let (code, text, _) = check(home);
    assert_eq!(code, 0, "clean after the rescan: {text}");
    assert!(!home.join("mailfts/DAMAGED").exists());
    searches_equal_scan(home, &format!("after repairing {what}"));
    // and the index answers again
    assert!(explain(home).contains(": index"));
}

/// The standard error (the plan) of `search --explain` for the first of [`KEYS`].
fn explain(home: &Path) -> String {
    let out = run(&[
        "search",
        "--home",
        home.to_str().unwrap(),
        "--explain",
        "--",
        KEYS[0],
    ]);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The statistics of `rescan --json`, which must succeed.
#[track_caller]
fn rescan_json(home: &Path) -> serde_json::Value {
    serde_json::from_str(run_ok(&["rescan", "--home", home.to_str().unwrap(), "--json"]).trim())
        .unwrap()
}

/// The problem of rescan statistics that reports a damaged index rebuilt, if any.
fn rebuilt_problem(stats: &serde_json::Value) -> Option<String> {
    stats["problems"]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.starts_with("index damaged, rebuilt"))
        .cloned()
}

/// The committed segment file with the extension `ext` (the largest, see [`segment_files`]).
fn segment_file(home: &Path, ext: &str) -> Option<PathBuf> {
    segment_files(home)
        .into_iter()
        .find(|(e, _)| e == ext)
        .map(|(_, p)| p)
}

/// The committed segment files by extension (`idx`, `term`, `fast`, ...): the largest of each.
fn segment_files(home: &Path) -> Vec<(String, PathBuf)> {
    let mut by_ext: std::collections::BTreeMap<String, (u64, PathBuf)> = Default::default();
    for e in fs::read_dir(home.join("mailfts/tantivy"))
        .unwrap()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "meta.json" {
            continue;
        }
        let Some((_, ext)) = name.split_once('.') else {
            continue;
        };
        let len = e.metadata().unwrap().len();
        let slot = by_ext.entry(ext.to_string()).or_insert((0, e.path()));
        if len >= slot.0 {
            *slot = (len, e.path());
        }
    }
    by_ext.into_iter().map(|(k, (_, p))| (k, p)).collect()
}

/// Length of a tantivy file's content before its footer (`json | len u32 | magic u32`).
fn body_len(bytes: &[u8]) -> usize {
    let n = bytes.len();
    let json = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    n - 8 - json
}

fn flip(path: &Path, at: usize, count: usize) {
    let mut b = fs::read(path).unwrap();
    let end = (at + count).min(b.len());
    for x in &mut b[at..end] {
        *x ^= 0xA5;
    }
    fs::write(path, b).unwrap();
}

/// The largest header column file of the home's index that `which` accepts.
fn largest_column(home: &Path, which: impl Fn(&Path) -> bool) -> PathBuf {
    fs::read_dir(home.join("mailfts/columns"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| which(p))
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .expect("a column file")
}

fn rel(home: &Path, p: &Path) -> String {
    p.strip_prefix(home.join("mailfts"))
        .unwrap()
        .to_string_lossy()
        .to_string()
}

#[test]
fn a_healthy_index_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    let (code, text, report) = check(&home);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("index ok"), "{text}");
    assert_eq!(report["problems"].as_array().unwrap().len(), 0);
    assert!(report["documents_sampled"].as_u64().unwrap() > 0);
    assert!(report["mailboxes_checked"].as_u64().unwrap() > 0);
    // no index at all is not damage
    let empty = dir.path().join("empty");
    fs::create_dir_all(empty.join("Maildir/cur")).unwrap();
    fs::create_dir_all(empty.join("Maildir/new")).unwrap();
    fs::create_dir_all(empty.join("Maildir/tmp")).unwrap();
    let (code, text, _) = check(&empty);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn flipped_bytes_in_every_segment_file_kind_are_detected_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    let files = segment_files(&home);
    let exts: Vec<&str> = files.iter().map(|(e, _)| e.as_str()).collect();
    for must in ["idx", "term", "fast", "store"] {
        assert!(exts.contains(&must), "{must} among {exts:?}");
    }
    for (ext, _) in files {
        // the segment files change with each rebuild: list them again
        let path = segment_file(&home, &ext).expect("same kinds after a rebuild");
        let bytes = fs::read(&path).unwrap();
        let body = body_len(&bytes);
        if body == 0 {
            continue; // nothing but the footer
        }
        flip(&path, body / 3, 16.min(body - body / 3));
        // before any check, searches never fail (they answer from the index or by the scan)
        for key in KEYS {
            search(&home, key, false);
        }
        detected_and_repaired(&home, &rel(&home, &path));
    }
}

#[test]
fn flipped_bytes_in_a_term_text_file_are_detected_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    let path = fs::read_dir(home.join("mailfts/terms"))
        .expect("a rescan writes term texts")
        .flatten()
        .map(|e| e.path())
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .expect("a term text file");
    let len = fs::metadata(&path).unwrap().len() as usize;
    // inside the terms' bytes: the shape checked at every map still holds, only the checksum
    // (verified by the full check) tells
    flip(&path, len / 3, 4);
    for key in KEYS {
        search(&home, key, false);
    }
    detected_and_repaired(&home, &rel(&home, &path));
}

#[test]
fn a_truncated_segment_file_is_detected_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    let (_, path) = segment_files(&home)
        .into_iter()
        .max_by_key(|(_, p)| fs::metadata(p).unwrap().len())
        .unwrap();
    let len = fs::metadata(&path).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    // the cheap checks at open see it: searches scan even before `check`
    searches_equal_scan(&home, "before check, truncated file");
    detected_and_repaired(&home, &rel(&home, &path));
}

#[test]
fn a_missing_segment_file_is_detected_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    let path = segment_file(&home, "term").unwrap();
    fs::remove_file(&path).unwrap();
    searches_equal_scan(&home, "before check, missing file");
    detected_and_repaired(&home, &rel(&home, &path));
}

#[test]
fn a_deleted_meta_json_is_detected_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    fs::remove_file(home.join("mailfts/tantivy/meta.json")).unwrap();
    searches_equal_scan(&home, "before check, no meta.json");
    detected_and_repaired(&home, "tantivy/meta.json");
}

#[test]
fn a_garbled_header_column_is_detected_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    let path = largest_column(&home, |p| p.to_string_lossy().contains(".from"));
    let len = fs::metadata(&path).unwrap().len() as usize;
    flip(&path, len / 2, 8);
    // column records carry checksums, verified at every load
    searches_equal_scan(&home, "before check, garbled column");
    detected_and_repaired(&home, &rel(&home, &path));
}

/// A header column record with a right checksum but a value its message does not have (a bug, or
/// a write of another version) is found by the full check's samples, which stream each column
/// once instead of loading it: a record appended after the UID's own still counts, as it does for
/// a search.
#[test]
fn a_column_value_that_its_message_lacks_is_found_by_the_samples() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    let path = largest_column(&home, |p| p.extension().is_some_and(|e| e == "subject"));
    let mut bytes = fs::read(&path).unwrap();
    // the first record's UID: the mailbox's first message, which the samples always include
    let uid = &bytes[..4].to_vec();
    let value = b"zzqx";
    let mut record = uid.clone();
    record.extend_from_slice(&(value.len() as u32).to_le_bytes());
    record.extend_from_slice(value);
    let crc = crc32fast::hash(&record);
    record.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(&record);
    fs::write(&path, bytes).unwrap();
    detected_and_repaired(&home, "column subject differs from the message");
}

#[test]
fn a_rescan_after_a_crashed_one_runs_the_full_check_and_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let home = indexed_home(dir.path(), 3);
    let path = segment_file(&home, "idx").unwrap();
    let body = body_len(&fs::read(&path).unwrap());
    flip(&path, body / 2, 16);
    // what a rescan leaves behind when it is killed
    fs::write(home.join("mailfts/RESCANNING"), "4242\n").unwrap();
    let stats = rescan_json(&home);
    let rebuilt = rebuilt_problem(&stats)
        .unwrap_or_else(|| panic!("the full check ran and found the damage: {stats}"));
    assert!(rebuilt.contains(&rel(&home, &path)), "{rebuilt}");
    assert!(!home.join("mailfts/RESCANNING").exists());
    let (code, text, _) = check(&home);
    assert_eq!(code, 0, "{text}");
    searches_equal_scan(&home, "after the rebuild");
}
