//! Assembles a complete message from the skeleton, body and MIME structure.

use crate::body::{self, BodyCtx, ParentCtx};
use crate::charset::Charset;
use crate::dates::{self, DateStyle};
use crate::encode::{encoded_words, rfc2231, WordEncoding};
use crate::headers::{self, address_list, fold_text, header_text, mailbox};
use crate::html::{render_html, HtmlStyle};
use crate::meta;
use crate::mime::{boundary, Cte, Leaf, Part};
use crate::people::{self, Mailer, Party, Person, LIST_ID, POOL};
use crate::rng::{Rng, STREAM_BODY};
use crate::snippets;
use crate::text::{self, Block};
use crate::thread::{self, Kind, Node};
use crate::vocab::Lang;
use crate::{CorpusSpec, GeneratedMessage};

/// Deliberate defects (about 1.5% of messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Defect {
    MissingBoundaryEnd,
    BadCharset,
    InvalidBase64,
    HeaderWithoutColon,
    RawHeaderBytes,
}

/// MIME layout of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Plain,
    Alternative,
    HtmlOnly,
    MixedText,
    MixedAlternative,
    Blob,
    Rfc822,
    Legacy,
}

fn pick_layout(node: &Node, mailer: Mailer, lang: Lang, r: &mut Rng) -> Layout {
    use Layout::*;
    if node.forward && node.parent.is_some() {
        return if r.chance(0.5) { Rfc822 } else { Plain };
    }
    let (layouts, weights): (&[Layout], &[u32]) = match node.kind {
        Kind::Newsletter => (&[Alternative, HtmlOnly], &[65, 35]),
        Kind::List => (&[Plain, MixedText, Alternative, Blob], &[85, 10, 3, 2]),
        Kind::Sent => (&[Plain, Alternative, MixedText, Blob], &[65, 20, 10, 5]),
        Kind::Personal => (
            &[
                Plain,
                Alternative,
                HtmlOnly,
                MixedText,
                MixedAlternative,
                Blob,
                Legacy,
            ],
            &[44, 24, 5, 12, 4, 5, 6],
        ),
    };
    let layout = layouts[r.weighted(weights)];
    match layout {
        Alternative | HtmlOnly if mailer.text_only() => Plain,
        MixedAlternative if mailer.text_only() => MixedText,
        Plain if mailer.likes_html() && r.chance(0.35) => Alternative,
        Legacy if lang != Lang::En || mailer != Mailer::Mutt && r.chance(0.5) => Plain,
        other => other,
    }
}

/// Size of the own text: mostly 1-10 KB with a long tail.
fn target_size(r: &mut Rng) -> usize {
    let octave = r.weighted(&[120, 220, 300, 200, 100, 35, 15, 6, 4]);
    let lo = 256usize << octave;
    lo + r.below(lo)
}

/// Charset label as written by a client.
fn label(cs: Charset, mailer: Mailer) -> String {
    match mailer {
        Mailer::Gmail | Mailer::Thunderbird | Mailer::Becky => cs.label().to_uppercase(),
        _ => cs.label().to_string(),
    }
}

fn text_content_type(subtype: &str, charset: &str, mailer: Mailer, flowed: bool) -> String {
    match mailer {
        Mailer::Gmail | Mailer::Outlook => format!("text/{subtype}; charset=\"{charset}\""),
        Mailer::AppleMail => format!("text/{subtype};\n\tcharset={charset}"),
        Mailer::Thunderbird if flowed => {
            format!("text/{subtype}; charset={charset}; format=flowed")
        }
        _ => format!("text/{subtype}; charset={charset}"),
    }
}

fn pick_cte(mailer: Mailer, cs: Charset, ascii: bool, html: bool, r: &mut Rng) -> Cte {
    if r.chance(0.06) {
        return Cte::Base64;
    }
    if ascii || cs.is_7bit() {
        return if html && r.chance(0.6) || mailer == Mailer::Outlook && r.chance(0.3) {
            Cte::Qp
        } else {
            Cte::SevenBit
        };
    }
    match mailer {
        Mailer::Thunderbird | Mailer::Mutt | Mailer::GitSendEmail | Mailer::TheBat => {
            if r.chance(0.75) {
                Cte::EightBit
            } else {
                Cte::Qp
            }
        }
        Mailer::Gmail if cs == Charset::Utf8 && r.chance(0.5) => Cte::Base64,
        Mailer::Foxmail => Cte::Base64,
        _ => Cte::Qp,
    }
}

