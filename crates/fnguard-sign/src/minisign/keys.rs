//! Public and secret keys in minisign's file formats.

use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};

use super::blake2b::blake2b_256;
use super::scrypt::{self, Params, ScryptError};
use super::text::{self, Lines, UNTRUSTED_COMMENT_MAX, UNTRUSTED_PREFIX};
use super::{key_id_hex, CryptoError, FormatError, SecretKeyError};

/// The signature algorithm tag of keys: Ed25519.
const KEY_ALGORITHM: [u8; 2] = *b"Ed";
/// The key derivation tags: scrypt, or none (an unencrypted key).
const KDF_SCRYPT: [u8; 2] = *b"Sc";
const KDF_NONE: [u8; 2] = [0, 0];
/// The checksum tag: BLAKE2b-256.
const CHECKSUM_ALGORITHM: [u8; 2] = *b"B2";

const PUBLIC_KEY_LEN: usize = 2 + 8 + 32;
/// `Ed` ‖ kdf ‖ `B2` ‖ salt(32) ‖ opslimit(8) ‖ memlimit(8) ‖ the encrypted
/// part (keynum 8, secret key 64, checksum 32).
const SECRET_KEY_LEN: usize = 2 + 2 + 2 + 32 + 8 + 8 + ENCRYPTED_LEN;
const ENCRYPTED_LEN: usize = 8 + 64 + 32;
const ENCRYPTED_START: usize = SECRET_KEY_LEN - ENCRYPTED_LEN;

/// An Ed25519 public key with its minisign key id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// Eight random bytes chosen at key generation; signatures name the key
    /// that made them by it.
    pub key_id: [u8; 8],
    pub key: [u8; 32],
}

impl PublicKey {
    /// Reads a public key file (`untrusted comment: ...` then the base64
    /// line) or the bare base64 line that `minisign -P` takes.
    pub fn parse(text: &str) -> Result<PublicKey, FormatError> {
        let lines = Lines::new(text);
        let first = lines.get(1, "a minisign public key")?;
        let (line, number) = if first.starts_with("untrusted comment:") {
            text::comment(first, 1, UNTRUSTED_PREFIX, UNTRUSTED_COMMENT_MAX)?;
            (lines.get(2, "the public key in base64")?, 2)
        } else if lines.len() == 1 {
            // The bare base64 line.
            (first, 1)
        } else {
            return Err(FormatError::new(
                1,
                format!(
                    "expected a line starting with {UNTRUSTED_PREFIX:?} (or the bare base64 key alone), found {:?}",
                    text::excerpt(first)
                ),
            ));
        };
        lines.expect_end(number, "a minisign public key")?;
        let bytes: [u8; PUBLIC_KEY_LEN] = text::decode_fixed(line, number, "a public key")?;
        let algorithm = [bytes[0], bytes[1]];
        if algorithm != KEY_ALGORITHM {
            return Err(FormatError::new(
                number,
                format!(
                    "public key algorithm {} is not minisign's \"Ed\" (Ed25519)",
                    text::tag(algorithm)
                ),
            ));
        }
        Ok(PublicKey {
            key_id: bytes[2..10].try_into().expect("8 bytes"),
            key: bytes[10..].try_into().expect("32 bytes"),
        })
    }

    /// The public key file: `untrusted comment: COMMENT`, then the key in
    /// base64, each line ended by a line feed. The comment is not signed
    /// and anyone may edit it, so rather than fail, line breaks in it become
    /// spaces and it is cut to the length minisign reads.
    pub fn to_file_string(&self, untrusted_comment: &str) -> String {
        format!(
            "{UNTRUSTED_PREFIX}{}\n{}\n",
            text::one_line(untrusted_comment, UNTRUSTED_COMMENT_MAX),
            self.to_base64()
        )
    }

    /// The base64 line alone, as `minisign -P` takes it.
    pub fn to_base64(&self) -> String {
        let mut bytes = [0u8; PUBLIC_KEY_LEN];
        bytes[..2].copy_from_slice(&KEY_ALGORITHM);
        bytes[2..10].copy_from_slice(&self.key_id);
        bytes[10..].copy_from_slice(&self.key);
        text::encode(&bytes)
    }

