//! Message files compressed by Dovecot's zlib plugin, recognised by their magic bytes (never by name
//! or configuration, as Dovecot does), and compression of new mail.
//!
//! | format | magic | reader |
//! |---|---|---|
//! | gzip | `1f 8b` | `flate2` (pure Rust), concatenated members |
//! | zstd | `28 b5 2f fd` | libzstd (`zstd` crate), concatenated frames |
//! | lz4 | `Dovecot-LZ4\r\x2a\x9b\xc5` + chunk size: Dovecot's own framing of LZ4 blocks | `lz4_flex` (feature `lz4`) |
//! | bzip2 | `BZh[1-9]1AY&SY` | `bzip2` with its pure-Rust backend (feature `bzip2`) |
//! | xz | `fd 37 7a 58 5a 00` | `lzma-rust2` (feature `xz`) |
//!
//! A format whose feature is off gives [`DecompressErrorKind::Unsupported`] for that message.
//!
//! **Limits.** Decompression is streaming and stops as soon as a message grows past its limit
//! ([`DecompressLimits::limit_for`]): a compression bomb costs one message (an error), never the
//! process. Errors are [`io::Error`]s carrying a [`DecompressError`] ([`DecompressError::of`]), so
//! callers can count them by kind ([`DecompressError::problem`]).

use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::str::FromStr;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];
const BZIP2_BLOCK_MAGIC: &[u8] = &[0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
/// Dovecot's lz4 header: this magic, then the largest uncompressed chunk size (u32, big-endian);
/// then chunks, each a u32 big-endian compressed length and one LZ4 block.
const LZ4_MAGIC: &[u8] = b"Dovecot-LZ4\x0d\x2a\x9b\xc5";
/// The largest chunk Dovecot accepts when reading (`ISTREAM_LZ4_CHUNK_SIZE`).
#[cfg(feature = "lz4")]
const LZ4_MAX_CHUNK: usize = 1024 * 1024;
/// The chunk size Dovecot writes (`OSTREAM_LZ4_CHUNK_SIZE`).
#[cfg(all(test, feature = "lz4"))]
const LZ4_CHUNK: usize = 64 * 1024;
/// Memory an xz block's dictionary may take (KiB): `xz -9` needs 64 MiB plus overhead.
#[cfg(feature = "xz")]
const XZ_MEM_LIMIT_KB: u32 = 96 * 1024;

/// A compression format recognised by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// gzip (`zlib_save = gz`).
    Gzip,
    /// Zstandard (`zlib_save = zstd`, Dovecot 2.3.12+).
    Zstd,
    /// Dovecot's lz4 framing (`zlib_save = lz4`).
    Lz4,
    /// bzip2 (`zlib_save = bz2`).
    Bzip2,
    /// xz (written by Dovecot 2.2.9–2.3.13).
    Xz,
}

impl Format {
    /// How many leading bytes [`Format::detect`] needs at most.
    pub const DETECT_LEN: usize = 15;

    /// The format of a file from its first bytes (at least [`Format::DETECT_LEN`] of them when the
    /// file is that long); `None` for a plain message.
    pub fn detect(head: &[u8]) -> Option<Format> {
        if head.starts_with(GZIP_MAGIC) {
            Some(Format::Gzip)
        } else if head.starts_with(ZSTD_MAGIC) {
            Some(Format::Zstd)
        } else if head.starts_with(XZ_MAGIC) {
            Some(Format::Xz)
        } else if head.starts_with(LZ4_MAGIC) {
            Some(Format::Lz4)
        } else if head.len() >= 10
            && head.starts_with(b"BZ")
            && matches!(head[2], b'h' | b'0')
            && (b'1'..=b'9').contains(&head[3])
            && &head[4..10] == BZIP2_BLOCK_MAGIC
        {
            Some(Format::Bzip2)
        } else {
            None
        }
    }

