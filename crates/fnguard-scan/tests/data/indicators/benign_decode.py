import base64, json

def handler(event, context):
    body = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else event["body"]
    payload = json.loads(body)
    executor = payload.get("executor")  # eval(...) in a comment is not a call on decoded data
    return {"statusCode": 200, "body": json.dumps({"executor": executor})}
