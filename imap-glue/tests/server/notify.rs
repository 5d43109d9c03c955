//! NOTIFY (RFC 5465) with a second connection making the changes: STATUS of other mailboxes,
//! LIST for names and subscriptions, FETCH of new messages in the selected one, at NOOP and while
//! IDLE (what Dovecot 2.3.19 sent for the same steps is in the comments).

use crate::support::{Client, TestServer};

fn has(lines: &[String], want: &str) -> bool {
    lines.iter().any(|l| l == &format!("{want}\r\n"))
}

fn ok(c: &mut Client, tag: &str, cmd: &str) -> Vec<String> {
    let r = c.command(tag, cmd);
    assert!(
        r.last().unwrap().starts_with(&format!("{tag} OK")),
        "{cmd}: {r:?}"
    );
    r
}

#[test]
fn notify_reports_other_mailboxes_and_new_mail() {
    let server = TestServer::start(|_| {});
    crate::support::fixture_inbox(&server.store("alice"));
    let mut a = server.login("alice");
    let mut b = server.login("alice");
    ok(&mut b, "b0", "CREATE Other");
    ok(&mut a, "a1", "SELECT INBOX");
    let r = ok(
        &mut a,
        "a2",
        "NOTIFY SET STATUS (selected (MessageNew (UID FLAGS) MessageExpunge FlagChange)) \
         (personal (MailboxName SubscriptionChange MessageNew MessageExpunge FlagChange))",
    );
    // Dovecot: * STATUS Other (MESSAGES 0 UIDNEXT 1 UIDVALIDITY … UNSEEN 0) for each other mailbox.
    assert!(
        r[0].starts_with("* STATUS \"Other\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY "),
        "{r:?}"
    );
    assert_eq!(r.len(), 2, "{r:?}");

    // Dovecot: * STATUS Other (MESSAGES 1 UIDNEXT 2 UNSEEN 1) at the next command.
    let msg = "Subject: g\r\n\r\nx\r\n";
    ok(
        &mut b,
        "b1",
        &format!("APPEND Other {{{}+}}\r\n{msg}", msg.len()),
    );
    let r = ok(&mut a, "a3", "NOOP");
    assert!(
        has(&r, "* STATUS \"Other\" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)"),
        "{r:?}"
    );

    // While IDLE. Dovecot: * STATUS Other (MESSAGES 2 UIDNEXT 3 UNSEEN 2); for the selected
    // mailbox * 4 EXISTS, * 1 RECENT, * 4 FETCH (UID 4 FLAGS (\Recent)).
    a.send(b"a4 IDLE\r\n");
    assert_eq!(a.line(), "+ idling\r\n");
    ok(
        &mut b,
        "b2",
        &format!("APPEND Other {{{}+}}\r\n{msg}", msg.len()),
    );
    a.wait_for("* STATUS \"Other\" (MESSAGES 2 UIDNEXT 3 UNSEEN 2)");
    ok(
        &mut b,
        "b3",
        &format!("APPEND INBOX {{{}+}}\r\n{msg}", msg.len()),
    );
    let seen = a.wait_for("* 4 FETCH (UID 4 FLAGS (\\Recent))");
    assert!(has(&seen, "* 4 EXISTS"), "{seen:?}");
    // Dovecot: * LIST () "." Third ("OLDNAME" (Fourth)), * LIST () "." Other (unsubscribed).
    ok(&mut b, "b4", "RENAME Other Renamed");
    a.wait_for("* LIST () \".\" \"Renamed\" (\"OLDNAME\" (\"Other\"))");
    ok(&mut b, "b5", "SUBSCRIBE Renamed");
    a.wait_for("* LIST (\\Subscribed) \".\" \"Renamed\"");
    a.send(b"DONE\r\n");
    a.wait_for("a4 OK IDLE terminated");

    // Dovecot: * LIST () "." Sixth for a CREATE seen at NOOP.
    ok(&mut b, "b6", "CREATE Sixth");
    let r = ok(&mut a, "a5", "NOOP");
    assert!(has(&r, "* LIST () \".\" \"Sixth\""), "{r:?}");
    ok(&mut b, "b7", "DELETE Sixth");
    let r = ok(&mut a, "a6", "NOOP");
    assert!(has(&r, "* LIST (\\NonExistent) \".\" \"Sixth\""), "{r:?}");

    // NOTIFY NONE: nothing more. Dovecot: n10 OK NOOP completed, nothing before it.
    ok(&mut a, "a7", "NOTIFY NONE");
    ok(
        &mut b,
        "b8",
        &format!("APPEND Renamed {{{}+}}\r\n{msg}", msg.len()),
    );
    let r = ok(&mut a, "a8", "NOOP");
    assert_eq!(r, ["a8 OK NOOP completed\r\n"]);
}

/// Arguments Dovecot 2.3.19 refuses are BAD here too, and the connection goes on.
#[test]
fn malformed_notify_is_bad() {
    let server = TestServer::start(|_| {});
    let mut a = server.login("alice");
    for (i, cmd) in [
        "NOTIFY",
        "NOTIFY SET (selected (MessageNew))",
        "NOTIFY SET (selected (FlagChange))",
        "NOTIFY SET (personal (Foo))",
        "NOTIFY SET (personal (MessageNew MessageExpunge)",
        "NOTIFY SET (selected (MessageNew (NOSUCH) MessageExpunge))",
        "NOTIFY SET (mailboxes (MessageNew MessageExpunge))",
    ]
    .iter()
    .enumerate()
    {
        a.assert_bad(&format!("x{i}"), cmd);
    }
    let mut c = server.client();
    let r = c.command("p", "NOTIFY NONE");
    assert!(r.last().unwrap().starts_with("p BAD"), "{r:?}");
    let r = a.command("z", "NOOP");
    assert_eq!(r.last().unwrap(), "z OK NOOP completed\r\n");
}
