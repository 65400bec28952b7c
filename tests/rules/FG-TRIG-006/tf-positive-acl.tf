# A bucket whose ACL (aws_s3_bucket_acl) is public-read-write invokes a
# function on every new object.

resource "aws_s3_bucket" "drop" {
  bucket = "team-drop-box"
}

resource "aws_s3_bucket_ownership_controls" "drop" {
  bucket = aws_s3_bucket.drop.id
  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_acl" "drop" {
  bucket = aws_s3_bucket.drop.id
  acl    = "public-read-write"
}

resource "aws_lambda_function" "scan" {
  function_name = "scan"
  role          = "arn:aws:iam::123456789012:role/scan"
  runtime       = "python3.13"
  handler       = "app.handler"
  filename      = "dist/scan.zip"
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "AllowS3"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.scan.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.drop.arn
  source_account = "123456789012"
}
