//! Integration tests of the Maildir store, on real files in temporary directories.

mod common;

mod uidlist {
    use super::common::*;
    use mailfts_store::{Store, StoreEvent};
    use std::fs;

    #[test]
    fn list_round_trips_through_reopen() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        for n in ["100.a", "101.b", "102.c"] {
            deliver(&root, "new", n);
        }
        let first = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(
            uids(&first),
            [
                (1, "100.a".into()),
                (2, "101.b".into()),
                (3, "102.c".into())
            ]
        );
        assert_eq!(first.uid_next, 4);

        let text = fs::read_to_string(root.join("mailfts-uidlist")).unwrap();
        assert_eq!(
            text,
            format!(
                "mailfts-uidlist 1 V{} N4\n1 100.a\n2 101.b\n3 102.c\n",
                first.uid_validity
            )
        );

        let again = Store::open(&root)
            .unwrap()
            .mailbox("inbox")
            .unwrap()
            .sync()
            .unwrap();
        assert_eq!(again.name, "INBOX");
        assert_eq!(
            (again.uid_validity, again.uid_next),
            (first.uid_validity, 4)
        );
        assert_eq!(uids(&again), uids(&first));
        assert!(again.events.is_empty(), "{:?}", again.events);
    }

    #[test]
    fn first_sync_reports_every_message_as_saved() {
        let (_home, store) = maildir();
        deliver(store.root(), "cur", "1.x:2,S");
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(
            s.events,
            [StoreEvent::Saved {
                mailbox: "INBOX".into(),
                uid: 1
            }]
        );
    }
}

mod dovecot {
    use super::common::*;
    use mailfts_store::{Flags, StoreEvent};
    use std::fs;
    use std::path::Path;

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dovecot-v3");

    fn install_fixture(root: &Path) {
        for f in ["dovecot-uidlist", "dovecot-keywords"] {
            fs::copy(Path::new(FIXTURE).join(f), root.join(f)).unwrap();
        }
    }

    #[test]
    fn dovecot_uids_win_and_unknown_files_follow_its_next_uid() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        install_fixture(&root);
        deliver(
            &root,
            "cur",
            "1276528487.M364837P9451.kurkku,S=2485,W=2535:2,RS",
        ); // flags changed since
        deliver(&root, "new", "1276528488.M1P9451.kurkku,S=100");
        deliver(&root, "cur", "1276528490.M3P9451.kurkku,S=110,W=120:2,RSa");
        deliver(&root, "new", "1276528600.M1P1.other"); // not in Dovecot's list
        let before = fs::read(root.join("dovecot-uidlist")).unwrap();

        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(s.uid_validity, 1276528480);
        assert_eq!(
            uids(&s),
            [
                (1, "1276528487.M364837P9451.kurkku,S=2485,W=2535".into()),
                (2, "1276528488.M1P9451.kurkku,S=100".into()),
                (5, "1276528490.M3P9451.kurkku,S=110,W=120".into()),
                (8, "1276528600.M1P1.other".into()),
            ]
        );
        assert_eq!(s.uid_next, 9);
        let m1 = s.get(1).unwrap();
        assert_eq!(m1.flags, Flags::SEEN.union(Flags::ANSWERED));
        assert_eq!((m1.size_hint, m1.vsize_hint), (Some(2485), Some(2535)));
        assert!(s.get(2).unwrap().recent);
        assert_eq!(s.get(5).unwrap().keywords, ["$Junk"]);
        assert_eq!(s.seq_of(5), Some(3));
        assert_eq!(s.seq_of(7), None);
        assert_eq!(
            fs::read(root.join("dovecot-uidlist")).unwrap(),
            before,
            "Dovecot's file must not be written"
        );

        // Dovecot numbers our file differently (and gives our UID to a newer file): Dovecot wins.
        deliver(&root, "new", "1276528700.M1P1.newer");
        fs::write(
            root.join("dovecot-uidlist"),
            [
                &before[..],
                b"8 :1276528700.M1P1.newer\n9 :1276528600.M1P1.other\n",
            ]
            .concat(),
        )
        .unwrap();
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        let mbox = || "INBOX".to_owned();
        assert_eq!(
            s.events,
            [
                StoreEvent::Expunged {
                    mailbox: mbox(),
                    uid: 8
                },
                StoreEvent::Saved {
                    mailbox: mbox(),
                    uid: 8
                },
                StoreEvent::Saved {
                    mailbox: mbox(),
                    uid: 9
                },
            ]
        );
        assert_eq!(s.get(8).unwrap().basename(), "1276528700.M1P1.newer");
        assert_eq!(s.get(9).unwrap().basename(), "1276528600.M1P1.other");
        assert_eq!(s.uid_next, 10);
    }

    #[test]
    fn keywords_we_add_do_not_touch_dovecot_keywords() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        install_fixture(&root);
        let inbox = store.mailbox("INBOX").unwrap();
        let uid = inbox
            .save(
                b"Subject: k\r\n\r\n",
                Flags::empty(),
                &["nonjunk", "Work"],
                None,
            )
            .unwrap();
        assert_eq!(uid, 8, "above Dovecot's next UID");
        let s = inbox.sync().unwrap();
        let m = s.get(uid).unwrap();
        assert!(m.file_name().ends_with(":2,bz"), "{}", m.file_name());
        assert_eq!(m.keywords, ["NonJunk", "Work"]);
        assert_eq!(
            fs::read_to_string(root.join("dovecot-keywords")).unwrap(),
            "0 $Junk\n1 NonJunk\n"
        );
    }

    #[test]
    fn uidvalidity_mismatch_with_dovecot_rebuilds_our_list() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        deliver(&root, "new", "1.a");
        let old = store.mailbox("INBOX").unwrap().sync().unwrap().uid_validity;
        fs::write(root.join("dovecot-uidlist"), "3 V42 N10\n3 :1.a\n").unwrap();
        let s = reopened_inbox(&root).sync().unwrap();
        assert_eq!(s.uid_validity, 42);
        assert_eq!(uids(&s), [(3, "1.a".into())]);
        assert_eq!(
            s.events,
            [
                StoreEvent::UidValidityChanged {
                    mailbox: "INBOX".into(),
                    old,
                    new: 42
                },
                StoreEvent::Saved {
                    mailbox: "INBOX".into(),
                    uid: 3
                },
            ]
        );
    }

    #[test]
    fn version_1_list() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        fs::write(
            root.join("dovecot-uidlist"),
            "1 1100000000 20\n12 500.x:2,S\n",
        )
        .unwrap();
        deliver(&root, "cur", "500.x:2,S");
        deliver(&root, "new", "600.y");
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(s.uid_validity, 1100000000);
        assert_eq!(uids(&s), [(12, "500.x".into()), (20, "600.y".into())]);
    }
}

mod stable_uids {
    use super::common::*;
    use mailfts_store::{Flags, StoreEvent};

