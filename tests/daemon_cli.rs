//! The admin commands (`rescan`, `status`, `search`) with a running `mailfts serve`: with
//! `--daemon SOCKET` they ask the daemon over its local socket and print what the local path
//! prints; with no daemon they open the index themselves; a locked index is explained (exit 2).

mod support;

use mailfts_corpora::{write_maildir, CorpusSpec};
use support::{ok, run as mailfts, write_passwd, Served};

const MESSAGES: usize = 300;

const QUERIES: &[&str] = &[
    "ALL",
    "OR SUBJECT re FROM example",
    "BODY meeting",
    "UNSEEN",
];

#[test]
fn rescan_status_and_search_go_through_the_daemon_and_agree_with_the_local_path() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("alice");
    write_maildir(
        &CorpusSpec::new(11, MESSAGES),
        &home.join("Maildir"),
        &mut |_| {},
    )
    .unwrap();
    let passwd = write_passwd(dir.path(), &[("alice", &home)]);
    // idle until asked: the rescan below is the CLI's
    let served = Served::start_with(
        dir.path(),
        &passwd,
        "cli",
        &["--no-watch", "--no-startup-check"],
    );
    let h = home.to_str().unwrap();
    let s = served.socket.to_str().unwrap().to_string();
    let token = dir.path().join("token");
    let t = token.to_str().unwrap();
    let via = |cmd: &str| -> Vec<String> {
        [
            cmd,
            "--home",
            h,
            "--daemon",
            &s,
            "--user",
            "alice",
            "--token-file",
            t,
        ]
        .iter()
        .map(|x| x.to_string())
        .collect()
    };
    let run = |args: &[String]| mailfts(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // rescan through the daemon: the same JSON keys as the local rescan
    let mut args = via("rescan");
    args.push("--json".into());
    let out = run(&args);
    let stats: serde_json::Value = serde_json::from_str(ok(&out).trim()).unwrap();
    for key in ["added", "removed", "failed", "seconds", "msg_per_sec"] {
        assert!(stats.get(key).is_some(), "no {key} in {stats}");
    }
    assert_eq!(stats["added"], MESSAGES as u64, "{stats}");
    assert_eq!(stats["failed"], 0, "{stats}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("opening the index directly"),
        "the daemon did the rescan"
    );

    // status through the daemon: the local keys, the daemon's counts
    let mut args = via("status");
    args.push("--json".into());
    let st: serde_json::Value = serde_json::from_str(&ok(&run(&args))).unwrap();
    for key in [
        "mailboxes",
        "index_bytes",
        "maildir_bytes",
        "index_percent",
        "failures",
    ] {
        assert!(st.get(key).is_some(), "no {key} in {st}");
    }
    let in_index: u64 = st["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["in_index"].as_u64().unwrap())
        .sum();
    assert_eq!(in_index, MESSAGES as u64, "{st}");

    // search through the daemon
    let mut through_daemon = Vec::new();
    for q in QUERIES {
        let mut args = via("search");
        args.extend(["--all-mailboxes".into(), "--".into(), q.to_string()]);
        through_daemon.push(ok(&run(&args)));
    }
    assert!(
        through_daemon[0].split_whitespace().count() > MESSAGES / 2,
        "ALL finds the mail: {}",
        through_daemon[0]
    );
    // the socket wants the token for Search: said clearly
    let out = mailfts(&[
        "search", "--home", h, "--daemon", &s, "--user", "alice", "--", "ALL",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--token-file"), "{err}");
    // a daemon that serves another home for this user is not used silently
    let other = dir.path().join("other");
    std::fs::create_dir_all(other.join("Maildir/cur")).unwrap();
    let out = mailfts(&[
        "status",
        "--home",
        other.to_str().unwrap(),
        "--daemon",
        &s,
        "--user",
        "alice",
    ]);
    assert!(!out.status.success());

    served.terminate();

    // the local path, after the daemon stopped: the same UIDs; --daemon falls back to it
    for (q, expected) in QUERIES.iter().zip(&through_daemon) {
        let local = ok(&mailfts(&[
            "search",
            "--home",
            h,
            "--all-mailboxes",
            "--",
            q,
        ]));
        assert_eq!(&local, expected, "{q}");
        let mut args = via("search");
        args.extend(["--all-mailboxes".into(), "--".into(), q.to_string()]);
        let out = run(&args);
        assert_eq!(&ok(&out), expected, "{q} with --daemon and no daemon");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("opening the index directly"),
            "the fallback is announced"
        );
    }
}

#[test]
fn a_locked_index_is_explained_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("bob");
    write_maildir(&CorpusSpec::new(3, 20), &home.join("Maildir"), &mut |_| {}).unwrap();
    // hold the writer the way the daemon does while it indexes
    let index = mailfts_indexer::home::HomeIndex::open_or_create(&home.join("mailfts")).unwrap();
    let writer = index.writer(1).unwrap();
    let out = mailfts(&["rescan", "--home", home.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("locked"), "{err}");
    assert!(err.contains("mailfts serve"), "{err}");
    assert!(err.contains("--daemon"), "{err}");
    drop(writer);
    // free again: the local rescan works
    ok(&mailfts(&["rescan", "--home", home.to_str().unwrap()]));
}
