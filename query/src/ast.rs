//! The IMAP SEARCH program as a tree: every search key of RFC 3501 §6.4.4.
//!
//! [`SearchKey`] and [`SearchProgram`] implement [`fmt::Display`], writing valid IMAP syntax that
//! [`crate::parse_program`] / [`crate::parse_key`] read back to an equal value:
//!
//! * text arguments (SUBJECT, BODY, HEADER values, …) are written as quoted strings with `\"` and
//!   `\\` escapes, or as a synchronizing literal `{n}\r\n…` when they contain CR or LF (a quoted
//!   string cannot). Non-ASCII text is written as UTF-8 inside the quotes (RFC 9051 `utf8-quoted`);
//! * astring arguments (HEADER field names, CHARSET) and keywords are written as atoms when they
//!   are plain ASCII atoms, otherwise as strings;
//! * an [`SearchKey::And`] is written as a parenthesised list, except at the top of a
//!   [`SearchProgram`], where its members are written one after the other (implicit AND).
//!
//! The round trip `parse(display(x)) == x` holds for every value the parser can produce. Values
//! it cannot produce are still written as semantically equal IMAP: an empty `And` as `ALL`, an empty
//! sequence set (matches nothing) as `NOT ALL`.

use std::fmt::{self, Write as _};

use mailfts_mailtext::civil::days_from_civil;

/// One IMAP search key (RFC 3501 §6.4.4), plus [`SearchKey::And`] for parenthesised lists and the
/// implicit AND of a key sequence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SearchKey {
    /// `ALL`: every message.
    All,
    /// `ANSWERED`: `\Answered` is set.
    Answered,
    /// `BCC <string>`: a `Bcc` header contains the string.
    Bcc(String),
    /// `BEFORE <date>`: internal date earlier than the date.
    Before(ImapDate),
    /// `BODY <string>`: the body (or an attachment's text) contains the string.
    Body(String),
    /// `CC <string>`: a `Cc` header contains the string.
    Cc(String),
    /// `DELETED`: `\Deleted` is set.
    Deleted,
    /// `DRAFT`: `\Draft` is set.
    Draft,
    /// `FLAGGED`: `\Flagged` is set.
    Flagged,
    /// `FROM <string>`: a `From` header contains the string.
    From(String),
    /// `HEADER <field-name> <string>`: a header of that name contains the string.
    Header(String, String),
    /// `KEYWORD <flag-keyword>`: the keyword is set.
    Keyword(String),
    /// `LARGER <n>`: RFC822.SIZE greater than n.
    Larger(u64),
    /// `NEW`: recent and not seen.
    New,
    /// `NOT <key>`.
    Not(Box<SearchKey>),
    /// `OLD`: not recent.
    Old,
    /// `ON <date>`: internal date on that day.
    On(ImapDate),
    /// `OR <key1> <key2>`.
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `RECENT`: `\Recent` is set.
    Recent,
    /// `SEEN`: `\Seen` is set.
    Seen,
    /// `SENTBEFORE <date>`: `Date:` header earlier than the date.
    SentBefore(ImapDate),
    /// `SENTON <date>`: `Date:` header on that day.
    SentOn(ImapDate),
    /// `SENTSINCE <date>`: `Date:` header on or after the date.
    SentSince(ImapDate),
    /// `SINCE <date>`: internal date on or after the date.
    Since(ImapDate),
    /// `SMALLER <n>`: RFC822.SIZE smaller than n.
    Smaller(u64),
    /// `SUBJECT <string>`: a `Subject` header contains the string.
    Subject(String),
    /// `TEXT <string>`: the header block or the body contains the string.
    Text(String),
    /// `TO <string>`: a `To` header contains the string.
    To(String),
    /// `UID <sequence-set>`: the UID is in the set.
    Uid(SequenceSet),
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNKEYWORD <flag-keyword>`.
    Unkeyword(String),
    /// `UNSEEN`.
    Unseen,
    /// `<sequence-set>`: the message sequence number is in the set.
    SequenceSet(SequenceSet),
    /// `(<key> <key> …)` or a sequence of keys: all must match (empty: every message).
    And(Vec<SearchKey>),
}

/// A calendar date as written in IMAP (`1-Feb-1994`). The parser only produces valid dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImapDate {
    /// Year (four digits in IMAP syntax).
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
}

/// The month names of IMAP dates, `Jan` first.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl ImapDate {
    /// A date, if it exists in the proleptic Gregorian calendar (year 0–9999, as IMAP can write it).
    pub fn new(year: i32, month: u32, day: u32) -> Option<ImapDate> {
        if !(0..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return None;
        }
        Some(ImapDate { year, month, day })
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(self.year as i64, self.month as i64, self.day as i64)
    }
}

/// Number of days of `month` (1–12) in `year`; 0 for an invalid month.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for ImapDate {
    /// `d-Mon-yyyy`, e.g. `1-Feb-1994`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let month = MONTHS
            .get((self.month as usize).wrapping_sub(1))
            .copied()
            .unwrap_or("???");
        write!(f, "{}-{}-{:04}", self.day, month, self.year)
    }
}

/// An IMAP sequence set (`1,3:5,7:*`): message sequence numbers or UIDs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SequenceSet(pub Vec<SeqRange>);

/// One member of a [`SequenceSet`]: `n` (from == to) or `a:b`. The bounds are unordered: `4:2`
/// is the same set as `2:4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeqRange {
    /// First bound as written.
    pub from: SeqBound,
    /// Second bound as written (equal to `from` for a single number).
    pub to: SeqBound,
}

