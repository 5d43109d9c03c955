//! Integrity checks of a home's index, shared by `mailfts check`, `rescan`, searches and the daemon.
//!
//! Two depths:
//!
//! * **cheap** ([`CheckOptions::cheap`], run at every open): the damage marker, `meta.json` present
//!   and parseable, the commit payload parseable, and for every file of every committed segment:
//!   present, long enough, with a readable tantivy footer of a supported format version. A few
//!   `stat`s and small reads per segment.
//! * **full** ([`CheckOptions::default`], `mailfts check`, daemon startup and schedule, a rescan
//!   after a crash or with the damage marker): additionally the CRC32 of every segment file against
//!   its footer, every record checksum of the header columns, the CRC32 of every term text file
//!   ([`crate::terms`]), per mailbox the documents the index
//!   holds against the store's UIDs at or below the high-water mark, and a sample of documents
//!   (fast fields and header column values) against their messages.
//!
//! The report names every problem with its file (relative to the index directory) or mailbox.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crate::home::FastRowCollector;
use crate::terms::TermText;
use mailfts_store::Store;
use roaring::RoaringBitmap;
use serde::Serialize;
use tantivy::index::{SegmentComponent, SegmentMeta};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, TantivyError, Term};

use crate::columns::{Columns, ValuesByUid, COLUMN_FILES};
use crate::document::{day_of, prepare, rfc822_size};
use crate::home::HomeIndex;
use crate::marker;
use crate::meta::IndexMeta;
use crate::schema::message_key;

/// How deep to check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Checksums, columns, counts and samples (else only the cheap checks).
    pub full: bool,
    /// Documents per mailbox verified against their messages (full checks only).
    pub samples_per_mailbox: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            full: true,
            samples_per_mailbox: 5,
        }
    }
}

impl CheckOptions {
    /// The checks cheap enough for every open.
    pub fn cheap() -> CheckOptions {
        CheckOptions {
            full: false,
            samples_per_mailbox: 0,
        }
    }
}

/// One thing found wrong.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Short class: `marked damaged`, `missing file`, `bad footer`, `checksum mismatch`,
    /// `unreadable`, `bad metadata`, `header column`, `document count`, `sample`, `open`.
    pub kind: String,
    /// The file, relative to the index directory, when the problem is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The mailbox, when the problem is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// What is wrong.
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(file) = &self.file {
            write!(f, " in {file}")?;
        }
        if let Some(m) = &self.mailbox {
            write!(f, " in mailbox {m}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The outcome of a check.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckReport {
    /// The index directory.
    pub index: PathBuf,
    /// False when there is no index at all (nothing to check, not damage).
    pub present: bool,
    /// Whether the full checks ran.
    pub full: bool,
    /// Segment and column files checked.
    pub files_checked: u64,
    /// Bytes whose checksum was verified.
    pub bytes_verified: u64,
    /// Mailboxes whose counts were compared with the store.
    pub mailboxes_checked: u64,
    /// Documents verified against their messages.
    pub documents_sampled: u64,
    /// Everything found wrong (empty: clean).
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line naming the first problems (for logs, the damage marker, `--explain`).
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .problems
            .iter()
            .take(3)
            .map(|p| p.to_string())
            .collect();
        if self.problems.len() > 3 {
            parts.push(format!("and {} more", self.problems.len() - 3));
        }
        parts.join("; ")
    }

    /// Records a problem; a detail longer than [`DETAIL_CHARS`] is cut (a parser's message may
    /// quote a whole damaged value, and the summary goes to logs and the damage marker).
    fn push(&mut self, kind: &str, file: Option<String>, mailbox: Option<&str>, detail: String) {
        let detail = match detail.char_indices().nth(DETAIL_CHARS) {
            Some((cut, _)) => format!("{}…", &detail[..cut]),
            None => detail,
        };
        self.problems.push(Problem {
            kind: kind.to_string(),
            file,
            mailbox: mailbox.map(str::to_string),
            detail,
        });
    }
}

/// The longest detail a problem keeps, in characters.
const DETAIL_CHARS: usize = 300;

