//! Reading CloudTrail records the way the detectors need: fields by path,
//! event names without their API version suffix, names out of ARNs, and
//! IAM policy documents as CloudTrail writes them (JSON in a string,
//! sometimes URL-encoded).

use serde_json::Value;

/// The text at a dotted path (`userIdentity.accessKeyId`); `None` when a
/// part is missing or the value is not text.
pub(crate) fn text<'a>(event: &'a Value, path: &str) -> Option<&'a str> {
    let mut value = event;
    for part in path.split('.') {
        value = value.get(part)?;
    }
    value.as_str()
}

/// The event name without the API version Lambda appends
/// (`CreateFunction20150331` → `CreateFunction`,
/// `UpdateFunctionConfiguration20150331v2` → `UpdateFunctionConfiguration`).
pub(crate) fn base_event_name(name: &str) -> &str {
    let without_v = match name.rfind('v') {
        Some(at) if at + 1 < name.len() && name[at + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &name[..at]
        }
        _ => name,
    };
    let digits = without_v
        .bytes()
        .rev()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits == 8 && without_v.len() > 8 {
        &without_v[..without_v.len() - 8]
    } else {
        name
    }
}

/// The call failed (AccessDenied, validation...): it changed nothing.
pub(crate) fn failed(event: &Value) -> bool {
    event.get("errorCode").is_some_and(|code| !code.is_null())
}

/// The name in an IAM ARN, after its path:
/// `arn:aws:iam::123456789012:role/service/orders` → `orders`; a bare
/// name is returned as it is.
pub(crate) fn iam_name(arn_or_name: &str) -> &str {
    let resource = arn_or_name
        .strip_prefix("arn:")
        .and_then(|rest| rest.splitn(5, ':').nth(4))
        .unwrap_or(arn_or_name);
    resource.rsplit('/').next().unwrap_or(resource)
}

/// A Lambda function name from what `functionName` may hold: a name, a
/// full ARN (`arn:aws:lambda:eu-west-1:123456789012:function:orders:prod`)
/// or a partial one (`123456789012:function:orders`).
pub(crate) fn function_name(text: &str) -> &str {
    let mut parts = text.split(':');
    while let Some(part) = parts.next() {
        if part == "function" {
            if let Some(name) = parts.next() {
                return name;
            }
        }
    }
    text
}

/// Role and session of an assumed-role ARN
/// (`arn:aws:sts::123456789012:assumed-role/orders-role/orders-create`);
/// for a Lambda execution role the session is the function's name.
pub(crate) fn assumed_role(arn: &str) -> Option<(&str, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let rest = resource.strip_prefix("assumed-role/")?;
    rest.split_once('/')
}

/// An IAM policy document as CloudTrail writes it in
/// `requestParameters.policyDocument`: JSON in a string, or that string
/// URL-encoded (`%7B%22Version%22...`). `None` when it is neither.
pub(crate) fn policy_document(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return Some(value);
    }
    serde_json::from_str(&percent_decode(text)?).ok()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The statement allows every action, or every IAM action, on every
/// resource: `Allow` with `Action` `*` or `iam:*` (alone or in a list)
/// and `Resource` `*`. Statements with `NotAction` or conditions are not
/// judged (they may be narrower than they look).
pub(crate) fn grants_admin(document: &Value) -> bool {
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => return false,
    };
    let any_of = |value: Option<&Value>, wanted: &dyn Fn(&str) -> bool| match value {
        Some(Value::String(s)) => wanted(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(wanted),
        _ => false,
    };
    statements.into_iter().any(|statement| {
        let allows = statement
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("Allow"));
        allows
            && statement.get("Condition").is_none()
            && any_of(statement.get("Action"), &|a| {
                a == "*" || a.eq_ignore_ascii_case("iam:*")
            })
            && any_of(statement.get("Resource"), &|r| r == "*")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_suffixes_are_dropped() {
        assert_eq!(base_event_name("CreateFunction20150331"), "CreateFunction");
        assert_eq!(
            base_event_name("UpdateFunctionConfiguration20150331v2"),
            "UpdateFunctionConfiguration"
        );
        assert_eq!(base_event_name("AttachRolePolicy"), "AttachRolePolicy");
        assert_eq!(base_event_name("PutRolePolicy"), "PutRolePolicy");
        assert_eq!(base_event_name("GetObjectv2"), "GetObjectv2");
        assert_eq!(base_event_name("20150331"), "20150331");
    }

    #[test]
    fn names_out_of_arns() {
        assert_eq!(
            iam_name("arn:aws:iam::123456789012:role/svc/orders"),
            "orders"
        );
        assert_eq!(
            iam_name("arn:aws-cn:iam::123456789012:role/orders"),
            "orders"
        );
        assert_eq!(iam_name("orders"), "orders");
        assert_eq!(
            function_name("arn:aws:lambda:eu-west-1:123456789012:function:orders:prod"),
            "orders"
        );
        assert_eq!(function_name("123456789012:function:orders"), "orders");
        assert_eq!(function_name("orders"), "orders");
        assert_eq!(
            assumed_role("arn:aws:sts::123456789012:assumed-role/orders-role/orders-create"),
            Some(("orders-role", "orders-create"))
        );
        assert_eq!(assumed_role("arn:aws:iam::123456789012:user/bob"), None);
    }

    #[test]
    fn policy_documents_plain_or_url_encoded() {
        let plain = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert!(grants_admin(&policy_document(plain).unwrap()));
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22s3%3AGetObject%22%2C%22iam%3A*%22%5D%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        assert!(grants_admin(&policy_document(encoded).unwrap()));
        assert!(policy_document("%7B%2").is_none());
        assert!(policy_document("not a policy").is_none());
        for narrow in [
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}]}),
            json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}),
            json!({"Version": "2012-10-17"}),
        ] {
            assert!(!grants_admin(&narrow), "{narrow}");
        }
    }

    #[test]
    fn fields_by_path() {
        let event = json!({"userIdentity": {"accessKeyId": "ASIAX", "n": 1}, "errorCode": null});
        assert_eq!(text(&event, "userIdentity.accessKeyId"), Some("ASIAX"));
        assert_eq!(text(&event, "userIdentity.n"), None);
        assert_eq!(text(&event, "userIdentity.missing.deeper"), None);
        assert!(!failed(&event));
        assert!(failed(&json!({"errorCode": "AccessDenied"})));
    }
}
