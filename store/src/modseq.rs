//! Mod-sequences (RFC 7162 CONDSTORE/QRESYNC): a MODSEQ per message and a HIGHESTMODSEQ per
//! mailbox, kept in `mailfts-modseq` next to the UID list, and a bounded memory of expunges.
//!
//! Mod-sequences are derived from what syncs see: every sync that reads the directories compares
//! the flag and keyword letters of each message's file name with the ones recorded here; a new UID,
//! changed letters or a vanished UID gets the next mod-sequence (a move from `new/` to `cur/` alone
//! does not: `\Recent` has no mod-sequence, as in Dovecot). So a
//! flag change through our server, a rename by another agent (Dovecot, mutt on the Maildir), a
//! delivery and an expunge all bump HIGHESTMODSEQ, whichever process notices them first; every
//! process updates the file under the mailbox lock, so none hands out a number twice.
//!
//! The file is written atomically (temporary file, `fsync`, rename): a crash leaves the old or the
//! new file, never a mix. HIGHESTMODSEQ never goes backwards. When the file is missing or does not
//! parse for a mailbox that already had a UID list, the numbers given out before cannot be known,
//! so counting restarts at a time-based value (`unix seconds × 2^20`), above every mod-sequence handed
//! out before unless more than a million changes per second were made on average; a mailbox whose
//! UIDVALIDITY was just made starts at 1, as Dovecot's do. After such a restart the expunge memory is
//! empty, and VANISHED (EARLIER) falls back to RFC 7162 §3.2.5.2's answer (every UID of the
//! client's range that is not in the mailbox).
//!
//! Format (UTF-8 lines): `mailfts-modseq 1`, `UIDVALIDITY HIGHESTMODSEQ FORGOTTEN`, then one
//! `m UID MODSEQ LETTERS` per message (the `:2,` info of its file name) in ascending UID order, one `x UID MODSEQ` per remembered
//! expunge in ascending MODSEQ order, and `end CRC` (CRC-32 of everything before it). FORGOTTEN is
//! the highest mod-sequence whose expunges may no longer all be remembered.

use std::collections::VecDeque;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Result, StoreError};
use crate::filename;

/// File name of the mod-sequence state.
pub(crate) const FILE: &str = "mailfts-modseq";
const MAGIC: &str = "mailfts-modseq 1";
/// How many expunges are remembered exactly.
const EXPUNGE_MEMORY: usize = 10_000;

/// One message's mod-sequence and the flag letters of the file name (`:2,` info) it was given for.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    uid: u32,
    modseq: u64,
    letters: Letters,
}

/// The flag and keyword letters of a file name, as recorded (a line break, which no sane agent
/// writes, would end the record's line: it is kept as `?`), compared exactly. Up to
/// [`Letters::INLINE`] bytes (every real combination of flags and keywords) are kept inline: a
/// fresh process compares every message's letters on each search, without an allocation each.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Letters {
    Inline {
        len: u8,
        bytes: [u8; Letters::INLINE],
    },
    Heap(Box<str>),
}

impl Letters {
    const INLINE: usize = 22;

    fn new(text: &str) -> Letters {
        if text.len() <= Letters::INLINE && !text.contains('\n') {
            let mut bytes = [0u8; Letters::INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Letters::Inline {
                len: text.len() as u8,
                bytes,
            }
        } else {
            Letters::Heap(text.replace('\n', "?").into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // built from a &str, cut at its length: valid UTF-8
            Letters::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or("")
            }
            Letters::Heap(s) => s,
        }
    }
}

/// The letters of a file name.
fn letters(name: &str) -> Letters {
    Letters::new(filename::split(name).1.unwrap_or(""))
}

/// The mod-sequence state of one mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ModseqLog {
    uid_validity: u32,
    /// HIGHESTMODSEQ.
    pub highest: u64,
    /// Expunges with a mod-sequence at or below this may be forgotten.
    forgotten: u64,
    entries: Vec<Entry>,
    expunged: VecDeque<(u32, u64)>,
}

