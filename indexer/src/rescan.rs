//! `mailfts rescan`: make the index equal to the mail store.
//!
//! Per mailbox: sync the store (assigning UIDs to new files), read the UIDs the index holds, then
//! delete what the store no longer has and add what the index lacks, in ascending UID order and in
//! batches. Each batch is one tantivy commit whose payload raises the mailbox's high-water mark, so
//! an interrupted rescan keeps every committed batch and the next run starts where it stopped,
//! with no duplicate (the diff is against what the index really holds) and no loss.
//! A mailbox whose UIDVALIDITY changed gets a new mailbox id: its old documents are deleted and it
//! is indexed from scratch.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use mailfts_extractors::MessageContent;
use mailfts_store::{MessageEntry, Snapshot, Store};
use rayon::prelude::*;
use roaring::RoaringBitmap;
use serde::Serialize;
use tantivy::{IndexWriter, Term};

use crate::columns::COLUMN_FILES;
use crate::document::{prepare, PreparedMessage};
use crate::error::{IndexError, Result, TantivyContext};
use crate::home::{HomeIndex, ONE_SEGMENT_WRITER_MEMORY};
use crate::meta::{IndexMeta, MailboxMeta};
use crate::pairs::{PairWords, WordCounter, PAIR_SAMPLE, PAIR_WORDS};
use crate::schema::message_key;
use crate::text::fold;

/// What to rescan and how.
#[derive(Clone, Debug)]
pub struct RescanOptions {
    /// Only this mailbox (default: every mailbox of the store).
    pub mailbox: Option<String>,
    /// Messages per commit.
    pub batch_messages: usize,
    /// Raw bytes per commit.
    pub batch_bytes: u64,
    /// Tantivy indexing threads.
    pub index_threads: usize,
    /// Stop after this many added messages (for tests of interrupted runs); `None` = no limit.
    pub stop_after: Option<u64>,
    /// Drop the store's in-memory listing of each mailbox once it is rescanned
    /// ([`Store::release_idle`]): memory stays flat in a one-off rescan of a large home; a
    /// long-running server keeps its listings warm for the searches that follow.
    pub release_listings: bool,
    /// The first rescan of an empty index whose store holds at most this many messages commits
    /// once, with a writer budget of [`ONE_SEGMENT_WRITER_MEMORY`], so that the index is one
    /// segment and no merge ends the rescan (0: never). Only with the default batch or a larger
    /// one and no `stop_after`: a caller that asks for smaller commits gets them. An interrupted
    /// first rescan of such a home keeps nothing; it is seconds of work.
    pub one_segment_up_to: usize,
    /// A rescan that added at least [`MERGE_AFTER_ADDED`] messages ends by merging a small index
    /// into one segment ([`merge_into_one_segment`]). A caller that rescans in chunks (each one
    /// call, as the daemon does) turns it off and merges once after its last chunk: merging after
    /// every chunk rewrote the whole index each time (the daemon's first build of linux-usb 60k in
    /// chunks of 5,000: 26.3 s, against 14.1 s for one rescan committing every 5,000).
    pub merge_at_end: bool,
    /// The least bytes of column logs a mailbox holds before a rescan seals them
    /// ([`seal_threshold`]; [`SEAL_LOG_BYTES`] by default).
    pub seal_log_bytes: u64,
}

/// The default of [`RescanOptions::batch_messages`].
pub const DEFAULT_BATCH_MESSAGES: usize = 10_000;

impl Default for RescanOptions {
    fn default() -> Self {
        RescanOptions {
            mailbox: None,
            batch_messages: DEFAULT_BATCH_MESSAGES,
            batch_bytes: 128 << 20,
            index_threads: 1,
            stop_after: None,
            release_listings: false,
            one_segment_up_to: 25_000,
            merge_at_end: true,
            seal_log_bytes: SEAL_LOG_BYTES,
        }
    }
}

/// Progress reporting of a rescan (a progress bar, a log, nothing).
pub trait Progress: Sync {
    /// The number of messages to add is known (may be called once per mailbox, cumulative).
    fn add_total(&self, _messages: u64) {}
    /// `messages` more were processed.
    fn advance(&self, _messages: u64, _bytes: u64) {}
    /// True when the caller wants the rescan to end early (a shutdown, a cancelled request): it
    /// commits what it added and returns, as at [`RescanOptions::stop_after`]. Asked after every
    /// few hundred messages read.
    fn stop_requested(&self) -> bool {
        false
    }
}

/// A [`Progress`] that reports nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// The outcome of a rescan.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RescanStats {
    /// Messages added to the index.
    pub added: u64,
    /// Documents removed (expunged messages, reset mailboxes).
    pub removed: u64,
    /// Messages that could not be read (counted, skipped, retried by the next rescan).
    pub failed: u64,
    /// Messages indexed with decoding problems (still searchable by what was read).
    pub degraded: u64,
    /// Raw bytes read.
    pub bytes: u64,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Messages added per second.
    pub msg_per_sec: f64,
    /// Raw megabytes (10^6) read per second.
    pub mb_per_sec: f64,
    /// Mailboxes visited.
    pub mailboxes: u64,
    /// Problems by kind.
    pub problems: BTreeMap<String, u64>,
}

