//! How a BODY/TEXT/HEADER string becomes index lookups, and how exact they are.
//!
//! The string is case-folded and cut into runs exactly like the indexed text
//! ([`mailfts_mailtext::text::runs`]): word runs, and CJK bigrams. Each run becomes a [`Piece`]
//! with a [`Role`] saying where in a text run it must sit: the first piece may continue to the
//! left when the string starts inside a word, the last to the right when it ends inside one, every
//! other piece is a whole run. A piece is looked up twice:
//!
//! * among the **words** (the per-segment term dictionaries, searched with `memmem`, see
//!   [`mailfts_indexer::terms`]): the terms that hold the piece in its role, then their postings;
//! * among the **opaque runs** (hashes, signatures, long numbers: [`mailfts_mailtext::text::is_opaque`];
//!   and every run of a base64 value that holds one, joined to it by `+` and `/`): the opaque-run
//!   columns, searched with `memmem` like the header columns
//!   ([`mailfts_indexer::columns::OPAQUE_HEADERS`], `OPAQUE_BODY`), at the run edges the piece's
//!   role needs. Every piece that is not CJK is looked up there: a run's text does not tell
//!   whether the index held it as a word or, for its neighbours, as part of an opaque value.
//!
//! Exactness:
//! * **One word run, nothing else** (`gadget`, `adget`, `suspend`, `884c7d`): words and opaque
//!   columns both answer exactly, in any position inside a run (`suspend` finds `autosuspend`).
//!   This is IMAP's answer, with no separate "exact mode" and nothing to verify.
//! * **Several runs or separators** (`q3 report`, `alice@example.org`, ` foo`, CJK): every piece
//!   must occur, so the candidates are the intersection over the pieces, and every candidate is
//!   verified with the exact evaluator (the index keeps no positions: separators and order are
//!   checked on the message). Where two pieces are separated by a space, `: ` or `-`, the word
//!   pairs of frequent words ([`mailfts_indexer::pairs`], [`TextPlan::separators`]) narrow the
//!   candidates to the messages that can have the two runs side by side, and a pair whose forms
//!   hold both pieces whole proves a string of two pieces (`usb gadget`, `quarterly report`); a
//!   trailer `a-b-c: d` whose chain is a frequent form is proven by its chain pair
//!   (`Signed-off-by: Greg`). On linux-usb 20k, `usb gadget`: 4,274 → 1,061 candidates for 1,021
//!   hits, all of them proven (schema 10: 1,408 candidates, 390 verified); `Signed-off-by: Greg`:
//!   380 proven, none verified (schema 10: 614 verified). A piece in an opaque run is looked up
//!   at the run's edge its role needs (`usb` ending a run), so identifiers add few candidates.
//! * **Runs joined by single `_`, open at both ends** (`usb_submit_urb`, `b_submit_u`): looked up
//!   whole among the chains of `_`-joined runs ([`mailfts_indexer::joined`]), exact but for
//!   messages with a chain too long to be a term (verified). On linux-usb 20k, `TEXT
//!   usb_submit_urb`: 720 verified candidates (12.5 ms over IMAP) → 501 proven (0.4 ms).
//! * **No run at all** (`""`, `@`, `--`): the index cannot help; every message is a candidate.
//!
//! ## Why `memmem` over the word dictionary (issue 11; figures from linux-usb 20k, 2026-12-03)
//!
//! Substrings that may begin inside a word used to be found by a `.*s.*` automaton over the FST:
//! 170–190 ms for TEXT, growing with the dictionary (×3 from 20k to 60k). The dictionary was 1.2 M
//! distinct tokens, 0.88 M of them identifiers (base64 signatures, hashes, Exchange ids).
//! Weighed:
//! * a trigram index from grams to term ordinals: time follows the answer, but over the whole
//!   dictionary it costs about as much again as the dictionary (about 12 M gram entries), and the
//!   term bytes are still needed to verify candidates;
//! * a suffix array over the terms: 4 bytes per byte of term (about 90 MB here);
//! * per-message trigrams of the identifiers (tried: 20.8 MB of postings, rescan 5× slower);
//! * **chosen**: identifiers leave the dictionary for the opaque-run columns (8.0 MB zstd for the
//!   headers, 0.45 MB for bodies, searched by `memmem` like the header columns), which leaves
//!   0.33 M word terms (3.3 MB of FST); each segment's words are laid out once as one byte string
//!   (3.4 MB for all three fields, persisted in `terms/`) and searched with SIMD `memmem`. TEXT on
//!   a single word: 3.3–4.3 ms p50 (of which about 2 ms is the store check common to every key),
//!   BODY 2.2–2.3 ms; 13–14 ms and 6.6 ms on 60k, where the cost is still linear in the home but
//!   with a constant about 50× smaller than the automaton's.

use mailfts_indexer::terms::Role;
use mailfts_mailtext::text::{char_class, fold, is_opaque, runs, CharClass};

/// How candidates of a string search relate to the true answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exactness {
    /// The index answer is exact.
    Exact,
    /// The index gives a superset; every candidate must be verified.
    Candidates,
    /// The index cannot narrow: every message is a candidate.
    Unusable,
}

