//! From one stored message to what the index keeps of it: a tantivy document and header column values.

use mailfts_extractors::MessageContent;
use tantivy::schema::Field;
use tantivy::TantivyDocument;

use crate::columns::{column_of, is_address_column, COLUMN_FILES, OPAQUE_BODY, OPAQUE_HEADERS};
use crate::joined::JoinedCursor;
use crate::pairs::{PairCursor, PairWords, TextScope};
use crate::schema::{message_key, Fields};
use crate::text::{fold, fold_into, is_opaque, runs, without_cfws, ADDRESS_VARIANT_MARK};

/// RFC822.SIZE of raw message bytes: the size with every bare LF counted as CRLF.
pub fn rfc822_size(raw: &[u8]) -> u64 {
    let mut bare_lf = 0u64;
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            bare_lf += 1;
        }
        prev = b;
    }
    raw.len() as u64 + bare_lf
}

pub use mailfts_mailtext::civil::day_of;

/// One message prepared for the index.
#[derive(Debug)]
pub struct PreparedMessage {
    /// Message UID.
    pub uid: u32,
    /// The tantivy document.
    pub doc: TantivyDocument,
    /// Folded values per column (see [`COLUMN_FILES`]): header fields and opaque runs.
    pub columns: Vec<Vec<String>>,
    /// Problems met while decoding (the message is indexed with what could be read).
    pub problems: Vec<String>,
}

/// Builds the document of a message from its raw bytes and store facts; `pairs` are the index's
/// frequent words ([`crate::pairs`]).
pub fn prepare(
    fields: &Fields,
    pairs: &PairWords,
    mailbox_id: u32,
    uid: u32,
    internal_date: i64,
    raw: &[u8],
) -> PreparedMessage {
    let content = MessageContent::parse(raw);
    prepare_parsed(
        fields,
        pairs,
        mailbox_id,
        uid,
        internal_date,
        rfc822_size(raw),
        &content,
    )
}

/// Builds the document of an already parsed message.
pub fn prepare_parsed(
    fields: &Fields,
    pairs: &PairWords,
    mailbox_id: u32,
    uid: u32,
    internal_date: i64,
    size: u64,
    content: &MessageContent,
) -> PreparedMessage {
    let mut doc = TantivyDocument::default();
    let internal_day = day_of(internal_date);
    doc.add_u64(fields.mailbox, mailbox_id as u64);
    doc.add_u64(fields.uid, uid as u64);
    doc.add_u64(fields.key, message_key(mailbox_id, uid));
    doc.add_i64(fields.internal_date, internal_date);
    doc.add_i64(fields.internal_day, internal_day);
    doc.add_i64(
        fields.sent_day,
        content
            .sent_date
            .map_or(internal_day, |d| d.days_since_epoch()),
    );
    doc.add_u64(fields.size, size);
    let mut columns = vec![Vec::new(); COLUMN_FILES.len()];
    let mut splitter = Splitter {
        pair_words: pairs,
        folded: String::new(),
        seen: Default::default(),
        pairs: Default::default(),
        joined: Default::default(),
    };
    let mut opaque = String::new();
    splitter.add(
        &mut doc,
        fields.headers,
        TextScope::Headers,
        &content.header_block(),
        &mut opaque,
    );
    if !opaque.is_empty() {
        columns[OPAQUE_HEADERS].push(std::mem::take(&mut opaque));
    }
    splitter.seen.clear();
    splitter.add(
        &mut doc,
        fields.body,
        TextScope::Body,
        &content.body,
        &mut opaque,
    );
    splitter.add(
        &mut doc,
        fields.attachments,
        TextScope::Body,
        &content.attachments,
        &mut opaque,
    );
    if !opaque.is_empty() {
        columns[OPAQUE_BODY].push(opaque);
    }
    for pair in splitter.pairs.drain() {
        doc.add_text(fields.pairs, pair);
    }
    for chain in splitter.joined.drain() {
        doc.add_text(fields.joined, chain);
    }
    for h in &content.headers {
        if let Some(c) = column_of(&h.name) {
            let value = fold(&h.value).replace(['\0', ADDRESS_VARIANT_MARK], "");
            // an address also as written without comments and white space (FROM, TO, CC, BCC
            // match it; the evaluator tries it on the same condition)
            if is_address_column(c) && h.value.contains(['(', ' ', '\t']) {
                let bare = fold(&without_cfws(&h.value)).replace(['\0', ADDRESS_VARIANT_MARK], "");
                if bare != value {
                    columns[c].push(format!("{ADDRESS_VARIANT_MARK}{bare}"));
                }
            }
            columns[c].push(value);
        }
    }
    PreparedMessage {
        uid,
        doc,
        columns,
        problems: content.problems.clone(),
    }
}

/// Splits folded text into word tokens (for a text field) and opaque runs (for an opaque column),
/// and collects the pairs of frequent words and the chains of words joined by `_`.
struct Splitter<'p> {
    pair_words: &'p PairWords,
    /// Pair terms of the message (all fields).
    pairs: std::collections::HashSet<String>,
    /// Joined-word terms of the message (all fields).
    joined: std::collections::HashSet<String>,
    folded: String,
    /// Opaque runs already in the current column value (a message repeats its server names and
    /// ids many times; one copy answers every search).
    seen: rustc_hash::FxHashSet<Box<str>>,
}

impl Splitter<'_> {
    /// Adds the words of `text` to `field` of `doc` and its opaque runs to `opaque`, each followed
    /// by a space (no searched string holds one, so no match spans two runs).
    ///
    /// The field gets the folded text with its opaque runs blanked out (same length, so every
    /// other run stays as it was): the index's tokenizer then yields exactly the word tokens, and
    /// the document holds one string per field rather than one per token.
    fn add(
        &mut self,
        doc: &mut TantivyDocument,
        field: Field,
        scope: TextScope,
        text: &str,
        opaque: &mut String,
    ) {
        if text.is_empty() {
            return;
        }
        self.folded.clear();
        fold_into(text, &mut self.folded);
        let mut blanks: Vec<(usize, usize)> = Vec::new();
        let Splitter {
            pair_words,
            pairs,
            joined,
            folded,
            seen,
        } = self;
        let mut cursor = PairCursor::new(pair_words, scope);
        let mut chains = JoinedCursor::new(scope);
        runs(folded, |r| {
            cursor.feed(folded, &r, pairs);
            chains.feed(folded, &r, joined);
            if !r.cjk && is_opaque(r.text) {
                blanks.push((r.from, r.to));
                if !seen.contains(r.text) {
                    seen.insert(r.text.into());
                    opaque.push_str(r.text);
                    opaque.push(' ');
                }
            }
        });
        chains.finish(folded, joined);
        if blanks.is_empty() {
            doc.add_text(field, &self.folded);
            return;
        }
        let mut words = std::mem::take(&mut self.folded).into_bytes();
        for (from, to) in blanks {
            // an opaque run is letters and digits only (ASCII or not): spaces keep UTF-8 valid
            // because whole characters are replaced byte by byte
            words[from..to].fill(b' ');
        }
        let words = String::from_utf8(words).expect("whole characters blanked");
        doc.add_text(field, &words);
        self.folded = words;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_counts_crlf() {
        assert_eq!(rfc822_size(b"a\nb\r\n"), 6);
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of(86_399), 0);
    }
}
