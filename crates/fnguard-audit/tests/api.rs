mod support;

use fnguard_core::{Field, Severity};
use fnguard_model::ApiKind;
use support::*;

#[test]
fn hardened_apis_have_no_api_findings() {
    let mut dep = deployment();
    dep.apis.push(hardened_api("Rest", ApiKind::Rest, 10));
    dep.apis.push(hardened_api("Http", ApiKind::Http, 30));
    let findings = run(&dep);
    assert!(
        findings.iter().all(|f| !f.rule_id.starts_with("FG-API-")),
        "{findings:#?}"
    );
}

#[test]
fn missing_waf_rest_medium_http_low_private_never() {
    let mut dep = deployment();
    let mut rest = hardened_api("Rest", ApiKind::Rest, 10);
    rest.waf = Field::Absent;
    let mut http = hardened_api("ServerlessHttpApi", ApiKind::Http, 30);
    http.waf = Field::Absent;
    http.implicit = true;
    let mut private = hardened_api("Private", ApiKind::Rest, 50);
    private.waf = Field::Absent;
    private.private_endpoint = known(true, 52);
    let mut unknown = hardened_api("Computed", ApiKind::Rest, 70);
    unknown.waf = Field::Unknown(loc(72));
    dep.apis.extend([rest, http, private, unknown]);
    let findings = run(&dep);
    let waf = of(&findings, "FG-API-001");
    assert_eq!(waf.len(), 2, "{waf:#?}");
    assert_eq!(
        (waf[0].resource.as_str(), waf[0].severity),
        ("Rest", Severity::Medium)
    );
    assert_eq!(
        (waf[1].resource.as_str(), waf[1].severity),
        ("ServerlessHttpApi", Severity::Low)
    );
    assert!(waf[1].message.en.contains("CloudFront"));
    assert_eq!(
        waf[1].location.line, 30,
        "implicit APIs point at their event"
    );
}

#[test]
fn throttling_validation_and_logging() {
    let mut dep = deployment();
    let mut bare = hardened_api("Bare", ApiKind::Rest, 10);
    bare.throttling = Field::Absent;
    bare.request_validation = Field::Absent;
    bare.access_logging = known(false, 15);
    let mut http = hardened_api("Http", ApiKind::Http, 30);
    http.request_validation = Field::Absent;
    http.access_logging = Field::Absent;
    let mut unknown = hardened_api("Computed", ApiKind::Rest, 50);
    unknown.throttling = Field::Unknown(loc(51));
    unknown.request_validation = Field::Unknown(loc(52));
    unknown.access_logging = Field::Unknown(loc(53));
    dep.apis.extend([bare, http, unknown]);
    let findings = run(&dep);
    let resources = |rule: &str| -> Vec<String> {
        of(&findings, rule)
            .iter()
            .map(|f| f.resource.clone())
            .collect()
    };
    assert_eq!(resources("FG-API-002"), vec!["Bare"]);
    assert_eq!(
        resources("FG-API-003"),
        vec!["Bare"],
        "HTTP APIs have no request validators"
    );
    assert_eq!(resources("FG-API-004"), vec!["Bare", "Http"]);
}

#[test]
fn api_metadata_ignore_suppresses() {
    let mut dep = deployment();
    let mut api = hardened_api("Rest", ApiKind::Rest, 10);
    api.throttling = Field::Absent;
    api.ignores.push(ignore("FG-API-002"));
    dep.apis.push(api);
    let findings = run(&dep);
    let all: Vec<_> = findings
        .iter()
        .filter(|f| f.rule_id == "FG-API-002")
        .collect();
    assert_eq!(all.len(), 1);
    assert!(all[0].suppressed.is_some());
}

#[test]
fn api_findings_name_the_functions_behind_the_api() {
    let mut dep = deployment();
    let mut api = hardened_api("OrdersApi", ApiKind::Rest, 10);
    api.throttling = Field::Absent;
    for (i, function) in ["Create", "Get", "Create"].iter().enumerate() {
        api.routes.push(route(
            "GET",
            &format!("/r{i}"),
            known(fnguard_model::AuthKind::Iam, 20 + i as u32),
            Some(function),
            20 + i as u32,
        ));
    }
    dep.apis.push(api);
    let findings = run(&dep);
    let throttling = of(&findings, "FG-API-002");
    assert_eq!(throttling.len(), 1);
    assert!(
        throttling[0]
            .message
            .en
            .ends_with("It invokes `Create`, `Get`."),
        "{}",
        throttling[0].message.en
    );
    assert!(throttling[0].message.zh.contains("`Create`, `Get`"));
}
