//! Keys and signatures in minisign's file formats.
//!
//! `fnguard sign` writes what `minisign -V` verifies and `fnguard verify`
//! reads what `minisign -S` writes:
//!
//! - [`PublicKey`]: `untrusted comment: ...` then base64 of `Ed` ‖ key id (8)
//!   ‖ Ed25519 public key (32); the bare base64 line of `minisign -P` too.
//! - [`SecretKey`]: base64 of `Ed` ‖ kdf (`Sc` or two zero bytes) ‖ `B2` ‖
//!   salt ‖ opslimit ‖ memlimit ‖ key id ‖ libsodium's 64-byte secret key ‖
//!   BLAKE2b-256 checksum, the last three XORed with scrypt's output when
//!   password-encrypted.
//! - [`Signature`]: four lines; the signature covers the BLAKE2b-512 digest of
//!   the file (`ED`, the default) or the file itself (`Ed`, legacy), and the
//!   global signature covers the signature and the trusted comment.
//!
//! No I/O here: the caller reads the files and streams the signed file
//! through a [`Prehasher`].
//!
//! ```
//! use fnguard_sign::minisign::{sign, verify, Kdf, Message, Prehasher, PublicKey, SecretKey};
//!
//! let secret = SecretKey::generate()?;
//! let public_file = secret.public_key().to_file_string("minisign public key");
//! let secret_file = secret.to_file_string("minisign secret key", None, Kdf::None)?;
//!
//! // Signing: the file streamed through the prehasher (default `ED`).
//! let secret = SecretKey::parse(&secret_file, None)?;
//! let mut hasher = Prehasher::new();
//! hasher.update(b"the file, ");
//! hasher.update(b"in pieces");
//! let signature = sign(&secret, Message::Prehashed(hasher.finalize()), "timestamp:1", "fnguard")?;
//! let signature_file = signature.to_file_string();
//!
//! // Verifying against the trusted keys.
//! let trusted = [PublicKey::parse(&public_file)?];
//! let signature = fnguard_sign::minisign::Signature::parse(&signature_file)?;
//! let digest = Prehasher::digest(b"the file, in pieces");
//! let signer = verify(&trusted, &signature, Message::Prehashed(digest))?;
//! assert_eq!(signer.key_id_hex(), secret.key_id_hex());
//! assert_eq!(signature.trusted_comment, "timestamp:1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod blake2b;
mod keys;
mod scrypt;
mod signature;
mod text;

use ring::signature::{UnparsedPublicKey, ED25519};

pub use keys::{Kdf, PublicKey, SecretKey};
pub use signature::{Algorithm, Signature};
pub use text::{TRUSTED_COMMENT_MAX, UNTRUSTED_COMMENT_MAX};

/// A key, signature or secret key file that does not have minisign's form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FormatError {
    /// The line (from 1) where the problem is.
    pub line: usize,
    pub message: String,
}

impl FormatError {
    pub(crate) fn new(line: usize, message: String) -> FormatError {
        FormatError { line, message }
    }
}

/// Why a key could not be made, written or used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the system's random number generator failed")]
    Random,
    #[error("the secret key is not a valid Ed25519 key")]
    InvalidKey,
    /// A comment too long for minisign, or with a line break.
    #[error("{0}")]
    Comment(String),
    #[error("a password was given for a secret key written without encryption")]
    PasswordWithoutKdf,
    #[error("scrypt encryption of a secret key needs a password")]
    KdfWithoutPassword,
    /// scrypt parameters out of range, or their memory unavailable.
    #[error("{0}")]
    Scrypt(String),
}

/// Why a secret key file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretKeyError {
    /// The checksum does not match after decryption.
    #[error("wrong password for this secret key")]
    WrongPassword,
    #[error("the secret key is encrypted: a password is required")]
    PasswordRequired,
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Why a signature does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// None of the trusted keys has the signature's key id.
    #[error("the signature was made by key {key_id}, which is not among the trusted keys")]
    UnknownKey { key_id: String },
    /// The file (or its digest) is not what was signed.
    #[error("the signature does not match the file")]
    BadSignature,
    /// The signature matches the file but the trusted comment was changed.
    #[error("the trusted comment does not match its signature: it was changed")]
    BadGlobalSignature,
    /// A prehashed signature given the raw file, or the reverse.
    #[error("the signature is {signature:?} but the message was given {message:?}")]
    AlgorithmMismatch {
        signature: Algorithm,
        message: Algorithm,
    },
}

