//! A fast, unkeyed hash for the crate's in-memory maps.
//!
//! It is not resistant to keys chosen by an attacker to collide. The keys hashed with it are
//! identifiers the application already holds (customer IDs, engagement keys), not raw input
//! from the open internet.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A hash map with [`FastHasher`].
pub(crate) type Map<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
/// A hash set with [`FastHasher`].
pub(crate) type Set<T> = HashSet<T, BuildHasherDefault<FastHasher>>;

/// A multiply-rotate hasher in the style of rustc's `FxHasher`: a word at a time, no key.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    /// An odd constant with well-spread bits (from `rustc-hash`).
    const SEED: u64 = 0xf135_7aea_2e62_a9c5;

    const fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(
                <[u8; 8]>::try_from(word).unwrap_or([0; 8]),
            ));
        }
        let mut tail = [0; 8];
        for (slot, byte) in tail.iter_mut().zip(words.remainder()) {
            *slot = *byte;
        }
        self.add(u64::from_le_bytes(tail));
        self.add(bytes.len() as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_u128(&mut self, n: u128) {
        let [low, high] = [n as u64, (n >> 64) as u64];
        self.add(low);
        self.add(high);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // The table takes its control bits from the top: bring the well-mixed bits there.
        self.0.rotate_left(26)
    }
}
