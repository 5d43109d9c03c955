//! End to end: words that occur only inside attachments (PDF, DOCX, ODT, XLSX), an HTML part and
//! a nested message are found by `TEXT` and `BODY` after a rescan — from the index and from the
//! linear scan alike — and not by `SUBJECT`; extraction failures are counted per format.

mod support;

use std::path::Path;

use mailfts_corpora::samples::{self as fixtures, Part};
use support::run_ok;

fn search(home: &Path, extra: &[&str], keys: &str) -> Vec<u32> {
    let mut args = vec!["search", "--home", home.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", keys]);
    run_ok(&args)
        .split_whitespace()
        .map(|u| u.parse().expect("a UID"))
        .collect()
}

/// The messages of the home: (file name, raw message, the word only its attachment holds).
fn messages() -> Vec<(String, Vec<u8>, &'static str)> {
    let attach = |subject: &str, ct: &'static str, name: &'static str, bytes: Vec<u8>| {
        fixtures::mail(
            subject,
            "plain body text",
            &[Part {
                content_type: ct,
                file_name: Some(name),
                bytes: &bytes,
            }],
        )
    };
    let html = b"From: html@example.org\r\nSubject: newsletter\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><head><style>.x{color:red}</style><script>var s='scriptonlyword';</script></head>\
<body><p>Only in HTML: htmlecho&nbsp;here</p></body></html>\r\n"
        .to_vec();
    let inner = b"From: inner@example.org\r\nSubject: inner\r\n\r\nnestedfoxtrot lives here\r\n";
    let nested = [
        &b"From: fwd@example.org\r\nSubject: forwarded\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n"[..],
        inner,
        b"--o--\r\n",
    ]
    .concat();
    vec![
        (
            "1.M1.a:2,S".into(),
            attach(
                "invoice",
                "application/pdf",
                "invoice.pdf",
                fixtures::pdf(&["total pdfalpha due"]),
            ),
            "pdfalpha",
        ),
        (
            "2.M2.a:2,S".into(),
            attach(
                "contract",
                "application/octet-stream",
                "contract.docx",
                fixtures::docx(&["clause docxbravo applies"]),
            ),
            "docxbravo",
        ),
        (
            "3.M3.a:2,S".into(),
            attach(
                "minutes",
                "application/vnd.oasis.opendocument.text",
                "minutes.odt",
                fixtures::odt(&["agreed odtcharlie today"]),
            ),
            "odtcharlie",
        ),
        (
            "4.M4.a:2,S".into(),
            attach(
                "figures",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "figures.xlsx",
                fixtures::xlsx(&[&["Region", "xlsxdelta"], &["Total", "12"]]),
            ),
            "xlsxdelta",
        ),
        ("5.M5.a:2,S".into(), html, "htmlecho"),
        ("6.M6.a:2,S".into(), nested, "nestedfoxtrot"),
    ]
}

#[test]
fn attachment_words_are_found_by_text_and_body_not_subject() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(home.join("Maildir").join(sub)).unwrap();
    }
    let msgs = messages();
    for (name, raw, _) in &msgs {
        std::fs::write(home.join("Maildir/cur").join(name), raw).unwrap();
    }
    let rescan: serde_json::Value = serde_json::from_str(
        run_ok(&["rescan", "--home", home.to_str().unwrap(), "--json"]).trim(),
    )
    .unwrap();
    assert_eq!(rescan["added"], msgs.len() as u64, "{rescan}");
    assert_eq!(rescan["failed"], 0, "{rescan}");

    let mut seen = Vec::new();
    for (_, _, word) in &msgs {
        for mode in [&[][..], &["--exact"], &["--scan"]] {
            let text = search(home, mode, &format!("TEXT {word}"));
            let body = search(home, mode, &format!("BODY {word}"));
            assert_eq!(text.len(), 1, "TEXT {word} {mode:?}: {text:?}");
            assert_eq!(body, text, "BODY {word} {mode:?}");
            assert!(
                search(home, mode, &format!("SUBJECT {word}")).is_empty(),
                "SUBJECT {word}"
            );
            seen.push(text[0]);
        }
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), msgs.len(), "each word finds its own message");
    // script text is not message text; file names are
    assert!(search(home, &[], "TEXT scriptonlyword").is_empty());
    assert_eq!(search(home, &[], "BODY \"contract.docx\"").len(), 1);
    // a phrase is verified on the message: its attachments are extracted when the body lacks it
    for mode in [&[][..], &["--scan"]] {
        assert_eq!(
            search(home, mode, "BODY \"clause docxbravo\"").len(),
            1,
            "{mode:?}"
        );
        assert_eq!(search(home, mode, "TEXT \"agreed odtcharlie\"").len(), 1);
    }

    let status: serde_json::Value = serde_json::from_str(&run_ok(&[
        "status",
        "--home",
        home.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(status["failures"], serde_json::json!({}), "{status}");
}

#[test]
fn extraction_failures_are_counted_per_format_and_the_message_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(home.join("Maildir").join(sub)).unwrap();
    }
    // a PDF that makes pdf-extract panic (no MediaBox) and a DOCX that is not a zip
    let mut pdf = fixtures::pdf(&["never extracted"]);
    let at = pdf.windows(9).position(|w| w == b"/MediaBox").unwrap();
    pdf[at + 7] = b'a';
    let raw = fixtures::mail(
        "broken attachments",
        "survivingbodyword",
        &[
            Part {
                content_type: "application/pdf",
                file_name: Some("broken.pdf"),
                bytes: &pdf,
            },
            Part {
                content_type: "application/octet-stream",
                file_name: Some("broken.docx"),
                bytes: b"PK\x03\x04not a zip",
            },
        ],
    );
    std::fs::write(home.join("Maildir/cur/1.M1.a:2,S"), raw).unwrap();
    let out = run_ok(&["rescan", "--home", home.to_str().unwrap()]);
    assert!(
        out.contains("extract pdf: 1") && out.contains("extract docx: 1"),
        "{out}"
    );
    assert_eq!(search(home, &[], "BODY survivingbodyword").len(), 1);
    assert_eq!(search(home, &[], "TEXT broken.pdf").len(), 1);
    let status = run_ok(&["status", "--home", home.to_str().unwrap()]);
    assert!(status.contains("by format: docx 1, pdf 1"), "{status}");
    let json: serde_json::Value = serde_json::from_str(&run_ok(&[
        "status",
        "--home",
        home.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["failures"], serde_json::json!({"docx": 1, "pdf": 1}));
}
