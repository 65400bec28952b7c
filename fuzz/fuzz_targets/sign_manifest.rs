//! Bytes through the manifest parser (`fnguard verify`, `fnguard guard`):
//! no input panics, and whatever parses has exactly one byte form (its
//! canonical JSON is the input), so signed bytes have one meaning.
#![no_main]

use fnguard_sign::manifest::{compare, CompareOptions, Manifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(manifest) = Manifest::parse(bytes) {
        assert_eq!(manifest.to_json(), bytes);
        // Compared with an empty package, every listed file is missing.
        let report = compare(&manifest, &[], CompareOptions::default());
        assert_eq!(report.findings.len(), manifest.files.len());
        assert_eq!(report.intact, 0);
    }
});
