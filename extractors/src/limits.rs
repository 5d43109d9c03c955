//! Limits every extraction runs under.

use std::time::Duration;

/// How the extractors of untrusted binary formats ([`crate::Format::is_isolated`]) are run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Isolation {
    /// In one of a small pool of long-lived worker processes (forked by the caller on first
    /// use, recycled regularly), with an address-space limit, a CPU limit and a deadline per
    /// job (unix; the default there). A panic, a hang, a runaway allocation or a stack overflow
    /// costs that job and the worker, never the caller.
    Worker,
    /// In the calling thread under `catch_unwind` only: panics are caught, but a hang, a stack
    /// overflow or an allocation failure is not. The default where `fork` is not available;
    /// also used by benchmarks to measure the extractors alone.
    InProcess,
}

/// Bounds on the work done for one message and each of its attachments.
///
/// ```
/// use mailfts_extractors::{Limits, MessageContent};
/// let limits = Limits { max_depth: 2, ..Limits::default() };
/// let m = MessageContent::parse_with(b"Subject: hi\r\n\r\nbody\r\n", &limits);
/// assert_eq!(m.body.trim(), "body");
/// ```
#[derive(Clone, Debug)]
pub struct Limits {
    /// Attachments larger than this (decoded bytes) are not extracted; their names still are.
    pub max_input_bytes: usize,
    /// Text kept from one attachment; the rest is cut (the problem says so).
    pub max_output_bytes: usize,
    /// Text kept from all attachments of one message together.
    pub max_message_output_bytes: usize,
    /// Bytes an archive (OOXML, ODF) may inflate to, summed over the entries read.
    pub max_inflated_bytes: u64,
    /// Wall time for one isolated extraction; the worker is killed after it.
    pub timeout: Duration,
    /// Address space one job may allocate beyond the worker's size when it was forked (its
    /// copy of the caller's address space).
    pub max_worker_memory: u64,
    /// Nesting depth of message/rfc822 parts whose text is extracted; deeper ones are skipped.
    pub max_depth: usize,
    /// How untrusted binary formats are run.
    pub isolation: Isolation,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 64 << 20,
            max_output_bytes: 8 << 20,
            max_message_output_bytes: 32 << 20,
            max_inflated_bytes: 256 << 20,
            timeout: Duration::from_secs(10),
            max_worker_memory: 1 << 30,
            max_depth: 8,
            isolation: if cfg!(unix) {
                Isolation::Worker
            } else {
                Isolation::InProcess
            },
        }
    }
}
