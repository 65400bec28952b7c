//! minisign formats without the minisign binary: round trips, every parse
//! error, sign/verify outcomes, and tampering.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fnguard_sign::minisign::{
    sign, verify, Algorithm, FormatError, Kdf, Message, Prehasher, PublicKey, SecretKey,
    SecretKeyError, Signature, VerifyError, TRUSTED_COMMENT_MAX, UNTRUSTED_COMMENT_MAX,
};

/// scrypt cheap enough for tests: N = 1024, r = 8, p = 1 (1 MiB).
const CHEAP: Kdf = Kdf::Scrypt {
    opslimit: 32_768,
    memlimit: 16 << 20,
};

/// A public key file from `minisign -G -W` (minisign 0.11).
const MINISIGN_PUB: &str = "untrusted comment: minisign public key F7D97EF5E0BB3CCB\n\
                            RWTLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2n\n";

fn prehashed(data: &[u8]) -> Message<'static> {
    Message::Prehashed(Prehasher::digest(data))
}

fn format_error(result: Result<impl std::fmt::Debug, FormatError>) -> FormatError {
    result.expect_err("parse should fail")
}

/// Deterministic pseudo-random numbers (xorshift64*) for the tamper tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn public_key_of_minisign_parses_with_its_key_id() {
    let key = PublicKey::parse(MINISIGN_PUB).unwrap();
    assert_eq!(key.key_id_hex(), "F7D97EF5E0BB3CCB");
    assert_eq!(
        key.to_base64(),
        "RWTLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2n"
    );
    // The bare line of `minisign -P`, and CRLF line endings.
    assert_eq!(
        PublicKey::parse("RWTLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2n").unwrap(),
        key
    );
    assert_eq!(
        PublicKey::parse(&MINISIGN_PUB.replace('\n', "\r\n")).unwrap(),
        key
    );
    assert_eq!(
        key.to_file_string("minisign public key F7D97EF5E0BB3CCB"),
        MINISIGN_PUB
    );
}

/// minisign prints key ids with `%PRIX64`: no leading zeros (seen in
/// `minisign -G` output such as "972E305ADC656E").
#[test]
fn key_ids_print_without_leading_zeros() {
    let key = |key_id: [u8; 8]| PublicKey {
        key_id,
        key: [0; 32],
    };
    assert_eq!(
        key([0x6e, 0x65, 0xdc, 0x5a, 0x30, 0x2e, 0x97, 0x00]).key_id_hex(),
        "972E305ADC656E"
    );
    assert_eq!(key([1, 0, 0, 0, 0, 0, 0, 0]).key_id_hex(), "1");
    assert_eq!(key([0; 8]).key_id_hex(), "0");
    assert_eq!(key([0xff; 8]).key_id_hex(), "FFFFFFFFFFFFFFFF");
}

#[test]
fn public_key_file_comment_is_made_one_line_and_short() {
    let key = PublicKey::parse(MINISIGN_PUB).unwrap();
    let file = key.to_file_string("two\nlines\r");
    assert!(
        file.starts_with("untrusted comment: two lines \n"),
        "{file}"
    );
    let long = "é".repeat(UNTRUSTED_COMMENT_MAX);
    let file = key.to_file_string(&long);
    let first = file.lines().next().unwrap();
    assert!(first.len() <= "untrusted comment: ".len() + UNTRUSTED_COMMENT_MAX);
    assert_eq!(PublicKey::parse(&file).unwrap(), key);
}

#[test]
fn public_key_parse_errors_say_what_and_where() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "missing"),
        ("\n\n", 1, "missing"),
        ("untrusted comment: x\n", 2, "missing"),
        ("untrusted comment: x\n\n", 2, "missing"),
        ("garbage!", 1, "not valid base64: Invalid symbol 33, offset 7"),
        ("RWTL*Lvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2n", 1, "not valid base64"),
        ("untrusted comment: x\nRWTLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXET\n", 2, "decodes to 39 bytes, expected 42"),
        ("untrusted comment: x\nRWTLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2nAAAA\n", 2, "characters of base64"),
        // "Xx" instead of "Ed".
        ("WHjLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2n", 1, "\"Xx\" is not minisign's \"Ed\""),
        ("untrusted comment: x\nRWTLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2n\nmore\n", 3, "unexpected text"),
        ("untrusted comment x\nRWTLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2n\n", 1, "expected a line starting with \"untrusted comment: \""),
    ];
    for (text, line, message) in cases {
        let error = format_error(PublicKey::parse(text));
        assert_eq!(error.line, *line, "{text:?}: {error}");
        assert!(error.message.contains(message), "{text:?}: {error}");
        assert!(error.to_string().starts_with(&format!("line {line}: ")));
    }
    let long_comment = format!(
        "untrusted comment: {}\nRWTLPLvg9X7Z99pyHGeWQOlum7s2pfgh1vk6K598ZbXDevf9TXETVk2n\n",
        "c".repeat(UNTRUSTED_COMMENT_MAX + 1)
    );
    let error = format_error(PublicKey::parse(&long_comment));
    assert_eq!(error.line, 1);
    assert!(error.message.contains("the limit is 1003"), "{error}");
}

