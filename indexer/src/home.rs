//! One home's index on disk: the tantivy index, its header columns and its metadata.
//!
//! Layout of the index directory (`<home>/mailfts/` by default):
//!
//! ```text
//! tantivy/      the tantivy index (documents, postings, fast fields, commit payload = IndexMeta)
//! columns/      header and opaque-run columns, `<mailbox id>.<field>` (see `columns`)
//! terms/        word dictionaries laid out for substring lookups, `<segment>.<field>` (see `terms`)
//! DAMAGED       present when the index was found damaged: the reason (see `marker`)
//! RESCANNING    present while a rescan runs (left behind by a crash, see `marker`)
//! ```

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use roaring::RoaringBitmap;
use tantivy::collector::Collector;
use tantivy::directory::Directory;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, SegmentReader, Term,
};

use crate::check::{check, is_damage, panic_message, CheckOptions};
use crate::columns::{dir_bytes, Columns};
use crate::directory::HomeDirectory;
use crate::error::{IndexError, IoContext, Result, TantivyContext};
use crate::marker;
use crate::meta::IndexMeta;
use crate::pairs::PairWords;
use crate::schema::{build_schema, Fields, SCHEMA_VERSION};
use crate::terms::TermTextCache;
use crate::tokenizer::{
    TermListTokenizer, WordListTokenizer, TERM_LIST_TOKENIZER_NAME, TOKENIZER_NAME,
};

/// Memory budget of the index writer (per indexing thread). Each time it fills, tantivy writes a
/// segment (its term dictionary built anew) that merges then read and write again: a small budget
/// makes many small segments and costs CPU and, through the merges, memory. On linux-usb 60k from
/// scratch (schema 12, 2026-12-05): 15 MB wrote segments of ~800 messages, 16.1–17.6 s and a peak
/// resident size of 130–132 MB; 48 MB gives 12.9–13.7 s and 98–99 MB (20k: 4.3–4.6 s, 89–105 MB
/// against 4.6–4.7 s, 106–110 MB). See docs/BENCHMARKS.md.
pub const WRITER_MEMORY_PER_THREAD: usize = 48 << 20;

/// Writer budget of the first rescan of a small home ([`crate::rescan::RescanOptions::one_segment_up_to`]):
/// enough for its messages to make one segment, so that no merge of its segments ends the rescan
/// (linux-usb 20k: 0.7–1.0 s of a 4 s build, on one core). The arena grows only as far as the
/// messages need; a home whose text needs more is flushed into segments and merged as usual.
pub const ONE_SEGMENT_WRITER_MEMORY: usize = 80 << 20;

/// Largest segment (documents) that tantivy's background merges take in: a merge's memory grows
/// with the documents it merges, and these merges yield segments of at most about 8 × this many.
/// The generated 1M home rebuilt from scratch with the 48 MB budget: without this limit 9 segments
/// and a peak of 620 MB resident (356 MB anonymous, the rest mapped segment files); with it 16
/// segments of at most 81,920 documents and 304 MB (159 MB anonymous), in the same 325 s. Smaller
/// indexes are merged into one segment at the end of a rescan ([`crate::rescan::MERGE_ALL_MAX_DOCS`]).
pub const MERGE_MAX_SEGMENT_DOCS: usize = 25_000;

/// An opened home index.
pub struct HomeIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    columns: Columns,
    terms: TermTextCache,
    /// The pair forms of the last commit asked for, built once ([`HomeIndex::pair_words`]).
    pair_words: Mutex<Option<CachedPairWords>>,
    /// The commit read while opening, before the reader was made (so the reader is at least as
    /// new): the first [`HomeIndex::snapshot`] takes it instead of reading `meta.json` again,
    /// which a one-shot process (a CLI search) would otherwise do twice in a row. Dropped when
    /// this process opens a writer, and not used after [`OPENED_COMMIT_FRESH`] (a daemon's first
    /// search may come much later: it reads the latest commit, so as not to scan a long tail).
    opened_commit: Mutex<Option<(std::time::Instant, IndexMeta, tantivy::IndexMeta)>>,
}

/// How long after opening the commit read then serves the first snapshot.
const OPENED_COMMIT_FRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// Pair forms as a commit lists them, and the tries built from them.
type CachedPairWords = (Vec<String>, Vec<String>, Arc<PairWords>);

