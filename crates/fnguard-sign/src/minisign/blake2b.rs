//! BLAKE2b (RFC 7693), unkeyed, with any output length from 1 to 64 bytes.
//!
//! minisign needs it twice: BLAKE2b-512 of the signed file (the prehashed
//! `ED` algorithm) and BLAKE2b-256 as the secret key checksum. Written here
//! from the RFC rather than taken from the `blake2` crate: it is a hundred
//! lines, adds nothing to the dependency tree, and the portable code of the
//! crate is no faster (its SIMD backend needs nightly).

/// The initialisation vector (the SHA-512 one, RFC 7693 §2.6).
const IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// The message word permutations of the 12 rounds (RFC 7693 §2.7; rounds
/// 10 and 11 reuse the first two).
const SIGMA: [[usize; 16]; 12] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

const BLOCK: usize = 128;

/// A streaming BLAKE2b state.
#[derive(Clone)]
pub(crate) struct Blake2b {
    h: [u64; 8],
    /// Bytes compressed so far (the RFC's 128-bit counter `t`).
    compressed: u128,
    /// The block being filled. A full block stays here until more input
    /// arrives, because the last block is compressed with the final flag.
    buffer: [u8; BLOCK],
    buffered: usize,
    output_len: usize,
}

impl Blake2b {
    /// A state for `output_len` bytes of digest (1..=64).
    pub(crate) fn new(output_len: usize) -> Blake2b {
        assert!(
            (1..=64).contains(&output_len),
            "BLAKE2b output length {output_len} is outside 1..=64"
        );
        let mut h = IV;
        // Parameter block word 0: digest length, key length 0, fanout 1, depth 1.
        h[0] ^= 0x0101_0000 ^ output_len as u64;
        Blake2b {
            h,
            compressed: 0,
            buffer: [0; BLOCK],
            buffered: 0,
            output_len,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        if data.is_empty() {
            return;
        }
        // Complete a partly filled block first.
        if self.buffered > 0 || data.len() <= BLOCK {
            let take = (BLOCK - self.buffered).min(data.len());
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
            if data.is_empty() {
                return;
            }
            // More input follows, so the full buffer is not the last block.
            let block = self.buffer;
            self.compress_block(&block, false);
            self.buffered = 0;
        }
        // Whole blocks straight from the input, keeping at least one byte
        // (possibly a whole block) back for the final compression.
        while data.len() > BLOCK {
            let (block, rest) = data.split_at(BLOCK);
            self.compress_block(block.try_into().expect("split_at gives BLOCK bytes"), false);
            data = rest;
        }
        self.buffer[..data.len()].copy_from_slice(data);
        self.buffered = data.len();
    }

    /// The digest; `out` must be `output_len` bytes long.
    pub(crate) fn finalize_into(mut self, out: &mut [u8]) {
        assert_eq!(out.len(), self.output_len, "BLAKE2b output buffer length");
        let mut block = [0u8; BLOCK];
        block[..self.buffered].copy_from_slice(&self.buffer[..self.buffered]);
        self.compressed += self.buffered as u128;
        self.compress(&block, true);
        let mut bytes = [0u8; 64];
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(self.h) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out.copy_from_slice(&bytes[..self.output_len]);
    }

    fn compress_block(&mut self, block: &[u8; BLOCK], last: bool) {
        self.compressed += BLOCK as u128;
        self.compress(block, last);
    }

    /// The compression function F (RFC 7693 §3.2), with the counter
    /// already advanced past `block`.
    fn compress(&mut self, block: &[u8; BLOCK], last: bool) {
        let mut m = [0u64; 16];
        for (word, chunk) in m.iter_mut().zip(block.chunks_exact(8)) {
            *word = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
        }
        let mut v = [0u64; 16];
        v[..8].copy_from_slice(&self.h);
        v[8..].copy_from_slice(&IV);
        v[12] ^= self.compressed as u64;
        v[13] ^= (self.compressed >> 64) as u64;
        if last {
            v[14] = !v[14];
        }
        // Rounds as constants, so that the permutation indices are known at
        // compile time and the state stays in registers.
        round::<0>(&mut v, &m);
        round::<1>(&mut v, &m);
        round::<2>(&mut v, &m);
        round::<3>(&mut v, &m);
        round::<4>(&mut v, &m);
        round::<5>(&mut v, &m);
        round::<6>(&mut v, &m);
        round::<7>(&mut v, &m);
        round::<8>(&mut v, &m);
        round::<9>(&mut v, &m);
        round::<10>(&mut v, &m);
        round::<11>(&mut v, &m);
        for i in 0..8 {
            self.h[i] ^= v[i] ^ v[i + 8];
        }
    }
}

/// Round `R`: G on the four columns, then on the four diagonals.
#[inline(always)]
fn round<const R: usize>(v: &mut [u64; 16], m: &[u64; 16]) {
    let s = &SIGMA[R];
    mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
}

/// The mixing function G (RFC 7693 §3.1).
#[inline(always)]
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

/// BLAKE2b-256 of the concatenation of `parts`.
pub(crate) fn blake2b_256(parts: &[&[u8]]) -> [u8; 32] {
    let mut state = Blake2b::new(32);
    for part in parts {
        state.update(part);
    }
    let mut out = [0u8; 32];
    state.finalize_into(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn digest512(data: &[u8]) -> String {
        let mut state = Blake2b::new(64);
        state.update(data);
        let mut out = [0u8; 64];
        state.finalize_into(&mut out);
        hex(&out)
    }

    #[test]
    fn rfc_7693_appendix_a_abc() {
        assert_eq!(
            digest512(b"abc"),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
             7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        );
    }

    #[test]
    fn empty_input_and_short_output() {
        assert_eq!(
            digest512(b""),
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419\
             d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
        );
        // The output length is part of the parameter block, so BLAKE2b-256
        // is not a prefix of BLAKE2b-512.
        assert_eq!(
            hex(&blake2b_256(&[b"a", b"bc"])),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
    }

    /// Lengths around the block size (values from Python's hashlib), fed in
    /// one piece and in every split into two pieces: a last block that is
    /// full must keep the final flag wherever the update boundaries fall.
    #[test]
    fn block_boundaries_and_splits() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let expected = [
            (127, "b6292669ccd38d5f01caae96ba272c76a879a45743afa0725d83b9ebb26665b731f1848c52f11972b6644f554c064fa90780dbbbf3a89d4fc31f67df3e5857ef"),
            (128, "2319e3789c47e2daa5fe807f61bec2a1a6537fa03f19ff32e87eecbfd64b7e0e8ccff439ac333b040f19b0c4ddd11a61e24ac1fe0f10a039806c5dcc0da3d115"),
            (129, "f59711d44a031d5f97a9413c065d1e614c417ede998590325f49bad2fd444d3e4418be19aec4e11449ac1a57207898bc57d76a1bcf3566292c20c683a5c4648f"),
            (256, "93463ac058b6163eb43be3f5bb32b28541498f4e3366f1effe253ad44e1e076e41c3616046027c82a7124f8f4746668ad10b12e8e25a95ac8f3151df01cd5a93"),
            (1000, "c11e1c0340bd7e5a1b275f1230c962fad215ecb1391486e74e31b960a2f2996381a5fad092da06841d5f26e38f6ecfeaf441acbcd1c2de61aef121e7927175f5"),
        ];
        for (len, want) in expected {
            let input = &data[..len];
            assert_eq!(digest512(input), want, "length {len} in one piece");
            for split in 0..=len {
                let mut state = Blake2b::new(64);
                state.update(&input[..split]);
                state.update(&input[split..]);
                let mut out = [0u8; 64];
                state.finalize_into(&mut out);
                assert_eq!(hex(&out), want, "length {len} split at {split}");
            }
        }
    }
}