/// Brings the index of `home` up to date with `store`.
pub fn rescan(
    home: &HomeIndex,
    store: &Store,
    opts: &RescanOptions,
    progress: &dyn Progress,
) -> Result<RescanStats> {
    let started = Instant::now();
    let mut stats = RescanStats::default();
    let names = match &opts.mailbox {
        Some(m) => vec![m.clone()],
        None => store.list_mailboxes()?,
    };
    // a new index's mailboxes are counted once: here when the one-commit choice asks, else for
    // the sample of its frequent words below
    let mut sizes = None;
    let one_segment = builds_in_one_commit(
        opts,
        || Ok(home.snapshot()?.num_docs() == 0),
        |limit| {
            let counted = mailbox_sizes(store, &names, opts.release_listings);
            let small = total_at_most(&counted, limit);
            sizes = Some(counted);
            small
        },
    )?;
    let mut writer = if one_segment {
        home.writer_with_memory(opts.index_threads, ONE_SEGMENT_WRITER_MEMORY)?
    } else {
        home.writer(opts.index_threads)?
    };
    let mut opts = opts.clone();
    if one_segment {
        tracing::info!(
            up_to = opts.one_segment_up_to,
            "a small new index: built in one commit, as one segment"
        );
        opts.batch_messages = usize::MAX;
        opts.batch_bytes = u64::MAX;
    }
    let opts = &opts;
    // removed at the clean end: a rescan that finds it knows the last one did not finish
    if let Err(e) = crate::marker::rescan_started(home.dir()) {
        tracing::debug!(error = %e, "cannot write the rescan marker");
    }
    let mut meta = home.meta()?;
    if meta.pair_left.is_empty() && home.snapshot()?.num_docs() == 0 {
        // a new (or emptied) index: its frequent words are chosen once, before any document
        // with `release_listings`, each mailbox's listing is read again when its turn comes
        let sizes = sizes.unwrap_or_else(|| mailbox_sizes(store, &names, opts.release_listings));
        (meta.pair_left, meta.pair_right) =
            choose_pair_words(store, &names, &sizes, opts.release_listings);
    }
    let mut dead_ids = Vec::new();
    let mut to_seal = Vec::new();
    // the caller asked to stop (`Progress::stop_requested`): what was added is committed below
    let mut stopped = false;
    for name in &names {
        if progress.stop_requested() {
            stopped = true;
            break;
        }
        // shared: a snapshot of an unchanged mailbox makes its entries only for the messages read
        // below, chunk by chunk (a copy of a million entries would be most of a rescan's memory)
        let snapshot = store.mailbox(name)?.sync_shared()?;
        stopped = rescan_mailbox(
            home,
            &mut writer,
            &mut meta,
            &snapshot,
            opts,
            progress,
            &mut stats,
            &mut dead_ids,
            &mut to_seal,
        )?;
        drop(snapshot);
        if opts.release_listings {
            // not kept to the end: a million messages' listings are 46 MB
            store.release_idle(name);
        }
        stats.mailboxes += 1;
        if stopped || opts.stop_after.is_some_and(|n| stats.added >= n) {
            break;
        }
    }
    if opts.mailbox.is_none() && opts.stop_after.is_none() && !stopped {
        // mailboxes deleted from the store
        let gone: Vec<String> = meta
            .mailboxes
            .keys()
            .filter(|k| !names.contains(k))
            .cloned()
            .collect();
        for name in gone {
            let m = meta.mailboxes.remove(&name).expect("present");
            stats.removed += indexed_count(home, m.id)?;
            writer.delete_term(Term::from_field_u64(home.fields().mailbox, m.id as u64));
            dead_ids.push(m.id);
            tracing::info!(mailbox = %name, "mailbox no longer in the store: dropped from the index");
        }
    }
    let dir = home.dir().to_path_buf();
    // the last commit, the merge into one segment (a home of many segments) and the term texts
    // of the final segments are one thread's work, the seal of the columns is another's: they run
    // side by side. A column may be sealed before the commit of its records ends: a record whose
    // message the index does not hold (the commit failed) is harmless, as after a crash between
    // the append and the commit, and the next rescan adds the message again.
    let committed = || -> Result<()> {
        let t = std::time::Instant::now();
        commit(home, &mut writer, &meta)?;
        for id in dead_ids {
            home.columns().remove_mailbox(id)?;
        }
        // the background merges of tantivy's merge policy end first: a merge into one segment
        // that met one of them holding some segments would be refused
        writer.wait_merging_threads().at(&dir)?;
        if opts.merge_at_end && stats.added >= MERGE_AFTER_ADDED {
            merge_segments(home)?;
        }
        tracing::debug!(seconds = t.elapsed().as_secs_f64(), "committed and merged");
        home.persist_term_texts();
        tracing::debug!(seconds = t.elapsed().as_secs_f64(), "term texts written");
        Ok(())
    };
    let sealed = || {
        let t = std::time::Instant::now();
        let r = seal_columns(home, &to_seal);
        tracing::debug!(seconds = t.elapsed().as_secs_f64(), "columns sealed");
        r
    };
    let (committed, sealed) = rayon::join(committed, sealed);
    committed?;
    sealed?;
    // what the writer and its threads freed since the last commit (its last segment's buffers, the
    // merges') goes back before the caller goes on: the daemon rescans a large mailbox in chunks,
    // each with a writer of its own whose threads allocate from other arenas than the last one's.
    // (With large blocks mapped on their own, `memory::map_large_blocks`, little is left here;
    // alone, this trim did not lower the daemon's peak measurably: see docs/BENCHMARKS.md.)
    crate::memory::release_free_memory();
    if let Err(e) = crate::marker::rescan_finished(&dir) {
        tracing::debug!(error = %e, "cannot remove the rescan marker");
    }
    stats.seconds = started.elapsed().as_secs_f64();
    stats.msg_per_sec = stats.added as f64 / stats.seconds.max(1e-9);
    stats.mb_per_sec = stats.bytes as f64 / 1e6 / stats.seconds.max(1e-9);
    Ok(stats)
}

