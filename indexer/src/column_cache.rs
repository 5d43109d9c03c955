//! The loaded header columns of every index of this process, under one byte budget.
//!
//! A search of a header column decompresses its sealed base ([`crate::columns`]); a long-running
//! server keeps what it decompressed, so the next search of the same column is one `memmem` pass.
//! Each index used to keep up to 64 columns of its own: memory then grew with the size of the
//! homes and with the number of open ones (512 by default). The generated 1M home's INBOX
//! opaque-header column alone is 43 MB compressed and over 100 MB loaded.
//!
//! Now one cache serves the whole process: it holds at most [`budget`] bytes of loaded columns,
//! evicting the least recently used first, and never holds a column larger than half of it. A
//! larger column is searched streamed, a block at a time ([`crate::columns::Columns::search`]):
//! slower than a cached one, in memory bounded by the block, whatever the mailbox's size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::columns::Column;

/// The budget of a process that does not set one ([`set_budget`]).
pub const DEFAULT_BUDGET_BYTES: usize = 256 << 20;

static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BUDGET_BYTES);

/// Sets the most bytes of loaded columns the process keeps (all indexes together); 0 keeps none.
/// Columns already cached beyond the new budget are evicted.
pub fn set_budget(bytes: usize) {
    BUDGET.store(bytes, Ordering::Relaxed);
    lock().fit(0, bytes);
}

/// The most bytes of loaded columns the process keeps.
pub fn budget() -> usize {
    BUDGET.load(Ordering::Relaxed)
}

/// The largest column the cache takes (half the budget): a larger one is searched streamed.
pub fn max_column_bytes() -> usize {
    largest_under(budget())
}

/// The largest column a cache of `budget` bytes takes.
fn largest_under(budget: usize) -> usize {
    budget / 2
}

/// Bytes of loaded columns held by the cache now.
pub fn cached_bytes() -> usize {
    lock().bytes
}

/// What identifies a version of a column file: appends change the length, compaction replaces the
/// file (new inode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileIdentity {
    len: u64,
    inode: u64,
    mtime_ns: i128,
}

impl FileIdentity {
    /// The identity of the file at `path`, `None` when there is none.
    pub(crate) fn of(path: &Path) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(FileIdentity {
            len: m.len(),
            inode: m.ino(),
            mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        })
    }
}

/// Identity of a column's two files: the sealed (compressed) base and the append log.
pub(crate) type ColumnIdentity = (Option<FileIdentity>, Option<FileIdentity>);

/// A column of one index: (its column directory, mailbox id, field).
type Key = (PathBuf, u32, usize);

struct Entry {
    identity: ColumnIdentity,
    column: Arc<Column>,
    bytes: usize,
    /// When it was last used (the cache's clock).
    used: u64,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<Key, Entry>,
    bytes: usize,
    clock: u64,
}

fn lock() -> std::sync::MutexGuard<'static, Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The cached column of `dir`'s `(mailbox_id, field)` if it was loaded from files of `identity`.
pub(crate) fn get(
    dir: &Path,
    mailbox_id: u32,
    field: usize,
    identity: ColumnIdentity,
) -> Option<Arc<Column>> {
    lock().get(&(dir.to_path_buf(), mailbox_id, field), identity)
}

/// Keeps `column` (loaded from files of `identity`) unless it is larger than
/// [`max_column_bytes`], evicting the least recently used columns until the cache fits its budget.
pub(crate) fn insert(
    dir: &Path,
    mailbox_id: u32,
    field: usize,
    identity: ColumnIdentity,
    column: Arc<Column>,
) {
    let key = (dir.to_path_buf(), mailbox_id, field);
    lock().insert(key, identity, column, budget());
}

impl Cache {
    fn get(&mut self, key: &Key, identity: ColumnIdentity) -> Option<Arc<Column>> {
        self.clock += 1;
        let clock = self.clock;
        let e = self.entries.get_mut(key)?;
        if e.identity != identity {
            return None;
        }
        e.used = clock;
        Some(e.column.clone())
    }

    fn insert(&mut self, key: Key, identity: ColumnIdentity, column: Arc<Column>, budget: usize) {
        if let Some(old) = self.entries.remove(&key) {
            self.bytes -= old.bytes;
        }
        let bytes = column.heap_bytes();
        if bytes > largest_under(budget) {
            return;
        }
        self.fit(bytes, budget);
        self.clock += 1;
        self.bytes += bytes;
        let used = self.clock;
        self.entries.insert(
            key,
            Entry {
                identity,
                column,
                bytes,
                used,
            },
        );
    }

    /// Evicts what no longer fits `budget` (a column larger than half of it), then the least
    /// recently used columns until `room` more bytes fit.
    fn fit(&mut self, room: usize, budget: usize) {
        let before = self.entries.len();
        self.entries.retain(|_, e| e.bytes <= largest_under(budget));
        if self.entries.len() != before {
            self.bytes = self.entries.values().map(|e| e.bytes).sum();
        }
        while self.bytes + room > budget {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            let e = self.entries.remove(&oldest).expect("found above");
            self.bytes -= e.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: usize) -> Arc<Column> {
        let mut data = Vec::new();
        for uid in 0..values as u32 {
            crate::columns::encode_record(&mut data, uid, b"some value of a header");
        }
        Arc::new(Column::from_bytes(data))
    }

    #[test]
    fn the_least_recently_used_columns_go_first_and_the_budget_holds() {
        let one = column(100).heap_bytes();
        let mut cache = Cache::default();
        let budget = 3 * one;
        let key = |m: u32| (PathBuf::from("/i/columns"), m, 0);
        for m in 1..=3 {
            cache.insert(key(m), (None, None), column(100), budget);
        }
        assert_eq!(cache.bytes, 3 * one);
        assert!(cache.get(&key(1), (None, None)).is_some(), "1 used last");
        cache.insert(key(4), (None, None), column(100), budget);
        assert!(cache.bytes <= budget);
        assert!(cache.get(&key(2), (None, None)).is_none(), "2 evicted");
        for m in [1, 3, 4] {
            assert!(cache.get(&key(m), (None, None)).is_some(), "{m} kept");
        }
        // another version of a file is not the cached one
        let id = FileIdentity {
            len: 1,
            inode: 2,
            mtime_ns: 3,
        };
        assert!(cache.get(&key(1), (Some(id), None)).is_none());
        // a column larger than half the budget is never kept
        cache.insert(key(5), (None, None), column(200), budget);
        assert!(cache.get(&key(5), (None, None)).is_none());
        assert_eq!(
            cache.bytes,
            cache.entries.values().map(|e| e.bytes).sum::<usize>()
        );
        // a smaller budget evicts what no longer fits
        cache.fit(0, 2 * one);
        assert_eq!(cache.bytes, 2 * one);
        assert!(
            cache.get(&key(1), (None, None)).is_none(),
            "the least recent"
        );
        cache.fit(0, 2 * one - 1);
        assert!(cache.entries.is_empty() && cache.bytes == 0);
    }
}
