#!/usr/bin/env bash
# fnguard against an earlier fnguard, alternating runs on the corpus, in one run:
# the machines here are shared and their speed drifts by 1.5x from day to day,
# so a ratio measured side by side is the figure that compares; an absolute
# MB/s figure only holds for the day it was measured.
#
#   bench/compare.sh REV [RUNS]     e.g. bench/compare.sh 95252f9 5
#
# Builds REV's release binary in a worktree under target/bench-ref/REV (kept,
# so a second comparison is quick), then runs REV and the working tree's
# binary alternately RUNS times [5] on the corpus, JSON output to a temporary
# file, and prints per binary the median CPU (user+sys), wall and max RSS,
# MB/s per core, and the CPU ratio. REF_BIN=path skips the build and uses
# that binary as REV's (built from REV earlier).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
REV=${1:?usage: bench/compare.sh REV [RUNS]}
RUNS=${2:-5}
CORPUS=${CORPUS:-$ROOT/bench/corpus}
[[ -d "$CORPUS" ]] || python3 bench/gen_corpus.py --out "$CORPUS"
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time; }

SHA=$(git rev-parse --short "$REV")
if [[ -z "${REF_BIN:-}" ]]; then
    REF_TREE="$ROOT/target/bench-ref/$SHA"
    if [[ ! -d "$REF_TREE" ]]; then
        git worktree add --detach "$REF_TREE" "$SHA" >&2
    fi
    (cd "$REF_TREE" && CARGO_TARGET_DIR="$ROOT/target/bench-ref/target" cargo build --release -q -p fnguard-cli)
    REF_BIN="$ROOT/target/bench-ref/target/release/fnguard"
fi
cargo build --release -q -p fnguard-cli
NEW_BIN="$ROOT/target/release/fnguard"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for i in $(seq "$RUNS"); do
    for which in ref new; do
        bin=$REF_BIN
        [[ $which == new ]] && bin=$NEW_BIN
        /usr/bin/time -f "%e %U %S %M" -o "$OUT/$which.$i" \
            "$bin" scan "$CORPUS" --format json --output "$OUT/report.json" \
            --fail-on none --scan-date 2026-11-28 -q
    done
done

python3 - "$OUT" "$RUNS" "$CORPUS" "$SHA" "$(git rev-parse --short HEAD)$(git diff --quiet || echo +changes)" <<'EOF'
import os, statistics, sys
out, runs, corpus, ref_name, new_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
size = 0
for root, _, files in os.walk(corpus):
    for f in files:
        size += os.path.getsize(os.path.join(root, f))
mb = size / 1e6
def stats(which):
    rows = []
    for i in range(1, runs + 1):
        wall, user, sys_, rss = open(f"{out}/{which}.{i}").read().split()[-4:]
        rows.append((float(wall), float(user) + float(sys_), int(rss)))
    return (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows),
            max(r[2] for r in rows), [r[1] for r in rows])
ref, new = stats("ref"), stats("new")
print(f"corpus {corpus}: {mb:.1f} MB, {runs} alternating runs each")
print(f"{'binary':<22} {'CPU s (median)':>14} {'wall s':>7} {'MB/s/core':>10} {'max RSS MB':>11}  CPU per run")
for name, s in ((ref_name, ref), (new_name, new)):
    print(f"{name:<22} {s[1]:>14.2f} {s[0]:>7.2f} {mb / s[1]:>10.1f} {s[2] / 1024:>11.0f}  {' '.join(f'{c:.2f}' for c in s[3])}")
print(f"CPU ratio {ref_name} / {new_name}: {ref[1] / new[1]:.2f}x")
EOF
