//! minisign's signature file.

use super::text::{
    self, Lines, TRUSTED_COMMENT_MAX, TRUSTED_PREFIX, UNTRUSTED_COMMENT_MAX, UNTRUSTED_PREFIX,
};
use super::FormatError;

/// What the Ed25519 signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// `ED`: the BLAKE2b-512 digest of the file (minisign's default).
    Prehashed,
    /// `Ed`: the file itself (`minisign -l`, and signify).
    Legacy,
}

impl Algorithm {
    pub(crate) fn tag(self) -> [u8; 2] {
        match self {
            Algorithm::Prehashed => *b"ED",
            Algorithm::Legacy => *b"Ed",
        }
    }

    fn from_tag(tag: [u8; 2]) -> Option<Algorithm> {
        match &tag {
            b"ED" => Some(Algorithm::Prehashed),
            b"Ed" => Some(Algorithm::Legacy),
            _ => None,
        }
    }
}

/// A minisign signature file, four lines:
///
/// 1. `untrusted comment: UNTRUSTED` (anyone may change it),
/// 2. base64 of the algorithm (2 bytes), the key id (8) and the signature (64),
/// 3. `trusted comment: TRUSTED`,
/// 4. base64 of the global signature: Ed25519 over the signature and the
///    trusted comment's bytes, so that the trusted comment cannot change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub algorithm: Algorithm,
    pub key_id: [u8; 8],
    pub signature: [u8; 64],
    pub untrusted_comment: String,
    pub trusted_comment: String,
    pub global_signature: [u8; 64],
}

impl Signature {
    /// Reads a signature file. Line endings may be `\n` or `\r\n`; the
    /// comments are kept byte for byte (the trusted one is signed).
    pub fn parse(text: &str) -> Result<Signature, FormatError> {
        let lines = Lines::new(text);
        let untrusted = text::comment(
            lines.get(1, "the untrusted comment line")?,
            1,
            UNTRUSTED_PREFIX,
            UNTRUSTED_COMMENT_MAX,
        )?;
        let bytes: [u8; 74] =
            text::decode_fixed(lines.get(2, "the signature in base64")?, 2, "a signature")?;
        let tag = [bytes[0], bytes[1]];
        let algorithm = Algorithm::from_tag(tag).ok_or_else(|| {
            FormatError::new(
                2,
                format!(
                    "signature algorithm {} is unknown: minisign has \"ED\" (prehashed) and \"Ed\" (legacy)",
                    text::tag(tag)
                ),
            )
        })?;
        let trusted = text::comment(
            lines.get(3, "the trusted comment line")?,
            3,
            TRUSTED_PREFIX,
            TRUSTED_COMMENT_MAX,
        )?;
        let global_signature: [u8; 64] = text::decode_fixed(
            lines.get(4, "the global signature in base64")?,
            4,
            "a global signature",
        )?;
        lines.expect_end(4, "a minisign signature")?;
        Ok(Signature {
            algorithm,
            key_id: bytes[2..10].try_into().expect("8 bytes"),
            signature: bytes[10..].try_into().expect("64 bytes"),
            untrusted_comment: untrusted.to_string(),
            trusted_comment: trusted.to_string(),
            global_signature,
        })
    }

    /// The four lines, each ended by a line feed, as minisign writes them.
    ///
    /// The comments are written as they are: [`sign`](super::sign) checks
    /// them, and a caller who edits the fields afterwards must keep them
    /// one line each (the trusted comment is signed, so it cannot be
    /// repaired here).
    pub fn to_file_string(&self) -> String {
        let mut bytes = [0u8; 74];
        bytes[..2].copy_from_slice(&self.algorithm.tag());
        bytes[2..10].copy_from_slice(&self.key_id);
        bytes[10..].copy_from_slice(&self.signature);
        format!(
            "{UNTRUSTED_PREFIX}{}\n{}\n{TRUSTED_PREFIX}{}\n{}\n",
            self.untrusted_comment,
            text::encode(&bytes),
            self.trusted_comment,
            text::encode(&self.global_signature)
        )
    }

    /// The key id in minisign's hex form.
    pub fn key_id_hex(&self) -> String {
        super::key_id_hex(&self.key_id)
    }
}
