//! The one error type of the crate: why an attachment (or part of it) could not be extracted.

use std::fmt;

/// What kind of content an attachment holds, as decided by [`crate::Format::detect`].
///
/// The name ([`Format::name`]) is stable: it is the `<format>` in problem strings
/// (`extract pdf: …`) and the key under which failures are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// Plain text in some charset (text/plain, patches, logs, source files).
    Text,
    /// HTML or XHTML.
    Html,
    /// PDF.
    Pdf,
    /// Word 2007+ (OOXML).
    Docx,
    /// Excel 2007+ (OOXML).
    Xlsx,
    /// PowerPoint 2007+ (OOXML).
    Pptx,
    /// OpenDocument text.
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// OpenDocument presentation.
    Odp,
    /// iCalendar (text/calendar, `.ics`).
    Calendar,
    /// vCard (text/vcard, `.vcf`).
    VCard,
    /// Rich Text Format.
    Rtf,
    /// A mail message (message/rfc822, `.eml`).
    Message,
    /// Anything else (images, archives, signatures): no text is extracted, which is not an error.
    Binary,
}

impl Format {
    /// The short stable name: `text`, `html`, `pdf`, `docx`, … , `message`, `binary`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Pptx => "pptx",
            Format::Odt => "odt",
            Format::Ods => "ods",
            Format::Odp => "odp",
            Format::Calendar => "calendar",
            Format::VCard => "vcard",
            Format::Rtf => "rtf",
            Format::Message => "message",
            Format::Binary => "binary",
        }
    }

    /// True for the formats whose extractor runs in a worker process (third-party parsers of
    /// binary containers: PDF, OOXML, ODF); the others run in-process under `catch_unwind`.
    pub fn is_isolated(self) -> bool {
        matches!(
            self,
            Format::Pdf
                | Format::Docx
                | Format::Xlsx
                | Format::Pptx
                | Format::Odt
                | Format::Ods
                | Format::Odp
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an attachment, or part of it, could not be extracted. Whatever was extracted before the
/// error is kept; the message is always indexed.
///
/// Every message starts with `extract <format>:` so that problems can be counted per format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The attachment is larger than [`crate::Limits::max_input_bytes`]; only its name is indexed.
    #[error("extract {format}: {size} bytes is over the input limit of {limit} bytes; skipped")]
    TooLarge {
        /// Detected format.
        format: Format,
        /// Size of the decoded attachment.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The extractor did not finish within [`crate::Limits::timeout`] and was killed.
    #[error("extract {format}: no result within {millis} ms; worker killed")]
    TimedOut {
        /// Detected format.
        format: Format,
        /// The time limit in milliseconds.
        millis: u64,
    },
    /// The extractor panicked (the panic was caught).
    #[error("extract {format}: extractor panicked: {message}")]
    Panicked {
        /// Detected format.
        format: Format,
        /// The panic message.
        message: String,
    },
    /// The worker process died: stack overflow, memory limit, abort.
    #[error("extract {format}: worker died: {reason}")]
    WorkerDied {
        /// Detected format.
        format: Format,
        /// Signal or exit status.
        reason: String,
    },
    /// The worker process could not be started (no fork, no socket).
    #[error("extract {format}: no worker: {reason}")]
    NoWorker {
        /// Detected format.
        format: Format,
        /// The OS error.
        reason: String,
    },
    /// An archive inflates to more than [`crate::Limits::max_inflated_bytes`] (a zip bomb).
    #[error("extract {format}: inflates to more than {limit} bytes; stopped there")]
    Inflated {
        /// Detected format.
        format: Format,
        /// The limit.
        limit: u64,
    },
    /// The content is not a valid document of its format.
    #[error("extract {format}: malformed: {reason}")]
    Malformed {
        /// Detected format.
        format: Format,
        /// What the parser said.
        reason: String,
    },
    /// Nested messages go deeper than [`crate::Limits::max_depth`]; deeper levels are skipped.
    #[error("extract message: nested deeper than {limit} levels; deeper messages skipped")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
}

impl ExtractError {
    /// The format the error belongs to (the key failures are counted under).
    pub fn format(&self) -> Format {
        match self {
            ExtractError::TooLarge { format, .. }
            | ExtractError::TimedOut { format, .. }
            | ExtractError::Panicked { format, .. }
            | ExtractError::WorkerDied { format, .. }
            | ExtractError::NoWorker { format, .. }
            | ExtractError::Inflated { format, .. }
            | ExtractError::Malformed { format, .. } => *format,
            ExtractError::TooDeep { .. } => Format::Message,
        }
    }

    pub(crate) fn malformed(format: Format, reason: impl fmt::Display) -> Self {
        ExtractError::Malformed {
            format,
            reason: reason.to_string(),
        }
    }
}

/// The format name of a problem string written by this crate (`extract pdf: …` → `pdf`), for
/// counting extraction failures per format. `None` for other problems.
pub fn failure_format(problem: &str) -> Option<&str> {
    let rest = problem.strip_prefix("extract ")?;
    let (name, _) = rest.split_once(':')?;
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase())).then_some(name)
}
