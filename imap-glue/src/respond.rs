//! Writing the session's responses as `imap-types` values encoded by `imap-codec`'s
//! [`ResponseCodec`]: the one place where a [`Data`] or [`Status`] of the session becomes bytes.
//!
//! Built here: `EXISTS`, `RECENT`, `EXPUNGE`, `SEARCH` and `SORT` (CONDSTORE's ` (MODSEQ n)` is
//! added by the session), `FLAGS` with `OK [PERMANENTFLAGS (…)]`, the `OK [UNSEEN n]`,
//! `[UIDVALIDITY n]`, `[UIDNEXT n]`, `[HIGHESTMODSEQ n]` and `[CLOSED]` of SELECT, `NAMESPACE`,
//! `ID`, `BYE`, and the tagged `OK`/`NO`/`BAD` that ends every command.
//!
//! Written by hand elsewhere, because `imap-types` 2.0.0-alpha.8 (the types of `imap-codec`
//! 2.0.0-alpha.10) cannot say what we send, or would say it in other bytes than the Dovecot 2.3
//! answers recorded in the transcript tests (`tests/transcripts/*.txt`):
//!
//! * `LIST`, `LSUB`, `STATUS` (session and NOTIFY): Dovecot quotes every mailbox name (`"INBOX"`,
//!   `"Sent"`), while `Mailbox::Inbox` is always encoded as the bare atom `INBOX` and
//!   `MailboxOther` refuses the name INBOX; LIST-EXTENDED's `(CHILDINFO ("SUBSCRIBED"))` has no
//!   type without `ext_list_extended`.
//! * `CAPABILITY` (untagged and in `[CAPABILITY …]`): `Capability::Imap4Rev1` is encoded as
//!   `IMAP4REV1`; Dovecot and our transcripts say `IMAP4rev1`.
//! * `FETCH` (also the unsolicited `FETCH (FLAGS …)` and CONDSTORE's `MODSEQ`): the items are
//!   rendered from the raw message (`BODYSTRUCTURE`, `ENVELOPE` by [`crate::mime`] as Dovecot renders
//!   them, `BINARY` by [`crate::binary`], quoting and literals decided by [`crate::wire`]);
//!   `MessageDataItem` would re-decide them, and `FlagFetch` cannot hold a keyword that is no atom.
//! * `ESEARCH` ([`crate::esearch`], [`crate::context`]): no type in `imap-types`.
//! * `VANISHED` (QRESYNC): `Data::Vanished` holds a `SequenceSet` we would first have to build
//!   from the ranges the session computes; kept with the rest of the CONDSTORE module's writing.
//! * `THREAD` ([`crate::sort`]), `ENABLED` and `* OK [COPYUID …] Moved`: not converted yet (the
//!   types exist); the bytes are the same either way.
//! * Response codes inside a tagged status: the commands answer with texts such as
//!   `[APPENDUID 7 3:5] APPEND completed` or `[NONEXISTENT] Mailbox does not exist`; `Code` has
//!   no variant for most RFC 5530 codes and `Code::AppendUid` holds one UID, not MULTIAPPEND's
//!   set, so the code stays the head of the status [`Text`] (which `imap-types` allows).
//! * A text that `Text` refuses (empty, 8-bit, CR or LF) and a keyword that is no atom: written as
//!   they are, as before this module.

use std::num::{NonZeroU32, NonZeroU64};

use imap_codec::encode::Encoder;
use imap_codec::imap_types::core::{Atom, IString, NString, Quoted, QuotedChar, Tag, Text};
use imap_codec::imap_types::extensions::namespace::Namespace;
use imap_codec::imap_types::flag::{Flag, FlagPerm};
use imap_codec::imap_types::response::{Code, Data, Response, Status, StatusKind};
use imap_codec::ResponseCodec;

/// Appends the encoded `response`.
fn put(out: &mut Vec<u8>, response: Response<'_>) {
    out.extend_from_slice(&ResponseCodec::default().encode(&response).dump());
}

/// `* n EXISTS`.
pub(crate) fn exists(out: &mut Vec<u8>, n: u32) {
    put(out, Response::Data(Data::Exists(n)));
}

/// `* n RECENT`.
pub(crate) fn recent(out: &mut Vec<u8>, n: u32) {
    put(out, Response::Data(Data::Recent(n)));
}

