//! Behaviour the merged product must have: real loaders and checks behind
//! the CLI. Written before the checks exist (they are stubs on this
//! branch), so these fail until the merge brings them in.

mod common;

use common::*;
use std::ffi::OsStr;

const PUBLIC_URL_CFN: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  WebhookFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/webhook
      Code:
        ZipFile: "def handler(event, context): return 1"
  WebhookUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt WebhookFunction.Arn
      AuthType: NONE
"#;

const PUBLIC_URL_SAM: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  WebhookFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      FunctionUrlConfig:
        AuthType: NONE
"#;

const PUBLIC_URL_SERVERLESS: &str = r#"service: webhooks
provider:
  name: aws
  runtime: nodejs20.x
functions:
  hook:
    handler: handler.hook
    url: true
"#;

const PUBLIC_URL_TERRAFORM: &str = r#"resource "aws_iam_role" "hook" {
  name = "hook"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_lambda_function" "hook" {
  function_name = "hook"
  role          = aws_iam_role.hook.arn
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  filename      = "hook.zip"
}

resource "aws_lambda_function_url" "hook" {
  function_name      = aws_lambda_function.hook.function_name
  authorization_type = "NONE"
}
"#;

fn scan_json(root: &std::path::Path, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec![OsStr::new("scan"), root.as_os_str()];
    args.extend([OsStr::new("--format"), OsStr::new("json")]);
    args.extend(extra.iter().map(OsStr::new));
    fnguard(&args)
}

fn rule_ids(doc: &serde_json::Value) -> Vec<String> {
    findings(doc)
        .iter()
        .filter_map(|f| f["rule_id"].as_str().map(str::to_string))
        .collect()
}

fn active(doc: &serde_json::Value, rule: &str) -> Vec<serde_json::Value> {
    findings(doc)
        .into_iter()
        .filter(|f| f["rule_id"] == rule && suppression_kind(f).is_none())
        .collect()
}

#[test]
fn public_function_url_is_reported_in_every_format_and_fails_the_build() {
    let dir = TempDir::new("e2e-url");
    dir.write("cfn/stack.yaml", PUBLIC_URL_CFN);
    dir.write("sam/template.yaml", PUBLIC_URL_SAM);
    dir.write("sls/app.yml", PUBLIC_URL_SERVERLESS);
    dir.write("tf/main.tf", PUBLIC_URL_TERRAFORM);
    for input in ["cfn", "sam", "sls", "tf"] {
        let run = scan_json(&dir.path(input), &[]);
        assert_eq!(run.code, 1, "{input}: {}", run.stderr);
        let doc = run.json();
        let hits = active(&doc, "FG-TRIG-002");
        assert_eq!(hits.len(), 1, "{input}: {:?}", rule_ids(&doc));
        assert_eq!(hits[0]["severity"], "high");
        let line = hits[0]["location"]["line"].as_u64().unwrap_or(0);
        assert!(line > 0, "{input}: finding has a position");
    }
}

#[test]
fn fail_on_sets_the_threshold() {
    let dir = TempDir::new("e2e-fail-on");
    dir.write("stack.yaml", PUBLIC_URL_CFN);
    let code = |extra: &[&str]| {
        let mut args: Vec<&OsStr> = vec![OsStr::new("scan"), dir.root().as_os_str()];
        args.extend(extra.iter().map(OsStr::new));
        fnguard(&args).code
    };
    assert_eq!(code(&[]), 1, "default threshold is high");
    assert_eq!(code(&["--fail-on", "high"]), 1);
    assert_eq!(code(&["--fail-on", "critical"]), 0);
    assert_eq!(code(&["--fail-on", "none"]), 0);

    // The config's threshold applies unless the flag overrides it.
    dir.write("fnguard.toml", "[scan]\nfail_on = \"critical\"\n");
    assert_eq!(code(&[]), 0);
    assert_eq!(code(&["--fail-on", "medium"]), 1);
}

