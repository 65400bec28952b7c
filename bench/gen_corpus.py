#!/usr/bin/env python3
"""Deterministic benchmark corpus for fnguard (and checkov, side by side).

Writes at least --count templates totalling about --megabytes MB into
bench/corpus/: AWS SAM YAML, CloudFormation JSON, serverless.yml services and
Terraform folders. They are variations of examples/ (an orders/payments
service): many functions, IAM policies (some over-broad), APIs with and
without authorizers, queues, buckets, schedules, environment variables (some
with fake secrets), intrinsics (!Ref, !Sub, !GetAtt, !If, !Join, Fn::...)
and Terraform references. Sizes follow a long-tailed distribution like real
repositories: most templates are a few KB to a few tens of KB, a few are
close to a megabyte.

Same seed, same arguments: byte-identical corpus.

    python3 bench/gen_corpus.py [--out bench/corpus] [--seed 42] [--count 1000] [--megabytes 50]
"""

import argparse
import json
import os
import random
import shutil

RUNTIMES_PY = ["python3.13", "python3.12", "python3.11", "python3.9", "python3.8"]
RUNTIMES_JS = ["nodejs22.x", "nodejs20.x", "nodejs18.x", "nodejs16.x"]
RUNTIMES_OTHER = ["java21", "provided.al2023", "dotnet8", "ruby3.3"]
VERBS = ["create", "get", "list", "update", "delete", "process", "sync", "export",
         "import", "notify", "reconcile", "refund", "capture", "settle", "index", "archive"]
NOUNS = ["order", "payment", "invoice", "refund", "customer", "cart", "shipment",
         "coupon", "report", "ledger", "webhook", "subscription", "receipt", "price"]
TEAMS = ["payments", "checkout", "fulfilment", "billing", "platform", "growth"]
SAFE_ACTIONS = [
    ["dynamodb:GetItem", "dynamodb:Query"],
    ["dynamodb:PutItem", "dynamodb:UpdateItem"],
    ["sqs:SendMessage"],
    ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
    ["s3:GetObject"],
    ["s3:PutObject"],
    ["sns:Publish"],
    ["secretsmanager:GetSecretValue"],
    ["events:PutEvents"],
]
BROAD_ACTIONS = [["*"], ["s3:*"], ["dynamodb:*"], ["iam:PassRole"], ["sqs:*", "sns:*"],
                 ["lambda:InvokeFunction", "lambda:UpdateFunctionCode"]]
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def camel(s):
    return "".join(p[:1].upper() + p[1:] for p in s.replace("-", "_").split("_"))


