//! `mailfts search`.

use std::process::ExitCode;

use mailfts_indexer::home::HomeIndex;
use mailfts_query::exec::{Engine, MailboxAnswer, Mode};
use mailfts_query::parse::parse_program;

use crate::cli::SearchArgs;
use crate::home::Home;

/// Parses the program, answers it on one or all mailboxes, prints UIDs (and the plan).
pub fn run(a: &SearchArgs) -> anyhow::Result<ExitCode> {
    let home = Home::from_args(&a.home);
    let text = a.keys.join(" ");
    let program = match parse_program(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mailfts: bad search program: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let store = home.store()?;
    let opened = HomeIndex::open(&home.index);
    let engine = match &opened {
        Ok(Some(index)) => Engine::new(&store, Some(index)),
        Ok(None) => Engine::without_index(&store, format!("no index at {}", home.index.display())),
        Err(e) => Engine::without_index(&store, format!("index unusable: {e}")),
    };
    let mode = if a.scan {
        Mode::Scan
    } else if a.exact {
        Mode::Exact
    } else {
        Mode::Index
    };
    let mailboxes = if a.all_mailboxes {
        store.list_mailboxes()?
    } else {
        vec![a.mailbox.clone().unwrap_or_else(|| "INBOX".into())]
    };
    let mut answers: Vec<MailboxAnswer> = Vec::new();
    for m in &mailboxes {
        answers.push(engine.search(m, &program, mode)?);
    }
    if a.json {
        println!("{}", serde_json::to_string(&answers)?);
        return Ok(ExitCode::SUCCESS);
    }
    for ans in &answers {
        let uids: Vec<String> = ans.uids.iter().map(u32::to_string).collect();
        if a.all_mailboxes {
            println!("{}: {}", ans.mailbox, uids.join(" "));
        } else {
            println!("{}", uids.join(" "));
        }
        if a.explain {
            let e = &ans.explain;
            eprintln!(
                "plan for {} ({} messages): {}",
                ans.mailbox, e.messages, e.source
            );
            for s in &e.steps {
                eprintln!("  {s}");
            }
            eprintln!(
                "  verified {} candidates, scanned {} tail messages; store {:.2} ms, index {:.2} ms, verify+scan {:.2} ms",
                e.verified, e.tail_scanned, e.store_ms, e.index_ms, e.scan_ms
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
