#!/usr/bin/env python3
"""Generate N realistic identity policies (default 10,000) for the IAM
privilege-escalation benchmark, in two shapes over the same documents:

  OUT/policies.json               a JSON array of policy documents (fnguard)
  OUT/authorization-details.json  `aws iam get-account-authorization-details`
                                  shape, one role per policy with the document
                                  as its inline policy (Cloudsplaining)

The mixture imitates serverless execution roles and the people who write
them: service wildcards, scoped CRUD on tables/buckets/queues, Lambda and
IAM actions that matter for escalation (sometimes scoped, sometimes with
iam:PassedToService), explicit Deny (on actions, NotAction, NotResource),
Allow NotAction, and conditions on known and unknown keys. Deterministic
for a given --seed.

Usage: gen_policies.py [--count N] [--seed S] [--out DIR]
"""
import argparse
import json
import random
from pathlib import Path

ACCT = "123456789012"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1", "*"]
APPS = ["orders", "billing", "users", "media", "search", "etl", "notify", "auth", "reports", "inventory"]

DATA_ACTIONS = {
    "dynamodb": ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
                 "DescribeTable", "ConditionCheckItem", "DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"],
    "s3": ["GetObject", "PutObject", "DeleteObject", "ListBucket", "GetObjectVersion", "GetBucketLocation", "PutObjectAcl",
           "AbortMultipartUpload", "ListMultipartUploadParts"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl", "ChangeMessageVisibility"],
    "sns": ["Publish", "Subscribe", "ListTopics", "GetTopicAttributes"],
    "secretsmanager": ["GetSecretValue", "DescribeSecret", "PutSecretValue", "UpdateSecret"],
    "ssm": ["GetParameter", "GetParameters", "GetParametersByPath", "PutParameter"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
    "logs": ["CreateLogGroup", "CreateLogStream", "PutLogEvents"],
    "xray": ["PutTraceSegments", "PutTelemetryRecords"],
    "events": ["PutEvents", "PutRule", "PutTargets"],
    "states": ["StartExecution", "DescribeExecution", "SendTaskSuccess"],
    "kinesis": ["PutRecord", "PutRecords", "GetRecords", "GetShardIterator", "DescribeStream"],
    "ec2": ["CreateNetworkInterface", "DescribeNetworkInterfaces", "DeleteNetworkInterface", "DescribeInstances", "RunInstances"],
}
ESC_ACTIONS = {
    "lambda": ["CreateFunction", "InvokeFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "AddPermission",
               "CreateEventSourceMapping", "PublishLayerVersion", "GetFunction", "ListFunctions"],
    "iam": ["PassRole", "CreatePolicyVersion", "SetDefaultPolicyVersion", "AttachRolePolicy", "PutRolePolicy", "AttachUserPolicy",
            "CreateAccessKey", "UpdateAssumeRolePolicy", "GetRole", "ListRoles", "CreateLoginProfile", "AddUserToGroup"],
    "sts": ["AssumeRole"],
    "glue": ["CreateDevEndpoint", "UpdateDevEndpoint", "GetJob"],
    "cloudformation": ["CreateStack", "DescribeStacks", "UpdateStack"],
    "codebuild": ["CreateProject", "StartBuild", "BatchGetBuilds"],
    "ecs": ["RegisterTaskDefinition", "RunTask", "DescribeTasks"],
    "sagemaker": ["CreateNotebookInstance", "CreatePresignedNotebookInstanceUrl"],
    "datapipeline": ["CreatePipeline", "PutPipelineDefinition", "ActivatePipeline"],
}
SERVICES_FOR_PASS = ["lambda.amazonaws.com", "ec2.amazonaws.com", "glue.amazonaws.com", "states.amazonaws.com",
                     "cloudformation.amazonaws.com", "codebuild.amazonaws.com", "ecs-tasks.amazonaws.com"]


def arn_for(r, service, app):
    region = r.choice(REGIONS)
    return {
        "dynamodb": f"arn:aws:dynamodb:{region}:{ACCT}:table/{app}-{r.choice(['table', 'events', '*'])}",
        "s3": f"arn:aws:s3:::{app}-{r.choice(['uploads', 'assets', 'data'])}/*",
        "sqs": f"arn:aws:sqs:{region}:{ACCT}:{app}-queue",
        "sns": f"arn:aws:sns:{region}:{ACCT}:{app}-topic",
        "secretsmanager": f"arn:aws:secretsmanager:{region}:{ACCT}:secret:{app}/*",
        "ssm": f"arn:aws:ssm:{region}:{ACCT}:parameter/{app}/*",
        "kms": f"arn:aws:kms:{region}:{ACCT}:key/{r.randrange(16**8):08x}",
        "logs": f"arn:aws:logs:{region}:{ACCT}:log-group:/aws/lambda/{app}-*",
        "events": f"arn:aws:events:{region}:{ACCT}:event-bus/default",
        "states": f"arn:aws:states:{region}:{ACCT}:stateMachine:{app}-*",
        "kinesis": f"arn:aws:kinesis:{region}:{ACCT}:stream/{app}",
        "lambda": f"arn:aws:lambda:{region}:{ACCT}:function:{r.choice([app + '-*', app + '-worker', '*'])}",
        "iam": r.choice([f"arn:aws:iam::{ACCT}:role/{app}-*", f"arn:aws:iam::{ACCT}:role/*", f"arn:aws:iam::{ACCT}:policy/{app}-*",
                         f"arn:aws:iam::{ACCT}:user/${{aws:username}}"]),
        "sts": f"arn:aws:iam::{ACCT}:role/{app}-*",
    }.get(service, "*")


def condition(r):
    kind = r.random()
    if kind < 0.3:
        return {"StringEquals": {"aws:RequestedRegion": r.choice(REGIONS[:3])}}
    if kind < 0.5:
        return {"StringEquals": {"aws:ResourceTag/app": r.choice(APPS)}}
    if kind < 0.65:
        return {"Bool": {"aws:SecureTransport": "true"}}
    if kind < 0.8:
        return {"StringEquals": {"aws:SourceVpc": f"vpc-{r.randrange(16**8):08x}"}}
    if kind < 0.9:
        return {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}
    return {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}


def statement(r, app):
    roll = r.random()
    if roll < 0.01:
        return {"Effect": "Allow", "Action": "*", "Resource": "*"}
    if roll < 0.04:
        return {"Effect": "Allow", "NotAction": r.sample(["iam:*", "organizations:*", "account:*", "kms:*"], r.randint(1, 3)),
                "Resource": "*"}
    if roll < 0.14:
        service = r.choice(list(DATA_ACTIONS) + ["lambda", "iam"])
        return {"Effect": "Allow", "Action": f"{service}:*",
                "Resource": "*" if r.random() < 0.6 else arn_for(r, service, app)}
    if roll < 0.34:
        service = r.choice(list(ESC_ACTIONS))
        actions = [f"{service}:{a}" for a in r.sample(ESC_ACTIONS[service], r.randint(1, min(4, len(ESC_ACTIONS[service]))))]
        if service == "iam" and "iam:PassRole" in actions and r.random() < 0.5:
            stmt = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn_for(r, "iam", app) if r.random() < 0.5 else "*",
                    "Condition": {"StringEquals": {"iam:PassedToService": r.choice(SERVICES_FOR_PASS)}}}
            return stmt
        stmt = {"Effect": "Allow", "Action": actions, "Resource": "*" if r.random() < 0.5 else arn_for(r, service, app)}
        if r.random() < 0.15:
            stmt["Condition"] = condition(r)
        return stmt
    if roll < 0.44:
        deny = r.random()
        if deny < 0.5:
            return {"Effect": "Deny", "Action": r.sample(["iam:*", "iam:PassRole", "lambda:UpdateFunctionCode", "s3:DeleteObject",
                                                          "lambda:*", "sts:AssumeRole"], r.randint(1, 2)), "Resource": "*"}
        if deny < 0.75:
            return {"Effect": "Deny", "NotAction": ["s3:GetObject", "dynamodb:Query", "logs:*"], "Resource": "*",
                    "Condition": condition(r)}
        return {"Effect": "Deny", "Action": "*", "NotResource": [arn_for(r, "dynamodb", app), arn_for(r, "logs", app)],
                "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": app}}}
    service = r.choice(list(DATA_ACTIONS))
    actions = [f"{service}:{a}" for a in r.sample(DATA_ACTIONS[service], r.randint(1, min(5, len(DATA_ACTIONS[service]))))]
    resources = [arn_for(r, service, app) for _ in range(r.randint(1, 3))]
    stmt = {"Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0],
            "Resource": resources if len(resources) > 1 else resources[0]}
    if r.random() < 0.2:
        stmt["Condition"] = condition(r)
    return stmt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    args = ap.parse_args()
    r = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    policies = []
    for i in range(args.count):
        app = r.choice(APPS)
        stmts = [statement(r, app) for _ in range(r.choice([1, 1, 2, 2, 3, 3, 4, 5, 6]))]
        for j, s in enumerate(stmts):
            if r.random() < 0.3:
                s["Sid"] = f"S{j}"
        policies.append({"Version": "2012-10-17", "Statement": stmts if len(stmts) > 1 or r.random() < 0.8 else stmts[0]})
    (out / "policies.json").write_text(json.dumps(policies))
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    roles = []
    for i, doc in enumerate(policies):
        name = f"bench-role-{i:05d}"
        roles.append({
            "Path": "/", "RoleName": name, "RoleId": f"AROA{i:017d}", "Arn": f"arn:aws:iam::{ACCT}:role/{name}",
            "CreateDate": "2026-12-05T00:00:00Z", "AssumeRolePolicyDocument": trust, "InstanceProfileList": [],
            "RolePolicyList": [{"PolicyName": f"bench-policy-{i:05d}", "PolicyDocument": doc}],
            "AttachedManagedPolicies": [], "Tags": [], "RoleLastUsed": {},
        })
    details = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}
    (out / "authorization-details.json").write_text(json.dumps(details))
    stmts = sum(len(p["Statement"]) if isinstance(p["Statement"], list) else 1 for p in policies)
    print(f"{args.count} policies, {stmts} statements -> {out}/policies.json, {out}/authorization-details.json")


if __name__ == "__main__":
    main()
