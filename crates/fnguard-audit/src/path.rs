//! Area `PATH`: attack paths (guide §2.2). A path joins an entry point an
//! outsider can use to make a function run, the function, and what running
//! code in it gains: its role's power (data stores, secrets and
//! parameters, changing functions or IAM, escalation from FG-IAM-008) and
//! its network position (databases and caches whose security groups admit
//! it, worked out in `reach`).
//!
//! Exposure of the entry point:
//! * 3 anonymous: API route without authorization (or API key only),
//!   function URL with AuthType NONE, invoke permission for `*`, a bucket,
//!   queue or topic of the files whose policy or ACL lets `*` write to it
//!   (FG-TRIG-006);
//! * 2 foreign account: invoke permission for another account, a trigger
//!   whose source ARN names a concrete account, a `*` permission behind
//!   AWS_IAM URL auth, a bucket, queue or topic of the files whose policy
//!   lets another account write to it;
//! * 1 unknown source: a queue/topic/bucket/stream trigger whose source
//!   the files do not determine.
//!
//! Impact of the function (the highest one decides):
//! * 4 administrator access or a privilege escalation, or IAM write /
//!   permissions management;
//! * 3 reading secrets or parameters (`secretsmanager:GetSecretValue`,
//!   `ssm:GetParameter*`, `kms:Decrypt`), writing data stores, changing
//!   other functions (`lambda:UpdateFunctionCode/Configuration`);
//! * 2 reading data stores, network reach to a database or cache.
//!
//! A grant that is only conditional counts one level lower. Score =
//! exposure × impact: ≥ 9 critical, 6..8 high, 3..5 medium; below 3 no
//! finding. One finding per entry point × function (all the routes of one
//! API to one function are one entry point), listing every impact; findings
//! are emitted most dangerous first and the score is in the evidence.
//!
//! The role's power is computed once per role, from the statements'
//! action patterns (candidate impacts) confirmed by the evaluator over all
//! the role's policies, so Deny and NotAction count.
//!
//! Each finding also carries the chain as data (`Finding::attack_path`):
//! its steps point into the related locations, and SARIF code flows and
//! `--graph` are drawn from it.

use crate::privesc::{Analysis, RolePower};
use crate::reach::{self, Network};
use crate::trig::Principal;
use crate::{trig, Ctx, Raw};
use fnguard_core::fast_hash::HashMap;
use fnguard_core::{Area, AttackPath, Field, Loc, PathStep, RuleMeta, Severity, StepKind, Text};
use fnguard_iam::catalog::{catalog, AccessLevel};
use fnguard_iam::wildcard::{action_matches, arn_parts};
use fnguard_iam::{ActionSet, Context, Decision, Effect, Evaluator, ResourceSet};
use fnguard_model::{Function, Ref, TriggerKind, SELF_ACCOUNT};

pub static RULES: &[RuleMeta] = &[ATTACK_PATH];

