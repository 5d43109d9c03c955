//! What every layer of mailfts needs to agree on, and nothing heavy: case folding and tokenizing
//! ([`text`]: the one definition shared by the index and the exact evaluator) and civil dates
//! ([`civil`]: the proleptic Gregorian calendar ↔ days since 1970-01-01).
//!
//! A leaf crate (its one dependency is `caseless`), so the IMAP SEARCH grammar, the message parser,
//! the indexer and the corpus generator use the same rules without depending on each other.
//!
//! ```
//! use mailfts_mailtext::{civil, text};
//! assert_eq!(text::fold("STRASSE"), text::fold("straße"));
//! assert_eq!(civil::days_from_civil(2024, 2, 29), 19_782);
//! assert_eq!(civil::civil_from_days(19_782), (2024, 2, 29));
//! ```
#![deny(missing_docs)]

pub mod civil;
pub mod text;
