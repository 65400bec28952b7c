//! FG-IAM-008: privilege escalation. Every role the deployment declares
//! (function roles first), and every IAM user and group, is assessed
//! against fnguard-iam's escalation catalog (`data/iam/privesc.json`) with
//! `privesc::assess_as`, in an `Environment` built from the model: the
//! other roles (with the services their trust policies admit), the
//! functions (with their roles), the users and the groups are the targets
//! an escalation may reach. Roles are named by their ARNs, built from their
//! names as policies write them.
//!
//! The assessment is done once per principal and kept in `Analysis`, which the
//! attack-path check (`path`) reuses: escalation is one of the impacts a
//! path ends in, and running the catalog twice would double the cost.
//!
//! Deny, NotAction, resource scoping and `iam:PassedToService` are decided
//! by fnguard-iam; a permissions boundary is applied here, to each step of
//! what it found (`within_boundary`). An escalation that is conditional only because a value
//! could not be resolved (an intrinsic function, an unreadable policy) is
//! not reported: fnguard cannot tell whether it exists, and a guess would
//! be a false positive. Conditional on real condition keys or on a role's
//! unknown trust policy: reported one severity lower, naming the keys.

use crate::{Ctx, Raw};
use fnguard_core::fast_hash::HashMap;
use fnguard_core::{Area, Field, Loc, RuleMeta, Severity, Text};
use fnguard_iam::catalog::with_ascii_lowercase;
use fnguard_iam::managed::{self, Privilege};
use fnguard_iam::privesc::{
    assess_as, assess_as_member, Environment, Escalation, FunctionInfo, Power, RoleInfo,
};
use fnguard_iam::trust::{assume_grants, Assumer};
use fnguard_iam::{Context, Decision, Policy};
use fnguard_model::{
    Deployment, Function, Identity, IdentityKind, Ref, Role, SELF_ACCOUNT, SELF_REGION,
};

pub static RULES: &[RuleMeta] = &[PRIVESC];

pub const PRIVESC: RuleMeta = RuleMeta {
    id: "FG-IAM-008",
    area: Area::Iam,
    severity: Severity::Critical,
    guide: &["2.2", "3.1.1", "3.1.3"],
    attack: &["T1098", "T1078.004", "T1548"],
    title_en: "IAM role, user or group can escalate its own privileges",
    title_zh: "IAM 角色、用户或组可以提升自身权限",
    description_en: "The role's policies (inline, customer managed, SAM policy templates, Serverless statements and the AWS managed policies attached by ARN, expanded from fnguard's dated copy) enable one of the catalogued privilege-escalation methods (data/iam/privesc.json: PassRole with CreateFunction and InvokeFunction / CreateEventSourceMapping / AddPermission, UpdateFunctionCode, UpdateFunctionConfiguration, CreatePolicyVersion, SetDefaultPolicyVersion, Attach/Put role and user policies, CreateAccessKey, login profiles, UpdateAssumeRolePolicy, PassRole to EC2, Glue, CloudFormation, CodeBuild, ECS, SageMaker and more). Every step of the method is evaluated with AWS semantics: an explicit Deny removes it, NotAction and NotResource are honoured, a resource scoped to an unrelated role does not count, and `iam:PassedToService` must admit the service the method passes the role to. A permissions boundary caps the principal as AWS does (a request needs both): an AWS managed boundary removes the methods it does not allow, and a boundary fnguard cannot read (customer managed, unresolved) makes every method conditional on it. IAM users (with the policies of the groups of the files they belong to) and groups are assessed the same way; a method a group enables on its own is reported on the group, not on each member, and a principal that is already an administrator is left out (nothing to escalate to). One finding per principal and method, naming the statements that enable it and the target it reaches. Severity is the method's (critical, high or medium); a method that works only under condition keys fnguard cannot evaluate, or through a role whose trust policy is unknown, is one level lower and the message says on which keys it depends. A method that depends only on values fnguard cannot resolve (intrinsic functions) is not reported.",
    description_zh: "该角色的策略（内联策略、客户托管策略、SAM 策略模板、Serverless 语句，以及按 ARN 附加、由 fnguard 注明日期的副本展开的 AWS 托管策略）启用了目录中的某种提权方法（data/iam/privesc.json：PassRole 配合 CreateFunction 与 InvokeFunction / CreateEventSourceMapping / AddPermission、UpdateFunctionCode、UpdateFunctionConfiguration、CreatePolicyVersion、SetDefaultPolicyVersion、附加/写入角色和用户策略、CreateAccessKey、登录配置、UpdateAssumeRolePolicy、把角色传递给 EC2、Glue、CloudFormation、CodeBuild、ECS、SageMaker 等）。方法的每一步都按 AWS 语义评估：显式 Deny 会移除该步骤，NotAction 和 NotResource 会被遵循，限定到无关角色的资源不计入，`iam:PassedToService` 必须允许该方法要传递角色的服务。权限边界按 AWS 的方式限制主体（请求须同时被两者允许）：AWS 托管的边界会移除它不允许的方法，fnguard 无法读取的边界（客户托管、未解析）使每个方法都取决于该边界。IAM 用户（连同其所属、在文件中声明的组的策略）和组也以同样方式评估；组本身即可完成的方法只在组上报告，而不是在每个成员上报告；已经是管理员的主体不予报告（无可提升）。每个主体和方法各报告一条，列出启用它的语句及其可达的目标。严重级别取方法本身的级别（严重、高或中）；仅在 fnguard 无法判断的条件键下成立、或需经由信任策略未知的角色的方法降低一级，并在消息中说明依赖哪些条件键。仅依赖 fnguard 无法解析的值（内部函数）的方法不予报告。",
    risk_en: "Whoever runs code with this role (a compromised function, an injected dependency, leaked temporary credentials) can turn it into a more powerful identity: run their code under another role, rewrite a policy, or mint long-lived credentials. The role's apparent least privilege is not its real privilege.",
    risk_zh: "任何以该角色身份运行代码的人（被攻破的函数、被注入的依赖、泄露的临时凭证）都可以把它变成权限更高的身份：让自己的代码以其他角色运行、改写策略，或生成长期凭证。该角色表面上的最小权限并不是它真正的权限。",
    remediation_en: "Remove the actions the method needs, or scope them so they cannot reach a stronger identity: `iam:PassRole` only on the ARNs of the roles the function really passes, with an `iam:PassedToService` condition; `lambda:UpdateFunctionCode` / `UpdateFunctionConfiguration` only on the function's own ARN; no `iam:Create*` / `Attach*` / `Put*` policy actions in an execution role (deploy IAM changes through the pipeline's role); or add an explicit Deny. A permissions boundary on the roles the function may create or pass limits what the escalation gains. \
Where: CloudFormation `PolicyDocument` of `AWS::IAM::Role` `Policies` or `AWS::IAM::Policy` and `ManagedPolicyArns`, for users and groups `AWS::IAM::User` / `AWS::IAM::Group` `Policies`, `AWS::IAM::UserPolicy` / `GroupPolicy` and the `Users` / `Groups` of `AWS::IAM::Policy`; SAM function `Policies` (users and groups as in CloudFormation); Serverless `provider.iam.role.statements` (legacy `iamRoleStatements`) or a per-function role, users and groups under `resources.Resources`; Terraform the `policy` of `aws_iam_role_policy` / `aws_iam_policy`, `aws_iam_role_policy_attachment` or the `statement` blocks of `data \"aws_iam_policy_document\"`, for users and groups `aws_iam_user_policy`, `aws_iam_group_policy` and their `_attachment`s.",
    remediation_zh: "删除该方法所需的操作，或限定其范围使之无法到达更强的身份：`iam:PassRole` 只针对函数确实需要传递的角色 ARN，并加上 `iam:PassedToService` 条件；`lambda:UpdateFunctionCode` / `UpdateFunctionConfiguration` 只针对函数自身的 ARN；执行角色中不要有 `iam:Create*` / `Attach*` / `Put*` 等策略操作（IAM 变更应通过流水线角色部署）；或添加显式 Deny。为函数可创建或传递的角色设置权限边界，可以限制提权所得。\
位置：CloudFormation 中 `AWS::IAM::Role` 的 `Policies` 或 `AWS::IAM::Policy` 的 `PolicyDocument` 以及 `ManagedPolicyArns`，用户和组则为 `AWS::IAM::User` / `AWS::IAM::Group` 的 `Policies`、`AWS::IAM::UserPolicy` / `GroupPolicy` 以及 `AWS::IAM::Policy` 的 `Users` / `Groups`；SAM 函数的 `Policies`（用户和组同 CloudFormation）；Serverless 的 `provider.iam.role.statements`（旧写法 `iamRoleStatements`）或按函数配置的角色，用户和组在 `resources.Resources` 中；Terraform 中 `aws_iam_role_policy` / `aws_iam_policy` 的 `policy`、`aws_iam_role_policy_attachment`，或 `data \"aws_iam_policy_document\"` 的 `statement` 块，用户和组则为 `aws_iam_user_policy`、`aws_iam_group_policy` 及其 `_attachment`。",
    references: &[
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
        "https://attack.mitre.org/techniques/T1098/",
    ],
};