/// A bound of a [`SeqRange`]: a number, or `*` (the largest number in use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeqBound {
    /// A non-zero number.
    Value(u32),
    /// `*`: the largest number in use in the mailbox (the last message's UID or sequence number).
    Star,
}

impl SeqBound {
    /// The number this bound stands for when `*` is `star`.
    pub fn resolve(self, star: u32) -> u32 {
        match self {
            SeqBound::Value(v) => v,
            SeqBound::Star => star,
        }
    }
}

impl SeqRange {
    /// A single number.
    pub fn single(n: u32) -> SeqRange {
        SeqRange {
            from: SeqBound::Value(n),
            to: SeqBound::Value(n),
        }
    }

    /// `a:b`.
    pub fn range(from: SeqBound, to: SeqBound) -> SeqRange {
        SeqRange { from, to }
    }

    /// True when `n` lies in this range; `*` stands for `star`. With `star == 0` (an empty mailbox)
    /// a range using `*` matches nothing. 0 is never a member.
    pub fn contains(&self, n: u32, star: u32) -> bool {
        if n == 0 {
            return false;
        }
        let uses_star = self.from == SeqBound::Star || self.to == SeqBound::Star;
        if uses_star && star == 0 {
            return false;
        }
        let (a, b) = (self.from.resolve(star), self.to.resolve(star));
        a.min(b) <= n && n <= a.max(b)
    }
}

impl SequenceSet {
    /// True when `n` is in the set; `*` stands for `star`, the largest number in use (in an empty
    /// mailbox, `star == 0`, `*` matches nothing). Ranges are unordered (`4:2` == `2:4`).
    pub fn contains(&self, n: u32, star: u32) -> bool {
        self.0.iter().any(|r| r.contains(n, star))
    }
}

impl fmt::Display for SeqBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeqBound::Value(v) => write!(f, "{v}"),
            SeqBound::Star => f.write_char('*'),
        }
    }
}

impl fmt::Display for SeqRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}:{}", self.from, self.to)
        }
    }
}

impl fmt::Display for SequenceSet {
    /// `1,3:5,7:*`. An empty set (not valid IMAP) is written as nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// A whole SEARCH command argument: `[CHARSET <astring>] <key>…`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchProgram {
    /// The charset named by `CHARSET`, as written (the parser accepts only UTF-8 and US-ASCII).
    pub charset: Option<String>,
    /// The search key; several top-level keys become one [`SearchKey::And`].
    pub key: SearchKey,
}

impl fmt::Display for SearchProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(cs) = &self.charset {
            f.write_str("CHARSET ")?;
            write_astring(f, cs)?;
            f.write_char(' ')?;
        }
        match &self.key {
            SearchKey::And(keys) if keys.len() >= 2 => {
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    write!(f, "{k}")?;
                }
                Ok(())
            }
            k => write!(f, "{k}"),
        }
    }
}

