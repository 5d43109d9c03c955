//! Adjacent pairs of frequent words: what lets a phrase of common words skip most of its
//! verification.
//!
//! The word fields keep document ids only (no positions), so a string of several runs
//! (`usb gadget`) is answered by intersecting its pieces' postings and verifying every candidate
//! against the message. For rare words that is cheap; for a phrase of common words it is not: on
//! linux-usb 20k, `usb` and `gadget` occur together in 4,274 messages, `usb gadget` in 1,021, and
//! each candidate costs a file read and a MIME parse.
//!
//! So each document also gets, in the `pairs` field, one term per distinct *adjacent pair of runs*
//! `a SEP b` where the separator `SEP` between them is a single space ([`is_pair_separator`])
//! and both runs are frequent, written `L(a) SEP R(b)`: the last
//! [`PAIR_STEM_CHARS`] characters of `a` and the first ones of `b`. Truncating keeps the variants of
//! a frequent word in its pair (`gadgets` and `gadgetfs` count as `gadget…` on the right, `xusb`
//! as itself on the left), and a piece of at most that many characters still decides the pair
//! exactly: a run ends with `usb` exactly when its last six characters do. Frequent means: the
//! left form among the index's [`PairWords`] left forms, the right form among its right forms (the
//! most frequent of a sample of the home's mail, fixed when the index is created).
//!
//! A searched string whose pieces `a` and `b` are separated by such a separator occurs only where
//! the text has two adjacent runs holding them with exactly that separator, so the messages holding
//! the string are within:
//!
//! * the postings of `L(a') SEP R(b')` for every frequent run `a'` that can hold piece `a` in its
//!   role and every frequent `b'` that can hold `b` (at most [`MAX_PAIR_LOOKUPS`] combinations), plus
//! * the messages where `a` lies in a run that is not frequent (no pair was recorded for it) and
//!   that hold `b`, and symmetrically,
//!
//! which the query engine intersects with the word candidates. The pairs of the header block are
//! marked apart from those of the body ([`TextScope`]), so that BODY looks up body pairs only.
//!
//! For a string that is exactly two pieces of at most [`PAIR_STEM_CHARS`] characters and a pair
//! separator (`usb gadget`, `by: greg`), a pair hit is a proof: the pair term spells out a text
//! that holds the string, taken from the same folded text the exact evaluator searches, so those
//! messages need no verification. Every other candidate is verified.
//!
//! Across `: ` one frequent run is enough ([`pairs_either_side`]); the query engine then looks up
//! the pairs of the rare forms too, and only messages where both runs are rare stay unnarrowed.
//!
//! Cost on linux-usb 20k (2026-12-04): 1.9 MB (1.2 % of the Maildir; index 14.4 → 15.6 %), and
//! about a fifth more indexing CPU; `BODY "usb gadget"` has 1,408 candidates instead of 4,274, of
//! which 1,018 are proven by their pair and 390 verified; `BODY "Signed-off-by: Greg"` verifies
//! 614 instead of 1,938. Only frequent words are paired because a phrase of rare words already
//! has few candidates.

use std::collections::HashSet;

use rustc_hash::FxHashSet;

use crate::text::{is_opaque, runs, Run};

/// How many frequent forms an index pairs on each side.
pub const PAIR_WORDS: usize = 256;

/// Characters of a run kept in a pair: the last ones of the left run, the first ones of the right.
pub const PAIR_STEM_CHARS: usize = 6;

/// Most `(a', b')` combinations a search looks up for one boundary between pieces; beyond it the
/// boundary is not narrowed (the plain intersection stands).
pub const MAX_PAIR_LOOKUPS: usize = 1024;

/// Messages sampled to choose the frequent words of a new index.
pub const PAIR_SAMPLE: usize = 1000;

/// The separators recorded in pairs: one space (almost every phrase people search), and the
/// `: ` and `-` of trailers, subjects and compound words (`Signed-off-by: Greg`, `use-after-free`).
/// See also [`pairs_either_side`].
/// (Any one or two punctuation or space characters — `, `, `_`, `.` too — tripled the pair
/// postings: 15.9 % instead of 15.3 % of the Maildir on linux-usb 20k.)
pub const PAIR_SEPARATORS: [&str; 3] = [" ", ": ", "-"];

