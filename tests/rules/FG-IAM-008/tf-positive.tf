# The function's role may create new versions of any customer managed
# policy (iam:CreatePolicyVersion on *): a classic escalation to admin.

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
  name               = "policy-sync"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

resource "aws_iam_role_policy" "fn" {
  name = "policy-sync"
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["iam:CreatePolicyVersion"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_lambda_function" "sync" {
  function_name = "policy-sync"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.13"
  handler       = "app.handler"
  filename      = "dist/sync.zip"
}
