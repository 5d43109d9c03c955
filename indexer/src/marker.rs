//! Marker files in the index directory that outlive a process.
//!
//! * `DAMAGED`: the index was found damaged (by a search, `check`, a rescan or the daemon); holds
//!   the reason. While it exists, [`crate::home::HomeIndex::open`] refuses the index, so every
//!   later process answers by the linear scan without re-detecting the damage, and the next rescan
//!   rebuilds the index (which removes the marker).
//! * `RESCANNING`: written when a rescan starts, removed when it ends cleanly. Present at the start
//!   of the next rescan, it means the last one did not end (a crash, a kill, a power loss): that
//!   rescan then runs the full checksum pass before trusting the index.
//!
//! Both are written atomically (temporary file, fsync, rename), so a reader sees all or nothing.

use std::fs;
use std::io::Write;
use std::path::Path;

/// File name of the damage marker.
pub const DAMAGED: &str = "DAMAGED";

/// File name of the rescan-in-progress marker.
pub const RESCANNING: &str = "RESCANNING";

/// Records that the index in `index_dir` is damaged, with the reason (best effort: a read-only
/// index directory only loses the marker, never the fallback to the scan). The first reason is
/// kept when the marker exists already.
pub fn mark_damaged(index_dir: &Path, reason: &str) {
    if damaged_reason(index_dir).is_some() {
        return;
    }
    match write_atomic(index_dir, DAMAGED, reason) {
        Ok(()) => tracing::warn!(index = %index_dir.display(), reason, "index marked damaged"),
        Err(e) => {
            tracing::warn!(index = %index_dir.display(), error = %e, "cannot write the damage marker")
        }
    }
}

/// The reason recorded in the damage marker, if the index is marked damaged.
pub fn damaged_reason(index_dir: &Path) -> Option<String> {
    match fs::read(index_dir.join(DAMAGED)) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            Some(if text.is_empty() {
                "marked damaged".to_string()
            } else {
                text
            })
        }
        Err(_) => None,
    }
}

/// Removes the damage marker (after a rebuild).
pub fn clear_damaged(index_dir: &Path) -> std::io::Result<()> {
    remove_optional(&index_dir.join(DAMAGED))
}

/// Records that a rescan is starting.
pub fn rescan_started(index_dir: &Path) -> std::io::Result<()> {
    write_atomic(index_dir, RESCANNING, &std::process::id().to_string())
}

/// Records that a rescan ended cleanly.
pub fn rescan_finished(index_dir: &Path) -> std::io::Result<()> {
    remove_optional(&index_dir.join(RESCANNING))
}

/// True when the last rescan started but did not end cleanly.
pub fn last_rescan_crashed(index_dir: &Path) -> bool {
    index_dir.join(RESCANNING).exists()
}

fn write_atomic(dir: &Path, name: &str, content: &str) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(content.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, dir.join(name))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn remove_optional(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(damaged_reason(dir.path()), None);
        mark_damaged(dir.path(), "checksum of x.idx");
        mark_damaged(dir.path(), "second reason is not kept");
        assert_eq!(
            damaged_reason(dir.path()).as_deref(),
            Some("checksum of x.idx")
        );
        clear_damaged(dir.path()).unwrap();
        assert_eq!(damaged_reason(dir.path()), None);
        assert!(!last_rescan_crashed(dir.path()));
        rescan_started(dir.path()).unwrap();
        assert!(last_rescan_crashed(dir.path()));
        rescan_finished(dir.path()).unwrap();
        assert!(!last_rescan_crashed(dir.path()));
    }
}
