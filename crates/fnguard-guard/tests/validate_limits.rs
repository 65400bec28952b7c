//! Size, syntax, depth and work limits, and what error messages may say.
//! Deep cases run on a 2 MiB thread stack (a tokio worker's default), in
//! the debug build, where frames are largest.

use fnguard_guard::validate::{Rejection, Validator};
use serde_json::json;

fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(work)
        .unwrap()
        .join()
        .unwrap()
}

fn any_object() -> Validator {
    Validator::compile(&json!({"type": "object"})).unwrap()
}

#[test]
fn size_is_checked_before_parsing() {
    let validator = any_object();
    let event = br#"{"a": 1}"#;
    assert_eq!(validator.validate(event, event.len()), Ok(()));
    assert_eq!(
        validator.validate(event, event.len() - 1),
        Err(Rejection::TooLarge { size: 8, limit: 7 })
    );
    // Not JSON at all, but too large is what is said: it was never parsed.
    let garbage = vec![b'{'; 1000];
    assert_eq!(
        validator.validate(&garbage, 999),
        Err(Rejection::TooLarge {
            size: 1000,
            limit: 999
        })
    );
}

#[test]
fn malformed_json_has_position_and_no_input_text() {
    let validator = any_object();
    let cases: [(&[u8], usize, usize); 5] = [
        (b"{\"token\": \"hunter2\"", 1, 19),
        (b"{\n  \"token\": hunter2}", 2, 12),
        (b"", 1, 0),
        (b"{\"token\": \"a\"} hunter2", 1, 16),
        (b"{\"token\": \"\xff\"}", 1, 12),
    ];
    for (event, line, col) in cases {
        match validator.validate(event, 1000) {
            Err(Rejection::Malformed {
                line: l,
                col: c,
                message,
            }) => {
                assert_eq!((l, c), (line, col), "{message}");
                assert!(!message.contains("hunter2"), "{message}");
                assert!(
                    !message.contains(" at line "),
                    "position is in the fields: {message}"
                );
            }
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(event)),
        }
    }
}

#[test]
fn hundred_thousand_nested_arrays_are_malformed_not_a_crash() {
    let outcome = on_small_stack(|| {
        // Without a value limit, so the parser's depth limit is what stops
        // it (the default limit would refuse 100,000 arrays first).
        let validator = Validator::compile(&json!({"items": {"$ref": "#"}}))
            .unwrap()
            .with_max_values(usize::MAX);
        let mut deep = vec![b'['; 100_000];
        deep.extend(vec![b']'; 100_000]);
        let arrays = validator.validate(&deep, 1 << 20);
        let mut deep = b"{\"a\":".repeat(100_000);
        deep.extend(vec![b'}'; 100_000]);
        (arrays, validator.validate(&deep, 1 << 20))
    });
    for outcome in [outcome.0, outcome.1] {
        match outcome {
            Err(Rejection::Malformed {
                line: 1,
                col,
                message,
            }) => {
                assert!(message.contains("recursion limit"), "{message}");
                // Stopped at depth 128 (5 bytes a level for `{"a":`).
                assert!(col <= 129 * 5, "{col}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn deepest_accepted_event_validates_on_a_small_stack() {
    // 127 levels parse (serde_json's limit is 128); a schema recursing
    // through each of them stays within the stack and names the innermost
    // path on error.
    let outcome = on_small_stack(|| {
        let validator = Validator::compile(&json!({
            "anyOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#"}}]
        }))
        .unwrap();
        let ok = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        let bad = format!("{}\"s\"{}", "[".repeat(127), "]".repeat(127));
        let strict = Validator::compile(&json!({
            "$defs": {"n": {"oneOf": [{"type": "integer"}, {"items": {"$ref": "#/$defs/n"}, "type": "array"}]}},
            "allOf": [{"$ref": "#/$defs/n"}],
            "items": {"items": {"items": {"type": "array"}}}
        }))
        .unwrap();
        (
            validator.validate(ok.as_bytes(), 1 << 20),
            validator.validate(bad.as_bytes(), 1 << 20),
            strict.validate(ok.as_bytes(), 1 << 20),
        )
    });
    assert_eq!(outcome.0, Ok(()));
    assert!(
        matches!(outcome.1, Err(Rejection::Invalid { ref errors }) if errors[0].keyword == "anyOf")
    );
    assert_eq!(outcome.2, Ok(()));
}

#[test]
fn ref_cycle_is_rejected_not_overflowed_even_under_not() {
    let outcome = on_small_stack(|| {
        let cycle = Validator::compile(&json!({"$ref": "#"})).unwrap();
        let negated = Validator::compile(
            &json!({"$defs": {"a": {"$ref": "#/$defs/a"}}, "not": {"$ref": "#/$defs/a"}}),
        )
        .unwrap();
        (cycle.validate(b"{}", 100), negated.validate(b"{}", 100))
    });
    for outcome in [outcome.0, outcome.1] {
        match outcome {
            Err(Rejection::Invalid { errors }) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].keyword, "$ref");
                assert!(errors[0].message.contains("cycle"), "{}", errors[0].message);
            }
            other => panic!("a cut-short branch must not pass: {other:?}"),
        }
    }
}

