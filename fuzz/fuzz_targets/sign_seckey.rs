//! A minisign secret key file through
//! `fnguard_sign::minisign::SecretKey::parse`: never a panic. Without a
//! password, so that an encrypted key stops before scrypt (whose cost comes
//! from the input, up to seconds a run; the unit tests cover decryption); an
//! unencrypted key that parses writes back to a file with the same key.
#![no_main]

use fnguard_sign::minisign::{Kdf, SecretKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = SecretKey::is_encrypted_file(text);
    if let Ok(key) = SecretKey::parse(text, None) {
        let file = key
            .to_file_string("fuzz", None, Kdf::None)
            .expect("an unencrypted key writes");
        let again = SecretKey::parse(&file, None).expect("a written key reads back");
        assert_eq!(again.public_key(), key.public_key());
    }
});
