//! Checks of area `LOG`: function logs, tracing and the audit trail
//! (guide §3.4.1, §3.4.2).

use crate::{Ctx, Raw};
use fnguard_core::fast_hash::{HashMap, HashSet};
use fnguard_core::{Area, Field, RuleMeta, Severity, Text};
use fnguard_model::{Function, LogGroup};

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-LOG-001",
        area: Area::Log,
        severity: Severity::Low,
        guide: &["3.4.2"],
        attack: &["T1530"],
        title_en: "Function log group without retention",
        title_zh: "函数日志组未设置保留期",
        description_en: "The function's CloudWatch log group sets no RetentionInDays, or the scanned code declares no \
log group for the function at all, in which case Lambda creates /aws/lambda/<function name> on first invocation \
with logs that never expire (and that the template then does not manage).",
        description_zh: "函数的 CloudWatch 日志组未设置 RetentionInDays，或扫描的代码中根本没有为该函数声明日志组；\
后一种情况下 Lambda 会在首次调用时创建 /aws/lambda/<函数名>，其日志永不过期（且不受模板管理）。",
        risk_en: "Logs kept forever accumulate personal data, tokens and request payloads that leak in any later \
breach, and cost grows without bound; a log group created by Lambda also escapes the template's encryption and \
retention settings.",
        risk_zh: "永久保存的日志会积累个人数据、令牌和请求载荷，日后任何一次泄露都会将其暴露，费用也会无限增长；\
由 Lambda 自动创建的日志组也不受模板中加密和保留期设置的约束。",
        remediation_en: "Declare the log group (AWS::Logs::LogGroup named /aws/lambda/<name>, aws_cloudwatch_log_group, \
or LoggingConfig.LogGroup) with RetentionInDays set to what your audit policy requires (e.g. 90 or 365 days) and \
a KMS key; export older logs to S3 if they must be kept longer. \
Where: CloudFormation/SAM `RetentionInDays` of `AWS::Logs::LogGroup`; Serverless `provider.logRetentionInDays` (or `logRetentionInDays` per function); Terraform `retention_in_days` of `aws_cloudwatch_log_group`.",
        remediation_zh: "声明日志组（名为 /aws/lambda/<name> 的 AWS::Logs::LogGroup、aws_cloudwatch_log_group 或 LoggingConfig.LogGroup），\
将 RetentionInDays 设为审计策略要求的值（如 90 或 365 天）并配置 KMS 密钥；需要更长时间保存的日志导出到 S3。\
位置：CloudFormation/SAM 中 `AWS::Logs::LogGroup` 的 `RetentionInDays`；Serverless 的 `provider.logRetentionInDays`（或按函数设置 `logRetentionInDays`）；Terraform 中 `aws_cloudwatch_log_group` 的 `retention_in_days`。",
        references: &[
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
        ],
    },
    RuleMeta {
        id: "FG-LOG-002",
        area: Area::Log,
        severity: Severity::Low,
        guide: &["3.4.2"],
        attack: &["T1562.008"],
        title_en: "Function logs not in JSON format",
        title_zh: "函数日志不是 JSON 格式",
        description_en: "The function does not set LoggingConfig.LogFormat to JSON (Terraform logging_config \
log_format), so Lambda writes plain-text log lines.",
        description_zh: "该函数未将 LoggingConfig.LogFormat 设为 JSON（Terraform logging_config 的 log_format），Lambda 写入的是纯文本日志行。",
        risk_en: "Unstructured logs are hard to query and correlate (request id, level, key decisions), so detection \
rules and investigations miss events; log levels cannot be filtered at the source.",
        risk_zh: "非结构化日志难以查询和关联（请求 ID、级别、关键决策），检测规则和调查容易遗漏事件；也无法在源头按日志级别过滤。",
        remediation_en: "Set LoggingConfig: {LogFormat: JSON, ApplicationLogLevel, SystemLogLevel} and log structured \
events (event id, decision, error) from the handler. \
Where: CloudFormation/SAM `LoggingConfig.LogFormat: JSON` of the function (or SAM `Globals.Function.LoggingConfig`); Serverless `provider.logs.lambda.logFormat: JSON` (or `logs.logFormat` per function); Terraform `logging_config { log_format = \"JSON\" }` of `aws_lambda_function`.",
        remediation_zh: "设置 LoggingConfig: {LogFormat: JSON, ApplicationLogLevel, SystemLogLevel}，并在处理函数中记录结构化事件（事件 ID、决策、错误）。\
位置：CloudFormation/SAM 函数的 `LoggingConfig.LogFormat: JSON`（或 SAM 的 `Globals.Function.LoggingConfig`）；Serverless 的 `provider.logs.lambda.logFormat: JSON`（或按函数设置 `logs.logFormat`）；Terraform 中 `aws_lambda_function` 的 `logging_config { log_format = \"JSON\" }`。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html",
        ],
    },
    RuleMeta {
        id: "FG-LOG-003",
        area: Area::Log,
        severity: Severity::Info,
        guide: &["3.4.2", "3.4.3"],
        attack: &["T1562.008"],
        title_en: "Function without active tracing",
        title_zh: "函数未启用主动追踪",
        description_en: "The function's TracingConfig mode is not Active (Terraform tracing_config mode), so AWS X-Ray \
records no trace of its invocations and downstream calls. Lambda@Edge functions (execution role trusted by edgelambda.amazonaws.com) are not reported: Lambda@Edge does not support it.",
        description_zh: "该函数的 TracingConfig 模式不是 Active（Terraform tracing_config 的 mode），AWS X-Ray 不会记录其调用及下游请求的追踪。Lambda@Edge 函数（执行角色信任 edgelambda.amazonaws.com）不报告：Lambda@Edge 不支持该功能。",
        risk_en: "Unexpected downstream calls (new hosts, services, latency spikes) stay invisible; incidents are \
harder to trace across services.",
        risk_zh: "意外的下游调用（新的主机、服务、延迟突增）无法被察觉；跨服务追查事件更加困难。",
        remediation_en: "Set Tracing: Active (SAM), TracingConfig.Mode: Active (CloudFormation) or tracing_config { mode = \
\"Active\" } (Terraform), and grant xray:PutTraceSegments (AWSXRayDaemonWriteAccess) to the role. \
Serverless: `provider.tracing.lambda: true` (or `tracing: Active` per function).",
        remediation_zh: "设置 Tracing: Active（SAM）、TracingConfig.Mode: Active（CloudFormation）或 tracing_config { mode = \"Active\" }（Terraform），\
并为角色授予 xray:PutTraceSegments（AWSXRayDaemonWriteAccess）。\
Serverless：`provider.tracing.lambda: true`（或按函数设置 `tracing: Active`）。",
        references: &["https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"],
    },
    RuleMeta {
        id: "FG-LOG-004",
        area: Area::Log,
        severity: Severity::Medium,
        guide: &["3.4.1"],
        attack: &["T1562.008", "T1648"],
        title_en: "CloudTrail trail does not record Lambda data events",
        title_zh: "CloudTrail 跟踪未记录 Lambda 数据事件",
        description_en: "A CloudTrail trail declared in the scanned code has no event selector (basic or advanced) for \
AWS::Lambda::Function data events, so Invoke calls are not recorded; CloudTrail records only management events by \
default. Not reported when another trail of the same deployment records them.",
        description_zh: "扫描代码中声明的 CloudTrail 跟踪没有针对 AWS::Lambda::Function 数据事件的事件选择器（基本或高级），因此不会记录 Invoke 调用；\
CloudTrail 默认只记录管理事件。若同一部署中的另一个跟踪记录了这些事件，则不报告。",
        risk_en: "Who invoked which function, when and from where is not audited: abuse of functions (as proxies, \
by stolen credentials) cannot be detected or investigated.",
        risk_zh: "谁在何时从何处调用了哪个函数不会被审计：无法检测或调查对函数的滥用（作为代理、凭被盗凭证调用）。",
        remediation_en: "Add a data event selector for Lambda: basic (DataResources Type AWS::Lambda::Function, Values \
[arn:aws:lambda]) or advanced (eventCategory = Data, resources.type = AWS::Lambda::Function), scoped to the \
functions that matter if cost is a concern. \
Where: CloudFormation `EventSelectors` (`DataResources`) or `AdvancedEventSelectors` of `AWS::CloudTrail::Trail` (under `resources.Resources` with the Serverless Framework); Terraform `event_selector { data_resource }` or `advanced_event_selector` of `aws_cloudtrail`.",
        remediation_zh: "为 Lambda 添加数据事件选择器：基本选择器（DataResources Type 为 AWS::Lambda::Function，Values 为 [arn:aws:lambda]）\
或高级选择器（eventCategory = Data，resources.type = AWS::Lambda::Function）；如顾虑费用，可限定为重要的函数。\
位置：CloudFormation 中 `AWS::CloudTrail::Trail` 的 `EventSelectors`（`DataResources`）或 `AdvancedEventSelectors`（Serverless Framework 中写在 `resources.Resources` 下）；Terraform 中 `aws_cloudtrail` 的 `event_selector { data_resource }` 或 `advanced_event_selector`。",
        references: &[
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html",
        ],
    },
];