/// True for tantivy errors that mean damaged files (as opposed to a busy lock, a bad argument or
/// a resource limit): a search that meets one answers by the scan and marks the index damaged.
pub fn is_damage(e: &TantivyError) -> bool {
    use std::io::ErrorKind as K;
    let io_damage = |k: K| matches!(k, K::InvalidData | K::UnexpectedEof | K::NotFound);
    match e {
        TantivyError::DataCorruption(_)
        | TantivyError::IncompatibleIndex(_)
        | TantivyError::InternalError(_)
        | TantivyError::DeserializeError(_)
        | TantivyError::SchemaError(_)
        | TantivyError::FieldNotFound(_)
        | TantivyError::OpenDirectoryError(_) => true,
        TantivyError::OpenReadError(o) => match o {
            tantivy::directory::error::OpenReadError::IoError { io_error, .. } => {
                io_damage(io_error.kind())
            }
            _ => true,
        },
        TantivyError::IoError(io) => io_damage(io.kind()),
        _ => false,
    }
}

/// The text of a caught panic.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Checks the index in `index_dir` (with `store` for the counts and samples of a full check).
///
/// A commit by another process during the check (a merge removes files) is not damage: when
/// problems are found and `meta.json` changed meanwhile, the check runs again (up to 3 times).
pub fn check(index_dir: &Path, store: Option<&Store>, opts: &CheckOptions) -> CheckReport {
    let meta_path = index_dir.join("tantivy").join("meta.json");
    let mut attempt = 0;
    loop {
        let before = std::fs::read(&meta_path).ok();
        let r = check_once(index_dir, store, opts);
        attempt += 1;
        if r.is_clean() || attempt >= 3 || std::fs::read(&meta_path).ok() == before {
            return r;
        }
    }
}

fn check_once(index_dir: &Path, store: Option<&Store>, opts: &CheckOptions) -> CheckReport {
    let mut r = CheckReport {
        index: index_dir.to_path_buf(),
        full: opts.full,
        ..Default::default()
    };
    if let Some(reason) = marker::damaged_reason(index_dir) {
        r.push("marked damaged", Some(marker::DAMAGED.into()), None, reason);
    }
    let tdir = index_dir.join("tantivy");
    if !tdir.join("meta.json").exists() {
        if has_leftovers(index_dir) {
            r.present = true;
            r.push(
                "missing file",
                Some("tantivy/meta.json".into()),
                None,
                "the index's meta.json is missing but its other files are present".into(),
            );
        }
        return r;
    }
    r.present = true;
    let index = match guarded(|| Index::open_in_dir(&tdir)) {
        Ok(i) => i,
        Err(e) => {
            r.push("bad metadata", Some("tantivy/meta.json".into()), None, e);
            return r;
        }
    };
    let metas = match guarded(|| index.load_metas()) {
        Ok(m) => m,
        Err(e) => {
            r.push("bad metadata", Some("tantivy/meta.json".into()), None, e);
            return r;
        }
    };
    let meta = match IndexMeta::from_payload(metas.payload.as_deref()) {
        Ok(m) => m,
        Err(e) => {
            r.push(
                "bad metadata",
                Some("tantivy/meta.json".into()),
                None,
                format!("commit payload: {e}"),
            );
            return r;
        }
    };
    check_segment_files(&tdir, &metas, opts.full, &mut r);
    if !r.is_clean() || !opts.full {
        // the cheap checks end here: opening the index is the caller's next step anyway
        return r;
    }
    let home = match HomeIndex::open_unmarked(index_dir) {
        Ok(Some(h)) => h,
        Ok(None) => return r,
        Err(crate::IndexError::BadMeta { .. }) => return r, // another schema version: rebuilt, not damaged
        Err(e) => {
            r.push("open", None, None, e.to_string());
            return r;
        }
    };
    check_columns(home.columns(), &mut r);
    check_term_texts(index_dir, &mut r);
    if let Some(store) = store {
        check_mailboxes(&home, store, &meta, opts, &mut r);
    }
    r
}

/// Checks every file of the segments listed in `metas` (lengths and footers; checksums when
/// `full`), recording problems in `r`.
fn check_segment_files(tdir: &Path, metas: &tantivy::IndexMeta, full: bool, r: &mut CheckReport) {
    let present_exts = extensions_in(tdir);
    for seg in &metas.segments {
        for file in segment_files(seg, &present_exts) {
            check_segment_file(tdir, &file, full, r);
        }
    }
}

/// True when the index directory holds index files although `meta.json` is missing.
pub fn has_leftovers(index_dir: &Path) -> bool {
    let non_empty = |p: PathBuf| {
        std::fs::read_dir(p).is_ok_and(|mut rd| {
            rd.any(|e| {
                e.is_ok_and(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    !n.starts_with(".tantivy-") && !n.ends_with(".lock")
                })
            })
        })
    };
    non_empty(index_dir.join("tantivy")) || non_empty(index_dir.join("columns"))
}

