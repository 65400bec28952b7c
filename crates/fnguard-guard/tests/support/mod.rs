//! Test support shared by the test binaries of fnguard-guard: the Lambda
//! emulator ([`emulator`]) and the fixtures around it ([`fixtures`]).
// Each test binary uses a different part of this module.
#![allow(dead_code)]

pub mod emulator;
pub mod fixtures;
