//! Reading a mailbox's `new/` and `cur/` directories: readdir only, no `stat` per file; only
//! regular files are listed (see [`crate::msgfile`]).

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};
use crate::filename;

/// One message file found by a scan. The path is the only allocation per file; it becomes
/// [`crate::MessageEntry::path`].
#[derive(Debug)]
pub(crate) struct ScannedFile {
    /// Full path.
    pub path: PathBuf,
    /// Byte offset of the file name within the path.
    name_off: u32,
    /// Length of the basename (before `:`).
    base_len: u32,
    /// True when the file is in `new/`.
    pub in_new: bool,
}

impl ScannedFile {
    /// The file name (UTF-8, checked by the scan).
    pub(crate) fn name(&self) -> &str {
        self.name_in(&self.path)
    }

    /// The file name within this file's path after it was taken out of `self.path`.
    pub(crate) fn name_in<'a>(&self, path: &'a Path) -> &'a str {
        std::str::from_utf8(&path.as_os_str().as_encoded_bytes()[self.name_off as usize..])
            .unwrap_or("")
    }

    /// The basename (before the `:2,` info).
    pub(crate) fn base(&self) -> &str {
        &self.name()[..self.base_len as usize]
    }

    /// The basename, given this file's [`name`](Self::name) (saves validating the name again).
    pub(crate) fn base_of<'a>(&self, name: &'a str) -> &'a str {
        &name[..self.base_len as usize]
    }
}

/// Appends the message files of `new/`, then of `cur/`, to `out`.
///
/// `new/` is read first so that a message moved to `cur/` during the scan is seen at least once.
/// Dotfiles are skipped, as are names that are not UTF-8 or contain a newline (they cannot be recorded
/// in a UID list); those are logged.
pub(crate) fn scan(folder: &Path, out: &mut Vec<ScannedFile>) -> Result<()> {
    for (sub, in_new) in [("new", true), ("cur", false)] {
        let dir = folder.join(sub);
        // `new/` or `cur/` itself a symbolic link (to another user's `cur/`): not followed.
        if fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            tracing::warn!(path = %dir.display(), "skipping a Maildir directory that is a symbolic link");
            continue;
        }
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            // A missing new/ is tolerated (some tools create only cur/).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && in_new => continue,
            Err(e) => return Err(StoreError::io("read directory", &dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(StoreError::io("read directory", &dir))?;
            let path = entry.path();
            let bytes = path.as_os_str().as_encoded_bytes();
            let name_off = memchr::memrchr(b'/', bytes).map_or(0, |p| p + 1);
            let Ok(name) = std::str::from_utf8(&bytes[name_off..]) else {
                tracing::warn!(path = %path.display(), "skipping message file whose name is not UTF-8");
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            if name.contains('\n') {
                tracing::warn!(path = %path.display(), "skipping message file whose name contains a newline");
                continue;
            }
            // Regular files only: a symbolic link (to another user's mail, to /dev/zero), a FIFO,
            // a device or a directory is never listed, so never read. The entry's type comes from
            // readdir (no stat, no link followed).
            match entry.file_type() {
                Ok(ft) if ft.is_file() => {}
                Ok(ft) => {
                    tracing::warn!(path = %path.display(), kind = crate::msgfile::kind_name(ft),
                        "skipping a Maildir entry that is not a regular file");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "skipping a Maildir entry whose type cannot be read");
                    continue;
                }
            }
            let base_len = filename::basename(name).len() as u32;
            if base_len == 0 {
                continue;
            }
            out.push(ScannedFile {
                name_off: name_off as u32,
                path,
                base_len,
                in_new,
            });
        }
    }
    Ok(())
}