pub const ATTACK_PATH: RuleMeta = RuleMeta {
    id: "FG-PATH-001",
    area: Area::Path,
    severity: Severity::Critical,
    guide: &["2.2", "3.1.1", "3.1.2"],
    attack: &["T1190", "T1078.004", "T1552.005", "T1530"],
    title_en: "Attack path: exposed entry point reaches a function with sensitive impact",
    title_zh: "攻击路径：暴露的入口可到达具有敏感影响的函数",
    description_en: "An entry point outsiders can use (an API route without authorization or with an API key only, a function URL with AuthType NONE, an invoke permission for `*` or another account without SourceArn/SourceAccount/PrincipalOrgID, a trigger from another account's or an undetermined queue, topic, bucket or stream, a bucket, queue or topic whose resource policy or ACL lets `*` or another account write to it (FG-TRIG-006)) runs a function whose role or network position reaches something valuable: administrator access or a privilege escalation (FG-IAM-008), IAM changes, secrets and parameters (secretsmanager:GetSecretValue, ssm:GetParameter*, kms:Decrypt), writes or reads of data stores (judged with the action catalog's access levels), changes to other functions (lambda:UpdateFunctionCode/UpdateFunctionConfiguration), or databases and caches its network position reaches: a data store (RDS, Aurora, RDS Proxy, ElastiCache, MemoryDB, Redshift, OpenSearch, DocumentDB, Neptune, DAX) whose security group admits the function's security group or an address range on the store's port while the function's egress lets that traffic out (certain when a rule names the function's group or 0.0.0.0/0, possible for other ranges, unknown groups or a shared subnet), or one its configuration names. Grants are evaluated over all the role's policies (Deny and NotAction honoured) and capped by its permissions boundary (one fnguard cannot read makes them conditional); the permissions every SQS consumer needs on its queue are not an impact. Severity = exposure × impact. Exposure: anonymous 3, foreign account 2, unknown source 1. Impact: admin, escalation or IAM write 4; secrets, data writes or function changes 3; data reads or network reach to a database 2; a conditional grant counts one less. Score 9-12 critical, 6-8 high, 3-5 medium, below 3 not reported. One finding per entry point and function, with a one-line story and the chain of locations (entry, function, role, granting statements, admitting security-group rules) in path order, also as data (JSON `attack_path`, SARIF code flows, `--graph`); findings are ranked by score (in the evidence).",
    description_zh: "外部人员可使用的入口（没有授权或仅有 API 密钥的 API 路由、AuthType 为 NONE 的函数 URL、面向 `*` 或其他账户且没有 SourceArn/SourceAccount/PrincipalOrgID 的调用权限、来自其他账户或来源未确定的队列、主题、存储桶或流的触发器、资源策略或 ACL 允许 `*` 或其他账户写入的存储桶、队列或主题（FG-TRIG-006））会运行某个函数，而该函数的角色或网络位置可以触及有价值的东西：管理员权限或提权（FG-IAM-008）、IAM 变更、密钥和参数（secretsmanager:GetSecretValue、ssm:GetParameter*、kms:Decrypt）、数据存储的写入或读取（依据操作目录的访问级别判断）、修改其他函数（lambda:UpdateFunctionCode/UpdateFunctionConfiguration），或其网络位置可达的数据库和缓存：数据存储（RDS、Aurora、RDS Proxy、ElastiCache、MemoryDB、Redshift、OpenSearch、DocumentDB、Neptune、DAX）的安全组在其端口上放行函数的安全组或某个地址段，且函数的出站规则允许该流量（规则指明函数的安全组或 0.0.0.0/0 时为确定，其他地址段、未知安全组或共享子网时为可能），或函数配置中指明的数据存储。授权在角色的全部策略上一起评估（遵循 Deny 和 NotAction），并受其权限边界限制（fnguard 无法读取的边界使授权变为有条件）；每个 SQS 消费者在其队列上必需的权限不算影响。严重级别 = 暴露程度 × 影响。暴露程度：匿名 3，外部账户 2，来源未知 1。影响：管理员、提权或 IAM 写入 4；密钥、数据写入或修改函数 3；数据读取或可达数据库的网络位置 2；有条件的授权减一。得分 9-12 为严重，6-8 为高，3-5 为中，低于 3 不报告。每个入口与函数的组合报告一条，附一行攻击叙述和按路径顺序排列的位置链（入口、函数、角色、授权语句、放行的安全组规则），并以数据形式给出（JSON `attack_path`、SARIF 代码流、`--graph`）；结果按得分排序（得分见 evidence）。",
    risk_en: "This is the attack the guide describes in §2.2: an anonymous caller triggers the function, exploits its code or dependencies, and uses the function's credentials and network position to read internal databases, steal secrets or escalate to more of the account. Each link alone may look acceptable; together they are a direct path from the internet to the crown jewels.",
    risk_zh: "这正是指南 §2.2 描述的攻击：匿名调用者触发函数，利用其代码或依赖的漏洞，再借助函数的凭证和网络位置读取内部数据库、窃取密钥，或进一步提升在账户中的权限。每个环节单独看也许可以接受，组合起来就是一条从互联网直达核心资产的路径。",
    remediation_en: "Break the path at its cheapest link: require authorization on the entry point (an authorizer on the API route, AuthType AWS_IAM on the URL, SourceArn/SourceAccount/PrincipalOrgID on the permission, only named writers in the policy of a bucket, queue or topic that triggers the function, see FG-TRIG-006), and cut the function's role to what it needs (scope secrets and parameters to the ones it reads, drop IAM and Lambda management actions, remove escalation methods), and let a database's security group admit only the security groups of the functions that need it, on its port. \
Where: CloudFormation `AuthorizationType` of `AWS::ApiGateway::Method` / `AWS::ApiGatewayV2::Route`, `AuthType` of `AWS::Lambda::Url`, `SourceArn` of `AWS::Lambda::Permission`, the role's `Policies`; SAM `Auth.DefaultAuthorizer`, `FunctionUrlConfig.AuthType`, function `Policies`; Serverless `authorizer` on `http`/`httpApi` events, `url.authorizer: aws_iam`, `provider.iam.role.statements` or a per-function role; Terraform `authorization` of `aws_api_gateway_method`, `authorization_type` of `aws_lambda_function_url`, `source_arn` of `aws_lambda_permission`, the `policy` of `aws_iam_role_policy`; the database's security group: CloudFormation `SecurityGroupIngress` or `AWS::EC2::SecurityGroupIngress` (`SourceSecurityGroupId`), Terraform `ingress` blocks, `aws_security_group_rule` or `aws_vpc_security_group_ingress_rule` (`referenced_security_group_id`).",
    remediation_zh: "在代价最小的环节切断路径：入口要求授权（API 路由加授权器、函数 URL 使用 AuthType AWS_IAM、调用权限加 SourceArn/SourceAccount/PrincipalOrgID，触发函数的存储桶、队列或主题的策略只允许指定的写入方，见 FG-TRIG-006），把函数角色收窄到所需权限（密钥和参数只限它读取的那些，去掉 IAM 和 Lambda 管理操作，消除提权方法），并让数据库的安全组只在其端口上放行需要它的函数的安全组。\
位置：CloudFormation 中 `AWS::ApiGateway::Method` / `AWS::ApiGatewayV2::Route` 的 `AuthorizationType`、`AWS::Lambda::Url` 的 `AuthType`、`AWS::Lambda::Permission` 的 `SourceArn`、角色的 `Policies`；SAM 的 `Auth.DefaultAuthorizer`、`FunctionUrlConfig.AuthType`、函数 `Policies`；Serverless 中 `http`/`httpApi` 事件的 `authorizer`、`url.authorizer: aws_iam`、`provider.iam.role.statements` 或按函数配置的角色；Terraform 中 `aws_api_gateway_method` 的 `authorization`、`aws_lambda_function_url` 的 `authorization_type`、`aws_lambda_permission` 的 `source_arn`、`aws_iam_role_policy` 的 `policy`；数据库的安全组：CloudFormation 的 `SecurityGroupIngress` 或 `AWS::EC2::SecurityGroupIngress`（`SourceSecurityGroupId`），Terraform 的 `ingress` 块、`aws_security_group_rule` 或 `aws_vpc_security_group_ingress_rule`（`referenced_security_group_id`）。",
    references: &[
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-security.html",
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
        "https://attack.mitre.org/techniques/T1190/",
    ],
};

