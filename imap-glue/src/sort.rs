//! SORT and THREAD (RFC 5256): sort keys, base subjects, the orderings and the thread trees.
//!
//! Sort keys are computed from the message headers once per message and kept in memory per
//! (home, mailbox, UIDVALIDITY) in a [`crate::sortcache::SortCache`], under one budget for the
//! process.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use imap_codec::imap_types::extensions::sort::{SortCriterion, SortKey};
use mailfts_store::MessageEntry;

/// The sort and thread keys of one message, as a [`SortCache`](crate::sortcache::SortCache)
/// keeps them: the numbers, and the strings back to back in one allocation (about 230 bytes a
/// message with the cache's own cost, against 500 as separate strings: a 450,000-message INBOX
/// sorted by date).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SortKeys {
    /// INTERNALDATE, unix seconds (ARRIVAL).
    pub arrival: i64,
    /// The `Date:` header in UTC, or the internal date when it is missing or unreadable (DATE).
    pub date: i64,
    /// RFC822.SIZE (SIZE).
    pub size: u64,
    /// The subject is a reply or forward (`Re:`, `Fwd:`, `(fwd)`), for THREAD's subject merging.
    pub reply: bool,
    /// Subject, From, To, Cc, then the Message-ID and the references, each of those after a `\n`
    /// (message ids hold no line break).
    text: Box<str>,
    /// Where subject, From, To and Cc end in `text`.
    ends: [u32; 4],
    /// `text` holds a Message-ID after `ends[3]` (else only references follow).
    has_message_id: bool,
}

/// The parts of [`SortKeys`] as separate values: what [`SortKeys::from_message`] reads, and how
/// tests write keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SortKeyParts {
    /// See [`SortKeys::arrival`].
    pub arrival: i64,
    /// See [`SortKeys::date`].
    pub date: i64,
    /// See [`SortKeys::size`].
    pub size: u64,
    /// The base subject (RFC 5256 §2.1), ASCII letters upper-cased: compared as bytes, this is
    /// the `i;ascii-casemap` order RFC 5256 requires (SUBJECT; `[No Subject]` after `Banana`).
    pub subject: String,
    /// Local part of the first From address, ASCII upper-cased (FROM).
    pub from: String,
    /// Local part of the first To address, ASCII upper-cased (TO).
    pub to: String,
    /// Local part of the first Cc address, ASCII upper-cased (CC).
    pub cc: String,
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// References, or else the first In-Reply-To id, oldest first.
    pub references: Vec<String>,
    /// See [`SortKeys::reply`].
    pub reply: bool,
}

impl From<SortKeyParts> for SortKeys {
    fn from(p: SortKeyParts) -> SortKeys {
        let mut text = String::with_capacity(
            p.subject.len()
                + p.from.len()
                + p.to.len()
                + p.cc.len()
                + p.message_id.as_ref().map_or(0, |m| m.len() + 1)
                + p.references.iter().map(|r| r.len() + 1).sum::<usize>(),
        );
        let mut ends = [0u32; 4];
        for (i, part) in [&p.subject, &p.from, &p.to, &p.cc].into_iter().enumerate() {
            text.push_str(part);
            ends[i] = text.len() as u32;
        }
        // an id with a line break in it (none parses so) is cut there
        let id = |s: &str| s.split('\n').next().unwrap_or("").to_owned();
        for m in p.message_id.iter().chain(&p.references) {
            text.push('\n');
            text.push_str(&id(m));
        }
        SortKeys {
            arrival: p.arrival,
            date: p.date,
            size: p.size,
            reply: p.reply,
            text: text.into_boxed_str(),
            ends,
            has_message_id: p.message_id.is_some(),
        }
    }
}

impl SortKeys {
    /// Computes the keys of a stored message (reads its file). `None`: the file is gone.
    pub fn of(entry: &MessageEntry) -> Option<SortKeys> {
        let raw = entry.read().ok()?;
        let arrival = entry.internal_date().unwrap_or(0);
        let size = entry
            .vsize_hint
            .unwrap_or_else(|| mailfts_indexer::document::rfc822_size(&raw));
        Some(SortKeys::from_message(&raw, arrival, size))
    }

