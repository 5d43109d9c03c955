//! The sort keys kept between SORT and THREAD commands: per home and mailbox, under one byte budget
//! for the whole process.
//!
//! Computing a message's [`SortKeys`] reads its header block, so a mailbox's keys are kept once
//! computed (a [`SortCache`] per mailbox and UIDVALIDITY, in the home's [`SortCaches`]); sessions
//! add the keys of new messages as they see them arrive, so `UID SORT (REVERSE DATE) UTF-8 ALL` on a
//! warm cache only sorts. Expunged UIDs are dropped when the cache is next used; a cache lost on
//! restart is rebuilt on the first SORT.
//!
//! Keys cost about 250 bytes a message (subject, addresses, message ids, in one allocation), so a
//! webmail sorting an INBOX of 450,000 messages by date makes the daemon keep 115 MB for it (227 MB
//! before the keys were packed), and a daemon keeps up to `limits.max_open_indexes` homes open. So all caches of the process are charged against one
//! budget ([`set_budget`]; `limits.sort_cache_mb`): when a SORT leaves them above it, the caches
//! used least recently are emptied, and a mailbox whose keys alone exceed it is sorted without
//! keeping them (each SORT reads its headers again, as a server without a cache would).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use mailfts_store::{MessageEntry, Snapshot};

use crate::sort::SortKeys;

/// The budget of a process that does not set one ([`set_budget`]).
pub const DEFAULT_BUDGET_BYTES: usize = 256 << 20;

static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BUDGET_BYTES);

/// Sets the bytes of sort keys the process keeps, all caches together; caches beyond it are
/// emptied at the next SORT.
pub fn set_budget(bytes: usize) {
    BUDGET.store(bytes, Ordering::Relaxed);
}

/// The current budget ([`set_budget`]).
pub fn budget() -> usize {
    BUDGET.load(Ordering::Relaxed)
}

/// What a cached key costs beside [`SortKeys::bytes`]: its `Arc`, its slot in the map and the
/// allocator's rounding of its two blocks (measured: about 250 bytes a key in all on the generated
/// 1M home, where `SortKeys::bytes` says 180).
const ENTRY_OVERHEAD: usize = 64;

/// Messages whose keys are computed at a time: their entries (paths) are made for one chunk only.
const CHUNK: usize = 8192;

/// The sort keys of one mailbox in one UIDVALIDITY.
#[derive(Debug, Default)]
pub struct SortCache {
    uid_validity: u32,
    keys: HashMap<u32, Arc<SortKeys>>,
    /// What `keys` costs, as charged against the budget.
    bytes: usize,
}

/// The caches of one home, by mailbox name.
#[derive(Debug, Default)]
pub struct SortCaches {
    map: Mutex<HashMap<String, Arc<Mutex<SortCache>>>>,
}

impl SortCaches {
    /// The keys of `uids` (messages of `snapshot`, the mailbox `name`), from the mailbox's cache
    /// and computed where missing; then the process's caches are brought within the budget. UIDs
    /// whose file is gone are left out.
    pub fn keys(&self, name: &str, snapshot: &Snapshot, uids: &[u32]) -> Vec<(u32, Arc<SortKeys>)> {
        let cache = self.mailbox(name);
        let (keys, bytes) = {
            let mut c = lock(&cache);
            let keys = c.keys(snapshot, uids);
            (keys, c.bytes)
        };
        used(&cache, bytes);
        keys
    }

    /// Adds the keys of `new` (messages that just arrived) to the mailbox's cache, when it has one:
    /// a warm cache stays warm.
    pub fn warm(&self, name: &str, snapshot: &Snapshot, new: &[u32]) {
        let Some(cache) = self.existing(name) else {
            return;
        };
        let bytes = {
            let mut c = lock(&cache);
            c.keys(snapshot, new);
            c.bytes
        };
        used(&cache, bytes);
    }

