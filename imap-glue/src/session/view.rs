//! The selected mailbox as the client knows it ([`View`]), and bringing it up to date: the
//! untagged `EXPUNGE`, `EXISTS`, `RECENT`, `FLAGS` and `FETCH (FLAGS …)` of [`Session::refresh`].

use std::collections::{HashMap, HashSet};

use imap_codec::imap_types::sequence::SequenceSet as WireSet;
use mailfts_store::{Flags, Mailbox, MailboxProbe, Snapshot, StoreError};

use crate::{context, convert, respond};

use super::*;

/// The selected mailbox as the client knows it.
pub struct View {
    pub(super) name: String,
    pub(super) mailbox: Mailbox,
    pub(super) read_only: bool,
    pub(super) uid_validity: u32,
    /// UIDs in sequence-number order.
    pub(super) uids: Vec<u32>,
    /// Flags and keywords last reported to the client.
    pub(super) told: HashMap<u32, (Flags, Vec<String>)>,
    pub(super) recent: HashSet<u32>,
    /// The keywords announced to the client in `FLAGS` (RFC 3501 §7.2.6), in announcement order.
    pub(super) keywords: Vec<String>,
    pub(super) snapshot: Snapshot,
    /// What the mailbox's directories and lists looked like before the last sync, when they had
    /// settled: while they still look the same, nothing changed and no sync is needed.
    pub(super) probe: Option<MailboxProbe>,
    /// The searches kept alive by `RETURN (UPDATE)` ([`crate::context`]).
    pub(super) updates: context::Updates,
}

impl View {
    /// Announces the keywords among `used` that the client was not told of yet, in an untagged
    /// `FLAGS` and `PERMANENTFLAGS` (RFC 3501 §7.2.6: FETCH FLAGS only shows announced flags; what
    /// Dovecot does when a STORE or APPEND brings a new keyword).
    pub(super) fn announce_keywords<'a>(
        &mut self,
        used: impl IntoIterator<Item = &'a String>,
        out: &mut Vec<u8>,
    ) {
        let before = self.keywords.len();
        for k in used {
            if !self.keywords.contains(k) {
                self.keywords.push(k.clone());
            }
        }
        if self.keywords.len() > before {
            respond::flags(out, &self.keywords, self.read_only);
        }
    }
}

pub(super) fn flag_list(flags: Flags, keywords: &[String], recent: bool) -> String {
    let mut v: Vec<&str> = Vec::new();
    for (f, name) in [
        (Flags::SEEN, "\\Seen"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::DELETED, "\\Deleted"),
        (Flags::DRAFT, "\\Draft"),
        (Flags::PASSED, "$Forwarded"),
    ] {
        if flags.contains(f) {
            v.push(name);
        }
    }
    // \Recent before the keywords, as Dovecot 2.3 orders them.
    if recent {
        v.push("\\Recent");
    }
    v.extend(keywords.iter().map(String::as_str));
    format!("({})", v.join(" "))
}

impl Session {
    // ----- selected state -----

