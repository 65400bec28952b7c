#!/usr/bin/env python3
"""Validate a JSON document against a JSON Schema (draft picked from its $schema).

Usage: validate-json-schema.py SCHEMA DOCUMENT
Exit 0 when valid; 1 with every error listed when not; 3 when the
`jsonschema` package is missing (run scripts/setup-test-tools.sh).
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    sys.stderr.write("python package jsonschema is missing: run scripts/setup-test-tools.sh\n")
    sys.exit(3)


def main() -> int:
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        document = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(document), key=lambda e: list(e.path))
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        sys.stderr.write(f"{where}: {error.message}\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
