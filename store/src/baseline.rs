//! What the last sync saw, kept in memory per mailbox: the file name and location of every UID.
//!
//! It serves two purposes: flag changes are reported relative to it (our list records basenames only, so
//! a flag rename does not rewrite it), and writes find a message's file without reading the directory.
//! All names share one buffer, so it costs two allocations per sync, not one per message; the
//! buffer and its slots ([`Listing`]) are shared with the snapshots built from them, which make
//! their [`crate::MessageEntry`] values only when asked (see [`crate::Snapshot`]).

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

/// The file names of a mailbox's messages by UID: one name buffer and one slot per message,
/// ascending by UID. Shared (read-only) between a [`Baseline`] and the snapshots built from it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Listing {
    names: String,
    slots: Vec<Slot>,
}

impl Listing {
    fn index(&self, uid: u32) -> Result<usize, usize> {
        self.slots.binary_search_by_key(&uid, |s| s.uid)
    }

    fn name(&self, s: &Slot) -> &str {
        &self.names[s.start as usize..(s.start + s.len) as usize]
    }

    /// The file name and `new/` location of a UID.
    pub(crate) fn get(&self, uid: u32) -> Option<(&str, bool)> {
        let s = &self.slots[self.index(uid).ok()?];
        Some((self.name(s), s.in_new))
    }

    /// The messages `(uid, file name, in new/)`, ascending by UID.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &str, bool)> + Clone + '_ {
        self.slots.iter().map(|s| (s.uid, self.name(s), s.in_new))
    }

    /// The UIDs, ascending.
    pub(crate) fn uids(&self) -> Vec<u32> {
        self.slots.iter().map(|s| s.uid).collect()
    }
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
    /// HIGHESTMODSEQ of `mailfts-modseq` when it was last brought up to date with exactly this
    /// listing (under the same lock): while the file still says so, it needs no comparison.
    pub modseq_highest: Option<u64>,
    listing: Arc<Listing>,
    /// The snapshot built from this baseline by an unchanged sync, shared by later unchanged syncs
    /// (see `Mailbox::sync_shared`); dropped by every change to the baseline.
    pub(crate) snapshot: Option<Arc<Snapshot>>,
}

impl Baseline {
    /// An empty baseline for about `messages` messages.
    pub(crate) fn with_capacity(uid_validity: u32, messages: usize) -> Baseline {
        Baseline::over_text(uid_validity, String::with_capacity(messages * 56), messages)
    }

    /// An empty baseline whose names will be ranges of `text` (see [`Baseline::push_ranges`]): a
    /// persisted state file becomes the name buffer without a copy.
    pub(crate) fn over_text(uid_validity: u32, text: String, messages: usize) -> Baseline {
        Baseline {
            uid_validity,
            uid_next: 1,
            state: None,
            modseq_highest: None,
            listing: Arc::new(Listing {
                names: text,
                slots: Vec::with_capacity(messages),
            }),
            snapshot: None,
        }
    }

    /// Appends messages `(uid, start, len, in new/)` whose names are the byte ranges
    /// `start..start + len` of the text given to [`Baseline::over_text`] (ranges inside it, on
    /// character boundaries); UIDs must ascend.
    pub(crate) fn push_ranges(&mut self, ranges: Vec<(u32, usize, usize, bool)>) {
        self.snapshot = None;
        let listing = Arc::make_mut(&mut self.listing);
        listing
            .slots
            .extend(ranges.into_iter().map(|(uid, start, len, in_new)| {
                debug_assert!(listing.names.get(start..start + len).is_some());
                Slot {
                    uid,
                    start: start as u32,
                    len: len as u32,
                    in_new,
                }
            }));
        debug_assert!(listing.slots.windows(2).all(|w| w[0].uid < w[1].uid));
    }

    /// The listing, shared with the snapshots built from it.
    pub(crate) fn listing(&self) -> &Arc<Listing> {
        &self.listing
    }

    /// Appends a message; UIDs must come in ascending order.
    pub(crate) fn push(&mut self, uid: u32, name: &str, in_new: bool) {
        let listing = Arc::make_mut(&mut self.listing);
        debug_assert!(listing.slots.last().is_none_or(|s| s.uid < uid));
        self.snapshot = None;
        let start = listing.names.len() as u32;
        listing.names.push_str(name);
        listing.slots.push(Slot {
            uid,
            start,
            len: name.len() as u32,
            in_new,
        });
    }

    /// The file name and `new/` location of a UID.
    pub(crate) fn get(&self, uid: u32) -> Option<(&str, bool)> {
        self.listing.get(uid)
    }

    /// The full path of a UID's file.
    pub(crate) fn path(&self, folder: &Path, uid: u32) -> Option<PathBuf> {
        let (name, in_new) = self.get(uid)?;
        Some(folder.join(if in_new { "new" } else { "cur" }).join(name))
    }

    /// The messages `(uid, file name, in new/)`, ascending by UID.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &str, bool)> + Clone + '_ {
        self.listing.iter()
    }

    /// Records a new or renamed file of a UID (our own write: the recorded state is void).
    pub(crate) fn set(&mut self, uid: u32, name: &str, in_new: bool) {
        self.state = None;
        self.snapshot = None;
        self.uid_next = self.uid_next.max(uid.saturating_add(1));
        let listing = Arc::make_mut(&mut self.listing);
        let start = listing.names.len() as u32;
        listing.names.push_str(name);
        let slot = Slot {
            uid,
            start,
            len: name.len() as u32,
            in_new,
        };
        match listing.index(uid) {
            Ok(i) => listing.slots[i] = slot,
            Err(i) => listing.slots.insert(i, slot),
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
        let listing = &*self.listing;
        while listing.slots.get(*cursor).is_some_and(|s| s.uid < uid) {
            *cursor += 1;
        }
        match listing.slots.get(*cursor) {
            Some(s) if s.uid == uid => {
                let old = listing.name(s);
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
