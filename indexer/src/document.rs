//! From one stored message to what the index keeps of it: a tantivy document and header column values.

use mailfts_extractors::MessageContent;
use tantivy::schema::Field;
use tantivy::TantivyDocument;

use crate::columns::{column_of, is_address_column, COLUMN_FILES, OPAQUE_BODY, OPAQUE_HEADERS};
use crate::joined::JoinedCursor;
use crate::pairs::{PairCursor, PairWords, TextScope};
use crate::schema::{message_key, Fields};
use crate::termset::TermSet;
use crate::text::{
    fold, fold_into, is_opaque, runs, tokenize, without_cfws, Run, ADDRESS_VARIANT_MARK,
    MAX_TOKEN_BYTES,
};

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
    for (field, terms) in [
        (fields.pairs, &mut splitter.pairs),
        (fields.joined, &mut splitter.joined),
    ] {
        if let Some(list) = terms.take_list() {
            doc.add_text(field, list);
        }
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
    pairs: TermSet,
    /// Joined-word terms of the message (all fields).
    joined: TermSet,
    folded: String,
    /// Opaque runs already in the current column value (a message repeats its server names and
    /// ids many times; one copy answers every search).
    seen: rustc_hash::FxHashSet<Box<str>>,
}

impl Splitter<'_> {
    /// Adds the words of `text` to `field` of `doc` and its opaque runs to `opaque`, each followed
    /// by a space (no searched string holds one, so no match spans two runs).
    ///
    /// The field gets the distinct word tokens of the folded text with its opaque runs blanked
    /// out (same length, so every other run stays as it was), as one space-separated list: the
    /// fields keep document ids only, so a word repeated in the message is indexed once.
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
        let Splitter {
            pair_words,
            pairs,
            joined,
            folded,
            seen,
        } = self;
        let mut cursor = PairCursor::new(pair_words, scope);
        let mut chains = JoinedCursor::new(scope);
        let mut words = WordList::with_capacity(folded.len());
        let mut chain = Base64Chain {
            joining: scope == TextScope::Headers,
            ..Default::default()
        };
        runs(folded, |r| {
            cursor.feed(folded, &r, pairs);
            chains.feed(folded, &r, joined);
            if r.cjk {
                chain.flush(folded, &mut words, opaque, seen);
                words.add(r.text);
            } else {
                chain.push(folded, &r, &mut words, opaque, seen);
            }
        });
        chain.flush(folded, &mut words, opaque, seen);
        chains.finish(folded, joined);
        doc.add_text(field, words.list);
    }
}

/// The word runs of the header block joined by single `+` or `/` (the separators inside base64
/// values: DKIM and ARC signatures, Exchange blobs), held until the chain ends: when any run of it
/// is opaque, all of them go to the opaque column, else all to the words. In the body each run is
/// sorted out alone (a chain of one): there such chains are mostly paths and links whose words
/// people search (`lore.kernel.org/linux-usb/2023…`), and keeping them words keeps phrase
/// searches proven by their pairs.
///
/// A base64 value is cut at its `+` and `/` into pieces, most of them too short to be opaque by
/// themselves (`sifqiuzijrmxuwwr` of `bh=siFQiuzIjrmxUWWr+3F2…`): as words they were 114,500 of
/// the 187,226 terms of the header dictionary on linux-usb 20k, each one a term of its own. A
/// search cannot tell such a piece from a word by its text, so the query engine looks up every
/// piece of a searched string in the header block's opaque column too
/// ([`crate::columns::holds_base64_pieces`]), which keeps its answer exact.
#[derive(Default)]
struct Base64Chain {
    /// Runs are joined into chains (the header block); else every run is a chain of its own.
    joining: bool,
    /// The runs of the chain, as ranges of the folded text.
    runs: Vec<(usize, usize)>,
    /// A run of the chain is opaque.
    opaque: bool,
}

impl Base64Chain {
    /// The separators that join runs into a chain.
    fn joins(sep: &str) -> bool {
        sep == "+" || sep == "/"
    }

    /// Takes the next word run `r` of `folded`: it continues the chain when a single `+` or `/`
    /// separates it from the chain's last run, else the chain is sorted out and `r` starts the next.
    fn push<'a>(
        &mut self,
        folded: &'a str,
        r: &Run<'a>,
        words: &mut WordList<'a>,
        opaque: &mut String,
        seen: &mut rustc_hash::FxHashSet<Box<str>>,
    ) {
        if !self.joining {
            // the body: every run alone, nothing held
            return keep_run(r.text, is_opaque(r.text), words, opaque, seen);
        }
        let joined = self
            .runs
            .last()
            .is_some_and(|&(_, to)| Self::joins(&folded[to..r.from]));
        if !joined {
            self.flush(folded, words, opaque, seen);
        }
        self.runs.push((r.from, r.to));
        self.opaque |= is_opaque(r.text);
    }

    /// Adds the chain's runs to the opaque runs when one of them is opaque, else to the words
    /// ([`keep_run`]), and empties it.
    fn flush<'a>(
        &mut self,
        folded: &'a str,
        words: &mut WordList<'a>,
        opaque: &mut String,
        seen: &mut rustc_hash::FxHashSet<Box<str>>,
    ) {
        for &(from, to) in &self.runs {
            keep_run(&folded[from..to], self.opaque, words, opaque, seen);
        }
        self.runs.clear();
        self.opaque = false;
    }
}

