//! Server configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mailfts_query::exec::Mode;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::net::Cidr;
use crate::{ImapError, ImapObserver};

/// Everything [`crate::serve`] needs to know. Build it with [`ImapConfig::new`] and change fields.
#[derive(Clone)]
#[non_exhaustive]
pub struct ImapConfig {
    /// The passwd file (Dovecot format, see [`crate::auth`]). Read at every login, so edits
    /// (`mailfts user add`) apply at once.
    pub passwd_file: PathBuf,
    /// TLS: enables STARTTLS (or implicit TLS, see [`ImapConfig::implicit_tls`]).
    pub tls: Option<TlsAcceptor>,
    /// Speak TLS from the first byte (port 993 style) instead of offering STARTTLS.
    pub implicit_tls: bool,
    /// Allow LOGIN and AUTHENTICATE on any connection without TLS. Off by default: a client outside
    /// [`ImapConfig::trusted_networks`] is then told LOGINDISABLED until STARTTLS.
    pub allow_plaintext: bool,
    /// Networks whose connections count as secure without TLS, as Dovecot treats loopback: LOGIN
    /// and AUTHENTICATE PLAIN are allowed from them in the clear. Default: loopback
    /// (`127.0.0.0/8`, `::1`); empty means TLS everywhere (unless [`ImapConfig::allow_plaintext`]).
    pub trusted_networks: Vec<Cidr>,
    /// Let passwd entries with uid 0 log in. Off by default: a root user is refused at login, so
    /// that no session ever acts with root's rights on a home.
    pub allow_root_users: bool,
    /// How searches use the index: [`Mode::Exact`] or [`Mode::Index`], the same since schema 4
    /// (both give IMAP's answer).
    pub search_mode: Mode,
    /// Sizes, rates and timeouts.
    pub limits: Limits,
    /// Base delay of a failed login; it doubles with every further failure from the same client
    /// address (up to 16×) and is reset by a successful login.
    pub auth_failure_delay: Duration,
    /// How often an IDLE session looks for changes in its mailbox.
    pub idle_poll: Duration,
    /// Text of the greeting after `* OK`.
    pub greeting: String,
    /// Told about sessions, commands and logins (for metrics); `None` (the default) reports
    /// nothing. See [`ImapObserver`].
    pub observer: Option<Arc<dyn ImapObserver>>,
    /// How the stores of logged-in users write new mail (APPEND, COPY): `compress_new_mail`
    /// (none, zstd or gzip, so that Dovecot's zlib plugin reads it too). Default: uncompressed.
    pub store_options: mailfts_store::StoreOptions,
    /// The registry of open homes, to share it with the rest of the process (`mailfts serve`);
    /// its layout, bound and store options then apply and `store_options` is not used. `None`
    /// (the default): [`crate::serve`] makes one with the default [`crate::HomeLayout`],
    /// `store_options` and a bound of [`crate::homes::DEFAULT_MAX_OPEN_HOMES`].
    pub homes: Option<Arc<crate::homes::HomeRegistry>>,
}

/// Resource limits of one connection.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Limits {
    /// Longest command line (without literals), bytes.
    pub max_line: usize,
    /// Largest literal (an APPENDed message included). A bigger synchronizing literal is refused
    /// with `NO [TOOBIG]` before any of it is read; a bigger non-synchronizing one ends the
    /// connection (RFC 7888 §4).
    pub max_literal: u32,
    /// Largest whole command (lines and literals).
    pub max_command: usize,
    /// Logged-in connection without any command for this long is closed (RFC 3501: ≥ 30 min).
    pub idle_timeout: Duration,
    /// A connection that has not logged in within this time is closed.
    pub login_timeout: Duration,
    /// Commands per second a connection may send (averaged over a second; excess commands wait).
    /// `None` (the default): no limit.
    pub commands_per_second: Option<u32>,
    /// Concurrent connections of the listener.
    pub max_connections: usize,
    /// Concurrent connections from one client address (loopback included, unless listed in
    /// [`Limits::connection_limit_exempt`]). Default 20.
    pub max_connections_per_address: usize,
    /// Addresses the per-address connection limit does not apply to (default: none).
    pub connection_limit_exempt: Vec<Cidr>,
    /// Largest literal before login (LOGIN and AUTHENTICATE arguments), bytes; a bigger one is
    /// refused before any of it is read. Default 8 KiB, as Dovecot.
    pub max_preauth_literal: u32,
    /// Largest whole command before login (lines and literals). Default 64 KiB.
    pub max_preauth_command: usize,
    /// Server-wide budget of literal bytes being read, over all connections: a literal that
    /// would go past it is refused (`NO [UNAVAILABLE]`, or `BYE` for a non-synchronizing one)
    /// before any of it is read. Default 256 MiB.
    pub max_buffered_input: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 << 10,
            max_literal: 64 << 20,
            max_command: (64 << 20) + (1 << 20),
            idle_timeout: Duration::from_secs(30 * 60),
            login_timeout: Duration::from_secs(60),
            commands_per_second: None,
            max_connections: 1024,
            max_connections_per_address: 20,
            connection_limit_exempt: Vec::new(),
            max_preauth_literal: 8 << 10,
            max_preauth_command: 64 << 10,
            max_buffered_input: 256 << 20,
        }
    }
}

impl ImapConfig {
    /// Defaults: no TLS, plaintext login refused except from loopback, root users refused, exact search, default [`Limits`], 2 s failed-login
    /// delay, IDLE polls every second, no observer.
    pub fn new(passwd_file: impl Into<PathBuf>) -> ImapConfig {
        ImapConfig {
            passwd_file: passwd_file.into(),
            tls: None,
            implicit_tls: false,
            allow_plaintext: false,
            trusted_networks: Cidr::loopback(),
            allow_root_users: false,
            search_mode: Mode::Exact,
            limits: Limits::default(),
            auth_failure_delay: Duration::from_secs(2),
            idle_poll: Duration::from_secs(1),
            greeting: "mailfts IMAP4rev1 ready".into(),
            observer: None,
            store_options: mailfts_store::StoreOptions::default(),
            homes: None,
        }
    }
}

/// A TLS acceptor from a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1),
/// with rustls' safe defaults (TLS 1.2 and 1.3, the `ring` provider).
pub fn load_tls(cert: &Path, key: &Path) -> Result<TlsAcceptor, ImapError> {
    let err = |path: &Path, message: String| ImapError::Tls {
        path: path.to_path_buf(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| err(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(err(cert, "no certificate in the file".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| err(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| err(key, e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