    /// The short name: `gzip`, `zstd`, `lz4`, `bzip2`, `xz`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Gzip => "gzip",
            Format::Zstd => "zstd",
            Format::Lz4 => "lz4",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
        }
    }

    /// True when this build can read the format (lz4, bzip2 and xz are cargo features, on by default).
    pub fn is_supported(self) -> bool {
        match self {
            Format::Gzip | Format::Zstd => true,
            Format::Lz4 => cfg!(feature = "lz4"),
            Format::Bzip2 => cfg!(feature = "bzip2"),
            Format::Xz => cfg!(feature = "xz"),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How mailfts stores the messages it writes itself ([`crate::Mailbox::save`], and
/// [`crate::Mailbox::copy_to`] of an uncompressed message): see [`crate::StoreOptions`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Plain files (the default).
    #[default]
    None,
    /// One zstd frame with content size and checksum, as Dovecot's `zlib_save = zstd` reads it.
    Zstd,
    /// One gzip member, as Dovecot's `zlib_save = gz` reads it.
    Gzip,
}

impl Compression {
    /// The configuration name: `none`, `zstd` or `gzip`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Zstd => "zstd",
            Compression::Gzip => "gzip",
        }
    }

    /// The level used when none is configured: 3 for zstd (libzstd's and Dovecot's default), 6 for gzip.
    pub fn default_level(self) -> i32 {
        match self {
            Compression::None => 0,
            Compression::Zstd => 3,
            Compression::Gzip => 6,
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Compression {
    type Err = String;

    /// `none`, `zstd`, `gzip` (also `gz`, as in Dovecot's `zlib_save`), any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "" => Ok(Compression::None),
            "zstd" => Ok(Compression::Zstd),
            "gzip" | "gz" => Ok(Compression::Gzip),
            _ => Err(format!(
                "unknown compression {s:?} (expected \"none\", \"zstd\" or \"gzip\")"
            )),
        }
    }
}

/// Compresses a message as `compression` with `level` (clamped to the format's range; `None`: the
/// [default](Compression::default_level)). [`Compression::None`] returns the bytes unchanged.
pub fn compress(bytes: &[u8], compression: Compression, level: Option<i32>) -> io::Result<Vec<u8>> {
    let level = level.unwrap_or(compression.default_level());
    match compression {
        Compression::None => Ok(bytes.to_vec()),
        Compression::Zstd => {
            let level = level.clamp(
                zstd::zstd_safe::min_c_level(),
                zstd::zstd_safe::max_c_level(),
            );
            let mut c = zstd::bulk::Compressor::new(level)?;
            c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))?;
            c.compress(bytes)
        }
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(bytes.len() / 3 + 64),
                flate2::Compression::new(level.clamp(0, 9) as u32),
            );
            e.write_all(bytes)?;
            e.finish()
        }
    }
}

/// How large a compressed message may grow when decompressed.
///
/// A message may decompress to at most
/// `min(max_size, max(max_ratio × file size, min_allowance, its ,S=<size>))`
/// bytes ([`limit_for`](Self::limit_for)). The `,S=` size in the file name (which Dovecot always
/// writes for compressed mail, and which only someone who can rename files in the Maildir can set)
/// lets an honest message with an extreme ratio through; `max_size` bounds everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DecompressLimits {
    /// Absolute cap on one decompressed message, in bytes (default 256 MiB).
    pub max_size: u64,
    /// Cap as a multiple of the compressed file's size (default 64; mail compresses 2–10×).
    pub max_ratio: u64,
    /// Every message may grow to this many bytes whatever its ratio (default 1 MiB), so small
    /// files of very repetitive text are never refused.
    pub min_allowance: u64,
}

impl Default for DecompressLimits {
    fn default() -> Self {
        DecompressLimits::DEFAULT
    }
}

impl DecompressLimits {
    /// The defaults: 256 MiB, 64×, 1 MiB.
    pub const DEFAULT: DecompressLimits = DecompressLimits {
        max_size: 256 << 20,
        max_ratio: 64,
        min_allowance: 1 << 20,
    };

    /// No limit at all (trusted data only).
    pub const UNLIMITED: DecompressLimits = DecompressLimits {
        max_size: u64::MAX - 1,
        max_ratio: u64::MAX,
        min_allowance: u64::MAX - 1,
    };

