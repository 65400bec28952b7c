#!/usr/bin/env python3
"""Recall, by line, of another scanner on the planted secrets of a
gen_corpus.py corpus.

    line_recall.py TOOL_OUTPUT OUT

TOOL_OUTPUT is ripsecrets' output (`path:line:text` for each line with a
secret) or detect-secrets' JSON (`results: {path: [{line_number}]}`). A
planted secret counts as found when its line is reported (for a PEM or OpenSSH private key block,
the BEGIN line just above the body also counts). Lines reported that hold
no planted secret are counted as other hits.
"""
import collections
import json
import sys


# Kinds whose secret starts on the line after its BEGIN line.
PRIVATE_KEY_BLOCKS = {"pem", "openssh-key"}


def reported_lines(out):
    with open(out, errors="replace") as f:
        text = f.read()
    if text.lstrip().startswith("{"):
        results = json.loads(text).get("results", {})
        return {
            (path.rsplit("/", 1)[-1], item["line_number"])
            for path, items in results.items()
            for item in items
        }
    lines = set()
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) >= 2 and parts[1].isdigit():
            lines.add((parts[0].rsplit("/", 1)[-1], int(parts[1])))
    return lines


def main():
    out, corpus_dir = sys.argv[1], sys.argv[2]
    reported = reported_lines(out)
    planted_lines = set()
    found, total = collections.Counter(), collections.Counter()
    for row in open(corpus_dir + "/planted.tsv"):
        name, offset, _length, kind = row.rstrip("\n").split("\t")
        with open(corpus_dir + "/corpus/" + name, "rb") as f:
            line = f.read(int(offset)).count(b"\n") + 1
        planted_lines.update({(name, line), (name, line - 1)})
        total[kind] += 1
        if (name, line) in reported or (kind in PRIVATE_KEY_BLOCKS and (name, line - 1) in reported):
            found[kind] += 1
    print(f"recall by line: {sum(found.values())}/{sum(total.values())}")
    for kind in sorted(total):
        print(f"  {kind:<16} {found[kind]}/{total[kind]}")
    print(f"other reported lines: {len(reported - planted_lines)}")


if __name__ == "__main__":
    main()
