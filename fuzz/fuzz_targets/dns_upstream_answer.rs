//! Bytes from an upstream through the checks (hickory-proto's parse, id,
//! question), the re-emitted cache entry and the answer built from it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|packet: &[u8]| {
    let _ = fnguard_dns::server::fuzz::upstream_answer(packet);
});
