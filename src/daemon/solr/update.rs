//! The XML bodies of `POST …/update`, as Dovecot 2.3's `fts_solr` writes them.
//!
//! ```text
//! <add><doc><field name="uid">7</field><field name="box">GUID</field><field name="user">bob</field>
//!   <field name="id">7/GUID/bob</field><field name="body">…</field><field name="hdr">…</field>
//!   <field name="subject">…</field></doc>…</add>
//! <delete><id>7/GUID/bob</id>…</delete>          <delete><query>box:GUID AND user:bob</query></delete>
//! <commit softCommit="true" waitSearcher="true"/>  <commit waitFlush="false" waitSearcher="false"/>
//! ```
//!
//! An `<update>` element may wrap several of them. Anything else (`<rollback/>`, documents with
//! boosts or nested documents, unknown fields, a missing `id`/`uid`/`box`/`user`) is an error
//! naming what was refused; nothing of a refused body is applied.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// The text fields of Dovecot's Solr schema (`solr-schema.xml`), in the order of
/// [`Doc::texts`]: the header block, the body text, and the headers Dovecot indexes on their own.
pub const TEXT_FIELDS: [&str; 7] = ["hdr", "body", "from", "to", "cc", "bcc", "subject"];

/// The position of a text field in [`TEXT_FIELDS`].
pub fn text_field(name: &str) -> Option<usize> {
    TEXT_FIELDS.iter().position(|f| *f == name)
}

/// One `<doc>`: a message of one mailbox of one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Doc {
    /// The unique key, `UID/BOXGUID/USER` as Dovecot writes it.
    pub id: String,
    /// The message UID.
    pub uid: u32,
    /// The mailbox GUID (hex).
    pub mailbox: String,
    /// The Dovecot user (empty for a namespace without an owner).
    pub user: String,
    /// The text fields present, by [`TEXT_FIELDS`] position.
    pub texts: [Option<String>; 7],
}

/// One command of an update body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Add (or replace, by `id`) documents.
    Add(Vec<Doc>),
    /// Delete documents by `id`.
    DeleteIds(Vec<String>),
    /// Delete the documents a query matches.
    DeleteQuery(String),
    /// Commit everything added or deleted so far (durably).
    Commit,
}

/// Parses an update body into commands.
pub fn parse(body: &[u8]) -> Result<Vec<Command>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("body is not UTF-8: {e}"))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut out = Vec::new();
    // the element path from the root
    let mut path: Vec<String> = Vec::new();
    let mut doc: Option<Doc> = None;
    let mut docs: Vec<Doc> = Vec::new();
    let mut field: Option<String> = None;
    let mut value = String::new();
    let mut delete_ids: Vec<String> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.buffer_position()))?;
        // an empty element is a start and its end
        let closes = matches!(event, Event::Empty(_) | Event::End(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = element_name(&e)?;
                start(&name, &e, &path, &mut doc, &mut field, &mut value, &mut out)?;
                path.push(name);
            }
            Event::End(_) => {}
            Event::Text(t) => {
                let content = t.xml10_content();
                if collecting(&path) {
                    value.push_str(&content);
                } else if !content.trim().is_empty() {
                    return Err(format!("unexpected text in <{}>", path.join("><")));
                }
            }
            Event::CData(t) => {
                if !collecting(&path) {
                    return Err("unexpected CDATA".into());
                }
                value.push_str(&t.into_inner());
            }
            Event::GeneralRef(r) => {
                if !collecting(&path) {
                    return Err("unexpected entity reference".into());
                }
                match r.resolve_char_ref() {
                    Ok(Some(c)) => value.push(c),
                    Ok(None) => value.push_str(match r.as_ref() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        other => return Err(format!("unknown entity `&{other};`")),
                    }),
                    Err(e) => return Err(format!("bad character reference: {e}")),
                }
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
        if closes {
            let name = path.pop().ok_or("unbalanced end tag")?;
            end(
                &name,
                &path,
                &mut doc,
                &mut docs,
                &mut field,
                &mut value,
                &mut delete_ids,
                &mut out,
            )?;
        }
    }
    if !path.is_empty() {
        return Err(format!("unterminated <{}>", path.join("><")));
    }
    if out.is_empty() {
        return Err("no update command in the body".into());
    }
    Ok(out)
}

/// True where character data belongs to a value: inside `<field>`, `<id>` or `<query>`.
fn collecting(path: &[String]) -> bool {
    matches!(
        path.last().map(String::as_str),
        Some("field") | Some("id") | Some("query")
    )
}

fn element_name(e: &BytesStart<'_>) -> Result<String, String> {
    Ok(e.name().as_ref().to_string())
}

fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        if a.key.as_ref() == key {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| format!("bad attribute value: {e}"))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The parent element of the one being opened (the last of `path`), ignoring an `<update>` root.
fn parent(path: &[String]) -> Option<&str> {
    path.last().map(String::as_str)
}

