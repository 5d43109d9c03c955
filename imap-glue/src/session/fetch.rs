//! FETCH: the data items of each message, body sections and their names.

use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::fetch::{
    Macro, MacroOrMessageDataItemNames, MessageDataItemName, Part as WirePart, Section,
};
use imap_codec::imap_types::sequence::SequenceSet as WireSet;
use mailfts_store::Flags;

use crate::{binary, mime, wire};

use super::view::flag_list;
use super::*;

pub(super) fn internal_date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%d-%b-%Y %H:%M:%S +0000")
        .to_string()
}

impl Session {
    pub(super) fn fetch(
        &mut self,
        set: &WireSet,
        items: &MacroOrMessageDataItemNames<'_>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        self.refresh(out, uid).map_err(Status::No)?;
        let positions = self.positions(set, uid)?;
        let positions = self.only_changed(positions);
        let mut names: Vec<MessageDataItemName<'_>> = match items {
            MacroOrMessageDataItemNames::Macro(m) => {
                let mut v = vec![
                    MessageDataItemName::Flags,
                    MessageDataItemName::InternalDate,
                    MessageDataItemName::Rfc822Size,
                ];
                match m {
                    Macro::Fast => {}
                    Macro::All => v.push(MessageDataItemName::Envelope),
                    Macro::Full => {
                        v.push(MessageDataItemName::Envelope);
                        v.push(MessageDataItemName::Body);
                    }
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
                v
            }
            MacroOrMessageDataItemNames::MessageDataItemNames(v) => v.clone(),
        };
        if uid && !names.contains(&MessageDataItemName::Uid) {
            names.insert(0, MessageDataItemName::Uid);
        }
        let view = self.selected()?;
        let sets_seen = !view.read_only
            && names.iter().any(|n| {
                matches!(
                    n,
                    MessageDataItemName::BodyExt { peek: false, .. }
                        | MessageDataItemName::Binary { peek: false, .. }
                        | MessageDataItemName::Rfc822
                        | MessageDataItemName::Rfc822Text
                )
            });
        let needs_content = names.iter().any(|n| {
            !matches!(
                n,
                MessageDataItemName::Uid
                    | MessageDataItemName::Flags
                    | MessageDataItemName::InternalDate
                    | MessageDataItemName::Rfc822Size
                    | MessageDataItemName::ModSeq
            )
        });
        let needs_size = names.contains(&MessageDataItemName::Rfc822Size);
        let mut expunged = false;
        for pos in positions {
            let uid_v = view.uids[pos];
            let Some(entry) = view.snapshot.entry(uid_v) else {
                expunged = true;
                continue;
            };
            let mut flags = entry.flags;
            let mut keywords = entry.keywords.clone();
            let mut flags_changed = false;
            if sets_seen && !flags.contains(Flags::SEEN) {
                flags.set(Flags::SEEN, true);
                let kw: Vec<&str> = keywords.iter().map(String::as_str).collect();
                if view.mailbox.set_flags(uid_v, flags, &kw).is_ok() {
                    flags_changed = true;
                    view.set_told(pos, flags, &keywords);
                } else {
                    flags.set(Flags::SEEN, false);
                }
            }
            // RFC822.SIZE alone is answered from the file name's `W=` size when it has one.
            let needs_content = needs_content || (needs_size && entry.vsize_hint.is_none());
            let content = if needs_content {
                let read = entry.read().or_else(|_| {
                    // Renamed since our sync (a flag change elsewhere): look again.
                    let snap = view.mailbox.sync().map_err(std::io::Error::other)?;
                    let e = snap.entry(uid_v).ok_or(std::io::ErrorKind::NotFound)?;
                    flags = e.flags;
                    keywords = e.keywords.clone();
                    e.read()
                });
                match read {
                    Ok(raw) => Some(wire::to_crlf(raw)),
                    Err(_) => {
                        expunged = true;
                        continue;
                    }
                }
            } else {
                None
            };
            let mut parsed: Option<mime::Part> = None;
            let mut items_out: Vec<Vec<u8>> = Vec::new();
            let mut flags_sent = false;
            let mut failed: Option<binary::BinaryError> = None;
            for name in &names {
                let mut item = Vec::new();
                match name {
                    MessageDataItemName::Uid => {
                        item.extend_from_slice(format!("UID {uid_v}").as_bytes())
                    }
                    MessageDataItemName::Flags => {
                        flags_sent = true;
                        item.extend_from_slice(
                            format!(
                                "FLAGS {}",
                                flag_list(flags, &keywords, view.recent.contains(&uid_v))
                            )
                            .as_bytes(),
                        );
                    }
                    MessageDataItemName::InternalDate => {
                        let secs = entry.internal_date().unwrap_or(0);
                        item.extend_from_slice(
                            format!("INTERNALDATE \"{}\"", internal_date(secs)).as_bytes(),
                        );
                    }
                    MessageDataItemName::ModSeq => {
                        item.extend_from_slice(format!("MODSEQ ({})", entry.modseq).as_bytes())
                    }
                    MessageDataItemName::Rfc822Size => {
                        let n = match &content {
                            Some(c) => c.len() as u64,
                            None => entry.vsize_hint.unwrap_or(0),
                        };
                        item.extend_from_slice(format!("RFC822.SIZE {n}").as_bytes());
                    }
                    MessageDataItemName::Binary { section, .. }
                    | MessageDataItemName::BinarySize { section } => {
                        let msg = content.as_deref().unwrap_or(&[]);
                        let root = parsed.get_or_insert_with(|| mime::parse(msg, 0..msg.len()));
                        let path: Vec<u32> = section.iter().map(|n| n.get()).collect();
                        let want = match name {
                            MessageDataItemName::Binary { partial, .. } => {
                                binary::Want::Content(partial.map(|(s, l)| (s, l.get())))
                            }
                            _ => binary::Want::Size,
                        };
                        if let Err(e) = binary::fetch_item(&mut item, &path, want, msg, root) {
                            failed = Some(e);
                            break;
                        }
                    }
                    other => {
                        let msg = content.as_deref().unwrap_or(&[]);
                        let root = parsed.get_or_insert_with(|| mime::parse(msg, 0..msg.len()));
                        if !fetch_content_item(&mut item, other, msg, root) {
                            continue;
                        }
                    }
                }
                items_out.push(item);
            }
            if flags_changed && !flags_sent {
                items_out.push(
                    format!(
                        "FLAGS {}",
                        flag_list(flags, &keywords, view.recent.contains(&uid_v))
                    )
                    .into_bytes(),
                );
            }
            if let (Some(e), true) = (failed, items_out.is_empty()) {
                return Err(Status::No(e.response().into()));
            }
            out.extend_from_slice(format!("* {} FETCH (", pos + 1).as_bytes());
            for (i, it) in items_out.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(it);
            }
            out.extend_from_slice(b")\r\n");
            if let Some(e) = failed {
                // As Dovecot 2.3: the FETCH stops at the first part it cannot decode.
                return Err(Status::No(e.response().into()));
            }
        }
        if expunged {
            return Err(Status::No(
                "[EXPUNGEISSUED] Some messages were expunged".into(),
            ));
        }
        Ok("FETCH completed".into())
    }
}

