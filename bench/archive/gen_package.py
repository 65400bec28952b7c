#!/usr/bin/env python3
"""Builds a Lambda-sized function package for the archive walk bench.

About 250 MB once unzipped (Lambda's limit for a function and its layers):
Python site-packages and node_modules text, JSON data, incompressible native
libraries, and jars of class files nested in the zip. Deterministic (fixed
seed), so that runs compare.

    python3 bench/archive/gen_package.py OUT.zip [--mb 250]
"""
import argparse
import io
import random
import zipfile

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--mb", type=int, default=250, help="uncompressed size, MB")
    args = parser.parse_args()
    rng = random.Random(250)
    words = ["def", "return", "self", "import", "from", "class", "if", "else", "for", "in",
             "value", "result", "config", "client", "request", "response", "data", "items",
             "None", "True", "False", "const", "function", "module", "exports", "require",
             "await", "async", "try", "except", "raise", "lambda", "key", "name", "path"]
    lines = [" " * (4 * rng.randrange(4)) + " ".join(rng.choices(words, k=rng.randrange(3, 12)))
             + "\n" for _ in range(20000)]
    target = args.mb * 1_000_000
    written = 0

    def text(size):
        out, n = [], 0
        while n < size:
            line = lines[rng.randrange(len(lines))]
            out.append(line)
            n += len(line)
        return "".join(out).encode()

    with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        def add(name, data):
            nonlocal written
            zf.writestr(name, data)
            written += len(data)

        add("app.py", text(4000))
        shares = [("python", 0.45), ("node", 0.20), ("json", 0.05), ("native", 0.20), ("jar", 0.10)]
        for kind, share in shares:
            budget = int(target * share)
            spent, i = 0, 0
            while spent < budget:
                if kind == "python":
                    data = text(rng.randrange(1000, 12000))
                    name = f"python/lib/python3.12/site-packages/pkg{i // 200}/mod{i}.py"
                elif kind == "node":
                    data = text(rng.randrange(1000, 9000))
                    name = f"node_modules/lib{i // 100}/src/file{i}.js"
                elif kind == "json":
                    data = ("[" + ",".join(f'{{"id":{j},"name":"item{j}","v":{rng.random()}}}'
                                           for j in range(20000)) + "]").encode()
                    name = f"data/set{i}.json"
                elif kind == "native":
                    data = rng.randbytes(5_000_000)
                    name = f"python/lib/python3.12/site-packages/native/_ext{i}.so"
                else:
                    jar = io.BytesIO()
                    with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as inner:
                        for c in range(300):
                            inner.writestr(f"com/vendor{i}/C{c}.class",
                                           b"\xca\xfe\xba\xbe" + rng.randbytes(2000) + text(8000))
                    data = jar.getvalue()
                    name = f"lib/vendor{i}.jar"
                add(name, data)
                spent += len(data)
                i += 1
    print(f"{args.out}: {written / 1e6:.1f} MB of files (jars counted as their bytes)")

if __name__ == "__main__":
    main()
