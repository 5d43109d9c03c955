//! NOTIFY (RFC 5465): `NOTIFY SET [STATUS] (filter events) …` and `NOTIFY NONE`.
//!
//! What is reported, as Dovecot 2.3 does, after every command and while IDLE:
//! * mailboxes other than the selected one, matched by a filter with `MessageNew`/`MessageExpunge`:
//!   `* STATUS name (MESSAGES n UIDNEXT n UNSEEN n)` when one of these changed (with `UIDVALIDITY`
//!   too when that changed or the mailbox is new to the session); `NOTIFY SET STATUS` sends that
//!   STATUS (with `UIDVALIDITY`) for each such mailbox at once;
//! * `MailboxName`: `* LIST () "." name` for a new mailbox, `* LIST (\NonExistent) "." name` for
//!   a deleted one, `* LIST () "." new ("OLDNAME" (old))` for a rename (one name gone and one new
//!   between two looks);
//! * `SubscriptionChange`: `* LIST (\Subscribed) "." name` or `* LIST () "." name`;
//! * the selected mailbox: `MessageNew (fetch-att …)` adds `* n FETCH (…)` of each new message after
//!   its `EXISTS`; expunges and flag changes are reported as without NOTIFY.
//!
//! The arguments are checked as Dovecot checks them: `MessageNew` and `MessageExpunge` go together,
//! `FlagChange` needs both, an unknown event or filter is BAD. Mailboxes are looked at through the
//! modification times of their directories and UID lists ([`DirProbe`]), so an unchanged mailbox
//! costs a few `stat` calls per look.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use imap_codec::decode::Decoder;
use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::fetch::MacroOrMessageDataItemNames;
use imap_codec::imap_types::sequence::SequenceSet;

/// Which mailboxes a group of events is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// The selected mailbox (`selected` and `selected-delayed`).
    Selected,
    /// INBOX.
    Inboxes,
    /// Every mailbox of the user.
    Personal,
    /// The subscribed mailboxes.
    Subscribed,
    /// These mailboxes and those below them.
    Subtree(Vec<String>),
    /// Exactly these mailboxes.
    Mailboxes(Vec<String>),
}

/// The events asked for one filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// `MessageNew` and `MessageExpunge`.
    pub messages: bool,
    /// `FlagChange`.
    pub flags: bool,
    /// The fetch attributes of `MessageNew (…)`, as written (for the selected mailbox).
    pub fetch: Option<String>,
    /// `MailboxName`.
    pub names: bool,
    /// `SubscriptionChange`.
    pub subscriptions: bool,
}

/// A parsed NOTIFY command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `NOTIFY NONE` (and `NOTIFY SET` without groups).
    None,
    /// `NOTIFY SET [STATUS] groups`.
    Set {
        /// `STATUS`: send the STATUS of the watched mailboxes now.
        status: bool,
        /// The event groups, in the order given.
        groups: Vec<(Filter, Events)>,
    },
}

/// One token of the arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Atom(String),
    Text(String),
    List(Vec<Token>),
}

/// The NOTIFY command in `command` (`tag NOTIFY …` with its CRLF); `Ok(None)` for another command,
/// `Err` for broken arguments (answer BAD).
pub fn parse(command: &[u8]) -> Result<Option<Command>, String> {
    let Some(rest) = crate::wire::arguments_of(command, "NOTIFY") else {
        return Ok(None);
    };
    const INVALID: &str = "Invalid arguments";
    if rest.is_empty() {
        return Err(INVALID.into());
    }
    let mut pos = 0;
    let tokens = tokens(rest, &mut pos, 0)?;
    if pos != rest.len() {
        return Err(INVALID.into());
    }
    let mut it = tokens.into_iter().peekable();
    match it.next() {
        Some(Token::Atom(a)) if a.eq_ignore_ascii_case("NONE") && it.peek().is_none() => {
            return Ok(Some(Command::None))
        }
        Some(Token::Atom(a)) if a.eq_ignore_ascii_case("SET") => {}
        _ => return Err(INVALID.into()),
    }
    let status = matches!(it.peek(), Some(Token::Atom(a)) if a.eq_ignore_ascii_case("STATUS"));
    if status {
        it.next();
    }
    let mut groups = Vec::new();
    for group in it {
        let Token::List(items) = group else {
            return Err(INVALID.into());
        };
        groups.push(event_group(items)?);
    }
    if groups.is_empty() {
        return Ok(Some(Command::None));
    }
    Ok(Some(Command::Set { status, groups }))
}

