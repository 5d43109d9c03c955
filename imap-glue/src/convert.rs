//! From `imap-codec`'s parsed search criteria to the query engine's AST.
//!
//! The conversion is one to one for every RFC 3501 key; nothing of SEARCH's meaning is decided
//! here. The one rewrite: message sequence numbers are replaced by the UIDs they stand for in the
//! session's view ([`seq_to_uid_set`]), because the engine numbers messages by its own, newer,
//! snapshot of the mailbox.

use chrono::Datelike;
use imap_codec::imap_types::search::SearchKey as Key;
use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet as WireSet};
use mailfts_query::{ImapDate, SearchKey, SearchProgram, SeqBound, SeqRange, SequenceSet};

/// Why criteria could not be converted (answered with `NO` or `BAD`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConvertError {
    /// `CHARSET` other than UTF-8 / US-ASCII (`NO [BADCHARSET (UTF-8 US-ASCII)]`).
    BadCharset(String),
    /// A key this server does not support.
    Unsupported(&'static str),
}

/// The session state that search keys refer to.
#[derive(Clone, Copy, Debug, Default)]
pub struct View<'a> {
    /// The sequence → UID map (index 0 is message 1).
    pub uids: &'a [u32],
    /// The UIDs that are `\Recent` for this session, ascending; `None`: the store's notion
    /// (messages still in `new/`).
    pub recent: Option<&'a [u32]>,
}

/// Converts `[CHARSET c] keys…` into a program; several keys become one `And`.
pub fn program(
    charset: Option<&str>,
    criteria: &[Key<'_>],
    view: View<'_>,
) -> Result<SearchProgram, ConvertError> {
    if let Some(cs) = charset {
        if !mailfts_query::SUPPORTED_CHARSETS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(cs))
        {
            return Err(ConvertError::BadCharset(cs.to_owned()));
        }
    }
    let mut keys = criteria
        .iter()
        .map(|k| key(k, view))
        .collect::<Result<Vec<_>, _>>()?;
    let key = if keys.len() == 1 {
        keys.pop().expect("one key")
    } else {
        SearchKey::And(keys)
    };
    Ok(SearchProgram {
        charset: charset.map(str::to_owned),
        key,
    })
}

fn text(s: &impl AsRef<[u8]>) -> String {
    String::from_utf8_lossy(s.as_ref()).into_owned()
}

fn date(d: &imap_codec::imap_types::datetime::NaiveDate) -> Result<ImapDate, ConvertError> {
    let d: &chrono::NaiveDate = d.as_ref();
    ImapDate::new(d.year(), d.month(), d.day()).ok_or(ConvertError::Unsupported("date"))
}

/// Converts one key (RFC 3501 §6.4.4 `search-key`). `RECENT`, `NEW` and `OLD` name the session's
/// recent messages when the view has them.
pub fn key(k: &Key<'_>, view: View<'_>) -> Result<SearchKey, ConvertError> {
    use SearchKey as Q;
    let view_uids = view.uids;
    let recent = || Q::Uid(uids_to_set(view.recent.unwrap_or(&[])));
    Ok(match k {
        Key::And(keys) => Q::And(
            keys.as_ref()
                .iter()
                .map(|k| key(k, view))
                .collect::<Result<_, _>>()?,
        ),
        Key::SequenceSet(set) => Q::Uid(seq_to_uid_set(set, view_uids)),
        Key::All => Q::All,
        Key::Answered => Q::Answered,
        Key::Bcc(s) => Q::Bcc(text(s)),
        Key::Before(d) => Q::Before(date(d)?),
        Key::Body(s) => Q::Body(text(s)),
        Key::Cc(s) => Q::Cc(text(s)),
        Key::Deleted => Q::Deleted,
        Key::Draft => Q::Draft,
        Key::Flagged => Q::Flagged,
        Key::From(s) => Q::From(text(s)),
        Key::Header(name, value) => Q::Header(text(name), text(value)),
        Key::Keyword(a) => Q::Keyword(a.as_ref().to_owned()),
        Key::Larger(n) => Q::Larger(u64::from(*n)),
        Key::New if view.recent.is_some() => Q::And(vec![recent(), Q::Unseen]),
        Key::New => Q::New,
        Key::Not(k) => Q::Not(Box::new(key(k, view)?)),
        Key::Old if view.recent.is_some() => Q::Not(Box::new(recent())),
        Key::Old => Q::Old,
        Key::On(d) => Q::On(date(d)?),
        Key::Or(a, b) => Q::Or(Box::new(key(a, view)?), Box::new(key(b, view)?)),
        Key::Recent if view.recent.is_some() => recent(),
        Key::Recent => Q::Recent,
        Key::Seen => Q::Seen,
        Key::SentBefore(d) => Q::SentBefore(date(d)?),
        Key::SentOn(d) => Q::SentOn(date(d)?),
        Key::SentSince(d) => Q::SentSince(date(d)?),
        Key::Since(d) => Q::Since(date(d)?),
        Key::Smaller(n) => Q::Smaller(u64::from(*n)),
        Key::Subject(s) => Q::Subject(text(s)),
        Key::Text(s) => Q::Text(text(s)),
        Key::To(s) => Q::To(text(s)),
        Key::Uid(set) => Q::Uid(uid_set(set)),
        Key::Unanswered => Q::Unanswered,
        Key::Undeleted => Q::Undeleted,
        Key::Undraft => Q::Undraft,
        Key::Unflagged => Q::Unflagged,
        Key::Unkeyword(a) => Q::Unkeyword(a.as_ref().to_owned()),
        Key::Unseen => Q::Unseen,
        #[allow(unreachable_patterns)]
        _ => return Err(ConvertError::Unsupported("search key")),
    })
}

