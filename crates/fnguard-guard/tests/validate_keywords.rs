//! Each supported keyword, one passing and one failing event (at least),
//! through the public API on raw bytes as the proxy calls it.

use fnguard_guard::validate::{Rejection, ValidationError, Validator};
use serde_json::{json, Value};

const LIMIT: usize = 1 << 20;

fn check(schema: &Value, event: &Value) -> Result<(), Vec<ValidationError>> {
    let validator = Validator::compile(schema).expect("schema compiles");
    match validator.validate(&serde_json::to_vec(event).unwrap(), LIMIT) {
        Ok(()) => Ok(()),
        Err(Rejection::Invalid { errors }) => Err(errors),
        Err(other) => panic!("unexpected rejection {other:?}"),
    }
}

/// Asserts the event passes.
fn pass(schema: Value, event: Value) {
    if let Err(errors) = check(&schema, &event) {
        panic!("{event} should match {schema}: {errors:?}");
    }
}

/// Asserts the event fails with exactly one error, on `keyword` at `path`.
fn fail(schema: Value, event: Value, keyword: &str, path: &str) {
    match check(&schema, &event) {
        Ok(()) => panic!("{event} should not match {schema}"),
        Err(errors) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].keyword, keyword, "{errors:?}");
            assert_eq!(errors[0].instance_path, path, "{errors:?}");
        }
    }
}

#[test]
fn type_single_and_list() {
    pass(json!({"type": "string"}), json!("a"));
    fail(json!({"type": "string"}), json!(1), "type", "");
    pass(json!({"type": ["null", "object"]}), json!(null));
    fail(json!({"type": ["null", "object"]}), json!([]), "type", "");
    pass(json!({"type": "integer"}), json!(3));
    pass(json!({"type": "integer"}), json!(3.0));
    fail(json!({"type": "integer"}), json!(3.5), "type", "");
    pass(json!({"type": "number"}), json!(3));
    fail(json!({"type": "boolean"}), json!("true"), "type", "");
}

#[test]
fn enum_and_const_compare_as_json() {
    pass(json!({"enum": ["GET", "POST", 1]}), json!("POST"));
    pass(json!({"enum": ["GET", 1]}), json!(1.0));
    fail(
        json!({"enum": ["GET", "POST"]}),
        json!("DELETE"),
        "enum",
        "",
    );
    pass(
        json!({"const": {"a": [1, 2], "b": null}}),
        json!({"b": null, "a": [1.0, 2]}),
    );
    fail(
        json!({"const": {"a": [1, 2]}}),
        json!({"a": [2, 1]}),
        "const",
        "",
    );
    fail(json!({"const": false}), json!(0), "const", "");
}

#[test]
fn properties_and_required() {
    let schema = json!({
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}
    });
    pass(schema.clone(), json!({"id": "x", "n": 2, "other": true}));
    fail(schema.clone(), json!({"n": 2}), "required", "");
    fail(schema, json!({"id": 7}), "type", "/id");
}

#[test]
fn object_keywords_ignore_other_types() {
    pass(json!({"required": ["a"], "minProperties": 2}), json!([1]));
    pass(json!({"minItems": 2}), json!({}));
    pass(json!({"minLength": 2}), json!(1));
    pass(json!({"minimum": 2}), json!("1"));
}

#[test]
fn additional_properties_bool_and_schema() {
    let closed = json!({"properties": {"a": {}}, "additionalProperties": false});
    pass(closed.clone(), json!({"a": 1}));
    fail(
        closed,
        json!({"a": 1, "b": 2}),
        "additionalProperties",
        "/b",
    );
    let typed = json!({"properties": {"a": {}}, "additionalProperties": {"type": "string"}});
    pass(typed.clone(), json!({"a": 1, "b": "x"}));
    fail(typed, json!({"a": 1, "b": 2}), "type", "/b");
}

#[test]
fn pattern_properties_and_additional() {
    let schema = json!({
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": false
    });
    pass(schema.clone(), json!({"x-trace": "abc"}));
    fail(schema.clone(), json!({"x-trace": 1}), "type", "/x-trace");
    fail(
        schema,
        json!({"trace": "abc"}),
        "additionalProperties",
        "/trace",
    );
}

