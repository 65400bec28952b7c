//! Checks of area `IAM`: what a function's execution role may do
//! (FG-IAM-001..004, 006), who may assume it (005), and roles shared by
//! several functions (007).
//!
//! Every grant is judged with all the role's policies evaluated together
//! (inline, customer managed, SAM policy templates, Serverless statements)
//! by `fnguard_iam`'s evaluator: an explicit Deny wins, `NotAction` and
//! `NotResource` are honoured, and a grant that depends on a condition or an
//! unknown value is "conditional": still reported, one severity lower, and
//! said so in the message. Roles referenced but not declared in the scanned
//! files are not judged. AWS managed and external policies attached by ARN
//! are judged by name only (FG-IAM-004); their content is not visible here.
//!
//! Every IAM finding is about a role (resource = the role's id), once per
//! role however many functions use it; the functions appear in the message
//! and as related locations.

mod rules;

use crate::{Ctx, Raw};
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Field, Loc, RuleMeta, Severity, Text};
use fnguard_iam::catalog::{catalog, AccessLevel, ActionInfo};
use fnguard_iam::managed::{self, Privilege};
use fnguard_iam::trust::{assume_grants, AssumeGrant, Assumer};
use fnguard_iam::wildcard::{action_matches, arn_matches, arn_parts};
use fnguard_iam::{
    ActionSet, Context, Decision, Effect, Evaluator, Policy, ResourceSet, Statement, Val,
};
use fnguard_model::{AttachedPolicy, Function, Ignore, Ref, Role, SELF_ACCOUNT};
use std::cell::Cell;

pub static RULES: &[RuleMeta] = &[
    rules::ADMIN,
    rules::SERVICE_WILDCARD,
    rules::WRITE_ON_ANY_RESOURCE,
    rules::PRIVILEGED_MANAGED_POLICY,
    rules::TRUST,
    rules::PASS_ROLE,
    rules::SHARED_ROLE,
];

/// Write actions every Lambda function may hold on `*` without it being a
/// finding: AWS's own AWSLambdaBasicExecutionRole and
/// AWSLambdaVPCAccessExecutionRole (and SAM's VPCAccessPolicy template)
/// grant them so, and they cannot reach data.
const LAMBDA_ESSENTIALS: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DetachNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
];

/// Principals that are supposed to assume an execution role.
const LAMBDA_SERVICES: &[&str] = &[
    "lambda.amazonaws.com",
    "edgelambda.amazonaws.com",
    "lambda.amazonaws.com.cn",
];

/// How many actions a list in a message shows before "and N more".
const SHOWN: usize = 5;
/// How many actions FG-IAM-003's evidence lists.
const EVIDENCE_ACTIONS: usize = 50;

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    let dep = ctx.dep;
    // The first role of an id wins, as in `Deployment::role`.
    let mut roles: HashMap<&str, &Role> =
        HashMap::with_capacity_and_hasher(dep.roles.len(), Default::default());
    for role in &dep.roles {
        roles.entry(role.id.as_str()).or_insert(role);
    }
    // Functions per declared role, roles in order of first use.
    let mut order: Vec<&Role> = Vec::new();
    let mut users: HashMap<&str, Vec<(&Function, Loc)>> = HashMap::default();
    // Roles the functions name but the files do not declare (an ARN, an
    // undeclared id): their policies are unknown, but sharing one is not.
    let mut outside_order: Vec<&str> = Vec::new();
    let mut outside_users: HashMap<&str, Vec<(&Function, Loc)>> = HashMap::default();
    for function in &dep.functions {
        let (name, loc) = match &function.role {
            Field::Known(Ref::Local(id), loc) => match roles.get(id.as_str()) {
                Some(role) => {
                    let entry = users.entry(role.id.as_str()).or_insert_with(|| {
                        order.push(role);
                        Vec::new()
                    });
                    entry.push((function, *loc));
                    continue;
                }
                None => (id.as_str(), *loc),
            },
            Field::Known(Ref::External(arn), loc) if is_concrete_role(arn) => (arn.trim(), *loc),
            _ => continue,
        };
        outside_users
            .entry(name)
            .or_insert_with(|| {
                outside_order.push(name);
                Vec::new()
            })
            .push((function, loc));
    }
    for name in outside_order {
        let functions = outside_users.get(name).map(Vec::as_slice).unwrap_or(&[]);
        if functions.len() >= 2 {
            let ignores = common_ignores(Vec::new(), functions);
            check_shared_outside(ctx, name, functions, &ignores, out);
        }
    }
    for role in order {
        let functions = users
            .get(role.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let ignores = role_ignores(role, functions);
        for issue in RoleAnalysis::new(role).run() {
            out.push(role_raw(ctx, role, functions, &ignores, &issue));
        }
        check_trust(ctx, role, functions, &ignores, out);
        if functions.len() >= 2 {
            check_shared(ctx, role, functions, &ignores, out);
        }
    }
}

/// Something wrong with what a role may do. It is reported once per role,
/// not once per function using it: the fix is one edit of the role's
/// policy, and a role shared by many functions would otherwise repeat the
/// same finding on the same line (the sharing itself is FG-IAM-007's).
struct Issue {
    rule: &'static RuleMeta,
    severity: Severity,
    loc: Loc,
    discriminator: String,
    en: String,
    zh: String,
    evidence: Option<String>,
}

/// The ignores that apply to a role's permission findings: the role's own,
/// and those every function using it carries (SAM and Serverless copy a
/// function's `Metadata.fnguard` to the role they generate; an ignore on
/// only some of the functions does not hide the risk for the others).
fn role_ignores(role: &Role, functions: &[(&Function, Loc)]) -> Vec<Ignore> {
    common_ignores(role.ignores.clone(), functions)
}

/// `base` plus the ignores every one of `functions` carries.
fn common_ignores(base: Vec<Ignore>, functions: &[(&Function, Loc)]) -> Vec<Ignore> {
    let names = |f: &Function, rule: &str| {
        f.ignores
            .iter()
            .any(|i| i.rule_id == "*" || i.rule_id.eq_ignore_ascii_case(rule))
    };
    let mut ignores = base;
    if let Some(((first, _), rest)) = functions.split_first() {
        ignores.extend(
            first
                .ignores
                .iter()
                .filter(|i| rest.iter().all(|(f, _)| names(f, &i.rule_id)))
                .cloned(),
        );
    }
    ignores
}

