//! Mailbox commands: subscriptions, LIST, LSUB, LIST-EXTENDED, SELECT/EXAMINE and STATUS.

use std::collections::HashSet;
use std::path::PathBuf;

use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox as WireMailbox};
use imap_codec::imap_types::response::Code;
use imap_codec::imap_types::status::StatusDataItemName;
use mailfts_store::{mutf7, Flags, Mailbox};

use crate::listext::ListOptions;
use crate::{context, respond};

use super::names::{name_arg, pattern_matcher, special_use, wire_name};
use super::view::{claim_recent, KeywordLists};
use super::*;

impl Session {
    /// CREATE.
    pub(super) fn create(&self, mailbox: &WireMailbox<'_>) -> Result<String, Status> {
        let name = name_arg(mailbox)?;
        self.home()?
            .store
            .create_mailbox(&name)
            .map_err(|e| Status::No(store_no(&e)))?;
        Ok("CREATE completed".into())
    }

    /// DELETE (not of the selected mailbox); the name is unsubscribed too.
    pub(super) fn delete(&self, mailbox: &WireMailbox<'_>) -> Result<String, Status> {
        let name = name_arg(mailbox)?;
        if self.view.as_ref().is_some_and(|v| v.name == name) {
            return Err(Status::No("[INUSE] Mailbox is selected".into()));
        }
        let home = self.home()?.clone();
        home.store
            .delete_mailbox(&name)
            .map_err(|e| Status::No(store_no(&e)))?;
        home.sort.forget(&name);
        self.set_subscribed(&name, false);
        Ok("DELETE completed".into())
    }

    /// RENAME; a subscription moves with the name.
    pub(super) fn rename(
        &self,
        from: &WireMailbox<'_>,
        to: &WireMailbox<'_>,
    ) -> Result<String, Status> {
        let from = name_arg(from)?;
        let to = name_arg(to)?;
        let home = self.home()?.clone();
        home.store
            .rename_mailbox(&from, &to)
            .map_err(|e| Status::No(store_no(&e)))?;
        home.sort.forget(&from);
        if self.subscriptions().contains(&from) {
            self.set_subscribed(&from, false);
            self.set_subscribed(&to, true);
        }
        Ok("RENAME completed".into())
    }

    /// SUBSCRIBE (`on`) or UNSUBSCRIBE.
    pub(super) fn subscribe(&self, mailbox: &WireMailbox<'_>, on: bool) -> Result<String, Status> {
        let name = name_arg(mailbox)?;
        self.set_subscribed(&name, on);
        Ok(if on {
            "SUBSCRIBE completed".into()
        } else {
            "UNSUBSCRIBE completed".into()
        })
    }

