//! Mod-sequences (RFC 7162) of the store: what bumps them, and that they survive a restart and never
//! go backwards.

use std::fs;

use mailfts_store::{Flags, Store};

mod common;
use common::{deliver, reopened_inbox, settle};

#[test]
fn every_visible_change_bumps_the_modseq_and_reopening_keeps_it() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("Maildir");
    let store = Store::create(&root).unwrap();
    let inbox = store.mailbox("INBOX").unwrap();
    let empty = inbox.sync().unwrap();
    assert_eq!(
        empty.highest_modseq, 1,
        "a new mailbox starts at 1, as Dovecot's"
    );

    deliver(&root, "cur", "1.M1.host:2,");
    deliver(&root, "cur", "2.M2.host:2,");
    let s = inbox.sync().unwrap();
    let (m1, m2) = (s.messages()[0].modseq, s.messages()[1].modseq);
    assert!(m1 > 1 && m2 > m1 && s.highest_modseq == m2);

    // Another agent (mutt, Dovecot) renames a file to set \Seen.
    fs::rename(
        root.join("cur/1.M1.host:2,"),
        root.join("cur/1.M1.host:2,S"),
    )
    .unwrap();
    let s = inbox.sync().unwrap();
    assert!(s.messages()[0].modseq > m2, "a foreign flag rename bumps");
    assert_eq!(
        s.messages()[1].modseq,
        m2,
        "an untouched message keeps its MODSEQ"
    );
    let after_rename = s.highest_modseq;
    assert_eq!(after_rename, s.messages()[0].modseq);

    // Our own flag change, then an expunge.
    inbox.set_flags(2, Flags::FLAGGED, &[]).unwrap();
    let s = inbox.sync().unwrap();
    assert!(s.get(2).unwrap().modseq > after_rename);
    let before_expunge = s.highest_modseq;
    inbox.expunge(&[1]).unwrap();
    let s = inbox.sync().unwrap();
    assert!(
        s.highest_modseq > before_expunge,
        "an expunge bumps HIGHESTMODSEQ"
    );
    assert_eq!(inbox.expunged_since(before_expunge).unwrap(), Some(vec![1]));
    assert_eq!(
        inbox.expunged_since(s.highest_modseq).unwrap(),
        Some(vec![])
    );
    settle(&root);
    let recorded = inbox.sync().unwrap();

    // A restart: a new Store on the same home sees the same numbers (through the recorded state)…
    drop(store);
    let store = Store::open(&root).unwrap();
    let inbox = store.mailbox("INBOX").unwrap();
    let s = inbox.sync().unwrap();
    assert_eq!(s.highest_modseq, recorded.highest_modseq);
    assert_eq!(s.get(2).unwrap().modseq, recorded.get(2).unwrap().modseq);
    // … and a new message after the restart gets a higher one.
    let uid = inbox
        .save(b"Subject: new\r\n\r\nx\r\n", Flags::empty(), &[], None)
        .unwrap();
    let s = inbox.sync().unwrap();
    assert!(s.get(uid).unwrap().modseq > recorded.highest_modseq);
    assert_eq!(s.highest_modseq, s.get(uid).unwrap().modseq);
}

#[test]
fn a_lost_modseq_file_restarts_above_every_earlier_value() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("Maildir");
    let store = Store::create(&root).unwrap();
    let inbox = store.mailbox("INBOX").unwrap();
    deliver(&root, "cur", "1.M1.host:2,");
    let before = inbox.sync().unwrap();
    let validity = before.uid_validity;
    fs::remove_file(root.join("mailfts-modseq")).unwrap();
    // a fresh process (nothing in memory)
    let store = Store::open(&root).unwrap();
    let s = store.mailbox("INBOX").unwrap().sync().unwrap();
    assert_eq!(s.uid_validity, validity, "UIDVALIDITY kept");
    assert!(s.highest_modseq > before.highest_modseq);
    assert!(s.messages()[0].modseq > before.highest_modseq);
    assert_eq!(
        store
            .mailbox("INBOX")
            .unwrap()
            .expunged_since(before.highest_modseq)
            .unwrap(),
        None,
        "expunges before the loss are not known"
    );
}

#[test]
fn a_conditional_flag_change_sees_changes_no_sync_has_numbered_yet() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("Maildir");
    let store = Store::create(&root).unwrap();
    let inbox = store.mailbox("INBOX").unwrap();
    deliver(&root, "cur", "1.M1.host:2,");
    let s = inbox.sync().unwrap();
    let known = s.highest_modseq;
    assert!(inbox
        .set_flags_if_unchanged(1, Flags::SEEN, &[], known)
        .unwrap());
    // changed since `known` (by us): refused, the file keeps \Seen
    assert!(!inbox
        .set_flags_if_unchanged(1, Flags::FLAGGED, &[], known)
        .unwrap());
    let s = inbox.sync().unwrap();
    assert_eq!(s.messages()[0].flags, Flags::SEEN);
    // another agent renames the file and no sync has seen it yet: refused too
    let known = s.highest_modseq;
    fs::rename(
        root.join("cur/1.M1.host:2,S"),
        root.join("cur/1.M1.host:2,RS"),
    )
    .unwrap();
    assert!(!inbox
        .set_flags_if_unchanged(1, Flags::FLAGGED, &[], known)
        .unwrap());
    let s = inbox.sync().unwrap();
    assert_eq!(s.messages()[0].flags, Flags::SEEN.union(Flags::ANSWERED));
    assert!(s.messages()[0].modseq > known);
}

#[test]
fn a_fresh_process_reads_the_modseqs_a_sync_left_without_comparing_them_again() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("Maildir");
    let store = Store::create(&root).unwrap();
    for n in ["1.a", "2.b", "3.c"] {
        deliver(&root, "new", n);
    }
    let inbox = store.mailbox("INBOX").unwrap();
    inbox.sync().unwrap();
    fs::rename(root.join("new/2.b"), root.join("cur/2.b:2,S")).unwrap();
    settle(&root);
    let synced = inbox.sync().unwrap();
    let file = root.join("mailfts-modseq");
    let written = fs::read(&file).unwrap();

    // a fresh process: the recorded state names the file's HIGHESTMODSEQ, so the file is trusted
    let fresh = reopened_inbox(&root).sync_shared().unwrap();
    assert_eq!(fresh.highest_modseq, synced.highest_modseq);
    for m in synced.messages() {
        assert_eq!(
            fresh.entry(m.uid).unwrap().modseq,
            m.modseq,
            "uid {}",
            m.uid
        );
    }
    assert_eq!(fs::read(&file).unwrap(), written, "nothing to rewrite");

    // the file lost: not the one the state names, so counting restarts above every earlier value
    fs::remove_file(&file).unwrap();
    let after_loss = reopened_inbox(&root).sync_shared().unwrap();
    assert!(after_loss.highest_modseq > synced.highest_modseq);
    assert!(after_loss
        .messages()
        .iter()
        .all(|m| m.modseq > synced.highest_modseq || m.modseq == after_loss.highest_modseq));
    assert!(file.exists(), "the restart point is written at once");
}