/// The session's meaning of a key from the query crate's own parser
/// ([`mailfts_query::parse_program`], which takes criteria nested deeper than `imap-codec` does):
/// the rewrites of [`key`] (sequence numbers to the view's UIDs, `RECENT`/`NEW`/`OLD` to the
/// session's recent messages), everything else as it is.
pub fn rebase(k: SearchKey, view: View<'_>) -> SearchKey {
    use SearchKey as Q;
    let recent = || Q::Uid(uids_to_set(view.recent.unwrap_or(&[])));
    match k {
        Q::SequenceSet(set) => Q::Uid(uids_to_set(&seq_uids(&set, view.uids))),
        Q::New if view.recent.is_some() => Q::And(vec![recent(), Q::Unseen]),
        Q::Old if view.recent.is_some() => Q::Not(Box::new(recent())),
        Q::Recent if view.recent.is_some() => recent(),
        Q::Not(k) => Q::Not(Box::new(rebase(*k, view))),
        Q::Or(a, b) => Q::Or(Box::new(rebase(*a, view)), Box::new(rebase(*b, view))),
        Q::And(keys) => Q::And(keys.into_iter().map(|k| rebase(k, view)).collect()),
        other => other,
    }
}

/// The UIDs (ascending) of the messages a sequence-number set names in the view (`*` is the
/// last message; numbers beyond it name nothing).
fn seq_uids(set: &SequenceSet, uids: &[u32]) -> Vec<u32> {
    let n = uids.len() as u32;
    let resolve = |b: SeqBound| match b {
        SeqBound::Value(v) => v,
        SeqBound::Star => n,
    };
    let mut positions: Vec<u32> = Vec::new();
    for r in &set.0 {
        let (a, b) = (resolve(r.from), resolve(r.to));
        let (lo, hi) = (a.min(b).max(1), a.max(b).min(n));
        positions.extend(lo..=hi);
    }
    positions.sort_unstable();
    positions.dedup();
    positions.iter().map(|&p| uids[p as usize - 1]).collect()
}

fn bound(b: &SeqOrUid) -> SeqBound {
    match b {
        SeqOrUid::Value(v) => SeqBound::Value(v.get()),
        SeqOrUid::Asterisk => SeqBound::Star,
    }
}

/// A UID set as written (`*` stays the engine's "largest UID").
pub fn uid_set(set: &WireSet) -> SequenceSet {
    SequenceSet(
        set.0
            .as_ref()
            .iter()
            .map(|s| match s {
                Sequence::Single(v) => SeqRange::range(bound(v), bound(v)),
                Sequence::Range(a, b) => SeqRange::range(bound(a), bound(b)),
            })
            .collect(),
    )
}

