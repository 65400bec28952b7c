# The permission and the event source mapping spell out the ARNs of the
# module's bucket and queue (by name): both are the local elements whose
# policies let anyone write.

resource "aws_s3_bucket" "drop" {
  bucket = "team-drop-box"
}
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
resource "aws_s3_bucket_policy" "drop" {
  bucket = aws_s3_bucket.drop.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:PutObject", Resource = "arn:aws:s3:::team-drop-box/*" }]
  })
}
resource "aws_sqs_queue_policy" "jobs" {
  queue_url = aws_sqs_queue.jobs.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = "*", Action = "sqs:SendMessage", Resource = "*" }]
  })
}
resource "aws_lambda_function" "scan" {
  function_name = "scan"
  role          = "arn:aws:iam::123456789012:role/scan"
  runtime       = "python3.13"
  handler       = "app.handler"
  filename      = "dist/scan.zip"
}
resource "aws_lambda_permission" "s3" {
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.scan.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = "arn:aws:s3:::${aws_s3_bucket.drop.bucket}"
}
resource "aws_lambda_event_source_mapping" "jobs" {
  event_source_arn = "arn:aws:sqs:us-east-1:123456789012:jobs"
  function_name    = aws_lambda_function.scan.arn
}
