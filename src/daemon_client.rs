//! Reaching a running `mailfts serve` over gRPC: on its local socket or on its TCP listener with the
//! bearer token. Used by `mailfts hook saved` and by the admin commands (`rescan`, `status`,
//! `search`), which ask the daemon when one serves the home and open the index themselves otherwise.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use hyper_util::rt::TokioIo;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::daemon::pb;
use crate::daemon::pb::mailfts_client::MailftsClient;

/// Environment variable naming the daemon's local socket (same as `--daemon`).
pub const ENV_SOCKET: &str = "MAILFTS_DAEMON";
/// Environment variable naming the user of the daemon's passwd-file (same as `--user`).
pub const ENV_USER: &str = "MAILFTS_USER";
/// Environment variable naming the bearer-token file (same as `--token-file`).
pub const ENV_TOKEN_FILE: &str = "MAILFTS_TOKEN_FILE";

/// Where the daemon is.
pub enum Target {
    /// Its local socket (`grpc.socket`, `--grpc-socket`).
    Socket(PathBuf),
    /// Its TCP listener, with the bearer token if any.
    Tcp { uri: String, token: Option<String> },
}

/// Reads a bearer-token file (surrounding whitespace trimmed).
pub fn read_token(p: &Path) -> anyhow::Result<String> {
    Ok(std::fs::read_to_string(p)
        .with_context(|| format!("reading token file {}", p.display()))?
        .trim()
        .to_string())
}

/// Connects to the daemon; returns the channel and the token to send (none on the socket).
pub async fn connect(
    t: &Target,
    tls_ca: Option<&Path>,
) -> anyhow::Result<(Channel, Option<String>)> {
    match t {
        Target::Socket(path) => {
            let dial = path.clone();
            // the URI is not used: the connector dials the socket
            let channel = Endpoint::from_static("http://mailfts.local")
                .connect_with_connector(tower::service_fn(move |_: Uri| {
                    let path = dial.clone();
                    async move {
                        Ok::<_, std::io::Error>(TokioIo::new(
                            tokio::net::UnixStream::connect(path).await?,
                        ))
                    }
                }))
                .await
                .with_context(|| format!("connecting to the daemon's socket {}", path.display()))?;
            Ok((channel, None))
        }
        Target::Tcp { uri, token } => {
            let mut endpoint = Endpoint::from_shared(uri.clone())?;
            if let Some(ca) = tls_ca {
                let pem = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
                endpoint = endpoint.tls_config(
                    tonic::transport::ClientTlsConfig::new()
                        .ca_certificate(tonic::transport::Certificate::from_pem(pem)),
                )?;
            }
            let channel = endpoint
                .connect()
                .await
                .with_context(|| format!("connecting to the daemon at {uri}"))?;
            Ok((channel, token.clone()))
        }
    }
}

/// A request carrying `authorization: Bearer <token>` when there is a token.
pub fn request<T>(msg: T, token: Option<&str>) -> anyhow::Result<tonic::Request<T>> {
    let mut req = tonic::Request::new(msg);
    if let Some(token) = token {
        req.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
    }
    Ok(req)
}

/// A daemon's error status as an error message.
pub fn status_error(call: &str, s: &tonic::Status) -> anyhow::Error {
    if s.code() == tonic::Code::Unauthenticated {
        anyhow::anyhow!(
            "the daemon refused {call}: {} (pass --token-file with the daemon's grpc.token_file, or {ENV_TOKEN_FILE})",
            s.message()
        )
    } else {
        anyhow::anyhow!(
            "daemon answered {call} with {:?}: {}",
            s.code(),
            s.message()
        )
    }
}

/// The flags of the admin commands that select a daemon.
#[derive(Args, Debug, Clone, Default)]
pub struct DaemonArgs {
    /// Ask the daemon on this local socket (its `--grpc-socket`; env MAILFTS_DAEMON); when no
    /// daemon answers there, open the index directly.
    #[arg(long, value_name = "SOCKET")]
    pub daemon: Option<PathBuf>,
    /// The home's user in the daemon's passwd-file (env MAILFTS_USER); needed with --daemon.
    #[arg(long)]
    pub user: Option<String>,
    /// File with the daemon's bearer token (env MAILFTS_TOKEN_FILE): rescan and search need it
    /// on the socket when the daemon has a token.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
}

