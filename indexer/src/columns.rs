//! Header columns: per mailbox and header field, the case-folded decoded values of every indexed
//! message, scanned with a fast substring search.
//!
//! IMAP's SUBJECT, FROM, TO, CC, BCC and HEADER keys are substring matches; a word index cannot
//! answer them exactly (`user` inside `first.user@…`). A column keeps the folded values back to back
//! in one append-only file per (mailbox id, field), so a search is one `memmem` pass over a few
//! megabytes: exact at index speed.
//!
//! File format (`<index>/columns/<mailbox id>.<field>`): a sequence of records
//! `uid: u32 LE | len: u32 LE | value: len bytes | crc32(uid, len, value): u32 LE`. Records are
//! appended and fsynced before the tantivy commit that raises the mailbox's high-water mark, so
//! the column always covers the indexed range; records for UIDs above the mark (a crash between the
//! two) or for expunged UIDs are harmless: searches intersect with the indexed UIDs of the store.
//! A torn tail (crash during an append) is cut off when the file is next opened for writing.
//!
//! At the end of a rescan that grew a log past [`crate::rescan::seal_threshold`] (or expunged a
//! quarter of a mailbox), the column is *sealed*: all live records are rewritten, zstd-compressed,
//! into `<mailbox id>.<field>.zst` and the log is emptied. A search reads the sealed base and the log
//! back to back. On linux-usb this shrank the columns from 10.4 MB to 1.5 MB; a long-running process
//! keeps loaded columns in memory (re-read only when a file changes) under one budget for all its
//! indexes ([`crate::column_cache`]), so only a cold CLI search pays the decompression (about 1 ms
//! per megabyte of column), and a column too large for the budget is searched streamed.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use memchr::memmem;
use roaring::RoaringBitmap;

use crate::column_cache::{self, ColumnIdentity, FileIdentity};
use crate::error::{IndexError, IoContext, Result};
use crate::grams::GramFilter;
use crate::text::ADDRESS_VARIANT_MARK;

/// Where in an opaque run a searched string must lie ([`Column::search_runs`]); the default is
/// anywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RunEdges {
    /// At the start of a run.
    pub start: bool,
    /// At the end of a run.
    pub end: bool,
}

impl RunEdges {
    /// The bytes to look for: `folded_needle`, with the space that follows every opaque run in its
    /// column value when the needle must end a run (which also brings the space into the gram
    /// filter's windows: `usb ` is four bytes, `usb` too few).
    pub fn needle(self, folded_needle: &str) -> std::borrow::Cow<'_, str> {
        if self.end {
            format!("{folded_needle} ").into()
        } else {
            folded_needle.into()
        }
    }
}

/// Values of one column by UID ([`Columns::values_of_uids`]).
pub type ValuesByUid = HashMap<u32, Vec<Vec<u8>>>;

/// The header fields kept in columns (lower case), in column-id order.
pub const COLUMN_FIELDS: [&str; 6] = ["subject", "from", "to", "cc", "bcc", "message-id"];

/// Column id of the opaque runs of the header block (see [`crate::text::is_opaque`]).
pub const OPAQUE_HEADERS: usize = COLUMN_FIELDS.len();

/// Column id of the opaque runs of the body and the attachments.
pub const OPAQUE_BODY: usize = COLUMN_FIELDS.len() + 1;

/// True when opaque-run column `c` may hold runs that are not opaque by their text: the pieces of
/// a base64 value joined to an opaque one by `+` and `/`, kept with it (the header block's DKIM
/// and ARC signatures; see the indexer's document preparation). A searched run that is a whole
/// word can lie only in such a column.
pub fn holds_base64_pieces(c: usize) -> bool {
    c == OPAQUE_HEADERS
}

/// Every column, by column id: the header fields, then the two opaque-run columns. Opaque runs
/// (hashes, signatures, long numbers) are kept out of the word dictionary, where each would be a
/// term of its own; here they are folded text searched by `memmem` like the header fields, so a
/// string inside an identifier is found exactly.
pub const COLUMN_FILES: [&str; 8] = [
    "subject",
    "from",
    "to",
    "cc",
    "bcc",
    "message-id",
    "opaque-headers",
    "opaque-body",
];

/// True for the columns of address fields (from, to, cc, bcc), which also hold each value
/// without CFWS as a marked record ([`crate::text::ADDRESS_VARIANT_MARK`]).
pub fn is_address_column(column: usize) -> bool {
    matches!(
        COLUMN_FIELDS.get(column),
        Some(&("from" | "to" | "cc" | "bcc"))
    )
}

/// Index into [`COLUMN_FIELDS`] of a header name, if it has a column.
pub fn column_of(header_name: &str) -> Option<usize> {
    COLUMN_FIELDS
        .iter()
        .position(|f| f.eq_ignore_ascii_case(header_name))
}

const RECORD_OVERHEAD: usize = 12;

/// The column files of one index.
#[derive(Clone, Debug)]
pub struct Columns {
    dir: PathBuf,
    /// Gram filters of sealed bases, for [`Columns::search`].
    parts: Arc<Mutex<PartCache>>,
    /// Per append log, its (inode, length) after this process's last append to it: a log still
    /// so was checked for a torn tail already, and is not read again before the next append (a
    /// rescan appends every chunk of 256 messages; reading the whole log each time made the
    /// appends quadratic in the log's size).
    checked_tails: Arc<Mutex<HashMap<PathBuf, (u64, u64)>>>,
}

/// What [`Columns::search`] keeps per (mailbox id, field): the sealed base's gram filter (`None`
/// for a base sealed without one), with its file's identity (a log searched alone is kept in the
/// process's column cache).
#[derive(Debug, Default)]
struct PartCache {
    filters: HashMap<(u32, usize), (Option<FileIdentity>, CachedFilter)>,
}

/// A sealed base's gram filter, if it was sealed with one.
type CachedFilter = Option<Arc<GramFilter>>;

/// The answer of [`Columns::search`].
#[derive(Debug, Default)]
pub struct ColumnHits {
    /// The UIDs with a value containing the needle.
    pub uids: RoaringBitmap,
    /// True when the sealed base was ruled out by its gram filter (not decompressed, not scanned).
    pub base_skipped: bool,
}

/// Which values of a column a search matches, and where in them ([`Columns::search_matching`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValueMatch {
    /// Only the values as written: not the address variants without CFWS (HEADER on an address
    /// field).
    pub written_only: bool,
    /// Where in an opaque run the string must lie.
    pub edges: RunEdges,
}

/// Decompressed bytes of a sealed column read at a time by a streamed search (a column too
/// large for the process's column cache, [`crate::column_cache`]).
const STREAM_BLOCK_BYTES: u64 = 4 << 20;

