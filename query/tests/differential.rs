//! Differential tests: every search program is answered through the index (both `Mode::Index` and
//! its alias `Mode::Exact`) and the linear scan, on real Maildir homes generated with seeds; the
//! index must always equal the scan, mid-word strings and identifiers included. (Model: ripgrep's
//! searcher testutil, one case through every code path.)
//!
//! The home is indexed, then changed behind the index's back (new messages delivered, some
//! expunged), so every search also exercises the unindexed-tail scan and the expunge filter.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::rescan::{rescan, NoProgress, RescanOptions};
use mailfts_indexer::terms::TermText;
use mailfts_query::exec::{Engine, Mode};
use mailfts_query::parse::parse_program;
use mailfts_store::Store;
use proptest::prelude::*;

struct Home {
    _dir: tempfile::TempDir,
    maildir: PathBuf,
    index: PathBuf,
}

/// Writes `count` generated messages plus the fixtures, indexes most of them, then delivers the
/// rest and expunges a few so the index is behind the store.
fn build_home(seed: u64, count: usize) -> Home {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let index = dir.path().join("mailfts");
    let spec = mailfts_corpora::CorpusSpec::new(seed, count);
    // the first 85 % now, indexed
    let indexed = count * 85 / 100;
    for i in 0..indexed {
        deliver(&maildir, &mailfts_corpora::generate_message(&spec, i));
    }
    for (n, (name, bytes)) in mailfts_corpora::fixture_messages().into_iter().enumerate() {
        let file = format!(
            "1600000000.F{n}.fixture-{}:2,S",
            name.replace(['/', ':', ' '], "_")
        );
        write_file(
            &maildir.join("cur").join(file),
            &bytes,
            1_600_000_000 + n as i64 * 3600,
        );
    }
    let store = Store::open(&maildir).unwrap();
    let home = HomeIndex::open_or_create(&index).unwrap();
    let stats = rescan(&home, &store, &RescanOptions::default(), &NoProgress).unwrap();
    assert!(
        stats.added as usize >= indexed,
        "rescan added {}",
        stats.added
    );
    // behind the index's back: the rest arrives, a few are expunged
    for i in indexed..count {
        deliver(&maildir, &mailfts_corpora::generate_message(&spec, i));
    }
    let mut removed = 0;
    for entry in std::fs::read_dir(maildir.join("cur"))
        .unwrap()
        .flatten()
        .step_by(37)
    {
        std::fs::remove_file(entry.path()).unwrap();
        removed += 1;
    }
    assert!(removed > 0);
    Home {
        _dir: dir,
        maildir,
        index,
    }
}

fn deliver(maildir: &Path, m: &mailfts_corpora::GeneratedMessage) {
    let folder = if m.folder == "INBOX" {
        maildir.to_path_buf()
    } else {
        maildir.join(format!(".{}", m.folder))
    };
    let sub = if m.in_new { "new" } else { "cur" };
    write_file(
        &folder.join(sub).join(&m.file_name),
        &m.bytes,
        m.internal_date,
    );
}

fn write_file(path: &Path, bytes: &[u8], mtime: i64) {
    let dir = path.parent().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.parent().unwrap().join(sub)).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime as u64))
        .unwrap();
}

fn home() -> &'static Home {
    static HOME: OnceLock<Home> = OnceLock::new();
    HOME.get_or_init(|| build_home(7, 400))
}

/// Runs one program through scan, exact and default mode on every mailbox; exact must equal scan.
/// Returns (scan, default) answers of INBOX.
#[track_caller]
fn check(program: &str) -> (Vec<u32>, Vec<u32>) {
    check_in(home(), program)
}

/// [`check`] on the home `h`.
#[track_caller]
fn check_in(h: &Home, program: &str) -> (Vec<u32>, Vec<u32>) {
    let store = Store::open(&h.maildir).unwrap();
    let index = HomeIndex::open(&h.index).unwrap().expect("index exists");
    let engine = Engine::new(&store, Some(&index));
    let parsed = parse_program(program).unwrap_or_else(|e| panic!("{program}: {e}"));
    let mut inbox = (Vec::new(), Vec::new());
    for mailbox in store.list_mailboxes().unwrap() {
        let scan = engine.search(&mailbox, &parsed, Mode::Scan).unwrap();
        let exact = engine.search(&mailbox, &parsed, Mode::Exact).unwrap();
        assert_eq!(
            exact.uids, scan.uids,
            "{mailbox}: `{program}`: exact mode differs from the scan\nplan: {:#?}",
            exact.explain
        );
        let default = engine.search(&mailbox, &parsed, Mode::Index).unwrap();
        if mailbox == "INBOX" {
            inbox = (scan.uids, default.uids);
        }
    }
    inbox
}

/// Like [`check`], and the default mode must agree too (it is the same engine: every string).
#[track_caller]
fn check_all_modes(program: &str) -> Vec<u32> {
    let (scan, default) = check(program);
    assert_eq!(
        default, scan,
        "`{program}`: default mode differs from the scan"
    );
    scan
}

#[test]
fn metadata_keys() {
    for p in [
        "ALL",
        "SEEN",
        "UNSEEN",
        "ANSWERED",
        "UNANSWERED",
        "FLAGGED",
        "DELETED",
        "DRAFT",
        "UNDRAFT",
        "NEW",
        "OLD",
        "RECENT",
        "NOT SEEN",
        "1:10",
        "2,4,6:*",
        "*",
        "UID 1:5",
        "UID 3:*",
        "LARGER 5000",
        "SMALLER 2000",
        "SINCE 1-Jan-2024",
        "BEFORE 1-Jun-2023",
        "ON 15-Mar-2024",
        "SENTSINCE 1-Jan-2024",
        "SENTBEFORE 1-Jan-2023",
        "SENTON 14-Sep-2020",
        "OR SEEN FLAGGED",
        "NOT (SEEN ANSWERED)",
        "KEYWORD $Forwarded",
        "UNKEYWORD foo",
    ] {
        check_all_modes(p);
    }
}

#[test]
fn header_keys_are_exact_substrings() {
    for p in [
        "FROM example",
        "FROM example.org",
        "FROM user",
        "FROM .",
        "TO mail.example",
        "CC a",
        "BCC e",
        "SUBJECT re",
        "SUBJECT \"Re: \"",
        "HEADER SUBJECT \"\"",
        "HEADER MESSAGE-ID @",
        "HEADER List-Id \"\"",
        "HEADER X-Mailer \"\"",
        "HEADER Received by",
        "HEADER CONTENT-TYPE multipart",
        "OR HEADER SUBJECT the HEADER FROM the",
        "SUBJECT straße",
        "SUBJECT STRASSE",
        "FROM \"<\"",
    ] {
        check_all_modes(p);
    }
}

