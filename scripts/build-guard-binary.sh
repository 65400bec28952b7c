#!/usr/bin/env bash
# Builds the binary a `fnguard guard` layer ships: fnguard-guard, release,
# statically linked (glibc's static libc through `crt-static`: it needs no
# shared library, so it runs on Amazon Linux 2 and 2023 alike, whatever
# glibc this machine has), stripped, into dist/fnguard-guard-ARCH. Then:
#   fnguard guard package --arch ARCH --binary dist/fnguard-guard-ARCH -p key.pub
#
#   scripts/build-guard-binary.sh [x86_64|arm64] [--test]
# --test runs the guard's end-to-end suite (the Lambda emulator with a real
# Python runtime, all five attacks) against the built binary.
#
# arm64 needs Rust's standard library for aarch64-unknown-linux-gnu
# (`rustup target add aarch64-unknown-linux-gnu`) and a cross linker with
# a static libc (Debian: gcc-aarch64-linux-gnu, libc6-dev-arm64-cross).
set -euo pipefail
cd "$(dirname "$0")/.."
arch=x86_64
run_tests=no
for argument in "$@"; do
  case "$argument" in
    x86_64|arm64) arch=$argument ;;
    --test) run_tests=yes ;;
    *) echo "usage: $0 [x86_64|arm64] [--test]" >&2; exit 2 ;;
  esac
done
case "$arch" in
  x86_64) target=x86_64-unknown-linux-gnu; strip=strip ;;
  arm64) target=aarch64-unknown-linux-gnu; strip=aarch64-linux-gnu-strip ;;
esac
sysroot_lib="$(rustc --print sysroot)/lib/rustlib/$target/lib"
if ! ls "$sysroot_lib"/libstd-*.rlib >/dev/null 2>&1; then
  echo "error: Rust's standard library for $target is not installed ($sysroot_lib):" >&2
  echo "       rustup target add $target (it needs the network)" >&2
  exit 1
fi
if [ "$arch" = arm64 ]; then
  if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
    echo "error: no aarch64 linker: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross" >&2
    exit 1
  fi
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
  export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
fi
# With --target, RUSTFLAGS reach only the target's crates (not build
# scripts), and the static build gets its own folder under target/.
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release -q --locked -p fnguard-guard --target "$target"
built="target/$target/release/fnguard-guard"
mkdir -p dist
out="dist/fnguard-guard-$arch"
"$strip" -o "$out" "$built"
if readelf -l "$out" 2>/dev/null | grep -q 'Requesting program interpreter'; then
  echo "error: $out is not static" >&2
  exit 1
fi
printf '%s: static, %.1f MB stripped (%.1f MB as built)\n' "$out" \
  "$(echo "$(stat -c %s "$out") / 1000000" | bc -l)" "$(echo "$(stat -c %s "$built") / 1000000" | bc -l)"
if [ "$run_tests" = yes ]; then
  if [ "$arch" != "$(uname -m | sed 's/aarch64/arm64/')" ]; then
    echo "error: --test runs the binary: build for this machine's architecture" >&2
    exit 1
  fi
  scripts/setup-test-tools.sh
  FNGUARD_REQUIRE_TOOLS=1 FNGUARD_GUARD_BIN="$PWD/$out" cargo test -q -p fnguard-guard --test guard_e2e
fi