/// The committed metadata and a searcher that sees at least the documents it describes.
pub struct IndexSnapshot {
    /// Metadata of the commit (read before the searcher, so the searcher is never older).
    pub meta: IndexMeta,
    /// A searcher over the committed segments.
    pub searcher: Searcher,
    /// Field handles.
    pub fields: Fields,
}

impl HomeIndex {
    /// Opens the index in `dir` if there is one. `Ok(None)`: no index; `Err`: an index that cannot
    /// be used (another schema version, damaged files) — searches then fall back to a scan.
    ///
    /// The cheap integrity checks run first (see [`crate::check`]): an index marked damaged, or
    /// one whose files fail them or cannot be opened by tantivy, is an [`IndexError::Damaged`]
    /// (and is marked damaged, so later processes know without re-detecting it).
    pub fn open(dir: &Path) -> Result<Option<HomeIndex>> {
        if let Some(reason) = marker::damaged_reason(dir) {
            return Err(IndexError::Damaged {
                path: dir.to_path_buf(),
                reason,
            });
        }
        if let Some(home) = Self::open_clean(dir) {
            return Ok(Some(home));
        }
        // something is unusual (no index, another schema, a file failing its check, a commit
        // meanwhile): the careful path below tells which
        let report = check(dir, None, &CheckOptions::cheap());
        if !report.is_clean() {
            let reason = report.summary();
            marker::mark_damaged(dir, &reason);
            return Err(IndexError::Damaged {
                path: dir.to_path_buf(),
                reason,
            });
        }
        match catch_unwind(AssertUnwindSafe(|| Self::open_unmarked(dir))) {
            Ok(Err(IndexError::Tantivy { path, source })) if is_damage(&source) => {
                let reason = format!("cannot open: {source}");
                marker::mark_damaged(dir, &reason);
                Err(IndexError::Damaged { path, reason })
            }
            Ok(r) => r,
            Err(p) => {
                let reason = format!("panic while opening: {}", panic_message(p.as_ref()));
                marker::mark_damaged(dir, &reason);
                Err(IndexError::Damaged {
                    path: dir.to_path_buf(),
                    reason,
                })
            }
        }
    }

    /// The common case of [`HomeIndex::open`] in one pass: opening tantivy's reader *is* the cheap
    /// check of the segment files, since tantivy opens every file of every committed segment
    /// through its managed directory, which refuses a missing file, one too short for its footer,
    /// a footer without the magic number or of an unsupported version (what
    /// [`crate::check`]'s cheap depth looks at, without a second open and read of each file).
    /// `None` when anything is unusual (no index, another schema version, a file tantivy refuses,
    /// an error or panic): the caller then takes the careful path, which reports what is wrong.
    fn open_clean(dir: &Path) -> Option<HomeIndex> {
        let attempt = || {
            let tdir = dir.join("tantivy");
            let index = Index::open(HomeDirectory::open(&tdir).ok()?).ok()?;
            let metas = index.load_metas().ok()?;
            let meta = IndexMeta::from_payload(metas.payload.as_deref()).ok()?;
            let (schema, fields) = build_schema();
            if meta.schema != SCHEMA_VERSION || index.schema() != schema {
                return None;
            }
            Self::finish_open(dir, index, fields, Some((meta, metas))).ok()
        };
        catch_unwind(AssertUnwindSafe(attempt)).ok().flatten()
    }

    /// Opens the index without looking at the damage marker or running the cheap checks.
    pub(crate) fn open_unmarked(dir: &Path) -> Result<Option<HomeIndex>> {
        let tdir = dir.join("tantivy");
        if !tdir.join("meta.json").exists() {
            return Ok(None);
        }
        let index = Index::open(
            HomeDirectory::open(&tdir)
                .map_err(tantivy::TantivyError::from)
                .at(&tdir)?,
        )
        .at(&tdir)?;
        let (schema, fields) = build_schema();
        let metas = index.load_metas().at(&tdir)?;
        let meta = IndexMeta::from_payload(metas.payload.as_deref()).map_err(|message| {
            IndexError::BadMeta {
                path: tdir.clone(),
                message,
            }
        })?;
        if meta.schema != SCHEMA_VERSION || index.schema() != schema {
            return Err(IndexError::BadMeta {
                path: tdir,
                message: format!(
                    "schema version {} (this mailfts writes version {SCHEMA_VERSION}); run `mailfts rescan` to rebuild",
                    meta.schema
                ),
            });
        }
        Self::finish_open(dir, index, fields, Some((meta, metas))).map(Some)
    }

