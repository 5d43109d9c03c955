//! A server on a loopback port with two users, a line-oriented client, and the C:/S: transcript
//! runner.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mailfts_imap_glue::{serve, CancellationToken, DirectIndexing, ImapConfig};
use mailfts_store::{Flags, Store};

/// The users of every test server: (user, password).
pub const USERS: [(&str, &str); 2] = [("alice", "alice-pw"), ("bob", "bob-pw")];

/// A running server; stopped on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub passwd: PathBuf,
    pub hooks: Arc<DirectIndexing>,
    shutdown: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Plaintext logins allowed, 50 ms failed-login delay, IDLE polling every 100 ms; `tweak`
    /// changes the rest.
    pub fn start(tweak: impl FnOnce(&mut ImapConfig)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        let mut lines = String::new();
        for (user, pw) in USERS {
            let home = dir.path().join(user);
            Store::create(home.join("Maildir")).unwrap();
            lines.push_str(&format!(
                // No uid/gid: sessions act as the test process (see crate::creds).
                "{user}:{{PLAIN}}{pw}::::{}::\n",
                home.display()
            ));
        }
        std::fs::write(&passwd, lines).unwrap();
        TestServer::serve_in(dir, tweak)
    }

    /// The same homes served by a new server (this one is shut down first), as after a restart.
    pub fn restart(mut self) -> TestServer {
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        drop(self);
        TestServer::serve_in(dir, |_| {})
    }

    /// A server for the homes and passwd file in `dir`.
    fn serve_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut ImapConfig)) -> TestServer {
        let passwd = dir.path().join("passwd");
        let mut config = ImapConfig::new(&passwd);
        config.allow_plaintext = true;
        config.auth_failure_delay = Duration::from_millis(50);
        config.idle_poll = Duration::from_millis(100);
        tweak(&mut config);
        let mut hooks = DirectIndexing::new();
        hooks.batch_delay = Duration::from_millis(20);
        let hooks = Arc::new(hooks);
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let (stop, h) = (shutdown.clone(), hooks.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                serve(listener, Arc::new(config), h, stop).await.unwrap();
            });
        });
        TestServer {
            addr,
            dir,
            passwd,
            hooks,
            shutdown,
            thread: Some(thread),
        }
    }

    pub fn home(&self, user: &str) -> PathBuf {
        self.dir.path().join(user)
    }

    pub fn store(&self, user: &str) -> Store {
        Store::open(self.home(user).join("Maildir")).unwrap()
    }

    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// A logged-in client.
    pub fn login(&self, user: &str) -> Client {
        let pw = USERS.iter().find(|u| u.0 == user).unwrap().1;
        let mut c = self.client();
        let r = c.command("L0", &format!("LOGIN {user} {pw}"));
        assert!(r.last().unwrap().starts_with("L0 OK"), "{r:?}");
        c
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Three small messages with fixed dates in INBOX (UIDs 1..=3), as the transcripts expect.
pub fn fixture_inbox(store: &Store) {
    let inbox = store.mailbox("INBOX").unwrap();
    let msgs: [(&str, Flags, i64); 3] = [
        (
            "From: Alice Example <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Quarterly report\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n\r\nThe numbers are in.\r\n",
            Flags::SEEN,
            1_704_103_200,
        ),
        (
            "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Re: Quarterly report\r\nDate: Tue, 2 Jan 2024 09:00:00 +0000\r\nMessage-ID: <m2@example.org>\r\nIn-Reply-To: <m1@example.org>\r\nReferences: <m1@example.org>\r\n\r\nThanks! Gr\u{fc}\u{df}e.\r\n",
            Flags::empty(),
            1_704_186_000,
        ),
        (
            "From: Carol <carol@example.net>\r\nTo: alice@example.org\r\nSubject: =?utf-8?q?Stra=C3=9Fe?= party\r\nDate: Sun, 31 Dec 2023 20:00:00 +0000\r\nMessage-ID: <m3@example.net>\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCome over.\r\n--b1\r\nContent-Type: text/calendar; name=invite.ics\r\nContent-Disposition: attachment; filename=invite.ics\r\n\r\nBEGIN:VCALENDAR\r\n--b1--\r\n",
            Flags::FLAGGED,
            1_704_052_800,
        ),
    ];
    for (body, flags, date) in msgs {
        inbox.save(body.as_bytes(), flags, &[], Some(date)).unwrap();
    }
}

/// A blocking line client.
pub struct Client {
    reader: BufReader<TcpStream>,
    pub greeting: String,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        Client::from_stream(TcpStream::connect(addr).unwrap())
    }

    /// A client on an already connected stream (e.g. bound to another loopback address).
    pub fn from_stream(stream: TcpStream) -> Client {
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut c = Client {
            reader: BufReader::new(stream),
            greeting: String::new(),
        };
        c.greeting = c.line();
        c
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// Sends `tag command` and asserts that it is answered BAD (and the connection stays).
    pub fn assert_bad(&mut self, tag: &str, command: &str) {
        let r = self.command(tag, command);
        assert!(
            r.last().unwrap().starts_with(&format!("{tag} BAD")),
            "{command}: {r:?}"
        );
    }

    /// Reads response lines until one equals `want` (without its CRLF); returns them all, that
    /// one last (panics on the read timeout).
    pub fn wait_for(&mut self, want: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let l = self.line();
            let done = l.strip_suffix("\r\n") == Some(want);
            seen.push(l);
            if done {
                return seen;
            }
        }
    }

    /// One response line with any literals it carries, as text (CRLF kept).
    pub fn line(&mut self) -> String {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            self.reader.read_until(b'\n', &mut line).unwrap();
            assert!(
                !line.is_empty(),
                "connection closed; got so far {:?}",
                String::from_utf8_lossy(&out)
            );
            out.extend_from_slice(&line);
            let Some(n) = literal_len(&line) else { break };
            let mut data = vec![0; n];
            self.reader.read_exact(&mut data).unwrap();
            out.extend_from_slice(&data);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Sends `tag text` and returns every line up to and including the tagged one.
    pub fn command(&mut self, tag: &str, text: &str) -> Vec<String> {
        self.send(format!("{tag} {text}\r\n").as_bytes());
        self.until_tagged(tag)
    }

    pub fn until_tagged(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let l = self.line();
            let done = l.starts_with(&format!("{tag} "));
            lines.push(l);
            if done {
                return lines;
            }
        }
    }

    /// True when the server closed the connection (reads EOF within the timeout).
    pub fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        self.reader.read_to_end(&mut rest).is_ok()
    }
}

