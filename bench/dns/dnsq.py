#!/usr/bin/env python3
"""A small DNS client for the benchmark's checks (no dig needed).

  dnsq.py query PORT NAME [TYPE]           prints RCODE and the A answers
  dnsq.py expect PORT NAME RCODE           exits 1 unless the rcode matches
  dnsq.py wait PORT NAME SECONDS           waits until the server answers
  dnsq.py warm PORT FILE                   one pass over a dnsperf query file

Always 127.0.0.1 (the benchmark stays on loopback). Stdlib only.
"""
import random
import socket
import struct
import sys
import time

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "TXT": 16, "AAAA": 28}


def encode(name, qtype, qid):
    head = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".") if l) + b"\0"
    return head + q + struct.pack(">HH", TYPES[qtype], 1)


def skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += n + 1


def decode(msg):
    qid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    i = 12
    for _ in range(qd):
        i = skip_name(msg, i) + 4
    answers = []
    for _ in range(an):
        i = skip_name(msg, i)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            answers.append(socket.inet_ntoa(msg[i:i + 4]))
        i += rdlen
    return qid, RCODES.get(flags & 0xF, str(flags & 0xF)), answers


def query(port, name, qtype="A", timeout=1.0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        qid = random.randrange(65536)
        s.sendto(encode(name, qtype, qid), ("127.0.0.1", port))
        while True:
            data, _ = s.recvfrom(4096)
            rid, rcode, answers = decode(data)
            if rid == qid:
                return rcode, answers


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "query":
        rcode, answers = query(port, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "A")
        print(rcode, *answers)
    elif cmd == "expect":
        name, want = sys.argv[3], sys.argv[4]
        try:
            rcode, answers = query(port, name)
        except OSError as e:
            rcode, answers = f"no answer ({e})", []
        if rcode != want:
            print(f"dnsq: {name} on port {port}: {rcode}, expected {want}", file=sys.stderr)
            sys.exit(1)
        print(f"  port {port}: {name} -> {rcode} {' '.join(answers)}")
    elif cmd == "wait":
        name, deadline = sys.argv[3], time.time() + float(sys.argv[4])
        while time.time() < deadline:
            try:
                query(port, name, timeout=0.5)
                return
            except OSError:
                time.sleep(0.2)
        print(f"dnsq: nothing answers on 127.0.0.1:{port} after {sys.argv[4]} s", file=sys.stderr)
        sys.exit(1)
    elif cmd == "warm":
        bad = total = 0
        for line in open(sys.argv[3]):
            parts = line.split()
            if not parts:
                continue
            total += 1
            try:
                rcode, _ = query(port, parts[0], parts[1] if len(parts) > 1 else "A")
                bad += rcode != "NOERROR"
            except OSError:
                bad += 1
        print(f"  warmed port {port}: {total} queries, {bad} not NOERROR")
        if bad:
            sys.exit(1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
