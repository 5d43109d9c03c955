//! The tantivy adapter of [`crate::text`]: folds a field's text once, then streams its tokens.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::text::{fold_into, TokenCursor};

/// Name under which [`MailTokenizer`] is registered in every mailfts index.
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
