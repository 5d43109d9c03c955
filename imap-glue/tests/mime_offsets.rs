//! `mime::parse` (the part splitting FETCH uses) against mail-parser's part offsets
//! (`MessagePart::offset_header/offset_body/offset_end`, nested `PartType::Message`): the same byte
//! ranges on well-formed mail, and the malformed cases where they differ, which are why
//! `src/mime.rs` keeps its own splitting (see its module documentation).

use std::collections::BTreeMap;
use std::ops::Range;

use mail_parser::{Message, MessageParser, PartType};
use mailfts_imap_glue::{mime, wire};

/// IMAP part path (`1.2`, `/msg` for the message inside a message/rfc822) → (header, body,
/// number of children).
type Parts = BTreeMap<String, (Range<usize>, Range<usize>, usize)>;

fn child(path: &str, i: usize) -> String {
    if path.is_empty() {
        (i + 1).to_string()
    } else {
        format!("{path}.{}", i + 1)
    }
}

fn ours(p: &mime::Part, path: String, out: &mut Parts) {
    out.insert(
        path.clone(),
        (p.header.clone(), p.body.clone(), p.children.len()),
    );
    for (i, c) in p.children.iter().enumerate() {
        ours(c, child(&path, i), out);
    }
    if let Some(m) = &p.message {
        ours(m, format!("{path}/msg"), out);
    }
}

/// mail-parser's parts as ranges of `raw`; `None` when a nested message is not a slice of `raw`
/// (mail-parser decoded it first).
fn theirs(raw: &[u8], m: &Message<'_>, id: usize, path: String, out: &mut Parts) -> Option<()> {
    let off = (m.raw_message.as_ptr() as usize).checked_sub(raw.as_ptr() as usize)?;
    if off > raw.len() {
        return None;
    }
    let p = &m.parts[id];
    let (h, b, e) = (
        off + p.offset_header as usize,
        off + p.offset_body as usize,
        off + p.offset_end as usize,
    );
    let kids: Vec<usize> = match &p.body {
        PartType::Multipart(ids) => ids.iter().map(|&i| i as usize).collect(),
        _ => Vec::new(),
    };
    out.insert(path.clone(), (h..b, b..e, kids.len()));
    for (i, &c) in kids.iter().enumerate() {
        theirs(raw, m, c, child(&path, i), out)?;
    }
    if let PartType::Message(inner) = &p.body {
        theirs(raw, inner, 0, format!("{path}/msg"), out)?;
    }
    Some(())
}

/// Both views of `raw` (with CRLF line ends, as FETCH parses it); mail-parser's is `None` when it
/// gives no message or no ranges of `raw`.
fn both(raw: &[u8]) -> (Vec<u8>, Parts, Option<Parts>) {
    let raw = wire::to_crlf(raw.to_vec());
    let mut a = Parts::new();
    ours(&mime::parse(&raw, 0..raw.len()), String::new(), &mut a);
    let b = MessageParser::default().parse(&raw[..]).and_then(|m| {
        let mut b = Parts::new();
        theirs(&raw, &m, 0, String::new(), &mut b).map(|()| b)
    });
    (raw, a, b)
}

#[test]
fn same_ranges_on_well_formed_mail() {
    let mut msgs: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 1..=4 {
        let path = format!(
            "{}/tests/transcripts/conformance/{i}.eml",
            env!("CARGO_MANIFEST_DIR")
        );
        msgs.push((path.clone(), std::fs::read(path).unwrap()));
    }
    for (name, bytes) in mailfts_corpora::fixture_messages() {
        msgs.push((name.to_owned(), bytes));
    }
    let spec = mailfts_corpora::CorpusSpec::new(7, 400);
    for i in 0..400 {
        let m = mailfts_corpora::generate_message(&spec, i);
        msgs.push((format!("generated {i}"), m.bytes));
    }
    for (name, raw) in &msgs {
        let (_, a, b) = both(raw);
        assert_eq!(Some(a), b, "{name}");
    }
}

/// Malformed mail where mail-parser's parts would change our FETCH answers. Each case: the
/// message, and the body of part `path` as we split it (`None`: no such part) next to what
/// mail-parser's offsets give.
#[test]
fn malformed_mail_where_mail_parser_differs() {
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    );
    let cases: [Case; 5] = [
        (
            // Dovecot 2.3: a multipart without a usable boundary has one empty text/plain part.
            "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\na\r\n--x--\r\n",
            "1",
            "",
            None,
        ),
        (
            "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--x\r\n\r\na\r\n--x--\r\n",
            "1",
            "",
            None,
        ),
        (
            // A part whose header has no blank line after it: mail-parser drops the part.
            "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n--x--\r\n",
            "1",
            "",
            None,
        ),
        (
            // `--xy` is no delimiter of boundary `x` (RFC 2046 §5.1.1); mail-parser ends the
            // part there.
            "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\na\r\n--xy\r\nb\r\n--x--\r\n",
            "1",
            "a\r\n--xy\r\nb",
            Some("a"),
        ),
        (
            // A nested multipart with its parent's boundary.
            "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n\r\na\r\n--x--\r\n--x--\r\n",
            "2",
            "a",
            None,
        ),
    ];
    for (msg, path, ours_body, theirs_body) in cases {
        let (raw, a, b) = both(msg.as_bytes());
        let b = b.expect(msg);
        let body = |p: &Parts| {
            p.get(path)
                .map(|(_, r, _)| String::from_utf8_lossy(&raw[r.clone()]).into_owned())
        };
        assert_eq!(body(&a).as_deref(), Some(ours_body), "{msg}");
        assert_eq!(body(&b).as_deref(), theirs_body, "{msg}");
    }
    // message/rfc822 sent in base64: mail-parser parses the decoded bytes, which are no range of
    // the message (BODY[1.HEADER] has to come from the raw bytes).
    let encoded = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogaW4NCg0KYm9keQ0K\r\n";
    assert!(both(encoded.as_bytes()).2.is_none());
    // An empty message: mail-parser gives none; FETCH still answers for it.
    assert!(MessageParser::default().parse(&b""[..]).is_none());
    assert!(both(b"").1.contains_key(""));
    // Deeper than our limit of 32 levels: we stop splitting, mail-parser goes on.
    let mut deep = String::new();
    for d in 0..40 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{d}\r\n\r\n--b{d}\r\n"
        ));
    }
    deep.push_str("\r\nleaf\r\n");
    let (_, a, b) = both(deep.as_bytes());
    let depth = |p: &Parts| p.keys().map(|k| k.split('.').count()).max().unwrap_or(0);
    assert_eq!(depth(&a), 32);
    assert!(depth(&b.unwrap()) > 32);
}