#[test]
fn body_and_text_words_phrases_and_edges() {
    for p in [
        "BODY usb",
        "BODY gadget",
        "TEXT gadget",
        "BODY \"usb_gadget\"",
        "BODY \"gadget probe\"",
        "TEXT example.org",
        "BODY straße",
        "BODY STRASSE",
        "TEXT ПРИВЕТ",
        "BODY 東京",
        "BODY 京",
        "BODY \"\"",
        "BODY \"--\"",
        "TEXT \" the\"",
        "BODY \"the \"",
        "BODY \"> \"",
        // a field name and the first ideograph of its value (a pair across the colon)
        "TEXT \"From: 郭\"",
        "TEXT \"rom: 郭晓\"",
    ] {
        check_all_modes(p);
    }
    // strings that begin inside a word: the index finds them too
    for p in [
        "BODY ello",
        "BODY adget",
        "TEXT xample",
        "BODY \"sb_gad\"",
        "NOT BODY tion",
        "NOT BODY the",
        "OR BODY usb NOT TEXT the",
    ] {
        check_all_modes(p);
    }
}

#[test]
fn default_mode_misses_only_mid_word_starts() {
    let (scan, default) = check("BODY adget");
    assert!(default.iter().all(|u| scan.contains(u)));
    assert_eq!(default, scan, "mid-word strings are found by the index");
}

/// The fixture messages' identifiers, hashes and signatures are opaque runs: found through the
/// gram fields and verified, at every position inside them.
#[test]
fn opaque_runs_are_found_anywhere_inside() {
    for p in [
        "TEXT 9f86d081884c7d659a2feaa0c55ad015",
        "TEXT 884c7d659a2f",
        "TEXT c7d",
        "BODY 9f86d08",
        "TEXT \"bh=\"",
        "TEXT 20190401123456",
        "TEXT 0401123",
        "TEXT \"<20190401123456.\"",
        "HEADER DKIM-Signature mK2pQ",
        "NOT TEXT 884c7d",
    ] {
        check_all_modes(p);
    }
}

/// Without a column cache (`limits.column_cache_mb = 0`) every header column is searched
/// streamed, a block at a time, its sealed base and its log: the answers are the scan's, as with
/// loaded columns. (Other tests of this binary that run meanwhile stream too; their answers do not
/// depend on it either.)
#[test]
fn streamed_columns_answer_as_loaded_ones() {
    use mailfts_indexer::column_cache;
    let h = build_home(11, 300);
    let index = HomeIndex::open(&h.index).unwrap().expect("index exists");
    let mut ids: Vec<u32> = index.columns().files().iter().map(|f| f.1).collect();
    ids.dedup();
    for id in ids {
        index.columns().seal(id, None).unwrap();
    }
    let sealed = index.columns().files();
    assert!(sealed
        .iter()
        .all(|f| f.0.extension().is_some_and(|e| e == "zst")));
    // a log beside the sealed bases: the messages delivered after the rescan
    let store = Store::open(&h.maildir).unwrap();
    rescan(&index, &store, &RescanOptions::default(), &NoProgress).unwrap();
    let check_all = |p: &&str| {
        let (scan, default) = check_in(&h, p);
        assert_eq!(default, scan, "`{p}`: default mode differs from the scan");
        scan
    };
    let programs = [
        "FROM example",
        "FROM user",
        "TO mail.example",
        "SUBJECT re",
        "HEADER SUBJECT \"\"",
        "HEADER MESSAGE-ID @",
        "OR HEADER SUBJECT the HEADER FROM the",
        "TEXT 884c7d659a2f",
        "TEXT c7d",
        "BODY 9f86d08",
        "TEXT \"<20190401123456.\"",
        "TEXT gadget",
        "NOT TEXT 884c7d",
    ];
    let loaded: Vec<Vec<u32>> = programs.iter().map(check_all).collect();
    column_cache::set_budget(0);
    let streamed: Vec<Vec<u32>> = programs.iter().map(check_all).collect();
    column_cache::set_budget(column_cache::DEFAULT_BUDGET_BYTES);
    assert_eq!(streamed, loaded);
    assert!(loaded.iter().any(|uids| !uids.is_empty()));
}

/// The word only in the HTML alternative is found, the script's word is not; identifiers are found
/// from any position inside them (fixtures `html_alternative` and `identifiers`).
#[test]
fn every_text_part_and_identifiers_are_found() {
    for (program, found) in [
        ("BODY zanzibarite", true),
        ("TEXT ZANZIBARITE", true),
        ("BODY \"attached zanzibarite file\"", true),
        ("TEXT hiddenscriptword", false),
        ("TEXT 884c7d659a2f", true),
        ("BODY a3bf4f1b2b0b822c", true),
        ("TEXT 0401123", true),
        ("TEXT \"<20190401123456.31337-1-\"", true),
        ("HEADER DKIM-Signature mk2pqz9", true),
        ("TEXT \"mK2pQz9LwT4vR8nB3cY6hJ1sD5fG0aE2uI9oP7kMQx7Zr4Yt8Wq1Ls6Nd3Hf0Gj5Ka2Pb9Xc7Vm4Bn1\"", true),
        ("BODY mK2pQz9", false),
    ] {
        let hits = check_all_modes(program);
        assert_eq!(!hits.is_empty(), found, "`{program}`: {hits:?}");
    }
}

/// Every `(UID, text)` of the indexed messages of INBOX, for drawing substrings from.
fn texts() -> &'static Vec<String> {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let h = home();
        let store = Store::open(&h.maildir).unwrap();
        let snapshot = store.mailbox("INBOX").unwrap().sync().unwrap();
        let mut out = Vec::new();
        for m in snapshot.messages().iter().step_by(5) {
            let raw = m.read().unwrap();
            let c = mailfts_query::MessageContent::parse(&raw);
            for t in [c.header_block(), c.body, c.attachments] {
                if !t.is_empty() {
                    out.push(t);
                }
            }
        }
        out
    })
}

