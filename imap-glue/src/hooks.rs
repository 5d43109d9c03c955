//! What the server tells the rest of mailfts after a client changed mail: [`SaveHooks`], and the
//! default [`DirectIndexing`] that indexes at once on a background thread.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::layout::HomeLayout;
use mailfts_indexer::rescan::{rescan, NoProgress, RescanOptions};
use mailfts_indexer::IndexError;
use mailfts_store::Store;

use crate::creds::UserCreds;

/// Called by the server after a client's write went through the store (the Maildir already has
/// it). `home` is the user's home directory (mail and index where the [`HomeLayout`] says).
///
/// Hooks run on the session's blocking thread and must return quickly: queue the work. They
/// cannot fail the client's command; the Maildir is the truth, and searches scan whatever the
/// index has not caught up with.
pub trait SaveHooks: Send + Sync {
    /// Messages were saved (APPEND, COPY, MOVE into `mailbox`).
    fn saved(&self, home: &Path, mailbox: &str, uids: &[u32]);
    /// Messages were expunged (EXPUNGE, UID EXPUNGE, CLOSE, MOVE out of `mailbox`).
    fn expunged(&self, home: &Path, mailbox: &str, uids: &[u32]);
    /// Flags or keywords changed (STORE). The index does not hold flags (searches read them
    /// from the store), so indexers may ignore this.
    fn flags_changed(&self, home: &Path, mailbox: &str, uids: &[u32]);
}

/// Hooks that do nothing (the index catches up with the next `mailfts rescan`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl SaveHooks for NoHooks {
    fn saved(&self, _: &Path, _: &str, _: &[u32]) {}
    fn expunged(&self, _: &Path, _: &str, _: &[u32]) {}
    fn flags_changed(&self, _: &Path, _: &str, _: &[u32]) {}
}

/// One mutex per home serializing index writers (a tantivy index has one writer at a time).
/// Share one between every writer of a process.
#[derive(Debug, Default, Clone)]
pub struct HomeWriteLocks {
    map: Arc<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>>,
}

impl HomeWriteLocks {
    /// The writer mutex of `home`.
    pub fn lock_for(&self, home: &Path) -> Arc<Mutex<()>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(home.to_path_buf())
            .or_default()
            .clone()
    }
}

#[derive(Default)]
struct Queue {
    /// Per home: the mailboxes waiting to be indexed.
    pending: HashMap<PathBuf, BTreeSet<String>>,
    /// Homes with a worker thread running.
    running: BTreeSet<PathBuf>,
}

/// [`SaveHooks`] that index changed mailboxes right away: the first change of a home starts a
/// worker thread that waits [`DirectIndexing::batch_delay`] for more changes, then runs the
/// indexer's rescan of each changed mailbox (one commit per mailbox), under the home's writer
/// lock, until no work is left.
///
/// A home without an index (never built) is left alone: `mailfts rescan` builds it.
/// A failed run is logged and retried a few times; nothing a client wrote depends on it.
#[derive(Clone)]
pub struct DirectIndexing {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    locks: HomeWriteLocks,
    /// How long a worker gathers changes before indexing them (default 200 ms).
    pub batch_delay: Duration,
    /// Where the homes keep mail and index (default: `HOME/Maildir`, `HOME/mailfts`).
    pub layout: HomeLayout,
}

impl Default for DirectIndexing {
    fn default() -> Self {
        DirectIndexing::new()
    }
}

impl DirectIndexing {
    /// With its own writer locks.
    pub fn new() -> DirectIndexing {
        DirectIndexing::with_locks(HomeWriteLocks::default())
    }

    /// Sharing `locks` with the process's other index writers.
    pub fn with_locks(locks: HomeWriteLocks) -> DirectIndexing {
        DirectIndexing {
            queue: Arc::default(),
            locks,
            batch_delay: Duration::from_millis(200),
            layout: HomeLayout::default(),
        }
    }