#[test]
fn property_names_and_counts() {
    let names = json!({"propertyNames": {"pattern": "^[a-z]+$"}});
    pass(names.clone(), json!({"abc": 1}));
    fail(names, json!({"Abc": 1}), "pattern", "/Abc");
    pass(
        json!({"minProperties": 1, "maxProperties": 2}),
        json!({"a": 1}),
    );
    fail(json!({"minProperties": 1}), json!({}), "minProperties", "");
    fail(
        json!({"maxProperties": 1}),
        json!({"a": 1, "b": 2}),
        "maxProperties",
        "",
    );
}

#[test]
fn dependent_required_and_schemas() {
    let schema = json!({"dependentRequired": {"card": ["billing"]}});
    pass(schema.clone(), json!({"card": 1, "billing": 2}));
    pass(schema.clone(), json!({"billing": 2}));
    fail(schema, json!({"card": 1}), "dependentRequired", "");
    let legacy = json!({"dependencies": {"card": ["billing"], "b": {"required": ["c"]}}});
    fail(legacy.clone(), json!({"card": 1}), "dependentRequired", "");
    fail(legacy.clone(), json!({"b": 1}), "required", "");
    pass(legacy, json!({"b": 1, "c": 2}));
    let schemas = json!({"dependentSchemas": {"a": {"properties": {"b": {"type": "integer"}}}}});
    pass(schemas.clone(), json!({"b": "free without a"}));
    fail(schemas, json!({"a": 0, "b": "x"}), "type", "/b");
}

#[test]
fn items_and_prefix_items() {
    let schema = json!({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}});
    pass(schema.clone(), json!(["a", 1, 2]));
    fail(schema.clone(), json!([1, 1]), "type", "/0");
    fail(schema, json!(["a", 1, "b"]), "type", "/2");
    let all = json!({"items": {"type": "integer"}});
    pass(all.clone(), json!([]));
    fail(all, json!([1, "x"]), "type", "/1");
    let closed = json!({"prefixItems": [{}], "items": false});
    pass(closed.clone(), json!([1]));
    fail(closed, json!([1, 2]), "false", "/1");
}

#[test]
fn draft_07_tuple_items_and_additional_items() {
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "items": [{"type": "string"}, {"type": "integer"}],
        "additionalItems": false
    });
    pass(schema.clone(), json!(["a", 1]));
    fail(schema.clone(), json!(["a", "b"]), "type", "/1");
    fail(schema, json!(["a", 1, null]), "false", "/2");
}

#[test]
fn contains_min_max() {
    let schema = json!({"contains": {"const": 1}, "maxContains": 2});
    pass(schema.clone(), json!([0, 1]));
    fail(schema.clone(), json!([0, 2]), "contains", "");
    fail(schema, json!([1, 1, 1]), "maxContains", "");
    pass(
        json!({"contains": {"const": 1}, "minContains": 0}),
        json!([]),
    );
    fail(
        json!({"contains": {"const": 1}, "minContains": 2}),
        json!([1]),
        "contains",
        "",
    );
}

#[test]
fn min_max_unique_items() {
    pass(json!({"minItems": 1, "maxItems": 2}), json!([1]));
    fail(json!({"minItems": 1}), json!([]), "minItems", "");
    fail(json!({"maxItems": 1}), json!([1, 2]), "maxItems", "");
    pass(
        json!({"uniqueItems": true}),
        json!([1, "1", [1], {"a": 1}, {"a": 2}]),
    );
    fail(
        json!({"uniqueItems": true}),
        json!([{"a": 1, "b": 2}, 3, {"b": 2, "a": 1.0}]),
        "uniqueItems",
        "",
    );
    fail(
        json!({"uniqueItems": true}),
        json!([1, 1.0]),
        "uniqueItems",
        "",
    );
    pass(json!({"uniqueItems": false}), json!([1, 1]));
}

#[test]
fn string_lengths_count_code_points() {
    pass(json!({"minLength": 2, "maxLength": 3}), json!("éé"));
    fail(json!({"minLength": 2}), json!("é"), "minLength", "");
    fail(json!({"maxLength": 3}), json!("abcd"), "maxLength", "");
    pass(json!({"maxLength": 1}), json!("😀"));
}

