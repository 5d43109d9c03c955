//! The IMAP server of mailfts: IMAP4rev1 (RFC 3501) over the Maildir store, with SEARCH, SORT and
//! THREAD answered through the query engine.
//!
//! A connection is driven by an async task ([`server`]) that frames commands (lines, synchronizing
//! and non-synchronizing literals, size limits checked *before* a literal is read), parses them with
//! `imap-codec` and hands each one to a synchronous [`session::Session`] on a blocking thread: the
//! store, the index and the query engine are synchronous and file-bound. The session keeps the
//! client's view of the selected mailbox (sequence numbers ↔ UIDs, flags) and turns the store's
//! changes into untagged `EXISTS`, `EXPUNGE` and `FETCH` responses where RFC 3501 §7.4.1 allows them.
//!
//! * SEARCH: the parsed criteria are converted ([`convert`]) into [`mailfts_query::SearchKey`] and
//!   answered by [`mailfts_query::exec::Engine`] (index + verification + scan of the unindexed
//!   tail). Sequence numbers are turned into UIDs of the session's view first, so the answer is the
//!   client's, not the store's latest. `SEARCH RETURN (...)` (ESEARCH, RFC 4731) is taken off the
//!   command before `imap-codec` parses the rest ([`esearch`]).
//! * SORT and THREAD (RFC 5256): the search gives the UIDs, sort keys come from a per-mailbox
//!   in-memory cache ([`sortcache`], one budget for the process) filled from the message headers
//!   and updated as mail arrives; [`sort`] orders and threads.
//! * Writes (APPEND, COPY, MOVE, EXPUNGE, STORE) go through the store, then to the [`SaveHooks`];
//!   [`DirectIndexing`] indexes the changed mailbox on a background thread. The Maildir is the
//!   truth: a failed indexing run never fails the client's command, and searches scan what the
//!   index has not caught up with.
//! * Users come from a Dovecot-style passwd file ([`auth`]); mail and index are where the
//!   [`HomeLayout`] says (`HOME/Maildir` and `HOME/mailfts` by default). Open homes are kept in a
//!   bounded [`homes::HomeRegistry`], which `mailfts serve` shares with its gRPC API and watcher.
//!
//! ```no_run
//! use std::sync::Arc;
//! use mailfts_imap_glue::{serve, DirectIndexing, ImapConfig};
//!
//! # async fn run() -> Result<(), mailfts_imap_glue::ImapError> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:1143").await?;
//! let config = ImapConfig::new("/etc/mailfts/passwd");
//! // Loopback clients may log in without TLS (trusted_networks); others need STARTTLS.
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! serve(listener, Arc::new(config), Arc::new(DirectIndexing::new()), shutdown).await
//! # }
//! ```
#![deny(missing_docs)]

pub mod auth;
pub mod binary;
mod config;
pub mod context;
pub mod convert;
pub mod creds;
pub mod deep;
mod error;
pub mod esearch;
pub mod homes;
mod hooks;
mod limits;
pub mod listext;
pub mod mime;
pub mod multiappend;
pub mod net;
pub mod notify;
pub mod observer;
mod respond;
pub mod server;
pub mod session;
pub mod sort;
pub mod sortcache;
pub mod wire;

pub use config::{load_tls, ImapConfig, Limits};
pub use error::ImapError;
pub use homes::{Home, HomeRegistry};
pub use hooks::{DirectIndexing, HomeWriteLocks, NoHooks, SaveHooks};
pub use mailfts_indexer::layout::HomeLayout;
pub use net::Cidr;
pub use observer::{CommandStatus, ImapObserver};
pub use server::serve;
/// The shutdown signal of [`serve`] (re-exported so callers need no `tokio-util` dependency).
pub use tokio_util::sync::CancellationToken;
