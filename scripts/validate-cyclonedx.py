#!/usr/bin/env python3
"""Validate CycloneDX 1.6 JSON SBOMs against the official schema, offline.

Usage: validate-cyclonedx.py SBOM...
Uses the schemas bundled in cyclonedx-python-lib (strict validator: no
property outside the specification). Exit 0 when every file is valid; 1 with
each error (file, JSON path, message) when not; 3 when the package is
missing (run scripts/setup-test-tools.sh).
"""
import sys

try:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
except ImportError:
    sys.stderr.write(
        "python package cyclonedx-python-lib[json-validation] is missing: "
        "run scripts/setup-test-tools.sh\n"
    )
    sys.exit(3)


def main() -> int:
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    invalid = False
    for name in sys.argv[1:]:
        with open(name, encoding="utf-8") as f:
            text = f.read()
        errors = validator.validate_str(text, all_errors=True) or []
        for error in errors:
            # error.data is the jsonschema error; its str() repeats the whole
            # schema, so only the place and the message are printed.
            detail = error.data
            where = "/".join(str(p) for p in detail.absolute_path) or "<root>"
            sys.stderr.write(f"{name}: {where}: {detail.message}\n")
            invalid = True
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