    /// LIST, with the LIST-EXTENDED options taken off the command when it had some.
    pub(super) fn list_command(
        &mut self,
        reference: &WireMailbox<'_>,
        pattern: &ListMailbox<'_>,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        match self.list_options.take() {
            Some(opts) => self.list_extended(reference, &opts, out)?,
            None => self.list(reference, pattern, false, out)?,
        }
        Ok("LIST completed".into())
    }

    // ----- mailboxes -----

    pub(super) fn subscriptions_path(&self) -> Option<PathBuf> {
        self.user
            .as_ref()
            .map(|(_, h)| h.store.root().join("subscriptions"))
    }

    /// Subscribed names. Without a `subscriptions` file every mailbox counts as subscribed.
    pub(super) fn subscriptions(&self) -> Vec<String> {
        let Some(path) = self.subscriptions_path() else {
            return Vec::new();
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => text
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with("V\t"))
                .filter_map(|l| mutf7::decode(l).ok().or_else(|| Some(l.to_owned())))
                .collect(),
            Err(_) => self
                .user
                .as_ref()
                .and_then(|(_, h)| h.store.list_mailboxes().ok())
                .unwrap_or_default(),
        }
    }

    pub(super) fn set_subscribed(&self, name: &str, on: bool) {
        let Some(path) = self.subscriptions_path() else {
            return;
        };
        let mut subs = self.subscriptions();
        subs.retain(|s| s != name);
        if on {
            subs.push(name.to_owned());
        }
        subs.sort();
        let text: String = subs
            .iter()
            .map(|s| format!("{}\n", mutf7::encode(s)))
            .collect();
        let tmp = path.with_extension("mailfts-tmp");
        if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write subscriptions");
        }
    }

    pub(super) fn list(
        &self,
        reference: &WireMailbox<'_>,
        pattern: &ListMailbox<'_>,
        lsub: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Status> {
        let home = self.home()?;
        let pat_raw: &[u8] = match pattern {
            ListMailbox::Token(t) => t.as_ref(),
            ListMailbox::String(s) => s.as_ref(),
        };
        let reference = match reference {
            WireMailbox::Inbox => "INBOX".to_owned(),
            WireMailbox::Other(o) => {
                let s = String::from_utf8_lossy(o.as_ref()).into_owned();
                mutf7::decode(&s).unwrap_or(s)
            }
        };
        let word = if lsub { "LSUB" } else { "LIST" };
        if pat_raw.is_empty() {
            out.extend_from_slice(format!("* {word} (\\Noselect) \".\" \"\"\r\n").as_bytes());
            return Ok(());
        }
        let pat_s = String::from_utf8_lossy(pat_raw).into_owned();
        let pattern = format!("{reference}{}", mutf7::decode(&pat_s).unwrap_or(pat_s));
        if lsub {
            self.lsub(&pattern, out);
            return Ok(());
        }
        let names = home
            .store
            .list_mailboxes()
            .map_err(|e| Status::No(store_no(&e)))?;
        // Real mailboxes plus parents that exist only as prefixes (`Lists` of `Lists.usb`).
        let mut all: Vec<(String, bool)> = names.iter().map(|n| (n.clone(), true)).collect();
        let real: HashSet<&String> = names.iter().collect();
        let mut parents = HashSet::new();
        for n in &names {
            let mut p = n.as_str();
            while let Some((head, _)) = p.rsplit_once('.') {
                if !real.contains(&head.to_owned()) && parents.insert(head.to_owned()) {
                    all.push((head.to_owned(), false));
                }
                p = head;
            }
        }
        all.sort();
        let matches = pattern_matcher(&pattern);
        for (name, selectable) in &all {
            if !matches(name) {
                continue;
            }
            let has_children = all.iter().any(|(o, _)| o.starts_with(&format!("{name}.")));
            let mut attrs = vec![if has_children {
                "\\HasChildren"
            } else {
                "\\HasNoChildren"
            }];
            if !selectable {
                attrs.push("\\Noselect");
            }
            if let Some(su) = special_use(name).filter(|_| *selectable) {
                attrs.push(su);
            }
            out.extend_from_slice(format!("* LIST ({}) \".\" ", attrs.join(" ")).as_bytes());
            wire_name(out, name);
            out.extend_from_slice(b"\r\n");
        }
        Ok(())
    }

    /// LSUB (RFC 3501 §6.3.9): the subscribed names that match `pattern`, and, with `\Noselect`,
    /// the unsubscribed parents of subscribed names where the pattern matches the parent but not
    /// the name (`%` stopping at `Parent` of a subscribed `Parent.Child`). As Dovecot 2.3 does, no
    /// child attributes are given and INBOX comes first.
    pub(super) fn lsub(&self, pattern: &str, out: &mut Vec<u8>) {
        let mut subscribed = self.subscriptions();
        subscribed.sort_by(|a, b| (a != "INBOX", a).cmp(&(b != "INBOX", b)));
        subscribed.dedup();
        let matches = pattern_matcher(pattern);
        let mut shown: Vec<(&str, bool)> = Vec::new();
        for name in &subscribed {
            if matches(name) {
                shown.push((name, false));
                continue;
            }
            let mut p = name.as_str();
            while let Some((parent, _)) = p.rsplit_once(mailfts_store::SEPARATOR) {
                if matches(parent) && !subscribed.iter().any(|s| s == parent) {
                    shown.push((parent, true));
                }
                p = parent;
            }
        }
        let mut seen = HashSet::new();
        for (name, noselect) in shown {
            if !seen.insert(name) {
                continue;
            }
            let attrs = if noselect { "\\Noselect" } else { "" };
            out.extend_from_slice(format!("* LSUB ({attrs}) \".\" ").as_bytes());
            wire_name(out, name);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// LIST-EXTENDED (RFC 5258): the names matching any of the patterns, all of them or (selection
    /// SUBSCRIBED) the subscribed ones, with the attributes the return options ask for. A parent
    /// that exists only as a prefix is `\\NonExistent`. With RECURSIVEMATCH, an unsubscribed parent
    /// matching the pattern where a subscribed descendant does not is listed with
    /// `CHILDINFO ("SUBSCRIBED")`, as Dovecot 2.3 does.
    pub(super) fn list_extended(
        &self,
        reference: &WireMailbox<'_>,
        opts: &ListOptions,
        out: &mut Vec<u8>,
    ) -> Result<(), Status> {
        let home = self.home()?;
        let reference = match reference {
            WireMailbox::Inbox => "INBOX".to_owned(),
            WireMailbox::Other(o) => {
                let s = String::from_utf8_lossy(o.as_ref()).into_owned();
                mutf7::decode(&s).unwrap_or(s)
            }
        };
        let patterns: Vec<Vec<char>> = opts
            .patterns
            .iter()
            .map(|p| {
                let p = mutf7::decode(p).unwrap_or_else(|_| p.clone());
                format!("{reference}{p}").chars().collect()
            })
            .collect();
        let matches = |name: &str| {
            let n: Vec<char> = name.chars().collect();
            patterns.iter().any(|p| {
                wildcard_match(p, &n)
                    || (name == "INBOX"
                        && wildcard_match(
                            &p.iter().map(char::to_ascii_uppercase).collect::<Vec<_>>(),
                            &n,
                        ))
            })
        };
        let names = home
            .store
            .list_mailboxes()
            .map_err(|e| Status::No(store_no(&e)))?;
        let exists: HashSet<&str> = names.iter().map(String::as_str).collect();
        let subscribed: Vec<String> = if opts.return_subscribed {
            self.subscriptions()
        } else {
            Vec::new()
        };
        let is_subscribed = |n: &str| subscribed.iter().any(|s| s == n);
        // Every name there is: mailboxes, prefix-only parents, and subscribed names.
        let mut all: Vec<String> = names.clone();
        for n in names.iter().chain(subscribed.iter()) {
            let mut p = n.as_str();
            while let Some((parent, _)) = p.rsplit_once(mailfts_store::SEPARATOR) {
                all.push(parent.to_owned());
                p = parent;
            }
        }
        all.extend(subscribed.iter().cloned());
        all.sort_by(|a, b| (a != "INBOX", a).cmp(&(b != "INBOX", b)));
        all.dedup();
        let child_of = |parent: &str, n: &str| {
            n.strip_prefix(parent)
                .is_some_and(|r| r.starts_with(mailfts_store::SEPARATOR))
        };
        for name in &all {
            if !matches(name) {
                continue;
            }
            let childinfo =
                opts.recursive_match && subscribed.iter().any(|s| child_of(name, s) && !matches(s));
            if opts.subscribed && !is_subscribed(name) && !childinfo {
                continue;
            }
            let mut attrs: Vec<&str> = Vec::new();
            if !exists.contains(name.as_str()) {
                attrs.push("\\NonExistent");
            }
            if opts.return_subscribed && is_subscribed(name) {
                attrs.push("\\Subscribed");
            }
            if opts.return_children {
                let has = all
                    .iter()
                    .any(|o| child_of(name, o) && exists.contains(o.as_str()));
                attrs.push(if has {
                    "\\HasChildren"
                } else {
                    "\\HasNoChildren"
                });
            }
            if opts.return_special_use && exists.contains(name.as_str()) {
                attrs.extend(special_use(name));
            }
            out.extend_from_slice(format!("* LIST ({}) \".\" ", attrs.join(" ")).as_bytes());
            wire_name(out, name);
            if childinfo {
                out.extend_from_slice(b" (CHILDINFO (\"SUBSCRIBED\"))");
            }
            out.extend_from_slice(b"\r\n");
        }
        Ok(())
    }

    pub(super) fn open_mailbox(
        &self,
        mailbox: &WireMailbox<'_>,
    ) -> Result<(String, Mailbox), Status> {
        let name = name_arg(mailbox)?;
        let mb = self
            .home()?
            .store
            .mailbox(&name)
            .map_err(|e| Status::No(store_no(&e)))?;
        Ok((name, mb))
    }

    pub(super) fn select(
        &mut self,
        mailbox: &WireMailbox<'_>,
        read_only: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        self.view = None;
        let (name, mb) = self.open_mailbox(mailbox)?;
        let mut snap = mb.sync().map_err(|e| Status::No(store_no(&e)))?;
        // one walk of what the file names say (a lazy snapshot builds no entries for it)
        let mut keywords: Vec<String> = Vec::new();
        let mut recent: HashSet<u32> = HashSet::new();
        let mut first_unseen = None;
        let mut uids = Vec::with_capacity(snap.len());
        let mut told = Vec::with_capacity(snap.len());
        let mut keyword_lists = KeywordLists::default();
        let mut recent_facts = Vec::new();
        for (i, m) in snap.facts().enumerate() {
            for k in &m.keywords {
                if !keywords.contains(k) {
                    keywords.push(k.clone());
                }
            }
            if first_unseen.is_none() && !m.flags.contains(Flags::SEEN) {
                first_unseen = Some(i as u32 + 1);
            }
            uids.push(m.uid);
            told.push(keyword_lists.told(m.flags, &m.keywords));
            if m.recent {
                recent.insert(m.uid);
                recent_facts.push(m);
            }
        }
        keywords.sort();
        respond::flags(out, &keywords, read_only);
        // \Recent belongs to the first session that sees a message (RFC 3501 §2.3.2): a
        // read-write session moves it from new/ to cur/, so later sessions do not see it as recent.
        if !read_only && !recent.is_empty() {
            claim_recent(&mb, recent_facts.iter());
            snap = mb.sync().map_err(|e| Status::No(store_no(&e)))?;
        }
        respond::exists(out, uids.len() as u32);
        respond::recent(out, recent.len() as u32);
        if let Some(seq) = first_unseen {
            respond::untagged_number(out, Code::Unseen, "UNSEEN", seq, "First unseen");
        }
        let (validity, next) = (snap.uid_validity, snap.uid_next);
        respond::untagged_number(
            out,
            Code::UidValidity,
            "UIDVALIDITY",
            validity,
            "UIDs valid",
        );
        respond::untagged_number(out, Code::UidNext, "UIDNEXT", next, "Predicted next UID");
        let view = View {
            name,
            mailbox: mb,
            read_only,
            uid_validity: snap.uid_validity,
            uids,
            told,
            keyword_lists,
            recent,
            keywords,
            snapshot: snap,
            probe: None,
            updates: context::Updates::default(),
        };
        self.view = Some(view);
        Ok(if read_only {
            "[READ-ONLY] EXAMINE completed".into()
        } else {
            "[READ-WRITE] SELECT completed".into()
        })
    }

    pub(super) fn status(
        &self,
        mailbox: &WireMailbox<'_>,
        items: &[StatusDataItemName],
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let (name, mb) = self.open_mailbox(mailbox)?;
        let snap = mb.sync().map_err(|e| Status::No(store_no(&e)))?;
        let counts = snap.flag_counts();
        let mut parts = Vec::new();
        for item in items {
            let (k, v) = match item {
                StatusDataItemName::Messages => ("MESSAGES", snap.len() as u64),
                StatusDataItemName::Recent => ("RECENT", counts.recent),
                StatusDataItemName::UidNext => ("UIDNEXT", u64::from(snap.uid_next)),
                StatusDataItemName::UidValidity => ("UIDVALIDITY", u64::from(snap.uid_validity)),
                StatusDataItemName::HighestModSeq => ("HIGHESTMODSEQ", snap.highest_modseq),
                StatusDataItemName::Unseen => ("UNSEEN", counts.unseen),
                StatusDataItemName::Deleted => ("DELETED", counts.deleted),
                _ => continue,
            };
            parts.push(format!("{k} {v}"));
        }
        out.extend_from_slice(b"* STATUS ");
        wire_name(out, &name);
        out.extend_from_slice(format!(" ({})\r\n", parts.join(" ")).as_bytes());
        Ok("STATUS completed".into())
    }
}
