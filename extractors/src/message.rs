//! The decoded view of one message: headers (RFC 2047 decoded, unfolded) and body text.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};

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

/// Days since 1970-01-01 for a proleptic Gregorian calendar date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Everything of a message that IMAP SEARCH and the index look at, decoded to UTF-8.
#[derive(Clone, Debug, Default)]
pub struct MessageContent {
    /// Top-level header fields in message order.
    pub headers: Vec<HeaderField>,
    /// The decoded text of the body parts (text/plain, HTML converted to text), parts joined by `\n`.
    pub body: String,
    /// Text extracted from attachments (and nested messages), parts joined by `\n`.
    pub attachments: String,
    /// The `Date:` header's calendar date, when it could be parsed.
    pub sent_date: Option<SentDate>,
    /// Problems met while decoding (broken MIME, unknown charset, …); the message is still usable.
    pub problems: Vec<String>,
}

impl MessageContent {
    /// Parses raw RFC 5322 bytes. Never fails; see [`MessageContent::problems`].
    pub fn parse(raw: &[u8]) -> MessageContent {
        let parser = MessageParser::new()
            .with_mime_headers()
            .with_date_headers()
            .default_header_text();
        let Some(msg) = parser.parse(raw) else {
            return MessageContent {
                body: String::from_utf8_lossy(raw).into_owned(),
                problems: vec!["not a parsable message; indexed as plain text".into()],
                ..Default::default()
            };
        };
        let mut out = MessageContent::default();
        let root = msg.root_part();
        for h in &root.headers {
            let value = match &h.value {
                HeaderValue::Text(t) => t.trim().to_string(),
                HeaderValue::TextList(l) => l.join(" "),
                HeaderValue::DateTime(_) | HeaderValue::ContentType(_) | HeaderValue::Empty => {
                    raw_header_text(raw, h.offset_start as usize, h.offset_end as usize)
                }
                other => format!("{other:?}"),
            };
            if h.name == mail_parser::HeaderName::Date && out.sent_date.is_none() {
                if let HeaderValue::DateTime(dt) = &h.value {
                    if dt.is_valid() {
                        out.sent_date = Some(SentDate {
                            year: dt.year as i32,
                            month: dt.month as u32,
                            day: dt.day as u32,
                        });
                    }
                }
            }
            out.headers.push(HeaderField {
                name: h.name.as_str().to_string(),
                value,
            });
        }
        for i in 0..msg.text_body_count() {
            if let Some(text) = msg.body_text(i) {
                if !out.body.is_empty() {
                    out.body.push('\n');
                }
                out.body.push_str(&text);
            }
        }
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
