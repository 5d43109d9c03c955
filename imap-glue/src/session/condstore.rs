//! CONDSTORE and QRESYNC (RFC 7162), as Dovecot 2.3 offers them.
//!
//! The mod-sequences come from the store ([`mailfts_store::MessageEntry::modseq`],
//! [`Snapshot::highest_modseq`], [`Mailbox::expunged_since`]); this module only speaks the
//! protocol: `ENABLE CONDSTORE`/`QRESYNC`, `SELECT`/`EXAMINE` parameters and `[HIGHESTMODSEQ]`,
//! `STATUS (HIGHESTMODSEQ)`, the `FETCH` modifiers `CHANGEDSINCE` and `VANISHED`, `STORE
//! (UNCHANGEDSINCE)` with `[MODIFIED]`, `SEARCH MODSEQ` with its `(MODSEQ n)`, and `VANISHED`
//! instead of `EXPUNGE` once QRESYNC is enabled. Every command that RFC 7162 §3.1 calls a
//! "CONDSTORE enabling command" turns CONDSTORE on for the session, as in Dovecot.
//!
//! `STORE (UNCHANGEDSINCE n)` checks each message under the mailbox lock
//! ([`Mailbox::set_flags_if_unchanged`]), so another session or process of ours cannot slip a change
//! in between; a Maildir agent that takes no lock (mutt) can, for the instant between the check and
//! the rename (the rename then fails, and the check is made again after a sync).
//!
//! Kept differences from Dovecot 2.3.19: `CHANGEDSINCE 0` is a syntax error (the grammar crate
//! wants a non-zero mod-sequence; Dovecot takes it as 0); `[CLOSED]` is sent on an implicit close
//! only once QRESYNC is enabled (RFC 7162 §3.2.11; Dovecot sends it always); per-flag
//! mod-sequences are not kept, so `SEARCH MODSEQ "/flags/…" …` compares the message's MODSEQ
//! (which RFC 7162 §3.1.5 allows).

use imap_codec::imap_types::command::{FetchModifier, SelectParameter, StoreModifier};
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::extensions::enable::CapabilityEnable;
use imap_codec::imap_types::fetch::{Macro, MacroOrMessageDataItemNames, MessageDataItemName};
use imap_codec::imap_types::mailbox::Mailbox as WireMailbox;
use imap_codec::imap_types::response::Code;
use imap_codec::imap_types::search::SearchKey as WireKey;
use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet as WireSet};
use imap_codec::imap_types::status::StatusDataItemName;
use mailfts_store::{Flags, Snapshot};

use crate::esearch::ReturnOptions;
use crate::respond;

use super::view::flag_list;
use super::*;

/// What the client enabled, and the modifiers of the command being run.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Cond {
    /// CONDSTORE is on: `[HIGHESTMODSEQ]` in SELECT, MODSEQ in STORE and unsolicited FETCH answers.
    pub condstore: bool,
    /// QRESYNC is on (implies CONDSTORE): `VANISHED` instead of `EXPUNGE`, UID in FETCH answers.
    pub qresync: bool,
    /// The `CHANGEDSINCE` of the FETCH being run.
    pub changed_since: Option<u64>,
    /// The `UNCHANGEDSINCE` of the STORE being run.
    pub unchanged_since: Option<u64>,
    /// The SEARCH or SORT being run has a MODSEQ key: its answer ends with the highest MODSEQ.
    pub modseq_search: bool,
}

/// Inclusive UID ranges, ascending.
type Ranges = Vec<(u32, u32)>;

