//! `mailfts search`.

use std::process::ExitCode;

use mailfts_indexer::home::HomeIndex;
use mailfts_query::ast::SearchProgram;
use mailfts_query::exec::{Engine, Explain, MailboxAnswer, Mode};
use mailfts_query::parse::parse_program;

use crate::cli::SearchArgs;
use crate::daemon::pb;
use crate::daemon_client;
use crate::home::Home;

/// Parses the program, answers it on one or all mailboxes (through the daemon when one serves
/// the home, `--daemon`), prints UIDs (and the plan).
pub fn run(a: &SearchArgs) -> anyhow::Result<ExitCode> {
    let text = a.keys.join(" ");
    let program = match parse_program(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mailfts: bad search program: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mode = if a.scan {
        Mode::Scan
    } else if a.exact {
        Mode::Exact
    } else {
        Mode::Index
    };
    // no async runtime (threads, an event loop) for a search without a daemon: a cold process
    // answers in a few milliseconds, and the runtime would be a good part of them
    let daemon = if daemon_client::configured(&a.daemon) {
        let runtime = daemon_client::runtime()?;
        runtime
            .block_on(daemon_client::find(&a.daemon, &a.home.home))?
            .map(|d| (runtime, d))
    } else {
        None
    };
    let answers = match daemon {
        Some((runtime, d)) => match runtime.block_on(through_daemon(a, d, &text, mode))? {
            Ok(answers) => answers,
            Err(message) => {
                eprintln!("mailfts: bad search program: {message}");
                return Ok(ExitCode::from(2));
            }
        },
        None => match local(a, &program, mode) {
            Ok(answers) => answers,
            Err(e) => match daemon_client::locked_index(&e) {
                Some(index) => {
                    eprintln!("{}", daemon_client::locked_message("search", &index));
                    return Ok(ExitCode::from(2));
                }
                None => return Err(e),
            },
        },
    };
    let code = match print(a, &answers) {
        // the reader went away (`mailfts search … | head`): nothing more to say
        Err(e) if is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
        r => r?,
    };
    if code == ExitCode::SUCCESS {
        // A one-shot process: the index's mappings, the store's snapshot and the answers need no
        // teardown one by one (a dozen munmaps and frees, about a tenth of a cold search); the
        // kernel drops them all at exit. Nothing here holds unwritten data but stdout, flushed.
        use std::io::Write;
        if std::io::stdout().flush().is_ok() {
            std::process::exit(0);
        }
    }
    Ok(code)
}

/// The daemon's `Search`; `Ok(Err(message))` when it does not accept the program.
async fn through_daemon(
    a: &SearchArgs,
    mut d: daemon_client::Daemon,
    text: &str,
    mode: Mode,
) -> anyhow::Result<Result<Vec<MailboxAnswer>, String>> {
    let mode = match mode {
        Mode::Index => pb::SearchMode::Index,
        Mode::Exact => pb::SearchMode::Exact,
        Mode::Scan => pb::SearchMode::Scan,
    };
    let req = d.request(pb::SearchRequest {
        user: d.user.clone(),
        mailbox: a.mailbox.clone().unwrap_or_default(),
        all_mailboxes: a.all_mailboxes,
        query: text.to_string(),
        mode: mode as i32,
    })?;
    let r = match d.client.search(req).await {
        Ok(r) => r.into_inner(),
        Err(s) if s.code() == tonic::Code::InvalidArgument => return Ok(Err(s.message().into())),
        Err(s) => return Err(daemon_client::status_error("Search", &s)),
    };
    Ok(Ok(r
        .mailboxes
        .into_iter()
        .map(|m| {
            let p = m.plan.unwrap_or_default();
            MailboxAnswer {
                mailbox: m.mailbox,
                uids: m.uids,
                explain: Explain {
                    source: p.source,
                    steps: p.steps,
                    messages: p.messages,
                    tail_scanned: p.tail_scanned,
                    verified: p.verified,
                    store_ms: p.store_ms,
                    index_ms: p.index_ms,
                    scan_ms: p.scan_ms,
                },
            }
        })
        .collect()))
}

/// The answers from the store and the index opened here.
fn local(
    a: &SearchArgs,
    program: &SearchProgram,
    mode: Mode,
) -> anyhow::Result<Vec<MailboxAnswer>> {
    let home = Home::from_args(&a.home);
    let store = home.store()?;
    let opened = HomeIndex::open(&home.index);
    let engine = match &opened {
        Ok(Some(index)) => Engine::new(&store, Some(index)),
        Ok(None) => Engine::without_index(&store, format!("no index at {}", home.index.display())),
        Err(mailfts_indexer::IndexError::Damaged { reason, .. }) => {
            tracing::warn!(index = %home.index.display(), reason, "index damaged: answering by the scan (run `mailfts rescan` to rebuild it)");
            Engine::without_index(&store, format!("index damaged: {reason}"))
        }
        Err(e) => Engine::without_index(&store, format!("index unusable: {e}")),
    };
    let mailboxes = if a.all_mailboxes {
        store.list_mailboxes()?
    } else {
        vec![a.mailbox.clone().unwrap_or_else(|| "INBOX".into())]
    };
    let mut answers: Vec<MailboxAnswer> = Vec::new();
    for m in &mailboxes {
        answers.push(engine.search(m, program, mode)?);
    }
    Ok(answers)
}

/// True when `e` is a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Prints the answers, plain or JSON.
fn print(a: &SearchArgs, answers: &[MailboxAnswer]) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", serde_json::to_string(&answers)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for ans in answers {
        let uids: Vec<String> = ans.uids.iter().map(u32::to_string).collect();
        if a.all_mailboxes {
            writeln!(out, "{}: {}", ans.mailbox, uids.join(" "))?;
        } else {
            writeln!(out, "{}", uids.join(" "))?;
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
