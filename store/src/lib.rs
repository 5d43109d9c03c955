//! The Maildir mail store of mailfts: mailboxes, stable UIDs, flags and change events.
//!
//! A [`Store`] is one Maildir root, usually `<home>/Maildir`. The root is `INBOX`; every other mailbox is
//! a Maildir++ folder beside it (`.Sent`, `.Lists.linux-usb`), with `.` as hierarchy separator and folder
//! names in IMAP modified UTF-7 on disk ([`mutf7`]) but UTF-8 in this API. Names are validated
//! ([`validate_mailbox_name`]) so that no name escapes the root.
//!
//! [`Mailbox::sync`] is the core: it matches the files of `new/` and `cur/` to a persistent UID list by
//! their basename (the file name before the `:2,` info), so UIDs survive flag renames, `new/` → `cur/`
//! moves and restarts. Where Dovecot keeps a `dovecot-uidlist`, its UIDVALIDITY and UIDs win, so
//! mailfts and Dovecot agree on UIDs; files Dovecot has not numbered get our UIDs above Dovecot's next
//! UID, recorded in our own `mailfts-uidlist` (Dovecot's files are never written). The result is a
//! [`Snapshot`]: the messages in UID order with flags, keywords and size hints, plus the typed
//! [`StoreEvent`]s the sync found. Writes ([`Mailbox::save`], [`Mailbox::set_flags`],
//! [`Mailbox::expunge`], [`Mailbox::copy_to`], mailbox creation, deletion and renaming) keep the list
//! consistent under the same lock, and report their events to [`Store::subscribe`]rs.
//!
//! Every message has a MODSEQ and every mailbox a HIGHESTMODSEQ (IMAP CONDSTORE/QRESYNC, RFC 7162):
//! [`MessageEntry::modseq`], [`Snapshot::highest_modseq`], [`Mailbox::expunged_since`]. They are kept
//! in `mailfts-modseq` beside the UID list (written atomically and fsynced under the mailbox lock) and
//! derived from what syncs see: a new UID, changed flag or keyword letters in a file name (whoever
//! renamed it) and an expunge each get the next mod-sequence; the last 10,000 expunges are remembered
//! with theirs. HIGHESTMODSEQ never goes backwards: a lost or damaged file restarts counting at a
//! time-based value above every earlier one, without changing UIDVALIDITY.
//!
//! Per folder, then: `mailfts-uidlist` (UIDs), `mailfts-modseq` (mod-sequences), `mailfts-keywords`
//! (keyword letters Dovecot's `dovecot-keywords` does not have), `mailfts-state` (a cache of the
//! last settled sync, which a fresh process maps and reads in place) and the lock file
//! `mailfts-uidlist.lock`.
//!
//! A sync reads the directories (no `stat` per file), unless nothing changed since the last one: then
//! six `stat` calls suffice and the snapshot comes from memory, so syncing before every search is cheap.
//!
//! Message files compressed by Dovecot's zlib plugin (zstd, gzip, lz4, bzip2, xz) are recognised by
//! their magic bytes, whatever their name: [`MessageEntry::read`] and [`MessageEntry::open`] always give
//! the message itself, decompressed under a size limit ([`DecompressLimits`]), and
//! [`MessageEntry::size`]/[`MessageEntry::vsize`] its uncompressed sizes. Mail that mailfts writes can be
//! stored compressed ([`StoreOptions::compress_new_mail`]). See [`compress`].
//!
//! ```
//! use mailfts_store::{Flags, Store, StoreEvent};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let home = tempfile::tempdir()?;
//! let store = Store::create(home.path().join("Maildir"))?;
//! let inbox = store.mailbox("INBOX")?;
//!
//! // A save: delivered to cur/ and numbered at once (an IMAP APPEND uses `save_recent`: new/).
//! let uid = inbox.save(b"Subject: hello\r\n\r\nHi!\r\n", Flags::SEEN, &["$Important"], None)?;
//!
//! // A delivery by the MDA, found by the next sync.
//! std::fs::write(home.path().join("Maildir/new/1700000000.M1P1.mx"), "Subject: news\r\n\r\n")?;
//! let snapshot = inbox.sync()?;
//! assert_eq!(snapshot.messages().len(), 2);
//! assert_eq!(snapshot.get(uid).unwrap().keywords, ["$Important"]);
//! assert!(snapshot.messages()[1].recent);
//! assert_eq!(snapshot.events, [StoreEvent::Saved { mailbox: "INBOX".into(), uid: uid + 1 }]);
//!
//! store.create_mailbox("Lists.linux-usb")?;
//! store.create_mailbox("Entwürfe")?;
//! assert_eq!(store.list_mailboxes()?, ["INBOX", "Entwürfe", "Lists.linux-usb"]);
//! assert!(home.path().join("Maildir/.Entw&APw-rfe/cur").is_dir());
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod baseline;
pub mod compress;
mod deliver;
mod dirstate;
mod dovecot;
mod error;
mod filename;
pub mod flags;
mod fsutil;
mod keywords;
mod mailbox;
mod modseq;
mod msgfile;
pub mod mutf7;
mod name;
mod persisted;
mod scan;
mod snapshot;
mod store;
mod sync;
mod uidlist;
mod uidvalidity;

mod event;

pub use compress::{
    Compression, DecompressError, DecompressErrorKind, DecompressLimits, Format, MessageReader,
};
pub use dirstate::MailboxProbe;
pub use error::{Result, StoreError};
pub use event::StoreEvent;
pub use flags::Flags;
pub use mailbox::{Mailbox, READ_SAVED_FROM};
pub use name::{is_inbox, validate as validate_mailbox_name, SEPARATOR};
pub use snapshot::{FlagCounts, FlagFacts, MessageEntry, Snapshot};
pub use store::{Store, StoreOptions};
