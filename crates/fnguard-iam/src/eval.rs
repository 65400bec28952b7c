//! "May this role do action A on resource R?" with AWS semantics for the
//! identity policies fnguard can see: an explicit Deny wins, otherwise an
//! Allow grants, otherwise the request is implicitly denied. `NotAction`,
//! `NotResource`, wildcards and Condition blocks are honoured. Whatever
//! depends on something unknown (an unresolved value, a condition key the
//! context does not know, a Deny that may or may not apply) makes the answer
//! `Conditional` rather than a guess in either direction.
//!
//! The resource is a concrete ARN, or `*` meaning "an arbitrary resource not
//! named by any statement": only `Resource: "*"` (or a `NotResource` that
//! does not name `*`) covers it. That is the question the checks ask ("does
//! this grant reach every resource?").

use crate::catalog::{catalog, AccessLevel, ServiceEntry};
use crate::condition::{statement_conditions, Context, Tri};
use crate::policy::{ActionSet, Effect, Policy, ResourceSet, Statement, Val};
use crate::wildcard::{action_matches, wildcard_match, ArnTarget};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An Allow applies for certain and no Deny can apply.
    Allowed,
    /// An explicit Deny applies for certain.
    Denied,
    /// No Allow applies (implicit deny).
    NotAllowed,
    /// Allowed only if conditions or unknown values go the right way: an
    /// Allow applies only maybe, or a Deny may apply.
    Conditional,
}

impl Decision {
    /// Allowed or possibly allowed.
    pub fn is_granted(self) -> bool {
        matches!(self, Decision::Allowed | Decision::Conditional)
    }
}

/// One statement that applies (or may apply) to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementMatch {
    /// Index into the `policies` slice given to the evaluator.
    pub policy: usize,
    /// Index into that policy's `statements`.
    pub statement: usize,
    pub effect: Effect,
    /// `false` when the statement only may apply (conditions, unknowns).
    pub certain: bool,
}

/// A decision together with the statements behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    pub matches: Vec<StatementMatch>,
}

impl Evaluation {
    pub fn allows(&self) -> impl Iterator<Item = &StatementMatch> {
        self.matches.iter().filter(|m| m.effect == Effect::Allow)
    }

    pub fn denies(&self) -> impl Iterator<Item = &StatementMatch> {
        self.matches.iter().filter(|m| m.effect == Effect::Deny)
    }
}

/// Decide one request against a set of identity policies (all the policies
/// of one role, evaluated together).
pub fn evaluate(policies: &[&Policy], action: &str, resource: &str, ctx: &Context) -> Decision {
    Evaluator::new(policies, resource, ctx).decide(action)
}

/// Like `evaluate`, also naming the statements that apply.
pub fn explain(policies: &[&Policy], action: &str, resource: &str, ctx: &Context) -> Evaluation {
    Evaluator::new(policies, resource, ctx).explain(action)
}

/// How much of the catalog a set of policies grants on one resource.
pub fn access_summary(
    policies: &[&Policy],
    actions: &str,
    resource: &str,
    ctx: &Context,
) -> AccessSummary {
    Evaluator::new(policies, resource, ctx).summary(actions)
}

/// A statement prepared for one resource and context: what is left to
/// decide per action is only whether its action set matches.
struct Prepared<'p> {
    policy: usize,
    index: usize,
    stmt: &'p Statement,
    /// Resource and conditions, which do not depend on the action.
    static_applies: Tri,
}

/// Evaluates many actions against the same policies, resource and context;
/// resource matching and conditions are worked out once.
pub struct Evaluator<'p> {
    statements: Vec<Prepared<'p>>,
    /// A policy document fnguard could not read: it may allow or deny
    /// anything.
    unknown_policy: bool,
}

