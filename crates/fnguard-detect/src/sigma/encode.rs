//! Value encodings of the `base64`, `base64offset` and `utf16*`/`wide` modifiers,
//! applied to rule values at load time.

/// Standard base64 with padding: one encoder for the whole tool.
pub(crate) use fnguard_core::encode::base64;

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
