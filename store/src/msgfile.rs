//! Opening message files safely: the one way the store opens a message for reading.
//!
//! A Maildir belongs to its user, who can put anything in it: a symbolic link to another user's
//! message or to `/etc/shadow`, a link to `/dev/zero` (endless bytes), a FIFO (an `open` or a `read`
//! that never returns), a device, a directory. So a message file is opened with `O_NOFOLLOW` (a
//! symbolic link fails to open instead of being followed) and `O_NONBLOCK` (opening a FIFO does not
//! wait for a writer), then `fstat`ed: only a regular file is read, and never more than the size
//! `fstat` gave (decompression has its own cap, [`crate::DecompressLimits`]). Everything else is refused with a warning
//! naming the path and what it is; callers see an [`io::ErrorKind::InvalidInput`] error and skip the
//! message as they skip any unreadable one.
//!
//! The scan ([`crate::scan`]) already leaves such entries out of the listing (by their directory
//! entry type, which does not follow links); this check closes the window between a scan and a read,
//! and covers readers of paths from elsewhere.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a non-regular directory entry or file is, for the log.
pub(crate) fn kind_name(ft: std::fs::FileType) -> &'static str {
    if ft.is_symlink() {
        "symbolic link"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_char_device() {
        "character device"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

/// The error of a refused file, logged once here.
fn refused(path: &Path, kind: &str) -> io::Error {
    tracing::warn!(path = %path.display(), kind, "not reading a message file that is not a regular file");
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: not a regular file ({kind})", path.display()),
    )
}

/// Opens the message file at `path` for reading: never through a symbolic link, never blocking on a
/// FIFO, and only when it is a regular file. Returns the file and its `fstat` metadata.
pub(crate) fn open(path: &Path) -> io::Result<(File, Metadata)> {
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        // O_NOFOLLOW on a symbolic link.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refused(path, "symbolic link"));
        }
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(refused(path, kind_name(meta.file_type())));
    }
    Ok((file, meta))
}

/// The whole file at `path` (opened as [`open`] does): never more than the size `fstat` gave when
/// it was opened, so a file that grows while it is read cannot make the read endless.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    let (file, meta) = open(path)?;
    let len = meta.len();
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(64 << 20));
    file.take(len).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"Subject: x\n\nbody\n").unwrap();
        assert_eq!(read(&plain).unwrap(), b"Subject: x\n\nbody\n");

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&plain, &link).unwrap();
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        for p in [&link, &zero, &fifo, &dir.path().to_path_buf()] {
            let e = read(p).unwrap_err();
            assert_eq!(
                e.kind(),
                io::ErrorKind::InvalidInput,
                "{}: {e}",
                p.display()
            );
        }
    }
}
