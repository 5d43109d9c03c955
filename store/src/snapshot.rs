//! The result of a sync: a mailbox's messages in UID order.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::baseline::Listing;
use crate::compress::{self, DecompressLimits, Format, MessageReader};
use crate::keywords::KeywordTable;
use crate::modseq::Modseqs;
use crate::{filename, Flags, StoreEvent};

/// A consistent view of one mailbox after [`crate::Mailbox::sync`].
///
/// The UIDs are always at hand; the [`MessageEntry`] values (paths, flags, keywords, size hints)
/// may be made only when first asked for: a snapshot of an unchanged mailbox read by a fresh
/// process from the persisted state ([`crate::Mailbox::sync_shared`]) keeps the listing's names and
/// builds the entries on demand, so a search answered by the index never builds 20,000 of them.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The mailbox name (UTF-8, `INBOX` for the root).
    pub name: String,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UIDNEXT: above every UID ever handed out in this UIDVALIDITY.
    pub uid_next: u32,
    /// HIGHESTMODSEQ (RFC 7162): the highest mod-sequence of any change seen in this mailbox; it
    /// never goes backwards (see the `modseq` module).
    pub highest_modseq: u64,
    /// What this sync changed, in the order described at [`StoreEvent`].
    pub events: Vec<StoreEvent>,
    /// The UIDs of the messages, ascending.
    uids: Uids,
    /// The messages, ascending by UID: given, or built from `lazy` on first use.
    entries: OnceLock<Vec<MessageEntry>>,
    /// Where entries not yet built come from.
    lazy: Option<LazyEntries>,
}

/// The UIDs of a snapshot: its own, or read in place from the listing's mapped state file.
#[derive(Clone, Debug)]
enum Uids {
    Owned(Vec<u32>),
    /// A listing whose [`Listing::uid_slice`] is `Some`.
    InListing(Arc<Listing>),
}

impl Uids {
    fn of(listing: &Arc<Listing>) -> Uids {
        match listing.uid_slice() {
            Some(_) => Uids::InListing(listing.clone()),
            None => Uids::Owned(listing.uids()),
        }
    }

    fn as_slice(&self) -> &[u32] {
        match self {
            Uids::Owned(v) => v,
            Uids::InListing(l) => l.uid_slice().unwrap_or_default(),
        }
    }
}

/// What a snapshot needs to build its entries on demand.
#[derive(Clone, Debug)]
pub(crate) struct LazyEntries {
    /// The file names by UID (shared with the mailbox's baseline).
    pub listing: Arc<Listing>,
    /// The mailbox's `new/` and `cur/` directories.
    pub new: PathBuf,
    /// See `new`.
    pub cur: PathBuf,
    /// The mailbox's keyword letters.
    pub keywords: Arc<KeywordTable>,
    /// The mailbox's mod-sequences.
    pub modseqs: Arc<Modseqs>,
    /// The store's decompression limits.
    pub limits: &'static DecompressLimits,
}

impl LazyEntries {
    fn entry(&self, uid: u32, name: &str, in_new: bool) -> MessageEntry {
        let base = filename::basename(name);
        MessageEntry {
            uid,
            modseq: self.modseqs.get(uid).unwrap_or(self.modseqs.highest()),
            path: join(if in_new { &self.new } else { &self.cur }, name),
            flags: filename::flags(name),
            keywords: self.keywords_of(name),
            recent: in_new,
            size_hint: filename::size_field(base, b'S'),
            vsize_hint: filename::size_field(base, b'W'),
            limits: self.limits,
        }
    }

    /// Every message's entry, ascending by UID.
    fn all(&self) -> Vec<MessageEntry> {
        self.listing
            .iter()
            .map(|(uid, name, in_new)| self.entry(uid, name, in_new))
            .collect()
    }

    /// What the file name `name` says of its message, without building its entry.
    fn flag_facts(&self, uid: u32, name: &str, in_new: bool) -> FlagFacts {
        FlagFacts {
            uid,
            flags: filename::flags(name),
            keywords: self.keywords_of(name),
            recent: in_new,
        }
    }

