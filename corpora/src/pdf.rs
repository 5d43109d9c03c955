//! A minimal PDF 1.4 writer: pages of text in the standard Type1 fonts Helvetica and
//! Helvetica-Bold (WinAnsiEncoding, nothing embedded), one content stream per page, optionally
//! Flate-compressed, and a cross-reference table with exact byte offsets.
//!
//! Text is converted to WinAnsi: Latin-1 and the WinAnsi extras (`€`, `“`, `–`, `Œ`, ...) are
//! kept, Cyrillic is transliterated, and anything else (CJK, ...) is dropped as if it were a
//! space, so words never run into each other.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;

use crate::document::{DocBlock, Document};

/// Advance widths of Helvetica for bytes `0x20..=0x7e`, in 1/1000 em (Adobe AFM).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
    278, 278, 584, 584, 584, 556, 1015, // :..@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A-M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N-Z
    278, 278, 278, 469, 556, 333, // [..`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a-m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n-z
    334, 260, 334, 584, // {..~
];

/// Width of a WinAnsi byte in 1/1000 em (bold text is estimated 10% wider).
fn glyph_width(b: u8, bold: bool) -> u32 {
    let w = match b {
        0x20..=0x7e => u32::from(HELVETICA[usize::from(b - 0x20)]),
        _ => 600,
    };
    if bold {
        w * 11 / 10
    } else {
        w
    }
}

/// Width of WinAnsi text in 1/1000 em.
fn text_width(text: &[u8], bold: bool) -> u32 {
    text.iter().map(|&b| glyph_width(b, bold)).sum()
}

/// The WinAnsiEncoding byte of a character outside Latin-1, if it has one.
fn winansi_extra(c: char) -> Option<u8> {
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    })
}

/// ASCII transliteration of a Cyrillic letter (Russian, BGN/PCGN-like).
fn translit(c: char) -> Option<&'static str> {
    const LOWER: [&str; 32] = [
        "a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
        "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
    ];
    const UPPER: [&str; 32] = [
        "A", "B", "V", "G", "D", "E", "Zh", "Z", "I", "Y", "K", "L", "M", "N", "O", "P", "R", "S",
        "T", "U", "F", "Kh", "Ts", "Ch", "Sh", "Shch", "", "Y", "", "E", "Yu", "Ya",
    ];
    Some(match c {
        'а'..='я' => LOWER[c as usize - 'а' as usize],
        'А'..='Я' => UPPER[c as usize - 'А' as usize],
        'ё' => "e",
        'Ё' => "E",
        '№' => "No.",
        _ => return None,
    })
}

/// Converts text to WinAnsi bytes on one line: Latin-1 and the WinAnsi extras are kept,
/// Cyrillic is transliterated, other characters become spaces; runs of spaces collapse.
pub(crate) fn winansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let space = |out: &mut Vec<u8>| {
        if out.last().is_some_and(|&b| b != b' ') {
            out.push(b' ');
        }
    };
    for c in text.chars() {
        match c {
            ' ' | '\t' | '\n' | '\r' | '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' => {
                space(&mut out)
            }
            '\u{21}'..='\u{7e}' | '\u{a1}'..='\u{ff}' => out.push(c as u8),
            _ => {
                if let Some(b) = winansi_extra(c) {
                    out.push(b);
                } else if let Some(t) = translit(c) {
                    out.extend_from_slice(t.as_bytes());
                } else {
                    space(&mut out);
                }
            }
        }
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    out
}

/// Appends a PDF literal string `(...)` of WinAnsi bytes, escaping `(`, `)`, `\` and 8-bit bytes.
fn literal(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'(');
    for &b in text {
        match b {
            b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            0x20..=0x7e => out.push(b),
            0x80..=0xff => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            _ => {}
        }
    }
    out.push(b')');
}

/// Appends a PDF text string for the document information dictionary: a literal if `text` is
/// ASCII, otherwise UTF-16BE with a byte order mark as a hex string (any Unicode).
fn text_string(text: &str, out: &mut Vec<u8>) {
    if text.is_ascii() {
        literal(text.as_bytes(), out);
        return;
    }
    out.extend_from_slice(b"<FEFF");
    for unit in text.encode_utf16() {
        out.extend_from_slice(format!("{unit:04X}").as_bytes());
    }
    out.push(b'>');
}

