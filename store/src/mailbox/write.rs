//! The writes of a mailbox: save, flag changes, expunge, copy.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{keyword_names, Mailbox};
use crate::compress::{self, Compression, Format};
use crate::error::{Result, StoreError};
use crate::fsutil;
use crate::keywords::KeywordTable;
use crate::store::lock_shared;
use crate::uidlist::{self, Loaded};
use crate::{deliver, dovecot, filename, modseq, Flags, StoreEvent};

impl Mailbox {
    /// Delivers a message: writes `tmp/<unique>,S=<size>,W=<vsize>`, fsyncs it, sets its mtime to
    /// `internal_date` (unix seconds) if given, moves it to `cur/` with the flag and keyword letters, and
    /// assigns its UID at once. Returns the UID.
    ///
    /// The file is compressed as the store's [`crate::StoreOptions::compress_new_mail`] says; the sizes
    /// in the name are those of `bytes`. Bytes that themselves start with a compression magic (which
    /// every reader, Dovecot's zlib plugin too, would decompress) are always stored zstd-compressed,
    /// so that readers get them back unchanged.
    pub fn save(
        &self,
        bytes: &[u8],
        flags: Flags,
        keywords: &[&str],
        internal_date: Option<i64>,
    ) -> Result<u32> {
        self.deliver(bytes, flags, keywords, internal_date, false)
    }

    /// Delivers a message as [`Mailbox::save`] does, but into `new/` as an MDA would (as Dovecot saves
    /// an IMAP APPEND): the message is then `\Recent` for the first session that selects the mailbox
    /// (RFC 3501 §2.3.2), which claims it by moving it to `cur/`. A message without flags or keywords
    /// gets a bare Maildir name (no `:2,` info); one with flags keeps them in its name.
    pub fn save_recent(
        &self,
        bytes: &[u8],
        flags: Flags,
        keywords: &[&str],
        internal_date: Option<i64>,
    ) -> Result<u32> {
        self.deliver(bytes, flags, keywords, internal_date, true)
    }