/// The [`PAIR_WORDS`] left and right forms of word runs held by the most messages of an even
/// sample of `mailboxes` (at most [`PAIR_SAMPLE`] messages), counted in the body text only: every
/// message repeats the same header field names and relay names, which would fill the list with
/// words nobody searches as a phrase.
///
/// `sizes` are the mailboxes' message counts ([`mailbox_sizes`]). The mailboxes are visited one at
/// a time for the sample; with `release`, each one's listing is dropped after its visit ([`Store::release_idle`]): a freshly delivered
/// home of a million messages held all four listings at once (about 100 MB, the first sync's
/// peak).
fn choose_pair_words(
    store: &Store,
    mailboxes: &[String],
    sizes: &[Option<usize>],
    release: bool,
) -> (Vec<String>, Vec<String>) {
    let started = Instant::now();
    let sync = |name: &str| store.mailbox(name).and_then(|m| m.sync_shared()).ok();
    let done_with = |name: &str| {
        if release {
            store.release_idle(name);
        }
    };
    let sizes: Vec<usize> = sizes.iter().map(|n| n.unwrap_or(0)).collect();
    let total: usize = sizes.iter().sum();
    let step = total.div_ceil(PAIR_SAMPLE).max(1);
    // every `step`-th message of the mailboxes in a row; only those become entries
    let mut sample: Vec<MessageEntry> = Vec::new();
    let mut offset = 0;
    for (name, &len) in mailboxes.iter().zip(&sizes) {
        if let Some(snapshot) = sync(name).filter(|_| len > 0) {
            let first = (step - offset % step) % step;
            sample.extend(
                snapshot
                    .uids()
                    .iter()
                    .skip(first)
                    .step_by(step)
                    .filter_map(|&u| snapshot.entry(u)),
            );
        }
        done_with(name);
        offset += len;
    }
    let texts: Vec<String> = sample
        .par_iter()
        .filter_map(|entry| {
            let raw = entry.read().ok()?;
            let limits = mailfts_extractors::Limits::default();
            Some(fold(&MessageContent::parse_body_with(&raw, &limits).body))
        })
        .collect();
    let mut counter = WordCounter::default();
    for body in &texts {
        counter.add_message(&[body]);
    }
    let words = counter.top(PAIR_WORDS);
    tracing::info!(
        sampled = texts.len(),
        left = words.0.len(),
        right = words.1.len(),
        seconds = started.elapsed().as_secs_f64(),
        "chose the frequent words of the new index"
    );
    words
}

/// Whether a rescan with `opts` builds the index in one commit ([`RescanOptions::one_segment_up_to`]):
/// the options allow it, the index is empty and the store holds at most so many messages (asked
/// last: it lists the store's mailboxes).
fn builds_in_one_commit(
    opts: &RescanOptions,
    index_is_empty: impl FnOnce() -> Result<bool>,
    store_holds_at_most: impl FnOnce(usize) -> bool,
) -> Result<bool> {
    Ok(opts.one_segment_up_to > 0
        && opts.stop_after.is_none()
        && opts.batch_messages >= DEFAULT_BATCH_MESSAGES
        && index_is_empty()?
        && store_holds_at_most(opts.one_segment_up_to))
}

