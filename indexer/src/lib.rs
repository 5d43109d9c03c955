//! The per-home index of mailfts.
//!
//! One tantivy index per home (`<home>/mailfts/` by default) holds one document per message: the
//! mailbox id and UID, dates and size as fast fields, and the decoded header block, body text and
//! attachment text as word fields that keep document ids only (no positions, no frequencies: the
//! document builder lists each field's distinct words once, see [`tokenizer::WordListTokenizer`]),
//! with pairs of frequent words ([`pairs`]) and words joined by `_` ([`joined`]) beside them. No
//! message text is stored: the Maildir has it. Beside it, *header columns* hold the case-folded values of the headers that IMAP searches
//! by substring (SUBJECT, FROM, TO, CC, BCC, Message-ID), scanned with `memmem` for exact answers.
//!
//! The commit payload carries [`meta::IndexMeta`]: the schema version (another version is rebuilt,
//! never misread) and per mailbox its id, UIDVALIDITY and *high-water mark*, the UID up to which
//! every message is indexed. Searches scan the tail above it, so answers are never stale.
//!
//! Modules: [`text`] (folding and tokens, shared with the query engine), [`tokenizer`] (tantivy
//! adapter), [`schema`], [`meta`], [`columns`], [`document`] (message → document), [`home`] (opening,
//! rebuilding, snapshots), [`layout`] (where a home keeps its mail and index), [`directory`] (how tantivy reads the files), [`rescan`] (store →
//! index), [`check`] (integrity checks), [`marker`] (damage and rescan-in-progress markers),
//! [`repair`] (check, then rebuild a damaged index).
//!
//! ```no_run
//! use mailfts_indexer::{home::HomeIndex, rescan::{rescan, RescanOptions, NoProgress}};
//! let store = mailfts_store::Store::open(std::path::Path::new("/home/alice/Maildir")).unwrap();
//! let index = HomeIndex::open_or_create(std::path::Path::new("/home/alice/mailfts")).unwrap();
//! let stats = rescan(&index, &store, &RescanOptions::default(), &NoProgress).unwrap();
//! println!("added {}, removed {}", stats.added, stats.removed);
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod column_cache;
pub mod columns;
pub mod directory;
pub mod document;
mod error;
pub mod grams;
pub mod home;
pub mod joined;
pub mod layout;
pub mod lockinfo;
pub mod marker;
pub mod memory;
pub mod meta;
pub mod pairs;
pub mod repair;
pub mod rescan;
pub mod schema;
pub mod terms;
pub mod termset;
/// Case folding and tokens: [`mailfts_mailtext::text`], re-exported where it always was.
pub use mailfts_mailtext::text;
pub mod tokenizer;

pub use error::{IndexError, Result};
