//! Document attachments: invoices, contracts and reports as PDF or DOCX files.
//!
//! A small share of messages carries one (rarely two) documents. Their text is drawn from the
//! vocabularies of [`crate::vocab`] with the message's own stream of random numbers
//! ([`crate::rng::STREAM_DOC`]), so messages without documents are not affected by them.
//! PDFs are written in Latin script only (the standard fonts cannot show CJK or Cyrillic):
//! a PDF for a Russian, Chinese or Japanese message is in English.

use crate::mime::{Cte, Leaf};
use crate::names::capitalize;
use crate::parts::attachment_disposition;
use crate::people::Mailer;
use crate::rng::Rng;
use crate::thread::Kind;
use crate::vocab::Lang;
use crate::{docx, pdf, text};

/// A block of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DocBlock {
    /// The document title.
    Title(String),
    /// A section heading.
    Heading(String),
    /// A paragraph (wrapped when laid out).
    Para(String),
    /// A table row; consecutive rows form one table.
    Row(Vec<String>),
}

impl DocBlock {
    /// The text of the block (cells separated by spaces).
    pub(crate) fn text(&self) -> String {
        match self {
            DocBlock::Title(t) | DocBlock::Heading(t) | DocBlock::Para(t) => t.clone(),
            DocBlock::Row(cells) => cells.join(" "),
        }
    }

    /// Length of the text in bytes.
    pub(crate) fn len(&self) -> usize {
        match self {
            DocBlock::Title(t) | DocBlock::Heading(t) | DocBlock::Para(t) => t.len(),
            DocBlock::Row(cells) => cells.iter().map(|c| c.len() + 1).sum(),
        }
    }
}

/// A document, independent of its file format.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    /// Title (PDF Info, DOCX core properties); may be empty.
    pub(crate) title: String,
    /// Author; may be empty.
    pub(crate) author: String,
    /// Creation time (Unix seconds).
    pub(crate) created: i64,
    /// PDF `/Producer` or DOCX `Application`.
    pub(crate) producer: &'static str,
    /// Content.
    pub(crate) blocks: Vec<DocBlock>,
    /// PDF: Flate-compress the content streams.
    pub(crate) compress: bool,
    /// Page size in points (A4 595×842 or Letter 612×792).
    pub(crate) page: (u32, u32),
    /// DOCX: split paragraphs into several runs, seeded by this value.
    pub(crate) run_seed: Option<u64>,
}

impl Document {
    /// One paragraph per non-empty line of `text`, no metadata, uncompressed.
    pub(crate) fn plain(text: &str) -> Document {
        Document {
            title: String::new(),
            author: String::new(),
            created: 1_677_661_200, // 2023-03-01 09:00 UTC
            producer: "mailfts-corpora",
            blocks: text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| DocBlock::Para(l.to_string()))
                .collect(),
            compress: false,
            page: (595, 842),
            run_seed: None,
        }
    }
}

/// File format of a document attachment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `application/pdf`.
    Pdf,
    /// `application/vnd.openxmlformats-officedocument.wordprocessingml.document`.
    Docx,
}

impl Format {
    fn mime(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
        }
    }
}

/// What a document is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DocKind {
    Invoice,
    Contract,
    Report,
}

/// A document a message will carry.
#[derive(Clone, Debug)]
pub(crate) struct Planned {
    format: Format,
    kind: DocKind,
    lang: Lang,
    /// Approximate size of the text in bytes.
    size: usize,
    /// Invoice or version number.
    number: String,
    /// File name with extension.
    pub(crate) file_name: String,
}

/// Localised labels.
struct Labels {
    invoice: &'static str,
    number: &'static str,
    date: &'static str,
    due: &'static str,
    columns: [&'static str; 4],
    subtotal: &'static str,
    vat: &'static str,
    vat_percent: u64,
    total: &'static str,
    currency: &'static str,
    decimal: char,
    contract: &'static str,
    /// `{a}` and `{b}` are the parties.
    between: &'static str,
    /// `{}` is the section number.
    section: &'static str,
    signature: &'static str,
    report: &'static str,
    summary: &'static str,
    next_steps: &'static str,
    /// `{}` is the list of file names.
    attached: &'static [&'static str],
    and: &'static str,
}

fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::En => &Labels {
            invoice: "Invoice",
            number: "Invoice no.",
            date: "Date",
            due: "Due date",
            columns: ["Description", "Qty", "Unit price", "Amount"],
            subtotal: "Subtotal",
            vat: "VAT 20%",
            vat_percent: 20,
            total: "Total due",
            currency: "USD",
            decimal: '.',
            contract: "Service Agreement",
            between: "This agreement is made between {a} and {b}.",
            section: "Section {}.",
            signature: "Signature",
            report: "Report",
            summary: "Summary",
            next_steps: "Next steps",
            attached: &[
                "Please find attached {}.",
                "I have attached {} for your review.",
                "See the attached {}.",
            ],
            and: " and ",
        },
        Lang::De => &Labels {
            invoice: "Rechnung",
            number: "Rechnungsnummer",
            date: "Datum",
            due: "Fällig am",
            columns: ["Beschreibung", "Menge", "Einzelpreis", "Betrag"],
            subtotal: "Zwischensumme",
            vat: "MwSt. 19 %",
            vat_percent: 19,
            total: "Gesamtbetrag",
            currency: "EUR",
            decimal: ',',
            contract: "Dienstleistungsvertrag",
            between: "Dieser Vertrag wird zwischen {a} und {b} geschlossen.",
            section: "§ {}",
            signature: "Unterschrift",
            report: "Bericht",
            summary: "Zusammenfassung",
            next_steps: "Nächste Schritte",
            attached: &["Anbei finden Sie {}.", "Im Anhang schicke ich dir {}."],
            and: " und ",
        },
        Lang::Fr => &Labels {
            invoice: "Facture",
            number: "Facture n°",
            date: "Date",
            due: "Échéance",
            columns: ["Désignation", "Qté", "Prix unitaire", "Montant"],
            subtotal: "Sous-total HT",
            vat: "TVA 20 %",
            vat_percent: 20,
            total: "Total TTC",
            currency: "EUR",
            decimal: ',',
            contract: "Contrat de prestation de services",
            between: "Le présent contrat est conclu entre {a} et {b}.",
            section: "Article {}",
            signature: "Signature",
            report: "Rapport",
            summary: "Résumé",
            next_steps: "Prochaines étapes",
            attached: &["Veuillez trouver ci-joint {}.", "Je vous joins {}."],
            and: " et ",
        },
        Lang::Ru => &Labels {
            invoice: "Счёт",
            number: "Счёт №",
            date: "Дата",
            due: "Оплатить до",
            columns: ["Наименование", "Кол-во", "Цена", "Сумма"],
            subtotal: "Итого",
            vat: "НДС 20%",
            vat_percent: 20,
            total: "Всего к оплате",
            currency: "RUB",
            decimal: ',',
            contract: "Договор оказания услуг",
            between: "Настоящий договор заключён между {a} и {b}.",
            section: "Статья {}.",
            signature: "Подпись",
            report: "Отчёт",
            summary: "Резюме",
            next_steps: "Дальнейшие шаги",
            attached: &["Во вложении {}.", "Отправляю {} во вложении."],
            and: " и ",
        },
        Lang::Zh => &Labels {
            invoice: "发票",
            number: "发票号码",
            date: "日期",
            due: "付款期限",
            columns: ["项目", "数量", "单价", "金额"],
            subtotal: "小计",
            vat: "增值税 13%",
            vat_percent: 13,
            total: "合计",
            currency: "CNY",
            decimal: '.',
            contract: "服务合同",
            between: "本合同由{a}与{b}签订。",
            section: "第{}条",
            signature: "签字",
            report: "报告",
            summary: "摘要",
            next_steps: "下一步",
            attached: &["附件是{}，请查收。", "请查看附件{}。"],
            and: "和",
        },
        Lang::Ja => &Labels {
            invoice: "請求書",
            number: "請求書番号",
            date: "日付",
            due: "お支払期限",
            columns: ["品目", "数量", "単価", "金額"],
            subtotal: "小計",
            vat: "消費税 10%",
            vat_percent: 10,
            total: "合計",
            currency: "JPY",
            decimal: '.',
            contract: "業務委託契約書",
            between: "本契約は{a}と{b}との間で締結される。",
            section: "第{}条",
            signature: "署名",
            report: "報告書",
            summary: "概要",
            next_steps: "今後の予定",
            attached: &[
                "{}を添付しますのでご確認ください。",
                "添付の{}をご覧ください。",
            ],
            and: "と",
        },
    }
}