/// The 0-based view positions a sequence-number set names, ascending, without duplicates.
/// Numbers beyond the last message are ignored; `*` is the last message.
pub fn seq_positions(set: &WireSet, count: usize) -> Vec<usize> {
    let n = count as u32;
    let resolve = |b: &SeqOrUid| match b {
        SeqOrUid::Value(v) => v.get(),
        SeqOrUid::Asterisk => n,
    };
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    for s in set.0.as_ref() {
        let (a, b) = match s {
            Sequence::Single(v) => (resolve(v), resolve(v)),
            Sequence::Range(a, b) => (resolve(a), resolve(b)),
        };
        let (lo, hi) = (a.min(b), a.max(b).min(n));
        if lo >= 1 && lo <= hi {
            out.extend((lo - 1) as usize..hi as usize);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The 0-based view positions whose UIDs a UID set names (`*` is the last UID of the view; a range
/// with `*` always includes the last message, RFC 3501 §6.4.8).
pub fn uid_positions(set: &WireSet, view_uids: &[u32]) -> Vec<usize> {
    let Some(&max) = view_uids.last() else {
        return Vec::new();
    };
    let set = uid_set(set);
    view_uids
        .iter()
        .enumerate()
        .filter(|&(_, &u)| set.contains(u, max))
        .map(|(i, _)| i)
        .collect()
}

/// Ascending UIDs as a compact set (`1:3,7`); empty input gives the empty set (matches nothing).
pub fn uids_to_set(uids: &[u32]) -> SequenceSet {
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        ranges.push(SeqRange::range(
            SeqBound::Value(start),
            SeqBound::Value(end),
        ));
        i += 1;
    }
    SequenceSet(ranges)
}

/// Rewrites a sequence-number set as the set of the UIDs those numbers have in the view.
pub fn seq_to_uid_set(set: &WireSet, view_uids: &[u32]) -> SequenceSet {
    let positions = seq_positions(set, view_uids.len());
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < positions.len() {
        let start = positions[i];
        let mut end = start;
        while i + 1 < positions.len() && positions[i + 1] == end + 1 {
            i += 1;
            end = positions[i];
        }
        // Consecutive positions hold every store UID between their UIDs.
        ranges.push(SeqRange::range(
            SeqBound::Value(view_uids[start]),
            SeqBound::Value(view_uids[end]),
        ));
        i += 1;
    }
    SequenceSet(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_codec::decode::Decoder;
    use imap_codec::imap_types::command::CommandBody;
    use imap_codec::CommandCodec;

    fn criteria(cmd: &str) -> (Option<String>, Vec<Key<'static>>) {
        let (_, c) = CommandCodec::default()
            .decode_static(cmd.as_bytes())
            .expect("parses");
        match c.body {
            CommandBody::Search {
                charset, criteria, ..
            } => (
                charset.map(|c| c.as_ref().to_owned()),
                criteria.into_inner(),
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn converts_to_the_same_program_as_the_query_parser() {
        for src in [
            "OR HEADER SUBJECT x HEADER FROM x",
            "CHARSET UTF-8 UNSEEN OR SUBJECT \"q3 report\" FROM alice",
            "SINCE 1-Jan-2024 NOT DELETED BODY invoice LARGER 100",
            "UID 1:5,9:* KEYWORD $Important (TO bob CC carol)",
            "SENTBEFORE 2-Feb-2020 SENTON 3-Mar-2021 SENTSINCE 4-Apr-2022 ON 5-May-2023 BEFORE 6-Jun-2024",
            "NEW OLD RECENT SEEN ANSWERED DRAFT FLAGGED UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD x TEXT y BCC z SMALLER 5",
        ] {
            let (cs, keys) = criteria(&format!("a SEARCH {src}\r\n"));
            let got = program(cs.as_deref(), &keys, View::default()).unwrap();
            let want = mailfts_query::parse_program(src).unwrap();
            assert_eq!(got, want, "{src}");
        }
    }

    #[test]
    fn sequence_numbers_become_view_uids() {
        let (_, keys) = criteria("a SEARCH 2:3,5:*,9\r\n");
        let got = program(
            None,
            &keys,
            View {
                uids: &[10, 20, 30, 40, 50, 60],
                recent: None,
            },
        )
        .unwrap();
        assert_eq!(got.key.to_string(), "UID 20:30,50:60");
        let (_, keys) = criteria("a SEARCH 9\r\n");
        let got = program(
            None,
            &keys,
            View {
                uids: &[10, 20],
                recent: None,
            },
        )
        .unwrap();
        assert_eq!(got.key, SearchKey::Uid(SequenceSet(vec![])));
        let (cs, keys) = criteria("a SEARCH CHARSET KOI8-R ALL\r\n");
        assert_eq!(
            program(cs.as_deref(), &keys, View::default()),
            Err(ConvertError::BadCharset("KOI8-R".into()))
        );
        let (_, keys) = criteria("a SEARCH RECENT NEW OLD\r\n");
        let view = View {
            uids: &[1, 2, 3, 4],
            recent: Some(&[3, 4]),
        };
        assert_eq!(
            program(None, &keys, view).unwrap().key.to_string(),
            "(UID 3:4 (UID 3:4 UNSEEN) NOT UID 3:4)"
        );
    }
}
