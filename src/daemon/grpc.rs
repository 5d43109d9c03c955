//! The gRPC service `mailfts.v1.Mailfts` (see `proto/mailfts.proto`), its authentication and the
//! admin rescan job behind `Rescan`.
//!
//! Every call is authorized first: a bearer token compared in constant time — the admin token, or a
//! per-user token (`grpc.user_tokens_file`) whose calls may name only its own user ([`Scope`]) —
//! except on the local socket, where `IndexMessages` and `Status` need none (the socket's file mode decides who may call).
//! Blocking work (store syncs, index reads and writes) runs on tokio's blocking pool; searches are
//! bounded by `limits.max_concurrent_searches`. Each call is counted by method and status code.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mailfts_query::exec::{Engine, Mode};
use mailfts_query::parse::parse_program;
use mailfts_query::SearchError;
use mailfts_store::StoreError;
use tokio::sync::{mpsc, Semaphore};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Response, Status};

use super::homes::{self, HomeState};
use super::indexing::{self, Counters, Waiter, Work};
use super::pb;
use super::pb::mailfts_server::Mailfts;
use super::Daemon;

/// Compares two byte strings in time that depends only on their lengths (`subtle`).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// The token of the `authorization: Bearer <token>` metadata.
fn bearer(md: &MetadataMap) -> Option<&str> {
    md.get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Checks the `authorization: Bearer <token>` metadata against `token` (`None`: no token needed).
pub fn check_token(token: Option<&str>, md: &MetadataMap) -> Result<(), Status> {
    let Some(token) = token else {
        return Ok(());
    };
    match bearer(md) {
        Some(sent) if ct_eq(sent.as_bytes(), token.as_bytes()) => Ok(()),
        Some(_) => Err(Status::unauthenticated("wrong bearer token")),
        None => Err(Status::unauthenticated(
            "missing `authorization: Bearer <token>` metadata",
        )),
    }
}

/// Authorizes a call on the TCP listener: a client certificate verified against `tls.client_ca`
/// (when `mtls`), or the bearer token.
pub fn authorize<T>(token: Option<&str>, mtls: bool, req: &Request<T>) -> Result<(), Status> {
    if mtls && req.peer_certs().is_some_and(|c| !c.is_empty()) {
        return Ok(());
    }
    if mtls && token.is_none() {
        return Err(Status::unauthenticated("a client certificate is required"));
    }
    check_token(token, req.metadata())
}

/// What an authorized caller may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything: the admin token, a client certificate (mTLS), the local socket's own calls, or
    /// a listener without a token.
    Admin,
    /// Calls about this user only (a per-user token of `grpc.user_tokens_file`): no `all_users`.
    User(String),
}

impl Scope {
    /// Allows a call about `user` (and, with `all_users`, about everyone).
    pub fn permits(&self, user: &str, all_users: bool) -> Result<(), Status> {
        match self {
            Scope::Admin => Ok(()),
            Scope::User(own) if !all_users && own == user => Ok(()),
            Scope::User(_) => Err(Status::permission_denied(
                "this token is scoped to one user",
            )),
        }
    }
}

/// Per-user tokens: (user, token) pairs from `grpc.user_tokens_file`.
pub type UserTokens = Arc<Vec<(String, String)>>;

/// The user whose per-user token the call carries, if any (compared in constant time).
pub fn user_of_token(user_tokens: &[(String, String)], md: &MetadataMap) -> Option<String> {
    let sent = bearer(md)?;
    let mut found = None;
    for (user, token) in user_tokens {
        if ct_eq(sent.as_bytes(), token.as_bytes()) && found.is_none() {
            found = Some(user.clone());
        }
    }
    found
}

/// Authorizes a call on the TCP listener and says what it may do: a per-user token gives
/// [`Scope::User`]; a client certificate or the admin token (see [`authorize`]) gives
/// [`Scope::Admin`].
pub fn scope_of<T>(
    token: Option<&str>,
    user_tokens: &[(String, String)],
    mtls: bool,
    req: &Request<T>,
) -> Result<Scope, Status> {
    if let Some(user) = user_of_token(user_tokens, req.metadata()) {
        return Ok(Scope::User(user));
    }
    authorize(token, mtls, req).map(|()| Scope::Admin)
}

