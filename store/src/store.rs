//! The store: one Maildir root with its Maildir++ folders.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use crate::baseline::Baseline;
use crate::compress::{self, Compression, DecompressLimits};
use crate::error::{Result, StoreError};
use crate::mailbox::Mailbox;
use crate::name::{self, is_inbox};
use crate::{deliver, fsutil, uidlist, uidvalidity, StoreEvent};

/// A Maildir root (`INBOX`) and its Maildir++ folders. Cheap to clone; clones share state.
///
/// Events of every sync and write made through a store (and its clones and mailboxes) go to its
/// [`subscribers`](Store::subscribe).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    canonical_root: PathBuf,
    options: StoreOptions,
    limits: &'static DecompressLimits,
    mailboxes: Mutex<HashMap<PathBuf, Arc<Shared>>>,
    subscribers: Mutex<Vec<Sender<StoreEvent>>>,
}

/// Options of a [`Store`], given to [`Store::open_with`] or [`Store::create_with`].
///
/// ```
/// use mailfts_store::{Compression, Store, StoreOptions};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let home = tempfile::tempdir()?;
/// let options = StoreOptions {
///     compress_new_mail: "zstd".parse()?, // from a config file's `compress_new_mail = "zstd"`
///     ..StoreOptions::default()
/// };
/// let store = Store::create_with(home.path().join("Maildir"), options)?;
/// assert_eq!(store.options().compress_new_mail, Compression::Zstd);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// How mailfts stores the messages it writes itself: [`Mailbox::save`] (IMAP APPEND) and
    /// [`Mailbox::copy_to`] of a plain message (IMAP COPY; an already compressed message is linked as
    /// it is). Default: [`Compression::None`]. Files are written so that Dovecot's zlib plugin reads
    /// them (one zstd frame or gzip member), named with the uncompressed `,S=<size>,W=<vsize>`.
    pub compress_new_mail: Compression,
    /// The compression level (`None`: zstd 3, gzip 6; clamped to the format's range).
    pub compression_level: Option<i32>,
    /// How far a compressed message file may decompress ([`DecompressLimits`]): beyond, reading that
    /// message fails (a compression bomb costs one message).
    pub decompress_limits: DecompressLimits,
}