impl Columns {
    /// Columns stored under `dir` (created on first write).
    pub fn new(dir: PathBuf) -> Columns {
        Columns {
            dir,
            parts: Arc::default(),
            checked_tails: Arc::default(),
        }
    }

    /// Loads one column, reusing the copy loaded earlier while its files are unchanged (a
    /// long-running server searches without re-reading the file; a CLI process reads it once).
    /// The copy is kept in the process's column cache ([`crate::column_cache`]) when it fits.
    pub fn load_cached(&self, mailbox_id: u32, field: usize) -> Result<Arc<Column>> {
        let identity = self.identity(mailbox_id, field);
        match column_cache::get(&self.dir, mailbox_id, field, identity) {
            Some(col) => Ok(col),
            None => self.load_into_cache(mailbox_id, field, identity),
        }
    }

    /// Loads a column whose files have `identity` and keeps it in the process's column cache.
    fn load_into_cache(
        &self,
        mailbox_id: u32,
        field: usize,
        identity: ColumnIdentity,
    ) -> Result<Arc<Column>> {
        let col = Arc::new(self.load(mailbox_id, field)?);
        if identity != (None, None) {
            column_cache::insert(&self.dir, mailbox_id, field, identity, col.clone());
        }
        Ok(col)
    }

    /// The identity of a column's files (what a cached copy must have been loaded from).
    fn identity(&self, mailbox_id: u32, field: usize) -> ColumnIdentity {
        (
            FileIdentity::of(&self.sealed_path(mailbox_id, field)),
            FileIdentity::of(&self.path(mailbox_id, field)),
        )
    }

    /// UIDs whose value of column `field` contains `folded_needle`, like
    /// `load_cached(..)?.search(..)`, but a sealed base whose gram filter rules the needle out is
    /// neither decompressed nor scanned: only the append log is searched then (see
    /// [`crate::grams`]). A filter that fails its checksum is damage.
    pub fn search(&self, mailbox_id: u32, field: usize, folded_needle: &str) -> Result<ColumnHits> {
        self.search_matching(mailbox_id, field, folded_needle, ValueMatch::default())
    }

    /// [`Columns::search`] of an opaque-run column for `folded_needle` at the run edges `edges`
    /// ([`Column::search_runs`]).
    pub fn search_runs(
        &self,
        mailbox_id: u32,
        field: usize,
        folded_needle: &str,
        edges: RunEdges,
    ) -> Result<ColumnHits> {
        let how = ValueMatch {
            written_only: false,
            edges,
        };
        self.search_matching(mailbox_id, field, folded_needle, how)
    }

    /// [`Columns::search`] matching values as `how` says ([`Column::search_matching`]). A
    /// column the process's column cache takes is loaded (or found loaded) and searched whole; a
    /// larger one is searched streamed, a block at a time, in memory bounded by the block
    /// whatever the mailbox's size ([`crate::column_cache`]).
    pub fn search_matching(
        &self,
        mailbox_id: u32,
        field: usize,
        folded_needle: &str,
        how: ValueMatch,
    ) -> Result<ColumnHits> {
        let edges = how.edges;
        let sealed = self.sealed_path(mailbox_id, field);
        let sealed_id = FileIdentity::of(&sealed);
        let key = (mailbox_id, field);
        let filter = match sealed_id {
            None => None,
            Some(_) => {
                let cached = lock(&self.parts).filters.get(&key).cloned();
                match cached {
                    Some((id, f)) if id == sealed_id => f,
                    _ => {
                        let f = read_filter(&sealed)?.map(Arc::new);
                        lock(&self.parts)
                            .filters
                            .insert(key, (sealed_id, f.clone()));
                        f
                    }
                }
            }
        };
        let probe = edges.needle(folded_needle);
        if filter
            .as_ref()
            .is_some_and(|f| !f.may_contain(probe.as_bytes()))
        {
            // the log alone, kept in the process's column cache under the log's path
            let log = self.path(mailbox_id, field);
            let log_id = (None, FileIdentity::of(&log));
            let column = match column_cache::get(&log, mailbox_id, field, log_id) {
                Some(c) => c,
                None => {
                    let c = Arc::new(match read_optional(&log)? {
                        Some(bytes) => {
                            verify_records(&bytes, true).map_err(|m| damaged(&log, m))?;
                            Column::from_bytes(bytes)
                        }
                        None => Column::default(),
                    });
                    if log_id.1.is_some() {
                        column_cache::insert(&log, mailbox_id, field, log_id, c.clone());
                    }
                    c
                }
            };
            return Ok(ColumnHits {
                uids: column.search_matching(folded_needle, how),
                base_skipped: true,
            });
        }
        // the sealed base's identity was read above
        let identity = (sealed_id, FileIdentity::of(&self.path(mailbox_id, field)));
        let uids = match column_cache::get(&self.dir, mailbox_id, field, identity) {
            Some(col) => col.search_matching(folded_needle, how),
            None if self.loaded_bytes(mailbox_id, field) > column_cache::max_column_bytes() => {
                self.search_streamed(mailbox_id, field, folded_needle, how, STREAM_BLOCK_BYTES)?
            }
            None => self
                .load_into_cache(mailbox_id, field, identity)?
                .search_matching(folded_needle, how),
        };
        Ok(ColumnHits {
            uids,
            base_skipped: false,
        })
    }

    /// About what a column takes in memory loaded ([`Column::heap_bytes`]): its values as the
    /// sealed base's frame records them, plus the log, plus one [`Record`] per 48 bytes.
    fn loaded_bytes(&self, mailbox_id: u32, field: usize) -> usize {
        let sealed = map_optional(&self.sealed_path(mailbox_id, field))
            .ok()
            .flatten()
            .map_or(0, |z| {
                match zstd::zstd_safe::get_frame_content_size(data_frame(&z)) {
                    Ok(Some(n)) => n as usize,
                    _ => z.len().saturating_mul(4),
                }
            });
        let data = sealed + file_len(&self.path(mailbox_id, field)).unwrap_or(0) as usize;
        data + data / 48 * std::mem::size_of::<Record>()
    }

