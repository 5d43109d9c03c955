//! The per-user indexes behind the Solr endpoint, and IMAP-exact evaluation of queries on them.
//!
//! One tantivy index per Dovecot user in `index_root/<user>/` (the name percent-encoded where it
//! is not a plain file name). A document is one message: `id` (Dovecot's unique key
//! `UID/BOXGUID/USER`), `box` and `uid` (fast fields, for answers and sorting), `has` (which text
//! fields the message has, and which of them hold a word run longer than a term), and for every
//! text field of Dovecot's schema (`hdr`, `body`, `from`, `to`, `cc`, `bcc`, `subject`) its words
//! (mailfts's tokenizer: full case folding, word runs, CJK bigrams; no positions) and its folded
//! text, stored (lz4) for verification.
//!
//! **Matching is IMAP's as Dovecot does it**: `field:VALUE` holds when `compare_form(VALUE)` is a
//! substring of `compare_form(field)`: compatibility decomposition (NFKD), then mailfts's full case
//! folding ([`mailfts_indexer::text::fold`]). Dovecot's own search compares with
//! `i;unicode-casemap` (titlecase, then decomposition), so `the` finds `thèse` there; with this
//! form Dovecot + mailfts gives the same answers (the one known difference: `ß` is `ss` here,
//! itself in Dovecot). The value is cut into runs as the query engine does
//! ([`mailfts_query::textplan::plan_text`]); each run is looked up by substring in each
//! segment's word dictionary ([`mailfts_indexer::terms::TermText`], SIMD `memmem`) and the
//! candidates intersected. A value that is one word run is answered exactly by that lookup; any
//! other value (phrases, punctuation, CJK), and every message whose field holds a run longer than
//! a term (cut by the tokenizer), is verified against the stored folded text. An empty value
//! matches the messages that have the field.
//!
//! Writes go through one writer per user, opened on the first add or delete. Every update request
//! that changed an index is committed (tantivy fsyncs its files) before it is answered: Dovecot
//! records a mailbox's last indexed UID once the `<add>` request succeeded, before its
//! `<commit/>`, so an answered add must survive a crash (Solr keeps a transaction log for that).
//! A writer unused for a while is closed ([`Indexes::close_idle_writers`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailfts_indexer::terms::{docs_of_terms, TermText};
use mailfts_indexer::text::{fold, runs, MAX_TOKEN_BYTES};
use mailfts_indexer::tokenizer::{MailTokenizer, TOKENIZER_NAME};
use mailfts_query::textplan::{plan_text, Exactness};
use memchr::memmem;
use tantivy::directory::MmapDirectory;
use tantivy::index::SegmentId;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value,
    STORED, STRING,
};
use tantivy::{
    DocId, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, SegmentReader, TantivyDocument,
    Term, TERMINATED,
};
use unicode_normalization::UnicodeNormalization;

use super::lucene::Query;
use super::update::{text_field, Doc, TEXT_FIELDS};
use super::SolrError;

/// Memory budget of one user's writer.
const WRITER_MEMORY: usize = 32 << 20;

/// The fields of a per-user index.
#[derive(Clone, Debug)]
struct Fields {
    id: Field,
    mailbox: Field,
    uid: Field,
    has: Field,
    words: [Field; 7],
    folded: [Field; 7],
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_NAME)
            .set_fieldnorms(false)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        mailbox: b.add_text_field("box", STRING | tantivy::schema::FAST),
        uid: b.add_u64_field(
            "uid",
            NumericOptions::default()
                .set_indexed()
                .set_fast()
                .set_stored(),
        ),
        has: b.add_text_field("has", STRING),
        words: TEXT_FIELDS.map(|name| b.add_text_field(name, words.clone())),
        folded: TEXT_FIELDS.map(|name| b.add_text_field(&format!("{name}.folded"), STORED)),
    };
    (b.build(), fields)
}

/// The form in which field text and search values are compared: NFKD, then full case folding
/// (idempotent, so the tokenizer's own folding leaves it unchanged).
pub fn compare_form(s: &str) -> String {
    if s.is_ascii() {
        return fold(s);
    }
    fold(&s.nfkd().collect::<String>())
}

