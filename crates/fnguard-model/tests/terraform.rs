//! Terraform HCL modules and plan JSON into the normalized model.

use fnguard_model::terraform::{load_module, load_plan};
use fnguard_model::*;
use std::path::Path;

fn fixture_dir(name: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform")
        .join(name);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("fixture");
            (
                format!("{name}/{}", p.file_name().unwrap().to_string_lossy()),
                text,
            )
        })
        .collect();
    files.sort();
    files
}

fn orders() -> (Deployment, Vec<(String, String)>) {
    let files = fixture_dir("orders");
    let (dep, errors) = load_module(&files);
    assert!(errors.is_empty(), "{errors:?}");
    (dep.expect("deployment"), files)
}

/// 1-based line of the first line containing `needle` in `file`.
fn line_of(files: &[(String, String)], file: &str, needle: &str) -> u32 {
    let (_, text) = files
        .iter()
        .find(|(p, _)| p.ends_with(file))
        .expect("file present");
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u32 + 1)
        .unwrap_or_else(|| panic!("{needle} not in {file}"))
}

fn file_id(dep: &Deployment, file: &str) -> u32 {
    dep.files
        .iter()
        .position(|p| p.ends_with(file))
        .expect("file") as u32
}

fn env<'d>(f: &'d Function, name: &str) -> &'d EnvVar {
    f.environment
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("env {name}"))
}

#[test]
fn functions_resolve_variables_locals_and_references() {
    let (dep, files) = orders();
    let main = file_id(&dep, "main.tf");
    let api = dep
        .function("aws_lambda_function.api")
        .expect("api function");
    assert_eq!(api.loc.file, main);
    assert_eq!(
        api.loc.line,
        line_of(
            &files,
            "main.tf",
            "resource \"aws_lambda_function\" \"api\""
        )
    );
    assert_eq!(api.loc.col, 1);
    // "${var.project}-${var.environment}" through a local.
    assert_eq!(api.name.as_deref(), Some("orders-prod-api"));
    assert_eq!(
        api.name.loc().map(|l| l.line),
        Some(line_of(
            &files,
            "main.tf",
            "function_name    = \"${local.name_prefix}-api\""
        ))
    );
    assert_eq!(api.runtime.as_deref(), Some("nodejs16.x"));
    // data.archive_file output_path stands for its source folder.
    assert_eq!(api.code.as_deref(), Some("./src/api"));
    assert_eq!(
        api.role.value(),
        Some(&Ref::Local("aws_iam_role.api".into()))
    );
    // Conditional on a variable with a default.
    assert_eq!(api.tracing.as_deref(), Some("Active"));
    assert!(api.vpc.is_absent());
    assert!(api.code_signing.is_absent());

    let worker = dep.function("aws_lambda_function.worker").expect("worker");
    assert_eq!(
        worker.code.as_deref(),
        Some("s3://orders-artifacts/worker.zip")
    );
    // -1 means unreserved.
    assert!(worker.reserved_concurrency.is_absent());
    assert_eq!(worker.log_format.as_deref(), Some("JSON"));
    assert_eq!(
        worker.log_group.as_deref(),
        Some("/aws/lambda/orders-worker")
    );
    assert_eq!(
        worker.code_signing.value(),
        Some(&Ref::Local("aws_lambda_code_signing_config.strict".into()))
    );
    let vpc = worker.vpc.value().expect("vpc");
    assert_eq!(
        vpc.security_groups,
        vec![Ref::Local("aws_security_group.worker".into())]
    );
    assert_eq!(vpc.subnets.len(), 2);
    assert!(worker.dead_letter.is_known());
    assert!(worker.on_failure.is_known());

    // count: one element, plain address, name unknown (count.index).
    let pdf = dep.function("aws_lambda_function.pdf").expect("pdf");
    assert!(pdf.name.is_unknown());
    assert_eq!(pdf.package_type.as_deref(), Some("Image"));
    assert!(pdf.runtime.is_absent());
    assert_eq!(dep.functions.len(), 3);
}

#[test]
fn environment_values_are_literal_reference_or_unknown() {
    let (dep, files) = orders();
    let api = dep.function("aws_lambda_function.api").expect("api");
    // From merge(local.common_env, {...}).
    assert_eq!(
        env(api, "LOG_LEVEL").value,
        EnvValue::Literal("info".into())
    );
    assert_eq!(env(api, "STAGE").value, EnvValue::Literal("prod".into()));
    // A non-sensitive variable default is a literal in the scanned code,
    // reported where the reference is written.
    let token = env(api, "ADMIN_TOKEN");
    assert_eq!(token.value, EnvValue::Literal("changeme-token-123".into()));
    assert_eq!(
        token.loc.line,
        line_of(&files, "main.tf", "ADMIN_TOKEN     = var.admin_token")
    );
    assert!(matches!(
        env(api, "DB_PASSWORD").value,
        EnvValue::Reference(_)
    ));
    assert_eq!(
        env(api, "STRIPE_SECRET").value,
        EnvValue::Reference("aws_secretsmanager_secret.stripe".into())
    );
    assert_eq!(env(api, "DB_HOST").value, EnvValue::Unknown);
    assert_eq!(env(api, "UPSTREAM").value, EnvValue::Unknown);
    assert_eq!(
        env(api, "AWS_ACCOUNT").value,
        EnvValue::Literal(SELF_ACCOUNT.into())
    );
    assert_eq!(
        env(api, "CONFIG").value,
        EnvValue::Literal("{\"retries\":3}".into())
    );
    // The database reference makes the function reach an internal resource.
    assert!(api
        .internal_refs
        .iter()
        .any(|r| r.what.contains("aws_db_instance.orders")));
}

