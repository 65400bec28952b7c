//! Shared contracts of fnguard (see ARCHITECTURE.md): every crate speaks in
//! these types, so a finding produced by any scanner can be suppressed,
//! baselined and rendered the same way.

pub mod date;
pub mod doc;
pub mod encode;
pub mod fast_hash;
pub mod field;
pub mod finding;
pub mod location;
pub mod report;
pub mod rule;
pub mod severity;
pub mod text;

pub use date::Date;
pub use doc::{Node, NodeKind};
pub use field::Field;
pub use finding::{AttackPath, Finding, PathStep, Related, StepKind, Suppression, SuppressionKind};
pub use location::{FileId, Loc, SourceRef};
pub use rule::{Area, RuleMeta};
pub use severity::Severity;
pub use text::{Lang, Text};
