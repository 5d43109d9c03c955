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
use crate::persisted::StateMap;
use crate::snapshot::Snapshot;

/// Where one message's name lies in an owned listing's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    uid: u32,
    start: u32,
    len: u32,
    in_new: bool,
}

/// The file names of a mailbox's messages by UID, ascending by UID. Shared (read-only) between a
/// [`Baseline`] and the snapshots built from it.
#[derive(Debug, Clone)]
pub(crate) enum Listing {
    /// Built by a sync: one name buffer and one slot per message.
    Owned { names: String, slots: Vec<Slot> },
    /// The persisted state file of a fresh process, read in place (made owned on the first write).
    Mapped(Arc<StateMap>),
}

impl Default for Listing {
    fn default() -> Listing {
        Listing::Owned {
            names: String::new(),
            slots: Vec::new(),
        }
    }
}

impl Listing {
    /// The number of messages.
    pub(crate) fn len(&self) -> usize {
        match self {
            Listing::Owned { slots, .. } => slots.len(),
            Listing::Mapped(map) => map.len(),
        }
    }

    /// The UID of the `i`-th message.
    fn uid(&self, i: usize) -> u32 {
        match self {
            Listing::Owned { slots, .. } => slots[i].uid,
            Listing::Mapped(map) => map.uid(i),
        }
    }

    /// The file name and `new/` location of the `i`-th message.
    fn at(&self, i: usize) -> (&str, bool) {
        match self {
            Listing::Owned { names, slots } => {
                let s = &slots[i];
                (
                    &names[s.start as usize..(s.start + s.len) as usize],
                    s.in_new,
                )
            }
            Listing::Mapped(map) => map.name(i),
        }
    }

    /// Bytes of memory the listing holds: its name buffer and slots; none when it is read in
    /// place from a mapped state file.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Listing::Owned { names, slots } => {
                names.capacity() + slots.capacity() * std::mem::size_of::<Slot>()
            }
            Listing::Mapped(_) => 0,
        }
    }

    /// Drops a mapped listing's pages from the resident memory.
    pub(crate) fn release_pages(&self) {
        if let Listing::Mapped(map) = self {
            map.release_pages();
        }
    }

    fn index(&self, uid: u32) -> Result<usize, usize> {
        match self {
            Listing::Owned { slots, .. } => slots.binary_search_by_key(&uid, |s| s.uid),
            Listing::Mapped(map) => map.index(uid),
        }
    }

    /// The file name and `new/` location of a UID.
    pub(crate) fn get(&self, uid: u32) -> Option<(&str, bool)> {
        Some(self.at(self.index(uid).ok()?))
    }

    /// The messages `(uid, file name, in new/)`, ascending by UID.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &str, bool)> + Clone + '_ {
        (0..self.len()).map(|i| {
            let (name, in_new) = self.at(i);
            (self.uid(i), name, in_new)
        })
    }

    /// The UIDs, ascending.
    pub(crate) fn uids(&self) -> Vec<u32> {
        match self {
            Listing::Owned { slots, .. } => slots.iter().map(|s| s.uid).collect(),
            Listing::Mapped(map) => (0..map.len()).map(|i| map.uid(i)).collect(),
        }
    }

    /// The UIDs in place, when they are (a mapped state file on a little-endian machine).
    pub(crate) fn uid_slice(&self) -> Option<&[u32]> {
        match self {
            Listing::Owned { .. } => None,
            Listing::Mapped(map) => map.uid_slice(),
        }
    }

    /// The name buffer and slots, copied out of a mapped file first.
    fn owned(&mut self) -> (&mut String, &mut Vec<Slot>) {
        if let Listing::Mapped(map) = self {
            let mut names = String::new();
            let mut slots = Vec::with_capacity(map.len());
            for i in 0..map.len() {
                let (name, in_new) = map.name(i);
                slots.push(Slot {
                    uid: map.uid(i),
                    start: names.len() as u32,
                    len: name.len() as u32,
                    in_new,
                });
                names.push_str(name);
            }
            *self = Listing::Owned { names, slots };
        }
        match self {
            Listing::Owned { names, slots } => (names, slots),
            Listing::Mapped(_) => unreachable!("made owned above"),
        }
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
        Baseline::over_listing(
            uid_validity,
            Listing::Owned {
                names: String::with_capacity(messages * 56),
                slots: Vec::with_capacity(messages),
            },
        )
    }

    /// A baseline over a listing (a persisted state file read in place).
    pub(crate) fn over_listing(uid_validity: u32, listing: Listing) -> Baseline {
        Baseline {
            uid_validity,
            uid_next: 1,
            state: None,
            modseq_highest: None,
            listing: Arc::new(listing),
            snapshot: None,
        }
    }

    /// The listing, shared with the snapshots built from it.
    pub(crate) fn listing(&self) -> &Arc<Listing> {
        &self.listing
    }

    /// Replaces a listing built in memory by the one of the state file just saved for it
    /// ([`crate::persisted::save`]), read in place: the same names, without their copy on the heap
    /// (a million messages' listing is about 70 MB in memory, and a long-running process keeps
    /// the listings of every mailbox it synced). Kept as it is when the file does not describe
    /// exactly this baseline (another process replaced it meanwhile, or it cannot be read).
    pub(crate) fn read_saved_listing(&mut self, folder: &Path) {
        let Some(state) = &self.state else { return };
        let Some(saved) = crate::persisted::load(folder, state) else {
            return;
        };
        let same = saved.uid_validity == self.uid_validity
            && saved.uid_next == self.uid_next
            && saved.listing.len() == self.listing.len()
            && saved
                .listing
                .iter()
                .zip(self.listing.iter())
                .all(|(a, b)| a == b);
        if same {
            // the comparison read every page of the file: none of them is needed now
            saved.listing.release_pages();
            self.listing = saved.listing;
            self.snapshot = None;
        }
    }

    /// Appends a message; UIDs must come in ascending order.
    pub(crate) fn push(&mut self, uid: u32, name: &str, in_new: bool) {
        let (names, slots) = Arc::make_mut(&mut self.listing).owned();
        debug_assert!(slots.last().is_none_or(|s| s.uid < uid));
        self.snapshot = None;
        let start = names.len() as u32;
        names.push_str(name);
        slots.push(Slot {
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
        let (names, slots) = Arc::make_mut(&mut self.listing).owned();
        let start = names.len() as u32;
        names.push_str(name);
        let slot = Slot {
            uid,
            start,
            len: name.len() as u32,
            in_new,
        };
        match slots.binary_search_by_key(&uid, |s| s.uid) {
            Ok(i) => slots[i] = slot,
            Err(i) => slots.insert(i, slot),
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
        let len = listing.len();
        while *cursor < len && listing.uid(*cursor) < uid {
            *cursor += 1;
        }
        if *cursor == len || listing.uid(*cursor) != uid {
            return false;
        }
        let (old, old_in_new) = listing.at(*cursor);
        if old == name {
            old_in_new != in_new
        } else {
            filename::basename(old) == filename::basename(name)
        }
    }
}