/// The ranges of a sequence set (`*` stands for `max`), clamped to `1..=max`, sorted and merged.
fn ranges(set: &WireSet, max: u32) -> Ranges {
    let value = |b: &SeqOrUid| match b {
        SeqOrUid::Value(v) => v.get().min(max),
        SeqOrUid::Asterisk => max,
    };
    let mut r: Ranges = set
        .0
        .as_ref()
        .iter()
        .map(|s| match s {
            Sequence::Single(a) => (value(a), value(a)),
            Sequence::Range(a, b) => {
                let (a, b) = (value(a), value(b));
                (a.min(b), a.max(b))
            }
        })
        .filter(|&(a, _)| a >= 1)
        .collect();
    r.sort_unstable();
    let mut merged: Ranges = Vec::with_capacity(r.len());
    for (a, b) in r {
        match merged.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// How many numbers a set without `*` names (ranges counted in full, duplicates too).
fn count(set: &WireSet) -> u64 {
    let v = |b: &SeqOrUid| match b {
        SeqOrUid::Value(v) => u64::from(v.get()),
        SeqOrUid::Asterisk => u64::from(u32::MAX),
    };
    set.0
        .as_ref()
        .iter()
        .map(|s| match s {
            Sequence::Single(_) => 1,
            Sequence::Range(a, b) => v(a).abs_diff(v(b)) + 1,
        })
        .sum()
}

fn in_ranges(r: &[(u32, u32)], n: u32) -> bool {
    r.iter().any(|&(a, b)| a <= n && n <= b)
}

/// A set of ranges in IMAP syntax (`1:3,7`).
fn ranges_text(r: &[(u32, u32)]) -> String {
    r.iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}:{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The parts of `within` not covered by `present` (ascending UIDs): what is gone from those ranges.
fn missing(within: &[(u32, u32)], present: &[u32]) -> Ranges {
    let mut out = Vec::new();
    for &(a, b) in within {
        let mut next = a;
        let start = present.partition_point(|&u| u < a);
        for &u in present[start..].iter().take_while(|&&u| u <= b) {
            if u > next {
                out.push((next, u - 1));
            }
            next = u.saturating_add(1);
        }
        if next <= b && next >= a {
            out.push((next, b));
        }
    }
    out
}

/// Ranges of single UIDs (ascending).
fn uid_ranges(uids: &[u32]) -> Ranges {
    let mut out: Ranges = Vec::new();
    for &u in uids {
        match out.last_mut() {
            Some(last) if last.1.checked_add(1) == Some(u) => last.1 = u,
            _ => out.push((u, u)),
        }
    }
    out
}

impl Session {
    /// The capabilities this module adds.
    pub(super) const COND_CAPABILITIES: &'static str = " CONDSTORE QRESYNC";

    /// Turns CONDSTORE on (a "CONDSTORE enabling command", RFC 7162 §3.1); when that happens with
    /// a mailbox selected, its `[HIGHESTMODSEQ]` is sent at once, as the RFC asks and Dovecot does.
    fn enable_condstore(&mut self, out: &mut Vec<u8>) {
        if std::mem::replace(&mut self.cond.condstore, true) {
            return;
        }
        if let Some(view) = self.view.as_ref() {
            respond::highest_modseq(out, view.snapshot.highest_modseq);
        }
    }

    /// `ENABLE …`: answers `* ENABLED` with what was newly enabled (QRESYNC implies CONDSTORE).
    pub(super) fn enable(&mut self, caps: &[CapabilityEnable<'_>], out: &mut Vec<u8>) -> String {
        let mut enabled = String::new();
        for c in caps {
            let name = c.to_string().to_ascii_uppercase();
            let newly = match name.as_str() {
                "CONDSTORE" => !self.cond.condstore,
                "QRESYNC" => !std::mem::replace(&mut self.cond.qresync, true),
                _ => false,
            };
            if name == "CONDSTORE" || name == "QRESYNC" {
                self.enable_condstore(out);
            }
            if newly {
                enabled.push_str(&format!(" {name}"));
            }
        }
        out.extend_from_slice(format!("* ENABLED{enabled}\r\n").as_bytes());
        "ENABLE completed".into()
    }

    /// `STATUS … (HIGHESTMODSEQ)` enables CONDSTORE (RFC 7162 §3.1).
    pub(super) fn status_enables(&mut self, items: &[StatusDataItemName], out: &mut Vec<u8>) {
        if items.contains(&StatusDataItemName::HighestModSeq) {
            self.enable_condstore(out);
        }
    }

    /// SELECT/EXAMINE with RFC 4466 parameters: `(CONDSTORE)` and `(QRESYNC (…))`; adds
    /// `[HIGHESTMODSEQ]` once CONDSTORE is on and, for QRESYNC with the current UIDVALIDITY,
    /// `VANISHED (EARLIER)` and the FETCH of every message changed since the client's mod-sequence.
    pub(super) fn select_with(
        &mut self,
        mailbox: &WireMailbox<'_>,
        read_only: bool,
        params: &[SelectParameter],
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        if self.cond.qresync && self.view.is_some() {
            respond::untagged_ok(out, Code::Closed, "Previous mailbox closed");
        }
        let mut qresync = None;
        for p in params {
            match p {
                SelectParameter::CondStore => self.cond.condstore = true,
                SelectParameter::QResync {
                    uid_validity,
                    mod_sequence_value,
                    known_uids,
                    seq_match_data,
                } => {
                    self.view = None;
                    if !self.cond.qresync {
                        return Err(Status::Bad("QRESYNC not enabled".into()));
                    }
                    let star = |s: &WireSet| {
                        s.0.as_ref().iter().any(|q| match q {
                            Sequence::Single(a) => *a == SeqOrUid::Asterisk,
                            Sequence::Range(a, b) => {
                                *a == SeqOrUid::Asterisk || *b == SeqOrUid::Asterisk
                            }
                        })
                    };
                    let bad_match = seq_match_data
                        .as_ref()
                        .is_some_and(|(s, u)| star(s) || star(u));
                    if known_uids.as_ref().is_some_and(star) || bad_match {
                        return Err(Status::Bad(
                            "Invalid QRESYNC parameters: * is not allowed".into(),
                        ));
                    }
                    if seq_match_data
                        .as_ref()
                        .is_some_and(|(s, u)| count(s) != count(u))
                    {
                        return Err(Status::Bad(
                            "Invalid QRESYNC parameters: the sequence and UID sets differ in size"
                                .into(),
                        ));
                    }
                    qresync = Some((uid_validity.get(), mod_sequence_value.get(), known_uids));
                }
            }
        }
        let text = self.select(mailbox, read_only, out)?;
        let Some(view) = self.view.as_ref() else {
            return Ok(text);
        };
        if self.cond.condstore {
            respond::highest_modseq(out, view.snapshot.highest_modseq);
        }
        if let Some((validity, since, known)) = qresync {
            if validity == view.uid_validity {
                let max = view.snapshot.uid_next.saturating_sub(1);
                let within = match known {
                    Some(set) => ranges(set, max),
                    None => vec![(1, max)],
                };
                self.vanished_earlier(since, &within, out);
                let view = self.view.as_ref().expect("selected above");
                for (i, uid) in view.uids.iter().enumerate() {
                    let changed = view.snapshot.modseq_of(*uid).is_some_and(|m| m > since);
                    if !changed || !in_ranges(&within, *uid) {
                        continue;
                    }
                    // built for the few changed messages only
                    if let Some(m) = view.snapshot.entry(*uid) {
                        out.extend_from_slice(
                            format!(
                                "* {} FETCH (UID {uid} FLAGS {} MODSEQ ({}))\r\n",
                                i + 1,
                                flag_list(m.flags, &m.keywords, view.recent.contains(uid)),
                                m.modseq
                            )
                            .as_bytes(),
                        );
                    }
                }
            }
        }
        Ok(text)
    }

    /// `* VANISHED (EARLIER) …`: the UIDs of `within` expunged after mod-sequence `since`; when the
    /// store no longer knows that far back, every UID of `within` that is not in the mailbox (RFC
    /// 7162 §3.2.5.2). Nothing when there are none.
    fn vanished_earlier(&self, since: u64, within: &[(u32, u32)], out: &mut Vec<u8>) {
        let Some(view) = self.view.as_ref() else {
            return;
        };
        let present = view.snapshot.uids();
        let gone = match view.mailbox.expunged_since(since) {
            Ok(Some(uids)) => {
                let uids: Vec<u32> = uids
                    .into_iter()
                    .filter(|&u| in_ranges(within, u) && present.binary_search(&u).is_err())
                    .collect();
                uid_ranges(&uids)
            }
            Ok(None) => missing(within, present),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the expunge memory");
                missing(within, present)
            }
        };
        if !gone.is_empty() {
            out.extend_from_slice(
                format!("* VANISHED (EARLIER) {}\r\n", ranges_text(&gone)).as_bytes(),
            );
        }
    }

    /// FETCH with RFC 7162 modifiers: `CHANGEDSINCE n` keeps the messages whose MODSEQ is above
    /// `n` and adds MODSEQ to the answer; `VANISHED` (UID FETCH only, with CHANGEDSINCE, after
    /// `ENABLE QRESYNC`) first reports the UIDs of the set expunged since `n`.
    pub(super) fn fetch_with(
        &mut self,
        set: &WireSet,
        items: &MacroOrMessageDataItemNames<'_>,
        uid: bool,
        modifiers: &[FetchModifier],
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let mut since = None;
        let mut vanished = false;
        for m in modifiers {
            match m {
                FetchModifier::ChangedSince(n) => since = Some(n.get()),
                FetchModifier::Vanished => vanished = true,
            }
        }
        if vanished {
            if !uid {
                return Err(Status::Bad("VANISHED is only allowed in UID FETCH".into()));
            }
            if !self.cond.qresync {
                return Err(Status::Bad("QRESYNC not enabled".into()));
            }
            if since.is_none() {
                return Err(Status::Bad("VANISHED used without CHANGEDSINCE".into()));
            }
        }
        let mut items = items.clone();
        let asks_modseq = match &items {
            MacroOrMessageDataItemNames::MessageDataItemNames(v) => {
                v.contains(&MessageDataItemName::ModSeq)
            }
            MacroOrMessageDataItemNames::Macro(_) => false,
        };
        if since.is_some() || asks_modseq {
            self.enable_condstore(out);
        }
        if since.is_some() && !asks_modseq {
            let mut v = match items {
                MacroOrMessageDataItemNames::MessageDataItemNames(v) => v,
                MacroOrMessageDataItemNames::Macro(m) => {
                    let mut v = vec![
                        MessageDataItemName::Flags,
                        MessageDataItemName::InternalDate,
                        MessageDataItemName::Rfc822Size,
                    ];
                    if matches!(m, Macro::All | Macro::Full) {
                        v.push(MessageDataItemName::Envelope);
                    }
                    if matches!(m, Macro::Full) {
                        v.push(MessageDataItemName::Body);
                    }
                    v
                }
            };
            v.push(MessageDataItemName::ModSeq);
            items = MacroOrMessageDataItemNames::MessageDataItemNames(v);
        }
        if let (true, Some(n)) = (vanished, since) {
            self.refresh(out, true).map_err(Status::No)?;
            let max = self.selected()?.snapshot.uid_next.saturating_sub(1);
            self.vanished_earlier(n, &ranges(set, max), out);
        }
        self.cond.changed_since = since;
        let result = self.fetch(set, &items, uid, out);
        self.cond.changed_since = None;
        result
    }

    /// The positions of FETCH without those unchanged since the command's `CHANGEDSINCE`.
    pub(super) fn only_changed(&self, positions: Vec<usize>) -> Vec<usize> {
        let (Some(since), Some(view)) = (self.cond.changed_since, self.view.as_ref()) else {
            return positions;
        };
        positions
            .into_iter()
            .filter(|&p| {
                view.snapshot
                    .get(view.uids[p])
                    .is_none_or(|m| m.modseq > since)
            })
            .collect()
    }

    /// Takes note of the `UNCHANGEDSINCE` of the STORE about to run (which enables CONDSTORE).
    pub(super) fn set_unchanged_since(&mut self, modifiers: &[StoreModifier], out: &mut Vec<u8>) {
        let n = modifiers
            .iter()
            .map(|m| match m {
                StoreModifier::UnchangedSince(n) => *n,
            })
            .next();
        if n.is_some() {
            self.enable_condstore(out);
        }
        self.cond.unchanged_since = n;
    }

    /// The untagged FETCH answers of a STORE: `(pos, uid, flags, keywords, changed)` per message.
    /// With CONDSTORE they carry the new MODSEQ (read from a sync after the change), and the UID
    /// after UID STORE or with QRESYNC; `.SILENT` then still reports the MODSEQ of changed
    /// messages, as Dovecot does.
    pub(super) fn store_answers(
        &mut self,
        answers: &[(usize, u32, Flags, Vec<String>, bool)],
        silent: bool,
        uid: bool,
        out: &mut Vec<u8>,
    ) {
        let cond = self.cond;
        let Some(view) = self.view.as_mut() else {
            return;
        };
        if !cond.condstore {
            if silent {
                return;
            }
            for (pos, u, f, kws, _) in answers {
                let uid_part = if uid {
                    format!(" UID {u}")
                } else {
                    String::new()
                };
                out.extend_from_slice(
                    format!(
                        "* {} FETCH (FLAGS {}{uid_part})\r\n",
                        pos + 1,
                        flag_list(*f, kws, view.recent.contains(u))
                    )
                    .as_bytes(),
                );
            }
            return;
        }
        let snap = view.mailbox.sync().ok();
        for (pos, u, f, kws, changed) in answers {
            if silent && !changed {
                continue;
            }
            let modseq = snap
                .as_ref()
                .and_then(|s| s.get(*u))
                .map_or(view.snapshot.highest_modseq, |m| m.modseq);
            let mut line = format!("* {} FETCH (", pos + 1);
            if uid || cond.qresync {
                line.push_str(&format!("UID {u} "));
            }
            line.push_str(&format!("MODSEQ ({modseq})"));
            if !silent {
                line.push_str(&format!(
                    " FLAGS {}",
                    flag_list(*f, kws, view.recent.contains(u))
                ));
            }
            line.push_str(")\r\n");
            out.extend_from_slice(line.as_bytes());
        }
    }

    /// The tagged text of a conditional STORE: `[MODIFIED set]` when some messages were changed
    /// since the client's UNCHANGEDSINCE.
    pub(super) fn store_text(modified: &mut [u32]) -> String {
        if modified.is_empty() {
            return "STORE completed".into();
        }
        modified.sort_unstable();
        format!(
            "[MODIFIED {}] Conditional STORE failed",
            ranges_text(&uid_ranges(modified))
        )
    }

    /// The start of an unsolicited FETCH about a flag change, as Dovecot writes it: `UID n ` once
    /// QRESYNC is on, `MODSEQ (m) ` once CONDSTORE is on (RFC 7162 §3.1.4); empty before.
    pub(super) fn unsolicited_prefix(cond: Cond, uid: u32, modseq: u64) -> String {
        let mut p = String::new();
        if cond.qresync {
            p.push_str(&format!("UID {uid} "));
        }
        if cond.condstore {
            p.push_str(&format!("MODSEQ ({modseq}) "));
        }
        p
    }

    /// `* VANISHED uids` (after `ENABLE QRESYNC`) for expunged UIDs, ascending.
    pub(super) fn vanished_now(uids: &mut [u32], out: &mut Vec<u8>) {
        if uids.is_empty() {
            return;
        }
        uids.sort_unstable();
        out.extend_from_slice(
            format!("* VANISHED {}\r\n", ranges_text(&uid_ranges(uids))).as_bytes(),
        );
    }

    /// The tagged text of EXPUNGE and UID EXPUNGE: with QRESYNC, `[HIGHESTMODSEQ n]` first.
    pub(super) fn expunge_text(&self, text: String) -> String {
        match self.view.as_ref() {
            Some(v) if self.cond.qresync => {
                format!("[HIGHESTMODSEQ {}] {text}", v.snapshot.highest_modseq)
            }
            _ => text,
        }
    }

    /// SEARCH criteria with every `MODSEQ n` replaced by the UIDs of the messages whose MODSEQ is
    /// at least `n` (the view is brought up to date first); `None` when there is no MODSEQ key.
    pub(super) fn modseq_criteria<'a>(
        &mut self,
        criteria: &Vec1<WireKey<'a>>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<Option<Vec1<WireKey<'a>>>, Status> {
        self.cond.modseq_search = criteria.as_ref().iter().any(has_modseq);
        if !self.cond.modseq_search {
            return Ok(None);
        }
        self.refresh(out, uid).map_err(Status::No)?;
        self.enable_condstore(out);
        let view = self.selected()?;
        let snap = &view.snapshot;
        let keys: Vec<WireKey<'a>> = criteria.as_ref().iter().map(|k| rewrite(k, snap)).collect();
        Ok(Some(Vec1::try_from(keys).map_err(|_| {
            Status::Bad("Empty search criteria".into())
        })?))
    }

    /// Appends the highest MODSEQ of the results to the SEARCH or SORT (` (MODSEQ n)`) or ESEARCH
    /// (` MODSEQ n`) line just written; nothing for no results (RFC 7162 §3.1.5). An ESEARCH with
    /// only MIN and/or MAX counts only the messages it returns (`results` first and last), as
    /// Dovecot does.
    pub(super) fn search_modseq(
        &self,
        results: &[u32],
        uid: bool,
        esearch: Option<ReturnOptions>,
        out: &mut Vec<u8>,
    ) {
        let Some(view) = self.view.as_ref() else {
            return;
        };
        let returned: Vec<u32> = match esearch {
            Some(o) if !o.all && !o.count => {
                let mut v = Vec::new();
                if o.min {
                    v.extend(results.first());
                }
                if o.max {
                    v.extend(results.last());
                }
                v
            }
            _ => results.to_vec(),
        };
        let esearch = esearch.is_some();
        let max = returned
            .iter()
            .filter_map(|&n| {
                let u = if uid {
                    n
                } else {
                    *view.uids.get((n as usize).checked_sub(1)?)?
                };
                view.snapshot.modseq_of(u)
            })
            .max();
        let Some(max) = max else { return };
        if out.ends_with(b"\r\n") {
            out.truncate(out.len() - 2);
            let extra = if esearch {
                format!(" MODSEQ {max}\r\n")
            } else {
                format!(" (MODSEQ {max})\r\n")
            };
            out.extend_from_slice(extra.as_bytes());
        }
    }
}

fn has_modseq(k: &WireKey<'_>) -> bool {
    match k {
        WireKey::ModSequence { .. } => true,
        WireKey::And(keys) => keys.as_ref().iter().any(has_modseq),
        WireKey::Not(k) => has_modseq(k),
        WireKey::Or(a, b) => has_modseq(a) || has_modseq(b),
        _ => false,
    }
}

fn rewrite<'a>(k: &WireKey<'a>, snap: &Snapshot) -> WireKey<'a> {
    match k {
        WireKey::ModSequence { modseq, .. } => {
            let uids: Vec<u32> = snap
                .uids()
                .iter()
                .copied()
                .filter(|&u| snap.modseq_of(u).is_some_and(|m| m >= *modseq))
                .collect();
            match WireSet::try_from(ranges_text(&uid_ranges(&uids)).as_str()) {
                Ok(set) => WireKey::Uid(set),
                Err(_) => WireKey::Not(Box::new(WireKey::All)),
            }
        }
        WireKey::And(keys) => match Vec1::try_from(
            keys.as_ref()
                .iter()
                .map(|k| rewrite(k, snap))
                .collect::<Vec<_>>(),
        ) {
            Ok(v) => WireKey::And(v),
            Err(_) => k.clone(),
        },
        WireKey::Not(inner) => WireKey::Not(Box::new(rewrite(inner, snap))),
        WireKey::Or(a, b) => WireKey::Or(Box::new(rewrite(a, snap)), Box::new(rewrite(b, snap))),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_sorted_and_merged() {
        let set = WireSet::try_from("5:*,1,2,9").unwrap();
        assert_eq!(ranges(&set, 7), [(1, 2), (5, 7)]);
        assert_eq!(ranges_text(&ranges(&set, 7)), "1:2,5:7");
        assert_eq!(ranges(&WireSet::try_from("3").unwrap(), 0), []);
    }

    #[test]
    fn missing_is_the_complement_of_present_uids() {
        assert_eq!(missing(&[(1, 10)], &[2, 3, 7]), [(1, 1), (4, 6), (8, 10)]);
        assert_eq!(missing(&[(2, 3)], &[2, 3]), []);
        assert_eq!(missing(&[(1, 3), (8, 9)], &[]), [(1, 3), (8, 9)]);
        assert_eq!(uid_ranges(&[1, 2, 3, 5]), [(1, 3), (5, 5)]);
    }
}