fn event_group(items: Vec<Token>) -> Result<(Filter, Events), String> {
    const INVALID: &str = "Invalid arguments";
    let mut it = items.into_iter();
    let Some(Token::Atom(kind)) = it.next() else {
        return Err(INVALID.into());
    };
    let names = |t: Option<Token>| -> Result<Vec<String>, String> {
        match t {
            Some(Token::Atom(s) | Token::Text(s)) => Ok(vec![inbox(s)]),
            Some(Token::List(l)) if !l.is_empty() => l
                .into_iter()
                .map(|t| match t {
                    Token::Atom(s) | Token::Text(s) => Ok(inbox(s)),
                    Token::List(_) => Err(INVALID.to_owned()),
                })
                .collect(),
            _ => Err(INVALID.into()),
        }
    };
    let filter = match kind.to_ascii_lowercase().as_str() {
        "selected" | "selected-delayed" => Filter::Selected,
        "inboxes" => Filter::Inboxes,
        "personal" => Filter::Personal,
        "subscribed" => Filter::Subscribed,
        "subtree" => Filter::Subtree(names(it.next())?),
        "mailboxes" => Filter::Mailboxes(names(it.next())?),
        _ => return Err(INVALID.into()),
    };
    let events = match (it.next(), it.next()) {
        (Some(Token::Atom(a)), None) if a.eq_ignore_ascii_case("NONE") => Events::default(),
        (Some(Token::List(list)), None) if !list.is_empty() => {
            events(list, filter == Filter::Selected)?
        }
        _ => return Err(INVALID.into()),
    };
    Ok((filter, events))
}

fn events(list: Vec<Token>, selected: bool) -> Result<Events, String> {
    const INVALID: &str = "Invalid arguments";
    let mut e = Events::default();
    let (mut new, mut expunge) = (false, false);
    let mut it = list.into_iter().peekable();
    while let Some(t) = it.next() {
        let Token::Atom(name) = t else {
            return Err(INVALID.into());
        };
        match name.to_ascii_lowercase().as_str() {
            "messagenew" => {
                new = true;
                if let Some(Token::List(_)) = it.peek() {
                    let Some(Token::List(atts)) = it.next() else {
                        return Err(INVALID.into());
                    };
                    e.fetch = Some(write_tokens(&atts));
                }
            }
            "messageexpunge" => expunge = true,
            "flagchange" => e.flags = true,
            "mailboxname" => e.names = true,
            "subscriptionchange" => e.subscriptions = true,
            "annotationchange" | "mailboxmetadatachange" | "servermetadatachange" => {}
            _ => return Err(INVALID.into()),
        }
    }
    if selected && new != expunge {
        return Err("MessageNew and MessageExpunge must be together".into());
    }
    if e.flags && !(new && expunge) {
        return Err("FlagChange requires MessageNew and MessageExpunge".into());
    }
    e.messages = new || expunge;
    Ok(e)
}

fn inbox(s: String) -> String {
    if s.eq_ignore_ascii_case("INBOX") {
        "INBOX".into()
    } else {
        s
    }
}

