//! Commands that change mail: APPEND (and MULTIAPPEND), EXPUNGE, STORE, COPY and MOVE.

use std::collections::HashSet;
use std::sync::Arc;

use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_codec::imap_types::mailbox::Mailbox as WireMailbox;
use imap_codec::imap_types::sequence::SequenceSet as WireSet;
use mailfts_store::{Flags, Mailbox, StoreError};

use crate::convert;
use crate::homes::Home;

use super::names::name_arg;
use super::*;

impl Session {
    /// APPEND, or MULTIAPPEND with the further messages set by [`Session::set_more_appends`].
    pub(super) fn append_command(&mut self, body: &CommandBody<'_>) -> Result<String, Status> {
        let more = std::mem::take(&mut self.more_appends);
        let Some((mailbox, flags, date, bytes)) = append_message(body) else {
            return Err(Status::Bad("Invalid APPEND".into()));
        };
        let mut messages = vec![(flags, date, bytes)];
        for cmd in &more {
            match append_message(&cmd.body) {
                Some((m, f, d, b)) if m == mailbox => messages.push((f, d, b)),
                _ => return Err(Status::Bad("Invalid MULTIAPPEND".into())),
            }
        }
        self.append(mailbox, &messages)
    }

    /// CLOSE: expunges the messages flagged `\\Deleted` (not in a read-only view) and leaves the
    /// selected state without untagged EXPUNGE responses.
    pub(super) fn close(&mut self) -> Result<String, Status> {
        if !self.selected()?.read_only {
            self.expunge_deleted(None)?;
        }
        self.view = None;
        Ok("CLOSE completed".into())
    }

    /// Removes the view's messages flagged `\\Deleted` (of those, only the UIDs in `wanted` when
    /// given) and tells the hooks.
    fn expunge_deleted(&mut self, wanted: Option<&HashSet<u32>>) -> Result<(), Status> {
        let home = self.home()?.dir.clone();
        let view = self.selected()?;
        let deleted: Vec<u32> = view
            .snapshot
            .facts()
            .filter(|m| m.flags.contains(Flags::DELETED))
            .filter(|m| wanted.is_none_or(|w| w.contains(&m.uid)))
            .map(|m| m.uid)
            .collect();
        if !deleted.is_empty() {
            let gone = view
                .mailbox
                .expunge(&deleted)
                .map_err(|e| Status::No(store_no(&e)))?;
            let name = view.name.clone();
            self.shared.hooks.expunged(&home, &name, &gone);
        }
        Ok(())
    }

    /// The mailbox an APPEND, COPY or MOVE writes to (`[TRYCREATE]` when it does not exist).
    fn destination(
        &self,
        mailbox: &WireMailbox<'_>,
    ) -> Result<(String, Arc<Home>, Mailbox), Status> {
        let name = name_arg(mailbox)?;
        let home = self.home()?.clone();
        let mb = home.store.mailbox(&name).map_err(|e| match e {
            StoreError::MailboxNotFound { .. } => {
                Status::No("[TRYCREATE] Mailbox does not exist".into())
            }
            e => Status::No(store_no(&e)),
        })?;
        Ok((name, home, mb))
    }

