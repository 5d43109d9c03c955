//! Indexing work: a queue of homes with pending changes, a bounded pool of workers that drain it,
//! and the chunked rescan every write goes through.
//!
//! Changes (watcher events, `IndexMessages`, IMAP saves, the startup and periodic checks) are
//! *queued per home*: the mailboxes named, or a check of every mailbox. A home's first change sets
//! its due time (now + debounce); later changes before it is taken only join the set, so a burst of
//! deliveries becomes one incremental rescan per affected mailbox, committed within about the debounce
//! plus the rescan. A home is taken by one worker at a time; changes that arrive while it is being
//! indexed queue for the next round.
//!
//! Each queued mailbox first gets a *quick check* (a store sync, then the index's high-water mark
//! against UIDNEXT and its document count against the store's message count): flag renames and
//! `new/` → `cur/` moves change neither, so they cost no index writer. Only a mailbox that differs
//! is rescanned ([`rescan_chunked`]): in chunks of `batch_messages` added messages, each a commit,
//! with the home's write lock held per chunk, so an admin rescan and incremental work interleave;
//! a shutdown or a cancelled `Rescan` call stops a chunk within a few hundred messages, committing
//! them. The index is merged once, after the last chunk; the first build of a small mailbox is one
//! commit.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use mailfts_indexer::home::{HomeIndex, IndexSnapshot};
use mailfts_indexer::rescan::{
    builds_in_one_commit_with, merge_into_one_segment, rescan, Progress, RescanOptions,
    RescanStats, MERGE_AFTER_ADDED,
};
use mailfts_indexer::{check, marker, IndexError};
use mailfts_store::{Store, StoreError};

use super::homes::{self, HomeState};
use super::Daemon;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What to do for a home.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Quick-check every mailbox (and drop mailboxes deleted from the store).
    Check,
    /// Rescan one mailbox if its quick check differs.
    Mailbox(String),
    /// Full integrity check of the index (checksums, columns, counts, samples); a damaged index
    /// is rebuilt from the store in the background while searches scan.
    Integrity,
}

/// What a waiting `IndexMessages` call gets back.
#[derive(Clone, Debug, Default)]
pub struct Done {
    /// Documents added for the mailbox.
    pub added: u64,
    /// Documents removed for the mailbox.
    pub removed: u64,
    /// The mailbox's high-water mark after the commit.
    pub high_water: u32,
}

/// A caller waiting for a mailbox to be indexed.
pub struct Waiter {
    /// The mailbox.
    pub mailbox: String,
    /// Where the outcome goes.
    pub tx: tokio::sync::oneshot::Sender<Result<Done, String>>,
}

#[derive(Default)]
struct Pending {
    check: bool,
    integrity: bool,
    mailboxes: BTreeSet<String>,
    due: Option<Instant>,
    waiters: Vec<Waiter>,
}

#[derive(Default)]
struct QueueState {
    pending: HashMap<String, Pending>,
    busy: HashSet<String>,
    stopping: bool,
}

/// The per-home work queue.
#[derive(Default)]
pub struct Queue {
    state: Mutex<QueueState>,
    cv: Condvar,
}

impl Queue {
    /// Queues work for `user`, due after `delay` (or earlier if already due earlier).
    pub fn push(&self, user: &str, work: Work, delay: Duration, waiter: Option<Waiter>) {
        let mut st = lock(&self.state);
        if st.stopping {
            return;
        }
        let p = st.pending.entry(user.to_string()).or_default();
        match work {
            Work::Check => p.check = true,
            Work::Integrity => p.integrity = true,
            Work::Mailbox(m) => {
                p.mailboxes.insert(m);
            }
        }
        let due = Instant::now() + delay;
        p.due = Some(p.due.map_or(due, |d| d.min(due)));
        p.waiters.extend(waiter);
        drop(st);
        self.cv.notify_all();
    }

    /// Homes with queued work.
    pub fn queued(&self) -> usize {
        lock(&self.state).pending.len()
    }

    /// Homes being indexed now.
    pub fn busy(&self) -> usize {
        lock(&self.state).busy.len()
    }