    #[test]
    fn uids_survive_flag_renames_moves_and_reopen() {
        let (_home, _store, root, inbox) = maildir_inbox();
        for n in ["1000.M1P1.h", "1000.M2P1.h", "1000.M3P1.h"] {
            deliver(&root, "new", n);
        }
        let first = inbox.sync().unwrap();
        assert!(first.messages().iter().all(|m| m.recent));

        rename(&root, "new/1000.M1P1.h", "cur/1000.M1P1.h:2,S");
        rename(&root, "new/1000.M2P1.h", "cur/1000.M2P1.h:2,");
        let s = inbox.sync().unwrap();
        assert_eq!(uids(&s), uids(&first));
        assert!(!s.get(1).unwrap().recent && s.get(3).unwrap().recent);
        assert_eq!(
            s.events,
            [
                StoreEvent::FlagsChanged {
                    mailbox: "INBOX".into(),
                    uid: 1,
                    flags: Flags::SEEN,
                    keywords: vec![]
                },
                StoreEvent::FlagsChanged {
                    mailbox: "INBOX".into(),
                    uid: 2,
                    flags: Flags::empty(),
                    keywords: vec![]
                },
            ]
        );

        rename(&root, "cur/1000.M1P1.h:2,S", "cur/1000.M1P1.h:2,FST");
        let s = inbox.sync().unwrap();
        assert_eq!(uids(&s), uids(&first));
        assert_eq!(
            s.get(1).unwrap().flags,
            Flags::FLAGGED.union(Flags::SEEN).union(Flags::DELETED)
        );
        assert_eq!(s.events.len(), 1);
        assert!(inbox.sync().unwrap().events.is_empty());

        let reopened = reopened_inbox(&root).sync().unwrap();
        assert_eq!(uids(&reopened), uids(&first));
        assert_eq!(reopened.uid_validity, first.uid_validity);
        assert!(reopened.events.is_empty());
    }

    #[test]
    fn a_fresh_process_builds_the_same_entries_lazily() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        std::fs::write(root.join("dovecot-keywords"), "0 $Label1\n1 Work\n").unwrap();
        for n in ["1000.M1P1.h,S=40", "1000.M2P1.h", "1000.M3P1.h with space"] {
            deliver(&root, "new", n);
        }
        deliver(&root, "cur", "1000.M4P1.h,S=41,W=43:2,Sab");
        deliver(&root, "cur", "1000.M5P1.h:2,FT");
        settle(&root);
        let synced = store.mailbox("INBOX").unwrap().sync_shared().unwrap();
        assert_eq!(synced.len(), 5);
        // another process: the persisted state, entries made on demand
        let fresh = reopened_inbox(&root).sync_shared().unwrap();
        assert_eq!(fresh.uids(), synced.uids());
        assert_eq!(fresh.max_uid(), 5);
        // the flag facts read from the names alone, then from the built entries
        let facts = fresh.flag_facts();
        assert_eq!(facts, synced.flag_facts());
        assert_eq!(facts[3].keywords, ["$Label1", "Work"]);
        assert_eq!(facts[4].flags, Flags::FLAGGED.union(Flags::DELETED));
        assert!(facts[0].recent && !facts[4].recent);
        for uid in fresh.uids().to_vec() {
            // one entry alone, before and after all of them were built
            assert_eq!(fresh.entry(uid).as_ref(), synced.get(uid));
        }
        assert_eq!(fresh.messages(), synced.messages());
        assert_eq!(fresh.flag_facts(), facts);
        assert_eq!(fresh.entry(4).unwrap().keywords, ["$Label1", "Work"]);
        assert_eq!(fresh.entry(1).unwrap().size_hint, Some(40));
        assert!(fresh.entry(1).unwrap().recent && !fresh.entry(4).unwrap().recent);
        assert_eq!(fresh.entry(6), None);
        assert_eq!(fresh.seq_of(5), Some(5));
    }

    /// Resident kilobytes of this process's mappings of `path` (None: not mapped).
    #[cfg(target_os = "linux")]
    fn mapped_rss_kb(path: &std::path::Path) -> Option<u64> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut in_path = false;
        let mut total = None;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                in_path = line.ends_with(path.to_str().unwrap());
            } else if in_path && line.starts_with("Rss:") {
                let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                *total.get_or_insert(0) += kb;
            }
        }
        total
    }

    /// A rescan walks a large mailbox's mapped listing once: releasing the mapped pages takes them
    /// out of the resident memory, and what is read next is read again, unchanged.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_mapped_listing_gives_back_its_pages_and_reads_them_again() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        for n in 0..3000 {
            deliver(
                &root,
                "cur",
                &format!("1000.M{n}P1.some-host.example.org,S=1:2,S"),
            );
        }
        settle(&root);
        let synced = store.mailbox("INBOX").unwrap().sync_shared().unwrap();
        let fresh = reopened_inbox(&root).sync_shared().unwrap();
        assert_eq!(fresh.messages(), synced.messages());
        let state = root.join("mailfts-state");
        let before = mapped_rss_kb(&state).expect("the listing is mapped");
        assert!(before >= 64, "{before} kB resident");
        fresh.release_mapped_pages();
        assert_eq!(mapped_rss_kb(&state), Some(0));
        for uid in [1, 1500, 3000] {
            assert_eq!(fresh.entry(uid).as_ref(), synced.get(uid));
        }
        assert!(mapped_rss_kb(&state).unwrap() > 0);
    }

    #[test]
    fn shared_syncs_send_their_events_to_subscribers_and_keep_none() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        deliver(&root, "new", "1000.M1P1.h");
        deliver(&root, "cur", "1000.M2P1.h:2,S");
        // nobody listens: the events are not made, the messages are the same
        let quiet = store.mailbox("INBOX").unwrap().sync_shared().unwrap();
        assert!(quiet.events.is_empty(), "{:?}", quiet.events);
        assert_eq!(quiet.uids(), [1, 2]);
        assert_eq!(quiet.entry(2).unwrap().flags, Flags::SEEN);
        let events = store.subscribe();
        deliver(&root, "new", "1000.M3P1.h");
        rename(&root, "cur/1000.M2P1.h:2,S", "cur/1000.M2P1.h:2,FS");
        std::fs::remove_file(root.join("new/1000.M1P1.h")).unwrap();
        let shared = store.mailbox("INBOX").unwrap().sync_shared().unwrap();
        assert!(shared.events.is_empty(), "{:?}", shared.events);
        assert_eq!(shared.uids(), [2, 3]);
        assert_eq!(
            shared.entry(2).unwrap().flags,
            Flags::SEEN.union(Flags::FLAGGED)
        );
        let received: Vec<StoreEvent> = events.try_iter().collect();
        assert_eq!(
            received,
            [
                StoreEvent::Expunged {
                    mailbox: "INBOX".into(),
                    uid: 1
                },
                StoreEvent::FlagsChanged {
                    mailbox: "INBOX".into(),
                    uid: 2,
                    flags: Flags::SEEN.union(Flags::FLAGGED),
                    keywords: Vec::new(),
                },
                StoreEvent::Saved {
                    mailbox: "INBOX".into(),
                    uid: 3
                },
            ]
        );
        // an owned sync still hands its events to the caller
        deliver(&root, "new", "1000.M4P1.h");
        let owned = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(
            owned.events,
            [StoreEvent::Saved {
                mailbox: "INBOX".into(),
                uid: 4
            }]
        );
    }

    #[test]
    fn new_files_are_numbered_in_natural_order() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        for n in ["10.x", "2.x", "1.y", "1.x:2,S", "100.a", "9.z"] {
            let sub = if n.contains(':') { "cur" } else { "new" };
            deliver(&root, sub, n);
        }
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        let order: Vec<String> = s
            .messages()
            .iter()
            .map(|m| m.basename().to_owned())
            .collect();
        assert_eq!(order, ["1.x", "1.y", "2.x", "9.z", "10.x", "100.a"]);
        assert_eq!(
            s.messages().iter().map(|m| m.uid).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
    }

    #[test]
    fn expunges_are_detected_and_uids_never_reused() {
        let (_home, _store, root, inbox) = maildir_inbox();
        let a = deliver(&root, "new", "1.a");
        deliver(&root, "new", "2.b");
        let c = deliver(&root, "cur", "3.c:2,S");
        inbox.sync().unwrap();
        std::fs::remove_file(a).unwrap();
        std::fs::remove_file(c).unwrap();
        let s = inbox.sync().unwrap();
        assert_eq!(uids(&s), [(2, "2.b".into())]);
        assert_eq!(
            s.events,
            [
                StoreEvent::Expunged {
                    mailbox: "INBOX".into(),
                    uid: 1
                },
                StoreEvent::Expunged {
                    mailbox: "INBOX".into(),
                    uid: 3
                },
            ]
        );
        assert_eq!(s.uid_next, 4);
        deliver(&root, "new", "0.first-in-natural-order");
        let s = inbox.sync().unwrap();
        assert_eq!(
            uids(&s),
            [(2, "2.b".into()), (4, "0.first-in-natural-order".into())]
        );
    }

    #[test]
    fn duplicate_basename_keeps_the_cur_file() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        deliver(&root, "new", "5.dup");
        deliver(&root, "cur", "5.dup:2,S");
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(s.messages().len(), 1);
        assert_eq!(s.messages()[0].file_name(), "5.dup:2,S");
        assert!(!s.messages()[0].recent);
    }

    #[test]
    fn dotfiles_and_tmp_are_ignored() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        deliver(&root, "new", ".hidden");
        deliver(&root, "tmp", "1.in-delivery");
        deliver(&root, "cur", "2.real:2,");
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(uids(&s), [(1, "2.real".into())]);
    }

    #[test]
    fn read_of_a_vanished_file_is_not_found() {
        let (_home, store) = maildir();
        let path = deliver(store.root(), "new", "1.gone");
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        std::fs::remove_file(path).unwrap();
        assert_eq!(
            s.messages()[0].read().unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
        assert!(s.messages()[0].internal_date().is_err());
    }
}