/// Runs `f`, turning a panic into an error message too.
fn guarded<T>(f: impl FnOnce() -> tantivy::Result<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(format!("panic: {}", panic_message(p.as_ref()))),
    }
}

/// The files a committed segment consists of: the built-in components that exist for it (or for
/// any other segment of the directory: a component missing for one segment only is a missing
/// file) and its live delete file.
fn segment_files(seg: &SegmentMeta, present_exts: &BTreeSet<String>) -> Vec<String> {
    let components = [
        SegmentComponent::Postings,
        SegmentComponent::Positions,
        SegmentComponent::Terms,
        SegmentComponent::Store,
        SegmentComponent::FastFields,
        SegmentComponent::FieldNorms,
    ];
    let mut files: Vec<String> = components
        .into_iter()
        .map(|c| seg.relative_path(c).to_string_lossy().to_string())
        .filter(|f| {
            let ext = f.split_once('.').map_or("", |(_, e)| e);
            present_exts.contains(ext)
        })
        .collect();
    if seg.has_deletes() {
        files.push(
            seg.relative_path(SegmentComponent::Delete)
                .to_string_lossy()
                .to_string(),
        );
    }
    files
}

/// The file extensions present in the tantivy directory (`idx`, `term`, …).
fn extensions_in(tdir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(tdir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    let (_, ext) = n.split_once('.')?;
                    Some(ext.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Footer format: `json | json_len: u32 LE | magic: u32 LE`.
const FOOTER_MAGIC: u32 = 1337;
const FOOTER_MAX_LEN: u64 = 50_000;

/// Checks one segment file: present, footer readable, and with `full` its checksum.
fn check_segment_file(tdir: &Path, name: &str, full: bool, r: &mut CheckReport) {
    let rel = format!("tantivy/{name}");
    r.files_checked += 1;
    let path = tdir.join(name);
    let mut f = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            r.push(
                "missing file",
                Some(rel),
                None,
                "listed in meta.json, absent".into(),
            );
            return;
        }
        Err(e) => {
            r.push("unreadable", Some(rel), None, e.to_string());
            return;
        }
    };
    let (body_len, crc) = match read_footer(&mut f) {
        Ok(v) => v,
        Err(e) => {
            r.push("bad footer", Some(rel), None, e);
            return;
        }
    };
    if !full {
        return;
    }
    match crc_of(&mut f, body_len) {
        Ok(actual) if actual == crc => r.bytes_verified += body_len,
        Ok(actual) => r.push(
            "checksum mismatch",
            Some(rel),
            None,
            format!("footer says crc32 {crc:08x}, content has {actual:08x}"),
        ),
        Err(e) => r.push("unreadable", Some(rel), None, e.to_string()),
    }
}

/// Reads a tantivy footer: the body length and its recorded CRC32.
fn read_footer(f: &mut File) -> Result<(u64, u32), String> {
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if len < 8 {
        return Err(format!(
            "file of {len} bytes is too short for a footer (truncated)"
        ));
    }
    let mut tail = [0u8; 8];
    f.seek(SeekFrom::Start(len - 8))
        .and_then(|_| f.read_exact(&mut tail))
        .map_err(|e| e.to_string())?;
    let json_len = u32::from_le_bytes(tail[0..4].try_into().expect("4 bytes")) as u64;
    let magic = u32::from_le_bytes(tail[4..8].try_into().expect("4 bytes"));
    if magic != FOOTER_MAGIC {
        return Err("no footer magic at the end of the file (truncated or overwritten)".into());
    }
    if json_len > FOOTER_MAX_LEN || json_len + 8 > len {
        return Err(format!(
            "footer length {json_len} impossible for a file of {len} bytes"
        ));
    }
    let mut json = vec![0u8; json_len as usize];
    f.seek(SeekFrom::Start(len - 8 - json_len))
        .and_then(|_| f.read_exact(&mut json))
        .map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| format!("footer unreadable: {e}"))?;
    let crc = v
        .get("crc")
        .and_then(|c| c.as_u64())
        .and_then(|c| u32::try_from(c).ok())
        .ok_or("footer without a checksum")?;
    let format = v
        .pointer("/version/index_format_version")
        .and_then(|x| x.as_u64())
        .ok_or("footer without a format version")?;
    if format > tantivy::INDEX_FORMAT_VERSION as u64 {
        return Err(format!("index format version {format} not supported"));
    }
    Ok((len - 8 - json_len, crc))
}