/// A string search turned into pieces to look up.
#[derive(Clone, Debug)]
pub struct TextPlan {
    /// The runs of the string, in order.
    pub pieces: Vec<Piece>,
    /// How exact the index answer is.
    pub exactness: Exactness,
    /// The folded text between piece `i` and piece `i + 1` (`None` where CJK bigrams overlap).
    pub separators: Vec<Option<String>>,
}

/// One run of the string and how to look it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Folded run text.
    pub text: String,
    /// Where in an indexed run it must sit.
    pub role: Role,
    /// It could lie inside an opaque run: look up the opaque-run columns too.
    pub opaque: bool,
    /// It can be a word term (false for a whole piece that is itself opaque).
    pub word: bool,
    /// A CJK bigram (or a last unigram): indexed among the words, never in a word pair
    /// ([`mailfts_indexer::pairs::PairCursor::feed`] breaks adjacency at CJK runs).
    pub cjk: bool,
}

/// Plans the search of `needle` in the indexed text fields.
pub fn plan_text(needle: &str) -> TextPlan {
    let folded = fold(needle);
    let mut found: Vec<(String, bool)> = Vec::new();
    let mut separators = Vec::new();
    let mut last_end: Option<usize> = None;
    runs(&folded, |r| {
        if let Some(end) = last_end {
            separators.push(folded.get(end..r.from).map(str::to_string));
        }
        last_end = Some(r.to);
        found.push((r.text.to_string(), r.cjk));
    });
    if found.is_empty() {
        return TextPlan {
            pieces: Vec::new(),
            exactness: Exactness::Unusable,
            separators,
        };
    }
    let starts_in_word = folded.chars().next().map(char_class) == Some(CharClass::Word);
    let ends_in_word = matches!(
        folded.chars().last().map(char_class),
        Some(CharClass::Word | CharClass::Cjk)
    );
    let n = found.len();
    let pieces: Vec<Piece> = found
        .iter()
        .enumerate()
        .map(|(i, (text, cjk))| {
            // a CJK bigram stands whole in the text's bigrams; only a last unigram is a prefix
            let role = Role {
                open_start: i == 0 && starts_in_word && !cjk,
                open_end: i == n - 1 && ends_in_word,
            };
            let whole_opaque = !cjk && role == Role::WHOLE && is_opaque(text);
            Piece {
                text: text.clone(),
                role,
                // any word run may be indexed as an opaque one: a whole one by its text, any other
                // by its neighbours (the pieces of a base64 value, joined by `+` and `/`)
                opaque: !cjk,
                word: !whole_opaque,
                cjk: *cjk,
            }
        })
        .collect();
    let single_word = n == 1 && !found[0].1 && found[0].0 == folded;
    TextPlan {
        pieces,
        exactness: if single_word {
            Exactness::Exact
        } else {
            Exactness::Candidates
        },
        separators,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_word_is_exact_anywhere_in_a_word() {
        let p = plan_text("Gadget");
        assert_eq!(p.exactness, Exactness::Exact);
        assert_eq!(p.pieces.len(), 1);
        assert_eq!(p.pieces[0].text, "gadget");
        assert_eq!(p.pieces[0].role, Role::INSIDE);
        assert!(p.pieces[0].opaque && p.pieces[0].word);
    }

    #[test]
    fn phrases_and_separators_need_verification() {
        let p = plan_text("q3 report");
        assert_eq!(p.exactness, Exactness::Candidates);
        assert!(p.pieces[0].role.open_start && !p.pieces[0].role.open_end);
        assert!(!p.pieces[1].role.open_start && p.pieces[1].role.open_end);
        let p = plan_text(" foo ");
        assert_eq!(p.exactness, Exactness::Candidates);
        assert_eq!(p.pieces[0].role, Role::WHOLE);
        assert!(
            p.pieces[0].opaque && p.pieces[0].word,
            "a whole word may be a piece of a base64 value, kept with the opaque runs"
        );
        let p = plan_text("Signed-off-by: Greg");
        let seps: Vec<Option<&str>> = p.separators.iter().map(|s| s.as_deref()).collect();
        assert_eq!(seps, [Some("-"), Some("-"), Some(": ")]);
        assert_eq!(plan_text("@@").exactness, Exactness::Unusable);
        assert_eq!(plan_text("").exactness, Exactness::Unusable);
    }

    #[test]
    fn whole_opaque_piece_is_looked_up_in_the_opaque_columns_only() {
        let p = plan_text("<20190401123456.x@y>");
        let id = &p.pieces[0];
        assert_eq!(id.text, "20190401123456");
        assert!(id.opaque && !id.word);
    }

    #[test]
    fn cjk_is_a_phrase_of_bigrams() {
        let p = plan_text("東京都");
        assert_eq!(
            p.pieces.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
            ["東京", "京都", "都"]
        );
        assert_eq!(p.pieces[0].role, Role::WHOLE);
        assert!(p.pieces[2].role.open_end);
        assert!(p.pieces.iter().all(|t| !t.opaque && t.cjk));
        let p = plan_text("From: 郭");
        assert_eq!(
            p.pieces.iter().map(|t| t.cjk).collect::<Vec<_>>(),
            [false, true]
        );
    }
}
