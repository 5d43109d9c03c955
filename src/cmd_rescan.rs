//! `mailfts rescan`.

use std::process::ExitCode;

use mailfts_indexer::rescan::{rescan, RescanOptions, RescanStats};

use crate::cli::RescanArgs;
use crate::home::Home;
use crate::progress::Bar;

/// Runs a rescan and prints its summary.
pub fn run(a: &RescanArgs) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let store = home.store()?;
    let index = home.index_for_writing()?;
    let bar = Bar::new("indexing");
    let opts = RescanOptions {
        mailbox: a.mailbox.clone(),
        batch_messages: a.batch.max(1),
        stop_after: a.stop_after,
        ..RescanOptions::default()
    };
    let stats = rescan(&index, &store, &opts, &bar)?;
    bar.finish();
    print_stats(&stats, a.json);
    Ok(ExitCode::SUCCESS)
}

/// Prints a rescan summary, plain or JSON.
pub fn print_stats(stats: &RescanStats, json: bool) {
    if json {
        println!("{}", serde_json::to_string(stats).expect("stats serialize"));
    } else {
        println!(
            "added {}, removed {}, failed {}, {:.2} s, {:.0} msg/s, {:.1} MB/s",
            stats.added,
            stats.removed,
            stats.failed,
            stats.seconds,
            stats.msg_per_sec,
            stats.mb_per_sec
        );
        if !stats.problems.is_empty() {
            let list: Vec<String> = stats
                .problems
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            println!(
                "decoding problems (messages still indexed): {}",
                list.join(", ")
            );
        }
    }
}
