//! The header block: trace headers, addresses, threading and client headers.

use crate::body::ParentCtx;
use crate::charset::Charset;
use crate::dates::{self, DateStyle};
use crate::encode::{encoded_words, WordEncoding};
use crate::headers::{self, address_list, fold_text, header_text, mailbox};
use crate::people::{self, Mailer, Party, Person, LIST_ID, POOL};
use crate::rng::Rng;
use crate::snippets;
use crate::thread::{self, Kind, Node};
use crate::vocab::Lang;

/// Everything the header block depends on.
pub(crate) struct Envelope<'a> {
    /// Corpus seed.
    pub(crate) seed: u64,
    /// Ancestors of the message, root first, ending with the message itself.
    pub(crate) lineage: &'a [Node],
    /// Sender.
    pub(crate) sender: &'a Person,
    /// Primary recipient.
    pub(crate) primary: &'a Person,
    /// Owner of the mail home (the final recipient).
    pub(crate) owner: &'a Person,
    /// Parent, for replies and forwards.
    pub(crate) parent: Option<&'a ParentCtx>,
    /// Client writing the message.
    pub(crate) mailer: Mailer,
    /// Language of the message.
    pub(crate) lang: Lang,
    /// Decoded subject.
    pub(crate) subject: &'a str,
    /// Time the message was sent (`Date:`).
    pub(crate) sent: i64,
    /// Time the message was delivered (last `Received:`).
    pub(crate) delivered: i64,
    /// Write non-ASCII names and subject as raw UTF-8 (RFC 6532).
    pub(crate) raw_utf8: bool,
    /// Defect: raw non-UTF-8 bytes in the subject.
    pub(crate) raw_subject_bytes: bool,
    /// Defect: a header line without a colon.
    pub(crate) header_without_colon: bool,
    /// `Content-*` headers of the root entity; `None` for pre-MIME mail.
    pub(crate) content_headers: Option<Vec<(&'static str, String)>>,
    /// The message has an attachment (Outlook's `X-MS-Has-Attach`).
    pub(crate) has_attachment: bool,
}

/// Header fields in the order they are collected.
type Fields = Vec<(&'static str, Vec<u8>)>;

impl Envelope<'_> {
    fn node(&self) -> &Node {
        self.lineage.last().expect("non-empty lineage")
    }
}

/// Appends the complete header block, including the blank line after it.
pub(crate) fn write_headers(env: &Envelope<'_>, r: &mut Rng, out: &mut Vec<u8>) {
    let trace = trace_fields(env, r);
    let mut h = Fields::new();
    date_field(env, r, &mut h);
    h.push((
        "From",
        mailbox(env.sender, env.mailer, env.sender.lang, env.raw_utf8).into_bytes(),
    ));
    recipient_fields(env, r, &mut h);
    thread_fields(env, r, &mut h);
    client_fields(env, r, &mut h);
    h.sort_by_key(|(name, _)| header_rank(env.mailer, name));

    if env.header_without_colon && r.chance(0.3) {
        // An mbox "From " separator left at the top of the file.
        let date = dates::rfc5322(env.delivered, dates::UTC, DateStyle::Standard);
        out.extend_from_slice(format!("From {} {date}\n", env.sender.address).as_bytes());
    }
    for (name, value) in &trace {
        write_header(out, name, value);
    }
    let broken_at = r.range(1, h.len().max(1));
    for (i, (name, value)) in h.iter().enumerate() {
        if env.header_without_colon && i == broken_at {
            out.extend_from_slice(b"X-Broken-Header this line has no colon\n");
        }
        write_header(out, name, value);
    }
    out.push(b'\n');
}

/// `Return-Path`, `Delivered-To`, `Received` and `DKIM-Signature` of inbound mail.
fn trace_fields(env: &Envelope<'_>, r: &mut Rng) -> Fields {
    let sender = env.sender;
    let node = env.node();
    let mut trace = Fields::new();
    if node.from != Party::Owner {
        trace.push(("Return-Path", format!("<{}>", sender.address).into_bytes()));
        if r.chance(0.6) {
            trace.push(("Delivered-To", env.owner.address.clone().into_bytes()));
        }
        for v in headers::received(r, sender, env.owner, env.delivered) {
            trace.push(("Received", v.into_bytes()));
        }
        if r.chance(0.25) {
            let domain = sender
                .address
                .rsplit('@')
                .next()
                .unwrap_or("example.com")
                .to_string();
            trace.push((
                "DKIM-Signature",
                headers::dkim(r, &domain, env.sent).into_bytes(),
            ));
        }
    }
    trace
}

