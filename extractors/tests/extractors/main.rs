//! Integration tests of the extractors: every format, the isolation guarantees, golden files.

mod formats;
mod golden;
mod isolation;