/// Actions that read credentials or configuration secrets.
const SECRET_ACTIONS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
];

/// Actions that change another function's code or role.
const FUNCTION_ACTIONS: &[&str] = &[
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
];

/// Services whose Read/Write actions reach application data.
const DATA_SERVICES: &[&str] = &[
    "s3",
    "dynamodb",
    "rds",
    "rds-data",
    "sqs",
    "kinesis",
    "es",
    "aoss",
    "redshift-data",
    "elasticache",
    "memorydb",
    "dax",
    "timestream",
];

/// What Lambda's event source mapping needs to consume a queue (the SAM
/// `SQSPollerPolicy`, AWSLambdaSQSQueueExecutionRole). Every SQS-triggered
/// function holds them on its own queue, and they only let it take the
/// messages it is there to process: counted as an impact, every public
/// queue in front of a consumer would look like a path to a data store.
const SQS_CONSUMER_ACTIONS: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:DeleteMessageBatch",
    "sqs:ChangeMessageVisibility",
    "sqs:ChangeMessageVisibilityBatch",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
];

/// How many impacts the story shows before "+N more".
const SHOWN_IMPACTS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    NetworkDb,
    DataRead,
    DataWrite,
    Functions,
    Secrets,
    Iam,
    Escalation,
    Admin,
}

impl Class {
    fn weight(self) -> u32 {
        match self {
            Class::NetworkDb | Class::DataRead => 2,
            Class::DataWrite | Class::Functions | Class::Secrets => 3,
            Class::Iam | Class::Escalation | Class::Admin => 4,
        }
    }
}

#[derive(Debug, Clone)]
struct Impact {
    class: Class,
    /// `dynamodb:* on *`, `escalation: <method>`.
    label: String,
    /// The granting statement (or the internal reference).
    loc: Loc,
    certain: bool,
}

impl Impact {
    fn weight(&self) -> u32 {
        if self.certain {
            self.class.weight()
        } else {
            self.class.weight() - 1
        }
    }
}

