//! Our own persistent UID list, `<folder>/mailfts-uidlist`.
//!
//! Format: the header line `mailfts-uidlist 1 V<uidvalidity> N<uidnext>`, then one line `<uid> <basename>`
//! per message, ascending by UID. Rewrites are atomic (temporary file, fsync, rename, directory fsync);
//! UIDs assigned since the last rewrite may be appended as whole lines, so a load takes
//! `max(N, last uid + 1)` as UIDNEXT and ignores a torn last line. Writers hold `mailfts-uidlist.lock`.

use std::path::Path;

use crate::error::Result;
use crate::fsutil;

/// File name of the list inside a mailbox folder.
pub(crate) const FILE: &str = "mailfts-uidlist";
/// File name of the lock that serializes UID assignment.
pub(crate) const LOCK_FILE: &str = "mailfts-uidlist.lock";
const MAGIC: &str = "mailfts-uidlist 1 ";

/// A parsed list. Basenames are slices of the file text, so parsing allocates twice, not per line.
#[derive(Debug)]
pub(crate) struct UidList {
    /// UIDVALIDITY of the mailbox.
    pub uid_validity: u32,
    /// UIDNEXT: above every UID in the list.
    pub uid_next: u32,
    text: String,
    entries: Vec<Entry>,
    /// True when new lines may be appended (the file ends with a complete line and needed no repair).
    pub appendable: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    uid: u32,
    start: u32,
    end: u32,
}

/// What [`load`] found.
#[derive(Debug)]
pub(crate) enum Loaded {
    /// No list yet.
    Missing,
    /// The list cannot be trusted and must be rebuilt with a new UIDVALIDITY.
    Corrupt {
        /// The UIDVALIDITY of the header, when that much was readable.
        old_validity: Option<u32>,
        /// What is wrong.
        reason: &'static str,
    },
    /// A good list.
    Valid(UidList),
}

/// Why a list was refused, with the UIDVALIDITY of its header when known.
pub(crate) type ParseError = (Option<u32>, &'static str);

impl UidList {
    /// Parses the file contents.
    pub(crate) fn parse(bytes: Vec<u8>) -> Result<UidList, ParseError> {
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let head = String::from_utf8_lossy(e.as_bytes())
                    .lines()
                    .next()
                    .map(str::to_owned);
                let v = head.and_then(|h| parse_header(&h).ok().map(|(v, _)| v));
                return Err((v, "not UTF-8"));
            }
        };
        let header_end = memchr::memchr(b'\n', text.as_bytes()).ok_or((None, "no header line"))?;
        let (uid_validity, header_next) =
            parse_header(&text[..header_end]).map_err(|r| (None, r))?;
        let bad = |reason| (Some(uid_validity), reason);
        let bytes = text.as_bytes();
        let mut entries = Vec::with_capacity(bytes.len() / 48);
        let mut appendable = true;
        let mut sorted = true;
        let mut pos = header_end + 1;
        while pos < bytes.len() {
            let Some(len) = memchr::memchr(b'\n', &bytes[pos..]) else {
                tracing::warn!(line = &text[pos..], "ignoring torn last line of {FILE}");
                appendable = false;
                break;
            };
            let line = &text[pos..pos + len];
            let sp = memchr::memchr(b' ', line.as_bytes()).ok_or(bad("line without a space"))?;
            let uid: u32 = line[..sp].parse().map_err(|_| bad("bad UID"))?;
            let base = &line[sp + 1..];
            if uid == 0 || base.is_empty() || base.contains(':') {
                return Err(bad("bad record"));
            }
            if entries.last().is_some_and(|e: &Entry| e.uid >= uid) {
                sorted = false;
            }
            let start = pos + sp + 1;
            entries.push(Entry {
                uid,
                start: u32::try_from(start).map_err(|_| bad("list too large"))?,
                end: u32::try_from(pos + len).map_err(|_| bad("list too large"))?,
            });
            pos += len + 1;
        }
        if !sorted {
            entries.sort_unstable_by_key(|e| e.uid);
            if entries.windows(2).any(|w| w[0].uid == w[1].uid) {
                return Err(bad("duplicate UID"));
            }
            appendable = false;
        }
        let max_uid = entries.last().map_or(0, |e| e.uid);
        Ok(UidList {
            uid_validity,
            uid_next: header_next.max(max_uid.saturating_add(1)),
            text,
            entries,
            appendable,
        })
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The records `(uid, basename)`, ascending by UID.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &str)> + '_ {
        self.entries
            .iter()
            .map(|e| (e.uid, &self.text[e.start as usize..e.end as usize]))
    }

    /// The basename recorded for `uid`.
    pub(crate) fn get(&self, uid: u32) -> Option<&str> {
        let i = self.entries.binary_search_by_key(&uid, |e| e.uid).ok()?;
        let e = self.entries[i];
        Some(&self.text[e.start as usize..e.end as usize])
    }
}