/// The tokens of `s` from `pos` up to the `)` that closes the list at `depth` (or the end).
fn tokens(s: &[u8], pos: &mut usize, depth: usize) -> Result<Vec<Token>, String> {
    const INVALID: &str = "Invalid arguments";
    if depth > 8 {
        return Err(INVALID.into());
    }
    let mut out = Vec::new();
    loop {
        while s.get(*pos) == Some(&b' ') {
            *pos += 1;
        }
        match s.get(*pos) {
            None => {
                return if depth == 0 {
                    Ok(out)
                } else {
                    Err(INVALID.into())
                }
            }
            Some(b')') => {
                if depth == 0 {
                    return Err(INVALID.into());
                }
                *pos += 1;
                return Ok(out);
            }
            Some(b'(') => {
                *pos += 1;
                out.push(Token::List(tokens(s, pos, depth + 1)?));
            }
            Some(b'"') => {
                *pos += 1;
                let mut text = Vec::new();
                loop {
                    match s.get(*pos) {
                        None => return Err(INVALID.into()),
                        Some(b'"') => {
                            *pos += 1;
                            break;
                        }
                        Some(b'\\') => {
                            text.push(*s.get(*pos + 1).ok_or(INVALID)?);
                            *pos += 2;
                        }
                        Some(&b) => {
                            text.push(b);
                            *pos += 1;
                        }
                    }
                }
                out.push(Token::Text(mailbox_text(&text)?));
            }
            Some(b'{') => {
                // A literal (the framing put its bytes right after the announcement line).
                let close = s[*pos..].iter().position(|&b| b == b'}').ok_or(INVALID)?;
                let digits = std::str::from_utf8(&s[*pos + 1..*pos + close])
                    .map_err(|_| INVALID)?
                    .trim_end_matches('+');
                let n: usize = digits.parse().map_err(|_| INVALID)?;
                let start = *pos + close + 1;
                let start = start
                    + if s[start..].starts_with(b"\r\n") {
                        2
                    } else {
                        return Err(INVALID.into());
                    };
                let end = start
                    .checked_add(n)
                    .filter(|&e| e <= s.len())
                    .ok_or(INVALID)?;
                out.push(Token::Text(mailbox_text(&s[start..end])?));
                *pos = end;
            }
            Some(_) => {
                let start = *pos;
                let mut bracket = false;
                while let Some(&b) = s.get(*pos) {
                    // `BODY[HEADER.FIELDS (A B)]` is one fetch attribute.
                    let special = matches!(b, b' ' | b'(' | b')' | b'"' | b'{');
                    if (special && !bracket) || !(0x20..0x7f).contains(&b) {
                        break;
                    }
                    match b {
                        b'[' => bracket = true,
                        b']' => bracket = false,
                        _ => {}
                    }
                    *pos += 1;
                }
                if *pos == start {
                    return Err(INVALID.into());
                }
                out.push(Token::Atom(
                    String::from_utf8_lossy(&s[start..*pos]).into_owned(),
                ));
            }
        }
    }
}

/// A mailbox name written in modified UTF-7 (RFC 3501 §5.1.3), decoded.
fn mailbox_text(raw: &[u8]) -> Result<String, String> {
    let s = std::str::from_utf8(raw).map_err(|_| "Invalid mailbox name".to_owned())?;
    mailfts_store::mutf7::decode(s).map_err(|_| "Invalid mailbox name".to_owned())
}

fn write_tokens(list: &[Token]) -> String {
    let mut out = String::new();
    for (i, t) in list.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match t {
            Token::Atom(a) => out.push_str(a),
            Token::Text(t) => {
                out.push('"');
                out.push_str(&t.replace('\\', "\\\\").replace('"', "\\\""));
                out.push('"');
            }
            Token::List(l) => {
                out.push('(');
                out.push_str(&write_tokens(l));
                out.push(')');
            }
        }
    }
    out
}

/// The sequence set and items of `FETCH set (atts)`, for `MessageNew (atts)`: `None` when `atts`
/// are not fetch attributes.
pub fn fetch_items(
    atts: &str,
    set: &str,
) -> Option<(SequenceSet, MacroOrMessageDataItemNames<'static>)> {
    let line = format!("x FETCH {set} ({atts})\r\n");
    let (_, cmd) = imap_codec::CommandCodec::default()
        .decode_static(line.as_bytes())
        .ok()?;
    match cmd.body {
        CommandBody::Fetch {
            sequence_set,
            macro_or_item_names,
            ..
        } => Some((sequence_set, macro_or_item_names)),
        _ => None,
    }
}

/// The mailboxes of a user's store, as NOTIFY looks at them.
pub struct StoreMailboxes<'a> {
    /// The user's store.
    pub store: &'a mailfts_store::Store,
    /// The subscribed names (read once per look).
    pub subscriptions: Vec<String>,
}

