//! `mailfts bench`: indexed search against the linear scan on the user's own Maildir.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::rescan::{rescan, NoProgress, RescanOptions};
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
    /// Hits through the index.
    pub hits_index: usize,
    /// Median milliseconds through the index.
    pub index_ms: f64,
    /// 99th percentile milliseconds through the index (the slowest run when there are fewer than 100).
    pub index_p99_ms: f64,
    /// Median milliseconds, linear scan.
    pub scan_ms: f64,
    /// Timed runs through the index behind `index_ms` (0: the first run alone, see [`Timing`]).
    pub index_runs: usize,
    /// Timed runs of the scan behind `scan_ms` (0: the first run alone, see [`Timing`]).
    pub scan_runs: usize,
    /// The index returned exactly the scan's UIDs.
    pub agrees: bool,
}

/// How often [`time_queries`] runs each query in each mode.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Timed scan runs per query after a warm-up run (median reported); 0: the warm-up run alone
    /// is timed (for scans of very large mailboxes).
    pub scan_runs: usize,
    /// Timed runs through the index per query after a warm-up run (p50 and p99 reported).
    pub index_runs: usize,
    /// Timed runs of one query in one mode stop once they have taken this long (after at least
    /// one), and none follow a warm-up run that took this long: that run is the figure. So a
    /// phrase that takes seconds on a million messages costs a few runs, not a hundred.
    pub budget: Duration,
}

/// One query's answer and timings in one mode.
struct Timed {
    uids: Vec<u32>,
    p50_ms: f64,
    p99_ms: f64,
    /// Timed runs after the warm-up (0: the warm-up run is the figure).
    runs: usize,
}

/// Runs `search` once to warm up, then up to `runs` timed times within `budget` (see [`Timing`]).
fn timed(
    runs: usize,
    budget: Duration,
    mut search: impl FnMut() -> anyhow::Result<Vec<u32>>,
) -> anyhow::Result<Timed> {
    let t = Instant::now();
    let uids = search()?;
    let first = t.elapsed();
    if runs == 0 || first >= budget {
        let ms = first.as_secs_f64() * 1000.0;
        return Ok(Timed {
            uids,
            p50_ms: ms,
            p99_ms: ms,
            runs: 0,
        });
    }
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < runs && (times.is_empty() || started.elapsed() < budget) {
        let t = Instant::now();
        search()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let n = times.len();
    let (p50_ms, p99_ms) = percentiles(times);
    Ok(Timed {
        uids,
        p50_ms,
        p99_ms,
        runs: n,
    })
}

/// Index refresh figures of a bench run.
#[derive(Debug, Serialize)]
pub struct Refresh {
    /// Messages added by the refresh.
    pub added: u64,
    /// Seconds of the refresh.
    pub seconds: f64,
    /// Messages per second.
    pub msg_per_sec: f64,
    /// Raw MB per second.
    pub mb_per_sec: f64,
    /// Peak resident memory of this process after the refresh, MB.
    pub peak_rss_mb: f64,
    /// Seconds of a second, no-op rescan.
    pub noop_rescan_seconds: f64,
    /// Index bytes on disk.
    pub index_bytes: u64,
    /// Message file bytes.
    pub maildir_bytes: u64,
    /// Index bytes as a percentage of the Maildir.
    pub index_percent: f64,
}

/// (median, p99) of timings in milliseconds.
fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let p99 = ((v.len() as f64 * 0.99).ceil() as usize).clamp(1, v.len()) - 1;
    (v[v.len() / 2], v[p99])
}

/// Peak resident set size of this process (VmHWM), in MB; 0 where /proc is unavailable.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Times every query by the scan and through the index (see [`Timing`]), with a progress bar
/// over the queries on a terminal.
pub fn time_queries(
    store: &Store,
    index: Option<&HomeIndex>,
    mailbox: &str,
    queries: &[String],
    timing: Timing,
) -> anyhow::Result<Vec<QueryFigures>> {
    let engine = Engine::new(store, index);
    let bar = Bar::new("searching");
    bar.set_len(queries.len() as u64);
    let mut out = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let program = parse_program(q).map_err(|e| anyhow::anyhow!("query {q:?}: {e}"))?;
        let (engine, program) = (&engine, &program);
        let search = |mode: Mode| move || Ok(engine.search(mailbox, program, mode)?.uids);
        bar.set_position(i as u64);
        bar.set_message(format!("scan of {q}"));
        let scan = timed(timing.scan_runs, timing.budget, search(Mode::Scan))?;
        bar.set_message(format!("index for {q}"));
        let indexed = timed(timing.index_runs, timing.budget, search(Mode::Index))?;
        out.push(QueryFigures {
            query: q.clone(),
            hits: scan.uids.len(),
            hits_index: indexed.uids.len(),
            index_ms: indexed.p50_ms,
            index_p99_ms: indexed.p99_ms,
            scan_ms: scan.p50_ms,
            index_runs: indexed.runs,
            scan_runs: scan.runs,
            agrees: indexed.uids == scan.uids,
        });
    }
    bar.finish();
    Ok(out)
}