    /// [`Columns::search_matching`] of the whole column streamed: the sealed base decompressed
    /// `block_bytes` at a time, each block's whole records searched as a column (a match never
    /// spans two records; a record cut by the block's end is searched with the next), then the
    /// log.
    fn search_streamed(
        &self,
        mailbox_id: u32,
        field: usize,
        folded_needle: &str,
        how: ValueMatch,
        block_bytes: u64,
    ) -> Result<RoaringBitmap> {
        let mut uids = RoaringBitmap::new();
        let sealed = self.sealed_path(mailbox_id, field);
        if let Some(file) = open_optional(&sealed)? {
            let mut reader = sealed_data(file, &sealed, false)?;
            let mut block = Vec::new();
            loop {
                let read = (&mut reader)
                    .take(block_bytes)
                    .read_to_end(&mut block)
                    .map_err(|e| damaged(&sealed, e.to_string()))?;
                let column = Column::from_bytes(block);
                uids |= column.search_matching(folded_needle, how);
                let parsed = column.parsed_len();
                block = column.data;
                block.drain(..parsed);
                if read == 0 {
                    break;
                }
            }
            if !block.is_empty() {
                let reason = format!("a record cut short in the last {} bytes", block.len());
                return Err(damaged(&sealed, reason));
            }
        }
        if let Some(bytes) = read_optional(&self.path(mailbox_id, field))? {
            let log = self.path(mailbox_id, field);
            verify_records(&bytes, true).map_err(|m| damaged(&log, m))?;
            uids |= Column::from_bytes(bytes).search_matching(folded_needle, how);
        }
        Ok(uids)
    }

    /// The append log of a column.
    fn path(&self, mailbox_id: u32, field: usize) -> PathBuf {
        self.dir
            .join(format!("{mailbox_id}.{}", COLUMN_FILES[field]))
    }

    /// The sealed, zstd-compressed base of a column (records up to the last seal).
    fn sealed_path(&self, mailbox_id: u32, field: usize) -> PathBuf {
        self.dir
            .join(format!("{mailbox_id}.{}.zst", COLUMN_FILES[field]))
    }

    /// Bytes in the append logs of a mailbox (what a [`Columns::seal`] would compress).
    pub fn log_bytes(&self, mailbox_id: u32) -> u64 {
        (0..COLUMN_FILES.len())
            .map(|f| fs::metadata(self.path(mailbox_id, f)).map_or(0, |m| m.len()))
            .sum()
    }

    /// Bytes of the sealed (compressed) bases of a mailbox's columns.
    pub fn sealed_bytes(&self, mailbox_id: u32) -> u64 {
        (0..COLUMN_FILES.len())
            .filter_map(|f| file_len(&self.sealed_path(mailbox_id, f)))
            .sum()
    }

    /// Appends records `(uid, folded value)` per field and fsyncs them.
    pub fn append(&self, mailbox_id: u32, per_field: &[Vec<(u32, String)>]) -> Result<()> {
        self.append_unsynced(mailbox_id, per_field)?;
        self.sync(mailbox_id)
    }

    /// Appends records like [`Columns::append`] without waiting for the disk: the caller must
    /// call [`Columns::sync`] before the index commit that covers them (a rescan appends every
    /// chunk of messages and syncs once per commit, not once per chunk and file).
    pub fn append_unsynced(&self, mailbox_id: u32, per_field: &[Vec<(u32, String)>]) -> Result<()> {
        fs::create_dir_all(&self.dir).at(&self.dir)?;
        for (field, records) in per_field.iter().enumerate() {
            if records.is_empty() {
                continue;
            }
            let path = self.path(mailbox_id, field);
            let mut file = OpenOptions::new()
                .create(true)
                .read(true)
                .append(true)
                .open(&path)
                .at(&path)?;
            let now = log_state(&file).at(&path)?;
            let checked =
                self.checked_tails.lock().expect("checked tails").get(&path) == Some(&now);
            if !checked {
                truncate_torn_tail(&mut file).at(&path)?;
            }
            let mut buf =
                Vec::with_capacity(records.iter().map(|(_, v)| v.len() + RECORD_OVERHEAD).sum());
            for (uid, value) in records {
                encode_record(&mut buf, *uid, value.as_bytes());
            }
            let written = file.write_all(&buf).at(&path);
            let mut tails = self.checked_tails.lock().expect("checked tails");
            match (&written, log_state(&file)) {
                (Ok(()), Ok(state)) => tails.insert(path, state),
                _ => tails.remove(&path),
            };
            written?;
        }
        Ok(())
    }

