//! CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4): searches kept alive by `RETURN (UPDATE)`, whose
//! result changes are reported in unsolicited `* ESEARCH (TAG "t") [UID] ADDTO (…)` and
//! `REMOVEFROM (…)` responses until the mailbox is deselected or `CANCELUPDATE "t"`.
//!
//! The session keeps an [`Updates`] with the selected mailbox. Whenever it syncs the mailbox with
//! the store (after a command, at NOOP, while IDLE), it re-runs each live search and reports the
//! difference ([`Updates::changed`]); expunged messages are reported before the `EXPUNGE`
//! responses, with the sequence numbers the client still knows ([`Updates::expunged`]).
//!
//! As Dovecot 2.3: a search's updates carry position 0 (`ADDTO (0 5:6)`, one set per response),
//! the numbers are sequence numbers unless it was a UID SEARCH. For SORT the positions are those
//! of RFC 5267 §4.3 (Dovecot sends 0 there too, and does not announce CONTEXT=SORT): a removal is
//! `REMOVEFROM (p n)` with `p` the message's place in the sorted result the client has, and an
//! addition `ADDTO (p n)` with `p` its place once added, applied in the order sent.

use imap_codec::imap_types::extensions::sort::SortCriterion;

use crate::wire;

/// One live search.
#[derive(Debug)]
pub struct Update {
    /// The tag of the command that started it.
    pub tag: String,
    /// A UID SEARCH/SORT: report UIDs, else sequence numbers.
    pub uid: bool,
    /// The search, with sequence numbers already turned into UIDs.
    pub program: mailfts_query::SearchProgram,
    /// For a SORT: its criteria.
    pub sort: Option<Vec<SortCriterion>>,
    /// The UIDs of the result the client knows: ascending for a search, in sort order for a sort.
    pub results: Vec<u32>,
}

/// The live searches of the selected mailbox.
#[derive(Debug, Default)]
pub struct Updates {
    list: Vec<Update>,
}

impl Updates {
    /// True when no search is live.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Starts reporting changes of `update` (a search with the same tag is replaced).
    pub fn add(&mut self, update: Update) {
        self.list.retain(|u| u.tag != update.tag);
        self.list.push(update);
    }

    /// `CANCELUPDATE`: stops the searches with these tags; false when one of them was not live
    /// (the others are stopped all the same).
    pub fn cancel(&mut self, tags: &[String]) -> bool {
        let known = tags.iter().all(|t| self.list.iter().any(|u| &u.tag == t));
        self.list.retain(|u| !tags.contains(&u.tag));
        known
    }

    /// The live searches, for re-running them.
    pub fn iter(&self) -> impl Iterator<Item = &Update> {
        self.list.iter()
    }

    /// Reports `gone` (UIDs about to be announced as expunged) as removed from the results that
    /// hold them. `view` is the client's UIDs in sequence order, before the expunges.
    pub fn expunged(&mut self, out: &mut Vec<u8>, gone: &[u32], view: &[u32]) {
        if gone.is_empty() {
            return;
        }
        for u in &mut self.list {
            let keep: Vec<u32> = u
                .results
                .iter()
                .copied()
                .filter(|x| !gone.contains(x))
                .collect();
            if keep.len() == u.results.len() {
                continue;
            }
            let mut line = Vec::new();
            if u.sort.is_some() {
                removals(&mut line, u, &keep, view);
            } else {
                let removed: Vec<u32> = u
                    .results
                    .iter()
                    .copied()
                    .filter(|x| gone.contains(x))
                    .collect();
                set_item(&mut line, "REMOVEFROM", &ids(&removed, u.uid, view));
            }
            u.results = keep;
            respond(out, u, &line);
        }
    }

