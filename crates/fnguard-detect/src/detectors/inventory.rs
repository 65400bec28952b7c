//! What `fnguard detect --inventory FILE` learns from the JSON report of
//! `fnguard scan --format json`: which role each function runs with, and
//! which roles are privileged.
//!
//! The report has no function→role table of its own; it is read from what
//! the findings say in structured fields, so the same in every `--lang`:
//! - an attack path (`attack_path.steps`) names a `function` step followed
//!   by its `role` step;
//! - the execution-role findings (`FG-IAM-001` to `FG-IAM-007`) have the
//!   role as `resource` and one `related` entry per function that runs
//!   with it, naming the function in backquotes.
//!
//! A role is privileged when the scan found it allows every action on
//! every resource (`FG-IAM-001`), has a privileged AWS managed policy
//! (`FG-IAM-004`), may pass any role (`FG-IAM-006`) or can escalate its
//! own privileges (`FG-IAM-008`).
//!
//! Limits: only functions and roles that some finding names are known (a
//! well-configured role with no finding and no attack path is not in the
//! report); names are the template's logical ids (`OrdersApiRole`), not
//! the names deployed. The detector therefore matches an inventory role
//! with a role name in CloudTrail when they are equal or when the
//! CloudTrail name is CloudFormation's generated `<stack>-<LogicalId>-<suffix>`
//! (see [`Inventory::role_matches`]); a role given an explicit
//! `RoleName` different from its logical id is missed.

use fnguard_core::location::FileError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Execution-role rules of `fnguard scan` whose `related` entries name the
/// functions using the role.
const EXECUTION_ROLE_RULES: &[&str] = &[
    "FG-IAM-001",
    "FG-IAM-002",
    "FG-IAM-003",
    "FG-IAM-004",
    "FG-IAM-005",
    "FG-IAM-006",
    "FG-IAM-007",
];

/// Scan rules that make a role privileged, with why.
const PRIVILEGE_RULES: &[(&str, &str)] = &[
    ("FG-IAM-001", "allows every action on every resource"),
    ("FG-IAM-004", "has a privileged AWS managed policy"),
    ("FG-IAM-006", "may pass any role"),
    ("FG-IAM-008", "can escalate its own privileges"),
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Function (logical id) → role (logical id).
    pub function_roles: BTreeMap<String, String>,
    /// Role (logical id) → why it is privileged (`FG-IAM-001 allows every
    /// action on every resource`).
    pub privileged_roles: BTreeMap<String, Vec<String>>,
}

/// Reads a `fnguard scan --format json` report.
pub fn load(path: &Path) -> Result<Inventory, FileError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FileError {
        file: name.clone(),
        line: 0,
        col: 0,
        message: format!("cannot read the inventory: {e}"),
    })?;
    from_json(&name, &text)
}

/// Reads the report's text; `file` names it in errors.
pub fn from_json(file: &str, text: &str) -> Result<Inventory, FileError> {
    let error = |line: usize, col: usize, message: String| FileError {
        file: file.to_string(),
        line: line as u64,
        col: col as u64,
        message,
    };
    let report: Value = serde_json::from_str(text)
        .map_err(|e| error(e.line(), e.column(), format!("not JSON: {e}")))?;
    let findings = match (report.get("schema_version"), report.get("findings")) {
        (Some(Value::String(_)), Some(Value::Array(findings))) => findings,
        _ => {
            return Err(error(
                0,
                0,
                "not a `fnguard scan --format json` report (no schema_version and findings)"
                    .to_string(),
            ))
        }
    };
    let mut inventory = Inventory::default();
    for finding in findings {
        inventory.learn(finding);
    }
    Ok(inventory)
}

