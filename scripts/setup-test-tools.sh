#!/usr/bin/env bash
# Installs what the test suite needs besides cargo: the Python `jsonschema`
# package (validates SARIF and fnguard's JSON output against their schemas).
# Idempotent and quiet when everything is already there.
set -euo pipefail
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'jsonschema==4.26.0'
fi