    /// The most bytes a message whose file has `compressed_len` bytes (and whose name says
    /// `,S=<size_hint>`) may decompress to.
    pub fn limit_for(&self, compressed_len: u64, size_hint: Option<u64>) -> u64 {
        compressed_len
            .saturating_mul(self.max_ratio)
            .max(self.min_allowance)
            .max(size_hint.unwrap_or(0))
            .min(self.max_size)
    }
}

/// The same limits with a `'static` lifetime, so that every [`crate::MessageEntry`] carries a
/// pointer, not a copy. Each distinct value is allocated once per process.
pub(crate) fn intern(limits: DecompressLimits) -> &'static DecompressLimits {
    static DEFAULT: DecompressLimits = DecompressLimits::DEFAULT;
    static SEEN: std::sync::Mutex<Vec<&'static DecompressLimits>> =
        std::sync::Mutex::new(Vec::new());
    if limits == DEFAULT {
        return &DEFAULT;
    }
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&l) = seen.iter().find(|&&l| *l == limits) {
        return l;
    }
    let l: &'static DecompressLimits = Box::leak(Box::new(limits));
    seen.push(l);
    l
}

/// Why a compressed message could not be decompressed. Carried inside the [`io::Error`]s of
/// [`crate::MessageEntry::read`] and [`crate::MessageEntry::open`]; see [`DecompressError::of`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecompressError {
    /// The format found by the magic bytes.
    pub format: Format,
    /// What went wrong.
    pub kind: DecompressErrorKind,
}

/// What went wrong while decompressing a message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecompressErrorKind {
    /// The data ends before the compressed stream does (an interrupted write or copy).
    Truncated,
    /// The data is not a valid stream of its format.
    Corrupt(String),
    /// The message grew past its limit ([`DecompressLimits`]): a compression bomb, most likely.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// This build cannot read the format (its cargo feature is off).
    Unsupported,
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = self.format;
        match &self.kind {
            DecompressErrorKind::Truncated => write!(f, "truncated {format} data"),
            DecompressErrorKind::Corrupt(why) => write!(f, "corrupt {format} data: {why}"),
            DecompressErrorKind::TooLarge { limit } => write!(
                f,
                "{format} message decompresses to more than {limit} bytes (compression bomb?)"
            ),
            DecompressErrorKind::Unsupported => write!(f, "unsupported compression: {format}"),
        }
    }
}

impl std::error::Error for DecompressError {}

impl DecompressError {
    /// The decompression error inside an I/O error from [`crate::MessageEntry::read`] or a
    /// [`MessageReader`], if that is what it is.
    pub fn of(e: &io::Error) -> Option<&DecompressError> {
        e.get_ref().and_then(|inner| inner.downcast_ref())
    }

    /// A short name to count failures by: `compression: truncated zstd`, `compression: corrupt
    /// gzip`, `compression: bomb`, `compression: unsupported lz4`.
    pub fn problem(&self) -> String {
        match self.kind {
            DecompressErrorKind::Truncated => format!("compression: truncated {}", self.format),
            DecompressErrorKind::Corrupt(_) => format!("compression: corrupt {}", self.format),
            DecompressErrorKind::TooLarge { .. } => "compression: bomb".to_owned(),
            DecompressErrorKind::Unsupported => {
                format!("compression: unsupported {}", self.format)
            }
        }
    }

    fn new(format: Format, kind: DecompressErrorKind) -> DecompressError {
        DecompressError { format, kind }
    }
}

impl From<DecompressError> for io::Error {
    /// `UnexpectedEof` (truncated), `InvalidData` (corrupt), `FileTooLarge` (bomb) or `Unsupported`.
    fn from(e: DecompressError) -> io::Error {
        let kind = match e.kind {
            DecompressErrorKind::Truncated => io::ErrorKind::UnexpectedEof,
            DecompressErrorKind::Corrupt(_) => io::ErrorKind::InvalidData,
            DecompressErrorKind::TooLarge { .. } => io::ErrorKind::FileTooLarge,
            DecompressErrorKind::Unsupported => io::ErrorKind::Unsupported,
        };
        io::Error::new(kind, e)
    }
}

