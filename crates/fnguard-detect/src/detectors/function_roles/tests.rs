use super::*;
use crate::detectors::inventory;
use crate::input::{read_paths, Limits, Origin};
use std::path::PathBuf;
use std::sync::Arc;

const ACCOUNT: &str = "712967571683";

fn event(value: Value) -> Event {
    Event {
        value,
        origin: Origin {
            file: Arc::from("trail.json"),
            line: None,
            index: 0,
        },
    }
}

fn feed(detector: &mut FunctionRoles, values: &[Value]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for value in values {
        detector.observe(&event(value.clone()), &mut alerts);
    }
    alerts
}

fn ids(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.rule_id.as_str()).collect()
}

/// A CloudTrail record shaped like the Stratus Red Team Lambda records
/// (an IAM user calling from the internet with its long-term key).
fn record(source: &str, name: &str, request: Value, response: Value) -> Value {
    json!({
        "awsRegion": "eu-west-1",
        "eventCategory": "Management",
        "eventID": "da929d96-8e20-475c-a810-973addd64769",
        "eventName": name,
        "eventSource": source,
        "eventTime": "2024-07-30T21:57:20Z",
        "eventType": "AwsApiCall",
        "eventVersion": "1.08",
        "managementEvent": true,
        "readOnly": false,
        "recipientAccountId": ACCOUNT,
        "requestID": "e8dffadf-9660-4d37-805f-b6dd8ac15959",
        "requestParameters": request,
        "responseElements": response,
        "sourceIPAddress": "211.219.255.238",
        "tlsDetails": {
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "lambda.eu-west-1.amazonaws.com",
            "tlsVersion": "TLSv1.3"
        },
        "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/lambda.create-function",
        "userIdentity": {
            "accessKeyId": "AKIAUBN5AMJF3I0EG996",
            "accountId": ACCOUNT,
            "arn": format!("arn:aws:iam::{ACCOUNT}:user/christophe"),
            "principalId": "AIDACL6MX7XSJHAMTCHM",
            "type": "IAMUser",
            "userName": "christophe"
        }
    })
}

fn role_arn(path_and_name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{path_and_name}")
}

fn create_function(function: &str, role: &str) -> Value {
    record(
        "lambda.amazonaws.com",
        "CreateFunction20150331",
        json!({
            "functionName": function,
            "runtime": "python3.12",
            "role": role,
            "handler": "app.handler",
            "code": {},
            "publish": false
        }),
        json!({
            "functionName": function,
            "functionArn": format!("arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{function}"),
            "runtime": "python3.12",
            "role": role,
            "handler": "app.handler",
            "state": "Pending",
            "version": "$LATEST"
        }),
    )
}

fn update_role(function_arn: &str, role: &str) -> Value {
    record(
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        json!({"functionName": function_arn, "role": role}),
        json!({"functionName": crate::detectors::cloudtrail::function_name(function_arn), "role": role}),
    )
}

fn iam(name: &str, request: Value) -> Value {
    record("iam.amazonaws.com", name, request, Value::Null)
}

fn stratus(technique: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/stratus-red-team")
        .join(format!("{technique}.json"));
    let mut values = Vec::new();
    read_paths(
        &[path],
        Limits::default(),
        &mut |event| values.push(event.value),
        &mut |e| panic!("{e}"),
    );
    // CreateRole before AttachRolePolicy: the file lists them newest first.
    values.sort_by(|a, b| a["eventTime"].as_str().cmp(&b["eventTime"].as_str()));
    values
}

#[test]
fn stratus_backdoor_role_alone_is_not_a_function_role() {
    let mut detector = FunctionRoles::default();
    assert!(feed(
        &mut detector,
        &stratus("aws.persistence.iam-create-backdoor-role")
    )
    .is_empty());
}

#[test]
fn administrator_access_attached_to_a_function_role_is_critical_and_names_the_function() {
    let mut detector = FunctionRoles::default();
    // The Stratus detonation ran in account 609418236337.
    let role = "arn:aws:iam::609418236337:role/stratus-red-team-malicious-iam-role";
    let mut create = create_function("orders-create-prod", role);
    create["recipientAccountId"] = json!("609418236337");
    assert!(feed(&mut detector, &[create]).is_empty());
    let alerts = feed(
        &mut detector,
        &stratus("aws.persistence.iam-create-backdoor-role"),
    );
    assert_eq!(ids(&alerts), ["FG-DET-103"]);
    assert_eq!(alerts[0].facts["account"], "609418236337");
    let alert = &alerts[0];
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.facts["functions"], json!(["orders-create-prod"]));
    assert_eq!(alert.facts["functions_from"], json!(["log"]));
    assert_eq!(alert.facts["role"], "stratus-red-team-malicious-iam-role");
    assert_eq!(
        alert.facts["policy"],
        "arn:aws:iam::aws:policy/AdministratorAccess"
    );
    assert_eq!(alert.facts["event_name"], "AttachRolePolicy");
    assert_eq!(alert.tags, ["attack.t1098", "attack.t1098.003"]);
}

