//! BINARY (RFC 3516): `FETCH BINARY[part]`, `BINARY.PEEK[part]` and `BINARY.SIZE[part]` answer a
//! part with its Content-Transfer-Encoding undone.
//!
//! As Dovecot 2.3 does: a leaf part in base64 or quoted-printable is decoded (with the decoders of
//! `mail-parser`); 7bit, 8bit and binary parts are sent as they are; any other encoding is
//! `NO [UNKNOWN-CTE]`, and broken base64 or quoted-printable `NO [PARSE]`. A message (the whole
//! one, `BINARY[]`, or a message/rfc822 part) and a multipart are converted part by part: each
//! decoded part's `Content-Transfer-Encoding` field is dropped and `Content-Transfer-Encoding:
//! binary` added at the end of its header. A part that does not exist is empty. The content is sent
//! as a literal8 (`~{n}`) when anything in it was decoded or it holds a NUL byte, else as a literal.
//!
//! One difference from Dovecot is kept on purpose: Dovecot computes `BINARY.SIZE` over the whole
//! message and so answers `NO [UNKNOWN-CTE]` for every part of a message with one undecodable part;
//! here each part's size is its own.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;

use crate::mime::{self, Part};
use crate::wire;

/// Why a part cannot be sent decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryError {
    /// The part's Content-Transfer-Encoding is not one the server knows.
    UnknownCte,
    /// The base64 or quoted-printable data is broken.
    Invalid,
}

impl BinaryError {
    /// The text of the tagged NO (with its response code), as Dovecot 2.3 words it.
    pub fn response(self) -> &'static str {
        match self {
            BinaryError::UnknownCte => "[UNKNOWN-CTE] Unknown Content-Transfer-Encoding",
            BinaryError::Invalid => "[PARSE] Invalid data in MIME part",
        }
    }
}

/// A section's content with its transfer encoding undone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// The bytes.
    pub data: Vec<u8>,
    /// Something was decoded or the bytes hold a NUL: send as a literal8.
    pub binary: bool,
}

/// The decoded content of the section `path` (empty: the whole message) of the message `msg`
/// parsed as `root`. A part that does not exist gives empty content.
pub fn section(msg: &[u8], root: &Part, path: &[u32]) -> Result<Decoded, BinaryError> {
    let mut out = Decoded::default();
    if path.is_empty() {
        entity(msg, root, &mut out)?;
    } else if let Some(part) = mime::locate(root, path) {
        body(msg, part, &mut out)?;
    }
    if !out.binary && out.data.contains(&0) {
        out.binary = true;
    }
    Ok(out)
}

/// What a FETCH asks of a section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// `BINARY[path]`, with `<start.length>` when given.
    Content(Option<(u32, u32)>),
    /// `BINARY.SIZE[path]`.
    Size,
}

/// Writes `BINARY[path]<start> ` and the (partial) content, or `BINARY.SIZE[path] n`.
pub fn fetch_item(
    item: &mut Vec<u8>,
    path: &[u32],
    want: Want,
    msg: &[u8],
    root: &Part,
) -> Result<(), BinaryError> {
    let decoded = section(msg, root, path)?;
    let name = path
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".");
    match want {
        Want::Size => {
            item.extend_from_slice(format!("BINARY.SIZE[{name}] {}", decoded.data.len()).as_bytes())
        }
        Want::Content(range) => {
            item.extend_from_slice(format!("BINARY[{name}]").as_bytes());
            let data = match range {
                Some((start, len)) => {
                    item.extend_from_slice(format!("<{start}>").as_bytes());
                    let s = (start as usize).min(decoded.data.len());
                    let e = s.saturating_add(len as usize).min(decoded.data.len());
                    &decoded.data[s..e]
                }
                None => &decoded.data[..],
            };
            item.push(b' ');
            if decoded.binary {
                item.push(b'~');
            }
            wire::literal(item, data);
        }
    }
    Ok(())
}

/// Appends a literal for BODY[]/RFC822 content: a NUL byte (allowed only in a literal8) is sent as
/// 0x80, as Dovecot 2.3 does.
pub fn text_literal(out: &mut Vec<u8>, data: &[u8]) {
    if data.contains(&0) {
        let cleaned: Vec<u8> = data
            .iter()
            .map(|&b| if b == 0 { 0x80 } else { b })
            .collect();
        wire::literal(out, &cleaned);
    } else {
        wire::literal(out, data);
    }
}

