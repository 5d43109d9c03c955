//! Users: a passwd file in Dovecot's `passwd-file` format, password schemes, and the failed-login
//! delay.
//!
//! One user per line, `user:{SCHEME}hash:uid:gid:gecos:home:shell:extra` (the name, the hash, the
//! uid and gid — see [`crate::creds`] — and the home are used). [`parse_passwd`] is the one parser
//! of the format, with its rules; `mailfts serve` reads its users and homes through it too. Mail
//! and index are where the [`crate::HomeLayout`] says (`HOME/Maildir`, `HOME/mailfts` by
//! default). Schemes:
//!
//! | scheme | hash | note |
//! |---|---|---|
//! | `ARGON2ID` | `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (PHC) | the default of `mailfts user add` |
//! | `SHA512-CRYPT` | `$6$[rounds=N$]salt$hash` | glibc crypt |
//! | `BLF-CRYPT` | `$2y$NN$…` (also `$2a$`, `$2b$`) | bcrypt |
//! | `PLAIN` / `CLEAR` | the password itself | tests only; logged as a warning |
//!
//! A hash without `{SCHEME}` is recognised by its `$id$` prefix.

use std::collections::HashMap;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ImapError;

/// One line of the passwd file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswdEntry {
    /// The login name.
    pub user: String,
    /// `{SCHEME}hash` as written.
    pub password: String,
    /// The home directory.
    pub home: PathBuf,
    /// The uid (third field) the user's sessions act as when the server runs as root; `None`
    /// when the field is empty.
    pub uid: Option<u32>,
    /// The gid (fourth field); `None` when empty.
    pub gid: Option<u32>,
}

/// The password schemes [`hash_password`] can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Argon2id with the argon2 crate's defaults (19 MiB, 2 passes).
    Argon2id,
    /// SHA-512 crypt, 5000 rounds.
    Sha512Crypt,
    /// bcrypt `$2y$`, cost 10.
    BlfCrypt,
    /// The password in clear (tests only).
    Plain,
}

impl Scheme {
    /// Parses a scheme name as Dovecot writes it (`ARGON2ID`, `SHA512-CRYPT`, `BLF-CRYPT`, `PLAIN`).
    pub fn parse(name: &str) -> Option<Scheme> {
        match name.to_ascii_uppercase().as_str() {
            "ARGON2ID" => Some(Scheme::Argon2id),
            "SHA512-CRYPT" => Some(Scheme::Sha512Crypt),
            "BLF-CRYPT" => Some(Scheme::BlfCrypt),
            "PLAIN" | "CLEAR" | "CLEARTEXT" => Some(Scheme::Plain),
            _ => None,
        }
    }

    /// The name Dovecot uses inside `{…}`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Argon2id => "ARGON2ID",
            Scheme::Sha512Crypt => "SHA512-CRYPT",
            Scheme::BlfCrypt => "BLF-CRYPT",
            Scheme::Plain => "PLAIN",
        }
    }
}

/// Parses a passwd file's text: the one parser of the format, for the IMAP server's logins and
/// for the homes `mailfts serve` serves, so that a file one accepts the other accepts too.
///
/// The rules (Dovecot's `passwd-file` format, read strictly: a line Dovecot would take in some
/// other sense is an error naming its line number, never a silently dropped user):
///
/// * a trailing `\r` is removed; lines that are empty or only blanks are skipped, and so are
///   comments, lines starting with `#` (in the first column: an indented `#` is a bad line);
/// * every other line is `user:password:uid:gid:gecos:home[:shell[:extra fields]]`, at least six
///   fields; more are allowed (extra fields may hold `:`) and ignored;
/// * the user name is not empty, and each user appears once;
/// * the home is an absolute path, taken as written (no blanks trimmed);
/// * uid and gid are empty or decimal numbers (blanks around them are allowed).
pub fn parse_passwd(text: &str, path: &Path) -> Result<Vec<PasswdEntry>, ImapError> {
    let mut out = Vec::new();
    let mut lines_of = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |message: &str| ImapError::Passwd {
            path: path.to_path_buf(),
            message: format!("line {}: {message}", i + 1),
        };
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 6 {
            return Err(bad(
                "expected user:{SCHEME}hash:uid:gid:gecos:home[:shell[:extra]]",
            ));
        }
        let user = fields[0];
        if user.is_empty() {
            return Err(bad("empty user name"));
        }
        let home = PathBuf::from(fields[5]);
        if !home.is_absolute() {
            return Err(bad(&format!(
                "home of {user} is not an absolute path: {:?}",
                fields[5]
            )));
        }
        if let Some(first) = lines_of.insert(user, i + 1) {
            return Err(bad(&format!(
                "user {user} appears twice (first on line {first})"
            )));
        }
        let id = |i: usize, what: &str| -> Result<Option<u32>, ImapError> {
            let f = fields[i].trim();
            if f.is_empty() {
                return Ok(None);
            }
            f.parse()
                .map(Some)
                .map_err(|_| bad(&format!("{what} {f:?} is not a number")))
        };
        out.push(PasswdEntry {
            user: user.to_owned(),
            password: fields[1].to_owned(),
            home,
            uid: id(2, "uid")?,
            gid: id(3, "gid")?,
        });
    }
    Ok(out)
}

