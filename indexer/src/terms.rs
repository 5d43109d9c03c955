//! Substring lookups over a segment's word dictionary.
//!
//! IMAP matches substrings: `TEXT adget` must find `gadget`, `TEXT suspend` must find
//! `autosuspend`. Every substring made of word characters lies inside one run of the text, so the
//! question "which messages contain it" becomes "which *terms* contain it", then the union of
//! their postings. Walking the FST with a `.*s.*` automaton visits the whole dictionary (170–190 ms
//! on linux-usb 20k with identifiers in it). Here each segment's word terms are laid out once as
//! one byte string, `\0t0\0t1\0…`, and searched with SIMD `memmem`: the word dictionary holds no
//! identifiers (see [`crate::text::is_opaque`]), so it is small (about 1.5 MB for linux-usb 20k:
//! 0.2–0.5 ms per lookup) and the cost no longer depends on how many hashes the mail carries.
//!
//! A rescan writes each final segment's term texts to `<index>/terms/<segment>.<field>` so that a
//! fresh process (a CLI search) maps them instead of walking the dictionaries; a segment without
//! a file (written since by a daemon's small commits) is laid out in memory on first use.
//!
//! Measured alternatives (query crate docs): a trigram index from grams to term ordinals answers
//! in time proportional to the answer but costs about as much memory again and still needs the
//! term bytes to verify candidates; a suffix array over the terms costs 4 bytes per byte of term.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use memchr::memmem;
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::termdict::TermOrdinal;
use tantivy::{DocId, InvertedIndexReader, SegmentReader};

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

/// Every how many terms a [`TermText`] keeps a term's start offset. Between two kept starts a
/// term is found by counting NULs (one ends every term): a start per term was 4 bytes per term,
/// more than a third of the file (37.9 of 106.5 MB at 1M, 1.26 of 3.5 MB on linux-usb 20k); one
/// per 16 costs a quarter of a byte, and finding a term means passing at most 15 others (about
/// 130 bytes, one `memchr` call each).
pub const START_EVERY: usize = 16;

/// The word terms of one field of one segment, in ordinal order, as one searchable byte string.
///
/// `\0t0\0t1\0…\0`: every term preceded and followed by a NUL (no word term holds one), so term
/// `i` starts just after the `i`-th NUL (counting from 0), and the start of every
/// [`START_EVERY`]-th term is kept to find the others.
pub struct TermText {
    data: Data,
    /// Number of terms.
    n: usize,
}

/// Where a [`TermText`]'s bytes live.
enum Data {
    /// Built in memory from the dictionary.
    Owned {
        /// `\0t0\0t1\0…\0`.
        bytes: Vec<u8>,
        /// Offset in `bytes` of the first byte of terms `0`, `START_EVERY`, `2 * START_EVERY`, ….
        kept: Vec<u32>,
    },
    /// A term text file, mapped after a shape check: the same two arrays read in place (the
    /// kept starts as little-endian `u32`s), so a fresh process pays neither a copy nor a parse.
    Mapped {
        map: memmap2::Mmap,
        /// The bytes' range in `map`.
        bytes: std::ops::Range<usize>,
        /// Offset in `map` of the kept starts; [`kept_starts`] of `n` entries.
        kept_at: usize,
    },
}

/// How many starts a term text of `n` terms keeps.
fn kept_starts(n: usize) -> usize {
    n.div_ceil(START_EVERY)
}

impl TermText {
    /// Reads the dictionary of `field` in `segment`.
    pub fn build(segment: &SegmentReader, field: Field) -> tantivy::Result<TermText> {
        let inverted = segment.inverted_index(field)?;
        let dict = inverted.terms();
        let mut bytes = Vec::with_capacity(dict.num_terms() * 8 + 1);
        let mut kept = Vec::with_capacity(kept_starts(dict.num_terms()));
        bytes.push(0);
        let mut stream = dict.stream()?;
        let mut n = 0usize;
        while stream.advance() {
            let key = stream.key();
            if bytes.len() + key.len() + 1 > u32::MAX as usize {
                return Err(tantivy::TantivyError::InvalidArgument(
                    "word dictionary over 4 GiB".into(),
                ));
            }
            if key.contains(&0) {
                return Err(tantivy::TantivyError::InvalidArgument(
                    "a word term holds a NUL byte".into(),
                ));
            }
            if n.is_multiple_of(START_EVERY) {
                kept.push(bytes.len() as u32);
            }
            bytes.extend_from_slice(key);
            bytes.push(0);
            n += 1;
        }
        Ok(TermText {
            data: Data::Owned { bytes, kept },
            n,
        })
    }

