//! The MIME structure of a message as IMAP FETCH needs it: byte ranges of every part's header and
//! body (for `BODY[1.2.MIME]`, `BODY[2.HEADER]`, partial fetches), `BODYSTRUCTURE`, `ENVELOPE` and
//! header-field selection (RFC 3501 §6.4.5, §7.4.2).
//!
//! Works on the raw message with CRLF line ends ([`crate::wire::to_crlf`]); header values are sent
//! as they are in the message (encoded words left encoded, as Dovecot does). Never fails: a
//! malformed part is described as well as it can be (a multipart without boundary is one part).
//!
//! # Why not mail-parser's part offsets
//!
//! mail-parser (a dependency already, for the index) gives every part's `offset_header`,
//! `offset_body` and `offset_end`. Measured against this module (`tests/mime_offsets.rs`):
//!
//! * Well-formed mail: the same ranges for every part of the four conformance messages, the
//!   corpora fixtures and 3,000 generated messages (the test keeps 400): nothing to gain there.
//! * Malformed mail: different parts, so different FETCH answers (BODYSTRUCTURE, `BODY[n]`), in
//!   8 of 18 crafted cases: a multipart without a usable boundary or whose part header has no
//!   blank line gets no part at all (we answer Dovecot's one empty text/plain part); a `--xy` line
//!   ends a part of boundary `x` (a prefix match); a nested multipart with its parent's boundary
//!   is split otherwise; a message/rfc822 in base64 is decoded and parsed, so its offsets are not
//!   ranges of the message FETCH addresses; an empty message gives no `Message`; and nesting goes
//!   past our 32 levels.
//! * Cost: mail-parser decodes every body (charsets, base64, quoted-printable) while splitting;
//!   on the 3,000 generated messages (35 MB, release build) it took 87 ms against 30 ms here,
//!   work that `BODY[HEADER]` or `BODYSTRUCTURE` does not need.
//!
//! The rest of this module (Content-Type parameters, BODYSTRUCTURE, ENVELOPE, addresses, header
//! field selection) renders the raw bytes as Dovecot does, encoded words left encoded, which
//! mail-parser's decoded header values cannot give back; it stays either way.

use std::ops::Range;

use crate::wire;

/// Nesting deeper than this is treated as a leaf part.
const MAX_DEPTH: usize = 32;

/// One MIME part (or the whole message).
#[derive(Clone, Debug)]
pub struct Part {
    /// The header block, including the blank line that ends it.
    pub header: Range<usize>,
    /// The body.
    pub body: Range<usize>,
    /// Media type, lower case (`text`).
    pub mtype: String,
    /// Media subtype, lower case (`plain`).
    pub subtype: String,
    /// Media type and subtype as the message writes them (`Text`, `Plain`), for BODYSTRUCTURE.
    pub written: (String, String),
    /// Content-Type parameters, names as written (compare them ignoring ASCII case).
    pub params: Vec<(String, String)>,
    /// The part's `Content-*` fields other than Content-Type count: it has a `MIME-Version` or a
    /// `Content-Type` field, or is a part of a multipart (Dovecot 2.3 ignores `Content-Language`,
    /// `Content-Transfer-Encoding`… of a message with neither).
    pub mime: bool,
    /// The parts of a multipart.
    pub children: Vec<Part>,
    /// The message inside a message/rfc822 part.
    pub message: Option<Box<Part>>,
}

/// One header field: its name, its unfolded value, and its bytes (with the CRLF).
#[derive(Clone, Debug)]
pub struct Field<'a> {
    /// Field name as written.
    pub name: &'a [u8],
    /// Value with folding removed and surrounding white space trimmed.
    pub value: Vec<u8>,
    /// The raw field lines.
    pub raw: &'a [u8],
}

/// The fields of a header block.
pub fn fields(header: &[u8]) -> Vec<Field<'_>> {
    let mut out: Vec<Field<'_>> = Vec::new();
    let mut start = 0;
    while start < header.len() {
        // a field: a line and its continuation lines
        let mut end = start;
        loop {
            match header[end..].iter().position(|&b| b == b'\n') {
                Some(i) => end += i + 1,
                None => {
                    end = header.len();
                    break;
                }
            }
            if end >= header.len() || !matches!(header[end], b' ' | b'\t') {
                break;
            }
        }
        let raw = &header[start..end];
        start = end;
        if raw == b"\r\n" || raw == b"\n" {
            break;
        }
        let Some(colon) = raw.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = trim(&raw[..colon]);
        let mut value = Vec::with_capacity(raw.len() - colon);
        for &b in &raw[colon + 1..] {
            if b != b'\r' && b != b'\n' {
                value.push(b);
            }
        }
        let value = trim(&value).to_vec();
        out.push(Field { name, value, raw });
    }
    out
}

