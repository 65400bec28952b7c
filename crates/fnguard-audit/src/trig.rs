//! Checks of area `TRIG`: who may invoke a function (guide §3.1.2, §2.2).
//! Resource-based permissions, function URLs, API Gateway routes and CORS.

use crate::{Ctx, Raw};
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Area, Field, Finding, Loc, RuleMeta, Severity, Text};
use fnguard_iam::{
    ConditionClause, Context, Decision, Effect, Evaluator, Policy, PrincipalEntry, PrincipalSet,
    ResourceSet, Tri, Val,
};
use fnguard_model::{
    Api, ApiKind, AuthKind, Cors, Ignore, InvokePermission, Ref, ResourcePolicy,
    ResourcePolicyKind, Route, TriggerKind, SELF_ACCOUNT,
};

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-TRIG-001",
        area: Area::Trig,
        severity: Severity::Critical,
        guide: &["3.1.2", "2.2"],
        attack: &["T1190", "T1648"],
        title_en: "Function invoke permission open to everyone or to another account",
        title_zh: "函数调用权限对所有人或其他账户开放",
        description_en: "A resource-based permission (AWS::Lambda::Permission, aws_lambda_permission) grants \
invoke rights to Principal `*` or to an AWS account other than the deploying one, without a SourceArn, \
SourceAccount, PrincipalOrgID or EventSourceToken condition. Service principals (s3.amazonaws.com, \
sns.amazonaws.com, events.amazonaws.com...) without SourceArn or SourceAccount are reported at high: \
the service acts for every AWS customer, so any other account's bucket, topic or rule can invoke the function \
(confused deputy). Function URL permissions with FunctionUrlAuthType NONE are reported by FG-TRIG-002 instead.",
        description_zh: "基于资源的权限（AWS::Lambda::Permission、aws_lambda_permission）把调用权授予 Principal `*` \
或部署账户以外的 AWS 账户，且没有 SourceArn、SourceAccount、PrincipalOrgID 或 EventSourceToken 条件。\
服务主体（s3.amazonaws.com、sns.amazonaws.com、events.amazonaws.com 等）缺少 SourceArn 或 SourceAccount 时按“高”报告：\
该服务代表所有 AWS 客户行事，任何其他账户的存储桶、主题或规则都能调用此函数（混淆代理问题）。\
FunctionUrlAuthType 为 NONE 的函数 URL 权限由 FG-TRIG-002 报告。",
        risk_en: "Anyone (or a foreign account) can run the function with input of their choosing: they reach \
whatever the execution role can reach, run up cost, and can use the function as a foothold into internal resources.",
        risk_zh: "任何人（或外部账户）都能以自选输入运行该函数：借助执行角色访问其可访问的一切资源、推高费用，\
并把函数当作进入内部资源的跳板。",
        remediation_en: "Name the exact caller: set Principal to the service or account that must invoke the function \
and add SourceArn (the bucket, topic, rule or API ARN) and SourceAccount (your account id); for callers across an \
organization use PrincipalOrgID; for Alexa skills set EventSourceToken to the skill id. Remove permissions no \
longer needed. \
Where: CloudFormation/SAM `AWS::Lambda::Permission` (`Principal`, `SourceArn`, `SourceAccount`, `PrincipalOrgID`, `EventSourceToken`); Serverless the permissions written under `resources.Resources` (those the framework generates for events already carry SourceArn); Terraform `aws_lambda_permission` (`principal`, `source_arn`, `source_account`, `principal_org_id`, `event_source_token`).",
        remediation_zh: "明确调用方：把 Principal 设为必须调用该函数的服务或账户，并添加 SourceArn（存储桶、主题、规则或 API 的 ARN）\
和 SourceAccount（本账户 ID）；组织内跨账户调用使用 PrincipalOrgID；Alexa 技能设置 EventSourceToken 为技能 ID。删除不再需要的权限。\
位置：CloudFormation/SAM 的 `AWS::Lambda::Permission`（`Principal`、`SourceArn`、`SourceAccount`、`PrincipalOrgID`、`EventSourceToken`）；Serverless 中写在 `resources.Resources` 下的权限（框架为事件生成的权限已带 SourceArn）；Terraform 的 `aws_lambda_permission`（`principal`、`source_arn`、`source_account`、`principal_org_id`、`event_source_token`）。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-permission.html",
        ],
    },
    RuleMeta {
        id: "FG-TRIG-002",
        area: Area::Trig,
        severity: Severity::High,
        guide: &["3.1.2", "3.3.2"],
        attack: &["T1190", "T1648"],
        title_en: "Function URL without authentication (AuthType NONE)",
        title_zh: "函数 URL 未启用身份验证（AuthType NONE）",
        description_en: "The function has a function URL whose AuthType is NONE, so the HTTPS endpoint \
(https://<id>.lambda-url.<region>.on.aws) accepts unauthenticated requests from the whole internet. A function URL \
has no WAF, no throttling and no request validation of its own.",
        description_zh: "函数配置了 AuthType 为 NONE 的函数 URL，其 HTTPS 端点（https://<id>.lambda-url.<region>.on.aws）\
接受来自整个互联网的匿名请求。函数 URL 本身没有 WAF、限流和请求校验。",
        risk_en: "Anyone who finds the URL can invoke the function directly: abuse of its role's permissions, \
denial of wallet, and use of the function as a proxy or relay (guide §2.1).",
        risk_zh: "任何发现该 URL 的人都能直接调用函数：滥用其角色权限、造成费用攻击（denial of wallet），\
或把函数当作代理或中继使用（指南 §2.1）。",
        remediation_en: "Set AuthType to AWS_IAM and sign requests with SigV4, or put the function behind API Gateway \
with an authorizer (or CloudFront with origin access control) and remove the URL. If the endpoint must be public, \
authenticate inside the handler and set reserved concurrency to cap cost. \
Where: CloudFormation `AWS::Lambda::Url` `AuthType: AWS_IAM`; SAM `FunctionUrlConfig: {AuthType: AWS_IAM}`; Serverless `url: {authorizer: aws_iam}` on the function; Terraform `authorization_type = \"AWS_IAM\"` on `aws_lambda_function_url`.",
        remediation_zh: "把 AuthType 改为 AWS_IAM 并用 SigV4 签名请求，或把函数放到带授权器的 API Gateway 之后\
（或使用带源访问控制的 CloudFront）并删除该 URL。若端点必须公开，在处理函数内进行认证，并设置预留并发以限制费用。\
位置：CloudFormation 中 `AWS::Lambda::Url` 的 `AuthType: AWS_IAM`；SAM 的 `FunctionUrlConfig: {AuthType: AWS_IAM}`；Serverless 函数上的 `url: {authorizer: aws_iam}`；Terraform 中 `aws_lambda_function_url` 的 `authorization_type = \"AWS_IAM\"`。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html",
        ],
    },
    RuleMeta {
        id: "FG-TRIG-003",
        area: Area::Trig,
        severity: Severity::High,
        guide: &["3.3.2", "3.1.2", "2.2"],
        attack: &["T1190"],
        title_en: "API route without authorization",
        title_zh: "API 路由未配置授权",
        description_en: "An API Gateway REST method, HTTP API route or SAM/Serverless API event that invokes a function \
has no authorization in force (AuthorizationType NONE, no authorizer, or a SAM API without Auth) and the API is not \
a PRIVATE endpoint. Routes of an API whose resource policy is anything but an unconditional Allow for `*` \
(a source IP or VPC endpoint condition, a Deny, named principals) are not reported. CORS preflight (OPTIONS) routes are not reported. For WebSocket APIs only the $connect route \
can carry authorization, so only it is checked.",
        description_zh: "调用函数的 API Gateway REST 方法、HTTP API 路由或 SAM/Serverless API 事件没有生效的授权\
（AuthorizationType NONE、无授权器、或 SAM API 未配置 Auth），且该 API 不是 PRIVATE 端点。若 API 的资源策略不只是对 `*` 的无条件 Allow（含源 IP 或 VPC 终端节点条件、Deny、指定主体），其路由不报告。\
CORS 预检（OPTIONS）路由不报告。WebSocket API 仅 $connect 路由可以授权，因此只检查该路由。",
        risk_en: "Anonymous callers on the internet reach the function and, through its role, the data and \
internal resources behind it (guide §2.2: an open trigger in front of a function that can reach an internal \
database).",
        risk_zh: "互联网上的匿名调用者可以访问函数，并通过其角色访问其后的数据和内部资源\
（指南 §2.2：能访问内部数据库的函数前面有一个开放的触发器）。",
        remediation_en: "Add an authorizer: Cognito user pool, JWT (HTTP API), Lambda authorizer, or AWS_IAM. In SAM set \
Auth.DefaultAuthorizer on the API (and only use Authorizer: NONE on routes that are truly public); in Serverless \
add `authorizer` to the http/httpApi event; in Terraform set authorization/authorization_type and authorizer_id. \
Routes that must stay public should be read-only, throttled and protected by WAF. \
CloudFormation: `AuthorizationType` and `AuthorizerId` of `AWS::ApiGateway::Method`, `AuthorizationType` and `AuthorizerId` of `AWS::ApiGatewayV2::Route`.",
        remediation_zh: "添加授权器：Cognito 用户池、JWT（HTTP API）、Lambda 授权器或 AWS_IAM。SAM 中在 API 上设置 \
Auth.DefaultAuthorizer（只对真正公开的路由使用 Authorizer: NONE）；Serverless 中为 http/httpApi 事件添加 `authorizer`；\
Terraform 中设置 authorization/authorization_type 和 authorizer_id。必须公开的路由应只读、限流并由 WAF 保护。\
CloudFormation：`AWS::ApiGateway::Method` 的 `AuthorizationType` 和 `AuthorizerId`，`AWS::ApiGatewayV2::Route` 的 `AuthorizationType` 和 `AuthorizerId`。",
        references: &[
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control.html",
            "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-controlling-access-to-apis.html",
        ],
    },
    RuleMeta {
        id: "FG-TRIG-004",
        area: Area::Trig,
        severity: Severity::Medium,
        guide: &["3.3.2", "3.1.2"],
        attack: &["T1190", "T1552"],
        title_en: "API key is the only protection of an API route",
        title_zh: "API 密钥是 API 路由的唯一保护",
        description_en: "The route requires an API key (ApiKeyRequired) but has no authorizer. API Gateway documents \
API keys as a usage-plan and metering tool, not as authentication: keys are static, shared by every client of a \
plan, sent in a header and easily leaked through front-end code, logs or repositories.",
        description_zh: "该路由要求 API 密钥（ApiKeyRequired）但没有授权器。API Gateway 文档明确说明 API 密钥用于使用计划和计量，\
不是身份验证手段：密钥是静态的、被同一计划的所有客户端共享、通过请求头发送，容易经前端代码、日志或代码仓库泄露。",
        risk_en: "Whoever obtains one key invokes the function as any legitimate client; there is no per-user identity \
to revoke or audit.",
        risk_zh: "任何拿到密钥的人都能以合法客户端身份调用函数；没有可吊销或审计的用户身份。",
        remediation_en: "Keep the API key for metering but add real authorization: a Cognito or JWT authorizer, a Lambda \
authorizer, or AWS_IAM. Rotate keys that may have been exposed. \
Where: CloudFormation `AuthorizationType` (COGNITO_USER_POOLS, CUSTOM or AWS_IAM) and `AuthorizerId` of `AWS::ApiGateway::Method` next to `ApiKeyRequired`; SAM `Auth.DefaultAuthorizer` next to `Auth.ApiKeyRequired`; Serverless an `authorizer` on the `http` event next to `private: true`; Terraform `authorization` and `authorizer_id` of `aws_api_gateway_method` next to `api_key_required`.",
        remediation_zh: "API 密钥可继续用于计量，但需增加真正的授权：Cognito 或 JWT 授权器、Lambda 授权器或 AWS_IAM。轮换可能已泄露的密钥。\
位置：CloudFormation 中 `AWS::ApiGateway::Method` 的 `AuthorizationType`（COGNITO_USER_POOLS、CUSTOM 或 AWS_IAM）和 `AuthorizerId`，与 `ApiKeyRequired` 并存；SAM 的 `Auth.DefaultAuthorizer` 与 `Auth.ApiKeyRequired` 并存；Serverless 在 `http` 事件上添加 `authorizer`，与 `private: true` 并存；Terraform 中 `aws_api_gateway_method` 的 `authorization` 和 `authorizer_id`，与 `api_key_required` 并存。",
        references: &[
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html",
        ],
    },
    RuleMeta {
        id: "FG-TRIG-005",
        area: Area::Trig,
        severity: Severity::Medium,
        guide: &["3.3.2"],
        attack: &["T1539", "T1190"],
        title_en: "CORS allows any origin together with credentials",
        title_zh: "CORS 允许任意来源且允许携带凭证",
        description_en: "The CORS configuration of an API or function URL lists `*` among the allowed origins and \
sets AllowCredentials to true. Browsers refuse a literal `*` with credentials, so implementations typically reflect \
the caller's Origin instead, which lets every website make authenticated cross-origin requests.",
        description_zh: "API 或函数 URL 的 CORS 配置在允许的来源中包含 `*`，同时将 AllowCredentials 设为 true。\
浏览器不接受带凭证的字面量 `*`，实现通常会改为回显请求的 Origin，从而任何网站都能发起携带凭证的跨域请求。",
        risk_en: "A malicious web page visited by a logged-in user can call the API with the user's cookies or \
authorization headers and read the responses (cross-site data theft, session riding).",
        risk_zh: "已登录用户访问恶意网页时，该网页可携带用户的 Cookie 或授权头调用 API 并读取响应（跨站数据窃取、会话劫持）。",
        remediation_en: "List the exact origins that need access (https://app.example.com) in AllowOrigins, or keep `*` \
but set AllowCredentials to false and authenticate with a bearer token the page must hold explicitly. \
Where: CloudFormation `CorsConfiguration` (`AllowOrigins`, `AllowCredentials`) of `AWS::ApiGatewayV2::Api`, `Cors` of `AWS::Lambda::Url`, or the `Access-Control-Allow-Origin`/`-Credentials` response parameters of a REST API's OPTIONS method; SAM `Cors` / `CorsConfiguration` of the API and `FunctionUrlConfig.Cors`; Serverless `cors` of `http` events or `provider.httpApi.cors` (`allowedOrigins`, `allowCredentials`); Terraform `cors_configuration` of `aws_apigatewayv2_api` or `cors` of `aws_lambda_function_url` (`allow_origins`, `allow_credentials`).",
        remediation_zh: "在 AllowOrigins 中列出确需访问的具体来源（如 https://app.example.com）；或保留 `*` 但将 AllowCredentials 设为 false，\
并改用页面需显式持有的 Bearer 令牌进行认证。\
位置：CloudFormation 中 `AWS::ApiGatewayV2::Api` 的 `CorsConfiguration`（`AllowOrigins`、`AllowCredentials`）、`AWS::Lambda::Url` 的 `Cors`，或 REST API 的 OPTIONS 方法中 `Access-Control-Allow-Origin`/`-Credentials` 响应参数；SAM 中 API 的 `Cors` / `CorsConfiguration` 和 `FunctionUrlConfig.Cors`；Serverless 中 `http` 事件的 `cors` 或 `provider.httpApi.cors`（`allowedOrigins`、`allowCredentials`）；Terraform 中 `aws_apigatewayv2_api` 的 `cors_configuration` 或 `aws_lambda_function_url` 的 `cors`（`allow_origins`、`allow_credentials`）。",
        references: &[
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors",
        ],
    },
    // ATT&CK: the writable bucket, queue or topic is the outsider's
    // public-facing input to the function (T1190), and writing to it makes
    // the function execute on their behalf (T1648 Serverless Execution).
    RuleMeta {
        id: "FG-TRIG-006",
        area: Area::Trig,
        severity: Severity::High,
        guide: &["3.1.2", "2.2"],
        attack: &["T1190", "T1648"],
        title_en: "Trigger source accepts events from anyone or another account",
        title_zh: "触发源接受任何人或其他账户的事件",
        description_en: "An S3 bucket, SQS queue or SNS topic that triggers a function has a resource-based policy (AWS::S3::BucketPolicy, AWS::SQS::QueuePolicy, AWS::SNS::TopicPolicy, aws_s3_bucket_policy, aws_sqs_queue_policy, aws_sns_topic_policy or the inline `policy` of the bucket, queue or topic) or a canned ACL (PublicReadWrite, public-read-write) that lets Principal `*` or an AWS account other than the deploying one write to it (s3:PutObject, sqs:SendMessage, sns:Publish; wildcards count) with no condition that keeps outsiders out. The policy is evaluated with AWS semantics: Deny, NotAction and NotPrincipal are honoured; aws:SourceArn, aws:SourceAccount, aws:SourceOwner, aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceVpce and similar conditions restrict the writer and suppress the finding; aws:SecureTransport, aws:Referer, aws:UserAgent and s3:x-amz-acl do not, since the caller chooses them; any other condition or unresolved value suppresses it. A public bucket policy behind S3 Block Public Access (RestrictPublicBuckets or BlockPublicPolicy true) and a public ACL with ACLs disabled (BucketOwnerEnforced) or ignored (IgnorePublicAcls) are not reported. Severity is high for `*` (anyone on the internet) and medium for a named foreign account.",
        description_zh: "触发函数的 S3 存储桶、SQS 队列或 SNS 主题，其基于资源的策略（AWS::S3::BucketPolicy、AWS::SQS::QueuePolicy、AWS::SNS::TopicPolicy、aws_s3_bucket_policy、aws_sqs_queue_policy、aws_sns_topic_policy，或存储桶、队列、主题上的内联 `policy`）或预设 ACL（PublicReadWrite、public-read-write）允许 Principal `*` 或部署账户以外的 AWS 账户写入（s3:PutObject、sqs:SendMessage、sns:Publish，通配符同样计入），且没有把外部人员挡在外面的条件。策略按 AWS 语义评估：遵循 Deny、NotAction 和 NotPrincipal；aws:SourceArn、aws:SourceAccount、aws:SourceOwner、aws:PrincipalOrgID、aws:PrincipalAccount、aws:SourceVpce 等条件会限制写入方，此时不报告；aws:SecureTransport、aws:Referer、aws:UserAgent 和 s3:x-amz-acl 由调用方自行决定，不算限制；其他条件或无法解析的值都不报告。S3 阻止公共访问（RestrictPublicBuckets 或 BlockPublicPolicy 为 true）之下的公共存储桶策略，以及 ACL 被禁用（BucketOwnerEnforced）或被忽略（IgnorePublicAcls）时的公共 ACL，不报告。面向 `*`（互联网上任何人）为高，面向指定的外部账户为中。",
        risk_en: "Whoever may write to the source decides the function's input: a crafted object, message or notification reaches the handler as a trusted event, so a parsing bug or injection becomes code execution with the function's role and network position (guide §2.2), and a flood of events runs up cost. Lambda permissions that name only the bucket or topic (SourceArn) do not help: the event comes from the right resource.",
        risk_zh: "能写入触发源的人就决定了函数的输入：精心构造的对象、消息或通知会作为可信事件到达处理函数，解析缺陷或注入便成为以函数角色和网络位置执行的代码（指南 §2.2），大量事件还会推高费用。只限定存储桶或主题（SourceArn）的 Lambda 调用权限无济于事：事件确实来自正确的资源。",
        remediation_en: "Let only the producers that need it write to the source: name them as principals (your own roles or account), or keep `*` for an AWS service principal with aws:SourceArn / aws:SourceAccount conditions; for partners in your organization use aws:PrincipalOrgID. Remove PublicReadWrite ACLs, set ObjectOwnership to BucketOwnerEnforced and enable S3 Block Public Access (BlockPublicPolicy, RestrictPublicBuckets). Where: CloudFormation/SAM `PolicyDocument` of `AWS::S3::BucketPolicy`, `AWS::SQS::QueuePolicy`, `AWS::SNS::TopicPolicy`, and `AccessControl` / `OwnershipControls` / `PublicAccessBlockConfiguration` of `AWS::S3::Bucket`; Serverless the same resources under `resources.Resources`; Terraform `policy` of `aws_s3_bucket_policy`, `aws_sqs_queue_policy`, `aws_sns_topic_policy` (or of `aws_sqs_queue` / `aws_sns_topic` / `aws_s3_bucket`), `acl` of `aws_s3_bucket_acl`, `aws_s3_bucket_ownership_controls` and `aws_s3_bucket_public_access_block`.",
        remediation_zh: "只允许确需写入的生产方写入触发源：把它们写成主体（本账户的角色或账户），或对 AWS 服务主体保留 `*` 但加上 aws:SourceArn / aws:SourceAccount 条件；组织内的合作方使用 aws:PrincipalOrgID。删除 PublicReadWrite ACL，把 ObjectOwnership 设为 BucketOwnerEnforced，并开启 S3 阻止公共访问（BlockPublicPolicy、RestrictPublicBuckets）。位置：CloudFormation/SAM 中 `AWS::S3::BucketPolicy`、`AWS::SQS::QueuePolicy`、`AWS::SNS::TopicPolicy` 的 `PolicyDocument`，以及 `AWS::S3::Bucket` 的 `AccessControl` / `OwnershipControls` / `PublicAccessBlockConfiguration`；Serverless 中 `resources.Resources` 下的同类资源；Terraform 中 `aws_s3_bucket_policy`、`aws_sqs_queue_policy`、`aws_sns_topic_policy` 的 `policy`（或 `aws_sqs_queue` / `aws_sns_topic` / `aws_s3_bucket` 上的 `policy`）、`aws_s3_bucket_acl` 的 `acl`、`aws_s3_bucket_ownership_controls` 和 `aws_s3_bucket_public_access_block`。",
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-policy-language-overview.html",
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html",
            "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html",
            "https://attack.mitre.org/techniques/T1648/",
        ],
    },
];

