//! The part of Solr's standard query syntax that Dovecot 2.3's `fts_solr` builds, parsed into a
//! boolean [`Query`].
//!
//! What Dovecot sends (`fts-backend-solr.c`):
//!
//! * `q={!lucene q.op=AND}` followed by one clause per search key, joined by ` AND ` (a search
//!   program) or ` OR ` (the arguments of an IMAP `OR`): `body:VALUE`, `(hdr:VALUE OR body:VALUE)`
//!   for TEXT, `subject:VALUE` (and `from`, `to`, `cc`, `bcc`) for the headers Solr's schema has,
//!   `hdr:VALUE` for other headers; a `-` before a negated key. VALUE is the search string with
//!   every one of `+-&|!(){}[]^"~*?:\/` and space escaped by a backslash, `""` when empty, or
//!   `word~` for a FUZZY key.
//! * `fq=+box:GUID +user:NAME` (one mailbox) or `+user:NAME +(box:A OR box:B)` (several).
//! * `q=box:GUID AND user:NAME` for the last indexed UID.
//!
//! Semantics: Lucene's where Dovecot's query is a plain conjunction (`+`, `-`, `AND`, and the
//! implicit operator `q.op`), but **a chain joined by explicit `OR` is a disjunction of its
//! operands, `-x` meaning NOT x**: Dovecot marks every OR'ed key as answered (`match_always`), so
//! it needs `(NOT x) OR y`, where Lucene would answer `y AND NOT x`. A chain that mixes explicit
//! `AND` and `OR` is refused (Dovecot never builds one). Wildcards, ranges, boosts, `field:(…)`
//! groups and other query parsers are refused as unsupported: never a wrong answer.

use std::fmt;

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// Every document (`*:*`).
    All,
    /// `field:value`: for a text field, `value` case-insensitively a substring of the field; for
    /// `id`, `box`, `user` and `uid`, equal.
    Match {
        /// Field name as written.
        field: String,
        /// The value, escapes removed.
        value: String,
    },
    /// Documents not matching the inner query.
    Not(Box<Query>),
    /// Documents matching every inner query (none: all documents).
    And(Vec<Query>),
    /// Documents matching at least one inner query (none: no document).
    Or(Vec<Query>),
}

/// Why a query was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

fn err<T>(msg: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(msg.into()))
}

/// Deepest parenthesis nesting accepted.
const MAX_DEPTH: usize = 32;

/// The implicit operator between clauses (`q.op`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultOp {
    /// Clauses without an operator are all required.
    And,
    /// Clauses without an operator are optional (Solr's default).
    Or,
}

/// Parses a `q` or `fq` value: optional `{!lucene …}` local parameters, then the query.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let (op, rest) = local_params(text)?;
    let chars: Vec<char> = rest.chars().collect();
    let mut p = Parser {
        s: &chars,
        at: 0,
        op,
    };
    let q = p.chain(0)?;
    p.skip_ws();
    if p.at != chars.len() {
        return err(format!("unexpected `{}`", chars[p.at]));
    }
    Ok(q)
}