fn trim(s: &[u8]) -> &[u8] {
    let a = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let b = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(a, |i| i + 1);
    &s[a..b.max(a)]
}

/// The first field called `name` (ASCII case-insensitive).
pub fn field<'a>(fields: &'a [Field<'_>], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
        .map(|f| f.value.as_slice())
}

/// Parses the message (or part) in `msg[range]`.
pub fn parse(msg: &[u8], range: Range<usize>) -> Part {
    parse_part(msg, range, false, false, 0)
}

fn parse_part(
    msg: &[u8],
    range: Range<usize>,
    digest_child: bool,
    multipart_child: bool,
    depth: usize,
) -> Part {
    let bytes = &msg[range.clone()];
    let header_len = if bytes.starts_with(b"\r\n") {
        2
    } else {
        memchr_crlfcrlf(bytes).map_or(bytes.len(), |i| i + 4)
    };
    let header = range.start..range.start + header_len;
    let body = header.end..range.end;
    let fs = fields(&msg[header.clone()]);
    let ctype = field(&fs, "content-type");
    let mime = multipart_child || ctype.is_some() || field(&fs, "mime-version").is_some();
    let (mut written_type, mut written_subtype, params) = match ctype {
        Some(v) => content_type(v),
        None => (String::new(), String::new(), Vec::new()),
    };
    if written_type.is_empty() || written_subtype.is_empty() {
        (written_type, written_subtype) = if digest_child {
            ("message".into(), "rfc822".into())
        } else {
            ("text".into(), "plain".into())
        };
    }
    let mut part = Part {
        header,
        body: body.clone(),
        mtype: written_type.to_ascii_lowercase(),
        subtype: written_subtype.to_ascii_lowercase(),
        written: (written_type, written_subtype),
        params,
        mime,
        children: Vec::new(),
        message: None,
    };
    if depth >= MAX_DEPTH {
        return part;
    }
    if part.mtype == "multipart" {
        let boundary = part
            .params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
            .map(|(_, v)| v.clone());
        if let Some(b) = boundary.filter(|b| !b.is_empty()) {
            let digest = part.subtype == "digest";
            for r in split_multipart(msg, body, b.as_bytes()) {
                part.children
                    .push(parse_part(msg, r, digest, true, depth + 1));
            }
        }
        if part.children.is_empty() {
            // No usable boundary: describe it as one empty text part (as Dovecot does).
            let empty = part.body.end..part.body.end;
            part.children.push(Part {
                header: empty.clone(),
                body: empty,
                mtype: "text".into(),
                subtype: "plain".into(),
                written: ("text".into(), "plain".into()),
                params: Vec::new(),
                mime: true,
                children: Vec::new(),
                message: None,
            });
        }
    } else if part.mtype == "message" && part.subtype == "rfc822" {
        part.message = Some(Box::new(parse_part(msg, body, false, false, depth + 1)));
    }
    part
}

fn memchr_crlfcrlf(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n")
}

/// The body ranges of the parts of a multipart body with this boundary.
fn split_multipart(msg: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut delims: Vec<(usize, usize, bool)> = Vec::new(); // (line start, line end incl CRLF, is close)
    let mut pos = body.start;
    while pos < body.end {
        let line_end = msg[pos..body.end]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.end, |i| pos + i + 1);
        let line = &msg[pos..line_end];
        if let Some(rest) = line.strip_prefix(b"--") {
            if let Some(after) = rest.strip_prefix(boundary) {
                let close = after.starts_with(b"--");
                let tail = if close { &after[2..] } else { after };
                if tail.iter().all(|b| b.is_ascii_whitespace()) {
                    delims.push((pos, line_end, close));
                    if close {
                        break;
                    }
                }
            }
        }
        pos = line_end;
    }
    let mut out = Vec::new();
    for w in delims.windows(2) {
        let (_, start, close) = w[0];
        if close {
            break;
        }
        // The CRLF before the next delimiter belongs to the delimiter.
        let mut end = w[1].0;
        if end >= start + 2 && &msg[end - 2..end] == b"\r\n" {
            end -= 2;
        }
        out.push(start..end.max(start));
    }
    if let Some(&(_, start, false)) = delims.last() {
        out.push(start..body.end); // unterminated last part
    }
    out
}

