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
//! Format (UTF-8 lines): `mailfts-state 2`, `UIDVALIDITY UIDNEXT`, the encoded [`DirState`], one
//! `UID N|C NAME` per message in ascending UID order, and `end COUNT CRC` (CRC-32 of everything
//! before it, 8 hex digits). A fresh process reads it on every search, so loading is one pass over
//! the bytes: the checksum (SIMD CRC-32; version 1's byte-at-a-time FNV took a millisecond on 20,000
//! messages), then the lines split.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::baseline::Baseline;
use crate::dirstate::DirState;

/// File name of the persisted state.
pub(crate) const FILE: &str = "mailfts-state";
const MAGIC: &str = "mailfts-state 2";

/// Writes the state of `b` (which must carry a settled state); best effort.
pub(crate) fn save(folder: &Path, b: &Baseline) {
    let Some(state) = &b.state else { return };
    let mut text = String::with_capacity(64 + b.iter().len() * 64);
    text.push_str(MAGIC);
    text.push('\n');
    // `UIDVALIDITY UIDNEXT [HIGHESTMODSEQ]`: the third when the mod-sequences were brought up
    // to date with this listing (a file without it is still read)
    let modseq = b
        .modseq_highest
        .map(|m| format!(" {m}"))
        .unwrap_or_default();
    text.push_str(&format!(
        "{} {}{modseq}\n{}\n",
        b.uid_validity,
        b.uid_next,
        state.encode()
    ));
    let mut count = 0usize;
    for (uid, name, in_new) in b.iter() {
        if name.contains('\n') {
            return; // not representable; the next process reads the directories
        }
        text.push_str(&format!(
            "{uid} {} {name}\n",
            if in_new { 'N' } else { 'C' }
        ));
        count += 1;
    }
    let hash = crc32fast::hash(text.as_bytes());
    text.push_str(&format!("end {count} {hash:08x}\n"));
    let tmp = folder.join(format!("{FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        drop(f);
        fs::rename(&tmp, folder.join(FILE))
    };
    if let Err(e) = write() {
        tracing::debug!(folder = %folder.display(), error = %e, "cannot persist the mailbox state");
    }
}

/// The persisted baseline, when the file is intact and describes exactly `current`. The file's
/// text becomes the baseline's name buffer (the names are ranges of it): no copy per message.
pub(crate) fn load(folder: &Path, current: &DirState) -> Option<Baseline> {
    let text = String::from_utf8(fs::read(folder.join(FILE)).ok()?).ok()?;
    let body_end = text.trim_end_matches('\n').rfind('\n')? + 1;
    let (body, end) = text.split_at(body_end);
    let mut end = end.trim_end().split(' ');
    let (Some("end"), Some(count), Some(hash)) = (end.next(), end.next(), end.next()) else {
        return None;
    };
    if u32::from_str_radix(hash, 16).ok()? != crc32fast::hash(body.as_bytes()) {
        return None;
    }
    let count: usize = count.parse().ok()?;
    let mut pos = 0;
    let mut line = || {
        let len = memchr::memchr(b'\n', &body.as_bytes()[pos..])?;
        let l = &body[pos..pos + len];
        pos += len + 1;
        Some(l)
    };
    if line()? != MAGIC {
        return None;
    }
    let mut head = line()?.split(' ');
    let uid_validity: u32 = head.next()?.parse().ok()?;
    let uid_next: u32 = head.next()?.parse().ok()?;
    let modseq_highest = match head.next() {
        Some(m) => Some(m.parse::<u64>().ok()?),
        None => None,
    };
    let state = DirState::decode(line()?)?;
    if &state != current {
        return None;
    }
    // `UID N|C NAME` lines, as byte ranges of the text: one pass over the bytes (a fresh process
    // does this for every search, so no per-line string searching or allocation)
    let slots = parse_lines(&text.as_bytes()[..body.len()], pos, count)?;
    let mut b = Baseline::over_text(uid_validity, text, count);
    b.push_ranges(slots);
    b.uid_next = uid_next;
    b.modseq_highest = modseq_highest;
    b.state = Some(state);
    Some(b)
}

/// The `(uid, name start, name length, in new/)` of the `UID N|C NAME` lines of `bytes[from..]`
/// (each ended by `\n`): `None` unless there are exactly `count` lines, UIDs ascending.
fn parse_lines(bytes: &[u8], from: usize, count: usize) -> Option<Vec<(u32, usize, usize, bool)>> {
    let mut out = Vec::with_capacity(count);
    let (mut at, mut last) = (from, 0u32);
    while at < bytes.len() {
        let mut uid: u32 = 0;
        let digits_from = at;
        while let Some(d) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
            uid = uid.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
            at += 1;
        }
        let in_new = match bytes.get(at..at + 3)? {
            b" N " => true,
            b" C " => false,
            _ => return None,
        };
        if at == digits_from || uid <= last {
            return None;
        }
        last = uid;
        let name = at + 3;
        let end = name + memchr::memchr(b'\n', &bytes[name..])?;
        out.push((uid, name, end - name, in_new));
        at = end + 1;
    }
    (out.len() == count).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_loads_only_for_the_same_directories() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let state = DirState::read(dir.path()).unwrap();
        assert_eq!(DirState::decode(&state.encode()).as_ref(), Some(&state));
        let mut b = Baseline::with_capacity(7, 2);
        b.push(1, "1.M1.host:2,S", false);
        b.push(5, "5.M2.host with space", true);
        b.uid_next = 6;
        b.state = Some(state.clone());
        save(dir.path(), &b);
        let loaded = load(dir.path(), &state).expect("same state");
        assert_eq!((loaded.uid_validity, loaded.uid_next), (7, 6));
        let got: Vec<_> = loaded
            .iter()
            .map(|(u, n, i)| (u, n.to_string(), i))
            .collect();
        assert_eq!(
            got,
            [
                (1, "1.M1.host:2,S".to_string(), false),
                (5, "5.M2.host with space".to_string(), true)
            ]
        );
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

    #[test]
    fn message_lines_parse_strictly() {
        let ok = b"1 C a:2,S\n5 N b c\n";
        assert_eq!(
            parse_lines(ok, 0, 2),
            Some(vec![(1, 4, 5, false), (5, 14, 3, true)])
        );
        assert_eq!(&ok[14..17], b"b c");
        assert_eq!(parse_lines(ok, 0, 3), None, "count differs");
        for bad in [
            &b"5 C a\n1 C b\n"[..], // UIDs descending
            b"1 C a\n1 C b\n",      // repeated
            b"1 X a\n",             // neither N nor C
            b" C a\n",              // no UID
            b"0 C a\n",             // UID 0
            b"99999999999 C a\n",   // past u32
            b"1 C a",               // no line end
        ] {
            assert_eq!(
                parse_lines(bad, 0, 1 + usize::from(bad.len() > 12)),
                None,
                "{bad:?}"
            );
        }
    }
}