    /// The keyword names of a file name's letters.
    fn keywords_of(&self, name: &str) -> Vec<String> {
        if self.keywords.is_empty() {
            Vec::new()
        } else {
            keyword_names(&self.keywords, name)
        }
    }
}

impl Snapshot {
    /// A snapshot whose entries are built from `lazy` when first asked for.
    pub(crate) fn of_listing(
        name: String,
        uid_validity: u32,
        uid_next: u32,
        lazy: LazyEntries,
    ) -> Snapshot {
        Snapshot {
            name,
            uid_validity,
            uid_next,
            highest_modseq: lazy.modseqs.highest(),
            events: Vec::new(),
            uids: Uids::of(&lazy.listing),
            entries: OnceLock::new(),
            lazy: Some(lazy),
        }
    }

    /// The messages, ascending by UID (built on first use when the snapshot was made lazily).
    pub fn messages(&self) -> &[MessageEntry] {
        self.entries
            .get_or_init(|| self.lazy.as_ref().map_or_else(Vec::new, LazyEntries::all))
    }

    /// Every message's entry, ascending by UID, for one walk: the snapshot's own when it holds
    /// them, else made for the caller and not kept (unlike [`Snapshot::messages`]), so that a
    /// walk of a snapshot the store shares (`Mailbox::sync_shared`) does not leave them in memory
    /// as long as the mailbox stays unchanged (about 120 bytes a message: 117 MB for the generated
    /// 1M home).
    pub fn entries_once(&self) -> std::borrow::Cow<'_, [MessageEntry]> {
        match (self.entries.get(), &self.lazy) {
            (None, Some(lazy)) => std::borrow::Cow::Owned(lazy.all()),
            _ => std::borrow::Cow::Borrowed(self.messages()),
        }
    }

    /// True when the snapshot holds every message's entry (given, or built by
    /// [`Snapshot::messages`]).
    pub fn holds_entries(&self) -> bool {
        self.entries.get().is_some()
    }

    /// What the file names say of every message, ascending by UID: UID, flags, keywords and
    /// `\Recent` — what searches on flags, keywords and UIDs read. A lazy snapshot's entries are
    /// not built for it (no paths, no mod-sequences: a fresh process answering `UID 1:5` or
    /// `UNSEEN` on 20,000 messages spent 5 ms building them).
    pub fn flag_facts(&self) -> Vec<FlagFacts> {
        self.facts().collect()
    }

    /// [`Snapshot::flag_facts`] one message at a time, ascending by UID: what a walk of every
    /// message's flags needs (an IMAP `SELECT` or `STATUS` of a mailbox of 450,000 messages),
    /// without a vector of them and without building a lazy snapshot's entries.
    pub fn facts(&self) -> Box<dyn Iterator<Item = FlagFacts> + '_> {
        match (self.entries.get(), &self.lazy) {
            (None, Some(lazy)) => Box::new(
                lazy.listing
                    .iter()
                    .map(|(uid, name, in_new)| lazy.flag_facts(uid, name, in_new)),
            ),
            _ => Box::new(self.messages().iter().map(|m| FlagFacts {
                uid: m.uid,
                flags: m.flags,
                keywords: m.keywords.clone(),
                recent: m.recent,
            })),
        }
    }

    /// How many messages are `\Recent`, unseen and `\Deleted` (IMAP `STATUS`), counted from
    /// [`Snapshot::facts`].
    pub fn flag_counts(&self) -> FlagCounts {
        let mut c = FlagCounts::default();
        for m in self.facts() {
            c.recent += u64::from(m.recent);
            c.unseen += u64::from(!m.flags.contains(Flags::SEEN));
            c.deleted += u64::from(m.flags.contains(Flags::DELETED));
        }
        c
    }

    /// True when the mailbox holds a message with this UID (never builds the entries).
    pub fn contains(&self, uid: u32) -> bool {
        self.index_of(uid).is_some()
    }

    /// The mod-sequence of the message with this UID (see [`MessageEntry::modseq`]), without
    /// building its entry.
    pub fn modseq_of(&self, uid: u32) -> Option<u64> {
        let i = self.index_of(uid)?;
        match (self.entries.get(), &self.lazy) {
            (None, Some(lazy)) => Some(lazy.modseqs.get(uid).unwrap_or(lazy.modseqs.highest())),
            _ => Some(self.messages()[i].modseq),
        }
    }

    /// The UIDs of the messages, ascending (never builds the entries).
    pub fn uids(&self) -> &[u32] {
        self.uids.as_slice()
    }

    /// The number of messages.
    pub fn len(&self) -> usize {
        self.uids().len()
    }

    /// True when the mailbox has no messages.
    pub fn is_empty(&self) -> bool {
        self.uids().is_empty()
    }

    /// The highest UID, 0 for an empty mailbox.
    pub fn max_uid(&self) -> u32 {
        self.uids().last().copied().unwrap_or(0)
    }

    /// The message with this UID (binary search); builds every entry on first use of a lazy
    /// snapshot and keeps them (about 180 bytes a message): for a few messages, and in anything
    /// that lives as long as the snapshot (an IMAP session's selected mailbox),
    /// [`Snapshot::entry`] is the one to use.
    pub fn get(&self, uid: u32) -> Option<&MessageEntry> {
        self.index_of(uid).map(|i| &self.messages()[i])
    }

    /// The message with this UID, as an owned entry: built alone when the entries were not built.
    pub fn entry(&self, uid: u32) -> Option<MessageEntry> {
        let i = self.index_of(uid)?;
        if let Some(all) = self.entries.get() {
            return Some(all[i].clone());
        }
        let lazy = self.lazy.as_ref()?;
        let (name, in_new) = lazy.listing.get(uid)?;
        Some(lazy.entry(uid, name, in_new))
    }

    /// Drops the pages of the mailbox's mapped state files (listing, mod-sequences) from this
    /// process's resident memory; what is read next maps them again from the page cache. A
    /// rescan calls it after each commit, so that walking a large mailbox once keeps only the
    /// latest part of its listing resident.
    pub fn release_mapped_pages(&self) {
        if let Uids::InListing(listing) = &self.uids {
            listing.release_pages();
        }
        if let Some(lazy) = &self.lazy {
            lazy.listing.release_pages();
            lazy.modseqs.release_pages();
        }
    }

    /// The IMAP message sequence number (1-based) of this UID.
    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.index_of(uid).map(|i| i as u32 + 1)
    }

    fn index_of(&self, uid: u32) -> Option<usize> {
        self.uids().binary_search(&uid).ok()
    }
}

