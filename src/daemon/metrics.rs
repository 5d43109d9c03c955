//! Counters, gauges and histograms of the daemon, served as Prometheus text (exposition format
//! 0.0.4) on `GET /metrics` of the metrics listener (HTTP/1.1 by hyper). The exposition is
//! written here from a handful of atomics and maps, no metrics framework.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `mailfts_search_duration_seconds` | histogram | `plan` (`index`, `scan`, `mixed`) |
//! | `mailfts_documents_indexed_total`, `mailfts_bytes_indexed_total` | counter | |
//! | `mailfts_documents_removed_total`, `mailfts_index_commits_total` | counter | |
//! | `mailfts_mailbox_checks_total` | counter | | mailboxes the indexing workers synced and compared with the index |
//! | `mailfts_index_problems_total` | counter | `kind` (decoding problems of indexed messages) |
//! | `mailfts_index_damage_detected_total` | counter | | damaged indexes detected (each is rebuilt) |
//! | `mailfts_extraction_failures` | gauge | `format` (from the indexes' metadata, summed over homes) |
//! | `mailfts_rescan_running`, `mailfts_rescan_messages_done`, `mailfts_rescan_messages_total` | gauge | |
//! | `mailfts_imap_sessions_total`, `mailfts_imap_sessions_active` | counter, gauge | |
//! | `mailfts_imap_commands_total` | counter | `command`, `status` |
//! | `mailfts_imap_command_duration_seconds` | histogram | `command` |
//! | `mailfts_imap_logins_total` | counter | `result` (`ok`, `failed`) |
//! | `mailfts_grpc_calls_total` | counter | `method`, `code` |
//! | `mailfts_open_indexes`, `mailfts_index_queue_homes`, `mailfts_watched_directories`, `mailfts_users` | gauge | |

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mailfts_imap_glue::{CommandStatus, ImapObserver};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::shutdown::Shutdown;

/// Upper bounds (seconds) of the search and IMAP command latency buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// Counters the IMAP server bumps: sessions, commands and logins. It is the IMAP listeners'
/// [`ImapObserver`] (set in [`super::imap::configure`]).
#[derive(Default)]
pub struct ImapMetrics {
    sessions_total: AtomicU64,
    sessions_active: AtomicI64,
    commands: Mutex<BTreeMap<(String, &'static str), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
}

impl ImapObserver for ImapMetrics {
    fn session_opened(&self, _peer: SocketAddr, _tls: bool) {
        self.sessions_total.fetch_add(1, Relaxed);
        self.sessions_active.fetch_add(1, Relaxed);
    }

    fn session_closed(&self, _peer: SocketAddr, _duration: Duration) {
        self.sessions_active.fetch_sub(1, Relaxed);
    }

    /// A command completed: its name (`SEARCH`, `UID FETCH`), status and latency.
    fn command(&self, name: &str, status: CommandStatus, elapsed: Duration) {
        let name = name.to_ascii_uppercase();
        lock(&self.latency)
            .entry(name.clone())
            .or_default()
            .observe(elapsed.as_secs_f64());
        *lock(&self.commands)
            .entry((name, status.as_str()))
            .or_default() += 1;
    }

