//! One mailbox: sync and writes.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::baseline::Baseline;
use crate::dirstate::{DirState, MailboxProbe};
use crate::error::{Result, StoreError};
use crate::fsutil::{self, LockGuard};
use crate::keywords::KeywordTable;
use crate::modseq::{self, Modseqs};
use crate::persisted;
use crate::scan::{self, Scanned};
use crate::snapshot::{keyword_names, LazyEntries, Snapshot};
use crate::store::{lock_shared, Shared};
use crate::uidlist::{self, Loaded};
use crate::{dovecot, filename, sync, Store, StoreEvent};

mod write;

/// Fewest messages of a mailbox whose listing, once saved to its state file, is read in place
/// from that file rather than kept in memory ([`Mailbox::listing_heap_bytes`]): a long-running
/// process (the daemon) kept the listings of every large mailbox it synced, about 70 bytes per
/// message (the generated 1M home: 46 MB beside its first build). Below it, a copy costs little.
pub const READ_SAVED_FROM: usize = 4096;

/// A handle on one mailbox, from [`Store::mailbox`]. Cheap to clone; all handles of a mailbox in one
/// [`Store`] share what the last sync saw.
///
/// Every operation that touches UIDs takes the mailbox's lock file (`mailfts-uidlist.lock`), so
/// threads and processes never hand out a UID twice.
#[derive(Clone)]
pub struct Mailbox {
    store: Store,
    name: String,
    dir: PathBuf,
    shared: Arc<Shared>,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("name", &self.name)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    pub(crate) fn new(store: Store, name: String, dir: PathBuf, shared: Arc<Shared>) -> Mailbox {
        Mailbox {
            store,
            name,
            dir,
            shared,
        }
    }

    /// The mailbox name (UTF-8; `INBOX` for the root).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The folder directory (the Maildir root for `INBOX`).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// What the mailbox's directories and list files look like now, to tell cheaply (six `stat`s,
    /// no lock) whether anything changed since an earlier probe: see [`MailboxProbe`].
    pub fn probe(&self) -> Result<MailboxProbe> {
        Ok(MailboxProbe(DirState::read(&self.dir)?))
    }

    /// Brings the UID list up to date with the files and returns the mailbox's messages.
    ///
    /// Under the mailbox lock: loads our list and Dovecot's, reads `new/` and `cur/` (no `stat` per
    /// file), keeps the UID of every known basename, numbers new files in natural order of their
    /// basenames, and drops files that are gone. The list is written only when UIDs changed; mail files
    /// are never touched. An unreadable list, or one whose UIDVALIDITY disagrees with Dovecot's, is
    /// rebuilt under a new UIDVALIDITY ([`StoreEvent::UidValidityChanged`]).
    ///
    /// When neither `new/`, `cur/` nor the list and keyword files changed since the last sync through
    /// this [`Store`] (same inode, size and mtime, and the directories had not been modified for two
    /// seconds before that sync read them), the snapshot is rebuilt from memory after six `stat` calls,
    /// without reading the directories: a change to a Maildir always changes a directory's mtime.
    /// A fresh process does the same against the state the last trusted sync recorded on disk
    /// (`mailfts-state` beside the UID list, see `persisted`), so a one-shot CLI search of an
    /// unchanged mailbox costs a few `stat`s and two file reads (that state and `mailfts-modseq`)
    /// instead of a directory listing.
    ///
    /// Flag changes ([`StoreEvent::FlagsChanged`]) are reported relative to the previous sync through
    /// this [`Store`]; the first sync in a process reports none. Mod-sequences, by contrast, are
    /// kept against `mailfts-modseq` on disk, so a change made while no process looked still gets
    /// one ([`MessageEntry::modseq`](crate::MessageEntry::modseq)).
    pub fn sync(&self) -> Result<Snapshot> {
        let snapshot = {
            let _lock = self.lock()?;
            match self.unchanged_locked()? {
                Some(shared) => Arc::unwrap_or_clone(shared),
                None => self.sync_locked(&[])?,
            }
        };
        self.store.publish(&snapshot.events);
        Ok(snapshot)
    }