impl ModseqLog {
    /// A fresh log: from 1 when the UIDVALIDITY is new, else from a time-based value.
    fn fresh(uid_validity: u32, new_validity: bool) -> ModseqLog {
        let start = if new_validity {
            1
        } else {
            let secs = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_secs().max(1));
            secs << 20
        };
        ModseqLog {
            uid_validity,
            highest: start,
            forgotten: start,
            entries: Vec::new(),
            expunged: VecDeque::new(),
        }
    }

    /// The MODSEQ of a UID (binary search); `None` for an unknown UID. (Snapshots read a
    /// [`ModseqTable`].)
    #[cfg(test)]
    pub(crate) fn get(&self, uid: u32) -> Option<u64> {
        self.entries
            .binary_search_by_key(&uid, |e| e.uid)
            .ok()
            .map(|i| self.entries[i].modseq)
    }

    /// True when the message's MODSEQ is at most `since` and its file name `name` still has the flag
    /// letters that MODSEQ was given for (else a change is pending that the next sync numbers).
    pub(crate) fn unchanged_since(&self, uid: u32, name: &str, since: u64) -> bool {
        self.entries
            .binary_search_by_key(&uid, |e| e.uid)
            .ok()
            .map(|i| &self.entries[i])
            .is_some_and(|e| e.modseq <= since && e.letters == letters(name))
    }

    /// The UIDs expunged with a mod-sequence above `modseq`, ascending; `None` when the memory does
    /// not reach back that far (the caller falls back to RFC 7162 §3.2.5.2).
    pub(crate) fn expunged_since(&self, modseq: u64) -> Option<Vec<u32>> {
        if modseq < self.forgotten {
            return None;
        }
        let mut uids: Vec<u32> = self
            .expunged
            .iter()
            .filter(|&&(_, m)| m > modseq)
            .map(|&(u, _)| u)
            .collect();
        uids.sort_unstable();
        uids.dedup();
        Some(uids)
    }

    /// Compares with the messages now (`(uid, name, in_new)`, ascending UIDs) and gives every new
    /// or vanished message, and every one whose flag letters changed, the next mod-sequence. A move
    /// from `new/` to `cur/` alone is no change (`\Recent` has no mod-sequence). True when
    /// something changed.
    fn update<'a>(&mut self, now: impl Iterator<Item = (u32, &'a str, bool)> + Clone) -> bool {
        // the common case (a search in a fresh process): nothing changed, nothing rebuilt
        let mut recorded = self.entries.iter();
        let same = now.clone().all(|(uid, name, _)| {
            recorded
                .next()
                .is_some_and(|e| e.uid == uid && e.letters == letters(name))
        }) && recorded.next().is_none();
        if same {
            return false;
        }
        let old = std::mem::take(&mut self.entries);
        let mut old = old.into_iter().peekable();
        let mut changed = false;
        let mut entries = Vec::with_capacity(now.size_hint().0.max(old.len()));
        let mut gone = Vec::new();
        for (uid, name, _) in now {
            while old.peek().is_some_and(|e| e.uid < uid) {
                gone.extend(old.next().map(|e| e.uid));
            }
            let letters = letters(name);
            let modseq = match old.next_if(|e| e.uid == uid) {
                Some(e) if e.letters == letters => e.modseq,
                _ => {
                    changed = true;
                    self.highest += 1;
                    self.highest
                }
            };
            entries.push(Entry {
                uid,
                modseq,
                letters,
            });
        }
        gone.extend(old.map(|e| e.uid));
        for uid in gone {
            changed = true;
            self.highest += 1;
            self.expunged.push_back((uid, self.highest));
        }
        while self.expunged.len() > EXPUNGE_MEMORY {
            if let Some((_, m)) = self.expunged.pop_front() {
                self.forgotten = self.forgotten.max(m);
            }
        }
        self.entries = entries;
        changed
    }

    fn encode(&self) -> String {
        let mut text = String::with_capacity(64 + self.entries.len() * 64);
        text.push_str(MAGIC);
        text.push('\n');
        text.push_str(&format!(
            "{} {} {}\n",
            self.uid_validity, self.highest, self.forgotten
        ));
        for e in &self.entries {
            text.push_str(&format!(
                "m {} {} {}\n",
                e.uid,
                e.modseq,
                e.letters.as_str()
            ));
        }
        for (uid, modseq) in &self.expunged {
            text.push_str(&format!("x {uid} {modseq}\n"));
        }
        let hash = crc32fast::hash(text.as_bytes());
        text.push_str(&format!("end {hash:08x}\n"));
        text
    }

    fn decode(text: &str) -> Option<ModseqLog> {
        let (body, lines, mut head) = checked_head(text)?;
        let mut log = ModseqLog {
            uid_validity: head.next()?.parse().ok()?,
            highest: head.next()?.parse().ok()?,
            forgotten: head.next()?.parse().ok()?,
            entries: Vec::new(),
            expunged: VecDeque::new(),
        };
        // the record lines, byte by byte: a fresh process reads this file on every search
        let rest = lines.remainder_bytes(body);
        let mut at = 0usize;
        let number = |at: &mut usize| -> Option<u64> {
            let from = *at;
            let mut n: u64 = 0;
            while let Some(d) = rest.get(*at).filter(|b| b.is_ascii_digit()) {
                n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
                *at += 1;
            }
            (*at > from).then_some(n)
        };
        while at < rest.len() {
            let kind = rest[at];
            if rest.get(at + 1) != Some(&b' ') {
                return None;
            }
            at += 2;
            let uid = u32::try_from(number(&mut at)?).ok()?;
            if rest.get(at) != Some(&b' ') {
                return None;
            }
            at += 1;
            let modseq = number(&mut at)?;
            if modseq > log.highest {
                return None;
            }
            match kind {
                b'm' => {
                    if rest.get(at) != Some(&b' ') {
                        return None;
                    }
                    let from = at + 1;
                    let end = from + memchr::memchr(b'\n', &rest[from..])?;
                    if log.entries.last().is_some_and(|e| e.uid >= uid) {
                        return None;
                    }
                    let letters = Letters::new(std::str::from_utf8(&rest[from..end]).ok()?);
                    log.entries.push(Entry {
                        uid,
                        modseq,
                        letters,
                    });
                    at = end + 1;
                }
                b'x' => {
                    if rest.get(at) != Some(&b'\n') {
                        return None;
                    }
                    log.expunged.push_back((uid, modseq));
                    at += 1;
                }
                _ => return None,
            }
        }
        Some(log)
    }
}