/// The impact classes of each action pattern, shared by the roles of one
/// deployment (`pattern_classes` does not depend on the role).
type ClassCache<'d> = HashMap<&'d str, Vec<(Class, &'static str)>>;

/// What running code with a role gains, computed once per role.
fn role_impacts<'d>(rp: &RolePower<'d>, class_cache: &mut ClassCache<'d>) -> Vec<Impact> {
    let ctx = Context::new();
    let mut evaluators: HashMap<String, Evaluator> = HashMap::default();
    let mut out: Vec<Impact> = Vec::new();
    let mut probe = |class: Class, action: &str, pattern: &str, resource: &str, loc: Loc| {
        // The key is copied only for a resource seen the first time.
        let eval = match evaluators.get(resource) {
            Some(eval) => eval,
            None => evaluators
                .entry(resource.to_string())
                .or_insert_with(|| Evaluator::new(&rp.policies, resource, &ctx)),
        };
        let certain = match eval.decide(action) {
            Decision::Allowed => true,
            Decision::Conditional => false,
            Decision::Denied | Decision::NotAllowed => return,
        };
        // The role's permissions boundary caps the grant too.
        let certain = match rp.boundary.decide(action, resource, &ctx) {
            Decision::Allowed => certain,
            Decision::Conditional => false,
            Decision::Denied | Decision::NotAllowed => return,
        };
        if let Some(existing) = out
            .iter_mut()
            .find(|i| i.class == class && is_label(&i.label, pattern, resource))
        {
            existing.certain |= certain;
            return;
        }
        out.push(Impact {
            class,
            label: format!("{pattern} on {resource}"),
            loc,
            certain,
        });
    };
    for (pi, &policy) in rp.policies.iter().enumerate() {
        let in_template = pi < rp.role.policies.len();
        for stmt in &policy.statements {
            if stmt.effect != Effect::Allow {
                continue;
            }
            let loc = if in_template {
                stmt.loc
            } else {
                rp.policy_locs[pi]
            };
            let resources: Vec<&str> = match &stmt.resources {
                // An unresolved resource is skipped: the grant exists, but
                // on what fnguard cannot say, and it must not be widened.
                ResourceSet::Resource(vals) => vals.iter().filter_map(|v| v.as_str()).collect(),
                ResourceSet::NotResource(_) | ResourceSet::Absent => vec!["*"],
            };
            match &stmt.actions {
                ActionSet::Action(vals) => {
                    for pattern in vals.iter().filter_map(|v| v.as_str()) {
                        let classes = class_cache
                            .entry(pattern)
                            .or_insert_with(|| pattern_classes(pattern));
                        if classes.is_empty() {
                            continue;
                        }
                        for resource in &resources {
                            // `s3:PutObject` on a DynamoDB table ARN grants
                            // nothing: a resource of another service is no
                            // impact of this action.
                            if other_service(pattern, resource) {
                                continue;
                            }
                            for (class, action) in classes.iter() {
                                probe(*class, action, pattern, resource, loc);
                            }
                        }
                    }
                }
                // NotAction: probe the representative actions of every
                // class; the evaluator decides what the list excludes.
                ActionSet::NotAction(_) => {
                    for resource in &resources {
                        for action in SECRET_ACTIONS.iter().chain(FUNCTION_ACTIONS) {
                            classify(action, resource, loc, &mut probe);
                        }
                        classify("iam:PutRolePolicy", resource, loc, &mut probe);
                        classify("dynamodb:PutItem", resource, loc, &mut probe);
                        classify("s3:GetObject", resource, loc, &mut probe);
                    }
                }
                ActionSet::Absent => {}
            }
        }
    }
    for e in &rp.escalations {
        let certain = e.strength == Decision::Allowed;
        let label = format!("privilege escalation by {}", e.method.name);
        if let Some(existing) = out
            .iter_mut()
            .find(|i| i.class == Class::Escalation && i.label == label)
        {
            existing.certain |= certain;
            continue;
        }
        let loc = e
            .steps
            .iter()
            .flat_map(|s| &s.statements)
            .find(|s| s.policy < rp.role.policies.len())
            .map_or(rp.role.loc, |s| s.loc);
        out.push(Impact {
            class: Class::Escalation,
            label,
            loc,
            certain,
        });
    }
    out
}

/// `label == format!("{pattern} on {resource}")`, without building it.
fn is_label(label: &str, pattern: &str, resource: &str) -> bool {
    label.len() == pattern.len() + " on ".len() + resource.len()
        && label.starts_with(pattern)
        && label[pattern.len()..].starts_with(" on ")
        && label.ends_with(resource)
}

/// The resource is an ARN of a concrete service other than the action
/// pattern's (concrete) service.
fn other_service(pattern: &str, resource: &str) -> bool {
    let Some(service) = pattern.split_once(':').map(|(s, _)| s) else {
        return false;
    };
    let Some(parts) = arn_parts(resource) else {
        return false;
    };
    let arn_service = parts[2];
    !service.contains(['*', '?'])
        && !arn_service.contains(['*', '?'])
        && !arn_service.eq_ignore_ascii_case(service)
}

/// Turn one granted action pattern into candidate impacts, each with the
/// action that stands for it.
fn classify(
    pattern: &str,
    resource: &str,
    loc: Loc,
    probe: &mut impl FnMut(Class, &str, &str, &str, Loc),
) {
    for (class, action) in pattern_classes(pattern) {
        probe(class, action, pattern, resource, loc);
    }
}

