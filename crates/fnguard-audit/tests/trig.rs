mod support;

use fnguard_core::{Field, Severity};
use fnguard_model::{ApiKind, AuthKind, Cors, FunctionUrl, InvokePermission, Ref, SELF_ACCOUNT};
use support::*;

fn permission(id: &str, principal: &str, line: u32) -> InvokePermission {
    InvokePermission {
        id: id.to_string(),
        loc: loc(line),
        function: Ref::Local("Orders".into()),
        action: s("lambda:InvokeFunction", line + 1),
        principal: s(principal, line + 2),
        source_arn: Field::Absent,
        source_account: Field::Absent,
        principal_org_id: Field::Absent,
        function_url_auth_type: Field::Absent,
        event_source_token: Field::Absent,
        ignores: Vec::new(),
    }
}

#[test]
fn public_and_cross_account_permissions_are_critical() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    dep.permissions.push(permission("Public", "*", 30));
    dep.permissions
        .push(permission("Partner", "arn:aws:iam::210987654321:root", 40));
    dep.permissions
        .push(permission("PartnerId", "210987654321", 50));
    let findings = run(&dep);
    let trig = of(&findings, "FG-TRIG-001");
    assert_eq!(trig.len(), 3, "{trig:#?}");
    assert!(trig.iter().all(|f| f.severity == Severity::Critical));
    assert!(trig.iter().all(|f| f.resource == "Orders"));
    assert_eq!(trig[0].location.line, 32, "points at the principal");
    assert!(trig[1].message.en.contains("210987654321"));
}

#[test]
fn service_principal_without_source_is_a_confused_deputy() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    dep.permissions
        .push(permission("S3Invoke", "s3.amazonaws.com", 30));
    let findings = run(&dep);
    let trig = of(&findings, "FG-TRIG-001");
    assert_eq!(trig.len(), 1);
    assert_eq!(trig[0].severity, Severity::High);
    assert!(trig[0].message.en.contains("confused deputy"));
}

#[test]
fn restricted_or_own_account_permissions_are_fine() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    let mut with_arn = permission("S3Invoke", "s3.amazonaws.com", 30);
    with_arn.source_arn = s("arn:aws:s3:::orders-uploads", 33);
    let mut with_account = permission("Public", "*", 40);
    with_account.source_account = s(SELF_ACCOUNT, 43);
    let mut with_org = permission("Org", "*", 50);
    with_org.principal_org_id = s("o-a1b2c3d4e5", 53);
    let mut alexa = permission("Alexa", "alexa-appkit.amazon.com", 60);
    alexa.event_source_token = s("amzn1.ask.skill.1234", 63);
    let mut unknown_condition = permission("Computed", "*", 70);
    unknown_condition.source_arn = Field::Unknown(loc(73));
    let own = permission("Self", "arn:aws:iam::${AWS::AccountId}:root", 80);
    let own_id = permission("SelfId", SELF_ACCOUNT, 90);
    let mut unknown_principal = permission("Unknown", "*", 100);
    unknown_principal.principal = Field::Unknown(loc(102));
    dep.permissions.extend([
        with_arn,
        with_account,
        with_org,
        alexa,
        unknown_condition,
        own,
        own_id,
        unknown_principal,
    ]);
    let findings = run(&dep);
    assert!(of(&findings, "FG-TRIG-001").is_empty(), "{findings:#?}");
}

#[test]
fn function_url_with_auth_none() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    dep.function_urls.push(FunctionUrl {
        id: "OrdersUrl".into(),
        loc: loc(30),
        function: Ref::Local("Orders".into()),
        auth_type: s("NONE", 32),
        cors: None,
        ignores: Vec::new(),
    });
    // The permission SAM generates for the URL: reported once, through the URL.
    let mut url_permission = permission("OrdersUrlPublicPermissions", "*", 40);
    url_permission.action = s("lambda:InvokeFunctionUrl", 41);
    url_permission.function_url_auth_type = s("NONE", 43);
    dep.permissions.push(url_permission);
    let findings = run(&dep);
    let url = of(&findings, "FG-TRIG-002");
    assert_eq!(url.len(), 1, "{url:#?}");
    assert_eq!(url[0].location.line, 32);
    assert_eq!(url[0].resource, "Orders");
    assert!(of(&findings, "FG-TRIG-001").is_empty());
}

