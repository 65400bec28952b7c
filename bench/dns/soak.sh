#!/usr/bin/env bash
# 60-second soak of fnguard's DNS firewall at the highest sustainable rate
# (issue 5): dnsperf at a share of the measured maximum, cached and blocked
# names interleaved, RSS sampled every second; reports crashes (process
# gone), lost queries, the per-second rate and RSS at start, peak and end.
#
#   bench/dns/soak.sh                      fnguard, 60 s at 85 % of its max
#   RATE=60000 bench/dns/soak.sh           a fixed rate
#   SERVER=unbound bench/dns/soak.sh       the same soak against unbound
#
# Knobs: SERVER (fnguard), SECONDS_SOAK (60), FRACTION (0.85), RATE,
# CLIENTS (4), OUTSTANDING (200), PERF_THREADS (1), DENY, WILDCARDS, THREADS,
# WAIT_QUIET (set: wait until the machine is otherwise idle before measuring).
set -euo pipefail
source "$(dirname "$0")/common.sh"

SERVER=${SERVER:-fnguard}
SECONDS_SOAK=${SECONDS_SOAK:-60}
FRACTION=${FRACTION:-0.85}
CLIENTS=${CLIENTS:-4}
OUTSTANDING=${OUTSTANDING:-200}
PERF_THREADS=${PERF_THREADS:-1}
RES=$OUT/results/soak-$SERVER-$(date -u +%Y%m%dT%H%M%SZ)
case $SERVER in
  fnguard) port=$FNGUARD_PORT ;;
  unbound) port=$UNBOUND_PORT ;;
  *) die "SERVER is fnguard or unbound" ;;
esac

prepare
mkdir -p "$RES"
if [[ $SERVER == fnguard ]] && ! fnguard_available; then
  die "$FNGUARD missing or without \`dns serve\` (set FNGUARD=..., or SERVER=unbound)"
fi
start_upstream
"start_$SERVER"
check_blocks "$SERVER" "$port"
$DNSQ warm "$port" "$OUT/cached.txt" >&2

perf() {
  wait_quiet
  dnsperf -s 127.0.0.1 -p "$port" -d "$OUT/mixed.txt" -c "$CLIENTS" -q "$OUTSTANDING" -T "$PERF_THREADS" "$@" || true
}
if [[ -z ${RATE:-} ]]; then
  perf -l 10 >"$RES/max.txt" 2>&1
  max=$(awk '/Queries per second/{printf "%d", $4}' "$RES/max.txt")
  RATE=$(python3 -c "print(int($max * $FRACTION / 1000) * 1000)")
  log "$SERVER: $max qps at saturation (mixed), soaking at $RATE qps ($FRACTION)"
fi
alive "$SERVER" || die "$SERVER is gone before the soak"
other_load >"$RES/load.txt" || true

# RSS every second, into rss.txt: seconds-since-start VmRSS VmHWM (kB), or
# `gone` once the process has disappeared.
status=/proc/${PID[$SERVER]}/status
(
  t0=${EPOCHREALTIME/[.,]/}
  next=$t0
  while :; do
    now=${EPOCHREALTIME/[.,]/}
    t=$(( (now - t0) / 100000 ))
    t="$(( t / 10 )).$(( t % 10 ))"
    if [[ -r $status ]]; then
      awk -v t="$t" '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{print t, r, h}' "$status"
    else
      echo "$t gone"
    fi
    next=$(( next + 1000000 ))
    now=${EPOCHREALTIME/[.,]/}
    (( next > now )) && sleep "$(printf '0.%06d' $(( next - now )))"
  done
) >"$RES/rss.txt" &
PID[sampler]=$!
perf -l "$SECONDS_SOAK" -Q "$RATE" -S 1 >"$RES/soak.txt" 2>&1
sleep 1
kill "${PID[sampler]}" 2>/dev/null || true
wait "${PID[sampler]}" 2>/dev/null || true
unset 'PID[sampler]'
echo "alive_end $(alive "$SERVER" && echo yes || echo no)" >"$RES/meta.txt"
echo "rate $RATE" >>"$RES/meta.txt"
echo "server $SERVER" >>"$RES/meta.txt"
other_load >>"$RES/load.txt" || true
sed 's/^/note /' "$RES/load.txt" >>"$RES/meta.txt"
python3 "$HERE/report.py" soak "$RES" | tee "$RES/soak.md"
log "results in $RES"
grep -q '^alive_end yes' "$RES/meta.txt"
