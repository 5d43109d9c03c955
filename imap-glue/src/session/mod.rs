//! One IMAP session: the state machine of RFC 3501 §3 and every command, run synchronously.
//!
//! The async connection driver ([`crate::server`]) parses a command and calls
//! [`Session::handle`] on a blocking thread; the session appends the untagged and tagged
//! responses to a buffer and says what the driver has to do next ([`Action`]: go on, start TLS,
//! idle, read an AUTHENTICATE response, log out).
//!
//! The selected mailbox is a [`View`]: the UIDs in sequence-number order and the flags as the
//! client was last told. [`Session::refresh`] compares it with a fresh store sync and reports the
//! differences as `EXPUNGE`, `EXISTS`, `RECENT` and `FETCH (FLAGS …)`; expunges are held back
//! during FETCH, STORE, SEARCH, COPY and MOVE by sequence number (RFC 3501 §7.4.1).
//!
//! This module holds the session's state and [`Session::handle`], which routes each command to
//! the module of its concern: `login` (LOGIN, AUTHENTICATE, capabilities), `mailbox` (SELECT,
//! LIST/LSUB, STATUS, CREATE/DELETE/RENAME, subscriptions), `fetch`, `write` (APPEND, STORE, COPY,
//! MOVE, EXPUNGE, CLOSE), `search` (SEARCH, SORT, THREAD, context updates), `events` (NOTIFY),
//! `condstore` (CONDSTORE/QRESYNC); `view` keeps the selected mailbox up to date and `names` decodes
//! and matches mailbox names.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::response::StatusKind;
use mailfts_store::StoreError;

use crate::auth::{FailureTracker, PasswdEntry};
use crate::creds::UserCreds;
use crate::esearch::ReturnOptions;
use crate::homes::HomeRegistry;
use crate::listext::ListOptions;
use crate::observer::CommandStatus;
use crate::{notify, respond, ImapConfig, SaveHooks};

pub use crate::homes::Home;

mod condstore;
mod events;
mod fetch;
mod login;
mod mailbox;
mod names;
mod search;
mod view;
mod write;

pub use names::{mailbox_name, wildcard_match};
pub use view::View;

/// What the server shares between sessions.
pub struct Shared {
    /// The configuration.
    pub config: Arc<ImapConfig>,
    /// Where writes are reported.
    pub hooks: Arc<dyn SaveHooks>,
    /// Open homes (possibly shared with the daemon).
    pub homes: Arc<HomeRegistry>,
    /// Failed logins per address.
    pub failures: FailureTracker,
}

/// What the connection driver does after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Read the next command.
    Continue,
    /// Close the connection.
    Logout,
    /// Start TLS now (the OK was written).
    StartTls,
    /// Send `+ idling`, then poll [`Session::refresh`] until the client sends `DONE`.
    Idle(String),
    /// Send `+ ` and pass the client's line to [`Session::authenticate_plain`].
    AuthContinue(String),
}

/// The responses of one command and what to do next.
#[derive(Debug)]
pub struct Reply {
    /// Bytes to send.
    pub out: Vec<u8>,
    /// Wait this long before sending (failed login).
    pub delay: Option<Duration>,
    /// Next step.
    pub action: Action,
    /// The status of the tagged response in `out`; `None` when there is none yet (IDLE,
    /// AUTHENTICATE waiting for the client).
    pub status: Option<CommandStatus>,
}

impl Reply {
    /// Nothing to send yet; go on reading commands.
    fn new() -> Reply {
        Reply {
            out: Vec::new(),
            delay: None,
            action: Action::Continue,
            status: None,
        }
    }

    /// Ends the reply with the tagged status response of `result` (nothing for `Pending`: the
    /// driver completes the command).
    fn finish(&mut self, tag: &str, result: Result<String, Status>) {
        let (kind, text, status) = match result {
            Ok(text) => (StatusKind::Ok, text, CommandStatus::Ok),
            Err(Status::No(text)) => (StatusKind::No, text, CommandStatus::No),
            Err(Status::Bad(text)) => (StatusKind::Bad, text, CommandStatus::Bad),
            Err(Status::Pending) => return,
        };
        respond::tagged(&mut self.out, tag, kind, &text);
        self.status = Some(status);
    }
}