    /// Bytes this value holds, its heap included (what a [`crate::sortcache::SortCache`] is
    /// charged for it).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.text.len()
    }

    fn part(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The base subject (RFC 5256 §2.1), ASCII letters upper-cased: compared as bytes, this is
    /// the `i;ascii-casemap` order RFC 5256 requires (SUBJECT; `[No Subject]` after `Banana`).
    pub fn subject(&self) -> &str {
        self.part(0)
    }

    /// Local part of the first From address, ASCII upper-cased (FROM).
    pub fn from_local(&self) -> &str {
        self.part(1)
    }

    /// Local part of the first To address, ASCII upper-cased (TO).
    pub fn to_local(&self) -> &str {
        self.part(2)
    }

    /// Local part of the first Cc address, ASCII upper-cased (CC).
    pub fn cc_local(&self) -> &str {
        self.part(3)
    }

    /// The ids after the four address and subject parts: the Message-ID when there is one, then
    /// the references.
    fn ids(&self) -> std::str::Split<'_, char> {
        let mut ids = self.text[self.ends[3] as usize..].split('\n');
        ids.next(); // empty: the text before the first line break
        ids
    }

    /// Message-ID without angle brackets.
    pub fn message_id(&self) -> Option<&str> {
        if self.has_message_id {
            self.ids().next()
        } else {
            None
        }
    }

    /// References, or else the first In-Reply-To id, oldest first.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.ids().skip(usize::from(self.has_message_id))
    }

    /// Computes the keys from the message bytes.
    pub fn from_message(raw: &[u8], arrival: i64, size: u64) -> SortKeys {
        let end = header_end(raw);
        // `Date` raw, parsed from its own text: mail-parser's date parser reads past the end of a
        // field that ends in a one- or two-letter zone (`UT`) and would swallow the next field
        let parsed = mail_parser::MessageParser::new()
            .header_text(mail_parser::HeaderName::Subject)
            .with_address_headers()
            .with_message_ids()
            .header_raw(mail_parser::HeaderName::Date)
            .parse_headers(&raw[..end]);
        let mut k = SortKeyParts {
            arrival,
            date: arrival,
            size,
            ..SortKeyParts::default()
        };
        let Some(m) = parsed else { return k.into() };
        let date = m
            .header_raw(mail_parser::HeaderName::Date)
            .and_then(mail_parser::DateTime::parse_rfc822);
        if let Some(d) = date.filter(|d| d.is_valid()) {
            k.date = d.to_timestamp();
        }
        k.subject = base_subject(m.subject().unwrap_or("")).to_ascii_uppercase();
        k.reply = is_reply(m.subject().unwrap_or(""));
        let first = |a: Option<&mail_parser::Address<'_>>| -> String {
            a.and_then(|a| a.first())
                .and_then(|a| a.address.as_deref())
                .map(|s| s.split('@').next().unwrap_or("").to_ascii_uppercase())
                .unwrap_or_default()
        };
        k.from = first(m.from());
        k.to = first(m.to());
        k.cc = first(m.cc());
        k.message_id = m.message_id().map(str::to_owned);
        let ids = |v: &mail_parser::HeaderValue<'_>| -> Vec<String> {
            match v {
                mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
                mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
                _ => Vec::new(),
            }
        };
        k.references = ids(m.references());
        if k.references.is_empty() {
            k.references = ids(m.in_reply_to()).into_iter().take(1).collect();
        }
        k.into()
    }
}

fn header_end(raw: &[u8]) -> usize {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(raw.len()),
    }
}

/// The base subject of RFC 5256 §2.1 (input already decoded to UTF-8), in its own case (SORT
/// and THREAD compare it ASCII upper-cased, [`SortKeys::subject`]).
pub fn base_subject(subject: &str) -> String {
    // (1) collapse white space
    let mut s: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        // (2) trailing "(fwd)" and white space
        loop {
            let t = s.trim_end();
            let cut = t.len().saturating_sub(5);
            if t.get(cut..)
                .is_some_and(|end| end.eq_ignore_ascii_case("(fwd)"))
            {
                s = t[..cut].to_owned();
            } else {
                s = t.to_owned();
                break;
            }
        }
        // (3) and (4) leading subj-leader and subj-blob, until nothing changes
        loop {
            let before = s.len();
            while let Some(rest) = strip_leader(&s) {
                s = rest.to_owned();
            }
            if let Some(rest) = strip_blob(&s) {
                if !rest.trim().is_empty() {
                    s = rest.to_owned();
                }
            }
            if s.len() == before {
                break;
            }
        }
        // (6) [fwd: …]
        if s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("[fwd:")) && s.ends_with(']') {
            s = s[5..s.len() - 1].to_owned();
            continue;
        }
        break;
    }
    s.trim().to_owned()
}