    /// Brings the view up to date and writes what changed as untagged responses. Expunges are
    /// reported only when `allow_expunge`.
    pub fn refresh(&mut self, out: &mut Vec<u8>, allow_expunge: bool) -> Result<(), String> {
        let cond = self.cond;
        let Some(view) = self.view.as_mut() else {
            return Ok(());
        };
        let probe = view.mailbox.probe().ok();
        if probe.is_some() && view.probe == probe {
            self.fresh = true;
            return Ok(());
        }
        let snap = match view.mailbox.sync() {
            Ok(s) => s,
            Err(StoreError::MailboxNotFound { .. }) => {
                return Err("Selected mailbox was deleted".into())
            }
            Err(e) => {
                tracing::warn!(error = %e, "sync failed");
                return Ok(());
            }
        };
        if snap.uid_validity != view.uid_validity {
            return Err("[UIDVALIDITY changed] Mailbox was reset; select it again".into());
        }
        self.fresh = true;
        if allow_expunge && !view.updates.is_empty() {
            let gone: Vec<u32> = view
                .uids
                .iter()
                .copied()
                .filter(|&u| snap.get(u).is_none())
                .collect();
            view.updates.expunged(out, &gone, &view.uids);
        }
        if allow_expunge {
            let mut vanished = Vec::new();
            let mut i = view.uids.len();
            while i > 0 {
                i -= 1;
                let uid = view.uids[i];
                if snap.get(uid).is_none() {
                    view.uids.remove(i);
                    view.told.remove(&uid);
                    view.recent.remove(&uid);
                    if cond.qresync {
                        vanished.push(uid);
                    } else {
                        respond::expunge(out, i as u32 + 1);
                    }
                }
            }
            Session::vanished_now(&mut vanished, out);
        }
        view.announce_keywords(snap.messages().iter().flat_map(|m| &m.keywords), out);
        let max = view.uids.last().copied().unwrap_or(0);
        let mut added = false;
        let mut claimed = false;
        for m in snap.messages().iter().filter(|m| m.uid > max) {
            view.uids.push(m.uid);
            view.told.insert(m.uid, (m.flags, m.keywords.clone()));
            if m.recent {
                view.recent.insert(m.uid);
                claimed = !view.read_only;
            }
            added = true;
        }
        let mut snap = snap;
        if claimed {
            claim_recent(
                &view.mailbox,
                snap.messages().iter().filter(|m| m.uid > max && m.recent),
            );
            if let Ok(s) = view.mailbox.sync() {
                snap = s;
            }
        }
        if added {
            respond::exists(out, view.uids.len() as u32);
            respond::recent(out, view.recent.len() as u32);
            // Keep a warm sort cache warm: add the new messages' keys now.
            if let Some((_, home)) = &self.user {
                if let Some(cache) = home.sort.existing(&view.name) {
                    let new: Vec<u32> = snap
                        .messages()
                        .iter()
                        .filter(|m| m.uid > max)
                        .map(|m| m.uid)
                        .collect();
                    cache
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .keys(&snap, &new);
                }
            }
        }
        for (i, &uid) in view.uids.iter().enumerate() {
            let Some(m) = snap.get(uid) else { continue };
            let told = view.told.get(&uid);
            if told.is_none_or(|(f, k)| *f != m.flags || *k != m.keywords) {
                out.extend_from_slice(
                    format!(
                        "* {} FETCH ({}FLAGS {})\r\n",
                        i + 1,
                        Session::unsolicited_prefix(cond, uid, m.modseq),
                        flag_list(m.flags, &m.keywords, view.recent.contains(&uid))
                    )
                    .as_bytes(),
                );
                view.told.insert(uid, (m.flags, m.keywords.clone()));
            }
        }
        view.snapshot = snap;
        let now = std::time::SystemTime::now();
        view.probe = probe.filter(|p| p.settled(now));
        self.context_updates(out);
        Ok(())
    }

    pub(super) fn positions(&mut self, set: &WireSet, uid: bool) -> Result<Vec<usize>, Status> {
        let view = self.selected()?;
        Ok(if uid {
            convert::uid_positions(set, &view.uids)
        } else {
            // RFC 3501: a sequence number above the message count is an error.
            let positions = convert::seq_positions(set, view.uids.len());
            let too_big = set.0.as_ref().iter().any(|s| {
                use imap_codec::imap_types::sequence::{SeqOrUid, Sequence};
                let big = |b: &SeqOrUid| matches!(b, SeqOrUid::Value(v) if v.get() as usize > view.uids.len());
                match s {
                    Sequence::Single(a) => big(a),
                    Sequence::Range(a, b) => big(a) && big(b),
                }
            });
            if too_big {
                return Err(Status::Bad("Invalid message sequence number".into()));
            }
            positions
        })
    }
}

/// Moves recent messages from `new/` to `cur/` (same flags), so no other session sees them as
/// recent. Failures only mean another session was first.
pub(super) fn claim_recent<'a>(
    mailbox: &Mailbox,
    entries: impl Iterator<Item = &'a mailfts_store::MessageEntry>,
) {
    for m in entries {
        let kw: Vec<&str> = m.keywords.iter().map(String::as_str).collect();
        if let Err(e) = mailbox.set_flags(m.uid, m.flags, &kw) {
            tracing::debug!(uid = m.uid, error = %e, "could not claim a recent message");
        }
    }
}