#[test]
fn generated_keys_round_trip_through_their_files() {
    let secret = SecretKey::generate().unwrap();
    let public = secret.public_key();
    assert_eq!(public.key_id_hex(), secret.key_id_hex());
    assert!((1..=16).contains(&public.key_id_hex().len()));

    let public_file = public.to_file_string("minisign public key");
    assert_eq!(PublicKey::parse(&public_file).unwrap(), public);
    assert_eq!(PublicKey::parse(&public.to_base64()).unwrap(), public);

    let plain = secret
        .to_file_string("minisign secret key", None, Kdf::None)
        .unwrap();
    assert!(!SecretKey::is_encrypted_file(&plain).unwrap());
    let read = SecretKey::parse(&plain, None).unwrap();
    assert_eq!(read.public_key(), public);
    assert_eq!(read.kdf(), Kdf::None);
    // minisign ignores a password given for an unencrypted key.
    assert_eq!(
        SecretKey::parse(&plain, Some(b"pw")).unwrap().public_key(),
        public
    );

    let encrypted = secret
        .to_file_string(
            "minisign encrypted secret key",
            Some(b"correct horse"),
            CHEAP,
        )
        .unwrap();
    assert!(SecretKey::is_encrypted_file(&encrypted).unwrap());
    let read = SecretKey::parse(&encrypted, Some(b"correct horse")).unwrap();
    assert_eq!(read.public_key(), public);
    assert_eq!(read.kdf(), CHEAP);
    assert_eq!(
        SecretKey::parse(&encrypted, Some(b"correct horsf")).unwrap_err(),
        SecretKeyError::WrongPassword
    );
    assert_eq!(
        SecretKey::parse(&encrypted, Some(b"")).unwrap_err(),
        SecretKeyError::WrongPassword
    );
    assert_eq!(
        SecretKey::parse(&encrypted, None).unwrap_err(),
        SecretKeyError::PasswordRequired
    );
    // A fresh salt each time: the same key and password encrypt differently.
    let again = secret
        .to_file_string(
            "minisign encrypted secret key",
            Some(b"correct horse"),
            CHEAP,
        )
        .unwrap();
    assert_ne!(again, encrypted);
    // CRLF endings.
    let crlf = encrypted.replace('\n', "\r\n");
    assert_eq!(
        SecretKey::parse(&crlf, Some(b"correct horse"))
            .unwrap()
            .public_key(),
        public
    );
}

#[test]
fn secret_key_writing_refuses_inconsistent_requests() {
    let secret = SecretKey::generate().unwrap();
    assert!(secret.to_file_string("c", Some(b"pw"), Kdf::None).is_err());
    assert!(secret.to_file_string("c", None, CHEAP).is_err());
    assert!(secret.to_file_string("a\nb", None, Kdf::None).is_err());
    let huge = Kdf::Scrypt {
        opslimit: u64::MAX,
        memlimit: u64::MAX,
    };
    let error = secret.to_file_string("c", Some(b"pw"), huge).unwrap_err();
    assert!(error.to_string().contains("MiB"), "{error}");
}

/// Decoded bytes of a secret key file, changed by `edit`, re-encoded.
fn edit_secret(file: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut lines = file.lines();
    let comment = lines.next().unwrap();
    let mut bytes = STANDARD.decode(lines.next().unwrap()).unwrap();
    edit(&mut bytes);
    format!("{comment}\n{}\n", STANDARD.encode(&bytes))
}