    /// Blocks until no indexing work is queued or running (for tests and shutdown), at most
    /// `timeout`. True when idle.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let (m, cv) = &*self.queue;
        let q = m.lock().unwrap_or_else(|e| e.into_inner());
        let (q, _) = cv
            .wait_timeout_while(q, timeout, |q| {
                !q.running.is_empty() || q.pending.values().any(|s| !s.is_empty())
            })
            .unwrap_or_else(|e| e.into_inner());
        q.running.is_empty()
    }

    fn enqueue(&self, home: &Path, mailbox: &str) {
        let (m, _) = &*self.queue;
        let mut q = m.lock().unwrap_or_else(|e| e.into_inner());
        q.pending
            .entry(home.to_path_buf())
            .or_default()
            .insert(mailbox.to_owned());
        if q.running.insert(home.to_path_buf()) {
            let this = self.clone();
            let worker_home = home.to_path_buf();
            let spawned = std::thread::Builder::new()
                .name("mailfts-index".into())
                .spawn(move || this.worker(worker_home));
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the indexing thread");
                q.running.remove(home);
            }
        }
    }

    fn worker(&self, home: PathBuf) {
        let (m, cv) = &*self.queue;
        let mut failures = 0u32;
        loop {
            std::thread::sleep(self.batch_delay);
            let batch = {
                let mut q = m.lock().unwrap_or_else(|e| e.into_inner());
                let batch = q.pending.remove(&home).unwrap_or_default();
                if batch.is_empty() {
                    q.running.remove(&home);
                    cv.notify_all();
                    return;
                }
                batch
            };
            match self.index(&home, &batch) {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(home = %home.display(), error = %e, failures,
                        "indexing after a client's change failed; the index catches up later");
                    if failures < 5 {
                        let mut q = m.lock().unwrap_or_else(|e| e.into_inner());
                        q.pending.entry(home.clone()).or_default().extend(batch);
                        drop(q);
                        std::thread::sleep(self.batch_delay * (1 << failures));
                    }
                }
            }
        }
    }

    fn index(&self, home: &Path, mailboxes: &BTreeSet<String>) -> Result<(), IndexError> {
        let lock = self.locks.lock_for(home);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let Some(index) = HomeIndex::open(&self.layout.index_of(home))? else {
            tracing::debug!(home = %home.display(), "no index in this home: nothing to update");
            return Ok(());
        };
        let store = Store::open(self.layout.maildir_of(home))?;
        for mailbox in mailboxes {
            let opts = RescanOptions {
                mailbox: Some(mailbox.clone()),
                ..RescanOptions::default()
            };
            // A worker started by a session acting as its user has the user's rights (Linux
            // threads inherit them); the rescan's parallel reads must too, so they run on the
            // user's rayon pool rather than the global one (see crate::creds).
            let run = || rescan(&index, &store, &opts, &NoProgress);
            let result = match UserCreds::of_this_thread().map(|c| c.pool()) {
                Some(Some(pool)) => pool.install(run),
                Some(None) => {
                    return Err(IndexError::Io {
                        path: home.to_path_buf(),
                        source: std::io::Error::other("cannot start the user's indexing threads"),
                    })
                }
                None => run(),
            };
            match result {
                Ok(stats) => tracing::debug!(home = %home.display(), mailbox, added = stats.added,
                    removed = stats.removed, "indexed after a client's change"),
                // A mailbox deleted or renamed since: nothing to index.
                Err(IndexError::Store(mailfts_store::StoreError::MailboxNotFound { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl SaveHooks for DirectIndexing {
    fn saved(&self, home: &Path, mailbox: &str, _uids: &[u32]) {
        self.enqueue(home, mailbox);
    }
    fn expunged(&self, home: &Path, mailbox: &str, _uids: &[u32]) {
        self.enqueue(home, mailbox);
    }
    fn flags_changed(&self, _: &Path, _: &str, _: &[u32]) {}
}