    /// Opens the index in `dir`, creating it when absent and rebuilding it (with a log line) when
    /// it was written by another schema version or cannot be read.
    pub fn open_or_create(dir: &Path) -> Result<HomeIndex> {
        match Self::open(dir) {
            Ok(Some(h)) => return Ok(h),
            Ok(None) => {}
            Err(e @ IndexError::Locked { .. }) => return Err(e),
            Err(e) => {
                tracing::warn!(index = %dir.display(), error = %e, "index unusable: rebuilding it from the mail store");
                Self::remove_files(dir)?;
            }
        }
        Self::create(dir)
    }

    /// Removes the index's files (tantivy, columns, then the damage marker) under the index
    /// writer lock, so that a rebuild never pulls files from under a running writer
    /// ([`IndexError::Locked`] then). The next [`HomeIndex::open_or_create`] creates a fresh index.
    pub fn remove_files(dir: &Path) -> Result<()> {
        let tdir = dir.join("tantivy");
        let lock = if tdir.is_dir() {
            let d = tantivy::directory::MmapDirectory::open(&tdir).map_err(|e| IndexError::Io {
                path: tdir.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            match d.acquire_lock(&tantivy::directory::INDEX_WRITER_LOCK) {
                Ok(l) => Some(l),
                Err(tantivy::directory::error::LockError::LockBusy) => {
                    return Err(IndexError::Locked { path: tdir })
                }
                Err(e) => {
                    return Err(IndexError::Io {
                        path: tdir,
                        source: std::io::Error::other(e.to_string()),
                    })
                }
            }
        } else {
            None
        };
        if tdir.is_dir() {
            for e in fs::read_dir(&tdir).at(&tdir)?.flatten() {
                if e.file_name() != ".tantivy-writer.lock" {
                    let p = e.path();
                    if p.is_dir() {
                        fs::remove_dir_all(&p).at(&p)?;
                    } else {
                        fs::remove_file(&p).at(&p)?;
                    }
                }
            }
        }
        drop(lock);
        for sub in ["columns", "terms"] {
            let d = dir.join(sub);
            if d.exists() {
                fs::remove_dir_all(&d).at(&d)?;
            }
        }
        marker::clear_damaged(dir).at(dir)?;
        Ok(())
    }

    /// Rebuilds a damaged index: removes its files and creates an empty index (a rescan then
    /// fills it from the store).
    pub fn rebuild(dir: &Path, reason: &str) -> Result<HomeIndex> {
        tracing::warn!(index = %dir.display(), reason, "index damaged: rebuilding it from the mail store");
        Self::remove_files(dir)?;
        Self::create(dir)
    }

    fn create(dir: &Path) -> Result<HomeIndex> {
        let tdir = dir.join("tantivy");
        fs::create_dir_all(&tdir).at(&tdir)?;
        let (schema, fields) = build_schema();
        let directory = HomeDirectory::open(&tdir)
            .map_err(tantivy::TantivyError::from)
            .at(&tdir)?;
        if Index::exists(&directory)
            .map_err(tantivy::TantivyError::from)
            .at(&tdir)?
        {
            return Err(tantivy::TantivyError::IndexAlreadyExists).at(&tdir);
        }
        let index =
            Index::create(directory, schema, tantivy::IndexSettings::default()).at(&tdir)?;
        register_tokenizers(&index);
        {
            let mut w: IndexWriter = index.writer_with_num_threads(1, 15 << 20).at(&tdir)?;
            let mut c = w.prepare_commit().at(&tdir)?;
            c.set_payload(&IndexMeta::default().to_payload());
            c.commit().at(&tdir)?;
            // release the writer lock before anyone asks for a writer
            w.wait_merging_threads().at(&tdir)?;
        }
        Self::finish_open(dir, index, fields, None)
    }

    /// Makes the reader; `commit` is the commit read before it, if any (see `opened_commit`).
    fn finish_open(
        dir: &Path,
        index: Index,
        fields: Fields,
        commit: Option<(IndexMeta, tantivy::IndexMeta)>,
    ) -> Result<HomeIndex> {
        register_tokenizers(&index);
        let tdir = dir.join("tantivy");
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .at(&tdir)?;
        Ok(HomeIndex {
            dir: dir.to_path_buf(),
            columns: Columns::new(dir.join("columns")),
            index,
            reader,
            fields,
            terms: TermTextCache::new(dir.join("terms")),
            pair_words: Mutex::new(None),
            opened_commit: Mutex::new(
                commit.map(|(meta, metas)| (std::time::Instant::now(), meta, metas)),
            ),
        })
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Field handles.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The header columns.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// The word dictionaries of the live segments laid out for substring lookups (see [`crate::terms`]).
    pub fn term_texts(&self) -> &TermTextCache {
        &self.terms
    }

    /// The pair forms of `meta` ([`crate::pairs::PairWords`]), built once while the commits keep
    /// the same lists (they are chosen when an index is created): about 0.1 ms per phrase search
    /// otherwise.
    pub fn pair_words(&self, meta: &IndexMeta) -> Arc<PairWords> {
        let mut cached = self.pair_words.lock().unwrap_or_else(|e| e.into_inner());
        match cached.as_ref() {
            Some((left, right, words)) if *left == meta.pair_left && *right == meta.pair_right => {
                words.clone()
            }
            _ => {
                let words = Arc::new(PairWords::new(&meta.pair_left, &meta.pair_right));
                *cached = Some((
                    meta.pair_left.clone(),
                    meta.pair_right.clone(),
                    words.clone(),
                ));
                words
            }
        }
    }

    /// The tantivy index.
    pub fn tantivy(&self) -> &Index {
        &self.index
    }

    /// The metadata of the latest commit.
    pub fn meta(&self) -> Result<IndexMeta> {
        self.commit().map(|(meta, _)| meta)
    }

    /// The latest commit: our metadata (its payload) and tantivy's.
    fn commit(&self) -> Result<(IndexMeta, tantivy::IndexMeta)> {
        let tdir = self.dir.join("tantivy");
        let metas = self.index.load_metas().at(&tdir)?;
        let meta = IndexMeta::from_payload(metas.payload.as_deref()).map_err(|message| {
            IndexError::BadMeta {
                path: tdir,
                message,
            }
        })?;
        Ok((meta, metas))
    }

    /// Committed metadata plus a searcher at least as new: the reader is reloaded only when its
    /// segments (and their deletes) are not those of the commit just read, so a search after an
    /// unchanged commit reads `meta.json` once, not twice.
    pub fn snapshot(&self) -> Result<IndexSnapshot> {
        let opened = self.opened_commit.lock().expect("opened commit").take();
        let (meta, metas) = match opened {
            Some((at, meta, metas)) if at.elapsed() < OPENED_COMMIT_FRESH => (meta, metas),
            _ => self.commit()?,
        };
        let mut searcher = self.reader.searcher();
        if !same_segments(&searcher, &metas) {
            self.reader.reload().at(&self.dir)?;
            searcher = self.reader.searcher();
        }
        let live: Vec<tantivy::index::SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        self.terms.retain(&live);
        Ok(IndexSnapshot {
            meta,
            searcher,
            fields: self.fields.clone(),
        })
    }

    /// Opens the single writer of this index (fails with [`IndexError::Locked`] if another holds it).
    pub fn writer(&self, threads: usize) -> Result<IndexWriter> {
        self.writer_with_memory(threads, WRITER_MEMORY_PER_THREAD)
    }

    /// [`HomeIndex::writer`] with another memory budget per indexing thread.
    pub fn writer_with_memory(&self, threads: usize, per_thread: usize) -> Result<IndexWriter> {
        // what this process writes is read back from `meta.json`
        self.opened_commit.lock().expect("opened commit").take();
        let tdir = self.dir.join("tantivy");
        let writer: IndexWriter = self
            .index
            .writer_with_num_threads(threads.max(1), per_thread * threads.max(1))
            .at(&tdir)?;
        let mut policy = tantivy::indexer::LogMergePolicy::default();
        policy.set_max_docs_before_merge(MERGE_MAX_SEGMENT_DOCS);
        writer.set_merge_policy(Box::new(policy));
        Ok(writer)
    }

    /// Writes the term text files of the current segments (see [`crate::terms`]); a failure is
    /// logged (searches then build them in memory). The `joined` field's are not written: on disk
    /// they would be 0.8 % of the Maildir on linux-usb 20k ([`crate::joined`]); built from its
    /// dictionary when a process first searches a string joined by `_`, they cost that search
    /// about 16 ms there (a long-running server pays it once).
    pub fn persist_term_texts(&self) {
        let result = self
            .snapshot()
            .map_err(std::io::Error::other)
            .and_then(|snap| {
                let f = &self.fields;
                self.terms
                    .persist(&snap.searcher, &[f.headers, f.body, f.attachments])
            });
        if let Err(e) = result {
            tracing::warn!(index = %self.dir.display(), error = %e, "term text files not written");
        }
        // the new segments' term dictionaries were walked whole: their pages are not needed now
        self.release_mapped_pages();
    }

    /// Gives back the resident pages of this index's mapped segment files
    /// ([`crate::directory::release_mapped_pages`]).
    pub fn release_mapped_pages(&self) {
        crate::directory::release_mapped_pages(&self.dir.join("tantivy"));
    }

    /// Bytes on disk of what serves substring lookups beside the word postings, as
    /// `(term texts, opaque-run columns)`; both are part of [`HomeIndex::disk_bytes`].
    pub fn substring_bytes(dir: &Path) -> (u64, u64) {
        let terms = dir_bytes(&dir.join("terms"));
        let opaque = fs::read_dir(dir.join("columns"))
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().contains(".opaque-"))
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        (terms, opaque)
    }

    /// Bytes on disk of the whole index (tantivy + columns + term texts).
    pub fn disk_bytes(&self) -> u64 {
        dir_bytes(&self.dir)
    }

    /// What the index is made of on disk, part by part (see [`SpaceUsage`]).
    pub fn space_usage(&self) -> Result<SpaceUsage> {
        let snap = self.snapshot()?;
        let usage = snap.searcher.space_usage().at(&self.dir)?;
        let mut out = SpaceUsage::default();
        let mut counted = 0u64;
        for segment in usage.segments() {
            for (part, per_field) in [
                ("postings", segment.postings()),
                ("dictionary", segment.termdict()),
            ] {
                for f in per_field.fields() {
                    let bytes = f.total().get_bytes();
                    *out.tantivy
                        .entry(format!("{} {part}", f.field_name()))
                        .or_default() += bytes;
                    counted += bytes;
                }
            }
        }
        let tantivy_total = dir_bytes(&self.dir.join("tantivy"));
        out.tantivy
            .insert("other".into(), tantivy_total.saturating_sub(counted));
        if let Ok(entries) = fs::read_dir(self.dir.join("columns")) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                // `<mailbox id>.<column>` (log) or `<mailbox id>.<column>.zst` (sealed)
                let column = name
                    .split('.')
                    .nth(1)
                    .filter(|c| crate::columns::COLUMN_FILES.contains(c));
                if let (Some(column), Ok(md)) = (column, e.metadata()) {
                    *out.columns.entry(column.to_string()).or_default() += md.len();
                }
            }
        }
        out.term_texts = dir_bytes(&self.dir.join("terms"));
        Ok(out)
    }
}

