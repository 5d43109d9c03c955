//! From one stored message to what the index keeps of it: a tantivy document and header column values.

use mailfts_extractors::MessageContent;
use tantivy::TantivyDocument;

use crate::columns::{column_of, COLUMN_FIELDS};
use crate::schema::{message_key, Fields};
use crate::text::fold;

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

/// Days since the epoch (UTC) of a unix time.
pub fn day_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(86_400)
}

/// One message prepared for the index.
#[derive(Debug)]
pub struct PreparedMessage {
    /// Message UID.
    pub uid: u32,
    /// The tantivy document.
    pub doc: TantivyDocument,
    /// Folded header values per column field (see [`COLUMN_FIELDS`]).
    pub columns: Vec<Vec<String>>,
    /// Problems met while decoding (the message is indexed with what could be read).
    pub problems: Vec<String>,
}

/// Builds the document of a message from its raw bytes and store facts.
pub fn prepare(
    fields: &Fields,
    mailbox_id: u32,
    uid: u32,
    internal_date: i64,
    raw: &[u8],
) -> PreparedMessage {
    let content = MessageContent::parse(raw);
    prepare_parsed(
        fields,
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
    doc.add_text(fields.headers, content.header_block());
    if !content.body.is_empty() {
        doc.add_text(fields.body, &content.body);
    }
    if !content.attachments.is_empty() {
        doc.add_text(fields.attachments, &content.attachments);
    }
    let mut columns = vec![Vec::new(); COLUMN_FIELDS.len()];
    for h in &content.headers {
        if let Some(c) = column_of(&h.name) {
            columns[c].push(fold(&h.value).replace('\0', ""));
        }
    }
    PreparedMessage {
        uid,
        doc,
        columns,
        problems: content.problems.clone(),
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