    /// The key id as minisign prints it: the 8 bytes read as a
    /// little-endian integer, in uppercase hex without leading zeros.
    pub fn key_id_hex(&self) -> String {
        key_id_hex(&self.key_id)
    }
}

/// How a secret key file protects the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kdf {
    /// Not encrypted (`minisign -G -W`).
    None,
    /// Encrypted with a password through scrypt, with libsodium's limits
    /// (CPU operations and bytes of memory) as minisign stores them.
    Scrypt { opslimit: u64, memlimit: u64 },
}

impl Kdf {
    /// What `minisign -G` uses: N = 2^20, r = 8, p = 1 (1 GiB, about a
    /// second in optimised code).
    pub const MINISIGN_DEFAULT: Kdf = Kdf::Scrypt {
        opslimit: 33_554_432,
        memlimit: 1_073_741_824,
    };
}

/// An Ed25519 secret key with its key id.
///
/// The seed is overwritten when the value is dropped.
pub struct SecretKey {
    key_id: [u8; 8],
    seed: [u8; 32],
    public: [u8; 32],
    kdf: Kdf,
}

impl std::fmt::Debug for SecretKey {
    // Never prints the seed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &key_id_hex(&self.key_id))
            .field("kdf", &self.kdf)
            .finish_non_exhaustive()
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        wipe(&mut self.seed);
    }
}

/// Overwrites secret bytes; `black_box` keeps the compiler from dropping
/// the writes as dead (the best that can be done without `unsafe`).
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

impl SecretKey {
    /// A new key pair from the system's random generator, with a random key
    /// id, as `minisign -G` makes one.
    pub fn generate() -> Result<SecretKey, CryptoError> {
        let random = SystemRandom::new();
        let mut key_id = [0u8; 8];
        let mut seed = [0u8; 32];
        random.fill(&mut key_id).map_err(|_| CryptoError::Random)?;
        random.fill(&mut seed).map_err(|_| CryptoError::Random)?;
        let pair =
            Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| CryptoError::InvalidKey)?;
        let public = pair
            .public_key()
            .as_ref()
            .try_into()
            .expect("32-byte public key");
        Ok(SecretKey {
            key_id,
            seed,
            public,
            kdf: Kdf::None,
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key_id: self.key_id,
            key: self.public,
        }
    }

    /// How the file this key was read from protected it ([`Kdf::None`] for a
    /// generated key).
    pub fn kdf(&self) -> Kdf {
        self.kdf
    }

    /// Whether a secret key file is password-encrypted, so that the caller
    /// asks for a password only when one is needed.
    pub fn is_encrypted_file(text: &str) -> Result<bool, FormatError> {
        let (bytes, _) = read_file(text)?;
        Ok(header(&bytes)?.is_some())
    }

    /// Reads a secret key file, decrypting it with `password` when it is
    /// encrypted (the password is ignored for an unencrypted key, as
    /// minisign does).
    pub fn parse(text: &str, password: Option<&[u8]>) -> Result<SecretKey, SecretKeyError> {
        let (mut bytes, line) = read_file(text)?;
        let kdf = header(&bytes)?;
        let stored_checksum: [u8; 32] = bytes[SECRET_KEY_LEN - 32..].try_into().expect("32 bytes");
        let outcome = match kdf {
            Some((opslimit, memlimit)) => {
                let password = password.ok_or(SecretKeyError::PasswordRequired)?;
                let params = Params::from_limits(opslimit, memlimit);
                params
                    .check()
                    .map_err(|message| FormatError::new(line, message))?;
                let salt: [u8; 32] = bytes[6..38].try_into().expect("32 bytes");
                apply_keystream(&mut bytes, password, &salt, params)?;
                Self::from_decrypted(&bytes, Kdf::Scrypt { opslimit, memlimit }, line)
            }
            // minisign 0.11 leaves the checksum of an unencrypted key zero.
            None if stored_checksum == [0; 32] => {
                Self::from_decrypted_unchecked(&bytes, Kdf::None, line)
            }
            // Any other value must be the right one.
            None => Self::from_decrypted(&bytes, Kdf::None, line).map_err(|error| match error {
                SecretKeyError::WrongPassword => SecretKeyError::Format(FormatError::new(
                    line,
                    "the checksum of the unencrypted key does not match: the file is damaged"
                        .to_string(),
                )),
                other => other,
            }),
        };
        wipe(&mut bytes);
        outcome
    }

