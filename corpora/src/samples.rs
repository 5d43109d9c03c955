//! Small documents and messages built in code, for tests and benchmarks: PDFs written by hand,
//! office documents written with the zip crate, MIME messages around them, and hostile inputs
//! (a self-drawing PDF, a slow PDF, a zip bomb, a deeply nested message).
//!
//!
//! They live here, with the generator, rather than in the extractors they exercise (a production
//! crate); the extractors' tests use them through a dev-dependency.
//!
//! ```
//! use mailfts_corpora::samples;
//! use mailfts_extractors::{extract, Limits};
//! let docx = samples::docx(&["Hello from a document"]);
//! let e = extract("application/octet-stream", Some("a.docx"), &docx, &Limits::default());
//! assert!(e.text.contains("Hello from a document"));
//! ```

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A PDF 1.4 file with one page per string (lines split at `\n`), in Helvetica.
pub fn pdf(pages: &[&str]) -> Vec<u8> {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        Vec::new(), // pages, filled below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    let mut kids = Vec::new();
    for text in pages {
        let page_id = objects.len() + 1;
        kids.push(format!("{page_id} 0 R"));
        let content = text_content(text);
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                page_id + 1
            )
            .into_bytes(),
        );
        objects.push(stream(&content));
    }
    objects[1] = pages_dict(&kids);
    assemble(&objects)
}

/// A PDF whose only page draws a form XObject that draws itself: pdf-extract recurses until the
/// stack overflows (which no in-process guard can survive).
pub fn pdf_self_drawing() -> Vec<u8> {
    let content = format!(
        "{}\n/X1 Do",
        String::from_utf8_lossy(&text_content("before the form"))
    );
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        pages_dict(&["4 0 R".to_string()]),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> /XObject << /X1 6 0 R >> >> /Contents 5 0 R >>".to_vec(),
        stream(content.as_bytes()),
        stream_with(
            "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X1 6 0 R >> >>",
            b"/X1 Do",
        ),
    ];
    assemble(&objects)
}

/// A PDF of `pages` pages that all share one content stream of `ops` graphics-state operators:
/// small on disk, `pages × ops` operators of work for pdf-extract (a crafted slow PDF).
pub fn pdf_slow(pages: usize, ops: usize) -> Vec<u8> {
    let mut content = text_content("slow pdf first line").to_vec();
    for _ in 0..ops {
        content.extend_from_slice(b"1 0 0 1 0 0 cm q Q\n");
    }
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        Vec::new(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream(&content),
    ];
    let mut kids = Vec::new();
    for _ in 0..pages {
        kids.push(format!("{} 0 R", objects.len() + 1));
        objects.push(
            b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
                .to_vec(),
        );
    }
    objects[1] = pages_dict(&kids);
    assemble(&objects)
}

fn pages_dict(kids: &[String]) -> Vec<u8> {
    format!(
        "<< /Type /Pages /Kids [{}] /Count {} /MediaBox [0 0 612 792] >>",
        kids.join(" "),
        kids.len()
    )
    .into_bytes()
}

fn text_content(text: &str) -> Vec<u8> {
    let mut c = b"BT /F1 12 Tf 72 740 Td".to_vec();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            c.extend_from_slice(b" 0 -16 Td");
        }
        c.extend_from_slice(b" (");
        for &b in line.as_bytes() {
            if matches!(b, b'(' | b')' | b'\\') {
                c.push(b'\\');
            }
            c.push(b);
        }
        c.extend_from_slice(b") Tj");
    }
    c.extend_from_slice(b" ET");
    c
}

fn stream(content: &[u8]) -> Vec<u8> {
    stream_with("", content)
}

fn stream_with(dict: &str, content: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", content.len()).into_bytes();
    s.extend_from_slice(content);
    s.extend_from_slice(b"\nendstream");
    s
}

/// Objects 1..=n with a cross-reference table and a trailer whose root is object 1.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let method = if *name == "mimetype" {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const CORE: &str = r#"<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Fixture</dc:title></cp:coreProperties>"#;