    /// The searchable bytes, `\0t0\0t1\0…\0`.
    fn bytes(&self) -> &[u8] {
        match &self.data {
            Data::Owned { bytes, .. } => bytes,
            Data::Mapped { map, bytes, .. } => &map[bytes.clone()],
        }
    }

    /// The `j`-th kept start: the offset of term `j * START_EVERY`.
    fn kept(&self, j: usize) -> usize {
        match &self.data {
            Data::Owned { kept, .. } => kept[j] as usize,
            Data::Mapped { map, kept_at, .. } => {
                let at = kept_at + j * 4;
                u32::from_le_bytes(map[at..at + 4].try_into().expect("4 bytes")) as usize
            }
        }
    }

    /// Offset in [`TermText::bytes`] of the first byte of term `ord` (`ord < len()`), `None` when
    /// the bytes end first (a damaged file).
    fn start(&self, ord: usize) -> Option<usize> {
        let bytes = self.bytes();
        let mut at = self.kept(ord / START_EVERY);
        for _ in 0..ord % START_EVERY {
            at += memchr::memchr(0, bytes.get(at..)?)? + 1;
        }
        Some(at)
    }

    /// The ordinal of the term that starts at offset `start`: the terms before the last kept
    /// start at or before it, plus the NULs between the two.
    fn ord_at(&self, start: usize) -> usize {
        // the kept starts ascend: the last one at or before `start`
        let (mut lo, mut hi) = (0usize, kept_starts(self.n));
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.kept(mid) <= start {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let from = self.kept(lo).min(start);
        lo * START_EVERY + memchr::memchr_iter(0, &self.bytes()[from..start]).count()
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when the dictionary is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held in memory (a mapped file counts as its length).
    pub fn heap_bytes(&self) -> usize {
        self.bytes().len() + kept_starts(self.n) * 4
    }

    /// The bytes of term `ord`; empty when there is no such term (a damaged file: the
    /// dictionary lookup that follows then fails).
    pub fn term(&self, ord: TermOrdinal) -> &[u8] {
        let o = ord as usize;
        if o >= self.n {
            return &[];
        }
        let bytes = self.bytes();
        let Some(start) = self.start(o) else {
            return &[];
        };
        let len = memchr::memchr(0, &bytes[start..]).unwrap_or(bytes.len() - start);
        &bytes[start..start + len]
    }

    /// Ordinals of the terms that contain `needle` where `role` allows, ascending.
    pub fn matching(&self, needle: &[u8], role: Role) -> Vec<TermOrdinal> {
        let mut out: Vec<TermOrdinal> = Vec::new();
        if needle.is_empty() || needle.contains(&0) {
            return out;
        }
        let bytes = self.bytes();
        let mut last_seen = None;
        for at in memmem::find_iter(bytes, needle) {
            // the term holding the match, judged once on its whole text: the matches `find_iter`
            // yields do not overlap, so in `aaa` the `aa` that ends the term is never yielded
            let start = memchr::memrchr(0, &bytes[..at]).map_or(0, |p| p + 1);
            if last_seen.replace(start) == Some(start) {
                continue;
            }
            let end = at + memchr::memchr(0, &bytes[at..]).unwrap_or(bytes.len() - at);
            let term = &bytes[start..end];
            if (role.open_start || term.starts_with(needle))
                && (role.open_end || term.ends_with(needle))
                && (role.open_start || role.open_end || term == needle)
            {
                out.push(self.ord_at(start) as TermOrdinal);
            }
        }
        out
    }
}

/// First bytes of a term text file; the format's version is its last character. Version 1 kept
/// the start of every term; a file of another version is not read, and the next rescan writes it
/// anew ([`TermTextCache::persist`]).
const FILE_MAGIC: &[u8; 8] = b"MFTERMS2";

/// The magic of term text files without their version character.
const FILE_MAGIC_STEM: &[u8; 7] = b"MFTERMS";

impl TermText {
    /// The file form: magic, term count, byte length, the bytes, the kept starts (little endian),
    /// and a CRC-32 of everything before it.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.heap_bytes() + 4);
        self.write_file(&mut out).expect("writing to memory");
        out
    }

    /// Writes the file form ([`TermText::to_file_bytes`]) to `out` without a copy of it in
    /// memory (at the end of a large rescan, the copies of every segment's were the peak).
    pub fn write_file(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut crc = crc32fast::Hasher::new();
        let mut put = |piece: &[u8]| -> std::io::Result<()> {
            crc.update(piece);
            out.write_all(piece)
        };
        let (n, bytes) = (self.len(), self.bytes());
        put(FILE_MAGIC)?;
        put(&(n as u64).to_le_bytes())?;
        put(&(bytes.len() as u64).to_le_bytes())?;
        put(bytes)?;
        let mut kept = Vec::with_capacity(4096);
        for j in 0..kept_starts(n) {
            kept.extend_from_slice(&(self.kept(j) as u32).to_le_bytes());
            if kept.len() >= 4096 {
                put(&kept)?;
                kept.clear();
            }
        }
        put(&kept)?;
        out.write_all(&crc.finalize().to_le_bytes())
    }

    /// True when `data` starts like a term text file of another format version.
    fn is_other_version(data: &[u8]) -> bool {
        data.len() >= 8 && data[..7] == FILE_MAGIC_STEM[..] && data[..8] != FILE_MAGIC[..]
    }

    /// True when the file at `path` is a term text file of another format version.
    fn file_is_other_version(path: &Path) -> bool {
        use std::io::Read;
        let mut head = [0u8; 8];
        fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| Self::is_other_version(&head))
    }