impl<'p> Evaluator<'p> {
    pub fn new(policies: &[&'p Policy], resource: &str, ctx: &Context) -> Self {
        let mut statements = Vec::new();
        let mut unknown_policy = false;
        let target = ArnTarget::new(resource);
        for (pi, policy) in policies.iter().enumerate() {
            unknown_policy |= policy.unknown;
            for (si, stmt) in policy.statements.iter().enumerate() {
                let applies = resource_applies(&stmt.resources, &target);
                let applies = if applies == Tri::No {
                    Tri::No
                } else {
                    applies.and(statement_conditions(stmt, ctx))
                };
                if applies != Tri::No {
                    statements.push(Prepared {
                        policy: pi,
                        index: si,
                        stmt,
                        static_applies: applies,
                    });
                }
            }
        }
        Evaluator {
            statements,
            unknown_policy,
        }
    }

    pub fn decide(&self, action: &str) -> Decision {
        self.combine(|_, p| action_applies(&p.stmt.actions, action), None)
    }

    pub fn explain(&self, action: &str) -> Evaluation {
        let mut matches = Vec::new();
        let decision = self.combine(
            |_, p| action_applies(&p.stmt.actions, action),
            Some(&mut matches),
        );
        Evaluation { decision, matches }
    }

    /// Apply AWS's decision logic given, per statement, whether its action
    /// set matches.
    fn combine(
        &self,
        action_tri: impl Fn(usize, &Prepared<'p>) -> Tri,
        mut matches: Option<&mut Vec<StatementMatch>>,
    ) -> Decision {
        let mut allow_yes = false;
        let mut allow_maybe = self.unknown_policy;
        let mut deny_yes = false;
        let mut deny_maybe = self.unknown_policy;
        for (i, p) in self.statements.iter().enumerate() {
            let applies = p.static_applies.and(action_tri(i, p));
            if applies == Tri::No {
                continue;
            }
            let certain = applies == Tri::Yes;
            match p.stmt.effect {
                Effect::Allow if certain => allow_yes = true,
                Effect::Allow => allow_maybe = true,
                Effect::Deny if certain => deny_yes = true,
                Effect::Deny => deny_maybe = true,
                Effect::Unknown => {
                    allow_maybe = true;
                    deny_maybe = true;
                }
            }
            if let Some(m) = matches.as_deref_mut() {
                m.push(StatementMatch {
                    policy: p.policy,
                    statement: p.index,
                    effect: p.stmt.effect,
                    certain,
                });
            }
        }
        if deny_yes {
            Decision::Denied
        } else if allow_yes && !deny_maybe {
            Decision::Allowed
        } else if allow_yes || allow_maybe {
            Decision::Conditional
        } else {
            Decision::NotAllowed
        }
    }

    /// Count the catalog actions matching `actions` (`*`, `s3:*`, `s3:Get*`)
    /// that are granted. A service whose actions all get the same answer
    /// (every statement's action set covers all or none of it) is decided
    /// once, which keeps a whole-catalog probe cheap.
    pub fn summary(&self, actions: &str) -> AccessSummary {
        let cat = catalog();
        let mut summary = AccessSummary::default();
        // Every pattern is taken apart once, not once per catalog service.
        let universe_pattern = ServicePattern::new(actions);
        let statement_sets: Vec<ServicePatternSet> = self
            .statements
            .iter()
            .map(|p| ServicePatternSet::new(&p.stmt.actions))
            .collect();
        // When every statement names its services literally (`s3:Get*`,
        // `logs:*`) or not at all (`*`), each relates the same way to every
        // service none of them names: those services share one decision,
        // worked out once, instead of every pattern being compared with
        // ~400 prefixes.
        let unnamed: Option<(Vec<bool>, Vec<Relation>)> =
            match (universe_pattern, named_services(&statement_sets)) {
                (ServicePattern::Everything, Some(named)) => {
                    let mut is_named = vec![false; cat.services().len()];
                    for service in named {
                        if let Some(i) = cat.service_index(service) {
                            is_named[i] = true;
                        }
                    }
                    let relations = statement_sets.iter().map(|set| set.relation("")).collect();
                    Some((is_named, relations))
                }
                _ => None,
            };
        let mut unnamed_decision: Option<Decision> = None;
        let mut relations: Vec<Relation> = Vec::with_capacity(statement_sets.len());
        for (index, service) in cat.services().iter().enumerate() {
            let universe = universe_pattern.relation(service.prefix);
            if universe == Relation::None {
                continue;
            }
            let mut entry = ServiceAccess {
                service: service.prefix,
                actions: 0,
                allowed: 0,
                conditional: 0,
            };
            if let Some((is_named, unnamed_relations)) = &unnamed {
                if !is_named[index] {
                    let decision = *unnamed_decision.get_or_insert_with(|| {
                        self.combine(|i, _| unnamed_relations[i].as_tri(), None)
                    });
                    summary.add_service(&mut entry, service, decision);
                    if entry.actions > 0 {
                        summary.services.push(entry);
                    }
                    continue;
                }
            }
            relations.clear();
            relations.extend(
                statement_sets
                    .iter()
                    .map(|set| set.relation(service.prefix)),
            );
            let uniform = universe == Relation::All && !relations.contains(&Relation::Mixed);
            if uniform {
                let decision = self.combine(|i, _| relations[i].as_tri(), None);
                summary.add_service(&mut entry, service, decision);
            } else {
                for action in cat.service_actions(service) {
                    if universe != Relation::All && !action_matches(actions, action.name) {
                        continue;
                    }
                    let decision = self.decide(action.name);
                    summary.add_action(&mut entry, action.level, decision);
                }
            }
            if entry.actions > 0 {
                summary.services.push(entry);
            }
        }
        summary
    }
}

/// Does the statement's resource element cover the requested resource?
fn resource_applies(resources: &ResourceSet, resource: &ArnTarget) -> Tri {
    match resources {
        ResourceSet::Resource(vals) => any_val(vals, |p| resource.matched_by(p)),
        ResourceSet::NotResource(vals) => !any_val(vals, |p| resource.matched_by(p)),
        // Identity policies need a resource element; AWS rejects one without.
        ResourceSet::Absent => Tri::No,
    }
}

fn action_applies(actions: &ActionSet, action: &str) -> Tri {
    match actions {
        ActionSet::Action(vals) => any_val(vals, |p| action_matches(p, action)),
        ActionSet::NotAction(vals) => !any_val(vals, |p| action_matches(p, action)),
        ActionSet::Absent => Tri::No,
    }
}

/// `Yes` if a known value satisfies `f`, `Maybe` if none does but some value
/// is unknown, else `No`.
fn any_val(vals: &[Val], f: impl Fn(&str) -> bool) -> Tri {
    let mut result = Tri::No;
    for v in vals {
        match v.as_str() {
            Some(text) if f(text) => return Tri::Yes,
            Some(_) => {}
            None => result = Tri::Maybe,
        }
    }
    result
}

/// How an action pattern (or set) relates to all actions of one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    /// Matches every action of the service.
    All,
    /// Matches none.
    None,
    /// Unknown, the same for every action.
    Maybe,
    /// Depends on the action.
    Mixed,
}

impl Relation {
    fn as_tri(self) -> Tri {
        match self {
            Relation::All => Tri::Yes,
            Relation::None => Tri::No,
            Relation::Maybe | Relation::Mixed => Tri::Maybe,
        }
    }
}

/// An action pattern taken apart for `relation`, which `summary` asks
/// about every catalog service.
#[derive(Debug, Clone, Copy)]
enum ServicePattern<'a> {
    /// `*`, `**`: every action of every service.
    Everything,
    /// `svc:act` with one colon: the service part alone decides whether it
    /// can match (action names hold exactly one colon, so the pattern's
    /// colon must meet it).
    Service {
        service: &'a str,
        /// The service part holds `*` or `?`.
        wild: bool,
        /// The action part is only stars: the whole service.
        every_action: bool,
    },
    /// Anything else depends on the action.
    Mixed,
}