/// `Date` (missing or malformed in about 0.5% of messages each).
fn date_field(env: &Envelope<'_>, r: &mut Rng, h: &mut Fields) {
    let roll = r.below(1000);
    if roll < 5 {
        return;
    }
    let value = if roll < 10 {
        dates::malformed_date(r, env.sent)
    } else {
        let style = [
            DateStyle::Standard,
            DateStyle::Unpadded,
            DateStyle::NoWeekday,
            DateStyle::Comment,
            DateStyle::Gmt,
        ][r.weighted(&[70, 10, 5, 10, 5])];
        dates::rfc5322(env.sent, env.sender.zone, style)
    };
    h.push(("Date", value.into_bytes()));
}

/// `To` (1-5), sometimes `Cc`, rarely `Bcc`.
fn recipient_fields(env: &Envelope<'_>, r: &mut Rng, h: &mut Fields) {
    let (seed, mailer, raw_utf8) = (env.seed, env.mailer, env.raw_utf8);
    let node = env.node();
    let mut to = vec![env.primary.clone()];
    let mut cc: Vec<Person> = Vec::new();
    let extra = r.weighted(&[60, 20, 10, 6, 4]);
    let mut used = vec![node.from, node.to];
    let fresh = |r: &mut Rng, used: &mut Vec<Party>| loop {
        let p = Party::Person(r.zipf(POOL));
        if !used.contains(&p) {
            used.push(p);
            return people::resolve(seed, p);
        }
    };
    if node.kind != Kind::Newsletter {
        for _ in 0..extra {
            to.push(fresh(r, &mut used));
        }
        if r.chance(0.2) {
            for _ in 0..r.range(1, 3) {
                cc.push(fresh(r, &mut used));
            }
        }
        if node.kind == Kind::List {
            if let Some(p) = env.parent {
                if r.chance(0.5) && p.sender.address != env.sender.address {
                    cc.push(p.sender.clone());
                }
            }
        }
        if node.kind == Kind::Personal && to.len() > 1 && r.chance(0.1) {
            // The owner is only copied.
            let owner_entry = to.remove(0);
            cc.push(owner_entry);
        }
    }
    let render_list = |people: &[Person]| -> Vec<String> {
        people
            .iter()
            .map(|p| mailbox(p, mailer, env.sender.lang, raw_utf8))
            .collect()
    };
    h.push(("To", address_list("To", &render_list(&to)).into_bytes()));
    if !cc.is_empty() {
        h.push(("Cc", address_list("Cc", &render_list(&cc)).into_bytes()));
    }
    if node.kind == Kind::Sent && r.chance(0.08) || r.chance(0.004) {
        let bcc = fresh(r, &mut used);
        h.push((
            "Bcc",
            mailbox(&bcc, mailer, env.sender.lang, raw_utf8).into_bytes(),
        ));
    }
}

/// `Subject`, `Message-ID`, `In-Reply-To` and `References`.
fn thread_fields(env: &Envelope<'_>, r: &mut Rng, h: &mut Fields) {
    let (seed, mailer, raw_utf8) = (env.seed, env.mailer, env.raw_utf8);
    let node = env.node();
    let subject_value: Vec<u8> = if env.raw_subject_bytes {
        let mut v = env.subject.as_bytes().to_vec();
        v.extend_from_slice(b" - ");
        v.extend_from_slice(r.pick::<&[u8]>(RAW_HEADER_BYTES));
        v
    } else if raw_utf8 || env.subject.is_ascii() {
        fold_text("Subject", env.subject).into_bytes()
    } else {
        header_text(env.subject, mailer, env.sender.lang, "\n ").into_bytes()
    };
    h.push(("Subject", subject_value));
    h.push((
        "Message-ID",
        thread::message_id(seed, node.index).into_bytes(),
    ));
    if let Some(p) = env.parent {
        let pid = thread::message_id(seed, p.index);
        let mut refs: Vec<String> = env.lineage[..env.lineage.len() - 1]
            .iter()
            .map(|n| thread::message_id(seed, n.index))
            .collect();
        if refs.len() > 10 {
            refs.drain(1..refs.len() - 9);
        }
        let roll = r.below(100);
        if roll >= 4 {
            h.push(("In-Reply-To", pid.into_bytes()));
        }
        if !(4..8).contains(&roll) {
            h.push(("References", refs.join("\n ").into_bytes()));
        }
    }
}

