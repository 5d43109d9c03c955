//! How a BODY/TEXT/HEADER string becomes a tantivy query, and how exact that query is.
//!
//! The string is case-folded and tokenized exactly like the indexed text ([`mailfts_indexer::text`]).
//!
//! * **One token, nothing else** (`gadget`, `ello`): the index answers exactly. In the default mode
//!   it finds the string where it begins a word (a prefix lookup: `gadget` finds `gadget`, `gadgets`,
//!   `usb_gadget`); in exact mode it also finds it inside a word (`ello` in `hello`) by matching the
//!   term dictionary against `.*ello.*`.
//! * **Several tokens or separators** (`q3 report`, `alice@example.org`, ` foo`): a phrase query finds
//!   candidates (first token whole in the default mode, or as a word suffix in exact mode; last token
//!   as a prefix when the string ends inside a word), and every candidate is verified with the exact
//!   evaluator, because separators in the text may differ from those in the string.
//! * **No token at all** (`""`, `@`, `--`): the index cannot help; every message is a candidate.

use mailfts_indexer::text::{char_class, fold, tokenize, CharClass, MAX_TOKEN_BYTES};
use tantivy::query::{
    BooleanQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

/// How candidates of a string search relate to the true answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exactness {
    /// The index result is the answer (within the mode's definition).
    Exact,
    /// The index result is a superset; candidates must be verified.
    Candidates,
    /// The index cannot narrow: every message is a candidate.
    Unusable,
}

/// A string search turned into index terms.
#[derive(Clone, Debug)]
pub struct TextPlan {
    /// Folded tokens with whether each is matched as prefix / suffix / whole.
    pub tokens: Vec<PlanToken>,
    /// How exact the index answer is.
    pub exactness: Exactness,
}

/// How one token of the string is looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanToken {
    /// Folded token text.
    pub text: String,
    /// Text tokens that *end* with this token match (exact mode, first token inside a word).
    pub suffix: bool,
    /// Text tokens that *start* with this token match (string ends inside a word).
    pub prefix: bool,
}

/// Plans the search of `needle` in a tokenized field; `exact_mode` also finds strings that begin inside a word.
pub fn plan_text(needle: &str, exact_mode: bool) -> TextPlan {
    let folded = fold(needle);
    let mut toks: Vec<(String, CharClass)> = Vec::new();
    tokenize(&folded, |t| {
        toks.push((
            t.text.to_string(),
            char_class(t.text.chars().next().unwrap_or(' ')),
        ))
    });
    if toks.is_empty() || toks.iter().any(|(t, _)| t.len() >= MAX_TOKEN_BYTES) {
        return TextPlan {
            tokens: Vec::new(),
            exactness: Exactness::Unusable,
        };
    }
    let first_char = folded.chars().next().map(char_class);
    let last_char = folded.chars().last().map(char_class);
    let starts_in_word = first_char == Some(CharClass::Word);
    let ends_in_word = matches!(last_char, Some(CharClass::Word | CharClass::Cjk));
    let n = toks.len();
    let tokens: Vec<PlanToken> = toks
        .iter()
        .enumerate()
        .map(|(i, (t, class))| PlanToken {
            text: t.clone(),
            suffix: i == 0 && exact_mode && starts_in_word && *class == CharClass::Word,
            prefix: i == n - 1 && ends_in_word,
        })
        .collect();
    let single_word = n == 1 && toks[0].0 == folded && toks[0].1 == CharClass::Word;
    TextPlan {
        tokens,
        exactness: if single_word {
            Exactness::Exact
        } else {
            Exactness::Candidates
        },
    }
}

/// Regex matching exactly the literal `s` (tokens hold only letters, digits and marks, but escape anyway).
fn regex_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_ascii() && !c.is_ascii_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Most prefix expansions looked up with positions; a phrase whose last word expands to more is
/// looked up without the last word's position (its candidates are verified anyway).
pub const MAX_PHRASE_PREFIX_EXPANSIONS: usize = 256;

/// Number of terms of `field` starting with `prefix`, counted up to `limit`, in the largest segment.
fn prefix_expansions(searcher: &Searcher, field: Field, prefix: &str, limit: usize) -> usize {
    let mut most = 0;
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            return limit;
        };
        let mut range = inverted.terms().range().ge(prefix.as_bytes());
        if let Some(end) = prefix_end(prefix.as_bytes()) {
            range = range.lt(end);
        }
        let Ok(mut stream) = range.into_stream() else {
            return limit;
        };
        let mut n = 0;
        while n < limit && stream.advance() {
            n += 1;
        }
        most = most.max(n);
    }
    most
}

/// The smallest byte string greater than every string starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// True when `field` is indexed with positions (phrase queries possible).
fn has_positions(searcher: &Searcher, field: Field) -> bool {
    match searcher.schema().get_field_entry(field).field_type() {
        tantivy::schema::FieldType::Str(opts) => opts
            .get_indexing_options()
            .is_some_and(|i| i.index_option().has_positions()),
        _ => false,
    }
}

/// Most terms one position of a regex phrase may expand to (tantivy refuses the query beyond it,
/// and the caller then falls back to [`TextPlan::query`]).
pub const MAX_REGEX_PHRASE_EXPANSIONS: u32 = 1 << 14;