    /// Checks the checksum over the decrypted part, then the key itself.
    /// A checksum mismatch after decryption means the password was wrong.
    fn from_decrypted(bytes: &[u8], kdf: Kdf, line: usize) -> Result<SecretKey, SecretKeyError> {
        let part = &bytes[ENCRYPTED_START..];
        if checksum(&part[..8], &part[8..72]) != part[72..] {
            return Err(SecretKeyError::WrongPassword);
        }
        Self::from_decrypted_unchecked(bytes, kdf, line)
    }

    /// The key from the decrypted part, after checking that the public half
    /// of libsodium's 64-byte secret key is the one its seed gives.
    fn from_decrypted_unchecked(
        bytes: &[u8],
        kdf: Kdf,
        line: usize,
    ) -> Result<SecretKey, SecretKeyError> {
        let part = &bytes[ENCRYPTED_START..];
        let key_id: [u8; 8] = part[..8].try_into().expect("8 bytes");
        let seed: [u8; 32] = part[8..40].try_into().expect("32 bytes");
        let public: [u8; 32] = part[40..72].try_into().expect("32 bytes");
        Ed25519KeyPair::from_seed_and_public_key(&seed, &public).map_err(|_| {
            FormatError::new(
                line,
                "the public half of the secret key does not match its seed: the file is damaged"
                    .to_string(),
            )
        })?;
        Ok(SecretKey {
            key_id,
            seed,
            public,
            kdf,
        })
    }

    /// The secret key file, encrypted with `password` through scrypt when
    /// `kdf` is [`Kdf::Scrypt`], unencrypted when it is [`Kdf::None`] (a
    /// password with `Kdf::None`, or none with scrypt, is refused).
    pub fn to_file_string(
        &self,
        untrusted_comment: &str,
        password: Option<&[u8]>,
        kdf: Kdf,
    ) -> Result<String, CryptoError> {
        text::check_comment(
            untrusted_comment,
            "untrusted comment",
            UNTRUSTED_COMMENT_MAX,
        )
        .map_err(CryptoError::Comment)?;
        let mut bytes = [0u8; SECRET_KEY_LEN];
        bytes[..2].copy_from_slice(&KEY_ALGORITHM);
        bytes[4..6].copy_from_slice(&CHECKSUM_ALGORITHM);
        let part = &mut bytes[ENCRYPTED_START..];
        part[..8].copy_from_slice(&self.key_id);
        part[8..40].copy_from_slice(&self.seed);
        part[40..72].copy_from_slice(&self.public);
        let sum = checksum(&self.key_id, &part[8..72]);
        part[72..].copy_from_slice(&sum);
        match (kdf, password) {
            (Kdf::None, None) => bytes[2..4].copy_from_slice(&KDF_NONE),
            (Kdf::Scrypt { opslimit, memlimit }, Some(password)) => {
                bytes[2..4].copy_from_slice(&KDF_SCRYPT);
                let mut salt = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut salt)
                    .map_err(|_| CryptoError::Random)?;
                bytes[6..38].copy_from_slice(&salt);
                bytes[38..46].copy_from_slice(&opslimit.to_le_bytes());
                bytes[46..54].copy_from_slice(&memlimit.to_le_bytes());
                let params = Params::from_limits(opslimit, memlimit);
                if let Err(error) = apply_keystream(&mut bytes, password, &salt, params) {
                    wipe(&mut bytes);
                    return Err(match error {
                        SecretKeyError::Crypto(error) => error,
                        SecretKeyError::Format(error) => CryptoError::Scrypt(error.message),
                        other => CryptoError::Scrypt(other.to_string()),
                    });
                }
            }
            (Kdf::None, Some(_)) => {
                wipe(&mut bytes);
                return Err(CryptoError::PasswordWithoutKdf);
            }
            (Kdf::Scrypt { .. }, None) => {
                wipe(&mut bytes);
                return Err(CryptoError::KdfWithoutPassword);
            }
        }
        let file = format!(
            "{UNTRUSTED_PREFIX}{untrusted_comment}\n{}\n",
            text::encode(&bytes)
        );
        wipe(&mut bytes);
        Ok(file)
    }

    /// The key id in minisign's hex form.
    pub fn key_id_hex(&self) -> String {
        key_id_hex(&self.key_id)
    }

    /// Ed25519 signature of `message` with this key.
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> Result<[u8; 64], CryptoError> {
        let pair = Ed25519KeyPair::from_seed_and_public_key(&self.seed, &self.public)
            .map_err(|_| CryptoError::InvalidKey)?;
        Ok(pair
            .sign(message)
            .as_ref()
            .try_into()
            .expect("64-byte signature"))
    }
}