mod uidvalidity {
    use super::common::*;
    use mailfts_store::StoreEvent;
    use std::fs;

    #[test]
    fn corrupt_list_is_rebuilt_with_a_new_uidvalidity() {
        let (_home, _store, root, inbox) = maildir_inbox();
        deliver(&root, "new", "1.a");
        deliver(&root, "new", "2.b");
        let first = inbox.sync().unwrap();
        let old = first.uid_validity;

        // Header readable, a record is not.
        fs::write(
            root.join("mailfts-uidlist"),
            format!("mailfts-uidlist 1 V{old} N3\n1 1.a\nbroken\n"),
        )
        .unwrap();
        let s = inbox.sync().unwrap();
        assert_ne!(s.uid_validity, old);
        assert!(s.uid_validity > old);
        assert_eq!(
            s.events[0],
            StoreEvent::UidValidityChanged {
                mailbox: "INBOX".into(),
                old,
                new: s.uid_validity
            }
        );
        assert_eq!(
            s.events.len(),
            3,
            "UIDVALIDITY change, then every message saved: {:?}",
            s.events
        );
        assert_eq!(uids(&s), [(1, "1.a".into()), (2, "2.b".into())]);

        // Entirely unreadable.
        let old = s.uid_validity;
        fs::write(root.join("mailfts-uidlist"), b"\xff\xfe garbage").unwrap();
        let s = inbox.sync().unwrap();
        assert!(s.uid_validity > old);
        assert!(
            matches!(s.events[0], StoreEvent::UidValidityChanged { new, .. } if new == s.uid_validity)
        );
        assert!(
            inbox.sync().unwrap().events.is_empty(),
            "the rebuilt list is good"
        );
    }

    #[test]
    fn recreated_mailbox_gets_a_different_uidvalidity() {
        let (_home, store) = maildir();
        let a = store
            .create_mailbox("Archive")
            .unwrap()
            .sync()
            .unwrap()
            .uid_validity;
        store.delete_mailbox("Archive").unwrap();
        let b = store
            .create_mailbox("Archive")
            .unwrap()
            .sync()
            .unwrap()
            .uid_validity;
        assert!(b > a, "{b} must differ from {a} (and grow)");
    }

    #[test]
    fn torn_append_is_repaired() {
        let (_home, _store, root, inbox) = maildir_inbox();
        deliver(&root, "new", "1.a");
        let v = inbox.sync().unwrap().uid_validity;
        // A crash in the middle of appending the record of UID 2.
        fs::write(
            root.join("mailfts-uidlist"),
            format!("mailfts-uidlist 1 V{v} N2\n1 1.a\n2 2."),
        )
        .unwrap();
        deliver(&root, "new", "3.c");
        let s = inbox.sync().unwrap();
        assert_eq!(s.uid_validity, v);
        assert_eq!(uids(&s), [(1, "1.a".into()), (2, "3.c".into())]);
        let text = fs::read_to_string(root.join("mailfts-uidlist")).unwrap();
        assert!(text.ends_with("\n1 1.a\n2 3.c\n"), "{text}");
    }
}

mod names {
    use super::common::*;
    use mailfts_store::{StoreError, StoreEvent};
    use std::fs;