/// The impact classes a pattern may grant (same answer for every resource
/// and role, so worked out once per pattern).
fn pattern_classes(pattern: &str) -> Vec<(Class, &'static str)> {
    let mut out = Vec::new();
    if pattern == "*" || pattern == "*:*" {
        // Administrator: judged on the action that matters most.
        out.push((Class::Admin, "iam:CreateAccessKey"));
        return out;
    }
    let Some((service, _)) = pattern.split_once(':') else {
        return out;
    };
    let service = service.to_ascii_lowercase();
    let wild = service.contains(['*', '?']);
    if wild || matches!(service.as_str(), "secretsmanager" | "ssm" | "kms") {
        if let Some(action) = SECRET_ACTIONS.iter().find(|a| action_matches(pattern, a)) {
            out.push((Class::Secrets, *action));
        }
    }
    if wild || service == "lambda" {
        if let Some(action) = FUNCTION_ACTIONS.iter().find(|a| action_matches(pattern, a)) {
            out.push((Class::Functions, *action));
        }
    }
    let is_iam = service == "iam";
    if !is_iam && !DATA_SERVICES.contains(&service.as_str()) {
        return out;
    }
    let mut write = None;
    let mut read = None;
    // A literal action is one lookup; only wildcards scan the service.
    let infos = if pattern.contains(['*', '?']) {
        catalog().expand(pattern)
    } else {
        catalog().lookup(pattern).into_iter().collect()
    };
    for info in infos {
        if service == "sqs"
            && SQS_CONSUMER_ACTIONS
                .iter()
                .any(|a| a.eq_ignore_ascii_case(info.name))
        {
            continue;
        }
        match info.level {
            AccessLevel::Write | AccessLevel::PermissionsManagement => {
                write.get_or_insert(info.name);
            }
            AccessLevel::Read if !is_iam => {
                read.get_or_insert(info.name);
            }
            _ => {}
        }
    }
    if is_iam {
        if let Some(action) = write {
            out.push((Class::Iam, action));
        }
        return out;
    }
    if let Some(action) = write {
        out.push((Class::DataWrite, action));
    } else if let Some(action) = read {
        out.push((Class::DataRead, action));
    }
    out
}

/// A way in: what it is, how exposed, where.
struct Entry {
    exposure: u32,
    /// `anonymous HTTP → POST /orders`.
    story: String,
    story_zh: String,
    key: String,
    loc: Loc,
    related: Vec<(Loc, String, String)>,
}

fn exposure_name(exposure: u32) -> (&'static str, &'static str) {
    match exposure {
        3 => ("anonymous", "匿名"),
        2 => ("foreign account", "外部账户"),
        _ => ("unknown source", "来源未知"),
    }
}

/// An unauthorized route: method, path, where, API key only.
type OpenRoute<'a> = (&'a str, &'a str, Loc, bool);

