#!/usr/bin/env python3
"""The peer of the `fnguard detect` benchmark: Sigma rules run the way
Zircolite runs them. pySigma's SQLite backend converts each rule to one SQL
query; the events are flattened (nested keys joined with `.`, list elements
by index) into one in-memory SQLite table whose text columns compare
without case (`COLLATE NOCASE`, as Zircolite creates them), with a REGEXP
function; then every query runs over the table. Written for this benchmark
after Zircolite's documented design, not copied from it.

    peer_sqlite.py --events FILE.jsonl --rules DIR_OR_FILE... [--json]

Prints load seconds (read, flatten, insert), query seconds, matches per
rule and in total.
"""
import argparse
import json
import pathlib
import re
import sqlite3
import sys
import time

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection


def flatten(value, prefix, row):
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, prefix + key + ".", row)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            flatten(item, prefix + str(index) + ".", row)
    elif value is None:
        row[prefix[:-1]] = None
    elif isinstance(value, bool):
        row[prefix[:-1]] = "true" if value else "false"
    else:
        row[prefix[:-1]] = str(value)


def regexp(pattern, text):
    if text is None:
        return 0
    return 1 if re.search(pattern, str(text)) else 0


def rule_files(paths):
    for path in paths:
        path = pathlib.Path(path)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.yml"))
        else:
            yield path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", required=True)
    parser.add_argument("--rules", nargs="+", required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    backend = sqliteBackend()
    queries = []
    for path in rule_files(args.rules):
        for query in backend.convert(SigmaCollection.from_yaml(path.read_text())):
            queries.append((path.name, query))

    started = time.perf_counter()
    rows = []
    columns = {}
    with open(args.events, "rb") as events:
        for line in events:
            if not line.strip():
                continue
            row = {}
            flatten(json.loads(line), "", row)
            for column in row:
                columns.setdefault(column, len(columns))
            rows.append(row)
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, regexp, deterministic=True)
    names = list(columns)

    def quote(name):
        return '"' + name.replace('"', '""') + '"'

    db.execute(
        "CREATE TABLE logs (row_id INTEGER PRIMARY KEY, "
        + ", ".join(quote(n) + " TEXT COLLATE NOCASE" for n in names)
        + ")"
    )
    insert = (
        "INSERT INTO logs ("
        + ", ".join(quote(n) for n in names)
        + ") VALUES ("
        + ", ".join("?" for _ in names)
        + ")"
    )
    db.executemany(insert, ([row.get(n) for n in names] for row in rows))
    db.commit()
    count = len(rows)
    del rows
    loaded = time.perf_counter()

    per_rule = {}
    added = []
    for name, query in queries:
        while True:
            try:
                matches = len(db.execute(query).fetchall())
                break
            except sqlite3.OperationalError as e:
                # A field no event has: an empty column, so that the query
                # means "no event has it" instead of failing.
                missing = re.match(r"no such column: (.+)", str(e))
                if not missing:
                    raise
                column = missing.group(1).strip("`\"")
                db.execute("ALTER TABLE logs ADD COLUMN " + quote(column) + " TEXT COLLATE NOCASE")
                added.append(column)
        per_rule[name] = per_rule.get(name, 0) + matches
    done = time.perf_counter()

    result = {
        "events": count,
        "rules": len(queries),
        "columns": len(names),
        "columns_added_for_rules": len(added),
        "load_s": round(loaded - started, 3),
        "query_s": round(done - loaded, 3),
        "total_s": round(done - started, 3),
        "matches": sum(per_rule.values()),
        "per_rule": {k: v for k, v in sorted(per_rule.items()) if v},
    }
    if args.json:
        json.dump(result, sys.stdout)
        print()
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
