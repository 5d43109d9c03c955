//! Substring lookups over a segment's word dictionary.
//!
//! IMAP matches substrings: `TEXT adget` must find `gadget`, `TEXT suspend` must find
//! `autosuspend`. Every substring made of word characters lies inside one run of the text, so the
//! question "which messages contain it" becomes "which *terms* contain it", then the union of
//! their postings. Walking the FST with a `.*s.*` automaton visits the whole dictionary (170–190 ms
//! on linux-usb 20k with identifiers in it). Here each segment's word terms are laid out once as
//! one byte string, `\0t0\0t1\0…`, and searched with SIMD `memmem`: the word dictionary holds no
//! identifiers (see [`crate::text::is_opaque`]), so it is small (about 2 MB for linux-usb 20k:
//! 0.2–0.5 ms per lookup) and the cost no longer depends on how many hashes the mail carries.
//!
//! Measured alternatives (query crate docs): a trigram index from grams to term ordinals answers
//! in time proportional to the answer but costs about as much memory again and still needs the
//! term bytes to verify candidates; a suffix array over the terms costs 4 bytes per byte of term.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use memchr::memmem;
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::termdict::TermOrdinal;
use tantivy::{DocId, SegmentReader};

/// Where in a term a string must sit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Role {
    /// The term may continue before the string (the string need not start the term).
    pub open_start: bool,
    /// The term may continue after the string.
    pub open_end: bool,
}

impl Role {
    /// Anywhere inside the term.
    pub const INSIDE: Role = Role {
        open_start: true,
        open_end: true,
    };
    /// The whole term.
    pub const WHOLE: Role = Role {
        open_start: false,
        open_end: false,
    };
}

/// The word terms of one field of one segment, in ordinal order, as one searchable byte string.
pub struct TermText {
    /// `\0t0\0t1\0…\0`: every term preceded and followed by a NUL.
    bytes: Vec<u8>,
    /// Offset in `bytes` of the first byte of each term, by ordinal; one more entry for the end.
    starts: Vec<u32>,
    /// Where each term's postings are, by ordinal (the dictionary does not expose this by ordinal).
    postings: Vec<Postings>,
}

/// The part of a [`TermInfo`] a lookup needs.
#[derive(Clone, Copy, Debug)]
struct Postings {
    start: u64,
    len: u32,
    doc_freq: u32,
}

impl Postings {
    fn term_info(self) -> TermInfo {
        let start = self.start as usize;
        TermInfo {
            doc_freq: self.doc_freq,
            postings_range: start..start + self.len as usize,
            positions_range: 0..0,
        }
    }
}

impl TermText {
    /// Reads the dictionary of `field` in `segment`.
    pub fn build(segment: &SegmentReader, field: Field) -> tantivy::Result<TermText> {
        let inverted = segment.inverted_index(field)?;
        let dict = inverted.terms();
        let n = dict.num_terms();
        let mut bytes = Vec::with_capacity(n * 8 + 1);
        let mut starts = Vec::with_capacity(n + 1);
        let mut postings = Vec::with_capacity(n);
        bytes.push(0);
        let mut stream = dict.stream()?;
        while stream.advance() {
            if bytes.len() + stream.key().len() + 1 > u32::MAX as usize {
                return Err(tantivy::TantivyError::InvalidArgument(
                    "word dictionary over 4 GiB".into(),
                ));
            }
            starts.push(bytes.len() as u32);
            bytes.extend_from_slice(stream.key());
            bytes.push(0);
            let info = stream.value();
            postings.push(Postings {
                start: info.postings_range.start as u64,
                len: info.postings_range.len() as u32,
                doc_freq: info.doc_freq,
            });
        }
        starts.push(bytes.len() as u32);
        Ok(TermText {
            bytes,
            starts,
            postings,
        })
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// True when the dictionary is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held in memory.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.len() + self.starts.len() * 4 + self.postings.len() * 16
    }

    /// Ordinals of the terms that contain `needle` where `role` allows, ascending.
    pub fn matching(&self, needle: &[u8], role: Role) -> Vec<TermOrdinal> {
        let mut out: Vec<TermOrdinal> = Vec::new();
        if needle.is_empty() || needle.contains(&0) {
            return out;
        }
        for at in memmem::find_iter(&self.bytes, needle) {
            // the term holding the match: the last start at or before it
            let ord = self.starts.partition_point(|&s| s as usize <= at) - 1;
            if out.last() == Some(&(ord as TermOrdinal)) {
                continue;
            }
            let start = self.starts[ord] as usize;
            let end = self.starts[ord + 1] as usize - 1; // the NUL after the term
            if (role.open_start || at == start) && (role.open_end || at + needle.len() == end) {
                out.push(ord as TermOrdinal);
            }
        }
        out
    }
}

