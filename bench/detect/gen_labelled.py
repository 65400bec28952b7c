#!/usr/bin/env python3
"""A labelled day of a serverless account for `fnguard detect`: clean traffic
with attacks injected, and the truth of what was injected, so that a test can
measure precision and recall (every injected case found, no alert on clean
traffic).

Written (deterministic for a seed) under OUT:
  cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/05/*.json.gz
      CloudTrail as S3 delivers it: {"Records":[...]} files of 5 minutes,
      gzip; about 1.5 KB per event, mixed services, most calls made by
      functions' roles from inside Lambda, some by people and CI.
  lambda/aws/lambda/NAME/000000.log
      the functions' CloudWatch Logs exported as text: START, END, REPORT
      lines and the functions' own lines (each function has its own
      stable duration and memory profile).
  route53/resolver.jsonl      Route 53 Resolver query logs of the VPC.
  flow/flow.log               VPC flow logs (version 2 default format).
  truth.json                  the injected cases: id, kind, what should be
      found, and `keys`: strings that appear in any alert about the case
      (the attacker's principal, IP, function, domain).

    python3 bench/detect/gen_labelled.py --out DIR [--seed N] [--minutes M] [--rate R]

Clean traffic is built not to contain what fnguard flags by design (code or
configuration changes, public permissions): those are the injected cases.
"""
import argparse
import gzip
import json
import os
import random
import time

ACCOUNT = "111122223333"
REGION = "us-east-1"
START = 1796457600  # 2026-12-05T08:00:00Z

# name: (runtime, mean duration ms, memory size MB, typical memory used MB,
#        role name, VPC ENI address or None)
FUNCTIONS = {
    "orders-api": ("python3.12", 45.0, 256, 92, "orders-api-role", "10.0.1.21"),
    "thumbs": ("nodejs20.x", 310.0, 1024, 300, "thumbs-role", "10.0.1.22"),
    "billing-sync": ("python3.12", 820.0, 512, 180, "billing-sync-role", "10.0.1.23"),
    "auth-hook": ("nodejs20.x", 12.0, 128, 61, "auth-hook-role", None),
    "report-gen": ("java21", 1500.0, 2048, 900, "report-gen-role", "10.0.1.25"),
    "mailer": ("python3.12", 120.0, 256, 80, "mailer-role", "10.0.1.26"),
}

# What each function calls, as (eventSource, eventName, readOnly, data event).
CALLS = {
    "orders-api": [("dynamodb.amazonaws.com", "GetItem", True, True),
                   ("dynamodb.amazonaws.com", "PutItem", False, True),
                   ("kms.amazonaws.com", "Decrypt", True, False)],
    "thumbs": [("s3.amazonaws.com", "GetObject", True, True),
               ("s3.amazonaws.com", "PutObject", False, True)],
    "billing-sync": [("secretsmanager.amazonaws.com", "GetSecretValue", True, False),
                     ("dynamodb.amazonaws.com", "Query", True, True),
                     ("sqs.amazonaws.com", "SendMessage", False, True)],
    "auth-hook": [("cognito-idp.amazonaws.com", "AdminGetUser", True, False)],
    "report-gen": [("s3.amazonaws.com", "GetObject", True, True),
                   ("athena.amazonaws.com", "StartQueryExecution", False, False),
                   ("athena.amazonaws.com", "GetQueryResults", True, False)],
    "mailer": [("ses.amazonaws.com", "SendEmail", False, False),
               ("sqs.amazonaws.com", "ReceiveMessage", True, True)],
}

# Where each function goes on the network (DNS names; flows to their IPs).
DESTINATIONS = {
    "orders-api": ["dynamodb.us-east-1.amazonaws.com.", "kms.us-east-1.amazonaws.com."],
    "thumbs": ["s3.us-east-1.amazonaws.com.", "thumbs-bucket.s3.amazonaws.com."],
    "billing-sync": ["secretsmanager.us-east-1.amazonaws.com.", "api.stripe.com.",
                     "sqs.us-east-1.amazonaws.com.", "dynamodb.us-east-1.amazonaws.com."],
    "report-gen": ["athena.us-east-1.amazonaws.com.", "s3.us-east-1.amazonaws.com."],
    "mailer": ["email.us-east-1.amazonaws.com.", "sqs.us-east-1.amazonaws.com."],
}

