//! The decoded view of one message: headers (RFC 2047 decoded, unfolded), body text, and the
//! text of its attachments and nested messages.
//!
//! Nested message/rfc822 parts are a hazard of their own: mail-parser builds them iteratively
//! (any depth parses), but its `Message` drops recursively, so a 100,000-deep chain overflows the
//! stack when the parsed message is dropped, which aborts the process. [`drop_flat`] takes the
//! tree apart iteratively before it is dropped, and the walk over nested messages stops at
//! [`Limits::max_depth`].

use mail_parser::{
    HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

use crate::error::{ExtractError, Format};
use crate::extract::{extract_as, extract_text_as};
use crate::isolate::{panic_message, Produced};
use crate::limits::Limits;
use crate::sink::Sink;

/// One header line of a message, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderField {
    /// The field name as written in the message (compare case-insensitively).
    pub name: String,
    /// The value, unfolded, with RFC 2047 encoded words decoded; leading white space removed.
    pub value: String,
}

/// The calendar date of a `Date:` header in its own time zone (RFC 3501 SENT* keys ignore time and zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentDate {
    /// Year, e.g. 2024.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
}

impl SentDate {
    /// Days since 1970-01-01 of this calendar date (proleptic Gregorian).
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(self.year as i64, self.month as i64, self.day as i64)
    }
}

pub use mailfts_mailtext::civil::days_from_civil;

/// Everything of a message that IMAP SEARCH and the index look at, decoded to UTF-8.
#[derive(Clone, Debug, Default)]
pub struct MessageContent {
    /// Top-level header fields in message order.
    pub headers: Vec<HeaderField>,
    /// The decoded text of the body parts (text/plain, HTML converted to text), parts joined by `\n`.
    pub body: String,
    /// Text extracted from attachments and nested messages (their header lines and text), and
    /// attachment file names; parts joined by `\n`.
    pub attachments: String,
    /// The `Date:` header's calendar date, when it could be parsed.
    pub sent_date: Option<SentDate>,
    /// Problems met while decoding (broken MIME, unknown charset, an attachment that could not be
    /// extracted: `extract <format>: …`, see [`crate::failure_format`]); the message is still usable.
    pub problems: Vec<String>,
    /// The message has document attachments (PDF, OOXML, ODF) whose text was not extracted (a
    /// parse by [`MessageContent::parse_body_with`]): [`MessageContent::attachments`] is empty for
    /// that reason, and [`MessageContent::parse_with`] gives it.
    pub attachments_skipped: bool,
}

impl MessageContent {
    /// Parses raw RFC 5322 bytes under the default [`Limits`]. Never fails; see
    /// [`MessageContent::problems`].
    pub fn parse(raw: &[u8]) -> MessageContent {
        Self::parse_with(raw, &Limits::default())
    }

