//! Deterministic generator of realistic Maildir mail homes.
//!
//! `mailfts-corpora` produces mail homes for tests (small corpora, many
//! seeds), for `mailfts demo` (a 20,000-message sample home) and for
//! benchmarks (up to millions of messages). Every message is a pure
//! function of `(seed, index)`: generation streams with memory that does
//! not depend on the message count, and any message can be regenerated on
//! its own. The random number generator and all distributions are
//! implemented here with integer arithmetic, so corpora are identical on
//! every platform.
//!
//! The messages are varied on purpose: senders with names in six languages
//! (RFC 2047 encoded in UTF-8, ISO-8859-1, KOI8-R, ...), threads with
//! `In-Reply-To`/`References` and quoted text, bodies in English, German,
//! French, Russian, Chinese and Japanese encoded in their legacy charsets,
//! quoted-printable and base64, HTML alternatives, attachments (text, and
//! PDF and DOCX invoices, contracts and reports in about 2% and 1.5% of the
//! messages), forwarded `message/rfc822` parts, code and patches, and about 1%
//! of deliberately malformed messages. [`fixture_messages`] adds small
//! hand-written edge cases; [`plant_pdf`] and [`plant_docx`] build documents
//! holding chosen words. [`tools`] lets a test that runs an external tool skip when it is
//! missing, and fail instead when `CI` is set.
//!
//! ```
//! use mailfts_corpora::{generate_message, write_maildir, CorpusSpec};
//!
//! let spec = CorpusSpec::new(42, 50);
//! let msg = generate_message(&spec, 7);
//! assert_eq!(msg.bytes, generate_message(&spec, 7).bytes);
//! assert!(msg.file_name.contains(".M7P1.gen:2,"));
//!
//! let home = std::env::temp_dir().join(format!("corpora-doctest-{}", std::process::id()));
//! let stats = write_maildir(&spec, &home, &mut |_done| {}).unwrap();
//! assert_eq!(stats.messages, 50);
//! // A second run is a no-op: existing files are skipped.
//! assert_eq!(write_maildir(&spec, &home, &mut |_| {}).unwrap().messages, 0);
//! std::fs::remove_dir_all(&home).unwrap();
//! ```

#![deny(missing_docs)]

mod body;
mod charset;
mod compose;
mod dates;
mod document;
mod docx;
mod encode;
mod envelope;
mod fixtures;
mod headers;
mod html;
mod maildir;
mod meta;
mod mime;
mod names;
mod ooxml;
mod parts;
mod pdf;
mod people;
mod rng;
pub mod samples;
mod snippets;
mod text;
mod thread;
pub mod tools;
mod vocab;

pub use fixtures::fixture_messages;
pub use maildir::{folder_dir, write_maildir, WriteStats};

/// What to generate: a seed, a message count and the mailboxes to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusSpec {
    /// Seed; different seeds give different corpora.
    pub seed: u64,
    /// Number of messages (indices `0..messages`).
    pub messages: usize,
    /// Mailbox names, `INBOX` first. Sent mail goes to a folder whose name
    /// contains "sent", list mail to one starting with "Lists" (or containing
    /// "list"), older mail partly to one containing "archive"; other folders
    /// receive a share of personal mail. Missing roles fall back to the first
    /// folder.
    pub folders: Vec<String>,
}

impl CorpusSpec {
    /// A spec with the default folders `INBOX`, `Sent`, `Archive` and `Lists.dev`.
    pub fn new(seed: u64, messages: usize) -> Self {
        CorpusSpec {
            seed,
            messages,
            folders: ["INBOX", "Sent", "Archive", "Lists.dev"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// One generated message and where it belongs in the Maildir.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedMessage {
    /// Mailbox name (one of [`CorpusSpec::folders`]).
    pub folder: String,
    /// Maildir file name `<internal_date>.M<index>P1.gen:2,<flags>`; unique,
    /// and sorting the names sorts the messages in generation order.
    pub file_name: String,
    /// Stored in `new/` (about 3%, always without flags) rather than `cur/`.
    pub in_new: bool,
    /// Delivery time in Unix seconds (IMAP INTERNALDATE, used as mtime);
    /// strictly increasing with the index.
    pub internal_date: i64,
    /// The raw message; lines end in `\n`.
    pub bytes: Vec<u8>,
}

/// A PDF 1.4 file holding `text`: one paragraph per non-empty line, wrapped
/// into as many pages as needed, in Helvetica (a standard Type1 font, not
/// embedded) with uncompressed content streams.
///
/// The text is stored in WinAnsiEncoding: Latin-1 and the WinAnsi extras
/// (`€`, `“`, `–`, ...) are kept, Cyrillic is transliterated (`Счёт` becomes
/// `Schet`) and other characters (CJK, ...) are dropped as if they were spaces.
/// Words are never split across lines, so every ASCII word of `text` comes
/// back from a PDF text extractor.
///
/// ```
/// let pdf = mailfts_corpora::plant_pdf("Quarterly figures\nThe zebracorn budget (draft)");
/// assert!(pdf.starts_with(b"%PDF-1.4"));
/// assert!(pdf.windows(13).any(|w| w == b"zebracorn bud"));
/// ```
pub fn plant_pdf(text: &str) -> Vec<u8> {
    pdf::write(&document::Document::plain(text))
}

/// A DOCX (Office Open XML) file holding `text`: one `<w:p>` paragraph per
/// non-empty line, each a single run, in `word/document.xml` (any Unicode).
/// The package is deflated with fixed timestamps: the same text always gives
/// the same bytes.
///
/// ```
/// let docx = mailfts_corpora::plant_docx("Grüße aus München\nzebracorn");
/// assert!(docx.starts_with(b"PK\x03\x04"));
/// assert_eq!(docx, mailfts_corpora::plant_docx("Grüße aus München\nzebracorn"));
/// ```
pub fn plant_docx(text: &str) -> Vec<u8> {
    docx::write(&document::Document::plain(text))
}

/// Generates message `index` of `spec`: a pure function of `(spec, index)`.
///
/// Only `spec.seed`, `spec.messages` (which spreads the dates over about
/// three years) and `spec.folders` are used; indices beyond `messages`
/// work too and continue the timeline.
pub fn generate_message(spec: &CorpusSpec, index: usize) -> GeneratedMessage {
    compose::generate(spec, index)
}