/// One client's session.
pub struct Session {
    shared: Arc<Shared>,
    peer: IpAddr,
    tls: bool,
    user: Option<(PasswdEntry, Arc<Home>)>,
    /// The file-system credentials the logged-in user's steps run with (see [`crate::creds`]).
    creds: Option<UserCreds>,
    view: Option<View>,
    /// The view was refreshed during the current command.
    fresh: bool,
    /// Criteria of the next SEARCH parsed by the query crate (see [`crate::deep`]).
    deep_criteria: Option<mailfts_query::SearchProgram>,
    /// The further messages of the next APPEND (MULTIAPPEND, see [`crate::multiappend`]).
    more_appends: Vec<Command<'static>>,
    /// The LIST-EXTENDED options of the next LIST ([`crate::listext`]).
    list_options: Option<ListOptions>,
    /// CONDSTORE/QRESYNC state ([`condstore`]).
    cond: condstore::Cond,
    /// What NOTIFY SET asked to be told ([`crate::notify`]).
    notify: Option<notify::Watch>,
}

fn store_no(e: &StoreError) -> String {
    match e {
        StoreError::MailboxNotFound { .. } => "[NONEXISTENT] Mailbox does not exist".into(),
        StoreError::MailboxExists { .. } => "[ALREADYEXISTS] Mailbox exists".into(),
        StoreError::InvalidMailboxName { reason, .. } => format!("[CANNOT] Invalid name: {reason}"),
        StoreError::OutsideRoot { .. } => "[NOPERM] Mailbox not accessible".into(),
        StoreError::NotSupported { operation, .. } => {
            format!("[CANNOT] Cannot {operation} this mailbox")
        }
        StoreError::TooManyKeywords { .. } => "[LIMIT] Too many keywords".into(),
        StoreError::InvalidKeyword { .. } => "Invalid keyword".into(),
        _ => {
            tracing::warn!(error = %e, "store error");
            "[SERVERBUG] Internal error (logged)".into()
        }
    }
}

/// Commands during which untagged EXPUNGE may not be sent (RFC 3501 §7.4.1).
fn allows_expunge(body: &CommandBody<'_>) -> bool {
    !matches!(
        body,
        CommandBody::Fetch { uid: false, .. }
            | CommandBody::Store { uid: false, .. }
            | CommandBody::Search { uid: false, .. }
            | CommandBody::Sort { uid: false, .. }
            | CommandBody::Thread { uid: false, .. }
            | CommandBody::Copy { uid: false, .. }
    )
}

impl Session {
    /// A new session for a client at `peer`; `tls` when the connection is already encrypted.
    pub fn new(shared: Arc<Shared>, peer: IpAddr, tls: bool) -> Session {
        Session {
            shared,
            peer,
            tls,
            user: None,
            creds: None,
            view: None,
            fresh: false,
            deep_criteria: None,
            more_appends: Vec::new(),
            list_options: None,
            cond: condstore::Cond::default(),
            notify: None,
        }
    }

    /// The uid and gid this session's work must run with, once logged in (when the server runs
    /// as root and the user's passwd entry has a uid). The connection driver enters them around
    /// every step ([`UserCreds::enter`]).
    pub fn credentials(&self) -> Option<UserCreds> {
        self.creds
    }

    /// True once logged in.
    pub fn authenticated(&self) -> bool {
        self.user.is_some()
    }

    /// Called after the TLS handshake of STARTTLS.
    pub fn set_tls(&mut self) {
        self.tls = true;
    }

    /// Sets the criteria the next command, a SEARCH parsed by `imap-codec` with its criteria
    /// replaced by `ALL`, really has ([`crate::deep`]). `None` for every other command.
    pub fn set_deep_criteria(&mut self, program: Option<mailfts_query::SearchProgram>) {
        self.deep_criteria = program;
    }

    /// Sets the further messages of the next command, the first message of a MULTIAPPEND
    /// ([`crate::multiappend`]): single-message APPENDs to the same mailbox.
    pub fn set_more_appends(&mut self, more: Vec<Command<'static>>) {
        self.more_appends = more;
    }