impl Mailboxes for StoreMailboxes<'_> {
    fn names(&self) -> Vec<String> {
        self.store.list_mailboxes().unwrap_or_default()
    }

    fn subscribed(&self) -> Vec<String> {
        self.subscriptions.clone()
    }

    fn dir(&self, name: &str) -> Option<std::path::PathBuf> {
        self.store
            .mailbox(name)
            .ok()
            .map(|m| m.path().to_path_buf())
    }

    fn counts(&self, name: &str) -> Option<Counts> {
        let snap = self.store.mailbox(name).ok()?.sync().ok()?;
        Some(Counts {
            messages: snap.len() as u32,
            uid_next: snap.uid_next,
            uid_validity: snap.uid_validity,
            unseen: snap.flag_counts().unseen as u32,
        })
    }
}

/// Identity of a mailbox's directories and UID lists: while it is the same, nothing changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirProbe(Vec<Option<(u64, i64, i64)>>);

impl DirProbe {
    /// Reads the probe of the Maildir folder at `dir`.
    pub fn read(dir: &Path) -> DirProbe {
        use std::os::unix::fs::MetadataExt;
        DirProbe(
            ["new", "cur", "mailfts-uidlist", "dovecot-uidlist"]
                .iter()
                .map(|f| {
                    std::fs::metadata(dir.join(f))
                        .ok()
                        .map(|m| (m.ino(), m.mtime(), m.mtime_nsec()))
                })
                .collect(),
        )
    }
}

/// The counts a NOTIFY STATUS reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// MESSAGES.
    pub messages: u32,
    /// UIDNEXT.
    pub uid_next: u32,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UNSEEN.
    pub unseen: u32,
}

/// What the session told the client about one watched mailbox.
#[derive(Clone, Debug)]
struct Known {
    probe: DirProbe,
    counts: Counts,
}

/// The NOTIFY state of a session.
#[derive(Debug)]
pub struct Watch {
    groups: Vec<(Filter, Events)>,
    /// The mailbox names at the last look.
    names: BTreeSet<String>,
    subscribed: Option<BTreeSet<String>>,
    known: BTreeMap<String, Known>,
    /// The selected mailbox (name, UIDVALIDITY) and the highest UID reported as new in it.
    selected: Option<(String, u32, u32)>,
}

/// Where the session's mailboxes are, for a look.
pub trait Mailboxes {
    /// The mailbox names.
    fn names(&self) -> Vec<String>;
    /// The subscribed names.
    fn subscribed(&self) -> Vec<String>;
    /// The folder of a mailbox.
    fn dir(&self, name: &str) -> Option<std::path::PathBuf>;
    /// The counts of a mailbox (syncing it).
    fn counts(&self, name: &str) -> Option<Counts>;
}

impl Watch {
    /// A watch for these groups; its first look only records what is there (and, with `status`,
    /// sends the STATUS of each watched mailbox other than `selected`).
    pub fn new(
        groups: Vec<(Filter, Events)>,
        status: bool,
        boxes: &dyn Mailboxes,
        selected: Option<&str>,
        out: &mut Vec<u8>,
    ) -> Watch {
        let mut w = Watch {
            groups,
            names: BTreeSet::new(),
            subscribed: None,
            known: BTreeMap::new(),
            selected: None,
        };
        let names = boxes.names();
        let subscribed: BTreeSet<String> = boxes.subscribed().into_iter().collect();
        for name in &names {
            if Some(name.as_str()) == selected || !w.events_for(name, &subscribed).messages {
                continue;
            }
            let (Some(dir), Some(counts)) = (boxes.dir(name), boxes.counts(name)) else {
                continue;
            };
            if status {
                status_line(out, name, counts, true);
            }
            w.known.insert(
                name.clone(),
                Known {
                    probe: DirProbe::read(&dir),
                    counts,
                },
            );
        }
        w.names = names.into_iter().collect();
        if w.groups.iter().any(|(_, e)| e.subscriptions) {
            w.subscribed = Some(subscribed);
        }
        w
    }