/// Checks that every field of `q` is in the schema and every `uid:` value a number, so that a
/// bad query is refused whether or not the user has an index yet.
pub fn validate(q: &Query) -> Result<(), SolrError> {
    match q {
        Query::All => Ok(()),
        Query::Not(inner) => validate(inner),
        Query::And(v) | Query::Or(v) => v.iter().try_for_each(validate),
        Query::Match { field, value } => match field.as_str() {
            "id" | "box" | "user" => Ok(()),
            "uid" => value
                .parse::<u32>()
                .map(drop)
                .map_err(|_| SolrError::bad(format!("uid:{value} is not a number"))),
            f if text_field(f).is_some() => Ok(()),
            f => Err(SolrError::bad(format!("undefined field {f}"))),
        },
    }
}

/// One answer: a message of a mailbox.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Mailbox GUID.
    pub mailbox: String,
    /// UID.
    pub uid: u32,
    /// Dovecot's unique key (read only when asked for).
    pub id: Option<String>,
}

/// The indexes of all users under one root.
pub struct Indexes {
    root: PathBuf,
    users: Mutex<HashMap<String, Arc<UserIndex>>>,
}

impl Indexes {
    /// The indexes under `root` (created if missing).
    pub fn open(root: &Path) -> anyhow::Result<Indexes> {
        std::fs::create_dir_all(root)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", root.display()))?;
        Ok(Indexes {
            root: root.to_path_buf(),
            users: Mutex::new(HashMap::new()),
        })
    }

    /// The directory of `user`'s index.
    pub fn dir_of(&self, user: &str) -> PathBuf {
        self.root.join(dir_name(user))
    }

