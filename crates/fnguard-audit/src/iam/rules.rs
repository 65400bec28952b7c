//! Metadata of the IAM rules (English and Chinese).

use fnguard_core::{Area, RuleMeta, Severity};

const EXECUTION_ROLE_DOC: &str =
    "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html";
const LEAST_PRIVILEGE_DOC: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege";
const EVALUATION_LOGIC_DOC: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";

pub const ADMIN: RuleMeta = RuleMeta {
    id: "FG-IAM-001",
    area: Area::Iam,
    severity: Severity::Critical,
    guide: &["3.1.1", "3.1.3"],
    attack: &["T1078.004", "T1098", "T1530"],
    title_en: "Execution role allows every action on every resource",
    title_zh: "执行角色允许对所有资源执行所有操作",
    description_en: "The function's execution role grants `Action: \"*\"` (or a `NotAction` list) on `Resource: \"*\"`, and after all policies of the role are evaluated together (Deny statements, NotAction, NotResource, conditions) at least half of all AWS actions remain allowed. fnguard measures this against the AWS action catalog, so an `Allow *` cut down by a `Deny` with `NotAction` is not reported as administrator access. A grant that holds only under conditions fnguard cannot evaluate is reported one severity lower, and so is a role with a permissions boundary.",
    description_zh: "函数的执行角色在 `Resource: \"*\"` 上授予 `Action: \"*\"`（或 `NotAction` 列表），并且把该角色的所有策略放在一起评估（Deny 语句、NotAction、NotResource、条件）之后，仍有至少一半的 AWS 操作被允许。fnguard 依据 AWS 操作目录进行计算，因此被带 `NotAction` 的 `Deny` 收窄的 `Allow *` 不会被报告为管理员权限。仅在 fnguard 无法判断的条件下才成立的授权，以及设置了权限边界的角色，严重级别降低一级。",
    risk_en: "Whoever runs code in the function (code injection, a poisoned dependency, credentials read from the environment) becomes an administrator of the AWS account: they can create users and access keys, read every bucket and database, disable logging and persist.",
    risk_zh: "任何能在函数中执行代码的人（代码注入、被投毒的依赖、从环境中读取的临时凭证）都会成为 AWS 账号的管理员：可以创建用户和访问密钥、读取所有存储桶和数据库、关闭日志并建立持久化。",
    remediation_en: "Give each function its own role that lists only the actions and resources it uses (for example `s3:GetObject` on `arn:aws:s3:::orders-bucket/*`). SAM policy templates or IAM Access Analyzer policy generation from CloudTrail activity help find the minimum set. \
Where: CloudFormation `PolicyDocument` of `AWS::IAM::Role` `Policies` or `AWS::IAM::Policy`, SAM function `Policies` (prefer policy templates such as `DynamoDBCrudPolicy` or `S3ReadPolicy` with their resource arguments); Serverless `provider.iam.role.statements` (legacy `iamRoleStatements`) or a per-function role; Terraform the `policy` of `aws_iam_role_policy` / `aws_iam_policy` or the `statement` blocks of `data \"aws_iam_policy_document\"`.",
    remediation_zh: "为每个函数配置独立的角色，只列出它实际使用的操作和资源（例如对 `arn:aws:s3:::orders-bucket/*` 的 `s3:GetObject`）。可借助 SAM 策略模板，或 IAM Access Analyzer 基于 CloudTrail 活动生成策略，找出最小权限集合。\
位置：CloudFormation 中 `AWS::IAM::Role` 的 `Policies` 或 `AWS::IAM::Policy` 的 `PolicyDocument`，SAM 函数的 `Policies`（优先使用带资源参数的策略模板，如 `DynamoDBCrudPolicy`、`S3ReadPolicy`）；Serverless 的 `provider.iam.role.statements`（旧写法 `iamRoleStatements`）或按函数配置的角色；Terraform 中 `aws_iam_role_policy` / `aws_iam_policy` 的 `policy`，或 `data \"aws_iam_policy_document\"` 的 `statement` 块。",
    references: &[EXECUTION_ROLE_DOC, LEAST_PRIVILEGE_DOC, EVALUATION_LOGIC_DOC],
};

