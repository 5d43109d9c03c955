//! PDF and DOCX attachments: planted documents and generated ones must be real files whose
//! words come back from real extractors (the zip crate for DOCX; for PDF, pdf-extract, which
//! mailfts itself uses, and pdftotext when installed: under CI a missing pdftotext fails).

use std::collections::{BTreeSet, HashMap};
use std::io::{Cursor, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use mail_parser::{MessageParser, MimeHeaders};
use mailfts_corpora::tools::require_tool;
use mailfts_corpora::{generate_message, plant_docx, plant_pdf, CorpusSpec};

const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The text of `pdf` according to pdftotext, or `None` (with a note, once) when it is not
/// installed (apt-get install poppler-utils); a failed test instead when `CI` is set.
#[track_caller]
fn pdftotext(pdf: &[u8]) -> Option<String> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    let path = PATH.get_or_init(|| require_tool("pdftotext")).as_ref()?;
    let mut child = Command::new(path)
        .args(["-q", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn pdftotext");
    let mut stdin = child.stdin.take().unwrap();
    let data = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "pdftotext failed: {:?}", out.status);
    Some(String::from_utf8(out.stdout).expect("pdftotext writes UTF-8"))
}

/// Words (alphanumeric runs) of `text`.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Text of the `<w:t>` elements of a WordprocessingML part, one line per paragraph.
fn docx_text(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').unwrap() + i;
        let tag = &rest[i + 1..end];
        if tag == "w:t" || tag.starts_with("w:t ") {
            let close = rest[end..].find("</w:t>").unwrap() + end;
            out.push_str(
                &rest[end + 1..close]
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&amp;", "&"),
            );
            rest = &rest[close..];
        } else {
            if tag == "/w:p" {
                out.push('\n');
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

/// Unzips `docx`, checks the package, and returns the text of `word/document.xml`.
fn unzip_docx(docx: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(docx)).expect("DOCX is a zip archive");
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    assert_eq!(names[0], "[Content_Types].xml");
    for part in ["_rels/.rels", "word/document.xml"] {
        assert!(names.iter().any(|n| n == part), "{part} missing: {names:?}");
    }
    for i in 0..zip.len() {
        let f = zip.by_index(i).unwrap();
        assert_eq!(f.last_modified(), Some(zip::DateTime::default()));
        assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
    }
    let mut types = String::new();
    zip.by_name("[Content_Types].xml")
        .unwrap()
        .read_to_string(&mut types)
        .unwrap();
    assert!(types.contains(
        "/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\""
    ));
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"));
    assert!(xml.contains("<w:body>") && xml.ends_with("</w:body></w:document>"));
    docx_text(&xml)
}

/// The strings a PDF shows (`(...) Tj`), inflating Flate streams: what an extractor must find.
fn pdf_shown_text(pdf: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = pdf;
    while let Some(i) = find(rest, b"stream\n") {
        let dict = &rest[..i];
        let dict = &dict[dict.iter().rposition(|&b| b == b'<').unwrap_or(0)..];
        let body = &rest[i + 7..];
        let end = find(body, b"\nendstream").expect("endstream");
        let data = if find(dict, b"/FlateDecode").is_some() {
            let mut d = Vec::new();
            flate2::read::ZlibDecoder::new(&body[..end])
                .read_to_end(&mut d)
                .expect("valid Flate stream");
            d
        } else {
            body[..end].to_vec()
        };
        let mut s = &data[..];
        while let Some(open) = s.iter().position(|&b| b == b'(') {
            // Escapes are `\(`, `\)`, `\\` and `\ddd`: skip the backslash and the next byte.
            let mut j = open + 1;
            while s[j] != b')' {
                j += if s[j] == b'\\' { 2 } else { 1 };
            }
            let mut k = open + 1;
            while k < j {
                if s[k] == b'\\' {
                    if s[k + 1].is_ascii_digit() {
                        let code =
                            u8::from_str_radix(std::str::from_utf8(&s[k + 1..k + 4]).unwrap(), 8)
                                .unwrap();
                        out.push(char::from(code)); // Latin-1 range of WinAnsi
                        k += 4;
                    } else {
                        out.push(char::from(s[k + 1]));
                        k += 2;
                    }
                } else {
                    out.push(char::from(s[k]));
                    k += 1;
                }
            }
            out.push('\n');
            s = &s[j + 1..];
        }
        rest = &body[end + 10..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Checks that every ASCII word shown by `pdf` comes back from the extractors.
fn check_pdf_words(pdf: &[u8], what: &str) {
    assert!(pdf.starts_with(b"%PDF-1.4\n"), "{what}");
    assert!(pdf.ends_with(b"%%EOF\n"), "{what}");
    let shown: BTreeSet<String> = words(&pdf_shown_text(pdf))
        .into_iter()
        .filter(|w| w.is_ascii())
        .collect();
    assert!(!shown.is_empty(), "{what}: no text");
    let extracted = pdf_extract::extract_text_from_mem(pdf)
        .unwrap_or_else(|e| panic!("{what}: pdf-extract failed: {e}"));
    let got = words(&extracted);
    let missing: Vec<&String> = shown.difference(&got).collect();
    assert!(missing.is_empty(), "{what}: pdf-extract lost {missing:?}");
    if let Some(text) = pdftotext(pdf) {
        let got = words(&text);
        let missing: Vec<&String> = shown.difference(&got).collect();
        assert!(missing.is_empty(), "{what}: pdftotext lost {missing:?}");
    }
}

#[test]
fn planted_pdf_gives_back_its_words() {
    let text = "Quarterly report of the zebracorn project\n\
                Budget (draft) for f(x) and C:\\temp\\plan, 100% approved; naïve Grüße an Zoë – “quoted” 5 €\n\
                Счёт № 42 for Müller GmbH\n\
                中文 mixedword 日本語\n"
        .to_string()
        + &"lorem ipsum dolor sit amet consectetur adipiscing elit ".repeat(400);
    let pdf = plant_pdf(&text);
    assert_eq!(pdf, plant_pdf(&text), "deterministic");
    assert!(
        find(&pdf, b"/FlateDecode").is_none(),
        "plant_pdf does not compress"
    );
    assert!(find(&pdf, b"/BaseFont /Helvetica").is_some());
    check_pdf_words(&pdf, "planted");
    let expect = [
        "zebracorn",
        "Budget",
        "draft",
        "temp",
        "approved",
        "naïve",
        "Grüße",
        "Zoë",
        "quoted",
        "Schet",
        "No",
        "42",
        "Müller",
        "mixedword",
        "elit",
    ];
    let extracted = words(&pdf_extract::extract_text_from_mem(&pdf).unwrap());
    for w in expect {
        assert!(extracted.contains(w), "pdf-extract: {w} missing");
    }
    if let Some(text) = pdftotext(&pdf) {
        let got = words(&text);
        for w in expect {
            assert!(got.contains(w), "pdftotext: {w} missing");
        }
        assert!(
            text.contains("(draft)") && text.contains("C:\\temp\\plan"),
            "{text}"
        );
        assert!(text.contains('€') && text.contains('“') && text.contains('–'));
        let pages = text.matches('\u{c}').count();
        assert!(pages >= 3, "{pages} pages for 22 KB of text");
    }
}

#[test]
fn planted_docx_unzips_to_its_words() {
    let text = "Grüße aus München & <Köln>\nzebracorn \"quoted\" 中文 Счёт\n\n  last line  ";
    let docx = plant_docx(text);
    assert_eq!(docx, plant_docx(text), "deterministic");
    let body = unzip_docx(&docx);
    assert_eq!(
        body,
        "Grüße aus München & <Köln>\nzebracorn \"quoted\" 中文 Счёт\nlast line\n"
    );
}

/// FNV-1a 64.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn document_bytes_do_not_depend_on_the_build() {
    // Corpora are a pure function of (seed, index) on every platform. DOCX (and 60% of the
    // generated PDFs) are deflated by flate2's pure-Rust backend, miniz_oxide: if this fails
    // after a dependency update or because some crate switched flate2 to another backend
    // (zlib-rs, zlib-ng), generated corpora changed; update the constants only knowingly.
    let docx = plant_docx("The zebracorn budget\nGrüße aus München");
    let pdf = plant_pdf("The zebracorn budget\nGrüße aus München");
    assert_eq!(
        (docx.len(), fnv(&docx), pdf.len(), fnv(&pdf)),
        (8875, 0x8fee_3d09_ec52_d385, 1011, 0xdd05_5112_b212_f04b),
        "document bytes changed"
    );
}

/// A generated document attachment.
struct Doc {
    index: usize,
    folder: String,
    mime: String,
    name: String,
    data: Vec<u8>,
    body: String,
}

fn documents(seed: u64, count: usize) -> (Vec<Doc>, HashMap<String, usize>) {
    let spec = CorpusSpec::new(seed, count);
    let mut out = Vec::new();
    let mut folders: HashMap<String, usize> = HashMap::new();
    for i in 0..count {
        let m = generate_message(&spec, i);
        *folders.entry(m.folder.clone()).or_default() += 1;
        if find(&m.bytes, b"Content-Type: application/").is_none() {
            continue;
        }
        let msg = MessageParser::default().parse(&m.bytes).unwrap();
        let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
        for a in msg.attachments() {
            let ct = a.content_type().unwrap();
            let mime = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""));
            if mime == PDF || mime == DOCX {
                out.push(Doc {
                    index: i,
                    folder: m.folder.clone(),
                    mime,
                    name: a.attachment_name().unwrap_or_default().to_string(),
                    data: a.contents().to_vec(),
                    body: body.clone(),
                });
            }
        }
    }
    (out, folders)
}

#[test]
fn generated_documents_are_real_files() {
    let (docs, _) = documents(7, 2_000);
    let pdfs: Vec<&Doc> = docs.iter().filter(|d| d.mime == PDF).collect();
    let docxs: Vec<&Doc> = docs.iter().filter(|d| d.mime == DOCX).collect();
    assert!(
        !pdfs.is_empty() && !docxs.is_empty(),
        "{} PDF, {} DOCX",
        pdfs.len(),
        docxs.len()
    );
    let no_space = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for d in &docs {
        let what = format!("message {} ({})", d.index, d.name);
        let ext = if d.mime == PDF { ".pdf" } else { ".docx" };
        assert!(d.name.ends_with(ext), "{what}");
        // The text of the message mentions the file.
        assert!(
            no_space(&d.body).contains(&no_space(&d.name)),
            "{what}: not mentioned in {:?}",
            d.body
        );
        if d.mime == PDF {
            check_pdf_words(&d.data, &what);
        } else {
            let text = unzip_docx(&d.data);
            let w = words(&text);
            assert!(w.len() > 20, "{what}: {text}");
        }
    }
    // Sizes: mostly 2-50 KB.
    let in_range = docs
        .iter()
        .filter(|d| (2_000..50_000).contains(&d.data.len()))
        .count();
    assert!(
        in_range * 10 >= docs.len() * 7,
        "{in_range} of {} in 2-50 KB",
        docs.len()
    );
}

#[test]
fn document_rates_and_archive_share() {
    let n = 10_000;
    let (docs, folders) = documents(21, n);
    let rate = |mime: &str, folder: Option<&str>| {
        let hits = docs
            .iter()
            .filter(|d| d.mime == mime && folder.is_none_or(|f| d.folder == f))
            .map(|d| d.index)
            .collect::<BTreeSet<_>>()
            .len();
        hits as f64 / folder.map_or(n, |f| folders[f]) as f64
    };
    let (pdf, docx) = (rate(PDF, None), rate(DOCX, None));
    assert!((0.015..0.026).contains(&pdf), "PDF rate {pdf}");
    assert!((0.010..0.020).contains(&docx), "DOCX rate {docx}");
    let archive = rate(PDF, Some("Archive")) + rate(DOCX, Some("Archive"));
    let inbox = rate(PDF, Some("INBOX")) + rate(DOCX, Some("INBOX"));
    assert!(archive > 1.5 * inbox, "Archive {archive} vs INBOX {inbox}");
}
