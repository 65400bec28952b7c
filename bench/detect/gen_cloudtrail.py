#!/usr/bin/env python3
"""Generated CloudTrail traffic for the `fnguard detect` benchmark: JSON
lines of ~1.5 KB events (S3 data events, Lambda, STS, DynamoDB, KMS, EC2,
IAM and CloudTrail calls, each with its own request parameters, resources
and response; 80 % from functions' assumed roles, 10 % from AWS services,
10 % from IAM users; 2 % denied), the shape of a serverless account's trail.
Deterministic (seeded). Attacks are not injected: this measures the cost of
reading and matching, not precision. With --records-gz, the same events as
CloudTrail's S3 delivery files too.

    python3 bench/detect/gen_cloudtrail.py --count 200000 --out FILE [--records-gz DIR]
"""
import argparse
import gzip
import json
import os
import random

CALLS = [
    ("lambda.amazonaws.com", "Invoke"),
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "PutObject"),
    ("sts.amazonaws.com", "AssumeRole"),
    ("lambda.amazonaws.com", "GetFunction20150331v2"),
    ("dynamodb.amazonaws.com", "GetItem"),
    ("kms.amazonaws.com", "Decrypt"),
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("iam.amazonaws.com", "ListRoles"),
    ("cloudtrail.amazonaws.com", "LookupEvents"),
]


# Who calls: mostly functions' execution roles (assumed roles), then AWS
# services acting for the account, IAM users (CI keys), and a few console
# sessions, the mix of a serverless account's trail.
def identity(i, rng):
    session = "session%d" % (i % 50)
    roll = rng.random()
    if roll < 0.80:
        return {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:" + session,
            "arn": "arn:aws:sts::123456789012:assumed-role/app-role/" + session,
            "accountId": "123456789012",
            "accessKeyId": "ASIAEXAMPLE%08d" % (i % 1000),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLE",
                    "arn": "arn:aws:iam::123456789012:role/app-role",
                    "accountId": "123456789012",
                    "userName": "app-role",
                },
                "attributes": {"creationDate": "2026-12-05T10:00:00Z", "mfaAuthenticated": "false"},
            },
        }
    if roll < 0.90:
        return {"type": "AWSService", "invokedBy": rng.choice(["lambda.amazonaws.com", "events.amazonaws.com", "apigateway.amazonaws.com"])}
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE%04d" % (i % 7),
        "arn": "arn:aws:iam::123456789012:user/ci-deployer-%d" % (i % 7),
        "accountId": "123456789012",
        "accessKeyId": "AKIAEXAMPLE%08d" % (i % 7),
        "userName": "ci-deployer-%d" % (i % 7),
    }


def request(source, name, i):
    if source == "s3.amazonaws.com":
        return {"bucketName": "orders-%d" % (i % 20), "key": "uploads/2026/12/05/%d.json" % i, "Host": "orders-%d.s3.us-east-1.amazonaws.com" % (i % 20)}
    if source == "lambda.amazonaws.com":
        return {"functionName": "arn:aws:lambda:us-east-1:123456789012:function:orders-%d" % (i % 12), "invocationType": "RequestResponse"}
    if source == "sts.amazonaws.com":
        return {"roleArn": "arn:aws:iam::123456789012:role/worker-%d" % (i % 5), "roleSessionName": "job-%d" % i, "durationSeconds": 900}
    if source == "dynamodb.amazonaws.com":
        return {"tableName": "orders", "key": {"orderId": {"S": "o-%08d" % i}}, "consistentRead": False}
    if source == "kms.amazonaws.com":
        return {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:lambda:FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:orders-%d" % (i % 12)}}
    if source == "ec2.amazonaws.com":
        return {"instancesSet": {}, "filterSet": {"items": [{"name": "tag:app", "valueSet": {"items": [{"value": "orders"}]}}]}}
    if source == "cloudtrail.amazonaws.com":
        return {"maxResults": 50, "lookupAttributes": [{"attributeKey": "EventName", "attributeValue": "ConsoleLogin"}]}
    return None


def event(i, rng):
    source, name = rng.choice(CALLS)
    who = identity(i, rng)
    data_event = source in ("s3.amazonaws.com", "lambda.amazonaws.com") and name in ("GetObject", "PutObject", "Invoke")
    record = {
        "eventVersion": "1.08",
        "userIdentity": who,
        "eventTime": "2026-12-05T10:%02d:%02dZ" % (i // 60 % 60, i % 60),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": who.get("invokedBy") or "10.0.%d.%d" % (i % 250, i % 200),
        "userAgent": who.get("invokedBy") or "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux md/GOARCH#amd64 api/%s#1.0 exec-env/AWS_Lambda_go1.x"
        % source.split(".")[0],
        "requestParameters": request(source, name, i),
        "responseElements": None,
    }
    if source == "sts.amazonaws.com":
        record["responseElements"] = {
            "credentials": {"accessKeyId": "ASIAEXAMPLE%08d" % (i % 997), "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE%032x" % rng.getrandbits(128), "expiration": "Dec 5, 2026, 11:00:00 AM"},
            "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLE:job-%d" % i, "arn": "arn:aws:sts::123456789012:assumed-role/worker-%d/job-%d" % (i % 5, i)},
        }
    if rng.random() < 0.02:
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = "User is not authorized to perform: %s:%s" % (source.split(".")[0], name)
    if source == "s3.amazonaws.com":
        record["additionalEventData"] = {
            "SignatureVersion": "SigV4",
            "CipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
            "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
            "bytesTransferredOut": 1234,
        }
    record.update({
        "requestID": "%032x" % rng.getrandbits(128),
        "eventID": "%032x" % rng.getrandbits(128),
        "readOnly": name.startswith(("Get", "List", "Describe", "Lookup", "Decrypt", "Invoke")),
        "eventType": "AwsApiCall",
        "managementEvent": not data_event,
        "recipientAccountId": "123456789012",
        "eventCategory": "Data" if data_event else "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "%s.us-east-1.amazonaws.com" % source.split(".")[0],
        },
    })
    if source == "s3.amazonaws.com":
        record["resources"] = [
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::orders-%d/uploads/%d.json" % (i % 20, i)},
            {"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::orders-%d" % (i % 20)},
        ]
    elif source == "lambda.amazonaws.com":
        record["resources"] = [{"accountId": "123456789012", "type": "AWS::Lambda::Function", "ARN": record["requestParameters"]["functionName"]}]
    if who["type"] == "AssumedRole":
        record["sessionCredentialFromConsole"] = "false"
    return record


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    parser.add_argument("--records-gz", help="also write the events as CloudTrail S3 delivery files into this folder")
    parser.add_argument("--per-file", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w") as out:
        for i in range(args.count):
            out.write(json.dumps(event(i, rng), separators=(",", ":")) + "\n")
    if args.records_gz:
        # The same events, as CloudTrail delivers them to S3: one gzip file
        # of {"Records":[...]} per few thousand events, on one line.
        os.makedirs(args.records_gz, exist_ok=True)
        with open(args.out) as lines:
            events = [line.rstrip("\n") for line in lines]
        for n, start in enumerate(range(0, len(events), args.per_file)):
            name = os.path.join(args.records_gz, "123456789012_CloudTrail_us-east-1_%05d.json.gz" % n)
            with gzip.open(name, "wt", compresslevel=6) as out:
                out.write('{"Records":[' + ",".join(events[start:start + args.per_file]) + "]}")


if __name__ == "__main__":
    main()
