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
//! `a SEP b` where the separator `SEP` between them is a single space, `: ` or `-`
//! ([`is_pair_separator`]) and both runs are *covered* by frequent forms, written `L SEP R`: `L` the
//! longest suffix of `a` that is a frequent left form, `R` the longest prefix of `b` that is a
//! frequent right form ([`PairWords::left_of`], at least [`MIN_COVER_CHARS`] characters unless the
//! form is the whole run). So `musb gadgets` is recorded as `usb gadget`: the pair term spells out
//! text the message holds. Frequent forms are the plain forms (a run's last or first
//! [`PAIR_STEM_CHARS`] characters) held by the most messages of a sample of the home's mail, fixed
//! when the index is created ([`PairWords`]).
//!
//! A searched string whose pieces `a` and `b` are separated by such a separator occurs only where
//! the text has two adjacent runs holding them with exactly that separator, so the messages holding
//! the string are within:
//!
//! * the postings of `L SEP R` for the covering forms `L` of every run that can hold piece `a` in
//!   its role and `R` of every run that can hold `b` (at most [`MAX_PAIR_LOOKUPS`] combinations),
//!   plus
//! * the messages where `a` lies in a run that is not covered (no pair was recorded for it) and
//!   that hold `b`, and symmetrically,
//!
//! which the query engine intersects with the word candidates. The pairs of the header block are
//! marked apart from those of the body ([`TextScope`]), so that BODY looks up body pairs only.
//!
//! A looked-up pair whose `L` ends with the whole piece `a` and whose `R` starts with the whole
//! piece `b` is a proof for a string that is exactly `a SEP b` (`usb gadget`, `by: greg`, `quarterly
//! report`): those messages need no verification. A piece that is itself a frequent form covers
//! every run holding it, so such a string is answered from the pairs alone. Every other candidate
//! is verified.
//!
//! One covered run is enough across `: ` ([`pairs_either_side`]), and across a space when its form
//! is a *content* form (not among the [`STOP_FORMS`] most frequent) and the other run a word of
//! letters ([`pairs_alone`], [`pairs_with_alone`]): the run that is not covered is recorded as its
//! plain form, so `quarterly report` is proven although `quarterly` is rare. The query engine
//! looks up those pairs too, and only the occurrences that can have no pair stay unnarrowed.
//! Across `: `, a chain of runs joined by `-` that a frequent form covers is paired whole as
//! well ([`CHAIN_SEPARATOR`]): `Signed-off-by: Greg` is one pair term.
//!
//! Cost on linux-usb 20k (2026-12-05): the index is 17.25 % of the Maildir (16.61 % with the
//! pairs of schema 10, which paired only frequent words of at most six characters and verified
//! every string longer than that; 15.6 % before pairs). `BODY "usb gadget"` 1,061 candidates,
//! all 1,021 hits proven (schema 10: 1,408 candidates, 390 verified); `BODY "Signed-off-by:
//! Greg"` 380 proven (614 verified). Content forms paired with rare words cost 0.48 points;
//! with the 64 most frequent forms as stop forms instead of 128, 0.9 points.

use std::collections::HashSet;

use crate::termset::TermSet;
use crate::text::{is_opaque, runs, Run};

/// How many frequent forms an index pairs on each side.
pub const PAIR_WORDS: usize = 256;

/// Characters of a run a form keeps at most: the last ones of a left run, the first ones of a
/// right run. A searched piece of at most this many characters can be proven by a pair.
pub const PAIR_STEM_CHARS: usize = 16;

/// Fewest characters of a frequent form that covers a longer run ([`PairWords::left_of`]):
/// without it nearly every run would be paired through a one-letter form (`a`, `s`, `t`), and the
/// pair postings would hold most adjacent words of running text.
pub const MIN_COVER_CHARS: usize = 3;

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

/// The separator that joins runs into a chain: across a [`pairs_either_side`] separator, a chain
/// of runs joined by it that is covered by a frequent form is paired as one unit too
/// (`signed-off-by: greg` beside `by: greg`), so that a trailer is proven by one pair.
pub const CHAIN_SEPARATOR: &str = "-";