    /// The cache of a mailbox (created empty).
    fn mailbox(&self, name: &str) -> Arc<Mutex<SortCache>> {
        lock(&self.map).entry(name.to_owned()).or_default().clone()
    }

    /// The cache of a mailbox if it was ever filled.
    fn existing(&self, name: &str) -> Option<Arc<Mutex<SortCache>>> {
        lock(&self.map).get(name).cloned()
    }

    /// Forgets a mailbox (deleted or renamed).
    pub fn forget(&self, name: &str) {
        lock(&self.map).remove(name);
    }
}

impl SortCache {
    /// Number of messages with keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no keys are cached.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Bytes charged for the keys held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Drops every key.
    fn clear(&mut self) {
        self.keys = HashMap::new();
        self.bytes = 0;
    }

    /// The keys of `uids` (messages of `snapshot`), computing the missing ones (in parallel, a
    /// chunk at a time). UIDs whose file is gone are left out.
    fn keys(&mut self, snapshot: &Snapshot, uids: &[u32]) -> Vec<(u32, Arc<SortKeys>)> {
        if self.uid_validity != snapshot.uid_validity {
            self.clear();
            self.uid_validity = snapshot.uid_validity;
        }
        if self.keys.len() > snapshot.len() {
            let mut freed = 0;
            self.keys.retain(|u, k| {
                let keep = snapshot.contains(*u);
                if !keep {
                    freed += k.bytes() + ENTRY_OVERHEAD;
                }
                keep
            });
            self.bytes = self.bytes.saturating_sub(freed);
        }
        let missing: Vec<u32> = uids
            .iter()
            .copied()
            .filter(|u| !self.keys.contains_key(u))
            .collect();
        for chunk in missing.chunks(CHUNK) {
            // entries built for this chunk only (a session's snapshot keeps none)
            let entries: Vec<MessageEntry> =
                chunk.iter().filter_map(|&u| snapshot.entry(u)).collect();
            let entries: Vec<&MessageEntry> = entries.iter().collect();
            for (uid, k) in compute_parallel(&entries) {
                self.bytes += k.bytes() + ENTRY_OVERHEAD;
                self.keys.insert(uid, Arc::new(k));
            }
        }
        uids.iter()
            .filter_map(|u| self.keys.get(u).map(|k| (*u, k.clone())))
            .collect()
    }
}

/// Set when keys were dropped for the budget: [`give_back_dropped_keys`] returns their memory.
static DROPPED: AtomicBool = AtomicBool::new(false);

/// Returns to the system the memory of keys dropped for the budget, once nothing holds them (a
/// SORT or THREAD calls it when it is done with its keys): the allocator keeps freed small blocks
/// otherwise, and a mailbox too large for the budget would leave its keys' worth of memory
/// resident after every SORT.
pub fn give_back_dropped_keys() {
    if DROPPED.swap(false, Ordering::Relaxed) {
        mailfts_indexer::memory::release_free_memory();
    }
}

/// The caches of the process by last use (oldest first), with what each was charged then.
static IN_USE: Mutex<Vec<(Weak<Mutex<SortCache>>, usize)>> = Mutex::new(Vec::new());

