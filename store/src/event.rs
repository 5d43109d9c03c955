//! Typed change events.

use crate::Flags;

/// One change to the store, as found by [`crate::Mailbox::sync`] or caused by a write through this
/// [`crate::Store`] (see [`crate::Store::subscribe`]).
///
/// Events are hints for keeping other state (the index, IMAP sessions) up to date; the
/// [`crate::Snapshot`] is the truth. Within one sync they come in this order: UIDVALIDITY change,
/// expunges, flag changes, saves, each group by ascending UID.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreEvent {
    /// A message got a UID (delivered by an MDA, saved, copied, or renumbered by Dovecot).
    Saved {
        /// The mailbox name.
        mailbox: String,
        /// The new UID.
        uid: u32,
    },
    /// A message is gone (deleted, moved away, or renumbered by Dovecot).
    Expunged {
        /// The mailbox name.
        mailbox: String,
        /// The UID it had.
        uid: u32,
    },
    /// The flags, keywords or location (`new/` → `cur/`) of a message changed.
    FlagsChanged {
        /// The mailbox name.
        mailbox: String,
        /// The message UID.
        uid: u32,
        /// The system flags now.
        flags: Flags,
        /// The keywords now.
        keywords: Vec<String>,
    },
    /// The mailbox got a new UIDVALIDITY: every UID known before is void, every message is new.
    UidValidityChanged {
        /// The mailbox name.
        mailbox: String,
        /// The previous UIDVALIDITY (0 when it could not be read).
        old: u32,
        /// The new UIDVALIDITY.
        new: u32,
    },
    /// A mailbox was created.
    MailboxCreated {
        /// The mailbox name.
        mailbox: String,
    },
    /// A mailbox was deleted.
    MailboxDeleted {
        /// The mailbox name.
        mailbox: String,
    },
    /// A mailbox was renamed (one event per renamed mailbox, children included).
    MailboxRenamed {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
}
