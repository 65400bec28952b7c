#!/usr/bin/env bash
# Installs what the DNS benchmark needs (dnsperf, unbound) if missing.
# Idempotent and quiet when both are there; `apt-get update` only when the
# first install attempt fails.
set -euo pipefail
need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
{ command -v unbound >/dev/null && command -v unbound-checkconf >/dev/null; } || need+=(unbound)
command -v python3 >/dev/null || need+=(python3)
[[ ${#need[@]} -eq 0 ]] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
install() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
echo "bench/dns/setup.sh: installing ${need[*]}" >&2
install || { $SUDO apt-get update -qq && install; }
