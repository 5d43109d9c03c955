//! The last trusted sync of a mailbox kept on disk (`mailfts-state`, next to our UID list), so that a
//! fresh process knows what a long-running one knows: when [`DirState`] (six `stat`s) equals the
//! recorded one, the listing, UIDs and UIDNEXT are read from this file instead of the directories.
//!
//! The file is written only for a *settled* state ([`DirState::settled`]), under the mailbox lock,
//! atomically (temporary file, rename); it is a cache: not fsynced, and ignored whenever it does not
//! parse, fails its checksum or describes another state. Any delivery, flag rename or expunge by any
//! process changes `new/` or `cur/` (mtime, and for our list its inode and size), so a stale file is
//! never used.
//!
//! Format 3: four text lines — `mailfts-state 3`, `UIDVALIDITY UIDNEXT [HIGHESTMODSEQ]`, the encoded
//! [`DirState`], `COUNT NAMES_LEN` — zero to three NUL bytes (so that the next block starts at a
//! multiple of 4 and can be read as `&[u32]` in place), then three blocks: `COUNT` UIDs (`u32`,
//! little-endian, ascending), `COUNT` name ends (`u32` little-endian offsets into the names block,
//! the top bit set for a message in `new/`), the names (UTF-8, concatenated), and the trailer
//! `end CRC\n` (CRC-32 of everything before it, 8 hex digits). A fresh process reads it on every
//! search, so loading it costs nothing per message: the file is mapped ([`StateMap`]), checked (CRC,
//! sizes, UIDs ascending) and then read in place — a name is looked at only when a search reads its
//! message. Format 2 (one text line per message, copied and split at every load: about 1.5 ms on
//! 20,000 messages) is no longer read; a fresh process that finds it reads the directories once and
//! writes format 3.
//!
//! The mapping relies on what every writer here does: the file is replaced by a rename, never
//! rewritten in place (the same holds for tantivy's segment files and our term texts). A tool that
//! truncated it in place while a process had it mapped would crash that process.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::baseline::{Baseline, Listing};
use crate::dirstate::DirState;

/// File name of the persisted state.
pub(crate) const FILE: &str = "mailfts-state";
const MAGIC: &str = "mailfts-state 3";
/// `end XXXXXXXX\n`.
const TRAILER_LEN: usize = 13;
/// The top bit of a name end: the message is in `new/`.
const IN_NEW: u32 = 1 << 31;

