//! The query engine's error type.

/// Why a search could not be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The search program is not valid IMAP search syntax.
    #[error("bad search program: {0}")]
    Parse(#[from] crate::parse::ParseError),
    /// The mail store failed (unknown mailbox, unreadable uid list, …).
    #[error(transparent)]
    Store(#[from] mailfts_store::StoreError),
    /// The index failed while it was being read.
    #[error(transparent)]
    Index(#[from] mailfts_indexer::IndexError),
    /// A tantivy search failed.
    #[error("index search failed: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Reading an index file failed during a lookup.
    #[error("index read failed: {0}")]
    IndexIo(#[from] std::io::Error),
}
