//! End-to-end tests of the `mailfts` binary on Maildirs compressed the way Dovecot's zlib plugin
//! compresses them (issue 8): the same messages plain and compressed give the same answers, broken
//! compressed files are counted and skipped, and (when Dovecot 2.3 is installed and we are root)
//! mail that Dovecot wrote with `zlib_save = zstd` is indexed and found, and mail that mailfts
//! wrote compressed is read by Dovecot. Without Dovecot the Dovecot test is skipped, unless `CI`
//! is set: then it fails.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use mailfts_corpora::tools::{require, require_tool};
use mailfts_corpora::{folder_dir, generate_message, CorpusSpec};
use mailfts_store::compress::compress;
use mailfts_store::{Compression, Format};
use support::run_ok;

fn rescan_json(home: &Path) -> serde_json::Value {
    let out = run_ok(&["rescan", "--home", home.to_str().unwrap(), "--json"]);
    serde_json::from_str(out.trim()).expect("rescan --json prints one object")
}

/// `mailfts search --all-mailboxes` as mailbox → UIDs.
fn search(home: &Path, scan: bool, query: &str) -> BTreeMap<String, Vec<u32>> {
    let mut args = vec![
        "search",
        "--home",
        home.to_str().unwrap(),
        "--all-mailboxes",
    ];
    if scan {
        args.push("--scan");
    }
    args.extend(["--", query]);
    run_ok(&args)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(mailbox, uids)| {
            let uids = uids
                .split_whitespace()
                .map(|u| u.parse().expect("UID"))
                .collect();
            (mailbox.trim().to_owned(), uids)
        })
        .collect()
}

/// Content, header and size keys: answered by the index, by verification and by the scan.
const QUERIES: &[&str] = &[
    "ALL",
    "BODY gadget",
    "BODY \"usb gadget\"",
    "TEXT usb",
    "TEXT example.org",
    "FROM example",
    "FROM corp.example.com",
    "SUBJECT re",
    "TO brian",
    "LARGER 4000",
    "SMALLER 2500",
    "OR BODY driver SUBJECT meeting",
    "NOT BODY the",
];

/// Writes a file with its mtime (INTERNALDATE).
fn write_file(path: &Path, bytes: &[u8], mtime: i64) {
    let mut f = fs::File::create(path).unwrap();
    f.write_all(bytes).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(mtime as u64))
        .unwrap();
}

/// `name` with `,S=<size>` added to its basename (before the `:2,` info).
fn with_size(name: &str, size: usize) -> String {
    match name.split_once(':') {
        Some((base, info)) => format!("{base},S={size}:{info}"),
        None => format!("{name},S={size}"),
    }
}

fn make_folders(root: &Path, spec: &CorpusSpec) {
    for folder in &spec.folders {
        let dir = folder_dir(root, folder);
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        if !folder.eq_ignore_ascii_case("INBOX") {
            fs::write(dir.join("maildirfolder"), "").unwrap();
        }
    }
}

/// The same generated messages in `plain/Maildir` and in `compressed/Maildir`, where every other
/// message is compressed: zstd with `,S=` in its name (as Dovecot writes it), or gzip without.
/// Returns the number of messages in INBOX.
fn make_homes(plain: &Path, compressed: &Path, messages: usize) -> usize {
    let spec = CorpusSpec::new(8, messages);
    let (p, c) = (plain.join("Maildir"), compressed.join("Maildir"));
    make_folders(&p, &spec);
    make_folders(&c, &spec);
    let mut inbox = 0;
    for i in 0..messages {
        let m = generate_message(&spec, i);
        inbox += usize::from(m.folder == "INBOX");
        let sub = if m.in_new { "new" } else { "cur" };
        write_file(
            &folder_dir(&p, &m.folder).join(sub).join(&m.file_name),
            &m.bytes,
            m.internal_date,
        );
        let dir = folder_dir(&c, &m.folder).join(sub);
        let (name, bytes) = match i % 4 {
            1 => (
                with_size(&m.file_name, m.bytes.len()),
                compress(&m.bytes, Compression::Zstd, None).unwrap(),
            ),
            3 => (
                m.file_name.clone(),
                compress(&m.bytes, Compression::Gzip, None).unwrap(),
            ),
            _ => (m.file_name.clone(), m.bytes.clone()),
        };
        write_file(&dir.join(name), &bytes, m.internal_date);
    }
    inbox
}

