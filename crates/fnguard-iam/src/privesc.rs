//! Privilege escalation: which of the catalogued methods
//! (`data/iam/privesc.json`) a set of identity policies enables, and what
//! each one reaches.
//!
//! A method is a list of alternatives; each alternative is a set of steps,
//! all required. A step is one action on one *binding*: a named resource
//! that several steps may share (the function that is created and then
//! invoked must be the same function), either a resource the attacker
//! creates (`new`: any name the policy allows will do) or one that exists
//! (the roles, functions, users... the scanned IaC defines, or "any" when
//! the policy reaches the whole resource type). One binding is the method's
//! target: what the escalation gains.
//!
//! Everything is decided by `eval::Evaluator`, so explicit Deny, NotAction,
//! NotResource, wildcards and conditions count exactly as for any other
//! request. Each step adds the condition keys AWS sets for it
//! (`iam:PassedToService` on a PassRole to Lambda, `lambda:Layer` for a
//! foreign layer); every other key the caller's `Context` does not know
//! leaves the step `Conditional`, and the escalation lists those keys.
//!
//! Scoping: a statement scoped to a *named* resource (`role/other-app-*`)
//! is taken to mean those resources, so an existing-resource binding
//! reaches only the IaC's resources it matches, or every resource of the
//! type when the pattern is type-wide (`*`, `role/*`). A `new` binding is
//! satisfied by any pattern, since the attacker picks the name.
//! Approximation: a name-scoped pattern is tested through the pattern text
//! itself, so a Deny that covers only part of it (`SecretsManager?` against
//! `SecretsManager*`) is read as covering all of it.

use crate::catalog::catalog;
use crate::condition::{Context, KeyState};
use crate::eval::{Decision, Evaluation, Evaluator};
use crate::policy::{ActionSet, Effect, Policy, ResourceSet, Statement, Val};
use crate::wildcard::{action_matches, arn_parts};
use fnguard_core::Loc;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

const PRIVESC_JSON: &str = include_str!("../../../data/iam/privesc.json");

/// One escalation method of the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Method {
    pub id: String,
    pub name: String,
    /// What succeeding gains, in words.
    pub gains: String,
    /// `critical`, `high` or `medium`.
    pub severity: String,
    /// MITRE ATT&CK technique id.
    pub attack: String,
    pub references: Vec<String>,
    pub description_en: String,
    pub description_zh: String,
    /// Condition keys that decide whether the method works.
    pub condition_keys: Vec<String>,
    pub bindings: Vec<Binding>,
    /// Alternatives; every step of one alternative is required.
    pub alternatives: Vec<Vec<Step>>,
    /// Index into `bindings` of what the method gains.
    pub target: usize,
}

/// A resource some steps of a method act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub name: String,
    /// Resource type key (`iam:role`, `lambda:function`).
    pub resource_type: String,
    /// ARN pattern covering every resource of the type.
    pub type_pattern: String,
    /// The attacker creates it and picks its name.
    pub new: bool,
    /// For roles that are passed: the service that must be able to assume it.
    pub assumable_by: Option<String>,
    /// The method changes the resource's permissions (attaches a policy to
    /// a role) rather than borrowing them: the principal's own role and
    /// roles known to be weak are targets too.
    pub modifies: bool,
}

/// One action of a method on one binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: String,
    pub binding: usize,
    /// Condition keys AWS sets on this request, with their values.
    pub context: Vec<(String, Vec<String>)>,
    /// Condition keys whose value is the ARN of a binding.
    pub context_from: Vec<(String, usize)>,
    /// The action supports only `Resource: "*"` (no resource types).
    pub only_star: bool,
    /// The resource's own policy (rewritten by an earlier step) grants the
    /// action, so the identity policies need only not deny it: an
    /// `sts:AssumeRole` on a role whose trust policy now names the
    /// principal (same account; see the STS AssumeRole API reference).
    pub unless_denied: bool,
    /// Index into the catalog's list of distinct step actions.
    action_index: usize,
}

/// The compiled catalog.
#[derive(Debug)]
pub struct PrivescCatalog {
    pub version: String,
    pub methods: Vec<Method>,
    /// Distinct step actions, for the per-policy-set prefilter.
    actions: Vec<String>,
}

static CATALOG: OnceLock<PrivescCatalog> = OnceLock::new();

