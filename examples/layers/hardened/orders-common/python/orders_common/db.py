"""Shared database access for the order service's functions."""
import json
import os

import boto3
import psycopg


def connect():
    # Credentials come from Secrets Manager at run time, never from the
    # package or the environment.
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["DB_SECRET_ARN"])
    creds = json.loads(secret["SecretString"])
    return psycopg.connect(
        host=creds["host"], dbname=creds["dbname"], user=creds["username"], password=creds["password"]
    )
