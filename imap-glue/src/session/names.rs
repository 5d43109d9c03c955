//! Mailbox names: decoding the client's (modified UTF-7) names, writing them back, special-use
//! attributes and LIST/LSUB wildcard patterns.

use imap_codec::imap_types::mailbox::Mailbox as WireMailbox;
use mailfts_store::mutf7;

use crate::wire;

use super::*;

/// The mailbox name (UTF-8) a client's mailbox argument stands for, validated.
pub fn mailbox_name(m: &WireMailbox<'_>) -> Result<String, String> {
    match m {
        WireMailbox::Inbox => Ok("INBOX".into()),
        WireMailbox::Other(o) => decode_name(o.as_ref()),
    }
}

/// [`mailbox_name`] with a failure as the session answers it: `NO [CANNOT] …`.
pub(super) fn name_arg(m: &WireMailbox<'_>) -> Result<String, Status> {
    mailbox_name(m).map_err(|e| Status::No(format!("[CANNOT] {e}")))
}

pub(super) fn decode_name(raw: &[u8]) -> Result<String, String> {
    let s = std::str::from_utf8(raw).map_err(|_| "mailbox name is not UTF-8".to_string())?;
    let name = if s.is_ascii() {
        mutf7::decode(s).map_err(|e| e.to_string())?
    } else {
        s.to_owned()
    };
    let name = name.strip_suffix('.').unwrap_or(&name).to_owned();
    if mailfts_store::is_inbox(&name) {
        return Ok("INBOX".into());
    }
    mailfts_store::validate_mailbox_name(&name).map_err(|e| e.to_string())?;
    Ok(name)
}

pub(super) fn wire_name(out: &mut Vec<u8>, name: &str) {
    if name == "INBOX" {
        out.extend_from_slice(b"\"INBOX\"");
    } else {
        wire::string(out, mutf7::encode(name).as_bytes());
    }
}

pub(super) fn special_use(name: &str) -> Option<&'static str> {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    Some(match last.as_str() {
        "sent" | "sent messages" | "sent items" | "sent mail" => "\\Sent",
        "drafts" | "draft" => "\\Drafts",
        "trash" | "deleted messages" | "deleted items" | "bin" => "\\Trash",
        "junk" | "spam" | "junk e-mail" => "\\Junk",
        "archive" | "archives" => "\\Archive",
        _ => return None,
    })
}

/// A LIST/LSUB mailbox pattern as a predicate on names (`INBOX` matched case-insensitively).
pub(super) fn pattern_matcher(pattern: &str) -> impl Fn(&str) -> bool {
    let pchars: Vec<char> = pattern.chars().collect();
    let upper: Vec<char> = pattern.to_ascii_uppercase().chars().collect();
    move |name: &str| {
        let nchars: Vec<char> = name.chars().collect();
        wildcard_match(&pchars, &nchars) || (name == "INBOX" && wildcard_match(&upper, &nchars))
    }
}

/// `*` matches anything, `%` anything but the hierarchy separator (RFC 3501 §6.3.8).
pub fn wildcard_match(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|i| wildcard_match(rest, &name[i..])),
        Some(('%', rest)) => (0..=name.len())
            .take_while(|&i| i == 0 || name[i - 1] != '.')
            .any(|i| wildcard_match(rest, &name[i..])),
        Some((c, rest)) => name.first() == Some(c) && wildcard_match(rest, &name[1..]),
    }
}