fn emit(out: &mut Vec<Raw>, finding: Finding, element_loc: Loc, ignores: &[Ignore]) {
    out.push(Raw {
        finding,
        element_loc,
        element_ignores: ignores.to_vec(),
    });
}

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    check_permissions(ctx, out);
    check_function_urls(ctx, out);
    check_routes(ctx, out);
    check_cors(ctx, out);
    check_trigger_sources(ctx, out);
}

/// What a principal is, as far as the text tells: one classification for
/// invoke permissions (FG-TRIG-001), the attack paths' entry points and
/// resource policies of trigger sources (FG-TRIG-006), in every partition
/// (`arn:aws:`, `arn:aws-cn:`, `arn:aws-us-gov:`...).
#[derive(Debug, PartialEq)]
pub(crate) enum Principal {
    Everyone,
    OwnAccount,
    OtherAccount(String),
    Service(String),
    /// A shape we do not recognise: never reported.
    Unrecognised,
}

pub(crate) fn classify_principal(principal: &str) -> Principal {
    let p = principal.trim();
    if p == "*" {
        return Principal::Everyone;
    }
    let account = account_of(p);
    if let Some(account) = account {
        return if account == SELF_ACCOUNT {
            Principal::OwnAccount
        } else {
            Principal::OtherAccount(account.to_string())
        };
    }
    if p == SELF_ACCOUNT {
        return Principal::OwnAccount;
    }
    // `${OrdersRole.Arn}`, `${aws_iam_role.ci.arn}`: a reference the loader
    // kept as a placeholder; whose it is cannot be told from the text.
    if p.contains(['$', '{', '}']) {
        return Principal::Unrecognised;
    }
    // Service principals are DNS names (s3.amazonaws.com,
    // alexa-appkit.amazon.com); ARNs and account ids contain no dot.
    if !p.contains(':') && p.contains('.') && !p.contains(char::is_whitespace) {
        return Principal::Service(p.to_string());
    }
    Principal::Unrecognised
}

