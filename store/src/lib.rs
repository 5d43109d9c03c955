//! Maildir mail store (work in progress).
pub mod flags;
pub use flags::Flags;
