#!/usr/bin/env python3
"""Time Cloudsplaining on the benchmark policies (run with bench/.venv-iam's
python). Two figures:

  privesc   PolicyDocument(doc).allows_privilege_escalation for every policy:
            Cloudsplaining's own privilege-escalation check, the closest
            equivalent of fnguard's privesc::assess;
  analysis  AuthorizationDetails(...).results on the authorization-details
            file: everything `cloudsplaining scan` computes before it writes
            the HTML report.

Usage: cloudsplaining_time.py OUT_DIR [privesc|analysis|both]
"""
import json
import sys
import time
from pathlib import Path

from cloudsplaining.scan.authorization_details import AuthorizationDetails
from cloudsplaining.scan.policy_document import PolicyDocument
from cloudsplaining.shared.exclusions import DEFAULT_EXCLUSIONS

out = Path(sys.argv[1])
what = sys.argv[2] if len(sys.argv) > 2 else "both"
details = json.loads((out / "authorization-details.json").read_text())
docs = [role["RolePolicyList"][0]["PolicyDocument"] for role in details["RoleDetailList"]]

if what in ("privesc", "both"):
    started, cpu = time.perf_counter(), time.process_time()
    flagged = 0
    escalations = 0
    for doc in docs:
        found = PolicyDocument(doc, exclusions=DEFAULT_EXCLUSIONS).allows_privilege_escalation
        flagged += bool(found)
        escalations += len(found)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"cloudsplaining privesc: {len(docs)} policies in {elapsed:.3f} s wall, {cpu:.3f} s CPU "
          f"({cpu * 1e6 / len(docs):.1f} us CPU/policy); {flagged} policies flagged, {escalations} escalations")

if what in ("analysis", "both"):
    started, cpu = time.perf_counter(), time.process_time()
    results = AuthorizationDetails(details, exclusions=DEFAULT_EXCLUSIONS).results
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"cloudsplaining analysis: {len(docs)} roles in {elapsed:.3f} s wall, {cpu:.3f} s CPU; "
          f"{len(results.get('roles', {}))} roles in results")