/// The file's text when its checksum and magic line hold: the text before the `end` line, the
/// lines positioned after the header, and the header's fields (`UIDVALIDITY HIGHESTMODSEQ
/// FORGOTTEN`).
fn checked_head(text: &str) -> Option<(&str, Lines, std::str::Split<'_, char>)> {
    let body_end = text.trim_end_matches('\n').rfind('\n')? + 1;
    let (body, end) = text.split_at(body_end);
    let hash = end.trim_end().strip_prefix("end ")?;
    if u32::from_str_radix(hash, 16).ok()? != crc32fast::hash(body.as_bytes()) {
        return None;
    }
    let mut lines = Lines { pos: 0 };
    if lines.next(body)? != MAGIC {
        return None;
    }
    let head = lines.next(body)?.split(' ');
    Some((body, lines, head))
}

/// The lines of a text read from the front, leaving the rest as bytes.
struct Lines {
    pos: usize,
}

impl Lines {
    fn next<'t>(&mut self, text: &'t str) -> Option<&'t str> {
        let len = memchr::memchr(b'\n', &text.as_bytes()[self.pos..])?;
        let line = &text[self.pos..self.pos + len];
        self.pos += len + 1;
        Some(line)
    }

    fn remainder_bytes<'t>(&self, text: &'t str) -> &'t [u8] {
        &text.as_bytes()[self.pos..]
    }
}

