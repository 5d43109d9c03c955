//! The executor: answers one search program on one mailbox, from the index where it can, by
//! verification where the index only narrows, and by a linear scan where it cannot help.
//!
//! The plan is three-valued. Every node of the program is evaluated over the *indexed range* (store
//! UIDs at or below the mailbox's high-water mark) to a pair of sets: `sure` (certainly matching)
//! and `maybe` (candidates the index could not decide). Leaves:
//!
//! | key | answered by | result |
//! |---|---|---|
//! | flags, KEYWORD, NEW/OLD/RECENT, UID, sequence sets, ALL | store snapshot | sure |
//! | SINCE/BEFORE/ON, LARGER/SMALLER, SENT* | index fast fields | sure |
//! | SUBJECT, FROM, TO, CC, BCC, HEADER on those fields and Message-ID | header columns (substring scan) | sure |
//! | BODY, TEXT: one word | word terms holding it anywhere (`memmem` over the dictionary) | sure |
//! | BODY, TEXT: one word, inside opaque runs | opaque-run columns (substring scan) | sure |
//! | BODY, TEXT: phrases, separators | every run's words or opaque columns, intersected, narrowed by word pairs | maybe |
//! | BODY, TEXT: two words (or a frequent `-` chain and a word) and a pair separator | word pair postings ([`mailfts_indexer::pairs`]) | sure (the pairs whose forms hold the words) |
//! | BODY, TEXT: words joined by single `_` (`usb_submit_urb`) | chains of joined runs (`memmem` over their terms, [`mailfts_indexer::joined`]) | sure (chains too long to be terms: maybe) |
//! | HEADER on other fields | runs of the header block | maybe |
//!
//! `AND`/`OR`/`NOT` combine the pairs (`NOT` of a `maybe` stays `maybe`). The answer is
//! `sure ∪ verify(maybe) ∪ scan(tail)`, where verify and scan run the exact evaluator on the
//! message files, and the tail is every store UID above the high-water mark. Verifying reads a
//! candidate's document attachments (PDF, OOXML, ODF) only when its body does not decide and the
//! index allows one of the program's BODY/TEXT strings in its attachment text. UIDs the store no longer
//! has never appear: every set is drawn from the store's snapshot. With no usable index (none, another
//! schema version, a mailbox never indexed, a changed UIDVALIDITY) the whole mailbox is scanned.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use mailfts_extractors::MessageContent;
use mailfts_indexer::columns::{
    column_of, holds_base64_pieces, RunEdges, ValueMatch, OPAQUE_BODY, OPAQUE_HEADERS,
};
use mailfts_indexer::document::rfc822_size;
use mailfts_indexer::home::{HomeIndex, IndexSnapshot};
use mailfts_indexer::joined::long_chain_term;
use mailfts_indexer::pairs::{
    is_pair_separator, left_form, pairs_alone, pairs_either_side, pairs_with_alone, right_form,
    PairWords, TextScope, CHAIN_SEPARATOR, MAX_PAIR_LOOKUPS,
};
use mailfts_indexer::terms::{append_docs_of_term, docs_of_terms, Role, TermText};
use mailfts_mailtext::civil::day_of;
use mailfts_mailtext::text::{char_class, fold, CharClass, ADDRESS_VARIANT_MARK};
use mailfts_store::{MessageEntry, Snapshot, Store};
use rayon::prelude::*;
use roaring::RoaringBitmap;
use serde::Serialize;
use tantivy::index::SegmentId;
use tantivy::query::TermQuery;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::termdict::TermOrdinal;
use tantivy::{DocId, SegmentReader, Term};

use crate::ast::{SearchKey, SearchProgram};
use crate::eval::{compile, CompiledKey, ContentSource, MailboxContext, MessageMeta, NoContent};
use crate::textplan::{plan_text, Exactness, Piece, TextPlan};
use crate::SearchError;

/// How a search may use the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// IMAP's answer from the index: exact lookups, candidates verified, the tail scanned.
    Index,
    /// The same as [`Mode::Index`] (kept for `--exact` and the gRPC enum; the index is exact).
    Exact,
    /// Ignore the index: evaluate every message (the fallback and the oracle).
    Scan,
}

/// How the answer was obtained, with timings (printed by `--explain`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Explain {
    /// `index`, or `scan` with the reason.
    pub source: String,
    /// One line per planned leaf: key, how it was answered, sizes.
    pub steps: Vec<String>,
    /// Messages in the mailbox.
    pub messages: u64,
    /// Messages above the high-water mark, scanned.
    pub tail_scanned: u64,
    /// Candidates verified with the evaluator.
    pub verified: u64,
    /// Milliseconds in the store sync.
    pub store_ms: f64,
    /// Milliseconds in index lookups.
    pub index_ms: f64,
    /// Milliseconds verifying candidates and scanning the tail (or the whole mailbox).
    pub scan_ms: f64,
}

/// The answer for one mailbox.
#[derive(Clone, Debug, Serialize)]
pub struct MailboxAnswer {
    /// Mailbox name.
    pub mailbox: String,
    /// Matching UIDs, ascending.
    pub uids: Vec<u32>,
    /// How they were found.
    pub explain: Explain,
}

/// A search engine over one home: its store and, when usable, its index.
pub struct Engine<'a> {
    store: &'a Store,
    index: Option<&'a HomeIndex>,
    /// Why there is no index, when there is none.
    no_index_reason: Option<String>,
}

