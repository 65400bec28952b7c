#!/usr/bin/env bash
# `fnguard detect` throughput on one core: generated CloudTrail JSON lines,
# fnguard's pack alone, then the pack plus SigmaHQ's 57 AWS rules. Median of
# RUNS runs, events/s per core, peak RSS. No peer yet (see BENCHMARKS.md).
#   bench/detect/run.sh            COUNT=200000 RUNS=5 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-200000}
RUNS=${RUNS:-5}
OUT=bench/results/detect
mkdir -p "$OUT"
LOG="$OUT/cloudtrail-$COUNT.jsonl"
[ -s "$LOG" ] || python3 bench/detect/gen_cloudtrail.py --count "$COUNT" --out "$LOG"
cargo build -q --release -p fnguard-cli
BIN=target/release/fnguard
SIGMA=crates/fnguard-detect/tests/data/sigma-aws-cloudtrail
measure() {
  local label=$1; shift
  local times=()
  local rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" taskset -c 0 "$BIN" detect "$LOG" "$@" \
      --format jsonl >/dev/null 2>"$OUT/stderr.txt" || true
    # time writes "Command exited with non-zero status 1" first when alerts fired.
    read -r wall kb < <(tail -1 "$OUT/time.txt")
    times+=("$wall")
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '| %s | %s | %s | %.0f | %.1f |\n' "$label" "$(tail -1 "$OUT/stderr.txt")" \
    "$(printf '%s ' "${times[@]}")" "$(echo "$COUNT / $median" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}
echo "| rules | summary | wall s per run | events/s (median, 1 core) | peak RSS MB |"
echo "|---|---|---|---|---|"
measure "fnguard pack (6)"
measure "pack + SigmaHQ AWS (63)" --rules "$SIGMA"