    /// Makes every append log of a mailbox durable.
    pub fn sync(&self, mailbox_id: u32) -> Result<()> {
        for field in 0..COLUMN_FILES.len() {
            let path = self.path(mailbox_id, field);
            match File::open(&path) {
                Ok(f) => f.sync_data().at(&path)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).at(&path),
            }
        }
        Ok(())
    }

    /// Loads one column for searching; an absent file is an empty column. Every record's checksum
    /// is verified: a damaged file is an [`IndexError::Damaged`] naming it (a torn tail of the
    /// append log, left by a crash during an append, is not damage and is ignored).
    ///
    /// The sealed base is mapped, not read, and decoded straight into a buffer sized from its
    /// frame (a fresh `TEXT` search on linux-usb 20k decodes an 8 MB opaque-header column: reading
    /// it into memory first and growing the output by doubling cost as much as decoding).
    pub fn load(&self, mailbox_id: u32, field: usize) -> Result<Column> {
        let sealed = self.sealed_path(mailbox_id, field);
        let log = self.path(mailbox_id, field);
        let mut data = match map_optional(&sealed)? {
            Some(z) => {
                let frame = data_frame(&z);
                let log_len = file_len(&log).unwrap_or(0) as usize;
                // the frame's own checksum (sealed with one) vouches for the bytes: the records'
                // checksums are left to the full check (`Columns::verify_file`)
                let d = decode(frame, log_len).map_err(|e| damaged(&sealed, e.to_string()))?;
                records_end_to_end(&d).map_err(|m| damaged(&sealed, m))?;
                d
            }
            None => Vec::new(),
        };
        if let Some(bytes) = read_optional(&log)? {
            verify_records(&bytes, true).map_err(|m| damaged(&log, m))?;
            data.extend_from_slice(&bytes);
        }
        Ok(Column::from_bytes(data))
    }

    /// Every column file with its mailbox id and field index, sorted by path (files of fields
    /// this version does not know are skipped).
    pub fn files(&self) -> Vec<(PathBuf, u32, usize)> {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(PathBuf, u32, usize)> = rd
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                let base = name.strip_suffix(".zst").unwrap_or(&name);
                let (id, field) = base.split_once('.')?;
                let id: u32 = id.parse().ok()?;
                let f = COLUMN_FILES.iter().position(|c| *c == field)?;
                Some((e.path(), id, f))
            })
            .collect();
        out.sort();
        out
    }

    /// Verifies one column file (log or sealed base) completely: `Err` says what is wrong. Both are
    /// streamed, in memory bounded by the largest record: a sealed base is never decompressed
    /// whole (the opaque-header column of a 450,000-message mailbox is 43 MB compressed, several
    /// times that decompressed; the integrity check of the generated 1M home peaked at 708 MB
    /// when it was).
    pub fn verify_file(path: &Path) -> std::result::Result<(), String> {
        let reason = |e: IndexError| match e {
            IndexError::Damaged { reason, .. } => reason,
            e => e.to_string(),
        };
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mut ignore = |_: u32, _: &[u8]| Ok(());
        if path.extension().is_none_or(|e| e != "zst") {
            let log = std::io::BufReader::new(file);
            return stream_records(log, true, path, &mut ignore).map_err(reason);
        }
        let data = sealed_data(file, path, true).map_err(reason)?;
        stream_records(data, false, path, &mut ignore).map_err(reason)
    }

    /// The values of column `field` of each of `uids` that has any, by UID, in file order (every
    /// record, as a search reads them: [`Column::values_of`]). The column is streamed, never
    /// loaded whole nor cached: what the integrity check's samples compare, in memory bounded by
    /// what they ask for.
    pub fn values_of_uids(
        &self,
        mailbox_id: u32,
        field: usize,
        uids: &RoaringBitmap,
    ) -> Result<ValuesByUid> {
        let mut out = ValuesByUid::new();
        self.for_each_record(mailbox_id, field, &mut |uid, value| {
            if uids.contains(uid) {
                out.entry(uid).or_default().push(value.to_vec());
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Removes every column file of a mailbox id.
    pub fn remove_mailbox(&self, mailbox_id: u32) -> Result<()> {
        for field in 0..COLUMN_FILES.len() {
            remove_optional(&self.path(mailbox_id, field))?;
            remove_optional(&self.sealed_path(mailbox_id, field))?;
        }
        Ok(())
    }

    /// Rewrites a mailbox's columns into their sealed, zstd-compressed form, keeping only records
    /// whose UID is in `live` (all when `None`), and empties the append logs. Crash-safe: the new
    /// base is written and renamed into place before the log is removed, and a record present in
    /// both after a crash is harmless (values of a UID never change; searches collect UIDs).
    ///
    /// Streamed: the records are read twice (once for the gram filter, which precedes the data in
    /// the file, once into the compressor writing the file), never held whole: the opaque-header
    /// column of a 60,000-message mailbox is about 50 MB, and holding it, its record table and its
    /// compressed copy at once was most of a rescan's peak memory.
    pub fn seal(&self, mailbox_id: u32, live: Option<&RoaringBitmap>) -> Result<()> {
        for field in 0..COLUMN_FILES.len() {
            let log = self.path(mailbox_id, field);
            let sealed = self.sealed_path(mailbox_id, field);
            let (base_len, log_len) = (file_len(&sealed), file_len(&log));
            if base_len.is_none() && log_len.is_none() {
                continue;
            }
            let filter = if field >= OPAQUE_HEADERS {
                // sized from the files: the base is compressed, so allow it a few times its size
                let estimate = log_len.unwrap_or(0) + 4 * base_len.unwrap_or(0);
                let mut filter = GramFilter::for_windows(estimate as usize);
                self.for_each_kept(mailbox_id, field, live, |_, value| {
                    filter.add(value);
                    Ok(())
                })?;
                Some(filter.finish()).filter(GramFilter::worth_keeping)
            } else {
                None
            };
            let tmp = sealed.with_extension("zst.tmp");
            let written = (|| -> Result<usize> {
                let mut out = std::io::BufWriter::new(File::create(&tmp).at(&tmp)?);
                if let Some(f) = &filter {
                    out.write_all(&f.to_frame()).at(&tmp)?;
                }
                let mut enc = zstd::stream::Encoder::new(out, SEAL_ZSTD_LEVEL).at(&tmp)?;
                enc.include_checksum(true).at(&tmp)?;
                let (mut one, mut kept) = (Vec::new(), 0usize);
                self.for_each_kept(mailbox_id, field, live, |uid, value| {
                    one.clear();
                    encode_record(&mut one, uid, value);
                    kept += 1;
                    enc.write_all(&one).at(&tmp)
                })?;
                let out = enc.finish().at(&tmp)?;
                let file = out.into_inner().map_err(|e| e.into_error()).at(&tmp)?;
                file.sync_all().at(&tmp)?;
                Ok(kept)
            })();
            match written {
                Ok(0) => {
                    remove_optional(&tmp)?;
                    remove_optional(&sealed)?;
                }
                Ok(_) => fs::rename(&tmp, &sealed).at(&sealed)?,
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(e);
                }
            }
            remove_optional(&log)?;
        }
        Ok(())
    }

    /// Calls `f` with every record `(uid, value)` that a seal keeps, in file order (the sealed
    /// base's, then the log's): records of live UIDs (all when `live` is `None`), and of each UID
    /// only its first group (a UID appended twice after a crash keeps one copy). Both files are
    /// streamed; damage is an [`IndexError::Damaged`] naming the file, a torn tail of the log is
    /// not.
    fn for_each_kept(
        &self,
        mailbox_id: u32,
        field: usize,
        live: Option<&RoaringBitmap>,
        mut f: impl FnMut(u32, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut seen = RoaringBitmap::new();
        let mut prev_uid = None;
        let mut keep = |uid: u32, value: &[u8]| -> Result<()> {
            let repeat = prev_uid == Some(uid);
            prev_uid = Some(uid);
            if live.is_none_or(|l| l.contains(uid)) && (!seen.contains(uid) || repeat) {
                seen.insert(uid);
                f(uid, value)?;
            }
            Ok(())
        };
        self.for_each_record(mailbox_id, field, &mut keep)
    }

    /// Calls `f` with every record `(uid, value)` of a column, in file order (the sealed base's,
    /// then the log's), checking each record's checksum: what a search of the column reads, but
    /// streamed. Damage is an [`IndexError::Damaged`] naming the file, a torn tail of the log is
    /// not.
    fn for_each_record(
        &self,
        mailbox_id: u32,
        field: usize,
        f: &mut impl FnMut(u32, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let sealed = self.sealed_path(mailbox_id, field);
        if let Some(file) = open_optional(&sealed)? {
            stream_records(sealed_data(file, &sealed, false)?, false, &sealed, f)?;
        }
        let log = self.path(mailbox_id, field);
        if let Some(file) = open_optional(&log)? {
            stream_records(std::io::BufReader::new(file), true, &log, f)?;
        }
        Ok(())
    }

    /// Total bytes of all column files.
    pub fn disk_bytes(&self) -> u64 {
        dir_bytes(&self.dir)
    }
}

/// zstd level of sealed columns: level 3 shrank linux-usb's columns from 10.4 MB to 1.5 MB.
const SEAL_ZSTD_LEVEL: i32 = 3;

/// The zstd data of a sealed column file: after the gram filter frame when there is one.
fn data_frame(file: &[u8]) -> &[u8] {
    match GramFilter::frame_len(file) {
        Some(len) if len <= file.len() => &file[len..],
        _ => file,
    }
}

/// The zstd data of the sealed column file `file` (at `path`), read from after its gram filter
/// frame when it has one; with `check_filter` that frame is read and its checksum verified (the
/// full check), else skipped. Damage is an [`IndexError::Damaged`] naming the file.
fn sealed_data(
    mut file: File,
    path: &Path,
    check_filter: bool,
) -> Result<zstd::stream::read::Decoder<'static, std::io::BufReader<File>>> {
    let mut head = [0u8; 8];
    let filter_len = match file.read_exact(&mut head) {
        Ok(()) => GramFilter::frame_len(&head),
        Err(_) => None, // too short for a filter: the decoder judges the file
    };
    match filter_len {
        Some(len) if check_filter => {
            let mut frame = head.to_vec();
            // `take`: a garbled length reads what there is, it never allocates the length
            (&mut file)
                .take(len.saturating_sub(8) as u64)
                .read_to_end(&mut frame)
                .at(path)?;
            if frame.len() != len {
                return Err(damaged(path, "gram filter frame cut short".into()));
            }
            GramFilter::from_frame(&frame).map_err(|m| damaged(path, m))?;
        }
        Some(len) => {
            file.seek(SeekFrom::Start(len as u64)).at(path)?;
        }
        None => {
            file.seek(SeekFrom::Start(0)).at(path)?;
        }
    }
    zstd::stream::read::Decoder::new(file).map_err(|e| damaged(path, format!("zstd: {e}")))
}

/// The gram filter at the start of a sealed column file, if it has one (reads only the filter).
fn read_filter(path: &Path) -> Result<Option<GramFilter>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).at(path),
    };
    let mut head = [0u8; 8];
    if file.read_exact(&mut head).is_err() {
        return Ok(None); // too short for a filter: the zstd decoder will judge the file
    }
    let Some(len) = GramFilter::frame_len(&head) else {
        return Ok(None);
    };
    let mut frame = vec![0u8; len];
    frame[..8].copy_from_slice(&head);
    file.read_exact(&mut frame[8..])
        .map_err(|e| damaged(path, format!("gram filter cut short: {e}")))?;
    GramFilter::from_frame(&frame)
        .map(Some)
        .map_err(|m| damaged(path, m))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn damaged(path: &Path, reason: String) -> IndexError {
    IndexError::Damaged {
        path: path.to_path_buf(),
        reason: format!("header column {}: {reason}", path.display()),
    }
}

/// Checks that `data` is whole records back to back (lengths only, not checksums).
fn records_end_to_end(data: &[u8]) -> std::result::Result<(), String> {
    let mut at = 0usize;
    while let Some((_, _, next)) = parse_record(data, at, false) {
        at = next;
    }
    if at == data.len() {
        Ok(())
    } else {
        Err(format!(
            "record cut short at byte {at} of {} (file damaged)",
            data.len()
        ))
    }
}

/// Checks every record's checksum. With `torn_tail_ok` (an append log), bytes after the last
/// valid record are accepted when no valid record follows them (a crash during an append);
/// a bad record followed by valid ones is damage.
fn verify_records(data: &[u8], torn_tail_ok: bool) -> std::result::Result<(), String> {
    let mut at = 0usize;
    while let Some((_, _, next)) = parse_record(data, at, true) {
        at = next;
    }
    if at == data.len() {
        return Ok(());
    }
    let resync = (at + 1..data.len()).find(|&o| parse_record(data, o, true).is_some());
    match resync {
        None if torn_tail_ok => Ok(()),
        _ => Err(format!(
            "bad record checksum at byte {at} of {} (file damaged)",
            data.len()
        )),
    }
}

/// Reads the records of `reader` one at a time, checking each checksum, and calls `f` with each
/// `(uid, value)`. A bad or cut record is damage, except at the end of an append log
/// (`torn_tail_ok`) when no valid record follows it: a crash during an append (the same rule as
/// [`verify_records`]).
fn stream_records(
    mut reader: impl Read,
    torn_tail_ok: bool,
    path: &Path,
    f: &mut impl FnMut(u32, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut record = Vec::new();
    let mut at = 0u64;
    loop {
        record.clear();
        let head = (&mut reader)
            .take(8)
            .read_to_end(&mut record)
            .map_err(|e| damaged(path, e.to_string()))?;
        if head == 0 {
            return Ok(());
        }
        let complete = head == 8 && {
            let len = u32::from_le_bytes(record[4..8].try_into().expect("4 bytes")) as u64;
            // `take`: a garbled length reads what there is, it never allocates the length
            let n = (&mut reader)
                .take(len + 4)
                .read_to_end(&mut record)
                .map_err(|e| damaged(path, e.to_string()))?;
            n as u64 == len + 4
        };
        let valid = complete && parse_record(&record, 0, true).is_some_and(|r| r.2 == record.len());
        if valid {
            let (uid, (start, end), _) = parse_record(&record, 0, false).expect("parsed above");
            f(uid, &record[start..end])?;
            at += record.len() as u64;
            continue;
        }
        // a bad record: the rest decides between a torn tail and damage
        reader
            .read_to_end(&mut record)
            .map_err(|e| damaged(path, e.to_string()))?;
        let resync = (1..record.len()).any(|o| parse_record(&record, o, true).is_some());
        return match resync {
            false if torn_tail_ok => Ok(()),
            _ => Err(damaged(
                path,
                format!("bad record checksum at byte {at} (file damaged)"),
            )),
        };
    }
}

/// The length of a file, `None` when it does not exist (or cannot be read).
fn file_len(path: &Path) -> Option<u64> {
    fs::metadata(path).ok().map(|m| m.len())
}

fn open_optional(path: &Path) -> Result<Option<File>> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).at(path),
    }
}