/// The mod-sequences a snapshot reads: the log a sync just brought up to date, or the file as it
/// was when a sync brought it up to date with the same listing, its records parsed on first use
/// (a search answered by the index never needs them).
#[derive(Debug)]
pub(crate) enum Modseqs {
    /// Parsed and compared with the listing.
    Log {
        /// HIGHESTMODSEQ.
        highest: u64,
        /// The messages' mod-sequences.
        table: ModseqTable,
    },
    /// Its header checked (UIDVALIDITY, HIGHESTMODSEQ) but not its records: the file mapped, not
    /// copied; the checksum is checked with the records, on first use.
    Unparsed {
        highest: u64,
        map: memmap2::Mmap,
        parsed: OnceLock<Option<ModseqTable>>,
    },
}

/// The mod-sequence of each message of a log, by UID: what a snapshot reads. 12 bytes a message,
/// where the log's entries, with the flag letters that a sync compares, are 40: every snapshot a
/// long-running process keeps holds one (the daemon kept 40 MB of them for the generated 1M home).
#[derive(Debug)]
pub(crate) struct ModseqTable {
    uids: Box<[u32]>,
    modseqs: Box<[u64]>,
}

impl ModseqTable {
    /// The table of a log's messages.
    fn of(log: &ModseqLog) -> ModseqTable {
        ModseqTable {
            uids: log.entries.iter().map(|e| e.uid).collect(),
            modseqs: log.entries.iter().map(|e| e.modseq).collect(),
        }
    }

    /// The MODSEQ of a UID.
    fn get(&self, uid: u32) -> Option<u64> {
        self.uids.binary_search(&uid).ok().map(|i| self.modseqs[i])
    }
}

impl From<ModseqLog> for Modseqs {
    fn from(log: ModseqLog) -> Modseqs {
        Modseqs::Log {
            highest: log.highest,
            table: ModseqTable::of(&log),
        }
    }
}

impl Modseqs {
    /// Drops the pages of a mapped, unparsed file from the resident memory (its records, once
    /// parsed, are in memory anyway).
    pub(crate) fn release_pages(&self) {
        if let Modseqs::Unparsed { map, .. } = self {
            crate::fsutil::release_mapped_pages(map);
        }
    }

    /// HIGHESTMODSEQ.
    pub(crate) fn highest(&self) -> u64 {
        match self {
            Modseqs::Log { highest, .. } => *highest,
            Modseqs::Unparsed { highest, .. } => *highest,
        }
    }

    /// The MODSEQ of a UID.
    pub(crate) fn get(&self, uid: u32) -> Option<u64> {
        match self {
            Modseqs::Log { table, .. } => table.get(uid),
            Modseqs::Unparsed { map, parsed, .. } => parsed
                .get_or_init(|| {
                    let log = ModseqLog::decode(std::str::from_utf8(map).ok()?);
                    if log.is_none() {
                        tracing::warn!("damaged mod-sequence state: every message reads as changed at HIGHESTMODSEQ until the next sync rewrites it");
                    }
                    log.as_ref().map(ModseqTable::of)
                })
                .as_ref()?
                .get(uid),
        }
    }
}

/// The file when it is intact and still the one a sync left for a listing: same UIDVALIDITY and
/// HIGHESTMODSEQ `highest` (every change, and every restart after a loss, gives a new one), so
/// comparing it with that listing again would find nothing. Only its header is parsed.
pub(crate) fn matching(folder: &Path, uid_validity: u32, highest: u64) -> Option<Modseqs> {
    let file = fs::File::open(folder.join(FILE)).ok()?;
    // SAFETY: the file is only ever replaced by a rename (see `save`), never written in place, so
    // the mapped bytes do not change under us.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    // the header only: the checksum and the records are checked when first parsed (a search
    // answered by the index never reads them; if they turn out damaged then, every message
    // reads as changed at HIGHESTMODSEQ, and the next sync rewrites the file)
    let mut lines = map.splitn(3, |&b| b == b'\n');
    if lines.next()? != MAGIC.as_bytes() {
        return None;
    }
    let mut head = std::str::from_utf8(lines.next()?).ok()?.split(' ');
    let validity: u32 = head.next()?.parse().ok()?;
    let file_highest: u64 = head.next()?.parse().ok()?;
    (validity == uid_validity && file_highest == highest).then(|| Modseqs::Unparsed {
        highest,
        map,
        parsed: OnceLock::new(),
    })
}

