#!/usr/bin/env python3
"""Recall of ripsecrets on the planted secrets of a gen_corpus.py corpus.

    ripsecrets_recall.py RIPSECRETS_OUTPUT OUT

ripsecrets prints `path:line:text` for each line with a secret. A planted
secret counts as found when its line is reported (for a PEM block, the
BEGIN line just above the body also counts). Lines reported that hold no
planted secret are counted as other hits.
"""
import collections
import sys


def main():
    out, corpus_dir = sys.argv[1], sys.argv[2]
    reported = set()
    for line in open(out, errors="replace"):
        parts = line.split(":", 2)
        if len(parts) >= 2 and parts[1].isdigit():
            reported.add((parts[0].rsplit("/", 1)[-1], int(parts[1])))
    planted_lines = set()
    found, total = collections.Counter(), collections.Counter()
    for row in open(corpus_dir + "/planted.tsv"):
        name, offset, _length, kind = row.rstrip("\n").split("\t")
        with open(corpus_dir + "/corpus/" + name, "rb") as f:
            line = f.read(int(offset)).count(b"\n") + 1
        planted_lines.update({(name, line), (name, line - 1)})
        total[kind] += 1
        if (name, line) in reported or (kind == "pem" and (name, line - 1) in reported):
            found[kind] += 1
    print(f"ripsecrets recall: {sum(found.values())}/{sum(total.values())}")
    for kind in sorted(total):
        print(f"  {kind:<16} {found[kind]}/{total[kind]}")
    print(f"other reported lines: {len(reported - planted_lines)}")


if __name__ == "__main__":
    main()
