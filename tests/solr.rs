//! Dovecot 2.3 with `fts_solr` pointed at `mailfts serve --solr-listen` (issue 15).
//!
//! A private Dovecot instance on loopback (its own base_dir and config in a temporary directory,
//! passwd-file users, Maildir) serves one generated home to two users: `bob` with
//! `mail_plugins = fts fts_solr` (`fts_enforced = yes`, so a failed lookup is an error rather
//! than a silent fallback) and `ref` without FTS (`mail_plugins = notify`), on the same Maildir
//! (same UIDs). Every search key is sent to both as `UID SEARCH`, in every mailbox, and the
//! answers must be equal.
//!
//! mailfts serves HTTPS (a self-signed certificate Dovecot trusts through `ssl_client_ca_file`)
//! and requires HTTP basic auth, which Dovecot sends from the credentials in its `fts_solr` URL.
//! Needs `dovecot-imapd`, `dovecot-solr`, `openssl`, `curl` and root (Dovecot switches to the mail
//! user). Where they are missing the test prints `SKIPPED: …` and passes, unless `CI` is set: then
//! it fails (`mailfts_corpora::tools::require`).

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailfts_corpora::tools::{output_ok, require, require_tool, self_signed_cert};
use support::{spawn_serve, Imap};

const DEADLINE: Duration = Duration::from_secs(60);
const SOLR_PLUGIN: &str = "/usr/lib/dovecot/modules/lib21_fts_solr_plugin.so";
/// The mail user's uid and gid (`nobody`): Dovecot refuses uid 0 for mail.
const MAIL_UID: u32 = 65534;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `mailfts serve` with only the Solr endpoint.
struct Mailfts {
    child: Child,
    addr: String,
    log: PathBuf,
    /// `user:password` of HTTP basic auth, when the endpoint requires it.
    auth: Option<String>,
    /// The CA certificate of an HTTPS endpoint (requests then go through `curl`).
    tls_ca: Option<PathBuf>,
}

/// The credentials the endpoint is started with (`--solr-basic-auth-file`).
const CREDENTIALS: &str = "dovecot:n0t-a-real-secret";

impl Mailfts {
    /// Starts the endpoint with its indexes in `dir/solr`, requiring [`CREDENTIALS`].
    fn start(dir: &Path) -> Mailfts {
        Mailfts::start_with(dir, &[])
    }