/// A concrete AWS account id: twelve digits.
pub(crate) fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The account of `arn:partition:service:region:account:...`, when it is
/// a concrete one.
pub(crate) fn arn_account(arn: &str) -> Option<&str> {
    let account = arn.strip_prefix("arn:")?.split(':').nth(3)?;
    is_account_id(account).then_some(account)
}

/// The account of a 12-digit id or an IAM ARN (`arn:<partition>:iam::N:...`).
fn account_of(principal: &str) -> Option<&str> {
    if is_account_id(principal) {
        return Some(principal);
    }
    let rest = principal.strip_prefix("arn:")?;
    // The placeholder itself contains colons.
    if let Some((_, after)) = rest.split_once(":iam::") {
        if after.starts_with(SELF_ACCOUNT) {
            return Some(SELF_ACCOUNT);
        }
    }
    let mut parts = rest.splitn(5, ':');
    let _partition = parts.next()?;
    if parts.next()? != "iam" {
        return None;
    }
    let _region = parts.next()?;
    let account = parts.next()?;
    let valid = account == SELF_ACCOUNT || is_account_id(account);
    valid.then_some(account)
}

fn function_label(function: &Ref, fallback: &str) -> String {
    match function {
        Ref::Local(id) => id.clone(),
        _ => fallback.to_string(),
    }
}

