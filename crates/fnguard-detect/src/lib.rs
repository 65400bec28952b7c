//! fnguard's detection engine.

pub mod sigma;