    fn login(&self, ok: bool) {
        let counter = if ok {
            &self.logins_ok
        } else {
            &self.logins_failed
        };
        counter.fetch_add(1, Relaxed);
    }
}

/// The daemon's metrics registry.
#[derive(Default)]
pub struct Metrics {
    search: Mutex<BTreeMap<&'static str, Histogram>>,
    docs_indexed: AtomicU64,
    docs_removed: AtomicU64,
    bytes_indexed: AtomicU64,
    commits: AtomicU64,
    problems: Mutex<BTreeMap<String, u64>>,
    damage: AtomicU64,
    mailbox_checks: AtomicU64,
    failures: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    /// Running admin rescans.
    pub rescan_running: AtomicI64,
    /// Messages processed by the running admin rescans.
    pub rescan_done: AtomicU64,
    /// Messages known to be processed by the running admin rescans.
    pub rescan_total: AtomicU64,
    grpc: Mutex<BTreeMap<(&'static str, String), u64>>,
    /// IMAP sessions and commands.
    pub imap: Arc<ImapMetrics>,
}

/// Gauges read from the daemon's state when the endpoint is scraped.
pub struct Gauges {
    /// Open indexes in the cache.
    pub open_indexes: usize,
    /// Homes with queued indexing work.
    pub queued_homes: usize,
    /// Directories watched.
    pub watched_directories: usize,
    /// Users served.
    pub users: usize,
}

impl Metrics {
    /// One search took `elapsed`, answered by `plan`.
    pub fn search(&self, plan: &'static str, elapsed: Duration) {
        lock(&self.search)
            .entry(plan)
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// A rescan (incremental or admin) finished or checkpointed.
    pub fn indexed(&self, stats: &mailfts_indexer::rescan::RescanStats) {
        self.docs_indexed.fetch_add(stats.added, Relaxed);
        self.docs_removed.fetch_add(stats.removed, Relaxed);
        self.bytes_indexed.fetch_add(stats.bytes, Relaxed);
        self.commits.fetch_add(1, Relaxed);
        if !stats.problems.is_empty() {
            let mut p = lock(&self.problems);
            for (k, v) in &stats.problems {
                *p.entry(k.clone()).or_default() += v;
            }
        }
    }

    /// A damaged index was detected (by a check or a search) and is being rebuilt.
    pub fn damage_detected(&self) {
        self.damage.fetch_add(1, Relaxed);
    }

    /// An indexing worker synced a mailbox and compared it with the index (a directory listing
    /// when the mailbox changed: what the watcher's events cost).
    pub fn mailbox_checked(&self) {
        self.mailbox_checks.fetch_add(1, Relaxed);
    }

    /// Documents indexed since start.
    pub fn documents_indexed(&self) -> u64 {
        self.docs_indexed.load(Relaxed)
    }

    /// The extraction failures recorded in one home's index metadata.
    pub fn set_failures(&self, user: &str, failures: &BTreeMap<String, u64>) {
        let mut f = lock(&self.failures);
        if failures.is_empty() {
            f.remove(user);
        } else {
            f.insert(user.to_string(), failures.clone());
        }
    }

    /// A gRPC call ended with `code`.
    pub fn grpc(&self, method: &'static str, code: tonic::Code) {
        *lock(&self.grpc)
            .entry((method, format!("{code:?}")))
            .or_default() += 1;
    }

    /// The exposition text.
    pub fn render(&self, g: &Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let o = &mut out;
        header(o, "mailfts_search_duration_seconds", "histogram", "Search latency by plan: index, scan (no usable index or scan requested), mixed (some mailboxes each).");
        for (plan, h) in lock(&self.search).iter() {
            histogram(o, "mailfts_search_duration_seconds", "plan", plan, h);
        }
        scalar(
            o,
            "mailfts_documents_indexed_total",
            "counter",
            "Documents added to indexes.",
            self.docs_indexed.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_documents_removed_total",
            "counter",
            "Documents removed from indexes (expunged mail).",
            self.docs_removed.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_bytes_indexed_total",
            "counter",
            "Raw message bytes indexed.",
            self.bytes_indexed.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_mailbox_checks_total",
            "counter",
            "Mailboxes the indexing workers synced and compared with the index.",
            self.mailbox_checks.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_index_commits_total",
            "counter",
            "Rescans that committed (incremental and admin).",
            self.commits.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_index_damage_detected_total",
            "counter",
            "Damaged indexes detected (integrity checks, searches); each is rebuilt from the mail store.",
            self.damage.load(Relaxed),
        );
        header(
            o,
            "mailfts_index_problems_total",
            "counter",
            "Messages indexed with decoding problems, by kind.",
        );
        for (k, v) in lock(&self.problems).iter() {
            let _ = writeln!(
                o,
                "mailfts_index_problems_total{{kind=\"{}\"}} {v}",
                escape(k)
            );
        }
        header(
            o,
            "mailfts_extraction_failures",
            "gauge",
            "Extraction failures by format, from the index metadata of the homes seen since start.",
        );
        let mut by_format: BTreeMap<&str, u64> = BTreeMap::new();
        let failures = lock(&self.failures);
        for f in failures.values() {
            for (k, v) in f {
                *by_format.entry(k).or_default() += v;
            }
        }
        for (k, v) in by_format {
            let _ = writeln!(
                o,
                "mailfts_extraction_failures{{format=\"{}\"}} {v}",
                escape(k)
            );
        }
        drop(failures);
        scalar(
            o,
            "mailfts_rescan_running",
            "gauge",
            "Admin rescans running.",
            self.rescan_running.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_rescan_messages_done",
            "gauge",
            "Messages processed by the running admin rescans.",
            self.rescan_done.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_rescan_messages_total",
            "gauge",
            "Messages known to be processed by the running admin rescans.",
            self.rescan_total.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_imap_sessions_total",
            "counter",
            "IMAP connections accepted.",
            self.imap.sessions_total.load(Relaxed),
        );
        scalar(
            o,
            "mailfts_imap_sessions_active",
            "gauge",
            "IMAP connections open.",
            self.imap.sessions_active.load(Relaxed),
        );
        header(
            o,
            "mailfts_imap_commands_total",
            "counter",
            "IMAP commands by name and status.",
        );
        for ((c, s), v) in lock(&self.imap.commands).iter() {
            let _ = writeln!(
                o,
                "mailfts_imap_commands_total{{command=\"{}\",status=\"{}\"}} {v}",
                escape(c),
                escape(s)
            );
        }
        header(
            o,
            "mailfts_imap_command_duration_seconds",
            "histogram",
            "IMAP command latency by command, from the command read to its tagged response sent (IDLE: until DONE).",
        );
        for (c, h) in lock(&self.imap.latency).iter() {
            histogram(
                o,
                "mailfts_imap_command_duration_seconds",
                "command",
                &escape(c),
                h,
            );
        }
        header(
            o,
            "mailfts_imap_logins_total",
            "counter",
            "IMAP logins that checked credentials, by result.",
        );
        let _ = writeln!(
            o,
            "mailfts_imap_logins_total{{result=\"ok\"}} {}\nmailfts_imap_logins_total{{result=\"failed\"}} {}",
            self.imap.logins_ok.load(Relaxed),
            self.imap.logins_failed.load(Relaxed)
        );
        header(
            o,
            "mailfts_grpc_calls_total",
            "counter",
            "gRPC calls by method and status code.",
        );
        for ((m, c), v) in lock(&self.grpc).iter() {
            let _ = writeln!(
                o,
                "mailfts_grpc_calls_total{{method=\"{m}\",code=\"{c}\"}} {v}"
            );
        }
        scalar(
            o,
            "mailfts_open_indexes",
            "gauge",
            "Home indexes open in the cache.",
            g.open_indexes,
        );
        scalar(
            o,
            "mailfts_index_queue_homes",
            "gauge",
            "Homes with queued indexing work.",
            g.queued_homes,
        );
        scalar(
            o,
            "mailfts_watched_directories",
            "gauge",
            "Maildir directories watched with inotify.",
            g.watched_directories,
        );
        scalar(
            o,
            "mailfts_users",
            "gauge",
            "Users in the passwd-file.",
            g.users,
        );
        out
    }
}

/// The bucket, sum and count lines of one labelled histogram (`value` already escaped).
fn histogram(o: &mut String, name: &str, label: &str, value: &str, h: &Histogram) {
    let mut cum = 0;
    for (b, c) in BUCKETS.iter().zip(h.counts) {
        cum += c;
        let _ = writeln!(o, "{name}_bucket{{{label}=\"{value}\",le=\"{b}\"}} {cum}");
    }
    let _ = writeln!(
        o,
        "{name}_bucket{{{label}=\"{value}\",le=\"+Inf\"}} {}",
        h.count
    );
    let _ = writeln!(o, "{name}_sum{{{label}=\"{value}\"}} {}", h.sum);
    let _ = writeln!(o, "{name}_count{{{label}=\"{value}\"}} {}", h.count);
}

fn header(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn scalar(o: &mut String, name: &str, kind: &str, help: &str, v: impl std::fmt::Display) {
    header(o, name, kind, help);
    let _ = writeln!(o, "{name} {v}");
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Serves `GET /metrics` (and `GET /` as a pointer) over HTTP/1.1 (hyper) until shutdown; one
/// request per connection.
pub async fn serve(
    listener: TcpListener,
    render: Arc<dyn Fn() -> String + Send + Sync>,
    shutdown: Shutdown,
) {
    loop {
        let (conn, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.wait() => return,
        };
        let render = render.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let response = respond(&req, render.as_ref());
                async move { Ok::<_, Infallible>(response) }
            });
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .keep_alive(false)
                .serve_connection(TokioIo::new(conn), service)
                .await;
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "metrics connection ended");
            }
        });
    }
}