/// The message in a whole file's contents: decompressed when it starts with a known magic (within
/// the limit of [`DecompressLimits::limit_for`], `size_hint` being the `,S=` size of its name), as is
/// otherwise (no copy).
pub fn decompress(
    raw: Vec<u8>,
    limits: &DecompressLimits,
    size_hint: Option<u64>,
) -> io::Result<Vec<u8>> {
    let Some(format) = Format::detect(&raw) else {
        return Ok(raw);
    };
    let limit = limits.limit_for(raw.len() as u64, size_hint);
    let initial = size_hint
        .filter(|&h| h <= limit)
        .unwrap_or((raw.len() as u64).saturating_mul(4))
        .min(limit.saturating_add(1))
        .max(4096) as usize;
    let mut out = Vec::with_capacity(initial);
    if format == Format::Zstd {
        return zstd_slice(&raw, limit, &mut out)
            .map(|()| out)
            .map_err(|kind| DecompressError::new(format, kind).into());
    }
    let mut reader = Limited {
        inner: decoder(format, &raw[..])?,
        format,
        limit,
        produced: 0,
    };
    reader.read_to_end(&mut out)?;
    Ok(out)
}

/// Decodes a whole zstd file (one or more frames) with this thread's reused decompression context.
fn zstd_slice(data: &[u8], limit: u64, out: &mut Vec<u8>) -> Result<(), DecompressErrorKind> {
    use zstd::zstd_safe::{get_error_name, DCtx, InBuffer, OutBuffer, ResetDirective};
    thread_local! {
        static DCTX: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
    }
    let corrupt = |code| DecompressErrorKind::Corrupt(get_error_name(code).to_owned());
    DCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let dctx = slot.get_or_insert_with(DCtx::create);
        dctx.reset(ResetDirective::SessionOnly).map_err(corrupt)?;
        let mut input = InBuffer::around(data);
        loop {
            if out.len() == out.capacity() {
                // Room for one byte past the limit, so that a bomb is seen.
                let room = limit.saturating_add(1).saturating_sub(out.len() as u64);
                let grow = (out.len() as u64).max(64 * 1024).min(room) as usize;
                out.reserve_exact(grow);
            }
            let mut buf = OutBuffer::around_pos(out, out.len());
            let hint = dctx
                .decompress_stream(&mut buf, &mut input)
                .map_err(corrupt)?;
            if out.len() as u64 > limit {
                return Err(DecompressErrorKind::TooLarge { limit });
            }
            let input_done = input.pos() == data.len();
            if hint == 0 && input_done {
                return Ok(());
            }
            if input_done && out.len() < out.capacity() {
                // The decoder had room to write but wants more input: there is none.
                return Err(DecompressErrorKind::Truncated);
            }
        }
    })
}

/// A streaming decoder of `format` over `r`.
fn decoder<'a, R: BufRead + Send + 'a>(
    format: Format,
    r: R,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(match format {
        Format::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        Format::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        #[cfg(feature = "lz4")]
        Format::Lz4 => Box::new(Lz4Reader::new(r)),
        #[cfg(feature = "bzip2")]
        Format::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(r)),
        #[cfg(feature = "xz")]
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            r,
            true,
            XZ_MEM_LIMIT_KB,
        )),
        #[allow(unreachable_patterns)]
        _ => return Err(DecompressError::new(format, DecompressErrorKind::Unsupported).into()),
    })
}

/// Opens a message file for streaming: decompressing when it is compressed.
pub(crate) fn open(
    path: &Path,
    limits: &DecompressLimits,
    size_hint: Option<u64>,
) -> io::Result<MessageReader> {
    // Regular files only, no symbolic link followed, reads bounded by the fstat size.
    let (mut file, meta) = crate::msgfile::open(path)?;
    let file_len = meta.len();
    let mut head = [0u8; Format::DETECT_LEN];
    let n = read_full(&mut (&mut file).take(file_len), &mut head)?;
    if n > 0 {
        file.seek(SeekFrom::Start(0))?;
    }
    let file = file.take(file_len);
    let Some(format) = Format::detect(&head[..n]) else {
        return Ok(MessageReader {
            inner: Inner::Plain(file),
            file_len,
        });
    };
    let limit = limits.limit_for(file_len, size_hint);
    let inner = decoder(format, BufReader::with_capacity(32 * 1024, Source(file)))?;
    Ok(MessageReader {
        file_len,
        inner: Inner::Compressed(Limited {
            inner,
            format,
            limit,
            produced: 0,
        }),
    })
}