/// A text leaf in the client's preferred charset (falling back to UTF-8).
fn text_leaf(
    text: &str,
    subtype: &str,
    pref: Charset,
    mailer: Mailer,
    flowed: bool,
    r: &mut Rng,
) -> Leaf {
    let (cs, bytes) = pref.encode_or_utf8(text);
    let cte = pick_cte(
        mailer,
        cs,
        bytes.is_ascii() && cs != Charset::Iso2022Jp,
        subtype == "html",
        r,
    );
    let ctype = text_content_type(subtype, &label(cs, mailer), mailer, flowed);
    Leaf::new(ctype, cte, bytes)
}

fn attachment_disposition(name: &str, mailer: Mailer, r: &mut Rng) -> (String, String) {
    // (name parameter for Content-Type, Content-Disposition value)
    if name.is_ascii() {
        return (
            format!(";\n name=\"{name}\""),
            format!("attachment;\n filename=\"{name}\""),
        );
    }
    if mailer == Mailer::Outlook || r.chance(0.4) {
        let encoded = header_text(name, mailer, " ");
        (
            format!(";\n name=\"{encoded}\""),
            format!("attachment;\n filename=\"{encoded}\""),
        )
    } else {
        (
            String::new(),
            format!("attachment;\n filename*={}", rfc2231(name)),
        )
    }
}

fn text_attachment(lang: Lang, pref: Charset, mailer: Mailer, r: &mut Rng) -> Leaf {
    let stem = *r.pick(lang.data().file_stems);
    let (name, mime, content) = match r.weighted(&[40, 25, 25, 10]) {
        0 => {
            let mut blocks = Vec::new();
            for _ in 0..r.range(2, 30) {
                blocks.push(Block::Para(text::paragraph(r, lang, 2, 6)));
            }
            (
                format!("{stem}.txt"),
                "text/plain",
                text::render_plain(&blocks, 76, false),
            )
        }
        1 => {
            let size = if r.chance(0.06) {
                r.range(100_000, 250_000)
            } else {
                r.range(1_000, 40_000)
            };
            (
                "build.log".to_string(),
                "text/plain",
                snippets::log_text(r, size),
            )
        }
        2 => {
            let mut p = String::new();
            for _ in 0..r.range(1, 4) {
                p.push_str(&snippets::patch(r));
                p.push('\n');
            }
            let mime = if r.chance(0.5) {
                "text/x-patch"
            } else {
                "text/plain"
            };
            (
                "0001-usb-gadget-fix-probe-ordering.patch".to_string(),
                mime,
                p,
            )
        }
        _ => {
            let mut csv = String::from("date,account,amount,description\n");
            for i in 0..r.range(5, 200) {
                let word = lang.words()[r.zipf(lang.words().len())];
                csv.push_str(&format!(
                    "2023-03-{:02},{},{}.{:02},{word}\n",
                    1 + i % 28,
                    1000 + r.below(9000),
                    r.below(5000),
                    r.below(100)
                ));
            }
            (format!("{stem}.csv"), "text/csv", csv)
        }
    };
    let (cs, bytes) = pref.encode_or_utf8(&content);
    let (name_param, disposition) = attachment_disposition(&name, mailer, r);
    let cte = match mailer {
        Mailer::Outlook | Mailer::Gmail | Mailer::Foxmail => Cte::Base64,
        _ if bytes.is_ascii() => Cte::SevenBit,
        _ => pick_cte(mailer, cs, false, false, r),
    };
    let mut leaf = Leaf::new(
        format!("{mime}; charset={}{name_param}", label(cs, mailer)),
        cte,
        bytes,
    );
    leaf.disposition = Some(disposition);
    leaf
}

fn blob(r: &mut Rng) -> Leaf {
    const NAMES: &[&str] = &[
        "firmware.bin",
        "capture.pcap",
        "backup.tar.gz",
        "core.dump",
        "image.dat",
    ];
    let size = match r.weighted(&[55, 35, 10]) {
        0 => r.range(2_000, 30_000),
        1 => r.range(30_000, 100_000),
        _ => r.range(100_000, 400_000),
    };
    let mut data = Vec::with_capacity(size + 8);
    while data.len() < size {
        data.extend_from_slice(&r.next_u64().to_le_bytes());
    }
    data.truncate(size);
    let name = *r.pick(NAMES);
    let mut leaf = Leaf::new(
        format!("application/octet-stream; name=\"{name}\""),
        Cte::Base64,
        data,
    );
    leaf.disposition = Some(format!("attachment; filename=\"{name}\"; size={size}"));
    leaf
}

