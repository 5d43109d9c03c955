//! Failed-login floods, loopback logins without TLS, the command rate limit.

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailfts_imap_glue::{ImapConfig, Limits};

use crate::support::{Client, TestServer};

/// A connection from the loopback address `from` (e.g. 127.0.0.2) to `addr`.
fn connect_from(from: &str, addr: SocketAddr) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stream = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
        sock.connect(addr).await.unwrap()
    });
    let std = stream.into_std().unwrap();
    std.set_nonblocking(false).unwrap();
    std
}

#[test]
fn a_failed_login_flood_from_one_address_does_not_lock_out_another() {
    let server = TestServer::start(|c| {
        c.auth_failure_delay = Duration::from_secs(1);
        c.limits.max_connections = 64;
    });
    let addr = server.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let mut flood = Vec::new();
    // Connect, wrong LOGIN, close — as fast as possible, from 127.0.0.1.
    for _ in 0..4 {
        let (stop, rounds) = (stop.clone(), rounds.clone());
        flood.push(std::thread::spawn(move || {
            use std::io::Write;
            while !stop.load(Ordering::Relaxed) && rounds.load(Ordering::Relaxed) < 1100 {
                if let Ok(mut s) = TcpStream::connect(addr) {
                    let _ = s.write_all(b"a LOGIN alice wrong\r\n");
                }
                rounds.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // And clients from 127.0.0.1 that wait for their delayed answer, holding connections.
    let holders: Vec<TcpStream> = (0..40)
        .filter_map(|_| {
            use std::io::Write;
            let mut s = TcpStream::connect(addr).ok()?;
            s.write_all(b"h LOGIN alice wrong\r\n").ok()?;
            Some(s)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // Another address logs in at once.
    let started = Instant::now();
    let mut c = Client::from_stream(connect_from("127.0.0.2", addr));
    assert!(c.greeting.starts_with("* OK"), "{}", c.greeting);
    let r = c.command("l1", "LOGIN alice alice-pw");
    assert!(r.last().unwrap().starts_with("l1 OK"), "{r:?}");
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in flood {
        t.join().unwrap();
    }
    drop(holders);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_delayed_client_that_disconnects_frees_its_slot() {
    let server = TestServer::start(|c| {
        c.auth_failure_delay = Duration::from_secs(5);
        c.limits.max_connections = 2;
    });
    for _ in 0..2 {
        let mut c = server.client();
        c.send(b"a LOGIN alice wrong\r\n");
        drop(c);
    }
    // Within the 5 s delays, the two slots are free again.
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let c = server.client();
        if c.greeting.starts_with("* OK") {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {}", c.greeting);
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn connections_per_address_are_limited() {
    let server = TestServer::start(|c| c.limits.max_connections_per_address = 3);
    let held: Vec<Client> = (0..3).map(|_| server.client()).collect();
    assert!(held.iter().all(|c| c.greeting.starts_with("* OK")));
    let refused = server.client();
    assert_eq!(
        refused.greeting,
        "* BYE [UNAVAILABLE] Too many connections from your address\r\n"
    );
    // Another address is not affected.
    let other = Client::from_stream(connect_from("127.0.0.3", server.addr));
    assert!(other.greeting.starts_with("* OK"), "{}", other.greeting);
    assert_eq!(Limits::default().max_connections_per_address, 20);
}

#[test]
fn a_right_password_waits_as_long_as_a_wrong_one_while_penalized() {
    let server = TestServer::start(|c| c.auth_failure_delay = Duration::from_millis(200));
    let mut c = server.client();
    for i in 0..2 {
        c.command(&format!("w{i}"), "LOGIN alice wrong");
    }
    // A third failure would wait 800 ms: so does the right password.
    let t = Instant::now();
    let r = c.command("ok", "LOGIN alice alice-pw");
    assert!(r.last().unwrap().starts_with("ok OK"), "{r:?}");
    assert!(
        t.elapsed() >= Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
    // The penalty is gone with the success.
    let t = Instant::now();
    let r = server.login("bob").command("n", "NOOP");
    assert_eq!(r, ["n OK NOOP completed\r\n"]);
    assert!(
        t.elapsed() < Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn plain_login_over_loopback_needs_no_allow_plaintext() {
    let server = TestServer::start(|c| c.allow_plaintext = false);
    let mut c = server.client();
    assert!(c.greeting.contains(" AUTH=PLAIN"), "{}", c.greeting);
    assert!(!c.greeting.contains("LOGINDISABLED"), "{}", c.greeting);
    let r = c.command("a1", "LOGIN alice alice-pw");
    assert!(r.last().unwrap().starts_with("a1 OK"), "{r:?}");
    // A listener that trusts only another network wants TLS from loopback too.
    let strict = TestServer::start(|c| {
        c.allow_plaintext = false;
        c.trusted_networks = vec!["10.0.0.0/8".parse().unwrap()];
    });
    let mut c = strict.client();
    assert!(c.greeting.contains(" LOGINDISABLED"), "{}", c.greeting);
    assert_eq!(
        c.command("a1", "LOGIN alice alice-pw"),
        ["a1 NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"]
    );
    assert_eq!(
        ImapConfig::new("p").trusted_networks,
        mailfts_imap_glue::Cidr::loopback()
    );
}

/// Time of `n` NOOPs on one connection.
fn noops(server: &TestServer, n: usize) -> Duration {
    let mut c = server.login("alice");
    let t = Instant::now();
    for i in 0..n {
        let tag = format!("n{i}");
        assert_eq!(
            c.command(&tag, "NOOP"),
            [format!("{tag} OK NOOP completed\r\n")]
        );
    }
    t.elapsed()
}

#[test]
fn commands_are_not_rate_limited_by_default() {
    assert_eq!(Limits::default().commands_per_second, None);
    let limited = TestServer::start(|c| c.limits.commands_per_second = Some(50));
    let slow = noops(&limited, 201);
    // 201 commands at 50 per second: four pauses.
    assert!(slow >= Duration::from_secs(3), "{slow:?}");
    let default = TestServer::start(|_| {});
    let fast = noops(&default, 201);
    assert!(fast * 3 < slow, "default {fast:?} vs limited {slow:?}");
}