fn raw_for_function(function: &Function, finding: fnguard_core::Finding) -> Raw {
    Raw {
        finding,
        element_loc: function.loc,
        element_ignores: function.ignores.clone(),
    }
}

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    let from = out.len();
    check_retention(ctx, out);
    // Lambda@Edge does not support X-Ray tracing.
    let edge = crate::iam::edge_functions(ctx.dep);
    for function in &ctx.dep.functions {
        let json = function.log_format.eq_ignore_case("JSON");
        if !json && !function.log_format.is_unknown() {
            let loc = function.log_format.loc().unwrap_or(function.loc);
            let (why_en, why_zh) = match function.log_format.as_deref() {
                Some(value) => (
                    format!("LoggingConfig.LogFormat is `{value}`"),
                    format!("LoggingConfig.LogFormat 为 `{value}`"),
                ),
                None => (
                    "LoggingConfig.LogFormat is not set; Lambda defaults to Text".to_string(),
                    "未设置 LoggingConfig.LogFormat，Lambda 默认使用 Text".to_string(),
                ),
            };
            let message = ctx.text(
                || {
                    [
                        "Function ",
                        &function.id,
                        " writes plain-text logs (",
                        &why_en,
                        ").",
                    ]
                    .concat()
                },
                || ["函数 ", &function.id, " 写入纯文本日志（", &why_zh, "）。"].concat(),
            );
            let finding = ctx.finding(&RULES[1], &function.id, loc, message, "");
            out.push(raw_for_function(function, finding));
        }
        let active = function.tracing.eq_ignore_case("Active");
        if !active && !function.tracing.is_unknown() && !edge.contains(function.id.as_str()) {
            let loc = function.tracing.loc().unwrap_or(function.loc);
            let (why_en, why_zh) = match function.tracing.as_deref() {
                Some(value) => (
                    format!("tracing mode is `{value}`"),
                    format!("追踪模式为 `{value}`"),
                ),
                None => (
                    "no tracing mode is set".to_string(),
                    "未设置追踪模式".to_string(),
                ),
            };
            let message = ctx.text(
                || {
                    [
                        "Function ",
                        &function.id,
                        " has no active X-Ray tracing (",
                        &why_en,
                        ").",
                    ]
                    .concat()
                },
                || {
                    [
                        "函数 ",
                        &function.id,
                        " 未启用 X-Ray 主动追踪（",
                        &why_zh,
                        "）。",
                    ]
                    .concat()
                },
            );
            let finding = ctx.finding(&RULES[2], &function.id, loc, message, "");
            out.push(raw_for_function(function, finding));
        }
    }
    // One trail recording Lambda data events is enough: the others (a
    // management-events trail to another bucket, an organization trail)
    // leave no gap.
    let recorded = ctx
        .dep
        .trails
        .iter()
        .any(|t| matches!(t.lambda_data_events, Field::Known(true, _)));
    for trail in ctx.dep.trails.iter().filter(|_| !recorded) {
        let (loc, message) = match &trail.lambda_data_events {
            // Absent selectors mean CloudTrail's default: management
            // events only.
            Field::Known(false, loc) => (*loc, trail_message(&trail.id)),
            Field::Absent => (trail.loc, trail_message(&trail.id)),
            _ => continue,
        };
        let finding = ctx.finding(&RULES[3], &trail.id, loc, message, "");
        out.push(Raw {
            finding,
            element_loc: trail.loc,
            element_ignores: trail.ignores.clone(),
        });
    }
    crate::iam::merge_same_source(ctx, out, from);
}