    /// APPEND of one message or, with MULTIAPPEND (RFC 3502), several: all are saved or none (the
    /// ones saved before a failure are removed again).
    pub(super) fn append(
        &mut self,
        mailbox: &WireMailbox<'_>,
        messages: &[(&[Flag<'_>], Option<i64>, &[u8])],
    ) -> Result<String, Status> {
        let (name, home, mb) = self.destination(mailbox)?;
        let mut uids = Vec::with_capacity(messages.len());
        for (flags, date, bytes) in messages {
            let (f, kws) = flags_of(flags, Flags::empty(), &[], &StoreType::Replace);
            let kw: Vec<&str> = kws.iter().map(String::as_str).collect();
            match mb.save_recent(bytes, f, &kw, *date) {
                Ok(uid) => uids.push(uid),
                Err(e) => {
                    if let Err(undo) = mb.expunge(&uids) {
                        tracing::warn!(error = %undo, "could not remove a failed MULTIAPPEND's messages");
                    }
                    return Err(Status::No(store_no(&e)));
                }
            }
        }
        let validity = mb.sync().map(|s| s.uid_validity).unwrap_or(0);
        self.shared.hooks.saved(&home.dir, &name, &uids);
        let set = convert::uids_to_set(&uids);
        Ok(format!("[APPENDUID {validity} {set}] APPEND completed"))
    }

    pub(super) fn expunge(
        &mut self,
        set: Option<&WireSet>,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let positions = match set {
            Some(s) => Some(self.positions(s, true)?),
            None => None,
        };
        let view = self.selected()?;
        if view.read_only {
            return Err(Status::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        let wanted: Option<HashSet<u32>> =
            positions.map(|p| p.iter().map(|&i| view.uids[i]).collect());
        self.expunge_deleted(wanted.as_ref())?;
        self.refresh(out, true).map_err(Status::No)?;
        Ok("EXPUNGE completed".into())
    }

    pub(super) fn store(
        &mut self,
        set: &WireSet,
        kind: &StoreType,
        response: &StoreResponse,
        flags: &[Flag<'_>],
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let unchanged_since = self.cond.unchanged_since.take();
        self.refresh(out, uid).map_err(Status::No)?;
        let positions = self.positions(set, uid)?;
        let view = self.selected()?;
        if view.read_only {
            return Err(Status::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        let mut changed = Vec::new();
        let mut failed = None;
        let mut answers = Vec::new();
        let mut modified = Vec::new();
        for pos in positions {
            let u = view.uids[pos];
            let Some(entry) = view.snapshot.entry(u) else {
                continue;
            };
            if unchanged_since.is_some_and(|n| entry.modseq > n) {
                modified.push(if uid { u } else { pos as u32 + 1 });
                continue;
            }
            let (f, kws) = flags_of(flags, entry.flags, &entry.keywords, kind);
            let mut did = false;
            if f != entry.flags || kws != entry.keywords {
                let kw: Vec<&str> = kws.iter().map(String::as_str).collect();
                let set = match unchanged_since {
                    Some(n) => view.mailbox.set_flags_if_unchanged(u, f, &kw, n),
                    None => view.mailbox.set_flags(u, f, &kw).map(|()| true),
                };
                match set {
                    Ok(false) => {
                        modified.push(if uid { u } else { pos as u32 + 1 });
                        continue;
                    }
                    Ok(true) => {
                        changed.push(u);
                        did = true;
                    }
                    Err(StoreError::UidNotFound { .. }) => continue,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            view.set_told(pos, f, &kws);
            view.announce_keywords(&kws, out);
            answers.push((pos, u, f, kws, did));
        }
        let silent = *response != StoreResponse::Answer;
        self.store_answers(&answers, silent, uid, out);
        let view = self.selected()?;
        let name = view.name.clone();
        if !changed.is_empty() {
            let home = self.home()?.dir.clone();
            self.shared.hooks.flags_changed(&home, &name, &changed);
        }
        match failed {
            Some(e) => Err(Status::No(store_no(&e))),
            None => Ok(Session::store_text(&mut modified)),
        }
    }

    pub(super) fn copy(
        &mut self,
        set: &WireSet,
        mailbox: &WireMailbox<'_>,
        uid: bool,
        is_move: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        self.refresh(out, uid || is_move).map_err(Status::No)?;
        let positions = self.positions(set, uid)?;
        let (dest_name, home, dest) = self.destination(mailbox)?;
        let view = self.selected()?;
        if is_move && view.read_only {
            return Err(Status::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        let mut src_uids = Vec::new();
        let mut dst_uids = Vec::new();
        for pos in positions {
            let u = view.uids[pos];
            match view.mailbox.copy_to_recent(u, &dest) {
                Ok(new) => {
                    src_uids.push(u);
                    dst_uids.push(new);
                }
                Err(StoreError::UidNotFound { .. }) => {}
                Err(e) => return Err(Status::No(store_no(&e))),
            }
        }
        let src_name = view.name.clone();
        let validity = dest.sync().map(|s| s.uid_validity).unwrap_or(0);
        if !dst_uids.is_empty() {
            self.shared.hooks.saved(&home.dir, &dest_name, &dst_uids);
        }
        let copyuid = if src_uids.is_empty() {
            String::new()
        } else {
            // Runs of UIDs as ranges (both lists ascend, so the pairs keep their order), as Dovecot.
            format!(
                "[COPYUID {validity} {} {}] ",
                convert::uids_to_set(&src_uids),
                convert::uids_to_set(&dst_uids)
            )
        };
        if is_move {
            if !copyuid.is_empty() {
                out.extend_from_slice(format!("* OK {copyuid}Moved\r\n").as_bytes());
            }
            let view = self.selected()?;
            let gone = view
                .mailbox
                .expunge(&src_uids)
                .map_err(|e| Status::No(store_no(&e)))?;
            self.shared.hooks.expunged(&home.dir, &src_name, &gone);
            self.refresh(out, true).map_err(Status::No)?;
            Ok("MOVE completed".into())
        } else {
            Ok(format!("{copyuid}COPY completed"))
        }
    }
}

/// The mailbox, flags, internal date and bytes of an APPEND.
#[allow(clippy::type_complexity)]
pub(super) fn append_message<'a>(
    body: &'a CommandBody<'_>,
) -> Option<(&'a WireMailbox<'a>, &'a [Flag<'a>], Option<i64>, &'a [u8])> {
    use imap_codec::imap_types::extensions::binary::LiteralOrLiteral8;
    let CommandBody::Append {
        mailbox,
        flags,
        date,
        message,
    } = body
    else {
        return None;
    };
    let bytes: &[u8] = match message {
        LiteralOrLiteral8::Literal(l) => l.as_ref(),
        LiteralOrLiteral8::Literal8(l) => l.data.as_ref(),
    };
    Some((
        mailbox,
        flags.as_slice(),
        date.as_ref().map(|d| d.as_ref().timestamp()),
        bytes,
    ))
}

/// The flags and keywords after applying a STORE (or APPEND) flag list to the current ones.
pub(super) fn flags_of(
    list: &[Flag<'_>],
    current: Flags,
    keywords: &[String],
    kind: &StoreType,
) -> (Flags, Vec<String>) {
    let mut f = Flags::empty();
    let mut kws: Vec<String> = Vec::new();
    for flag in list {
        match flag {
            Flag::Answered => f.set(Flags::ANSWERED, true),
            Flag::Deleted => f.set(Flags::DELETED, true),
            Flag::Draft => f.set(Flags::DRAFT, true),
            Flag::Flagged => f.set(Flags::FLAGGED, true),
            Flag::Seen => f.set(Flags::SEEN, true),
            Flag::Keyword(k) if k.as_ref().eq_ignore_ascii_case("$Forwarded") => {
                f.set(Flags::PASSED, true)
            }
            Flag::Keyword(k) => kws.push(k.as_ref().to_owned()),
            Flag::Extension(_) => {}
        }
    }
    match kind {
        StoreType::Replace => (f, kws),
        StoreType::Add => {
            let mut all = keywords.to_vec();
            for k in kws {
                if !all.contains(&k) {
                    all.push(k);
                }
            }
            (current.union(f), all)
        }
        StoreType::Remove => (
            Flags::from_bits(current.bits() & !f.bits()),
            keywords
                .iter()
                .filter(|k| !kws.contains(k))
                .cloned()
                .collect(),
        ),
    }
}