pub(crate) fn is_restricted(p: &InvokePermission) -> bool {
    // An unknown condition value still restricts the caller: only an
    // absent one leaves the permission open.
    !p.source_arn.is_absent()
        || !p.source_account.is_absent()
        || !p.principal_org_id.is_absent()
        || !p.event_source_token.is_absent()
}

/// Account ids the scanned files themselves place the functions in: an
/// execution role, dead-letter target, destination or KMS key ARN is in the
/// function's own account. Templates often hard-code their account id, and
/// a permission for it is not cross-account.
pub(crate) fn own_accounts(ctx: &Ctx) -> HashSet<String> {
    let mut accounts = HashSet::default();
    for f in &ctx.dep.functions {
        let role = match f.role.value() {
            Some(Ref::External(arn)) => Some(arn.as_str()),
            _ => None,
        };
        let arns = [
            role,
            f.dead_letter.as_deref(),
            f.on_failure.as_deref(),
            f.kms_key.as_deref(),
        ];
        for arn in arns.into_iter().flatten() {
            if let Some(account) = arn_account(arn) {
                accounts.insert(account.to_string());
            }
        }
    }
    accounts
}

fn check_permissions(ctx: &Ctx, out: &mut Vec<Raw>) {
    let rule = &RULES[0];
    let url_rule = &RULES[1];
    let own = own_accounts(ctx);
    // Functions whose public URL is already reported through their
    // AWS::Lambda::Url / aws_lambda_function_url element.
    let open_urls: HashSet<&str> = ctx
        .dep
        .function_urls
        .iter()
        .filter(|u| u.auth_type.eq_ignore_case("NONE"))
        .filter_map(|u| match &u.function {
            Ref::Local(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    for p in &ctx.dep.permissions {
        let Field::Known(principal, principal_loc) = &p.principal else {
            continue;
        };
        if is_restricted(p) {
            continue;
        }
        let target = function_label(&p.function, &p.id);
        let class = match classify_principal(principal) {
            Principal::OtherAccount(account) if own.contains(&account) => Principal::OwnAccount,
            class => class,
        };
        // Since October 2025 a public function URL also needs an
        // InvokeFunction permission for `*` restricted by
        // `InvokedViaFunctionUrl` (SAM generates it). The model does not
        // carry that flag, so for a function whose open URL FG-TRIG-002
        // already reports, such a permission is taken to be that one.
        let url_companion = class == Principal::Everyone
            && p.function_url_auth_type.is_absent()
            && matches!(&p.function, Ref::Local(id) if open_urls.contains(id.as_str()));
        if url_companion {
            continue;
        }
        match &p.function_url_auth_type {
            Field::Unknown(_) => continue,
            Field::Known(auth, auth_loc) => {
                // A URL permission for `*` with auth NONE is what makes a
                // function URL public: FG-TRIG-002's subject. Report it
                // here only when no URL element in the scanned files does.
                if auth.eq_ignore_ascii_case("NONE") {
                    let covered =
                        matches!(&p.function, Ref::Local(id) if open_urls.contains(id.as_str()));
                    if class == Principal::Everyone && !covered {
                        let msg = ctx.text(|| format!("Permission {} lets anyone call the function URL of {target} without authentication (FunctionUrlAuthType NONE, Principal *).", p.id), || format!("权限 {} 允许任何人无需认证调用 {target} 的函数 URL（FunctionUrlAuthType NONE，Principal *）。", p.id));
                        let f = ctx.finding(url_rule, &target, *auth_loc, msg, &p.id);
                        emit(out, f, p.loc, &p.ignores);
                    }
                    continue;
                }
            }
            Field::Absent => {}
        }
        let iam_url = p.function_url_auth_type.eq_ignore_case("AWS_IAM");
        let (severity, en, zh) = match &class {
            // With AuthType AWS_IAM callers must still sign requests, but a
            // `*` resource policy lets IAM principals of every AWS account
            // in: a cross-account exposure, not an anonymous one.
            Principal::Everyone if iam_url => (
                Severity::High,
                format!("Permission {} lets IAM principals of any AWS account (`*`) call the function URL of {target}; restrict Principal to your account or add PrincipalOrgID.", p.id),
                format!("权限 {} 允许任意 AWS 账户（`*`）的 IAM 主体调用 {target} 的函数 URL；请把 Principal 限定为本账户或添加 PrincipalOrgID。", p.id),
            ),
            Principal::Everyone => (
                Severity::Critical,
                format!("Permission {} lets any principal (`*`) invoke {target} with no SourceArn, SourceAccount or PrincipalOrgID condition.", p.id),
                format!("权限 {} 允许任意主体（`*`）调用 {target}，且没有 SourceArn、SourceAccount 或 PrincipalOrgID 条件。", p.id),
            ),
            Principal::OtherAccount(account) => (
                Severity::Critical,
                format!("Permission {} lets AWS account {account}, which is not the deploying account, invoke {target} with no SourceArn, SourceAccount or PrincipalOrgID condition.", p.id),
                format!("权限 {} 允许非部署账户的 AWS 账户 {account} 调用 {target}，且没有 SourceArn、SourceAccount 或 PrincipalOrgID 条件。", p.id),
            ),
            // Alexa cannot name a source ARN: the skill id goes in
            // EventSourceToken (SAM `AlexaSkill` event `SkillId`).
            Principal::Service(service) if service.starts_with("alexa-") => (
                Severity::High,
                format!("Permission {} lets service {service} invoke {target} for any Alexa skill: set EventSourceToken to your skill id (SAM: SkillId on the AlexaSkill event).", p.id),
                format!("权限 {} 允许服务 {service} 为任意 Alexa 技能调用 {target}：请把 EventSourceToken 设为你的技能 ID（SAM：AlexaSkill 事件的 SkillId）。", p.id),
            ),
            Principal::Service(service) => (
                Severity::High,
                format!("Permission {} lets service {service} invoke {target} on behalf of any AWS account: add SourceArn or SourceAccount so only your own resources can trigger it (confused deputy).", p.id),
                format!("权限 {} 允许服务 {service} 代表任意 AWS 账户调用 {target}：请添加 SourceArn 或 SourceAccount，使只有本账户的资源能触发它（混淆代理）。", p.id),
            ),
            Principal::OwnAccount | Principal::Unrecognised => continue,
        };
        let f = ctx
            .finding(rule, &target, *principal_loc, Text::new(en, zh), &p.id)
            .with_severity(severity)
            .with_evidence(format!("Principal: {principal}"));
        emit(out, f, p.loc, &p.ignores);
    }
}

fn check_function_urls(ctx: &Ctx, out: &mut Vec<Raw>) {
    let rule = &RULES[1];
    for url in &ctx.dep.function_urls {
        let Field::Known(auth, loc) = &url.auth_type else {
            continue;
        };
        if !auth.eq_ignore_ascii_case("NONE") {
            continue;
        }
        let target = function_label(&url.function, &url.id);
        let msg = ctx.text(|| format!("The function URL {} of {target} has AuthType NONE: anyone on the internet can invoke it.", url.id), || format!("{target} 的函数 URL {} 的 AuthType 为 NONE：互联网上任何人都能调用它。", url.id));
        let f = ctx.finding(rule, &target, *loc, msg, &url.id);
        emit(out, f, url.loc, &url.ignores);
    }
}

fn check_routes(ctx: &Ctx, out: &mut Vec<Raw>) {
    let functions: HashMap<&str, &fnguard_model::Function> = ctx
        .dep
        .functions
        .iter()
        .map(|f| (f.id.as_str(), f))
        .collect();
    for api in &ctx.dep.apis {
        // A PRIVATE endpoint is reachable only through VPC endpoints; an
        // unknown endpoint type cannot be judged.
        match api.private_endpoint {
            Field::Known(true, _) | Field::Unknown(_) => continue,
            _ => {}
        }
        if api.resource_policy.as_ref().is_some_and(restricts_callers) {
            continue;
        }
        for route in &api.routes {
            let Some((auth_loc, api_key_only)) = open_route(api, route) else {
                continue;
            };
            let rule = if api_key_only { &RULES[3] } else { &RULES[2] };
            let resource = route.function.as_deref().unwrap_or(&api.id);
            let label = route_label(&route.method, &route.path);
            let served = route
                .function
                .as_deref()
                .map(|f| (format!(" (serves {f})"), format!("（由 {f} 处理）")))
                .unwrap_or_default();
            let msg = if api_key_only {
                ctx.text(|| format!("Route {label} of API {}{} is protected only by an API key, with no authorizer.", api.id, served.0), || format!("API {} 的路由 {label}{}仅由 API 密钥保护，没有授权器。", api.id, served.1))
            } else {
                ctx.text(|| format!("Route {label} of API {}{} has no authorization: anyone on the internet can call it.", api.id, served.0), || format!("API {} 的路由 {label}{}没有授权：互联网上任何人都能调用。", api.id, served.1))
            };
            let loc = if auth_loc.line > 0 {
                auth_loc
            } else {
                route.loc
            };
            let discriminator = format!("{} {} {}", api.id, route.method, route.path);
            let f = ctx.finding(rule, resource, loc, msg, &discriminator);
            // Ignores on the serving function also cover its routes: for
            // implicit APIs that is where users write them.
            let mut ignores = api.ignores.clone();
            if let Some(function) = route.function.as_deref().and_then(|id| functions.get(id)) {
                ignores.extend(function.ignores.iter().cloned());
            }
            out.push(Raw {
                finding: f,
                element_loc: api.loc,
                element_ignores: ignores,
            });
        }
    }
}

/// Whether an API resource policy may keep anonymous callers out. Only a
/// policy made solely of unconditional `Allow` statements for `*` is known
/// to leave the API open; anything else (a Deny, a condition on the source
/// IP or VPC endpoint, named principals, an unreadable part) needs policy
/// evaluation, and an open route is then not reported.
/// A route anyone can call without credentials: not a CORS preflight, the
/// `$connect` route of a WebSocket API (the only one that authorizes), no
/// authorizer, and an API key required at most. Gives where the missing
/// authorization is written and whether an API key is the only protection.
/// An unknown API-key setting cannot be judged. Shared by FG-TRIG-003/004
/// and the attack paths' entry points.
pub(crate) fn open_route(api: &Api, route: &Route) -> Option<(Loc, bool)> {
    if route.method.eq_ignore_ascii_case("OPTIONS") {
        return None;
    }
    if api.kind == ApiKind::WebSocket && !(route.method == "$connect" || route.path == "$connect") {
        return None;
    }
    let Field::Known(AuthKind::None, auth_loc) = &route.auth else {
        return None;
    };
    let api_key_only = match route.api_key_required {
        Field::Known(key_required, _) => key_required,
        Field::Unknown(_) => return None,
        Field::Absent => false,
    };
    Some((*auth_loc, api_key_only))
}

/// Whether an API's resource policy may keep some callers out: anything but
/// unconditional allows for `*` (unknown documents count as restricting).
pub(crate) fn restricts_callers(policy: &Policy) -> bool {
    if policy.unknown || policy.statements.is_empty() {
        return true;
    }
    policy.statements.iter().any(|st| {
        let everyone = match &st.principals {
            PrincipalSet::Principal(entries) => entries
                .iter()
                .all(|e| e.value.as_str().is_some_and(|v| v.trim() == "*")),
            _ => false,
        };
        st.effect != Effect::Allow || st.has_conditions() || !everyone
    })
}

fn route_label(method: &str, path: &str) -> String {
    if path.is_empty() {
        method.to_string()
    } else if method.is_empty() {
        path.to_string()
    } else {
        format!("{method} {path}")
    }
}

fn open_cors(cors: &Cors) -> Option<Loc> {
    let Field::Known(true, cred_loc) = cors.allow_credentials else {
        return None;
    };
    let wildcard = cors
        .allow_origins
        .iter()
        // SAM REST API CORS values are header values in single quotes.
        .any(|o| {
            o.as_deref()
                .is_some_and(|v| v.trim().trim_matches('\'') == "*")
        });
    wildcard.then_some(cred_loc)
}

fn check_cors(ctx: &Ctx, out: &mut Vec<Raw>) {
    let rule = &RULES[4];
    for api in &ctx.dep.apis {
        if let Some(cors) = &api.cors {
            if let Some(loc) = open_cors(cors) {
                let msg = ctx.text(|| format!("The CORS configuration of API {} allows any origin (`*`) with AllowCredentials true.", api.id), || format!("API {} 的 CORS 配置允许任意来源（`*`）且 AllowCredentials 为 true。", api.id));
                let f = ctx.finding(rule, &api.id, loc, msg, "cors");
                emit(out, f, api.loc, &api.ignores);
            }
        }
    }
    for url in &ctx.dep.function_urls {
        if let Some(cors) = &url.cors {
            if let Some(loc) = open_cors(cors) {
                let target = function_label(&url.function, &url.id);
                let msg = ctx.text(|| format!("The CORS configuration of function URL {} ({target}) allows any origin (`*`) with AllowCredentials true.", url.id), || format!("函数 URL {}（{target}）的 CORS 配置允许任意来源（`*`）且 AllowCredentials 为 true。", url.id));
                let f = ctx.finding(rule, &target, loc, msg, &format!("cors {}", url.id));
                emit(out, f, url.loc, &url.ignores);
            }
        }
    }
}

// ------------------------------------------- who may feed a trigger

/// Condition keys the caller sets on its own request: a clause on one of
/// them keeps nobody out (the attacker sends TLS, any Referer or User-Agent,
/// the `x-amz-acl` header the policy asks for). Allow clauses on them hold,
/// Deny statements using them are avoided.
const CALLER_CHOSEN_KEYS: &[&str] = &[
    "aws:SecureTransport",
    "aws:Referer",
    "aws:UserAgent",
    "s3:TlsVersion",
    "s3:signatureversion",
    "s3:x-amz-acl",
];

/// Keys an outsider's direct request does not carry: they name the AWS
/// service, resource, organization or network path a request comes through.
/// An Allow that requires one of them (`aws:SourceArn` of the own bucket,
/// `aws:SourceAccount` of the own account, `aws:PrincipalOrgID`, a VPC
/// endpoint) does not apply to an outsider; a Deny unless one of them is
/// present applies.
const SOURCE_KEYS: &[&str] = &[
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:VpcSourceIp",
];

/// Keys about the caller's identity, absent from an anonymous request.
const IDENTITY_KEYS: &[&str] = &[
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalType",
    "aws:PrincipalServiceName",
    "aws:PrincipalIsAWSService",
    "aws:userid",
    "aws:username",
];

/// Who tries to put events into a trigger source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outsider {
    /// Anyone on the internet, unauthenticated.
    Anyone,
    /// Principals of another AWS account.
    Account(String),
}

/// A grant that lets an outsider put events into a bucket, queue or topic
/// that triggers a function.
#[derive(Debug, Clone)]
pub(crate) struct SourceGrant<'d> {
    pub who: Outsider,
    /// `s3:PutObject`, `sqs:SendMessage`, `sns:Publish`.
    pub action: &'static str,
    pub policy: &'d ResourcePolicy,
    /// The Allow statement (or ACL setting) that grants it.
    pub loc: Loc,
}

impl SourceGrant<'_> {
    /// `anyone (`*`)`, `account 210987654321`.
    pub fn who(&self) -> (String, String) {
        match &self.who {
            Outsider::Anyone => ("anyone (`*`)".to_string(), "任何人（`*`）".to_string()),
            Outsider::Account(a) => (format!("account {a}"), format!("账户 {a}")),
        }
    }

    /// `policy OrdersQueuePolicy`, `ACL PublicReadWrite of PhotosBucket`.
    pub fn through(&self) -> (String, String) {
        match &self.policy.canned_acl {
            Some(acl) => (
                format!("ACL {acl} of {}", self.policy.id),
                format!("{} 的 ACL {acl}", self.policy.id),
            ),
            None => (
                format!("policy {}", self.policy.id),
                format!("策略 {}", self.policy.id),
            ),
        }
    }
}