#[test]
fn url_permission_without_url_element_is_still_reported_once() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    let mut url_permission = permission("UrlPermission", "*", 40);
    url_permission.function_url_auth_type = s("NONE", 43);
    dep.permissions.push(url_permission);
    let findings = run(&dep);
    assert_eq!(of(&findings, "FG-TRIG-002").len(), 1);
    assert!(of(&findings, "FG-TRIG-001").is_empty());
}

#[test]
fn function_url_with_iam_auth_is_fine() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    for (i, auth) in [s("AWS_IAM", 32), Field::Unknown(loc(42))]
        .into_iter()
        .enumerate()
    {
        dep.function_urls.push(FunctionUrl {
            id: format!("Url{i}"),
            loc: loc(30 + 10 * i as u32),
            function: Ref::Local("Orders".into()),
            auth_type: auth,
            cors: None,
            ignores: Vec::new(),
        });
    }
    assert!(of(&run(&dep), "FG-TRIG-002").is_empty());
}

#[test]
fn open_routes_and_api_key_only_routes() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    let mut api = hardened_api("ServerlessRestApi", ApiKind::Rest, 30);
    api.implicit = true;
    api.routes.push(route(
        "GET",
        "/orders",
        known(AuthKind::None, 41),
        Some("Orders"),
        40,
    ));
    let mut keyed = route(
        "POST",
        "/orders",
        known(AuthKind::None, 51),
        Some("Orders"),
        50,
    );
    keyed.api_key_required = known(true, 52);
    api.routes.push(keyed);
    api.routes.push(route(
        "DELETE",
        "/orders",
        known(AuthKind::Cognito, 61),
        Some("Orders"),
        60,
    ));
    api.routes.push(route(
        "PUT",
        "/orders",
        Field::Unknown(loc(71)),
        Some("Orders"),
        70,
    ));
    api.routes.push(route(
        "OPTIONS",
        "/orders",
        known(AuthKind::None, 81),
        None,
        80,
    ));
    let mut unknown_key = route("PATCH", "/orders", known(AuthKind::None, 91), None, 90);
    unknown_key.api_key_required = Field::Unknown(loc(92));
    api.routes.push(unknown_key);
    dep.apis.push(api);
    let findings = run(&dep);
    let open = of(&findings, "FG-TRIG-003");
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0].resource, "Orders");
    assert!(open[0].message.en.contains("GET /orders"));
    assert_eq!(open[0].location.line, 41);
    let keyed = of(&findings, "FG-TRIG-004");
    assert_eq!(keyed.len(), 1);
    assert!(keyed[0].message.en.contains("POST /orders"));
    assert_ne!(open[0].fingerprint, keyed[0].fingerprint);
}

#[test]
fn private_and_unknown_endpoint_apis_are_not_open() {
    let mut dep = deployment();
    for (i, private) in [known(true, 31), Field::Unknown(loc(41))]
        .into_iter()
        .enumerate()
    {
        let mut api = hardened_api(&format!("Api{i}"), ApiKind::Rest, 30 + 10 * i as u32);
        api.private_endpoint = private;
        api.routes
            .push(route("GET", "/", known(AuthKind::None, 35), None, 35));
        dep.apis.push(api);
    }
    let findings = run(&dep);
    assert!(of(&findings, "FG-TRIG-003").is_empty());
}

#[test]
fn websocket_only_connect_route_matters_and_api_id_is_the_fallback_resource() {
    let mut dep = deployment();
    let mut api = hardened_api("Chat", ApiKind::WebSocket, 30);
    api.routes
        .push(route("$default", "", known(AuthKind::None, 41), None, 40));
    api.routes
        .push(route("$connect", "", known(AuthKind::None, 51), None, 50));
    dep.apis.push(api);
    let findings = run(&dep);
    let open = of(&findings, "FG-TRIG-003");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].resource, "Chat");
}

