//! Condition blocks with AWS semantics, over what the caller knows of the
//! request. A key the context does not know makes a clause `Maybe`, never a
//! guess: the statement is then only conditionally in force.

use crate::policy::{ConditionClause, Statement};
use crate::wildcard::{arn_matches, wildcard_match};
use std::collections::HashMap;
use std::net::IpAddr;

/// Three-valued truth: `Maybe` when the answer depends on something unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Maybe,
}

impl Tri {
    pub fn from_bool(b: bool) -> Tri {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }

    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Maybe,
        }
    }

    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Maybe,
        }
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Maybe => Tri::Maybe,
        }
    }
}

/// What is known about the request's condition keys. Keys are
/// case-insensitive. A key may be known to carry values, known to be absent
/// from the request, or (by default) unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    keys: HashMap<String, Option<Vec<String>>>,
}

/// What the context says about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState<'a> {
    Present(&'a [String]),
    Absent,
    Unknown,
}

impl Context {
    pub fn new() -> Self {
        Context::default()
    }

    /// The key is in the request with these values.
    pub fn with(mut self, key: &str, values: &[&str]) -> Self {
        self.set(key, values.iter().map(|v| v.to_string()).collect());
        self
    }

    /// The key is known not to be in the request.
    pub fn with_absent(mut self, key: &str) -> Self {
        self.keys.insert(key.to_ascii_lowercase(), None);
        self
    }

    pub fn set(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(key.to_ascii_lowercase(), Some(values));
    }

    pub fn get(&self, key: &str) -> KeyState<'_> {
        match self.keys.get(&key.to_ascii_lowercase()) {
            Some(Some(values)) => KeyState::Present(values),
            Some(None) => KeyState::Absent,
            None => KeyState::Unknown,
        }
    }
}