fn role_raw(
    ctx: &Ctx,
    role: &Role,
    functions: &[(&Function, Loc)],
    ignores: &[Ignore],
    issue: &Issue,
) -> Raw {
    let message = ctx.text(
        || {
            format!(
                "Execution role `{}` (used by {}) {}",
                role.id,
                function_names(functions),
                issue.en
            )
        },
        || {
            format!(
                "执行角色 `{}`（被 {} 使用）{}",
                role.id,
                function_names(functions),
                issue.zh
            )
        },
    );
    let mut finding = ctx
        .finding(
            issue.rule,
            &role.id,
            issue.loc,
            message,
            &issue.discriminator,
        )
        .with_severity(issue.severity);
    if let Some(evidence) = &issue.evidence {
        finding = finding.with_evidence(evidence.clone());
    }
    for (function, role_loc) in functions {
        finding = finding.with_related(
            ctx.src(*role_loc),
            ctx.text(
                || ["function `", &function.id, "` runs with this role"].concat(),
                || ["函数 `", &function.id, "` 以该角色运行"].concat(),
            ),
        );
    }
    Raw {
        finding,
        element_loc: role.loc,
        element_ignores: ignores.to_vec(),
    }
}

/// One step less severe (the counterpart of `Severity::raised`).
fn lowered(severity: Severity) -> Severity {
    match severity {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

const CONDITIONAL_EN: &str = " The grant holds only under conditions fnguard cannot evaluate (Condition blocks, unresolved values, or Deny statements that may apply), so the severity is one level lower.";
const CONDITIONAL_ZH: &str = "该授权仅在 fnguard 无法判断的条件下成立（Condition 块、未解析的值或可能生效的 Deny 语句），因此严重级别降低一级。";

/// Every action pattern: `*`, `*:*`, `**`.
fn is_star(pattern: &str) -> bool {
    !pattern.is_empty() && (pattern.bytes().all(|b| b == b'*') || pattern == "*:*")
}

/// `s3:*` → `s3` (a service prefix without wildcards, every action of it).
fn service_wide(pattern: &str) -> Option<&str> {
    let (service, action) = pattern.split_once(':')?;
    (!service.is_empty()
        && !service.contains(['*', '?'])
        && !action.is_empty()
        && action.bytes().all(|b| b == b'*'))
    .then_some(service)
}

/// Does the statement's resource element reach every resource?
fn covers_every_resource(stmt: &Statement) -> bool {
    match &stmt.resources {
        ResourceSet::Resource(vals) => vals.iter().any(|v| v.as_str() == Some("*")),
        ResourceSet::NotResource(vals) => !vals
            .iter()
            .any(|v| v.as_str().is_some_and(|p| arn_matches(p, "*"))),
        ResourceSet::Absent => false,
    }
}

fn resource_en(resource: &str) -> String {
    if resource == "*" {
        "every resource (`*`)".to_string()
    } else {
        format!("`{resource}`")
    }
}

fn resource_zh(resource: &str) -> String {
    if resource == "*" {
        "所有资源（`*`）".to_string()
    } else {
        format!(" `{resource}` ")
    }
}

/// Merge the per-function findings a check appended to `out` since `from`
/// that share a rule and a source position: one line of SAM `Globals` or
/// Serverless `provider` settings (an environment variable, the runtime,
/// the log format) applies to every function, and is one problem with one
/// fix. The first function's finding is kept (its fingerprint stays stable
/// when functions are added), names the others and relates their
/// declarations; it keeps the highest severity and only the element
/// ignores every merged function carries.
pub(crate) fn merge_same_source(ctx: &Ctx, out: &mut Vec<Raw>, from: usize) {
    let tail = out.split_off(from.min(out.len()));
    let mut merged: Vec<(Raw, Vec<(String, Loc)>)> = Vec::with_capacity(tail.len());
    // The key leaves the path out, so no path is copied per finding: the
    // first findings of one rule at one line and column are chained
    // (`next_same_key`, nearly always one) and their paths compared.
    let mut by_source: HashMap<(&str, u32, u32), usize> =
        HashMap::with_capacity_and_hasher(tail.len(), Default::default());
    let mut next_same_key: Vec<Option<usize>> = Vec::with_capacity(tail.len());
    for raw in tail {
        let f = &raw.finding;
        let key = (f.rule_id, f.location.line, f.location.col);
        let mut first = by_source.get(&key).copied();
        while let Some(i) = first {
            if merged[i].0.finding.location.path == f.location.path {
                break;
            }
            first = next_same_key[i];
        }
        match first {
            Some(i) if merged[i].0.finding.resource != raw.finding.resource => {
                let (first, others) = &mut merged[i];
                first.finding.severity = first.finding.severity.max(raw.finding.severity);
                first.element_ignores.retain(|kept| {
                    raw.element_ignores.iter().any(|other| {
                        other.rule_id == "*" || other.rule_id.eq_ignore_ascii_case(&kept.rule_id)
                    })
                });
                if !others.iter().any(|(id, _)| *id == raw.finding.resource) {
                    others.push((raw.finding.resource, raw.element_loc));
                }
            }
            // The first finding at a position stays the one others join.
            Some(_) => {
                next_same_key.push(None);
                merged.push((raw, Vec::new()));
            }
            None => {
                let index = merged.len();
                next_same_key.push(by_source.insert(key, index));
                merged.push((raw, Vec::new()));
            }
        }
    }
    for (mut raw, others) in merged {
        if !others.is_empty() {
            // Element-level inline ignores of the first function alone must
            // not hide the others' finding: only comments on the shared
            // line itself apply, as only ignores all functions carry do.
            if let Some(file) = ctx
                .dep
                .files
                .iter()
                .position(|f| *f == raw.finding.location.path)
            {
                raw.element_loc = Loc::new(
                    file as u32,
                    raw.finding.location.line,
                    raw.finding.location.col,
                );
            }
            let names: Vec<&str> = others.iter().map(|(id, _)| id.as_str()).collect();
            let list = list_names(&names);
            let finding = &mut raw.finding;
            finding.message.en.push_str(&format!(
                " The same setting applies to {} more function(s): {list}.",
                others.len()
            ));
            finding.message.zh.push_str(&format!(
                "同一设置还作用于另外 {} 个函数：{list}。",
                others.len()
            ));
            for (id, loc) in &others {
                finding.related.push(fnguard_core::Related {
                    location: ctx.src(*loc),
                    message: ctx.text(
                        || format!("function `{id}` gets the same setting"),
                        || format!("函数 `{id}` 使用同一设置"),
                    ),
                });
            }
        }
        out.push(raw);
    }
}

/// Functions that run as Lambda@Edge: their declared execution role's
/// trust policy names `edgelambda.amazonaws.com`, which CloudFront requires.
/// Lambda@Edge supports no VPC, dead-letter queue, reserved concurrency or
/// X-Ray, so checks asking for those skip these functions.
pub(crate) fn edge_functions(dep: &fnguard_model::Deployment) -> HashSet<&str> {
    let edge_roles: HashSet<&str> = dep
        .roles
        .iter()
        .filter(|role| {
            role.trust.as_ref().is_some_and(|trust| {
                trust.statements.iter().any(|stmt| {
                    stmt.effect == Effect::Allow
                        && matches!(&stmt.principals, fnguard_iam::PrincipalSet::Principal(entries)
                        if entries.iter().any(|e| {
                            e.kind.eq_ignore_ascii_case("Service")
                                && e.value.as_str().is_some_and(|v| {
                                    v.trim().eq_ignore_ascii_case("edgelambda.amazonaws.com")
                                })
                        }))
                })
            })
        })
        .map(|role| role.id.as_str())
        .collect();
    if edge_roles.is_empty() {
        return HashSet::default();
    }
    dep.functions
        .iter()
        .filter(|f| matches!(&f.role, Field::Known(Ref::Local(id), _) if edge_roles.contains(id.as_str())))
        .map(|f| f.id.as_str())
        .collect()
}

/// Names in backticks, at most `SHOWN` of them, then the count of the rest.
pub(crate) fn list_names(names: &[&str]) -> String {
    let shown = &names[..names.len().min(SHOWN)];
    // One allocation, sized up front: this runs for most role findings.
    let mut text = String::with_capacity(shown.iter().map(|n| n.len() + 4).sum::<usize>() + 8);
    for (i, name) in shown.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push('`');
        text.push_str(name);
        text.push('`');
    }
    if names.len() > SHOWN {
        text.push_str(" (+");
        text.push_str(&(names.len() - SHOWN).to_string());
        text.push(')');
    }
    text
}

/// FG-IAM-003's findings of one statement: (statement, action values,
/// first value's location, actions allowed, actions allowed under
/// conditions).
type StatementWrites<'c> = (
    usize,
    Vec<String>,
    Loc,
    Vec<&'c ActionInfo>,
    Vec<&'c ActionInfo>,
);

