//! Transfer encodings: base64, quoted-printable, RFC 2047 and RFC 2231.

use crate::charset::Charset;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends the base64 encoding of `data` without line breaks.
pub(crate) fn base64_into(data: &[u8], out: &mut Vec<u8>) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(B64[(n >> 18) as usize & 63]);
        out.push(B64[(n >> 12) as usize & 63]);
        out.push(if chunk.len() > 1 {
            B64[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if chunk.len() > 2 {
            B64[n as usize & 63]
        } else {
            b'='
        });
    }
}

/// Base64 of `data` as a string without line breaks.
pub(crate) fn base64_string(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(data.len() * 4 / 3 + 4);
    base64_into(data, &mut out);
    String::from_utf8(out).expect("base64 is ASCII")
}

/// Appends base64 of `data` in lines of 76 characters, each ending in `\n`.
pub(crate) fn base64_lines(data: &[u8], out: &mut Vec<u8>) {
    for chunk in data.chunks(57) {
        base64_into(chunk, out);
        out.push(b'\n');
    }
}

/// Appends quoted-printable of `data` (lines end in `\n`, at most 76 columns).
pub(crate) fn quoted_printable(data: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let mut col = 0;
        for (j, &b) in line.iter().enumerate() {
            let last = j + 1 == line.len();
            let literal =
                (b'!'..=b'~').contains(&b) && b != b'=' || ((b == b' ' || b == b'\t') && !last);
            let width = if literal { 1 } else { 3 };
            // Keep room for the soft break "=" at column 76.
            if col + width > 75 {
                out.extend_from_slice(b"=\n");
                col = 0;
            }
            if literal {
                out.push(b);
            } else {
                out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
            col += width;
        }
    }
    if !data.ends_with(b"\n") {
        out.push(b'\n');
    }
}

/// Style of an RFC 2047 encoded word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WordEncoding {
    /// `B` (base64).
    B,
    /// `Q` (quoted-printable-like).
    Q,
}

fn q_word(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        match b {
            b' ' => s.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'!' | b'*' | b'+' | b'-' | b'/' => {
                s.push(char::from(b))
            }
            _ => s.push_str(&format!("={b:02X}")),
        }
    }
    s
}

/// Encodes `text` as RFC 2047 encoded words of at most 75 characters.
///
/// Each word holds whole characters (and, for ISO-2022-JP, returns to
/// ASCII at its end). Returns `None` if the charset cannot represent `text`.
pub(crate) fn encoded_words(
    text: &str,
    charset: Charset,
    label: &str,
    enc: WordEncoding,
) -> Option<Vec<String>> {
    let render = |chunk: &str| -> Option<String> {
        let bytes = charset.encode(chunk)?;
        let payload = match enc {
            WordEncoding::B => base64_string(&bytes),
            WordEncoding::Q => q_word(&bytes),
        };
        let e = if enc == WordEncoding::B { 'B' } else { 'Q' };
        Some(format!("=?{label}?{e}?{payload}?="))
    };
    charset.encode(text)?;
    let mut words = Vec::new();
    let mut start = 0;
    let mut best: Option<(usize, String)> = None;
    let indices: Vec<usize> = text.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
    let mut k = 0;
    while k < indices.len() {
        let end = indices[k];
        let word = render(&text[start..end])?;
        if word.len() <= 75 || best.is_none() {
            best = Some((end, word));
            k += 1;
            continue;
        }
        let (e, w) = best.take().expect("checked above");
        words.push(w);
        start = e;
    }
    if let Some((_, w)) = best {
        words.push(w);
    }
    Some(words)
}

/// RFC 2231 `ext-value` (`UTF-8''...`) of a parameter value.
pub(crate) fn rfc2231(value: &str) -> String {
    let mut s = String::from("UTF-8''");
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Named HTML entity for a character, if a common one exists.
fn named_entity(c: char) -> Option<&'static str> {
    Some(match c {
        'é' => "&eacute;",
        'è' => "&egrave;",
        'ê' => "&ecirc;",
        'à' => "&agrave;",
        'ç' => "&ccedil;",
        'ô' => "&ocirc;",
        'û' => "&ucirc;",
        'î' => "&icirc;",
        'ë' => "&euml;",
        'ï' => "&iuml;",
        'É' => "&Eacute;",
        'ä' => "&auml;",
        'ö' => "&ouml;",
        'ü' => "&uuml;",
        'Ä' => "&Auml;",
        'Ö' => "&Ouml;",
        'Ü' => "&Uuml;",
        'ß' => "&szlig;",
        _ => return None,
    })
}

/// Escapes text for HTML; with `entities`, Latin letters become named
/// entities (`&eacute;`) and other non-ASCII numeric references.
pub(crate) fn html_escape(text: &str, entities: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' if entities => out.push_str("&#39;"),
            c if entities && !c.is_ascii() => match named_entity(c) {
                Some(e) => out.push_str(e),
                None => out.push_str(&format!("&#{};", u32::from(c))),
            },
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known_values() {
        assert_eq!(base64_string(b"Ma"), "TWE=");
        assert_eq!(base64_string(b"Man"), "TWFu");
        assert_eq!(base64_string(b"M"), "TQ==");
        let mut out = Vec::new();
        base64_lines(&[0u8; 100], &mut out);
        assert!(out.split(|&b| b == b'\n').all(|l| l.len() <= 76));
    }

    #[test]
    fn qp_lines_are_short_and_escaped() {
        let mut out = Vec::new();
        let text = "Straße ".repeat(40) + "\nend \n";
        quoted_printable(text.as_bytes(), &mut out);
        let s = String::from_utf8(out).unwrap();
        assert!(s.lines().all(|l| l.len() <= 76), "{s}");
        assert!(s.contains("=C3=9F"));
        assert!(s.contains("end=20\n"));
    }

    #[test]
    fn encoded_words_are_bounded() {
        let long = "Привет мир ".repeat(10);
        let words = encoded_words(&long, Charset::Koi8R, "KOI8-R", WordEncoding::B).unwrap();
        assert!(words.len() > 1);
        assert!(words
            .iter()
            .all(|w| w.len() <= 75 && w.starts_with("=?KOI8-R?B?")));
        let q = encoded_words(
            "Jürgen Müller",
            Charset::Latin1,
            "ISO-8859-1",
            WordEncoding::Q,
        );
        assert_eq!(
            q.unwrap(),
            vec!["=?ISO-8859-1?Q?J=FCrgen_M=FCller?=".to_string()]
        );
        assert!(encoded_words("Привет", Charset::Latin1, "x", WordEncoding::Q).is_none());
    }

    #[test]
    fn rfc2231_percent_encodes() {
        assert_eq!(rfc2231("ä b.txt"), "UTF-8''%C3%A4%20b.txt");
    }
}