impl<'a> Engine<'a> {
    /// An engine over `store`, using `index` when given.
    pub fn new(store: &'a Store, index: Option<&'a HomeIndex>) -> Engine<'a> {
        Engine {
            store,
            index,
            no_index_reason: None,
        }
    }

    /// An engine that scans, saying why (shown in `--explain`).
    pub fn without_index(store: &'a Store, reason: impl Into<String>) -> Engine<'a> {
        Engine {
            store,
            index: None,
            no_index_reason: Some(reason.into()),
        }
    }

    /// Answers `program` on mailbox `name`.
    pub fn search(
        &self,
        name: &str,
        program: &SearchProgram,
        mode: Mode,
    ) -> Result<MailboxAnswer, SearchError> {
        let t0 = Instant::now();
        let snapshot = self.store.mailbox(name)?.sync_shared()?;
        let mut explain = Explain {
            messages: snapshot.len() as u64,
            store_ms: ms(t0),
            ..Default::default()
        };
        let key = compile(&program.key);
        let ctx = MailboxContext {
            max_uid: snapshot.max_uid(),
            max_seq: snapshot.len() as u32,
        };
        let usable = match (mode, self.index) {
            (Mode::Scan, _) => Err("scan requested".to_string()),
            (_, None) => Err(self
                .no_index_reason
                .clone()
                .unwrap_or_else(|| "no index".into())),
            (_, Some(index)) => match guard_index(index, || Ok(index.snapshot()?)) {
                Err(damage) => Err(damage),
                Ok(snap) => match snap.meta.mailboxes.get(&snapshot.name).cloned() {
                    None => Err("mailbox not indexed yet".into()),
                    Some(m) if m.uid_validity != snapshot.uid_validity => {
                        Err("UIDVALIDITY changed since indexing".into())
                    }
                    Some(m) => Ok((index, m.clone(), snap, m.high_water)),
                },
            },
        };
        // the index's part of the answer; damage met on the way makes the whole query a scan
        let indexed = usable.and_then(|(index, mb, snap, high_water)| {
            let t = Instant::now();
            let mut planner = Planner {
                snapshot: &snapshot,
                index,
                snap: &snap,
                mailbox_id: mb.id,
                ctx: &ctx,
                indexed: sorted_bitmap(snapshot.uids(), high_water),
                fast: None,
                steps: Vec::new(),
                filtered_out: 0,
                matched: HashMap::new(),
                opaque_hits: HashMap::new(),
                attachments_needed: Some(RoaringBitmap::new()),
            };
            let tri = guard_index(index, || planner.eval(&program.key))?;
            // which candidates may need their attachments extracted (only when some are read)
            let attachments = if tri.maybe.is_empty() {
                None
            } else {
                guard_index(index, || planner.note_attachments(&program.key))?;
                let needed = planner.attachments_needed.take();
                let note = match &needed {
                    Some(n) => format!(
                        "attachments extracted for at most {} of the candidates (the others' hold none of the strings)",
                        (&tri.maybe & n).len()
                    ),
                    None => "attachments extracted for any candidate that has them".to_string(),
                };
                planner.steps.push(note);
                needed
            };
            Ok((
                tri,
                std::mem::take(&mut planner.steps),
                ms(t),
                high_water,
                attachments,
            ))
        });
        let uids = match indexed {
            Err(reason) => {
                explain.source = format!("scan ({reason})");
                let t = Instant::now();
                // made for this scan: the store's shared snapshot does not keep them
                let entries = snapshot.entries_once();
                let all: Vec<&MessageEntry> = entries.iter().collect();
                let r = scan(&program.key, &key, &snapshot, &all, &ctx);
                explain.tail_scanned = all.len() as u64;
                explain.scan_ms = ms(t);
                r
            }
            Ok((tri, steps, index_ms, high_water, attachments)) => {
                explain.source = "index".into();
                explain.steps = steps;
                explain.index_ms = index_ms;
                let t = Instant::now();
                let mut uids: Vec<u32> = tri.sure.iter().collect();
                // only the messages to read are made into entries (a lazy snapshot builds no others)
                let verify: Vec<MessageEntry> =
                    tri.maybe.iter().filter_map(|u| snapshot.entry(u)).collect();
                let tail: Vec<MessageEntry> = snapshot
                    .uids()
                    .iter()
                    .filter(|&&u| u > high_water)
                    .filter_map(|&u| snapshot.entry(u))
                    .collect();
                explain.verified = verify.len() as u64;
                explain.tail_scanned = tail.len() as u64;
                let verify: Vec<&MessageEntry> = verify.iter().collect();
                let tail: Vec<&MessageEntry> = tail.iter().collect();
                uids.extend(scan_with(
                    &program.key,
                    &key,
                    &snapshot,
                    &verify,
                    &ctx,
                    attachments.as_ref(),
                ));
                uids.extend(scan(&program.key, &key, &snapshot, &tail, &ctx));
                uids.sort_unstable();
                uids.dedup();
                explain.scan_ms = ms(t);
                uids
            }
        };
        Ok(MailboxAnswer {
            mailbox: snapshot.name.clone(),
            uids,
            explain,
        })
    }
}

/// The shape of a string whose pair hits can prove it (see [`Planner::adjacent`]): exactly two
/// word pieces of word characters (no CJK: CJK runs have no pairs), the first open at its start
/// and the second at its end (nothing before or after them), and a pair separator between them.
fn provable_shape(pieces: &[Piece], separators: &[Option<String>]) -> bool {
    let [a, b] = pieces else {
        return false;
    };
    let words_only = |p: &Piece| p.text.chars().all(|c| char_class(c) == CharClass::Word);
    a.word
        && b.word
        && a.role.open_start
        && !a.role.open_end
        && !b.role.open_start
        && b.role.open_end
        && words_only(a)
        && words_only(b)
        && separators
            .first()
            .is_some_and(|s| s.as_deref().is_some_and(is_pair_separator))
}

/// The chain a string of the shape `a-b-…-c: d` starts with (`signed-off-by` of
/// `Signed-off-by: Greg`), when that chain is a frequent left form of the index, so that its pair
/// terms prove the string ([`Planner::chain_pair`]): word pieces (no CJK) joined by
/// [`CHAIN_SEPARATOR`], then one [`pairs_either_side`] separator and the last piece, open at the
/// string's start and end.
fn chain_shape(plan: &TextPlan, frequent_left: &[String]) -> Option<String> {
    let n = plan.pieces.len();
    let words_only = |p: &Piece| p.word && p.text.chars().all(|c| char_class(c) == CharClass::Word);
    if n < 3
        || plan.separators.len() != n - 1
        || !plan.pieces.iter().all(words_only)
        || !plan.pieces[0].role.open_start
        || !plan.pieces[n - 1].role.open_end
        || !plan.separators[n - 2]
            .as_deref()
            .is_some_and(pairs_either_side)
        || !plan.separators[..n - 2]
            .iter()
            .all(|s| s.as_deref() == Some(CHAIN_SEPARATOR))
    {
        return None;
    }
    let chain = plan.pieces[..n - 1]
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join(CHAIN_SEPARATOR);
    frequent_left.contains(&chain).then_some(chain)
}

/// The shape of a string the `joined` field answers ([`Planner::joined`]): at least two pieces of
/// word characters (no CJK) separated by single `_`, open at the string's start and end (nothing
/// before the first piece or after the last).
fn joined_shape(plan: &TextPlan) -> bool {
    let n = plan.pieces.len();
    let words_only = |p: &Piece| p.text.chars().all(|c| char_class(c) == CharClass::Word);
    n >= 2
        && plan.separators.len() == n - 1
        && plan.separators.iter().all(|s| s.as_deref() == Some("_"))
        && plan.pieces.iter().all(words_only)
        && plan.pieces[0].role.open_start
        && plan.pieces[n - 1].role.open_end
}