#[test]
fn exponential_schema_hits_the_step_budget() {
    // The string at the bottom fails both branches, so each level tries
    // both: 2^60 applications without a budget.
    let validator = Validator::compile(&json!({
        "$defs": {"a": {"anyOf": [
            {"type": "array", "items": {"$ref": "#/$defs/a"}},
            {"type": "array", "items": {"$ref": "#/$defs/a"}, "minItems": 0},
        ]}},
        "$ref": "#/$defs/a"
    }))
    .unwrap();
    let event = format!("{}\"leaf\"{}", "[".repeat(60), "]".repeat(60));
    let started = std::time::Instant::now();
    match validator.validate(event.as_bytes(), 1 << 20) {
        Err(Rejection::Invalid { errors }) => {
            assert_eq!(errors.len(), 1);
            assert!(
                errors[0].message.contains("schema applications"),
                "{:?}",
                errors[0]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn messages_never_quote_event_values() {
    let secret = "AKIAEXAMPLESECRET123";
    let number = 987654321;
    let schema = json!({
        "properties": {
            "a": {"pattern": "^\\d+$"},
            "b": {"enum": ["x", "y"]},
            "c": {"const": "fixed"},
            "d": {"maxLength": 3},
            "e": {"format": "email"},
            "f": {"type": "integer"},
            "g": {"maximum": 10},
            "h": {"multipleOf": 2},
            "i": {"not": {"type": "string"}},
            "j": {"uniqueItems": true}
        }
    });
    let event = json!({
        "a": secret, "b": secret, "c": secret, "d": secret, "e": secret,
        "f": secret, "g": number, "h": number, "i": secret, "j": [secret, secret]
    });
    let validator = Validator::compile(&schema).unwrap();
    match validator.validate(event.to_string().as_bytes(), 1 << 20) {
        Err(rejection @ Rejection::Invalid { .. }) => {
            let Rejection::Invalid { errors } = &rejection else {
                unreachable!()
            };
            assert_eq!(errors.len(), 10, "{errors:?}");
            let shown = rejection.to_string();
            assert!(
                !shown.contains(secret) && !shown.contains(&number.to_string()),
                "{shown}"
            );
            // The schema's own values are fine to name, as written (not as
            // translated for the regex crate).
            assert!(
                shown.contains(r#"pattern "^\\d+$""#) && shown.contains("10"),
                "{shown}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn long_property_names_are_cut_in_paths() {
    let validator = Validator::compile(&json!({"additionalProperties": false})).unwrap();
    let key = format!("{}é{}", "k".repeat(63), "x".repeat(10_000));
    let event = json!({ key: 1 });
    match validator.validate(event.to_string().as_bytes(), 1 << 20) {
        Err(Rejection::Invalid { errors }) => {
            // 63 bytes, then `é` would cross byte 64: cut before it.
            assert_eq!(errors[0].instance_path, format!("/{}…", "k".repeat(63)));
        }
        other => panic!("{other:?}"),
    }
    let slash = json!({"a/b~c": 1});
    match validator.validate(slash.to_string().as_bytes(), 100) {
        Err(Rejection::Invalid { errors }) => assert_eq!(errors[0].instance_path, "/a~1b~0c"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejection_reason_and_display() {
    let validator = Validator::compile(&json!({"required": ["id"]})).unwrap();
    let invalid = validator.validate(b"{}", 100).unwrap_err();
    assert_eq!(invalid.reason(), "invalid");
    assert_eq!(
        invalid.to_string(),
        "event does not match the schema: at # (required): required property \"id\" is missing"
    );
    assert_eq!(
        validator.validate(b"{}", 1).unwrap_err().reason(),
        "too_large"
    );
    assert_eq!(
        validator.validate(b"{", 10).unwrap_err().reason(),
        "malformed"
    );
}

#[test]
fn evaluation_depth_cap_fits_a_small_stack_with_objects_in_the_chain() {
    // Four schema applications per level of the event (properties, allOf,
    // allOf, $ref): the depth cap stops the walk before the event's bottom,
    // with object frames in the chain too.
    let outcome = on_small_stack(|| {
        let validator = Validator::compile(&json!({
            "properties": {"a": {"allOf": [{"allOf": [{"$ref": "#"}]}]}}
        }))
        .unwrap();
        let event = format!("{}1{}", "{\"a\":".repeat(127), "}".repeat(127));
        validator.validate(event.as_bytes(), 1 << 20)
    });
    match outcome {
        Err(Rejection::Invalid { errors }) => {
            assert!(
                errors[0].message.contains("nested deeper than"),
                "{errors:?}"
            );
            assert!(errors[0].instance_path.starts_with("/a/a/a/"), "{errors:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn validator_is_shared_across_threads() {
    // The proxy compiles once and validates from any tokio worker.
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    let validator = std::sync::Arc::new(any_object());
    shareable(&validator);
    let worker = {
        let validator = validator.clone();
        std::thread::spawn(move || validator.validate(b"[]", 10))
    };
    assert!(matches!(
        worker.join().unwrap(),
        Err(Rejection::Invalid { .. })
    ));
    assert_eq!(validator.validate(b"{}", 10), Ok(()));
}

#[test]
fn values_are_counted_before_parsing() {
    let validator = Validator::compile(&json!({"type": "array"})).unwrap();
    // An array and nine numbers: ten values.
    let ten = b"[0,0,0,0,0,0,0,0,0]";
    assert_eq!(validator.validate(ten, 100), Ok(()));
    let strict = Validator::compile(&json!({"type": "array"}))
        .unwrap()
        .with_max_values(9);
    assert_eq!(
        strict.validate(ten, 100),
        Err(Rejection::TooManyValues { limit: 9 })
    );
    assert_eq!(
        strict.validate(ten, 100).unwrap_err().reason(),
        "too_many_values"
    );
    // Separators inside strings (escaped quotes included) are not values.
    let two = Validator::compile(&json!({"type": "array"}))
        .unwrap()
        .with_max_values(2);
    assert_eq!(two.validate(br#"["a,b,[{\",,{[\\"]"#, 100), Ok(()));
    assert_eq!(
        two.validate(br#"["a",{}]"#, 100),
        Err(Rejection::TooManyValues { limit: 2 })
    );
}

#[test]
fn default_value_limit_refuses_a_megabyte_of_tiny_objects() {
    // 1 MB of `{"a":1},` parses into about 60 MB; refused before that.
    let event = format!("[{}{{}}]", "{\"a\":1},".repeat((1 << 20) / 8));
    match any_object().validate(event.as_bytes(), 2 << 20) {
        Err(Rejection::TooManyValues { limit }) => {
            assert_eq!(limit, fnguard_guard::validate::DEFAULT_MAX_VALUES);
        }
        other => panic!("{other:?}"),
    }
    // A megabyte in one string is one value.
    let body = format!("{{\"body\":\"{}\"}}", "x".repeat(1 << 20));
    assert_eq!(any_object().validate(body.as_bytes(), 2 << 20), Ok(()));
}

#[test]
fn rejection_details_for_the_security_log() {
    let validator = Validator::compile(&json!({"properties": {"pin": {"maxLength": 4}}})).unwrap();
    let invalid = validator
        .validate(br#"{"pin": "123456"}"#, 100)
        .unwrap_err();
    assert_eq!(
        invalid.details(),
        json!({"reason": "invalid", "errors": [{
            "instance_path": "/pin", "keyword": "maxLength",
            "message": "string is longer than 4 characters"
        }]})
    );
    assert!(!invalid.details().to_string().contains("123456"));
    assert_eq!(
        validator.validate(b"{}", 1).unwrap_err().details(),
        json!({"reason": "too_large", "size": 2, "limit": 1})
    );
    assert_eq!(
        validator
            .validate(b"{\"pin\": 12", 100)
            .unwrap_err()
            .details(),
        json!({"reason": "malformed", "line": 1, "col": 10, "message": "EOF while parsing an object"})
    );
    let strict = Validator::compile(&json!({})).unwrap().with_max_values(1);
    assert_eq!(
        strict.validate(b"[1]", 100).unwrap_err().details(),
        json!({"reason": "too_many_values", "limit": 1})
    );
}
