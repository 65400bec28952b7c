#!/usr/bin/env bash
# Secret-scanning benchmark: generate a mixed corpus with planted secrets,
# then scan it with fnguard-scan's Scanner on one thread (release build).
#
#   bench/secrets/run.sh [--mb 256] [--planted 400] [--seed 4]
#
# The corpus goes to bench/secrets/out (not committed; regenerated when the
# options change).
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
