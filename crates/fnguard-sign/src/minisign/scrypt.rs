//! scrypt (RFC 7914) and libsodium's choice of its parameters, for
//! minisign's password-encrypted secret keys.
//!
//! minisign stores libsodium's `opslimit` and `memlimit` in the key file,
//! not scrypt's N, r and p; [`Params::from_limits`] turns them into N, r and
//! p the way `crypto_pwhash_scryptsalsa208sha256` does, so that a key file
//! decrypts to the same bytes here as in minisign.

use std::num::NonZeroU32;

use ring::pbkdf2;

/// scrypt's cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Params {
    /// log2 of N, the CPU/memory cost.
    pub(crate) log_n: u32,
    /// The block size factor.
    pub(crate) r: u32,
    /// The parallelisation factor.
    pub(crate) p: u32,
}

/// The most memory a key file may make us allocate: twice minisign's default
/// (1 GiB), so that a crafted file cannot ask for more than the machine has.
pub(crate) const MAX_MEMORY: u64 = 2 << 30;
/// The most Salsa20/8 work (in units of N·r·p) a key file may ask for: eight
/// times minisign's default, a few seconds of work, not hours.
pub(crate) const MAX_WORK: u64 = 8 << 23;

/// libsodium's smallest opslimit: smaller values are raised to it.
const MIN_OPSLIMIT: u64 = 32_768;

impl Params {
    /// libsodium's mapping of opslimit and memlimit to N, r and p (r is
    /// always 8): when the time budget is the tighter one, p = 1 and N is
    /// bounded by opslimit; otherwise N is bounded by memlimit and p takes
    /// up the remaining time budget.
    pub(crate) fn from_limits(opslimit: u64, memlimit: u64) -> Params {
        let opslimit = opslimit.max(MIN_OPSLIMIT);
        let r: u64 = 8;
        // The largest log_n with 2^log_n <= max_n / 2, at least 1.
        let log_n_for = |max_n: u64| {
            let mut log_n = 1;
            while log_n < 63 && (1u64 << log_n) <= max_n / 2 {
                log_n += 1;
            }
            log_n
        };
        if opslimit < memlimit / 32 {
            Params {
                log_n: log_n_for(opslimit / (r * 4)),
                r: r as u32,
                p: 1,
            }
        } else {
            let log_n = log_n_for(memlimit / (r * 128));
            let max_rp = ((opslimit / 4) >> log_n).min(0x3fff_ffff);
            Params {
                log_n,
                r: r as u32,
                p: (max_rp / r) as u32,
            }
        }
    }

    /// The bytes ROMix allocates: 128·r·N.
    pub(crate) fn memory(&self) -> u128 {
        (128 * u128::from(self.r)) << self.log_n
    }

    /// Why these parameters are refused, if they are: RFC 7914's bounds,
    /// and our caps on memory and time.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.log_n == 0 || self.log_n >= 63 || self.r == 0 || self.p == 0 {
            return Err(format!(
                "scrypt parameters N=2^{} r={} p={} are not valid",
                self.log_n, self.r, self.p
            ));
        }
        if u64::from(self.r) * u64::from(self.p) >= 1 << 30 {
            return Err(format!(
                "scrypt parameters r={} p={}: r·p must be below 2^30",
                self.r, self.p
            ));
        }
        if self.memory() > u128::from(MAX_MEMORY) {
            return Err(format!(
                "scrypt parameters N=2^{} r={} need {} MiB, more than the {} MiB allowed",
                self.log_n,
                self.r,
                self.memory() >> 20,
                MAX_MEMORY >> 20
            ));
        }
        let work = (u128::from(self.r) * u128::from(self.p)) << self.log_n;
        if work > u128::from(MAX_WORK) {
            return Err(format!(
                "scrypt parameters N=2^{} r={} p={} ask for more work than allowed ({} times minisign's default)",
                self.log_n,
                self.r,
                self.p,
                MAX_WORK >> 23
            ));
        }
        Ok(())
    }
}

/// Why scrypt could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScryptError {
    /// Parameters out of range or over our caps (the message says which).
    Params(String),
    /// The allocation of the ROMix table failed.
    OutOfMemory(u128),
}

