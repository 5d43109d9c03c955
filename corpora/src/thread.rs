//! Thread skeleton: parents, participants, Message-IDs and subjects.
//!
//! Everything here is a pure function of `(seed, index)` (plus the
//! ancestors' indices, which are themselves pure functions), so a reply can
//! refer to its parent's Message-ID, sender and subject without any state.

use crate::names::capitalize;
use crate::people::{self, Mailer, Party, ORG_COUNT, POOL};
use crate::rng::{hash3, Rng, STREAM_ID, STREAM_NODE, STREAM_PARENT, STREAM_SUBJECT};
use crate::snippets;
use crate::vocab::Lang;

/// The kind of conversation a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Mail from a person to the owner.
    Personal,
    /// A post to the development mailing list.
    List,
    /// Mail written by the owner.
    Sent,
    /// A newsletter or notification.
    Newsletter,
}

/// The skeleton of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    /// Generation index.
    pub(crate) index: usize,
    /// Index of the message this one replies to or forwards.
    pub(crate) parent: Option<usize>,
    /// Conversation kind (decides the folder).
    pub(crate) kind: Kind,
    /// Sender.
    pub(crate) from: Party,
    /// Primary recipient.
    pub(crate) to: Party,
    /// Forwards the parent instead of replying to it.
    pub(crate) forward: bool,
}

/// Longest ancestor chain followed (References are truncated further).
const MAX_DEPTH: usize = 64;

/// The message `index` replies to, if any (about a third are replies).
pub(crate) fn parent_of(seed: u64, index: usize) -> Option<usize> {
    if index == 0 {
        return None;
    }
    let mut r = Rng::new(seed, index, STREAM_PARENT);
    if !r.chance(0.36) {
        return None;
    }
    Some(index - 1 - r.zipf(index.min(500)))
}

fn pool_person(r: &mut Rng) -> Party {
    Party::Person(r.zipf(POOL))
}

/// List regulars are a different part of the pool than personal contacts.
fn list_person(r: &mut Rng) -> Party {
    Party::Person(POOL - 1 - r.zipf(POOL))
}

fn node(seed: u64, index: usize, parent: Option<&Node>) -> Node {
    let mut r = Rng::new(seed, index, STREAM_NODE);
    let mut n = Node {
        index,
        parent: parent.map(|p| p.index),
        kind: Kind::Personal,
        from: Party::Owner,
        to: Party::Owner,
        forward: false,
    };
    let Some(p) = parent else {
        match r.weighted(&[55, 22, 12, 11]) {
            0 => n.from = pool_person(&mut r),
            1 => (n.kind, n.from, n.to) = (Kind::List, list_person(&mut r), Party::List),
            2 => (n.kind, n.to) = (Kind::Sent, pool_person(&mut r)),
            _ => (n.kind, n.from) = (Kind::Newsletter, Party::Org(r.zipf(ORG_COUNT))),
        }
        return n;
    };
    match p.kind {
        _ if p.to == Party::List || p.kind == Kind::List => {
            if r.chance(0.07) {
                (n.kind, n.to) = (Kind::Sent, Party::List);
            } else {
                (n.kind, n.from, n.to) = (Kind::List, list_person(&mut r), Party::List);
            }
        }
        Kind::Newsletter => {
            (n.kind, n.to, n.forward) = (Kind::Sent, pool_person(&mut r), true);
        }
        Kind::Personal => {
            if r.chance(0.4) {
                (n.kind, n.to) = (Kind::Sent, p.from);
            } else if r.chance(0.5) {
                n.from = p.from;
            } else {
                n.from = pool_person(&mut r);
            }
        }
        _ => {
            if r.chance(0.7) {
                n.from = p.to;
            } else {
                (n.kind, n.to) = (Kind::Sent, p.to);
            }
        }
    }
    if matches!(n.kind, Kind::Personal | Kind::Sent) && n.to != Party::List && r.chance(0.08) {
        n.forward = true;
        if n.kind == Kind::Sent {
            n.to = pool_person(&mut r);
        }
    }
    if n.from == n.to {
        n.from = Party::Person((r.below(POOL - 1) + 1 + n.index) % POOL);
    }
    n
}