/// True when `sep`, the folded text between two runs, is recorded in pairs
/// ([`PAIR_SEPARATORS`]).
pub fn is_pair_separator(sep: &str) -> bool {
    PAIR_SEPARATORS.contains(&sep)
}

/// True when pairs across `sep` are recorded when *either* run is frequent (the other one any
/// word run that is not opaque), not only when both are: `: ` joins a common word to a rare one
/// in most places it occurs (`Reported-by: gregkh`, `usb: musb`), it is rare enough in text to
/// keep the postings small, and then a rare word on one side of a searched string no longer
/// makes every message holding it a candidate (`BODY "Signed-off-by: Greg"` on linux-usb 20k:
/// 1,203 → 614 candidates for 380 hits, index 15.37 → 15.62 % of the Maildir). A space is not:
/// a frequent word next to any word is almost every pair of running text; nor `-`, measured:
/// another 0.24 points of index for `use-after-free`'s 671 → 473 candidates.
pub fn pairs_either_side(sep: &str) -> bool {
    sep == ": "
}

/// Which text a pair (or a chain of [`crate::joined`]) was found in. A term of the header block
/// and one of the body are different terms, so that BODY looks up body terms only and a pair hit
/// proves the match ([`TextScope::mark`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextScope {
    /// The header block (TEXT only).
    Headers,
    /// The body and the attachments' text (BODY and TEXT).
    Body,
}

impl TextScope {
    /// The prefix of the scope's terms: `#` for the header block (a separator character, so never
    /// the start of a form or a chain), nothing for the body.
    pub fn mark(self) -> &'static str {
        match self {
            TextScope::Headers => "#",
            TextScope::Body => "",
        }
    }

    /// The scope of a term that starts with its mark.
    pub fn of_term(term: &[u8]) -> TextScope {
        if term.first() == Some(&b'#') {
            TextScope::Headers
        } else {
            TextScope::Body
        }
    }
}

/// The term of the pair `a sep b` of `scope` in the `pairs` field.
pub fn pair_term(scope: TextScope, a: &str, sep: &str, b: &str) -> String {
    let mark = scope.mark();
    let mut t = String::with_capacity(mark.len() + a.len() + sep.len() + b.len());
    t.push_str(mark);
    t.push_str(a);
    t.push_str(sep);
    t.push_str(b);
    t
}

/// The last [`PAIR_STEM_CHARS`] characters of `run` (the whole run when shorter).
pub fn left_form(run: &str) -> &str {
    match run.char_indices().rev().nth(PAIR_STEM_CHARS - 1) {
        Some((at, _)) => &run[at..],
        None => run,
    }
}

/// The first [`PAIR_STEM_CHARS`] characters of `run` (the whole run when shorter).
pub fn right_form(run: &str) -> &str {
    match run.char_indices().nth(PAIR_STEM_CHARS) {
        Some((at, _)) => &run[..at],
        None => run,
    }
}

/// The frequent forms of an index, fixed before its first document (kept in the commit payload,
/// [`crate::meta::IndexMeta::pair_left`] and `pair_right`).
#[derive(Clone, Debug, Default)]
pub struct PairWords {
    left: FxHashSet<Box<str>>,
    right: FxHashSet<Box<str>>,
}

impl PairWords {
    /// The sets of left forms and right forms.
    pub fn new(left: &[String], right: &[String]) -> PairWords {
        PairWords {
            left: left.iter().map(|w| w.as_str().into()).collect(),
            right: right.iter().map(|w| w.as_str().into()).collect(),
        }
    }

    /// True when nothing is paired (an index without pairs).
    pub fn is_empty(&self) -> bool {
        self.left.is_empty() || self.right.is_empty()
    }