    /// `user`'s index, created when `create`; `None` when it does not exist and `!create`.
    pub fn user(&self, user: &str, create: bool) -> Result<Option<Arc<UserIndex>>, SolrError> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(u) = users.get(user) {
            return Ok(Some(u.clone()));
        }
        let dir = self.dir_of(user);
        if !create && !dir.join("meta.json").exists() {
            return Ok(None);
        }
        let u = Arc::new(UserIndex::open(user, &dir)?);
        users.insert(user.to_string(), u.clone());
        Ok(Some(u))
    }

    /// Closes the writers unused for `idle` that hold nothing uncommitted (each holds threads, a
    /// memory budget and the index lock); the next write opens one again. Returns how many.
    pub fn close_idle_writers(&self, idle: Duration) -> usize {
        let users: Vec<Arc<UserIndex>> = {
            let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
            users.values().cloned().collect()
        };
        users
            .iter()
            .filter(|u| u.close_writer_if_idle(idle))
            .count()
    }

    /// Opens every user's index under the root and verifies its checksums ([`UserIndex::check`]);
    /// returns how many were checked and how many are damaged.
    pub fn check_all(&self) -> (usize, usize) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return (0, 0);
        };
        let (mut checked, mut damaged) = (0, 0);
        for e in entries.flatten() {
            let Some(user) = user_of_dir(&e.file_name().to_string_lossy()) else {
                continue;
            };
            match self.user(&user, false) {
                Ok(Some(u)) => {
                    checked += 1;
                    damaged += usize::from(u.check().is_err());
                }
                Ok(None) => {}
                Err(e) => {
                    damaged += 1;
                    tracing::error!(%user, error = %e.msg, "solr: cannot open the index");
                }
            }
        }
        (checked, damaged)
    }

    /// Commits every user's pending changes; the first failure is returned after trying all.
    pub fn commit_all(&self) -> Result<(), SolrError> {
        let users: Vec<Arc<UserIndex>> = {
            let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
            users.values().cloned().collect()
        };
        let mut first = None;
        for u in users {
            if let Err(e) = u.commit() {
                tracing::error!(user = %u.user, error = %e.msg, "solr: commit failed");
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// A user name as a directory name: kept where it is a plain name, else percent-encoded
/// (`%` alone for the empty user of a namespace without owner).
pub fn dir_name(user: &str) -> String {
    if user.is_empty() {
        return "%".into();
    }
    let mut out = String::with_capacity(user.len());
    for (i, b) in user.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b"_@+-".contains(&b) || (b == b'.' && i > 0);
        if plain {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The user of a directory named by [`dir_name`]; `None` for a name it cannot have written.
pub fn user_of_dir(name: &str) -> Option<String> {
    if name == "%" {
        return Some(String::new());
    }
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let user = String::from_utf8(out).ok()?;
    (dir_name(&user) == name).then_some(user)
}

/// One user's index.
pub struct UserIndex {
    user: String,
    index: Index,
    reader: IndexReader,
    f: Fields,
    /// The writer, whether it holds uncommitted changes, and when it was last used.
    writer: Mutex<(Option<IndexWriter>, bool, Instant)>,
    /// Why the index may not be trusted (a failed checksum), if it may not.
    damaged: Mutex<Option<String>>,
    terms: Mutex<HashMap<(SegmentId, usize), Arc<TermText>>>,
}

impl UserIndex {
    fn open(user: &str, dir: &Path) -> Result<UserIndex, SolrError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SolrError::internal(format!("creating {}: {e}", dir.display())))?;
        let (schema, f) = schema();
        let mmap = MmapDirectory::open(dir).map_err(SolrError::internal)?;
        let index = Index::open_or_create(mmap, schema).map_err(|e| {
            SolrError::internal(format!("opening the index {}: {e}", dir.display()))
        })?;
        index
            .tokenizers()
            .register(TOKENIZER_NAME, MailTokenizer::default());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(UserIndex {
            user: user.to_string(),
            index,
            reader,
            f,
            writer: Mutex::new((None, false, Instant::now())),
            damaged: Mutex::new(None),
            terms: Mutex::new(HashMap::new()),
        })
    }

    fn with_writer<T>(
        &self,
        op: impl FnOnce(&IndexWriter) -> Result<T, SolrError>,
    ) -> Result<T, SolrError> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if w.0.is_none() {
            w.0 = Some(
                self.index
                    .writer_with_num_threads(1, WRITER_MEMORY)
                    .map_err(|e| {
                        SolrError::internal(format!("index writer of {}: {e}", self.user))
                    })?,
            );
        }
        w.1 = true;
        w.2 = Instant::now();
        op(w.0.as_ref().expect("just set"))
    }

    /// Adds documents, replacing any with the same `id` (uncommitted until [`Self::commit`]).
    pub fn add(&self, docs: &[Doc]) -> Result<(), SolrError> {
        let built: Vec<TantivyDocument> = docs.iter().map(|d| self.document(d)).collect();
        self.with_writer(|w| {
            for (d, doc) in docs.iter().zip(built) {
                w.delete_term(Term::from_field_text(self.f.id, &d.id));
                w.add_document(doc)?;
            }
            Ok(())
        })
    }

    fn document(&self, d: &Doc) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.f.id, &d.id);
        doc.add_text(self.f.mailbox, &d.mailbox);
        doc.add_u64(self.f.uid, d.uid as u64);
        for (i, text) in d.texts.iter().enumerate() {
            let Some(text) = text else { continue };
            let folded = compare_form(text);
            doc.add_text(self.f.has, TEXT_FIELDS[i]);
            let mut long = false;
            runs(&folded, |r| long |= r.text.len() > MAX_TOKEN_BYTES);
            if long {
                doc.add_text(self.f.has, format!("long:{}", TEXT_FIELDS[i]));
            }
            // folding is idempotent: the tokenizer's own folding leaves this text as it is
            doc.add_text(self.f.words[i], &folded);
            doc.add_text(self.f.folded[i], &folded);
        }
        doc
    }

    /// Deletes documents by `id` (uncommitted until [`Self::commit`]).
    pub fn delete_ids(&self, ids: &[String]) -> Result<(), SolrError> {
        self.with_writer(|w| {
            for id in ids {
                w.delete_term(Term::from_field_text(self.f.id, id));
            }
            Ok(())
        })
    }

    /// Deletes the committed documents `q` matches (uncommitted until [`Self::commit`]).
    pub fn delete_query(&self, q: &Query) -> Result<usize, SolrError> {
        let hits = self.search(q, true)?;
        let ids: Vec<String> = hits.into_iter().filter_map(|h| h.id).collect();
        self.delete_ids(&ids)?;
        Ok(ids.len())
    }

    /// Commits pending changes durably and makes them visible; false when nothing was pending.
    pub fn commit(&self) -> Result<bool, SolrError> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let (writer, dirty, _) = &mut *w;
        let (Some(writer), true) = (writer.as_mut(), *dirty) else {
            return Ok(false);
        };
        writer
            .commit()
            .map_err(|e| SolrError::internal(format!("commit of {}: {e}", self.user)))?;
        *dirty = false;
        self.reader.reload()?;
        Ok(true)
    }

    fn close_writer_if_idle(&self, idle: Duration) -> bool {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if w.0.is_none() || w.1 || w.2.elapsed() < idle {
            return false;
        }
        // the lock is held until the merges end, so no writer can be opened meanwhile
        if let Some(writer) = w.0.take() {
            if let Err(e) = writer.wait_merging_threads() {
                tracing::warn!(user = %self.user, error = %e, "solr: closing an idle writer");
            }
        }
        true
    }

    /// Verifies the checksum of every index file; a mismatch marks the index damaged: from then
    /// on its searches fail with a 500 (Dovecot then answers by its own search, or reports the
    /// error with `fts_enforced`) instead of answering from it.
    pub fn check(&self) -> Result<(), SolrError> {
        let bad = self.index.validate_checksum()?;
        if bad.is_empty() {
            return Ok(());
        }
        let mut files: Vec<String> = bad.iter().map(|p| p.display().to_string()).collect();
        files.sort();
        let reason = format!(
            "checksum mismatch in {}; rebuild: stop mailfts, remove the user's directory, start \
             it, then `doveadm fts rescan -u USER` and `doveadm index -u USER '*'`",
            files.join(", ")
        );
        tracing::error!(user = %self.user, %reason, "solr: index damaged");
        *self.damaged.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason.clone());
        Err(SolrError::internal(reason))
    }

    /// The committed documents matching `q`, in index order; `with_ids` reads their `id`.
    pub fn search(&self, q: &Query, with_ids: bool) -> Result<Vec<Hit>, SolrError> {
        if let Some(reason) = &*self.damaged.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(SolrError::internal(format!(
                "the index of {} is damaged: {reason}",
                self.user
            )));
        }
        let searcher = self.reader.searcher();
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        self.terms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(s, _), _| live.contains(s));
        let mut hits = Vec::new();
        for seg in searcher.segment_readers() {
            let bits = self.eval(seg, q)?;
            let bits = and(bits, alive(seg));
            let uids = seg.fast_fields().u64("uid")?;
            let boxes = seg.fast_fields().str("box")?;
            let store = if with_ids {
                Some(seg.get_store_reader(16)?)
            } else {
                None
            };
            let mut name = String::new();
            for doc in iter(&bits) {
                let Some(uid) = uids.first(doc) else { continue };
                name.clear();
                if let Some(b) = &boxes {
                    if let Some(ord) = b.term_ords(doc).next() {
                        b.ord_to_str(ord, &mut name)?;
                    }
                }
                let id = match &store {
                    Some(s) => {
                        let d: TantivyDocument = s.get(doc)?;
                        d.get_first(self.f.id)
                            .and_then(|v| v.as_str())
                            .map(str::to_string)
                    }
                    None => None,
                };
                hits.push(Hit {
                    mailbox: name.clone(),
                    uid: uid as u32,
                    id,
                });
            }
        }
        Ok(hits)
    }

    fn eval(&self, seg: &SegmentReader, q: &Query) -> Result<Bits, SolrError> {
        let n = seg.max_doc();
        Ok(match q {
            Query::All => full(n),
            Query::Not(inner) => not(self.eval(seg, inner)?, n),
            Query::And(v) => {
                let mut acc = full(n);
                for q in v {
                    acc = and(acc, self.eval(seg, q)?);
                }
                acc
            }
            Query::Or(v) => {
                let mut acc = empty(n);
                for q in v {
                    acc = or(acc, &self.eval(seg, q)?);
                }
                acc
            }
            Query::Match { field, value } => match field.as_str() {
                "user" if *value == self.user => full(n),
                "user" => empty(n),
                "id" => postings(seg, Term::from_field_text(self.f.id, value))?,
                "box" => postings(seg, Term::from_field_text(self.f.mailbox, value))?,
                "uid" => {
                    let uid: u64 = value
                        .parse()
                        .map_err(|_| SolrError::bad(format!("uid:{value} is not a number")))?;
                    postings(seg, Term::from_field_u64(self.f.uid, uid))?
                }
                other => match text_field(other) {
                    Some(i) => self.text(seg, i, value)?,
                    None => return Err(SolrError::bad(format!("undefined field {other}"))),
                },
            },
        })
    }

    /// The documents of `seg` whose text field `i` contains `value` (IMAP's substring match).
    fn text(&self, seg: &SegmentReader, i: usize, value: &str) -> Result<Bits, SolrError> {
        let name = TEXT_FIELDS[i];
        let present = postings(seg, Term::from_field_text(self.f.has, name))?;
        let needle = compare_form(value);
        if needle.is_empty() {
            return Ok(present);
        }
        let field = self.f.words[i];
        let plan = plan_text(&needle);
        let mut narrowed: Option<Bits> = None;
        for piece in &plan.pieces {
            if piece.text.len() > MAX_TOKEN_BYTES {
                continue; // longer than any term: only verification can tell
            }
            let tt = self.term_text(seg, i, field)?;
            let ords = tt.matching(piece.text.as_bytes(), piece.role);
            let docs = docs_of_terms(seg, field, &tt, &ords)?;
            let b = from_sorted(&docs, seg.max_doc());
            narrowed = Some(match narrowed {
                Some(acc) => and(acc, b),
                None => b,
            });
        }
        let long = postings(
            seg,
            Term::from_field_text(self.f.has, &format!("long:{name}")),
        )?;
        let alive = alive(seg);
        let single_lookup = narrowed.is_some() && plan.exactness == Exactness::Exact;
        let candidates = and(narrowed.unwrap_or_else(|| present.clone()), present);
        let (sure, to_verify) = if single_lookup {
            // every term holding the word holds it inside the folded field text
            let rest = and(and(long, not(candidates.clone(), seg.max_doc())), alive);
            (candidates, rest)
        } else {
            (empty(seg.max_doc()), and(or(candidates, &long), alive))
        };
        let mut out = sure;
        if iter(&to_verify).next().is_some() {
            let store = seg.get_store_reader(16)?;
            let finder = memmem::Finder::new(needle.as_bytes());
            for doc in iter(&to_verify) {
                let d: TantivyDocument = store.get(doc)?;
                let hit = d
                    .get_first(self.f.folded[i])
                    .and_then(|v| v.as_str())
                    .is_some_and(|t| finder.find(t.as_bytes()).is_some());
                if hit {
                    set(&mut out, doc);
                }
            }
        }
        Ok(out)
    }

    fn term_text(
        &self,
        seg: &SegmentReader,
        i: usize,
        field: Field,
    ) -> Result<Arc<TermText>, SolrError> {
        let key = (seg.segment_id(), i);
        if let Some(t) = self
            .terms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(t.clone());
        }
        let t = Arc::new(TermText::build(seg, field)?);
        self.terms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, t.clone());
        Ok(t)
    }
}