    /// [`Mailbox::sync`] for readers that only look: while nothing changed, every call returns the
    /// same shared snapshot (built once, after six `stat`s) instead of a copy of every message's
    /// path, which on 20,000 messages is most of a search's fixed cost.
    ///
    /// Its [`Snapshot::events`] are empty: a sync's events go to the store's subscribers only (a
    /// first sync of a home of a million messages would keep a million `Saved` events).
    pub fn sync_shared(&self) -> Result<Arc<Snapshot>> {
        let mut fresh = {
            let _lock = self.lock()?;
            match self.unchanged_locked()? {
                Some(shared) => return Ok(shared),
                // events that nobody receives are not made (a first sync's `Saved` for each of
                // 450,000 messages: about 40 MB)
                None => self.sync_locked_as(&[], self.store.has_subscribers())?,
            }
        };
        self.store.publish(&std::mem::take(&mut fresh.events));
        Ok(Arc::new(fresh))
    }

    /// Bytes of memory this [`Store`] holds for the mailbox's last listing (file names and their
    /// slots): none before a sync, and none when the listing is read in place from the mailbox's
    /// state file (a fresh process's unchanged mailbox, or a sync of at least
    /// [`READ_SAVED_FROM`] messages whose directories had settled).
    pub fn listing_heap_bytes(&self) -> usize {
        lock_shared(&self.shared.baseline)
            .as_ref()
            .map_or(0, |b| b.listing().heap_bytes())
    }

    /// The UIDs expunged from this mailbox with a mod-sequence above `modseq` (RFC 7162 VANISHED
    /// (EARLIER)), ascending, as recorded by the syncs so far; `None` when that is no longer known
    /// (older than the bounded expunge memory, or the mod-sequence state was lost): then every UID of
    /// the client's range that is not in the mailbox is the answer RFC 7162 §3.2.5.2 allows.
    pub fn expunged_since(&self, modseq: u64) -> Result<Option<Vec<u32>>> {
        let _lock = self.lock()?;
        Ok(modseq::load(&self.dir).and_then(|log| log.expunged_since(modseq)))
    }

    fn uid_not_found(&self, uid: u32) -> StoreError {
        StoreError::UidNotFound {
            mailbox: self.name.clone(),
            uid,
        }
    }

    fn lock(&self) -> Result<LockGuard> {
        fsutil::lock(&self.dir.join(uidlist::LOCK_FILE)).map_err(|e| match e {
            e if e.is_not_found() => StoreError::MailboxNotFound {
                name: self.name.clone(),
            },
            e => e,
        })
    }

    /// The current path and file name of a UID, syncing once (collecting its events) when the
    /// in-memory view is missing or does not know the UID. `None`: no such UID.
    fn locate_locked(
        &self,
        uid: u32,
        events: &mut Vec<StoreEvent>,
        resynced: &mut bool,
    ) -> Result<Option<(PathBuf, String)>> {
        loop {
            {
                let baseline = lock_shared(&self.shared.baseline);
                if let Some(b) = baseline.as_ref() {
                    if let (Some((name, _)), Some(path)) = (b.get(uid), b.path(&self.dir, uid)) {
                        return Ok(Some((path, name.to_owned())));
                    }
                }
            }
            if *resynced {
                return Ok(None);
            }
            events.extend(self.sync_locked(&[])?.events);
            *resynced = true;
        }
    }

    /// The snapshot of the last sync, when nothing changed since (see [`DirState`]); the caller holds
    /// the lock.
    fn unchanged_locked(&self) -> Result<Option<Arc<Snapshot>>> {
        let state = DirState::read(&self.dir)?;
        let mut baseline = lock_shared(&self.shared.baseline);
        if baseline.is_none() {
            // a fresh process: what the last process's sync saw, if nothing changed since
            *baseline = persisted::load(&self.dir, &state);
            if baseline.is_some() {
                tracing::debug!(
                    mailbox = self.name,
                    "unchanged since the recorded state: no directory read"
                );
            }
        }
        let Some(b) = baseline
            .as_mut()
            .filter(|b| b.state.as_ref() == Some(&state))
        else {
            return Ok(None);
        };
        if let Some(shared) = &b.snapshot {
            return Ok(Some(shared.clone()));
        }
        // mod-sequences are brought up to date under the lock even when nothing else changed: a
        // home indexed before they existed gets its state here
        let matching = b
            .modseq_highest
            .and_then(|h| modseq::matching(&self.dir, b.uid_validity, h));
        let modseqs = match matching {
            Some(m) => m,
            None => {
                let log = modseq::sync(&self.dir, b.uid_validity, false, b.iter())?;
                b.modseq_highest = Some(log.highest);
                // recorded, so that the next fresh process trusts the file without comparing
                // (a state written before mod-sequences, or after the file was lost or replaced)
                persisted::save(&self.dir, b);
                Modseqs::from(log)
            }
        };
        let keywords = Arc::new(KeywordTable::load(&self.dir)?);
        let shared = Arc::new(self.snapshot_of(b, keywords, modseqs));
        b.snapshot = Some(shared.clone());
        Ok(Some(shared))
    }

