//! Checks of area `RT`: runtime settings. Deprecated runtimes (from the
//! dated table in `data/runtimes.json`), reserved concurrency, and lost
//! asynchronous events.

use crate::{Ctx, Raw};
use fnguard_core::{Area, Date, Field, Lang, Node, RuleMeta, Severity};
use fnguard_model::TriggerKind;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        id: "FG-RT-001",
        area: Area::Rt,
        severity: Severity::Medium,
        guide: &["3.2", "3.2.2"],
        attack: &["T1190", "T1203"],
        title_en: "Deprecated or soon-deprecated Lambda runtime",
        title_zh: "Lambda 运行时已弃用或即将弃用",
        description_en: "The function uses a runtime whose end of support AWS has announced. Severity follows the \
scan date against AWS's published dates (data/runtimes.json): low within 180 days of deprecation, medium once \
deprecated (no more security patches), high once creating functions with it is blocked, critical once updating \
them is blocked. Runtime identifiers not in the table are not reported.",
        description_zh: "该函数使用的运行时已由 AWS 宣布停止支持。严重性根据扫描日期与 AWS 公布的日期（data/runtimes.json）比较而定：\
距弃用不足 180 天为“低”，已弃用（不再有安全补丁）为“中”，已禁止用其创建函数为“高”，已禁止更新函数为“严重”。\
不在表中的运行时标识不报告。",
        risk_en: "A deprecated runtime no longer receives security patches for the language runtime or the operating \
system; once updates are blocked, even an emergency code fix can no longer be deployed to the function.",
        risk_zh: "已弃用的运行时不再获得语言运行时和操作系统的安全补丁；一旦禁止更新，连紧急代码修复都无法再部署到该函数。",
        remediation_en: "Move the function to a supported runtime of the same language (e.g. nodejs22.x, python3.13, \
java21, dotnet8, ruby3.4, provided.al2023), test it, and redeploy. Track AWS's runtime deprecation schedule in your \
planning so upgrades happen before the deprecation date. \
Where: CloudFormation/SAM `Runtime` of the function (or SAM `Globals.Function.Runtime`); Serverless `provider.runtime` or `functions.<name>.runtime`; Terraform `runtime` of `aws_lambda_function`.",
        remediation_zh: "将函数迁移到同一语言的受支持运行时（如 nodejs22.x、python3.13、java21、dotnet8、ruby3.4、provided.al2023），\
测试后重新部署。在规划中跟踪 AWS 的运行时弃用计划，在弃用日期之前完成升级。\
位置：CloudFormation/SAM 函数的 `Runtime`（或 SAM 的 `Globals.Function.Runtime`）；Serverless 的 `provider.runtime` 或 `functions.<name>.runtime`；Terraform 中 `aws_lambda_function` 的 `runtime`。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html",
        ],
    },
    RuleMeta {
        id: "FG-RT-002",
        area: Area::Rt,
        severity: Severity::Low,
        guide: &["3.3.2"],
        attack: &["T1499", "T1496"],
        title_en: "Function without reserved concurrency",
        title_zh: "函数未设置预留并发",
        description_en: "The function sets no ReservedConcurrentExecutions (Terraform reserved_concurrent_executions), \
so it can scale up to the account's whole concurrency limit. A value of 0 (function switched off) is not reported. Lambda@Edge functions (execution role trusted by edgelambda.amazonaws.com) are not reported: Lambda@Edge does not support it.",
        description_zh: "该函数未设置 ReservedConcurrentExecutions（Terraform reserved_concurrent_executions），\
因此可以扩展到账户的全部并发上限。值为 0（函数被关闭）不报告。Lambda@Edge 函数（执行角色信任 edgelambda.amazonaws.com）不报告：Lambda@Edge 不支持该功能。",
        risk_en: "A flood of requests (or a retry loop) on this function consumes the concurrency every other function \
in the account and region shares, throttling them (denial of service) and running up cost (denial of wallet).",
        risk_zh: "针对该函数的大量请求（或重试循环）会耗尽同一账户和区域内所有函数共享的并发，导致其他函数被限流（拒绝服务），并推高费用（费用攻击）。",
        remediation_en: "Set ReservedConcurrentExecutions to the peak the function legitimately needs; it both guarantees \
and caps its concurrency. Add throttling at the API in front of it. \
Where: CloudFormation/SAM `ReservedConcurrentExecutions` of the function; Serverless `reservedConcurrency` of the function; Terraform `reserved_concurrent_executions` of `aws_lambda_function`.",
        remediation_zh: "将 ReservedConcurrentExecutions 设为函数合理所需的峰值；它既保证也限制该函数的并发。同时在其前方的 API 上配置限流。\
位置：CloudFormation/SAM 函数的 `ReservedConcurrentExecutions`；Serverless 函数的 `reservedConcurrency`；Terraform 中 `aws_lambda_function` 的 `reserved_concurrent_executions`。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html",
        ],
    },
    RuleMeta {
        id: "FG-RT-003",
        area: Area::Rt,
        severity: Severity::Low,
        guide: &["3.4.3"],
        attack: &["T1499"],
        title_en: "Asynchronously invoked function without a dead-letter queue or on-failure destination",
        title_zh: "异步调用的函数未配置死信队列或失败目标",
        description_en: "The function is invoked asynchronously (S3, SNS, EventBridge, schedules, CloudWatch Logs, IoT) \
but has neither a DeadLetterConfig nor an EventInvokeConfig on-failure destination. Lambda@Edge functions (execution role trusted by edgelambda.amazonaws.com) are not reported: Lambda@Edge does not support it.",
        description_zh: "该函数被异步调用（S3、SNS、EventBridge、定时任务、CloudWatch Logs、IoT），但既没有 DeadLetterConfig，\
也没有 EventInvokeConfig 失败目标。Lambda@Edge 函数（执行角色信任 edgelambda.amazonaws.com）不报告：Lambda@Edge 不支持该功能。",
        risk_en: "After Lambda's retries, failed events are silently discarded: data is lost, and errors caused by \
malicious or malformed input leave no record to investigate.",
        risk_zh: "在 Lambda 重试之后，失败的事件会被悄然丢弃：数据丢失，恶意或畸形输入引发的错误也不留下可供调查的记录。",
        remediation_en: "Add an on-failure destination (SQS, SNS, EventBridge or S3) with EventInvokeConfig \
(SAM EventInvokeConfig.DestinationConfig.OnFailure, Terraform aws_lambda_function_event_invoke_config), or a \
DeadLetterConfig target, and alarm on its depth. \
Where: CloudFormation `AWS::Lambda::EventInvokeConfig` `DestinationConfig.OnFailure` or the function's `DeadLetterConfig.TargetArn`; SAM `EventInvokeConfig` or `DeadLetterQueue`; Serverless `destinations.onFailure` or `onError` of the function; Terraform `destination_config { on_failure }` of `aws_lambda_function_event_invoke_config` or `dead_letter_config` of `aws_lambda_function`.",
        remediation_zh: "通过 EventInvokeConfig 添加失败目标（SQS、SNS、EventBridge 或 S3）（SAM EventInvokeConfig.DestinationConfig.OnFailure，\
Terraform aws_lambda_function_event_invoke_config），或配置 DeadLetterConfig 目标，并对其积压设置告警。\
位置：CloudFormation 中 `AWS::Lambda::EventInvokeConfig` 的 `DestinationConfig.OnFailure` 或函数的 `DeadLetterConfig.TargetArn`；SAM 的 `EventInvokeConfig` 或 `DeadLetterQueue`；Serverless 函数的 `destinations.onFailure` 或 `onError`；Terraform 中 `aws_lambda_function_event_invoke_config` 的 `destination_config { on_failure }` 或 `aws_lambda_function` 的 `dead_letter_config`。",
        references: &[
            "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html",
        ],
    },
];

