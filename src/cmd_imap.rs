//! `mailfts imap`: run the IMAP server (until the daemon folds it into `mailfts serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use mailfts_imap_glue::{load_tls, serve, CancellationToken, DirectIndexing, ImapConfig};
use mailfts_query::exec::Mode;

/// `mailfts imap`.
#[derive(Args, Debug)]
pub struct ImapArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:1143")]
    pub listen: SocketAddr,
    /// Passwd file in Dovecot's format (`user:{SCHEME}hash:uid:gid::home::`).
    #[arg(long)]
    pub passwd: PathBuf,
    /// PEM certificate chain: enables STARTTLS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Speak TLS from the first byte (port 993 style) instead of offering STARTTLS.
    #[arg(long, requires = "tls_cert")]
    pub implicit_tls: bool,
    /// Allow logins without TLS (loopback and tests only).
    #[arg(long)]
    pub allow_plaintext: bool,
    /// Answer BODY/TEXT from the index only (faster; strings that begin inside a word are not found).
    #[arg(long)]
    pub index_mode: bool,
    /// How new mail (APPEND, COPY) is written: none, zstd or gzip (Dovecot's zlib plugin reads both).
    #[arg(long, default_value = "none")]
    pub compress_new_mail: mailfts_store::Compression,
}

/// Runs the server until Ctrl-C.
pub fn run(a: &ImapArgs) -> anyhow::Result<ExitCode> {
    crate::limits::raise_open_files();
    let mut config = ImapConfig::new(&a.passwd);
    config.allow_plaintext = a.allow_plaintext;
    config.implicit_tls = a.implicit_tls;
    if a.index_mode {
        config.search_mode = Mode::Index;
    }
    config.store_options.compress_new_mail = a.compress_new_mail;
    if let (Some(cert), Some(key)) = (&a.tls_cert, &a.tls_key) {
        config.tls = Some(load_tls(cert, key)?);
    }
    if config.tls.is_none() && !a.allow_plaintext {
        eprintln!(
            "mailfts imap: no TLS and no --allow-plaintext: only loopback clients can log in (LOGINDISABLED elsewhere)"
        );
    }
    mailfts_imap_glue::auth::read_passwd(&a.passwd)
        .with_context(|| format!("reading {}", a.passwd.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        eprintln!("mailfts imap: listening on {}", listener.local_addr()?);
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
        serve(
            listener,
            Arc::new(config),
            Arc::new(DirectIndexing::new()),
            shutdown,
        )
        .await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