    /// Parses raw RFC 5322 bytes, extracting attachments under `limits`. Never fails and never
    /// panics: a panic of the MIME parser leaves the raw bytes as the body.
    pub fn parse_with(raw: &[u8], limits: &Limits) -> MessageContent {
        let mut out = MessageContent::default();
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parse_into(raw, limits, &mut out)
        }));
        if let Err(payload) = parsed {
            out.problems.push(format!(
                "extract message: MIME parser panicked: {}",
                panic_message(&payload)
            ));
            if out.body.is_empty() {
                out.body = String::from_utf8_lossy(raw).into_owned();
            }
        }
        out
    }
    /// Parses what BODY looks at first: [`MessageContent::body`] equals that of
    /// [`MessageContent::parse_with`]; `headers` stays empty and `sent_date` unset. A message with
    /// a document attachment (PDF, OOXML, ODF: extracted in an isolated worker) keeps its
    /// attachments for later ([`MessageContent::attachments`] empty,
    /// [`MessageContent::attachments_skipped`] set); the text attachments of any other message are
    /// read at once (cheap), and a message with a nested message is parsed in full (nested header
    /// lines need the full header parse): their attachments equal those of
    /// [`MessageContent::parse_with`].
    ///
    /// Verifying a BODY candidate is most of the cost of a phrase search: decoding every header
    /// field (RFC 2047, unfolding) is a third of a plain message's parse, and extracting a PDF or
    /// DOCX attachment costs more than the rest of its message. Here only the MIME fields are
    /// parsed, and documents are left for when the body does not match.
    pub fn parse_body_with(raw: &[u8], limits: &Limits) -> MessageContent {
        let mut out = MessageContent::default();
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let Some(msg) = body_parser().parse(raw) else {
                return false;
            };
            let nested = msg.attachments.iter().any(|&i| {
                matches!(
                    msg.parts.get(i as usize).map(|p| &p.body),
                    Some(PartType::Message(_))
                )
            });
            if nested {
                // a nested message's header lines need the full header parse
                drop_flat(msg);
                return false;
            }
            body_text(&msg, limits, &mut out.body, &mut out.problems);
            if has_isolated_attachment(&msg) {
                out.attachments_skipped = true;
            } else if !msg.attachments.is_empty() {
                out.attachments = attachment_text(&msg, limits, &mut out.problems);
            }
            drop_flat(msg);
            true
        }));
        if !matches!(parsed, Ok(true)) {
            return Self::parse_with(raw, limits);
        }
        out
    }

    /// Parses only what the header keys look at: [`MessageContent::headers`] and
    /// [`MessageContent::sent_date`] equal those of [`MessageContent::parse_with`]; the body and
    /// the attachments stay empty (nothing after the header block is read).
    pub fn parse_headers(raw: &[u8]) -> MessageContent {
        let mut out = MessageContent::default();
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parser()
                .parse_headers(raw)
                .map(|msg| header_fields(msg.root_part(), raw, Some(&mut out.sent_date)))
        }));
        match parsed {
            Ok(Some(headers)) => out.headers = headers,
            Ok(None) => {}
            Err(_) => return Self::parse(raw),
        }
        out
    }

    /// Values of every header field called `name` (ASCII case-insensitive), in message order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// True when the message has at least one header field called `name`.
    pub fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// The whole decoded header block as `Name: value` lines (what IMAP TEXT matches besides the body).
    pub fn header_block(&self) -> String {
        let mut s = String::with_capacity(
            self.headers
                .iter()
                .map(|h| h.name.len() + h.value.len() + 3)
                .sum(),
        );
        for h in &self.headers {
            s.push_str(&h.name);
            s.push_str(": ");
            s.push_str(&h.value);
            s.push('\n');
        }
        s
    }
}

/// The parser of [`MessageContent::parse_with`] and [`MessageContent::parse_headers`]: MIME
/// fields structured, every other field decoded as text; `Date` and `Resent-Date` kept raw and
/// parsed from their own text ([`sent_date_of`]).
///
/// mail-parser 0.11's date parser reads the two bytes after the first letter of a time zone name
/// without looking: after an obsolete one-letter or two-letter zone at the end of a line (`UT`,
/// `Z`) it swallows the line break and goes on into the next field, or past the empty line into
/// the body (SpamAssassin's public corpus has such dates). The body parser, which skips `Date`,
/// then read a body the full parse did not: the index missed words the scan found.
fn parser() -> MessageParser {
    MessageParser::new()
        .with_mime_headers()
        .header_raw(HeaderName::Date)
        .header_raw(HeaderName::ResentDate)
        .default_header_text()
}

/// The date of a `Date` field's unfolded text, when it is a valid RFC 5322 date.
fn sent_date_of(value: &str) -> Option<SentDate> {
    let dt = mail_parser::DateTime::parse_rfc822(value).filter(|d| d.is_valid())?;
    Some(SentDate {
        year: dt.year as i32,
        month: dt.month as u32,
        day: dt.day as u32,
    })
}

/// True when an attachment of `msg` is a document that extraction runs isolated
/// ([`Format::is_isolated`]).
fn has_isolated_attachment(msg: &Message<'_>) -> bool {
    msg.attachments.iter().any(|&i| {
        let Some(part) = msg.parts.get(i as usize) else {
            return false;
        };
        let (PartType::Binary(b) | PartType::InlineBinary(b)) = &part.body else {
            return false;
        };
        Format::detect(&content_type_of(part), part.attachment_name(), b).is_isolated()
    })
}