/// Runs an index operation of a search. Any error or panic of the index (a damaged file, a
/// checksum or structural error) becomes the reason to answer by the scan instead (`Err`), logged;
/// damage is also recorded in the index's damage marker so later processes scan without
/// re-detecting it.
fn guard_index<T>(
    index: &HomeIndex,
    f: impl FnOnce() -> Result<T, SearchError>,
) -> Result<T, String> {
    use mailfts_indexer::check::{is_damage, panic_message};
    use mailfts_indexer::IndexError;
    let (reason, damage) = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => return Ok(v),
        Ok(Err(e)) => {
            let damage = match &e {
                SearchError::Tantivy(t)
                | SearchError::Index(IndexError::Tantivy { source: t, .. }) => is_damage(t),
                SearchError::Index(IndexError::Damaged { .. } | IndexError::BadMeta { .. }) => true,
                SearchError::Index(IndexError::Io { source, .. }) => matches!(
                    source.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
                ),
                _ => false,
            };
            (e.to_string(), damage)
        }
        Err(p) => (
            format!("panic in the index: {}", panic_message(p.as_ref())),
            true,
        ),
    };
    tracing::warn!(index = %index.dir().display(), error = %reason, "index failed during a search: answering by the scan");
    if damage {
        mailfts_indexer::marker::mark_damaged(index.dir(), &reason);
        Err(format!("index damaged: {reason}"))
    } else {
        Err(format!("index failed: {reason}"))
    }
}

/// True when `pred` holds for `key` or any key inside it.
pub fn uses(key: &SearchKey, pred: &dyn Fn(&SearchKey) -> bool) -> bool {
    if pred(key) {
        return true;
    }
    match key {
        SearchKey::And(keys) => keys.iter().any(|k| uses(k, pred)),
        SearchKey::Or(a, b) => uses(a, pred) || uses(b, pred),
        SearchKey::Not(k) => uses(k, pred),
        _ => false,
    }
}

/// The `--explain` note for opaque-run columns skipped by their gram filter.
fn filter_note(skipped: usize) -> String {
    match skipped {
        0 => String::new(),
        n => format!("; {n} opaque-run column(s) ruled out by their gram filter"),
    }
}

/// The UIDs up to `high_water` of an ascending, repeat-free list, as a bitmap built from its runs
/// of consecutive UIDs (a fresh process does this for every search; a mailbox's UIDs are mostly
/// long runs, so this costs microseconds for 60,000 messages, not a push per UID).
fn sorted_bitmap(uids: &[u32], high_water: u32) -> RoaringBitmap {
    let mut rest = &uids[..uids.partition_point(|&u| u <= high_water)];
    let mut out = RoaringBitmap::new();
    while let Some(&first) = rest.first() {
        // the run is the longest prefix with `rest[i] == first + i`: a binary search, since
        // `rest[i] - first - i` never decreases in an ascending list without repeats
        let len = run_length(rest, first);
        out.insert_range(first..=rest[len - 1]);
        rest = &rest[len..];
    }
    out
}

/// The number of leading elements of `list` (ascending, repeat-free, `list[0] == first`) with
/// `list[i] == first + i`: a galloping search (that property holds for a prefix), so a run costs
/// the logarithm of its length and a list without runs stays linear.
fn run_length(list: &[u32], first: u32) -> usize {
    let in_run = |i: usize| (list[i] - first) as usize == i;
    let (mut lo, mut step) = (1, 1);
    while lo + step <= list.len() && in_run(lo + step - 1) {
        lo += step;
        step *= 2;
    }
    // the run ends in lo..=min(lo + step - 1, len)
    let mut hi = (lo + step - 1).min(list.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if in_run(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Runs the exact evaluator over `entries` in parallel; returns matching UIDs ascending.
pub fn scan(
    program: &SearchKey,
    key: &CompiledKey,
    snapshot: &Snapshot,
    entries: &[&MessageEntry],
    ctx: &MailboxContext,
) -> Vec<u32> {
    scan_with(program, key, snapshot, entries, ctx, None)
}

/// [`scan`], where a message outside `attachments` (when given) is known from the index to hold
/// none of the program's BODY/TEXT strings in its attachment text: its attachments are not
/// extracted (they would not change any key's value).
fn scan_with(
    program: &SearchKey,
    key: &CompiledKey,
    snapshot: &Snapshot,
    entries: &[&MessageEntry],
    ctx: &MailboxContext,
    attachments: Option<&RoaringBitmap>,
) -> Vec<u32> {
    let needs_date = uses(program, &|k| {
        matches!(
            k,
            SearchKey::Since(_)
                | SearchKey::Before(_)
                | SearchKey::On(_)
                | SearchKey::SentSince(_)
                | SearchKey::SentBefore(_)
                | SearchKey::SentOn(_)
        )
    });
    let needs_size = uses(program, &|k| {
        matches!(k, SearchKey::Larger(_) | SearchKey::Smaller(_))
    });
    let evaluate = |entry: &&MessageEntry| {
        let mut src = FileContent::new(entry);
        src.attachments_possible = attachments.is_none_or(|a| a.contains(entry.uid));
        let internal_day = if needs_date {
            entry.internal_date().map(day_of).unwrap_or(0)
        } else {
            0
        };
        let size = if needs_size {
            match entry.vsize_hint {
                Some(s) => s,
                None => src.raw().map_or(0, rfc822_size),
            }
        } else {
            0
        };
        let meta = MessageMeta {
            uid: entry.uid,
            seq: snapshot.seq_of(entry.uid).unwrap_or(0),
            flags: entry.flags,
            keywords: entry.keywords.clone(),
            recent: entry.recent,
            internal_day,
            size,
        };
        key.evaluate(&meta, ctx, &mut src).then_some(entry.uid)
    };
    // a few messages are read here: starting the thread pool would cost more than it saves
    let mut out: Vec<u32> = if entries.len() < PARALLEL_FROM {
        entries.iter().filter_map(evaluate).collect()
    } else {
        entries.par_iter().filter_map(evaluate).collect()
    };
    out.sort_unstable();
    out
}

/// The number of messages from which [`scan`] reads them on all cores.
const PARALLEL_FROM: usize = 8;

/// Reads a message file on first use and parses only what is asked for: the header block for
/// header keys, the MIME structure and text parts for BODY, attachments only when BODY needs them
/// (each at most once).
struct FileContent<'e> {
    entry: &'e MessageEntry,
    raw: Option<Vec<u8>>,
    gone: bool,
    /// The whole parse, when something asked for everything.
    full: Option<MessageContent>,
    /// Headers and the sent date only.
    head: Option<MessageContent>,
    /// Body text only (attachments not extracted).
    body: Option<MessageContent>,
    /// False when the index rules out every searched string in this message's attachments.
    attachments_possible: bool,
}

impl<'e> FileContent<'e> {
    fn new(entry: &'e MessageEntry) -> Self {
        FileContent {
            entry,
            raw: None,
            gone: false,
            full: None,
            head: None,
            body: None,
            attachments_possible: true,
        }
    }

    fn raw(&mut self) -> Option<&[u8]> {
        if self.raw.is_none() && !self.gone {
            match self.entry.read() {
                Ok(r) => self.raw = Some(r),
                Err(e) => {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!(path = %self.entry.path.display(), error = %e, "cannot read message");
                    }
                    self.gone = true;
                }
            }
        }
        self.raw.as_deref()
    }
}

impl ContentSource for FileContent<'_> {
    fn content(&mut self) -> Option<&MessageContent> {
        if self.full.is_none() {
            self.full = self.raw().map(MessageContent::parse);
        }
        self.full.as_ref()
    }

    fn body_content(&mut self) -> Option<&MessageContent> {
        if self.full.is_some() {
            return self.full.as_ref();
        }
        if self.body.is_none() {
            let limits = mailfts_extractors::Limits::default();
            self.body = self
                .raw()
                .map(|raw| MessageContent::parse_body_with(raw, &limits));
        }
        self.body.as_ref()
    }

    fn attachment_content(&mut self) -> Option<&MessageContent> {
        if self.attachments_possible {
            self.content()
        } else {
            // none of the strings is in the attachments: the skipped ones read as empty
            self.body_content()
        }
    }

    fn header_content(&mut self) -> Option<&MessageContent> {
        if self.full.is_some() {
            return self.full.as_ref();
        }
        if self.head.is_none() {
            self.head = self.raw().map(MessageContent::parse_headers);
        }
        self.head.as_ref()
    }
}