/// The substring of `text` of `len` characters starting at character `at` (both taken modulo
/// the text), quoted for IMAP; `None` when it holds characters a quoted string cannot.
fn quoted_substring(text: &str, at: usize, len: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let start = at % chars.len();
    let end = (start + len).min(chars.len());
    let s: String = chars[start..end].iter().collect();
    if s.chars().any(|c| c.is_control()) {
        return None;
    }
    Some(format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    /// Random substrings (mid-word, 1–2 characters, across separators, non-ASCII and CJK where the
    /// generated mail has them, folded case) of random indexed texts: index == scan.
    #[test]
    fn random_substrings_agree_with_the_scan(
        pick in any::<usize>(),
        at in any::<usize>(),
        len in prop_oneof![1usize..3, 3usize..8, 8usize..24],
        key in prop_oneof![Just("TEXT"), Just("BODY")],
        upper in any::<bool>(),
    ) {
        let all = texts();
        let text = &all[pick % all.len()];
        if let Some(q) = quoted_substring(text, at, len) {
            let q = if upper { q.to_uppercase() } else { q };
            check_all_modes(&format!("{key} {q}"));
        }
    }
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("the".to_string()),
        Just("usb".into()),
        Just("gadget".into()),
        Just("example".into()),
        Just("re".into()),
        Just("straße".into()),
        Just("ello".into()),
        Just("東京".into()),
        Just("привет".into()),
        Just("a".into()),
        Just("user".into()),
        Just("org".into()),
        Just("probe".into()),
        "[a-z]{1,4}",
    ]
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        word().prop_map(|w| format!("BODY \"{w}\"")),
        word().prop_map(|w| format!("TEXT \"{w}\"")),
        (word(), word()).prop_map(|(a, b)| format!("BODY \"{a} {b}\"")),
        (word(), word()).prop_map(|(a, b)| format!("TEXT \"{a}_{b}\"")),
        word().prop_map(|w| format!("SUBJECT \"{w}\"")),
        word().prop_map(|w| format!("FROM \"{w}\"")),
        word().prop_map(|w| format!("HEADER X-Mailer \"{w}\"")),
        Just("SEEN".to_string()),
        Just("FLAGGED".into()),
        Just("NEW".into()),
        Just("SINCE 1-Jan-2024".into()),
        Just("LARGER 4000".into()),
        Just("UID 1:50".into()),
        Just("SENTBEFORE 1-Mar-2023".into()),
    ]
}

