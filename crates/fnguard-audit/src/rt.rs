//! Checks of area `RT`.
//!
//! STUB: the rules of this area are being written.

use crate::{Ctx, Raw};
use fnguard_core::RuleMeta;

pub static RULES: &[RuleMeta] = &[];

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    let _ = (ctx, out);
}