/// A set of documents of one segment, one bit each.
type Bits = Vec<u64>;

fn empty(n: DocId) -> Bits {
    vec![0; (n as usize).div_ceil(64)]
}

fn full(n: DocId) -> Bits {
    let mut b = vec![u64::MAX; (n as usize).div_ceil(64)];
    if !n.is_multiple_of(64) {
        if let Some(last) = b.last_mut() {
            *last = (1u64 << (n % 64)) - 1;
        }
    }
    b
}

fn not(mut b: Bits, n: DocId) -> Bits {
    for (w, f) in b.iter_mut().zip(full(n)) {
        *w = !*w & f;
    }
    b
}

fn and(mut a: Bits, b: Bits) -> Bits {
    for (x, y) in a.iter_mut().zip(b) {
        *x &= y;
    }
    a
}

fn or(mut a: Bits, b: &Bits) -> Bits {
    for (x, y) in a.iter_mut().zip(b) {
        *x |= y;
    }
    a
}

fn set(b: &mut Bits, doc: DocId) {
    b[doc as usize / 64] |= 1 << (doc % 64);
}

fn from_sorted(docs: &[DocId], n: DocId) -> Bits {
    let mut b = empty(n);
    for &d in docs {
        if d < n {
            set(&mut b, d);
        }
    }
    b
}