/// The file at `path` mapped, `None` when it does not exist.
fn map_optional(path: &Path) -> Result<Option<memmap2::Mmap>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).at(path),
    };
    // SAFETY: sealed column files are written whole and renamed into place, never changed in
    // place (see `Columns::seal`); a rename or removal leaves the mapping intact.
    unsafe { memmap2::Mmap::map(&file) }.map(Some).at(path)
}

/// Decodes the zstd data `frame` into a buffer with room for `extra` more bytes. Tried first in one
/// call into a buffer of the size the frame records (at most 16 times the frame: a damaged header
/// cannot ask for more), else of four times the frame, which is written without being zeroed
/// first; when that is too small, decoded again by a stream that grows its output.
fn decode(frame: &[u8], extra: usize) -> std::io::Result<Vec<u8>> {
    let guess = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(n)) => (n as usize).min(frame.len().saturating_mul(16)),
        _ => frame.len().saturating_mul(4),
    };
    let mut out = Vec::with_capacity(guess + extra);
    let mut decompressor = zstd::bulk::Decompressor::new()?;
    if decompressor.decompress_to_buffer(frame, &mut out).is_ok() {
        return Ok(out);
    }
    out.clear();
    zstd::stream::copy_decode(frame, &mut out)?;
    Ok(out)
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).at(path),
    }
}

