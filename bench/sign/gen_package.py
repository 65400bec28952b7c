#!/usr/bin/env python3
"""Writes a function package of about SIZE_MB megabytes into a folder, shaped
like an unpacked Lambda package with its dependencies: many small source
and library files, some medium ones, a few large binaries (native
extensions, models). Contents are random (incompressible, like the .so and
model files that dominate real packages' size), from a fixed seed.

    gen_package.py --size-mb 1024 --out bench/results/sign/pkg-1g
"""
import argparse
import os
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    target = args.size_mb << 20
    # Share of the bytes per size class: (share, min size, max size).
    classes = [(0.15, 512, 64 << 10), (0.35, 64 << 10, 4 << 20), (0.50, 16 << 20, 96 << 20)]
    written = 0
    index = 0
    for share, low, high in classes:
        budget = int(target * share)
        while budget > 0:
            size = min(budget, rng.randint(low, high))
            folder = os.path.join(args.out, f"lib/pkg{index % 97:02d}/sub{index % 7}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"file{index:06d}.bin"), "wb") as f:
                f.write(rng.randbytes(size))
            budget -= size
            written += size
            index += 1
    print(f"{args.out}: {index} files, {written} bytes")


if __name__ == "__main__":
    main()
