//! Where tantivy reads a home index's files: memory-mapped, except the posting lists.
//!
//! tantivy's [`MmapDirectory`] maps every segment file. Every page a process touches then counts
//! in its resident size until the file is unmapped, and a merge touches every page of the posting
//! lists (`.idx`) of the segments it merges: on the generated 1M home, about 70 MB of a rescan's
//! 194 MB peak were such pages (see docs/BENCHMARKS.md). Posting lists are read one term at a time,
//! front to back in a merge and a term here and there in a search, so [`HomeDirectory`] reads them
//! with `pread` into a small window instead ([`PostingsFile`]): a merge holds one window per
//! segment file, a search one per file it reads. The term dictionaries and fast fields, which
//! tantivy reads at random and expects in memory, stay mapped, and their pages can be given back
//! ([`release_mapped_pages`]): a rescan walks every term dictionary of a segment it wrote (its term
//! texts) or merged, and those pages stayed resident for as long as the segment lived. The
//! generated 1M home's term dictionaries were 60 of the 90 MB of mapped files resident at the
//! peak of the daemon's first build.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io;
use std::ops::{Deref, Range};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use memmap2::Mmap;
use stable_deref_trait::StableDeref;

use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};
use tantivy::HasLen;

/// Bytes a posting-list file reads at once: a request is served from the last window read when it
/// falls inside it (a merge reads the lists in file order), else a window starting at it is read.
pub const POSTINGS_WINDOW: usize = 64 << 10;

/// tantivy's [`MmapDirectory`] with posting lists read through [`PostingsFile`] and the other
/// files mapped by this module ([`release_mapped_pages`]).
#[derive(Clone, Debug)]
pub struct HomeDirectory {
    root: PathBuf,
    mmap: MmapDirectory,
}

impl HomeDirectory {
    /// Opens the tantivy directory `root` (it must exist).
    pub fn open(root: &Path) -> Result<HomeDirectory, OpenDirectoryError> {
        let mmap = MmapDirectory::open(root)?;
        // absolute, as the mapped files' paths are: a later change of the working directory
        // must not move where the posting lists are read from
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        Ok(HomeDirectory { root, mmap })
    }
}

/// Whether tantivy's file `path` holds posting lists.
fn holds_postings(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "idx")
}

/// Every segment file this process has mapped, by full path, while something still reads it: one
/// mapping per file however many times it is opened (by one index or by several handles on it),
/// and the list [`release_mapped_pages`] walks.
static MAPPED: Mutex<Option<HashMap<PathBuf, Weak<Mmap>>>> = Mutex::new(None);

/// The bytes of a mapped file, as tantivy holds them: the mapping stays until the last of them
/// is dropped.
struct MappedBytes(Arc<Mmap>);

impl Deref for MappedBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

// SAFETY: the bytes are those of the mapping the `Arc` keeps alive, at an address that does not
// change when a `MappedBytes` is moved.
unsafe impl StableDeref for MappedBytes {}

/// The error of opening or reading segment file `full`, named by its full path as tantivy's
/// `MmapDirectory` names it (a check reports the file it misses).
fn open_error(e: io::Error, full: &Path) -> OpenReadError {
    if e.kind() == io::ErrorKind::NotFound {
        OpenReadError::FileDoesNotExist(full.to_path_buf())
    } else {
        OpenReadError::wrap_io_error(e, full.to_path_buf())
    }
}

/// The mapping of segment file `full` (shared with every other reader of it in this process).
fn map_file(full: &Path) -> Result<OwnedBytes, OpenReadError> {
    let mut mapped = MAPPED.lock().unwrap_or_else(|p| p.into_inner());
    let mapped = mapped.get_or_insert_with(HashMap::new);
    if let Some(map) = mapped.get(full).and_then(Weak::upgrade) {
        return Ok(OwnedBytes::new(MappedBytes(map)));
    }
    let io_error = |e| open_error(e, full);
    let file = File::open(full).map_err(io_error)?;
    if file.metadata().map_err(io_error)?.len() == 0 {
        // an empty file cannot be mapped
        return Ok(OwnedBytes::empty());
    }
    // SAFETY: tantivy's segment files are written once, before they are first read, and never
    // changed (as for tantivy's own `MmapDirectory`, which maps them the same way).
    let map = Arc::new(unsafe { Mmap::map(&file) }.map_err(io_error)?);
    mapped.retain(|_, m| m.strong_count() > 0);
    mapped.insert(full.to_path_buf(), Arc::downgrade(&map));
    Ok(OwnedBytes::new(MappedBytes(map)))
}

