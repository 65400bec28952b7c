#!/usr/bin/env bash
# The whole test suite: installs the test tools, then runs every test of the
# workspace (unit, integration, fixtures per rule, schema validation) and the
# rule self-checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test-tools.sh
cargo test --workspace --locked