    /// [`Mailbox::save`] (`recent` false: into `cur/`) and [`Mailbox::save_recent`] (into `new/`).
    fn deliver(
        &self,
        bytes: &[u8],
        flags: Flags,
        keywords: &[&str],
        internal_date: Option<i64>,
        recent: bool,
    ) -> Result<u32> {
        let base = deliver::unique_basename(Some(bytes.len() as u64), Some(deliver::vsize(bytes)));
        let tmp = self.tmp_dir()?.join(&base);
        let stored = self.encode_new(bytes, &tmp)?;
        deliver::write_new(&tmp, &stored, internal_date).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::io("write", &tmp)(e)
        })?;
        self.commit_tmp(&tmp, &base, flags, keywords, recent)
    }

    /// The bytes to store for a new message (see [`Mailbox::save`]).
    fn encode_new<'b>(&self, bytes: &'b [u8], tmp: &Path) -> Result<Cow<'b, [u8]>> {
        let options = self.store.options();
        let compression = match options.compress_new_mail {
            Compression::None if Format::detect(bytes).is_some() => Compression::Zstd,
            c => c,
        };
        if compression == Compression::None {
            return Ok(Cow::Borrowed(bytes));
        }
        compress::compress(bytes, compression, options.compression_level)
            .map(Cow::Owned)
            .map_err(StoreError::io("compress", tmp))
    }

    /// Replaces the flags and keywords of a message by renaming its file (to `cur/`, keeping the UID).
    pub fn set_flags(&self, uid: u32, flags: Flags, keywords: &[&str]) -> Result<()> {
        self.set_flags_if(uid, flags, keywords, None).map(|_| ())
    }

    /// [`Mailbox::set_flags`] only when the message has not changed since mod-sequence
    /// `unchanged_since` (IMAP `STORE (UNCHANGEDSINCE n)`, RFC 7162 §3.1.3), checked under the
    /// mailbox lock against `mailfts-modseq`: a MODSEQ above it, or a file name whose flags differ
    /// from the recorded ones (a change no sync has numbered yet), leaves the message alone and
    /// gives `Ok(false)`.
    pub fn set_flags_if_unchanged(
        &self,
        uid: u32,
        flags: Flags,
        keywords: &[&str],
        unchanged_since: u64,
    ) -> Result<bool> {
        self.set_flags_if(uid, flags, keywords, Some(unchanged_since))
    }

    fn set_flags_if(
        &self,
        uid: u32,
        flags: Flags,
        keywords: &[&str],
        unchanged_since: Option<u64>,
    ) -> Result<bool> {
        let mut events = Vec::new();
        let result = self.set_flags_locked(uid, flags, keywords, unchanged_since, &mut events);
        self.store.publish(&events);
        result
    }

    fn set_flags_locked(
        &self,
        uid: u32,
        flags: Flags,
        keywords: &[&str],
        unchanged_since: Option<u64>,
        events: &mut Vec<StoreEvent>,
    ) -> Result<bool> {
        let _lock = self.lock()?;
        let mut table = KeywordTable::load(&self.dir)?;
        let letters = table.letters_for(&self.dir, &self.name, keywords)?;
        let mut resynced = false;
        loop {
            let Some((from, name)) = self.locate_locked(uid, events, &mut resynced)? else {
                return Err(self.uid_not_found(uid));
            };
            if let Some(since) = unchanged_since {
                let unchanged = modseq::load(&self.dir)
                    .is_some_and(|log| log.unchanged_since(uid, &name, since));
                if !unchanged {
                    return Ok(false);
                }
            }
            let base = filename::basename(&name);
            let new_name = format!("{base}:2,{}{letters}", flags.to_maildir_letters());
            let to = self.dir.join("cur").join(&new_name);
            if from == to {
                return Ok(true);
            }
            match fs::rename(&from, &to) {
                Ok(()) => {
                    if let Some(b) = lock_shared(&self.shared.baseline).as_mut() {
                        b.set(uid, &new_name, false);
                    }
                    events.push(StoreEvent::FlagsChanged {
                        mailbox: self.name.clone(),
                        uid,
                        flags,
                        keywords: keyword_names(&table, &new_name),
                    });
                    return Ok(true);
                }
                // Renamed or expunged by someone else since our last sync: look again.
                Err(e) if e.kind() == io::ErrorKind::NotFound && !resynced => {
                    events.extend(self.sync_locked(&[])?.events);
                    resynced = true;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(self.uid_not_found(uid))
                }
                Err(e) => return Err(StoreError::io("rename", &from)(e)),
            }
        }
    }

    /// Deletes the files of these UIDs and drops them from the list. Returns the UIDs among `uids`
    /// that were in the mailbox and are gone now, ascending (unknown UIDs are ignored).
    pub fn expunge(&self, uids: &[u32]) -> Result<Vec<u32>> {
        let mut uids = uids.to_vec();
        uids.sort_unstable();
        uids.dedup();
        let mut events = Vec::new();
        let result = self.expunge_locked(&uids, &mut events);
        self.store.publish(&events);
        result
    }

    fn expunge_locked(&self, uids: &[u32], events: &mut Vec<StoreEvent>) -> Result<Vec<u32>> {
        let _lock = self.lock()?;
        let mut resynced = false;
        let mut present = Vec::with_capacity(uids.len());
        let mut first_error = None;
        for &uid in uids {
            let Some((path, _)) = self.locate_locked(uid, events, &mut resynced)? else {
                continue;
            };
            present.push(uid);
            // NotFound: renamed by someone else; the sync below finds it and we try again.
            if let Err(e) = remove_file(&path) {
                first_error = Some(e);
                break;
            }
        }
        let mut snapshot = self.sync_locked(&present)?;
        events.append(&mut snapshot.events);
        // entries built for these UIDs only: a large mailbox's snapshot builds none for the rest
        let survivors: Vec<PathBuf> = present
            .iter()
            .filter_map(|&u| snapshot.entry(u))
            .map(|m| m.path)
            .collect();
        if first_error.is_none() && !survivors.is_empty() {
            first_error = survivors.iter().find_map(|p| remove_file(p).err());
            snapshot = self.sync_locked(&present)?;
            events.append(&mut snapshot.events);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(present
                .into_iter()
                .filter(|&u| !snapshot.contains(u))
                .collect()),
        }
    }

    /// Copies a message into `dest` (a hard link when possible, else a copy keeping the mtime), with
    /// its flags and keywords. Returns the UID in `dest`.
    ///
    /// When `dest`'s store compresses new mail ([`crate::StoreOptions::compress_new_mail`]) and the
    /// message file is plain, the copy is written compressed instead (same mtime, `,S=` and `,W=` of
    /// the message in its name). A compressed message is linked as it is, and its copy gets a `,S=`
    /// size when its name has none.
    pub fn copy_to(&self, uid: u32, dest: &Mailbox) -> Result<u32> {
        self.copy_into(uid, dest, false)
    }

    /// Copies a message as [`Mailbox::copy_to`] does, but into `dest`'s `new/` (as an IMAP COPY or
    /// MOVE: Dovecot makes the copy `\Recent` for the first session that sees it, see
    /// [`Mailbox::save_recent`]).
    pub fn copy_to_recent(&self, uid: u32, dest: &Mailbox) -> Result<u32> {
        self.copy_into(uid, dest, true)
    }

    fn copy_into(&self, uid: u32, dest: &Mailbox, in_new: bool) -> Result<u32> {
        let mut resynced = false;
        loop {
            let (src, name) = {
                let _lock = self.lock()?;
                let mut events = Vec::new();
                let found = self.locate_locked(uid, &mut events, &mut resynced)?;
                self.store.publish(&events);
                found.ok_or_else(|| self.uid_not_found(uid))?
            };
            let base = filename::basename(&name);
            let (size, vsize) = (
                filename::size_field(base, b'S'),
                filename::size_field(base, b'W'),
            );
            let plan = self.copy_plan(&src, size, vsize, dest);
            let (size, vsize) = match &plan {
                Ok(CopyPlan::Link { size, vsize }) => (*size, *vsize),
                Ok(CopyPlan::Compress { bytes, .. }) => (
                    Some(size.unwrap_or(bytes.len() as u64)),
                    Some(vsize.unwrap_or_else(|| deliver::vsize(bytes))),
                ),
                Err(_) => (size, vsize),
            };
            let new_base = deliver::unique_basename(size, vsize);
            let tmp = dest.tmp_dir()?.join(&new_base);
            let result = match plan {
                Ok(CopyPlan::Link { .. }) => link_or_copy(&src, &tmp),
                Ok(CopyPlan::Compress { bytes, mtime }) => {
                    let stored = dest.encode_new(&bytes, &tmp)?;
                    deliver::write_new(&tmp, &stored, Some(mtime))
                }
                Err(e) => Err(e),
            };
            if result.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            match result {
                Ok(()) => {
                    let table = KeywordTable::load(&self.dir)?;
                    let keywords = keyword_names(&table, &name);
                    let keywords: Vec<&str> = keywords.iter().map(String::as_str).collect();
                    return dest.commit_tmp(
                        &tmp,
                        &new_base,
                        filename::flags(&name),
                        &keywords,
                        in_new,
                    );
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && !resynced => {
                    self.sync()?;
                    resynced = true;
                }
                Err(e) => return Err(StoreError::io("copy", &src)(e)),
            }
        }
    }

    /// How to copy the file `src` into `dest`: linked, or read to be written compressed.
    fn copy_plan(
        &self,
        src: &Path,
        size: Option<u64>,
        vsize: Option<u64>,
        dest: &Mailbox,
    ) -> io::Result<CopyPlan> {
        let compress_new = dest.store.options().compress_new_mail != Compression::None;
        if !compress_new && size.is_some() {
            return Ok(CopyPlan::Link { size, vsize });
        }
        // Regular files only, no symbolic link followed, reads bounded by the fstat size.
        let (file, meta) = crate::msgfile::open(src)?;
        let mut file = file.take(meta.len());
        let mut head = [0u8; Format::DETECT_LEN];
        let n = compress::read_full(&mut file, &mut head)?;
        match Format::detect(&head[..n]) {
            // A compressed file without its size in the name: Dovecot wants `,S=`.
            Some(_) if size.is_none() => {
                let reader = compress::open(src, self.store.limits(), None)?;
                let (len, vlen) = crate::snapshot::sizes(reader)?;
                Ok(CopyPlan::Link {
                    size: Some(len),
                    vsize: vsize.or(Some(vlen)),
                })
            }
            Some(_) => Ok(CopyPlan::Link { size, vsize }),
            None if compress_new => {
                let mtime = meta.modified()?;
                let mut bytes = head[..n].to_vec();
                file.read_to_end(&mut bytes)?;
                Ok(CopyPlan::Compress {
                    bytes,
                    mtime: deliver::unix_secs(mtime),
                })
            }
            None => Ok(CopyPlan::Link { size, vsize }),
        }
    }

    /// `tmp/`, created when missing (some tools make only `cur/` and `new/`).
    fn tmp_dir(&self) -> Result<PathBuf> {
        let tmp = self.dir.join("tmp");
        match fs::create_dir(&tmp) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                Err(StoreError::io("create directory", &tmp)(e))
            }
            _ => Ok(tmp),
        }
    }

    /// Moves a file from `tmp/` into `cur/` (or `new/` when `in_new`) with its flags and gives it a
    /// UID; removes it on failure.
    fn commit_tmp(
        &self,
        tmp: &Path,
        base: &str,
        flags: Flags,
        keywords: &[&str],
        in_new: bool,
    ) -> Result<u32> {
        let mut moved = false;
        let result = (|| {
            let _lock = self.lock()?;
            let letters =
                KeywordTable::load(&self.dir)?.letters_for(&self.dir, &self.name, keywords)?;
            let info = format!("{}{letters}", flags.to_maildir_letters());
            let name = if in_new && info.is_empty() {
                base.to_owned()
            } else {
                format!("{base}:2,{info}")
            };
            let folder = self.dir.join(if in_new { "new" } else { "cur" });
            let dest = folder.join(&name);
            fs::rename(tmp, &dest).map_err(StoreError::io("rename", tmp))?;
            moved = true;
            fsutil::fsync_dir(&folder)?;
            self.assign_locked(base, &name, in_new)
        })();
        match result {
            Ok((uid, events)) => {
                self.store.publish(&events);
                Ok(uid)
            }
            Err(e) => {
                if !moved {
                    let _ = fs::remove_file(tmp);
                }
                Err(e)
            }
        }
    }

    /// Gives the just-delivered `cur/<name>` (`new/<name>` when `in_new`) a UID: appended to the
    /// list when it is in order, else through a full sync.
    fn assign_locked(
        &self,
        base: &str,
        name: &str,
        in_new: bool,
    ) -> Result<(u32, Vec<StoreEvent>)> {
        let dovecot = dovecot::load(&self.dir)?;
        if let Loaded::Valid(list) = uidlist::load(&self.dir)? {
            if list.appendable
                && dovecot
                    .as_ref()
                    .is_none_or(|d| d.uid_validity == list.uid_validity)
            {
                let uid = list
                    .uid_next
                    .max(dovecot.as_ref().map_or(1, |d| d.next_uid));
                uidlist::append(&self.dir, std::iter::once((uid, base)))?;
                if let Some(b) = lock_shared(&self.shared.baseline).as_mut() {
                    if b.uid_validity == list.uid_validity {
                        b.set(uid, name, in_new);
                    }
                }
                tracing::debug!(mailbox = self.name, uid, file = name, "message saved");
                let saved = StoreEvent::Saved {
                    mailbox: self.name.clone(),
                    uid,
                };
                return Ok((uid, vec![saved]));
            }
        }
        let snapshot = self.sync_locked(&[])?;
        let uid = snapshot
            .messages()
            .iter()
            .find(|m| m.basename() == base)
            .map(|m| m.uid)
            .ok_or_else(|| {
                let folder = if in_new { "new" } else { "cur" };
                StoreError::io("save", &self.dir.join(folder).join(name))(
                    io::ErrorKind::NotFound.into(),
                )
            })?;
        Ok((uid, snapshot.events))
    }
}

