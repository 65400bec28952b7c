#!/usr/bin/env bash
# fnguard versus checkov, side by side, in one run (see BENCHMARKS.md).
#
#   bench/run.sh              full run: corpus + single template, appends to BENCHMARKS.md
#   bench/run.sh --no-append  print the results only
#
# Environment knobs (defaults in brackets):
#   CHECKOV_TIMEOUT   seconds allowed for checkov on the corpus [1200]
#   FNGUARD_RUNS      timed fnguard runs on the corpus [5]
#   SKIP_CHECKOV=1    measure fnguard only (plumbing checks, quick looks)
#   CORPUS            the corpus folder [bench/corpus]
#   SINGLE            the single small template [examples/sam/vulnerable/template.yaml]
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BENCH="$ROOT/bench"
CORPUS=${CORPUS:-$BENCH/corpus}
RESULTS="$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)"
CHECKOV_TIMEOUT=${CHECKOV_TIMEOUT:-1200}
FNGUARD_RUNS=${FNGUARD_RUNS:-5}
SINGLE=${SINGLE:-examples/sam/vulnerable/template.yaml}
APPEND=1
[[ "${1:-}" == "--no-append" ]] && APPEND=0
mkdir -p "$RESULTS"

say() { printf '\n== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools
say "building fnguard (release)"
cargo build --release -p fnguard-cli
FNGUARD="$ROOT/target/release/fnguard"

if [[ ! -d "$CORPUS" ]] || [[ -z "$(ls -A "$CORPUS")" ]]; then
    say "generating the corpus"
    python3 "$BENCH/gen_corpus.py" --out "$CORPUS"
fi

CHECKOV="$BENCH/.venv/bin/checkov"
if [[ "${SKIP_CHECKOV:-0}" != 1 && ! -x "$CHECKOV" ]]; then
    say "installing checkov into bench/.venv (takes a few minutes)"
    python3 -m venv "$BENCH/.venv"
    "$BENCH/.venv/bin/pip" install --quiet checkov
fi

if ! command -v hyperfine >/dev/null; then
    say "installing hyperfine"
    apt-get update -qq && apt-get install -y -qq hyperfine
fi
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time; }

# ---------------------------------------------------------------- helpers
# /usr/bin/time -v FILE -> "wall_s cpu_s maxrss_kb"
time_fields() {
    python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1], errors="replace").read()
def num(pattern):
    m = re.search(pattern, text)
    return m.group(1) if m else None
user = float(num(r"User time \(seconds\): ([\d.]+)") or 0)
sys_ = float(num(r"System time \(seconds\): ([\d.]+)") or 0)
wall = num(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)") or "0"
secs = 0.0
for part in wall.split(":"):
    secs = secs * 60 + float(part)
rss = num(r"Maximum resident set size \(kbytes\): (\d+)") or 0
print(f"{secs:.3f} {user + sys_:.3f} {rss}")
EOF
}

# Runs "$@" under /usr/bin/time -v; tolerates the exit codes of a scan that
# found something (1) or met bad input (2). Echoes the exit code.
timed() {
    local out=$1 tfile=$2
    shift 2
    local rc=0
    /usr/bin/time -v -o "$tfile" "$@" >"$out" 2>"$out.stderr" || rc=$?
    echo "$rc"
}

CORPUS_BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
CORPUS_TEMPLATES=$(find "$CORPUS" -mindepth 1 -maxdepth 1 -type d | wc -l)
CORPUS_FILES=$(find "$CORPUS" -type f | wc -l)
SINGLE_BYTES=$(stat -c %s "$SINGLE")

# Page cache warm for both tools alike.
find "$CORPUS" -type f -exec cat {} + >/dev/null

# ---------------------------------------------------------------- fnguard, corpus
say "fnguard on the corpus ($CORPUS_TEMPLATES templates, $CORPUS_FILES files, $CORPUS_BYTES bytes)"
# hyperfine ignores exit codes (-i) because findings exit 1; make sure the
# timed command really scans, or the numbers would time a usage error.
NOTE=""
SANITY_RC=0
"$FNGUARD" scan "$CORPUS" --format json --output "$RESULTS/fnguard-sanity.json" \
    >"$RESULTS/fnguard-sanity.out" 2>&1 || SANITY_RC=$?
