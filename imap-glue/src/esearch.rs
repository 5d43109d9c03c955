//! ESEARCH (RFC 4731) and ESORT (RFC 5267 §3): `SEARCH RETURN (MIN MAX ALL COUNT) …`,
//! `SORT RETURN (…) (criteria) charset keys` and the `* ESEARCH` response.
//!
//! `imap-codec` parses neither, so the `RETURN (…)` part is taken off the command bytes here and the
//! rest (`tag [UID] SEARCH [CHARSET x] keys`, `tag [UID] SORT (criteria) charset keys`) is parsed
//! by `imap-codec` as a plain SEARCH or SORT.
//!
//! ```abnf
//! search          = "SEARCH" [search-return-opts] SP search-criteria
//! sort            = ["UID" SP] "SORT" [search-return-opts] SP sort-criteria SP search-criteria
//! search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"
//! search-return-opt  = "MIN" / "MAX" / "ALL" / "COUNT" /
//!                      "UPDATE" / "CONTEXT" / "PARTIAL" SP partial-range   ; RFC 5267 §4
//! partial-range   = nz-number ":" nz-number
//! ```
//!
//! The return data are in Dovecot 2.3's order: `MIN`, `MAX`, `ALL` or `PARTIAL`, `COUNT`.
//! `UPDATE` keeps the search alive ([`crate::context`]); `CONTEXT` is a hint and changes nothing.

use crate::wire;

/// The result options of one ESEARCH command. `RETURN ()` means ALL (RFC 4731 §3.1), and so does
/// `RETURN (CONTEXT)`; `RETURN (UPDATE)` alone returns nothing now (as Dovecot 2.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReturnOptions {
    /// `MIN`: the lowest match.
    pub min: bool,
    /// `MAX`: the highest match.
    pub max: bool,
    /// `ALL`: every match as a sequence set.
    pub all: bool,
    /// `COUNT`: the number of matches.
    pub count: bool,
    /// `PARTIAL m:n` (RFC 5267 §4.4): the matches at positions m to n (1-based, m ≤ n).
    pub partial: Option<(u32, u32)>,
    /// `UPDATE` (RFC 5267 §4.2): report later changes of the result.
    pub update: bool,
}

/// Splits `tag [UID] SEARCH|SORT RETURN (opts) rest` into the options and
/// `tag [UID] SEARCH|SORT rest`. `Ok(None)`: not a SEARCH or SORT with RETURN (parse it as it is). `Err`: a RETURN we do not support.
pub fn strip_return(command: &[u8]) -> Result<Option<(ReturnOptions, Vec<u8>)>, String> {
    let mut pos = 0;
    let word = |pos: &mut usize| -> Option<(usize, usize)> {
        let start = *pos;
        let end = command[start..]
            .iter()
            .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
            .map(|i| start + i)?;
        *pos = end + 1;
        Some((start, end))
    };
    let Some(_tag) = word(&mut pos) else {
        return Ok(None);
    };
    let Some((s, e)) = word(&mut pos) else {
        return Ok(None);
    };
    let mut cmd = &command[s..e];
    if cmd.eq_ignore_ascii_case(b"UID") {
        let Some((s, e)) = word(&mut pos) else {
            return Ok(None);
        };
        cmd = &command[s..e];
    }
    if !cmd.eq_ignore_ascii_case(b"SEARCH") && !cmd.eq_ignore_ascii_case(b"SORT") {
        return Ok(None);
    }
    let search_end = pos;
    let rest = &command[pos..];
    if rest.len() < 7 || !rest[..7].eq_ignore_ascii_case(b"RETURN ") {
        return Ok(None);
    }
    let rest = &rest[7..];
    if rest.first() != Some(&b'(') {
        return Err("RETURN needs a parenthesised list".into());
    }
    let close = rest
        .iter()
        .position(|&b| b == b')')
        .ok_or("unclosed RETURN list")?;
    let mut opts = ReturnOptions::default();
    let mut words = rest[1..close]
        .split(|&b| b == b' ')
        .filter(|o| !o.is_empty());
    while let Some(opt) = words.next() {
        match opt.to_ascii_uppercase().as_slice() {
            b"MIN" => opts.min = true,
            b"MAX" => opts.max = true,
            b"ALL" => opts.all = true,
            b"COUNT" => opts.count = true,
            b"UPDATE" => opts.update = true,
            b"CONTEXT" => {}
            b"PARTIAL" => {
                let range = words.next().ok_or("PARTIAL needs a range")?;
                opts.partial = Some(partial_range(range).ok_or("PARTIAL range broken")?);
            }
            other => {
                return Err(format!(
                    "unsupported RETURN option {}",
                    String::from_utf8_lossy(other)
                ))
            }
        }
    }
    if opts.partial.is_some() && opts.all {
        return Err("PARTIAL conflicts with ALL".into());
    }
    if !(opts.min || opts.max || opts.all || opts.count || opts.update || opts.partial.is_some()) {
        opts.all = true;
    }
    let after = &rest[close + 1..];
    let after = after
        .strip_prefix(b" ")
        .ok_or("search keys expected after RETURN")?;
    let mut out = command[..search_end].to_vec();
    out.extend_from_slice(after);
    Ok(Some((opts, out)))
}