fn iter(b: &Bits) -> impl Iterator<Item = DocId> + '_ {
    b.iter().enumerate().flat_map(|(w, &bits)| {
        let mut x = bits;
        std::iter::from_fn(move || {
            if x == 0 {
                return None;
            }
            let t = x.trailing_zeros();
            x &= x - 1;
            Some((w * 64) as DocId + t)
        })
    })
}

fn alive(seg: &SegmentReader) -> Bits {
    let n = seg.max_doc();
    match seg.alive_bitset() {
        None => full(n),
        Some(a) => {
            let mut b = empty(n);
            for d in 0..n {
                if a.is_alive(d) {
                    set(&mut b, d);
                }
            }
            b
        }
    }
}

fn postings(seg: &SegmentReader, term: Term) -> Result<Bits, SolrError> {
    let mut b = empty(seg.max_doc());
    let inverted = seg.inverted_index(term.field())?;
    if let Some(mut p) = inverted.read_postings(&term, IndexRecordOption::Basic)? {
        let mut d = p.doc();
        while d != TERMINATED {
            set(&mut b, d);
            d = p.advance();
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::solr::lucene::parse;

    fn doc(uid: u32, mailbox: &str, hdr: &str, body: Option<&str>, subject: &str) -> Doc {
        let mut texts: [Option<String>; 7] = Default::default();
        texts[0] = Some(hdr.to_string());
        texts[1] = body.map(str::to_string);
        texts[6] = Some(subject.to_string());
        Doc {
            id: format!("{uid}/{mailbox}/u"),
            uid,
            mailbox: mailbox.to_string(),
            user: "u".into(),
            texts,
        }
    }

    #[track_caller]
    fn uids(u: &UserIndex, q: &str) -> Vec<u32> {
        let mut v: Vec<u32> = u
            .search(&parse(q).unwrap(), false)
            .unwrap()
            .into_iter()
            .map(|h| h.uid)
            .collect();
        v.sort();
        v
    }

    #[test]
    fn substring_semantics_and_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let idx = Indexes::open(dir.path()).unwrap();
        let u = idx.user("u", true).unwrap().unwrap();
        let long = "x".repeat(300) + "needle" + &"y".repeat(300);
        u.add(&[
            doc(
                1,
                "b1",
                "Subject: Autosuspend\n",
                Some("The USB gadget, q3 report."),
                "Autosuspend",
            ),
            doc(2, "b1", "Subject: Straße\n", Some(&long), "Straße"),
            doc(3, "b2", "Subject: other\n", None, "東京都庁"),
            doc(4, "b2", "Subject: Thèse\n", None, "Thèse"),
        ])
        .unwrap();
        assert!(
            uids(&u, "body:gadget").is_empty(),
            "nothing before the commit"
        );
        assert!(u.commit().unwrap());
        assert_eq!(uids(&u, "body:adge"), [1]);
        assert_eq!(uids(&u, r"body:q3\ report"), [1]);
        assert_eq!(uids(&u, r"body:q3\ \ report"), Vec::<u32>::new());
        assert_eq!(uids(&u, "subject:SUSPEND"), [1]);
        assert_eq!(uids(&u, "subject:strasse"), [2]);
        // Dovecot's comparator decomposes: a base letter finds its accented forms
        assert_eq!(uids(&u, "subject:the"), [4]);
        assert_eq!(uids(&u, "subject:THÈ"), [4]);
        assert!(uids(&u, "subject:these").is_empty());
        assert_eq!(
            uids(&u, "body:needle"),
            [2],
            "inside a run longer than a term"
        );
        assert_eq!(uids(&u, "subject:京都"), [3]);
        assert_eq!(
            uids(&u, r#"body:"""#),
            [1, 2],
            "empty: the messages with a body"
        );
        assert_eq!(uids(&u, "-body:gadget AND box:b1"), [2]);
        assert_eq!(uids(&u, "-body:gadget OR subject:other"), [2, 3, 4]);
        assert_eq!(uids(&u, "+box:b1 +user:u"), [1, 2]);
        assert_eq!(uids(&u, "+box:b1 +user:v"), Vec::<u32>::new());
        assert_eq!(uids(&u, "uid:3"), [3]);
        // replacing by id, deleting by id and by query
        u.add(&[doc(1, "b1", "Subject: new\n", Some("fresh"), "new")])
            .unwrap();
        u.commit().unwrap();
        assert!(uids(&u, "body:gadget").is_empty());
        assert_eq!(uids(&u, "body:fresh"), [1]);
        u.delete_ids(&["2/b1/u".into()]).unwrap();
        assert_eq!(
            u.delete_query(&parse("box:b2 AND user:u").unwrap())
                .unwrap(),
            2
        );
        u.commit().unwrap();
        assert_eq!(uids(&u, "*:*"), [1]);
        // an idle writer is closed, and the next write opens one again
        assert_eq!(idx.close_idle_writers(Duration::ZERO), 1);
        u.add(&[doc(5, "b1", "Subject: again\n", Some("reopened"), "again")])
            .unwrap();
        assert_eq!(
            idx.close_idle_writers(Duration::ZERO),
            0,
            "uncommitted: kept"
        );
        u.commit().unwrap();
        assert_eq!(uids(&u, "body:reopened"), [5]);
        u.delete_ids(&["5/b1/u".into()]).unwrap();
        u.commit().unwrap();
        // a fresh process sees what was committed
        drop(u);
        drop(idx);
        let idx = Indexes::open(dir.path()).unwrap();
        let u = idx.user("u", false).unwrap().unwrap();
        assert_eq!(uids(&u, "body:fresh"), [1]);
        assert!(idx.user("nobody", false).unwrap().is_none());
    }

    #[test]
    fn a_flipped_byte_marks_the_index_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let idx = Indexes::open(dir.path()).unwrap();
        let u = idx.user("u", true).unwrap().unwrap();
        u.add(&[doc(1, "b1", "Subject: x\n", Some("some body text"), "x")])
            .unwrap();
        u.commit().unwrap();
        assert_eq!(idx.check_all(), (1, 0));
        assert_eq!(uids(&u, "body:body"), [1]);
        // flip a byte inside the postings of the only segment
        let idx_file = std::fs::read_dir(idx.dir_of("u"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        let mut bytes = std::fs::read(&idx_file).unwrap();
        bytes[0] ^= 0xff;
        std::fs::write(&idx_file, bytes).unwrap();
        assert_eq!(idx.check_all(), (1, 1));
        let e = u.search(&parse("body:body").unwrap(), false).unwrap_err();
        assert_eq!(e.code, 500);
        assert!(e.msg.contains("damaged"), "{}", e.msg);
    }

    #[test]
    fn user_directories() {
        assert_eq!(dir_name("alice@example.org"), "alice@example.org");
        assert_eq!(dir_name(""), "%");
        assert_eq!(dir_name("../x"), "%2E.%2Fx");
        assert_eq!(dir_name(".."), "%2E.");
        assert_eq!(dir_name("a b"), "a%20b");
        for user in ["", "alice@example.org", "../x", "..", "a b", "ü/ß"] {
            assert_eq!(user_of_dir(&dir_name(user)).as_deref(), Some(user));
        }
        assert_eq!(user_of_dir("%2e"), None, "not a name dir_name writes");
        assert_eq!(user_of_dir("%zz"), None);
    }
}
