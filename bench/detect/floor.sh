#!/usr/bin/env bash
# The floor under `fnguard detect`'s throughput on this machine's core:
# parsing the generated corpus alone (serde_json, simd-json) and writing the
# alerts SigmaHQ's rules ask for, in memory (bench/detect/floor), then
# fnguard itself on the same corpus and core. Shows how much of the 500,000
# events/s target parsing and alert writing leave to everything else.
#   bench/detect/floor.sh        COUNT=200000 as bench/detect/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-200000}
OUT=bench/results/detect
mkdir -p "$OUT"
LOG="$OUT/cloudtrail-$COUNT.jsonl"
GZ="$OUT/cloudtrail-$COUNT-records"
[ -s "$LOG" ] || python3 bench/detect/gen_cloudtrail.py --count "$COUNT" --out "$LOG" --records-gz "$GZ"
BIN=${FNGUARD:-target/release/fnguard}
[ -n "${FNGUARD:-}" ] || cargo build -q --release -p fnguard-cli
CARGO_TARGET_DIR=bench/results/floor-target cargo build -q --release \
  --manifest-path bench/detect/floor/Cargo.toml
SIGMA=crates/fnguard-detect/tests/data/sigma-aws-cloudtrail
# The share of events fnguard alerts on with these rules, for the alert row.
taskset -c 0 "$BIN" detect "$LOG" --rules "$SIGMA" --no-detectors --format jsonl \
  >"$OUT/alerts-floor.jsonl" 2>"$OUT/stderr.txt" || true
ALERTS=$(wc -l <"$OUT/alerts-floor.jsonl")
FRACTION=$(echo "$ALERTS / $COUNT" | bc -l)
taskset -c 0 bench/results/floor-target/release/detect-floor "$LOG" "$FRACTION"
for _ in 1 2 3; do
  /usr/bin/time -f "%e" -o "$OUT/time.txt" taskset -c 0 "$BIN" detect "$LOG" --rules "$SIGMA" \
    --no-detectors --format jsonl >/dev/null 2>&1 || true
  tail -1 "$OUT/time.txt"
done | sort -n | awk -v n="$COUNT" '{a[NR]=$1} END {m=a[2]; printf "| fnguard detect, pack + SigmaHQ, rules only (median of 3, whole run from the file) | %s | **%.0f** | |\n", m, n/m}'
echo "alerting events: $ALERTS of $COUNT" >&2
