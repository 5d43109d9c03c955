//! A DOCX (OOXML WordprocessingML) writer: a zip package with `[Content_Types].xml`, the
//! package and document relationships, `word/document.xml` (paragraphs, headings, tables), the
//! core and app properties, and Word's usual styles, settings, font table and theme
//! ([`crate::ooxml`]). Entries are deflated and carry a fixed timestamp (1980-01-01, as Word
//! writes them), so the bytes are a function of the document.
//!
//! The constant parts are deflated once into two template archives whose entries every package
//! copies raw; only the document and its properties are compressed per file.

use std::io::{Cursor, Write};
use std::sync::OnceLock;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::document::{DocBlock, Document};
use crate::ooxml;
use crate::rng::Rng;

/// Appends `text` escaped for XML character data (control characters are dropped).
pub(crate) fn xml_escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

/// One run `<w:r>` of text, optionally bold.
fn run(text: &str, bold: bool, out: &mut String) {
    out.push_str("<w:r>");
    if bold {
        out.push_str("<w:rPr><w:b/></w:rPr>");
    }
    if text.starts_with(' ') || text.ends_with(' ') {
        out.push_str("<w:t xml:space=\"preserve\">");
    } else {
        out.push_str("<w:t>");
    }
    xml_escape(text, out);
    out.push_str("</w:t></w:r>");
}

/// The runs of a paragraph. With a generator, the text is split the way Word splits it: a bold
/// word now and then, and (rarely) a word cut in two by a revision or spell-check boundary.
fn runs(text: &str, r: Option<&mut Rng>, out: &mut String) {
    let Some(r) = r else {
        run(text, false, out);
        return;
    };
    let mut start = 0;
    let mut words = text.split(' ').peekable();
    let mut pos = 0;
    while let Some(word) = words.next() {
        let end = pos + word.len();
        let roll = r.below(1000);
        if roll < 30 && !word.is_empty() {
            // A word in its own run: bold, or marked by the spell checker.
            if pos > start {
                run(&text[start..pos], false, out);
            }
            if roll < 20 {
                run(word, true, out);
            } else {
                out.push_str("<w:proofErr w:type=\"spellStart\"/>");
                run(word, false, out);
                out.push_str("<w:proofErr w:type=\"spellEnd\"/>");
            }
            start = end;
        } else if roll < 40 && word.chars().count() > 3 {
            // A word cut in two by a revision (rsid) boundary.
            let half = word.chars().count() / 2;
            let cut = word.char_indices().nth(half).map_or(0, |(i, _)| i);
            run(&text[start..pos + cut], false, out);
            start = pos + cut;
        }
        pos = end + usize::from(words.peek().is_some());
    }
    if start < text.len() {
        run(&text[start..], false, out);
    }
}

fn paragraph(style: Option<&str>, text: &str, r: Option<&mut Rng>, out: &mut String) {
    out.push_str("<w:p>");
    if let Some(style) = style {
        out.push_str(&format!("<w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>"));
    }
    runs(text, r, out);
    out.push_str("</w:p>");
}

/// A table of consecutive rows.
fn table(rows: &[&Vec<String>], out: &mut String) {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(1).max(1);
    let width = 9026 / cols;
    out.push_str("<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"0\" w:type=\"auto\"/><w:tblLook w:val=\"04A0\"/></w:tblPr><w:tblGrid>");
    for _ in 0..cols {
        out.push_str(&format!("<w:gridCol w:w=\"{width}\"/>"));
    }
    out.push_str("</w:tblGrid>");
    for row in rows {
        out.push_str("<w:tr>");
        for c in 0..cols {
            out.push_str(&format!(
                "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/></w:tcPr>"
            ));
            match row.get(c).filter(|t| !t.is_empty()) {
                Some(text) => paragraph(None, text, None, out),
                None => out.push_str("<w:p/>"),
            }
            out.push_str("</w:tc>");
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
}

/// `word/document.xml` of `doc`.
fn document_xml(doc: &Document) -> String {
    let size: usize = doc.blocks.iter().map(DocBlock::len).sum();
    let mut out = String::with_capacity(size + size / 4 + 1024);
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#);
    out.push_str("\r\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>");
    let mut r = doc.run_seed.map(|s| Rng::new(s, 0, 0));
    let mut i = 0;
    while i < doc.blocks.len() {
        match &doc.blocks[i] {
            DocBlock::Title(t) => paragraph(Some("Title"), t, None, &mut out),
            DocBlock::Heading(t) => paragraph(Some("Heading1"), t, None, &mut out),
            DocBlock::Para(t) => paragraph(None, t, r.as_mut(), &mut out),
            DocBlock::Row(_) => {
                let rows: Vec<&Vec<String>> = doc.blocks[i..]
                    .iter()
                    .map_while(|b| match b {
                        DocBlock::Row(cells) => Some(cells),
                        _ => None,
                    })
                    .collect();
                i += rows.len();
                table(&rows, &mut out);
                // Word needs a paragraph between two tables and after the last one.
                out.push_str("<w:p/>");
                continue;
            }
        }
        i += 1;
    }
    let (w, h) = if doc.page.0 == 612 {
        (12240, 15840)
    } else {
        (11906, 16838)
    };
    out.push_str(&format!(
        "<w:sectPr><w:pgSz w:w=\"{w}\" w:h=\"{h}\"/><w:pgMar w:top=\"1440\" w:right=\"1440\" w:bottom=\"1440\" w:left=\"1440\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/><w:cols w:space=\"708\"/></w:sectPr></w:body></w:document>"
    ));
    out
}

/// W3CDTF timestamp of a Unix time.
fn w3cdtf(t: i64) -> String {
    let (y, mo, d, h, mi, s, _) = crate::dates::civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

fn core_xml(doc: &Document) -> String {
    let mut out = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        "\r\n",
        r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#
    ));
    for (tag, value) in [
        ("dc:title", &doc.title),
        ("dc:creator", &doc.author),
        ("cp:lastModifiedBy", &doc.author),
    ] {
        if !value.is_empty() {
            out.push_str(&format!("<{tag}>"));
            xml_escape(value, &mut out);
            out.push_str(&format!("</{tag}>"));
        }
    }
    let created = w3cdtf(doc.created);
    out.push_str(&format!(
        "<cp:revision>2</cp:revision><dcterms:created xsi:type=\"dcterms:W3CDTF\">{created}</dcterms:created><dcterms:modified xsi:type=\"dcterms:W3CDTF\">{created}</dcterms:modified></cp:coreProperties>"
    ));
    out
}

fn app_xml(doc: &Document) -> String {
    let (mut words, mut chars, mut paras) = (0, 0, 0);
    for b in &doc.blocks {
        let t = b.text();
        words += t.split_whitespace().count();
        chars += t.chars().filter(|c| !c.is_whitespace()).count();
        paras += 1;
    }
    let mut app = String::new();
    xml_escape(doc.producer, &mut app);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"><Template>Normal.dotm</Template><TotalTime>{}</TotalTime><Pages>{}</Pages><Words>{words}</Words><Characters>{chars}</Characters><Application>{app}</Application><DocSecurity>0</DocSecurity><Lines>{}</Lines><Paragraphs>{paras}</Paragraphs><ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate><CharactersWithSpaces>{}</CharactersWithSpaces><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0000</AppVersion></Properties>",
        words / 40,
        1 + words / 450,
        chars / 60 + paras,
        chars + words
    )
}

