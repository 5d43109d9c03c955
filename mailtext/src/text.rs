//! Case folding and tokenizing: the one definition shared by the index and the exact evaluator.
//!
//! * [`fold`] applies full Unicode case folding (`Straße` → `strasse`, `ΣΑΣ` → `σασ`), with an ASCII
//!   fast path. IMAP SEARCH is a case-insensitive substring match; mailfts defines it as
//!   `fold(needle)` being a substring of `fold(field)`.
//! * [`tokenize`] splits folded text into *word tokens*: maximal runs of letters, digits and combining
//!   marks, so `usb_gadget` gives `usb`, `gadget` and `first.user@example.org` gives `first`, `user`,
//!   `example`, `org`. This is deliberately finer than UAX #29 word boundaries: IMAP matches substrings,
//!   and every substring made only of word characters then lies inside a single token, which the
//!   index can find by a prefix (or, in exact mode, infix) lookup on the term dictionary.
//! * CJK ideographs, kana and hangul have no spaces between words: such runs are indexed as
//!   overlapping bigrams plus the run's last character as a unigram, so any one character is the
//!   start of some token and any CJK substring is a phrase of bigrams.

/// Longest token in bytes; longer runs are cut into pieces of this size (queries touching such a
/// run are verified).
pub const MAX_TOKEN_BYTES: usize = 240;

/// Full Unicode case folding of `s` (ASCII fast path).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// Appends the case folding of `s` to `out`.
pub fn fold_into(s: &str, out: &mut String) {
    out.reserve(s.len());
    let bytes = s.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        // ASCII run (the bulk of mail): copied, then lower-cased in place
        let i = start + ascii_prefix_len(&bytes[start..]);
        if i > start {
            let at = out.len();
            out.push_str(&s[start..i]);
            out[at..].make_ascii_lowercase();
        }
        // non-ASCII run
        let j = i + bytes[i..].iter().take_while(|b| !b.is_ascii()).count();
        if j > i {
            out.extend(caseless::Caseless::default_case_fold(s[i..j].chars()));
        }
        start = j;
    }
}

/// Length of the longest all-ASCII prefix of `bytes`, eight bytes at a time.
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    let mut n = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
        if word & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        n += 8;
    }
    n + bytes[n..].iter().take_while(|b| b.is_ascii()).count()
}

/// What kind of character: part of a word, part of a CJK run, or a separator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CharClass {
    /// Letter, digit or combining mark outside CJK.
    Word,
    /// Han, Hiragana, Katakana, Hangul and related (indexed as bigrams).
    Cjk,
    /// Anything else (space, punctuation, symbols).
    Separator,
}

/// Classifies one character.
#[inline]
pub fn char_class(c: char) -> CharClass {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            CharClass::Word
        } else {
            CharClass::Separator
        };
    }
    if is_cjk(c) {
        CharClass::Cjk
    } else if c.is_alphanumeric() || is_combining_mark(c) {
        CharClass::Word
    } else {
        CharClass::Separator
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3005..=0x3007 | 0x3021..=0x3029 | 0x3031..=0x3035
        | 0x3038..=0x303C | 0x3040..=0x30FF | 0x3131..=0x318F | 0x31A0..=0x31BF | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F | 0x20000..=0x3FFFF)
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F)
}

/// One token of folded text: its text, its position (token index) and its byte range in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tok<'a> {
    /// The token text (a slice of the folded input).
    pub text: &'a str,
    /// Position: index of the token in the token stream.
    pub position: usize,
    /// Byte offset of the token's start in the input.
    pub from: usize,
    /// Byte offset just past the token's end in the input.
    pub to: usize,
}

/// The tokenizer's state over one text, kept as offsets so that it can live beside the text it
/// reads (the tantivy token stream owns its folded buffer).
#[derive(Clone, Debug, Default)]
pub struct TokenCursor {
    at: usize,
    position: usize,
    /// Start of the previous character of the CJK run being read, if inside one.
    cjk_prev: Option<usize>,
}

