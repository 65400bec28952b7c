#!/usr/bin/env bash
# fnguard's DNS firewall (`fnguard dns serve`) against unbound with the same
# denylist as an RPZ zone, side by side in one run, on loopback (issue 5,
# "Performance and soak"). See bench/dns/README.md.
#
#   bench/dns/run.sh                       1,000,000 names, 5 x 15 s per cell
#   DURATION=10 REPS=1 bench/dns/run.sh    quicker
#   FNGUARD=/path/to/fnguard bench/dns/run.sh
#   SERVERS=unbound bench/dns/run.sh       one side only
#
# Knobs (environment): DENY (names, 1000000), DURATION (s per dnsperf run,
# 15), REPS (5), CLIENTS (-c, 4), OUTSTANDING (-q, 200), PERF_THREADS (-T, 1),
# LAT_FRACTION (0.5: latency measured at this share of the lower of the two
# servers' median qps), LAT_QPS (a fixed rate instead), LAT_DURATION (15),
# WILDCARDS (set: the zone also has *.NAME, so unbound blocks subtrees as
# fnguard does), SERVERS ("unbound fnguard"), THREADS (2), WAIT_QUIET (set:
# before each dnsperf run, wait until the machine is otherwise idle).
set -euo pipefail
source "$(dirname "$0")/common.sh"

DURATION=${DURATION:-15}
REPS=${REPS:-5}
CLIENTS=${CLIENTS:-4}
OUTSTANDING=${OUTSTANDING:-200}
PERF_THREADS=${PERF_THREADS:-1}
LAT_FRACTION=${LAT_FRACTION:-0.5}
LAT_DURATION=${LAT_DURATION:-15}
SERVERS=${SERVERS:-unbound fnguard}
RES=$OUT/results/$(date -u +%Y%m%dT%H%M%SZ)

