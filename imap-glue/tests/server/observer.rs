//! The observer of [`ImapConfig::observer`]: sessions, logins and commands with their status.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailfts_imap_glue::{CommandStatus, ImapObserver};

use crate::support::{fixture_inbox, TestServer};

#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<String>>,
}

impl Recorder {
    fn push(&self, e: String) {
        self.events.lock().unwrap().push(e);
    }

    fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    /// The events once the session closed (it is reported after the connection task ends).
    fn until_closed(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let e = self.events();
            if e.last().is_some_and(|l| l == "closed") || Instant::now() > deadline {
                return e;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl ImapObserver for Recorder {
    fn session_opened(&self, peer: SocketAddr, tls: bool) {
        assert!(peer.ip().is_loopback());
        self.push(format!("opened tls={tls}"));
    }

    fn session_closed(&self, _peer: SocketAddr, _duration: Duration) {
        self.push("closed".into());
    }

    fn command(&self, name: &str, status: CommandStatus, elapsed: Duration) {
        assert!(elapsed < Duration::from_secs(30));
        self.push(format!("{name} {}", status.as_str()));
    }

    fn login(&self, ok: bool) {
        self.push(format!("login ok={ok}"));
    }
}

#[test]
fn observer_sees_sessions_logins_and_commands() {
    let rec = Arc::new(Recorder::default());
    let observer = rec.clone();
    let server = TestServer::start(move |c| c.observer = Some(observer));
    fixture_inbox(&server.store("alice"));
    let mut c = server.login("alice");
    let r = c.command("a1", "SELECT INBOX");
    assert!(r.last().unwrap().starts_with("a1 OK"), "{r:?}");
    let r = c.command("a2", "SEARCH SUBJECT report");
    assert!(r.last().unwrap().starts_with("a2 OK"), "{r:?}");
    let r = c.command("a3", "UID SEARCH RETURN (COUNT) ALL");
    assert!(r.last().unwrap().starts_with("a3 OK"), "{r:?}");
    let r = c.command("a4", "LOGOUT");
    assert!(r.last().unwrap().starts_with("a4 OK"), "{r:?}");
    assert_eq!(
        rec.until_closed(),
        [
            "opened tls=false",
            "login ok=true",
            "LOGIN OK",
            "SELECT OK",
            "SEARCH OK",
            "UID SEARCH OK",
            "LOGOUT OK",
            "closed",
        ]
    );
}

#[test]
fn observer_sees_bad_and_failed_commands() {
    let rec = Arc::new(Recorder::default());
    let observer = rec.clone();
    let server = TestServer::start(move |c| c.observer = Some(observer));
    let mut c = server.client();
    let r = c.command("b1", "LOGIN alice wrong");
    assert!(r.last().unwrap().starts_with("b1 NO"), "{r:?}");
    let r = c.command("b2", "FROBNICATE");
    assert!(r.last().unwrap().starts_with("b2 BAD"), "{r:?}");
    let r = c.command("b3", "SELECT INBOX");
    assert!(r.last().unwrap().starts_with("b3 BAD"), "{r:?}");
    drop(c);
    assert_eq!(
        rec.until_closed(),
        [
            "opened tls=false",
            "login ok=false",
            "LOGIN NO",
            "UNPARSED BAD",
            "SELECT BAD",
            "closed",
        ]
    );
}
