//! A fast hash for the index's own keys (invoice numbers, ids).
//!
//! The standard hasher resists flooding by chosen keys, which costs time on every lookup. The
//! index's keys are the company's own invoice numbers and ids, not input from outside; text
//! from bank files only ever probes them. So a multiply-rotate hash, a few instructions per
//! word, is safe here and several times cheaper.

use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default, Clone, Copy)]
pub(crate) struct WordHasher(u64);

/// An odd constant with well-mixed bits (from the golden ratio).
const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_i64(&mut self, value: i64) {
        self.add(value as u64);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    /// Multiplying only carries differences upward, and the table picks buckets by the low
    /// bits: a final avalanche (SplitMix64's) spreads every input bit over all of them.
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<WordHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_different_keys_mostly_differ() {
        let mut map: FastMap<String, usize> = FastMap::default();
        for n in 0..100_000 {
            map.insert(format!("INV{n:07}"), n);
        }
        for n in (0..100_000).step_by(997) {
            assert_eq!(map.get(&format!("INV{n:07}")), Some(&n));
        }
        let hash = |text: &str| {
            let mut hasher = WordHasher::default();
            hasher.write(text.as_bytes());
            hasher.finish()
        };
        assert_ne!(hash("INV0000001"), hash("INV0000002"));
        assert_eq!(hash("INV0000001"), hash("INV0000001"));
        // Keys that differ only in their last bytes still spread over the low bits.
        let mut low: Vec<u64> = (0..1024)
            .map(|n| hash(&format!("1000{n:03}")) & 1023)
            .collect();
        low.sort_unstable();
        low.dedup();
        assert!(
            low.len() > 500,
            "{} distinct low-bit patterns of 1024",
            low.len()
        );
    }
}
