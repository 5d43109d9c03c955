//! The UID assignment at the heart of a sync, as a pure function of the previous list, Dovecot's list
//! and the files found on disk.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::dovecot::DovecotList;
use crate::filename;
use crate::scan::ScannedFile;
use crate::uidlist::UidList;

const DROPPED: u8 = 1;
const FROM_DOVECOT: u8 = 2;

/// What a sync decided.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// `(uid, index into files)`, ascending by UID: the mailbox after the sync.
    pub assigned: Vec<(u32, u32)>,
    /// UIDNEXT after the sync.
    pub uid_next: u32,
    /// UIDs of the previous list that are gone (ascending).
    pub expunged: Vec<u32>,
    /// UIDs that are new in this sync (ascending).
    pub saved: Vec<u32>,
    /// UIDs of the previous list whose basename was not found on disk (a subset of `expunged`).
    pub missing: Vec<u32>,
    /// True when the list can be brought up to date by appending the saved records.
    pub append_only: bool,
}

/// Assigns UIDs to `files`.
///
/// * A basename appears once: a duplicate keeps the `cur/` file (else the later one) and is logged.
/// * Files listed by Dovecot take Dovecot's UID; other files known to `prev` keep their UID, unless
///   Dovecot has given that UID to another file meanwhile (Dovecot wins).
/// * Remaining files are new: ordered naturally by basename (ties by full name) and numbered from
///   `max(prev UIDNEXT, Dovecot's N, highest UID + 1)`.
/// * Events are the difference to `prev` by `(uid, basename)`: a file renumbered by Dovecot is an
///   expunge of the old UID and a save of the new one.
///
/// `names[i]` is `files[i].name()`, validated once by the caller.
pub(crate) fn plan(
    prev: Option<&UidList>,
    dovecot: Option<&DovecotList>,
    files: &[ScannedFile],
    names: &[&str],
) -> Plan {
    debug_assert_eq!(files.len(), names.len());
    let base = |i: usize| files[i].base_of(names[i]);
    let mut by_base: HashMap<&str, u32, BuildHasherDefault<FxHasher>> =
        HashMap::with_capacity_and_hasher(files.len(), Default::default());
    let mut state = vec![0u8; files.len()];
    for (i, f) in files.iter().enumerate() {
        match by_base.entry(base(i)) {
            Entry::Vacant(v) => {
                v.insert(i as u32);
            }
            Entry::Occupied(mut o) => {
                let j = *o.get() as usize;
                let (keep, drop) = if !f.in_new || files[j].in_new {
                    (i, j)
                } else {
                    (j, i)
                };
                tracing::warn!(
                    kept = names[keep],
                    kept_in_new = files[keep].in_new,
                    ignored = names[drop],
                    ignored_in_new = files[drop].in_new,
                    "two message files share one basename"
                );
                state[drop] |= DROPPED;
                o.insert(keep as u32);
            }
        }
    }

    let mut uid_of = vec![0u32; files.len()];
    if let Some(d) = dovecot {
        for (uid, base) in d.iter() {
            if let Some(&fi) = by_base.get(base) {
                if uid_of[fi as usize] == 0 {
                    uid_of[fi as usize] = uid;
                    state[fi as usize] |= FROM_DOVECOT;
                }
            }
        }
    }
    let mut missing = Vec::new();
    // For each record of `prev`, the file it matched (NO_FILE: none).
    const NO_FILE: u32 = u32::MAX;
    let mut prev_file = Vec::with_capacity(prev.map_or(0, UidList::len));
    if let Some(p) = prev {
        for (uid, base) in p.iter() {
            let fi = match by_base.get(base) {
                Some(&fi) => {
                    if uid_of[fi as usize] == 0 {
                        uid_of[fi as usize] = uid;
                    }
                    fi
                }
                None => {
                    missing.push(uid);
                    NO_FILE
                }
            };
            prev_file.push(fi);
        }
    }
    drop(by_base);

    let mut assigned: Vec<(u32, u32)> = (0..files.len())
        .filter(|&i| state[i] & DROPPED == 0 && uid_of[i] != 0)
        .map(|i| (uid_of[i], i as u32))
        .collect();
    assigned.sort_unstable();
    // One UID, two files: Dovecot's assignment wins, the other file becomes new.
    let mut w = 0;
    for r in 0..assigned.len() {
        if w > 0 && assigned[w - 1].0 == assigned[r].0 {
            let (kept, other) = (assigned[w - 1].1 as usize, assigned[r].1 as usize);
            let loser = if state[other] & FROM_DOVECOT != 0 && state[kept] & FROM_DOVECOT == 0 {
                assigned[w - 1] = assigned[r];
                kept
            } else {
                other
            };
            tracing::debug!(
                uid = assigned[r].0,
                file = names[loser],
                "UID taken by Dovecot; renumbering"
            );
            uid_of[loser] = 0;
        } else {
            assigned[w] = assigned[r];
            w += 1;
        }
    }
    assigned.truncate(w);

    let mut unknown: Vec<u32> = (0..files.len())
        .filter(|&i| state[i] & DROPPED == 0 && uid_of[i] == 0)
        .map(|i| i as u32)
        .collect();
    unknown.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        filename::natural_cmp(base(a), base(b)).then_with(|| names[a].cmp(names[b]))
    });
    let mut next = [
        prev.map_or(1, |p| p.uid_next),
        dovecot.map_or(1, |d| d.next_uid),
        assigned.last().map_or(1, |a| a.0.saturating_add(1)),
    ]
    .into_iter()
    .max()
    .unwrap_or(1);
    for fi in unknown {
        assigned.push((next, fi));
        next = next.checked_add(1).unwrap_or_else(|| {
            tracing::error!("UID space exhausted");
            u32::MAX
        });
    }

    let (mut expunged, mut saved) = (Vec::new(), Vec::new());
    // Same UID on both sides: the same message when it is the file the record matched.
    let mut old = prev
        .into_iter()
        .flat_map(UidList::iter)
        .map(|(uid, _)| uid)
        .zip(prev_file)
        .peekable();
    let mut new = assigned.iter().peekable();
    loop {
        match (old.peek().copied(), new.peek().copied()) {
            (Some((ou, matched)), Some(&(nu, fi))) if ou == nu => {
                if matched != fi {
                    expunged.push(ou);
                    saved.push(nu);
                }
                old.next();
                new.next();
            }
            (Some((ou, _)), Some(&(nu, _))) if ou < nu => {
                expunged.push(ou);
                old.next();
            }
            (Some(_), None) => expunged.extend(old.by_ref().map(|(uid, _)| uid)),
            (_, Some(&(nu, _))) => {
                saved.push(nu);
                new.next();
            }
            (None, None) => break,
        }
    }
    let append_only = prev.is_some_and(|p| {
        expunged.is_empty() && saved.first().is_none_or(|&u| u >= p.uid_next) && {
            let reloaded_next = saved
                .last()
                .map_or(p.uid_next, |&u| p.uid_next.max(u.saturating_add(1)));
            reloaded_next == next
        }
    });
    Plan {
        assigned,
        uid_next: next,
        expunged,
        saved,
        missing,
        append_only,
    }
}

/// The Fx hash (as in rustc): a few times faster than SipHash on file names. Maildir names are made by
/// the MDA and the IMAP server, not chosen by remote senders, so hash flooding is not a concern.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