/// True when `sep`, the folded text between two runs, is recorded in pairs
/// ([`PAIR_SEPARATORS`]).
pub fn is_pair_separator(sep: &str) -> bool {
    PAIR_SEPARATORS.contains(&sep)
}

/// How many of the most frequent forms of each side are function words and markup (`the`, `to`,
/// `in`, `https`): next to those a rare word is not paired across a space ([`pairs_alone`]).
pub const STOP_FORMS: usize = 128;

/// True when a run covered by `cover` is paired across `sep` with a neighbour that is not covered
/// but [`pairs_with_alone`] (as that neighbour's plain form): across a [`pairs_either_side`]
/// separator always, across a space when the form is a content form (`quarterly report`: `report`
/// is frequent, `quarterly` is not), so that a phrase of a rare word and a frequent one is proven
/// by its pair.
pub fn pairs_alone(sep: &str, cover: Cover<'_>) -> bool {
    pairs_either_side(sep) || (sep == " " && cover.content)
}

/// True when a run that no frequent form covers is paired across `sep` with a neighbour whose
/// cover [`pairs_alone`]: any run across a [`pairs_either_side`] separator; across a space, a
/// word of letters only, at least [`MIN_COVER_CHARS`] of them (numbers and short tokens next to
/// frequent words are most of the pairs of running text and rarely searched as a phrase:
/// linux-usb 20k, index 17.84 % of the Maildir with them, 17.67 % without).
pub fn pairs_with_alone(sep: &str, run: &str) -> bool {
    pairs_either_side(sep)
        || (sep == " "
            && run.chars().nth(MIN_COVER_CHARS - 1).is_some()
            && run.chars().all(char::is_alphabetic))
}

/// True when pairs across `sep` are recorded when *either* run is covered by a frequent form
/// (the other one any word run that is not opaque, as its plain form), not only when both are:
/// `: ` joins a common word to a rare one in most places it occurs (`Reported-by: gregkh`, `usb:
/// musb`), it is rare enough in text to keep the postings small, and then a rare word on one side
/// of a searched string no longer makes every message holding it a candidate (`BODY
/// "Signed-off-by: Greg"` on linux-usb 20k: 1,203 → 614 candidates for 380 hits, index 15.37 →
/// 15.62 % of the Maildir). A space is not: a frequent word next to any word is almost every pair
/// of running text; nor `-`, measured: another 0.24 points of index for `use-after-free`'s 671 →
/// 473 candidates.
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
    let mut t = String::new();
    write_pair_term(&mut t, scope, a, sep, b);
    t
}

/// [`pair_term`] written into `t` (cleared first).
fn write_pair_term(t: &mut String, scope: TextScope, a: &str, sep: &str, b: &str) {
    let mark = scope.mark();
    t.clear();
    t.reserve(mark.len() + a.len() + sep.len() + b.len());
    t.push_str(mark);
    t.push_str(a);
    t.push_str(sep);
    t.push_str(b);
}

/// The last [`PAIR_STEM_CHARS`] characters of `run` (the whole run when shorter): its plain left
/// form, which the frequent forms are counted in.
pub fn left_form(run: &str) -> &str {
    match run.char_indices().rev().nth(PAIR_STEM_CHARS - 1) {
        Some((at, _)) => &run[at..],
        None => run,
    }
}

/// The first [`PAIR_STEM_CHARS`] characters of `run` (the whole run when shorter): its plain right
/// form.
pub fn right_form(run: &str) -> &str {
    match run.char_indices().nth(PAIR_STEM_CHARS) {
        Some((at, _)) => &run[..at],
        None => run,
    }
}

/// The frequent form covering a run ([`PairWords::left_cover`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cover<'r> {
    /// The form: a suffix (left) or prefix (right) of the run.
    pub form: &'r str,
    /// The form is not among the [`STOP_FORMS`] most frequent of its side: across a space it is
    /// paired with any word ([`pairs_alone`]).
    pub content: bool,
}