#[test]
fn pattern_is_unanchored_search() {
    pass(
        json!({"pattern": "^arn:aws:"}),
        json!("arn:aws:s3:::bucket"),
    );
    pass(json!({"pattern": "[0-9]+"}), json!("abc123"));
    fail(
        json!({"pattern": "^arn:aws:"}),
        json!("ARN:aws:"),
        "pattern",
        "",
    );
}

#[test]
fn pattern_follows_ecma_262_where_the_regex_crate_differs() {
    // `\d` and `\w` are ASCII in ECMA-262: Arabic-Indic digits are not digits.
    pass(json!({"pattern": "^\\d+$"}), json!("42"));
    fail(json!({"pattern": "^\\d+$"}), json!("٤٢"), "pattern", "");
    fail(json!({"pattern": "^\\w+$"}), json!("é"), "pattern", "");
    // `$` is the end of the input, not before a final newline.
    fail(json!({"pattern": "^[0-9]+$"}), json!("42\n"), "pattern", "");
    // `[` and `&&` in a class are literal characters.
    pass(json!({"pattern": "^[[&]+$"}), json!("[&["));
    fail(json!({"pattern": "^[a&&b]$"}), json!("c"), "pattern", "");
    pass(json!({"pattern": "^[a&&b]$"}), json!("&"));
    // `\b` is an ASCII word boundary: `é` is not a word character there.
    pass(json!({"pattern": "\\bid\\b"}), json!("the id field"));
    pass(json!({"pattern": "\\bid\\b"}), json!("éidé"));
    fail(
        json!({"pattern": "\\bid\\b"}),
        json!("kid_s"),
        "pattern",
        "",
    );
}

#[test]
fn formats() {
    let cases = [
        ("date-time", "2024-05-01T10:00:00.000Z", "2024-05-01"),
        ("date", "2024-05-01", "2024-05-32"),
        ("time", "10:00:00+02:00", "10:00"),
        ("email", "a.b@example.com", "a.b@"),
        ("uuid", "c0a80121-7ac0-4e1c-9a8f-3b1e2b1e2b1e", "c0a80121"),
        ("ipv4", "10.0.0.1", "10.0.0.256"),
        ("ipv6", "::1", "::g"),
        ("uri", "https://example.com/x", "example.com/x"),
        ("hostname", "example.com", "exa mple.com"),
    ];
    for (format, good, bad) in cases {
        pass(json!({"format": format}), json!(good));
        fail(json!({"format": format}), json!(bad), "format", "");
    }
    // Formats apply to strings only.
    pass(json!({"format": "email"}), json!(12));
}

#[test]
fn numeric_bounds() {
    pass(json!({"minimum": 1, "maximum": 3}), json!(1));
    pass(json!({"minimum": 1, "maximum": 3}), json!(3.0));
    fail(json!({"minimum": 1}), json!(0.999), "minimum", "");
    fail(json!({"maximum": 3}), json!(4), "maximum", "");
    pass(
        json!({"exclusiveMinimum": 1, "exclusiveMaximum": 3}),
        json!(2),
    );
    fail(
        json!({"exclusiveMinimum": 1}),
        json!(1),
        "exclusiveMinimum",
        "",
    );
    fail(
        json!({"exclusiveMaximum": 3}),
        json!(3),
        "exclusiveMaximum",
        "",
    );
    // Integers beyond f64 precision still compare exactly.
    fail(
        json!({"maximum": 9007199254740992u64}),
        json!(9007199254740993u64),
        "maximum",
        "",
    );
    pass(json!({"minimum": -1}), json!(u64::MAX));
}

#[test]
fn draft_04_boolean_exclusive_bounds() {
    let schema = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "id": "urn:example",
        "minimum": 0, "exclusiveMinimum": true,
        "maximum": 10, "exclusiveMaximum": false
    });
    pass(schema.clone(), json!(10));
    fail(schema, json!(0), "exclusiveMinimum", "");
}

#[test]
fn multiple_of_integer_and_fraction() {
    pass(json!({"multipleOf": 5}), json!(25));
    fail(json!({"multipleOf": 5}), json!(26), "multipleOf", "");
    pass(json!({"multipleOf": 0.01}), json!(19.99));
    pass(json!({"multipleOf": 0.1}), json!(0.3));
    fail(json!({"multipleOf": 0.01}), json!(19.995), "multipleOf", "");
    // 1e308 is an even integer, held as a float.
    pass(json!({"multipleOf": 2}), json!(1e308));
    fail(json!({"multipleOf": 2}), json!(2.5), "multipleOf", "");
}

