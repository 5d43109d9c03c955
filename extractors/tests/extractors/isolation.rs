//! The isolation guarantees, each with the input that breaks an unguarded extractor, and the
//! assertion that the rest of the message is still extracted within the limits.

use std::time::{Duration, Instant};

use mailfts_corpora::samples::{self as fixtures, Part};
use mailfts_extractors::{extract, ExtractError, Limits, MessageContent};

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

/// A message with a text body, a good DOCX, and `bad` as a PDF attachment.
fn message_with(bad: &[u8], content_type: &str) -> Vec<u8> {
    let good = fixtures::docx(&["survivorword"]);
    fixtures::mail(
        "guarded",
        "bodyword",
        &[
            Part {
                content_type,
                file_name: Some("bad.bin"),
                bytes: bad,
            },
            Part {
                content_type: "application/octet-stream",
                file_name: Some("good.docx"),
                bytes: &good,
            },
        ],
    )
}

#[track_caller]
fn assert_rest_survives(m: &MessageContent) {
    assert_eq!(m.body.trim(), "bodyword");
    assert!(
        m.attachments.contains("survivorword"),
        "{:?}",
        m.attachments
    );
    assert!(m.attachments.contains("good.docx") && m.attachments.contains("bad.bin"));
}

/// pdf-extract panics on some single-byte corruptions of a valid PDF (an `expect("MediaBox")`,
/// `unwrap`s on missing objects). Every flip of our fixture is tried; each panic costs only that
/// attachment.
#[test]
fn byte_flipped_pdfs_panic_in_the_worker_only() {
    let pdf = fixtures::pdf(&["flipword one", "flipword two"]);
    let l = limits();
    let (mut ok, mut panicked, mut other) = (0, 0, 0);
    let mut panicking = None;
    for i in (0..pdf.len()).step_by(3) {
        let mut bad = pdf.clone();
        bad[i] ^= 0x20;
        let e = extract("application/pdf", None, &bad, &l);
        match e.errors.first() {
            None => ok += 1,
            Some(ExtractError::Panicked { .. }) => {
                panicked += 1;
                panicking.get_or_insert(bad);
            }
            Some(_) => other += 1,
        }
    }
    eprintln!("byte flips: {ok} extracted, {panicked} panicked, {other} other errors");
    let bad = panicking.expect("at least one flip makes pdf-extract panic");
    assert!(ok > 0 && other > 0);
    let m = MessageContent::parse_with(&message_with(&bad, "application/pdf"), &l);
    assert_rest_survives(&m);
    assert!(
        m.problems
            .iter()
            .any(|p| p.starts_with("extract pdf: extractor panicked")),
        "{:?}",
        m.problems
    );
}

/// A form XObject that draws itself: pdf-extract recurses until the stack overflows. In-process
/// this aborts the whole program (no `catch_unwind` can stop it); in the worker it is one failure.
#[test]
fn self_drawing_pdf_overflows_the_worker_stack_only() {
    let m = MessageContent::parse_with(
        &message_with(&fixtures::pdf_self_drawing(), "application/pdf"),
        &limits(),
    );
    assert_rest_survives(&m);
    assert!(
        m.problems
            .iter()
            .any(|p| p.starts_with("extract pdf: worker died")),
        "{:?}",
        m.problems
    );
}

