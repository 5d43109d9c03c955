//! `mailfts bench`: indexed search against the linear scan on the user's own Maildir.

use std::process::ExitCode;
use std::time::Instant;

use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::rescan::{rescan, RescanOptions};
use mailfts_query::exec::{Engine, Mode};
use mailfts_query::parse::parse_program;
use mailfts_store::Store;
use serde::Serialize;

use crate::cli::BenchArgs;
use crate::home::Home;
use crate::progress::Bar;

/// Timings of one query.
#[derive(Debug, Serialize)]
pub struct QueryFigures {
    /// The IMAP search program.
    pub query: String,
    /// Hits of the linear scan (IMAP's answer).
    pub hits: usize,
    /// Hits in the default mode.
    pub hits_default: usize,
    /// Median milliseconds, default mode.
    pub default_ms: f64,
    /// Median milliseconds, exact mode.
    pub exact_ms: f64,
    /// Median milliseconds, linear scan.
    pub scan_ms: f64,
    /// Exact mode returned exactly the scan's UIDs.
    pub exact_agrees: bool,
    /// Default mode returned exactly the scan's UIDs.
    pub default_agrees: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times every query in default, exact and scan mode (median of `runs`, after one warm-up run each).
pub fn time_queries(
    store: &Store,
    index: Option<&HomeIndex>,
    mailbox: &str,
    queries: &[String],
    runs: usize,
) -> anyhow::Result<Vec<QueryFigures>> {
    let engine = Engine::new(store, index);
    let mut out = Vec::new();
    for q in queries {
        let program = parse_program(q).map_err(|e| anyhow::anyhow!("query {q:?}: {e}"))?;
        let timed = |mode: Mode| -> anyhow::Result<(Vec<u32>, f64)> {
            let warm = engine.search(mailbox, &program, mode)?;
            let mut times = Vec::new();
            for _ in 0..runs.max(1) {
                let t = Instant::now();
                engine.search(mailbox, &program, mode)?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok((warm.uids, median(times)))
        };
        let (scan, scan_ms) = timed(Mode::Scan)?;
        let (exact, exact_ms) = timed(Mode::Exact)?;
        let (default, default_ms) = timed(Mode::Index)?;
        out.push(QueryFigures {
            query: q.clone(),
            hits: scan.len(),
            hits_default: default.len(),
            default_ms,
            exact_ms,
            scan_ms,
            exact_agrees: exact == scan,
            default_agrees: default == scan,
        });
    }
    Ok(out)
}

/// Prints the figures as a Markdown table; returns how many exact answers disagree with the scan.
pub fn print_table(figures: &[QueryFigures]) -> usize {
    println!("| query | hits (scan) | default ms | exact ms | scan ms | scan / exact | exact = scan | default = scan |");
    println!("|---|---:|---:|---:|---:|---:|---|---|");
    let mut bad = 0;
    for f in figures {
        if !f.exact_agrees {
            bad += 1;
        }
        println!(
            "| `{}` | {} | {:.2} | {:.2} | {:.1} | {:.0}x | {} | {} |",
            f.query,
            f.hits,
            f.default_ms,
            f.exact_ms,
            f.scan_ms,
            f.scan_ms / f.exact_ms.max(1e-6),
            if f.exact_agrees {
                "yes"
            } else {
                "**NO — DISAGREES WITH THE SCAN**"
            },
            if f.default_agrees {
                "yes".to_string()
            } else {
                format!("{} hits (mid-word matches not found)", f.hits_default)
            }
        );
    }
    bad
}

/// Runs the benchmark.
pub fn run(a: &BenchArgs) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let store = home.store()?;
    {
        let index = home.index_for_writing()?;
        let bar = Bar::new("indexing");
        let stats = rescan(&index, &store, &RescanOptions::default(), &bar)?;
        bar.finish();
        eprint!("refresh: ");
        crate::cmd_rescan::print_stats(&stats, false);
    }
    let index = HomeIndex::open(&home.index)?;
    let queries = match &a.queries {
        Some(f) => crate::queryset::from_file(f)?,
        None => crate::queryset::derive(&store, &a.mailbox, 300)?,
    };
    let figures = time_queries(&store, index.as_ref(), &a.mailbox, &queries, a.runs)?;
    let bad = if a.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
        figures.iter().filter(|f| !f.exact_agrees).count()
    } else {
        println!(
            "mailbox {}, median of {} warm runs per mode (page cache warm)",
            a.mailbox, a.runs
        );
        print_table(&figures)
    };
    if bad > 0 {
        eprintln!("WARNING: {bad} queries: the index answer disagrees with the linear scan");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
