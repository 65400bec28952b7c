"""POST /orders: validate the cart, store the order, queue the payment."""
import json
import os
import uuid
from datetime import datetime, timezone

import boto3

dynamodb = boto3.resource("dynamodb")
sqs = boto3.client("sqs")
table = dynamodb.Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return _response(400, {"message": "body must be JSON"})
    items = body.get("items") or []
    if not items or not body.get("customerId"):
        return _response(400, {"message": "customerId and items are required"})

    order = {
        "orderId": str(uuid.uuid4()),
        "customerId": body["customerId"],
        "items": items,
        "total": sum(int(i["quantity"]) * int(i["unitPriceCents"]) for i in items),
        "currency": body.get("currency", "EUR"),
        "status": "PENDING_PAYMENT",
        "createdAt": datetime.now(timezone.utc).isoformat(),
    }
    table.put_item(Item=order)
    sqs.send_message(
        QueueUrl=os.environ["PAYMENTS_QUEUE_URL"],
        MessageBody=json.dumps({"orderId": order["orderId"], "total": order["total"]}),
    )
    return _response(201, {"orderId": order["orderId"], "status": order["status"]})


def _response(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
