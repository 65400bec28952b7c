#!/usr/bin/env bash
# Secret-scanning benchmark: generate a mixed corpus with planted secrets,
# then scan it with fnguard-scan's Scanner on one thread (release build).
#
#   bench/secrets/run.sh [--mb 256] [--planted 400] [--seed 4]
#
# The corpus goes to bench/secrets/out (not committed; regenerated when the
# options change). When `ripsecrets` is on PATH (`cargo install ripsecrets`)
# it scans the same corpus on one core (taskset) for comparison; it reads
# the files from the page cache, fnguard's bench from memory.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/bench/secrets/out"
MB=256
PLANTED=400
SEED=4
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) MB="$2"; shift 2 ;;
        --planted) PLANTED="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
STAMP="$OUT/.options"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$MB $PLANTED $SEED" ]; then
    rm -rf "$OUT"
    python3 "$ROOT/bench/secrets/gen_corpus.py" "$OUT" --mb "$MB" --planted "$PLANTED" --seed "$SEED"
    echo "$MB $PLANTED $SEED" > "$STAMP"
fi
cd "$ROOT"
cargo run --quiet --release -p fnguard-scan --example secrets_bench -- "$OUT"
if command -v ripsecrets >/dev/null; then
    echo
    echo "ripsecrets $(ripsecrets --version | awk '{print $2}') on the same corpus, one core:"
    PIN=""
    command -v taskset >/dev/null && PIN="taskset -c 0"
    START=$(date +%s.%N)
    $PIN ripsecrets "$OUT/corpus" > "$OUT/ripsecrets.txt" || true
    END=$(date +%s.%N)
    python3 -c "import os,sys; b=sum(os.path.getsize(os.path.join('$OUT/corpus',f)) for f in os.listdir('$OUT/corpus')); t=$END-$START; print(f'scan: {t:.3f} s = {b/1e6/t:.1f} MB/s')"
    python3 "$ROOT/bench/secrets/line_recall.py" "$OUT/ripsecrets.txt" "$OUT"
fi