#[test]
fn config_disables_overrides_and_suppresses() {
    let dir = TempDir::new("e2e-config");
    dir.write("stack.yaml", PUBLIC_URL_CFN);

    dir.write("fnguard.toml", "[rules]\ndisable = [\"FG-TRIG-002\"]\n");
    let doc = scan_json(dir.root(), &["--fail-on", "none"]).json();
    assert!(!rule_ids(&doc).contains(&"FG-TRIG-002".to_string()));

    dir.write(
        "fnguard.toml",
        "[rules.severity]\n\"FG-TRIG-002\" = \"low\"\n",
    );
    let run = scan_json(dir.root(), &["--fail-on", "high"]);
    let hits = active(&run.json(), "FG-TRIG-002");
    assert_eq!(hits[0]["severity"], "low");

    dir.write(
        "fnguard.toml",
        "[[ignore]]\nid = \"FG-TRIG-002\"\npath = \"stack.yaml\"\nresource = \"WebhookUrl\"\nreason = \"HMAC-verified webhook\"\n[[ignore]]\nid = \"FG-TRIG-002\"\nresource = \"WebhookFunction\"\nreason = \"HMAC-verified webhook\"\n",
    );
    let run = scan_json(dir.root(), &["--fail-on", "none"]);
    let doc = run.json();
    let url: Vec<_> = findings(&doc)
        .into_iter()
        .filter(|f| f["rule_id"] == "FG-TRIG-002")
        .collect();
    assert_eq!(url.len(), 1, "suppressed findings stay in machine output");
    assert_eq!(suppression_kind(&url[0]).as_deref(), Some("config"));
    assert_eq!(url[0]["suppressed"]["reason"], "HMAC-verified webhook");
}

#[test]
fn baseline_accepts_todays_findings_and_catches_new_ones() {
    let dir = TempDir::new("e2e-baseline");
    dir.write("app/stack.yaml", PUBLIC_URL_CFN);
    let baseline = dir.path("baseline.json");
    let app = dir.path("app");
    let mut args: Vec<&OsStr> = vec![OsStr::new("scan"), app.as_os_str()];
    args.extend([OsStr::new("--write-baseline"), baseline.as_os_str()]);
    assert_eq!(fnguard(&args).code, 0);

    let with_baseline = ["--baseline", baseline.to_str().expect("utf-8 temp path")];
    let run = scan_json(&app, &with_baseline);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert!(!findings(&doc).is_empty());
    assert!(findings(&doc)
        .iter()
        .all(|f| suppression_kind(f).as_deref() == Some("baseline")));

    // An edit that shifts lines keeps the baseline valid...
    dir.write("app/stack.yaml", &format!("# comment\n\n{PUBLIC_URL_CFN}"));
    assert_eq!(scan_json(&app, &with_baseline).code, 0);
    // ...a new public URL is caught.
    dir.write(
        "app/stack.yaml",
        &format!(
            "{PUBLIC_URL_CFN}  AdminFunction:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: admin.handler\n      Role: arn:aws:iam::123456789012:role/admin\n      Code:\n        ZipFile: \"def handler(event, context): return 1\"\n  AdminUrl:\n    Type: AWS::Lambda::Url\n    Properties:\n      TargetFunctionArn: !GetAtt AdminFunction.Arn\n      AuthType: NONE\n"
        ),
    );
    let run = scan_json(&app, &with_baseline);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(active(&run.json(), "FG-TRIG-002").len(), 1);
}

#[test]
fn bad_file_beside_a_vulnerable_one_still_reports_its_findings() {
    let dir = TempDir::new("e2e-bad");
    dir.write("good/stack.yaml", PUBLIC_URL_CFN);
    dir.write("bad/stack.yaml", BROKEN_CFN);
    let run = scan_json(dir.root(), &[]);
    assert_eq!(run.code, 2, "input errors win over findings");
    assert_eq!(active(&run.json(), "FG-TRIG-002").len(), 1);
}

#[test]
fn rules_list_and_explain_cover_every_rule_in_both_languages() {
    let en = fnguard(["rules", "list", "--format", "json"]);
    let rules = en.json();
    let ids: Vec<&str> = rules
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.len() >= 34, "{ids:?}");
    for id in ["FG-IAM-001", "FG-TRIG-002", "FG-SEC-001", "FG-MON-001"] {
        assert!(ids.contains(&id), "{id} missing");
    }
    let table = fnguard(["rules", "list"]).stdout;
    assert!(table.lines().any(|l| l.starts_with("FG-TRIG-002")));

    let explain = fnguard(["rules", "explain", "fg-trig-002"]);
    assert_eq!(explain.code, 0);
    for part in [
        "FG-TRIG-002",
        "Severity: high",
        "§",
        "Remediation",
        "References",
    ] {
        assert!(explain.stdout.contains(part), "{part}:\n{}", explain.stdout);
    }
    let zh = fnguard(["rules", "explain", "FG-TRIG-002", "--lang", "zh"]);
    assert_eq!(zh.code, 0);
    assert!(zh.stdout.contains("严重性: 高"), "{}", zh.stdout);
    assert!(zh.stdout.contains("修复建议"));
}
