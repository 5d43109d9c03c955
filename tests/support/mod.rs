//! Test support shared by the integration tests of the `mailfts` binary (`mod support;` in each
//! test file): running the binary, starting `mailfts serve`, passwd-files, and a small IMAP client.
//!
//! Each test binary uses part of it; the rest is dead code there, hence the `allow`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long any wait of these helpers (a daemon's start or stop, an IMAP answer) may take.
pub const DEADLINE: Duration = Duration::from_secs(90);

/// The admin token of the daemons the tests start.
pub const TOKEN: &str = "test-token-7f3a9c";

/// The `mailfts` binary, with the environment variables that would send the admin commands to a
/// daemon (`MAILFTS_DAEMON`, `MAILFTS_USER`, `MAILFTS_TOKEN_FILE`) removed.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailfts"));
    cmd.env_remove("MAILFTS_DAEMON")
        .env_remove("MAILFTS_USER")
        .env_remove("MAILFTS_TOKEN_FILE");
    cmd
}

/// Runs `mailfts args` to its end.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("spawn mailfts")
}

/// The standard output of a run that must have succeeded (else the test fails with its status and
/// standard error).
#[track_caller]
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// Runs `mailfts args`, which must succeed; its standard output.
#[track_caller]
pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "mailfts {args:?} failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Writes a passwd-file `dir/users` for `users` (name, home), each with the password
/// `pw-<name>` in the PLAIN scheme.
pub fn write_passwd(dir: &Path, users: &[(&str, &Path)]) -> PathBuf {
    let p = dir.join("users");
    let text: String = users
        .iter()
        .map(|(u, h)| format!("{u}:{{PLAIN}}pw-{u}::::{}::\n", h.display()))
        .collect();
    std::fs::write(&p, text).unwrap();
    p
}

/// Spawns `cmd` (a `mailfts serve ...`) with its standard error in `log`, and reads its standard
/// output until the daemon says it serves. Returns the child and the listeners it printed
/// (`mailfts: KIND listening on ADDR ...`): kind (`grpc`, `metrics`, `imap`, `imaps`, `solr`) →
/// address.
pub fn spawn_serve(mut cmd: Command, log: &Path) -> (Child, HashMap<String, String>) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("spawn mailfts serve");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut listeners = HashMap::new();
    let started = Instant::now();
    loop {
        let left = DEADLINE.saturating_sub(started.elapsed());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "daemon did not start: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        };
        let listener = line
            .strip_prefix("mailfts: ")
            .and_then(|l| l.split_once(" listening on "));
        if let Some((kind, rest)) = listener {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            listeners.insert(kind.to_string(), addr.to_string());
        } else if line.starts_with("mailfts: serving") {
            return (child, listeners);
        }
    }
}

/// The soft limit of open files a test daemon starts with: the customary default, which the daemon
/// raises to the hard limit (`src/limits.rs`).
pub const TEST_SOFT_NOFILE: u64 = 1024;

/// Starts `cmd` with the soft limit of open files at [`TEST_SOFT_NOFILE`] (when lower than now).
fn lower_open_files_limit(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only calls getrlimit and setrlimit, which are
    // async-signal-safe, and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0
                && lim.rlim_cur > TEST_SOFT_NOFILE as libc::rlim_t
            {
                lim.rlim_cur = TEST_SOFT_NOFILE as libc::rlim_t;
                libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            }
            Ok(())
        });
    }
}

/// The soft and hard limits of open files of process `pid` (`/proc/PID/limits`).
pub fn open_files_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let mut f = line["Max open files".len()..].split_whitespace();
    (f.next().unwrap().to_string(), f.next().unwrap().to_string())
}

/// A running `mailfts serve`, killed when dropped.
pub struct Served {
    /// The daemon's process.
    pub child: Child,
    /// The gRPC listener's address.
    pub grpc: String,
    /// The metrics listener's address.
    pub metrics: String,
    /// The IMAP listener's address, when one was asked for.
    pub imap: Option<String>,
    /// The gRPC local socket.
    pub socket: PathBuf,
    /// The daemon's standard error.
    pub log: PathBuf,
}

impl Served {
    /// Starts a daemon for the users of `passwd` on free loopback ports (port 0, read back from
    /// its stdout).
    pub fn start(dir: &Path, passwd: &Path, tag: &str) -> Served {
        Served::start_with(dir, passwd, tag, &[])
    }

