//! Function execution roles (guide §2.2, §3.1.1, §3.4.3): who changes the
//! permissions of a role a function runs with, and who gives a function a
//! privileged role (PassRole abuse: `iam:PassRole` never appears in
//! CloudTrail as its own event, only as the `role` of the function).
//!
//! The function→role map comes from successful `CreateFunction*` and
//! `UpdateFunctionConfiguration*` records seen (`requestParameters.role`
//! and `functionName`; Lambda event names carry version suffixes) and from
//! the `--inventory` report of `fnguard scan` ([`super::inventory`]).
//!
//! - `FG-DET-102`: `PutRolePolicy`, `AttachRolePolicy`, `DetachRolePolicy`,
//!   `DeleteRolePolicy`, `UpdateAssumeRolePolicy`,
//!   `PutRolePermissionsBoundary` or `DeleteRolePermissionsBoundary` on a
//!   role a function uses (`requestParameters.roleName` against the name at
//!   the end of the role ARN, after its path), naming the functions. High
//!   for what widens the role (policies added, trust changed, boundary
//!   removed), medium for what narrows it (policies removed, a boundary
//!   set).
//! - `FG-DET-103`: the same with an admin-like grant (AdministratorAccess,
//!   IAMFullAccess or PowerUserAccess attached, or an inline policy with
//!   `Action` `*` or `iam:*` on `Resource` `*`): critical.
//! - `FG-DET-104`: a function created with, or switched to, a privileged
//!   role: the inventory says so, or this log showed an admin-like grant
//!   on it (and no later removal of that grant). An update that names the
//!   role the function already had (as seen in the log) is no switch;
//!   when its previous role is unknown, an update setting a privileged
//!   role counts.
//! - `FG-DET-105`: the same when only the role's name says admin (`admin`,
//!   `poweruser`, `superuser`, `fullaccess`): weaker evidence, a name
//!   proves nothing about the policies, so medium.
//!
//! Functions are told apart by account and region, roles by account
//! (`recipientAccountId` and the account of the role ARN), so an
//! organisation trail does not mix up two accounts' `orders-role`; the
//! inventory's names carry no account and match in every account.
//! Failed calls (`errorCode`) changed nothing and are not counted.
//! Memory: at most `max_functions` functions and `max_roles` roles learned
//! from the log (the earliest learned are dropped first); the inventory is
//! reloaded from its file on each run and not saved.

use super::catalog::DetectorInfo;
use super::cloudtrail::{
    base_event_name, failed, function_name, grants_admin, iam_name, policy_document, text,
};
use super::inventory::Inventory;
use super::Detector;
use crate::alert::Alert;
use crate::input::Event;
use fnguard_core::severity::Severity;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const NAME: &str = "function-roles";
const STATE_VERSION: u64 = 1;

pub const ROLE_CHANGED: DetectorInfo = DetectorInfo {
    id: "FG-DET-102",
    detector: NAME,
    severity: Severity::High,
    guide: "2.2, 3.1.1, 3.4.3",
    attack: &["T1098", "T1098.003"],
    title_en: "Permissions of a function's execution role changed",
    title_zh: "函数执行角色的权限被修改",
    description_en:
        "A policy was put on, attached to, detached from or deleted from a role that a \
        Lambda function runs with, its trust policy was replaced, or its permissions boundary was \
        set or removed. Whatever the function's code can do changes with it, and an attacker who \
        controls the code (or its stolen credentials) gains what the role gains. High when the \
        change widens the role, medium when it narrows it.",
    description_zh: "某个 Lambda 函数所用执行角色被添加、附加、分离或删除了策略，信任策略被替换，\
        或权限边界被设置或移除。函数代码能做的事随之改变，控制代码（或其被盗凭证）的攻击者\
        也随之获得角色新增的权限。放宽角色时为高，收窄时为中。",
    remediation_en: "Check the change against your infrastructure-as-code and the person who made \
        it; revert it if it is not a reviewed deployment, and allow iam:PutRolePolicy, \
        iam:AttachRolePolicy and iam:UpdateAssumeRolePolicy on function roles only to the \
        deployment pipeline.",
    remediation_zh: "对照基础设施即代码与操作者核实该修改；若非经过评审的部署则回滚，并只允许\
        部署流水线对函数角色执行 iam:PutRolePolicy、iam:AttachRolePolicy 和 \
        iam:UpdateAssumeRolePolicy。",
};

