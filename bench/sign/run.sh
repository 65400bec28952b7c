#!/usr/bin/env bash
# `fnguard sign` and `fnguard verify` throughput, side by side in the same run
# with b3sum and sha256sum over the same files, and with `minisign -V` on one
# large file (Debian's packages, installed here when missing).
#
# Packages: bench/sign/gen_package.py, 1 GiB and 250 MiB folders (random,
# incompressible bytes; many small files, a few large ones), and the same
# 250 MiB as a .zip (stored: Lambda's unpacked size is what is hashed).
# Every tool reads from the page cache (one warm-up run first); medians of RUNS
# runs; both cores are used by whoever can use them.
#   bench/sign/run.sh          RUNS=5 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
OUT=bench/results/sign
mkdir -p "$OUT"
BIG="$OUT/pkg-1g" SMALL="$OUT/pkg-250m" LARGE_FILE="$OUT/large-1g.bin"
[ -d "$BIG" ] || python3 bench/sign/gen_package.py --size-mb 1024 --out "$BIG" >&2
[ -d "$SMALL" ] || python3 bench/sign/gen_package.py --size-mb 250 --out "$SMALL" --seed 8 >&2
[ -s "$LARGE_FILE" ] || head -c 1073741824 /dev/urandom >"$LARGE_FILE"
ZIP="$OUT/pkg-250m.zip"
[ -s "$ZIP" ] || (cd "$SMALL" && python3 -m zipfile -c "../pkg-250m.zip" lib >/dev/null)
if ! command -v minisign >/dev/null || ! command -v b3sum >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends minisign b3sum >/dev/null
fi
BIN=${FNGUARD:-target/release/fnguard}
[ -n "${FNGUARD:-}" ] || cargo build -q --release -p fnguard-cli
KEYS="$OUT/keys"
mkdir -p "$KEYS"
[ -s "$KEYS/fnguard.key" ] || "$BIN" keygen --unencrypted -p "$KEYS/fnguard.pub" -s "$KEYS/fnguard.key" >/dev/null
[ -s "$KEYS/minisign.key" ] || minisign -G -W -f -p "$KEYS/minisign.pub" -s "$KEYS/minisign.key" >/dev/null
bytes_of() { find "$1" -type f ! -name 'fnguard.manifest.json*' -printf '%s\n' | awk '{s+=$1} END {print s}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# LABEL BYTES COMMAND...: one row, the command run RUNS times after a warm-up.
row() {
  local label=$1 bytes=$2
  shift 2
  "$@" >/dev/null 2>&1 || true
  local times=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || true
    read -r wall kb < <(tail -1 "$OUT/time.txt")
    times+=("$wall")
  done
  local m
  m=$(printf '%s\n' "${times[@]}" | median)
  printf '| %s | %s | %s | **%.2f** | %.0f |\n' "$label" "$(printf '%s ' "${times[@]}")" "$m" \
    "$(echo "$bytes / $m / 1000000000" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
}
hash_all() { find "$2" -type f ! -name 'fnguard.manifest.json*' -print0 | xargs -0 "$1"; }
export -f hash_all
B_BIG=$(bytes_of "$BIG") B_SMALL=$(bytes_of "$SMALL") B_FILE=$(stat -c %s "$LARGE_FILE")
echo "| work | wall s per run | median s | GB/s | peak RSS MB (last run) |"
echo "|---|---|---|---|---|"
row "fnguard sign, 1 GiB folder ($(find "$BIG" -type f | wc -l) files; SHA-256 + BLAKE3 of every file, manifest signed)" "$B_BIG" \
  "$BIN" sign "$BIG" -s "$KEYS/fnguard.key" --out-dir "$OUT"
row "fnguard verify, 1 GiB folder (BLAKE3, default)" "$B_BIG" \
  "$BIN" verify "$BIG" -p "$KEYS/fnguard.pub" --manifest "$OUT/fnguard.manifest.json"
row "fnguard verify, 1 GiB folder (--digest both)" "$B_BIG" \
  "$BIN" verify "$BIG" -p "$KEYS/fnguard.pub" --manifest "$OUT/fnguard.manifest.json" --digest both
row "b3sum, 1 GiB folder (xargs b3sum)" "$B_BIG" bash -c 'hash_all b3sum "$0"' "$BIG"
row "sha256sum, 1 GiB folder (xargs sha256sum)" "$B_BIG" bash -c 'hash_all sha256sum "$0"' "$BIG"
mkdir -p "$OUT/small-sig"
"$BIN" sign "$SMALL" -s "$KEYS/fnguard.key" --out-dir "$OUT/small-sig" >/dev/null
row "fnguard verify, 250 MiB folder (BLAKE3)" "$B_SMALL" \
  "$BIN" verify "$SMALL" -p "$KEYS/fnguard.pub" --manifest "$OUT/small-sig/fnguard.manifest.json"
mkdir -p "$OUT/zip-sig"
row "fnguard sign, the same 250 MiB as a .zip (deflated: random bytes stay their size)" "$B_SMALL" \
  "$BIN" sign "$ZIP" -s "$KEYS/fnguard.key" --out-dir "$OUT/zip-sig"
row "fnguard verify, that .zip (BLAKE3)" "$B_SMALL" \
  "$BIN" verify "$ZIP" -p "$KEYS/fnguard.pub" --manifest "$OUT/zip-sig/fnguard.manifest.json"
row "b3sum, 250 MiB folder" "$B_SMALL" bash -c 'hash_all b3sum "$0"' "$SMALL"
row "sha256sum, 250 MiB folder" "$B_SMALL" bash -c 'hash_all sha256sum "$0"' "$SMALL"
"$BIN" sign --raw "$LARGE_FILE" -s "$KEYS/fnguard.key" --out-dir "$OUT" >/dev/null
minisign -S -m "$LARGE_FILE" -s "$KEYS/minisign.key" -x "$OUT/large-1g.bin.minisign.minisig" >/dev/null </dev/null
row "fnguard verify --raw, one 1 GiB file (prehashed: BLAKE2b-512 + Ed25519)" "$B_FILE" \
  "$BIN" verify --raw "$LARGE_FILE" -p "$KEYS/fnguard.pub" -x "$OUT/large-1g.bin.minisig"
row "minisign -V, the same file" "$B_FILE" \
  minisign -V -m "$LARGE_FILE" -p "$KEYS/minisign.pub" -x "$OUT/large-1g.bin.minisign.minisig"
