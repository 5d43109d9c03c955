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
    /// Flags and keywords last reported to the client, by position in `uids`.
    pub(super) told: Vec<Told>,
    /// The keyword lists `told` refers to.
    pub(super) keyword_lists: KeywordLists,
    pub(super) recent: HashSet<u32>,
    /// The keywords announced to the client in `FLAGS` (RFC 3501 §7.2.6), in announcement order.
    pub(super) keywords: Vec<String>,
    /// The mailbox at the last sync. Kept as the store made it: its entries (paths, sizes) are
    /// built one message at a time ([`Snapshot::entry`]), never all at once, so that a session
    /// holding a mailbox of 450,000 messages keeps its UIDs and `told`, about 12 bytes a message.
    pub(super) snapshot: Snapshot,
    /// What the mailbox's directories and lists looked like before the last sync, when they had
    /// settled: while they still look the same, nothing changed and no sync is needed.
    pub(super) probe: Option<MailboxProbe>,
    /// The searches kept alive by `RETURN (UPDATE)` ([`crate::context`]).
    pub(super) updates: context::Updates,
}

/// Flags and keywords of one message as last reported to the client (8 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Told {
    flags: Flags,
    /// Index into the view's [`KeywordLists`].
    keywords: u32,
}

/// The distinct keyword lists of a view, each kept once (most messages have none, and a mailbox
/// uses a handful of combinations); [`Told`] refers to them by number, 0 being none.
#[derive(Debug, Default)]
pub(super) struct KeywordLists {
    lists: Vec<Vec<String>>,
    ids: HashMap<Vec<String>, u32>,
}

impl KeywordLists {
    /// The number of `keywords`, added when new.
    fn id(&mut self, keywords: &[String]) -> u32 {
        if keywords.is_empty() {
            return 0;
        }
        if let Some(&id) = self.ids.get(keywords) {
            return id;
        }
        self.lists.push(keywords.to_vec());
        let id = self.lists.len() as u32;
        self.ids.insert(keywords.to_vec(), id);
        id
    }

    /// What telling the client `flags` and `keywords` is recorded as.
    pub(super) fn told(&mut self, flags: Flags, keywords: &[String]) -> Told {
        Told {
            flags,
            keywords: self.id(keywords),
        }
    }

    /// The list numbered `id`.
    fn get(&self, id: u32) -> &[String] {
        match id {
            0 => &[],
            n => &self.lists[n as usize - 1],
        }
    }
}

impl View {
    /// Records that the client was told `flags` and `keywords` of the message at `pos`.
    pub(super) fn set_told(&mut self, pos: usize, flags: Flags, keywords: &[String]) {
        self.told[pos] = self.keyword_lists.told(flags, keywords);
    }

    /// True when the client was told other flags or keywords of the message at `pos`.
    fn told_differs(&self, pos: usize, flags: Flags, keywords: &[String]) -> bool {
        let told = self.told[pos];
        told.flags != flags || self.keyword_lists.get(told.keywords) != keywords
    }

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
        if allow_expunge {
            // positions of the messages gone, reported from the highest down so that every
            // sequence number stays valid; then the view closes up in one pass
            let gone: Vec<usize> = (0..view.uids.len())
                .filter(|&i| !snap.contains(view.uids[i]))
                .collect();
            if !view.updates.is_empty() {
                let uids: Vec<u32> = gone.iter().map(|&i| view.uids[i]).collect();
                view.updates.expunged(out, &uids, &view.uids);
            }
            let mut vanished = Vec::new();
            for &i in gone.iter().rev() {
                let uid = view.uids[i];
                view.recent.remove(&uid);
                if cond.qresync {
                    vanished.push(uid);
                } else {
                    respond::expunge(out, i as u32 + 1);
                }
            }
            if !gone.is_empty() {
                let mut at = 0;
                let mut next_gone = gone.iter().peekable();
                for i in 0..view.uids.len() {
                    if next_gone.next_if_eq(&&i).is_none() {
                        view.uids[at] = view.uids[i];
                        view.told[at] = view.told[i];
                        at += 1;
                    }
                }
                view.uids.truncate(at);
                view.told.truncate(at);
            }
            Session::vanished_now(&mut vanished, out);
        }
        let max = view.uids.last().copied().unwrap_or(0);
        let mut used_keywords = Vec::new();
        let mut added = Vec::new();
        let mut claimed = false;
        // the view's messages in UID order beside the snapshot's: the flags told are compared in
        // the same walk that finds the new messages
        let mut pos = 0;
        let mut changed = Vec::new();
        for m in snap.facts() {
            if !m.keywords.is_empty() && !used_keywords.contains(&m.keywords) {
                used_keywords.push(m.keywords.clone());
            }
            if m.uid > max {
                if m.recent {
                    view.recent.insert(m.uid);
                    claimed = !view.read_only;
                }
                added.push(m);
                continue;
            }
            while pos < view.uids.len() && view.uids[pos] < m.uid {
                pos += 1;
            }
            if view.uids.get(pos) == Some(&m.uid) && view.told_differs(pos, m.flags, &m.keywords) {
                changed.push((pos, m));
            }
        }
        view.announce_keywords(used_keywords.iter().flatten(), out);
        for m in &added {
            view.uids.push(m.uid);
            let told = view.keyword_lists.told(m.flags, &m.keywords);
            view.told.push(told);
        }
        let mut snap = snap;
        if claimed {
            claim_recent(&view.mailbox, added.iter().filter(|m| m.recent));
            if let Ok(s) = view.mailbox.sync() {
                snap = s;
            }
        }
        if !added.is_empty() {
            respond::exists(out, view.uids.len() as u32);
            respond::recent(out, view.recent.len() as u32);
            // Keep a warm sort cache warm: add the new messages' keys now.
            if let Some((_, home)) = &self.user {
                let new: Vec<u32> = added.iter().map(|m| m.uid).collect();
                home.sort.warm(&view.name, &snap, &new);
            }
        }
        for (pos, m) in changed {
            let uid = m.uid;
            out.extend_from_slice(
                format!(
                    "* {} FETCH ({}FLAGS {})\r\n",
                    pos + 1,
                    Session::unsolicited_prefix(cond, uid, snap.modseq_of(uid).unwrap_or(0)),
                    flag_list(m.flags, &m.keywords, view.recent.contains(&uid))
                )
                .as_bytes(),
            );
            view.set_told(pos, m.flags, &m.keywords);
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
    entries: impl Iterator<Item = &'a mailfts_store::FlagFacts>,
) {
    for m in entries {
        let kw: Vec<&str> = m.keywords.iter().map(String::as_str).collect();
        if let Err(e) = mailbox.set_flags(m.uid, m.flags, &kw) {
            tracing::debug!(uid = m.uid, error = %e, "could not claim a recent message");
        }
    }
}
