#!/usr/bin/env bash
# The whole test suite: installs the test tools, then runs every test of the
# workspace (unit, integration, fixtures per rule, schema validation) and the
# rule self-checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test-tools.sh
# The tools are installed above: a test that needs one (minisign) fails
# rather than skips when it is missing.
export FNGUARD_REQUIRE_TOOLS=1
cargo test --workspace --locked
# The binary a layer ships: built static, then the guard's end-to-end suite
# (emulator, real Python runtime, the five attacks) runs against it.
scripts/build-guard-binary.sh x86_64 --test
