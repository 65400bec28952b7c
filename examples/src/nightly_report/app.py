"""Nightly: sum yesterday's payments and write a CSV report to the bucket."""
import csv
import io
import os
from datetime import date, timedelta

import boto3


def handler(event, context):
    import psycopg

    day = date.today() - timedelta(days=1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["currency", "payments", "amount_cents"])
    with psycopg.connect(os.environ.get("DATABASE_URL", "")) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT currency, count(*), sum(amount_cents) FROM payments"
            " WHERE created_at::date = %s GROUP BY currency",
            (day,),
        )
        writer.writerows(cur.fetchall())
    boto3.client("s3").put_object(
        Bucket=os.environ["REPORTS_BUCKET"],
        Key=f"reports/{day.isoformat()}.csv",
        Body=out.getvalue().encode(),
    )
    return {"day": day.isoformat()}