/// One row of `data/runtimes.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeDates {
    pub id: String,
    pub name: String,
    pub deprecation: Option<Date>,
    pub block_create: Option<Date>,
    pub block_update: Option<Date>,
    pub approximate: bool,
}

const RUNTIMES_JSON: &str = include_str!("../../../data/runtimes.json");

/// Days before deprecation from which a runtime is reported (at low).
const WARNING_DAYS: i64 = 180;

/// The runtime table by identifier. A malformed data file yields an empty
/// table (tests guard the shipped one) rather than a panic.
pub fn runtime_table() -> &'static HashMap<String, RuntimeDates> {
    static TABLE: OnceLock<HashMap<String, RuntimeDates>> = OnceLock::new();
    TABLE.get_or_init(|| parse_table(RUNTIMES_JSON).unwrap_or_default())
}

/// The `retrieved` date of the shipped table.
pub fn runtime_table_retrieved() -> Option<Date> {
    let root = fnguard_model::yaml::parse(RUNTIMES_JSON, 0, "data/runtimes.json").ok()?;
    root.get("retrieved")?.as_str()?.parse().ok()
}

fn parse_table(text: &str) -> Result<HashMap<String, RuntimeDates>, String> {
    let root =
        fnguard_model::yaml::parse(text, 0, "data/runtimes.json").map_err(|e| e.to_string())?;
    let rows = root
        .get("runtimes")
        .and_then(Node::as_seq)
        .ok_or("no `runtimes` list")?;
    let mut table = HashMap::with_capacity(rows.len());
    for row in rows {
        let id = row
            .get("id")
            .and_then(Node::as_str)
            .ok_or("a runtime without `id`")?;
        let date = |key: &str| -> Result<Option<Date>, String> {
            match row.get(key) {
                None => Ok(None),
                Some(n) if n.is_null() => Ok(None),
                Some(n) => n
                    .as_str()
                    .ok_or(format!("{id}: {key} is not a string"))?
                    .parse()
                    .map(Some)
                    .map_err(|e| format!("{id}: {key}: {e}")),
            }
        };
        table.insert(
            id.to_string(),
            RuntimeDates {
                id: id.to_string(),
                name: row
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or(id)
                    .to_string(),
                deprecation: date("deprecation")?,
                block_create: date("block_create")?,
                block_update: date("block_update")?,
                approximate: row
                    .get("approximate")
                    .and_then(Node::as_bool)
                    .unwrap_or(false),
            },
        );
    }
    Ok(table)
}