    /// Reports the difference between what each search's client knows and `fresh` (for each live
    /// search in [`Updates::iter`] order: its result now, `None` when it could not be run). `view`
    /// is the client's UIDs in sequence order.
    pub fn changed(&mut self, out: &mut Vec<u8>, fresh: Vec<Option<Vec<u32>>>, view: &[u32]) {
        for (u, now) in self.list.iter_mut().zip(fresh) {
            let Some(now) = now else { continue };
            if now == u.results {
                continue;
            }
            let mut line = Vec::new();
            if u.sort.is_some() {
                removals(&mut line, u, &now, view);
                let mut adds = Vec::new();
                for (i, x) in now.iter().enumerate() {
                    if !u.results.contains(x) {
                        adds.push((i + 1, *x));
                    }
                }
                for (pos, x) in adds {
                    let id = ids(&[x], u.uid, view);
                    line.extend_from_slice(format!(" ADDTO ({pos} {id})").as_bytes());
                }
            } else {
                let removed: Vec<u32> = u
                    .results
                    .iter()
                    .copied()
                    .filter(|x| now.binary_search(x).is_err())
                    .collect();
                let added: Vec<u32> = now
                    .iter()
                    .copied()
                    .filter(|x| u.results.binary_search(x).is_err())
                    .collect();
                if !removed.is_empty() {
                    set_item(&mut line, "REMOVEFROM", &ids(&removed, u.uid, view));
                }
                if !added.is_empty() {
                    set_item(&mut line, "ADDTO", &ids(&added, u.uid, view));
                }
            }
            u.results = now;
            respond(out, u, &line);
        }
    }
}

/// Appends ` REMOVEFROM (p n)` for each message of a sort result that is not in `keep`, `p` its
/// place in the result as it is after the removals before it.
fn removals(line: &mut Vec<u8>, u: &Update, keep: &[u32], view: &[u32]) {
    let mut current = u.results.clone();
    for x in &u.results {
        if keep.contains(x) {
            continue;
        }
        if let Some(p) = current.iter().position(|y| y == x) {
            current.remove(p);
            let id = ids(&[*x], u.uid, view);
            line.extend_from_slice(format!(" REMOVEFROM ({} {id})", p + 1).as_bytes());
        }
    }
}

/// ` NAME (0 set)`.
fn set_item(line: &mut Vec<u8>, name: &str, set: &str) {
    line.extend_from_slice(format!(" {name} (0 {set})").as_bytes());
}

/// The UIDs as the client names them: UIDs, or their sequence numbers in `view`, as a set.
fn ids(uids: &[u32], uid: bool, view: &[u32]) -> String {
    let mut numbers: Vec<u32> = if uid {
        uids.to_vec()
    } else {
        uids.iter()
            .filter_map(|u| view.binary_search(u).ok().map(|i| i as u32 + 1))
            .collect()
    };
    if numbers.len() > 1 && !numbers.windows(2).all(|w| w[0] < w[1]) {
        numbers.sort_unstable();
    }
    wire::sequence_set(&numbers)
}

/// `* ESEARCH (TAG "t") [UID]` and the items.
fn respond(out: &mut Vec<u8>, u: &Update, items: &[u8]) {
    if items.is_empty() {
        return;
    }
    out.extend_from_slice(b"* ESEARCH (TAG ");
    wire::string(out, u.tag.as_bytes());
    out.push(b')');
    if u.uid {
        out.extend_from_slice(b" UID");
    }
    out.extend_from_slice(items);
    out.extend_from_slice(b"\r\n");
}