pub const SERVICE_WILDCARD: RuleMeta = RuleMeta {
    id: "FG-IAM-002",
    area: Area::Iam,
    severity: Severity::High,
    guide: &["3.1.1", "3.1.3"],
    attack: &["T1078.004", "T1530"],
    title_en: "Execution role grants a whole service (`service:*`) or every action on a resource",
    title_zh: "执行角色授予整个服务（`service:*`）或对某资源的全部操作",
    description_en: "A statement of the function's execution role allows `service:*` (for example `s3:*` or `dynamodb:*`), or `*` / `NotAction` on specific resources, and after Deny statements and conditions are honoured more than half of that service's actions are still allowed. Also reported: an `Allow *` that Deny statements cut down to a few whole services.",
    description_zh: "函数执行角色中的某条语句允许 `service:*`（例如 `s3:*`、`dynamodb:*`），或在特定资源上允许 `*` / `NotAction`，并且在考虑 Deny 语句和条件之后，该服务仍有超过一半的操作被允许。被 Deny 语句收窄为若干完整服务的 `Allow *` 也会被报告。",
    risk_en: "A service wildcard includes destructive and administrative actions the function never needs (deleting buckets or tables, changing their policies, disabling encryption). Compromised function code can use all of them.",
    risk_zh: "服务通配符包含函数从不需要的破坏性和管理类操作（删除存储桶或表、修改其策略、关闭加密）。一旦函数代码被攻破，这些操作都可被利用。",
    remediation_en: "List the individual actions the function calls (`dynamodb:GetItem`, `dynamodb:PutItem`, ...) instead of `service:*`, scoped to the resources it uses. \
Where: CloudFormation `PolicyDocument` of `AWS::IAM::Role` `Policies` or `AWS::IAM::Policy`, SAM function `Policies` (prefer policy templates such as `DynamoDBCrudPolicy` or `S3ReadPolicy` with their resource arguments); Serverless `provider.iam.role.statements` (legacy `iamRoleStatements`) or a per-function role; Terraform the `policy` of `aws_iam_role_policy` / `aws_iam_policy` or the `statement` blocks of `data \"aws_iam_policy_document\"`.",
    remediation_zh: "用函数实际调用的具体操作（`dynamodb:GetItem`、`dynamodb:PutItem` 等）代替 `service:*`，并限定到它使用的资源。\
位置：CloudFormation 中 `AWS::IAM::Role` 的 `Policies` 或 `AWS::IAM::Policy` 的 `PolicyDocument`，SAM 函数的 `Policies`（优先使用带资源参数的策略模板，如 `DynamoDBCrudPolicy`、`S3ReadPolicy`）；Serverless 的 `provider.iam.role.statements`（旧写法 `iamRoleStatements`）或按函数配置的角色；Terraform 中 `aws_iam_role_policy` / `aws_iam_policy` 的 `policy`，或 `data \"aws_iam_policy_document\"` 的 `statement` 块。",
    references: &[
        LEAST_PRIVILEGE_DOC,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
        EXECUTION_ROLE_DOC,
    ],
};

