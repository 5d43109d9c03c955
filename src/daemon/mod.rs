//! `mailfts serve`: the daemon that keeps every home's index current and answers searches.
//!
//! One process per mail host. It reads the users and their homes from a passwd-file (with
//! [`mailfts_imap_glue::auth::read_passwd`], the rules IMAP logins use), then runs:
//!
//! * the **indexing workers** ([`indexing`]): a bounded pool draining a per-home queue of changed
//!   mailboxes, each home debounced into one incremental, chunked rescan under its own write lock;
//! * the **watcher** ([`watcher`]): inotify on every Maildir folder, so any delivery agent's
//!   tmp/ → new/ rename, moves, flag renames and deletions queue work without changing the delivery
//!   path; `mailfts hook saved` asks for the same explicitly over gRPC;
//! * the **startup and periodic checks**: per home, high-water marks against UIDNEXT and document
//!   counts against message counts; homes that differ are rescanned;
//! * the **integrity checks** (at startup and every `indexing.integrity_check_interval_secs`, and
//!   when a search meets damage): the full `mailfts check`; a damaged index is rebuilt in the
//!   background while its searches scan;
//! * the **gRPC service** ([`grpc`], `proto/mailfts.proto`) with health and reflection, on TCP
//!   (bearer token) and optionally a local socket for delivery agents;
//! * the **metrics endpoint** ([`metrics`]), Prometheus text;
//! * the **IMAP listeners** ([`imap`]): `imap-glue`'s server, with the indexing queue as its save
//!   hooks;
//! * the **Solr endpoint** ([`solr`]) for Dovecot 2.3's `fts_solr`: one index per Dovecot user
//!   under `solr.index_root`, answered with IMAP's substring semantics.
//!
//! Open homes are kept with a bound ([`mailfts_imap_glue::HomeRegistry`], shared with IMAP). SIGTERM or SIGINT stops the
//! listeners, lets running rescans reach their next commit, and exits 0.

pub mod config;
pub mod grpc;
pub mod homes;
pub mod imap;
pub mod indexing;
pub mod metrics;
pub mod pb;
pub mod shutdown;
pub mod solr;
pub mod watcher;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::net::TcpListener;
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;

use config::{Config, ServeArgs};
use homes::Homes;
use indexing::{Queue, Work};
use mailfts_imap_glue::HomeRegistry;
use metrics::{Gauges, Metrics};
use shutdown::Shutdown;

/// Everything the daemon's tasks share.
pub struct Daemon {
    /// The configuration.
    pub cfg: Config,
    /// The served homes.
    pub homes: Homes,
    /// Open homes (the same registry as the IMAP listeners').
    pub cache: Arc<HomeRegistry>,
    /// Pending indexing work.
    pub queue: Queue,
    /// Metrics registry.
    pub metrics: Metrics,
    /// The shutdown flag.
    pub shutdown: Shutdown,
    /// Start time.
    pub started: Instant,
    /// Directories watched.
    pub watched: AtomicUsize,
}

impl Daemon {
    /// A daemon for `cfg` serving `homes`, keeping them open in `cache` (nothing is started).
    pub fn new(cfg: Config, homes: Homes, cache: Arc<HomeRegistry>) -> Daemon {
        Daemon {
            cache,
            cfg,
            homes,
            queue: Queue::default(),
            metrics: Metrics::default(),
            shutdown: Shutdown::default(),
            started: Instant::now(),
            watched: AtomicUsize::new(0),
        }
    }

    /// Drops a user's home from the registry (its index was deleted or failed).
    pub fn evict(&self, user: &str) {
        if let Some(h) = self.homes.get(user) {
            self.cache.evict(&h.home);
        }
    }