pub const ADMIN_GRANTED: DetectorInfo = DetectorInfo {
    id: "FG-DET-103",
    detector: NAME,
    severity: Severity::Critical,
    guide: "2.2, 3.1.1, 3.4.3",
    attack: &["T1098", "T1098.003"],
    title_en: "Administrator permissions given to a function's execution role",
    title_zh: "函数执行角色被授予管理员权限",
    description_en:
        "AdministratorAccess, IAMFullAccess or PowerUserAccess was attached to a role a \
        Lambda function runs with, or an inline policy allowing every action (or every IAM action) \
        on every resource was put on it: whoever runs code in the function, or holds its \
        credentials, now controls the account.",
    description_zh: "某个 Lambda 函数所用执行角色被附加了 AdministratorAccess、IAMFullAccess 或 \
        PowerUserAccess，或被写入允许对所有资源执行所有操作（或所有 IAM 操作）的内联策略：\
        能在函数中运行代码或持有其凭证的人从此控制整个账户。",
    remediation_en: "Detach the policy or delete the inline policy now, revoke the role's active \
        sessions, review what the role did since the change, and find who made it.",
    remediation_zh: "立即分离该策略或删除内联策略，撤销该角色的活动会话，审查变更后该角色的操作，\
        并查明操作者。",
};

pub const PRIVILEGED_ROLE_PASSED: DetectorInfo = DetectorInfo {
    id: "FG-DET-104",
    detector: NAME,
    severity: Severity::High,
    guide: "2.2, 3.1.1, 3.4.3",
    attack: &["T1098", "T1648"],
    title_en: "Function given a privileged role (PassRole abuse)",
    title_zh: "函数被赋予特权角色（PassRole 滥用）",
    description_en: "CreateFunction or UpdateFunctionConfiguration gave a function a role that is \
        privileged: the inventory from fnguard scan says so, or this log showed an administrator \
        policy attached to it or an allow-everything inline policy put on it. Creating a function \
        with a stronger role than your own is the classic iam:PassRole escalation (Pacu \
        lambda__backdoor_new_roles, iam__privesc_scan).",
    description_zh:
        "CreateFunction 或 UpdateFunctionConfiguration 为函数指定了特权角色：fnguard scan \
        的清单如此判定，或本日志显示该角色被附加了管理员策略或写入了允许一切的内联策略。\
        用比自己更强的角色创建函数是典型的 iam:PassRole 提权（Pacu lambda__backdoor_new_roles、\
        iam__privesc_scan）。",
    remediation_en: "Check who created or changed the function and why it needs this role; delete \
        the function if it is not yours, and allow iam:PassRole only on the specific roles each \
        deployer may pass (with the iam:PassedToService condition).",
    remediation_zh: "核实是谁创建或修改了函数以及为何需要该角色；若函数不是你的则删除，并只允许\
        各部署者对特定角色执行 iam:PassRole（配合 iam:PassedToService 条件）。",
};

pub const ADMIN_NAMED_ROLE_PASSED: DetectorInfo = DetectorInfo {
    id: "FG-DET-105",
    detector: NAME,
    severity: Severity::Medium,
    guide: "2.2, 3.1.1, 3.4.3",
    attack: &["T1098", "T1648"],
    title_en: "Function given a role whose name says admin",
    title_zh: "函数被赋予名称表明为管理员的角色",
    description_en: "CreateFunction or UpdateFunctionConfiguration gave a function a role whose \
        name contains admin, poweruser, superuser or fullaccess, and nothing else fnguard saw says \
        whether it is privileged. A name is weak evidence, hence medium: check the role's \
        policies (give fnguard detect the --inventory of fnguard scan to know them).",
    description_zh:
        "CreateFunction 或 UpdateFunctionConfiguration 为函数指定的角色名称包含 admin、\
        poweruser、superuser 或 fullaccess，而 fnguard 没有其他依据判断其是否为特权角色。\
        名称只是弱证据，故为中：请检查该角色的策略（为 fnguard detect 提供 fnguard scan 的 \
        --inventory 即可知晓）。",
    remediation_en: "Check the role's policies and who created or changed the function; give \
        functions roles scoped to what they do rather than administrator roles.",
    remediation_zh: "检查该角色的策略以及创建或修改函数的人；为函数分配按其职责收窄的角色，\
        而不是管理员角色。",
};

/// AWS managed policies that make a role an administrator, or able to
/// make itself one.
const ADMIN_MANAGED_POLICIES: &[&str] =
    &["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"];

/// Words of role names that suggest an administrator role.
const ADMIN_NAME_WORDS: &[&str] = &["admin", "poweruser", "superuser", "fullaccess"];

