#!/usr/bin/env bash
# Times a full walk of a Lambda-sized zip (every byte of every file read,
# nested jars opened) with the release build of fnguard-scan's archive walk.
#
#   bench/archive/run.sh          builds the package once, then 5 timed runs
#   RUNS=N MB=M bench/archive/run.sh
#
# Prints wall seconds, user and system CPU, and peak RSS of each run.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
MB=${MB:-250}
OUT=bench/results/archive
PACKAGE="$OUT/package-${MB}mb.zip"
mkdir -p "$OUT"
[[ -f "$PACKAGE" ]] || python3 bench/archive/gen_package.py "$PACKAGE" --mb "$MB"
cargo build --release -q -p fnguard-scan --example walk_package
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time; }
ls -l "$PACKAGE"
for i in $(seq "$RUNS"); do
    /usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KiB" \
        target/release/examples/walk_package "$PACKAGE"
done