PEOPLE = [  # (user, office IP, user agent)
    ("alice", "198.18.10.4", "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe command/lambda.get-function-configuration"),
    ("bob", "198.18.10.9", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"),
]
PEOPLE_CALLS = [("lambda.amazonaws.com", "ListFunctions20150331"),
                ("lambda.amazonaws.com", "GetFunctionConfiguration20150331v2"),
                ("logs.amazonaws.com", "FilterLogEvents"),
                ("cloudwatch.amazonaws.com", "GetMetricData"),
                ("iam.amazonaws.com", "ListRoles")]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


class Ids:
    def __init__(self, rng):
        self.rng = rng

    def hex(self, n=32):
        return "%0*x" % (n, self.rng.getrandbits(4 * n))

    def uuid(self):
        h = self.hex(32)
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def lambda_identity(function, key):
    role = FUNCTIONS[function][4]
    return {
        "type": "AssumedRole",
        "principalId": "AROA%s:%s" % (role.upper().replace("-", "")[:16], function),
        "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (ACCOUNT, role, function),
        "accountId": ACCOUNT,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROA" + role.upper().replace("-", "")[:16],
                              "arn": "arn:aws:iam::%s:role/%s" % (ACCOUNT, role), "accountId": ACCOUNT,
                              "userName": role},
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-12-05T07:55:00Z", "mfaAuthenticated": "false"},
        },
    }


def user_identity(user, key):
    return {"type": "IAMUser", "principalId": "AIDA" + user.upper().ljust(16, "X"),
            "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, user), "accountId": ACCOUNT,
            "accessKeyId": key, "userName": user}