/// scrypt(password, salt, N, r, p) into `out` (RFC 7914 §6).
pub(crate) fn scrypt(
    password: &[u8],
    salt: &[u8],
    params: Params,
    out: &mut [u8],
) -> Result<(), ScryptError> {
    params.check().map_err(ScryptError::Params)?;
    let r = params.r as usize;
    let n = 1usize << params.log_n;
    let block_words = 32 * r;
    let one = NonZeroU32::new(1).expect("1 is not zero");

    let mut b = vec![0u8; params.p as usize * 128 * r];
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, one, salt, password, &mut b);

    let mut v: Vec<u32> = Vec::new();
    v.try_reserve_exact(n * block_words)
        .map_err(|_| ScryptError::OutOfMemory(params.memory()))?;
    v.resize(n * block_words, 0);
    let mut x = vec![0u32; block_words];
    let mut scratch = vec![0u32; block_words];
    for chunk in b.chunks_exact_mut(128 * r) {
        for (word, bytes) in x.iter_mut().zip(chunk.chunks_exact(4)) {
            *word = u32::from_le_bytes(bytes.try_into().expect("chunks of 4"));
        }
        ro_mix(&mut x, &mut v, &mut scratch, n);
        for (bytes, word) in chunk.chunks_exact_mut(4).zip(&x) {
            bytes.copy_from_slice(&word.to_le_bytes());
        }
    }
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, one, &b, password, out);
    // The table and the blocks are password-derived: clear them.
    v.fill(0);
    x.fill(0);
    scratch.fill(0);
    b.fill(0);
    std::hint::black_box((&v, &x, &scratch, &b));
    Ok(())
}

/// scryptROMix (RFC 7914 §5) of the block `x` (32·r words) in place, with
/// `v` the N-block table and `scratch` one block of room.
fn ro_mix(x: &mut [u32], v: &mut [u32], scratch: &mut [u32], n: usize) {
    let block_words = x.len();
    for i in 0..n {
        v[i * block_words..(i + 1) * block_words].copy_from_slice(x);
        block_mix(x, scratch);
    }
    for _ in 0..n {
        let j = integerify(x) & (n - 1);
        for (word, saved) in x.iter_mut().zip(&v[j * block_words..(j + 1) * block_words]) {
            *word ^= saved;
        }
        block_mix(x, scratch);
    }
}

/// The first word pair of the last 64-byte block, as N's index (only the
/// low bits matter since N is a power of two; N <= 2^62 fits the low 64).
fn integerify(x: &[u32]) -> usize {
    let last = x.len() - 16;
    (u64::from(x[last]) | (u64::from(x[last + 1]) << 32)) as usize
}

/// scryptBlockMix (RFC 7914 §4) of `b` (2·r blocks of 16 words) in place:
/// Salsa20/8 chained through the blocks, even outputs first, then odd.
fn block_mix(b: &mut [u32], out: &mut [u32]) {
    let blocks = b.len() / 16;
    let half = blocks / 2;
    let mut x: [u32; 16] = b[b.len() - 16..].try_into().expect("16 words");
    for i in 0..blocks {
        for (word, input) in x.iter_mut().zip(&b[i * 16..(i + 1) * 16]) {
            *word ^= input;
        }
        salsa20_8(&mut x);
        let slot = if i % 2 == 0 { i / 2 } else { half + i / 2 };
        out[slot * 16..(slot + 1) * 16].copy_from_slice(&x);
    }
    b.copy_from_slice(out);
}

