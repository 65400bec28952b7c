mod support;

use fnguard_core::{Field, Severity};
use fnguard_model::{EnvValue, EnvVar, Parameter};
use support::*;

/// One function with the given environment; returns the SEC findings.
fn scan_env(vars: &[(&str, &str)]) -> Vec<fnguard_core::Finding> {
    let mut dep = deployment();
    let mut f = hardened_function("Orders", 10);
    for (i, (name, value)) in vars.iter().enumerate() {
        f.environment.push(env(name, value, 30 + i as u32));
    }
    dep.functions.push(f);
    run(&dep)
        .into_iter()
        .filter(|f| f.rule_id.starts_with("FG-SEC-"))
        .collect()
}

fn rules_of(findings: &[fnguard_core::Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule_id).collect()
}

/// (variable, value, rule, the part of the value that is secret)
const SECRETS: &[(&str, &str, &str, &str)] = &[
    ("ACCESS_KEY", "AKIAZ3MHQW7XPL4KJ5RB", "FG-SEC-001", "AKIAZ3MHQW7XPL4KJ5RB"),
    ("AWS_SECRET_ACCESS_KEY", "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", "FG-SEC-001", "k8Jd7Hs2Lq9Zp4Xv1Nc6Bm3Tr5Yw0Ae/FgHiJkLm"),
    ("DB_PASSWORD", "Tr0ub4dor&3x", "FG-SEC-002", "Tr0ub4dor&3x"),
    ("STRIPE_API_KEY", "4f9a1c7e2b8d4e6fa0c3b5d7e9f1a2c4", "FG-SEC-002", "4f9a1c7e2b8d4e6fa0c3b5d7e9f1a2c4"),
    ("DATABASE_URL", "postgres://orders:Zx9!kQ2#pLw@db.internal:5432/orders", "FG-SEC-003", "Zx9!kQ2#pLw"),
    ("MONGO_URI", "mongodb+srv://svc:S3cr%40t-9vQ@cluster0.abcd.mongodb.net/db", "FG-SEC-003", "S3cr%40t-9vQ"),
    (
        "SIGNING_KEY_PEM",
        "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oHj8Gx4hQm1poAoGCCqGSM49\\n-----END EC PRIVATE KEY-----",
        "FG-SEC-004",
        "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oHj8Gx4hQm1poAoGCCqGSM49",
    ),
    ("GH", "ghp_R7dK2mQ9xL4vB8nT1pW6sY3cF5hJ0gZaE2uI", "FG-SEC-006", "ghp_R7dK2mQ9xL4vB8nT1pW6sY3cF5hJ0gZaE2uI"),
    ("SLACK", "xoxb-2048163782-4092837465123-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op", "FG-SEC-006", "xoxb-2048163782-4092837465123-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op"),
];

#[test]
fn each_kind_of_secret_gets_its_rule() {
    for (name, value, rule, _) in SECRETS {
        let findings = scan_env(&[(name, value)]);
        assert_eq!(rules_of(&findings), vec![*rule], "{name}={value}");
        let f = &findings[0];
        assert_eq!(f.resource, "Orders");
        assert_eq!(f.location.line, 30, "points at the variable");
        assert!(f.message.en.contains(name), "message names the variable");
    }
}

#[test]
fn no_output_contains_the_raw_secret() {
    for (name, value, _, secret) in SECRETS {
        let findings = scan_env(&[(name, value)]);
        assert!(!findings.is_empty());
        for f in &findings {
            let shown = visible_text(f);
            assert!(!shown.contains(value), "{shown} leaks {value}");
            // Nor any 7-character piece of the secret part.
            let chars: Vec<char> = secret.chars().collect();
            for window in chars.windows(7) {
                let piece: String = window.iter().collect();
                assert!(!shown.contains(&piece), "{shown} leaks {piece}");
            }
        }
    }
}