/// The mod-sequence state on disk, if it is intact.
pub(crate) fn load(folder: &Path) -> Option<ModseqLog> {
    let bytes = fs::read(folder.join(FILE)).ok()?;
    let log = ModseqLog::decode(std::str::from_utf8(&bytes).ok()?);
    if log.is_none() {
        tracing::warn!(folder = %folder.display(), "unreadable mod-sequence state; counting restarts above every earlier value");
    }
    log
}

/// Brings the state on disk up to date with the messages now (`(uid, name, in_new)` ascending by
/// UID) and returns it; the caller holds the mailbox lock. `new_validity`: this UIDVALIDITY was just
/// made (so no mod-sequence of it was ever given out).
pub(crate) fn sync<'a>(
    folder: &Path,
    uid_validity: u32,
    new_validity: bool,
    now: impl Iterator<Item = (u32, &'a str, bool)> + Clone,
) -> Result<ModseqLog> {
    let (mut log, mut changed) = match load(folder) {
        Some(log) => (log, false),
        // missing or damaged: the restart point is written at once, even for an empty mailbox
        None => (ModseqLog::fresh(uid_validity, new_validity), true),
    };
    if log.uid_validity != uid_validity {
        // Every UID of the old UIDVALIDITY is void: forget them, keep counting upwards.
        log.uid_validity = uid_validity;
        log.entries.clear();
        log.expunged.clear();
        log.forgotten = log.highest;
        changed = true;
    }
    changed |= log.update(now);
    if changed {
        save(folder, &log)?;
    }
    Ok(log)
}