    /// The queued mailboxes of a home (`*` for a check of all).
    pub fn pending_of(&self, user: &str) -> Vec<String> {
        let st = lock(&self.state);
        let Some(p) = st.pending.get(user) else {
            return Vec::new();
        };
        let mut v: Vec<String> = p.mailboxes.iter().cloned().collect();
        if p.check {
            v.insert(0, "*".into());
        }
        if p.integrity {
            v.insert(0, "integrity".into());
        }
        v
    }

    /// Stops the workers after their current home; queued work is dropped (waiters are told).
    pub fn stop(&self) {
        let mut st = lock(&self.state);
        st.stopping = true;
        st.pending.clear();
        drop(st);
        self.cv.notify_all();
    }

    /// The next due home not being indexed, waiting for one; `None` once stopping.
    fn take(&self) -> Option<(String, Pending)> {
        let mut st = lock(&self.state);
        loop {
            if st.stopping {
                return None;
            }
            let now = Instant::now();
            let next = st
                .pending
                .iter()
                .filter(|(u, _)| !st.busy.contains(*u))
                .min_by_key(|(_, p)| p.due)
                .map(|(u, p)| (u.clone(), p.due.unwrap_or(now)));
            match next {
                Some((user, due)) if due <= now => {
                    let p = st.pending.remove(&user).expect("present");
                    st.busy.insert(user.clone());
                    return Some((user, p));
                }
                Some((_, due)) => {
                    st = self
                        .cv
                        .wait_timeout(st, due - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                None => {
                    st = self.cv.wait(st).unwrap_or_else(PoisonError::into_inner);
                }
            }
        }
    }

    fn release(&self, user: &str) {
        lock(&self.state).busy.remove(user);
        self.cv.notify_all();
    }
}

/// Starts `n` indexing workers.
pub fn start_workers(d: &Arc<Daemon>, n: usize) -> Vec<std::thread::JoinHandle<()>> {
    (0..n)
        .map(|i| {
            let d = d.clone();
            std::thread::Builder::new()
                .name(format!("mailfts-index-{i}"))
                .spawn(move || {
                    while let Some((user, pending)) = d.queue.take() {
                        process(&d, &user, pending);
                        d.queue.release(&user);
                    }
                })
                .expect("spawn indexing worker")
        })
        .collect()
}

/// Why a home's work failed.
enum Failure {
    /// Another process holds the index writer: try again later.
    Locked,
    Other(String),
}

fn process(d: &Daemon, user: &str, mut pending: Pending) {
    let Some(home) = d.homes.get(user) else {
        return;
    };
    let started = Instant::now();
    let mut done: HashMap<String, Done> = HashMap::new();
    let outcome = process_home(d, &home, &pending, &mut done);
    match outcome {
        Ok(()) => {
            tracing::debug!(
                user,
                mailboxes = done.len(),
                ms = started.elapsed().as_millis() as u64,
                "home indexed"
            );
            for w in pending.waiters {
                let r = done.get(&w.mailbox).cloned().unwrap_or_default();
                let _ = w.tx.send(Ok(r));
            }
        }
        Err(Failure::Locked) => {
            tracing::info!(user, "index locked by another process; retrying in 2 s");
            let waiters = std::mem::take(&mut pending.waiters);
            for m in std::mem::take(&mut pending.mailboxes) {
                d.queue
                    .push(user, Work::Mailbox(m), Duration::from_secs(2), None);
            }
            if pending.check {
                d.queue
                    .push(user, Work::Check, Duration::from_secs(2), None);
            }
            if pending.integrity {
                d.queue
                    .push(user, Work::Integrity, Duration::from_secs(2), None);
            }
            for w in waiters {
                let m = w.mailbox.clone();
                d.queue
                    .push(user, Work::Mailbox(m), Duration::from_secs(2), Some(w));
            }
        }
        Err(Failure::Other(e)) => {
            tracing::warn!(user, error = %e, "indexing failed");
            d.evict(user);
            for w in pending.waiters {
                let _ = w.tx.send(Err(e.clone()));
            }
        }
    }
}

fn failure(e: impl Into<anyhow::Error>) -> Failure {
    let e = e.into();
    if let Some(IndexError::Locked { .. }) = e.downcast_ref::<IndexError>() {
        return Failure::Locked;
    }
    Failure::Other(format!("{e:#}"))
}

fn process_home(
    d: &Daemon,
    home: &HomeState,
    pending: &Pending,
    done: &mut HashMap<String, Done>,
) -> Result<(), Failure> {
    if !home.maildir.is_dir() {
        tracing::debug!(user = home.user, maildir = %home.maildir.display(), "no Maildir yet: nothing to index");
        return Ok(());
    }
    let rebuilt = (pending.integrity || marker::damaged_reason(&home.index_dir).is_some())
        && integrity(d, home).map_err(failure)?;
    let (store, index) = homes::open_writable(&d.cache, home).map_err(failure)?;
    let snap = index.snapshot().map_err(failure)?;
    let mut candidates: BTreeSet<String> = pending.mailboxes.clone();
    candidates.extend(pending.waiters.iter().map(|w| w.mailbox.clone()));
    let mut gone = false;
    if pending.check || rebuilt {
        let names = store.list_mailboxes().map_err(failure)?;
        gone = snap.meta.mailboxes.keys().any(|k| !names.contains(k));
        candidates.extend(names);
    }
    for name in &candidates {
        if d.shutdown.is_triggered() {
            break;
        }
        d.metrics.mailbox_checked();
        match mailbox_differs(&store, &snap, name) {
            Ok(false) => {}
            Ok(true) => {
                let stats = rescan_chunked(
                    d,
                    home,
                    &store,
                    &index,
                    Some(name),
                    &Counters::default(),
                    &|| d.shutdown.is_triggered(),
                    false,
                )
                .map_err(failure)?;
                done.insert(
                    name.clone(),
                    Done {
                        added: stats.added,
                        removed: stats.removed,
                        high_water: 0,
                    },
                );
            }
            Err(StoreError::MailboxNotFound { .. }) => gone = true,
            Err(e) => {
                tracing::warn!(user = home.user, mailbox = name, error = %e, "mailbox check failed");
            }
        }
    }
    if gone && !d.shutdown.is_triggered() {
        // mailboxes deleted or renamed away: a full rescan drops their documents
        rescan_chunked(
            d,
            home,
            &store,
            &index,
            None,
            &Counters::default(),
            &|| false,
            false,
        )
        .map_err(failure)?;
    }
    if let Ok(meta) = index.meta() {
        d.metrics.set_failures(&home.user, &meta.failures);
        for (name, m) in &meta.mailboxes {
            if let Some(done) = done.get_mut(name) {
                done.high_water = m.high_water;
            }
        }
        for w in &pending.waiters {
            if let (Some(m), false) = (
                meta.mailboxes.get(&w.mailbox),
                done.contains_key(&w.mailbox),
            ) {
                done.insert(
                    w.mailbox.clone(),
                    Done {
                        high_water: m.high_water,
                        ..Done::default()
                    },
                );
            }
        }
    }
    Ok(())
}

/// The full integrity check of a home's index (or its damage marker). A damaged index is counted
/// (`mailfts_index_damage_detected_total`), its files removed under the write lock and its cache
/// entry dropped, so the caller's rescan rebuilds it from the store while searches scan. Returns
/// true when it was rebuilt.
fn integrity(d: &Daemon, home: &HomeState) -> anyhow::Result<bool> {
    if !home.index_dir.join("tantivy").exists() && !check::has_leftovers(&home.index_dir) {
        return Ok(false);
    }
    let reason = match marker::damaged_reason(&home.index_dir) {
        Some(r) => r,
        None => {
            let store = Store::open(&home.maildir)?;
            // no commit or merge of this daemon changes the files during the check
            let _w = home.write_lock();
            let report = check::check(
                &home.index_dir,
                Some(&store),
                &check::CheckOptions::default(),
            );
            tracing::info!(
                user = home.user,
                files = report.files_checked,
                bytes = report.bytes_verified,
                problems = report.problems.len(),
                "index integrity check"
            );
            if report.is_clean() {
                return Ok(false);
            }
            report.summary()
        }
    };
    tracing::warn!(
        user = home.user,
        reason,
        "index damaged: rebuilding it in the background (searches scan meanwhile)"
    );
    let _w = home.write_lock();
    d.evict(&home.user);
    HomeIndex::remove_files(&home.index_dir)?;
    d.evict(&home.user);
    d.metrics.damage_detected();
    Ok(true)
}

/// The quick check: does the index lack messages of this mailbox, or hold expunged ones?
///
/// After a sync: the mailbox unknown to the index (and not empty), another UIDVALIDITY, a
/// high-water mark below UIDNEXT − 1, or a document count other than the message count. New mail
/// always raises UIDNEXT, and the index never holds a UID above its high-water mark that the store
/// lacks, so equal marks and counts mean equal sets.
pub fn mailbox_differs(
    store: &Store,
    snap: &IndexSnapshot,
    name: &str,
) -> Result<bool, StoreError> {
    // shared: no copy of every message's entry (nor, on a first sync, an event per message: a
    // million of them for a freshly delivered home); the subscribers get the events all the same
    let s = store.mailbox(name)?.sync_shared()?;
    let Some(m) = snap.meta.mailboxes.get(&s.name) else {
        return Ok(!s.is_empty());
    };
    if m.uid_validity != s.uid_validity || m.high_water < s.uid_next.saturating_sub(1) {
        return Ok(true);
    }
    let docs = snap.doc_count_of(m.id).unwrap_or(usize::MAX);
    Ok(docs != s.len())
}

/// Progress of a rescan, shared with whoever reports it.
#[derive(Default)]
pub struct Counters {
    /// Messages processed.
    pub done: AtomicU64,
    /// Messages to process, as far as known.
    pub total: AtomicU64,
    /// Raw bytes read.
    pub bytes: AtomicU64,
}

/// Adapts [`Counters`] to one chunk of [`rescan`]: each chunk reports the messages it still has to
/// add as its total, so the known total is what was done before plus that.
struct ChunkProgress<'a> {
    counters: &'a Counters,
    done_before: u64,
    daemon: &'a Daemon,
    admin: bool,
    /// The rescan's caller wants it to stop (asked by the rescan as it goes).
    cancel: &'a (dyn Fn() -> bool + Sync),
}

impl Progress for ChunkProgress<'_> {
    fn add_total(&self, messages: u64) {
        let total = self.done_before + messages;
        let old = self.counters.total.swap(total, Relaxed);
        if self.admin {
            let m = &self.daemon.metrics.rescan_total;
            if total >= old {
                m.fetch_add(total - old, Relaxed);
            } else {
                m.fetch_sub(old - total, Relaxed);
            }
        }
    }

