//! The delivery watcher: inotify (through the notify crate) on every home's Maildir folders turns
//! deliveries, moves, flag renames and deletions into queued indexing work.
//!
//! Per home it watches the Maildir root (new and removed folders) and the `cur/` and `new/` of every
//! mailbox (`tmp/` is not watched: a delivery counts when it is renamed into `new/`). An event in
//! `cur/` or `new/` queues that mailbox, debounced; an event on a `.Folder` entry of the root
//! refreshes the home's watches and queues a check of every mailbox (a new folder may already hold
//! mail, a deleted one must leave the index). An inotify queue overflow queues a check of every home.
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

use notify::event::{AccessKind, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::homes::HomeState;
use super::indexing::Work;
use super::Daemon;

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
    while !d.shutdown.is_triggered() {
        let event = match rx.recv_timeout(Duration::from_millis(250)) {
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
        for path in &event.paths {
            handle_path(&d, &mut watcher, &mut w, path, debounce);
        }
    }
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