#[test]
fn roles_trust_and_policies() {
    let (dep, files) = orders();
    let api = dep.role("aws_iam_role.api").expect("api role");
    assert_eq!(
        api.loc.line,
        line_of(&files, "iam.tf", "resource \"aws_iam_role\" \"api\"")
    );
    let trust = api.trust.as_ref().expect("trust");
    assert!(!trust.unknown);
    assert_eq!(trust.statements.len(), 1);
    match &trust.statements[0].principals {
        fnguard_iam::PrincipalSet::Principal(p) => {
            assert_eq!(p[0].kind, "Service");
            assert_eq!(p[0].value.as_str(), Some("lambda.amazonaws.com"));
        }
        other => panic!("{other:?}"),
    }
    // aws_iam_role_policy with a policy document data source.
    let inline = api
        .policies
        .iter()
        .find(|p| p.name == "api-inline")
        .expect("inline policy");
    assert_eq!(inline.origin, PolicyOrigin::Inline);
    let sids: Vec<_> = inline
        .policy
        .statements
        .iter()
        .map(|s| s.sid.clone().unwrap_or_default())
        .collect();
    assert_eq!(sids, vec!["Logs", "Everything", "NoIam"]);
    let logs = &inline.policy.statements[0];
    match &logs.resources {
        fnguard_iam::ResourceSet::Resource(r) => assert_eq!(
            r[0].as_str(),
            Some("arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*")
        ),
        other => panic!("{other:?}"),
    }
    let everything = &inline.policy.statements[1];
    assert_eq!(everything.effect, fnguard_iam::Effect::Allow);
    assert_eq!(
        everything.loc.line,
        line_of(&files, "iam.tf", "sid       = \"Everything\"") - 1
    );
    let deny = &inline.policy.statements[2];
    assert_eq!(deny.effect, fnguard_iam::Effect::Deny);
    assert_eq!(deny.conditions.len(), 1);
    assert_eq!(deny.conditions[0].operator, "StringNotEquals");
    assert_eq!(deny.conditions[0].key, "aws:PrincipalTag/team");

    // Customer-managed policy through an attachment, heredoc JSON with an
    // interpolated ARN: known action, the resource is the database's ARN
    // (a placeholder for the computed value, never a wildcard).
    let managed = api
        .policies
        .iter()
        .find(|p| p.origin == PolicyOrigin::CustomerManaged)
        .expect("customer managed");
    assert_eq!(managed.name, "aws_iam_policy.db_connect");
    assert!(!managed.policy.unknown);
    let stmt = &managed.policy.statements[0];
    match (&stmt.actions, &stmt.resources) {
        (fnguard_iam::ActionSet::Action(a), fnguard_iam::ResourceSet::Resource(r)) => {
            assert_eq!(a[0].as_str(), Some("rds-db:connect"));
            assert_eq!(r[0].as_str(), Some("${aws_db_instance.orders.arn}"));
        }
        other => panic!("{other:?}"),
    }
    // Attached by literal role name.
    assert!(api.managed_policy_arns.iter().any(|a| a
        .as_deref()
        .is_some_and(|s| s.ends_with("AWSLambdaBasicExecutionRole"))));

    let worker = dep.role("aws_iam_role.worker").expect("worker role");
    let trust = worker.trust.as_ref().expect("trust");
    match &trust.statements[0].principals {
        fnguard_iam::PrincipalSet::Principal(p) => assert_eq!(p.len(), 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        worker.managed_policy_arns[0].as_deref(),
        Some("arn:aws:iam::aws:policy/AdministratorAccess")
    );
    let queue = &worker.policies[0];
    assert_eq!(queue.name, "queue-access");
    match &queue.policy.statements[0].resources {
        fnguard_iam::ResourceSet::Resource(r) => {
            assert_eq!(r[0].as_str(), Some("${aws_sqs_queue.orders.arn}"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn permissions_urls_and_triggers() {
    let (dep, files) = orders();
    let partner = dep
        .permissions
        .iter()
        .find(|p| p.id == "aws_lambda_permission.partner")
        .expect("partner permission");
    // function_name given as a literal name links by name.
    assert_eq!(
        partner.function,
        Ref::Local("aws_lambda_function.worker".into())
    );
    assert_eq!(partner.principal.as_deref(), Some("*"));
    assert!(partner.source_arn.is_absent());
    let s3 = dep
        .permissions
        .iter()
        .find(|p| p.id == "aws_lambda_permission.s3_invoke_worker")
        .expect("s3 permission");
    assert!(s3.source_arn.is_known());
    let http = dep
        .permissions
        .iter()
        .find(|p| p.id == "aws_lambda_permission.http_api")
        .expect("http permission");
    assert_eq!(
        http.source_arn.as_deref(),
        Some("${aws_apigatewayv2_api.http.execution_arn}/*/*")
    );

    let url = &dep.function_urls[0];
    assert_eq!(url.function, Ref::Local("aws_lambda_function.api".into()));
    assert!(url.auth_type.eq_ignore_case("NONE"));
    let cors = url.cors.as_ref().expect("cors");
    assert_eq!(cors.allow_origins[0].as_deref(), Some("*"));
    assert_eq!(cors.allow_credentials.value(), Some(&true));

    let worker = dep.function("aws_lambda_function.worker").expect("worker");
    let kinds: Vec<TriggerKind> = worker.triggers.iter().map(|t| t.kind).collect();
    assert!(kinds.contains(&TriggerKind::Sqs));
    assert!(kinds.contains(&TriggerKind::S3));
    assert!(worker.is_async());
    let api = dep.function("aws_lambda_function.api").expect("api");
    assert!(api.has_http_trigger());
    let kinds: Vec<TriggerKind> = api.triggers.iter().map(|t| t.kind).collect();
    for k in [
        TriggerKind::RestApi,
        TriggerKind::HttpApi,
        TriggerKind::FunctionUrl,
    ] {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }
    // Inline ignore is collected with the line it targets.
    let ignore = &dep.inline_ignores[0];
    assert_eq!(ignore.rule_ids, vec!["FG-TRIG-001"]);
    assert_eq!(
        ignore.target_line,
        line_of(
            &files,
            "main.tf",
            "resource \"aws_lambda_permission\" \"partner\""
        )
    );
    assert_eq!(partner.loc.line, ignore.target_line);
}

#[test]
fn rest_api_routes_and_protection() {
    let (dep, files) = orders();
    let rest = dep
        .api("aws_api_gateway_rest_api.orders")
        .expect("rest api");
    assert_eq!(rest.kind, ApiKind::Rest);
    assert_eq!(rest.private_endpoint.value(), Some(&false));
    let list = rest
        .routes
        .iter()
        .find(|r| r.path == "/orders")
        .expect("/orders");
    assert_eq!(list.method, "GET");
    assert_eq!(list.auth.value(), Some(&AuthKind::None));
    assert_eq!(list.api_key_required.value(), Some(&true));
    assert_eq!(list.function.as_deref(), Some("aws_lambda_function.api"));
    assert_eq!(
        list.loc.line,
        line_of(
            &files,
            "api.tf",
            "resource \"aws_api_gateway_method\" \"list_orders\""
        )
    );
    let get = rest
        .routes
        .iter()
        .find(|r| r.path == "/orders/{id}")
        .expect("/orders/{id}");
    assert_eq!(get.auth.value(), Some(&AuthKind::Cognito));
    assert_eq!(rest.request_validation.value(), Some(&true));
    assert_eq!(rest.throttling.value(), Some(&true));
    assert_eq!(rest.waf.value(), Some(&true));
    assert_eq!(rest.tracing.value(), Some(&true));
    // The stage has no access_log_settings.
    assert!(rest.access_logging.is_absent());
}

#[test]
fn http_api_routes_and_stage() {
    let (dep, _) = orders();
    let http = dep.api("aws_apigatewayv2_api.http").expect("http api");
    assert_eq!(http.kind, ApiKind::Http);
    let create = http
        .routes
        .iter()
        .find(|r| r.path == "/orders")
        .expect("POST /orders");
    assert_eq!(create.method, "POST");
    // No authorization_type: the provider default NONE.
    assert_eq!(create.auth.value(), Some(&AuthKind::None));
    // target "integrations/${aws_apigatewayv2_integration.api.id}".
    assert_eq!(create.function.as_deref(), Some("aws_lambda_function.api"));
    let admin = http
        .routes
        .iter()
        .find(|r| r.path == "/admin")
        .expect("admin");
    assert_eq!(admin.auth.value(), Some(&AuthKind::Jwt));
    assert_eq!(http.access_logging.value(), Some(&true));
    assert!(http.throttling.is_absent());
    assert!(http.waf.is_absent());
    let cors = http.cors.as_ref().expect("cors");
    assert_eq!(
        cors.allow_origins[0].as_deref(),
        Some("https://shop.example.com")
    );
}

#[test]
fn logs_alarms_trails_security_groups_signing_parameters() {
    let (dep, files) = orders();
    let shared = dep
        .log_groups
        .iter()
        .find(|l| l.id == "aws_cloudwatch_log_group.http_access")
        .expect("access log group");
    assert_eq!(shared.function, None);
    let api_lg = dep
        .log_groups
        .iter()
        .find(|l| l.id == "aws_cloudwatch_log_group.api")
        .expect("api log group");
    assert_eq!(api_lg.function.as_deref(), Some("aws_lambda_function.api"));
    assert_eq!(api_lg.retention_days.value(), Some(&14));
    let worker_lg = dep
        .log_groups
        .iter()
        .find(|l| l.id == "aws_cloudwatch_log_group.worker")
        .expect("worker log group");
    assert_eq!(
        worker_lg.function.as_deref(),
        Some("aws_lambda_function.worker")
    );
    assert!(worker_lg.retention_days.is_absent());

    let errors = dep
        .alarms
        .iter()
        .find(|a| a.id == "aws_cloudwatch_metric_alarm.api_errors")
        .expect("alarm");
    assert_eq!(
        errors.metrics[0].function.as_deref(),
        Some("aws_lambda_function.api")
    );
    assert_eq!(errors.metrics[0].metric_name.as_deref(), Some("Errors"));
    let rate = dep
        .alarms
        .iter()
        .find(|a| a.id == "aws_cloudwatch_metric_alarm.worker_error_rate")
        .expect("metric math alarm");
    assert_eq!(rate.metrics.len(), 1);
    assert_eq!(
        rate.metrics[0].function.as_deref(),
        Some("aws_lambda_function.worker")
    );

    let main_trail = dep
        .trails
        .iter()
        .find(|t| t.id == "aws_cloudtrail.main")
        .expect("trail");
    assert_eq!(main_trail.lambda_data_events.value(), Some(&false));
    let lambda_trail = dep
        .trails
        .iter()
        .find(|t| t.id == "aws_cloudtrail.lambda")
        .expect("trail");
    assert_eq!(lambda_trail.lambda_data_events.value(), Some(&true));

    let open = dep.security_group("aws_security_group.worker").expect("sg");
    assert_eq!(open.egress.len(), 1);
    assert_eq!(open.egress[0].cidr.as_deref(), Some("0.0.0.0/0"));
    assert_eq!(open.egress[0].protocol.as_deref(), Some("-1"));
    assert!(!open.egress[0].implicit);
    // No egress block in Terraform means no egress; the separate rule adds one.
    let closed = dep.security_group("aws_security_group.closed").expect("sg");
    assert_eq!(closed.egress.len(), 1);
    assert_eq!(closed.egress[0].cidr.as_deref(), Some("10.0.0.0/8"));
    assert_eq!(closed.egress[0].from_port.value(), Some(&443));
    assert_eq!(
        closed.egress[0].loc.line,
        line_of(&files, "main.tf", "cidr_blocks       = [\"10.0.0.0/8\"]")
    );

    let csc = dep
        .code_signing_config("aws_lambda_code_signing_config.strict")
        .expect("csc");
    assert_eq!(csc.untrusted_artifact_policy.as_deref(), Some("Warn"));

    let pw = dep
        .parameters
        .iter()
        .find(|p| p.id == "var.db_password")
        .expect("param");
    assert!(pw.no_echo);
    assert_eq!(pw.default.as_deref(), Some("Sup3rS3cret!"));
    let topic = dep
        .parameters
        .iter()
        .find(|p| p.id == "var.alarm_topic_arn")
        .expect("param");
    assert!(topic.default.is_absent());
}

#[test]
fn broken_file_reports_position_and_others_still_load() {
    let files = fixture_dir("broken");
    let (dep, errors) = load_module(&files);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let err = &errors[0];
    assert!(err.path.ends_with("bad.tf"));
    assert!(err.line >= 3, "{err}");
    assert!(err.col >= 1);
    assert!(err.to_string().starts_with("broken/bad.tf:"), "{err}");
    let dep = dep.expect("good file still loaded");
    assert!(dep.function("aws_lambda_function.ok").is_some());
    assert!(dep.function("aws_lambda_function.broken").is_none());
    let ok = dep.function("aws_lambda_function.ok").expect("ok");
    assert_eq!(
        ok.role.value(),
        Some(&Ref::External(
            "arn:aws:iam::123456789012:role/external".into()
        ))
    );
}

#[test]
fn only_broken_files_give_no_deployment() {
    let files = vec![("x.tf".to_string(), "resource \"a\" {".to_string())];
    let (dep, errors) = load_module(&files);
    assert!(dep.is_none());
    assert_eq!(errors[0].path, "x.tf");
    assert_eq!(errors[0].line, 1);
}

fn plan_fixture() -> (String, Deployment) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform/plan/plan.json");
    let text = std::fs::read_to_string(path).expect("plan fixture");
    let dep = load_plan("plan/plan.json", &text).expect("plan loads");
    (text, dep)
}

#[test]
fn plan_values_and_unknowns_build_the_same_model() {
    let (text, dep) = plan_fixture();
    assert_eq!(dep.format, SourceFormat::TerraformPlan);
    let f = dep
        .function("aws_lambda_function.payments")
        .expect("function");
    // Located at the resource object in planned_values.
    let line = text
        .lines()
        .position(|l| l.contains("\"address\": \"aws_lambda_function.payments\""))
        .expect("address line") as u32;
    assert_eq!(
        f.loc.line, line,
        "the object opens on the line before its address"
    );
    assert_eq!(f.name.as_deref(), Some("payments-prod"));
    assert_eq!(f.runtime.as_deref(), Some("python3.8"));
    assert_eq!(f.reserved_concurrency.value(), Some(&20));
    assert_eq!(f.log_format.as_deref(), Some("Text"));
    assert_eq!(f.tracing.as_deref(), Some("PassThrough"));
    assert!(f.vpc.is_absent());
    assert!(f.code_signing.is_absent());
    // `role` is known after apply: configuration references link it.
    assert_eq!(
        f.role.value(),
        Some(&Ref::Local("aws_iam_role.lambda".into()))
    );
    assert_eq!(
        env(f, "STRIPE_API_KEY").value,
        EnvValue::Literal("sk_live_51HXXXXXXXXXXXXXXXXXXXXXXXX".into())
    );
    // Marked sensitive in the plan: never kept as a literal.
    assert!(matches!(
        env(f, "DB_PASSWORD").value,
        EnvValue::Reference(_)
    ));
    let kinds: Vec<TriggerKind> = f.triggers.iter().map(|t| t.kind).collect();
    assert!(kinds.contains(&TriggerKind::FunctionUrl));

    let role = dep.role("aws_iam_role.lambda").expect("role");
    let trust = role.trust.as_ref().expect("trust");
    assert_eq!(trust.statements.len(), 1);
    assert_eq!(role.policies.len(), 1);
    assert_eq!(role.policies[0].name, "payments-inline");
    assert!(role.managed_policy_arns.iter().any(|a| a.as_deref()
        == Some("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")));
    // managed_policy_arns is "known after apply" only because the provider
    // fills it from the attachments when the configuration leaves it out:
    // not an unknown policy.
    assert!(!role.managed_policy_arns.iter().any(|a| a.is_unknown()));

    // Known only after apply, from a policy document the plan has read.
    let worker = dep.role("aws_iam_role.worker").expect("worker role");
    let trust = worker.trust.as_ref().expect("trust");
    assert!(!trust.unknown);
    match &trust.statements[0].principals {
        fnguard_iam::PrincipalSet::Principal(p) => {
            assert_eq!(p[0].kind, "AWS");
            assert_eq!(p[0].value.as_str(), Some("*"));
        }
        other => panic!("{other:?}"),
    }

    let perm = &dep.permissions[0];
    assert_eq!(
        perm.function,
        Ref::Local("aws_lambda_function.payments".into())
    );
    assert_eq!(perm.principal.as_deref(), Some("*"));
    assert!(perm.source_arn.is_absent());

    let url = &dep.function_urls[0];
    assert!(url.auth_type.eq_ignore_case("NONE"));
    assert!(url.cors.is_none());

    let lg = &dep.log_groups[0];
    assert_eq!(lg.function.as_deref(), Some("aws_lambda_function.payments"));
    assert!(lg.retention_days.is_absent(), "0 means never expire");

    let pw = dep
        .parameters
        .iter()
        .find(|p| p.id == "var.db_password")
        .expect("var");
    assert!(pw.no_echo);
}

#[test]
fn plan_child_modules_and_count_instances() {
    let (_, dep) = plan_fixture();
    let f = dep
        .function("module.refunds.aws_lambda_function.this[0]")
        .expect("child module function, address as given");
    assert_eq!(f.runtime.as_deref(), Some("nodejs20.x"));
    assert!(f.reserved_concurrency.is_absent());
    // Module-local reference, qualified with the module path.
    assert_eq!(
        f.role.value(),
        Some(&Ref::Local("module.refunds.aws_iam_role.this".into()))
    );
    assert!(f.code_signing.is_unknown());
    assert!(f.layers.iter().all(|l| l.is_unknown()) && !f.layers.is_empty());
    assert!(dep.role("module.refunds.aws_iam_role.this").is_some());
}

#[test]
fn plan_that_is_not_a_plan_is_an_error() {
    let err = load_plan("x.json", "{\"Resources\": {}}").expect_err("not a plan");
    assert_eq!(err.path, "x.json");
    let err = load_plan("y.json", "{\"a\": [1, 2,, }").expect_err("bad json");
    assert_eq!(err.path, "y.json");
    assert!(err.line >= 1);
}

fn load_one(text: &str) -> Deployment {
    let files = vec![("main.tf".to_string(), text.to_string())];
    let (dep, errors) = load_module(&files);
    assert!(errors.is_empty(), "{errors:?}");
    dep.expect("deployment")
}

#[test]
fn reference_cycles_and_long_chains_are_unknown_not_a_hang() {
    let mut text = String::from(
        "locals {\n  a = local.b\n  b = \"${local.a}-x\"\n}\nresource \"aws_lambda_function\" \"f\" {\n  function_name = local.a\n  handler = local.l0\n}\n",
    );
    text.push_str("locals {\n");
    for i in 0..5000 {
        text.push_str(&format!("  l{i} = local.l{}\n", i + 1));
    }
    text.push_str("  l5000 = \"end\"\n}\n");
    let dep = load_one(&text);
    let f = dep.function("aws_lambda_function.f").expect("f");
    assert!(f.name.is_unknown());
    assert!(f.handler.is_unknown());
}

#[test]
fn values_built_through_many_locals_stay_bounded() {
    // Each local nests the previous one 60 levels deeper: the value depth
    // grows without any single expression being deep.
    let mut text = String::from("locals {\n  d0 = \"x\"\n");
    for i in 1..200 {
        let open = "[".repeat(60);
        let close = "]".repeat(60);
        text.push_str(&format!("  d{i} = {open}local.d{}{close}\n", i - 1));
    }
    text.push_str("}\nresource \"aws_iam_role\" \"r\" {\n  assume_role_policy = jsonencode({ Statement = local.d199 })\n}\n");
    let dep = load_one(&text);
    assert!(dep.role("aws_iam_role.r").is_some());
}

#[test]
fn dynamic_blocks_and_unknown_inputs_are_unknown() {
    let dep = load_one(
        r#"
variable "subnets" { type = list(string) }
variable "env" {
  type    = map(string)
  default = {}
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  role          = var.role_arn
  dynamic "vpc_config" {
    for_each = var.subnets == null ? [] : [1]
    content {
      subnet_ids = var.subnets
    }
  }
  dynamic "environment" {
    for_each = length(var.env) > 0 ? [1] : []
    content {
      variables = var.env
    }
  }
  reserved_concurrent_executions = var.concurrency
}
resource "aws_security_group" "dyn" {
  dynamic "egress" {
    for_each = var.rules
    content {
      cidr_blocks = [egress.value]
    }
  }
}
resource "aws_security_group" "none" {
  egress = []
}
resource "aws_security_group" "absent" {
  name = "absent"
}
"#,
    );
    let f = dep.function("aws_lambda_function.f").expect("f");
    assert!(f.vpc.is_unknown());
    assert!(f.role.is_unknown(), "{:?}", f.role);
    assert_eq!(f.environment.len(), 1);
    assert_eq!(f.environment[0].value, EnvValue::Unknown);
    assert!(f.reserved_concurrency.is_unknown());
    let dyn_sg = dep.security_group("aws_security_group.dyn").expect("dyn");
    assert_eq!(dyn_sg.egress.len(), 1);
    assert!(dyn_sg.egress[0].cidr.is_unknown());
    assert!(dep
        .security_group("aws_security_group.none")
        .expect("none")
        .egress
        .is_empty());
    assert!(dep
        .security_group("aws_security_group.absent")
        .expect("absent")
        .egress
        .is_empty());
    let subnets = dep
        .parameters
        .iter()
        .find(|p| p.id == "var.subnets")
        .expect("var");
    assert!(subnets.default.is_absent());
}

#[test]
fn tfvars_override_defaults_and_conditionals_follow_them() {
    let files = vec![
        (
            "m/main.tf".to_string(),
            r#"
variable "stage" { default = "dev" }
variable "secure" { default = false }
resource "aws_lambda_function_url" "u" {
  function_name      = aws_lambda_function.f.function_name
  authorization_type = var.secure ? "AWS_IAM" : "NONE"
}
resource "aws_lambda_function" "f" {
  function_name = "svc-${var.stage}"
  runtime       = var.stage == "prod" ? "python3.12" : "python3.12"
  handler       = var.unknown_flag ? "a.handler" : "b.handler"
  layers        = concat(["arn:aws:lambda:eu-west-1:123456789012:layer:a:1"], [format("arn:aws:lambda:%s:%s:layer:b:%d", data.aws_region.current.name, data.aws_caller_identity.me.account_id, 2)])
}
"#
            .to_string(),
        ),
        (
            "m/terraform.tfvars".to_string(),
            "stage  = \"prod\"\nsecure = true\n".to_string(),
        ),
    ];
    let (dep, errors) = load_module(&files);
    assert!(errors.is_empty());
    let dep = dep.expect("dep");
    let f = dep.function("aws_lambda_function.f").expect("f");
    assert_eq!(f.name.as_deref(), Some("svc-prod"));
    assert_eq!(f.runtime.as_deref(), Some("python3.12"));
    assert!(f.handler.is_unknown());
    assert_eq!(f.layers.len(), 2);
    assert_eq!(
        f.layers[1].as_deref(),
        Some("arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:layer:b:2")
    );
    let url = &dep.function_urls[0];
    assert_eq!(url.auth_type.as_deref(), Some("AWS_IAM"));
    assert_eq!(url.function, Ref::Local("aws_lambda_function.f".into()));
    // The parameter keeps the declared default.
    let stage = dep
        .parameters
        .iter()
        .find(|p| p.id == "var.stage")
        .expect("stage");
    assert_eq!(stage.default.as_deref(), Some("dev"));
}

#[test]
fn policy_document_sources_overrides_and_wildcard_principal() {
    let dep = load_one(
        r#"
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::bucket/*"]
  }
}
data "aws_iam_policy_document" "trust" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [jsonencode({
    Statement = [{ Sid = "Read", Effect = "Allow", Action = "s3:ListBucket", Resource = "*" }]
  })]
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
  dynamic "statement" {
    for_each = var.extra
    content {
      actions = statement.value
    }
  }
}
resource "aws_iam_role" "r" {
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"#,
    );
    let role = dep.role("aws_iam_role.r").expect("role");
    let trust = role.trust.as_ref().expect("trust");
    // The dynamic statement makes the document partly unknown.
    assert!(trust.unknown);
    assert_eq!(trust.statements.len(), 2);
    match &trust.statements[0].actions {
        fnguard_iam::ActionSet::Action(a) => assert_eq!(a[0].as_str(), Some("s3:ListBucket")),
        other => panic!("{other:?}"),
    }
    match &trust.statements[1].principals {
        fnguard_iam::PrincipalSet::Principal(p) => {
            assert_eq!(p.len(), 1);
            assert_eq!(p[0].value.as_str(), Some("*"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn hostile_input_does_not_panic() {
    let deep = format!(
        "locals {{\n  x = {}1{}\n}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let files = vec![
        ("deep.tf".to_string(), deep),
        ("empty.tf".to_string(), String::new()),
        ("odd.tf".to_string(), "resource \"aws_lambda_function\" {}\nresource \"aws_lambda_function\" \"a\" \"b\" {}\ndata \"aws_iam_policy_document\" \"p\" {\n  statement {\n    principals {}\n    condition {}\n  }\n}\nresource \"aws_iam_role\" \"r\" {\n  assume_role_policy = data.aws_iam_policy_document.p.json\n  managed_policy_arns = \"x\"\n}\n".to_string()),
        ("unicode.tf".to_string(), "# é\nresource \"aws_lambda_function\" \"ü\" {\n  function_name = \"naïve-☃\"\n}\n".to_string()),
    ];
    let (dep, errors) = load_module(&files);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "deep.tf");
    let dep = dep.expect("others load");
    let f = dep
        .function("aws_lambda_function.ü")
        .expect("unicode function");
    assert_eq!(f.name.as_deref(), Some("naïve-☃"));
    assert_eq!(f.name.loc().map(|l| (l.line, l.col)), Some((3, 19)));
    assert!(dep.role("aws_iam_role.r").is_some());
    assert_eq!(dep.warnings.len(), 2, "{:?}", dep.warnings);
    assert_eq!(dep.warnings[0].loc.line, 1);
    for text in ["", "[]", "null", "{\"planned_values\": 3}", "{\"format_version\": \"1.2\", \"planned_values\": {\"root_module\": {\"resources\": [{\"address\": 1}, 5, {\"address\": \"aws_lambda_function.x\", \"type\": \"aws_lambda_function\", \"values\": [1]}]}}}"] {
        let _ = load_plan("p.json", text);
    }
}

/// Throughput on the realistic module, loaded many times as a corpus of
/// modules would be. Run with
/// `cargo test --release -p fnguard-model --test terraform throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let files = fixture_dir("orders");
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let rounds = 400;
    let start = std::time::Instant::now();
    let mut functions = 0;
    for _ in 0..rounds {
        let (dep, _) = load_module(&files);
        functions += dep.map(|d| d.functions.len()).unwrap_or(0);
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (bytes * rounds) as f64 / 1e6;
    eprintln!(
        "{mb:.1} MB in {secs:.2}s: {:.1} MB/s ({functions} functions)",
        mb / secs
    );
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        for (_, text) in &files {
            let _ = hcl_edit::parser::parse_body(text);
        }
    }
    let parse = start.elapsed().as_secs_f64();
    eprintln!("of which HCL parsing: {parse:.2}s ({:.1} MB/s)", mb / parse);
}

#[test]
fn usage_plans_openapi_websocket_waf_and_egress_rules() {
    let dep = load_one(
        r#"
resource "aws_lambda_function" "h" {
  function_name = "h"
}
resource "aws_api_gateway_rest_api" "spec" {
  name = "spec"
  body = jsonencode({
    openapi = "3.0.1"
    paths = {
      "/public" = {
        get = {
          "x-amazon-apigateway-integration" = {
            type = "aws_proxy"
            uri  = aws_lambda_function.h.invoke_arn
          }
        }
      }
      "/private" = {
        post = {
          security = [{ sigv4 = [] }]
        }
      }
      "/keyed" = {
        get = {
          security = [{ api_key = [] }]
          "x-amazon-apigateway-request-validator" = "all"
        }
      }
      "/users" = {
        get = {
          security = [{ cognito = [] }]
        }
      }
    }
    components = {
      securitySchemes = {
        sigv4 = {
          type                           = "apiKey"
          name                           = "Authorization"
          in                             = "header"
          "x-amazon-apigateway-authtype" = "awsSigv4"
        }
        api_key = {
          type = "apiKey"
          name = "x-api-key"
          in   = "header"
        }
        cognito = {
          type = "apiKey"
          name = "Authorization"
          in   = "header"
          "x-amazon-apigateway-authorizer" = {
            type         = "cognito_user_pools"
            providerARNs = ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/x"]
          }
        }
      }
    }
  })
  endpoint_configuration {
    types = ["PRIVATE"]
  }
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = "*" }]
  })
}
resource "aws_api_gateway_stage" "s" {
  rest_api_id   = aws_api_gateway_rest_api.spec.id
  stage_name    = "s"
  deployment_id = "d"
  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:api"
    format          = "$context.requestId"
  }
}
resource "aws_api_gateway_usage_plan" "p" {
  name = "p"
  api_stages {
    api_id = aws_api_gateway_rest_api.spec.id
    stage  = aws_api_gateway_stage.s.stage_name
  }
  throttle_settings {
    burst_limit = 10
    rate_limit  = 5
  }
}
resource "aws_apigatewayv2_api" "ws" {
  name                       = "ws"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}
resource "aws_apigatewayv2_route" "connect" {
  api_id             = aws_apigatewayv2_api.ws.id
  route_key          = "$connect"
  authorization_type = "AWS_IAM"
}
resource "aws_apigatewayv2_api" "quick" {
  name          = "quick"
  protocol_type = "HTTP"
  target        = aws_lambda_function.h.arn
}
resource "aws_wafv2_web_acl_association" "somewhere" {
  resource_arn = var.stage_arn
  web_acl_arn  = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/y"
}
resource "aws_security_group" "sg" {
  name = "sg"
}
data "aws_security_group" "shared" {
  name = "shared"
}
resource "aws_lambda_function" "in_vpc" {
  function_name = "in-vpc"
  vpc_config {
    subnet_ids         = ["subnet-1"]
    security_group_ids = [aws_security_group.sg.id, data.aws_security_group.shared.id]
  }
}
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.sg.id
  cidr_ipv6         = "::/0"
  ip_protocol       = "-1"
}
resource "aws_scheduler_schedule" "nightly" {
  schedule_expression = "cron(0 2 * * ? *)"
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = aws_lambda_function.h.arn
    role_arn = "arn:aws:iam::123456789012:role/scheduler"
  }
}
resource "aws_api_gateway_rest_api" "literal" {
  name = "literal"
}
resource "aws_api_gateway_rest_api_policy" "literal" {
  rest_api_id = aws_api_gateway_rest_api.literal.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", Resource = "*" }]
  })
}
resource "aws_apigatewayv2_api" "spec_http" {
  name          = "spec-http"
  protocol_type = "HTTP"
  body = jsonencode({
    openapi = "3.0.1"
    paths = {
      "/me" = {
        get = {
          security = [{ jwt = [] }]
        }
      }
    }
    components = {
      securitySchemes = {
        jwt = {
          type = "oauth2"
          "x-amazon-apigateway-authorizer" = {
            type = "jwt"
          }
        }
      }
    }
  })
}
resource "aws_wafv2_web_acl_association" "literal" {
  resource_arn = "arn:aws:apigateway:${var.region}::/restapis/${aws_api_gateway_rest_api.literal.id}/stages/prod"
  web_acl_arn  = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/y"
}
resource "aws_api_gateway_method" "root_get" {
  rest_api_id   = aws_api_gateway_rest_api.literal.id
  resource_id   = aws_api_gateway_rest_api.literal.root_resource_id
  http_method   = "GET"
  authorization = "AWS_IAM"
}
resource "aws_api_gateway_integration" "root_get" {
  rest_api_id = aws_api_gateway_rest_api.literal.id
  resource_id = aws_api_gateway_rest_api.literal.root_resource_id
  http_method = "GET"
  type        = "AWS_PROXY"
  uri         = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:h/invocations"
}
resource "aws_lambda_event_source_mapping" "stream" {
  event_source_arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2024"
  function_name     = aws_lambda_function.h.function_name
  starting_position = "LATEST"
}
"#,
    );
    let spec = dep.api("aws_api_gateway_rest_api.spec").expect("spec");
    assert_eq!(spec.private_endpoint.value(), Some(&true));
    assert_eq!(spec.throttling.value(), Some(&true));
    assert_eq!(spec.access_logging.value(), Some(&true));
    assert!(spec
        .resource_policy
        .as_ref()
        .is_some_and(|p| p.statements.len() == 1));
    let public = spec
        .routes
        .iter()
        .find(|r| r.path == "/public")
        .expect("/public");
    assert_eq!(public.method, "GET");
    assert_eq!(public.auth.value(), Some(&AuthKind::None));
    assert_eq!(public.function.as_deref(), Some("aws_lambda_function.h"));
    let private = spec
        .routes
        .iter()
        .find(|r| r.path == "/private")
        .expect("/private");
    assert_eq!(private.auth.value(), Some(&AuthKind::Iam));
    let keyed = spec
        .routes
        .iter()
        .find(|r| r.path == "/keyed")
        .expect("/keyed");
    assert_eq!(keyed.auth.value(), Some(&AuthKind::None));
    assert_eq!(keyed.api_key_required.value(), Some(&true));
    let users = spec
        .routes
        .iter()
        .find(|r| r.path == "/users")
        .expect("/users");
    assert_eq!(users.auth.value(), Some(&AuthKind::Cognito));
    assert_eq!(spec.request_validation.value(), Some(&true));
    // An association whose target is unknown could protect any API.
    assert!(spec.waf.is_unknown());

    let literal = dep
        .api("aws_api_gateway_rest_api.literal")
        .expect("literal");
    assert_eq!(literal.routes[0].path, "/");
    assert_eq!(literal.routes[0].auth.value(), Some(&AuthKind::Iam));
    assert_eq!(
        literal.routes[0].function.as_deref(),
        Some("aws_lambda_function.h")
    );

    assert!(literal
        .resource_policy
        .as_ref()
        .is_some_and(|p| p.statements.len() == 1));
    assert_eq!(literal.waf.value(), Some(&true));
    let spec_http = dep
        .api("aws_apigatewayv2_api.spec_http")
        .expect("spec_http");
    assert_eq!(spec_http.routes[0].path, "/me");
    assert_eq!(spec_http.routes[0].auth.value(), Some(&AuthKind::Jwt));

    let ws = dep.api("aws_apigatewayv2_api.ws").expect("ws");
    assert_eq!(ws.kind, ApiKind::WebSocket);
    assert_eq!(ws.routes[0].method, "$connect");
    assert_eq!(ws.routes[0].auth.value(), Some(&AuthKind::Iam));

    let quick = dep.api("aws_apigatewayv2_api.quick").expect("quick");
    assert_eq!(quick.routes[0].auth.value(), Some(&AuthKind::None));
    assert_eq!(
        quick.routes[0].function.as_deref(),
        Some("aws_lambda_function.h")
    );

    let sg = dep.security_group("aws_security_group.sg").expect("sg");
    assert_eq!(sg.egress.len(), 1);
    assert_eq!(sg.egress[0].cidr.as_deref(), Some("::/0"));
    assert_eq!(sg.egress[0].protocol.as_deref(), Some("-1"));

    let in_vpc = dep.function("aws_lambda_function.in_vpc").expect("in_vpc");
    let vpc = in_vpc.vpc.value().expect("vpc");
    assert_eq!(
        vpc.security_groups[0],
        Ref::Local("aws_security_group.sg".into())
    );
    assert_eq!(
        vpc.security_groups[1],
        Ref::External("data.aws_security_group.shared.id".into())
    );
    let h = dep.function("aws_lambda_function.h").expect("h");
    let kinds: Vec<TriggerKind> = h.triggers.iter().map(|t| t.kind).collect();
    assert!(kinds.contains(&TriggerKind::DynamoDbStream), "{kinds:?}");
    assert!(kinds.contains(&TriggerKind::HttpApi), "{kinds:?}");
    assert!(kinds.contains(&TriggerKind::Schedule), "{kinds:?}");
    assert!(h.is_async());
}

#[test]
fn undetermined_names_still_link_by_reference() {
    let dep = load_one(
        r#"
variable "name" { type = string }
resource "aws_lambda_function" "f" {
  function_name = var.name
  role          = aws_iam_role.r.arn
}
resource "aws_iam_role" "r" {
  name = "${var.name}-role"
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.r.name
  policy_arn = "arn:aws:iam::aws:policy/AWSLambda_FullAccess"
}
data "aws_iam_policy" "power" {
  name = "PowerUserAccess"
}
resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.f.function_name
  function_version = "1"
}
resource "aws_lambda_function_url" "live" {
  function_name      = aws_lambda_alias.live.arn
  authorization_type = "NONE"
}
resource "aws_iam_role_policy_attachment" "power" {
  role       = aws_iam_role.r.name
  policy_arn = data.aws_iam_policy.power.arn
}
resource "aws_lambda_permission" "p" {
  function_name = aws_lambda_function.f.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.t.arn
}
resource "aws_cloudwatch_log_group" "l" {
  name = "/aws/lambda/${aws_lambda_function.f.function_name}"
}
resource "aws_cloudwatch_metric_alarm" "a" {
  namespace   = "AWS/Lambda"
  metric_name = "Throttles"
  dimensions = {
    FunctionName = aws_lambda_function.f.function_name
  }
}
resource "aws_cloudwatch_metric_alarm" "other" {
  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = var.other
  }
}
"#,
    );
    let f = dep.function("aws_lambda_function.f").expect("f");
    assert!(f.name.is_unknown());
    assert_eq!(
        dep.permissions[0].function,
        Ref::Local("aws_lambda_function.f".into())
    );
    assert!(f.triggers.iter().any(|t| t.kind == TriggerKind::Sns));
    assert!(f.is_async());
    assert_eq!(
        dep.log_groups[0].function.as_deref(),
        Some("aws_lambda_function.f")
    );
    assert_eq!(
        dep.alarms[0].metrics[0].function.as_deref(),
        Some("aws_lambda_function.f")
    );
    assert!(dep.alarms[1].metrics[0].function_unknown);
    let role = dep.role("aws_iam_role.r").expect("role");
    assert_eq!(
        role.managed_policy_arns[0].as_deref(),
        Some("arn:aws:iam::aws:policy/AWSLambda_FullAccess")
    );
    assert_eq!(
        role.managed_policy_arns[1].as_deref(),
        Some("PowerUserAccess")
    );
    assert!(role.policies.is_empty());
    // A URL on an alias belongs to the aliased function.
    assert_eq!(
        dep.function_urls[0].function,
        Ref::Local("aws_lambda_function.f".into())
    );
    assert!(f
        .triggers
        .iter()
        .any(|t| t.kind == TriggerKind::FunctionUrl));
}

#[test]
fn custom_log_group_links_to_its_function() {
    let dep = load_one(
        r#"
resource "aws_cloudwatch_log_group" "custom" {
  name              = "/app/orders"
  retention_in_days = 7
}
resource "aws_lambda_function" "f" {
  function_name = "orders"
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.custom.name
  }
}
"#,
    );
    assert_eq!(
        dep.log_groups[0].function.as_deref(),
        Some("aws_lambda_function.f")
    );
    let f = dep.function("aws_lambda_function.f").expect("f");
    assert_eq!(f.log_group.as_deref(), Some("/app/orders"));
}

#[test]
fn resources_switched_off_by_the_module_are_not_modelled() {
    let dep = load_one(
        r#"
variable "allow_public" { default = false }
variable "create" { type = bool }
variable "extra" { default = {} }
resource "aws_lambda_function" "f" {
  count         = var.create ? 1 : 0
  function_name = "f"
}
resource "aws_lambda_permission" "public" {
  count         = var.allow_public ? 1 : 0
  function_name = aws_lambda_function.f[0].function_name
  principal     = "*"
}
resource "aws_lambda_permission" "extra" {
  for_each      = var.extra
  function_name = aws_lambda_function.f[0].function_name
  principal     = each.value
}
resource "aws_lambda_permission" "one" {
  count         = 1
  function_name = aws_lambda_function.f[0].function_name
  principal     = "s3.amazonaws.com"
}
"#,
    );
    // count depends on a variable without default: kept.
    assert!(dep.function("aws_lambda_function.f").is_some());
    let ids: Vec<&str> = dep.permissions.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["aws_lambda_permission.one"]);
}

#[test]
fn names_from_the_same_open_variable_link() {
    // The shape of a reusable module: every name comes from one variable
    // without a default.
    let dep = load_one(
        r#"
variable "function_name" { type = string }
resource "aws_lambda_function" "this" {
  function_name = var.function_name
}
resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = 30
}
resource "aws_cloudwatch_log_group" "other" {
  name = "/aws/lambda/${var.other_name}"
}
resource "aws_cloudwatch_metric_alarm" "errors" {
  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = var.function_name
  }
}
resource "aws_iam_role_policy" "p" {
  role = "r"
  policy = <<EOT
{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${var.bucket}/*"}]}
EOT
}
"#,
    );
    let lg = dep
        .log_groups
        .iter()
        .find(|l| l.id == "aws_cloudwatch_log_group.lambda")
        .expect("lg");
    assert_eq!(lg.function.as_deref(), Some("aws_lambda_function.this"));
    assert!(lg.name.is_unknown());
    let other = dep
        .log_groups
        .iter()
        .find(|l| l.id == "aws_cloudwatch_log_group.other")
        .expect("lg");
    assert_eq!(other.function, None);
    let metric = &dep.alarms[0].metrics[0];
    assert_eq!(metric.function.as_deref(), Some("aws_lambda_function.this"));
    assert!(!metric.function_unknown);
}

#[test]
fn heredoc_policy_with_unknown_parts_keeps_known_parts() {
    let dep = load_one(
        r#"
resource "aws_iam_role" "r" {
  name = "r"
}
resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = <<EOT
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::${var.bucket}/*"},
    {"Effect": "${var.effect}", "Action": "sqs:SendMessage", "Resource": "*"}
  ]
}
EOT
}
"#,
    );
    let role = dep.role("aws_iam_role.r").expect("role");
    let policy = &role.policies[0].policy;
    assert!(!policy.unknown);
    assert_eq!(policy.statements.len(), 2);
    match (
        &policy.statements[0].actions,
        &policy.statements[0].resources,
    ) {
        (fnguard_iam::ActionSet::Action(a), fnguard_iam::ResourceSet::Resource(r)) => {
            assert_eq!(a[0].as_str(), Some("s3:*"));
            assert!(r[0].text.is_none());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(policy.statements[1].effect, fnguard_iam::Effect::Unknown);
}

#[test]
fn json_syntax_files_are_read_with_the_native_ones() {
    let files = vec![
        (
            "m/main.tf.json".to_string(),
            "{\"resource\": {}}".to_string(),
        ),
        (
            "m/main.tf".to_string(),
            "resource \"aws_lambda_function\" \"f\" {}\n".to_string(),
        ),
        (
            "m/broken.tf.json".to_string(),
            "{\"resource\": [1,,]}".to_string(),
        ),
    ];
    let (dep, errors) = load_module(&files);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "m/broken.tf.json");
    let dep = dep.expect("dep");
    assert_eq!(dep.functions.len(), 1);
    assert!(dep.warnings.is_empty(), "{:?}", dep.warnings);
}

/// CDK for Terraform writes `cdk.tf.json` in Terraform's JSON syntax:
/// strings are templates, nested blocks are objects or lists of objects.
#[test]
fn cdktf_json_configuration_is_modelled() {
    let text = r#"{
  "//": {
    "metadata": {"backend": "local", "stackName": "orders", "version": "0.20.8"}
  },
  "provider": {
    "aws": [{"region": "eu-west-1"}]
  },
  "variable": {
    "db_password": {
      "type": "string",
      "default": "Orders-Pr0d-2024!",
      "sensitive": true
    }
  },
  "data": {
    "aws_iam_policy_document": {
      "assume": {
        "statement": [
          {
            "actions": ["sts:AssumeRole"],
            "principals": [
              {"type": "Service", "identifiers": ["lambda.amazonaws.com"]}
            ]
          }
        ]
      }
    }
  },
  "resource": {
    "aws_iam_role": {
      "orders_role_1A2B3C4D": {
        "//": {"metadata": {"path": "orders/role", "uniqueId": "role"}},
        "name": "orders-role",
        "assume_role_policy": "${data.aws_iam_policy_document.assume.json}"
      }
    },
    "aws_lambda_function": {
      "orders_fn_5E6F7A8B": {
        "function_name": "orders",
        "role": "${aws_iam_role.orders_role_1A2B3C4D.arn}",
        "runtime": "python3.8",
        "handler": "app.handler",
        "filename": "assets/orders.zip",
        "environment": {
          "variables": {
            "AWS_ACCESS_KEY_ID": "AKIA4QWERTYUZXCVB7NM",
            "DB_PASSWORD": "${var.db_password}"
          }
        },
        "tracing_config": {"mode": "Active"}
      }
    },
    "aws_lambda_function_url": {
      "orders_url_9C0D1E2F": {
        "function_name": "${aws_lambda_function.orders_fn_5E6F7A8B.function_name}",
        "authorization_type": "NONE"
      }
    }
  }
}"#;
    let files = vec![("stacks/orders/cdk.tf.json".to_string(), text.to_string())];
    let (dep, errors) = load_module(&files);
    assert!(errors.is_empty(), "{errors:?}");
    let dep = dep.expect("dep");
    let id = "aws_lambda_function.orders_fn_5E6F7A8B";
    let f = dep.function(id).expect("function");
    let line = text
        .lines()
        .position(|l| l.contains("\"orders_fn_5E6F7A8B\""))
        .expect("line") as u32
        + 1;
    assert_eq!(f.loc.line, line, "findings point at the JSON line");
    assert_eq!(f.runtime.as_deref(), Some("python3.8"));
    assert_eq!(f.tracing.as_deref(), Some("Active"));
    assert_eq!(
        f.role.value(),
        Some(&Ref::Local("aws_iam_role.orders_role_1A2B3C4D".into()))
    );
    assert_eq!(
        env(f, "AWS_ACCESS_KEY_ID").value,
        EnvValue::Literal("AKIA4QWERTYUZXCVB7NM".into())
    );
    assert!(matches!(
        env(f, "DB_PASSWORD").value,
        EnvValue::Reference(_)
    ));
    let role = dep.role("aws_iam_role.orders_role_1A2B3C4D").expect("role");
    let trust = role.trust.as_ref().expect("trust");
    assert!(!trust.unknown);
    match &trust.statements[0].principals {
        fnguard_iam::PrincipalSet::Principal(p) => {
            assert_eq!(p[0].kind, "Service");
            assert_eq!(p[0].value.as_str(), Some("lambda.amazonaws.com"));
        }
        other => panic!("{other:?}"),
    }
    let url = &dep.function_urls[0];
    assert_eq!(url.auth_type.as_deref(), Some("NONE"));
    assert_eq!(url.function, Ref::Local(id.into()));
    let pw = dep
        .parameters
        .iter()
        .find(|p| p.id == "var.db_password")
        .expect("var");
    assert!(pw.no_echo);
    assert_eq!(pw.default.as_deref(), Some("Orders-Pr0d-2024!"));
}

/// A statement scoped to a resource of the module (`aws_iam_role.job.arn`,
/// `"${aws_dynamodb_table.t.arn}/index/*"`) is scoped, not "maybe `*`":
/// references become placeholders as CloudFormation's `${Role.Arn}` do,
/// while variables without defaults stay unknown.
#[test]
fn policy_references_to_module_resources_are_specific_values() {
    let dep = load_one(
        r#"
variable "bucket" {
  type = string
}
resource "aws_iam_role" "job" {
  name               = "job"
  assume_role_policy = "{}"
}
resource "aws_dynamodb_table" "t" {
  name     = "t"
  hash_key = "pk"
}
resource "aws_iam_role" "fn" {
  name = "fn"
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.job.arn]
  }
  statement {
    actions   = ["dynamodb:Query"]
    resources = ["${aws_dynamodb_table.t.arn}/index/*"]
  }
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${var.bucket}/*"]
  }
}
resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy_document.p.json
}
resource "aws_iam_role_policy" "inline_json" {
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_iam_role.job.arn }]
  })
}
"#,
    );
    let role = dep.role("aws_iam_role.fn").expect("role");
    let resource_texts = |policy: &fnguard_iam::Policy, i: usize| -> Vec<Option<String>> {
        match &policy.statements[i].resources {
            fnguard_iam::ResourceSet::Resource(r) => {
                r.iter().map(|v| v.as_str().map(str::to_string)).collect()
            }
            other => panic!("{other:?}"),
        }
    };
    let doc = &role.policies[0].policy;
    assert!(!doc.unknown);
    assert_eq!(
        resource_texts(doc, 0),
        vec![Some("${aws_iam_role.job.arn}".to_string())]
    );
    assert_eq!(
        resource_texts(doc, 1),
        vec![Some("${aws_dynamodb_table.t.arn}/index/*".to_string())]
    );
    assert_eq!(resource_texts(doc, 2), vec![None], "var without default");
    let inline = &role.policies[1].policy;
    assert_eq!(
        resource_texts(inline, 0),
        vec![Some("${aws_iam_role.job.arn}".to_string())]
    );
}

/// terraform-aws-modules/lambda names its group
/// `"/aws/lambda/${var.lambda_at_edge ? "us-east-1." : ""}${var.function_name}"`:
/// an unknown prefix before the function's own open name still links the
/// group (found scanning that module in the wild).
#[test]
fn log_group_with_unknown_prefix_links_to_its_function() {
    let dep = load_one(
        r#"
variable "function_name" {
  type = string
}
variable "lambda_at_edge" {
  type = bool
}
variable "cloudwatch_logs_retention_in_days" {
  type = number
}
resource "aws_lambda_function" "this" {
  count         = 1
  function_name = var.function_name
  role          = "arn:aws:iam::123456789012:role/x"
  runtime       = "python3.13"
  handler       = "app.handler"
}
resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${var.lambda_at_edge ? "us-east-1." : ""}${var.function_name}"
  retention_in_days = var.cloudwatch_logs_retention_in_days
}
resource "aws_cloudwatch_log_group" "other" {
  name = "/aws/lambda/orders-${var.function_name}"
}
"#,
    );
    let group = dep
        .log_groups
        .iter()
        .find(|g| g.id == "aws_cloudwatch_log_group.lambda")
        .expect("group");
    assert_eq!(group.function.as_deref(), Some("aws_lambda_function.this"));
    assert!(group.retention_days.is_unknown());
    // Literal text before the name is another name, not this function's.
    let other = dep
        .log_groups
        .iter()
        .find(|g| g.id == "aws_cloudwatch_log_group.other")
        .expect("group");
    assert_eq!(other.function, None);
}

/// A plan as `terraform show -json` writes it (Terraform 1.11, AWS provider
/// 5.100; generated offline from `plan-orders/config`): compact JSON,
/// `for_each` and `count` instances, a counted child module, a sensitive
/// variable, a policy document read at apply time, provider-computed
/// blocks and `null` for every unset argument. The assertions are the model
/// fields the checks read, for FG-TRIG-002 (function URL NONE) and
/// FG-SEC-001 (access key in the environment) first.
fn orders_plan() -> Deployment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform/plan-orders/plan.json");
    let text = std::fs::read_to_string(path).expect("plan fixture");
    load_plan("plan-orders/plan.json", &text).expect("plan loads")
}

#[test]
fn real_plan_function_url_and_access_key() {
    let dep = orders_plan();
    assert!(dep.warnings.is_empty(), "{:?}", dep.warnings);
    let get = "aws_lambda_function.api[\"get_order\"]";
    let create = "aws_lambda_function.api[\"create_order\"]";
    for id in [get, create] {
        assert!(dep.function(id).is_some(), "{id}");
    }

    // FG-TRIG-002 reads `auth_type` and the linked function.
    assert_eq!(dep.function_urls.len(), 1);
    let url = &dep.function_urls[0];
    assert_eq!(url.auth_type.as_deref(), Some("NONE"));
    assert_eq!(url.function, Ref::Local(get.into()));
    let cors = url.cors.as_ref().expect("cors");
    assert_eq!(cors.allow_origins[0].as_deref(), Some("*"));
    assert_eq!(cors.allow_credentials.value(), Some(&true));
    let f = dep.function(get).expect("function");
    assert!(f
        .triggers
        .iter()
        .any(|t| t.kind == TriggerKind::FunctionUrl));

    // FG-SEC-001 reads literal environment values; the sensitive variable's
    // value, which the plan holds in clear, is never kept.
    for id in [get, create] {
        let f = dep.function(id).expect("function");
        assert_eq!(
            env(f, "AWS_ACCESS_KEY_ID").value,
            EnvValue::Literal("AKIA4QWERTYUZXCVB7NM".into())
        );
        assert!(matches!(
            env(f, "DB_PASSWORD").value,
            EnvValue::Reference(_)
        ));
        assert_eq!(
            env(f, "ORDERS_TABLE").value,
            EnvValue::Literal("orders-prod-orders".into())
        );
    }
    let text = format!("{dep:?}");
    assert!(
        !text.contains("Orders-Pr0d-2024!") || {
            // Only the variable's default in `configuration` may carry it (the
            // parameter, for FG-SEC-005), never an environment value.
            let p = dep
                .parameters
                .iter()
                .find(|p| p.id == "var.db_password")
                .expect("var");
            p.no_echo && p.default.as_deref() == Some("Orders-Pr0d-2024!")
        }
    );
}

#[test]
fn real_plan_instances_link_to_their_own_keys() {
    let dep = orders_plan();
    let get = "aws_lambda_function.api[\"get_order\"]";
    let create = "aws_lambda_function.api[\"create_order\"]";

    // `aws_lambda_function.api[each.key]` is referenced without its key.
    let perm = dep
        .permissions
        .iter()
        .find(|p| p.id == "aws_lambda_permission.api[\"get_order\"]")
        .expect("permission");
    assert_eq!(perm.function, Ref::Local(get.into()));
    assert!(perm.source_arn.is_known() || perm.source_arn.is_unknown());
    assert!(!perm.source_arn.is_absent());

    let api = dep.api("aws_apigatewayv2_api.orders").expect("api");
    assert_eq!(
        api.routes.len(),
        2,
        "no quick-create route from `target: null`"
    );
    for (path, function) in [("/orders", create), ("/orders/{id}", get)] {
        let route = api
            .routes
            .iter()
            .find(|r| r.path == path)
            .unwrap_or_else(|| panic!("route {path}"));
        assert_eq!(route.auth.value(), Some(&AuthKind::None));
        assert_eq!(route.function.as_deref(), Some(function));
    }

    // Both functions share one role (FG-IAM-007); its policy comes from a
    // document read at apply time, rebuilt from the planned statements.
    for id in [get, create] {
        assert_eq!(
            dep.function(id).expect("function").role.value(),
            Some(&Ref::Local("aws_iam_role.api".into()))
        );
    }
    let role = dep.role("aws_iam_role.api").expect("role");
    assert!(role.managed_policy_arns.is_empty());
    assert_eq!(role.policies.len(), 1);
    let policy = &role.policies[0].policy;
    assert!(!policy.unknown);
    assert_eq!(policy.statements.len(), 2);
    match (
        &policy.statements[0].actions,
        &policy.statements[0].resources,
    ) {
        (fnguard_iam::ActionSet::Action(a), fnguard_iam::ResourceSet::Resource(r)) => {
            assert_eq!(a.len(), 3);
            assert_eq!(r[0].as_str(), Some("${aws_dynamodb_table.orders.arn}"));
        }
        other => panic!("{other:?}"),
    }
    match &policy.statements[1].actions {
        fnguard_iam::ActionSet::Action(a) => assert_eq!(a[0].as_str(), Some("*")),
        other => panic!("{other:?}"),
    }

    // Each instance of the counted module links to its own role.
    for i in 0..2 {
        let f = dep
            .function(&format!("module.worker[{i}].aws_lambda_function.this"))
            .expect("module function");
        let role_id = format!("module.worker[{i}].aws_iam_role.this");
        assert_eq!(f.role.value(), Some(&Ref::Local(role_id.clone())));
        let role = dep.role(&role_id).expect("module role");
        assert!(role
            .managed_policy_arns
            .iter()
            .any(|a| a.as_deref() == Some("arn:aws:iam::aws:policy/AdministratorAccess")));
        let group = dep
            .log_groups
            .iter()
            .find(|g| g.id == format!("module.worker[{i}].aws_cloudwatch_log_group.this"))
            .expect("group");
        assert_eq!(group.function.as_deref(), Some(f.id.as_str()));
        assert!(group.retention_days.is_absent());
    }
}

#[test]
fn real_plan_provider_defaults_read_as_absent() {
    let dep = orders_plan();
    let f = dep
        .function("aws_lambda_function.api[\"get_order\"]")
        .expect("function");
    // Not configured: the provider's Text logs and PassThrough tracing,
    // which the plan shows as "known after apply".
    assert!(f.log_format.is_absent());
    assert!(f.log_group.is_absent());
    assert!(f.tracing.is_absent());
    assert!(f.vpc.is_absent());
    assert!(f.code_signing.is_absent());
    assert!(f.reserved_concurrency.is_absent(), "-1 is unreserved");
    assert_eq!(f.runtime.as_deref(), Some("python3.9"));
    let worker = dep
        .function("module.worker[0].aws_lambda_function.this")
        .expect("worker");
    assert_eq!(worker.tracing.as_deref(), Some("Active"));
    assert_eq!(worker.reserved_concurrency.value(), Some(&5));
    let trail = &dep.trails[0];
    assert_ne!(trail.lambda_data_events.value(), Some(&true));
    assert!(!trail.lambda_data_events.is_unknown());
}

/// REST APIs have no CORS argument: the preflight's integration response
/// (or a gateway response) sets the headers as quoted literals.
#[test]
fn rest_api_cors_from_integration_and_gateway_responses() {
    let dep = load_one(
        r#"
variable "allowed_origin" {
  type = string
}
resource "aws_api_gateway_rest_api" "open" {
  name = "open"
}
resource "aws_api_gateway_integration_response" "options" {
  rest_api_id = aws_api_gateway_rest_api.open.id
  resource_id = aws_api_gateway_rest_api.open.root_resource_id
  http_method = "OPTIONS"
  status_code = "200"
  response_parameters = {
    "method.response.header.Access-Control-Allow-Origin"      = "'*'"
    "method.response.header.Access-Control-Allow-Credentials" = "'true'"
  }
}
resource "aws_api_gateway_rest_api" "scoped" {
  name = "scoped"
}
resource "aws_api_gateway_gateway_response" "default_4xx" {
  rest_api_id   = aws_api_gateway_rest_api.scoped.id
  response_type = "DEFAULT_4XX"
  response_parameters = {
    "gatewayresponse.header.Access-Control-Allow-Origin" = "'${var.allowed_origin}'"
  }
}
"#,
    );
    let open = dep.api("aws_api_gateway_rest_api.open").expect("api");
    let cors = open.cors.as_ref().expect("cors");
    assert_eq!(cors.allow_origins[0].as_deref(), Some("'*'"));
    assert_eq!(cors.allow_credentials.value(), Some(&true));
    let scoped = dep.api("aws_api_gateway_rest_api.scoped").expect("api");
    let cors = scoped.cors.as_ref().expect("cors");
    assert!(cors.allow_origins[0].is_unknown());
    assert!(cors.allow_credentials.is_absent());
}

/// Module calls are not followed, so an API handed to one may get its
/// stage, throttling, access logs or WAF there (TailorDev/hello-lambda
/// passes its REST API to a method module): unknown, not "missing". What
/// the folder itself sets stays known.
#[test]
fn api_handed_to_a_module_has_unknown_protection() {
    let dep = load_one(
        r#"
resource "aws_api_gateway_rest_api" "shared" {
  name = "shared"
}
resource "aws_api_gateway_rest_api" "alone" {
  name = "alone"
}
resource "aws_api_gateway_stage" "alone" {
  rest_api_id   = aws_api_gateway_rest_api.alone.id
  deployment_id = "d"
  stage_name    = "prod"
  access_log_settings {
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:api"
    format          = "$context.requestId"
  }
}
module "get_method" {
  source      = "./api_method"
  rest_api_id = "${aws_api_gateway_rest_api.shared.id}"
  method      = "GET"
}
"#,
    );
    let shared = dep.api("aws_api_gateway_rest_api.shared").expect("api");
    assert!(shared.waf.is_unknown());
    assert!(shared.throttling.is_unknown());
    assert!(shared.request_validation.is_unknown());
    assert!(shared.access_logging.is_unknown());
    let alone = dep.api("aws_api_gateway_rest_api.alone").expect("api");
    assert!(alone.waf.is_absent());
    assert!(alone.throttling.is_absent());
    assert_eq!(alone.access_logging.value(), Some(&true));
}

/// `terraform show -json` without a plan file shows the state: `values`
/// instead of `planned_values`, no configuration. Everything is known;
/// elements link by name and ARN.
#[test]
fn state_json_reads_like_a_plan() {
    let state = r#"{
  "format_version": "1.0",
  "terraform_version": "1.11.4",
  "values": {
    "root_module": {
      "resources": [
        {
          "address": "aws_iam_role.api",
          "mode": "managed",
          "type": "aws_iam_role",
          "name": "api",
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "schema_version": 0,
          "values": {
            "arn": "arn:aws:iam::123456789012:role/orders-api",
            "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}",
            "inline_policy": [],
            "managed_policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
            "name": "orders-api"
          },
          "sensitive_values": {"inline_policy": [], "managed_policy_arns": [false]}
        },
        {
          "address": "aws_lambda_function.api",
          "mode": "managed",
          "type": "aws_lambda_function",
          "name": "api",
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "schema_version": 0,
          "values": {
            "function_name": "orders-api",
            "role": "arn:aws:iam::123456789012:role/orders-api",
            "runtime": "python3.12",
            "environment": [{"variables": {"AWS_ACCESS_KEY_ID": "AKIA4QWERTYUZXCVB7NM"}}],
            "logging_config": [{"log_format": "Text", "log_group": "/aws/lambda/orders-api"}],
            "reserved_concurrent_executions": -1,
            "tracing_config": [{"mode": "PassThrough"}],
            "vpc_config": []
          },
          "sensitive_values": {}
        },
        {
          "address": "aws_lambda_function_url.api",
          "mode": "managed",
          "type": "aws_lambda_function_url",
          "name": "api",
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "schema_version": 0,
          "values": {"authorization_type": "NONE", "cors": [], "function_name": "orders-api", "qualifier": ""},
          "sensitive_values": {"cors": []}
        }
      ]
    }
  }
}"#;
    let dep = load_plan("state.json", state).expect("state loads");
    let f = dep.function("aws_lambda_function.api").expect("function");
    assert_eq!(f.role.value(), Some(&Ref::Local("aws_iam_role.api".into())));
    assert_eq!(
        env(f, "AWS_ACCESS_KEY_ID").value,
        EnvValue::Literal("AKIA4QWERTYUZXCVB7NM".into())
    );
    assert_eq!(f.log_format.as_deref(), Some("Text"));
    assert!(f.reserved_concurrency.is_absent());
    let url = &dep.function_urls[0];
    assert_eq!(url.auth_type.as_deref(), Some("NONE"));
    assert_eq!(url.function, Ref::Local("aws_lambda_function.api".into()));
    let role = dep.role("aws_iam_role.api").expect("role");
    assert_eq!(
        role.managed_policy_arns[0].as_deref(),
        Some("arn:aws:iam::aws:policy/AdministratorAccess")
    );
}

/// A child module's `var.role_arn` is what its call passes
/// (`aws_iam_role.svc[each.key].arn`): resolved in the caller, with the
/// module instance's own key. Real plan (Terraform 1.11, AWS provider 5.100)
/// from `plan-module-inputs/config`.
#[test]
fn real_plan_module_inputs_follow_the_call() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform/plan-module-inputs/plan.json");
    let text = std::fs::read_to_string(path).expect("plan fixture");
    let dep = load_plan("plan-module-inputs/plan.json", &text).expect("plan loads");
    for service in ["billing", "shipping"] {
        let f = dep
            .function(&format!(
                "module.svc[\"{service}\"].aws_lambda_function.this"
            ))
            .expect("function");
        assert_eq!(
            f.role.value(),
            Some(&Ref::Local(format!("aws_iam_role.svc[\"{service}\"]")))
        );
    }
    let billing = dep
        .role("aws_iam_role.svc[\"billing\"]")
        .expect("billing role");
    assert!(billing
        .managed_policy_arns
        .iter()
        .any(|a| a.as_deref() == Some("arn:aws:iam::aws:policy/AdministratorAccess")));
    let shipping = dep
        .role("aws_iam_role.svc[\"shipping\"]")
        .expect("shipping role");
    assert!(shipping.managed_policy_arns.is_empty());
}

/// Minified JSON syntax cannot keep elements on their own lines: every
/// position stays inside the one-line file.
#[test]
fn minified_json_syntax_positions_stay_in_the_file() {
    let text = r#"{"resource":{"aws_lambda_function":{"f":{"function_name":"f","runtime":"python3.8","environment":{"variables":{"K":"v"}}}},"aws_lambda_function_url":{"u":{"function_name":"${aws_lambda_function.f.function_name}","authorization_type":"NONE"}}}}"#;
    let files = vec![("main.tf.json".to_string(), text.to_string())];
    let (dep, errors) = load_module(&files);
    assert!(errors.is_empty(), "{errors:?}");
    let dep = dep.expect("dep");
    let f = dep.function("aws_lambda_function.f").expect("function");
    assert_eq!(f.loc.line, 1);
    assert_eq!(f.runtime.as_deref(), Some("python3.8"));
    assert_eq!(env(f, "K").loc.line, 1);
    assert_eq!(dep.function_urls[0].loc.line, 1);
    assert_eq!(
        dep.function_urls[0].function,
        Ref::Local("aws_lambda_function.f".into())
    );
}

/// Standalone and inline policies of buckets, queues and topics, and
/// public-write ACLs, become `resource_policies` naming their targets by
/// reference or by name.
#[test]
fn resource_policies_of_buckets_queues_and_topics() {
    let hcl = r#"
resource "aws_s3_bucket" "inbox" {
  bucket = "inbox-bucket"
  acl    = "public-read-write"
}

resource "aws_s3_bucket" "locked" {
  bucket = "locked"
}

resource "aws_s3_bucket_ownership_controls" "locked" {
  bucket = aws_s3_bucket.locked.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_acl" "locked" {
  bucket = aws_s3_bucket.locked.id
  acl    = "public-read-write"
}

resource "aws_s3_bucket_acl" "private" {
  bucket = aws_s3_bucket.inbox.id
  acl    = "private"
}

resource "aws_s3_bucket_policy" "inbox" {
  bucket = "inbox-bucket"
  policy = data.aws_iam_policy_document.inbox.json
}

data "aws_iam_policy_document" "inbox" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.inbox.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_sqs_queue" "jobs" {
  name   = "jobs"
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = "*", Action = "sqs:SendMessage", Resource = "*" }]
  })
}

resource "aws_sqs_queue_policy" "jobs" {
  queue_url = aws_sqs_queue.jobs.url
  policy    = <<EOT
{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}]}
EOT
}

resource "aws_sqs_queue_policy" "by_url" {
  queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"
  policy    = var.queue_policy
}

resource "aws_s3_bucket_public_access_block" "inbox" {
  bucket                  = aws_s3_bucket.inbox.id
  restrict_public_buckets = true
}

resource "aws_sns_topic" "alerts" {
  name = "alerts"
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "SNS:Publish", Resource = aws_sns_topic.alerts.arn }]
  })
}

variable "queue_policy" {
  type = string
}
"#;
    let (dep, errors) = load_module(&[("rp.tf".to_string(), hcl.to_string())]);
    assert!(errors.is_empty(), "{errors:?}");
    let dep = dep.expect("deployment");
    let policy = |id: &str, acl: bool| {
        dep.resource_policies
            .iter()
            .find(|p| p.id == id && p.canned_acl.is_some() == acl)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let inbox = policy("aws_s3_bucket_policy.inbox", false);
    assert_eq!(inbox.kind, ResourcePolicyKind::Bucket);
    assert_eq!(
        inbox.targets,
        vec![Ref::Local("aws_s3_bucket.inbox".into())]
    );
    assert_eq!(inbox.policy.statements.len(), 1);
    assert!(!inbox.policy.unknown);
    assert!(inbox.public_policy_blocked, "restrict_public_buckets");
    let inline = policy("aws_sqs_queue.jobs", false);
    assert_eq!(inline.kind, ResourcePolicyKind::Queue);
    assert_eq!(
        inline.targets,
        vec![Ref::Local("aws_sqs_queue.jobs".into())]
    );
    assert_eq!(inline.loc.line, 46, "at the policy argument");
    assert!(!inline.public_policy_blocked);
    let standalone = policy("aws_sqs_queue_policy.jobs", false);
    assert_eq!(
        standalone.targets,
        vec![Ref::Local("aws_sqs_queue.jobs".into())]
    );
    assert_eq!(
        standalone.policy.statements[0].effect,
        fnguard_iam::Effect::Deny
    );
    let by_url = policy("aws_sqs_queue_policy.by_url", false);
    assert_eq!(
        by_url.targets,
        vec![Ref::Local("aws_sqs_queue.jobs".into())]
    );
    assert!(by_url.policy.unknown, "a variable without default");
    let topic = policy("aws_sns_topic_policy.alerts", false);
    assert_eq!(topic.kind, ResourcePolicyKind::Topic);
    assert_eq!(
        topic.targets,
        vec![Ref::Local("aws_sns_topic.alerts".into())]
    );
    assert_eq!(dep.resource_policies_of("aws_sqs_queue.jobs").count(), 3);
    // The legacy ACL of the inbox counts; the locked bucket's ACL is off
    // (BucketOwnerEnforced) and `private` grants nothing.
    let acls: Vec<_> = dep
        .resource_policies
        .iter()
        .filter(|p| p.canned_acl.is_some())
        .collect();
    assert_eq!(acls.len(), 1, "{acls:?}");
    let acl = policy("aws_s3_bucket.inbox", true);
    assert_eq!(acl.canned_acl.as_deref(), Some("public-read-write"));
    assert_eq!(acl.targets, vec![Ref::Local("aws_s3_bucket.inbox".into())]);
    assert_eq!(acl.loc.line, 4);
}

/// The same from plan JSON: the policy is a JSON string, the target a
/// computed reference in the configuration.
#[test]
fn plan_resource_policies() {
    let plan = r#"{
  "format_version": "1.2",
  "planned_values": {
    "root_module": {
      "resources": [
        {
          "address": "aws_sqs_queue.jobs",
          "mode": "managed",
          "type": "aws_sqs_queue",
          "name": "jobs",
          "values": { "name": "jobs", "policy": null }
        },
        {
          "address": "aws_sqs_queue_policy.jobs",
          "mode": "managed",
          "type": "aws_sqs_queue_policy",
          "name": "jobs",
          "values": {
            "policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sqs:SendMessage\",\"Resource\":\"*\"}]}"
          }
        },
        {
          "address": "aws_s3_bucket.drop",
          "mode": "managed",
          "type": "aws_s3_bucket",
          "name": "drop",
          "values": { "bucket": "drop-box", "acl": "public-read-write" }
        }
      ]
    }
  },
  "resource_changes": [
    {
      "address": "aws_sqs_queue_policy.jobs",
      "change": { "actions": ["create"], "after_unknown": { "queue_url": true } }
    }
  ],
  "configuration": {
    "root_module": {
      "resources": [
        {
          "address": "aws_sqs_queue_policy.jobs",
          "mode": "managed",
          "type": "aws_sqs_queue_policy",
          "name": "jobs",
          "expressions": {
            "queue_url": { "references": ["aws_sqs_queue.jobs.id", "aws_sqs_queue.jobs"] }
          }
        }
      ]
    }
  }
}"#;
    let dep = load_plan("plan.json", plan).expect("plan loads");
    let queue = dep
        .resource_policies
        .iter()
        .find(|p| p.id == "aws_sqs_queue_policy.jobs")
        .expect("queue policy");
    assert_eq!(queue.targets, vec![Ref::Local("aws_sqs_queue.jobs".into())]);
    assert_eq!(queue.policy.statements.len(), 1);
    assert!(
        dep.resource_policies
            .iter()
            .all(|p| p.id != "aws_sqs_queue.jobs"),
        "a null inline policy is no policy"
    );
    let acl = dep
        .resource_policies
        .iter()
        .find(|p| p.canned_acl.is_some())
        .expect("acl");
    assert_eq!(acl.targets, vec![Ref::Local("aws_s3_bucket.drop".into())]);
}

/// A trigger whose source ARN is spelled out by name links to the module's
/// bucket or queue when a resource policy applies to it.
#[test]
fn trigger_sources_named_by_arn_link_to_elements_with_policies() {
    let hcl = r#"
resource "aws_s3_bucket" "drop" {
  bucket = "team-drop-box"
}
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
resource "aws_sqs_queue" "plain" {
  name = "plain"
}
resource "aws_s3_bucket_policy" "drop" {
  bucket = aws_s3_bucket.drop.id
  policy = "{}"
}
resource "aws_sqs_queue_policy" "jobs" {
  queue_url = aws_sqs_queue.jobs.id
  policy    = "{}"
}
resource "aws_lambda_function" "scan" {
  function_name = "scan"
  role          = "arn:aws:iam::123456789012:role/scan"
}
resource "aws_lambda_permission" "s3" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.scan.function_name
  principal     = "s3.amazonaws.com"
  source_arn    = "arn:aws:s3:::${aws_s3_bucket.drop.bucket}"
}
resource "aws_lambda_event_source_mapping" "jobs" {
  event_source_arn = "arn:aws:sqs:us-east-1:123456789012:jobs"
  function_name    = aws_lambda_function.scan.arn
}
resource "aws_lambda_event_source_mapping" "plain" {
  event_source_arn = "arn:aws:sqs:us-east-1:123456789012:plain"
  function_name    = aws_lambda_function.scan.arn
}
"#;
    let (dep, errors) = load_module(&[("t.tf".to_string(), hcl.to_string())]);
    assert!(errors.is_empty(), "{errors:?}");
    let dep = dep.expect("deployment");
    let f = dep.function("aws_lambda_function.scan").expect("function");
    let sources: Vec<(TriggerKind, &Ref)> =
        f.triggers.iter().map(|t| (t.kind, &t.source)).collect();
    assert_eq!(
        sources,
        vec![
            (TriggerKind::S3, &Ref::Local("aws_s3_bucket.drop".into())),
            (TriggerKind::Sqs, &Ref::Local("aws_sqs_queue.jobs".into())),
            // No policy applies to it: left as written.
            (
                TriggerKind::Sqs,
                &Ref::External("arn:aws:sqs:us-east-1:123456789012:plain".into())
            ),
        ]
    );
}

fn module(text: &str) -> Deployment {
    let (dep, errors) = load_module(&[("main.tf".to_string(), text.to_string())]);
    assert!(errors.is_empty(), "{errors:?}");
    dep.expect("deployment")
}

/// Databases, caches and domains become data stores: engine, port (written
/// or the engine's default), security groups, and the subnets of the
/// subnet group named by reference or by name; cache cluster members of a
/// replication group are not stores of their own.
#[test]
fn data_stores_with_ports_groups_and_subnet_groups() {
    let dep = module(
        r#"
variable "db_groups" { type = list(string) }
resource "aws_security_group" "db" { name = "db" }
resource "aws_subnet" "a" { cidr_block = "10.0.1.0/24" }
resource "aws_db_subnet_group" "db" {
  name       = "orders-private"
  subnet_ids = [aws_subnet.a.id, "subnet-2"]
}
resource "aws_elasticache_subnet_group" "cache" {
  name       = "cache"
  subnet_ids = ["subnet-3"]
}
resource "aws_db_instance" "orders" {
  engine                 = "postgres"
  db_subnet_group_name   = aws_db_subnet_group.db.name
  vpc_security_group_ids = [aws_security_group.db.id, "sg-0123"]
  publicly_accessible    = false
}
resource "aws_rds_cluster" "ledger" {
  db_subnet_group_name   = "orders-private"
  vpc_security_group_ids = var.db_groups
}
resource "aws_rds_cluster" "shared" {
  engine               = "aurora-postgresql"
  port                 = 5433
  db_subnet_group_name = "elsewhere"
}
resource "aws_db_proxy" "proxy" {
  engine_family          = "MYSQL"
  vpc_subnet_ids         = ["subnet-6"]
  vpc_security_group_ids = [aws_security_group.db.id]
}
resource "aws_elasticache_cluster" "memcached" {
  engine             = "memcached"
  subnet_group_name  = aws_elasticache_subnet_group.cache.name
  security_group_ids = [aws_security_group.db.id]
}
resource "aws_elasticache_cluster" "replica" {
  replication_group_id = aws_elasticache_replication_group.sessions.id
}
resource "aws_elasticache_replication_group" "sessions" {
  description        = "sessions"
  security_group_ids = [aws_security_group.db.id]
}
resource "aws_elasticache_serverless_cache" "valkey" {
  engine             = "valkey"
  subnet_ids         = ["subnet-4"]
  security_group_ids = [aws_security_group.db.id]
}
resource "aws_memorydb_cluster" "memory" { acl_name = "open-access" }
resource "aws_redshift_cluster" "warehouse" { publicly_accessible = true }
resource "aws_opensearch_domain" "search" {
  vpc_options {
    subnet_ids         = ["subnet-5"]
    security_group_ids = [aws_security_group.db.id]
  }
}
resource "aws_elasticsearch_domain" "legacy" {}
resource "aws_docdb_cluster" "docs" {}
resource "aws_neptune_cluster" "graph" { port = 8183 }
resource "aws_dax_cluster" "dax" {}
resource "aws_rds_cluster_instance" "writer" {
  cluster_identifier = aws_rds_cluster.ledger.id
}
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  environment {
    variables = {
      DB_HOST = aws_db_instance.orders.address
      WRITER  = aws_rds_cluster_instance.writer.endpoint
    }
  }
}
"#,
    );
    // References name the store; one to an instance of a cluster, the
    // cluster.
    let f = dep.function("aws_lambda_function.fn").expect("function");
    let mut elements: Vec<&str> = f
        .internal_refs
        .iter()
        .filter_map(|r| r.element.as_deref())
        .collect();
    elements.sort();
    assert_eq!(
        elements,
        ["aws_db_instance.orders", "aws_rds_cluster.ledger"]
    );
    let ids: Vec<&str> = dep.data_stores.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "aws_db_instance.orders",
            "aws_rds_cluster.ledger",
            "aws_rds_cluster.shared",
            "aws_db_proxy.proxy",
            "aws_elasticache_cluster.memcached",
            "aws_elasticache_replication_group.sessions",
            "aws_elasticache_serverless_cache.valkey",
            "aws_memorydb_cluster.memory",
            "aws_redshift_cluster.warehouse",
            "aws_opensearch_domain.search",
            "aws_elasticsearch_domain.legacy",
            "aws_docdb_cluster.docs",
            "aws_neptune_cluster.graph",
            "aws_dax_cluster.dax"
        ]
    );
    let store = |id: &str| dep.data_store(id).expect("store");
    let orders = store("aws_db_instance.orders");
    assert_eq!(orders.kind, DataStoreKind::Rds);
    assert_eq!(orders.port.value(), Some(&5432));
    assert_eq!(
        orders.security_groups,
        [
            Ref::Local("aws_security_group.db".into()),
            Ref::External("sg-0123".into())
        ]
    );
    assert_eq!(
        orders.subnets,
        [
            Ref::Local("aws_subnet.a".into()),
            Ref::External("subnet-2".into())
        ]
    );
    assert_eq!(orders.publicly_accessible.value(), Some(&false));
    // The provider's default engine (Aurora MySQL); the group by name.
    let ledger = store("aws_rds_cluster.ledger");
    assert_eq!(ledger.engine.as_deref(), Some("aurora"));
    assert_eq!(ledger.port.value(), Some(&3306));
    assert_eq!(ledger.subnets.len(), 2);
    assert_eq!(ledger.security_groups, [Ref::Unknown]);
    let shared = store("aws_rds_cluster.shared");
    assert_eq!(shared.port.value(), Some(&5433));
    assert_eq!(shared.subnets, [Ref::Unknown]);
    let proxy = store("aws_db_proxy.proxy");
    assert_eq!(proxy.port.value(), Some(&3306));
    assert_eq!(proxy.subnets, [Ref::External("subnet-6".into())]);
    assert_eq!(
        proxy.security_groups,
        [Ref::Local("aws_security_group.db".into())]
    );
    let memcached = store("aws_elasticache_cluster.memcached");
    assert_eq!(memcached.port.value(), Some(&11211));
    assert_eq!(memcached.subnets, [Ref::External("subnet-3".into())]);
    assert_eq!(
        store("aws_elasticache_replication_group.sessions")
            .port
            .value(),
        Some(&6379)
    );
    assert_eq!(
        store("aws_elasticache_serverless_cache.valkey").subnets,
        [Ref::External("subnet-4".into())]
    );
    assert_eq!(
        store("aws_memorydb_cluster.memory").port.value(),
        Some(&6379)
    );
    let warehouse = store("aws_redshift_cluster.warehouse");
    assert_eq!(warehouse.port.value(), Some(&5439));
    assert_eq!(warehouse.publicly_accessible.value(), Some(&true));
    let search = store("aws_opensearch_domain.search");
    assert_eq!(search.port.value(), Some(&443));
    assert_eq!(
        search.security_groups,
        [Ref::Local("aws_security_group.db".into())]
    );
    assert_eq!(search.subnets, [Ref::External("subnet-5".into())]);
    assert!(store("aws_elasticsearch_domain.legacy")
        .security_groups
        .is_empty());
    assert_eq!(store("aws_docdb_cluster.docs").port.value(), Some(&27017));
    assert_eq!(store("aws_neptune_cluster.graph").port.value(), Some(&8183));
    assert_eq!(store("aws_dax_cluster.dax").port.value(), Some(&8111));
}

/// Inbound rules: `ingress` blocks (`security_groups`, `self`, CIDRs),
/// `aws_security_group_rule` of type ingress and
/// `aws_vpc_security_group_ingress_rule`, with the admitted group as the
/// peer; egress rules name their destination group; a `dynamic` ingress
/// block is one unknown rule.
#[test]
fn security_group_ingress_and_peer_groups() {
    let dep = module(
        r#"
variable "admin_cidrs" { type = list(string) }
resource "aws_security_group" "fn" {
  name = "fn"
  egress {
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.db.id]
  }
}
resource "aws_security_group" "db" {
  name = "db"
  ingress {
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.fn.id]
    cidr_blocks     = ["10.0.0.0/16"]
  }
  ingress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
    self      = true
  }
}
resource "aws_security_group_rule" "from_legacy" {
  type                     = "ingress"
  security_group_id        = aws_security_group.db.id
  source_security_group_id = "sg-0legacy"
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
}
resource "aws_vpc_security_group_ingress_rule" "from_fn" {
  security_group_id            = aws_security_group.db.id
  referenced_security_group_id = aws_security_group.fn.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}
resource "aws_vpc_security_group_egress_rule" "fn_to_cache" {
  security_group_id            = aws_security_group.fn.id
  referenced_security_group_id = aws_security_group.cache.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}
resource "aws_security_group" "cache" {
  name = "cache"
  dynamic "ingress" {
    for_each = var.admin_cidrs
    content {
      from_port   = 6379
      to_port     = 6379
      protocol    = "tcp"
      cidr_blocks = [ingress.value]
    }
  }
}
"#,
    );
    let fn_sg = dep.security_group("aws_security_group.fn").unwrap();
    assert!(fn_sg.ingress.is_empty());
    let peers: Vec<_> = fn_sg.egress.iter().map(|r| r.peer_group.clone()).collect();
    assert_eq!(
        peers,
        [
            Some(Ref::Local("aws_security_group.db".into())),
            Some(Ref::Local("aws_security_group.cache".into()))
        ]
    );
    assert!(fn_sg.egress.iter().all(|r| r.cidr.is_absent()));
    let db = dep.security_group("aws_security_group.db").unwrap();
    let rules: Vec<(Option<&str>, Option<Ref>)> = db
        .ingress
        .iter()
        .map(|r| (r.cidr.as_deref(), r.peer_group.clone()))
        .collect();
    assert_eq!(
        rules,
        [
            (Some("10.0.0.0/16"), None),
            (None, Some(Ref::Local("aws_security_group.fn".into()))),
            (None, Some(Ref::Local("aws_security_group.db".into()))),
            (None, Some(Ref::External("sg-0legacy".into()))),
            (None, Some(Ref::Local("aws_security_group.fn".into()))),
        ]
    );
    assert!(db.ingress.iter().all(|r| r.loc.line > 0));
    assert_eq!(db.ingress[2].protocol.as_deref(), Some("-1"));
    assert_eq!(db.ingress[4].from_port.value(), Some(&5432));
    let cache = dep.security_group("aws_security_group.cache").unwrap();
    assert_eq!(cache.ingress.len(), 1);
    assert!(cache.ingress[0].cidr.is_unknown());
    assert_eq!(cache.ingress[0].peer_group, Some(Ref::Unknown));
}

/// A plan: groups, peers and subnet group known after apply link through the
/// configuration's references; a port the configuration does not set is
/// the engine's default, one it sets from an unknown value stays unknown.
#[test]
fn plan_data_stores_and_ingress_rules_link_by_configuration() {
    let dep = load_plan("plan.json", PLAN_WITH_STORES).expect("plan loads");
    let orders = dep.data_store("aws_db_instance.orders").expect("store");
    assert_eq!(orders.port.value(), Some(&5432));
    assert_eq!(
        orders.security_groups,
        [Ref::Local("aws_security_group.db".into())]
    );
    assert_eq!(
        orders.subnets,
        [
            Ref::External("subnet-1".into()),
            Ref::External("subnet-2".into())
        ]
    );
    assert!(dep
        .data_store("aws_rds_cluster.ledger")
        .expect("store")
        .port
        .is_unknown());
    let db = dep.security_group("aws_security_group.db").expect("group");
    assert_eq!(db.ingress.len(), 1);
    assert_eq!(
        db.ingress[0].peer_group,
        Some(Ref::Local("aws_security_group.fn".into()))
    );
    assert_eq!(db.ingress[0].to_port.value(), Some(&5432));
}

const PLAN_WITH_STORES: &str = r##"{
 "format_version": "1.2",
 "terraform_version": "1.9.0",
 "variables": {},
 "planned_values": {
  "root_module": {
   "resources": [
    {
     "address": "aws_security_group.fn",
     "mode": "managed",
     "type": "aws_security_group",
     "name": "fn",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "schema_version": 0,
     "values": {
      "name": "fn",
      "egress": [
       {
        "cidr_blocks": [
         "0.0.0.0/0"
        ],
        "description": "",
        "from_port": 0,
        "ipv6_cidr_blocks": [],
        "prefix_list_ids": [],
        "protocol": "-1",
        "security_groups": [],
        "self": false,
        "to_port": 0
       }
      ]
     },
     "sensitive_values": {}
    },
    {
     "address": "aws_security_group.db",
     "mode": "managed",
     "type": "aws_security_group",
     "name": "db",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "schema_version": 0,
     "values": {
      "name": "db"
     },
     "sensitive_values": {}
    },
    {
     "address": "aws_vpc_security_group_ingress_rule.db_from_fn",
     "mode": "managed",
     "type": "aws_vpc_security_group_ingress_rule",
     "name": "db_from_fn",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "schema_version": 0,
     "values": {
      "ip_protocol": "tcp",
      "from_port": 5432,
      "to_port": 5432,
      "cidr_ipv4": null
     },
     "sensitive_values": {}
    },
    {
     "address": "aws_db_subnet_group.db",
     "mode": "managed",
     "type": "aws_db_subnet_group",
     "name": "db",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "schema_version": 0,
     "values": {
      "name": "orders",
      "subnet_ids": [
       "subnet-1",
       "subnet-2"
      ]
     },
     "sensitive_values": {}
    },
    {
     "address": "aws_db_instance.orders",
     "mode": "managed",
     "type": "aws_db_instance",
     "name": "orders",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "schema_version": 0,
     "values": {
      "engine": "postgres",
      "db_subnet_group_name": "orders",
      "publicly_accessible": false
     },
     "sensitive_values": {}
    },
    {
     "address": "aws_rds_cluster.ledger",
     "mode": "managed",
     "type": "aws_rds_cluster",
     "name": "ledger",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "schema_version": 0,
     "values": {
      "engine": "aurora-postgresql"
     },
     "sensitive_values": {}
    }
   ]
  }
 },
 "resource_changes": [
  {
   "address": "aws_security_group.fn",
   "mode": "managed",
   "type": "aws_security_group",
   "name": "fn",
   "change": {
    "actions": [
     "create"
    ],
    "before": null,
    "after": {},
    "after_unknown": {
     "id": true
    },
    "before_sensitive": false,
    "after_sensitive": {}
   }
  },
  {
   "address": "aws_security_group.db",
   "mode": "managed",
   "type": "aws_security_group",
   "name": "db",
   "change": {
    "actions": [
     "create"
    ],
    "before": null,
    "after": {},
    "after_unknown": {
     "id": true
    },
    "before_sensitive": false,
    "after_sensitive": {}
   }
  },
  {
   "address": "aws_vpc_security_group_ingress_rule.db_from_fn",
   "mode": "managed",
   "type": "aws_vpc_security_group_ingress_rule",
   "name": "db_from_fn",
   "change": {
    "actions": [
     "create"
    ],
    "before": null,
    "after": {},
    "after_unknown": {
     "security_group_id": true,
     "referenced_security_group_id": true
    },
    "before_sensitive": false,
    "after_sensitive": {}
   }
  },
  {
   "address": "aws_db_instance.orders",
   "mode": "managed",
   "type": "aws_db_instance",
   "name": "orders",
   "change": {
    "actions": [
     "create"
    ],
    "before": null,
    "after": {},
    "after_unknown": {
     "vpc_security_group_ids": true,
     "port": true
    },
    "before_sensitive": false,
    "after_sensitive": {}
   }
  },
  {
   "address": "aws_rds_cluster.ledger",
   "mode": "managed",
   "type": "aws_rds_cluster",
   "name": "ledger",
   "change": {
    "actions": [
     "create"
    ],
    "before": null,
    "after": {},
    "after_unknown": {
     "port": true
    },
    "before_sensitive": false,
    "after_sensitive": {}
   }
  }
 ],
 "configuration": {
  "root_module": {
   "resources": [
    {
     "address": "aws_vpc_security_group_ingress_rule.db_from_fn",
     "mode": "managed",
     "type": "aws_vpc_security_group_ingress_rule",
     "name": "db_from_fn",
     "provider_config_key": "aws",
     "expressions": {
      "security_group_id": {
       "references": [
        "aws_security_group.db.id",
        "aws_security_group.db"
       ]
      },
      "referenced_security_group_id": {
       "references": [
        "aws_security_group.fn.id",
        "aws_security_group.fn"
       ]
      }
     },
     "schema_version": 0
    },
    {
     "address": "aws_db_instance.orders",
     "mode": "managed",
     "type": "aws_db_instance",
     "name": "orders",
     "provider_config_key": "aws",
     "expressions": {
      "vpc_security_group_ids": {
       "references": [
        "aws_security_group.db.id",
        "aws_security_group.db"
       ]
      },
      "db_subnet_group_name": {
       "references": [
        "aws_db_subnet_group.db.name",
        "aws_db_subnet_group.db"
       ]
      }
     },
     "schema_version": 0
    },
    {
     "address": "aws_rds_cluster.ledger",
     "mode": "managed",
     "type": "aws_rds_cluster",
     "name": "ledger",
     "provider_config_key": "aws",
     "expressions": {
      "port": {
       "references": [
        "var.db_port"
       ]
      }
     },
     "schema_version": 0
    }
   ]
  }
 }
}"##;