pub(super) fn part_path(p: &Option<WirePart>) -> Vec<u32> {
    p.as_ref()
        .map(|p| p.0.as_ref().iter().map(|n| n.get()).collect())
        .unwrap_or_default()
}

pub(super) fn section_name(section: &Option<Section<'_>>) -> String {
    let prefix = |p: &Option<WirePart>| {
        let path = part_path(p);
        if path.is_empty() {
            String::new()
        } else {
            format!(
                "{}.",
                path.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(".")
            )
        }
    };
    let names = |v: &Vec1<imap_codec::imap_types::core::AString<'_>>| {
        let mut out = Vec::new();
        for (i, n) in v.as_ref().iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            wire::astring(&mut out, n.as_ref());
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    match section {
        None => String::new(),
        Some(Section::Part(p)) => {
            p.0.as_ref()
                .iter()
                .map(|n| n.get().to_string())
                .collect::<Vec<_>>()
                .join(".")
        }
        Some(Section::Header(p)) => format!("{}HEADER", prefix(p)),
        Some(Section::HeaderFields(p, v)) => format!("{}HEADER.FIELDS ({})", prefix(p), names(v)),
        Some(Section::HeaderFieldsNot(p, v)) => {
            format!("{}HEADER.FIELDS.NOT ({})", prefix(p), names(v))
        }
        Some(Section::Text(p)) => format!("{}TEXT", prefix(p)),
        Some(Section::Mime(p)) => format!(
            "{}.MIME",
            p.0.as_ref()
                .iter()
                .map(|n| n.get().to_string())
                .collect::<Vec<_>>()
                .join(".")
        ),
    }
}