/// The tags of `CANCELUPDATE "t1" "t2" …` when `command` is one (`Ok(None)`: it is another
/// command); `Err` when its arguments are broken.
pub fn cancel_update(command: &[u8]) -> Result<Option<Vec<String>>, String> {
    let Some(mut rest) = crate::wire::arguments_of(command, "CANCELUPDATE") else {
        return Ok(None);
    };
    let mut tags = Vec::new();
    while !rest.is_empty() {
        let Some(body) = rest.strip_prefix(b"\"") else {
            return Err("Invalid parameters".into());
        };
        let mut tag = Vec::new();
        let mut i = 0;
        loop {
            match body.get(i) {
                None => return Err("Invalid parameters".into()),
                Some(b'\\') if matches!(body.get(i + 1), Some(b'"' | b'\\')) => {
                    tag.push(body[i + 1]);
                    i += 2;
                }
                Some(b'"') => break,
                Some(&b) if (0x20..0x7f).contains(&b) => {
                    tag.push(b);
                    i += 1;
                }
                Some(_) => return Err("Invalid parameters".into()),
            }
        }
        tags.push(String::from_utf8_lossy(&tag).into_owned());
        rest = &body[i + 1..];
        if !rest.is_empty() {
            rest = rest.strip_prefix(b" ").ok_or("Invalid parameters")?;
            if rest.is_empty() {
                return Err("Invalid parameters".into());
            }
        }
    }
    if tags.is_empty() {
        return Err("Invalid parameters".into());
    }
    Ok(Some(tags))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(tag: &str, uid: bool, sort: bool, results: &[u32]) -> Update {
        Update {
            tag: tag.into(),
            uid,
            program: mailfts_query::SearchProgram {
                charset: None,
                key: mailfts_query::SearchKey::All,
            },
            sort: sort.then(Vec::new),
            results: results.to_vec(),
        }
    }

    fn text(out: Vec<u8>) -> String {
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn search_changes_are_sets_at_position_zero() {
        let mut ups = Updates::default();
        ups.add(update("c8", false, false, &[3]));
        ups.add(update("c10", true, false, &[2, 3]));
        let view = [1, 2, 3, 5, 7];
        let mut out = Vec::new();
        ups.changed(&mut out, vec![Some(vec![1, 2, 3]), Some(vec![3, 7])], &view);
        assert_eq!(
            text(out),
            "* ESEARCH (TAG \"c8\") ADDTO (0 1:2)\r\n\
             * ESEARCH (TAG \"c10\") UID REMOVEFROM (0 2) ADDTO (0 7)\r\n"
        );
        let mut out = Vec::new();
        ups.expunged(&mut out, &[3], &view);
        assert_eq!(
            text(out),
            "* ESEARCH (TAG \"c8\") REMOVEFROM (0 3)\r\n\
             * ESEARCH (TAG \"c10\") UID REMOVEFROM (0 3)\r\n"
        );
        let mut out = Vec::new();
        ups.changed(&mut out, vec![Some(vec![1, 2]), None], &view);
        assert!(out.is_empty());
    }

    #[test]
    fn sort_changes_carry_positions() {
        let mut ups = Updates::default();
        ups.add(update("s", true, true, &[4, 2, 9, 6]));
        let mut out = Vec::new();
        ups.changed(&mut out, vec![Some(vec![4, 10, 9, 6, 11])], &[]);
        assert_eq!(
            text(out),
            "* ESEARCH (TAG \"s\") UID REMOVEFROM (2 2) ADDTO (2 10) ADDTO (5 11)\r\n"
        );
        let mut out = Vec::new();
        ups.expunged(&mut out, &[9, 4], &[]);
        assert_eq!(
            text(out),
            "* ESEARCH (TAG \"s\") UID REMOVEFROM (1 4) REMOVEFROM (2 9)\r\n"
        );
    }

    #[test]
    fn cancel() {
        let mut ups = Updates::default();
        ups.add(update("a", false, false, &[]));
        ups.add(update("b", false, false, &[]));
        assert!(!ups.cancel(&["a".into(), "x".into()]));
        assert!(ups.cancel(&["b".into()]));
        assert!(ups.is_empty());
    }

    #[test]
    fn parses_cancelupdate() {
        assert_eq!(
            cancel_update(b"t CANCELUPDATE \"c4\" \"c\\\"13\"\r\n").unwrap(),
            Some(vec!["c4".into(), "c\"13".into()])
        );
        assert_eq!(cancel_update(b"t NOOP\r\n").unwrap(), None);
        for bad in [
            &b"t CANCELUPDATE\r\n"[..],
            b"t CANCELUPDATE \r\n",
            b"t CANCELUPDATE c4\r\n",
            b"t CANCELUPDATE \"c4\r\n",
            b"t CANCELUPDATE \"a\"\"b\"\r\n",
            b"t CANCELUPDATE \"a\" \r\n",
        ] {
            assert!(
                cancel_update(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
