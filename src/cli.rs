//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Full-text search for Maildir homes, with IMAP SEARCH semantics.
#[derive(Parser, Debug)]
#[command(name = "mailfts", version, about)]
pub struct Cli {
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help = VERBOSE_HELP)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

const VERBOSE_HELP: &str = "More logging (-v info, -vv debug); MAILFTS_LOG overrides";
const SEARCH_ABOUT: &str =
    "Search with an IMAP search program, e.g. `mailfts search --home h -- 'OR SUBJECT x FROM y'`";

impl Cli {
    /// Parses the command line (exits with clap's message on an error, `--help`, `--version`).
    ///
    /// `mailfts search`, the command scripts run once per query, is parsed by [`SearchCli`]: clap
    /// builds the parser of every subcommand before parsing (about 200 arguments, 100 KB of heap
    /// touched, 0.1 ms of a 2 ms cold search), and only one is needed.
    pub fn parse_args() -> Cli {
        if std::env::args_os().nth(1).is_some_and(|a| a == "search") {
            let SearchCli {
                verbose,
                command: SearchOnly::Search(a),
            } = SearchCli::parse();
            return Cli {
                verbose,
                command: Command::Search(a),
            };
        }
        Cli::parse()
    }
}

/// [`Cli`] with the `search` subcommand only: the same name, options and help.
#[derive(Parser, Debug)]
#[command(name = "mailfts", version, about)]
struct SearchCli {
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help = VERBOSE_HELP)]
    verbose: u8,
    #[command(subcommand)]
    command: SearchOnly,
}

/// The one subcommand of [`SearchCli`].
#[derive(Subcommand, Debug)]
enum SearchOnly {
    #[command(about = SEARCH_ABOUT)]
    Search(SearchArgs),
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Bring a home's index up to date with its Maildir (add new, drop expunged, repair).
    Rescan(RescanArgs),
    /// Per mailbox: messages in store and index, sizes, last rescan.
    Status(StatusArgs),
    /// Verify the index: checksums of every file, header columns, counts against the Maildir, samples.
    Check(CheckArgs),
    #[command(about = SEARCH_ABOUT)]
    Search(SearchArgs),
    /// Generate a sample home (unless present), index it, show status and timed searches.
    Demo(DemoArgs),
    /// Indexed search against the linear scan on this Maildir: refresh the index, time each query.
    Bench(BenchArgs),
    /// Corpus tools.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Run the daemon: gRPC service, delivery watcher, indexing workers, metrics (see docs/).
    Serve(Box<crate::cmd_serve::ServeArgs>),
    /// Delivery-agent hooks that ask the running daemon to index now.
    #[command(subcommand)]
    Hook(crate::cmd_hook::HookCommand),
    /// Run the IMAP server (Dovecot-style passwd file, STARTTLS, SEARCH/SORT/THREAD from the index).
    Imap(crate::cmd_imap::ImapArgs),
    /// Manage the IMAP server's passwd file.
    #[command(subcommand)]
    User(crate::cmd_user::UserCommand),
}

/// Where a home's mail and index are.
#[derive(Args, Debug, Clone)]
pub struct HomeArgs {
    /// The home directory (mail in HOME/Maildir, index in HOME/mailfts).
    #[arg(long)]
    pub home: PathBuf,
    /// Maildir root, if not HOME/Maildir.
    #[arg(long)]
    pub maildir: Option<PathBuf>,
    /// Index directory, if not HOME/mailfts.
    #[arg(long)]
    pub index: Option<PathBuf>,
}

/// `mailfts rescan`.
#[derive(Args, Debug)]
pub struct RescanArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    #[command(flatten)]
    pub daemon: crate::daemon_client::DaemonArgs,
    /// Only this mailbox.
    #[arg(long)]
    pub mailbox: Option<String>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Messages per commit (an interrupted rescan keeps every committed batch). The first rescan of a
    /// home of at most 25,000 messages commits once (one segment, no merge) unless this is below
    /// the default.
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// Stop after adding this many messages (testing interrupted runs).
    #[arg(long, hide = true)]
    pub stop_after: Option<u64>,
}

/// `mailfts status`.
#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    #[command(flatten)]
    pub daemon: crate::daemon_client::DaemonArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `mailfts check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `mailfts search`.
#[derive(Args, Debug)]
pub struct SearchArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    #[command(flatten)]
    pub daemon: crate::daemon_client::DaemonArgs,
    /// Mailbox to search (default INBOX).
    #[arg(long, conflicts_with = "all_mailboxes")]
    pub mailbox: Option<String>,
    /// Search every mailbox.
    #[arg(long)]
    pub all_mailboxes: bool,
    /// Ignore the index: evaluate every message (the linear scan).
    #[arg(long, conflicts_with = "exact")]
    pub scan: bool,
    /// No effect: every indexed answer is IMAP's exact answer (kept for scripts written before).
    #[arg(long)]
    pub exact: bool,
    /// Print the plan (index, verify, scan) with timings.
    #[arg(long)]
    pub explain: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// The IMAP search program (joined with spaces).
    #[arg(required = true, allow_hyphen_values = true)]
    pub keys: Vec<String>,
}

/// `mailfts bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub home: HomeArgs,
    /// Query file: one IMAP search program per line, `#` comments (default: derived from the mail).
    #[arg(long)]
    pub queries: Option<PathBuf>,
    /// Timed runs per query for the scan (median reported; 0 = one run without warm-up, for very
    /// large mailboxes); the indexed search runs up to max(20 × this, 100) times (p50 and p99
    /// reported). Both within `--budget`.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Seconds: the timed runs of one query in one mode stop once they have taken this long (after
    /// at least one), and none follow a first run that took this long (it is the figure).
    #[arg(long, default_value_t = 20.0)]
    pub budget: f64,
    /// Mailbox to search.
    #[arg(long, default_value = "INBOX")]
    pub mailbox: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `mailfts demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where the sample home lives.
    #[arg(long, default_value = "demo-home")]
    pub home: PathBuf,
    /// Messages in the sample home.
    #[arg(long, default_value_t = 20_000)]
    pub messages: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// `mailfts corpus ...`.
#[derive(Subcommand, Debug)]
pub enum CorpusCommand {
    /// Generate a deterministic Maildir home (resumable: existing files are kept).
    Generate(GenerateArgs),
}

/// `mailfts corpus generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of messages.
    #[arg(long)]
    pub messages: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output home directory (the Maildir goes to OUT/Maildir).
    #[arg(long)]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The help of `search` in the whole parser.
    fn search_help(mut cmd: clap::Command) -> String {
        cmd.build();
        let sub = cmd
            .find_subcommand_mut("search")
            .expect("a search subcommand");
        sub.render_long_help().to_string()
    }

    #[test]
    fn the_search_only_parser_is_the_whole_one_for_search() {
        Cli::command().debug_assert();
        SearchCli::command().debug_assert();
        assert_eq!(
            search_help(SearchCli::command()),
            search_help(Cli::command())
        );
        assert!(search_help(Cli::command()).contains("IMAP search program"));
        let argv = [
            "mailfts",
            "-v",
            "search",
            "--home",
            "h",
            "--explain",
            "--",
            "BODY",
            "x",
        ];
        let whole = Cli::try_parse_from(argv).unwrap();
        let SearchCli {
            verbose,
            command: SearchOnly::Search(only),
        } = SearchCli::try_parse_from(argv).unwrap();
        let Command::Search(a) = whole.command else {
            panic!("parsed as search")
        };
        assert_eq!(
            (verbose, format!("{only:?}")),
            (whole.verbose, format!("{a:?}"))
        );
    }
}
