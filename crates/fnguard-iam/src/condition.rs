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
    Date(NumericOp),
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
/// `IfExists`; `None` for operators fnguard does not know.
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
        "dateequals" => (BaseOp::Date(NumericOp::Eq), false),
        "datenotequals" => (BaseOp::Date(NumericOp::Eq), true),
        "datelessthan" => (BaseOp::Date(NumericOp::Lt), false),
        "datelessthanequals" => (BaseOp::Date(NumericOp::Le), false),
        "dategreaterthan" => (BaseOp::Date(NumericOp::Gt), false),
        "dategreaterthanequals" => (BaseOp::Date(NumericOp::Ge), false),
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
                (Ok(e), Ok(v)) => Some(compare(num, v, e)),
                _ => None,
            }
        }
        BaseOp::Date(num) => match (parse_date(expected), parse_date(value)) {
            (Some(e), Some(v)) => Some(compare(num, v, e)),
            _ => None,
        },
        BaseOp::IpAddress => ip_in_cidr(expected, value),
    };
    match literal {
        Some(true) => Tri::Yes,
        Some(false) if !expected.contains("${") => Tri::No,
        _ => Tri::Maybe,
    }
}

fn compare<T: PartialOrd>(op: NumericOp, value: T, expected: T) -> bool {
    match op {
        NumericOp::Eq => value == expected,
        NumericOp::Lt => value < expected,
        NumericOp::Le => value <= expected,
        NumericOp::Gt => value > expected,
        NumericOp::Ge => value >= expected,
    }
}

