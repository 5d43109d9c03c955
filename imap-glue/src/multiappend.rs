//! MULTIAPPEND (RFC 3502): several messages in one APPEND.
//!
//! `imap-codec` parses an APPEND of one message. An APPEND of several is split here into one
//! single-message APPEND per message (same tag and mailbox), each parsed by `imap-codec` as usual;
//! the session saves them all or none ([`crate::session::Session::set_more_appends`]).
//!
//! ```abnf
//! append          = "APPEND" SP mailbox 1*append-message
//! append-message  = append-opts SP append-data
//! append-opts     = [SP flag-list] [SP date-time]
//! append-data     = literal / literal8
//! ```

/// Splits `tag APPEND mailbox msg msg…` (two messages or more) into the single-message commands
/// `tag APPEND mailbox [flags] [date] {n}\r\n…\r\n`. `None`: not an APPEND of several messages
/// (or not one this splitter reads: then `imap-codec` answers as for any command).
pub fn split(command: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut p = Cursor { b: command, i: 0 };
    p.word()?;
    let name = p.word()?;
    if !name.eq_ignore_ascii_case(b"APPEND") {
        return None;
    }
    match p.peek()? {
        b'"' => p.quoted()?,
        b'{' => return None,
        _ => p.word_until_space()?,
    }
    let head = &command[..p.i];
    let mut out = Vec::new();
    while !matches!(p.rest(), b"" | b"\r\n" | b"\n") {
        p.expect(b' ')?;
        let opts_start = p.i;
        if p.peek()? == b'(' {
            p.until(b')')?;
            p.expect(b' ')?;
        }
        if p.peek()? == b'"' {
            p.quoted()?;
            p.expect(b' ')?;
        }
        p.literal()?;
        let mut one = head.to_vec();
        one.push(b' ');
        one.extend_from_slice(&command[opts_start..p.i]);
        one.extend_from_slice(b"\r\n");
        out.push(one);
    }
    (out.len() >= 2).then_some(out)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn rest(&self) -> &[u8] {
        &self.b[self.i.min(self.b.len())..]
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A word and the space after it.
    fn word(&mut self) -> Option<&[u8]> {
        let start = self.i;
        let len = self.rest().iter().position(|&c| c == b' ')?;
        self.i += len + 1;
        Some(&self.b[start..start + len])
    }

    /// An atom up to (not including) the next space.
    fn word_until_space(&mut self) -> Option<()> {
        let len = self.rest().iter().position(|&c| c == b' ')?;
        self.i += len;
        (len > 0).then_some(())
    }

    /// Up to and including `end`.
    fn until(&mut self, end: u8) -> Option<()> {
        let len = self.rest().iter().position(|&c| c == end)?;
        self.i += len + 1;
        Some(())
    }

    /// A quoted string with `\` escapes.
    fn quoted(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\r' | b'\n' => return None,
                _ => self.i += 1,
            }
        }
    }

    /// `{n}` or `{n+}`, CRLF (or LF) and `n` bytes.
    fn literal(&mut self) -> Option<()> {
        self.expect(b'{')?;
        let digits = self
            .rest()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let n: usize = std::str::from_utf8(&self.rest()[..digits])
            .ok()?
            .parse()
            .ok()?;
        self.i += digits;
        if self.peek()? == b'+' {
            self.i += 1;
        }
        self.expect(b'}')?;
        if self.peek()? == b'\r' {
            self.i += 1;
        }
        self.expect(b'\n')?;
        if self.rest().len() < n {
            return None;
        }
        self.i += n;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_messages_become_single_appends() {
        let cmd =
            b"a1 APPEND INBOX (\\Seen) \"01-Feb-2024 12:00:00 +0000\" {3}\r\nabc {2+}\r\nde\r\n";
        let parts = split(cmd).unwrap();
        assert_eq!(
            parts,
            [
                b"a1 APPEND INBOX (\\Seen) \"01-Feb-2024 12:00:00 +0000\" {3}\r\nabc\r\n".to_vec(),
                b"a1 APPEND INBOX {2+}\r\nde\r\n".to_vec(),
            ]
        );
        let quoted = b"a2 APPEND \"My Box\" () {1}\r\nx (\\Flagged) {1}\r\ny\r\n";
        assert_eq!(
            split(quoted).unwrap()[1],
            b"a2 APPEND \"My Box\" (\\Flagged) {1}\r\ny\r\n"
        );
        assert!(split(b"a3 APPEND INBOX {1}\r\nx\r\n").is_none());
        assert!(split(b"a4 NOOP\r\n").is_none());
        assert!(split(b"a5 APPEND INBOX {9}\r\nx\r\n").is_none());
    }
}