/// Writes the state atomically and durably (temporary file, `fsync`, rename).
fn save(folder: &Path, log: &ModseqLog) -> Result<()> {
    let tmp = folder.join(format!("{FILE}.tmp"));
    let text = log.encode();
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, folder.join(FILE))
    };
    write().map_err(StoreError::io("write", &tmp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs<'a>(
        list: &'a [(u32, &'static str)],
    ) -> impl Iterator<Item = (u32, &'static str, bool)> + Clone + 'a {
        list.iter().map(|&(u, n)| (u, n, false))
    }

    #[test]
    fn changes_bump_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let log = sync(dir.path(), 7, true, msgs(&[(1, "a:2,"), (2, "b:2,")])).unwrap();
        assert_eq!((log.highest, log.get(1), log.get(2)), (3, Some(2), Some(3)));
        // unchanged: same numbers, nothing written
        let log = sync(dir.path(), 7, false, msgs(&[(1, "a:2,"), (2, "b:2,")])).unwrap();
        assert_eq!(log.highest, 3);
        // a flag rename and an expunge
        let log = sync(dir.path(), 7, false, msgs(&[(2, "b:2,S")])).unwrap();
        assert_eq!((log.highest, log.get(2), log.get(1)), (5, Some(4), None));
        assert_eq!(log.expunged_since(3), Some(vec![1]));
        assert_eq!(log.expunged_since(5), Some(vec![]));
        assert_eq!(load(dir.path()), Some(log));
    }

    /// A file whose header still matches is trusted without reading its records; when they turn
    /// out damaged at first use, every message reads as changed at HIGHESTMODSEQ (never an older,
    /// wrong value).
    #[test]
    fn matching_checks_the_header_and_damaged_records_read_as_highest() {
        let dir = tempfile::tempdir().unwrap();
        let log = sync(dir.path(), 7, true, msgs(&[(1, "a:2,"), (2, "b:2,")])).unwrap();
        let m = matching(dir.path(), 7, log.highest).expect("same header");
        assert_eq!((m.highest(), m.get(1), m.get(2)), (3, Some(2), Some(3)));
        assert!(
            matching(dir.path(), 8, log.highest).is_none(),
            "other UIDVALIDITY"
        );
        assert!(
            matching(dir.path(), 7, log.highest + 1).is_none(),
            "other HIGHESTMODSEQ"
        );
        let p = dir.path().join(FILE);
        let mut bytes = fs::read(&p).unwrap();
        let last = bytes.len() - 20; // inside the records and checksum line, past the header
        bytes[last] ^= 1;
        fs::write(&p, bytes).unwrap();
        let m = matching(dir.path(), 7, log.highest).expect("the header still matches");
        assert_eq!((m.highest(), m.get(1), m.get(2)), (3, None, None));
    }

    #[test]
    fn a_lost_or_garbled_state_never_goes_backwards() {
        let dir = tempfile::tempdir().unwrap();
        let log = sync(dir.path(), 7, true, msgs(&[(1, "a:2,")])).unwrap();
        let p = dir.path().join(FILE);
        let mut bytes = fs::read(&p).unwrap();
        bytes[20] ^= 1;
        fs::write(&p, bytes).unwrap();
        let again = sync(dir.path(), 7, false, msgs(&[(1, "a:2,")])).unwrap();
        assert!(again.highest > log.highest + (1 << 20));
        assert!(again.get(1).unwrap() > log.highest);
        // the expunges before the restart are not known
        assert_eq!(again.expunged_since(log.highest), None);
    }

    #[test]
    fn the_expunge_memory_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let all: Vec<(u32, String)> = (1..=EXPUNGE_MEMORY as u32 + 5)
            .map(|u| (u, format!("m{u}:2,")))
            .collect();
        let log = sync(
            dir.path(),
            1,
            true,
            all.iter().map(|(u, n)| (*u, n.as_str(), false)),
        )
        .unwrap();
        let before = log.highest;
        let log = sync(dir.path(), 1, false, std::iter::empty()).unwrap();
        assert_eq!(log.expunged.len(), EXPUNGE_MEMORY);
        assert_eq!(log.expunged_since(before), None);
        assert_eq!(
            log.expunged_since(before + 5).map(|v| v.len()),
            Some(EXPUNGE_MEMORY)
        );
    }

    #[test]
    fn records_round_trip_short_and_long_letters() {
        let dir = tempfile::tempdir().unwrap();
        let long = "a:2,ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh";
        let names = [(1, "x:2,"), (2, "y:2,FS"), (3, long), (4, "z")];
        let log = sync(dir.path(), 9, true, msgs(&names)).unwrap();
        let again = load(dir.path()).expect("written and intact");
        assert_eq!(again, log);
        assert_eq!(again.entries[2].letters.as_str(), &long[4..]);
        // nothing changed: no new mod-sequence, the file is not rewritten
        let before = fs::read(dir.path().join(FILE)).unwrap();
        let same = sync(dir.path(), 9, false, msgs(&names)).unwrap();
        assert_eq!(same.highest, log.highest);
        assert_eq!(fs::read(dir.path().join(FILE)).unwrap(), before);
        // reordered letters are a change (compared as written), as is a longer list
        let changed = sync(
            dir.path(),
            9,
            false,
            msgs(&[(1, "x:2,"), (2, "y:2,SF"), (3, long), (4, "z")]),
        )
        .unwrap();
        assert_eq!(changed.highest, log.highest + 1);
        // a record line cut short or with a bad kind is not trusted
        let text = String::from_utf8(fs::read(dir.path().join(FILE)).unwrap()).unwrap();
        let body = &text[..text.rfind("end ").unwrap()];
        let sealed = |body: String| format!("{body}end {:08x}\n", crc32fast::hash(body.as_bytes()));
        assert!(ModseqLog::decode(&sealed(body.to_string())).is_some());
        for bad in [
            body.replace("\nm 2 ", "\nq 2 "),
            body.replace("\nm 2 ", "\nm 2"),
            body.replace("\nm 4 ", "\nm 1 "),
            body.replace("\nm 4 ", "\nm 99999999999 "),
        ] {
            assert!(ModseqLog::decode(&sealed(bad)).is_none());
        }
    }
}