/// A resource a wildcard grant is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe<'a> {
    Known(&'a str),
    /// A resource value the files do not determine (a computed ARN).
    Unresolved,
}

/// A statement of one of the role's policies.
struct StmtRef<'a> {
    policy: usize,
    index: usize,
    attached: &'a AttachedPolicy,
    stmt: &'a Statement,
    /// No other policy of the role has this policy's name.
    unique_name: bool,
    /// No other statement of the policy has this statement's Sid.
    unique_sid: bool,
}

impl StmtRef<'_> {
    fn label_en(&self) -> String {
        let policy = match self.attached.name.as_str() {
            "" => "an unnamed policy".to_string(),
            name => format!("policy `{name}`"),
        };
        match &self.stmt.sid {
            Some(sid) => format!("statement `{sid}` of {policy}"),
            None => format!("statement {} of {policy}", self.index + 1),
        }
    }

    fn label_zh(&self) -> String {
        let policy = match self.attached.name.as_str() {
            "" => "未命名策略".to_string(),
            name => format!("策略 `{name}`"),
        };
        match &self.stmt.sid {
            Some(sid) => format!("{policy} 的语句 `{sid}`"),
            None => format!("{policy} 的第 {} 条语句", self.index + 1),
        }
    }

    /// Stable across edits elsewhere in the file: policy name and Sid (or
    /// position when there is no Sid).
    /// Unnamed or same-named policies (and repeated Sids) fall back to
    /// positions, so two statements never share a key.
    fn key(&self) -> String {
        let policy = if self.unique_name && !self.attached.name.is_empty() {
            self.attached.name.clone()
        } else {
            format!("{}@{}", self.attached.name, self.policy)
        };
        match &self.stmt.sid {
            Some(sid) if self.unique_sid => format!("{policy}#{sid}"),
            _ => format!("{policy}#{}", self.index),
        }
    }
}

/// What one role's identity policies allow, worked out once per role and
/// reported for each function that uses it.
struct RoleAnalysis<'a> {
    role: &'a Role,
    policies: Vec<&'a Policy>,
    statements: Vec<StmtRef<'a>>,
    ctx: Context,
    /// A permissions boundary fnguard cannot read limits the role.
    boundary: Option<String>,
    /// Decides requests on "every resource" (`*`).
    on_any: Evaluator<'a>,
    /// (policy, statement, value) already reported by FG-IAM-001/002; the
    /// value index is `usize::MAX` for a whole `NotAction` statement.
    reported: HashSet<(usize, usize, usize)>,
    issues: Vec<Issue>,
    /// Work left for this role, in statement-match units. A deployable role
    /// has at most a few hundred statements (AWS caps policy sizes), so only
    /// hostile input ever runs out; the rest of its checks are then skipped
    /// rather than letting one file stall the scan.
    budget: Cell<u64>,
}

const WORK_BUDGET: u64 = 30_000_000;
/// Rough cost of one whole-catalog summary, per statement: one
/// relation per service.
const SUMMARY_COST: u64 = 500;

const WHOLE_STATEMENT: usize = usize::MAX;

impl<'a> RoleAnalysis<'a> {
    fn new(role: &'a Role) -> Self {
        let policies: Vec<&Policy> = role.policies.iter().map(|p| &p.policy).collect();
        let mut names: HashMap<&str, usize> = HashMap::default();
        for attached in &role.policies {
            *names.entry(attached.name.as_str()).or_default() += 1;
        }
        let statements = role
            .policies
            .iter()
            .enumerate()
            .flat_map(|(policy, attached)| {
                let mut sids: HashMap<&str, usize> = HashMap::default();
                for stmt in &attached.policy.statements {
                    if let Some(sid) = &stmt.sid {
                        *sids.entry(sid.as_str()).or_default() += 1;
                    }
                }
                let unique_name = names.get(attached.name.as_str()) == Some(&1);
                attached
                    .policy
                    .statements
                    .iter()
                    .enumerate()
                    .map(move |(index, stmt)| StmtRef {
                        policy,
                        index,
                        attached,
                        stmt,
                        unique_name,
                        unique_sid: stmt
                            .sid
                            .as_deref()
                            .is_some_and(|sid| sids.get(sid) == Some(&1)),
                    })
            })
            .collect();
        // Lambda calls AWS over TLS: requiring it never restricts a function.
        let ctx = Context::new().with("aws:SecureTransport", &["true"]);
        let boundary = crate::privesc::boundary(&role.permissions_boundary).named();
        let on_any = Evaluator::new(&policies, "*", &ctx);
        RoleAnalysis {
            role,
            policies,
            statements,
            ctx,
            boundary,
            on_any,
            reported: HashSet::default(),
            issues: Vec::new(),
            budget: Cell::new(WORK_BUDGET),
        }
    }