impl<'a> ServicePattern<'a> {
    fn new(pattern: &'a str) -> Self {
        if pattern.bytes().all(|b| b == b'*') && !pattern.is_empty() {
            return ServicePattern::Everything;
        }
        match pattern.split_once(':') {
            Some((service, act)) if !act.contains(':') => ServicePattern::Service {
                service,
                wild: service.contains(['*', '?']),
                every_action: !act.is_empty() && act.bytes().all(|b| b == b'*'),
            },
            _ => ServicePattern::Mixed,
        }
    }

    /// How the pattern relates to all actions of `prefix`.
    fn relation(&self, prefix: &str) -> Relation {
        match *self {
            ServicePattern::Everything => Relation::All,
            ServicePattern::Mixed => Relation::Mixed,
            ServicePattern::Service {
                service,
                wild,
                every_action,
            } => {
                // Without wildcards, matching is a case-folded comparison.
                let matches = if wild {
                    wildcard_match(service, prefix, true)
                } else {
                    service.eq_ignore_ascii_case(prefix)
                };
                if !matches {
                    Relation::None
                } else if every_action {
                    Relation::All
                } else {
                    Relation::Mixed
                }
            }
        }
    }
}

/// Every service prefix the sets name, when each of their patterns either
/// names one literally or relates the same way to every service (`*`, an
/// unknown value); `None` when some pattern has a wildcard in its service
/// part or is not `service:action`. Then a set's relation to any service
/// not named is its relation to the empty prefix, which no literal service
/// part matches.
fn named_services<'a>(sets: &[ServicePatternSet<'a>]) -> Option<Vec<&'a str>> {
    let mut named = Vec::new();
    for set in sets {
        for pattern in &set.patterns {
            match pattern {
                Some(ServicePattern::Service {
                    service,
                    wild: false,
                    ..
                }) if !service.is_empty() => named.push(*service),
                Some(ServicePattern::Everything) | None => {}
                _ => return None,
            }
        }
    }
    Some(named)
}

