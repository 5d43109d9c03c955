//! The exact evaluator: the single definition of IMAP SEARCH semantics in mailfts, and the oracle
//! every index-backed plan is tested against.
//!
//! # Semantics
//!
//! * **String match**: `fold(needle)` is a substring of `fold(haystack)`, where `fold` is
//!   [`mailfts_mailtext::text::fold`] (full Unicode case folding: `STRASSE` matches `straße`, `ΣΑΣ`
//!   matches `σας`, Cyrillic and Greek case pairs match). An empty needle matches any field that is
//!   present.
//! * **SUBJECT / FROM / TO / CC / BCC s**: some header field of that name (ASCII case-insensitive)
//!   whose decoded value ([`MessageContent::headers`]: unfolded, RFC 2047 decoded) matches.
//!   **HEADER name s**: the same for any field name; `HEADER name ""` matches every message that has
//!   the field. A message without the field never matches, not even with `""`. FROM, TO, CC and
//!   BCC also match the value without comments and the white space around `@` and `.`
//!   ([`without_cfws`]): `FROM user@example.org` finds `<user (comment)@ (comment) example.org>`,
//!   as in Dovecot 2.3.
//! * **BODY s**: [`MessageContent::body`] matches, or [`MessageContent::attachments`] matches (each
//!   searched on its own: no match across the boundary).
//! * **TEXT s**: [`MessageContent::header_block`] matches, or BODY s.
//! * **SINCE d**: internal day ≥ d; **BEFORE d**: internal day < d; **ON d**: equal. The internal day
//!   is [`MessageMeta::internal_day`] (UTC).
//! * **SENTSINCE / SENTBEFORE / SENTON**: the same comparisons on [`MessageContent::sent_date`] (the
//!   calendar date of the `Date:` header in its own zone); a message without a valid `Date:` header
//!   uses its internal day instead (as Dovecot does).
//! * **LARGER n**: size > n; **SMALLER n**: size < n (size = RFC822.SIZE).
//! * **Flags**: ANSWERED, DELETED, DRAFT, FLAGGED, SEEN and their UN- forms test
//!   [`MessageMeta::flags`]. **KEYWORD k** is true when `k` is in [`MessageMeta::keywords`]
//!   (case-insensitive); `$Forwarded` is also true when [`Flags::PASSED`] is set; a system flag name
//!   (`\Seen`, anything starting with `\`) is never a keyword, so KEYWORD `\Seen` is false and
//!   UNKEYWORD `\Seen` true. **UNKEYWORD k** = NOT KEYWORD k.
//! * **RECENT** = [`MessageMeta::recent`]; **NEW** = recent and not seen; **OLD** = not recent.
//! * **UID set**: `*` is [`MailboxContext::max_uid`]; a **sequence set** is matched against
//!   [`MessageMeta::seq`] with `*` = [`MailboxContext::max_seq`]. Ranges are unordered; `*` matches
//!   nothing when the maximum is 0 (empty mailbox). See [`SequenceSet::contains`].
//! * **NOT**, **OR**, **And** (all members; the empty And is true), **ALL** (true).
//! * **Missing content**: when [`ContentSource::content`] returns `None` (the message vanished or
//!   cannot be read), every content key (SUBJECT…TEXT, HEADER, BODY, SENT*) is false; NOT of it is
//!   true.
//!
//! # Evaluation
//!
//! [`compile`] turns a key into a [`CompiledKey`] once: needles are folded and their
//! [`memchr::memmem::Finder`]s built, sequence sets sorted, and the members of every And / OR
//! ordered so that metadata keys run before header keys and header keys before body keys. Boolean
//! short-circuiting then loads the content only when a metadata test did not already decide.
//! [`CompiledKey::evaluate`] keeps, for the one message it evaluates, the folded header block, body
//! and attachment text, so several keys over the same text fold it once.

use std::fmt;

use memchr::memmem::Finder;

use mailfts_extractors::MessageContent;
pub use mailfts_mailtext::text::without_cfws;
use mailfts_mailtext::text::{fold, fold_into};
use mailfts_store::Flags;

use crate::ast::{SearchKey, SeqBound, SequenceSet};

