//! Words joined by `_`: what lets an identifier such as `usb_submit_urb` be answered by the index
//! alone.
//!
//! The word fields cut text at every character that is not a letter or digit, so
//! `usb_submit_urb` is three runs to the index. A string of several runs is otherwise answered by
//! intersecting the runs' postings and verifying every candidate against its message (see
//! [`crate::pairs`] for the two-word case): on linux-usb 20k, `TEXT usb_submit_urb` verified 720
//! candidates for 501 hits, 12.5 ms over IMAP where a single word takes about 1 ms.
//!
//! So each document also gets, in the `joined` field, one term per distinct *chain of runs joined
//! by single underscores*: a maximal sequence of at least two word runs (opaque ones included,
//! CJK excluded) of one text where the text between each run and the next is exactly `_`. The
//! header block's chains are marked apart from the body's and the attachments' ([`TextScope::mark`],
//! as the word pairs are).
//!
//! Why that is exact: let a searched string be pieces of word characters joined by single `_`.
//! Where it occurs in a text, its first piece ends a run, its last piece starts one, every inner
//! piece is a whole run, and the text between them is exactly `_` (runs are maximal sequences of
//! word characters, a function of the characters alone). Those runs belong to one chain, whose
//! term then holds the string; conversely a chain term is a slice of the same folded text the
//! exact evaluator searches. So the messages with a chain term containing the string are exactly
//! the messages holding it, except where the chain is longer than [`JOINED_MAX_BYTES`] (the
//! message is marked with [`long_chain_term`] and verified).
//!
//! Opaque runs (hashes, ids) are kept in chains although the word fields leave them out: chains
//! holding one are few (2,301 distinct on linux-usb 20k, against 54,331 of words only), and
//! without them a string whose first or last piece may end or start an opaque run would need a
//! search of the opaque columns (2–3 ms per piece on the header column).
//!
//! Cost on linux-usb 20k: see `docs/BENCHMARKS.md` (joined words, issue 11).

use crate::pairs::TextScope;
use crate::termset::TermSet;
use crate::text::Run;

/// Longest chain kept as a term, in bytes; a longer one marks its message with
/// [`long_chain_term`] instead.
pub const JOINED_MAX_BYTES: usize = 128;

/// The term marking a message with a chain longer than [`JOINED_MAX_BYTES`] in `scope`: the mark
/// and a lone `_` (a chain starts with a word character, so no chain is this term).
pub fn long_chain_term(scope: TextScope) -> &'static str {
    match scope {
        TextScope::Headers => "#_",
        TextScope::Body => "_",
    }
}

/// Follows the runs of one folded text and collects its chains ([`JoinedCursor::feed`], then
/// [`JoinedCursor::finish`]).
pub struct JoinedCursor {
    scope: TextScope,
    /// The chain being read: its start, the end of its last run, and how many runs it has.
    chain: Option<(usize, usize, usize)>,
    /// The term being made (reused).
    term: String,
}

impl JoinedCursor {
    /// A cursor at the start of a text of `scope`.
    pub fn new(scope: TextScope) -> JoinedCursor {
        JoinedCursor {
            scope,
            chain: None,
            term: String::new(),
        }
    }

    /// Takes the next run `r` of `folded`, adding to `out` the chain that `r` ends.
    pub fn feed(&mut self, folded: &str, r: &Run<'_>, out: &mut TermSet) {
        if r.cjk {
            self.flush(folded, out);
            return;
        }
        match self.chain {
            Some((from, to, n)) if &folded[to..r.from] == "_" => {
                self.chain = Some((from, r.to, n + 1));
            }
            _ => {
                self.flush(folded, out);
                self.chain = Some((r.from, r.to, 1));
            }
        }
    }

    /// Ends the text: adds its last chain to `out`.
    pub fn finish(&mut self, folded: &str, out: &mut TermSet) {
        self.flush(folded, out);
    }

    fn flush(&mut self, folded: &str, out: &mut TermSet) {
        let Some((from, to, n)) = self.chain.take() else {
            return;
        };
        if n < 2 {
            return;
        }
        let text = &folded[from..to];
        if text.len() > JOINED_MAX_BYTES {
            out.insert(long_chain_term(self.scope));
            return;
        }
        let mark = self.scope.mark();
        self.term.clear();
        self.term.push_str(mark);
        self.term.push_str(text);
        out.insert(&self.term);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::runs;

    fn chains(text: &str, scope: TextScope) -> Vec<String> {
        let mut out = TermSet::default();
        let mut cursor = JoinedCursor::new(scope);
        runs(text, |r| cursor.feed(text, &r, &mut out));
        cursor.finish(text, &mut out);
        let mut v: Vec<String> = out.iter().map(String::from).collect();
        v.sort();
        v
    }

    #[test]
    fn chains_are_word_runs_joined_by_one_underscore() {
        assert_eq!(
            chains(
                "call usb_submit_urb() then x__y or a_b.c_d_e; _lead trail_ single",
                TextScope::Body
            ),
            ["a_b", "c_d_e", "usb_submit_urb"]
        );
        assert_eq!(chains("ab_cd", TextScope::Headers), ["#ab_cd"]);
    }

    #[test]
    fn opaque_runs_join_chains_and_cjk_runs_break_them() {
        // `0123456789abc` is opaque (long, with digits)
        assert_eq!(
            chains("foo_0123456789abc_bar_baz 日本_語 x_日 y", TextScope::Body),
            ["foo_0123456789abc_bar_baz"]
        );
    }

    #[test]
    fn long_chains_mark_the_message() {
        let long = vec!["word"; 40].join("_");
        assert_eq!(
            chains(&format!("{long} a_b"), TextScope::Body),
            ["_", "a_b"]
        );
        assert_eq!(chains(&long, TextScope::Headers), ["#_"]);
    }
}
