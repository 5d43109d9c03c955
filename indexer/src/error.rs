//! The indexer's error type.

use std::path::PathBuf;

/// Everything that can go wrong while opening, writing or reading a home's index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// A tantivy operation failed.
    #[error("index at {path}: {source}")]
    Tantivy {
        /// The index directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: tantivy::TantivyError,
    },
    /// Another process holds the index writer lock.
    #[error("index at {path} is locked by another writer (is `mailfts serve` or another rescan running?)")]
    Locked {
        /// The index directory.
        path: PathBuf,
    },
    /// A file of the index could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The mail store failed.
    #[error(transparent)]
    Store(#[from] mailfts_store::StoreError),
    /// A file of the index is damaged (checksum, structure, missing file), or the index is marked
    /// damaged (see [`crate::marker`]): searches scan, the next rescan rebuilds it.
    #[error("index at {path} is damaged: {reason}")]
    Damaged {
        /// The index directory or the damaged file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The commit payload could not be decoded.
    #[error("index at {path}: unreadable metadata: {message}")]
    BadMeta {
        /// The index directory.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

/// Result alias of the indexer.
pub type Result<T> = std::result::Result<T, IndexError>;

pub(crate) trait IoContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

pub(crate) trait TantivyContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> TantivyContext<T> for tantivy::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| match source {
            tantivy::TantivyError::LockFailure(..) => IndexError::Locked {
                path: path.to_path_buf(),
            },
            source => IndexError::Tantivy {
                path: path.to_path_buf(),
                source,
            },
        })
    }
}