    /// Sets the LIST-EXTENDED options of the next command, a LIST ([`crate::listext`]).
    pub fn set_list_options(&mut self, options: Option<ListOptions>) {
        self.list_options = options;
    }

    /// Runs one command. `ret` holds the ESEARCH options taken off a `SEARCH RETURN (…)`.
    pub fn handle(&mut self, cmd: Command<'_>, ret: Option<ReturnOptions>) -> Reply {
        let tag = cmd.tag.as_ref().to_owned();
        let mut r = Reply::new();
        let allow_expunge = allows_expunge(&cmd.body);
        // Commands that only read, and brought the view up to date before reading, need no
        // second store sync after it.
        let reads_only = matches!(
            cmd.body,
            CommandBody::Search { .. }
                | CommandBody::Sort { .. }
                | CommandBody::Thread { .. }
                | CommandBody::Fetch { .. }
        );
        self.fresh = false;
        let result = self.dispatch(&tag, cmd.body, ret, &mut r);
        let skip = reads_only && self.fresh;
        if self.view.is_some() && !skip && !matches!(r.action, Action::Logout) {
            self.refresh_or_bye(&mut r, allow_expunge);
        }
        if !matches!(r.action, Action::Logout | Action::Idle(_)) {
            self.notify_poll(&mut r.out);
        }
        r.finish(&tag, result);
        r
    }