/// Markers fnguard-iam puts in `Escalation::unresolved` when a value, not a
/// condition key, is what it could not decide.
const VALUE_DOUBTS: &[&str] = &[
    "(unresolved value)",
    "(unreadable policy)",
    "(unresolved Condition)",
];

/// How many targets a message names before "and N more".
const SHOWN_TARGETS: usize = 3;

/// One role with its policies and the escalations they enable.
pub struct RolePower<'d> {
    pub role: &'d Role,
    pub arn: String,
    /// Every identity policy of the role: its own documents, then the AWS
    /// managed policies it attaches by ARN.
    pub policies: Vec<&'d Policy>,
    /// Names of `policies`, index for index.
    pub names: Vec<String>,
    /// Where each policy is attached (the statement locations of managed
    /// documents point into fnguard's data, not the template).
    pub policy_locs: Vec<Loc>,
    /// Reportable escalations (see the module doc), best first per method.
    pub escalations: Vec<Escalation>,
    /// The role's permissions boundary, read once for FG-IAM-008 and the
    /// attack paths.
    pub(crate) boundary: Boundary<'d>,
}

/// An IAM user or group with its policies (a user's include its groups')
/// and the escalations they enable.
pub struct IdentityPower<'d> {
    pub identity: &'d Identity,
    pub arn: String,
    /// Documents written in the files, then AWS managed documents.
    pub policies: Vec<&'d Policy>,
    /// Names of `policies`, index for index.
    pub names: Vec<String>,
    /// Where each policy is written or attached.
    pub policy_locs: Vec<Loc>,
    /// How many of `policies` are written in the files.
    pub in_files: usize,
    /// Reportable escalations; a user's leave out the methods one of its
    /// groups enables alone (reported on the group).
    pub escalations: Vec<Escalation>,
}

/// Per-deployment results shared by FG-IAM-008 and FG-PATH.
pub struct Analysis<'d> {
    pub roles: Vec<RolePower<'d>>,
    /// Role id -> index into `roles`.
    pub by_id: HashMap<&'d str, usize>,
    /// Users and groups: FG-IAM-008 only, as no function runs as them.
    pub identities: Vec<IdentityPower<'d>>,
}

impl<'d> Analysis<'d> {
    pub fn role(&self, id: &str) -> Option<&RolePower<'d>> {
        self.by_id.get(id).map(|&i| &self.roles[i])
    }
}

/// The role's ARN as policies name it: by its path and name when the
/// files give them, else (AWS generates the name, or a value is open) by
/// its id, which no scoped policy names but `*` reaches.
pub fn role_arn(role: &Role) -> String {
    iam_arn("role", &role.id, &role.name, &role.path)
}

/// `arn:...:<kind><path><name>`, or `<kind>/<id>` when the name or path is
/// not given or open.
fn iam_arn(kind: &str, id: &str, name: &Field<String>, path: &Field<String>) -> String {
    let path = match path {
        Field::Absent => Some("/"),
        Field::Known(path, _) => Some(path.as_str())
            .filter(|p| p.starts_with('/') && p.ends_with('/') && concrete_name(p).is_some()),
        Field::Unknown(_) => None,
    };
    let name = match (name, path) {
        (Field::Known(name, _), Some(_)) => concrete_name(name),
        _ => None,
    };
    match (name, path) {
        (Some(name), Some(path)) => format!("arn:aws:iam::{SELF_ACCOUNT}:{kind}{path}{name}"),
        _ => format!("arn:aws:iam::{SELF_ACCOUNT}:{kind}/{id}"),
    }
}