/// A message file opened by [`crate::MessageEntry::open`]: reads the message itself, decompressing
/// on the fly when the file is compressed, and fails once it grows past its limit.
///
/// Errors of a compressed file carry a [`DecompressError`] ([`DecompressError::of`]); other I/O
/// errors (of the file itself) are passed through unchanged.
pub struct MessageReader {
    inner: Inner,
    /// The file's size (`fstat` at open).
    file_len: u64,
}

enum Inner {
    Plain(io::Take<File>),
    Compressed(Limited<Box<dyn Read + Send>>),
}

impl fmt::Debug for MessageReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MessageReader");
        if let Inner::Compressed(l) = &self.inner {
            d.field("format", &l.format)
                .field("limit", &l.limit)
                .field("produced", &l.produced);
        }
        d.finish_non_exhaustive()
    }
}

impl MessageReader {
    /// The size of the file as stored (from `fstat` when it was opened; compressed size for a
    /// compressed file). Reads never go past it.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// The compression of the file; `None` for a plain message.
    pub fn format(&self) -> Option<Format> {
        match &self.inner {
            Inner::Plain(_) => None,
            Inner::Compressed(l) => Some(l.format),
        }
    }
}

impl Read for MessageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Plain(f) => f.read(buf),
            Inner::Compressed(l) => l.read(buf),
        }
    }
}

/// A decoder that fails once it has produced more than `limit` bytes, with its errors classified.
struct Limited<R> {
    inner: R,
    format: Format,
    limit: u64,
    produced: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let format = self.format;
        // At most one byte past the limit, so that a bomb is seen.
        let room = (self.limit.saturating_add(1) - self.produced).min(buf.len() as u64) as usize;
        let n = self
            .inner
            .read(&mut buf[..room])
            .map_err(|e| classify(format, e))?;
        self.produced += n as u64;
        if self.produced > self.limit {
            let limit = self.limit;
            return Err(
                DecompressError::new(format, DecompressErrorKind::TooLarge { limit }).into(),
            );
        }
        Ok(n)
    }
}

/// A decoder's error as a [`DecompressError`], except errors of the file itself ([`Source`]).
fn classify(format: Format, e: io::Error) -> io::Error {
    if DecompressError::of(&e).is_some() {
        return e;
    }
    if e.get_ref().is_some_and(|i| i.is::<SourceError>()) {
        let kind = e.kind();
        return match e.into_inner().map(|i| i.downcast::<SourceError>()) {
            Some(Ok(source)) => source.0,
            _ => io::Error::from(kind),
        };
    }
    let kind = match e.kind() {
        io::ErrorKind::UnexpectedEof => DecompressErrorKind::Truncated,
        _ => DecompressErrorKind::Corrupt(e.to_string()),
    };
    DecompressError::new(format, kind).into()
}

/// The file under a decoder: tags its errors so that they are not taken for corrupt data.
struct Source(io::Take<File>);

#[derive(Debug)]
struct SourceError(io::Error);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SourceError {}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), SourceError(e)))
    }
}

/// Reads until `buf` is full or the end; returns the bytes read.
pub(crate) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Dovecot's lz4 stream (`iostream-lz4.h`): a header, then length-prefixed LZ4 blocks of at most
/// the header's chunk size each.
#[cfg(feature = "lz4")]
struct Lz4Reader<R> {
    inner: R,
    /// From the header; 0 until it is read.
    max_chunk: usize,
    chunk: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
}

