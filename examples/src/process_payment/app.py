"""SQS consumer: charge the card, record the payment, mark the order paid."""
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def _db_connection():
    # The payments ledger lives in Postgres (Aurora). psycopg is packaged in
    # the function's layer.
    import psycopg

    if "DATABASE_URL" in os.environ:
        return psycopg.connect(os.environ["DATABASE_URL"])
    secret = boto3.client("secretsmanager").get_secret_value(
        SecretId=os.environ["DB_SECRET_ARN"]
    )
    creds = json.loads(secret["SecretString"])
    return psycopg.connect(
        host=creds["host"], dbname=creds["dbname"], user=creds["username"], password=creds["password"]
    )


def handler(event, context):
    failures = []
    with _db_connection() as conn:
        for record in event["Records"]:
            try:
                message = json.loads(record["body"])
                with conn.cursor() as cur:
                    cur.execute(
                        "INSERT INTO payments (order_id, amount_cents) VALUES (%s, %s)",
                        (message["orderId"], message["total"]),
                    )
                table.update_item(
                    Key={"orderId": message["orderId"]},
                    UpdateExpression="SET #s = :paid",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":paid": "PAID"},
                )
            except Exception:  # report the message back to SQS for retry
                failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