fn program() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| format!("NOT {k}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("OR {a} {b}")),
            prop::collection::vec(inner, 1..3).prop_map(|ks| format!("({})", ks.join(" "))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn random_programs_agree_with_the_scan(p in program()) {
        check(&p);
    }
}

/// Verification parses only what a key looks at (`MessageContent::parse_body_with` for BODY, its
/// attachments only when the body does not match,
/// `MessageContent::parse_headers` for header keys); the index and the scan both take those paths,
/// so their equivalence with the full parse is checked on its own: on generated mail, every
/// fixture (malformed ones included), damaged copies of them, and copies dated in obsolete zones.
#[test]
fn partial_parses_equal_the_full_parse() {
    let limits = mailfts_extractors::Limits::default();
    let spec = mailfts_corpora::CorpusSpec::new(11, 400);
    let mut messages: Vec<Vec<u8>> = (0..400)
        .map(|i| mailfts_corpora::generate_message(&spec, i).bytes)
        .collect();
    messages.extend(
        mailfts_corpora::fixture_messages()
            .into_iter()
            .map(|(_, b)| b),
    );
    let originals = messages.len();
    for i in 0..originals {
        let m = messages[i].clone();
        let cut = m.len() * 2 / 3;
        messages.push(m[..cut].to_vec());
        let mut flipped = m.clone();
        for b in flipped.iter_mut().skip(7).step_by(97) {
            *b ^= 0x20;
        }
        messages.push(flipped);
        if i % 4 == 0 {
            messages.push(with_obsolete_zone(&m, ["UT", "Z", "A", "EDT"][i / 4 % 4]));
        }
    }
    let (mut with_attachments, mut read_at_once) = (0, 0);
    for (i, raw) in messages.iter().enumerate() {
        let full = mailfts_query::MessageContent::parse_with(raw, &limits);
        let body = mailfts_query::MessageContent::parse_body_with(raw, &limits);
        assert_eq!(body.body, full.body, "message {i}: body");
        // attachments are extracted only when BODY needs them: skipped (and empty), or equal
        if body.attachments_skipped {
            assert!(
                body.attachments.is_empty(),
                "message {i}: skipped attachments"
            );
        } else {
            assert_eq!(
                body.attachments, full.attachments,
                "message {i}: attachments"
            );
        }
        with_attachments += usize::from(body.attachments_skipped);
        read_at_once += usize::from(!body.attachments_skipped && !full.attachments.is_empty());
        let head = mailfts_query::MessageContent::parse_headers(raw);
        assert_eq!(head.headers, full.headers, "message {i}: headers");
        assert_eq!(head.sent_date, full.sent_date, "message {i}: sent date");
    }
    assert!(
        with_attachments > 10 && read_at_once > 10,
        "documents left for later: {with_attachments}; other attachments read at once: {read_at_once}"
    );
}

/// `raw` with bare LF line ends and its `Date` field's time zone replaced by `zone` (an obsolete
/// zone name of RFC 5322 4.3 when it is `UT`, `Z` or a military letter; the date field moved to
/// the end of the header block): what made mail-parser's date parser read past the field.
fn with_obsolete_zone(raw: &[u8], zone: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines: Vec<String> = Vec::new();
    let mut date = None;
    for line in head.lines() {
        match line.strip_prefix("Date: ") {
            Some(d) if date.is_none() => {
                let keep = d.rsplit_once(' ').map_or(d, |(rest, _)| rest);
                date = Some(format!("Date: {keep} {zone}"));
            }
            _ => lines.push(line.to_string()),
        }
    }
    lines.push(date.unwrap_or_else(|| format!("Date: Sun, 25 Aug 2002 16:50:54 {zone}")));
    format!("{}\n\n{body}", lines.join("\n")).into_bytes()
}

/// Phrases of two frequent words (the index's pair forms, separated by a space)
/// are narrowed by the word pairs (shown in the plan) and still answer exactly as the scan, with
/// the words cut inside (`sb gadg`-style pieces) too.
#[test]
fn word_pairs_narrow_phrases_of_frequent_words() {
    let h = home();
    let index = HomeIndex::open(&h.index).unwrap().expect("index exists");
    let meta = index.meta().unwrap();
    assert!(
        !meta.pair_left.is_empty() && !meta.pair_right.is_empty(),
        "a new index chooses its pair forms"
    );
    let store = Store::open(&h.maildir).unwrap();
    let engine = Engine::new(&store, Some(&index));
    // adjacent frequent words as they occur in the indexed texts
    let pairs = mailfts_indexer::pairs::PairWords::new(&meta.pair_left, &meta.pair_right);
    let mut phrases = std::collections::BTreeSet::new();
    for text in texts() {
        let mut found = mailfts_indexer::termset::TermSet::default();
        pairs.collect(
            &mailfts_indexer::text::fold(text),
            mailfts_indexer::pairs::TextScope::Body,
            &mut found,
        );
        phrases.extend(
            found
                .iter()
                .filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '))
                .map(String::from),
        );
    }
    assert!(phrases.len() >= 5, "pairs found: {phrases:?}");
    let mut narrowed = 0;
    for phrase in phrases.iter().step_by(phrases.len() / 5).take(5) {
        for q in [phrase.clone(), phrase[1..phrase.len() - 1].to_string()] {
            let program = format!("BODY \"{q}\"");
            check_all_modes(&program);
            let parsed = parse_program(&program).unwrap();
            let answer = engine.search("INBOX", &parsed, Mode::Index).unwrap();
            if answer
                .explain
                .steps
                .iter()
                .any(|s| s.contains("word pair(s) narrowed"))
            {
                narrowed += 1;
            }
        }
    }
    assert!(narrowed >= 5, "pairs used in {narrowed} of 10 phrases");
}

/// A pair hit proves a two-word phrase without reading the message, but only in the text it was
/// found in: a phrase in a Subject proves TEXT, never BODY; variants around the words (`xusb`,
/// `gadgetfs`, other separators, case) are answered as the scan answers them.
#[test]
fn pair_proofs_stay_in_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let mail = |n: usize, subject: &str, body: &str| {
        let headers = format!(
            "From: Greg <greg@example.org>\r\nTo: list@example.org\r\nSubject: {subject}\r\n\
             Message-ID: <m{n}@example.org>\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\n"
        );
        write_numbered(&maildir, n, &headers, body);
    };
    // enough ordinary messages for `usb`, `gadget`, `by`, `greg` to be frequent forms
    for n in 0..20 {
        mail(
            n,
            "weekly notes",
            &format!(
                "The usb gadget {n} works.\r\nSigned-off-by: Greg <greg@example.org>\r\n\
                 The quarterly gadget report."
            ),
        );
    }
    mail(20, "usb gadget in the subject only", "nothing here");
    mail(21, "variants", "an xusb gadgetfs driver");
    mail(
        22,
        "other separators",
        "USB-Gadget and usb: gadget and usb\r\ngadget",
    );
    mail(23, "split", "usb and then gadget");
    mail(24, "acked", "Acked-by: Greg and Signed-off-by: Alan");
    // rare words next to frequent ones across `: ` (paired) and a space (not paired)
    mail(
        25,
        "rare",
        "Reviewed-by: Gregkh\r\nnearby: greg\r\nstandby gadgetry",
    );
    mail(26, "rare", "Reported-by: Gregory (by: gregory)");
    mail(
        27,
        "chains",
        "X-Signed-off-by: Gregory\r\nsigned-off-by:  greg, signed-off-by: x, signed-off-by:\r\ngreg",
    );
    let (store, home) = indexed(dir.path());
    let meta = home.meta().unwrap();
    for w in ["usb", "gadget", "by", "greg"] {
        assert!(
            meta.pair_left.iter().any(|f| f == w) || meta.pair_right.iter().any(|f| f == w),
            "{w} is a pair form: {:?} {:?}",
            meta.pair_left,
            meta.pair_right
        );
    }
    let engine = Engine::new(&store, Some(&home));
    let mut proven = 0;
    // a pair proves a piece that its covering form holds whole: `quarterly` is a frequent form
    // (so is any piece it ends with), `gadgetry` is covered by the shorter `gadget`; a trailer is
    // proven by its chain when the chain is a frequent form (`signed-off-by`, not `acked-by` or a
    // part of a chain)
    for (program, proof) in [
        ("BODY \"quarterly gadget\"", true),
        ("BODY \"arterly gadget\"", true),
        ("BODY \"usb gadgetry\"", false),
        ("BODY \"Signed-off-by: Greg\"", true),
        ("BODY \"igned-off-by: Gre\"", false),
        ("BODY \"off-by: Greg\"", false),
        ("BODY \"Acked-by: Greg\"", false),
    ] {
        let index = index_equals_scan(&engine, program);
        let proved = index
            .explain
            .steps
            .iter()
            .any(|s| s.contains("proven by their pair"));
        assert_eq!(proved, proof, "`{program}`: {:?}", index.explain.steps);
    }
    for program in [
        "BODY \"usb gadget\"",
        "TEXT \"usb gadget\"",
        "BODY \"sb gadg\"",
        "TEXT \"sb gadg\"",
        "BODY \"usb-gadget\"",
        "BODY \"usb: gadget\"",
        "BODY \"by: greg\"",
        "BODY \"Signed-off-by: Greg\"",
        "BODY \"Signed-off-by: Gregory\"",
        "BODY \"off-by: Gr\"",
        "BODY \"signed-off-by: x\"",
        "BODY \"by: gregk\"",
        "BODY \"y: gre\"",
        "BODY \"by gadget\"",
        "TEXT \"by: greg\"",
        "BODY \" usb gadget\"",
        "BODY \"usb gadget \"",
        "SUBJECT \"usb gadget\"",
    ] {
        let index = index_equals_scan(&engine, program);
        if index
            .explain
            .steps
            .iter()
            .any(|s| s.contains("proven by their pair"))
        {
            proven += 1;
        }
    }
    // 20 ordinary messages and `xusb gadgetfs`; the subject-only message in TEXT, not BODY; the
    // other separators and the split words in neither
    let uids = |p: &str| {
        engine
            .search("INBOX", &parse_program(p).unwrap(), Mode::Index)
            .unwrap()
            .uids
    };
    assert_eq!(uids("TEXT \"usb gadget\"").len(), 22);
    assert_eq!(uids("BODY \"usb gadget\"").len(), 21);
    assert!(proven >= 6, "pairs proved {proven} phrases");
}

