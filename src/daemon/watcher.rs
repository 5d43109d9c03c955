//! The delivery watcher: inotify (through the notify crate) on every home's Maildir folders turns
//! deliveries, moves, flag renames and deletions into queued indexing work.
//!
//! Per home it watches the Maildir root (new and removed folders) and the `cur/` and `new/` of every
//! mailbox (`tmp/` is not watched: a delivery counts when it is renamed into `new/`). An event in
//! `cur/` or `new/` queues that mailbox, debounced; an event on a `.Folder` entry of the root
//! refreshes the home's watches and queues a check of every mailbox (a new folder may already hold
//! mail, a deleted one must leave the index). An inotify queue overflow queues a check of every home.
//!
//! A rename that keeps a message in its mailbox under the same basename (a flag change, or a
//! client moving it from `new/` to `cur/`) changes nothing the index holds, so it queues nothing:
//! on a mailbox of 450,000 messages each such event cost an indexing worker a directory listing of
//! half a second. inotify reports a rename as a `From` and a `To` event with one cookie, read
//! together: the `From` waits for its `To` until no event came for [`RENAME_PAIRING`]; one that
//! stays alone (moved out of the watched directories) queues its mailbox as any other change. A search never depends on this: the tail
//! the index lacks is scanned.
//!
//! inotify needs one watch per directory: two per mailbox plus one per home. When
//! `fs.inotify.max_user_watches` is reached, the home is left unwatched (logged) and the periodic
//! check still keeps it current.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, EventKind, ModifyKind, RenameMode};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::homes::HomeState;
use super::indexing::Work;
use super::Daemon;

/// How long the watcher must have had no event before the `From` half of a rename without its
/// `To` counts as a change (ten times that at most, in a stream of events).
const RENAME_PAIRING: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Watches {
    /// `cur/` and `new/` directories → (user, mailbox).
    dirs: HashMap<PathBuf, (String, String)>,
    /// Maildir roots → user.
    roots: HashMap<PathBuf, String>,
    /// Users whose watch limit warning was logged.
    warned: HashSet<String>,
}

/// Starts the watcher thread; it stops on shutdown.
pub fn start(d: Arc<Daemon>) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let (tx, rx) = mpsc::channel();
    let watcher = notify::recommended_watcher(move |res| {
        let _ = tx.send(res);
    })?;
    Ok(std::thread::Builder::new()
        .name("mailfts-watch".into())
        .spawn(move || run(d, watcher, rx))?)
}

fn run(
    d: Arc<Daemon>,
    mut watcher: RecommendedWatcher,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
) {
    let mut w = Watches::default();
    for home in d.homes.all() {
        refresh(&d, &mut watcher, &mut w, home);
    }
    tracing::info!(
        directories = w.dirs.len() + w.roots.len(),
        "watching Maildirs"
    );
    let refresh_every = match d.cfg.indexing.check_interval_secs {
        0 => Duration::from_secs(3600),
        s => Duration::from_secs(s),
    };
    let mut last_refresh = Instant::now();
    let debounce = d.cfg.debounce();
    // `From` halves of renames in watched directories, by cookie, waiting for their `To`
    let mut renames: HashMap<usize, (PathBuf, Instant)> = HashMap::new();
    while !d.shutdown.is_triggered() {
        let wait = if renames.is_empty() {
            Duration::from_millis(250)
        } else {
            RENAME_PAIRING
        };
        let received = rx.recv_timeout(wait);
        // inotify reports both halves of a rename in one read, so a `From` is alone once the
        // channel has been empty for the pairing time (or, in a stream of events, much longer)
        let quiet = matches!(received, Err(mpsc::RecvTimeoutError::Timeout));
        let unpaired: Vec<usize> = renames
            .iter()
            .filter(|(_, (_, at))| {
                (quiet && at.elapsed() >= RENAME_PAIRING) || at.elapsed() >= 10 * RENAME_PAIRING
            })
            .map(|(&cookie, _)| cookie)
            .collect();
        for cookie in unpaired {
            if let Some((from, _)) = renames.remove(&cookie) {
                handle_path(&d, &mut watcher, &mut w, &from, debounce);
            }
        }
        let event = match received {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "watcher error");
                continue;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if last_refresh.elapsed() >= refresh_every {
                    for home in d.homes.all() {
                        refresh(&d, &mut watcher, &mut w, home);
                    }
                    last_refresh = Instant::now();
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if event.need_rescan() {
            tracing::warn!("inotify queue overflow: checking every home");
            for home in d.homes.all() {
                d.queue.push(&home.user, Work::Check, debounce, None);
            }
            continue;
        }
        if matches!(
            event.kind,
            EventKind::Access(AccessKind::Open(_) | AccessKind::Read)
        ) {
            continue;
        }
        if let (EventKind::Modify(ModifyKind::Name(mode)), Some(cookie)) =
            (event.kind, event.tracker())
        {
            match (mode, event.paths.as_slice()) {
                // the pair is decided by its two halves
                (RenameMode::Both, _) => continue,
                (RenameMode::From, [from]) if w.dirs.contains_key(parent_of(from)) => {
                    renames.insert(cookie, (from.clone(), Instant::now()));
                    continue;
                }
                (RenameMode::To, [to]) => {
                    if let Some((from, _)) = renames.remove(&cookie) {
                        if same_message(&w, &from, to) {
                            tracing::trace!(from = %from.display(), to = %to.display(),
                                "renamed in its mailbox: nothing to index");
                        } else {
                            handle_path(&d, &mut watcher, &mut w, &from, debounce);
                            handle_path(&d, &mut watcher, &mut w, to, debounce);
                        }
                        continue;
                    }
                }
                _ => {}
            }
        }
        for path in &event.paths {
            handle_path(&d, &mut watcher, &mut w, path, debounce);
        }
    }
}

fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

/// True when a rename from `from` to `to` keeps a message in the same watched mailbox under the
/// same basename (the file name before `:`): the store gives it the same UID, the index holds the
/// same document (flags are read from the store, not indexed).
fn same_message(w: &Watches, from: &Path, to: &Path) -> bool {
    let mailbox = |p: &Path| w.dirs.get(parent_of(p));
    let base = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.split(':').next().unwrap_or(n).to_owned())
    };
    mailbox(from).is_some()
        && mailbox(from) == mailbox(to)
        && base(from).is_some_and(|b| !b.is_empty() && Some(b) == base(to))
}