/// Three-valued result over the indexed range.
#[derive(Clone, Debug, Default)]
struct Tri {
    sure: RoaringBitmap,
    maybe: RoaringBitmap,
}

/// Fast-field values of the indexed messages of one mailbox.
struct FastRow {
    internal_day: i64,
    sent_day: i64,
    size: u64,
}

/// The [`FastRow`]s of a mailbox's indexed messages, ascending by UID (a sorted vector: built and
/// searched faster than a hash map of 20,000 rows).
struct FastRows(Vec<(u32, FastRow)>);

impl FastRows {
    /// The rows, in any order.
    fn new(mut rows: Vec<(u32, FastRow)>) -> FastRows {
        rows.sort_unstable_by_key(|&(uid, _)| uid);
        FastRows(rows)
    }

    /// The row of `uid`.
    fn get(&self, uid: u32) -> Option<&FastRow> {
        let i = self.0.binary_search_by_key(&uid, |&(u, _)| u).ok()?;
        Some(&self.0[i].1)
    }
}

impl FastRow {
    /// The row of a document, missing values read as 0; `None` without a UID.
    fn of(row: mailfts_indexer::home::FastRow) -> Option<(u32, FastRow)> {
        Some((
            row.uid? as u32,
            FastRow {
                internal_day: row.internal_day.unwrap_or(0),
                sent_day: row.sent_day.unwrap_or(0),
                size: row.size.unwrap_or(0),
            },
        ))
    }
}

struct Planner<'p> {
    snapshot: &'p Snapshot,
    index: &'p HomeIndex,
    snap: &'p IndexSnapshot,
    mailbox_id: u32,
    ctx: &'p MailboxContext,
    indexed: RoaringBitmap,
    fast: Option<FastRows>,
    steps: Vec<String>,
    /// Opaque-run column bases ruled out by their gram filter so far (shown in `--explain`).
    filtered_out: usize,
    /// The term ordinals matching a piece, by (segment, field, piece text, role): a phrase's
    /// pieces are matched once for their postings and again for their word pairs.
    matched: HashMap<(SegmentId, u32, String, Role), Arc<Vec<TermOrdinal>>>,
    /// Opaque-run column hits by (column, folded piece), searched once per search.
    opaque_hits: HashMap<(usize, String, RunEdges), RoaringBitmap>,
    /// The indexed UIDs whose attachment text may hold one of the program's BODY/TEXT strings
    /// (`None`: any of them): verifying any other message never extracts its attachments.
    attachments_needed: Option<RoaringBitmap>,
}

