//! Schemas refused at load: each error names the JSON pointer of the
//! problem (and the file, line and column when read from a file).

mod integrity_util;

use fnguard_guard::validate::{SchemaError, Validator};
use integrity_util::TempDir;
use serde_json::{json, Value};

/// Compiles a schema that must be refused; returns (pointer, problem).
fn refused(schema: Value) -> (String, String) {
    match Validator::compile(&schema) {
        Ok(_) => panic!("{schema} should be refused"),
        Err(SchemaError::Keyword {
            file,
            pointer,
            problem,
        }) => {
            assert!(file.is_none());
            (pointer, problem)
        }
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[test]
fn unknown_keyword_is_named_with_its_pointer() {
    let (pointer, problem) =
        refused(json!({"properties": {"body": {"type": "string", "contentSchema": {}}}}));
    assert_eq!(pointer, "/properties/body/contentSchema");
    assert!(problem.contains("`contentSchema`"), "{problem}");
    let (pointer, _) = refused(json!({"$defs": {"a": {"unevaluatedProperties": false}}}));
    assert_eq!(pointer, "/$defs/a/unevaluatedProperties");
    let (pointer, _) = refused(json!({"items": {"$dynamicRef": "#x"}}));
    assert_eq!(pointer, "/items/$dynamicRef");
    // A name with `/` and `~` is escaped in the pointer.
    let (pointer, _) = refused(json!({"properties": {"a/b~c": {"minimum": "1"}}}));
    assert_eq!(pointer, "/properties/a~1b~0c/minimum");
    // Every error displays as "schema at #<pointer>: <problem>".
    let error = Validator::compile(&json!({"items": [{"typo": 1}]})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "schema at #/items/0/typo: unsupported keyword `typo`"
    );
}

#[test]
fn wrong_keyword_values() {
    let cases = [
        (json!({"type": "str"}), "/type"),
        (json!({"type": []}), "/type"),
        (json!({"required": "id"}), "/required"),
        (json!({"required": [1]}), "/required"),
        (json!({"minLength": -1}), "/minLength"),
        (json!({"maxItems": 1.5}), "/maxItems"),
        (json!({"multipleOf": 0}), "/multipleOf"),
        (json!({"enum": "a"}), "/enum"),
        (json!({"anyOf": []}), "/anyOf"),
        (json!({"allOf": {}}), "/allOf"),
        (json!({"properties": []}), "/properties"),
        (json!({"properties": {"a": 1}}), "/properties/a"),
        (json!({"uniqueItems": 1}), "/uniqueItems"),
        (json!({"pattern": 5}), "/pattern"),
        (json!({"minimum": "0"}), "/minimum"),
        (
            json!({"exclusiveMinimum": true, "minimum": 1}),
            "/exclusiveMinimum",
        ),
        (json!({"additionalItems": false}), "/additionalItems"),
        (
            json!({"dependentRequired": {"a": "b"}}),
            "/dependentRequired/a",
        ),
        (json!("string schema"), ""),
    ];
    for (schema, expected) in cases {
        let (pointer, problem) = refused(schema.clone());
        assert_eq!(pointer, expected, "{schema}: {problem}");
    }
}

#[test]
fn unsupported_formats_and_regexes() {
    let (pointer, problem) = refused(json!({"properties": {"n": {"format": "int64"}}}));
    assert_eq!(pointer, "/properties/n/format");
    assert!(
        problem.contains("\"int64\"") && problem.contains("date-time"),
        "{problem}"
    );
    // Look-around is not in the regex crate's syntax: refused, not ignored.
    let (pointer, problem) = refused(json!({"pattern": "^(?!admin)"}));
    assert_eq!(pointer, "/pattern");
    assert!(problem.contains("regular expression"), "{problem}");
    // An empty class means something else to the regex crate.
    let (pointer, problem) = refused(json!({"pattern": "^[]$"}));
    assert_eq!(pointer, "/pattern");
    assert!(problem.contains("empty class"), "{problem}");
    let (pointer, _) = refused(json!({"patternProperties": {"(": {}}}));
    assert_eq!(pointer, "/patternProperties/(");
}

#[test]
fn refs_must_be_local_and_resolvable() {
    let (pointer, problem) = refused(json!({"$ref": "https://example.com/schema.json"}));
    assert_eq!(pointer, "/$ref");
    assert!(problem.contains("local"), "{problem}");
    let (pointer, _) = refused(json!({"$ref": "other.json#/a"}));
    assert_eq!(pointer, "/$ref");
    let (pointer, problem) = refused(json!({"properties": {"a": {"$ref": "#/$defs/missing"}}}));
    assert_eq!(pointer, "/properties/a/$ref");
    assert!(problem.contains("#/$defs/missing"), "{problem}");
    // A pointer to a value that is not a schema (inside `enum`).
    let (_, problem) = refused(json!({"enum": [{}], "properties": {"a": {"$ref": "#/enum/0"}}}));
    assert!(problem.contains("not a schema"), "{problem}");
    let (pointer, _) = refused(json!({"$ref": "#/$defs/a%zz"}));
    assert_eq!(pointer, "/$ref");
    // An embedded `$id` would change what `#/...` means below it.
    let (pointer, problem) = refused(json!({
        "$id": "https://example.com/root.json",
        "$defs": {"a": {"$id": "a.json", "$defs": {"x": {}}, "$ref": "#/$defs/x"}, "x": {}}
    }));
    assert_eq!(pointer, "/$defs/a/$id");
    assert!(problem.contains("below the root"), "{problem}");
}

#[test]
fn drafts() {
    let (pointer, _) = refused(json!({"$schema": "http://json-schema.org/draft-03/schema#"}));
    assert_eq!(pointer, "/$schema");
    // Draft-07 ignores keywords beside $ref: refused so nothing is silently
    // dropped, with the fix in the message.
    let (pointer, problem) = refused(json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"s": {"type": "string"}},
        "$ref": "#/definitions/s",
        "maxLength": 3
    }));
    assert_eq!(pointer, "/maxLength");
    assert!(problem.contains("allOf"), "{problem}");
    // The usual draft-07 root: a $ref beside definitions and annotations.
    let draft07 = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Event",
        "$ref": "#/definitions/Event",
        "definitions": {"Event": {"type": "object", "required": ["id"]}}
    });
    let validator = Validator::compile(&draft07).unwrap();
    assert!(validator.validate(br#"{"id": 1}"#, 100).is_ok());
    assert!(validator.validate(br#"{}"#, 100).is_err());
    // Draft-04 needs booleans for exclusive bounds; later drafts numbers.
    let (pointer, _) = refused(json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "exclusiveMinimum": 3
    }));
    assert_eq!(pointer, "/exclusiveMinimum");
}

#[test]
fn schema_nested_too_deep_is_refused_not_overflowed() {
    // Built in memory (a file would stop at serde_json's limit first), then
    // compiled on a small thread stack, as a tokio worker has.
    let mut schema = json!({"type": "string"});
    for _ in 0..10_000 {
        // Not `json!`: it would serialize (recursively) the value inside.
        let mut wrapper = serde_json::Map::new();
        wrapper.insert("items".into(), schema);
        schema = Value::Object(wrapper);
    }
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let result = Validator::compile(&schema)
                .map(|_| ())
                .map_err(|e| e.to_string());
            // Dropping a 10,000-deep value recurses too; leak it on purpose
            // as this thread's stack is the thing under test.
            std::mem::forget(schema);
            result
        })
        .unwrap()
        .join()
        .unwrap();
    let message = outcome.unwrap_err();
    assert!(message.contains("deeper than 128"), "{message}");
}

