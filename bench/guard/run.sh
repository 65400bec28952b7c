#!/usr/bin/env bash
# fnguard guard's costs in the Lambda emulator (crates/fnguard-guard/tests/
# support), side by side with the same Python function (awslambdaric)
# without the guard, in one run: added latency per invocation (p50, p99 of
# 2,000 warm invocations), added init for a 50 MB signed package (median of
# 7 cold starts each), the guard's peak RSS, and the binary's size. Release
# build; the guard is the static binary a layer
# ships (scripts/build-guard-binary.sh). A third environment puts a bare TCP
# relay (socat) where the guard's proxy goes: the least any proxy there can
# add on this machine. Run twice: on this host as it is, and in a
# new pid namespace (`unshare -p`, root only), which is what a Lambda
# sandbox looks like to the process checks: its own processes only.
#   bench/guard/run.sh            FNGUARD_BENCH_ENV=FNGUARD_PROCESS_MODE=off,... to switch controls
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup-test-tools.sh
if ! command -v socat >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends socat >/dev/null
fi
scripts/build-guard-binary.sh x86_64
export FNGUARD_GUARD_BIN="$PWD/dist/fnguard-guard-x86_64"
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
printf '\nfnguard-guard binary (static, stripped: what a layer ships): %.1f MB\n' \
  "$(echo "$(stat -c %s "$FNGUARD_GUARD_BIN") / 1000000" | bc -l)"
