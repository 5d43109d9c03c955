//! Each format through `extract` and through a whole message.

use mailfts_corpora::samples::{self as fixtures, Part};
use mailfts_extractors::{extract, Format, Limits, MessageContent};

#[track_caller]
fn extracted(content_type: &str, name: Option<&str>, bytes: &[u8]) -> (Format, String) {
    let e = extract(content_type, name, bytes, &Limits::default());
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    (e.format.unwrap(), e.text)
}

#[test]
fn pdf_pages_in_order() {
    let pdf = fixtures::pdf(&["First page (with parens) here", "Second page\nthird line"]);
    let (format, text) = extracted("application/pdf", Some("a.pdf"), &pdf);
    assert_eq!(format, Format::Pdf);
    let words: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(
        words,
        ["First", "page", "(with", "parens)", "here", "Second", "page", "third", "line"],
        "{text:?}"
    );
}

#[test]
fn office_documents() {
    let docx = fixtures::docx(&["Quarterly report draft", "Second paragraph"]);
    let (f, t) = extracted("application/octet-stream", None, &docx);
    assert_eq!(f, Format::Docx);
    assert!(
        t.contains("Quarterly report draft\nSecond paragraph"),
        "{t:?}"
    );
    assert!(
        !t.contains("MERGEFORMAT"),
        "field codes are not text: {t:?}"
    );

    let xlsx = fixtures::xlsx(&[&["Region", "Revenue"], &["Nordics", "1234.5"]]);
    let (f, t) = extracted(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        None,
        &xlsx,
    );
    assert_eq!(f, Format::Xlsx);
    assert!(
        t.contains("Region") && t.contains("Nordics") && t.contains("1234.5"),
        "{t:?}"
    );
    assert!(
        !t.split_whitespace().any(|w| w == "0" || w == "2"),
        "shared-string indexes leaked: {t:?}"
    );

    let pptx = fixtures::pptx(&["Slide one title", "Slide two body"]);
    let (f, t) = extracted("application/octet-stream", Some("deck.pptx"), &pptx);
    assert_eq!(f, Format::Pptx);
    assert!(
        t.contains("Slide one title") && t.contains("Slide two body"),
        "{t:?}"
    );

    for (kind, format) in [
        ("text", Format::Odt),
        ("spreadsheet", Format::Ods),
        ("presentation", Format::Odp),
    ] {
        let odf = fixtures::odf(kind, &["Open document words", "more & more"]);
        let (f, t) = extracted("application/octet-stream", None, &odf);
        assert_eq!(f, format);
        assert!(
            t.contains("Open document words\nmore & more"),
            "{kind}: {t:?}"
        );
    }
}

