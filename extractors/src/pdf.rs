//! PDF with pdf-extract (over lopdf). pdf-extract is the riskiest parser we run: it panics on
//! malformed input (`expect`/`unwrap` on missing keys), recurses without bound on self-referencing
//! form XObjects and allocates what the file claims. So it only ever runs isolated (see
//! [`crate::isolate`]); this module is just the extraction proper.

use pdf_extract::{Document, MediaBox, OutputDev, OutputError, Transform};

use crate::error::{ExtractError, Format};
use crate::sink::Sink;

/// Extracts the text of a PDF into `sink`; returns the number of pages.
pub(crate) fn extract(bytes: &[u8], sink: &mut Sink) -> Result<u32, ExtractError> {
    let mut doc = Document::load_mem(bytes).map_err(|e| ExtractError::malformed(Format::Pdf, e))?;
    if doc.is_encrypted() {
        // many PDFs are "encrypted" with an empty user password only to restrict printing
        doc.decrypt("")
            .map_err(|e| ExtractError::malformed(Format::Pdf, format!("encrypted: {e}")))?;
    }
    let pages = doc.get_pages().len() as u32;
    let mut dev = TextDev {
        sink,
        page_height: 0.0,
        last_end: f64::MAX,
        last_y: 0.0,
        word_start: false,
    };
    match pdf_extract::output_doc(&doc, &mut dev) {
        Ok(()) => Ok(pages),
        Err(_) if dev.sink.full() => Ok(pages),
        Err(e) if !dev.sink.text.trim().is_empty() => {
            tracing::debug!(error = %e, "pdf: text extracted up to an error");
            Ok(pages)
        }
        Err(e) => Err(ExtractError::malformed(Format::Pdf, e)),
    }
}

/// Lays characters out as lines and words from their positions (like pdf-extract's
/// `PlainTextOutput`), writing into a bounded sink and stopping the document when it is full.
struct TextDev<'a> {
    sink: &'a mut Sink,
    page_height: f64,
    last_end: f64,
    last_y: f64,
    word_start: bool,
}

impl OutputDev for TextDev<'_> {
    fn begin_page(
        &mut self,
        _page: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.page_height = media_box.ury - media_box.lly;
        self.sink.newline();
        self.last_end = f64::MAX;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.sink.newline();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        // position in page space with y growing downwards, and the font size as rendered
        let x = trm.m31;
        let y = self.page_height - trm.m32;
        let scale = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs().sqrt();
        let size = font_size * scale;
        if self.word_start {
            let dy = (y - self.last_y).abs();
            if dy > size * 1.5 || (x < self.last_end && dy > size * 0.5) {
                self.sink.newline();
            } else if x > self.last_end + size * 0.1 {
                self.sink.space();
            }
        }
        self.sink.push_str(ch);
        self.word_start = false;
        self.last_y = y;
        self.last_end = x + width * size;
        if self.sink.full() {
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.word_start = true;
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}
