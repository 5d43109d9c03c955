//! Bytes on the wire: writing IMAP strings, and recognising literal announcements.
//!
//! Responses are written by hand into a `Vec<u8>` with these helpers (RFC 3501 §4.3, §9): a string
//! is written quoted when it is short 7-bit text without CR, LF or NUL, otherwise as a literal
//! `{n}\r\n…`, so any header value (8-bit or not) is sent correctly.

/// Appends `s` as an IMAP string: quoted (with `\"` and `\\` escaped) when every byte is 7-bit
/// printable text, else a literal.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 1024 && s.iter().all(|&b| (0x20..0x7f).contains(&b) || b == b'\t') {
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        literal(out, s);
    }
}

/// Appends `{n}\r\n` and the bytes.
pub fn literal(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
    out.extend_from_slice(s);
}

/// Appends `NIL` or the string.
pub fn nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// Appends an astring: a bare atom when possible (no specials), else a string.
pub fn astring(out: &mut Vec<u8>, s: &[u8]) {
    let atom = !s.is_empty()
        && !s.eq_ignore_ascii_case(b"NIL")
        && s.iter().all(|&b| {
            (0x21..0x7f).contains(&b)
                && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\')
        });
    if atom {
        out.extend_from_slice(s);
    } else {
        string(out, s);
    }
}

/// Formats ascending numbers as a compact sequence set (`1:3,7,9:10`). Empty input gives "".
pub fn sequence_set(numbers: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < numbers.len() {
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// When a command line (with its CRLF) ends with a literal announcement `{n}` or `{n+}`, returns
/// `(n, non_synchronizing)`.
pub fn literal_announcement(line: &[u8]) -> Option<(u64, bool)> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let mut digits = &inner[open + 1..];
    let plus = digits.last() == Some(&b'+');
    if plus {
        digits = &digits[..digits.len() - 1];
    }
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((n, plus))
}

/// The tag at the start of a command (for answering a command that cannot be parsed), if it is
/// a valid tag.
pub fn tag_of(command: &[u8]) -> Option<String> {
    let end = command
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')?;
    let tag = &command[..end];
    let ok = !tag.is_empty()
        && tag.iter().all(|&b| {
            (0x21..0x7f).contains(&b)
                && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b'+')
        });
    ok.then(|| String::from_utf8_lossy(tag).into_owned())
}

/// The arguments of `command` (`tag NAME arguments`, its line end cut) when its name is `name`
/// (ASCII case-insensitive): `Some(b"")` for a command without arguments, `None` for another
/// command. For the commands the grammar crate does not know (CANCELUPDATE, NOTIFY).
pub fn arguments_of<'c>(command: &'c [u8], name: &str) -> Option<&'c [u8]> {
    let line = command
        .strip_suffix(b"\r\n")
        .or_else(|| command.strip_suffix(b"\n"))
        .unwrap_or(command);
    let mut words = line.splitn(3, |&b| b == b' ');
    let (Some(_tag), Some(word)) = (words.next(), words.next()) else {
        return None;
    };
    word.eq_ignore_ascii_case(name.as_bytes())
        .then(|| words.next().unwrap_or_default())
}

/// Normalises line ends to CRLF (IMAP sends messages with CRLF; Maildir files usually have LF).
/// Borrowed when nothing needs to change.
pub fn to_crlf(raw: Vec<u8>) -> Vec<u8> {
    let bare = raw
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r'))
        .count();
    if bare == 0 {
        return raw;
    }
    let mut out = Vec::with_capacity(raw.len() + bare);
    let mut prev = 0u8;
    for &b in &raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        let mut out = Vec::new();
        string(&mut out, b"a \"q\" \\");
        out.push(b' ');
        string(&mut out, "straße".as_bytes());
        out.push(b' ');
        astring(&mut out, b"INBOX");
        out.push(b' ');
        astring(&mut out, b"a b");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a \\\"q\\\" \\\\\" {7}\r\nstraße INBOX \"a b\""
        );
    }

    #[test]
    fn sets() {
        assert_eq!(sequence_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(sequence_set(&[]), "");
        assert_eq!(sequence_set(&[4]), "4");
    }

    #[test]
    fn literals() {
        assert_eq!(
            literal_announcement(b"a APPEND x {12}\r\n"),
            Some((12, false))
        );
        assert_eq!(
            literal_announcement(b"a APPEND x {12+}\r\n"),
            Some((12, true))
        );
        assert_eq!(literal_announcement(b"a LOGIN {3}x\r\n"), None);
        assert_eq!(literal_announcement(b"a NOOP\r\n"), None);
        assert_eq!(literal_announcement(b"a X {}\r\n"), None);
        assert_eq!(tag_of(b"A001 LOGIN"), Some("A001".into()));
        assert_eq!(tag_of(b"+ x"), None);
    }

    #[test]
    fn crlf() {
        assert_eq!(to_crlf(b"a\nb\r\nc\n".to_vec()), b"a\r\nb\r\nc\r\n");
        assert_eq!(to_crlf(b"a\r\n".to_vec()), b"a\r\n");
    }
}
