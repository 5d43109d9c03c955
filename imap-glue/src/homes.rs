//! The open homes of a process: [`HomeRegistry`], a bounded LRU shared by the IMAP sessions and,
//! under `mailfts serve`, the daemon's searches, indexing and watcher.
//!
//! Each open tantivy index costs about 60 memory mappings and `vm.max_map_count` is 65,530 by
//! default, so a host with many users cannot keep every home open: past the bound, the least
//! recently used home is dropped, idle ones (no session holds them) first. A dropped [`Home`] that
//! a session or a search still holds stays alive through its `Arc` until they release it; the next
//! user of the home opens it again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::layout::HomeLayout;
use mailfts_indexer::IndexError;
use mailfts_store::{Store, StoreError, StoreOptions};

use crate::sortcache::SortCaches;

/// The bound of a registry made by [`crate::serve`] when the configuration brings none.
pub const DEFAULT_MAX_OPEN_HOMES: usize = 512;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One open home: the store, the index once there is a usable one, the sort-key caches.
pub struct Home {
    /// The home directory.
    pub dir: PathBuf,
    /// The mail store (at the layout's Maildir).
    pub store: Store,
    index_dir: PathBuf,
    index: Mutex<Option<Arc<HomeIndex>>>,
    /// Sort keys per mailbox.
    pub sort: SortCaches,
}

impl Home {
    /// The index directory.
    pub fn index_dir(&self) -> &Path {
        &self.index_dir
    }

    /// The home's index: `Ok(None)` when it has none yet, `Err` when it cannot be opened. A missing
    /// or unusable index is looked for again at the next call; an opened one is kept.
    pub fn index_status(&self) -> Result<Option<Arc<HomeIndex>>, IndexError> {
        let mut slot = lock(&self.index);
        if slot.is_none() {
            *slot = HomeIndex::open(&self.index_dir)?.map(Arc::new);
        }
        Ok(slot.clone())
    }

    /// The home's index, if it has a usable one (looked for again until found).
    pub fn index(&self) -> Option<Arc<HomeIndex>> {
        self.index_status().unwrap_or_else(|e| {
            tracing::debug!(home = %self.dir.display(), error = %e, "index not usable; searches scan");
            None
        })
    }

    /// The home's index for writing: created (or rebuilt, when another schema version wrote it)
    /// if needed. The caller serializes the home's writers.
    pub fn writable_index(&self) -> Result<Arc<HomeIndex>, IndexError> {
        let mut slot = lock(&self.index);
        if let Some(index) = &*slot {
            return Ok(index.clone());
        }
        let index = Arc::new(HomeIndex::open_or_create(&self.index_dir)?);
        *slot = Some(index.clone());
        Ok(index)
    }

    fn has_open_index(&self) -> bool {
        lock(&self.index).is_some()
    }
}

/// A bounded LRU of open homes, keyed by home directory (see the module doc).
pub struct HomeRegistry {
    layout: HomeLayout,
    options: StoreOptions,
    cap: usize,
    inner: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    tick: u64,
    entries: HashMap<PathBuf, (Arc<Home>, u64)>,
}

impl HomeRegistry {
    /// A registry of at most `cap` (at least 1) open homes laid out as `layout`, whose stores
    /// write new mail with `options`.
    pub fn new(layout: HomeLayout, options: StoreOptions, cap: usize) -> HomeRegistry {
        HomeRegistry {
            layout,
            options,
            cap: cap.max(1),
            inner: Mutex::default(),
        }
    }

    /// Where the homes keep mail and index.
    pub fn layout(&self) -> &HomeLayout {
        &self.layout
    }

    /// How the stores write new mail.
    pub fn store_options(&self) -> &StoreOptions {
        &self.options
    }

    /// The bound.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Homes open now (at most [`HomeRegistry::capacity`]).
    pub fn len(&self) -> usize {
        lock(&self.inner).entries.len()
    }

