//! Parser for IMAP SEARCH syntax text (RFC 3501 §6.4.4 and the `search` rule of §9), as typed on
//! the command line or sent over gRPC.
//!
//! * An optional `CHARSET <astring>` comes first; `UTF-8` and `US-ASCII` (any case) are accepted,
//!   any other charset is an error of kind [`ParseErrorKind::BadCharset`] (an IMAP server answers
//!   `NO [BADCHARSET (UTF-8 US-ASCII)]`).
//! * Then one or more search keys, separated by white space (SP, TAB, CR, LF): several keys form a
//!   [`SearchKey::And`], a single key is returned as is. `(a b c)` is an [`SearchKey::And`] too.
//! * Key names are case-insensitive. Strings are atoms (non-ASCII characters are accepted in atoms
//!   for command-line convenience), quoted strings with `\"` and `\\` escapes (UTF-8 allowed, as in
//!   RFC 9051), or literals `{n}\r\n…` / `{n+}\r\n…` (a bare LF after the `}` is accepted too; `n`
//!   counts bytes).
//! * Dates are `d-Mon-yyyy` or `dd-Mon-yyyy`, optionally quoted, and must exist in the calendar.
//! * LARGER/SMALLER take a 32-bit unsigned number; sequence sets take non-zero 32-bit numbers and `*`.
//! * Nesting (NOT, OR, parentheses) is limited to [`MAX_DEPTH`] levels; deeper input is an error of
//!   kind [`ParseErrorKind::TooDeep`], never a stack overflow. Parsing is linear in the input.
//!
//! Every error carries the byte offset where it was detected, what was expected and what was found.

use std::str::FromStr;

use crate::ast::{ImapDate, SearchKey, SearchProgram, SeqBound, SeqRange, SequenceSet, MONTHS};

/// Deepest nesting of NOT / OR / parentheses accepted: a key may sit inside at most this many of them.
pub const MAX_DEPTH: usize = 64;

/// The charsets accepted after `CHARSET` (for an IMAP `[BADCHARSET (…)]` response code).
pub const SUPPORTED_CHARSETS: [&str; 2] = ["UTF-8", "US-ASCII"];

/// Longest excerpt of the input quoted in [`ParseError::found`], in characters.
const MAX_FOUND_CHARS: usize = 40;

/// What went wrong, for callers that react differently (e.g. `BADCHARSET`, or asking for more input).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Malformed syntax.
    Syntax,
    /// The input ended where more was required.
    UnexpectedEnd,
    /// A date that is malformed or does not exist (31-Feb-2024).
    InvalidDate,
    /// A number out of range (more than 32 bits, or 0 in a sequence set).
    InvalidNumber,
    /// `CHARSET` named a charset other than UTF-8 / US-ASCII (the charset as written).
    BadCharset(String),
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// A syntax error in a SEARCH program.
///
/// Displays as `at byte 12: expected a date like 1-Feb-1994, found "31-Feb-2024"`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at byte {position}: expected {expected}, found {}", describe_found(.found))]
pub struct ParseError {
    /// Byte offset in the input where the problem was found.
    pub position: usize,
    /// What the grammar expected there.
    pub expected: String,
    /// The offending input (at most 40 characters); empty at the end of the input.
    pub found: String,
    /// The class of error.
    pub kind: ParseErrorKind,
}

fn describe_found(found: &str) -> String {
    if found.is_empty() {
        "end of input".to_string()
    } else {
        format!("{found:?}")
    }
}

/// Parses a SEARCH program: `[CHARSET <astring>] <search-key> *(SP <search-key>)`.
pub fn parse_program(input: &str) -> Result<SearchProgram, ParseError> {
    Parser::new(input).program()
}

/// Parses one or more search keys without a `CHARSET` prefix (several keys form an And).
pub fn parse_key(input: &str) -> Result<SearchKey, ParseError> {
    let mut p = Parser::new(input);
    p.skip_ws();
    p.top_keys()
}

impl FromStr for SearchProgram {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_program(s)
    }
}

impl FromStr for SearchKey {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_key(s)
    }
}

