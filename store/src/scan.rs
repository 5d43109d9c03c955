//! Reading a mailbox's `new/` and `cur/` directories: readdir only, no `stat` per file; only
//! regular files are listed (see [`crate::msgfile`]).
//!
//! The names found go into one buffer ([`Scanned`]): a first sync of a mailbox of 450,000
//! messages held a path allocation per file (about 70 MB) where the buffer and its slots take
//! about 35 MB.

use std::fs;
use std::path::Path;

use crate::error::{Result, StoreError};
use crate::filename;

/// One message file found by a scan: where its name lies in [`Scanned::names`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScannedFile {
    /// Byte offset of the file name in the buffer.
    start: u32,
    /// Length of the file name.
    len: u32,
    /// Length of the basename (before `:`).
    base_len: u32,
    /// True when the file is in `new/`.
    pub in_new: bool,
}

impl ScannedFile {
    /// The basename (before the `:2,` info), given this file's name.
    pub(crate) fn base_of<'a>(&self, name: &'a str) -> &'a str {
        &name[..self.base_len as usize]
    }
}

/// The message files of a scan: their names in one buffer, and one slot each.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    names: String,
    /// The files, `new/` first, in directory order.
    pub files: Vec<ScannedFile>,
}

impl Scanned {
    /// Room for about `files` files.
    pub(crate) fn with_capacity(files: usize) -> Scanned {
        Scanned {
            names: String::with_capacity(files * 56),
            files: Vec::with_capacity(files),
        }
    }

    /// The number of files.
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    /// The file name of the `i`-th file.
    pub(crate) fn name(&self, i: usize) -> &str {
        let f = &self.files[i];
        &self.names[f.start as usize..(f.start + f.len) as usize]
    }

    /// The basename of the `i`-th file.
    pub(crate) fn base(&self, i: usize) -> &str {
        self.files[i].base_of(self.name(i))
    }

    /// The file names, in file order.
    pub(crate) fn names(&self) -> Vec<&str> {
        (0..self.len()).map(|i| self.name(i)).collect()
    }

    /// Appends a file (`name` checked by the caller). False when the buffer would pass 4 GiB.
    fn push(&mut self, name: &str, base_len: u32, in_new: bool) -> bool {
        let (Ok(start), Ok(len)) = (u32::try_from(self.names.len()), u32::try_from(name.len()))
        else {
            return false;
        };
        if start.checked_add(len).is_none() {
            return false;
        }
        self.names.push_str(name);
        self.files.push(ScannedFile {
            start,
            len,
            base_len,
            in_new,
        });
        true
    }

    /// Appends the files of `other` that `keep` accepts (given their basename).
    pub(crate) fn extend_with(&mut self, other: &Scanned, mut keep: impl FnMut(&str) -> bool) {
        for i in 0..other.len() {
            let f = other.files[i];
            if keep(other.base(i)) {
                self.push(other.name(i), f.base_len, f.in_new);
            }
        }
    }
}

/// Appends the message files of `new/`, then of `cur/`, to `out`.
///
/// `new/` is read first so that a message moved to `cur/` during the scan is seen at least once.
/// Dotfiles are skipped, as are names that are not UTF-8 or contain a newline (they cannot be recorded
/// in a UID list); those are logged.
pub(crate) fn scan(folder: &Path, out: &mut Scanned) -> Result<()> {
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
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str() else {
                tracing::warn!(path = %entry.path().display(), "skipping message file whose name is not UTF-8");
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            if name.contains('\n') {
                tracing::warn!(path = %entry.path().display(), "skipping message file whose name contains a newline");
                continue;
            }
            // Regular files only: a symbolic link (to another user's mail, to /dev/zero), a FIFO,
            // a device or a directory is never listed, so never read. The entry's type comes from
            // readdir (no stat, no link followed).
            match entry.file_type() {
                Ok(ft) if ft.is_file() => {}
                Ok(ft) => {
                    tracing::warn!(path = %entry.path().display(), kind = crate::msgfile::kind_name(ft),
                        "skipping a Maildir entry that is not a regular file");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(path = %entry.path().display(), error = %e, "skipping a Maildir entry whose type cannot be read");
                    continue;
                }
            }
            let base_len = filename::basename(name).len() as u32;
            if base_len == 0 {
                continue;
            }
            if !out.push(name, base_len, in_new) {
                return Err(StoreError::io("read directory", &dir)(
                    std::io::Error::other("over 4 GiB of file names in one mailbox"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maildir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        for (sub, name) in files {
            fs::write(dir.path().join(sub).join(name), "Subject: x\r\n\r\n").unwrap();
        }
        dir
    }

    #[test]
    fn names_share_one_buffer_and_skip_what_is_not_a_message() {
        let dir = maildir(&[("new", "1.a"), ("cur", "2.b:2,S"), ("cur", ".hidden")]);
        std::os::unix::fs::symlink("/dev/null", dir.path().join("cur/3.c")).unwrap();
        let mut scanned = Scanned::default();
        scan(dir.path(), &mut scanned).unwrap();
        assert_eq!(scanned.names(), ["1.a", "2.b:2,S"]);
        assert_eq!((scanned.base(0), scanned.base(1)), ("1.a", "2.b"));
        assert!(scanned.files[0].in_new && !scanned.files[1].in_new);
    }

    #[test]
    fn a_second_scan_adds_only_the_files_asked_for() {
        let dir = maildir(&[("cur", "1.a:2,S")]);
        let mut first = Scanned::default();
        scan(dir.path(), &mut first).unwrap();
        // renamed and delivered meanwhile
        fs::rename(
            dir.path().join("cur/1.a:2,S"),
            dir.path().join("cur/1.a:2,FS"),
        )
        .unwrap();
        fs::write(dir.path().join("new/2.b"), "x").unwrap();
        let mut again = Scanned::default();
        scan(dir.path(), &mut again).unwrap();
        first.extend_with(&again, |base| base == "1.a");
        assert_eq!(first.names(), ["1.a:2,S", "1.a:2,FS"]);
        assert_eq!(first.base(1), "1.a");
        assert!(!first.files[1].in_new);
    }
}
