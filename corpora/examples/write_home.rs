//! Writes a sample home: `cargo run --release -p mailfts-corpora --example write_home -- DIR [MESSAGES] [SEED]`.

use mailfts_corpora::{write_maildir, CorpusSpec};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: write_home DIR [MESSAGES] [SEED]");
    let messages = args
        .next()
        .map_or(20_000, |a| a.parse().expect("message count"));
    let seed = args.next().map_or(1, |a| a.parse().expect("seed"));
    let spec = CorpusSpec::new(seed, messages);
    let start = std::time::Instant::now();
    let stats = write_maildir(&spec, dir.as_ref(), &mut |_| {})?;
    println!(
        "wrote {} messages ({:.1} MB) in {:.1} s",
        stats.messages,
        stats.bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