/// The write action that puts events into a trigger of this kind, and the
/// kind of resource policy that guards it.
fn feed_action(kind: TriggerKind) -> Option<(&'static str, ResourcePolicyKind)> {
    match kind {
        TriggerKind::S3 => Some(("s3:PutObject", ResourcePolicyKind::Bucket)),
        TriggerKind::Sqs => Some(("sqs:SendMessage", ResourcePolicyKind::Queue)),
        TriggerKind::Sns => Some(("sns:Publish", ResourcePolicyKind::Topic)),
        _ => None,
    }
}

/// `bucket`, `queue`, `topic`.
pub(crate) fn source_noun(kind: TriggerKind) -> (&'static str, &'static str) {
    match kind {
        TriggerKind::S3 => ("bucket", "存储桶"),
        TriggerKind::Sqs => ("queue", "队列"),
        _ => ("topic", "主题"),
    }
}

/// The resource policies of a deployment by the local bucket, queue or
/// topic they apply to, built once per deployment so that judging a
/// trigger costs a lookup.
pub(crate) struct SourcePolicies<'d> {
    by_target: HashMap<&'d str, Vec<&'d ResourcePolicy>>,
    own: HashSet<String>,
}

impl<'d> SourcePolicies<'d> {
    pub fn new(ctx: &Ctx<'d>) -> Self {
        let mut by_target: HashMap<&str, Vec<&ResourcePolicy>> = HashMap::default();
        for p in &ctx.dep.resource_policies {
            for t in &p.targets {
                if let Ref::Local(id) = t {
                    by_target.entry(id.as_str()).or_default().push(p);
                }
            }
        }
        let own = if by_target.is_empty() {
            HashSet::default()
        } else {
            own_accounts(ctx)
        };
        SourcePolicies { by_target, own }
    }

