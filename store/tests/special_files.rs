//! Symbolic links and special files in a Maildir (issue 14): never listed, never read, never a hang.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use mailfts_store::{Flags, Store};

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Runs `f` on a thread and fails the test if it takes longer than `secs` (a FIFO read hangs).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("did not finish in time: blocked on a special file")
}

#[test]
fn symlinks_and_special_files_are_not_listed() {
    let tmp = tempfile::tempdir().unwrap();
    // Another user's mail and a system file standing in for /etc/shadow.
    let other = Store::create(tmp.path().join("bob/Maildir")).unwrap();
    let bob_uid = other
        .mailbox("INBOX")
        .unwrap()
        .save(
            b"Subject: bob secret\r\n\r\nbobsecretword\r\n",
            Flags::empty(),
            &[],
            None,
        )
        .unwrap();
    let bob_file = other
        .mailbox("INBOX")
        .unwrap()
        .sync()
        .unwrap()
        .get(bob_uid)
        .unwrap()
        .path
        .clone();
    let shadow = tmp.path().join("shadow");
    fs::write(&shadow, "root:$6$hash:19000:0:99999:7:::\n").unwrap();

    let store = Store::create(tmp.path().join("alice/Maildir")).unwrap();
    let root = tmp.path().join("alice/Maildir");
    let inbox = store.mailbox("INBOX").unwrap();
    let own = inbox
        .save(b"Subject: mine\r\n\r\nhello\r\n", Flags::empty(), &[], None)
        .unwrap();
    std::os::unix::fs::symlink(&bob_file, root.join("new/1700000001.M1P1.evil")).unwrap();
    std::os::unix::fs::symlink(&shadow, root.join("cur/1700000002.M2P1.evil:2,")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("cur/1700000003.M3P1.evil:2,")).unwrap();
    mkfifo(&root.join("cur/1700000004.M4P1.fifo:2,"));
    fs::create_dir(root.join("cur/1700000005.M5P1.dir:2,")).unwrap();

    let snap = within(20, move || inbox.sync().unwrap());
    let uids: Vec<u32> = snap.messages().iter().map(|m| m.uid).collect();
    assert_eq!(uids, [own], "{:?}", snap.messages());
    assert_eq!(
        snap.get(own).unwrap().read().unwrap(),
        b"Subject: mine\r\n\r\nhello\r\n"
    );
}

#[test]
fn a_file_swapped_for_a_symlink_or_fifo_after_the_sync_is_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret");
    fs::write(&secret, "Subject: secret\r\n\r\nsecretword\r\n").unwrap();
    let store = Store::create(tmp.path().join("Maildir")).unwrap();
    let inbox = store.mailbox("INBOX").unwrap();
    let mut entries = Vec::new();
    for i in 0..4 {
        let uid = inbox
            .save(
                format!("Subject: m{i}\r\n\r\nx\r\n").as_bytes(),
                Flags::empty(),
                &[],
                None,
            )
            .unwrap();
        entries.push(inbox.sync().unwrap().get(uid).unwrap().clone());
    }
    // Replace each file (same name) with something that is not a regular message file.
    let swap = |path: &Path, make: &dyn Fn(&Path)| {
        let tmp_name = path.with_extension("swap");
        make(&tmp_name);
        fs::rename(&tmp_name, path).unwrap();
    };
    swap(&entries[0].path, &|p| {
        std::os::unix::fs::symlink(&secret, p).unwrap()
    });
    swap(&entries[1].path, &|p| {
        std::os::unix::fs::symlink("/dev/zero", p).unwrap()
    });
    swap(&entries[2].path, &|p| mkfifo(p));
    swap(&entries[3].path, &|p| {
        std::os::unix::fs::symlink("/proc/self/environ", p).unwrap()
    });
    let results = within(20, move || {
        entries
            .iter()
            .map(|e| {
                let read = e.read().map(|b| String::from_utf8_lossy(&b).into_owned());
                let raw = e.read_raw().map(|b| b.len());
                let streamed = e.open().map(|_| ());
                let size = e.size();
                (read, raw, streamed, size)
            })
            .collect::<Vec<_>>()
    });
    for (read, raw, streamed, size) in results {
        assert_eq!(read.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!(raw.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!(streamed.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert!(size.is_err() || size.is_ok_and(|s| s < 100));
    }
}

#[test]
fn copying_a_symlinked_message_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret");
    fs::write(&secret, "Subject: secret\r\n\r\nsecretword\r\n").unwrap();
    let store = Store::create(tmp.path().join("Maildir")).unwrap();
    store.create_mailbox("Copy").unwrap();
    let inbox = store.mailbox("INBOX").unwrap();
    let uid = inbox
        .save(b"Subject: m\r\n\r\nx\r\n", Flags::empty(), &[], None)
        .unwrap();
    let path = inbox.sync().unwrap().get(uid).unwrap().path.clone();
    let link = path.with_extension("swap");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    fs::rename(&link, &path).unwrap();
    let dest = store.mailbox("Copy").unwrap();
    let _ = inbox.copy_to(uid, &dest);
    for m in dest.sync().unwrap().messages() {
        let bytes = m.read();
        assert!(
            bytes.as_ref().is_err()
                || !String::from_utf8_lossy(bytes.as_ref().unwrap()).contains("secretword"),
            "{bytes:?}"
        );
    }
}

#[test]
fn a_symlinked_cur_or_new_directory_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let other = Store::create(tmp.path().join("bob/Maildir")).unwrap();
    other
        .mailbox("INBOX")
        .unwrap()
        .save(
            b"Subject: bob\r\n\r\nbobsecretword\r\n",
            Flags::empty(),
            &[],
            None,
        )
        .unwrap();
    let root = tmp.path().join("alice/Maildir");
    let store = Store::create(&root).unwrap();
    fs::remove_dir(root.join("cur")).unwrap();
    fs::remove_dir(root.join("new")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("bob/Maildir/cur"), root.join("cur")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("bob/Maildir/new"), root.join("new")).unwrap();
    // Refused (the mailbox resolves outside the root), or listed empty: never bob's mail.
    match store.mailbox("INBOX").map(|m| m.sync()) {
        Ok(Ok(s)) => assert!(s.messages().is_empty(), "{:?}", s.messages()),
        Ok(Err(e)) | Err(e) => eprintln!("refused: {e}"),
    }
}