    #[test]
    fn maildir_plus_plus_folders_with_modified_utf7() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        let events = store.subscribe();
        store.create_mailbox("Lists.linux-usb").unwrap();
        store.create_mailbox("Entwürfe").unwrap();
        store.create_mailbox("台北").unwrap();
        store.create_mailbox("Tom & Jerry").unwrap();
        for dir in [
            ".Lists.linux-usb",
            ".Entw&APw-rfe",
            ".&U,BTFw-",
            ".Tom &- Jerry",
        ] {
            assert!(root.join(dir).join("cur").is_dir(), "{dir}");
            assert!(root.join(dir).join("maildirfolder").is_file(), "{dir}");
        }
        // A folder made by another tool, and things that are not mailboxes.
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(root.join(".Gel&APY-schte Elemente").join(sub)).unwrap();
        }
        fs::create_dir_all(root.join(".no-cur")).unwrap();
        fs::create_dir_all(root.join(".bad&-utf7&/cur")).unwrap();
        fs::create_dir_all(root.join("..double/cur")).unwrap();
        assert_eq!(
            store.list_mailboxes().unwrap(),
            [
                "INBOX",
                "Entwürfe",
                "Gelöschte Elemente",
                "Lists.linux-usb",
                "Tom & Jerry",
                "台北"
            ]
        );
        assert_eq!(
            store.mailbox("Entwürfe").unwrap().path(),
            root.join(".Entw&APw-rfe")
        );
        assert_eq!(store.mailbox("iNbOx").unwrap().name(), "INBOX");
        assert!(matches!(
            store.mailbox("Nope"),
            Err(StoreError::MailboxNotFound { .. })
        ));
        assert!(matches!(
            store.create_mailbox("台北"),
            Err(StoreError::MailboxExists { .. })
        ));
        assert!(matches!(
            store.create_mailbox("inbox"),
            Err(StoreError::MailboxExists { .. })
        ));
        let created: Vec<_> = events.try_iter().collect();
        assert_eq!(created.len(), 4);
        assert_eq!(
            created[2],
            StoreEvent::MailboxCreated {
                mailbox: "台北".into()
            }
        );
    }

    #[test]
    fn refused_names() {
        let (_home, store) = maildir();
        for bad in [
            "..",
            "a/b",
            "a\0b",
            ".hidden",
            "a..b",
            "",
            "trailing.",
            "../../etc",
            "a\tb",
        ] {
            for result in [
                store.mailbox(bad).map(drop),
                store.create_mailbox(bad).map(drop),
            ] {
                match result {
                    Err(StoreError::InvalidMailboxName { name, reason }) => {
                        assert_eq!(name, bad);
                        assert!(!reason.is_empty());
                    }
                    other => panic!("{bad:?} accepted: {other:?}"),
                }
            }
        }
        assert_eq!(
            fs::read_dir(store.root())
                .unwrap()
                .filter(|e| e
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("."))
                .count(),
            0
        );
    }

    #[test]
    fn symlinked_folder_out_of_the_root_is_refused() {
        let (home, store) = maildir();
        let outside = home.path().join("elsewhere");
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(outside.join(sub)).unwrap();
        }
        std::os::unix::fs::symlink(&outside, store.root().join(".Escape")).unwrap();
        assert!(matches!(
            store.mailbox("Escape"),
            Err(StoreError::OutsideRoot { .. })
        ));
        assert_eq!(store.list_mailboxes().unwrap(), ["INBOX"]);

        // A link that stays inside the root is fine.
        store.create_mailbox("Real").unwrap();
        std::os::unix::fs::symlink(store.root().join(".Real"), store.root().join(".Alias"))
            .unwrap();
        store.mailbox("Alias").unwrap();
    }

    #[test]
    fn rename_moves_children_and_keeps_uids() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        let lists = store.create_mailbox("Lists").unwrap();
        let usb = store.create_mailbox("Lists.linux-usb").unwrap();
        store.create_mailbox("Listsx").unwrap();
        let uid = usb
            .save(b"Subject: usb\r\n\r\n", Default::default(), &[], None)
            .unwrap();
        let v = usb.sync().unwrap().uid_validity;
        lists
            .save(b"Subject: l\r\n\r\n", Default::default(), &[], None)
            .unwrap();
        let events = store.subscribe();

        store.rename_mailbox("Lists", "Archiv.Listen").unwrap();
        assert_eq!(
            store.list_mailboxes().unwrap(),
            [
                "INBOX",
                "Archiv.Listen",
                "Archiv.Listen.linux-usb",
                "Listsx"
            ]
        );
        assert!(root.join(".Archiv.Listen.linux-usb/cur").is_dir());
        let moved = store
            .mailbox("Archiv.Listen.linux-usb")
            .unwrap()
            .sync()
            .unwrap();
        assert_eq!(moved.uid_validity, v);
        assert_eq!(moved.messages()[0].uid, uid);
        assert_eq!(
            events.try_iter().collect::<Vec<_>>(),
            [
                StoreEvent::MailboxRenamed {
                    from: "Lists".into(),
                    to: "Archiv.Listen".into()
                },
                StoreEvent::MailboxRenamed {
                    from: "Lists.linux-usb".into(),
                    to: "Archiv.Listen.linux-usb".into()
                },
            ]
        );

        assert!(matches!(
            store.rename_mailbox("Listsx", "Archiv.Listen"),
            Err(StoreError::MailboxExists { .. })
        ));
        assert!(matches!(
            store.rename_mailbox("Listsx", "Listsx.sub"),
            Err(StoreError::InvalidMailboxName { .. })
        ));
        assert!(matches!(
            store.rename_mailbox("INBOX", "Old"),
            Err(StoreError::NotSupported { .. })
        ));
        assert!(matches!(
            store.rename_mailbox("Missing", "Other"),
            Err(StoreError::MailboxNotFound { .. })
        ));
    }

    #[test]
    fn delete_keeps_children_and_refuses_inbox() {
        let (_home, store) = maildir();
        store.create_mailbox("A").unwrap();
        store.create_mailbox("A.B").unwrap();
        store.delete_mailbox("A").unwrap();
        assert_eq!(store.list_mailboxes().unwrap(), ["INBOX", "A.B"]);
        assert!(matches!(
            store.delete_mailbox("INBOX"),
            Err(StoreError::NotSupported { .. })
        ));
        assert!(matches!(
            store.delete_mailbox("A"),
            Err(StoreError::MailboxNotFound { .. })
        ));
        // Nothing left behind in the root but the remaining folder and our counter.
        let mut left: Vec<String> = fs::read_dir(store.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        left.sort();
        assert_eq!(left, [".A.B"]);
    }
}

mod writes {
    use super::common::*;
    use mailfts_store::{Flags, StoreError, StoreEvent};
    use std::fs;
    use std::io::Write;

    const MSG: &[u8] = b"From: a@example.org\nSubject: save\n\nbody\n";

    /// An IMAP APPEND lands in new/ (as Dovecot saves it), numbered at once and recent until a
    /// flag change (a session's claim) moves it to cur/; so does an IMAP COPY.
    #[test]
    fn save_recent_delivers_to_new() {
        let (_home, store, root, inbox) = maildir_inbox();
        let plain = inbox.save_recent(MSG, Flags::empty(), &[], None).unwrap();
        let flagged = inbox
            .save_recent(MSG, Flags::SEEN, &["$Label1"], Some(1_700_000_000))
            .unwrap();
        assert_eq!((plain, flagged), (1, 2));
        let snap = inbox.sync().unwrap();
        let (a, b) = (snap.get(plain).unwrap(), snap.get(flagged).unwrap());
        assert!(a.recent && b.recent);
        assert!(a.path.starts_with(root.join("new")) && !a.file_name().contains(":2,"));
        assert!(b.path.starts_with(root.join("new")) && b.file_name().ends_with(":2,Sa"));
        assert_eq!(
            (b.flags, b.keywords.clone()),
            (Flags::SEEN, vec!["$Label1".to_owned()])
        );
        assert_eq!(b.internal_date().unwrap(), 1_700_000_000);
        inbox.set_flags(plain, Flags::empty(), &[]).unwrap();
        let snap = inbox.sync().unwrap();
        let a = snap.get(plain).unwrap();
        assert!(!a.recent && a.path.starts_with(root.join("cur")));
        assert_eq!(snap.messages().len(), 2);
        // An IMAP COPY or MOVE: the copy is recent in its mailbox too, flags and keywords kept.
        store.create_mailbox("Dest").unwrap();
        let dest = store.mailbox("Dest").unwrap();
        let copied = inbox.copy_to_recent(flagged, &dest).unwrap();
        let snap = dest.sync().unwrap();
        let c = snap.get(copied).unwrap();
        assert!(c.recent && c.path.starts_with(dest.path().join("new")));
        assert_eq!(
            (c.flags, c.keywords.clone()),
            (Flags::SEEN, vec!["$Label1".to_owned()])
        );
    }

