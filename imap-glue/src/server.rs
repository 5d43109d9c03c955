//! The listener and the per-connection driver: framing, limits, TLS, IDLE, timeouts.
//!
//! Framing (RFC 3501 §2.2, RFC 7888): a command is read line by line; a line ending in `{n}` or
//! `{n+}` announces a literal of `n` bytes. The size is checked against [`crate::Limits`] before
//! anything of the literal is read: a synchronizing literal that is too big is refused with
//! `tag NO [TOOBIG]` (the client sends nothing until it gets `+`), a non-synchronizing one ends the
//! connection with `* BYE [TOOBIG]`, because its bytes are already on the way. The complete command
//! (ESEARCH's `RETURN (…)` taken off, [`crate::esearch`]) is parsed by `imap-codec` and run by the
//! [`Session`] on a blocking thread.
//!
//! Before login, literals and commands are small ([`crate::Limits::max_preauth_literal`]), all
//! literals being read share a server-wide budget ([`crate::Limits::max_buffered_input`]), one
//! client address may hold only so many connections, and a failed-login delay ends as soon as the
//! client closes the connection (its slot is freed; the penalty is remembered per address).

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use imap_codec::decode::{CommandDecodeError, Decoder};
use imap_codec::CommandCodec;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::auth::FailureTracker;
use crate::context;
use crate::deep;
use crate::esearch;
use crate::homes::{HomeRegistry, DEFAULT_MAX_OPEN_HOMES};
use crate::limits;
use crate::listext;
use crate::multiappend;
use crate::notify;
use crate::observer::{command_name, CommandStatus, ImapObserver, UNPARSED_COMMAND};
use crate::session::{Action, Reply, Session, Shared};
use crate::wire;
use crate::{ImapConfig, ImapError, SaveHooks};

/// Accepts IMAP connections on `listener` until `shutdown` is cancelled, then tells every
/// session `* BYE` and returns once they are closed (at most 5 s later).
pub async fn serve(
    listener: TcpListener,
    config: Arc<ImapConfig>,
    hooks: Arc<dyn SaveHooks>,
    shutdown: CancellationToken,
) -> Result<(), ImapError> {
    let shared = Arc::new(Shared {
        config: config.clone(),
        hooks,
        homes: config.homes.clone().unwrap_or_else(|| {
            Arc::new(HomeRegistry::new(
                Default::default(),
                config.store_options.clone(),
                DEFAULT_MAX_OPEN_HOMES,
            ))
        }),
        failures: FailureTracker::default(),
    });
    let slots = Arc::new(Semaphore::new(config.limits.max_connections));
    let per_address = Arc::new(limits::PerAddress::default());
    let budget = Arc::new(limits::InputBudget::new(config.limits.max_buffered_input));
    let mut tasks = JoinSet::new();
    tracing::info!(addr = ?listener.local_addr().ok(), "IMAP listening");
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => {
                let (mut sock, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let exempt = crate::net::any_contains(&config.limits.connection_limit_exempt, peer.ip());
                let Some(address_slot) = per_address.enter(peer.ip(), config.limits.max_connections_per_address, exempt) else {
                    tracing::debug!(%peer, "too many connections from this address");
                    let _ = sock.write_all(b"* BYE [UNAVAILABLE] Too many connections from your address\r\n").await;
                    continue;
                };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    let _ = sock.write_all(b"* BYE [UNAVAILABLE] Too many connections\r\n").await;
                    continue;
                };
                let shared = shared.clone();
                let shutdown = shutdown.clone();
                let budget = budget.clone();
                tasks.spawn(async move {
                    let _permit = permit;
                    let _address_slot = address_slot;
                    let _ = sock.set_nodelay(true);
                    if let Err(e) = connection(shared, sock, peer, budget, shutdown).await {
                        tracing::debug!(%peer, error = %e, "connection ended");
                    }
                });
            }
        }
    }
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        tasks.abort_all();
    }
    Ok(())
}

/// A plain or TLS connection.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// While STARTTLS swaps one for the other.
    Gone,
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Gone => Poll::Ready(Err(std::io::ErrorKind::NotConnected.into())),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}

/// Why a connection ends.
#[derive(Debug, thiserror::Error)]
enum End {
    #[error("closed by the client")]
    Eof,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Send this `* BYE …` line and close.
    #[error("{0}")]
    Bye(String),
}