/// The escalation catalog compiled into fnguard (parsed on first use).
pub fn methods() -> &'static PrivescCatalog {
    CATALOG.get_or_init(|| PrivescCatalog::parse(PRIVESC_JSON).expect("data/iam/privesc.json"))
}

impl PrivescCatalog {
    pub fn method(&self, id: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.id == id)
    }

    /// Parse and check the catalog; errors name the method at fault (a test
    /// runs this on the shipped data).
    pub fn parse(json: &str) -> Result<PrivescCatalog, String> {
        let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let text = |v: &serde_json::Value, key: &str| -> Result<String, String> {
            v.get(key)
                .and_then(|s| s.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("missing string `{key}`"))
        };
        let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
            v.and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let types = doc
            .get("resource_types")
            .and_then(|t| t.as_object())
            .ok_or("missing resource_types")?;
        let mut actions: Vec<String> = Vec::new();
        let mut methods = Vec::new();
        for m in doc
            .get("methods")
            .and_then(|m| m.as_array())
            .ok_or("missing methods")?
        {
            let id = text(m, "id")?;
            let err = |e: String| format!("{id}: {e}");
            let mut bindings = Vec::new();
            for (name, b) in m
                .get("resources")
                .and_then(|r| r.as_object())
                .ok_or_else(|| err("missing resources".into()))?
            {
                let resource_type = text(b, "type").map_err(err)?;
                let type_pattern = types
                    .get(&resource_type)
                    .and_then(|p| p.as_str())
                    .ok_or_else(|| err(format!("unknown resource type {resource_type}")))?
                    .to_string();
                bindings.push(Binding {
                    name: name.clone(),
                    resource_type,
                    type_pattern,
                    new: b.get("new").and_then(|n| n.as_bool()).unwrap_or(false),
                    assumable_by: b
                        .get("assumable_by")
                        .and_then(|s| s.as_str())
                        .map(str::to_string),
                    modifies: b.get("modifies").and_then(|m| m.as_bool()).unwrap_or(false),
                });
            }
            let binding_index = |name: &str| -> Result<usize, String> {
                bindings
                    .iter()
                    .position(|b| b.name == name)
                    .ok_or_else(|| format!("{id}: unknown binding {name}"))
            };
            let mut alternatives = Vec::new();
            for alt in m
                .get("requires")
                .and_then(|r| r.as_array())
                .ok_or_else(|| err("missing requires".into()))?
            {
                let mut steps = Vec::new();
                for s in alt.as_array().ok_or_else(|| err("bad requires".into()))? {
                    let action = text(s, "action").map_err(err)?;
                    let info = catalog()
                        .lookup(&action)
                        .ok_or_else(|| err(format!("{action} is not in the action catalog")))?;
                    let binding = binding_index(&text(s, "on").map_err(err)?)?;
                    let mut context = Vec::new();
                    if let Some(c) = s.get("context").and_then(|c| c.as_object()) {
                        for (k, v) in c {
                            context.push((k.clone(), strings(Some(v))));
                        }
                    }
                    let mut context_from = Vec::new();
                    if let Some(c) = s.get("context_from").and_then(|c| c.as_object()) {
                        for (k, v) in c {
                            let b = v.as_str().ok_or_else(|| err("bad context_from".into()))?;
                            context_from.push((k.clone(), binding_index(b)?));
                        }
                    }
                    let action_index =
                        match actions.iter().position(|a| a.eq_ignore_ascii_case(&action)) {
                            Some(i) => i,
                            None => {
                                actions.push(action.clone());
                                actions.len() - 1
                            }
                        };
                    steps.push(Step {
                        action,
                        binding,
                        context,
                        context_from,
                        only_star: info.only_star_resource(),
                        unless_denied: s
                            .get("unless_denied")
                            .and_then(|u| u.as_bool())
                            .unwrap_or(false),
                        action_index,
                    });
                }
                if steps.is_empty() {
                    return Err(err("empty alternative".into()));
                }
                alternatives.push(steps);
            }
            if alternatives.is_empty() {
                return Err(err("no alternatives".into()));
            }
            let target = binding_index(&text(m, "target").map_err(err)?)?;
            let description = m.get("description");
            methods.push(Method {
                name: text(m, "name").map_err(err)?,
                gains: text(m, "gains").map_err(err)?,
                severity: text(m, "severity").map_err(err)?,
                attack: text(m, "attack").map_err(err)?,
                references: strings(m.get("references")),
                description_en: description
                    .map(|d| text(d, "en"))
                    .transpose()
                    .map_err(err)?
                    .unwrap_or_default(),
                description_zh: description
                    .map(|d| text(d, "zh"))
                    .transpose()
                    .map_err(err)?
                    .unwrap_or_default(),
                condition_keys: strings(m.get("condition_keys")),
                bindings,
                alternatives,
                target,
                id,
            });
        }
        Ok(PrivescCatalog {
            version: text(&doc, "version")?,
            methods,
            actions,
        })
    }
}