    fn dispatch(
        &mut self,
        tag: &str,
        body: CommandBody<'_>,
        ret: Option<ReturnOptions>,
        r: &mut Reply,
    ) -> Result<String, Status> {
        let out = &mut r.out;
        match body {
            CommandBody::Capability => {
                out.extend_from_slice(
                    format!("* CAPABILITY {}\r\n", self.capabilities()).as_bytes(),
                );
                Ok("CAPABILITY completed".into())
            }
            CommandBody::Noop => Ok("NOOP completed".into()),
            CommandBody::Check => {
                self.selected()?;
                Ok("CHECK completed".into())
            }
            CommandBody::Logout => {
                respond::bye(out, "Logging out");
                self.view = None;
                r.action = Action::Logout;
                Ok("LOGOUT completed".into())
            }
            CommandBody::Id { .. } => {
                respond::id(out, &[("name", "mailfts"), ("vendor", "mailfts")]);
                Ok("ID completed".into())
            }
            CommandBody::StartTLS => {
                if self.user.is_some() || self.tls {
                    return Err(Status::Bad("STARTTLS not allowed now".into()));
                }
                if self.shared.config.tls.is_none() {
                    return Err(Status::No("TLS is not configured".into()));
                }
                r.action = Action::StartTls;
                Ok("Begin TLS negotiation now".into())
            }
            CommandBody::Login { username, password } => {
                let user = String::from_utf8_lossy(username.as_ref()).into_owned();
                self.login(&user, password.declassify().as_ref(), r)
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => {
                if self.user.is_some() {
                    return Err(Status::Bad("Already authenticated".into()));
                }
                if !mechanism.as_ref().eq_ignore_ascii_case("PLAIN") {
                    return Err(Status::No("Unsupported authentication mechanism".into()));
                }
                if !self.login_allowed() {
                    return Err(Status::No("[PRIVACYREQUIRED] Use STARTTLS first".into()));
                }
                match initial_response {
                    Some(data) => self.plain(data.declassify().as_ref(), r),
                    None => {
                        r.action = Action::AuthContinue(tag.to_owned());
                        // The driver answers after the client's response.
                        Err(Status::Pending)
                    }
                }
            }
            _ if self.user.is_none() => Err(Status::Bad("Log in first".into())),
            CommandBody::Enable { capabilities } => Ok(self.enable(capabilities.as_ref(), out)),
            CommandBody::Namespace => {
                respond::namespace(out);
                Ok("NAMESPACE completed".into())
            }
            CommandBody::Idle => {
                r.action = Action::Idle(tag.to_owned());
                Err(Status::Pending)
            }
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                modifiers,
            } => self.fetch_with(&sequence_set, &macro_or_item_names, uid, &modifiers, out),
            CommandBody::Select {
                mailbox,
                parameters,
            } => self.select_with(&mailbox, false, &parameters, out),
            CommandBody::Examine {
                mailbox,
                parameters,
            } => self.select_with(&mailbox, true, &parameters, out),
            CommandBody::Unselect => {
                self.selected()?;
                self.view = None;
                Ok("UNSELECT completed".into())
            }
            CommandBody::Create { mailbox } => self.create(&mailbox),
            CommandBody::Delete { mailbox } => self.delete(&mailbox),
            CommandBody::Rename { from, to } => self.rename(&from, &to),
            CommandBody::Subscribe { mailbox } => self.subscribe(&mailbox, true),
            CommandBody::Unsubscribe { mailbox } => self.subscribe(&mailbox, false),
            CommandBody::List {
                reference,
                mailbox_wildcard,
            } => self.list_command(&reference, &mailbox_wildcard, out),
            CommandBody::Lsub {
                reference,
                mailbox_wildcard,
            } => {
                self.list(&reference, &mailbox_wildcard, true, out)?;
                Ok("LSUB completed".into())
            }
            CommandBody::Status {
                mailbox,
                item_names,
            } => {
                self.status_enables(&item_names, out);
                self.status(&mailbox, &item_names, out)
            }
            CommandBody::Search {
                charset,
                criteria,
                uid,
            } => {
                let charset = charset.map(|c| c.as_ref().to_owned());
                self.search_command(tag, charset.as_deref(), &criteria, uid, ret, out)
            }
            CommandBody::Sort {
                sort_criteria,
                charset,
                search_criteria,
                uid,
            } => {
                let charset = charset.as_ref().to_owned();
                let (criteria, search) = (&sort_criteria, &search_criteria);
                self.sort(criteria, &charset, search, uid, ret, tag, out)
            }
            CommandBody::Thread {
                algorithm,
                charset,
                search_criteria,
                uid,
            } => {
                let charset = charset.as_ref().to_owned();
                self.thread(&algorithm, &charset, &search_criteria, uid, out)
            }
            append @ CommandBody::Append { .. } => self.append_command(&append),
            CommandBody::Close => self.close(),
            CommandBody::Expunge => self.expunge(None, out).map(|t| self.expunge_text(t)),
            CommandBody::ExpungeUid { sequence_set } => self
                .expunge(Some(&sequence_set), out)
                .map(|t| self.expunge_text(t)),
            CommandBody::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                modifiers,
            } => {
                self.set_unchanged_since(&modifiers, out);
                self.store(&sequence_set, &kind, &response, &flags, uid, out)
            }
            CommandBody::Copy {
                sequence_set,
                mailbox,
                uid,
            } => self.copy(&sequence_set, &mailbox, uid, false, out),
            CommandBody::Move {
                sequence_set,
                mailbox,
                uid,
            } => self
                .copy(&sequence_set, &mailbox, uid, true, out)
                .map(|t| self.expunge_text(t)),
            _ => Err(Status::Bad("Command not supported".into())),
        }
    }

    /// Brings the view up to date after a command; when the view cannot go on (its mailbox was
    /// deleted or reset), the session ends with `BYE`.
    fn refresh_or_bye(&mut self, r: &mut Reply, allow_expunge: bool) {
        if let Err(e) = self.refresh(&mut r.out, allow_expunge) {
            respond::bye(&mut r.out, &e);
            r.action = Action::Logout;
        }
    }

    fn home(&self) -> Result<&Arc<Home>, Status> {
        self.user
            .as_ref()
            .map(|(_, h)| h)
            .ok_or_else(|| Status::Bad("Log in first".into()))
    }

    fn selected(&mut self) -> Result<&mut View, Status> {
        self.view
            .as_mut()
            .ok_or_else(|| Status::Bad("No mailbox selected".into()))
    }
}

/// Outcome of a command other than OK.
#[derive(Debug)]
enum Status {
    No(String),
    Bad(String),
    /// The driver completes the command (IDLE, AUTHENTICATE); nothing tagged now.
    Pending,
}