#[test]
fn placeholders_references_and_names_of_secrets_are_not_reported() {
    let findings = scan_env(&[
        ("ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("DB_PASSWORD", "changeme"),
        ("DB_PASSWORD_2", "<db password>"),
        ("API_TOKEN", "${API_TOKEN}"),
        (
            "API_SECRET",
            "{{resolve:secretsmanager:prod/api:SecretString:key}}",
        ),
        (
            "DB_PASSWORD_ARN",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf",
        ),
        ("DB_SECRET_NAME", "prod/orders/db"),
        ("DB_SECRET", "orders-db-secret"),
        ("PASSWORD_PARAM", "/prod/orders/db-password"),
        ("AUTH_ENABLED", "true"),
        ("TOKEN_TTL", "3600"),
        ("AUTH_SERVER", "https://auth.example.org/oauth2/token"),
        (
            "DATABASE_URL",
            "postgres://orders:${DB_PASSWORD}@db.internal/orders",
        ),
        ("DATABASE_URL_2", "postgres://db.internal:5432/orders"),
        (
            "PRIVATE_KEY_DOC",
            "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----",
        ),
        ("TABLE_NAME", "Orders-Table-7f3A9c"),
        ("GH", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ]);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn references_and_unknown_values_are_never_flagged() {
    let mut dep = deployment();
    let mut f = hardened_function("Orders", 10);
    f.environment.push(EnvVar {
        name: "DB_PASSWORD".into(),
        loc: loc(30),
        value: EnvValue::Reference("{{resolve:secretsmanager:db}}".into()),
    });
    f.environment.push(EnvVar {
        name: "API_KEY".into(),
        loc: loc(31),
        value: EnvValue::Unknown,
    });
    dep.functions.push(f);
    let findings = run(&dep);
    assert!(findings.iter().all(|f| !f.rule_id.starts_with("FG-SEC-")));
}

#[test]
fn one_finding_per_variable_and_distinct_fingerprints() {
    let findings = scan_env(&[
        ("DB_PASSWORD", "Tr0ub4dor&3x"),
        ("ADMIN_PASSWORD", "Tr0ub4dor&3y"),
    ]);
    assert_eq!(findings.len(), 2);
    assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
}

#[test]
fn db_urls_with_special_characters() {
    for url in [
        "mysql://app:pa!ss#word9@10.0.0.5:3306/app",
        "postgresql://app:p@ss!w0rd#9@db.internal/orders",
        "redis://:R3d1s%40P4ss@cache.internal:6379",
        "amqps://user:Qu3u3!P4ss@mq.internal/vhost",
        "jdbc:postgresql://db.internal/app?user=app&password=Jd8c!P4ss",
    ] {
        let findings = scan_env(&[("CONN", url)]);
        assert_eq!(rules_of(&findings), vec!["FG-SEC-003"], "{url}");
        let evidence = findings[0].evidence.clone().unwrap_or_default();
        assert!(
            !evidence.contains("ss#word9") && !evidence.contains("P4ss"),
            "{evidence}"
        );
    }
}

fn param(id: &str, default: Field<String>, no_echo: bool) -> Parameter {
    Parameter {
        id: id.into(),
        loc: loc(5),
        default,
        no_echo,
        ignores: Vec::new(),
    }
}

#[test]
fn parameter_defaults_that_look_like_passwords() {
    let mut dep = deployment();
    dep.parameters
        .push(param("DBPassword", s("Sup3r-S3cret!", 6), false));
    dep.parameters
        .push(param("MasterUserPassword", s("Sup3r-S3cret!", 16), true));
    dep.parameters.push(param(
        "GitHubToken",
        s("ghp_R7dK2mQ9xL4vB8nT1pW6sY3cF5hJ0gZaE2uI", 26),
        false,
    ));
    // Not secrets.
    dep.parameters.push(param("Stage", s("prod", 36), false));
    dep.parameters.push(param(
        "DBPasswordSecretArn",
        s("arn:aws:secretsmanager:us-east-1:1:secret:x", 46),
        false,
    ));
    dep.parameters.push(param("AdminPassword", s("", 56), true));
    dep.parameters.push(param("ApiKey", Field::Absent, true));
    dep.parameters
        .push(param("ApiSecret", Field::Unknown(loc(66)), false));
    let findings = run(&dep);
    let sec5 = of(&findings, "FG-SEC-005");
    assert_eq!(sec5.len(), 3, "{sec5:#?}");
    assert_eq!(sec5[0].severity, Severity::Medium);
    assert!(sec5[1].message.en.contains("NoEcho"));
    assert_eq!(
        sec5[2].severity,
        Severity::High,
        "a known token format is worse"
    );
    for f in sec5 {
        assert!(!visible_text(f).contains("Sup3r-S3cret!"));
    }
}

#[test]
fn inline_ignore_above_the_variable_suppresses_only_that_variable() {
    let mut dep = deployment();
    let mut f = hardened_function("Orders", 10);
    f.environment.push(env("DB_PASSWORD", "Tr0ub4dor&3x", 30));
    f.environment
        .push(env("ADMIN_PASSWORD", "Tr0ub4dor&3y", 32));
    dep.functions.push(f);
    dep.inline_ignores.push(fnguard_model::InlineIgnore {
        rule_ids: vec!["FG-SEC-002".into()],
        reason: Some("test fixture".into()),
        loc: loc(29),
        target_line: 30,
    });
    let findings = run(&dep);
    let sec: Vec<_> = findings
        .iter()
        .filter(|f| f.rule_id == "FG-SEC-002")
        .collect();
    assert_eq!(sec.len(), 2);
    let suppressed: Vec<bool> = sec.iter().map(|f| f.suppressed.is_some()).collect();
    assert_eq!(suppressed, vec![true, false]);
}

/// Reported from the wild (serverless/examples
/// aws-node-github-webhook-listener): instructions written where the
/// secret goes are placeholders, not leaks.
#[test]
fn instruction_placeholders_are_not_secrets() {
    for value in [
        "REPLACE-WITH-YOUR-SECRET-HERE",
        "replace_with_your_token",
        "insert-your-webhook-secret",
        "put-the-token-here",
        "your-github-token",
    ] {
        let findings = scan_env(&[("GITHUB_WEBHOOK_SECRET", value)]);
        assert!(findings.is_empty(), "{value}: {findings:#?}");
    }
    // A real-looking secret under the same name is still reported, and so
    // is the documented EXAMPLE rule left as it was.
    let findings = scan_env(&[("GITHUB_WEBHOOK_SECRET", "9fK2!xQ7vLr4#Tz8")]);
    assert_eq!(rules_of(&findings), vec!["FG-SEC-002"]);
    assert!(scan_env(&[("EMAIL_SERVICE_API_KEY", "KEYEXAMPLE1234")]).is_empty());
}

/// One variable in SAM `Globals` (or Serverless `provider.environment`)
/// reaches every function from one line: one finding naming them all, not
/// one per function on the same line. Variables written per function stay
/// separate findings.
#[test]
fn a_secret_shared_through_globals_is_one_finding() {
    let mut dep = deployment();
    for (i, id) in ["A", "B", "C"].iter().enumerate() {
        let mut f = hardened_function(id, 100 + 20 * i as u32);
        // The same source position: the Globals line.
        f.environment.push(env("DB_PASSWORD", "Tr0ub4dor&3x", 7));
        // Written in each function.
        f.environment
            .push(env("API_TOKEN", "9fK2!xQ7vLr4#Tz8", 105 + 20 * i as u32));
        f.runtime = s("python3.8", 8);
        dep.functions.push(f);
    }
    let findings = run(&dep);
    let shared: Vec<_> = of(&findings, "FG-SEC-002")
        .into_iter()
        .filter(|f| f.location.line == 7)
        .collect();
    assert_eq!(shared.len(), 1, "{findings:#?}");
    assert_eq!(shared[0].resource, "A");
    assert!(shared[0]
        .message
        .en
        .contains("2 more function(s): `B`, `C`"));
    assert!(shared[0].message.zh.contains("`B`, `C`"));
    let related: Vec<u32> = shared[0].related.iter().map(|r| r.location.line).collect();
    assert_eq!(related, [120, 140], "the other functions' declarations");
    let own: Vec<_> = of(&findings, "FG-SEC-002")
        .into_iter()
        .filter(|f| f.location.line != 7)
        .collect();
    assert_eq!(own.len(), 3, "per-function variables stay separate");
    // The runtime set once in Globals: one FG-RT-001 as well.
    assert_eq!(of(&findings, "FG-RT-001").len(), 1);
}

#[test]
fn a_shared_secret_is_suppressed_only_by_an_ignore_that_covers_every_function() {
    let build = |ignore_line: u32, target_line: u32| {
        let mut dep = deployment();
        for (i, id) in ["A", "B"].iter().enumerate() {
            let mut f = hardened_function(id, 100 + 20 * i as u32);
            f.environment.push(env("DB_PASSWORD", "Tr0ub4dor&3x", 7));
            dep.functions.push(f);
        }
        dep.inline_ignores.push(fnguard_model::InlineIgnore {
            rule_ids: vec!["FG-SEC-002".into()],
            reason: Some("rotated weekly".into()),
            loc: loc(ignore_line),
            target_line,
        });
        run(&dep)
            .into_iter()
            .filter(|f| f.rule_id == "FG-SEC-002")
            .collect::<Vec<_>>()
    };
    // Above function A only: B still has the secret.
    let above_a = build(99, 100);
    assert_eq!(above_a.len(), 1);
    assert!(above_a[0].suppressed.is_none(), "{above_a:#?}");
    // On the shared line: that is the one place to accept it.
    let on_line = build(6, 7);
    assert_eq!(on_line.len(), 1);
    assert!(on_line[0].suppressed.is_some());
}
