//! Integrity of the function's files and of its runtime process.

pub mod files;
pub mod process;

pub use files::{Violation, CONTROL_FILES, CONTROL_PROCESS};
