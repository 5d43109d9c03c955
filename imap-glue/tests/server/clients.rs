//! Real clients against the server: Python's imaplib, curl, Roundcube's rcube_imap_generic (PHP),
//! and a Roundcube-shaped session as exact bytes. A client that is not installed is skipped with
//! a message, or fails the test when `CI` is set (CI installs python3, curl and php-cli +
//! roundcube-core).

use std::path::Path;
use std::process::Command;

use mailfts_corpora::tools::{output_ok, require, require_tool, self_signed_cert};
use mailfts_imap_glue::ImapConfig;

use crate::support::{fixture_inbox, test_file, TestServer};

#[track_caller]
fn run_ok(cmd: &mut Command, marker: &str) {
    let out = cmd.output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(
        out.status.success() && stdout.contains(marker),
        "{cmd:?} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

fn server_with_fixture() -> TestServer {
    let server = TestServer::start(|_| {});
    let store = server.store("alice");
    fixture_inbox(&store);
    store.create_mailbox("Trash").unwrap();
    server
}

#[test]
fn python_imaplib_session() {
    let Some(python) = require_tool("python3") else {
        return;
    };
    let server = server_with_fixture();
    run_ok(
        Command::new(python)
            .arg(test_file("clients/imaplib_session.py"))
            .args([
                "127.0.0.1",
                &server.addr.port().to_string(),
                "alice",
                "alice-pw",
            ]),
        "IMAPLIB OK",
    );
}

/// A QRESYNC-caching client (RFC 7162) in Python's imaplib: resynchronises after another session's
/// changes with SELECT (QRESYNC …) and UID FETCH (CHANGEDSINCE … VANISHED).
#[test]
fn python_imaplib_qresync() {
    let Some(python) = require_tool("python3") else {
        return;
    };
    let server = server_with_fixture();
    run_ok(
        Command::new(python)
            .arg(test_file("clients/imaplib_qresync.py"))
            .args([
                "127.0.0.1",
                &server.addr.port().to_string(),
                "alice",
                "alice-pw",
            ]),
        "QRESYNC OK",
    );
}

#[test]
fn python_imaplib_over_starttls() {
    let (Some(python), Some(openssl)) = (require_tool("python3"), require_tool("openssl")) else {
        return;
    };
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_cert(&openssl, certs.path(), "localhost");
    let acceptor = mailfts_imap_glue::load_tls(&cert, &key).unwrap();
    // Implicit TLS (port 993 style).
    let implicit = TestServer::start({
        let acceptor = acceptor.clone();
        move |c| {
            c.tls = Some(acceptor);
            c.implicit_tls = true;
            c.allow_plaintext = false;
        }
    });
    fixture_inbox(&implicit.store("alice"));
    let snippet = "import imaplib, ssl, sys\n\
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n\
m = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[1]), ssl_context=ctx)\n\
m.login('alice', 'alice-pw')\n\
assert m.select('INBOX')[1] == [b'3']\n\
m.logout()\n\
print('IMPLICIT TLS OK')\n";
    run_ok(
        Command::new(&python).args(["-c", snippet, &implicit.addr.port().to_string()]),
        "IMPLICIT TLS OK",
    );
    let server = TestServer::start(move |c| {
        c.tls = Some(acceptor);
        c.allow_plaintext = false;
        // Loopback is trusted by default; this test wants LOGINDISABLED until STARTTLS.
        c.trusted_networks = Vec::new();
    });
    let store = server.store("alice");
    fixture_inbox(&store);
    let plain = server.client();
    assert!(
        plain.greeting.contains(" STARTTLS") && plain.greeting.contains(" LOGINDISABLED"),
        "{}",
        plain.greeting
    );
    run_ok(
        Command::new(python)
            .arg(test_file("clients/imaplib_session.py"))
            .args([
                "127.0.0.1",
                &server.addr.port().to_string(),
                "alice",
                "alice-pw",
                "--starttls",
            ]),
        "IMAPLIB OK",
    );
}

#[test]
fn curl_search() {
    let Some(curl) = require_tool("curl") else {
        return;
    };
    let server = server_with_fixture();
    let url = format!("imap://127.0.0.1:{}/INBOX", server.addr.port());
    let out = output_ok(Command::new(curl).args([
        "-sS",
        "--max-time",
        "20",
        &url,
        "-u",
        "alice:alice-pw",
        "-X",
        "UID SEARCH OR SUBJECT report FROM carol",
    ]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "* SEARCH 1 2 3\r\n");
}

/// Where Debian's roundcube-core keeps the framework.
const ROUNDCUBE_LIB: &str = "/usr/share/roundcube/program/lib/Roundcube";

#[test]
fn roundcube_rcube_imap_generic() {
    roundcube_session(server_with_fixture());
}

/// Roundcube's stock configuration (`localhost:143`, no TLS) against the server's stock settings:
/// plain LOGIN is accepted because the client is on loopback (a trusted network), as in Dovecot.
#[test]
fn roundcube_logs_in_with_stock_settings_over_loopback() {
    let server = TestServer::start(|config| {
        let stock = ImapConfig::new(&config.passwd_file);
        assert!(!stock.allow_plaintext, "plaintext is refused by default");
        config.allow_plaintext = stock.allow_plaintext;
        config.trusted_networks = stock.trusted_networks;
    });
    let store = server.store("alice");
    fixture_inbox(&store);
    store.create_mailbox("Trash").unwrap();
    roundcube_session(server);
}

/// Runs Roundcube's own IMAP library through `roundcube/session.php` against `server`.
fn roundcube_session(server: TestServer) {
    let lib = std::env::var("MAILFTS_ROUNDCUBE_LIB").unwrap_or_else(|_| ROUNDCUBE_LIB.into());
    let (Some(php), true) = (
        require_tool("php"),
        require(
            Path::new(&lib).join("rcube_imap_generic.php").is_file(),
            "roundcube-core is not installed (apt-get install roundcube-core)",
        ),
    ) else {
        return;
    };
    run_ok(
        Command::new(php)
            .arg(test_file("roundcube/session.php"))
            .args([
                "127.0.0.1",
                &server.addr.port().to_string(),
                "alice",
                "alice-pw",
                &lib,
            ]),
        "ROUNDCUBE OK",
    );
}
