//! IMAP modified UTF-7 (RFC 3501 §5.1.3), the encoding of Maildir++ folder names on disk and of mailbox
//! names on the wire.
//!
//! Printable US-ASCII except `&` stands for itself, `&` is written `&-`, and every other run of characters
//! is UTF-16BE in base64 (with `,` instead of `/`, no padding) between `&` and `-`.

use crate::error::{Result, StoreError};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes a UTF-8 mailbox name as modified UTF-7.
///
/// ```
/// assert_eq!(mailfts_store::mutf7::encode("Entwürfe & Co"), "Entw&APw-rfe &- Co");
/// ```
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush_base64(&mut out, &mut pending);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush_base64(&mut out, &mut pending);
    out
}

/// Writes the pending UTF-16 units as one `&...-` shifted sequence.
fn flush_base64(out: &mut String, units: &mut Vec<u16>) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let (mut bits, mut nbits) = (0u32, 0u32);
    for byte in units.iter().flat_map(|u| u.to_be_bytes()) {
        bits = (bits << 8) | u32::from(byte);
        nbits += 8;
        while nbits >= 6 {
            nbits -= 6;
            out.push(char::from(ALPHABET[(bits >> nbits) as usize & 63]));
        }
        bits &= (1 << nbits) - 1;
    }
    if nbits > 0 {
        out.push(char::from(ALPHABET[(bits << (6 - nbits)) as usize & 63]));
    }
    out.push('-');
    units.clear();
}

/// Decodes a modified UTF-7 name to UTF-8.
///
/// Strict: refuses 8-bit or control bytes, an unterminated `&`, bad base64, leftover bits, broken
/// surrogate pairs and printable ASCII that was needlessly encoded, each as
/// [`StoreError::InvalidMailboxName`].
///
/// ```
/// assert_eq!(mailfts_store::mutf7::decode("&ZeVnLIqe-").unwrap(), "日本語");
/// assert!(mailfts_store::mutf7::decode("caf\u{e9}").is_err());
/// ```
pub fn decode(encoded: &str) -> Result<String> {
    let bad = |reason| StoreError::invalid_name(encoded, reason);
    let bytes = encoded.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'&' {
            let end = bytes[i + 1..]
                .iter()
                .position(|&c| c == b'-')
                .map(|p| i + 1 + p)
                .ok_or_else(|| bad("modified UTF-7: '&' without closing '-'"))?;
            if end == i + 1 {
                out.push('&');
            } else {
                decode_base64(&bytes[i + 1..end], &mut out).map_err(bad)?;
            }
            i = end + 1;
        } else if (0x20..0x7f).contains(&b) {
            out.push(char::from(b));
            i += 1;
        } else {
            return Err(bad("modified UTF-7: byte outside printable US-ASCII"));
        }
    }
    Ok(out)
}

/// Decodes one shifted sequence (between `&` and `-`) and appends its characters.
fn decode_base64(b64: &[u8], out: &mut String) -> std::result::Result<(), &'static str> {
    let mut units = Vec::with_capacity(b64.len() * 6 / 16);
    let (mut bits, mut nbits) = (0u32, 0u32);
    for &c in b64 {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b',' => 63,
            _ => return Err("modified UTF-7: invalid base64 character"),
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 16 {
            nbits -= 16;
            units.push((bits >> nbits) as u16);
            bits &= (1 << nbits) - 1;
        }
    }
    if nbits >= 6 || bits != 0 {
        return Err("modified UTF-7: base64 sequence does not end on a UTF-16 unit");
    }
    for c in char::decode_utf16(units) {
        let c = c.map_err(|_| "modified UTF-7: unpaired UTF-16 surrogate")?;
        if (' '..='~').contains(&c) {
            return Err("modified UTF-7: printable ASCII must not be base64-encoded");
        }
        out.push(c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn both_ways(utf8: &str, mutf7: &str) {
        assert_eq!(encode(utf8), mutf7, "encode {utf8:?}");
        assert_eq!(decode(mutf7).unwrap(), utf8, "decode {mutf7:?}");
    }

    #[test]
    fn known_answers() {
        both_ways("", "");
        both_ways("INBOX", "INBOX");
        both_ways("ä", "&AOQ-");
        both_ways("&", "&-");
        both_ways("Tom & Jerry", "Tom &- Jerry");
        both_ways("Entwürfe", "Entw&APw-rfe");
        both_ways("Gelöschte Elemente", "Gel&APY-schte Elemente");
        both_ways("台北", "&U,BTFw-");
        both_ways("日本語", "&ZeVnLIqe-");
        both_ways("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        both_ways("😀 smile", "&2D3eAA- smile");
        both_ways("Lists.linux-usb", "Lists.linux-usb");
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "&",
            "&AOQ",
            "&AO-",
            "&AOQx-",
            "&AEE-",
            "&2D0-",
            "caf\u{e9}",
            "a\tb",
            "&A!Q-",
        ] {
            assert!(decode(bad).is_err(), "{bad:?} must be refused");
        }
    }

    proptest::proptest! {
        #[test]
        fn round_trips_any_string(s in "\\PC*|[a-z&.\u{e4}\u{53f0}\u{1F600} ]{0,12}") {
            let encoded = encode(&s);
            proptest::prop_assert!(encoded.bytes().all(|b| (0x20..0x7f).contains(&b)));
            proptest::prop_assert_eq!(decode(&encoded).unwrap(), s);
        }
    }

    #[test]
    fn round_trips_every_kind_of_character() {
        let s: String = ('\u{20}'..='\u{7e}')
            .chain(['\u{80}', 'ß', '€', '\u{ffff}', '\u{10000}', '\u{10ffff}'])
            .collect();
        assert_eq!(decode(&encode(&s)).unwrap(), s);
    }
}
