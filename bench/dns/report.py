#!/usr/bin/env python3
"""Reads the dnsperf outputs of a bench/dns/run.sh run and prints figures.

  report.py latrate DIR WORKLOAD FRACTION  the fixed rate for the latency runs:
                                           FRACTION of the lower of the two
                                           servers' median qps, in thousands
  report.py table DIR                      the Markdown table of the run
  report.py soak DIR                       the table of a bench/dns/soak.sh run
  report.py summary FILE                   one dnsperf output as JSON

Files in DIR (written by run.sh):
  tput_SERVER_WORKLOAD_REP.txt   dnsperf at saturation
  lat_SERVER_WORKLOAD.txt[.gz]   dnsperf -v -Q RATE (one line per response)
  tput_..._REP.txt.cpu           CPU seconds of the server and dnsperf during the run,
                                 and the share of both cores everything else took
  meta_SERVER.txt                `key value` lines: load_s, rss/hwm at load and end
Stdlib only.
"""
import glob
import gzip
import json
import os
import re
import statistics
import sys

EXPECTED = {"cached": "NOERROR", "blocked": "NXDOMAIN", "mixed": None}


def summary(path):
    text = open(path).read()
    out = {}
    for key, pat in [
        ("sent", r"Queries sent:\s+(\d+)"),
        ("completed", r"Queries completed:\s+(\d+)"),
        ("lost", r"Queries lost:\s+(\d+)"),
        ("qps", r"Queries per second:\s+([\d.]+)"),
        ("avg_s", r"Average Latency \(s\):\s+([\d.]+)"),
        ("max_s", r"Average Latency \(s\):.*max ([\d.]+)"),
        ("stddev_s", r"Latency StdDev \(s\):\s+([\d.]+)"),
    ]:
        m = re.search(pat, text)
        out[key] = float(m.group(1)) if m else None
    m = re.search(r"Response codes:\s+(.*)", text)
    out["rcodes"] = {c: int(n) for c, n in re.findall(r"([A-Z]+) (\d+)", m.group(1))} if m else {}
    return out


def latencies(path):
    """Per-query latencies (s) of a dnsperf -v output; timeouts counted apart."""
    lat, timeouts = [], 0
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        for line in f:
            if not line.startswith("> "):
                continue
            parts = line.split()
            if parts[1] in ("T", "I"):
                timeouts += 1
            else:
                try:
                    lat.append(float(parts[-1]))
                except ValueError:
                    pass
    return lat, timeouts


