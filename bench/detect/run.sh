#!/usr/bin/env bash
# `fnguard detect` throughput on one core against a peer, in the same run.
#
# Corpus: bench/detect/gen_cloudtrail.py (COUNT events as JSON lines, and the
# same events as CloudTrail's S3 delivery: {"Records":[...]} gzip files).
# Rules: fnguard's pack plus SigmaHQ's AWS CloudTrail rules (63).
# fnguard: `taskset -c 0 fnguard detect FILE --rules SIGMA --format jsonl`,
# median wall time of RUNS runs, peak RSS; alerts counted.
# Peer: pySigma's SQLite backend as Zircolite uses it (bench/detect/peer_sqlite.py,
# installed by this script into bench/.venv from PyPI), same rules, same
# events, on the same core; load (read, flatten, insert) and query times.
# BASELINE=path/to/older/fnguard also runs that binary and checks that both
# write the same alerts.
#   bench/detect/run.sh            COUNT=200000 RUNS=5 PEER_RUNS=3 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-200000}
RUNS=${RUNS:-5}
PEER_RUNS=${PEER_RUNS:-3}
OUT=bench/results/detect
mkdir -p "$OUT"
LOG="$OUT/cloudtrail-$COUNT.jsonl"
GZ="$OUT/cloudtrail-$COUNT-records"
[ -s "$LOG" ] || python3 bench/detect/gen_cloudtrail.py --count "$COUNT" --out "$LOG" --records-gz "$GZ"
BIN=${FNGUARD:-target/release/fnguard}
[ -n "${FNGUARD:-}" ] || cargo build -q --release -p fnguard-cli
SIGMA=crates/fnguard-detect/tests/data/sigma-aws-cloudtrail
VENV=bench/.venv
if ! "$VENV/bin/python" -c 'import sigma.backends.sqlite' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pySigma pySigma-backend-sqlite
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# LABEL BIN INPUT NAME [RULE ARGS]: one row of the table, alerts written to
# $OUT/alerts-NAME.jsonl (rules: the built-in pack, plus RULE ARGS).
measure() {
  local label=$1 bin=$2 input=$3 name=$4
  shift 4
  local rules=("$@")
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" taskset -c 0 "$bin" detect "$input" \
      ${rules[@]+"${rules[@]}"} --format jsonl >"$OUT/alerts-$name.jsonl" 2>"$OUT/stderr.txt" || true
    # time writes "Command exited with non-zero status 1" first when alerts fired.
    read -r wall kb < <(tail -1 "$OUT/time.txt")
    times+=("$wall")
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  local m
  m=$(printf '%s\n' "${times[@]}" | median)
  printf '| %s | %s | %s | %s | **%.0f** | %.1f |\n' "$label" "$(tail -1 "$OUT/stderr.txt")" \
    "$(printf '%s ' "${times[@]}")" "$m" "$(echo "$COUNT / $m" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

echo "| engine | summary | wall s per run | median s | events/s (1 core) | peak RSS MB |"
echo "|---|---|---|---|---|---|"
measure "fnguard, pack + SigmaHQ (rules only: --no-detectors), JSON lines" "$BIN" "$LOG" lines --rules "$SIGMA" --no-detectors
measure "fnguard, pack + SigmaHQ + the stateful detectors, JSON lines" "$BIN" "$LOG" lines-all --rules "$SIGMA"
measure "fnguard, pack + SigmaHQ, {\"Records\"} .json.gz files" "$BIN" "$GZ" records --rules "$SIGMA"
measure "fnguard, pack alone, JSON lines" "$BIN" "$LOG" pack
if [ -n "${BASELINE:-}" ]; then
  measure "baseline $BASELINE, pack + SigmaHQ, JSON lines" "$BASELINE" "$LOG" baseline --rules "$SIGMA"
  measure "baseline $BASELINE, pack alone, JSON lines" "$BASELINE" "$LOG" baseline-pack
  if cmp -s "$OUT/alerts-lines.jsonl" "$OUT/alerts-baseline.jsonl"; then
    echo "alerts identical to the baseline's ($(wc -l <"$OUT/alerts-lines.jsonl") lines)" >&2
  else
    echo "ALERTS DIFFER from the baseline's" >&2
  fi
fi

peer_times=() peer_load=() peer_query=() peer_rss=0
for _ in $(seq "$PEER_RUNS"); do
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" taskset -c 0 "$VENV/bin/python" \
    bench/detect/peer_sqlite.py --events "$LOG" --rules "$SIGMA" rules/detect --json >"$OUT/peer.json"
  read -r wall kb < <(tail -1 "$OUT/time.txt")
  peer_times+=("$wall")
  peer_load+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["load_s"])' "$OUT/peer.json")")
  peer_query+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["query_s"])' "$OUT/peer.json")")
  [ "$kb" -gt "$peer_rss" ] && peer_rss=$kb
done
pm=$(printf '%s\n' "${peer_times[@]}" | median)
printf '| pySigma SQLite (Zircolite way) | %s matches, load %s s, query %s s (medians) | %s | %s | **%.0f** | %.1f |\n' \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["matches"])' "$OUT/peer.json")" \
  "$(printf '%s\n' "${peer_load[@]}" | median)" "$(printf '%s\n' "${peer_query[@]}" | median)" \
  "$(printf '%s ' "${peer_times[@]}")" "$pm" "$(echo "$COUNT / $pm" | bc -l)" "$(echo "$peer_rss / 1024" | bc -l)"
echo "peer per rule: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["per_rule"])' "$OUT/peer.json")" >&2
echo "fnguard per rule: $(python3 -c '
import collections, json, sys
def name(alert):
    rule = alert.get("rule")
    return rule["source"].split("/")[-1] if isinstance(rule, dict) else alert.get("title")
c = collections.Counter(name(json.loads(l)) for l in open(sys.argv[1]))
print(dict(sorted(c.items())))' "$OUT/alerts-lines.jsonl")" >&2
