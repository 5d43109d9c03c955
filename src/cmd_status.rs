//! `mailfts status`.

use std::process::ExitCode;

use mailfts_indexer::home::HomeIndex;
use serde::Serialize;

use crate::cli::StatusArgs;
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
    failures: std::collections::BTreeMap<String, u64>,
}

/// Bytes of every message file of the store.
pub fn maildir_bytes(store: &mailfts_store::Store) -> anyhow::Result<u64> {
    let mut total = 0;
    for name in store.list_mailboxes()? {
        let s = store.mailbox(&name)?.sync()?;
        total += s
            .messages
            .iter()
            .map(|m| std::fs::metadata(&m.path).map_or(0, |md| md.len()))
            .sum::<u64>();
    }
    Ok(total)
}

/// Prints per-mailbox counts and sizes.
pub fn run(a: &StatusArgs) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let store = home.store()?;
    let index = HomeIndex::open(&home.index)?;
    let snap = index.as_ref().map(|i| i.snapshot()).transpose()?;
    let mut mailboxes = Vec::new();
    let mut maildir_bytes = 0u64;
    for name in store.list_mailboxes()? {
        let s = store.mailbox(&name)?.sync()?;
        for m in &s.messages {
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
            in_store: s.messages.len() as u64,
            in_index,
            documents,
            high_water,
            last_rescan,
        });
    }
    let index_bytes = index.as_ref().map_or(0, |i| i.disk_bytes());
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
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        if index.is_none() {
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
    Ok(ExitCode::SUCCESS)
}
