//! Body and header charsets, encoded with `encoding_rs`.

use encoding_rs::{Encoding, GBK, ISO_2022_JP, KOI8_R, SHIFT_JIS, WINDOWS_1251, WINDOWS_1252};

/// A MIME charset the generator can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charset {
    /// `us-ascii`.
    UsAscii,
    /// `utf-8`.
    Utf8,
    /// `iso-8859-1`.
    Latin1,
    /// `koi8-r`.
    Koi8R,
    /// `windows-1251`.
    Win1251,
    /// `shift_jis`.
    ShiftJis,
    /// `iso-2022-jp`.
    Iso2022Jp,
    /// `gb2312`.
    Gb2312,
}

impl Charset {
    /// The MIME label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Charset::UsAscii => "us-ascii",
            Charset::Utf8 => "utf-8",
            Charset::Latin1 => "iso-8859-1",
            Charset::Koi8R => "koi8-r",
            Charset::Win1251 => "windows-1251",
            Charset::ShiftJis => "shift_jis",
            Charset::Iso2022Jp => "iso-2022-jp",
            Charset::Gb2312 => "gb2312",
        }
    }

    /// Whether the encoded bytes are 7-bit clean.
    pub(crate) fn is_7bit(self) -> bool {
        matches!(self, Charset::UsAscii | Charset::Iso2022Jp)
    }

    fn encoding(self) -> Option<&'static Encoding> {
        match self {
            Charset::UsAscii | Charset::Utf8 => None,
            Charset::Latin1 => Some(WINDOWS_1252),
            Charset::Koi8R => Some(KOI8_R),
            Charset::Win1251 => Some(WINDOWS_1251),
            Charset::ShiftJis => Some(SHIFT_JIS),
            Charset::Iso2022Jp => Some(ISO_2022_JP),
            Charset::Gb2312 => Some(GBK),
        }
    }

    /// Encodes `text`, or `None` if some character is not representable.
    pub(crate) fn encode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            Charset::Utf8 => Some(text.as_bytes().to_vec()),
            Charset::UsAscii => text.is_ascii().then(|| text.as_bytes().to_vec()),
            other => {
                let (bytes, _, had_errors) = other.encoding()?.encode(text);
                if had_errors {
                    return None;
                }
                // encoding_rs implements ISO-8859-1 as windows-1252; the C1
                // range would be wrong under the iso-8859-1 label.
                if other == Charset::Latin1 && bytes.iter().any(|b| (0x80..0xa0).contains(b)) {
                    return None;
                }
                Some(bytes.into_owned())
            }
        }
    }

    /// Encodes `text` in `self`, falling back to UTF-8; returns the charset used.
    pub(crate) fn encode_or_utf8(self, text: &str) -> (Charset, Vec<u8>) {
        match self.encode(text) {
            Some(bytes) => (self, bytes),
            None if text.is_ascii() => (Charset::UsAscii, text.as_bytes().to_vec()),
            None => (Charset::Utf8, text.as_bytes().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Lang, ALL_LANGS};

    fn native(lang: Lang) -> &'static [Charset] {
        match lang {
            Lang::En => &[Charset::UsAscii],
            Lang::De | Lang::Fr => &[Charset::Latin1],
            Lang::Ru => &[Charset::Koi8R, Charset::Win1251],
            Lang::Zh => &[Charset::Gb2312],
            Lang::Ja => &[Charset::ShiftJis, Charset::Iso2022Jp],
        }
    }

    #[test]
    fn every_word_encodes_in_its_native_charsets() {
        for lang in ALL_LANGS {
            for cs in native(lang) {
                for w in lang.words() {
                    assert!(cs.encode(w).is_some(), "{w} not in {cs:?}");
                }
                for s in lang.data().subjects.iter().chain(lang.data().greetings) {
                    assert!(cs.encode(s).is_some(), "{s} not in {cs:?}");
                }
            }
        }
    }

    #[test]
    fn real_bytes_are_produced() {
        assert_eq!(Charset::Koi8R.encode("Привет").unwrap()[0], 0xf0);
        assert_eq!(Charset::Latin1.encode("Straße").unwrap(), b"Stra\xdfe");
        assert!(Charset::Latin1.encode("\u{20ac}").is_none());
        let jis = Charset::Iso2022Jp.encode("会議").unwrap();
        assert!(jis.starts_with(b"\x1b$B") && jis.is_ascii());
    }
}
