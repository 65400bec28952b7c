//! make_non_dumpable, in a test binary of its own: it changes the whole
//! test process (its /proc entries become root's).

use fnguard_guard::integrity::process::make_non_dumpable;
use rustix::process::{dumpable_behavior, DumpableBehavior};

#[test]
fn the_guard_becomes_non_dumpable() {
    assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::Dumpable);
    make_non_dumpable().unwrap();
    assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::NotDumpable);
}