/// A byte trie of forms, walked from one end of a run to find the longest form at that end.
///
/// Every run of a text is walked twice (as the left and as the right run of a pair), so the trie
/// is a dense table: one row per node, one column per byte that occurs in a form (bytes mapped
/// to columns by [`FormTrie::column`]), each cell the child node or 0. A step is two loads, no
/// search (a trie of nodes with lists of children was a tenth of a linux-usb build's CPU).
#[derive(Clone, Debug)]
struct FormTrie {
    /// The table's column of each byte (0: the byte occurs in no form).
    column: [u16; 256],
    /// Columns per row: the distinct bytes of the forms, plus column 0.
    width: usize,
    /// Row `n` (`n * width ..`) holds node `n`'s children by column; node 0 is the root.
    children: Vec<u16>,
    /// Per node, the characters of the form ending there (0: no form ends there).
    form_chars: Vec<u8>,
    /// Per node, the rank of the form ending there in its list (most frequent first).
    rank: Vec<u16>,
}

impl Default for FormTrie {
    fn default() -> FormTrie {
        FormTrie::new(std::iter::empty(), false)
    }
}

impl FormTrie {
    /// The trie of `forms`, each inserted as its bytes, last byte first when `reversed`. Forms of
    /// more than [`PAIR_STEM_CHARS`] characters are left out (none is made so), and so are forms
    /// that would take the trie past `u16::MAX` nodes (forms read from a damaged commit payload).
    fn new<'f>(forms: impl Iterator<Item = &'f str>, reversed: bool) -> FormTrie {
        let forms: Vec<&str> = forms.collect();
        let usable = |f: &str| {
            let chars = f.chars().count();
            (chars > 0 && chars <= PAIR_STEM_CHARS).then_some(chars)
        };
        let mut column = [0u16; 256];
        let mut width = 1usize;
        for form in forms.iter().filter(|f| usable(f).is_some()) {
            for b in form.bytes() {
                if column[b as usize] == 0 {
                    column[b as usize] = width as u16;
                    width += 1;
                }
            }
        }
        let mut trie = FormTrie {
            column,
            width,
            children: vec![0; width],
            form_chars: vec![0],
            rank: vec![0],
        };
        for (rank, form) in forms.iter().enumerate() {
            let Some(chars) = usable(form) else {
                continue;
            };
            if trie.form_chars.len() + form.len() > u16::MAX as usize {
                continue;
            }
            let bytes: Vec<u8> = if reversed {
                form.bytes().rev().collect()
            } else {
                form.bytes().collect()
            };
            let mut at = 0usize;
            for b in bytes {
                let cell = at * width + trie.column[b as usize] as usize;
                at = match trie.children[cell] {
                    0 => {
                        let n = trie.form_chars.len();
                        trie.children[cell] = n as u16;
                        trie.children.extend(std::iter::repeat_n(0, width));
                        trie.form_chars.push(0);
                        trie.rank.push(0);
                        n
                    }
                    n => n as usize,
                };
            }
            if trie.form_chars[at] == 0 {
                trie.form_chars[at] = chars as u8;
                trie.rank[at] = rank.min(u16::MAX as usize) as u16;
            }
        }
        trie
    }

    /// The byte length and rank of the longest form spelled by the start of `bytes` that has at
    /// least [`MIN_COVER_CHARS`] characters or is all of `bytes`.
    fn longest(&self, bytes: impl Iterator<Item = u8>, total: usize) -> Option<(usize, u16)> {
        let mut at = 0usize;
        let mut best = None;
        for (i, b) in bytes.enumerate() {
            let column = self.column[b as usize] as usize;
            if column == 0 {
                break;
            }
            match self.children[at * self.width + column] {
                0 => break,
                n => at = n as usize,
            }
            let chars = self.form_chars[at] as usize;
            if chars > 0 && (chars >= MIN_COVER_CHARS || i + 1 == total) {
                best = Some((i + 1, self.rank[at]));
            }
        }
        best
    }

    /// True when no form is in the trie.
    fn is_empty(&self) -> bool {
        self.form_chars.len() <= 1
    }
}

