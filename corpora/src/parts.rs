//! Leaf entities: text bodies, attachments, binary blobs and forwarded messages.

use crate::body::ParentCtx;
use crate::charset::Charset;
use crate::dates::{self, DateStyle};
use crate::encode::rfc2231;
use crate::headers::{header_text, mailbox};
use crate::mime::{Cte, Leaf, Part};
use crate::people::Mailer;
use crate::rng::Rng;
use crate::snippets;
use crate::text::{self, Block};
use crate::thread;
use crate::vocab::Lang;

/// Charset label as written by a client.
fn label(cs: Charset, mailer: Mailer) -> String {
    match mailer {
        Mailer::Gmail | Mailer::Thunderbird | Mailer::Becky => cs.label().to_uppercase(),
        _ => cs.label().to_string(),
    }
}

/// `Content-Type` of a text part, formatted like the client does.
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

/// The transfer encoding a client picks for a text part.
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
pub(crate) fn text_leaf(
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

/// `(name parameter, Content-Disposition)` for an attachment file name.
pub(crate) fn attachment_disposition(
    name: &str,
    mailer: Mailer,
    lang: Lang,
    r: &mut Rng,
) -> (String, String) {
    if name.is_ascii() {
        return (
            format!(";\n name=\"{name}\""),
            format!("attachment;\n filename=\"{name}\""),
        );
    }
    if mailer == Mailer::Outlook || r.chance(0.4) {
        let encoded = header_text(name, mailer, lang, " ");
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

/// A text attachment: notes, a log, a patch or a CSV file.
pub(crate) fn text_attachment(lang: Lang, pref: Charset, mailer: Mailer, r: &mut Rng) -> Leaf {
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
    let (name_param, disposition) = attachment_disposition(&name, mailer, lang, r);
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

/// An `application/octet-stream` attachment of random bytes.
pub(crate) fn blob(r: &mut Rng) -> Leaf {
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
pub(crate) fn inner_message(seed: u64, p: &ParentCtx, r: &mut Rng) -> Vec<u8> {
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
    out.push_str(&format!(
        "From: {}\n",
        mailbox(&p.sender, mailer, p.sender.lang, false)
    ));
    out.push_str(&format!(
        "To: {}\n",
        mailbox(&p.to, mailer, p.sender.lang, false)
    ));
    out.push_str(&format!(
        "Subject: {}\n",
        header_text(&p.subject, mailer, p.sender.lang, "\n ")
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