pub const WRITE_ON_ANY_RESOURCE: RuleMeta = RuleMeta {
    id: "FG-IAM-003",
    area: Area::Iam,
    severity: Severity::Medium,
    guide: &["3.1.1", "3.1.3"],
    attack: &["T1078.004", "T1098"],
    title_en: "Write or permissions-management actions on `Resource: \"*\"`",
    title_zh: "在 `Resource: \"*\"` 上授予写入或权限管理操作",
    description_en: "The function's execution role allows actions of access level Write or Permissions management (per the AWS Service Authorization Reference) on every resource, although these actions can be scoped to specific resources. Medium for write actions, high when permissions-management actions are included; one level lower when the grant depends on conditions. Actions that support only `*` as resource (such as `xray:PutTraceSegments`) and the network-interface and log actions every Lambda function needs are not reported.",
    description_zh: "函数的执行角色在所有资源上允许访问级别为写入（Write）或权限管理（Permissions management）的操作（依据 AWS 服务授权参考），而这些操作本可以限定到具体资源。仅写入操作为中危，包含权限管理操作为高危；授权依赖条件时降低一级。只支持 `*` 资源的操作（如 `xray:PutTraceSegments`）以及每个 Lambda 函数都需要的网络接口和日志操作不会被报告。",
    risk_en: "The function can modify or delete any resource of that type in the account (every table, every queue, every bucket), not just its own; permissions-management actions let it change policies and grant itself or others more access.",
    risk_zh: "函数可以修改或删除账号中该类型的任何资源（所有表、所有队列、所有存储桶），而不只是它自己的资源；权限管理操作还能修改策略，为自己或他人授予更多权限。",
    remediation_en: "Replace `Resource: \"*\"` with the ARNs of the resources the function writes to, e.g. `!GetAtt OrdersTable.Arn` or `arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:orders-queue`. \
Where: CloudFormation `PolicyDocument` of `AWS::IAM::Role` `Policies` or `AWS::IAM::Policy`, SAM function `Policies` (prefer policy templates such as `DynamoDBCrudPolicy` or `S3ReadPolicy` with their resource arguments); Serverless `provider.iam.role.statements` (legacy `iamRoleStatements`) or a per-function role; Terraform the `policy` of `aws_iam_role_policy` / `aws_iam_policy` or the `statement` blocks of `data \"aws_iam_policy_document\"`.",
    remediation_zh: "把 `Resource: \"*\"` 替换为函数写入的资源 ARN，例如 `!GetAtt OrdersTable.Arn` 或 `arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:orders-queue`。\
位置：CloudFormation 中 `AWS::IAM::Role` 的 `Policies` 或 `AWS::IAM::Policy` 的 `PolicyDocument`，SAM 函数的 `Policies`（优先使用带资源参数的策略模板，如 `DynamoDBCrudPolicy`、`S3ReadPolicy`）；Serverless 的 `provider.iam.role.statements`（旧写法 `iamRoleStatements`）或按函数配置的角色；Terraform 中 `aws_iam_role_policy` / `aws_iam_policy` 的 `policy`，或 `data \"aws_iam_policy_document\"` 的 `statement` 块。",
    references: &[
        "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html",
        LEAST_PRIVILEGE_DOC,
    ],
};

pub const PRIVILEGED_MANAGED_POLICY: RuleMeta = RuleMeta {
    id: "FG-IAM-004",
    area: Area::Iam,
    severity: Severity::High,
    guide: &["3.1.1", "3.1.3"],
    attack: &["T1078.004", "T1098"],
    title_en: "Privileged AWS managed policy attached to an execution role",
    title_zh: "执行角色附加了高权限的 AWS 托管策略",
    description_en: "The function's execution role has AdministratorAccess (critical), PowerUserAccess, IAMFullAccess or another AWS managed `*FullAccess` policy attached, by ARN or (in SAM `Policies`) by name. Narrow managed policies such as AWSLambdaBasicExecutionRole or AWSLambdaVPCAccessExecutionRole are fine. Severity drops one level when the role's own Deny statements withhold most of what the policy grants, or a permissions boundary limits it.",
    description_zh: "函数的执行角色通过 ARN 或（在 SAM `Policies` 中）通过名称附加了 AdministratorAccess（严重）、PowerUserAccess、IAMFullAccess 或其他 AWS 托管的 `*FullAccess` 策略。AWSLambdaBasicExecutionRole、AWSLambdaVPCAccessExecutionRole 等范围较窄的托管策略不在此列。如果角色自身的 Deny 语句收回了该策略的大部分权限，或有权限边界加以限制，严重级别降低一级。",
    risk_en: "Managed full-access policies grant every action of a service on every resource (AdministratorAccess: of every service). They are written for people, not for one function, and they grow as AWS adds actions.",
    risk_zh: "托管的完全访问策略授予某个服务（AdministratorAccess 则是所有服务）在所有资源上的全部操作。它们是为人设计的，而不是为单个函数设计的，并且会随着 AWS 新增操作而不断扩大。",
    remediation_en: "Detach the managed policy and grant the specific actions and resources the function uses, with an inline policy or SAM policy templates (e.g. `DynamoDBCrudPolicy: {TableName: !Ref Orders}` instead of `AmazonDynamoDBFullAccess`). \
Where: CloudFormation `ManagedPolicyArns` of `AWS::IAM::Role`; SAM the policy name or ARN in the function's `Policies`; Serverless `provider.iam.role.managedPolicies`; Terraform the `aws_iam_role_policy_attachment` with that `policy_arn` (or `managed_policy_arns` of `aws_iam_role`).",
    remediation_zh: "移除该托管策略，改用内联策略或 SAM 策略模板授予函数实际使用的操作和资源（例如用 `DynamoDBCrudPolicy: {TableName: !Ref Orders}` 代替 `AmazonDynamoDBFullAccess`）。\
位置：CloudFormation 中 `AWS::IAM::Role` 的 `ManagedPolicyArns`；SAM 函数 `Policies` 中的策略名称或 ARN；Serverless 的 `provider.iam.role.managedPolicies`；Terraform 中带该 `policy_arn` 的 `aws_iam_role_policy_attachment`（或 `aws_iam_role` 的 `managed_policy_arns`）。",
    references: &[
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
        "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-templates.html",
        LEAST_PRIVILEGE_DOC,
    ],
};