    /// Take `units` of work from the budget; `false` when it is spent.
    fn spend(&self, units: u64) -> bool {
        let left = self.budget.get();
        let units = units.max(1);
        self.budget.set(left.saturating_sub(units));
        left >= units
    }

    /// Cost of deciding one action (one statement match each).
    fn decide_cost(&self) -> u64 {
        self.statements.len() as u64
    }

    fn run(mut self) -> Vec<Issue> {
        self.admin();
        self.service_wildcards();
        self.write_on_any_resource();
        self.managed_policies();
        self.pass_role();
        self.issues
    }

    fn discriminator(&self, stmt: &StmtRef<'_>, action: &str) -> String {
        format!("{}|{}|{action}", self.role.id, stmt.key())
    }

    /// Add an issue, lowering its severity for conditional grants and for a
    /// permissions boundary, and saying why in both languages.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule: &'static RuleMeta,
        severity: Severity,
        conditional: bool,
        loc: Loc,
        discriminator: String,
        mut en: String,
        mut zh: String,
        evidence: Option<String>,
    ) {
        let mut severity = severity;
        if conditional {
            severity = lowered(severity);
            en.push_str(CONDITIONAL_EN);
            zh.push_str(CONDITIONAL_ZH);
        }
        if let Some(boundary) = &self.boundary {
            severity = lowered(severity);
            en.push_str(&format!(
                " A permissions boundary (`{boundary}`) also limits the role; fnguard cannot see its content, so the severity is one level lower."
            ));
            zh.push_str(&format!(
                "该角色还受权限边界（`{boundary}`）限制；fnguard 无法看到其内容，因此严重级别降低一级。"
            ));
        }
        self.issues.push(Issue {
            rule,
            severity,
            loc,
            discriminator,
            en,
            zh,
            evidence,
        });
    }

    /// FG-IAM-001: `*` (or `NotAction`) on `*` that, after every Deny and
    /// condition, still leaves at least half of AWS allowed.
    fn admin(&mut self) {
        let mut candidates: Vec<(usize, usize, Loc, &str)> = Vec::new();
        for (i, s) in self.statements.iter().enumerate() {
            if s.stmt.effect != Effect::Allow || !covers_every_resource(s.stmt) {
                continue;
            }
            match &s.stmt.actions {
                ActionSet::Action(vals) => {
                    if let Some((vi, v)) = vals
                        .iter()
                        .enumerate()
                        .find(|(_, v)| v.as_str().is_some_and(is_star))
                    {
                        candidates.push((i, vi, v.loc, "`Action: \"*\"`"));
                    }
                }
                ActionSet::NotAction(_) => {
                    candidates.push((i, WHOLE_STATEMENT, s.stmt.loc, "`NotAction`"))
                }
                ActionSet::Absent => {}
            }
        }
        let Some(first) = candidates.first() else {
            return;
        };
        if !self.spend(self.decide_cost() * SUMMARY_COST) {
            return;
        }
        let summary = self.on_any.summary("*");
        let total = summary.total();
        if total == 0 || summary.granted() * 2 < total {
            // Deny statements cut it down: FG-IAM-002/003 judge what is left.
            return;
        }
        let conditional = summary.allowed.total() * 2 < total;
        let withheld = total - summary.granted();
        let s = &self.statements[first.0];
        let (mut en, mut zh) = (
            format!(
                "allows every action on every resource: {} with `Resource: \"*\"` in {}. {} of {} AWS actions in fnguard's catalog remain allowed with all of the role's policies evaluated together",
                first.3,
                s.label_en(),
                summary.granted(),
                total
            ),
            format!(
                "允许对所有资源执行所有操作：{} 中的 {} 与 `Resource: \"*\"`。将该角色的所有策略放在一起评估后，fnguard 操作目录中的 {} 个 AWS 操作里仍有 {} 个被允许",
                s.label_zh(),
                first.3,
                total,
                summary.granted()
            ),
        );
        if withheld > 0 {
            en.push_str(&format!(" ({withheld} withheld by Deny statements)."));
            zh.push_str(&format!("（{withheld} 个被 Deny 语句收回）。"));
        } else {
            en.push('.');
            zh.push('。');
        }
        let discriminator = self.discriminator(s, "*");
        let (loc, evidence) = (first.2, format!("{}: {}", s.key(), first.3));
        for (i, vi, _, _) in &candidates {
            let s = &self.statements[*i];
            self.reported.insert((s.policy, s.index, *vi));
        }
        self.push(
            &rules::ADMIN,
            Severity::Critical,
            conditional,
            loc,
            discriminator,
            en,
            zh,
            Some(evidence),
        );
    }

    /// FG-IAM-002: `service:*`, `*` on specific resources, or an `Allow *`
    /// that Deny statements cut down to whole services.
    fn service_wildcards(&mut self) {
        let mut found = Vec::new();
        for (i, s) in self.statements.iter().enumerate() {
            if s.stmt.effect != Effect::Allow {
                continue;
            }
            let mut probes: Vec<Probe<'_>> = Vec::new();
            match &s.stmt.resources {
                ResourceSet::Resource(vals) => {
                    for v in vals {
                        let probe = v.as_str().map_or(Probe::Unresolved, Probe::Known);
                        if !probes.contains(&probe) {
                            probes.push(probe);
                        }
                    }
                }
                ResourceSet::NotResource(_) => probes.push(Probe::Known("*")),
                ResourceSet::Absent => {}
            }
            // Judge resources written in the files before unresolved ones.
            probes.sort_by_key(|p| *p == Probe::Unresolved);
            // (value index, pattern, loc, service when service-wide)
            let wildcards: Vec<(usize, &str, Loc, Option<&str>)> = match &s.stmt.actions {
                ActionSet::Action(vals) => vals
                    .iter()
                    .enumerate()
                    .filter_map(|(vi, v)| {
                        let p = v.as_str()?;
                        if is_star(p) {
                            Some((vi, p, v.loc, None))
                        } else {
                            service_wide(p).map(|svc| (vi, p, v.loc, Some(svc)))
                        }
                    })
                    .collect(),
                ActionSet::NotAction(_) => vec![(WHOLE_STATEMENT, "NotAction", s.stmt.loc, None)],
                ActionSet::Absent => Vec::new(),
            };
            for (vi, pattern, loc, service) in wildcards {
                if self.reported.contains(&(s.policy, s.index, vi)) {
                    continue;
                }
                for &probe in &probes {
                    if let Some((en, zh, conditional)) =
                        self.judge_wildcard(s, pattern, service, probe)
                    {
                        found.push((i, vi, pattern.to_string(), loc, en, zh, conditional));
                        break;
                    }
                }
            }
        }
        for (i, vi, pattern, loc, en, zh, conditional) in found {
            let s = &self.statements[i];
            let discriminator = self.discriminator(s, &pattern);
            let evidence = format!("{}: {pattern}", s.key());
            self.reported.insert((s.policy, s.index, vi));
            self.push(
                &rules::SERVICE_WILDCARD,
                Severity::High,
                conditional,
                loc,
                discriminator,
                en,
                zh,
                Some(evidence),
            );
        }
    }

    /// Is a wildcard value of statement `s` still (nearly) a whole service,
    /// or every action, on one of its resources? (English, Chinese,
    /// conditional) when it is.
    fn judge_wildcard(
        &self,
        s: &StmtRef<'_>,
        pattern: &str,
        service: Option<&str>,
        probe: Probe<'_>,
    ) -> Option<(String, String, bool)> {
        let cat = catalog();
        // An unresolved resource (a computed ARN) is still the resource this
        // statement grants on: judge the grant as if it named that resource,
        // with Deny statements on `*` still applying.
        let patched;
        let (policies, resource): (Vec<&Policy>, &str) = match probe {
            Probe::Known(resource) => (self.policies.clone(), resource),
            Probe::Unresolved => {
                let mut policy = self.policies[s.policy].clone();
                if let Some(stmt) = policy.statements.get_mut(s.index) {
                    stmt.resources = ResourceSet::Resource(vec![Val::known("*", s.stmt.loc)]);
                }
                patched = policy;
                let mut policies = self.policies.clone();
                policies[s.policy] = &patched;
                (policies, "*")
            }
        };
        let (target_en, target_zh) = match probe {
            Probe::Known(resource) => (resource_en(resource), resource_zh(resource)),
            Probe::Unresolved => (
                "a resource whose ARN is not resolved from the files".to_string(),
                "一个无法从文件中解析出 ARN 的资源".to_string(),
            ),
        };
        match service {
            Some(svc) => {
                let entry = cat.service(svc)?;
                if !self.spend(self.decide_cost() * (entry.range.len() as u64 + 1)) {
                    return None;
                }
                let summary = Evaluator::new(&policies, resource, &self.ctx)
                    .summary(&format!("{}:*", entry.prefix));
                (summary.granted() * 2 > summary.total()).then(|| {
                    (
                        format!(
                            "allows every action of `{}` (`{pattern}`) on {target_en} in {}: {} of its {} actions remain allowed with all of the role's policies evaluated together.",
                            entry.prefix,
                            s.label_en(),
                            summary.granted(),
                            summary.total()
                        ),
                        format!(
                            "在{}中允许对{target_zh}执行 `{}` 的所有操作（`{pattern}`）：将该角色的所有策略放在一起评估后，该服务的 {} 个操作中仍有 {} 个被允许。",
                            s.label_zh(),
                            entry.prefix,
                            summary.total(),
                            summary.granted()
                        ),
                        summary.allowed.total() * 2 <= summary.total(),
                    )
                })
            }
            None if probe == Probe::Known("*") => {
                // FG-IAM-001 did not fire: Deny statements cut it down. Report
                // the whole services that are left.
                if !self.spend(self.decide_cost() * SUMMARY_COST) {
                    return None;
                }
                let summary = self.on_any.summary("*");
                let whole: Vec<&str> = summary
                    .services
                    .iter()
                    .filter(|sa| sa.granted() * 2 > sa.actions)
                    .map(|sa| sa.service)
                    .collect();
                (!whole.is_empty()).then(|| {
                    (
                        format!(
                            "allows `{pattern}` on every resource in {}; Deny statements cut it down, but whole services remain allowed: {}.",
                            s.label_en(),
                            list_names(&whole)
                        ),
                        format!(
                            "在{}中对所有资源允许 `{pattern}`；虽被 Deny 语句收窄，但仍允许完整的服务：{}。",
                            s.label_zh(),
                            list_names(&whole)
                        ),
                        !summary.services.iter().any(|sa| sa.allowed * 2 > sa.actions),
                    )
                })
            }
            None => {
                // Every action on one resource: judge the actions of the
                // resource's own service.
                let universe = match probe {
                    Probe::Known(resource) => arn_parts(resource)
                        .and_then(|parts| cat.service(parts[2]))
                        .map(|entry| format!("{}:*", entry.prefix)),
                    Probe::Unresolved => None,
                }
                .unwrap_or_else(|| "*".to_string());
                if !self.spend(self.decide_cost() * SUMMARY_COST) {
                    return None;
                }
                let summary = Evaluator::new(&policies, resource, &self.ctx).summary(&universe);
                (summary.total() > 0 && summary.granted() * 2 > summary.total()).then(|| {
                    (
                        format!(
                            "allows every action (`{pattern}`) on {target_en} in {}.",
                            s.label_en()
                        ),
                        format!(
                            "在{}中允许对{target_zh}执行所有操作（`{pattern}`）。",
                            s.label_zh()
                        ),
                        summary.allowed.total() * 2 <= summary.total(),
                    )
                })
            }
        }
    }

    /// FG-IAM-003: write or permissions-management actions granted on `*`
    /// that could have been scoped to resources.
    fn write_on_any_resource(&mut self) {
        let cat = catalog();
        let mut found = Vec::new();
        let mut granted_services: Option<Vec<&fnguard_iam::catalog::ServiceEntry>> = None;
        for (i, s) in self.statements.iter().enumerate() {
            if s.stmt.effect != Effect::Allow || !covers_every_resource(s.stmt) {
                continue;
            }
            // (value index, pattern, loc); `NotAction` stands for the whole
            // statement. Reported values are skipped before expanding them.
            let groups: Vec<(usize, &str, Loc)> = match &s.stmt.actions {
                ActionSet::Action(vals) => vals
                    .iter()
                    .enumerate()
                    .filter_map(|(vi, v)| Some((vi, v.as_str()?, v.loc)))
                    .collect(),
                ActionSet::NotAction(_) => vec![(WHOLE_STATEMENT, "NotAction", s.stmt.loc)],
                ActionSet::Absent => Vec::new(),
            };
            for (vi, pattern, loc) in groups {
                if self.reported.contains(&(s.policy, s.index, vi)) {
                    continue;
                }
                let actions: Vec<&ActionInfo> = if vi == WHOLE_STATEMENT || is_star(pattern) {
                    // Only services where anything is granted at all.
                    let granted = granted_services.get_or_insert_with(|| {
                        self.on_any
                            .summary("*")
                            .services
                            .into_iter()
                            .filter(|sa| sa.granted() > 0)
                            .filter_map(|sa| cat.service(sa.service))
                            .collect::<Vec<_>>()
                    });
                    granted
                        .iter()
                        .flat_map(|entry| cat.service_actions(entry))
                        .collect()
                } else if pattern.contains(['*', '?']) {
                    if !self.spend(cat.len() as u64 / 10) {
                        break;
                    }
                    cat.expand(pattern)
                } else {
                    cat.lookup(pattern).into_iter().collect()
                };
                let mut allowed: Vec<&ActionInfo> = Vec::new();
                let mut conditional: Vec<&ActionInfo> = Vec::new();
                for action in actions {
                    if !matches!(
                        action.level,
                        AccessLevel::Write | AccessLevel::PermissionsManagement
                    ) || action.only_star_resource()
                        // FG-IAM-006 judges PassRole on its own terms.
                        || action.name == "iam:PassRole"
                        || LAMBDA_ESSENTIALS
                            .iter()
                            .any(|e| e.eq_ignore_ascii_case(action.name))
                    {
                        continue;
                    }
                    // Most candidates are not granted at all: decide cheaply
                    // first, find the statements only for those that are.
                    if !self.spend(self.decide_cost()) {
                        break;
                    }
                    if !self.on_any.decide(action.name).is_granted() {
                        continue;
                    }
                    let eval = self.on_any.explain(action.name);
                    // Only what this statement itself grants.
                    let by_this = eval
                        .allows()
                        .any(|m| m.policy == s.policy && m.statement == s.index);
                    match eval.decision {
                        Decision::Allowed if by_this => allowed.push(action),
                        Decision::Conditional if by_this => conditional.push(action),
                        _ => {}
                    }
                }
                if allowed.is_empty() && conditional.is_empty() {
                    continue;
                }
                found.push((i, pattern.to_string(), loc, allowed, conditional));
            }
        }
        // One finding per statement: its action values are one grant with
        // one fix (scoping the statement's `Resource`).
        let mut by_statement: Vec<StatementWrites> = Vec::new();
        for (i, pattern, loc, allowed, conditional) in found {
            match by_statement.iter_mut().find(|(j, ..)| *j == i) {
                Some((_, patterns, _, all_allowed, all_conditional)) => {
                    patterns.push(pattern);
                    for a in allowed {
                        if !all_allowed.iter().any(|b| b.name == a.name) {
                            all_allowed.push(a);
                        }
                    }
                    for a in conditional {
                        if !all_conditional.iter().any(|b| b.name == a.name) {
                            all_conditional.push(a);
                        }
                    }
                }
                None => by_statement.push((i, vec![pattern], loc, allowed, conditional)),
            }
        }
        for (i, patterns, loc, allowed, mut conditional) in by_statement {
            let s = &self.statements[i];
            conditional.retain(|c| !allowed.iter().any(|a| a.name == c.name));
            let all: Vec<&ActionInfo> = allowed.iter().chain(conditional.iter()).copied().collect();
            let pattern_refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
            // Wildcards and `NotAction` say how the actions were granted;
            // plain action names would only repeat the list.
            let through = if pattern_refs
                .iter()
                .any(|p| p.contains(['*', '?']) || *p == "NotAction")
            {
                (
                    format!(" through {}", list_names(&pattern_refs)),
                    format!("通过 {} ", list_names(&pattern_refs)),
                )
            } else {
                (String::new(), String::new())
            };
            let permissions = all
                .iter()
                .any(|a| a.level == AccessLevel::PermissionsManagement);
            let names: Vec<&str> = {
                // Permissions-management actions first: they matter most.
                let mut sorted = all.clone();
                sorted.sort_by_key(|a| (a.level != AccessLevel::PermissionsManagement, a.name));
                sorted.iter().map(|a| a.name).collect()
            };
            let (kind_en, kind_zh, severity) = if permissions {
                (
                    "write and permissions-management",
                    "写入和权限管理",
                    Severity::High,
                )
            } else {
                ("write", "写入", Severity::Medium)
            };
            let en = format!(
                "grants {} {kind_en} action(s) on every resource (`Resource: \"*\"`){} in {}: {}.",
                all.len(),
                through.0,
                s.label_en(),
                list_names(&names)
            );
            let zh = format!(
                "在{}中{}在所有资源（`Resource: \"*\"`）上授予 {} 个{kind_zh}操作：{}。",
                s.label_zh(),
                through.1,
                all.len(),
                list_names(&names)
            );
            let discriminator = self.discriminator(s, "write");
            // Enough to act on; a `NotAction` grant can reach thousands.
            let mut evidence = names
                .iter()
                .take(EVIDENCE_ACTIONS)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > EVIDENCE_ACTIONS {
                evidence.push_str(&format!(" (+{})", names.len() - EVIDENCE_ACTIONS));
            }
            self.push(
                &rules::WRITE_ON_ANY_RESOURCE,
                severity,
                allowed.is_empty(),
                loc,
                discriminator,
                en,
                zh,
                Some(evidence),
            );
        }
    }

    /// FG-IAM-004: privileged AWS managed policies attached by ARN or name.
    fn managed_policies(&mut self) {
        let role = self.role;
        for field in &role.managed_policy_arns {
            let Field::Known(arn, loc) = field else {
                continue;
            };
            let Some(privilege) = managed::classify(arn) else {
                continue;
            };
            let name = managed::aws_managed_name(arn).unwrap_or_else(|| arn.clone());
            let (what_en, what_zh, severity) = match &privilege {
                Privilege::Admin => (
                    "every action on every resource".to_string(),
                    "对所有资源的所有操作".to_string(),
                    Severity::Critical,
                ),
                Privilege::PowerUser => (
                    "every action except IAM, Organizations and account management".to_string(),
                    "除 IAM、Organizations 和账号管理之外的所有操作".to_string(),
                    Severity::High,
                ),
                Privilege::IamFull => (
                    "full control of IAM, enough to grant itself anything".to_string(),
                    "对 IAM 的完全控制，足以为自己授予任何权限".to_string(),
                    Severity::High,
                ),
                Privilege::FullAccess(_) => (
                    "every action of its service on every resource".to_string(),
                    "其服务在所有资源上的全部操作".to_string(),
                    Severity::High,
                ),
            };
            // What the role's own Deny statements leave of the policy.
            let (withheld, conditional) = match stand_in(&privilege) {
                Some((policy, universe)) if self.spend(self.decide_cost() * SUMMARY_COST) => {
                    let mut all = self.policies.clone();
                    all.push(&policy);
                    let summary = Evaluator::new(&all, "*", &self.ctx).summary(universe);
                    let total = summary.total();
                    (
                        summary.granted() * 2 < total,
                        summary.granted() * 2 >= total && summary.allowed.total() * 2 < total,
                    )
                }
                _ => (false, false),
            };
            let mut en =
                format!("has the AWS managed policy `{name}` attached, which grants {what_en}.");
            let mut zh = format!("附加了 AWS 托管策略 `{name}`，它授予{what_zh}。");
            let mut severity = severity;
            if withheld {
                severity = lowered(severity);
                en.push_str(" The role's own Deny statements withhold most of it, so the severity is one level lower.");
                zh.push_str("该角色自身的 Deny 语句收回了其中大部分权限，因此严重级别降低一级。");
            }
            let discriminator = format!("{}|managed|{name}", role.id);
            self.push(
                &rules::PRIVILEGED_MANAGED_POLICY,
                severity,
                conditional,
                *loc,
                discriminator,
                en,
                zh,
                Some(arn.clone()),
            );
        }
    }

    /// FG-IAM-006: `iam:PassRole` on every role through an explicit IAM
    /// grant (a bare `*` is FG-IAM-001/002's). A grant limited by
    /// `iam:PassedToService` is conditional: reported one level lower,
    /// because it still lets the function hand any role to that service.
    fn pass_role(&mut self) {
        if !self.spend(self.decide_cost()) {
            return;
        }
        let eval = self.on_any.explain("iam:PassRole");
        if !eval.decision.is_granted() {
            return;
        }
        // (statement, pattern, loc, certain). Only statements whose resource
        // is known to be every role count: a PassRole on a role ARN the files
        // do not determine is not a finding.
        let mut hit: Option<(usize, &str, Loc, bool)> = None;
        let mut passed_to: Vec<&str> = Vec::new();
        for m in eval.allows() {
            let Some((i, s)) = self
                .statements
                .iter()
                .enumerate()
                .find(|(_, s)| s.policy == m.policy && s.index == m.statement)
            else {
                continue;
            };
            if !covers_every_resource(s.stmt) {
                continue;
            }
            let ActionSet::Action(vals) = &s.stmt.actions else {
                continue;
            };
            let Some(v) = vals.iter().find(|v| {
                v.as_str()
                    .is_some_and(|p| !is_star(p) && action_matches(p, "iam:PassRole"))
            }) else {
                continue;
            };
            for clause in &s.stmt.conditions {
                if clause.key.eq_ignore_ascii_case("iam:PassedToService") {
                    passed_to.extend(clause.values.iter().filter_map(Val::as_str));
                }
            }
            // A certain grant wins over one that depends on conditions.
            if hit.is_none_or(|(_, _, _, certain)| !certain && m.certain) {
                hit = Some((i, v.as_str().unwrap_or("iam:PassRole"), v.loc, m.certain));
            }
        }
        let Some((i, pattern, loc, certain)) = hit else {
            return;
        };
        // Conditional when the grant itself is, or a Deny may apply.
        let conditional = !certain || eval.denies().next().is_some();
        let s = &self.statements[i];
        let mut en = format!(
            "may pass any IAM role (`iam:PassRole` on `*`) through `{pattern}` in {}.",
            s.label_en()
        );
        let mut zh = format!(
            "可以通过{}中的 `{pattern}` 传递任意 IAM 角色（在 `*` 上的 `iam:PassRole`）。",
            s.label_zh()
        );
        if !passed_to.is_empty() {
            en.push_str(&format!(
                " An `iam:PassedToService` condition limits it to {}, which can still be handed any role, including an administrator role.",
                list_names(&passed_to)
            ));
            zh.push_str(&format!(
                "`iam:PassedToService` 条件将其限制为 {}，但仍可把任意角色（包括管理员角色）交给该服务。",
                list_names(&passed_to)
            ));
        }
        let discriminator = self.discriminator(s, "iam:PassRole");
        let evidence = format!("{}: {pattern}", s.key());
        self.push(
            &rules::PASS_ROLE,
            Severity::High,
            conditional,
            loc,
            discriminator,
            en,
            zh,
            Some(evidence),
        );
    }
}