/// A statement's `Action` or `NotAction` element taken apart; `None`
/// stands for a value fnguard could not resolve.
struct ServicePatternSet<'a> {
    patterns: Vec<Option<ServicePattern<'a>>>,
    negated: bool,
    absent: bool,
}

impl<'a> ServicePatternSet<'a> {
    fn new(actions: &'a ActionSet) -> Self {
        let (vals, negated, absent): (&[Val], bool, bool) = match actions {
            ActionSet::Action(vals) => (vals, false, false),
            ActionSet::NotAction(vals) => (vals, true, false),
            ActionSet::Absent => (&[], false, true),
        };
        ServicePatternSet {
            patterns: vals
                .iter()
                .map(|v| v.as_str().map(ServicePattern::new))
                .collect(),
            negated,
            absent,
        }
    }

    /// How the whole set relates to all actions of `prefix`.
    fn relation(&self, prefix: &str) -> Relation {
        if self.absent {
            return Relation::None;
        }
        let (mut any_mixed, mut any_maybe) = (false, false);
        for pattern in &self.patterns {
            match pattern.map(|p| p.relation(prefix)) {
                Some(Relation::All) => {
                    return if self.negated {
                        Relation::None
                    } else {
                        Relation::All
                    }
                }
                Some(Relation::Mixed) => any_mixed = true,
                Some(Relation::Maybe) | None => any_maybe = true,
                Some(Relation::None) => {}
            }
        }
        if any_mixed {
            Relation::Mixed
        } else if any_maybe {
            Relation::Maybe
        } else if self.negated {
            Relation::All
        } else {
            Relation::None
        }
    }
}

/// Counts per access level (indexed by `AccessLevel::index`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelCounts(pub [usize; 5]);

impl LevelCounts {
    pub fn get(&self, level: AccessLevel) -> usize {
        self.0[level.index()]
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

/// One service's share of an `AccessSummary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccess {
    pub service: &'static str,
    /// Actions of the service in the probed set.
    pub actions: usize,
    pub allowed: usize,
    pub conditional: usize,
}

impl ServiceAccess {
    pub fn granted(&self) -> usize {
        self.allowed + self.conditional
    }
}

/// How many catalog actions a role is granted on one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessSummary {
    /// Actions probed, per access level.
    pub probed: LevelCounts,
    pub allowed: LevelCounts,
    pub conditional: LevelCounts,
    /// Services with at least one probed action.
    pub services: Vec<ServiceAccess>,
}

