//! The OCSF 1.3.0 Detection Finding (class 2004) facts our output must
//! honour, written down from the schema's definitions (base event, finding,
//! detection_finding, metadata, product, finding_info, analytic, attack,
//! evidences, observable, cloud): required attributes, the class's
//! attribute names, enumerations and the `type_uid` rule. A consumer such
//! as Security Lake rejects a finding that breaks one of them.

use serde_json::Value;

/// Every attribute the class defines at its top level (base event, finding,
/// detection finding, and the cloud profile's `cloud` and `api`).
const CLASS_ATTRIBUTES: &[&str] = &[
    "activity_id",
    "activity_name",
    "api",
    "category_name",
    "category_uid",
    "class_name",
    "class_uid",
    "cloud",
    "comment",
    "confidence",
    "confidence_id",
    "confidence_score",
    "count",
    "device",
    "duration",
    "end_time",
    "enrichments",
    "evidences",
    "finding_info",
    "impact",
    "impact_id",
    "impact_score",
    "malware",
    "message",
    "metadata",
    "observables",
    "raw_data",
    "remediation",
    "resources",
    "risk_details",
    "risk_level",
    "risk_level_id",
    "risk_score",
    "severity",
    "severity_id",
    "start_time",
    "status",
    "status_code",
    "status_detail",
    "status_id",
    "time",
    "timezone_offset",
    "type_name",
    "type_uid",
    "unmapped",
    "vulnerabilities",
];

const REQUIRED: &[&str] = &[
    "activity_id",
    "category_uid",
    "class_uid",
    "finding_info",
    "metadata",
    "severity_id",
    "time",
    "type_uid",
];

const ACTIVITIES: &[(u64, &str)] = &[
    (0, "Unknown"),
    (1, "Create"),
    (2, "Update"),
    (3, "Close"),
    (99, "Other"),
];
const SEVERITIES: &[(u64, &str)] = &[
    (0, "Unknown"),
    (1, "Informational"),
    (2, "Low"),
    (3, "Medium"),
    (4, "High"),
    (5, "Critical"),
    (6, "Fatal"),
    (99, "Other"),
];
const STATUSES: &[(u64, &str)] = &[
    (0, "Unknown"),
    (1, "New"),
    (2, "In Progress"),
    (3, "Suppressed"),
    (4, "Resolved"),
    (99, "Other"),
];
const ANALYTIC_TYPES: &[(u64, &str)] = &[
    (0, "Unknown"),
    (1, "Rule"),
    (2, "Behavioral"),
    (3, "Statistical"),
    (4, "Learning (ML/DL)"),
    (99, "Other"),
];
/// Observable type ids defined in 1.3.0 (0-30, 99 Other).
fn observable_type_known(id: u64) -> bool {
    id <= 30 || id == 99
}
/// The attributes of an evidence object in 1.3.0 (`http_request`,
/// `http_response`, `tls` and others came in 1.4.0); it needs at least one
/// of them.
const EVIDENCE_ANY_OF: &[&str] = &[
    "actor",
    "api",
    "connection_info",
    "data",
    "database",
    "databucket",
    "device",
    "dst_endpoint",
    "email",
    "file",
    "process",
    "query",
    "src_endpoint",
    "url",
    "user",
];