    fn start_with(dir: &Path, extra: &[&str]) -> Mailfts {
        let log = dir.join("mailfts.log");
        let auth_file = dir.join("solr-auth");
        std::fs::write(&auth_file, format!("{CREDENTIALS}\n")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailfts"));
        cmd.args(["serve", "--solr-listen", "127.0.0.1:0", "--solr-index-root"])
            .arg(dir.join("solr"))
            .arg("--solr-basic-auth-file")
            .arg(&auth_file)
            .args(["--no-watch", "--no-startup-check"])
            .args(extra)
            .env("MAILFTS_LOG", "warn,mailfts::daemon::solr=debug")
            .env("NO_COLOR", "1");
        let (child, mut listeners) = spawn_serve(cmd, &log);
        let addr = listeners.remove("solr");
        Mailfts {
            child,
            addr: addr.expect("solr address printed"),
            log,
            auth: Some(CREDENTIALS.to_string()),
            tls_ca: None,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// One HTTP request to the endpoint: (status, body).
    fn http(&self, method: &str, target: &str, body: &str) -> (u16, String) {
        self.http_as(self.auth.as_deref(), method, target, body)
    }

    /// One HTTP request with the given basic-auth credentials (or none).
    fn http_as(&self, auth: Option<&str>, method: &str, target: &str, body: &str) -> (u16, String) {
        use base64::Engine;
        if let Some(ca) = &self.tls_ca {
            let mut c = Command::new("curl");
            c.args(["-sS", "-X", method, "-H", "Content-Type: text/xml"])
                .arg("--cacert")
                .arg(ca)
                .args(["-w", "\n%{http_code}"]);
            if let Some(a) = auth {
                c.args(["-u", a]);
            }
            if method == "POST" {
                c.args(["--data-binary", body]);
            }
            let out = c
                .arg(format!("https://{}{target}", self.addr))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "curl: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let (body, code) = text.rsplit_once('\n').unwrap();
            return (code.trim().parse().unwrap(), body.to_string());
        }
        let authorization = auth.map_or(String::new(), |a| {
            format!(
                "Authorization: Basic {}\r\n",
                base64::engine::general_purpose::STANDARD.encode(a)
            )
        });
        let mut s = TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{authorization}Content-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, body.to_string())
    }

    /// UIDs (with their mailbox GUID) the endpoint answers for `q` of `user`, asked directly.
    fn select(&self, q: &str, user: &str) -> Vec<(String, u32)> {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        };
        let target = format!(
            "/solr/dovecot/select?wt=xml&fl=box,uid&rows=100000&sort=box+asc,uid+asc&q={}&fq={}",
            enc(q),
            enc(&format!("+user:{user}"))
        );
        let (status, body) = self.http("GET", &target, "");
        assert_eq!(status, 200, "{target}: {body}");
        let mut out = Vec::new();
        for doc in body.split("<doc>").skip(1) {
            let field = |name: &str| {
                let open = format!("name=\"{name}\">");
                let at = doc.find(&open).unwrap() + open.len();
                doc[at..at + doc[at..].find('<').unwrap()].to_string()
            };
            out.push((field("box"), field("uid").parse().unwrap()));
        }
        out
    }
}

impl Drop for Mailfts {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private Dovecot instance; stopped on drop.
struct Dovecot {
    conf: PathBuf,
    imap_port: u16,
}

impl Dovecot {
    fn start(dir: &Path, solr_addr: &str) -> Dovecot {
        let imap_port = free_port();
        let conf = dir.join("dovecot.conf");
        let d = dir.display();
        std::fs::write(
            dir.join("passwd"),
            format!(
                "bob:{{PLAIN}}secret:{MAIL_UID}:{MAIL_UID}::{d}/home::\n\
                 ref:{{PLAIN}}secret:{MAIL_UID}:{MAIL_UID}::{d}/home::userdb_mail_plugins=notify\n"
            ),
        )
        .unwrap();
        std::fs::write(
            &conf,
            format!(
                r#"base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
ssl_client_ca_file = {d}/cert.pem
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = {d}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service doveadm {{
  inet_listener {{
    port = 0
  }}
}}
mail_plugins = $mail_plugins fts fts_solr
plugin {{
  fts = solr
  fts_solr = url=https://{CREDENTIALS}@{solr_addr}/solr/dovecot/
  fts_autoindex = yes
  fts_enforced = yes
}}
"#
            ),
        )
        .unwrap();
        // the master daemonizes and keeps its inherited descriptors: no pipes to wait on
        let errors = dir.join("dovecot.stderr");
        let status = Command::new("dovecot")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&errors).unwrap())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "dovecot: {}{}",
            std::fs::read_to_string(&errors).unwrap_or_default(),
            std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default()
        );
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", imap_port)).is_err() {
            assert!(started.elapsed() < DEADLINE, "dovecot did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Dovecot { conf, imap_port }
    }

    #[track_caller]
    fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "doveadm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Dovecot {
    /// One field of `doveadm mailbox status` (`flow` output: `NAME field=value`).
    #[track_caller]
    fn status_field(&self, user: &str, mailbox: &str, field: &str) -> String {
        let out = self.doveadm(&[
            "-f", "flow", "mailbox", "status", "-u", user, field, mailbox,
        ]);
        let prefix = format!("{field}=");
        out.split_whitespace()
            .find_map(|t| t.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {field} in {out:?}"))
            .to_string()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .output();
    }
}

/// Sessions with the private Dovecot (the client is `support::Imap`).
impl Imap {
    /// Connects to Dovecot on loopback `port` and logs in as `user`.
    fn login(port: u16, user: &str) -> Imap {
        let mut c = Imap::connect(("127.0.0.1", port));
        c.ok(&format!("LOGIN {user} secret"));
        c
    }

    #[track_caller]
    fn uid_search(&mut self, key: &str) -> Vec<u32> {
        let lines = self.ok(&format!("UID SEARCH CHARSET UTF-8 {key}"));
        let mut uids: Vec<u32> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| l.split_whitespace().map(|u| u.parse::<u32>().unwrap()))
            .collect();
        uids.sort_unstable();
        uids
    }
}