/// A user's or group's ARN, by path and name when the files give them.
fn identity_arn(identity: &Identity) -> String {
    let kind = match identity.kind {
        IdentityKind::User => "user",
        IdentityKind::Group => "group",
    };
    iam_arn(kind, &identity.id, &identity.name, &identity.path)
}

/// A name usable in an ARN the environment lists (which must hold no
/// wildcard): pseudo parameters stay as placeholders; Terraform's
/// `name_prefix` pattern `prefix*` becomes the prefix with a suffix of the
/// length and alphabet Terraform appends, so `prefix*` patterns match it
/// and the exact names of other roles do not; any other open value gives
/// `None`.
fn concrete_name(name: &str) -> Option<std::borrow::Cow<'_, str>> {
    const PSEUDO: &[&str] = &[SELF_ACCOUNT, SELF_REGION, "${AWS::Partition}"];
    if name.is_empty() || name.contains('?') {
        return None;
    }
    if name.contains(['$', '{', '}']) {
        let without_pseudo = PSEUDO
            .iter()
            .fold(name.to_string(), |text, pseudo| text.replace(pseudo, ""));
        if without_pseudo.contains(['$', '{', '}']) {
            return None;
        }
    }
    match name.strip_suffix('*') {
        Some(prefix) if !prefix.contains('*') => Some(std::borrow::Cow::Owned(format!(
            "{prefix}{TERRAFORM_UNIQUE_SUFFIX}"
        ))),
        Some(_) => None,
        None if name.contains('*') => None,
        None => Some(std::borrow::Cow::Borrowed(name)),
    }
}

/// What Terraform's `name_prefix` appends: a timestamp and a counter, 26
/// digits.
const TERRAFORM_UNIQUE_SUFFIX: &str = "20261128000000000000000001";

fn function_arn(f: &Function) -> String {
    let name = f.name.as_deref().unwrap_or(&f.id);
    format!("arn:aws:lambda:{SELF_REGION}:{SELF_ACCOUNT}:function:{name}")
}

fn local_role(f: &Function) -> Option<&str> {
    match &f.role {
        Field::Known(Ref::Local(id), _) => Some(id.as_str()),
        _ => None,
    }
}

/// Assess every declared role, user and group once.
pub fn analyse(dep: &Deployment) -> Analysis<'_> {
    // Function roles first, then the others, each once (first id wins).
    let mut order: Vec<&Role> = Vec::with_capacity(dep.roles.len());
    let mut by_id: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(dep.roles.len(), Default::default());
    let declared: HashMap<&str, &Role> =
        dep.roles.iter().rev().map(|r| (r.id.as_str(), r)).collect();
    let used = dep.functions.iter().filter_map(local_role);
    for id in used.chain(dep.roles.iter().map(|r| r.id.as_str())) {
        if let Some(role) = declared.get(id) {
            if !by_id.contains_key(id) {
                by_id.insert(role.id.as_str(), order.len());
                order.push(role);
            }
        }
    }
    if order.is_empty() && dep.identities.is_empty() {
        return Analysis {
            roles: Vec::new(),
            by_id,
            identities: Vec::new(),
        };
    }
    let mut roles: Vec<RolePower> = order
        .iter()
        .map(|role| {
            let mut policies: Vec<&Policy> = Vec::new();
            let mut names = Vec::new();
            let mut policy_locs = Vec::new();
            for p in &role.policies {
                policies.push(&p.policy);
                names.push(p.name.clone());
                policy_locs.push(p.loc);
            }
            add_managed_documents(
                &role.managed_policy_arns,
                &mut policies,
                &mut names,
                &mut policy_locs,
            );
            RolePower {
                role,
                arn: role_arn(role),
                policies,
                names,
                policy_locs,
                escalations: Vec::new(),
                boundary: boundary(&role.permissions_boundary),
            }
        })
        .collect();
    let mut identities: Vec<IdentityPower> = dep
        .identities
        .iter()
        .map(|identity| identity_power(dep, identity))
        .collect();
    let ctx = Context::new();
    // Most roles cannot complete any method: rule them out before building
    // the environment, which only the others need.
    let candidates: Vec<bool> = roles
        .iter()
        .map(|rp| !rp.policies.is_empty() && may_escalate(&rp.policies))
        .collect();
    let identity_candidates: Vec<bool> = identities
        .iter()
        .map(|ip| !ip.policies.is_empty() && may_escalate(&ip.policies))
        .collect();
    if !candidates.contains(&true) && !identity_candidates.contains(&true) {
        return Analysis {
            roles,
            by_id,
            identities,
        };
    }
    // Only a candidate's admin status changes anything: an administrator
    // has nothing to escalate to (FG-IAM-001/004 report it once, instead of
    // one finding per catalogued method); as a target, a role's power only
    // matters when it is `Limited`.
    let admins: Vec<bool> = roles
        .iter()
        .zip(&candidates)
        .map(|(rp, &candidate)| candidate && is_admin(&rp.policies, &ctx))
        .collect();
    let env = environment(dep, &roles, &admins, &identities);
    // Functions that share an execution role are interchangeable targets
    // for a role whose statements never name a function: one of each is
    // enough, and large templates (hundreds of functions on a few roles)
    // otherwise cost one evaluator per function per method.
    let kinds = Kinds::new(&env);
    for ((rp, admin), candidate) in roles.iter_mut().zip(admins).zip(candidates) {
        if !candidate || admin {
            continue;
        }
        let names: Vec<&str> = rp.names.iter().map(String::as_str).collect();
        let small;
        let env = if names_a("function", &rp.policies) || names_a("role", &rp.policies) {
            &env
        } else {
            small = kinds.compact(&env, &rp.arn);
            &small
        };
        let found = assess_as(&rp.policies, &names, Some(&rp.arn), &ctx, env);
        let found = found.into_iter().filter(reportable).collect();
        rp.escalations = within_boundary(found, &rp.boundary, &ctx);
    }
    // Users and groups, like roles: administrators are left out (nothing to
    // escalate to), and the principal's own user or group, and a user's
    // groups, are targets only of methods that change their rights
    // (fnguard-iam's `modifies`).
    let arn_of: HashMap<&str, String> = identities
        .iter()
        .map(|ip| (ip.identity.id.as_str(), ip.arn.clone()))
        .collect();
    let member_of: Vec<Vec<String>> = identities
        .iter()
        .map(|ip| {
            ip.identity
                .groups
                .iter()
                .filter_map(|g| match g {
                    Ref::Local(id) => arn_of.get(id.as_str()).cloned(),
                    _ => None,
                })
                .collect()
        })
        .collect();
    for ((ip, candidate), member_of) in identities
        .iter_mut()
        .zip(identity_candidates)
        .zip(member_of)
    {
        if !candidate || is_admin(&ip.policies, &ctx) {
            continue;
        }
        let names: Vec<&str> = ip.names.iter().map(String::as_str).collect();
        let small;
        let env = if names_a("function", &ip.policies) || names_a("role", &ip.policies) {
            &env
        } else {
            small = kinds.compact(&env, &ip.arn);
            &small
        };
        let member_of: Vec<&str> = member_of.iter().map(String::as_str).collect();
        let found = assess_as_member(&ip.policies, &names, &ip.arn, &member_of, &ctx, env);
        let found = found.into_iter().filter(reportable).collect();
        let bound = boundary(&ip.identity.permissions_boundary);
        ip.escalations = within_boundary(found, &bound, &ctx);
    }
    // A user's method that one of its groups enables on its own is the
    // group's finding: every member has it.
    let group_methods: HashMap<&str, Vec<&'static str>> = identities
        .iter()
        .filter(|ip| ip.identity.kind == IdentityKind::Group)
        .map(|ip| {
            let methods = ip
                .escalations
                .iter()
                .map(|e| e.method.id.as_str())
                .collect();
            (ip.identity.id.as_str(), methods)
        })
        .collect();
    let inherited: Vec<Vec<&'static str>> = identities
        .iter()
        .map(|ip| {
            ip.identity
                .groups
                .iter()
                .filter_map(|g| match g {
                    Ref::Local(id) => group_methods.get(id.as_str()),
                    _ => None,
                })
                .flatten()
                .copied()
                .collect()
        })
        .collect();
    for (ip, inherited) in identities.iter_mut().zip(inherited) {
        ip.escalations
            .retain(|e| !inherited.contains(&e.method.id.as_str()));
    }
    Analysis {
        roles,
        by_id,
        identities,
    }
}