#[cfg(feature = "lz4")]
impl<R: Read> Lz4Reader<R> {
    fn new(inner: R) -> Self {
        Lz4Reader {
            inner,
            max_chunk: 0,
            chunk: Vec::new(),
            out: Vec::new(),
            pos: 0,
        }
    }

    fn error(kind: DecompressErrorKind) -> io::Error {
        DecompressError::new(Format::Lz4, kind).into()
    }

    fn corrupt(why: impl Into<String>) -> io::Error {
        Self::error(DecompressErrorKind::Corrupt(why.into()))
    }

    /// Decodes the next chunk into `out`; false at the end of the stream.
    fn next_chunk(&mut self) -> io::Result<bool> {
        if self.max_chunk == 0 {
            let mut header = [0u8; LZ4_MAGIC.len() + 4];
            if read_full(&mut self.inner, &mut header)? < header.len() {
                return Err(Self::error(DecompressErrorKind::Truncated));
            }
            if !header.starts_with(LZ4_MAGIC) {
                return Err(Self::corrupt("wrong magic in header"));
            }
            let size = u32::from_be_bytes(header[LZ4_MAGIC.len()..].try_into().expect("4 bytes"));
            if size == 0 || size as usize > LZ4_MAX_CHUNK {
                return Err(Self::corrupt(format!("max chunk size {size} out of range")));
            }
            self.max_chunk = size as usize;
        }
        let mut prefix = [0u8; 4];
        match read_full(&mut self.inner, &mut prefix)? {
            0 => return Ok(false),
            4 => {}
            _ => return Err(Self::error(DecompressErrorKind::Truncated)),
        }
        let size = u32::from_be_bytes(prefix) as usize;
        if size == 0 || size > LZ4_MAX_CHUNK {
            return Err(Self::corrupt(format!("invalid chunk size {size}")));
        }
        self.chunk.resize(size, 0);
        if read_full(&mut self.inner, &mut self.chunk)? < size {
            return Err(Self::error(DecompressErrorKind::Truncated));
        }
        self.out.resize(self.max_chunk, 0);
        let n = lz4_flex::block::decompress_into(&self.chunk, &mut self.out)
            .map_err(|e| Self::corrupt(e.to_string()))?;
        self.out.truncate(n);
        self.pos = 0;
        Ok(true)
    }
}

#[cfg(feature = "lz4")]
impl<R: Read> Read for Lz4Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if buf.is_empty() || !self.next_chunk()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes `bytes` in Dovecot's lz4 format (tests only: mailfts never writes lz4).
#[cfg(all(test, feature = "lz4"))]
pub(crate) fn dovecot_lz4(bytes: &[u8]) -> Vec<u8> {
    let mut out = LZ4_MAGIC.to_vec();
    out.extend_from_slice(&(LZ4_CHUNK as u32).to_be_bytes());
    for chunk in bytes.chunks(LZ4_CHUNK) {
        let block = lz4_flex::block::compress(chunk);
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&block);
    }
    out
}

#[cfg(all(test, feature = "lz4", feature = "bzip2", feature = "xz"))]
mod tests {
    use super::*;

    fn message() -> Vec<u8> {
        let mut m = b"From: a@example.org\r\nSubject: compressed\r\n\r\n".to_vec();
        for i in 0..20_000 {
            m.extend_from_slice(
                format!("line {i} of the body, gadget {}\r\n", i * 7919 % 1000).as_bytes(),
            );
        }
        m
    }

