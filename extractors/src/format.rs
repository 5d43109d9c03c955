//! Deciding what an attachment is: magic bytes first, then the declared type, then the name.

use crate::error::Format;

impl Format {
    /// The format of an attachment from its declared MIME type (`type/subtype`, parameters
    /// allowed), its file name and its first bytes.
    ///
    /// Magic bytes win over the declared type (mailers often send `application/octet-stream`, and
    /// sometimes a wrong type); the declared type wins over the file name's extension.
    ///
    /// ```
    /// use mailfts_extractors::Format;
    /// assert_eq!(Format::detect("application/octet-stream", Some("x.bin"), b"%PDF-1.4\n"), Format::Pdf);
    /// assert_eq!(Format::detect("text/html; charset=utf-8", None, b"<p>hi"), Format::Html);
    /// assert_eq!(Format::detect("application/octet-stream", Some("notes.TXT"), b"hello"), Format::Text);
    /// ```
    pub fn detect(content_type: &str, file_name: Option<&str>, bytes: &[u8]) -> Format {
        if let Some(f) = sniff(bytes, content_type, file_name) {
            return f;
        }
        let ct = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if let Some(f) = by_type(&ct) {
            return f;
        }
        if let Some(f) = file_name.and_then(by_extension) {
            return f;
        }
        if ct.starts_with("text/") {
            return Format::Text;
        }
        Format::Binary
    }
}

fn sniff(bytes: &[u8], content_type: &str, file_name: Option<&str>) -> Option<Format> {
    let head = &bytes[..bytes.len().min(1024)];
    // PDF readers accept the header anywhere in the first KiB; text that merely mentions it does
    // not count
    let declared_text = content_type
        .trim_start()
        .get(..5)
        .is_some_and(|t| t.eq_ignore_ascii_case("text/"));
    if bytes.starts_with(b"%PDF-")
        || !declared_text && memchr::memmem::find(head, b"%PDF-").is_some()
    {
        return Some(Format::Pdf);
    }
    if bytes.starts_with(b"{\\rtf") {
        return Some(Format::Rtf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(zip_kind(bytes, content_type, file_name));
    }
    let trimmed = trim_start(head);
    if starts_with_ci(trimmed, b"BEGIN:VCALENDAR") {
        return Some(Format::Calendar);
    }
    if starts_with_ci(trimmed, b"BEGIN:VCARD") {
        return Some(Format::VCard);
    }
    None
}

/// Which office format a zip archive is: the declared type or extension when it names one, else
/// the ODF `mimetype` entry (always first, stored) or the OOXML part names near the start.
fn zip_kind(bytes: &[u8], content_type: &str, file_name: Option<&str>) -> Format {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if let Some(f) = by_type(&ct).filter(|f| f.is_isolated()) {
        return f;
    }
    if let Some(f) = file_name.and_then(by_extension).filter(|f| f.is_isolated()) {
        return f;
    }
    if bytes.get(30..38) == Some(b"mimetype") {
        let media = &bytes[38..bytes.len().min(38 + 80)];
        for (name, f) in [
            (&b"application/vnd.oasis.opendocument.text"[..], Format::Odt),
            (
                b"application/vnd.oasis.opendocument.spreadsheet",
                Format::Ods,
            ),
            (
                b"application/vnd.oasis.opendocument.presentation",
                Format::Odp,
            ),
        ] {
            if media.starts_with(name) {
                return f;
            }
        }
    }
    // local headers (and the central directory at the end) name the parts
    let head = &bytes[..bytes.len().min(64 << 10)];
    let tail = &bytes[bytes.len().saturating_sub(64 << 10)..];
    for (needle, f) in [
        (&b"word/document.xml"[..], Format::Docx),
        (b"xl/workbook.xml", Format::Xlsx),
        (b"ppt/presentation.xml", Format::Pptx),
    ] {
        if memchr::memmem::find(head, needle).is_some()
            || memchr::memmem::find(tail, needle).is_some()
        {
            return f;
        }
    }
    Format::Binary
}

fn by_type(ct: &str) -> Option<Format> {
    Some(match ct {
        "text/html" | "application/xhtml+xml" => Format::Html,
        "application/pdf" | "application/x-pdf" => Format::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Format::Docx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Format::Xlsx,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => Format::Pptx,
        "application/vnd.oasis.opendocument.text" => Format::Odt,
        "application/vnd.oasis.opendocument.spreadsheet" => Format::Ods,
        "application/vnd.oasis.opendocument.presentation" => Format::Odp,
        "text/calendar" | "application/ics" => Format::Calendar,
        "text/vcard" | "text/x-vcard" | "text/directory" => Format::VCard,
        "text/rtf" | "application/rtf" => Format::Rtf,
        "message/rfc822" | "message/global" => Format::Message,
        // signatures and keys are text, but not text anyone searches for
        "application/pgp-signature"
        | "application/pgp-keys"
        | "application/pgp-encrypted"
        | "application/pkcs7-signature"
        | "application/x-pkcs7-signature" => Format::Binary,
        "application/x-patch"
        | "application/x-diff"
        | "application/json"
        | "application/xml"
        | "application/x-sh"
        | "application/x-shellscript" => Format::Text,
        _ => return None,
    })
}

fn by_extension(name: &str) -> Option<Format> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "html" | "htm" | "xhtml" => Format::Html,
        "pdf" => Format::Pdf,
        "docx" | "docm" => Format::Docx,
        "xlsx" | "xlsm" => Format::Xlsx,
        "pptx" | "pptm" => Format::Pptx,
        "odt" => Format::Odt,
        "ods" => Format::Ods,
        "odp" => Format::Odp,
        "ics" | "ical" => Format::Calendar,
        "vcf" | "vcard" => Format::VCard,
        "rtf" => Format::Rtf,
        "eml" => Format::Message,
        "txt" | "text" | "log" | "patch" | "diff" | "csv" | "tsv" | "md" | "rst" | "c" | "h"
        | "rs" | "py" | "sh" | "json" | "xml" | "yaml" | "yml" | "ini" | "conf" | "cfg" => {
            Format::Text
        }
        _ => return None,
    })
}

fn trim_start(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix)
}