/// A stand-in for what a broad AWS managed policy grants, to see how much
/// of it the role's own Deny statements leave; `None` when the name does
/// not say which service it covers.
fn stand_in(privilege: &Privilege) -> Option<(Policy, &'static str)> {
    let loc = Loc::default();
    let statement = |actions: ActionSet| Statement {
        sid: None,
        loc,
        effect: Effect::Allow,
        actions,
        resources: ResourceSet::Resource(vec![Val::known("*", loc)]),
        principals: fnguard_iam::PrincipalSet::Absent,
        conditions: Vec::new(),
        condition_unknown: false,
    };
    let (actions, universe) = match privilege {
        Privilege::Admin => (ActionSet::Action(vec![Val::known("*", loc)]), "*"),
        Privilege::PowerUser => (
            ActionSet::NotAction(
                ["iam:*", "organizations:*", "account:*"]
                    .into_iter()
                    .map(|a| Val::known(a, loc))
                    .collect(),
            ),
            "*",
        ),
        Privilege::IamFull => (ActionSet::Action(vec![Val::known("iam:*", loc)]), "iam:*"),
        Privilege::FullAccess(_) => return None,
    };
    Some((
        Policy {
            statements: vec![statement(actions)],
            loc,
            unknown: false,
        },
        universe,
    ))
}