/// True when the subject starts with a reply or forward leader (after list tags) or ends in
/// `(fwd)`: RFC 5256 §2.2 step 5's "begins with Re:".
pub fn is_reply(subject: &str) -> bool {
    let s: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = s.to_lowercase();
    if lower.ends_with("(fwd)") || lower.starts_with("[fwd:") {
        return true;
    }
    let mut rest = s.as_str();
    while let Some(r) = strip_blob(rest) {
        rest = r;
    }
    !rest.is_empty() && !rest.starts_with(' ') && strip_leader(rest).is_some()
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP`: the rest after one blob.
fn strip_blob(s: &str) -> Option<&str> {
    let s2 = s.trim_start();
    let rest = s2.strip_prefix('[')?;
    let close = rest.find(']')?;
    if rest[..close].contains('[') {
        return None;
    }
    Some(rest[close + 1..].trim_start())
}

/// `subj-leader = (*subj-blob subj-refwd) / WSP`, `subj-refwd = ("re" / ("fw" ["d"])) *WSP
/// [subj-blob] ":"`: the rest after one leader.
fn strip_leader(s: &str) -> Option<&str> {
    if s.starts_with([' ', '\t']) {
        return Some(s.trim_start());
    }
    let mut rest = s;
    while let Some(r) = strip_blob(rest) {
        rest = r;
    }
    let lower = rest.to_ascii_lowercase();
    let n = if lower.starts_with("fwd") {
        3
    } else if lower.starts_with("re") || lower.starts_with("fw") {
        2
    } else {
        return None;
    };
    let mut r = rest[n..].trim_start();
    if let Some(after) = strip_blob(r) {
        r = after;
    }
    r.strip_prefix(':')
}

/// Orders `items` (uid, sequence number, keys) by the SORT criteria; ties by sequence number.
pub fn sort(items: &mut [(u32, u32, Arc<SortKeys>)], criteria: &[SortCriterion]) {
    items.sort_by(|a, b| {
        for c in criteria {
            let o = compare(&a.2, &b.2, &c.key);
            let o = if c.reverse { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.1.cmp(&b.1)
    });
}

fn compare(a: &SortKeys, b: &SortKeys, key: &SortKey) -> Ordering {
    match key {
        SortKey::Arrival => a.arrival.cmp(&b.arrival),
        SortKey::Date => a.date.cmp(&b.date),
        SortKey::Size => a.size.cmp(&b.size),
        SortKey::Subject => a.subject().cmp(b.subject()),
        SortKey::From | SortKey::DisplayFrom => a.from_local().cmp(b.from_local()),
        SortKey::To | SortKey::DisplayTo => a.to_local().cmp(b.to_local()),
        SortKey::Cc => a.cc_local().cmp(b.cc_local()),
    }
}

/// Deepest thread nesting built; deeper replies are attached flat.
const MAX_THREAD_DEPTH: usize = 256;

/// A thread: a message (None for a missing parent) and its replies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadNode {
    /// The number shown (UID or sequence number); None for a message that is not there.
    pub id: Option<u32>,
    /// Replies, oldest first.
    pub children: Vec<ThreadNode>,
}

/// THREAD=ORDEREDSUBJECT: groups by base subject; in each group the oldest message is the parent
/// of the others; threads ordered by their first message's date. Items: (id, seq, keys).
pub fn ordered_subject(items: &[(u32, u32, Arc<SortKeys>)]) -> Vec<ThreadNode> {
    let mut v: Vec<&(u32, u32, Arc<SortKeys>)> = items.iter().collect();
    v.sort_by(|a, b| (a.2.subject(), a.2.date, a.1).cmp(&(b.2.subject(), b.2.date, b.1)));
    let mut threads: Vec<(i64, u32, ThreadNode)> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i + 1;
        while j < v.len() && v[j].2.subject() == v[i].2.subject() {
            j += 1;
        }
        let node = ThreadNode {
            id: Some(v[i].0),
            children: v[i + 1..j]
                .iter()
                .map(|m| ThreadNode {
                    id: Some(m.0),
                    children: Vec::new(),
                })
                .collect(),
        };
        threads.push((v[i].2.date, v[i].1, node));
        i = j;
    }
    threads.sort_by_key(|t| (t.0, t.1));
    threads.into_iter().map(|t| t.2).collect()
}

/// THREAD=REFERENCES (RFC 5256 §2.2: parent/child links from References and In-Reply-To,
/// dummies pruned, root threads with the same base subject merged, siblings by date).
pub fn references(items: &[(u32, u32, Arc<SortKeys>)]) -> Vec<ThreadNode> {
    let mut out: Vec<ThreadNode> = linked_threads(items).into_iter().map(promote).collect();
    merge_by_subject(&mut out, items);
    sort_siblings(&mut out, items);
    out
}

/// THREAD=REFS (draft-ietf-morg-inthread, as Dovecot 2.3 does it): the threads of
/// [`references`] without the subject merging, ordered by the date of their newest message (ties
/// by the root's number, a missing root first); inside a thread, siblings by date.
pub fn refs(items: &[(u32, u32, Arc<SortKeys>)]) -> Vec<ThreadNode> {
    let by_id: HashMap<u32, (i64, u32)> = items
        .iter()
        .map(|(id, seq, k)| (*id, (k.date, *seq)))
        .collect();
    let mut keyed: Vec<((i64, u32), ThreadNode)> = linked_threads(items)
        .into_iter()
        .map(|t| {
            let root = t.id.and_then(|id| by_id.get(&id)).map_or(0, |k| k.1);
            ((newest_date(&t, &by_id), root), t)
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, t)| promote(t)).collect()
}

/// The latest date of the messages in a thread (`i64::MIN` when it has none).
fn newest_date(n: &ThreadNode, by_id: &HashMap<u32, (i64, u32)>) -> i64 {
    let own = n.id.and_then(|id| by_id.get(&id)).map_or(i64::MIN, |k| k.0);
    n.children
        .iter()
        .map(|c| newest_date(c, by_id))
        .fold(own, i64::max)
}

/// A root that is a missing message with one reply is shown as that reply (RFC 5256 §2.2 step 3).
fn promote(mut n: ThreadNode) -> ThreadNode {
    if n.id.is_none() && n.children.len() == 1 {
        if let Some(only) = n.children.pop() {
            return only;
        }
    }
    n
}

/// RFC 5256 §2.2 steps 1–4 and 6: the threads linked by References and In-Reply-To, dummies
/// pruned (a dummy root is kept, even with one reply), siblings by date; roots in no order.
fn linked_threads(items: &[(u32, u32, Arc<SortKeys>)]) -> Vec<ThreadNode> {
    struct C {
        msg: Option<usize>,
        parent: Option<usize>,
        children: Vec<usize>,
    }
    let mut cs: Vec<C> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let new = |cs: &mut Vec<C>| {
        cs.push(C {
            msg: None,
            parent: None,
            children: Vec::new(),
        });
        cs.len() - 1
    };
    fn is_ancestor(cs: &[C], anc: usize, mut node: usize) -> bool {
        let mut steps = 0;
        while let Some(p) = cs[node].parent {
            if p == anc {
                return true;
            }
            node = p;
            steps += 1;
            if steps > cs.len() {
                return true;
            }
        }
        false
    }
    fn link(cs: &mut [C], parent: usize, child: usize) {
        if let Some(old) = cs[child].parent.take() {
            cs[old].children.retain(|&c| c != child);
        }
        cs[child].parent = Some(parent);
        cs[parent].children.push(child);
    }
    for (mi, (_, _, k)) in items.iter().enumerate() {
        let c = match k.message_id().and_then(|id| ids.get(id).copied()) {
            Some(c) if cs[c].msg.is_none() => c,
            _ => {
                let c = new(&mut cs);
                if let Some(id) = k.message_id() {
                    ids.entry(id.to_owned()).or_insert(c);
                }
                c
            }
        };
        cs[c].msg = Some(mi);
        let mut prev: Option<usize> = None;
        for r in k.references() {
            let rc = match ids.get(r) {
                Some(&x) => x,
                None => {
                    let x = new(&mut cs);
                    ids.insert(r.to_owned(), x);
                    x
                }
            };
            if let Some(p) = prev {
                if cs[rc].parent.is_none()
                    && rc != p
                    && !is_ancestor(&cs, rc, p)
                    && !is_ancestor(&cs, p, rc)
                {
                    link(&mut cs, p, rc);
                }
            }
            prev = Some(rc);
        }
        match prev {
            Some(p) if p != c && !is_ancestor(&cs, c, p) => link(&mut cs, p, c),
            _ => {
                if let Some(old) = cs[c].parent.take() {
                    cs[old].children.retain(|&x| x != c);
                }
            }
        }
    }
    // Build trees, pruning dummies.
    // Below MAX_THREAD_DEPTH the rest of a (crafted) reference chain is attached flat, so the
    // recursion stays bounded.
    fn build(
        cs: &[C],
        items: &[(u32, u32, Arc<SortKeys>)],
        c: usize,
        root: bool,
        depth: usize,
    ) -> Vec<ThreadNode> {
        let mut kids: Vec<ThreadNode> = if depth >= MAX_THREAD_DEPTH {
            let mut flat = Vec::new();
            let mut stack: Vec<usize> = cs[c].children.clone();
            while let Some(k) = stack.pop() {
                if let Some(m) = cs[k].msg {
                    flat.push(ThreadNode {
                        id: Some(items[m].0),
                        children: Vec::new(),
                    });
                }
                stack.extend(&cs[k].children);
            }
            flat
        } else {
            cs[c]
                .children
                .iter()
                .flat_map(|&k| build(cs, items, k, false, depth + 1))
                .collect()
        };
        sort_siblings(&mut kids, items);
        match cs[c].msg {
            Some(m) => vec![ThreadNode {
                id: Some(items[m].0),
                children: kids,
            }],
            None if kids.is_empty() => Vec::new(),
            None if !root => kids,
            None => vec![ThreadNode {
                id: None,
                children: kids,
            }],
        }
    }
    let roots: Vec<usize> = (0..cs.len()).filter(|&c| cs[c].parent.is_none()).collect();
    roots
        .into_iter()
        .flat_map(|r| build(&cs, items, r, true, 0))
        .collect()
}

/// RFC 5256 §2.2 step 5: root threads with the same base subject are put together.
fn merge_by_subject(roots: &mut Vec<ThreadNode>, items: &[(u32, u32, Arc<SortKeys>)]) {
    let keys: HashMap<u32, &SortKeys> = items.iter().map(|(id, _, k)| (*id, k.as_ref())).collect();
    let key_of = |n: &ThreadNode| -> Option<&SortKeys> {
        let id = n.id.or_else(|| n.children.first().and_then(|c| c.id))?;
        keys.get(&id).copied()
    };
    // The root that stands for each subject: a dummy if any, else one whose subject is not a reply.
    let mut table: HashMap<&str, usize> = HashMap::new();
    for (i, n) in roots.iter().enumerate() {
        let Some(k) = key_of(n).filter(|k| !k.subject().is_empty()) else {
            continue;
        };
        match table.get(k.subject()) {
            None => {
                table.insert(k.subject(), i);
            }
            Some(&j) => {
                let other = &roots[j];
                let better = (n.id.is_none() && other.id.is_some())
                    || (other.id.is_some() && key_of(other).is_some_and(|o| o.reply) && !k.reply);
                if better {
                    table.insert(k.subject(), i);
                }
            }
        }
    }
    let targets: Vec<Option<usize>> = roots
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let k = key_of(n).filter(|k| !k.subject().is_empty())?;
            table.get(k.subject()).copied().filter(|&j| j != i)
        })
        .collect();
    let reply: Vec<bool> = roots
        .iter()
        .map(|n| key_of(n).is_some_and(|k| k.reply))
        .collect();
    let mut slots: Vec<Option<ThreadNode>> = std::mem::take(roots).into_iter().map(Some).collect();
    for (i, target) in targets.iter().enumerate() {
        let Some(j) = *target else { continue };
        let Some(this) = slots[i].take() else {
            continue;
        };
        let Some(that) = slots[j].as_mut() else {
            slots[i] = Some(this);
            continue;
        };
        match (that.id.is_none(), this.id.is_none()) {
            (true, true) => that.children.extend(this.children),
            (true, false) => that.children.push(this),
            _ if reply[i] && !reply[j] => that.children.push(this),
            _ => {
                let first = std::mem::replace(
                    that,
                    ThreadNode {
                        id: None,
                        children: Vec::new(),
                    },
                );
                that.children = vec![first, this];
            }
        }
    }
    *roots = slots.into_iter().flatten().collect();
    // A merged thread joins the replies of the root it went under: keep them by date.
    for r in roots.iter_mut() {
        sort_siblings(&mut r.children, items);
    }
}