/// CRC32 of the first `len` bytes of `f`.
fn crc_of(f: &mut File, len: u64) -> std::io::Result<u32> {
    f.seek(SeekFrom::Start(0))?;
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = (left as usize).min(buf.len());
        f.read_exact(&mut buf[..n])?;
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(h.finalize())
}

fn check_columns(columns: &Columns, r: &mut CheckReport) {
    for (path, _, _) in columns.files() {
        r.files_checked += 1;
        if let Err(e) = Columns::verify_file(&path) {
            let name = path.file_name().map_or(String::new(), |n| {
                format!("columns/{}", n.to_string_lossy())
            });
            r.push("header column", Some(name), None, e);
        } else {
            r.bytes_verified += std::fs::metadata(&path).map_or(0, |m| m.len());
        }
    }
}

/// Verifies every term text file (`terms/`, see [`crate::terms`]): searches map them after a
/// shape check only.
fn check_term_texts(index_dir: &Path, r: &mut CheckReport) {
    let Ok(entries) = std::fs::read_dir(index_dir.join("terms")) else {
        return; // none written (a daemon's small commits): searches build them in memory
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "tmp") {
            continue;
        }
        r.files_checked += 1;
        let name = format!("terms/{}", entry.file_name().to_string_lossy());
        match TermText::verify_file(&path) {
            Ok(true) => r.bytes_verified += entry.metadata().map_or(0, |m| m.len()),
            // a derived file of an older format, not damage: the next rescan writes it anew
            Ok(false) => {}
            Err(e) => r.push("term text", Some(name), None, e),
        }
    }
}

fn check_mailboxes(
    home: &HomeIndex,
    store: &Store,
    meta: &IndexMeta,
    opts: &CheckOptions,
    r: &mut CheckReport,
) {
    let snap = match home.snapshot() {
        Ok(s) => s,
        Err(e) => {
            r.push("open", None, None, e.to_string());
            return;
        }
    };
    for (name, m) in &meta.mailboxes {
        let Ok(mailbox) = store.mailbox(name) else {
            continue; // deleted from the store: the next rescan drops it
        };
        // shared and lazy: a message's entry is made only when asked for (every entry of a
        // mailbox of 450,000 messages at once was 70 MB of the check's peak)
        let Ok(s) = mailbox.sync_shared() else {
            continue;
        };
        if s.uid_validity != m.uid_validity {
            continue; // reindexed by the next rescan
        }
        r.mailboxes_checked += 1;
        let (indexed, docs) = match guarded(|| Ok((snap.uids_of(m.id)?, snap.doc_count_of(m.id)?)))
        {
            Ok(v) => v,
            Err(e) => {
                r.push("unreadable", None, Some(name), e);
                continue;
            }
        };
        if docs as u64 != indexed.len() {
            r.push(
                "document count",
                None,
                Some(name),
                format!(
                    "{docs} documents for {} distinct UIDs (duplicates)",
                    indexed.len()
                ),
            );
        }
        // messages the index must hold: the store's UIDs at or below the high-water mark that
        // can be read (an unreadable message is skipped by rescans and retried, not damage)
        let missing: Vec<u32> = s
            .uids()
            .iter()
            .copied()
            .filter(|&u| u <= m.high_water && !indexed.contains(u))
            .filter(|&u| s.entry(u).is_some_and(|e| e.read().is_ok()))
            .collect();
        if !missing.is_empty() {
            r.push(
                "document count",
                None,
                Some(name),
                format!(
                    "{} messages at or below the high-water mark {} are not in the index (UIDs {})",
                    missing.len(),
                    m.high_water,
                    preview(&missing)
                ),
            );
        }
        let live: Vec<u32> = s
            .uids()
            .iter()
            .copied()
            .filter(|u| indexed.contains(*u))
            .collect();
        let sampled = spread(&live, opts.samples_per_mailbox);
        // each column is streamed once for all the samples of the mailbox, never loaded whole
        let wanted: RoaringBitmap = sampled.iter().copied().collect();
        let stored: Result<Vec<_>, _> = (0..COLUMN_FILES.len())
            .map(|f| home.columns().values_of_uids(m.id, f, &wanted))
            .collect();
        let stored = stored
            .map_err(|e| r.push("sample", None, Some(name), format!("header columns: {e}")))
            .ok();
        for uid in sampled {
            let entry = s.entry(uid).expect("from the snapshot");
            r.documents_sampled += 1;
            if let Err(e) = sample(home, &snap, m.id, &entry, stored.as_deref()) {
                r.push("sample", None, Some(name), format!("UID {uid}: {e}"));
            }
        }
    }
}