/// FROM, TO, CC and BCC match an address also without its comments and white space (as Dovecot
/// does); HEADER on those fields matches the value as written. Both are answered from the header
/// columns and must equal the scan.
#[test]
fn address_keys_through_comments_equal_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let froms = [
        "<user (comment)@ (comment) example.org>",
        "\"Real Name\" <user@example.org>",
        "user@example.org (Some User)",
        "Greg  Kroah-Hartman <gregkh @ linuxfoundation.org>",
        "plain@example.org",
        "\"quoted (not a comment)\" <q@example.org>",
    ];
    for (n, from) in froms.iter().enumerate() {
        let bytes = format!(
            "From: {from}\r\nTo: list (the list) @example.org\r\nCc: a@example.org, b (bee) @ example.org\r\n\
             Subject: s{n}\r\nMessage-ID: <a{n}@example.org>\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\n\r\nbody\r\n"
        );
        write_file(
            &maildir
                .join("cur")
                .join(format!("17000001{n:02}.M{n}.host:2,S")),
            bytes.as_bytes(),
            1_700_000_100 + n as i64,
        );
    }
    let (store, home) = indexed(dir.path());
    let engine = Engine::new(&store, Some(&home));
    let mut answers = Vec::new();
    for program in [
        "FROM user@example.org",
        "HEADER FROM user@example.org",
        "FROM \"gregkh@linuxfoundation.org\"",
        "HEADER FROM \"gregkh@linuxfoundation.org\"",
        "FROM \"greg kroah\"",
        "FROM \"(comment)\"",
        "FROM \"not a comment\"",
        "TO list@example.org",
        "HEADER TO list@example.org",
        "CC b@example.org",
        "BCC nobody",
        "SUBJECT s1",
    ] {
        let index = index_equals_scan(&engine, program);
        assert_eq!(index.explain.source, "index", "`{program}`");
        answers.push(index.uids.len());
    }
    // the address forms find more than the values as written
    assert_eq!(answers[0], 3, "FROM user@example.org");
    assert_eq!(answers[1], 2, "HEADER FROM user@example.org");
    assert_eq!((answers[2], answers[3]), (1, 0), "gregkh");
    assert_eq!((answers[7], answers[8]), (6, 0), "TO");
}

/// Identifiers joined by `_` are answered from the `joined` field's chains: proven where a chain
/// holds them (opaque runs included), verified where the chain is too long to be a term, and never
/// found across a double `_`, a space, or from one text into another.
#[test]
fn joined_words_are_proven_by_their_chains() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let mail = |n: usize, subject: &str, content_type: &str, body: &str| {
        let headers = format!(
            "From: Greg <greg@example.org>\r\nSubject: {subject}\r\nMessage-ID: <m{n}@example.org>\r\n\
             Date: Thu, 1 Jan 2026 10:00:00 +0000\r\nContent-Type: {content_type}\r\n"
        );
        write_numbered(&maildir, n, &headers, body);
    };
    let plain = "text/plain; charset=utf-8";
    let long = vec!["segment"; 20].join("_");
    mail(1, "calls", plain, "call usb_submit_urb() failed: -19");
    mail(2, "USB_SUBMIT_URB failed", plain, "nothing here");
    mail(3, "spaces", plain, "usb submit urb, usb-submit-urb");
    mail(4, "longer", plain, "xusb_submit_urbs here");
    // an opaque first run (letters and digits, 10 characters or more)
    mail(5, "opaque", plain, "abc0123456789usb_submit_urb");
    mail(6, "long", plain, &format!("{long}_usb_submit_urb_{long}"));
    mail(7, "double", plain, "usb__submit_urb and usb_ submit");
    mail(8, "html", "text/html", "<p>usb<b>_submit</b>_urb</p>");
    mail(
        9,
        "split",
        plain,
        "usb_submit\r\n_urb and usb_\r\nsubmit_urb",
    );
    let (store, home) = indexed(dir.path());
    let engine = Engine::new(&store, Some(&home));
    for (program, hits, joined) in [
        ("TEXT usb_submit_urb", 6, true),
        ("BODY usb_submit_urb", 5, true),
        ("BODY USB_SUBMIT_URB", 5, true),
        ("TEXT b_submit_u", 6, true),
        ("BODY submit_urb", 7, true),
        ("TEXT \"sb_sub\"", 7, true),
        ("BODY segment_segment_usb", 1, true),
        ("TEXT \"usb_submit_urb(\"", 1, false),
        ("BODY \"_submit_urb\"", 6, false),
        ("BODY \"usb_ submit\"", 1, false),
    ] {
        let answer = index_equals_scan(&engine, program);
        assert_eq!(answer.uids.len(), hits, "`{program}`: {:?}", answer.uids);
        let by_chains = answer
            .explain
            .steps
            .iter()
            .any(|s| s.contains("joined by `_`"));
        assert_eq!(
            by_chains, joined,
            "`{program}`: {:#?}",
            answer.explain.steps
        );
    }
    // the long chain is verified, the others proven
    let answer = index_equals_scan(&engine, "BODY usb_submit_urb");
    assert_eq!(answer.explain.verified, 1, "{:#?}", answer.explain);
    // proven through the opaque run; the long chain (no inner piece to narrow it) is verified
    let answer = index_equals_scan(&engine, "BODY 0123456789usb_sub");
    assert_eq!((answer.uids.len(), answer.explain.verified), (1, 1));
}

/// A splitmix64 generator seeded with `seed`: each call gives a number below its argument.
fn splitmix(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n: usize| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// An indexed home of one UTF-8 text/plain message per `(subject, body)`, and its texts (each
/// subject and body) to draw substrings from.
fn text_home(messages: Vec<(String, String)>) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let mut texts = Vec::new();
    for (n, (subject, body)) in messages.into_iter().enumerate() {
        let headers = format!(
            "From: a@example.org\r\nSubject: {subject}\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\n\
             Content-Type: text/plain; charset=utf-8\r\n"
        );
        write_numbered(&maildir, n, &headers, &body);
        texts.push(subject);
        texts.push(body);
    }
    drop(indexed(dir.path()));
    (dir, texts)
}

/// A home of 200 messages made of words joined by every kind of separator around `_` (one, two,
/// `_` and a space, `-`, spaces, line breaks), opaque runs, non-ASCII words that fold to more
/// characters and chains longer than a term, in subjects and bodies (seed 42); built once.
/// Returns the home's directory and the texts to draw substrings from.
fn joined_home() -> &'static (tempfile::TempDir, Vec<String>) {
    static HOME: OnceLock<(tempfile::TempDir, Vec<String>)> = OnceLock::new();
    HOME.get_or_init(|| {
        let mut next = splitmix(42);
        let words = [
            "usb",
            "submit",
            "urb",
            "x",
            "ab",
            "Straße",
            "ÜBER",
            "dev",
            "0x1f",
            "a1b2c3d4e5f6",
            "9f86d081884c7d659a2feaa0c55ad015",
            "init",
            "probe",
            "usbsubmit",
        ];
        let seps = [
            "_", "_", "_", "_", "_", "_", "_", "_", "__", "_ ", " _", "-", " ", "\r\n", "_\r\n",
            ".", "_.",
        ];
        let mut texts = Vec::new();
        for n in 0..200 {
            let mut phrase = |count: usize| {
                let mut t = String::new();
                for i in 0..count {
                    if i > 0 {
                        t.push_str(seps[next(seps.len())]);
                    }
                    t.push_str(words[next(words.len())]);
                }
                t
            };
            let subject = phrase(1 + n % 4);
            let mut body = phrase(5 + n % 37);
            if n % 9 == 0 {
                body.push('_');
                body.push_str(&vec!["segment"; 20].join("_"));
                body.push('_');
                body.push_str(&phrase(3));
            }
            texts.push((subject, body));
        }
        text_home(texts)
    })
}