/// A connected daemon that serves the home of `user`.
pub struct Daemon {
    /// The client.
    pub client: MailftsClient<Channel>,
    /// The user the requests name.
    pub user: String,
    /// The token to send, if any.
    pub token: Option<String>,
    /// The user's status, as read when connecting (home, mailboxes).
    pub status: pb::UserStatus,
}

impl Daemon {
    /// A request with the token.
    pub fn request<T>(&self, msg: T) -> anyhow::Result<tonic::Request<T>> {
        request(msg, self.token.as_deref())
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// True when a daemon is named (flag or environment): only then is [`find`] worth its runtime.
pub fn configured(a: &DaemonArgs) -> bool {
    a.daemon.is_some() || env_path(ENV_SOCKET).is_some()
}

/// The daemon to ask for `home`, if one is configured (flag or environment) and answers on its
/// socket; `Ok(None)` means: open the index directly. A daemon that answers but does not serve
/// this home as `--user` is an error.
pub async fn find(a: &DaemonArgs, home: &Path) -> anyhow::Result<Option<Daemon>> {
    let Some(socket) = a.daemon.clone().or_else(|| env_path(ENV_SOCKET)) else {
        return Ok(None);
    };
    if !socket.exists() {
        eprintln!(
            "mailfts: no daemon socket at {}: opening the index directly",
            socket.display()
        );
        return Ok(None);
    }
    let channel = match connect(&Target::Socket(socket.clone()), None).await {
        Ok((channel, _)) => channel,
        Err(e) => {
            eprintln!("mailfts: {e:#}: opening the index directly");
            return Ok(None);
        }
    };
    let user = a
        .user
        .clone()
        .or_else(|| std::env::var(ENV_USER).ok().filter(|u| !u.is_empty()));
    let Some(user) = user else {
        bail!(
            "a daemon answers on {}: name the home's user with --user (or {ENV_USER})",
            socket.display()
        );
    };
    let token = match a.token_file.clone().or_else(|| env_path(ENV_TOKEN_FILE)) {
        Some(f) => Some(read_token(&f)?),
        None => None,
    };
    let mut client = MailftsClient::new(channel);
    let status = client
        .status(request(
            pb::StatusRequest { user: user.clone() },
            token.as_deref(),
        )?)
        .await
        .map_err(|s| status_error("Status", &s))?
        .into_inner()
        .user
        .unwrap_or_default();
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if !same(Path::new(&status.home), home) {
        bail!(
            "the daemon on {} serves user {user} with home {}, not {}",
            socket.display(),
            status.home,
            home.display()
        );
    }
    Ok(Some(Daemon {
        client,
        user,
        token,
        status,
    }))
}

/// A current-thread runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The index directory named by a "locked" error in `e`'s chain, if that is what failed.
pub fn locked_index(e: &anyhow::Error) -> Option<PathBuf> {
    e.chain().find_map(|c| match c.downcast_ref() {
        Some(mailfts_indexer::IndexError::Locked { path }) => Some(path.clone()),
        _ => None,
    })
}

/// What to tell a user whose command found the index locked: which processes hold the lock
/// (found in `/proc`), and what to do.
pub fn locked_message(command: &str, index: &Path) -> String {
    let holders = mailfts_indexer::lockinfo::writer_lock_holders(index);
    let usual = "most likely a running `mailfts serve` (or another `mailfts rescan`)";
    let held_by = if holders.is_empty() {
        usual.to_string()
    } else {
        let list: Vec<String> = holders.iter().map(ToString::to_string).collect();
        format!("held by {} ({usual})", list.join("; "))
    };
    format!(
        "mailfts {command}: the index at {} is locked by another writer, {held_by}.\n\
         Ask the daemon instead: mailfts {command} --daemon SOCKET --user USER ... \
         (SOCKET is the daemon's --grpc-socket / grpc.socket; or set {ENV_SOCKET} and {ENV_USER}), \
         or stop the daemon and retry.",
        index.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locked_message_names_the_daemon_and_the_flag() {
        let e = anyhow::Error::new(mailfts_indexer::IndexError::Locked {
            path: PathBuf::from("/h/mailfts/tantivy"),
        })
        .context("rescanning");
        let path = locked_index(&e).expect("found in the chain");
        let m = locked_message("rescan", &path);
        assert!(m.contains("/h/mailfts/tantivy"), "{m}");
        assert!(m.contains("mailfts serve"), "{m}");
        assert!(m.contains("--daemon"), "{m}");
        assert!(locked_index(&anyhow::anyhow!("other")).is_none());
    }
}