fn trail_message(trail: &str) -> Text {
    Text::new(
        format!("CloudTrail trail {trail} has no event selector for AWS::Lambda::Function data events: function invocations are not recorded."),
        format!("CloudTrail 跟踪 {trail} 没有针对 AWS::Lambda::Function 数据事件的事件选择器：函数调用不会被记录。"),
    )
}

fn check_retention(ctx: &Ctx, out: &mut Vec<Raw>) {
    let rule = &RULES[0];
    let mut by_function: HashMap<&str, Vec<&LogGroup>> = HashMap::default();
    let mut by_name: HashMap<&str, &LogGroup> = HashMap::default();
    for group in &ctx.dep.log_groups {
        if let Some(function) = group.function.as_deref() {
            by_function.entry(function).or_default().push(group);
        }
        by_name.insert(group.id.as_str(), group);
        if let Some(name) = group.name.as_deref() {
            by_name.insert(name, group);
        }
    }
    // A group whose name the files do not determine, linked to no function,
    // may be any function's: then no function can be said to lack one.
    let undetermined_group = ctx.dep.log_groups.iter().any(|g| {
        g.function.is_none()
            && match &g.name {
                Field::Unknown(_) => true,
                Field::Known(name, _) => name.contains("${"),
                Field::Absent => false,
            }
    });
    let mut reported: HashSet<&str> = HashSet::default();
    for function in &ctx.dep.functions {
        let mut linked: Vec<&LogGroup> = by_function
            .get(function.id.as_str())
            .cloned()
            .unwrap_or_default();
        match &function.log_group {
            Field::Known(name, _) => {
                if let Some(group) = by_name.get(name.as_str()) {
                    if !linked.iter().any(|g| g.id == group.id) {
                        linked.push(group);
                    }
                } else if linked.is_empty() {
                    // A log group managed elsewhere: its retention is not
                    // in the scanned files.
                    continue;
                }
            }
            Field::Unknown(_) if linked.is_empty() => continue,
            _ => {}
        }
        if linked.is_empty() {
            if undetermined_group {
                continue;
            }
            let name = function.name.as_deref().unwrap_or("<generated name>");
            let message = ctx.text(
                || {
                    [
                        "No log group is declared for function ",
                        &function.id,
                        ": Lambda creates /aws/lambda/",
                        name,
                        " with no expiry.",
                    ]
                    .concat()
                },
                || {
                    [
                        "未为函数 ",
                        &function.id,
                        " 声明日志组：Lambda 会创建永不过期的 /aws/lambda/",
                        name,
                        "。",
                    ]
                    .concat()
                },
            );
            let finding = ctx.finding(rule, &function.id, function.loc, message, "no-log-group");
            out.push(raw_for_function(function, finding));
            continue;
        }
        for group in linked {
            if !group.retention_days.is_absent() || !reported.insert(group.id.as_str()) {
                continue;
            }
            let message = ctx.text(
                || {
                    format!(
                        "Log group {} of function {} sets no retention: its logs never expire.",
                        group.id, function.id
                    )
                },
                || {
                    format!(
                        "函数 {} 的日志组 {} 未设置保留期：其日志永不过期。",
                        function.id, group.id
                    )
                },
            );
            let finding = ctx.finding(rule, &function.id, group.loc, message, &group.id);
            out.push(Raw {
                finding,
                element_loc: group.loc,
                element_ignores: group.ignores.clone(),
            });
        }
    }
    // A group named for Lambda whose function cannot be told (its name is
    // built from the stack name or a variable) still holds some function's
    // logs: its missing retention is known.
    for group in &ctx.dep.log_groups {
        let Some(name) = group.name.as_deref() else {
            continue;
        };
        if group.function.is_some()
            || !group.retention_days.is_absent()
            || !name.starts_with("/aws/lambda/")
            || !reported.insert(group.id.as_str())
        {
            continue;
        }
        let message = ctx.text(|| format!(
                "Log group {} ({name}) holds Lambda function logs and sets no retention: its logs never expire.",
                group.id
            ), || format!(
                "日志组 {}（{name}）存放 Lambda 函数日志，但未设置保留期：其日志永不过期。",
                group.id
            ));
        let finding = ctx.finding(rule, &group.id, group.loc, message, "retention");
        out.push(Raw {
            finding,
            element_loc: group.loc,
            element_ignores: group.ignores.clone(),
        });
    }
}
