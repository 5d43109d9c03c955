//! The homes the daemon serves and the cache of their open indexes.
//!
//! Every user of the passwd-file has a [`HomeState`]: where its Maildir and index are, and the lock
//! that serializes writes to its index (one writer per home: an incremental rescan, an admin rescan
//! chunk, an optimize or a delete take it in turn). Writers live only for one rescan call, so an
//! idle home holds no writer, no writer thread and no lock file.
//!
//! Open indexes are cached in a bounded LRU ([`IndexCache`]): each open tantivy index costs about 60
//! memory mappings and `vm.max_map_count` is 65,530 by default, so opening every home of a large
//! host at once would fail. An evicted entry is only dropped from the cache; searches still running
//! on it keep their `Arc` until they finish.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::Context;
use mailfts_imap_glue::auth::PasswdEntry;
use mailfts_indexer::home::HomeIndex;
use mailfts_store::Store;

use super::config::Config;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One served home.
pub struct HomeState {
    /// The user name.
    pub user: String,
    /// The home directory.
    pub home: PathBuf,
    /// The Maildir root.
    pub maildir: PathBuf,
    /// The index directory.
    pub index_dir: PathBuf,
    /// Serializes writes to the index.
    writer: Mutex<()>,
}

impl HomeState {
    /// Takes the home's write lock.
    pub fn write_lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.writer)
    }
}

/// The users by name, from the passwd-file.
pub struct Homes {
    by_user: BTreeMap<String, Arc<HomeState>>,
}

impl Homes {
    /// The homes of `users` (the passwd-file's entries, each user once), with the Maildir and index
    /// paths of `cfg`.
    pub fn new(users: Vec<PasswdEntry>, cfg: &Config) -> Homes {
        let by_user = users
            .into_iter()
            .map(|u| {
                let state = HomeState {
                    maildir: u.home.join(&cfg.maildir),
                    index_dir: u.home.join(&cfg.index),
                    user: u.user.clone(),
                    home: u.home,
                    writer: Mutex::new(()),
                };
                (u.user, Arc::new(state))
            })
            .collect();
        Homes { by_user }
    }

    /// The home of a user.
    pub fn get(&self, user: &str) -> Option<Arc<HomeState>> {
        self.by_user.get(user).cloned()
    }

    /// Every home, by user name.
    pub fn all(&self) -> impl Iterator<Item = &Arc<HomeState>> {
        self.by_user.values()
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.by_user.len()
    }
}

/// A home's open store and index.
pub struct OpenHome {
    /// The mail store.
    pub store: Store,
    /// The index; `Ok(None)` when the home has none yet, `Err` when it cannot be opened (why).
    pub index: Result<Option<Arc<HomeIndex>>, String>,
}

/// A bounded LRU of open homes.
pub struct IndexCache {
    cap: usize,
    inner: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    tick: u64,
    entries: HashMap<String, (Arc<OpenHome>, u64)>,
}

impl IndexCache {
    /// A cache of at most `cap` open homes.
    pub fn new(cap: usize) -> IndexCache {
        IndexCache {
            cap: cap.max(1),
            inner: Mutex::default(),
        }
    }

    /// Homes open now.
    pub fn len(&self) -> usize {
        lock(&self.inner).entries.len()
    }

    /// The capacity.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// The home's store and index, for reading: a missing index is not created.
    pub fn get(&self, home: &HomeState) -> anyhow::Result<Arc<OpenHome>> {
        if let Some(open) = self.lookup(&home.user) {
            return Ok(open);
        }
        let store = open_store(home)?;
        let index = match HomeIndex::open(&home.index_dir) {
            Ok(i) => Ok(i.map(Arc::new)),
            Err(e) => Err(e.to_string()),
        };
        Ok(self.insert(&home.user, OpenHome { store, index }, false))
    }

    /// The home's store and index, for writing: the index is created (or rebuilt, when it was
    /// written by another schema version) if needed, under the home's write lock (the caller must
    /// not hold it).
    pub fn get_writable(&self, home: &HomeState) -> anyhow::Result<(Store, Arc<HomeIndex>)> {
        let open = self.get(home)?;
        if let Ok(Some(index)) = &open.index {
            return Ok((open.store.clone(), index.clone()));
        }
        // creating (or rebuilding) an index is a write: never two at once for one home
        let _w = home.write_lock();
        if let Some(open) = self.lookup(&home.user) {
            if let Ok(Some(index)) = &open.index {
                return Ok((open.store.clone(), index.clone()));
            }
        }
        let index = Arc::new(
            HomeIndex::open_or_create(&home.index_dir)
                .with_context(|| format!("opening the index of {}", home.user))?,
        );
        let entry = OpenHome {
            store: open.store.clone(),
            index: Ok(Some(index.clone())),
        };
        self.insert(&home.user, entry, true);
        Ok((open.store.clone(), index))
    }

    /// Drops a home from the cache (its index was deleted or failed).
    pub fn evict(&self, user: &str) {
        lock(&self.inner).entries.remove(user);
    }

    fn lookup(&self, user: &str) -> Option<Arc<OpenHome>> {
        let mut lru = lock(&self.inner);
        lru.tick += 1;
        let tick = lru.tick;
        let (open, used) = lru.entries.get_mut(user)?;
        *used = tick;
        Some(open.clone())
    }

    /// Inserts an entry (replacing the present one only when `replace`), evicting the least recently
    /// used entries over the bound. Returns the entry now cached.
    fn insert(&self, user: &str, open: OpenHome, replace: bool) -> Arc<OpenHome> {
        let mut lru = lock(&self.inner);
        lru.tick += 1;
        let tick = lru.tick;
        if !replace {
            if let Some((present, used)) = lru.entries.get_mut(user) {
                *used = tick;
                return present.clone();
            }
        }
        let open = Arc::new(open);
        lru.entries.insert(user.to_string(), (open.clone(), tick));
        while lru.entries.len() > self.cap {
            let oldest = lru
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
                .expect("not empty");
            tracing::debug!(
                user = oldest,
                "index cache full: closing the least recently used index"
            );
            lru.entries.remove(&oldest);
        }
        open
    }
}

fn open_store(home: &HomeState) -> anyhow::Result<Store> {
    Store::open(&home.maildir)
        .with_context(|| format!("no Maildir for {} at {}", home.user, home.maildir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(dir: &std::path::Path, user: &str) -> HomeState {
        let h = dir.join(user);
        Store::create(h.join("Maildir")).unwrap();
        HomeState {
            user: user.into(),
            maildir: h.join("Maildir"),
            index_dir: h.join("mailfts"),
            home: h,
            writer: Mutex::new(()),
        }
    }

    #[test]
    fn the_cache_is_bounded_and_keeps_recent_homes() {
        let dir = tempfile::tempdir().unwrap();
        let homes: Vec<HomeState> = (0..4).map(|i| home(dir.path(), &format!("u{i}"))).collect();
        let cache = IndexCache::new(2);
        cache.get_writable(&homes[0]).unwrap();
        cache.get_writable(&homes[1]).unwrap();
        cache.get(&homes[0]).unwrap(); // u0 is now more recent than u1
        cache.get_writable(&homes[2]).unwrap();
        assert_eq!(cache.len(), 2);
        assert!(cache.lookup("u0").is_some());
        assert!(cache.lookup("u1").is_none());
        // an evicted home reopens its index from disk
        let open = cache.get(&homes[1]).unwrap();
        assert!(matches!(open.index, Ok(Some(_))));
        assert!(matches!(cache.get(&homes[3]).unwrap().index, Ok(None)));
    }
}