/// How much a role or function is worth reaching, as the caller judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Power {
    #[default]
    Unknown,
    /// Known to grant nothing the assessed principal lacks: not a target.
    Limited,
    Privileged,
    Admin,
}

/// A role the scanned IaC defines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleInfo {
    /// A concrete ARN; roles whose ARN is unknown cannot be targets.
    pub arn: String,
    /// Service principals its trust policy lets assume it
    /// (`lambda.amazonaws.com`).
    pub trusted_services: Vec<String>,
    /// `false` when the trust policy could not be read: the role may or may
    /// not be assumable by a service (escalations through it are
    /// conditional).
    pub trust_known: bool,
    pub power: Power,
}

/// A function the scanned IaC defines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionInfo {
    pub arn: String,
    /// ARN of its execution role, when known.
    pub role: Option<String>,
}

/// What the scanned IaC knows about the account.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    pub roles: Vec<RoleInfo>,
    pub functions: Vec<FunctionInfo>,
    /// ARNs of IAM users, groups and customer managed policies.
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub policies: Vec<String>,
    /// Nothing exists beyond what is listed: no "any role ..." targets.
    pub closed_world: bool,
}

impl Environment {
    fn role(&self, arn: &str) -> Option<&RoleInfo> {
        self.roles.iter().find(|r| r.arn == arn)
    }
}

/// A statement that enables (or may enable) one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Enabling {
    /// Index into the policies given to `assess`.
    pub policy: usize,
    /// The policy's name when the caller gave names.
    pub policy_name: Option<String>,
    pub statement: usize,
    pub sid: Option<String>,
    pub loc: Loc,
    /// `false` when the statement only may apply (conditions, unknowns).
    pub certain: bool,
}

/// One step of an escalation as granted.
#[derive(Debug, Clone, PartialEq)]
pub struct StepGrant {
    pub action: String,
    /// The resource it was judged on: an ARN, a policy's resource pattern
    /// (any resource it covers), or `*`.
    pub resource: String,
    pub decision: Decision,
    /// Allow statements behind the grant (none when the grant comes from
    /// the resource's own policy: see `by_resource_policy`).
    pub statements: Vec<Enabling>,
    /// Granted by the resource's policy as rewritten by an earlier step;
    /// the identity policies merely do not deny it.
    pub by_resource_policy: bool,
}

/// What an escalation reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Resource type key of the target binding (`iam:role`).
    pub resource_type: String,
    /// The specific resource from the environment, if any.
    pub arn: Option<String>,
    /// For a function: its execution role, whose power is gained.
    pub role: Option<String>,
    /// "any role lambda.amazonaws.com can assume", "role arn:...".
    pub description: String,
}

/// One way the assessed principal can escalate.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub method: &'static Method,
    /// `Allowed` or `Conditional`.
    pub strength: Decision,
    /// Why it is conditional: condition keys the context does not know,
    /// or `(unresolved value)`, `(trust policy of ARN)`.
    pub unresolved: Vec<String>,
    /// Index of the alternative of the method that matched.
    pub alternative: usize,
    pub steps: Vec<StepGrant>,
    pub target: Target,
}

/// Which escalation methods the policies (all the identity policies of one
/// principal) enable.
pub fn assess(policies: &[&Policy], ctx: &Context, env: &Environment) -> Vec<Escalation> {
    Assessment::new(policies, &[], None, &[], ctx, env).run()
}

/// Like `assess`, naming the policies (`names[i]` for `policies[i]`) and
/// the principal itself (its own role or function's role is never a target).
pub fn assess_as(
    policies: &[&Policy],
    names: &[&str],
    principal: Option<&str>,
    ctx: &Context,
    env: &Environment,
) -> Vec<Escalation> {
    Assessment::new(policies, names, principal, &[], ctx, env).run()
}