/// 4,000 pages sharing one content stream of 50,000 operators: minutes of work for pdf-extract,
/// a few kilobytes of file. The worker is killed at the deadline.
#[test]
fn slow_pdf_is_killed_at_the_deadline() {
    let pdf = fixtures::pdf_slow(4_000, 50_000);
    assert!(pdf.len() < 2 << 20);
    let l = Limits {
        timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let started = Instant::now();
    let m = MessageContent::parse_with(&message_with(&pdf, "application/octet-stream"), &l);
    let took = started.elapsed();
    assert_rest_survives(&m);
    assert!(
        m.problems
            .iter()
            .any(|p| p == "extract pdf: no result within 500 ms; worker killed"),
        "{:?}",
        m.problems
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

/// A DOCX whose document.xml inflates to 3 GB from 3 MB: reading stops at the inflate limit.
#[test]
fn zip_bomb_stops_at_the_inflate_limit() {
    let bomb = fixtures::docx_bomb(3_000_000_000);
    assert!(bomb.len() < 8 << 20, "{}", bomb.len());
    // a generous deadline: this test must show the inflate limit, not the time limit, even in
    // an unoptimized build on a loaded machine
    let l = Limits {
        max_inflated_bytes: 16 << 20,
        timeout: Duration::from_secs(60),
        ..limits()
    };
    let started = Instant::now();
    let e = extract("application/octet-stream", Some("bomb.docx"), &bomb, &l);
    assert_eq!(
        e.errors,
        [ExtractError::Inflated {
            format: mailfts_extractors::Format::Docx,
            limit: 16 << 20
        }]
    );
    assert!(
        e.text.contains("bomb start"),
        "text before the limit is kept: {:?}",
        e.text
    );
    let m = MessageContent::parse_with(
        &message_with(
            &bomb,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        &l,
    );
    assert_rest_survives(&m);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

/// 10,000 nested message/rfc822 parts (and 100,000): mail-parser parses them iteratively but drops
/// them recursively, which overflows the stack; we take the tree apart first, and extract the
/// nested messages down to `max_depth`. Runs on the test thread's ordinary 2 MiB stack.
#[test]
fn deeply_nested_messages_are_capped_and_dropped_flat() {
    for depth in [10_000, 100_000] {
        let raw = fixtures::nested_mail(depth, "outerword", "innermostword");
        let started = Instant::now();
        let m = MessageContent::parse(&raw);
        assert_eq!(m.body.trim(), "outerword");
        assert!(
            m.attachments.contains("Subject: level 1\n"),
            "{:.200}",
            m.attachments
        );
        assert!(m.attachments.contains("Subject: level 8\n"));
        assert!(!m.attachments.contains("Subject: level 9\n"));
        assert!(!m.attachments.contains("innermostword"));
        assert!(
            m.problems
                .iter()
                .any(|p| p
                    == "extract message: nested deeper than 8 levels; deeper messages skipped"),
            "{:?}",
            m.problems
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "depth {depth}: {:?}",
            started.elapsed()
        );
    }
    // within the cap, the innermost text is found
    let m = MessageContent::parse(&fixtures::nested_mail(5, "outerword", "innermostword"));
    assert!(
        m.attachments.contains("innermostword"),
        "{:?}",
        m.attachments
    );
}

#[test]
fn limits_on_input_and_output() {
    let pdf = fixtures::pdf(&["sizeword"]);
    let l = Limits {
        max_input_bytes: 100,
        ..limits()
    };
    let e = extract("application/pdf", None, &pdf, &l);
    assert!(
        matches!(e.errors[..], [ExtractError::TooLarge { size, limit: 100, .. }] if size == pdf.len())
    );
    let l = Limits {
        max_output_bytes: 10,
        ..limits()
    };
    let docx = fixtures::docx(&["a long paragraph of text"]);
    let e = extract("application/octet-stream", Some("a.docx"), &docx, &l);
    assert!(
        e.truncated && e.errors.is_empty() && e.text.len() <= 10,
        "{e:?}"
    );
    let raw = fixtures::mail(
        "t",
        "b",
        &[Part {
            content_type: "text/plain",
            file_name: Some("log.txt"),
            bytes: &[b'x'; 100],
        }],
    );
    let m = MessageContent::parse_with(
        &raw,
        &Limits {
            max_output_bytes: 40,
            ..limits()
        },
    );
    assert!(
        m.problems
            .iter()
            .any(|p| p == "truncated text: text cut at 40 bytes"),
        "{:?}",
        m.problems
    );
}

/// Many isolated extractions at once (the rescan runs them from every rayon thread).
#[test]
fn concurrent_workers() {
    let pdf = fixtures::pdf(&["parallelword"]);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let pdf = pdf.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    let e = extract("application/pdf", None, &pdf, &limits());
                    assert!(e.errors.is_empty(), "{:?}", e.errors);
                    assert_eq!(e.text.trim(), "parallelword");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}
