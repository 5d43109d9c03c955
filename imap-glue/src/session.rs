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

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::extensions::sort::SortCriterion;
use imap_codec::imap_types::extensions::thread::ThreadingAlgorithm;
use imap_codec::imap_types::fetch::{
    Macro, MacroOrMessageDataItemNames, MessageDataItemName, Part as WirePart, Section,
};
use imap_codec::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox as WireMailbox};
use imap_codec::imap_types::search::SearchKey as WireKey;
use imap_codec::imap_types::sequence::SequenceSet as WireSet;
use imap_codec::imap_types::status::StatusDataItemName;
use mailfts_query::exec::Engine;
use mailfts_store::{mutf7, Flags, Mailbox, MailboxProbe, Snapshot, StoreError};

use crate::auth::{self, FailureTracker, PasswdEntry};
use crate::binary;
use crate::context;
use crate::convert::{self, ConvertError};
use crate::creds::UserCreds;
use crate::esearch::{self, ReturnOptions};
pub use crate::homes::Home;
use crate::homes::HomeRegistry;
use crate::listext::ListOptions;
use crate::mime;
use crate::notify;
use crate::observer::CommandStatus;
use crate::sort::{self, SortKeys};
use crate::wire;
use crate::{ImapConfig, SaveHooks};

mod condstore;

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

/// Matching messages for SORT and THREAD: (UID or sequence number, sequence number, sort keys).
type SortItems = Vec<(u32, u32, Arc<SortKeys>)>;

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

/// The selected mailbox as the client knows it.
pub struct View {
    name: String,
    mailbox: Mailbox,
    read_only: bool,
    uid_validity: u32,
    /// UIDs in sequence-number order.
    uids: Vec<u32>,
    /// Flags and keywords last reported to the client.
    told: HashMap<u32, (Flags, Vec<String>)>,
    recent: HashSet<u32>,
    /// The keywords announced to the client in `FLAGS` (RFC 3501 §7.2.6), in announcement order.
    keywords: Vec<String>,
    snapshot: Snapshot,
    /// What the mailbox's directories and lists looked like before the last sync, when they had
    /// settled: while they still look the same, nothing changed and no sync is needed.
    probe: Option<MailboxProbe>,
    /// The searches kept alive by `RETURN (UPDATE)` ([`crate::context`]).
    updates: context::Updates,
}

impl View {
    /// Announces the keywords among `used` that the client was not told of yet, in an untagged
    /// `FLAGS` and `PERMANENTFLAGS` (RFC 3501 §7.2.6: FETCH FLAGS only shows announced flags; what
    /// Dovecot does when a STORE or APPEND brings a new keyword).
    fn announce_keywords<'a>(
        &mut self,
        used: impl IntoIterator<Item = &'a String>,
        out: &mut Vec<u8>,
    ) {
        let before = self.keywords.len();
        for k in used {
            if !self.keywords.contains(k) {
                self.keywords.push(k.clone());
            }
        }
        if self.keywords.len() > before {
            flags_responses(&self.keywords, self.read_only, out);
        }
    }
}

/// The untagged `FLAGS` and `PERMANENTFLAGS` of a mailbox with these keywords.
fn flags_responses(keywords: &[String], read_only: bool, out: &mut Vec<u8>) {
    let kw: String = keywords.iter().map(|k| format!(" {k}")).collect();
    out.extend_from_slice(format!("* FLAGS ({SYSTEM_FLAGS}{kw})\r\n").as_bytes());
    let permanent = if read_only {
        String::new()
    } else {
        format!("{SYSTEM_FLAGS}{kw} \\*")
    };
    out.extend_from_slice(
        format!("* OK [PERMANENTFLAGS ({permanent})] Flags permitted\r\n").as_bytes(),
    );
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

/// The RFC 3501 flags of messages plus `$Forwarded` (Maildir `P`).
const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded";

fn flag_list(flags: Flags, keywords: &[String], recent: bool) -> String {
    let mut v: Vec<&str> = Vec::new();
    for (f, name) in [
        (Flags::SEEN, "\\Seen"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::DELETED, "\\Deleted"),
        (Flags::DRAFT, "\\Draft"),
        (Flags::PASSED, "$Forwarded"),
    ] {
        if flags.contains(f) {
            v.push(name);
        }
    }
    // \Recent before the keywords, as Dovecot 2.3 orders them.
    if recent {
        v.push("\\Recent");
    }
    v.extend(keywords.iter().map(String::as_str));
    format!("({})", v.join(" "))
}

/// The mailbox name (UTF-8) a client's mailbox argument stands for, validated.
pub fn mailbox_name(m: &WireMailbox<'_>) -> Result<String, String> {
    match m {
        WireMailbox::Inbox => Ok("INBOX".into()),
        WireMailbox::Other(o) => decode_name(o.as_ref()),
    }
}

fn decode_name(raw: &[u8]) -> Result<String, String> {
    let s = std::str::from_utf8(raw).map_err(|_| "mailbox name is not UTF-8".to_string())?;
    let name = if s.is_ascii() {
        mutf7::decode(s).map_err(|e| e.to_string())?
    } else {
        s.to_owned()
    };
    let name = name.strip_suffix('.').unwrap_or(&name).to_owned();
    if mailfts_store::is_inbox(&name) {
        return Ok("INBOX".into());
    }
    mailfts_store::validate_mailbox_name(&name).map_err(|e| e.to_string())?;
    Ok(name)
}

fn wire_name(out: &mut Vec<u8>, name: &str) {
    if name == "INBOX" {
        out.extend_from_slice(b"\"INBOX\"");
    } else {
        wire::string(out, mutf7::encode(name).as_bytes());
    }
}

fn special_use(name: &str) -> Option<&'static str> {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    Some(match last.as_str() {
        "sent" | "sent messages" | "sent items" | "sent mail" => "\\Sent",
        "drafts" | "draft" => "\\Drafts",
        "trash" | "deleted messages" | "deleted items" | "bin" => "\\Trash",
        "junk" | "spam" | "junk e-mail" => "\\Junk",
        "archive" | "archives" => "\\Archive",
        _ => return None,
    })
}

/// A LIST/LSUB mailbox pattern as a predicate on names (`INBOX` matched case-insensitively).
fn pattern_matcher(pattern: &str) -> impl Fn(&str) -> bool {
    let pchars: Vec<char> = pattern.chars().collect();
    let upper: Vec<char> = pattern.to_ascii_uppercase().chars().collect();
    move |name: &str| {
        let nchars: Vec<char> = name.chars().collect();
        wildcard_match(&pchars, &nchars) || (name == "INBOX" && wildcard_match(&upper, &nchars))
    }
}

/// `*` matches anything, `%` anything but the hierarchy separator (RFC 3501 §6.3.8).
pub fn wildcard_match(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|i| wildcard_match(rest, &name[i..])),
        Some(('%', rest)) => (0..=name.len())
            .take_while(|&i| i == 0 || name[i - 1] != '.')
            .any(|i| wildcard_match(rest, &name[i..])),
        Some((c, rest)) => name.first() == Some(c) && wildcard_match(rest, &name[1..]),
    }
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