fn options(level: i64) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(level))
        .last_modified_time(DateTime::default())
}

/// A zip archive of `parts`, deflated at `level`.
fn archive(parts: &[(&str, &[u8])], level: i64, capacity: usize) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::with_capacity(capacity)));
    for (name, data) in parts {
        w.start_file(*name, options(level))
            .expect("zip entry in memory");
        w.write_all(data).expect("zip write in memory");
    }
    w.finish().expect("zip finish in memory").into_inner()
}

/// The constant parts, deflated once: `(head, tail)` of every package. `[Content_Types].xml`
/// comes first and `word/document.xml` third, as Word writes them (file type sniffers look).
fn templates() -> &'static (Vec<u8>, Vec<u8>) {
    static TEMPLATES: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let head = archive(
            &[
                ("[Content_Types].xml", ooxml::content_types().as_bytes()),
                ("_rels/.rels", ooxml::package_rels().as_bytes()),
            ],
            9,
            2048,
        );
        let tail = archive(
            &[
                (
                    "word/_rels/document.xml.rels",
                    ooxml::document_rels().as_bytes(),
                ),
                ("word/styles.xml", ooxml::styles().as_bytes()),
                ("word/settings.xml", ooxml::settings().as_bytes()),
                ("word/webSettings.xml", ooxml::web_settings().as_bytes()),
                ("word/fontTable.xml", ooxml::font_table().as_bytes()),
                ("word/theme/theme1.xml", ooxml::theme().as_bytes()),
            ],
            9,
            16 << 10,
        );
        (head, tail)
    })
}

/// Copies the entries of a template archive, compressed as they are.
fn merge(w: &mut ZipWriter<Cursor<Vec<u8>>>, template: &[u8]) {
    let source = ZipArchive::new(Cursor::new(template)).expect("template archive");
    w.merge_archive(source).expect("zip copy in memory");
}

/// Serialises `doc` as a DOCX package.
pub(crate) fn write(doc: &Document) -> Vec<u8> {
    let document = document_xml(doc);
    let (core, app) = (core_xml(doc), app_xml(doc));
    let (head, tail) = templates();
    let capacity = head.len() + tail.len() + document.len() / 3 + 4096;
    let mut w = ZipWriter::new(Cursor::new(Vec::with_capacity(capacity)));
    merge(&mut w, head);
    for (name, data) in [
        ("word/document.xml", document.as_bytes()),
        ("docProps/core.xml", core.as_bytes()),
        ("docProps/app.xml", app.as_bytes()),
    ] {
        w.start_file(name, options(1)).expect("zip entry in memory");
        w.write_all(data).expect("zip write in memory");
    }
    merge(&mut w, tail);
    w.finish().expect("zip finish in memory").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(xml: &str) -> String {
        // Concatenates <w:t> contents, a newline after each paragraph.
        let mut out = String::new();
        let mut rest = xml;
        while let Some(i) = rest.find("<w:t") {
            let after = &rest[i + 4..];
            if after.starts_with('>') || after.starts_with(' ') {
                let start = after.find('>').unwrap() + 1;
                let end = after.find("</w:t>").unwrap();
                out.push_str(&after[start..end]);
                rest = &after[end..];
            } else {
                rest = after;
            }
        }
        out
    }

    #[test]
    fn runs_split_but_keep_the_text() {
        let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda ".repeat(30);
        let text = text.trim_end();
        let mut r = Rng::new(1, 2, 3);
        let mut out = String::new();
        runs(text, Some(&mut r), &mut out);
        assert!(out.matches("<w:r>").count() > 3, "{out}");
        assert_eq!(text_of(&out), text);
    }

    #[test]
    fn escaping() {
        let mut out = String::new();
        xml_escape("a<b & \"c\"\u{1}", &mut out);
        assert_eq!(out, "a&lt;b &amp; &quot;c&quot;");
    }
}