/// The documents (alive or not) of `segment` holding any of the terms `ords` of `field` (ordinals
/// of `text`, the segment's [`TermText`] of that field), as a sorted list without repeats.
pub fn docs_of_terms(
    segment: &SegmentReader,
    field: Field,
    text: &TermText,
    ords: &[TermOrdinal],
) -> tantivy::Result<Vec<DocId>> {
    let inverted = segment.inverted_index(field)?;
    if ords.len() == 1 {
        let info = text.postings[ords[0] as usize].term_info();
        let mut block =
            inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
        let mut out = Vec::with_capacity(info.doc_freq as usize);
        while !block.docs().is_empty() {
            out.extend_from_slice(block.docs());
            block.advance();
        }
        return Ok(out);
    }
    let max_doc = segment.max_doc() as usize;
    let mut seen = vec![0u64; max_doc.div_ceil(64)];
    for &ord in ords {
        let info = text.postings[ord as usize].term_info();
        let mut block =
            inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
        while !block.docs().is_empty() {
            for &d in block.docs() {
                seen[d as usize / 64] |= 1 << (d % 64);
            }
            block.advance();
        }
    }
    let mut out = Vec::new();
    for (w, &bits) in seen.iter().enumerate() {
        let mut b = bits;
        while b != 0 {
            out.push((w * 64 + b.trailing_zeros() as usize) as DocId);
            b &= b - 1;
        }
    }
    Ok(out)
}

/// The [`TermText`]s of the segments a process has searched, built on first use and kept while
/// their segment is live (an index's segments never change; merges make new ones).
#[derive(Default)]
pub struct TermTextCache {
    map: Mutex<HashMap<(SegmentId, u32), Arc<TermText>>>,
}

impl TermTextCache {
    /// The term text of `field` in `segment`, built now if not cached.
    pub fn get(&self, segment: &SegmentReader, field: Field) -> tantivy::Result<Arc<TermText>> {
        let key = (segment.segment_id(), field.field_id());
        if let Some(t) = self.map.lock().expect("term cache").get(&key) {
            return Ok(t.clone());
        }
        let built = Arc::new(TermText::build(segment, field)?);
        self.map
            .lock()
            .expect("term cache")
            .insert(key, built.clone());
        Ok(built)
    }

    /// Forgets the entries of segments not in `live`.
    pub fn retain(&self, live: &[SegmentId]) {
        self.map
            .lock()
            .expect("term cache")
            .retain(|(s, _), _| live.contains(s));
    }

    /// Bytes held by the cached term texts.
    pub fn heap_bytes(&self) -> usize {
        self.map
            .lock()
            .expect("term cache")
            .values()
            .map(|t| t.heap_bytes())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(terms: &[&str]) -> TermText {
        let mut bytes = vec![0u8];
        let mut starts = Vec::new();
        for t in terms {
            starts.push(bytes.len() as u32);
            bytes.extend_from_slice(t.as_bytes());
            bytes.push(0);
        }
        starts.push(bytes.len() as u32);
        let postings = Vec::new();
        TermText {
            bytes,
            starts,
            postings,
        }
    }

    #[test]
    fn roles() {
        let t = text(&["autosuspend", "gadget", "gadgets", "suspend"]);
        assert_eq!(t.matching(b"suspend", Role::INSIDE), [0, 3]);
        assert_eq!(t.matching(b"suspend", Role::WHOLE), [3]);
        let prefix = Role {
            open_start: false,
            open_end: true,
        };
        assert_eq!(t.matching(b"gadget", prefix), [1, 2]);
        let suffix = Role {
            open_start: true,
            open_end: false,
        };
        assert_eq!(t.matching(b"gadget", suffix), [1]);
        assert_eq!(t.matching(b"adge", Role::INSIDE), [1, 2]);
        assert!(t.matching(b"", Role::INSIDE).is_empty());
        assert!(t.matching(b"t\0g", Role::INSIDE).is_empty());
    }
}