/// The keyword names of a file name's letters (letters without a name are left out).
pub(crate) fn keyword_names(table: &KeywordTable, name: &str) -> Vec<String> {
    filename::keyword_letters(name)
        .filter_map(|i| table.name(i))
        .map(str::to_owned)
        .collect()
}

/// `dir/name` in one allocation.
fn join(dir: &Path, name: &str) -> PathBuf {
    let mut s = std::ffi::OsString::with_capacity(dir.as_os_str().len() + 1 + name.len());
    s.push(dir.as_os_str());
    s.push("/");
    s.push(name);
    PathBuf::from(s)
}

/// What a message's file name says: the part of a [`MessageEntry`] that
/// [`Snapshot::flag_facts`] gives without building entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagFacts {
    /// The UID.
    pub uid: u32,
    /// The system flags.
    pub flags: Flags,
    /// The keywords (letters without a name left out).
    pub keywords: Vec<String>,
    /// True while the file is in `new/` (IMAP `\Recent`).
    pub recent: bool,
}

/// Counts of messages by flag ([`Snapshot::flag_counts`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlagCounts {
    /// Messages in `new/` (IMAP `\Recent`).
    pub recent: u64,
    /// Messages without `\Seen`.
    pub unseen: u64,
    /// Messages flagged `\Deleted`.
    pub deleted: u64,
}

/// One message of a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageEntry {
    /// The UID.
    pub uid: u32,
    /// MODSEQ (RFC 7162): the mod-sequence of the last change to this message (its arrival or a
    /// flag, keyword or `new/` → `cur/` change) that a sync saw.
    pub modseq: u64,
    /// The file's full path at sync time.
    pub path: PathBuf,
    /// The system flags from the file name.
    pub flags: Flags,
    /// The keywords from the file name's lower-case letters (letters without a name are left out).
    pub keywords: Vec<String>,
    /// True while the file is in `new/` (IMAP `\Recent`).
    pub recent: bool,
    /// Message size from the `,S=<n>` field of the name, if present.
    pub size_hint: Option<u64>,
    /// Size with CRLF line ends (IMAP `RFC822.SIZE`) from the `,W=<n>` field, if present.
    pub vsize_hint: Option<u64>,
    /// The store's decompression limits.
    pub(crate) limits: &'static DecompressLimits,
}

