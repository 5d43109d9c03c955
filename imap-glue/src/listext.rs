//! LIST-EXTENDED (RFC 5258): selection options, several patterns and return options of LIST.
//!
//! `imap-codec` parses the LIST of RFC 3501 only. The extended parts are taken off the command
//! here (as [`crate::esearch`] does for SEARCH RETURN) and the rest, `tag LIST reference pattern`,
//! is parsed by `imap-codec`; the session answers with [`ListOptions`].
//!
//! ```abnf
//! list            = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
//! list-select-opts = "(" [list-select-option *(SP list-select-option)] ")"
//! list-select-option = "SUBSCRIBED" / "REMOTE" / "RECURSIVEMATCH"
//! mbox-or-pat     = list-mailbox / patterns
//! patterns        = "(" list-mailbox *(SP list-mailbox) ")"
//! list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
//! return-option   = "SUBSCRIBED" / "CHILDREN" / "SPECIAL-USE"
//! ```

/// What an extended LIST asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Selection `SUBSCRIBED`: only subscribed names (implies `return_subscribed`).
    pub subscribed: bool,
    /// Selection `RECURSIVEMATCH`: also matching parents of subscribed names the pattern does
    /// not match, with `CHILDINFO ("SUBSCRIBED")`.
    pub recursive_match: bool,
    /// Return `SUBSCRIBED`: the `\Subscribed` attribute.
    pub return_subscribed: bool,
    /// Return `CHILDREN`: `\HasChildren` / `\HasNoChildren`.
    pub return_children: bool,
    /// Return `SPECIAL-USE` (RFC 6154): `\Sent`, `\Trash`…
    pub return_special_use: bool,
    /// The patterns as written (unquoted, still modified UTF-7).
    pub patterns: Vec<String>,
}

/// Splits an extended `tag LIST …` into its options and `tag LIST reference first-pattern`.
/// `Ok(None)`: not a LIST, or a plain RFC 3501 one (parse it as it is); `Err`: an option this
/// server does not know (answered `BAD`, as Dovecot does).
pub fn strip(command: &[u8]) -> Result<Option<(ListOptions, Vec<u8>)>, String> {
    let line = command
        .strip_suffix(b"\r\n")
        .or_else(|| command.strip_suffix(b"\n"))
        .unwrap_or(command);
    let Ok(line) = std::str::from_utf8(line) else {
        return Ok(None);
    };
    let mut words = Lexer { s: line, i: 0 };
    let (Some(tag), Some(name)) = (words.atom(), words.atom()) else {
        return Ok(None);
    };
    if !name.eq_ignore_ascii_case("LIST") {
        return Ok(None);
    }
    let mut opts = ListOptions::default();
    let mut extended = false;
    if let Some(select) = words.list() {
        extended = true;
        for o in select {
            match o.to_ascii_uppercase().as_str() {
                "SUBSCRIBED" => opts.subscribed = true,
                "RECURSIVEMATCH" => opts.recursive_match = true,
                "REMOTE" => {}
                _ => return Err("Unknown select options".into()),
            }
        }
        if opts.recursive_match && !opts.subscribed {
            return Err("RECURSIVEMATCH must not be the only selection".into());
        }
    }
    let Some(reference) = words.astring() else {
        return Ok(None);
    };
    if let Some(patterns) = words.list() {
        extended = true;
        opts.patterns = patterns;
    } else if let Some(p) = words.astring() {
        opts.patterns.push(p);
    } else {
        return Ok(None);
    }
    if let Some(ret) = words.atom() {
        if !ret.eq_ignore_ascii_case("RETURN") {
            return Ok(None);
        }
        extended = true;
        for o in words.list().ok_or("Invalid return options")? {
            match o.to_ascii_uppercase().as_str() {
                "SUBSCRIBED" => opts.return_subscribed = true,
                "CHILDREN" => opts.return_children = true,
                "SPECIAL-USE" => opts.return_special_use = true,
                _ => return Err("Unknown return options".into()),
            }
        }
    }
    if !words.rest().is_empty() || !extended || opts.patterns.is_empty() {
        return Ok(None);
    }
    opts.return_subscribed |= opts.subscribed;
    let first = quote(&opts.patterns[0]);
    let plain = format!("{tag} LIST {} {first}\r\n", quote(&reference));
    Ok(Some((opts, plain.into_bytes())))
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Words, quoted strings and parenthesized lists of them, separated by single spaces.
struct Lexer<'a> {
    s: &'a str,
    i: usize,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.s[self.i..]
    }

    fn skip_space(&mut self) {
        if self.rest().starts_with(' ') {
            self.i += 1;
        }
    }

    /// An unquoted word (up to a space, `(` or `)`).
    fn atom(&mut self) -> Option<String> {
        self.skip_space();
        let len = self
            .rest()
            .find([' ', '(', ')', '"'])
            .unwrap_or(self.rest().len());
        if len == 0 {
            return None;
        }
        let w = self.rest()[..len].to_owned();
        self.i += len;
        Some(w)
    }

    /// A quoted string or a word.
    fn astring(&mut self) -> Option<String> {
        self.skip_space();
        if !self.rest().starts_with('"') {
            return self.atom();
        }
        let mut out = String::new();
        let mut chars = self.rest()[1..].char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                '\\' => out.push(chars.next()?.1),
                '"' => {
                    self.i += k + 2;
                    return Some(out);
                }
                c => out.push(c),
            }
        }
        None
    }

    /// `(` [astring *(SP astring)] `)`; `None` (nothing consumed) when no `(` is next.
    fn list(&mut self) -> Option<Vec<String>> {
        let start = self.i;
        self.skip_space();
        if !self.rest().starts_with('(') {
            self.i = start;
            return None;
        }
        self.i += 1;
        let mut items = Vec::new();
        loop {
            if self.rest().starts_with(')') {
                self.i += 1;
                return Some(items);
            }
            match self.astring() {
                Some(w) => items.push(w),
                None => {
                    self.i = start;
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_lists_are_split() {
        let (o, plain) = strip(b"a LIST (SUBSCRIBED) \"\" \"*\"\r\n")
            .unwrap()
            .unwrap();
        assert!(o.subscribed && o.return_subscribed && !o.return_children);
        assert_eq!(plain, b"a LIST \"\" \"*\"\r\n");
        let (o, _) = strip(b"b LIST \"\" (INBOX \"Sent\") RETURN (CHILDREN SUBSCRIBED)\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(o.patterns, ["INBOX", "Sent"]);
        assert!(o.return_children && o.return_subscribed && !o.subscribed);
        assert!(strip(b"c LIST \"\" \"*\"\r\n").unwrap().is_none());
        assert!(strip(b"c LSUB \"\" \"*\"\r\n").unwrap().is_none());
        assert!(strip(b"d LIST (RECURSIVEMATCH) \"\" \"*\"\r\n").is_err());
        assert!(strip(b"e LIST (BOGUS) \"\" \"*\"\r\n").is_err());
        assert!(strip(b"f LIST \"\" \"*\" RETURN (BOGUS)\r\n").is_err());
    }
}
