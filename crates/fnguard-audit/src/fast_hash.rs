//! The hasher of the audit's own maps: keys are short strings and small
//! tuples looked up per finding, where SipHash was several percent of the
//! audit. The multiply-rotate mix is the one rustc uses (FxHash); the start
//! state is random per process, so iteration order stays as unpredictable as
//! with `RandomState` and nothing can come to depend on it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, FastState>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, FastState>;

#[derive(Clone, Copy)]
pub(crate) struct FastState {
    seed: u64,
}

impl Default for FastState {
    fn default() -> Self {
        static SEED: OnceLock<u64> = OnceLock::new();
        FastState {
            seed: *SEED.get_or_init(|| RandomState::new().hash_one(0x5eed_u64)),
        }
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(self.seed)
    }
}

pub(crate) struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
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
            // The length keeps "ab" and "ab\0" apart.
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_keep_and_find_every_key() {
        let mut map: HashMap<String, usize> = HashMap::default();
        for i in 0..5000 {
            map.insert(format!("Function{i}"), i);
        }
        assert_eq!(map.len(), 5000);
        assert!((0..5000).all(|i| map.get(&format!("Function{i}")) == Some(&i)));
        assert_eq!(map.get("Function5000"), None);
        let set: HashSet<(&str, u32, u32)> = [("a", 1, 2), ("a", 2, 1), ("ab", 1, 2), ("a", 1, 2)]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn nearby_keys_hash_apart() {
        let state = FastState::default();
        assert_ne!(state.hash_one("ab"), state.hash_one("ab\0"));
        assert_ne!(state.hash_one(("a", 1u32)), state.hash_one(("a", 2u32)));
    }
}
