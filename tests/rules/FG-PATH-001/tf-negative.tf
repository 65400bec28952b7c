# The same function, but only the deploying account's S3 bucket may invoke
# it (SourceArn and SourceAccount set): no exposed entry point.

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fn" {
  name               = "exporter"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

resource "aws_iam_role_policy" "fn" {
  name = "exporter"
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "secretsmanager:GetSecretValue"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_lambda_function" "export" {
  function_name = "exporter"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.13"
  handler       = "app.handler"
  filename      = "dist/export.zip"
}

resource "aws_lambda_permission" "anyone" {
  statement_id  = "AllowAnyone"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.export.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = "arn:aws:s3:::exporter-inbox"
  source_account = "123456789012"
}