/// The service.
pub struct Api {
    d: Arc<Daemon>,
    token: Option<Arc<str>>,
    /// Per-user tokens (scoped to their user).
    user_tokens: UserTokens,
    /// Serves the local socket.
    local: bool,
    /// A client certificate verified against `tls.client_ca` authenticates (mTLS).
    mtls: bool,
    searches: Arc<Semaphore>,
}

impl Api {
    /// The service for the TCP listener (`local` false) or the local socket.
    pub fn new(d: Arc<Daemon>, token: Option<Arc<str>>, local: bool) -> Api {
        let n = d.cfg.limits.max_concurrent_searches.max(1);
        let mtls = !local && d.cfg.tls.grpc && d.cfg.tls.client_ca.is_some();
        Api {
            d,
            token,
            user_tokens: Arc::default(),
            local,
            mtls,
            searches: Arc::new(Semaphore::new(n)),
        }
    }

    /// With per-user tokens: each scoped to its user (see [`Scope`]).
    pub fn with_user_tokens(mut self, user_tokens: UserTokens) -> Api {
        self.user_tokens = user_tokens;
        self
    }

    fn authorize<T>(&self, req: &Request<T>, local_ok: bool) -> Result<Scope, Status> {
        if self.local && local_ok {
            return Ok(Scope::Admin);
        }
        scope_of(self.token.as_deref(), &self.user_tokens, self.mtls, req)
    }

    fn home(&self, user: &str) -> Result<Arc<HomeState>, Status> {
        if user.is_empty() {
            return Err(Status::invalid_argument("no user given"));
        }
        self.d
            .homes
            .get(user)
            .ok_or_else(|| Status::not_found(format!("unknown user {user:?}")))
    }

    fn users(&self, user: &str, all: bool) -> Result<Vec<Arc<HomeState>>, Status> {
        if all {
            Ok(self.d.homes.all().cloned().collect())
        } else {
            Ok(vec![self.home(user)?])
        }
    }

    fn record<T>(&self, method: &'static str, r: Result<T, Status>) -> Result<T, Status> {
        let code = r.as_ref().map_or_else(Status::code, |_| Code::Ok);
        self.d.metrics.grpc(method, code);
        if let Err(e) = &r {
            tracing::debug!(method, code = ?e.code(), message = e.message(), "gRPC call failed");
        }
        r
    }
}

fn internal(e: impl std::fmt::Display) -> Status {
    Status::internal(e.to_string())
}

fn blocking_failed(e: tokio::task::JoinError) -> Status {
    Status::internal(format!("worker failed: {e}"))
}

fn store_status(e: &StoreError) -> Status {
    match e {
        StoreError::MailboxNotFound { .. } => Status::not_found(e.to_string()),
        StoreError::InvalidMailboxName { .. } => Status::invalid_argument(e.to_string()),
        _ => Status::internal(e.to_string()),
    }
}

fn mode_of(m: i32) -> Mode {
    match pb::SearchMode::try_from(m).unwrap_or_default() {
        pb::SearchMode::Exact => Mode::Exact,
        pb::SearchMode::Scan => Mode::Scan,
        pb::SearchMode::Unspecified | pb::SearchMode::Index => Mode::Index,
    }
}

/// The wire form of `s`, with `mailboxes` counted by the caller.
fn stats_pb(s: &mailfts_indexer::rescan::RescanStats, mailboxes: u64) -> pb::RescanStats {
    pb::RescanStats {
        mailboxes,
        ..s.into()
    }
}

type RescanStream = Pin<Box<dyn Stream<Item = Result<pb::RescanProgress, Status>> + Send>>;

/// Implements the service: each method runs its `Api::*_impl` and counts the call under the
/// method's wire name ([`Api::record`]).
macro_rules! service {
    ($($method:ident($req:ty) -> $resp:ty = $imp:ident, $name:literal;)*) => {
        #[tonic::async_trait]
        impl Mailfts for Api {
            type RescanStream = RescanStream;
            $(
                async fn $method(
                    &self,
                    request: Request<$req>,
                ) -> Result<Response<$resp>, Status> {
                    let r = self.$imp(request).await;
                    self.record($name, r)
                }
            )*
        }
    };
}

