//! Prints generated messages: `cargo run -p mailfts-corpora --example dump -- SEED FROM COUNT`.

use mailfts_corpora::{generate_message, CorpusSpec};
use std::io::Write;

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("number"))
        .collect();
    let (seed, from, count) = (
        args.first().copied().unwrap_or(1),
        args.get(1).copied().unwrap_or(0),
        args.get(2).copied().unwrap_or(3),
    );
    let spec = CorpusSpec::new(seed, 20_000);
    let mut out = std::io::stdout().lock();
    for i in from..from + count {
        let m = generate_message(&spec, i as usize);
        writeln!(
            out,
            "===== #{i} {} {} new={} =====",
            m.folder, m.file_name, m.in_new
        )
        .unwrap();
        out.write_all(&m.bytes).unwrap();
    }
}