fn preview(uids: &[u32]) -> String {
    let mut s: Vec<String> = uids.iter().take(5).map(u32::to_string).collect();
    if uids.len() > 5 {
        s.push("…".into());
    }
    s.join(" ")
}

/// Up to `n` values evenly spread over `v` (first and last included).
fn spread(v: &[u32], n: usize) -> Vec<u32> {
    if v.is_empty() || n == 0 {
        return Vec::new();
    }
    if v.len() <= n {
        return v.to_vec();
    }
    let mut out: Vec<u32> = (0..n)
        .map(|i| v[i * (v.len() - 1) / (n - 1).max(1)])
        .collect();
    out.dedup();
    out
}

/// Verifies one document against its message: one document for the key, its fast fields, and the
/// header column values (`stored`: each column's values of the sampled UIDs, by column id; `None`
/// when the columns could not be read, which is reported once for the mailbox).
fn sample(
    home: &HomeIndex,
    snap: &crate::home::IndexSnapshot,
    mailbox_id: u32,
    entry: &mailfts_store::MessageEntry,
    stored: Option<&[ValuesByUid]>,
) -> Result<(), String> {
    let Ok(raw) = entry.read() else {
        return Ok(()); // vanished or unreadable since the sync: nothing to compare
    };
    let date = entry.internal_date().map_err(|e| e.to_string())?;
    let q = TermQuery::new(
        Term::from_field_u64(snap.fields.key, message_key(mailbox_id, entry.uid)),
        IndexRecordOption::Basic,
    );
    let rows = guarded(|| snap.searcher.search(&q, &FastRowCollector))?;
    let [row] = rows.as_slice() else {
        return Err(format!("{} documents for the message", rows.len()));
    };
    // a missing value reads as a sentinel that no message has, so it is reported as a mismatch
    let (uid, size, day) = (
        row.uid.unwrap_or(u64::MAX),
        row.size.unwrap_or(u64::MAX),
        row.internal_day.unwrap_or(i64::MIN),
    );
    if uid != entry.uid as u64 {
        return Err(format!("document has uid {uid}"));
    }
    if size != rfc822_size(&raw) {
        return Err(format!(
            "size {size} in the index, {} in the store",
            rfc822_size(&raw)
        ));
    }
    if day != day_of(date) {
        return Err(format!(
            "internal date day {day} in the index, {} in the store",
            day_of(date)
        ));
    }
    // the columns only: pairs are not compared
    let no_pairs = crate::pairs::PairWords::default();
    let p = prepare(home.fields(), &no_pairs, mailbox_id, entry.uid, date, &raw);
    let Some(stored) = stored else {
        return Ok(());
    };
    for (f, expected) in p.columns.iter().enumerate() {
        let mut have: Vec<&[u8]> = stored[f]
            .get(&entry.uid)
            .map_or_else(Vec::new, |v| v.iter().map(Vec::as_slice).collect());
        let mut want: Vec<&[u8]> = expected.iter().map(|v| v.as_bytes()).collect();
        have.sort();
        have.dedup();
        want.sort();
        want.dedup();
        if have != want {
            return Err(format!(
                "column {} differs from the message",
                COLUMN_FILES[f]
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_details_are_cut() {
        let mut r = CheckReport::default();
        r.push("bad metadata", None, None, "é".repeat(5000));
        r.push("bad metadata", None, None, "short".into());
        assert_eq!(r.problems[0].detail.chars().count(), DETAIL_CHARS + 1);
        assert!(r.problems[0].detail.ends_with('…'));
        assert_eq!(r.problems[1].detail, "short");
        assert!(r.summary().len() < 1000);
    }

    #[test]
    fn spread_keeps_first_and_last() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(spread(&v, 5), [1, 25, 50, 75, 100]);
        assert_eq!(spread(&v[..3], 5), [1, 2, 3]);
        assert!(spread(&[], 5).is_empty());
    }
}
