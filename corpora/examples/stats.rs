//! Size statistics (temporary helper).
use mailfts_corpora::{generate_message, CorpusSpec};
fn main() {
    let seed: u64 = std::env::args().nth(1).map(|a| a.parse().unwrap()).unwrap_or(1);
    let n: usize = std::env::args().nth(2).map(|a| a.parse().unwrap()).unwrap_or(2000);
    let spec = CorpusSpec::new(seed, n);
    let t = std::time::Instant::now();
    let mut sizes: Vec<usize> = (0..n).map(|i| generate_message(&spec, i).bytes.len()).collect();
    let el = t.elapsed();
    sizes.sort();
    let total: usize = sizes.iter().sum();
    println!("n={n} total={total} mean={} p10={} p50={} p90={} p99={} max={} over100k={} in1-10k={:.2} msgs/s={:.0}",
        total / n, sizes[n/10], sizes[n/2], sizes[n*9/10], sizes[n*99/100], sizes[n-1],
        sizes.iter().filter(|&&s| s >= 100_000).count(),
        sizes.iter().filter(|&&s| (1000..10_000).contains(&s)).count() as f64 / n as f64,
        n as f64 / el.as_secs_f64());
}