/// Drops the resident pages of every segment file under directory `root` that this process has
/// mapped (term dictionaries, fast fields) and still reads; the next read of a page takes it again
/// from the page cache, or from the disk. Called where a walk of whole files ends (a commit, the
/// term texts of new segments, a merge): what was walked once is not needed again soon. Returns
/// the bytes of the files mapped.
pub fn release_mapped_pages(root: &Path) -> u64 {
    // the files are known by their canonical paths (see `HomeDirectory::open`)
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let maps: Vec<Arc<Mmap>> = {
        let mapped = MAPPED.lock().unwrap_or_else(|p| p.into_inner());
        mapped
            .iter()
            .flatten()
            .filter(|(path, _)| path.starts_with(&root))
            .filter_map(|(_, map)| map.upgrade())
            .collect()
    };
    let mut bytes = 0;
    for map in maps {
        bytes += map.len() as u64;
        #[cfg(unix)]
        // SAFETY: `map` is a read-only shared mapping of a file: MADV_DONTNEED only unmaps its
        // pages, whose bytes the next access reads again, unchanged, from the page cache or the
        // file (only private or anonymous mappings lose data to it). The addresses stay mapped,
        // so no reference into the mapping is invalidated.
        let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
    }
    bytes
}

impl Directory for HomeDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let full = self.root.join(path);
        if !holds_postings(path) {
            return Ok(Arc::new(map_file(&full)?));
        }
        let file = File::open(&full).map_err(|e| open_error(e, &full))?;
        let handle = PostingsFile::new(file).map_err(|e| open_error(e, &full))?;
        Ok(Arc::new(handle))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mmap.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mmap.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mmap.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mmap.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.mmap.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.mmap.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mmap.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mmap.watch(watch_callback)
    }
}

/// A segment file read with `pread`, through a window of [`POSTINGS_WINDOW`] bytes. Segment files
/// are written once and never changed; the open file keeps its bytes readable even after tantivy
/// deletes it (the contract of [`FileHandle`]).
pub struct PostingsFile {
    file: File,
    len: usize,
    /// The last window read: its offset in the file and its bytes.
    window: Mutex<Option<(usize, Vec<u8>)>>,
}

impl PostingsFile {
    /// Wraps an open file.
    pub fn new(file: File) -> io::Result<PostingsFile> {
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| io::Error::other("file larger than the address space"))?;
        Ok(PostingsFile {
            file,
            len,
            window: Mutex::new(None),
        })
    }

    fn read_at(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        let mut buf = vec![0u8; range.len()];
        self.file.read_exact_at(&mut buf, range.start as u64)?;
        Ok(OwnedBytes::new(buf))
    }
}

/// Fills `buf` from `offset` as far as the file goes; an error when fewer than `min` bytes could
/// be read. Returns the bytes read.
fn read_at_least(file: &File, buf: &mut [u8], offset: usize, min: usize) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], (offset + got) as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if got < min {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "{got} of {min} bytes at offset {offset}: the file is shorter than when opened"
            ),
        ));
    }
    Ok(got)
}

impl fmt::Debug for PostingsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostingsFile")
            .field("len", &self.len)
            .finish()
    }
}