class Gen:
    """One random source; everything derives from it, in a fixed order."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def token(self, alphabet, n):
        return "".join(self.pick(alphabet) for _ in range(n))

    def fake_access_key(self):
        return "AKIA" + self.token(UPPER, 16)

    def function_count(self):
        # Long tail: median ~8 functions, a few templates with hundreds.
        n = int(self.r.lognormvariate(2.1, 1.05))
        return max(1, min(n, 450))

    def function_spec(self, i):
        name = f"{self.pick(VERBS)}_{self.pick(NOUNS)}_{i}"
        lang = self.r.random()
        if lang < 0.55:
            runtime, handler = self.pick(RUNTIMES_PY), "app.handler"
        elif lang < 0.9:
            runtime, handler = self.pick(RUNTIMES_JS), "index.handler"
        else:
            runtime, handler = self.pick(RUNTIMES_OTHER), "bootstrap"
        trigger = self.pick(["http", "http", "http", "sqs", "s3", "schedule", "sns", "none"])
        env = {"STAGE": "prod", "LOG_LEVEL": self.pick(["INFO", "DEBUG", "WARN"]),
               "POWERTOOLS_SERVICE_NAME": name.split("_")[1]}
        for k in range(self.r.randrange(0, 6)):
            env[f"FEATURE_FLAG_{k}"] = self.pick(["on", "off", "canary"])
        secret = None
        if self.chance(0.12):
            secret = self.pick(["aws_key", "db_password", "db_url", "stripe", "slack"])
            if secret == "aws_key":
                env["AWS_ACCESS_KEY_ID"] = self.fake_access_key()
                env["AWS_SECRET_ACCESS_KEY"] = self.token(ALNUM, 40)
            elif secret == "db_password":
                env["DB_PASSWORD"] = self.token(ALNUM, 14) + "!"
            elif secret == "db_url":
                env["DATABASE_URL"] = (f"postgresql://app:{self.token(ALNUM, 12)}@db-{i}.cluster-"
                                       f"{self.token(ALNUM.lower(), 12)}.eu-west-1.rds.amazonaws.com:5432/app")
            elif secret == "stripe":
                env["STRIPE_SECRET_KEY"] = "sk_live_" + self.token(ALNUM, 24)
            else:
                env["SLACK_BOT_TOKEN"] = "xoxb-" + self.token("0123456789", 11) + "-" + self.token(ALNUM, 24)
        statements = []
        for _ in range(self.r.randrange(1, 5)):
            if self.chance(0.15):
                statements.append((self.pick(BROAD_ACTIONS), "*"))
            else:
                statements.append((self.pick(SAFE_ACTIONS), None))
        return {
            "name": name,
            "logical": camel(name) + "Function",
            "runtime": runtime,
            "handler": handler,
            "memory": self.pick([128, 256, 512, 1024, 2048]),
            "timeout": self.pick([3, 10, 30, 60, 120, 300, 900]),
            "trigger": trigger,
            "method": self.pick(["get", "post", "put", "delete"]),
            "path": f"/{name.split('_')[1]}s/{{id}}" if self.chance(0.5) else f"/{name.split('_')[1]}s",
            "auth": self.chance(0.6),
            "env": env,
            "statements": statements,
            "tracing": self.chance(0.5),
            "json_logs": self.chance(0.4),
            "reserved": self.pick([None, None, 1, 5, 10, 50]),
            "vpc": self.chance(0.35),
            "signed": self.chance(0.3),
            "url": self.chance(0.05),
            "log_retention": self.pick([None, 7, 30, 90, 365]),
            "alarm": self.chance(0.4),
            "description": " ".join(self.pick(NOUNS) for _ in range(self.r.randrange(3, 12))),
        }


# ---------------------------------------------------------------- SAM YAML

def sam_yaml(g, fns, team):
    out = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        "Transform: AWS::Serverless-2016-10-31",
        f"Description: {team} service generated for fnguard benchmarks",
        "",
        "Parameters:",
        "  Stage:",
        "    Type: String",
        "    Default: prod",
        "    AllowedValues: [dev, staging, prod]",
        "  VpcSubnets:",
        "    Type: List<AWS::EC2::Subnet::Id>",
        "  VpcSecurityGroup:",
        "    Type: AWS::EC2::SecurityGroup::Id",
    ]
    if g.chance(0.1):
        out += ["  AdminPassword:", "    Type: String", f'    Default: "{g.token(ALNUM, 12)}#1"']
    out += [
        "",
        "Conditions:",
        "  IsProd: !Equals [!Ref Stage, prod]",
        "",
        "Globals:",
        "  Function:",
        f"    Runtime: {g.pick(RUNTIMES_PY)}",
        "    Timeout: 30",
        "    MemorySize: 512",
        "    Tags:",
        f"      team: {team}",
        "  Api:",
        "    TracingEnabled: true",
        "",
        "Resources:",
        "  Table:",
        "    Type: AWS::DynamoDB::Table",
        "    Properties:",
        "      BillingMode: PAY_PER_REQUEST",
        "      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]",
        "      KeySchema: [{AttributeName: pk, KeyType: HASH}]",
        "  Queue:",
        "    Type: AWS::SQS::Queue",
        "  Bucket:",
        "    Type: AWS::S3::Bucket",
        "  Api:",
        "    Type: AWS::Serverless::Api",
        "    Properties:",
        "      StageName: !Ref Stage",
    ]
    if g.chance(0.6):
        out += [
            "      Auth:",
            "        DefaultAuthorizer: Cognito",
            "        Authorizers:",
            "          Cognito:",
            "            UserPoolArn: !If [IsProd, !ImportValue prod-user-pool-arn, !ImportValue dev-user-pool-arn]",
        ]
    if g.chance(0.5):
        out += ["      MethodSettings:", '        - ResourcePath: "/*"', '          HttpMethod: "*"',
                "          ThrottlingBurstLimit: 100", "          ThrottlingRateLimit: 50"]
    for f in fns:
        L = f["logical"]
        out += [
            f"  {L}:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            f"      FunctionName: !Sub ${{AWS::StackName}}-{f['name'].replace('_', '-')}",
            f"      Description: {f['description']}",
            f"      CodeUri: src/{f['name']}/",
            f"      Handler: {f['handler']}",
            f"      Runtime: {f['runtime']}",
            f"      MemorySize: {f['memory']}",
            f"      Timeout: {f['timeout']}",
        ]
        if f["tracing"]:
            out.append("      Tracing: Active")
        if f["json_logs"]:
            out += ["      LoggingConfig:", "        LogFormat: JSON"]
        if f["reserved"]:
            out.append(f"      ReservedConcurrentExecutions: {f['reserved']}")
        if f["signed"]:
            out.append("      CodeSigningConfigArn: !Ref SigningConfig")
        if f["vpc"]:
            out += ["      VpcConfig:", "        SubnetIds: !Ref VpcSubnets",
                    "        SecurityGroupIds: [!Ref VpcSecurityGroup]"]
        if f["url"]:
            out += ["      FunctionUrlConfig:", f"        AuthType: {g.pick(['NONE', 'AWS_IAM'])}"]
        out += ["      Environment:", "        Variables:", "          TABLE_NAME: !Ref Table",
                "          QUEUE_URL: !GetAtt Queue.QueueUrl",
                "          BUCKET: !Join ['-', [!Ref Bucket, !Ref Stage]]"]
        for k, v in f["env"].items():
            out.append(f"          {k}: {json.dumps(v)}")
        out += ["      Policies:", "        - DynamoDBReadPolicy:", "            TableName: !Ref Table",
                "        - Statement:"]
        for actions, res in f["statements"]:
            out.append("            - Effect: Allow")
            out.append("              Action:")
            out += [f"                - {json.dumps(a)}" for a in actions]
            if res:
                out.append(f'              Resource: "{res}"')
            else:
                out.append("              Resource: !Sub arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}")
        t = f["trigger"]
        if t != "none":
            out += ["      Events:", "        Trigger:"]
        if t == "http":
            out += ["          Type: Api", "          Properties:", "            RestApiId: !Ref Api",
                    f"            Path: {f['path']}", f"            Method: {f['method']}"]
            if not f["auth"]:
                out += ["            Auth:", "              Authorizer: NONE"]
        elif t == "sqs":
            out += ["          Type: SQS", "          Properties:", "            Queue: !GetAtt Queue.Arn",
                    "            BatchSize: 10"]
        elif t == "s3":
            out += ["          Type: S3", "          Properties:", "            Bucket: !Ref Bucket",
                    "            Events: s3:ObjectCreated:*"]
        elif t == "schedule":
            out += ["          Type: Schedule", "          Properties:",
                    f"            Schedule: rate({g.pick([1, 5, 15, 60])} minutes)"]
        elif t == "sns":
            out += ["          Type: SNS", "          Properties:",
                    "            Topic: !Sub arn:aws:sns:${AWS::Region}:${AWS::AccountId}:orders-events"]
        if f["log_retention"]:
            out += [f"  {L}Logs:", "    Type: AWS::Logs::LogGroup", "    Properties:",
                    f"      LogGroupName: !Sub /aws/lambda/${{{L}}}",
                    f"      RetentionInDays: {f['log_retention']}"]
        if f["alarm"]:
            out += [f"  {L}Errors:", "    Type: AWS::CloudWatch::Alarm", "    Properties:",
                    "      Namespace: AWS/Lambda", "      MetricName: Errors",
                    f"      Dimensions: [{{Name: FunctionName, Value: !Ref {L}}}]",
                    "      Statistic: Sum", "      Period: 60", "      EvaluationPeriods: 1",
                    "      Threshold: 1", "      ComparisonOperator: GreaterThanOrEqualToThreshold"]
    if any(f["signed"] for f in fns):
        out += ["  SigningConfig:", "    Type: AWS::Lambda::CodeSigningConfig", "    Properties:",
                "      AllowedPublishers:", "        SigningProfileVersionArns:",
                "          - !Sub arn:aws:signer:${AWS::Region}:${AWS::AccountId}:/signing-profiles/ci/v1",
                "      CodeSigningPolicies:",
                f"        UntrustedArtifactOnDeployment: {g.pick(['Enforce', 'Warn'])}"]
    out += ["", "Outputs:", "  ApiUrl:",
            "    Value: !Sub https://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}", ""]
    return {"template.yaml": "\n".join(out)}


# ---------------------------------------------------------------- CloudFormation JSON

def cfn_json(g, fns, team):
    res = {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 180}},
        "RestApi": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-api"}}},
    }
    shared_role = g.chance(0.3)
    if shared_role:
        res["SharedRole"] = role_json(g, fns[0])
    for f in fns:
        L = f["logical"]
        role = "SharedRole" if shared_role else L + "Role"
        if not shared_role:
            res[role] = role_json(g, f)
        props = {
            "FunctionName": {"Fn::Sub": "${AWS::StackName}-" + f["name"].replace("_", "-")},
            "Description": f["description"],
            "Runtime": f["runtime"], "Handler": f["handler"],
            "Code": {"S3Bucket": {"Fn::ImportValue": "artifacts-bucket"}, "S3Key": f"{f['name']}.zip"},
            "MemorySize": f["memory"], "Timeout": f["timeout"],
            "Role": {"Fn::GetAtt": [role, "Arn"]},
            "Environment": {"Variables": dict({"TABLE_NAME": {"Ref": "Table"}}, **f["env"])},
            "Tags": [{"Key": "team", "Value": team}],
        }
        if f["tracing"]:
            props["TracingConfig"] = {"Mode": "Active"}
        if f["json_logs"]:
            props["LoggingConfig"] = {"LogFormat": "JSON"}
        if f["reserved"]:
            props["ReservedConcurrentExecutions"] = f["reserved"]
        if f["vpc"]:
            props["VpcConfig"] = {"SubnetIds": {"Fn::Split": [",", {"Fn::ImportValue": "private-subnets"}]},
                                  "SecurityGroupIds": [{"Fn::ImportValue": "lambda-sg"}]}
        res[L] = {"Type": "AWS::Lambda::Function", "Properties": props}
        if f["trigger"] == "http":
            res[L + "Resource"] = {"Type": "AWS::ApiGateway::Resource", "Properties": {
                "RestApiId": {"Ref": "RestApi"},
                "ParentId": {"Fn::GetAtt": ["RestApi", "RootResourceId"]},
                "PathPart": f["name"].split("_")[1] + "s"}}
            res[L + "Method"] = {"Type": "AWS::ApiGateway::Method", "Properties": {
                "RestApiId": {"Ref": "RestApi"}, "ResourceId": {"Ref": L + "Resource"},
                "HttpMethod": f["method"].upper(),
                "AuthorizationType": "AWS_IAM" if f["auth"] else "NONE",
                "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
                                "Uri": {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${" + L + ".Arn}/invocations"}}}}
            res[L + "Permission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": L},
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/*"}}}
        elif f["trigger"] == "sqs":
            res[L + "Mapping"] = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
                "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]}, "FunctionName": {"Ref": L}, "BatchSize": 10}}
        if f["url"]:
            res[L + "Url"] = {"Type": "AWS::Lambda::Url", "Properties": {
                "TargetFunctionArn": {"Fn::GetAtt": [L, "Arn"]}, "AuthType": g.pick(["NONE", "AWS_IAM"])}}
        if f["log_retention"]:
            res[L + "Logs"] = {"Type": "AWS::Logs::LogGroup", "Properties": {
                "LogGroupName": {"Fn::Sub": "/aws/lambda/${" + L + "}"}, "RetentionInDays": f["log_retention"]}}
        if f["alarm"]:
            res[L + "Errors"] = {"Type": "AWS::CloudWatch::Alarm", "Properties": {
                "Namespace": "AWS/Lambda", "MetricName": g.pick(["Errors", "Throttles", "Duration"]),
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": L}}],
                "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold"}}
    doc = {"AWSTemplateFormatVersion": "2010-09-09",
           "Description": f"{team} service (CloudFormation JSON) generated for fnguard benchmarks",
           "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
           "Resources": res,
           "Outputs": {"ApiId": {"Value": {"Ref": "RestApi"}}}}
    # Most JSON templates are pretty-printed; some pipelines emit them minified.
    indent = None if g.chance(0.15) else g.pick([2, 4])
    return {"template.json": json.dumps(doc, indent=indent) + "\n"}


def role_json(g, f):
    trust = [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    if g.chance(0.05):
        trust.append({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                      "Action": "sts:AssumeRole"})
    stmts = [{"Effect": "Allow", "Action": actions,
              "Resource": res or {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}"}}
             for actions, res in f["statements"]]
    managed = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    if g.chance(0.05):
        managed.append("arn:aws:iam::aws:policy/" + g.pick(["AdministratorAccess", "AmazonS3FullAccess", "PowerUserAccess"]))
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": trust},
        "ManagedPolicyArns": managed,
        "Policies": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": stmts}}]}}


# ---------------------------------------------------------------- serverless.yml

def serverless_yml(g, fns, team):
    out = [
        f"service: {team}-svc",
        'frameworkVersion: "3"',
        "",
        "provider:",
        "  name: aws",
        f"  runtime: {g.pick(RUNTIMES_PY + RUNTIMES_JS)}",
        "  region: ${opt:region, 'eu-west-1'}",
        "  stage: ${opt:stage, 'dev'}",
        "  memorySize: 512",
        "  environment:",
        "    TABLE_NAME: ${self:custom.tableName}",
        "    DB_PASSWORD: ${ssm:/app/${sls:stage}/db-password}",
        "  iam:",
        "    role:",
        "      statements:",
    ]
    for actions, res in fns[0]["statements"]:
        out.append("        - Effect: Allow")
        out.append("          Action: [" + ", ".join(json.dumps(a) for a in actions) + "]")
        out.append(f'          Resource: "{res}"' if res else
                   "          Resource: arn:aws:dynamodb:${aws:region}:${aws:accountId}:table/${self:custom.tableName}")
    if g.chance(0.5):
        out += ["  tracing:", "    lambda: true", "    apiGateway: true"]
    if g.chance(0.5):
        out.append(f"  logRetentionInDays: {g.pick([14, 30, 90])}")
    out += ["", "custom:", f"  tableName: {team}-${{sls:stage}}", "", "functions:"]
    for f in fns:
        out += [
            f"  {camel(f['name'])[0].lower() + camel(f['name'])[1:]}:",
            f"    handler: src/{f['name']}/{f['handler']}",
            f"    description: {f['description']}",
            f"    runtime: {f['runtime']}",
            f"    memorySize: {f['memory']}",
            f"    timeout: {f['timeout']}",
        ]
        if f["reserved"]:
            out.append(f"    reservedConcurrency: {f['reserved']}")
        if f["url"]:
            out.append("    url: true")
        if f["vpc"]:
            out += ["    vpc:", "      securityGroupIds:", "        - ${ssm:/net/lambda-sg}",
                    "      subnetIds: ${ssm:/net/private-subnets}"]
        out += ["    environment:"]
        for k, v in f["env"].items():
            out.append(f"      {k}: {json.dumps(v)}")
        t = f["trigger"]
        if t != "none":
            out.append("    events:")
        if t == "http":
            out += ["      - http:", f"          path: {f['path'].lstrip('/')}", f"          method: {f['method']}"]
            if f["auth"]:
                out += ["          authorizer:", "            type: aws_iam"]
            if g.chance(0.3):
                out += ["          cors: true"]
        elif t == "sqs":
            out += ["      - sqs:", "          arn: !GetAtt Queue.Arn", "          batchSize: 10"]
        elif t == "s3":
            out += ["      - s3:", f"          bucket: {team}-uploads-${{sls:stage}}", "          event: s3:ObjectCreated:*"]
        elif t == "schedule":
            out += [f"      - schedule: rate({g.pick([1, 5, 15, 60])} minutes)"]
        elif t == "sns":
            out += ["      - sns: orders-events"]
    out += ["", "resources:", "  Resources:", "    Queue:", "      Type: AWS::SQS::Queue",
            "    Table:", "      Type: AWS::DynamoDB::Table", "      Properties:",
            "        TableName: ${self:custom.tableName}", "        BillingMode: PAY_PER_REQUEST",
            "        AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]",
            "        KeySchema: [{AttributeName: pk, KeyType: HASH}]", ""]
    return {"serverless.yml": "\n".join(out)}


# ---------------------------------------------------------------- Terraform

def terraform(g, fns, team):
    main = [
        'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "~> 5.0"\n    }\n  }\n}\n',
        'provider "aws" {\n  region = var.region\n}\n',
        'variable "region" {\n  type    = string\n  default = "eu-west-1"\n}\n',
        'variable "stage" {\n  type    = string\n  default = "prod"\n}\n',
        'variable "subnet_ids" {\n  type = list(string)\n}\n',
        f'locals {{\n  name = "{team}-${{var.stage}}"\n}}\n',
        'resource "aws_dynamodb_table" "main" {\n  name         = "${local.name}-table"\n  billing_mode = "PAY_PER_REQUEST"\n  hash_key     = "pk"\n  attribute {\n    name = "pk"\n    type = "S"\n  }\n}\n',
        'resource "aws_sqs_queue" "main" {\n  name = "${local.name}-queue"\n}\n',
    ]
    iam = ['data "aws_iam_policy_document" "trust" {\n  statement {\n    actions = ["sts:AssumeRole"]\n    principals {\n      type        = "Service"\n      identifiers = ["lambda.amazonaws.com"]\n    }\n  }\n}\n']
    lam, api = [], []
    has_api = any(f["trigger"] == "http" for f in fns)
    if has_api:
        api.append('resource "aws_api_gateway_rest_api" "main" {\n  name = "${local.name}-api"\n}\n')
    for f in fns:
        n = f["name"]
        iam.append(f'resource "aws_iam_role" "{n}" {{\n  name               = "${{local.name}}-{n}"\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}}\n')
        stmts = []
        for actions, res in f["statements"]:
            acts = ", ".join(json.dumps(a) for a in actions)
            resource = json.dumps(res) if res else "aws_dynamodb_table.main.arn"
            stmts.append(f'      {{\n        Effect   = "Allow"\n        Action   = [{acts}]\n        Resource = {resource}\n      }},')
        iam.append(f'resource "aws_iam_role_policy" "{n}" {{\n  role = aws_iam_role.{n}.id\n  policy = jsonencode({{\n    Version = "2012-10-17"\n    Statement = [\n' + "\n".join(stmts) + '\n    ]\n  })\n}\n')
        env = "\n".join(f"      {k} = {json.dumps(v)}" for k, v in f["env"].items())
        body = [f'resource "aws_lambda_function" "{n}" {{',
                f'  function_name = "${{local.name}}-{n}"',
                f'  description   = "{f["description"]}"',
                f"  role          = aws_iam_role.{n}.arn",
                f'  runtime       = "{f["runtime"]}"',
                f'  handler       = "{f["handler"]}"',
                f'  filename      = "${{path.module}}/build/{n}.zip"',
                f"  memory_size   = {f['memory']}",
                f"  timeout       = {f['timeout']}"]
        if f["reserved"]:
            body.append(f"  reserved_concurrent_executions = {f['reserved']}")
        if f["tracing"]:
            body.append('  tracing_config {\n    mode = "Active"\n  }')
        if f["json_logs"]:
            body.append('  logging_config {\n    log_format = "JSON"\n  }')
        if f["vpc"]:
            body.append("  vpc_config {\n    subnet_ids         = var.subnet_ids\n    security_group_ids = [\"sg-0123456789abcdef0\"]\n  }")
        body.append("  environment {\n    variables = {\n      TABLE_NAME = aws_dynamodb_table.main.name\n" + env + "\n    }\n  }")
        body.append("}\n")
        lam.append("\n".join(body))
        if f["log_retention"]:
            lam.append(f'resource "aws_cloudwatch_log_group" "{n}" {{\n  name              = "/aws/lambda/${{aws_lambda_function.{n}.function_name}}"\n  retention_in_days = {f["log_retention"]}\n}}\n')
        if f["url"]:
            lam.append(f'resource "aws_lambda_function_url" "{n}" {{\n  function_name      = aws_lambda_function.{n}.function_name\n  authorization_type = "{g.pick(["NONE", "AWS_IAM"])}"\n}}\n')
        if f["trigger"] == "sqs":
            lam.append(f'resource "aws_lambda_event_source_mapping" "{n}" {{\n  event_source_arn = aws_sqs_queue.main.arn\n  function_name    = aws_lambda_function.{n}.arn\n}}\n')
        if f["alarm"]:
            lam.append(f'resource "aws_cloudwatch_metric_alarm" "{n}" {{\n  alarm_name          = "${{local.name}}-{n}-errors"\n  namespace           = "AWS/Lambda"\n  metric_name         = "Errors"\n  statistic           = "Sum"\n  period              = 60\n  evaluation_periods  = 1\n  threshold           = 1\n  comparison_operator = "GreaterThanOrEqualToThreshold"\n  dimensions = {{\n    FunctionName = aws_lambda_function.{n}.function_name\n  }}\n}}\n')
        if f["trigger"] == "http":
            auth = "AWS_IAM" if f["auth"] else "NONE"
            api.append(f'resource "aws_api_gateway_resource" "{n}" {{\n  rest_api_id = aws_api_gateway_rest_api.main.id\n  parent_id   = aws_api_gateway_rest_api.main.root_resource_id\n  path_part   = "{n.replace("_", "-")}"\n}}\n')
            api.append(f'resource "aws_api_gateway_method" "{n}" {{\n  rest_api_id   = aws_api_gateway_rest_api.main.id\n  resource_id   = aws_api_gateway_resource.{n}.id\n  http_method   = "{f["method"].upper()}"\n  authorization = "{auth}"\n}}\n')
            api.append(f'resource "aws_lambda_permission" "{n}_api" {{\n  action        = "lambda:InvokeFunction"\n  function_name = aws_lambda_function.{n}.function_name\n  principal     = "apigateway.amazonaws.com"\n  source_arn    = "${{aws_api_gateway_rest_api.main.execution_arn}}/*"\n}}\n')
    files = {"main.tf": "\n".join(main), "iam.tf": "\n".join(iam), "lambda.tf": "\n".join(lam)}
    if api:
        files["api.tf"] = "\n".join(api)
    return files


KINDS = [("sam", sam_yaml, 35), ("cfn-json", cfn_json, 20), ("serverless", serverless_yml, 25),
         ("terraform", terraform, 20)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--count", type=int, default=1000, help="minimum number of templates")
    ap.add_argument("--megabytes", type=float, default=50.0, help="approximate total size")
    args = ap.parse_args()

    g = Gen(args.seed)
    target = int(args.megabytes * 1_000_000)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    total, count, by_kind = 0, 0, {}
    weights = [w for _, _, w in KINDS]
    # Scale function counts so that `count` templates land near `target`
    # bytes: calibrate the average size on the first templates.
    scale = 1.0
    while count < args.count or total < target:
        if count >= args.count and total >= target * 0.98:
            break
        kind, render, _ = g.r.choices(KINDS, weights=weights)[0]
        n = max(1, int(g.function_count() * scale))
        fns = [g.function_spec(i) for i in range(n)]
        team = g.pick(TEAMS)
        files = render(g, fns, team)
        folder = os.path.join(args.out, f"{count:05d}-{kind}")
        os.makedirs(folder)
        for name, text in files.items():
            data = text.encode()
            with open(os.path.join(folder, name), "wb") as fh:
                fh.write(data)
            total += len(data)
        count += 1
        by_kind[kind] = by_kind.get(kind, 0) + 1
        if count >= 50 and count < args.count:
            # Steer the remaining templates towards the byte target.
            per_template = total / count
            wanted = max(1.0, (target - total) / max(1, args.count - count))
            scale = max(0.2, min(5.0, scale * (wanted / per_template) ** 0.1))
    print(f"wrote {count} templates, {total / 1e6:.1f} MB into {args.out}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())))


if __name__ == "__main__":
    main()
