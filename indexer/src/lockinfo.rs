//! Who holds an index's writer lock: for the "index locked" message.
//!
//! tantivy locks `.tantivy-writer.lock` in the index directory with `flock`. The holder is any
//! process with that file open; on Linux they are found in `/proc/*/fd` (only the processes this
//! user may inspect; root sees all).

use std::fs;
use std::path::Path;

/// The lock file tantivy's single writer holds, inside the tantivy directory.
pub const WRITER_LOCK_FILE: &str = ".tantivy-writer.lock";

/// A process holding the writer lock file open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    /// Its pid.
    pub pid: u32,
    /// Its parent's pid (1, or a subreaper's, for an orphan).
    pub ppid: u32,
    /// Its command line (arguments joined by spaces, shortened).
    pub command: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "process {} (parent {}): {}",
            self.pid, self.ppid, self.command
        )
    }
}

/// The processes other than this one that have the writer lock of the tantivy directory
/// `tantivy_dir` open. Empty when none is found (or `/proc` cannot be read).
pub fn writer_lock_holders(tantivy_dir: &Path) -> Vec<LockHolder> {
    let Ok(lock) = fs::canonicalize(tantivy_dir.join(WRITER_LOCK_FILE)) else {
        return Vec::new();
    };
    let me = std::process::id();
    let Ok(procs) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|t| t == lock));
        if holds {
            out.push(describe(pid));
        }
    }
    out.sort_by_key(|h| h.pid);
    out
}

fn describe(pid: u32) -> LockHolder {
    let base = Path::new("/proc").join(pid.to_string());
    // The parent is the field after the parenthesised command name in `stat`.
    let ppid = fs::read_to_string(base.join("stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let mut command = fs::read(base.join("cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .split('\0')
                .filter(|a| !a.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    if command.chars().count() > 120 {
        command = command.chars().take(117).collect::<String>() + "...";
    }
    if command.is_empty() {
        command = "?".into();
    }
    LockHolder { pid, ppid, command }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_holding_the_lock_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join(WRITER_LOCK_FILE);
        fs::write(&lock, b"").unwrap();
        // A child process with the file open on its stdin.
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .stdin(fs::File::open(&lock).unwrap())
            .spawn()
            .unwrap();
        // the child execs `sleep` a moment after the spawn returns: until then it shows our
        // command line (and a concurrently forked test process may briefly hold the file too)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut holders = writer_lock_holders(dir.path());
        while !(holders.len() == 1 && holders[0].command.starts_with("sleep 30"))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
            holders = writer_lock_holders(dir.path());
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(holders.len(), 1, "{holders:?}");
        assert_eq!(holders[0].pid, child.id());
        assert_eq!(holders[0].ppid, std::process::id());
        assert!(holders[0].command.starts_with("sleep 30"), "{holders:?}");
        assert!(writer_lock_holders(&dir.path().join("none")).is_empty());
    }
}