#[test]
fn function_metadata_ignore_covers_its_implicit_routes() {
    let mut dep = deployment();
    let mut function = hardened_function("Orders", 10);
    function.ignores.push(ignore("FG-TRIG-003"));
    dep.functions.push(function);
    let mut api = hardened_api("ServerlessRestApi", ApiKind::Rest, 30);
    api.routes.push(route(
        "GET",
        "/health",
        known(AuthKind::None, 41),
        Some("Orders"),
        40,
    ));
    dep.apis.push(api);
    let findings = run(&dep);
    let all: Vec<_> = findings
        .iter()
        .filter(|f| f.rule_id == "FG-TRIG-003")
        .collect();
    assert_eq!(all.len(), 1);
    assert!(all[0].suppressed.is_some());
}

#[test]
fn cors_wildcard_with_credentials() {
    let mut dep = deployment();
    let mut api = hardened_api("HttpApi", ApiKind::Http, 30);
    api.cors = Some(Cors {
        loc: loc(35),
        allow_origins: vec![s("*", 36)],
        allow_credentials: known(true, 37),
    });
    dep.apis.push(api);
    let mut safe = hardened_api("Other", ApiKind::Http, 50);
    safe.cors = Some(Cors {
        loc: loc(55),
        allow_origins: vec![s("https://app.example.com", 56)],
        allow_credentials: known(true, 57),
    });
    dep.apis.push(safe);
    let mut sam_rest = hardened_api("SamRest", ApiKind::Rest, 60);
    sam_rest.cors = Some(Cors {
        loc: loc(65),
        allow_origins: vec![s("'*'", 66)],
        allow_credentials: known(true, 67),
    });
    dep.apis.push(sam_rest);
    let mut no_creds = hardened_api("Third", ApiKind::Http, 70);
    no_creds.cors = Some(Cors {
        loc: loc(75),
        allow_origins: vec![s("*", 76)],
        allow_credentials: Field::Unknown(loc(77)),
    });
    dep.apis.push(no_creds);
    dep.function_urls.push(FunctionUrl {
        id: "Url".into(),
        loc: loc(90),
        function: Ref::Local("Orders".into()),
        auth_type: s("AWS_IAM", 91),
        cors: Some(Cors {
            loc: loc(92),
            allow_origins: vec![s("*", 93)],
            allow_credentials: known(true, 94),
        }),
        ignores: Vec::new(),
    });
    let findings = run(&dep);
    let cors = of(&findings, "FG-TRIG-005");
    let resources: Vec<&str> = cors.iter().map(|f| f.resource.as_str()).collect();
    assert_eq!(resources, vec!["HttpApi", "SamRest", "Orders"], "{cors:#?}");
    assert_eq!(cors[0].location.line, 37);
}

#[test]
fn iam_authenticated_url_permission_for_everyone_is_high() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    let mut url_permission = permission("UrlPermission", "*", 40);
    url_permission.function_url_auth_type = s("AWS_IAM", 43);
    dep.permissions.push(url_permission);
    let findings = run(&dep);
    let trig = of(&findings, "FG-TRIG-001");
    assert_eq!(trig.len(), 1);
    assert_eq!(trig[0].severity, Severity::High);
    assert!(of(&findings, "FG-TRIG-002").is_empty());
}

fn open_route_api(policy: Option<fnguard_iam::Policy>) -> fnguard_model::Deployment {
    let mut dep = deployment();
    let mut api = hardened_api("Rest", ApiKind::Rest, 30);
    api.resource_policy = policy;
    api.routes
        .push(route("GET", "/", known(AuthKind::None, 41), None, 40));
    dep.apis.push(api);
    dep
}

fn statement(
    effect: fnguard_iam::Effect,
    principal: &str,
    conditions: Vec<fnguard_iam::ConditionClause>,
) -> fnguard_iam::Statement {
    fnguard_iam::Statement {
        sid: None,
        loc: loc(50),
        effect,
        actions: fnguard_iam::ActionSet::Action(vec![fnguard_iam::Val::known(
            "execute-api:Invoke",
            loc(51),
        )]),
        resources: fnguard_iam::ResourceSet::Resource(vec![fnguard_iam::Val::known("*", loc(52))]),
        principals: fnguard_iam::PrincipalSet::Principal(vec![fnguard_iam::PrincipalEntry {
            kind: "AWS".into(),
            value: fnguard_iam::Val::known(principal, loc(53)),
        }]),
        conditions,
        condition_unknown: false,
    }
}

fn policy(statements: Vec<fnguard_iam::Statement>) -> fnguard_iam::Policy {
    fnguard_iam::Policy {
        statements,
        loc: loc(49),
        unknown: false,
    }
}

