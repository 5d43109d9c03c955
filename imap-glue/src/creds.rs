//! Acting with a user's rights: the privilege drop of a server started as root.
//!
//! **How sessions run, and why per-thread file-system credentials.** A connection is an async
//! task; every command of its [`crate::session::Session`] runs through `spawn_blocking` on a thread
//! of tokio's blocking pool, and the next command may run on another pool thread. One process
//! serves every user, so the process's uid cannot change (`setuid` is process-wide in glibc and
//! irreversible). Linux has per-thread *file-system* credentials instead: `setfsuid`/`setfsgid`
//! change only the calling thread's fsuid/fsgid, which are what the kernel checks on every file
//! access, and a non-zero fsuid drops the thread's file capabilities (`CAP_DAC_OVERRIDE`,
//! `CAP_DAC_READ_SEARCH`, `CAP_FOWNER`, `CAP_CHOWN`, …). So the server enters the user's
//! credentials at the start of each session step on whatever pool thread runs it
//! ([`UserCreds::enter`]), and the guard restores root's when the step ends, before the thread runs
//! anyone else's work. The supplementary groups (root's group 0 among them) are cleared for the
//! thread too, with the raw `setgroups` system call (glibc's wrapper would change every thread).
//! Threads started during a step (the sort-key threads, the indexing thread of
//! [`crate::DirectIndexing`]) inherit the thread's credentials from Linux's `clone`; the searches'
//! parallel scan runs on a rayon pool whose threads hold the user's credentials
//! ([`UserCreds::pool`]).
//!
//! Credentials are used only when the process runs as root (euid 0) and the passwd entry has a
//! uid (its gid defaults to the uid); otherwise sessions act as the server's own user, as before.
//! Users with uid 0 are refused at login unless [`crate::ImapConfig::allow_root_users`].

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use crate::auth::PasswdEntry;

/// The uid and gid a user's session acts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserCreds {
    /// The user's uid.
    pub uid: u32,
    /// The user's gid.
    pub gid: u32,
}

/// True when the process runs as root, so that sessions must drop to their users' rights.
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl UserCreds {
    /// The credentials the calling thread acts with, when it is a root process's thread that has
    /// entered a user's ([`UserCreds::enter`], or inherited from the thread that started it).
    pub fn of_this_thread() -> Option<UserCreds> {
        if !running_as_root() {
            return None;
        }
        let (uid, gid) = imp::current();
        (uid != 0).then_some(UserCreds { uid, gid })
    }

    /// The credentials of a passwd entry, when the server must use them: it runs as root and the
    /// entry has a uid. `None`: act as the server's own user.
    pub fn of(entry: &PasswdEntry) -> Option<UserCreds> {
        let uid = entry.uid?;
        running_as_root().then_some(UserCreds {
            uid,
            gid: entry.gid.unwrap_or(uid),
        })
    }

    /// Switches the calling thread's file-system credentials to this user's (no supplementary
    /// groups) until the guard is dropped. Fails (nothing changed) when the kernel refuses.
    pub fn enter(&self) -> io::Result<CredsGuard> {
        imp::enter(*self)
    }

    /// A rayon pool whose threads act as this user (for the parallel scan of a search), shared by
    /// every session of the same uid and gid.
    pub fn pool(&self) -> Option<Arc<rayon::ThreadPool>> {
        static POOLS: OnceLock<Mutex<HashMap<UserCreds, Arc<rayon::ThreadPool>>>> = OnceLock::new();
        let mut pools = POOLS
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pools.get(self) {
            return Some(p.clone());
        }
        let creds = *self;
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(4);
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("mailfts-scan-{}-{i}", creds.uid))
            .start_handler(move |_| match creds.enter() {
                // The pool's threads keep the user's credentials for their whole life.
                Ok(guard) => std::mem::forget(guard),
                Err(e) => {
                    tracing::error!(uid = creds.uid, error = %e, "cannot switch a scan thread to the user's rights; aborting");
                    std::process::abort();
                }
            })
            .build();
        match built {
            Ok(p) => {
                let p = Arc::new(p);
                pools.insert(creds, p.clone());
                Some(p)
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot start the user's scan threads");
                None
            }
        }
    }
}