/// Splits off `{!lucene q.op=AND}` (or `{!q.op=OR}`, `{!type=lucene}`); other parsers or
/// parameters are refused.
fn local_params(text: &str) -> Result<(DefaultOp, &str), QueryError> {
    let t = text.trim_start();
    let Some(inner) = t.strip_prefix("{!") else {
        return Ok((DefaultOp::Or, text));
    };
    let Some(end) = inner.find('}') else {
        return err("unterminated local parameters `{!…`");
    };
    let mut op = DefaultOp::Or;
    for (i, word) in inner[..end].split_whitespace().enumerate() {
        match word.split_once('=') {
            None if i == 0 && word == "lucene" => {}
            Some(("type", "lucene")) => {}
            Some(("q.op", v)) if v.eq_ignore_ascii_case("and") => op = DefaultOp::And,
            Some(("q.op", v)) if v.eq_ignore_ascii_case("or") => op = DefaultOp::Or,
            _ => return err(format!("unsupported local parameter `{word}`")),
        }
    }
    Ok((op, &inner[end + 1..]))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prefix {
    None,
    Must,
    Not,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Join {
    Implicit,
    And,
    Or,
}

struct Parser<'a> {
    s: &'a [char],
    at: usize,
    op: DefaultOp,
}

/// Characters that end an unquoted term unless escaped.
fn is_special(c: char) -> bool {
    "+-&|!(){}[]^\"~*?:\\/".contains(c)
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// The keyword `word` followed by whitespace or `(`, consumed if present.
    fn keyword(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        let matches = self.s.len() >= self.at + n
            && self.s[self.at..self.at + n]
                .iter()
                .copied()
                .eq(word.chars())
            && self
                .s
                .get(self.at + n)
                .is_none_or(|c| c.is_whitespace() || *c == '(');
        if matches {
            self.at += n;
        }
        matches
    }

    /// A chain of clauses up to `)` or the end.
    fn chain(&mut self, depth: usize) -> Result<Query, QueryError> {
        if depth > MAX_DEPTH {
            return err("query nested too deeply");
        }
        let mut clauses: Vec<(Prefix, Query)> = Vec::new();
        let mut joins: Vec<Join> = Vec::new();
        let mut pending = Join::Implicit;
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some(')') => break,
                _ => {}
            }
            if self.keyword("AND") || self.eat_str("&&") {
                if clauses.is_empty() || pending != Join::Implicit {
                    return err("misplaced AND");
                }
                pending = Join::And;
                continue;
            }
            if self.keyword("OR") || self.eat_str("||") {
                if clauses.is_empty() || pending != Join::Implicit {
                    return err("misplaced OR");
                }
                pending = Join::Or;
                continue;
            }
            let prefix = if self.keyword("NOT") {
                Prefix::Not
            } else {
                match self.peek() {
                    Some('+') => {
                        self.at += 1;
                        Prefix::Must
                    }
                    Some('-') | Some('!') => {
                        self.at += 1;
                        Prefix::Not
                    }
                    _ => Prefix::None,
                }
            };
            let clause = self.clause(depth)?;
            if !clauses.is_empty() {
                joins.push(pending);
            } else if pending != Join::Implicit {
                return err("operator before the first clause");
            }
            pending = Join::Implicit;
            clauses.push((prefix, clause));
        }
        if pending != Join::Implicit {
            return err("operator without a right operand");
        }
        combine(clauses, &joins, self.op)
    }

    fn eat_str(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        if self.s.len() >= self.at + n
            && self.s[self.at..self.at + n]
                .iter()
                .copied()
                .eq(word.chars())
        {
            self.at += n;
            true
        } else {
            false
        }
    }

    /// `( chain )`, `*:*` or `field:value`.
    fn clause(&mut self, depth: usize) -> Result<Query, QueryError> {
        if self.peek() == Some('(') {
            self.at += 1;
            let q = self.chain(depth + 1)?;
            if self.peek() != Some(')') {
                return err("missing `)`");
            }
            self.at += 1;
            return Ok(q);
        }
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || "_.-*".contains(c))
        {
            self.at += 1;
        }
        let field: String = self.s[start..self.at].iter().collect();
        if field.is_empty() || self.peek() != Some(':') {
            return err(format!(
                "expected `field:value` at `{}` (default fields are not supported)",
                self.s[start..].iter().take(40).collect::<String>()
            ));
        }
        self.at += 1;
        if field == "*" {
            if self.peek() == Some('*') {
                self.at += 1;
                return Ok(Query::All);
            }
            return err("only `*:*` may use the `*` field");
        }
        let value = match self.peek() {
            Some('"') => self.quoted()?,
            Some('(') => return err(format!("`{field}:(…)` groups are not supported")),
            _ => self.term()?,
        };
        Ok(Query::Match { field, value })
    }

    /// `"…"` with backslash escapes; a `~N` slop after it is refused.
    fn quoted(&mut self) -> Result<String, QueryError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return err("unterminated quoted value"),
                Some('"') => {
                    self.at += 1;
                    break;
                }
                Some('\\') => {
                    let Some(c) = self.s.get(self.at + 1) else {
                        return err("backslash at the end of the query");
                    };
                    out.push(*c);
                    self.at += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
        if matches!(self.peek(), Some('~' | '^')) {
            return err("proximity and boosts are not supported");
        }
        Ok(out)
    }

    /// An unquoted term: escaped characters are literal; a trailing `~` (fuzzy, as Dovecot sends
    /// for FUZZY keys) is dropped and the term matched as a substring; other specials are refused.
    fn term(&mut self) -> Result<String, QueryError> {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ')' {
                break;
            }
            if c == '\\' {
                let Some(e) = self.s.get(self.at + 1) else {
                    return err("backslash at the end of the query");
                };
                out.push(*e);
                self.at += 2;
                continue;
            }
            if c == '~' && !out.is_empty() {
                self.at += 1;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.at += 1;
                }
                if !self.peek().is_none_or(|c| c.is_whitespace() || c == ')') {
                    return err("unexpected text after `~`");
                }
                tracing::debug!(term = %out, "solr: fuzzy term answered as a substring");
                break;
            }
            if is_special(c) {
                return err(format!(
                    "unescaped `{c}` in a term (wildcards, ranges and boosts are not supported)"
                ));
            }
            out.push(c);
            self.at += 1;
        }
        if out.is_empty() {
            return err("empty term");
        }
        Ok(out)
    }
}

