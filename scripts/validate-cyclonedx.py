#!/usr/bin/env python3
"""Validate CycloneDX 1.6 JSON SBOMs against the official schema, offline.

Usage: validate-cyclonedx.py SBOM...
Uses the schemas bundled in cyclonedx-python-lib (strict validator: no
property outside the specification). The schema leaves package URLs as plain
strings, so each component's purl is also parsed with packageurl-python (a
dependency of the same package) and its version compared with the
component's. Exit 0 when every file is valid; 1 with
each error (file, JSON path, message) when not; 3 when the package is
missing (run scripts/setup-test-tools.sh).
"""
import json
import sys

try:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from packageurl import PackageURL
except ImportError:
    sys.stderr.write(
        "python package cyclonedx-python-lib[json-validation] is missing: "
        "run scripts/setup-test-tools.sh\n"
    )
    sys.exit(3)


def purl_errors(document):
    """(place, message) for each component purl that does not parse or
    disagrees with the component's version."""
    components = document.get("components", []) if isinstance(document, dict) else []
    for index, component in enumerate(components):
        purl = component.get("purl") if isinstance(component, dict) else None
        if purl is None:
            continue
        place = f"components/{index}/purl"
        try:
            parsed = PackageURL.from_string(purl)
        except ValueError as error:
            yield place, f"{purl!r} is not a package URL: {error}"
            continue
        if "version" in component and parsed.version != component["version"]:
            yield place, f"{purl!r} names version {parsed.version!r}, the component {component['version']!r}"


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
        for where, message in purl_errors(json.loads(text)):
            sys.stderr.write(f"{name}: {where}: {message}\n")
            invalid = True
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
