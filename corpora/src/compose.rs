//! Assembles a complete message from the skeleton, body and MIME structure.

use crate::body::{self, BodyCtx, ParentCtx};
use crate::charset::Charset;
use crate::dates;
use crate::document;
use crate::envelope::{self, Envelope};
use crate::html::{render_html, HtmlStyle};
use crate::meta;
use crate::mime::{boundary, Cte, Leaf, Part};
use crate::parts::{blob, inner_message, text_attachment, text_leaf};
use crate::people::{self, Mailer, Party};
use crate::rng::{Rng, STREAM_BODY, STREAM_DOC};
use crate::text;
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
        Legacy if lang != Lang::En || !matches!(mailer, Mailer::Mutt | Mailer::Evolution) => Plain,
        other => other,
    }
}

/// Size of the own text: mostly 1-10 KB with a long tail.
fn target_size(r: &mut Rng) -> usize {
    let octave = r.weighted(&[120, 220, 300, 200, 100, 35, 15, 6, 4]);
    let lo = 256usize << octave;
    lo + r.below(lo)
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

    let parent_ctx = parent_context(spec, &lineage);

    let mut layout = pick_layout(&node, mailer, lang, &mut r);
    if defect == Some(Defect::MissingBoundaryEnd)
        && matches!(layout, Layout::Plain | Layout::HtmlOnly | Layout::Legacy)
    {
        layout = Layout::MixedText;
    }
    if defect.is_some() && layout == Layout::Legacy {
        layout = Layout::Plain;
    }

    // ---- documents (own stream: messages without them are unaffected) ----
    let mut dr = Rng::new(seed, index, STREAM_DOC);
    let docs = if layout == Layout::Legacy || mailer == Mailer::GitSendEmail {
        Vec::new()
    } else {
        let archived = meta.folder.to_ascii_lowercase().contains("archive");
        document::plan(node.kind, archived, lang, delivered, &mut dr)
    };

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
        attached: document::mention(&docs, lang, &mut dr),
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

    let mut root = mime_tree(
        &Tree {
            seed,
            layout,
            defect,
            plain: &plain,
            html: html_text.as_deref(),
            charset: pref,
            mailer,
            flowed,
            lang,
            parent: parent_ctx.as_ref(),
        },
        &mut r,
    );
    if !docs.is_empty() {
        let leaves = docs
            .iter()
            .map(|d| document::leaf(d, &sender.full, delivered, lang, mailer, &mut dr))
            .collect();
        root = attach(root, leaves, boundary_style(mailer, &mut dr), &mut dr);
    }

    let env = Envelope {
        seed,
        lineage: &lineage,
        sender: &sender,
        primary: &primary,
        owner: &owner,
        parent: parent_ctx.as_ref(),
        mailer,
        lang,
        subject: &subject,
        sent,
        delivered,
        raw_utf8,
        raw_subject_bytes: defect == Some(Defect::RawHeaderBytes),
        header_without_colon: defect == Some(Defect::HeaderWithoutColon),
        content_headers: (layout != Layout::Legacy).then(|| root.headers()),
        has_attachment: !docs.is_empty()
            || matches!(
                layout,
                Layout::MixedText | Layout::MixedAlternative | Layout::Blob
            ),
    };
    let mut out = Vec::with_capacity(8192);
    envelope::write_headers(&env, &mut r, &mut out);
    root.write_body(&mut out);

    GeneratedMessage {
        folder: meta.folder.clone(),
        file_name: meta.file_name(index),
        in_new: meta.in_new,
        internal_date: meta.internal_date,
        bytes: out,
    }
}

/// What a reply or forward needs to know about the parent (last but one of `lineage`).
fn parent_context(spec: &CorpusSpec, lineage: &[Node]) -> Option<ParentCtx> {
    let seed = spec.seed;
    let n = lineage.len();
    let pn = lineage.get(n.checked_sub(2)?)?;
    let grand = n
        .checked_sub(3)
        .map(|g| (lineage[g].index, thread::language(seed, &lineage[g])));
    Some(ParentCtx {
        index: pn.index,
        lang: thread::language(seed, pn),
        sender: people::resolve(seed, pn.from),
        to: people::resolve(seed, pn.to),
        date: dates::internal_date(seed, spec.messages, pn.index) - 37,
        subject: thread::subject(seed, &lineage[..n - 1]),
        grand,
    })
}