/// Whether [`rescan`] with `opts` builds the index in one commit (one segment, no merge): asked by
/// a caller that otherwise rescans in chunks (the daemon, whose chunks would each be a commit) before
/// it chooses one call. The same rule as the rescan's own choice.
pub fn builds_in_one_commit_with(
    home: &HomeIndex,
    store: &Store,
    opts: &RescanOptions,
) -> Result<bool> {
    builds_in_one_commit(
        opts,
        || Ok(home.snapshot()?.num_docs() == 0),
        |limit| {
            let names = match &opts.mailbox {
                Some(m) => vec![m.clone()],
                None => store.list_mailboxes().unwrap_or_default(),
            };
            total_at_most(&mailbox_sizes(store, &names, false), limit)
        },
    )
}

/// True when every mailbox of `sizes` could be counted and they hold at most `limit` messages.
fn total_at_most(sizes: &[Option<usize>], limit: usize) -> bool {
    sizes
        .iter()
        .try_fold(0usize, |total, n| Some(total + (*n)?))
        .is_some_and(|total| total <= limit)
}

/// The number of messages of each of the mailboxes `names` (`None`: it cannot be listed), each
/// listing released after its count with `release` ([`Store::release_idle`]).
fn mailbox_sizes(store: &Store, names: &[String], release: bool) -> Vec<Option<usize>> {
    names
        .iter()
        .map(|name| {
            let len = store
                .mailbox(name)
                .and_then(|m| m.sync_shared())
                .ok()
                .map(|s| s.len());
            if release {
                store.release_idle(name);
            }
            len
        })
        .collect()
}

/// Documents the committed index holds for a mailbox id.
fn indexed_count(home: &HomeIndex, mailbox_id: u32) -> Result<u64> {
    let snap = home.snapshot()?;
    snap.doc_count_of(mailbox_id)
        .map(|n| n as u64)
        .map_err(|source| IndexError::Tantivy {
            path: home.dir().to_path_buf(),
            source,
        })
}

/// Messages read and prepared together (in parallel) before they are handed to the index writer:
/// their texts are held at once, so this bounds a rescan's memory next to the writer's budget
/// (on linux-usb, whose messages carry long patches, 256 of them take up to 40 MB; 128 gave no
/// lower peak and cost a third more time).
const PREPARE_CHUNK: usize = 256;

/// Most chunks prepared ahead while a commit waits for tantivy's indexing thread to index its
/// backlog and write the segment (a quarter of a second of one core at every commit of the
/// generated 1M home, the other core idle when only one chunk was prepared ahead).
const COMMIT_AHEAD_CHUNKS: usize = 4;

/// Most raw message bytes prepared ahead while a commit waits: chunks of large messages (long
/// patches, big attachments) stop it early, so that its memory stays near one chunk's.
const COMMIT_AHEAD_BYTES: u64 = 32 << 20;

/// A chunk's message entries and, for each, its prepared document or why it could not be read.
type PreparedChunk = (Vec<MessageEntry>, Vec<(u32, ReadOutcome)>);

/// Raw bytes of the messages of a prepared chunk that could be read.
fn chunk_raw_bytes((_, prepared): &PreparedChunk) -> u64 {
    prepared
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().map(|(_, len)| *len))
        .sum()
}

/// The default of [`RescanOptions::seal_log_bytes`]: header-column append logs larger than this
/// (and than [`seal_threshold`] says) are sealed (compressed) at the end of a rescan.
pub const SEAL_LOG_BYTES: u64 = 1 << 20;

/// How many bytes a mailbox's column logs hold before a rescan seals them, given `sealed`, the
/// bytes of its sealed (compressed) bases: `least` ([`RescanOptions::seal_log_bytes`]), or as
/// much as the bases when they are larger. A seal rewrites every column of the mailbox whole, so
/// sealing after every fixed amount of log made a large mailbox's columns quadratic to keep as
/// its mail arrives: on the generated 1M home, every rescan that ended with 1 MB of logs (about
/// 7,000 new messages in the INBOX) rewrote its 43 MB opaque-header column. With the threshold
/// growing with the bases, each seal at least doubles what is sealed; a search reads the log
/// uncompressed, which stays at most the size of the compressed bases.
pub fn seal_threshold(least: u64, sealed: u64) -> u64 {
    least.max(sealed)
}

/// A rescan that added at least this many messages merges the index into one segment at the end
/// (fewer, larger segments: a smaller term dictionary and faster lookups).
pub const MERGE_AFTER_ADDED: u64 = 1_000;

/// Largest index (documents) that a rescan merges into one segment; larger ones are left to
/// tantivy's log merge policy, whose merges are bounded (a one-segment merge of a million
/// messages took 2.3 GB of resident memory, mostly mapped segment files).
pub const MERGE_ALL_MAX_DOCS: u64 = 200_000;

/// Merges every segment of `home` into one when the index holds at most [`MERGE_ALL_MAX_DOCS`]
/// documents, and writes the term texts of the merged segment; what a rescan does at its end
/// unless told not to ([`RescanOptions::merge_at_end`]). The caller holds no writer of the index
/// (this opens its own). Returns whether the segments were merged.
pub fn merge_into_one_segment(home: &HomeIndex) -> Result<bool> {
    let merged = merge_segments(home)?;
    if merged {
        home.persist_term_texts();
    }
    Ok(merged)
}