/// A DOCX with one paragraph per string; each paragraph's words are split over two runs the way
/// Word does, and a field code that must not be extracted.
pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let mut body = String::new();
    for p in paragraphs {
        let (a, b) = p.split_at(p.len() / 2);
        body.push_str(&format!(
            "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r><w:r><w:instrText> PAGE \\* MERGEFORMAT </w:instrText></w:r><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            xml_escape(a),
            xml_escape(b)
        ));
    }
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    zip_of(&[
        ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#),
        ("word/document.xml", doc.as_bytes()),
        ("docProps/core.xml", CORE.as_bytes()),
    ])
}

/// An XLSX with one sheet: strings go to the shared-string table, numbers stay in the cells.
pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut shared = Vec::new();
    let mut sheet = String::new();
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for cell in row.iter() {
            if cell.parse::<f64>().is_ok() {
                sheet.push_str(&format!("<c><v>{cell}</v></c>"));
            } else {
                sheet.push_str(&format!("<c t=\"s\"><v>{}</v></c>", shared.len()));
                shared.push(format!("<si><t>{}</t></si>", xml_escape(cell)));
            }
        }
        sheet.push_str("</row>");
    }
    let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
    let sst = format!("<?xml version=\"1.0\"?><sst {ns}>{}</sst>", shared.concat());
    let sheet = format!(
        "<?xml version=\"1.0\"?><worksheet {ns}><sheetData>{sheet}</sheetData></worksheet>"
    );
    zip_of(&[
        ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>"),
        (
            "xl/workbook.xml",
            format!("<?xml version=\"1.0\"?><workbook {ns}/>").as_bytes(),
        ),
        ("xl/sharedStrings.xml", sst.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

/// A PPTX with one slide per string.
pub fn pptx(slides: &[&str]) -> Vec<u8> {
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        (
            "[Content_Types].xml".into(),
            b"<?xml version=\"1.0\"?><Types/>".to_vec(),
        ),
        (
            "ppt/presentation.xml".into(),
            b"<?xml version=\"1.0\"?><p:presentation xmlns:p=\"p\"/>".to_vec(),
        ),
    ];
    for (i, s) in slides.iter().enumerate() {
        entries.push((
            format!("ppt/slides/slide{}.xml", i + 1),
            format!("<?xml version=\"1.0\"?><p:sld xmlns:p=\"p\" xmlns:a=\"a\"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>", xml_escape(s)).into_bytes(),
        ));
    }
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_of(&refs)
}

/// An ODF document (`kind`: `text`, `spreadsheet` or `presentation`) with one paragraph per string.
pub fn odf(kind: &str, paragraphs: &[&str]) -> Vec<u8> {
    let mut body = String::new();
    for p in paragraphs {
        // `text:s` is a space element, as LibreOffice writes runs of spaces
        body.push_str(&format!(
            "<text:p>{}</text:p>",
            xml_escape(p).replacen(' ', "<text:s/>", 1)
        ));
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:{kind}>{body}</office:{kind}></office:body></office:document-content>"#
    );
    let mimetype = format!("application/vnd.oasis.opendocument.{kind}");
    zip_of(&[
        ("mimetype", mimetype.as_bytes()),
        ("content.xml", content.as_bytes()),
        (
            "META-INF/manifest.xml",
            b"<?xml version=\"1.0\"?><manifest/>",
        ),
    ])
}

/// An ODT (see [`odf`]).
pub fn odt(paragraphs: &[&str]) -> Vec<u8> {
    odf("text", paragraphs)
}

/// A DOCX whose `word/document.xml` inflates to `inflated` bytes of empty runs (`<w:r/>`), in
/// about `inflated / 1000` compressed bytes: a zip bomb, written by hand (repeated deflate
/// blocks) because no zip writer would compress gigabytes in a test.
pub fn docx_bomb(inflated: u64) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let head = b"<?xml version=\"1.0\"?><w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>bomb start</w:t></w:r></w:p><w:p>";
    let chunk: Vec<u8> = b"<w:r/>".iter().copied().cycle().take(1 << 20).collect();
    let deflate = |data: &[u8], flush: FlushCompress, c: &mut Compress| {
        let mut out = Vec::with_capacity(data.len() / 100 + 1024);
        loop {
            let consumed = c.total_in() as usize;
            out.reserve(64 << 10);
            let status = c
                .compress_vec(&data[consumed..], &mut out, flush)
                .expect("deflate");
            let done = c.total_in() as usize == data.len();
            if done
                && (flush != FlushCompress::Finish || status == flate2::Status::StreamEnd)
                && out.capacity() > out.len()
            {
                break;
            }
        }
        out
    };
    let mut c = Compress::new(Compression::best(), false);
    let mut data = deflate(head, FlushCompress::Full, &mut c);
    let mut c = Compress::new(Compression::best(), false);
    let block = deflate(&chunk, FlushCompress::Full, &mut c);
    let repeats = (inflated / chunk.len() as u64).max(1);
    for _ in 0..repeats {
        data.extend_from_slice(&block);
    }
    let mut c = Compress::new(Compression::best(), false);
    data.extend_from_slice(&deflate(
        b"</w:p></w:body></w:document>",
        FlushCompress::Finish,
        &mut c,
    ));
    let size = (head.len() as u64 + repeats * chunk.len() as u64 + 28).min(u32::MAX as u64) as u32;
    let name = b"word/document.xml";
    let mut zip = Vec::new();
    let local = |zip: &mut Vec<u8>| {
        zip.extend_from_slice(&[0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
        zip.extend_from_slice(&0u32.to_le_bytes()); // crc (never reached)
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&size.to_le_bytes());
        zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes());
        zip.extend_from_slice(name);
    };
    local(&mut zip);
    zip.extend_from_slice(&data);
    let cd = zip.len();
    zip.extend_from_slice(&[0x50, 0x4b, 1, 2, 20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
    zip.extend_from_slice(&0u32.to_le_bytes());
    zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
    zip.extend_from_slice(&[0; 12]); // extra, comment, disk, internal attrs, external attrs
    zip.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    zip.extend_from_slice(name);
    let cd_len = zip.len() - cd;
    zip.extend_from_slice(&[0x50, 0x4b, 5, 6, 0, 0, 0, 0, 1, 0, 1, 0]);
    zip.extend_from_slice(&(cd_len as u32).to_le_bytes());
    zip.extend_from_slice(&(cd as u32).to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

/// An attachment of [`mail`].
#[derive(Clone, Copy, Debug)]
pub struct Part<'a> {
    /// Declared content type (with parameters).
    pub content_type: &'a str,
    /// File name, if any (sent as `filename=` in `Content-Disposition: attachment`).
    pub file_name: Option<&'a str>,
    /// The bytes (sent base64-encoded).
    pub bytes: &'a [u8],
}

/// A multipart/mixed message: a text/plain body and the attachments, base64-encoded, CRLF lines.
pub fn mail(subject: &str, body: &str, parts: &[Part<'_>]) -> Vec<u8> {
    let mut m = format!(
        "From: Fixture <fixture@example.org>\r\nTo: user@example.org\r\nSubject: {subject}\r\n\
         Date: Mon, 1 Jul 2024 10:00:00 +0000\r\nMessage-ID: <fixture@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"=_fixture\"\r\n\r\n--=_fixture\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    for p in parts {
        m.push_str(&format!(
            "--=_fixture\r\nContent-Type: {}\r\n",
            p.content_type
        ));
        if let Some(name) = p.file_name {
            m.push_str(&format!(
                "Content-Disposition: attachment; filename=\"{name}\"\r\n"
            ));
        }
        m.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        m.push_str(&base64(p.bytes));
        m.push_str("\r\n");
    }
    m.push_str("--=_fixture--\r\n");
    m.into_bytes()
}

/// A message whose second part is a chain of `depth` message/rfc822 parts, each with its own
/// subject (`level N`), the innermost with `innermost` as its body.
pub fn nested_mail(depth: usize, outer_body: &str, innermost: &str) -> Vec<u8> {
    let mut m = format!(
        "From: outer@example.org\r\nSubject: nested {depth}\r\nContent-Type: multipart/mixed; boundary=\"=_n\"\r\n\r\n\
         --=_n\r\nContent-Type: text/plain\r\n\r\n{outer_body}\r\n--=_n\r\nContent-Type: message/rfc822\r\n\r\n"
    )
    .into_bytes();
    for level in 1..depth {
        m.extend_from_slice(
            format!("Subject: level {level}\r\nContent-Type: message/rfc822\r\n\r\n").as_bytes(),
        );
    }
    m.extend_from_slice(
        format!("Subject: level {depth}\r\n\r\n{innermost}\r\n--=_n--\r\n").as_bytes(),
    );
    m
}

/// Standard base64 with CRLF every 76 characters.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 38 + 4);
    for (i, c) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}