/// Inputs of [`mime_tree`].
struct Tree<'a> {
    seed: u64,
    layout: Layout,
    defect: Option<Defect>,
    plain: &'a str,
    html: Option<&'a str>,
    charset: Charset,
    mailer: Mailer,
    flowed: bool,
    lang: Lang,
    parent: Option<&'a ParentCtx>,
}

/// The boundary style of a client (random for the others).
fn boundary_style(mailer: Mailer, r: &mut Rng) -> usize {
    match mailer {
        Mailer::Thunderbird => 0,
        Mailer::Gmail => 1,
        Mailer::Outlook => 2,
        Mailer::AppleMail => 3,
        Mailer::Evolution => 4,
        _ => r.below(5),
    }
}

/// Adds attachments to a message: to its `multipart/mixed` root, or by wrapping the root in a
/// new one (which then carries the missing closing delimiter of a damaged root).
fn attach(root: Part, leaves: Vec<Leaf>, style: usize, r: &mut Rng) -> Part {
    let extra = leaves.into_iter().map(Part::Leaf);
    match root {
        Part::Multi {
            subtype: "mixed",
            boundary,
            mut parts,
            unterminated,
        } => {
            parts.extend(extra);
            Part::Multi {
                subtype: "mixed",
                boundary,
                parts,
                unterminated,
            }
        }
        inner => {
            let (inner, unterminated) = match inner {
                Part::Multi {
                    subtype,
                    boundary,
                    parts,
                    unterminated,
                } => (
                    Part::Multi {
                        subtype,
                        boundary,
                        parts,
                        unterminated: false,
                    },
                    unterminated,
                ),
                other => (other, false),
            };
            Part::Multi {
                subtype: "mixed",
                boundary: boundary(r, style),
                parts: std::iter::once(inner).chain(extra).collect(),
                unterminated,
            }
        }
    }
}

/// The MIME entity tree of a message (its root entity).
fn mime_tree(t: &Tree<'_>, r: &mut Rng) -> Part {
    let (mailer, pref, defect, layout) = (t.mailer, t.charset, t.defect, t.layout);
    let mut main = text_leaf(t.plain, "plain", pref, mailer, t.flowed, r);
    if layout == Layout::Legacy {
        main.cte = None;
    }
    let damage = |leaf: &mut Leaf, subtype: &str| match defect {
        Some(Defect::BadCharset) => {
            leaf.content_type = format!("text/{subtype}; charset=x-unknown");
        }
        Some(Defect::InvalidBase64) => {
            leaf.cte = Some(Cte::Base64);
            leaf.corrupt_base64 = true;
        }
        _ => {}
    };
    damage(&mut main, "plain");
    let html_leaf =
        |r: &mut Rng| text_leaf(t.html.unwrap_or_default(), "html", pref, mailer, false, r);
    let bstyle = boundary_style(mailer, r);
    // Only the outermost container may lose its closing delimiter.
    let multi = |subtype, parts, outer: bool, r: &mut Rng| Part::Multi {
        subtype,
        boundary: boundary(r, bstyle),
        parts,
        unterminated: outer && defect == Some(Defect::MissingBoundaryEnd),
    };
    match layout {
        Layout::Plain | Layout::Legacy => Part::Leaf(main),
        Layout::HtmlOnly => {
            let mut h = html_leaf(r);
            damage(&mut h, "html");
            Part::Leaf(h)
        }
        Layout::Alternative => {
            let html = Part::Leaf(html_leaf(r));
            multi("alternative", vec![Part::Leaf(main), html], true, r)
        }
        Layout::MixedText | Layout::MixedAlternative | Layout::Blob | Layout::Rfc822 => {
            let first = if layout == Layout::MixedAlternative {
                let html = Part::Leaf(html_leaf(r));
                multi("alternative", vec![Part::Leaf(main), html], false, r)
            } else {
                Part::Leaf(main)
            };
            let second = match (layout, t.parent) {
                (Layout::Blob, _) | (Layout::Rfc822, None) => Part::Leaf(blob(r)),
                (Layout::Rfc822, Some(p)) => Part::Message {
                    data: inner_message(t.seed, p, r),
                    disposition: Some("inline".to_string()),
                },
                _ => Part::Leaf(text_attachment(t.lang, pref, mailer, r)),
            };
            multi("mixed", vec![first, second], true, r)
        }
    }
}