#[test]
fn secret_key_parse_errors_say_what_and_where() {
    let secret = SecretKey::generate().unwrap();
    let plain = secret.to_file_string("c", None, Kdf::None).unwrap();
    let secret_error = |text: &str| match SecretKey::parse(text, Some(b"pw")) {
        Err(SecretKeyError::Format(error)) => error,
        other => panic!("{text:?}: expected a format error, got {other:?}"),
    };
    let cases: Vec<(String, usize, &str)> = vec![
        (String::new(), 1, "missing"),
        (
            "garbage".into(),
            1,
            "expected a line starting with \"untrusted comment: \"",
        ),
        ("untrusted comment: c\n".into(), 2, "missing"),
        ("untrusted comment: c\n%%%%\n".into(), 2, "not valid base64"),
        (
            "untrusted comment: c\nRWQAAEIy\n".into(),
            2,
            "decodes to 6 bytes, expected 158",
        ),
        (format!("{plain}extra\n"), 3, "unexpected text"),
        (
            edit_secret(&plain, |b| b[..2].copy_from_slice(b"Xx")),
            2,
            "secret key algorithm \"Xx\"",
        ),
        (
            edit_secret(&plain, |b| b[2..4].copy_from_slice(b"Ar")),
            2,
            "encryption \"Ar\" is neither",
        ),
        (
            edit_secret(&plain, |b| b[4..6].copy_from_slice(b"S2")),
            2,
            "checksum algorithm \"S2\"",
        ),
        // A corrupted unencrypted key: checksum or public half.
        (
            edit_secret(&plain, |b| b[60] ^= 1),
            2,
            "checksum of the unencrypted key does not match",
        ),
        (
            edit_secret(&plain, |b| {
                b[100] ^= 1;
                b[126..].fill(0)
            }),
            2,
            "public half of the secret key does not match",
        ),
        (
            edit_secret(&plain, |b| {
                b[2..4].copy_from_slice(b"Sc");
                b[38..46].copy_from_slice(&u64::MAX.to_le_bytes());
            }),
            2,
            "scrypt parameters",
        ),
        (
            format!(
                "untrusted comment: {}\n{}",
                "c".repeat(2000),
                plain.lines().nth(1).unwrap()
            ),
            1,
            "the limit is 1003",
        ),
    ];
    for (text, line, message) in &cases {
        let error = secret_error(text);
        assert_eq!(error.line, *line, "{text:?}: {error}");
        assert!(error.message.contains(message), "{text:?}: {error}");
    }
    assert!(SecretKey::is_encrypted_file("nothing").is_err());
    // minisign 0.11 writes unencrypted keys with a zero checksum.
    let zero_checksum = edit_secret(&plain, |b| b[126..].fill(0));
    assert_eq!(
        SecretKey::parse(&zero_checksum, None).unwrap().public_key(),
        secret.public_key()
    );
}

#[test]
fn sign_and_verify_both_algorithms() {
    let secret = SecretKey::generate().unwrap();
    let keys = [
        SecretKey::generate().unwrap().public_key(),
        secret.public_key(),
    ];
    let data = b"the package manifest";
    for message in [prehashed(data), Message::Raw(data)] {
        let signature = sign(
            &secret,
            message,
            "timestamp:1 file:m.json",
            "signature from fnguard",
        )
        .unwrap();
        let expected = match message {
            Message::Prehashed(_) => Algorithm::Prehashed,
            Message::Raw(_) => Algorithm::Legacy,
        };
        assert_eq!(signature.algorithm, expected);
        let parsed = Signature::parse(&signature.to_file_string()).unwrap();
        assert_eq!(parsed, signature);
        assert_eq!(verify(&keys, &parsed, message).unwrap(), &keys[1]);

        // Another file.
        let other = match message {
            Message::Prehashed(_) => prehashed(b"the package manifesT"),
            Message::Raw(_) => Message::Raw(b"the package manifesT"),
        };
        assert_eq!(
            verify(&keys, &parsed, other).unwrap_err(),
            VerifyError::BadSignature
        );
        // The other algorithm.
        let swapped = match message {
            Message::Prehashed(_) => Message::Raw(data),
            Message::Raw(_) => prehashed(data),
        };
        assert!(matches!(
            verify(&keys, &parsed, swapped).unwrap_err(),
            VerifyError::AlgorithmMismatch { .. }
        ));
        // A changed trusted comment.
        let mut changed = parsed.clone();
        changed.trusted_comment = "timestamp:2 file:m.json".into();
        assert_eq!(
            verify(&keys, &changed, message).unwrap_err(),
            VerifyError::BadGlobalSignature
        );
        // The untrusted comment may change.
        let mut relabelled = parsed.clone();
        relabelled.untrusted_comment = "anything".into();
        assert!(verify(&keys, &relabelled, message).is_ok());
        // Not among the trusted keys.
        assert_eq!(
            verify(&keys[..1], &parsed, message).unwrap_err(),
            VerifyError::UnknownKey {
                key_id: secret.key_id_hex()
            }
        );
        assert!(verify(&[], &parsed, message).is_err());
    }
}