/// How far along its end of life a runtime is on `today`.
pub fn runtime_severity(dates: &RuntimeDates, today: Date) -> Option<Severity> {
    let passed = |d: Option<Date>| d.is_some_and(|d| today >= d);
    if passed(dates.block_update) {
        Some(Severity::Critical)
    } else if passed(dates.block_create) {
        Some(Severity::High)
    } else if passed(dates.deprecation) {
        Some(Severity::Medium)
    } else if dates
        .deprecation
        .is_some_and(|d| today.days_until(d) <= WARNING_DAYS)
    {
        Some(Severity::Low)
    } else {
        None
    }
}

/// What happened or will happen to a runtime, in one language: only the
/// language the report shows is built.
fn date_phrase(dates: &RuntimeDates, today: Date, lang: Lang) -> String {
    let steps = [
        (dates.deprecation, "deprecated", "弃用"),
        (
            dates.block_create,
            "function creation blocked",
            "禁止创建函数",
        ),
        (
            dates.block_update,
            "function updates blocked",
            "禁止更新函数",
        ),
    ];
    let mut phrase = String::new();
    for (date, what_en, what_zh) in steps {
        let Some(date) = date else { continue };
        if !phrase.is_empty() {
            phrase.push_str(match lang {
                Lang::En => "; ",
                Lang::Zh => "；",
            });
        }
        let passed = today >= date;
        // Writing into a String cannot fail.
        let _ = match (lang, passed) {
            (Lang::En, true) => write!(phrase, "{what_en} since {date}"),
            (Lang::En, false) => write!(phrase, "{what_en} on {date}"),
            (Lang::Zh, true) => write!(phrase, "自 {date} 起{what_zh}"),
            (Lang::Zh, false) => write!(phrase, "将于 {date} {what_zh}"),
        };
    }
    if dates.approximate {
        phrase.push_str(match lang {
            Lang::En => " (dates approximate: check AWS's runtime table)",
            Lang::Zh => "（日期为近似值，请核对 AWS 运行时表）",
        });
    }
    phrase
}

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    let from = out.len();
    let table = runtime_table();
    let today = ctx.opts.scan_date;
    // The functions of a deployment share a few runtimes: each phrase is
    // built once per runtime and language.
    let phrases: RefCell<Vec<(&str, Lang, String)>> = RefCell::new(Vec::new());
    let phrase = |dates: &'static RuntimeDates, lang: Lang| -> String {
        let mut phrases = phrases.borrow_mut();
        if let Some((_, _, text)) = phrases
            .iter()
            .find(|(id, l, _)| *l == lang && *id == dates.id.as_str())
        {
            return text.clone();
        }
        let text = date_phrase(dates, today, lang);
        phrases.push((dates.id.as_str(), lang, text.clone()));
        text
    };
    // Lambda@Edge supports neither reserved concurrency nor a DLQ.
    let edge = crate::iam::edge_functions(ctx.dep);
    for function in &ctx.dep.functions {
        let raw = |finding| Raw {
            finding,
            element_loc: function.loc,
            element_ignores: function.ignores.clone(),
        };
        if let Field::Known(runtime, loc) = &function.runtime {
            if let Some(dates) = table.get(runtime.trim().to_ascii_lowercase().as_str()) {
                if let Some(severity) = runtime_severity(dates, today) {
                    let message = ctx.text(
                        || {
                            format!(
                                "Function {} uses runtime {} ({}): {}.",
                                function.id,
                                dates.id,
                                dates.name,
                                phrase(dates, Lang::En)
                            )
                        },
                        || {
                            format!(
                                "函数 {} 使用运行时 {}（{}）：{}。",
                                function.id,
                                dates.id,
                                dates.name,
                                phrase(dates, Lang::Zh)
                            )
                        },
                    );
                    let finding = ctx
                        .finding(&RULES[0], &function.id, *loc, message, "")
                        .with_severity(severity)
                        .with_evidence(format!("Runtime: {}", dates.id));
                    out.push(raw(finding));
                }
            }
        }
        let is_edge = edge.contains(function.id.as_str());
        if function.reserved_concurrency.is_absent() && !is_edge {
            let message = ctx.text(
                || {
                    [
                        "Function ",
                        &function.id,
                        " has no reserved concurrency: it can use the account's whole concurrency limit.",
                    ]
                    .concat()
                },
                || {
                    [
                        "函数 ",
                        &function.id,
                        " 未设置预留并发：它可以占用账户的全部并发上限。",
                    ]
                    .concat()
                },
            );
            out.push(raw(ctx.finding(
                &RULES[1],
                &function.id,
                function.loc,
                message,
                "",
            )));
        }
        if function.is_async()
            && !is_edge
            && function.dead_letter.is_absent()
            && function.on_failure.is_absent()
        {
            let mut sources: Vec<&str> = Vec::new();
            for trigger in function.triggers.iter().filter(|t| t.kind.is_async()) {
                let name = async_source_name(trigger.kind);
                if !sources.contains(&name) {
                    sources.push(name);
                }
            }
            let sources = sources.join(", ");
            let message = ctx.text(|| format!("Function {} is invoked asynchronously ({sources}) but has no dead-letter queue or on-failure destination: failed events are dropped.", function.id), || format!("函数 {} 被异步调用（{sources}），但没有死信队列或失败目标：失败的事件会被丢弃。", function.id));
            let mut finding = ctx.finding(&RULES[2], &function.id, function.loc, message, "");
            for trigger in function.triggers.iter().filter(|t| t.kind.is_async()) {
                let name = async_source_name(trigger.kind);
                finding = finding.with_related(
                    ctx.src(trigger.loc),
                    ctx.text(
                        || format!("asynchronous {name} trigger"),
                        || format!("异步 {name} 触发器"),
                    ),
                );
            }
            out.push(raw(finding));
        }
    }
    crate::iam::merge_same_source(ctx, out, from);
}