#[test]
fn compressed_and_plain_maildirs_give_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, compressed) = (dir.path().join("plain"), dir.path().join("compressed"));
    let n = 400;
    let inbox = make_homes(&plain, &compressed, n);

    // Two broken files after the last INBOX message: a truncated zstd file and a zstd bomb
    // (16 MiB of one letter in 2 KB, far past 64× its size).
    let cur = compressed.join("Maildir/cur");
    let sample = generate_message(&CorpusSpec::new(8, n), 0).bytes;
    let z = compress(&sample, Compression::Zstd, None).unwrap();
    write_file(
        &cur.join("2000000000.M1P1.broken:2,S"),
        &z[..z.len() / 2],
        2_000_000_000,
    );
    let bomb = compress(&vec![b'a'; 16 << 20], Compression::Zstd, Some(19)).unwrap();
    assert!(bomb.len() < 4096, "{}", bomb.len());
    write_file(&cur.join("2000000001.M2P1.bomb:2,S"), &bomb, 2_000_000_001);
    let broken = [inbox as u32 + 1, inbox as u32 + 2];
    let (zstd_files, gzip_files) = count_formats(&compressed.join("Maildir"));
    assert_eq!((zstd_files, gzip_files), (n / 4 + 2, n / 4));

    // Before indexing: the scan of a home without an index.
    for q in ["BODY gadget", "FROM example", "LARGER 4000"] {
        let (a, b) = (search(&plain, true, q), search(&compressed, true, q));
        assert_eq!(a, without(b, &broken), "--scan {q} before rescan");
    }

    let r = rescan_json(&plain);
    assert_eq!(
        (r["added"].as_u64(), r["failed"].as_u64()),
        (Some(n as u64), Some(0))
    );
    let r = rescan_json(&compressed);
    assert_eq!(r["added"].as_u64(), Some(n as u64), "{r}");
    assert_eq!(r["failed"].as_u64(), Some(2), "{r}");
    assert_eq!(r["problems"]["compression: truncated zstd"], 1, "{r}");
    assert_eq!(r["problems"]["compression: bomb"], 1, "{r}");
    // Uncompressed bytes: the same amount of mail was read.
    let rp = rescan_json(&plain);
    assert_eq!(rp["added"], 0);

    let mut hits = 0;
    for q in QUERIES {
        for scan in [false, true] {
            let a = search(&plain, scan, q);
            let b = without(search(&compressed, scan, q), &broken);
            assert_eq!(a, b, "{q} (scan: {scan})");
            hits += a.values().map(Vec::len).sum::<usize>();
        }
    }
    assert!(hits > n, "the queries find something: {hits}");
    for q in ["BODY gadget", "FROM example", "LARGER 4000", "SMALLER 2500"] {
        assert!(!search(&plain, false, q).is_empty(), "{q} finds something");
    }
    // The broken messages match no content key.
    for scan in [false, true] {
        let found = search(&compressed, scan, "OR BODY a OR FROM a SUBJECT a");
        assert!(
            !found["INBOX"].iter().any(|u| broken.contains(u)),
            "{found:?}"
        );
    }

    // A second rescan retries the broken files (still failing), adds nothing.
    let again = rescan_json(&compressed);
    assert_eq!(
        (again["added"].as_u64(), again["failed"].as_u64()),
        (Some(0), Some(2))
    );
}

/// Drops the broken INBOX UIDs from a search answer.
fn without(mut answer: BTreeMap<String, Vec<u32>>, broken: &[u32]) -> BTreeMap<String, Vec<u32>> {
    if let Some(uids) = answer.get_mut("INBOX") {
        uids.retain(|u| !broken.contains(u));
    }
    answer
}

