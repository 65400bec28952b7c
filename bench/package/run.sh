#!/usr/bin/env bash
# Times `fnguard scan` on a Lambda-sized function zip (250 MB unzipped, the
# limit for a function and its layers): every file read once from the
# stream, classified, searched for secrets and supply-chain indicators, and
# inventoried; nested jars opened. Target (issue 4): under 2 s wall, under
# 300 MB RSS.
#
#   bench/package/run.sh            5 runs, prints each and the medians
#   RUNS=N MB=M bench/package/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
MB=${MB:-250}
OUT=bench/results/archive
PACKAGE="$OUT/package-${MB}mb.zip"
mkdir -p "$OUT"
[[ -f "$PACKAGE" ]] || python3 bench/archive/gen_package.py "$PACKAGE" --mb "$MB"
cargo build --release -q -p fnguard-cli
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time; }
echo "package: $PACKAGE ($(stat -c %s "$PACKAGE") bytes compressed), $(nproc) cores"
TIMES="$OUT/package-times.txt"
: > "$TIMES"
for i in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$TIMES" -a \
        target/release/fnguard scan "$PACKAGE" --fail-on none -q --format json -o "$OUT/package-report.json"
    tail -1 "$TIMES" | awk '{printf "run: wall %s s, user %s s, sys %s s, max RSS %d MiB\n", $1, $2, $3, $4/1024}'
done
python3 - "$TIMES" "$OUT/package-report.json" <<'PY'
import json, statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
med = lambda i: statistics.median(r[i] for r in rows)
report = json.load(open(sys.argv[2]))
print(f"median: wall {med(0):.2f} s, CPU {med(1) + med(2):.2f} s, max RSS {med(3) / 1024:.0f} MiB; "
      f"{report['scan']['files_scanned']} files, {len(report['findings'])} findings")
PY