/// How the docs name an asynchronous event source.
fn async_source_name(kind: TriggerKind) -> &'static str {
    match kind {
        TriggerKind::S3 => "S3",
        TriggerKind::Sns => "SNS",
        TriggerKind::Schedule => "schedule",
        TriggerKind::EventBridge => "EventBridge",
        TriggerKind::CloudWatchLogs => "CloudWatch Logs",
        TriggerKind::Iot => "IoT",
        _ => "event",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_parses_and_is_complete() {
        let table = parse_table(RUNTIMES_JSON).expect("data/runtimes.json parses");
        for id in [
            "nodejs22.x",
            "nodejs20.x",
            "nodejs18.x",
            "python3.13",
            "python3.9",
            "java21",
            "java8.al2",
            "dotnet8",
            "ruby3.3",
            "go1.x",
            "provided",
            "provided.al2",
            "provided.al2023",
        ] {
            assert!(table.contains_key(id), "{id} missing");
        }
        for row in table.values() {
            if let (Some(d), Some(c)) = (row.deprecation, row.block_update) {
                assert!(d <= c, "{}: update blocked before deprecation", row.id);
            }
        }
        assert!(runtime_table_retrieved().is_some());
        assert_eq!(runtime_table().len(), table.len());
    }

    #[test]
    fn malformed_table_is_an_error_not_a_panic() {
        assert!(parse_table("{").is_err());
        assert!(parse_table(r#"{"runtimes": [{"id": "x", "deprecation": "soon"}]}"#).is_err());
    }
}