/// The `type/subtype` of a part (`application/octet-stream` when it declares none).
fn content_type_of(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match &ct.c_subtype {
            Some(sub) => format!("{}/{}", ct.c_type, sub),
            None => ct.c_type.to_string(),
        },
        None => "application/octet-stream".to_string(),
    }
}

/// The parser of [`MessageContent::parse_body_with`]: MIME fields only, every other field skipped.
fn body_parser() -> MessageParser {
    MessageParser::new()
        .with_mime_headers()
        .default_header_ignore()
}

fn parse_into(raw: &[u8], limits: &Limits, out: &mut MessageContent) {
    let Some(msg) = parser().parse(raw) else {
        out.body = String::from_utf8_lossy(raw).into_owned();
        out.problems
            .push("not a parsable message; indexed as plain text".into());
        return;
    };
    out.headers = header_fields(msg.root_part(), raw, Some(&mut out.sent_date));
    body_text(&msg, limits, &mut out.body, &mut out.problems);
    for part in &msg.parts {
        if part.is_encoding_problem {
            out.problems.push(format!(
                "part at byte {}: transfer encoding could not be decoded",
                part.offset_header
            ));
        }
        if let PartType::Text(_) | PartType::Html(_) = part.body {
            if let Some(cs) = part.content_type().and_then(|c| c.attribute("charset")) {
                if encoding_rs::Encoding::for_label(cs.as_bytes()).is_none()
                    && !cs.eq_ignore_ascii_case("utf-7")
                {
                    out.problems
                        .push(format!("unknown charset {cs:?}, decoded as UTF-8/Latin-1"));
                }
            }
        }
    }
    if !msg.attachments.is_empty() {
        out.attachments = attachment_text(&msg, limits, &mut out.problems);
    }
    drop_flat(msg);
}

/// The text of the attachments of `msg` (nested messages included), problems added to `problems`.
fn attachment_text(msg: &Message<'_>, limits: &Limits, problems: &mut Vec<String>) -> String {
    let mut walker = Walker {
        limits,
        text: String::new(),
        problems,
        too_deep: false,
        full: false,
    };
    walker.attachments_of(msg, 0);
    walker.text
}

/// The text parts of a message's body (HTML converted), joined by `\n`, into `out`: every
/// alternative, the plain part and the HTML one (mail-parser lists the plain alternatives in
/// `text_body` and the HTML ones in `html_body`; a word may be in one only).
fn body_text(msg: &Message<'_>, limits: &Limits, out: &mut String, problems: &mut Vec<String>) {
    let mut parts: Vec<u32> = msg.text_body.clone();
    for &i in &msg.html_body {
        if !parts.contains(&i) {
            parts.push(i);
        }
    }
    for &i in &parts {
        let Some(part) = msg.parts.get(i as usize) else {
            continue;
        };
        let text: std::borrow::Cow<'_, str> = match &part.body {
            PartType::Text(t) => std::borrow::Cow::Borrowed(t.as_ref()),
            PartType::Html(h) => {
                let p = extract_text_as(Format::Html, h, limits, limits.max_message_output_bytes);
                if let Some(e) = p.error {
                    problems.push(e.to_string());
                }
                std::borrow::Cow::Owned(p.text)
            }
            _ => continue,
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&text);
    }
}

/// The header fields of a part, decoded; `raw` is the buffer the part's offsets point into.
fn header_fields(
    part: &MessagePart<'_>,
    raw: &[u8],
    mut sent_date: Option<&mut Option<SentDate>>,
) -> Vec<HeaderField> {
    let mut fields = Vec::with_capacity(part.headers.len());
    for h in &part.headers {
        let is_date = matches!(h.name, HeaderName::Date | HeaderName::ResentDate);
        let value = match &h.value {
            _ if is_date => raw_header_text(raw, h.offset_start as usize, h.offset_end as usize),
            HeaderValue::Text(t) => t.trim().to_string(),
            HeaderValue::TextList(l) => l.join(" "),
            HeaderValue::DateTime(_) | HeaderValue::ContentType(_) | HeaderValue::Empty => {
                raw_header_text(raw, h.offset_start as usize, h.offset_end as usize)
            }
            other => format!("{other:?}"),
        };
        if h.name == HeaderName::Date {
            if let Some(slot) = sent_date.as_deref_mut().filter(|s| s.is_none()) {
                *slot = sent_date_of(&value);
            }
        }
        fields.push(HeaderField {
            name: h.name.as_str().to_string(),
            value,
        });
    }
    fields
}