    /// [`Served::start`] with `extra` arguments (after the defaults, so they may override them).
    /// Files are named by `tag`, so that several daemons can share `dir`.
    pub fn start_with(dir: &Path, passwd: &Path, tag: &str, extra: &[&str]) -> Served {
        let token = dir.join("token");
        std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
        let socket = dir.join(format!("grpc-{tag}.sock"));
        let log = dir.join(format!("serve-{tag}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailfts"));
        cmd.args(["serve", "--passwd"])
            .arg(passwd)
            .args([
                "--grpc-listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ])
            .arg("--grpc-token-file")
            .arg(&token)
            .arg("--grpc-socket")
            .arg(&socket)
            .args(["--debounce-ms", "100"])
            .args(extra)
            .env("MAILFTS_LOG", "info,tantivy=warn");
        lower_open_files_limit(&mut cmd);
        let (child, mut listeners) = spawn_serve(cmd, &log);
        Served {
            child,
            grpc: listeners.remove("grpc").expect("grpc address printed"),
            metrics: listeners
                .remove("metrics")
                .expect("metrics address printed"),
            imap: listeners.remove("imap"),
            socket,
            log,
        }
    }

    /// What the daemon wrote to its standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "daemon ignored SIGTERM: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown at all.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// `GET /metrics` of the metrics listener: the whole HTTP response.
    pub fn metrics_text(&self) -> String {
        let mut s = TcpStream::connect(&self.metrics).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal IMAP client over a blocking socket: one command at a time, lines in.
pub struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// The server's greeting, as sent (with its CRLF).
    pub greeting: String,
    /// The last tag [`Imap::run`] used (`a1`, `a2`, ...).
    tag: u32,
}

impl Imap {
    /// Connects to `addr` and reads the greeting, which must be `* OK`.
    pub fn connect(addr: impl std::net::ToSocketAddrs) -> Imap {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut c = Imap {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
            greeting: String::new(),
            tag: 0,
        };
        c.greeting = c
            .raw_line_until(Instant::now() + DEADLINE)
            .expect("greeting");
        assert!(c.greeting.starts_with("* OK"), "{}", c.greeting);
        c
    }

    /// The next line as sent (with its CRLF), or `None` when `deadline` passed first.
    pub fn raw_line_until(&mut self, deadline: Instant) -> Option<String> {
        let mut line = String::new();
        loop {
            match self.reader.read_line(&mut line) {
                Ok(0) => panic!("IMAP server closed the connection after {line:?}"),
                Ok(_) if line.ends_with('\n') => return Some(line),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if Instant::now() > deadline {
                        return None;
                    }
                }
                Err(e) => panic!("IMAP read: {e}"),
            }
        }
    }

    /// The next line without its line end, or `None` when `deadline` passed first.
    pub fn line_until(&mut self, deadline: Instant) -> Option<String> {
        self.raw_line_until(deadline)
            .map(|l| l.trim_end().to_string())
    }

    /// Sends `line` and CRLF.
    pub fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    /// Sends `tag cmd`; returns every line of the answer as sent, the tagged one last, whatever
    /// its status.
    #[track_caller]
    pub fn exchange(&mut self, tag: &str, cmd: &str) -> Vec<String> {
        self.send(&format!("{tag} {cmd}"));
        let mut lines = Vec::new();
        loop {
            let line = self
                .raw_line_until(Instant::now() + DEADLINE)
                .unwrap_or_else(|| panic!("no answer to {cmd} after {lines:?}"));
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Sends a tagged command; returns the untagged lines (without line ends) and checks the
    /// tagged OK.
    #[track_caller]
    pub fn command(&mut self, tag: &str, cmd: &str) -> Vec<String> {
        let mut lines = self.exchange(tag, cmd);
        let tagged = lines.pop().expect("the tagged line");
        let status = &tagged[tag.len() + 1..];
        assert!(status.starts_with("OK"), "{cmd}: {}", tagged.trim_end());
        lines.iter().map(|l| l.trim_end().to_string()).collect()
    }

    /// Runs a command under the next tag of its own, sending `literal` at the server's `+`
    /// continuation. Returns the tagged status (after the tag) and the untagged lines.
    #[track_caller]
    pub fn run(&mut self, cmd: &str, literal: Option<&[u8]>) -> (String, Vec<String>) {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.send(&format!("{tag} {cmd}"));
        let mut lines = Vec::new();
        loop {
            let line = self
                .line_until(Instant::now() + DEADLINE)
                .unwrap_or_else(|| panic!("{cmd}: no answer"));
            if line.starts_with('+') {
                self.writer
                    .write_all(literal.expect("no literal to send"))
                    .unwrap();
                self.writer.write_all(b"\r\n").unwrap();
            } else if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                return (rest.to_string(), lines);
            } else {
                lines.push(line);
            }
        }
    }

    /// Runs a command ([`Imap::run`], no literal); panics unless it ends in OK. Returns the
    /// untagged lines.
    #[track_caller]
    pub fn ok(&mut self, cmd: &str) -> Vec<String> {
        let (status, lines) = self.run(cmd, None);
        assert!(status.starts_with("OK"), "{cmd}: {status} {lines:?}");
        lines
    }
}