/// Entry points per function id, in model order.
fn entries<'a>(ctx: &Ctx<'a>) -> HashMap<&'a str, Vec<Entry>> {
    let dep = ctx.dep;
    let mut out: HashMap<&str, Vec<Entry>> = HashMap::default();
    let own = if dep.permissions.is_empty() {
        Default::default()
    } else {
        trig::own_accounts(ctx)
    };
    let sources = trig::SourcePolicies::new(ctx);
    // Grants of each local source, judged once however many functions it
    // triggers.
    let mut grants: HashMap<(&str, u8), Option<trig::SourceGrant>> = HashMap::default();
    let local = |r: &Ref| match r {
        Ref::Local(id) => dep.function(id).map(|f| f.id.as_str()),
        _ => None,
    };
    for api in &dep.apis {
        // Private or undetermined endpoints, and APIs whose resource policy
        // may restrict callers, are not judged open (the FG-TRIG-003/004
        // test: a policy that only allows everyone restricts nothing).
        if !matches!(api.private_endpoint, Field::Absent | Field::Known(false, _))
            || api
                .resource_policy
                .as_ref()
                .is_some_and(trig::restricts_callers)
        {
            continue;
        }
        let mut per_fn: Vec<(&str, Vec<OpenRoute>)> = Vec::new();
        for route in &api.routes {
            let Some((auth_loc, key_only)) = trig::open_route(api, route) else {
                continue;
            };
            let Some(function) = route.function.as_deref().and_then(|id| dep.function(id)) else {
                continue;
            };
            let loc = if auth_loc.line > 0 {
                auth_loc
            } else {
                route.loc
            };
            let routes = match per_fn.iter_mut().find(|(f, _)| *f == function.id) {
                Some((_, routes)) => routes,
                None => {
                    per_fn.push((function.id.as_str(), Vec::new()));
                    &mut per_fn.last_mut().expect("just pushed").1
                }
            };
            routes.push((route.method.as_str(), route.path.as_str(), loc, key_only));
        }
        for (function, routes) in per_fn {
            let (method, path, loc, key_only) = routes[0];
            let more = if routes.len() > 1 {
                format!(" (+{} more routes)", routes.len() - 1)
            } else {
                String::new()
            };
            let more_zh = if routes.len() > 1 {
                format!("（另有 {} 条路由）", routes.len() - 1)
            } else {
                String::new()
            };
            let (who, who_zh) = if key_only {
                ("HTTP with an API key only", "仅凭 API 密钥的 HTTP")
            } else {
                ("anonymous HTTP", "匿名 HTTP")
            };
            let related = routes
                .iter()
                .map(|(m, p, l, _)| {
                    (
                        *l,
                        format!("route {m} {p} of API {} has no authorization", api.id),
                        format!("API {} 的路由 {m} {p} 没有授权", api.id),
                    )
                })
                .collect();
            out.entry(function).or_default().push(Entry {
                exposure: 3,
                story: format!("{who} → {method} {path}{more} (API {})", api.id),
                story_zh: format!("{who_zh} → {method} {path}{more_zh}（API {}）", api.id),
                key: format!("api:{}", api.id),
                loc,
                related,
            });
        }
    }
    for url in &dep.function_urls {
        let Field::Known(auth, loc) = &url.auth_type else {
            continue;
        };
        if !auth.eq_ignore_ascii_case("NONE") {
            continue;
        }
        let Some(function) = local(&url.function) else {
            continue;
        };
        out.entry(function).or_default().push(Entry {
            exposure: 3,
            story: format!("anonymous HTTP → function URL {}", url.id),
            story_zh: format!("匿名 HTTP → 函数 URL {}", url.id),
            key: format!("url:{}", url.id),
            loc: *loc,
            related: vec![(
                *loc,
                format!("function URL {} has AuthType NONE", url.id),
                format!("函数 URL {} 的 AuthType 为 NONE", url.id),
            )],
        });
    }
    for p in &dep.permissions {
        let Field::Known(principal, loc) = &p.principal else {
            continue;
        };
        if trig::is_restricted(p) || p.function_url_auth_type.is_unknown() {
            continue;
        }
        let invokes = match &p.action {
            Field::Known(a, _) => {
                let a = a.to_ascii_lowercase();
                a == "*" || a == "lambda:*" || a.starts_with("lambda:invokefunction")
            }
            _ => false,
        };
        let Some(function) = local(&p.function).filter(|_| invokes) else {
            continue;
        };
        let principal = principal.trim();
        let iam_url = p.function_url_auth_type.eq_ignore_case("AWS_IAM");
        let (exposure, who, who_zh) = match trig::classify_principal(principal) {
            Principal::Everyone if !iam_url => {
                (3, "anyone (`*`)".to_string(), "任何人（`*`）".to_string())
            }
            Principal::Everyone => (
                2,
                "any AWS account".to_string(),
                "任意 AWS 账户".to_string(),
            ),
            // An account id the files themselves place the functions in
            // is the own account, whatever the partition.
            Principal::OtherAccount(account) if !own.contains(&account) => {
                (2, format!("account {account}"), format!("账户 {account}"))
            }
            _ => continue,
        };
        // A `*` permission next to an open function URL is that URL's own
        // permission (FunctionUrlAuthType NONE) or its InvokeFunction
        // companion: the URL entry already stands for it.
        if principal == "*"
            && (p.function_url_auth_type.is_absent()
                || p.function_url_auth_type.eq_ignore_case("NONE"))
            && out
                .get(function)
                .is_some_and(|es| es.iter().any(|e| e.key.starts_with("url:")))
        {
            continue;
        }
        out.entry(function).or_default().push(Entry {
            exposure,
            story: format!("{who} → invoke permission {}", p.id),
            story_zh: format!("{who_zh} → 调用权限 {}", p.id),
            key: format!("perm:{}", p.id),
            loc: *loc,
            related: vec![(
                *loc,
                format!("permission {} lets {who} invoke the function", p.id),
                format!("权限 {} 允许{who_zh}调用该函数", p.id),
            )],
        });
    }
    for f in &dep.functions {
        for (i, t) in f.triggers.iter().enumerate() {
            let queue_like = matches!(
                t.kind,
                TriggerKind::S3
                    | TriggerKind::Sqs
                    | TriggerKind::Sns
                    | TriggerKind::Kinesis
                    | TriggerKind::DynamoDbStream
                    | TriggerKind::Kafka
                    | TriggerKind::Mq
            );
            if !queue_like {
                continue;
            }
            let (exposure, who, who_zh) = match &t.source {
                Ref::External(arn) => match trig::arn_account(arn) {
                    Some(account) if account != SELF_ACCOUNT => (
                        2,
                        format!("account {account} ({arn})"),
                        format!("账户 {account}（{arn}）"),
                    ),
                    _ => continue,
                },
                Ref::Unknown => (
                    1,
                    "an undetermined source".to_string(),
                    "未确定的来源".to_string(),
                ),
                Ref::Local(source) => {
                    let grant = grants
                        .entry((source.as_str(), t.kind as u8))
                        .or_insert_with(|| sources.grant(t.kind, source));
                    let Some(grant) = grant else {
                        continue;
                    };
                    let kind = format!("{:?}", t.kind);
                    let (who, who_zh) = grant.who();
                    let (through, through_zh) = grant.through();
                    let (noun, noun_zh) = trig::source_noun(t.kind);
                    let exposure = match grant.who {
                        trig::Outsider::Anyone => 3,
                        trig::Outsider::Account(_) => 2,
                    };
                    let action = grant.action;
                    out.entry(f.id.as_str()).or_default().push(Entry {
                        exposure,
                        story: format!(
                            "{who} → {action} on {noun} {source} ({through}) → {kind} trigger"
                        ),
                        story_zh: format!(
                            "{who_zh} → {noun_zh} {source} 上的 {action}（{through_zh}）→ {kind} 触发器"
                        ),
                        key: format!("trigger:{i}:{kind}"),
                        loc: grant.loc,
                        related: vec![
                            (
                                grant.loc,
                                format!("{through} lets {who} call {action} on {noun} {source}"),
                                format!("{through_zh} 允许{who_zh}对{noun_zh} {source} 调用 {action}"),
                            ),
                            (
                                t.loc,
                                format!("{kind} trigger from {noun} {source}"),
                                format!("来自{noun_zh} {source} 的 {kind} 触发器"),
                            ),
                        ],
                    });
                    continue;
                }
            };
            let kind = format!("{:?}", t.kind);
            out.entry(f.id.as_str()).or_default().push(Entry {
                exposure,
                story: format!("{who} → {kind} trigger"),
                story_zh: format!("{who_zh} → {kind} 触发器"),
                key: format!("trigger:{i}:{kind}"),
                loc: t.loc,
                related: vec![(
                    t.loc,
                    format!("{kind} trigger from {who}"),
                    format!("来自{who_zh}的 {kind} 触发器"),
                )],
            });
        }
    }
    out
}