/// Parses a Content-Type value: `(type, subtype, params)`, all as written.
pub fn content_type(v: &[u8]) -> (String, String, Vec<(String, String)>) {
    let s = String::from_utf8_lossy(v);
    let mut it = split_params(&s).into_iter();
    let first = it.next().unwrap_or_default();
    let (t, st) = first.split_once('/').unwrap_or((&first, ""));
    let params = it
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_owned(), unquote(v.trim())))
        })
        .collect();
    (t.trim().to_owned(), st.trim().to_owned(), params)
}

/// Splits at `;` outside quotes.
fn split_params(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in s.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut cur).trim().to_owned()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_owned());
    out.retain(|p| !p.is_empty());
    out
}

fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut esc = false;
            for c in inner.chars() {
                if esc || c != '\\' {
                    out.push(c);
                    esc = false;
                } else {
                    esc = true;
                }
            }
            out
        }
        None => s.to_owned(),
    }
}

/// Counts the lines of a body: its LFs (an unterminated last line, as before a boundary, is not
/// counted, as in Dovecot 2.3).
fn lines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// The value of a `Content-*` field of a part whose `Content-*` fields count ([`Part::mime`]).
fn content_field<'a>(part: &Part, fs: &'a [Field<'_>], name: &str) -> Option<&'a [u8]> {
    field(fs, name).filter(|_| part.mime)
}

fn params_list(out: &mut Vec<u8>, params: &[(String, String)]) {
    if params.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        wire::string(out, k.as_bytes());
        out.push(b' ');
        wire::string(out, v.as_bytes());
    }
    out.push(b')');
}

/// Appends the `BODYSTRUCTURE` (extensible) or `BODY` form of a part. Types, subtypes, parameter
/// names, the encoding and the disposition keep the message's case (as Dovecot 2.3 sends them);
/// the body language is a list (RFC 3501 `body-fld-lang`).
pub fn body_structure(out: &mut Vec<u8>, msg: &[u8], part: &Part, extensible: bool) {
    let fs = fields(&msg[part.header.clone()]);
    out.push(b'(');
    if !part.children.is_empty() {
        for c in &part.children {
            body_structure(out, msg, c, extensible);
        }
        out.push(b' ');
        wire::string(out, part.written.1.as_bytes());
        if extensible {
            out.push(b' ');
            params_list(out, &part.params);
            extension_fields(out, part, &fs);
        }
        out.push(b')');
        return;
    }
    if part.message.is_some() {
        // Dovecot 2.3 writes a message/rfc822 part's type in lower case, whatever the message says.
        out.extend_from_slice(b"\"message\" \"rfc822\"");
    } else {
        wire::string(out, part.written.0.as_bytes());
        out.push(b' ');
        wire::string(out, part.written.1.as_bytes());
    }
    out.push(b' ');
    let mut params = part.params.clone();
    // A text part without a charset is us-ascii (RFC 2045 §5.2); Dovecot 2.3 says so at the end.
    if part.mtype == "text"
        && !params
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("charset"))
    {
        params.push(("charset".into(), "us-ascii".into()));
    }
    params_list(out, &params);
    for name in ["content-id", "content-description"] {
        out.push(b' ');
        wire::nstring(out, content_field(part, &fs, name));
    }
    out.push(b' ');
    let enc = content_field(part, &fs, "content-transfer-encoding")
        .map(|v| String::from_utf8_lossy(v).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "7bit".into());
    wire::string(out, enc.as_bytes());
    let body = &msg[part.body.clone()];
    out.extend_from_slice(format!(" {}", body.len()).as_bytes());
    if let Some(inner) = &part.message {
        out.push(b' ');
        envelope(out, &fields(&msg[inner.header.clone()]));
        out.push(b' ');
        body_structure(out, msg, inner, extensible);
        out.extend_from_slice(format!(" {}", lines(body)).as_bytes());
    } else if part.mtype == "text" {
        out.extend_from_slice(format!(" {}", lines(body)).as_bytes());
    }
    if extensible {
        out.push(b' ');
        wire::nstring(out, content_field(part, &fs, "content-md5"));
        extension_fields(out, part, &fs);
    }
    out.push(b')');
}