/// A substring of `len` characters of one of the `_`-joined stretches of letters and digits of
/// `text` (picked and placed by `at`), quoted for IMAP; `None` when `text` has none.
fn chain_substring(text: &str, at: usize, len: usize) -> Option<String> {
    let chains: Vec<Vec<char>> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|c| c.contains('_'))
        .map(|c| c.chars().collect())
        .collect();
    if chains.is_empty() {
        return None;
    }
    let chain = &chains[at % chains.len()];
    let start = (at / 7) % chain.len();
    let end = (start + len).min(chain.len());
    Some(format!(
        "\"{}\"",
        chain[start..end].iter().collect::<String>()
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]
    /// Random substrings of texts full of `_`-joined words (see [`joined_home`]): index == scan,
    /// whichever plan the string takes (chains, pieces and pairs, verification).
    #[test]
    fn joined_substrings_agree_with_the_scan(
        pick in any::<usize>(),
        at in any::<usize>(),
        len in prop_oneof![2usize..6, 6usize..16, 16usize..40],
        key in prop_oneof![Just("TEXT"), Just("BODY")],
        upper in any::<bool>(),
        in_chain in any::<bool>(),
    ) {
        let (dir, texts) = joined_home();
        let text = &texts[pick % texts.len()];
        let q = if in_chain {
            chain_substring(text, at, len)
        } else {
            quoted_substring(text, at, len)
        };
        if let Some(q) = q {
            let q = if upper { q.to_uppercase() } else { q };
            let (store, home) = opened(dir.path());
            let engine = Engine::new(&store, Some(&home));
            index_equals_scan(&engine, &format!("{key} {q}"));
        }
    }
}

/// A home of 200 messages of frequent words, their variants (`musb`, `gadgets`, `gregkh`),
/// trailers, CJK runs (paired with nothing) and one rare word each (`rareab`) joined by spaces,
/// `: `, `-` and other separators, so that pairs, chain pairs, pairs of a rare word and a content
/// form, and their proofs are taken (seed 7), with the texts it holds. 140 filler words in every message take the first ranks of
/// the frequent forms, so that the test words are content forms
/// ([`mailfts_indexer::pairs::STOP_FORMS`]).
fn paired_home() -> &'static (tempfile::TempDir, Vec<String>) {
    static HOME: OnceLock<(tempfile::TempDir, Vec<String>)> = OnceLock::new();
    HOME.get_or_init(|| {
        let mut next = splitmix(7);
        let fillers: Vec<String> = (0..140).map(|i| letters("f", i)).collect();
        let fillers = fillers.join(" ");
        let words = [
            "usb",
            "usb",
            "musb",
            "gadget",
            "gadget",
            "gadgets",
            "greg",
            "gregkh",
            "by",
            "off",
            "signed",
            "acked",
            "the",
            "x",
            "quarterly",
            "report",
            "Straße",
            "0x1f",
            "a1b2c3d4e5f6",
            "ÜBER",
            "東京",
            "郭晓明",
            "RARE",
            "RARE",
        ];
        let seps = [
            " ", " ", " ", " ", ": ", ": ", "-", "-", "  ", ", ", "\r\n", " -", ":",
        ];
        let trailers = [
            "Signed-off-by",
            "Acked-by",
            "Reviewed-by",
            "x-signed-off-by",
            "Signed-off",
        ];
        let mut texts = Vec::new();
        for n in 0..200 {
            let rare = letters("rare", n);
            let mut body = format!("{fillers}\r\n{rare} report and gadget {rare}\r\n");
            for i in 0..(8 + n % 29) {
                if i > 0 {
                    body.push_str(seps[next(seps.len())]);
                }
                match words[next(words.len())] {
                    "RARE" => body.push_str(&rare),
                    w => body.push_str(w),
                }
            }
            for _ in 0..(n % 3) {
                body.push_str("\r\n");
                body.push_str(trailers[next(trailers.len())]);
                body.push_str(seps[next(seps.len())]);
                match words[next(words.len())] {
                    "RARE" => body.push_str(&rare),
                    w => body.push_str(w),
                }
            }
            let subject = format!("{} {}", words[next(words.len())], words[next(words.len())])
                .replace("RARE", &rare);
            texts.push((subject, body));
        }
        text_home(texts)
    })
}

