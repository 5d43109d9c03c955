//! RTF as plain text: groups and control words are interpreted just enough to keep the document
//! text (with `\'hh` bytes decoded in the document's code page and `\uN` Unicode escapes) and to
//! drop the destinations that are not text (font and colour tables, pictures, objects, fields'
//! instructions, `{\*\…}` extensions).

use crate::error::{ExtractError, Format};
use crate::sink::Sink;

/// Destinations whose content is not document text.
const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "fldinst",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "filetbl",
    "revtbl",
    "header",
    "footer",
    "bkmkstart",
    "bkmkend",
    "datafield",
    "template",
];

/// Extracts the text of an RTF document into `sink`.
pub(crate) fn extract(bytes: &[u8], sink: &mut Sink) -> Result<(), ExtractError> {
    if !bytes.starts_with(b"{\\rtf") {
        return Err(ExtractError::malformed(Format::Rtf, "no {\\rtf header"));
    }
    let mut encoding = encoding_rs::WINDOWS_1252;
    // per group: skipping?, chars to skip after \uN
    let mut stack: Vec<(bool, usize)> = Vec::new();
    let mut skip = false;
    let mut uc = 1usize;
    let mut pending_skip = 0usize;
    let mut bytes_run: Vec<u8> = Vec::new();
    let mut i = 0;
    let flush = |run: &mut Vec<u8>, sink: &mut Sink, enc: &'static encoding_rs::Encoding| {
        if !run.is_empty() {
            let (text, _, _) = enc.decode(run);
            sink.push_str(&text);
            run.clear();
        }
    };
    while i < bytes.len() {
        if sink.full() {
            return Ok(());
        }
        let b = bytes[i];
        match b {
            b'{' => {
                flush(&mut bytes_run, sink, encoding);
                if stack.len() > 10_000 {
                    return Err(ExtractError::malformed(
                        Format::Rtf,
                        "groups nested too deep",
                    ));
                }
                stack.push((skip, uc));
                i += 1;
                if bytes[i..].starts_with(b"\\*") {
                    skip = true;
                }
            }
            b'}' => {
                flush(&mut bytes_run, sink, encoding);
                if let Some((s, u)) = stack.pop() {
                    skip = s;
                    uc = u;
                }
                i += 1;
            }
            b'\\' => {
                i += 1;
                let Some(&c) = bytes.get(i) else { break };
                if c.is_ascii_alphabetic() {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&bytes[start..i]).unwrap_or_default();
                    let num_start = i;
                    if i < bytes.len() && bytes[i] == b'-' {
                        i += 1;
                    }
                    while i < bytes.len() && bytes[i].is_ascii_digit() && i - num_start < 10 {
                        i += 1;
                    }
                    let param: Option<i64> = std::str::from_utf8(&bytes[num_start..i])
                        .ok()
                        .and_then(|s| s.parse().ok());
                    if i < bytes.len() && bytes[i] == b' ' {
                        i += 1;
                    }
                    if pending_skip > 0 {
                        pending_skip -= 1;
                        continue;
                    }
                    if SKIPPED.contains(&word) {
                        skip = true;
                        continue;
                    }
                    if skip {
                        continue;
                    }
                    match word {
                        "par" | "line" | "sect" | "page" | "row" => {
                            flush(&mut bytes_run, sink, encoding);
                            sink.newline();
                        }
                        "tab" | "cell" | "emspace" | "enspace" => {
                            flush(&mut bytes_run, sink, encoding);
                            sink.space();
                        }
                        "ansicpg" => {
                            if let Some(enc) = param.and_then(codepage) {
                                encoding = enc;
                            }
                        }
                        "uc" => uc = param.unwrap_or(1).clamp(0, 10) as usize,
                        "u" => {
                            flush(&mut bytes_run, sink, encoding);
                            let v = param.unwrap_or(0);
                            let v = if v < 0 { v + 65536 } else { v } as u32;
                            sink.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                            pending_skip = uc;
                        }
                        "emdash" => sink.push('—'),
                        "endash" => sink.push('–'),
                        "bullet" => sink.push('•'),
                        "lquote" => sink.push('‘'),
                        "rquote" => sink.push('’'),
                        "ldblquote" => sink.push('“'),
                        "rdblquote" => sink.push('”'),
                        _ => {}
                    }
                } else if c == b'\'' {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    i += 3;
                    if pending_skip > 0 {
                        pending_skip -= 1;
                    } else if let (false, Some(v)) =
                        (skip, hex.and_then(|h| u8::from_str_radix(h, 16).ok()))
                    {
                        bytes_run.push(v);
                    }
                } else {
                    i += 1;
                    if pending_skip > 0 {
                        pending_skip -= 1;
                    } else if !skip {
                        match c {
                            b'\\' | b'{' | b'}' => bytes_run.push(c),
                            b'~' => bytes_run.push(b' '),
                            b'\n' | b'\r' => {
                                flush(&mut bytes_run, sink, encoding);
                                sink.newline();
                            }
                            _ => {}
                        }
                    }
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                i += 1;
                if pending_skip > 0 {
                    pending_skip -= 1;
                } else if !skip {
                    bytes_run.push(b);
                }
            }
        }
    }
    flush(&mut bytes_run, sink, encoding);
    Ok(())
}

/// The encoding of a Windows code page number.
fn codepage(cp: i64) -> Option<&'static encoding_rs::Encoding> {
    let label = match cp {
        65001 => "utf-8".to_string(),
        932 => "shift_jis".into(),
        936 => "gbk".into(),
        949 => "euc-kr".into(),
        950 => "big5".into(),
        874 => "windows-874".into(),
        1250..=1258 => format!("windows-{cp}"),
        _ => return None,
    };
    encoding_rs::Encoding::for_label(label.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtf_text() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\colortbl;\red0\green0\blue0;}{\*\generator Writer;}
{\info{\title secret title}}\pard Caf\'e9 \b bold\b0  text\par
Second\tab line \u8364? euro \{braces\}\par
{\*\unknowndest hidden}visible}";
        let mut s = Sink::new(1000);
        extract(rtf, &mut s).unwrap();
        assert_eq!(
            s.text,
            "Café bold text\nSecond line € euro {braces}\nvisible"
        );
        assert!(extract(b"not rtf", &mut Sink::new(10)).is_err());
    }
}