/// Does the statement's Condition block hold for the request? `Yes` when it
/// has none.
pub fn statement_conditions(stmt: &Statement, ctx: &Context) -> Tri {
    let mut result = if stmt.condition_unknown {
        Tri::Maybe
    } else {
        Tri::Yes
    };
    for clause in &stmt.conditions {
        result = result.and(clause_holds(clause, ctx));
        if result == Tri::No {
            break;
        }
    }
    result
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BaseOp {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(NumericOp),
    Bool,
    Binary,
    IpAddress,
    Arn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumericOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// `(base operator, negated)` for an operator name without qualifier and
/// `IfExists`; `None` for operators fnguard does not evaluate (dates).
fn base_operator(name: &str) -> Option<(BaseOp, bool)> {
    let lower = name.to_ascii_lowercase();
    let op = match lower.as_str() {
        "stringequals" => (BaseOp::StringEquals, false),
        "stringnotequals" => (BaseOp::StringEquals, true),
        "stringequalsignorecase" => (BaseOp::StringEqualsIgnoreCase, false),
        "stringnotequalsignorecase" => (BaseOp::StringEqualsIgnoreCase, true),
        "stringlike" => (BaseOp::StringLike, false),
        "stringnotlike" => (BaseOp::StringLike, true),
        "numericequals" => (BaseOp::Numeric(NumericOp::Eq), false),
        "numericnotequals" => (BaseOp::Numeric(NumericOp::Eq), true),
        "numericlessthan" => (BaseOp::Numeric(NumericOp::Lt), false),
        "numericlessthanequals" => (BaseOp::Numeric(NumericOp::Le), false),
        "numericgreaterthan" => (BaseOp::Numeric(NumericOp::Gt), false),
        "numericgreaterthanequals" => (BaseOp::Numeric(NumericOp::Ge), false),
        "bool" => (BaseOp::Bool, false),
        "binaryequals" => (BaseOp::Binary, false),
        "ipaddress" => (BaseOp::IpAddress, false),
        "notipaddress" => (BaseOp::IpAddress, true),
        "arnequals" | "arnlike" => (BaseOp::Arn, false),
        "arnnotequals" | "arnnotlike" => (BaseOp::Arn, true),
        _ => return None,
    };
    Some(op)
}

/// One clause (`operator: {key: values}`) against the context.
pub fn clause_holds(clause: &ConditionClause, ctx: &Context) -> Tri {
    let mut op = clause.operator.trim();
    let mut qualifier = Qualifier::Single;
    if let Some((prefix, rest)) = op.split_once(':') {
        qualifier = if prefix.eq_ignore_ascii_case("ForAnyValue") {
            Qualifier::ForAnyValue
        } else if prefix.eq_ignore_ascii_case("ForAllValues") {
            Qualifier::ForAllValues
        } else {
            return Tri::Maybe;
        };
        op = rest;
    }
    let mut if_exists = false;
    if op.len() > 8 && op[op.len() - 8..].eq_ignore_ascii_case("IfExists") {
        if_exists = true;
        op = &op[..op.len() - 8];
    }
    let state = ctx.get(&clause.key);
    if op.eq_ignore_ascii_case("Null") {
        return null_clause(clause, state);
    }
    let Some((base, negated)) = base_operator(op) else {
        return Tri::Maybe;
    };
    let ctx_values = match state {
        KeyState::Unknown => return Tri::Maybe,
        KeyState::Absent => {
            if if_exists {
                return Tri::Yes;
            }
            return match qualifier {
                Qualifier::ForAllValues => Tri::Yes,
                Qualifier::ForAnyValue => Tri::No,
                // A negated operator holds when there is nothing to match.
                Qualifier::Single => Tri::from_bool(negated),
            };
        }
        KeyState::Present(values) => values,
    };
    // Whether one request value matches any of the clause's values.
    let matches_any = |value: &str| -> Tri {
        let mut result = Tri::No;
        for expected in &clause.values {
            let r = match expected.as_str() {
                Some(expected) => value_matches(base, expected, value),
                None => Tri::Maybe,
            };
            result = result.or(r);
            if result == Tri::Yes {
                break;
            }
        }
        result
    };
    let per_value = |value: &str| {
        let m = matches_any(value);
        if negated {
            !m
        } else {
            m
        }
    };
    match qualifier {
        Qualifier::ForAllValues => ctx_values
            .iter()
            .fold(Tri::Yes, |acc, v| acc.and(per_value(v))),
        Qualifier::ForAnyValue => ctx_values
            .iter()
            .fold(Tri::No, |acc, v| acc.or(per_value(v))),
        Qualifier::Single => {
            if ctx_values.is_empty() {
                return Tri::from_bool(negated);
            }
            let any = ctx_values
                .iter()
                .fold(Tri::No, |acc, v| acc.or(matches_any(v)));
            if negated {
                !any
            } else {
                any
            }
        }
    }
}

/// `Null: {key: "true"}` holds when the key is absent; `"false"` when present.
fn null_clause(clause: &ConditionClause, state: KeyState<'_>) -> Tri {
    let present = match state {
        KeyState::Unknown => return Tri::Maybe,
        KeyState::Absent => false,
        KeyState::Present(values) => !values.is_empty(),
    };
    let mut result = Tri::No;
    for expected in &clause.values {
        let r = match expected.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("true") => Tri::from_bool(!present),
            Some("false") => Tri::from_bool(present),
            _ => Tri::Maybe,
        };
        result = result.or(r);
    }
    result
}

/// One request value against one policy value. A policy value holding a
/// policy variable (`${aws:username}`) that does not match literally is
/// `Maybe`: the variable could resolve to the request value.
fn value_matches(op: BaseOp, expected: &str, value: &str) -> Tri {
    let literal = match op {
        BaseOp::StringEquals | BaseOp::Binary => Some(expected == value),
        BaseOp::StringEqualsIgnoreCase => Some(expected.to_lowercase() == value.to_lowercase()),
        BaseOp::StringLike => Some(wildcard_match(expected, value, false)),
        BaseOp::Bool => Some(expected.eq_ignore_ascii_case(value)),
        BaseOp::Arn => Some(arn_matches(expected, value)),
        BaseOp::Numeric(num) => {
            match (expected.trim().parse::<f64>(), value.trim().parse::<f64>()) {
                (Ok(e), Ok(v)) => Some(match num {
                    NumericOp::Eq => v == e,
                    NumericOp::Lt => v < e,
                    NumericOp::Le => v <= e,
                    NumericOp::Gt => v > e,
                    NumericOp::Ge => v >= e,
                }),
                _ => None,
            }
        }
        BaseOp::IpAddress => ip_in_cidr(expected, value),
    };
    match literal {
        Some(true) => Tri::Yes,
        Some(false) if !expected.contains("${") => Tri::No,
        _ => Tri::Maybe,
    }
}

/// Is `ip` inside `cidr` (`10.0.0.0/8`, a bare address, IPv4 or IPv6)?
/// `None` when either does not parse.
fn ip_in_cidr(cidr: &str, ip: &str) -> Option<bool> {
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((net, bits)) => (net, Some(bits.parse::<u32>().ok()?)),
        None => (cidr.trim(), None),
    };
    let net: IpAddr = net.parse().ok()?;
    let ip: IpAddr = ip.trim().parse().ok()?;
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32);
            if bits > 32 {
                return None;
            }
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Some(u32::from(n) & mask == u32::from(i) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128);
            if bits > 128 {
                return None;
            }
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            Some(u128::from(n) & mask == u128::from(i) & mask)
        }
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Val;
    use fnguard_core::Loc;

    fn clause(op: &str, key: &str, values: &[&str]) -> ConditionClause {
        ConditionClause {
            operator: op.to_string(),
            key: key.to_string(),
            values: values
                .iter()
                .map(|v| Val::known(*v, Loc::default()))
                .collect(),
            loc: Loc::default(),
        }
    }

    #[test]
    fn unknown_keys_are_maybe() {
        let c = clause("StringEquals", "aws:SourceAccount", &["1"]);
        assert_eq!(clause_holds(&c, &Context::new()), Tri::Maybe);
    }

    #[test]
    fn string_operators() {
        let ctx = Context::new().with("aws:SourceAccount", &["123"]);
        assert_eq!(
            clause_holds(
                &clause("StringEquals", "AWS:sourceaccount", &["1", "123"]),
                &ctx
            ),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(&clause("StringEquals", "aws:SourceAccount", &["1"]), &ctx),
            Tri::No
        );
        assert_eq!(
            clause_holds(
                &clause("StringNotEquals", "aws:SourceAccount", &["1"]),
                &ctx
            ),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(&clause("StringLike", "aws:SourceAccount", &["12*"]), &ctx),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(
                &clause("StringNotLike", "aws:SourceAccount", &["12?"]),
                &ctx
            ),
            Tri::No
        );
        // An unevaluated policy variable cannot be ruled out.
        assert_eq!(
            clause_holds(
                &clause(
                    "StringEquals",
                    "aws:SourceAccount",
                    &["${aws:PrincipalAccount}"]
                ),
                &ctx
            ),
            Tri::Maybe
        );
        // Unevaluated operators (dates) are never guessed.
        assert_eq!(
            clause_holds(
                &clause("DateGreaterThan", "aws:SourceAccount", &["2020-01-01"]),
                &ctx
            ),
            Tri::Maybe
        );
    }

    #[test]
    fn absent_keys_if_exists_and_null() {
        let ctx = Context::new().with_absent("aws:SourceVpc");
        assert_eq!(
            clause_holds(&clause("StringEquals", "aws:SourceVpc", &["vpc-1"]), &ctx),
            Tri::No
        );
        assert_eq!(
            clause_holds(
                &clause("StringNotEquals", "aws:SourceVpc", &["vpc-1"]),
                &ctx
            ),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(
                &clause("StringEqualsIfExists", "aws:SourceVpc", &["vpc-1"]),
                &ctx
            ),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(&clause("Null", "aws:SourceVpc", &["true"]), &ctx),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(&clause("Null", "aws:SourceVpc", &["false"]), &ctx),
            Tri::No
        );
        let present = Context::new().with("aws:SourceVpc", &["vpc-2"]);
        assert_eq!(
            clause_holds(
                &clause("StringEqualsIfExists", "aws:SourceVpc", &["vpc-1"]),
                &present
            ),
            Tri::No
        );
        assert_eq!(
            clause_holds(&clause("Null", "aws:SourceVpc", &["false"]), &present),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(
                &clause("StringEqualsIfExists", "aws:SourceVpc", &["vpc-1"]),
                &Context::new()
            ),
            Tri::Maybe
        );
    }

    #[test]
    fn set_operators() {
        let ctx = Context::new().with("aws:TagKeys", &["team", "env"]);
        let any = clause("ForAnyValue:StringEquals", "aws:TagKeys", &["env"]);
        assert_eq!(clause_holds(&any, &ctx), Tri::Yes);
        let all = clause("ForAllValues:StringEquals", "aws:TagKeys", &["env"]);
        assert_eq!(clause_holds(&all, &ctx), Tri::No);
        let all_ok = clause("ForAllValues:StringLike", "aws:TagKeys", &["team", "e*"]);
        assert_eq!(clause_holds(&all_ok, &ctx), Tri::Yes);
        let none = Context::new().with_absent("aws:TagKeys");
        assert_eq!(clause_holds(&all, &none), Tri::Yes);
        assert_eq!(clause_holds(&any, &none), Tri::No);
        let any_not = clause("ForAnyValue:StringNotEquals", "aws:TagKeys", &["team"]);
        assert_eq!(clause_holds(&any_not, &ctx), Tri::Yes);
        assert_eq!(
            clause_holds(&clause("Sometimes:StringEquals", "k", &["v"]), &ctx),
            Tri::Maybe
        );
    }

    #[test]
    fn bool_numeric_ip_arn() {
        let ctx = Context::new()
            .with("aws:SecureTransport", &["true"])
            .with("s3:max-keys", &["10"])
            .with("aws:SourceIp", &["203.0.113.9"])
            .with("aws:SourceArn", &["arn:aws:s3:::uploads"]);
        assert_eq!(
            clause_holds(&clause("Bool", "aws:SecureTransport", &["false"]), &ctx),
            Tri::No
        );
        assert_eq!(
            clause_holds(&clause("Bool", "aws:SecureTransport", &["True"]), &ctx),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(
                &clause("NumericLessThanEquals", "s3:max-keys", &["10"]),
                &ctx
            ),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(&clause("NumericGreaterThan", "s3:max-keys", &["10"]), &ctx),
            Tri::No
        );
        assert_eq!(
            clause_holds(
                &clause("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
                &ctx
            ),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(
                &clause("NotIpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
                &ctx
            ),
            Tri::No
        );
        assert_eq!(
            clause_holds(&clause("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]), &ctx),
            Tri::No
        );
        assert_eq!(
            clause_holds(&clause("IpAddress", "aws:SourceIp", &["not-an-ip"]), &ctx),
            Tri::Maybe
        );
        assert_eq!(
            clause_holds(
                &clause("ArnLike", "aws:SourceArn", &["arn:aws:s3:::up*"]),
                &ctx
            ),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(
                &clause("ArnNotEquals", "aws:SourceArn", &["arn:aws:s3:::x"]),
                &ctx
            ),
            Tri::Yes
        );
        assert_eq!(ip_in_cidr("2001:db8::/32", "2001:db8::1"), Some(true));
        assert_eq!(ip_in_cidr("0.0.0.0/0", "8.8.8.8"), Some(true));
    }
}