type PResult<T> = Result<T, ParseError>;

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `ASTRING-CHAR` (RFC 3501: `ATOM-CHAR / resp-specials`), plus any non-ASCII byte.
fn is_atom_byte(b: u8) -> bool {
    b >= 0x80 || crate::ast::is_astring_char(b)
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Parser {
            s,
            b: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// The input excerpt at `pos` for an error message: the token starting there (up to white
    /// space or a parenthesis, at least one character), at most [`MAX_FOUND_CHARS`] characters.
    fn excerpt(&self, pos: usize) -> String {
        let rest = &self.s[pos..];
        let mut end = 0;
        for (n, (i, c)) in rest.char_indices().enumerate() {
            if n == MAX_FOUND_CHARS || (n > 0 && (c.is_ascii_whitespace() || c == '(' || c == ')'))
            {
                break;
            }
            end = i + c.len_utf8();
        }
        rest[..end].to_string()
    }

    fn error(&self, pos: usize, expected: &str, kind: ParseErrorKind) -> ParseError {
        let found = self.excerpt(pos);
        let kind = if found.is_empty() && kind == ParseErrorKind::Syntax {
            ParseErrorKind::UnexpectedEnd
        } else {
            kind
        };
        ParseError {
            position: pos,
            expected: expected.to_string(),
            found,
            kind,
        }
    }

    fn syntax(&self, pos: usize, expected: &str) -> ParseError {
        self.error(pos, expected, ParseErrorKind::Syntax)
    }

    /// `SP` — one or more white-space characters (RFC 3501 requires exactly one space).
    fn sp(&mut self) -> PResult<()> {
        if self.skip_ws() {
            Ok(())
        } else {
            Err(self.syntax(self.pos, "a space"))
        }
    }

    /// After a key: white space, `)` or the end of the input.
    fn key_end(&self) -> PResult<()> {
        match self.peek() {
            None | Some(b')') => Ok(()),
            Some(b) if is_ws(b) => Ok(()),
            Some(_) => Err(self.syntax(self.pos, "a space, \")\" or the end")),
        }
    }

    /// End of the `ASTRING-CHAR` run starting at `from`.
    fn atom_end(&self, from: usize) -> usize {
        let mut i = from;
        while self.b.get(i).is_some_and(|&b| is_atom_byte(b)) {
            i += 1;
        }
        i
    }

    /// `search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key)` (RFC 3501 §9), without the
    /// command name; leading and trailing white space is ignored.
    fn program(&mut self) -> PResult<SearchProgram> {
        self.skip_ws();
        let start = self.pos;
        let end = self.atom_end(start);
        let mut charset = None;
        if self.s[start..end].eq_ignore_ascii_case("CHARSET") {
            self.pos = end;
            self.sp()?;
            let cs_pos = self.pos;
            let cs = self.astring()?;
            if !SUPPORTED_CHARSETS
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&cs))
            {
                return Err(ParseError {
                    position: cs_pos,
                    expected: "a supported charset (UTF-8 or US-ASCII)".into(),
                    found: cs.clone(),
                    kind: ParseErrorKind::BadCharset(cs),
                });
            }
            self.key_end()?;
            self.sp()?;
            charset = Some(cs);
        }
        let key = self.top_keys()?;
        Ok(SearchProgram { charset, key })
    }

    /// `1*(SP search-key)` up to the end of the input: one key as is, several as an And.
    fn top_keys(&mut self) -> PResult<SearchKey> {
        let mut keys = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None if !keys.is_empty() => break,
                Some(b')') => return Err(self.syntax(self.pos, "a search key")),
                _ => {
                    keys.push(self.key(0)?);
                    self.key_end()?;
                }
            }
        }
        Ok(if keys.len() == 1 {
            keys.pop().unwrap()
        } else {
            SearchKey::And(keys)
        })
    }

    /// `search-key = "(" search-key *(SP search-key) ")"` — the parenthesised list, as an And.
    fn paren_list(&mut self, depth: usize) -> PResult<SearchKey> {
        self.pos += 1; // "("
        let mut keys = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b')') if !keys.is_empty() => {
                    self.pos += 1;
                    return Ok(SearchKey::And(keys));
                }
                None if !keys.is_empty() => {
                    return Err(self.syntax(self.pos, "\")\" or a search key"))
                }
                _ => {
                    keys.push(self.key(depth + 1)?);
                    self.key_end()?;
                }
            }
        }
    }

    /// `search-key` (RFC 3501 §9):
    ///
    /// ```text
    /// search-key = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date / "BODY" SP astring /
    ///              "CC" SP astring / "DELETED" / "FLAGGED" / "FROM" SP astring /
    ///              "KEYWORD" SP flag-keyword / "NEW" / "OLD" / "ON" SP date / "RECENT" / "SEEN" /
    ///              "SINCE" SP date / "SUBJECT" SP astring / "TEXT" SP astring / "TO" SP astring /
    ///              "UNANSWERED" / "UNDELETED" / "UNFLAGGED" / "UNKEYWORD" SP flag-keyword /
    ///              "UNSEEN" / "DRAFT" / "HEADER" SP header-fld-name SP astring /
    ///              "LARGER" SP number / "NOT" SP search-key / "OR" SP search-key SP search-key /
    ///              "SENTBEFORE" SP date / "SENTON" SP date / "SENTSINCE" SP date /
    ///              "SMALLER" SP number / "UID" SP sequence-set / "UNDRAFT" / sequence-set /
    ///              "(" search-key *(SP search-key) ")"
    /// ```
    fn key(&mut self, depth: usize) -> PResult<SearchKey> {
        use SearchKey as K;
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(self.error(
                start,
                "at most 64 levels of NOT, OR and parentheses",
                ParseErrorKind::TooDeep,
            ));
        }
        match self.peek() {
            None => return Err(self.syntax(start, "a search key")),
            Some(b'(') => return self.paren_list(depth),
            Some(b'0'..=b'9' | b'*') => return Ok(K::SequenceSet(self.sequence_set()?)),
            Some(_) => {}
        }
        let end = self.atom_end(start);
        let word = &self.s[start..end];
        let mut buf = [0u8; 10];
        let name = if word.is_empty() || word.len() > buf.len() {
            ""
        } else {
            buf[..word.len()].copy_from_slice(word.as_bytes());
            buf[..word.len()].make_ascii_uppercase();
            std::str::from_utf8(&buf[..word.len()]).unwrap_or("")
        };
        self.pos = end;
        let key = match name {
            "ALL" => K::All,
            "ANSWERED" => K::Answered,
            "DELETED" => K::Deleted,
            "DRAFT" => K::Draft,
            "FLAGGED" => K::Flagged,
            "NEW" => K::New,
            "OLD" => K::Old,
            "RECENT" => K::Recent,
            "SEEN" => K::Seen,
            "UNANSWERED" => K::Unanswered,
            "UNDELETED" => K::Undeleted,
            "UNDRAFT" => K::Undraft,
            "UNFLAGGED" => K::Unflagged,
            "UNSEEN" => K::Unseen,
            "BCC" => K::Bcc(self.sp_astring()?),
            "BODY" => K::Body(self.sp_astring()?),
            "CC" => K::Cc(self.sp_astring()?),
            "FROM" => K::From(self.sp_astring()?),
            "SUBJECT" => K::Subject(self.sp_astring()?),
            "TEXT" => K::Text(self.sp_astring()?),
            "TO" => K::To(self.sp_astring()?),
            "BEFORE" => K::Before(self.sp_date()?),
            "ON" => K::On(self.sp_date()?),
            "SINCE" => K::Since(self.sp_date()?),
            "SENTBEFORE" => K::SentBefore(self.sp_date()?),
            "SENTON" => K::SentOn(self.sp_date()?),
            "SENTSINCE" => K::SentSince(self.sp_date()?),
            "LARGER" => {
                self.sp()?;
                K::Larger(self.number()?.into())
            }
            "SMALLER" => {
                self.sp()?;
                K::Smaller(self.number()?.into())
            }
            "HEADER" => {
                let field = self.sp_astring()?;
                K::Header(field, self.sp_astring()?)
            }
            "KEYWORD" => {
                self.sp()?;
                K::Keyword(self.flag_keyword()?)
            }
            "UNKEYWORD" => {
                self.sp()?;
                K::Unkeyword(self.flag_keyword()?)
            }
            "UID" => {
                self.sp()?;
                K::Uid(self.sequence_set()?)
            }
            "NOT" => {
                self.sp()?;
                K::Not(Box::new(self.key(depth + 1)?))
            }
            "OR" => {
                self.sp()?;
                let a = self.key(depth + 1)?;
                self.sp()?;
                let b = self.key(depth + 1)?;
                K::Or(Box::new(a), Box::new(b))
            }
            _ => return Err(self.syntax(start, "a search key")),
        };
        Ok(key)
    }

    /// `SP astring`.
    fn sp_astring(&mut self) -> PResult<String> {
        self.sp()?;
        self.astring()
    }

    /// `SP date`.
    fn sp_date(&mut self) -> PResult<ImapDate> {
        self.sp()?;
        self.date()
    }

    /// `astring = 1*ASTRING-CHAR / string` and `string = quoted / literal`.
    fn astring(&mut self) -> PResult<String> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            _ => {
                let start = self.pos;
                let end = self.atom_end(start);
                if end == start {
                    return Err(self.syntax(start, "a string"));
                }
                self.pos = end;
                Ok(self.s[start..end].to_string())
            }
        }
    }

    /// `quoted = DQUOTE *QUOTED-CHAR DQUOTE`, `QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> /
    /// "\" quoted-specials` (RFC 3501), extended to UTF-8 characters (RFC 9051 `utf8-quoted`).
    fn quoted(&mut self) -> PResult<String> {
        self.pos += 1; // DQUOTE
        let mut out = String::new();
        loop {
            let rest = &self.b[self.pos..];
            let Some(i) = rest
                .iter()
                .position(|&b| matches!(b, b'"' | b'\\' | b'\r' | b'\n'))
            else {
                return Err(self.syntax(self.b.len(), "a closing '\"'"));
            };
            out.push_str(&self.s[self.pos..self.pos + i]);
            self.pos += i;
            match rest[i] {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => match self.b.get(self.pos + 1) {
                    Some(&c @ (b'"' | b'\\')) => {
                        out.push(c as char);
                        self.pos += 2;
                    }
                    _ => {
                        return Err(
                            self.syntax(self.pos, "\\\" or \\\\ (only \" and \\ may be escaped)")
                        )
                    }
                },
                _ => return Err(self.syntax(self.pos, "a closing '\"' (CR and LF need a literal)")),
            }
        }
    }

    /// `literal = "{" number ["+"] "}" CRLF *CHAR8` (RFC 3501, with the non-synchronizing `+` of
    /// RFC 7888); a bare LF instead of CRLF is accepted. The data must be whole UTF-8 characters.
    fn literal(&mut self) -> PResult<String> {
        self.pos += 1; // "{"
        let n = self.number()? as usize;
        if self.peek() == Some(b'+') {
            self.pos += 1;
        }
        if self.peek() != Some(b'}') {
            return Err(self.syntax(self.pos, "\"}\""));
        }
        self.pos += 1;
        if self.b[self.pos..].starts_with(b"\r\n") {
            self.pos += 2;
        } else if self.peek() == Some(b'\n') {
            self.pos += 1;
        } else {
            return Err(self.syntax(self.pos, "CRLF after the literal's \"}\""));
        }
        let start = self.pos;
        if n > self.b.len() - start {
            return Err(ParseError {
                position: self.b.len(),
                expected: format!("{n} bytes of literal data"),
                found: String::new(),
                kind: ParseErrorKind::UnexpectedEnd,
            });
        }
        if !self.s.is_char_boundary(start + n) {
            return Err(self.syntax(start, "literal data ending at a UTF-8 character boundary"));
        }
        self.pos = start + n;
        Ok(self.s[start..start + n].to_string())
    }

    /// `flag-keyword = atom`; a string, or a system flag name `"\" atom`, is accepted too.
    fn flag_keyword(&mut self) -> PResult<String> {
        if self.peek() == Some(b'\\') {
            let start = self.pos;
            let end = self.atom_end(start + 1);
            if end == start + 1 {
                return Err(self.syntax(start, "a keyword"));
            }
            self.pos = end;
            return Ok(self.s[start..end].to_string());
        }
        self.astring()
    }

    /// `number = 1*DIGIT` — unsigned 32-bit integer.
    fn number(&mut self) -> PResult<u32> {
        let start = self.pos;
        let mut value: u64 = 0;
        let mut overflow = false;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            value = value * 10 + u64::from(d - b'0');
            if value > u64::from(u32::MAX) {
                overflow = true;
                value = 0;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.syntax(start, "a number"));
        }
        if overflow {
            let found = self.s[start..self.pos]
                .chars()
                .take(MAX_FOUND_CHARS)
                .collect();
            return Err(ParseError {
                position: start,
                expected: "a number from 0 to 4294967295".into(),
                found,
                kind: ParseErrorKind::InvalidNumber,
            });
        }
        Ok(value as u32)
    }

    /// `sequence-set = (seq-number / seq-range) *("," (seq-number / seq-range))`,
    /// `seq-range = seq-number ":" seq-number`.
    fn sequence_set(&mut self) -> PResult<SequenceSet> {
        let mut ranges = Vec::new();
        loop {
            let from = self.seq_number()?;
            let to = if self.peek() == Some(b':') {
                self.pos += 1;
                self.seq_number()?
            } else {
                from
            };
            ranges.push(SeqRange { from, to });
            if self.peek() != Some(b',') {
                return Ok(SequenceSet(ranges));
            }
            self.pos += 1;
        }
    }

    /// `seq-number = nz-number / "*"`, `nz-number = digit-nz *DIGIT` (32-bit).
    fn seq_number(&mut self) -> PResult<SeqBound> {
        match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                Ok(SeqBound::Star)
            }
            Some(b'0'..=b'9') => {
                let start = self.pos;
                match self.number()? {
                    0 => Err(self.error(start, "a non-zero number", ParseErrorKind::InvalidNumber)),
                    n => Ok(SeqBound::Value(n)),
                }
            }
            _ => Err(self.syntax(self.pos, "a sequence number or \"*\"")),
        }
    }

    /// `date = date-text / DQUOTE date-text DQUOTE`,
    /// `date-text = date-day "-" date-month "-" date-year`, `date-day = 1*2DIGIT`,
    /// `date-month = "Jan" / "Feb" / … / "Dec"` (any case), `date-year = 4DIGIT`; the date must exist.
    fn date(&mut self) -> PResult<ImapDate> {
        let quoted = self.peek() == Some(b'"');
        if quoted {
            self.pos += 1;
        }
        let start = self.pos;
        let mut end = start;
        while self
            .b
            .get(end)
            .is_some_and(|&b| !is_ws(b) && !matches!(b, b'(' | b')' | b'"'))
        {
            end += 1;
        }
        let text = &self.s[start..end];
        let Some(date) = parse_date_text(text) else {
            if text.is_empty() {
                return Err(self.syntax(start, "a date like 1-Feb-1994"));
            }
            return Err(ParseError {
                position: start,
                expected: "a date like 1-Feb-1994".into(),
                found: text.chars().take(MAX_FOUND_CHARS).collect(),
                kind: ParseErrorKind::InvalidDate,
            });
        };
        self.pos = end;
        if quoted {
            if self.peek() != Some(b'"') {
                return Err(self.syntax(self.pos, "a closing '\"'"));
            }
            self.pos += 1;
        }
        Ok(date)
    }
}

/// `date-text` without quotes, validated against the calendar.
fn parse_date_text(text: &str) -> Option<ImapDate> {
    let mut parts = text.split('-');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let digits = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(day, 1..=2) || !digits(year, 4..=4) {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as u32 + 1;
    ImapDate::new(year.parse().ok()?, month, day.parse().ok()?)
}
