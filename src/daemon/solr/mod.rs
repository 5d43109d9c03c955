//! A Solr-compatible endpoint for Dovecot 2.3's `fts_solr` plugin (`mailfts serve --solr-listen`).
//!
//! Dovecot keeps doing everything else (IMAP, storage, its own search of what the index does not
//! answer); it sends the decoded text of each message to `POST …/update` and asks
//! `GET …/select` which UIDs of a mailbox match a search key. mailfts answers both from one index
//! per Dovecot user with IMAP's semantics (case-insensitive substring), so Dovecot + mailfts gives
//! the answers of Dovecot without FTS. See `docs/dovecot.md`.
//!
//! Modules: [`http`] (the HTTP/1.1 server and routing), [`update`] (update bodies),
//! [`lucene`] (the query syntax Dovecot builds), [`select`] (the select parameters and the XML
//! answer), [`index`] (the per-user indexes and IMAP-exact evaluation).

pub mod http;
pub mod index;
pub mod lucene;
pub mod select;
pub mod update;

use std::fmt;

/// A failed request: the HTTP status and the message of Solr's error body.
#[derive(Debug)]
pub struct SolrError {
    /// HTTP status (400 for requests mailfts refuses, 500 for its own failures).
    pub code: u16,
    /// What went wrong.
    pub msg: String,
}

impl SolrError {
    /// A request that is malformed or asks for something unsupported (400).
    pub fn bad(msg: impl Into<String>) -> SolrError {
        SolrError {
            code: 400,
            msg: msg.into(),
        }
    }

    /// A failure inside mailfts (500).
    pub fn internal(e: impl fmt::Display) -> SolrError {
        SolrError {
            code: 500,
            msg: e.to_string(),
        }
    }
}

impl fmt::Display for SolrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.msg)
    }
}

impl From<tantivy::TantivyError> for SolrError {
    fn from(e: tantivy::TantivyError) -> SolrError {
        SolrError::internal(e)
    }
}

impl From<std::io::Error> for SolrError {
    fn from(e: std::io::Error) -> SolrError {
        SolrError::internal(e)
    }
}

impl From<lucene::QueryError> for SolrError {
    fn from(e: lucene::QueryError) -> SolrError {
        SolrError::bad(format!("unsupported query: {e}"))
    }
}

/// Escapes text for XML character data and attribute values.
pub fn xml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The XML body of an answer without results (`status` 0) or of an error (Solr's shape).
pub fn status_body(err: Option<&SolrError>, qtime_ms: u128) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n");
    let status = err.map_or(0, |e| e.code);
    out.push_str(&format!(
        "<lst name=\"responseHeader\"><int name=\"status\">{status}</int><int name=\"QTime\">{qtime_ms}</int></lst>\n"
    ));
    if let Some(e) = err {
        out.push_str("<lst name=\"error\"><str name=\"msg\">");
        xml_escape(&e.msg, &mut out);
        out.push_str(&format!(
            "</str><int name=\"code\">{}</int></lst>\n",
            e.code
        ));
    }
    out.push_str("</response>\n");
    out
}
