//! Policy documents of every legal shape into typed statements.
//!
//! IAM is lenient about shapes: `Statement` may be one object or a list;
//! `Action`, `Resource`, principal values and condition values may be one
//! string or a list. Unknown (unresolved) parts are kept as unknown rather
//! than dropped, so evaluation can say "conditional" instead of guessing.

use crate::policy::{
    ActionSet, ConditionClause, Effect, Policy, PrincipalEntry, PrincipalSet, ResourceSet,
    Statement, Val,
};
use fnguard_core::{Node, NodeKind};

/// Parse a policy document. Never fails: what cannot be read becomes
/// unknown (a document that is not a map at all is `Policy { unknown: true }`).
pub fn parse_policy(doc: &Node) -> Policy {
    let mut policy = Policy {
        statements: Vec::new(),
        loc: doc.loc,
        unknown: false,
    };
    // Terraform and hand-written JSON sometimes carry the document as a JSON
    // string; loaders normally decode it, but accept it here too.
    if let NodeKind::Str(text) = &doc.kind {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            let node = from_json(&value, doc.loc);
            return parse_policy(&node);
        }
    }
    if doc.as_map().is_none() {
        policy.unknown = true;
        return policy;
    }
    let Some(statements) = doc.get_ci("Statement") else {
        return policy;
    };
    if statements.is_unknown() {
        policy.unknown = true;
        return policy;
    }
    for stmt in statements.one_or_many() {
        if stmt.as_map().is_some() {
            policy.statements.push(parse_statement(stmt));
        } else if stmt.contains_unknown() {
            policy.unknown = true;
        }
    }
    policy
}

fn parse_statement(stmt: &Node) -> Statement {
    let effect = match stmt.get_ci("Effect") {
        Some(n) if n.is_unknown() => Effect::Unknown,
        Some(n) => match n.as_str() {
            Some(s) if s.eq_ignore_ascii_case("allow") => Effect::Allow,
            Some(s) if s.eq_ignore_ascii_case("deny") => Effect::Deny,
            _ => Effect::Unknown,
        },
        None => Effect::Unknown,
    };
    let actions = if let Some(a) = stmt.get_ci("Action") {
        ActionSet::Action(values(a))
    } else if let Some(a) = stmt.get_ci("NotAction") {
        ActionSet::NotAction(values(a))
    } else {
        ActionSet::Absent
    };
    let resources = if let Some(r) = stmt.get_ci("Resource") {
        ResourceSet::Resource(values(r))
    } else if let Some(r) = stmt.get_ci("NotResource") {
        ResourceSet::NotResource(values(r))
    } else {
        ResourceSet::Absent
    };
    let principals = if let Some(p) = stmt.get_ci("Principal") {
        PrincipalSet::Principal(principal_entries(p))
    } else if let Some(p) = stmt.get_ci("NotPrincipal") {
        PrincipalSet::NotPrincipal(principal_entries(p))
    } else {
        PrincipalSet::Absent
    };
    let mut conditions = Vec::new();
    let mut condition_unknown = false;
    if let Some(cond) = stmt.get_ci("Condition") {
        match cond.as_map() {
            Some(operators) => {
                for op in operators {
                    match op.value.as_map() {
                        Some(keys) => {
                            for key in keys {
                                conditions.push(ConditionClause {
                                    operator: op.key.clone(),
                                    key: key.key.clone(),
                                    values: values(&key.value),
                                    loc: key.key_loc,
                                });
                            }
                        }
                        None => condition_unknown = true,
                    }
                }
            }
            None if cond.is_null() => {}
            None => condition_unknown = true,
        }
    }
    Statement {
        sid: stmt
            .get_ci("Sid")
            .and_then(|s| s.as_str())
            .map(str::to_string),
        loc: stmt.loc,
        effect,
        actions,
        resources,
        principals,
        conditions,
        condition_unknown,
    }
}

/// One value or a list of values; anything that is not a scalar is unknown.
fn values(node: &Node) -> Vec<Val> {
    node.one_or_many()
        .into_iter()
        .map(|n| match n.scalar_text() {
            Some(text) => Val::known(text.into_owned(), n.loc),
            None => Val::unknown(n.loc),
        })
        .collect()
}