def record(ids, t, identity, source, name, ip, agent, params=None, response=None,
           read_only=True, data=False, error=None):
    event = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso(t),
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": params,
        "responseElements": response,
        "requestID": ids.uuid(),
        "eventID": ids.uuid(),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": not data,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data" if data else "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": "%s.%s.amazonaws.com" % (source.split(".")[0], REGION)},
    }
    if data:
        # What S3, DynamoDB and SQS data events carry besides.
        event["additionalEventData"] = {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                        "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                        "bytesTransferredOut": 1000 + len(event["eventID"]) * 37}
        event["resources"] = [{"accountId": ACCOUNT, "type": "AWS::%s::Resource" % source.split(".")[0].upper(),
                               "ARN": "arn:aws:%s:%s:%s:resource/%s" % (source.split(".")[0], REGION, ACCOUNT, event["eventID"][:8])}]
    if error:
        event["errorCode"] = error
        event["errorMessage"] = "User is not authorized to perform this operation"
    return event


def sdk_agent(function):
    runtime = FUNCTIONS[function][0]
    if runtime.startswith("python"):
        return "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.224-234.926.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_Lambda_%s cfg/retry-mode#legacy Botocore/1.34.145" % runtime
    if runtime.startswith("nodejs"):
        return "aws-sdk-js/3.600.0 ua/2.1 os/linux#5.10.224-234.926.amzn2.x86_64 lang/js md/nodejs#20.15.1 api/s3#3.600.0 exec-env/AWS_Lambda_%s" % runtime
    return "aws-sdk-java/2.26.7 Linux/5.10.224-234.926.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. exec-env/AWS_Lambda_%s io/sync http/Apache cfg/retry-mode/legacy" % runtime


def params_for(rng, name, function):
    if name in ("GetObject", "PutObject"):
        return {"bucketName": "%s-bucket" % function, "key": "in/%d.jpg" % rng.randrange(10**6),
                "Host": "%s-bucket.s3.amazonaws.com" % function}
    if name in ("GetItem", "PutItem", "Query"):
        return {"tableName": "orders", "key": {"pk": {"S": "order#%d" % rng.randrange(10**6)}}}
    if name == "Decrypt":
        return {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    if name == "GetSecretValue":
        return {"secretId": "prod/stripe"}
    if name in ("SendMessage", "ReceiveMessage"):
        return {"queueUrl": "https://sqs.us-east-1.amazonaws.com/%s/%s-queue" % (ACCOUNT, function)}
    return {"functionName": function} if name.startswith(("Get", "List")) else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--minutes", type=int, default=120)
    parser.add_argument("--rate", type=float, default=5.0, help="CloudTrail events per second")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ids = Ids(rng)
    end = START + args.minutes * 60
    truth = []

    def case(kind, finds, keys):
        truth.append({"id": "c%d" % (len(truth) + 1), "kind": kind, "finds": finds, "keys": keys})

    trail = []  # (time, record)
    # Each function's execution environments get fresh credentials every
    # hour; the key is used only from inside Lambda in clean traffic. Lambda
    # without a VPC calls from AWS's public addresses, inside one from its
    # NAT gateway's address.
    keys = {f: ["ASIA%s" % ids.hex(16).upper() for _ in range(3)] for f in FUNCTIONS}
    lambda_ip = {f: "3.%d.%d.%d" % (rng.randrange(200, 240), rng.randrange(256), rng.randrange(1, 255))
                 for f in FUNCTIONS}

    # CI created every function before the day began (so the function to
    # role map is known from the trail).
    ci = user_identity("ci-deployer", "AKIA%s" % ids.hex(16).upper())
    for i, (function, spec) in enumerate(FUNCTIONS.items()):
        trail.append((START - 600 + i, record(
            ids, START - 600 + i, ci, "lambda.amazonaws.com", "CreateFunction20150331", "198.18.20.5",
            "aws-cli/2.17.20 command/cloudformation.deploy",
            params={"functionName": function, "runtime": spec[0], "handler": "app.handler",
                    "role": "arn:aws:iam::%s:role/%s" % (ACCOUNT, spec[4]), "memorySize": spec[2],
                    "timeout": 30, "publish": False},
            response={"functionName": function,
                      "functionArn": "arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCOUNT, function),
                      "role": "arn:aws:iam::%s:role/%s" % (ACCOUNT, spec[4])},
            read_only=False)))

    t = float(START)
    while t < end:
        t += rng.expovariate(args.rate)
        if rng.random() < 0.02:
            user, ip, agent = rng.choice(PEOPLE)
            source, name = rng.choice(PEOPLE_CALLS)
            identity = user_identity(user, "AKIA" + ("%s" % user.upper()).ljust(16, "Q"))
            trail.append((t, record(ids, t, identity, source, name, ip, agent,
                                    params={"functionName": rng.choice(list(FUNCTIONS))})))
            continue
        function = rng.choice(list(CALLS))
        source, name, read_only, data = rng.choice(CALLS[function])
        key = keys[function][int((t - START) // 3600) % 3]
        trail.append((t, record(ids, t, lambda_identity(function, key), source, name, lambda_ip[function],
                                sdk_agent(function), params=params_for(rng, name, function),
                                read_only=read_only, data=data)))

    def attacker(n):
        return user_identity("case-c%d" % n, "AKIA%s" % ids.hex(16).upper()), "203.0.113.%d" % n

    agent = "aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython"
    lam = "lambda.amazonaws.com"
    at = lambda fraction: START + args.minutes * 60 * fraction

    n = len(truth) + 1
    who, ip = attacker(n)
    trail.append((at(0.10), record(ids, at(0.10), who, lam, "AddPermission20150331v2", ip, agent, read_only=False,
                                   params={"functionName": "orders-api", "statementId": "open", "action": "lambda:InvokeFunction", "principal": "*"})))
    case("public-permission", "FG-DET-001", [who["arn"], ip])

    n = len(truth) + 1
    who, ip = attacker(n)
    trail.append((at(0.15), record(ids, at(0.15), who, lam, "CreateFunctionUrlConfig20211031", ip, agent, read_only=False,
                                   params={"functionName": "billing-sync", "authType": "NONE"})))
    case("public-function-url", "FG-DET-002", [who["arn"], ip])

    n = len(truth) + 1
    who, ip = attacker(n)
    trail.append((at(0.20), record(ids, at(0.20), who, lam, "UpdateFunctionCode20150331v2", ip, agent, read_only=False,
                                   params={"functionName": "auth-hook", "publish": True, "dryRun": False})))
    case("code-replaced", "FG-DET-003", [who["arn"], ip])

    n = len(truth) + 1
    who, ip = attacker(n)
    trail.append((at(0.25), record(ids, at(0.25), who, lam, "UpdateFunctionConfiguration20150331v2", ip, agent, read_only=False,
                                   params={"functionName": "mailer", "layers": ["arn:aws:lambda:%s:444455556666:layer:hook:1" % REGION]})))
    case("layer-added", "FG-DET-004", [who["arn"], ip])

    n = len(truth) + 1
    who, ip = attacker(n)
    trail.append((at(0.30), record(ids, at(0.30), who, lam, "AddLayerVersionPermission20181031", ip, agent, read_only=False,
                                   params={"layerName": "shared-utils", "versionNumber": 3, "statementId": "all", "action": "lambda:GetLayerVersion", "principal": "*"})))
    case("layer-public", "FG-DET-005", [who["arn"], ip])

    n = len(truth) + 1
    who, ip = attacker(n)
    trail.append((at(0.35), record(ids, at(0.35), who, "cloudtrail.amazonaws.com", "StopLogging", ip, agent, read_only=False,
                                   params={"name": "arn:aws:cloudtrail:%s:%s:trail/main" % (REGION, ACCOUNT)})))
    case("trail-stopped", "FG-DET-006", [who["arn"], ip])

    # Pacu lambda__enum style: every function's code downloaded in a minute.
    n = len(truth) + 1
    who, ip = attacker(n)
    for i in range(36):
        tt = at(0.40) + i * 1.5
        function = list(FUNCTIONS)[i % len(FUNCTIONS)]
        trail.append((tt, record(ids, tt, who, lam, "GetFunction20150331v2", ip, agent,
                                 params={"functionName": function})))
    case("code-download-burst", "correlation", [who["arn"], ip])

    # Stolen function credentials: thumbs' key, seen inside, used from a laptop.
    n = len(truth) + 1
    ip = "203.0.113.%d" % n
    tt = at(0.45)
    key = keys["thumbs"][int((tt - START) // 3600) % 3]
    for name in ("GetCallerIdentity", "ListBuckets", "ListFunctions20150331"):
        source = {"GetCallerIdentity": "sts.amazonaws.com", "ListBuckets": "s3.amazonaws.com"}.get(name, lam)
        trail.append((tt, record(ids, tt, lambda_identity("thumbs", key), source, name, ip, agent)))
        tt += 20
    case("stolen-function-credentials", "detector", [key, ip])

    # PassRole abuse: admin attached to a role, then a function created with it.
    n = len(truth) + 1
    who, ip = attacker(n)
    tt = at(0.50)
    trail.append((tt, record(ids, tt, who, "iam.amazonaws.com", "CreateRole", ip, agent, read_only=False,
                             params={"roleName": "ops-helper", "assumeRolePolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"})))
    trail.append((tt + 5, record(ids, tt + 5, who, "iam.amazonaws.com", "AttachRolePolicy", ip, agent, read_only=False,
                                 params={"roleName": "ops-helper", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})))
    trail.append((tt + 30, record(ids, tt + 30, who, lam, "CreateFunction20150331", ip, agent, read_only=False,
                                  params={"functionName": "ops-helper-fn", "runtime": "python3.12", "handler": "index.handler",
                                          "role": "arn:aws:iam::%s:role/ops-helper" % ACCOUNT})))
    case("privileged-role-function", "detector", [who["arn"], ip])

    # A function's role given more rights.
    n = len(truth) + 1
    who, ip = attacker(n)
    tt = at(0.55)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    trail.append((tt, record(ids, tt, who, "iam.amazonaws.com", "PutRolePolicy", ip, agent, read_only=False,
                             params={"roleName": "orders-api-role", "policyName": "extra", "policyDocument": policy})))
    case("function-role-changed", "detector", [who["arn"], ip])

    trail.sort(key=lambda item: item[0])
    folder = os.path.join(args.out, "cloudtrail/AWSLogs/%s/CloudTrail/%s/2026/12/05" % (ACCOUNT, REGION))
    os.makedirs(folder, exist_ok=True)
    batch, batch_start = [], None
    for tt, event in trail + [(None, None)]:
        window = None if tt is None else int(tt // 300)
        if batch and (window != batch_start):
            name = "%s_CloudTrail_%s_%s_%s.json.gz" % (ACCOUNT, REGION, iso(batch_start * 300).replace("-", "").replace(":", "")[:13] + "Z", ids.hex(16))
            with gzip.open(os.path.join(folder, name), "wt") as out:
                json.dump({"Records": batch}, out, separators=(",", ":"))
            batch = []
        if event is not None:
            batch.append(event)
            batch_start = window

    # Lambda logs: each function's invocations with its own profile; the
    # anomalies are injected in the second half, after a baseline.
    spikes = {}
    for kind, function, fraction in (("duration-spike", "billing-sync", 0.70),
                                     ("memory-near-limit", "report-gen", 0.75),
                                     ("timeouts", "orders-api", 0.80)):
        spikes[function] = (kind, at(fraction))
        # The function's log file: its name alone is in other alerts too.
        case(kind, "detector", ["aws/lambda/%s/000000.log" % function])
    for function, spec in FUNCTIONS.items():
        runtime, mean, memory, used, _, _ = spec
        folder = os.path.join(args.out, "lambda/aws/lambda", function)
        os.makedirs(folder, exist_ok=True)
        lines = []
        tt = float(START)
        cold = True
        injected = 0
        while tt < end:
            tt += rng.expovariate(1 / 10.0)
            request = ids.uuid()
            duration = max(0.8, rng.gauss(mean, mean * 0.08))
            memory_used = int(used + rng.randrange(-4, 5))
            kind = None
            if function in spikes and tt >= spikes[function][1] and injected < 6:
                kind = spikes[function][0]
                injected += 1
            stamp = iso(tt)
            lines.append("%s START RequestId: %s Version: $LATEST" % (stamp, request))
            lines.append("%s %s INFO handled request" % (stamp, request))
            if kind == "timeouts":
                lines.append("%s %s Task timed out after 30.00 seconds" % (stamp, request))
                duration = 30000.0
            if kind == "duration-spike":
                duration = mean * rng.uniform(9, 12)
            if kind == "memory-near-limit":
                memory_used = memory - rng.randrange(0, 8)
            lines.append("%s END RequestId: %s" % (stamp, request))
            init = " Init Duration: %.2f ms" % rng.uniform(180, 260) if cold else ""
            cold = False
            lines.append("%s REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t%s"
                         % (stamp, request, duration, int(duration) + 1, memory, memory_used, init))
        with open(os.path.join(folder, "000000.log"), "w") as out:
            out.write("\n".join(lines) + "\n")

    # DNS and flows from the functions in the VPC: their usual destinations,
    # then a beacon to a new domain, a call to another tenant's function
    # URL, and a connection to an unknown address.
    addresses = {}
    dns, flows = [], []
    in_vpc = [f for f, s in FUNCTIONS.items() if s[5] and f in DESTINATIONS]
    tt = float(START)
    while tt < end:
        tt += rng.expovariate(1 / 2.0)
        function = rng.choice(in_vpc)
        name = rng.choice(DESTINATIONS[function])
        address = addresses.setdefault(name, "52.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)))
        dns.append((tt, function, name, address))
        flows.append((tt, function, address, 443))
    beacon = "cdn-sync.badupdates.example."
    tt = at(0.60)
    for i in range(30):
        dns.append((tt + i * 60 + rng.uniform(-0.5, 0.5), "mailer", beacon, "192.0.2.80"))
    case("c2-beacon", "detector", [beacon.rstrip("."), "192.0.2.80"])
    foreign = "k3x9vq2m7hdw4zfqe5l6ytn8ca0ogbrs.lambda-url.eu-west-1.on.aws."
    dns.append((at(0.65), "billing-sync", foreign, "3.248.1.20"))
    case("foreign-function-endpoint", "detector", [foreign.rstrip("."), "3.248.1.20"])
    flows.append((at(0.68), "report-gen", "198.51.100.77", 4444))
    case("unexpected-destination", "detector", ["198.51.100.77"])
    # The beacon's flows belong to the beacon case.
    for tt, function, name, address in list(dns):
        if name == beacon:
            flows.append((tt, function, address, 443))

    os.makedirs(os.path.join(args.out, "route53"), exist_ok=True)
    with open(os.path.join(args.out, "route53/resolver.jsonl"), "w") as out:
        for tt, function, name, address in sorted(dns):
            out.write(json.dumps({
                "version": "1.100000", "account_id": ACCOUNT, "region": REGION, "vpc_id": "vpc-0a1b2c3d4e5f60718",
                "query_timestamp": iso(tt), "query_name": name, "query_type": "A", "query_class": "IN",
                "rcode": "NOERROR", "answers": [{"Rdata": address, "Type": "A", "Class": "IN"}],
                "srcaddr": FUNCTIONS[function][5], "srcport": str(rng.randrange(1024, 65535)), "transport": "UDP",
                "srcids": {"instance": "eni-%s" % function},
            }, separators=(",", ":")) + "\n")
    os.makedirs(os.path.join(args.out, "flow"), exist_ok=True)
    with open(os.path.join(args.out, "flow/flow.log"), "w") as out:
        for tt, function, address, port in sorted(flows):
            start = int(tt)
            out.write("2 %s eni-%s %s %s %d %d 6 %d %d %d %d ACCEPT OK\n" % (
                ACCOUNT, function, FUNCTIONS[function][5], address, rng.randrange(32768, 60999), port,
                rng.randrange(4, 40), rng.randrange(400, 40000), start, start + 5))

    with open(os.path.join(args.out, "truth.json"), "w") as out:
        json.dump({"cases": truth, "cloudtrail_events": len(trail)}, out, indent=1)


if __name__ == "__main__":
    main()
