//! One attachment in, text out: detection, limits, isolation.

use std::borrow::Cow;

use crate::error::{ExtractError, Format};
use crate::isolate::{self, Job, Produced};
use crate::limits::Limits;
use crate::sink::Sink;
use crate::{calendar, html, rtf};

/// The text extracted from one attachment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The format it was read as.
    pub format: Option<Format>,
    /// The text (possibly partial when `errors` is not empty).
    pub text: String,
    /// The text was cut at the output limit.
    pub truncated: bool,
    /// What went wrong; the text extracted before it is kept.
    pub errors: Vec<ExtractError>,
}

/// Extracts the text of one attachment: `content_type` as declared (`type/subtype; params`),
/// the file name if any, and the decoded bytes.
///
/// Formats are told by [`Format::detect`]. Untrusted binary formats (PDF, OOXML, ODF) run as
/// [`Limits::isolation`] says; everything else runs in-process with panics caught. Never fails
/// and never panics: see [`Extracted::errors`].
///
/// ```
/// use mailfts_extractors::{extract, Format, Limits};
/// let e = extract("text/html", None, b"<p>caf&eacute;<script>x()</script></p>", &Limits::default());
/// assert_eq!((e.format, e.text.as_str()), (Some(Format::Html), "café"));
/// ```
pub fn extract(
    content_type: &str,
    file_name: Option<&str>,
    bytes: &[u8],
    limits: &Limits,
) -> Extracted {
    let format = Format::detect(content_type, file_name, bytes);
    let produced = extract_as(
        format,
        charset_of(content_type),
        bytes,
        limits,
        limits.max_output_bytes,
    );
    Extracted {
        format: Some(format),
        text: produced.text,
        truncated: produced.truncated,
        errors: produced.error.into_iter().collect(),
    }
}

/// The `charset` parameter of a content type.
fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"'))
    })
}

/// Bytes in a charset (or UTF-8, falling back to Latin-1 for invalid UTF-8) as text.
pub(crate) fn decode_text<'a>(bytes: &'a [u8], charset: Option<&str>) -> Cow<'a, str> {
    if let Some(enc) = charset.and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes())) {
        if enc != encoding_rs::UTF_8 {
            return enc.decode_without_bom_handling(bytes).0;
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) if std::str::from_utf8(&bytes[..bytes.len().min(4096)]).is_ok() => {
            String::from_utf8_lossy(bytes)
        }
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// Extracts `bytes` as `format` with at most `max_output` bytes of text. Messages are not handled
/// here (the caller parses them as messages).
pub(crate) fn extract_as(
    format: Format,
    charset: Option<&str>,
    bytes: &[u8],
    limits: &Limits,
    max_output: usize,
) -> Produced {
    if bytes.len() > limits.max_input_bytes {
        return Produced {
            error: Some(ExtractError::TooLarge {
                format,
                size: bytes.len(),
                limit: limits.max_input_bytes,
            }),
            ..Produced::default()
        };
    }
    match format {
        Format::Pdf
        | Format::Docx
        | Format::Xlsx
        | Format::Pptx
        | Format::Odt
        | Format::Ods
        | Format::Odp => isolate::run(Job::extract(format, bytes, limits), limits, max_output),
        Format::Text | Format::Message => {
            let mut sink = Sink::new(max_output);
            sink.push_str(&decode_text(bytes, charset));
            Produced::from_sink(sink, None)
        }
        Format::Html => isolate::in_process(format, max_output, |sink| {
            html::html_to_text(decode_text(bytes, charset).as_bytes(), sink)
                .map_err(|e| ExtractError::malformed(Format::Html, e))
        }),
        Format::Calendar | Format::VCard => isolate::in_process(format, max_output, |sink| {
            calendar::extract(&decode_text(bytes, charset), format == Format::VCard, sink);
            Ok(())
        }),
        Format::Rtf => isolate::in_process(format, max_output, |sink| rtf::extract(bytes, sink)),
        Format::Binary => Produced::default(),
    }
}

/// Extracts already decoded text of a given format (text parts the MIME parser decoded).
pub(crate) fn extract_text_as(
    format: Format,
    text: &str,
    limits: &Limits,
    max_output: usize,
) -> Produced {
    match format {
        Format::Html => isolate::in_process(format, max_output, |sink| {
            html::html_to_text(text.as_bytes(), sink)
                .map_err(|e| ExtractError::malformed(Format::Html, e))
        }),
        Format::Calendar | Format::VCard => isolate::in_process(format, max_output, |sink| {
            calendar::extract(text, format == Format::VCard, sink);
            Ok(())
        }),
        Format::Rtf => isolate::in_process(format, max_output, |sink| {
            rtf::extract(text.as_bytes(), sink)
        }),
        Format::Text | Format::Binary | Format::Message => {
            let mut sink = Sink::new(max_output);
            sink.push_str(text);
            Produced::from_sink(sink, None)
        }
        // a binary format the MIME parser took for text: extract from its bytes
        _ => extract_as(format, None, text.as_bytes(), limits, max_output),
    }
}