/// Records that `cache` was just used and holds `bytes`, then empties the caches used least
/// recently until all fit the budget, `cache` last (a mailbox too large for the budget keeps no
/// keys). A cache busy in another thread is skipped (it is charged again when that use ends).
fn used(cache: &Arc<Mutex<SortCache>>, bytes: usize) {
    let mut in_use = lock(&IN_USE);
    in_use.retain(|(w, _)| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), Arc::as_ptr(cache)));
    in_use.push((Arc::downgrade(cache), bytes));
    let budget = budget();
    let mut total: usize = in_use.iter().map(|(_, b)| b).sum();
    let mut i = 0;
    while total > budget && i < in_use.len() {
        let Some(c) = in_use[i].0.upgrade() else {
            total -= in_use[i].1;
            in_use.remove(i);
            continue;
        };
        let cleared = match c.try_lock() {
            Ok(mut c) => {
                tracing::debug!(
                    bytes = c.bytes,
                    budget,
                    "sort keys dropped (over the budget)"
                );
                c.clear();
                DROPPED.store(true, Ordering::Relaxed);
                true
            }
            Err(_) => false,
        };
        if cleared {
            total -= in_use[i].1;
            in_use.remove(i);
        } else {
            i += 1;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn compute_parallel(entries: &[&MessageEntry]) -> Vec<(u32, SortKeys)> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let chunk = entries.len().div_ceil(threads).max(64);
    std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    c.iter()
                        .map(|e| {
                            // a message whose file cannot be read still sorts (as if it had no
                            // headers)
                            let k = SortKeys::of(e).unwrap_or_else(|| {
                                SortKeys::from_message(b"", 0, e.vsize_hint.unwrap_or(0))
                            });
                            (e.uid, k)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailfts_store::{Flags, Store};

    /// A store with mailboxes `A` and `B` of `n` messages each, dated one hour apart.
    fn store(dir: &std::path::Path, n: i64) -> Store {
        let store = Store::create(dir).unwrap();
        for name in ["A", "B"] {
            let mb = store.create_mailbox(name).unwrap();
            for i in 0..n {
                let raw = format!(
                    "Subject: {name} message {i}\r\nFrom: sender{i}@example.org\r\n\
                     Message-ID: <{name}{i}@example.org>\r\n\r\nbody\r\n"
                );
                let date = 1_700_000_000 + (n - i) * 3600;
                mb.save(raw.as_bytes(), Flags::empty(), &[], Some(date))
                    .unwrap();
            }
        }
        store
    }

    /// The subjects of the keys, in UID order.
    fn subjects(keys: &[(u32, Arc<SortKeys>)]) -> Vec<String> {
        keys.iter().map(|(_, k)| k.subject().to_owned()).collect()
    }

    #[test]
    fn caches_beyond_the_budget_are_emptied_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), 40);
        let (a, b) = (
            store.mailbox("A").unwrap().sync().unwrap(),
            store.mailbox("B").unwrap().sync().unwrap(),
        );
        let caches = SortCaches::default();
        let held = |name: &str| lock(&caches.mailbox(name)).len();
        let charged = |name: &str| lock(&caches.mailbox(name)).bytes();

        // measured without a limit: what each mailbox's keys cost, and the answers
        set_budget(usize::MAX);
        let want_a = subjects(&caches.keys("A", &a, a.uids()));
        let want_b = subjects(&caches.keys("B", &b, b.uids()));
        assert_eq!(want_a.len(), 40);
        assert_eq!(want_a[3], "A MESSAGE 3");
        assert_eq!((held("A"), held("B")), (40, 40));
        let one = charged("A");
        assert!(one > 40 * ENTRY_OVERHEAD, "{one}");

        // room for one mailbox: the other one, used less recently, is emptied
        set_budget(one + one / 2);
        assert_eq!(subjects(&caches.keys("A", &a, a.uids())), want_a);
        assert_eq!((held("A"), held("B")), (40, 0));
        assert_eq!(subjects(&caches.keys("B", &b, b.uids())), want_b);
        assert_eq!((held("A"), held("B")), (0, 40));
        // keys of part of a mailbox are charged for that part
        assert_eq!(
            subjects(&caches.keys("A", &a, &a.uids()[..10])),
            want_a[..10]
        );
        assert_eq!((held("A"), held("B")), (10, 40));

        // room for none: the answer is the same, nothing is kept
        set_budget(one / 2);
        assert_eq!(subjects(&caches.keys("B", &b, b.uids())), want_b);
        assert_eq!((held("A"), held("B")), (0, 0));
        assert_eq!((charged("A"), charged("B")), (0, 0));
        set_budget(DEFAULT_BUDGET_BYTES);
    }
}
