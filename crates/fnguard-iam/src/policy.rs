//! Typed IAM policy documents.

use fnguard_core::Loc;

/// A string value from a policy with its location; `text` is `None` when
/// the value is unknown (an unresolved intrinsic or expression).
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub text: Option<String>,
    pub loc: Loc,
}

impl Val {
    pub fn known(text: impl Into<String>, loc: Loc) -> Self {
        Val {
            text: Some(text.into()),
            loc,
        }
    }

    pub fn unknown(loc: Loc) -> Self {
        Val { text: None, loc }
    }

    pub fn as_str(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
    /// The effect itself is an unresolved expression.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActionSet {
    Action(Vec<Val>),
    NotAction(Vec<Val>),
    /// Neither key present (invalid in AWS; treated as matching nothing).
    Absent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResourceSet {
    Resource(Vec<Val>),
    NotResource(Vec<Val>),
    /// Neither key present: normal in trust and resource-based policies.
    Absent,
}

/// One principal entry: `kind` is `AWS`, `Service`, `Federated`,
/// `CanonicalUser`, or `*` for the bare `"Principal": "*"` form.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalEntry {
    pub kind: String,
    pub value: Val,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalSet {
    Principal(Vec<PrincipalEntry>),
    NotPrincipal(Vec<PrincipalEntry>),
    Absent,
}

/// One condition clause: `"StringEquals": {"aws:SourceAccount": [..]}`
/// becomes `operator = "StringEquals"`, `key = "aws:SourceAccount"`. The
/// operator keeps its qualifier prefix (`ForAnyValue:`) and `IfExists`
/// suffix as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionClause {
    pub operator: String,
    pub key: String,
    pub values: Vec<Val>,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub loc: Loc,
    pub effect: Effect,
    pub actions: ActionSet,
    pub resources: ResourceSet,
    pub principals: PrincipalSet,
    pub conditions: Vec<ConditionClause>,
    /// The Condition block is present but could not be read (an unresolved
    /// expression): the statement is conditional on something unknown.
    pub condition_unknown: bool,
}

impl Statement {
    pub fn has_conditions(&self) -> bool {
        !self.conditions.is_empty() || self.condition_unknown
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    pub statements: Vec<Statement>,
    pub loc: Loc,
    /// The document (or its statement list) is an unresolved expression:
    /// nothing can be said about what it allows.
    pub unknown: bool,
}