    /// The union of the events of the non-selected groups whose filter matches `name`.
    fn events_for(&self, name: &str, subscribed: &BTreeSet<String>) -> Events {
        let mut e = Events::default();
        for (f, ev) in &self.groups {
            let hit = match f {
                Filter::Selected => false,
                Filter::Inboxes => name == "INBOX",
                Filter::Personal => true,
                Filter::Subscribed => subscribed.contains(name),
                Filter::Subtree(roots) => roots.iter().any(|r| {
                    name == r
                        || name
                            .strip_prefix(r.as_str())
                            .is_some_and(|s| s.starts_with('.'))
                }),
                Filter::Mailboxes(list) => list.iter().any(|m| m == name),
            };
            if hit {
                e.messages |= ev.messages;
                e.flags |= ev.flags;
                e.names |= ev.names;
                e.subscriptions |= ev.subscriptions;
            }
        }
        e
    }

    /// The fetch attributes of the selected group's `MessageNew (…)`.
    pub fn selected_fetch(&self) -> Option<&str> {
        self.groups
            .iter()
            .find(|(f, _)| *f == Filter::Selected)
            .and_then(|(_, e)| e.fetch.as_deref())
    }

    /// The selected mailbox's UIDs that are new since the last look (none on the first look at a
    /// newly selected mailbox). `uids` ascending.
    pub fn new_in_selected(&mut self, name: &str, uid_validity: u32, uids: &[u32]) -> Vec<u32> {
        let max = uids.last().copied().unwrap_or(0);
        match &mut self.selected {
            Some((n, v, seen)) if n == name && *v == uid_validity => {
                let from = *seen;
                *seen = max.max(from);
                uids.iter().copied().filter(|&u| u > from).collect()
            }
            _ => {
                self.selected = Some((name.to_owned(), uid_validity, max));
                Vec::new()
            }
        }
    }

