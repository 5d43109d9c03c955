//! The homes the daemon serves and the cache of their open indexes.
//!
//! Every user of the passwd-file has a [`HomeState`]: where its Maildir and index are, and the lock
//! that serializes writes to its index (one writer per home: an incremental rescan, an admin rescan
//! chunk, an optimize or a delete take it in turn). Writers live only for one rescan call, so an
//! idle home holds no writer, no writer thread and no lock file.
//!
//! Open homes are kept in imap-glue's bounded [`HomeRegistry`] (see there why it is bounded): one
//! instance is shared by the gRPC API, the indexing workers, the watcher and the IMAP listeners.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::Context;
use mailfts_imap_glue::auth::PasswdEntry;
use mailfts_imap_glue::{Home, HomeRegistry};
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
        let layout = cfg.layout();
        let by_user = users
            .into_iter()
            .map(|u| {
                let state = HomeState {
                    maildir: layout.maildir_of(&u.home),
                    index_dir: layout.index_of(&u.home),
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

/// The home's store and index, for reading: a missing index is not created, a missing Maildir is
/// an error.
pub fn open_home(reg: &HomeRegistry, home: &HomeState) -> anyhow::Result<Arc<Home>> {
    reg.open(&home.home)
        .with_context(|| format!("no Maildir for {} at {}", home.user, home.maildir.display()))
}

/// The home's store and index, for writing: the index is created (or rebuilt, when it was
/// written by another schema version) if needed, under the home's write lock (the caller must
/// not hold it).
pub fn open_writable(
    reg: &HomeRegistry,
    home: &HomeState,
) -> anyhow::Result<(Store, Arc<HomeIndex>)> {
    let open = open_home(reg, home)?;
    if let Ok(Some(index)) = open.index_status() {
        return Ok((open.store.clone(), index));
    }
    // creating (or rebuilding) an index is a write: never two at once for one home
    let _w = home.write_lock();
    let index = open
        .writable_index()
        .with_context(|| format!("opening the index of {}", home.user))?;
    Ok((open.store.clone(), index))
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
        let cache = HomeRegistry::new(Default::default(), Default::default(), 2);
        open_writable(&cache, &homes[0]).unwrap();
        open_writable(&cache, &homes[1]).unwrap();
        open_home(&cache, &homes[0]).unwrap(); // u0 is now more recent than u1
        open_writable(&cache, &homes[2]).unwrap();
        assert_eq!(cache.len(), 2);
        assert!(cache.contains(&homes[0].home));
        assert!(!cache.contains(&homes[1].home));
        // an evicted home reopens its index from disk
        let open = open_home(&cache, &homes[1]).unwrap();
        assert!(matches!(open.index_status(), Ok(Some(_))));
        assert!(matches!(
            open_home(&cache, &homes[3]).unwrap().index_status(),
            Ok(None)
        ));
    }
}