/// Adds a word run to the opaque runs (`as_opaque`: once per column value, followed by a space: no
/// searched string holds one, so no match spans two runs) or to the words.
fn keep_run<'a>(
    text: &'a str,
    as_opaque: bool,
    words: &mut WordList<'a>,
    opaque: &mut String,
    seen: &mut rustc_hash::FxHashSet<Box<str>>,
) {
    if as_opaque {
        if !seen.contains(text) {
            seen.insert(text.into());
            opaque.push_str(text);
            opaque.push(' ');
        }
    } else if text.len() <= MAX_TOKEN_BYTES {
        // a run is one token unless it is longer than a token may be
        words.add(text);
    } else {
        tokenize(text, |t| words.add(t.text));
    }
}

/// The distinct word tokens of a text in order of first appearance, separated by single spaces:
/// what the home index's tokenizer reads ([`crate::tokenizer::WordListTokenizer`]). Tokens never
/// hold a space.
struct WordList<'a> {
    seen: rustc_hash::FxHashSet<&'a str>,
    list: String,
}

impl<'a> WordList<'a> {
    /// A list for a text of `text_bytes` bytes (sized for about one distinct word per 16 bytes:
    /// growing the set rehashes it every time).
    fn with_capacity(text_bytes: usize) -> WordList<'a> {
        WordList {
            seen: rustc_hash::FxHashSet::with_capacity_and_hasher(
                text_bytes / 16,
                Default::default(),
            ),
            list: String::with_capacity(text_bytes / 2),
        }
    }

    fn add(&mut self, token: &'a str) {
        if self.seen.insert(token) {
            if !self.list.is_empty() {
                self.list.push(' ');
            }
            self.list.push_str(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_list_holds_each_word_token_once_and_no_opaque_run() {
        let (_, fields) = crate::schema::build_schema();
        let long = "abcdefghij".repeat(50); // 500 bytes: three tokens, one opaque run
        let body = format!(
            "Gadget gadget GADGET {long} 東京都 dGhpcyBpcyBhIGJhc2U2NCBydW4gb2YgYmFzZTY0 x\u{301} end"
        );
        let raw = format!("Subject: s\r\n\r\n{body}\r\n");
        let p = prepare(&fields, &PairWords::default(), 1, 1, 0, raw.as_bytes());
        let list = p.doc.get_first(fields.body).and_then(|v| {
            use tantivy::schema::Value;
            v.as_str().map(str::to_string)
        });
        let list = list.expect("a body word list");
        let got: Vec<&str> = list.split(' ').collect();
        let mut want: Vec<String> = Vec::new();
        // the reference: every token of the folded text outside the opaque runs, once
        let folded = fold(&body);
        let mut opaque_runs = Vec::new();
        runs(&folded, |r| {
            if !r.cjk && is_opaque(r.text) {
                opaque_runs.push(r.from..r.to)
            }
        });
        tokenize(&folded, |t| {
            let in_opaque = opaque_runs.iter().any(|r| r.contains(&t.from));
            if !in_opaque && !want.iter().any(|w| w == t.text) {
                want.push(t.text.to_string())
            }
        });
        assert_eq!(got, want);
        assert_eq!(got.iter().filter(|w| **w == "gadget").count(), 1);
        assert!(got.contains(&"東京") && got.contains(&"京都"));
        assert!(!list.contains("abcde") && !list.contains("dghp"), "{list}");
        // the long run (cut into three tokens by the tokenizer) and the base64 run
        assert_eq!(opaque_runs.len(), 2);
        assert_eq!(p.columns[OPAQUE_BODY].len(), 1);
    }

    /// In the header block, the runs joined by `+` and `/` to an opaque run go to the opaque
    /// column with it; in the body (and in a header chain without an opaque run) they stay words.
    #[test]
    fn base64_pieces_of_the_header_block_are_opaque_runs() {
        let (_, fields) = crate::schema::build_schema();
        let raw = "DKIM-Signature: b=Xy9kQ2mP0zR+usb/gadget+end\r\nX-Blob: boolean+gadget/zz\r\n\
                   Subject: s\r\n\r\nsee linux-usb/20230101123456abc/page\r\n";
        let p = prepare(&fields, &PairWords::default(), 1, 1, 0, raw.as_bytes());
        let list = |field| {
            use tantivy::schema::Value;
            let v = p
                .doc
                .get_first(field)
                .and_then(|v| v.as_str().map(str::to_string));
            v.unwrap_or_default()
        };
        let headers = list(fields.headers);
        let header_words: Vec<&str> = headers.split(' ').collect();
        assert!(
            !header_words.contains(&"usb") && !header_words.contains(&"end"),
            "{headers}"
        );
        assert!(header_words.contains(&"boolean") && header_words.contains(&"gadget"));
        assert_eq!(
            p.columns[OPAQUE_HEADERS],
            ["xy9kq2mp0zr usb gadget end "],
            "each run once, followed by a space"
        );
        let body = list(fields.body);
        let body_words: Vec<&str> = body.split(' ').collect();
        assert!(
            body_words.contains(&"usb") && body_words.contains(&"page"),
            "{body}"
        );
        assert_eq!(p.columns[OPAQUE_BODY], ["20230101123456abc "]);
    }

    #[test]
    fn size_counts_crlf() {
        assert_eq!(rfc822_size(b"a\nb\r\n"), 6);
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of(86_399), 0);
    }
}