/// MIME, client, list and content headers.
fn client_fields(env: &Envelope<'_>, r: &mut Rng, h: &mut Fields) {
    let (mailer, sender) = (env.mailer, env.sender);
    let node = env.node();
    let lang = env.lang;
    if env.content_headers.is_some() {
        h.push(("MIME-Version", b"1.0".to_vec()));
    }
    if let Some((name, value)) = mailer.agent_header() {
        h.push((name, value.as_bytes().to_vec()));
    }
    match mailer {
        Mailer::Outlook => {
            let topic = thread_topic(env.subject);
            let topic = if topic.is_ascii() {
                topic.to_string()
            } else {
                encoded_words(&topic, Charset::Utf8, "utf-8", WordEncoding::B)
                    .map(|w| w.join("\n "))
                    .unwrap_or_default()
            };
            h.push(("Thread-Topic", topic.into_bytes()));
            let idx: Vec<u8> = (0..22).map(|_| r.next_u64() as u8).collect();
            h.push((
                "Thread-Index",
                crate::encode::base64_string(&idx).into_bytes(),
            ));
            h.push((
                "Accept-Language",
                format!("{}, en-US", lang.tag()).into_bytes(),
            ));
            h.push(("Content-Language", lang.tag().as_bytes().to_vec()));
            h.push((
                "X-MS-Has-Attach",
                if env.has_attachment {
                    b"yes".to_vec()
                } else {
                    Vec::new()
                },
            ));
        }
        Mailer::Thunderbird => h.push(("Content-Language", lang.tag().as_bytes().to_vec())),
        _ => {}
    }
    match node.kind {
        Kind::List => {
            h.push(("List-Id", LIST_ID.as_bytes().to_vec()));
            h.push(("List-Post", b"<mailto:dev@lists.example.org>".to_vec()));
            h.push((
                "List-Unsubscribe",
                b"<https://lists.example.org/mailman/options/dev>,\n <mailto:dev-request@lists.example.org?subject=unsubscribe>".to_vec(),
            ));
            h.push(("Precedence", b"list".to_vec()));
        }
        Kind::Newsletter => {
            if r.chance(0.5) {
                let domain = sender.address.rsplit('@').next().unwrap_or("example.com");
                h.push(("List-Id", format!("News <news.{domain}>").into_bytes()));
            }
            h.push((
                "List-Unsubscribe",
                format!("<{}>", snippets::url(r)).into_bytes(),
            ));
            h.push(("Precedence", b"bulk".to_vec()));
        }
        _ => {}
    }
    if r.chance(0.02) {
        h.push(("X-Priority", b"1 (Highest)".to_vec()));
    }
    for (name, value) in env.content_headers.iter().flatten() {
        h.push((name, value.clone().into_bytes()));
    }
}

/// Header order per client; unknown headers keep their relative order at the end.
fn header_rank(mailer: Mailer, name: &str) -> usize {
    const GMAIL: &[&str] = &[
        "MIME-Version",
        "References",
        "In-Reply-To",
        "From",
        "Date",
        "Message-ID",
        "Subject",
        "To",
        "Cc",
        "Bcc",
    ];
    const THUNDERBIRD: &[&str] = &[
        "Message-ID",
        "Date",
        "MIME-Version",
        "User-Agent",
        "Subject",
        "Content-Language",
        "To",
        "Cc",
        "Bcc",
        "References",
        "From",
        "In-Reply-To",
    ];
    const OUTLOOK: &[&str] = &[
        "From",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Thread-Topic",
        "Thread-Index",
        "Date",
        "Message-ID",
        "References",
        "In-Reply-To",
        "Accept-Language",
        "Content-Language",
        "X-MS-Has-Attach",
        "X-Mailer",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
    ];
    const DEFAULT: &[&str] = &[
        "Date",
        "From",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "MIME-Version",
        "Content-Type",
        "Content-Disposition",
        "Content-Transfer-Encoding",
    ];
    let order = match mailer {
        Mailer::Gmail => GMAIL,
        Mailer::Thunderbird => THUNDERBIRD,
        Mailer::Outlook => OUTLOOK,
        _ => DEFAULT,
    };
    order.iter().position(|h| *h == name).unwrap_or(order.len())
}

/// Raw non-UTF-8 bytes as broken clients put them into headers.
const RAW_HEADER_BYTES: &[&[u8]] = &[
    b"Caf\xe9 cr\xe8me br\xfbl\xe9e",
    b"\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2",
    b"Gr\xfc\xdfe aus K\xf6ln",
    b"\x89\xef\x8b\x63\x82\xcc\x8e\x91\x97\xbf",
];

fn write_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    if !value.is_empty() {
        out.push(b' ');
        out.extend_from_slice(value);
    }
    out.push(b'\n');
}

/// The subject without reply and forward prefixes (Outlook's `Thread-Topic`).
fn thread_topic(subject: &str) -> String {
    const PREFIXES: &[&str] = &["Re: ", "RE: ", "AW: ", "Fwd: ", "FW: ", "WG: ", "Re[2]: "];
    let mut s = subject;
    while let Some(rest) = PREFIXES.iter().find_map(|p| s.strip_prefix(p)) {
        s = rest;
    }
    s.to_string()
}
