//! `mailfts serve` configuration: a TOML file (every key optional) and command-line flags that
//! override it. `docs/mailfts.toml` is the annotated reference of every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use mailfts_imap_glue::HomeLayout;
use serde::Deserialize;

/// The daemon's configuration after merging the file and the flags.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The passwd-file (Dovecot format): the users, and in its home field the homes to serve.
    pub passwd: Option<PathBuf>,
    /// The Maildir of a home, relative to the home.
    pub maildir: PathBuf,
    /// The index directory of a home, relative to the home.
    pub index: PathBuf,
    /// IMAP listeners.
    pub imap: ImapSection,
    /// The gRPC service.
    pub grpc: GrpcSection,
    /// The Prometheus endpoint.
    pub metrics: MetricsSection,
    /// Certificates for the listeners that use TLS.
    pub tls: TlsSection,
    /// Indexing workers, watcher and consistency checks.
    pub indexing: IndexingSection,
    /// Resource limits.
    pub limits: LimitsSection,
    /// The Solr-compatible endpoint for Dovecot's `fts_solr` (see `docs/dovecot.md`).
    pub solr: SolrSection,
}

/// `[solr]`: the part of Solr's HTTP API that Dovecot 2.3's `fts_solr` plugin speaks.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SolrSection {
    /// HTTP listener, e.g. `127.0.0.1:8983`; unset: no Solr endpoint.
    pub listen: Option<SocketAddr>,
    /// Directory holding one index per Dovecot user (required with `listen`).
    pub index_root: Option<PathBuf>,
    /// Accept a listener on a non-loopback address (the endpoint has no authentication).
    pub allow_non_loopback: bool,
    /// Largest accepted request body in bytes (larger: 413).
    pub max_request_bytes: usize,
    /// File with one `user:password` line: requests must authenticate with HTTP basic auth
    /// (Dovecot: `fts_solr = url=http://user:password@host:port/solr/dovecot/`).
    pub basic_auth_file: Option<PathBuf>,
    /// Serve HTTPS with `tls.cert` and `tls.key` (Dovecot: `url=https://…`).
    pub tls: bool,
}

impl Default for SolrSection {
    fn default() -> Self {
        SolrSection {
            listen: None,
            index_root: None,
            allow_non_loopback: false,
            max_request_bytes: 64 << 20,
            basic_auth_file: None,
            tls: false,
        }
    }
}

/// `[imap]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapSection {
    /// Plain (STARTTLS-capable) listeners, e.g. `["0.0.0.0:143"]`.
    pub listen: Vec<SocketAddr>,
    /// Implicit-TLS listeners, e.g. `["0.0.0.0:993"]`.
    pub tls_listen: Vec<SocketAddr>,
    /// Accept LOGIN without TLS from any address (otherwise only from `trusted_networks`).
    pub allow_plaintext: bool,
    /// Networks (CIDR blocks, e.g. `["127.0.0.0/8", "::1", "10.1.0.0/16"]`) whose connections are
    /// secure without TLS: plain LOGIN is allowed from them. Unset: loopback only; `[]`: none.
    pub trusted_networks: Option<Vec<String>>,
    /// Let passwd entries with uid 0 log in (refused by default).
    pub allow_root_users: bool,
    /// Concurrent connections from one client address (default 20, loopback included).
    pub max_connections_per_address: Option<usize>,
    /// Commands per second one connection may send; unset (the default): no limit.
    pub commands_per_second: Option<u32>,
    /// `exact` or `index`: the same since schema 4 (both give IMAP's answer for every string; kept for old configs).
    pub search_mode: String,
    /// Concurrent connections per listener.
    pub max_connections: Option<usize>,
    /// How new mail written over IMAP (APPEND, COPY) is stored: `none`, `zstd` or `gzip`
    /// (files Dovecot's zlib plugin reads; existing mail is read whatever its compression).
    pub compress_new_mail: String,
}

impl Default for ImapSection {
    fn default() -> Self {
        ImapSection {
            listen: Vec::new(),
            tls_listen: Vec::new(),
            allow_plaintext: false,
            trusted_networks: None,
            allow_root_users: false,
            max_connections_per_address: None,
            commands_per_second: None,
            search_mode: "exact".into(),
            max_connections: None,
            compress_new_mail: "none".into(),
        }
    }
}