/// [`merge_into_one_segment`] without the term texts, with a writer of its own (a rescan's has
/// ended with its background merges).
fn merge_segments(home: &HomeIndex) -> Result<bool> {
    let ids = home.tantivy().searchable_segment_ids().at(home.dir())?;
    let docs = home.snapshot()?.num_docs();
    let mut merged = false;
    if ids.len() > 1 && docs <= MERGE_ALL_MAX_DOCS {
        let started = Instant::now();
        let mut writer = home.writer(1)?;
        // Everything is committed already: a refused merge only costs size.
        match writer.merge(&ids).wait() {
            Ok(_) => {
                merged = true;
                tracing::info!(
                    segments = ids.len(),
                    seconds = started.elapsed().as_secs_f64(),
                    "merged the index into one segment"
                )
            }
            Err(e) => tracing::warn!(error = %e, "merge into one segment skipped"),
        }
        writer.wait_merging_threads().at(home.dir())?;
    }
    Ok(merged)
}

fn commit(home: &HomeIndex, writer: &mut IndexWriter, meta: &IndexMeta) -> Result<()> {
    let dir = home.dir().to_path_buf();
    let mut prepared = writer.prepare_commit().at(&dir)?;
    prepared.set_payload(&meta.to_payload());
    prepared.commit().at(&dir)?;
    // the writer's buffers of this batch are free now: give them back before the next batch or
    // the final merge allocates its own; and the pages of the segment files that the merges
    // since the last commit walked
    crate::memory::release_free_memory();
    home.release_mapped_pages();
    Ok(())
}