/// The decoded bytes of a secret key file, and the number of their line.
fn read_file(text: &str) -> Result<([u8; SECRET_KEY_LEN], usize), FormatError> {
    let lines = Lines::new(text);
    let first = lines.get(1, "a minisign secret key file")?;
    text::comment(first, 1, UNTRUSTED_PREFIX, UNTRUSTED_COMMENT_MAX)?;
    let line = lines.get(2, "the secret key in base64")?;
    lines.expect_end(2, "a minisign secret key file")?;
    let bytes = text::decode_fixed(line, 2, "a secret key")?;
    Ok((bytes, 2))
}

/// Checks the algorithm tags; the scrypt limits when the key is encrypted.
fn header(bytes: &[u8; SECRET_KEY_LEN]) -> Result<Option<(u64, u64)>, FormatError> {
    let tag = |at: usize| [bytes[at], bytes[at + 1]];
    if tag(0) != KEY_ALGORITHM {
        return Err(FormatError::new(
            2,
            format!(
                "secret key algorithm {} is not minisign's \"Ed\" (Ed25519)",
                text::tag(tag(0))
            ),
        ));
    }
    if tag(4) != CHECKSUM_ALGORITHM {
        return Err(FormatError::new(
            2,
            format!(
                "secret key checksum algorithm {} is not minisign's \"B2\" (BLAKE2b)",
                text::tag(tag(4))
            ),
        ));
    }
    match tag(2) {
        KDF_SCRYPT => Ok(Some((
            u64::from_le_bytes(bytes[38..46].try_into().expect("8 bytes")),
            u64::from_le_bytes(bytes[46..54].try_into().expect("8 bytes")),
        ))),
        KDF_NONE => Ok(None),
        other => Err(FormatError::new(
            2,
            format!(
                "secret key encryption {} is neither scrypt (\"Sc\") nor none (two zero bytes)",
                text::tag(other)
            ),
        )),
    }
}

/// XORs the encrypted part of `bytes` with scrypt(password, salt): the same
/// operation encrypts and decrypts.
fn apply_keystream(
    bytes: &mut [u8; SECRET_KEY_LEN],
    password: &[u8],
    salt: &[u8; 32],
    params: Params,
) -> Result<(), SecretKeyError> {
    let mut stream = [0u8; ENCRYPTED_LEN];
    scrypt::scrypt(password, salt, params, &mut stream).map_err(|error| match error {
        ScryptError::Params(message) => SecretKeyError::Format(FormatError::new(2, message)),
        ScryptError::OutOfMemory(bytes) => SecretKeyError::Crypto(CryptoError::Scrypt(format!(
            "could not allocate the {} MiB scrypt needs",
            bytes >> 20
        ))),
    })?;
    for (byte, key) in bytes[ENCRYPTED_START..].iter_mut().zip(&stream) {
        *byte ^= key;
    }
    wipe(&mut stream);
    Ok(())
}

/// The secret key checksum: BLAKE2b-256 of the signature algorithm, the key
/// id and the 64-byte secret key (found against `minisign -G` keys).
fn checksum(key_id: &[u8], secret: &[u8]) -> [u8; 32] {
    blake2b_256(&[&KEY_ALGORITHM, key_id, secret])
}