    fn advance(&self, messages: u64, bytes: u64) {
        self.counters.done.fetch_add(messages, Relaxed);
        self.counters.bytes.fetch_add(bytes, Relaxed);
        if self.admin {
            self.daemon.metrics.rescan_done.fetch_add(messages, Relaxed);
        }
    }

    fn stop_requested(&self) -> bool {
        (self.cancel)()
    }
}

/// Rescans one mailbox (or, with `None`, the whole home, unchunked: used to drop deleted mailboxes)
/// in chunks of `indexing.batch_messages` added messages, each one rescan call committed under the
/// home's write lock. Stops within a few hundred messages once `cancel` is true, committing them
/// (the rescan asks through [`Progress::stop_requested`]). Counted in the admin rescan metrics when
/// `admin`.
///
/// A finished chunked rescan merges a small index into one segment once, after its last chunk
/// (not after every chunk: that rewrote the whole index each time). The first build of a small
/// mailbox ([`builds_in_one_commit_with`]) is one call, which commits once: one segment, no merge,
/// as `mailfts rescan` does.
///
/// (Chunks of eight commits per call, each commit written while the next messages are prepared,
/// were measured on the generated 1M home's first build: 223.5 s on average against 225.8 s, three
/// alternating runs each, for a larger peak; not kept. See docs/BENCHMARKS.md.)
#[allow(clippy::too_many_arguments)]
pub fn rescan_chunked(
    d: &Daemon,
    home: &HomeState,
    store: &Store,
    index: &HomeIndex,
    mailbox: Option<&str>,
    counters: &Counters,
    cancel: &(dyn Fn() -> bool + Sync),
    admin: bool,
) -> Result<RescanStats, IndexError> {
    let batch = d.cfg.indexing.batch_messages.max(1);
    let whole_opts = RescanOptions {
        mailbox: mailbox.map(str::to_string),
        batch_messages: batch,
        index_threads: d.cfg.indexing.threads.max(1),
        ..RescanOptions::default()
    };
    // the first build of a small mailbox in one call: it commits once (one segment, no merge);
    // the daemon's first build of linux-usb 20k took 4.3–5.3 s in chunks of 5,000, 3.2 s in one
    // (`benches/daemon-build.sh`)
    let whole =
        mailbox.is_none() || builds_in_one_commit_with(index, store, &whole_opts).unwrap_or(false);
    let mut total = RescanStats::default();
    let finished = loop {
        let opts = RescanOptions {
            stop_after: (!whole).then_some(batch as u64),
            merge_at_end: whole,
            ..whole_opts.clone()
        };
        let progress = ChunkProgress {
            counters,
            done_before: counters.done.load(Relaxed),
            daemon: d,
            admin,
            cancel,
        };
        let stats = {
            let _w = home.write_lock();
            rescan(index, store, &opts, &progress)?
        };
        d.metrics.indexed(&stats);
        if stats.added > 0 || stats.removed > 0 {
            tracing::info!(
                user = home.user,
                mailbox = mailbox.unwrap_or("*"),
                added = stats.added,
                removed = stats.removed,
                failed = stats.failed,
                "committed"
            );
        }
        let more = !whole && stats.added >= batch as u64;
        merge_stats(&mut total, &stats);
        // a call that `cancel` stopped ends early too: not finished (no merge)
        if cancel() {
            break false;
        }
        if !more {
            break true;
        }
    };
    if finished && !whole && total.added >= MERGE_AFTER_ADDED {
        let _w = home.write_lock();
        merge_into_one_segment(index)?;
    }
    Ok(total)
}