service! {
    search(pb::SearchRequest) -> pb::SearchResponse = search_impl, "Search";
    index_messages(pb::IndexMessagesRequest) -> pb::IndexMessagesResponse = index_messages_impl, "IndexMessages";
    rescan(pb::RescanRequest) -> RescanStream = rescan_impl, "Rescan";
    status(pb::StatusRequest) -> pb::StatusResponse = status_impl, "Status";
    optimize(pb::OptimizeRequest) -> pb::OptimizeResponse = optimize_impl, "Optimize";
    delete_index(pb::DeleteIndexRequest) -> pb::DeleteIndexResponse = delete_index_impl, "DeleteIndex";
}

impl Api {
    async fn search_impl(
        &self,
        request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchResponse>, Status> {
        let scope = self.authorize(&request, false)?;
        let started = Instant::now();
        let q = request.into_inner();
        scope.permits(&q.user, false)?;
        let home = self.home(&q.user)?;
        if q.query.len() > self.d.cfg.limits.max_query_bytes {
            return Err(Status::invalid_argument(format!(
                "search program of {} bytes is longer than the limit of {} bytes",
                q.query.len(),
                self.d.cfg.limits.max_query_bytes
            )));
        }
        let program = parse_program(&q.query)
            .map_err(|e| Status::invalid_argument(format!("bad search program: {e}")))?;
        let parse_ms = started.elapsed().as_secs_f64() * 1e3;
        let _permit = self
            .searches
            .clone()
            .acquire_owned()
            .await
            .map_err(internal)?;
        let d = self.d.clone();
        let mode = mode_of(q.mode);
        let home_user = home.user.clone();
        let answers = tokio::task::spawn_blocking(move || {
            let open = open_home(&d, &home)?;
            let index = open.index_status().map_err(|e| e.to_string());
            let engine = match &index {
                Ok(Some(index)) => Engine::new(&open.store, Some(index)),
                Ok(None) => Engine::without_index(&open.store, "no index yet"),
                Err(e) if e.contains(" is damaged: ") => Engine::without_index(
                    &open.store,
                    format!(
                        "index damaged: {}",
                        e.split(" is damaged: ").nth(1).unwrap_or(e)
                    ),
                ),
                Err(e) => Engine::without_index(&open.store, format!("index unusable: {e}")),
            };
            let mailboxes = if q.all_mailboxes {
                open.store.list_mailboxes().map_err(|e| store_status(&e))?
            } else if q.mailbox.is_empty() {
                vec!["INBOX".to_string()]
            } else {
                vec![q.mailbox.clone()]
            };
            let mut answers = Vec::with_capacity(mailboxes.len());
            for m in &mailboxes {
                match engine.search(m, &program, mode) {
                    Ok(a) => answers.push(a),
                    Err(SearchError::Store(e)) => return Err(store_status(&e)),
                    Err(e) => {
                        if matches!(e, SearchError::Index(_) | SearchError::Tantivy(_)) {
                            d.evict(&home.user);
                        }
                        return Err(internal(e));
                    }
                }
            }
            Ok(answers)
        })
        .await
        .map_err(blocking_failed)??;
        if answers
            .iter()
            .any(|a| a.explain.source.starts_with("scan (index damaged"))
        {
            // the background rebuild: a full check, then a rescan from scratch
            self.d.queue.push(
                &home_user,
                super::indexing::Work::Integrity,
                Duration::ZERO,
                None,
            );
        }
        let scans = answers
            .iter()
            .filter(|a| !a.explain.source.starts_with("index"))
            .count();
        let plan = match scans {
            0 => "index",
            n if n == answers.len() => "scan",
            _ => "mixed",
        };
        self.d.metrics.search(plan, started.elapsed());
        let mailboxes = answers
            .into_iter()
            .map(|a| pb::MailboxResult {
                mailbox: a.mailbox,
                uids: a.uids,
                plan: Some(pb::Plan {
                    source: a.explain.source,
                    steps: a.explain.steps,
                    messages: a.explain.messages,
                    tail_scanned: a.explain.tail_scanned,
                    verified: a.explain.verified,
                    store_ms: a.explain.store_ms,
                    index_ms: a.explain.index_ms,
                    scan_ms: a.explain.scan_ms,
                }),
            })
            .collect();
        Ok(Response::new(pb::SearchResponse {
            mailboxes,
            parse_ms,
            total_ms: started.elapsed().as_secs_f64() * 1e3,
        }))
    }

    async fn index_messages_impl(
        &self,
        request: Request<pb::IndexMessagesRequest>,
    ) -> Result<Response<pb::IndexMessagesResponse>, Status> {
        let scope = self.authorize(&request, true)?;
        let q = request.into_inner();
        scope.permits(&q.user, false)?;
        let home = self.home(&q.user)?;
        let d = self.d.clone();
        let wanted = if q.mailbox.is_empty() {
            "INBOX".to_string()
        } else {
            q.mailbox.clone()
        };
        let h = home.clone();
        let mailbox = tokio::task::spawn_blocking(move || {
            let open = open_home(&d, &h)?;
            let mb = open.store.mailbox(&wanted).map_err(|e| store_status(&e))?;
            Ok::<_, Status>(mb.name().to_string())
        })
        .await
        .map_err(blocking_failed)??;
        tracing::debug!(user = home.user, mailbox, uids = ?q.uids, paths = ?q.paths, "IndexMessages");
        if q.no_wait {
            self.d
                .queue
                .push(&home.user, Work::Mailbox(mailbox), Duration::ZERO, None);
            return Ok(Response::new(pb::IndexMessagesResponse::default()));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let waiter = Waiter {
            mailbox: mailbox.clone(),
            tx,
        };
        self.d.queue.push(
            &home.user,
            Work::Mailbox(mailbox),
            Duration::ZERO,
            Some(waiter),
        );
        let wait = Duration::from_secs(self.d.cfg.limits.index_wait_secs.max(1));
        match tokio::time::timeout(wait, rx).await {
            Err(_) => Err(Status::deadline_exceeded(
                "the mailbox is queued but not committed yet",
            )),
            Ok(Err(_)) => Err(Status::unavailable("the daemon is shutting down")),
            Ok(Ok(Err(e))) => Err(Status::internal(e)),
            Ok(Ok(Ok(done))) => Ok(Response::new(pb::IndexMessagesResponse {
                added: done.added,
                removed: done.removed,
                high_water: done.high_water,
                committed: true,
            })),
        }
    }

    async fn rescan_impl(
        &self,
        request: Request<pb::RescanRequest>,
    ) -> Result<Response<RescanStream>, Status> {
        let scope = self.authorize(&request, false)?;
        let q = request.into_inner();
        scope.permits(&q.user, q.all_users)?;
        let homes = self.users(&q.user, q.all_users)?;
        let mailbox = (!q.mailbox.is_empty()).then(|| q.mailbox.clone());
        let (tx, rx) = mpsc::channel(64);
        let (events_tx, mut events_rx) = mpsc::unbounded_channel();
        let job = Arc::new(Job {
            cancel: AtomicBool::new(false),
            counters: Counters::default(),
            position: Mutex::new(Position::default()),
        });
        job.position_mut().users_total = homes.len() as u32;
        let d = self.d.clone();
        let j = job.clone();
        // counted before the thread starts, so that a shutdown right now waits for it
        self.d.metrics.rescan_running.fetch_add(1, Relaxed);
        let spawned = std::thread::Builder::new()
            .name("mailfts-rescan".into())
            .spawn(move || admin_rescan(&d, &homes, mailbox.as_deref(), &j, &events_tx));
        if let Err(e) = spawned {
            self.d.metrics.rescan_running.fetch_sub(1, Relaxed);
            return Err(internal(e));
        }
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            let mut last = (u64::MAX, u64::MAX);
            loop {
                tokio::select! {
                    ev = events_rx.recv() => match ev {
                        Some(p) => if tx.send(Ok(p)).await.is_err() { break },
                        None => return,
                    },
                    _ = tick.tick() => {
                        let c = &job.counters;
                        let now = (c.done.load(Relaxed), c.total.load(Relaxed));
                        if now != last {
                            last = now;
                            let p = job.progress(pb::rescan_progress::State::Running);
                            if tx.send(Ok(p)).await.is_err() { break }
                        }
                    }
                    _ = tx.closed() => break,
                }
            }
            tracing::info!("rescan client went away: stopping after the current commit");
            job.cancel.store(true, Relaxed);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn status_impl(
        &self,
        request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let scope = self.authorize(&request, true)?;
        let q = request.into_inner();
        // A user's token sees the daemon's totals and its own user only.
        if !q.user.is_empty() {
            scope.permits(&q.user, false)?;
        }
        let d = &self.d;
        let daemon = pb::DaemonStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            uptime_seconds: d.started.elapsed().as_secs(),
            users: d.homes.len() as u32,
            open_indexes: d.cache.len() as u32,
            max_open_indexes: d.cache.capacity() as u32,
            queued_homes: d.queue.queued() as u32,
            busy_homes: d.queue.busy() as u32,
            watched_directories: d.watched.load(Relaxed) as u32,
            documents_indexed: d.metrics.documents_indexed(),
        };
        let user = if q.user.is_empty() {
            None
        } else {
            let home = self.home(&q.user)?;
            let d = self.d.clone();
            Some(
                tokio::task::spawn_blocking(move || user_status(&d, &home))
                    .await
                    .map_err(blocking_failed)??,
            )
        };
        Ok(Response::new(pb::StatusResponse {
            daemon: Some(daemon),
            user,
        }))
    }

    async fn optimize_impl(
        &self,
        request: Request<pb::OptimizeRequest>,
    ) -> Result<Response<pb::OptimizeResponse>, Status> {
        let scope = self.authorize(&request, false)?;
        let q = request.into_inner();
        scope.permits(&q.user, q.all_users)?;
        let homes = self.users(&q.user, q.all_users)?;
        let d = self.d.clone();
        let results = tokio::task::spawn_blocking(move || {
            homes
                .iter()
                .map(|home| {
                    let mut r = pb::OptimizeResult {
                        user: home.user.clone(),
                        ..Default::default()
                    };
                    let outcome = homes::open_home(&d.cache, home).and_then(|open| {
                        match &open.index_status().map_err(|e| e.to_string()) {
                            Ok(Some(index)) => indexing::optimize(home, index),
                            Ok(None) => Err(anyhow::anyhow!("no index")),
                            Err(e) => Err(anyhow::anyhow!("index unusable: {e}")),
                        }
                    });
                    match outcome {
                        Ok((before, after)) => {
                            r.segments_before = before as u32;
                            r.segments_after = after as u32;
                        }
                        Err(e) => r.error = format!("{e:#}"),
                    }
                    r
                })
                .collect()
        })
        .await
        .map_err(blocking_failed)?;
        Ok(Response::new(pb::OptimizeResponse { results }))
    }

    async fn delete_index_impl(
        &self,
        request: Request<pb::DeleteIndexRequest>,
    ) -> Result<Response<pb::DeleteIndexResponse>, Status> {
        let scope = self.authorize(&request, false)?;
        let q = request.into_inner();
        scope.permits(&q.user, false)?;
        let home = self.home(&q.user)?;
        let d = self.d.clone();
        let h = home.clone();
        let freed = tokio::task::spawn_blocking(move || indexing::delete_index(&d, &h))
            .await
            .map_err(blocking_failed)?
            .map_err(|e| Status::internal(format!("{e:#}")))?;
        if q.rebuild {
            self.d
                .queue
                .push(&home.user, Work::Check, Duration::ZERO, None);
        }
        Ok(Response::new(pb::DeleteIndexResponse {
            deleted: freed.is_some(),
            bytes_freed: freed.unwrap_or(0),
        }))
    }
}

/// The home opened for reading; failing that, `FAILED_PRECONDITION`.
fn open_home(d: &Daemon, home: &HomeState) -> Result<Arc<mailfts_imap_glue::Home>, Status> {
    homes::open_home(&d.cache, home).map_err(|e| Status::failed_precondition(format!("{e:#}")))
}

fn user_status(d: &Daemon, home: &HomeState) -> Result<pb::UserStatus, Status> {
    let open = open_home(d, home)?;
    let mut st = pb::UserStatus {
        user: home.user.clone(),
        home: home.home.display().to_string(),
        pending: d.queue.pending_of(&home.user),
        ..Default::default()
    };
    let snap = match &open.index_status().map_err(|e| e.to_string()) {
        Ok(Some(index)) => {
            st.has_index = true;
            st.index_bytes = indexing::dir_bytes(&home.index_dir);
            st.segments = index
                .tantivy()
                .searchable_segment_ids()
                .map_or(0, |s| s.len() as u32);
            Some(index.snapshot().map_err(internal)?)
        }
        Ok(None) => None,
        Err(e) => {
            st.index_error = e.clone();
            None
        }
    };
    if let Some(s) = &snap {
        st.failures = s.meta.failures.clone().into_iter().collect();
    }
    for name in open.store.list_mailboxes().map_err(|e| store_status(&e))? {
        let s = open
            .store
            .mailbox(&name)
            .and_then(|m| m.sync_shared())
            .map_err(|e| store_status(&e))?;
        let mut m = pb::MailboxStatus {
            mailbox: s.name.clone(),
            in_store: s.len() as u64,
            uid_next: s.uid_next,
            uid_validity: s.uid_validity,
            ..Default::default()
        };
        if let Some(mb) = snap
            .as_ref()
            .and_then(|x| x.meta.mailboxes.get(&s.name).map(|m| (x, m)))
        {
            let (snap, meta) = mb;
            m.in_index = snap.uids_of(meta.id).map_err(internal)?.len();
            m.documents = snap.doc_count_of(meta.id).map_err(internal)? as u64;
            m.high_water = meta.high_water;
            m.last_rescan = meta.last_rescan.unwrap_or(0);
        }
        st.mailboxes.push(m);
    }
    Ok(st)
}

/// A running admin rescan.
struct Job {
    cancel: AtomicBool,
    counters: Counters,
    position: Mutex<Position>,
}

#[derive(Default, Clone)]
struct Position {
    user: String,
    mailbox: String,
    users_done: u32,
    users_total: u32,
}

impl Job {
    fn position_mut(&self) -> std::sync::MutexGuard<'_, Position> {
        self.position.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn progress(&self, state: pb::rescan_progress::State) -> pb::RescanProgress {
        let p = self.position_mut().clone();
        pb::RescanProgress {
            state: state as i32,
            user: p.user,
            mailbox: p.mailbox,
            done: self.counters.done.load(Relaxed),
            total: self.counters.total.load(Relaxed),
            bytes: self.counters.bytes.load(Relaxed),
            users_done: p.users_done,
            users_total: p.users_total,
            stats: None,
            error: String::new(),
        }
    }
}

/// Counts the admin rescan as ended when it ends (even by a panic).
struct GaugeGuard<'a> {
    running: &'a AtomicI64,
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Relaxed);
    }
}

