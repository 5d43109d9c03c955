//! Assembly of a message's text: greeting, own text, quotes, forwards, signature.

use crate::dates::{self, local, Zone};
use crate::names::capitalize;
use crate::people::{Mailer, Person};
use crate::rng::Rng;
use crate::snippets;
use crate::text::{self, Block};
use crate::thread::Kind;
use crate::vocab::Lang;

/// What a reply or forward needs to know about its parent.
pub(crate) struct ParentCtx {
    /// Generation index of the parent.
    pub(crate) index: usize,
    /// Language of the parent.
    pub(crate) lang: Lang,
    /// Sender of the parent.
    pub(crate) sender: Person,
    /// Primary recipient of the parent.
    pub(crate) to: Person,
    /// Date the parent was sent.
    pub(crate) date: i64,
    /// Subject of the parent.
    pub(crate) subject: String,
    /// Grandparent (index and language), for nested quotes.
    pub(crate) grand: Option<(usize, Lang)>,
}

/// Inputs of [`blocks`].
pub(crate) struct BodyCtx<'a> {
    /// Corpus seed.
    pub(crate) seed: u64,
    /// Message index.
    pub(crate) index: usize,
    /// Language of the own text.
    pub(crate) lang: Lang,
    /// Conversation kind.
    pub(crate) kind: Kind,
    /// Client that writes the message.
    pub(crate) mailer: Mailer,
    /// Sender.
    pub(crate) sender: &'a Person,
    /// Person greeted.
    pub(crate) recipient: &'a Person,
    /// Parent, for replies and forwards.
    pub(crate) parent: Option<&'a ParentCtx>,
    /// Forward the parent inline (rather than as an attachment or a reply).
    pub(crate) forward_inline: bool,
    /// The parent is forwarded as `message/rfc822`: no quote in the text.
    pub(crate) forward_attached: bool,
    /// Approximate size of the own text in bytes.
    pub(crate) target: usize,
    /// A `git send-email` patch: commit message, diffstat and diff.
    pub(crate) patch: bool,
    /// A sentence mentioning the attached documents, after the leading paragraphs.
    pub(crate) attached: Option<String>,
}

const JA_WEEKDAYS: [&str; 7] = ["日", "月", "火", "水", "木", "金", "土"];

/// "On <date>, <name> wrote:" in the writer's language and client style.
fn attribution(lang: Lang, mailer: Mailer, p: &ParentCtx, zone: Zone) -> String {
    let (offset, _) = zone.offset_at(p.date);
    let (y, mo, d, h, mi, s, wd) = local(p.date, offset);
    let name = &p.sender.full;
    let addr = &p.sender.address;
    match lang {
        Lang::En => match mailer {
            Mailer::Gmail | Mailer::AppleMail => {
                let (h12, ampm) = match h {
                    0 => (12, "AM"),
                    1..=11 => (h, "AM"),
                    12 => (12, "PM"),
                    _ => (h - 12, "PM"),
                };
                format!(
                    "On {}, {} {d}, {y} at {h12}:{mi:02} {ampm} {name} <{addr}> wrote:",
                    dates::WEEKDAYS[wd as usize],
                    dates::MONTHS[mo as usize - 1]
                )
            }
            Mailer::Mutt | Mailer::GitSendEmail => format!(
                "On {}, {} {d:02}, {y} at {h:02}:{mi:02}:{s:02}{}, {name} wrote:",
                dates::WEEKDAYS[wd as usize],
                dates::MONTHS[mo as usize - 1],
                dates::offset_string(offset)
            ),
            _ => format!("On {mo}/{d}/{} {h:02}:{mi:02}, {name} wrote:", y % 100),
        },
        Lang::De => format!("Am {d:02}.{mo:02}.{y} um {h:02}:{mi:02} schrieb {name}:"),
        Lang::Fr => format!("Le {d:02}/{mo:02}/{y} à {h:02}:{mi:02}, {name} a écrit :"),
        Lang::Ru => format!("{d:02}.{mo:02}.{y} {h:02}:{mi:02}, {name} пишет:"),
        Lang::Zh => format!("在 {y}年{mo}月{d}日 {h:02}:{mi:02}，{name} 写道："),
        Lang::Ja => format!(
            "{y}年{mo}月{d}日({}) {h:02}:{mi:02} {name} <{addr}>:",
            JA_WEEKDAYS[wd as usize]
        ),
    }
}

