#!/usr/bin/env bash
# Installs what the test suite needs besides cargo: the Python `jsonschema`
# package (validates SARIF and fnguard's JSON output against their schemas),
# `cyclonedx-python-lib` (bundles the official CycloneDX schemas: validates
# the SBOMs offline), `xarf` (the XARF v4 schemas: validates abuse reports),
# Graphviz (parses the attack-path graphs), unbound (loads the blocklists
# of `fnguard intel export`), dig (the real client the tests of
# `fnguard dns serve` query it with), minisign (checks the signatures
# `fnguard sign` writes and signs what `fnguard verify` reads), and the
# real Lambda runtime clients the guard's emulator tests run: awslambdaric
# (Python) and aws-lambda-ric (Node.js).
# Idempotent and quiet when everything is already there.
set -euo pipefail
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'jsonschema==4.26.0'
fi
# The import alone succeeds without the json-validation extra; a validation
# run raises when it is missing.
if ! python3 -c 'from cyclonedx.schema import SchemaVersion as V
from cyclonedx.validation.json import JsonStrictValidator as J
J(V.V1_6).validate_str("{}")' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check \
    'cyclonedx-python-lib[json-validation]==11.12.0'
fi
# The XARF v4 schemas, bundled by the `xarf` package, validate the abuse
# reports of `fnguard intel report --format xarf`.
if ! python3 -c 'from xarf import schema_validator' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'xarf==1.0.0'
fi
# awslambdaric, AWS's runtime interface client for Python, is the real
# runtime the Lambda emulator of fnguard-guard's tests starts (issue 8).
if ! python3 -c 'import awslambdaric' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'awslambdaric==3.1.1'
fi
# aws-lambda-ric, AWS's runtime interface client for Node.js (npm), is the
# second real runtime fnguard-guard's end-to-end tests run; its install
# builds a native part with cmake. Kept outside the repository, in
# FNGUARD_NODE_RIC_DIR (tests/support/fixtures.rs looks there too).
NODE_RIC_DIR="${FNGUARD_NODE_RIC_DIR:-$HOME/.cache/fnguard-test-tools/node-ric}"
if [ ! -f "$NODE_RIC_DIR/node_modules/aws-lambda-ric/index.mjs" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  missing=""
  command -v cmake >/dev/null || missing="$missing cmake"
  command -v npm >/dev/null || missing="$missing nodejs npm"
  command -v g++ >/dev/null || missing="$missing g++"
  command -v make >/dev/null || missing="$missing make"
  if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
  mkdir -p "$NODE_RIC_DIR"
  npm install --prefix "$NODE_RIC_DIR" --silent --no-audit --no-fund 'aws-lambda-ric@4.0.2' >/dev/null 2>&1 \
    || npm install --prefix "$NODE_RIC_DIR" --no-audit --no-fund 'aws-lambda-ric@4.0.2'
fi
# Graphviz's `dot` parses the attack-path graphs `--graph dot` writes.
if ! command -v dot >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends graphviz >/dev/null
fi
# unbound loads the RPZ zone and local-zone blocklists `fnguard intel export`
# writes, and answers a query through them on loopback.
if ! command -v unbound >/dev/null || ! command -v unbound-checkconf >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends unbound >/dev/null
fi
# dig (bind9-dnsutils) is the client the tests of `fnguard dns serve` use.
if ! command -v dig >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends bind9-dnsutils >/dev/null
fi
# minisign (Debian's package, 0.11) verifies fnguard's signatures and makes
# the keys and signatures fnguard must read (fnguard-sign's interop tests).
if ! command -v minisign >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends minisign >/dev/null
fi
