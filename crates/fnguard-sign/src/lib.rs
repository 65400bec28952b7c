//! Package signing and integrity (guide §3.2.3).
//!
//! - [`minisign`]: keys and signatures in minisign's exact file formats, so
//!   that `minisign -V` checks what `fnguard sign` writes and the other way
//!   round.
//! - [`manifest`]: the list of every file of a function package (path, size,
//!   mode, SHA-256, BLAKE3, symlink target) as canonical JSON, and the
//!   comparison of a package with it.
//! - [`package`]: reading a folder or a zip into the entries a manifest
//!   lists, with caps, hashing in parallel.
//!
//! The parsers and the comparison do no I/O of their own, so that `fnguard
//! guard` reuses them at run time.

pub mod manifest;
pub mod minisign;
pub mod package;
pub mod seal;
