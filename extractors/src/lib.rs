//! Turns raw mail into the text that mailfts indexes and that IMAP SEARCH matches against.
//!
//! [`MessageContent::parse`] never fails: broken MIME, unknown charsets and truncated messages yield
//! whatever could be read, and the problems are listed in [`MessageContent::problems`]. The indexer
//! and the query engine's exact evaluator both read messages through this one function, so the index
//! and the linear scan always see the same text.
//!
//! ```
//! use mailfts_extractors::MessageContent;
//! let raw = b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nFrom: Alice <alice@example.org>\r\n\r\nHello world\r\n";
//! let msg = MessageContent::parse(raw);
//! assert_eq!(msg.header_values("subject").next(), Some("Grüße"));
//! assert!(msg.body.contains("Hello world"));
//! ```
#![deny(missing_docs)]

mod message;

pub use message::{days_from_civil, HeaderField, MessageContent, SentDate};