impl Planner<'_> {
    fn eval(&mut self, key: &SearchKey) -> Result<Tri, SearchError> {
        use SearchKey as K;
        Ok(match key {
            K::And(keys) => {
                let mut acc = Tri {
                    sure: self.indexed.clone(),
                    maybe: RoaringBitmap::new(),
                };
                for k in keys {
                    let t = self.eval(k)?;
                    let any = &(&acc.sure | &acc.maybe) & &(&t.sure | &t.maybe);
                    acc.sure &= &t.sure;
                    acc.maybe = &any - &acc.sure;
                    if acc.sure.is_empty() && acc.maybe.is_empty() {
                        break;
                    }
                }
                acc
            }
            K::Or(a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                let sure = &a.sure | &b.sure;
                let maybe = &(&a.maybe | &b.maybe) - &sure;
                Tri { sure, maybe }
            }
            K::Not(k) => {
                let t = self.eval(k)?;
                Tri {
                    sure: &(&self.indexed - &t.sure) - &t.maybe,
                    maybe: t.maybe,
                }
            }
            K::Subject(s) | K::From(s) | K::To(s) | K::Cc(s) | K::Bcc(s) => {
                let field = match key {
                    K::Subject(_) => "subject",
                    K::From(_) => "from",
                    K::To(_) => "to",
                    K::Cc(_) => "cc",
                    _ => "bcc",
                };
                self.column(field, s, !matches!(key, K::Subject(_)))?
            }
            K::Header(name, s) if column_of(name).is_some() => self.column(name, s, false)?,
            K::Header(name, s) => {
                // candidates: messages whose header block has the field name's runs and the value's
                let t = Instant::now();
                let words = [self.snap.fields.headers];
                let opaque = [OPAQUE_HEADERS];
                let mut maybe = self.indexed.clone();
                for part in [name.as_str(), s.as_str()] {
                    let plan = plan_text(part);
                    for piece in &plan.pieces {
                        if maybe.is_empty() {
                            break;
                        }
                        let (w, o) = self.piece(piece, &words, &opaque)?;
                        maybe &= &(&w | &o);
                    }
                }
                self.steps.push(format!(
                    "HEADER {name}: {} candidates from the header runs ({:.2} ms)",
                    maybe.len(),
                    ms(t)
                ));
                Tri {
                    sure: RoaringBitmap::new(),
                    maybe,
                }
            }
            K::Body(s) => {
                let f = &self.snap.fields;
                let words = [f.body, f.attachments];
                let opaque = [OPAQUE_BODY];
                self.text("BODY", s, &words, &opaque)?
            }
            K::Text(s) => {
                let f = &self.snap.fields;
                let words = [f.headers, f.body, f.attachments];
                let opaque = [OPAQUE_HEADERS, OPAQUE_BODY];
                self.text("TEXT", s, &words, &opaque)?
            }
            K::SentBefore(d) | K::SentOn(d) | K::SentSince(d) => {
                let day = d.days_since_epoch();
                self.load_fast()?;
                let fast = self.fast.as_ref().expect("loaded");
                let sure = self
                    .indexed
                    .iter()
                    .filter(|u| {
                        fast.get(*u).is_some_and(|r| match key {
                            K::SentBefore(_) => r.sent_day < day,
                            K::SentOn(_) => r.sent_day == day,
                            _ => r.sent_day >= day,
                        })
                    })
                    .collect();
                Tri {
                    sure,
                    maybe: RoaringBitmap::new(),
                }
            }
            // metadata keys: the evaluator on store facts plus fast fields, without content
            other => {
                let sub = compile(other);
                let needs_fast = uses(other, &|k| {
                    matches!(
                        k,
                        SearchKey::Since(_)
                            | SearchKey::Before(_)
                            | SearchKey::On(_)
                            | SearchKey::Larger(_)
                            | SearchKey::Smaller(_)
                    )
                });
                if needs_fast {
                    self.load_fast()?;
                }
                let fast = self.fast.as_ref();
                let mut sure = RoaringBitmap::new();
                for (i, m) in self.snapshot.flag_facts().into_iter().enumerate() {
                    if !self.indexed.contains(m.uid) {
                        continue;
                    }
                    let row = fast.and_then(|f| f.get(m.uid));
                    let meta = MessageMeta {
                        uid: m.uid,
                        seq: i as u32 + 1,
                        flags: m.flags,
                        keywords: m.keywords,
                        recent: m.recent,
                        internal_day: row.map_or(0, |r| r.internal_day),
                        size: row.map_or(0, |r| r.size),
                    };
                    if sub.evaluate(&meta, self.ctx, &mut NoContent) {
                        sure.insert(m.uid);
                    }
                }
                Tri {
                    sure,
                    maybe: RoaringBitmap::new(),
                }
            }
        })
    }

    /// A header key answered from the column of `field`: as an address (FROM, TO, CC, BCC: the
    /// values also without CFWS) or as written (HEADER).
    fn column(&mut self, field: &str, needle: &str, address: bool) -> Result<Tri, SearchError> {
        let t = Instant::now();
        let c = column_of(field).expect("column field");
        let folded = fold(needle);
        if folded.contains(ADDRESS_VARIANT_MARK) {
            self.steps.push(format!(
                "{} {needle:?}: a control character the columns never hold, every message verified",
                field.to_uppercase()
            ));
            return Ok(Tri {
                sure: RoaringBitmap::new(),
                maybe: self.indexed.clone(),
            });
        }
        let how = ValueMatch {
            written_only: !address,
            ..ValueMatch::default()
        };
        let hits = self
            .index
            .columns()
            .search_matching(self.mailbox_id, c, &folded, how)?;
        let sure = &hits.uids & &self.indexed;
        self.steps.push(format!(
            "{} {:?}: header column, {} hits ({:.2} ms)",
            field.to_uppercase(),
            needle,
            sure.len(),
            ms(t)
        ));
        Ok(Tri {
            sure,
            maybe: RoaringBitmap::new(),
        })
    }

    fn text(
        &mut self,
        label: &str,
        needle: &str,
        words: &[Field],
        opaque: &[usize],
    ) -> Result<Tri, SearchError> {
        let t = Instant::now();
        let plan = plan_text(needle);
        if plan.exactness == Exactness::Unusable {
            self.steps.push(format!(
                "{label} {needle:?}: no word to look up, every message verified"
            ));
            return Ok(Tri {
                sure: RoaringBitmap::new(),
                maybe: self.indexed.clone(),
            });
        }
        let skipped_before = self.filtered_out;
        if plan.exactness == Exactness::Exact {
            let (w, o) = self.piece(&plan.pieces[0], words, opaque)?;
            let sure = &(&w | &o) & &self.indexed;
            self.steps.push(format!(
                "{label} {needle:?}: index, words {} + opaque runs {} = {}{} ({:.2} ms)",
                w.len(),
                o.len(),
                sure.len(),
                filter_note(self.filtered_out - skipped_before),
                ms(t)
            ));
            return Ok(Tri {
                sure,
                maybe: RoaringBitmap::new(),
            });
        }
        if let Some(tri) = self.joined(&plan, words, opaque)? {
            let hits = tri.sure.len();
            self.steps.push(format!(
                "{label} {needle:?}: index, words joined by `_` {hits} + {} verified (in a chain too long to be a term){} ({:.2} ms)",
                tri.maybe.len(),
                filter_note(self.filtered_out - skipped_before),
                ms(t)
            ));
            return Ok(tri);
        }
        let mut maybe = self.indexed.clone();
        let mut found = Vec::with_capacity(plan.pieces.len());
        for piece in &plan.pieces {
            if maybe.is_empty() {
                break;
            }
            let (w, o) = self.piece(piece, words, opaque)?;
            maybe &= &(&w | &o);
            found.push((w, o));
        }
        let from_runs = maybe.len();
        let mut narrowed = 0;
        let mut sure = RoaringBitmap::new();
        let meta = &self.snap.meta;
        if found.len() == plan.pieces.len() && !meta.pair_left.is_empty() {
            let pair_words = self.index.pair_words(meta);
            let scopes = self.scopes(words);
            if let Some(chain) = chain_shape(&plan, &meta.pair_left) {
                let last = plan.pieces.len() - 1;
                let sep = plan.separators[last - 1].as_deref().unwrap_or_default();
                if let Some((proven, near)) =
                    self.chain_pair(&chain, sep, &plan.pieces[last], words, scopes, &pair_words)?
                {
                    // an occurrence with a run kept among the opaque ones may have no pair (a
                    // run of a base64 value too: any piece's)
                    let in_opaque = found.iter().fold(near, |acc, (_, o)| acc | o);
                    maybe &= &in_opaque;
                    narrowed += 1;
                    sure = &proven & &self.indexed;
                }
            } else {
                for i in 0..plan.pieces.len().saturating_sub(1) {
                    let Some(sep) = plan.separators[i].as_deref() else {
                        continue;
                    };
                    if maybe.is_empty() || !is_pair_separator(sep) {
                        continue;
                    }
                    let (a, b) = (&plan.pieces[i], &plan.pieces[i + 1]);
                    let pairs = (&found[i].0, &found[i + 1].0);
                    let Some((hits, near)) =
                        self.adjacent(a, sep, b, words, scopes, &pair_words, pairs)?
                    else {
                        continue;
                    };
                    // an occurrence inside an opaque run has no pair
                    maybe &= &(&(&near | &found[i].1) | &found[i + 1].1);
                    narrowed += 1;
                    if provable_shape(&plan.pieces, &plan.separators) {
                        sure = &hits & &self.indexed;
                    }
                }
            }
        }
        maybe -= &sure;
        let pairs_note = if narrowed > 0 {
            format!(
                ", {narrowed} word pair(s) narrowed {from_runs} to {}",
                maybe.len() + sure.len()
            )
        } else {
            String::new()
        };
        let proven_note = if sure.is_empty() {
            String::new()
        } else {
            format!(", {} proven by their pair", sure.len())
        };
        self.steps.push(format!(
            "{label} {needle:?}: {} candidates from {} runs{pairs_note}{proven_note}, {} verified{} ({:.2} ms)",
            maybe.len() + sure.len(),
            plan.pieces.len(),
            maybe.len(),
            filter_note(self.filtered_out - skipped_before),
            ms(t)
        ));
        Ok(Tri { sure, maybe })
    }

    /// The texts whose pair and chain terms a search of the word fields `words` looks up: the
    /// header block's only when the header words are among them (TEXT).
    fn scopes(&self, words: &[Field]) -> &'static [TextScope] {
        if words.contains(&self.snap.fields.headers) {
            &[TextScope::Headers, TextScope::Body]
        } else {
            &[TextScope::Body]
        }
    }

    /// Sets [`Planner::attachments_needed`] to the messages whose attachment text may hold a
    /// BODY or TEXT string of `key`: every piece of the string among the attachments field's words
    /// or in an opaque run of the body's column (which holds the attachments' too); `None` (any
    /// message) for a string without runs.
    fn note_attachments(&mut self, key: &SearchKey) -> Result<(), SearchError> {
        match key {
            SearchKey::And(keys) => keys.iter().try_for_each(|k| self.note_attachments(k)),
            SearchKey::Or(a, b) => {
                self.note_attachments(a)?;
                self.note_attachments(b)
            }
            SearchKey::Not(k) => self.note_attachments(k),
            SearchKey::Body(needle) | SearchKey::Text(needle) => {
                if self.attachments_needed.is_none() {
                    return Ok(());
                }
                let plan = plan_text(needle);
                if plan.exactness == Exactness::Unusable {
                    self.attachments_needed = None;
                    return Ok(());
                }
                let attachments = [self.snap.fields.attachments];
                let mut may = self.indexed.clone();
                for piece in &plan.pieces {
                    if may.is_empty() {
                        break;
                    }
                    let (w, o) = self.piece(piece, &attachments, &[OPAQUE_BODY])?;
                    may &= &(&w | &o);
                }
                if let Some(needed) = self.attachments_needed.as_mut() {
                    *needed |= may;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A string of word pieces joined by single `_` ([`joined_shape`]) answered from the chain
    /// terms of the `joined` field ([`mailfts_indexer::joined`]): `sure` holds the messages with a
    /// chain containing it (a proof), `maybe` those with a chain too long to be a term that hold
    /// the inner pieces, to verify. `None` for any other string.
    fn joined(
        &mut self,
        plan: &TextPlan,
        words: &[Field],
        opaque: &[usize],
    ) -> Result<Option<Tri>, SearchError> {
        if !joined_shape(plan) {
            return Ok(None);
        }
        let f = self.snap.fields.clone();
        let scopes = self.scopes(words);
        let chain = Piece {
            text: plan
                .pieces
                .iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>()
                .join("_"),
            role: Role::INSIDE,
            opaque: false,
            word: true,
            cjk: false,
        };
        let mut sure = RoaringBitmap::new();
        let mut long = RoaringBitmap::new();
        let snap = self.snap;
        for segment in snap.searcher.segment_readers() {
            let (text, ords) = self.matching(segment, f.joined, &chain)?;
            let in_scope: Vec<TermOrdinal> = ords
                .iter()
                .copied()
                .filter(|&o| scopes.contains(&TextScope::of_term(text.term(o))))
                .collect();
            let docs = docs_of_terms(segment, f.joined, &text, &in_scope)?;
            let inverted = segment.inverted_index(f.joined)?;
            let mut long_docs: Vec<DocId> = Vec::new();
            for &scope in scopes {
                append_docs_of_term(&inverted, long_chain_term(scope).as_bytes(), &mut long_docs)?;
            }
            if !docs.is_empty() {
                sure |= self.uids_of_docs(segment, &docs)?;
            }
            if !long_docs.is_empty() {
                long |= self.uids_of_docs(segment, &long_docs)?;
            }
        }
        sure &= &self.indexed;
        let mut maybe = &long & &self.indexed;
        maybe -= &sure;
        // narrowed by the inner pieces: whole runs, among the words unless opaque
        let n = plan.pieces.len();
        for piece in &plan.pieces[1..n - 1] {
            if maybe.is_empty() {
                break;
            }
            let (w, o) = self.piece(piece, words, opaque)?;
            maybe &= &(&w | &o);
        }
        Ok(Some(Tri { sure, maybe }))
    }

    /// The UIDs whose words hold `piece` in its role (exact), and those whose opaque runs in the
    /// columns `opaque` hold it at the run edges its role requires ([`RunEdges`]; exact too, but a
    /// piece that may be an opaque run's part is looked up in the words as well).
    fn piece(
        &mut self,
        piece: &Piece,
        words: &[Field],
        opaque: &[usize],
    ) -> Result<(RoaringBitmap, RoaringBitmap), SearchError> {
        let mut found = RoaringBitmap::new();
        if piece.word {
            let snap = self.snap;
            for segment in snap.searcher.segment_readers() {
                let mut docs: Vec<DocId> = Vec::new();
                for &f in words {
                    let (text, ords) = self.matching(segment, f, piece)?;
                    if !ords.is_empty() {
                        docs.extend(docs_of_terms(segment, f, &text, &ords)?);
                    }
                }
                if !docs.is_empty() {
                    found |= self.uids_of_docs(segment, &docs)?;
                }
            }
        }
        let mut in_opaque = RoaringBitmap::new();
        if piece.opaque {
            // every opaque run is followed by a space in its column: a piece that must end (start)
            // a run is looked up with the run's edge
            let edges = RunEdges {
                start: !piece.role.open_start,
                end: !piece.role.open_end,
            };
            // a whole run that is not opaque by its text lies only among a base64 value's pieces
            let whole_word = piece.role == Role::WHOLE && piece.word;
            for &c in opaque
                .iter()
                .filter(|&&c| !whole_word || holds_base64_pieces(c))
            {
                let key = (c, piece.text.clone(), edges);
                if let Some(hits) = self.opaque_hits.get(&key) {
                    in_opaque |= hits;
                    continue;
                }
                let hits =
                    self.index
                        .columns()
                        .search_runs(self.mailbox_id, c, &piece.text, edges)?;
                if hits.base_skipped {
                    self.filtered_out += 1;
                }
                in_opaque |= &hits.uids;
                self.opaque_hits.insert(key, hits.uids);
            }
        }
        Ok((found, in_opaque))
    }

    /// Where a chain of runs joined by [`CHAIN_SEPARATOR`] ending with `chain` (a frequent left
    /// form, [`chain_shape`]) is followed by `sep` and a run holding `b`, from the chain pairs
    /// ([`mailfts_indexer::pairs::PairCursor::feed`]): `(proven, near)`. Every such chain is covered
    /// by a frequent form ending with `chain` (its longest one holds at least `chain`), and across
    /// `sep` the pair is recorded whatever the right run (unless it is opaque), so `near` is every
    /// looked-up hit and `proven` those whose right form holds all of `b`. `None` when there are
    /// too many combinations to look up.
    fn chain_pair(
        &mut self,
        chain: &str,
        sep: &str,
        b: &Piece,
        words: &[Field],
        scopes: &[TextScope],
        pair_words: &PairWords,
    ) -> Result<Option<(RoaringBitmap, RoaringBitmap)>, SearchError> {
        let lefts: Vec<&str> = self
            .snap
            .meta
            .pair_left
            .iter()
            .map(|f| f.as_str())
            .filter(|f| f.ends_with(chain))
            .collect();
        let mut rights: BTreeMap<Vec<u8>, bool> = BTreeMap::new();
        let snap = self.snap;
        for segment in snap.searcher.segment_readers() {
            for &f in words {
                let (text, ords) = self.matching(segment, f, b)?;
                for &ord in ords.iter() {
                    let term = std::str::from_utf8(text.term(ord)).unwrap_or_default();
                    let form = pair_words
                        .right_of(term)
                        .unwrap_or_else(|| right_form(term));
                    rights.insert(form.as_bytes().to_vec(), form.len() >= b.text.len());
                }
            }
        }
        let lookups: Vec<(&[u8], &[u8], bool)> = lefts
            .iter()
            .flat_map(|ta| {
                rights
                    .iter()
                    .map(|(tb, &p)| (ta.as_bytes(), tb.as_slice(), p))
            })
            .collect();
        if lookups.len() * scopes.len() > MAX_PAIR_LOOKUPS {
            return Ok(None);
        }
        self.pair_hits(&lookups, sep, scopes).map(Some)
    }

    /// The UIDs holding the pair terms `L sep R` of `lookups` in any of `scopes`: `(proven,
    /// near)`, `proven` from the lookups marked as proving, `near` from all of them.
    fn pair_hits(
        &mut self,
        lookups: &[(&[u8], &[u8], bool)],
        sep: &str,
        scopes: &[TextScope],
    ) -> Result<(RoaringBitmap, RoaringBitmap), SearchError> {
        let mut proven = RoaringBitmap::new();
        let mut near = RoaringBitmap::new();
        let snap = self.snap;
        for segment in snap.searcher.segment_readers() {
            let inverted = segment.inverted_index(snap.fields.pairs)?;
            let mut proving: Vec<DocId> = Vec::new();
            let mut other: Vec<DocId> = Vec::new();
            let mut key = Vec::new();
            for scope in scopes {
                for &(ta, tb, proves) in lookups {
                    key.clear();
                    key.extend_from_slice(scope.mark().as_bytes());
                    key.extend_from_slice(ta);
                    key.extend_from_slice(sep.as_bytes());
                    key.extend_from_slice(tb);
                    let into = if proves { &mut proving } else { &mut other };
                    append_docs_of_term(&inverted, &key, into)?;
                }
            }
            for docs in [&mut proving, &mut other] {
                docs.sort_unstable();
                docs.dedup();
            }
            if !proving.is_empty() {
                proven |= self.uids_of_docs(segment, &proving)?;
            }
            if !other.is_empty() {
                near |= self.uids_of_docs(segment, &other)?;
            }
        }
        near |= &proven;
        Ok((proven, near))
    }

    /// Where a run holding `a` (in its role) is followed by `sep` and a run holding `b`, from the
    /// word pairs ([`mailfts_indexer::pairs`]) of the texts `scopes`: `(proven, near)`, where
    /// `proven` are the UIDs holding a pair `L sep R` whose `L` ends with all of `a` and whose `R`
    /// starts with all of `b` (text holding `a sep b`), and `near` is a superset of the UIDs with
    /// such runs side by side: every pair recorded for runs that can hold the pieces (both covered
    /// by frequent forms, or one covered by a form that [`pairs_alone`] and the other
    /// [`pairs_with_alone`]), plus the messages where the adjacency may have no pair (with `wa`,
    /// `wb` the UIDs whose words hold `a`, `b`). `None` when the pairs cannot tell (a piece that
    /// is not a word or is CJK, or too many combinations to look up). Occurrences inside opaque
    /// runs are not covered: the caller adds them.
    #[allow(clippy::too_many_arguments)]
    fn adjacent(
        &mut self,
        a: &Piece,
        sep: &str,
        b: &Piece,
        words: &[Field],
        scopes: &[TextScope],
        pair_words: &PairWords,
        (wa, wb): (&RoaringBitmap, &RoaringBitmap),
    ) -> Result<Option<(RoaringBitmap, RoaringBitmap)>, SearchError> {
        // no pair is recorded next to a CJK run: its neighbour is adjacent to nothing paired
        if !a.word || !b.word || a.cjk || b.cjk {
            return Ok(None);
        }
        // per side, the recorded forms of the runs that can hold the piece, each with whether it
        // holds the whole piece: covering forms (`alone`: those paired with a run not covered too)
        // and the plain forms of runs not covered that such a form is paired with
        let mut covered: [BTreeMap<Vec<u8>, bool>; 2] = Default::default();
        let mut alone: [BTreeMap<Vec<u8>, bool>; 2] = Default::default();
        let mut plain: [BTreeMap<Vec<u8>, bool>; 2] = Default::default();
        // the messages with a run not covered (`uncovered`), one not covered and never paired
        // alone (`unpaired`), one covered by a form that is not paired alone (`weak`, the terms
        // by segment, looked up only when needed)
        let mut uncovered: [RoaringBitmap; 2] = Default::default();
        let mut unpaired: [RoaringBitmap; 2] = Default::default();
        let mut weak_terms: [Vec<(usize, Field, Vec<TermOrdinal>)>; 2] = Default::default();
        let snap = self.snap;
        for (s, segment) in snap.searcher.segment_readers().iter().enumerate() {
            for (k, piece) in [a, b].into_iter().enumerate() {
                let mut docs: [Vec<DocId>; 2] = Default::default();
                for &f in words {
                    let (text, ords) = self.matching(segment, f, piece)?;
                    let (mut rare_ords, mut lone_ords, mut weak_ords) =
                        (Vec::new(), Vec::new(), Vec::new());
                    for &ord in ords.iter() {
                        let term = std::str::from_utf8(text.term(ord)).unwrap_or_default();
                        // a form is a suffix (prefix) of the term, as the piece is: it holds the
                        // piece when it is at least as long
                        let (cover, plain_form) = if k == 0 {
                            (pair_words.left_cover(term), left_form(term))
                        } else {
                            (pair_words.right_cover(term), right_form(term))
                        };
                        match cover {
                            Some(c) => {
                                let entry =
                                    (c.form.as_bytes().to_vec(), c.form.len() >= piece.text.len());
                                if pairs_alone(sep, c) {
                                    alone[k].insert(entry.0.clone(), entry.1);
                                } else {
                                    weak_ords.push(ord);
                                }
                                covered[k].insert(entry.0, entry.1);
                            }
                            None => {
                                if pairs_with_alone(sep, term) {
                                    plain[k].insert(
                                        plain_form.as_bytes().to_vec(),
                                        plain_form.len() >= piece.text.len(),
                                    );
                                } else {
                                    lone_ords.push(ord);
                                }
                                rare_ords.push(ord)
                            }
                        }
                    }
                    for (into, ords) in docs.iter_mut().zip([&rare_ords, &lone_ords]) {
                        if !ords.is_empty() {
                            into.extend(docs_of_terms(segment, f, &text, ords)?);
                        }
                    }
                    if !weak_ords.is_empty() {
                        weak_terms[k].push((s, f, weak_ords));
                    }
                }
                if !docs[0].is_empty() {
                    uncovered[k] |= self.uids_of_docs(segment, &docs[0])?;
                }
                if !docs[1].is_empty() {
                    unpaired[k] |= self.uids_of_docs(segment, &docs[1])?;
                }
            }
        }
        // the (left, right) forms to look up, and whether a hit proves the string
        let mut lookups: Vec<(&[u8], &[u8], bool)> = Vec::new();
        for (ta, &pa) in &covered[0] {
            for (tb, &pb) in &covered[1] {
                lookups.push((ta, tb, pa && pb));
            }
        }
        for (ta, &pa) in &alone[0] {
            for (tb, &pb) in &plain[1] {
                lookups.push((ta, tb, pa && pb));
            }
        }
        for (ta, &pa) in &plain[0] {
            for (tb, &pb) in &alone[1] {
                lookups.push((ta, tb, pa && pb));
            }
        }
        if lookups.len() * scopes.len() > MAX_PAIR_LOOKUPS {
            return Ok(None);
        }
        let (proven, mut near) = self.pair_hits(&lookups, sep, scopes)?;
        // occurrences that may have no pair: neither run covered, one not covered next to a
        // form that is not paired alone, or one never paired alone next to anything
        let mut weak: [RoaringBitmap; 2] = Default::default();
        for k in 0..2 {
            if uncovered[1 - k].is_empty() {
                continue;
            }
            for (s, f, ords) in &weak_terms[k] {
                let segment = &snap.searcher.segment_readers()[*s];
                let text = self.index.term_texts().get(segment, *f)?;
                let docs = docs_of_terms(segment, *f, &text, ords)?;
                weak[k] |= self.uids_of_docs(segment, &docs)?;
            }
        }
        near |= &uncovered[0] & &(&uncovered[1] | &weak[1]);
        near |= &weak[0] & &uncovered[1];
        near |= &unpaired[0] & wb;
        near |= wa & &unpaired[1];
        Ok(Some((proven, near)))
    }

    /// The term text of `field` in `segment` and the ordinals of its terms that hold `piece` in
    /// its role, matched once per search.
    fn matching(
        &mut self,
        segment: &SegmentReader,
        field: Field,
        piece: &Piece,
    ) -> Result<(Arc<TermText>, Arc<Vec<TermOrdinal>>), SearchError> {
        let text = self.index.term_texts().get(segment, field)?;
        let key = (
            segment.segment_id(),
            field.field_id(),
            piece.text.clone(),
            piece.role,
        );
        let ords = self
            .matched
            .entry(key)
            .or_insert_with(|| Arc::new(text.matching(piece.text.as_bytes(), piece.role)))
            .clone();
        Ok((text, ords))
    }

    /// The UIDs of the live documents `docs` of `segment` that belong to this mailbox.
    fn uids_of_docs(
        &self,
        segment: &SegmentReader,
        docs: &[DocId],
    ) -> Result<RoaringBitmap, SearchError> {
        let ff = segment.fast_fields();
        let uid = ff.u64("uid")?;
        let mailbox = ff.u64("mailbox")?;
        let alive = segment.alive_bitset();
        let mut out = RoaringBitmap::new();
        for &d in docs {
            if alive.is_some_and(|a| a.is_deleted(d)) {
                continue;
            }
            if mailbox.first(d) == Some(self.mailbox_id as u64) {
                if let Some(u) = uid.first(d) {
                    out.insert(u as u32);
                }
            }
        }
        Ok(out)
    }

    fn load_fast(&mut self) -> Result<(), SearchError> {
        if self.fast.is_some() {
            return Ok(());
        }
        let t = Instant::now();
        let mb = TermQuery::new(
            Term::from_field_u64(self.snap.fields.mailbox, self.mailbox_id as u64),
            IndexRecordOption::Basic,
        );
        let rows: Vec<(u32, FastRow)> = self
            .snap
            .searcher
            .search(&mb, &mailfts_indexer::home::FastRowCollector)?
            .into_iter()
            .filter_map(FastRow::of)
            .collect();
        self.steps.push(format!(
            "fast fields of {} messages ({:.2} ms)",
            rows.len(),
            ms(t)
        ));
        self.fast = Some(FastRows::new(rows));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_bitmap_equals_collecting_the_uids() {
        let mut lists: Vec<Vec<u32>> = vec![
            vec![],
            vec![1],
            vec![7],
            (1..=1000).collect(),
            (1..=1000).filter(|u| u % 3 != 0).collect(),
            (1..=5000).map(|u| u * 2).collect(),
            vec![
                1,
                2,
                3,
                10,
                11,
                12,
                13,
                14,
                15,
                16,
                17,
                40,
                u32::MAX - 1,
                u32::MAX,
            ],
        ];
        // runs of every length from 1 to 40 with gaps of 1 to 3
        let mut mixed = Vec::new();
        let mut next = 1u32;
        for len in 1..=40u32 {
            mixed.extend(next..next + len);
            next += len + 1 + len % 3;
        }
        lists.push(mixed);
        for list in &lists {
            for high_water in [0, 1, 2, 15, 999, 1000, 2001, u32::MAX] {
                let want: RoaringBitmap =
                    list.iter().copied().filter(|&u| u <= high_water).collect();
                assert_eq!(
                    sorted_bitmap(list, high_water),
                    want,
                    "{high_water} {list:?}"
                );
            }
        }
    }
}