/// Reads and parses the passwd file.
pub fn read_passwd(path: &Path) -> Result<Vec<PasswdEntry>, ImapError> {
    let text = fs::read_to_string(path).map_err(|e| ImapError::Passwd {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parse_passwd(&text, path)
}

/// Looks `user` up in the passwd file and checks the password. `Ok(None)`: unknown user or wrong
/// password (the caller cannot tell which, on purpose).
pub fn authenticate(
    passwd_file: &Path,
    user: &str,
    password: &[u8],
) -> Result<Option<PasswdEntry>, ImapError> {
    let entries = read_passwd(passwd_file)?;
    let Some(entry) = entries.into_iter().find(|e| e.user == user) else {
        // Spend about as long as a real check, so timing does not reveal which users exist.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let dummy = DUMMY.get_or_init(|| {
            hash_password(Scheme::Sha512Crypt, "mailfts-dummy").unwrap_or_default()
        });
        let _ = verify_password(dummy, password);
        return Ok(None);
    };
    Ok(verify_password(&entry.password, password).then_some(entry))
}

/// True when `password` matches the stored `{SCHEME}hash`. Unknown schemes never match.
pub fn verify_password(stored: &str, password: &[u8]) -> bool {
    let (scheme, hash) = match stored.strip_prefix('{').and_then(|s| s.split_once('}')) {
        Some((scheme, hash)) => (scheme.to_ascii_uppercase(), hash),
        None if stored.starts_with("$argon2id$") => ("ARGON2ID".into(), stored),
        None if stored.starts_with("$6$") => ("SHA512-CRYPT".into(), stored),
        None if stored.starts_with("$2") => ("BLF-CRYPT".into(), stored),
        None => return false,
    };
    match scheme.as_str() {
        "ARGON2ID" | "ARGON2I" => {
            use argon2::password_hash::{PasswordHash, PasswordVerifier};
            PasswordHash::new(hash).is_ok_and(|h| {
                argon2::Argon2::default()
                    .verify_password(password, &h)
                    .is_ok()
            })
        }
        "SHA512-CRYPT" => {
            std::str::from_utf8(password).is_ok_and(|p| sha_crypt::sha512_check(p, hash).is_ok())
        }
        "BLF-CRYPT" => bcrypt::verify(password, hash).unwrap_or(false),
        "PLAIN" | "CLEAR" | "CLEARTEXT" => {
            tracing::warn!("PLAIN password scheme in the passwd file: for tests only");
            constant_time_eq(hash.as_bytes(), password)
        }
        other => {
            tracing::warn!(scheme = other, "unsupported password scheme");
            false
        }
    }
}

/// Compares in time that depends only on the lengths (`subtle`).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// `{SCHEME}hash` of a password, with a fresh random salt.
pub fn hash_password(scheme: Scheme, password: &str) -> Result<String, String> {
    let hash = match scheme {
        Scheme::Argon2id => {
            use argon2::password_hash::{PasswordHasher, SaltString};
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
            let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
            argon2::Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map_err(|e| e.to_string())?
                .to_string()
        }
        Scheme::Sha512Crypt => {
            let params = sha_crypt::Sha512Params::new(5000).map_err(|e| format!("{e:?}"))?;
            sha_crypt::sha512_simple(password, &params).map_err(|e| format!("{e:?}"))?
        }
        Scheme::BlfCrypt => bcrypt::hash_with_result(password, 10)
            .map_err(|e| e.to_string())?
            .format_for_version(bcrypt::Version::TwoY),
        Scheme::Plain => password.to_owned(),
    };
    Ok(format!("{{{}}}{hash}", scheme.name()))
}