/// The bytes on disk of each part of an index ([`HomeIndex::space_usage`]): where its size goes.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SpaceUsage {
    /// tantivy's files by part: `<field> postings` and `<field> dictionary` over all segments,
    /// and `other` (fast fields, doc store, meta, deletes).
    pub tantivy: std::collections::BTreeMap<String, u64>,
    /// Header and opaque-run columns by column name (sealed bases and append logs, all mailboxes).
    pub columns: std::collections::BTreeMap<String, u64>,
    /// The word dictionaries laid out for substring lookups (`terms/`).
    pub term_texts: u64,
}

impl IndexSnapshot {
    /// UIDs of the documents of one mailbox id present in the index.
    pub fn uids_of(&self, mailbox_id: u32) -> tantivy::Result<RoaringBitmap> {
        let q = TermQuery::new(
            Term::from_field_u64(self.fields.mailbox, mailbox_id as u64),
            IndexRecordOption::Basic,
        );
        self.searcher.search(&q, &UidCollector)
    }

    /// Number of live documents of one mailbox id (equal to `uids_of(..).len()` unless a UID was
    /// indexed twice, which rescans never do; status reports both).
    pub fn doc_count_of(&self, mailbox_id: u32) -> tantivy::Result<usize> {
        let q = TermQuery::new(
            Term::from_field_u64(self.fields.mailbox, mailbox_id as u64),
            IndexRecordOption::Basic,
        );
        self.searcher.search(&q, &tantivy::collector::Count)
    }

