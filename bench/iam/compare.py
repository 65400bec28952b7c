#!/usr/bin/env python3
"""Compare what fnguard and Cloudsplaining flag on the same policies (run
with bench/.venv-iam's python).

  compare.py OUT_DIR FLAGGED.json [N]

FLAGGED.json comes from `privesc_bench POLICIES FLAGGED.json`. Looks at the
first N policies (default 1000): which ones each tool says can escalate, and
for disagreements, what the policy contains (Deny, conditions, NotAction,
scoped resources), so the reason can be read off.
"""
import json
import sys
from collections import Counter
from pathlib import Path

from cloudsplaining.scan.policy_document import PolicyDocument
from cloudsplaining.shared.exclusions import DEFAULT_EXCLUSIONS

out = Path(sys.argv[1])
fn_flagged = {int(k): v for k, v in json.loads(Path(sys.argv[2]).read_text()).items()}
n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
docs = json.loads((out / "policies.json").read_text())[:n]


def traits(doc):
    stmts = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    t = set()
    for s in stmts:
        if s["Effect"] == "Deny":
            t.add("deny")
        if "Condition" in s and s["Effect"] == "Allow":
            t.add("allow-condition")
        if "NotAction" in s and s["Effect"] == "Allow":
            t.add("allow-notaction")
        res = s.get("Resource", "*")
        if s["Effect"] == "Allow" and res != "*" and res != ["*"]:
            t.add("scoped-allow")
    return t


both = only_cs = only_fn = only_fn_allowed = neither = 0
reasons_cs, reasons_fn = Counter(), Counter()
examples = {}
for i, doc in enumerate(docs):
    cs = PolicyDocument(doc, exclusions=DEFAULT_EXCLUSIONS).allows_privilege_escalation
    fn = fn_flagged.get(i, [])
    if cs and fn:
        both += 1
    elif cs:
        only_cs += 1
        for t in traits(doc) or {"(none)"}:
            reasons_cs[t] += 1
        examples.setdefault("only-cloudsplaining", (i, [e["type"] for e in cs], doc))
    elif fn:
        only_fn += 1
        if any(strength == "Allowed" for _, strength in fn):
            only_fn_allowed += 1
            examples.setdefault("only-fnguard-allowed", (i, fn, doc))
        for t in traits(doc) or {"(none)"}:
            reasons_fn[t] += 1
        examples.setdefault("only-fnguard", (i, fn, doc))
    else:
        neither += 1
print(f"{n} policies: both flag {both}, only Cloudsplaining {only_cs}, only fnguard {only_fn} "
      f"({only_fn_allowed} with an Allowed escalation, the rest Conditional), neither {neither}")
print(f"  only Cloudsplaining, policy traits: {dict(reasons_cs)}")
print(f"  only fnguard, policy traits: {dict(reasons_fn)}")
for kind, (i, found, doc) in examples.items():
    print(f"  example {kind}: policy {i}: {found}\n    {json.dumps(doc)[:600]}")