#[test]
fn html_calendar_vcard_rtf_text() {
    let (f, t) = extracted(
        "text/html; charset=iso-8859-1",
        None,
        b"<html><style>.x{}</style><p>Gr\xFC&szlig;e &amp; <script>no()</script>mehr</p></html>",
    );
    assert_eq!((f, t.trim()), (Format::Html, "Grüße & mehr"));
    let (f, t) = extracted(
        "application/octet-stream",
        Some("invite.ics"),
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    assert_eq!((f, t.trim()), (Format::Calendar, "Standup"));
    let (f, t) = extracted(
        "text/x-vcard",
        None,
        b"BEGIN:VCARD\nFN:Ada Lovelace\nEND:VCARD\n",
    );
    assert_eq!((f, t.trim()), (Format::VCard, "Ada Lovelace"));
    let (f, t) = extracted(
        "application/msword",
        Some("x.doc"),
        b"{\\rtf1\\ansi Hello RTF\\par}",
    );
    assert_eq!((f, t.trim()), (Format::Rtf, "Hello RTF"));
    let (f, t) = extracted(
        "application/octet-stream",
        Some("build.log"),
        b"caf\xE9 log",
    );
    assert_eq!((f, t.as_str()), (Format::Text, "café log"));
    let (f, t) = extracted("image/png", Some("x.png"), b"\x89PNG\r\n\x1a\n....");
    assert_eq!((f, t.as_str()), (Format::Binary, ""));
}

#[test]
fn every_format_in_one_message_lands_in_attachments() {
    let pdf = fixtures::pdf(&["pdfonlyword"]);
    let docx = fixtures::docx(&["docxonlyword"]);
    let odt = fixtures::odt(&["odtonlyword"]);
    let xlsx = fixtures::xlsx(&[&["xlsxonlyword"]]);
    let raw = fixtures::mail(
        "all formats",
        "bodyword",
        &[
            Part {
                content_type: "application/pdf",
                file_name: Some("Invoice 2024.pdf"),
                bytes: &pdf,
            },
            Part {
                content_type: "application/octet-stream",
                file_name: Some("contract.docx"),
                bytes: &docx,
            },
            Part {
                content_type: "application/vnd.oasis.opendocument.text",
                file_name: Some("notes.odt"),
                bytes: &odt,
            },
            Part {
                content_type: "application/octet-stream",
                file_name: Some("sheet.xlsx"),
                bytes: &xlsx,
            },
            Part {
                content_type: "text/html; charset=utf-8",
                file_name: Some("page.html"),
                bytes: b"<p>htmlonly&shy;word<script>scriptword</script></p>",
            },
        ],
    );
    let m = MessageContent::parse(&raw);
    assert_eq!(m.body.trim(), "bodyword");
    for w in [
        "pdfonlyword",
        "docxonlyword",
        "odtonlyword",
        "xlsxonlyword",
        "Invoice 2024.pdf",
        "contract.docx",
    ] {
        assert!(
            m.attachments.contains(w),
            "{w} missing from {:?}",
            m.attachments
        );
    }
    assert!(
        m.attachments.contains("htmlonly\u{AD}word"),
        "{:?}",
        m.attachments
    );
    assert!(!m.attachments.contains("scriptword"));
    assert!(m.problems.is_empty(), "{:?}", m.problems);
}

#[test]
fn encoded_file_names_are_searchable() {
    let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n\
--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''Gr%C3%BC%C3%9Fe;\r\n filename*1=\"-report.bin\"\r\n\r\nxx\r\n\
--b\r\nContent-Type: application/octet-stream; name=\"=?utf-8?q?r=C3=A9sum=C3=A9=2Ebin?=\"\r\n\r\nyy\r\n--b--\r\n";
    let m = MessageContent::parse(raw);
    assert!(
        m.attachments.contains("Grüße-report.bin"),
        "{:?}",
        m.attachments
    );
    assert!(m.attachments.contains("résumé.bin"), "{:?}", m.attachments);
}

#[test]
fn html_body_uses_our_converter() {
    let raw = b"Content-Type: text/html; charset=utf-8\r\n\r\n<style>p{}</style><p>One &amp; two</p><p>three<img alt=\"pic alt\"></p>";
    let m = MessageContent::parse(raw);
    assert_eq!(m.body.trim(), "One & two\nthree pic alt");
}

#[test]
fn nested_messages_headers_body_and_attachments() {
    let inner_pdf = fixtures::pdf(&["innerpdfword"]);
    let inner = fixtures::mail(
        "Inner subject",
        "innerbodyword",
        &[Part {
            content_type: "application/pdf",
            file_name: Some("in.pdf"),
            bytes: &inner_pdf,
        }],
    );
    let raw = [
        &b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nouterword\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n"[..],
        &inner,
        b"\r\n--o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        fixtures::base64(b"Subject: encoded inner\r\n\r\nencodedword\r\n").as_bytes(),
        b"\r\n--o--\r\n",
    ]
    .concat();
    let m = MessageContent::parse(&raw);
    assert_eq!(m.body.trim(), "outerword");
    for w in [
        "Subject: Inner subject",
        "innerbodyword",
        "innerpdfword",
        "in.pdf",
        "Subject: encoded inner",
        "encodedword",
    ] {
        assert!(
            m.attachments.contains(w),
            "{w} missing from {:?}",
            m.attachments
        );
    }
    assert_eq!(m.header_values("subject").next(), Some("outer"));
}