const ROLE_EVENTS: &[&str] = &[
    "PutRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "DeleteRolePolicy",
    "UpdateAssumeRolePolicy",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
];

#[derive(Debug, Clone, Copy)]
pub struct FunctionRolesConfig {
    /// Functions learned from the log, at most.
    pub max_functions: usize,
    /// Roles with admin-like grants learned from the log, at most.
    pub max_roles: usize,
}

impl Default for FunctionRolesConfig {
    fn default() -> Self {
        FunctionRolesConfig {
            max_functions: 100_000,
            max_roles: 100_000,
        }
    }
}

pub struct FunctionRoles {
    config: FunctionRolesConfig,
    inventory: Inventory,
    state: State,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u64,
    /// Counts what was learned, to drop the earliest first.
    learned: u64,
    /// `account:region:function` → its role, from the log.
    functions: BTreeMap<String, FunctionRole>,
    /// `account:role`, the name lower-cased (IAM names ignore case) →
    /// admin-like grants seen in the log.
    roles: BTreeMap<String, RoleGrants>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FunctionRole {
    name: String,
    role_arn: String,
    learned: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RoleGrants {
    /// `managed:<policy ARN>` or `inline:<policy name>`.
    grants: Vec<String>,
    learned: u64,
}

impl FunctionRoles {
    pub fn new(config: FunctionRolesConfig, inventory: Inventory) -> Self {
        FunctionRoles {
            config,
            inventory,
            state: State {
                version: STATE_VERSION,
                ..State::default()
            },
        }
    }

    /// Functions known from the log (for tests and `--verbose`).
    pub fn known_functions(&self) -> usize {
        self.state.functions.len()
    }

    /// Functions (from the log and the inventory) that run with the role
    /// named `role` of `account`, each with where it was learned.
    fn functions_of(&self, account: &str, role: &str) -> Vec<(String, &'static str)> {
        let mut functions: Vec<(String, &'static str)> = self
            .state
            .functions
            .values()
            .filter(|f| {
                iam_name(&f.role_arn).eq_ignore_ascii_case(role)
                    && same_account(arn_account(&f.role_arn), account)
            })
            .map(|f| (f.name.clone(), "log"))
            .collect();
        for name in self.inventory.functions_of(role) {
            functions.push((name.to_string(), "inventory"));
        }
        functions
    }

    /// Why the role named `role` of `account` is privileged (empty:
    /// nothing says so).
    fn privileges_of(&self, account: &str, role: &str) -> Vec<String> {
        let mut reasons: Vec<String> = self
            .state
            .roles
            .get(&role_key(account, role))
            .map(|r| r.grants.clone())
            .unwrap_or_default();
        reasons.extend(
            self.inventory
                .privileges_of(role)
                .into_iter()
                .map(|why| format!("inventory:{why}")),
        );
        reasons
    }

    fn learn_function(&mut self, key: String, name: &str, role_arn: &str) {
        self.state.learned += 1;
        let learned = self.state.learned;
        if !self.state.functions.contains_key(&key)
            && self.state.functions.len() >= self.config.max_functions
        {
            drop_earliest(&mut self.state.functions, |f| f.learned);
        }
        self.state.functions.insert(
            key,
            FunctionRole {
                name: name.to_string(),
                role_arn: role_arn.to_string(),
                learned,
            },
        );
    }

    fn set_grant(&mut self, account: &str, role: &str, grant: String, present: bool) {
        let key = role_key(account, role);
        if present {
            self.state.learned += 1;
            let learned = self.state.learned;
            if !self.state.roles.contains_key(&key)
                && self.state.roles.len() >= self.config.max_roles
            {
                drop_earliest(&mut self.state.roles, |r| r.learned);
            }
            let entry = self.state.roles.entry(key).or_default();
            entry.learned = learned;
            if !entry.grants.contains(&grant) {
                entry.grants.push(grant);
            }
        } else if let Some(entry) = self.state.roles.get_mut(&key) {
            entry.grants.retain(|g| *g != grant);
            if entry.grants.is_empty() {
                self.state.roles.remove(&key);
            }
        }
    }

    fn observe_lambda(&mut self, event: &Event, base: &str, alerts: &mut Vec<Alert>) {
        let value = &event.value;
        let Some(role_arn) =
            text(value, "requestParameters.role").or_else(|| text(value, "responseElements.role"))
        else {
            return;
        };
        let Some(function) = text(value, "responseElements.functionName")
            .or_else(|| text(value, "requestParameters.functionName"))
            .map(function_name)
        else {
            return;
        };
        // Function names are unique per account and region only.
        let key = format!(
            "{}:{}:{function}",
            text(value, "recipientAccountId").unwrap_or(""),
            text(value, "awsRegion").unwrap_or("")
        );
        let previous = self.state.functions.get(&key).map(|f| f.role_arn.clone());
        self.learn_function(key, function, role_arn);
        let role = iam_name(role_arn);
        let unchanged = base == "UpdateFunctionConfiguration"
            && previous
                .as_deref()
                .is_some_and(|p| iam_name(p).eq_ignore_ascii_case(role));
        if unchanged {
            return;
        }
        let reasons = self.privileges_of(arn_account(role_arn), role);
        let (info, reasons) = if !reasons.is_empty() {
            (&PRIVILEGED_ROLE_PASSED, reasons)
        } else if let Some(word) = admin_word(role) {
            (
                &ADMIN_NAMED_ROLE_PASSED,
                vec![format!("name contains `{word}`")],
            )
        } else {
            return;
        };
        let mut facts = common_facts(value);
        facts.insert("function".into(), json!(function));
        facts.insert("role".into(), json!(role));
        facts.insert("role_arn".into(), json!(role_arn));
        facts.insert("privileged_because".into(), json!(reasons));
        if let Some(previous) = previous {
            facts.insert("previous_role_arn".into(), json!(previous));
        }
        alerts.push(info.alert(event, info.severity, facts));
    }

    fn observe_iam(&mut self, event: &Event, name: &str, alerts: &mut Vec<Alert>) {
        let value = &event.value;
        let Some(role) = text(value, "requestParameters.roleName") else {
            return;
        };
        let account = text(value, "recipientAccountId").unwrap_or("");
        let policy_arn = text(value, "requestParameters.policyArn");
        let policy_name = text(value, "requestParameters.policyName");
        let mut admin_grant = None;
        match name {
            "AttachRolePolicy" | "DetachRolePolicy" => {
                if let Some(arn) = policy_arn.filter(|arn| admin_managed_policy(arn)) {
                    let attached = name == "AttachRolePolicy";
                    self.set_grant(account, role, format!("managed:{arn}"), attached);
                    if attached {
                        admin_grant = Some(arn.to_string());
                    }
                }
            }
            "PutRolePolicy" => {
                let admin = text(value, "requestParameters.policyDocument")
                    .and_then(policy_document)
                    .is_some_and(|document| grants_admin(&document));
                if let Some(policy) = policy_name {
                    // Putting a policy under an existing name replaces it.
                    self.set_grant(account, role, format!("inline:{policy}"), admin);
                    if admin {
                        admin_grant = Some(policy.to_string());
                    }
                }
            }
            "DeleteRolePolicy" => {
                if let Some(policy) = policy_name {
                    self.set_grant(account, role, format!("inline:{policy}"), false);
                }
            }
            _ => {}
        }
        let functions = self.functions_of(account, role);
        if functions.is_empty() {
            return;
        }
        let mut facts = common_facts(value);
        facts.insert("role".into(), json!(role));
        facts.insert(
            "functions".into(),
            json!(functions.iter().map(|(f, _)| f).collect::<Vec<_>>()),
        );
        facts.insert(
            "functions_from".into(),
            json!(functions.iter().map(|(_, from)| from).collect::<Vec<_>>()),
        );
        if let Some(policy) = policy_arn.or(policy_name) {
            facts.insert("policy".into(), json!(policy));
        }
        if let Some(boundary) = text(value, "requestParameters.permissionsBoundary") {
            facts.insert("permissions_boundary".into(), json!(boundary));
        }
        let (info, severity) = match admin_grant {
            Some(_) => (&ADMIN_GRANTED, ADMIN_GRANTED.severity),
            None => {
                let narrows = matches!(
                    name,
                    "DetachRolePolicy" | "DeleteRolePolicy" | "PutRolePermissionsBoundary"
                );
                let severity = if narrows {
                    Severity::Medium
                } else {
                    ROLE_CHANGED.severity
                };
                (&ROLE_CHANGED, severity)
            }
        };
        alerts.push(info.alert(event, severity, facts));
    }
}

impl Default for FunctionRoles {
    fn default() -> Self {
        FunctionRoles::new(FunctionRolesConfig::default(), Inventory::default())
    }
}

/// Drops the sixteenth of `map` learned earliest (a batch, so that a full
/// map does not pay a walk on every insert).
fn drop_earliest<T>(map: &mut BTreeMap<String, T>, learned: impl Fn(&T) -> u64) {
    let mut order: Vec<u64> = map.values().map(&learned).collect();
    if order.is_empty() {
        return;
    }
    let drop = (order.len() / 16).max(1);
    let (_, cutoff, _) = order.select_nth_unstable(drop - 1);
    let cutoff = *cutoff;
    map.retain(|_, value| learned(value) > cutoff);
}

/// `arn:aws:iam::aws:policy/AdministratorAccess` and its other partitions.
fn admin_managed_policy(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("iam"), Some(""), Some("aws"), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    resource
        .strip_prefix("policy/")
        .is_some_and(|path| ADMIN_MANAGED_POLICIES.contains(&iam_name(path)))
}

fn role_key(account: &str, role: &str) -> String {
    format!("{account}:{}", role.to_ascii_lowercase())
}

/// The account of an ARN (`arn:aws:iam::123456789012:role/x`), empty
/// when it has none.
fn arn_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// Accounts match unless both are known and differ (a record without
/// `recipientAccountId` still matches).
fn same_account(a: &str, b: &str) -> bool {
    a.is_empty() || b.is_empty() || a == b
}

fn admin_word(role: &str) -> Option<&'static str> {
    let lower = role.to_ascii_lowercase();
    ADMIN_NAME_WORDS.iter().copied().find(|w| lower.contains(w))
}

/// Who did it, from where: the first facts of every alert here.
fn common_facts(value: &Value) -> Map<String, Value> {
    let mut facts = Map::new();
    for (fact, path) in [
        ("event_name", "eventName"),
        ("principal", "userIdentity.arn"),
        ("source_ip", "sourceIPAddress"),
        ("user_agent", "userAgent"),
        ("account", "recipientAccountId"),
        ("region", "awsRegion"),
        ("invoked_by", "userIdentity.invokedBy"),
    ] {
        if let Some(found) = text(value, path) {
            facts.insert(fact.into(), json!(found));
        }
    }
    facts
}

/// Every event the detector reads names one of these (the function
/// events, with their version suffixes, and ROLE_EVENTS).
const RAW_NEEDLES: &[&str] = &[
    "CreateFunction",
    "UpdateFunctionConfiguration",
    "RolePolicy",
    "RolePermissionsBoundary",
];

/// What the detector reads of a CloudTrail record.
const FIELDS_READ: &[&str] = &[
    "eventTime",
    "eventSource",
    "eventName",
    "eventID",
    "awsRegion",
    "recipientAccountId",
    "sourceIPAddress",
    "userAgent",
    "userIdentity.accessKeyId",
    "userIdentity.accountId",
    "userIdentity.arn",
    "userIdentity.invokedBy",
    "errorCode",
    "requestParameters.functionName",
    "requestParameters.role",
    "requestParameters.roleName",
    "requestParameters.policyArn",
    "requestParameters.policyName",
    "requestParameters.policyDocument",
    "requestParameters.permissionsBoundary",
    "responseElements.functionName",
    "responseElements.role",
    "responseElements.functionArn",
];

impl Detector for FunctionRoles {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, event: &Event, alerts: &mut Vec<Alert>) {
        let value = &event.value;
        let (Some(source), Some(name)) = (text(value, "eventSource"), text(value, "eventName"))
        else {
            return;
        };
        if failed(value) {
            return;
        }
        match source {
            "lambda.amazonaws.com" => {
                let base = base_event_name(name);
                if base == "CreateFunction" || base == "UpdateFunctionConfiguration" {
                    self.observe_lambda(event, base, alerts);
                }
            }
            "iam.amazonaws.com" if ROLE_EVENTS.contains(&name) => {
                self.observe_iam(event, name, alerts);
            }
            _ => {}
        }
    }

    fn save(&self) -> Value {
        serde_json::to_value(&self.state).unwrap_or(Value::Null)
    }

    fn raw_needles(&self) -> Option<&'static [&'static str]> {
        Some(RAW_NEEDLES)
    }

    fn fields_read(&self) -> Option<&'static [&'static str]> {
        Some(FIELDS_READ)
    }

    fn restore(&mut self, state: &Value) -> Result<(), String> {
        let restored: State = super::read_state(NAME, state, STATE_VERSION)?;
        self.state = restored;
        while self.state.functions.len() > self.config.max_functions {
            drop_earliest(&mut self.state.functions, |f| f.learned);
        }
        while self.state.roles.len() > self.config.max_roles {
            drop_earliest(&mut self.state.roles, |r| r.learned);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