fn first_key(n: &ThreadNode, by_id: &HashMap<u32, (i64, u32)>) -> (i64, u32) {
    match n.id {
        Some(id) => by_id.get(&id).copied().unwrap_or((i64::MAX, u32::MAX)),
        None => n
            .children
            .first()
            .map_or((i64::MAX, u32::MAX), |c| first_key(c, by_id)),
    }
}

fn sort_siblings(nodes: &mut [ThreadNode], items: &[(u32, u32, Arc<SortKeys>)]) {
    if nodes.len() < 2 {
        return;
    }
    let by_id: HashMap<u32, (i64, u32)> = items
        .iter()
        .map(|(id, seq, k)| (*id, (k.date, *seq)))
        .collect();
    nodes.sort_by_key(|n| first_key(n, &by_id));
}

/// Writes threads as in `* THREAD (2)(3 6 (4 23)(44 7 96))`.
pub fn format_threads(threads: &[ThreadNode]) -> String {
    fn inner(n: &ThreadNode, out: &mut String) {
        if let Some(id) = n.id {
            out.push_str(&id.to_string());
        }
        match n.children.len() {
            0 => {}
            1 if n.id.is_some() => {
                out.push(' ');
                inner(&n.children[0], out);
            }
            _ => {
                if n.id.is_some() {
                    out.push(' ');
                }
                for c in &n.children {
                    out.push('(');
                    inner(c, out);
                    out.push(')');
                }
            }
        }
    }
    let mut out = String::new();
    for t in threads {
        out.push('(');
        inner(t, &mut out);
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_subjects() {
        for (s, want) in [
            ("Re: hello", "hello"),
            ("RE: [list] Re: Fwd: hello (fwd)", "hello"),
            ("[PATCH v2] usb: fix", "usb: fix"),
            ("[fwd: Re: x]", "x"),
            ("  many   spaces ", "many spaces"),
            ("[only blob]", "[only blob]"),
            ("Fw[x]: y", "y"),
            ("会议纪要", "会议纪要"),
            ("Re: 議事録 (fwd)", "議事録"),
            ("[fwd: 議事録]", "議事録"),
        ] {
            assert_eq!(base_subject(s), want, "{s:?}");
        }
    }

    fn parts(id: &str, refs: &[&str], date: i64, subject: &str) -> SortKeyParts {
        SortKeyParts {
            date,
            message_id: Some(id.into()),
            references: refs.iter().map(|s| s.to_string()).collect(),
            subject: base_subject(subject).to_ascii_uppercase(),
            reply: is_reply(subject),
            ..SortKeyParts::default()
        }
    }

    fn keys(id: &str, refs: &[&str], date: i64, subject: &str) -> Arc<SortKeys> {
        let p = SortKeyParts {
            reply: false,
            ..parts(id, refs, date, subject)
        };
        Arc::new(p.into())
    }

    #[test]
    fn the_compact_keys_give_back_their_parts() {
        let cases = [
            SortKeyParts::default(),
            SortKeyParts {
                subject: "GRüßE".into(),
                from: "ALICE".into(),
                cc: "議事録".into(),
                message_id: Some("a@x".into()),
                ..SortKeyParts::default()
            },
            SortKeyParts {
                to: "BOB".into(),
                references: vec!["p@x".into(), "q@x".into()],
                ..SortKeyParts::default()
            },
            SortKeyParts {
                arrival: 1,
                date: -2,
                size: 3,
                reply: true,
                subject: "S".into(),
                message_id: Some(String::new()),
                references: vec![String::new(), "r@x".into()],
                ..SortKeyParts::default()
            },
        ];
        for p in cases {
            let k = SortKeys::from(p.clone());
            let back = SortKeyParts {
                arrival: k.arrival,
                date: k.date,
                size: k.size,
                subject: k.subject().into(),
                from: k.from_local().into(),
                to: k.to_local().into(),
                cc: k.cc_local().into(),
                message_id: k.message_id().map(str::to_owned),
                references: k.references().map(str::to_owned).collect(),
                reply: k.reply,
            };
            assert_eq!(back, p);
        }
    }

    #[test]
    fn threads_by_references() {
        let items = vec![
            (1, 1, keys("a", &[], 10, "x")),
            (2, 2, keys("b", &["a"], 20, "Re: x")),
            (3, 3, keys("c", &[], 15, "y")),
            (4, 4, keys("d", &["a", "b"], 30, "Re: x")),
            (5, 5, keys("e", &["a"], 25, "Re: x")),
            (6, 6, keys("f", &["zz"], 5, "orphan")),
            (7, 7, keys("g", &["zz"], 6, "orphan")),
        ];
        let t = references(&items);
        assert_eq!(format_threads(&t), "((6)(7))(1 (2 4)(5))(3)");
        let t = ordered_subject(&items);
        assert_eq!(format_threads(&t), "(6 7)(1 (2)(5)(4))(3)");
    }

    #[test]
    fn threads_merge_by_subject() {
        let reply = |id: &str, date, subject: &str| Arc::new(parts(id, &[], date, subject).into());
        let items = vec![
            (1, 1, reply("a", 10, "Meeting")),
            (2, 2, reply("b", 20, "Re: Meeting")),
            (3, 3, reply("c", 30, "[list] RE: meeting")),
            (4, 4, reply("d", 5, "Other")),
            (5, 5, reply("e", 6, "other")),
        ];
        assert_eq!(format_threads(&references(&items)), "((4)(5))(1 (2)(3))");
        assert!(is_reply("[x] Fwd: y") && is_reply("a (fwd)") && !is_reply("Reply needed"));
    }

    #[test]
    fn a_very_deep_chain_does_not_overflow() {
        let n = 5_000;
        let items: Vec<_> = (0..n)
            .map(|i| {
                let refs: Vec<String> = if i == 0 {
                    vec![]
                } else {
                    vec![format!("m{}", i - 1)]
                };
                let r: Vec<&str> = refs.iter().map(String::as_str).collect();
                (
                    i as u32 + 1,
                    i as u32 + 1,
                    keys(&format!("m{i}"), &r, i as i64, "x"),
                )
            })
            .collect();
        let t = references(&items);
        assert_eq!(t.len(), 1);
        assert!(format_threads(&t).starts_with("(1 2 3 "));
    }

    #[test]
    fn subjects_sort_with_ascii_casemap() {
        let key = |s: &str| {
            SortKeys::from_message(format!("Subject: {s}\r\n\r\n").as_bytes(), 0, 0)
                .subject()
                .to_owned()
        };
        let mut v = vec![
            key("[No Subject]"),
            key("_under"),
            key("apple"),
            key("Banana"),
        ];
        v.sort();
        assert_eq!(v, ["APPLE", "BANANA", "[NO SUBJECT]", "_UNDER"]);
    }

    #[test]
    fn keys_from_headers() {
        let k = SortKeys::from_message(
            b"Date: Tue, 1 Jan 2002 10:00:00 +0100\r\nFrom: \"A\" <Alice@x.org>\r\nSubject: =?utf-8?q?Re=3A_gr=C3=BC=C3=9Fe?=\r\nReferences: <p@x> <q@x>\r\n\r\nbody",
            7,
            9,
        );
        assert_eq!(k.date, 1009875600);
        // i;ascii-casemap (RFC 5256): only a-z are folded.
        assert_eq!(k.from_local(), "ALICE");
        assert_eq!(k.subject(), "GRüßE");
        assert_eq!(k.message_id(), None);
        assert_eq!(k.references().collect::<Vec<_>>(), ["p@x", "q@x"]);
        // an obsolete two-letter zone ends the date; the next field is read
        let k = SortKeys::from_message(
            b"Date: Tue, 1 Jan 2002 10:00:00 UT\nFrom: Bob <bob@x.org>\n\nbody",
            7,
            9,
        );
        assert_eq!((k.date, k.from_local()), (1009879200, "BOB"));
    }
}
