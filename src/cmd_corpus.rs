//! `mailfts corpus generate`.

use std::process::ExitCode;

use mailfts_corpora::{write_maildir, CorpusSpec};

use crate::cli::CorpusCommand;
use crate::progress::Bar;

/// Runs a corpus subcommand.
pub fn run(c: &CorpusCommand) -> anyhow::Result<ExitCode> {
    match c {
        CorpusCommand::Generate(a) => {
            let spec = CorpusSpec::new(a.seed, a.messages);
            let bar = Bar::new("generating");
            bar.set_len(a.messages as u64);
            let stats = write_maildir(&spec, &a.out.join("Maildir"), &mut |n| {
                bar.set_position(n as u64)
            })?;
            bar.finish();
            println!(
                "generated {} messages ({:.1} MB) in {}",
                stats.messages,
                stats.bytes as f64 / 1e6,
                a.out.join("Maildir").display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
