//! `mailfts demo`: the main job on a bundled sample — generate a home, index it, search it.

use std::process::ExitCode;

use mailfts_corpora::{write_maildir, CorpusSpec};
use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::rescan::{rescan, RescanOptions};

use crate::cli::{DemoArgs, HomeArgs, StatusArgs};
use crate::home::Home;
use crate::progress::Bar;

/// Runs the demo.
pub fn run(a: &DemoArgs) -> anyhow::Result<ExitCode> {
    let home_args = HomeArgs {
        home: a.home.clone(),
        maildir: None,
        index: None,
    };
    let home = Home::from_args(&home_args);
    let marker = a.home.join(format!(".generated-{}-{}", a.seed, a.messages));
    if !marker.exists() {
        println!(
            "generating a sample home of {} messages in {} (seed {})",
            a.messages,
            home.maildir.display(),
            a.seed
        );
        let bar = Bar::new("generating");
        bar.set_len(a.messages as u64);
        let spec = CorpusSpec::new(a.seed, a.messages);
        let stats = write_maildir(&spec, &home.maildir, &mut |n| bar.set_position(n as u64))?;
        bar.finish();
        println!(
            "generated {} messages, {:.1} MB",
            stats.messages,
            stats.bytes as f64 / 1e6
        );
        std::fs::write(&marker, b"")?;
    } else {
        println!("sample home present at {}", a.home.display());
    }

    println!("\n== rescan");
    let store = home.store()?;
    let index = home.index_for_writing()?;
    let bar = Bar::new("indexing");
    let stats = rescan(&index, &store, &RescanOptions::default(), &bar)?;
    bar.finish();
    crate::cmd_rescan::print_stats(&stats, false);
    drop(index);

    println!("\n== status");
    crate::cmd_status::run_local(&StatusArgs {
        home: home_args.clone(),
        daemon: Default::default(),
        json: false,
    })?;

    println!("\n== searches (INBOX): indexed vs linear scan");
    let index = HomeIndex::open(&home.index)?;
    let queries = crate::queryset::derive(&store, "INBOX", 300)?;
    let timing = crate::cmd_bench::Timing {
        scan_runs: 3,
        index_runs: 20,
        budget: std::time::Duration::from_secs(10),
    };
    let figures =
        crate::cmd_bench::time_queries(&store, index.as_ref(), "INBOX", &queries, timing)?;
    if crate::cmd_bench::print_table(&figures) > 0 {
        eprintln!("some queries disagree with the linear scan");
        return Ok(ExitCode::from(1));
    }
    println!("\ntry: cargo run --release -- search --home {} --explain -- 'OR SUBJECT report FROM alice'", a.home.display());
    Ok(ExitCode::SUCCESS)
}