/// The Salsa20/8 core (RFC 7914 §3): four double rounds, then the input
/// added back.
fn salsa20_8(block: &mut [u32; 16]) {
    let mut x = *block;
    // One quarter round: the four words at these positions.
    fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
        x[b] ^= x[a].wrapping_add(x[d]).rotate_left(7);
        x[c] ^= x[b].wrapping_add(x[a]).rotate_left(9);
        x[d] ^= x[c].wrapping_add(x[b]).rotate_left(13);
        x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
    }
    for _ in 0..4 {
        // Columns.
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 5, 9, 13, 1);
        quarter(&mut x, 10, 14, 2, 6);
        quarter(&mut x, 15, 3, 7, 11);
        // Rows.
        quarter(&mut x, 0, 1, 2, 3);
        quarter(&mut x, 5, 6, 7, 4);
        quarter(&mut x, 10, 11, 8, 9);
        quarter(&mut x, 15, 12, 13, 14);
    }
    for (word, added) in block.iter_mut().zip(x) {
        *word = word.wrapping_add(added);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn run(password: &[u8], salt: &[u8], log_n: u32, r: u32, p: u32) -> String {
        let mut out = [0u8; 64];
        scrypt(password, salt, Params { log_n, r, p }, &mut out).unwrap();
        hex(&out)
    }

    /// RFC 7914 §8, the Salsa20/8 core test vector.
    #[test]
    fn salsa20_8_rfc_vector() {
        let input = "7e879a214f3ec9867ca940e641718f26baee555b8c61c1b50df846116dcd3b1d\
                     ee24f319df9b3d8514121e4b5ac5aa3276021d2909c74829edebc68db8b8c25e";
        let output = "a41f859c6608cc993b81cacb020cef05044b2181a2fd337dfd7b1c6396682f29\
                      b4393168e3c9e6bcfe6bc5b7a06d96bae424cc102c91745c24ad673dc7618f81";
        let bytes: Vec<u8> = (0..64)
            .map(|i| u8::from_str_radix(&input[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let mut block = [0u32; 16];
        for (word, chunk) in block.iter_mut().zip(bytes.chunks_exact(4)) {
            *word = u32::from_le_bytes(chunk.try_into().unwrap());
        }
        salsa20_8(&mut block);
        let got: Vec<u8> = block.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(hex(&got), output);
    }

    /// RFC 7914 §12, the first three scrypt test vectors.
    #[test]
    fn scrypt_rfc_vectors() {
        assert_eq!(
            run(b"", b"", 4, 1, 1),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442\
             fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
        );
        assert_eq!(
            run(b"password", b"NaCl", 10, 8, 16),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162\
             2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
        );
        assert_eq!(
            run(b"pleaseletmein", b"SodiumChloride", 14, 8, 1),
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2\
             d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"
        );
    }

    /// RFC 7914 §12's fourth vector, N = 2^20: minisign's default cost,
    /// 1 GiB and about 3 s with the crate's `opt-level = 2` in the dev
    /// profile (a minute unoptimised).
    #[test]
    fn scrypt_rfc_vector_n_2_20() {
        assert_eq!(
            run(b"pleaseletmein", b"SodiumChloride", 20, 8, 1),
            "2101cb9b6a511aaeaddbbe09cf70f881ec568d574a2ffd4dabe5ee9820adaa47\
             8e56fd8f4ba5d09ffa1c6d927c40f4c337304049e8a952fbcbf45c6fa77a41a4"
        );
    }

    #[test]
    fn libsodium_parameter_choice() {
        // minisign's defaults: memory-bound branch, 1 GiB.
        let default = Params::from_limits(33_554_432, 1_073_741_824);
        assert_eq!(
            default,
            Params {
                log_n: 20,
                r: 8,
                p: 1
            }
        );
        assert_eq!(default.memory(), 1 << 30);
        assert!(default.check().is_ok());
        // Time-bound branch: p = 1, N from opslimit / (4r) = 1024.
        assert_eq!(
            Params::from_limits(32_768, 16 << 20),
            Params {
                log_n: 10,
                r: 8,
                p: 1
            }
        );
        // opslimit below libsodium's floor is raised to it.
        assert_eq!(
            Params::from_limits(0, 16 << 20),
            Params::from_limits(32_768, 16 << 20)
        );
        // Memory-bound with time to spare: p grows (minisign reads a key
        // made so: minisign_interop's parallel.key).
        assert_eq!(
            Params::from_limits(1 << 22, 1 << 20),
            Params {
                log_n: 10,
                r: 8,
                p: 128
            }
        );
        assert_eq!(
            Params::from_limits(1 << 24, 1 << 20),
            Params {
                log_n: 10,
                r: 8,
                p: 512
            }
        );
    }

    #[test]
    fn hostile_parameters_are_refused_before_allocating() {
        let huge_memory = Params::from_limits(u64::MAX, u64::MAX);
        assert!(huge_memory.check().unwrap_err().contains("MiB"));
        let mut out = [0u8; 32];
        for params in [
            Params {
                log_n: 0,
                r: 8,
                p: 1,
            },
            Params {
                log_n: 22,
                r: 8,
                p: 1,
            },
            Params {
                log_n: 20,
                r: 8,
                p: 16,
            },
            Params {
                log_n: 10,
                r: 0,
                p: 1,
            },
            Params {
                log_n: 10,
                r: 8,
                p: 0,
            },
            Params {
                log_n: 63,
                r: 8,
                p: 1,
            },
            huge_memory,
        ] {
            assert!(
                matches!(
                    scrypt(b"pw", b"salt", params, &mut out),
                    Err(ScryptError::Params(_))
                ),
                "{params:?} accepted"
            );
        }
    }
}