/// Writes the state of `b` (which must carry a settled state); best effort. Returns whether the
/// file was written.
pub(crate) fn save(folder: &Path, b: &Baseline) -> bool {
    let Some(state) = &b.state else { return false };
    let Some(bytes) = encode(b, state) else {
        return false; // not representable (a name over 2 GB in all); the next process reads the directories
    };
    let tmp = folder.join(format!("{FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        drop(f);
        fs::rename(&tmp, folder.join(FILE))
    };
    match write() {
        Ok(()) => true,
        Err(e) => {
            tracing::debug!(folder = %folder.display(), error = %e, "cannot persist the mailbox state");
            false
        }
    }
}

/// The bytes of the file for `b` in `state`.
fn encode(b: &Baseline, state: &DirState) -> Option<Vec<u8>> {
    let messages = b.iter();
    let count = messages.len();
    let names_len: usize = messages.clone().map(|(_, name, _)| name.len()).sum();
    if names_len >= IN_NEW as usize {
        return None;
    }
    // `UIDVALIDITY UIDNEXT [HIGHESTMODSEQ]`: the third when the mod-sequences were brought up
    // to date with this listing (a file without it is still read)
    let modseq = b
        .modseq_highest
        .map(|m| format!(" {m}"))
        .unwrap_or_default();
    let head = format!(
        "{MAGIC}\n{} {}{modseq}\n{}\n{count} {names_len}\n",
        b.uid_validity,
        b.uid_next,
        state.encode()
    );
    let mut out = Vec::with_capacity(head.len() + 3 + 8 * count + names_len + TRAILER_LEN);
    out.extend_from_slice(head.as_bytes());
    out.resize(out.len().next_multiple_of(4), 0);
    for (uid, _, _) in messages.clone() {
        out.extend_from_slice(&uid.to_le_bytes());
    }
    let mut end = 0u32;
    for (_, name, in_new) in messages.clone() {
        end += name.len() as u32;
        let bits = if in_new { end | IN_NEW } else { end };
        out.extend_from_slice(&bits.to_le_bytes());
    }
    for (_, name, _) in messages {
        out.extend_from_slice(name.as_bytes());
    }
    let hash = crc32fast::hash(&out);
    out.extend_from_slice(format!("end {hash:08x}\n").as_bytes());
    Some(out)
}

/// The persisted baseline, when the file is intact and describes exactly `current`. The file is
/// mapped, not copied: the baseline's listing reads UIDs and names in place ([`StateMap`]).
pub(crate) fn load(folder: &Path, current: &DirState) -> Option<Baseline> {
    let file = fs::File::open(folder.join(FILE)).ok()?;
    // SAFETY: the file is only ever replaced by a rename (see `save`), never written in place, so
    // the mapped bytes do not change under us; every read of them below is bounds-checked.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    let parsed = StateMap::check(map)?;
    if &parsed.head.state != current {
        return None;
    }
    let head = parsed.head.clone();
    let mut b = Baseline::over_listing(
        head.uid_validity,
        Listing::Mapped(std::sync::Arc::new(parsed)),
    );
    b.uid_next = head.uid_next;
    b.modseq_highest = head.modseq_highest;
    b.state = Some(head.state);
    Some(b)
}

/// The text lines at the top of the file.
#[derive(Debug, Clone)]
struct Head {
    uid_validity: u32,
    uid_next: u32,
    modseq_highest: Option<u64>,
    state: DirState,
    count: usize,
    names_len: usize,
}

/// A checked state file, mapped: the UIDs and names of its messages read in place.
#[derive(Debug)]
pub(crate) struct StateMap {
    map: memmap2::Mmap,
    head: Head,
    /// Where the UID block starts.
    uids_at: usize,
}

impl StateMap {
    /// The file's bytes when they are a complete, intact format-3 state: checksum, header, block
    /// sizes, UIDs ascending and name ends within the names block.
    fn check(map: memmap2::Mmap) -> Option<StateMap> {
        let body_len = map.len().checked_sub(TRAILER_LEN)?;
        let (body, trailer) = map.split_at(body_len);
        let hash = trailer.strip_prefix(b"end ")?.strip_suffix(b"\n")?;
        let hash = u32::from_str_radix(std::str::from_utf8(hash).ok()?, 16).ok()?;
        if hash != crc32fast::hash(body) {
            return None;
        }
        let (head, uids_at) = parse_head(body)?;
        let blocks = head.count.checked_mul(8)?.checked_add(head.names_len)?;
        if body.len() != uids_at.checked_add(blocks)? {
            return None;
        }
        let words = |at: usize| {
            body[at..at + 4 * head.count]
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let (mut last_uid, mut last_end) = (0u32, 0u32);
        for (uid, end) in words(uids_at).zip(words(uids_at + 4 * head.count)) {
            let end = end & !IN_NEW;
            if uid <= last_uid || end < last_end {
                return None;
            }
            (last_uid, last_end) = (uid, end);
        }
        (last_end as usize == head.names_len).then_some(StateMap { map, head, uids_at })
    }

    /// Drops the mapped file's pages from the resident memory ([`crate::fsutil::release_mapped_pages`]).
    pub(crate) fn release_pages(&self) {
        crate::fsutil::release_mapped_pages(&self.map);
    }

    /// The number of messages.
    pub(crate) fn len(&self) -> usize {
        self.head.count
    }

    fn word(&self, at: usize) -> u32 {
        let b = &self.map[at..at + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    fn end(&self, i: usize) -> u32 {
        self.word(self.uids_at + 4 * (self.head.count + i))
    }

    /// The UID of the `i`-th message.
    pub(crate) fn uid(&self, i: usize) -> u32 {
        self.word(self.uids_at + 4 * i)
    }

    /// The UIDs in place, when this machine reads the file's little-endian `u32`s natively (the
    /// mapping is page-aligned and the block starts at a multiple of 4).
    pub(crate) fn uid_slice(&self) -> Option<&[u32]> {
        if cfg!(target_endian = "big") {
            return None;
        }
        let bytes = &self.map[self.uids_at..self.uids_at + 4 * self.head.count];
        // SAFETY: every bit pattern is a valid u32; `align_to` returns the aligned middle part
        let (pre, words, post) = unsafe { bytes.align_to::<u32>() };
        (pre.is_empty() && post.is_empty()).then_some(words)
    }

    /// The file name and `new/` location of the `i`-th message. Names are checked as UTF-8 here,
    /// one at a time (a damaged file whose checksum still matches gives an empty name, never a
    /// wrong message's).
    pub(crate) fn name(&self, i: usize) -> (&str, bool) {
        let end = self.end(i);
        let start = if i == 0 { 0 } else { self.end(i - 1) & !IN_NEW };
        let names_at = self.uids_at + 8 * self.head.count;
        let bytes = &self.map[names_at + start as usize..names_at + (end & !IN_NEW) as usize];
        (std::str::from_utf8(bytes).unwrap_or(""), end & IN_NEW != 0)
    }

    /// The position of a UID (binary search).
    pub(crate) fn index(&self, uid: u32) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.uid(mid).cmp(&uid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }
}

/// The four text lines, and where the UID block starts after them.
fn parse_head(body: &[u8]) -> Option<(Head, usize)> {
    let mut pos = 0;
    let mut line = || {
        let len = memchr::memchr(b'\n', &body[pos..])?;
        let l = std::str::from_utf8(&body[pos..pos + len]).ok()?;
        pos += len + 1;
        Some(l)
    };
    if line()? != MAGIC {
        return None;
    }
    let mut ids = line()?.split(' ');
    let uid_validity: u32 = ids.next()?.parse().ok()?;
    let uid_next: u32 = ids.next()?.parse().ok()?;
    let modseq_highest = match ids.next() {
        Some(m) => Some(m.parse::<u64>().ok()?),
        None => None,
    };
    let state = DirState::decode(line()?)?;
    let mut sizes = line()?.split(' ');
    let count: usize = sizes.next()?.parse().ok()?;
    let names_len: usize = sizes.next()?.parse().ok()?;
    if sizes.next().is_some() {
        return None;
    }
    let head = Head {
        uid_validity,
        uid_next,
        modseq_highest,
        state,
        count,
        names_len,
    };
    let uids_at = pos.next_multiple_of(4);
    body.get(pos..uids_at)?
        .iter()
        .all(|&b| b == 0)
        .then_some((head, uids_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(state: &DirState) -> Baseline {
        let mut b = Baseline::with_capacity(7, 2);
        b.push(1, "1.M1.host:2,S", false);
        b.push(5, "5.M2.host with space é", true);
        b.uid_next = 6;
        b.modseq_highest = Some(9);
        b.state = Some(state.clone());
        b
    }

    /// An empty mailbox folder and its state.
    fn maildir() -> (tempfile::TempDir, DirState) {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let state = DirState::read(dir.path()).unwrap();
        (dir, state)
    }

    fn names(b: &Baseline) -> Vec<(u32, String, bool)> {
        b.iter().map(|(u, n, i)| (u, n.to_string(), i)).collect()
    }

    #[test]
    fn a_saved_state_loads_only_for_the_same_directories() {
        let (dir, state) = maildir();
        assert_eq!(DirState::decode(&state.encode()).as_ref(), Some(&state));
        let b = baseline(&state);
        save(dir.path(), &b);
        let loaded = load(dir.path(), &state).expect("same state");
        assert_eq!((loaded.uid_validity, loaded.uid_next), (7, 6));
        assert_eq!(loaded.modseq_highest, Some(9));
        assert_eq!(names(&loaded), names(&b));
        assert_eq!(loaded.get(5), Some(("5.M2.host with space é", true)));
        assert_eq!(loaded.get(3), None);
        // another state: ignored
        fs::write(dir.path().join("new/x"), b"x").unwrap();
        let changed = DirState::read(dir.path()).unwrap();
        if changed != state {
            assert!(load(dir.path(), &changed).is_none());
        }
        // a garbled file: ignored
        let p = dir.path().join(FILE);
        let mut bytes = fs::read(&p).unwrap();
        let n = bytes.len() / 2;
        bytes[n] ^= 1;
        fs::write(&p, bytes).unwrap();
        assert!(load(dir.path(), &state).is_none());
    }

    /// A fresh process's mapped listing answers like the owned one, and becomes owned, intact, on
    /// the first write.
    #[test]
    fn a_mapped_listing_reads_and_then_writes_like_an_owned_one() {
        let (dir, state) = maildir();
        let b = baseline(&state);
        save(dir.path(), &b);
        let mut loaded = load(dir.path(), &state).expect("loads");
        assert!(
            loaded.listing().uid_slice().is_some(),
            "mapped, UIDs in place"
        );
        assert_eq!(loaded.listing().uids(), [1, 5]);
        let mut cursor = 0;
        assert!(!loaded.flags_changed(&mut cursor, 1, "1.M1.host:2,S", false));
        assert!(loaded.flags_changed(&mut cursor, 5, "5.M2.host with space é:2,S", true));
        let mut cursor = 0;
        assert!(
            loaded.flags_changed(&mut cursor, 5, "5.M2.host with space é", false),
            "moved to cur/"
        );
        loaded.set(3, "3.M3.host:2,", false);
        loaded.set(5, "5.M2.host with space é:2,S", false);
        assert!(
            loaded.listing().uid_slice().is_none(),
            "owned after a write"
        );
        assert_eq!(
            names(&loaded),
            [
                (1, "1.M1.host:2,S".to_string(), false),
                (3, "3.M3.host:2,".to_string(), false),
                (5, "5.M2.host with space é:2,S".to_string(), false)
            ]
        );
        assert_eq!(loaded.uid_next, 6);
    }

    #[test]
    fn an_empty_mailbox_round_trips() {
        let (dir, state) = maildir();
        let mut b = Baseline::with_capacity(3, 0);
        b.state = Some(state.clone());
        save(dir.path(), &b);
        let loaded = load(dir.path(), &state).expect("loads");
        assert_eq!(loaded.iter().len(), 0);
        assert_eq!(loaded.modseq_highest, None);
    }

    /// Files whose checksum matches but whose content is inconsistent are refused.
    #[test]
    fn inconsistent_files_are_refused_even_with_a_matching_checksum() {
        let (dir, state) = maildir();
        let good = encode(&baseline(&state), &state).unwrap();
        let head_len =
            good.len() - TRAILER_LEN - 8 * 2 - "1.M1.host:2,S5.M2.host with space é".len();
        let resealed = |mut body: Vec<u8>| {
            let hash = crc32fast::hash(&body);
            body.extend_from_slice(format!("end {hash:08x}\n").as_bytes());
            body
        };
        let body = good[..good.len() - TRAILER_LEN].to_vec();
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        cases.push(("as written", resealed(body.clone())));
        let mut swapped = body.clone();
        swapped.copy_within(head_len..head_len + 4, head_len + 4); // UIDs 1, 1
        cases.push(("UIDs not ascending", resealed(swapped)));
        let mut long = body.clone();
        long[head_len + 12] = 0xff; // second name end past the names block
        cases.push(("name end past the block", resealed(long)));
        cases.push(("block cut short", resealed(body[..body.len() - 1].to_vec())));
        let counted = String::from_utf8_lossy(&body[..head_len]).replace("\n2 ", "\n3 ");
        let mut recounted = counted.into_bytes();
        recounted.extend_from_slice(&body[head_len..]);
        cases.push(("count differs", resealed(recounted)));
        cases.push(("no trailer", body.clone()));
        for (what, bytes) in cases {
            fs::write(dir.path().join(FILE), &bytes).unwrap();
            let loaded = load(dir.path(), &state);
            assert_eq!(loaded.is_some(), what == "as written", "{what}");
        }
    }
}
