//! `mailfts check`: verify a home's index (checksums, header columns, counts, samples).

use std::process::ExitCode;

use mailfts_indexer::check::{check, CheckOptions};

use crate::cli::CheckArgs;
use crate::home::Home;

/// Runs the full check and prints what is wrong, each problem with its file or mailbox. Exit 0:
/// clean (or no index yet); 1: damaged (the next `mailfts rescan` rebuilds the index); 2: the
/// check could not run (no Maildir).
pub fn run(a: &CheckArgs) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let store = home.store()?;
    let report = check(&home.index, Some(&store), &CheckOptions::default());
    if !report.is_clean() {
        // later searches scan without re-detecting it; the next rescan rebuilds
        mailfts_indexer::marker::mark_damaged(&home.index, &report.summary());
    }
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else if !report.present {
        println!(
            "no index at {} (run `mailfts rescan` to create it)",
            home.index.display()
        );
    } else if report.is_clean() {
        println!(
            "index ok: {} files, {:.1} MB verified, {} mailboxes counted, {} documents sampled",
            report.files_checked,
            report.bytes_verified as f64 / 1e6,
            report.mailboxes_checked,
            report.documents_sampled
        );
    } else {
        println!(
            "index DAMAGED at {}: {} problems",
            home.index.display(),
            report.problems.len()
        );
        for p in &report.problems {
            println!("  {p}");
        }
        println!("searches answer by the linear scan until `mailfts rescan` rebuilds the index");
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
