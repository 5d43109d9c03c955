//! The users the daemon serves, from a passwd-file in Dovecot's format.
//!
//! One user per line, `user:password:uid:gid:gecos:home:shell:extra_fields` (Dovecot's
//! `passwd-file` driver); blank lines and `#` comments are skipped. Only the user name and the home
//! matter here: the home holds the Maildir (`<home>/Maildir`) and the index (`<home>/mailfts`).
//! Password checking belongs to the IMAP server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// One line of the passwd-file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The login name.
    pub name: String,
    /// The home directory.
    pub home: PathBuf,
}

/// Reads a passwd-file: the users by name. Lines without a home are skipped with a warning (there is
/// nothing to index for them); a user named twice is an error, as Dovecot would use the first line
/// silently and an admin would not expect that.
pub fn load(path: &Path) -> anyhow::Result<BTreeMap<String, User>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading passwd-file {}", path.display()))?;
    parse(&text).with_context(|| format!("passwd-file {}", path.display()))
}

/// Parses the text of a passwd-file (see [`load`]).
pub fn parse(text: &str) -> anyhow::Result<BTreeMap<String, User>> {
    let mut users = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(':').collect();
        let name = fields[0].trim();
        if name.is_empty() {
            bail!("line {}: empty user name", n + 1);
        }
        let home = fields.get(5).map_or("", |h| h.trim());
        if home.is_empty() {
            tracing::warn!(
                line = n + 1,
                user = name,
                "passwd-file line without a home: user skipped"
            );
            continue;
        }
        if !home.starts_with('/') {
            bail!(
                "line {}: home of {name} is not an absolute path: {home}",
                n + 1
            );
        }
        let user = User {
            name: name.to_string(),
            home: PathBuf::from(home),
        };
        if users.insert(name.to_string(), user).is_some() {
            bail!("line {}: user {name} appears twice", n + 1);
        }
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dovecot_lines() {
        let users = parse(
            "# comment\n\
             alice:{SHA512-CRYPT}$6$x$y:1000:1000::/home/alice::\n\
             bob:{PLAIN}pw:1001:1001:Bob:/srv/mail/bob:/bin/false:userdb_quota_rule=*:storage=1G\n\
             \n\
             nohome:{PLAIN}x:1:1::::\n",
        )
        .unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users["alice"].home, PathBuf::from("/home/alice"));
        assert_eq!(users["bob"].home, PathBuf::from("/srv/mail/bob"));
    }

    #[test]
    fn duplicates_and_relative_homes_are_errors() {
        assert!(parse("a:x:1:1::/h::\na:y:1:1::/g::\n").is_err());
        assert!(parse("a:x:1:1::home::\n").is_err());
    }
}