fn remove_optional(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).at(path),
    }
}

pub(crate) fn dir_bytes(dir: &Path) -> u64 {
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

pub(crate) fn encode_record(buf: &mut Vec<u8>, uid: u32, value: &[u8]) {
    let start = buf.len();
    buf.extend_from_slice(&uid.to_le_bytes());
    buf.extend_from_slice(&(value.len() as u32).to_le_bytes());
    buf.extend_from_slice(value);
    let crc = crc32fast::hash(&buf[start..]);
    buf.extend_from_slice(&crc.to_le_bytes());
}

/// Cuts the file after its last complete record with a valid checksum.
/// An open append log's (inode, length).
fn log_state(file: &File) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata()?;
    Ok((m.ino(), m.len()))
}

fn truncate_torn_tail(file: &mut File) -> std::io::Result<()> {
    let mut data = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut data)?;
    let mut at = 0usize;
    while let Some((_, _, next)) = parse_record(&data, at, true) {
        at = next;
    }
    if at != data.len() {
        tracing::warn!(
            kept = at,
            len = data.len(),
            "header column: cutting torn tail"
        );
        file.set_len(at as u64)?;
    }
    Ok(())
}

/// Parses the record at `at`: `(uid, value range, next offset)`.
fn parse_record(data: &[u8], at: usize, check_crc: bool) -> Option<(u32, (usize, usize), usize)> {
    let head = data.get(at..at + 8)?;
    let uid = u32::from_le_bytes(head[0..4].try_into().ok()?);
    let len = u32::from_le_bytes(head[4..8].try_into().ok()?) as usize;
    let start = at + 8;
    let end = start.checked_add(len)?;
    let crc_bytes = data.get(end..end + 4)?;
    if check_crc {
        let crc = u32::from_le_bytes(crc_bytes.try_into().ok()?);
        if crc32fast::hash(&data[at..end]) != crc {
            return None;
        }
    }
    Some((uid, (start, end), end + 4))
}

#[derive(Clone, Copy, Debug)]
struct Record {
    uid: u32,
    start: usize,
    end: usize,
}

/// One loaded column, ready for substring searches.
#[derive(Debug, Default)]
pub struct Column {
    data: Vec<u8>,
    records: Vec<Record>,
}