/// The frequent forms of an index, fixed before its first document (kept in the commit payload,
/// [`crate::meta::IndexMeta::pair_left`] and `pair_right`), and how they cover runs.
///
/// A run is *covered* on the left by its longest suffix that is a frequent left form (of at least
/// [`MIN_COVER_CHARS`] characters, or the whole run), and on the right by its longest such prefix:
/// `musb` by `usb`, `gadgets` by `gadget`. A pair records the covering forms, which are text the
/// run really ends (starts) with, so a pair term spells out text the message holds, and a searched
/// piece is found in every run that holds it in its role by looking up the forms that hold the
/// piece: a piece that is itself a frequent form covers every run that ends with it.
#[derive(Clone, Debug, Default)]
pub struct PairWords {
    left: FormTrie,
    right: FormTrie,
}

impl PairWords {
    /// The sets of left forms and right forms.
    pub fn new(left: &[String], right: &[String]) -> PairWords {
        PairWords {
            left: FormTrie::new(left.iter().map(|w| w.as_str()), true),
            right: FormTrie::new(right.iter().map(|w| w.as_str()), false),
        }
    }

    /// True when nothing is paired (an index without pairs).
    pub fn is_empty(&self) -> bool {
        self.left.is_empty() || self.right.is_empty()
    }

    /// The frequent left form covering `run`: its longest suffix that is a frequent left form of
    /// at least [`MIN_COVER_CHARS`] characters (or all of the run).
    pub fn left_of<'r>(&self, run: &'r str) -> Option<&'r str> {
        self.left_cover(run).map(|c| c.form)
    }

    /// The frequent right form covering `run`: its longest prefix that is a frequent right form of
    /// at least [`MIN_COVER_CHARS`] characters (or all of the run).
    pub fn right_of<'r>(&self, run: &'r str) -> Option<&'r str> {
        self.right_cover(run).map(|c| c.form)
    }

    /// [`PairWords::left_of`] with whether the form is a content form.
    pub fn left_cover<'r>(&self, run: &'r str) -> Option<Cover<'r>> {
        let (len, rank) = self.left.longest(run.bytes().rev(), run.len())?;
        Some(Cover {
            form: &run[run.len() - len..],
            content: usize::from(rank) >= STOP_FORMS,
        })
    }

    /// [`PairWords::right_of`] with whether the form is a content form.
    pub fn right_cover<'r>(&self, run: &'r str) -> Option<Cover<'r>> {
        let (len, rank) = self.right.longest(run.bytes(), run.len())?;
        Some(Cover {
            form: &run[..len],
            content: usize::from(rank) >= STOP_FORMS,
        })
    }

    /// The frequent left form covering the chain of runs joined by `-` `chain` when it spans a
    /// `-` (`signed-off-by`, not just `by`): the chain's longest such suffix, or `None`.
    pub fn chain_left_of<'c>(&self, chain: &'c str) -> Option<&'c str> {
        self.left_of(chain).filter(|f| f.contains(CHAIN_SEPARATOR))
    }

    /// Adds the pair terms of `folded` (a field's folded text, found in `scope`) to `out`.
    pub fn collect(&self, folded: &str, scope: TextScope, out: &mut TermSet) {
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
    /// The previous word run, as a range of the text.
    prev: Option<(usize, usize)>,
    /// Where the chain of runs joined by single `-` that ends with the previous run starts.
    chain_from: usize,
    /// The pair term being made (reused).
    term: String,
}

