//! Progress display of long jobs: a bar on a terminal, nothing otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use mailfts_indexer::rescan::Progress;

/// A rescan progress bar (hidden when stderr is not a terminal).
pub struct Bar(ProgressBar);

impl Bar {
    /// A new bar, hidden unless stderr is a terminal.
    pub fn new(what: &str) -> Bar {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Bar(bar)
    }

    /// Sets the total count.
    pub fn set_len(&self, n: u64) {
        self.0.set_length(n);
    }

    /// Sets the position.
    pub fn set_position(&self, n: u64) {
        self.0.set_position(n);
    }

    /// Sets the text before the bar.
    pub fn set_message(&self, what: String) {
        self.0.set_message(what);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bar {
    fn add_total(&self, messages: u64) {
        self.0.inc_length(messages);
    }

    fn advance(&self, messages: u64, _bytes: u64) {
        self.0.inc(messages);
    }
}