#[test]
fn a_key_sharing_the_signers_id_does_not_hide_it() {
    let secret = SecretKey::generate().unwrap();
    let mut impostor = SecretKey::generate().unwrap().public_key();
    impostor.key_id = secret.public_key().key_id;
    let keys = [impostor, secret.public_key()];
    let signature = sign(&secret, prehashed(b"x"), "t", "u").unwrap();
    assert_eq!(
        verify(&keys, &signature, prehashed(b"x")).unwrap(),
        &keys[1]
    );
    assert_eq!(
        verify(&keys[..1], &signature, prehashed(b"x")).unwrap_err(),
        VerifyError::BadSignature
    );
}

#[test]
fn comment_limits_are_minisigns() {
    let secret = SecretKey::generate().unwrap();
    let at_limit = "t".repeat(TRUSTED_COMMENT_MAX);
    let untrusted_at_limit = "u".repeat(UNTRUSTED_COMMENT_MAX);
    let signature = sign(&secret, prehashed(b"x"), &at_limit, &untrusted_at_limit).unwrap();
    let parsed = Signature::parse(&signature.to_file_string()).unwrap();
    assert_eq!(parsed.trusted_comment, at_limit);
    assert!(verify(&[secret.public_key()], &parsed, prehashed(b"x")).is_ok());

    let over = "t".repeat(TRUSTED_COMMENT_MAX + 1);
    let error = sign(&secret, prehashed(b"x"), &over, "u").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("trusted comment is 8174 bytes long, the limit is 8173"),
        "{error}"
    );
    let error = sign(
        &secret,
        prehashed(b"x"),
        "t",
        &"u".repeat(UNTRUSTED_COMMENT_MAX + 1),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("untrusted comment is 1004 bytes long"),
        "{error}"
    );
    let error = sign(&secret, prehashed(b"x"), "a\nb", "u").unwrap_err();
    assert!(
        error.to_string().contains("line break at byte 1"),
        "{error}"
    );

    // A file with a trusted comment over the limit.
    let mut long = signature.clone();
    long.trusted_comment = over;
    let error = Signature::parse(&long.to_file_string()).unwrap_err();
    assert_eq!(error.line, 3);
    assert!(error.message.contains("the limit is 8173"), "{error}");
}

#[test]
fn signature_parse_errors_say_what_and_where() {
    let secret = SecretKey::generate().unwrap();
    let good = sign(&secret, prehashed(b"x"), "trusted", "untrusted")
        .unwrap()
        .to_file_string();
    let lines: Vec<&str> = good.lines().collect();
    let with_line = |number: usize, text: &str| {
        let mut edited = lines.clone();
        edited[number - 1] = text;
        edited.join("\n") + "\n"
    };
    let mut wrong_alg = STANDARD.decode(lines[1]).unwrap();
    wrong_alg[..2].copy_from_slice(b"Xx");
    let wrong_alg = STANDARD.encode(wrong_alg);
    let cases: Vec<(String, usize, &str)> = vec![
        (
            String::new(),
            1,
            "missing: expected the untrusted comment line",
        ),
        (
            "\u{0}\u{1}binary".into(),
            1,
            "expected a line starting with",
        ),
        (
            lines[..1].join("\n"),
            2,
            "missing: expected the signature in base64",
        ),
        (
            lines[..2].join("\n"),
            3,
            "missing: expected the trusted comment line",
        ),
        (
            lines[..3].join("\n"),
            4,
            "missing: expected the global signature",
        ),
        (with_line(2, "not base64!"), 2, "not valid base64"),
        (with_line(2, "RUQ="), 2, "decodes to 2 bytes, expected 74"),
        (
            with_line(2, &wrong_alg),
            2,
            "signature algorithm \"Xx\" is unknown",
        ),
        (
            with_line(3, "trusted: x"),
            3,
            "expected a line starting with \"trusted comment: \"",
        ),
        (
            with_line(4, &lines[4 - 1][..40]),
            4,
            "decodes to 30 bytes, expected 64",
        ),
        (
            format!("{good}extra"),
            5,
            "unexpected text after the 4 lines",
        ),
    ];
    for (text, line, message) in &cases {
        let error = Signature::parse(text).unwrap_err();
        assert_eq!(error.line, *line, "{text:?}: {error}");
        assert!(error.message.contains(message), "{text:?}: {error}");
    }
    // CRLF endings and no final line feed are fine; the comments keep
    // their bytes.
    let crlf = Signature::parse(good.trim_end().replace('\n', "\r\n").as_str()).unwrap();
    assert_eq!(crlf.trusted_comment, "trusted");
    assert!(verify(&[secret.public_key()], &crlf, prehashed(b"x")).is_ok());
}