impl<'w> PairCursor<'w> {
    /// A cursor at the start of a text of `scope`.
    pub fn new(words: &'w PairWords, scope: TextScope) -> PairCursor<'w> {
        PairCursor {
            words,
            scope,
            prev: None,
            chain_from: 0,
            term: String::new(),
        }
    }

    /// Takes the next run `r` of `folded`, adding a pair term to `out` when a pair separator lies
    /// between it and the previous run and both are covered by frequent forms (or one is, for
    /// [`pairs_either_side`] separators and runs that are not opaque: the other as its plain form);
    /// and across `: `, one more for the chain of runs joined by `-` that ends with the previous
    /// run when a frequent form spanning a `-` covers it ([`CHAIN_SEPARATOR`]).
    pub fn feed(&mut self, folded: &str, r: &Run<'_>, out: &mut TermSet) {
        if r.cjk || self.words.is_empty() {
            self.prev = None;
            return;
        }
        let Some((from, to)) = self.prev.replace((r.from, r.to)) else {
            self.chain_from = r.from;
            return;
        };
        let chain_from = std::mem::replace(&mut self.chain_from, r.from);
        let sep = &folded[to..r.from];
        if sep == CHAIN_SEPARATOR {
            self.chain_from = chain_from;
        }
        if !is_pair_separator(sep) {
            return;
        }
        let prev = &folded[from..to];
        let right = self.words.right_cover(r.text);
        let forms = match (self.words.left_cover(prev), right) {
            (Some(a), Some(b)) => Some((a.form, b.form)),
            (None, None) => None,
            (a, b) => (match (a, b) {
                (Some(c), _) => pairs_alone(sep, c) && pairs_with_alone(sep, r.text),
                (_, Some(c)) => pairs_alone(sep, c) && pairs_with_alone(sep, prev),
                _ => false,
            } && !is_opaque(prev)
                && !is_opaque(r.text))
            .then(|| {
                (
                    a.map_or_else(|| left_form(prev), |c| c.form),
                    b.map_or_else(|| right_form(r.text), |c| c.form),
                )
            }),
        };
        if let Some((a, b)) = forms {
            write_pair_term(&mut self.term, self.scope, a, sep, b);
            out.insert(&self.term);
        }
        if pairs_either_side(sep) && chain_from < from && !is_opaque(r.text) {
            let chain = &folded[chain_from..to];
            if let Some(a) = self.words.chain_left_of(chain) {
                let b = right.map_or_else(|| right_form(r.text), |c| c.form);
                write_pair_term(&mut self.term, self.scope, a, sep, b);
                out.insert(&self.term);
            }
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
    /// Counts the distinct forms of the word runs of one message's folded texts (each once per
    /// call), and as left forms the chains of runs joined by `-` before a [`pairs_either_side`]
    /// separator (`signed-off-by` of `Signed-off-by: Greg`).
    pub fn add_message(&mut self, folded_texts: &[&str]) {
        for text in folded_texts {
            // the previous run and where its chain of runs joined by `-` starts
            let mut prev: Option<(usize, usize)> = None;
            let mut chain_from = 0;
            runs(text, |r| {
                if r.cjk {
                    prev = None;
                    return;
                }
                match prev.replace((r.from, r.to)) {
                    Some((from, to)) => {
                        let sep = &text[to..r.from];
                        if pairs_either_side(sep) && chain_from < from {
                            let chain = left_form(&text[chain_from..to]);
                            if !self.seen_left.contains(chain) {
                                self.seen_left.insert(chain.to_string());
                            }
                        }
                        if sep != CHAIN_SEPARATOR {
                            chain_from = r.from;
                        }
                    }
                    None => chain_from = r.from,
                }
                if !is_opaque(r.text) {
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
        let mut out = TermSet::default();
        w.collect(&fold(text), TextScope::Body, &mut out);
        let mut v: Vec<String> = out.iter().map(String::from).collect();
        v.sort();
        v
    }

    #[test]
    fn forms_keep_sixteen_characters() {
        assert_eq!(left_form("autosuspend"), "autosuspend");
        assert_eq!(left_form("interdigitatedness"), "terdigitatedness");
        assert_eq!(right_form("interdigitatedness"), "interdigitatedne");
        assert_eq!((left_form("usb"), right_form("usb")), ("usb", "usb"));
        assert_eq!(left_form("достопримечательность"), "примечательность");
        assert_eq!(right_form("достопримечательность"), "достопримечатель");
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
            ["alan: greg", "by: greg"]
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
    fn runs_are_covered_by_their_longest_frequent_form() {
        let w = PairWords::new(
            &["usb".into(), "xusb".into(), "a".into(), "sb".into()],
            &["gadget".into(), "gad".into(), "to".into()],
        );
        assert_eq!(w.left_of("musb"), Some("usb"));
        assert_eq!(w.left_of("xusb"), Some("xusb"));
        assert_eq!(w.left_of("usb"), Some("usb"));
        // a short form covers only itself
        assert_eq!(w.left_of("sb"), Some("sb"));
        assert_eq!(w.left_of("a"), Some("a"));
        assert_eq!(w.left_of("zebra"), None);
        assert_eq!(w.left_of("susb"), Some("usb"));
        assert_eq!(w.right_of("gadgetfs"), Some("gadget"));
        assert_eq!(w.right_of("gadzooks"), Some("gad"));
        assert_eq!(w.right_of("today"), None);
        assert_eq!(w.right_of("to"), Some("to"));
        assert_eq!(w.right_of("gadge"), Some("gad"));
        // forms hold whole characters
        let w = PairWords::new(&["ьность".into()], &["дос".into()]);
        assert_eq!(w.left_of("достопримечательность"), Some("ьность"));
        assert_eq!(w.right_of("достопримечательность"), Some("дос"));
        assert_eq!(w.left_of("ность"), None);
    }

    #[test]
    fn content_forms_pair_with_rare_words_across_a_space() {
        // the first STOP_FORMS forms are stop forms, the rest content forms
        let mut forms: Vec<String> = (0..STOP_FORMS).map(|i| format!("stop{i}")).collect();
        forms.extend(["report", "gadget"].map(String::from));
        forms[0] = "the".into();
        let w = PairWords::new(&forms, &forms);
        let pairs = |text: &str| {
            let mut out = TermSet::default();
            w.collect(&fold(text), TextScope::Body, &mut out);
            let mut v: Vec<String> = out.iter().map(String::from).collect();
            v.sort();
            v
        };
        assert_eq!(pairs("quarterly report"), ["quarterly report"]);
        assert_eq!(pairs("zebra reports"), ["zebra report"]);
        assert_eq!(pairs("usbgadget zebra"), ["gadget zebra"]);
        // not next to a stop form, a number, a short word, nor across `-`
        assert!(pairs("quarterly the").is_empty());
        assert!(pairs("2024 report, q3 report, ab report").is_empty());
        assert!(pairs("quarterly-report").is_empty());
        assert_eq!(pairs("the report"), ["the report"]);
    }

    #[test]
    fn chains_before_a_colon_are_paired_whole() {
        let words = ["signed-off-by", "by", "greg", "usb"];
        assert_eq!(
            pairs_of(&words, "Signed-off-by: Greg"),
            ["by: greg", "signed-off-by: greg"]
        );
        // a longer chain is covered by its frequent suffix; the right run as its plain form
        assert_eq!(
            pairs_of(&words, "x-signed-off-by: gregory"),
            ["by: greg", "signed-off-by: greg"]
        );
        assert_eq!(pairs_of(&words, "acked-by: alan"), ["by: alan"]);
        // only across `: `, and not when the chain is broken
        assert_eq!(pairs_of(&words, "signed-off-by greg"), ["by greg"]);
        assert_eq!(pairs_of(&words, "signed--off-by: greg"), ["by: greg"]);
        assert_eq!(
            pairs_of(&words, "signed-off-by: 5f3e2a1b9c"),
            Vec::<String>::new()
        );
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
        let mut out = TermSet::default();
        w.collect("usb gadget", TextScope::Headers, &mut out);
        w.collect("usb-gadget", TextScope::Body, &mut out);
        let mut v: Vec<String> = out.iter().map(String::from).collect();
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
        // `gadgets` is a form of its own (a run `gadgets` is covered by `gadget` if that is frequent)
        assert_eq!(right, ["usb", "the"]);
    }
}