/// How [`Mailbox::copy_to`] copies a file.
enum CopyPlan {
    /// Hard link (or plain copy), named with these sizes.
    Link {
        size: Option<u64>,
        vsize: Option<u64>,
    },
    /// Write these (plain) bytes compressed, with this mtime.
    Compress { bytes: Vec<u8>, mtime: i64 },
}

/// Unlinks a message file; one that is already gone is not an error.
fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StoreError::io("unlink", path)(e)),
        _ => Ok(()),
    }
}

/// Hard-links `src` to `dest`, or copies it (fsynced, keeping the mtime) where links are impossible.
///
/// Only a regular file is linked or copied: a symbolic link (or FIFO, device…) put in the Maildir is
/// refused, never followed.
fn link_or_copy(src: &Path, dest: &Path) -> io::Result<()> {
    let ft = fs::symlink_metadata(src)?.file_type();
    if !ft.is_file() {
        let kind = crate::msgfile::kind_name(ft);
        tracing::warn!(path = %src.display(), kind, "not copying a message file that is not a regular file");
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a regular file ({kind})", src.display()),
        ));
    }
    match fs::hard_link(src, dest) {
        Ok(()) => Ok(()),
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::AlreadyExists =>
        {
            Err(e)
        }
        Err(_) => {
            let (file, meta) = crate::msgfile::open(src)?;
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(dest)?;
            io::copy(&mut file.take(meta.len()), &mut f)?;
            f.set_modified(meta.modified()?)?;
            f.sync_all()
        }
    }
}