/// Size of the text of a document: mostly 2-32 KB, with a long tail to about 250 KB. Files
/// come out at 2-50 KB mostly: uncompressed PDFs weigh about 1.4 times their text, compressed
/// ones a third plus 1.5 KB, DOCX packages a third plus 11 KB of Word's boilerplate.
fn text_size(r: &mut Rng) -> usize {
    let octave = r.weighted(&[8, 24, 28, 20, 11, 5, 2, 1]);
    let lo = 1024usize << octave;
    lo + r.below(lo)
}

/// The documents a message carries: about 2% PDF and 1.5% DOCX overall, twice as many in
/// archived mail, few on the list, and newsletters send PDFs only.
pub(crate) fn plan(
    kind: Kind,
    archived: bool,
    msg_lang: Lang,
    date: i64,
    r: &mut Rng,
) -> Vec<Planned> {
    let (pdf, docx) = match kind {
        Kind::Personal => (0.021, 0.018),
        Kind::Sent => (0.021, 0.018),
        Kind::List => (0.009, 0.004),
        Kind::Newsletter => (0.02, 0.0),
    };
    let factor = if archived { 2.0 } else { 1.0 };
    let mut out = Vec::new();
    for (format, p) in [(Format::Pdf, pdf), (Format::Docx, docx)] {
        if !r.chance(p * factor) {
            continue;
        }
        let doc_kind =
            match (kind, format) {
                (Kind::List | Kind::Newsletter, _) => DocKind::Report,
                (_, Format::Pdf) => [DocKind::Invoice, DocKind::Report, DocKind::Contract]
                    [r.weighted(&[40, 35, 25])],
                (_, Format::Docx) => [DocKind::Contract, DocKind::Report, DocKind::Invoice]
                    [r.weighted(&[35, 45, 20])],
            };
        let mut lang = if r.chance(0.15) { Lang::En } else { msg_lang };
        if format == Format::Pdf && !matches!(lang, Lang::En | Lang::De | Lang::Fr) {
            lang = Lang::En;
        }
        let l = labels(lang);
        let (y, ..) = crate::dates::civil(date);
        let (number, stem) = match doc_kind {
            DocKind::Invoice => {
                let prefix = match lang {
                    Lang::En => "INV-",
                    Lang::De => "RE-",
                    Lang::Fr => "F",
                    _ => "",
                };
                let n = format!("{prefix}{y}-{:04}", r.range(1, 4999));
                let stem = format!("{}_{n}", l.invoice);
                (n, stem)
            }
            DocKind::Contract => {
                let v = *r.pick(&["v1", "v2", "v3", "final", "draft"]);
                (v.to_string(), format!("{} {v}", l.contract))
            }
            DocKind::Report => {
                let q = format!("Q{} {y}", r.range(1, 4));
                let stem = if r.chance(0.5) {
                    format!("{} {q}", l.report)
                } else {
                    (*r.pick(lang.data().file_stems)).to_string()
                };
                (q, stem)
            }
        };
        out.push(Planned {
            format,
            kind: doc_kind,
            lang,
            size: text_size(r),
            number,
            file_name: format!("{stem}.{}", format.extension()),
        });
    }
    out
}

/// The sentence of the body that mentions the attachments.
pub(crate) fn mention(docs: &[Planned], lang: Lang, r: &mut Rng) -> Option<String> {
    if docs.is_empty() {
        return None;
    }
    let l = labels(lang);
    let names: Vec<&str> = docs.iter().map(|d| d.file_name.as_str()).collect();
    Some(r.pick(l.attached).replace("{}", &names.join(l.and)))
}

/// `a..b` words of `lang`, Zipf-distributed, capitalised.
fn words(lang: Lang, min: usize, max: usize, r: &mut Rng) -> String {
    let list = lang.words();
    let sep = if lang.spaced() { " " } else { "" };
    let w: Vec<&str> = (0..r.range(min, max))
        .map(|_| list[r.zipf(list.len())])
        .collect();
    capitalize(&w.join(sep))
}