/// Collects the text of attachments and nested messages of one top-level message.
struct Walker<'a> {
    limits: &'a Limits,
    text: String,
    problems: &'a mut Vec<String>,
    too_deep: bool,
    full: bool,
}

impl Walker<'_> {
    /// Room left for attachment text of this message.
    fn room(&mut self) -> usize {
        let room = self
            .limits
            .max_message_output_bytes
            .saturating_sub(self.text.len());
        if room == 0 && !self.full {
            self.full = true;
            self.problems.push(format!(
                "truncated message: attachment text cut at {} bytes",
                self.limits.max_message_output_bytes
            ));
        }
        room.min(self.limits.max_output_bytes)
    }

    fn push(&mut self, s: &str) {
        let s = s.trim_end();
        if s.trim_start().is_empty() {
            return;
        }
        let room = self.room();
        let mut cut = s.len().min(room);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(&s[..cut]);
    }

    fn record(&mut self, format: Format, produced: Produced, max: usize) {
        self.push(&produced.text);
        if let Some(e) = produced.error {
            self.problems.push(e.to_string());
        }
        if produced.truncated {
            self.problems
                .push(format!("truncated {format}: text cut at {max} bytes"));
        }
    }

    fn attachments_of(&mut self, msg: &Message<'_>, depth: usize) {
        for &i in &msg.attachments {
            if let Some(part) = msg.parts.get(i as usize) {
                self.part(part, msg.raw_message.as_ref(), depth);
            }
        }
    }

    fn part(&mut self, part: &MessagePart<'_>, raw: &[u8], depth: usize) {
        let content_type = content_type_of(part);
        let content_type = content_type.as_str();
        let mut name = part.attachment_name().map(std::borrow::Cow::Borrowed);
        if name.as_deref().is_some_and(|n| n.contains('\u{FFFD}')) {
            if let Some(fixed) = rfc2231_name(part, raw) {
                name = Some(std::borrow::Cow::Owned(fixed));
            }
        }
        let name = name.as_deref();
        if let Some(name) = name {
            self.push(name);
        }
        let charset = part.content_type().and_then(|c| c.attribute("charset"));
        match &part.body {
            PartType::Message(nested) => self.nested(nested, depth + 1),
            PartType::Text(t) => {
                let format = Format::detect(content_type, name, t.as_bytes());
                if format == Format::Message {
                    self.nested_raw(t.as_bytes(), depth + 1);
                } else {
                    let max = self.room();
                    let produced = extract_text_as(format, t, self.limits, max);
                    self.record(format, produced, max);
                }
            }
            PartType::Html(h) => {
                let max = self.room();
                let produced = extract_text_as(Format::Html, h, self.limits, max);
                self.record(Format::Html, produced, max);
            }
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                let format = Format::detect(content_type, name, b);
                if format == Format::Message {
                    self.nested_raw(b, depth + 1);
                } else if format != Format::Binary {
                    let max = self.room();
                    let produced = extract_as(format, charset, b, self.limits, max);
                    self.record(format, produced, max);
                }
            }
            PartType::Multipart(_) => {}
        }
    }

    fn deep_enough(&mut self, depth: usize) -> bool {
        if depth > self.limits.max_depth {
            if !self.too_deep {
                self.too_deep = true;
                self.problems.push(
                    ExtractError::TooDeep {
                        limit: self.limits.max_depth,
                    }
                    .to_string(),
                );
            }
            return true;
        }
        false
    }

    /// A nested message: its header lines, its body, its attachments.
    fn nested(&mut self, msg: &Message<'_>, depth: usize) {
        if self.deep_enough(depth) {
            return;
        }
        let Some(root) = msg.parts.first() else {
            return;
        };
        let mut block = String::new();
        for h in header_fields(root, msg.raw_message.as_ref(), None) {
            block.push_str(&h.name);
            block.push_str(": ");
            block.push_str(&h.value);
            block.push('\n');
        }
        self.push(&block);
        let mut body = String::new();
        body_text(msg, self.limits, &mut body, self.problems);
        self.push(&body);
        self.attachments_of(msg, depth);
    }

    /// A message attached as bytes (an encoded message/rfc822, an `.eml` file).
    fn nested_raw(&mut self, raw: &[u8], depth: usize) {
        if self.deep_enough(depth) {
            return;
        }
        if raw.len() > self.limits.max_input_bytes {
            self.problems.push(
                ExtractError::TooLarge {
                    format: Format::Message,
                    size: raw.len(),
                    limit: self.limits.max_input_bytes,
                }
                .to_string(),
            );
            return;
        }
        match parser().parse(raw) {
            Some(msg) => {
                self.nested(&msg, depth);
                drop_flat(msg);
            }
            None => {
                let max = self.room();
                let mut sink = Sink::new(max);
                sink.push_str(&String::from_utf8_lossy(raw));
                self.record(Format::Message, Produced::from_sink(sink, None), max);
            }
        }
    }
}

