//! A minisign public key file (or bare base64 line) through
//! `fnguard_sign::minisign::PublicKey::parse`: never a panic, and a key that
//! parses writes back to a file and a base64 line that parse to the same key.
#![no_main]

use fnguard_sign::minisign::PublicKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = PublicKey::parse(text) {
        assert_eq!(PublicKey::parse(&key.to_base64()), Ok(key));
        assert_eq!(PublicKey::parse(&key.to_file_string(text)), Ok(key));
        assert!((1..=16).contains(&key.key_id_hex().len()));
    }
});