fn parse_header(line: &str) -> Result<(u32, u32), &'static str> {
    let rest = line.strip_prefix(MAGIC).ok_or("bad header")?;
    let (mut v, mut n) = (None, None);
    for field in rest.split(' ') {
        match field.as_bytes().first() {
            Some(b'V') => v = field[1..].parse::<u32>().ok(),
            Some(b'N') => n = field[1..].parse::<u32>().ok(),
            _ => {}
        }
    }
    match (v, n) {
        (Some(v), Some(n)) if v != 0 && n != 0 => Ok((v, n)),
        _ => Err("bad header fields"),
    }
}

/// Renders a whole list.
pub(crate) fn render<'a>(
    uid_validity: u32,
    uid_next: u32,
    records: impl ExactSizeIterator<Item = (u32, &'a str)>,
) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(40 + records.len() * 56);
    let _ = writeln!(out, "{MAGIC}V{uid_validity} N{uid_next}");
    for (uid, base) in records {
        let _ = writeln!(out, "{uid} {base}");
    }
    out
}

/// Loads the list of a folder.
pub(crate) fn load(folder: &Path) -> Result<Loaded> {
    let Some(bytes) = fsutil::read_optional(&folder.join(FILE))? else {
        return Ok(Loaded::Missing);
    };
    Ok(match UidList::parse(bytes) {
        Ok(list) => Loaded::Valid(list),
        Err((old_validity, reason)) => Loaded::Corrupt {
            old_validity,
            reason,
        },
    })
}

/// Atomically replaces the list of a folder.
pub(crate) fn write<'a>(
    folder: &Path,
    uid_validity: u32,
    uid_next: u32,
    records: impl ExactSizeIterator<Item = (u32, &'a str)>,
) -> Result<()> {
    fsutil::atomic_write(
        folder,
        FILE,
        render(uid_validity, uid_next, records).as_bytes(),
    )
}

/// Appends records (UIDs above every recorded one) to an appendable list.
pub(crate) fn append<'a>(
    folder: &Path,
    records: impl Iterator<Item = (u32, &'a str)>,
) -> Result<()> {
    use std::fmt::Write;
    let mut out = String::new();
    for (uid, base) in records {
        let _ = writeln!(out, "{uid} {base}");
    }
    fsutil::append(&folder.join(FILE), out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_parse_round_trip() {
        let records = [
            (1, "1.M1P1.host,S=10"),
            (2, "2.M1P1.host"),
            (7, "name with space"),
        ];
        let text = render(1700000000, 9, records.iter().copied());
        assert!(text.starts_with("mailfts-uidlist 1 V1700000000 N9\n1 1.M1P1.host,S=10\n"));
        let list = UidList::parse(text.into_bytes()).unwrap();
        assert_eq!(
            (list.uid_validity, list.uid_next, list.len()),
            (1700000000, 9, 3)
        );
        assert_eq!(list.iter().collect::<Vec<_>>(), records);
        assert_eq!(list.get(2), Some("2.M1P1.host"));
        assert!(list.appendable);
    }

    #[test]
    fn appended_lines_raise_uidnext_and_torn_line_is_dropped() {
        let list = UidList::parse(b"mailfts-uidlist 1 V5 N3\n1 a\n2 b\n3 c\n4 d".to_vec()).unwrap();
        assert_eq!(list.uid_next, 4);
        assert_eq!(list.len(), 3);
        assert!(!list.appendable);
    }

    #[test]
    fn corrupt_lists() {
        for (text, v) in [
            (&b""[..], None),
            (b"garbage\n", None),
            (b"mailfts-uidlist 1 V0 N1\n", None),
            (b"mailfts-uidlist 1 V9 N1\nx y\n", Some(9)),
            (b"mailfts-uidlist 1 V9 N1\n1 a\n1 b\n", Some(9)),
            (b"mailfts-uidlist 1 V9 N1\n0 a\n", Some(9)),
            (b"mailfts-uidlist 1 V9 N1\n1\n", Some(9)),
            (b"mailfts-uidlist 1 V9 N1\n1 a:2,S\n", Some(9)),
            (b"mailfts-uidlist 1 V9 N1\n1 \xff\n", Some(9)),
        ] {
            let err = UidList::parse(text.to_vec()).unwrap_err();
            assert_eq!(err.0, v, "{:?}", String::from_utf8_lossy(text));
        }
    }
}
