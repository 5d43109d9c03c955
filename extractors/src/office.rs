//! OOXML (DOCX, XLSX, PPTX) and ODF (ODT, ODS, ODP): zip archives of XML parts. The parts that
//! hold the text are streamed through quick-xml straight from the inflater, so memory stays flat
//! and a zip bomb stops at [`Limits::max_inflated_bytes`](crate::Limits::max_inflated_bytes).

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;
use zip::ZipArchive;

use crate::error::{ExtractError, Format};
use crate::sink::Sink;

/// Extracts the text of an office document into `sink`.
pub(crate) fn extract(
    format: Format,
    bytes: &[u8],
    max_inflated: u64,
    sink: &mut Sink,
) -> Result<(), ExtractError> {
    let mut zip =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| ExtractError::malformed(format, e))?;
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    names.sort_by_key(|n| natural_key(n));
    let parts: Vec<&String> = names.iter().filter(|n| is_text_part(format, n)).collect();
    if parts.is_empty() {
        return Err(ExtractError::malformed(
            format,
            "no text part in the archive",
        ));
    }
    let mut budget = max_inflated;
    let mut first_error = None;
    for name in parts {
        if sink.full() {
            break;
        }
        let entry = match zip.by_name(name) {
            Ok(e) => e,
            Err(e) => {
                first_error.get_or_insert(ExtractError::malformed(format, format!("{name}: {e}")));
                continue;
            }
        };
        let mut counted = Counted {
            inner: entry,
            left: budget,
            exhausted: false,
        };
        let result = xml_text(format, name, &mut counted, sink);
        budget = counted.left;
        if counted.exhausted {
            return Err(ExtractError::Inflated {
                format,
                limit: max_inflated,
            });
        }
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
        sink.newline();
    }
    // the text read before an error is kept, and the error still counts
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Orders `slide10.xml` after `slide9.xml`.
fn natural_key(name: &str) -> (String, u64) {
    let stem = name.trim_end_matches(".xml");
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, num) = stem.split_at(stem.len() - digits);
    (head.to_string(), num.parse().unwrap_or(0))
}

fn is_text_part(format: Format, name: &str) -> bool {
    let xml = name.ends_with(".xml");
    match format {
        Format::Docx => {
            xml && (name == "word/document.xml"
                || name.starts_with("word/header")
                || name.starts_with("word/footer")
                || name == "word/footnotes.xml"
                || name == "word/endnotes.xml"
                || name == "word/comments.xml"
                || name == "docProps/core.xml")
        }
        Format::Xlsx => {
            xml && (name == "xl/sharedStrings.xml"
                || (name.starts_with("xl/worksheets/") && !name.contains("_rels"))
                || name == "docProps/core.xml")
        }
        Format::Pptx => {
            xml && ((name.starts_with("ppt/slides/slide") || name.starts_with("ppt/notesSlides/"))
                && !name.contains("_rels")
                || name == "docProps/core.xml")
        }
        Format::Odt | Format::Ods | Format::Odp => name == "content.xml" || name == "meta.xml",
        _ => false,
    }
}

/// A reader that stops (and says so) after `left` bytes.
struct Counted<R> {
    inner: R,
    left: u64,
    exhausted: bool,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // one probe byte tells a part that ends exactly at the limit from a bomb
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? > 0 {
                self.exhausted = true;
            }
            return Ok(0);
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Elements (local names) whose end closes a line / a cell, and whose empty form is a space.
fn is_line_end(local: &str) -> bool {
    matches!(
        local,
        "p" | "h"
            | "tr"
            | "row"
            | "si"
            | "br"
            | "line-break"
            | "table-row"
            | "title"
            | "subject"
            | "description"
            | "keywords"
            | "creator"
    )
}

fn is_cell_end(local: &str) -> bool {
    matches!(local, "tc" | "c" | "table-cell" | "tab" | "s" | "cr")
}

/// Elements whose text is not document text: field codes, deleted text, formulas, and (in
/// worksheets) cell values that are indexes into the shared strings.
fn is_skipped(local: &str) -> bool {
    matches!(
        local,
        "instrText" | "delText" | "f" | "binData" | "tracked-changes"
    )
}

fn xml_text<R: Read>(
    format: Format,
    part: &str,
    input: R,
    sink: &mut Sink,
) -> Result<(), ExtractError> {
    let mut reader = Reader::from_reader(BufReader::with_capacity(64 << 10, input));
    reader.config_mut().check_end_names = false;
    let worksheet = format == Format::Xlsx && part.starts_with("xl/worksheets/");
    let mut buf = Vec::new();
    let mut skip_depth = 0usize;
    // in a worksheet: the current cell holds a shared-string index (t="s")
    let mut shared_index_cell = false;
    loop {
        if sink.full() {
            return Ok(());
        }
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| ExtractError::malformed(format, format!("{part}: {e}")))?;
        match event {
            Event::Start(e) => {
                let local = e.local_name();
                let local = local.as_ref();
                if skip_depth > 0 || is_skipped(local) {
                    skip_depth += 1;
                } else if worksheet && local == "c" {
                    shared_index_cell = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.as_ref() == "t" && a.value.as_ref() == "s");
                } else if worksheet && local == "v" && shared_index_cell {
                    skip_depth += 1;
                }
            }
            Event::End(e) => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                let local = e.local_name();
                if is_line_end(local.as_ref()) {
                    sink.newline();
                } else if is_cell_end(local.as_ref()) {
                    sink.space();
                }
            }
            Event::Empty(e) if skip_depth == 0 => {
                let local = e.local_name();
                if is_line_end(local.as_ref()) {
                    sink.newline();
                } else if is_cell_end(local.as_ref()) {
                    sink.space();
                }
            }
            Event::Text(t) if skip_depth == 0 => sink.push_str(&t.xml10_content()),
            Event::CData(t) if skip_depth == 0 => sink.push_str(t.as_ref()),
            Event::GeneralRef(r) if skip_depth == 0 => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    sink.push(c);
                } else {
                    sink.push_str(match r.as_ref() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}