    /// True when no home is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Indexes open now among the registry's homes (at most [`HomeRegistry::capacity`]).
    pub fn open_indexes(&self) -> usize {
        let homes: Vec<Arc<Home>> = lock(&self.inner)
            .entries
            .values()
            .map(|(h, _)| h.clone())
            .collect();
        homes.iter().filter(|h| h.has_open_index()).count()
    }

    /// True when the home at `dir` is open.
    pub fn contains(&self, dir: &Path) -> bool {
        lock(&self.inner).entries.contains_key(dir)
    }

    /// The home at `dir`, opened on first use; its Maildir must exist.
    pub fn open(&self, dir: &Path) -> Result<Arc<Home>, StoreError> {
        self.get_or_open(dir, false)
    }

    /// The home at `dir`, opened on first use, its Maildir created if missing (an IMAP login: the
    /// caller runs with the user's rights).
    pub fn open_or_create(&self, dir: &Path) -> Result<Arc<Home>, StoreError> {
        self.get_or_open(dir, true)
    }

    /// Drops the home at `dir` (its index was deleted or failed); holders keep their `Arc`, and
    /// their next [`Home::index`] opens the index from disk again.
    pub fn evict(&self, dir: &Path) {
        let removed = lock(&self.inner).entries.remove(dir);
        if let Some((home, _)) = removed {
            *lock(&home.index) = None;
        }
    }

    fn get_or_open(&self, dir: &Path, create: bool) -> Result<Arc<Home>, StoreError> {
        let mut lru = lock(&self.inner);
        lru.tick += 1;
        let tick = lru.tick;
        if let Some((home, used)) = lru.entries.get_mut(dir) {
            *used = tick;
            return Ok(home.clone());
        }
        let maildir = self.layout.maildir_of(dir);
        let store = if create {
            Store::create_with(maildir, self.options.clone())?
        } else {
            Store::open_with(maildir, self.options.clone())?
        };
        let home = Arc::new(Home {
            dir: dir.to_path_buf(),
            store,
            index_dir: self.layout.index_of(dir),
            index: Mutex::new(None),
            sort: SortCaches::default(),
        });
        lru.entries.insert(dir.to_path_buf(), (home.clone(), tick));
        while lru.entries.len() > self.cap {
            // the least recently used idle home (only the registry holds it), else the least
            // recently used one
            let oldest = lru
                .entries
                .iter()
                .min_by_key(|(_, (h, used))| (Arc::strong_count(h) > 1, *used))
                .map(|(k, _)| k.clone())
                .expect("not empty");
            tracing::debug!(home = %oldest.display(), "too many open homes: closing the least recently used");
            lru.entries.remove(&oldest);
        }
        Ok(home)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_bounded_and_prefers_closing_idle_homes() {
        let dir = tempfile::tempdir().unwrap();
        let dirs: Vec<PathBuf> = (0..4).map(|i| dir.path().join(format!("u{i}"))).collect();
        let reg = HomeRegistry::new(HomeLayout::default(), StoreOptions::default(), 2);
        let held = reg.open_or_create(&dirs[0]).unwrap();
        drop(reg.open_or_create(&dirs[1]).unwrap());
        drop(reg.open_or_create(&dirs[2]).unwrap());
        // u0 is the least recently used but a session holds it: u1 goes
        assert_eq!(reg.len(), 2);
        assert!(reg.contains(&dirs[0]) && !reg.contains(&dirs[1]));
        assert!(dirs[1].join("Maildir/cur").is_dir());
        // the held home stays usable after its eviction
        drop(reg.open_or_create(&dirs[3]).unwrap());
        reg.open_or_create(&dirs[1]).unwrap();
        assert_eq!(reg.len(), 2);
        assert!(held.store.list_mailboxes().is_ok());
        // `open` does not create a Maildir
        assert!(reg.open(&dir.path().join("none")).is_err());
        assert!(!dir.path().join("none").exists());
        // an index appears once written
        assert_eq!(reg.open_indexes(), 0);
        let h = reg.open(&dirs[1]).unwrap();
        assert!(h.index().is_none());
        h.writable_index().unwrap();
        assert!(h.index().is_some());
        assert_eq!(reg.open_indexes(), 1);
    }
}
