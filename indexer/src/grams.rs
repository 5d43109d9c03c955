//! A gram filter: which 4-byte substrings occur anywhere in a sealed column.
//!
//! The opaque-run columns (see [`crate::columns`]) are searched by `memmem` after zstd
//! decompression: on linux-usb 20k that is 14.7 MB of header identifiers (DKIM and ARC signatures,
//! message-ids) and 2.1 MB of body identifiers, decompressed and scanned for every TEXT or BODY
//! string — about 10 ms in a fresh process, 1.5 ms in a warm one, for strings that almost never
//! occur inside an identifier (`gadget`, `troshchinskiy`). The filter answers "can this string
//! occur in the column at all?" before any of that: one bit per hashed 4-byte window of the folded
//! values (windows never span two values). A string of four bytes or more whose windows are not
//! all set cannot occur; the column is then not read. Shorter strings, and strings whose windows
//! are all set (a real hit or a false positive), take the `memmem` path as before, so answers are
//! exactly those of the column.
//!
//! Size: the bit count starts at the power of two at or above the number of windows and is halved
//! (by OR-ing the halves: an index is the hash masked to the size) while under a third of the bits
//! are set, so random identifiers (every window distinct) cost about one bit per byte of column,
//! and repetitive values much less. A bit lost to damage would hide matches, so the filter carries
//! a CRC-32 checked when it is read: a bad filter is damage, never a wrong answer.
//!
//! The filter travels inside the sealed column file as a zstd *skippable frame* in front of the
//! data frame (decoders skip it), so base and filter are replaced together by one rename.

/// Bytes per window.
pub const GRAM: usize = 4;

/// Smallest filter, in bits.
const MIN_BITS: usize = 1 << 13;

/// Magic number of the skippable zstd frame that carries a filter (0x184D2A50..=0x184D2A5F are
/// skippable; this one is ours).
pub const FRAME_MAGIC: u32 = 0x184D_2A5D;

/// First bytes of the filter inside its frame (the version is in the name).
const FILTER_MAGIC: &[u8; 8] = b"MFGRAMS1";

/// The set of (hashed) 4-byte windows of a column's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GramFilter {
    /// The bits, 64 per word; the length is a power of two.
    words: Vec<u64>,
}

/// The bit of a window in a filter of `bits` bits (a power of two): the hash masked to the size,
/// so halving a filter keeps every window's bit (`index & (bits/2 - 1)`).
fn bit_of(window: &[u8], bits: usize) -> usize {
    let w = u32::from_le_bytes([window[0], window[1], window[2], window[3]]) as u64;
    let h = w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 29;
    (h as usize) & (bits - 1)
}