/// What framing produced.
enum Frame {
    /// A complete command, literals included, and the share of the server-wide input budget its
    /// literals hold until the command is done.
    Command(Vec<u8>, limits::Reservation),
    /// A command refused before its literal was read: send this line.
    Refused(String),
}

struct Conn {
    stream: Stream,
    buf: Vec<u8>,
}

impl Conn {
    /// The next line (with its LF). Cancel-safe: bytes read stay in `buf`.
    async fn read_line(&mut self, max: usize) -> Result<Vec<u8>, End> {
        let mut searched = 0;
        loop {
            if let Some(i) = self.buf[searched..].iter().position(|&b| b == b'\n') {
                let end = searched + i + 1;
                if end > max {
                    return Err(End::Bye("[TOOBIG] Line too long".into()));
                }
                return Ok(self.buf.drain(..end).collect());
            }
            searched = self.buf.len();
            if self.buf.len() > max {
                return Err(End::Bye("[TOOBIG] Line too long".into()));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Result<(), End> {
        let mut chunk = [0u8; 16 << 10];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(End::Eof);
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, End> {
        while self.buf.len() < n {
            self.fill().await?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), End> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await?;
        Ok(())
    }

    /// Reads one command, literals included, enforcing the limits: before login
    /// (`authenticated` false) the small pre-authentication ones, and always the server-wide
    /// input `budget`. A literal is checked before any of it is read.
    async fn read_command(
        &mut self,
        limits: &crate::Limits,
        authenticated: bool,
        budget: &Arc<limits::InputBudget>,
    ) -> Result<Frame, End> {
        let (max_literal, max_command) = if authenticated {
            (limits.max_literal, limits.max_command)
        } else {
            (
                limits.max_literal.min(limits.max_preauth_literal),
                limits.max_command.min(limits.max_preauth_command),
            )
        };
        let mut cmd = Vec::new();
        let mut held = limits::Reservation::none(budget);
        loop {
            let line = self.read_line(limits.max_line).await?;
            cmd.extend_from_slice(&line);
            let Some((n, non_sync)) = wire::literal_announcement(&line) else {
                return Ok(Frame::Command(cmd, held));
            };
            let too_big = n > u64::from(max_literal) || cmd.len() as u64 + n > max_command as u64;
            let refusal = if too_big {
                Some("[TOOBIG] Literal too big")
            } else if !held.grow(n as usize) {
                tracing::warn!(
                    bytes = n,
                    "server-wide input budget exhausted: literal refused"
                );
                Some("[UNAVAILABLE] Server busy")
            } else {
                None
            };
            if let Some(why) = refusal {
                if non_sync {
                    return Err(End::Bye(why.into()));
                }
                let tag = wire::tag_of(&cmd).unwrap_or_else(|| "*".into());
                return Ok(Frame::Refused(format!("{tag} NO {why}\r\n")));
            }
            if !non_sync {
                self.send(b"+ Ready for literal data\r\n").await?;
            }
            let data = self.read_exact(n as usize).await?;
            cmd.extend_from_slice(&data);
        }
    }

    /// Waits `d` (a failed-login delay) while watching the connection: a client that closes it
    /// ends the connection at once, so the delay never holds a connection slot for a client that
    /// is gone (the penalty stays remembered per address). Input sent meanwhile is kept for the
    /// next command, up to one line's worth.
    async fn delay(&mut self, d: Duration, max_pending: usize) -> Result<(), End> {
        let sleep = tokio::time::sleep(d);
        tokio::pin!(sleep);
        loop {
            if self.buf.len() > max_pending {
                sleep.await;
                return Ok(());
            }
            tokio::select! {
                _ = &mut sleep => return Ok(()),
                r = self.fill() => r?,
            }
        }
    }
}

/// Runs `f` on the session on a blocking thread.
async fn blocking<T: Send + 'static>(
    session: &mut Option<Session>,
    f: impl FnOnce(&mut Session) -> T + Send + 'static,
) -> Result<T, End> {
    let mut s = session
        .take()
        .ok_or_else(|| End::Bye("Internal error".into()))?;
    let (s, t) = tokio::task::spawn_blocking(move || {
        // The logged-in user's rights on this pool thread for this step only (see crate::creds).
        let guard = match s.credentials().map(|c| c.enter()).transpose() {
            Ok(g) => g,
            Err(e) => {
                tracing::error!(error = %e, "cannot switch to the user's uid/gid");
                return (s, None);
            }
        };
        let t = f(&mut s);
        drop(guard);
        (s, Some(t))
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "session task failed");
        End::Bye("[SERVERBUG] Internal error".into())
    })?;
    *session = Some(s);
    t.ok_or_else(|| End::Bye("[UNAVAILABLE] Cannot act as the user".into()))
}

async fn connection(
    shared: Arc<Shared>,
    sock: TcpStream,
    peer: SocketAddr,
    budget: Arc<limits::InputBudget>,
    shutdown: CancellationToken,
) -> Result<(), End> {
    let config = shared.config.clone();
    let mut conn = Conn {
        stream: Stream::Plain(sock),
        buf: Vec::new(),
    };
    let mut tls = false;
    if let (true, Some(acceptor)) = (config.implicit_tls, &config.tls) {
        let Stream::Plain(tcp) = std::mem::replace(&mut conn.stream, Stream::Gone) else {
            return Ok(());
        };
        let s = tokio::time::timeout(config.limits.login_timeout, acceptor.accept(tcp))
            .await
            .map_err(|_| End::Eof)??;
        conn.stream = Stream::Tls(Box::new(s));
        tls = true;
    }
    let _observed = config.observer.clone().map(|o| {
        o.session_opened(peer, tls);
        Observed {
            observer: o,
            peer,
            opened: Instant::now(),
        }
    });
    let mut session = Some(Session::new(shared.clone(), peer.ip(), tls));
    let caps = session
        .as_ref()
        .map(Session::capabilities)
        .unwrap_or_default();
    conn.send(format!("* OK [CAPABILITY {caps}] {}\r\n", config.greeting).as_bytes())
        .await?;
    let result = drive(&mut conn, &mut session, &shared, &budget, &shutdown).await;
    match &result {
        Err(End::Bye(text)) => {
            let _ = conn.send(format!("* BYE {text}\r\n").as_bytes()).await;
        }
        Err(End::Io(e)) => tracing::debug!(%peer, error = %e, "connection error"),
        _ => {}
    }
    let _ = conn.stream.shutdown().await;
    match result {
        Err(End::Eof) | Ok(()) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Reports the end of an observed session when dropped, however the connection task ends.
struct Observed {
    observer: Arc<dyn ImapObserver>,
    peer: SocketAddr,
    opened: Instant,
}

impl Drop for Observed {
    fn drop(&mut self) {
        self.observer
            .session_closed(self.peer, self.opened.elapsed());
    }
}

async fn drive(
    conn: &mut Conn,
    session: &mut Option<Session>,
    shared: &Arc<Shared>,
    budget: &Arc<limits::InputBudget>,
    shutdown: &CancellationToken,
) -> Result<(), End> {
    let config = shared.config.clone();
    let limits = &config.limits;
    let mut window = (Instant::now(), 0u32);
    let connected = Instant::now();
    let observe = |name: &str, status: Option<CommandStatus>, started: Instant| {
        if let (Some(o), Some(status)) = (&config.observer, status) {
            o.command(name, status, started.elapsed());
        }
    };
    loop {
        let authenticated = session.as_ref().is_some_and(Session::authenticated);
        let timeout = if authenticated {
            limits.idle_timeout
        } else {
            // The whole time to log in, not per command.
            limits.login_timeout.saturating_sub(connected.elapsed())
        };
        let frame = tokio::select! {
            _ = shutdown.cancelled() => return Err(End::Bye("Server shutting down".into())),
            f = tokio::time::timeout(timeout, conn.read_command(limits, authenticated, budget)) => match f {
                Ok(f) => f?,
                Err(_) => return Err(End::Bye("Autologout; idle for too long".into())),
            },
        };
        let started = Instant::now();
        // Commands per second, when limited (off by default).
        if let Some(per_second) = limits.commands_per_second {
            if window.0.elapsed() >= Duration::from_secs(1) {
                window = (Instant::now(), 0);
            }
            window.1 += 1;
            if window.1 > per_second {
                tokio::time::sleep(Duration::from_secs(1).saturating_sub(window.0.elapsed())).await;
                window = (Instant::now(), 0);
            }
        }
        // The literals' share of the input budget is held until the command is done.
        let (cmd, _held) = match frame {
            Frame::Refused(line) => {
                conn.send(line.as_bytes()).await?;
                observe(UNPARSED_COMMAND, Some(CommandStatus::No), started);
                continue;
            }
            Frame::Command(c, held) => (c, held),
        };
        if cmd.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let tag = wire::tag_of(&cmd).unwrap_or_else(|| "*".into());
        // CANCELUPDATE (RFC 5267 §4.2) is not in imap-codec's grammar.
        match context::cancel_update(&cmd) {
            Ok(None) => {}
            Ok(Some(tags)) if session.as_ref().is_some() => {
                let reply = blocking(session, move |s| s.cancel_update(&tag, &tags)).await?;
                let status = reply.status;
                send_reply(conn, reply).await?;
                observe("CANCELUPDATE", status, started);
                continue;
            }
            Ok(Some(_)) | Err(_) => {
                conn.send(format!("{tag} BAD Invalid parameters\r\n").as_bytes())
                    .await?;
                observe(UNPARSED_COMMAND, Some(CommandStatus::Bad), started);
                continue;
            }
        }
        // NOTIFY (RFC 5465) is not in imap-codec's grammar either.
        match notify::parse(&cmd) {
            Ok(None) => {}
            Ok(Some(n)) if session.as_ref().is_some() => {
                let reply = blocking(session, move |s| s.notify_command(&tag, n)).await?;
                let status = reply.status;
                send_reply(conn, reply).await?;
                observe("NOTIFY", status, started);
                continue;
            }
            Ok(Some(_)) => {
                conn.send(format!("{tag} BAD Invalid arguments\r\n").as_bytes())
                    .await?;
                observe(UNPARSED_COMMAND, Some(CommandStatus::Bad), started);
                continue;
            }
            Err(msg) => {
                conn.send(format!("{tag} BAD {msg}\r\n").as_bytes()).await?;
                observe(UNPARSED_COMMAND, Some(CommandStatus::Bad), started);
                continue;
            }
        }
        let (ret, bytes) = match esearch::strip_return(&cmd) {
            Ok(Some((opts, rest))) => (Some(opts), rest),
            Ok(None) => (None, cmd),
            Err(msg) => {
                conn.send(format!("{tag} BAD {msg}\r\n").as_bytes()).await?;
                observe(UNPARSED_COMMAND, Some(CommandStatus::Bad), started);
                continue;
            }
        };
        // LIST-EXTENDED: the options are taken off, the plain LIST is parsed below.
        let mut list_options = None;
        let bytes = match listext::strip(&bytes) {
            Ok(Some((opts, plain))) => {
                list_options = Some(opts);
                plain
            }
            Ok(None) => bytes,
            Err(msg) => {
                conn.send(format!("{tag} BAD {msg}\r\n").as_bytes()).await?;
                observe(UNPARSED_COMMAND, Some(CommandStatus::Bad), started);
                continue;
            }
        };
        // MULTIAPPEND: the first message goes through as an APPEND, the others beside it.
        let mut more_appends = Vec::new();
        let bytes = match multiappend::split(&bytes) {
            Some(parts) => {
                let decoded: Option<Vec<_>> = parts
                    .iter()
                    .map(|p| {
                        CommandCodec::default()
                            .decode_static(p)
                            .ok()
                            .map(|(_, c)| c)
                    })
                    .collect();
                match decoded {
                    Some(mut cmds) => {
                        more_appends = cmds.split_off(1);
                        parts.into_iter().next().unwrap_or_default()
                    }
                    None => bytes,
                }
            }
            None => bytes,
        };
        let mut deep_criteria = None;
        let decoded = match CommandCodec::default()
            .decode_static(&bytes)
            .map(|(_, c)| c)
        {
            Err(CommandDecodeError::Failed) => match deep::split_search(&bytes) {
                // Criteria nested deeper than imap-codec takes (see crate::deep).
                Some((program, rest)) => {
                    deep_criteria = Some(program);
                    CommandCodec::default().decode_static(&rest).map(|(_, c)| c)
                }
                None => Err(CommandDecodeError::Failed),
            },
            other => other,
        };
        let parsed = match decoded {
            Ok(c) => c,
            Err(e) => {
                let why = match e {
                    CommandDecodeError::Failed => "Invalid command or arguments",
                    _ => "Incomplete command",
                };
                conn.send(format!("{tag} BAD {why}\r\n").as_bytes()).await?;
                observe(UNPARSED_COMMAND, Some(CommandStatus::Bad), started);
                continue;
            }
        };
        let name = command_name(&parsed.body);
        let reply = blocking(session, move |s| {
            s.set_deep_criteria(deep_criteria);
            s.set_more_appends(more_appends);
            s.set_list_options(list_options);
            s.handle(parsed, ret)
        })
        .await?;
        let status = reply.status;
        let action = send_reply(conn, reply).await?;
        observe(name, status, started);
        match action {
            Action::Continue => {}
            Action::Logout => return Ok(()),
            Action::StartTls => {
                let Some(acceptor) = config.tls.clone() else {
                    continue;
                };
                // Anything the client sent after STARTTLS was sent in the clear: drop it.
                conn.buf.clear();
                let Stream::Plain(tcp) = std::mem::replace(&mut conn.stream, Stream::Gone) else {
                    return Err(End::Eof);
                };
                let s = tokio::time::timeout(limits.login_timeout, acceptor.accept(tcp))
                    .await
                    .map_err(|_| End::Eof)??;
                conn.stream = Stream::Tls(Box::new(s));
                if let Some(s) = session.as_mut() {
                    s.set_tls();
                }
            }
            Action::AuthContinue(tag) => {
                conn.send(b"+ \r\n").await?;
                let line =
                    tokio::time::timeout(limits.login_timeout, conn.read_line(limits.max_line))
                        .await
                        .map_err(|_| End::Bye("Autologout".into()))??;
                let reply = blocking(session, move |s| s.authenticate_plain(&tag, &line)).await?;
                let status = reply.status;
                send_reply(conn, reply).await?;
                observe(name, status, started);
            }
            Action::Idle(tag) => {
                let status = idle(conn, session, &config, shutdown, &tag).await?;
                observe(name, Some(status), started);
            }
        }
    }
}

async fn send_reply(conn: &mut Conn, reply: Reply) -> Result<Action, End> {
    if let Some(d) = reply.delay {
        conn.delay(d, 64 << 10).await?;
    }
    conn.send(&reply.out).await?;
    Ok(reply.action)
}

/// IDLE (RFC 2177): report changes every `idle_poll` until the client sends DONE. Returns the
/// status of the tagged response.
async fn idle(
    conn: &mut Conn,
    session: &mut Option<Session>,
    config: &ImapConfig,
    shutdown: &CancellationToken,
    tag: &str,
) -> Result<CommandStatus, End> {
    conn.send(b"+ idling\r\n").await?;
    let started = Instant::now();
    loop {
        let line = tokio::select! {
            _ = shutdown.cancelled() => return Err(End::Bye("Server shutting down".into())),
            l = conn.read_line(config.limits.max_line) => Some(l?),
            _ = tokio::time::sleep(config.idle_poll) => None,
        };
        let mut status = None;
        let out = blocking(session, |s| {
            let mut out = Vec::new();
            let r = s.refresh(&mut out, true);
            if r.is_ok() {
                s.notify_poll(&mut out);
            }
            (out, r)
        })
        .await?;
        if let (_, Err(e)) = &out {
            return Err(End::Bye(e.clone()));
        }
        let mut bytes = out.0;
        if let Some(line) = line {
            let word = line
                .strip_suffix(b"\r\n")
                .or_else(|| line.strip_suffix(b"\n"))
                .unwrap_or(&line);
            if word.eq_ignore_ascii_case(b"DONE") {
                bytes.extend_from_slice(format!("{tag} OK IDLE terminated\r\n").as_bytes());
                status = Some(CommandStatus::Ok);
            } else {
                bytes.extend_from_slice(format!("{tag} BAD Expected DONE\r\n").as_bytes());
                status = Some(CommandStatus::Bad);
            }
        }
        if !bytes.is_empty() {
            conn.send(&bytes).await?;
        }
        if let Some(status) = status {
            return Ok(status);
        }
        if started.elapsed() > config.limits.idle_timeout {
            return Err(End::Bye("Autologout; idle for too long".into()));
        }
    }
}