/// The answer to one request: the exposition on `GET /metrics`, a pointer on `GET /`, 404 for
/// other paths and 405 for other methods.
fn respond<B>(
    req: &Request<B>,
    render: &(dyn Fn() -> String + Send + Sync),
) -> Response<Full<Bytes>> {
    let (status, ctype, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => (
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            render(),
        ),
        (&Method::GET, "/") => (
            StatusCode::OK,
            "text/plain; charset=utf-8",
            "mailfts: metrics at /metrics\n".to_string(),
        ),
        (&Method::GET, _) => (StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".into(),
        ),
    };
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, ctype)
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_cumulative_buckets() {
        let m = Metrics::default();
        m.search("index", Duration::from_micros(300));
        m.search("index", Duration::from_millis(3));
        m.grpc("Search", tonic::Code::Ok);
        m.imap
            .command("uid search", CommandStatus::Ok, Duration::from_millis(2));
        m.imap.login(false);
        let text = m.render(&Gauges {
            open_indexes: 1,
            queued_homes: 0,
            watched_directories: 3,
            users: 1,
        });
        assert!(
            text.contains("mailfts_search_duration_seconds_bucket{plan=\"index\",le=\"0.0005\"} 1")
        );
        assert!(
            text.contains("mailfts_search_duration_seconds_bucket{plan=\"index\",le=\"0.005\"} 2")
        );
        assert!(text.contains("mailfts_search_duration_seconds_count{plan=\"index\"} 2"));
        assert!(text.contains("mailfts_grpc_calls_total{method=\"Search\",code=\"Ok\"} 1"));
        assert!(
            text.contains("mailfts_imap_commands_total{command=\"UID SEARCH\",status=\"OK\"} 1")
        );
        assert!(text.contains(
            "mailfts_imap_command_duration_seconds_bucket{command=\"UID SEARCH\",le=\"0.0025\"} 1"
        ));
        assert!(
            text.contains("mailfts_imap_command_duration_seconds_count{command=\"UID SEARCH\"} 1")
        );
        assert!(text.contains("mailfts_imap_logins_total{result=\"failed\"} 1"));
    }

    #[test]
    fn http_answers_get_metrics_and_closes() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let shutdown = Shutdown::default();
            let server = tokio::spawn(serve(
                listener,
                Arc::new(|| "mailfts_users 1\n".to_string()),
                shutdown.clone(),
            ));
            let ask = |request: &'static str| async move {
                let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
                c.write_all(request.as_bytes()).await.unwrap();
                let mut answer = String::new();
                c.read_to_string(&mut answer).await.unwrap(); // the server closes
                answer
            };
            let metrics = ask("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n").await;
            assert!(metrics.starts_with("HTTP/1.1 200 OK\r\n"), "{metrics}");
            assert!(metrics.contains("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"));
            assert!(metrics.ends_with("\r\n\r\nmailfts_users 1\n"), "{metrics}");
            let root = ask("GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
            assert!(root.ends_with("mailfts: metrics at /metrics\n"), "{root}");
            let other = ask("GET /other HTTP/1.1\r\nHost: x\r\n\r\n").await;
            assert!(other.starts_with("HTTP/1.1 404 Not Found\r\n"), "{other}");
            let post = ask("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").await;
            assert!(
                post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
                "{post}"
            );
            shutdown.trigger();
            server.await.unwrap();
        });
    }
}
