//! `mailfts hook saved`: a delivery agent tells the running daemon that it saved a message, and the
//! daemon indexes the mailbox now (gRPC `IndexMessages`). The watcher would index it anyway; the hook
//! is for agents that prefer an explicit call, or hosts that run without the watcher.
//!
//! The daemon is reached on its local socket (no token: the socket's file mode decides) or on its
//! TCP listener with the bearer token. By default a failure is reported on stderr and the exit
//! status is still 0, so that a delivery never fails because of the index; `--strict` exits 75
//! (EX_TEMPFAIL) instead.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::daemon::config::Config;
use crate::daemon::pb;
use crate::daemon::pb::mailfts_client::MailftsClient;
use crate::daemon_client::{self, connect, read_token, Target};

/// Default config file of the daemon, read when no endpoint is given.
const DEFAULT_CONFIG: &str = "/etc/mailfts/mailfts.toml";

/// `mailfts hook ...`.
#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// A message was saved: index its mailbox now, e.g. `mailfts hook saved --user alice --mailbox INBOX FILE`.
    Saved(SavedArgs),
}

/// `mailfts hook saved`.
#[derive(Args, Debug)]
pub struct SavedArgs {
    /// The user (as in the daemon's passwd-file).
    #[arg(long)]
    pub user: String,
    /// The mailbox (UTF-8 name, default INBOX).
    #[arg(long, default_value = "INBOX")]
    pub mailbox: String,
    /// The daemon's config file: its `grpc.socket`, or `grpc.listen` with `grpc.token_file`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The daemon's local socket.
    #[arg(long, conflicts_with = "grpc")]
    pub socket: Option<PathBuf>,
    /// The daemon's gRPC address, e.g. `127.0.0.1:50051` or `http://127.0.0.1:50051`.
    #[arg(long)]
    pub grpc: Option<String>,
    /// File with the bearer token (with --grpc).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// PEM CA of the daemon's certificate, for a gRPC listener with TLS (`https://` address).
    #[arg(long)]
    pub tls_ca: Option<PathBuf>,
    /// Return once queued instead of waiting for the commit.
    #[arg(long)]
    pub no_wait: bool,
    /// Exit 75 (EX_TEMPFAIL) when the daemon cannot be reached or fails.
    #[arg(long)]
    pub strict: bool,
    /// The saved message files (hints for the log; every new message of the mailbox is indexed).
    pub files: Vec<PathBuf>,
}

/// Runs a hook subcommand.
pub fn run(c: &HookCommand) -> anyhow::Result<ExitCode> {
    match c {
        HookCommand::Saved(a) => saved(a),
    }
}

fn target(a: &SavedArgs) -> anyhow::Result<Target> {
    if let Some(s) = &a.socket {
        return Ok(Target::Socket(s.clone()));
    }
    if let Some(g) = &a.grpc {
        let uri = if g.contains("://") {
            g.clone()
        } else {
            format!("http://{g}")
        };
        let token = a.token_file.as_deref().map(read_token).transpose()?;
        return Ok(Target::Tcp { uri, token });
    }
    let config = match &a.config {
        Some(c) => c.clone(),
        None if Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
        None => bail!("where is the daemon? pass --socket, --grpc or --config"),
    };
    let cfg = Config::from_file(&config)?;
    if let Some(s) = cfg.grpc.socket {
        return Ok(Target::Socket(s));
    }
    if let Some(addr) = cfg.grpc.listen {
        let token_file = a.token_file.clone().or(cfg.grpc.token_file);
        let token = token_file.as_deref().map(read_token).transpose()?;
        return Ok(Target::Tcp {
            uri: format!("http://{addr}"),
            token,
        });
    }
    bail!(
        "{} has neither grpc.socket nor grpc.listen",
        config.display()
    )
}

fn saved(a: &SavedArgs) -> anyhow::Result<ExitCode> {
    let runtime = daemon_client::runtime()?;
    let outcome = runtime.block_on(async {
        let t = target(a)?;
        let (channel, token) = connect(&t, a.tls_ca.as_deref()).await?;
        let mut client = MailftsClient::new(channel);
        let req = daemon_client::request(
            pb::IndexMessagesRequest {
                user: a.user.clone(),
                mailbox: a.mailbox.clone(),
                uids: Vec::new(),
                paths: a.files.iter().map(|f| f.display().to_string()).collect(),
                no_wait: a.no_wait,
            },
            token.as_deref(),
        )?;
        let r = client
            .index_messages(req)
            .await
            .map_err(|s| anyhow::anyhow!("daemon answered {:?}: {}", s.code(), s.message()))?;
        Ok::<_, anyhow::Error>(r.into_inner())
    });
    match outcome {
        Ok(r) => {
            if r.committed {
                println!(
                    "indexed: added {}, removed {}, high-water {}",
                    r.added, r.removed, r.high_water
                );
            } else {
                println!("queued");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if a.strict => {
            eprintln!("mailfts hook: {e:#}");
            Ok(ExitCode::from(75))
        }
        Err(e) => {
            eprintln!("mailfts hook: {e:#} (the watcher or the next check will index the message)");
            Ok(ExitCode::SUCCESS)
        }
    }
}