/// Brings one mailbox's documents up to date (see [`rescan`]); true when it stopped early
/// ([`RescanOptions::stop_after`], [`Progress::stop_requested`]) after committing what it added.
#[allow(clippy::too_many_arguments)]
fn rescan_mailbox(
    home: &HomeIndex,
    writer: &mut IndexWriter,
    meta: &mut IndexMeta,
    snapshot: &Snapshot,
    opts: &RescanOptions,
    progress: &dyn Progress,
    stats: &mut RescanStats,
    dead_ids: &mut Vec<u32>,
    to_seal: &mut Vec<(u32, RoaringBitmap)>,
) -> Result<bool> {
    let fields = home.fields().clone();
    let pairs = PairWords::new(&meta.pair_left, &meta.pair_right);
    let name = snapshot.name.clone();
    // the mailbox's id, new when UIDVALIDITY changed
    let mailbox_id = match meta.mailboxes.get(&name) {
        Some(m) if m.uid_validity == snapshot.uid_validity => m.id,
        existing => {
            if let Some(old) = existing {
                tracing::warn!(mailbox = %name, old = old.uid_validity, new = snapshot.uid_validity,
                    "UIDVALIDITY changed: reindexing the mailbox");
                stats.removed += indexed_count(home, old.id)?;
                writer.delete_term(Term::from_field_u64(fields.mailbox, old.id as u64));
                dead_ids.push(old.id);
            }
            let id = meta.next_id;
            meta.next_id += 1;
            meta.mailboxes.insert(
                name.clone(),
                MailboxMeta {
                    id,
                    uid_validity: snapshot.uid_validity,
                    high_water: 0,
                    last_rescan: None,
                },
            );
            id
        }
    };
    let indexed = if dead_ids.last() == Some(&mailbox_id) {
        RoaringBitmap::new()
    } else {
        home.snapshot()?
            .uids_of(mailbox_id)
            .map_err(|source| IndexError::Tantivy {
                path: home.dir().to_path_buf(),
                source,
            })?
    };
    let in_store: RoaringBitmap = snapshot.uids().iter().copied().collect();
    let removed = &indexed - &in_store;
    for uid in removed.iter() {
        writer.delete_term(Term::from_field_u64(
            fields.key,
            message_key(mailbox_id, uid),
        ));
    }
    stats.removed += removed.len();
    let to_add: Vec<u32> = snapshot
        .uids()
        .iter()
        .copied()
        .filter(|&u| !indexed.contains(u))
        .collect();
    progress.add_total(to_add.len() as u64);
    let mut batch_messages = 0usize;
    let mut batch_bytes = 0u64;
    // read and prepared in parallel, a chunk at a time; while a batch is committed the chunks
    // that follow are prepared (see COMMIT_AHEAD_CHUNKS)
    let prepare_chunk = |uids: &[u32]| -> PreparedChunk {
        let chunk: Vec<MessageEntry> = uids.iter().filter_map(|&u| snapshot.entry(u)).collect();
        let prepared = chunk
            .par_iter()
            .map(|entry| {
                let r = entry.read().and_then(|raw| {
                    let date = entry.internal_date()?;
                    Ok((
                        prepare(&fields, &pairs, mailbox_id, entry.uid, date, &raw),
                        raw.len() as u64,
                    ))
                });
                (entry.uid, r)
            })
            .collect();
        (chunk, prepared)
    };
    let mut chunks = to_add.chunks(PREPARE_CHUNK);
    let mut ahead: VecDeque<PreparedChunk> =
        chunks.next().map(&prepare_chunk).into_iter().collect();
    while let Some((chunk, prepared)) = ahead.pop_front() {
        let mut columns: Vec<Vec<(u32, String)>> = vec![Vec::new(); COLUMN_FILES.len()];
        let mut chunk_bytes = 0;
        for (uid, r) in prepared {
            match r {
                Ok((p, len)) => {
                    if !p.problems.is_empty() {
                        stats.degraded += 1;
                        for problem in &p.problems {
                            *stats.problems.entry(problem_kind(problem)).or_default() += 1;
                            // extraction failures per format, summed over rescans in the meta
                            if let Some(format) = mailfts_extractors::failure_format(problem) {
                                *meta.failures.entry(format.to_string()).or_default() += 1;
                            }
                        }
                        tracing::debug!(mailbox = %name, uid, problems = ?p.problems, "indexed with problems");
                    }
                    for (f, values) in p.columns.into_iter().enumerate() {
                        columns[f].extend(values.into_iter().map(|v| (uid, v)));
                    }
                    writer.add_document(p.doc).at(home.dir())?;
                    stats.added += 1;
                    chunk_bytes += len;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tracing::debug!(mailbox = %name, uid, "message vanished during rescan");
                }
                Err(e) => {
                    stats.failed += 1;
                    // "compression: truncated zstd", "compression: bomb", ... (issue 8).
                    let kind = mailfts_store::DecompressError::of(&e)
                        .map_or_else(|| "unreadable file".into(), |d| d.problem());
                    *stats.problems.entry(kind).or_default() += 1;
                    tracing::warn!(mailbox = %name, uid, error = %e, "cannot read message; skipped");
                }
            }
        }
        home.columns().append_unsynced(mailbox_id, &columns)?;
        stats.bytes += chunk_bytes;
        batch_bytes += chunk_bytes;
        batch_messages += chunk.len();
        progress.advance(chunk.len() as u64, chunk_bytes);
        let last_uid = chunk.last().map_or(0, |m| m.uid);
        let stop = opts.stop_after.is_some_and(|n| stats.added >= n) || progress.stop_requested();
        if batch_messages >= opts.batch_messages || batch_bytes >= opts.batch_bytes || stop {
            let m = meta.mailboxes.get_mut(&name).expect("present");
            m.high_water = m.high_water.max(last_uid);
            let done = AtomicBool::new(false);
            let committed = || -> Result<()> {
                let r = home
                    .columns()
                    .sync(mailbox_id)
                    .and_then(|()| commit(home, writer, meta));
                done.store(true, Ordering::Release);
                r
            };
            // while the commit waits for tantivy's indexing thread (one core busy), the other
            // prepares the chunks that follow, until the commit ends
            let room = if stop {
                0
            } else {
                COMMIT_AHEAD_CHUNKS.saturating_sub(ahead.len())
            };
            let prepare_ahead = || {
                let mut prepared = Vec::new();
                let mut bytes = 0;
                while prepared.len() < room && bytes < COMMIT_AHEAD_BYTES {
                    let Some(uids) = chunks.next() else { break };
                    let chunk = prepare_chunk(uids);
                    bytes += chunk_raw_bytes(&chunk);
                    prepared.push(chunk);
                    if done.load(Ordering::Acquire) {
                        break;
                    }
                }
                prepared
            };
            let (committed, prepared) = rayon::join(committed, prepare_ahead);
            committed?;
            // the listing walked so far is not read again by this rescan
            snapshot.release_mapped_pages();
            ahead.extend(prepared);
            batch_messages = 0;
            batch_bytes = 0;
        } else if ahead.is_empty() {
            ahead.extend(chunks.next().map(&prepare_chunk));
        }
        if stop {
            return Ok(true);
        }
    }
    let m = meta.mailboxes.get_mut(&name).expect("present");
    m.high_water = m.high_water.max(snapshot.uid_next.saturating_sub(1));
    m.last_rescan = Some(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    );
    // every record appended above is durable before the commit that raises the high-water mark
    home.columns().sync(mailbox_id)?;
    let heavy_expunge = !removed.is_empty() && removed.len() * 4 > in_store.len().max(1);
    let columns = home.columns();
    let threshold = seal_threshold(opts.seal_log_bytes, columns.sealed_bytes(mailbox_id));
    if heavy_expunge || columns.log_bytes(mailbox_id) > threshold {
        // sealed at the end of the rescan, beside its last commit (every record is durable)
        to_seal.push((mailbox_id, in_store));
    }
    Ok(false)
}