/// `* seq EXPUNGE` (sequence numbers start at 1; a 0 writes nothing).
pub(crate) fn expunge(out: &mut Vec<u8>, seq: u32) {
    if let Some(seq) = NonZeroU32::new(seq) {
        put(out, Response::Data(Data::Expunge(seq)));
    }
}

/// `* SEARCH 2 5` or, with `sort`, `* SORT 5 2` (zeros, which no message has, are left out).
pub(crate) fn ids(out: &mut Vec<u8>, sort: bool, ids: &[u32]) {
    let ids: Vec<NonZeroU32> = ids.iter().copied().filter_map(NonZeroU32::new).collect();
    put(
        out,
        Response::Data(if sort {
            Data::Sort(ids, None)
        } else {
            Data::Search(ids, None)
        }),
    );
}

/// The flags a mailbox offers: the system flags in Dovecot's order, `$Forwarded` and `keywords`.
/// `None` when a keyword is no atom (a keywords file written by another program).
fn mailbox_flags(keywords: &[String]) -> Option<Vec<Flag<'_>>> {
    let mut flags = vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
        Flag::Keyword(Atom::try_from("$Forwarded").ok()?),
    ];
    for k in keywords {
        flags.push(Flag::Keyword(Atom::try_from(k.as_str()).ok()?));
    }
    Some(flags)
}

/// The untagged `FLAGS` and `OK [PERMANENTFLAGS …]` of a mailbox with these keywords (no permanent
/// flags when it is read-only).
pub(crate) fn flags(out: &mut Vec<u8>, keywords: &[String], read_only: bool) {
    let Some(flags) = mailbox_flags(keywords) else {
        // Not expressible as flags of imap-types: the same line by hand.
        let all: String = ["\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded"]
            .into_iter()
            .chain(keywords.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let permanent = if read_only {
            String::new()
        } else {
            format!("{all} \\*")
        };
        out.extend_from_slice(
            format!("* FLAGS ({all})\r\n* OK [PERMANENTFLAGS ({permanent})] Flags permitted\r\n")
                .as_bytes(),
        );
        return;
    };
    let permanent: Vec<FlagPerm<'_>> = if read_only {
        Vec::new()
    } else {
        let mut p: Vec<FlagPerm<'_>> = flags.iter().cloned().map(FlagPerm::Flag).collect();
        p.push(FlagPerm::Asterisk);
        p
    };
    put(out, Response::Data(Data::Flags(flags)));
    untagged_ok(out, Code::PermanentFlags(permanent), "Flags permitted");
}

/// `* OK [code] text`.
pub(crate) fn untagged_ok(out: &mut Vec<u8>, code: Code<'_>, text: &'static str) {
    if let Ok(status) = Status::ok(None, Some(code), text) {
        put(out, Response::Status(status));
    }
}

/// `* OK [NAME n] text` for the numeric codes of SELECT (`code` makes the [`Code`]; `name` is its
/// name, for a 0, which `Code` cannot hold and which is written as it is).
pub(crate) fn untagged_number(
    out: &mut Vec<u8>,
    code: fn(NonZeroU32) -> Code<'static>,
    name: &str,
    n: u32,
    text: &'static str,
) {
    match NonZeroU32::new(n) {
        Some(n) => untagged_ok(out, code(n), text),
        None => out.extend_from_slice(format!("* OK [{name} 0] {text}\r\n").as_bytes()),
    }
}

/// `* OK [HIGHESTMODSEQ n] Highest` (RFC 7162); a 0, which `Code` cannot hold, is written as it is.
pub(crate) fn highest_modseq(out: &mut Vec<u8>, n: u64) {
    match NonZeroU64::new(n) {
        Some(n) => untagged_ok(out, Code::HighestModSeq(n), "Highest"),
        None => out.extend_from_slice(b"* OK [HIGHESTMODSEQ 0] Highest\r\n"),
    }
}

/// `* NAMESPACE (("" ".")) NIL NIL`: one personal namespace, the whole tree, `.` separated.
pub(crate) fn namespace(out: &mut Vec<u8>) {
    let (Ok(prefix), Ok(delimiter)) = (Quoted::try_from(""), QuotedChar::try_from('.')) else {
        return;
    };
    let personal = vec![Namespace::new(IString::Quoted(prefix), Some(delimiter))];
    put(
        out,
        Response::Data(Data::Namespace {
            personal,
            other: Vec::new(),
            shared: Vec::new(),
        }),
    );
}

