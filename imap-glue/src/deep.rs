//! SEARCH criteria nested deeper than `imap-codec` parses.
//!
//! `imap-codec` stops `search-key` recursion at 9 levels (NOT, OR and parentheses each count),
//! while the query crate's own parser ([`mailfts_query::parse_program`]) takes
//! [`mailfts_query::MAX_DEPTH`] (64) levels, the limit of every other way into mailfts. A
//! `tag [UID] SEARCH criteria` that `imap-codec` refused is parsed here: the criteria by the query
//! crate, the rest (`tag [UID] SEARCH ALL`) by `imap-codec` as usual. The session then uses the
//! query crate's criteria ([`crate::convert::rebase`]).

use mailfts_query::SearchProgram;

/// Splits `tag [UID] SEARCH criteria CRLF` (with `RETURN (…)` already taken off, see
/// [`crate::esearch`]) into the criteria, parsed by the query crate, and the same command with the
/// criteria replaced by `ALL`. `None`: not a SEARCH, or criteria the query crate refuses too.
pub fn split_search(command: &[u8]) -> Option<(SearchProgram, Vec<u8>)> {
    let line = command
        .strip_suffix(b"\r\n")
        .or_else(|| command.strip_suffix(b"\n"))
        .unwrap_or(command);
    let mut pos = 0;
    let mut word = || -> Option<&[u8]> {
        let start = pos;
        let len = line[start..].iter().position(|&b| b == b' ')?;
        pos = start + len + 1;
        Some(&line[start..start + len])
    };
    let _tag = word()?;
    let mut name = word()?;
    if name.eq_ignore_ascii_case(b"UID") {
        name = word()?;
    }
    if !name.eq_ignore_ascii_case(b"SEARCH") {
        return None;
    }
    let criteria = std::str::from_utf8(&line[pos..]).ok()?;
    let program = mailfts_query::parse_program(criteria).ok()?;
    let mut rest = line[..pos].to_vec();
    rest.extend_from_slice(b"ALL\r\n");
    Some((program, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_criteria_are_split_off() {
        let deep = format!(
            "a1 UID SEARCH {}1:3{}\r\n",
            "NOT (".repeat(20),
            ")".repeat(20)
        );
        let (program, rest) = split_search(deep.as_bytes()).unwrap();
        assert_eq!(rest, b"a1 UID SEARCH ALL\r\n");
        assert!(program.charset.is_none());
        assert!(split_search(b"a1 FETCH 1 (FLAGS)\r\n").is_none());
        assert!(split_search(b"a1 SEARCH (((\r\n").is_none());
        let (program, _) = split_search(b"a2 SEARCH CHARSET UTF-8 SUBJECT x\r\n").unwrap();
        assert_eq!(program.charset.as_deref(), Some("UTF-8"));
    }
}
