#!/usr/bin/env bash
# IAM privilege-escalation benchmark: fnguard vs Cloudsplaining on the same
# generated policies.
#
#   bench/iam/run.sh [--count N] [--cs-count M] [--skip-cli]
#
# 1. bench/iam/gen_policies.py writes N policies (default 10,000) as a JSON
#    array and as an account-authorization-details file (one role per policy).
# 2. fnguard: crates/fnguard-iam/examples/privesc_bench.rs (release build, one
#    thread) assesses every escalation method against every policy.
# 3. Cloudsplaining (installed into bench/.venv-iam on first use):
#    a. its privilege-escalation check (PolicyDocument.allows_privilege_escalation)
#       on M of the policies (default: all N);
#    b. `cloudsplaining scan` (full analysis + HTML report) on min(M, 1000)
#       policies, scaled linearly to N and labelled as such (unless --skip-cli).
# Prints each time and the ratio Cloudsplaining / fnguard for the
# privilege-escalation check. Cloudsplaining takes ~0.05-0.1 s per policy,
# so the default run takes 10-20 minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/iam/out"
COUNT=10000
CS_COUNT=""
SKIP_CLI=0
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT="$2"; shift 2 ;;
        --cs-count) CS_COUNT="$2"; shift 2 ;;
        --skip-cli) SKIP_CLI=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
CS_COUNT="${CS_COUNT:-$COUNT}"
say() { printf '\n== %s\n' "$*"; }

VENV="$BENCH/.venv-iam"
if [ ! -x "$VENV/bin/cloudsplaining" ]; then
    say "installing cloudsplaining into bench/.venv-iam"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet cloudsplaining
    printf '*\n' > "$VENV/.gitignore"
fi

say "generating $COUNT policies"
python3 "$BENCH/iam/gen_policies.py" --count "$COUNT" --out "$OUT"

say "fnguard (release, one thread)"
(cd "$ROOT" && cargo build --quiet --release -p fnguard-iam --example privesc_bench)
FN_OUT="$("$ROOT/target/release/examples/privesc_bench" "$OUT/policies.json")"
echo "$FN_OUT"
# Thread CPU time when the platform reports it, else wall time.
FN_SECS="$(echo "$FN_OUT" | sed -n "s/^open world: .*, \([0-9.]*\) s CPU.*/\1/p")"
[ -n "$FN_SECS" ] || FN_SECS="$(echo "$FN_OUT" | sed -n 's/^open world: .* assessed in \([0-9.]*\) s.*/\1/p')"

CS_DIR="$OUT"
if [ "$CS_COUNT" != "$COUNT" ]; then
    CS_DIR="$OUT/cs-sample"
    mkdir -p "$CS_DIR"
    python3 - "$OUT" "$CS_DIR" "$CS_COUNT" <<'PY'
import json, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = json.load(open(f"{src}/authorization-details.json"))
d["RoleDetailList"] = d["RoleDetailList"][:n]
json.dump(d, open(f"{dst}/authorization-details.json", "w"))
PY
fi

say "cloudsplaining privilege-escalation check on $CS_COUNT policies"
CS_OUT="$("$VENV/bin/python" "$BENCH/iam/cloudsplaining_time.py" "$CS_DIR" privesc)"
echo "$CS_OUT"
CS_CPU="$(echo "$CS_OUT" | sed -n 's/.* s wall, \([0-9.]*\) s CPU.*/\1/p')"

if [ "$SKIP_CLI" = 0 ]; then
    CLI_COUNT=$(( CS_COUNT < 1000 ? CS_COUNT : 1000 ))
    CLI_DIR="$OUT/cli-sample"
    mkdir -p "$CLI_DIR/report"
    python3 - "$OUT" "$CLI_DIR" "$CLI_COUNT" <<'PY'
import json, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = json.load(open(f"{src}/authorization-details.json"))
d["RoleDetailList"] = d["RoleDetailList"][:n]
json.dump(d, open(f"{dst}/authorization-details.json", "w"))
PY
    say "cloudsplaining scan (CLI, full analysis + report) on $CLI_COUNT policies"
    START=$(date +%s.%N)
    "$VENV/bin/cloudsplaining" scan -i "$CLI_DIR/authorization-details.json" -o "$CLI_DIR/report" -s >/dev/null 2>&1
    END=$(date +%s.%N)
    python3 -c "w=$END-$START; print(f'cloudsplaining scan: {$CLI_COUNT} policies in {w:.1f} s wall; scaled to $COUNT: {w*$COUNT/$CLI_COUNT:.0f} s')"
fi

say "summary"
python3 - "$FN_SECS" "$CS_CPU" "$COUNT" "$CS_COUNT" <<'PY'
import sys
fn, cs, n, m = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cs_n = cs * n / m
note = "" if n == m else f" (measured on {m}, scaled to {n})"
print(f"fnguard privesc::assess, {n} policies x every method, one thread: {fn:.4f} s CPU")
print(f"cloudsplaining allows_privilege_escalation, {n} policies: {cs_n:.1f} s CPU{note}")
print(f"ratio cloudsplaining / fnguard: {cs_n / fn:.0f}x")
PY
