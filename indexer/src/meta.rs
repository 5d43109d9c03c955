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
    #[serde(default, with = "forms")]
    pub pair_left: Vec<String>,
    /// The frequent right forms of the indexed word pairs, as `pair_left`.
    #[serde(default, with = "forms")]
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

/// The pair forms in the payload as one string, the forms separated by spaces (which no form
/// holds), instead of a JSON list: the payload is itself a string inside tantivy's `meta.json`,
/// so every quote of a list is escaped there, and `meta.json` is parsed three times by every
/// process that opens the index (20 % of a warm open on linux-usb 20k went to the 512 forms'
/// escapes). Payloads written as a list (schema 12 before this) are still read.
mod forms {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    use serde::ser::Serializer;
    use serde::Serialize;

    pub fn serialize<S: Serializer>(forms: &[String], s: S) -> Result<S::Ok, S::Error> {
        if forms.iter().any(|f| f.is_empty() || f.contains(' ')) {
            return forms.serialize(s); // not representable joined: the list
        }
        s.serialize_str(&forms.join(" "))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        struct Forms;
        impl<'de> Visitor<'de> for Forms {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("forms separated by spaces, or a list of forms")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<String>, E> {
                Ok(v.split(' ')
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
                let mut out = Vec::new();
                while let Some(f) = seq.next_element::<String>()? {
                    out.push(f);
                }
                Ok(out)
            }
        }
        d.deserialize_any(Forms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_one_string_and_lists_are_still_read() {
        let mut meta = IndexMeta {
            pair_left: vec!["the".into(), "signed-off-by".into(), "usb".into()],
            ..IndexMeta::default()
        };
        let payload = meta.to_payload();
        assert!(
            payload.contains(r#""pair_left":"the signed-off-by usb""#),
            "{payload}"
        );
        assert!(payload.contains(r#""pair_right":"""#), "{payload}");
        assert_eq!(IndexMeta::from_payload(Some(&payload)).unwrap(), meta);
        let old = payload.replace(
            r#""pair_left":"the signed-off-by usb""#,
            r#""pair_left":["the","signed-off-by","usb"]"#,
        );
        assert_eq!(IndexMeta::from_payload(Some(&old)).unwrap(), meta);
        // a form that cannot be joined keeps the list
        meta.pair_right = vec!["a b".into()];
        assert_eq!(
            IndexMeta::from_payload(Some(&meta.to_payload())).unwrap(),
            meta
        );
    }
}