fn function_names(functions: &[(&Function, Loc)]) -> String {
    let names: Vec<&str> = functions.iter().map(|(f, _)| f.id.as_str()).collect();
    list_names(&names)
}

/// FG-IAM-005: who besides Lambda may assume an execution role.
fn check_trust(
    ctx: &Ctx,
    role: &Role,
    functions: &[(&Function, Loc)],
    ignores: &[Ignore],
    out: &mut Vec<Raw>,
) {
    let Some(trust) = &role.trust else {
        return;
    };
    let grants = assume_grants(trust, &Context::new());
    for grant in &grants {
        if let Assumer::Entry(entry) = grant.assumer {
            let legit = entry.kind.eq_ignore_ascii_case("Service")
                && entry.value.as_str().is_some_and(|v| {
                    LAMBDA_SERVICES
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(v.trim()))
                });
            if legit {
                continue;
            }
        }
        let stmt = &trust.statements[grant.statement];
        let (who_en, who_zh, key, loc) = describe_assumer(grant, stmt.loc);
        let stmt_en = match &stmt.sid {
            Some(sid) => format!("trust statement `{sid}`"),
            None => format!("trust statement {}", grant.statement + 1),
        };
        let stmt_zh = match &stmt.sid {
            Some(sid) => format!("信任策略语句 `{sid}`"),
            None => format!("信任策略第 {} 条语句", grant.statement + 1),
        };
        let mut severity = if grant.is_anyone() {
            Severity::Critical
        } else {
            Severity::High
        };
        let mut en = format!(
            "Execution role `{}` (used by {}) can be assumed by {who_en} ({stmt_en}).",
            role.id,
            function_names(functions)
        );
        let mut zh = format!(
            "执行角色 `{}`（被 {} 使用）可被{who_zh}代入（{stmt_zh}）。",
            role.id,
            function_names(functions)
        );
        if grant.conditional {
            severity = lowered(severity);
            en.push_str(" Conditions restrict it, so the severity is one level lower.");
            zh.push_str("存在条件限制，因此严重级别降低一级。");
        }
        let sid = stmt
            .sid
            .clone()
            .unwrap_or_else(|| grant.statement.to_string());
        let discriminator = format!("{}|trust#{sid}|{key}", role.id);
        let finding = ctx
            .finding(
                &rules::TRUST,
                &role.id,
                loc,
                Text::new(en, zh),
                &discriminator,
            )
            .with_severity(severity)
            .with_evidence(key);
        out.push(Raw {
            finding,
            element_loc: role.loc,
            element_ignores: ignores.to_vec(),
        });
    }
}

