//! `mailfts status`.

use std::process::ExitCode;

use mailfts_indexer::home::HomeIndex;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::daemon_client;
use crate::home::Home;

#[derive(Serialize)]
struct MailboxStatus {
    mailbox: String,
    in_store: u64,
    in_index: u64,
    documents: u64,
    high_water: u32,
    last_rescan: Option<i64>,
}

#[derive(Serialize)]
struct Status {
    mailboxes: Vec<MailboxStatus>,
    index_bytes: u64,
    maildir_bytes: u64,
    index_percent: f64,
    /// Of `index_bytes`: the word dictionaries laid out for substring lookups (`terms/`).
    term_text_bytes: u64,
    /// Of `index_bytes`: the opaque-run columns (identifiers, searched by substring).
    opaque_column_bytes: u64,
    /// Of `index_bytes`, part by part (read from the index itself; absent from a daemon's view).
    #[serde(skip_serializing_if = "Option::is_none")]
    parts: Option<mailfts_indexer::home::SpaceUsage>,
    failures: std::collections::BTreeMap<String, u64>,
}

/// Bytes of every message file of the store.
pub fn maildir_bytes(store: &mailfts_store::Store) -> anyhow::Result<u64> {
    let mut total = 0;
    for name in store.list_mailboxes()? {
        let s = store.mailbox(&name)?.sync()?;
        total += s
            .messages()
            .iter()
            .map(|m| std::fs::metadata(&m.path).map_or(0, |md| md.len()))
            .sum::<u64>();
    }
    Ok(total)
}

/// Prints per-mailbox counts and sizes: from the daemon when one serves the home (`--daemon`),
/// else from the index itself.
pub fn run(a: &StatusArgs) -> anyhow::Result<ExitCode> {
    let runtime = daemon_client::runtime()?;
    if let Some(d) = runtime.block_on(daemon_client::find(&a.daemon, &a.home.home))? {
        return from_daemon(a, d);
    }
    match run_local(a) {
        Err(e) => match daemon_client::locked_index(&e) {
            Some(index) => {
                eprintln!("{}", daemon_client::locked_message("status", &index));
                Ok(ExitCode::from(2))
            }
            None => Err(e),
        },
        ok => ok,
    }
}

/// The daemon's view of the user (`Daemon::status`), with the Maildir size measured here.
fn from_daemon(a: &StatusArgs, d: daemon_client::Daemon) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let u = d.status;
    if !u.index_error.is_empty() {
        eprintln!(
            "mailfts: the daemon cannot open the index: {}",
            u.index_error
        );
    }
    let maildir_bytes = maildir_bytes(&home.store()?)?;
    let (term_text_bytes, opaque_column_bytes) = HomeIndex::substring_bytes(&home.index);
    let status = Status {
        index_percent: if maildir_bytes == 0 {
            0.0
        } else {
            u.index_bytes as f64 * 100.0 / maildir_bytes as f64
        },
        failures: u.failures.into_iter().collect(),
        mailboxes: u
            .mailboxes
            .into_iter()
            .map(|m| MailboxStatus {
                mailbox: m.mailbox,
                in_store: m.in_store,
                in_index: m.in_index,
                documents: m.documents,
                high_water: m.high_water,
                last_rescan: (m.last_rescan != 0).then_some(m.last_rescan),
            })
            .collect(),
        index_bytes: u.index_bytes,
        maildir_bytes,
        term_text_bytes,
        opaque_column_bytes,
        parts: None,
    };
    print(&status, u.has_index, &home, a.json)?;
    Ok(ExitCode::SUCCESS)
}