impl GramFilter {
    /// The filter of `values` (already case-folded, as the column holds them).
    pub fn build<'a>(values: impl Iterator<Item = &'a [u8]> + Clone) -> GramFilter {
        let windows: usize = values
            .clone()
            .map(|v| v.len().saturating_sub(GRAM - 1))
            .sum();
        let mut filter = GramFilter::for_windows(windows);
        for v in values {
            filter.add(v);
        }
        filter.finish()
    }

    /// An empty filter sized for about `windows` windows, to be filled by [`GramFilter::add`] and
    /// shrunk by [`GramFilter::finish`] (for values streamed once). Any size gives a correct filter
    /// (a bit is a hash masked to the size); the size only decides how much it rules out.
    pub fn for_windows(windows: usize) -> GramFilter {
        let bits = windows.next_power_of_two().max(MIN_BITS);
        GramFilter {
            words: vec![0u64; bits / 64],
        }
    }

    /// Adds the windows of one value.
    pub fn add(&mut self, value: &[u8]) {
        let bits = self.bits();
        for w in value.windows(GRAM) {
            let b = bit_of(w, bits);
            self.words[b / 64] |= 1 << (b % 64);
        }
    }

    /// Halves the filter (OR of its halves) while under a third of its bits are set.
    pub fn finish(mut self) -> GramFilter {
        while self.bits() > MIN_BITS && self.set_bits() * 3 < self.bits() {
            let half = self.words.len() / 2;
            let (lo, hi) = self.words.split_at_mut(half);
            for (a, b) in lo.iter_mut().zip(hi.iter()) {
                *a |= *b;
            }
            self.words.truncate(half);
        }
        self
    }

    /// True when the filter rules out most strings of letters: it passes fewer than a quarter of
    /// 64 fixed pseudo-random 8-letter strings. Random base64 (DKIM and ARC signatures) holds
    /// nearly every 4-byte window of its alphabet, so a filter of it passes everything and is not
    /// worth its bytes; hex dumps and numbers never hold most letters.
    pub fn worth_keeping(&self) -> bool {
        let mut state: u32 = 0x2545_F491;
        let mut passed = 0;
        for _ in 0..64 {
            let probe: Vec<u8> = (0..8)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    b'a' + ((state >> 24) % 26) as u8
                })
                .collect();
            if self.may_contain(&probe) {
                passed += 1;
            }
        }
        passed * 4 < 64
    }

    /// Number of bits.
    pub fn bits(&self) -> usize {
        self.words.len() * 64
    }

    fn set_bits(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// False when `folded_needle` cannot occur in any value; true when it may (always for needles
    /// shorter than a window).
    pub fn may_contain(&self, folded_needle: &[u8]) -> bool {
        if folded_needle.len() < GRAM {
            return true;
        }
        let bits = self.bits();
        folded_needle.windows(GRAM).all(|w| {
            let b = bit_of(w, bits);
            self.words[b / 64] & (1 << (b % 64)) != 0
        })
    }

    /// The frame that carries this filter in a sealed column file: magic, length, then
    /// `MFGRAMS1`, the word count, the words (little endian) and a CRC-32 of all of these.
    pub fn to_frame(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(20 + self.words.len() * 8);
        body.extend_from_slice(FILTER_MAGIC);
        body.extend_from_slice(&(self.words.len() as u64).to_le_bytes());
        for w in &self.words {
            body.extend_from_slice(&w.to_le_bytes());
        }
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        let mut frame = Vec::with_capacity(8 + body.len());
        frame.extend_from_slice(&FRAME_MAGIC.to_le_bytes());
        frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
        frame.extend_from_slice(&body);
        frame
    }

    /// Length of the frame at the start of `head` (at least its first 8 bytes), when the file
    /// starts with a filter frame.
    pub fn frame_len(head: &[u8]) -> Option<usize> {
        if head.len() < 8 || u32::from_le_bytes(head[..4].try_into().ok()?) != FRAME_MAGIC {
            return None;
        }
        Some(8 + u32::from_le_bytes(head[4..8].try_into().ok()?) as usize)
    }

    /// Reads a whole frame made by [`GramFilter::to_frame`]. `Err` says what is wrong (damage).
    pub fn from_frame(frame: &[u8]) -> Result<GramFilter, String> {
        let len = GramFilter::frame_len(frame).ok_or("not a gram filter frame")?;
        if frame.len() != len || len < 8 + 20 {
            return Err(format!("gram filter frame of {} bytes", frame.len()));
        }
        let body = &frame[8..];
        let (data, crc) = body.split_at(body.len() - 4);
        if crc32fast::hash(data) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
            return Err("gram filter checksum mismatch".into());
        }
        if &data[..8] != FILTER_MAGIC {
            return Err("gram filter of an unknown version".into());
        }
        let n = u64::from_le_bytes(data[8..16].try_into().expect("8 bytes")) as usize;
        let words_bytes = &data[16..];
        if words_bytes.len() != n.checked_mul(8).ok_or("gram filter size overflow")?
            || !n.is_power_of_two()
        {
            return Err("gram filter of a wrong size".into());
        }
        let words = words_bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        Ok(GramFilter { words })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(values: &[&str]) -> GramFilter {
        GramFilter::build(values.iter().map(|v| v.as_bytes()))
    }

    #[test]
    fn every_substring_of_a_value_may_be_contained() {
        let values = [
            "bh=47deqpj8hbsa+tjbtqk0j9phjmiyvscghh8a",
            "abcdef0123456789",
        ];
        let f = filter(&values);
        for v in values {
            for i in 0..v.len() {
                for j in i + 1..=v.len() {
                    assert!(f.may_contain(&v.as_bytes()[i..j]), "{}", &v[i..j]);
                }
            }
        }
    }

    #[test]
    fn absent_strings_are_mostly_ruled_out() {
        let values: Vec<String> = (0..2000)
            .map(|i| format!("{:016x}{:016x}", i * 7919 + 13, i * 104729))
            .collect();
        let f = GramFilter::build(values.iter().map(|v| v.as_bytes()));
        // letters outside the hex alphabet never occur
        for word in ["gadget", "troshchinskiy", "suspend", "xhci", "kernel"] {
            assert!(!f.may_contain(word.as_bytes()), "{word}");
        }
        // short needles always may
        assert!(f.may_contain(b"zz"));
        // windows do not span two values: the end of one and the start of the next
        let two = filter(&["aaaa", "bbbb"]);
        assert!(!two.may_contain(b"aabb"));
        assert!(f.worth_keeping());
    }

    #[test]
    fn saturated_filters_are_not_kept() {
        // every 4-letter window (as random identifiers of a large column hold them all)
        let letters = b'a'..=b'z';
        let mut values: Vec<[u8; 4]> = Vec::new();
        for a in letters.clone() {
            for b in letters.clone() {
                for c in letters.clone() {
                    for d in letters.clone() {
                        values.push([a, b, c, d]);
                    }
                }
            }
        }
        let f = GramFilter::build(values.iter().map(|v| &v[..]));
        assert!(!f.worth_keeping());
    }

    #[test]
    fn repetitive_columns_get_small_filters() {
        let values: Vec<String> = (0..50_000).map(|i| format!("id{}", i % 10)).collect();
        let f = GramFilter::build(values.iter().map(|v| v.as_bytes()));
        assert_eq!(f.bits(), MIN_BITS);
    }

    #[test]
    fn frames_round_trip_and_damage_is_detected() {
        let f = filter(&["0123456789abcdef", "deadbeefcafebabe"]);
        let frame = f.to_frame();
        assert_eq!(GramFilter::frame_len(&frame), Some(frame.len()));
        assert_eq!(GramFilter::from_frame(&frame).unwrap(), f);
        for at in [8, 20, frame.len() / 2, frame.len() - 1] {
            let mut bad = frame.clone();
            bad[at] ^= 0x10;
            assert!(GramFilter::from_frame(&bad).is_err(), "flip at {at}");
        }
        assert!(GramFilter::from_frame(&frame[..frame.len() - 3]).is_err());
        assert_eq!(GramFilter::frame_len(b"\x28\xb5\x2f\xfd...."), None);
    }
}