impl TokenCursor {
    /// The next token of `folded` as `(from, to, position)`; `folded` must be the same text at every call.
    pub fn next(&mut self, folded: &str) -> Option<(usize, usize, usize)> {
        let len = folded.len();
        loop {
            if let Some(prev) = self.cjk_prev {
                let prev_len = char_len_at(folded, prev);
                let after = prev + prev_len;
                let position = self.position;
                self.position += 1;
                if let Some(c2) = folded[after..].chars().next() {
                    if char_class(c2) == CharClass::Cjk {
                        self.cjk_prev = Some(after);
                        return Some((prev, after + c2.len_utf8(), position));
                    }
                }
                self.cjk_prev = None;
                self.at = after;
                return Some((prev, after, position));
            }
            let c = folded[self.at..].chars().next()?;
            let start = self.at;
            match char_class(c) {
                CharClass::Separator => self.at += c.len_utf8(),
                CharClass::Cjk => self.cjk_prev = Some(start),
                CharClass::Word => {
                    let mut end = start + c.len_utf8();
                    for c2 in folded[end..].chars() {
                        if char_class(c2) != CharClass::Word
                            || end + c2.len_utf8() - start > MAX_TOKEN_BYTES
                        {
                            break;
                        }
                        end += c2.len_utf8();
                    }
                    debug_assert!(end <= len);
                    self.at = end;
                    let position = self.position;
                    self.position += 1;
                    return Some((start, end, position));
                }
            }
        }
    }
}

fn char_len_at(s: &str, i: usize) -> usize {
    s[i..].chars().next().map_or(1, char::len_utf8)
}

/// Calls `emit` for every token of `folded` (already case-folded text), in order.
pub fn tokenize<'a>(folded: &'a str, mut emit: impl FnMut(Tok<'a>)) {
    let mut cursor = TokenCursor::default();
    while let Some((from, to, position)) = cursor.next(folded) {
        emit(Tok {
            text: &folded[from..to],
            position,
            from,
            to,
        });
    }
}

/// Shortest word run (in characters) that counts as opaque whatever it holds.
pub const OPAQUE_MIN_LONG: usize = 24;

/// Shortest run (in characters) of letters and digits mixed, or of digits alone, that counts as opaque.
pub const OPAQUE_MIN_MIXED: usize = 10;

/// True when a word run (folded) is *opaque*: an identifier rather than a word. Hashes, base64
/// runs (DKIM and ARC signatures, Exchange blobs), long numbers and message-id parts are each a
/// term of their own, almost never repeated: kept in the word dictionary they would make it most
/// of the index (on linux-usb: 0.88 M of 1.2 M distinct tokens). Opaque runs are indexed instead
/// by their byte trigrams per message (the indexer's `grams` module) and every message they point
/// to is verified, so answers stay exact. A function of the run's text only, so the query side
/// classifies a string exactly as the index did.
///
/// Opaque: at least [`OPAQUE_MIN_LONG`] characters; or at least [`OPAQUE_MIN_MIXED`] characters
/// with at least one ASCII digit (`20190401123456`, `5f3e2a1b9c`, `b7k2x9q0mz`).
pub fn is_opaque(run: &str) -> bool {
    if run.len() < OPAQUE_MIN_MIXED {
        return false;
    }
    let chars = run.chars().count();
    chars >= OPAQUE_MIN_LONG
        || (chars >= OPAQUE_MIN_MIXED && run.bytes().any(|b| b.is_ascii_digit()))
}

/// One unit of folded text as the index sees it: a whole word run (never cut) or a CJK token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run<'a> {
    /// The text of the run (a slice of the folded input).
    pub text: &'a str,
    /// A CJK bigram or last-character unigram (not a word run).
    pub cjk: bool,
    /// Byte offset of the run's start in the input.
    pub from: usize,
    /// Byte offset just past the run's end in the input.
    pub to: usize,
}