    fn gauges(&self) -> Gauges {
        Gauges {
            open_indexes: self.cache.len(),
            queued_homes: self.queue.queued(),
            watched_directories: self.watched.load(Ordering::Relaxed),
            users: self.homes.len(),
        }
    }
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(args)?;
    // without a passwd-file (a Solr endpoint only) there are no homes to serve
    let users = match &cfg.passwd {
        Some(passwd) => mailfts_imap_glue::auth::read_passwd(passwd)?,
        None => Default::default(),
    };
    let token = cfg.token()?.map(Arc::<str>::from);
    let user_tokens: grpc::UserTokens = Arc::new(cfg.user_tokens()?);
    let imap_metrics = Arc::new(metrics::ImapMetrics::default());
    mailfts_indexer::column_cache::set_budget(cfg.limits.column_cache_mb << 20);
    mailfts_imap_glue::sortcache::set_budget(cfg.limits.sort_cache_mb << 20);
    // one registry of open homes for IMAP, gRPC, indexing and the watcher
    let cache = Arc::new(HomeRegistry::new(
        cfg.layout(),
        imap::store_options(&cfg)?,
        cfg.limits.max_open_indexes,
    ));
    let imap = if cfg.imap.listen.is_empty() && cfg.imap.tls_listen.is_empty() {
        None
    } else {
        Some(imap::configure(&cfg, imap_metrics.clone(), cache.clone())?)
    };
    let homes = Homes::new(users, &cfg);
    let mut daemon = Daemon::new(cfg, homes, cache);
    daemon.metrics.imap = imap_metrics;
    let daemon = Arc::new(daemon);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("mailfts-rt")
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(serve(daemon.clone(), token, user_tokens, imap))?;
    // blocking tasks (searches) end with their requests; do not wait for stuck ones
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    d: Arc<Daemon>,
    token: Option<Arc<str>>,
    user_tokens: grpc::UserTokens,
    imap: Option<imap::Listeners>,
) -> anyhow::Result<()> {
    shutdown::on_signals(d.shutdown.clone())?;
    let cfg = &d.cfg;
    // Bind everything first: a taken port is an error before any work starts.
    let grpc_listener = match cfg.grpc.listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("gRPC listener {addr}"))?,
        ),
        None => None,
    };
    let metrics_listener = match cfg.metrics.listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("metrics listener {addr}"))?,
        ),
        None => None,
    };
    let mut imap_listeners = Vec::new();
    if let Some(l) = &imap {
        for (addrs, config) in [
            (&cfg.imap.listen, Some(&l.plain)),
            (&cfg.imap.tls_listen, l.tls.as_ref()),
        ] {
            for addr in addrs {
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("IMAP listener {addr}"))?;
                imap_listeners.push((listener, config.expect("validated").clone()));
            }
        }
    }
    let solr_listener = match cfg.solr.listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("Solr listener {addr}"))?,
        ),
        None => None,
    };
    let socket_listener = match &cfg.grpc.socket {
        Some(path) => Some(bind_socket(path, cfg.grpc.socket_mode.as_deref())?),
        None => None,
    };

    let workers = indexing::start_workers(&d, cfg.indexing.workers);
    let watcher = if cfg.indexing.watch {
        Some(watcher::start(d.clone())?)
    } else {
        None
    };
    // the full integrity check of every index runs at startup (in the workers, in the background),
    // before the startup check: a damaged index is rebuilt rather than rescanned into, and a home
    // without an index is not checked in full right after its first build (the generated 1M
    // home's check then read 851 MB of new index files, and mapped them beside the daemon's own)
    for home in d.homes.all() {
        d.queue
            .push(&home.user, Work::Integrity, Duration::ZERO, None);
    }
    if cfg.indexing.startup_check {
        for home in d.homes.all() {
            d.queue.push(&home.user, Work::Check, Duration::ZERO, None);
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    if cfg.indexing.integrity_check_interval_secs > 0 {
        let d = d.clone();
        tasks.spawn(async move {
            let every = Duration::from_secs(d.cfg.indexing.integrity_check_interval_secs);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = d.shutdown.wait() => return Ok(()),
                }
                for home in d.homes.all() {
                    d.queue
                        .push(&home.user, Work::Integrity, Duration::ZERO, None);
                }
            }
        });
    }
    if cfg.indexing.check_interval_secs > 0 {
        let d = d.clone();
        tasks.spawn(async move {
            let every = Duration::from_secs(d.cfg.indexing.check_interval_secs);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = d.shutdown.wait() => return Ok(()),
                }
                for home in d.homes.all() {
                    d.queue.push(&home.user, Work::Check, Duration::ZERO, None);
                }
            }
        });
    }

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<pb::mailfts_server::MailftsServer<grpc::Api>>()
        .await;
    if let Some(listener) = grpc_listener {
        let addr = listener.local_addr()?;
        let t = token.clone();
        let mtls = cfg.tls.grpc && cfg.tls.client_ca.is_some();
        let auth =
            move |req: tonic::Request<()>| grpc::authorize(t.as_deref(), mtls, &req).map(|()| req);
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;
        let router = grpc_builder(cfg, token.is_some())?
            .add_service(health.clone())
            .add_service(InterceptedService::new(reflection_v1, auth.clone()))
            .add_service(InterceptedService::new(reflection_v1alpha, auth))
            .add_service(pb::mailfts_server::MailftsServer::new(
                grpc::Api::new(d.clone(), token.clone(), false)
                    .with_user_tokens(user_tokens.clone()),
            ));
        let sd = d.shutdown.clone();
        tasks.spawn(async move {
            router
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
                    sd.wait().await
                })
                .await
                .context("gRPC server")
        });
        let tls = if cfg.tls.grpc { " (TLS)" } else { "" };
        println!("mailfts: grpc listening on {addr}{tls}");
    }
    if let Some(listener) = socket_listener {
        let router = Server::builder().add_service(health.clone()).add_service(
            pb::mailfts_server::MailftsServer::new(
                grpc::Api::new(d.clone(), token.clone(), true).with_user_tokens(user_tokens),
            ),
        );
        let sd = d.shutdown.clone();
        let path = cfg.grpc.socket.clone().expect("set");
        tasks.spawn(async move {
            let r = router
                .serve_with_incoming_shutdown(UnixListenerStream::new(listener), async move {
                    sd.wait().await
                })
                .await
                .context("gRPC local socket");
            let _ = std::fs::remove_file(&path);
            r
        });
        println!(
            "mailfts: grpc socket at {}",
            cfg.grpc.socket.as_ref().expect("set").display()
        );
    }
    if !imap_listeners.is_empty() {
        let hooks: Arc<dyn mailfts_imap_glue::SaveHooks> =
            Arc::new(imap::QueueHooks::new(d.clone()));
        let cancel = tokio_util::sync::CancellationToken::new();
        let (sd, c) = (d.shutdown.clone(), cancel.clone());
        tokio::spawn(async move {
            sd.wait().await;
            c.cancel();
        });
        for (listener, config) in imap_listeners {
            let addr = listener.local_addr()?;
            let kind = if config.implicit_tls { "imaps" } else { "imap" };
            let (hooks, cancel) = (hooks.clone(), cancel.clone());
            tasks.spawn(async move {
                mailfts_imap_glue::serve(listener, config, hooks, cancel)
                    .await
                    .with_context(|| format!("IMAP listener {addr}"))
            });
            println!("mailfts: {kind} listening on {addr}");
        }
    }
    if let Some(listener) = solr_listener {
        let addr = listener.local_addr()?;
        let root = cfg.solr.index_root.clone().expect("validated");
        let endpoint = Arc::new(solr::http::Endpoint {
            indexes: solr::index::Indexes::open(&root)?,
            max_body: cfg.solr.max_request_bytes,
            authorization: cfg.solr_authorization()?,
            tls: if cfg.solr.tls {
                Some(mailfts_imap_glue::load_tls(
                    cfg.tls.cert.as_deref().expect("validated"),
                    cfg.tls.key.as_deref().expect("validated"),
                )?)
            } else {
                None
            },
            // 0: at startup only
            integrity_every: match cfg.indexing.integrity_check_interval_secs {
                0 => Duration::MAX,
                secs => Duration::from_secs(secs),
            },
        });
        let sd = d.shutdown.clone();
        tasks.spawn(async move {
            solr::http::serve(listener, endpoint, sd).await;
            Ok(())
        });
        let scheme = if cfg.solr.tls { "https" } else { "http" };
        println!(
            "mailfts: solr listening on {addr} ({scheme}, indexes in {})",
            root.display()
        );
    }
    if let Some(listener) = metrics_listener {
        let addr = listener.local_addr()?;
        let dm = d.clone();
        let render: Arc<dyn Fn() -> String + Send + Sync> =
            Arc::new(move || dm.metrics.render(&dm.gauges()));
        let sd = d.shutdown.clone();
        tasks.spawn(async move {
            metrics::serve(listener, render, sd).await;
            Ok(())
        });
        println!("mailfts: metrics listening on {addr}");
    }
    println!(
        "mailfts: serving {} users, {} indexing workers",
        d.homes.len(),
        cfg.indexing.workers
    );
    tracing::info!(users = d.homes.len(), "mailfts serve ready");

    // Run until a signal, or until a listener fails.
    let mut failure = None;
    tokio::select! {
        _ = d.shutdown.wait() => {}
        Some(r) = tasks.join_next() => {
            if let Ok(Err(e)) = r {
                failure = Some(e);
            }
            d.shutdown.trigger();
        }
    }
    health_reporter
        .set_not_serving::<pb::mailfts_server::MailftsServer<grpc::Api>>()
        .await;
    // Listeners stop accepting; workers finish the rescan chunk they are in (it commits).
    d.queue.stop();
    let grace = Duration::from_secs(d.cfg.limits.shutdown_grace_secs.max(1));
    let joined = tokio::task::spawn_blocking(move || {
        for w in workers {
            let _ = w.join();
        }
        if let Some(w) = watcher {
            let _ = w.join();
        }
    });
    let rescans = async {
        // admin rescans stop at their next commit once the shutdown flag is up
        while d.metrics.rescan_running.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = joined.await;
    };
    if tokio::time::timeout(grace, rescans).await.is_err() {
        tracing::warn!("indexing did not stop within the grace period; exiting anyway (the next start resumes from the last commit)");
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if let Some(e) = failure {
        return Err(e);
    }
    tracing::info!("stopped");
    Ok(())
}