    /// Number of live documents.
    pub fn num_docs(&self) -> u64 {
        self.searcher.num_docs()
    }
}

/// Collects the `uid` fast field of every matching document into a bitmap.
pub struct UidCollector;

/// Per-segment part of [`UidCollector`].
pub struct UidSegmentCollector {
    uids: tantivy::columnar::Column<u64>,
    out: RoaringBitmap,
}

impl Collector for UidCollector {
    type Fruit = RoaringBitmap;
    type Child = UidSegmentCollector;

    fn for_segment(
        &self,
        _ord: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<UidSegmentCollector> {
        Ok(UidSegmentCollector {
            uids: segment.fast_fields().u64("uid")?,
            out: RoaringBitmap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<RoaringBitmap>) -> tantivy::Result<RoaringBitmap> {
        let mut all = RoaringBitmap::new();
        for f in fruits {
            all |= f;
        }
        Ok(all)
    }
}

impl tantivy::collector::SegmentCollector for UidSegmentCollector {
    type Fruit = RoaringBitmap;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(uid) = self.uids.first(doc) {
            self.out.insert(uid as u32);
        }
    }

    fn harvest(self) -> RoaringBitmap {
        self.out
    }
}

/// The fast fields of one document (each `None` when the document lacks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastRow {
    /// Message UID.
    pub uid: Option<u64>,
    /// Internal date, days since the epoch.
    pub internal_day: Option<i64>,
    /// `Date:` header day, days since the epoch.
    pub sent_day: Option<i64>,
    /// RFC822.SIZE.
    pub size: Option<u64>,
}

/// Collects the [`FastRow`] of every matching document (the query engine's date and size keys,
/// the integrity check's samples).
pub struct FastRowCollector;

/// Per-segment part of [`FastRowCollector`].
pub struct FastRowSegment {
    uid: tantivy::columnar::Column<u64>,
    internal_day: tantivy::columnar::Column<i64>,
    sent_day: tantivy::columnar::Column<i64>,
    size: tantivy::columnar::Column<u64>,
    out: Vec<FastRow>,
}

impl Collector for FastRowCollector {
    type Fruit = Vec<FastRow>;
    type Child = FastRowSegment;