/// The forwarded parent as a complete `message/rfc822` body.
fn inner_message(seed: u64, p: &ParentCtx, r: &mut Rng) -> Vec<u8> {
    let mut blocks: Vec<Block> = text::lead(seed, p.index, p.lang)
        .into_iter()
        .map(Block::Para)
        .collect();
    for _ in 0..r.range(1, 3) {
        blocks.push(Block::Para(text::paragraph(r, p.lang, 1, 4)));
    }
    let body = text::render_plain(&blocks, 72, false);
    let mailer = p.sender.mailer;
    let mut out = String::new();
    out.push_str(&format!(
        "Date: {}\n",
        dates::rfc5322(p.date, p.sender.zone, DateStyle::Standard)
    ));
    out.push_str(&format!("From: {}\n", mailbox(&p.sender, mailer, false)));
    out.push_str(&format!("To: {}\n", mailbox(&p.to, mailer, false)));
    out.push_str(&format!(
        "Subject: {}\n",
        header_text(&p.subject, mailer, "\n ")
    ));
    out.push_str(&format!(
        "Message-ID: {}\n",
        thread::message_id(seed, p.index)
    ));
    out.push_str("MIME-Version: 1.0\n");
    let mut bytes = out.into_bytes();
    let leaf = Part::Leaf(text_leaf(
        &body,
        "plain",
        p.sender.charset,
        mailer,
        false,
        r,
    ));
    leaf.write_entity(&mut bytes);
    bytes
}