/// Append the AWS managed policies `arns` names (fnguard's dated copies).
/// Unknown ARNs add nothing: their content is not visible, and guessing it
/// would invent grants.
fn add_managed_documents(
    arns: &[Field<String>],
    policies: &mut Vec<&Policy>,
    names: &mut Vec<String>,
    policy_locs: &mut Vec<Loc>,
) {
    for arn in arns {
        if let Field::Known(arn, loc) = arn {
            if let Some(doc) = managed::document(arn) {
                policies.push(doc);
                names.push(managed::aws_managed_name(arn).unwrap_or_else(|| arn.clone()));
                policy_locs.push(*loc);
            }
        }
    }
}

/// A user's or group's policies: its own, then (a user) those of the
/// groups of the files it belongs to, then the AWS managed documents of
/// both. Groups outside the files add nothing (their content is unknown).
fn identity_power<'d>(dep: &'d Deployment, identity: &'d Identity) -> IdentityPower<'d> {
    let groups: Vec<&Identity> = identity
        .groups
        .iter()
        .filter_map(|g| match g {
            Ref::Local(id) => dep
                .identities
                .iter()
                .find(|i| i.id == *id && i.kind == IdentityKind::Group),
            _ => None,
        })
        .collect();
    let mut policies: Vec<&Policy> = Vec::new();
    let mut names = Vec::new();
    let mut policy_locs = Vec::new();
    for p in &identity.policies {
        policies.push(&p.policy);
        names.push(p.name.clone());
        policy_locs.push(p.loc);
    }
    for group in &groups {
        for p in &group.policies {
            policies.push(&p.policy);
            names.push(format!("{} (group {})", p.name, group.id));
            policy_locs.push(p.loc);
        }
    }
    let in_files = policies.len();
    add_managed_documents(
        &identity.managed_policy_arns,
        &mut policies,
        &mut names,
        &mut policy_locs,
    );
    for group in &groups {
        let first = names.len();
        add_managed_documents(
            &group.managed_policy_arns,
            &mut policies,
            &mut names,
            &mut policy_locs,
        );
        for name in &mut names[first..] {
            name.push_str(&format!(" (group {})", group.id));
        }
    }
    IdentityPower {
        identity,
        arn: identity_arn(identity),
        policies,
        names,
        policy_locs,
        in_files,
        escalations: Vec::new(),
    }
}

/// The catalog's step actions and alternatives, for a test that is much
/// cheaper than `assess_as`'s own prefilter on the common role whose
/// actions are all outside the catalog's services (logs, DynamoDB reads,
/// S3 objects): most roles are ruled out without matching ~100 actions
/// against every statement.
struct Prefilter {
    actions: Vec<&'static str>,
    /// Lowercase service prefix -> the indices of its actions.
    services: HashMap<String, Vec<usize>>,
    /// Per alternative: (index into `actions`, step needs only "not denied").
    alternatives: Vec<Vec<(usize, bool)>>,
}

fn prefilter() -> &'static Prefilter {
    static PREFILTER: std::sync::OnceLock<Prefilter> = std::sync::OnceLock::new();
    PREFILTER.get_or_init(|| {
        let mut actions: Vec<&'static str> = Vec::new();
        let mut alternatives = Vec::new();
        for method in &fnguard_iam::privesc::methods().methods {
            for alt in &method.alternatives {
                let steps = alt
                    .iter()
                    .map(|step| {
                        let i = actions
                            .iter()
                            .position(|a| a.eq_ignore_ascii_case(&step.action))
                            .unwrap_or_else(|| {
                                actions.push(step.action.as_str());
                                actions.len() - 1
                            });
                        (i, step.unless_denied)
                    })
                    .collect();
                alternatives.push(steps);
            }
        }
        let mut services: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, action) in actions.iter().enumerate() {
            let service = action
                .split_once(':')
                .map_or(*action, |(s, _)| s)
                .to_ascii_lowercase();
            services.entry(service).or_default().push(i);
        }
        Prefilter {
            actions,
            services,
            alternatives,
        }
    })
}

impl Prefilter {
    /// The indices of the catalog actions of `service` (any case).
    fn service_actions(&self, service: &str) -> Option<&[usize]> {
        with_ascii_lowercase(service, |key| self.services.get(key).map(Vec::as_slice))
    }
}

