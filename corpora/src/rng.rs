//! Deterministic, portable pseudo-random numbers.
//!
//! Every message is a pure function of `(seed, index)`: each aspect of a
//! message draws from its own stream, keyed by `(seed, index, stream)`.
//! The generator is SplitMix64 and all derived distributions use integer
//! arithmetic or exact floating-point operations only (no `ln`/`exp`), so
//! the output is identical on every platform and does not depend on the
//! version of any external crate.

/// Stream used for the thread skeleton (parent, kind, sender).
pub(crate) const STREAM_NODE: u64 = 1;
/// Stream used for the parent decision.
pub(crate) const STREAM_PARENT: u64 = 2;
/// Stream used for folder, flags and delivery date.
pub(crate) const STREAM_META: u64 = 3;
/// Stream used for the thread subject.
pub(crate) const STREAM_SUBJECT: u64 = 4;
/// Stream used for the leading paragraphs (which replies quote).
pub(crate) const STREAM_LEAD: u64 = 5;
/// Stream used for everything else in the message.
pub(crate) const STREAM_BODY: u64 = 6;
/// Stream used for the Message-ID.
pub(crate) const STREAM_ID: u64 = 7;
/// Stream used to derive people of the sender pool.
pub(crate) const STREAM_PERSON: u64 = 8;
/// Stream used for document attachments (PDF, DOCX): whether a message has
/// any, and their content. Messages without documents never draw from it.
pub(crate) const STREAM_DOC: u64 = 9;

/// SplitMix64 finaliser: a bijective 64-bit mixing function.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes a `(seed, a, b)` triple into a well-mixed 64-bit value.
pub(crate) fn hash3(seed: u64, a: u64, b: u64) -> u64 {
    let h = mix64(seed ^ 0x6a09_e667_f3bc_c908);
    let h = mix64(h ^ a.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    mix64(h ^ b.wrapping_mul(0xc2b2_ae3d_27d4_eb4f))
}

/// A small deterministic random number generator (SplitMix64).
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// The generator for one stream of one message.
    pub(crate) fn new(seed: u64, index: usize, stream: u64) -> Self {
        Rng {
            state: hash3(seed, index as u64, stream),
        }
    }

    /// Next raw 64-bit value.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.state)
    }

    /// Uniform integer in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform integer in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Index chosen with the given relative weights (not all zero).
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total as usize) as u64;
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    /// Zipf-like rank in `0..n`: `P(rank) ~ 1 / (rank + 1)`.
    ///
    /// Picks an octave `[2^k - 1, 2^(k+1) - 1)` uniformly, then a rank
    /// uniformly inside it (rejecting ranks `>= n`), which is a staircase
    /// approximation of the harmonic distribution using integers only.
    pub(crate) fn zipf(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let octaves = (usize::BITS - n.leading_zeros()) as usize;
        loop {
            let k = self.below(octaves);
            let lo = (1usize << k) - 1;
            let v = lo + self.below(1usize << k);
            if v < n {
                return v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_is_skewed_and_in_range() {
        let mut r = Rng::new(1, 2, 3);
        let mut counts = [0usize; 300];
        for _ in 0..100_000 {
            counts[r.zipf(300)] += 1;
        }
        assert!(counts[0] > counts[10] * 5);
        assert!(counts[299] > 0);
    }

    #[test]
    fn streams_differ() {
        assert_ne!(Rng::new(1, 2, 3).next_u64(), Rng::new(1, 2, 4).next_u64());
        assert_ne!(Rng::new(1, 2, 3).next_u64(), Rng::new(1, 3, 3).next_u64());
        assert_eq!(Rng::new(9, 9, 9).next_u64(), Rng::new(9, 9, 9).next_u64());
    }
}