    /// The widest grant through which outsiders may put events into the
    /// local source `source` of a trigger of `kind`: anyone before a
    /// foreign account. Only an unconditional grant counts (`Allowed`,
    /// evaluated with Deny, NotAction and NotPrincipal honoured): whatever
    /// depends on an unknown value or an unresolved condition is not one.
    pub fn grant(&self, kind: TriggerKind, source: &str) -> Option<SourceGrant<'d>> {
        let (action, policy_kind) = feed_action(kind)?;
        let policies: Vec<&ResourcePolicy> = self
            .by_target
            .get(source)?
            .iter()
            .copied()
            .filter(|p| p.kind == policy_kind)
            .collect();
        if policies.is_empty() {
            return None;
        }
        // S3 Block Public Access (RestrictPublicBuckets, BlockPublicPolicy)
        // leaves a bucket with a public policy open to no one outside the
        // account, named accounts included.
        if policies
            .iter()
            .any(|p| p.public_policy_blocked && allows_everyone(&p.policy))
        {
            return None;
        }
        // Candidate accounts: those Allow statements name.
        let mut outsiders = vec![Outsider::Anyone];
        for p in &policies {
            for st in p
                .policy
                .statements
                .iter()
                .filter(|s| s.effect == Effect::Allow)
            {
                let PrincipalSet::Principal(entries) = &st.principals else {
                    continue;
                };
                for e in entries
                    .iter()
                    .filter(|e| e.kind.eq_ignore_ascii_case("AWS"))
                {
                    if let Some(Principal::OtherAccount(a)) =
                        e.value.as_str().map(classify_principal)
                    {
                        let who = Outsider::Account(a);
                        if !self.own_account(&who) && !outsiders.contains(&who) {
                            outsiders.push(who);
                        }
                    }
                }
            }
        }
        outsiders
            .into_iter()
            .find_map(|who| self.granted_to(&policies, action, who))
    }

    fn own_account(&self, who: &Outsider) -> bool {
        matches!(who, Outsider::Account(a) if self.own.contains(a))
    }

    /// Evaluate `action` for `who` over the statements that apply to them.
    fn granted_to(
        &self,
        policies: &[&'d ResourcePolicy],
        action: &'static str,
        who: Outsider,
    ) -> Option<SourceGrant<'d>> {
        let mut statements = Vec::new();
        let mut origin: Vec<(&ResourcePolicy, Loc)> = Vec::new();
        let mut unknown = false;
        for p in policies {
            unknown |= p.policy.unknown;
            for st in &p.policy.statements {
                let applies = self.principal_applies(&st.principals, &who);
                if applies == Tri::No {
                    continue;
                }
                let caller_chosen = |c: &ConditionClause| {
                    CALLER_CHOSEN_KEYS
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(&c.key))
                };
                if st.effect == Effect::Deny && st.conditions.iter().any(caller_chosen) {
                    continue;
                }
                let mut st = st.clone();
                st.conditions.retain(|c| !caller_chosen(c));
                // A policy applies to the resource it is attached to; its
                // Resource element only repeats that (or narrows it to a
                // prefix, which still fires notifications).
                st.resources = ResourceSet::Resource(vec![Val::known("*", st.loc)]);
                if applies == Tri::Maybe {
                    st.condition_unknown = true;
                }
                origin.push((p, st.loc));
                statements.push(st);
            }
        }
        let policy = Policy {
            statements,
            loc: Loc::default(),
            unknown,
        };
        let mut request = Context::new();
        for key in SOURCE_KEYS {
            request = request.with_absent(key);
        }
        match &who {
            Outsider::Anyone => {
                for key in IDENTITY_KEYS {
                    request = request.with_absent(key);
                }
            }
            Outsider::Account(a) => {
                request = request
                    .with("aws:PrincipalAccount", &[a.as_str()])
                    .with("aws:PrincipalIsAWSService", &["false"]);
            }
        }
        let evaluation = Evaluator::new(&[&policy], "*", &request).explain(action);
        if evaluation.decision != Decision::Allowed {
            return None;
        }
        let grant = evaluation.allows().find(|m| m.certain)?;
        let (policy, loc) = origin[grant.statement];
        Some(SourceGrant {
            who,
            action,
            policy,
            loc,
        })
    }

    /// Whether a statement's principals cover `who`.
    fn principal_applies(&self, set: &PrincipalSet, who: &Outsider) -> Tri {
        let any = |entries: &[PrincipalEntry]| {
            entries
                .iter()
                .fold(Tri::No, |acc, e| acc.or(self.entry_covers(e, who)))
        };
        match set {
            PrincipalSet::Principal(entries) => any(entries),
            PrincipalSet::NotPrincipal(entries) => !any(entries),
            // A resource policy statement needs a principal.
            PrincipalSet::Absent => Tri::No,
        }
    }

    fn entry_covers(&self, entry: &PrincipalEntry, who: &Outsider) -> Tri {
        let Some(value) = entry.value.as_str() else {
            return Tri::Maybe;
        };
        let aws = entry.kind == "*" || entry.kind.eq_ignore_ascii_case("AWS");
        if !aws {
            // Service, Federated and CanonicalUser principals are none of
            // the outsiders asked about.
            return Tri::No;
        }
        match (classify_principal(value), who) {
            (Principal::Everyone, _) => Tri::Yes,
            (Principal::OtherAccount(a), Outsider::Account(b)) => {
                Tri::from_bool(&a == b && !self.own.contains(&a))
            }
            // A reference the files do not resolve may name a principal
            // of any account, never an anonymous caller.
            (Principal::Unrecognised, Outsider::Account(_)) => Tri::Maybe,
            _ => Tri::No,
        }
    }
}

