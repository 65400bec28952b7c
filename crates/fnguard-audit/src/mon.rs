//! Checks of area `MON`: alarms on functions (guide §3.4.3).

use crate::{Ctx, Raw};
use fnguard_core::fast_hash::HashSet;
use fnguard_core::{Area, RuleMeta, Severity};

pub static RULES: &[RuleMeta] = &[RuleMeta {
    id: "FG-MON-001",
    area: Area::Mon,
    severity: Severity::Low,
    guide: &["3.4.3"],
    attack: &["T1499", "T1496", "T1648"],
    title_en: "No CloudWatch alarm on the function's errors, throttles or duration",
    title_zh: "函数的错误、限流或执行时长没有 CloudWatch 告警",
    description_en: "No CloudWatch alarm in the scanned code watches the function's AWS/Lambda Errors, Throttles, \
Duration or ConcurrentExecutions metric (FunctionName dimension). An alarm on the account-wide AWS/Lambda metric \
(no FunctionName dimension) counts for every function; when an alarm's function cannot be determined, nothing is \
reported.",
    description_zh: "扫描的代码中没有 CloudWatch 告警监视该函数（FunctionName 维度）的 AWS/Lambda Errors、Throttles、Duration \
或 ConcurrentExecutions 指标。对账户级 AWS/Lambda 指标（无 FunctionName 维度）的告警视为覆盖所有函数；若无法确定告警对应的函数，则不报告。",
    risk_en: "Attacks and abuse show up as error bursts, throttling and duration spikes (injection attempts, \
cryptomining, use as a proxy, denial of wallet); without alarms nobody is told while it happens.",
    risk_zh: "攻击和滥用表现为错误激增、限流和执行时长突增（注入尝试、挖矿、被用作代理、费用攻击）；没有告警，发生时无人知晓。",
    remediation_en: "Add AWS::CloudWatch::Alarm (aws_cloudwatch_metric_alarm) resources on AWS/Lambda Errors and \
Throttles (Sum > 0 or an error-rate threshold) and Duration (p99 near the timeout) with Dimensions FunctionName, \
notifying an SNS topic that reaches on-call. \
Where: CloudFormation/SAM `AWS::CloudWatch::Alarm` with `Namespace: AWS/Lambda` and a `FunctionName` dimension (under `resources.Resources` with the Serverless Framework, or a plugin such as serverless-plugin-aws-alerts); Terraform `aws_cloudwatch_metric_alarm` with `namespace = \"AWS/Lambda\"` and `dimensions = { FunctionName = ... }`.",
    remediation_zh: "添加 AWS::CloudWatch::Alarm（aws_cloudwatch_metric_alarm）资源，监视 AWS/Lambda 的 Errors 和 Throttles\
（Sum > 0 或错误率阈值）以及 Duration（p99 接近超时），Dimensions 设为 FunctionName，并通知可触达值班人员的 SNS 主题。\
位置：CloudFormation/SAM 中 `Namespace: AWS/Lambda` 且带 `FunctionName` 维度的 `AWS::CloudWatch::Alarm`（Serverless Framework 中写在 `resources.Resources` 下，或使用 serverless-plugin-aws-alerts 等插件）；Terraform 中 `namespace = \"AWS/Lambda\"` 且 `dimensions = { FunctionName = ... }` 的 `aws_cloudwatch_metric_alarm`。",
    references: &[
        "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
    ],
}];

const WATCHED_METRICS: &[&str] = &["Errors", "Throttles", "Duration", "ConcurrentExecutions"];

pub fn check(ctx: &Ctx, out: &mut Vec<Raw>) {
    let mut watched: HashSet<&str> = HashSet::default();
    for metric in ctx.dep.alarms.iter().flat_map(|a| a.metrics.iter()) {
        // An alarm whose function we cannot resolve might watch any of
        // them: then no function can be said to be unwatched.
        if metric.function_unknown {
            return;
        }
        let namespace_ok = match metric.namespace.as_deref() {
            Some(ns) => ns == "AWS/Lambda",
            None => metric.namespace.is_unknown(),
        };
        let metric_ok = match metric.metric_name.as_deref() {
            Some(name) => WATCHED_METRICS.contains(&name),
            None => metric.metric_name.is_unknown(),
        };
        if !(namespace_ok && metric_ok) {
            continue;
        }
        match metric.function.as_deref() {
            Some(function) => {
                watched.insert(function);
            }
            // The account-wide metric: covers every function.
            None if !metric.has_function_dimension => return,
            // A function outside the scanned files: covers none of ours.
            None => {}
        }
    }
    let rule = &RULES[0];
    for function in &ctx.dep.functions {
        if watched.contains(function.id.as_str()) {
            continue;
        }
        let message = ctx.text(
            || {
                [
                    "No CloudWatch alarm watches Errors, Throttles or Duration of function ",
                    &function.id,
                    ".",
                ]
                .concat()
            },
            || {
                [
                    "没有 CloudWatch 告警监视函数 ",
                    &function.id,
                    " 的 Errors、Throttles 或 Duration。",
                ]
                .concat()
            },
        );
        let finding = ctx.finding(rule, &function.id, function.loc, message, "");
        out.push(Raw {
            finding,
            element_loc: function.loc,
            element_ignores: function.ignores.clone(),
        });
    }
}