/// The file name of a part from its raw `Content-Disposition` / `Content-Type` header, decoding
/// RFC 2231 continuations (`filename*0*=charset'lang'%xx; filename*1*=%xx`) as one byte string in
/// the charset of the first segment (mail-parser decodes each segment on its own, which breaks
/// multi-byte and non-UTF-8 names split across segments).
fn rfc2231_name(part: &MessagePart<'_>, raw: &[u8]) -> Option<String> {
    for wanted in [
        mail_parser::HeaderName::ContentDisposition,
        mail_parser::HeaderName::ContentType,
    ] {
        let Some(h) = part.headers.iter().find(|h| h.name == wanted) else {
            continue;
        };
        let text =
            String::from_utf8_lossy(raw.get(h.offset_start as usize..h.offset_end as usize)?)
                .replace(['\r', '\n'], "");
        let param = if wanted == mail_parser::HeaderName::ContentType {
            "name"
        } else {
            "filename"
        };
        let mut segments: Vec<(u32, bool, String)> = Vec::new();
        for p in text.split(';') {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let k = k.trim().to_ascii_lowercase();
            let Some(rest) = k.strip_prefix(param).and_then(|r| r.strip_prefix('*')) else {
                continue;
            };
            let (num, encoded) = match rest.strip_suffix('*') {
                Some(n) => (n, true),
                None => (rest, false),
            };
            let num: u32 = if num.is_empty() { 0 } else { num.parse().ok()? };
            segments.push((
                num,
                encoded || rest.is_empty(),
                v.trim().trim_matches('"').to_string(),
            ));
        }
        if segments.is_empty() {
            continue;
        }
        segments.sort_by_key(|s| s.0);
        let mut charset = "utf-8".to_string();
        let mut bytes = Vec::new();
        for (i, (_, encoded, value)) in segments.iter().enumerate() {
            let mut value = value.as_str();
            if i == 0 && *encoded {
                let mut it = value.splitn(3, '\'');
                if let (Some(cs), Some(_lang), Some(v)) = (it.next(), it.next(), it.next()) {
                    charset = cs.to_string();
                    value = v;
                }
            }
            if *encoded {
                let b = value.as_bytes();
                let mut j = 0;
                while j < b.len() {
                    let hex = (b[j] == b'%')
                        .then(|| b.get(j + 1..j + 3))
                        .flatten()
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match hex {
                        Some(v) => {
                            bytes.push(v);
                            j += 3;
                        }
                        None => {
                            bytes.push(b[j]);
                            j += 1;
                        }
                    }
                }
            } else {
                bytes.extend_from_slice(value.as_bytes());
            }
        }
        return Some(crate::extract::decode_text(&bytes, Some(&charset)).into_owned());
    }
    None
}

