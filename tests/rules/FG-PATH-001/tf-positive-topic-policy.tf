# Entry through a trigger source: the topic policy lets anyone publish, and
# the function subscribed to it may write any object and read any secret.

resource "aws_sns_topic" "events" {
  name = "events"
}

resource "aws_sns_topic_policy" "events" {
  arn = aws_sns_topic.events.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { AWS = "*" }
        Action    = "SNS:Publish"
        Resource  = aws_sns_topic.events.arn
      },
    ]
  })
}

resource "aws_iam_role" "fn" {
  name = "relay"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "fn" {
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = ["s3:PutObject", "secretsmanager:GetSecretValue"], Resource = "*" }]
  })
}

resource "aws_lambda_function" "relay" {
  function_name = "relay"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.13"
  handler       = "app.handler"
  filename      = "dist/relay.zip"
}

resource "aws_lambda_permission" "sns" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.relay.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.events.arn
}