/// The ancestors of `index` (root first) followed by its own node.
pub(crate) fn lineage(seed: u64, index: usize) -> Vec<Node> {
    let mut chain = vec![index];
    while chain.len() < MAX_DEPTH {
        match parent_of(seed, *chain.last().expect("non-empty")) {
            Some(p) => chain.push(p),
            None => break,
        }
    }
    let mut nodes: Vec<Node> = Vec::with_capacity(chain.len());
    for &i in chain.iter().rev() {
        let n = node(seed, i, nodes.last());
        nodes.push(n);
    }
    nodes
}

const ID_DOMAINS: &[&str] = &[
    "mail.example.net",
    "example.com",
    "mx.example.org",
    "smtp.example.com",
    "mail.gmail.example.com",
    "eurprd04.prod.outlook.example.com",
];

/// The Message-ID of message `index` (with angle brackets).
pub(crate) fn message_id(seed: u64, index: usize) -> String {
    let h = hash3(seed, index as u64, STREAM_ID);
    let domain = ID_DOMAINS[(h % ID_DOMAINS.len() as u64) as usize];
    match (h >> 40) % 4 {
        0 => format!("<{:016x}.{index}@{domain}>", h),
        1 => format!(
            "<{:08x}-{:04x}-{:04x}-{:04x}-{:012x}@{domain}>",
            h >> 32,
            (h >> 16) & 0xffff,
            0x4000 | (h & 0x0fff),
            0x8000 | (index >> 48) as u64 & 0x3fff,
            index as u64 & 0xffff_ffff_ffff
        ),
        2 => format!(
            "<CA+{}{index:x}@{domain}>",
            crate::encode::base64_string(&h.to_le_bytes())
                .trim_end_matches('=')
                .replace('/', "_")
        ),
        _ => format!(
            "<{}.GA{index}@{domain}>",
            20_210_101_000_000u64 + h % 30_000_000_000
        ),
    }
}

/// The language a message is written in.
pub(crate) fn language(seed: u64, n: &Node) -> Lang {
    let party = if n.from == Party::Owner { n.to } else { n.from };
    match party {
        Party::List => Lang::En,
        Party::Owner => Lang::En,
        _ if n.kind == Kind::List => {
            // Mostly English, but a regular occasionally writes in their language.
            let mut r = Rng::new(seed, n.index, STREAM_SUBJECT ^ 0x1a);
            let lang = people::resolve(seed, party).lang;
            if r.chance(0.12) {
                lang
            } else {
                Lang::En
            }
        }
        _ => people::resolve(seed, party).lang,
    }
}

const SUBSYSTEMS: &[&str] = &[
    "usb: gadget",
    "usb: dwc3",
    "store",
    "indexer",
    "query",
    "ext4",
    "net: tcp",
    "docs",
];
const CHANGES: &[&str] = &[
    "fix probe ordering",
    "avoid NULL dereference in usb_gadget_probe",
    "handle QP soft line breaks",
    "add CJK bigram tokenizer",
    "drop unused locking",
    "speed up maildir scan",
    "fix off-by-one in UID map",
    "document search syntax",
];
/// Newsletter subjects, per organisation (see `people::org`).
const NEWSLETTER_SUBJECTS: &[&[&str]] = &[
    &[
        "Your weekly deals: up to 50% off",
        "Last chance: free shipping ends tonight",
        "New arrivals you'll love",
    ],
    &[
        "Build #{} failed on main",
        "Build #{} fixed on main",
        "Pipeline #{} passed",
    ],
    &[
        "Sommerangebote: jetzt buchen!",
        "Ihre Reiseunterlagen",
        "Frühbucherrabatt für Wien",
    ],
    &[
        "Nos nouveautés de la semaine",
        "Soldes d'été : -30 % sur tout",
        "Votre commande est prête",
    ],
    &[
        "Your statement is ready",
        "Security alert: new sign-in",
        "Your monthly summary",
    ],
];