#[test]
fn each_role_change_on_a_function_role_alerts_with_its_severity() {
    let role = role_arn("service-role/orders-role");
    let narrow_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::orders/*"}]}"#;
    let cases = [
        (
            iam(
                "PutRolePolicy",
                json!({"roleName": "orders-role", "policyName": "read", "policyDocument": narrow_policy}),
            ),
            "FG-DET-102",
            Severity::High,
        ),
        (
            iam(
                "AttachRolePolicy",
                json!({"roleName": "orders-role", "policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}),
            ),
            "FG-DET-102",
            Severity::High,
        ),
        (
            iam(
                "UpdateAssumeRolePolicy",
                json!({"roleName": "orders-role", "policyDocument": "{}"}),
            ),
            "FG-DET-102",
            Severity::High,
        ),
        (
            iam(
                "DeleteRolePermissionsBoundary",
                json!({"roleName": "orders-role"}),
            ),
            "FG-DET-102",
            Severity::High,
        ),
        (
            iam(
                "DetachRolePolicy",
                json!({"roleName": "orders-role", "policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}),
            ),
            "FG-DET-102",
            Severity::Medium,
        ),
        (
            iam(
                "DeleteRolePolicy",
                json!({"roleName": "orders-role", "policyName": "read"}),
            ),
            "FG-DET-102",
            Severity::Medium,
        ),
        (
            iam(
                "PutRolePermissionsBoundary",
                json!({"roleName": "orders-role", "permissionsBoundary": "arn:aws:iam::aws:policy/AWSDenyAll"}),
            ),
            "FG-DET-102",
            Severity::Medium,
        ),
        (
            iam(
                "AttachRolePolicy",
                json!({"roleName": "ORDERS-ROLE", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}),
            ),
            "FG-DET-103",
            Severity::Critical,
        ),
        (
            iam(
                "PutRolePolicy",
                json!({"roleName": "orders-role", "policyName": "x",
                "policyDocument": "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22iam%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"}),
            ),
            "FG-DET-103",
            Severity::Critical,
        ),
    ];
    for (change, id, severity) in cases {
        let mut detector = FunctionRoles::default();
        feed(
            &mut detector,
            &[create_function("orders-create-prod", &role)],
        );
        let alerts = feed(&mut detector, std::slice::from_ref(&change));
        assert_eq!(ids(&alerts), [id], "{change}");
        assert_eq!(alerts[0].severity, severity, "{change}");
        assert_eq!(alerts[0].facts["functions"], json!(["orders-create-prod"]));
    }
}

#[test]
fn changes_to_other_roles_and_failed_calls_raise_nothing() {
    let mut detector = FunctionRoles::default();
    feed(
        &mut detector,
        &[create_function(
            "orders-create-prod",
            &role_arn("orders-role"),
        )],
    );
    let mut denied = iam(
        "AttachRolePolicy",
        json!({"roleName": "orders-role", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    denied["errorCode"] = json!("AccessDenied");
    denied["errorMessage"] = json!("User is not authorized to perform: iam:AttachRolePolicy");
    let alerts = feed(
        &mut detector,
        &[
            denied,
            iam(
                "AttachRolePolicy",
                json!({"roleName": "orders-role-2", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ),
            iam(
                "AttachUserPolicy",
                json!({"userName": "orders-role", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ),
            iam("TagRole", json!({"roleName": "orders-role", "tags": []})),
        ],
    );
    assert!(alerts.is_empty(), "{alerts:#?}");
}

#[test]
fn a_function_created_with_a_role_this_log_made_admin_is_passrole_abuse() {
    let mut detector = FunctionRoles::default();
    let role = role_arn("ci/deploy-helper");
    let attach = iam(
        "AttachRolePolicy",
        json!({"roleName": "deploy-helper", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    assert!(feed(&mut detector, &[attach]).is_empty());
    let alerts = feed(&mut detector, &[create_function("backdoor", &role)]);
    assert_eq!(ids(&alerts), ["FG-DET-104"]);
    assert_eq!(alerts[0].severity, Severity::High);
    assert_eq!(alerts[0].facts["function"], "backdoor");
    assert_eq!(alerts[0].facts["role"], "deploy-helper");
    assert_eq!(
        alerts[0].facts["privileged_because"],
        json!(["managed:arn:aws:iam::aws:policy/AdministratorAccess"])
    );

    // Detached again: the role is no longer known to be privileged.
    let detach = iam(
        "DetachRolePolicy",
        json!({"roleName": "deploy-helper", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    let alerts = feed(
        &mut detector,
        &[detach, create_function("backdoor-2", &role)],
    );
    // The detach itself is a change on backdoor's role (medium); no PassRole alert.
    assert_eq!(ids(&alerts), ["FG-DET-102"]);
}

#[test]
fn an_inline_allow_everything_policy_makes_the_role_privileged_until_replaced() {
    let mut detector = FunctionRoles::default();
    let everything = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*"],"Resource":["*"]}]}"#;
    let narrow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#;
    let put = |document: &str| {
        iam(
            "PutRolePolicy",
            json!({"roleName": "worker", "policyName": "inline", "policyDocument": document}),
        )
    };
    feed(&mut detector, &[put(everything)]);
    let alerts = feed(&mut detector, &[create_function("a", &role_arn("worker"))]);
    assert_eq!(ids(&alerts), ["FG-DET-104"]);
    assert_eq!(
        alerts[0].facts["privileged_because"],
        json!(["inline:inline"])
    );

    let mut detector = FunctionRoles::default();
    feed(&mut detector, &[put(everything), put(narrow)]);
    assert!(feed(&mut detector, &[create_function("b", &role_arn("worker"))]).is_empty());
}

#[test]
fn a_role_named_admin_is_weaker_evidence() {
    let mut detector = FunctionRoles::default();
    let alerts = feed(
        &mut detector,
        &[create_function("x", &role_arn("LambdaAdminRole"))],
    );
    assert_eq!(ids(&alerts), ["FG-DET-105"]);
    assert_eq!(alerts[0].severity, Severity::Medium);
    assert_eq!(
        alerts[0].facts["privileged_because"],
        json!(["name contains `admin`"])
    );
    assert!(feed(
        &mut detector,
        &[create_function("y", &role_arn("orders-create-role"))]
    )
    .is_empty());
}

#[test]
fn switching_a_function_to_a_privileged_role_alerts_and_keeping_it_does_not() {
    let mut detector = FunctionRoles::default();
    let function_arn = format!("arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders-create-prod");
    feed(
        &mut detector,
        &[
            create_function("orders-create-prod", &role_arn("orders-role")),
            iam(
                "AttachRolePolicy",
                json!({"roleName": "ops", "policyArn": "arn:aws-cn:iam::aws:policy/IAMFullAccess"}),
            ),
        ],
    );
    let alerts = feed(
        &mut detector,
        &[update_role(&function_arn, &role_arn("ops"))],
    );
    assert_eq!(ids(&alerts), ["FG-DET-104"]);
    assert_eq!(
        alerts[0].facts["previous_role_arn"],
        json!(role_arn("orders-role"))
    );
    assert!(feed(
        &mut detector,
        &[update_role(&function_arn, &role_arn("ops"))]
    )
    .is_empty());
    // A configuration update that does not set the role learns nothing.
    let timeout = record(
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        json!({"functionName": function_arn, "timeout": 30}),
        Value::Null,
    );
    assert!(feed(&mut detector, &[timeout]).is_empty());
}

#[test]
fn the_inventory_of_fnguard_scan_names_functions_and_privileged_roles() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/inventory/sam-vulnerable.json");
    let inventory = inventory::load(&path).unwrap();
    let mut detector = FunctionRoles::new(FunctionRolesConfig::default(), inventory);

    // A change on the deployed ProcessPaymentFunctionRole names the function.
    let alerts = feed(
        &mut detector,
        &[iam(
            "PutRolePolicy",
            json!({"roleName": "orders-prod-ProcessPaymentFunctionRole-8QWZ1", "policyName": "more",
                   "policyDocument": "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sqs:*\",\"Resource\":\"*\"}]}"}),
        )],
    );
    assert_eq!(ids(&alerts), ["FG-DET-102"]);
    assert_eq!(
        alerts[0].facts["functions"],
        json!(["ProcessPaymentFunction"])
    );
    assert_eq!(alerts[0].facts["functions_from"], json!(["inventory"]));

    // A new function given the admin OrdersApiRole is PassRole abuse.
    let alerts = feed(
        &mut detector,
        &[create_function(
            "exfil",
            &role_arn("orders-prod-OrdersApiRole-1RT3X9"),
        )],
    );
    assert_eq!(ids(&alerts), ["FG-DET-104"]);
    assert_eq!(
        alerts[0].facts["privileged_because"],
        json!(["inventory:FG-IAM-001 allows every action on every resource"])
    );

    // GenerateInvoiceFunctionRole has no privilege finding.
    assert!(feed(
        &mut detector,
        &[create_function(
            "other",
            &role_arn("orders-prod-GenerateInvoiceFunctionRole-2B")
        )]
    )
    .is_empty());
}

#[test]
fn state_saved_and_restored_continues_the_detection() {
    let mut before = FunctionRoles::default();
    feed(
        &mut before,
        &[create_function(
            "orders-create-prod",
            &role_arn("orders-role"),
        )],
    );
    let saved = serde_json::to_string(&before.save()).unwrap();

    let mut after = FunctionRoles::default();
    after
        .restore(&serde_json::from_str(&saved).unwrap())
        .unwrap();
    let alerts = feed(
        &mut after,
        &[iam(
            "DeleteRolePermissionsBoundary",
            json!({"roleName": "orders-role"}),
        )],
    );
    assert_eq!(ids(&alerts), ["FG-DET-102"]);

    let mut fresh = FunctionRoles::default();
    assert!(feed(
        &mut fresh,
        &[iam(
            "DeleteRolePermissionsBoundary",
            json!({"roleName": "orders-role"})
        )]
    )
    .is_empty());
    assert!(fresh.restore(&json!({"functions": []})).is_err());
    assert!(fresh
        .restore(&json!({"version": 7, "learned": 0, "functions": {}, "roles": {}}))
        .unwrap_err()
        .contains("version 7"));
}

#[test]
fn memory_is_capped() {
    let config = FunctionRolesConfig {
        max_functions: 100,
        max_roles: 10,
    };
    let mut detector = FunctionRoles::new(config, Inventory::default());
    let creates: Vec<Value> = (0..1000)
        .map(|i| create_function(&format!("fn-{i}"), &role_arn(&format!("role-{i}"))))
        .collect();
    feed(&mut detector, &creates);
    assert!(
        detector.known_functions() <= 100,
        "{}",
        detector.known_functions()
    );
    assert!(detector.known_functions() > 50);
    let attaches: Vec<Value> = (0..100)
        .map(|i| {
            iam(
                "AttachRolePolicy",
                json!({"roleName": format!("admin-{i}"), "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            )
        })
        .collect();
    feed(&mut detector, &attaches);
    assert!(detector.state.roles.len() <= 10);
    // The latest learned function is still known.
    let alerts = feed(
        &mut detector,
        &[iam(
            "DeleteRolePermissionsBoundary",
            json!({"roleName": "role-999"}),
        )],
    );
    assert_eq!(ids(&alerts), ["FG-DET-102"]);

    let mut small = FunctionRoles::new(
        FunctionRolesConfig {
            max_functions: 10,
            max_roles: 10,
        },
        Inventory::default(),
    );
    small.restore(&detector.save()).unwrap();
    assert!(small.known_functions() <= 10);
}

#[test]
fn admin_managed_policies_by_arn() {
    assert!(admin_managed_policy(
        "arn:aws:iam::aws:policy/AdministratorAccess"
    ));
    assert!(admin_managed_policy(
        "arn:aws-us-gov:iam::aws:policy/PowerUserAccess"
    ));
    assert!(!admin_managed_policy(&format!(
        "arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"
    )));
    assert!(!admin_managed_policy(
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    ));
    assert!(!admin_managed_policy("AdministratorAccess"));
}

#[test]
fn roles_and_functions_of_other_accounts_are_not_mixed_up() {
    let mut detector = FunctionRoles::default();
    feed(
        &mut detector,
        &[create_function(
            "orders-create-prod",
            &role_arn("orders-role"),
        )],
    );
    let mut other_account = iam(
        "AttachRolePolicy",
        json!({"roleName": "orders-role", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    other_account["recipientAccountId"] = json!("210987654321");
    assert!(feed(&mut detector, &[other_account]).is_empty());
    // The role of the other account became admin, not ours.
    assert!(feed(
        &mut detector,
        &[create_function("second", &role_arn("orders-role"))]
    )
    .is_empty());

    // The same function name in another region is another function.
    let mut elsewhere = create_function("orders-create-prod", &role_arn("reporting-role"));
    elsewhere["awsRegion"] = json!("us-east-1");
    feed(&mut detector, &[elsewhere]);
    assert_eq!(detector.known_functions(), 3);
    let alerts = feed(
        &mut detector,
        &[iam(
            "DeleteRolePermissionsBoundary",
            json!({"roleName": "orders-role"}),
        )],
    );
    assert_eq!(
        alerts[0].facts["functions"],
        json!(["orders-create-prod", "second"])
    );
}

#[test]
fn a_cap_of_zero_does_not_panic() {
    let none = FunctionRolesConfig {
        max_functions: 0,
        max_roles: 0,
    };
    let mut detector = FunctionRoles::new(none, Inventory::default());
    feed(
        &mut detector,
        &[
            create_function("a", &role_arn("r")),
            iam(
                "AttachRolePolicy",
                json!({"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ),
        ],
    );
    assert!(detector.known_functions() <= 1);
}
