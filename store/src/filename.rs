//! Maildir file names: `<basename>[:2,<info>]`, with optional `,S=<size>` and `,W=<vsize>` fields in the
//! basename, system flags as upper-case and keywords as lower-case letters in the info.

use std::cmp::Ordering;

use crate::Flags;

/// Splits a file name into its basename (everything before the first `:`, as Dovecot does) and the
/// `:2,` info letters (`None` when there is no `:2,` info).
pub(crate) fn split(name: &str) -> (&str, Option<&str>) {
    match name.find(':') {
        Some(pos) => (&name[..pos], name[pos + 1..].strip_prefix("2,")),
        None => (name, None),
    }
}

/// The basename of a file name (see [`split`]).
pub(crate) fn basename(name: &str) -> &str {
    split(name).0
}

/// The system flags of a file name.
pub(crate) fn flags(name: &str) -> Flags {
    split(name)
        .1
        .map(Flags::from_maildir_info)
        .unwrap_or_default()
}

/// The keyword letters (`a`–`z` as 0–25) of a file name's info.
pub(crate) fn keyword_letters(name: &str) -> impl Iterator<Item = u8> + '_ {
    split(name)
        .1
        .unwrap_or("")
        .bytes()
        .filter(u8::is_ascii_lowercase)
        .map(|b| b - b'a')
}

/// The value of a `,<key>=<digits>` field of the basename (`key` is `b'S'` for the size, `b'W'` for the
/// size with CRLF line ends).
pub(crate) fn size_field(basename: &str, key: u8) -> Option<u64> {
    let b = basename.as_bytes();
    let mut i = 0;
    while let Some(p) = memchr::memchr(b',', &b[i..]) {
        let at = i + p;
        if b.get(at + 1) == Some(&key) && b.get(at + 2) == Some(&b'=') {
            let digits = &b[at + 3..];
            let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
            if n > 0 && matches!(digits.get(n), None | Some(b',')) {
                return std::str::from_utf8(&digits[..n]).ok()?.parse().ok();
            }
        }
        i = at + 1;
    }
    None
}

/// Natural order: runs of ASCII digits compare by numeric value (`2.x` < `10.x`), everything else
/// byte by byte. Numerically equal runs with different zero padding compare equal here; callers break
/// ties on the full name.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let ea = i + a[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let eb = j + b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
            let da = trim_zeros(&a[i..ea]);
            let db = trim_zeros(&b[j..eb]);
            let ord = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if ord != Ordering::Equal {
                return ord;
            }
            (i, j) = (ea, eb);
        } else {
            let ord = a[i].cmp(&b[j]);
            if ord != Ordering::Equal {
                return ord;
            }
            (i, j) = (i + 1, j + 1);
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let z = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[z..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_names() {
        let n = "1276528487.M364837P9451.kurkku,S=2485,W=2535:2,RSab";
        assert_eq!(
            split(n),
            ("1276528487.M364837P9451.kurkku,S=2485,W=2535", Some("RSab"))
        );
        assert_eq!(split("123.abc"), ("123.abc", None));
        assert_eq!(split("123.abc:1,xyz"), ("123.abc", None));
        assert_eq!(flags(n), Flags::SEEN.union(Flags::ANSWERED));
        assert_eq!(keyword_letters(n).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(size_field(basename(n), b'S'), Some(2485));
        assert_eq!(size_field(basename(n), b'W'), Some(2535));
        assert_eq!(size_field("1.M2.host,S=12x", b'S'), None);
        assert_eq!(size_field("1.M2.host", b'S'), None);
        assert_eq!(size_field("1.M2.host,W=5,S=7", b'S'), Some(7));
    }

    #[test]
    fn natural_order() {
        let mut v = vec![
            "10.x", "2.x", "1.y", "1.x", "02.a", "b", "a10", "a9", "a09b",
        ];
        v.sort_by(|a, b| natural_cmp(a, b).then_with(|| a.cmp(b)));
        assert_eq!(
            v,
            ["1.x", "1.y", "02.a", "2.x", "10.x", "a9", "a09b", "a10", "b"]
        );
        assert_eq!(
            natural_cmp("1700000000.M1", "1700000000.M1"),
            Ordering::Equal
        );
        assert_eq!(natural_cmp("abc", "ab"), Ordering::Greater);
    }
}
