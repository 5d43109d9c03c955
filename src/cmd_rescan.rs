//! `mailfts rescan`.

use std::process::ExitCode;

use mailfts_indexer::rescan::{rescan, RescanOptions, RescanStats};

use anyhow::bail;

use crate::cli::RescanArgs;
use crate::daemon::pb;
use crate::daemon_client;
use crate::home::Home;
use crate::progress::Bar;

/// Runs a rescan and prints its summary: through the daemon when one serves the home
/// (`--daemon`), else on the index itself; a locked index (the daemon holds the writer) is
/// explained and exits 2.
pub fn run(a: &RescanArgs) -> anyhow::Result<ExitCode> {
    let runtime = daemon_client::runtime()?;
    let daemon = runtime.block_on(daemon_client::find(&a.daemon, &a.home.home))?;
    if let Some(d) = daemon {
        let stats = runtime.block_on(through_daemon(a, d))?;
        print_stats(&stats, a.json);
        return Ok(ExitCode::SUCCESS);
    }
    drop(runtime);
    match run_local(a) {
        Err(e) => match daemon_client::locked_index(&e) {
            Some(index) => {
                eprintln!("{}", daemon_client::locked_message("rescan", &index));
                Ok(ExitCode::from(2))
            }
            None => Err(e),
        },
        ok => ok,
    }
}

/// The daemon's `Rescan` of the user, its progress on the bar; the totals in the local form
/// (the daemon reports degraded messages as a count, not by kind).
async fn through_daemon(
    a: &RescanArgs,
    mut d: daemon_client::Daemon,
) -> anyhow::Result<RescanStats> {
    use pb::rescan_progress::State;
    let req = d.request(pb::RescanRequest {
        user: d.user.clone(),
        all_users: false,
        mailbox: a.mailbox.clone().unwrap_or_default(),
    })?;
    let mut stream = d
        .client
        .rescan(req)
        .await
        .map_err(|s| daemon_client::status_error("Rescan", &s))?
        .into_inner();
    let bar = Bar::new("indexing (daemon)");
    let mut done = None;
    while let Some(p) = stream
        .message()
        .await
        .map_err(|s| daemon_client::status_error("Rescan", &s))?
    {
        match p.state() {
            State::Running | State::Unspecified => {
                bar.set_len(p.total);
                bar.set_position(p.done);
            }
            State::UserFailed => {
                bar.finish();
                bail!("the daemon's rescan of {} failed: {}", p.user, p.error);
            }
            State::UserDone => {}
            State::Done => {
                done = p.stats;
                break;
            }
        }
    }
    bar.finish();
    let Some(s) = done else {
        bail!("the daemon ended the rescan without its totals");
    };
    Ok(RescanStats::from(s))
}

/// `run` without the daemon: opens the index for writing.
fn run_local(a: &RescanArgs) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let store = home.store()?;
    let opened = mailfts_indexer::repair::open_for_rescan(&home.index, &store)?;
    let index = opened.index;
    let bar = Bar::new("indexing");
    let opts = RescanOptions {
        mailbox: a.mailbox.clone(),
        batch_messages: a.batch.max(1),
        stop_after: a.stop_after,
        // a one-off process: nothing searches the listings after this mailbox's turn
        release_listings: true,
        ..RescanOptions::default()
    };
    let mut stats = rescan(&index, &store, &opts, &bar)?;
    bar.finish();
    if let Some(report) = &opened.rebuilt {
        stats
            .problems
            .insert(format!("{REBUILT}: {}", report.summary()), 1);
    }
    print_stats(&stats, a.json);
    Ok(ExitCode::SUCCESS)
}

/// The `problems` key of a rescan that found the index damaged and rebuilt it (followed by what
/// was wrong).
pub const REBUILT: &str = "index damaged, rebuilt from the mail store";

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
        // messages whose file could not be read (unreadable, broken compression) are not indexed;
        // every other problem cost some text of a message that is indexed with the rest
        for kind in stats.problems.keys().filter(|k| k.starts_with(REBUILT)) {
            println!("{kind}");
        }
        let (skipped, degraded): (Vec<_>, Vec<_>) = stats
            .problems
            .iter()
            .filter(|(kind, _)| !kind.starts_with(REBUILT))
            .partition(|(kind, _)| {
                kind.starts_with("compression") || kind.starts_with("unreadable")
            });
        let render = |list: Vec<(&String, &u64)>| -> String {
            list.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !skipped.is_empty() {
            println!(
                "messages not indexed (retried by the next rescan): {}",
                render(skipped)
            );
        }
        if !degraded.is_empty() {
            println!(
                "decoding problems (messages still indexed): {}",
                render(degraded)
            );
        }
    }
}
