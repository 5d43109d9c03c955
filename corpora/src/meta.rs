//! Per-message mailbox metadata: folder, flags, `new/` vs `cur/`, file name.

use crate::dates;
use crate::rng::{Rng, STREAM_META};
use crate::thread::{Kind, Node};
use crate::CorpusSpec;

/// Where and how a message is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Mailbox name.
    pub(crate) folder: String,
    /// Maildir flags, sorted.
    pub(crate) flags: String,
    /// Stored in `new/`.
    pub(crate) in_new: bool,
    /// Delivery time.
    pub(crate) internal_date: i64,
}

impl Meta {
    /// Maildir file name: `<date>.M<index>P1.gen:2,<flags>`.
    pub(crate) fn file_name(&self, index: usize) -> String {
        format!("{}.M{index}P1.gen:2,{}", self.internal_date, self.flags)
    }
}

fn find(folders: &[String], pred: impl Fn(&str) -> bool) -> Option<&String> {
    folders
        .iter()
        .skip(1)
        .find(|f| pred(&f.to_ascii_lowercase()))
}

fn is_special(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.contains("sent") || l.contains("archive") || l.starts_with("lists") || l.contains("list")
}

/// The folder of a message of `kind`; `age` is 1.0 for the oldest message.
fn folder(spec: &CorpusSpec, kind: Kind, age: f64, r: &mut Rng) -> String {
    let folders = &spec.folders;
    let Some(inbox) = folders.first() else {
        return "INBOX".to_string();
    };
    let chosen = match kind {
        Kind::Sent => find(folders, |f| f.contains("sent")),
        Kind::List => find(folders, |f| f.starts_with("lists") || f.contains("list")),
        Kind::Personal | Kind::Newsletter => {
            let archive = find(folders, |f| f.contains("archive"));
            let others: Vec<&String> = folders.iter().skip(1).filter(|f| !is_special(f)).collect();
            if archive.is_some() && r.chance(0.45 * age) {
                archive
            } else if !others.is_empty() && r.chance(0.15) {
                Some(*r.pick(&others))
            } else {
                None
            }
        }
    };
    chosen.unwrap_or(inbox).clone()
}

/// Folder, flags and dates of the message described by `node`.
pub(crate) fn meta(spec: &CorpusSpec, node: &Node) -> Meta {
    let index = node.index;
    let mut r = Rng::new(spec.seed, index, STREAM_META);
    let age = 1.0 - index as f64 / spec.messages.max(1) as f64;
    let folder = folder(spec, node.kind, age.clamp(0.0, 1.0), &mut r);
    let internal_date = dates::internal_date(spec.seed, spec.messages, index);
    let mut flags = String::new();
    let in_new = node.kind != Kind::Sent && r.chance(0.034);
    if !in_new {
        let (d, re, s) = if node.kind == Kind::Sent {
            (r.chance(0.05), false, true)
        } else {
            let s = r.chance(0.55 + 0.3 * age);
            (false, s && node.kind == Kind::Personal && r.chance(0.3), s)
        };
        let f = r.chance(0.05);
        let t = r.chance(0.015);
        for (on, c) in [(d, 'D'), (f, 'F'), (re, 'R'), (s, 'S'), (t, 'T')] {
            if on {
                flags.push(c);
            }
        }
    }
    Meta {
        folder,
        flags,
        in_new,
        internal_date,
    }
}