/// What the evaluator knows about a message without reading it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageMeta {
    /// The message's UID.
    pub uid: u32,
    /// The message sequence number (1-based position in the mailbox).
    pub seq: u32,
    /// System flags.
    pub flags: Flags,
    /// Keywords (user flags), as stored.
    pub keywords: Vec<String>,
    /// `\Recent`.
    pub recent: bool,
    /// The internal date as days since 1970-01-01, UTC.
    pub internal_day: i64,
    /// RFC822.SIZE in bytes.
    pub size: u64,
}

/// Mailbox-wide values the keys refer to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailboxContext {
    /// The highest UID in use (`*` in `UID` sets); 0 for an empty mailbox.
    pub max_uid: u32,
    /// The number of messages (`*` in sequence sets); 0 for an empty mailbox.
    pub max_seq: u32,
}

/// Gives the decoded content of one message, loading it lazily on first request.
pub trait ContentSource {
    /// The content, or `None` if the message vanished or cannot be read (content keys are then
    /// false).
    fn content(&mut self) -> Option<&MessageContent>;

    /// Content whose [`MessageContent::body`] is complete; the headers may be missing, and the
    /// attachments too when [`MessageContent::attachments_skipped`] says so (see
    /// [`MessageContent::parse_body_with`]). BODY asks for this first, so a source may parse less
    /// than [`ContentSource::content`] does.
    fn body_content(&mut self) -> Option<&MessageContent> {
        self.content()
    }

    /// Content whose [`MessageContent::attachments`] are complete: BODY asks for this when the
    /// body did not match and [`ContentSource::body_content`] skipped the attachments.
    fn attachment_content(&mut self) -> Option<&MessageContent> {
        self.content()
    }

    /// Content whose [`MessageContent::headers`] and [`MessageContent::sent_date`] are complete;
    /// the body may be missing (see [`MessageContent::parse_headers`]). Header keys, SENT* and
    /// the header half of TEXT ask for this.
    fn header_content(&mut self) -> Option<&MessageContent> {
        self.content()
    }
}

impl ContentSource for MessageContent {
    fn content(&mut self) -> Option<&MessageContent> {
        Some(self)
    }
}

impl ContentSource for Option<MessageContent> {
    fn content(&mut self) -> Option<&MessageContent> {
        self.as_ref()
    }
}

/// A [`ContentSource`] for a message whose content is unavailable.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoContent;

impl ContentSource for NoContent {
    fn content(&mut self) -> Option<&MessageContent> {
        None
    }
}

/// A [`ContentSource`] that calls a loader for the raw message on first use and parses it once
/// with [`MessageContent::parse`]. A loader returning `None` means the message is gone.
pub struct LazyContent<F> {
    loader: Option<F>,
    content: Option<MessageContent>,
}

impl<F: FnOnce() -> Option<Vec<u8>>> LazyContent<F> {
    /// Wraps a loader returning the raw RFC 5322 bytes.
    pub fn new(loader: F) -> Self {
        LazyContent {
            loader: Some(loader),
            content: None,
        }
    }

    /// True once the loader has been called.
    pub fn was_loaded(&self) -> bool {
        self.loader.is_none()
    }

    /// The parsed content, if it was loaded and found.
    pub fn into_content(self) -> Option<MessageContent> {
        self.content
    }
}

impl<F> fmt::Debug for LazyContent<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyContent")
            .field("loaded", &self.loader.is_none())
            .field("content", &self.content)
            .finish()
    }
}

impl<F: FnOnce() -> Option<Vec<u8>>> ContentSource for LazyContent<F> {
    fn content(&mut self) -> Option<&MessageContent> {
        if let Some(load) = self.loader.take() {
            self.content = load().map(|raw| MessageContent::parse(&raw));
        }
        self.content.as_ref()
    }
}

/// A search string, case-folded once, with a substring searcher built once.
#[derive(Clone, Debug)]
pub struct Needle {
    folded: String,
    finder: Finder<'static>,
}

impl Needle {
    /// Folds `needle` and prepares the searcher.
    pub fn new(needle: &str) -> Needle {
        let folded = fold(needle);
        let finder = Finder::new(folded.as_bytes()).into_owned();
        Needle { folded, finder }
    }

    /// The folded needle.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// True for the empty needle (which matches every present field).
    pub fn is_empty(&self) -> bool {
        self.folded.is_empty()
    }

    /// True when the needle occurs in `folded_haystack`, which must already be folded.
    pub fn matches_folded(&self, folded_haystack: &str) -> bool {
        self.folded.is_empty() || self.finder.find(folded_haystack.as_bytes()).is_some()
    }