/// `* ID (…)` with these field names and values, all quoted.
pub(crate) fn id(out: &mut Vec<u8>, fields: &[(&'static str, &'static str)]) {
    let quoted = |s: &'static str| Quoted::try_from(s).ok().map(IString::Quoted);
    let parameters: Option<Vec<(IString<'_>, NString<'_>)>> = fields
        .iter()
        .map(|&(k, v)| Some((quoted(k)?, NString(Some(quoted(v)?)))))
        .collect();
    if let Some(parameters) = parameters {
        put(
            out,
            Response::Data(Data::Id {
                parameters: Some(parameters),
            }),
        );
    }
}

/// `* BYE text`.
pub(crate) fn bye(out: &mut Vec<u8>, text: &str) {
    match Status::bye(None, text) {
        Ok(status) => put(out, Response::Status(status)),
        Err(_) => out.extend_from_slice(format!("* BYE {text}\r\n").as_bytes()),
    }
}

/// `tag OK|NO|BAD text`, the end of a command.
pub(crate) fn tagged(out: &mut Vec<u8>, tag: &str, kind: StatusKind, text: &str) {
    let status = Tag::try_from(tag).ok().and_then(|tag| {
        Text::try_from(text)
            .ok()
            .and_then(|text| Status::new(Some(tag), kind, None, text).ok())
    });
    match status {
        Some(status) => put(out, Response::Status(status)),
        None => {
            let word = match kind {
                StatusKind::Ok => "OK",
                StatusKind::No => "NO",
                StatusKind::Bad => "BAD",
            };
            out.extend_from_slice(format!("{tag} {word} {text}\r\n").as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn data_lines_are_the_ones_dovecot_sends() {
        assert_eq!(text(|o| exists(o, 0)), "* 0 EXISTS\r\n");
        assert_eq!(text(|o| recent(o, 3)), "* 3 RECENT\r\n");
        assert_eq!(text(|o| expunge(o, 2)), "* 2 EXPUNGE\r\n");
        assert_eq!(text(|o| ids(o, false, &[])), "* SEARCH\r\n");
        assert_eq!(text(|o| ids(o, true, &[5, 2])), "* SORT 5 2\r\n");
    }

    #[test]
    fn flags_and_permanent_flags() {
        let kw = vec!["$Junk".to_owned(), "work".to_owned()];
        assert_eq!(
            text(|o| flags(o, &kw, false)),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk work)\r\n\
             * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk work \\*)] Flags permitted\r\n"
        );
        assert_eq!(
            text(|o| flags(o, &[], true)),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n\
             * OK [PERMANENTFLAGS ()] Flags permitted\r\n"
        );
        // A keyword that is no atom is written as it is, as before.
        let odd = vec!["a]b".to_owned()];
        assert!(text(|o| flags(o, &odd, false)).starts_with(
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded a]b)\r\n"
        ));
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            text(|o| tagged(o, "a1", StatusKind::Ok, "[READ-WRITE] SELECT completed")),
            "a1 OK [READ-WRITE] SELECT completed\r\n"
        );
        assert_eq!(
            text(|o| tagged(o, "a2", StatusKind::No, "caf\u{e9}")),
            "a2 NO caf\u{e9}\r\n"
        );
        assert_eq!(text(|o| bye(o, "Logging out")), "* BYE Logging out\r\n");
        assert_eq!(text(namespace), "* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
        assert_eq!(
            text(|o| id(o, &[("name", "mailfts"), ("vendor", "mailfts")])),
            "* ID (\"name\" \"mailfts\" \"vendor\" \"mailfts\")\r\n"
        );
        assert_eq!(
            text(|o| untagged_number(o, Code::UidValidity, "UIDVALIDITY", 7, "UIDs valid")),
            "* OK [UIDVALIDITY 7] UIDs valid\r\n"
        );
        assert_eq!(
            text(|o| highest_modseq(o, 12)),
            "* OK [HIGHESTMODSEQ 12] Highest\r\n"
        );
        assert_eq!(
            text(|o| untagged_number(o, Code::Unseen, "UNSEEN", 0, "First unseen")),
            "* OK [UNSEEN 0] First unseen\r\n"
        );
    }
}