/// A whole entity: its header (rewritten when its own body is decoded) and its body.
fn entity(msg: &[u8], part: &Part, out: &mut Decoded) -> Result<(), BinaryError> {
    let header = &msg[part.header.clone()];
    let mut body_out = Decoded::default();
    let decoded_here = body(msg, part, &mut body_out)?;
    if decoded_here {
        for f in mime::fields(header) {
            if !f.name.eq_ignore_ascii_case(b"content-transfer-encoding") {
                out.data.extend_from_slice(f.raw);
            }
        }
        out.data
            .extend_from_slice(b"Content-Transfer-Encoding: binary\r\n\r\n");
    } else {
        out.data.extend_from_slice(header);
    }
    out.data.extend_from_slice(&body_out.data);
    out.binary |= body_out.binary;
    Ok(())
}

/// A part's body, decoded: a message/rfc822 part's message and a multipart's parts converted one
/// by one. True when the part's own transfer encoding was undone (its header needs rewriting).
fn body(msg: &[u8], part: &Part, out: &mut Decoded) -> Result<bool, BinaryError> {
    if let Some(inner) = &part.message {
        entity(msg, inner, out)?;
        return Ok(false);
    }
    if !part.children.is_empty() {
        let mut cursor = part.body.start;
        for child in &part.children {
            let start = child.header.start.max(cursor);
            out.data.extend_from_slice(&msg[cursor..start]);
            entity(msg, child, out)?;
            cursor = child.body.end.max(start);
        }
        if cursor < part.body.end {
            out.data.extend_from_slice(&msg[cursor..part.body.end]);
        }
        return Ok(false);
    }
    let raw = &msg[part.body.clone()];
    let fields = mime::fields(&msg[part.header.clone()]);
    let cte = mime::field(&fields, "content-transfer-encoding")
        .map(|v| String::from_utf8_lossy(v).trim().to_ascii_lowercase())
        .unwrap_or_default();
    let decoded = match cte.as_str() {
        "" | "7bit" | "8bit" | "binary" => {
            out.data.extend_from_slice(raw);
            return Ok(false);
        }
        "base64" => base64_decode(raw),
        "quoted-printable" => quoted_printable_decode(raw),
        _ => return Err(BinaryError::UnknownCte),
    };
    let decoded = decoded.ok_or(BinaryError::Invalid)?;
    out.data.extend_from_slice(&decoded);
    out.binary = true;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(msg: &str, path: &[u32]) -> Result<Decoded, BinaryError> {
        let m = msg.as_bytes();
        section(m, &mime::parse(m, 0..m.len()), path)
    }

    #[test]
    fn decodes_base64_and_rewrites_the_header() {
        let m = "Content-Transfer-Encoding: base64\r\nSubject: s\r\n\r\naGk=\r\n";
        let d = sec(m, &[1]).unwrap();
        assert_eq!(d.data, b"hi");
        assert!(d.binary);
        let d = sec(m, &[]).unwrap();
        assert_eq!(
            d.data,
            b"Subject: s\r\nContent-Transfer-Encoding: binary\r\n\r\nhi"
        );
    }

    #[test]
    fn unknown_and_broken_encodings_fail() {
        let m = "Content-Transfer-Encoding: x-uue\r\n\r\nbegin\r\n";
        assert_eq!(sec(m, &[1]), Err(BinaryError::UnknownCte));
        assert_eq!(sec(m, &[]), Err(BinaryError::UnknownCte));
        let m = "Content-Transfer-Encoding: base64\r\n\r\n!!!\r\n";
        assert_eq!(sec(m, &[1]), Err(BinaryError::Invalid));
    }

    #[test]
    fn plain_parts_are_not_binary_unless_they_hold_a_nul() {
        let d = sec("Subject: s\r\n\r\nbody\r\n", &[1]).unwrap();
        assert_eq!((d.data.as_slice(), d.binary), (&b"body\r\n"[..], false));
        let d = sec("Subject: s\r\n\r\nb\0dy\r\n", &[1]).unwrap();
        assert!(d.binary);
        assert_eq!(
            sec("Subject: s\r\n\r\nx\r\n", &[7]).unwrap(),
            Decoded::default()
        );
    }

    #[test]
    fn multipart_parts_are_converted_one_by_one() {
        let m = "Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\na=3Db\r\n--b\r\n\
                 Content-Type: text/plain\r\n\r\nplain\r\n--b--\r\nepi\r\n";
        let d = sec(m, &[]).unwrap();
        let want = "Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n\
                    Content-Transfer-Encoding: binary\r\n\r\na=b\r\n--b\r\n\
                    Content-Type: text/plain\r\n\r\nplain\r\n--b--\r\nepi\r\n";
        assert_eq!(String::from_utf8_lossy(&d.data), want);
        assert_eq!(sec(m, &[2]).unwrap().data, b"plain");
        assert_eq!(sec(m, &[1]).unwrap().data, b"a=b");
    }
}