/// (English, Chinese, fingerprint key, location) for whoever a grant lets in.
fn describe_assumer(grant: &AssumeGrant<'_>, stmt_loc: Loc) -> (String, String, String, Loc) {
    match grant.assumer {
        Assumer::AllExcept(_) => (
            "everyone except the principals listed in `NotPrincipal`".to_string(),
            "除 `NotPrincipal` 所列主体之外的所有人".to_string(),
            "NotPrincipal".to_string(),
            stmt_loc,
        ),
        Assumer::Entry(entry) => {
            let value = entry.value.as_str().unwrap_or("?");
            let key = format!("{}={value}", entry.kind);
            let (en, zh) = if grant.is_anyone() {
                (
                    "anyone (`*`), from any AWS account".to_string(),
                    "任何人（`*`，来自任意 AWS 账号）".to_string(),
                )
            } else if entry.kind.eq_ignore_ascii_case("AWS") {
                if value.contains(SELF_ACCOUNT) {
                    (
                        format!("IAM principals of this same account (`{value}`)"),
                        format!("本账号的 IAM 主体（`{value}`）"),
                    )
                } else {
                    (
                        format!("the AWS principal `{value}`"),
                        format!("AWS 主体 `{value}`"),
                    )
                }
            } else if entry.kind.eq_ignore_ascii_case("Service") {
                (format!("the service `{value}`"), format!("服务 `{value}`"))
            } else if entry.kind.eq_ignore_ascii_case("Federated") {
                (
                    format!("identities federated through `{value}`"),
                    format!("通过 `{value}` 联合的身份"),
                )
            } else {
                (
                    format!("the principal `{value}` ({})", entry.kind),
                    format!("主体 `{value}`（{}）", entry.kind),
                )
            };
            (en, zh, key, entry.value.loc)
        }
    }
}