    fn for_segment(&self, _ord: u32, s: &SegmentReader) -> tantivy::Result<FastRowSegment> {
        let ff = s.fast_fields();
        Ok(FastRowSegment {
            uid: ff.u64("uid")?,
            internal_day: ff.i64("internal_day")?,
            sent_day: ff.i64("sent_day")?,
            size: ff.u64("size")?,
            out: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<FastRow>>) -> tantivy::Result<Vec<FastRow>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl tantivy::collector::SegmentCollector for FastRowSegment {
    type Fruit = Vec<FastRow>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.out.push(FastRow {
            uid: self.uid.first(doc),
            internal_day: self.internal_day.first(doc),
            sent_day: self.sent_day.first(doc),
            size: self.size.first(doc),
        });
    }

    fn harvest(self) -> Vec<FastRow> {
        self.out
    }
}

/// True when `searcher` reads exactly the segments of `metas`, with the same deletes.
fn same_segments(searcher: &tantivy::Searcher, metas: &tantivy::IndexMeta) -> bool {
    let readers = searcher.segment_readers();
    readers.len() == metas.segments.len()
        && metas.segments.iter().all(|m| {
            readers
                .iter()
                .any(|r| r.segment_id() == m.id() && r.num_deleted_docs() == m.num_deleted_docs())
        })
}

/// Registers the tokenizers a home index's schema names: the word lists' and the term lists'.
fn register_tokenizers(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(TOKENIZER_NAME, WordListTokenizer::default());
    tokenizers.register(TERM_LIST_TOKENIZER_NAME, TermListTokenizer::default());
}
