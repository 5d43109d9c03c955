//! Indexing costs: folding and tokenizing text, decoding messages, and indexing 1,000 messages.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mailfts_benches::BenchHome;
use mailfts_corpora::{generate_message, CorpusSpec};
use mailfts_extractors::MessageContent;
use mailfts_indexer::text::{fold, tokenize};

fn indexing(c: &mut Criterion) {
    let spec = CorpusSpec::new(7, 1_000);
    let messages: Vec<Vec<u8>> = (0..1_000)
        .map(|i| generate_message(&spec, i).bytes)
        .collect();
    let bodies: String = messages
        .iter()
        .map(|m| MessageContent::parse(m).body)
        .collect::<Vec<_>>()
        .join("\n");

    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Bytes(bodies.len() as u64));
    g.bench_function("fold", |b| b.iter(|| fold(&bodies)));
    let folded = fold(&bodies);
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            let mut n = 0usize;
            tokenize(&folded, |_| n += 1);
            n
        })
    });
    g.finish();

    let mut g = c.benchmark_group("messages");
    g.throughput(Throughput::Elements(messages.len() as u64));
    g.bench_function("decode_1000", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|m| MessageContent::parse(m).body.len())
                .sum::<usize>()
        })
    });
    g.sample_size(10);
    g.bench_function("index_1000", |b| {
        b.iter_batched(
            || BenchHome::generate(1_000, 7, false),
            |home| home.rescan(),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, indexing);
criterion_main!(benches);
