//! Read-only access to Dovecot's Maildir files: `dovecot-uidlist` (versions 1 and 3) and
//! `dovecot-keywords`. We never write them.

use std::path::Path;

use crate::error::Result;
use crate::{filename, fsutil};

/// File name of Dovecot's UID list.
pub(crate) const UIDLIST_FILE: &str = "dovecot-uidlist";
/// File name of Dovecot's keyword table.
pub(crate) const KEYWORDS_FILE: &str = "dovecot-keywords";
/// File name of Dovecot's store-wide UIDVALIDITY counter.
pub(crate) const UIDVALIDITY_FILE: &str = "dovecot-uidvalidity";

/// A parsed `dovecot-uidlist`: UIDVALIDITY, next UID and the `(uid, basename)` records.
#[derive(Debug)]
pub(crate) struct DovecotList {
    /// Dovecot's UIDVALIDITY.
    pub uid_validity: u32,
    /// Dovecot's next UID (`N`), raised above its highest record.
    pub next_uid: u32,
    text: String,
    records: Vec<(u32, u32, u32)>,
}

impl DovecotList {
    /// Parses the file; `None` (with a warning) when it is not a version 1 or 3 list we understand.
    ///
    /// Version 3: header `3 V<uidvalidity> N<nextuid> G<guid> ...`, records
    /// `<uid> [<ext fields>] :<filename>`. Version 1: header `1 <uidvalidity> <nextuid>`, records
    /// `<uid> <filename>`. Dovecot appends records in place, so a last line without a newline is
    /// still being written and is ignored.
    pub(crate) fn parse(bytes: Vec<u8>) -> Option<DovecotList> {
        let text = String::from_utf8(bytes)
            .map_err(|_| tracing::warn!("{UIDLIST_FILE} is not UTF-8, ignored"))
            .ok()?;
        let header_end = memchr::memchr(b'\n', text.as_bytes())?;
        let header = &text[..header_end];
        let mut fields = header.split(' ');
        let version = fields.next()?;
        let (mut v, mut n) = (None, None);
        match version {
            "1" => {
                v = fields.next().and_then(|f| f.parse::<u32>().ok());
                n = fields.next().and_then(|f| f.parse::<u32>().ok());
            }
            "3" => {
                for f in fields {
                    match f.as_bytes().first() {
                        Some(b'V') => v = f[1..].parse().ok(),
                        Some(b'N') => n = f[1..].parse().ok(),
                        _ => {}
                    }
                }
            }
            _ => {
                tracing::warn!(header, "{UIDLIST_FILE} version not understood, ignored");
                return None;
            }
        }
        let (Some(uid_validity), Some(next_uid)) = (v.filter(|&v| v != 0), n) else {
            tracing::warn!(header, "{UIDLIST_FILE} header not understood, ignored");
            return None;
        };
        let mut records = Vec::with_capacity(text.len() / 64);
        let mut pos = header_end + 1;
        let mut max_uid = 0;
        while let Some(len) = memchr::memchr(b'\n', &text.as_bytes()[pos..]) {
            let line = &text[pos..pos + len];
            match parse_record(line, version == "3") {
                Some((uid, start, end)) => {
                    max_uid = max_uid.max(uid);
                    records.push((uid, (pos + start) as u32, (pos + end) as u32));
                }
                None if line.is_empty() => {}
                None => tracing::warn!(line, "bad {UIDLIST_FILE} record ignored"),
            }
            pos += len + 1;
        }
        Some(DovecotList {
            uid_validity,
            next_uid: next_uid.max(max_uid.saturating_add(1)),
            text,
            records,
        })
    }

    /// The records `(uid, basename)` in file order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &str)> + '_ {
        self.records
            .iter()
            .map(|&(uid, s, e)| (uid, &self.text[s as usize..e as usize]))
    }
}

/// One record: the UID and the byte range of the basename within the line.
fn parse_record(line: &str, v3: bool) -> Option<(u32, usize, usize)> {
    let sp = line.find(' ')?;
    let uid: u32 = line[..sp].parse().ok().filter(|&u| u != 0)?;
    let start = if v3 {
        // The file name follows the first field that starts with ':'.
        let rest = &line[sp..];
        sp + rest.find(" :")? + 2
    } else {
        sp + 1
    };
    let base = filename::basename(&line[start..]);
    (!base.is_empty()).then_some((uid, start, start + base.len()))
}

/// Loads `<folder>/dovecot-uidlist` if it exists and is understood.
pub(crate) fn load(folder: &Path) -> Result<Option<DovecotList>> {
    Ok(fsutil::read_optional(&folder.join(UIDLIST_FILE))?.and_then(DovecotList::parse))
}

/// Parses a keyword table (`<index> <name>` lines, index 0 is letter `a`) into `out`; lines with
/// an index above 25 or a taken letter are ignored.
pub(crate) fn parse_keywords(text: &str, out: &mut [Option<String>; 26]) {
    for line in text.lines() {
        let Some((idx, name)) = line.split_once(' ') else {
            continue;
        };
        let Ok(idx) = idx.parse::<usize>() else {
            continue;
        };
        let name = name.trim_end_matches('\r');
        if idx < 26 && !name.is_empty() && out[idx].is_none() {
            out[idx] = Some(name.to_owned());
        }
    }
}

/// Dovecot's store-wide last UIDVALIDITY (hex), if the file exists.
pub(crate) fn last_uid_validity(root: &Path) -> Option<u32> {
    let bytes = fsutil::read_optional(&root.join(UIDVALIDITY_FILE)).ok()??;
    u32::from_str_radix(std::str::from_utf8(&bytes).ok()?.trim(), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_3() {
        let text = "3 V1276528480 N5 G2ad1d11b8eee164c1000000000000000\n\
                    1 W2535 S2485 :1276528487.M364837P9451.kurkku,S=2485,W=2535:2,S\n\
                    3 :1276528488.M1P1.kurkku\n\
                    4 G0123 :odd name:2,\n\
                    4 :partial";
        let list = DovecotList::parse(text.as_bytes().to_vec()).unwrap();
        assert_eq!((list.uid_validity, list.next_uid), (1276528480, 5));
        let r: Vec<_> = list.iter().collect();
        assert_eq!(
            r,
            [
                (1, "1276528487.M364837P9451.kurkku,S=2485,W=2535"),
                (3, "1276528488.M1P1.kurkku"),
                (4, "odd name")
            ]
        );
    }

    #[test]
    fn version_1_and_unknown() {
        let list =
            DovecotList::parse(b"1 1100000000 10\n3 12.host:2,S\n12 13.host\n".to_vec()).unwrap();
        assert_eq!((list.uid_validity, list.next_uid), (1100000000, 13));
        assert_eq!(
            list.iter().collect::<Vec<_>>(),
            [(3, "12.host"), (12, "13.host")]
        );
        assert!(DovecotList::parse(b"2 V1 N1\n".to_vec()).is_none());
        assert!(DovecotList::parse(b"3 N1\n".to_vec()).is_none());
    }

    #[test]
    fn keywords() {
        let mut kw: [Option<String>; 26] = Default::default();
        parse_keywords("0 $Junk\n1 $Label1\n30 x\nbad\n", &mut kw);
        assert_eq!(kw[0].as_deref(), Some("$Junk"));
        assert_eq!(kw[1].as_deref(), Some("$Label1"));
        assert!(kw[2..].iter().all(Option::is_none));
    }
}
