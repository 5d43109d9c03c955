//! New UIDVALIDITY values: the current time, but strictly above every value this store (or Dovecot, in
//! `dovecot-uidvalidity`) handed out before, so a recreated or rebuilt mailbox never reuses one.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Result;
use crate::{dovecot, fsutil};

/// Store-wide record of the last UIDVALIDITY handed out (decimal), in the Maildir root.
pub(crate) const FILE: &str = "mailfts-uidvalidity";
const LOCK_FILE: &str = "mailfts-uidvalidity.lock";

/// Returns a fresh UIDVALIDITY: `max(now, last + 1, old + 1)`, and records it.
///
/// `old` is the mailbox's previous value when known (a list being rebuilt).
pub(crate) fn next(root: &Path, old: Option<u32>) -> Result<u32> {
    let _lock = fsutil::lock(&root.join(LOCK_FILE))?;
    let ours = fsutil::read_optional(&root.join(FILE))?
        .and_then(|b| std::str::from_utf8(&b).ok()?.trim().parse::<u32>().ok());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
    let value = [ours, dovecot::last_uid_validity(root), old]
        .into_iter()
        .flatten()
        .map(|v| v.saturating_add(1))
        .fold(now.max(1), u32::max);
    fsutil::atomic_write(root, FILE, format!("{value}\n").as_bytes())?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_increasing() {
        let dir = tempfile::tempdir().unwrap();
        let a = next(dir.path(), None).unwrap();
        let b = next(dir.path(), None).unwrap();
        assert!(b > a);
        assert_eq!(next(dir.path(), Some(u32::MAX - 1)).unwrap(), u32::MAX);
        std::fs::write(dir.path().join(FILE), "1\n").unwrap();
        std::fs::write(dir.path().join(dovecot::UIDVALIDITY_FILE), "ffffff00").unwrap();
        assert_eq!(next(dir.path(), None).unwrap(), 0xffff_ff01);
    }
}