/// Might some alternative of some method have every required step allowed
/// by a statement? `false` only when certainly not (then `assess_as` would
/// find nothing); NotAction, unknown values and wildcard services say yes.
fn may_escalate(policies: &[&Policy]) -> bool {
    let pf = prefilter();
    // (pattern, indices of the catalog actions of its service)
    let mut relevant: Vec<(&str, &[usize])> = Vec::new();
    for policy in policies {
        if policy.unknown {
            return true;
        }
        for stmt in &policy.statements {
            if stmt.effect == fnguard_iam::Effect::Deny {
                continue;
            }
            match &stmt.actions {
                fnguard_iam::ActionSet::Action(vals) => {
                    for v in vals {
                        let Some(pattern) = v.as_str() else {
                            return true;
                        };
                        let service = pattern.split_once(':').map_or(pattern, |(s, _)| s);
                        if service.bytes().any(|b| b == b'*' || b == b'?') {
                            return true;
                        }
                        if let Some(list) = pf.service_actions(service) {
                            relevant.push((pattern, list));
                        }
                    }
                }
                fnguard_iam::ActionSet::NotAction(_) => return true,
                fnguard_iam::ActionSet::Absent => {}
            }
        }
    }
    if relevant.is_empty() {
        return false;
    }
    // Only the actions of each pattern's own service can match it.
    let mut possible = vec![false; pf.actions.len()];
    for (pattern, list) in relevant {
        // A literal action (the usual `lambda:InvokeFunction`) matches only
        // its own name: a length check rules most of the list out.
        let literal = !pattern.bytes().any(|b| b == b'*' || b == b'?');
        for &i in list {
            let action = pf.actions[i];
            if !possible[i]
                && (if literal {
                    action.eq_ignore_ascii_case(pattern)
                } else {
                    fnguard_iam::action_matches(pattern, action)
                })
            {
                possible[i] = true;
            }
        }
    }
    pf.alternatives.iter().any(|alt| {
        alt.iter()
            .all(|&(i, unless_denied)| unless_denied || possible[i])
    })
}

/// Targets grouped by kind, computed once per deployment: roles with the
/// same trusted services, trust knowledge and power are interchangeable
/// for a role whose statements name no particular role or function, and so
/// are functions whose roles are.
struct Kinds {
    /// Kind of each role of the environment.
    role_kind: Vec<usize>,
    /// Kind of each function's role (`None`: role not in the environment).
    function_kind: Vec<Option<usize>>,
}

impl Kinds {
    fn new(env: &Environment) -> Self {
        let mut keys: Vec<(&[String], bool, Power)> = Vec::new();
        let mut by_arn: HashMap<&str, usize> =
            HashMap::with_capacity_and_hasher(env.roles.len(), Default::default());
        let role_kind = env
            .roles
            .iter()
            .map(|r| {
                let key = (r.trusted_services.as_slice(), r.trust_known, r.power);
                let kind = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                    keys.push(key);
                    keys.len() - 1
                });
                by_arn.entry(r.arn.as_str()).or_insert(kind);
                kind
            })
            .collect();
        let function_kind = env
            .functions
            .iter()
            .map(|f| f.role.as_deref().and_then(|r| by_arn.get(r).copied()))
            .collect();
        Kinds {
            role_kind,
            function_kind,
        }
    }

    /// `env` with one representative per kind, the principal's own role
    /// (never a target of `assess_as`) and its functions left out, so the
    /// methods found and their strength do not change.
    fn compact(&self, env: &Environment, own: &str) -> Environment {
        let mut taken: Vec<usize> = Vec::new();
        let roles = env
            .roles
            .iter()
            .zip(&self.role_kind)
            .filter(|(r, kind)| {
                if r.arn == own || taken.contains(kind) {
                    return false;
                }
                taken.push(**kind);
                true
            })
            .map(|(r, _)| r.clone())
            .collect();
        let mut taken: Vec<usize> = Vec::new();
        let functions = env
            .functions
            .iter()
            .zip(&self.function_kind)
            .filter(|(f, kind)| {
                if f.role.as_deref() == Some(own) {
                    return false;
                }
                match kind {
                    Some(kind) if taken.contains(kind) => false,
                    Some(kind) => {
                        taken.push(*kind);
                        true
                    }
                    None => true,
                }
            })
            .map(|(f, _)| f.clone())
            .collect();
        Environment {
            roles,
            functions,
            users: env.users.clone(),
            groups: env.groups.clone(),
            policies: env.policies.clone(),
            closed_world: env.closed_world,
        }
    }
}

/// Some statement's resource names particular resources of `kind`
/// (`role`, `function`) rather than all of them: then which is which
/// matters.
fn names_a(kind: &str, policies: &[&Policy]) -> bool {
    let marker = match kind {
        "role" => ":role/",
        _ => ":function:",
    };
    policies.iter().any(|p| {
        p.statements.iter().any(|s| match &s.resources {
            fnguard_iam::ResourceSet::Resource(vals)
            | fnguard_iam::ResourceSet::NotResource(vals) => vals.iter().any(|v| {
                v.as_str()
                    .is_some_and(|r| r.split_once(marker).is_some_and(|(_, name)| name != "*"))
            }),
            fnguard_iam::ResourceSet::Absent => false,
        })
    })
}

/// Actions from services and levels far apart: a role granted all of them
/// for certain on every resource holds (practically) everything.
const ADMIN_PROBES: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:PassRole",
    "lambda:CreateFunction",
    "ec2:RunInstances",
    "s3:DeleteBucket",
    "kms:ScheduleKeyDeletion",
    "organizations:LeaveOrganization",
];

fn is_admin(policies: &[&Policy], ctx: &Context) -> bool {
    if policies.is_empty() {
        return false;
    }
    let eval = fnguard_iam::Evaluator::new(policies, "*", ctx);
    ADMIN_PROBES
        .iter()
        .all(|a| eval.decide(a) == Decision::Allowed)
}

/// A permissions boundary caps what a role's or user's identity policies
/// grant: AWS allows a request only when both allow it. One reading of the
/// model's boundary for every check (FG-IAM-001..007 name it, FG-IAM-008 and
/// the attack paths apply it).
pub(crate) enum Boundary<'a> {
    None,
    /// An AWS managed policy fnguard has the document of, by its ARN.
    Document(&'static Policy, &'a str),
    /// A boundary fnguard cannot read: a customer-managed policy (its ARN)
    /// or an unresolved value (`None`). It may or may not remove a grant.
    Opaque(Option<&'a str>),
}