/// `run` without the daemon: opens the store and the index directly.
pub fn run_local(a: &StatusArgs) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let store = home.store()?;
    let index = match HomeIndex::open(&home.index) {
        Err(mailfts_indexer::IndexError::Damaged { reason, .. }) => {
            if a.json {
                println!("{}", serde_json::json!({ "index_damaged": reason }));
                return Ok(ExitCode::from(1));
            }
            println!(
                "index at {} is DAMAGED: {reason}\nsearches answer by the linear scan; `mailfts rescan` rebuilds the index",
                home.index.display()
            );
            return Ok(ExitCode::from(1));
        }
        other => other?,
    };
    let snap = index.as_ref().map(|i| i.snapshot()).transpose()?;
    let mut mailboxes = Vec::new();
    let mut maildir_bytes = 0u64;
    for name in store.list_mailboxes()? {
        let s = store.mailbox(&name)?.sync()?;
        for m in s.messages() {
            maildir_bytes += std::fs::metadata(&m.path).map_or(0, |md| md.len());
        }
        let (in_index, documents, high_water, last_rescan) = match &snap {
            Some(snap) => match snap.meta.mailboxes.get(&s.name) {
                Some(mb) => (
                    snap.uids_of(mb.id)?.len(),
                    snap.doc_count_of(mb.id)? as u64,
                    mb.high_water,
                    mb.last_rescan,
                ),
                None => (0, 0, 0, None),
            },
            None => (0, 0, 0, None),
        };
        mailboxes.push(MailboxStatus {
            mailbox: s.name.clone(),
            in_store: s.messages().len() as u64,
            in_index,
            documents,
            high_water,
            last_rescan,
        });
    }
    let index_bytes = index.as_ref().map_or(0, |i| i.disk_bytes());
    let (term_text_bytes, opaque_column_bytes) = HomeIndex::substring_bytes(&home.index);
    let status = Status {
        index_percent: if maildir_bytes == 0 {
            0.0
        } else {
            index_bytes as f64 * 100.0 / maildir_bytes as f64
        },
        failures: snap.map(|s| s.meta.failures.clone()).unwrap_or_default(),
        mailboxes,
        index_bytes,
        maildir_bytes,
        term_text_bytes,
        opaque_column_bytes,
        parts: index.as_ref().map(|i| i.space_usage()).transpose()?,
    };
    print(&status, index.is_some(), &home, a.json)?;
    Ok(ExitCode::SUCCESS)
}

fn print(status: &Status, has_index: bool, home: &Home, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        if !has_index {
            println!(
                "no index at {} (searches scan the Maildir; run `mailfts rescan`)",
                home.index.display()
            );
        }
        println!(
            "{:<32} {:>10} {:>10} {:>10}  last rescan",
            "mailbox", "store", "index", "high-water"
        );
        for m in &status.mailboxes {
            println!(
                "{:<32} {:>10} {:>10} {:>10}  {}",
                m.mailbox,
                m.in_store,
                m.in_index,
                m.high_water,
                m.last_rescan
                    .map_or("never".to_string(), |t| format!("unix {t}"))
            );
        }
        println!(
            "index {:.1} MB, Maildir {:.1} MB, index = {:.2} % of the Maildir",
            status.index_bytes as f64 / 1e6,
            status.maildir_bytes as f64 / 1e6,
            status.index_percent
        );
        println!(
            "substring lookups (included above): word term texts {:.1} MB, opaque-run columns {:.1} MB",
            status.term_text_bytes as f64 / 1e6,
            status.opaque_column_bytes as f64 / 1e6
        );
        if let Some(parts) = &status.parts {
            print_parts(parts);
        }
        if !status.failures.is_empty() {
            let list: Vec<String> = status
                .failures
                .iter()
                .map(|(format, n)| format!("{format} {n}"))
                .collect();
            println!(
                "attachments not extracted (messages still indexed), by format: {}",
                list.join(", ")
            );
        }
    }
    Ok(())
}

/// The index's parts, largest first, as lines of `status`: where the index's size goes.
fn print_parts(parts: &mailfts_indexer::home::SpaceUsage) {
    let mb = |b: u64| b as f64 / 1e6;
    let line = |what: &str, items: Vec<(String, u64)>| {
        let total: u64 = items.iter().map(|(_, b)| b).sum();
        let mut items: Vec<_> = items.into_iter().filter(|(_, b)| *b >= 50_000).collect();
        items.sort_by_key(|b| std::cmp::Reverse(b.1));
        let list: Vec<String> = items
            .iter()
            .map(|(name, b)| format!("{name} {:.1}", mb(*b)))
            .collect();
        println!("  {what} {:.1} MB: {}", mb(total), list.join(", "));
    };
    println!("made of:");
    for part in ["postings", "dictionary"] {
        let suffix = format!(" {part}");
        let items = parts
            .tantivy
            .iter()
            .filter_map(|(k, b)| Some((k.strip_suffix(&suffix)?.to_string(), *b)))
            .collect();
        line(&format!("word {part}"), items);
    }
    line(
        "columns",
        parts.columns.iter().map(|(k, b)| (k.clone(), *b)).collect(),
    );
    println!(
        "  term texts {:.1} MB, other tantivy files {:.1} MB",
        mb(parts.term_texts),
        mb(parts.tantivy.get("other").copied().unwrap_or(0))
    );
}
