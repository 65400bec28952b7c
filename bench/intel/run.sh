#!/usr/bin/env bash
# Intel classification speed (issue 5: at least 1 million hostnames per
# second per core). Generates a realistic mix (mostly popular sites and the
# vendors' non-function hosts, 5 % endpoints of every product, some as URLs,
# host:port or upper case), then classifies it on one thread with the
# release build.
#
#   bench/intel/run.sh                 1,000,000 hosts, 5 passes
#   COUNT=N PASSES=P SHARE=0.05 bench/intel/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-1000000}
PASSES=${PASSES:-5}
SHARE=${SHARE:-0.05}
OUT=bench/results/intel
HOSTS="$OUT/hosts-${COUNT}-${SHARE}.txt"
mkdir -p "$OUT"
[[ -f "$HOSTS" ]] || python3 bench/intel/gen_hosts.py "$HOSTS" --count "$COUNT" --endpoint-share "$SHARE"
cargo build --release -q -p fnguard-intel --example classify_file
# One thread: the classifier is single-threaded; taskset pins it to one core.
taskset -c 0 target/release/examples/classify_file "$HOSTS" "$PASSES"