impl Column {
    /// Parses a column file's bytes (a torn tail is ignored).
    pub fn from_bytes(data: Vec<u8>) -> Column {
        let mut records = Vec::with_capacity(data.len() / 48);
        let mut at = 0;
        while let Some((uid, (start, end), next)) = parse_record(&data, at, false) {
            records.push(Record { uid, start, end });
            at = next;
        }
        Column { data, records }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when the column holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The values of one UID (in file order).
    pub fn values_of(&self, uid: u32) -> Vec<&[u8]> {
        self.records
            .iter()
            .filter(|r| r.uid == uid)
            .map(|r| &self.data[r.start..r.end])
            .collect()
    }

    /// Bytes the column takes in memory: its values and its record table.
    pub fn heap_bytes(&self) -> usize {
        self.data.capacity() + self.records.capacity() * std::mem::size_of::<Record>()
    }

    /// Bytes of the data up to the end of the last whole record (the rest is a cut-short record).
    fn parsed_len(&self) -> usize {
        self.records.last().map_or(0, |r| r.end + 4)
    }

    /// UIDs whose value contains `folded_needle` (already case-folded), matched as `how` says.
    pub fn search_matching(&self, folded_needle: &str, how: ValueMatch) -> RoaringBitmap {
        self.search_at(folded_needle, !how.written_only, how.edges)
    }

    /// UIDs having at least one value of this field.
    pub fn uids(&self) -> RoaringBitmap {
        self.records.iter().map(|r| r.uid).collect()
    }

    /// UIDs whose value contains `folded_needle` (already case-folded). An empty needle matches
    /// every UID that has the field. Marked records (an address without CFWS,
    /// [`crate::text::ADDRESS_VARIANT_MARK`]) count too.
    pub fn search(&self, folded_needle: &str) -> RoaringBitmap {
        self.search_matching(folded_needle, ValueMatch::default())
    }

    /// UIDs whose opaque runs (each followed by a space in the value) hold `folded_needle` where
    /// `edges` says: at a run's start and/or end, or anywhere.
    pub fn search_runs(&self, folded_needle: &str, edges: RunEdges) -> RoaringBitmap {
        self.search_at(folded_needle, true, edges)
    }

    fn search_at(&self, folded_needle: &str, marked: bool, edges: RunEdges) -> RoaringBitmap {
        if folded_needle.is_empty() {
            return self.uids();
        }
        let needle = edges.needle(folded_needle);
        let folded_needle = needle.as_ref();
        let mark = ADDRESS_VARIANT_MARK as u8;
        let finder = memmem::Finder::new(folded_needle.as_bytes());
        let mut out = RoaringBitmap::new();
        let mut pos = 0usize;
        let mut rec_idx = 0usize;
        while let Some(hit) = finder.find(&self.data[pos..]) {
            let hit = pos + hit;
            // advance to the record that contains the hit (records are in file order)
            rec_idx += self.records[rec_idx..].partition_point(|r| r.end <= hit);
            let Some(r) = self.records.get(rec_idx) else {
                break;
            };
            let within = hit >= r.start && hit + folded_needle.len() <= r.end;
            if within && edges.start && hit > r.start && self.data[hit - 1] != b' ' {
                // inside a run, not at its start: look further in the same record
                pos = hit + 1;
            } else if within {
                if marked || self.data.get(r.start) != Some(&mark) {
                    out.insert(r.uid);
                }
                pos = r.end;
                rec_idx += 1;
            } else {
                pos = hit + 1;
            }
            if pos >= self.data.len() {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_sizes_its_output_or_grows_it() {
        // nearly incompressible (decoded in one call into the guessed buffer) and very
        // compressible (more than four times: decoded again by the growing stream)
        let mut x = 0x9e3779b97f4a7c15u64;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b'a' + (x % 26) as u8
            })
            .collect();
        let repeated = b"Subject: the same words again\n".repeat(10_000);
        for raw in [noise, repeated, Vec::new()] {
            let mut enc = zstd::stream::Encoder::new(Vec::new(), SEAL_ZSTD_LEVEL).unwrap();
            enc.include_checksum(true).unwrap();
            enc.write_all(&raw).unwrap();
            let frame = enc.finish().unwrap();
            let out = decode(&frame, 100).unwrap();
            assert_eq!(out, raw);
            assert!(out.capacity() >= out.len());
        }
        assert!(decode(b"not zstd at all", 0).is_err());
    }

    #[test]
    fn opaque_runs_are_searched_at_their_edges() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        cols.append(
            1,
            &[vec![
                (1, "a1b2usb 9f9fusb9f ".into()),
                (2, "usb5e5e ".into()),
                (3, "x0usb0x ".into()),
                (4, "usb ".into()),
                (5, "5e5e5e 0usb1 usb2usb ".into()),
            ]],
        )
        .unwrap();
        let col = cols.load(1, 0).unwrap();
        let v = |start: bool, end: bool| {
            col.search_runs("usb", RunEdges { start, end })
                .iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(v(false, false), [1, 2, 3, 4, 5]);
        assert_eq!(v(false, true), [1, 4, 5]);
        assert_eq!(v(true, false), [2, 4, 5]);
        assert_eq!(v(true, true), [4]);
        // sealed, the gram filter sees the space after a run: `usb` ending a run is ruled out
        // where no run ends with it, and the answers stay those of the log
        let mut per_field = vec![Vec::new(); COLUMN_FILES.len()];
        per_field[OPAQUE_BODY] = vec![(1, "a1b2usbc9 9f9f9f ".into()), (2, "x0x0x0usb1 ".into())];
        cols.append(2, &per_field).unwrap();
        cols.seal(2, None).unwrap();
        let search = |needle: &str, start: bool, end: bool| {
            let hits = cols
                .search_runs(2, OPAQUE_BODY, needle, RunEdges { start, end })
                .unwrap();
            (hits.uids.iter().collect::<Vec<_>>(), hits.base_skipped)
        };
        assert_eq!(search("usb", false, false), (vec![1, 2], false));
        assert_eq!(search("usb", false, true), (vec![], true));
        assert_eq!(search("9f", false, true), (vec![1], false));
        assert_eq!(search("a1b2", true, false), (vec![1], false));
    }

    #[test]
    fn search_finds_substrings_within_records_only() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        cols.append(
            1,
            &[vec![
                (1, "hello world".into()),
                (2, "first.user@example.org".into()),
                (3, "rld".into()),
                (3, "second subject".into()),
            ]],
        )
        .unwrap();
        let col = cols.load(1, 0).unwrap();
        let v = |n: &str| col.search(n).iter().collect::<Vec<_>>();
        assert_eq!(v("user"), [2]);
        assert_eq!(v("world"), [1]);
        assert_eq!(v("rld"), [1, 3]);
        assert_eq!(v("subject"), [3]);
        assert_eq!(v("worldfirst"), Vec::<u32>::new());
        assert_eq!(v(""), [1, 2, 3]);
    }

    #[test]
    fn torn_tail_is_cut_before_append() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        cols.append(7, &[vec![(1, "alpha".into())]]).unwrap();
        let path = cols.path(7, 0);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[9, 0, 0, 0, 200, 0]).unwrap();
        drop(f);
        cols.append(7, &[vec![(2, "beta".into())]]).unwrap();
        let col = cols.load(7, 0).unwrap();
        assert_eq!(col.search("beta").iter().collect::<Vec<_>>(), [2]);
        assert_eq!(col.len(), 2);
    }

    #[test]
    fn gram_filters_skip_sealed_bases_without_changing_answers() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        let ids: Vec<(u32, String)> = (1..=2000)
            .map(|u| (u, format!("{:016x}{:08x}", u as u64 * 0x9e37_79b9, u * 31)))
            .collect();
        let mut per_field = vec![Vec::new(); COLUMN_FILES.len()];
        per_field[OPAQUE_BODY] = ids.clone();
        cols.append(1, &per_field).unwrap();
        cols.seal(1, None).unwrap();
        let sealed = cols.sealed_path(1, OPAQUE_BODY);
        assert!(GramFilter::frame_len(&fs::read(&sealed).unwrap()).is_some());
        // a word that is in no identifier: ruled out, and still the log is searched
        let miss = cols.search(1, OPAQUE_BODY, "gadget").unwrap();
        assert!(miss.base_skipped && miss.uids.is_empty());
        // every substring of a value: same answer as the whole column's search
        let all = cols.load(1, OPAQUE_BODY).unwrap();
        for (uid, v) in ids.iter().step_by(97) {
            for needle in [&v[3..11], &v[..4], &v[20..], &v[5..7]] {
                let hits = cols.search(1, OPAQUE_BODY, needle).unwrap();
                assert!(hits.uids.contains(*uid), "{needle} of {v}");
                assert_eq!(hits.uids, all.search(needle), "{needle}");
            }
        }
        // appended after the seal: found through the log even when the base is ruled out
        let mut later = vec![Vec::new(); COLUMN_FILES.len()];
        later[OPAQUE_BODY] = vec![(2001, "gadget0000000000".to_string())];
        cols.append(1, &later).unwrap();
        let hit = cols.search(1, OPAQUE_BODY, "gadget").unwrap();
        assert!(hit.base_skipped);
        assert_eq!(hit.uids.iter().collect::<Vec<_>>(), vec![2001]);
        // a flipped bit in the filter is damage, for searches and for the full check
        let mut bytes = fs::read(&sealed).unwrap();
        bytes[40] ^= 0x01;
        fs::write(&sealed, &bytes).unwrap();
        let fresh = Columns::new(dir.path().to_path_buf());
        assert!(matches!(
            fresh.search(1, OPAQUE_BODY, "gadget"),
            Err(IndexError::Damaged { .. })
        ));
        assert!(Columns::verify_file(&sealed).is_err());
        assert!(fresh
            .files()
            .iter()
            .any(|(p, _, f)| p == &sealed && *f == OPAQUE_BODY));
    }

    /// A column searched streamed, in blocks of any size (smaller than one record too), gives the
    /// loaded column's answers, sealed base and log together; a sealed base cut short is damage.
    #[test]
    fn a_streamed_search_answers_as_the_loaded_column() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        let values: Vec<(u32, String)> = (1..=3000)
            .map(|u| (u, format!("subject {u} of the list x{}y ", u * 7919 % 1000)))
            .collect();
        cols.append(3, &[values]).unwrap();
        cols.seal(3, None).unwrap();
        let marked = format!("{ADDRESS_VARIANT_MARK}subject 42 unmarked");
        cols.append(
            3,
            &[vec![(3001, "subject 3001 tail".into()), (3002, marked)]],
        )
        .unwrap();
        let loaded = cols.load(3, 0).unwrap();
        let hows = [
            ValueMatch::default(),
            ValueMatch {
                written_only: true,
                ..Default::default()
            },
            ValueMatch {
                written_only: false,
                edges: RunEdges {
                    start: true,
                    end: true,
                },
            },
        ];
        for needle in ["subject 42", "x17y", "list", "tail", "of the", "absent", ""] {
            for how in hows {
                let want = loaded.search_matching(needle, how);
                for block in [7, 100, 1000, 1 << 20] {
                    let got = cols.search_streamed(3, 0, needle, how, block).unwrap();
                    assert_eq!(got, want, "{needle:?} {how:?} in blocks of {block}");
                }
            }
        }
        assert_eq!(
            cols.search_streamed(3, 0, "subject 42", hows[0], 64)
                .unwrap()
                .len(),
            12,
            "42, 420..=429 and the marked value of 3002"
        );
        // a sealed base whose last record is cut short
        let sealed = cols.sealed_path(3, 0);
        let data = {
            let file = File::open(&sealed).unwrap();
            let mut all = Vec::new();
            sealed_data(file, &sealed, false)
                .unwrap()
                .read_to_end(&mut all)
                .unwrap();
            all
        };
        let cut = zstd::encode_all(&data[..data.len() - 3], 3).unwrap();
        fs::write(&sealed, cut).unwrap();
        let err = cols.search_streamed(3, 0, "list", hows[0], 1000);
        assert!(matches!(err, Err(IndexError::Damaged { .. })), "{err:?}");
    }

    #[test]
    fn sealed_base_and_log_are_searched_together() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        let many: Vec<(u32, String)> = (1..=500)
            .map(|u| (u, format!("subject number {u}")))
            .collect();
        cols.append(3, &[many]).unwrap();
        let before = cols.load_cached(3, 0).unwrap();
        assert_eq!(before.search("number 25").len(), 11);
        cols.seal(3, None).unwrap();
        assert!(cols.sealed_path(3, 0).exists() && !cols.path(3, 0).exists());
        assert_eq!(cols.log_bytes(3), 0);
        cols.append(3, &[vec![(501, "subject number 2501".into())]])
            .unwrap();
        let after = cols.load_cached(3, 0).unwrap();
        assert_eq!(after.len(), 501);
        assert_eq!(after.search("number 25").len(), 12);
        assert!(
            dir_bytes(dir.path()) < 500 * 20,
            "sealed column is compressed"
        );
        cols.remove_mailbox(3).unwrap();
        assert!(cols.load(3, 0).unwrap().is_empty());
    }

    #[test]
    fn damage_is_told_from_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        let many: Vec<(u32, String)> = (1..=50).map(|u| (u, format!("from {u}"))).collect();
        cols.append(2, &[many]).unwrap();
        let path = cols.path(2, 0);
        let good = fs::read(&path).unwrap();
        // a torn tail (crash during an append) is not damage
        let mut torn = good.clone();
        torn.extend_from_slice(&[51, 0, 0, 0, 9, 0, 0, 0, b'f']);
        fs::write(&path, &torn).unwrap();
        assert_eq!(cols.load(2, 0).unwrap().len(), 50);
        assert!(Columns::verify_file(&path).is_ok());
        // a flipped byte inside is
        let mut bad = good.clone();
        bad[good.len() / 2] ^= 0x40;
        fs::write(&path, &bad).unwrap();
        assert!(matches!(cols.load(2, 0), Err(IndexError::Damaged { .. })));
        assert!(Columns::verify_file(&path).is_err());
        // and so is a garbled sealed base
        fs::write(&path, &good).unwrap();
        cols.seal(2, None).unwrap();
        let sealed = cols.sealed_path(2, 0);
        let mut z = fs::read(&sealed).unwrap();
        let n = z.len() / 2;
        z[n] ^= 0x40;
        fs::write(&sealed, &z).unwrap();
        assert!(cols.load(2, 0).is_err());
        assert!(Columns::verify_file(&sealed).is_err());
    }

    #[test]
    fn compaction_drops_dead_uids() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        cols.append(
            1,
            &[vec![(1, "a".into()), (2, "b".into()), (2, "b2".into())]],
        )
        .unwrap();
        let live: RoaringBitmap = [2u32].into_iter().collect();
        cols.seal(1, Some(&live)).unwrap();
        let col = cols.load(1, 0).unwrap();
        assert_eq!(col.len(), 2);
        assert_eq!(col.search("b2").iter().collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn seal_keeps_one_group_per_uid_and_tells_damage_from_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let cols = Columns::new(dir.path().to_path_buf());
        // uid 2 twice in a row (two headers of one message: kept), then again later (a crash
        // re-appended it: dropped)
        let first = vec![
            (1, "a".into()),
            (2, "b".into()),
            (2, "b2".into()),
            (3, "c".into()),
        ];
        cols.append(1, &[first]).unwrap();
        cols.seal(1, None).unwrap();
        cols.append(1, &[vec![(2, "b-again".into()), (4, "d".into())]])
            .unwrap();
        // a torn tail with a huge length field: not damage, and nothing of that length is read
        let log = cols.path(1, 0);
        let mut f = OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(&[4, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, b'x'])
            .unwrap();
        drop(f);
        cols.seal(1, None).unwrap();
        let col = cols.load(1, 0).unwrap();
        let v = |n: &str| col.search(n).iter().collect::<Vec<_>>();
        assert_eq!(col.len(), 5);
        assert_eq!(
            (v("b2"), v("again"), v("c"), v("d")),
            (vec![2], vec![], vec![3], vec![4])
        );
        assert!(!log.exists());

        // a bad record followed by good ones is damage: the seal fails and changes nothing
        cols.append(1, &[vec![(5, "e".into()), (6, "f".into())]])
            .unwrap();
        let mut bytes = fs::read(&log).unwrap();
        bytes[9] ^= 0x20; // inside the first record's value
        fs::write(&log, &bytes).unwrap();
        let sealed_before = fs::read(cols.sealed_path(1, 0)).unwrap();
        assert!(matches!(
            cols.seal(1, None),
            Err(IndexError::Damaged { .. })
        ));
        assert_eq!(fs::read(cols.sealed_path(1, 0)).unwrap(), sealed_before);
        assert_eq!(fs::read(&log).unwrap(), bytes);
        assert!(!cols.sealed_path(1, 0).with_extension("zst.tmp").exists());

        // every record dropped: no sealed file is left
        fs::remove_file(&log).unwrap();
        cols.seal(1, Some(&RoaringBitmap::new())).unwrap();
        assert!(!cols.sealed_path(1, 0).exists());
        assert!(cols.load(1, 0).unwrap().is_empty());
    }
}