#[test]
fn resource_policies_that_may_restrict_callers_silence_open_routes() {
    use fnguard_iam::Effect::{Allow, Deny};
    // An allow-all policy leaves the route open.
    let open = open_route_api(Some(policy(vec![statement(Allow, "*", vec![])])));
    assert_eq!(of(&run(&open), "FG-TRIG-003").len(), 1);
    assert_eq!(of(&run(&open_route_api(None)), "FG-TRIG-003").len(), 1);
    let ip_condition = fnguard_iam::ConditionClause {
        operator: "NotIpAddress".into(),
        key: "aws:SourceIp".into(),
        values: vec![fnguard_iam::Val::known("203.0.113.0/24", loc(55))],
        loc: loc(54),
    };
    for restricted in [
        policy(vec![
            statement(Allow, "*", vec![]),
            statement(Deny, "*", vec![ip_condition]),
        ]),
        policy(vec![statement(
            Allow,
            "arn:aws:iam::111122223333:root",
            vec![],
        )]),
        fnguard_iam::Policy {
            statements: Vec::new(),
            loc: loc(49),
            unknown: true,
        },
    ] {
        let dep = open_route_api(Some(restricted));
        assert!(of(&run(&dep), "FG-TRIG-003").is_empty());
    }
}

#[test]
fn hard_coded_own_account_is_not_cross_account() {
    let mut dep = deployment();
    let mut f = hardened_function("Orders", 10);
    f.role = known(
        Ref::External("arn:aws:iam::111122223333:role/orders-exec".into()),
        13,
    );
    dep.functions.push(f);
    dep.permissions.push(permission("Own", "111122223333", 30));
    dep.permissions
        .push(permission("Other", "444455556666", 40));
    let findings = run(&dep);
    let trig = of(&findings, "FG-TRIG-001");
    assert_eq!(trig.len(), 1);
    assert!(trig[0].message.en.contains("444455556666"));
}

#[test]
fn invoke_permission_companion_of_a_public_url_is_reported_once() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Webhook", 10));
    dep.function_urls.push(FunctionUrl {
        id: "WebhookUrl".into(),
        loc: loc(30),
        function: Ref::Local("Webhook".into()),
        auth_type: s("NONE", 32),
        cors: None,
        ignores: Vec::new(),
    });
    let mut companion = permission("WebhookURLInvokeAllowPublicAccess", "*", 40);
    companion.function = Ref::Local("Webhook".into());
    dep.permissions.push(companion);
    let findings = run(&dep);
    assert_eq!(of(&findings, "FG-TRIG-002").len(), 1);
    assert!(of(&findings, "FG-TRIG-001").is_empty());
}

/// Loaders keep references to resources of the same files as placeholders
/// (`${OrdersRole.Arn}`, `${aws_iam_role.ci.arn}`): they contain dots and no
/// colon, like a service principal, but say nothing about whose principal
/// it is, so no FG-TRIG-001.
#[test]
fn placeholder_principals_are_not_service_principals() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    dep.permissions
        .push(permission("FromRole", "${aws_iam_role.ci.arn}", 30));
    dep.permissions
        .push(permission("FromCfnRole", "${CallerRole.Arn}", 40));
    let findings = run(&dep);
    assert!(of(&findings, "FG-TRIG-001").is_empty(), "{findings:#?}");
}

/// Seen in the wild (SAM's alexa_skill example): the fix for an Alexa
/// permission is the skill id, not a source ARN.
#[test]
fn alexa_permission_without_skill_id_asks_for_the_skill_id() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Orders", 10));
    dep.permissions
        .push(permission("Alexa", "alexa-appkit.amazon.com", 30));
    let mut with_skill = permission("AlexaSkill", "alexa-appkit.amazon.com", 40);
    with_skill.event_source_token = s("amzn1.ask.skill.1234", 44);
    dep.permissions.push(with_skill);
    let findings = run(&dep);
    let trig = of(&findings, "FG-TRIG-001");
    assert_eq!(trig.len(), 1, "{trig:#?}");
    assert_eq!(trig[0].severity, Severity::High);
    assert!(trig[0].message.en.contains("EventSourceToken"));
    assert!(trig[0].message.zh.contains("SkillId"));
}