    /// The left form of `run` when it is frequent.
    pub fn left_of<'r>(&self, run: &'r str) -> Option<&'r str> {
        let f = left_form(run);
        self.left.contains(f).then_some(f)
    }

    /// The right form of `run` when it is frequent.
    pub fn right_of<'r>(&self, run: &'r str) -> Option<&'r str> {
        let f = right_form(run);
        self.right.contains(f).then_some(f)
    }

    /// Adds the pair terms of `folded` (a field's folded text, found in `scope`) to `out`.
    pub fn collect(&self, folded: &str, scope: TextScope, out: &mut HashSet<String>) {
        if self.is_empty() {
            return;
        }
        let mut cursor = PairCursor::new(self, scope);
        runs(folded, |r| cursor.feed(folded, &r, out));
    }
}

/// Walks the runs of one folded text in order and emits its pair terms (see
/// [`PairWords::collect`]); lets a caller that already walks the runs collect pairs on the way.
pub struct PairCursor<'w> {
    words: &'w PairWords,
    scope: TextScope,
    /// The previous word run: its left form (as a range of the text) and whether it is frequent.
    prev: Option<PrevRun>,
}

/// The run before the current one, as [`PairCursor`] keeps it.
#[derive(Clone, Copy)]
struct PrevRun {
    /// Start of its left form in the text.
    form_at: usize,
    /// Start of the run.
    from: usize,
    /// End of the run.
    to: usize,
    /// Its left form is frequent.
    frequent: bool,
}

impl<'w> PairCursor<'w> {
    /// A cursor at the start of a text of `scope`.
    pub fn new(words: &'w PairWords, scope: TextScope) -> PairCursor<'w> {
        PairCursor {
            words,
            scope,
            prev: None,
        }
    }

    /// Takes the next run `r` of `folded`, adding a pair term to `out` when a pair separator lies
    /// between it and the previous run and both are frequent (or one is, for
    /// [`pairs_either_side`] separators and runs that are not opaque).
    pub fn feed(&mut self, folded: &str, r: &Run<'_>, out: &mut HashSet<String>) {
        if r.cjk || self.words.is_empty() {
            self.prev = None;
            return;
        }
        let left = left_form(r.text);
        let this = PrevRun {
            form_at: r.to - left.len(),
            from: r.from,
            to: r.to,
            frequent: self.words.left.contains(left),
        };
        let Some(prev) = self.prev.replace(this) else {
            return;
        };
        let sep = &folded[prev.to..r.from];
        if !is_pair_separator(sep) {
            return;
        }
        let right = right_form(r.text);
        let paired = match (prev.frequent, self.words.right.contains(right)) {
            (true, true) => true,
            (false, false) => false,
            _ => {
                pairs_either_side(sep)
                    && !is_opaque(&folded[prev.from..prev.to])
                    && !is_opaque(r.text)
            }
        };
        if paired {
            out.insert(pair_term(
                self.scope,
                &folded[prev.form_at..prev.to],
                sep,
                right,
            ));
        }
    }
}

/// Counts, per left and right form of the word runs, the messages holding it; fed with a sample,
/// then [`WordCounter::top`] gives the frequent forms.
#[derive(Default)]
pub struct WordCounter {
    left: std::collections::HashMap<String, u32>,
    right: std::collections::HashMap<String, u32>,
    seen_left: HashSet<String>,
    seen_right: HashSet<String>,
}

impl WordCounter {
    /// Counts the distinct forms of the word runs of one message's folded texts (each once per call).
    pub fn add_message(&mut self, folded_texts: &[&str]) {
        for text in folded_texts {
            runs(text, |r| {
                if !r.cjk && !is_opaque(r.text) {
                    if !self.seen_left.contains(left_form(r.text)) {
                        self.seen_left.insert(left_form(r.text).to_string());
                    }
                    if !self.seen_right.contains(right_form(r.text)) {
                        self.seen_right.insert(right_form(r.text).to_string());
                    }
                }
            });
        }
        for w in self.seen_left.drain() {
            *self.left.entry(w).or_insert(0) += 1;
        }
        for w in self.seen_right.drain() {
            *self.right.entry(w).or_insert(0) += 1;
        }
    }

