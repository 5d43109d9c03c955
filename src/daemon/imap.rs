//! The IMAP listeners: `imap-glue`'s server, one task per listener, with the daemon's indexing queue
//! as its save hooks. A client's APPEND, COPY, MOVE or EXPUNGE queues the mailbox like a delivery
//! does (debounced, one rescan per home), so the IMAP server never writes the index itself and the
//! home keeps one writer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use mailfts_imap_glue::{HomeRegistry, ImapConfig, SaveHooks};
use mailfts_query::exec::Mode;
use mailfts_store::StoreOptions;

use super::config::Config;
use super::indexing::Work;
use super::metrics::ImapMetrics;
use super::Daemon;

/// The IMAP server's configuration for the plain and the implicit-TLS listeners.
pub struct Listeners {
    /// For `imap.listen` (STARTTLS when a certificate is configured).
    pub plain: Arc<ImapConfig>,
    /// For `imap.tls_listen`, when any.
    pub tls: Option<Arc<ImapConfig>>,
}

/// How the homes' stores write new mail (`imap.compress_new_mail`).
pub fn store_options(cfg: &Config) -> anyhow::Result<StoreOptions> {
    Ok(StoreOptions {
        compress_new_mail: cfg
            .imap
            .compress_new_mail
            .parse()
            .map_err(|e| anyhow::anyhow!("imap.compress_new_mail: {e}"))?,
        ..StoreOptions::default()
    })
}

/// Builds the IMAP configuration from the daemon's; sessions, commands and logins are reported to
/// `metrics`, and homes are opened through the daemon's registry `homes`.
pub fn configure(
    cfg: &Config,
    metrics: Arc<ImapMetrics>,
    homes: Arc<HomeRegistry>,
) -> anyhow::Result<Listeners> {
    let passwd = cfg.passwd.clone().expect("validated");
    let mut plain = ImapConfig::new(passwd);
    plain.allow_plaintext = cfg.imap.allow_plaintext;
    if let Some(nets) = &cfg.imap.trusted_networks {
        plain.trusted_networks = nets
            .iter()
            .map(|n| n.parse())
            .collect::<Result<_, String>>()
            .map_err(|e| anyhow::anyhow!("imap.trusted_networks: {e}"))?;
    }
    plain.allow_root_users = cfg.imap.allow_root_users;
    if let Some(n) = cfg.imap.max_connections_per_address {
        plain.limits.max_connections_per_address = n;
    }
    plain.limits.commands_per_second = cfg.imap.commands_per_second;
    plain.observer = Some(metrics);
    plain.search_mode = match cfg.imap.search_mode.as_str() {
        "exact" => Mode::Exact,
        "index" => Mode::Index,
        other => bail!("imap.search_mode must be \"exact\" or \"index\", not {other:?}"),
    };
    if let Some(n) = cfg.imap.max_connections {
        plain.limits.max_connections = n;
    }
    plain.store_options = homes.store_options().clone();
    plain.homes = Some(homes);
    let acceptor = match (&cfg.tls.cert, &cfg.tls.key) {
        (Some(cert), Some(key)) => Some(
            mailfts_imap_glue::load_tls(cert, key)
                .with_context(|| format!("TLS certificate {}", cert.display()))?,
        ),
        (None, None) => None,
        _ => bail!("`tls.cert` and `tls.key` go together"),
    };
    if !cfg.imap.tls_listen.is_empty() && acceptor.is_none() {
        bail!("`imap.tls_listen` needs `tls.cert` and `tls.key`");
    }
    plain.tls = acceptor.clone();
    let tls = acceptor.map(|a| {
        let mut c = plain.clone();
        c.tls = Some(a);
        c.implicit_tls = true;
        Arc::new(c)
    });
    Ok(Listeners {
        plain: Arc::new(plain),
        tls,
    })
}

/// The daemon's queue as the IMAP server's save hooks.
pub struct QueueHooks {
    d: Arc<Daemon>,
    by_home: HashMap<PathBuf, String>,
}

impl QueueHooks {
    /// Hooks for the homes of `d`.
    pub fn new(d: Arc<Daemon>) -> QueueHooks {
        let by_home = d
            .homes
            .all()
            .map(|h| (h.home.clone(), h.user.clone()))
            .collect();
        QueueHooks { d, by_home }
    }

    fn queue(&self, home: &Path, mailbox: &str) {
        match self.by_home.get(home) {
            Some(user) => self.d.queue.push(
                user,
                Work::Mailbox(mailbox.to_string()),
                self.d.cfg.debounce(),
                None,
            ),
            None => {
                tracing::warn!(home = %home.display(), "IMAP change in a home the daemon does not serve")
            }
        }
    }
}

impl SaveHooks for QueueHooks {
    fn saved(&self, home: &Path, mailbox: &str, _uids: &[u32]) {
        self.queue(home, mailbox);
    }

    fn expunged(&self, home: &Path, mailbox: &str, _uids: &[u32]) {
        self.queue(home, mailbox);
    }

    fn flags_changed(&self, _home: &Path, _mailbox: &str, _uids: &[u32]) {
        // the index holds no flags: searches read them from the store
    }
}