fn handle_path(
    d: &Daemon,
    watcher: &mut RecommendedWatcher,
    w: &mut Watches,
    path: &Path,
    debounce: Duration,
) {
    let Some(parent) = path.parent() else {
        return;
    };
    if let Some((user, mailbox)) = w.dirs.get(parent) {
        tracing::trace!(user, mailbox, path = %path.display(), "change");
        d.queue
            .push(user, Work::Mailbox(mailbox.clone()), debounce, None);
        return;
    }
    if let Some(user) = w.roots.get(parent).cloned() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // `.Folder` entries only: the root also holds the UID lists, rewritten by every sync
        if name.starts_with('.') && !name.starts_with("..") && !name.ends_with(".tmp") {
            if let Some(home) = d.homes.get(&user) {
                refresh(d, watcher, w, &home);
            }
            d.queue.push(&user, Work::Check, debounce, None);
        }
        return;
    }
    if w.dirs.remove(path).is_some() {
        // a watched directory itself went away (mailbox deleted or renamed)
        d.watched
            .store(w.dirs.len() + w.roots.len(), Ordering::Relaxed);
    }
}

/// (Re)creates the watches of one home: its root and the `cur/`, `new/` of each mailbox; drops
/// watches of mailboxes that are gone.
fn refresh(d: &Daemon, watcher: &mut RecommendedWatcher, w: &mut Watches, home: &HomeState) {
    let root = home.maildir.clone();
    let store = match mailfts_store::Store::open(&root) {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(user = home.user, error = %e, "no Maildir to watch yet");
            return;
        }
    };
    let mut wanted: HashMap<PathBuf, String> = HashMap::new();
    match store.list_mailboxes() {
        Ok(names) => {
            for name in names {
                if let Ok(mb) = store.mailbox(&name) {
                    for sub in ["new", "cur"] {
                        wanted.insert(mb.path().join(sub), name.clone());
                    }
                }
            }
        }
        Err(e) => tracing::warn!(user = home.user, error = %e, "cannot list mailboxes"),
    }
    let stale: Vec<PathBuf> = w
        .dirs
        .iter()
        .filter(|(p, (u, _))| *u == home.user && !wanted.contains_key(*p))
        .map(|(p, _)| p.clone())
        .collect();
    for p in stale {
        let _ = watcher.unwatch(&p);
        w.dirs.remove(&p);
    }
    let mut todo: Vec<(PathBuf, Option<String>)> = Vec::new();
    if !w.roots.contains_key(&root) {
        todo.push((root.clone(), None));
    }
    for (p, name) in wanted {
        if !w.dirs.contains_key(&p) {
            todo.push((p, Some(name)));
        }
    }
    for (p, mailbox) in todo {
        match watcher.watch(&p, RecursiveMode::NonRecursive) {
            Ok(()) => match mailbox {
                Some(m) => {
                    w.dirs.insert(p, (home.user.clone(), m));
                }
                None => {
                    w.roots.insert(p, home.user.clone());
                }
            },
            Err(e) => {
                if w.warned.insert(home.user.clone()) {
                    tracing::warn!(
                        user = home.user,
                        path = %p.display(),
                        error = %e,
                        "cannot watch (raise fs.inotify.max_user_watches?); the periodic check keeps this home current"
                    );
                }
            }
        }
    }
    d.watched
        .store(w.dirs.len() + w.roots.len(), Ordering::Relaxed);
}