    #[test]
    fn save_set_flags_expunge() {
        let (_home, store, root, inbox) = maildir_inbox();
        let events = store.subscribe();
        deliver(&root, "new", "1.before");
        let uid = inbox
            .save(
                MSG,
                Flags::SEEN.union(Flags::DRAFT),
                &["$Label1"],
                Some(1_000_000_000),
            )
            .unwrap();
        assert_eq!(
            uid, 2,
            "with no list yet the save syncs: the MDA's earlier file comes first"
        );

        let s = inbox.sync().unwrap();
        assert!(
            s.events.is_empty(),
            "saves are not reported again: {:?}",
            s.events
        );
        let m = s.get(uid).unwrap();
        let name = m.file_name().to_owned();
        assert!(m.path.starts_with(root.join("cur")));
        assert!(
            name.contains(&format!(",S={},W={}:2,DSa", MSG.len(), MSG.len() + 4)),
            "{name}"
        );
        assert_eq!(
            (m.size_hint, m.vsize_hint),
            (Some(MSG.len() as u64), Some(MSG.len() as u64 + 4))
        );
        assert_eq!(m.read().unwrap(), MSG);
        assert_eq!(m.internal_date().unwrap(), 1_000_000_000);
        assert_eq!(m.keywords, ["$Label1"]);
        assert!(!m.recent);
        assert_eq!(fs::read_dir(root.join("tmp")).unwrap().count(), 0);
        assert_eq!(
            inbox.save(b"second", Flags::empty(), &[], None).unwrap(),
            3,
            "appended to the list"
        );

        inbox.set_flags(uid, Flags::ANSWERED, &["Work"]).unwrap();
        let s = inbox.sync().unwrap();
        assert!(s.events.is_empty(), "{:?}", s.events);
        let m = s.get(uid).unwrap();
        assert_eq!(
            (m.flags, m.keywords.clone()),
            (Flags::ANSWERED, vec!["Work".to_owned()])
        );
        assert!(m.file_name().ends_with(":2,Rb"), "{}", m.file_name());
        assert!(!root.join("cur").join(&name).exists());

        // set_flags on a message in new/ moves it to cur/.
        inbox.set_flags(1, Flags::SEEN, &[]).unwrap();
        let s = inbox.sync().unwrap();
        assert_eq!(s.get(1).unwrap().path, root.join("cur/1.before:2,S"));

        assert_eq!(inbox.expunge(&[uid, 99]).unwrap(), [uid]);
        let s = inbox.sync().unwrap();
        assert!(s.get(uid).is_none());
        assert!(s.events.is_empty());
        assert!(matches!(
            inbox.set_flags(uid, Flags::SEEN, &[]),
            Err(StoreError::UidNotFound { uid: 2, .. })
        ));
        assert!(matches!(
            inbox.set_flags(1, Flags::SEEN, &["bad keyword"]),
            Err(StoreError::InvalidKeyword { .. })
        ));

        let all: Vec<StoreEvent> = events.try_iter().collect();
        let mbox = || "INBOX".to_owned();
        assert_eq!(
            all,
            [
                StoreEvent::Saved {
                    mailbox: mbox(),
                    uid: 1
                },
                StoreEvent::Saved {
                    mailbox: mbox(),
                    uid: 2
                },
                StoreEvent::Saved {
                    mailbox: mbox(),
                    uid: 3
                },
                StoreEvent::FlagsChanged {
                    mailbox: mbox(),
                    uid: 2,
                    flags: Flags::ANSWERED,
                    keywords: vec!["Work".into()]
                },
                StoreEvent::FlagsChanged {
                    mailbox: mbox(),
                    uid: 1,
                    flags: Flags::SEEN,
                    keywords: vec![]
                },
                StoreEvent::Expunged {
                    mailbox: mbox(),
                    uid: 2
                },
            ]
        );
    }

    #[test]
    fn set_flags_after_someone_else_renamed_the_file() {
        let (_home, _store, root, inbox) = maildir_inbox();
        deliver(&root, "new", "1.x");
        inbox.sync().unwrap();
        rename(&root, "new/1.x", "cur/1.x:2,F"); // another client, not yet synced
        inbox.set_flags(1, Flags::SEEN, &[]).unwrap();
        let s = inbox.sync().unwrap();
        assert_eq!(s.get(1).unwrap().path, root.join("cur/1.x:2,S"));
        assert_eq!(inbox.expunge(&[1]).unwrap(), [1]);
    }

    #[test]
    fn expunge_finds_files_renamed_by_others() {
        let (_home, _store, root, inbox) = maildir_inbox();
        deliver(&root, "new", "1.x");
        deliver(&root, "new", "2.y");
        inbox.sync().unwrap();
        rename(&root, "new/1.x", "cur/1.x:2,S");
        assert_eq!(inbox.expunge(&[1, 2]).unwrap(), [1, 2]);
        assert_eq!(fs::read_dir(root.join("cur")).unwrap().count(), 0);
        assert!(inbox.sync().unwrap().messages().is_empty());
    }

    #[test]
    fn copy_keeps_bytes_flags_keywords_and_date() {
        let (_home, store) = maildir();
        let inbox = store.mailbox("INBOX").unwrap();
        let archive = store.create_mailbox("Archive").unwrap();
        archive
            .save(b"already there", Flags::empty(), &["Other"], None)
            .unwrap();
        let uid = inbox
            .save(MSG, Flags::FLAGGED, &["$Important"], Some(1_234_567_890))
            .unwrap();
        let copied = inbox.copy_to(uid, &archive).unwrap();
        assert_eq!(copied, 2);
        let s = archive.sync().unwrap();
        let m = s.get(copied).unwrap();
        assert_eq!(m.read().unwrap(), MSG);
        assert_eq!(m.flags, Flags::FLAGGED);
        assert_eq!(m.keywords, ["$Important"]);
        assert!(
            m.file_name().ends_with(":2,Fb"),
            "letters of the destination's table: {}",
            m.file_name()
        );
        assert_eq!(m.internal_date().unwrap(), 1_234_567_890);
        assert_eq!(m.size_hint, Some(MSG.len() as u64));
        assert_eq!(
            inbox.sync().unwrap().messages().len(),
            1,
            "the source keeps its message"
        );
        assert!(matches!(
            inbox.copy_to(77, &archive),
            Err(StoreError::UidNotFound { uid: 77, .. })
        ));
        // Copy within one mailbox gives a new UID.
        assert_eq!(inbox.copy_to(uid, &inbox).unwrap(), uid + 1);
    }

    #[test]
    fn compressed_files_read_as_the_message() {
        let (_home, store) = maildir();
        let path = store.root().join("cur/1.gz,S=40:2,S");
        let mut gz = flate2::write::GzEncoder::new(
            fs::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(MSG).unwrap();
        gz.finish().unwrap();
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(s.messages()[0].read().unwrap(), MSG);
        assert_ne!(s.messages()[0].read_raw().unwrap(), MSG);
    }
}

mod compression {
    use super::common::*;
    use mailfts_store::{
        Compression, DecompressError, DecompressErrorKind, DecompressLimits, Flags, Format,
        MessageEntry, Store, StoreOptions,
    };
    use std::fs;
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;

    /// A message of about 60 KB with bare LF line ends.
    fn message(tag: &str) -> Vec<u8> {
        let mut m = format!("From: a@example.org\nSubject: {tag}\n\n").into_bytes();
        for i in 0..2000 {
            m.extend_from_slice(format!("{tag} line {i}: usb gadget\n").as_bytes());
        }
        m
    }

    fn vsize(m: &[u8]) -> u64 {
        (m.len() + m.iter().filter(|&&b| b == b'\n').count()) as u64
    }

    fn store_with(compress_new_mail: Compression) -> (tempfile::TempDir, Store) {
        let home = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            compress_new_mail,
            ..StoreOptions::default()
        };
        let store = Store::create_with(home.path().join("Maildir"), options).unwrap();
        (home, store)
    }

    fn entry(store: &Store, mailbox: &str, uid: u32) -> MessageEntry {
        let s = store.mailbox(mailbox).unwrap().sync().unwrap();
        s.get(uid).unwrap().clone()
    }

    #[test]
    fn saves_are_compressed_as_configured_and_read_back() {
        for (c, format) in [
            (Compression::Zstd, Some(Format::Zstd)),
            (Compression::Gzip, Some(Format::Gzip)),
            (Compression::None, None),
        ] {
            let (_home, store) = store_with(c);
            let msg = message(c.name());
            let uid = store
                .mailbox("INBOX")
                .unwrap()
                .save(&msg, Flags::SEEN, &["$Label1"], Some(1_500_000_000))
                .unwrap();
            let m = entry(&store, "INBOX", uid);
            assert_eq!(m.compression().unwrap(), format, "{c}");
            assert_eq!(Format::detect(&m.read_raw().unwrap()), format, "{c}");
            if format.is_some() {
                assert!(m.read_raw().unwrap().len() < msg.len() / 4, "{c}");
            }
            assert_eq!(m.read().unwrap(), msg, "{c}");
            assert_eq!(
                m.size_hint,
                Some(msg.len() as u64),
                "{c}: ,S= is the uncompressed size"
            );
            assert_eq!(m.vsize_hint, Some(vsize(&msg)), "{c}");
            assert_eq!(
                (m.size().unwrap(), m.vsize().unwrap()),
                (msg.len() as u64, vsize(&msg))
            );
            assert_eq!(m.internal_date().unwrap(), 1_500_000_000);
            assert_eq!(m.keywords, ["$Label1"]);
            let mut head = String::new();
            m.open()
                .unwrap()
                .take(21)
                .read_to_string(&mut head)
                .unwrap();
            assert_eq!(head, "From: a@example.org\nS");
        }
    }