fn literal_len(line: &[u8]) -> Option<usize> {
    let l = line.strip_suffix(b"\r\n")?;
    let inner = l.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&inner[open + 1..]).ok()?.parse().ok()
}

/// Runs a C:/S: transcript: `C:` lines are sent (CRLF added), `S:` lines must come back exactly;
/// in `S:` lines `<any>` matches any text and a literal's CRLFs are written `\r\n`. Blank lines
/// and `#` comments are skipped; a `---` line closes the connection, and the next line opens a new
/// one (its first `S:` line is the greeting).
#[track_caller]
pub fn run_transcript(addr: SocketAddr, script: &str) {
    let mut c: Option<Client> = None;
    for (no, raw) in script.lines().enumerate() {
        let line = raw.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "---" {
            c = None;
            continue;
        }
        if let Some(cmd) = line.strip_prefix("C: ") {
            let client = c.get_or_insert_with(|| Client::connect(addr));
            client.send(format!("{}\r\n", cmd.replace("\\r\\n", "\r\n")).as_bytes());
        } else if let Some(want) = line.strip_prefix("S: ") {
            let client = c.get_or_insert_with(|| Client::connect(addr));
            // The first S: line of a connection is its greeting.
            let got = if client.greeting.is_empty() {
                client.line()
            } else {
                std::mem::take(&mut client.greeting)
            };
            let shown = got.trim_end_matches("\r\n").replace("\r\n", "\\r\\n");
            assert!(
                glob(want, &shown),
                "transcript line {}:\n want: {want}\n  got: {shown}",
                no + 1
            );
        } else {
            panic!("transcript line {}: neither C: nor S:: {line}", no + 1);
        }
    }
}

/// `pattern` with `<any>` wildcards matches `text` entirely.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split("<any>").collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            let Some(pos) = rest.find(p) else {
                return false;
            };
            rest = &rest[pos + p.len()..];
        }
    }
    true
}

/// Path of a file under `imap-glue/tests/`.
pub fn test_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}