    /// A snapshot of `baseline` whose entries are built from its listing when asked for.
    fn snapshot_of(
        &self,
        baseline: &Baseline,
        keywords: Arc<KeywordTable>,
        modseqs: Modseqs,
    ) -> Snapshot {
        let lazy = LazyEntries {
            listing: baseline.listing().clone(),
            new: self.dir.join("new"),
            cur: self.dir.join("cur"),
            keywords,
            modseqs: Arc::new(modseqs),
            limits: self.store.limits(),
        };
        Snapshot::of_listing(
            self.name.clone(),
            baseline.uid_validity,
            baseline.uid_next,
            lazy,
        )
    }

    /// The sync proper; the caller holds the lock. `expected_gone` lists UIDs whose files the caller
    /// just deleted (no second directory read is needed to confirm them).
    fn sync_locked(&self, expected_gone: &[u32]) -> Result<Snapshot> {
        self.sync_locked_as(expected_gone, true)
    }

    /// [`Mailbox::sync_locked`]; without `with_events`, the snapshot's events say only that the
    /// UIDVALIDITY changed.
    fn sync_locked_as(&self, expected_gone: &[u32], with_events: bool) -> Result<Snapshot> {
        let started = Instant::now();
        // Stat before reading: a change after this point gives a state we will not recognise.
        let scan_started = SystemTime::now();
        let mut state = DirState::read(&self.dir)?;
        let dovecot = dovecot::load(&self.dir)?;
        let loaded = uidlist::load(&self.dir)?;
        let known_validity = lock_shared(&self.shared.baseline)
            .as_ref()
            .map(|b| b.uid_validity);
        let mut events = Vec::new();
        let new_validity = dovecot.is_none() && !matches!(loaded, Loaded::Valid(_));
        let mut validity_changed = |old: u32, new: u32| {
            events.push(StoreEvent::UidValidityChanged {
                mailbox: self.name.clone(),
                old,
                new,
            })
        };
        let (prev, uid_validity) = match loaded {
            Loaded::Valid(list) => match &dovecot {
                Some(d) if d.uid_validity != list.uid_validity => {
                    tracing::warn!(
                        mailbox = self.name,
                        ours = list.uid_validity,
                        dovecot = d.uid_validity,
                        "UIDVALIDITY differs from dovecot-uidlist; rebuilding our UID list"
                    );
                    validity_changed(list.uid_validity, d.uid_validity);
                    (None, d.uid_validity)
                }
                _ => {
                    let v = list.uid_validity;
                    (Some(list), v)
                }
            },
            Loaded::Corrupt {
                old_validity,
                reason,
            } => {
                let new = match &dovecot {
                    Some(d) => d.uid_validity,
                    None => self.store.next_uid_validity(old_validity)?,
                };
                tracing::warn!(
                    mailbox = self.name,
                    reason,
                    new_uidvalidity = new,
                    "corrupt UID list; rebuilding"
                );
                validity_changed(old_validity.or(known_validity).unwrap_or(0), new);
                (None, new)
            }
            Loaded::Missing => {
                let new = match &dovecot {
                    Some(d) => d.uid_validity,
                    None => self.store.next_uid_validity(known_validity)?,
                };
                if let Some(old) = known_validity.filter(|&v| v != new) {
                    tracing::warn!(
                        mailbox = self.name,
                        "UID list vanished; new UIDVALIDITY {new}"
                    );
                    validity_changed(old, new);
                }
                (None, new)
            }
        };

        let mut scanned = Scanned::with_capacity(prev.as_ref().map_or(64, |p| p.len() + 64));
        scan::scan(&self.dir, &mut scanned).map_err(|e| match e {
            e if e.is_not_found() => StoreError::MailboxNotFound {
                name: self.name.clone(),
            },
            e => e,
        })?;
        let mut names = scanned.names();
        let mut plan = sync::plan(prev.as_ref(), dovecot.as_ref(), &scanned.files, &names);
        if let Some(p) = prev.as_ref().filter(|_| {
            plan.missing
                .iter()
                .any(|u| expected_gone.binary_search(u).is_err())
        }) {
            // A file renamed (new/ → cur/, or a flag change) while we read the directory can be
            // missed; read again before calling anything expunged.
            let missing: HashSet<&str> = plan.missing.iter().filter_map(|&u| p.get(u)).collect();
            let mut again = Scanned::default();
            scan::scan(&self.dir, &mut again)?;
            let before = scanned.len();
            drop(names);
            scanned.extend_with(&again, |base| missing.contains(base));
            names = scanned.names();
            if scanned.len() > before {
                tracing::debug!(
                    mailbox = self.name,
                    found = scanned.len() - before,
                    "files renamed during the scan"
                );
                plan = sync::plan(prev.as_ref(), dovecot.as_ref(), &scanned.files, &names);
            }
        }

        let records = || {
            plan.assigned
                .iter()
                .map(|&(uid, fi)| (uid, scanned.files[fi as usize].base_of(names[fi as usize])))
        };
        let written = match &prev {
            Some(p) if plan.saved.is_empty() && plan.expunged.is_empty() => {
                if !p.appendable {
                    uidlist::write(&self.dir, uid_validity, plan.uid_next, records())?;
                }
                !p.appendable
            }
            Some(p) if plan.append_only && p.appendable => {
                uidlist::append(&self.dir, records().filter(|&(uid, _)| uid >= p.uid_next))?;
                true
            }
            _ => {
                uidlist::write(&self.dir, uid_validity, plan.uid_next, records())?;
                true
            }
        };
        if written {
            state.refresh_list(&self.dir)?;
        }

        // The new baseline, and the flag changes against what the last sync saw. The snapshot's
        // entries are built from the baseline's listing when asked for (a first sync of a
        // mailbox of 450,000 messages made every entry, a path allocation each: 120 MB).
        let table = Arc::new(KeywordTable::load(&self.dir)?);
        let mut baseline = Baseline::with_capacity(uid_validity, plan.assigned.len());
        let mut changed = Vec::new();
        {
            let old = lock_shared(&self.shared.baseline);
            let old = old.as_ref().filter(|b| b.uid_validity == uid_validity);
            let mut cursor = 0;
            for &(uid, fi) in &plan.assigned {
                let (name, in_new) = (names[fi as usize], scanned.files[fi as usize].in_new);
                baseline.push(uid, name, in_new);
                if with_events
                    && old.is_some_and(|b| b.flags_changed(&mut cursor, uid, name, in_new))
                {
                    let keywords = if table.is_empty() {
                        Vec::new()
                    } else {
                        keyword_names(&table, name)
                    };
                    changed.push((uid, filename::flags(name), keywords));
                }
            }
        }
        drop(names);
        drop(scanned);

        let modseqs = modseq::sync(&self.dir, uid_validity, new_validity, baseline.iter())?;
        if with_events {
            let mailbox = || self.name.clone();
            events.extend(plan.expunged.iter().map(|&uid| StoreEvent::Expunged {
                mailbox: mailbox(),
                uid,
            }));
            events.extend(changed.into_iter().map(|(uid, flags, keywords)| {
                StoreEvent::FlagsChanged {
                    mailbox: mailbox(),
                    uid,
                    flags,
                    keywords,
                }
            }));
            events.extend(plan.saved.iter().map(|&uid| StoreEvent::Saved {
                mailbox: mailbox(),
                uid,
            }));
        }
        baseline.uid_next = plan.uid_next;
        baseline.state = state.settled(scan_started).then_some(state);
        baseline.modseq_highest = Some(modseqs.highest);
        if persisted::save(&self.dir, &baseline) && baseline.listing().len() >= READ_SAVED_FROM {
            baseline.read_saved_listing(&self.dir);
        }
        let mut snapshot = self.snapshot_of(&baseline, table, Modseqs::from(modseqs));
        snapshot.events = events;
        let messages = baseline.listing().len();
        *lock_shared(&self.shared.baseline) = Some(baseline);

        tracing::debug!(
            mailbox = self.name,
            messages,
            saved = plan.saved.len(),
            expunged = plan.expunged.len(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "synced"
        );
        Ok(snapshot)
    }
}