/// Like `assess_as` for an IAM user, with the ARNs of the groups it
/// belongs to: joining them gains it nothing (changing their policies
/// does, as for its own user).
pub fn assess_as_member(
    policies: &[&Policy],
    names: &[&str],
    user: &str,
    groups: &[&str],
    ctx: &Context,
    env: &Environment,
) -> Vec<Escalation> {
    Assessment::new(policies, names, Some(user), groups, ctx, env).run()
}

/// A resource a binding may take, with what is known about it.
#[derive(Debug, Clone)]
struct Candidate {
    /// An ARN from the environment, a policy's resource pattern, or `*`.
    resource: String,
    /// Why the candidate itself is uncertain (a role whose trust policy is
    /// unknown): the escalation is at best conditional.
    doubt: Option<String>,
    /// For a function: its execution role.
    role: Option<String>,
}

struct Assessment<'a> {
    policies: &'a [&'a Policy],
    names: &'a [&'a str],
    principal: Option<&'a str>,
    /// Groups the principal belongs to: like the principal itself, targets
    /// only of methods that change them.
    member_of: &'a [&'a str],
    ctx: &'a Context,
    env: &'a Environment,
    /// Per distinct catalog step action: may any statement allow it?
    possible: Vec<bool>,
}

/// Ranking used to keep the best of several candidates.
fn rank(d: Decision) -> u8 {
    match d {
        Decision::Allowed => 2,
        Decision::Conditional => 1,
        Decision::Denied | Decision::NotAllowed => 0,
    }
}

fn weakest(a: Decision, b: Decision) -> Decision {
    if rank(a) <= rank(b) {
        a
    } else {
        b
    }
}

/// Granted steps of one binding: (step index, grant, unresolved keys).
type Grants = Vec<(usize, StepGrant, Vec<String>)>;

/// The candidate chosen for each binding of an alternative, with its grants.
type Chosen = HashMap<usize, (Candidate, Grants)>;

/// Outcome of one alternative under one assignment of the target.
struct AltResult {
    strength: Decision,
    steps: Vec<StepGrant>,
    unresolved: Vec<String>,
}

