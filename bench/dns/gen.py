#!/usr/bin/env python3
"""Generates the data of the DNS firewall benchmark (bench/dns/run.sh).

Writes into OUT (deterministic for a given seed and count):
  deny.rpz         the denylist as an RPZ zone: SOA/NS header, then one
                   `NAME CNAME .` line per name (relative to the zone, the
                   form unbound's `rpz:` loads and fnguard's `deny_files`
                   reads); with --wildcards also `*.NAME CNAME .`, so that
                   unbound blocks the subtree as fnguard does
  upstream-zone.conf local-zone/local-data lines for the upstream: the test
                   zone's allowed names, `hostN.bench.test. A 192.0.2.x`
  cached.txt       dnsperf queries for allowed names (`NAME A`)
  blocked.txt      dnsperf queries for names drawn from the denylist
  mixed.txt        both, interleaved (for the soak)
  stamp            the parameters, so run.sh regenerates only on a change

Python 3 standard library only.
"""
import argparse
import os
import random
import string

ZONE = "bench.test"
TLDS = ["com"] * 8 + ["net"] * 3 + ["org"] * 2 + ["io", "info", "xyz", "top", "ru", "cn", "de", "co", "biz", "online", "site"]
WORDS = (
    "ad ads track tracker metric stat cdn static img media pixel beacon click "
    "log event collect api sync push mail secure login account update cloud "
    "app web data net host srv node edge gw proxy relay box hub zone link"
).split()
ALNUM = string.ascii_lowercase + string.digits


def label(rng, low, high):
    return "".join(rng.choice(ALNUM) for _ in range(rng.randint(low, high)))


def deny_names(count, seed):
    """`count` distinct names shaped like a real blocklist's: a registered
    domain of a word and random letters, often with one or two labels in
    front (ad.xk2j9.example-like)."""
    rng = random.Random(seed)
    seen = set()
    while len(seen) < count:
        base = rng.choice(WORDS) + label(rng, 3, 10) + "." + rng.choice(TLDS)
        r = rng.random()
        if r < 0.4:
            name = base
        elif r < 0.85:
            name = rng.choice(WORDS) + str(rng.randint(0, 99)) + "." + base
        else:
            name = label(rng, 4, 12) + "." + rng.choice(WORDS) + "." + base
        if name not in seen:
            seen.add(name)
            yield name


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--deny", type=int, default=1_000_000, help="names in the denylist")
    ap.add_argument("--allowed", type=int, default=1000, help="allowed names under bench.test")
    ap.add_argument("--blocked-queries", type=int, default=100_000, help="lines of blocked.txt")
    ap.add_argument("--wildcards", action="store_true", help="also *.NAME CNAME . (unbound then blocks subtrees too)")
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    stamp = f"deny={a.deny} allowed={a.allowed} blocked={a.blocked_queries} wildcards={a.wildcards} seed={a.seed} v=2\n"
    stamp_path = os.path.join(a.out, "stamp")
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print(f"gen: {a.out} is up to date ({stamp.strip()})")
        return

    rng = random.Random(a.seed + 1)
    # Reservoir sample of the deny names for the blocked queries, taken while
    # the zone is written (the million names are never all in a list).
    sample = []
    tmp = os.path.join(a.out, "deny.rpz.tmp")
    with open(tmp, "w") as f:
        f.write("$TTL 300\n@ IN SOA localhost. root.localhost. 1 3600 600 86400 300\n  IN NS localhost.\n")
        f.write(f"; {a.deny} names, bench/dns/gen.py seed {a.seed}\n")
        for i, name in enumerate(deny_names(a.deny, a.seed)):
            f.write(f"{name} CNAME .\n")
            if a.wildcards:
                f.write(f"*.{name} CNAME .\n")
            if len(sample) < a.blocked_queries:
                sample.append(name)
            else:
                j = rng.randint(0, i)
                if j < a.blocked_queries:
                    sample[j] = name
    os.replace(tmp, os.path.join(a.out, "deny.rpz"))
    rng.shuffle(sample)

    allowed = [f"host{i}.{ZONE}" for i in range(a.allowed)]
    with open(os.path.join(a.out, "upstream-zone.conf"), "w") as f:
        f.write(f'    local-zone: "{ZONE}." static\n')
        for i, name in enumerate(allowed):
            f.write(f'    local-data: "{name}. 3600 IN A 192.0.2.{i % 254 + 1}"\n')
    cached = allowed[:]
    rng.shuffle(cached)
    with open(os.path.join(a.out, "cached.txt"), "w") as f:
        f.writelines(f"{n} A\n" for n in cached)
    with open(os.path.join(a.out, "blocked.txt"), "w") as f:
        f.writelines(f"{n} A\n" for n in sample)
    with open(os.path.join(a.out, "mixed.txt"), "w") as f:
        for i, n in enumerate(sample):
            f.write(f"{n} A\n{cached[i % len(cached)]} A\n")
    with open(stamp_path, "w") as f:
        f.write(stamp)
    size = os.path.getsize(os.path.join(a.out, "deny.rpz"))
    print(f"gen: {a.out}: deny.rpz {a.deny} names ({size / 1e6:.1f} MB), {a.allowed} allowed, {len(sample)} blocked queries")


if __name__ == "__main__":
    main()