impl TextPlan {
    /// For a phrase whose first word is matched as a suffix (exact mode) or whose last word is a
    /// prefix, on a field with positions: a regex phrase query that keeps the positions (`.*first`,
    /// middle words, `last.*`), so far fewer candidates need verifying than with
    /// [`TextPlan::query`]'s word conjunction. `None`
    /// when the plan is not such a phrase. Tantivy refuses it at search time when a position
    /// expands to more than [`MAX_REGEX_PHRASE_EXPANSIONS`] terms; use `query` then.
    pub fn positional_query(&self, field: Field, searcher: &Searcher) -> Option<Box<dyn Query>> {
        if self.exactness == Exactness::Unusable
            || self.tokens.len() < 2
            || !(self.tokens[0].suffix || self.tokens[self.tokens.len() - 1].prefix)
            || !has_positions(searcher, field)
        {
            return None;
        }
        let patterns: Vec<String> = self
            .tokens
            .iter()
            .map(|t| {
                let lit = regex_literal(&t.text);
                match (t.suffix, t.prefix) {
                    (true, true) => format!(".*{lit}.*"),
                    (true, false) => format!(".*{lit}"),
                    (false, true) => format!("{lit}.*"),
                    (false, false) => lit,
                }
            })
            .collect();
        let mut q = tantivy::query::RegexPhraseQuery::new(field, patterns);
        q.set_max_expansions(MAX_REGEX_PHRASE_EXPANSIONS);
        Some(Box::new(q))
    }

    /// The tantivy query on `field`, or `None` when the plan is [`Exactness::Unusable`].
    pub fn query(&self, field: Field, searcher: &Searcher) -> Option<Box<dyn Query>> {
        if self.exactness == Exactness::Unusable || self.tokens.is_empty() {
            return None;
        }
        let term = |t: &str| Term::from_field_text(field, t);
        let regex = |pattern: String| -> Option<Box<dyn Query>> {
            Some(Box::new(RegexQuery::from_pattern(&pattern, field).ok()?))
        };
        let whole = |t: &PlanToken| -> Option<Box<dyn Query>> {
            let lit = regex_literal(&t.text);
            match (t.suffix, t.prefix) {
                (true, true) => regex(format!(".*{lit}.*")),
                (true, false) => regex(format!(".*{lit}")),
                (false, true) => regex(format!("{lit}.*")),
                (false, false) => Some(Box::new(TermQuery::new(
                    term(&t.text),
                    IndexRecordOption::Basic,
                ))),
            }
        };
        if self.tokens.len() == 1 {
            return whole(&self.tokens[0]);
        }
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        if !has_positions(searcher, field) {
            // a field without positions: every token must occur, in any order (candidates only)
            let mut seen = std::collections::HashSet::new();
            for t in &self.tokens {
                if seen.insert((&t.text, t.prefix, t.suffix)) {
                    must.push(whole(t)?);
                }
            }
            return Some(Box::new(BooleanQuery::new(
                must.into_iter().map(|q| (Occur::Must, q)).collect(),
            )));
        }
        // tokens looked up by position: all but a suffix-matched first and a prefix-matched last
        let mut phrase: Vec<&PlanToken> = self.tokens.iter().collect();
        if phrase[0].suffix {
            must.push(whole(phrase.remove(0))?);
        }
        let mut last_prefix = phrase.last().is_some_and(|t| t.prefix);
        if last_prefix
            && (phrase.len() < 2
                || prefix_expansions(
                    searcher,
                    field,
                    &phrase[phrase.len() - 1].text,
                    MAX_PHRASE_PREFIX_EXPANSIONS + 1,
                ) > MAX_PHRASE_PREFIX_EXPANSIONS)
        {
            must.push(whole(phrase.pop().expect("non-empty"))?);
            last_prefix = false;
        }
        let terms: Vec<(usize, Term)> = phrase
            .iter()
            .enumerate()
            .map(|(i, t)| (i, term(&t.text)))
            .collect();
        match (terms.len(), last_prefix) {
            (0, _) => {}
            (1, _) => must.push(Box::new(TermQuery::new(
                terms[0].1.clone(),
                IndexRecordOption::Basic,
            ))),
            (_, true) => {
                let mut q = PhrasePrefixQuery::new_with_offset(terms);
                q.set_max_expansions(MAX_PHRASE_PREFIX_EXPANSIONS as u32);
                must.push(Box::new(q));
            }
            (_, false) => must.push(Box::new(PhraseQuery::new_with_offset(terms))),
        }
        if must.len() == 1 {
            must.pop()
        } else {
            Some(Box::new(BooleanQuery::new(
                must.into_iter().map(|q| (Occur::Must, q)).collect(),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_word_is_exact() {
        let p = plan_text("Gadget", false);
        assert_eq!(p.exactness, Exactness::Exact);
        assert_eq!(
            p.tokens,
            [PlanToken {
                text: "gadget".into(),
                suffix: false,
                prefix: true
            }]
        );
        let p = plan_text("ello", true);
        assert!(p.tokens[0].suffix && p.tokens[0].prefix);
    }

    #[test]
    fn phrases_and_separators_need_verification() {
        let p = plan_text("q3 report", false);
        assert_eq!(p.exactness, Exactness::Candidates);
        assert!(!p.tokens[0].prefix && p.tokens[1].prefix);
        let p = plan_text(" foo", false);
        assert_eq!(p.exactness, Exactness::Candidates);
        assert_eq!(plan_text("@@", false).exactness, Exactness::Unusable);
        assert_eq!(plan_text("", true).exactness, Exactness::Unusable);
    }

    #[test]
    fn cjk_is_a_phrase_of_bigrams() {
        let p = plan_text("東京都", true);
        assert_eq!(
            p.tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
            ["東京", "京都", "都"]
        );
        assert!(!p.tokens[0].suffix);
        assert!(p.tokens[2].prefix);
    }
}
