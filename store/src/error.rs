//! The one error type of the crate.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in the mail store.
///
/// Every variant names the mailbox or the path it concerns, so a message in a log or an IMAP `NO` response
/// tells the admin where to look. Corrupt UID lists are not errors: they are rebuilt and reported as
/// [`crate::StoreEvent::UidValidityChanged`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file system operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`"read"`, `"rename"`, ...).
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The mailbox name cannot be used (empty, path separators, `..`, control characters, ...).
    #[error("invalid mailbox name {name:?}: {reason}")]
    InvalidMailboxName {
        /// The name as given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// No mailbox of that name exists.
    #[error("mailbox {name:?} does not exist")]
    MailboxNotFound {
        /// The mailbox name.
        name: String,
    },
    /// A mailbox of that name already exists.
    #[error("mailbox {name:?} already exists")]
    MailboxExists {
        /// The mailbox name.
        name: String,
    },
    /// The mailbox directory is a symbolic link that leads outside the Maildir root.
    #[error("mailbox {name:?} resolves outside the Maildir root ({path})")]
    OutsideRoot {
        /// The mailbox name.
        name: String,
        /// Where the link leads.
        path: PathBuf,
    },
    /// No message with that UID exists (any more) in the mailbox.
    #[error("mailbox {mailbox:?} has no message with UID {uid}")]
    UidNotFound {
        /// The mailbox name.
        mailbox: String,
        /// The UID asked for.
        uid: u32,
    },
    /// A keyword that cannot be stored (not an IMAP atom).
    #[error("invalid keyword {keyword:?} in mailbox {mailbox:?}: {reason}")]
    InvalidKeyword {
        /// The mailbox name.
        mailbox: String,
        /// The keyword as given.
        keyword: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// All 26 keyword letters of the mailbox are taken.
    #[error("mailbox {mailbox:?} has no free keyword letter for {keyword:?} (Maildir allows 26)")]
    TooManyKeywords {
        /// The mailbox name.
        mailbox: String,
        /// The keyword that did not fit.
        keyword: String,
    },
    /// The operation is not implemented for this mailbox.
    #[error("{operation} is not supported for mailbox {mailbox:?}")]
    NotSupported {
        /// The operation (`"rename INBOX"`, ...).
        operation: &'static str,
        /// The mailbox name.
        mailbox: String,
    },
}

/// The result type of the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Wraps an I/O error with the operation and path it concerns.
    pub(crate) fn io<'a>(
        op: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(io::Error) -> StoreError + 'a {
        move |source| StoreError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A refused mailbox name.
    pub(crate) fn invalid_name(name: &str, reason: &'static str) -> StoreError {
        StoreError::InvalidMailboxName {
            name: name.to_owned(),
            reason,
        }
    }

    /// True when the error is an I/O "not found" (a file vanished under us).
    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}
