#!/usr/bin/env bash
# fnguard guard's costs in the Lambda emulator (crates/fnguard-guard/tests/
# support), side by side with the same Python function (awslambdaric)
# without the guard, in one run: added latency per invocation (p50, p99 of
# 2,000 warm invocations), added init for a 50 MB signed package (median of
# 7 cold starts each), the guard's peak RSS, and the binary's size (as built
# and stripped). Release build. Run twice: on this host as it is, and in a
# new pid namespace (`unshare -p`, root only), which is what a Lambda
# sandbox looks like to the process checks: its own processes only.
#   bench/guard/run.sh            FNGUARD_BENCH_ENV=FNGUARD_PROCESS_MODE=off,... to switch controls
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup-test-tools.sh
cargo test --release -q -p fnguard-guard --test guard_bench --no-run 2>/dev/null
TEST=$(ls -t target/release/deps/guard_bench-* | grep -v '\.d$' | head -1)
export CARGO_MANIFEST_DIR="$PWD/crates/fnguard-guard"
echo "On this host ($(ps -e --no-headers | wc -l) processes visible):"
"$TEST" --ignored --nocapture --test-threads 1 2>&1 | grep -o '|.*|'
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  echo
  echo "In a new pid namespace (a Lambda sandbox's view):"
  unshare -p -f --mount-proc "$TEST" --ignored --nocapture --test-threads 1 2>&1 | grep -o '|.*|'
fi
BIN=target/release/fnguard-guard
strip -o "$BIN.stripped" "$BIN"
printf '\nfnguard-guard binary: %.1f MB as built, %.1f MB stripped (what a layer should ship)\n' \
  "$(echo "$(stat -c %s "$BIN") / 1000000" | bc -l)" "$(echo "$(stat -c %s "$BIN.stripped") / 1000000" | bc -l)"
rm -f "$BIN.stripped"