fn internal_date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%d-%b-%Y %H:%M:%S +0000")
        .to_string()
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

    /// The capability list for the current state.
    pub fn capabilities(&self) -> String {
        let mut caps = String::from(
            "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE MULTIAPPEND UNSELECT CHILDREN LIST-EXTENDED SPECIAL-USE ESEARCH ESORT SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES THREAD=REFS BINARY CONTEXT=SEARCH CONTEXT=SORT NOTIFY",
        );
        caps.push_str(Session::COND_CAPABILITIES);
        if self.user.is_none() {
            let cfg = &self.shared.config;
            if cfg.tls.is_some() && !self.tls {
                caps.push_str(" STARTTLS");
            }
            if self.login_allowed() {
                caps.push_str(" AUTH=PLAIN");
            } else {
                caps.push_str(" LOGINDISABLED");
            }
        }
        caps
    }

    /// LOGIN and AUTHENTICATE are allowed: over TLS, from a trusted network (loopback by
    /// default, as Dovecot), or anywhere with `allow_plaintext`.
    fn login_allowed(&self) -> bool {
        let cfg = &self.shared.config;
        self.tls
            || cfg.allow_plaintext
            || crate::net::any_contains(&cfg.trusted_networks, self.peer)
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
        let mut r = Reply {
            out: Vec::new(),
            delay: None,
            action: Action::Continue,
            status: None,
        };
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
            if let Err(e) = self.refresh(&mut r.out, allow_expunge) {
                r.out.extend_from_slice(format!("* BYE {e}\r\n").as_bytes());
                r.action = Action::Logout;
            }
        }
        if !matches!(r.action, Action::Logout | Action::Idle(_)) {
            self.notify_poll(&mut r.out);
        }
        r.status = match result {
            Ok(text) => {
                r.out
                    .extend_from_slice(format!("{tag} OK {text}\r\n").as_bytes());
                Some(CommandStatus::Ok)
            }
            Err(Status::No(text)) => {
                r.out
                    .extend_from_slice(format!("{tag} NO {text}\r\n").as_bytes());
                Some(CommandStatus::No)
            }
            Err(Status::Bad(text)) => {
                r.out
                    .extend_from_slice(format!("{tag} BAD {text}\r\n").as_bytes());
                Some(CommandStatus::Bad)
            }
            Err(Status::Pending) => None,
        };
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
                out.extend_from_slice(b"* BYE Logging out\r\n");
                self.view = None;
                r.action = Action::Logout;
                Ok("LOGOUT completed".into())
            }
            CommandBody::Id { .. } => {
                out.extend_from_slice(b"* ID (\"name\" \"mailfts\" \"vendor\" \"mailfts\")\r\n");
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
            other => {
                if self.user.is_none() {
                    return Err(Status::Bad("Log in first".into()));
                }
                self.authenticated_command(tag, other, ret, r)
            }
        }
    }

    fn login(&mut self, user: &str, password: &[u8], r: &mut Reply) -> Result<String, Status> {
        if self.user.is_some() {
            return Err(Status::Bad("Already authenticated".into()));
        }
        if !self.login_allowed() {
            return Err(Status::No("[PRIVACYREQUIRED] Use STARTTLS first".into()));
        }
        let found = match auth::authenticate(&self.shared.config.passwd_file, user, password) {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the passwd file");
                return Err(Status::No(
                    "[UNAVAILABLE] Authentication unavailable".into(),
                ));
            }
        };
        let penalty = self
            .shared
            .failures
            .penalty(self.peer, self.shared.config.auth_failure_delay);
        let Some(entry) = found else {
            self.observe_login(false);
            let delay = self
                .shared
                .failures
                .failed(self.peer, self.shared.config.auth_failure_delay);
            tracing::warn!(user, peer = %self.peer, delay_ms = delay.as_millis() as u64, "failed login");
            r.delay = Some(delay);
            return Err(Status::No(
                "[AUTHENTICATIONFAILED] Authentication failed".into(),
            ));
        };
        // While the address has a penalty, a right password waits as long as a wrong one would:
        // the time of the answer tells nothing.
        r.delay = penalty;
        if entry.uid == Some(0) && !self.shared.config.allow_root_users {
            tracing::warn!(user, peer = %self.peer, "login of a uid 0 user refused (allow_root_users is off)");
            self.observe_login(false);
            return Err(Status::No(
                "[AUTHORIZATIONFAILED] Login not allowed for this user".into(),
            ));
        }
        let creds = UserCreds::of(&entry);
        // The home is opened (and its Maildir created) with the user's rights already.
        let entered = creds.map(|c| c.enter()).transpose().map_err(|e| {
            tracing::error!(user, error = %e, "cannot switch to the user's uid/gid");
            self.observe_login(false);
            Status::No("[UNAVAILABLE] Mail store unavailable".into())
        })?;
        let home = self.shared.homes.open_or_create(&entry.home).map_err(|e| {
            tracing::error!(user, home = %entry.home.display(), error = %e, "cannot open the user's Maildir");
            self.observe_login(false);
            Status::No("[UNAVAILABLE] Mail store unavailable".into())
        })?;
        drop(entered);
        self.creds = creds;
        self.shared.failures.succeeded(self.peer);
        self.observe_login(true);
        tracing::info!(user, peer = %self.peer, "logged in");
        self.user = Some((entry, home));
        Ok(format!("[CAPABILITY {}] Logged in", self.capabilities()))
    }

    fn observe_login(&self, ok: bool) {
        if let Some(o) = &self.shared.config.observer {
            o.login(ok);
        }
    }

    /// SASL PLAIN (RFC 4616): `authzid NUL authcid NUL password`.
    fn plain(&mut self, data: &[u8], r: &mut Reply) -> Result<String, Status> {
        let parts: Vec<&[u8]> = data.split(|&b| b == 0).collect();
        let [authz, authc, password] = parts.as_slice() else {
            return Err(Status::Bad("Malformed PLAIN response".into()));
        };
        if !authz.is_empty() && authz != authc {
            return Err(Status::No(
                "[AUTHORIZATIONFAILED] Proxy login not allowed".into(),
            ));
        }
        let user = String::from_utf8_lossy(authc).into_owned();
        self.login(&user, password, r)
    }

    /// Finishes an `AUTHENTICATE PLAIN` whose response came on its own line (base64, or `*` to
    /// cancel).
    pub fn authenticate_plain(&mut self, tag: &str, line: &[u8]) -> Reply {
        use base64::Engine as _;
        let mut r = Reply {
            out: Vec::new(),
            delay: None,
            action: Action::Continue,
            status: None,
        };
        let line = line.strip_suffix(b"\r\n").unwrap_or(line);
        let result = if line == b"*" {
            Err(Status::Bad("Authentication cancelled".into()))
        } else {
            match base64::engine::general_purpose::STANDARD.decode(line) {
                Ok(data) => self.plain(&data, &mut r),
                Err(_) => Err(Status::Bad("Invalid base64".into())),
            }
        };
        let (line, status) = match result {
            Ok(t) => (format!("{tag} OK {t}\r\n"), CommandStatus::Ok),
            Err(Status::No(t)) => (format!("{tag} NO {t}\r\n"), CommandStatus::No),
            Err(Status::Bad(t)) => (format!("{tag} BAD {t}\r\n"), CommandStatus::Bad),
            Err(Status::Pending) => (
                format!("{tag} BAD Unexpected continuation\r\n"),
                CommandStatus::Bad,
            ),
        };
        r.status = Some(status);
        r.out.extend_from_slice(line.as_bytes());
        r
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

    fn authenticated_command(
        &mut self,
        tag: &str,
        body: CommandBody<'_>,
        ret: Option<ReturnOptions>,
        r: &mut Reply,
    ) -> Result<String, Status> {
        let out = &mut r.out;
        match body {
            CommandBody::Enable { capabilities } => Ok(self.enable(capabilities.as_ref(), out)),
            CommandBody::Namespace => {
                out.extend_from_slice(b"* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
                Ok("NAMESPACE completed".into())
            }
            CommandBody::Select {
                mailbox,
                parameters,
            } => self.select_with(&mailbox, false, &parameters, out),
            CommandBody::Examine {
                mailbox,
                parameters,
            } => self.select_with(&mailbox, true, &parameters, out),
            CommandBody::Create { mailbox } => {
                let name =
                    mailbox_name(&mailbox).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
                self.home()?
                    .store
                    .create_mailbox(&name)
                    .map_err(|e| Status::No(store_no(&e)))?;
                Ok("CREATE completed".into())
            }
            CommandBody::Delete { mailbox } => {
                let name =
                    mailbox_name(&mailbox).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
                if self.view.as_ref().is_some_and(|v| v.name == name) {
                    return Err(Status::No("[INUSE] Mailbox is selected".into()));
                }
                let home = self.home()?.clone();
                home.store
                    .delete_mailbox(&name)
                    .map_err(|e| Status::No(store_no(&e)))?;
                home.sort.forget(&name);
                self.set_subscribed(&name, false);
                Ok("DELETE completed".into())
            }
            CommandBody::Rename { from, to } => {
                let from = mailbox_name(&from).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
                let to = mailbox_name(&to).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
                let home = self.home()?.clone();
                home.store
                    .rename_mailbox(&from, &to)
                    .map_err(|e| Status::No(store_no(&e)))?;
                home.sort.forget(&from);
                if self.subscriptions().contains(&from) {
                    self.set_subscribed(&from, false);
                    self.set_subscribed(&to, true);
                }
                Ok("RENAME completed".into())
            }
            CommandBody::Subscribe { mailbox } => {
                let name =
                    mailbox_name(&mailbox).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
                self.set_subscribed(&name, true);
                Ok("SUBSCRIBE completed".into())
            }
            CommandBody::Unsubscribe { mailbox } => {
                let name =
                    mailbox_name(&mailbox).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
                self.set_subscribed(&name, false);
                Ok("UNSUBSCRIBE completed".into())
            }
            CommandBody::List {
                reference,
                mailbox_wildcard,
            } => {
                match self.list_options.take() {
                    Some(opts) => self.list_extended(&reference, &opts, out)?,
                    None => self.list(&reference, &mailbox_wildcard, false, out)?,
                }
                Ok("LIST completed".into())
            }
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
            CommandBody::Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                let bytes: &[u8] = match &message {
                    imap_codec::imap_types::extensions::binary::LiteralOrLiteral8::Literal(l) => {
                        l.as_ref()
                    }
                    imap_codec::imap_types::extensions::binary::LiteralOrLiteral8::Literal8(l) => {
                        l.data.as_ref()
                    }
                };
                let date = date.map(|d| d.as_ref().timestamp());
                let more = std::mem::take(&mut self.more_appends);
                let mut messages = vec![(flags.as_slice(), date, bytes)];
                for cmd in &more {
                    match append_message(&cmd.body) {
                        Some((m, f, d, b)) if m == &mailbox => messages.push((f, d, b)),
                        _ => return Err(Status::Bad("Invalid MULTIAPPEND".into())),
                    }
                }
                self.append(&mailbox, &messages)
            }
            CommandBody::Close => {
                let view = self.selected()?;
                if !view.read_only {
                    let deleted: Vec<u32> = view
                        .snapshot
                        .messages()
                        .iter()
                        .filter(|m| m.flags.contains(Flags::DELETED))
                        .map(|m| m.uid)
                        .collect();
                    if !deleted.is_empty() {
                        let gone = view
                            .mailbox
                            .expunge(&deleted)
                            .map_err(|e| Status::No(store_no(&e)))?;
                        let (home, name) = (
                            self.home()?.dir.clone(),
                            self.view
                                .as_ref()
                                .map(|v| v.name.clone())
                                .unwrap_or_default(),
                        );
                        self.shared.hooks.expunged(&home, &name, &gone);
                    }
                }
                self.view = None;
                Ok("CLOSE completed".into())
            }
            CommandBody::Unselect => {
                self.selected()?;
                self.view = None;
                Ok("UNSELECT completed".into())
            }
            CommandBody::Expunge => self.expunge(None, out).map(|t| self.expunge_text(t)),
            CommandBody::ExpungeUid { sequence_set } => self
                .expunge(Some(&sequence_set), out)
                .map(|t| self.expunge_text(t)),
            CommandBody::Search {
                charset,
                criteria,
                uid,
            } => {
                let charset = charset.map(|c| c.as_ref().to_owned());
                let modseq = self.modseq_criteria(&criteria, uid, out)?;
                let criteria = modseq.as_ref().unwrap_or(&criteria);
                let (program, results) = self.search(charset.as_deref(), criteria, uid, out)?;
                match ret {
                    Some(opts) => {
                        esearch::response(out, tag, uid, opts, &results);
                        if opts.update {
                            self.keep_updating(tag, uid, program, None, &results)?;
                        }
                    }
                    None => {
                        out.extend_from_slice(b"* SEARCH");
                        for n in &results {
                            out.extend_from_slice(format!(" {n}").as_bytes());
                        }
                        out.extend_from_slice(b"\r\n");
                    }
                }
                if self.cond.modseq_search {
                    self.search_modseq(&results, uid, ret, out);
                }
                Ok("SEARCH completed".into())
            }
            CommandBody::Sort {
                sort_criteria,
                charset,
                search_criteria,
                uid,
            } => {
                let charset = charset.as_ref().to_owned();
                let modseq = self.modseq_criteria(&search_criteria, uid, out)?;
                self.sort(
                    &sort_criteria,
                    &charset,
                    modseq.as_ref().unwrap_or(&search_criteria),
                    uid,
                    ret,
                    tag,
                    out,
                )
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
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                modifiers,
            } => self.fetch_with(&sequence_set, &macro_or_item_names, uid, &modifiers, out),
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
            CommandBody::Idle => {
                r.action = Action::Idle(tag.to_owned());
                Err(Status::Pending)
            }
            CommandBody::Login { .. } | CommandBody::Authenticate { .. } => {
                Err(Status::Bad("Already authenticated".into()))
            }
            _ => Err(Status::Bad("Command not supported".into())),
        }
    }

    // ----- mailboxes -----

    fn subscriptions_path(&self) -> Option<PathBuf> {
        self.user
            .as_ref()
            .map(|(_, h)| h.store.root().join("subscriptions"))
    }

    /// Subscribed names. Without a `subscriptions` file every mailbox counts as subscribed.
    fn subscriptions(&self) -> Vec<String> {
        let Some(path) = self.subscriptions_path() else {
            return Vec::new();
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => text
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with("V\t"))
                .filter_map(|l| mutf7::decode(l).ok().or_else(|| Some(l.to_owned())))
                .collect(),
            Err(_) => self
                .user
                .as_ref()
                .and_then(|(_, h)| h.store.list_mailboxes().ok())
                .unwrap_or_default(),
        }
    }

    fn set_subscribed(&self, name: &str, on: bool) {
        let Some(path) = self.subscriptions_path() else {
            return;
        };
        let mut subs = self.subscriptions();
        subs.retain(|s| s != name);
        if on {
            subs.push(name.to_owned());
        }
        subs.sort();
        let text: String = subs
            .iter()
            .map(|s| format!("{}\n", mutf7::encode(s)))
            .collect();
        let tmp = path.with_extension("mailfts-tmp");
        if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write subscriptions");
        }
    }

    fn list(
        &self,
        reference: &WireMailbox<'_>,
        pattern: &ListMailbox<'_>,
        lsub: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Status> {
        let home = self.home()?;
        let pat_raw: &[u8] = match pattern {
            ListMailbox::Token(t) => t.as_ref(),
            ListMailbox::String(s) => s.as_ref(),
        };
        let reference = match reference {
            WireMailbox::Inbox => "INBOX".to_owned(),
            WireMailbox::Other(o) => {
                let s = String::from_utf8_lossy(o.as_ref()).into_owned();
                mutf7::decode(&s).unwrap_or(s)
            }
        };
        let word = if lsub { "LSUB" } else { "LIST" };
        if pat_raw.is_empty() {
            out.extend_from_slice(format!("* {word} (\\Noselect) \".\" \"\"\r\n").as_bytes());
            return Ok(());
        }
        let pat_s = String::from_utf8_lossy(pat_raw).into_owned();
        let pattern = format!("{reference}{}", mutf7::decode(&pat_s).unwrap_or(pat_s));
        if lsub {
            self.lsub(&pattern, out);
            return Ok(());
        }
        let names = home
            .store
            .list_mailboxes()
            .map_err(|e| Status::No(store_no(&e)))?;
        // Real mailboxes plus parents that exist only as prefixes (`Lists` of `Lists.usb`).
        let mut all: Vec<(String, bool)> = names.iter().map(|n| (n.clone(), true)).collect();
        let real: HashSet<&String> = names.iter().collect();
        let mut parents = HashSet::new();
        for n in &names {
            let mut p = n.as_str();
            while let Some((head, _)) = p.rsplit_once('.') {
                if !real.contains(&head.to_owned()) && parents.insert(head.to_owned()) {
                    all.push((head.to_owned(), false));
                }
                p = head;
            }
        }
        all.sort();
        let matches = pattern_matcher(&pattern);
        for (name, selectable) in &all {
            if !matches(name) {
                continue;
            }
            let has_children = all.iter().any(|(o, _)| o.starts_with(&format!("{name}.")));
            let mut attrs = vec![if has_children {
                "\\HasChildren"
            } else {
                "\\HasNoChildren"
            }];
            if !selectable {
                attrs.push("\\Noselect");
            }
            if let Some(su) = special_use(name).filter(|_| *selectable) {
                attrs.push(su);
            }
            out.extend_from_slice(format!("* LIST ({}) \".\" ", attrs.join(" ")).as_bytes());
            wire_name(out, name);
            out.extend_from_slice(b"\r\n");
        }
        Ok(())
    }

    /// LSUB (RFC 3501 §6.3.9): the subscribed names that match `pattern`, and, with `\Noselect`,
    /// the unsubscribed parents of subscribed names where the pattern matches the parent but not
    /// the name (`%` stopping at `Parent` of a subscribed `Parent.Child`). As Dovecot 2.3 does, no
    /// child attributes are given and INBOX comes first.
    fn lsub(&self, pattern: &str, out: &mut Vec<u8>) {
        let mut subscribed = self.subscriptions();
        subscribed.sort_by(|a, b| (a != "INBOX", a).cmp(&(b != "INBOX", b)));
        subscribed.dedup();
        let matches = pattern_matcher(pattern);
        let mut shown: Vec<(&str, bool)> = Vec::new();
        for name in &subscribed {
            if matches(name) {
                shown.push((name, false));
                continue;
            }
            let mut p = name.as_str();
            while let Some((parent, _)) = p.rsplit_once(mailfts_store::SEPARATOR) {
                if matches(parent) && !subscribed.iter().any(|s| s == parent) {
                    shown.push((parent, true));
                }
                p = parent;
            }
        }
        let mut seen = HashSet::new();
        for (name, noselect) in shown {
            if !seen.insert(name) {
                continue;
            }
            let attrs = if noselect { "\\Noselect" } else { "" };
            out.extend_from_slice(format!("* LSUB ({attrs}) \".\" ").as_bytes());
            wire_name(out, name);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// LIST-EXTENDED (RFC 5258): the names matching any of the patterns, all of them or (selection
    /// SUBSCRIBED) the subscribed ones, with the attributes the return options ask for. A parent
    /// that exists only as a prefix is `\\NonExistent`. With RECURSIVEMATCH, an unsubscribed parent
    /// matching the pattern where a subscribed descendant does not is listed with
    /// `CHILDINFO ("SUBSCRIBED")`, as Dovecot 2.3 does.
    fn list_extended(
        &self,
        reference: &WireMailbox<'_>,
        opts: &ListOptions,
        out: &mut Vec<u8>,
    ) -> Result<(), Status> {
        let home = self.home()?;
        let reference = match reference {
            WireMailbox::Inbox => "INBOX".to_owned(),
            WireMailbox::Other(o) => {
                let s = String::from_utf8_lossy(o.as_ref()).into_owned();
                mutf7::decode(&s).unwrap_or(s)
            }
        };
        let patterns: Vec<Vec<char>> = opts
            .patterns
            .iter()
            .map(|p| {
                let p = mutf7::decode(p).unwrap_or_else(|_| p.clone());
                format!("{reference}{p}").chars().collect()
            })
            .collect();
        let matches = |name: &str| {
            let n: Vec<char> = name.chars().collect();
            patterns.iter().any(|p| {
                wildcard_match(p, &n)
                    || (name == "INBOX"
                        && wildcard_match(
                            &p.iter().map(char::to_ascii_uppercase).collect::<Vec<_>>(),
                            &n,
                        ))
            })
        };
        let names = home
            .store
            .list_mailboxes()
            .map_err(|e| Status::No(store_no(&e)))?;
        let exists: HashSet<&str> = names.iter().map(String::as_str).collect();
        let subscribed: Vec<String> = if opts.return_subscribed {
            self.subscriptions()
        } else {
            Vec::new()
        };
        let is_subscribed = |n: &str| subscribed.iter().any(|s| s == n);
        // Every name there is: mailboxes, prefix-only parents, and subscribed names.
        let mut all: Vec<String> = names.clone();
        for n in names.iter().chain(subscribed.iter()) {
            let mut p = n.as_str();
            while let Some((parent, _)) = p.rsplit_once(mailfts_store::SEPARATOR) {
                all.push(parent.to_owned());
                p = parent;
            }
        }
        all.extend(subscribed.iter().cloned());
        all.sort_by(|a, b| (a != "INBOX", a).cmp(&(b != "INBOX", b)));
        all.dedup();
        let child_of = |parent: &str, n: &str| {
            n.strip_prefix(parent)
                .is_some_and(|r| r.starts_with(mailfts_store::SEPARATOR))
        };
        for name in &all {
            if !matches(name) {
                continue;
            }
            let childinfo =
                opts.recursive_match && subscribed.iter().any(|s| child_of(name, s) && !matches(s));
            if opts.subscribed && !is_subscribed(name) && !childinfo {
                continue;
            }
            let mut attrs: Vec<&str> = Vec::new();
            if !exists.contains(name.as_str()) {
                attrs.push("\\NonExistent");
            }
            if opts.return_subscribed && is_subscribed(name) {
                attrs.push("\\Subscribed");
            }
            if opts.return_children {
                let has = all
                    .iter()
                    .any(|o| child_of(name, o) && exists.contains(o.as_str()));
                attrs.push(if has {
                    "\\HasChildren"
                } else {
                    "\\HasNoChildren"
                });
            }
            if opts.return_special_use && exists.contains(name.as_str()) {
                attrs.extend(special_use(name));
            }
            out.extend_from_slice(format!("* LIST ({}) \".\" ", attrs.join(" ")).as_bytes());
            wire_name(out, name);
            if childinfo {
                out.extend_from_slice(b" (CHILDINFO (\"SUBSCRIBED\"))");
            }
            out.extend_from_slice(b"\r\n");
        }
        Ok(())
    }

    fn open_mailbox(&self, mailbox: &WireMailbox<'_>) -> Result<(String, Mailbox), Status> {
        let name = mailbox_name(mailbox).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
        let mb = self
            .home()?
            .store
            .mailbox(&name)
            .map_err(|e| Status::No(store_no(&e)))?;
        Ok((name, mb))
    }

    fn select(
        &mut self,
        mailbox: &WireMailbox<'_>,
        read_only: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        self.view = None;
        let (name, mb) = self.open_mailbox(mailbox)?;
        let mut snap = mb.sync().map_err(|e| Status::No(store_no(&e)))?;
        let mut keywords: Vec<String> = snap
            .messages()
            .iter()
            .flat_map(|m| m.keywords.iter().cloned())
            .collect();
        keywords.sort();
        keywords.dedup();
        flags_responses(&keywords, read_only, out);
        let recent: HashSet<u32> = snap
            .messages()
            .iter()
            .filter(|m| m.recent)
            .map(|m| m.uid)
            .collect();
        // \Recent belongs to the first session that sees a message (RFC 3501 §2.3.2): a
        // read-write session moves it from new/ to cur/, so later sessions do not see it as recent.
        if !read_only && !recent.is_empty() {
            claim_recent(&mb, snap.messages().iter().filter(|m| m.recent));
            snap = mb.sync().map_err(|e| Status::No(store_no(&e)))?;
        }
        out.extend_from_slice(
            format!(
                "* {} EXISTS\r\n* {} RECENT\r\n",
                snap.messages().len(),
                recent.len()
            )
            .as_bytes(),
        );
        if let Some(i) = snap
            .messages()
            .iter()
            .position(|m| !m.flags.contains(Flags::SEEN))
        {
            out.extend_from_slice(format!("* OK [UNSEEN {}] First unseen\r\n", i + 1).as_bytes());
        }
        out.extend_from_slice(
            format!(
                "* OK [UIDVALIDITY {}] UIDs valid\r\n* OK [UIDNEXT {}] Predicted next UID\r\n",
                snap.uid_validity, snap.uid_next
            )
            .as_bytes(),
        );
        let view = View {
            name,
            mailbox: mb,
            read_only,
            uid_validity: snap.uid_validity,
            uids: snap.messages().iter().map(|m| m.uid).collect(),
            told: snap
                .messages()
                .iter()
                .map(|m| (m.uid, (m.flags, m.keywords.clone())))
                .collect(),
            recent,
            keywords,
            snapshot: snap,
            probe: None,
            updates: context::Updates::default(),
        };
        self.view = Some(view);
        Ok(if read_only {
            "[READ-ONLY] EXAMINE completed".into()
        } else {
            "[READ-WRITE] SELECT completed".into()
        })
    }

    fn status(
        &self,
        mailbox: &WireMailbox<'_>,
        items: &[StatusDataItemName],
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let (name, mb) = self.open_mailbox(mailbox)?;
        let snap = mb.sync().map_err(|e| Status::No(store_no(&e)))?;
        let mut parts = Vec::new();
        for item in items {
            let (k, v) = match item {
                StatusDataItemName::Messages => ("MESSAGES", snap.messages().len() as u64),
                StatusDataItemName::Recent => (
                    "RECENT",
                    snap.messages().iter().filter(|m| m.recent).count() as u64,
                ),
                StatusDataItemName::UidNext => ("UIDNEXT", u64::from(snap.uid_next)),
                StatusDataItemName::UidValidity => ("UIDVALIDITY", u64::from(snap.uid_validity)),
                StatusDataItemName::HighestModSeq => ("HIGHESTMODSEQ", snap.highest_modseq),
                StatusDataItemName::Unseen => (
                    "UNSEEN",
                    snap.messages()
                        .iter()
                        .filter(|m| !m.flags.contains(Flags::SEEN))
                        .count() as u64,
                ),
                StatusDataItemName::Deleted => (
                    "DELETED",
                    snap.messages()
                        .iter()
                        .filter(|m| m.flags.contains(Flags::DELETED))
                        .count() as u64,
                ),
                _ => continue,
            };
            parts.push(format!("{k} {v}"));
        }
        out.extend_from_slice(b"* STATUS ");
        wire_name(out, &name);
        out.extend_from_slice(format!(" ({})\r\n", parts.join(" ")).as_bytes());
        Ok("STATUS completed".into())
    }

    /// APPEND of one message or, with MULTIAPPEND (RFC 3502), several: all are saved or none (the
    /// ones saved before a failure are removed again).
    fn append(
        &mut self,
        mailbox: &WireMailbox<'_>,
        messages: &[(&[Flag<'_>], Option<i64>, &[u8])],
    ) -> Result<String, Status> {
        let name = mailbox_name(mailbox).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
        let home = self.home()?.clone();
        let mb = home.store.mailbox(&name).map_err(|e| match e {
            StoreError::MailboxNotFound { .. } => {
                Status::No("[TRYCREATE] Mailbox does not exist".into())
            }
            e => Status::No(store_no(&e)),
        })?;
        let mut uids = Vec::with_capacity(messages.len());
        for (flags, date, bytes) in messages {
            let (f, kws) = flags_of(flags, Flags::empty(), &[], &StoreType::Replace);
            let kw: Vec<&str> = kws.iter().map(String::as_str).collect();
            match mb.save_recent(bytes, f, &kw, *date) {
                Ok(uid) => uids.push(uid),
                Err(e) => {
                    if let Err(undo) = mb.expunge(&uids) {
                        tracing::warn!(error = %undo, "could not remove a failed MULTIAPPEND's messages");
                    }
                    return Err(Status::No(store_no(&e)));
                }
            }
        }
        let validity = mb.sync().map(|s| s.uid_validity).unwrap_or(0);
        self.shared.hooks.saved(&home.dir, &name, &uids);
        let set = convert::uids_to_set(&uids);
        Ok(format!("[APPENDUID {validity} {set}] APPEND completed"))
    }

    // ----- selected state -----

    /// Brings the view up to date and writes what changed as untagged responses. Expunges are
    /// reported only when `allow_expunge`.
    pub fn refresh(&mut self, out: &mut Vec<u8>, allow_expunge: bool) -> Result<(), String> {
        let cond = self.cond;
        let Some(view) = self.view.as_mut() else {
            return Ok(());
        };
        let probe = view.mailbox.probe().ok();
        if probe.is_some() && view.probe == probe {
            self.fresh = true;
            return Ok(());
        }
        let snap = match view.mailbox.sync() {
            Ok(s) => s,
            Err(StoreError::MailboxNotFound { .. }) => {
                return Err("Selected mailbox was deleted".into())
            }
            Err(e) => {
                tracing::warn!(error = %e, "sync failed");
                return Ok(());
            }
        };
        if snap.uid_validity != view.uid_validity {
            return Err("[UIDVALIDITY changed] Mailbox was reset; select it again".into());
        }
        self.fresh = true;
        if allow_expunge && !view.updates.is_empty() {
            let gone: Vec<u32> = view
                .uids
                .iter()
                .copied()
                .filter(|&u| snap.get(u).is_none())
                .collect();
            view.updates.expunged(out, &gone, &view.uids);
        }
        if allow_expunge {
            let mut vanished = Vec::new();
            let mut i = view.uids.len();
            while i > 0 {
                i -= 1;
                let uid = view.uids[i];
                if snap.get(uid).is_none() {
                    view.uids.remove(i);
                    view.told.remove(&uid);
                    view.recent.remove(&uid);
                    if cond.qresync {
                        vanished.push(uid);
                    } else {
                        out.extend_from_slice(format!("* {} EXPUNGE\r\n", i + 1).as_bytes());
                    }
                }
            }
            Session::vanished_now(&mut vanished, out);
        }
        view.announce_keywords(snap.messages().iter().flat_map(|m| &m.keywords), out);
        let max = view.uids.last().copied().unwrap_or(0);
        let mut added = false;
        let mut claimed = false;
        for m in snap.messages().iter().filter(|m| m.uid > max) {
            view.uids.push(m.uid);
            view.told.insert(m.uid, (m.flags, m.keywords.clone()));
            if m.recent {
                view.recent.insert(m.uid);
                claimed = !view.read_only;
            }
            added = true;
        }
        let mut snap = snap;
        if claimed {
            claim_recent(
                &view.mailbox,
                snap.messages().iter().filter(|m| m.uid > max && m.recent),
            );
            if let Ok(s) = view.mailbox.sync() {
                snap = s;
            }
        }
        if added {
            out.extend_from_slice(
                format!(
                    "* {} EXISTS\r\n* {} RECENT\r\n",
                    view.uids.len(),
                    view.recent.len()
                )
                .as_bytes(),
            );
            // Keep a warm sort cache warm: add the new messages' keys now.
            if let Some((_, home)) = &self.user {
                if let Some(cache) = home.sort.existing(&view.name) {
                    let new: Vec<u32> = snap
                        .messages()
                        .iter()
                        .filter(|m| m.uid > max)
                        .map(|m| m.uid)
                        .collect();
                    cache
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .keys(&snap, &new);
                }
            }
        }
        for (i, &uid) in view.uids.iter().enumerate() {
            let Some(m) = snap.get(uid) else { continue };
            let told = view.told.get(&uid);
            if told.is_none_or(|(f, k)| *f != m.flags || *k != m.keywords) {
                out.extend_from_slice(
                    format!(
                        "* {} FETCH ({}FLAGS {})\r\n",
                        i + 1,
                        Session::unsolicited_prefix(cond, uid, m.modseq),
                        flag_list(m.flags, &m.keywords, view.recent.contains(&uid))
                    )
                    .as_bytes(),
                );
                view.told.insert(uid, (m.flags, m.keywords.clone()));
            }
        }
        view.snapshot = snap;
        let now = std::time::SystemTime::now();
        view.probe = probe.filter(|p| p.settled(now));
        self.context_updates(out);
        Ok(())
    }

    /// Re-runs the searches kept alive by `RETURN (UPDATE)` and reports their changes.
    fn context_updates(&mut self, out: &mut Vec<u8>) {
        let Some(view) = self.view.as_mut() else {
            return;
        };
        if view.updates.is_empty() {
            return;
        }
        let updates = std::mem::take(&mut view.updates);
        let fresh: Vec<Option<Vec<u32>>> = updates
            .iter()
            .map(|u| self.evaluate(&u.program, u.sort.as_deref()).ok())
            .collect();
        if let Some(view) = self.view.as_mut() {
            view.updates = updates;
            view.updates.changed(out, fresh, &view.uids);
        }
    }

    /// The UIDs of the view's messages that match `program`: ascending, or in the order of `sort`.
    fn evaluate(
        &mut self,
        program: &mailfts_query::SearchProgram,
        sort: Option<&[SortCriterion]>,
    ) -> Result<Vec<u32>, Status> {
        let found = if matches!(program.key, mailfts_query::SearchKey::All) {
            self.selected()?.uids.clone()
        } else {
            self.run_search(program)?
        };
        let home = self.home()?.clone();
        let view = self.selected()?;
        let mut uids: Vec<u32> = found
            .into_iter()
            .filter(|u| view.uids.binary_search(u).is_ok())
            .collect();
        uids.sort_unstable();
        let Some(criteria) = sort else {
            return Ok(uids);
        };
        let cache = home.sort.mailbox(&view.name);
        let keys = cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys(&view.snapshot, &uids);
        let mut items: Vec<(u32, u32, Arc<SortKeys>)> = keys
            .into_iter()
            .filter_map(|(u, k)| {
                let seq = view.uids.binary_search(&u).ok()? as u32 + 1;
                Some((u, seq, k))
            })
            .collect();
        sort::sort(&mut items, criteria);
        Ok(items.into_iter().map(|(u, _, _)| u).collect())
    }

    /// `NOTIFY SET …` / `NOTIFY NONE` (RFC 5465).
    pub fn notify_command(&mut self, tag: &str, cmd: notify::Command) -> Reply {
        let mut r = Reply {
            out: Vec::new(),
            delay: None,
            action: Action::Continue,
            status: None,
        };
        let result = match (&self.user, cmd) {
            (None, _) => Err(Status::Bad("Not logged in".into())),
            (Some(_), notify::Command::None) => {
                self.notify = None;
                Ok(())
            }
            (Some((_, home)), notify::Command::Set { status, groups }) => {
                let fetch_ok = groups
                    .iter()
                    .filter_map(|(_, e)| e.fetch.as_deref())
                    .all(|atts| notify::fetch_items(atts, "1").is_some());
                if fetch_ok {
                    let home = home.clone();
                    let boxes = notify::StoreMailboxes {
                        store: &home.store,
                        subscriptions: self.subscriptions(),
                    };
                    let selected = self.view.as_ref().map(|v| v.name.clone());
                    let mut w =
                        notify::Watch::new(groups, status, &boxes, selected.as_deref(), &mut r.out);
                    if let Some(v) = &self.view {
                        w.new_in_selected(&v.name, v.uid_validity, &v.uids);
                    }
                    self.notify = Some(w);
                    Ok(())
                } else {
                    Err(Status::Bad("Invalid MessageNew fetch attributes".into()))
                }
            }
        };
        let line = match result {
            Ok(()) => {
                r.status = Some(CommandStatus::Ok);
                format!("{tag} OK NOTIFY completed\r\n")
            }
            Err(Status::Bad(text) | Status::No(text)) => {
                r.status = Some(CommandStatus::Bad);
                format!("{tag} BAD {text}\r\n")
            }
            Err(Status::Pending) => unreachable!("NOTIFY never waits"),
        };
        r.out.extend_from_slice(line.as_bytes());
        r
    }

    /// After a command and while IDLE: what NOTIFY asked for (STATUS and LIST of other
    /// mailboxes, FETCH of new messages in the selected one).
    pub fn notify_poll(&mut self, out: &mut Vec<u8>) {
        let Some(mut w) = self.notify.take() else {
            return;
        };
        if let (Some(atts), Some(view)) = (w.selected_fetch().map(str::to_owned), &self.view) {
            let new = w.new_in_selected(&view.name, view.uid_validity, &view.uids);
            let seqs: Vec<u32> = new
                .iter()
                .filter_map(|u| view.uids.binary_search(u).ok().map(|i| i as u32 + 1))
                .collect();
            if let Some((set, items)) =
                notify::fetch_items(&atts, &wire::sequence_set(&seqs)).filter(|_| !seqs.is_empty())
            {
                let _ = self.fetch(&set, &items, false, out);
            }
        }
        if let Some((_, home)) = &self.user {
            let home = home.clone();
            let boxes = notify::StoreMailboxes {
                store: &home.store,
                subscriptions: self.subscriptions(),
            };
            let selected = self.view.as_ref().map(|v| v.name.as_str());
            w.look(&boxes, selected, out);
        }
        self.notify = Some(w);
    }

    /// `CANCELUPDATE "t" …` (RFC 5267 §4.2): stops the searches with these tags.
    pub fn cancel_update(&mut self, tag: &str, tags: &[String]) -> Reply {
        let mut r = Reply {
            out: Vec::new(),
            delay: None,
            action: Action::Continue,
            status: None,
        };
        let logged_in = self.user.is_some();
        let result = match self.selected() {
            Err(_) if !logged_in => Err(Status::Bad("Not logged in".into())),
            // As Dovecot 2.3: the searches ended with the selection.
            Err(_) => Err(Status::No("Unknown tag".into())),
            Ok(view) => {
                if view.updates.cancel(tags) {
                    Ok("Updates cancelled".to_owned())
                } else {
                    Err(Status::No("Unknown tag".into()))
                }
            }
        };
        if self.view.is_some() {
            if let Err(e) = self.refresh(&mut r.out, true) {
                r.out.extend_from_slice(format!("* BYE {e}\r\n").as_bytes());
                r.action = Action::Logout;
            }
        }
        let (status, line) = match result {
            Ok(text) => (CommandStatus::Ok, format!("{tag} OK {text}\r\n")),
            Err(Status::No(text)) => (CommandStatus::No, format!("{tag} NO {text}\r\n")),
            Err(Status::Bad(text)) => (CommandStatus::Bad, format!("{tag} BAD {text}\r\n")),
            Err(Status::Pending) => (CommandStatus::Bad, format!("{tag} BAD Invalid state\r\n")),
        };
        r.out.extend_from_slice(line.as_bytes());
        r.status = Some(status);
        r
    }

    fn positions(&mut self, set: &WireSet, uid: bool) -> Result<Vec<usize>, Status> {
        let view = self.selected()?;
        Ok(if uid {
            convert::uid_positions(set, &view.uids)
        } else {
            // RFC 3501: a sequence number above the message count is an error.
            let positions = convert::seq_positions(set, view.uids.len());
            let too_big = set.0.as_ref().iter().any(|s| {
                use imap_codec::imap_types::sequence::{SeqOrUid, Sequence};
                let big = |b: &SeqOrUid| matches!(b, SeqOrUid::Value(v) if v.get() as usize > view.uids.len());
                match s {
                    Sequence::Single(a) => big(a),
                    Sequence::Range(a, b) => big(a) && big(b),
                }
            });
            if too_big {
                return Err(Status::Bad("Invalid message sequence number".into()));
            }
            positions
        })
    }

    fn expunge(&mut self, set: Option<&WireSet>, out: &mut Vec<u8>) -> Result<String, Status> {
        let positions = match set {
            Some(s) => Some(self.positions(s, true)?),
            None => None,
        };
        let view = self.selected()?;
        if view.read_only {
            return Err(Status::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        let wanted: Option<HashSet<u32>> =
            positions.map(|p| p.iter().map(|&i| view.uids[i]).collect());
        let deleted: Vec<u32> = view
            .snapshot
            .messages()
            .iter()
            .filter(|m| m.flags.contains(Flags::DELETED))
            .filter(|m| wanted.as_ref().is_none_or(|w| w.contains(&m.uid)))
            .map(|m| m.uid)
            .collect();
        if !deleted.is_empty() {
            let gone = view
                .mailbox
                .expunge(&deleted)
                .map_err(|e| Status::No(store_no(&e)))?;
            let name = view.name.clone();
            let home = self.home()?.dir.clone();
            self.shared.hooks.expunged(&home, &name, &gone);
        }
        self.refresh(out, true).map_err(Status::No)?;
        Ok("EXPUNGE completed".into())
    }

    fn program(
        &mut self,
        charset: Option<&str>,
        criteria: &[WireKey<'_>],
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<mailfts_query::SearchProgram, Status> {
        // New mail becomes part of the view first, so the answer can name it.
        self.refresh(out, uid).map_err(Status::No)?;
        let deep = self.deep_criteria.take();
        let view = self.selected()?;
        let mut recent: Vec<u32> = view.recent.iter().copied().collect();
        recent.sort_unstable();
        let v = convert::View {
            uids: &view.uids,
            recent: Some(&recent),
        };
        if let Some(program) = deep {
            return Ok(mailfts_query::SearchProgram {
                charset: program.charset,
                key: convert::rebase(program.key, v),
            });
        }
        convert::program(charset, criteria, v).map_err(|e| match e {
            ConvertError::BadCharset(_) => {
                Status::No("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset".into())
            }
            ConvertError::Unsupported(what) => Status::Bad(format!("Unsupported {what}")),
        })
    }

    /// Runs the search; returns UIDs (uid) or sequence numbers, ascending.
    fn search(
        &mut self,
        charset: Option<&str>,
        criteria: &Vec1<WireKey<'_>>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<(mailfts_query::SearchProgram, Vec<u32>), Status> {
        let program = self.program(charset, criteria.as_ref(), uid, out)?;
        let uids = self.run_search(&program)?;
        let view = self.selected()?;
        // the view's UIDs ascend: a binary search per hit, not a map of the whole mailbox
        let position = |u: &u32| view.uids.binary_search(u).ok();
        if uid {
            let v = uids.into_iter().filter(|u| position(u).is_some()).collect();
            Ok((program, v))
        } else {
            let mut v: Vec<u32> = uids
                .iter()
                .filter_map(|u| position(u).map(|i| i as u32 + 1))
                .collect();
            v.sort_unstable();
            Ok((program, v))
        }
    }

    /// `RETURN (UPDATE)`: keeps the search alive, starting from its result now (`ids`: UIDs or
    /// sequence numbers as `uid` says, ascending or in sort order).
    fn keep_updating(
        &mut self,
        tag: &str,
        uid: bool,
        program: mailfts_query::SearchProgram,
        sort: Option<Vec<SortCriterion>>,
        ids: &[u32],
    ) -> Result<(), Status> {
        let view = self.selected()?;
        let results = if uid {
            ids.to_vec()
        } else {
            ids.iter()
                .filter_map(|&s| view.uids.get((s as usize).checked_sub(1)?).copied())
                .collect()
        };
        view.updates.add(context::Update {
            tag: tag.to_owned(),
            uid,
            program,
            sort,
            results,
        });
        Ok(())
    }

    fn run_search(&mut self, program: &mailfts_query::SearchProgram) -> Result<Vec<u32>, Status> {
        let home = self.home()?.clone();
        let name = self.selected()?.name.clone();
        let index = home.index();
        let engine = Engine::new(&home.store, index.as_deref());
        let t = std::time::Instant::now();
        let mode = self.shared.config.search_mode;
        // The parallel scan runs on rayon threads: those of a pool acting as the user when the
        // session has credentials, never the global pool's (root's) threads.
        let answer = match self.creds {
            Some(c) => match c.pool() {
                Some(pool) => pool.install(|| engine.search(&name, program, mode)),
                None => return Err(Status::No("[UNAVAILABLE] Search unavailable".into())),
            },
            None => engine.search(&name, program, mode),
        };
        let answer = answer.map_err(|e| {
            tracing::warn!(mailbox = name, error = %e, "search failed");
            Status::No("[SERVERBUG] Search failed (logged)".into())
        })?;
        tracing::debug!(mailbox = name, program = %program, hits = answer.uids.len(),
            ms = t.elapsed().as_secs_f64() * 1e3, source = answer.explain.source,
            store_ms = answer.explain.store_ms, index_ms = answer.explain.index_ms,
            scan_ms = answer.explain.scan_ms, "search");
        Ok(answer.uids)
    }

    /// (id, seq, keys) of the matching messages.
    fn sorted_items(
        &mut self,
        charset: &str,
        criteria: &Vec1<WireKey<'_>>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<(mailfts_query::SearchProgram, SortItems), Status> {
        let program = self.program(Some(charset), criteria.as_ref(), uid, out)?;
        let all = matches!(program.key, mailfts_query::SearchKey::All);
        let view = self.selected()?;
        let uids = if all {
            view.uids.clone()
        } else {
            self.run_search(&program)?
        };
        let home = self.home()?.clone();
        let view = self.selected()?;
        let cache = home.sort.mailbox(&view.name);
        let keys = cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys(&view.snapshot, &uids);
        let seq: HashMap<u32, u32> = view
            .uids
            .iter()
            .enumerate()
            .map(|(i, &u)| (u, i as u32 + 1))
            .collect();
        let items = keys
            .into_iter()
            .filter_map(|(u, k)| seq.get(&u).map(|&s| (if uid { u } else { s }, s, k)))
            .collect();
        Ok((program, items))
    }

    /// SORT; with `ret` (ESORT, RFC 5267 §3) the answer is an `* ESEARCH` in sort order.
    #[allow(clippy::too_many_arguments)]
    fn sort(
        &mut self,
        criteria: &Vec1<SortCriterion>,
        charset: &str,
        search: &Vec1<WireKey<'_>>,
        uid: bool,
        ret: Option<ReturnOptions>,
        tag: &str,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let (program, mut items) = self.sorted_items(charset, search, uid, out)?;
        sort::sort(&mut items, criteria.as_ref());
        let ids: Vec<u32> = items.iter().map(|(id, _, _)| *id).collect();
        if let Some(opts) = ret {
            esearch::sort_response(out, tag, uid, opts, &ids);
            if opts.update {
                let criteria = criteria.as_ref().to_vec();
                self.keep_updating(tag, uid, program, Some(criteria), &ids)?;
            }
        } else {
            out.extend_from_slice(b"* SORT");
            for id in &ids {
                out.extend_from_slice(format!(" {id}").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        }
        if self.cond.modseq_search {
            self.search_modseq(&ids, uid, ret, out);
        }
        Ok("SORT completed".into())
    }

    fn thread(
        &mut self,
        algorithm: &ThreadingAlgorithm<'_>,
        charset: &str,
        search: &Vec1<WireKey<'_>>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        type Threader = fn(&[(u32, u32, Arc<SortKeys>)]) -> Vec<sort::ThreadNode>;
        let threader: Threader = match algorithm {
            ThreadingAlgorithm::OrderedSubject => sort::ordered_subject,
            ThreadingAlgorithm::References => sort::references,
            ThreadingAlgorithm::Other(other) if other.as_ref().eq_ignore_ascii_case("REFS") => {
                sort::refs
            }
            _ => return Err(Status::Bad("Unknown thread algorithm".into())),
        };
        let (_, items) = self.sorted_items(charset, search, uid, out)?;
        let threads = threader(&items);
        out.extend_from_slice(
            format!("* THREAD {}\r\n", sort::format_threads(&threads)).as_bytes(),
        );
        Ok("THREAD completed".into())
    }

    fn fetch(
        &mut self,
        set: &WireSet,
        items: &MacroOrMessageDataItemNames<'_>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        self.refresh(out, uid).map_err(Status::No)?;
        let positions = self.positions(set, uid)?;
        let positions = self.only_changed(positions);
        let mut names: Vec<MessageDataItemName<'_>> = match items {
            MacroOrMessageDataItemNames::Macro(m) => {
                let mut v = vec![
                    MessageDataItemName::Flags,
                    MessageDataItemName::InternalDate,
                    MessageDataItemName::Rfc822Size,
                ];
                match m {
                    Macro::Fast => {}
                    Macro::All => v.push(MessageDataItemName::Envelope),
                    Macro::Full => {
                        v.push(MessageDataItemName::Envelope);
                        v.push(MessageDataItemName::Body);
                    }
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
                v
            }
            MacroOrMessageDataItemNames::MessageDataItemNames(v) => v.clone(),
        };
        if uid && !names.contains(&MessageDataItemName::Uid) {
            names.insert(0, MessageDataItemName::Uid);
        }
        let view = self.selected()?;
        let sets_seen = !view.read_only
            && names.iter().any(|n| {
                matches!(
                    n,
                    MessageDataItemName::BodyExt { peek: false, .. }
                        | MessageDataItemName::Binary { peek: false, .. }
                        | MessageDataItemName::Rfc822
                        | MessageDataItemName::Rfc822Text
                )
            });
        let needs_content = names.iter().any(|n| {
            !matches!(
                n,
                MessageDataItemName::Uid
                    | MessageDataItemName::Flags
                    | MessageDataItemName::InternalDate
                    | MessageDataItemName::Rfc822Size
                    | MessageDataItemName::ModSeq
            )
        });
        let needs_size = names.contains(&MessageDataItemName::Rfc822Size);
        let mut expunged = false;
        for pos in positions {
            let uid_v = view.uids[pos];
            let Some(entry) = view.snapshot.get(uid_v).cloned() else {
                expunged = true;
                continue;
            };
            let mut flags = entry.flags;
            let mut keywords = entry.keywords.clone();
            let mut flags_changed = false;
            if sets_seen && !flags.contains(Flags::SEEN) {
                flags.set(Flags::SEEN, true);
                let kw: Vec<&str> = keywords.iter().map(String::as_str).collect();
                if view.mailbox.set_flags(uid_v, flags, &kw).is_ok() {
                    flags_changed = true;
                    view.told.insert(uid_v, (flags, keywords.clone()));
                } else {
                    flags.set(Flags::SEEN, false);
                }
            }
            // RFC822.SIZE alone is answered from the file name's `W=` size when it has one.
            let needs_content = needs_content || (needs_size && entry.vsize_hint.is_none());
            let content = if needs_content {
                let read = entry.read().or_else(|_| {
                    // Renamed since our sync (a flag change elsewhere): look again.
                    let snap = view.mailbox.sync().map_err(std::io::Error::other)?;
                    let e = snap
                        .get(uid_v)
                        .cloned()
                        .ok_or(std::io::ErrorKind::NotFound)?;
                    flags = e.flags;
                    keywords = e.keywords.clone();
                    e.read()
                });
                match read {
                    Ok(raw) => Some(wire::to_crlf(raw)),
                    Err(_) => {
                        expunged = true;
                        continue;
                    }
                }
            } else {
                None
            };
            let mut parsed: Option<mime::Part> = None;
            let mut items_out: Vec<Vec<u8>> = Vec::new();
            let mut flags_sent = false;
            let mut failed: Option<binary::BinaryError> = None;
            for name in &names {
                let mut item = Vec::new();
                match name {
                    MessageDataItemName::Uid => {
                        item.extend_from_slice(format!("UID {uid_v}").as_bytes())
                    }
                    MessageDataItemName::Flags => {
                        flags_sent = true;
                        item.extend_from_slice(
                            format!(
                                "FLAGS {}",
                                flag_list(flags, &keywords, view.recent.contains(&uid_v))
                            )
                            .as_bytes(),
                        );
                    }
                    MessageDataItemName::InternalDate => {
                        let secs = entry.internal_date().unwrap_or(0);
                        item.extend_from_slice(
                            format!("INTERNALDATE \"{}\"", internal_date(secs)).as_bytes(),
                        );
                    }
                    MessageDataItemName::ModSeq => {
                        item.extend_from_slice(format!("MODSEQ ({})", entry.modseq).as_bytes())
                    }
                    MessageDataItemName::Rfc822Size => {
                        let n = match &content {
                            Some(c) => c.len() as u64,
                            None => entry.vsize_hint.unwrap_or(0),
                        };
                        item.extend_from_slice(format!("RFC822.SIZE {n}").as_bytes());
                    }
                    MessageDataItemName::Binary { section, .. }
                    | MessageDataItemName::BinarySize { section } => {
                        let msg = content.as_deref().unwrap_or(&[]);
                        let root = parsed.get_or_insert_with(|| mime::parse(msg, 0..msg.len()));
                        let path: Vec<u32> = section.iter().map(|n| n.get()).collect();
                        let want = match name {
                            MessageDataItemName::Binary { partial, .. } => {
                                binary::Want::Content(partial.map(|(s, l)| (s, l.get())))
                            }
                            _ => binary::Want::Size,
                        };
                        if let Err(e) = binary::fetch_item(&mut item, &path, want, msg, root) {
                            failed = Some(e);
                            break;
                        }
                    }
                    other => {
                        let msg = content.as_deref().unwrap_or(&[]);
                        let root = parsed.get_or_insert_with(|| mime::parse(msg, 0..msg.len()));
                        if !fetch_content_item(&mut item, other, msg, root) {
                            continue;
                        }
                    }
                }
                items_out.push(item);
            }
            if flags_changed && !flags_sent {
                items_out.push(
                    format!(
                        "FLAGS {}",
                        flag_list(flags, &keywords, view.recent.contains(&uid_v))
                    )
                    .into_bytes(),
                );
            }
            if let (Some(e), true) = (failed, items_out.is_empty()) {
                return Err(Status::No(e.response().into()));
            }
            out.extend_from_slice(format!("* {} FETCH (", pos + 1).as_bytes());
            for (i, it) in items_out.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(it);
            }
            out.extend_from_slice(b")\r\n");
            if let Some(e) = failed {
                // As Dovecot 2.3: the FETCH stops at the first part it cannot decode.
                return Err(Status::No(e.response().into()));
            }
        }
        if expunged {
            return Err(Status::No(
                "[EXPUNGEISSUED] Some messages were expunged".into(),
            ));
        }
        Ok("FETCH completed".into())
    }

    fn store(
        &mut self,
        set: &WireSet,
        kind: &StoreType,
        response: &StoreResponse,
        flags: &[Flag<'_>],
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let unchanged_since = self.cond.unchanged_since.take();
        self.refresh(out, uid).map_err(Status::No)?;
        let positions = self.positions(set, uid)?;
        let view = self.selected()?;
        if view.read_only {
            return Err(Status::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        let mut changed = Vec::new();
        let mut failed = None;
        let mut answers = Vec::new();
        let mut modified = Vec::new();
        for pos in positions {
            let u = view.uids[pos];
            let Some(entry) = view.snapshot.get(u) else {
                continue;
            };
            if unchanged_since.is_some_and(|n| entry.modseq > n) {
                modified.push(if uid { u } else { pos as u32 + 1 });
                continue;
            }
            let (f, kws) = flags_of(flags, entry.flags, &entry.keywords, kind);
            let mut did = false;
            if f != entry.flags || kws != entry.keywords {
                let kw: Vec<&str> = kws.iter().map(String::as_str).collect();
                let set = match unchanged_since {
                    Some(n) => view.mailbox.set_flags_if_unchanged(u, f, &kw, n),
                    None => view.mailbox.set_flags(u, f, &kw).map(|()| true),
                };
                match set {
                    Ok(false) => {
                        modified.push(if uid { u } else { pos as u32 + 1 });
                        continue;
                    }
                    Ok(true) => {
                        changed.push(u);
                        did = true;
                    }
                    Err(StoreError::UidNotFound { .. }) => continue,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            view.told.insert(u, (f, kws.clone()));
            view.announce_keywords(&kws, out);
            answers.push((pos, u, f, kws, did));
        }
        let silent = *response != StoreResponse::Answer;
        self.store_answers(&answers, silent, uid, out);
        let view = self.selected()?;
        let name = view.name.clone();
        if !changed.is_empty() {
            let home = self.home()?.dir.clone();
            self.shared.hooks.flags_changed(&home, &name, &changed);
        }
        match failed {
            Some(e) => Err(Status::No(store_no(&e))),
            None => Ok(Session::store_text(&mut modified)),
        }
    }

    fn copy(
        &mut self,
        set: &WireSet,
        mailbox: &WireMailbox<'_>,
        uid: bool,
        is_move: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        self.refresh(out, uid || is_move).map_err(Status::No)?;
        let positions = self.positions(set, uid)?;
        let dest_name = mailbox_name(mailbox).map_err(|e| Status::No(format!("[CANNOT] {e}")))?;
        let home = self.home()?.clone();
        let dest = home.store.mailbox(&dest_name).map_err(|e| match e {
            StoreError::MailboxNotFound { .. } => {
                Status::No("[TRYCREATE] Mailbox does not exist".into())
            }
            e => Status::No(store_no(&e)),
        })?;
        let view = self.selected()?;
        if is_move && view.read_only {
            return Err(Status::No("[READ-ONLY] Mailbox is read-only".into()));
        }
        let mut src_uids = Vec::new();
        let mut dst_uids = Vec::new();
        for pos in positions {
            let u = view.uids[pos];
            match view.mailbox.copy_to_recent(u, &dest) {
                Ok(new) => {
                    src_uids.push(u);
                    dst_uids.push(new);
                }
                Err(StoreError::UidNotFound { .. }) => {}
                Err(e) => return Err(Status::No(store_no(&e))),
            }
        }
        let src_name = view.name.clone();
        let validity = dest.sync().map(|s| s.uid_validity).unwrap_or(0);
        if !dst_uids.is_empty() {
            self.shared.hooks.saved(&home.dir, &dest_name, &dst_uids);
        }
        let copyuid = if src_uids.is_empty() {
            String::new()
        } else {
            // Runs of UIDs as ranges (both lists ascend, so the pairs keep their order), as Dovecot.
            format!(
                "[COPYUID {validity} {} {}] ",
                convert::uids_to_set(&src_uids),
                convert::uids_to_set(&dst_uids)
            )
        };
        if is_move {
            if !copyuid.is_empty() {
                out.extend_from_slice(format!("* OK {copyuid}Moved\r\n").as_bytes());
            }
            let view = self.selected()?;
            let gone = view
                .mailbox
                .expunge(&src_uids)
                .map_err(|e| Status::No(store_no(&e)))?;
            self.shared.hooks.expunged(&home.dir, &src_name, &gone);
            self.refresh(out, true).map_err(Status::No)?;
            Ok("MOVE completed".into())
        } else {
            Ok(format!("{copyuid}COPY completed"))
        }
    }
}

/// Moves recent messages from `new/` to `cur/` (same flags), so no other session sees them as
/// recent. Failures only mean another session was first.
fn claim_recent<'a>(
    mailbox: &Mailbox,
    entries: impl Iterator<Item = &'a mailfts_store::MessageEntry>,
) {
    for m in entries {
        let kw: Vec<&str> = m.keywords.iter().map(String::as_str).collect();
        if let Err(e) = mailbox.set_flags(m.uid, m.flags, &kw) {
            tracing::debug!(uid = m.uid, error = %e, "could not claim a recent message");
        }
    }
}

/// The mailbox, flags, internal date and bytes of an APPEND.
#[allow(clippy::type_complexity)]
fn append_message<'a>(
    body: &'a CommandBody<'_>,
) -> Option<(&'a WireMailbox<'a>, &'a [Flag<'a>], Option<i64>, &'a [u8])> {
    use imap_codec::imap_types::extensions::binary::LiteralOrLiteral8;
    let CommandBody::Append {
        mailbox,
        flags,
        date,
        message,
    } = body
    else {
        return None;
    };
    let bytes: &[u8] = match message {
        LiteralOrLiteral8::Literal(l) => l.as_ref(),
        LiteralOrLiteral8::Literal8(l) => l.data.as_ref(),
    };
    Some((
        mailbox,
        flags.as_slice(),
        date.as_ref().map(|d| d.as_ref().timestamp()),
        bytes,
    ))
}

/// Outcome of a command other than OK.
#[derive(Debug)]
enum Status {
    No(String),
    Bad(String),
    /// The driver completes the command (IDLE, AUTHENTICATE); nothing tagged now.
    Pending,
}

/// The flags and keywords after applying a STORE (or APPEND) flag list to the current ones.
fn flags_of(
    list: &[Flag<'_>],
    current: Flags,
    keywords: &[String],
    kind: &StoreType,
) -> (Flags, Vec<String>) {
    let mut f = Flags::empty();
    let mut kws: Vec<String> = Vec::new();
    for flag in list {
        match flag {
            Flag::Answered => f.set(Flags::ANSWERED, true),
            Flag::Deleted => f.set(Flags::DELETED, true),
            Flag::Draft => f.set(Flags::DRAFT, true),
            Flag::Flagged => f.set(Flags::FLAGGED, true),
            Flag::Seen => f.set(Flags::SEEN, true),
            Flag::Keyword(k) if k.as_ref().eq_ignore_ascii_case("$Forwarded") => {
                f.set(Flags::PASSED, true)
            }
            Flag::Keyword(k) => kws.push(k.as_ref().to_owned()),
            Flag::Extension(_) => {}
        }
    }
    match kind {
        StoreType::Replace => (f, kws),
        StoreType::Add => {
            let mut all = keywords.to_vec();
            for k in kws {
                if !all.contains(&k) {
                    all.push(k);
                }
            }
            (current.union(f), all)
        }
        StoreType::Remove => (
            Flags::from_bits(current.bits() & !f.bits()),
            keywords
                .iter()
                .filter(|k| !kws.contains(k))
                .cloned()
                .collect(),
        ),
    }
}

fn part_path(p: &Option<WirePart>) -> Vec<u32> {
    p.as_ref()
        .map(|p| p.0.as_ref().iter().map(|n| n.get()).collect())
        .unwrap_or_default()
}

fn section_name(section: &Option<Section<'_>>) -> String {
    let prefix = |p: &Option<WirePart>| {
        let path = part_path(p);
        if path.is_empty() {
            String::new()
        } else {
            format!(
                "{}.",
                path.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(".")
            )
        }
    };
    let names = |v: &Vec1<imap_codec::imap_types::core::AString<'_>>| {
        let mut out = Vec::new();
        for (i, n) in v.as_ref().iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            wire::astring(&mut out, n.as_ref());
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    match section {
        None => String::new(),
        Some(Section::Part(p)) => {
            p.0.as_ref()
                .iter()
                .map(|n| n.get().to_string())
                .collect::<Vec<_>>()
                .join(".")
        }
        Some(Section::Header(p)) => format!("{}HEADER", prefix(p)),
        Some(Section::HeaderFields(p, v)) => format!("{}HEADER.FIELDS ({})", prefix(p), names(v)),
        Some(Section::HeaderFieldsNot(p, v)) => {
            format!("{}HEADER.FIELDS.NOT ({})", prefix(p), names(v))
        }
        Some(Section::Text(p)) => format!("{}TEXT", prefix(p)),
        Some(Section::Mime(p)) => format!(
            "{}.MIME",
            p.0.as_ref()
                .iter()
                .map(|n| n.get().to_string())
                .collect::<Vec<_>>()
                .join(".")
        ),
    }
}

/// The bytes a section names (RFC 3501 §6.4.5), empty when the part does not exist.
fn section_bytes(section: &Option<Section<'_>>, msg: &[u8], root: &mime::Part) -> Vec<u8> {
    // The message whose header/text a `[p.]HEADER`/`TEXT` names.
    let message_at = |p: &Option<WirePart>| -> Option<&mime::Part> {
        let path = part_path(p);
        if path.is_empty() {
            return Some(root);
        }
        mime::locate(root, &path).and_then(|part| part.message.as_deref())
    };
    let slice = |r: std::ops::Range<usize>| msg[r].to_vec();
    match section {
        None => msg.to_vec(),
        Some(Section::Part(p)) => {
            let path: Vec<u32> = p.0.as_ref().iter().map(|n| n.get()).collect();
            mime::locate(root, &path)
                .map(|part| slice(part.body.clone()))
                .unwrap_or_default()
        }
        Some(Section::Header(p)) => message_at(p)
            .map(|m| slice(m.header.clone()))
            .unwrap_or_default(),
        Some(Section::Text(p)) => message_at(p)
            .map(|m| slice(m.body.clone()))
            .unwrap_or_default(),
        Some(Section::HeaderFields(p, v)) | Some(Section::HeaderFieldsNot(p, v)) => {
            let not = matches!(section, Some(Section::HeaderFieldsNot(..)));
            let names: Vec<Vec<u8>> = v.as_ref().iter().map(|n| n.as_ref().to_vec()).collect();
            message_at(p)
                .map(|m| mime::header_fields(&msg[m.header.clone()], &names, not))
                .unwrap_or_default()
        }
        Some(Section::Mime(p)) => {
            let path: Vec<u32> = p.0.as_ref().iter().map(|n| n.get()).collect();
            mime::locate(root, &path)
                .map(|part| slice(part.header.clone()))
                .unwrap_or_default()
        }
    }
}

/// Writes one content item of a FETCH response; false when the item is not supported.
fn fetch_content_item(
    item: &mut Vec<u8>,
    name: &MessageDataItemName<'_>,
    msg: &[u8],
    root: &mime::Part,
) -> bool {
    match name {
        MessageDataItemName::Envelope => {
            item.extend_from_slice(b"ENVELOPE ");
            mime::envelope(item, &mime::fields(&msg[root.header.clone()]));
        }
        MessageDataItemName::BodyStructure => {
            item.extend_from_slice(b"BODYSTRUCTURE ");
            mime::body_structure(item, msg, root, true);
        }
        MessageDataItemName::Body => {
            item.extend_from_slice(b"BODY ");
            mime::body_structure(item, msg, root, false);
        }
        MessageDataItemName::Rfc822 => {
            item.extend_from_slice(b"RFC822 ");
            binary::text_literal(item, msg);
        }
        MessageDataItemName::Rfc822Header => {
            item.extend_from_slice(b"RFC822.HEADER ");
            wire::literal(item, &msg[root.header.clone()]);
        }
        MessageDataItemName::Rfc822Text => {
            item.extend_from_slice(b"RFC822.TEXT ");
            binary::text_literal(item, &msg[root.body.clone()]);
        }
        MessageDataItemName::BodyExt {
            section, partial, ..
        } => {
            let data = section_bytes(section, msg, root);
            item.extend_from_slice(format!("BODY[{}]", section_name(section)).as_bytes());
            match partial {
                Some((start, len)) => {
                    let s = (*start as usize).min(data.len());
                    let e = s.saturating_add(len.get() as usize).min(data.len());
                    item.extend_from_slice(format!("<{start}> ").as_bytes());
                    binary::text_literal(item, &data[s..e]);
                }
                None => {
                    item.push(b' ');
                    binary::text_literal(item, &data);
                }
            }
        }
        _ => return false,
    }
    true
}