    /// True when `fold(needle)` is a substring of `fold(haystack)`.
    pub fn matches(&self, haystack: &str) -> bool {
        let mut scratch = String::new();
        self.matches_with(haystack, &mut scratch)
    }

    /// [`Needle::matches`] folding into a reusable buffer.
    fn matches_with(&self, haystack: &str, scratch: &mut String) -> bool {
        if self.folded.is_empty() {
            return true;
        }
        scratch.clear();
        fold_into(haystack, scratch);
        self.finder.find(scratch.as_bytes()).is_some()
    }
}

/// A search key prepared for evaluating many messages (see the module documentation).
#[derive(Clone, Debug)]
pub struct CompiledKey {
    node: Node,
    needs_content: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Before,
    On,
    Since,
}

impl Cmp {
    fn test(self, day: i64, date: i64) -> bool {
        match self {
            Cmp::Before => day < date,
            Cmp::On => day == date,
            Cmp::Since => day >= date,
        }
    }
}

/// A sequence set prepared for lookups: sorted, merged fixed ranges plus the ranges using `*`.
#[derive(Clone, Debug)]
struct CompiledSet {
    /// Disjoint, sorted, inclusive ranges without `*`.
    fixed: Vec<(u32, u32)>,
    /// Ranges with a `*` bound: the other bound (`None` when both are `*`).
    starred: Vec<Option<u32>>,
}