/// ` disposition language location` of a part (RFC 3501 `body-ext-1part` / `body-ext-mpart`).
fn extension_fields(out: &mut Vec<u8>, part: &Part, fs: &[Field<'_>]) {
    out.push(b' ');
    disposition(out, content_field(part, fs, "content-disposition"));
    out.push(b' ');
    language(out, content_field(part, fs, "content-language"));
    out.push(b' ');
    wire::nstring(out, content_field(part, fs, "content-location"));
}

/// `body-fld-lang` as a list of the language tags of `Content-Language` (RFC 3282: comma
/// separated), or NIL.
fn language(out: &mut Vec<u8>, v: Option<&[u8]>) {
    let tags: Vec<&[u8]> = v
        .unwrap_or_default()
        .split(|&b| b == b',' || b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, t) in tags.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        wire::string(out, t);
    }
    out.push(b')');
}

fn disposition(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        Some(v) => {
            let s = String::from_utf8_lossy(v);
            let mut it = split_params(&s).into_iter();
            let kind = it.next().unwrap_or_default();
            let params: Vec<(String, String)> = it
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k.trim().to_owned(), unquote(v.trim())))
                })
                .collect();
            out.push(b'(');
            wire::string(out, kind.trim().as_bytes());
            out.push(b' ');
            params_list(out, &params);
            out.push(b')');
        }
        None => out.extend_from_slice(b"NIL"),
    }
}

fn nfield(out: &mut Vec<u8>, fs: &[Field<'_>], name: &str) {
    wire::nstring(out, field(fs, name));
}

/// Appends the `ENVELOPE` of a header block (RFC 3501 §7.4.2).
pub fn envelope(out: &mut Vec<u8>, fs: &[Field<'_>]) {
    out.push(b'(');
    nfield(out, fs, "date");
    out.push(b' ');
    nfield(out, fs, "subject");
    // Every field of the name counts (two Cc fields give both lists, as in Dovecot 2.3).
    let all = |name: &str| -> Option<Vec<u8>> {
        let values: Vec<&[u8]> = fs
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| f.value.as_slice())
            .collect();
        (!values.is_empty()).then(|| values.join(&b","[..]))
    };
    let from = all("from");
    for (name, fallback) in [
        ("from", None),
        ("sender", from.as_deref()),
        ("reply-to", from.as_deref()),
        ("to", None),
        ("cc", None),
        ("bcc", None),
    ] {
        out.push(b' ');
        let value = all(name);
        address_list(out, value.as_deref().or(fallback));
    }
    out.push(b' ');
    nfield(out, fs, "in-reply-to");
    out.push(b' ');
    nfield(out, fs, "message-id");
    out.push(b')');
}

/// One entry of an address header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// A mailbox: display name (raw), local part, domain.
    Mailbox(Option<Vec<u8>>, Vec<u8>, Option<Vec<u8>>),
    /// A group with its members.
    Group(Vec<u8>, Vec<Address>),
}

/// Parses an address header value (RFC 5322 §3.4, leniently). Comments and white space inside an
/// address are dropped (`<user (c)@ (c) example.org>` is `user@example.org`); a comment stands for
/// a missing display name (`user@example.org (Some User)`), as in Dovecot 2.3.
pub fn addresses(v: &[u8]) -> Vec<Address> {
    type Group = Option<(Vec<u8>, Vec<Address>)>;
    fn flush(
        chunk: &mut Vec<u8>,
        comment: &mut Option<Vec<u8>>,
        group: &mut Group,
        out: &mut Vec<Address>,
    ) {
        if let Some(a) = mailbox(chunk, comment.take()) {
            match group {
                Some((_, members)) => members.push(a),
                None => out.push(a),
            }
        }
        chunk.clear();
    }
    let mut out = Vec::new();
    let mut group: Group = None;
    let mut chunk: Vec<u8> = Vec::new();
    let mut comment: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while i < v.len() && v[i] != b'"' {
                    if v[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                chunk.extend_from_slice(&v[start..(i + 1).min(v.len())]);
            }
            b'(' => {
                let end = skip_comment(v, i);
                let text = trim(&v[i + 1..end.saturating_sub(1).max(i + 1)]);
                if !text.is_empty() {
                    comment = Some(text.to_vec());
                }
                i = end;
                chunk.push(b' ');
                continue;
            }
            b'<' => {
                // The angle-addr without its comments and white space.
                chunk.push(b'<');
                i += 1;
                while i < v.len() && v[i] != b'>' {
                    match v[i] {
                        b'(' => {
                            i = skip_comment(v, i);
                            continue;
                        }
                        b'"' => {
                            let start = i;
                            i += 1;
                            while i < v.len() && v[i] != b'"' {
                                i += 1 + usize::from(v[i] == b'\\');
                            }
                            chunk.extend_from_slice(&v[start..(i + 1).min(v.len())]);
                        }
                        b if b.is_ascii_whitespace() => {}
                        b => chunk.push(b),
                    }
                    i += 1;
                }
                chunk.push(b'>');
            }
            b':' if group.is_none() && !chunk.contains(&b'<') => {
                group = Some((trim(&std::mem::take(&mut chunk)).to_vec(), Vec::new()));
            }
            b';' if group.is_some() => {
                flush(&mut chunk, &mut comment, &mut group, &mut out);
                if let Some((name, members)) = group.take() {
                    out.push(Address::Group(name, members));
                }
            }
            b',' => flush(&mut chunk, &mut comment, &mut group, &mut out),
            _ => chunk.push(c),
        }
        i += 1;
    }
    flush(&mut chunk, &mut comment, &mut group, &mut out);
    if let Some((name, members)) = group.take() {
        out.push(Address::Group(name, members));
    }
    out
}

