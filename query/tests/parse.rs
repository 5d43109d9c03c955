//! Known-answer, error and round-trip tests of the IMAP SEARCH parser and Display.

use mailfts_query::ast::days_in_month;
use mailfts_query::{
    parse_key, parse_program, ImapDate, ParseError, ParseErrorKind, SearchKey, SearchProgram,
    SeqBound, SeqRange, SequenceSet, MAX_DEPTH,
};
use proptest::prelude::*;
use SearchKey as K;

fn s(x: &str) -> String {
    x.to_string()
}

fn d(year: i32, month: u32, day: u32) -> ImapDate {
    ImapDate::new(year, month, day).unwrap()
}

fn n(v: u32) -> SeqBound {
    SeqBound::Value(v)
}

const STAR: SeqBound = SeqBound::Star;

fn set(ranges: &[(SeqBound, SeqBound)]) -> SequenceSet {
    SequenceSet(
        ranges
            .iter()
            .map(|&(from, to)| SeqRange { from, to })
            .collect(),
    )
}

fn not(k: SearchKey) -> SearchKey {
    K::Not(Box::new(k))
}

fn or(a: SearchKey, b: SearchKey) -> SearchKey {
    K::Or(Box::new(a), Box::new(b))
}

/// Parses `input`, compares with `expected` (and no charset), and checks the Display round trip.
#[track_caller]
fn ok(input: &str, expected: SearchKey) {
    let program = parse_program(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    assert_eq!(
        program,
        SearchProgram {
            charset: None,
            key: expected.clone()
        },
        "input {input:?}"
    );
    round_trip(&program);
    assert_eq!(parse_key(input).unwrap(), expected, "parse_key {input:?}");
}

#[track_caller]
fn round_trip(program: &SearchProgram) {
    let shown = program.to_string();
    let again = parse_program(&shown).unwrap_or_else(|e| panic!("re-parse of {shown:?}: {e}"));
    assert_eq!(&again, program, "display {shown:?}");
    let shown_key = program.key.to_string();
    assert_eq!(
        parse_key(&shown_key).unwrap(),
        program.key,
        "display {shown_key:?}"
    );
}

/// Expects a parse error with exactly this position, expectation, excerpt and kind.
#[track_caller]
fn err(input: &str, position: usize, expected: &str, found: &str, kind: ParseErrorKind) {
    let shown: String = input.chars().take(80).collect();
    let e = parse_program(input).expect_err(&shown);
    assert_eq!(
        e,
        ParseError {
            position,
            expected: expected.into(),
            found: found.into(),
            kind
        },
        "input {shown:?}, error: {e}"
    );
}

#[test]
fn keys_without_arguments() {
    for (text, key) in [
        ("ALL", K::All),
        ("ANSWERED", K::Answered),
        ("DELETED", K::Deleted),
        ("DRAFT", K::Draft),
        ("FLAGGED", K::Flagged),
        ("NEW", K::New),
        ("OLD", K::Old),
        ("RECENT", K::Recent),
        ("SEEN", K::Seen),
        ("UNANSWERED", K::Unanswered),
        ("UNDELETED", K::Undeleted),
        ("UNDRAFT", K::Undraft),
        ("UNFLAGGED", K::Unflagged),
        ("UNSEEN", K::Unseen),
    ] {
        ok(text, key.clone());
        ok(&text.to_lowercase(), key.clone());
        assert_eq!(key.to_string(), text);
    }
    ok("UnSeEn", K::Unseen);
}

#[test]
fn string_keys_and_string_forms() {
    ok("BCC bob", K::Bcc(s("bob")));
    ok("BODY \"hello world\"", K::Body(s("hello world")));
    ok("CC {5}\r\nhello", K::Cc(s("hello")));
    ok("FROM {5+}\r\nhello", K::From(s("hello")));
    ok("SUBJECT {5}\nhello", K::Subject(s("hello")));
    ok("SUBJECT {0}\r\n", K::Subject(s("")));
    ok("TEXT \"a\\\"b\\\\c\"", K::Text(s("a\"b\\c")));
    ok("TO \"\"", K::To(s("")));
    ok("TO café", K::To(s("café")));
    ok("SUBJECT [PATCH]", K::Subject(s("[PATCH]")));
    ok("SUBJECT {4}\r\na\r\nb", K::Subject(s("a\r\nb")));
    ok(
        "subject \"Grüße aus Köln\"",
        K::Subject(s("Grüße aus Köln")),
    );
    ok(
        "HEADER Message-ID <abc@example.org>",
        K::Header(s("Message-ID"), s("<abc@example.org>")),
    );
    ok(
        "HEADER \"X-Spam Flag\" \"\"",
        K::Header(s("X-Spam Flag"), s("")),
    );
    ok(
        "header list-id {3}\r\nfoo",
        K::Header(s("list-id"), s("foo")),
    );
    ok("KEYWORD $Forwarded", K::Keyword(s("$Forwarded")));
    ok("KEYWORD \\Seen", K::Keyword(s("\\Seen")));
    ok("UNKEYWORD \"my keyword\"", K::Unkeyword(s("my keyword")));
    ok("UNKEYWORD Junk", K::Unkeyword(s("Junk")));
}

#[test]
fn date_and_number_keys() {
    ok("BEFORE 1-Feb-1994", K::Before(d(1994, 2, 1)));
    ok("ON 01-feb-1994", K::On(d(1994, 2, 1)));
    ok("SINCE \"29-Feb-2024\"", K::Since(d(2024, 2, 29)));
    ok("SENTBEFORE 31-Dec-1999", K::SentBefore(d(1999, 12, 31)));
    ok("SENTON 1-JAN-2000", K::SentOn(d(2000, 1, 1)));
    ok("SENTSINCE 29-Feb-2000", K::SentSince(d(2000, 2, 29)));
    ok("LARGER 4294967295", K::Larger(4_294_967_295));
    ok("SMALLER 0", K::Smaller(0));
    ok("SMALLER 0010", K::Smaller(10));
    assert_eq!(K::Before(d(1994, 2, 1)).to_string(), "BEFORE 1-Feb-1994");
    assert_eq!(K::On(d(33, 11, 5)).to_string(), "ON 5-Nov-0033");
}

#[test]
fn sequence_sets() {
    ok("1", K::SequenceSet(set(&[(n(1), n(1))])));
    ok("*", K::SequenceSet(set(&[(STAR, STAR)])));
    ok(
        "1,3:5,7:*",
        K::SequenceSet(set(&[(n(1), n(1)), (n(3), n(5)), (n(7), STAR)])),
    );
    ok("4:2", K::SequenceSet(set(&[(n(4), n(2))])));
    ok("*:4", K::SequenceSet(set(&[(STAR, n(4))])));
    ok("UID 1:*", K::Uid(set(&[(n(1), STAR)])));
    ok("uid *", K::Uid(set(&[(STAR, STAR)])));
    ok("UID 4294967295", K::Uid(set(&[(n(u32::MAX), n(u32::MAX))])));
    ok(
        "2:4 UID 10:*",
        K::And(vec![
            K::SequenceSet(set(&[(n(2), n(4))])),
            K::Uid(set(&[(n(10), STAR)])),
        ]),
    );
    let s = set(&[(n(1), n(1)), (n(3), n(5)), (n(7), STAR)]);
    assert_eq!(s.to_string(), "1,3:5,7:*");
    assert!(s.contains(4, 10) && s.contains(10, 10) && !s.contains(6, 10) && !s.contains(0, 10));
    assert!(set(&[(n(4), n(2))]).contains(3, 10));
    assert!(
        set(&[(n(20), STAR)]).contains(15, 10),
        "20:* with * = 10 is 10:20"
    );
    assert!(
        !set(&[(n(1), STAR)]).contains(1, 0),
        "* in an empty mailbox matches nothing"
    );
    assert!(set(&[(n(1), n(1))]).contains(1, 0));
}

#[test]
fn combinations() {
    ok("SEEN FLAGGED", K::And(vec![K::Seen, K::Flagged]));
    ok("  SEEN\t\r\n  FLAGGED  ", K::And(vec![K::Seen, K::Flagged]));
    ok("(SEEN)", K::And(vec![K::Seen]));
    ok("( SEEN FLAGGED )", K::And(vec![K::Seen, K::Flagged]));
    ok("NOT SEEN", not(K::Seen));
    ok("OR SEEN FLAGGED", or(K::Seen, K::Flagged));
    // Roundcube's quick search.
    ok(
        "OR HEADER SUBJECT x HEADER FROM x",
        or(
            K::Header(s("SUBJECT"), s("x")),
            K::Header(s("FROM"), s("x")),
        ),
    );
    ok(
        "UNDELETED OR OR HEADER SUBJECT hi HEADER FROM hi HEADER TO hi",
        K::And(vec![
            K::Undeleted,
            or(
                or(
                    K::Header(s("SUBJECT"), s("hi")),
                    K::Header(s("FROM"), s("hi")),
                ),
                K::Header(s("TO"), s("hi")),
            ),
        ]),
    );
    ok(
        "NOT (OR SEEN (NOT FLAGGED DELETED) UID 5) (OR NOT NEW OLD)",
        K::And(vec![
            not(K::And(vec![
                or(K::Seen, K::And(vec![not(K::Flagged), K::Deleted])),
                K::Uid(set(&[(n(5), n(5))])),
            ])),
            K::And(vec![or(not(K::New), K::Old)]),
        ]),
    );
    ok(
        "OR (SEEN) (FLAGGED)",
        or(K::And(vec![K::Seen]), K::And(vec![K::Flagged])),
    );
    ok(
        "SUBJECT {3}\r\nabc SEEN",
        K::And(vec![K::Subject(s("abc")), K::Seen]),
    );
    ok("(SUBJECT \"a)\")", K::And(vec![K::Subject(s("a)"))]));
}

#[test]
fn charset() {
    let p = parse_program("CHARSET UTF-8 SUBJECT {7}\r\nstraße").unwrap();
    assert_eq!(
        p,
        SearchProgram {
            charset: Some(s("UTF-8")),
            key: K::Subject(s("straße"))
        }
    );
    round_trip(&p);
    let p = parse_program("charset \"us-ascii\" SEEN UNSEEN").unwrap();
    assert_eq!(
        p,
        SearchProgram {
            charset: Some(s("us-ascii")),
            key: K::And(vec![K::Seen, K::Unseen])
        }
    );
    assert_eq!(p.to_string(), "CHARSET us-ascii SEEN UNSEEN");
    round_trip(&p);
    let p = parse_program("CHARSET utf-8 FROM {8+}\r\nПетр").unwrap();
    assert_eq!(p.key, K::From(s("Петр")));
    err(
        "CHARSET ISO-8859-1 SEEN",
        8,
        "a supported charset (UTF-8 or US-ASCII)",
        "ISO-8859-1",
        ParseErrorKind::BadCharset(s("ISO-8859-1")),
    );
    err(
        "CHARSET \"KOI8-R\" ALL",
        8,
        "a supported charset (UTF-8 or US-ASCII)",
        "KOI8-R",
        ParseErrorKind::BadCharset(s("KOI8-R")),
    );
    err(
        "CHARSET UTF-8",
        13,
        "a space",
        "",
        ParseErrorKind::UnexpectedEnd,
    );
    err(
        "CHARSET UTF-8 ",
        14,
        "a search key",
        "",
        ParseErrorKind::UnexpectedEnd,
    );
}

#[test]
fn display_forms() {
    assert_eq!(K::Subject(s("a\"b\\c")).to_string(), r#"SUBJECT "a\"b\\c""#);
    assert_eq!(K::Subject(s("a\r\nb")).to_string(), "SUBJECT {4}\r\na\r\nb");
    assert_eq!(
        K::Header(s("X-Spam"), s("")).to_string(),
        "HEADER X-Spam \"\""
    );
    assert_eq!(
        K::Header(s("a b"), s("x")).to_string(),
        "HEADER \"a b\" \"x\""
    );
    assert_eq!(K::Keyword(s("\\Seen")).to_string(), "KEYWORD \\Seen");
    assert_eq!(K::Keyword(s("a]")).to_string(), "KEYWORD \"a]\"");
    assert_eq!(
        K::And(vec![K::Seen, not(K::Flagged)]).to_string(),
        "(SEEN NOT FLAGGED)"
    );
    assert_eq!(K::And(vec![]).to_string(), "ALL");
    assert_eq!(K::SequenceSet(SequenceSet(vec![])).to_string(), "NOT ALL");
    let p = SearchProgram {
        charset: None,
        key: K::And(vec![K::Seen, K::And(vec![K::Draft, K::New])]),
    };
    assert_eq!(p.to_string(), "SEEN (DRAFT NEW)");
    let p = SearchProgram {
        charset: None,
        key: K::And(vec![K::Seen]),
    };
    assert_eq!(p.to_string(), "(SEEN)");
    assert_eq!("SEEN".parse::<SearchProgram>().unwrap().key, K::Seen);
}

#[test]
fn errors_with_positions() {
    use ParseErrorKind::*;
    err("", 0, "a search key", "", UnexpectedEnd);
    err("   ", 3, "a search key", "", UnexpectedEnd);
    err("FOO", 0, "a search key", "FOO", Syntax);
    err("SEEN FOO BAR", 5, "a search key", "FOO", Syntax);
    err(
        "SEEN BEFORE 31-Feb-2024",
        12,
        "a date like 1-Feb-1994",
        "31-Feb-2024",
        InvalidDate,
    );
    err(
        "SINCE 29-Feb-2023",
        6,
        "a date like 1-Feb-1994",
        "29-Feb-2023",
        InvalidDate,
    );
    err(
        "SINCE 1-Feb-94",
        6,
        "a date like 1-Feb-1994",
        "1-Feb-94",
        InvalidDate,
    );
    err(
        "SINCE 1-Foo-1994",
        6,
        "a date like 1-Feb-1994",
        "1-Foo-1994",
        InvalidDate,
    );
    err(
        "SINCE 001-Feb-1994",
        6,
        "a date like 1-Feb-1994",
        "001-Feb-1994",
        InvalidDate,
    );
    err(
        "SINCE 0-Feb-1994",
        6,
        "a date like 1-Feb-1994",
        "0-Feb-1994",
        InvalidDate,
    );
    err(
        "ON \"31-Apr-2024\"",
        4,
        "a date like 1-Feb-1994",
        "31-Apr-2024",
        InvalidDate,
    );
    err(
        "SINCE \"1-Feb-1994",
        17,
        "a closing '\"'",
        "",
        UnexpectedEnd,
    );
    err("SINCE", 5, "a space", "", UnexpectedEnd);
    err("SINCE ", 6, "a date like 1-Feb-1994", "", UnexpectedEnd);
    err(
        "LARGER 4294967296",
        7,
        "a number from 0 to 4294967295",
        "4294967296",
        InvalidNumber,
    );
    err("LARGER x", 7, "a number", "x", Syntax);
    err("LARGER 12x", 9, "a space, \")\" or the end", "x", Syntax);
    err("UID 0", 4, "a non-zero number", "0", InvalidNumber);
    err("UID 1:", 6, "a sequence number or \"*\"", "", UnexpectedEnd);
    err("1,,2", 2, "a sequence number or \"*\"", ",2", Syntax);
    err("UID x", 4, "a sequence number or \"*\"", "x", Syntax);
    err("SUBJECT \"abc", 12, "a closing '\"'", "", UnexpectedEnd);
    err(
        "SUBJECT \"a\\nb\"",
        10,
        "\\\" or \\\\ (only \" and \\ may be escaped)",
        "\\nb\"",
        Syntax,
    );
    err(
        "SUBJECT \"a\r\nb\"",
        10,
        "a closing '\"' (CR and LF need a literal)",
        "\r",
        Syntax,
    );
    err(
        "SUBJECT {10}\r\nabc",
        17,
        "10 bytes of literal data",
        "",
        UnexpectedEnd,
    );
    err(
        "SUBJECT {3}abc",
        11,
        "CRLF after the literal's \"}\"",
        "abc",
        Syntax,
    );
    err("SUBJECT {3x}\r\nabc", 10, "\"}\"", "x}", Syntax);
    err(
        "SUBJECT {1}\r\nß",
        13,
        "literal data ending at a UTF-8 character boundary",
        "ß",
        Syntax,
    );
    err("SUBJECT", 7, "a space", "", UnexpectedEnd);
    err("SUBJECT )", 8, "a string", ")", Syntax);
    err("HEADER X", 8, "a space", "", UnexpectedEnd);
    err("KEYWORD \\", 8, "a keyword", "\\", Syntax);
    err("(SEEN", 5, "\")\" or a search key", "", UnexpectedEnd);
    err("()", 1, "a search key", ")", Syntax);
    err("SEEN)", 4, "a search key", ")", Syntax);
    err(
        "SEEN(FLAGGED)",
        4,
        "a space, \")\" or the end",
        "(FLAGGED",
        Syntax,
    );
    err("NOT", 3, "a space", "", UnexpectedEnd);
    err("OR SEEN", 7, "a space", "", UnexpectedEnd);
    err("OR SEEN ", 8, "a search key", "", UnexpectedEnd);
    err(
        "SUBJECT \"x\"SEEN",
        11,
        "a space, \")\" or the end",
        "SEEN",
        Syntax,
    );
    let long = format!("SUBJECT {}", "é".repeat(100));
    err(
        &format!("{long}\""),
        long.len(),
        "a space, \")\" or the end",
        "\"",
        Syntax,
    );
    let e = parse_program(&format!("FOO{}", "x".repeat(100))).unwrap_err();
    assert_eq!(e.found.chars().count(), 40);
}

#[test]
fn error_display() {
    let e = parse_program("SEEN BEFORE 31-Feb-2024").unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"at byte 12: expected a date like 1-Feb-1994, found "31-Feb-2024""#
    );
    let e = parse_program("NOT").unwrap_err();
    assert_eq!(
        e.to_string(),
        "at byte 3: expected a space, found end of input"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert!(!boxed.to_string().is_empty());
}

#[test]
fn nesting_is_capped() {
    let ok_parens = format!("{}SEEN{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(parse_program(&ok_parens).is_ok());
    let ok_nots = format!("{}SEEN", "NOT ".repeat(MAX_DEPTH));
    assert!(parse_program(&ok_nots).is_ok());
    let too_deep = "at most 64 levels of NOT, OR and parentheses";
    err(
        &format!("{}SEEN", "NOT ".repeat(MAX_DEPTH + 1)),
        4 * 65,
        too_deep,
        "SEEN",
        ParseErrorKind::TooDeep,
    );
    err(
        &"(".repeat(100_000),
        65,
        too_deep,
        "(",
        ParseErrorKind::TooDeep,
    );
    err(
        &"NOT ".repeat(100_000),
        4 * 65,
        too_deep,
        "NOT",
        ParseErrorKind::TooDeep,
    );
    err(
        &"OR ".repeat(100_000),
        3 * 65,
        too_deep,
        "OR",
        ParseErrorKind::TooDeep,
    );
}

#[test]
fn long_inputs_are_linear() {
    let many = "SEEN ".repeat(200_000);
    match parse_program(&many).unwrap().key {
        K::And(keys) => assert_eq!(keys.len(), 200_000),
        other => panic!("{other:?}"),
    }
    let big = "x\\\"".repeat(300_000);
    let p = parse_program(&format!("BODY \"{big}\"")).unwrap();
    assert_eq!(p.key, K::Body("x\"".repeat(300_000)));
    let seq = (1..100_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert!(parse_program(&seq).is_ok());
    assert!(parse_program(&format!("LARGER {}", "9".repeat(100_000))).is_err());
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9\"\\\\ \r\n(){}*%\\]ßΣ]{0,10}",
        "[a-zA-Z$\\-]{1,8}",
        Just(String::new()),
    ]
}

fn arb_date() -> impl Strategy<Value = ImapDate> {
    (0i32..=9999, 1u32..=12, 1u32..=31)
        .prop_map(|(y, m, d)| ImapDate::new(y, m, d.min(days_in_month(y, m))).unwrap())
}

fn arb_bound() -> impl Strategy<Value = SeqBound> {
    prop_oneof![4 => (1u32..=u32::MAX).prop_map(SeqBound::Value), 1 => Just(SeqBound::Star)]
}

fn arb_set() -> impl Strategy<Value = SequenceSet> {
    let range = (arb_bound(), arb_bound(), any::<bool>()).prop_map(|(from, to, single)| SeqRange {
        from,
        to: if single { from } else { to },
    });
    prop::collection::vec(range, 1..5).prop_map(SequenceSet)
}

fn arb_key() -> impl Strategy<Value = SearchKey> {
    let leaf = prop_oneof![
        prop_oneof![
            Just(K::All),
            Just(K::Answered),
            Just(K::Deleted),
            Just(K::Draft),
            Just(K::Flagged),
            Just(K::New),
            Just(K::Old),
            Just(K::Recent),
            Just(K::Seen),
            Just(K::Unanswered),
            Just(K::Undeleted),
            Just(K::Undraft),
            Just(K::Unflagged),
            Just(K::Unseen),
        ],
        prop_oneof![
            arb_string().prop_map(K::Bcc),
            arb_string().prop_map(K::Body),
            arb_string().prop_map(K::Cc),
            arb_string().prop_map(K::From),
            arb_string().prop_map(K::Subject),
            arb_string().prop_map(K::Text),
            arb_string().prop_map(K::To),
            (arb_string(), arb_string()).prop_map(|(a, b)| K::Header(a, b)),
            arb_string().prop_map(K::Keyword),
            arb_string().prop_map(K::Unkeyword),
            "\\\\[A-Za-z]{1,8}".prop_map(K::Keyword),
        ],
        prop_oneof![
            arb_date().prop_map(K::Before),
            arb_date().prop_map(K::On),
            arb_date().prop_map(K::Since),
            arb_date().prop_map(K::SentBefore),
            arb_date().prop_map(K::SentOn),
            arb_date().prop_map(K::SentSince),
            (0..=u64::from(u32::MAX)).prop_map(K::Larger),
            (0..=u64::from(u32::MAX)).prop_map(K::Smaller),
            arb_set().prop_map(K::Uid),
            arb_set().prop_map(K::SequenceSet),
        ],
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            prop::collection::vec(inner, 1..4).prop_map(K::And),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn display_then_parse_is_identity(
        key in arb_key(),
        charset in prop_oneof![Just(None), Just(Some(s("UTF-8"))), Just(Some(s("us-ascii")))],
    ) {
        let program = SearchProgram { charset, key };
        let shown = program.to_string();
        let parsed = parse_program(&shown).map_err(|e| TestCaseError::fail(format!("{shown:?}: {e}")))?;
        prop_assert_eq!(&parsed, &program, "display {:?}", shown);
        let shown_key = program.key.to_string();
        prop_assert_eq!(parse_key(&shown_key).map_err(|e| TestCaseError::fail(e.to_string()))?, program.key);
    }

    #[test]
    fn arbitrary_input_never_panics(input in any::<String>()) {
        let _ = parse_program(&input);
    }

    #[test]
    fn near_valid_input_never_panics(input in "[A-Z0-9 ()\"\\\\{}+:,*\r\n-]{0,40}") {
        if let Err(e) = parse_program(&input) {
            prop_assert!(e.position <= input.len());
            prop_assert!(input.is_char_boundary(e.position));
        }
    }
}