/// Adds `s` to `total`.
pub fn merge_stats(total: &mut RescanStats, s: &RescanStats) {
    total.added += s.added;
    total.removed += s.removed;
    total.failed += s.failed;
    total.degraded += s.degraded;
    total.bytes += s.bytes;
    total.seconds += s.seconds;
    total.mailboxes = total.mailboxes.max(s.mailboxes);
    for (k, v) in &s.problems {
        *total.problems.entry(k.clone()).or_default() += v;
    }
}

/// Merges a home's index segments into one. Returns the segment counts before and after.
pub fn optimize(home: &HomeState, index: &HomeIndex) -> anyhow::Result<(usize, usize)> {
    let _w = home.write_lock();
    let before = index.tantivy().searchable_segment_ids()?;
    let mut writer = index.writer(1)?;
    if before.len() > 1 {
        writer.merge(&before).wait()?;
    }
    writer.garbage_collect_files().wait()?;
    writer.wait_merging_threads()?;
    let after = index.tantivy().searchable_segment_ids()?.len();
    tracing::info!(
        user = home.user,
        before = before.len(),
        after,
        "index optimized"
    );
    Ok((before.len(), after))
}

/// Deletes a home's index directory (under the write lock; the cache entry is dropped). Returns the
/// bytes freed, or `None` when there was no index.
pub fn delete_index(d: &Daemon, home: &HomeState) -> anyhow::Result<Option<u64>> {
    let _w = home.write_lock();
    d.evict(&home.user);
    if !home.index_dir.exists() {
        return Ok(None);
    }
    let bytes = dir_bytes(&home.index_dir);
    for sub in ["tantivy", "columns", "terms"] {
        let p = home.index_dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p)
                .map_err(|e| anyhow::anyhow!("removing {}: {e}", p.display()))?;
        }
    }
    d.metrics.set_failures(&home.user, &Default::default());
    tracing::info!(user = home.user, bytes, "index deleted");
    Ok(Some(bytes))
}

/// Bytes of the files below `dir`.
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