/// Streaming BLAKE2b-512, the digest prehashed (`ED`) signatures cover.
#[derive(Clone)]
pub struct Prehasher(blake2b::Blake2b);

impl Prehasher {
    pub fn new() -> Prehasher {
        Prehasher(blake2b::Blake2b::new(64))
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finalize(self) -> [u8; 64] {
        let mut out = [0u8; 64];
        self.0.finalize_into(&mut out);
        out
    }

    /// The digest of `data` in one call.
    pub fn digest(data: &[u8]) -> [u8; 64] {
        let mut hasher = Prehasher::new();
        hasher.update(data);
        hasher.finalize()
    }
}

impl Default for Prehasher {
    fn default() -> Prehasher {
        Prehasher::new()
    }
}

/// What a signature covers: the file's BLAKE2b-512 digest (from a
/// [`Prehasher`]) for the `ED` algorithm, or the whole file for `Ed`.
#[derive(Clone, Copy, Debug)]
pub enum Message<'a> {
    Prehashed([u8; 64]),
    Raw(&'a [u8]),
}

impl Message<'_> {
    fn algorithm(&self) -> Algorithm {
        match self {
            Message::Prehashed(_) => Algorithm::Prehashed,
            Message::Raw(_) => Algorithm::Legacy,
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Message::Prehashed(digest) => digest,
            Message::Raw(bytes) => bytes,
        }
    }
}

/// Signs `message` with `key`: prehashed (`ED`) for [`Message::Prehashed`],
/// legacy (`Ed`) for [`Message::Raw`]. Comments too long for minisign or
/// with a line break are refused.
pub fn sign(
    key: &SecretKey,
    message: Message<'_>,
    trusted_comment: &str,
    untrusted_comment: &str,
) -> Result<Signature, CryptoError> {
    text::check_comment(trusted_comment, "trusted comment", TRUSTED_COMMENT_MAX)
        .map_err(CryptoError::Comment)?;
    text::check_comment(
        untrusted_comment,
        "untrusted comment",
        UNTRUSTED_COMMENT_MAX,
    )
    .map_err(CryptoError::Comment)?;
    let signature = key.sign_bytes(message.bytes())?;
    let global_signature = key.sign_bytes(&global_message(&signature, trusted_comment))?;
    Ok(Signature {
        algorithm: message.algorithm(),
        key_id: key.public_key().key_id,
        signature,
        untrusted_comment: untrusted_comment.to_string(),
        trusted_comment: trusted_comment.to_string(),
        global_signature,
    })
}

/// Verifies `signature` over `message` with the trusted key it names, which
/// it returns; then the trusted comment's global signature, so that `Ok`
/// means both the file and the trusted comment are as signed.
pub fn verify<'k>(
    keys: &'k [PublicKey],
    signature: &Signature,
    message: Message<'_>,
) -> Result<&'k PublicKey, VerifyError> {
    if message.algorithm() != signature.algorithm {
        return Err(VerifyError::AlgorithmMismatch {
            signature: signature.algorithm,
            message: message.algorithm(),
        });
    }
    let mut candidates = keys
        .iter()
        .filter(|key| key.key_id == signature.key_id)
        .peekable();
    if candidates.peek().is_none() {
        return Err(VerifyError::UnknownKey {
            key_id: signature.key_id_hex(),
        });
    }
    // Two trusted keys could share an id: the one whose signature verifies
    // is the signer.
    let signer = candidates
        .find(|key| {
            UnparsedPublicKey::new(&ED25519, key.key)
                .verify(message.bytes(), &signature.signature)
                .is_ok()
        })
        .ok_or(VerifyError::BadSignature)?;
    UnparsedPublicKey::new(&ED25519, signer.key)
        .verify(
            &global_message(&signature.signature, &signature.trusted_comment),
            &signature.global_signature,
        )
        .map_err(|_| VerifyError::BadGlobalSignature)?;
    Ok(signer)
}

/// What the global signature covers: the signature, then the trusted
/// comment's bytes.
fn global_message(signature: &[u8; 64], trusted_comment: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(64 + trusted_comment.len());
    message.extend_from_slice(signature);
    message.extend_from_slice(trusted_comment.as_bytes());
    message
}

/// A key id as minisign prints it: the 8 bytes read as a little-endian
/// integer, in uppercase hex without leading zeros (minisign's `%PRIX64`:
/// one key in sixteen has fewer than 16 digits).
pub fn key_id_hex(key_id: &[u8; 8]) -> String {
    format!("{:X}", u64::from_le_bytes(*key_id))
}