pub(crate) fn boundary(field: &Field<String>) -> Boundary<'_> {
    match field {
        Field::Absent => Boundary::None,
        // Caps nothing.
        Field::Known(arn, _)
            if managed::aws_managed_name(arn).as_deref() == Some("AdministratorAccess") =>
        {
            Boundary::None
        }
        Field::Known(arn, _) => match managed::document(arn) {
            Some(doc) => Boundary::Document(doc, arn),
            None => Boundary::Opaque(Some(arn)),
        },
        Field::Unknown(_) => Boundary::Opaque(None),
    }
}

impl Boundary<'_> {
    /// How the boundary judges one granted action on a resource:
    /// `Allowed` leaves the grant as it is.
    pub(crate) fn decide(&self, action: &str, resource: &str, ctx: &Context) -> Decision {
        match self {
            Boundary::None => Decision::Allowed,
            Boundary::Document(doc, _) => {
                fnguard_iam::Evaluator::new(&[*doc], resource, ctx).decide(action)
            }
            Boundary::Opaque(_) => Decision::Conditional,
        }
    }

    /// What a conditional result depends on, for messages.
    fn why(&self) -> String {
        match self {
            Boundary::None => String::new(),
            Boundary::Document(_, arn) | Boundary::Opaque(Some(arn)) => {
                format!("(permissions boundary {arn})")
            }
            Boundary::Opaque(None) => "(permissions boundary not resolved)".to_string(),
        }
    }

    /// The boundary as the execution-role checks name it: its ARN, or
    /// `(unresolved)`; `None` when it caps nothing.
    pub(crate) fn named(&self) -> Option<String> {
        match self {
            Boundary::None => None,
            Boundary::Document(_, arn) | Boundary::Opaque(Some(arn)) => Some(arn.to_string()),
            Boundary::Opaque(None) => Some("(unresolved)".to_string()),
        }
    }
}

/// Escalations the boundary leaves: a step whose action the boundary does
/// not allow removes the method; one it allows only under conditions (or a
/// boundary fnguard cannot read) makes the method conditional on it. Steps
/// granted by the target's own resource policy are not capped (a boundary
/// limits identity-based permissions only).
fn within_boundary(found: Vec<Escalation>, boundary: &Boundary, ctx: &Context) -> Vec<Escalation> {
    if matches!(boundary, Boundary::None) {
        return found;
    }
    found
        .into_iter()
        .filter_map(|mut e| {
            let mut conditional = false;
            for step in e.steps.iter().filter(|s| !s.by_resource_policy) {
                match boundary.decide(&step.action, &step.resource, ctx) {
                    Decision::Allowed => {}
                    Decision::Conditional => conditional = true,
                    Decision::Denied | Decision::NotAllowed => return None,
                }
            }
            if conditional {
                e.strength = Decision::Conditional;
                let why = boundary.why();
                if !e.unresolved.contains(&why) {
                    e.unresolved.push(why);
                }
            }
            Some(e)
        })
        .collect()
}

fn reportable(e: &Escalation) -> bool {
    match e.strength {
        Decision::Allowed => true,
        Decision::Conditional => e
            .unresolved
            .iter()
            .any(|k| !VALUE_DOUBTS.contains(&k.as_str())),
        Decision::Denied | Decision::NotAllowed => false,
    }
}

fn environment(
    dep: &Deployment,
    roles: &[RolePower],
    admins: &[bool],
    identities: &[IdentityPower],
) -> Environment {
    let ctx = Context::new();
    let infos = roles
        .iter()
        .zip(admins)
        .map(|(rp, &is_admin)| {
            let (trusted_services, trust_known) = match &rp.role.trust {
                Some(trust) if !trust.unknown => {
                    let services = assume_grants(trust, &ctx)
                        .into_iter()
                        .filter_map(|g| match g.assumer {
                            Assumer::Entry(e) if e.kind.eq_ignore_ascii_case("Service") => {
                                e.value.as_str().map(str::to_string)
                            }
                            _ => None,
                        })
                        .collect();
                    (services, true)
                }
                _ => (Vec::new(), false),
            };
            let admin = is_admin || rp.role.managed_policy_arns.iter().any(|a| {
                matches!(a, Field::Known(arn, _) if matches!(managed::classify(arn), Some(Privilege::Admin)))
            });
            RoleInfo {
                arn: rp.arn.clone(),
                trusted_services,
                trust_known,
                power: if admin { Power::Admin } else { Power::Unknown },
            }
        })
        .collect();
    let arn_of: HashMap<&str, &str> = roles
        .iter()
        .map(|rp| (rp.role.id.as_str(), rp.arn.as_str()))
        .collect();
    let functions = dep
        .functions
        .iter()
        .map(|f| FunctionInfo {
            arn: function_arn(f),
            role: local_role(f).map(|id| match arn_of.get(id) {
                Some(arn) => arn.to_string(),
                None => format!("arn:aws:iam::{SELF_ACCOUNT}:role/{id}"),
            }),
        })
        .collect();
    let arns_of = |kind: IdentityKind| {
        identities
            .iter()
            .filter(|ip| ip.identity.kind == kind)
            .map(|ip| ip.arn.clone())
            .collect()
    };
    Environment {
        roles: infos,
        functions,
        users: arns_of(IdentityKind::User),
        groups: arns_of(IdentityKind::Group),
        ..Environment::default()
    }
}

fn severity_of(method_severity: &str) -> Severity {
    match method_severity.to_ascii_lowercase().as_str() {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "low" => Severity::Low,
        _ => Severity::Medium,
    }
}

