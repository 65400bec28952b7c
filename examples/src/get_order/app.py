"""GET /orders/{id}: read one order."""
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    order_id = (event.get("pathParameters") or {}).get("id")
    if not order_id:
        return {"statusCode": 400, "body": json.dumps({"message": "missing id"})}
    item = table.get_item(Key={"orderId": order_id}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"message": "not found"})}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(item, default=str),
    }