/// (zstd, gzip) message files under a Maildir root.
fn count_formats(root: &Path) -> (usize, usize) {
    let (mut z, mut g) = (0, 0);
    for file in message_files(root) {
        match Format::detect(&fs::read(&file).unwrap()) {
            Some(Format::Zstd) => z += 1,
            Some(Format::Gzip) => g += 1,
            _ => {}
        }
    }
    (z, g)
}

fn message_files(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.to_path_buf()];
    for e in fs::read_dir(root).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with('.') && e.path().is_dir() {
            dirs.push(e.path());
        }
    }
    let mut files = Vec::new();
    for d in dirs {
        for sub in ["cur", "new"] {
            if let Ok(rd) = fs::read_dir(d.join(sub)) {
                files.extend(rd.flatten().map(|e| e.path()));
            }
        }
    }
    files.sort();
    files
}

// ------------------------------------------------------------------------------------------------
// Dovecot (optional)

/// A private Dovecot 2.3 configuration with the zlib plugin writing zstd: nothing listens;
/// `doveadm exec imap` runs a pre-authenticated IMAP session on stdin/stdout.
struct Dovecot {
    conf: PathBuf,
    home: PathBuf,
}

impl Dovecot {
    /// `None` (with the reason) when Dovecot is not installed or we are not root.
    fn setup(dir: &Path) -> Result<Dovecot, String> {
        let version = Command::new("dovecot")
            .arg("--version")
            .output()
            .map_err(|_| "dovecot is not installed".to_owned())?;
        let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
        if !version.starts_with("2.3.") {
            return Err(format!("Dovecot 2.3 is needed, found {version:?}"));
        }
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("the test is not run as root (Dovecot drops to user nobody)".into());
        }
        let group = Command::new("id")
            .args(["-gn", "nobody"])
            .output()
            .map_err(|e| e.to_string())?;
        let group = String::from_utf8_lossy(&group.stdout).trim().to_owned();
        if group.is_empty() {
            return Err("there is no user nobody".into());
        }
        // Dovecot runs as nobody: it must traverse the temporary directory and own the home.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o711)).unwrap();
        let home = dir.join("home");
        for d in ["home", "run", "state"] {
            fs::create_dir_all(dir.join(d)).unwrap();
        }
        let chown = Command::new("chown")
            .args([&format!("nobody:{group}"), home.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(chown.success());
        let conf = dir.join("dovecot.conf");
        let d = dir.display();
        fs::write(
            &conf,
            format!(
                "protocols =\nlisten =\nssl = no\nbase_dir = {d}/run\nstate_dir = {d}/state\n\
                 log_path = {d}/dovecot.log\ninfo_log_path = {d}/dovecot.log\n\
                 first_valid_uid = 0\nfirst_valid_gid = 0\nmail_uid = nobody\nmail_gid = {group}\n\
                 mail_location = maildir:{h}/Maildir\nmail_plugins = zlib\n\
                 plugin {{\n  zlib_save = zstd\n}}\n\
                 passdb {{\n  driver = static\n  args = nopassword=y\n}}\n\
                 userdb {{\n  driver = static\n  args = uid=nobody gid={group} home={h}\n}}\n",
                h = home.display()
            ),
        )
        .unwrap();
        Ok(Dovecot { conf, home })
    }

    fn doveadm(&self, args: &[&str], stdin: &[u8]) -> String {
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .env("USER", "mailfts-test")
            .env("HOME", &self.home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn doveadm");
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "doveadm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// IMAP APPENDs of every message in one pre-authenticated session.
    fn append(&self, messages: &[Vec<u8>]) {
        let mut session = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            session.extend(format!("a{i} APPEND INBOX {{{}+}}\r\n", m.len()).into_bytes());
            session.extend_from_slice(m);
            session.extend_from_slice(b"\r\n");
        }
        session.extend_from_slice(b"z LOGOUT\r\n");
        let transcript = self.doveadm(&["exec", "imap"], &session);
        let ok = transcript
            .lines()
            .filter(|l| l.starts_with('a') && l.contains(" OK [APPENDUID"))
            .count();
        assert_eq!(ok, messages.len(), "{transcript}");
    }
}

#[test]
fn dovecot_zlib_zstd_mail_is_indexed_and_found() {
    let (Some(_), Some(_)) = (require_tool("dovecot"), require_tool("doveadm")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dovecot = match Dovecot::setup(dir.path()) {
        Ok(d) => d,
        Err(why) => {
            require(false, &why);
            return;
        }
    };
    let spec = CorpusSpec::new(21, 60);
    let messages: Vec<Vec<u8>> = (0..spec.messages)
        .map(|i| generate_message(&spec, i).bytes)
        .collect();
    dovecot.append(&messages);
    let home = dovecot.home.clone();
    let files = message_files(&home.join("Maildir"));
    assert_eq!(files.len(), messages.len());
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            Format::detect(&fs::read(f).unwrap()),
            Some(Format::Zstd),
            "{name}"
        );
        assert!(
            name.contains(",S="),
            "Dovecot writes the uncompressed size: {name}"
        );
    }

    // The same messages, plain, in APPEND order (UIDs 1..).
    let plain = dir.path().join("plain");
    fs::create_dir_all(plain.join("Maildir/tmp")).unwrap();
    fs::create_dir_all(plain.join("Maildir/new")).unwrap();
    fs::create_dir_all(plain.join("Maildir/cur")).unwrap();
    for (i, m) in messages.iter().enumerate() {
        let name = format!("{}.M{i}P1.plain:2,", 1_700_000_000 + i);
        write_file(&plain.join("Maildir/cur").join(name), m, 1_700_000_000);
    }

    let r = rescan_json(&home);
    assert_eq!(
        (r["added"].as_u64(), r["failed"].as_u64()),
        (Some(60), Some(0)),
        "{r}"
    );
    rescan_json(&plain);
    let mut hits = 0;
    for q in QUERIES.iter().filter(|q| **q != "ALL") {
        for scan in [false, true] {
            let (a, b) = (search(&plain, scan, q), search(&home, scan, q));
            assert_eq!(a, b, "{q} (scan: {scan})");
            hits += a.values().map(Vec::len).sum::<usize>();
        }
    }
    assert!(hits > 60, "{hits}");

    // Mail saved by mailfts with compress_new_mail = zstd is read by Dovecot.
    let store = mailfts_store::Store::open_with(
        home.join("Maildir"),
        mailfts_store::StoreOptions {
            compress_new_mail: Compression::Zstd,
            ..Default::default()
        },
    )
    .unwrap();
    let msg =
        b"From: mailfts@example.org\nSubject: saved by mailfts zstdcheck\n\nquokkaword body\n";
    let uid = store
        .mailbox("INBOX")
        .unwrap()
        .save(msg, mailfts_store::Flags::SEEN, &[], Some(1_700_000_000))
        .unwrap();
    assert_eq!(uid, 61, "mailfts follows Dovecot's UIDs");
    let saved = message_files(&home.join("Maildir"))
        .into_iter()
        .find(|f| f.to_string_lossy().contains(&format!(",S={}", msg.len())))
        .expect("the saved file");
    assert_eq!(
        Format::detect(&fs::read(&saved).unwrap()),
        Some(Format::Zstd)
    );
    let fetched = dovecot.doveadm(
        &["fetch", "text", "mailbox", "INBOX", "SUBJECT", "zstdcheck"],
        b"",
    );
    assert!(
        fetched.contains("quokkaword body"),
        "Dovecot reads it: {fetched}"
    );
    let size = dovecot.doveadm(
        &[
            "fetch",
            "size.virtual",
            "mailbox",
            "INBOX",
            "SUBJECT",
            "zstdcheck",
        ],
        b"",
    );
    assert!(
        size.contains(&format!("size.virtual: {}", msg.len() + 4)),
        "{size}"
    );
    rescan_json(&home);
    let found = search(&home, false, "BODY quokkaword");
    assert_eq!(found["INBOX"], [61]);
}