/// Splits WinAnsi text into lines of at most `max` (1/1000 em) at spaces.
fn wrap(text: &[u8], max: u32, bold: bool) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let space = glyph_width(b' ', bold);
    let (mut start, mut end, mut width) = (0, 0, 0);
    for word in text.split(|&b| b == b' ') {
        let offset = word.as_ptr() as usize - text.as_ptr() as usize;
        let w = text_width(word, bold);
        if end > start && width + space + w > max {
            lines.push(&text[start..end]);
            start = offset;
            width = 0;
        } else if end > start {
            width += space;
        } else {
            start = offset;
        }
        width += w;
        end = offset + word.len();
    }
    if end > start {
        lines.push(&text[start..end]);
    }
    lines
}

/// Lays text out on pages; each page is a content stream.
struct Pages {
    width: u32,
    height: u32,
    margin: u32,
    y: u32,
    streams: Vec<Vec<u8>>,
}

impl Pages {
    /// Moves down by `leading` points, starting a new page when the bottom margin is reached,
    /// and returns the new baseline.
    fn advance(&mut self, leading: u32) -> u32 {
        if self.streams.is_empty() || self.y < self.margin + leading {
            self.streams.push(Vec::with_capacity(4096));
            self.y = self.height - self.margin + leading / 3;
        }
        self.y -= leading;
        self.y
    }

    /// Draws `text` with its left edge at `x` on baseline `y`.
    fn show(&mut self, font: &str, size: u32, x: u32, y: u32, text: &[u8]) {
        let s = self.streams.last_mut().expect("advance() started a page");
        s.extend_from_slice(format!("BT /{font} {size} Tf {x} {y} Td ").as_bytes());
        literal(text, s);
        s.extend_from_slice(b" Tj ET\n");
    }

    /// Wrapped text in one font, `gap` points of space after it.
    fn paragraph(&mut self, text: &[u8], font: &str, size: u32, leading: u32, gap: u32) {
        let bold = font == "F2";
        let max = (self.width - 2 * self.margin) * 1000 / size;
        for line in wrap(text, max, bold) {
            let y = self.advance(leading);
            self.show(font, size, self.margin, y, line);
        }
        self.y = self.y.saturating_sub(gap);
    }

    /// One table row: the first cell left-aligned, the others right-aligned in equal columns.
    fn row(&mut self, cells: &[Vec<u8>]) {
        let y = self.advance(14);
        let inner = self.width - 2 * self.margin;
        let n = cells.len().max(1) as u32;
        let first = if n > 1 { inner * 2 / 5 } else { inner };
        let col = if n > 1 { (inner - first) / (n - 1) } else { 0 };
        for (i, cell) in cells.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let x = if i == 0 {
                self.margin
            } else {
                let right = self.margin + first + col * i as u32;
                right.saturating_sub(text_width(cell, false) * 10 / 1000)
            };
            self.show("F1", 10, x, y, cell);
        }
    }
}