/// Adds or replaces the line of `user` in the passwd file (created if missing, mode 0600),
/// keeping every other line as it is. The file is replaced atomically.
pub fn upsert_user(
    passwd_file: &Path,
    user: &str,
    hashed: &str,
    home: &Path,
) -> Result<(), ImapError> {
    let err = |message: String| ImapError::Passwd {
        path: passwd_file.to_path_buf(),
        message,
    };
    if user.is_empty() || user.contains([':', '\n', '\r']) {
        return Err(err(format!("invalid user name {user:?}")));
    }
    let home_s = home.to_str().unwrap_or("");
    if !home.is_absolute() || home_s.contains([':', '\n', '\r']) {
        return Err(err(format!(
            "home {} must be an absolute path without ':'",
            home.display()
        )));
    }
    let old = match fs::read_to_string(passwd_file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(err(e.to_string())),
    };
    let new_line = format!("{user}:{hashed}::::{home_s}::");
    let mut out = String::new();
    let mut replaced = false;
    for line in old.lines() {
        if line.split(':').next() == Some(user) {
            if !replaced {
                out.push_str(&new_line);
                out.push('\n');
                replaced = true;
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        out.push_str(&new_line);
        out.push('\n');
    }
    let tmp = passwd_file.with_extension("mailfts-tmp");
    {
        use std::io::Write;
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(|e| err(e.to_string()))?;
        f.write_all(out.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| err(e.to_string()))?;
    }
    fs::rename(&tmp, passwd_file).map_err(|e| err(e.to_string()))
}

/// Failed logins per client address, for the growing delay of [`crate::ImapConfig::auth_failure_delay`].
#[derive(Debug, Default)]
pub struct FailureTracker {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// Failures older than this are forgotten.
const FAILURE_MEMORY: Duration = Duration::from_secs(15 * 60);

impl FailureTracker {
    /// Records a failure of `addr` and returns how long to wait before answering it.
    pub fn failed(&self, addr: IpAddr, base: Duration) -> Duration {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, (_, t)| now.duration_since(*t) < FAILURE_MEMORY);
        let e = map.entry(addr).or_insert((0, now));
        e.0 = e.0.saturating_add(1);
        e.1 = now;
        base * (1u32 << (e.0 - 1).min(4))
    }

    /// The delay a failed login of `addr` would get now, when it has a penalty (recent failures):
    /// a correct password is answered after the same delay, so that the time of the answer does
    /// not tell whether the password was right. `None` without a penalty.
    pub fn penalty(&self, addr: IpAddr, base: Duration) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, at) = map.get(&addr)?;
        (*count > 0 && at.elapsed() < FAILURE_MEMORY).then(|| base * (1u32 << (*count).min(4)))
    }

    /// Forgets the failures of `addr` (after a successful login).
    pub fn succeeded(&self, addr: IpAddr) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_round_trip() {
        for scheme in [
            Scheme::Argon2id,
            Scheme::Sha512Crypt,
            Scheme::BlfCrypt,
            Scheme::Plain,
        ] {
            let h = hash_password(scheme, "s3cret ü").unwrap();
            assert!(h.starts_with(&format!("{{{}}}", scheme.name())), "{h}");
            assert!(verify_password(&h, "s3cret ü".as_bytes()), "{h}");
            assert!(!verify_password(&h, b"s3cret"), "{h}");
        }
    }

    #[test]
    fn dovecot_hashes() {
        // `doveadm pw -s SHA512-CRYPT -p pass` and `-s BLF-CRYPT` style values.
        let sha = sha_crypt::sha512_simple("pass", &sha_crypt::Sha512Params::default()).unwrap();
        assert!(verify_password(&format!("{{SHA512-CRYPT}}{sha}"), b"pass"));
        assert!(verify_password(&sha, b"pass"), "bare $6$ hash");
        assert!(!verify_password("{MD5}abc", b"pass"));
        assert!(!verify_password("nothing", b"nothing"));
    }

    #[test]
    fn passwd_lines() {
        let text = "# users\nalice:{PLAIN}pw:1000:1000::/home/alice::\n\nbob:{PLAIN}x:::: /rel::\n";
        assert!(parse_passwd(text, Path::new("p")).is_err());
        let ok = parse_passwd(
            "alice:{PLAIN}pw:1000:1000::/home/alice::userdb_quota=1G\n",
            Path::new("p"),
        )
        .unwrap();
        assert_eq!(ok[0].home, PathBuf::from("/home/alice"));
        assert_eq!((ok[0].uid, ok[0].gid), (Some(1000), Some(1000)));
        assert!(parse_passwd("a:{PLAIN}x:abc:1::/h::\n", Path::new("p")).is_err());
        assert_eq!(ok[0].password, "{PLAIN}pw");
    }

    /// What a passwd text parses to: (user, home, uid, gid) per entry, or a part of the error.
    type Parsed = Result<Vec<(&'static str, &'static str, Option<u32>, Option<u32>)>, &'static str>;

    #[track_caller]
    fn check(text: &str, expected: Parsed) {
        let got = parse_passwd(text, Path::new("/etc/mailfts/passwd"));
        match (got, expected) {
            (Ok(entries), Ok(want)) => {
                let entries: Vec<_> = entries
                    .iter()
                    .map(|e| (e.user.as_str(), e.home.to_str().unwrap(), e.uid, e.gid))
                    .collect();
                assert_eq!(entries, want, "{text:?}");
            }
            (Err(e), Err(part)) => {
                let message = e.to_string();
                assert!(
                    message.starts_with("passwd file /etc/mailfts/passwd: line ")
                        && message.contains(part),
                    "{text:?}: {message}"
                );
            }
            (got, want) => panic!("{text:?}: got {got:?}, expected {want:?}"),
        }
    }

    /// The lines the IMAP server and the daemon once parsed by different rules (the daemon skipped
    /// short lines and lines without a home, trimmed blanks, took indented comments and ignored
    /// uid and gid; the IMAP server let the first of two lines of a user win), and how the one
    /// parser takes them.
    #[test]
    fn passwd_rules() {
        const ALICE: &str = "alice:{PLAIN}pw:1000:1000::/home/alice::\n";
        // comments and blank lines
        check(
            &format!("# users\n\n  \t\n\r\n{ALICE}#bob:x::::/home/bob::\n"),
            Ok(vec![("alice", "/home/alice", Some(1000), Some(1000))]),
        );
        check("  # indented\n", Err("line 1: expected user:{SCHEME}hash"));
        // CRLF line ends; the six fields without shell and extra fields
        check(
            "alice:{PLAIN}pw::::/home/alice\r\n",
            Ok(vec![("alice", "/home/alice", None, None)]),
        );
        // short lines
        check("alice:{PLAIN}pw:1:1:/home/alice\n", Err("line 1: expected"));
        check(&format!("{ALICE}bob\n"), Err("line 2: expected"));
        // homes: empty, relative, with blanks
        check(
            "nohome:{PLAIN}x:1:1::::\n",
            Err("home of nohome is not an absolute path"),
        );
        check(
            "bob:{PLAIN}x::::home/bob::\n",
            Err("home of bob is not an absolute path"),
        );
        check(
            "bob:{PLAIN}x:::: /home/bob::\n",
            Err("home of bob is not an absolute path"),
        );
        // user names: empty, twice
        check(":{PLAIN}x::::/home/x::\n", Err("line 1: empty user name"));
        check(
            &format!(
                "{ALICE}bob:{{PLAIN}}b::::/home/bob::\nalice:{{PLAIN}}other::::/srv/alice::\n"
            ),
            Err("line 3: user alice appears twice (first on line 1)"),
        );
        // uid and gid: empty, numbers with blanks, not numbers
        check(
            "a:x: 1001 :\t1002::/h::\nb:x::::/g::\n",
            Ok(vec![
                ("a", "/h", Some(1001), Some(1002)),
                ("b", "/g", None, None),
            ]),
        );
        check(
            "a:{PLAIN}x:abc:1::/h::\n",
            Err("uid \"abc\" is not a number"),
        );
        check("a:{PLAIN}x:1:-1::/h::\n", Err("gid \"-1\" is not a number"));
        // the lines of the daemon's own tests
        check(
            "# comment\nalice:{SHA512-CRYPT}$6$x$y:1000:1000::/home/alice::\n\n",
            Ok(vec![("alice", "/home/alice", Some(1000), Some(1000))]),
        );
        check(
            "a:x:1:1::/h::\na:y:1:1::/g::\n",
            Err("line 2: user a appears twice"),
        );
        check(
            "a:x:1:1::home::\n",
            Err("home of a is not an absolute path"),
        );
        // extra fields, which may hold `:`
        check(
            "bob:{PLAIN}pw:1001:1001:Bob:/srv/mail/bob:/bin/false:userdb_quota_rule=*:storage=1G\n",
            Ok(vec![("bob", "/srv/mail/bob", Some(1001), Some(1001))]),
        );
    }

    #[test]
    fn upsert_keeps_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("passwd");
        fs::write(&p, "# comment\nbob:{PLAIN}b::::/home/bob::\n").unwrap();
        upsert_user(&p, "alice", "{PLAIN}a", Path::new("/home/alice")).unwrap();
        upsert_user(&p, "bob", "{PLAIN}c", Path::new("/home/bob2")).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "# comment\nbob:{PLAIN}c::::/home/bob2::\nalice:{PLAIN}a::::/home/alice::\n"
        );
        assert!(authenticate(&p, "alice", b"a").unwrap().is_some());
        assert!(authenticate(&p, "alice", b"b").unwrap().is_none());
        assert!(authenticate(&p, "carol", b"a").unwrap().is_none());
    }

    #[test]
    fn delay_doubles() {
        let t = FailureTracker::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let base = Duration::from_millis(10);
        assert_eq!(t.failed(ip, base), base);
        assert_eq!(t.failed(ip, base), base * 2);
        assert_eq!(t.failed(ip, base), base * 4);
        assert_eq!(
            t.penalty(ip, base),
            Some(base * 8),
            "what the next failure would wait"
        );
        t.succeeded(ip);
        assert_eq!(t.penalty(ip, base), None);
        assert_eq!(t.failed(ip, base), base);
    }
}
