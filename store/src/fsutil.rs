//! Small file system helpers: advisory locks, atomic replacement, directory fsync.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::error::{Result, StoreError};

/// An exclusive advisory lock (`flock`), released when dropped.
#[derive(Debug)]
pub(crate) struct LockGuard {
    _file: File,
}

/// Takes the exclusive lock on `path`, creating the lock file if needed; blocks until it is free.
///
/// `flock` locks belong to the open file, so two threads of one process exclude each other too.
/// Drops the pages of a file mapping from this process's resident memory; they stay in the page
/// cache and the next access maps them again. For the store's mapped state files, which a rescan
/// walks once from front to back: without this every page it walked stays resident to the end
/// (23.5 MB for a 452,000-message INBOX, see docs/BENCHMARKS.md).
pub(crate) fn release_mapped_pages(map: &memmap2::Mmap) {
    #[cfg(unix)]
    // SAFETY: `map` is a read-only shared mapping of a file (`Mmap::map`): MADV_DONTNEED only
    // unmaps its pages, whose bytes the next access reads again from the page cache or the file,
    // unchanged (only private or anonymous mappings lose data to it). No reference into the
    // mapping is invalidated: the addresses stay mapped.
    let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
}

pub(crate) fn lock(path: &Path) -> Result<LockGuard> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(StoreError::io("open lock file", path))?;
    file.lock().map_err(StoreError::io("lock", path))?;
    Ok(LockGuard { _file: file })
}

/// Reads a whole file, `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("read", path)(e)),
    }
}

/// Replaces `dir/name` atomically: writes `dir/<name>.tmp`, fsyncs it, renames it over `dir/name` and
/// fsyncs the directory. The caller holds the lock that serializes writers of this file.
pub(crate) fn atomic_write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let dest = dir.join(name);
    let write = || -> io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    write().map_err(StoreError::io("write", &tmp))?;
    fs::rename(&tmp, &dest).map_err(StoreError::io("rename", &dest))?;
    fsync_dir(dir)
}

/// Appends `bytes` to an existing file and fsyncs it.
pub(crate) fn append(path: &Path, bytes: &[u8]) -> Result<()> {
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new().append(true).open(path)?;
        f.write_all(bytes)?;
        f.sync_data()
    };
    write().map_err(StoreError::io("append", path))
}

/// Makes a rename or create in `dir` durable.
pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("fsync directory", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_tmp() {
        let dir = tempfile::tempdir().unwrap();
        atomic_write(dir.path(), "f", b"one").unwrap();
        atomic_write(dir.path(), "f", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"two");
        assert!(!dir.path().join("f.tmp").exists());
        append(&dir.path().join("f"), b"+").unwrap();
        assert_eq!(
            read_optional(&dir.path().join("f")).unwrap().unwrap(),
            b"two+"
        );
        assert_eq!(read_optional(&dir.path().join("none")).unwrap(), None);
    }
}
