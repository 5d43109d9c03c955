//! `GET …/select`: the parameters Dovecot sends, the search, and the XML answer its
//! `solr-response.c` parses (`<response><result><doc><long name="uid">…`).
//!
//! Parameters: `q` and any number of `fq` (all ANDed; one of them must require `user:NAME`,
//! which picks the index), `fl` (`uid`, `box`, `id`, `user`, `score`, `*`), `rows` (default 10),
//! `start`, `sort` (`uid`/`box`/`score`, `asc`/`desc`, comma-separated) and `wt=xml`. Anything
//! else is refused with a 400, never ignored into a wrong answer (`indent`, `echoParams`,
//! `omitHeader` and `version` change nothing and are accepted).

use std::cmp::Ordering;

use super::index::{Hit, Indexes};
use super::lucene::{self, Query};
use super::{xml_escape, SolrError};

/// A parsed select request.
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    /// `q` and the `fq`s, ANDed.
    pub query: Query,
    /// The user the query is restricted to.
    pub user: String,
    /// Fields to return.
    pub fl: Vec<String>,
    /// Most documents to return.
    pub rows: usize,
    /// Documents to skip.
    pub start: usize,
    /// Sort keys: field and descending.
    pub sort: Vec<(String, bool)>,
}

/// Largest `rows` honoured (Dovecot asks for UIDNEXT rows, or 100,000 across mailboxes).
const MAX_ROWS: usize = 10_000_000;

impl Select {
    /// Reads the decoded query-string parameters.
    pub fn from_params(params: &[(String, String)]) -> Result<Select, SolrError> {
        let mut q = None;
        let mut fqs = Vec::new();
        let mut fl = vec!["*".to_string()];
        let mut rows = 10usize;
        let mut start = 0usize;
        let mut sort = Vec::new();
        for (k, v) in params {
            match k.as_str() {
                "q" => q = Some(lucene::parse(v)?),
                "fq" => fqs.push(lucene::parse(v)?),
                "fl" => {
                    fl = v
                        .split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    for f in &fl {
                        if !matches!(f.as_str(), "uid" | "box" | "id" | "user" | "score" | "*") {
                            return Err(SolrError::bad(format!("fl: unsupported field {f}")));
                        }
                    }
                }
                "rows" => {
                    rows = v
                        .parse::<usize>()
                        .map_err(|_| SolrError::bad(format!("rows={v} is not a number")))?
                        .min(MAX_ROWS)
                }
                "start" => {
                    start = v
                        .parse()
                        .map_err(|_| SolrError::bad(format!("start={v} is not a number")))?
                }
                "sort" => {
                    sort.clear();
                    for key in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        let (field, dir) = key.split_once(' ').unwrap_or((key, "asc"));
                        let desc = match dir.trim() {
                            "asc" => false,
                            "desc" => true,
                            d => return Err(SolrError::bad(format!("sort: bad direction {d}"))),
                        };
                        if !matches!(field, "uid" | "box" | "score") {
                            return Err(SolrError::bad(format!("sort: unsupported field {field}")));
                        }
                        sort.push((field.to_string(), desc));
                    }
                }
                "wt" if v == "xml" => {}
                "wt" => return Err(SolrError::bad(format!("wt={v}: only xml is supported"))),
                "indent" | "echoParams" | "omitHeader" | "version" => {}
                other => return Err(SolrError::bad(format!("unsupported parameter {other}"))),
            }
        }
        let q = q.ok_or_else(|| SolrError::bad("missing parameter q"))?;
        let mut all = vec![q];
        all.extend(fqs);
        let query = Query::And(all);
        super::index::validate(&query)?;
        let user = query
            .required_user()
            .ok_or_else(|| {
                SolrError::bad("the query must require a user (q or fq with +user:NAME)")
            })?
            .to_string();
        Ok(Select {
            query,
            user,
            fl,
            rows,
            start,
            sort,
        })
    }

    fn wants(&self, field: &str) -> bool {
        self.fl
            .iter()
            .any(|f| f == field || (f == "*" && field != "score"))
    }

    /// Runs the search and renders the answer.
    pub fn run(&self, indexes: &Indexes, started: std::time::Instant) -> Result<String, SolrError> {
        let mut hits = match indexes.user(&self.user, false)? {
            Some(u) => u.search(&self.query, self.wants("id"))?,
            None => Vec::new(),
        };
        // every score is the same, so `score` keeps the order of the other keys
        let order = |a: &Hit, b: &Hit| {
            for (field, desc) in &self.sort {
                let o = match field.as_str() {
                    "uid" => a.uid.cmp(&b.uid),
                    "box" => a.mailbox.cmp(&b.mailbox),
                    _ => Ordering::Equal,
                };
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        };
        hits.sort_by(order);
        let found = hits.len();
        let mut out = String::with_capacity(128 + hits.len().min(self.rows) * 96);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n");
        out.push_str(&format!(
            "<lst name=\"responseHeader\"><int name=\"status\">0</int><int name=\"QTime\">{}</int></lst>\n",
            started.elapsed().as_millis()
        ));
        out.push_str(&format!(
            "<result name=\"response\" numFound=\"{found}\" start=\"{}\">\n",
            self.start
        ));
        for h in hits.iter().skip(self.start).take(self.rows) {
            out.push_str("<doc>");
            if self.wants("id") {
                out.push_str("<str name=\"id\">");
                xml_escape(h.id.as_deref().unwrap_or(""), &mut out);
                out.push_str("</str>");
            }
            if self.wants("uid") {
                out.push_str(&format!("<long name=\"uid\">{}</long>", h.uid));
            }
            if self.wants("box") {
                out.push_str("<str name=\"box\">");
                xml_escape(&h.mailbox, &mut out);
                out.push_str("</str>");
            }
            if self.wants("user") {
                out.push_str("<str name=\"user\">");
                xml_escape(&self.user, &mut out);
                out.push_str("</str>");
            }
            if self.wants("score") {
                out.push_str("<float name=\"score\">1.0</float>");
            }
            out.push_str("</doc>\n");
        }
        out.push_str("</result>\n</response>\n");
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn dovecot_lookup_parameters() {
        let s = Select::from_params(&params(&[
            ("wt", "xml"),
            ("fl", "uid,score"),
            ("rows", "42"),
            ("sort", "uid asc"),
            ("q", "{!lucene q.op=AND}body:x"),
            ("fq", "+box:g +user:bob"),
        ]))
        .unwrap();
        assert_eq!(s.user, "bob");
        assert_eq!(s.rows, 42);
        assert_eq!(s.sort, [("uid".to_string(), false)]);
        assert!(s.wants("uid") && s.wants("score") && !s.wants("box"));
    }

    #[test]
    fn refused_parameters() {
        for p in [
            params(&[("q", "body:x")]),
            params(&[("q", "body:x AND user:u"), ("wt", "json")]),
            params(&[("q", "body:x AND user:u"), ("defType", "dismax")]),
            params(&[("q", "body:x AND user:u"), ("sort", "date asc")]),
            params(&[("q", "body:x AND user:u"), ("fl", "body")]),
            params(&[("q", "body:x AND user:u"), ("rows", "-1")]),
            params(&[("fq", "user:u")]),
            params(&[("q", "body:x OR user:u")]),
            params(&[("q", "nosuch:x AND user:u")]),
            params(&[("q", "uid:x AND user:u")]),
        ] {
            assert!(Select::from_params(&p).is_err(), "{p:?}");
        }
    }
}