/// The gRPC server builder of the TCP listener: TLS with `tls.cert`/`tls.key` when `tls.grpc`, and
/// client certificates from `tls.client_ca` (optional when a token also authenticates).
fn grpc_builder(cfg: &Config, has_token: bool) -> anyhow::Result<Server> {
    use tonic::transport::{Certificate, Identity, ServerTlsConfig};
    let builder = Server::builder();
    if !cfg.tls.grpc {
        return Ok(builder);
    }
    let read =
        |p: &std::path::Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    let (cert, key) = (
        cfg.tls.cert.as_deref().expect("validated"),
        cfg.tls.key.as_deref().expect("validated"),
    );
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
    if let Some(ca) = &cfg.tls.client_ca {
        tls = tls
            .client_ca_root(Certificate::from_pem(read(ca)?))
            .client_auth_optional(has_token);
    }
    builder.tls_config(tls).context("gRPC TLS configuration")
}

/// Binds the local gRPC socket, replacing a stale one, with the configured file mode.
fn bind_socket(
    path: &std::path::Path,
    mode: Option<&str>,
) -> anyhow::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            bail!("{} is in use by a running daemon", path.display());
        }
        std::fs::remove_file(path).with_context(|| format!("removing stale {}", path.display()))?;
    }
    let listener = tokio::net::UnixListener::bind(path)
        .with_context(|| format!("gRPC socket {}", path.display()))?;
    let mode = u32::from_str_radix(mode.unwrap_or("0660").trim_start_matches("0o"), 8)
        .context("grpc.socket_mode must be octal, e.g. \"0660\"")?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(listener)
}
