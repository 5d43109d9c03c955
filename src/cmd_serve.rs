//! `mailfts serve`: see [`crate::daemon`].

use std::process::ExitCode;

pub use crate::daemon::config::ServeArgs;

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(a: &ServeArgs) -> anyhow::Result<ExitCode> {
    crate::limits::raise_open_files();
    crate::daemon::run(a)
}