/// Prints the figures as a Markdown table; returns how many index answers disagree with the scan.
pub fn print_table(figures: &[QueryFigures]) -> usize {
    println!("| query | hits (scan) | index p50 ms | index p99 ms | scan ms | scan / index | runs index / scan | index = scan |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let mut bad = 0;
    for f in figures {
        if !f.agrees {
            bad += 1;
        }
        println!(
            "| `{}` | {} | {:.2} | {:.2} | {:.1} | {:.0}x | {} / {} | {} |",
            f.query,
            f.hits,
            f.index_ms,
            f.index_p99_ms,
            f.scan_ms,
            f.scan_ms / f.index_ms.max(1e-6),
            runs_cell(f.index_runs),
            runs_cell(f.scan_runs),
            if f.agrees {
                "yes".to_string()
            } else {
                format!("**NO — {} hits, DISAGREES WITH THE SCAN**", f.hits_index)
            },
        );
    }
    bad
}

/// A run count of the table: `first` when the warm-up run alone was timed.
fn runs_cell(runs: usize) -> String {
    match runs {
        0 => "first".to_string(),
        n => n.to_string(),
    }
}

/// Refreshes the index (timed), then times a no-op rescan.
fn refresh(home: &Home, store: &Store) -> anyhow::Result<Refresh> {
    let index = home.index_for_writing()?;
    let bar = Bar::new("indexing");
    let stats = rescan(&index, store, &RescanOptions::default(), &bar)?;
    bar.finish();
    let peak_rss_mb = peak_rss_mb();
    let noop = rescan(&index, store, &RescanOptions::default(), &NoProgress)?;
    let index_bytes = index.disk_bytes();
    let maildir_bytes = crate::cmd_status::maildir_bytes(store)?;
    Ok(Refresh {
        added: stats.added,
        seconds: stats.seconds,
        msg_per_sec: stats.msg_per_sec,
        mb_per_sec: stats.mb_per_sec,
        peak_rss_mb,
        noop_rescan_seconds: noop.seconds,
        index_bytes,
        maildir_bytes,
        index_percent: index_bytes as f64 * 100.0 / maildir_bytes.max(1) as f64,
    })
}

/// Runs the benchmark.
pub fn run(a: &BenchArgs) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let store = home.store()?;
    let refresh = refresh(&home, &store)?;
    let index = HomeIndex::open(&home.index)?;
    let queries = match &a.queries {
        Some(f) => crate::queryset::from_file(f)?,
        None => crate::queryset::derive(&store, &a.mailbox, 300)?,
    };
    let timing = Timing {
        scan_runs: a.runs,
        index_runs: (a.runs * 20).max(100),
        budget: Duration::from_secs_f64(a.budget.max(0.0)),
    };
    let figures = time_queries(&store, index.as_ref(), &a.mailbox, &queries, timing)?;
    let bad = if a.json {
        let out = serde_json::json!({ "refresh": refresh, "queries": figures });
        println!("{}", serde_json::to_string_pretty(&out)?);
        figures.iter().filter(|f| !f.agrees).count()
    } else {
        println!(
            "refresh: added {} in {:.2} s ({:.0} msg/s, {:.1} MB/s), peak RSS {:.0} MB; no-op rescan {:.3} s; index {:.1} MB = {:.2} % of the Maildir ({:.1} MB)",
            refresh.added,
            refresh.seconds,
            refresh.msg_per_sec,
            refresh.mb_per_sec,
            refresh.peak_rss_mb,
            refresh.noop_rescan_seconds,
            refresh.index_bytes as f64 / 1e6,
            refresh.index_percent,
            refresh.maildir_bytes as f64 / 1e6
        );
        let scan_runs = if a.runs == 0 {
            "a single run without warm-up".to_string()
        } else {
            format!("median of up to {} warm runs", a.runs)
        };
        println!(
            "mailbox {}: scan {scan_runs}, index p50/p99 of up to {} warm runs (page cache warm); \
             the runs of one query in one mode stop after {} s (`first`: the first run alone)",
            a.mailbox, timing.index_runs, a.budget
        );
        print_table(&figures)
    };
    if bad > 0 {
        eprintln!("WARNING: {bad} queries: the index answer disagrees with the linear scan");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