if [[ $SANITY_RC -gt 2 || ! -s "$RESULTS/fnguard-sanity.json" ]]; then
    NOTE="WARNING: fnguard exited $SANITY_RC and wrote no JSON report: these fnguard figures do not measure a scan."
    printf '\n%s\n' "$NOTE" >&2
    head -5 "$RESULTS/fnguard-sanity.out" >&2 || true
fi
hyperfine --warmup 1 --runs "$FNGUARD_RUNS" -i -N --export-json "$RESULTS/fnguard-corpus.json" \
    "$FNGUARD scan $CORPUS --format json --output $RESULTS/fnguard-corpus-report.json"
FG_RC=0
for i in 1 2 3; do
    FG_RC=$(timed "$RESULTS/fnguard-corpus.out" "$RESULTS/fnguard-corpus.time.$i" \
        "$FNGUARD" scan "$CORPUS" --format json --output "$RESULTS/fnguard-corpus-report.json")
done

# ---------------------------------------------------------------- fnguard, single template
say "fnguard on one template ($SINGLE)"
hyperfine --warmup 1 --runs 10 -i -N --export-json "$RESULTS/fnguard-single.json" \
    "$FNGUARD scan $SINGLE --format json" 2>/dev/null ||
    hyperfine --warmup 1 --runs 10 -i --export-json "$RESULTS/fnguard-single.json" \
        "$FNGUARD scan $SINGLE --format json"

# ---------------------------------------------------------------- checkov
CK_RC=skipped
if [[ "${SKIP_CHECKOV:-0}" != 1 ]]; then
    # --skip-download: no Prisma Cloud look-ups, so the network plays no part.
    CK_ARGS=(--quiet --compact -o json --skip-download --framework cloudformation serverless terraform)
    say "checkov on the corpus (once, timeout ${CHECKOV_TIMEOUT}s)"
    CK_RC=$(timed "$RESULTS/checkov-corpus.json" "$RESULTS/checkov-corpus.time" \
        timeout "$CHECKOV_TIMEOUT" "$CHECKOV" -d "$CORPUS" "${CK_ARGS[@]}")
    say "checkov on one template (3 runs)"
    hyperfine --warmup 0 --runs 3 -i --export-json "$RESULTS/checkov-single.json" \
        "$CHECKOV -f $SINGLE ${CK_ARGS[*]}"
fi

# ---------------------------------------------------------------- report
say "results"
export NOTE RESULTS CORPUS_BYTES CORPUS_TEMPLATES CORPUS_FILES SINGLE SINGLE_BYTES FG_RC CK_RC CHECKOV_TIMEOUT
FG_TIMES=$(for i in 1 2 3; do time_fields "$RESULTS/fnguard-corpus.time.$i"; done)
CK_TIMES=$([[ -f "$RESULTS/checkov-corpus.time" ]] && time_fields "$RESULTS/checkov-corpus.time" || true)
export FG_TIMES CK_TIMES
FG_VERSION=$("$FNGUARD" --version 2>/dev/null | head -1 || echo "fnguard (version unknown)")
CK_VERSION=$([[ -x "$CHECKOV" ]] && "$CHECKOV" --version 2>/dev/null | head -1 || echo "not run")
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)
export FG_VERSION CK_VERSION CPU

python3 - >"$RESULTS/section.md" <<'EOF'
import json, os, statistics
from datetime import datetime, timezone

env = os.environ
res = env["RESULTS"]
corpus_mb = int(env["CORPUS_BYTES"]) / 1e6

def hyper(name):
    path = os.path.join(res, name)
    if not os.path.exists(path):
        return None
    r = json.load(open(path))["results"][0]
    return statistics.median(r["times"])

