//! Checks of area `API`: protections of the API Gateway APIs in front of
//! functions (guide §3.3.2, §3.3.3, §3.4.1).
//!
//! Findings are about the API (resource = API id). Implicit APIs (SAM
//! `ServerlessRestApi`, the Serverless Framework's API) carry the location
//! of the event that created them, so findings point at what the user wrote.

use crate::{Ctx, Raw};
use fnguard_core::fast_hash::HashSet;
use fnguard_core::{Area, Field, RuleMeta, Severity, Text};
use fnguard_model::{Api, ApiKind};

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-API-001",
        area: Area::Api,
        severity: Severity::Medium,
        guide: &["3.3.2"],
        attack: &["T1190"],
        title_en: "Public API without a WAF web ACL",
        title_zh: "公开 API 未关联 WAF Web ACL",
        description_en: "A public (non-PRIVATE) API Gateway API has no AWS WAF web ACL associated with it or its stages. \
REST APIs are reported at medium. HTTP and WebSocket APIs cannot be associated with WAF directly: they are reported \
at low, and the fix is to serve them through CloudFront with a WAF web ACL.",
        description_zh: "公开（非 PRIVATE）的 API Gateway API 及其阶段没有关联 AWS WAF Web ACL。REST API 按“中”报告。\
HTTP API 和 WebSocket API 无法直接关联 WAF：按“低”报告，修复方法是通过带 WAF Web ACL 的 CloudFront 提供服务。",
        risk_en: "Injection payloads (SQL injection, XSS, Log4Shell-style strings), known bad IPs and bots reach the \
function unfiltered; there is no rate-based rule to absorb floods.",
        risk_zh: "注入载荷（SQL 注入、XSS、Log4Shell 类字符串）、已知恶意 IP 和机器人流量不经过滤直达函数；也没有基于速率的规则来吸收洪泛流量。",
        remediation_en: "Create an AWS WAF web ACL (AWS managed rule groups such as AWSManagedRulesCommonRuleSet and \
KnownBadInputs, plus a rate-based rule) and associate it with the REST API stage \
(AWS::WAFv2::WebACLAssociation, aws_wafv2_web_acl_association). For HTTP APIs put a CloudFront distribution with \
the web ACL in front and restrict direct access. \
Where: CloudFormation/SAM `AWS::WAFv2::WebACLAssociation` with the stage ARN as `ResourceArn` (under `resources.Resources` with the Serverless Framework); Terraform `aws_wafv2_web_acl_association` with `resource_arn = aws_api_gateway_stage.x.arn`.",
        remediation_zh: "创建 AWS WAF Web ACL（使用 AWSManagedRulesCommonRuleSet、KnownBadInputs 等 AWS 托管规则组并加上基于速率的规则），\
并将其关联到 REST API 阶段（AWS::WAFv2::WebACLAssociation、aws_wafv2_web_acl_association）。\
对于 HTTP API，在前面部署关联该 Web ACL 的 CloudFront 分配，并限制直接访问。\
位置：CloudFormation/SAM 中以阶段 ARN 为 `ResourceArn` 的 `AWS::WAFv2::WebACLAssociation`（Serverless Framework 中写在 `resources.Resources` 下）；Terraform 中 `resource_arn = aws_api_gateway_stage.x.arn` 的 `aws_wafv2_web_acl_association`。",
        references: &[
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html",
            "https://docs.aws.amazon.com/waf/latest/developerguide/waf-chapter.html",
        ],
    },
    RuleMeta {
        id: "FG-API-002",
        area: Area::Api,
        severity: Severity::Medium,
        guide: &["3.3.2"],
        attack: &["T1498", "T1499"],
        title_en: "API without throttling",
        title_zh: "API 未配置限流",
        description_en: "The API configures no throttling: no stage default or per-method/route rate and burst limits, \
and no usage plan. Only the account-level limit (shared by every API in the region) applies.",
        description_zh: "该 API 未配置任何限流：没有阶段默认值或按方法/路由的速率与突发限制，也没有使用计划。仅适用账户级限制（由该区域所有 API 共享）。",
        risk_en: "One client can drive the function to its concurrency limit: denial of service for this and other \
APIs of the account, and an unbounded bill (denial of wallet).",
        risk_zh: "单个客户端即可把函数推到并发上限：造成本 API 及账户内其他 API 的拒绝服务，并带来无上限的账单（费用攻击）。",
        remediation_en: "Set stage throttling (REST: MethodSettings ThrottlingRateLimit/ThrottlingBurstLimit; HTTP API: \
DefaultRouteSettings or RouteSettings; SAM: MethodSettings or DefaultRouteSettings; Terraform: \
aws_api_gateway_method_settings / default_route_settings) and, for keyed clients, usage plans with quotas. \
CloudFormation: `MethodSettings` of `AWS::ApiGateway::Stage`, `DefaultRouteSettings` of `AWS::ApiGatewayV2::Stage`; Serverless: `provider.apiGateway.usagePlan.throttle` (REST) or a stage's route settings under `resources`.",
        remediation_zh: "设置阶段限流（REST：MethodSettings 的 ThrottlingRateLimit/ThrottlingBurstLimit；HTTP API：DefaultRouteSettings 或 RouteSettings；\
SAM：MethodSettings 或 DefaultRouteSettings；Terraform：aws_api_gateway_method_settings / default_route_settings），\
对使用密钥的客户端配置带配额的使用计划。\
CloudFormation：`AWS::ApiGateway::Stage` 的 `MethodSettings`、`AWS::ApiGatewayV2::Stage` 的 `DefaultRouteSettings`；Serverless：`provider.apiGateway.usagePlan.throttle`（REST）或在 `resources` 中设置阶段的路由设置。",
        references: &[
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html",
        ],
    },
    RuleMeta {
        id: "FG-API-003",
        area: Area::Api,
        severity: Severity::Low,
        guide: &["3.3.3"],
        attack: &["T1190"],
        title_en: "REST API without request validation",
        title_zh: "REST API 未配置请求校验",
        description_en: "The REST API has no request validator (AWS::ApiGateway::RequestValidator, SAM \
RequestModel/RequestParameters with validation, aws_api_gateway_request_validator), so every request reaches the \
function whatever its shape.",
        description_zh: "该 REST API 没有请求校验器（AWS::ApiGateway::RequestValidator、带校验的 SAM RequestModel/RequestParameters、\
aws_api_gateway_request_validator），因此任何形态的请求都会到达函数。",
        risk_en: "Malformed and malicious input is passed to the function, which must then defend itself alone; \
invalid requests also cost invocations.",
        risk_zh: "畸形和恶意输入被直接传给函数，函数只能独自防御；无效请求还会消耗调用次数。",
        remediation_en: "Define request models (JSON Schema) and required parameters and attach a request validator \
(ValidateRequestBody, ValidateRequestParameters) to the methods; keep validating input in the handler as well. \
Where: CloudFormation `AWS::ApiGateway::RequestValidator` referenced by `RequestValidatorId` of `AWS::ApiGateway::Method`, with `RequestModels`; SAM `RequestModel: {Model, Required, ValidateBody}` and `RequestParameters` on `Api` events; Serverless `request.schemas` (and `request.parameters` with `required: true`) on `http` events; Terraform `aws_api_gateway_request_validator` and `request_validator_id` / `request_models` of `aws_api_gateway_method`.",
        remediation_zh: "定义请求模型（JSON Schema）和必需参数，并为方法关联请求校验器（ValidateRequestBody、ValidateRequestParameters）；\
同时继续在处理函数中校验输入。\
位置：CloudFormation 中由 `AWS::ApiGateway::Method` 的 `RequestValidatorId` 引用的 `AWS::ApiGateway::RequestValidator`，并配置 `RequestModels`；SAM 中 `Api` 事件的 `RequestModel: {Model, Required, ValidateBody}` 和 `RequestParameters`；Serverless 中 `http` 事件的 `request.schemas`（以及 `required: true` 的 `request.parameters`）；Terraform 的 `aws_api_gateway_request_validator` 以及 `aws_api_gateway_method` 的 `request_validator_id` / `request_models`。",
        references: &[
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html",
        ],
    },
    RuleMeta {
        id: "FG-API-004",
        area: Area::Api,
        severity: Severity::Medium,
        guide: &["3.4.1", "3.3.2"],
        attack: &["T1562.008"],
        title_en: "API access logging disabled",
        title_zh: "API 访问日志未启用",
        description_en: "No stage of the API writes access logs (AccessLogSetting / access_log_settings with a \
destination).",
        description_zh: "该 API 没有任何阶段写入访问日志（带目标的 AccessLogSetting / access_log_settings）。",
        risk_en: "Attacks through the API (credential stuffing, enumeration, injection attempts) leave no record of \
who called what, from where; incidents cannot be investigated.",
        risk_zh: "经由该 API 的攻击（撞库、枚举、注入尝试）不会留下谁从哪里调用了什么的记录；事件无法调查。",
        remediation_en: "Enable access logging on every stage to a CloudWatch Logs group (or Firehose) with a JSON format \
that includes $context.requestId, identity.sourceIp, routeKey/resourcePath, status and authorizer error fields; \
set a retention on that log group. \
Where: CloudFormation `AccessLogSetting` of `AWS::ApiGateway::Stage` / `AccessLogSettings` of `AWS::ApiGatewayV2::Stage`; SAM `AccessLogSetting` of `AWS::Serverless::Api` / `AccessLogSettings` of `AWS::Serverless::HttpApi`; Serverless `provider.logs.restApi` / `provider.logs.httpApi`; Terraform `access_log_settings` of `aws_api_gateway_stage` / `aws_apigatewayv2_stage`.",
        remediation_zh: "为每个阶段启用访问日志，写入 CloudWatch Logs 日志组（或 Firehose），使用包含 $context.requestId、identity.sourceIp、\
routeKey/resourcePath、status 和授权器错误字段的 JSON 格式；并为该日志组设置保留期。\
位置：CloudFormation 中 `AWS::ApiGateway::Stage` 的 `AccessLogSetting` / `AWS::ApiGatewayV2::Stage` 的 `AccessLogSettings`；SAM 中 `AWS::Serverless::Api` 的 `AccessLogSetting` / `AWS::Serverless::HttpApi` 的 `AccessLogSettings`；Serverless 的 `provider.logs.restApi` / `provider.logs.httpApi`；Terraform 中 `aws_api_gateway_stage` / `aws_apigatewayv2_stage` 的 `access_log_settings`。",
        references: &[
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html",
        ],
    },
];