/// Zeroes the job's done and total counts and takes them out of the daemon's rescan gauges.
fn release_counters(d: &Daemon, c: &Counters) {
    d.metrics
        .rescan_done
        .fetch_sub(c.done.swap(0, Relaxed), Relaxed);
    d.metrics
        .rescan_total
        .fetch_sub(c.total.swap(0, Relaxed), Relaxed);
}

fn admin_rescan(
    d: &Daemon,
    homes: &[Arc<HomeState>],
    mailbox: Option<&str>,
    job: &Job,
    events: &mpsc::UnboundedSender<pb::RescanProgress>,
) {
    use pb::rescan_progress::State;
    let _gauge = GaugeGuard {
        running: &d.metrics.rescan_running,
    };
    let cancelled = || job.cancel.load(Relaxed) || d.shutdown.is_triggered();
    let mut all = mailfts_indexer::rescan::RescanStats::default();
    let mut all_mailboxes = 0;
    for home in homes {
        if cancelled() {
            break;
        }
        {
            let mut p = job.position_mut();
            p.user = home.user.clone();
            p.mailbox.clear();
        }
        release_counters(d, &job.counters);
        job.counters.bytes.store(0, Relaxed);
        let started = Instant::now();
        let outcome = (|| -> anyhow::Result<(mailfts_indexer::rescan::RescanStats, u64)> {
            let (store, index) = homes::open_writable(&d.cache, home)?;
            let names = match mailbox {
                Some(m) => vec![store.mailbox(m)?.name().to_string()],
                None => store.list_mailboxes()?,
            };
            let mut stats = mailfts_indexer::rescan::RescanStats::default();
            let mut rescan = |name: Option<&str>| -> anyhow::Result<()> {
                let s = indexing::rescan_chunked(
                    d,
                    home,
                    &store,
                    &index,
                    name,
                    &job.counters,
                    &cancelled,
                    true,
                )?;
                indexing::merge_stats(&mut stats, &s);
                Ok(())
            };
            let mut n = 0;
            for name in &names {
                if cancelled() {
                    break;
                }
                job.position_mut().mailbox = name.clone();
                rescan(Some(name))?;
                n += 1;
            }
            if mailbox.is_none() && !cancelled() {
                let meta = index.meta()?;
                if meta.mailboxes.keys().any(|k| !names.contains(k)) {
                    rescan(None)?;
                }
            }
            d.metrics.set_failures(&home.user, &index.meta()?.failures);
            stats.seconds = started.elapsed().as_secs_f64();
            Ok((stats, n))
        })();
        job.position_mut().users_done += 1;
        let mut p = job.progress(State::UserDone);
        match outcome {
            Ok((s, n)) => {
                p.stats = Some(stats_pb(&s, n));
                indexing::merge_stats(&mut all, &s);
                all_mailboxes += n;
            }
            Err(e) => {
                tracing::warn!(user = home.user, error = %format!("{e:#}"), "rescan failed");
                p.state = State::UserFailed as i32;
                p.error = format!("{e:#}");
            }
        }
        let _ = events.send(p);
    }
    release_counters(d, &job.counters);
    let mut p = job.progress(State::Done);
    p.stats = Some(stats_pb(&all, all_mailboxes));
    let _ = events.send(p);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_user_tokens_are_scoped_to_their_user() {
        let users = vec![("alice".to_string(), "alice-token-0123456789".to_string())];
        let req = |bearer: &str| {
            let mut r = Request::new(());
            r.metadata_mut()
                .insert("authorization", format!("Bearer {bearer}").parse().unwrap());
            r
        };
        let alice = scope_of(Some("admin"), &users, false, &req("alice-token-0123456789")).unwrap();
        assert_eq!(alice, Scope::User("alice".into()));
        assert!(alice.permits("alice", false).is_ok());
        assert_eq!(
            alice.permits("bob", false).unwrap_err().code(),
            Code::PermissionDenied
        );
        assert_eq!(
            alice.permits("alice", true).unwrap_err().code(),
            Code::PermissionDenied,
            "all_users needs the admin token"
        );
        let admin = scope_of(Some("admin"), &users, false, &req("admin")).unwrap();
        assert_eq!(admin, Scope::Admin);
        assert!(admin.permits("bob", true).is_ok());
        assert_eq!(
            scope_of(Some("admin"), &users, false, &req("nope"))
                .unwrap_err()
                .code(),
            Code::Unauthenticated
        );
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(ct_eq(b"secret", b"secret"));
        assert!(!ct_eq(b"secret", b"secreT"));
        assert!(!ct_eq(b"secret", b"secret2"));
        assert!(!ct_eq(b"", b"x"));
        let mut md = MetadataMap::new();
        assert_eq!(
            check_token(Some("t"), &md).unwrap_err().code(),
            Code::Unauthenticated
        );
        md.insert("authorization", "Bearer t".parse().unwrap());
        assert!(check_token(Some("t"), &md).is_ok());
        assert!(check_token(Some("u"), &md).is_err());
        assert!(check_token(None, &MetadataMap::new()).is_ok());
    }
}