impl Inventory {
    fn learn(&mut self, finding: &Value) {
        let rule = finding.get("rule_id").and_then(Value::as_str).unwrap_or("");
        let resource = finding.get("resource").and_then(Value::as_str);
        if let Some(steps) = finding
            .pointer("/attack_path/steps")
            .and_then(Value::as_array)
        {
            for pair in steps.windows(2) {
                let kind =
                    |step: &Value| step.get("kind").and_then(Value::as_str).map(str::to_string);
                if kind(&pair[0]).as_deref() == Some("function")
                    && kind(&pair[1]).as_deref() == Some("role")
                {
                    if let (Some(function), Some(role)) = (last_word(&pair[0]), last_word(&pair[1]))
                    {
                        self.function_roles.insert(function, role);
                    }
                }
            }
        }
        let Some(role) = resource else {
            return;
        };
        if EXECUTION_ROLE_RULES.contains(&rule) {
            let related = finding.get("related").and_then(Value::as_array);
            for entry in related.into_iter().flatten() {
                let message = entry.get("message").and_then(Value::as_str).unwrap_or("");
                if let Some(function) = first_quoted(message) {
                    self.function_roles
                        .insert(function.to_string(), role.to_string());
                }
            }
        }
        if let Some((_, why)) = PRIVILEGE_RULES.iter().find(|(id, _)| *id == rule) {
            let reasons = self.privileged_roles.entry(role.to_string()).or_default();
            let reason = format!("{rule} {why}");
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
    }

    /// A role name as CloudTrail writes it (`orders-OrdersApiRole-1X2Y3Z`)
    /// is the inventory's role `logical_id` (`OrdersApiRole`): equal
    /// (ignoring case, as IAM does), or CloudFormation's generated
    /// `<stack>-<LogicalId>-<suffix>`.
    pub fn role_matches(deployed: &str, logical_id: &str) -> bool {
        if deployed.eq_ignore_ascii_case(logical_id) {
            return true;
        }
        let parts: Vec<&str> = deployed.split('-').collect();
        parts.len() >= 3
            && parts[1..parts.len() - 1]
                .iter()
                .any(|part| part.eq_ignore_ascii_case(logical_id))
    }

    /// The inventory's functions whose role is `deployed_role`.
    pub fn functions_of(&self, deployed_role: &str) -> Vec<&str> {
        self.function_roles
            .iter()
            .filter(|(_, role)| Self::role_matches(deployed_role, role))
            .map(|(function, _)| function.as_str())
            .collect()
    }

    /// Why the inventory says `deployed_role` is privileged (empty: it
    /// does not).
    pub fn privileges_of(&self, deployed_role: &str) -> Vec<&str> {
        self.privileged_roles
            .iter()
            .filter(|(role, _)| Self::role_matches(deployed_role, role))
            .flat_map(|(_, reasons)| reasons.iter().map(String::as_str))
            .collect()
    }
}

/// `fn CreateOrderFunction` / `函数 CreateOrderFunction` → the name:
/// labels end with the logical id, which has no spaces.
fn last_word(step: &Value) -> Option<String> {
    let label = step.get("label")?.as_str()?;
    label
        .split_whitespace()
        .last()
        .filter(|word| !word.is_empty())
        .map(str::to_string)
}

fn first_quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len]).filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/inventory/sam-vulnerable.json")
    }

    #[test]
    fn the_scan_of_the_vulnerable_sam_example_gives_functions_roles_and_privileges() {
        let inventory = load(&fixture()).unwrap();
        let expected = [
            ("CreateOrderFunction", "OrdersApiRole"),
            ("GenerateInvoiceFunction", "GenerateInvoiceFunctionRole"),
            ("GetOrderFunction", "OrdersApiRole"),
            ("ProcessPaymentFunction", "ProcessPaymentFunctionRole"),
        ];
        let got: Vec<(&str, &str)> = inventory
            .function_roles
            .iter()
            .map(|(f, r)| (f.as_str(), r.as_str()))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(
            inventory.privileged_roles["OrdersApiRole"],
            ["FG-IAM-001 allows every action on every resource"]
        );
        assert_eq!(
            inventory.privileged_roles["ProcessPaymentFunctionRole"],
            [
                "FG-IAM-004 has a privileged AWS managed policy",
                "FG-IAM-006 may pass any role"
            ]
        );
        assert!(!inventory
            .privileged_roles
            .contains_key("GenerateInvoiceFunctionRole"));
        assert_eq!(
            inventory.functions_of("orders-prod-OrdersApiRole-1RT3X9ZQ"),
            ["CreateOrderFunction", "GetOrderFunction"]
        );
        assert!(inventory.functions_of("OrdersApiRoleCopy").is_empty());
        assert_eq!(inventory.privileges_of("ordersapirole").len(), 1);
    }

    #[test]
    fn role_names_as_cloudformation_deploys_them() {
        assert!(Inventory::role_matches("OrdersApiRole", "OrdersApiRole"));
        assert!(Inventory::role_matches(
            "orders-OrdersApiRole-1A2B3C",
            "OrdersApiRole"
        ));
        assert!(Inventory::role_matches(
            "my-stack-OrdersApiRole-1A2B3C",
            "OrdersApiRole"
        ));
        assert!(!Inventory::role_matches(
            "OrdersApiRole-1A2B3C",
            "OrdersApiRole"
        ));
        assert!(!Inventory::role_matches(
            "orders-OrdersApiRoleX-1A2B3C",
            "OrdersApiRole"
        ));
        assert!(!Inventory::role_matches("orders-api-role", "OrdersApiRole"));
    }

    #[test]
    fn errors_name_the_file_and_position() {
        let err = from_json("inv.json", "{\n  \"findings\": [,]\n}").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("inv.json", 2));
        assert!(err.col > 0);
        let err = from_json("inv.json", r#"{"Records": []}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("inv.json: not a `fnguard scan"),
            "{err}"
        );
        let err = load(Path::new("/nonexistent/inventory.json")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/inventory.json"));
    }

    #[test]
    fn a_report_without_findings_is_an_empty_inventory() {
        let inventory =
            from_json("inv.json", r#"{"schema_version": "1.2.0", "findings": []}"#).unwrap();
        assert_eq!(inventory, Inventory::default());
    }
}
