//! What the last sync saw, kept in memory per mailbox: the file name and location of every UID.
//!
//! It serves two purposes: flag changes are reported relative to it (our list records basenames only, so
//! a flag rename does not rewrite it), and writes find a message's file without reading the directory.
//! All names share one buffer, so it costs two allocations per sync, not one per message.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::dirstate::DirState;
use crate::filename;
use crate::snapshot::Snapshot;

#[derive(Debug, Clone, Copy)]
struct Slot {
    uid: u32,
    start: u32,
    len: u32,
    in_new: bool,
}

/// File names by UID.
#[derive(Debug, Default)]
pub(crate) struct Baseline {
    /// The UIDVALIDITY the UIDs belong to.
    pub uid_validity: u32,
    /// UIDNEXT after the sync.
    pub uid_next: u32,
    /// The mailbox state the baseline describes, when it can be trusted to detect the next change
    /// (see [`DirState::settled`]); `None` after our own writes.
    pub state: Option<DirState>,
    names: String,
    slots: Vec<Slot>,
    /// The snapshot built from this baseline by an unchanged sync, shared by later unchanged syncs
    /// (see `Mailbox::sync_shared`); dropped by every change to the baseline.
    pub(crate) snapshot: Option<Arc<Snapshot>>,
}

impl Baseline {
    /// An empty baseline for about `messages` messages.
    pub(crate) fn with_capacity(uid_validity: u32, messages: usize) -> Baseline {
        Baseline {
            uid_validity,
            uid_next: 1,
            state: None,
            names: String::with_capacity(messages * 56),
            slots: Vec::with_capacity(messages),
            snapshot: None,
        }
    }

    /// Appends a message; UIDs must come in ascending order.
    pub(crate) fn push(&mut self, uid: u32, name: &str, in_new: bool) {
        debug_assert!(self.slots.last().is_none_or(|s| s.uid < uid));
        self.snapshot = None;
        let start = self.names.len() as u32;
        self.names.push_str(name);
        self.slots.push(Slot {
            uid,
            start,
            len: name.len() as u32,
            in_new,
        });
    }

    fn index(&self, uid: u32) -> Result<usize, usize> {
        self.slots.binary_search_by_key(&uid, |s| s.uid)
    }

    /// The file name and `new/` location of a UID.
    pub(crate) fn get(&self, uid: u32) -> Option<(&str, bool)> {
        let s = self.slots[self.index(uid).ok()?];
        Some((
            &self.names[s.start as usize..(s.start + s.len) as usize],
            s.in_new,
        ))
    }

    /// The full path of a UID's file.
    pub(crate) fn path(&self, folder: &Path, uid: u32) -> Option<PathBuf> {
        let (name, in_new) = self.get(uid)?;
        Some(folder.join(if in_new { "new" } else { "cur" }).join(name))
    }

    /// The messages `(uid, file name, in new/)`, ascending by UID.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &str, bool)> + '_ {
        self.slots.iter().map(|s| {
            (
                s.uid,
                &self.names[s.start as usize..(s.start + s.len) as usize],
                s.in_new,
            )
        })
    }

    /// Records a new or renamed file of a UID (our own write: the recorded state is void).
    pub(crate) fn set(&mut self, uid: u32, name: &str, in_new: bool) {
        self.state = None;
        self.snapshot = None;
        self.uid_next = self.uid_next.max(uid.saturating_add(1));
        let start = self.names.len() as u32;
        self.names.push_str(name);
        let slot = Slot {
            uid,
            start,
            len: name.len() as u32,
            in_new,
        };
        match self.index(uid) {
            Ok(i) => self.slots[i] = slot,
            Err(i) => self.slots.insert(i, slot),
        }
    }

    /// True when the message (same UID and basename) was seen before under another name or location.
    ///
    /// Called with ascending UIDs and the same `cursor` (starting at 0), it walks the baseline once.
    pub(crate) fn flags_changed(
        &self,
        cursor: &mut usize,
        uid: u32,
        name: &str,
        in_new: bool,
    ) -> bool {
        while self.slots.get(*cursor).is_some_and(|s| s.uid < uid) {
            *cursor += 1;
        }
        match self.slots.get(*cursor) {
            Some(s) if s.uid == uid => {
                let old = &self.names[s.start as usize..(s.start + s.len) as usize];
                if old == name {
                    s.in_new != in_new
                } else {
                    filename::basename(old) == filename::basename(name)
                }
            }
            _ => false,
        }
    }
}