    /// Looks at the mailboxes and writes what changed since the last look. `selected`: the
    /// selected mailbox (reported through the usual responses instead).
    pub fn look(&mut self, boxes: &dyn Mailboxes, selected: Option<&str>, out: &mut Vec<u8>) {
        let names = boxes.names();
        let subscribed: BTreeSet<String> = boxes.subscribed().into_iter().collect();
        let now: BTreeSet<String> = names.iter().cloned().collect();
        let before = std::mem::replace(&mut self.names, now.clone());
        let gone: Vec<&String> = before.difference(&now).collect();
        let new: Vec<&String> = now.difference(&before).collect();
        if gone.len() == 1 && new.len() == 1 {
            // A rename: what the client knows of the mailbox goes with it.
            if let Some(k) = self.known.remove(gone[0]) {
                self.known.insert(new[0].clone(), k);
            }
        }
        if self.groups.iter().any(|(_, e)| e.names) {
            let wanted = |n: &str| self.events_for(n, &subscribed).names;
            if gone.len() == 1 && new.len() == 1 {
                if wanted(new[0]) || wanted(gone[0]) {
                    out.extend_from_slice(b"* LIST () \".\" ");
                    write_name(out, new[0]);
                    out.extend_from_slice(b" (\"OLDNAME\" (");
                    write_name(out, gone[0]);
                    out.extend_from_slice(b"))\r\n");
                }
            } else {
                for n in gone.iter().filter(|n| wanted(n)) {
                    out.extend_from_slice(b"* LIST (\\NonExistent) \".\" ");
                    write_name(out, n);
                    out.extend_from_slice(b"\r\n");
                }
                for n in new.iter().filter(|n| wanted(n)) {
                    out.extend_from_slice(b"* LIST () \".\" ");
                    write_name(out, n);
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
        if let Some(before) = self.subscribed.take() {
            for n in before.symmetric_difference(&subscribed) {
                if !self.events_for(n, &subscribed).subscriptions
                    && !self.events_for(n, &before).subscriptions
                {
                    continue;
                }
                let attr = if subscribed.contains(n) {
                    "\\Subscribed"
                } else {
                    ""
                };
                out.extend_from_slice(format!("* LIST ({attr}) \".\" ").as_bytes());
                write_name(out, n);
                out.extend_from_slice(b"\r\n");
            }
            self.subscribed = Some(subscribed.clone());
        }
        self.known.retain(|n, _| now.contains(n));
        for name in &names {
            if Some(name.as_str()) == selected || !self.events_for(name, &subscribed).messages {
                continue;
            }
            let Some(dir) = boxes.dir(name) else { continue };
            let probe = DirProbe::read(&dir);
            let before = self.known.get(name);
            if before.is_some_and(|k| k.probe == probe) {
                continue;
            }
            let Some(counts) = boxes.counts(name) else {
                continue;
            };
            match before {
                Some(k) if k.counts == counts => {}
                // A mailbox new to the session is reported once it has mail (as Dovecot: no
                // STATUS for a CREATE).
                None if counts.messages == 0 => {}
                _ => {
                    let validity =
                        before.is_none_or(|k| k.counts.uid_validity != counts.uid_validity);
                    status_line(out, name, counts, validity);
                }
            }
            self.known.insert(name.clone(), Known { probe, counts });
        }
    }
}

/// A mailbox name on the wire: `"INBOX"`, else the modified UTF-7 name as a string.
fn write_name(out: &mut Vec<u8>, name: &str) {
    if name == "INBOX" {
        out.extend_from_slice(b"\"INBOX\"");
    } else {
        crate::wire::string(out, mailfts_store::mutf7::encode(name).as_bytes());
    }
}

fn status_line(out: &mut Vec<u8>, name: &str, c: Counts, validity: bool) {
    out.extend_from_slice(b"* STATUS ");
    write_name(out, name);
    out.extend_from_slice(format!(" (MESSAGES {} UIDNEXT {}", c.messages, c.uid_next).as_bytes());
    if validity {
        out.extend_from_slice(format!(" UIDVALIDITY {}", c.uid_validity).as_bytes());
    }
    out.extend_from_slice(format!(" UNSEEN {})\r\n", c.unseen).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Option<Command>, String> {
        parse(format!("n {s}\r\n").as_bytes())
    }

    #[test]
    fn parses_what_dovecot_takes() {
        let Ok(Some(Command::Set { status, groups })) = p(
            "NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge FlagChange)) \
             (personal (MailboxName SubscriptionChange MessageNew MessageExpunge FlagChange))",
        ) else {
            panic!()
        };
        assert!(!status);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, Filter::Selected);
        assert_eq!(groups[0].1.fetch.as_deref(), Some("UID FLAGS"));
        assert!(groups[1].1.names && groups[1].1.subscriptions && groups[1].1.messages);
        let Ok(Some(Command::Set {
            status: true,
            groups,
        })) = p("NOTIFY SET STATUS (mailboxes (Other \"Fourth\") (MessageNew MessageExpunge))")
        else {
            panic!()
        };
        assert_eq!(
            groups[0].0,
            Filter::Mailboxes(vec!["Other".into(), "Fourth".into()])
        );
        assert_eq!(p("NOTIFY NONE"), Ok(Some(Command::None)));
        assert_eq!(p("NOTIFY SET"), Ok(Some(Command::None)));
        assert_eq!(p("NOOP"), Ok(None));
        // Dovecot 2.3.19 takes a lone MessageNew except for the selected mailbox.
        assert!(p("NOTIFY SET (subtree Other (MessageNew))").is_ok());
        let Ok(Some(Command::Set { groups, .. })) =
            p("NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (From To)]) MessageExpunge))")
        else {
            panic!()
        };
        assert_eq!(
            groups[0].1.fetch.as_deref(),
            Some("UID BODY.PEEK[HEADER.FIELDS (From To)]")
        );
        assert!(p("NOTIFY SET (inboxes (MessageNew MessageExpunge))").is_ok());
        assert!(p("NOTIFY SET (selected-delayed NONE)").is_ok());
    }

    #[test]
    fn refuses_what_dovecot_refuses() {
        for bad in [
            "NOTIFY",
            "NOTIFY SET (selected (MessageNew))",
            "NOTIFY SET (selected (FlagChange))",
            "NOTIFY SET (selected (MessageNew (UID)) MessageExpunge)",
            "NOTIFY SET (personal (Foo))",
            "NOTIFY SET (nowhere (MessageNew MessageExpunge))",
            "NOTIFY SET (personal ())",
            "NOTIFY SET (personal (MessageNew MessageExpunge)",
            "NOTIFY SET (personal (MessageNew MessageExpunge)))",
            "NOTIFY SET (subtree (MessageNew MessageExpunge))",
            "NOTIFY SET (mailboxes \"unclosed (MessageNew MessageExpunge))",
            "NOTIFY NONE extra",
            "NOTIFY SET personal",
            "NOTIFY SET ((((((((((((personal))))))))))))",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    struct Fake {
        names: Vec<String>,
        subscribed: Vec<String>,
        counts: BTreeMap<String, Counts>,
        dir: tempfile::TempDir,
    }

    impl Mailboxes for Fake {
        fn names(&self) -> Vec<String> {
            self.names.clone()
        }
        fn subscribed(&self) -> Vec<String> {
            self.subscribed.clone()
        }
        fn dir(&self, name: &str) -> Option<std::path::PathBuf> {
            let d = self.dir.path().join(name);
            std::fs::create_dir_all(d.join("cur")).ok()?;
            Some(d)
        }
        fn counts(&self, name: &str) -> Option<Counts> {
            self.counts.get(name).copied()
        }
    }

    #[test]
    fn reports_status_names_and_subscriptions() {
        let c = |m, n| Counts {
            messages: m,
            uid_next: n,
            uid_validity: 7,
            unseen: m,
        };
        let mut fake = Fake {
            names: vec!["INBOX".into(), "Other".into(), "Third".into()],
            subscribed: vec![],
            counts: [
                ("INBOX".into(), c(0, 1)),
                ("Other".into(), c(0, 1)),
                ("Third".into(), c(0, 1)),
            ]
            .into_iter()
            .collect(),
            dir: tempfile::tempdir().unwrap(),
        };
        let groups = match p(
            "NOTIFY SET (personal (MailboxName SubscriptionChange MessageNew MessageExpunge))",
        ) {
            Ok(Some(Command::Set { groups, .. })) => groups,
            other => panic!("{other:?}"),
        };
        let mut out = Vec::new();
        let mut w = Watch::new(groups, true, &fake, Some("INBOX"), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "* STATUS \"Other\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 7 UNSEEN 0)\r\n\
             * STATUS \"Third\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 7 UNSEEN 0)\r\n"
        );
        // A delivery to Other (its cur/ changes), a rename and a subscription.
        fake.counts.insert("Other".into(), c(1, 2));
        std::fs::write(fake.dir.path().join("Other/cur/m"), "x").unwrap();
        fake.names = vec!["INBOX".into(), "Other".into(), "Fourth".into()];
        fake.counts.insert("Fourth".into(), c(0, 1));
        fake.subscribed = vec!["Other".into()];
        let mut out = Vec::new();
        w.look(&fake, Some("INBOX"), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "* LIST () \".\" \"Fourth\" (\"OLDNAME\" (\"Third\"))\r\n\
             * LIST (\\Subscribed) \".\" \"Other\"\r\n\
             * STATUS \"Other\" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)\r\n"
        );
        let mut out = Vec::new();
        w.look(&fake, Some("INBOX"), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn new_messages_of_the_selected_mailbox() {
        let groups = match p("NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge))") {
            Ok(Some(Command::Set { groups, .. })) => groups,
            other => panic!("{other:?}"),
        };
        let fake = Fake {
            names: vec![],
            subscribed: vec![],
            counts: BTreeMap::new(),
            dir: tempfile::tempdir().unwrap(),
        };
        let mut w = Watch::new(groups, false, &fake, None, &mut Vec::new());
        assert_eq!(w.selected_fetch(), Some("UID FLAGS"));
        assert!(w.new_in_selected("Ctx", 1, &[1, 2]).is_empty());
        assert_eq!(w.new_in_selected("Ctx", 1, &[1, 2, 5, 6]), vec![5, 6]);
        assert!(w.new_in_selected("Other", 1, &[1, 9]).is_empty());
    }
}