impl fmt::Display for SearchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SearchKey::*;
        let (name, arg): (&str, Option<&str>) = match self {
            All => ("ALL", None),
            Answered => ("ANSWERED", None),
            Deleted => ("DELETED", None),
            Draft => ("DRAFT", None),
            Flagged => ("FLAGGED", None),
            New => ("NEW", None),
            Old => ("OLD", None),
            Recent => ("RECENT", None),
            Seen => ("SEEN", None),
            Unanswered => ("UNANSWERED", None),
            Undeleted => ("UNDELETED", None),
            Undraft => ("UNDRAFT", None),
            Unflagged => ("UNFLAGGED", None),
            Unseen => ("UNSEEN", None),
            Bcc(s) => ("BCC", Some(s)),
            Body(s) => ("BODY", Some(s)),
            Cc(s) => ("CC", Some(s)),
            From(s) => ("FROM", Some(s)),
            Subject(s) => ("SUBJECT", Some(s)),
            Text(s) => ("TEXT", Some(s)),
            To(s) => ("TO", Some(s)),
            Before(d) => return write!(f, "BEFORE {d}"),
            On(d) => return write!(f, "ON {d}"),
            Since(d) => return write!(f, "SINCE {d}"),
            SentBefore(d) => return write!(f, "SENTBEFORE {d}"),
            SentOn(d) => return write!(f, "SENTON {d}"),
            SentSince(d) => return write!(f, "SENTSINCE {d}"),
            Larger(n) => return write!(f, "LARGER {n}"),
            Smaller(n) => return write!(f, "SMALLER {n}"),
            Header(name, value) => {
                f.write_str("HEADER ")?;
                write_astring(f, name)?;
                f.write_char(' ')?;
                return write_string(f, value);
            }
            Keyword(k) | Unkeyword(k) => {
                f.write_str(if matches!(self, Keyword(_)) {
                    "KEYWORD "
                } else {
                    "UNKEYWORD "
                })?;
                return write_flag_keyword(f, k);
            }
            Not(k) => return write!(f, "NOT {k}"),
            Or(a, b) => return write!(f, "OR {a} {b}"),
            Uid(set) if set.0.is_empty() => ("NOT ALL", None),
            SequenceSet(set) if set.0.is_empty() => ("NOT ALL", None),
            Uid(set) => return write!(f, "UID {set}"),
            SequenceSet(set) => return write!(f, "{set}"),
            And(keys) if keys.is_empty() => ("ALL", None),
            And(keys) => {
                f.write_char('(')?;
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    write!(f, "{k}")?;
                }
                return f.write_char(')');
            }
        };
        f.write_str(name)?;
        if let Some(s) = arg {
            f.write_char(' ')?;
            write_string(f, s)?;
        }
        Ok(())
    }
}

/// True for the characters of an IMAP `ASTRING-CHAR` that Display writes bare (ASCII only).
pub(crate) fn is_astring_char(b: u8) -> bool {
    (0x21..0x7f).contains(&b) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\')
}

/// Writes `s` as a quoted string, or as a literal when it contains CR or LF.
pub(crate) fn write_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    if s.bytes().any(|b| b == b'\r' || b == b'\n') {
        write!(f, "{{{}}}\r\n{s}", s.len())
    } else {
        f.write_char('"')?;
        let mut rest = s;
        while let Some(i) = rest.find(['"', '\\']) {
            f.write_str(&rest[..i])?;
            f.write_char('\\')?;
            f.write_str(&rest[i..i + 1])?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)?;
        f.write_char('"')
    }
}

/// Writes `s` as an atom when it is a non-empty run of ASCII `ASTRING-CHAR`s, else as a string.
pub(crate) fn write_astring(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    if !s.is_empty() && s.bytes().all(is_astring_char) {
        f.write_str(s)
    } else {
        write_string(f, s)
    }
}

/// Writes a keyword: bare when it is an atom or `\`atom (a system flag name), else as a string.
fn write_flag_keyword(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let body = s.strip_prefix('\\').unwrap_or(s);
    if !body.is_empty() && body.bytes().all(|b| is_astring_char(b) && b != b']') {
        f.write_str(s)
    } else {
        write_string(f, s)
    }
}