/// Amount in cents, formatted for `lang` (yen without decimals).
fn money(cents: u64, l: &Labels, lang: Lang) -> String {
    if lang == Lang::Ja {
        return format!("{} {}", cents / 100, l.currency);
    }
    format!(
        "{}{}{:02} {}",
        cents / 100,
        l.decimal,
        cents % 100,
        l.currency
    )
}

fn ymd(t: i64) -> String {
    let (y, m, d, ..) = crate::dates::civil(t);
    format!("{y}-{m:02}-{d:02}")
}

fn text_len(blocks: &[DocBlock]) -> usize {
    blocks.iter().map(DocBlock::len).sum()
}

/// Paragraphs until the text reaches `target` bytes.
fn fill(blocks: &mut Vec<DocBlock>, lang: Lang, target: usize, r: &mut Rng) {
    let mut len = text_len(blocks);
    while len < target {
        let p = text::paragraph(r, lang, 2, 6);
        len += p.len();
        blocks.push(DocBlock::Para(p));
    }
}

fn invoice(p: &Planned, seller: &str, date: i64, target: usize, r: &mut Rng) -> Vec<DocBlock> {
    let (lang, l) = (p.lang, labels(p.lang));
    let buyer = *r.pick(lang.data().companies);
    let mut b = vec![
        DocBlock::Title(format!("{} {}", l.invoice, p.number)),
        DocBlock::Para(seller.to_string()),
        DocBlock::Para(buyer.to_string()),
        DocBlock::Para(format!("{}: {}", l.number, p.number)),
        DocBlock::Para(format!("{}: {}", l.date, ymd(date))),
        DocBlock::Para(format!("{}: {}", l.due, ymd(date + 30 * 86_400))),
        DocBlock::Row(l.columns.iter().map(|c| c.to_string()).collect()),
    ];
    let mut subtotal = 0;
    let items = (target / 400).clamp(2, 120);
    for _ in 0..r.range(items / 2 + 1, items) {
        let qty = 1 + r.zipf(40) as u64;
        let unit = 100 * (5 + r.below(2000) as u64) + 50 * r.below(2) as u64;
        subtotal += qty * unit;
        let mut item = words(lang, 1, 4, r);
        if r.chance(0.2) {
            item.push(' ');
            item.push_str(&crate::snippets::token(r));
        }
        b.push(DocBlock::Row(vec![
            item,
            qty.to_string(),
            money(unit, l, lang),
            money(qty * unit, l, lang),
        ]));
    }
    let vat = subtotal * l.vat_percent / 100;
    for (label, amount) in [
        (l.subtotal, subtotal),
        (l.vat, vat),
        (l.total, subtotal + vat),
    ] {
        b.push(DocBlock::Row(vec![
            String::new(),
            String::new(),
            label.to_string(),
            money(amount, l, lang),
        ]));
    }
    b.push(DocBlock::Para(text::paragraph(r, lang, 1, 3)));
    fill(&mut b, lang, target, r);
    b
}

fn contract(p: &Planned, party: &str, target: usize, r: &mut Rng) -> Vec<DocBlock> {
    let (lang, l) = (p.lang, labels(p.lang));
    let other = *r.pick(lang.data().companies);
    let mut b = vec![
        DocBlock::Title(l.contract.to_string()),
        DocBlock::Para(l.between.replace("{a}", party).replace("{b}", other)),
    ];
    let mut section = 1;
    while text_len(&b) < target {
        let sep = if lang.spaced() { " " } else { "" };
        b.push(DocBlock::Heading(format!(
            "{}{sep}{}",
            l.section.replace("{}", &section.to_string()),
            words(lang, 1, 3, r)
        )));
        for _ in 0..r.range(1, 3) {
            b.push(DocBlock::Para(text::paragraph(r, lang, 2, 6)));
        }
        section += 1;
    }
    b.push(DocBlock::Row(vec![party.to_string(), other.to_string()]));
    b.push(DocBlock::Row(vec![
        format!("{}: ____________", l.signature),
        format!("{}: ____________", l.signature),
    ]));
    b
}

