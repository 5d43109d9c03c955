//! The index schema: one tantivy document per message, no stored text, no positions.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};

use crate::tokenizer::TOKENIZER_NAME;

/// Version of the schema and of everything derived from it (tokenizer, columns, payload, and the
/// text the extractors produce: the index must hold exactly what the exact evaluator reads, so a
/// change of extracted text bumps this too). An index written with another version is rebuilt,
/// never read.
pub const SCHEMA_VERSION: u32 = 14;

/// The fields of the schema, resolved once.
#[derive(Clone, Debug)]
pub struct Fields {
    /// Mailbox id (see [`crate::meta::MailboxMeta::id`]); indexed for deleting a whole mailbox.
    pub mailbox: Field,
    /// Message UID.
    pub uid: Field,
    /// `mailbox << 32 | uid`, indexed: the unique key used to delete one message.
    pub key: Field,
    /// Internal date, unix seconds.
    pub internal_date: Field,
    /// Internal date, days since epoch (UTC).
    pub internal_day: Field,
    /// `Date:` header calendar date, days since epoch (internal day when absent).
    pub sent_day: Field,
    /// RFC822.SIZE (line ends counted as CRLF).
    pub size: Field,
    /// The words of all header lines, decoded (`Name: value`); opaque runs go to a column
    /// ([`crate::columns::OPAQUE_HEADERS`]).
    pub headers: Field,
    /// The words of the body text.
    pub body: Field,
    /// The words of the attachment text.
    pub attachments: Field,
    /// Adjacent pairs of frequent words of all three text fields, whole terms (one term list per
    /// document, [`crate::tokenizer::TermListTokenizer`]), the header block's marked apart from
    /// the body's ([`crate::pairs`]).
    pub pairs: Field,
    /// Chains of words joined by `_` of all three text fields, whole terms (one term list per
    /// document), the header block's marked apart from the body's ([`crate::joined`]).
    pub joined: Field,
}

/// Builds the schema and its field handles.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let indexed_fast = NumericOptions::default().set_indexed().set_fast();
    let fast = NumericOptions::default().set_fast();
    let indexed = NumericOptions::default().set_indexed();
    let text_with = |option: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER_NAME)
                .set_fieldnorms(false)
                .set_index_option(option),
        )
    };
    // document ids only: no scoring needs frequencies, and phrases are verified from word
    // candidates rather than looked up by positions (positions were 38 % of the index)
    let words = text_with(IndexRecordOption::Basic);
    let raw = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(crate::tokenizer::TERM_LIST_TOKENIZER_NAME)
            .set_fieldnorms(false)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        mailbox: b.add_u64_field("mailbox", indexed_fast),
        uid: b.add_u64_field("uid", fast.clone()),
        key: b.add_u64_field("key", indexed),
        internal_date: b.add_i64_field("internal_date", fast.clone()),
        internal_day: b.add_i64_field("internal_day", fast.clone()),
        sent_day: b.add_i64_field("sent_day", fast.clone()),
        size: b.add_u64_field("size", fast),
        headers: b.add_text_field("headers", words.clone()),
        body: b.add_text_field("body", words.clone()),
        attachments: b.add_text_field("attachments", words),
        pairs: b.add_text_field("pairs", raw.clone()),
        joined: b.add_text_field("joined", raw),
    };
    (b.build(), fields)
}

/// The unique key of one message.
pub fn message_key(mailbox_id: u32, uid: u32) -> u64 {
    ((mailbox_id as u64) << 32) | uid as u64
}
