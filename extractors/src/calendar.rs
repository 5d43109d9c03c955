//! iCalendar (RFC 5545) and vCard (RFC 6350): the properties people search for — summary,
//! description, location, people and their addresses — unfolded and unescaped.

use crate::sink::Sink;

/// iCalendar properties whose value is text worth indexing.
const CALENDAR: &[&str] = &[
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "COMMENT",
    "CATEGORIES",
    "CONTACT",
    "RESOURCES",
    "ORGANIZER",
    "ATTENDEE",
    "X-ALT-DESC",
];

/// vCard properties whose value is text worth indexing.
const VCARD: &[&str] = &[
    "FN", "N", "NICKNAME", "ORG", "TITLE", "ROLE", "EMAIL", "TEL", "ADR", "NOTE", "URL", "IMPP",
];

/// Extracts calendar (`vcard == false`) or vCard text into `sink`.
pub(crate) fn extract(text: &str, vcard: bool, sink: &mut Sink) {
    let wanted = if vcard { VCARD } else { CALENDAR };
    for line in unfold(text) {
        if sink.full() {
            return;
        }
        let Some((head, value)) = split_property(&line) else {
            continue;
        };
        let mut params = head.split(';');
        let name = params.next().unwrap_or_default();
        // vCard groups: `item1.EMAIL`
        let name = name.rsplit('.').next().unwrap_or(name);
        if !wanted.iter().any(|w| w.eq_ignore_ascii_case(name)) {
            continue;
        }
        if name.eq_ignore_ascii_case("X-ALT-DESC") {
            continue; // an HTML copy of DESCRIPTION
        }
        // people: the common name parameter, then the address
        for p in params {
            if let Some((k, v)) = p.split_once('=') {
                if k.eq_ignore_ascii_case("CN") {
                    sink.push_str(v.trim_matches('"'));
                    sink.space();
                }
            }
        }
        let value = value
            .strip_prefix("mailto:")
            .or_else(|| value.strip_prefix("MAILTO:"))
            .unwrap_or(value);
        push_unescaped(
            sink,
            value,
            vcard && matches!(name.to_ascii_uppercase().as_str(), "N" | "ADR" | "ORG"),
        );
        sink.newline();
    }
}

/// Joins folded lines (a line starting with a space or tab continues the previous one).
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(cont) = raw.strip_prefix([' ', '\t']) {
            if let Some(last) = lines.last_mut() {
                last.push_str(cont);
                continue;
            }
        }
        lines.push(raw.to_string());
    }
    lines
}

/// `NAME;PARAM=x;PARAM="a:b":value` → (`NAME;PARAM=x;PARAM="a:b"`, `value`).
fn split_property(line: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}

/// RFC 5545 §3.3.11 / RFC 6350 §3.4 escapes; structured vCard values (`;`-separated) become spaces.
fn push_unescaped(sink: &mut Sink, value: &str, structured: bool) {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            },
            ';' if structured => {
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            _ => out.push(c),
        }
    }
    sink.push_str(out.trim());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_and_vcard() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Quarterly pl\r\n anning\\, budget\r\nDTSTART:20240101T100000Z\r\nLOCATION:Room 4\\nBuilding B\r\nORGANIZER;CN=\"Doe, Jane\":mailto:jane@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let mut s = Sink::new(1000);
        extract(ics, false, &mut s);
        assert!(s.text.contains("Quarterly planning, budget"), "{}", s.text);
        assert!(s.text.contains("Room 4\nBuilding B"), "{}", s.text);
        assert!(s.text.contains("Doe, Jane jane@example.org"), "{}", s.text);
        assert!(!s.text.contains("20240101"), "{}", s.text);
        let vcf = "BEGIN:VCARD\nVERSION:4.0\nFN:Zoë Müller\nN:Müller;Zoë;;;\nitem1.EMAIL;TYPE=work:zoe@example.org\nADR:;;Hauptstr. 5;Berlin;;10115;Germany\nEND:VCARD\n";
        let mut s = Sink::new(1000);
        extract(vcf, true, &mut s);
        assert!(s.text.contains("Zoë Müller\nMüller Zoë"), "{}", s.text);
        assert!(s.text.contains("zoe@example.org"), "{}", s.text);
        assert!(
            s.text.contains("Hauptstr. 5 Berlin 10115 Germany"),
            "{}",
            s.text
        );
    }
}