impl CompiledSet {
    fn new(set: &SequenceSet) -> CompiledSet {
        let mut fixed = Vec::new();
        let mut starred = Vec::new();
        for r in &set.0 {
            match (r.from, r.to) {
                (SeqBound::Value(a), SeqBound::Value(b)) => fixed.push((a.min(b), a.max(b))),
                (SeqBound::Value(a), SeqBound::Star) | (SeqBound::Star, SeqBound::Value(a)) => {
                    starred.push(Some(a))
                }
                (SeqBound::Star, SeqBound::Star) => starred.push(None),
            }
        }
        fixed.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(fixed.len());
        for (lo, hi) in fixed {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        starred.sort_unstable();
        starred.dedup();
        CompiledSet {
            fixed: merged,
            starred,
        }
    }

    fn contains(&self, n: u32, star: u32) -> bool {
        if n == 0 {
            return false;
        }
        let i = self.fixed.partition_point(|&(_, hi)| hi < n);
        if self.fixed.get(i).is_some_and(|&(lo, _)| lo <= n) {
            return true;
        }
        star != 0
            && self.starred.iter().any(|&other| {
                let a = other.unwrap_or(star);
                a.min(star) <= n && n <= a.max(star)
            })
    }
}

#[derive(Clone, Debug)]
enum Node {
    Const(bool),
    Flag {
        flag: Flags,
        set: bool,
    },
    Keyword {
        name: String,
        folded: String,
        forwarded: bool,
    },
    Recent,
    New,
    InternalDate(Cmp, i64),
    SentDate(Cmp, i64),
    Larger(u64),
    Smaller(u64),
    Uid(CompiledSet),
    Seq(CompiledSet),
    Header {
        name: String,
        needle: Needle,
        /// An address field (FROM, TO, CC, BCC): also matched without CFWS ([`without_cfws`]).
        address: bool,
    },
    Body(Needle),
    Text(Needle),
    Not(Box<Node>),
    Or(Box<Node>, Box<Node>),
    And(Vec<Node>),
}

/// Evaluation cost class: metadata, header-level content, body-level content.
fn cost(node: &Node) -> u8 {
    match node {
        Node::Header { .. } | Node::SentDate(..) => 1,
        Node::Body(_) | Node::Text(_) => 2,
        Node::Not(n) => cost(n),
        Node::Or(a, b) => cost(a).max(cost(b)),
        Node::And(v) => v.iter().map(cost).max().unwrap_or(0),
        _ => 0,
    }
}

/// Prepares `key` for evaluation (fold needles, build finders, order And/OR members by cost).
pub fn compile(key: &SearchKey) -> CompiledKey {
    CompiledKey {
        node: compile_node(key),
        needs_content: needs_content(key),
    }
}

fn header(name: &str, value: &str) -> Node {
    Node::Header {
        name: name.to_string(),
        needle: Needle::new(value),
        address: false,
    }
}

fn address_header(name: &str, value: &str) -> Node {
    Node::Header {
        name: name.to_string(),
        needle: Needle::new(value),
        address: true,
    }
}

fn flag(flag: Flags, set: bool) -> Node {
    Node::Flag { flag, set }
}

fn keyword(name: &str) -> Node {
    if name.starts_with('\\') {
        return Node::Const(false);
    }
    Node::Keyword {
        name: name.to_string(),
        folded: fold(name),
        forwarded: name.eq_ignore_ascii_case("$Forwarded"),
    }
}

fn compile_node(key: &SearchKey) -> Node {
    use SearchKey as K;
    match key {
        K::All => Node::Const(true),
        K::Answered => flag(Flags::ANSWERED, true),
        K::Unanswered => flag(Flags::ANSWERED, false),
        K::Deleted => flag(Flags::DELETED, true),
        K::Undeleted => flag(Flags::DELETED, false),
        K::Draft => flag(Flags::DRAFT, true),
        K::Undraft => flag(Flags::DRAFT, false),
        K::Flagged => flag(Flags::FLAGGED, true),
        K::Unflagged => flag(Flags::FLAGGED, false),
        K::Seen => flag(Flags::SEEN, true),
        K::Unseen => flag(Flags::SEEN, false),
        K::Keyword(k) => keyword(k),
        K::Unkeyword(k) => Node::Not(Box::new(keyword(k))),
        K::Recent => Node::Recent,
        K::New => Node::New,
        K::Old => Node::Not(Box::new(Node::Recent)),
        K::Before(d) => Node::InternalDate(Cmp::Before, d.days_since_epoch()),
        K::On(d) => Node::InternalDate(Cmp::On, d.days_since_epoch()),
        K::Since(d) => Node::InternalDate(Cmp::Since, d.days_since_epoch()),
        K::SentBefore(d) => Node::SentDate(Cmp::Before, d.days_since_epoch()),
        K::SentOn(d) => Node::SentDate(Cmp::On, d.days_since_epoch()),
        K::SentSince(d) => Node::SentDate(Cmp::Since, d.days_since_epoch()),
        K::Larger(n) => Node::Larger(*n),
        K::Smaller(n) => Node::Smaller(*n),
        K::Uid(set) => Node::Uid(CompiledSet::new(set)),
        K::SequenceSet(set) => Node::Seq(CompiledSet::new(set)),
        K::Bcc(s) => address_header("Bcc", s),
        K::Cc(s) => address_header("Cc", s),
        K::From(s) => address_header("From", s),
        K::To(s) => address_header("To", s),
        K::Subject(s) => header("Subject", s),
        K::Header(name, s) => header(name, s),
        K::Body(s) => Node::Body(Needle::new(s)),
        K::Text(s) => Node::Text(Needle::new(s)),
        K::Not(k) => Node::Not(Box::new(compile_node(k))),
        K::Or(a, b) => {
            let (a, b) = (compile_node(a), compile_node(b));
            if cost(&b) < cost(&a) {
                Node::Or(Box::new(b), Box::new(a))
            } else {
                Node::Or(Box::new(a), Box::new(b))
            }
        }
        K::And(keys) => {
            let mut nodes: Vec<Node> = keys.iter().map(compile_node).collect();
            nodes.sort_by_key(cost);
            Node::And(nodes)
        }
    }
}

/// True when `key` contains a key that needs the message content (header, body, text, SENT*).
pub fn needs_content(key: &SearchKey) -> bool {
    use SearchKey as K;
    match key {
        K::Bcc(_)
        | K::Body(_)
        | K::Cc(_)
        | K::From(_)
        | K::Header(..)
        | K::SentBefore(_)
        | K::SentOn(_)
        | K::SentSince(_)
        | K::Subject(_)
        | K::Text(_)
        | K::To(_) => true,
        K::Not(k) => needs_content(k),
        K::Or(a, b) => needs_content(a) || needs_content(b),
        K::And(keys) => keys.iter().any(needs_content),
        _ => false,
    }
}

/// Evaluates `key` on one message (compiles it first: for many messages, use [`compile`] once and
/// [`CompiledKey::evaluate`]).
pub fn evaluate(
    key: &SearchKey,
    meta: &MessageMeta,
    ctx: &MailboxContext,
    content: &mut dyn ContentSource,
) -> bool {
    compile(key).evaluate(meta, ctx, content)
}

/// Per-message evaluation state: the content source and the folded texts computed so far.
struct State<'a> {
    src: &'a mut dyn ContentSource,
    scratch: String,
    header_block: Option<String>,
    body: Option<String>,
    attachments: Option<String>,
}