impl<'a> Assessment<'a> {
    fn new(
        policies: &'a [&'a Policy],
        names: &'a [&'a str],
        principal: Option<&'a str>,
        member_of: &'a [&'a str],
        ctx: &'a Context,
        env: &'a Environment,
    ) -> Self {
        let cat = methods();
        let any_unknown = policies.iter().any(|p| p.unknown);
        // Cheap prefilter: an action no Allow statement can match makes
        // every step on it, and so its alternatives, impossible.
        let possible = cat
            .actions
            .iter()
            .map(|action| {
                any_unknown
                    || policies.iter().any(|p| {
                        p.statements.iter().any(|s| {
                            s.effect != Effect::Deny && may_match_action(&s.actions, action)
                        })
                    })
            })
            .collect();
        Assessment {
            policies,
            names,
            principal,
            member_of,
            ctx,
            env,
            possible,
        }
    }

    fn run(&self) -> Vec<Escalation> {
        let mut out = Vec::new();
        for method in &methods().methods {
            let alts: Vec<usize> = (0..method.alternatives.len())
                .filter(|&i| {
                    method.alternatives[i]
                        .iter()
                        .all(|s| s.unless_denied || self.possible[s.action_index])
                })
                .collect();
            if alts.is_empty() {
                continue;
            }
            self.assess_method(method, &alts, &mut out);
        }
        out
    }

    fn assess_method(&self, method: &'static Method, alts: &[usize], out: &mut Vec<Escalation>) {
        let target = &method.bindings[method.target];
        // Bindings other than the target do not depend on which target is
        // tried: decide them once per alternative.
        let mut plans: Vec<(usize, Decision, Chosen)> = Vec::new();
        for &ai in alts {
            let mut used: Vec<usize> = method.alternatives[ai]
                .iter()
                .map(|s| s.binding)
                .filter(|&b| b != method.target)
                .collect();
            used.sort_unstable();
            used.dedup();
            let mut chosen = Chosen::new();
            let mut strength = Decision::Allowed;
            let mut possible = true;
            for b in used {
                let (mut cands, generic) = self.candidates(method, b);
                cands.extend(generic);
                match self.bind(method, ai, b, &cands, &chosen) {
                    Some((d, cand, grants)) => {
                        strength = weakest(strength, d);
                        chosen.insert(b, (cand, grants));
                    }
                    None => {
                        possible = false;
                        break;
                    }
                }
            }
            if possible {
                plans.push((ai, strength, chosen));
            }
        }
        if plans.is_empty() {
            return;
        }
        let (specific, generic) = self.candidates(method, method.target);
        let mut found_specific = false;
        for cand in specific {
            if let Some((alt, res)) = self.best_plan(method, &plans, std::slice::from_ref(&cand)) {
                found_specific = true;
                out.push(self.escalation(method, alt, res, target, Some(&cand)));
            }
        }
        if found_specific || generic.is_empty() {
            return;
        }
        if let Some((alt, res)) = self.best_plan(method, &plans, &generic) {
            out.push(self.escalation(method, alt, res, target, None));
        }
    }

    fn escalation(
        &self,
        method: &'static Method,
        alternative: usize,
        res: AltResult,
        binding: &Binding,
        cand: Option<&Candidate>,
    ) -> Escalation {
        let description = match cand {
            Some(c) => match (&c.role, &binding.assumable_by) {
                (Some(role), _) => format!("{} (execution role {role})", c.resource),
                (None, Some(service)) => format!("{} (assumable by {service})", c.resource),
                (None, None) => c.resource.clone(),
            },
            None => {
                let noun = binding
                    .resource_type
                    .split_once(':')
                    .map_or(binding.resource_type.as_str(), |(_, t)| t);
                let scope = res
                    .steps
                    .iter()
                    .find(|s| {
                        s.resource != "*"
                            && method.alternatives[alternative]
                                .iter()
                                .any(|st| st.action == s.action && st.binding == method.target)
                    })
                    .map(|s| format!(" matching {}", s.resource))
                    .unwrap_or_default();
                match &binding.assumable_by {
                    Some(service) => format!("any {noun} {service} can assume{scope}"),
                    None if binding.new => format!("a new {noun}{scope}"),
                    None => format!("any existing {noun}{scope}"),
                }
            }
        };
        Escalation {
            method,
            strength: res.strength,
            unresolved: res.unresolved,
            alternative,
            steps: res.steps,
            target: Target {
                resource_type: binding.resource_type.clone(),
                arn: cand.map(|c| c.resource.clone()),
                role: cand.and_then(|c| c.role.clone()),
                description,
            },
        }
    }

    /// The best alternative (with its other bindings already decided) once
    /// the target binding is limited to `target`.
    fn best_plan(
        &self,
        method: &Method,
        plans: &[(usize, Decision, Chosen)],
        target: &[Candidate],
    ) -> Option<(usize, AltResult)> {
        let mut best: Option<(usize, AltResult)> = None;
        for (ai, strength, chosen) in plans {
            let Some((d, cand, grants)) = self.bind(method, *ai, method.target, target, chosen)
            else {
                continue;
            };
            let strength = weakest(*strength, d);
            if best
                .as_ref()
                .is_some_and(|(_, b)| rank(strength) <= rank(b.strength))
            {
                continue;
            }
            let mut chosen = chosen.clone();
            chosen.insert(method.target, (cand, grants));
            best = Some((*ai, result(strength, chosen)));
            if strength == Decision::Allowed {
                break;
            }
        }
        best
    }

    /// The best candidate for binding `b` of alternative `ai`: the one on
    /// which every step acting on `b` is granted most surely.
    fn bind(
        &self,
        method: &Method,
        ai: usize,
        b: usize,
        candidates: &[Candidate],
        chosen: &Chosen,
    ) -> Option<(Decision, Candidate, Grants)> {
        let steps = &method.alternatives[ai];
        let mut best: Option<(Decision, Candidate, Grants)> = None;
        for cand in candidates {
            let mut d = if cand.doubt.is_some() {
                Decision::Conditional
            } else {
                Decision::Allowed
            };
            let mut grants = Vec::new();
            for (si, step) in steps.iter().enumerate().filter(|(_, s)| s.binding == b) {
                let resource = if step.only_star {
                    "*"
                } else {
                    cand.resource.as_str()
                };
                let ctx = self.step_context(step, cand, chosen);
                let mut eval = Evaluator::new(self.policies, resource, &ctx).explain(&step.action);
                if step.unless_denied {
                    eval.decision = self.unless_denied(&eval);
                }
                d = weakest(d, eval.decision);
                if !eval.decision.is_granted() {
                    break;
                }
                let unresolved = self.unresolved(&eval, &ctx);
                grants.push((si, self.grant(step, resource, &eval), unresolved));
            }
            if d.is_granted() && best.as_ref().is_none_or(|(bd, _, _)| rank(d) > rank(*bd)) {
                let done = d == Decision::Allowed;
                best = Some((d, cand.clone(), grants));
                if done {
                    break;
                }
            }
        }
        best
    }

    /// The caller's context plus the keys AWS sets for this step (borrowed
    /// when the step adds none: most steps, and cloning is the main cost).
    fn step_context(&self, step: &Step, cand: &Candidate, chosen: &Chosen) -> Cow<'a, Context> {
        if step.context.is_empty() && step.context_from.is_empty() {
            return Cow::Borrowed(self.ctx);
        }
        let mut ctx = self.ctx.clone();
        for (key, values) in &step.context {
            ctx.set(key, values.clone());
        }
        for (key, b) in &step.context_from {
            let arn = if *b == step.binding {
                Some(&cand.resource)
            } else {
                chosen.get(b).map(|(c, _)| &c.resource)
            };
            // A pattern is not a value the request would carry.
            if let Some(arn) = arn.filter(|a| !a.contains(['*', '?'])) {
                ctx.set(key, vec![arn.clone()]);
            }
        }
        Cow::Owned(ctx)
    }

    /// The decision for a step the resource's own policy grants: only an
    /// explicit Deny (certain or possible) stands in its way.
    fn unless_denied(&self, eval: &Evaluation) -> Decision {
        if eval.decision == Decision::Denied {
            return Decision::Denied;
        }
        let may_deny = self.policies.iter().any(|p| p.unknown)
            || eval.matches.iter().any(|m| m.effect != Effect::Allow);
        if may_deny {
            Decision::Conditional
        } else {
            Decision::Allowed
        }
    }

    fn grant(&self, step: &Step, resource: &str, eval: &Evaluation) -> StepGrant {
        StepGrant {
            action: step.action.clone(),
            resource: resource.to_string(),
            decision: eval.decision,
            by_resource_policy: step.unless_denied,
            statements: eval
                .allows()
                .map(|m| {
                    let stmt = &self.policies[m.policy].statements[m.statement];
                    Enabling {
                        policy: m.policy,
                        policy_name: self.names.get(m.policy).map(|n| n.to_string()),
                        statement: m.statement,
                        sid: stmt.sid.clone(),
                        loc: stmt.loc,
                        certain: m.certain,
                    }
                })
                .collect(),
        }
    }

    /// The condition keys (or unknown values) that keep a step conditional.
    fn unresolved(&self, eval: &Evaluation, ctx: &Context) -> Vec<String> {
        let mut keys = Vec::new();
        if eval.decision != Decision::Conditional {
            return keys;
        }
        if self.policies.iter().any(|p| p.unknown) {
            keys.push("(unreadable policy)".to_string());
        }
        for m in eval.matches.iter().filter(|m| !m.certain) {
            let stmt = &self.policies[m.policy].statements[m.statement];
            let before = keys.len();
            for clause in &stmt.conditions {
                if ctx.get(&clause.key) == KeyState::Unknown {
                    keys.push(clause.key.clone());
                }
            }
            if stmt.condition_unknown {
                keys.push("(unresolved Condition)".to_string());
            }
            if keys.len() == before {
                keys.push("(unresolved value)".to_string());
            }
        }
        keys
    }

    /// Resources binding `b` may take: those of the environment, and (in
    /// an open world) the patterns of the policies themselves.
    fn candidates(&self, method: &Method, b: usize) -> (Vec<Candidate>, Vec<Candidate>) {
        let binding = &method.bindings[b];
        let env = self.env;
        let is_self = |arn: &str| self.principal == Some(arn);
        let mut specific = Vec::new();
        if !binding.new {
            match binding.resource_type.as_str() {
                "iam:role" => {
                    for role in &env.roles {
                        // Borrowing a weak role, or one's own, gains nothing.
                        if !binding.modifies && (role.power == Power::Limited || is_self(&role.arn))
                        {
                            continue;
                        }
                        let mut doubt = None;
                        if let Some(service) = &binding.assumable_by {
                            let trusted = role
                                .trusted_services
                                .iter()
                                .any(|s| s.eq_ignore_ascii_case(service));
                            if !trusted {
                                if role.trust_known {
                                    continue;
                                }
                                doubt = Some(format!("(trust policy of {})", role.arn));
                            }
                        }
                        specific.push(Candidate {
                            resource: role.arn.clone(),
                            doubt,
                            role: None,
                        });
                    }
                }
                "lambda:function" => {
                    for f in &env.functions {
                        if let Some(role) = &f.role {
                            if is_self(role)
                                || env.role(role).is_some_and(|r| r.power == Power::Limited)
                            {
                                continue;
                            }
                        }
                        specific.push(Candidate {
                            resource: f.arn.clone(),
                            doubt: None,
                            role: f.role.clone(),
                        });
                    }
                }
                kind => {
                    let list: &[String] = match kind {
                        "iam:user" => &env.users,
                        "iam:group" => &env.groups,
                        "iam:policy" => &env.policies,
                        _ => &[],
                    };
                    for arn in list {
                        // Borrowing one's own user's or group's rights gains
                        // nothing; changing them does.
                        if !binding.modifies
                            && (is_self(arn) || self.member_of.contains(&arn.as_str()))
                        {
                            continue;
                        }
                        specific.push(Candidate {
                            resource: arn.clone(),
                            doubt: None,
                            role: None,
                        });
                    }
                }
            }
        }
        specific.retain(|c| !c.resource.contains(['*', '?']));
        let mut generic = Vec::new();
        if binding.new || !env.closed_world {
            let actions: Vec<&str> = method
                .alternatives
                .iter()
                .flatten()
                .filter(|s| s.binding == b)
                .map(|s| s.action.as_str())
                .collect();
            for w in self.witnesses(&actions, binding) {
                generic.push(Candidate {
                    resource: w,
                    doubt: None,
                    role: None,
                });
            }
        }
        (specific, generic)
    }

    /// `*` plus the resource patterns of the statements that may apply to
    /// the binding's actions, when they can name a resource of its type
    /// (and, for an existing resource, cover the whole type).
    fn witnesses(&self, actions: &[&str], binding: &Binding) -> Vec<String> {
        let mut out = vec!["*".to_string()];
        let type_parts = arn_parts(&binding.type_pattern);
        for policy in self.policies {
            for stmt in &policy.statements {
                let vals: &[Val] = match (&stmt.resources, stmt.effect) {
                    (ResourceSet::Resource(v), Effect::Allow | Effect::Unknown) => v,
                    // A Deny's NotResource names where the Deny does not reach.
                    (ResourceSet::NotResource(v), Effect::Deny) => v,
                    _ => continue,
                };
                if !actions.iter().any(|a| may_match_action(&stmt.actions, a)) {
                    continue;
                }
                for v in vals {
                    let Some(p) = v.as_str() else { continue };
                    if p == "*" || out.iter().any(|o| o == p) {
                        continue;
                    }
                    if let Some(t) = type_parts {
                        if fits_type(p, &t, !binding.new) {
                            out.push(p.to_string());
                        }
                    }
                }
            }
        }
        out
    }
}