fg_runs = [tuple(float(x) for x in line.split()) for line in env["FG_TIMES"].strip().splitlines()]
# A floor of 1 ms keeps the ratios finite when a run is too short to measure.
fg_cpu = max(statistics.median(r[1] for r in fg_runs), 0.001)
fg_rss_mb = max(r[2] for r in fg_runs) / 1024
fg_wall = max(hyper("fnguard-corpus.json"), 0.001)
fg_single = max(hyper("fnguard-single.json"), 0.0001)
ck_single = hyper("checkov-single.json")
ck = env.get("CK_TIMES", "").split()
ck_rc = env["CK_RC"]
timed_out = ck_rc == "124"
lines = []
add = lines.append
now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
add(f"\n## {now}\n")
add(f"- machine: {os.cpu_count()} cores ({env['CPU']}), {os.popen('free -g').read().split()[7]} GiB RAM")
add(f"- {env['FG_VERSION']}; checkov {env['CK_VERSION']}")
add(f"- corpus: {env['CORPUS_TEMPLATES']} templates, {env['CORPUS_FILES']} files, {corpus_mb:.1f} MB "
    f"(bench/gen_corpus.py, seed 42); single template: {env['SINGLE']} ({int(env['SINGLE_BYTES'])} bytes)")
add(f"- exit codes: fnguard {env['FG_RC']}, checkov {ck_rc}{' (timed out)' if timed_out else ''}\n")
add("| measure | fnguard | checkov | ratio |")
add("|---|---|---|---|")
ratio_corpus = ratio_single = None
if ck:
    ck_wall, ck_cpu, ck_rss = float(ck[0]), max(float(ck[1]), 0.001), int(ck[2]) / 1024
    bound = ">= " if timed_out else ""
    ratio_corpus = ck_wall / fg_wall if fg_wall else None
    add(f"| corpus wall time, s (median) | {fg_wall:.3f} | {bound}{ck_wall:.1f} (1 run) | {bound}{ratio_corpus:.0f}x |")
    if timed_out:
        # timeout kills checkov before it reaps its worker processes, whose
        # CPU time then never reaches /usr/bin/time: no figure is better
        # than a wrong one.
        add(f"| corpus CPU time user+sys, s | {fg_cpu:.3f} | not measured (killed at the timeout) | |")
    else:
        add(f"| corpus CPU time user+sys, s | {fg_cpu:.3f} | {ck_cpu:.1f} | {ck_cpu / fg_cpu:.0f}x |")
    add(f"| corpus max RSS, MB | {fg_rss_mb:.0f} | {ck_rss:.0f} | |")
    add(f"| corpus throughput, MB/s (wall) | {corpus_mb / fg_wall:.1f} | {'<= ' if timed_out else ''}{corpus_mb / ck_wall:.3f} | |")
    ck_per_core = "" if timed_out else f"{corpus_mb / ck_cpu:.3f}"
    add(f"| corpus throughput per core, MB/s (CPU) | {corpus_mb / fg_cpu:.1f} | {ck_per_core} | |")
else:
    add(f"| corpus wall time, s (median) | {fg_wall:.3f} | not run | |")
    add(f"| corpus CPU time user+sys, s | {fg_cpu:.3f} | not run | |")
    add(f"| corpus max RSS, MB | {fg_rss_mb:.0f} | not run | |")
    add(f"| corpus throughput, MB/s (wall) | {corpus_mb / fg_wall:.1f} | | |")
    add(f"| corpus throughput per core, MB/s (CPU) | {corpus_mb / fg_cpu:.1f} | | |")
if ck_single:
    ratio_single = ck_single / fg_single
    add(f"| single template wall, s (median) | {fg_single:.4f} (10 runs) | {ck_single:.2f} (3 runs) | {ratio_single:.0f}x |")
else:
    add(f"| single template wall, s (median) | {fg_single:.4f} (10 runs) | not run | |")
add("")
targets = []
targets.append(f"50 MB/s per core: {'met' if corpus_mb / fg_cpu >= 50 else 'NOT met'}")
targets.append(f"RSS < 200 MB: {'met' if fg_rss_mb < 200 else 'NOT met'}")
if ratio_corpus is not None:
    targets.append(f"100x checkov on the corpus: {'met' if ratio_corpus >= 100 else 'NOT met'}")
if ratio_single is not None:
    targets.append(f"100x checkov on one template: {'met' if ratio_single >= 100 else 'NOT met'}")
add("Targets: " + "; ".join(targets) + ".")
if env.get("NOTE"):
    add("")
    add(f"**{env['NOTE']}**")
print("\n".join(lines))
EOF

cat "$RESULTS/section.md"
if [[ $APPEND == 1 ]]; then
    cat "$RESULTS/section.md" >>"$ROOT/BENCHMARKS.md"
    say "appended to BENCHMARKS.md (raw data in ${RESULTS#"$ROOT"/})"
fi
