//! What the index knows about itself, kept in tantivy's commit payload so it changes atomically with
//! the documents: the schema version and, per mailbox, its id, UIDVALIDITY and indexed high-water mark.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::schema::SCHEMA_VERSION;

/// Per-mailbox state recorded with each commit.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MailboxMeta {
    /// Id used in documents and column files; a new id is taken when UIDVALIDITY changes.
    pub id: u32,
    /// UIDVALIDITY of the mailbox the documents belong to.
    pub uid_validity: u32,
    /// Every message of the mailbox with a UID at or below this is in the index (or was
    /// expunged); messages above it form the unindexed tail that searches scan.
    pub high_water: u32,
    /// Unix time of the last completed rescan of this mailbox.
    #[serde(default)]
    pub last_rescan: Option<i64>,
}

/// The commit payload.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IndexMeta {
    /// Schema version the index was written with.
    pub schema: u32,
    /// Next mailbox id to hand out.
    pub next_id: u32,
    /// Mailboxes by name.
    pub mailboxes: BTreeMap<String, MailboxMeta>,
    /// Extraction failures by format, summed over all rescans.
    #[serde(default)]
    pub failures: BTreeMap<String, u64>,
    /// The frequent left forms of the indexed word pairs ([`crate::pairs`]); chosen before the
    /// first document and never changed (empty: the index has no pairs).
    #[serde(default)]
    pub pair_left: Vec<String>,
    /// The frequent right forms of the indexed word pairs, as `pair_left`.
    #[serde(default)]
    pub pair_right: Vec<String>,
}

impl Default for IndexMeta {
    fn default() -> Self {
        IndexMeta {
            schema: SCHEMA_VERSION,
            next_id: 1,
            mailboxes: BTreeMap::new(),
            failures: BTreeMap::new(),
            pair_left: Vec::new(),
            pair_right: Vec::new(),
        }
    }
}

impl IndexMeta {
    /// Decodes a payload; `None` for an absent payload (a fresh index).
    pub fn from_payload(payload: Option<&str>) -> Result<IndexMeta, String> {
        match payload {
            None | Some("") => Ok(IndexMeta::default()),
            Some(p) => serde_json::from_str(p).map_err(|e| e.to_string()),
        }
    }

    /// Encodes the payload.
    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).expect("meta serializes")
    }
}
