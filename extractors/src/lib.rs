//! Turns raw mail into the text that mailfts indexes and that IMAP SEARCH matches against.
//!
//! [`MessageContent::parse`] is the one function through which the indexer and the query
//! engine's exact evaluator read a message, so the index and the linear scan always see the same
//! text. (Changing the text it produces for a message therefore requires bumping
//! `mailfts_indexer::schema::SCHEMA_VERSION`, so that existing indexes are rebuilt.) It never fails: broken MIME, unknown charsets and truncated messages yield whatever
//! could be read, and the problems are listed in [`MessageContent::problems`].
//!
//! A message becomes headers (RFC 2047 decoded), a **body** — the text parts, with HTML turned
//! into text by our lol_html converter — and **attachments**: the text of every attachment and
//! nested message, and every attachment's file name (RFC 2231 and RFC 2047 decoded). Attachments
//! are told apart by magic bytes, declared type and file name ([`Format::detect`]) and extracted
//! by format ([`extract`] is the same path for one attachment):
//!
//! | format | how |
//! |---|---|
//! | text/* in any charset | decoded by the MIME parser; broken charsets fall back to Latin-1 |
//! | HTML, XHTML | lol_html: script, style and comments dropped, entities decoded, `alt` kept |
//! | PDF | pdf-extract, in a worker process |
//! | DOCX, XLSX, PPTX, ODT, ODS, ODP | zip + quick-xml, streamed, in a worker process |
//! | iCalendar, vCard | summary, description, location, people, addresses |
//! | RTF | control words interpreted, destinations that are not text dropped |
//! | message/rfc822, `.eml` | header lines, body and attachments, to [`Limits::max_depth`] |
//!
//! **Limits and isolation.** Every extraction runs under [`Limits`]: input size, output size (per
//! attachment and per message), inflated size of archives, wall time, worker memory, nesting
//! depth. Third-party parsers of untrusted binary formats run in a small pool of long-lived,
//! pre-forked worker processes, each job under its own limits (see `isolate.rs` for the
//! design and the reasons), so a panic, a hang, a runaway allocation or a stack overflow costs
//! one attachment and never the caller. A failure becomes a problem string that
//! starts with `extract <format>:` (counted per format with [`failure_format`]); the rest of the
//! message is still extracted.
//!
//! ```
//! use mailfts_extractors::MessageContent;
//! let raw = b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nFrom: Alice <alice@example.org>\r\n\
//! Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n\
//! <p>Hello&nbsp;<b>world</b></p>\r\n--b\r\nContent-Type: text/plain; name=notes.txt\r\n\
//! Content-Disposition: attachment; filename*=utf-8''caf%C3%A9.txt\r\n\r\nattached words\r\n--b--\r\n";
//! let msg = MessageContent::parse(raw);
//! assert_eq!(msg.header_values("subject").next(), Some("Grüße"));
//! assert_eq!(msg.body, "Hello world");
//! assert_eq!(msg.attachments, "café.txt\nattached words");
//! assert!(msg.problems.is_empty());
//! ```
#![deny(missing_docs)]

mod calendar;
mod entities;
mod error;
mod extract;
mod format;
mod html;
mod isolate;
mod limits;
mod message;
mod office;
mod pdf;
mod rtf;
mod sink;

pub use error::{failure_format, ExtractError, Format};
pub use extract::{extract, Extracted};
pub use html::decode_entities;
pub use limits::{Isolation, Limits};
pub use message::{days_from_civil, HeaderField, MessageContent, SentDate};