/// `[grpc]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpcSection {
    /// TCP listener of the gRPC service.
    pub listen: Option<SocketAddr>,
    /// Local (Unix socket) endpoint for delivery agents: IndexMessages and Status without a token.
    pub socket: Option<PathBuf>,
    /// File mode of the socket (octal string), default `0660`.
    pub socket_mode: Option<String>,
    /// File with the bearer token callers must send (`authorization: Bearer <token>`).
    pub token_file: Option<PathBuf>,
    /// Serve the TCP listener without a token (only sensible on loopback for tests).
    pub allow_unauthenticated: bool,
    /// Per-user tokens: a file of `user:token` lines (`#` comments). A call with such a token may
    /// only name that user (no `all_users`); the admin token (`token_file`) may do everything.
    pub user_tokens_file: Option<PathBuf>,
}

/// `[metrics]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Listener of the Prometheus text endpoint (`GET /metrics`).
    pub listen: Option<SocketAddr>,
}

/// `[tls]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// PEM certificate chain.
    pub cert: Option<PathBuf>,
    /// PEM private key.
    pub key: Option<PathBuf>,
    /// PEM CA bundle: gRPC clients with a certificate it signed need no token (mTLS); without a
    /// token file, a client certificate is required.
    pub client_ca: Option<PathBuf>,
    /// Serve gRPC over TLS with `cert` and `key`.
    pub grpc: bool,
}

/// `[indexing]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexingSection {
    /// Indexing workers: homes indexed at the same time.
    pub workers: usize,
    /// Tantivy indexing threads per writer.
    pub threads: usize,
    /// Changes to one mailbox within this many milliseconds are indexed together.
    pub debounce_ms: u64,
    /// Messages per commit (and per cancellation point) of a rescan.
    pub batch_messages: usize,
    /// Watch the Maildir folders with inotify.
    pub watch: bool,
    /// Check every home at startup (counts and high-water marks) and queue rescans where they differ.
    pub startup_check: bool,
    /// Seconds between periodic checks of every home (0: none); catches changes the watcher missed.
    pub check_interval_secs: u64,
    /// Seconds between full integrity checks of every index (checksums of every file, header
    /// columns, counts, samples; 0: none). One also runs at startup; a damaged index is rebuilt in
    /// the background while its searches scan.
    pub integrity_check_interval_secs: u64,
}

impl Default for IndexingSection {
    fn default() -> Self {
        IndexingSection {
            workers: 2,
            threads: 1,
            debounce_ms: 200,
            batch_messages: mailfts_indexer::rescan::DEFAULT_BATCH_MESSAGES,
            watch: true,
            startup_check: true,
            check_interval_secs: 3_600,
            integrity_check_interval_secs: 86_400,
        }
    }
}

/// `[limits]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Open home indexes kept in the cache (each costs about 60 memory mappings).
    pub max_open_indexes: usize,
    /// Searches answered at the same time (more wait).
    pub max_concurrent_searches: usize,
    /// Longest accepted search program in bytes.
    pub max_query_bytes: usize,
    /// Seconds `IndexMessages` waits for its commit before answering `DEADLINE_EXCEEDED`.
    pub index_wait_secs: u64,
    /// Seconds a shutdown waits for running commits before exiting anyway.
    pub shutdown_grace_secs: u64,
    /// Megabytes of decompressed header columns the process keeps for searches, all homes
    /// together (`mailfts_indexer::column_cache`); a column larger than half of it is searched
    /// streamed. 0 keeps none.
    pub column_cache_mb: usize,
    /// Megabytes of SORT and THREAD keys the process keeps, all homes and mailboxes together
    /// (`mailfts_imap_glue::sortcache`): beyond it the caches used least recently are emptied, and
    /// a mailbox whose keys alone exceed it is sorted without keeping them. 0 keeps none.
    pub sort_cache_mb: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_open_indexes: 512,
            max_concurrent_searches: 16,
            max_query_bytes: 64 << 10,
            index_wait_secs: 60,
            shutdown_grace_secs: 60,
            column_cache_mb: mailfts_indexer::column_cache::DEFAULT_BUDGET_BYTES >> 20,
            sort_cache_mb: mailfts_imap_glue::sortcache::DEFAULT_BUDGET_BYTES >> 20,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let layout = HomeLayout::default();
        Config {
            passwd: None,
            maildir: layout.maildir,
            index: layout.index,
            imap: ImapSection::default(),
            grpc: GrpcSection::default(),
            metrics: MetricsSection::default(),
            tls: TlsSection::default(),
            indexing: IndexingSection::default(),
            limits: LimitsSection::default(),
            solr: SolrSection::default(),
        }
    }
}

