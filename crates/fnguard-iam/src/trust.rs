//! Trust (assume-role) policies: who may assume a role.

use crate::condition::{statement_conditions, Context, Tri};
use crate::policy::{ActionSet, Effect, Policy, PrincipalEntry, PrincipalSet};
use crate::wildcard::action_matches;

/// The STS actions that hand out a role's credentials.
pub const ASSUME_ACTIONS: [&str; 3] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
];

/// Statements of a trust policy beyond this are not read. AWS caps trust
/// policies at 4,096 characters, so only hostile input is that long, and
/// the Deny cross-check must not turn it into quadratic work.
pub const MAX_TRUST_STATEMENTS: usize = 1_000;

/// Who a grant lets in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Assumer<'a> {
    /// One principal entry (`*` itself, an account, a service...).
    Entry(&'a PrincipalEntry),
    /// `NotPrincipal` with Allow: everyone except the entries listed.
    AllExcept(&'a [PrincipalEntry]),
}

/// One principal an Allow statement of a trust policy lets assume the role.
#[derive(Debug, Clone, PartialEq)]
pub struct AssumeGrant<'a> {
    /// Index into the policy's statements.
    pub statement: usize,
    pub assumer: Assumer<'a>,
    /// The statement has conditions fnguard cannot decide (or a Deny may
    /// take the grant back).
    pub conditional: bool,
}

impl AssumeGrant<'_> {
    /// Lets anyone in: `"*"`, `{"AWS": "*"}`, or `NotPrincipal`.
    pub fn is_anyone(&self) -> bool {
        match self.assumer {
            Assumer::AllExcept(_) => true,
            Assumer::Entry(e) => e.value.as_str() == Some("*"),
        }
    }
}

/// Every principal that may assume the role under `trust`, honouring Deny
/// statements and conditions. Entries whose value is unknown are left out
/// (nothing may be reported on an unknown value), as are statements whose
/// action or effect is unknown.
pub fn assume_grants<'a>(trust: &'a Policy, ctx: &Context) -> Vec<AssumeGrant<'a>> {
    let mut grants = Vec::new();
    let statements = &trust.statements[..trust.statements.len().min(MAX_TRUST_STATEMENTS)];
    for (index, stmt) in statements.iter().enumerate() {
        if stmt.effect != Effect::Allow || actions_assume(&stmt.actions) != Tri::Yes {
            continue;
        }
        let conditions = statement_conditions(stmt, ctx);
        if conditions == Tri::No {
            continue;
        }
        let entries: Vec<Assumer<'a>> = match &stmt.principals {
            PrincipalSet::Principal(entries) => entries
                .iter()
                .filter(|e| e.value.as_str().is_some())
                .map(Assumer::Entry)
                .collect(),
            PrincipalSet::NotPrincipal(entries) => vec![Assumer::AllExcept(entries)],
            PrincipalSet::Absent => Vec::new(),
        };
        for assumer in entries {
            let denied = denial(trust, assumer, ctx);
            if denied == Tri::Yes {
                continue;
            }
            grants.push(AssumeGrant {
                statement: index,
                assumer,
                conditional: conditions == Tri::Maybe || denied == Tri::Maybe,
            });
        }
    }
    grants
}

/// Does the statement's action set cover one of the assume actions?
fn actions_assume(actions: &ActionSet) -> Tri {
    let any = |vals: &[crate::policy::Val], negated: bool| {
        let mut result = Tri::No;
        for action in ASSUME_ACTIONS {
            let mut hit = Tri::No;
            for v in vals {
                match v.as_str() {
                    Some(p) if action_matches(p, action) => hit = Tri::Yes,
                    Some(_) => {}
                    None if hit == Tri::No => hit = Tri::Maybe,
                    None => {}
                }
            }
            result = result.or(if negated { !hit } else { hit });
        }
        result
    };
    match actions {
        ActionSet::Action(vals) => any(vals, false),
        ActionSet::NotAction(vals) => any(vals, true),
        ActionSet::Absent => Tri::No,
    }
}

/// Does a Deny statement of the trust policy take the grant back?
fn denial(trust: &Policy, assumer: Assumer<'_>, ctx: &Context) -> Tri {
    let mut result = Tri::No;
    for stmt in trust.statements.iter().take(MAX_TRUST_STATEMENTS) {
        if stmt.effect != Effect::Deny {
            continue;
        }
        let action = actions_assume(&stmt.actions);
        if action == Tri::No {
            continue;
        }
        let principal = match (&stmt.principals, assumer) {
            (PrincipalSet::Principal(entries), Assumer::Entry(granted)) => {
                let mut r = Tri::No;
                for e in entries {
                    r = r.or(match (e.value.as_str(), granted.value.as_str()) {
                        (Some("*"), _) => Tri::Yes,
                        (Some(d), Some(g)) => Tri::from_bool(
                            e.kind.eq_ignore_ascii_case(&granted.kind) && d.eq_ignore_ascii_case(g),
                        ),
                        _ => Tri::Maybe,
                    });
                }
                r
            }
            (PrincipalSet::Principal(entries), Assumer::AllExcept(_)) => {
                Tri::from_bool(entries.iter().any(|e| e.value.as_str() == Some("*")))
            }
            // Rare shapes: the Deny may or may not cover the grant.
            (PrincipalSet::NotPrincipal(_), _) => Tri::Maybe,
            (PrincipalSet::Absent, _) => Tri::No,
        };
        result = result.or(action.and(principal).and(statement_conditions(stmt, ctx)));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{from_json, parse_policy};
    use fnguard_core::Loc;

    fn policy(json: &str) -> Policy {
        parse_policy(&from_json(
            &serde_json::from_str(json).unwrap(),
            Loc::default(),
        ))
    }

    fn who(grants: &[AssumeGrant<'_>]) -> Vec<(String, bool)> {
        grants
            .iter()
            .map(|g| match g.assumer {
                Assumer::Entry(e) => (
                    format!("{}={}", e.kind, e.value.as_str().unwrap_or("?")),
                    g.conditional,
                ),
                Assumer::AllExcept(_) => ("not".to_string(), g.conditional),
            })
            .collect()
    }

    #[test]
    fn lists_every_principal_with_its_condition_state() {
        let p = policy(
            r#"{"Statement":[
                {"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"},
                {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole",
                 "Condition":{"StringEquals":{"sts:ExternalId":"x"}}},
                {"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:GetObject"},
                {"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:*"}
            ]}"#,
        );
        let grants = assume_grants(&p, &Context::new());
        assert_eq!(
            who(&grants),
            [
                ("Service=lambda.amazonaws.com".to_string(), false),
                ("Service=ec2.amazonaws.com".to_string(), false),
                ("AWS=arn:aws:iam::999999999999:root".to_string(), true),
                (
                    "Federated=cognito-identity.amazonaws.com".to_string(),
                    false
                ),
            ]
        );
    }

    #[test]
    fn anyone_and_denies() {
        let p = policy(
            r#"{"Statement":[
                {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
                {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRole"},
                {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRole"}
            ]}"#,
        );
        let grants = assume_grants(&p, &Context::new());
        assert_eq!(grants.len(), 1);
        assert!(grants[0].is_anyone());
        let not = policy(
            r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRole"}]}"#,
        );
        assert!(assume_grants(&not, &Context::new())[0].is_anyone());
        let conditional_deny = policy(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
                {"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#,
        );
        assert!(assume_grants(&conditional_deny, &Context::new())[0].conditional);
    }
}
