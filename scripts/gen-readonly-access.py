#!/usr/bin/env python3
"""Derive data/iam/managed/ReadOnlyAccess.json from the action catalog.

AWS's real ReadOnlyAccess policy is very large (thousands of `svc:Get*`,
`svc:List*`, `svc:Describe*` entries, hand-picked per service and changed
every few weeks). fnguard keeps a documented reduction instead: every action
the catalog (data/iam/actions.tsv, the AWS Service Authorization Reference)
classes as List or Read, written compactly. Per service and per leading verb
(`Get`, `List`, `Describe`, `Batch`...), a verb whose every catalog action is
List/Read becomes one `svc:Verb*` pattern; otherwise its List/Read actions
are listed one by one. A pattern therefore never grants a Write, Permissions
management or Tagging action of the catalog it was derived from.

Known difference from the real policy (see data/iam/managed/NOTICE.md): the
real one leaves out some Read actions that return secrets or data (for
example secretsmanager:GetSecretValue), so this reduction errs towards
granting more reads, never more writes.

Usage: scripts/gen-readonly-access.py  (from the repository root)
"""
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

root = Path(__file__).resolve().parent.parent
actions_tsv = root / "data/iam/actions.tsv"
out = root / "data/iam/managed/ReadOnlyAccess.json"

by_service = defaultdict(list)
for line in actions_tsv.read_text().splitlines():
    cols = line.split("\t")
    name, level = cols[0], cols[1]
    service, action = name.split(":", 1)
    by_service[service].append((action, level))

verb_re = re.compile(r"^[A-Z]?[a-z0-9]+|^[A-Z]+(?=[A-Z][a-z]|$)")
patterns = []
for service in sorted(by_service, key=str.lower):
    groups = defaultdict(list)
    for action, level in by_service[service]:
        m = verb_re.match(action)
        verb = m.group(0) if m else action
        groups[verb].append((action, level))
    for verb in sorted(groups, key=str.lower):
        readable = [a for a, lvl in groups[verb] if lvl in ("List", "Read")]
        if not readable:
            continue
        # IAM matches actions case-insensitively, so `Get*` also covers
        # `GETx` or `Getaway`: the pattern is safe only if every action it
        # would match is List/Read.
        covered = [
            lvl for a, lvl in by_service[service] if a.lower().startswith(verb.lower())
        ]
        if all(lvl in ("List", "Read") for lvl in covered) and len(covered) > 1:
            patterns.append(f"{service}:{verb}*")
        else:
            patterns.extend(f"{service}:{a}" for a in sorted(readable, key=str.lower))

doc = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ReadOnlyFromCatalog", "Effect": "Allow", "Action": patterns, "Resource": "*"}],
}
out.write_text(json.dumps(doc, indent=1) + "\n")
print(f"{out.relative_to(root)}: {len(patterns)} action patterns", file=sys.stderr)