pub const TRUST: RuleMeta = RuleMeta {
    id: "FG-IAM-005",
    area: Area::Iam,
    severity: Severity::High,
    guide: &["3.1.1", "3.1.2"],
    attack: &["T1078.004", "T1548.005"],
    title_en: "Execution role can be assumed by principals other than Lambda",
    title_zh: "执行角色可被 Lambda 以外的主体代入",
    description_en: "The trust (assume-role) policy of a function's execution role allows `sts:AssumeRole` (or `sts:*`, `*`, web-identity or SAML assumption) to principals other than the `lambda.amazonaws.com` service (`edgelambda.amazonaws.com` for Lambda@Edge is also accepted): anyone (`*`), an AWS account (including this one), another service, or a federated identity provider. Critical when anyone can assume it without conditions; one level lower when conditions (for example `sts:ExternalId`) restrict it.",
    description_zh: "函数执行角色的信任（代入角色）策略允许 `lambda.amazonaws.com` 服务以外的主体执行 `sts:AssumeRole`（或 `sts:*`、`*`、Web 身份或 SAML 代入）：任何人（`*`）、某个 AWS 账号（包括本账号）、其他服务或联合身份提供方。Lambda@Edge 使用的 `edgelambda.amazonaws.com` 视为合法。任何人均可无条件代入时为严重；有条件（例如 `sts:ExternalId`）限制时降低一级。",
    risk_en: "Whoever can assume the role obtains the function's permissions without touching the function: people and workloads outside the function get its data access, and the separation between what invokes a function and what it may do is lost.",
    risk_zh: "能代入该角色的人无需接触函数即可获得函数的全部权限：函数之外的人员和工作负载获得了它的数据访问能力，“谁能调用函数”与“函数能做什么”之间的隔离也随之失效。",
    remediation_en: "Let only `lambda.amazonaws.com` assume an execution role, ideally with `aws:SourceAccount`/`aws:SourceArn` conditions. Give other workloads their own roles. \
Where: CloudFormation/SAM `AssumeRolePolicyDocument` of the `AWS::IAM::Role` (or of the SAM function, which overrides the generated Lambda-only trust); Serverless the role under `resources.Resources` that `provider.iam.role` names (the role the framework generates trusts only Lambda); Terraform `assume_role_policy` of `aws_iam_role`.",
    remediation_zh: "只允许 `lambda.amazonaws.com` 代入执行角色，最好加上 `aws:SourceAccount`/`aws:SourceArn` 条件。为其他工作负载单独创建角色。\
位置：CloudFormation/SAM 中 `AWS::IAM::Role` 的 `AssumeRolePolicyDocument`（或 SAM 函数上的该属性，它会覆盖自动生成的仅信任 Lambda 的策略）；Serverless 中 `provider.iam.role` 指向的 `resources.Resources` 里的角色（框架生成的角色只信任 Lambda）；Terraform 中 `aws_iam_role` 的 `assume_role_policy`。",
    references: &[
        EXECUTION_ROLE_DOC,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    ],
};