/// The subject of the thread started by `root`.
pub(crate) fn thread_subject(seed: u64, root: &Node, lang: Lang) -> String {
    let mut r = Rng::new(seed, root.index, STREAM_SUBJECT);
    match root.kind {
        Kind::Newsletter => {
            let org = if let Party::Org(k) = root.from { k } else { 0 };
            let list = NEWSLETTER_SUBJECTS[org % NEWSLETTER_SUBJECTS.len()];
            let s = list[r.zipf(list.len())];
            return s.replace("{}", &(1000 + r.below(9000)).to_string());
        }
        Kind::List if r.chance(0.5) => {
            let version = r.range(1, 5);
            let total = r.range(1, 9);
            let part = r.range(1, total);
            let series = match (version, total) {
                (1, 1) => "[PATCH]".to_string(),
                (1, _) => format!("[PATCH {part}/{total}]"),
                (_, _) => format!("[PATCH v{version} {part}/{total}]"),
            };
            let subsys = SUBSYSTEMS[r.zipf(SUBSYSTEMS.len())];
            let change = CHANGES[r.zipf(CHANGES.len())];
            return format!("[dev] {series} {subsys}: {change}");
        }
        _ => {}
    }
    let data = lang.data();
    let mut s = if r.chance(0.65) {
        data.subjects[r.zipf(data.subjects.len())].to_string()
    } else {
        let words = lang.words();
        let n = r.range(2, 6);
        let sep = if lang.spaced() { " " } else { "" };
        // Skip the most frequent (function) words.
        let content = &words[30..];
        let parts: Vec<&str> = (0..n).map(|_| content[r.zipf(content.len())]).collect();
        capitalize(&parts.join(sep))
    };
    if r.chance(0.15) {
        s.push(' ');
        s.push_str(&snippets::token(&mut r));
    }
    if root.kind == Kind::List {
        s = format!("[dev] {s}");
    }
    s
}

/// Reply or forward prefix used by a sender.
fn prefix(n: &Node, mailer: Mailer, lang: Lang, r: &mut Rng) -> &'static str {
    if n.forward {
        return match (mailer, lang) {
            (Mailer::Outlook, Lang::De) => "WG: ",
            (Mailer::Outlook, _) => "FW: ",
            _ => "Fwd: ",
        };
    }
    match (mailer, lang) {
        (Mailer::Outlook | Mailer::Thunderbird, Lang::De) => "AW: ",
        (Mailer::Outlook, _) => "RE: ",
        (Mailer::TheBat, _) => "Re[2]: ",
        (_, Lang::De) if r.chance(0.3) => "AW: ",
        _ if r.chance(0.04) => "Re: Re: ",
        _ => "Re: ",
    }
}

/// The subject of the last node of `lineage`.
pub(crate) fn subject(seed: u64, lineage: &[Node]) -> String {
    let root = &lineage[0];
    let me = lineage.last().expect("non-empty lineage");
    let base = thread_subject(seed, root, language(seed, root));
    if lineage.len() == 1 {
        return base;
    }
    let forwarded = lineage[1..lineage.len() - 1].iter().any(|n| n.forward);
    let sender = people::resolve(seed, me.from);
    let mut r = Rng::new(seed, me.index, STREAM_SUBJECT ^ 0x2b);
    let p = prefix(me, sender.mailer, language(seed, me), &mut r);
    if forwarded {
        format!("{p}Fwd: {base}")
    } else {
        format!("{p}{base}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lineage_is_consistent() {
        for i in 0..500 {
            let l = lineage(11, i);
            assert_eq!(l.last().unwrap().index, i);
            if l.len() > 1 {
                let parent = lineage(11, l[l.len() - 2].index);
                assert_eq!(&l[..l.len() - 1], &parent[..]);
            }
        }
    }

    #[test]
    fn message_ids_are_unique() {
        let ids: std::collections::HashSet<String> = (0..5000).map(|i| message_id(3, i)).collect();
        assert_eq!(ids.len(), 5000);
        assert!(ids
            .iter()
            .all(|id| id.starts_with('<') && id.ends_with('>') && id.is_ascii()));
    }
}
