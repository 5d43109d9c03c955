//! The keyword table of a mailbox: which lower-case info letter (`a`–`z`) stands for which IMAP keyword.
//!
//! Dovecot's `dovecot-keywords` wins and is never written. Keywords it does not know are kept in our
//! own `mailfts-keywords` (same format); when a Dovecot table exists we take letters from `z` downwards,
//! Dovecot takes them from `a` upwards, so the two only meet when all 26 are used.

use std::path::Path;

use crate::dovecot;
use crate::error::{Result, StoreError};
use crate::fsutil;

/// File name of our keyword table.
pub(crate) const FILE: &str = "mailfts-keywords";

/// The 26 letters of one mailbox.
#[derive(Debug, Default)]
pub(crate) struct KeywordTable {
    names: [Option<String>; 26],
    has_dovecot: bool,
    /// Bit `i` set: letter `i` comes from `dovecot-keywords`.
    dovecot_letters: u32,
}

impl KeywordTable {
    /// Reads `dovecot-keywords` and `mailfts-keywords` of a folder.
    pub(crate) fn load(folder: &Path) -> Result<KeywordTable> {
        let mut table = KeywordTable::default();
        if let Some(bytes) = fsutil::read_optional(&folder.join(dovecot::KEYWORDS_FILE))? {
            dovecot::parse_keywords(&String::from_utf8_lossy(&bytes), &mut table.names);
            table.has_dovecot = true;
            for (i, n) in table.names.iter().enumerate() {
                if n.is_some() {
                    table.dovecot_letters |= 1 << i;
                }
            }
        }
        if let Some(bytes) = fsutil::read_optional(&folder.join(FILE))? {
            let mut ours: [Option<String>; 26] = Default::default();
            dovecot::parse_keywords(&String::from_utf8_lossy(&bytes), &mut ours);
            for (i, name) in ours.into_iter().enumerate() {
                let Some(name) = name else { continue };
                if table.letter_of(&name).is_some() {
                    continue;
                }
                match &table.names[i] {
                    None => table.names[i] = Some(name),
                    Some(theirs) => tracing::warn!(
                        folder = %folder.display(),
                        letter = %char::from(b'a' + i as u8),
                        ours = name,
                        theirs,
                        "keyword letter taken by dovecot-keywords; our keyword is hidden"
                    ),
                }
            }
        }
        Ok(table)
    }

    /// True when no letter is mapped.
    pub(crate) fn is_empty(&self) -> bool {
        self.names.iter().all(Option::is_none)
    }

    /// The keyword of letter index `i` (0 = `a`).
    pub(crate) fn name(&self, i: u8) -> Option<&str> {
        self.names.get(usize::from(i))?.as_deref()
    }

    /// The letter index of a keyword (ASCII case-insensitive, as IMAP compares flags).
    pub(crate) fn letter_of(&self, keyword: &str) -> Option<u8> {
        self.names
            .iter()
            .position(|n| {
                n.as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(keyword))
            })
            .map(|i| i as u8)
    }

    /// The info letters for `keywords`, assigning and persisting letters for unknown ones.
    /// The caller holds the mailbox lock.
    pub(crate) fn letters_for(
        &mut self,
        folder: &Path,
        mailbox: &str,
        keywords: &[&str],
    ) -> Result<String> {
        let mut idx = Vec::with_capacity(keywords.len());
        let mut added = false;
        for &kw in keywords {
            check_keyword(mailbox, kw)?;
            let i = match self.letter_of(kw) {
                Some(i) => i,
                None => {
                    let free = |i: &usize| self.names[*i].is_none();
                    let i = if self.has_dovecot {
                        (0..26).rev().find(free)
                    } else {
                        (0..26).find(free)
                    }
                    .ok_or_else(|| StoreError::TooManyKeywords {
                        mailbox: mailbox.to_owned(),
                        keyword: kw.to_owned(),
                    })?;
                    self.names[i] = Some(kw.to_owned());
                    added = true;
                    i as u8
                }
            };
            idx.push(i);
        }
        if added {
            self.save_ours(folder)?;
        }
        idx.sort_unstable();
        idx.dedup();
        Ok(idx.into_iter().map(|i| char::from(b'a' + i)).collect())
    }

    /// Rewrites `mailfts-keywords` with every letter not owned by Dovecot.
    fn save_ours(&self, folder: &Path) -> Result<()> {
        let mut text = String::new();
        for (i, name) in self.names.iter().enumerate() {
            if let Some(name) = name
                .as_deref()
                .filter(|_| self.dovecot_letters & (1 << i) == 0)
            {
                text.push_str(&format!("{i} {name}\n"));
            }
        }
        fsutil::atomic_write(folder, FILE, text.as_bytes())
    }
}

/// Refuses keywords that are not IMAP atoms (RFC 3501 `flag-keyword = atom`) or are system flags.
fn check_keyword(mailbox: &str, keyword: &str) -> Result<()> {
    let reason = if keyword.is_empty() {
        Some("empty")
    } else if keyword.starts_with('\\') {
        Some("system flags are not keywords")
    } else if keyword
        .bytes()
        .any(|b| !(0x21..0x7f).contains(&b) || b"(){%*\"\\]".contains(&b))
    {
        Some("not an IMAP atom")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StoreError::InvalidKeyword {
            mailbox: mailbox.to_owned(),
            keyword: keyword.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigns_letters_beside_dovecot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(dovecot::KEYWORDS_FILE),
            "0 $Junk\n1 $Label1\n",
        )
        .unwrap();
        let mut t = KeywordTable::load(dir.path()).unwrap();
        assert_eq!(
            t.letters_for(dir.path(), "INBOX", &["$label1", "$Junk"])
                .unwrap(),
            "ab"
        );
        assert_eq!(t.letters_for(dir.path(), "INBOX", &["Work"]).unwrap(), "z");
        let t = KeywordTable::load(dir.path()).unwrap();
        assert_eq!(t.name(25), Some("Work"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join(FILE)).unwrap(),
            "25 Work\n"
        );
        let mut t = KeywordTable::load(dir.path()).unwrap();
        for bad in ["", "a b", "\\Seen", "x(", "é"] {
            assert!(
                t.letters_for(dir.path(), "INBOX", &[bad]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn runs_out_of_letters() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = KeywordTable::load(dir.path()).unwrap();
        let many: Vec<String> = (0..26).map(|i| format!("k{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(t.letters_for(dir.path(), "INBOX", &refs).unwrap().len(), 26);
        assert!(matches!(
            t.letters_for(dir.path(), "INBOX", &["one-more"]),
            Err(StoreError::TooManyKeywords { .. })
        ));
    }
}