/// Calls `emit` for every run of `folded`: maximal word runs, joined again where [`tokenize`] cut
/// them at [`MAX_TOKEN_BYTES`], and CJK tokens as they are.
pub fn runs<'a>(folded: &'a str, mut emit: impl FnMut(Run<'a>)) {
    // A word run is a maximal span of word characters; this walks the bytes (ASCII, most of
    // mail, without decoding: a span of ASCII letters and digits, or of ASCII separators, in one
    // tight loop) rather than the tokens of [`tokenize`], which would cut long runs only for this
    // to join them again. `tests::runs_equal_joined_tokens` holds it to the token-based
    // definition.
    let bytes = folded.as_bytes();
    let n = bytes.len();
    // where the open word run starts (`None`: between runs)
    let mut open: Option<usize> = None;
    // the open word run, ended at `to`
    let close = |open: &mut Option<usize>, to: usize| {
        open.take().map(|from| Run {
            text: &folded[from..to],
            cjk: false,
            from,
            to,
        })
    };
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            open.get_or_insert(i);
            i += 1;
            while i < n && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        if b.is_ascii() {
            if let Some(r) = close(&mut open, i) {
                emit(r);
            }
            i += 1;
            while i < n && bytes[i].is_ascii() && !bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        let c = folded[i..].chars().next().expect("a char boundary");
        let after = i + c.len_utf8();
        match char_class(c) {
            CharClass::Word => {
                open.get_or_insert(i);
            }
            CharClass::Separator => {
                if let Some(r) = close(&mut open, i) {
                    emit(r);
                }
            }
            CharClass::Cjk => {
                if let Some(r) = close(&mut open, i) {
                    emit(r);
                }
                // a bigram with the next character when it is CJK too, else a unigram
                let to = folded[after..]
                    .chars()
                    .next()
                    .filter(|&c2| char_class(c2) == CharClass::Cjk)
                    .map_or(after, |c2| after + c2.len_utf8());
                emit(Run {
                    text: &folded[i..to],
                    cjk: true,
                    from: i,
                    to,
                });
            }
        }
        i = after;
    }
    if let Some(r) = close(&mut open, n) {
        emit(r);
    }
}

/// Convenience: folds and tokenizes `text`, returning owned token strings.
pub fn tokens(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::new();
    tokenize(&folded, |t| out.push(t.text.to_string()));
    out
}

/// An address field's value without comments and without the white space around `@` and `.`
/// (RFC 5322 CFWS inside an address), other white space runs made one space:
/// `<user (comment)@ (comment) example.org>` becomes `<user@example.org>`, while the common
/// `Name <user@example.org>` stays as it is (so the index keeps no second copy of it). Quoted
/// strings are kept as they are.
pub fn without_cfws(value: &str) -> String {
    // Comments become a space; quoted strings are copied as they are.
    let mut spaced = String::with_capacity(value.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                spaced.push(c);
            }
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => {
                escaped = true;
                if depth == 0 {
                    spaced.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                spaced.push(c);
            }
            '(' if !quoted => {
                depth += 1;
                spaced.push(' ');
            }
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            c => spaced.push(c),
        }
    }
    // White space outside quotes: runs become one space, none next to `@` and `.`.
    let tight = |c: char| matches!(c, '@' | '.');
    let mut out = String::with_capacity(spaced.len());
    let mut pending = false;
    let mut quoted = false;
    for c in spaced.chars() {
        if !quoted && c.is_whitespace() {
            pending = true;
            continue;
        }
        if pending && !tight(c) && out.chars().last().is_some_and(|l| !tight(l)) {
            out.push(' ');
        }
        pending = false;
        if c == '"' {
            quoted = !quoted;
        }
        out.push(c);
    }
    out
}

