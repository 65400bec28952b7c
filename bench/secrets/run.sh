#!/usr/bin/env bash
# Secret-scanning benchmark: generate a mixed corpus with planted secrets,
# scan it with fnguard-scan's Scanner on one thread (release build), then
# with ripsecrets and detect-secrets on the same corpus, one core each.
#
#   bench/secrets/run.sh [--mb 1024] [--planted 1000] [--seed 4] [--ds-mb 64] [--skip-others]
#
# The corpus goes to bench/secrets/out (not committed; regenerated when the
# options change). ripsecrets (`cargo install ripsecrets`) and
# detect-secrets (`pip install detect-secrets`) are installed when missing.
# Both are pinned to one core with taskset. detect-secrets reads about
# 0.3 MB/s, so it scans only the first files of the corpus, --ds-mb MiB of
# them (0: all), and its recall is on the secrets planted there.
# fnguard's figure is the in-memory scan; the others read the files from
# the page cache and print.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/bench/secrets/out"
MB=1024
PLANTED=1000
SEED=4
DS_MB=64
OTHERS=1
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) MB="$2"; shift 2 ;;
        --planted) PLANTED="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --ds-mb) DS_MB="$2"; shift 2 ;;
        --skip-others) OTHERS=0; shift ;;
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
echo "== fnguard-scan (secrets_bench, release, one thread, in memory)"
cargo run --quiet --release -p fnguard-scan --example secrets_bench -- "$OUT" --hits "$OUT/fnguard-hits.tsv"
[ "$OTHERS" = 1 ] || exit 0

PIN=""
command -v taskset >/dev/null && PIN="taskset -c 0"
# Wall time of a command, in seconds, on stdout of this function.
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" || true
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}
mb_of() { du -sb --apparent-size "$1" | awk '{printf "%.1f", $1/1e6}'; }

command -v ripsecrets >/dev/null || cargo install ripsecrets
echo
echo "== ripsecrets $(ripsecrets --version | awk '{print $2}'), same corpus, one core"
T=$(timed sh -c "$PIN ripsecrets '$OUT/corpus' > '$OUT/ripsecrets.txt'")
SIZE=$(mb_of "$OUT/corpus")
python3 -c "print(f'scan: $T s for $SIZE MB = {$SIZE/$T:.1f} MB/s')"
python3 "$ROOT/bench/secrets/line_recall.py" "$OUT/ripsecrets.txt" "$OUT"

command -v detect-secrets >/dev/null || pip install detect-secrets
# The first files of the corpus, DS_MB MiB of them, with their planted
# secrets, in OUT/ds (hard links).
DS="$OUT/ds"
rm -rf "$DS"
mkdir -p "$DS/corpus"
python3 - "$OUT" "$DS" "$DS_MB" <<'PY'
import os, sys
out, ds, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20
names, total = [], 0
for name in sorted(os.listdir(out + "/corpus")):
    if limit and total >= limit:
        break
    os.link(f"{out}/corpus/{name}", f"{ds}/corpus/{name}")
    total += os.path.getsize(f"{out}/corpus/{name}")
    names.append(name)
keep = set(names)
with open(out + "/planted.tsv") as src, open(ds + "/planted.tsv", "w") as dst:
    dst.writelines(row for row in src if row.split("\t")[0] in keep)
PY
echo
echo "== detect-secrets $(detect-secrets --version), first $(mb_of "$DS/corpus") MB of the corpus, one core"
T=$(timed sh -c "cd '$DS/corpus' && $PIN detect-secrets scan --all-files . > '$DS/detect-secrets.json'")
SIZE=$(mb_of "$DS/corpus")
python3 -c "print(f'scan: $T s for $SIZE MB = {$SIZE/$T:.2f} MB/s')"
python3 "$ROOT/bench/secrets/line_recall.py" "$DS/detect-secrets.json" "$DS"
echo
echo "== fnguard-scan on the same part"
cargo run --quiet --release -p fnguard-scan --example secrets_bench -- "$DS" | sed -n '1,3p'
