#!/usr/bin/env python3
"""Validates XARF v4 reports against the official schemas, strictly
(recommended fields required too), with the `xarf` package from PyPI (it
bundles the XARF v4 schemas; scripts/setup-test-tools.sh installs it).

    python3 scripts/validate-xarf.py REPORT.json...

Exit 0 when every report is valid, 1 with each error otherwise.
"""
import json
import sys

from xarf import schema_validator


def main():
    failed = False
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
        for error in schema_validator.validate(report, strict=True):
            failed = True
            print(f"{path}: {error.field or '(report)'}: {error.message[:300]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