fn severity_for(score: u32) -> Option<Severity> {
    match score {
        9.. => Some(Severity::Critical),
        6..=8 => Some(Severity::High),
        3..=5 => Some(Severity::Medium),
        _ => None,
    }
}

/// Impacts of the function's network position: each data store it reaches
/// (see `reach`), once, with the internal references that name the store
/// as evidence; then the other internal resources it references.
fn network_impacts(net: &Network, f: &Function) -> Vec<Impact> {
    let in_vpc = f.vpc.is_known();
    let reached = net.reaches(f);
    let mut out: Vec<Impact> = reached
        .iter()
        .map(|r| {
            let named = f
                .internal_refs
                .iter()
                .find(|i| net.store_of(i).is_some_and(|s| s.id == r.store.id));
            let evidence = named.map_or(String::new(), |i| {
                format!("; named in {}", reach::reference_context(&i.what))
            });
            Impact {
                class: Class::NetworkDb,
                label: format!(
                    "network: {} {}{} {}{evidence}",
                    r.store.kind.name(),
                    r.store.id,
                    reach::endpoint_text(r.store),
                    r.how
                ),
                loc: r.loc,
                // A function that names the store's endpoint connects to it.
                certain: r.certain || named.is_some(),
            }
        })
        .collect();
    let place = if in_vpc { "in VPC, " } else { "" };
    // Stores with an impact already: one per store, however many
    // references name it.
    let mut covered: Vec<&str> = reached.iter().map(|r| r.store.id.as_str()).collect();
    for r in &f.internal_refs {
        let label = match net.store_of(r) {
            Some(store) if covered.contains(&store.id.as_str()) => continue,
            Some(store) => {
                covered.push(store.id.as_str());
                format!(
                    "network: {place}reaches {} {}{}, named in {}",
                    store.kind.name(),
                    store.id,
                    reach::endpoint_text(store),
                    reach::reference_context(&r.what)
                )
            }
            None => format!("network: {place}reaches {}", r.what),
        };
        out.push(Impact {
            class: Class::NetworkDb,
            label,
            loc: r.loc,
            certain: true,
        });
    }
    out
}

