//! Search latency on a prebuilt index: term, prefix, infix (exact mode), phrase, header substring and
//! Roundcube's quick search, against the linear scan of the same mailbox.

use criterion::{criterion_group, criterion_main, Criterion};
use mailfts_benches::BenchHome;
use mailfts_indexer::home::HomeIndex;
use mailfts_query::exec::{Engine, Mode};
use mailfts_query::parse::parse_program;

fn search(c: &mut Criterion) {
    let home = BenchHome::generate(5_000, 42, true);
    let store = home.store();
    let index = HomeIndex::open(&home.index)
        .expect("open")
        .expect("indexed");
    let engine = Engine::new(&store, Some(&index));
    let cases = [
        ("term", "BODY gadget", Mode::Index),
        ("prefix", "BODY gad", Mode::Index),
        ("infix_exact", "BODY adget", Mode::Exact),
        ("phrase", "BODY \"usb gadget\"", Mode::Exact),
        ("header_substring", "FROM example.org", Mode::Index),
        (
            "roundcube_or",
            "OR HEADER SUBJECT meeting HEADER FROM meeting",
            Mode::Index,
        ),
        ("text_word", "TEXT alice", Mode::Index),
    ];
    let mut group = c.benchmark_group("search_5000");
    for (name, query, mode) in cases {
        let program = parse_program(query).expect("valid program");
        group.bench_function(name, |b| {
            b.iter(|| engine.search("INBOX", &program, mode).expect("search"))
        });
    }
    group.sample_size(10);
    let program = parse_program("BODY gadget").expect("valid program");
    group.bench_function("linear_scan_term", |b| {
        b.iter(|| engine.search("INBOX", &program, Mode::Scan).expect("scan"))
    });
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