#[allow(clippy::too_many_arguments)]
fn start(
    name: &str,
    e: &BytesStart<'_>,
    path: &[String],
    doc: &mut Option<Doc>,
    field: &mut Option<String>,
    value: &mut String,
    out: &mut Vec<Command>,
) -> Result<(), String> {
    let top = path.is_empty() || (path.len() == 1 && path[0] == "update");
    match (parent(path), name) {
        (_, "update") if path.is_empty() => {}
        (_, "add" | "delete") if top => {
            for a in e.attributes() {
                let a = a.map_err(|e| format!("bad attribute: {e}"))?;
                let key = a.key.as_ref().to_string();
                // overwrite=true and commitWithin are Solr's defaults / harmless; others are not
                match key.as_str() {
                    "overwrite" if a.value.as_ref() == "true" => {}
                    "commitWithin" => {}
                    _ => return Err(format!("<{name} {key}=…> is not supported")),
                }
            }
        }
        (_, "commit" | "optimize") if top => {
            out.push(Command::Commit);
        }
        (Some("add"), "doc") => {
            if attribute(e, "boost")?.is_some() {
                return Err("document boosts are not supported".into());
            }
            *doc = Some(Doc::default());
        }
        (Some("doc"), "field") => {
            let Some(n) = attribute(e, "name")? else {
                return Err("<field> without a name".into());
            };
            if attribute(e, "update")?.is_some() || attribute(e, "boost")?.is_some() {
                return Err("atomic updates and field boosts are not supported".into());
            }
            *field = Some(n);
            value.clear();
        }
        (Some("delete"), "id" | "query") => value.clear(),
        _ => {
            return Err(format!(
                "<{name}> is not supported here (inside <{}>)",
                path.join("><")
            ))
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn end(
    name: &str,
    path: &[String],
    doc: &mut Option<Doc>,
    docs: &mut Vec<Doc>,
    field: &mut Option<String>,
    value: &mut String,
    delete_ids: &mut Vec<String>,
    out: &mut Vec<Command>,
) -> Result<(), String> {
    match (parent(path), name) {
        (Some("doc"), "field") => {
            let f = field.take().ok_or("</field> without <field>")?;
            let d = doc.as_mut().ok_or("<field> outside <doc>")?;
            let v = std::mem::take(value);
            match f.as_str() {
                "id" => d.id = v,
                "uid" => {
                    d.uid = v
                        .trim()
                        .parse()
                        .map_err(|_| format!("uid `{v}` is not a 32-bit number"))?
                }
                "box" => d.mailbox = v,
                "user" => d.user = v,
                other => {
                    let i = text_field(other).ok_or_else(|| format!("undefined field {other}"))?;
                    // a repeated field continues the value, like Dovecot's repeated header lines
                    match &mut d.texts[i] {
                        Some(t) => {
                            t.push('\n');
                            t.push_str(&v);
                        }
                        slot => *slot = Some(v),
                    }
                }
            }
        }
        (Some("add"), "doc") => {
            let d = doc.take().ok_or("</doc> without <doc>")?;
            if d.id.is_empty() || d.uid == 0 || d.mailbox.is_empty() {
                return Err(format!(
                    "document `{}` lacks one of id, uid (non-zero), box",
                    d.id
                ));
            }
            docs.push(d);
        }
        (_, "add") => out.push(Command::Add(std::mem::take(docs))),
        (Some("delete"), "id") => delete_ids.push(std::mem::take(value)),
        (Some("delete"), "query") => out.push(Command::DeleteQuery(std::mem::take(value))),
        (_, "delete") if !delete_ids.is_empty() => {
            out.push(Command::DeleteIds(std::mem::take(delete_ids)));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dovecot_add_body() {
        let body = "<add><doc><field name=\"uid\">7</field><field name=\"box\">ab12</field>\
            <field name=\"user\">bob</field><field name=\"id\">7/ab12/bob</field>\
            <field name=\"body\">Hello &amp; bye &lt;x&gt; &#x263A;\n</field>\
            <field name=\"hdr\">Subject: hi\n</field><field name=\"subject\">hi\n</field></doc>\
            <doc><field name=\"uid\">8</field><field name=\"box\">ab12</field>\
            <field name=\"user\"></field><field name=\"id\">8/ab12</field></doc></add>";
        let cmds = parse(body.as_bytes()).unwrap();
        let [Command::Add(docs)] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].uid, 7);
        assert_eq!(docs[0].id, "7/ab12/bob");
        assert_eq!(
            docs[0].texts[1].as_deref(),
            Some("Hello & bye <x> \u{263A}\n")
        );
        assert_eq!(docs[0].texts[6].as_deref(), Some("hi\n"));
        assert_eq!(docs[0].texts[2], None);
        assert_eq!(docs[1].user, "");
    }

    #[test]
    fn delete_and_commit_bodies() {
        assert_eq!(
            parse(b"<delete><id>1/g/u</id><id>2/g/u</id></delete>").unwrap(),
            [Command::DeleteIds(vec!["1/g/u".into(), "2/g/u".into()])]
        );
        assert_eq!(
            parse(b"<delete><query>box:g AND user:u</query></delete>").unwrap(),
            [Command::DeleteQuery("box:g AND user:u".into())]
        );
        assert_eq!(
            parse(b"<commit softCommit=\"true\" waitSearcher=\"true\"/>").unwrap(),
            [Command::Commit]
        );
        assert_eq!(
            parse(b"<update><delete><id>1/g/u</id></delete><commit/></update>").unwrap(),
            [Command::DeleteIds(vec!["1/g/u".into()]), Command::Commit]
        );
    }

    #[test]
    fn bad_bodies_are_refused() {
        for body in [
            &b""[..],
            b"<add><doc><field name=\"uid\">1</field>",
            b"<add><doc><field name=\"nope\">x</field></doc></add>",
            b"<add><doc><field name=\"uid\">x</field></doc></add>",
            b"<add><doc><field name=\"body\">x</field></doc></add>",
            b"<rollback/>",
            b"<add><doc><field name=\"body\">&bogus;</field></doc></add>",
            b"<add></doc>",
            b"<add><doc boost=\"2\"/></add>",
            b"\xff\xfe",
            b"just text",
        ] {
            assert!(parse(body).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
    }
}