/// FG-IAM-007: one finding per role used by two or more functions.
fn check_shared(
    ctx: &Ctx,
    role: &Role,
    functions: &[(&Function, Loc)],
    ignores: &[Ignore],
    out: &mut Vec<Raw>,
) {
    let en = format!(
        "Execution role `{}` is shared by {} functions: {}.",
        role.id,
        functions.len(),
        function_names(functions)
    );
    let zh = format!(
        "执行角色 `{}` 被 {} 个函数共用：{}。",
        role.id,
        functions.len(),
        function_names(functions)
    );
    let mut finding = ctx.finding(
        &rules::SHARED_ROLE,
        &role.id,
        role.loc,
        Text::new(en, zh),
        &role.id,
    );
    for (function, role_loc) in functions {
        finding = finding.with_related(
            ctx.src(*role_loc),
            ctx.text(
                || format!("function `{}` uses this role", function.id),
                || format!("函数 `{}` 使用该角色", function.id),
            ),
        );
    }
    out.push(Raw {
        finding,
        element_loc: role.loc,
        element_ignores: ignores.to_vec(),
    });
}

/// A role ARN written out in full (pseudo parameters allowed), not a value
/// the files leave open (`${ssm:...}`, an unresolved reference).
fn is_concrete_role(arn: &str) -> bool {
    let arn = arn.trim();
    let rest = [SELF_ACCOUNT, "${AWS::Region}", "${AWS::Partition}"]
        .iter()
        .fold(arn.to_string(), |text, pseudo| text.replace(pseudo, ""));
    arn.starts_with("arn:") && arn.contains(":role/") && !rest.contains(['$', '{', '}'])
}

/// FG-IAM-007 for a role the scanned files name but do not declare.
fn check_shared_outside(
    ctx: &Ctx,
    name: &str,
    functions: &[(&Function, Loc)],
    ignores: &[Ignore],
    out: &mut Vec<Raw>,
) {
    let en = format!(
        "Execution role `{name}` (not declared in the scanned files) is shared by {} functions: {}.",
        functions.len(),
        function_names(functions)
    );
    let zh = format!(
        "执行角色 `{name}`（未在扫描的文件中声明）被 {} 个函数共用：{}。",
        functions.len(),
        function_names(functions)
    );
    let first = functions.first().map_or(Loc::default(), |(_, loc)| *loc);
    let mut finding = ctx.finding(&rules::SHARED_ROLE, name, first, Text::new(en, zh), name);
    for (function, role_loc) in functions {
        finding = finding.with_related(
            ctx.src(*role_loc),
            ctx.text(
                || format!("function `{}` uses this role", function.id),
                || format!("函数 `{}` 使用该角色", function.id),
            ),
        );
    }
    out.push(Raw {
        finding,
        element_loc: first,
        element_ignores: ignores.to_vec(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition `list_names` keeps: each name in backticks, joined
    /// by commas, at most `SHOWN`, then the count of the rest.
    fn list_names_by_format(names: &[&str]) -> String {
        let mut text = names
            .iter()
            .take(SHOWN)
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > SHOWN {
            text.push_str(&format!(" (+{})", names.len() - SHOWN));
        }
        text
    }

    #[test]
    fn list_names_equals_the_format_definition() {
        let pool = [
            "Fn", "", "函数", "a`b", "Orders", "x", "y", "z", "w", "v", "u", "t",
        ];
        for n in 0..=pool.len() {
            assert_eq!(list_names(&pool[..n]), list_names_by_format(&pool[..n]));
        }
    }
}
