//! Known-answer tests of the exact evaluator on hand-written messages, plus property tests against
//! naive reference implementations.

use std::cell::Cell;

use mailfts_extractors::HeaderField;
use mailfts_indexer::text::fold;
use mailfts_query::{
    compile, evaluate, needs_content, parse_key, ContentSource, ImapDate, LazyContent,
    MailboxContext, MessageContent, MessageMeta, Needle, NoContent, SearchKey, SeqBound, SeqRange,
    SequenceSet,
};
use mailfts_store::Flags;
use proptest::prelude::*;

const M1: &str = "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@vm1.ulg.ac.be>\r\n\
To: Bob <bob@example.org>, Carol <carol@example.org>\r\n\
Cc: Dave <dave@example.org>\r\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_der_Stra=C3=9Fe?=\r\n und mehr\r\n\
Date: Tue, 1 Jul 2003 23:30:00 -0700\r\n\
Message-ID: <m1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Die gro=C3=9Fe Stra=\r\n=C3=9Fe ist lang. Soft=\r\nbreak here.\r\n";

const M2: &str = "From: =?UTF-8?B?0JjRgNC40L3QsCDQn9C10YLRgNC+0LLQsA==?= <irina@example.ru>\r\n\
Bcc: secret@example.org\r\n\
Subject: first subject\r\n\
Subject: ΣΊΣΥΦΟΣ second\r\n\
X-Empty:\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<html><body><p>Привет, <b>МИР</b> &amp; ΟΔΥΣΣΕΥΣ</p></body></html>\r\n";

const M3: &str = "Subject: =?UTF-8?B?5p2x5Lqs6YO944Gu5aSp5rCX?=\r\n\
Date: Mon, 15 Jan 2024 10:00:00 +0000\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
本文は日本語です。\r\n\
--b\r\n\
Content-Type: text/plain; name=\"notes.txt\"\r\n\
Content-Disposition: attachment; filename=\"notes.txt\"\r\n\
\r\n\
attachment secret words\r\n\
--b--\r\n";

const M4: &str = "Subject: MASSE und STRASSE\r\nX-Multi: one\r\nX-Multi: two\r\n\r\nplain\r\n";

fn day(y: i32, m: u32, d: u32) -> i64 {
    ImapDate::new(y, m, d).unwrap().days_since_epoch()
}

fn meta() -> MessageMeta {
    MessageMeta {
        uid: 7,
        seq: 3,
        size: 1000,
        internal_day: day(2003, 7, 2),
        ..Default::default()
    }
}

const CTX: MailboxContext = MailboxContext {
    max_uid: 100,
    max_seq: 10,
};

/// Evaluates the SEARCH text `key` on the raw message `raw` with `meta`, parsing lazily.
fn eval_raw(raw: &str, key: &str, meta: &MessageMeta) -> bool {
    let key = parse_key(key).unwrap_or_else(|e| panic!("{key:?}: {e}"));
    let mut content = LazyContent::new(|| Some(raw.as_bytes().to_vec()));
    evaluate(&key, meta, &CTX, &mut content)
}

