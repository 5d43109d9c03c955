//! The tantivy adapters of [`crate::text`]: [`MailTokenizer`] folds a text and streams its tokens
//! (the Solr index's fields); [`WordListTokenizer`] reads the word lists the document builder makes
//! of them (a home index's word fields, where the name [`TOKENIZER_NAME`] is registered for it);
//! [`TermListTokenizer`] reads its lists of whole terms (the pairs and joined words, registered as
//! [`TERM_LIST_TOKENIZER_NAME`]).

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::text::{fold_into, TokenCursor};

/// Name of the tokenizer of the word fields in every mailfts index schema: [`WordListTokenizer`] in
/// a home index, [`MailTokenizer`] in the Solr index.
pub const TOKENIZER_NAME: &str = "mailfts";

/// Tantivy tokenizer: full Unicode case folding, word-character runs, CJK bigrams.
#[derive(Clone, Default)]
pub struct MailTokenizer {
    folded: String,
    token: Token,
}

/// The token stream of one text.
pub struct MailTokenStream<'a> {
    folded: &'a str,
    cursor: TokenCursor,
    token: &'a mut Token,
}

impl Tokenizer for MailTokenizer {
    type TokenStream<'a> = MailTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MailTokenStream<'a> {
        let MailTokenizer { folded, token } = self;
        folded.clear();
        fold_into(text, folded);
        token.reset();
        MailTokenStream {
            folded,
            cursor: TokenCursor::default(),
            token,
        }
    }
}

impl TokenStream for MailTokenStream<'_> {
    fn advance(&mut self) -> bool {
        match self.cursor.next(self.folded) {
            Some((from, to, position)) => {
                self.token.text.clear();
                self.token.text.push_str(&self.folded[from..to]);
                self.token.offset_from = from;
                self.token.offset_to = to;
                self.token.position = position;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// A tokenizer of lists made by the document builder: the items of its text, separated by the
/// byte `SEP`, each one token (empty items, between two separators, make none).
#[derive(Clone, Default)]
pub struct ListTokenizer<const SEP: u8> {
    token: Token,
}

/// The token stream of one list.
pub struct ListStream<'a, const SEP: u8> {
    list: &'a str,
    at: usize,
    token: &'a mut Token,
}

impl<const SEP: u8> Tokenizer for ListTokenizer<SEP> {
    type TokenStream<'a> = ListStream<'a, SEP>;

    fn token_stream<'a>(&'a mut self, list: &'a str) -> ListStream<'a, SEP> {
        self.token.reset();
        ListStream {
            list,
            at: 0,
            token: &mut self.token,
        }
    }
}

impl<const SEP: u8> TokenStream for ListStream<'_, SEP> {
    fn advance(&mut self) -> bool {
        let bytes = self.list.as_bytes();
        while self.at < bytes.len() && bytes[self.at] == SEP {
            self.at += 1;
        }
        if self.at >= bytes.len() {
            return false;
        }
        let from = self.at;
        let to = memchr::memchr(SEP, &bytes[from..]).map_or(bytes.len(), |n| from + n);
        self.at = to;
        self.token.text.clear();
        self.token.text.push_str(&self.list[from..to]);
        self.token.offset_from = from;
        self.token.offset_to = to;
        // a new position per item (Token::reset starts at usize::MAX)
        self.token.position = self.token.position.wrapping_add(1);
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The tokenizer of a home index's word fields: their text is the list of the field's distinct
/// word tokens, separated by single spaces, made by the document builder
/// ([`crate::document::prepare_parsed`]) with [`crate::text::tokenize`] over the folded text.
///
/// The fields keep document ids only (no positions, no frequencies), so each word once per
/// document is all the index needs; the text is folded and tokenized once, on the preparing
/// threads (all cores), not a second time on tantivy's one indexing thread (linux-usb 20k from
/// scratch: 4.6–5.0 → 4.2–4.3 s, see docs/BENCHMARKS.md).
/// The terms are those [`MailTokenizer`] makes of the text itself (the Solr index's tokenizer),
/// so an index written before is read and extended as it is, under the same schema.
pub type WordListTokenizer = ListTokenizer<b' '>;

/// Name under which a home index registers [`TermListTokenizer`]: the tokenizer its schema names
/// for the `pairs` and `joined` fields. tantivy's own `raw` tokenizer, which those fields had from
/// the start, makes one term of a whole value, as this one does of a value without
/// [`TERM_SEPARATOR`]: the terms of an index written before are the same, so its schema stays.
pub const TERM_LIST_TOKENIZER_NAME: &str = "raw";

/// What separates the terms of a [`TermListTokenizer`] list (no pair or chain term holds one:
/// they are made of word runs and the separators `" "`, `": "`, `-` and `_`).
pub const TERM_SEPARATOR: char = '\0';

/// The tokenizer of a home index's `pairs` and `joined` fields: their text is the list of the
/// document's distinct terms of the field, separated by [`TERM_SEPARATOR`], each term whole (it
/// may hold spaces: `usb gadget`).
///
/// One value per document instead of one value per term: tantivy's per-value work (a token
/// stream, a term buffer) was paid for every pair of every message.
pub type TermListTokenizer = ListTokenizer<{ TERM_SEPARATOR as u8 }>;

#[cfg(test)]
mod tests {
    use super::*;

    fn terms<T: Tokenizer>(t: &mut T, text: &str) -> Vec<String> {
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    #[test]
    fn a_word_list_yields_the_words_the_folding_tokenizer_finds() {
        let text = "Hello, WORLD! Straße 東京都庁 x86_64 foo.bar hello";
        let mut folded = String::new();
        fold_into(text, &mut folded);
        let mut list: Vec<&str> = Vec::new();
        crate::text::tokenize(&folded, |t| {
            if !list.contains(&t.text) {
                list.push(t.text)
            }
        });
        let mut want = terms(&mut MailTokenizer::default(), text);
        want.sort();
        want.dedup();
        let mut got = terms(&mut WordListTokenizer::default(), &list.join(" "));
        got.sort();
        assert_eq!(got, want);
        assert!(got.contains(&"東京".to_string()) && got.contains(&"hello".to_string()));
        assert!(terms(&mut WordListTokenizer::default(), "  ").is_empty());
    }

    /// A term list yields its terms whole; a value without a separator is one term, as tantivy's
    /// `raw` tokenizer makes of it (the name the schema keeps), except an empty one (no list the
    /// document builder makes is empty).
    #[test]
    fn a_term_list_yields_whole_terms_and_a_single_value_as_raw_does() {
        let mut list = TermListTokenizer::default();
        assert_eq!(
            terms(&mut list, "usb gadget\0#by: greg\0use-after-free"),
            ["usb gadget", "#by: greg", "use-after-free"]
        );
        let mut raw = tantivy::tokenizer::RawTokenizer::default();
        for value in ["usb gadget", "x", "#by: greg"] {
            assert_eq!(terms(&mut list, value), terms(&mut raw, value), "{value:?}");
        }
        assert!(terms(&mut list, "").is_empty());
    }
}