/// A source an outsider may write to: the grant, the source id, the
/// trigger kind, and the (function, trigger location) pairs it feeds.
type FedSource<'d> = (SourceGrant<'d>, &'d str, TriggerKind, Vec<(&'d str, Loc)>);

/// The policy has an Allow statement for `*`: AWS calls it public.
fn allows_everyone(policy: &Policy) -> bool {
    policy.statements.iter().any(|st| {
        st.effect == Effect::Allow
            && matches!(&st.principals, PrincipalSet::Principal(entries)
                if entries.iter().any(|e| e.value.as_str().is_some_and(|v| v.trim() == "*")))
    })
}

/// FG-TRIG-006: a bucket, queue or topic that triggers a function lets
/// anyone or another account put events into it. One finding per source
/// and trigger kind, naming every function it feeds.
fn check_trigger_sources(ctx: &Ctx, out: &mut Vec<Raw>) {
    if ctx.dep.resource_policies.is_empty() {
        return;
    }
    let sources = SourcePolicies::new(ctx);
    let rule = &RULES[5];
    // (source, kind) → grant and the triggers it feeds, in model order.
    let mut found: Vec<FedSource> = Vec::new();
    let mut seen: HashMap<(&str, u8), Option<usize>> = HashMap::default();
    for f in &ctx.dep.functions {
        for t in &f.triggers {
            let Ref::Local(source) = &t.source else {
                continue;
            };
            let slot = *seen
                .entry((source.as_str(), t.kind as u8))
                .or_insert_with(|| {
                    let grant = sources.grant(t.kind, source)?;
                    found.push((grant, source.as_str(), t.kind, Vec::new()));
                    Some(found.len() - 1)
                });
            if let Some(i) = slot {
                found[i].3.push((f.id.as_str(), t.loc));
            }
        }
    }
    for (grant, source, kind, fed) in found {
        let (noun, noun_zh) = source_noun(kind);
        let (who, who_zh) = grant.who();
        let (through, through_zh) = grant.through();
        let functions = fed.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ");
        let action = grant.action;
        let (severity, en, zh) = match grant.who {
            Outsider::Anyone => (
                Severity::High,
                format!("The {noun} {source} that triggers {functions} lets {who} call {action} ({through}) with no condition on the source: anyone can make the function run with input of their choosing."),
                format!("触发 {functions} 的{noun_zh} {source} 允许{who_zh}调用 {action}（{through_zh}），且没有限制来源的条件：任何人都能以自选输入让函数运行。"),
            ),
            Outsider::Account(_) => (
                Severity::Medium,
                format!("The {noun} {source} that triggers {functions} lets {who}, which is not the deploying account, call {action} ({through}) with no condition on the source: that account can make the function run with input of its choosing."),
                format!("触发 {functions} 的{noun_zh} {source} 允许非部署账户的{who_zh}调用 {action}（{through_zh}），且没有限制来源的条件：该账户能以自选输入让函数运行。"),
            ),
        };
        let mut finding = ctx
            .finding(rule, source, grant.loc, Text::new(en, zh), &grant.policy.id)
            .with_severity(severity)
            .with_evidence(format!("{who} → {action} ({through})"));
        for (function, loc) in &fed {
            finding = finding.with_related(
                ctx.src(*loc),
                Text::new(
                    format!("{noun} {source} triggers function {function}"),
                    format!("{noun_zh} {source} 触发函数 {function}"),
                ),
            );
        }
        emit(out, finding, grant.policy.loc, &grant.policy.ignores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_are_classified() {
        assert_eq!(classify_principal("*"), Principal::Everyone);
        assert_eq!(
            classify_principal("123456789012"),
            Principal::OtherAccount("123456789012".into())
        );
        assert_eq!(
            classify_principal("arn:aws:iam::210987654321:root"),
            Principal::OtherAccount("210987654321".into())
        );
        assert_eq!(
            classify_principal("arn:aws:iam::${AWS::AccountId}:root"),
            Principal::OwnAccount
        );
        assert_eq!(classify_principal(SELF_ACCOUNT), Principal::OwnAccount);
        // Every partition: China and GovCloud ARNs name accounts too.
        for arn in [
            "arn:aws-cn:iam::210987654321:root",
            "arn:aws-us-gov:iam::210987654321:role/partner",
            "arn:aws-iso:iam::210987654321:user/ci",
        ] {
            assert_eq!(
                classify_principal(arn),
                Principal::OtherAccount("210987654321".into()),
                "{arn}"
            );
        }
        assert_eq!(
            classify_principal("arn:aws-cn:iam::${AWS::AccountId}:root"),
            Principal::OwnAccount
        );
        assert_eq!(
            classify_principal("arn:aws-us-gov:s3:::bucket"),
            Principal::Unrecognised,
            "not an IAM principal"
        );
        assert_eq!(
            classify_principal("s3.amazonaws.com"),
            Principal::Service("s3.amazonaws.com".into())
        );
        assert_eq!(
            classify_principal("arn:aws:iam::notanaccount:root"),
            Principal::Unrecognised
        );
        for placeholder in [
            "${aws_iam_role.ci.arn}",
            "${OrdersRole.Arn}",
            "${var.partner}",
        ] {
            assert_eq!(classify_principal(placeholder), Principal::Unrecognised);
        }
    }
}