/// `mailfts serve` flags; each overrides the config file key named in its help.
#[derive(Args, Debug, Default, Clone)]
pub struct ServeArgs {
    /// TOML configuration file (see docs/mailfts.toml); without it, defaults and flags.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// passwd-file with the users and their homes (`passwd`).
    #[arg(long)]
    pub passwd: Option<PathBuf>,
    /// IMAP listener, repeatable (`imap.listen`).
    #[arg(long)]
    pub imap_listen: Vec<SocketAddr>,
    /// Implicit-TLS IMAP listener, repeatable (`imap.tls_listen`).
    #[arg(long)]
    pub imaps_listen: Vec<SocketAddr>,
    /// gRPC listener (`grpc.listen`).
    #[arg(long)]
    pub grpc_listen: Option<SocketAddr>,
    /// Local gRPC socket for `mailfts hook` (`grpc.socket`).
    #[arg(long)]
    pub grpc_socket: Option<PathBuf>,
    /// File with the gRPC bearer token (`grpc.token_file`).
    #[arg(long)]
    pub grpc_token_file: Option<PathBuf>,
    /// File of per-user gRPC tokens, `user:token` lines (`grpc.user_tokens_file`).
    #[arg(long)]
    pub grpc_user_tokens_file: Option<PathBuf>,
    /// Prometheus endpoint listener (`metrics.listen`).
    #[arg(long)]
    pub metrics_listen: Option<SocketAddr>,
    /// Accept IMAP LOGIN without TLS, for loopback (`imap.allow_plaintext`).
    #[arg(long)]
    pub imap_allow_plaintext: bool,
    /// TLS certificate chain, PEM (`tls.cert`).
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key, PEM (`tls.key`).
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// Indexing workers (`indexing.workers`).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Debounce of watcher events in milliseconds (`indexing.debounce_ms`).
    #[arg(long)]
    pub debounce_ms: Option<u64>,
    /// Do not watch the Maildirs (`indexing.watch = false`).
    #[arg(long)]
    pub no_watch: bool,
    /// Skip the startup consistency check (`indexing.startup_check = false`).
    #[arg(long)]
    pub no_startup_check: bool,
    /// Open indexes kept in the cache (`limits.max_open_indexes`).
    #[arg(long)]
    pub max_open_indexes: Option<usize>,
    /// Solr-compatible HTTP listener for Dovecot's fts_solr (`solr.listen`).
    #[arg(long)]
    pub solr_listen: Option<SocketAddr>,
    /// Root of the per-user indexes of the Solr endpoint (`solr.index_root`).
    #[arg(long)]
    pub solr_index_root: Option<PathBuf>,
    /// Largest accepted Solr request body in bytes (`solr.max_request_bytes`).
    #[arg(long)]
    pub solr_max_request_bytes: Option<usize>,
    /// File with the `user:password` the Solr endpoint requires (`solr.basic_auth_file`).
    #[arg(long)]
    pub solr_basic_auth_file: Option<PathBuf>,
    /// Serve the Solr endpoint over TLS with --tls-cert/--tls-key (`solr.tls`).
    #[arg(long)]
    pub solr_tls: bool,
}

impl Config {
    /// Where a home keeps its mail and index (`maildir` and `index`).
    pub fn layout(&self) -> HomeLayout {
        HomeLayout {
            maildir: self.maildir.clone(),
            index: self.index.clone(),
        }
    }

