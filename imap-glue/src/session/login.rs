//! Logging in: LOGIN, AUTHENTICATE PLAIN (RFC 4616), the capability list and when plaintext
//! logins are allowed.

use crate::auth;
use crate::creds::UserCreds;

use super::*;

impl Session {
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
    pub(super) fn login_allowed(&self) -> bool {
        let cfg = &self.shared.config;
        self.tls
            || cfg.allow_plaintext
            || crate::net::any_contains(&cfg.trusted_networks, self.peer)
    }

    pub(super) fn login(
        &mut self,
        user: &str,
        password: &[u8],
        r: &mut Reply,
    ) -> Result<String, Status> {
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

    pub(super) fn observe_login(&self, ok: bool) {
        if let Some(o) = &self.shared.config.observer {
            o.login(ok);
        }
    }

    /// SASL PLAIN (RFC 4616): `authzid NUL authcid NUL password`.
    pub(super) fn plain(&mut self, data: &[u8], r: &mut Reply) -> Result<String, Status> {
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
        let mut r = Reply::new();
        let line = line.strip_suffix(b"\r\n").unwrap_or(line);
        let result = if line == b"*" {
            Err(Status::Bad("Authentication cancelled".into()))
        } else {
            match base64::engine::general_purpose::STANDARD.decode(line) {
                Ok(data) => self.plain(&data, &mut r),
                Err(_) => Err(Status::Bad("Invalid base64".into())),
            }
        };
        let result = result.map_err(|e| match e {
            Status::Pending => Status::Bad("Unexpected continuation".into()),
            e => e,
        });
        r.finish(tag, result);
        r
    }
}