    fn encoded(format: Format, msg: &[u8]) -> Vec<u8> {
        match format {
            Format::Gzip => compress(msg, Compression::Gzip, None).unwrap(),
            Format::Zstd => compress(msg, Compression::Zstd, None).unwrap(),
            Format::Lz4 => dovecot_lz4(msg),
            Format::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(6));
                e.write_all(msg).unwrap();
                e.finish().unwrap()
            }
            Format::Xz => {
                let mut w =
                    lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6))
                        .unwrap();
                w.write_all(msg).unwrap();
                w.finish().unwrap()
            }
        }
    }

    const ALL: [Format; 5] = [
        Format::Gzip,
        Format::Zstd,
        Format::Lz4,
        Format::Bzip2,
        Format::Xz,
    ];

    fn limits() -> DecompressLimits {
        DecompressLimits::default()
    }

    fn kind_of(e: &io::Error) -> DecompressErrorKind {
        DecompressError::of(e)
            .unwrap_or_else(|| panic!("not a decompression error: {e:?}"))
            .kind
            .clone()
    }

    #[test]
    fn every_format_round_trips_and_is_detected() {
        let msg = message();
        for format in ALL {
            let data = encoded(format, &msg);
            assert_eq!(Format::detect(&data), Some(format), "{format}");
            assert!(data.len() < msg.len() / 2, "{format}: {}", data.len());
            assert_eq!(
                decompress(data.clone(), &limits(), None).unwrap(),
                msg,
                "{format}"
            );
            let hinted = decompress(data, &limits(), Some(msg.len() as u64)).unwrap();
            assert_eq!(hinted, msg, "{format} with size hint");
        }
        assert_eq!(Format::detect(&msg), None);
        assert_eq!(decompress(msg.clone(), &limits(), None).unwrap(), msg);
        assert_eq!(decompress(Vec::new(), &limits(), None).unwrap(), b"");
    }

    #[test]
    fn concatenated_streams_are_one_message() {
        let (a, b) = (
            b"Subject: a\r\n\r\nfirst ".as_slice(),
            b"second\r\n".as_slice(),
        );
        for c in [Compression::Zstd, Compression::Gzip] {
            let mut data = compress(a, c, None).unwrap();
            data.extend(compress(b, c, None).unwrap());
            assert_eq!(
                decompress(data, &limits(), None).unwrap(),
                [a, b].concat(),
                "{c}"
            );
        }
    }

    #[test]
    fn truncated_files_are_errors_of_their_format() {
        let msg = message();
        for format in ALL {
            let data = encoded(format, &msg);
            for cut in [data.len() - 1, data.len() / 2, Format::DETECT_LEN.max(10)] {
                let err = decompress(data[..cut].to_vec(), &limits(), None).unwrap_err();
                let de = DecompressError::of(&err).expect("decompress error");
                assert_eq!(de.format, format);
                assert!(
                    matches!(
                        de.kind,
                        DecompressErrorKind::Truncated | DecompressErrorKind::Corrupt(_)
                    ),
                    "{format} cut at {cut}: {err}"
                );
            }
            // Cut inside the data (not in a trailer): always recognised as truncated.
            let err = decompress(data[..data.len() / 2].to_vec(), &limits(), None).unwrap_err();
            assert_eq!(
                kind_of(&err),
                DecompressErrorKind::Truncated,
                "{format}: {err}"
            );
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
            assert_eq!(
                DecompressError::of(&err).unwrap().problem(),
                format!("compression: truncated {format}")
            );
        }
    }

    #[test]
    fn corrupt_data_is_an_error() {
        let msg = message();
        for format in ALL {
            let mut data = encoded(format, &msg);
            let n = data.len();
            for b in &mut data[n / 3..n / 3 + 64] {
                *b ^= 0x5a;
            }
            let err = decompress(data, &limits(), None).unwrap_err();
            assert!(DecompressError::of(&err).is_some(), "{format}: {err:?}");
        }
    }

    #[test]
    fn bombs_stop_at_the_limit() {
        let zeros = vec![b'a'; 8 << 20];
        let small = DecompressLimits {
            max_size: 4 << 20,
            ..DecompressLimits::default()
        };
        for format in ALL {
            let data = encoded(format, &zeros);
            // 64 × the file size (a few KB; lz4: 35 KB) < 8 MiB.
            let limit = limits().limit_for(data.len() as u64, None);
            assert!(limit < 4 << 20, "{format}: {}", data.len());
            let err = decompress(data.clone(), &limits(), None).unwrap_err();
            assert_eq!(
                kind_of(&err),
                DecompressErrorKind::TooLarge { limit },
                "{format}"
            );
            assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
            assert_eq!(
                DecompressError::of(&err).unwrap().problem(),
                "compression: bomb"
            );
            // The ,S= size lifts the ratio limit, but never past max_size.
            let ok = decompress(data.clone(), &limits(), Some(8 << 20)).unwrap();
            assert_eq!(ok.len(), 8 << 20);
            let err = decompress(data, &small, Some(8 << 20)).unwrap_err();
            assert_eq!(
                kind_of(&err),
                DecompressErrorKind::TooLarge { limit: 4 << 20 },
                "{format}"
            );
        }
    }

    #[test]
    fn limit_formula() {
        let l = DecompressLimits::default();
        assert_eq!(l.limit_for(100, None), 1 << 20);
        assert_eq!(l.limit_for(1 << 20, None), 64 << 20);
        assert_eq!(l.limit_for(100 << 20, None), 256 << 20);
        assert_eq!(l.limit_for(100, Some(5 << 20)), 5 << 20);
        assert_eq!(l.limit_for(100, Some(1 << 40)), 256 << 20);
        assert_eq!(DecompressLimits::UNLIMITED.limit_for(1, None), u64::MAX - 1);
    }

    #[test]
    fn streaming_reader_matches_and_stops_bombs() {
        let dir = tempfile::tempdir().unwrap();
        let msg = message();
        for format in ALL {
            let path = dir.path().join(format.name());
            std::fs::write(&path, encoded(format, &msg)).unwrap();
            let mut r = open(&path, &limits(), None).unwrap();
            assert_eq!(r.format(), Some(format));
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, msg, "{format}");
            // Only the first bytes: the header of the message.
            let mut head = [0u8; 20];
            open(&path, &limits(), None)
                .unwrap()
                .read_exact(&mut head)
                .unwrap();
            assert_eq!(&head, &msg[..20]);

            let bomb = encoded(format, &vec![0u8; 8 << 20]);
            let limit = limits().limit_for(bomb.len() as u64, None);
            std::fs::write(&path, bomb).unwrap();
            let err = open(&path, &limits(), None)
                .unwrap()
                .read_to_end(&mut Vec::new())
                .unwrap_err();
            assert_eq!(
                kind_of(&err),
                DecompressErrorKind::TooLarge { limit },
                "{format}"
            );
        }
        let plain = dir.path().join("plain");
        std::fs::write(&plain, &msg).unwrap();
        let mut r = open(&plain, &limits(), None).unwrap();
        assert_eq!(r.format(), None);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, msg);
        assert_eq!(
            open(&dir.path().join("gone"), &limits(), None)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn detection_needs_the_whole_magic() {
        assert_eq!(Format::detect(b"BZh91AY&SY rest"), Some(Format::Bzip2));
        assert_eq!(Format::detect(b"BZh9 not bzip2"), None);
        assert_eq!(Format::detect(b"Dovecot-LZ4"), None);
        assert_eq!(Format::detect(&[0x28, 0xb5, 0x2f]), None);
        assert_eq!(Format::detect(b"Received: from x\r\n"), None);
    }

    #[test]
    fn compression_names() {
        for c in [Compression::None, Compression::Zstd, Compression::Gzip] {
            assert_eq!(c.name().parse::<Compression>().unwrap(), c);
        }
        assert_eq!("GZ".parse::<Compression>().unwrap(), Compression::Gzip);
        assert!("lz4".parse::<Compression>().is_err());
        assert_eq!(compress(b"x", Compression::None, None).unwrap(), b"x");
    }
}

#[cfg(all(test, not(feature = "xz")))]
mod unsupported {
    use super::*;

    #[test]
    fn a_format_without_its_feature_is_an_error_of_that_message() {
        let data = b"\xfd7zXZ\0\0\x04\xe6\xd6\xb4\x46".to_vec();
        let err = decompress(data, &DecompressLimits::default(), None).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        let de = DecompressError::of(&err).unwrap();
        assert_eq!(de.kind, DecompressErrorKind::Unsupported);
        assert_eq!(de.problem(), "compression: unsupported xz");
        assert_eq!(err.to_string(), "unsupported compression: xz");
        assert!(!Format::Xz.is_supported());
    }
}