    /// Checks the shape of the file form in `data`: `(n, len)` when it is one (magic, lengths,
    /// the NULs around the bytes, the first and last kept start). The checksum is not read here
    /// (see [`TermText::verify_file`]).
    fn check_file(data: &[u8]) -> Option<(usize, usize)> {
        if data.len() < 28 || &data[..8] != FILE_MAGIC {
            return None;
        }
        let body = &data[..data.len() - 4];
        let n = u64::from_le_bytes(body[8..16].try_into().ok()?) as usize;
        let len = u64::from_le_bytes(body[16..24].try_into().ok()?) as usize;
        let expected = 24usize
            .checked_add(len)?
            .checked_add(kept_starts(n).checked_mul(4)?)?;
        if body.len() != expected || len > u32::MAX as usize || len <= n {
            return None;
        }
        let bytes = &body[24..24 + len];
        let kept = &body[24 + len..];
        let at = |j: usize| u32::from_le_bytes(kept[j * 4..j * 4 + 4].try_into().expect("4 bytes"));
        // every term starts after a NUL and ends before one; the first kept start is the first
        // term's, the last one lies inside the bytes (the rest is checked with the checksum: a
        // search reading a start out of order finds wrong terms, which the dictionary refuses)
        let ends = bytes[0] == 0 && bytes[len - 1] == 0;
        let kept_ok = n == 0 || (at(0) == 1 && (at(kept_starts(n) - 1) as usize) < len);
        (ends && kept_ok).then_some((n, len))
    }

    /// Maps a term text file and checks its shape; `None` when it cannot be read or is not one.
    ///
    /// The checksum is left to [`TermText::verify_file`], run by the full integrity check
    /// ([`crate::check`]: `mailfts check`, daemon startup and schedule, a rescan after a crash),
    /// as for tantivy's own files, whose checksums are not verified at open either: verifying
    /// 1.4 MB at every open was 6 % of a cold search on linux-usb 20k.
    pub fn map_file(path: &Path) -> Option<TermText> {
        let file = fs::File::open(path).ok()?;
        // SAFETY: term text files are written whole and renamed into place (never changed in
        // place, see `write_atomically`), and a rename or removal leaves a mapping intact.
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let (n, len) = Self::check_file(&map)?;
        Some(TermText {
            data: Data::Mapped {
                map,
                bytes: 24..24 + len,
                kept_at: 24 + len,
            },
            n,
        })
    }
}

