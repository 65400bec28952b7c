//! A minisign signature file through
//! `fnguard_sign::minisign::Signature::parse`: never a panic; a signature
//! that parses writes back to the same signature, and verifying it against
//! a key with its id (random bytes, not the signer) fails without panicking.
#![no_main]

use fnguard_sign::minisign::{verify, Message, PublicKey, Signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(signature) = Signature::parse(text) {
        assert_eq!(Signature::parse(&signature.to_file_string()), Ok(signature.clone()));
        let key = PublicKey {
            key_id: signature.key_id,
            key: [0x5a; 32],
        };
        let _ = verify(&[key], &signature, Message::Raw(data));
        let _ = verify(&[key], &signature, Message::Prehashed([0; 64]));
    }
});
