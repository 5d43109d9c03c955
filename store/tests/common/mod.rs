//! Helpers of the store's integration tests (`mod common;` in each test file that uses them).
//!
//! Each test binary uses part of them; the rest is dead code there, hence the `allow`.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use mailfts_store::{Mailbox, Snapshot, Store};
use tempfile::TempDir;

/// A fresh Maildir root `<tmp>/Maildir` and its store.
pub fn maildir() -> (TempDir, Store) {
    let home = tempfile::tempdir().unwrap();
    let store = Store::create(home.path().join("Maildir")).unwrap();
    (home, store)
}

/// Writes a message file into `<folder>/<sub>/<name>` as an MDA would.
pub fn deliver(folder: &Path, sub: &str, name: &str) -> PathBuf {
    let path = folder.join(sub).join(name);
    fs::write(&path, format!("Subject: {name}\r\n\r\nbody of {name}\r\n")).unwrap();
    path
}

/// Renames `<folder>/<from>` to `<folder>/<to>` (both relative, e.g. `new/x` → `cur/x:2,S`).
pub fn rename(folder: &Path, from: &str, to: &str) {
    fs::rename(folder.join(from), folder.join(to)).unwrap();
}

/// Dates `new/` and `cur/` of a folder back a minute, as if the last delivery was long ago.
pub fn settle(folder: &Path) {
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    for sub in ["new", "cur"] {
        fs::File::open(folder.join(sub))
            .unwrap()
            .set_modified(past)
            .unwrap();
    }
}

/// `(uid, basename)` of every message.
pub fn uids(s: &Snapshot) -> Vec<(u32, String)> {
    s.messages()
        .iter()
        .map(|m| (m.uid, m.basename().to_owned()))
        .collect()
}

/// A fresh Maildir ([`maildir`]): its store, the root and INBOX.
pub fn maildir_inbox() -> (TempDir, Store, PathBuf, Mailbox) {
    let (home, store) = maildir();
    let root = store.root().to_path_buf();
    let inbox = store.mailbox("INBOX").unwrap();
    (home, store, root, inbox)
}

/// INBOX of the Maildir at `root` opened anew, as another process would.
pub fn reopened_inbox(root: &Path) -> Mailbox {
    Store::open(root).unwrap().mailbox("INBOX").unwrap()
}
