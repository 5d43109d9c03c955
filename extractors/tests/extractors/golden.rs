//! Golden files: every `tests/golden/<group>/NAME.eml` is parsed, rendered as its body,
//! attachment text and problems, and compared with `NAME.txt` beside it — once as written (LF)
//! and once with CRLF line ends, which must render the same. A mismatch writes `NAME.failed`
//! next to the expected file. `MAILFTS_BLESS=1` rewrites the `.txt` files instead.
//!
//! The `generated` group is written by `regenerate_generated_fixtures` (run with `--ignored`)
//! from the fixture builders, because its attachments are binary documents.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mailfts_corpora::samples::{self as fixtures, Part};
use mailfts_extractors::MessageContent;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn render(raw: &[u8]) -> String {
    let m = MessageContent::parse(raw);
    let mut out = String::new();
    let _ = writeln!(out, "== body ==\n{}", m.body.trim_end());
    let _ = writeln!(out, "== attachments ==\n{}", m.attachments.trim_end());
    let _ = writeln!(out, "== problems ==");
    for p in &m.problems {
        // byte offsets differ between the LF and CRLF forms
        let p = match p.split_once(" at byte ") {
            Some((head, tail)) => format!(
                "{head} at byte N{}",
                tail.trim_start_matches(|c: char| c.is_ascii_digit())
            ),
            None => p.clone(),
        };
        let _ = writeln!(out, "{p}");
    }
    out.replace("\r\n", "\n")
}

fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

fn cases() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for group in std::fs::read_dir(golden_dir()).unwrap().flatten() {
        if !group.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(group.path()).unwrap().flatten() {
            if f.path().extension().is_some_and(|e| e == "eml") {
                v.push(f.path());
            }
        }
    }
    v.sort();
    v
}

#[test]
fn golden_files() {
    let bless = std::env::var_os("MAILFTS_BLESS").is_some();
    let mut ran = 0;
    let mut failed = Vec::new();
    for eml in cases() {
        let raw = std::fs::read(&eml).unwrap();
        let expected_path = eml.with_extension("txt");
        let failed_path = eml.with_extension("failed");
        let got = render(&raw);
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        let _ = std::fs::remove_file(&failed_path);
        for (form, text) in [("LF", got), ("CRLF", render(&to_crlf(&raw)))] {
            ran += 1;
            if text != expected {
                std::fs::write(&failed_path, &text).unwrap();
                failed.push(format!("{} ({form})", eml.display()));
                break;
            }
        }
    }
    assert!(ran > 0, "no golden case ran");
    assert!(
        failed.is_empty(),
        "golden mismatches (see the .failed files): {failed:#?}"
    );
}

/// Writes the `generated` group: messages carrying the binary fixtures.
#[test]
#[ignore = "writes files; run by hand after changing the fixture builders"]
fn regenerate_generated_fixtures() {
    let dir = golden_dir().join("generated");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, raw: Vec<u8>| {
        // stored with LF line ends; the test also runs the CRLF form
        let lf: Vec<u8> = raw.into_iter().filter(|&b| b != b'\r').collect();
        std::fs::write(dir.join(name), lf).unwrap();
    };
    let one = |ct: &'static str, name: &'static str, bytes: Vec<u8>| {
        fixtures::mail(
            name,
            "See attached.",
            &[Part {
                content_type: ct,
                file_name: Some(name),
                bytes: &bytes,
            }],
        )
    };
    write(
        "001-pdf.eml",
        one(
            "application/pdf",
            "invoice.pdf",
            fixtures::pdf(&[
                "Invoice 4711",
                "Total due: 99.50 EUR\nPayable within 30 days",
            ]),
        ),
    );
    write(
        "002-docx.eml",
        one(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "contract.docx",
            fixtures::docx(&["Service agreement between A & B", "Termination: 3 months"]),
        ),
    );
    write(
        "003-xlsx.eml",
        one(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "figures.xlsx",
            fixtures::xlsx(&[
                &["Month", "Units"],
                &["January", "120"],
                &["February", "95"],
            ]),
        ),
    );
    write(
        "004-pptx.eml",
        one(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "deck.pptx",
            fixtures::pptx(&["Roadmap 2025", "Hiring plan"]),
        ),
    );
    write(
        "005-odt.eml",
        one(
            "application/vnd.oasis.opendocument.text",
            "minutes.odt",
            fixtures::odt(&["Meeting minutes", "Attendees: Ana, Bo"]),
        ),
    );
    write(
        "006-ods.eml",
        one(
            "application/vnd.oasis.opendocument.spreadsheet",
            "budget.ods",
            fixtures::odf("spreadsheet", &["Budget line", "Travel 300"]),
        ),
    );
    write(
        "007-odp.eml",
        one(
            "application/vnd.oasis.opendocument.presentation",
            "talk.odp",
            fixtures::odf("presentation", &["Talk title", "Questions?"]),
        ),
    );
    write(
        "008-pdf-as-octet-stream.eml",
        one(
            "application/octet-stream",
            "scan0001.bin",
            fixtures::pdf(&["Scanned letter text"]),
        ),
    );
    let mut truncated = fixtures::pdf(&["Truncated document"]);
    truncated.truncate(truncated.len() / 2);
    write(
        "101-malformed-truncated-pdf.eml",
        one("application/pdf", "broken.pdf", truncated),
    );
    write(
        "102-malformed-docx-not-zip.eml",
        one(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "fake.docx",
            b"PK\x03\x04 this is not really a zip archive".to_vec(),
        ),
    );
    // the same length, so the cross-reference offsets stay right
    let mut no_media_box = fixtures::pdf(&["No media box"]);
    let at = no_media_box
        .windows(9)
        .position(|w| w == b"/MediaBox")
        .unwrap();
    no_media_box[at + 7] = b'a';
    write(
        "103-malformed-pdf-panics.eml",
        one("application/pdf", "panics.pdf", no_media_box),
    );
    write(
        "104-malformed-odt-bad-xml.eml",
        one(
            "application/vnd.oasis.opendocument.text",
            "bad.odt",
            odt_with_bad_xml(),
        ),
    );
}

/// An ODT whose content.xml has mismatched nesting and an undefined entity after some text.
fn odt_with_bad_xml() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file(
        "mimetype",
        opts.compression_method(zip::CompressionMethod::Stored),
    )
    .unwrap();
    w.write_all(b"application/vnd.oasis.opendocument.text")
        .unwrap();
    w.start_file("content.xml", opts).unwrap();
    w.write_all(b"<?xml version=\"1.0\"?><office:document-content xmlns:office=\"o\" xmlns:text=\"t\"><text:p>readable part</text:p><text:p>broken text <text:span attr=\"never closed").unwrap();
    w.finish().unwrap().into_inner()
}