/// The user's credentials on this thread; the previous ones come back when dropped.
#[derive(Debug)]
pub struct CredsGuard {
    prev_uid: u32,
    prev_gid: u32,
    prev_groups: Vec<libc::gid_t>,
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{CredsGuard, UserCreds};
    use std::io;

    /// `setgroups` of this thread only (the raw system call, not glibc's process-wide wrapper).
    fn set_thread_groups(groups: &[libc::gid_t]) -> io::Result<()> {
        // SAFETY: a pointer to `len` valid gids.
        let r = unsafe { libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn thread_groups() -> io::Result<Vec<libc::gid_t>> {
        // SAFETY: asking for the count with a null buffer, then filling a buffer of that size.
        let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut groups = vec![0 as libc::gid_t; n as usize];
        // SAFETY: as above.
        let n = unsafe { libc::getgroups(n, groups.as_mut_ptr()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        groups.truncate(n as usize);
        Ok(groups)
    }

    /// setfsuid/setfsgid return the previous value and never fail visibly: check by asking again
    /// (an invalid id changes nothing and returns the current one).
    fn current_fsuid() -> u32 {
        // SAFETY: -1 is an invalid id: no change.
        unsafe { libc::setfsuid(u32::MAX) as u32 }
    }

    fn current_fsgid() -> u32 {
        // SAFETY: as above.
        unsafe { libc::setfsgid(u32::MAX) as u32 }
    }

    pub(super) fn current() -> (u32, u32) {
        (current_fsuid(), current_fsgid())
    }

    pub(super) fn enter(c: UserCreds) -> io::Result<CredsGuard> {
        let prev_groups = thread_groups()?;
        let prev_uid = current_fsuid();
        let prev_gid = current_fsgid();
        let guard = CredsGuard {
            prev_uid,
            prev_gid,
            prev_groups,
        };
        // Groups and gid first: changing them needs CAP_SETGID, which a non-zero fsuid keeps, but
        // do them while everything is still as it was.
        set_thread_groups(&[])?;
        // SAFETY: plain system calls on this thread's credentials.
        unsafe {
            libc::setfsgid(c.gid);
            libc::setfsuid(c.uid);
        }
        // From here the guard's drop restores whatever was changed.
        if current_fsuid() != c.uid || current_fsgid() != c.gid {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("cannot switch to uid {} gid {}", c.uid, c.gid),
            ));
        }
        Ok(guard)
    }

    pub(super) fn leave(g: &CredsGuard) {
        // SAFETY: restoring this thread's own previous credentials (uid first: it brings back the
        // file capabilities).
        unsafe {
            libc::setfsuid(g.prev_uid);
            libc::setfsgid(g.prev_gid);
        }
        if let Err(e) = set_thread_groups(&g.prev_groups) {
            tracing::error!(error = %e, "cannot restore the supplementary groups of a thread");
        }
        if current_fsuid() != g.prev_uid {
            // A pool thread that cannot become itself again must not run anyone else's work.
            tracing::error!("cannot restore a thread's file-system uid; aborting");
            std::process::abort();
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::{CredsGuard, UserCreds};
    use std::io;

    pub(super) fn enter(c: UserCreds) -> io::Result<CredsGuard> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "per-thread credentials (uid {}) need Linux: run the server as the mail user",
                c.uid
            ),
        ))
    }

    pub(super) fn leave(_: &CredsGuard) {}

    pub(super) fn current() -> (u32, u32) {
        (0, 0)
    }
}

impl Drop for CredsGuard {
    fn drop(&mut self) {
        imp::leave(self);
    }
}