fn kind_name(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Rest => "REST API",
        ApiKind::Http => "HTTP API",
        ApiKind::WebSocket => "WebSocket API",
    }
}

/// " It serves `A`, `B`." in both languages, or nothing when no route
/// names its function.
fn served_functions(api: &Api) -> (String, String) {
    let mut names: Vec<&str> = Vec::new();
    let mut seen = HashSet::default();
    for function in api.routes.iter().filter_map(|r| r.function.as_deref()) {
        if seen.insert(function) {
            names.push(function);
        }
    }
    if names.is_empty() {
        return (String::new(), String::new());
    }
    let list = crate::iam::list_names(&names);
    (format!(" It invokes {list}."), format!("它调用 {list}。"))
}

fn push(
    ctx: &Ctx,
    out: &mut Vec<Raw>,
    api: &Api,
    rule: &'static RuleMeta,
    message: Text,
    severity: Severity,
) {
    let (served_en, served_zh) = served_functions(api);
    let message = ctx.text(
        || format!("{}{served_en}", message.en),
        || format!("{}{served_zh}", message.zh),
    );
    let finding = ctx
        .finding(rule, &api.id, api.loc, message, "")
        .with_severity(severity);
    out.push(Raw {
        finding,
        element_loc: api.loc,
        element_ignores: api.ignores.clone(),
    });
}

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    for api in &ctx.dep.apis {
        let kind = kind_name(api.kind);
        let public = matches!(api.private_endpoint, Field::Absent | Field::Known(false, _));
        if public && matches!(api.waf, Field::Absent | Field::Known(false, _)) {
            let (severity, en, zh) = if api.kind == ApiKind::Rest {
                (
                    Severity::Medium,
                    format!("Public {kind} {} has no WAF web ACL.", api.id),
                    format!("公开的 {kind} {} 未关联 WAF Web ACL。", api.id),
                )
            } else {
                (
                    Severity::Low,
                    format!("Public {kind} {} has no WAF protection; {kind}s cannot be associated with WAF directly, so serve it through CloudFront with a WAF web ACL.", api.id),
                    format!("公开的 {kind} {} 没有 WAF 保护；{kind} 无法直接关联 WAF，请通过关联 WAF Web ACL 的 CloudFront 提供服务。", api.id),
                )
            };
            push(ctx, out, api, &RULES[0], Text::new(en, zh), severity);
        }
        if matches!(api.throttling, Field::Absent | Field::Known(false, _)) {
            let message = ctx.text(|| format!("{kind} {} configures no throttling (stage, method/route settings or usage plan).", api.id), || format!("{kind} {} 未配置限流（阶段、方法/路由设置或使用计划）。", api.id));
            push(ctx, out, api, &RULES[1], message, RULES[1].severity);
        }
        if api.kind == ApiKind::Rest
            && matches!(
                api.request_validation,
                Field::Absent | Field::Known(false, _)
            )
        {
            let message = ctx.text(
                || {
                    format!(
                        "REST API {} validates no request (no request validator).",
                        api.id
                    )
                },
                || format!("REST API {} 未校验任何请求（没有请求校验器）。", api.id),
            );
            push(ctx, out, api, &RULES[2], message, RULES[2].severity);
        }
        if matches!(api.access_logging, Field::Absent | Field::Known(false, _)) {
            let message = ctx.text(
                || format!("{kind} {} has access logging disabled.", api.id),
                || format!("{kind} {} 未启用访问日志。", api.id),
            );
            push(ctx, out, api, &RULES[3], message, RULES[3].severity);
        }
    }
}
