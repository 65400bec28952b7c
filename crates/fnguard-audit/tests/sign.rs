mod support;

use fnguard_core::Field;
use fnguard_model::CodeSigningConfig;
use support::*;

#[test]
fn unsigned_zip_function_is_reported_with_fnguard_remediation() {
    let mut dep = deployment();
    let mut f = hardened_function("Orders", 10);
    f.code_signing = Field::Absent;
    dep.functions.push(f);
    let findings = run(&dep);
    let sign = of(&findings, "FG-SIGN-001");
    assert_eq!(sign.len(), 1);
    assert_eq!(sign[0].resource, "Orders");
    let rule = fnguard_audit::rule("FG-SIGN-001").expect("rule exists");
    assert!(rule.remediation_en.contains("fnguard sign"));
    assert!(rule.remediation_en.contains("fnguard verify"));
    assert!(rule.remediation_en.contains("AWS Signer"));
}

#[test]
fn signed_image_and_unknown_functions_are_not_reported() {
    let mut dep = deployment();
    dep.functions.push(hardened_function("Signed", 10));
    let mut image = hardened_function("Image", 30);
    image.code_signing = Field::Absent;
    image.runtime = Field::Absent;
    image.package_type = s("Image", 33);
    dep.functions.push(image);
    let mut unknown = hardened_function("Computed", 50);
    unknown.code_signing = Field::Unknown(loc(54));
    dep.functions.push(unknown);
    assert!(of(&run(&dep), "FG-SIGN-001").is_empty());
}

#[test]
fn warn_policy_and_default_policy_are_reported() {
    let mut dep = deployment();
    dep.code_signing_configs.push(CodeSigningConfig {
        id: "Warns".into(),
        loc: loc(10),
        untrusted_artifact_policy: s("warn", 12),
        ignores: Vec::new(),
    });
    dep.code_signing_configs.push(CodeSigningConfig {
        id: "Defaulted".into(),
        loc: loc(20),
        untrusted_artifact_policy: Field::Absent,
        ignores: Vec::new(),
    });
    dep.code_signing_configs.push(enforcing_signing_config(30));
    dep.code_signing_configs.push(CodeSigningConfig {
        id: "Computed".into(),
        loc: loc(40),
        untrusted_artifact_policy: Field::Unknown(loc(41)),
        ignores: Vec::new(),
    });
    let findings = run(&dep);
    let warn = of(&findings, "FG-SIGN-002");
    assert_eq!(warn.len(), 2, "{warn:#?}");
    assert_eq!(warn[0].resource, "Warns");
    assert_eq!(warn[0].location.line, 12);
    assert_eq!(warn[1].resource, "Defaulted");
    assert!(warn[1].message.en.contains("default"));
}
