//! The bounded registry of open homes, seen from real TCP clients: more users than the bound log in
//! one after another, the registry keeps at most the bound open, and every user's SEARCH still
//! answers from its own home after its home was closed.

use std::sync::Arc;

use mailfts_imap_glue::{HomeLayout, HomeRegistry};
use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::rescan::{rescan, NoProgress, RescanOptions};
use mailfts_store::{Flags, Store, StoreOptions};

use crate::support::{fixture_inbox, Client, TestServer};

const BOUND: usize = 2;
const USERS: usize = 5;

fn user(i: usize) -> String {
    format!("user{i}")
}

/// Adds `USERS` users, each with the fixture INBOX, one message of its own and a built index.
fn add_users(server: &TestServer) {
    let mut passwd = std::fs::read_to_string(&server.passwd).unwrap();
    for i in 0..USERS {
        let home = server.dir.path().join(user(i));
        let store = Store::create(home.join("Maildir")).unwrap();
        fixture_inbox(&store);
        let own = format!(
            "From: x@example.org\r\nSubject: only-{}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nbody of {}\r\n",
            user(i),
            user(i)
        );
        let inbox = store.mailbox("INBOX").unwrap();
        inbox
            .save(own.as_bytes(), Flags::empty(), &[], None)
            .unwrap();
        let index = HomeIndex::open_or_create(&home.join("mailfts")).unwrap();
        rescan(&index, &store, &RescanOptions::default(), &NoProgress).unwrap();
        drop(index);
        passwd.push_str(&format!(
            "{}:{{PLAIN}}pw::::{}::\n",
            user(i),
            home.display()
        ));
    }
    std::fs::write(&server.passwd, passwd).unwrap();
}

fn login(server: &TestServer, i: usize) -> Client {
    let mut c = server.client();
    let r = c.command("L", &format!("LOGIN {} pw", user(i)));
    assert!(r.last().unwrap().starts_with("L OK"), "{r:?}");
    let r = c.command("S", "SELECT INBOX");
    assert!(r.last().unwrap().starts_with("S OK"), "{r:?}");
    c
}

/// Every user finds its own message (UID 4) and no other user's, by header and by body.
fn check_search(c: &mut Client, i: usize) {
    for j in 0..USERS {
        let want = if i == j {
            "* SEARCH 4\r\n"
        } else {
            "* SEARCH\r\n"
        };
        let r = c.command("F", &format!("UID SEARCH SUBJECT only-{}", user(j)));
        assert_eq!(r[0], want, "{} searching {}: {r:?}", user(i), user(j));
        let r = c.command("B", &format!("UID SEARCH BODY \"body of {}\"", user(j)));
        assert_eq!(r[0], want, "{} searching {}: {r:?}", user(i), user(j));
    }
    let r = c.command("Q", "UID SEARCH SUBJECT quarterly");
    assert_eq!(r[0], "* SEARCH 1 2\r\n", "{r:?}");
}

#[test]
fn more_users_than_the_bound_keep_at_most_the_bound_open() {
    let registry = Arc::new(HomeRegistry::new(
        HomeLayout::default(),
        StoreOptions::default(),
        BOUND,
    ));
    let reg = registry.clone();
    let server = TestServer::start(move |c| c.homes = Some(reg));
    add_users(&server);
    // one after another, each logging out
    for i in 0..USERS {
        let mut c = login(&server, i);
        check_search(&mut c, i);
        c.command("O", "LOGOUT");
        assert!(registry.len() <= BOUND, "{} homes open", registry.len());
        assert!(registry.open_indexes() <= BOUND);
        assert!(registry.open_indexes() >= 1, "the index is used");
    }
    // all at once: homes closed by the registry stay usable by their sessions
    let mut clients: Vec<Client> = (0..USERS).map(|i| login(&server, i)).collect();
    assert!(registry.len() <= BOUND, "{} homes open", registry.len());
    for (i, c) in clients.iter_mut().enumerate() {
        check_search(c, i);
        assert!(registry.open_indexes() <= BOUND);
    }
    // and a home opened again after its eviction answers from its own index
    drop(clients);
    for i in (0..USERS).rev() {
        let mut c = login(&server, i);
        check_search(&mut c, i);
        assert!(registry.len() <= BOUND);
    }
}