/// One level of clauses to a boolean query (see the module docs for the rules).
fn combine(
    clauses: Vec<(Prefix, Query)>,
    joins: &[Join],
    op: DefaultOp,
) -> Result<Query, QueryError> {
    if clauses.is_empty() {
        return err("empty query");
    }
    let has_and = joins.contains(&Join::And);
    let has_or = joins.contains(&Join::Or);
    if has_and && has_or {
        return err("a chain mixing AND and OR is not supported: use parentheses");
    }
    if has_or {
        if op == DefaultOp::And && joins.contains(&Join::Implicit) {
            return err("a chain mixing OR and the implicit AND is not supported");
        }
        let any = clauses
            .into_iter()
            .map(|(p, q)| match p {
                Prefix::Not => Query::Not(Box::new(q)),
                _ => q,
            })
            .collect();
        return Ok(simplify(Query::Or(any)));
    }
    // Lucene: `AND` makes both neighbours required; unmarked clauses follow q.op.
    let n = clauses.len();
    let mut must = Vec::new();
    let mut should = Vec::new();
    let mut not = Vec::new();
    for (i, (p, q)) in clauses.into_iter().enumerate() {
        let by_and = (i > 0 && joins[i - 1] == Join::And) || (i + 1 < n && joins[i] == Join::And);
        match p {
            Prefix::Not => not.push(Query::Not(Box::new(q))),
            Prefix::Must => must.push(q),
            Prefix::None if by_and || op == DefaultOp::And => must.push(q),
            Prefix::None => should.push(q),
        }
    }
    if must.is_empty() && !should.is_empty() {
        must.push(Query::Or(should));
    }
    if must.is_empty() {
        must.push(Query::All);
    }
    must.extend(not);
    Ok(simplify(Query::And(must)))
}

fn simplify(q: Query) -> Query {
    match q {
        Query::And(mut v) | Query::Or(mut v) if v.len() == 1 => simplify(v.remove(0)),
        other => other,
    }
}

impl Query {
    /// The user a query is restricted to: a required `user:NAME` clause.
    pub fn required_user(&self) -> Option<&str> {
        match self {
            Query::Match { field, value } if field == "user" => Some(value),
            Query::And(v) => v.iter().find_map(Query::required_user),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(field: &str, value: &str) -> Query {
        Query::Match {
            field: field.into(),
            value: value.into(),
        }
    }

    fn not(q: Query) -> Query {
        Query::Not(Box::new(q))
    }

    #[test]
    fn dovecot_search_queries() {
        assert_eq!(
            parse(r"{!lucene q.op=AND}(hdr:foo\ bar OR body:foo\ bar) AND -subject:x\:y").unwrap(),
            Query::And(vec![
                Query::Or(vec![m("hdr", "foo bar"), m("body", "foo bar")]),
                not(m("subject", "x:y")),
            ])
        );
        assert_eq!(
            parse(r#"{!lucene q.op=AND}body:"""#).unwrap(),
            m("body", "")
        );
        assert_eq!(
            parse(r"{!lucene q.op=AND}-body:a OR body:b").unwrap(),
            Query::Or(vec![not(m("body", "a")), m("body", "b")])
        );
        assert_eq!(
            parse("{!lucene q.op=AND}body:gadget~").unwrap(),
            m("body", "gadget")
        );
    }

    #[test]
    fn filters_and_last_uid() {
        let fq = parse("+box:0123abc +user:alice@example.org").unwrap();
        assert_eq!(
            fq,
            Query::And(vec![m("box", "0123abc"), m("user", "alice@example.org")])
        );
        assert_eq!(fq.required_user(), Some("alice@example.org"));
        let fq = parse(r#"+user:"" +(box:a OR box:b)"#).unwrap();
        assert_eq!(fq.required_user(), Some(""));
        assert_eq!(
            fq,
            Query::And(vec![
                m("user", ""),
                Query::Or(vec![m("box", "a"), m("box", "b")])
            ])
        );
        let q = parse("box:g AND user:bob").unwrap();
        assert_eq!(q, Query::And(vec![m("box", "g"), m("user", "bob")]));
        // Solr's default operator is OR
        assert_eq!(
            parse("box:a box:b").unwrap(),
            Query::Or(vec![m("box", "a"), m("box", "b")])
        );
        assert_eq!(parse("*:*").unwrap(), Query::All);
        assert_eq!(
            parse("-box:a").unwrap(),
            Query::And(vec![Query::All, not(m("box", "a"))])
        );
    }

    #[test]
    fn unsupported_syntax_is_refused() {
        for q in [
            "body:foo*",
            "body:fo?",
            "uid:[1 TO 5]",
            "body:(a b)",
            "foo",
            "body:a AND body:b OR body:c",
            "{!dismax}body:a",
            "{!lucene df=body}body:a",
            "(body:a",
            "body:a)",
            "body:\"a\"~2",
            "body:a^2",
            "AND body:a",
            "body:a OR",
            r"body:a\",
            "",
        ] {
            assert!(parse(q).is_err(), "{q} should be refused");
        }
        let deep = format!("{}body:a{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
    }
}
