//! IAM policy language: parse documents of every legal shape into typed
//! statements (keeping source locations), and answer "may this principal do
//! action A on resource R" with AWS semantics. Unknown values (unresolved
//! intrinsics) make an answer `Conditional`/`Unknown`, never a guess.

pub mod parse;
pub mod policy;

pub use parse::parse_policy;
pub use policy::{
    ActionSet, ConditionClause, Effect, Policy, PrincipalEntry, PrincipalSet, ResourceSet,
    Statement, Val,
};