/// `prefix` followed by `n` written in letters (`a`..`z`, two of them at least): a word without
/// digits, distinct for every `n`.
fn letters(prefix: &str, n: usize) -> String {
    let mut s = prefix.to_string();
    let mut digits = Vec::new();
    let mut n = n;
    for _ in 0..2 {
        digits.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    while n > 0 {
        digits.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    s.extend(digits.iter().rev());
    s
}

/// A substring of `text` around one of its `: ` or single spaces (picked by `at`), `left` and
/// `right` characters on either side of it, quoted for IMAP; `None` when `text` has neither.
fn pair_substring(text: &str, at: usize, left: usize, right: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let seps: Vec<usize> = (0..chars.len()).filter(|&i| chars[i] == ' ').collect();
    let &sep = seps.get(at % seps.len().max(1))?;
    let start = sep.saturating_sub(left);
    let end = (sep + 1 + right).min(chars.len());
    quoted_substring(&chars[start..end].iter().collect::<String>(), 0, usize::MAX)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]
    /// Substrings around the spaces of texts full of frequent words, their variants and trailers
    /// (see [`paired_home`]): index == scan, proven by a pair, a chain pair or verified.
    #[test]
    fn pair_substrings_agree_with_the_scan(
        pick in any::<usize>(),
        at in any::<usize>(),
        left in 1usize..18,
        right in 1usize..10,
        key in prop_oneof![Just("TEXT"), Just("BODY")],
        upper in any::<bool>(),
    ) {
        let (dir, texts) = paired_home();
        let text = &texts[pick % texts.len()];
        if let Some(q) = pair_substring(text, at, left, right) {
            let q = if upper { q.to_uppercase() } else { q };
            let (store, home) = opened(dir.path());
            let engine = Engine::new(&store, Some(&home));
            index_equals_scan(&engine, &format!("{key} {q}"));
        }
    }
}

/// The paired home's pairs prove the phrases they spell: a chain before `: `, a variant covered
/// by a frequent form, a piece a form holds whole.
#[test]
fn paired_home_proves_phrases_by_their_pairs() {
    let (dir, _) = paired_home();
    let (store, home) = opened(dir.path());
    let engine = Engine::new(&store, Some(&home));
    let meta = home.meta().unwrap();
    for w in ["report", "gadget", "usb"] {
        let rank = meta.pair_left.iter().position(|f| f == w);
        assert!(
            rank.is_some_and(|r| r >= mailfts_indexer::pairs::STOP_FORMS),
            "{w} is a content form: {rank:?}"
        );
    }
    let rare = letters("rare", 17);
    for program in [
        "BODY \"Signed-off-by: greg\"".to_string(),
        "BODY \"usb gadget\"".to_string(),
        "BODY \"sb gadg\"".to_string(),
        "BODY \"quarterly report\"".to_string(),
        format!("BODY \"{rare} report\""),
        format!("BODY \"{} repo\"", &rare[2..]),
        format!("TEXT \"gadget {rare}\""),
    ] {
        let program = program.as_str();
        let index = index_equals_scan(&engine, program);
        assert!(
            index
                .explain
                .steps
                .iter()
                .any(|s| s.contains("proven by their pair, 0 verified")),
            "`{program}` is proven whole: {:?}",
            index.explain.steps
        );
    }
}

/// Every place of the paired home where a word and a CJK run meet across a space or `: ` (no pair
/// is recorded there), searched as the word's end, the separator and the first CJK character:
/// index == scan. A lookup of such a pair once answered `TEXT "From: 郭"` with 1 of 16 messages.
#[test]
fn words_next_to_cjk_runs_agree_with_the_scan() {
    let (dir, texts) = paired_home();
    let (store, home) = opened(dir.path());
    let engine = Engine::new(&store, Some(&home));
    let is_cjk =
        |c: char| mailfts_mailtext::text::char_class(c) == mailfts_mailtext::text::CharClass::Cjk;
    let mut programs = std::collections::BTreeSet::new();
    for text in texts {
        let chars: Vec<char> = text.chars().collect();
        for i in 1..chars.len() {
            for sep in [&[' '][..], &[':', ' '][..]] {
                let end = i + sep.len();
                if end >= chars.len() || chars[i..end] != *sep {
                    continue;
                }
                let (before, after) = (chars[i - 1], chars[end]);
                if is_cjk(before) == is_cjk(after) || before.is_whitespace() || after == ' ' {
                    continue;
                }
                let q: String = chars[i.saturating_sub(4)..=end].iter().collect();
                if !q.contains(['\r', '\n', '"']) {
                    programs.insert(format!("TEXT \"{q}\""));
                    programs.insert(format!("BODY \"{q}\""));
                }
            }
        }
    }
    assert!(programs.len() >= 20, "{programs:?}");
    for program in &programs {
        index_equals_scan(&engine, program);
    }
}

/// A verified candidate's documents are extracted only where the index allows the string in its
/// attachment text: the body is read first, and a PDF whose words lack a piece is never opened.
#[test]
fn documents_are_extracted_only_where_the_index_allows_a_match() {
    use mailfts_corpora::samples::{mail, pdf, Part};
    let dir = tempfile::tempdir().unwrap();
    let cur = dir.path().join("Maildir").join("cur");
    let with_pdf = |n: usize, body: &str, text: &str| {
        let doc = pdf(&[text]);
        let part = Part {
            content_type: "application/pdf",
            file_name: Some("doc.pdf"),
            bytes: &doc,
        };
        write_file(
            &cur.join(format!("17000000{n:02}.M{n}.host:2,S")),
            &mail("report", body, &[part]),
            1_700_000_000 + n as i64,
        );
    };
    with_pdf(1, "alpha gamma beta", "delta epsilon");
    with_pdf(2, "alpha only", "zeta alpha/beta");
    with_pdf(3, "the alpha/beta split", "delta epsilon");
    let (store, home) = indexed(dir.path());
    let engine = Engine::new(&store, Some(&home));
    let answer = index_equals_scan(&engine, "BODY \"alpha/beta\"");
    assert_eq!(answer.uids, [2, 3]);
    assert_eq!(answer.explain.verified, 3, "{:#?}", answer.explain);
    assert!(
        answer
            .explain
            .steps
            .iter()
            .any(|s| s.contains("attachments extracted for at most 1 of the candidates")),
        "{:#?}",
        answer.explain.steps
    );
}

/// A rescan committed in many batches (so that tantivy's merge policy merges in the background
/// while it runs) still ends with the index in one segment, and answers as the scan does, with
/// its posting lists read rather than mapped.
#[test]
fn a_rescan_of_many_commits_ends_in_one_segment() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let spec = mailfts_corpora::CorpusSpec::new(5, 1_200);
    for i in 0..1_200 {
        deliver(&maildir, &mailfts_corpora::generate_message(&spec, i));
    }
    let store = Store::open(&maildir).unwrap();
    let home = HomeIndex::open_or_create(&dir.path().join("mailfts")).unwrap();
    let opts = RescanOptions {
        batch_messages: 25,
        index_threads: 2,
        ..RescanOptions::default()
    };
    let stats = rescan(&home, &store, &opts, &NoProgress).unwrap();
    assert_eq!(stats.added, 1_200);
    let segments = home.tantivy().searchable_segment_ids().unwrap();
    assert_eq!(segments.len(), 1, "{segments:?}");
    let engine = Engine::new(&store, Some(&home));
    index_equals_scan(&engine, "BODY meeting");
    index_equals_scan(&engine, "TEXT \"quarterly report\"");
    // the posting lists were read, not mapped: a merge of mapped lists kept every page it touched
    // resident (mailfts_indexer::directory); the term dictionaries stay mapped
    #[cfg(target_os = "linux")]
    {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let tantivy_dir = dir.path().join("mailfts").join("tantivy");
        let ours: Vec<&str> = maps
            .lines()
            .filter(|l| l.contains(tantivy_dir.to_str().unwrap()))
            .collect();
        assert!(ours.iter().any(|l| l.ends_with(".term")), "{ours:#?}");
        assert!(!ours.iter().any(|l| l.ends_with(".idx")), "{ours:#?}");
    }
}

