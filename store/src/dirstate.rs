//! Cheap change detection for a mailbox: the identity (inode, size, mtime) of `new/`, `cur/` and the
//! list and keyword files. Any delivery, rename or unlink in a directory changes its mtime, so when none
//! of these changed since a full sync, the files are as that sync saw them, as Dovecot and Courier also
//! assume for Maildir.
//!
//! Timestamps are coarse (a kernel tick), so a change in the same tick as the last one seen could keep
//! the mtime: a state is only trusted when the directories were last modified well before the scan
//! that read them started ([`DirState::settled`]).

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Result, StoreError};
use crate::{dovecot, keywords, uidlist};

/// How long before a scan a directory must have been last modified for the scan to be trusted.
const SETTLE: Duration = Duration::from_secs(2);

/// Identity of one file or directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileId {
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

/// Identity of everything a sync reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirState {
    new: Option<FileId>,
    cur: Option<FileId>,
    list: Option<FileId>,
    dovecot_list: Option<FileId>,
    dovecot_keywords: Option<FileId>,
    keywords: Option<FileId>,
}

fn file_id(path: &Path) -> Result<Option<FileId>> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some(FileId {
            ino: m.ino(),
            len: m.size(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
        })),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("stat", path)(e)),
    }
}

impl DirState {
    /// Six `stat` calls.
    pub(crate) fn read(folder: &Path) -> Result<DirState> {
        Ok(DirState {
            new: file_id(&folder.join("new"))?,
            cur: file_id(&folder.join("cur"))?,
            list: file_id(&folder.join(uidlist::FILE))?,
            dovecot_list: file_id(&folder.join(dovecot::UIDLIST_FILE))?,
            dovecot_keywords: file_id(&folder.join(dovecot::KEYWORDS_FILE))?,
            keywords: file_id(&folder.join(keywords::FILE))?,
        })
    }

    /// Records our own rewrite of the UID list (made under the lock, so nobody else changed it).
    pub(crate) fn refresh_list(&mut self, folder: &Path) -> Result<()> {
        self.list = file_id(&folder.join(uidlist::FILE))?;
        Ok(())
    }

    /// One line of text (for [`crate::persisted`]): six fields, `-` or `ino,len,mtime,nsec`.
    pub(crate) fn encode(&self) -> String {
        self.fields()
            .iter()
            .map(|f| match f {
                None => "-".to_string(),
                Some(f) => format!("{},{},{},{}", f.ino, f.len, f.mtime, f.mtime_nsec),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The inverse of [`DirState::encode`].
    pub(crate) fn decode(line: &str) -> Option<DirState> {
        let mut ids = line.split(' ').map(|f| -> Option<Option<FileId>> {
            if f == "-" {
                return Some(None);
            }
            let mut n = f.split(',');
            Some(Some(FileId {
                ino: n.next()?.parse().ok()?,
                len: n.next()?.parse().ok()?,
                mtime: n.next()?.parse().ok()?,
                mtime_nsec: n.next()?.parse().ok()?,
            }))
        });
        let mut next = || ids.next().flatten();
        let state = DirState {
            new: next()?,
            cur: next()?,
            list: next()?,
            dovecot_list: next()?,
            dovecot_keywords: next()?,
            keywords: next()?,
        };
        ids.next().is_none().then_some(state)
    }

    fn fields(&self) -> [Option<FileId>; 6] {
        [
            self.new,
            self.cur,
            self.list,
            self.dovecot_list,
            self.dovecot_keywords,
            self.keywords,
        ]
    }

    /// True when `new/` and `cur/` were last modified at least [`SETTLE`] before `scan_started`, so
    /// any later change gives them a different mtime.
    pub(crate) fn settled(&self, scan_started: SystemTime) -> bool {
        let Some(limit) = scan_started.checked_sub(SETTLE) else {
            return false;
        };
        let limit = limit
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        [self.new, self.cur]
            .iter()
            .all(|d| d.is_none_or(|d| d.mtime < limit))
    }
}

/// A look at a mailbox's files ([`crate::Mailbox::probe`]): six `stat`s of `new/`, `cur/` and the
/// list and keyword files. Two equal probes mean nothing changed in between, provided the first
/// one was [`MailboxProbe::settled`] (same rules as the store's own reuse of its last sync).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxProbe(pub(crate) DirState);

impl MailboxProbe {
    /// True when `new/` and `cur/` had not been modified for two seconds before `looked_at` (when
    /// the caller's sync read them): only then does an equal later probe prove that nothing
    /// changed (timestamps are coarse).
    pub fn settled(&self, looked_at: SystemTime) -> bool {
        self.0.settled(looked_at)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use crate::{Flags, Store};

    #[test]
    fn a_probe_changes_with_every_change_and_settles_after_two_seconds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let inbox = store.mailbox("INBOX").unwrap();
        let before = inbox.probe().unwrap();
        assert_eq!(inbox.probe().unwrap(), before, "nothing changed");
        // just modified: not to be trusted yet, but well after it is
        assert!(!before.settled(SystemTime::now()));
        assert!(before.settled(SystemTime::now() + Duration::from_secs(3)));
        // past a timestamp tick, so that only the change itself can make the probes differ
        std::thread::sleep(Duration::from_millis(20));
        inbox
            .save(b"Subject: x\r\n\r\nx\r\n", Flags::empty(), &[], None)
            .unwrap();
        let delivered = inbox.probe().unwrap();
        assert_ne!(delivered, before, "a delivery changes the probe");
        inbox.sync().unwrap();
        std::fs::remove_file(dir.path().join(crate::uidlist::FILE)).unwrap();
        assert_ne!(inbox.probe().unwrap(), delivered, "the list is probed too");
    }
}
