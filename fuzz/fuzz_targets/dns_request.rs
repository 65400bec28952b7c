//! A client's packet through `fnguard dns serve`'s request path: parsing,
//! the policy, the blocked and error answers, and the cache (a miss is
//! answered from a cached upstream answer, as the next hit would be).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|packet: &[u8]| {
    let _ = fnguard_dns::server::fuzz::request(packet);
});
