//! IAM policy language: parse documents of every legal shape into typed
//! statements (keeping source locations), and answer "may this principal do
//! action A on resource R" with AWS semantics. Unknown values (unresolved
//! intrinsics) make an answer `Conditional`, never a guess.
//!
//! * `parse_policy`: documents into `Policy`.
//! * `catalog`: every AWS action with access level and resource types
//!   (`data/iam/actions.tsv`), `expand(pattern)`, `access_level(action)`.
//! * `eval`: `evaluate`/`explain` one request, `access_summary` for "how much
//!   of AWS does this role reach".
//! * `condition`: the request `Context` and condition operators.
//! * `trust`: who may assume a role.
//! * `managed`: AWS managed policy names, ARNs, privilege classes and
//!   documents (`managed::document`).
//! * `privesc`: the privilege-escalation catalog and `assess`.
//! * `wildcard`: `*`/`?` matching for actions and ARNs.

pub mod catalog;
pub mod condition;
pub mod eval;
pub mod managed;
pub mod parse;
pub mod policy;
pub mod privesc;
pub mod trust;
pub mod wildcard;

pub use catalog::{access_level, catalog, expand, AccessLevel, ActionInfo};
pub use condition::{Context, Tri};
pub use eval::{
    access_summary, evaluate, explain, AccessSummary, Decision, Evaluation, Evaluator,
    ServiceAccess, StatementMatch,
};
pub use managed::Privilege;
pub use parse::parse_policy;
pub use policy::{
    ActionSet, ConditionClause, Effect, Policy, PrincipalEntry, PrincipalSet, ResourceSet,
    Statement, Val,
};
pub use privesc::{
    assess, assess_as, assess_as_member, Environment, Escalation, FunctionInfo, RoleInfo,
};
pub use wildcard::{action_matches, arn_matches};