impl AccessSummary {
    pub fn total(&self) -> usize {
        self.probed.total()
    }

    pub fn granted(&self) -> usize {
        self.allowed.total() + self.conditional.total()
    }

    fn add_service(
        &mut self,
        entry: &mut ServiceAccess,
        service: &ServiceEntry,
        decision: Decision,
    ) {
        let n: usize = service.levels.iter().sum();
        entry.actions += n;
        for (i, count) in service.levels.iter().enumerate() {
            self.probed.0[i] += count;
            match decision {
                Decision::Allowed => self.allowed.0[i] += count,
                Decision::Conditional => self.conditional.0[i] += count,
                Decision::Denied | Decision::NotAllowed => {}
            }
        }
        match decision {
            Decision::Allowed => entry.allowed += n,
            Decision::Conditional => entry.conditional += n,
            Decision::Denied | Decision::NotAllowed => {}
        }
    }

    fn add_action(&mut self, entry: &mut ServiceAccess, level: AccessLevel, decision: Decision) {
        entry.actions += 1;
        self.probed.0[level.index()] += 1;
        match decision {
            Decision::Allowed => {
                entry.allowed += 1;
                self.allowed.0[level.index()] += 1;
            }
            Decision::Conditional => {
                entry.conditional += 1;
                self.conditional.0[level.index()] += 1;
            }
            Decision::Denied | Decision::NotAllowed => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::expand;
    use crate::parse::{from_json, parse_policy};
    use fnguard_core::Loc;

    fn policy(json: &str) -> Policy {
        parse_policy(&from_json(
            &serde_json::from_str(json).unwrap(),
            Loc::default(),
        ))
    }

    fn decide(policies: &[&Policy], action: &str, resource: &str) -> Decision {
        evaluate(policies, action, resource, &Context::new())
    }

    const BUCKET: &str = "arn:aws:s3:::orders/invoice.pdf";

    #[test]
    fn allow_and_implicit_deny() {
        let p = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:Get*","dynamodb:PutItem"],"Resource":"arn:aws:s3:::orders/*"}]}"#,
        );
        assert_eq!(decide(&[&p], "s3:GetObject", BUCKET), Decision::Allowed);
        assert_eq!(decide(&[&p], "S3:GETOBJECT", BUCKET), Decision::Allowed);
        assert_eq!(decide(&[&p], "s3:PutObject", BUCKET), Decision::NotAllowed);
        assert_eq!(
            decide(&[&p], "s3:GetObject", "arn:aws:s3:::other/x"),
            Decision::NotAllowed
        );
        // A grant on one bucket does not reach "every resource".
        assert_eq!(decide(&[&p], "s3:GetObject", "*"), Decision::NotAllowed);
    }

    #[test]
    fn explicit_deny_wins_across_policies() {
        let allow = policy(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#);
        let deny = policy(r#"{"Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}"#);
        assert_eq!(
            decide(&[&allow, &deny], "iam:PassRole", "*"),
            Decision::Denied
        );
        assert_eq!(
            decide(&[&deny, &allow], "iam:PassRole", "*"),
            Decision::Denied
        );
        assert_eq!(
            decide(&[&allow, &deny], "s3:PutObject", "*"),
            Decision::Allowed
        );
        let eval = explain(&[&allow, &deny], "iam:PassRole", "*", &Context::new());
        assert_eq!(eval.allows().count(), 1);
        assert_eq!(
            eval.denies().next().map(|m| (m.policy, m.statement)),
            Some((1, 0))
        );
    }

    #[test]
    fn deny_not_action_cuts_a_star_grant() {
        let p = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
                {"Effect":"Deny","NotAction":["s3:GetObject","logs:*"],"Resource":"*"}]}"#,
        );
        assert_eq!(decide(&[&p], "s3:GetObject", "*"), Decision::Allowed);
        assert_eq!(decide(&[&p], "logs:PutLogEvents", "*"), Decision::Allowed);
        assert_eq!(decide(&[&p], "s3:DeleteObject", "*"), Decision::Denied);
        assert_eq!(decide(&[&p], "iam:CreateUser", "*"), Decision::Denied);
        let summary = access_summary(&[&p], "*", "*", &Context::new());
        let logs = catalog().service("logs").unwrap();
        assert_eq!(summary.granted(), logs.levels.iter().sum::<usize>() + 1);
    }

    #[test]
    fn allow_not_action_and_not_resource() {
        let p = policy(
            r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::secret/*"}]}"#,
        );
        assert_eq!(decide(&[&p], "s3:GetObject", BUCKET), Decision::Allowed);
        assert_eq!(
            decide(&[&p], "s3:GetObject", "arn:aws:s3:::secret/k"),
            Decision::NotAllowed
        );
        assert_eq!(decide(&[&p], "iam:PassRole", "*"), Decision::NotAllowed);
        assert_eq!(decide(&[&p], "ec2:RunInstances", "*"), Decision::Allowed);
        let deny_not_resource = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
                {"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::orders/*"}]}"#,
        );
        assert_eq!(
            decide(&[&deny_not_resource], "s3:GetObject", BUCKET),
            Decision::Allowed
        );
        assert_eq!(
            decide(&[&deny_not_resource], "s3:GetObject", "*"),
            Decision::Denied
        );
    }

    #[test]
    fn conditions_known_and_unknown() {
        let p = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
                "Condition":{"StringEquals":{"aws:ResourceTag/team":"orders"}}}]}"#,
        );
        assert_eq!(decide(&[&p], "s3:GetObject", "*"), Decision::Conditional);
        let tagged = Context::new().with("aws:ResourceTag/team", &["orders"]);
        assert_eq!(
            evaluate(&[&p], "s3:GetObject", "*", &tagged),
            Decision::Allowed
        );
        let other = Context::new().with("aws:ResourceTag/team", &["billing"]);
        assert_eq!(
            evaluate(&[&p], "s3:GetObject", "*", &other),
            Decision::NotAllowed
        );
    }

    #[test]
    fn conditional_deny_makes_allow_conditional() {
        let p = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
                {"Effect":"Deny","Action":"*","Resource":"*",
                 "Condition":{"StringNotEqualsIfExists":{"aws:RequestedRegion":"eu-west-1"}}}]}"#,
        );
        assert_eq!(decide(&[&p], "s3:GetObject", "*"), Decision::Conditional);
        let in_region = Context::new().with("aws:RequestedRegion", &["eu-west-1"]);
        assert_eq!(
            evaluate(&[&p], "s3:GetObject", "*", &in_region),
            Decision::Allowed
        );
        let elsewhere = Context::new().with("aws:RequestedRegion", &["us-east-1"]);
        assert_eq!(
            evaluate(&[&p], "s3:GetObject", "*", &elsewhere),
            Decision::Denied
        );
        let no_region = Context::new().with_absent("aws:RequestedRegion");
        assert_eq!(
            evaluate(&[&p], "s3:GetObject", "*", &no_region),
            Decision::Denied
        );
    }

    #[test]
    fn for_any_value_condition() {
        let p = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*",
                "Condition":{"ForAnyValue:StringLike":{"dynamodb:Attributes":["public*"]}}}]}"#,
        );
        let ctx = Context::new().with("dynamodb:Attributes", &["secret", "publicName"]);
        assert_eq!(
            evaluate(&[&p], "dynamodb:GetItem", "*", &ctx),
            Decision::Allowed
        );
        let ctx = Context::new().with("dynamodb:Attributes", &["secret"]);
        assert_eq!(
            evaluate(&[&p], "dynamodb:GetItem", "*", &ctx),
            Decision::NotAllowed
        );
    }

    #[test]
    fn unknown_values_are_conditional() {
        let mut p =
            policy(r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#);
        if let ResourceSet::Resource(r) = &mut p.statements[0].resources {
            r[0] = Val::unknown(Loc::default());
        }
        assert_eq!(decide(&[&p], "s3:GetObject", BUCKET), Decision::Conditional);
        let mut deny = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"x","Resource":"*"}]}"#,
        );
        if let ActionSet::Action(a) = &mut deny.statements[1].actions {
            a[0] = Val::unknown(Loc::default());
        }
        assert_eq!(decide(&[&deny], "s3:GetObject", "*"), Decision::Conditional);
        let unreadable = Policy {
            unknown: true,
            ..Policy::default()
        };
        let allow = policy(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#);
        assert_eq!(
            decide(&[&allow, &unreadable], "s3:GetObject", "*"),
            Decision::Conditional
        );
        assert_eq!(
            decide(&[&unreadable], "s3:GetObject", "*"),
            Decision::Conditional
        );
        let unknown_effect =
            policy(r#"{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#);
        assert_eq!(
            decide(&[&unknown_effect], "s3:GetObject", "*"),
            Decision::Conditional
        );
        assert_eq!(decide(&[], "s3:GetObject", "*"), Decision::NotAllowed);
    }

    /// The per-service shortcut of `summary` must agree with deciding every
    /// action one by one.
    #[test]
    fn summary_matches_brute_force() {
        let policies = [
            policy(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
            policy(
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
                    {"Effect":"Deny","Action":["iam:*","s3:Delete*","organizations:*"],"Resource":"*"}]}"#,
            ),
            policy(
                r#"{"Statement":[{"Effect":"Allow","NotAction":["iam:*","ec2:Run*"],"Resource":"*"},
                    {"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}"#,
            ),
            policy(
                r#"{"Statement":[{"Effect":"Allow","Action":["s*:Get*","dynamodb:*"],"Resource":"*"}]}"#,
            ),
            // Only literal service parts and `*` (the shared decision for
            // the services no statement names), with Deny and NotAction.
            policy(
                r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","DynamoDB:*","logs:Put*"],"Resource":"*"},
                    {"Effect":"Deny","Action":["dynamodb:Delete*"],"Resource":"*"}]}"#,
            ),
            policy(
                r#"{"Statement":[{"Effect":"Allow","NotAction":["iam:*","S3:Delete*"],"Resource":"*"},
                    {"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
            ),
            policy(
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
                    {"Effect":"Deny","Action":["iam:*","s3:DeleteBucket"],"Resource":"*"},
                    {"Effect":"Deny","NotAction":["logs:*","s3:*","iam:*","lambda:Get*"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"cn-north-1"}}}]}"#,
            ),
            // Case-folded and `?` service parts, a pattern with two colons.
            policy(
                r#"{"Statement":[{"Effect":"Allow","Action":["DynamoDB:*","s?:List*","kms:a:b"],"Resource":"*"},
                    {"Effect":"Deny","NotAction":["IAM:*"],"Resource":"*"}]}"#,
            ),
        ];
        for p in &policies {
            for universe in ["*", "s3:*", "s3:Get*", "iam:*", "S3:*", "s?:*", "*:List*"] {
                let summary = access_summary(&[p], universe, "*", &Context::new());
                let (mut allowed, mut conditional, mut probed) = (0, 0, 0);
                for a in expand(universe) {
                    probed += 1;
                    match decide(&[p], a.name, "*") {
                        Decision::Allowed => allowed += 1,
                        Decision::Conditional => conditional += 1,
                        _ => {}
                    }
                }
                assert_eq!(summary.total(), probed, "{universe}");
                assert_eq!(summary.allowed.total(), allowed, "{universe} {p:?}");
                assert_eq!(summary.conditional.total(), conditional, "{universe}");
                let by_service: usize = summary.services.iter().map(|s| s.allowed).sum();
                assert_eq!(by_service, allowed);
            }
        }
    }

    #[test]
    fn admin_summary() {
        let p = policy(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#);
        let s = access_summary(&[&p], "*", "*", &Context::new());
        assert_eq!(s.allowed.total(), catalog().len());
        assert_eq!(
            s.allowed.get(AccessLevel::PermissionsManagement),
            s.probed.get(AccessLevel::PermissionsManagement)
        );
        let narrow = access_summary(&[&p], "*", "arn:aws:s3:::b", &Context::new());
        assert_eq!(narrow.allowed.total(), catalog().len());
    }
}