def pct(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def meta(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            if line.strip():
                k, _, v = line.strip().partition(" ")
                out[k] = v
    return out


def medians(d):
    runs = {}
    for path in sorted(glob.glob(os.path.join(d, "tput_*_*_*.txt")), key=lambda p: int(p[:-4].rsplit("_", 1)[1])):
        _, server, workload, _ = os.path.basename(path)[:-4].split("_")
        r = summary(path)
        r["cpu"] = {k: float(v) for k, v in meta(path + ".cpu").items()}
        runs.setdefault((server, workload), []).append(r)
    return runs


def ms(s):
    return "-" if s is None else f"{s * 1000:.3f}"


def table(d):
    runs = medians(d)
    servers = [s for s in ("unbound", "fnguard") if any(k[0] == s for k in runs)]
    workloads = [w for w in ("cached", "blocked") if any(k[1] == w for k in runs)]
    rate = meta(os.path.join(d, "rates.txt"))
    settings = meta(os.path.join(d, "settings.txt"))
    if settings:
        print("Settings: " + ", ".join(f"{k} {v}" for k, v in settings.items()))
        print()
    print("| server | workload | qps median (runs) | fnguard/unbound | lost | expected rcode | "
          "latency p50 / p90 / p99 / max ms (at qps) | RSS after load / end MB | peak (VmHWM) MB | ready s | "
          "queries per server CPU-s | other load % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    med = {}
    for (server, workload), rs in runs.items():
        med[(server, workload)] = statistics.median(r["qps"] or 0 for r in rs)
    for workload in workloads:
        for server in servers:
            rs = runs.get((server, workload))
            if not rs:
                continue
            q = med[(server, workload)]
            ratio = "-"
            if server == "fnguard" and med.get(("unbound", workload)):
                ratio = f"{q / med[('unbound', workload)]:.2f}"
            lost = int(sum(r["lost"] or 0 for r in rs))
            sent = int(sum(r["sent"] or 0 for r in rs))
            want = EXPECTED[workload]
            got = sum(r["rcodes"].get(want, 0) for r in rs)
            done = sum(r["completed"] or 0 for r in rs)
            ok = f"{want} {100 * got / done:.2f}%" if done else "-"
            lat_path = os.path.join(d, f"lat_{server}_{workload}.txt")
            if not os.path.exists(lat_path):
                lat_path += ".gz"
            latcol = "-"
            if os.path.exists(lat_path):
                lat, timeouts = latencies(lat_path)
                lat.sort()
                latcol = " / ".join(ms(pct(lat, p)) for p in (50, 90, 99)) + f" / {ms(lat[-1] if lat else None)}"
                latcol += f" ({rate.get(workload, '?')} qps"
                latcol += f", {timeouts} timeouts)" if timeouts else ")"
            m = meta(os.path.join(d, f"meta_{server}.txt"))
            eff, other = "-", "-"
            cpu = [r for r in rs if r["cpu"].get("server_cpu")]
            if cpu:
                eff = f"{statistics.median((r['completed'] or 0) / r['cpu']['server_cpu'] for r in cpu):,.0f}"
                other = f"{max(r['cpu'].get('other_pct', 0) for r in cpu):.0f}"
            each = ", ".join(f"{r['qps'] or 0:,.0f}" for r in rs)
            print(f"| {server} | {workload} | {q:,.0f} ({each}) | {ratio} | "
                  f"{lost} of {sent:,} | {ok} | {latcol} | {m.get('rss_load', '-')} / {m.get('rss_end', '-')} | "
                  f"{m.get('hwm_end', '-')} | {m.get('load_s', '-')} | {eff} | {other} |")
    crashed = [s for s in servers if meta(os.path.join(d, f"meta_{s}.txt")).get("alive_end") == "no"]
    if crashed:
        print(f"\n**Crashed during the run: {', '.join(crashed)}**")


def latrate(d, workload, fraction):
    runs = medians(d)
    qs = [statistics.median(r["qps"] or 0 for r in rs) for (s, w), rs in runs.items() if w == workload]
    low = min(qs) if qs else 0
    print(max(1000, int(low * fraction / 1000) * 1000))


def soak(d):
    m = meta(os.path.join(d, "meta.txt"))
    s = summary(os.path.join(d, "soak.txt"))
    per_s = [float(x) for x in re.findall(r"^\d+\.\d+: ([\d.]+)$", open(os.path.join(d, "soak.txt")).read(), re.M)][1:]
    rss, gone = [], None
    for line in open(os.path.join(d, "rss.txt")):
        parts = line.split()
        if len(parts) >= 2 and parts[1] == "gone":
            gone = gone or parts[0]
        elif len(parts) == 3:
            rss.append((parts[0], int(parts[1]) / 1024, int(parts[2]) / 1024))
    server = m.get("server", "?")
    print(f"Soak of {server}: {len(rss)} RSS samples, target rate {m.get('rate', '?')} qps (mixed cached/blocked)")
    for k, v in m.items():
        if k == "note":
            print(f"Note: {v}")
    print()
    print("| figure | value |")
    print("|---|---|")
    crashed = m.get("alive_end") != "yes" or gone
    print(f"| crashes | {'**yes**, gone at ' + str(gone) + ' s' if gone else ('**yes**' if crashed else '0')} |")
    print(f"| queries sent / completed / lost | {int(s['sent'] or 0):,} / {int(s['completed'] or 0):,} / {int(s['lost'] or 0):,} |")
    print(f"| response codes | {', '.join(f'{k} {v:,}' for k, v in s['rcodes'].items())} |")
    print(f"| qps overall | {s['qps'] or 0:,.0f} |")
    if per_s:
        print(f"| qps per second min / median / max | {min(per_s):,.0f} / {statistics.median(per_s):,.0f} / {max(per_s):,.0f} |")
    print(f"| latency avg / stddev / max ms | {ms(s['avg_s'])} / {ms(s['stddev_s'])} / {ms(s['max_s'])} |")
    if rss:
        vals = [r for _, r, _ in rss]
        half = vals[len(vals) // 2:]
        print(f"| RSS start / peak / end MB | {vals[0]:.1f} / {max(vals):.1f} / {vals[-1]:.1f} |")
        print(f"| RSS change over the second half MB | {half[-1] - half[0]:+.1f} |")
        print(f"| VmHWM at the end MB | {rss[-1][2]:.1f} |")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "table":
        table(sys.argv[2])
    elif cmd == "soak":
        soak(sys.argv[2])
    elif cmd == "latrate":
        latrate(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif cmd == "summary":
        print(json.dumps(summary(sys.argv[2])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