    #[test]
    fn bytes_that_look_compressed_are_stored_wrapped() {
        let (_home, store) = maildir();
        let inbox = store.mailbox("INBOX").unwrap();
        let looks_gzip = b"\x1f\x8b not really gzip\r\n".to_vec();
        let uid = inbox.save(&looks_gzip, Flags::empty(), &[], None).unwrap();
        let m = entry(&store, "INBOX", uid);
        assert_eq!(m.compression().unwrap(), Some(Format::Zstd));
        assert_eq!(m.read().unwrap(), looks_gzip);
    }

    #[test]
    fn copies_into_a_compressing_store() {
        let (home, plain) = maildir();
        let root = home.path().join("Maildir");
        plain.create_mailbox("Archive").unwrap();
        let msg = message("copy");
        // A plain file without sizes in its name, as most MDAs write.
        fs::write(root.join("cur/1000.M1.host:2,S"), &msg).unwrap();
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_400_000_000);
        fs::File::options()
            .write(true)
            .open(root.join("cur/1000.M1.host:2,S"))
            .unwrap()
            .set_modified(when)
            .unwrap();
        // A compressed file without ,S= (not Dovecot's way, but found in the wild).
        let z = mailfts_store::compress::compress(&msg, Compression::Zstd, None).unwrap();
        fs::write(root.join("cur/1001.M1.host:2,"), &z).unwrap();
        plain.mailbox("INBOX").unwrap().sync().unwrap();

        let zstore = Store::open_with(
            &root,
            StoreOptions {
                compress_new_mail: Compression::Zstd,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        let (inbox, archive) = (
            zstore.mailbox("INBOX").unwrap(),
            zstore.mailbox("Archive").unwrap(),
        );
        inbox.sync().unwrap();
        let a = inbox.copy_to(1, &archive).unwrap();
        let m = entry(&zstore, "Archive", a);
        assert_eq!(
            m.compression().unwrap(),
            Some(Format::Zstd),
            "plain source: compressed copy"
        );
        assert_eq!(m.read().unwrap(), msg);
        assert_eq!(
            (m.size_hint, m.vsize_hint),
            (Some(msg.len() as u64), Some(vsize(&msg)))
        );
        assert_eq!(m.internal_date().unwrap(), 1_400_000_000);
        assert_eq!(m.flags, Flags::SEEN);

        let b = inbox.copy_to(2, &archive).unwrap();
        let m = entry(&zstore, "Archive", b);
        let src = entry(&zstore, "INBOX", 2);
        assert_eq!(
            fs::metadata(&m.path).unwrap().ino(),
            fs::metadata(&src.path).unwrap().ino(),
            "compressed source: hard link"
        );
        assert_eq!(
            m.size_hint,
            Some(msg.len() as u64),
            ",S= added to the copy's name"
        );
        assert_eq!(m.read().unwrap(), msg);

        // Without compression, a plain file is linked as before.
        let c = plain
            .mailbox("INBOX")
            .unwrap()
            .copy_to(1, &plain.mailbox("Archive").unwrap())
            .unwrap();
        let m = entry(&plain, "Archive", c);
        assert_eq!(m.compression().unwrap(), None);
        assert_eq!(m.size_hint, None);
        assert_eq!(
            (m.size().unwrap(), m.vsize().unwrap()),
            (msg.len() as u64, vsize(&msg))
        );
    }

    #[test]
    fn broken_files_cost_one_message() {
        let (home, store) = maildir();
        let cur = home.path().join("Maildir/cur");
        let msg = message("ok");
        let z = mailfts_store::compress::compress(&msg, Compression::Zstd, None).unwrap();
        fs::write(cur.join("1.good,S=1:2,"), &z).unwrap();
        fs::write(cur.join("2.truncated:2,"), &z[..z.len() * 2 / 3]).unwrap();
        let bomb =
            mailfts_store::compress::compress(&vec![b'x'; 32 << 20], Compression::Zstd, None)
                .unwrap();
        fs::write(cur.join("3.bomb:2,"), &bomb).unwrap();
        fs::write(cur.join("4.plain:2,"), &msg).unwrap();
        let s = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(s.messages().len(), 4);
        assert_eq!(
            s.messages()[0].read().unwrap(),
            msg,
            "a wrong ,S= is only a hint"
        );
        let err = s.messages()[1].read().unwrap_err();
        let de = DecompressError::of(&err).unwrap();
        assert_eq!(
            (de.format, &de.kind),
            (Format::Zstd, &DecompressErrorKind::Truncated)
        );
        assert_eq!(de.problem(), "compression: truncated zstd");
        assert!(s.messages()[1]
            .open()
            .unwrap()
            .read_to_end(&mut Vec::new())
            .is_err());
        let err = s.messages()[2].read().unwrap_err();
        assert_eq!(
            DecompressError::of(&err).unwrap().problem(),
            "compression: bomb"
        );
        assert!(err.to_string().contains("compression bomb"), "{err}");
        assert!(s.messages()[2].vsize().is_err());
        assert_eq!(s.messages()[3].read().unwrap(), msg);

        // Configured limits: 16 KB at most.
        let tight = Store::open_with(
            store.root(),
            StoreOptions {
                decompress_limits: DecompressLimits {
                    max_size: 16 << 10,
                    ..DecompressLimits::default()
                },
                ..StoreOptions::default()
            },
        )
        .unwrap();
        let s = tight.mailbox("INBOX").unwrap().sync().unwrap();
        let err = s.messages()[0].read().unwrap_err();
        let de = DecompressError::of(&err).unwrap();
        assert_eq!(de.kind, DecompressErrorKind::TooLarge { limit: 16 << 10 });
        assert_eq!(
            s.messages()[3].read().unwrap(),
            msg,
            "plain files have no limit"
        );
    }
}

mod types {
    #[test]
    fn handles_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
        assert_send_sync::<mailfts_store::Store>();
        assert_send_sync::<mailfts_store::Mailbox>();
        assert_send_sync::<mailfts_store::Snapshot>();
        fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
        assert_error::<mailfts_store::StoreError>();
    }
}

mod concurrency {
    use super::common::*;
    use std::collections::HashMap;
    use std::sync::{Arc, Barrier};
    use std::thread;

    use mailfts_store::Flags;

