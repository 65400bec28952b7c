#!/usr/bin/env python3
"""Generated CloudTrail traffic for the `fnguard detect` benchmark: JSON
lines of ~1.7 KB events (S3 data events, Lambda, STS, DynamoDB, KMS, EC2,
IAM and CloudTrail reads, from assumed roles inside functions), the shape of
a real trail. Deterministic (seeded). Attacks are not injected yet: this
measures the cost of reading and matching, not precision.

    python3 bench/detect/gen_cloudtrail.py --count 200000 --out FILE
"""
import argparse
import json
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


def event(i, rng):
    source, name = rng.choice(CALLS)
    session = "session%d" % (i % 50)
    return {
        "eventVersion": "1.08",
        "userIdentity": {
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
        },
        "eventTime": "2026-12-05T10:%02d:%02dZ" % (i // 60 % 60, i % 60),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "10.0.%d.%d" % (i % 250, i % 200),
        "userAgent": "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux md/GOARCH#amd64 api/%s#1.0 exec-env/AWS_Lambda_go1.x"
        % source.split(".")[0],
        "requestParameters": {
            "bucketName": "orders-%d" % (i % 20),
            "key": "uploads/2026/12/05/%d.json" % i,
            "Host": "orders.s3.amazonaws.com",
        },
        "responseElements": None,
        "additionalEventData": {
            "SignatureVersion": "SigV4",
            "CipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
            "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
            "bytesTransferredOut": 1234,
        },
        "requestID": "%032x" % rng.getrandbits(128),
        "eventID": "%032x" % rng.getrandbits(128),
        "readOnly": True,
        "resources": [
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::orders/uploads/%d.json" % i},
            {"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::orders"},
        ],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": "123456789012",
        "eventCategory": "Data",
        "tlsDetails": {
            "tlsVersion": "TLSv1.2",
            "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
            "clientProvidedHostHeader": "orders.s3.us-east-1.amazonaws.com",
        },
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w") as out:
        for i in range(args.count):
            out.write(json.dumps(event(i, rng), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
