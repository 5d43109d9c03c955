//! The query side of mailfts: IMAP SEARCH programs as data ([`ast`]), their parser ([`parse`]) and
//! the exact evaluator that defines what every search must answer ([`eval`]).
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

// planner and executor modules: see plan.rs / exec.rs (added by the lead)
mod error;
pub mod exec;
pub mod textplan;

pub use ast::{ImapDate, SearchKey, SearchProgram, SeqBound, SeqRange, SequenceSet};
pub use error::SearchError;
pub use eval::{
    compile, evaluate, needs_content, CompiledKey, ContentSource, LazyContent, MailboxContext,
    MessageMeta, Needle, NoContent,
};
pub use mailfts_extractors::MessageContent;
pub use parse::{
    parse_key, parse_program, ParseError, ParseErrorKind, MAX_DEPTH, SUPPORTED_CHARSETS,
};