    /// The `n` left forms and the `n` right forms held by the most messages (at least two), most
    /// frequent first, ties by text.
    pub fn top(self, n: usize) -> (Vec<String>, Vec<String>) {
        let top = |counts: std::collections::HashMap<String, u32>| {
            let mut all: Vec<(String, u32)> = counts.into_iter().filter(|(_, c)| *c >= 2).collect();
            all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            all.truncate(n);
            all.into_iter().map(|(w, _)| w).collect::<Vec<_>>()
        };
        (top(self.left), top(self.right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold;

    fn pairs_of(words: &[&str], text: &str) -> Vec<String> {
        let words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        let left: Vec<String> = words.iter().map(|w| left_form(w).to_string()).collect();
        let right: Vec<String> = words.iter().map(|w| right_form(w).to_string()).collect();
        let w = PairWords::new(&left, &right);
        let mut out = HashSet::new();
        w.collect(&fold(text), TextScope::Body, &mut out);
        let mut v: Vec<String> = out.into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn forms_keep_six_characters() {
        assert_eq!(left_form("autosuspend"), "uspend");
        assert_eq!(right_form("autosuspend"), "autosu");
        assert_eq!((left_form("usb"), right_form("usb")), ("usb", "usb"));
        assert_eq!(left_form("достопримечательность"), "ьность");
        assert_eq!(right_form("достопримечательность"), "достоп");
    }

    #[test]
    fn pairs_need_two_frequent_neighbours_and_a_short_separator() {
        let words = ["usb", "gadget", "signed", "off", "by", "greg"];
        assert_eq!(
            pairs_of(&words, "USB gadget, usb; gadgets; xusb gadgets by greg"),
            ["by greg", "usb gadget"]
        );
        assert_eq!(
            pairs_of(&words, "Signed-off-by: Greg"),
            ["by: greg", "off-by", "signed-off"]
        );
        // across `: ` one frequent side is enough, but not across a space or `-`, nor next to
        // an opaque run
        assert_eq!(
            pairs_of(
                &words,
                "Reviewed-by: Gregkh, alan: greg, usb fixes, by: 5f3e2a1b9c"
            ),
            ["alan: greg", "by: gregkh"]
        );
        for text in [
            "usb   gadget",
            "usb\ngadget",
            "usb the gadget",
            "usb, gadget",
            "usb_gadget",
        ] {
            assert!(pairs_of(&words, text).is_empty(), "{text:?}");
        }
        // an opaque run or a CJK run between breaks adjacency
        for text in ["usb 5f3e2a1b9c gadget", "usb 東京 gadget"] {
            assert!(pairs_of(&words, text).is_empty(), "{text:?}");
        }
        assert!(pairs_of(&[], "usb gadget").is_empty());
    }

    #[test]
    fn separators() {
        for yes in [" ", ": ", "-"] {
            assert!(is_pair_separator(yes), "{yes:?}");
        }
        for no in ["", "\n", "  ", "--", ":", ", ", "_", "é"] {
            assert!(!is_pair_separator(no), "{no:?}");
        }
    }

    #[test]
    fn header_pairs_are_marked() {
        let w = PairWords::new(&["usb".into()], &["gadget".into()]);
        let mut out = HashSet::new();
        w.collect("usb gadget", TextScope::Headers, &mut out);
        w.collect("usb-gadget", TextScope::Body, &mut out);
        let mut v: Vec<String> = out.into_iter().collect();
        v.sort();
        assert_eq!(v, ["#usb gadget", "usb-gadget"]);
    }

    #[test]
    fn top_forms_by_messages_holding_them() {
        let mut c = WordCounter::default();
        c.add_message(&["usb usb usb gadget", "usb"]);
        c.add_message(&["usb gadgets the 5f3e2a1b9c"]);
        c.add_message(&["usb the"]);
        c.add_message(&["once 5f3e2a1b9c"]);
        let (left, right) = c.top(2);
        assert_eq!(left, ["usb", "the"]);
        assert_eq!(right, ["usb", "gadget"]);
    }
}