/// The first character of an address column's record that holds a value without CFWS
/// ([`without_cfws`]) rather than the value as written: FROM, TO, CC and BCC match both, HEADER
/// on those fields only the value as written. (A control character no header value holds: the
/// indexer drops it from values; a searched string holding it is verified instead.)
pub const ADDRESS_VARIANT_MARK: char = '\u{1}';

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_case_folding() {
        assert_eq!(fold("STRASSE"), fold("straße"));
        assert_eq!(fold("ΣΊΣΥΦΟΣ"), fold("σίσυφος"));
        assert_eq!(fold("ПРИВЕТ Мир"), "привет мир");
        assert_eq!(fold("Hello, World"), "hello, world");
    }

    proptest::proptest! {
        /// The ASCII fast path (eight bytes at a time, in place) folds exactly as full Unicode
        /// case folding of the whole string does, wherever the ASCII runs start and end.
        #[test]
        fn fast_path_equals_plain_case_folding(s in "[a-zA-Z0-9 .\\-ßΣσÉéКк东京\u{212A}]{0,40}") {
            let plain: String = caseless::Caseless::default_case_fold(s.chars()).collect();
            proptest::prop_assert_eq!(fold(&s), plain);
        }
    }

    #[test]
    fn words_split_at_punctuation() {
        assert_eq!(
            tokens("usb_gadget: first.user@Example.org"),
            ["usb", "gadget", "first", "user", "example", "org"]
        );
        assert_eq!(tokens("café naïve"), ["café", "naïve"]);
    }

    #[test]
    fn cjk_bigrams_and_last_unigram() {
        assert_eq!(tokens("東京都 tokyo"), ["東京", "京都", "都", "tokyo"]);
        assert_eq!(tokens("日"), ["日"]);
        assert_eq!(tokens("abc日本"), ["abc", "日本", "本"]);
    }

    #[test]
    fn long_runs_are_cut() {
        let long = "a".repeat(600);
        let t = tokens(&long);
        assert_eq!(t.len(), 3);
        assert!(t.iter().all(|x| x.len() <= MAX_TOKEN_BYTES));
    }

    #[test]
    fn opaque_runs() {
        assert!(!is_opaque("gadget"));
        assert!(!is_opaque("usb3"));
        assert!(!is_opaque("internationalization"));
        assert!(!is_opaque("достопримечательность"));
        assert!(is_opaque("20190401123456"));
        assert!(is_opaque("5f3e2a1b9c"));
        assert!(is_opaque(&"q".repeat(OPAQUE_MIN_LONG)));
    }

    #[test]
    fn runs_join_cut_tokens() {
        let long = "a".repeat(600);
        let text = format!("x {long} 東京 y");
        let mut got = Vec::new();
        runs(&text, |r| got.push((r.text.len(), r.cjk)));
        assert_eq!(
            got,
            [(1, false), (600, false), (6, true), (3, true), (1, false)]
        );
    }

    /// The definition [`runs`] had first: the tokens of [`tokenize`], those cut at
    /// [`MAX_TOKEN_BYTES`] joined again.
    fn runs_of_tokens(folded: &str) -> Vec<Run<'_>> {
        let mut out = Vec::new();
        let mut open: Option<(usize, usize)> = None;
        tokenize(folded, |t| {
            let cjk = char_class(t.text.chars().next().unwrap_or(' ')) == CharClass::Cjk;
            if let Some((from, to)) = open {
                if !cjk && t.from == to {
                    open = Some((from, t.to));
                    return;
                }
                out.push(Run {
                    text: &folded[from..to],
                    cjk: false,
                    from,
                    to,
                });
                open = None;
            }
            if cjk {
                out.push(Run {
                    text: t.text,
                    cjk: true,
                    from: t.from,
                    to: t.to,
                });
            } else {
                open = Some((t.from, t.to));
            }
        });
        if let Some((from, to)) = open {
            out.push(Run {
                text: &folded[from..to],
                cjk: false,
                from,
                to,
            });
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Runs are the tokens joined where they were cut: word runs of every script, combining
        /// marks, CJK bigrams and unigrams, symbols and emoji, runs longer than a token.
        #[test]
        fn runs_equal_joined_tokens(
            parts in proptest::collection::vec(
                "[a-z0-9 .\\-_@=/+:'\"\n\t]{0,12}|[éßσкא٣\u{0301}\u{0483}\u{05B0}]{0,4}|[東京都日本ひらカナ한국\u{3005}\u{FF66}\u{20000}]{0,4}|[\u{1F600}€©·\u{00A0}\u{2028}]{0,3}|a{200,300}|[a-zé]{100,140}",
                0..12,
            )
        ) {
            let text = fold(&parts.concat());
            let mut got = Vec::new();
            runs(&text, |r| got.push(r));
            proptest::prop_assert_eq!(got, runs_of_tokens(&text));
        }
    }

    #[test]
    fn positions_are_consecutive() {
        let f = fold("a b 東京");
        let mut pos = Vec::new();
        tokenize(&f, |t| pos.push(t.position));
        assert_eq!(pos, [0, 1, 2, 3]);
    }
}