    #[test]
    fn concurrent_syncs_and_saves_never_share_a_uid() {
        let (_home, store) = maildir();
        let root = store.root().to_path_buf();
        let barrier = Arc::new(Barrier::new(4));
        let mut handles = Vec::new();
        // Two syncing threads, each through its own Store (as two processes would be).
        for t in 0..2 {
            let (root, barrier) = (root.clone(), barrier.clone());
            handles.push(thread::spawn(move || {
                let inbox = reopened_inbox(&root);
                barrier.wait();
                (0..40)
                    .map(|_| inbox.sync().unwrap())
                    .map(|s| (t, uids(&s)))
                    .collect::<Vec<_>>()
            }));
        }
        // One MDA delivering, one IMAP client saving.
        {
            let (root, barrier) = (root.clone(), barrier.clone());
            handles.push(thread::spawn(move || {
                barrier.wait();
                for i in 0..200 {
                    deliver(&root, "new", &format!("{i}.mda"));
                }
                Vec::new()
            }));
        }
        let saver = {
            let (root, barrier) = (root.clone(), barrier.clone());
            thread::spawn(move || {
                let inbox = reopened_inbox(&root);
                barrier.wait();
                (0..50)
                    .map(|i| {
                        inbox
                            .save(format!("m{i}").as_bytes(), Flags::empty(), &[], None)
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        };
        let mut views: Vec<Vec<(u32, String)>> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .map(|(_, v)| v)
            .collect();
        let saved_uids = saver.join().unwrap();
        views.push(uids(&store.mailbox("INBOX").unwrap().sync().unwrap()));

        let mut by_uid: HashMap<u32, String> = HashMap::new();
        let mut by_name: HashMap<String, u32> = HashMap::new();
        for (uid, name) in views.into_iter().flatten() {
            assert_eq!(
                by_uid.entry(uid).or_insert_with(|| name.clone()),
                &name,
                "UID {uid} handed out twice"
            );
            assert_eq!(
                *by_name.entry(name.clone()).or_insert(uid),
                uid,
                "{name} renumbered"
            );
        }
        let last = store.mailbox("INBOX").unwrap().sync().unwrap();
        assert_eq!(last.messages().len(), 250);
        let mut sorted = saved_uids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 50);
        assert!(saved_uids.iter().all(|u| last.get(*u).is_some()));
    }
}

mod model {
    //! Random sequences of MDA and client actions against a model of what UIDs must do.
    use super::common::*;
    use mailfts_store::{Flags, StoreEvent};
    use proptest::prelude::*;
    use std::collections::{BTreeSet, HashMap};
    use std::fs;

    #[derive(Debug, Clone)]
    enum Op {
        Deliver(u16),
        Seen(usize),
        ToCur(usize),
        Delete(usize),
        Sync,
        Reopen,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u16..1000).prop_map(Op::Deliver),
            1 => any::<usize>().prop_map(Op::Seen),
            1 => any::<usize>().prop_map(Op::ToCur),
            1 => any::<usize>().prop_map(Op::Delete),
            2 => Just(Op::Sync),
            1 => Just(Op::Reopen),
        ]
    }

    /// A message file on disk: basename and path relative to the root.
    struct File {
        base: String,
        rel: String,
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn uids_are_stable_unique_and_never_reused(ops in proptest::collection::vec(op(), 1..40)) {
            let (_home, store) = maildir();
            let root = store.root().to_path_buf();
            let mut inbox = store.mailbox("INBOX").unwrap();
            let mut files: Vec<File> = Vec::new();
            let mut uid_of: HashMap<String, u32> = HashMap::new();
            let mut gone_since_sync: BTreeSet<u32> = BTreeSet::new();
            let mut max_uid = 0u32;
            for (counter, op) in ops.into_iter().chain([Op::Sync]).enumerate() {
                match op {
                    Op::Deliver(n) => {
                        let base = format!("{n}.Q{counter}.host");
                        deliver(&root, "new", &base);
                        files.push(File { rel: format!("new/{base}"), base });
                    }
                    Op::Seen(i) | Op::ToCur(i) if !files.is_empty() => {
                        let info = if matches!(op, Op::Seen(_)) { "S" } else { "" };
                        let n = files.len();
                        let f = &mut files[i % n];
                        let rel = format!("cur/{}:2,{info}", f.base);
                        rename(&root, &f.rel, &rel);
                        f.rel = rel;
                    }
                    Op::Delete(i) if !files.is_empty() => {
                        let n = files.len();
                        let f = files.remove(i % n);
                        fs::remove_file(root.join(&f.rel)).unwrap();
                        if let Some(uid) = uid_of.remove(&f.base) {
                            gone_since_sync.insert(uid);
                        }
                    }
                    Op::Sync | Op::Reopen => {
                        if matches!(op, Op::Reopen) {
                            inbox = reopened_inbox(&root);
                        }
                        let s = inbox.sync().unwrap();
                        prop_assert!(s.messages().windows(2).all(|w| w[0].uid < w[1].uid));
                        prop_assert_eq!(s.messages().len(), files.len());
                        let mut saved = BTreeSet::new();
                        let floor = max_uid;
                        for m in s.messages() {
                            let f = files.iter().find(|f| f.base == m.basename()).expect("a file on disk");
                            prop_assert_eq!(&m.path, &root.join(&f.rel));
                            prop_assert_eq!(m.recent, f.rel.starts_with("new/"));
                            prop_assert_eq!(m.flags.contains(Flags::SEEN), f.rel.ends_with(":2,S"));
                            match uid_of.get(m.basename()) {
                                Some(&uid) => prop_assert_eq!(uid, m.uid, "UID changed"),
                                None => {
                                    prop_assert!(m.uid > floor, "UID {} reused or below {}", m.uid, floor);
                                    uid_of.insert(m.basename().to_owned(), m.uid);
                                    saved.insert(m.uid);
                                }
                            }
                            max_uid = max_uid.max(m.uid);
                        }
                        prop_assert!(s.uid_next > max_uid);
                        let events_saved: BTreeSet<u32> = s.events.iter().filter_map(|e| match e {
                            StoreEvent::Saved { uid, .. } => Some(*uid),
                            _ => None,
                        }).collect();
                        let events_gone: BTreeSet<u32> = s.events.iter().filter_map(|e| match e {
                            StoreEvent::Expunged { uid, .. } => Some(*uid),
                            _ => None,
                        }).collect();
                        prop_assert_eq!(events_saved, saved);
                        prop_assert_eq!(&events_gone, &gone_since_sync);
                        gone_since_sync.clear();
                    }
                    _ => {}
                }
            }
        }
    }
}

mod unchanged {
    use super::common::*;
    use mailfts_store::{Flags, StoreEvent};
    use std::fs;

    #[test]
    fn settled_mailbox_is_served_from_memory_and_changes_are_seen() {
        let (_home, _store, root, inbox) = maildir_inbox();
        deliver(&root, "new", "1.a");
        deliver(&root, "cur", "2.b:2,S");
        settle(&root);
        let full = inbox.sync().unwrap();
        let cached = inbox.sync().unwrap();
        assert_eq!(cached.messages(), full.messages());
        assert_eq!(
            (cached.uid_validity, cached.uid_next),
            (full.uid_validity, full.uid_next)
        );
        assert!(cached.events.is_empty());

        // Proof that the second sync did not read cur/: a file added behind an unchanged mtime is
        // not seen (Maildir tools always change the mtime)...
        let mtime = fs::metadata(root.join("cur")).unwrap().modified().unwrap();
        deliver(&root, "cur", "3.hidden:2,");
        fs::File::open(root.join("cur"))
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(inbox.sync().unwrap().messages().len(), 2);
        // ...and any real change is.
        rename(&root, "cur/2.b:2,S", "cur/2.b:2,RS");
        let s = inbox.sync().unwrap();
        assert_eq!(
            uids(&s),
            [(1, "1.a".into()), (2, "2.b".into()), (3, "3.hidden".into())]
        );
        assert!(s.events.contains(&StoreEvent::FlagsChanged {
            mailbox: "INBOX".into(),
            uid: 2,
            flags: Flags::SEEN.union(Flags::ANSWERED),
            keywords: vec![]
        }));
    }