/// Seals the columns of these mailboxes (id, the UIDs in the store), keeping the records of
/// UIDs the store still has; every record must be durable (a seal may run beside the commit of its
/// records: a record of a message the index does not hold is harmless).
fn seal_columns(home: &HomeIndex, to_seal: &[(u32, RoaringBitmap)]) -> Result<()> {
    for (mailbox_id, in_store) in to_seal {
        home.columns().seal(*mailbox_id, Some(in_store))?;
        crate::memory::release_free_memory();
    }
    Ok(())
}

/// A message prepared for the index with its raw size, or why its file could not be read.
type ReadOutcome = std::result::Result<(PreparedMessage, u64), std::io::Error>;

/// A short, countable name for a decoding problem: `extract pdf` (an attachment that could not
/// be extracted, per format), `truncated pdf`, `unknown charset`, …
fn problem_kind(problem: &str) -> String {
    if let Some(format) = mailfts_extractors::failure_format(problem) {
        format!("extract {format}")
    } else if problem.contains("charset") {
        "unknown charset".into()
    } else if problem.contains("transfer encoding") {
        "bad transfer encoding".into()
    } else if problem.contains("not a parsable message") {
        "unparsable message".into()
    } else {
        problem.split(':').next().unwrap_or(problem).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A caller that asks the rescan to stop once it has advanced by `.1` messages.
    struct StopAfter(std::sync::atomic::AtomicU64, u64);

    impl Progress for StopAfter {
        fn advance(&self, messages: u64, _bytes: u64) {
            self.0.fetch_add(messages, Ordering::Relaxed);
        }
        fn stop_requested(&self) -> bool {
            self.0.load(Ordering::Relaxed) >= self.1
        }
    }

    /// Writes `n` small messages (`Subject: FOLDER i`) into Maildir folder `folder` of `root`
    /// (`""`: the INBOX), with UIDs in the order of `i`.
    fn deliver(root: &std::path::Path, folder: &str, n: u32) {
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(root.join(folder).join(sub)).unwrap();
        }
        for i in 0..n {
            let raw = format!("Subject: {folder} {i}\r\n\r\nbody {i}\r\n");
            let name = format!("{}.M{i}.host:2,S", 1_600_000_000 + i);
            std::fs::write(root.join(folder).join("cur").join(name), raw).unwrap();
        }
    }

    /// A mailbox indexed in many small rescans as its mail arrives (the daemon's save hooks and
    /// checks) seals its columns when their logs outgrow the sealed bases, not at the end of every
    /// rescan whose logs passed the least size: each seal rewrites every column of the mailbox.
    #[test]
    fn column_logs_are_sealed_when_they_outgrow_the_sealed_bases() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let mut x: u64 = 7;
        let mut hex = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            format!("{x:016x}")
        };
        let mut deliver = |from: u32, to: u32| {
            for i in from..to {
                let raw = format!(
                    "From: a{i}@example.org\r\nSubject: message {i}\r\nX-Id: {}{}{}\r\n\
                     Message-ID: <{}@example.org>\r\n\r\nbody {i}\r\n",
                    hex(),
                    hex(),
                    hex(),
                    hex()
                );
                let name = format!("{}.M{i}.host:2,S", 1_600_000_000 + i);
                std::fs::write(maildir.join("cur").join(name), raw).unwrap();
            }
        };
        let store = Store::open(&maildir).unwrap();
        let home = HomeIndex::open_or_create(&dir.path().join("mailfts")).unwrap();
        let opts = RescanOptions {
            seal_log_bytes: 8 << 10,
            ..RescanOptions::default()
        };
        // the sealed bases' (path, inode): a seal writes each anew
        let bases = || -> Vec<(std::path::PathBuf, u64)> {
            let Ok(files) = std::fs::read_dir(home.dir().join("columns")) else {
                return Vec::new();
            };
            let mut v: Vec<_> = files
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "zst"))
                .map(|e| (e.path(), e.metadata().unwrap().ino()))
                .collect();
            v.sort();
            v
        };
        let (mut seals, mut last) = (0, bases());
        for round in 0..12 {
            deliver(1 + round * 200, 1 + (round + 1) * 200);
            let stats = rescan(&home, &store, &opts, &NoProgress).unwrap();
            assert_eq!(stats.added, 200);
            let now = bases();
            if now != last {
                seals += 1;
                last = now;
            }
        }
        // every rescan's logs (about 30 KB) pass 8 KB: sealing by that alone made 12 seals
        assert!((3..=6).contains(&seals), "{seals} seals in 12 rescans");
        let id = home.meta().unwrap().mailboxes["INBOX"].id;
        let columns = home.columns();
        let subject = crate::columns::column_of("subject").unwrap();
        let hits = columns.search(id, subject, "message 11").unwrap().uids;
        // 11, 110..=119, 1100..=1199
        assert_eq!(hits.len(), 1 + 10 + 100);
    }

    /// A caller that asks a rescan to stop (`Progress::stop_requested`: the daemon's shutdown, a
    /// cancelled request) gets what was added so far committed, no later mailbox started, and the
    /// next rescan adds the rest and nothing twice.
    #[test]
    fn a_rescan_asked_to_stop_commits_what_it_added_and_the_next_one_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Maildir");
        deliver(&root, "", 3 * PREPARE_CHUNK as u32);
        deliver(&root, ".Later", 10);
        let store = Store::open(&root).unwrap();
        let home = HomeIndex::open_or_create(&dir.path().join("mailfts")).unwrap();
        let opts = RescanOptions {
            // not one commit: this rescan is to stop half-way
            one_segment_up_to: 0,
            ..RescanOptions::default()
        };
        let stop = StopAfter(Default::default(), PREPARE_CHUNK as u64);
        let stats = rescan(&home, &store, &opts, &stop).unwrap();
        assert_eq!(stats.added, PREPARE_CHUNK as u64, "stopped after one chunk");
        let meta = home.meta().unwrap();
        assert!(
            !meta.mailboxes.contains_key("Later"),
            "no later mailbox started"
        );
        assert_eq!(home.snapshot().unwrap().num_docs(), PREPARE_CHUNK as u64);

        let stats = rescan(&home, &store, &opts, &NoProgress).unwrap();
        assert_eq!(stats.added, 2 * PREPARE_CHUNK as u64 + 10);
        assert_eq!(
            home.snapshot().unwrap().num_docs(),
            3 * PREPARE_CHUNK as u64 + 10,
            "every message once"
        );
    }

    /// With a commit after every chunk, the chunks prepared while a commit waits
    /// ([`COMMIT_AHEAD_CHUNKS`]) are added in order after it, each once; a rescan stopped with
    /// chunks prepared ahead drops them unadded, and its high-water mark covers only what it added.
    #[test]
    fn chunks_prepared_during_a_commit_are_added_in_order_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Maildir");
        let n = 10 * PREPARE_CHUNK as u32 + 7;
        deliver(&root, "", n);
        let store = Store::open(&root).unwrap();
        let home = HomeIndex::open_or_create(&dir.path().join("mailfts")).unwrap();
        let opts = RescanOptions {
            batch_messages: PREPARE_CHUNK,
            one_segment_up_to: 0,
            ..RescanOptions::default()
        };
        let uids = |home: &HomeIndex| {
            let id = home.meta().unwrap().mailboxes["INBOX"].id;
            home.snapshot().unwrap().uids_of(id).unwrap()
        };
        let high_water = |home: &HomeIndex| home.meta().unwrap().mailboxes["INBOX"].high_water;

        let added = 5 * PREPARE_CHUNK as u64;
        let stats = rescan(&home, &store, &opts, &StopAfter(Default::default(), added)).unwrap();
        assert_eq!(stats.added, added);
        let first: Vec<u32> = uids(&home).iter().collect();
        assert_eq!(
            first,
            (1..=added as u32).collect::<Vec<_>>(),
            "the first chunks, in order"
        );
        assert_eq!(
            high_water(&home),
            added as u32,
            "nothing prepared ahead counted"
        );

        let stats = rescan(&home, &store, &opts, &NoProgress).unwrap();
        assert_eq!(stats.added, n as u64 - added);
        assert_eq!(
            home.snapshot().unwrap().num_docs(),
            n as u64,
            "every message once"
        );
        assert_eq!(uids(&home).len(), n as u64);
        assert_eq!(high_water(&home), n);
    }

    #[test]
    fn only_a_first_rescan_of_a_small_home_with_default_batches_is_one_commit() {
        let default = RescanOptions::default();
        let decide = |opts: &RescanOptions, empty: bool, messages: usize| {
            builds_in_one_commit(opts, || Ok(empty), |limit| messages <= limit).unwrap()
        };
        assert!(decide(&default, true, 20_000));
        assert!(decide(&default, true, 25_000));
        assert!(!decide(&default, true, 25_001), "a larger home");
        assert!(!decide(&default, false, 100), "an index with documents");
        let asked = |o: RescanOptions| decide(&o, true, 100);
        assert!(!asked(RescanOptions {
            batch_messages: 25,
            ..RescanOptions::default()
        }));
        assert!(asked(RescanOptions {
            batch_messages: 20_000,
            ..RescanOptions::default()
        }));
        assert!(!asked(RescanOptions {
            stop_after: Some(50),
            ..RescanOptions::default()
        }));
        assert!(!asked(RescanOptions {
            one_segment_up_to: 0,
            ..RescanOptions::default()
        }));
        // the store is not listed when the index is not empty
        let listed = std::cell::Cell::new(false);
        builds_in_one_commit(
            &default,
            || Ok(false),
            |_| {
                listed.set(true);
                true
            },
        )
        .unwrap();
        assert!(!listed.get());
    }
}
