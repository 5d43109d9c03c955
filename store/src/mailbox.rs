//! One mailbox: sync and writes.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::baseline::Baseline;
use crate::error::{Result, StoreError};
use crate::fsutil::{self, LockGuard};
use crate::keywords::KeywordTable;
use crate::scan::{self, ScannedFile};
use crate::snapshot::{MessageEntry, Snapshot};
use crate::store::{lock_shared, Shared};
use crate::uidlist::{self, Loaded};
use crate::{deliver, dovecot, filename, sync, Flags, Store, StoreEvent};

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
        Mailbox { store, name, dir, shared }
    }

    /// The mailbox name (UTF-8; `INBOX` for the root).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The folder directory (the Maildir root for `INBOX`).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Brings the UID list up to date with the files and returns the mailbox's messages.
    ///
    /// Under the mailbox lock: loads our list and Dovecot's, reads `new/` and `cur/` (no `stat` per
    /// file), keeps the UID of every known basename, numbers new files in natural order of their
    /// basenames, and drops files that are gone. The list is written only when UIDs changed; mail files
    /// are never touched. An unreadable list, or one whose UIDVALIDITY disagrees with Dovecot's, is
    /// rebuilt under a new UIDVALIDITY ([`StoreEvent::UidValidityChanged`]).
    ///
    /// Flag changes ([`StoreEvent::FlagsChanged`]) are reported relative to the previous sync through
    /// this [`Store`]; the first sync in a process reports none.
    pub fn sync(&self) -> Result<Snapshot> {
        let snapshot = {
            let _lock = self.lock()?;
            self.sync_locked(&[])?
        };
        self.store.publish(&snapshot.events);
        Ok(snapshot)
    }

    /// Delivers a message: writes `tmp/<unique>,S=<size>,W=<vsize>`, fsyncs it, sets its mtime to
    /// `internal_date` (unix seconds) if given, moves it to `cur/` with the flag and keyword letters, and
    /// assigns its UID at once. Returns the UID.
    pub fn save(&self, bytes: &[u8], flags: Flags, keywords: &[&str], internal_date: Option<i64>) -> Result<u32> {
        let base = deliver::unique_basename(Some(bytes.len() as u64), Some(deliver::vsize(bytes)));
        let tmp = self.dir.join("tmp").join(&base);
        deliver::write_new(&tmp, bytes, internal_date).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::io("write", &tmp)(e)
        })?;
        self.commit_tmp(&tmp, &base, flags, keywords)
    }

    /// Replaces the flags and keywords of a message by renaming its file (to `cur/`, keeping the UID).
    pub fn set_flags(&self, uid: u32, flags: Flags, keywords: &[&str]) -> Result<()> {
        let events = {
            let _lock = self.lock()?;
            let letters = KeywordTable::load(&self.dir)?.letters_for(&self.dir, &self.name, keywords)?;
            let mut events = Vec::new();
            let mut resynced = false;
            loop {
                let Some((from, name)) = self.locate_locked(uid, &mut events, &mut resynced)? else {
                    return Err(self.uid_not_found(uid));
                };
                let new_name = format!("{}:2,{}{letters}", filename::basename(&name), flags.to_maildir_letters());
                let to = self.dir.join("cur").join(&new_name);
                if from == to {
                    break;
                }
                match fs::rename(&from, &to) {
                    Ok(()) => {
                        if let Some(b) = lock_shared(&self.shared.baseline).as_mut() {
                            b.set(uid, &new_name, false);
                        }
                        let table = KeywordTable::load(&self.dir)?;
                        events.push(StoreEvent::FlagsChanged {
                            mailbox: self.name.clone(),
                            uid,
                            flags,
                            keywords: keyword_names(&table, &new_name),
                        });
                        break;
                    }
                    // Renamed or expunged by someone else since our last sync: look again.
                    Err(e) if e.kind() == io::ErrorKind::NotFound && !resynced => {
                        events.extend(self.sync_locked(&[])?.events);
                        resynced = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(self.uid_not_found(uid)),
                    Err(e) => return Err(StoreError::io("rename", &from)(e)),
                }
            }
            events
        };
        self.store.publish(&events);
        Ok(())
    }

    /// Deletes the files of these UIDs and drops them from the list. Returns the UIDs among `uids`
    /// that were in the mailbox and are gone now, ascending (unknown UIDs are ignored).
    pub fn expunge(&self, uids: &[u32]) -> Result<Vec<u32>> {
        let mut uids = uids.to_vec();
        uids.sort_unstable();
        uids.dedup();
        let mut events = Vec::new();
        let result = self.expunge_locked(&uids, &mut events);
        self.store.publish(&events);
        result
    }

    fn expunge_locked(&self, uids: &[u32], events: &mut Vec<StoreEvent>) -> Result<Vec<u32>> {
        let _lock = self.lock()?;
        let mut resynced = false;
        let mut present = Vec::with_capacity(uids.len());
        let mut first_error = None;
        for &uid in uids {
            let Some((path, _)) = self.locate_locked(uid, events, &mut resynced)? else { continue };
            present.push(uid);
            // NotFound: renamed by someone else; the sync below finds it and we try again.
            if let Err(e) = remove_file(&path) {
                first_error = Some(e);
                break;
            }
        }
        let mut snapshot = self.sync_locked(&present)?;
        events.append(&mut snapshot.events);
        let survivors: Vec<PathBuf> = present.iter().filter_map(|&u| snapshot.get(u)).map(|m| m.path.clone()).collect();
        if first_error.is_none() && !survivors.is_empty() {
            first_error = survivors.iter().find_map(|p| remove_file(p).err());
            snapshot = self.sync_locked(&present)?;
            events.append(&mut snapshot.events);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(present.into_iter().filter(|&u| snapshot.get(u).is_none()).collect()),
        }
    }

    /// Copies a message into `dest` (a hard link when possible, else a copy keeping the mtime), with
    /// its flags and keywords. Returns the UID in `dest`.
    pub fn copy_to(&self, uid: u32, dest: &Mailbox) -> Result<u32> {
        let mut resynced = false;
        loop {
            let (src, name) = {
                let _lock = self.lock()?;
                let mut events = Vec::new();
                let found = self.locate_locked(uid, &mut events, &mut resynced)?;
                self.store.publish(&events);
                found.ok_or_else(|| self.uid_not_found(uid))?
            };
            let base = filename::basename(&name);
            let new_base = deliver::unique_basename(filename::size_field(base, b'S'), filename::size_field(base, b'W'));
            let tmp = dest.dir.join("tmp").join(&new_base);
            match link_or_copy(&src, &tmp) {
                Ok(()) => {
                    let table = KeywordTable::load(&self.dir)?;
                    let keywords = keyword_names(&table, &name);
                    let keywords: Vec<&str> = keywords.iter().map(String::as_str).collect();
                    return dest.commit_tmp(&tmp, &new_base, filename::flags(&name), &keywords);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && !resynced => {
                    let _ = fs::remove_file(&tmp);
                    self.sync()?;
                    resynced = true;
                }
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(StoreError::io("copy", &src)(e));
                }
            }
        }
    }

    fn uid_not_found(&self, uid: u32) -> StoreError {
        StoreError::UidNotFound {
            mailbox: self.name.clone(),
            uid,
        }
    }

    fn lock(&self) -> Result<LockGuard> {
        fsutil::lock(&self.dir.join(uidlist::LOCK_FILE)).map_err(|e| match e {
            e if e.is_not_found() => StoreError::MailboxNotFound { name: self.name.clone() },
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

    /// Moves a file from `tmp/` into `cur/` with its flags and gives it a UID; removes it on failure.
    fn commit_tmp(&self, tmp: &Path, base: &str, flags: Flags, keywords: &[&str]) -> Result<u32> {
        let mut moved = false;
        let result = (|| {
            let _lock = self.lock()?;
            let letters = KeywordTable::load(&self.dir)?.letters_for(&self.dir, &self.name, keywords)?;
            let name = format!("{base}:2,{}{letters}", flags.to_maildir_letters());
            let cur = self.dir.join("cur");
            let dest = cur.join(&name);
            fs::rename(tmp, &dest).map_err(StoreError::io("rename", tmp))?;
            moved = true;
            fsutil::fsync_dir(&cur)?;
            self.assign_locked(base, &name)
        })();
        match result {
            Ok((uid, events)) => {
                self.store.publish(&events);
                Ok(uid)
            }
            Err(e) => {
                if !moved {
                    let _ = fs::remove_file(tmp);
                }
                Err(e)
            }
        }
    }

    /// Gives the just-delivered `cur/<name>` a UID: appended to the list when it is in order, else
    /// through a full sync.
    fn assign_locked(&self, base: &str, name: &str) -> Result<(u32, Vec<StoreEvent>)> {
        let dovecot = dovecot::load(&self.dir)?;
        if let Loaded::Valid(list) = uidlist::load(&self.dir)? {
            if list.appendable && dovecot.as_ref().is_none_or(|d| d.uid_validity == list.uid_validity) {
                let uid = list.uid_next.max(dovecot.as_ref().map_or(1, |d| d.next_uid));
                uidlist::append(&self.dir, std::iter::once((uid, base)))?;
                if let Some(b) = lock_shared(&self.shared.baseline).as_mut() {
                    if b.uid_validity == list.uid_validity {
                        b.set(uid, name, false);
                    }
                }
                tracing::debug!(mailbox = self.name, uid, file = name, "message saved");
                let saved = StoreEvent::Saved {
                    mailbox: self.name.clone(),
                    uid,
                };
                return Ok((uid, vec![saved]));
            }
        }
        let snapshot = self.sync_locked(&[])?;
        let uid = snapshot
            .messages
            .iter()
            .find(|m| m.basename() == base)
            .map(|m| m.uid)
            .ok_or_else(|| StoreError::io("save", &self.dir.join("cur").join(name))(io::ErrorKind::NotFound.into()))?;
        Ok((uid, snapshot.events))
    }

    /// The sync proper; the caller holds the lock. `expected_gone` lists UIDs whose files the caller
    /// just deleted (no second directory read is needed to confirm them).
    fn sync_locked(&self, expected_gone: &[u32]) -> Result<Snapshot> {
        let started = Instant::now();
        let dovecot = dovecot::load(&self.dir)?;
        let loaded = uidlist::load(&self.dir)?;
        let known_validity = lock_shared(&self.shared.baseline).as_ref().map(|b| b.uid_validity);
        let mut events = Vec::new();
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
            Loaded::Corrupt { old_validity, reason } => {
                let new = match &dovecot {
                    Some(d) => d.uid_validity,
                    None => self.store.next_uid_validity(old_validity)?,
                };
                tracing::warn!(mailbox = self.name, reason, new_uidvalidity = new, "corrupt UID list; rebuilding");
                validity_changed(old_validity.or(known_validity).unwrap_or(0), new);
                (None, new)
            }
            Loaded::Missing => {
                let new = match &dovecot {
                    Some(d) => d.uid_validity,
                    None => self.store.next_uid_validity(known_validity)?,
                };
                if let Some(old) = known_validity.filter(|&v| v != new) {
                    tracing::warn!(mailbox = self.name, "UID list vanished; new UIDVALIDITY {new}");
                    validity_changed(old, new);
                }
                (None, new)
            }
        };

        let mut files: Vec<ScannedFile> = Vec::with_capacity(prev.as_ref().map_or(64, |p| p.len() + 64));
        scan::scan(&self.dir, &mut files).map_err(|e| match e {
            e if e.is_not_found() => StoreError::MailboxNotFound { name: self.name.clone() },
            e => e,
        })?;
        let mut names: Vec<&str> = files.iter().map(ScannedFile::name).collect();
        let mut plan = sync::plan(prev.as_ref(), dovecot.as_ref(), &files, &names);
        if let Some(p) = prev.as_ref().filter(|_| plan.missing.iter().any(|u| expected_gone.binary_search(u).is_err())) {
            // A file renamed (new/ → cur/, or a flag change) while we read the directory can be
            // missed; read again before calling anything expunged.
            let missing: HashSet<&str> = plan.missing.iter().filter_map(|&u| p.get(u)).collect();
            let mut again = Vec::new();
            scan::scan(&self.dir, &mut again)?;
            again.retain(|f| missing.contains(f.base()));
            if !again.is_empty() {
                tracing::debug!(mailbox = self.name, found = again.len(), "files renamed during the scan");
                drop(names);
                files.append(&mut again);
                names = files.iter().map(ScannedFile::name).collect();
                plan = sync::plan(prev.as_ref(), dovecot.as_ref(), &files, &names);
            }
        }

        // Persist before the paths move into the snapshot.
        let records = || plan.assigned.iter().map(|&(uid, fi)| (uid, files[fi as usize].base_of(names[fi as usize])));
        match &prev {
            Some(p) if plan.saved.is_empty() && plan.expunged.is_empty() => {
                if !p.appendable {
                    uidlist::write(&self.dir, uid_validity, plan.uid_next, records())?;
                }
            }
            Some(p) if plan.append_only && p.appendable => {
                uidlist::append(&self.dir, records().filter(|&(uid, _)| uid >= p.uid_next))?;
            }
            _ => uidlist::write(&self.dir, uid_validity, plan.uid_next, records())?,
        }

        // The messages, flag changes against what the last sync saw, and the new baseline. Files are
        // visited in UID order, which is random in memory: touch each once.
        drop(names);
        let table = KeywordTable::load(&self.dir)?;
        let mut messages = Vec::with_capacity(plan.assigned.len());
        let mut baseline = Baseline::with_capacity(uid_validity, plan.assigned.len());
        let mut changed = Vec::new();
        {
            let old = lock_shared(&self.shared.baseline);
            let old = old.as_ref().filter(|b| b.uid_validity == uid_validity);
            let mut cursor = 0;
            for (i, &(uid, fi)) in plan.assigned.iter().enumerate() {
                let f = &mut files[fi as usize];
                let path = std::mem::take(&mut f.path);
                let name = f.name_in(&path);
                let base = f.base_of(name);
                baseline.push(uid, name, f.in_new);
                if old.is_some_and(|b| b.flags_changed(&mut cursor, uid, name, f.in_new)) {
                    changed.push(i);
                }
                let (flags, recent) = (filename::flags(name), f.in_new);
                let keywords = if table.is_empty() { Vec::new() } else { keyword_names(&table, name) };
                let size_hint = filename::size_field(base, b'S');
                let vsize_hint = filename::size_field(base, b'W');
                messages.push(MessageEntry {
                    uid,
                    path,
                    flags,
                    keywords,
                    recent,
                    size_hint,
                    vsize_hint,
                });
            }
        }

        let mailbox = || self.name.clone();
        events.extend(plan.expunged.iter().map(|&uid| StoreEvent::Expunged { mailbox: mailbox(), uid }));
        events.extend(changed.into_iter().map(|i| {
            let m = &messages[i];
            StoreEvent::FlagsChanged {
                mailbox: mailbox(),
                uid: m.uid,
                flags: m.flags,
                keywords: m.keywords.clone(),
            }
        }));
        events.extend(plan.saved.iter().map(|&uid| StoreEvent::Saved { mailbox: mailbox(), uid }));
        *lock_shared(&self.shared.baseline) = Some(baseline);

        tracing::debug!(
            mailbox = self.name,
            messages = messages.len(),
            saved = plan.saved.len(),
            expunged = plan.expunged.len(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "synced"
        );
        Ok(Snapshot {
            name: self.name.clone(),
            uid_validity,
            uid_next: plan.uid_next,
            messages,
            events,
        })
    }
}

/// The keyword names of a file name's letters (letters without a name are left out).
fn keyword_names(table: &KeywordTable, name: &str) -> Vec<String> {
    filename::keyword_letters(name)
        .filter_map(|i| table.name(i))
        .map(str::to_owned)
        .collect()
}

/// Unlinks a message file; one that is already gone is not an error.
fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StoreError::io("unlink", path)(e)),
        _ => Ok(()),
    }
}

/// Hard-links `src` to `dest`, or copies it (fsynced, keeping the mtime) where links are impossible.
fn link_or_copy(src: &Path, dest: &Path) -> io::Result<()> {
    match fs::hard_link(src, dest) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            let mtime = fs::metadata(src)?.modified()?;
            fs::copy(src, dest)?;
            let f = fs::OpenOptions::new().write(true).open(dest)?;
            f.set_modified(mtime)?;
            f.sync_all()
        }
    }
}
