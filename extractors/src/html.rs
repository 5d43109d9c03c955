//! HTML and XHTML to text with lol_html: the text of the document without script, style and
//! comments, character references decoded, block elements on their own lines, white space
//! collapsed, and the `alt` text of images (and `title` of images and abbreviations) kept.
//!
//! The same converter serves text/html body parts and HTML attachments. lol_html is a streaming
//! tokenizer with a memory bound, so the work is linear in the input and never builds a tree.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{Element, TextChunk, TextType};
use lol_html::{doc_text, element, HtmlRewriter, MemorySettings, Settings};

use crate::entities::ENTITIES;
use crate::sink::Sink;

/// Elements that start and end a line of text.
const BLOCKS: &str = "p, div, br, li, dt, dd, tr, h1, h2, h3, h4, h5, h6, table, ul, ol, \
     blockquote, pre, hr, section, article, header, footer, nav, aside, address, center, \
     form, fieldset, figure, figcaption, main, caption, title, option";

/// Converts HTML to text into `sink`. Returns the tokenizer's error, if any (the text read
/// until then is kept).
pub(crate) fn html_to_text(html: &[u8], sink: &mut Sink) -> Result<(), String> {
    let state = Rc::new(RefCell::new(State {
        sink: std::mem::take(sink),
        pending: String::new(),
    }));
    let result = run(html, &state);
    *sink = std::mem::take(&mut state.borrow_mut().sink);
    let end = sink.text.trim_end().len();
    sink.text.truncate(end);
    result
}

struct State {
    sink: Sink,
    /// Raw text of the current text node (character references may straddle chunks).
    pending: String,
}

impl State {
    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        push_collapsed(&mut self.sink, &decode_entities(&pending));
        self.pending = pending;
        self.pending.clear();
    }
}

fn run(html: &[u8], state: &Rc<RefCell<State>>) -> Result<(), String> {
    let on_text = |t: &mut TextChunk<'_>| {
        let mut st = state.borrow_mut();
        match t.text_type() {
            TextType::Data | TextType::RCData => {
                st.pending.push_str(t.as_str());
                if t.last_in_text_node() {
                    st.flush();
                }
            }
            TextType::PlainText | TextType::CDataSection => {
                push_collapsed(&mut st.sink, t.as_str());
            }
            TextType::ScriptData | TextType::RawText => {}
        }
        if st.sink.full() {
            return Err("text limit reached".into());
        }
        Ok(())
    };
    let on_block = |el: &mut Element<'_, '_>| {
        state.borrow_mut().sink.newline();
        if el.can_have_content() {
            let st = Rc::clone(state);
            el.on_end_tag(Box::new(move |_| {
                st.borrow_mut().sink.newline();
                Ok(())
            }))?;
        }
        Ok(())
    };
    let on_alt = |el: &mut Element<'_, '_>| {
        let mut st = state.borrow_mut();
        for attr in ["alt", "title"] {
            if attr == "title" && !matches!(el.tag_name().as_str(), "img" | "abbr" | "acronym") {
                continue;
            }
            if let Some(v) = el.get_attribute(attr) {
                st.sink.space();
                push_collapsed(&mut st.sink, &decode_entities(&v));
                st.sink.space();
            }
        }
        Ok(())
    };
    let settings = Settings::new()
        .append_element_content_handler(element!(BLOCKS, on_block))
        .append_element_content_handler(element!(
            "[alt], img[title], abbr[title], acronym[title]",
            on_alt
        ))
        .append_element_content_handler(element!("td, th", |_el| {
            state.borrow_mut().sink.space();
            Ok(())
        }))
        .append_document_content_handler(doc_text!(on_text))
        .with_memory_settings(MemorySettings::new().with_max_allowed_memory_usage(16 << 20));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    let mut result = Ok(());
    for chunk in html.chunks(64 << 10) {
        if let Err(e) = rewriter.write(chunk) {
            result = Err(e.to_string());
            break;
        }
    }
    if result.is_ok() {
        if let Err(e) = rewriter.end() {
            result = Err(e.to_string());
        }
    } else {
        drop(rewriter);
    }
    let mut st = state.borrow_mut();
    if !st.pending.is_empty() {
        st.flush();
    }
    if st.sink.full() {
        return Ok(());
    }
    result
}

/// Appends text with runs of white space (and no-break spaces) collapsed to one space.
fn push_collapsed(sink: &mut Sink, s: &str) {
    let mut start = 0;
    let mut in_space = sink.text.is_empty() || sink.text.ends_with(char::is_whitespace);
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if !in_space {
                out.push_str(&s[start..i]);
                out.push(' ');
                in_space = true;
            } else if start < i {
                out.push_str(&s[start..i]);
            }
            start = i + c.len_utf8();
        } else {
            in_space = false;
        }
    }
    out.push_str(&s[start..]);
    sink.push_str(&out);
}

