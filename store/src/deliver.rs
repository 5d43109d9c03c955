//! Maildir delivery helpers: unique file names and durable writes to `tmp/`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new unique basename `<secs>.M<micros>P<pid>Q<counter>.<hostname>[,S=<size>][,W=<vsize>]`.
pub(crate) fn unique_basename(size: Option<u64>, vsize: Option<u64>) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let q = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!(
        "{}.M{}P{}Q{q}.{}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        hostname()
    );
    if let Some(s) = size {
        name.push_str(&format!(",S={s}"));
    }
    if let Some(w) = vsize {
        name.push_str(&format!(",W={w}"));
    }
    name
}

/// The host name with `/`, `:` and `,` escaped as Maildir requires (`\057`, `\072`, `\054`).
fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let raw = ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .find_map(|p| {
                std::fs::read_to_string(p)
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| "localhost".to_owned());
        let mut out = String::with_capacity(raw.len());
        for c in raw.chars() {
            match c {
                '/' => out.push_str("\\057"),
                ':' => out.push_str("\\072"),
                ',' => out.push_str("\\054"),
                c if c.is_control() || c == '\n' => {}
                c => out.push(c),
            }
        }
        out
    })
}

/// The size of the message with every bare LF counted as CRLF (IMAP `RFC822.SIZE`).
pub(crate) fn vsize(bytes: &[u8]) -> u64 {
    let bare_lf = memchr::memchr_iter(b'\n', bytes)
        .filter(|&i| i == 0 || bytes[i - 1] != b'\r')
        .count();
    (bytes.len() + bare_lf) as u64
}

/// A unix time in seconds as a `SystemTime` (negative means before 1970).
pub(crate) fn system_time(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

/// A `SystemTime` as unix seconds (negative before 1970, rounded down).
pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    }
}

/// Creates `path` (which must not exist), writes `bytes`, sets the mtime and fsyncs.
pub(crate) fn write_new(path: &Path, bytes: &[u8], mtime: Option<i64>) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    finish(&f, mtime)
}

/// Sets the mtime (if given) and fsyncs a freshly written file.
pub(crate) fn finish(f: &File, mtime: Option<i64>) -> io::Result<()> {
    if let Some(secs) = mtime {
        f.set_modified(system_time(secs))?;
    }
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_well_formed() {
        let a = unique_basename(Some(10), Some(12));
        let b = unique_basename(None, None);
        assert_ne!(a, b);
        assert!(a.ends_with(",S=10,W=12"), "{a}");
        assert!(!a.contains(':') && !a.contains('/'), "{a}");
        assert_eq!(crate::filename::size_field(&a, b'S'), Some(10));
    }

    #[test]
    fn vsize_counts_bare_lf() {
        assert_eq!(vsize(b"a\nb\r\nc\n"), 9);
        assert_eq!(vsize(b"\n"), 2);
        assert_eq!(vsize(b""), 0);
    }
}