/// The pieces of a header's base64 value (cut at `+` and `/`, most too short to be opaque by
/// themselves) are kept with the opaque runs, not as words; a body's paths stay words. Searches for
/// the pieces, alone, whole or in phrases across `+`, `/` and spaces, equal the scan.
#[test]
fn base64_pieces_of_the_header_block_are_opaque_runs() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let plain = "Content-Type: text/plain; charset=utf-8\r\n";
    let mail = |n: usize, extra: &str, body: &str| {
        let headers = format!(
            "From: a@example.org\r\nSubject: note {n}\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\n\
             {extra}{plain}"
        );
        write_numbered(&maildir, n, &headers, body);
    };
    // `Xy9kQ2mP0zR` is opaque (letters and digits); `usb`, `gadget`, `the`, `end` are pieces
    mail(
        1,
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.org;\r\n\tb=Xy9kQ2mP0zR+usb/gadget+Th3/the+end==\r\n",
        "nothing to see",
    );
    mail(2, "", "the usb gadget works, see usb/gadget docs");
    mail(
        3,
        "",
        "see lore.kernel.org/linux-usb/20230101123456abc for the usbtrace",
    );
    mail(
        4,
        "X-Blob: Boolean+gadget/zZ\r\n",
        "a header chain without an opaque run stays words",
    );
    let (store, home) = indexed(dir.path());
    let engine = Engine::new(&store, Some(&home));
    for (program, hits) in [
        ("TEXT usb", 3),
        ("TEXT gadget", 3),
        ("TEXT \"+usb/\"", 1),
        ("TEXT \"usb/gadget\"", 2),
        ("TEXT \"usb/gadget+\"", 1),
        ("TEXT \"usb gadget\"", 1),
        ("TEXT \"0zR+usb\"", 1),
        ("TEXT \"/the+end\"", 1),
        ("TEXT \"the usb\"", 2),
        ("TEXT th3", 1),
        ("HEADER DKIM-Signature \"gadget+th3/the\"", 1),
        ("HEADER DKIM-Signature gadget", 1),
        ("BODY gadget", 1),
        ("BODY \"linux-usb/\"", 1),
        ("TEXT \"+gadget/\"", 1),
        ("NOT TEXT \"+gadget/\"", 3),
    ] {
        let answer = index_equals_scan(&engine, program);
        assert_eq!(answer.uids.len(), hits, "`{program}`: {:?}", answer.uids);
    }
    // where the words were found: a signature's pieces among the opaque runs, the body's path
    // and the chain without an opaque run among the words
    let step = |program: &str| index_equals_scan(&engine, program).explain.steps.join("\n");
    assert!(
        step("TEXT th3").contains("words 0 + opaque runs 1"),
        "{}",
        step("TEXT th3")
    );
    assert!(
        step("TEXT linux").contains("words 1 + opaque runs 0"),
        "{}",
        step("TEXT linux")
    );
    assert!(
        step("TEXT zz").contains("words 1 + opaque runs 0"),
        "{}",
        step("TEXT zz")
    );

    // the term text files the rescan wrote (one thread per file) are those of their segment
    let snap = home.snapshot().unwrap();
    let f = home.fields();
    for segment in snap.searcher.segment_readers() {
        for field in [f.headers, f.body, f.attachments] {
            let path = dir.path().join("mailfts/terms").join(format!(
                "{}.{}",
                segment.segment_id().uuid_string(),
                field.field_id()
            ));
            let file = TermText::map_file(&path).expect("a term text file per segment and field");
            let built = TermText::build(segment, field).unwrap();
            assert_eq!(file.len(), built.len(), "{}", path.display());
            for ord in 0..built.len() as u64 {
                assert_eq!(file.term(ord), built.term(ord), "{}", path.display());
            }
        }
    }
}

/// Writes message `n` (`headers`, each line ending in CRLF, a blank line, `body`) into
/// `maildir/cur`, named and dated so that the store gives UIDs in the order of `n`.
fn write_numbered(maildir: &Path, n: usize, headers: &str, body: &str) {
    write_file(
        &maildir
            .join("cur")
            .join(format!("17000000{n:02}.M{n}.host:2,S")),
        format!("{headers}\r\n{body}\r\n").as_bytes(),
        1_700_000_000 + n as i64,
    );
}

/// The store of `dir/Maildir` and its index in `dir/mailfts`, built by a rescan.
fn indexed(dir: &Path) -> (Store, HomeIndex) {
    let store = Store::open(dir.join("Maildir")).unwrap();
    let home = HomeIndex::open_or_create(&dir.join("mailfts")).unwrap();
    rescan(&home, &store, &RescanOptions::default(), &NoProgress).unwrap();
    (store, home)
}

/// The store and the index of a home under `dir` that [`indexed`] built.
fn opened(dir: &Path) -> (Store, HomeIndex) {
    let store = Store::open(dir.join("Maildir")).unwrap();
    let home = HomeIndex::open(&dir.join("mailfts"))
        .unwrap()
        .expect("index exists");
    (store, home)
}

/// A search answered by the linear scan reads every message without leaving their entries in the
/// store's shared snapshot, which a long-running process keeps while the mailbox is unchanged.
#[test]
fn a_scan_leaves_no_entries_in_the_shared_snapshot() {
    let home = build_home(11, 60);
    // the store shares one snapshot of a mailbox only once its directories have settled
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    for sub in ["new", "cur"] {
        std::fs::File::open(home.maildir.join(sub))
            .unwrap()
            .set_modified(past)
            .unwrap();
    }
    let store = Store::open(&home.maildir).unwrap();
    let inbox = store.mailbox("INBOX").unwrap();
    inbox.sync_shared().unwrap(); // reads the directories; the next syncs share one snapshot
    let shared = inbox.sync_shared().unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&shared, &inbox.sync_shared().unwrap()),
        "one shared snapshot"
    );
    let index = HomeIndex::open_or_create(&home.index).unwrap();
    let engine = Engine::new(&store, Some(&index));
    let answer = index_equals_scan(&engine, "TEXT the");
    assert!(!answer.uids.is_empty());
    assert!(
        !shared.holds_entries(),
        "the scan's entries were not kept in the shared snapshot"
    );
    // one that holds them is walked as it is
    assert_eq!(shared.entries_once().len(), shared.messages().len());
    assert!(shared.holds_entries());
    let again = engine
        .search("INBOX", &parse_program("TEXT the").unwrap(), Mode::Scan)
        .unwrap();
    assert_eq!(again.uids, answer.uids);
}

/// Searches INBOX through the index and by the scan, which must agree; the index's answer.
#[track_caller]
fn index_equals_scan(engine: &Engine<'_>, program: &str) -> mailfts_query::exec::MailboxAnswer {
    let parsed = parse_program(program).unwrap();
    let scan = engine.search("INBOX", &parsed, Mode::Scan).unwrap();
    let index = engine.search("INBOX", &parsed, Mode::Index).unwrap();
    assert_eq!(
        index.uids, scan.uids,
        "`{program}`: index differs from the scan\nplan: {:#?}",
        index.explain
    );
    index
}