/// `m:n` with 1 ≤ m, n (either order), as `(low, high)`.
fn partial_range(word: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(word).ok()?;
    let (a, b) = text.split_once(':')?;
    let num = |t: &str| -> Option<u32> {
        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
            .filter(|&n| n > 0)
    };
    let (a, b) = (num(a)?, num(b)?);
    Some((a.min(b), a.max(b)))
}

/// Appends `* ESEARCH (TAG "tag") [UID] [MIN n] [MAX n] [ALL set | PARTIAL (m:n set)] [COUNT
/// n]\r\n` (Dovecot 2.3's order). `results` ascending. With no match MIN, MAX and ALL are left out
/// (RFC 4731 §3.1) and PARTIAL's set is NIL.
pub fn response(out: &mut Vec<u8>, tag: &str, uid: bool, opts: ReturnOptions, results: &[u32]) {
    sort_response(out, tag, uid, opts, results)
}

/// The ESORT answer (RFC 5267 §3): `* ESEARCH (TAG "tag") [UID] [MIN n] [MAX n] [ALL set]
/// [COUNT n]\r\n`, `sorted` in sort order. MIN and MAX are the first and the last in sort order,
/// and ALL is a sequence set in sort order (only ascending runs joined: `2,4:5,3,1`). The order
/// of ALL and COUNT is Dovecot 2.3's.
pub fn sort_response(out: &mut Vec<u8>, tag: &str, uid: bool, opts: ReturnOptions, sorted: &[u32]) {
    head(out, tag, uid, opts, sorted);
    if opts.all && !sorted.is_empty() {
        out.extend_from_slice(format!(" ALL {}", wire::sequence_set(sorted)).as_bytes());
    }
    if let Some((low, high)) = opts.partial {
        let from = (low as usize - 1).min(sorted.len());
        let to = (high as usize).min(sorted.len());
        let set = wire::sequence_set(&sorted[from..to]);
        let set = if set.is_empty() { "NIL".into() } else { set };
        out.extend_from_slice(format!(" PARTIAL ({low}:{high} {set})").as_bytes());
    }
    if opts.count {
        out.extend_from_slice(format!(" COUNT {}", sorted.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// `* ESEARCH (TAG "tag") [UID] [MIN first] [MAX last]`: MIN and MAX only when there is a match.
fn head(out: &mut Vec<u8>, tag: &str, uid: bool, opts: ReturnOptions, results: &[u32]) {
    out.extend_from_slice(b"* ESEARCH (TAG ");
    wire::string(out, tag.as_bytes());
    out.push(b')');
    if uid {
        out.extend_from_slice(b" UID");
    }
    if let (Some(first), Some(last)) = (results.first(), results.last()) {
        if opts.min {
            out.extend_from_slice(format!(" MIN {first}").as_bytes());
        }
        if opts.max {
            out.extend_from_slice(format!(" MAX {last}").as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `RETURN (MIN MAX ALL COUNT)`.
    fn every_option() -> ReturnOptions {
        ReturnOptions {
            min: true,
            max: true,
            all: true,
            count: true,
            ..ReturnOptions::default()
        }
    }

    #[test]
    fn strips_return() {
        let (o, rest) = strip_return(b"a1 UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 ALL\r\n")
            .unwrap()
            .unwrap();
        assert!(o.min && o.count && !o.all && !o.max);
        assert_eq!(rest, b"a1 UID SEARCH CHARSET UTF-8 ALL\r\n");
        let (o, rest) = strip_return(b"a search return () seen\r\n")
            .unwrap()
            .unwrap();
        assert!(o.all);
        assert_eq!(rest, b"a search seen\r\n");
        assert_eq!(strip_return(b"a SEARCH ALL\r\n").unwrap(), None);
        assert_eq!(strip_return(b"a FETCH 1 ALL\r\n").unwrap(), None);
        assert!(strip_return(b"a SEARCH RETURN (SAVE) ALL\r\n").is_err());
        let (o, rest) = strip_return(b"a UID SORT RETURN (MAX) (SUBJECT) UTF-8 ALL\r\n")
            .unwrap()
            .unwrap();
        assert!(o.max && !o.min && !o.all && !o.count);
        assert_eq!(rest, b"a UID SORT (SUBJECT) UTF-8 ALL\r\n");
        assert_eq!(
            strip_return(b"a SORT (SUBJECT) UTF-8 ALL\r\n").unwrap(),
            None
        );
        assert!(strip_return(b"a SORT RETURN (MIN FOO) (SUBJECT) UTF-8 ALL\r\n").is_err());
    }

    #[test]
    fn context_options() {
        let opts = |c: &[u8]| strip_return(c).map(|o| o.map(|(o, _)| o));
        let o = opts(b"a SEARCH RETURN (UPDATE) ALL\r\n").unwrap().unwrap();
        assert!(o.update && !o.all);
        let o = opts(b"a SEARCH RETURN (CONTEXT) ALL\r\n").unwrap().unwrap();
        assert!(o.all && !o.update);
        let o = opts(b"a SEARCH RETURN (PARTIAL 5:2 COUNT) ALL\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((o.partial, o.count, o.all), (Some((2, 5)), true, false));
        for bad in [
            &b"a SEARCH RETURN (PARTIAL) ALL\r\n"[..],
            b"a SEARCH RETURN (PARTIAL 0:2) ALL\r\n",
            b"a SEARCH RETURN (PARTIAL -1:-2) ALL\r\n",
            b"a SEARCH RETURN (PARTIAL 1:) ALL\r\n",
            b"a SEARCH RETURN (PARTIAL 1:99999999999) ALL\r\n",
            b"a SEARCH RETURN (PARTIAL 1:2 ALL) ALL\r\n",
        ] {
            assert!(opts(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn responses() {
        let mut out = Vec::new();
        let all = every_option();
        response(&mut out, "A282", true, all, &[2, 3, 4, 10]);
        response(&mut out, "A283", false, all, &[]);
        let partial = ReturnOptions {
            partial: Some((2, 3)),
            count: true,
            ..ReturnOptions::default()
        };
        response(&mut out, "A284", false, partial, &[4, 5, 6, 9]);
        response(&mut out, "A285", false, partial, &[4]);
        // Dovecot 2.3.19: `SEARCH RETURN (MIN MAX ALL COUNT) ALL` answers
        // `* ESEARCH (TAG "c4") MIN 1 MAX 7 ALL 1:7 COUNT 7` (ALL before COUNT).
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "* ESEARCH (TAG \"A282\") UID MIN 2 MAX 10 ALL 2:4,10 COUNT 4\r\n\
             * ESEARCH (TAG \"A283\") COUNT 0\r\n\
             * ESEARCH (TAG \"A284\") PARTIAL (2:3 5:6) COUNT 4\r\n\
             * ESEARCH (TAG \"A285\") PARTIAL (2:3 NIL) COUNT 1\r\n"
        );
    }

    #[test]
    fn sort_responses() {
        let mut out = Vec::new();
        let all = every_option();
        sort_response(&mut out, "e5", false, all, &[2, 4, 5, 3, 1]);
        sort_response(&mut out, "e10", true, all, &[5, 4, 3]);
        sort_response(&mut out, "e8", false, all, &[]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "* ESEARCH (TAG \"e5\") MIN 2 MAX 1 ALL 2,4:5,3,1 COUNT 5\r\n\
             * ESEARCH (TAG \"e10\") UID MIN 5 MAX 3 ALL 5,4,3 COUNT 3\r\n\
             * ESEARCH (TAG \"e8\") COUNT 0\r\n"
        );
    }
}
