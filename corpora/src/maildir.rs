//! Streaming a corpus into a Maildir++ home.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use crate::thread;
use crate::{generate_message, meta, CorpusSpec};

/// What [`write_maildir`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Number of message files written by this call (existing files are skipped).
    pub messages: usize,
    /// Number of bytes written by this call.
    pub bytes: u64,
}

/// The directory of a mailbox: the root for `INBOX`, `.Name` otherwise (Maildir++).
pub fn folder_dir(maildir_root: &Path, folder: &str) -> PathBuf {
    if folder.eq_ignore_ascii_case("INBOX") {
        maildir_root.to_path_buf()
    } else {
        maildir_root.join(format!(".{folder}"))
    }
}

fn create_folder(maildir_root: &Path, folder: &str) -> io::Result<()> {
    let dir = folder_dir(maildir_root, folder);
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    if dir != maildir_root {
        let marker = dir.join("maildirfolder");
        if !marker.exists() {
            File::create(marker)?;
        }
    }
    Ok(())
}

/// Writes every message of `spec` below `maildir_root`.
///
/// Creates the root Maildir (`INBOX`) and one Maildir++ folder per entry of
/// [`CorpusSpec::folders`] (`.Sent/{cur,new,tmp}`, ...). Each message goes
/// to `tmp/` first and is then renamed into `cur/` or `new/`, with its
/// modification time set to the message's internal date. Files that already
/// exist are skipped without regenerating them, so an interrupted run can be
/// resumed. `progress` is called after each message with the number of
/// messages processed so far. Memory use does not depend on the message count.
pub fn write_maildir(
    spec: &CorpusSpec,
    maildir_root: &Path,
    progress: &mut dyn FnMut(usize),
) -> io::Result<WriteStats> {
    create_folder(maildir_root, "INBOX")?;
    for folder in &spec.folders {
        create_folder(maildir_root, folder)?;
    }
    let mut stats = WriteStats::default();
    for index in 0..spec.messages {
        // Folder and file name are cheap to compute: skip before generating.
        let node = *thread::lineage(spec.seed, index)
            .last()
            .expect("lineage ends with the message itself");
        let m = meta::meta(spec, &node);
        let dir = folder_dir(maildir_root, &m.folder);
        let name = m.file_name(index);
        let target = dir.join(if m.in_new { "new" } else { "cur" }).join(&name);
        if !target.exists() {
            let msg = generate_message(spec, index);
            debug_assert_eq!(msg.file_name, name);
            let tmp = dir.join("tmp").join(&name);
            let mut file = File::create(&tmp)?;
            file.write_all(&msg.bytes)?;
            let mtime = UNIX_EPOCH + Duration::from_secs(msg.internal_date.max(0) as u64);
            file.set_modified(mtime)?;
            drop(file);
            fs::rename(&tmp, &target)?;
            stats.messages += 1;
            stats.bytes += msg.bytes.len() as u64;
        }
        progress(index + 1);
    }
    Ok(stats)
}