    /// A large mailbox's listing is not kept in memory once its state file holds it: the sync
    /// reads the names in place from the file it just wrote, and answers as before.
    #[test]
    fn a_large_settled_listing_is_read_from_its_saved_state() {
        let (_home, _store, root, inbox) = maildir_inbox();
        let n = mailfts_store::READ_SAVED_FROM;
        for i in 0..n {
            deliver(&root, "cur", &format!("{i}.m:2,S"));
        }
        // just delivered: the directories have not settled, nothing is saved
        let unsettled = inbox.sync().unwrap();
        assert_eq!(unsettled.len(), n);
        assert!(inbox.listing_heap_bytes() > n * 16);
        settle(&root);
        let settled = inbox.sync().unwrap();
        assert_eq!(
            inbox.listing_heap_bytes(),
            0,
            "read in place from the state file"
        );
        assert_eq!(uids(&settled), uids(&unsettled));
        assert_eq!(uids(&inbox.sync_shared().unwrap()), uids(&unsettled));
        // a write of this process copies it out again, and is seen
        let uid = settled.uids()[n / 2];
        inbox.set_flags(uid, Flags::FLAGGED, &[]).unwrap();
        assert!(inbox.listing_heap_bytes() > 0);
        let after = inbox.sync().unwrap();
        assert_eq!(after.get(uid).unwrap().flags, Flags::FLAGGED);
        assert_eq!(after.len(), n);
        // and so does another process
        let again = reopened_inbox(&root).sync().unwrap();
        assert_eq!(uids(&again), uids(&after));
        assert_eq!(again.get(uid).unwrap().flags, Flags::FLAGGED);
    }

    /// Below [`mailfts_store::READ_SAVED_FROM`] messages the listing stays in memory.
    #[test]
    fn a_small_listing_stays_in_memory() {
        let (_home, _store, root, inbox) = maildir_inbox();
        deliver(&root, "cur", "1.a:2,S");
        settle(&root);
        inbox.sync().unwrap();
        assert!(inbox.listing_heap_bytes() > 0);
    }

    #[test]
    fn shared_snapshots_are_reused_until_anything_changes() {
        let (_home, store, root, inbox) = maildir_inbox();
        deliver(&root, "new", "1.a");
        deliver(&root, "cur", "2.b:2,S");
        settle(&root);
        let first = inbox.sync_shared().unwrap();
        let second = inbox.sync_shared().unwrap();
        let third = store.mailbox("INBOX").unwrap().sync_shared().unwrap();
        assert!(
            std::sync::Arc::ptr_eq(&second, &third),
            "unchanged: one shared snapshot"
        );
        assert_eq!(first.messages(), second.messages());
        assert_eq!(inbox.sync().unwrap().messages(), second.messages());
        // a delivery by another process
        deliver(&root, "cur", "3.c:2,");
        let after = inbox.sync_shared().unwrap();
        assert!(!std::sync::Arc::ptr_eq(&second, &after));
        assert_eq!(
            uids(&after),
            [(1, "1.a".into()), (2, "2.b".into()), (3, "3.c".into())]
        );
        // a flag rename and an expunge by another process, once settled again
        settle(&root);
        inbox.sync_shared().unwrap(); // reads the directories (their state changed)
        let settled = inbox.sync_shared().unwrap();
        assert!(std::sync::Arc::ptr_eq(
            &settled,
            &inbox.sync_shared().unwrap()
        ));
        rename(&root, "cur/2.b:2,S", "cur/2.b:2,FS");
        fs::remove_file(root.join("cur/3.c:2,")).unwrap();
        let changed = inbox.sync_shared().unwrap();
        assert_eq!(uids(&changed), [(1, "1.a".into()), (2, "2.b".into())]);
        assert!(changed.messages()[1].flags.contains(Flags::FLAGGED));
    }

    #[test]
    fn released_memory_is_read_again_and_held_memory_is_kept() {
        let (_home, store, root, inbox) = maildir_inbox();
        deliver(&root, "cur", "1.a:2,S");
        deliver(&root, "cur", "2.b:2,");
        settle(&root);
        inbox.sync_shared().unwrap(); // records the state
        let held = inbox.sync_shared().unwrap();
        // a handle holds the mailbox's memory: nothing is released
        store.release_idle("INBOX");
        assert!(std::sync::Arc::ptr_eq(&held, &inbox.sync_shared().unwrap()));
        drop(inbox);
        store.release_idle("INBOX");
        store.release_idle("No such mailbox");
        let reread = store.mailbox("INBOX").unwrap().sync_shared().unwrap();
        assert!(
            !std::sync::Arc::ptr_eq(&held, &reread),
            "released: read again from the persisted state"
        );
        assert_eq!(uids(&reread), uids(&held));
        // a change made while nothing was in memory is seen
        rename(&root, "cur/2.b:2,", "cur/2.b:2,F");
        store.release_idle("INBOX");
        let changed = store.mailbox("INBOX").unwrap().sync_shared().unwrap();
        assert_eq!(uids(&changed), uids(&held));
        assert!(changed.messages()[1].flags.contains(Flags::FLAGGED));
    }

    #[test]
    fn list_and_keyword_changes_invalidate_the_memory() {
        let (_home, _store, root, inbox) = maildir_inbox();
        deliver(&root, "cur", "1.a:2,Sa");
        settle(&root);
        inbox.sync().unwrap();
        assert!(inbox.sync().unwrap().messages()[0].keywords.is_empty());
        fs::write(root.join("dovecot-keywords"), "0 $Junk\n").unwrap();
        assert_eq!(inbox.sync().unwrap().messages()[0].keywords, ["$Junk"]);

        // Another process (here: another Store) renumbers after a corrupt list.
        fs::write(root.join("mailfts-uidlist"), "garbage").unwrap();
        let other = reopened_inbox(&root).sync().unwrap();
        assert!(matches!(
            other.events[0],
            StoreEvent::UidValidityChanged { .. }
        ));
        assert_eq!(inbox.sync().unwrap().uid_validity, other.uid_validity);

        // Our own writes are seen at once.
        settle(&root);
        inbox.sync().unwrap();
        inbox.set_flags(1, Flags::FLAGGED, &[]).unwrap();
        assert_eq!(inbox.sync().unwrap().messages()[0].flags, Flags::FLAGGED);
        let uid = inbox.save(b"x", Flags::empty(), &[], None).unwrap();
        assert!(inbox.sync().unwrap().get(uid).is_some());
    }
}

mod performance {
    use super::common::*;
    use std::fs;
    use std::time::{Duration, Instant};

    fn best_of(n: usize, mut f: impl FnMut()) -> Duration {
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    }

    #[test]
    fn no_op_sync_of_20000_files() {
        let (_home, store) = maildir();
        let cur = store.root().join("cur");
        for i in 0..20_000 {
            fs::File::create(cur.join(format!(
                "17000{i:05}.M{i}P4242Q{i}.mx.example.org,S=4096,W=4170:2,S"
            )))
            .unwrap();
        }
        let inbox = store.mailbox("INBOX").unwrap();
        let t = Instant::now();
        let first = inbox.sync().unwrap();
        let first_time = t.elapsed();
        assert_eq!(first.messages().len(), 20_000);

        // Directories modified just now: every sync reads them.
        let full = best_of(5, || assert!(inbox.sync().unwrap().events.is_empty()));
        let fresh_store = best_of(3, || {
            let s = mailfts_store::Store::open(store.root())
                .unwrap()
                .mailbox("INBOX")
                .unwrap()
                .sync()
                .unwrap();
            assert_eq!(s.messages().len(), 20_000);
        });
        // Directories settled: the snapshot comes from memory after six stat calls.
        settle(store.root());
        inbox.sync().unwrap();
        let cached = best_of(5, || {
            assert_eq!(inbox.sync().unwrap().messages().len(), 20_000)
        });
        eprintln!(
            "20,000 files: first sync {first_time:?}; no-op sync reading the directories {full:?} \
             (in a new Store {fresh_store:?}); no-op sync of settled directories {cached:?}"
        );
    }
}