    /// Reads the file named by `--config` (if any) and applies the flags over it.
    pub fn load(args: &ServeArgs) -> anyhow::Result<Config> {
        let mut cfg = match &args.config {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        cfg.apply(args);
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses a config file.
    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let mut cfg: Config =
            toml::from_str(&text).with_context(|| format!("config {}", path.display()))?;
        // Relative paths in the file are relative to the file.
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut cfg.passwd,
            &mut cfg.grpc.token_file,
            &mut cfg.grpc.user_tokens_file,
            &mut cfg.grpc.socket,
            &mut cfg.tls.cert,
            &mut cfg.tls.key,
            &mut cfg.tls.client_ca,
            &mut cfg.solr.index_root,
            &mut cfg.solr.basic_auth_file,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(cfg)
    }

    fn apply(&mut self, a: &ServeArgs) {
        fn set<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
            if src.is_some() {
                dst.clone_from(src);
            }
        }
        set(&mut self.passwd, &a.passwd);
        if !a.imap_listen.is_empty() {
            self.imap.listen.clone_from(&a.imap_listen);
        }
        if !a.imaps_listen.is_empty() {
            self.imap.tls_listen.clone_from(&a.imaps_listen);
        }
        set(&mut self.grpc.listen, &a.grpc_listen);
        set(&mut self.grpc.socket, &a.grpc_socket);
        set(&mut self.grpc.token_file, &a.grpc_token_file);
        set(&mut self.grpc.user_tokens_file, &a.grpc_user_tokens_file);
        set(&mut self.metrics.listen, &a.metrics_listen);
        if a.imap_allow_plaintext {
            self.imap.allow_plaintext = true;
        }
        set(&mut self.tls.cert, &a.tls_cert);
        set(&mut self.tls.key, &a.tls_key);
        if let Some(w) = a.workers {
            self.indexing.workers = w;
        }
        if let Some(d) = a.debounce_ms {
            self.indexing.debounce_ms = d;
        }
        if a.no_watch {
            self.indexing.watch = false;
        }
        if a.no_startup_check {
            self.indexing.startup_check = false;
        }
        if let Some(n) = a.max_open_indexes {
            self.limits.max_open_indexes = n;
        }
        set(&mut self.solr.listen, &a.solr_listen);
        set(&mut self.solr.index_root, &a.solr_index_root);
        set(&mut self.solr.basic_auth_file, &a.solr_basic_auth_file);
        if a.solr_tls {
            self.solr.tls = true;
        }
        if let Some(n) = a.solr_max_request_bytes {
            self.solr.max_request_bytes = n;
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.passwd.is_none() && self.solr.listen.is_none() {
            bail!("no passwd-file: set `passwd` in the config or pass --passwd");
        }
        if self.passwd.is_none()
            && !(self.imap.listen.is_empty() && self.imap.tls_listen.is_empty())
        {
            bail!("the IMAP listeners need a passwd-file: set `passwd` or pass --passwd");
        }
        if let Some(addr) = self.solr.listen {
            if self.solr.index_root.is_none() {
                bail!("`solr.listen` needs `solr.index_root` (or --solr-index-root)");
            }
            if !addr.ip().is_loopback() && !self.solr.allow_non_loopback {
                bail!(
                    "the Solr endpoint {addr} is not on loopback and has no authentication: \
                     set `solr.allow_non_loopback = true` if the network is trusted"
                );
            }
            if self.solr.tls && (self.tls.cert.is_none() || self.tls.key.is_none()) {
                bail!("`solr.tls = true` needs `tls.cert` and `tls.key`");
            }
            if self.solr.max_request_bytes == 0 {
                bail!("`solr.max_request_bytes` must be at least 1");
            }
        }
        let mtls = self.tls.grpc && self.tls.client_ca.is_some();
        if self.grpc.listen.is_some()
            && self.grpc.token_file.is_none()
            && !mtls
            && !self.grpc.allow_unauthenticated
        {
            bail!(
                "the gRPC listener needs a token: set `grpc.token_file` or pass --grpc-token-file \
                 (or client certificates: `tls.grpc` with `tls.client_ca`; or \
                 `grpc.allow_unauthenticated = true` on a trusted network)"
            );
        }
        if self.tls.client_ca.is_some() && !self.tls.grpc {
            bail!("`tls.client_ca` (gRPC client certificates) needs `tls.grpc = true`");
        }
        if self.tls.grpc && (self.tls.cert.is_none() || self.tls.key.is_none()) {
            bail!("`tls.grpc = true` needs `tls.cert` and `tls.key`");
        }
        if self.indexing.workers == 0 {
            bail!("`indexing.workers` must be at least 1");
        }
        if self.limits.max_open_indexes == 0 {
            bail!("`limits.max_open_indexes` must be at least 1");
        }
        Ok(())
    }

    /// The debounce delay.
    pub fn debounce(&self) -> Duration {
        Duration::from_millis(self.indexing.debounce_ms)
    }

    /// The gRPC bearer token, read from `grpc.token_file` (surrounding whitespace trimmed).
    /// The per-user tokens of `grpc.user_tokens_file`: (user, token) pairs; empty without the file.
    pub fn user_tokens(&self) -> anyhow::Result<Vec<(String, String)>> {
        let Some(path) = &self.grpc.user_tokens_file else {
            return Ok(Vec::new());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading user token file {}", path.display()))?;
        parse_user_tokens(&text).with_context(|| format!("user token file {}", path.display()))
    }

    /// The `Authorization` header value the Solr endpoint requires, from `solr.basic_auth_file`.
    pub fn solr_authorization(&self) -> anyhow::Result<Option<String>> {
        use base64::Engine;
        let Some(path) = &self.solr.basic_auth_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading Solr basic auth file {}", path.display()))?;
        let line = text.trim();
        if !line.contains(':') || line.len() < 3 {
            bail!(
                "Solr basic auth file {}: expected user:password",
                path.display()
            );
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(line);
        Ok(Some(format!("Basic {encoded}")))
    }

    /// The admin token of `grpc.token_file`, if set.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        let Some(path) = &self.grpc.token_file else {
            return Ok(None);
        };
        let token = std::fs::read_to_string(path)
            .with_context(|| format!("reading token file {}", path.display()))?;
        let token = token.trim().to_string();
        if token.is_empty() {
            bail!("token file {} is empty", path.display());
        }
        Ok(Some(token))
    }
}

/// Parses `user:token` lines (blank lines and `#` comments skipped); a token must be at least 16
/// characters and appear once.
pub fn parse_user_tokens(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, token)) = line.split_once(':') else {
            bail!("line {}: expected user:token", n + 1);
        };
        let (user, token) = (user.trim(), token.trim());
        if user.is_empty() || token.len() < 16 {
            bail!(
                "line {}: empty user or token shorter than 16 characters",
                n + 1
            );
        }
        if out.iter().any(|(_, t)| t == token) {
            bail!("line {}: token used twice", n + 1);
        }
        out.push((user.to_string(), token.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_tokens_are_parsed_and_checked() {
        let t = parse_user_tokens("# tokens\nalice:0123456789abcdef\n\nbob: fedcba9876543210 \n")
            .unwrap();
        assert_eq!(
            t,
            [
                ("alice".to_string(), "0123456789abcdef".to_string()),
                ("bob".to_string(), "fedcba9876543210".to_string())
            ]
        );
        assert!(parse_user_tokens("alice:short\n").is_err());
        assert!(parse_user_tokens("alice\n").is_err());
        assert!(parse_user_tokens("a:0123456789abcdef\nb:0123456789abcdef\n").is_err());
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mailfts.toml");
        std::fs::write(
            &file,
            "passwd = \"users\"\n[grpc]\nlisten = \"127.0.0.1:1\"\ntoken_file = \"t\"\n\
             [indexing]\nworkers = 3\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file),
            grpc_listen: Some("127.0.0.1:2".parse().unwrap()),
            ..Default::default()
        };
        let cfg = Config::load(&args).unwrap();
        assert_eq!(cfg.passwd.unwrap(), dir.path().join("users"));
        assert_eq!(cfg.grpc.listen.unwrap().port(), 2);
        assert_eq!(cfg.indexing.workers, 3);
        assert_eq!(cfg.limits.max_open_indexes, 512);
    }

    #[test]
    fn solr_endpoint_settings_are_checked() {
        let solr = |listen: &str, root: Option<&str>| ServeArgs {
            solr_listen: Some(listen.parse().unwrap()),
            solr_index_root: root.map(PathBuf::from),
            ..Default::default()
        };
        // no passwd-file needed for a Solr-only daemon
        let cfg = Config::load(&solr("127.0.0.1:8983", Some("/x"))).unwrap();
        assert!(cfg.passwd.is_none());
        assert_eq!(cfg.solr.max_request_bytes, 64 << 20);
        assert!(Config::load(&solr("127.0.0.1:8983", None)).is_err());
        assert!(Config::load(&solr("0.0.0.0:8983", Some("/x"))).is_err());
        // basic auth: the header value Dovecot's client sends for `url=http://u:p@…`
        let dir = tempfile::tempdir().unwrap();
        let auth = dir.path().join("auth");
        std::fs::write(&auth, "dovecot:secret\n").unwrap();
        let mut a = solr("127.0.0.1:8983", Some("/x"));
        a.solr_basic_auth_file = Some(auth.clone());
        let cfg = Config::load(&a).unwrap();
        assert_eq!(
            cfg.solr_authorization().unwrap().as_deref(),
            Some("Basic ZG92ZWNvdDpzZWNyZXQ=")
        );
        std::fs::write(&auth, "nocolon\n").unwrap();
        assert!(cfg.solr_authorization().is_err());
        // TLS needs the certificate and key of [tls]
        let mut a = solr("127.0.0.1:8983", Some("/x"));
        a.solr_tls = true;
        assert!(Config::load(&a).is_err());
        a.tls_cert = Some("/c.pem".into());
        a.tls_key = Some("/k.pem".into());
        assert!(Config::load(&a).unwrap().solr.tls);
        // IMAP listeners still need one
        let mut a = solr("127.0.0.1:8983", Some("/x"));
        a.imap_listen = vec!["127.0.0.1:1143".parse().unwrap()];
        assert!(Config::load(&a).is_err());
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mailfts.toml");
        std::fs::write(&file, "pasword = \"x\"\n").unwrap();
        assert!(Config::from_file(&file).is_err());
    }

    #[test]
    fn the_documented_example_parses() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/mailfts.toml");
        Config::from_file(Path::new(example)).unwrap();
    }
}