/// In-memory state shared by all handles of one mailbox.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// What the last sync saw (see [`Baseline`]).
    pub baseline: Mutex<Option<Baseline>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.inner.root)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// Opens an existing Maildir root (for example `<home>/Maildir`). Nothing is created or changed.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(root, StoreOptions::default())
    }

    /// [`Store::open`] with options (compression of new mail, decompression limits).
    pub fn open_with(root: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let root = root.as_ref().to_path_buf();
        let canonical_root =
            fs::canonicalize(&root).map_err(StoreError::io("open Maildir root", &root))?;
        if !canonical_root.is_dir() {
            let e = io::Error::new(
                io::ErrorKind::NotADirectory,
                "Maildir root is not a directory",
            );
            return Err(StoreError::io("open Maildir root", &root)(e));
        }
        Ok(Store {
            inner: Arc::new(Inner {
                root,
                canonical_root,
                limits: compress::intern(options.decompress_limits),
                options,
                mailboxes: Mutex::default(),
                subscribers: Mutex::default(),
            }),
        })
    }

    /// Creates the Maildir root with `cur/`, `new/` and `tmp/` if needed, then opens it.
    pub fn create(root: impl AsRef<Path>) -> Result<Store> {
        Store::create_with(root, StoreOptions::default())
    }

    /// [`Store::create`] with options.
    pub fn create_with(root: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let root = root.as_ref();
        for sub in ["tmp", "new", "cur"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(StoreError::io("create directory", &dir))?;
        }
        Store::open_with(root, options)
    }

    /// The Maildir root as given to [`Store::open`].
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    /// The decompression limits, shared by every [`crate::MessageEntry`] of this store.
    pub(crate) fn limits(&self) -> &'static DecompressLimits {
        self.inner.limits
    }

    /// Every mailbox, sorted by name with `INBOX` first. Folders without `cur/`, with names that do not
    /// decode or validate, or that are symbolic links out of the root are left out.
    pub fn list_mailboxes(&self) -> Result<Vec<String>> {
        let root = &self.inner.root;
        let mut names = Vec::new();
        for entry in fs::read_dir(root).map_err(StoreError::io("read directory", root))? {
            let entry = entry.map_err(StoreError::io("read directory", root))?;
            let Some(dir_name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let Some(mailbox) = name::from_folder_dir(&dir_name) else {
                if dir_name.starts_with('.') {
                    tracing::debug!(dir = dir_name, "not a mailbox folder name, skipped");
                }
                continue;
            };
            let dir = entry.path();
            if !dir.join("cur").is_dir() {
                continue;
            }
            match self.check_inside(&mailbox, &dir) {
                Ok(()) => names.push(mailbox),
                Err(e) => tracing::warn!(error = %e, "mailbox skipped"),
            }
        }
        names.sort_unstable();
        if root.join("cur").is_dir() {
            names.insert(0, "INBOX".to_owned());
        }
        Ok(names)
    }

    /// Opens a mailbox by its UTF-8 name (`INBOX` in any case, or `A.B` for the folder `.A.B`).
    pub fn mailbox(&self, name: &str) -> Result<Mailbox> {
        let (name, dir) = self.resolve(name)?;
        self.check_inside(&name, &dir)?;
        if !dir.join("cur").is_dir() {
            return Err(StoreError::MailboxNotFound { name });
        }
        let shared = self.shared(&dir);
        Ok(Mailbox::new(self.clone(), name, dir, shared))
    }

    /// Creates a mailbox (its folder with `tmp/`, `new/`, `cur/` and the Maildir++ `maildirfolder`
    /// marker). Parents are not created: Maildir++ does not need them.
    pub fn create_mailbox(&self, name: &str) -> Result<Mailbox> {
        let (name, dir) = self.resolve(name)?;
        if dir.join("cur").is_dir() {
            return Err(StoreError::MailboxExists { name });
        }
        if !is_inbox(&name) {
            match fs::create_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(StoreError::io("create directory", &dir)(e)),
            }
            self.check_inside(&name, &dir)?;
        }
        // cur/ last: a folder is a mailbox once it has cur/.
        for sub in ["tmp", "new", "cur"] {
            let d = dir.join(sub);
            match fs::create_dir(&d) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(StoreError::io("create directory", &d)(e)),
            }
        }
        if !is_inbox(&name) {
            let marker = dir.join("maildirfolder");
            fs::File::create(&marker).map_err(StoreError::io("create", &marker))?;
        }
        fsutil::fsync_dir(&self.inner.root)?;
        tracing::info!(mailbox = name, "mailbox created");
        self.publish(&[StoreEvent::MailboxCreated {
            mailbox: name.clone(),
        }]);
        self.mailbox(&name)
    }

    /// Deletes a mailbox and its messages. Its children stay (Maildir++ folders are independent).
    /// `INBOX` cannot be deleted.
    ///
    /// The folder is first renamed to a name no listing shows, then removed, so a crash never leaves a
    /// half-deleted mailbox visible.
    pub fn delete_mailbox(&self, name: &str) -> Result<()> {
        if is_inbox(name) {
            return Err(StoreError::NotSupported {
                operation: "delete",
                mailbox: "INBOX".to_owned(),
            });
        }
        let mailbox = self.mailbox(name)?;
        let trash = self.inner.root.join(format!(
            "..mailfts-deleted.{}",
            deliver::unique_basename(None, None)
        ));
        {
            let _lock = fsutil::lock(&mailbox.path().join(uidlist::LOCK_FILE))?;
            fs::rename(mailbox.path(), &trash).map_err(StoreError::io("rename", mailbox.path()))?;
        }
        self.forget(mailbox.path());
        fsutil::fsync_dir(&self.inner.root)?;
        if let Err(e) = fs::remove_dir_all(&trash) {
            tracing::warn!(path = %trash.display(), error = %e, "could not remove deleted mailbox folder");
        }
        tracing::info!(mailbox = mailbox.name(), "mailbox deleted");
        self.publish(&[StoreEvent::MailboxDeleted {
            mailbox: mailbox.name().to_owned(),
        }]);
        Ok(())
    }

    /// Renames a mailbox and all mailboxes below it (`A` → `B` also renames `A.x` → `B.x`), keeping
    /// UIDs and UIDVALIDITY. Renaming `INBOX` (which moves its messages, RFC 3501 §6.3.5) is not
    /// supported yet.
    pub fn rename_mailbox(&self, from: &str, to: &str) -> Result<()> {
        if is_inbox(from) {
            return Err(StoreError::NotSupported {
                operation: "rename",
                mailbox: "INBOX".to_owned(),
            });
        }
        let source = self.mailbox(from)?;
        let (to, _) = self.resolve(to)?;
        let from = source.name().to_owned();
        if is_inbox(&to) || to == from {
            return Err(StoreError::MailboxExists { name: to });
        }
        if to.starts_with(&format!("{from}.")) {
            return Err(StoreError::invalid_name(
                &to,
                "cannot move a mailbox below itself",
            ));
        }
        // The mailbox and every folder below it, whether or not it is a mailbox itself.
        let root = &self.inner.root;
        let mut moves = Vec::new();
        for entry in fs::read_dir(root).map_err(StoreError::io("read directory", root))? {
            let entry = entry.map_err(StoreError::io("read directory", root))?;
            let Some(old) = entry.file_name().to_str().and_then(name::from_folder_dir) else {
                continue;
            };
            let Some(rest) = old.strip_prefix(from.as_str()) else {
                continue;
            };
            if rest.is_empty() || rest.starts_with(name::SEPARATOR) {
                let new = format!("{to}{rest}");
                let new_dir = root.join(name::folder_dir(&new)?);
                if fs::symlink_metadata(&new_dir).is_ok() {
                    return Err(StoreError::MailboxExists { name: new });
                }
                moves.push((old, entry.path(), new, new_dir));
            }
        }
        moves.sort_by(|a, b| a.0.cmp(&b.0));
        let mut events = Vec::with_capacity(moves.len());
        for (old, old_dir, new, new_dir) in moves {
            fs::rename(&old_dir, &new_dir).map_err(StoreError::io("rename", &old_dir))?;
            self.forget(&old_dir);
            tracing::info!(from = old, to = new, "mailbox renamed");
            events.push(StoreEvent::MailboxRenamed { from: old, to: new });
        }
        fsutil::fsync_dir(root)?;
        self.publish(&events);
        Ok(())
    }

    /// A channel that receives every event of this store from now on: what syncs find and what writes
    /// do (saves, flag changes, expunges, mailbox creation, deletion, renaming). Dropping the receiver
    /// unsubscribes.
    pub fn subscribe(&self) -> Receiver<StoreEvent> {
        let (tx, rx) = mpsc::channel();
        lock(&self.inner.subscribers).push(tx);
        rx
    }

    /// True while someone listens ([`Store::subscribe`]; a dropped receiver counts until the next
    /// event finds it gone).
    pub(crate) fn has_subscribers(&self) -> bool {
        !lock(&self.inner.subscribers).is_empty()
    }

    /// Sends events to the subscribers.
    pub(crate) fn publish(&self, events: &[StoreEvent]) {
        if events.is_empty() {
            return;
        }
        let mut subs = lock(&self.inner.subscribers);
        subs.retain(|tx| events.iter().all(|e| tx.send(e.clone()).is_ok()));
    }

    /// A fresh UIDVALIDITY for a mailbox of this store.
    pub(crate) fn next_uid_validity(&self, old: Option<u32>) -> Result<u32> {
        uidvalidity::next(&self.inner.root, old)
    }

    /// The canonical name and folder directory of a mailbox name (validated, not checked on disk).
    fn resolve(&self, name: &str) -> Result<(String, PathBuf)> {
        if is_inbox(name) {
            Ok(("INBOX".to_owned(), self.inner.root.clone()))
        } else {
            let dir = self.inner.root.join(name::folder_dir(name)?);
            Ok((name.to_owned(), dir))
        }
    }

    /// Refuses a folder (or its `cur/`, `new/`, `tmp/`) that is a symbolic link out of the root.
    fn check_inside(&self, name: &str, dir: &Path) -> Result<()> {
        for path in [
            dir.to_path_buf(),
            dir.join("cur"),
            dir.join("new"),
            dir.join("tmp"),
        ] {
            let is_link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            if !is_link {
                continue;
            }
            match fs::canonicalize(&path) {
                Ok(target) if target.starts_with(&self.inner.canonical_root) => {}
                Ok(target) => {
                    return Err(StoreError::OutsideRoot {
                        name: name.to_owned(),
                        path: target,
                    })
                }
                // A dangling link: the mailbox simply does not exist.
                Err(_) => {}
            }
        }
        Ok(())
    }

    fn shared(&self, dir: &Path) -> Arc<Shared> {
        lock(&self.inner.mailboxes)
            .entry(dir.to_path_buf())
            .or_default()
            .clone()
    }

    /// Drops what this store keeps in memory about mailbox `name` (its last listing, mapped from
    /// the persisted state) when no [`Mailbox`] handle holds it: the next access reads the
    /// persisted state again, as a fresh process would, and sees every change made meanwhile. A
    /// rescan calls it after each mailbox, so that the listings of a large home are not all
    /// resident until it ends (46 MB for a million messages). Unknown names are ignored.
    pub fn release_idle(&self, name: &str) {
        let Ok((_, dir)) = self.resolve(name) else {
            return;
        };
        let mut mailboxes = lock(&self.inner.mailboxes);
        if mailboxes
            .get(&dir)
            .is_some_and(|shared| Arc::strong_count(shared) == 1)
        {
            mailboxes.remove(&dir);
        }
    }

    fn forget(&self, dir: &Path) {
        lock(&self.inner.mailboxes).remove(dir);
    }
}

/// Locks a mutex, ignoring poisoning (the guarded data stays consistent: it is replaced whole).
pub(crate) fn lock_shared<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock(m)
}