/// Decodes HTML character references (`&amp;`, `&#233;`, `&#x20AC;`, legacy `&copy` without `;`).
/// Invalid references are kept as written; code points that are not characters become U+FFFD.
pub fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    let Some(first) = memchr::memchr(b'&', s.as_bytes()) else {
        return std::borrow::Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut rest = &s[first..];
    while let Some(pos) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        match decode_one(rest) {
            Some((consumed, text)) => {
                out.push_str(&text.as_str());
                rest = &rest[consumed..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// A decoded reference at the start of `s` (which starts with `&`): bytes consumed and text.
fn decode_one(s: &str) -> Option<(usize, Replacement)> {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (digits_start, radix) = match b.get(2) {
            Some(b'x' | b'X') => (3, 16),
            _ => (2, 10),
        };
        let len = b[digits_start..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || (radix == 16 && c.is_ascii_hexdigit()))
            .count();
        if len == 0 {
            return None;
        }
        let digits = &s[digits_start..digits_start + len];
        let value = u32::from_str_radix(digits, radix).unwrap_or(u32::MAX);
        let mut end = digits_start + len;
        if b.get(end) == Some(&b';') {
            end += 1;
        }
        let c = match value {
            0 => '\u{FFFD}',
            0x80..=0x9F => windows_1252_c1(value),
            _ => char::from_u32(value).unwrap_or('\u{FFFD}'),
        };
        return Some((end, Replacement::Char(c)));
    }
    let name_len = b[1..]
        .iter()
        .take(40)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 {
        return None;
    }
    if b.get(1 + name_len) == Some(&b';') {
        if let Some(text) = lookup(&s[1..name_len + 2]) {
            return Some((name_len + 2, Replacement::Str(text)));
        }
    }
    // legacy references without `;`: the longest known prefix
    (2..=name_len.min(6))
        .rev()
        .find_map(|n| lookup(&s[1..1 + n]).map(|text| (n + 1, Replacement::Str(text))))
}

enum Replacement {
    Char(char),
    Str(&'static str),
}

impl Replacement {
    fn as_str(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Replacement::Char(c) => std::borrow::Cow::Owned(c.to_string()),
            Replacement::Str(s) => std::borrow::Cow::Borrowed(s),
        }
    }
}

fn lookup(name: &str) -> Option<&'static str> {
    ENTITIES
        .binary_search_by(|(n, _)| n.as_bytes().cmp(name.as_bytes()))
        .ok()
        .map(|i| ENTITIES[i].1)
}

/// Numeric references in 0x80–0x9F mean windows-1252 characters (HTML parsing rules).
fn windows_1252_c1(v: u32) -> char {
    let byte = [v as u8];
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
    text.chars().next().unwrap_or('\u{FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> String {
        let mut sink = Sink::new(1 << 20);
        html_to_text(html.as_bytes(), &mut sink).unwrap();
        sink.text
    }

    /// The entity table is binary searched: it must be strictly sorted by name (byte order), or
    /// names would silently not be found.
    #[test]
    fn entity_table_is_strictly_sorted() {
        for pair in ENTITIES.windows(2) {
            assert!(
                pair[0].0.as_bytes() < pair[1].0.as_bytes(),
                "{:?} is not before {:?}",
                pair[0].0,
                pair[1].0
            );
        }
        // the WHATWG list: 2,231 names, legacy unterminated forms included
        assert_eq!(ENTITIES.len(), 2231);
        for (name, want) in [
            ("AElig", "\u{c6}"),
            ("AMP;", "&"),
            ("amp", "&"),
            ("nbsp;", "\u{a0}"),
            ("eacute", "\u{e9}"),
            ("NotEqualTilde;", "\u{2242}\u{338}"),
            ("fjlig;", "fj"),
            ("zwnj;", "\u{200c}"),
        ] {
            assert_eq!(lookup(name), Some(want), "{name}");
        }
        assert_eq!(lookup("eacut"), None);
        assert_eq!(lookup("zzz;"), None);
    }

    /// `extractors/gen_entities.py --check`: the table is what its generator writes from Python's
    /// copy of the WHATWG list.
    #[test]
    fn entity_table_is_generated() {
        let Some(python) = mailfts_corpora::tools::require_tool("python3") else {
            return;
        };
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/gen_entities.py");
        let out = std::process::Command::new(python)
            .args([script, "--check"])
            .output()
            .expect("run gen_entities.py");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn entities() {
        for (input, want) in [
            ("a &amp; b", "a & b"),
            ("&lt;tag&gt;", "<tag>"),
            ("caf&eacute; &#233; &#xE9; &#XE9;", "café é é é"),
            ("&copy 2024", "© 2024"),
            ("&euro;5 &#128;5", "€5 €5"),
            ("AT&T &unknown; & ;", "AT&T &unknown; & ;"),
            ("&#0; &#x110000;", "\u{FFFD} \u{FFFD}"),
            ("&notit; &notin;", "¬it; ∉"),
        ] {
            assert_eq!(decode_entities(input), want, "{input}");
        }
    }

    #[test]
    fn drops_script_style_comments_keeps_alt() {
        let t = text(
            "<html><head><title>T&iacute;tulo</title><style>p{color:red}</style>\
             <script>var secret='scriptword';</script></head><body>\
             <!-- commentword --><p>Hello&nbsp;<b>wor</b>ld &amp; more</p><div>next\n\n   line</div>\
             <img src=x alt=\"photo &quot;alt&quot;\"><table><tr><td>a</td><td>b</td></tr></table></body></html>",
        );
        assert!(
            !t.contains("scriptword") && !t.contains("color") && !t.contains("commentword"),
            "{t}"
        );
        assert!(t.contains("Título"), "{t}");
        assert!(t.contains("Hello world & more"), "{t}");
        assert!(t.contains("next line"), "{t}");
        assert!(t.contains("photo \"alt\""), "{t}");
        assert!(t.contains("a b"), "{t}");
    }

    #[test]
    fn entity_split_across_chunks_and_limits() {
        let mut html = String::from("<p>");
        html.push_str(&"x".repeat((64 << 10) - 5));
        html.push_str("&amp;tail</p>");
        let t = text(&html);
        assert!(t.ends_with("&tail"), "{}", &t[t.len() - 10..]);
        let mut sink = Sink::new(10);
        html_to_text(b"<p>0123456789abcdef</p>", &mut sink).unwrap();
        assert!(sink.truncated);
        assert_eq!(sink.text, "0123456789");
    }
}