#[test]
fn all_any_one_not() {
    let all = json!({"allOf": [{"type": "integer"}, {"minimum": 2}]});
    pass(all.clone(), json!(3));
    fail(all, json!(1), "minimum", "");
    let any = json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
    pass(any.clone(), json!(null));
    fail(any, json!(1), "anyOf", "");
    let one = json!({"oneOf": [{"type": "integer"}, {"minimum": 2}]});
    pass(one.clone(), json!(1));
    pass(one.clone(), json!(2.5));
    fail(one.clone(), json!(3), "oneOf", "");
    fail(one, json!(1.5), "oneOf", "");
    let not = json!({"not": {"type": "string"}});
    pass(not.clone(), json!(1));
    fail(not, json!("x"), "not", "");
}

#[test]
fn if_then_else() {
    let schema = json!({
        "if": {"properties": {"kind": {"const": "card"}}, "required": ["kind"]},
        "then": {"required": ["number"]},
        "else": {"required": ["iban"]}
    });
    pass(schema.clone(), json!({"kind": "card", "number": "x"}));
    fail(schema.clone(), json!({"kind": "card"}), "required", "");
    pass(schema.clone(), json!({"kind": "bank", "iban": "x"}));
    fail(schema, json!({"kind": "bank"}), "required", "");
    // `then` alone: nothing is required when `if` fails.
    pass(json!({"if": {"const": 1}, "then": {"const": 2}}), json!(5));
}

#[test]
fn local_refs_to_defs_definitions_and_root() {
    let schema = json!({
        "$defs": {"id": {"type": "string", "pattern": "^[a-f0-9]+$"}},
        "definitions": {"list": {"type": "array", "items": {"$ref": "#/$defs/id"}}},
        "properties": {"ids": {"$ref": "#/definitions/list"}, "self": {"$ref": "#"}}
    });
    pass(
        schema.clone(),
        json!({"ids": ["ab", "01"], "self": {"ids": []}}),
    );
    fail(
        schema.clone(),
        json!({"ids": ["ab", "zz"]}),
        "pattern",
        "/ids/1",
    );
    fail(
        schema,
        json!({"self": {"self": {"ids": [1]}}}),
        "type",
        "/self/self/ids/0",
    );
    // Escaped names: `~1` is `/`, `%25` is `%`.
    let escaped = json!({"$defs": {"a/b%c": {"const": 1}}, "$ref": "#/$defs/a~1b%25c"});
    pass(escaped.clone(), json!(1));
    fail(escaped, json!(2), "const", "");
}

#[test]
fn ref_siblings_apply_in_2020_12() {
    let schema = json!({"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "maxLength": 2});
    pass(schema.clone(), json!("ab"));
    fail(schema, json!("abc"), "maxLength", "");
}

#[test]
fn boolean_schemas() {
    pass(json!(true), json!({"anything": [1]}));
    fail(json!(false), json!(null), "false", "");
}

#[test]
fn annotations_are_accepted_and_ignored() {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.com/event", "$comment": "c", "title": "t",
        "description": "d", "examples": [1], "default": 1, "deprecated": false,
        "readOnly": true, "writeOnly": false, "type": "integer"
    });
    pass(schema.clone(), json!(1));
    fail(schema, json!("1"), "type", "");
}

#[test]
fn errors_are_collected_and_capped_at_ten() {
    let schema = json!({"additionalProperties": {"type": "integer"}});
    let event: serde_json::Map<String, Value> =
        (0..25).map(|i| (format!("k{i}"), json!("s"))).collect();
    let errors = check(&schema, &Value::Object(event)).unwrap_err();
    assert_eq!(errors.len(), 10);
    assert!(errors.iter().all(|e| e.keyword == "type"));
    // Several keywords fail on one value: each is reported.
    let errors = check(
        &json!({"required": ["a", "b"], "minProperties": 3}),
        &json!({}),
    )
    .unwrap_err();
    let keywords: Vec<_> = errors.iter().map(|e| e.keyword).collect();
    assert_eq!(keywords, ["required", "required", "minProperties"]);
}