impl HasLen for PostingsFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for PostingsFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("read of bytes {range:?} of a file of {} bytes", self.len),
            ));
        }
        if range.is_empty() {
            return Ok(OwnedBytes::empty());
        }
        // larger than a window (a long posting list, a whole-file read): read alone
        if range.len() > POSTINGS_WINDOW / 2 {
            return self.read_at(range);
        }
        // what is returned is a copy, not a slice of the window: a search holding the posting
        // lists of a thousand terms at once holds their bytes, not a thousand windows
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((start, bytes)) = window.as_ref() {
            if range.start >= *start && range.end <= start + bytes.len() {
                let inside = range.start - start..range.end - start;
                return Ok(OwnedBytes::new(bytes[inside].to_vec()));
            }
        }
        let end = (range.start + POSTINGS_WINDOW).min(self.len);
        let mut bytes = window.take().map(|(_, b)| b).unwrap_or_default();
        bytes.resize(end - range.start, 0);
        let got = read_at_least(&self.file, &mut bytes, range.start, range.len())?;
        // a file cut short since it was opened (damage) keeps its readable part readable
        bytes.truncate(got);
        let wanted = OwnedBytes::new(bytes[..range.len()].to_vec());
        *window = Some((range.start, bytes));
        Ok(wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> (tempfile::TempDir, PostingsFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.idx");
        File::create(&path).unwrap().write_all(bytes).unwrap();
        let f = PostingsFile::new(File::open(&path).unwrap()).unwrap();
        (dir, f)
    }

    #[test]
    fn reads_equal_the_file_across_windows() {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (_dir, f) = file_of(&bytes);
        assert_eq!(f.len(), bytes.len());
        // in order (a merge), backwards, straddling window ends, long and empty reads
        let mut ranges = vec![];
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + 1 + at % 997).min(bytes.len());
            ranges.push(at..end);
            at = end;
        }
        ranges.extend([
            200_000..200_010,
            100..110,
            POSTINGS_WINDOW - 5..POSTINGS_WINDOW + 5,
            0..bytes.len(),
            1_000..1_000 + POSTINGS_WINDOW,
            299_990..300_000,
            5..5,
            300_000..300_000,
        ]);
        for r in ranges {
            assert_eq!(f.read_bytes(r.clone()).unwrap().as_slice(), &bytes[r]);
        }
    }

    #[test]
    fn reads_beyond_the_end_are_errors_not_panics() {
        let (_dir, f) = file_of(b"0123456789");
        assert!(f.read_bytes(5..11).is_err());
        assert!(f.read_bytes(11..12).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 6..5;
        assert!(f.read_bytes(backwards).is_err());
        assert_eq!(f.read_bytes(8..10).unwrap().as_slice(), b"89");
    }

    #[test]
    fn a_file_truncated_under_a_reader_is_an_error_not_a_crash() {
        // a mapped file cut short kills the process with SIGBUS on the next read of a lost page;
        // read with pread, the reader gets an error
        let bytes = vec![7u8; 3 * POSTINGS_WINDOW];
        let (dir, f) = file_of(&bytes);
        std::fs::File::options()
            .write(true)
            .open(dir.path().join("x.idx"))
            .unwrap()
            .set_len(1000)
            .unwrap();
        assert!(f
            .read_bytes(2 * POSTINGS_WINDOW..2 * POSTINGS_WINDOW + 10)
            .is_err());
        assert!(f.read_bytes(0..2 * POSTINGS_WINDOW).is_err());
        assert_eq!(f.read_bytes(0..10).unwrap().as_slice(), &bytes[..10]);
    }

    /// Resident kilobytes of the mapping that holds `addr`, from `/proc/self/smaps`.
    fn resident_kb_at(addr: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((from, to)) = range.split_once('-') {
                    if let (Ok(from), Ok(to)) = (
                        usize::from_str_radix(from, 16),
                        usize::from_str_radix(to, 16),
                    ) {
                        inside = (from..to).contains(&addr);
                        continue;
                    }
                }
            }
            if inside {
                if let Some(kb) = line.strip_prefix("Rss:") {
                    return kb.trim().trim_end_matches(" kB").trim().parse().unwrap();
                }
            }
        }
        panic!("no mapping holds {addr:#x}")
    }

    #[test]
    fn mapped_files_are_shared_and_give_back_their_pages() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..4u32 << 20).map(|i| (i % 253) as u8).collect();
        std::fs::write(dir.path().join("seg.term"), &bytes).unwrap();
        std::fs::write(dir.path().join("empty.fast"), b"").unwrap();
        let d = HomeDirectory::open(dir.path()).unwrap();
        let h = d.get_file_handle(Path::new("seg.term")).unwrap();
        let all = h.read_bytes(0..bytes.len()).unwrap();
        // one mapping per file, however often it is opened
        let again = d.get_file_handle(Path::new("seg.term")).unwrap();
        let addr = all.as_slice().as_ptr() as usize;
        assert_eq!(
            again.read_bytes(0..1).unwrap().as_slice().as_ptr() as usize,
            addr
        );
        assert_eq!(all.as_slice(), &bytes[..], "every page read");
        assert!(resident_kb_at(addr) >= 4 << 10, "{}", resident_kb_at(addr));
        // only the files of the directory named
        let elsewhere = tempfile::tempdir().unwrap();
        assert_eq!(release_mapped_pages(elsewhere.path()), 0);
        assert!(resident_kb_at(addr) >= 4 << 10);
        assert!(release_mapped_pages(dir.path()) >= bytes.len() as u64);
        assert_eq!(resident_kb_at(addr), 0, "the pages were given back");
        // and are read again, unchanged
        assert_eq!(all.as_slice(), &bytes[..]);
        assert_eq!(
            h.read_bytes(1000..1010).unwrap().as_slice(),
            &bytes[1000..1010]
        );
        let empty = d.get_file_handle(Path::new("empty.fast")).unwrap();
        assert_eq!(empty.len(), 0);
        assert!(matches!(
            d.get_file_handle(Path::new("gone.term")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }

    #[test]
    fn a_deleted_file_stays_readable_through_its_handle() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("seg.idx"), b"postings").unwrap();
        let d = HomeDirectory::open(dir.path()).unwrap();
        let h = d.get_file_handle(Path::new("seg.idx")).unwrap();
        std::fs::remove_file(dir.path().join("seg.idx")).unwrap();
        assert_eq!(h.read_bytes(0..8).unwrap().as_slice(), b"postings");
        assert!(matches!(
            d.get_file_handle(Path::new("gone.idx")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }
}