pub fn lowered(severity: Severity) -> Severity {
    match severity {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

/// What a finding says about the principal that can escalate.
struct Subject<'a> {
    /// Resource id of the finding.
    id: &'a str,
    /// `Role `X` (used by f)` and its Chinese counterpart.
    what_en: String,
    what_zh: String,
    element_loc: Loc,
    ignores: Vec<fnguard_model::Ignore>,
    names: &'a [String],
    policy_locs: &'a [Loc],
    /// How many policies (from the first) are written in the files.
    in_files: usize,
    escalations: &'a [Escalation],
}

pub fn check(ctx: &Ctx, analysis: &Analysis, out: &mut Vec<Raw>) {
    let dep = ctx.dep;
    if analysis.roles.iter().all(|rp| rp.escalations.is_empty())
        && analysis
            .identities
            .iter()
            .all(|ip| ip.escalations.is_empty())
    {
        return;
    }
    let mut users_of: HashMap<&str, Vec<&Function>> = HashMap::default();
    for f in &dep.functions {
        if let Some(role) = local_role(f) {
            users_of.entry(role).or_default().push(f);
        }
    }
    for rp in &analysis.roles {
        if rp.escalations.is_empty() {
            continue;
        }
        let users: &[&Function] = users_of.get(rp.role.id.as_str()).map_or(&[], Vec::as_slice);
        let used_by = if users.is_empty() {
            String::new()
        } else {
            let ids: Vec<&str> = users.iter().map(|f| f.id.as_str()).collect();
            format!(" (used by {})", ids.join(", "))
        };
        let used_by_zh = if users.is_empty() {
            String::new()
        } else {
            let ids: Vec<&str> = users.iter().map(|f| f.id.as_str()).collect();
            format!("（被 {} 使用）", ids.join("、"))
        };
        let mut ignores = rp.role.ignores.clone();
        // SAM and Serverless copy a function's Metadata ignores onto
        // the role they generate; honour ignores all users share.
        if let Some((first, rest)) = users.split_first() {
            ignores.extend(
                first
                    .ignores
                    .iter()
                    .filter(|i| {
                        rest.iter().all(|f| {
                            f.ignores.iter().any(|j| {
                                j.rule_id == "*" || j.rule_id.eq_ignore_ascii_case(&i.rule_id)
                            })
                        })
                    })
                    .cloned(),
            );
        }
        let subject = Subject {
            id: &rp.role.id,
            what_en: format!("Role `{}`{used_by}", rp.role.id),
            what_zh: format!("角色 `{}`{used_by_zh}", rp.role.id),
            element_loc: rp.role.loc,
            ignores,
            names: &rp.names,
            policy_locs: &rp.policy_locs,
            in_files: rp.role.policies.len(),
            escalations: &rp.escalations,
        };
        report(ctx, &subject, out);
    }
    for ip in &analysis.identities {
        if ip.escalations.is_empty() {
            continue;
        }
        let identity = ip.identity;
        let (kind_en, kind_zh) = match identity.kind {
            IdentityKind::User => ("IAM user", "IAM 用户"),
            IdentityKind::Group => ("IAM group", "IAM 组"),
        };
        // `(name; members: a, b)`: the name when it differs from the id,
        // a group's members declared in the files.
        let name = identity
            .name
            .as_deref()
            .filter(|name| *name != identity.id)
            .map(str::to_string);
        let members: Vec<&str> = match identity.kind {
            IdentityKind::Group => dep
                .identities
                .iter()
                .filter(|u| {
                    u.groups
                        .iter()
                        .any(|g| matches!(g, Ref::Local(id) if *id == identity.id))
                })
                .map(|u| u.id.as_str())
                .collect(),
            IdentityKind::User => Vec::new(),
        };
        let mut notes_en: Vec<String> = name.iter().cloned().collect();
        let mut notes_zh = notes_en.clone();
        if !members.is_empty() {
            notes_en.push(format!("members: {}", members.join(", ")));
            notes_zh.push(format!("成员：{}", members.join("、")));
        }
        let (notes_en, notes_zh) = if notes_en.is_empty() {
            (String::new(), String::new())
        } else {
            (
                format!(" ({})", notes_en.join("; ")),
                format!("（{}）", notes_zh.join("；")),
            )
        };
        let subject = Subject {
            id: &identity.id,
            what_en: format!("{kind_en} `{}`{notes_en}", identity.id),
            what_zh: format!("{kind_zh} `{}`{notes_zh}", identity.id),
            element_loc: identity.loc,
            ignores: identity.ignores.clone(),
            names: &ip.names,
            policy_locs: &ip.policy_locs,
            in_files: ip.in_files,
            escalations: &ip.escalations,
        };
        report(ctx, &subject, out);
    }
}

/// One finding per method the subject's escalations use.
fn report(ctx: &Ctx, subject: &Subject, out: &mut Vec<Raw>) {
    // One finding per method: group the escalations (several targets).
    let mut methods: Vec<(&str, Vec<&Escalation>)> = Vec::new();
    for e in subject.escalations {
        match methods.iter_mut().find(|(id, _)| *id == e.method.id) {
            Some((_, list)) => list.push(e),
            None => methods.push((e.method.id.as_str(), vec![e])),
        }
    }
    for (method_id, list) in methods {
        let certain = list.iter().any(|e| e.strength == Decision::Allowed);
        let best = list
            .iter()
            .find(|e| e.strength == Decision::Allowed)
            .unwrap_or(&list[0]);
        let method = best.method;
        let mut targets: Vec<&str> = Vec::new();
        for e in &list {
            if (e.strength == Decision::Allowed) == certain
                && !targets.contains(&e.target.description.as_str())
            {
                targets.push(&e.target.description);
            }
        }
        let more = targets.len().saturating_sub(SHOWN_TARGETS);
        let mut target_text = targets[..targets.len().min(SHOWN_TARGETS)].join("; ");
        if more > 0 {
            target_text.push_str(&format!(" and {more} more"));
        }
        let actions: Vec<&str> = best.steps.iter().map(|s| s.action.as_str()).collect();
        let mut keys: Vec<&str> = Vec::new();
        if !certain {
            for e in &list {
                for k in &e.unresolved {
                    if !keys.contains(&k.as_str()) {
                        keys.push(k);
                    }
                }
            }
        }
        let (cond_en, cond_zh) = if certain {
            (String::new(), String::new())
        } else {
            (
                format!(" Conditional on {}: fnguard cannot evaluate them, so the severity is one level lower.", keys.join(", ")),
                format!(" 取决于 {}：fnguard 无法判断这些条件，因此严重级别降低一级。", keys.join("、")),
            )
        };
        let message = Text::new(
            format!(
                "{} can escalate privileges by {} ({}): {} reaches {target_text}.{cond_en}",
                subject.what_en,
                method.name,
                method.id,
                actions.join(" + "),
            ),
            format!(
                "{}可以通过 {}（{}）提升权限：{} 可到达 {target_text}。{cond_zh}",
                subject.what_zh,
                method.name,
                method.id,
                actions.join(" + "),
            ),
        );
        // The finding points at the first enabling statement written in
        // the template (managed documents have no template location).
        let mut related: Vec<(Loc, String, String)> = Vec::new();
        for step in &best.steps {
            for s in &step.statements {
                let in_template = s.policy < subject.in_files;
                let loc = if in_template {
                    s.loc
                } else {
                    subject.policy_locs[s.policy]
                };
                let name = s
                    .policy_name
                    .clone()
                    .unwrap_or_else(|| subject.names[s.policy].clone());
                let sid = s
                    .sid
                    .as_deref()
                    .map(|sid| format!(" ({sid})"))
                    .unwrap_or_default();
                let en = format!(
                    "policy `{name}` statement {}{sid} allows {}",
                    s.statement + 1,
                    step.action
                );
                if !related.iter().any(|(l, e, _)| *l == loc && *e == en) {
                    let zh = format!(
                        "策略 `{name}` 的第 {} 条语句{sid}允许 {}",
                        s.statement + 1,
                        step.action
                    );
                    related.push((loc, en, zh));
                }
            }
        }
        let loc = related.first().map_or(subject.element_loc, |r| r.0);
        let severity = if certain {
            severity_of(&method.severity)
        } else {
            lowered(severity_of(&method.severity))
        };
        let mut finding = ctx
            .finding(&RULES[0], subject.id, loc, message, method_id)
            .with_severity(severity)
            .with_evidence(format!(
                "method={} strength={:?} target={}",
                method.id, best.strength, best.target.description
            ));
        for (loc, en, zh) in related {
            finding = finding.with_related(ctx.src(loc), Text::new(en, zh));
        }
        out.push(Raw {
            finding,
            element_loc: subject.element_loc,
            element_ignores: subject.ignores.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnguard_iam::privesc::assess;

    #[test]
    fn role_arns_use_the_name_policies_use() {
        let arn = |name: Field<String>| {
            let mut role = Role::new("aws_iam_role.fn", Loc::default());
            role.name = name;
            role_arn(&role)
        };
        let known = |s: &str| Field::Known(s.to_string(), Loc::default());
        let prefix = "arn:aws:iam::${AWS::AccountId}:role/";
        assert_eq!(arn(known("orders-fn")), format!("{prefix}orders-fn"));
        assert_eq!(
            arn(known("orders-${AWS::Region}")),
            format!("{prefix}orders-${{AWS::Region}}")
        );
        // AWS generates the name, or the files leave it open: the id.
        for name in [
            Field::Absent,
            Field::Unknown(Loc::default()),
            known("orders-${Stage}"),
            known("orders-*-fn"),
        ] {
            assert_eq!(arn(name), format!("{prefix}aws_iam_role.fn"));
        }
        // A `name_prefix` role: `prefix*` patterns reach it, the exact name
        // of another role with that prefix does not.
        let prefixed = arn(known("orders-*"));
        assert!(!prefixed.contains('*'));
        assert!(fnguard_iam::arn_matches(
            &format!("{prefix}orders-*"),
            &prefixed
        ));
        assert!(!fnguard_iam::arn_matches(
            &format!("{prefix}orders-fn"),
            &prefixed
        ));
        // The path is part of the ARN; an open path leaves it unknown.
        let pathed = |path: Field<String>| {
            let mut role = Role::new("aws_iam_role.fn", Loc::default());
            role.name = known("worker");
            role.path = path;
            role_arn(&role)
        };
        assert_eq!(pathed(known("/")), format!("{prefix}worker"));
        assert_eq!(pathed(known("/orders/")), format!("{prefix}orders/worker"));
        for path in [Field::Unknown(Loc::default()), known("/${Team}/")] {
            assert_eq!(pathed(path), format!("{prefix}aws_iam_role.fn"));
        }
    }

    /// The prefilter only skips work: on every role of every rule fixture,
    /// a role it rules out gets nothing from `assess` (full environment),
    /// and the compact environment finds the same methods as the full one.
    #[test]
    fn prefilter_and_compact_environment_change_no_result() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/rules");
        let mut principals_seen = 0;
        let mut identities_seen = 0;
        let mut ruled_out = 0;
        for dir in std::fs::read_dir(&root).expect("tests/rules").flatten() {
            for file in std::fs::read_dir(dir.path()).expect("rule dir").flatten() {
                let name = file.file_name().to_string_lossy().to_string();
                let path = file.path();
                let text = std::fs::read_to_string(&path).expect("fixture");
                let display = path.display().to_string();
                let dep = match name.split_once('-').map(|(f, _)| f) {
                    Some("cfn" | "sam") => fnguard_model::cfn::load(&display, &text).ok(),
                    Some("sls") => fnguard_model::serverless::load(&display, &text).ok(),
                    Some("tf") => fnguard_model::terraform::load_module(&[(display, text)]).0,
                    _ => None,
                };
                let Some(dep) = dep else { continue };
                let analysis = analyse(&dep);
                let admins = vec![false; analysis.roles.len()];
                let env = environment(&dep, &analysis.roles, &admins, &analysis.identities);
                let kinds = Kinds::new(&env);
                let ctx = Context::new();
                // Users and groups go through the same prefilter and
                // compact environment.
                let principals = analysis
                    .roles
                    .iter()
                    .map(|rp| (rp.role.id.as_str(), rp.arn.as_str(), rp.policies.as_slice()))
                    .chain(analysis.identities.iter().map(|ip| {
                        identities_seen += 1;
                        (
                            ip.identity.id.as_str(),
                            ip.arn.as_str(),
                            ip.policies.as_slice(),
                        )
                    }));
                for (id, arn, policies) in principals {
                    principals_seen += 1;
                    let full = assess_as(policies, &[], Some(arn), &ctx, &env);
                    if !may_escalate(policies) {
                        ruled_out += 1;
                        assert!(full.is_empty(), "{name}: {id} ruled out");
                        assert!(assess(policies, &ctx, &env).is_empty());
                        continue;
                    }
                    let small = kinds.compact(&env, arn);
                    let ids = |list: &[Escalation]| {
                        let mut ids: Vec<(String, bool)> = list
                            .iter()
                            .map(|e| (e.method.id.clone(), e.strength == Decision::Allowed))
                            .collect();
                        ids.sort();
                        ids.dedup();
                        ids
                    };
                    let compact = assess_as(policies, &[], Some(arn), &ctx, &small);
                    assert_eq!(ids(&full), ids(&compact), "{name}: {id}");
                }
            }
        }
        assert!(
            principals_seen > 50 && ruled_out > 20 && identities_seen >= 10,
            "{principals_seen} {ruled_out} {identities_seen}"
        );
    }
}
