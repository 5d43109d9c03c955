//! Query sets for `demo` and `bench`: read from a file (one IMAP search program per line, `#`
//! comments), or derived from the mail itself (rare, medium and common words, a phrase, a From
//! name, a subject word), so that any Maildir gets meaningful queries.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use mailfts_extractors::MessageContent;
use mailfts_indexer::text::{char_class, tokens, CharClass};
use mailfts_store::Store;

/// Reads a query file: one program per line; blank lines and `#` comments are skipped.
pub fn from_file(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

fn is_plain_word(w: &str) -> bool {
    w.chars().count() >= 4
        && w.chars()
            .all(|c| char_class(c) == CharClass::Word && !c.is_ascii_digit())
}

/// Derives a query set from up to `sample` messages spread over `mailbox`.
pub fn derive(store: &Store, mailbox: &str, sample: usize) -> anyhow::Result<Vec<String>> {
    let snap = store.mailbox(mailbox)?.sync()?;
    let n = snap.messages().len();
    if n == 0 {
        return Ok(vec!["ALL".into()]);
    }
    let step = (n / sample.max(1)).max(1);
    let mut df: HashMap<String, usize> = HashMap::new();
    let mut phrase = None;
    let mut from_word = None;
    let mut subject_word = None;
    let mut seen = 0usize;
    for m in snap.messages().iter().step_by(step).take(sample) {
        let Ok(raw) = m.read() else { continue };
        let c = MessageContent::parse(&raw);
        seen += 1;
        let mut words: Vec<String> = tokens(&c.body)
            .into_iter()
            .filter(|w| is_plain_word(w))
            .collect();
        if phrase.is_none() {
            for line in c.body.lines().skip(3) {
                let ws: Vec<&str> = line.split(' ').collect();
                if let Some(pair) = ws
                    .windows(2)
                    .find(|p| is_plain_word(p[0]) && is_plain_word(p[1]))
                {
                    phrase = Some(format!("{} {}", pair[0], pair[1]));
                    break;
                }
            }
        }
        if from_word.is_none() {
            from_word = c
                .header_values("from")
                .next()
                .and_then(|f| tokens(f).into_iter().find(|w| is_plain_word(w)));
        }
        if subject_word.is_none() {
            subject_word = c.header_values("subject").next().and_then(|s| {
                tokens(s)
                    .into_iter()
                    .find(|w| is_plain_word(w) && w.len() >= 5)
            });
        }
        words.sort();
        words.dedup();
        for w in words {
            *df.entry(w).or_default() += 1;
        }
    }
    let mut by_df: Vec<(String, usize)> = df.into_iter().collect();
    by_df.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = Vec::new();
    if let Some((w, _)) = by_df.iter().find(|(w, _)| w.len() >= 5) {
        out.push(format!("TEXT {w}"));
    }
    let medium = seen / 20;
    if let Some((w, _)) = by_df
        .iter()
        .find(|(w, d)| *d <= medium.max(2) && w.len() >= 5)
    {
        out.push(format!("BODY {w}"));
    }
    if let Some((w, _)) = by_df.iter().rev().find(|(w, d)| *d == 1 && w.len() >= 7) {
        out.push(format!("TEXT {w}"));
    }
    if let Some(p) = phrase {
        out.push(format!("BODY \"{p}\""));
    }
    if let Some(f) = from_word {
        out.push(format!("FROM {f}"));
    }
    if let Some(s) = subject_word {
        out.push(format!("SUBJECT {s}"));
        out.push(format!("OR HEADER SUBJECT {s} HEADER FROM {s}"));
    }
    Ok(out)
}