pub fn check(ctx: &Ctx, analysis: &Analysis, out: &mut Vec<Raw>) {
    let dep = ctx.dep;
    if dep.functions.is_empty() {
        return;
    }
    let entries = entries(ctx);
    if entries.is_empty() {
        return;
    }
    let mut impacts_by_role: HashMap<&str, Vec<Impact>> = HashMap::default();
    let mut class_cache: ClassCache = HashMap::default();
    let network = Network::new(dep);
    let mut found: Vec<(u32, Raw)> = Vec::new();
    for f in &dep.functions {
        let Some(fn_entries) = entries.get(f.id.as_str()) else {
            continue;
        };
        let role = match &f.role {
            Field::Known(Ref::Local(id), loc) => analysis.role(id).map(|rp| (rp, *loc)),
            _ => None,
        };
        let mut impacts: Vec<Impact> = match role {
            Some((rp, _)) => impacts_by_role
                .entry(rp.role.id.as_str())
                .or_insert_with(|| role_impacts(rp, &mut class_cache))
                .clone(),
            None => Vec::new(),
        };
        impacts.extend(network_impacts(&network, f));
        if impacts.is_empty() {
            continue;
        }
        // Most severe impacts first in the story.
        impacts.sort_by(|a, b| b.weight().cmp(&a.weight()).then(b.class.cmp(&a.class)));
        let impact = impacts[0].weight();
        let shown: Vec<String> = impacts
            .iter()
            .take(SHOWN_IMPACTS)
            .map(|i| {
                if i.certain {
                    i.label.clone()
                } else {
                    format!("{} (conditional)", i.label)
                }
            })
            .collect();
        let mut impact_text = shown.join(", ");
        if impacts.len() > SHOWN_IMPACTS {
            impact_text.push_str(&format!(" (+{} more)", impacts.len() - SHOWN_IMPACTS));
        }
        let role_text = role
            .map(|(rp, _)| format!(" (role {})", rp.role.id))
            .unwrap_or_default();
        let role_text_zh = role
            .map(|(rp, _)| format!("（角色 {}）", rp.role.id))
            .unwrap_or_default();
        for entry in fn_entries {
            let score = entry.exposure * impact;
            let Some(severity) = severity_for(score) else {
                continue;
            };
            let (exp_en, exp_zh) = exposure_name(entry.exposure);
            let message = Text::new(
                format!(
                    "Attack path ({exp_en} entry, score {score}): {} → fn {}{role_text} → {impact_text}",
                    entry.story, f.id
                ),
                format!(
                    "攻击路径（{exp_zh}入口，得分 {score}）：{} → 函数 {}{role_text_zh} → {impact_text}",
                    entry.story_zh, f.id
                ),
            );
            let mut finding = ctx
                .finding(&RULES[0], &f.id, entry.loc, message, &entry.key)
                .with_severity(severity)
                .with_evidence(format!(
                    "score={score} exposure={} impact={} ({:?})",
                    entry.exposure, impact, impacts[0].class
                ));
            // The chain as related locations in path order, and as steps
            // pointing at them (SARIF code flows, `--graph`).
            let mut steps = Vec::with_capacity(impacts.len() + 3);
            steps.push(PathStep {
                kind: StepKind::Entry,
                label: Text::new(entry.story.clone(), entry.story_zh.clone()),
                related: 0,
            });
            for (loc, en, zh) in &entry.related {
                finding = finding.with_related(ctx.src(*loc), Text::new(en.clone(), zh.clone()));
            }
            steps.push(PathStep {
                kind: StepKind::Function,
                label: Text::new(format!("fn {}", f.id), format!("函数 {}", f.id)),
                related: finding.related.len(),
            });
            finding = finding.with_related(
                ctx.src(f.loc),
                Text::new(
                    format!("function {} runs the code", f.id),
                    format!("函数 {} 运行代码", f.id),
                ),
            );
            if let Some((rp, role_loc)) = role {
                steps.push(PathStep {
                    kind: StepKind::Role,
                    label: Text::new(
                        format!("role {}", rp.role.id),
                        format!("角色 {}", rp.role.id),
                    ),
                    related: finding.related.len(),
                });
                finding = finding.with_related(
                    ctx.src(role_loc),
                    Text::new(
                        format!("runs with role {}", rp.role.id),
                        format!("以角色 {} 运行", rp.role.id),
                    ),
                );
            }
            for i in &impacts {
                let kind = if i.class == Class::NetworkDb {
                    StepKind::Reach
                } else {
                    StepKind::Impact
                };
                let (en, zh) = if i.certain {
                    (i.label.clone(), i.label.clone())
                } else {
                    (
                        format!("{} (conditional)", i.label),
                        format!("{}（有条件）", i.label),
                    )
                };
                steps.push(PathStep {
                    kind,
                    label: Text::new(en, zh),
                    related: finding.related.len(),
                });
                finding = finding.with_related(
                    ctx.src(i.loc),
                    Text::new(i.label.clone(), i.label.clone() + "（影响）"),
                );
            }
            finding = finding.with_attack_path(AttackPath { score, steps });
            found.push((
                score,
                Raw {
                    finding,
                    element_loc: f.loc,
                    element_ignores: f.ignores.clone(),
                },
            ));
        }
    }
    // Most dangerous first; ties keep model order (stable sort).
    found.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    out.extend(found.into_iter().map(|(_, raw)| raw));
}