prepare
mkdir -p "$RES"
if [[ " $SERVERS " == *" fnguard "* ]] && ! fnguard_available; then
  log "fnguard: $FNGUARD missing or without \`dns serve\`: measuring unbound only (set FNGUARD=...)"
  SERVERS=${SERVERS//fnguard/}
fi
read -r -a servers <<<"$SERVERS"
[[ ${#servers[@]} -gt 0 ]] || die "no server to measure"
declare -A port=([unbound]=$UNBOUND_PORT [fnguard]=$FNGUARD_PORT)

{
  echo "denylist $(grep -c ' CNAME \.$' "$OUT/deny.rpz") RPZ records"
  echo "dnsperf -c $CLIENTS -q $OUTSTANDING -T $PERF_THREADS -l $DURATION, $REPS runs alternating"
  echo "threads $THREADS per firewall"
  echo "machine $(nproc) cores, $(uname -r)"
  echo "unbound $(unbound -V | head -1 | cut -d' ' -f2)"
  if [[ " ${servers[*]} " == *" fnguard "* ]]; then
    echo "fnguard $("$FNGUARD" --version 2>/dev/null | head -1) ($FNGUARD, built $(date -u -r "$FNGUARD" +%FT%TZ), sha256 $(sha256sum "$FNGUARD" | cut -c1-12))"
  fi
  echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
} >"$RES/settings.txt"

start_upstream
# One after the other: each loads its million names without the other
# competing for the two cores.
for s in "${servers[@]}"; do
  "start_$s"
  check_blocks "$s" "${port[$s]}"
  read -r rss hwm < <(rss_mb "$s")
  printf 'load_s %s\nrss_load %s\nhwm_load %s\n' "${LOAD_S[$s]}" "$rss" "$hwm" >"$RES/meta_$s.txt"
  log "$s after loading: VmRSS $rss MB, VmHWM $hwm MB"
done
# Warm the caches: one pass over the allowed names each.
for s in "${servers[@]}"; do $DNSQ warm "${port[$s]}" "$OUT/cached.txt" >&2; done

perf_once() { # perf_once SERVER FILE OUTPUT dnsperf-options...
  # Also writes OUTPUT.cpu: the server's CPU seconds, dnsperf's, and what
  # everything else on the machine took meanwhile, as a share of both cores.
  local s=$1 data=$2 dest=$3 b0 b1 s0 s1 u0 u1 t0 t1 perf_cpu TIMEFORMAT='%U %S'
  shift 3
  wait_quiet
  b0=$(jiffies_busy); s0=$(jiffies_of "$s"); u0=$(jiffies_of upstream); t0=${EPOCHREALTIME/[.,]/}
  perf_cpu=$( { time dnsperf -s 127.0.0.1 -p "${port[$s]}" -d "$data" -c "$CLIENTS" -q "$OUTSTANDING" \
    -T "$PERF_THREADS" "$@" >"$dest" 2>&1; } 2>&1 ) || true
  t1=${EPOCHREALTIME/[.,]/}; b1=$(jiffies_busy); s1=$(jiffies_of "$s"); u1=$(jiffies_of upstream)
  python3 - "$perf_cpu" >"$dest.cpu" <<PY
import sys
hz, wall = $HZ, ($t1 - $t0) / 1e6
perf = sum(float(x) for x in sys.argv[1].split()[-2:])
server, upstream, busy = ($s1 - $s0) / hz, ($u1 - $u0) / hz, ($b1 - $b0) / hz
print(f"wall {wall:.2f}")
print(f"server_cpu {server:.2f}")
print(f"dnsperf_cpu {perf:.2f}")
print(f"upstream_cpu {upstream:.2f}")
print(f"other_pct {100 * max(0.0, busy - server - perf - upstream) / (wall * $(nproc)):.1f}")
PY
  alive "$s" || die "$s is gone after $(basename "$dest") (see $OUT/$s.log)"
}

# perf: perf_once, and with WAIT_QUIET up to two more times while something
# else took QUIET_PCT % or more of the cores during the run.
perf() {
  local try other
  for try in 1 2 3; do
    perf_once "$@"
    other=$(awk '/other_pct/{printf "%d", $2}' "$3.cpu")
    [[ -z ${WAIT_QUIET:-} || $other -lt ${QUIET_PCT:-10} || $try == 3 ]] && break
    log "$(basename "$3"): other load $other % during the run: again"
  done
}

# Throughput at saturation; the servers alternate (and swap which goes
# first each repetition) so that drift on the shared machine hits both.
for rep in $(seq "$REPS"); do
  order=("${servers[@]}")
  if (( rep % 2 == 0 )) && [[ ${#servers[@]} -eq 2 ]]; then order=("${servers[1]}" "${servers[0]}"); fi
  for w in cached blocked; do
    for s in "${order[@]}"; do
      perf "$s" "$OUT/$w.txt" "$RES/tput_${s}_${w}_${rep}.txt" -l "$DURATION"
      f=$RES/tput_${s}_${w}_${rep}.txt
      log "rep $rep $w $s: $(awk '/Queries per second/{printf "%.0f qps", $4}' "$f"), lost $(awk '/Queries lost/{print $3}' "$f"), server CPU $(awk '/server_cpu/{print $2}' "$f.cpu") s, other load $(awk '/other_pct/{print $2}' "$f.cpu") %"
    done
  done
done

# Latency percentiles: dnsperf 2.10 has no histogram, but -v prints each
# response's latency; both servers get the same fixed rate, below
# saturation.
: >"$RES/rates.txt"
for w in cached blocked; do
  rate=${LAT_QPS:-$(python3 "$HERE/report.py" latrate "$RES" "$w" "$LAT_FRACTION")}
  echo "$w $rate" >>"$RES/rates.txt"
  for s in "${servers[@]}"; do
    perf "$s" "$OUT/$w.txt" "$RES/lat_${s}_${w}.txt" -l "$LAT_DURATION" -Q "$rate" -v
    gzip -f "$RES/lat_${s}_${w}.txt"
    log "latency $w $s at $rate qps done"
  done
done

for s in "${servers[@]}"; do
  read -r rss hwm < <(rss_mb "$s")
  printf 'rss_end %s\nhwm_end %s\nalive_end %s\n' "$rss" "$hwm" "$(alive "$s" && echo yes || echo no)" >>"$RES/meta_$s.txt"
  log "$s at the end: VmRSS $rss MB, VmHWM $hwm MB"
done

other_load >>"$RES/settings.txt" || true
python3 "$HERE/report.py" table "$RES" | tee "$RES/table.md"
log "results in $RES"