impl CompiledKey {
    /// True when evaluating may read the message content.
    pub fn needs_content(&self) -> bool {
        self.needs_content
    }

    /// Evaluates the key on one message; `content` is only asked for when a content key must be
    /// decided.
    pub fn evaluate(
        &self,
        meta: &MessageMeta,
        ctx: &MailboxContext,
        content: &mut dyn ContentSource,
    ) -> bool {
        let mut st = State {
            src: content,
            scratch: String::new(),
            header_block: None,
            body: None,
            attachments: None,
        };
        eval(&self.node, meta, ctx, &mut st)
    }
}

fn eval(node: &Node, meta: &MessageMeta, ctx: &MailboxContext, st: &mut State<'_>) -> bool {
    match node {
        Node::Const(b) => *b,
        Node::Flag { flag, set } => meta.flags.contains(*flag) == *set,
        Node::Keyword {
            name,
            folded,
            forwarded,
        } => {
            (*forwarded && meta.flags.contains(Flags::PASSED))
                || meta
                    .keywords
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(name) || (!k.is_ascii() && fold(k) == *folded))
        }
        Node::Recent => meta.recent,
        Node::New => meta.recent && !meta.flags.contains(Flags::SEEN),
        Node::InternalDate(cmp, date) => cmp.test(meta.internal_day, *date),
        Node::SentDate(cmp, date) => match st.src.header_content() {
            Some(c) => cmp.test(
                c.sent_date
                    .map_or(meta.internal_day, |d| d.days_since_epoch()),
                *date,
            ),
            None => false,
        },
        Node::Larger(n) => meta.size > *n,
        Node::Smaller(n) => meta.size < *n,
        Node::Uid(set) => set.contains(meta.uid, ctx.max_uid),
        Node::Seq(set) => set.contains(meta.seq, ctx.max_seq),
        Node::Header {
            name,
            needle,
            address,
        } => {
            let State { src, scratch, .. } = st;
            let Some(c) = src.header_content() else {
                return false;
            };
            c.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case(name)
                    && (needle.matches_with(&h.value, scratch)
                        || (*address
                            && h.value.contains(['(', ' ', '\t'])
                            && needle.matches_with(&without_cfws(&h.value), scratch)))
            })
        }
        Node::Body(needle) => body_matches(needle, st),
        Node::Text(needle) => {
            if st.header_block.is_none() {
                let Some(c) = st.src.header_content() else {
                    return false;
                };
                st.header_block = Some(fold(&c.header_block()));
            }
            needle.matches_folded(st.header_block.as_deref().unwrap_or_default())
                || body_matches(needle, st)
        }
        Node::Not(n) => !eval(n, meta, ctx, st),
        Node::Or(a, b) => eval(a, meta, ctx, st) || eval(b, meta, ctx, st),
        Node::And(nodes) => nodes.iter().all(|n| eval(n, meta, ctx, st)),
    }
}

/// BODY: the folded body, then (separately) the folded attachment text.
fn body_matches(needle: &Needle, st: &mut State<'_>) -> bool {
    if st.body.is_none() {
        let Some(c) = st.src.body_content() else {
            return false;
        };
        st.body = Some(fold(&c.body));
    }
    if needle.matches_folded(st.body.as_deref().unwrap_or_default()) {
        return true;
    }
    if st.attachments.is_none() {
        let Some(skipped) = st.src.body_content().map(|c| c.attachments_skipped) else {
            return false;
        };
        let content = if skipped {
            st.src.attachment_content()
        } else {
            st.src.body_content()
        };
        let Some(c) = content else {
            return false;
        };
        st.attachments = Some(fold(&c.attachments));
    }
    needle.matches_folded(st.attachments.as_deref().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfws_is_dropped_from_addresses() {
        for (value, want) in [
            (
                "<user (comment)@ (comment) example.org>",
                "<user@example.org>",
            ),
            ("user@example.org (Some User)", "user@example.org"),
            ("\"Real (Name)\" <a . b @ c.d>", "\"Real (Name)\" <a.b@c.d>"),
            ("Joe  Q (x) Public <j@x>", "Joe Q Public <j@x>"),
            (
                "Greg Kroah-Hartman <gregkh@example.org>",
                "Greg Kroah-Hartman <gregkh@example.org>",
            ),
        ] {
            assert_eq!(without_cfws(value), want, "{value}");
        }
    }
}