impl TermText {
    /// Verifies a term text file whole: its shape, the checksum, and every kept start against
    /// the NULs of the bytes. `Ok(false)` for a file of another format version, which is not
    /// damage (searches build the text in memory, the next rescan writes the file anew).
    pub fn verify_file(path: &Path) -> Result<bool, String> {
        let data = fs::read(path).map_err(|e| e.to_string())?;
        if Self::is_other_version(&data) {
            return Ok(false);
        }
        let (n, len) = Self::check_file(&data).ok_or("not a term text file (header or lengths)")?;
        let (body, crc) = data.split_at(data.len() - 4);
        let stored = u32::from_le_bytes(crc.try_into().expect("4 bytes"));
        let actual = crc32fast::hash(body);
        if stored != actual {
            return Err(format!(
                "checksum mismatch: trailer says crc32 {stored:08x}, content has {actual:08x}"
            ));
        }
        let bytes = &body[24..24 + len];
        let kept = body[24 + len..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")) as usize);
        // term i starts after the i-th NUL; the last NUL ends the bytes
        let starts = memchr::memchr_iter(0, bytes).map(|p| p + 1);
        let terms = starts.clone().count() - 1;
        if terms != n {
            return Err(format!("{terms} terms in the bytes, {n} in the header"));
        }
        if !starts.step_by(START_EVERY).take(kept_starts(n)).eq(kept) {
            return Err(format!(
                "kept term starts disagree with the bytes ({n} terms)"
            ));
        }
        Ok(true)
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
    let dict = inverted.terms();
    let info_of = |ord: TermOrdinal| -> tantivy::Result<TermInfo> {
        dict.get(text.term(ord))?.ok_or_else(|| {
            tantivy::TantivyError::InternalError(format!(
                "term {ord} of the term text is not in the dictionary"
            ))
        })
    };
    if ords.len() == 1 {
        let info = info_of(ords[0])?;
        let mut out = Vec::with_capacity(info.doc_freq as usize);
        append_postings(&inverted, &info, &mut out)?;
        return Ok(out);
    }
    let max_doc = segment.max_doc() as usize;
    let mut seen = vec![0u64; max_doc.div_ceil(64)];
    for &ord in ords {
        let info = info_of(ord)?;
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

/// Appends to `out` the documents (alive or not, ascending) of the term `bytes` of `inverted`'s
/// field, if the dictionary has it: a raw term looked up whole (a word pair, a marker).
pub fn append_docs_of_term(
    inverted: &InvertedIndexReader,
    bytes: &[u8],
    out: &mut Vec<DocId>,
) -> tantivy::Result<()> {
    match inverted.terms().get(bytes)? {
        Some(info) => append_postings(inverted, &info, out),
        None => Ok(()),
    }
}

/// Appends to `out` the documents of the postings `info` points to.
fn append_postings(
    inverted: &InvertedIndexReader,
    info: &TermInfo,
    out: &mut Vec<DocId>,
) -> tantivy::Result<()> {
    let mut block = inverted.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
    while !block.docs().is_empty() {
        out.extend_from_slice(block.docs());
        block.advance();
    }
    Ok(())
}

/// The [`TermText`]s of the segments a process has searched, read from their files or built on
/// first use, and kept while their segment is live (segments never change; merges make new ones).
pub struct TermTextCache {
    dir: PathBuf,
    map: Mutex<HashMap<(SegmentId, u32), Arc<TermText>>>,
}

impl TermTextCache {
    /// A cache whose files live in `dir` (`<index>/terms`).
    pub fn new(dir: PathBuf) -> TermTextCache {
        TermTextCache {
            dir,
            map: Mutex::default(),
        }
    }

    fn path(&self, segment: SegmentId, field: Field) -> PathBuf {
        self.dir
            .join(format!("{}.{}", segment.uuid_string(), field.field_id()))
    }

    /// The term text of `field` in `segment` if this cache holds it.
    fn cached(&self, segment: SegmentId, field: Field) -> Option<Arc<TermText>> {
        let key = (segment, field.field_id());
        self.map.lock().expect("term cache").get(&key).cloned()
    }

    /// The term text of `field` in `segment`: cached, else read from its file, else built now.
    pub fn get(&self, segment: &SegmentReader, field: Field) -> tantivy::Result<Arc<TermText>> {
        let key = (segment.segment_id(), field.field_id());
        if let Some(t) = self.cached(segment.segment_id(), field) {
            return Ok(t);
        }
        let path = self.path(segment.segment_id(), field);
        let from_file = TermText::map_file(&path).filter(|t| {
            t.len()
                == segment
                    .inverted_index(field)
                    .map_or(0, |i| i.terms().num_terms())
        });
        if from_file.is_none() && path.exists() {
            if TermText::file_is_other_version(&path) {
                tracing::debug!(path = %path.display(), "term text file of another format version: built in memory until the next rescan writes it anew");
            } else {
                tracing::warn!(path = %path.display(), "term text file damaged: rebuilt in memory");
            }
        }
        let built = Arc::new(match from_file {
            Some(t) => t,
            None => TermText::build(segment, field)?,
        });
        self.map
            .lock()
            .expect("term cache")
            .insert(key, built.clone());
        Ok(built)
    }

    /// Writes the term text files of `fields` for every segment of `searcher` that has none (or
    /// one that cannot be mapped: another format version, a damaged header), and removes the
    /// files of segments that are gone. Each file is written whole, then renamed.
    pub fn persist(&self, searcher: &tantivy::Searcher, fields: &[Field]) -> std::io::Result<()> {
        use rayon::prelude::*;
        fs::create_dir_all(&self.dir)?;
        let mut keep = std::collections::HashSet::new();
        let mut missing = Vec::new();
        for segment in searcher.segment_readers() {
            for &field in fields {
                let path = self.path(segment.segment_id(), field);
                keep.insert(path.clone());
                if TermText::map_file(&path).is_none() {
                    missing.push((segment, field, path));
                }
            }
        }
        // each file built and written by one thread (a rescan's last step, the other core idle)
        missing.par_iter().try_for_each(|(segment, field, path)| {
            // built for the file and dropped: searches map the file when they need it
            let text = match self.cached(segment.segment_id(), *field) {
                Some(t) => t,
                None => Arc::new(TermText::build(segment, *field).map_err(std::io::Error::other)?),
            };
            write_atomically(path, |out| text.write_file(out))
        })?;
        for entry in fs::read_dir(&self.dir)?.flatten() {
            if !keep.contains(&entry.path()) {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
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

/// Writes `data` to `path` through a temporary file and a rename (readers see all or nothing).
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // `<segment>.<field>.tmp`: the files of one segment are written side by side
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, fs::File::create(&tmp)?);
    write(&mut out)?;
    let f = out.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(terms: &[&str]) -> TermText {
        let mut bytes = vec![0u8];
        let mut kept = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            if i.is_multiple_of(START_EVERY) {
                kept.push(bytes.len() as u32);
            }
            bytes.extend_from_slice(t.as_bytes());
            bytes.push(0);
        }
        TermText {
            data: Data::Owned { bytes, kept },
            n: terms.len(),
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

    /// A needle that overlaps itself: the occurrence at the term's edge comes after an earlier
    /// one in the same term (`ff` ending `fff`, `abab` ending `ababab`).
    #[test]
    fn roles_of_overlapping_needles() {
        let t = text(&["aaa", "ababab", "fff", "ffx", "xff"]);
        let suffix = Role {
            open_start: true,
            open_end: false,
        };
        let prefix = Role {
            open_start: false,
            open_end: true,
        };
        assert_eq!(t.matching(b"ff", suffix), [2, 4]);
        assert_eq!(t.matching(b"ff", prefix), [2, 3]);
        assert_eq!(t.matching(b"aa", suffix), [0]);
        assert_eq!(t.matching(b"abab", suffix), [1]);
        assert_eq!(t.matching(b"ff", Role::WHOLE), Vec::<TermOrdinal>::new());
        assert_eq!(t.matching(b"fff", Role::WHOLE), [2]);
        assert_eq!(t.matching(b"ff", Role::INSIDE), [2, 3, 4]);
    }

    /// The term text of file bytes `data`, through a file (as a search reads it).
    fn from_file_bytes(data: &[u8]) -> Option<TermText> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        fs::write(&path, data).unwrap();
        TermText::map_file(&path)
    }

    #[test]
    fn file_form_round_trips_and_rejects_damage() {
        let t = text(&["autosuspend", "gadget"]);
        assert_eq!(t.term(1), b"gadget");
        let bytes = t.to_file_bytes();
        let back = from_file_bytes(&bytes).expect("round trip");
        assert_eq!(back.matching(b"adge", Role::INSIDE), [1]);
        for i in [0, 9, 20, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(verify_bytes(&bad).is_err(), "flip at {i}");
        }
        // the header and lengths are checked at every map, the checksum by the full check
        for i in [0, 9, 20] {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(from_file_bytes(&bad).is_none(), "flip at {i}");
        }
        assert_eq!(verify_bytes(&bytes), Ok(true));
        assert!(from_file_bytes(&bytes[..bytes.len() - 5]).is_none());
        // the mapped form answers as the built one; a damaged file is refused
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        fs::write(&path, &bytes).unwrap();
        let mapped = TermText::map_file(&path).expect("maps");
        assert_eq!((mapped.len(), mapped.term(0)), (2, &b"autosuspend"[..]));
        assert_eq!(mapped.matching(b"suspend", Role::INSIDE), [0]);
        assert_eq!(mapped.matching(b"adge", Role::INSIDE), [1]);
        assert_eq!(mapped.to_file_bytes(), bytes);
        let mut bad = bytes.clone();
        bad[30] ^= 1;
        fs::write(&path, &bad).unwrap();
        assert!(TermText::verify_file(&path)
            .unwrap_err()
            .contains("checksum"));
    }

    /// [`TermText::verify_file`] on `data`, through a file.
    fn verify_bytes(data: &[u8]) -> Result<bool, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        fs::write(&path, data).unwrap();
        TermText::verify_file(&path)
    }

    #[test]
    fn an_empty_dictionary_round_trips() {
        let t = text(&[]);
        let back = from_file_bytes(&t.to_file_bytes()).expect("round trip");
        assert!(back.is_empty());
        assert!(back.matching(b"a", Role::INSIDE).is_empty());
    }

    /// A file of the first format (a start per term) is not read and not damage: searches build
    /// the text in memory and the next rescan writes it anew.
    #[test]
    fn a_file_of_another_version_is_neither_read_nor_damage() {
        let mut bytes = text(&["gadget"]).to_file_bytes();
        bytes[7] = b'1';
        assert!(from_file_bytes(&bytes).is_none());
        assert_eq!(verify_bytes(&bytes), Ok(false));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        fs::write(&path, &bytes).unwrap();
        assert!(TermText::file_is_other_version(&path));
        bytes[7] = b'2';
        fs::write(&path, &bytes).unwrap();
        assert!(!TermText::file_is_other_version(&path));
    }

    /// A kept start that points at the wrong term is found by the full check.
    #[test]
    fn the_full_check_compares_kept_starts_with_the_bytes() {
        let terms: Vec<String> = (0..40).map(|i| format!("w{i:02}")).collect();
        let refs: Vec<&str> = terms.iter().map(String::as_str).collect();
        let mut bytes = text(&refs).to_file_bytes();
        let len = u64::from_le_bytes(bytes[16..24].try_into().unwrap()) as usize;
        // the second kept start (term 16) moved one term on, checksum made right again
        let at = 24 + len + 4;
        let moved = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) + 4;
        bytes[at..at + 4].copy_from_slice(&moved.to_le_bytes());
        let end = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..end]);
        bytes[end..].copy_from_slice(&crc.to_le_bytes());
        assert!(verify_bytes(&bytes)
            .unwrap_err()
            .contains("kept term starts"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// With a start kept for every [`START_EVERY`]-th term only, every term is found by its
        /// ordinal and every match has the ordinal of the term that holds it, built or mapped.
        #[test]
        fn kept_starts_find_every_term(
            set in proptest::collection::btree_set("[a-cé]{1,6}", 0..80),
            needle in "[a-cé]{1,3}",
            open_start: bool,
            open_end: bool,
        ) {
            let terms: Vec<&str> = set.iter().map(String::as_str).collect();
            let role = Role { open_start, open_end };
            let want: Vec<TermOrdinal> = terms
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    let n = needle.as_str();
                    match (open_start, open_end) {
                        (true, true) => t.contains(n),
                        (false, true) => t.starts_with(n),
                        (true, false) => t.ends_with(n),
                        (false, false) => **t == n,
                    }
                })
                .map(|(i, _)| i as TermOrdinal)
                .collect();
            let built = text(&terms);
            let bytes = built.to_file_bytes();
            proptest::prop_assert_eq!(verify_bytes(&bytes), Ok(true));
            let mapped = from_file_bytes(&bytes).expect("maps");
            for t in [&built, &mapped] {
                proptest::prop_assert_eq!(t.len(), terms.len());
                for (i, term) in terms.iter().enumerate() {
                    proptest::prop_assert_eq!(t.term(i as TermOrdinal), term.as_bytes());
                }
                proptest::prop_assert_eq!(t.term(terms.len() as TermOrdinal), &b""[..]);
                proptest::prop_assert_eq!(&t.matching(needle.as_bytes(), role), &want);
            }
        }
    }
}