/// Checks every `(key, expected)` pair on one raw message.
#[track_caller]
fn check(raw: &str, meta: &MessageMeta, cases: &[(&str, bool)]) {
    let failed: Vec<String> = cases
        .iter()
        .filter(|(key, want)| eval_raw(raw, key, meta) != *want)
        .map(|(key, want)| format!("{key} should be {want}"))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Checks every `(key, expected)` pair on metadata only (content unavailable).
#[track_caller]
fn check_meta(meta: &MessageMeta, ctx: &MailboxContext, cases: &[(&str, bool)]) {
    let failed: Vec<String> = cases
        .iter()
        .filter(|(key, want)| {
            evaluate(&parse_key(key).unwrap(), meta, ctx, &mut NoContent) != *want
        })
        .map(|(key, want)| format!("{key} should be {want}"))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn encoded_words_folded_headers_and_quoted_printable() {
    check(
        M1,
        &meta(),
        &[
            ("SUBJECT strasse", true),
            ("SUBJECT \"STRASSE UND MEHR\"", true),
            ("SUBJECT \"grüsse aus\"", true),
            ("SUBJECT gruesse", false),
            ("SUBJECT \"=?UTF-8\"", false),
            ("FROM andré", true),
            ("FROM \"ANDRÉ PIRARD <PIRARD@\"", true),
            ("FROM andre", false),
            ("TO carol@example", true),
            ("TO dave", false),
            ("CC DAVE", true),
            ("BCC dave", false),
            ("BCC \"\"", false),
            ("HEADER message-id <m1@", true),
            ("HEADER Subject \"\"", true),
            ("HEADER X-Nope \"\"", false),
            ("BODY \"STRASSE IST\"", true),
            ("BODY softbreak", true),
            ("BODY \"soft break\"", false),
            ("BODY =C3", false),
            ("BODY \"subject\"", false),
            ("TEXT \"subject: grüße\"", true),
            ("TEXT \"content-transfer-encoding: QUOTED\"", true),
            ("TEXT \"lang. softbreak\"", true),
            ("TEXT {20}\r\nquoted-printable\nDie", false),
            ("TEXT \"\"", true),
            ("BODY \"\"", true),
        ],
    );
}

#[test]
fn dates_internal_and_sent() {
    // Date: Tue, 1 Jul 2003 23:30:00 -0700 is 2 Jul 06:30 UTC: SENT* use the written day.
    check(
        M1,
        &meta(),
        &[
            ("SENTON 1-Jul-2003", true),
            ("SENTON 2-Jul-2003", false),
            ("SENTSINCE 1-Jul-2003", true),
            ("SENTSINCE 2-Jul-2003", false),
            ("SENTBEFORE 1-Jul-2003", false),
            ("SENTBEFORE 2-Jul-2003", true),
            ("ON 2-Jul-2003", true),
            ("ON 1-Jul-2003", false),
            ("SINCE 2-Jul-2003", true),
            ("SINCE 3-Jul-2003", false),
            ("BEFORE 2-Jul-2003", false),
            ("BEFORE 3-Jul-2003", true),
            ("NOT SENTON 1-Jul-2003", false),
        ],
    );
    // No Date: header: the SENT* keys use the internal date.
    let m = MessageMeta {
        internal_day: day(2020, 3, 5),
        ..meta()
    };
    check(
        M2,
        &m,
        &[
            ("SENTON 5-Mar-2020", true),
            ("SENTSINCE 6-Mar-2020", false),
            ("SENTBEFORE 6-Mar-2020", true),
            ("SENTSINCE 5-Mar-2020 SENTBEFORE 5-Mar-2020", false),
        ],
    );
}

#[test]
fn html_greek_cyrillic_and_repeated_headers() {
    check(
        M2,
        &meta(),
        &[
            ("SUBJECT first", true),
            ("SUBJECT σίσυφος", true),
            ("SUBJECT \"ΣΊΣΥΦΟΣ SECOND\"", true),
            ("SUBJECT \"σίσυφοσ\"", true),
            ("SUBJECT ς", true),
            ("SUBJECT \"subject ΣΊ\"", false),
            ("SUBJECT σισυφος", false),
            ("FROM ирина", true),
            ("FROM \"ПЕТРОВА <irina\"", true),
            ("BCC SECRET@", true),
            ("HEADER X-Empty \"\"", true),
            ("HEADER x-empty \"\"", true),
            ("HEADER X-Empty a", false),
            ("NOT HEADER X-Empty \"\"", false),
            ("BODY \"мир &\"", true),
            ("BODY \"привет, мир\"", true),
            ("BODY <b>", false),
            ("BODY &amp;", false),
            ("BODY οδυσσευσ", true),
            ("BODY \"ὀδυσσεύς\"", false),
            ("TEXT secret@example", true),
            ("TEXT МИР", true),
        ],
    );
}

#[test]
fn cjk() {
    check(
        M3,
        &meta(),
        &[
            ("SUBJECT 京都", true),
            ("SUBJECT 東京都の天気", true),
            ("SUBJECT 都の", true),
            ("SUBJECT 大阪", false),
            ("BODY 日本語", true),
            ("BODY 本文は日本語です。", true),
            ("BODY 中国語", false),
            ("TEXT 天気", true),
            ("SENTON 15-Jan-2024", true),
        ],
    );
}

#[test]
fn sharp_s_and_multiple_instances() {
    check(
        M4,
        &meta(),
        &[
            ("SUBJECT maße", true),
            ("SUBJECT straße", true),
            ("SUBJECT \"ẞE UND\"", true),
            ("SUBJECT masze", false),
            ("HEADER X-Multi two", true),
            ("HEADER X-Multi \"one two\"", false),
            ("HEADER X-Multi \"\"", true),
        ],
    );
}

#[test]
fn body_and_attachments_are_searched_separately() {
    let mut content = MessageContent {
        headers: vec![HeaderField {
            name: "Subject".into(),
            value: "hdr".into(),
        }],
        body: "alpha beta".into(),
        attachments: "gamma delta".into(),
        ..Default::default()
    };
    for (key, want) in [
        ("BODY beta", true),
        ("BODY GAMMA", true),
        ("BODY \"beta gamma\"", false),
        ("BODY betagamma", false),
        ("BODY {10}\r\nbeta\ngamma", false),
        ("TEXT delta", true),
        ("TEXT \"hdr\"", true),
        ("TEXT {7}\r\nhdr\nalp", false),
        ("TEXT \"subject: hdr\"", true),
    ] {
        assert_eq!(
            evaluate(&parse_key(key).unwrap(), &meta(), &CTX, &mut content),
            want,
            "{key}"
        );
    }
}

#[test]
fn system_flags() {
    let m = MessageMeta {
        flags: Flags::SEEN.union(Flags::ANSWERED),
        ..meta()
    };
    check_meta(
        &m,
        &CTX,
        &[
            ("ALL", true),
            ("SEEN", true),
            ("UNSEEN", false),
            ("ANSWERED", true),
            ("UNANSWERED", false),
            ("DELETED", false),
            ("UNDELETED", true),
            ("DRAFT", false),
            ("UNDRAFT", true),
            ("FLAGGED", false),
            ("UNFLAGGED", true),
            ("SEEN ANSWERED UNDELETED", true),
            ("OR DELETED FLAGGED", false),
            ("NOT OR DELETED FLAGGED", true),
        ],
    );
    let m = MessageMeta {
        flags: Flags::DELETED.union(Flags::DRAFT).union(Flags::FLAGGED),
        ..meta()
    };
    check_meta(
        &m,
        &CTX,
        &[
            ("DELETED", true),
            ("DRAFT", true),
            ("FLAGGED", true),
            ("UNSEEN", true),
            ("SEEN", false),
        ],
    );
}

#[test]
fn keywords() {
    let m = MessageMeta {
        flags: Flags::SEEN,
        keywords: vec!["Work".into(), "$Junk".into()],
        ..meta()
    };
    check_meta(
        &m,
        &CTX,
        &[
            ("KEYWORD work", true),
            ("KEYWORD WORK", true),
            ("KEYWORD $junk", true),
            ("KEYWORD home", false),
            ("UNKEYWORD home", true),
            ("UNKEYWORD Work", false),
            ("KEYWORD \\Seen", false),
            ("UNKEYWORD \\Seen", true),
            ("KEYWORD $Forwarded", false),
        ],
    );
    let passed = MessageMeta {
        flags: Flags::PASSED,
        ..meta()
    };
    check_meta(
        &passed,
        &CTX,
        &[
            ("KEYWORD $Forwarded", true),
            ("KEYWORD $forwarded", true),
            ("UNKEYWORD $Forwarded", false),
        ],
    );
    let kw = MessageMeta {
        keywords: vec!["$FORWARDED".into()],
        ..meta()
    };
    check_meta(&kw, &CTX, &[("KEYWORD $Forwarded", true)]);
}

#[test]
fn recent_new_old() {
    for (recent, seen, want_recent, want_new, want_old) in [
        (true, false, true, true, false),
        (true, true, true, false, false),
        (false, false, false, false, true),
        (false, true, false, false, true),
    ] {
        let flags = if seen { Flags::SEEN } else { Flags::empty() };
        let m = MessageMeta {
            recent,
            flags,
            ..meta()
        };
        check_meta(
            &m,
            &CTX,
            &[
                ("RECENT", want_recent),
                ("NEW", want_new),
                ("OLD", want_old),
            ],
        );
    }
}

#[test]
fn sizes() {
    let m = MessageMeta {
        size: 1000,
        ..meta()
    };
    check_meta(
        &m,
        &CTX,
        &[
            ("LARGER 999", true),
            ("LARGER 1000", false),
            ("SMALLER 1000", false),
            ("SMALLER 1001", true),
            ("LARGER 0", true),
        ],
    );
}

#[test]
fn sequence_and_uid_sets() {
    // The last message: UID 100, sequence number 10.
    let last = MessageMeta {
        uid: 100,
        seq: 10,
        ..meta()
    };
    check_meta(
        &last,
        &CTX,
        &[
            ("*", true),
            ("UID *", true),
            ("10", true),
            ("UID 10", false),
            ("UID 200:*", true),
            ("1:9", false),
            ("9:*", true),
        ],
    );
    // UID 10 at sequence number 3.
    let m = MessageMeta {
        uid: 10,
        seq: 3,
        ..meta()
    };
    check_meta(
        &m,
        &CTX,
        &[
            ("3", true),
            ("10", false),
            ("UID 10", true),
            ("UID 3", false),
            ("*", false),
            ("UID *", false),
            ("4:2", true),
            ("UID 11:5", true),
            ("1,3:5,7:*", true),
            ("UID 1,3:5,7:*", true),
            ("UID 5:*", true),
            ("5:*", false),
            ("*:3", true),
            ("NOT 3", false),
            ("OR 1 UID 10", true),
        ],
    );
    // In an empty mailbox `*` matches nothing.
    let empty = MailboxContext {
        max_uid: 0,
        max_seq: 0,
    };
    let m = MessageMeta {
        uid: 1,
        seq: 1,
        ..meta()
    };
    check_meta(
        &m,
        &empty,
        &[
            ("*", false),
            ("UID 1:*", false),
            ("1", true),
            ("UID 1", true),
        ],
    );
}

#[test]
fn missing_content_makes_content_keys_false() {
    check_meta(
        &meta(),
        &CTX,
        &[
            ("SUBJECT \"\"", false),
            ("NOT SUBJECT x", true),
            ("HEADER X \"\"", false),
            ("BODY \"\"", false),
            ("TEXT \"\"", false),
            ("SENTON 1-Jul-2003", false),
            ("NOT SENTON 1-Jul-2003", true),
            ("OR SUBJECT x ALL", true),
        ],
    );
    let mut gone = LazyContent::new(|| None);
    assert!(!evaluate(
        &parse_key("FROM a").unwrap(),
        &meta(),
        &CTX,
        &mut gone
    ));
    assert!(gone.was_loaded() && gone.into_content().is_none());
}

#[test]
fn content_is_loaded_only_when_needed() {
    let loads = Cell::new(0);
    let run = |key: &str, m: &MessageMeta| {
        let mut c = LazyContent::new(|| {
            loads.set(loads.get() + 1);
            Some(M1.as_bytes().to_vec())
        });
        let r = compile(&parse_key(key).unwrap()).evaluate(m, &CTX, &mut c);
        (r, c.was_loaded())
    };
    let unseen = meta();
    let seen = MessageMeta {
        flags: Flags::SEEN,
        ..meta()
    };
    assert_eq!(run("SUBJECT strasse SEEN", &unseen), (false, false));
    assert_eq!(run("SUBJECT strasse SEEN", &seen), (true, true));
    assert_eq!(run("OR BODY nothing SEEN", &seen), (true, false));
    assert_eq!(run("OR BODY lang SEEN", &unseen), (true, true));
    assert_eq!(run("(TEXT x (FROM y UID 1))", &unseen), (false, false));
    assert_eq!(run("NOT (BODY x DELETED)", &unseen), (true, false));
    assert_eq!(
        run("SUBJECT a BODY b TEXT c SENTON 1-Jan-2000", &unseen),
        (false, true)
    );
    assert_eq!(loads.get(), 3, "each message is loaded at most once");
}

#[test]
fn compiled_key_is_reusable() {
    let key = compile(&parse_key("OR SUBJECT strasse BODY ирина").unwrap());
    assert!(key.needs_content());
    let mut m1 = MessageContent::parse(M1.as_bytes());
    let mut m2 = MessageContent::parse(M2.as_bytes());
    let mut m3 = MessageContent::parse(M3.as_bytes());
    assert!(key.evaluate(&meta(), &CTX, &mut m1));
    assert!(!key.evaluate(&meta(), &CTX, &mut m2));
    assert!(!key.evaluate(&meta(), &CTX, &mut m3));
    let content: &mut dyn ContentSource = &mut m1;
    assert!(content.content().is_some());
}

#[test]
fn needs_content_classification() {
    for (key, want) in [
        (
            "ALL SEEN UID 1:* LARGER 5 SINCE 1-Jan-2000 KEYWORD x",
            false,
        ),
        ("NOT OR NEW (OLD RECENT 1,2)", false),
        ("SENTON 1-Jan-2000", true),
        ("NOT (SEEN OR DRAFT HEADER x y)", true),
        ("OR SEEN BODY x", true),
        ("TEXT x", true),
        ("BCC x", true),
        ("CC x", true),
        ("FROM x", true),
        ("TO x", true),
        ("SUBJECT x", true),
    ] {
        let k = parse_key(key).unwrap();
        assert_eq!(needs_content(&k), want, "{key}");
        assert_eq!(compile(&k).needs_content(), want, "{key}");
    }
    assert!(!needs_content(&SearchKey::And(vec![])));
    assert!(evaluate(
        &SearchKey::And(vec![]),
        &meta(),
        &CTX,
        &mut NoContent
    ));
}

#[test]
fn needle() {
    let n = Needle::new("STRASSE");
    assert_eq!(n.folded(), "strasse");
    assert!(n.matches("Große Straße"));
    assert!(n.matches_folded("die strasse"));
    assert!(!n.matches("Strase"));
    assert!(Needle::new("").matches("") && Needle::new("").is_empty());
    assert!(Needle::new("ΣΑΣ").matches("σας"));
    assert!(Needle::new("привет").matches("ПРИВЕТ"));
}

fn subject_content(subject: &str) -> MessageContent {
    MessageContent {
        headers: vec![HeaderField {
            name: "Subject".into(),
            value: subject.into(),
        }],
        ..Default::default()
    }
}

fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[aAbBsSkK ßẞσςΣİiıI\u{212A}ﬃﬀΐ\u{0345}ΙЁёǅǄ]{0,16}",
        "[a-zA-Z ]{0,24}",
        any::<String>(),
    ]
}

