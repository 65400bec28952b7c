//! Value encodings of the `base64`, `base64offset` and `utf16*`/`wide` modifiers,
//! applied to rule values at load time.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three encodings of `bytes` as they appear inside a longer base64 text,
/// whatever its offset modulo 3: the characters that depend on the unknown
/// neighbouring bytes are cut off.
pub(crate) fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    (0..3usize)
        .map(|shift| {
            let mut padded = vec![b' '; shift];
            padded.extend_from_slice(bytes);
            let encoded = base64(&padded);
            let start = [0, 2, 3][shift];
            let cut_end = [0, 3, 2][(bytes.len() + shift) % 3];
            encoded
                .get(start..encoded.len().saturating_sub(cut_end))
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf16 {
    Le,
    Be,
    /// `utf16`: little endian after a byte-order mark.
    LeWithBom,
}

pub(crate) fn utf16(text: &str, form: Utf16) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2 + 2);
    if form == Utf16::LeWithBom {
        out.extend_from_slice(&[0xFF, 0xFE]);
    }
    for unit in text.encode_utf16() {
        match form {
            Utf16::Be => out.extend_from_slice(&unit.to_be_bytes()),
            Utf16::Le | Utf16::LeWithBom => out.extend_from_slice(&unit.to_le_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn offsets_are_substrings_of_every_shifted_encoding() {
        let needle = b"http://evil";
        let variants = base64_offsets(needle);
        for prefix in ["", "a", "ab", "abc"] {
            let mut text = prefix.as_bytes().to_vec();
            text.extend_from_slice(needle);
            text.extend_from_slice(b"/x");
            let encoded = base64(&text);
            assert!(
                variants.iter().any(|v| encoded.contains(v.as_str())),
                "{prefix}"
            );
        }
    }
}