/// The bytes a section names (RFC 3501 §6.4.5), empty when the part does not exist.
pub(super) fn section_bytes(
    section: &Option<Section<'_>>,
    msg: &[u8],
    root: &mime::Part,
) -> Vec<u8> {
    // The message whose header/text a `[p.]HEADER`/`TEXT` names.
    let message_at = |p: &Option<WirePart>| -> Option<&mime::Part> {
        let path = part_path(p);
        if path.is_empty() {
            return Some(root);
        }
        mime::locate(root, &path).and_then(|part| part.message.as_deref())
    };
    let slice = |r: std::ops::Range<usize>| msg[r].to_vec();
    match section {
        None => msg.to_vec(),
        Some(Section::Part(p)) => {
            let path: Vec<u32> = p.0.as_ref().iter().map(|n| n.get()).collect();
            mime::locate(root, &path)
                .map(|part| slice(part.body.clone()))
                .unwrap_or_default()
        }
        Some(Section::Header(p)) => message_at(p)
            .map(|m| slice(m.header.clone()))
            .unwrap_or_default(),
        Some(Section::Text(p)) => message_at(p)
            .map(|m| slice(m.body.clone()))
            .unwrap_or_default(),
        Some(Section::HeaderFields(p, v)) | Some(Section::HeaderFieldsNot(p, v)) => {
            let not = matches!(section, Some(Section::HeaderFieldsNot(..)));
            let names: Vec<Vec<u8>> = v.as_ref().iter().map(|n| n.as_ref().to_vec()).collect();
            message_at(p)
                .map(|m| mime::header_fields(&msg[m.header.clone()], &names, not))
                .unwrap_or_default()
        }
        Some(Section::Mime(p)) => {
            let path: Vec<u32> = p.0.as_ref().iter().map(|n| n.get()).collect();
            mime::locate(root, &path)
                .map(|part| slice(part.header.clone()))
                .unwrap_or_default()
        }
    }
}

/// Writes one content item of a FETCH response; false when the item is not supported.
pub(super) fn fetch_content_item(
    item: &mut Vec<u8>,
    name: &MessageDataItemName<'_>,
    msg: &[u8],
    root: &mime::Part,
) -> bool {
    match name {
        MessageDataItemName::Envelope => {
            item.extend_from_slice(b"ENVELOPE ");
            mime::envelope(item, &mime::fields(&msg[root.header.clone()]));
        }
        MessageDataItemName::BodyStructure => {
            item.extend_from_slice(b"BODYSTRUCTURE ");
            mime::body_structure(item, msg, root, true);
        }
        MessageDataItemName::Body => {
            item.extend_from_slice(b"BODY ");
            mime::body_structure(item, msg, root, false);
        }
        MessageDataItemName::Rfc822 => {
            item.extend_from_slice(b"RFC822 ");
            binary::text_literal(item, msg);
        }
        MessageDataItemName::Rfc822Header => {
            item.extend_from_slice(b"RFC822.HEADER ");
            wire::literal(item, &msg[root.header.clone()]);
        }
        MessageDataItemName::Rfc822Text => {
            item.extend_from_slice(b"RFC822.TEXT ");
            binary::text_literal(item, &msg[root.body.clone()]);
        }
        MessageDataItemName::BodyExt {
            section, partial, ..
        } => {
            let data = section_bytes(section, msg, root);
            item.extend_from_slice(format!("BODY[{}]", section_name(section)).as_bytes());
            match partial {
                Some((start, len)) => {
                    let s = (*start as usize).min(data.len());
                    let e = s.saturating_add(len.get() as usize).min(data.len());
                    item.extend_from_slice(format!("<{start}> ").as_bytes());
                    binary::text_literal(item, &data[s..e]);
                }
                None => {
                    item.push(b' ');
                    binary::text_literal(item, &data);
                }
            }
        }
        _ => return false,
    }
    true
}