/// A date condition value as milliseconds since the Unix epoch. IAM accepts
/// ISO 8601 (`2026-01-31`, `2026-01-31T12:00:00Z`, with fractional seconds
/// or a `+hh:mm` offset) and epoch seconds (`1767225600`). `None` for
/// anything else, which makes the clause `Maybe`.
fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok()?.checked_mul(1000);
    }
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, time) = match text.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let year = num(parts.next()?)?;
    let month = num(parts.next()?)?;
    let day = num(parts.next()?)?;
    // ISO 8601 years have four digits; bounding them also keeps the day
    // arithmetic below far from overflow on hostile input.
    if !(0..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    if let Some(time) = time {
        // Split off the zone: `Z`, `+hh:mm`, `-hh:mm` (or none: UTC).
        let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
            (clock, 0)
        } else if let Some(pos) = time.rfind(['+', '-']) {
            let (clock, zone) = time.split_at(pos);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let zone = &zone[1..];
            let (h, m) = zone.split_once(':').unwrap_or((zone, "0"));
            (clock, sign * (num(h)? * 60 + num(m)?) * 60_000)
        } else {
            (time, 0)
        };
        let mut fields = clock.splitn(3, ':');
        let hour = num(fields.next()?)?;
        let minute = fields.next().map(num).unwrap_or(Some(0))?;
        let (second, fraction) = match fields.next() {
            Some(sec) => match sec.split_once('.') {
                Some((s, f)) => (num(s)?, f),
                None => (num(sec)?, ""),
            },
            None => (0, ""),
        };
        if hour > 24 || minute > 59 || second > 60 {
            return None;
        }
        let fraction_ms = if fraction.is_empty() {
            0
        } else {
            let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
            num(&digits)?
        };
        millis += ((hour * 60 + minute) * 60 + second) * 1000 + fraction_ms - offset;
    }
    Some(millis)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm), so dates compare without a date library.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = (month + 9) % 12;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        // Operators fnguard does not know are never guessed.
        assert_eq!(
            clause_holds(
                &clause("StringSortOfEquals", "aws:SourceAccount", &["123"]),
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

    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
    #[test]
    fn date_operators() {
        let ctx = Context::new().with("aws:CurrentTime", &["2026-12-05T11:30:00Z"]);
        let holds = |op: &str, v: &str| clause_holds(&clause(op, "aws:CurrentTime", &[v]), &ctx);
        assert_eq!(holds("DateGreaterThan", "2026-01-01T00:00:00Z"), Tri::Yes);
        assert_eq!(holds("DateLessThan", "2026-01-01T00:00:00Z"), Tri::No);
        assert_eq!(holds("DateLessThan", "2027-01-01"), Tri::Yes);
        assert_eq!(holds("DateEquals", "2026-12-05T11:30:00.000Z"), Tri::Yes);
        assert_eq!(holds("DateNotEquals", "2026-12-05T11:30:00Z"), Tri::No);
        // The same instant written with an offset.
        assert_eq!(holds("DateEquals", "2026-12-05T12:30:00+01:00"), Tri::Yes);
        assert_eq!(
            holds("DateLessThanEquals", "2026-12-05T11:30:00Z"),
            Tri::Yes
        );
        assert_eq!(
            holds("DateGreaterThanEquals", "2026-12-05T11:30:01Z"),
            Tri::No
        );
        // Epoch seconds on either side: 2026-12-05T11:30:00Z = 1796470200.
        assert_eq!(holds("DateEquals", "1796470200"), Tri::Yes);
        let epoch = Context::new().with("aws:EpochTime", &["1796470200"]);
        assert_eq!(
            clause_holds(
                &clause("DateLessThan", "aws:EpochTime", &["2026-12-31"]),
                &epoch
            ),
            Tri::Yes
        );
        // Unparseable dates are never guessed; IfExists on an absent key holds.
        assert_eq!(holds("DateGreaterThan", "last tuesday"), Tri::Maybe);
        let absent = Context::new().with_absent("aws:CurrentTime");
        assert_eq!(
            clause_holds(
                &clause("DateLessThanIfExists", "aws:CurrentTime", &["2020-01-01"]),
                &absent
            ),
            Tri::Yes
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(parse_date("1969-12-31T23:59:59Z"), Some(-1000));
        // Hostile or malformed dates are unknown, never a panic.
        assert_eq!(parse_date("9000000000000000000-01-01"), None);
        assert_eq!(parse_date("99999999999999999999"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("2026-01-01T25:00:00Z"), None);
        assert_eq!(parse_date("2026-01-01T10:00:00+zz:00"), None);
        assert_eq!(parse_date("2026-01-01Té"), None);
    }

    // The operator reference: "...IfExists" with a present key, Null on a
    // multi-valued key, numeric with IfExists, and ForAllValues/ForAnyValue
    // on multi-valued keys with negation.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    #[test]
    fn qualifiers_on_multi_valued_keys() {
        let tags = Context::new().with("aws:TagKeys", &["env", "team"]);
        // ForAllValues:StringNotEquals: no request value may be listed.
        let all_not = clause("ForAllValues:StringNotEquals", "aws:TagKeys", &["owner"]);
        assert_eq!(clause_holds(&all_not, &tags), Tri::Yes);
        let all_not = clause("ForAllValues:StringNotEquals", "aws:TagKeys", &["env"]);
        assert_eq!(clause_holds(&all_not, &tags), Tri::No);
        // ForAnyValue:StringLike with one of several.
        let any_like = clause("ForAnyValue:StringLike", "aws:TagKeys", &["te*"]);
        assert_eq!(clause_holds(&any_like, &tags), Tri::Yes);
        // An empty value set: ForAllValues holds vacuously, ForAnyValue fails.
        let empty = Context::new().with("aws:TagKeys", &[]);
        let all = clause("ForAllValues:StringEquals", "aws:TagKeys", &["env"]);
        assert_eq!(clause_holds(&all, &empty), Tri::Yes);
        let any = clause("ForAnyValue:StringEquals", "aws:TagKeys", &["env"]);
        assert_eq!(clause_holds(&any, &empty), Tri::No);
        assert_eq!(
            clause_holds(&clause("Null", "aws:TagKeys", &["true"]), &empty),
            Tri::Yes
        );
        // IfExists with the key present behaves as the plain operator.
        let ctx = Context::new().with("s3:max-keys", &["50"]);
        assert_eq!(
            clause_holds(
                &clause("NumericLessThanIfExists", "s3:max-keys", &["10"]),
                &ctx
            ),
            Tri::No
        );
        assert_eq!(
            clause_holds(
                &clause("NumericLessThanIfExists", "s3:max-keys", &["100"]),
                &ctx
            ),
            Tri::Yes
        );
        // Bool with IfExists on an absent key.
        let absent = Context::new().with_absent("aws:MultiFactorAuthPresent");
        assert_eq!(
            clause_holds(
                &clause("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"]),
                &absent
            ),
            Tri::Yes
        );
        // Numeric values that do not parse are unknown, not false.
        assert_eq!(
            clause_holds(&clause("NumericEquals", "s3:max-keys", &["ten"]), &ctx),
            Tri::Maybe
        );
        // Any unknown policy value among the listed ones makes a miss Maybe.
        let mut c = clause("StringEquals", "s3:max-keys", &["1"]);
        c.values.push(Val::unknown(Loc::default()));
        assert_eq!(clause_holds(&c, &ctx), Tri::Maybe);
        // IPv6 CIDR and a mixed-family miss.
        let ip6 = Context::new().with("aws:SourceIp", &["2001:db8::7"]);
        assert_eq!(
            clause_holds(
                &clause("IpAddress", "aws:SourceIp", &["2001:db8::/32"]),
                &ip6
            ),
            Tri::Yes
        );
        assert_eq!(
            clause_holds(&clause("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]), &ip6),
            Tri::No
        );
        // ArnLike wildcards stay inside one ARN part.
        let arn = Context::new().with(
            "aws:SourceArn",
            &["arn:aws:sns:eu-west-1:111111111111:topic"],
        );
        assert_eq!(
            clause_holds(
                &clause(
                    "ArnLike",
                    "aws:SourceArn",
                    &["arn:aws:sns:*:222222222222:*"]
                ),
                &arn
            ),
            Tri::No
        );
    }
}