pub const PASS_ROLE: RuleMeta = RuleMeta {
    id: "FG-IAM-006",
    area: Area::Iam,
    severity: Severity::High,
    guide: &["3.1.1", "3.1.3"],
    attack: &["T1098.003", "T1548.005"],
    title_en: "Execution role may pass any role (`iam:PassRole` on `*`)",
    title_zh: "执行角色可以传递任意角色（在 `*` 上的 `iam:PassRole`）",
    description_en: "The function's execution role allows `iam:PassRole` on every role, through an explicit `iam:PassRole`, `iam:Pass*` or `iam:*` grant (a bare `*` is reported by FG-IAM-001/002 instead). A grant restricted by an `iam:PassedToService` condition, or otherwise conditional, is reported one level lower (medium): it still lets the function hand any role, including an administrator role, to that service.",
    description_zh: "函数的执行角色通过显式的 `iam:PassRole`、`iam:Pass*` 或 `iam:*` 授权，允许对所有角色执行 `iam:PassRole`（单独的 `*` 由 FG-IAM-001/002 报告）。受 `iam:PassedToService` 条件限制或其他有条件的授权降低一级（中危）：函数仍可把任何角色（包括管理员角色）交给该服务使用。",
    risk_en: "Passing a more privileged role to a new Lambda function, EC2 instance or Glue job is a classic privilege escalation: the attacker's code then runs with that role.",
    risk_zh: "把权限更高的角色传递给新的 Lambda 函数、EC2 实例或 Glue 作业是典型的提权手法：攻击者的代码随后就以该角色的身份运行。",
    remediation_en: "Scope `iam:PassRole` to the ARNs of the roles the function really passes, and add an `iam:PassedToService` condition naming the service. \
Where: CloudFormation `PolicyDocument` of `AWS::IAM::Role` `Policies` or `AWS::IAM::Policy`, SAM function `Policies` (prefer policy templates such as `DynamoDBCrudPolicy` or `S3ReadPolicy` with their resource arguments); Serverless `provider.iam.role.statements` (legacy `iamRoleStatements`) or a per-function role; Terraform the `policy` of `aws_iam_role_policy` / `aws_iam_policy` or the `statement` blocks of `data \"aws_iam_policy_document\"`.",
    remediation_zh: "把 `iam:PassRole` 限定到函数确实需要传递的角色 ARN，并添加指明目标服务的 `iam:PassedToService` 条件。\
位置：CloudFormation 中 `AWS::IAM::Role` 的 `Policies` 或 `AWS::IAM::Policy` 的 `PolicyDocument`，SAM 函数的 `Policies`（优先使用带资源参数的策略模板，如 `DynamoDBCrudPolicy`、`S3ReadPolicy`）；Serverless 的 `provider.iam.role.statements`（旧写法 `iamRoleStatements`）或按函数配置的角色；Terraform 中 `aws_iam_role_policy` / `aws_iam_policy` 的 `policy`，或 `data \"aws_iam_policy_document\"` 的 `statement` 块。",
    references: &[
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService",
        LEAST_PRIVILEGE_DOC,
    ],
};

pub const SHARED_ROLE: RuleMeta = RuleMeta {
    id: "FG-IAM-007",
    area: Area::Iam,
    severity: Severity::Medium,
    guide: &["3.1.1"],
    attack: &["T1078.004"],
    title_en: "Execution role shared by several functions",
    title_zh: "多个函数共用同一个执行角色",
    description_en: "Two or more functions of the deployment use the same execution role (the Serverless Framework does this by default). Every function then holds the union of the permissions all of them need.",
    description_zh: "部署中有两个或更多函数使用同一个执行角色（Serverless Framework 默认如此）。于是每个函数都持有所有这些函数所需权限的并集。",
    risk_en: "A compromise of the least critical function (say, a public webhook) gives the attacker what the most privileged function may do, and audit logs no longer tell which function acted.",
    risk_zh: "最不重要的函数（例如一个公开的 webhook）被攻破后，攻击者就能获得权限最高的函数所能做的一切，审计日志也无法再区分是哪个函数执行的操作。",
    remediation_en: "Give every function its own role with only its own permissions: in SAM leave `Role` unset and use per-function `Policies`; in the Serverless Framework use a per-function role (for example the serverless-iam-roles-per-function plugin or `iam.role` per function); in Terraform one `aws_iam_role` per function.",
    remediation_zh: "为每个函数配置只含自身权限的独立角色：SAM 中不设置 `Role` 并为每个函数使用 `Policies`；Serverless Framework 中为每个函数配置角色（例如使用 serverless-iam-roles-per-function 插件或按函数设置 `iam.role`）；Terraform 中每个函数一个 `aws_iam_role`。",
    references: &[
        EXECUTION_ROLE_DOC,
        "https://docs.aws.amazon.com/lambda/latest/operatorguide/least-privilege.html",
        LEAST_PRIVILEGE_DOC,
    ],
};