/// Search keys from one message of the home: a subject word, a body word and its middle, a
/// phrase of two body words, the sender's domain.
fn keys_from_mail(maildir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("cur"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut keys = Vec::new();
    for f in files.iter().take(60).step_by(5) {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        // body words only from single-part plain text: Dovecot's own search also matches HTML
        // markup, which it never sends to an FTS backend (docs/dovecot.md)
        let lower = head.to_ascii_lowercase();
        let plain = !lower.contains("content-type:") || lower.contains("content-type: text/plain");
        if !plain || lower.contains("quoted-printable") || lower.contains("base64") {
            continue;
        }
        let words_of = |s: &str| -> Vec<String> {
            s.split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() >= 6)
                .map(str::to_string)
                .collect()
        };
        if let Some(subject) = head.lines().find_map(|l| l.strip_prefix("Subject: ")) {
            if let Some(w) = words_of(subject).first() {
                keys.push(format!("SUBJECT \"{w}\""));
            }
        }
        let plain_lines: Vec<&str> = body
            .lines()
            .filter(|l| !l.starts_with('>') && !l.contains('=') && !l.contains('<'))
            .collect();
        if let Some(w) = plain_lines.iter().flat_map(|l| words_of(l)).nth(3) {
            keys.push(format!("BODY \"{w}\""));
            keys.push(format!("TEXT \"{}\"", &w[1..w.len() - 1]));
        }
        for l in &plain_lines {
            let ws: Vec<&str> = l
                .split(' ')
                .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()) && w.len() > 2)
                .collect();
            if ws.len() >= 2 && l.contains(&format!("{} {}", ws[0], ws[1])) {
                keys.push(format!("BODY \"{} {}\"", ws[0], ws[1]));
                break;
            }
        }
        if let Some(from) = head.lines().find_map(|l| l.strip_prefix("From: ")) {
            if let Some(domain) = from.split('@').nth(1) {
                let domain: String = domain
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                if !domain.is_empty() {
                    keys.push(format!("FROM \"{domain}\""));
                }
            }
        }
    }
    keys
}

/// Fixed keys: common substrings, mid-word pieces, negations, OR, non-indexed headers.
const FIXED_KEYS: &[&str] = &[
    "TEXT \"the\"",
    "SUBJECT \"re\"",
    "SUBJECT \"\"",
    "BODY \"\"",
    "TO \"xampl\"",
    "CC \"a\"",
    "FROM \"a\"",
    "HEADER Message-ID \"@\"",
    "HEADER X-Mailer \"a\"",
    "NOT BODY \"the\"",
    "OR BODY \"patch\" SUBJECT \"usb\"",
    "OR NOT BODY \"the\" SUBJECT \"re\"",
    "BODY \"the\" NOT TEXT \"and\"",
    "OR (BODY \"the\" SUBJECT \"re\") FROM \"a\"",
    "NOT (OR BODY \"the\" TEXT \"and\")",
    "(OR SUBJECT \"re\" NOT SUBJECT \"a\") SUBJECT \"Re:\"",
    "TEXT \"(x)\" OR HEADER Received \"by\" BODY \"+-&|!{}[]^~*?:/\"",
    "TEXT \"no such string anywhere 4242\"",
    "BODY \"kernel, \"",
    "TEXT \"Subject: Re\"",
];

