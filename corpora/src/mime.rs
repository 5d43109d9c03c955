//! MIME entity tree and its serialisation.

use crate::encode::{base64_lines, quoted_printable};
use crate::rng::Rng;

/// A Content-Transfer-Encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cte {
    /// `7bit`.
    SevenBit,
    /// `8bit`.
    EightBit,
    /// `quoted-printable`.
    Qp,
    /// `base64`.
    Base64,
}

impl Cte {
    fn label(self) -> &'static str {
        match self {
            Cte::SevenBit => "7bit",
            Cte::EightBit => "8bit",
            Cte::Qp => "quoted-printable",
            Cte::Base64 => "base64",
        }
    }
}

/// A leaf entity.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    /// Full `Content-Type` value (may contain folding).
    pub(crate) content_type: String,
    /// Transfer encoding; `None` omits the header (legacy mail).
    pub(crate) cte: Option<Cte>,
    /// `Content-Disposition` value.
    pub(crate) disposition: Option<String>,
    /// Unencoded content.
    pub(crate) data: Vec<u8>,
    /// Damage the base64 encoding (malformed corpus messages).
    pub(crate) corrupt_base64: bool,
}

impl Leaf {
    /// A leaf with the given type, encoding and content.
    pub(crate) fn new(content_type: String, cte: Cte, data: Vec<u8>) -> Leaf {
        Leaf {
            content_type,
            cte: Some(cte),
            disposition: None,
            data,
            corrupt_base64: false,
        }
    }

    /// The encoding actually used: identity encodings are upgraded when the
    /// data is not 7-bit or has lines longer than RFC 5322 allows. Legacy
    /// leaves (`cte: None`) are always written raw.
    fn effective_cte(&self) -> Option<Cte> {
        match self.cte {
            Some(Cte::SevenBit | Cte::EightBit) => {
                if self.data.split(|&b| b == b'\n').any(|l| l.len() > 900) {
                    Some(Cte::Qp)
                } else if !self.data.is_ascii() {
                    Some(Cte::EightBit)
                } else {
                    self.cte
                }
            }
            other => other,
        }
    }
}

/// A MIME entity.
#[derive(Clone, Debug)]
pub(crate) enum Part {
    /// A single body.
    Leaf(Leaf),
    /// A multipart container.
    Multi {
        /// `mixed`, `alternative`, ...
        subtype: &'static str,
        /// Boundary string.
        boundary: String,
        /// Children.
        parts: Vec<Part>,
        /// Omit the closing delimiter (malformed corpus messages).
        unterminated: bool,
    },
    /// An encapsulated message (`message/rfc822`).
    Message {
        /// The complete inner message.
        data: Vec<u8>,
        /// `Content-Disposition` value.
        disposition: Option<String>,
    },
}

impl Part {
    /// The `Content-*` headers of this entity.
    pub(crate) fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = Vec::new();
        match self {
            Part::Leaf(leaf) => {
                h.push(("Content-Type", leaf.content_type.clone()));
                if let Some(cte) = leaf.effective_cte() {
                    h.push(("Content-Transfer-Encoding", cte.label().to_string()));
                }
                if let Some(d) = &leaf.disposition {
                    h.push(("Content-Disposition", d.clone()));
                }
            }
            Part::Multi {
                subtype, boundary, ..
            } => h.push((
                "Content-Type",
                format!("multipart/{subtype};\n boundary=\"{boundary}\""),
            )),
            Part::Message { disposition, .. } => {
                h.push(("Content-Type", "message/rfc822".to_string()));
                if let Some(d) = disposition {
                    h.push(("Content-Disposition", d.clone()));
                }
            }
        }
        h
    }

    /// Appends the body of this entity (everything after its header block).
    pub(crate) fn write_body(&self, out: &mut Vec<u8>) {
        match self {
            Part::Leaf(leaf) => match leaf.effective_cte() {
                Some(Cte::Base64) => {
                    let start = out.len();
                    base64_lines(&leaf.data, out);
                    if leaf.corrupt_base64 {
                        corrupt(&mut out[start..]);
                    }
                }
                Some(Cte::Qp) => quoted_printable(&leaf.data, out),
                _ => {
                    out.extend_from_slice(&leaf.data);
                    if !leaf.data.ends_with(b"\n") && !leaf.data.is_empty() {
                        out.push(b'\n');
                    }
                }
            },
            Part::Multi {
                subtype,
                boundary,
                parts,
                unterminated,
            } => {
                if *subtype == "mixed" {
                    out.extend_from_slice(b"This is a multi-part message in MIME format.\n");
                }
                for part in parts {
                    out.extend_from_slice(format!("\n--{boundary}\n").as_bytes());
                    part.write_entity(out);
                }
                if !unterminated {
                    out.extend_from_slice(format!("\n--{boundary}--\n").as_bytes());
                }
            }
            Part::Message { data, .. } => {
                out.extend_from_slice(data);
                if !data.ends_with(b"\n") {
                    out.push(b'\n');
                }
            }
        }
    }

    /// Appends headers, blank line and body.
    pub(crate) fn write_entity(&self, out: &mut Vec<u8>) {
        for (name, value) in self.headers() {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        self.write_body(out);
    }
}

/// Damages base64 text: illegal characters and broken padding.
fn corrupt(b64: &mut [u8]) {
    let n = b64.len();
    for (k, pos) in [n / 7, n / 3, n / 2].into_iter().enumerate() {
        if pos < n && b64[pos] != b'\n' {
            b64[pos] = [b'!', b'*', b'#'][k];
        }
    }
    if n > 3 && b64[n - 2] != b'\n' {
        b64[n - 2] = b'=';
    }
}

/// A boundary in the style of a mail client.
pub(crate) fn boundary(r: &mut Rng, style: usize) -> String {
    let hex = format!("{:016x}{:08x}", r.next_u64(), r.next_u64() as u32);
    match style % 5 {
        0 => format!("------------{}", &hex[..24]),
        1 => format!("000000000000{}", &hex[..12]),
        2 => format!("_000_{}EXAMPLEPRD04PROD_", &hex[..20].to_uppercase()),
        3 => format!(
            "Apple-Mail={}-{}-{}",
            &hex[..8].to_uppercase(),
            &hex[8..12].to_uppercase(),
            &hex[12..24].to_uppercase()
        ),
        _ => format!("=-{}", &hex[..20]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_serialisation() {
        let leaf = Part::Leaf(Leaf::new(
            "text/plain; charset=us-ascii".into(),
            Cte::SevenBit,
            b"hi\n".to_vec(),
        ));
        let m = Part::Multi {
            subtype: "alternative",
            boundary: "XX".into(),
            parts: vec![leaf],
            unterminated: false,
        };
        let mut out = Vec::new();
        m.write_body(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\n--XX\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nhi\n\n--XX--\n"
        );
    }

    #[test]
    fn identity_encodings_are_upgraded() {
        let long = Leaf::new("text/html".into(), Cte::SevenBit, vec![b'a'; 2000]);
        assert_eq!(long.effective_cte(), Some(Cte::Qp));
        let eight = Leaf::new("text/plain".into(), Cte::SevenBit, "é".as_bytes().to_vec());
        assert_eq!(eight.effective_cte(), Some(Cte::EightBit));
    }
}