/// FNV-1a, for the file identifier.
fn fnv(data: &[u8], basis: u64) -> u64 {
    data.iter().fold(basis, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `D:YYYYMMDDHHmmSSZ` of a Unix time.
fn pdf_date(t: i64) -> Vec<u8> {
    let (y, mo, d, h, mi, s, _) = crate::dates::civil(t);
    format!("D:{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z").into_bytes()
}

/// Serialises `doc` as a PDF file.
pub(crate) fn write(doc: &Document) -> Vec<u8> {
    let (width, height) = doc.page;
    let mut pages = Pages {
        width,
        height,
        margin: 72,
        y: 0,
        streams: Vec::new(),
    };
    for block in &doc.blocks {
        match block {
            DocBlock::Title(t) => pages.paragraph(&winansi(t), "F2", 16, 22, 10),
            DocBlock::Heading(t) => {
                pages.y = pages.y.saturating_sub(6);
                pages.paragraph(&winansi(t), "F2", 12, 16, 4);
            }
            DocBlock::Para(t) => pages.paragraph(&winansi(t), "F1", 10, 13, 6),
            DocBlock::Row(cells) => {
                let cells: Vec<Vec<u8>> = cells.iter().map(|c| winansi(c)).collect();
                pages.row(&cells);
            }
        }
    }
    if pages.streams.is_empty() {
        pages.advance(13);
    }

    let n_pages = pages.streams.len();
    // 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info, then page and content pairs.
    let page_id = |i: usize| 6 + 2 * i;
    let total = 6 + 2 * n_pages; // including object 0
    let estimate: usize = pages.streams.iter().map(Vec::len).sum::<usize>() + 1200 + 200 * n_pages;
    let mut out = Vec::with_capacity(estimate);
    let mut offsets = vec![0usize; total];
    out.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
    let mut object = |out: &mut Vec<u8>, id: usize, body: &[u8]| {
        offsets[id] = out.len();
        out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    object(&mut out, 1, b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..n_pages)
        .map(|i| format!("{} 0 R", page_id(i)))
        .collect();
    object(
        &mut out,
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n_pages} >>",
            kids.join(" ")
        )
        .as_bytes(),
    );
    for (id, name) in [(3, "Helvetica"), (4, "Helvetica-Bold")] {
        object(
            &mut out,
            id,
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>"
            )
            .as_bytes(),
        );
    }
    let mut info = b"<< /Producer ".to_vec();
    text_string(doc.producer, &mut info);
    for (key, value) in [("Title", &doc.title), ("Author", &doc.author)] {
        if !value.is_empty() {
            info.extend_from_slice(format!(" /{key} ").as_bytes());
            text_string(value, &mut info);
        }
    }
    info.extend_from_slice(b" /CreationDate ");
    literal(&pdf_date(doc.created), &mut info);
    info.extend_from_slice(b" >>");
    object(&mut out, 5, &info);
    let mut id_hash = 0xcbf2_9ce4_8422_2325;
    for (i, content) in pages.streams.iter().enumerate() {
        id_hash = fnv(content, id_hash);
        let page = format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            page_id(i) + 1
        );
        object(&mut out, page_id(i), page.as_bytes());
        let mut stream = Vec::with_capacity(content.len() + 64);
        if doc.compress {
            let mut z =
                ZlibEncoder::new(Vec::with_capacity(content.len() / 3), Compression::fast());
            z.write_all(content).expect("writing to a Vec");
            let data = z.finish().expect("writing to a Vec");
            stream.extend_from_slice(
                format!(
                    "<< /Length {} /Filter /FlateDecode >>\nstream\n",
                    data.len()
                )
                .as_bytes(),
            );
            stream.extend_from_slice(&data);
        } else {
            stream
                .extend_from_slice(format!("<< /Length {} >>\nstream\n", content.len()).as_bytes());
            stream.extend_from_slice(content);
        }
        stream.extend_from_slice(b"\nendstream");
        object(&mut out, page_id(i) + 1, &stream);
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {total}\n0000000000 65535 f \n").as_bytes());
    for offset in &offsets[1..] {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let id = format!(
        "{:016x}{:016x}",
        id_hash,
        fnv(doc.title.as_bytes(), id_hash)
    );
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {total} /Root 1 0 R /Info 5 0 R /ID [<{id}> <{id}>] >>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winansi_conversion() {
        assert_eq!(
            winansi("Grüße, “Zoë” – 5 €"),
            b"Gr\xfc\xdfe, \x93Zo\xeb\x94 \x96 5 \x80"
        );
        assert_eq!(winansi("Счёт № 12"), b"Schet No. 12");
        assert_eq!(winansi("USB接口的 usb_gadget 驱动"), b"USB usb_gadget");
        assert_eq!(winansi("  a\tb\n"), b"a b");
    }

    #[test]
    fn literal_escapes() {
        let mut out = Vec::new();
        literal(b"f(x) \\ \xe9", &mut out);
        assert_eq!(out, b"(f\\(x\\) \\\\ \\351)");
    }

    #[test]
    fn info_strings() {
        let mut out = Vec::new();
        text_string("a(b)", &mut out);
        text_string("Зоя €", &mut out);
        assert_eq!(out, b"(a\\(b\\))<FEFF0417043E044F002020AC>");
    }

    #[test]
    fn wrapping_keeps_words_and_width() {
        let text = winansi(&"lorem ipsum dolor sit amet consectetur ".repeat(20));
        let lines = wrap(&text, 45_100, false);
        assert!(lines.len() > 5);
        for l in &lines {
            assert!(text_width(l, false) <= 45_100);
            assert!(!l.starts_with(b" ") && !l.ends_with(b" "));
        }
        let joined: Vec<u8> = lines.join(&b' ');
        assert_eq!(joined, text);
    }

    #[test]
    fn xref_offsets_point_at_objects() {
        let doc = Document::plain("one (two) three\nfour");
        let pdf = write(&doc);
        let text = String::from_utf8_lossy(&pdf);
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[xref..].starts_with(b"xref\n0 8\n"));
        let table = String::from_utf8_lossy(&pdf[xref..]);
        let entries: Vec<&str> = table.lines().skip(2).take(8).collect();
        assert_eq!(entries[0], "0000000000 65535 f ");
        for (id, e) in entries.iter().enumerate().skip(1) {
            assert_eq!(e.len(), 19, "{e:?}"); // plus the newline: 20 bytes
            let offset: usize = e[..10].parse().unwrap();
            assert!(
                pdf[offset..].starts_with(format!("{id} 0 obj\n").as_bytes()),
                "object {id}"
            );
        }
        assert!(text.contains("(one \\(two\\) three) Tj"));
    }
}