#[test]
fn from_file_names_file_line_and_column() {
    let dir = TempDir::new("load");
    let good = dir.path().join("good.json");
    std::fs::write(&good, r#"{"type": "object", "required": ["id"]}"#).unwrap();
    let validator = Validator::from_file(&good).unwrap();
    assert!(validator.validate(br#"{"id": 1}"#, 100).is_ok());

    let syntax = dir.path().join("syntax.json");
    std::fs::write(
        &syntax,
        "{\n  \"type\": \"object\",\n  \"required\": [\"id\",]\n}\n",
    )
    .unwrap();
    match Validator::from_file(&syntax).unwrap_err() {
        SchemaError::Syntax {
            path, line, col, ..
        } => {
            assert_eq!(path, syntax);
            // The `]` after the trailing comma.
            assert_eq!((line, col), (3, 21));
        }
        other => panic!("{other}"),
    }
    let shown = Validator::from_file(&syntax).unwrap_err().to_string();
    assert!(
        shown.starts_with(&format!("schema file {}:3:21: ", syntax.display())),
        "{shown}"
    );

    let keyword = dir.path().join("keyword.json");
    std::fs::write(&keyword, r#"{"properties": {"a": {"maxLenght": 3}}}"#).unwrap();
    let error = Validator::from_file(&keyword).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}: schema at #/properties/a/maxLenght: unsupported keyword `maxLenght`",
            keyword.display()
        )
    );

    let missing = dir.path().join("missing.json");
    assert!(matches!(
        Validator::from_file(&missing),
        Err(SchemaError::Read { .. })
    ));
    // A directory is not a schema file.
    assert!(matches!(
        Validator::from_file(dir.path()),
        Err(SchemaError::Read { .. })
    ));
}

#[test]
fn from_file_refuses_oversized_files_unread() {
    let dir = TempDir::new("big");
    let big = dir.path().join("big.json");
    let file = std::fs::File::create(&big).unwrap();
    // Sparse: no disk used.
    file.set_len(fnguard_guard::validate::MAX_SCHEMA_FILE_BYTES + 1)
        .unwrap();
    match Validator::from_file(&big).unwrap_err() {
        SchemaError::TooLarge { size, limit, .. } => assert!(size > limit),
        other => panic!("{other}"),
    }
}