#[test]
fn dovecot_with_mailfts_answers_like_dovecot_without_fts() {
    let tools = ["dovecot", "doveadm", "openssl", "curl"].map(require_tool);
    if tools.iter().any(Option::is_none)
        || !require(
            Path::new(SOLR_PLUGIN).exists(),
            "the fts_solr plugin is not installed (apt-get install dovecot-solr)",
        )
        // SAFETY: geteuid has no preconditions.
        || !require(
            unsafe { libc_geteuid() } == 0,
            "the test is not run as root (Dovecot's master switches to the mail user)",
        )
    {
        return;
    }
    // MAILFTS_SOLR_TEST_DIR keeps everything (logs, indexes, mail) for a look after a failure
    let tmp = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("MAILFTS_SOLR_TEST_DIR").map(PathBuf::from);
    if let Some(k) = &kept {
        let _ = std::fs::remove_dir_all(k);
        std::fs::create_dir_all(k).unwrap();
    }
    let dir = kept.as_deref().unwrap_or(tmp.path());
    // Dovecot's processes run as other users: the directories must be traversable
    Command::new("chmod").arg("755").arg(dir).status().unwrap();
    output_ok(
        Command::new(env!("CARGO_BIN_EXE_mailfts"))
            .args([
                "corpus",
                "generate",
                "--messages",
                "400",
                "--seed",
                "15",
                "--out",
            ])
            .arg(dir.join("home")),
    );
    let chown = Command::new("chown")
        .args(["-R", &format!("{MAIL_UID}:{MAIL_UID}")])
        .arg(dir.join("home"))
        .status()
        .unwrap();
    assert!(chown.success());

    // HTTPS with basic auth, as a production setup would run it
    let (cert, key) = self_signed_cert(Path::new("openssl"), dir, "127.0.0.1");
    let (cert_s, key_s) = (cert.display().to_string(), key.display().to_string());
    let mut mailfts = Mailfts::start_with(
        dir,
        &["--solr-tls", "--tls-cert", &cert_s, "--tls-key", &key_s],
    );
    mailfts.tls_ca = Some(cert.clone());
    let dovecot = Dovecot::start(dir, &mailfts.addr);

    // index the home through Dovecot: documents arrive at mailfts
    dovecot.doveadm(&["index", "-u", "bob", "*"]);
    let mailboxes: Vec<String> = dovecot
        .doveadm(&["mailbox", "list", "-u", "bob"])
        .lines()
        .map(str::to_string)
        .filter(|m| m != "Lists")
        .collect();
    assert!(mailboxes.len() >= 3, "{mailboxes:?}");
    let indexed = mailfts.select("*:*", "bob");
    let total: usize = mailboxes
        .iter()
        .map(|m| {
            dovecot
                .status_field("bob", m, "messages")
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(indexed.len(), total, "every message is indexed in mailfts");

    let mut keys: Vec<String> = FIXED_KEYS.iter().map(|k| k.to_string()).collect();
    keys.extend(keys_from_mail(&dir.join("home/Maildir")));
    let mut bob = Imap::login(dovecot.imap_port, "bob");
    let mut reference = Imap::login(dovecot.imap_port, "ref");
    let compare = |bob: &mut Imap, reference: &mut Imap, keys: &[String]| -> usize {
        let mut non_empty = 0;
        let mut differences = Vec::new();
        for m in &mailboxes {
            bob.ok(&format!("SELECT \"{m}\""));
            reference.ok(&format!("EXAMINE \"{m}\""));
            for k in keys {
                let got = bob.uid_search(k);
                let want = reference.uid_search(k);
                if got != want {
                    differences.push(format!(
                        "UID SEARCH {k} in {m}:\n  Dovecot+mailfts {got:?}\n  Dovecot         {want:?}"
                    ));
                }
                non_empty += usize::from(!want.is_empty());
            }
        }
        assert!(differences.is_empty(), "{}", differences.join("\n"));
        non_empty
    };
    let non_empty = compare(&mut bob, &mut reference, &keys);
    assert!(
        non_empty >= keys.len(),
        "too few keys match anything ({non_empty}): the comparison would prove little"
    );
    // The known difference (docs/dovecot.md): Dovecot sends an FTS backend the text of HTML
    // parts, never their markup, while its own search matches the markup too
    bob.ok("SELECT INBOX");
    reference.ok("EXAMINE INBOX");
    assert!(!reference.uid_search("BODY \"MsoNormal\"").is_empty());
    assert!(bob.uid_search("BODY \"MsoNormal\"").is_empty());
    let selects = mailfts
        .log()
        .lines()
        .filter(|l| l.contains("/solr/dovecot/select") && l.contains("q=%7b!lucene"))
        .count();
    assert!(
        selects >= keys.len(),
        "Dovecot asked mailfts only {selects} times: {}",
        mailfts.log()
    );

    // Dovecot takes mailfts's answer as it is: a document mailfts holds decides the result
    let guid = dovecot.status_field("bob", "INBOX", "guid");
    let planted = format!(
        "<add><doc><field name=\"uid\">1</field><field name=\"box\">{guid}</field>\
         <field name=\"user\">bob</field><field name=\"id\">1/{guid}/bob</field>\
         <field name=\"body\">zebraquux</field></doc></add>"
    );
    assert_eq!(
        mailfts.http("POST", "/solr/dovecot/update", &planted).0,
        200
    );
    assert_eq!(
        mailfts.http("POST", "/solr/dovecot/update", "<commit/>").0,
        200
    );
    bob.ok("SELECT INBOX");
    assert_eq!(bob.uid_search("BODY \"zebraquux\""), [1]);

    // rescan + index rebuilds: the planted document is replaced by the message's own
    dovecot.doveadm(&["fts", "rescan", "-u", "bob"]);
    dovecot.doveadm(&["index", "-u", "bob", "*"]);
    bob.ok("SELECT INBOX");
    assert!(bob.uid_search("BODY \"zebraquux\"").is_empty());
    assert_eq!(mailfts.select("*:*", "bob").len(), total);
    compare(&mut bob, &mut reference, &keys[..6]);

    // APPEND through Dovecot: found at once, and indexed in mailfts (fts_autoindex)
    let msg = "From: Zed <zed@example.net>\r\nTo: bob@example.org\r\nSubject: Pangolin report\r\n\
               Message-ID: <append-1@example.net>\r\n\r\nThe wombatfluxion figures are in.\r\n";
    bob.ok("SELECT INBOX");
    let (status, _) = bob.run(
        &format!("APPEND INBOX {{{}}}", msg.len()),
        Some(msg.as_bytes()),
    );
    assert!(status.starts_with("OK"), "APPEND: {status}");
    bob.ok("NOOP");
    let found = bob.uid_search("BODY \"batflux\"");
    assert_eq!(found.len(), 1, "the appended message is found");
    let new_uid = found[0];
    assert_eq!(bob.uid_search("SUBJECT \"angolin rep\""), [new_uid]);
    assert!(mailfts
        .select("body:wombatfluxion", "bob")
        .contains(&(guid.clone(), new_uid)));

    // EXPUNGE: gone from the answers and from mailfts
    bob.ok(&format!("UID STORE {new_uid} +FLAGS (\\Deleted)"));
    bob.ok("EXPUNGE");
    assert!(bob.uid_search("BODY \"batflux\"").is_empty());
    let started = Instant::now();
    while !mailfts.select("body:wombatfluxion", "bob").is_empty() {
        assert!(
            started.elapsed() < DEADLINE,
            "the expunged message stays in mailfts: {}",
            mailfts.log()
        );
        // Dovecot sends the delete with its next index update
        dovecot.doveadm(&["index", "-u", "bob", "INBOX"]);
        std::thread::sleep(Duration::from_millis(200));
    }
    compare(&mut bob, &mut reference, &keys[..6]);
    assert!(
        !mailfts.log().contains("refused") && !mailfts.log().contains("failed"),
        "mailfts refused or failed a Dovecot request: {}",
        mailfts.log()
    );
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// The endpoint alone (no Dovecot needed): refusals are Solr-shaped, never a wrong answer; an
/// answered update survives a kill -9.
#[test]
fn bad_requests_get_solr_errors_and_answered_updates_survive_a_kill() {
    let tmp = tempfile::tempdir().unwrap();
    let mailfts = Mailfts::start_with(tmp.path(), &["--solr-max-request-bytes", "4096"]);
    let error = |status: u16, body: &str, expect: u16| {
        assert_eq!(status, expect, "{body}");
        assert!(
            body.contains("<lst name=\"error\">")
                && body.contains(&format!("<int name=\"code\">{expect}</int>")),
            "{body}"
        );
    };
    let (s, b) = mailfts.http(
        "POST",
        "/solr/dovecot/update",
        "<add><doc><field name=\"uid\">1</field>",
    );
    error(s, &b, 400);
    let (s, b) = mailfts.http("POST", "/solr/dovecot/update", "<rollback/>");
    error(s, &b, 400);
    let big = format!("<add>{}</add>", " ".repeat(8192));
    let (s, b) = mailfts.http("POST", "/solr/dovecot/update", &big);
    error(s, &b, 413);
    for target in [
        "/solr/dovecot/select?q=body:foo*&fq=%2Buser:bob",
        "/solr/dovecot/select?q=body:foo",
        "/solr/dovecot/select?q=body:foo&fq=%2Buser:bob&wt=json",
        "/solr/dovecot/select?q=nosuchfield:x&fq=%2Buser:bob",
    ] {
        let (s, b) = mailfts.http("GET", target, "");
        error(s, &b, 400);
    }
    let (s, b) = mailfts.http("GET", "/solr/dovecot/nothing", "");
    error(s, &b, 404);
    // basic auth: nothing is answered without the right credentials
    let ping = "/solr/dovecot/admin/ping";
    assert_eq!(mailfts.http("GET", ping, "").0, 200);
    let (s, b) = mailfts.http_as(None, "GET", ping, "");
    error(s, &b, 401);
    let (s, b) = mailfts.http_as(
        Some("dovecot:wrong"),
        "POST",
        "/solr/dovecot/update",
        "<commit/>",
    );
    error(s, &b, 401);

    // an add answered 200 is on disk, even without <commit/> and with no shutdown at all
    let add = "<add><doc><field name=\"uid\">7</field><field name=\"box\">0123abcd</field>\
        <field name=\"user\">bob</field><field name=\"id\">7/0123abcd/bob</field>\
        <field name=\"body\">Durable &amp; committed text</field></doc></add>";
    assert_eq!(mailfts.http("POST", "/solr/dovecot/update", add).0, 200);
    assert_eq!(
        mailfts.select("body:e\\ \\&\\ comm", "bob"),
        [("0123abcd".to_string(), 7)]
    );
    let log = mailfts.log();
    assert!(
        log.contains("solr request refused"),
        "refusals are logged: {log}"
    );
    drop(mailfts); // SIGKILL
    let mailfts = Mailfts::start(tmp.path());
    assert_eq!(
        mailfts.select("body:DURABLE", "bob"),
        [("0123abcd".to_string(), 7)]
    );
    assert!(mailfts.select("body:durable", "alice").is_empty());
}
