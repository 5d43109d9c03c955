//! The one error type of the crate.

use std::path::PathBuf;

/// What can stop the server or its setup (per-command failures become IMAP `NO`/`BAD` responses
/// and are not errors of this type).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImapError {
    /// A socket operation failed (bind, accept).
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// A TLS certificate or key could not be loaded.
    #[error("TLS setup with {path}: {message}")]
    Tls {
        /// The PEM file concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The passwd file cannot be read or has a bad line.
    #[error("passwd file {path}: {message}")]
    Passwd {
        /// The passwd file.
        path: PathBuf,
        /// What went wrong (with the line number when it is about one line).
        message: String,
    },
}
