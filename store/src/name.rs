//! Mailbox names: validation and the mapping to Maildir++ folder directories.
//!
//! The Maildir root is `INBOX` (case-insensitive). Every other mailbox `A.B` lives in the root as the
//! directory `.A.B`, with `.` as hierarchy separator (Dovecot's default) and each name in modified UTF-7.

use crate::error::{Result, StoreError};
use crate::mutf7;

/// The hierarchy separator of mailbox names.
pub const SEPARATOR: char = '.';

/// The longest folder directory name most file systems accept.
const NAME_MAX: usize = 255;

/// True for `INBOX` in any letter case.
pub fn is_inbox(name: &str) -> bool {
    name.eq_ignore_ascii_case("INBOX")
}

/// Checks that `name` can be a mailbox name; see [`StoreError::InvalidMailboxName`] for the reasons.
///
/// Refused: the empty name, `/`, NUL and other control characters, and empty hierarchy components
/// (a leading or trailing `.`, or `..` anywhere), which also rules out the components `.` and `..`.
pub fn validate(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("empty name")
    } else if name.contains('/') {
        Some("contains '/'")
    } else if name.contains('\0') {
        Some("contains NUL")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else if name.split(SEPARATOR).any(str::is_empty) {
        Some("empty hierarchy component (leading, trailing or doubled '.')")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StoreError::invalid_name(name, reason)),
        None => Ok(()),
    }
}

/// The folder directory name (`.A.B`) of a validated non-INBOX mailbox name.
pub(crate) fn folder_dir(name: &str) -> Result<String> {
    validate(name)?;
    let dir = format!(".{}", mutf7::encode(name));
    if dir.len() > NAME_MAX {
        return Err(StoreError::invalid_name(
            name,
            "too long for a folder name on disk",
        ));
    }
    Ok(dir)
}

/// The mailbox name of a folder directory name found in the root, or `None` when the directory is not
/// a folder we can name (no leading dot, bad modified UTF-7, an invalid or reserved name).
pub(crate) fn from_folder_dir(dir: &str) -> Option<String> {
    let encoded = dir.strip_prefix('.')?;
    let name = mutf7::decode(encoded).ok()?;
    (validate(&name).is_ok() && !is_inbox(&name)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_dirs() {
        assert_eq!(folder_dir("Lists.linux-usb").unwrap(), ".Lists.linux-usb");
        assert_eq!(folder_dir("Entwürfe").unwrap(), ".Entw&APw-rfe");
        assert_eq!(
            from_folder_dir(".Entw&APw-rfe").as_deref(),
            Some("Entwürfe")
        );
        assert_eq!(
            from_folder_dir(".Lists.linux-usb").as_deref(),
            Some("Lists.linux-usb")
        );
        for not_a_folder in [
            "cur",
            ".",
            "..",
            "..x",
            ".x.",
            ".inbox",
            ".caf\u{e9}",
            ".&-&",
        ] {
            assert_eq!(from_folder_dir(not_a_folder), None, "{not_a_folder:?}");
        }
    }

    #[test]
    fn refused_names() {
        for bad in [
            "",
            ".",
            "..",
            "a..b",
            ".hidden",
            "trailing.",
            "a/b",
            "../x",
            "a\0b",
            "a\nb",
            "\u{7f}",
            "\u{85}",
        ] {
            match validate(bad) {
                Err(StoreError::InvalidMailboxName { name, .. }) => assert_eq!(name, bad),
                other => panic!("{bad:?} accepted: {other:?}"),
            }
        }
        assert!(folder_dir(&"x".repeat(300)).is_err());
        for good in [
            "INBOX",
            "a",
            "a.b.c",
            "Entwürfe",
            "台北",
            "Tom & Jerry",
            "~x",
            "a b",
        ] {
            validate(good).unwrap();
        }
    }
}
