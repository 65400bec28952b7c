# Shared by bench/dns/run.sh and bench/dns/soak.sh (sourced, not run).
# Starts the upstream, unbound and fnguard on loopback, remembers their
# pids, and kills all of them on exit (trap), whatever happens.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/bench/dns
OUT=${OUT:-$HERE/out}
UP_PORT=${UP_PORT:-5300}            # upstream unbound (authoritative for bench.test)
UNBOUND_PORT=${UNBOUND_PORT:-5363}  # unbound as firewall
FNGUARD_PORT=${FNGUARD_PORT:-5354}  # fnguard dns serve
FNGUARD=${FNGUARD:-$ROOT/target/release/fnguard}
DENY=${DENY:-1000000}
THREADS=${THREADS:-2}               # this machine has 2 cores
DNSQ="python3 $HERE/dnsq.py"

declare -A PID=()

stop_all() {
  local name
  for name in "${!PID[@]}"; do
    kill "${PID[$name]}" 2>/dev/null || true
  done
  for name in "${!PID[@]}"; do
    # unbound needs a moment to free a million RPZ names; then insist.
    for _ in $(seq 50); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${PID[$name]}" 2>/dev/null || true
    wait "${PID[$name]}" 2>/dev/null || true
  done
  PID=()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The data (generated once, regenerated when the parameters change) and
# the three configurations.
prepare() {
  bash "$HERE/setup.sh"
  mkdir -p "$OUT"
  python3 "$HERE/gen.py" "$OUT" --deny "$DENY" ${WILDCARDS:+--wildcards} >&2
  local common="    interface: 127.0.0.1
    do-ip6: no
    use-syslog: no
    logfile: \"\"
    chroot: \"\"
    username: \"\"
    directory: \"$OUT\"
    pidfile: \"\"
    do-daemonize: no
    verbosity: 1
    access-control: 127.0.0.0/8 allow
    # RFC 6761 names: unbound answers test. itself unless told not to.
    local-zone: \"test.\" nodefault"
  # The upstream: bench.test from local-data, every other name answered
  # 198.51.100.1 (a redirect zone at the root), so it never goes to the
  # network and a name that a firewall fails to block comes back NOERROR.
  cat > "$OUT/upstream.conf" <<CONF
server:
    port: $UP_PORT
    num-threads: 1
    module-config: "iterator"
$common
    local-zone: "." redirect
    local-data: ". 300 IN A 198.51.100.1"
    include: "$OUT/upstream-zone.conf"
CONF
  # unbound as the firewall: the denylist as an RPZ zone. rpz needs the
  # respip module; no validator (no trust anchor, nothing goes out).
  cat > "$OUT/unbound.conf" <<CONF
server:
    port: $UNBOUND_PORT
    num-threads: $THREADS
    do-not-query-localhost: no
    module-config: "respip iterator"
$common
rpz:
    name: "rpz.bench."
    zonefile: "$OUT/deny.rpz"
    rpz-log: no
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$UP_PORT
CONF
  cat > "$OUT/fnguard.toml" <<CONF
[policy]
mode = "denylist"
action = "nxdomain"
deny_files = ["deny.rpz"]

[server]
listen = ["127.0.0.1:$FNGUARD_PORT"]
upstreams = ["127.0.0.1:$UP_PORT"]
timeout_ms = 1000
threads = $THREADS
CONF
  unbound-checkconf "$OUT/upstream.conf" >&2 || die "upstream.conf"
  unbound-checkconf "$OUT/unbound.conf" >&2 || die "unbound.conf"
}

# fnguard_available: the binary exists and has `dns serve`.
fnguard_available() {
  [[ -x "$FNGUARD" ]] && "$FNGUARD" dns serve --help >/dev/null 2>&1
}

# start NAME PORT SECONDS CMD...: starts CMD in the background (output in
# $OUT/NAME.log), waits until it answers on PORT, sets LOAD_S[NAME].
declare -A LOAD_S=()
start() {
  local name=$1 port=$2 wait_s=$3
  shift 3
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$OUT/$name.log" 2>&1 &
  PID[$name]=$!
  local deadline=$((SECONDS + wait_s))
  until $DNSQ wait "$port" host1.bench.test 1 2>/dev/null; do
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
      tail -20 "$OUT/$name.log" >&2
      die "$name exited before answering (log: $OUT/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -20 "$OUT/$name.log" >&2
      die "$name does not answer on 127.0.0.1:$port after $wait_s s"
    fi
  done
  t1=$(date +%s.%N)
  LOAD_S[$name]=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
  log "$name answers on 127.0.0.1:$port (pid ${PID[$name]}, ready after ${LOAD_S[$name]} s)"
}

start_upstream() { start upstream "$UP_PORT" 20 unbound -d -c "$OUT/upstream.conf"; }
start_unbound() { start unbound "$UNBOUND_PORT" 120 unbound -d -c "$OUT/unbound.conf"; }
start_fnguard() { start fnguard "$FNGUARD_PORT" 120 "$FNGUARD" dns serve --config "$OUT/fnguard.toml"; }

# check_blocks NAME PORT: an allowed name resolves, a denylisted name is
# NXDOMAIN, a name outside both reaches the upstream.
check_blocks() {
  local port=$2 blocked
  blocked=$(head -1 "$OUT/blocked.txt" | cut -d' ' -f1)
  $DNSQ expect "$port" host7.bench.test NOERROR >&2 || die "$1 does not resolve an allowed name"
  $DNSQ expect "$port" "$blocked" NXDOMAIN >&2 || die "$1 does not block $blocked"
  $DNSQ expect "$port" not-listed.example NOERROR >&2 || die "$1 does not forward a name outside the list"
  # Below a listed name: an RPZ trigger is the name only (unbound, and
  # fnguard since main 9fa1484); the subtree needs the zone's *.NAME
  # records (WILDCARDS).
  if [[ -n ${WILDCARDS:-} ]]; then
    $DNSQ expect "$port" "below.$blocked" NXDOMAIN >&2 || die "$1 does not block below $blocked"
  else
    log "$1: below.$blocked -> $($DNSQ query "$port" "below.$blocked") (the zone has no *.NAME)"
  fi
}

# rss_mb NAME: "VmRSS VmHWM" in MB of a started process ("gone gone" if it died).
rss_mb() {
  local f=/proc/${PID[$1]}/status
  if [[ -r $f ]]; then
    awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{printf "%.1f %.1f\n", r/1024, h/1024}' "$f"
  else
    echo "gone gone"
  fi
}

alive() { kill -0 "${PID[$1]}" 2>/dev/null; }

# other_load: says (and returns 0) when a build or something else busy
# shares the two cores; the figures are then not comparable.
other_load() {
  local busy
  # ps's %CPU is over each process's lifetime: a rough look, our own
  # processes (the servers started here, dnsperf, ps) left out.
  busy=$(ps -eo pid=,pcpu=,comm= --sort=-pcpu | awk -v ours=" ${PID[*]} " \
    '$2 > 20 && index(ours, " " $1 " ") == 0 && $3 !~ /^(dnsperf|ps)$/ {printf "%s(%s%%) ", $3, $2}')
  if [[ -n $busy ]] || pgrep -x 'cargo|rustc' >/dev/null; then
    log "warning: other load on the machine: ${busy:-cargo/rustc running} (figures are not comparable)"
    echo "other load: ${busy:-cargo/rustc}"
    return 0
  fi
  return 1
}

# CPU accounting around a dnsperf run, so that a run disturbed by other
# work on the two cores shows. jiffies_busy: all CPUs' busy time since
# boot; jiffies_of NAME: a started process's user+system time (all threads).
HZ=$(getconf CLK_TCK)
jiffies_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
jiffies_of() {
  local f=/proc/${PID[$1]}/stat
  [[ -r $f ]] || { echo 0; return; }
  # Fields after the command name (which may hold spaces): utime is the 12th.
  sed 's/^.*) //' "$f" | awk '{print $12+$13}'
}

# wait_quiet: with WAIT_QUIET set, waits (up to 15 min) until the machine
# is idle apart from us: less than QUIET_PCT (10) % of the cores busy over
# 2 s while the servers have nothing to do (a build, tests or a fuzzer
# would take one of the two cores from the measurement).
wait_quiet() {
  [[ -n ${WAIT_QUIET:-} ]] || return 0
  local waited=0 b0 b1 pct
  while :; do
    b0=$(jiffies_busy); sleep 2; b1=$(jiffies_busy)
    pct=$(( (b1 - b0) * 100 / (2 * HZ * $(nproc)) ))
    ((pct < ${QUIET_PCT:-10} || waited >= 900)) && break
    ((waited == 0)) && log "waiting until the machine is idle ($pct % busy; WAIT_QUIET)"
    sleep 3
    waited=$((waited + 5))
  done
  ((waited == 0)) || log "idle after $waited s"
}
