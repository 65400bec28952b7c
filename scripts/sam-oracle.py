#!/usr/bin/env python3
"""Reference output from AWS's own SAM translator, to compare fnguard's SAM
transform against while developing (tests never need Python).

    pip install aws-sam-translator==1.115.0
    scripts/sam-oracle.py TEMPLATE.yaml [--full]

Offline: the managed-policy map comes from data/sam/aws_managed_policies.json
instead of IAM, so the translator makes no AWS call. Prints JSON: per function
its role's managed policy ARNs and the actions of its inline statements (policy
templates expanded), per REST/HTTP API route its authorization type, per
invoke permission its principal; `--full`
prints the whole translated template instead.
"""
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

HERE = os.path.dirname(os.path.abspath(__file__))
POLICIES = os.path.join(HERE, "..", "data", "sam", "aws_managed_policies.json")


class OfflinePolicies:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.map = json.load(f)

    def load(self):
        return self.map


def plain_arn(value):
    """`{"Fn::Sub": "arn:${AWS::Partition}:..."}` -> "arn:aws:..."."""
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"].replace("${AWS::Partition}", "aws")
    return value


def unwrap_if(policy):
    """`{"Fn::If": [cond, {PolicyName...}, NoValue]}` -> the policy branch."""
    if isinstance(policy, dict) and "Fn::If" in policy:
        branches = [b for b in policy["Fn::If"][1:] if isinstance(b, dict) and "PolicyName" in b]
        return branches[0] if branches else None
    return policy


def actions_of(doc):
    out = []
    stmts = doc.get("Statement", [])
    if isinstance(stmts, dict):
        stmts = [stmts]
    for st in stmts:
        acts = st.get("Action", st.get("NotAction", []))
        out.extend(acts if isinstance(acts, list) else [acts])
    return out


def swagger_auth(op, defs):
    sec = op.get("security")
    if not sec:
        return "NONE"
    names = [k for item in sec for k in item]
    if "NONE" in names or not names:
        return "NONE"
    kinds = []
    for name in names:
        d = defs.get(name, {})
        t = d.get("x-amazon-apigateway-authtype", "")
        if name == "AWS_IAM" or t == "awsSigv4":
            kinds.append("AWS_IAM")
        elif t == "cognito_user_pools":
            kinds.append("COGNITO_USER_POOLS")
        elif t == "custom":
            kinds.append("CUSTOM")
        elif name == "api_key":
            continue
        else:
            kinds.append(t or name)
    return kinds[0] if kinds else "NONE"


def summarize(out):
    res = out.get("Resources", {})
    functions = {}
    for lid, r in res.items():
        if r.get("Type") != "AWS::Lambda::Function":
            continue
        role_ref = r["Properties"].get("Role")
        role_id = role_ref.get("Fn::GetAtt", [None])[0] if isinstance(role_ref, dict) else None
        entry = {"role": role_id if role_id in res else role_ref}
        if role_id in res:
            rp = res[role_id]["Properties"]
            entry["managed"] = [plain_arn(a) for a in rp.get("ManagedPolicyArns", [])]
            inline = [unwrap_if(p) for p in rp.get("Policies", [])]
            entry["inline"] = {p["PolicyName"]: actions_of(p["PolicyDocument"]) for p in inline if p}
            trust = rp.get("AssumeRolePolicyDocument", {})
            services = []
            for st in trust.get("Statement", []):
                principal = st.get("Principal")
                found = principal.get("Service", []) if isinstance(principal, dict) else []
                services.extend(found if isinstance(found, list) else [found])
            entry["trust_services"] = sorted(services)
        functions[lid] = entry
    apis = {}
    for lid, r in res.items():
        t = r.get("Type")
        body = r.get("Properties", {}).get("Body")
        if t == "AWS::ApiGateway::RestApi" and isinstance(body, dict):
            defs = body.get("securityDefinitions", {})
            routes = {}
            for path, ops in body.get("paths", {}).items():
                if "Fn::If" in ops:  # a path of a function with a Condition
                    ops = ops["Fn::If"][1]
                for method, op in ops.items():
                    if "Fn::If" in op:
                        op = op["Fn::If"][1]
                    m = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                    key_req = any("api_key" in item for item in op.get("security", []) or [])
                    routes[f"{m} {path}"] = {"auth": swagger_auth(op, defs), "api_key": key_req}
            apis[lid] = routes
        if t == "AWS::ApiGatewayV2::Api" and isinstance(body, dict):
            defs = body.get("components", {}).get("securitySchemes", {})
            routes = {}
            for path, ops in body.get("paths", {}).items():
                for method, op in ops.items():
                    m = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                    sec = op.get("security")
                    if not sec:
                        auth = "NONE"
                    else:
                        name = next(iter(sec[0]), "NONE")
                        d = defs.get(name, {})
                        if name == "AWS_IAM":
                            auth = "AWS_IAM"
                        elif d.get("type") == "oauth2":
                            auth = "JWT"
                        elif d.get("x-amazon-apigateway-authorizer", {}).get("type") == "request":
                            auth = "CUSTOM"
                        else:
                            auth = name
                    # CloudFormation's route key for the catch-all route.
                    key = path if path == "$default" else f"{m} {path}"
                    routes[key] = {"auth": auth}
            apis[lid] = routes
    permissions = {
        lid: r["Properties"].get("Principal")
        for lid, r in res.items()
        if r.get("Type") == "AWS::Lambda::Permission"
    }
    return {"functions": functions, "apis": apis, "permissions": permissions}


def as_packaged(template):
    """The translator only accepts packaged code (`s3://` URIs), which
    `sam package` would produce; local folders become placeholder S3 URIs."""
    sections = list((template.get("Resources") or {}).values())
    sections += [{"Properties": g} for g in (template.get("Globals") or {}).values()]
    for r in sections:
        props = r.get("Properties") or {}
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            v = props.get(key)
            if isinstance(v, str) and not v.startswith("s3://"):
                props[key] = "s3://local-folder/" + v.strip("/")


def main():
    # The translator wants a region for pseudo parameters; any fixed one keeps it offline.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    with open(args[0], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    as_packaged(template)
    out = transform(template, {}, OfflinePolicies(POLICIES))
    result = out if "--full" in sys.argv else summarize(out)
    json.dump(result, sys.stdout, indent=2, sort_keys=True, default=str)
    print()


if __name__ == "__main__":
    main()
