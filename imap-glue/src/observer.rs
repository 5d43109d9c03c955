//! Reporting sessions, commands and logins to the embedding program (metrics, audit logs).
//!
//! Set [`crate::ImapConfig::observer`]; the server calls it from its connection tasks and session
//! threads, so the methods must be cheap and must not block.

use std::net::SocketAddr;
use std::time::Duration;

use imap_codec::imap_types::command::CommandBody;

/// Name reported to [`ImapObserver::command`] for a command the server could not parse (always
/// [`CommandStatus::Bad`]) or refused before reading its literal (`NO [TOOBIG]`).
pub const UNPARSED_COMMAND: &str = "UNPARSED";

/// The tagged status a command completed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandStatus {
    /// `tag OK`.
    Ok,
    /// `tag NO`.
    No,
    /// `tag BAD`.
    Bad,
}

impl CommandStatus {
    /// `"OK"`, `"NO"` or `"BAD"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Ok => "OK",
            CommandStatus::No => "NO",
            CommandStatus::Bad => "BAD",
        }
    }
}

/// Receives the server's events. Every method has a no-op default.
pub trait ImapObserver: Send + Sync {
    /// A connection got its greeting; `tls` when it is implicit TLS (a connection whose TLS
    /// handshake fails is never reported).
    fn session_opened(&self, peer: SocketAddr, tls: bool) {
        let _ = (peer, tls);
    }

    /// A connection reported by [`ImapObserver::session_opened`] ended (logout, client gone,
    /// timeout, error or shutdown), `duration` after it was opened.
    fn session_closed(&self, peer: SocketAddr, duration: Duration) {
        let _ = (peer, duration);
    }

    /// A tagged command completed. `name` is the command in upper case with `UID ` in front of
    /// UID commands (`SELECT`, `UID SEARCH`), or [`UNPARSED_COMMAND`]; `elapsed` runs from the
    /// complete command being read to its tagged response being sent (IDLE: until `DONE`;
    /// AUTHENTICATE: including the client's continuation). A connection that ends in the middle
    /// of a command reports nothing for it.
    fn command(&self, name: &str, status: CommandStatus, elapsed: Duration) {
        let _ = (name, status, elapsed);
    }

    /// A LOGIN or AUTHENTICATE checked credentials: `ok` when they were right and the user's
    /// mail store opened. Refusals before any check (no TLS, already logged in, malformed SASL)
    /// are not reported.
    fn login(&self, ok: bool) {
        let _ = ok;
    }
}

/// The name [`ImapObserver::command`] gets for a parsed command.
pub(crate) fn command_name(body: &CommandBody<'_>) -> &'static str {
    match body {
        CommandBody::Search { uid: true, .. } => "UID SEARCH",
        CommandBody::Sort { uid: true, .. } => "UID SORT",
        CommandBody::Thread { uid: true, .. } => "UID THREAD",
        CommandBody::Fetch { uid: true, .. } => "UID FETCH",
        CommandBody::Store { uid: true, .. } => "UID STORE",
        CommandBody::Copy { uid: true, .. } => "UID COPY",
        CommandBody::Move { uid: true, .. } => "UID MOVE",
        CommandBody::ExpungeUid { .. } => "UID EXPUNGE",
        other => other.name(),
    }
}