/// Outlook's header block of a top-posted reply.
fn outlook_header(lang: Lang, p: &ParentCtx) -> Vec<String> {
    let labels = match lang {
        Lang::De => ["Von", "Gesendet", "An", "Betreff"],
        Lang::Fr => ["De ", "Envoyé ", "À ", "Objet "],
        Lang::Ru => ["От", "Отправлено", "Кому", "Тема"],
        Lang::Zh => ["发件人", "发送时间", "收件人", "主题"],
        Lang::Ja => ["差出人", "送信日時", "宛先", "件名"],
        Lang::En => ["From", "Sent", "To", "Subject"],
    };
    let date = dates::rfc5322(p.date, p.sender.zone, dates::DateStyle::NoWeekday);
    vec![
        lang.data().original.to_string(),
        format!("{}: {} <{}>", labels[0], p.sender.full, p.sender.address),
        format!("{}: {date}", labels[1]),
        format!("{}: {} <{}>", labels[2], p.to.full, p.to.address),
        format!("{}: {}", labels[3], p.subject),
    ]
}

fn greeting(lang: Lang, name: &str, r: &mut Rng) -> String {
    r.pick(lang.data().greetings).replace("{}", name)
}

fn signature(p: &Person, r: &mut Rng) -> Vec<String> {
    let data = p.lang.data();
    let mut lines = vec![p.full.clone()];
    lines.push(format!(
        "{} | {}",
        r.pick(data.titles),
        r.pick(data.companies)
    ));
    if r.chance(0.6) {
        lines.push(format!("Tel. +1 555-01{:02}", r.below(100)));
    }
    if r.chance(0.5) {
        lines.push(snippets::url(r));
    }
    lines
}

/// Approximate size of blocks in bytes.
fn size(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| match b {
            Block::Para(s) | Block::Pre(s) | Block::Quote(_, s) | Block::Attribution(s) => s.len(),
            Block::Lines(l) | Block::Signature(l) => l.iter().map(|s| s.len() + 1).sum(),
        })
        .sum()
}

/// Paragraphs, code and logs until about `target` bytes.
fn fill(out: &mut Vec<Block>, lang: Lang, code_rate: f64, target: usize, r: &mut Rng) {
    let mut current = size(out);
    while current < target {
        let block = if target - current > 16_000 && r.chance(0.5) {
            Block::Pre(snippets::log_text(r, (target - current).min(48_000)))
        } else if r.chance(code_rate) {
            Block::Pre(snippets::code_block(r))
        } else {
            Block::Para(text::paragraph(r, lang, 1, 6))
        };
        current += size(std::slice::from_ref(&block));
        out.push(block);
    }
}

/// Quote blocks of the parent (and sometimes the grandparent).
fn quotes(ctx: &BodyCtx<'_>, p: &ParentCtx, r: &mut Rng) -> Vec<Block> {
    let mut q = vec![Block::Attribution(attribution(
        ctx.lang,
        ctx.mailer,
        p,
        ctx.sender.zone,
    ))];
    for para in text::lead(ctx.seed, p.index, p.lang) {
        q.push(Block::Quote(1, para));
    }
    if let Some((g, glang)) = p.grand {
        if r.chance(0.5) {
            for para in text::lead(ctx.seed, g, glang) {
                q.push(Block::Quote(2, para));
            }
        }
    }
    q
}

/// A patch mail: commit message, sign-off, diffstat, diff and git version.
fn patch_mail(ctx: &BodyCtx<'_>, r: &mut Rng) -> Vec<Block> {
    let mut out: Vec<Block> = text::lead(ctx.seed, ctx.index, ctx.lang)
        .into_iter()
        .map(Block::Para)
        .collect();
    let diffs: Vec<String> = (0..r.range(1, 3)).map(|_| snippets::patch(r)).collect();
    let mut stat = format!(
        "Signed-off-by: {} <{}>\n---\n",
        ctx.sender.full, ctx.sender.address
    );
    for d in &diffs {
        let path = d
            .lines()
            .nth(2)
            .and_then(|l| l.strip_prefix("--- a/"))
            .unwrap_or("README");
        stat.push_str(&format!(" {path} | 5 +++--\n"));
    }
    stat.push_str(&format!(
        " {} files changed, {} insertions(+), {} deletions(-)",
        diffs.len(),
        3 * diffs.len(),
        diffs.len()
    ));
    out.push(Block::Pre(stat));
    out.extend(diffs.into_iter().map(Block::Pre));
    out.push(Block::Signature(vec!["2.39.2".to_string()]));
    out
}