/// A haystack and a needle that is often a case-changed piece of it.
fn hay_and_needle() -> impl Strategy<Value = (String, String)> {
    (
        tricky_text(),
        tricky_text(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        0..4u8,
    )
        .prop_map(|(hay, other, a, b, mode)| {
            let chars: Vec<char> = hay.chars().collect();
            let (mut i, mut j) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
            if i > j {
                std::mem::swap(&mut i, &mut j);
            }
            let piece: String = chars[i..j].iter().collect();
            let needle = match mode {
                0 => other,
                1 => piece,
                2 => piece.to_uppercase(),
                _ => piece.to_lowercase(),
            };
            (hay, needle)
        })
}

fn arb_set() -> impl Strategy<Value = SequenceSet> {
    let bound = prop_oneof![4 => (0u32..40).prop_map(SeqBound::Value), 1 => Just(SeqBound::Star)];
    prop::collection::vec(
        (bound.clone(), bound).prop_map(|(from, to)| SeqRange { from, to }),
        0..6,
    )
    .prop_map(SequenceSet)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn subject_matches_naive_reference((hay, needle) in hay_and_needle()) {
        let want = fold(&hay).contains(&fold(&needle));
        let mut content = subject_content(&hay);
        let got = evaluate(&SearchKey::Subject(needle.clone()), &meta(), &CTX, &mut content);
        prop_assert_eq!(got, want);
        prop_assert_eq!(Needle::new(&needle).matches(&hay), want);
        let body = MessageContent { body: hay.clone(), ..Default::default() };
        prop_assert_eq!(evaluate(&SearchKey::Body(needle), &meta(), &CTX, &mut Some(body)), want);
    }

    #[test]
    fn compiled_sets_match_sequence_set_contains(set in arb_set(), n in 0u32..45, star in 0u32..45) {
        let m = MessageMeta { uid: n, seq: n, ..meta() };
        let ctx = MailboxContext { max_uid: star, max_seq: star };
        let want = set.contains(n, star);
        prop_assert_eq!(evaluate(&SearchKey::Uid(set.clone()), &m, &ctx, &mut NoContent), want);
        prop_assert_eq!(evaluate(&SearchKey::SequenceSet(set), &m, &ctx, &mut NoContent), want);
    }
}