/// The index just past the comment that starts at `v[start]` (`(`; comments nest).
fn skip_comment(v: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < v.len() {
        match v[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    v.len()
}

/// One mailbox of an address list; `comment`, the last comment outside its angle-addr, is its
/// display name when it has none.
fn mailbox(chunk: &[u8], comment: Option<Vec<u8>>) -> Option<Address> {
    let chunk = trim(chunk);
    if chunk.is_empty() {
        return None;
    }
    let (name, addr) = match chunk.iter().position(|&b| b == b'<') {
        Some(lt) => {
            let end = chunk[lt..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(chunk.len(), |p| lt + p);
            let name = trim(&chunk[..lt]);
            let name = unquote_bytes(name);
            (
                (!name.is_empty()).then_some(name).or(comment),
                trim(&chunk[lt + 1..end]).to_vec(),
            )
        }
        None => (
            comment,
            chunk
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect(),
        ),
    };
    // Drop a source route (`@a,@b:user@host`).
    let addr = match addr.iter().rposition(|&b| b == b':') {
        Some(p) => addr[p + 1..].to_vec(),
        None => addr,
    };
    if addr.is_empty() && name.is_none() {
        return None;
    }
    let (local, domain) = match addr.iter().rposition(|&b| b == b'@') {
        Some(at) => (addr[..at].to_vec(), Some(addr[at + 1..].to_vec())),
        None => (addr, None),
    };
    Some(Address::Mailbox(name, unquote_bytes(&local), domain))
}

fn unquote_bytes(s: &[u8]) -> Vec<u8> {
    if s.len() >= 2 && s[0] == b'"' && s[s.len() - 1] == b'"' {
        let mut out = Vec::with_capacity(s.len());
        let mut esc = false;
        for &b in &s[1..s.len() - 1] {
            if esc || b != b'\\' {
                out.push(b);
                esc = false;
            } else {
                esc = true;
            }
        }
        out
    } else {
        s.to_vec()
    }
}

fn address_list(out: &mut Vec<u8>, v: Option<&[u8]>) {
    let list = v.map(addresses).unwrap_or_default();
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in &list {
        write_address(out, a);
    }
    out.push(b')');
}

fn write_address(out: &mut Vec<u8>, a: &Address) {
    match a {
        Address::Mailbox(name, local, domain) => {
            out.push(b'(');
            wire::nstring(out, name.as_deref());
            out.extend_from_slice(b" NIL ");
            wire::string(out, local);
            out.push(b' ');
            wire::string(out, domain.as_deref().unwrap_or(b"MISSING_DOMAIN"));
            out.push(b')');
        }
        Address::Group(name, members) => {
            out.extend_from_slice(b"(NIL NIL ");
            wire::string(out, name);
            out.extend_from_slice(b" NIL)");
            for m in members {
                write_address(out, m);
            }
            out.extend_from_slice(b"(NIL NIL NIL NIL)");
        }
    }
}

/// The part addressed by a section part number (`1.2.3`); `None` if there is none. Part 1 of a
/// non-multipart message is its body; the parts of a message/rfc822 part are those of the message
/// inside it.
pub fn locate<'a>(root: &'a Part, path: &[u32]) -> Option<&'a Part> {
    let mut cur = root;
    for &n in path {
        // a message/rfc822 part: step into the message it carries
        let container = match (&cur.message, cur.children.is_empty()) {
            (Some(m), true) if !std::ptr::eq(cur, root) => m.as_ref(),
            _ => cur,
        };
        cur = if container.children.is_empty() {
            if n != 1 {
                return None;
            }
            container
        } else {
            container.children.get(n as usize - 1)?
        };
    }
    Some(cur)
}

/// The header lines of `header` whose names are (or, with `not`, are not) in `names`, followed by
/// the blank line (RFC 3501 §6.4.5 HEADER.FIELDS).
pub fn header_fields(header: &[u8], names: &[Vec<u8>], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields(header) {
        let listed = names.iter().any(|n| n.eq_ignore_ascii_case(f.name));
        if listed != not {
            out.extend_from_slice(f.raw);
            if !f.raw.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &[u8] = b"From: \"Doe, Jane\" <jane@example.org>\r\nTo: a@b.c, Bob <bob@x.y>\r\nSubject: hi\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--XX\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--XX--\r\n";

    #[test]
    fn structure_of_a_multipart() {
        let p = parse(MIXED, 0..MIXED.len());
        assert_eq!(p.children.len(), 2);
        assert_eq!(&MIXED[p.children[0].body.clone()], b"hello");
        let mut out = Vec::new();
        body_structure(&mut out, MIXED, &p, true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            // Dovecot 2.3.19's answer to UID FETCH n (BODYSTRUCTURE) on MIXED.
            "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)\
             (\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 4 NIL (\"attachment\" (\"filename\" \"a.pdf\")) NIL NIL) \
             \"mixed\" (\"boundary\" \"XX\") NIL NIL NIL)"
        );
        let part2 = locate(&p, &[2]).unwrap();
        assert_eq!(&MIXED[part2.body.clone()], b"AAAA");
        assert!(locate(&p, &[3]).is_none());
    }

    #[test]
    fn envelope_addresses() {
        let fs = fields(&MIXED[..200]);
        let mut out = Vec::new();
        envelope(&mut out, &fs);
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with(
            "(NIL \"hi\" ((\"Doe, Jane\" NIL \"jane\" \"example.org\")) ((\"Doe, Jane\" NIL \"jane\" \"example.org\"))"
        ), "{s}");
        assert!(
            s.contains("((NIL NIL \"a\" \"b.c\")(\"Bob\" NIL \"bob\" \"x.y\"))"),
            "{s}"
        );
        assert_eq!(
            addresses(b"undisclosed-recipients:;"),
            vec![Address::Group(b"undisclosed-recipients".to_vec(), vec![])]
        );
    }

    #[test]
    fn addresses_with_comments_and_cfws() {
        assert_eq!(
            addresses(b"<user (comment)@ (comment) example.org>, user@example.org (Some User)"),
            vec![
                Address::Mailbox(None, b"user".to_vec(), Some(b"example.org".to_vec())),
                Address::Mailbox(
                    Some(b"Some User".to_vec()),
                    b"user".to_vec(),
                    Some(b"example.org".to_vec())
                ),
            ]
        );
        assert_eq!(
            addresses(b"\"Real Name\" <user@domain>"),
            vec![Address::Mailbox(
                Some(b"Real Name".to_vec()),
                b"user".to_vec(),
                Some(b"domain".to_vec())
            )]
        );
    }

    #[test]
    fn header_field_selection() {
        let h = b"Subject: a\r\n b\r\nFrom: x\r\nTo: y\r\n\r\n";
        assert_eq!(
            header_fields(h, &[b"SUBJECT".to_vec(), b"to".to_vec()], false),
            b"Subject: a\r\n b\r\nTo: y\r\n\r\n"
        );
        assert_eq!(
            header_fields(h, &[b"subject".to_vec()], true),
            b"From: x\r\nTo: y\r\n\r\n"
        );
    }

    #[test]
    fn single_part_and_embedded_message() {
        let m = b"Subject: x\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n";
        let p = parse(m, 0..m.len());
        let inner = p.message.as_ref().unwrap();
        assert_eq!(&m[inner.body.clone()], b"body\r\n");
        let one = locate(&p, &[1]).unwrap();
        assert_eq!(one.body, p.body);
    }
}
