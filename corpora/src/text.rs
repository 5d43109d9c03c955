//! Natural-language text: sentences, paragraphs, wrapping and plain rendering.

use crate::rng::{Rng, STREAM_LEAD};
use crate::snippets;
use crate::vocab::Lang;

/// One block of a text body, rendered to plain text or HTML.
#[derive(Clone, Debug)]
pub(crate) enum Block {
    /// A paragraph (one logical line, wrapped when rendered).
    Para(String),
    /// Literal lines (greeting, closing, forward headers) followed by a blank line.
    Lines(Vec<String>),
    /// Preformatted text (code, patches, logs) kept verbatim.
    Pre(String),
    /// A quoted paragraph at the given depth.
    Quote(usize, String),
    /// A reply attribution line, directly followed by the quote.
    Attribution(String),
    /// A signature (rendered after `-- `).
    Signature(Vec<String>),
}

/// Appends one sentence of `lang` to `out`.
pub(crate) fn sentence(r: &mut Rng, lang: Lang, out: &mut String) {
    let words = lang.words();
    let spaced = lang.spaced();
    let n = if spaced {
        r.range(4, 16)
    } else {
        r.range(5, 18)
    };
    let mut token: String;
    for i in 0..n {
        let roll = r.below(200);
        let vocab = roll >= 7;
        let w: &str = if roll < 6 {
            token = snippets::token(r);
            &token
        } else if roll == 6 {
            token = snippets::url(r);
            &token
        } else {
            words[r.zipf(words.len())]
        };
        if i > 0 && (spaced || w.is_ascii()) && !out.ends_with(' ') {
            out.push(' ');
        }
        if i == 0 && spaced && vocab {
            let mut chars = w.chars();
            if let Some(c) = chars.next() {
                out.extend(c.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(w);
        }
        if !spaced && w.is_ascii() {
            out.push(' ');
        }
        if i + 1 < n && i > 1 && r.chance(0.07) {
            out.push_str(lang.comma());
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out.push_str(r.pick::<&str>(lang.terminators()));
}

/// A paragraph of `min..=max` sentences.
pub(crate) fn paragraph(r: &mut Rng, lang: Lang, min: usize, max: usize) -> String {
    let mut p = String::new();
    for i in 0..r.range(min, max) {
        if i > 0 && lang.spaced() {
            p.push(' ');
        }
        sentence(r, lang, &mut p);
    }
    p
}

/// The leading paragraphs of message `index`: replies quote exactly this text.
pub(crate) fn lead(seed: u64, index: usize, lang: Lang) -> Vec<String> {
    let mut r = Rng::new(seed, index, STREAM_LEAD);
    (0..r.range(1, 2))
        .map(|_| paragraph(&mut r, lang, 1, 4))
        .collect()
}

/// Display width of a character (2 for CJK).
fn width(c: char) -> usize {
    if ('\u{1100}'..='\u{115f}').contains(&c) || ('\u{2e80}'..='\u{ffdc}').contains(&c) {
        2
    } else {
        1
    }
}

fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '。' | '、' | '，' | '！' | '？' | '：' | '」' | ')' | '.' | ','
    )
}

/// Wraps `text` at `max` columns, prefixing each line with `prefix`.
///
/// Spaced scripts break at spaces; CJK text may break between any two
/// characters (but not before closing punctuation). With `flowed`, soft
/// breaks keep a trailing space (RFC 3676 `format=flowed`).
pub(crate) fn wrap(text: &str, max: usize, prefix: &str, flowed: bool, out: &mut String) {
    let mut line = String::new();
    let mut col = 0;
    let flush = |line: &mut String, out: &mut String, soft: bool| {
        out.push_str(prefix);
        out.push_str(line.trim_end());
        if soft {
            out.push(' ');
        }
        out.push('\n');
        line.clear();
    };
    // Segments: runs of non-space ASCII/Latin/Cyrillic characters, or single CJK characters.
    let mut seg = String::new();
    let mut seg_w = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let wide = width(c) == 2;
        if c != ' ' {
            seg.push(c);
            seg_w += width(c);
        }
        let next = chars.peek().copied();
        let boundary = match next {
            None => true,
            Some(' ') => true,
            Some(n) => (wide || width(n) == 2) && !no_break_before(n),
        };
        if c == ' ' && seg.is_empty() {
            if col > 0 {
                line.push(' ');
                col += 1;
            }
            continue;
        }
        if !boundary {
            continue;
        }
        if col + seg_w > max && col > 0 {
            flush(&mut line, out, flowed);
            col = 0;
        }
        line.push_str(&seg);
        col += seg_w;
        seg.clear();
        seg_w = 0;
    }
    if !line.trim_end().is_empty() {
        flush(&mut line, out, false);
    }
}

/// Renders blocks as plain text wrapped at `width` (0 = no wrapping).
pub(crate) fn render_plain(blocks: &[Block], width: usize, flowed: bool) -> String {
    let mut out = String::new();
    let max = if width == 0 { usize::MAX / 2 } else { width };
    for (i, block) in blocks.iter().enumerate() {
        match block {
            Block::Para(p) => wrap(p, max, "", flowed, &mut out),
            Block::Lines(lines) => {
                for l in lines {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            Block::Pre(t) => {
                out.push_str(t.trim_end_matches('\n'));
                out.push('\n');
            }
            Block::Quote(depth, p) => {
                let prefix = ">".repeat(*depth) + " ";
                let width = max.saturating_sub(prefix.len()).max(20);
                wrap(p, width, &prefix, flowed, &mut out);
            }
            Block::Attribution(a) => {
                out.push_str(a);
                out.push('\n');
                continue;
            }
            Block::Signature(lines) => {
                out.push_str("-- \n");
                for l in lines {
                    out.push_str(l);
                    out.push('\n');
                }
                continue;
            }
        }
        match (block, blocks.get(i + 1)) {
            (_, None) => {}
            (Block::Quote(d, _), Some(Block::Quote(..))) => {
                out.push_str(&">".repeat(*d));
                out.push('\n');
            }
            _ => out.push('\n'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_respects_width() {
        let mut r = Rng::new(5, 5, 5);
        for lang in crate::vocab::ALL_LANGS {
            let p = paragraph(&mut r, lang, 6, 8);
            let mut out = String::new();
            wrap(&p, 72, "> ", false, &mut out);
            for line in out.lines() {
                let w: usize = line.chars().map(width).sum();
                let long_token = line.split(' ').any(|t| t.len() > 40);
                assert!(w <= 74 || long_token, "{lang:?}: {line}");
                assert!(line.starts_with("> "));
            }
            let joined: String = out.lines().map(|l| &l[2..]).collect();
            let original: String = p.chars().filter(|c| *c != ' ').collect();
            assert_eq!(joined.replace(' ', ""), original);
        }
    }

    #[test]
    fn cjk_has_no_spaces_between_words() {
        let mut r = Rng::new(1, 2, 3);
        let mut s = String::new();
        sentence(&mut r, Lang::Zh, &mut s);
        assert!(s.chars().filter(|c| !c.is_ascii()).count() > 4);
    }

    #[test]
    fn plain_rendering_quotes() {
        let blocks = vec![
            Block::Attribution("On Monday, A wrote:".into()),
            Block::Quote(1, "one two".into()),
            Block::Quote(2, "three".into()),
            Block::Para("four".into()),
            Block::Signature(vec!["A".into()]),
        ];
        assert_eq!(
            render_plain(&blocks, 72, false),
            "On Monday, A wrote:\n> one two\n>\n>> three\n\nfour\n\n-- \nA\n"
        );
    }
}