/// Steps in catalog order and the reasons for doubt, from the chosen
/// candidates.
fn result(strength: Decision, chosen: Chosen) -> AltResult {
    let mut all: Grants = Vec::new();
    let mut unresolved = Vec::new();
    for (cand, grants) in chosen.into_values() {
        if let Some(doubt) = cand.doubt {
            unresolved.push(doubt);
        }
        all.extend(grants);
    }
    all.sort_by_key(|(si, _, _)| *si);
    let steps = all
        .into_iter()
        .map(|(_, g, u)| {
            unresolved.extend(u);
            g
        })
        .collect();
    unresolved.sort();
    unresolved.dedup();
    AltResult {
        strength,
        steps,
        unresolved,
    }
}

fn may_match_action(actions: &ActionSet, action: &str) -> bool {
    match actions {
        ActionSet::Action(vals) => vals
            .iter()
            .any(|v| v.as_str().is_none_or(|p| action_matches(p, action))),
        ActionSet::NotAction(vals) => !vals
            .iter()
            .any(|v| v.as_str().is_some_and(|p| action_matches(p, action))),
        ActionSet::Absent => false,
    }
}

/// Can resource pattern `p` name a resource of the type whose ARN parts
/// are `t`? With `whole`, it must also cover every resource of the type
/// (`*`, `role/*`), not a named subset.
fn fits_type(p: &str, t: &[&str; 6], whole: bool) -> bool {
    let Some(parts) = arn_parts(p) else {
        return false;
    };
    // Compare the literal text before the first wildcard of each part.
    let literal = |s: &str| -> String {
        s.split(['*', '?'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let compatible = |a: &str, b: &str| {
        let (a, b) = (literal(a), literal(b));
        a.starts_with(&b) || b.starts_with(&a)
    };
    // Service and resource parts decide the type; partition, region and
    // account are the caller's business.
    if !compatible(parts[2], t[2]) || !compatible(parts[5], t[5]) {
        return false;
    }
    if !whole {
        return true;
    }
    let prefix = literal(t[5]);
    let rest = parts[5]
        .get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(&prefix))
        .map_or(parts[5], |_| &parts[5][prefix.len()..]);
    !rest.is_empty() && rest.bytes().all(|c| c == b'*')
}

/// The statement behind a grant, for callers that print it.
pub fn statement<'p>(policies: &[&'p Policy], e: &Enabling) -> Option<&'p Statement> {
    policies.get(e.policy)?.statements.get(e.statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalog_parses_and_is_complete() {
        let cat = methods();
        assert!(cat.methods.len() >= 20, "{}", cat.methods.len());
        let mut ids: Vec<&str> = cat.methods.iter().map(|m| m.id.as_str()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate method ids");
        for m in &cat.methods {
            assert!(
                !m.description_en.is_empty() && !m.description_zh.is_empty(),
                "{}",
                m.id
            );
            assert!(!m.references.is_empty(), "{}", m.id);
            assert!(m.attack.starts_with('T'), "{}", m.id);
            assert!(
                ["critical", "high", "medium"].contains(&m.severity.as_str()),
                "{}",
                m.id
            );
            for step in m.alternatives.iter().flatten() {
                // PassRole steps always say to which service.
                if step.action == "iam:PassRole" {
                    let b = &m.bindings[step.binding];
                    let service = b.assumable_by.as_deref().unwrap();
                    assert!(step
                        .context
                        .iter()
                        .any(|(k, v)| k == "iam:PassedToService" && v == &[service]));
                }
            }
        }
        for id in [
            "lambda-passrole-createfunction-invoke",
            "lambda-passrole-createfunction-eventsource",
            "lambda-passrole-createfunction-eventsource-newtable",
            "lambda-passrole-createfunction-addpermission",
            "lambda-updatefunctioncode",
            "lambda-updatefunctioncode-invoke",
            "lambda-updatefunctioncode-addpermission",
            "lambda-updatefunctionconfiguration-passrole",
            "lambda-updatefunctionconfiguration-layer",
        ] {
            assert!(cat.method(id).is_some(), "{id}");
        }
    }

    #[test]
    fn catalog_errors_name_the_method() {
        let bad = r#"{"version":"x","resource_types":{"iam:role":"arn:*:iam::*:role/*"},
            "methods":[{"id":"m1","name":"n","gains":"g","severity":"high","attack":"T1",
            "resources":{"r":{"type":"iam:role"}},"target":"r",
            "requires":[[{"action":"iam:NoSuchAction","on":"r"}]]}]}"#;
        let err = PrivescCatalog::parse(bad).unwrap_err();
        assert!(
            err.contains("m1") && err.contains("iam:NoSuchAction"),
            "{err}"
        );
    }

    #[test]
    fn type_fitting() {
        let t = arn_parts("arn:*:iam::*:role/*").unwrap();
        assert!(fits_type("arn:aws:iam::1:role/*", &t, true));
        assert!(fits_type("arn:aws:iam::1:*", &t, true));
        assert!(!fits_type("arn:aws:iam::1:role/app-*", &t, true));
        assert!(fits_type("arn:aws:iam::1:role/app-*", &t, false));
        assert!(!fits_type("arn:aws:iam::1:user/*", &t, false));
        assert!(!fits_type("arn:aws:s3:::bucket/*", &t, false));
        assert!(fits_type("arn:aws:*:*:*:*", &t, true));
    }
}