/// Every single-bit flip of a signature file's decoded bytes (both base64
/// lines) and of its trusted comment's bytes: none verifies, none panics.
#[test]
fn every_bit_flip_of_a_signature_is_refused() {
    let secret = SecretKey::generate().unwrap();
    let keys = [secret.public_key()];
    let data = b"function code";
    for message in [prehashed(data), Message::Raw(data)] {
        let file = sign(&secret, message, "timestamp:1700000000 file:code.zip", "u")
            .unwrap()
            .to_file_string();
        let lines: Vec<&str> = file.lines().collect();
        let mut checked = 0;
        let mut refused_by = |text: String| {
            checked += 1;
            // A parse error is a refusal too.
            if let Ok(signature) = Signature::parse(&text) {
                assert!(
                    verify(&keys, &signature, message).is_err(),
                    "a tampered signature verified:\n{text}"
                );
            }
        };
        for line in [1, 3] {
            let bytes = STANDARD.decode(lines[line]).unwrap();
            for bit in 0..bytes.len() * 8 {
                let mut flipped = bytes.clone();
                flipped[bit / 8] ^= 1 << (bit % 8);
                let mut edited = lines.clone();
                let encoded = STANDARD.encode(&flipped);
                edited[line] = &encoded;
                refused_by(edited.join("\n"));
            }
        }
        let comment = lines[2].as_bytes();
        for bit in "trusted comment: ".len() * 8..comment.len() * 8 {
            let mut flipped = comment.to_vec();
            flipped[bit / 8] ^= 1 << (bit % 8);
            // A flip that breaks UTF-8 cannot even be read as text.
            let Ok(flipped) = String::from_utf8(flipped) else {
                continue;
            };
            let mut edited = lines.clone();
            edited[2] = &flipped;
            refused_by(edited.join("\n"));
        }
        // Every bit of both lines, and the 7 low bits of each comment byte
        // (flipping the high bit of ASCII breaks UTF-8).
        let comment_len = lines[2].len() - "trusted comment: ".len();
        assert_eq!(checked, (74 + 64) * 8 + comment_len * 7);
    }
}

/// ~1000 random bit flips and truncations of public and secret key files:
/// parsing never panics, and a key that still parses is either unchanged
/// (the flip hit the free comment) or no longer verifies the signature.
#[test]
fn random_flips_and_truncations_of_key_files_never_verify() {
    let secret = SecretKey::generate().unwrap();
    let public = secret.public_key();
    let signature = sign(&secret, prehashed(b"data"), "t", "u").unwrap();
    let public_file = public.to_file_string("minisign public key");
    let plain_file = secret
        .to_file_string("minisign secret key", None, Kdf::None)
        .unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    let mutate = |rng: &mut Rng, file: &str| -> Vec<u8> {
        let mut bytes = file.as_bytes().to_vec();
        if rng.below(4) == 0 {
            bytes.truncate(rng.below(bytes.len()));
        } else {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
        }
        bytes
    };
    for _ in 0..600 {
        let bytes = mutate(&mut rng, &public_file);
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok(key) = PublicKey::parse(&text) {
            if key != public {
                assert!(
                    verify(&[key], &signature, prehashed(b"data")).is_err(),
                    "{text}"
                );
            }
        }
    }
    for _ in 0..400 {
        let bytes = mutate(&mut rng, &plain_file);
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok(key) = SecretKey::parse(&text, None) {
            // Only the comment or the (unchecked, all-zero) checksum
            // convention may let a changed file through, with the same key.
            assert_eq!(key.public_key(), public, "{text}");
            let again = sign(&key, prehashed(b"data"), "t", "u").unwrap();
            assert!(verify(&[public], &again, prehashed(b"data")).is_ok());
        }
    }
}

/// Every bit of an encrypted key's salt and encrypted part, flipped: the
/// password no longer opens it (WrongPassword), never a garbage key.
#[test]
fn every_bit_flip_of_an_encrypted_key_is_a_wrong_password() {
    let secret = SecretKey::generate().unwrap();
    let file = secret.to_file_string("c", Some(b"pw"), CHEAP).unwrap();
    // Salt (6..38) and the encrypted key id, key and checksum (54..158).
    for bit in (6 * 8..38 * 8).chain(54 * 8..158 * 8) {
        let flipped = edit_secret(&file, |b| b[bit / 8] ^= 1 << (bit % 8));
        assert_eq!(
            SecretKey::parse(&flipped, Some(b"pw")).unwrap_err(),
            SecretKeyError::WrongPassword,
            "bit {bit}"
        );
    }
}
