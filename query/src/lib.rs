//! The query side of mailfts: IMAP SEARCH programs as data ([`ast`]), their parser ([`parse`]), the
//! exact evaluator that defines what every search must answer ([`eval`]), and the engine that gets
//! that answer fast ([`exec`], with [`textplan`] turning strings into index lookups).
//!
//! How the pieces fit: a program is parsed (or converted from the IMAP server's own parse) into a
//! [`SearchKey`] tree. [`exec::Engine`] syncs the mailbox from the store, then plans every key over
//! the *indexed range* of the mailbox: the store answers flags, keywords and UID/sequence sets; index
//! fast fields answer dates and sizes; header columns answer SUBJECT/FROM/TO/CC/BCC by substring;
//! tantivy answers BODY/TEXT words exactly and phrases as candidates. Candidates, and the messages
//! delivered since the last indexing (the tail), go through the exact evaluator on the message file.
//! With no usable index the evaluator runs over every message ([`exec::scan`]), which is also the
//! oracle that the tests compare every indexed answer with.
//!
//! The engine (`exec`, `textplan`, `SearchError`) is the default feature `engine`; without it the
//! crate is the grammar, the AST and the evaluator, with no tantivy in the build. Case folding and
//! civil dates come from the leaf crate `mailfts-mailtext`, the same the indexer uses.
//!
//! ```
//! use mailfts_query::{compile, parse_program, MailboxContext, MessageMeta, MessageContent};
//! let program = parse_program("CHARSET UTF-8 UNSEEN OR SUBJECT straße FROM \"Bob\"").unwrap();
//! let key = compile(&program.key);
//! let mut content = MessageContent::parse(b"Subject: STRASSE\r\nFrom: a@b\r\n\r\nhi\r\n");
//! let meta = MessageMeta { uid: 1, seq: 1, ..Default::default() };
//! assert!(key.evaluate(&meta, &MailboxContext { max_uid: 1, max_seq: 1 }, &mut content));
//! assert_eq!(program.to_string(), "CHARSET UTF-8 UNSEEN OR SUBJECT \"straße\" FROM \"Bob\"");
//! ```
#![deny(missing_docs)]

pub mod ast;
pub mod eval;
pub mod parse;

#[cfg(feature = "engine")]
mod error;
#[cfg(feature = "engine")]
pub mod exec;
#[cfg(feature = "engine")]
pub mod textplan;

pub use ast::{ImapDate, SearchKey, SearchProgram, SeqBound, SeqRange, SequenceSet};
#[cfg(feature = "engine")]
pub use error::SearchError;
pub use eval::{
    compile, evaluate, needs_content, CompiledKey, ContentSource, LazyContent, MailboxContext,
    MessageMeta, Needle, NoContent,
};
pub use mailfts_extractors::MessageContent;
pub use parse::{
    parse_key, parse_program, ParseError, ParseErrorKind, MAX_DEPTH, SUPPORTED_CHARSETS,
};