/// The text blocks of a message.
pub(crate) fn blocks(ctx: &BodyCtx<'_>, r: &mut Rng) -> Vec<Block> {
    let lang = ctx.lang;
    if ctx.patch {
        let mut out = patch_mail(ctx, r);
        out.push(list_footer());
        return out;
    }
    let mut own = Vec::new();
    let greet = match ctx.kind {
        Kind::List => 0.3,
        Kind::Newsletter => 0.5,
        _ => 0.75,
    };
    if r.chance(greet) {
        own.push(Block::Lines(vec![greeting(lang, &ctx.recipient.given, r)]));
    }
    for para in text::lead(ctx.seed, ctx.index, lang) {
        own.push(Block::Para(para));
    }
    if let Some(a) = &ctx.attached {
        own.push(Block::Para(a.clone()));
    }
    let code_rate = match ctx.kind {
        Kind::List => 0.3,
        Kind::Newsletter => 0.0,
        _ => 0.05,
    };
    let target = if ctx.forward_inline || ctx.forward_attached {
        ctx.target.min(400)
    } else {
        ctx.target
    };
    fill(&mut own, lang, code_rate, target, r);
    if ctx.kind != Kind::Newsletter && (ctx.kind != Kind::List || r.chance(0.5)) {
        let closing = r.pick(lang.data().closings).to_string();
        own.push(Block::Lines(vec![closing, ctx.sender.given.clone()]));
    }
    let sig = ctx
        .sender
        .signature
        .then(|| Block::Signature(signature(ctx.sender, r)));

    let mut out = Vec::new();
    match ctx.parent {
        Some(p) if ctx.forward_inline => {
            out.append(&mut own);
            out.extend(sig);
            let mut header = vec![lang.data().forwarded.to_string()];
            header.push(format!("From: {} <{}>", p.sender.full, p.sender.address));
            header.push(format!(
                "Date: {}",
                dates::rfc5322(p.date, p.sender.zone, dates::DateStyle::Standard)
            ));
            header.push(format!("Subject: {}", p.subject));
            header.push(format!("To: {} <{}>", p.to.full, p.to.address));
            out.push(Block::Lines(header));
            out.extend(
                text::lead(ctx.seed, p.index, p.lang)
                    .into_iter()
                    .map(Block::Para),
            );
            fill(&mut out, p.lang, 0.03, ctx.target, r);
        }
        Some(p) if !ctx.forward_attached => {
            let quoted = quotes(ctx, p, r);
            match ctx.mailer {
                Mailer::Outlook => {
                    out.append(&mut own);
                    out.extend(sig);
                    out.push(Block::Lines(outlook_header(lang, p)));
                    out.extend(
                        text::lead(ctx.seed, p.index, p.lang)
                            .into_iter()
                            .map(Block::Para),
                    );
                }
                Mailer::Gmail | Mailer::AppleMail | Mailer::Foxmail => {
                    out.append(&mut own);
                    out.extend(sig);
                    out.extend(quoted);
                }
                _ if ctx.kind == Kind::List && own.len() > 2 => {
                    // Interleaved reply: quote, answer, quote, answer.
                    let mut quoted = quoted.into_iter();
                    let split = own.len() / 2;
                    out.extend(quoted.by_ref().take(2));
                    out.extend(own.drain(..split));
                    out.extend(quoted);
                    out.append(&mut own);
                    out.extend(sig);
                }
                _ => {
                    out.extend(quoted);
                    out.append(&mut own);
                    out.extend(sig);
                }
            }
        }
        _ => {
            out.append(&mut own);
            out.extend(sig);
        }
    }
    if ctx.kind == Kind::List {
        out.push(list_footer());
    }
    if ctx.kind == Kind::Newsletter {
        out.push(Block::Para(capitalize(
            "unsubscribe: https://shop.example.com/u?id=12345",
        )));
    }
    out
}

/// The footer the list server appends.
fn list_footer() -> Block {
    Block::Pre(format!(
        "{}\ndev mailing list\ndev@lists.example.org\nhttps://lists.example.org/mailman/listinfo/dev",
        "_".repeat(47)
    ))
}