fn report(p: &Planned, author: &str, date: i64, target: usize, r: &mut Rng) -> Vec<DocBlock> {
    let (lang, l) = (p.lang, labels(p.lang));
    let title = p
        .file_name
        .rsplit_once('.')
        .map_or("", |(s, _)| s)
        .to_string();
    let mut b = vec![
        DocBlock::Title(title),
        DocBlock::Para(format!("{author}, {}", ymd(date))),
        DocBlock::Heading(l.summary.to_string()),
        DocBlock::Para(text::paragraph(r, lang, 2, 5)),
    ];
    while text_len(&b) < target * 9 / 10 {
        b.push(DocBlock::Heading(words(lang, 1, 3, r)));
        for _ in 0..r.range(1, 4) {
            b.push(DocBlock::Para(text::paragraph(r, lang, 2, 6)));
        }
        if r.chance(0.15) {
            for _ in 0..r.range(3, 8) {
                b.push(DocBlock::Row(vec![
                    words(lang, 1, 2, r),
                    r.below(10_000).to_string(),
                    r.below(10_000).to_string(),
                    format!("{}%", r.below(100)),
                ]));
            }
        }
    }
    b.push(DocBlock::Heading(l.next_steps.to_string()));
    b.push(DocBlock::Para(text::paragraph(r, lang, 1, 4)));
    b
}

/// Builds the file of a planned document and wraps it in a base64 attachment leaf.
pub(crate) fn leaf(
    p: &Planned,
    author: &str,
    date: i64,
    msg_lang: Lang,
    mailer: Mailer,
    r: &mut Rng,
) -> Leaf {
    let created = date - r.range(600, 20 * 86_400) as i64;
    let compress = p.format == Format::Pdf && r.chance(0.6);
    let target = p.size;
    let company = *r.pick(p.lang.data().companies);
    let blocks = match p.kind {
        DocKind::Invoice => invoice(p, company, created, target, r),
        DocKind::Contract => contract(p, company, target, r),
        DocKind::Report => report(p, author, created, target, r),
    };
    let producer = match p.format {
        Format::Pdf => *r.pick(&[
            "Microsoft® Word for Microsoft 365",
            "LibreOffice 7.5",
            "macOS Version 13.2.1 (Build 22D68) Quartz PDFContext",
            "Skia/PDF m111",
        ]),
        Format::Docx => "Microsoft Office Word",
    };
    let doc = Document {
        title: match &blocks[0] {
            DocBlock::Title(t) => t.clone(),
            _ => String::new(),
        },
        author: author.to_string(),
        created,
        producer,
        blocks,
        compress,
        page: if p.lang == Lang::En && r.chance(0.6) {
            (612, 792)
        } else {
            (595, 842)
        },
        run_seed: Some(r.next_u64()),
    };
    let data = match p.format {
        Format::Pdf => pdf::write(&doc),
        Format::Docx => docx::write(&doc),
    };
    let (name_param, disposition) = attachment_disposition(&p.file_name, mailer, msg_lang, r);
    let disposition = if mailer == Mailer::Outlook {
        format!("{disposition}; size={}", data.len())
    } else {
        disposition
    };
    let mut leaf = Leaf::new(
        format!("{}{name_param}", p.format.mime()),
        Cte::Base64,
        data,
    );
    leaf.disposition = Some(disposition);
    leaf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_rare_and_named() {
        let mut pdf = 0;
        let mut docx = 0;
        for i in 0..20_000 {
            let mut r = Rng::new(3, i, 9);
            for p in plan(Kind::Personal, false, Lang::Ru, 1_680_000_000, &mut r) {
                match p.format {
                    Format::Pdf => {
                        pdf += 1;
                        assert!(p.file_name.ends_with(".pdf"));
                        assert!(matches!(p.lang, Lang::En | Lang::De | Lang::Fr));
                    }
                    Format::Docx => {
                        docx += 1;
                        assert!(p.file_name.ends_with(".docx"));
                    }
                }
            }
        }
        assert!((300..560).contains(&pdf), "{pdf}");
        assert!((240..460).contains(&docx), "{docx}");
    }
}