/// Every way `finding` breaks the class, as `attribute: problem`.
pub fn problems(finding: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |text: String| problems.push(text);
    let Some(top) = finding.as_object() else {
        return vec!["the finding is not an object".into()];
    };
    for name in REQUIRED {
        if !top.contains_key(*name) {
            problem(format!("{name}: required, missing"));
        }
    }
    for name in top.keys() {
        if !CLASS_ATTRIBUTES.contains(&name.as_str()) {
            problem(format!("{name}: not an attribute of Detection Finding"));
        }
    }
    let int = |v: &Value| v.as_u64();
    if finding["class_uid"] != 2004 {
        problem("class_uid: must be 2004".into());
    }
    if finding["category_uid"] != 2 {
        problem("category_uid: must be 2 (Findings)".into());
    }
    check_enum(
        &mut problem,
        finding,
        "activity_id",
        "activity_name",
        ACTIVITIES,
    );
    check_enum(&mut problem, finding, "severity_id", "severity", SEVERITIES);
    check_enum(&mut problem, finding, "status_id", "status", STATUSES);
    match (int(&finding["activity_id"]), int(&finding["type_uid"])) {
        (Some(activity), Some(type_uid)) if type_uid == 2004 * 100 + activity => {}
        _ => problem("type_uid: must be class_uid * 100 + activity_id".into()),
    }
    if !finding["time"].is_i64() {
        problem("time: must be a timestamp in milliseconds".into());
    }

    let metadata = &finding["metadata"];
    if metadata.is_object() {
        let version = metadata["version"].as_str().unwrap_or("");
        let semver = version.split('.').count() == 3
            && version
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !semver {
            problem("metadata.version: required, a semantic version".into());
        }
        let product = &metadata["product"];
        for key in ["vendor_name", "name"] {
            if !product[key].is_string() {
                problem(format!("metadata.product.{key}: required, missing"));
            }
        }
        if finding.get("cloud").is_some() {
            let profiles = metadata["profiles"].as_array();
            if !profiles.is_some_and(|p| p.iter().any(|x| x == "cloud")) {
                problem("metadata.profiles: `cloud` is used but the profile is not listed".into());
            }
        }
    }

    let info = &finding["finding_info"];
    if info.is_object() {
        for key in ["uid", "title"] {
            if info[key].as_str().is_none_or(str::is_empty) {
                problem(format!("finding_info.{key}: required, missing"));
            }
        }
        if let Some(analytic) = info.get("analytic") {
            check_enum(&mut problem, analytic, "type_id", "type", ANALYTIC_TYPES);
            if analytic.get("type_id").is_none() {
                problem("finding_info.analytic.type_id: required, missing".into());
            }
        }
        for (i, attack) in info["attacks"].as_array().into_iter().flatten().enumerate() {
            let technique = attack["technique"]["uid"].as_str();
            let tactic = attack["tactic"]["uid"].as_str();
            if technique.is_none() && tactic.is_none() && attack.get("sub_technique").is_none() {
                problem(format!(
                    "finding_info.attacks[{i}]: needs a tactic or technique"
                ));
            }
            if technique.is_some_and(|t| !technique_id(t)) {
                problem(format!(
                    "finding_info.attacks[{i}].technique.uid: not T1234(.567)"
                ));
            }
            if tactic.is_some_and(|t| {
                !(t.len() == 6 && t.starts_with("TA") && t[2..].bytes().all(|b| b.is_ascii_digit()))
            }) {
                problem(format!("finding_info.attacks[{i}].tactic.uid: not TA1234"));
            }
        }
        for time in ["first_seen_time", "last_seen_time"] {
            if info.get(time).is_some_and(|t| !t.is_i64()) {
                problem(format!("finding_info.{time}: must be a timestamp"));
            }
        }
    }

    for (i, evidence) in finding["evidences"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if !EVIDENCE_ANY_OF.iter().any(|k| evidence.get(*k).is_some()) {
            problem(format!(
                "evidences[{i}]: needs at least one evidence attribute"
            ));
        }
        for key in evidence.as_object().into_iter().flat_map(|e| e.keys()) {
            if !EVIDENCE_ANY_OF.contains(&key.as_str()) {
                problem(format!(
                    "evidences[{i}].{key}: not an evidence attribute in 1.3.0"
                ));
            }
        }
    }
    for (i, observable) in finding["observables"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if !observable["name"].is_string() {
            problem(format!("observables[{i}].name: required, missing"));
        }
        match int(&observable["type_id"]) {
            Some(id) if observable_type_known(id) => {}
            Some(id) => problem(format!("observables[{i}].type_id: {id} is not defined")),
            None => problem(format!("observables[{i}].type_id: required, missing")),
        }
    }
    if let Some(cloud) = finding.get("cloud") {
        if !cloud["provider"].is_string() {
            problem("cloud.provider: required, missing".into());
        }
    }
    if let Some(resources) = finding.get("resources") {
        if !resources
            .as_array()
            .is_some_and(|r| r.iter().all(Value::is_object))
        {
            problem("resources: must be a list of resource details".into());
        }
    }
    if finding.get("unmapped").is_some_and(|u| !u.is_object()) {
        problem("unmapped: must be an object".into());
    }
    problems
}

fn technique_id(uid: &str) -> bool {
    let Some(rest) = uid.strip_prefix('T') else {
        return false;
    };
    let (main, sub) = rest.split_once('.').unwrap_or((rest, "000"));
    main.len() == 4 && sub.len() == 3 && main.bytes().chain(sub.bytes()).all(|b| b.is_ascii_digit())
}

/// `id_key` in the enumeration, and its caption (when written) the one the
/// enumeration gives.
fn check_enum(
    problem: &mut impl FnMut(String),
    object: &Value,
    id_key: &str,
    caption_key: &str,
    values: &[(u64, &str)],
) {
    let Some(id) = object.get(id_key) else { return };
    match id
        .as_u64()
        .and_then(|id| values.iter().find(|(v, _)| *v == id))
    {
        None => problem(format!("{id_key}: {id} is not in the enumeration")),
        Some((_, caption)) => {
            if let Some(written) = object.get(caption_key) {
                if written != caption && written != "Other" {
                    problem(format!(
                        "{caption_key}: `{written}` is not the caption of {id_key} {id}"
                    ));
                }
            }
        }
    }
}
