//! Scanning what a function actually ships (guide §3.2.1, §3.2.2, §2.2
//! supply-chain poisoning, §2.3 persistence): the folders and archives the
//! IaC points at, layers, and packages given directly.
//!
//! * `archive`: zip (nested zips and jars), tar, tar.gz and folders read as
//!   a stream of entries, with caps on size, ratio, entries and depth, path
//!   escapes reported and never followed.
//! * `classify`: first-party, vendored dependency, test or doc, runtime
//!   config; severities depend on the class.
//! * `secrets`: rules as data (`rules/secrets/*.yml`) behind an
//!   Aho-Corasick keyword prefilter, with randomness tests and redaction.
//! * `deps`: the dependency inventory of lockfiles, installed metadata and
//!   binaries, matched offline against OSV advisories with each
//!   ecosystem's version semantics.
//! * `sbom`: a CycloneDX 1.6 SBOM of a function's packages and the
//!   advisories affecting them, reproducible byte for byte.
//! * `indicators`: supply-chain and persistence indicators (rules
//!   FG-SUP-*): start-up hooks, install scripts, Lambda extensions and
//!   wrappers, decoded code run, credential reads, runtime tampering,
//!   exfiltration endpoints, and typosquatted package names.

pub mod archive;
pub mod classify;
pub mod deps;
pub mod indicators;
pub mod package;
pub mod sbom;
pub mod secrets;