fn pick_defect(r: &mut Rng) -> Option<Defect> {
    use Defect::*;
    if !r.chance(0.015) {
        return None;
    }
    Some(*r.pick(&[
        MissingBoundaryEnd,
        BadCharset,
        InvalidBase64,
        HeaderWithoutColon,
        RawHeaderBytes,
    ]))
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

/// Generates message `index` of `spec`.
pub(crate) fn generate(spec: &CorpusSpec, index: usize) -> GeneratedMessage {
    let seed = spec.seed;
    let lineage = thread::lineage(seed, index);
    let node = *lineage
        .last()
        .expect("lineage ends with the message itself");
    let meta = meta::meta(spec, &node);
    let mut r = Rng::new(seed, index, STREAM_BODY);
    let owner = people::owner(seed);
    let sender = people::resolve(seed, node.from);
    let primary = people::resolve(seed, node.to);
    let lang = thread::language(seed, &node);
    let subject = thread::subject(seed, &lineage);
    let mailer = if node.kind == Kind::List && subject.contains("[PATCH") && node.parent.is_none() {
        Mailer::GitSendEmail
    } else {
        sender.mailer
    };
    let delivered = meta.internal_date;
    let sent = match (node.kind, r.weighted(&[90, 7, 2, 1])) {
        (Kind::Sent, _) => delivered - r.range(0, 3) as i64,
        (_, 0) => delivered - r.range(2, 600) as i64,
        (_, 1) => delivered - r.range(600, 7200) as i64,
        (_, 2) => delivered + r.range(1, 300) as i64, // sender clock ahead
        _ => delivered - r.range(7200, 172_800) as i64,
    };
    let defect = pick_defect(&mut r);
    let raw_utf8 = r.chance(0.015);

    let parent_ctx = (lineage.len() > 1).then(|| {
        let pn = &lineage[lineage.len() - 2];
        let grand = (lineage.len() > 2).then(|| {
            let g = &lineage[lineage.len() - 3];
            (g.index, thread::language(seed, g))
        });
        ParentCtx {
            index: pn.index,
            lang: thread::language(seed, pn),
            sender: people::resolve(seed, pn.from),
            to: people::resolve(seed, pn.to),
            date: dates::internal_date(seed, spec.messages, pn.index) - 37,
            subject: thread::subject(seed, &lineage[..lineage.len() - 1]),
            grand,
        }
    });

    let mut layout = pick_layout(&node, mailer, lang, &mut r);
    if defect == Some(Defect::MissingBoundaryEnd)
        && matches!(layout, Layout::Plain | Layout::HtmlOnly | Layout::Legacy)
    {
        layout = Layout::MixedText;
    }
    if defect.is_some() && layout == Layout::Legacy {
        layout = Layout::Plain;
    }

    // ---- text ----
    let greeted =
        if node.to == Party::List || node.to == Party::Owner && node.kind == Kind::Newsletter {
            people::resolve(seed, Party::List)
        } else {
            primary.clone()
        };
    let ctx = BodyCtx {
        seed,
        index,
        lang,
        kind: node.kind,
        mailer,
        sender: &sender,
        recipient: &greeted,
        parent: parent_ctx.as_ref(),
        forward_inline: node.forward && layout != Layout::Rfc822,
        forward_attached: layout == Layout::Rfc822,
        target: target_size(&mut r),
        patch: mailer == Mailer::GitSendEmail,
    };
    let blocks = body::blocks(&ctx, &mut r);
    let (width, flowed) = match mailer {
        Mailer::Outlook | Mailer::Gmail | Mailer::AppleMail | Mailer::Bulk => (0, false),
        Mailer::Thunderbird => (72, r.chance(0.7)),
        _ => (72, false),
    };
    let plain = text::render_plain(&blocks, width, flowed);
    // The charset the text actually fits in (HTML uses the same one).
    let (pref, _) = sender.charset.encode_or_utf8(&plain);
    let newsletter = node.kind == Kind::Newsletter;
    let style = HtmlStyle {
        entities: r.chance(0.5),
        style: mailer == Mailer::Outlook || newsletter || r.chance(0.3),
        script: r.chance(if newsletter { 0.45 } else { 0.01 }),
        charset: pref.label(),
        newsletter,
    };
    let html_text = matches!(
        layout,
        Layout::Alternative | Layout::HtmlOnly | Layout::MixedAlternative
    )
    .then(|| render_html(&blocks, &style, &mut r));

    let mut main = text_leaf(&plain, "plain", pref, mailer, flowed, &mut r);
    if layout == Layout::Legacy {
        main.cte = None;
    }
    match defect {
        Some(Defect::BadCharset) => {
            main.content_type = "text/plain; charset=x-unknown".to_string();
        }
        Some(Defect::InvalidBase64) => {
            main.cte = Some(Cte::Base64);
            main.corrupt_base64 = true;
        }
        _ => {}
    }
    let html_leaf = |r: &mut Rng| {
        let h = html_text.as_deref().unwrap_or_default();
        text_leaf(h, "html", pref, mailer, false, r)
    };
    let bstyle = match mailer {
        Mailer::Thunderbird => 0,
        Mailer::Gmail => 1,
        Mailer::Outlook => 2,
        Mailer::AppleMail => 3,
        Mailer::Evolution => 4,
        _ => r.below(5),
    };
    let next_boundary = |r: &mut Rng| boundary(r, bstyle);
    let alternative = |r: &mut Rng, main: Leaf, b: String| Part::Multi {
        subtype: "alternative",
        boundary: b,
        parts: vec![Part::Leaf(main), Part::Leaf(html_leaf(r))],
        unterminated: false,
    };
    let mut root = match layout {
        Layout::Plain | Layout::Legacy => Part::Leaf(main),
        Layout::HtmlOnly => {
            let mut h = html_leaf(&mut r);
            if defect == Some(Defect::BadCharset) {
                h.content_type = "text/html; charset=x-unknown".to_string();
            }
            if defect == Some(Defect::InvalidBase64) {
                h.cte = Some(Cte::Base64);
                h.corrupt_base64 = true;
            }
            Part::Leaf(h)
        }
        Layout::Alternative => {
            let b = next_boundary(&mut r);
            alternative(&mut r, main, b)
        }
        Layout::MixedText | Layout::MixedAlternative | Layout::Blob | Layout::Rfc822 => {
            let first = if layout == Layout::MixedAlternative {
                let b = next_boundary(&mut r);
                alternative(&mut r, main, b)
            } else {
                Part::Leaf(main)
            };
            let second = match layout {
                Layout::Blob => Part::Leaf(blob(&mut r)),
                Layout::Rfc822 => match &parent_ctx {
                    Some(p) => Part::Message {
                        data: inner_message(seed, p, &mut r),
                        disposition: Some("inline".to_string()),
                    },
                    None => Part::Leaf(blob(&mut r)),
                },
                _ => Part::Leaf(text_attachment(lang, pref, mailer, &mut r)),
            };
            let b = next_boundary(&mut r);
            Part::Multi {
                subtype: "mixed",
                boundary: b,
                parts: vec![first, second],
                unterminated: false,
            }
        }
    };
    if defect == Some(Defect::MissingBoundaryEnd) {
        if let Part::Multi { unterminated, .. } = &mut root {
            *unterminated = true;
        }
    }

    // ---- headers ----
    let mut trace: Vec<(&'static str, Vec<u8>)> = Vec::new();
    if node.from != Party::Owner {
        trace.push(("Return-Path", format!("<{}>", sender.address).into_bytes()));
        if r.chance(0.6) {
            trace.push(("Delivered-To", owner.address.clone().into_bytes()));
        }
        for v in headers::received(&mut r, &sender, &owner, delivered) {
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
                headers::dkim(&mut r, &domain, sent).into_bytes(),
            ));
        }
    }

    let mut h: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let date_roll = r.below(1000);
    if date_roll >= 5 {
        let value = if date_roll < 10 {
            dates::malformed_date(&mut r, sent)
        } else {
            let style = [
                DateStyle::Standard,
                DateStyle::Unpadded,
                DateStyle::NoWeekday,
                DateStyle::Comment,
                DateStyle::Gmt,
            ][r.weighted(&[70, 10, 5, 10, 5])];
            dates::rfc5322(sent, sender.zone, style)
        };
        h.push(("Date", value.into_bytes()));
    }
    h.push(("From", mailbox(&sender, mailer, raw_utf8).into_bytes()));

    // Recipients.
    let mut to = vec![primary.clone()];
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
            to.push(fresh(&mut r, &mut used));
        }
        if r.chance(0.2) {
            for _ in 0..r.range(1, 3) {
                cc.push(fresh(&mut r, &mut used));
            }
        }
        if node.kind == Kind::List {
            if let Some(p) = &parent_ctx {
                if r.chance(0.5) && p.sender.address != sender.address {
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
            .map(|p| mailbox(p, mailer, raw_utf8))
            .collect()
    };
    h.push(("To", address_list("To", &render_list(&to)).into_bytes()));
    if !cc.is_empty() {
        h.push(("Cc", address_list("Cc", &render_list(&cc)).into_bytes()));
    }
    if node.kind == Kind::Sent && r.chance(0.08) || r.chance(0.004) {
        let bcc = fresh(&mut r, &mut used);
        h.push(("Bcc", mailbox(&bcc, mailer, raw_utf8).into_bytes()));
    }

    let subject_value: Vec<u8> = if defect == Some(Defect::RawHeaderBytes) {
        let mut v = subject.clone().into_bytes();
        v.extend_from_slice(b" - ");
        v.extend_from_slice(r.pick::<&[u8]>(RAW_HEADER_BYTES));
        v
    } else if raw_utf8 || subject.is_ascii() {
        fold_text("Subject", &subject).into_bytes()
    } else {
        header_text(&subject, mailer, "\n ").into_bytes()
    };
    h.push(("Subject", subject_value));
    h.push(("Message-ID", thread::message_id(seed, index).into_bytes()));
    if let Some(p) = &parent_ctx {
        let pid = thread::message_id(seed, p.index);
        let mut refs: Vec<String> = lineage[..lineage.len() - 1]
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
    if layout != Layout::Legacy {
        h.push(("MIME-Version", b"1.0".to_vec()));
    }
    if let Some((name, value)) = mailer.agent_header() {
        h.push((name, value.as_bytes().to_vec()));
    }
    match mailer {
        Mailer::Outlook => {
            let topic = thread_topic(&subject);
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
            let attach = matches!(
                layout,
                Layout::MixedText | Layout::MixedAlternative | Layout::Blob
            );
            h.push((
                "X-MS-Has-Attach",
                if attach { b"yes".to_vec() } else { Vec::new() },
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
                format!("<{}>", snippets::url(&mut r)).into_bytes(),
            ));
            h.push(("Precedence", b"bulk".to_vec()));
        }
        _ => {}
    }
    if r.chance(0.02) {
        h.push(("X-Priority", b"1 (Highest)".to_vec()));
    }
    if layout != Layout::Legacy {
        for (name, value) in root.headers() {
            h.push((name, value.into_bytes()));
        }
    }
    h.sort_by_key(|(name, _)| header_rank(mailer, name));

    // ---- serialisation ----
    let mut out = Vec::with_capacity(8192);
    if defect == Some(Defect::HeaderWithoutColon) && r.chance(0.3) {
        out.extend_from_slice(
            format!(
                "From {} {}\n",
                sender.address,
                dates::rfc5322(delivered, dates::UTC, DateStyle::Standard)
            )
            .as_bytes(),
        );
    }
    for (name, value) in &trace {
        write_header(&mut out, name, value);
    }
    let broken_at = r.range(1, h.len().max(1));
    for (i, (name, value)) in h.iter().enumerate() {
        if defect == Some(Defect::HeaderWithoutColon) && i == broken_at {
            out.extend_from_slice(b"X-Broken-Header this line has no colon\n");
        }
        write_header(&mut out, name, value);
    }
    out.push(b'\n');
    root.write_body(&mut out);

    GeneratedMessage {
        folder: meta.folder.clone(),
        file_name: meta.file_name(index),
        in_new: meta.in_new,
        internal_date: meta.internal_date,
        bytes: out,
    }
}

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
