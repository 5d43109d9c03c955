//! `mailfts`: full-text search for Maildir homes.
//!
//! The binary is not thin: besides the command line (`cli.rs`, one `cmd_*.rs` module per
//! subcommand, with its progress and output) it holds the daemon `mailfts serve` (`daemon/`: the
//! indexing workers and their queue, the watcher, the gRPC service, the IMAP listeners, the Solr
//! endpoint for Dovecot, the metrics endpoint, the cache of open homes) and its client
//! (`daemon_client.rs`). The mail store, text extraction, the index, the query engine and the IMAP
//! protocol live in the crates (`mailfts-store`, `mailfts-extractors`, `mailfts-indexer`,
//! `mailfts-query`, `mailfts-imap-glue`; `mailfts-corpora` generates homes). See ARCHITECTURE.md.
//!
//! The entry point is the C `main` (below), not Rust's: see [`main`].

// the unit tests of this crate keep the test harness's own `main`
#![cfg_attr(not(test), no_main)]

mod cli;
mod cmd_bench;
mod cmd_check;
mod cmd_corpus;
mod cmd_demo;
mod cmd_hook;
mod cmd_imap;
mod cmd_rescan;
mod cmd_search;
mod cmd_serve;
mod cmd_status;
mod cmd_user;
mod daemon;
mod daemon_client;
mod home;
mod limits;
mod progress;
mod queryset;

/// The process's entry point, called by the C runtime with the arguments (which `std::env::args`
/// reads from the C runtime as usual).
///
/// Rust's own start-up is skipped: for the main thread's stack-overflow message it reads
/// `/proc/self/maps` and installs an alternate signal stack, 0.1 ms of a 2 ms cold
/// `mailfts search` (docs/BENCHMARKS.md, issue 13). What else it does is done here: SIGPIPE is
/// ignored (a closed socket or pipe is an error to handle, not a signal that kills the daemon),
/// standard output is flushed at the end, and a panic ends the process with status 101 after the
/// panic hook has printed it. A stack overflow ends it with SIGSEGV, without the message.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: changes one signal's disposition before any other thread exists
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    // large buffers (the index writer's, merges', listings) go back to the system when freed
    mailfts_indexer::memory::map_large_blocks();
    let code = std::panic::catch_unwind(run).unwrap_or(101);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    code
}

/// Parses the command line and runs the subcommand; the exit status.
#[cfg_attr(test, allow(dead_code))]
fn run() -> libc::c_int {
    let code = run_command();
    // `ExitCode` does not give its number back; every status here is one of these
    (0..=u8::MAX)
        .find(|&n| std::process::ExitCode::from(n) == code)
        .map_or(1, libc::c_int::from)
}

fn run_command() -> std::process::ExitCode {
    let cli = cli::Cli::parse_args();
    init_logging(cli.verbose);
    let result = match cli.command {
        cli::Command::Rescan(a) => cmd_rescan::run(&a),
        cli::Command::Status(a) => cmd_status::run(&a),
        cli::Command::Check(a) => cmd_check::run(&a),
        cli::Command::Search(a) => cmd_search::run(&a),
        cli::Command::Demo(a) => cmd_demo::run(&a),
        cli::Command::Bench(a) => cmd_bench::run(&a),
        cli::Command::Corpus(c) => cmd_corpus::run(&c),
        cli::Command::Serve(a) => cmd_serve::run(&a),
        cli::Command::Hook(c) => cmd_hook::run(&c),
        cli::Command::Imap(a) => cmd_imap::run(&a),
        cli::Command::User(c) => cmd_user::run(&c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mailfts: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MAILFTS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
