# Condition traps: the bucket policy lets `*` put objects only from the own
# topic (aws:SourceArn); the legacy inline queue policy lets `*` send only
# with the own account as aws:SourceAccount; the bucket's public-read-write
# ACL is ignored by its public access block.

resource "aws_s3_bucket" "uploads" {
  bucket = "uploads"
  acl    = "public-read-write"
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket             = aws_s3_bucket.uploads.id
  ignore_public_acls = true
}

resource "aws_sns_topic" "feed" {
  name = "feed"
}

resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:PutObject"
      Resource  = "${aws_s3_bucket.uploads.arn}/*"
      Condition = { ArnLike = { "aws:SourceArn" = aws_sns_topic.feed.arn } }
    }]
  })
}

resource "aws_sqs_queue" "work" {
  name = "work"
  policy = <<POLICY
{
  "Statement": [{
    "Effect": "Allow",
    "Principal": "*",
    "Action": "sqs:SendMessage",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}
  }]
}
POLICY
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = "arn:aws:iam::123456789012:role/worker"
  runtime       = "python3.13"
  handler       = "app.handler"
  filename      = "dist/worker.zip"
}

resource "aws_lambda_permission" "s3" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.worker.function_name
  principal     = "s3.amazonaws.com"
  source_arn    = aws_s3_bucket.uploads.arn
}

resource "aws_lambda_event_source_mapping" "work" {
  event_source_arn = aws_sqs_queue.work.arn
  function_name    = aws_lambda_function.worker.arn
}
