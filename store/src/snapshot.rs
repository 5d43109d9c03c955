//! The result of a sync: a mailbox's messages in UID order.

use std::fs;
use std::io;
use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use crate::{compress, filename, Flags, StoreEvent};

/// A consistent view of one mailbox after [`crate::Mailbox::sync`].
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The mailbox name (UTF-8, `INBOX` for the root).
    pub name: String,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UIDNEXT: above every UID ever handed out in this UIDVALIDITY.
    pub uid_next: u32,
    /// The messages, ascending by UID.
    pub messages: Vec<MessageEntry>,
    /// What this sync changed, in the order described at [`StoreEvent`].
    pub events: Vec<StoreEvent>,
}

impl Snapshot {
    /// The message with this UID (binary search).
    pub fn get(&self, uid: u32) -> Option<&MessageEntry> {
        self.index_of(uid).map(|i| &self.messages[i])
    }

    /// The IMAP message sequence number (1-based) of this UID.
    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.index_of(uid).map(|i| i as u32 + 1)
    }

    fn index_of(&self, uid: u32) -> Option<usize> {
        self.messages.binary_search_by_key(&uid, |m| m.uid).ok()
    }
}

/// One message of a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageEntry {
    /// The UID.
    pub uid: u32,
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

    /// The message bytes, decompressed when the file is gzip or zstd (Dovecot's zlib plugin).
    ///
    /// A file that was expunged or renamed since the sync gives [`io::ErrorKind::NotFound`]: treat the
    /// message as expunged (or sync again).
    pub fn read(&self) -> io::Result<Vec<u8>> {
        compress::decompress(self.read_raw()?)
    }

    /// The file's bytes as stored (possibly compressed).
    pub fn read_raw(&self) -> io::Result<Vec<u8>> {
        fs::read(&self.path)
    }

    /// IMAP INTERNALDATE as unix seconds: the file's modification time, as Dovecot uses for Maildir.
    pub fn internal_date(&self) -> io::Result<i64> {
        let mtime = fs::metadata(&self.path)?.modified()?;
        Ok(match mtime.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
        })
    }
}
