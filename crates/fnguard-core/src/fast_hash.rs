//! The hasher of fnguard's internal maps (resource ids, logical ids, role
//! names, small tuples): SipHash was several percent of loading and auditing
//! a template. Each 8-byte word is mixed by a folded multiply (the 128-bit
//! product's halves XORed, as foldhash and ahash do) with a multiplier drawn
//! per process. A plain multiply-rotate mix (FxHash) is not enough for keys
//! taken from untrusted templates: a difference in a word's top bit passes
//! through it unchanged whatever the seed, so an attacker could build
//! thousands of keys that collide on every machine and make the scan
//! quadratic. The folded product's high half depends on every bit of both
//! factors, so no fixed input difference survives it. The random start state
//! also keeps iteration order unpredictable, so nothing can come to depend
//! on it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

pub type HashMap<K, V> = std::collections::HashMap<K, V, FastState>;
pub type HashSet<K> = std::collections::HashSet<K, FastState>;

#[derive(Clone, Copy)]
pub struct FastState {
    seed: u64,
    multiplier: u64,
}

impl Default for FastState {
    fn default() -> Self {
        static KEYS: OnceLock<(u64, u64)> = OnceLock::new();
        let &(seed, multiplier) = KEYS.get_or_init(|| {
            let random = RandomState::new();
            // Odd, so that multiplying loses no information in the low half.
            (random.hash_one(0x5eed_u64), random.hash_one(0x6d75_u64) | 1)
        });
        FastState { seed, multiplier }
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher {
            state: self.seed,
            multiplier: self.multiplier,
        }
    }
}

pub struct FastHasher {
    state: u64,
    multiplier: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        let product = u128::from(self.state ^ word) * u128::from(self.multiplier);
        self.state = (product as u64) ^ ((product >> 64) as u64);
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

    /// One more folded multiply, by a fixed odd constant: after `add` the
    /// low bits of the state depend on the input's high bits only through
    /// the product's high half, weakly for some per-process multipliers (a
    /// map indexes by the low bits; 10 % of processes spread 1,024 keys
    /// differing in one word's high bytes over fewer than 600 of 4,096
    /// buckets). The second fold mixes every bit into the low ones.
    #[inline]
    fn finish(&self) -> u64 {
        const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
        let product = u128::from(self.state) * u128::from(MIX);
        (product as u64) ^ ((product >> 64) as u64)
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

    /// The FxHash-style mix let two-word keys collide for every seed when
    /// the first words differ in bit 63 and the second in bit 4; chaining
    /// such pairs gave 2^k colliding keys. The folded multiply must not.
    #[test]
    fn top_bit_differences_do_not_collide() {
        let state = FastState::default();
        let key = |a: u64, b: u64| {
            let mut bytes = a.to_le_bytes().to_vec();
            bytes.extend_from_slice(&b.to_le_bytes());
            state.hash_one(bytes)
        };
        let (a, b) = (0x4142_4344_4546_4748_u64, 0x6162_6364_6566_6768_u64);
        assert_ne!(key(a, b), key(a ^ (1 << 63), b ^ (1 << 4)));
        // And the low bits a table indexes by spread over many keys that
        // differ only in their last word's high bytes.
        let buckets: HashSet<u64> = (0..1024u64)
            .map(|i| key(a, b ^ (i << 40)) & 0xfff)
            .collect();
        assert!(buckets.len() > 600, "{} buckets", buckets.len());
    }
}

/// 64-bit FNV-1a: stable across runs, machines and builds (what is saved,
/// such as the destinations' hashes in `fnguard detect --state`, keeps its
/// meaning) and cheap on short keys. Not for keys an attacker chooses in
/// bulk: it has no seed (use [`FastState`] there).
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builds [`Fnv1a`] hashers, for maps of our own fixed keys.
pub type BuildFnv1a = std::hash::BuildHasherDefault<Fnv1a>;

/// The FNV-1a hash of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv1a::default();
    hasher.write(bytes);
    hasher.finish()
}

#[cfg(test)]
mod fnv_tests {
    use super::fnv1a;

    #[test]
    fn fnv1a_has_its_published_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