/// Drops a parsed message without recursion: nested messages are moved out of their parts onto
/// a heap stack first, so no drop goes deeper than one level.
fn drop_flat(msg: Message<'_>) {
    let mut stack = vec![msg];
    while let Some(mut m) = stack.pop() {
        for part in &mut m.parts {
            if let PartType::Message(_) = part.body {
                if let PartType::Message(inner) = std::mem::take(&mut part.body) {
                    stack.push(inner);
                }
            }
        }
    }
}

/// A header's raw value, unfolded (line breaks removed) and trimmed, decoded as UTF-8 (lossy).
fn raw_header_text(raw: &[u8], start: usize, end: usize) -> String {
    let bytes = raw.get(start..end.min(raw.len())).unwrap_or_default();
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c != '\r' && c != '\n' {
            out.push(c);
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A date ending in an obsolete zone of one or two letters ends its field (lines ending in a
    /// bare LF, as in most Maildirs): the next field and the body are read as they are, by the
    /// full parse and the body parse alike.
    #[test]
    fn short_zone_names_end_the_date_field() {
        let raw = b"Subject: s\nDate: Sun, 25 Aug 2002 16:50:54 UT\n\nOn Sat, 24 Aug 2002 11:07:00 -0700, John said:\n> Ran across a site which claimed\n\nBy then\n";
        let full = MessageContent::parse(raw);
        let body = MessageContent::parse_body_with(raw, &Limits::default());
        assert!(full.body.starts_with("On Sat, 24 Aug"), "{:?}", full.body);
        assert_eq!(full.body, body.body);
        assert_eq!(
            full.header_values("date").collect::<Vec<_>>(),
            ["Sun, 25 Aug 2002 16:50:54 UT"]
        );
        assert_eq!(full.headers.len(), 2, "{:?}", full.headers);
        let d = full.sent_date.expect("a sent date");
        assert_eq!((d.year, d.month, d.day), (2002, 8, 25));
        for zone in ["Z", "UT", "A"] {
            let raw = format!(
                "Date: Sun, 25 Aug 2002 16:50:54 {zone}\nFrom: Ann <ann@example.org>\nResent-Date: 1 Sep 2002 10:00 Z\nTo: bob@example.org\n\nhello\n"
            );
            let m = MessageContent::parse(raw.as_bytes());
            let names: Vec<&str> = m.headers.iter().map(|h| h.name.as_str()).collect();
            assert_eq!(names, ["Date", "From", "Resent-Date", "To"], "zone {zone}");
            assert_eq!(
                m.header_values("from").next(),
                Some("Ann <ann@example.org>")
            );
            assert_eq!(m.body.trim_end(), "hello");
            assert_eq!(
                MessageContent::parse_headers(raw.as_bytes()).headers,
                m.headers
            );
        }
    }

    #[test]
    fn decodes_encoded_words_and_unfolds() {
        let raw = b"From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>\r\nSubject: a\r\n long subject\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n\r\nbody\r\n";
        let m = MessageContent::parse(raw);
        assert_eq!(
            m.header_values("FROM").next().unwrap(),
            "André Pirard <PIRARD@vm1.ulg.ac.be>"
        );
        assert_eq!(m.header_values("subject").next().unwrap(), "a long subject");
        assert_eq!(
            m.sent_date,
            Some(SentDate {
                year: 2003,
                month: 7,
                day: 1
            })
        );
        assert!(m.header_block().contains("Subject: a long subject\n"));
    }

    #[test]
    fn html_only_message_becomes_text() {
        let raw =
            b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>bold</b> &amp; world</p>";
        let m = MessageContent::parse(raw);
        assert!(m.body.contains("bold"), "{:?}", m.body);
        assert!(!m.body.contains("<b>"));
    }

    #[test]
    fn garbage_never_fails() {
        for raw in [
            &b""[..],
            b"\xff\xfe\x00",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
        ] {
            let _ = MessageContent::parse(raw);
        }
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