impl MessageEntry {
    /// The file name.
    pub fn file_name(&self) -> &str {
        self.path.file_name().and_then(|n| n.to_str()).unwrap_or("")
    }

    /// The basename: the file name before the `:2,` info; it identifies the message in its mailbox.
    pub fn basename(&self) -> &str {
        filename::basename(self.file_name())
    }

    /// The message bytes, decompressed when the file is compressed (Dovecot's zlib plugin: zstd, gzip,
    /// lz4, bzip2, xz, recognised by their magic bytes).
    ///
    /// A file that was expunged or renamed since the sync gives [`io::ErrorKind::NotFound`]: treat the
    /// message as expunged (or sync again). A compressed file that cannot be decompressed (truncated,
    /// corrupt, past the size limit, unsupported format) gives an error carrying a
    /// [`crate::DecompressError`] ([`crate::DecompressError::of`]); count it and skip the message.
    pub fn read(&self) -> io::Result<Vec<u8>> {
        compress::decompress(self.read_raw()?, self.limits, self.size_hint)
    }

    /// The message as a stream, decompressed on the fly: for readers that need only a part
    /// (`BODY.PEEK[HEADER]`, a partial `BODY[]<0.1024>`) or want to avoid holding a large message.
    /// Errors as for [`MessageEntry::read`].
    pub fn open(&self) -> io::Result<MessageReader> {
        compress::open(&self.path, self.limits, self.size_hint)
    }

    /// The file's bytes as stored (possibly compressed).
    ///
    /// Only a regular file is read (a symbolic link, FIFO, device or directory is refused with an
    /// [`io::ErrorKind::InvalidInput`] error and a warning), and at most its `fstat` size.
    pub fn read_raw(&self) -> io::Result<Vec<u8>> {
        crate::msgfile::read(&self.path)
    }

    /// The compression of the file (from its first bytes); `None` for a plain message.
    pub fn compression(&self) -> io::Result<Option<Format>> {
        Ok(self.open()?.format())
    }

    /// The size of the message (uncompressed): the `,S=` field of the name when present, else the
    /// file's length for a plain file, else the decompressed length.
    pub fn size(&self) -> io::Result<u64> {
        if let Some(s) = self.size_hint {
            return Ok(s);
        }
        let reader = self.open()?;
        if reader.format().is_none() {
            return Ok(reader.file_len());
        }
        Ok(sizes(reader)?.0)
    }

    /// IMAP `RFC822.SIZE`: the size of the uncompressed message with every bare LF counted as CRLF.
    /// The `,W=` field of the name when present, else computed from the message.
    pub fn vsize(&self) -> io::Result<u64> {
        match self.vsize_hint {
            Some(w) => Ok(w),
            None => Ok(sizes(self.open()?)?.1),
        }
    }

    /// IMAP INTERNALDATE as unix seconds: the file's modification time, as Dovecot uses for Maildir.
    pub fn internal_date(&self) -> io::Result<i64> {
        // Not following a symbolic link (its target's date is none of the user's business).
        let mtime = fs::symlink_metadata(&self.path)?.modified()?;
        Ok(crate::deliver::unix_secs(mtime))
    }
}

/// The size and the size with bare LFs counted as CRLF of a stream, read in chunks.
pub(crate) fn sizes(mut r: impl Read) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut size, mut bare_lf, mut prev_cr) = (0u64, 0u64, false);
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok((size, size + bare_lf)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        for i in memchr::memchr_iter(b'\n', chunk) {
            let after_cr = if i == 0 {
                prev_cr
            } else {
                chunk[i - 1] == b'\r'
            };
            bare_lf += u64::from(!after_cr);
        }
        prev_cr = chunk[n - 1] == b'\r';
        size += n as u64;
    }
}