fn principal_entries(node: &Node) -> Vec<PrincipalEntry> {
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .flat_map(|e| {
                values(&e.value).into_iter().map(|value| PrincipalEntry {
                    kind: e.key.clone(),
                    value,
                })
            })
            .collect(),
        _ => values(node)
            .into_iter()
            .map(|value| PrincipalEntry {
                kind: "*".to_string(),
                value,
            })
            .collect(),
    }
}

/// Plain JSON into the document tree, every node at `loc`.
pub fn from_json(value: &serde_json::Value, loc: fnguard_core::Loc) -> Node {
    use fnguard_core::doc::MapEntry;
    use serde_json::Value;
    let kind = match value {
        Value::Null => NodeKind::Null,
        Value::Bool(b) => NodeKind::Bool(*b),
        Value::Number(n) => NodeKind::Number(n.to_string()),
        Value::String(s) => NodeKind::Str(s.clone()),
        Value::Array(items) => NodeKind::Seq(items.iter().map(|v| from_json(v, loc)).collect()),
        Value::Object(map) => NodeKind::Map(
            map.iter()
                .map(|(k, v)| MapEntry {
                    key: k.clone(),
                    key_loc: loc,
                    value: from_json(v, loc),
                })
                .collect(),
        ),
    };
    Node::new(kind, loc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnguard_core::Loc;

    fn doc(json: &str) -> Node {
        from_json(&serde_json::from_str(json).unwrap(), Loc::default())
    }

    #[test]
    fn single_statement_object_and_scalars() {
        let p = parse_policy(&doc(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        ));
        assert_eq!(p.statements.len(), 1);
        let s = &p.statements[0];
        assert_eq!(s.effect, Effect::Allow);
        assert!(matches!(&s.actions, ActionSet::Action(a) if a[0].as_str() == Some("s3:*")));
        assert!(matches!(&s.resources, ResourceSet::Resource(r) if r[0].as_str() == Some("*")));
    }

    #[test]
    fn not_action_principals_and_conditions() {
        let p = parse_policy(&doc(
            r#"{"Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b",
                "Principal":{"AWS":["arn:aws:iam::1:root","*"],"Service":"lambda.amazonaws.com"},
                "Condition":{"StringEquals":{"aws:SourceAccount":"123"},"Bool":{"aws:SecureTransport":false}}},
               {"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#,
        ));
        let s = &p.statements[0];
        assert_eq!(s.effect, Effect::Deny);
        assert!(matches!(&s.actions, ActionSet::NotAction(_)));
        assert!(matches!(&s.resources, ResourceSet::NotResource(_)));
        let PrincipalSet::Principal(entries) = &s.principals else {
            panic!("principal")
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(s.conditions.len(), 2);
        let secure = s
            .conditions
            .iter()
            .find(|c| c.key == "aws:SecureTransport")
            .unwrap();
        assert_eq!(secure.operator, "Bool");
        assert_eq!(secure.values[0].as_str(), Some("false"));
        let PrincipalSet::Principal(star) = &p.statements[1].principals else {
            panic!("principal")
        };
        assert_eq!(star[0].kind, "*");
    }

    #[test]
    fn unknown_parts_stay_unknown() {
        let mut node = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject", "x"],"Resource":"*","Condition":"c"}]}"#,
        );
        // Replace the second action with an unknown value.
        if let NodeKind::Map(entries) = &mut node.kind {
            if let NodeKind::Seq(stmts) = &mut entries[0].value.kind {
                if let NodeKind::Map(fields) = &mut stmts[0].kind {
                    let action = fields.iter_mut().find(|f| f.key == "Action").unwrap();
                    if let NodeKind::Seq(actions) = &mut action.value.kind {
                        actions[1] = Node::unknown("Fn::ImportValue", Loc::default());
                    }
                }
            }
        }
        let p = parse_policy(&node);
        let ActionSet::Action(actions) = &p.statements[0].actions else {
            panic!("actions")
        };
        assert!(actions[1].text.is_none());
        assert!(p.statements[0].condition_unknown);
        assert!(parse_policy(&Node::unknown("x", Loc::default())).unknown);
    }

    #[test]
    fn policy_as_json_string() {
        let node = Node::str(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            Loc::default(),
        );
        assert_eq!(parse_policy(&node).statements.len(), 1);
    }
}
